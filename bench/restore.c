/* Restore benchmark: how long a task takes to rebuild a store of N keys from
 * its changelog, against the baseline of a raw read_committed consume of the
 * same changelog partition (the floor: restore cannot read faster than the
 * consumer). The changelog is written the way `sluice run` writes it: one
 * transaction per batch of changes, key and value bytes, the stream time
 * header. Prints the median of the runs and the ratio restore / raw.
 *
 * usage: bench_restore BOOTSTRAP [N_KEYS] [RUNS] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "ops/topology.h"
#include "runtime/changelog.h"
#include "state/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_restore: %s: %s\n", what, why);
    exit(1);
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstrap, const char *const *kv)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof err))
        die("config", err);
    for (; kv && kv[0]; kv += 2)
        if (rd_kafka_conf_set(c, kv[0], kv[1], err, sizeof err))
            die(kv[0], err);
    rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof err);
    if (!rk)
        die("client", err);
    return rk;
}

/* N keys, each written once, in transactions of 10,000 changes */
static void write_changelog(const char *bootstrap, const char *topic, long n)
{
    const char *kv[] = {"transactional.id", "bench-restore-writer", "linger.ms", "20", NULL};
    rd_kafka_t *p = client(RD_KAFKA_PRODUCER, bootstrap, kv);
    rd_kafka_error_t *e = rd_kafka_init_transactions(p, 60000);
    if (e)
        die("init_transactions", rd_kafka_error_string(e));
    char key[32], val[16], st[24];
    for (long i = 0; i < n; i++) {
        if (i % 10000 == 0 && (e = rd_kafka_begin_transaction(p)))
            die("begin_transaction", rd_kafka_error_string(e));
        int kl = snprintf(key, sizeof key, "key-%ld", i);
        memset(val, (int)(i & 0x7f), sizeof val); /* an aggregate of ~16 bytes, like COUNT+SUM in valcodec */
        int sl = snprintf(st, sizeof st, "%ld", 1700000000000L + i);
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, (size_t)kl),
                RD_KAFKA_V_VALUE(val, sizeof val), RD_KAFKA_V_HEADER(SL_CHANGELOG_TIME_HEADER, st, sl),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(p, 10);
                continue;
            }
            if (err)
                die("produce", rd_kafka_err2str(err));
            break;
        }
        if (i % 10000 == 9999 || i == n - 1) {
            if ((e = rd_kafka_commit_transaction(p, -1)))
                die("commit_transaction", rd_kafka_error_string(e));
        }
    }
    rd_kafka_destroy(p);
}

/* the restore consumer's settings, so that the baseline reads the same way */
static const char *const reader_conf[] = {"group.id", "bench-restore-reader", "isolation.level", "read_committed",
                                          "enable.auto.commit", "false", "enable.partition.eof", "true",
                                          "fetch.wait.max.ms", "10", NULL};

static double raw_consume(const char *bootstrap, const char *topic, long n)
{
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bootstrap, reader_conf);
    double t0 = now_s();
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    long got = 0;
    size_t bytes = 0;
    for (;;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 1000);
        if (!m)
            continue;
        bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        if (!m->err) {
            got++;
            bytes += m->len + m->key_len; /* touch the record, as restore does */
        }
        rd_kafka_message_destroy(m);
        if (eof)
            break;
    }
    double dt = now_s() - t0;
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    if (got != n)
        fprintf(stderr, "bench_restore: raw consume read %ld of %ld records (%zu bytes)\n", got, n, bytes);
    return dt;
}

static double restore(const char *bootstrap, const sl_topology *topo, const char *app, long n)
{
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bootstrap, reader_conf);
    sl_task *task = sl_task_new(topo, 0);
    double t0 = now_s();
    int64_t applied = sl_changelog_restore(c, NULL, app, NULL, task);
    double dt = now_s() - t0;
    sl_store_stats st;
    sl_task_store_stats(task, &st);
    if (applied != n || (long)st.entries != n)
        fprintf(stderr, "bench_restore: restore applied %" PRId64 " records, store holds %zu of %ld keys\n", applied,
                st.entries, n);
    sl_task_destroy(task);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return dt;
}

typedef struct changelog_name {
    char *topic; /* 640 bytes */
    const char *app;
} changelog_name;

static void name_of(void *ctx, sl_store *store)
{
    changelog_name *no = ctx;
    sl_changelog_topic(no->app, sl_store_name(store), no->topic, 640);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_restore BOOTSTRAP [N_KEYS] [RUNS]\n");
        return 2;
    }
    const char *bootstrap = argv[1];
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int runs = argc > 3 ? atoi(argv[3]) : 3;
    if (runs < 1 || runs > 15 || n < 1)
        die("arguments", "N_KEYS >= 1, 1 <= RUNS <= 15");
    char app[64];
    snprintf(app, sizeof app, "bench-restore-%ld", (long)time(NULL));
    sl_error err = {0};
    sl_topology *topo = sl_topology_compile(
        "CREATE STREAM s (k STRING KEY, v BIGINT) WITH (KAFKA_TOPIC='bench_restore_in', VALUE_FORMAT='JSON');\n"
        "CREATE TABLE counts AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM s GROUP BY k;\n",
        "restore.sql", NULL, &err);
    if (!topo)
        die("compile", err.msg);
    /* the one store of that query, named as sluice run names its changelog */
    sl_task *probe = sl_task_new(topo, 0);
    char topic[640] = "";
    changelog_name no = {topic, app};
    sl_task_foreach_store(probe, name_of, &no);
    sl_task_destroy(probe);
    printf("restore benchmark: %ld keys in %s (partition 0)\n", n, topic);
    write_changelog(bootstrap, topic, n);
    double raw[15], rest[15];
    for (int r = 0; r < runs; r++) {
        raw[r] = raw_consume(bootstrap, topic, n);
        rest[r] = restore(bootstrap, topo, app, n);
        printf("  run %d: raw consume %.2f s, restore %.2f s\n", r + 1, raw[r], rest[r]);
    }
    qsort(raw, (size_t)runs, sizeof *raw, by_value);
    qsort(rest, (size_t)runs, sizeof *rest, by_value);
    double mr = raw[runs / 2], ms = rest[runs / 2];
    printf("median of %d: raw consume %.2f s (%.0f records/s), restore %.2f s (%.0f records/s); "
           "restore takes %.2fx the raw consume (raw is %.0f%% of restore)\n",
           runs, mr, n / mr, ms, n / ms, ms / mr, 100.0 * mr / ms);
    sl_topology_destroy(topo);
    return 0;
}

