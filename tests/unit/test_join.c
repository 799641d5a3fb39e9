/* The join operator and the record times it reads, through a task: every
 * record a join discards is either dropped by ksqlDB's own rules (a NULL
 * join key, no match in an INNER join, a table update that triggers
 * nothing) or reported (processing log, fatal error, late-record count),
 * and each side's TIMESTAMP column is read the same way as by any other
 * query (BIGINT, TIMESTAMP, formatted string; NULL, unparsable and
 * negative values dropped and reported). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "ops/topology.h"

typedef struct tally {
    int outputs, errors, fatal;
    char last_error[600];
    int64_t last_time;
} tally;

static void on_output(void *ctx, const sl_record *r)
{
    tally *t = ctx;
    t->outputs++;
    t->last_time = r->timestamp;
}

static void on_error(void *ctx, const sl_record *src, const char *msg)
{
    tally *t = ctx;
    t->errors++;
    snprintf(t->last_error, sizeof t->last_error, "%s", msg);
    (void)src;
}

static void on_fatal(void *ctx, const sl_record *src, const char *msg)
{
    tally *t = ctx;
    t->fatal++;
    snprintf(t->last_error, sizeof t->last_error, "%s", msg);
    (void)src;
}

typedef struct input {
    const char *topic, *key, *value; /* value NULL: a tombstone */
    int64_t timestamp;
} input;

typedef struct run {
    sl_topology *topo;
    sl_task *task;
    sl_arena *arena;
    tally tally;
    sl_collector out;
} run;

static void run_open(run *r, const char *sql, const char *const *properties)
{
    sl_error err = {0};
    sl_compile_options opts = {.properties = properties};
    r->topo = sl_topology_compile(sql, "t.sql", &opts, &err);
    if (!r->topo)
        fail_msg("compile: %s", err.msg);
    r->task = sl_task_new(r->topo, 0);
    r->arena = sl_arena_new(0);
    memset(&r->tally, 0, sizeof r->tally);
    r->out = (sl_collector){.send = on_output, .processing_error = on_error, .ctx = &r->tally, .fatal_error = on_fatal};
}

/* feeds one record; returns what it caused */
static tally run_feed(run *r, input in)
{
    static int64_t offset;
    sl_error err = {0};
    memset(&r->tally, 0, sizeof r->tally);
    sl_record rec = {.topic = in.topic, .offset = offset++, .timestamp = in.timestamp, .key = in.key,
                     .key_len = in.key ? strlen(in.key) : 0, .value = in.value,
                     .value_len = in.value ? strlen(in.value) : 0};
    assert_int_equal(sl_task_process(r->task, &rec, r->arena, &r->out, &err), SL_OK);
    sl_arena_reset(r->arena);
    return r->tally;
}

static void run_close(run *r)
{
    sl_arena_destroy(r->arena);
    sl_task_destroy(r->task);
    sl_topology_destroy(r->topo);
}

#define ORDERS_FORMATTED                                                                                         \
    "CREATE STREAM O (ID STRING KEY, TS STRING, CODE STRING) WITH (KAFKA_TOPIC='o', VALUE_FORMAT='JSON', "    \
    "TIMESTAMP='ts', TIMESTAMP_FORMAT='yyyy-MM-dd''T''HH:mm:ssX');\n"
#define CUSTOMERS "CREATE TABLE C (ID STRING PRIMARY KEY, NAME STRING) WITH (KAFKA_TOPIC='c', VALUE_FORMAT='JSON');\n"

/* a stream side's formatted time: parsed, or the record dropped and logged */
static void test_formatted_time_on_a_join_side(void **state)
{
    run r;
    run_open(&r, ORDERS_FORMATTED CUSTOMERS "CREATE STREAM J AS SELECT O.ID AS ID, TS, NAME FROM O JOIN C ON O.ID = C.ID;\n",
             NULL);
    tally t = run_feed(&r, (input){"c", "a", "{\"NAME\": \"Ada\"}", 5});
    assert_int_equal(t.outputs + t.errors, 0); /* a table update triggers nothing */
    t = run_feed(&r, (input){"o", "a", "{\"TS\": \"2024-03-01T10:00:00Z\"}", 7});
    assert_int_equal(t.outputs, 1);
    assert_int_equal(t.last_time, 1709287200000);
    t = run_feed(&r, (input){"o", "a", "{\"TS\": null}", 7});
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 1);
    assert_non_null(strstr(t.last_error, "TS"));
    t = run_feed(&r, (input){"o", "a", "{\"TS\": \"yesterday\"}", 7});
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 1);
    assert_non_null(strstr(t.last_error, "yesterday"));
    run_close(&r);
}

/* ksql.timestamp.throw.on.invalid: an unparsable time stops the run */
static void test_invalid_time_can_be_fatal(void **state)
{
    static const char *const props[] = {"ksql.timestamp.throw.on.invalid", "true", NULL, NULL};
    run r;
    run_open(&r, ORDERS_FORMATTED CUSTOMERS "CREATE STREAM J AS SELECT O.ID AS ID, TS, NAME FROM O JOIN C ON O.ID = C.ID;\n",
             props);
    run_feed(&r, (input){"c", "a", "{\"NAME\": \"Ada\"}", 5});
    tally t = run_feed(&r, (input){"o", "a", "{\"TS\": \"soon\"}", 7});
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.fatal, 1);
    run_close(&r);
}

/* a negative extracted time: Kafka Streams skips the record; here it is
 * also reported, in a join as in a plain query, and never fatal */
static void test_negative_time_dropped_and_reported(void **state)
{
    static const char *const props[] = {"ksql.timestamp.throw.on.invalid", "true", NULL, NULL};
    run r;
    run_open(&r,
             "CREATE STREAM O (ID STRING KEY, TS BIGINT) WITH (KAFKA_TOPIC='o', VALUE_FORMAT='JSON', TIMESTAMP='ts');\n" CUSTOMERS
             "CREATE STREAM J AS SELECT O.ID AS ID, TS, NAME FROM O JOIN C ON O.ID = C.ID;\n"
             "CREATE STREAM P AS SELECT * FROM O;\n",
             props);
    run_feed(&r, (input){"c", "a", "{\"NAME\": \"Ada\"}", 5});
    tally t = run_feed(&r, (input){"o", "a", "{\"TS\": -5}", 7});
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 2); /* once per query */
    assert_int_equal(t.fatal, 0);
    t = run_feed(&r, (input){"o", "a", "{\"TS\": 0}", 7});
    assert_int_equal(t.outputs, 2);
    assert_int_equal(t.last_time, 0);
    run_close(&r);
}

/* a table's delete has no value columns: with a value TIMESTAMP column it
 * has no time and is dropped and reported, as ksqlDB's extractor fails on
 * it; with a key TIMESTAMP column it has one and applies */
static void test_table_delete_and_its_time(void **state)
{
    run r;
    run_open(&r,
             "CREATE TABLE T (ID STRING PRIMARY KEY, TS BIGINT, V INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', "
             "TIMESTAMP='ts');\n"
             "CREATE TABLE C AS SELECT * FROM T;\n"
             "CREATE TABLE K (ID BIGINT PRIMARY KEY, V INT) WITH (KAFKA_TOPIC='k', KEY_FORMAT='DELIMITED', "
             "VALUE_FORMAT='JSON', TIMESTAMP='id');\n"
             "CREATE TABLE D AS SELECT * FROM K;\n",
             NULL);
    tally t = run_feed(&r, (input){"t", "a", "{\"TS\": 100, \"V\": 1}", 7});
    assert_int_equal(t.outputs, 1);
    assert_int_equal(t.last_time, 100);
    t = run_feed(&r, (input){"t", "a", NULL, 8});
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 1);
    t = run_feed(&r, (input){"k", "200", "{\"V\": 1}", 7});
    assert_int_equal(t.outputs, 1);
    assert_int_equal(t.last_time, 200);
    t = run_feed(&r, (input){"k", "200", NULL, 8});
    assert_int_equal(t.outputs, 1); /* the delete goes on */
    assert_int_equal(t.errors, 0);
    assert_int_equal(t.last_time, 200);
    run_close(&r);
}

/* the join's own discards: NULL join key and no match are ksqlDB's rules
 * (silent); a join key or WHERE that fails to evaluate and a stream record
 * without a value are reported */
static void test_join_discards(void **state)
{
    run r;
    run_open(&r,
             "CREATE STREAM S (ID STRING KEY, CODE STRING, QTY INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
             "CREATE TABLE T (ID INT PRIMARY KEY, LABEL STRING) WITH (KAFKA_TOPIC='t', KEY_FORMAT='DELIMITED', VALUE_FORMAT='JSON');\n"
             "CREATE STREAM J AS SELECT T.ID AS ID, LABEL, QTY FROM S JOIN T ON CAST(S.CODE AS INT) = T.ID "
             "WHERE 10 / S.QTY > 1;\n",
             NULL);
    run_feed(&r, (input){"t", "1", "{\"LABEL\": \"one\"}", 0});
    tally t = run_feed(&r, (input){"s", "x", "{\"CODE\": \"1\", \"QTY\": 2}", 1});
    assert_int_equal(t.outputs, 1);
    t = run_feed(&r, (input){"s", "x", "{\"CODE\": \"2\", \"QTY\": 2}", 1}); /* no match */
    assert_int_equal(t.outputs + t.errors, 0);
    t = run_feed(&r, (input){"s", "x", "{\"CODE\": null, \"QTY\": 2}", 1}); /* NULL join key */
    assert_int_equal(t.outputs + t.errors, 0);
    t = run_feed(&r, (input){"s", "x", "{\"CODE\": \"one\", \"QTY\": 2}", 1}); /* key fails to evaluate */
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 1);
    t = run_feed(&r, (input){"s", "x", "{\"CODE\": \"1\", \"QTY\": 0}", 1}); /* WHERE fails to evaluate */
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 1);
    t = run_feed(&r, (input){"s", "x", NULL, 1}); /* a stream has no deletes */
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 1);
    t = run_feed(&r, (input){"s", "x", "{not json", 1});
    assert_int_equal(t.outputs, 0);
    assert_int_equal(t.errors, 1);
    run_close(&r);
}

/* a stream-stream join record older than its own window store keeps
 * (the store's largest time minus before + after + grace) is not stored, and
 * is counted with the late records; it still joins what the other side's
 * store holds, as in Kafka Streams (a late record is not dropped) */
static void test_late_join_records_counted(void **state)
{
    run r;
    run_open(&r,
             "CREATE STREAM L (ID INT KEY, A STRING) WITH (KAFKA_TOPIC='l', KEY_FORMAT='DELIMITED', VALUE_FORMAT='JSON');\n"
             "CREATE STREAM R (ID INT KEY, B STRING) WITH (KAFKA_TOPIC='r', KEY_FORMAT='DELIMITED', VALUE_FORMAT='JSON');\n"
             "CREATE STREAM J AS SELECT L.ID, A, B FROM L JOIN R WITHIN 10 SECONDS GRACE PERIOD 1 SECOND ON L.ID = R.ID;\n",
             NULL);
    run_feed(&r, (input){"r", "1", "{\"B\": \"r0\"}", 0});
    run_feed(&r, (input){"l", "2", "{\"A\": \"x\"}", 30000});
    tally t = run_feed(&r, (input){"l", "1", "{\"A\": \"late\"}", 5000});
    assert_int_equal(t.outputs, 1);
    assert_int_equal(t.errors, 0);
    sl_store_stats st;
    sl_task_store_stats(r.task, &st);
    assert_int_equal(st.late_dropped, 1);
    run_close(&r);
}

/* 70 joins of distinct streams: the topics of join i are ordered with
 * join i only (a mask of 64 bits by query index mod 64 made joins 0 and
 * 64 wait for each other's records) */
static void test_order_sets_of_many_joins_are_disjoint(void **state)
{
    (void)state;
    enum { joins = 70 };
    sl_strbuf sql;
    sl_strbuf_init(&sql);
    for (int i = 0; i < joins; i++)
        sl_strbuf_printf(&sql,
                          "CREATE STREAM L%d (K INT KEY, V INT) WITH (KAFKA_TOPIC='l%d', VALUE_FORMAT='JSON');\n"
                          "CREATE STREAM R%d (K INT KEY, W INT) WITH (KAFKA_TOPIC='r%d', VALUE_FORMAT='JSON');\n"
                          "CREATE STREAM J%d AS SELECT * FROM L%d JOIN R%d WITHIN 1 SECOND ON L%d.K = R%d.K;\n",
                          i, i, i, i, i, i, i, i, i);
    sl_error err = {0};
    sl_compile_options opts = {0};
    sl_topology *topo = sl_topology_compile(sql.data, "t.sql", &opts, &err);
    if (!topo)
        fail_msg("compile: %s", err.msg);
    int words = sl_topology_order_words(topo);
    assert_true(words * 64 >= joins);
    uint64_t *set = calloc((size_t)words, sizeof *set);
    char topic[16];
    for (int i = 0; i < joins; i++)
        for (int side = 0; side < 2; side++) {
            snprintf(topic, sizeof topic, "%c%d", side ? 'r' : 'l', i);
            sl_topology_order_set(topo, topic, set);
            for (int b = 0; b < words * 64; b++)
                assert_int_equal((set[b / 64] >> (b % 64)) & 1, b == i);
        }
    free(set);
    sl_topology_destroy(topo);
    sl_strbuf_free(&sql);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formatted_time_on_a_join_side),
        cmocka_unit_test(test_invalid_time_can_be_fatal),
        cmocka_unit_test(test_negative_time_dropped_and_reported),
        cmocka_unit_test(test_table_delete_and_its_time),
        cmocka_unit_test(test_join_discards),
        cmocka_unit_test(test_late_join_records_counted),
        cmocka_unit_test(test_order_sets_of_many_joins_are_disjoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
