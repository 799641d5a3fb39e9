/* The micro-batch (runtime/batch.h) with a recording driver: the
 * transaction's state machine (begin once per batch, commit, abort drops
 * the tasks and the coalesced updates, fatal is terminal), coalescing of
 * table updates, the changelog step, and depth-first chaining. The
 * expectations follow from the batch's contract, worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/batch.h"

typedef struct recorder {
    int begins, commits, aborts, tasks_started, changes, refused_changes;
    sl_txn_step begin_gives, commit_gives, abort_gives;
    bool refuse_changes;
    char produced[32][64]; /* "topic:key:value" */
    int nproduced;
    char changed[32][64]; /* "store-suffix:key" */
    int nchanged;
} recorder;

static bool task_started(void *ctx, sl_task *t)
{
    (void)t;
    ((recorder *)ctx)->tasks_started++;
    return true;
}

static sl_txn_step begin(void *ctx)
{
    recorder *r = ctx;
    r->begins++;
    return r->begin_gives;
}

static sl_txn_step commit(void *ctx)
{
    recorder *r = ctx;
    r->commits++;
    return r->commit_gives;
}

static sl_txn_step txn_abort(void *ctx)
{
    recorder *r = ctx;
    r->aborts++;
    return r->abort_gives;
}

static void produce(void *ctx, const sl_record *rec)
{
    recorder *r = ctx;
    if (r->nproduced < 32)
        snprintf(r->produced[r->nproduced++], 64, "%s:%.*s:%.*s", rec->topic, (int)(rec->key ? rec->key_len : 0),
                 rec->key ? (const char *)rec->key : "", (int)(rec->value ? rec->value_len : 0),
                 rec->value ? (const char *)rec->value : "");
}

static bool changelog(void *ctx, const sl_state_change *c)
{
    recorder *r = ctx;
    if (r->refuse_changes) {
        r->refused_changes++;
        return false;
    }
    r->changes++;
    if (r->nchanged < 32)
        snprintf(r->changed[r->nchanged++], 64, "%s", c->store);
    return true;
}

static const sl_batch_driver DRIVER = {.task_started = task_started,
                                       .begin = begin,
                                       .produce = produce,
                                       .changelog = changelog,
                                       .commit = commit,
                                       .abort = txn_abort};

static const char *TABLE_SQL =
    "CREATE STREAM s (id STRING KEY, v BIGINT) WITH (kafka_topic='s', value_format='JSON');\n"
    "CREATE TABLE t AS SELECT id, COUNT(*) AS n FROM s GROUP BY id;\n";

static sl_topology *compile(const char *sql)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(sql, "t.sql", NULL, &err);
    if (!t)
        fail_msg("%s", err.msg);
    return t;
}

static sl_batch *batch_for(const sl_topology *t, recorder *r, bool coalesce, bool chain)
{
    sl_batch_driver d = DRIVER;
    d.ctx = r;
    sl_batch_options o = {.coalesce_tables = coalesce, .chain_inline = chain};
    sl_batch *b = sl_batch_new(t, &o, &d);
    assert_non_null(b);
    return b;
}

static bool feed(sl_batch *b, const char *topic, const char *key, const char *value)
{
    static int64_t offset;
    sl_record rec = {.topic = topic, .partition = 0, .offset = offset++, .timestamp = 1000 + offset, .key = key,
                     .key_len = strlen(key), .value = value, .value_len = strlen(value)};
    return sl_batch_process(b, &rec);
}

/* begin at the first record only; commit closes; the next record opens a
 * new transaction */
static void one_transaction_per_batch(void **unused)
{
    (void)unused;
    sl_topology *t = compile(TABLE_SQL);
    recorder r = {0};
    sl_batch *b = batch_for(t, &r, true, false);
    assert_int_equal(sl_batch_state(b), SL_TXN_CLOSED);
    assert_true(feed(b, "s", "a", "{\"V\":1}"));
    assert_int_equal(sl_batch_state(b), SL_TXN_OPEN);
    assert_true(sl_batch_txn_open(b));
    assert_true(feed(b, "s", "b", "{\"V\":1}"));
    assert_int_equal(r.begins, 1);
    assert_int_equal(r.tasks_started, 1);
    assert_int_equal(sl_batch_commit(b), SL_TXN_CLOSED);
    assert_int_equal(r.commits, 1);
    assert_false(sl_batch_txn_open(b));
    /* committing a closed batch does nothing */
    assert_int_equal(sl_batch_commit(b), SL_TXN_CLOSED);
    assert_int_equal(r.commits, 1);
    assert_true(feed(b, "s", "a", "{\"V\":1}"));
    assert_int_equal(r.begins, 2);
    assert_int_equal(r.tasks_started, 1); /* the task lives on */
    sl_batch_destroy(b);
    sl_topology_destroy(t);
}

/* a table's updates to one key leave once, the latest, at commit; with
 * the record cache off each leaves as it is made. (An aggregate holds its
 * updates until the flush itself: a projection of a table passes each on.) */
static void table_updates_coalesce_per_batch(void **unused)
{
    (void)unused;
    sl_topology *t = compile("CREATE TABLE src (id STRING PRIMARY KEY, v BIGINT) WITH (kafka_topic='src', "
                             "value_format='JSON');\n"
                             "CREATE TABLE t AS SELECT id, v * 2 AS w FROM src;\n");
    for (int coalesce = 0; coalesce < 2; coalesce++) {
        recorder r = {0};
        sl_batch *b = batch_for(t, &r, coalesce, false);
        feed(b, "src", "a", "{\"V\":1}");
        feed(b, "src", "b", "{\"V\":5}");
        feed(b, "src", "a", "{\"V\":2}");
        assert_int_equal(r.nproduced, coalesce ? 0 : 3);
        sl_batch_commit(b);
        if (coalesce) {
            /* in the order the keys first changed */
            assert_int_equal(r.nproduced, 2);
            assert_string_equal(r.produced[0], "T:a:{\"W\":4}");
            assert_string_equal(r.produced[1], "T:b:{\"W\":10}");
        } else {
            assert_int_equal(r.nproduced, 3);
            assert_string_equal(r.produced[0], "T:a:{\"W\":2}");
            assert_string_equal(r.produced[2], "T:a:{\"W\":4}");
        }
        sl_batch_destroy(b);
    }
    sl_topology_destroy(t);
}

/* the changelog step: each changed key of a store once per batch */
static void changelog_takes_each_key_once(void **unused)
{
    (void)unused;
    sl_topology *t = compile(TABLE_SQL);
    recorder r = {0};
    sl_batch *b = batch_for(t, &r, true, false);
    feed(b, "s", "a", "{\"V\":1}");
    feed(b, "s", "a", "{\"V\":1}");
    feed(b, "s", "b", "{\"V\":1}");
    sl_batch_commit(b);
    assert_int_equal(r.changes, 2);
    feed(b, "s", "a", "{\"V\":1}");
    sl_batch_commit(b);
    assert_int_equal(r.changes, 3);
    sl_batch_destroy(b);
    sl_topology_destroy(t);
}

/* an abortable commit: the abort runs, the coalesced updates and the
 * tasks are forgotten, and the next record restores a new task */
static void abort_forgets_the_batch(void **unused)
{
    (void)unused;
    sl_topology *t = compile(TABLE_SQL);
    recorder r = {.commit_gives = SL_STEP_ABORT};
    sl_batch *b = batch_for(t, &r, true, false);
    feed(b, "s", "a", "{\"V\":1}");
    assert_int_equal(sl_batch_commit(b), SL_TXN_CLOSED);
    assert_int_equal(r.aborts, 1);
    int n;
    sl_task *const *tasks = sl_batch_tasks(b, &n);
    for (int i = 0; i < n; i++)
        assert_null(tasks[i]);
    r.commit_gives = SL_STEP_OK;
    int produced = r.nproduced;
    feed(b, "s", "a", "{\"V\":1}");
    assert_int_equal(r.tasks_started, 2);
    sl_batch_commit(b);
    /* the redone batch counts from the restored (here: empty) state */
    assert_int_equal(r.nproduced, produced + 1);
    assert_string_equal(r.produced[produced], "T:a:{\"N\":1}");
    sl_batch_destroy(b);
    sl_topology_destroy(t);
}

/* a changelog record the driver refuses aborts the batch before commit */
static void refused_changelog_aborts(void **unused)
{
    (void)unused;
    sl_topology *t = compile(TABLE_SQL);
    recorder r = {.refuse_changes = true};
    sl_batch *b = batch_for(t, &r, true, false);
    feed(b, "s", "a", "{\"V\":1}");
    feed(b, "s", "b", "{\"V\":1}");
    assert_int_equal(sl_batch_commit(b), SL_TXN_CLOSED);
    assert_int_equal(r.refused_changes, 1); /* the rest are not offered */
    assert_int_equal(r.commits, 0);
    assert_int_equal(r.aborts, 1);
    sl_batch_destroy(b);
    sl_topology_destroy(t);
}

/* fatal is terminal: no record is processed, nothing is committed, and
 * the transaction left open is reported for the driver to abort */
static void fatal_is_terminal(void **unused)
{
    (void)unused;
    sl_topology *t = compile(TABLE_SQL);
    recorder r = {.begin_gives = SL_STEP_FATAL};
    sl_batch *b = batch_for(t, &r, true, false);
    assert_false(feed(b, "s", "a", "{\"V\":1}"));
    assert_int_equal(sl_batch_state(b), SL_TXN_FATAL);
    assert_true(sl_batch_txn_open(b));
    assert_int_equal(sl_batch_commit(b), SL_TXN_FATAL);
    assert_int_equal(sl_batch_abort(b), SL_TXN_FATAL);
    assert_int_equal(r.commits + r.aborts, 0);
    assert_false(feed(b, "s", "b", "{\"V\":1}"));
    assert_int_equal(r.tasks_started, 0);
    sl_batch_destroy(b);

    /* a fatal commit, and a failure of the driver's own while closed */
    recorder r2 = {.commit_gives = SL_STEP_FATAL};
    b = batch_for(t, &r2, true, false);
    feed(b, "s", "a", "{\"V\":1}");
    assert_int_equal(sl_batch_commit(b), SL_TXN_FATAL);
    assert_true(sl_batch_txn_open(b));
    sl_batch_destroy(b);
    recorder r3 = {0};
    b = batch_for(t, &r3, true, false);
    sl_batch_fail(b);
    assert_int_equal(sl_batch_state(b), SL_TXN_FATAL);
    assert_false(sl_batch_txn_open(b));
    sl_batch_destroy(b);
    sl_topology_destroy(t);
}

/* chain_inline: a record written to a topic another query reads is run
 * through that query at once, before the next output of the first */
static void chained_records_run_depth_first(void **unused)
{
    (void)unused;
    sl_topology *t = compile("CREATE STREAM s (id STRING KEY, v BIGINT) WITH (kafka_topic='s', value_format='JSON');\n"
                             "CREATE STREAM a AS SELECT id, v FROM s;\n"
                             "CREATE STREAM b AS SELECT id, v * 10 AS w FROM a;\n");
    for (int chain = 0; chain < 2; chain++) {
        recorder r = {0};
        sl_batch *b = batch_for(t, &r, false, chain);
        feed(b, "s", "x", "{\"V\":1}");
        feed(b, "s", "y", "{\"V\":2}");
        sl_batch_commit(b);
        if (chain) {
            assert_int_equal(r.nproduced, 4);
            assert_string_equal(r.produced[0], "A:x:{\"V\":1}");
            assert_string_equal(r.produced[1], "B:x:{\"W\":10}");
            assert_string_equal(r.produced[2], "A:y:{\"V\":2}");
            assert_string_equal(r.produced[3], "B:y:{\"W\":20}");
        } else {
            /* through Kafka the chained record comes back as input later */
            assert_int_equal(r.nproduced, 2);
        }
        sl_batch_destroy(b);
    }
    sl_topology_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_transaction_per_batch),        cmocka_unit_test(table_updates_coalesce_per_batch),
        cmocka_unit_test(changelog_takes_each_key_once),    cmocka_unit_test(abort_forgets_the_batch),          cmocka_unit_test(refused_changelog_aborts),
        cmocka_unit_test(fatal_is_terminal),                cmocka_unit_test(chained_records_run_depth_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
