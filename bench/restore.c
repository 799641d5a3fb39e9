/* Restore benchmark: how long a task takes to rebuild a store of N keys from
 * its changelog, against the baseline of a raw read_committed consume of the
 * same changelog partition (the floor: restore cannot read faster than the
 * consumer). The changelog is written the way `sluice run` writes it: one
 * transaction per batch of changes, key and value bytes, the stream time
 * header. Both sides read with the restorer's consumer settings and take
 * records a run at a time, as the restore does, so that the ratio is what
 * the restore adds to the consume. Prints each run's wall time and CPU
 * (the process's, librdkafka's threads included), the medians, and the
 * median of the runs' ratios restore / raw (each run's two sides are close
 * in time: the steadier figure on a shared machine).
 *
 * usage: bench_restore BOOTSTRAP [N_KEYS] [RUNS]
 * (environment: BENCH_RESTORE_APP, BENCH_RESTORE_ONLY, BENCH_RESTORE_CONF;
 * see bench/README.md) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

/* CPU seconds (user + system) of the whole process: librdkafka's threads
 * count, as they do the fetching */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_restore: %s: %s\n", what, why);
    exit(1);
}

/* kv: key, value pairs ending in NULL, applied in order; consumers then
 * get BENCH_RESTORE_CONF (KEY=VALUE,...) on top, for trying settings on
 * both sides at once */
static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstrap, const char *const *kv, const char *const *kv2)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof err))
        die("config", err);
    for (; kv && kv[0]; kv += 2)
        if (rd_kafka_conf_set(c, kv[0], kv[1], err, sizeof err))
            die(kv[0], err);
    for (; kv2 && kv2[0]; kv2 += 2)
        if (rd_kafka_conf_set(c, kv2[0], kv2[1], err, sizeof err))
            die(kv2[0], err);
    const char *extra = getenv("BENCH_RESTORE_CONF");
    if (type == RD_KAFKA_CONSUMER && extra) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", extra);
        for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
            char *eq = strchr(tok, '=');
            if (!eq)
                die("BENCH_RESTORE_CONF", "KEY=VALUE,... expected");
            *eq = 0;
            if (rd_kafka_conf_set(c, tok, eq + 1, err, sizeof err))
                die(tok, err);
        }
    }
    rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof err);
    if (!rk)
        die("client", err);
    return rk;
}

/* N keys, each written once, in transactions of 10,000 changes */
static void write_changelog(const char *bootstrap, const char *topic, long n)
{
    const char *kv[] = {"transactional.id", "bench-restore-writer", "linger.ms", "20", NULL};
    rd_kafka_t *p = client(RD_KAFKA_PRODUCER, bootstrap, kv, NULL);
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

/* the restorer's settings as sluice run makes it, for both sides: the
 * baseline reads the way the restore does */
static const char *const reader_group[] = {"group.id", "bench-restore-reader", NULL};
#define READER reader_group, sl_changelog_restorer_settings

typedef struct timing {
    double wall, cpu; /* seconds */
} timing;

static timing raw_consume(const char *bootstrap, const char *topic, long n)
{
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bootstrap, READER);
    double t0 = now_s(), c0 = cpu_s();
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    /* records taken as restore takes them: a run at a time, the first
     * waited for, the rest what the consumer holds already */
    long got = 0;
    size_t bytes = 0;
    rd_kafka_message_t *run[512];
    for (bool eof = false; !eof;) {
        int k = 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 1000);
        while (m) {
            run[k++] = m;
            m = k < 512 ? rd_kafka_consumer_poll(c, 0) : NULL;
        }
        for (int i = 0; i < k; i++) {
            if (run[i]->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                eof = true;
            } else if (!run[i]->err) {
                got++;
                bytes += run[i]->len + run[i]->key_len; /* touch the record, as restore does */
            }
            rd_kafka_message_destroy(run[i]);
        }
    }
    timing dt = {now_s() - t0, cpu_s() - c0};
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    if (got != n)
        fprintf(stderr, "bench_restore: raw consume read %ld of %ld records (%zu bytes)\n", got, n, bytes);
    return dt;
}

static timing restore(const char *bootstrap, const sl_topology *topo, const char *app, long n)
{
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bootstrap, READER);
    sl_task *task = sl_task_new(topo, 0);
    double t0 = now_s(), c0 = cpu_s();
    int64_t applied = sl_changelog_restore(c, NULL, app, NULL, task);
    timing dt = {now_s() - t0, cpu_s() - c0};
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

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return v[n / 2];
}

/* the changelog holds n records already (a reused application's) */
static bool already_written(const char *bootstrap, const char *topic, long n)
{
    rd_kafka_t *c = client(RD_KAFKA_CONSUMER, bootstrap, READER);
    int64_t low = 0, high = 0;
    bool ok = !rd_kafka_query_watermark_offsets(c, topic, 0, &low, &high, 10000) && high - low >= n;
    rd_kafka_destroy(c);
    return ok;
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
    /* BENCH_RESTORE_APP=NAME reuses that application's changelog when it
     * holds N_KEYS records already (for profiling one side:
     * BENCH_RESTORE_ONLY=raw|restore) */
    const char *reuse = getenv("BENCH_RESTORE_APP"), *only = getenv("BENCH_RESTORE_ONLY");
    bool do_raw = !only || !strcmp(only, "raw"), do_restore = !only || !strcmp(only, "restore");
    char app[64];
    if (reuse)
        snprintf(app, sizeof app, "%s", reuse);
    else
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
    if (!reuse || !already_written(bootstrap, topic, n))
        write_changelog(bootstrap, topic, n);
    double raw_wall[15], rest_wall[15], raw_cpu[15], rest_cpu[15], ratio[15];
    for (int r = 0; r < runs; r++) {
        timing a = {0, 0}, b = {0, 0};
        if (do_raw)
            a = raw_consume(bootstrap, topic, n);
        if (do_restore)
            b = restore(bootstrap, topo, app, n);
        raw_wall[r] = a.wall, raw_cpu[r] = a.cpu, rest_wall[r] = b.wall, rest_cpu[r] = b.cpu;
        ratio[r] = a.wall > 0 ? b.wall / a.wall : 0;
        printf("  run %d: raw consume %.2f s (%.2f s CPU), restore %.2f s (%.2f s CPU): %.2fx\n", r + 1, a.wall,
               a.cpu, b.wall, b.cpu, ratio[r]);
    }
    double mr = median(raw_wall, runs), ms = median(rest_wall, runs), mrc = median(raw_cpu, runs),
           msc = median(rest_cpu, runs), mq = median(ratio, runs);
    printf("median of %d: raw consume %.2f s (%.0f records/s, %.2f s CPU), restore %.2f s (%.0f records/s, %.2f s CPU); "
           "restore takes %.2fx the raw consume (raw is %.0f%% of restore; median of the runs' ratios %.2fx, "
           "%.0f%%)\n",
           runs, mr, n / mr, mrc, ms, n / ms, msc, ms / mr, 100.0 * mr / ms, mq, 100.0 / mq);
    sl_topology_destroy(topo);
    return 0;
}

