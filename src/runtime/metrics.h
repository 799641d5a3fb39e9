/* Per-worker metrics: what one worker thread of `sluice run` has done,
 * published for the operations endpoint (http/http_server.h) to read from
 * its own thread.
 *
 * The worker is the only writer. Counters and gauges are C11 atomics that
 * the worker updates with relaxed operations once per batch, never per
 * record: a record only touches worker-private fields (the batch's largest
 * record time per partition), which the commit folds into the published
 * view. What is not a single number (the assignment with its lag, stream
 * time per task partition) sits behind a mutex that the worker takes once
 * per batch and once per rebalance; a reader copies it out under the same
 * mutex. Readers never block the hot path for longer than that copy.
 *
 * Counts are of committed work: a batch's records in, records out, failed
 * and late records and changelog records are added when its transaction
 * commits, and forgotten when it aborts (the batch is redone, and counted
 * then), so that records in matches what the input topics hold once the
 * worker has caught up.
 *
 * Besides the counters, each worker keeps what an operator diagnoses from:
 * records per topic (sources and sinks apart from internal topics), the
 * position of each assigned partition for its lag, a per-second history of
 * the last minutes (records in and out, commit latency) for the status
 * page's charts, its state stores' sizes, the last few processing-log
 * messages, and its consumer group membership.
 *
 * Every worker-side call accepts NULL (a driver run without metrics: sluice
 * test --bootstrap, the demo). */
#ifndef SL_METRICS_H
#define SL_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "ops/topology.h"
#include "runtime/kafka_driver.h"

typedef struct sl_worker_metrics sl_worker_metrics;

/* Histogram bucket upper bounds (inclusive, Prometheus "le"); one more
 * bucket, +Inf, follows the last. */
#define SL_METRICS_LATENCY_BUCKETS 14 /* commit latency, milliseconds */
#define SL_METRICS_SIZE_BUCKETS 8     /* batch size, records */
extern const double sl_metrics_latency_bounds_ms[SL_METRICS_LATENCY_BUCKETS];
extern const double sl_metrics_size_bounds[SL_METRICS_SIZE_BUCKETS];

/* Where a worker is in its life, for readiness. */
typedef enum sl_worker_state {
    SL_WORKER_STARTING,  /* no assignment from the group yet (or revoked) */
    SL_WORKER_RESTORING, /* assigned, its tasks' state being restored */
    SL_WORKER_RUNNING,   /* assigned and restored: processing */
} sl_worker_state;

#define SL_METRICS_HISTORY_SECONDS 300 /* the per-second history: five minutes */
#define SL_METRICS_ERRORS 8            /* processing-log messages kept */

/* What a topic is to the queries, for the per-topic counts: a source or
 * sink the statements name, an internal topic (repartitioning), or other
 * (the processing log). */
typedef enum sl_topic_kind {
    SL_TOPIC_OTHER,
    SL_TOPIC_SOURCE,
    SL_TOPIC_SINK,
    SL_TOPIC_INTERNAL,
} sl_topic_kind;

/* Caller owns; destroy after the worker and every reader are done.
 * thread_index labels the worker's metrics. */
sl_worker_metrics *sl_worker_metrics_new(int thread_index);
void sl_worker_metrics_destroy(sl_worker_metrics *m);
/* The topology the worker runs, to tell its topics' kinds (borrowed while
 * the worker runs; set before it starts). */
void sl_worker_metrics_set_topology(sl_worker_metrics *m, const sl_topology *topo);

/* ---- the worker's side (one thread) ---- */

/* A batch's first record: the start of its commit latency. */
void sl_worker_metrics_batch_begin(sl_worker_metrics *m);
/* One input record processed in the open batch (worker-private, no
 * atomics): its topic and partition (the task's), offset and record time,
 * for the per-topic counts, lag and stream time. */
void sl_worker_metrics_record(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset,
                              int64_t timestamp);
/* One record the open batch produced to topic (worker-private). */
void sl_worker_metrics_output(sl_worker_metrics *m, const char *topic);
/* The consumer handed over a record of topic/partition at offset (it may
 * wait a while before it is processed), or reported the partition's end
 * at offset (its fetch position past the last record and any transaction
 * markers after it). For lag: a partition whose end was reported, with
 * every record fetched before it processed, is at that end, not at the
 * offset after its last record. partition_end updates the partition's lag
 * at once (consumer: for its cached end offsets; may be NULL). */
void sl_worker_metrics_fetched(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset);
void sl_worker_metrics_partition_end(sl_worker_metrics *m, rd_kafka_t *consumer, const char *topic,
                                     int32_t partition, int64_t offset);
/* A record went to the processing log with message: the status page shows
 * the last SL_METRICS_ERRORS of them. */
void sl_worker_metrics_processing_error(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset,
                                        const char *message);
/* After an assignment: the consumer's group, member id and static
 * instance id as the worker knows them (read from consumer). */
void sl_worker_metrics_member(sl_worker_metrics *m, rd_kafka_t *consumer);
/* The open batch committed. stats: the driver's running totals (the
 * difference from the last commit or abort is this batch's share). tasks
 * (ntasks slots by partition, NULL ones skipped): for late records and
 * state size. consumer (may be NULL): for the lag of every assigned
 * partition from the consumer's cached end offsets, no broker request;
 * offsets (the batch's next offsets; may be NULL) fill in partitions
 * whose records were not seen through sl_worker_metrics_record. All
 * borrowed for the call. */
void sl_worker_metrics_committed(sl_worker_metrics *m, const sl_driver_stats *stats, sl_task *const *tasks,
                                 int ntasks, rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *offsets);
/* The memory budget of the worker's clients (bytes: the consumer's
 * prefetch limit, the producer's queue limit), set once they are made. */
void sl_worker_metrics_memory_budget(sl_worker_metrics *m, int64_t fetch_budget, int64_t producer_budget);
/* Bytes fetched and not yet handed over (the consumer's queue) or produced
 * and not yet delivered (the producer's queue), as librdkafka's statistics
 * tell them; negative: unchanged. */
void sl_worker_metrics_clients_in_use(sl_worker_metrics *m, int64_t fetch_in_use, int64_t producer_in_use);
/* Bytes the micro-batch's arena held at its commit. */
void sl_worker_metrics_batch_arena(sl_worker_metrics *m, int64_t bytes);
/* The producer failed fatally (not fenced) and was replaced. */
void sl_worker_metrics_producer_replaced(sl_worker_metrics *m);
/* The open batch aborted: counted once, its work forgotten. stats as above. */
void sl_worker_metrics_aborted(sl_worker_metrics *m, const sl_driver_stats *stats);
/* The group assigned parts (the whole assignment: eager protocol); the
 * worker is restoring until sl_worker_metrics_restored. Copied. */
void sl_worker_metrics_assigned(sl_worker_metrics *m, const rd_kafka_topic_partition_list_t *parts);
/* Every task of the assignment restored: the worker is running. */
void sl_worker_metrics_restored(sl_worker_metrics *m);
/* The assignment was revoked (or lost): nothing assigned. */
void sl_worker_metrics_revoked(sl_worker_metrics *m);
/* Around one task's restore from its changelogs; records is what
 * sl_changelog_restore returned (negative: it failed, nothing counted). */
void sl_worker_metrics_restore_begin(sl_worker_metrics *m);
void sl_worker_metrics_restore_end(sl_worker_metrics *m, int64_t records);
/* librdkafka reported every broker down (false), or the client talks to
 * the cluster again (true): /healthz fails while none is reachable. */
void sl_worker_metrics_brokers(sl_worker_metrics *m, bool reachable);
/* The worker stops on a fatal error: the process is unhealthy. */
void sl_worker_metrics_fatal(sl_worker_metrics *m);

/* ---- readers (any thread) ---- */

typedef struct sl_partition_view {
    char *topic; /* owned by the snapshot */
    int32_t partition;
    /* records between the worker's position and the partition's end (the
     * last stable offset: read_committed), as of the last commit or end of
     * partition; transaction markers at the end do not count; -1 unknown */
    int64_t lag;
} sl_partition_view;

/* Records of one topic in committed batches, in (read) or out (written). */
typedef struct sl_topic_count {
    char *topic; /* owned by the snapshot */
    sl_topic_kind kind;
    bool out;
    int64_t records;
} sl_topic_count;

/* One second of the history: committed batches whose commit ended in it. */
typedef struct sl_history_second {
    int64_t second; /* epoch seconds; 0: nothing recorded */
    int64_t records_in, records_out; /* of source and sink topics */
    int64_t commits, latency_us_sum, latency_us_max;
} sl_history_second;

typedef struct sl_error_entry {
    int64_t time_ms; /* wall clock when the worker saw it */
    char topic[256]; /* Kafka's topic names have at most 249 bytes */
    int32_t partition;
    int64_t offset;
    char message[256];
} sl_error_entry;

typedef struct sl_store_view {
    char *name; /* owned by the snapshot; "<query id>-<role>" */
    int64_t entries, bytes;
} sl_store_view;

/* What became of the records one query read, in committed batches
 * (ops/fate.h); unaccounted: records that ended in no fate (a bug) */
typedef struct sl_query_view {
    char *id; /* owned by the snapshot */
    int64_t read, passed, filtered, late, failed, unaccounted, processing_errors;
    int64_t in_flight; /* sent to a repartition topic, not yet read back (over all workers) */
} sl_query_view;

typedef struct sl_task_view {
    int32_t partition;
    int64_t stream_time; /* ms; INT64_MIN before a committed record */
} sl_task_view;

/* A consistent-enough copy: each counter is read atomically; the
 * assignment and stream times are taken together under the mutex. */
typedef struct sl_worker_snapshot {
    int thread_index;
    sl_worker_state state;
    bool fatal;
    int64_t producers_replaced;
    int64_t records_in, records_out, batches_committed, batches_aborted, failed_records, late_dropped,
        changelog_records, restored_records, restores_done, restores_in_progress;
    int64_t state_entries, state_bytes; /* the tasks' stores as of the last commit */
    /* memory (bytes): the clients' budgets, what their queues hold (-1:
     * not known yet, librdkafka's statistics come once a second), the
     * batch arena at the last commit */
    int64_t fetch_budget, fetch_in_use, producer_budget, producer_in_use, batch_arena;
    int64_t commit_latency_us_sum;       /* over batches_committed batches */
    int64_t latency_buckets[SL_METRICS_LATENCY_BUCKETS + 1]; /* per bucket, not cumulative */
    int64_t size_buckets[SL_METRICS_SIZE_BUCKETS + 1];
    int64_t last_commit_ms; /* wall clock (epoch ms) of the last commit; 0 none */
    int64_t waiting_since_ms; /* a batch has waited to commit since (epoch ms); 0 none */
    int64_t brokers_down_since_ms; /* no broker reachable since (epoch ms); 0 reachable */
    sl_partition_view *assigned; /* nassigned, in assignment order */
    int nassigned;
    sl_task_view *tasks; /* one per distinct partition number assigned, ascending */
    int ntasks;
    sl_topic_count *topics; /* in order of first use */
    int ntopics;
    sl_store_view *stores; /* as of the last commit */
    int nstores;
    sl_history_second history[SL_METRICS_HISTORY_SECONDS]; /* by second % SL_METRICS_HISTORY_SECONDS */
    sl_error_entry errors[SL_METRICS_ERRORS]; /* errors[(nerrors_seen - 1) % N] is the latest */
    int64_t nerrors_seen;
    /* consumer group membership; strings owned by the snapshot, NULL unknown */
    char *group_id, *member_id, *instance_id;
    sl_query_view *queries; /* per query of the topology, in statement order */
    int nqueries;
    int64_t assignments;   /* rebalances that assigned this worker partitions */
    int64_t assigned_ms;   /* wall clock of the last one; 0 none */
} sl_worker_snapshot;

/* Fills out (caller frees it with sl_worker_snapshot_free). */
void sl_worker_metrics_read(sl_worker_metrics *m, sl_worker_snapshot *out);
void sl_worker_snapshot_free(sl_worker_snapshot *s);

/* Ready: assigned, restored, not fatal. */
bool sl_worker_snapshot_ready(const sl_worker_snapshot *s);

#endif
