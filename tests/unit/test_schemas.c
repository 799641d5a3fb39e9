/* schemas/: every .avsc parses with Avro C; each topic's schema is the one
 * ksqlDB (and Sluice, for VALUE_FORMAT='AVRO') generates for the columns the
 * example queries declare or write (config/sensors.sql, config/demo.sql),
 * so the files cannot drift from the queries; the processing log's schema
 * has ksqlDB's ProcessingLogMessage structure (documented in ksqlDB's
 * docs/reference/processing-log.md). Runs from the repository's root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <avro.h>
#include <dirent.h>
#include <jansson.h>

#include "common/arena.h"
#include "common/fileio.h"
#include "ops/topology.h"
#include "serde/avro.h"
#include "sql/catalog.h"

/* which source or sink of which queries file each topic schema describes */
static const struct {
    const char *file, *sql, *source;
} topic_schemas[] = {
    {"schemas/readings-value.avsc", "config/sensors.sql", "READINGS"},
    {"schemas/readings-value.avsc", "config/demo.sql", "READINGS"},
    {"schemas/HOT_READINGS-value.avsc", "config/sensors.sql", "HOT_READINGS"},
    {"schemas/HOT_READINGS-value.avsc", "config/demo.sql", "HOT_READINGS"},
    {"schemas/READINGS_PER_SITE-value.avsc", "config/sensors.sql", "READINGS_PER_SITE"},
    {"schemas/sensors-value.avsc", "config/demo.sql", "SENSORS"},
    {"schemas/SITE_SUMMARY-value.avsc", "config/demo.sql", "SITE_SUMMARY"},
    {"schemas/ALERTS-value.avsc", "config/demo.sql", "ALERTS"},
};

static void test_every_file_parses_with_avro_c(void **state)
{
    (void)state;
    DIR *d = opendir("schemas");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".avsc"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "schemas/%s", e->d_name);
        size_t size = 0;
        char *text = sl_read_file(path, &size);
        assert_non_null(text);
        avro_schema_t schema = NULL;
        if (avro_schema_from_json_length(text, size, &schema)) {
            fprintf(stderr, "%s: %s\n", path, avro_strerror());
            fail();
        }
        assert_int_equal(avro_typeof(schema), AVRO_RECORD);
        avro_schema_decref(schema);
        free(text);
        n++;
    }
    closedir(d);
    /* every topic schema above, and the processing log's */
    assert_int_equal(n, 7);
}

static sl_source *source_of(sl_topology *topo, const char *name)
{
    return sl_catalog_find((sl_catalog *)sl_topology_catalog(topo), name);
}

static void test_topic_schemas_are_what_the_queries_generate(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof topic_schemas / sizeof *topic_schemas; i++) {
        char *sql = sl_read_file(topic_schemas[i].sql, NULL);
        assert_non_null(sql);
        sl_error err = {0};
        sl_topology *topo = sl_topology_compile(sql, topic_schemas[i].sql, NULL, &err);
        if (!topo)
            fprintf(stderr, "%s: %s\n", topic_schemas[i].sql, err.msg);
        assert_non_null(topo);
        sl_source *src = source_of(topo, topic_schemas[i].source);
        assert_non_null(src);
        sl_serde_options opts = {.avro_record_name = "KsqlDataSourceSchema"};
        char *generated = sl_avro_schema_for(src->value_schema, &opts);
        json_t *want = json_loads(generated, 0, NULL);
        json_t *have = json_load_file(topic_schemas[i].file, 0, NULL);
        json_object_del(have, "doc"); /* what the topic is, for people */
        if (!have || !json_equal(want, have)) {
            char *pretty = json_dumps(want, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            fprintf(stderr, "%s differs from the schema of %s in %s:\n%s\n", topic_schemas[i].file,
                    topic_schemas[i].source, topic_schemas[i].sql, pretty);
            free(pretty);
            fail();
        }
        json_decref(want);
        json_decref(have);
        free(generated);
        sl_topology_destroy(topo);
        free(sql);
    }
}

/* The SQL type the schema reads as, in ksqlDB's DESCRIBE form. */
static const char *sql_type_of(const char *path, sl_arena *arena)
{
    char *text = sl_read_file(path, NULL);
    assert_non_null(text);
    sl_error err = {0};
    const sl_type *t = sl_avro_schema_to_type(text, arena, &err);
    free(text);
    if (!t)
        fprintf(stderr, "%s: %s\n", path, err.msg);
    assert_non_null(t);
    return sl_type_to_sql(arena, t);
}

static void test_processing_log_schema_is_ksqldbs(void **state)
{
    (void)state;
    sl_arena *arena = sl_arena_new(4096);
    /* ksqlDB's PROCESSING_LOG stream: LOGGER, LEVEL, TIME and the MESSAGE
     * struct with one optional struct per type of message */
    const char *want =
        "STRUCT<`logger` STRING, `level` STRING, `time` BIGINT, `message` STRUCT<`type` INTEGER, "
        "`deserializationError` STRUCT<`target` STRING, `errorMessage` STRING, `recordB64` STRING, "
        "`cause` ARRAY<STRING>, `topic` STRING>, "
        "`recordProcessingError` STRUCT<`errorMessage` STRING, `record` STRING, `cause` ARRAY<STRING>>, "
        "`productionError` STRUCT<`errorMessage` STRING>, "
        "`serializationError` STRUCT<`target` STRING, `errorMessage` STRING, `record` STRING, "
        "`cause` ARRAY<STRING>, `topic` STRING>, "
        "`kafkaStreamsThreadError` STRUCT<`errorMessage` STRING, `threadName` STRING, `cause` ARRAY<STRING>>>>";
    const char *have = sql_type_of("schemas/processing-log-value.avsc", arena);
    if (strcmp(want, have))
        fprintf(stderr, "want %s\nhave %s\n", want, have);
    assert_string_equal(want, have);
    sl_arena_destroy(arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_file_parses_with_avro_c),
        cmocka_unit_test(test_topic_schemas_are_what_the_queries_generate),
        cmocka_unit_test(test_processing_log_schema_is_ksqldbs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
