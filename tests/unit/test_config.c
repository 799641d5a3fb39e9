/* Configuration: defaults, ${ENV} substitution, comments, kafka.* pass
 * through, and the errors (unknown key with its line, bad values). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/redact.h"
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

/* Every way a secret can reach a configuration error: keys that look like
 * a secret's, with a value librdkafka or Sluice rejects, written with
 * Java's other separators (whose key would then hold the value), without
 * '=', from --set, or from an environment variable named like a secret
 * into a key that is not. No message may hold the secret. */
static void test_secrets_never_in_errors(void **state)
{
    static const char *secret = "S3cr3t-hunter2";
    static const char *keys[] = {
        "kafka.sasl.password", "kafka.ssl.key.password", "kafka.ssl.keystore.password", "kafka.ssl.key.pem",
        "kafka.sasl.oauthbearer.client.secret", "kafka.sasl.oauthbearer.config", "kafka.sasl.jaas.config",
        "kafka.producer.sasl.password", "kafka.consumer.ssl.key.password", "kafka.sasl.pasword",
        "kafka.sasl.passwd", "kafka.ssl.keystore.pasword", "ksql.streams.sasl.jaas.config",
        "ksql.streams.producer.sasl.password", "schema.registry.basic.auth.user.info", "sasl.jaas.config",
        "kafka.api.token", "kafka.sasl.credentials",
    };
    static const char *forms[] = {
        "%s=%s;\n",                          /* a value refused, or a key refused */
        "%s: %s=\n",                         /* Java's ':' separator, a base64 '=' in the value */
        "%s %s==\n",                         /* Java's space separator */
        "%s\t%s=x\n",
        "%s %s\n",                           /* no '=' at all */
        "%s=org.apache.kafka.common.security.plain.PlainLoginModule required password=\"%s\";\n",
        "%s = ${SL_TEST_UNTERMINATED %s\n",
    };
    char text[512], cfg[600];
    int checked = 0;
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
        for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
            snprintf(text, sizeof text, forms[f], keys[k], secret);
            snprintf(cfg, sizeof cfg, "application.id=a\nkafka.security.protocol=SASL_SSL\n%s", text);
            sl_error err = {0};
            sl_config *c = sl_config_parse(cfg, "f.properties", &err);
            if (c) { /* a setting librdkafka takes: nothing to report */
                sl_config_destroy(c);
                continue;
            }
            checked++;
            if (strstr(err.msg, "S3cr3t") || strstr(err.msg, "hunter2"))
                fail_msg("the secret is in the error for '%s': %s", text, err.msg);
            sl_config *set = sl_config_new();
            text[strcspn(text, "\n")] = 0;
            if (!sl_config_apply_line(set, text, "--set", 1, &err) &&
                (strstr(err.msg, "S3cr3t") || strstr(err.msg, "hunter2")))
                fail_msg("the secret is in the error for --set '%s': %s", text, err.msg);
            sl_config_destroy(set);
        }
    assert_true(checked > 50);
    /* a secret from the environment into a key that is not a secret's */
    setenv("SL_TEST_KAFKA_PASSWORD", secret, 1);
    sl_error err = {0};
    assert_null(sl_config_parse("application.id=a\ncommit.interval.ms=${SL_TEST_KAFKA_PASSWORD}\n", "f", &err));
    assert_non_null(strstr(err.msg, "commit.interval.ms"));
    assert_null(strstr(err.msg, "S3cr3t"));
    assert_null(sl_config_parse("application.id=a\nkafka.security.protocol=${SL_TEST_KAFKA_PASSWORD}\n", "f", &err));
    assert_non_null(strstr(err.msg, "security.protocol"));
    assert_null(strstr(err.msg, "S3cr3t"));
    /* where nothing is secret, the value helps and is shown */
    assert_null(sl_config_parse("application.id=a\nkafka.security.protocol=SASL_PLAINTEXTT\n", "f", &err));
    assert_non_null(strstr(err.msg, "SASL_PLAINTEXTT"));
    unsetenv("SL_TEST_KAFKA_PASSWORD");
}

static void test_misspelt_kafka_names_get_a_suggestion(void **state)
{
    sl_error err = {0};
    assert_null(sl_config_parse("application.id=a\nkafka.sasl.pasword=x\n", "f", &err));
    assert_string_equal(err.msg, "'kafka.sasl.pasword': librdkafka has no property 'sasl.pasword' "
                                 "(did you mean 'sasl.password'?)");
    assert_null(sl_config_parse("application.id=a\nkafka.producer.ssl.ca.locaton=x\n", "f", &err));
    assert_non_null(strstr(err.msg, "did you mean 'ssl.ca.location'?"));
    /* nothing near: no guess */
    assert_null(sl_config_parse("application.id=a\nkafka.no.such.thing=x\n", "f", &err));
    assert_string_equal(err.msg, "'kafka.no.such.thing': librdkafka has no property 'no.such.thing'");
}

static void test_secret_keys(void **state)
{
    assert_true(sl_secret_key("kafka.sasl.password"));
    assert_true(sl_secret_key("SASL.JAAS.CONFIG"));
    assert_true(sl_secret_key("schema.registry.basic.auth.user.info"));
    assert_true(sl_secret_key("kafka.ssl.key.pem"));
    assert_true(sl_secret_key("kafka.sasl.oauthbearer.client.secret"));
    assert_true(sl_secret_key("KAFKA_PASSWORD"));
    assert_false(sl_secret_key("bootstrap.servers"));
    assert_false(sl_secret_key("kafka.sasl.username"));
    assert_false(sl_secret_key("kafka.security.protocol"));
    assert_string_equal(sl_redacted("kafka.sasl.password", "x"), SL_REDACTED);
    assert_string_equal(sl_redacted("kafka.linger.ms", "5"), "5");
    char text[64] = "value 'abc' and abc again";
    sl_scrub(text, sizeof text, "abc");
    assert_string_equal(text, "value '[redacted]' and [redacted] again");
    char small[16] = "x=abcdef y";
    sl_scrub(small, sizeof small, "abcdef");
    assert_null(strstr(small, "abcdef"));
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
        cmocka_unit_test(test_secrets_never_in_errors),
        cmocka_unit_test(test_misspelt_kafka_names_get_a_suggestion),
        cmocka_unit_test(test_secret_keys),
        cmocka_unit_test(test_set_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
