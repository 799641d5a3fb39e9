/* Engine benchmark: the cost per record of the compiled operators alone,
 * without Kafka, for profiling (`valgrind --tool=callgrind` counts
 * instructions, stable on a noisy machine) and for comparing one build of
 * the engine with another.
 *
 * Feeds Nexmark events (the same model bench_nexmark writes to Kafka) to a
 * workload from bench/queries through the micro-batch `sluice run` uses
 * (runtime/batch.h), in batches of 10,000 records, one partition. Bids go
 * to the `bids` topic, auctions to `auctions` (for the join, first),
 * persons are skipped. Records a query sends to its repartition topic are
 * fed back through the batch before it commits, as `sluice run` would read
 * them; every other output is counted and dropped (no record cache, so
 * that every update counts); the batch's changelog records are counted,
 * not produced. Prints records/s, ns per input record and outputs,
 * and the ratio to the first workload given (the baseline: q0, pass-through,
 * is the cost of decoding and encoding alone).
 *
 * usage: bench_engine [--events N] QUERY.sql [QUERY.sql ...] */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/fileio.h"
#include "ops/topology.h"
#include "runtime/batch.h"
#include "nexmark_model.h"

#define BATCH 10000

typedef struct held {
    char *topic, *key, *value;
    size_t key_len, value_len;
    int64_t timestamp;
} held;

typedef struct sink {
    const sl_topology *topo;
    long outputs, errors, changes;
    size_t bytes;
    held *again; /* repartitioned records, to read back */
    size_t nagain, cap;
} sink;

static char *dup_bytes(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

static void on_send(void *ctx, const sl_record *r)
{
    sink *s = ctx;
    if (sl_topology_is_repartition_topic(s->topo, r->topic)) {
        if (s->nagain == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 1024;
            s->again = realloc(s->again, s->cap * sizeof *s->again);
        }
        s->again[s->nagain++] = (held){dup_bytes(r->topic, strlen(r->topic)), r->key ? dup_bytes(r->key, r->key_len) : NULL,
                                       r->value ? dup_bytes(r->value, r->value_len) : NULL, r->key_len, r->value_len,
                                       r->timestamp};
        return;
    }
    s->outputs++;
    s->bytes += r->key_len + r->value_len;
}

static void on_error(void *ctx, const char *query, const sl_record *src, const char *msg)
{
    sink *s = ctx;
    if (!s->errors++)
        fprintf(stderr, "first record error: %s\n", msg);
    (void)src, (void)query;
}

static void on_failed(void *ctx, const sl_record *src, const sl_error *err)
{
    (void)ctx, (void)src;
    fprintf(stderr, "%s\n", err->msg);
}

/* the batch's changelog step: counted, not produced */
static bool count_change(void *ctx, const sl_state_change *c)
{
    ((sink *)ctx)->changes++;
    (void)c;
    return true;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool feed_back(sl_batch *b, sink *s)
{
    for (size_t i = 0; i < s->nagain; i++) {
        held *h = &s->again[i];
        sl_record rec = {.topic = h->topic, .partition = 0, .offset = (int64_t)i, .timestamp = h->timestamp,
                         .key = h->key, .key_len = h->key_len, .value = h->value, .value_len = h->value_len};
        if (!sl_batch_process(b, &rec))
            return false;
        free(h->topic);
        free(h->key);
        free(h->value);
    }
    s->nagain = 0;
    return true;
}

/* ns per input record, or a negative number on failure */
static double run(const char *path, long events)
{
    char *sql = sl_read_file(path, NULL);
    if (!sql) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    sl_error err = {0};
    sl_compile_options opts = {.internal_topic_prefix = "bench-"};
    sl_topology *topo = sl_topology_compile(sql, path, &opts, &err);
    free(sql);
    if (!topo) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        return -1;
    }
    sink s = {.topo = topo};
    sl_batch_driver bd = {.ctx = &s,
                          .produce = on_send,
                          .changelog = count_change,
                          .processing_error = on_error,
                          .record_failed = on_failed};
    sl_batch_options bo = {.repartition = true, .arena_size = 1 << 20};
    sl_batch *b = sl_batch_new(topo, &bo, &bd);
    nx_model_config cfg = {.seed = 42, .base_time_ms = 1700000000000LL, .event_rate = 10000, .max_delay_ms = 4000};
    /* the events are made before timing: only the engine is measured */
    char *json = malloc((size_t)events * 600 + NX_MAX_EVENT_JSON);
    size_t *off = malloc(((size_t)events + 1) * sizeof *off);
    nx_event *ev = malloc((size_t)events * sizeof *ev);
    size_t used = 0;
    long n = 0;
    for (long i = 0; n < events; i++) {
        nx_event e;
        char buf[NX_MAX_EVENT_JSON];
        size_t len = nx_event_make(&cfg, (uint64_t)i, NX_MODEL_TIME, &e, buf);
        if (e.kind == NX_PERSON)
            continue;
        if (used + len > (size_t)events * 600)
            break;
        memcpy(json + used, buf, len);
        off[n] = used;
        ev[n++] = e;
        used += len;
        off[n] = used;
    }
    long bids = 0;
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        unsigned char key[8];
        for (int b = 7; b >= 0; b--)
            key[7 - b] = (unsigned char)((uint64_t)ev[i].key >> (8 * b));
        sl_record rec = {.topic = ev[i].kind == NX_BID ? "bids" : "auctions", .partition = 0, .offset = i,
                         .timestamp = ev[i].event_time_ms, .key = key, .key_len = 8, .value = json + off[i],
                         .value_len = off[i + 1] - off[i]};
        bids += ev[i].kind == NX_BID;
        if (!sl_batch_process(b, &rec)) {
            fprintf(stderr, "%s: the batch stopped\n", path);
            return -1;
        }
        if ((i + 1) % BATCH == 0 || i + 1 == n) {
            if (!feed_back(b, &s) || sl_batch_commit(b) != SL_TXN_CLOSED)
                return -1;
        }
    }
    double secs = now_s() - t0;
    double ns = secs * 1e9 / (double)n;
    printf("%-12s %8ld records (%ld bids) %9.0f rec/s %6.0f ns/rec %8ld outputs %6.1f MB out %8ld changes%s\n",
           strrchr(path, '/') ? strrchr(path, '/') + 1 : path, n, bids, (double)n / secs, ns, s.outputs,
           (double)s.bytes / 1e6, s.changes, s.errors ? "  RECORD ERRORS" : "");
    free(json);
    free(off);
    free(ev);
    free(s.again);
    sl_batch_destroy(b);
    sl_topology_destroy(topo);
    return s.errors ? -1 : ns;
}

int main(int argc, char **argv)
{
    long events = 200000;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--events")) {
        events = atol(argv[2]);
        first = 3;
    }
    if (first >= argc || events <= 0) {
        fprintf(stderr, "usage: bench_engine [--events N] QUERY.sql [QUERY.sql ...]\n");
        return 2;
    }
    double base = 0;
    int rc = 0;
    for (int i = first; i < argc; i++) {
        double ns = run(argv[i], events);
        if (ns < 0) {
            rc = 1;
            continue;
        }
        if (i == first)
            base = ns;
        else
            printf("%-12s %.2fx the cost of %s per record\n", "", ns / base, argv[first]);
    }
    return rc;
}
