/* Restore against a real broker while the changelog's last transaction is
 * still open: the cases that cost exactly-once under rebalancing before.
 *
 * A transactional producer writes a store's changes to its changelog and
 * holds the transaction open; a fresh task is restored meanwhile in another
 * thread. The restore must wait for the transaction to end, then hold every
 * change if it committed and none if it aborted. It is the changelog's
 * first transaction, so a read_committed client sees its last stable
 * offset equal to the low watermark, as if the changelog were empty: a
 * restore that trusts that end returns at once with nothing (the lost
 * window updates and join rows the verifier found).
 *
 * usage: restore_pending BOOTSTRAP (run by test_restore_pending.sh) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/log.h"
#include "ops/topology.h"
#include "runtime/changelog.h"

static const char *bootstrap;
static char app[128];

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *const *kv)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof errstr))
        die("%s", errstr);
    for (; kv && kv[0]; kv += 2)
        if (rd_kafka_conf_set(conf, kv[0], kv[1], errstr, sizeof errstr))
            die("%s=%s: %s", kv[0], kv[1], errstr);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk)
        die("cannot create a client: %s", errstr);
    return rk;
}

static sl_store *first_store;
static void take_first(void *ctx, sl_store *store)
{
    (void)ctx;
    if (!first_store)
        first_store = store;
}

static sl_store *store_of(sl_task *task)
{
    first_store = NULL;
    sl_task_foreach_store(task, take_first, NULL);
    if (!first_store)
        die("the topology has no store");
    return first_store;
}

static void create_topic(const char *name, int partitions)
{
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
    char errstr[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, partitions, 1, errstr, sizeof errstr);
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    if (!ev)
        die("creating %s timed out", name);
    size_t n;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    if (n != 1 || rd_kafka_topic_result_error(res[0]))
        die("cannot create %s: %s", name, n ? rd_kafka_topic_result_error_string(res[0]) : "no result");
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    /* the leader must be known before the transaction writes to it */
    for (int64_t deadline = now_ms() + 15000; now_ms() < deadline; usleep(100000)) {
        int64_t lo, hi;
        if (!rd_kafka_query_watermark_offsets(rk, name, 0, &lo, &hi, 5000))
            break;
    }
    rd_kafka_destroy(rk);
}

static void check(rd_kafka_error_t *e, const char *what)
{
    if (e)
        die("%s: %s", what, rd_kafka_error_string(e));
}

typedef struct restore_job {
    sl_task *task;
    int64_t applied, took_ms;
} restore_job;

static void *restore_thread(void *arg)
{
    restore_job *j = arg;
    const char *rc[] = {"group.id", "restore-test", "isolation.level", "read_committed", "enable.partition.eof", "true",
                        "auto.offset.reset", "earliest", "fetch.wait.max.ms", "10", NULL};
    const char *hc[] = {"group.id", "restore-test", "isolation.level", "read_uncommitted", NULL};
    rd_kafka_t *restorer = client(RD_KAFKA_CONSUMER, rc), *hw = client(RD_KAFKA_CONSUMER, hc);
    int64_t t0 = now_ms();
    j->applied = sl_changelog_restore(restorer, hw, app, NULL, j->task);
    j->took_ms = now_ms() - t0;
    rd_kafka_consumer_close(restorer);
    rd_kafka_destroy(restorer);
    rd_kafka_destroy(hw);
    return NULL;
}

/* writes `keys` changes in a transaction held open for hold_ms while a
 * fresh task restores, then commits or aborts; returns the entries the
 * restored store holds */
static size_t scenario(const sl_topology *topo, const char *txid, int keys, int hold_ms, bool commit,
                       int64_t *took_ms)
{
    const char *pc[] = {"transactional.id", txid, "linger.ms", "0", NULL};
    rd_kafka_t *producer = client(RD_KAFKA_PRODUCER, pc);
    check(rd_kafka_init_transactions(producer, 30000), "init_transactions");
    check(rd_kafka_begin_transaction(producer), "begin_transaction");

    sl_task *writer = sl_task_new(topo, 0);
    sl_store *ws = store_of(writer);
    sl_store_track_changes(ws, true);
    for (int i = 0; i < keys; i++) {
        char k[32], v[32];
        int kl = snprintf(k, sizeof k, "key-%d", i), vl = snprintf(v, sizeof v, "value-%d", i);
        sl_store_put(ws, k, (size_t)kl, v, (size_t)vl);
    }
    if (sl_changelog_write(producer, app, writer) != keys)
        die("the changelog write did not produce %d records", keys);
    if (rd_kafka_flush(producer, 30000))
        die("flush timed out"); /* appended, so the high watermark covers them */

    restore_job job = {.task = sl_task_new(topo, 0)};
    pthread_t th;
    pthread_create(&th, NULL, restore_thread, &job);
    usleep((useconds_t)hold_ms * 1000);
    if (commit)
        check(rd_kafka_commit_transaction(producer, -1), "commit_transaction");
    else
        check(rd_kafka_abort_transaction(producer, -1), "abort_transaction");
    pthread_join(th, NULL);
    if (job.applied < 0)
        die("restore failed");
    size_t n = sl_store_count(store_of(job.task));
    *took_ms = job.took_ms;
    sl_task_destroy(job.task);
    sl_task_destroy(writer);
    rd_kafka_destroy(producer);
    return n;
}

static void store_name(void *ctx, const char *name)
{
    char topic[640];
    sl_changelog_topic(ctx, name, topic, sizeof topic);
    create_topic(topic, 1);
}

static sl_topology *compile(const char *sql)
{
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s-", app);
    sl_compile_options opts = {.internal_topic_prefix = prefix};
    sl_error err = {0};
    sl_topology *topo = sl_topology_compile(sql, "restore_pending.sql", &opts, &err);
    if (!topo)
        die("compile: %s", err.msg);
    sl_changelog_store_names(topo, store_name, app);
    return topo;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: restore_pending BOOTSTRAP");
    bootstrap = argv[1];
    sl_log_set_level(SL_LOG_WARN);
    const int hold_ms = 1500, keys = 500;
    const char *sql = "CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='restore_pending_in', VALUE_FORMAT='JSON');\n"
                      "CREATE TABLE t AS SELECT k, COUNT(*) AS n FROM s GROUP BY k EMIT CHANGES;\n";
    char txid[200];
    int64_t took;

    snprintf(app, sizeof app, "restore_pending_commit_%d_%lld", (int)getpid(), (long long)time(NULL));
    sl_topology *topo = compile(sql);
    snprintf(txid, sizeof txid, "%s-tx", app);
    size_t n = scenario(topo, txid, keys, hold_ms, true, &took);
    if (n != (size_t)keys)
        die("committed transaction: restored %zu of %d entries in %lld ms", n, keys, (long long)took);
    if (took < hold_ms - 200)
        die("committed transaction: restore returned after %lld ms, before the commit", (long long)took);
    printf("restore waited %lld ms for the open transaction and restored %zu of %d entries after its commit\n",
           (long long)took, n, keys);
    sl_topology_destroy(topo);

    snprintf(app, sizeof app, "restore_pending_abort_%d_%lld", (int)getpid(), (long long)time(NULL));
    topo = compile(sql);
    snprintf(txid, sizeof txid, "%s-tx", app);
    n = scenario(topo, txid, keys, hold_ms, false, &took);
    if (n != 0)
        die("aborted transaction: restored %zu entries, want none", n);
    if (took < hold_ms - 200)
        die("aborted transaction: restore returned after %lld ms, before the abort", (long long)took);
    printf("restore waited %lld ms for the open transaction and restored nothing after its abort\n", (long long)took);
    sl_topology_destroy(topo);
    printf("PASS restore with a pending transaction\n");
    return 0;
}
