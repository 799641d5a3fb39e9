/* Record accounting (ops/fate.h): every record a query reads ends in one
 * fate, counted per query, with chained queries counted apart. The cases
 * are small and the counts worked out by hand from the semantics; the
 * differential tests (scripts/difftest) check the same counts against the
 * reference model on random streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ops/fate.h"
#include "runtime/memory_driver.h"

static json_t *stats_of(const char *sql, const char *inputs_json)
{
    json_error_t je;
    json_t *input = json_loads(inputs_json, 0, &je);
    assert_non_null(input);
    json_t *outputs = NULL, *stats = NULL;
    sl_error err = {0};
    int rc = sl_memory_run_stats(sql, "t.sql", input, NULL, &outputs, &stats, &err);
    if (rc)
        fail_msg("sluice test failed (%d): %s", rc, err.msg);
    json_decref(input);
    json_decref(outputs);
    return stats;
}

static long long count(json_t *stats, int query, const char *what)
{
    json_t *v = json_object_get(json_array_get(stats, (size_t)query), what);
    assert_non_null(v);
    return (long long)json_integer_value(v);
}

static void assert_balanced(json_t *stats)
{
    for (size_t i = 0; i < json_array_size(stats); i++) {
        assert_int_equal(count(stats, (int)i, "unaccounted"), 0);
        assert_int_equal(count(stats, (int)i, "overcounted"), 0);
        assert_int_equal(count(stats, (int)i, "read"),
                         count(stats, (int)i, "passed") + count(stats, (int)i, "filtered") +
                             count(stats, (int)i, "late") + count(stats, (int)i, "failed"));
    }
}

static const char *SOURCE = "CREATE STREAM s (id BIGINT KEY, v BIGINT) WITH (kafka_topic='s', value_format='JSON');\n";

/* a filter, a bad value and a stream tombstone */
static void filter_counts_each_fate(void **unused)
{
    char sql[512];
    snprintf(sql, sizeof sql, "%sCREATE STREAM o AS SELECT id, v FROM s WHERE v > 1;", SOURCE);
    json_t *st = stats_of(sql, "{\"inputs\":["
                               "{\"topic\":\"s\",\"key\":1,\"value\":{\"V\":5},\"timestamp\":1},"
                               "{\"topic\":\"s\",\"key\":1,\"value\":{\"V\":0},\"timestamp\":2},"
                               "{\"topic\":\"s\",\"key\":1,\"value\":\"bad\",\"timestamp\":3},"
                               "{\"topic\":\"s\",\"key\":1,\"value\":null,\"timestamp\":4}]}");
    assert_int_equal(count(st, 0, "read"), 4);
    assert_int_equal(count(st, 0, "passed"), 1);
    assert_int_equal(count(st, 0, "filtered"), 2);
    assert_int_equal(count(st, 0, "failed"), 1);
    assert_balanced(st);
    json_decref(st);
}

/* a record behind every window it falls in is late, not lost */
static void window_counts_late(void **unused)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "%sCREATE TABLE c AS SELECT id, COUNT(*) AS n FROM s "
             "WINDOW TUMBLING (SIZE 1 SECOND, GRACE PERIOD 0 SECONDS) GROUP BY id;",
             SOURCE);
    json_t *st = stats_of(sql, "{\"inputs\":["
                               "{\"topic\":\"s\",\"key\":1,\"value\":{\"V\":1},\"timestamp\":5000},"
                               "{\"topic\":\"s\",\"key\":2,\"value\":{\"V\":1},\"timestamp\":100},"
                               "{\"topic\":\"s\",\"key\":1,\"value\":{\"V\":1},\"timestamp\":5500}]}");
    assert_int_equal(count(st, 0, "read"), 3);
    assert_int_equal(count(st, 0, "passed"), 2);
    assert_int_equal(count(st, 0, "late"), 1);
    assert_balanced(st);
    json_decref(st);
}

/* a chained query counts the records the first one wrote, not its inputs */
static void chained_queries_counted_apart(void **unused)
{
    char sql[768];
    snprintf(sql, sizeof sql,
             "%sCREATE STREAM a AS SELECT id, v FROM s WHERE v > 0;\n"
             "CREATE STREAM b AS SELECT id, v FROM a WHERE v > 10;",
             SOURCE);
    json_t *st = stats_of(sql, "{\"inputs\":["
                               "{\"topic\":\"s\",\"key\":1,\"value\":{\"V\":5},\"timestamp\":1},"
                               "{\"topic\":\"s\",\"key\":1,\"value\":{\"V\":50},\"timestamp\":2},"
                               "{\"topic\":\"s\",\"key\":1,\"value\":{\"V\":-1},\"timestamp\":3}]}");
    assert_int_equal(count(st, 0, "read"), 3);
    assert_int_equal(count(st, 0, "passed"), 2);
    assert_int_equal(count(st, 1, "read"), 2);
    assert_int_equal(count(st, 1, "passed"), 1);
    assert_int_equal(count(st, 1, "filtered"), 1);
    assert_balanced(st);
    json_decref(st);
}

/* a stream-table join: no table row yet is filtered; a NULL join key too */
static void join_counts_misses(void **unused)
{
    const char *sql = "CREATE STREAM l (id BIGINT KEY, v BIGINT) WITH (kafka_topic='l', value_format='JSON');\n"
                      "CREATE TABLE r (id BIGINT PRIMARY KEY, w BIGINT) WITH (kafka_topic='r', value_format='JSON');\n"
                      "CREATE STREAM j AS SELECT l.id, v, w FROM l JOIN r ON l.id = r.id;";
    json_t *st = stats_of(sql, "{\"inputs\":["
                               "{\"topic\":\"l\",\"key\":1,\"value\":{\"V\":1},\"timestamp\":1},"
                               "{\"topic\":\"r\",\"key\":1,\"value\":{\"W\":7},\"timestamp\":2},"
                               "{\"topic\":\"l\",\"key\":1,\"value\":{\"V\":2},\"timestamp\":3},"
                               "{\"topic\":\"l\",\"key\":null,\"value\":{\"V\":3},\"timestamp\":4}]}");
    assert_int_equal(count(st, 0, "read"), 4);
    assert_int_equal(count(st, 0, "passed"), 2); /* the table row and the match */
    assert_int_equal(count(st, 0, "filtered"), 2);
    assert_balanced(st);
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filter_counts_each_fate),
        cmocka_unit_test(window_counts_late),
        cmocka_unit_test(chained_queries_counted_apart),
        cmocka_unit_test(join_counts_misses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
