/* Configuration: defaults, ${ENV} substitution, comments, kafka.* pass
 * through, and the errors (unknown key with its line, bad values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

static void test_defaults_and_values(void **state)
{
    sl_error err = {0};
    sl_config *c = sl_config_parse("# comment\n! also a comment\n\napplication.id = app1 \nbatch.max.records=5\n", "t", &err);
    assert_non_null(c);
    assert_string_equal(sl_config_string(c, "application.id"), "app1");
    assert_int_equal(sl_config_int(c, "batch.max.records"), 5);
    assert_int_equal(sl_config_int(c, "commit.interval.ms"), 100);
    assert_string_equal(sl_config_string(c, "processing.guarantee"), "exactly_once_v2");
    assert_string_equal(sl_config_string(c, "bootstrap.servers"), "localhost:9092");
    sl_config_destroy(c);
}

static void test_env_substitution(void **state)
{
    setenv("SL_TEST_BROKER", "kafka:9092", 1);
    unsetenv("SL_TEST_MISSING");
    sl_error err = {0};
    sl_config *c = sl_config_parse("application.id=a\nbootstrap.servers=${SL_TEST_BROKER}\nstate.dir=${SL_TEST_MISSING:-/tmp/s}\n", "t", &err);
    assert_non_null(c);
    assert_string_equal(sl_config_string(c, "bootstrap.servers"), "kafka:9092");
    assert_string_equal(sl_config_string(c, "state.dir"), "/tmp/s");
    sl_config_destroy(c);
    assert_null(sl_config_parse("application.id=a\nstate.dir=${SL_TEST_MISSING}\n", "f.properties", &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "SL_TEST_MISSING"));
}

static void test_unknown_key(void **state)
{
    sl_error err = {0};
    assert_null(sl_config_parse("application.id=a\n\nbatch.max.recods=5\n", "f.properties", &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.file, "f.properties");
    assert_int_equal(err.line, 3);
    assert_string_equal(err.msg, "unknown configuration key 'batch.max.recods' (did you mean 'batch.max.records'?)");
}

static void test_bad_values(void **state)
{
    sl_error err = {0};
    assert_null(sl_config_parse("application.id=a\ncommit.interval.ms=soon\n", "f", &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "commit.interval.ms"));
    assert_null(sl_config_parse("application.id=a\nprocessing.guarantee=exactly_twice\n", "f", &err));
    assert_non_null(strstr(err.msg, "exactly_once_v2|at_least_once"));
    assert_null(sl_config_parse("bootstrap.servers=x\n", "f", &err));
    assert_non_null(strstr(err.msg, "application.id"));
    assert_null(sl_config_parse("application.id\n", "f", &err));
    assert_non_null(strstr(err.msg, "key=value"));
}

static void test_kafka_passthrough(void **state)
{
    sl_error err = {0};
    sl_config *c = sl_config_parse("application.id=a\nkafka.security.protocol=SSL\nkafka.linger.ms=20\n", "t", &err);
    assert_non_null(c);
    const char *k, *v;
    assert_true(sl_config_kafka_at(c, 0, &k, &v));
    assert_string_equal(k, "security.protocol");
    assert_string_equal(v, "SSL");
    assert_true(sl_config_kafka_at(c, 1, &k, &v));
    assert_string_equal(k, "linger.ms");
    assert_false(sl_config_kafka_at(c, 2, &k, &v));
    sl_config_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_values),
        cmocka_unit_test(test_env_substitution),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_kafka_passthrough),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
