/* Stateful operators end to end through the memory driver: stream-stream
 * join buffers and their retention, session merges across out-of-order
 * records, and EMIT FINAL emitting each closed window once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/arena.h"
#include "ops/topology.h"
#include "runtime/memory_driver.h"

/* runs sql over inputs ([topic, key, value-json, timestamp]...), returns outputs */
static json_t *run(const char *sql, const char *inputs_json)
{
    json_error_t je;
    json_t *input = json_loads(inputs_json, 0, &je);
    assert_non_null(input);
    json_t *outputs = NULL;
    sl_error err = {0};
    int rc = sl_memory_run(sql, "t.sql", input, NULL, &outputs, &err);
    if (rc)
        fail_msg("sluice test failed (%d): %s", rc, err.msg);
    json_decref(input);
    return outputs;
}

static json_t *on_topic(json_t *outputs, const char *topic)
{
    json_t *r = json_array();
    for (size_t i = 0; i < json_array_size(outputs); i++) {
        json_t *o = json_array_get(outputs, i);
        if (!strcmp(json_string_value(json_object_get(o, "topic")), topic))
            json_array_append(r, o);
    }
    return r;
}

typedef struct counts {
    int outputs, errors;
} counts;

static void count_output(void *ctx, const sl_record *r)
{
    ((counts *)ctx)->outputs++;
    (void)r;
}

static void count_error(void *ctx, const sl_record *src, const char *msg)
{
    ((counts *)ctx)->errors++;
    (void)src, (void)msg;
}

/* feeds (key, value) records through a task of sql, counting outputs and
 * processing-log entries */
static counts feed(const char *sql, const char *const *records, int n)
{
    sl_error err = {0};
    sl_topology *topo = sl_topology_compile(sql, "t.sql", NULL, &err);
    if (!topo)
        fail_msg("compile: %s", err.msg);
    sl_task *task = sl_task_new(topo, 0);
    sl_arena *arena = sl_arena_new(0);
    counts c = {0};
    sl_collector out = {.send = count_output, .processing_error = count_error, .ctx = &c};
    for (int i = 0; i < n; i++) {
        sl_record rec = {.topic = "s", .offset = i, .timestamp = 1000, .key = records[2 * i],
                         .key_len = strlen(records[2 * i]), .value = records[2 * i + 1],
                         .value_len = strlen(records[2 * i + 1])};
        assert_int_equal(sl_task_process(task, &rec, arena, &out, &err), SL_OK);
        sl_arena_reset(arena);
    }
    sl_task_flush(task, arena, &out, &err);
    sl_arena_destroy(arena);
    sl_task_destroy(task);
    sl_topology_destroy(topo);
    return c;
}

/* a WHERE on the key alone runs before the value is decoded: a record it
 * rejects costs no decoding, so a malformed value there is not reported;
 * one it keeps is decoded and reported as usual */
static void test_key_only_filter_runs_before_the_value(void **state)
{
    const char *records[] = {"1", "{not json", "123", "{not json", "246", "{\"V\": 5}", "7", "{\"V\": 1}"};
    counts on_key = feed("CREATE STREAM S (K INT KEY, V INT) WITH (KAFKA_TOPIC='s', KEY_FORMAT='DELIMITED', VALUE_FORMAT='JSON');\n"
                         "CREATE STREAM O AS SELECT K, V FROM S WHERE K % 123 = 0;\n",
                         records, 4);
    assert_int_equal(on_key.outputs, 1);
    assert_int_equal(on_key.errors, 1); /* key 123's value, not key 1's */
    counts on_value = feed("CREATE STREAM S (K INT KEY, V INT) WITH (KAFKA_TOPIC='s', KEY_FORMAT='DELIMITED', VALUE_FORMAT='JSON');\n"
                           "CREATE STREAM O AS SELECT K, V FROM S WHERE V > 2;\n",
                           records, 4);
    assert_int_equal(on_value.outputs, 1);
    assert_int_equal(on_value.errors, 2);
}

/* which partitions a task must take in time order together: a join's two
 * sides, through the repartition topic when a side is repartitioned first;
 * an aggregation's input and anything else go in fetch order */
static void test_order_sets(void **state)
{
    const char *sql =
        "CREATE TABLE A (ID STRING PRIMARY KEY, C INT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON');\n"
        "CREATE STREAM B (ID STRING KEY, AUCTION STRING, P INT) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON');\n"
        "CREATE STREAM J AS SELECT B.AUCTION AS AUCTION, P, C FROM B JOIN A ON B.AUCTION = A.ID;\n"
        "CREATE TABLE T AS SELECT AUCTION, COUNT(*) AS N FROM B GROUP BY AUCTION;\n";
    sl_error err = {0};
    sl_compile_options opts = {.internal_topic_prefix = "app-"};
    sl_topology *topo = sl_topology_compile(sql, "t.sql", &opts, &err);
    if (!topo)
        fail_msg("compile: %s", err.msg);
    const char *join_repartition = NULL, *agg_repartition = NULL;
    for (int i = 0; i < sl_topology_topic_count(topo); i++) {
        const char *name = sl_topology_topic(topo, i)->name;
        if (sl_topology_is_repartition_topic(topo, name)) {
            if (strstr(name, "CSAS_J"))
                join_repartition = name;
            else
                agg_repartition = name;
        }
    }
    assert_non_null(join_repartition);
    assert_non_null(agg_repartition);
    assert_int_equal(sl_topology_order_words(topo), 1); /* two queries */
    uint64_t table, repartition, stream, agg;
    sl_topology_order_set(topo, "a", &table);
    sl_topology_order_set(topo, join_repartition, &repartition);
    sl_topology_order_set(topo, "b", &stream);
    sl_topology_order_set(topo, agg_repartition, &agg);
    assert_true(table != 0);
    assert_true((table & repartition) != 0);
    assert_int_equal(stream, 0); /* repartitioned before the join */
    assert_int_equal(agg, 0);    /* an aggregation reads one topic */
    sl_topology_destroy(topo);
}

static void test_stream_stream_join_retention(void **state)
{
    const char *sql =
        "CREATE STREAM L (ID INT KEY, A STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON');\n"
        "CREATE STREAM R (ID INT KEY, B STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON');\n"
        "CREATE STREAM J AS SELECT L.ID, A, B FROM L JOIN R WITHIN 10 SECONDS GRACE PERIOD 0 SECONDS ON L.ID = R.ID;\n";
    /* Each side's window store keeps its records for before + after + grace
     * (20 s) behind the largest time put in that store, not behind the
     * other side's time: l records up to 25 s leave r's store as it is, so
     * an l at 9 s still finds the r at 0; once r's store has seen 25 s,
     * the r at 0 is gone and an l at 8 s finds nothing. */
    json_t *out = run(sql, "{\"inputs\":["
                           "{\"topic\":\"r\",\"key\":1,\"value\":{\"B\":\"r0\"},\"timestamp\":0},"
                           "{\"topic\":\"l\",\"key\":1,\"value\":{\"A\":\"l5\"},\"timestamp\":5000},"
                           "{\"topic\":\"l\",\"key\":2,\"value\":{\"A\":\"x\"},\"timestamp\":25000},"
                           "{\"topic\":\"l\",\"key\":1,\"value\":{\"A\":\"l9\"},\"timestamp\":9000},"
                           "{\"topic\":\"r\",\"key\":2,\"value\":{\"B\":\"r25\"},\"timestamp\":25000},"
                           "{\"topic\":\"l\",\"key\":1,\"value\":{\"A\":\"l8\"},\"timestamp\":8000}]}");
    json_t *j = on_topic(out, "J");
    assert_int_equal(json_array_size(j), 3);
    const char *want[3][2] = {{"l5", "r0"}, {"l9", "r0"}, {"x", "r25"}};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(json_array_get(j, (size_t)i), "value");
        assert_string_equal(json_string_value(json_object_get(v, "A")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(v, "B")), want[i][1]);
    }
    json_decref(j);
    json_decref(out);
}

static void test_session_merge_out_of_order(void **state)
{
    const char *sql = "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
                      "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S WINDOW SESSION (20 SECONDS) GROUP BY K;\n";
    /* 0 and 30 s are two sessions (30 s apart, gap 20 s); 15 s, arriving
     * after both, bridges them into one, which 22 s then extends */
    json_t *out = run(sql, "{\"inputs\":["
                           "{\"topic\":\"s\",\"key\":\"k\",\"value\":{\"V\":1},\"timestamp\":0},"
                           "{\"topic\":\"s\",\"key\":\"k\",\"value\":{\"V\":1},\"timestamp\":30000},"
                           "{\"topic\":\"s\",\"key\":\"k\",\"value\":{\"V\":1},\"timestamp\":15000},"
                           "{\"topic\":\"s\",\"key\":\"k\",\"value\":{\"V\":1},\"timestamp\":22000}]}");
    json_t *t = on_topic(out, "T");
    json_t *last = json_array_get(t, json_array_size(t) - 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(last, "value"), "C")), 4);
    json_t *w = json_object_get(last, "window");
    assert_int_equal(json_integer_value(json_object_get(w, "start")), 0);
    assert_int_equal(json_integer_value(json_object_get(w, "end")), 30000);
    json_decref(t);
    json_decref(out);
}

static void test_emit_final_once_per_window(void **state)
{
    const char *sql =
        "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
        "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) "
        "GROUP BY K EMIT FINAL;\n";
    json_t *out = run(sql, "{\"inputs\":["
                           "{\"topic\":\"s\",\"key\":\"a\",\"value\":{\"V\":1},\"timestamp\":1000},"
                           "{\"topic\":\"s\",\"key\":\"a\",\"value\":{\"V\":1},\"timestamp\":2000},"
                           "{\"topic\":\"s\",\"key\":\"a\",\"value\":{\"V\":1},\"timestamp\":12000},"
                           "{\"topic\":\"s\",\"key\":\"a\",\"value\":{\"V\":1},\"timestamp\":13000},"
                           "{\"topic\":\"s\",\"key\":\"a\",\"value\":{\"V\":1},\"timestamp\":3000}]}");
    json_t *t = on_topic(out, "T");
    /* [0, 10 s) closes when stream time reaches 10 s: emitted once with 2;
     * the record at 3 s is late and dropped; [10 s, 20 s) is still open */
    assert_int_equal(json_array_size(t), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(t, 0), "value"), "C")), 2);
    json_decref(t);
    json_decref(out);
}


static void discard(void *ctx, const sl_record *r)
{
    (void)ctx;
    (void)r;
}
static void no_error(void *ctx, const sl_record *r, const char *m)
{
    (void)ctx;
    (void)r;
    fail_msg("unexpected processing error: %s", m);
}

/* records too late for their closed windows are dropped and counted */
static void test_late_records_counted(void **state)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(
        "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
        "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 SECOND) "
        "GROUP BY K;\n",
        "t.sql", NULL, &err);
    assert_non_null(t);
    sl_task *task = sl_task_new(t, 0);
    sl_arena *a = sl_arena_new(0);
    sl_collector out = {.send = discard, .processing_error = no_error};
    int64_t times[] = {1000, 25000, 10500, 9000, 26000, 14000};
    for (int i = 0; i < 6; i++) {
        sl_record r = {.topic = "s", .offset = i, .timestamp = times[i], .key = "k", .key_len = 1,
                       .value = "{\"V\": 1}", .value_len = 8};
        assert_int_equal(sl_task_process(task, &r, a, &out, &err), SL_OK);
        sl_arena_reset(a);
    }
    sl_store_stats st;
    sl_task_store_stats(task, &st);
    /* at stream time 25 s windows ending by 24 s are closed: the records at
     * 10.5 s and 14 s ([10 s, 20 s)) and 9 s ([0, 10 s)) are late */
    assert_int_equal(st.late_dropped, 3);
    assert_int_equal(st.entries, 2); /* [0, 10 s) and [20 s, 30 s) */
    sl_arena_destroy(a);
    sl_task_destroy(task);
    sl_topology_destroy(t);
}

/* ---- restore: a task rebuilt from another's stores goes on as it would ---- */

typedef struct outlog {
    char text[4096];
    size_t len;
} outlog;

static void log_output(void *ctx, const sl_record *r)
{
    outlog *o = ctx;
    int n = snprintf(o->text + o->len, sizeof o->text - o->len, "%.*s|%.*s|%lld;", (int)r->key_len,
                     r->key ? (const char *)r->key : "", (int)r->value_len, r->value ? (const char *)r->value : "-",
                     (long long)r->timestamp);
    if (n > 0 && o->len + (size_t)n < sizeof o->text)
        o->len += (size_t)n;
}

typedef struct store_list {
    sl_store *stores[8];
    int n;
} store_list;

static void list_store(void *ctx, sl_store *store)
{
    store_list *l = ctx;
    if (l->n < 8)
        l->stores[l->n++] = store;
}

static bool copy_entry(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    sl_store_put(ctx, key, klen, val, vlen);
    return true;
}

static void process_all(sl_task *task, const char *const *keys, const int64_t *times, int from, int to,
                        sl_collector *out)
{
    sl_error err = {0};
    sl_arena *a = sl_arena_new(0);
    for (int i = from; i < to; i++) {
        sl_record r = {.topic = "s", .offset = i, .timestamp = times[i], .key = keys[i], .key_len = strlen(keys[i]),
                       .value = "{\"V\": 1}", .value_len = 8};
        assert_int_equal(sl_task_process(task, &r, a, out, &err), SL_OK);
        sl_task_flush(task, a, out, &err);
        sl_arena_reset(a);
    }
    sl_arena_destroy(a);
}

/* Runs the records through one task, and through a second one that takes
 * over the first one's stores (as a restore does) after `split` records:
 * both must write the same records after the split. */
static void check_restore_keeps_windows(const char *sql, const char *const *keys, const int64_t *times, int n,
                                        int split)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(sql, "t.sql", NULL, &err);
    if (!t)
        fail_msg("compile: %s", err.msg);
    sl_task *first = sl_task_new(t, 0), *second = sl_task_new(t, 0);
    outlog before = {{0}, 0}, a_after = {{0}, 0}, b_after = {{0}, 0};
    sl_collector out_before = {.send = log_output, .processing_error = no_error, .ctx = &before};
    process_all(first, keys, times, 0, split, &out_before);
    store_list la = {{0}, 0}, lb = {{0}, 0};
    sl_task_foreach_store(first, list_store, &la);
    sl_task_foreach_store(second, list_store, &lb);
    assert_int_equal(la.n, lb.n);
    for (int i = 0; i < la.n; i++) {
        sl_store_foreach(la.stores[i], copy_entry, lb.stores[i]);
        if (sl_store_stream_time(la.stores[i]) != INT64_MIN)
            sl_store_advance_stream_time(lb.stores[i], sl_store_stream_time(la.stores[i]));
    }
    sl_task_after_restore(second);
    sl_collector out_a = {.send = log_output, .processing_error = no_error, .ctx = &a_after}, out_b = {.send = log_output, .processing_error = no_error, .ctx = &b_after};
    process_all(first, keys, times, split, n, &out_a);
    process_all(second, keys, times, split, n, &out_b);
    assert_true(a_after.len > 0);
    assert_string_equal(a_after.text, b_after.text);
    sl_task_destroy(first);
    sl_task_destroy(second);
    sl_topology_destroy(t);
}

static void test_restore_keeps_windows(void **state)
{
    const char *keys[] = {"a", "b", "a", "c", "a", "b", "c", "a", "b", "a"};
    const int64_t times[] = {0, 100, 3000, 200, 1500, 4500, 9000, 20000, 9100, 60000};
    const char *src = "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n";
    const char *queries[] = {
        /* sessions pending at the split are emitted after it; an emitted
         * session kept by RETENTION merges again */
        "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S WINDOW SESSION (2 SECONDS, RETENTION 1 DAY, "
        "GRACE PERIOD 0 SECONDS) GROUP BY K EMIT FINAL;\n",
        "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S WINDOW SESSION (2 SECONDS, RETENTION 1 DAY, "
        "GRACE PERIOD 0 SECONDS) GROUP BY K;\n",
        /* time windows kept by RETENTION are emitted after the split */
        "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S WINDOW TUMBLING (SIZE 1 SECOND, RETENTION 1 DAY) "
        "GROUP BY K EMIT FINAL;\n",
    };
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        char sql[1024];
        snprintf(sql, sizeof sql, "%s%s", src, queries[q]);
        for (int split = 1; split < 9; split++)
            check_restore_keeps_windows(sql, keys, times, 10, split);
    }
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_only_filter_runs_before_the_value),
        cmocka_unit_test(test_order_sets),
        cmocka_unit_test(test_stream_stream_join_retention),
        cmocka_unit_test(test_session_merge_out_of_order),
        cmocka_unit_test(test_emit_final_once_per_window),
        cmocka_unit_test(test_late_records_counted),
        cmocka_unit_test(test_restore_keeps_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
