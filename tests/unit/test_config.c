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

static void test_client_prefixes(void **state)
{
    sl_error err = {0};
    sl_config *c = sl_config_parse("application.id=a\nkafka.linger.ms=20\nkafka.consumer.session.timeout.ms=7000\n"
                                   "kafka.producer.linger.ms=50\nkafka.admin.socket.timeout.ms=9000\n", "t", &err);
    assert_non_null(c);
    const char *k, *v;
    /* general first, then the client's own: applied in order, it wins */
    assert_true(sl_config_kafka_for(c, SL_KAFKA_PRODUCER, 0, &k, &v));
    assert_string_equal(k, "linger.ms");
    assert_string_equal(v, "20");
    assert_true(sl_config_kafka_for(c, SL_KAFKA_PRODUCER, 1, &k, &v));
    assert_string_equal(k, "linger.ms");
    assert_string_equal(v, "50");
    assert_false(sl_config_kafka_for(c, SL_KAFKA_PRODUCER, 2, &k, &v));
    assert_true(sl_config_kafka_for(c, SL_KAFKA_CONSUMER, 1, &k, &v));
    assert_string_equal(k, "session.timeout.ms");
    assert_false(sl_config_kafka_for(c, SL_KAFKA_CONSUMER, 2, &k, &v));
    assert_true(sl_config_kafka_for(c, SL_KAFKA_ADMIN, 1, &k, &v));
    assert_string_equal(k, "socket.timeout.ms");
    /* the general list never holds a client's own setting */
    assert_false(sl_config_kafka_at(c, 1, &k, &v));
    sl_config_destroy(c);
}

static void test_ksqldb_names(void **state)
{
    sl_error err = {0};
    sl_config *c = sl_config_parse("ksql.service.id=svc\nksql.streams.num.stream.threads=3\n"
                                   "ksql.streams.producer.linger.ms=9\nksql.queries.file=q.sql\n"
                                   "ksql.streams.auto.offset.reset=latest\n", "t", &err);
    assert_non_null(c);
    assert_string_equal(sl_config_string(c, "application.id"), "svc");
    assert_int_equal(sl_config_int(c, "num.stream.threads"), 3);
    assert_string_equal(sl_config_string(c, "queries.file"), "q.sql");
    const char *k, *v;
    assert_true(sl_config_kafka_for(c, SL_KAFKA_PRODUCER, 0, &k, &v));
    assert_string_equal(k, "linger.ms");
    assert_true(sl_config_kafka_for(c, SL_KAFKA_CONSUMER, 0, &k, &v));
    assert_string_equal(k, "auto.offset.reset");
    assert_string_equal(v, "latest");
    sl_config_destroy(c);
    /* a ksqlDB setting that means nothing here is refused by name */
    assert_null(sl_config_parse("application.id=a\nksql.streams.cache.max.bytes.buffering=0\n", "f", &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "ksql.streams.cache.max.bytes.buffering"));
    assert_non_null(strstr(err.msg, "no counterpart"));
}

static void test_kafka_names_checked_and_secrets_hidden(void **state)
{
    sl_error err = {0};
    /* a misspelt librdkafka property is an error, not a silent default */
    assert_null(sl_config_parse("application.id=a\nkafka.sasl.pasword=hunter2\n", "f", &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "sasl.pasword"));
    assert_null(strstr(err.msg, "hunter2"));
    assert_null(sl_config_parse("application.id=a\nkafka.consumer.sesion.timeout.ms=5\n", "f", &err));
    assert_non_null(strstr(err.msg, "sesion.timeout.ms"));
    /* a line without '=' is not echoed: it may be a password */
    assert_null(sl_config_parse("application.id=a\nkafka.sasl.password hunter2\n", "f", &err));
    assert_int_equal(err.line, 2);
    assert_null(strstr(err.msg, "hunter2"));
    assert_non_null(strstr(err.msg, "key=value"));
}

static void test_ksqldb_registry_names(void **state)
{
    sl_error err = {0};
    sl_config *c = sl_config_parse("application.id=a\nksql.schema.registry.url=https://sr:8081\n"
                                   "ksql.schema.registry.basic.auth.user.info=u:hunter2\n"
                                   "ksql.schema.registry.ssl.ca.location=/etc/ca.pem\n",
                                   "f", &err);
    assert_non_null(c);
    assert_string_equal(sl_config_string(c, "schema.registry.url"), "https://sr:8081");
    assert_string_equal(sl_config_string(c, "schema.registry.basic.auth.user.info"), "u:hunter2");
    assert_string_equal(sl_config_string(c, "schema.registry.ssl.ca.location"), "/etc/ca.pem");
    assert_string_equal(sl_config_string(c, "schema.registry.basic.auth.credentials.source"), "USER_INFO");
    sl_config_destroy(c);
    /* Java key stores: refused with the PEM keys to use, the password unechoed */
    assert_null(sl_config_parse("application.id=a\nksql.schema.registry.ssl.truststore.password=hunter2\n", "f", &err));
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "schema.registry.ssl.ca.location"));
    assert_null(strstr(err.msg, "hunter2"));
    assert_null(sl_config_parse("application.id=a\nksql.schema.registry.no.such=1\n", "f", &err));
    assert_non_null(strstr(err.msg, "no counterpart"));
}

static void test_set_lines(void **state)
{
    sl_error err = {0};
    sl_config *c = sl_config_new();
    assert_false(sl_config_check(c, "--set", &err));
    assert_true(sl_config_apply_line(c, "application.id=x", "--set", 1, &err));
    assert_true(sl_config_apply_line(c, "commit.interval.ms=250", "--set", 2, &err));
    assert_false(sl_config_apply_line(c, "commit.interval.ms=later", "--set", 3, &err));
    assert_false(sl_config_apply_line(c, "no.such.key=1", "--set", 4, &err));
    assert_true(sl_config_check(c, "--set", &err));
    assert_int_equal(sl_config_int(c, "commit.interval.ms"), 250);
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
        cmocka_unit_test(test_client_prefixes),
        cmocka_unit_test(test_ksqldb_names),
        cmocka_unit_test(test_kafka_names_checked_and_secrets_hidden),
        cmocka_unit_test(test_ksqldb_registry_names),
        cmocka_unit_test(test_set_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
