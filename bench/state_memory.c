/* State memory benchmark: how many bytes the state stores cost per key
 * beyond the key and value bytes themselves.
 *
 * Runs real queries through the micro-batch `sluice run` uses
 * (runtime/batch.h, without Kafka, no changelog): COUNT and SUM grouped over N distinct
 * keys, and a hopping-window COUNT (10 s windows advancing by 2 s: five
 * windows per record) over M keys. The heap in use is measured with glibc's
 * mallinfo2 before and after feeding the records, so allocator overhead
 * counts; the baseline is the payload, the key and value bytes the stores
 * hold. Prints per entry: payload, heap, overhead (heap - payload) and the
 * ratio heap / payload.
 *
 * usage: bench_state_memory [N_KEYS (1000000)] [M_HOPPING_KEYS (100000)] */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/topology.h"
#include "runtime/batch.h"

static void count_errors(void *ctx, const char *query, const sl_record *src, const char *msg)
{
    (*(long *)ctx)++;
    (void)query, (void)src, (void)msg;
}

static void count_failures(void *ctx, const sl_record *src, const sl_error *err)
{
    (*(long *)ctx)++;
    (void)src;
    fprintf(stderr, "%s\n", err->msg);
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static int run(const char *label, const char *sql, long keys, int windows_per_record)
{
    sl_error err = {0};
    sl_topology *topo = sl_topology_compile(sql, "bench.sql", NULL, &err);
    if (!topo) {
        fprintf(stderr, "%s: %s\n", label, err.msg);
        return 1;
    }
    long errors = 0;
    /* outputs are dropped (no driver->produce) and not cached */
    sl_batch_driver bd = {.ctx = &errors, .processing_error = count_errors, .record_failed = count_failures};
    sl_batch_options bo = {0};
    sl_batch *b = sl_batch_new(topo, &bo, &bd);
    sl_task *task = sl_batch_task(b, 0);
    char key[32], value[64];
    size_t before = heap_in_use();
    for (long i = 0; i < keys; i++) {
        int kl = snprintf(key, sizeof key, "key-%09ld", i);
        int vl = snprintf(value, sizeof value, "{\"V\": %ld}", i % 1000);
        sl_record rec = {.topic = "input", .partition = 0, .offset = i, .timestamp = 1000000,
                         .key = key, .key_len = (size_t)kl, .value = value, .value_len = (size_t)vl};
        if (!sl_batch_process(b, &rec)) {
            fprintf(stderr, "%s: the batch stopped\n", label);
            return 1;
        }
        /* batches of 10,000 as sluice run's: what a batch holds until its
         * end (the groups it changed) is not state */
        if ((i + 1) % 10000 == 0 || i + 1 == keys)
            sl_batch_commit(b);
    }
    size_t after = heap_in_use();
    sl_store_stats st;
    sl_task_store_stats(task, &st);
    double heap = (double)(after - before), payload = (double)st.payload_bytes;
    double n = st.entries ? (double)st.entries : 1;
    printf("%-34s %9zu %11.1f %9.1f %13.1f %8.2f %s\n", label, st.entries, payload / n, heap / n,
           (heap - payload) / n, payload > 0 ? heap / payload : 0.0,
           (heap - payload) / n <= 100 ? "ok (<= 100)" : "OVER 100");
    if (errors || st.entries != (size_t)keys * (size_t)windows_per_record)
        fprintf(stderr, "%s: %ld record errors, %zu entries (expected %ld)\n", label, errors, st.entries,
                keys * windows_per_record);
    sl_batch_destroy(b);
    sl_topology_destroy(topo);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    long m = argc > 2 ? atol(argv[2]) : 100000;
    if (n <= 0 || m <= 0) {
        fprintf(stderr, "usage: bench_state_memory [N_KEYS] [M_HOPPING_KEYS]\n");
        return 2;
    }
    printf("%-34s %9s %11s %9s %13s %8s\n", "state", "entries", "payload/e", "heap/e", "overhead/e", "ratio");
    int rc = run("COUNT(*), SUM(V) GROUP BY K",
                 "CREATE STREAM S (K STRING KEY, V BIGINT) WITH (KAFKA_TOPIC='input', VALUE_FORMAT='JSON');\n"
                 "CREATE TABLE T AS SELECT K, COUNT(*) AS C, SUM(V) AS TOTAL FROM S GROUP BY K;\n",
                 n, 1);
    rc |= run("HOPPING 10s/2s COUNT(*) GROUP BY K",
              "CREATE STREAM S (K STRING KEY, V BIGINT) WITH (KAFKA_TOPIC='input', VALUE_FORMAT='JSON');\n"
              "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S\n"
              "  WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 2 SECONDS) GROUP BY K;\n",
              m, 5);
    printf("payload/e: key and value bytes per store entry (the baseline); heap/e: heap in use per entry;\n"
           "overhead/e: heap/e - payload/e; ratio: heap / payload\n");
    return rc;
}
