/* Private to src/runtime/metrics*.c: the worker metrics' struct, shared by
 * metrics.c (counters, batches, assignment, readiness) and
 * metrics_detail.c (per-topic counts, lag, history, errors, stores,
 * membership). The struct has three parts with three rules: the published
 * counters (atomics, written by the worker with relaxed adds and stores
 * once per batch, read by anyone), the published snapshot (behind `lock`,
 * which the worker takes once per batch, per rebalance, per new topic and
 * per processing-log message), and the worker's own scratch (no
 * synchronisation at all: only the worker thread touches it). */
#ifndef SL_METRICS_INT_H
#define SL_METRICS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "runtime/metrics.h"

/* a topic in one direction: the published count, and the open batch's */
typedef struct topic_slot {
    char *name;
    sl_topic_kind kind;
    bool out;
    int64_t published; /* under lock */
    int64_t pending;   /* the worker's: the open batch's records */
} topic_slot;

/* the worker's view of one assigned partition, parallel to `assigned` */
typedef struct partition_track {
    int64_t fetched, processed; /* records handed over by the consumer, and processed, since the last reset */
    int64_t next;               /* offset after the last processed record; -1 none */
    int64_t end;                /* offset of the last end-of-partition, no record fetched since; -1 none */
} partition_track;

struct sl_worker_metrics {
    int thread_index;
    const sl_topology *topology; /* for topic kinds; may be NULL */

    /* published counters and gauges */
    _Atomic int state; /* sl_worker_state */
    _Atomic bool fatal;
    _Atomic int64_t producers_replaced;
    _Atomic int64_t records_in, records_out, batches_committed, batches_aborted, failed_records, late_dropped,
        changelog_records, restored_records, restores_done, restores_in_progress;
    _Atomic int64_t state_entries, state_bytes, commit_latency_us_sum, last_commit_ms;
    /* the memory budget and what the clients and the batch hold (bytes;
     * in use -1 until librdkafka's first statistics) */
    _Atomic int64_t fetch_budget, fetch_in_use, producer_budget, producer_in_use, batch_arena;
    /* health: wall ms since when a batch has been waiting to commit (the
     * later of its first record and the last restore's end; 0 none), and
     * since when no broker has been reachable (0: reachable) */
    _Atomic int64_t waiting_since_ms, brokers_down_since_ms;
    _Atomic int64_t latency_buckets[SL_METRICS_LATENCY_BUCKETS + 1];
    _Atomic int64_t size_buckets[SL_METRICS_SIZE_BUCKETS + 1];

    /* published snapshot, under lock */
    pthread_mutex_t lock;
    sl_partition_view *assigned;
    int nassigned;
    int64_t *stream_time; /* by task partition number; INT64_MIN unknown */
    int nstream_time;
    topic_slot *topics; /* the names and published counts; pending is the worker's */
    int ntopics;
    sl_store_view *stores;
    int nstores;
    sl_history_second history[SL_METRICS_HISTORY_SECONDS];
    sl_error_entry errors[SL_METRICS_ERRORS];
    int64_t nerrors_seen;
    char *group_id, *member_id, *instance_id;
    int64_t assignments, assigned_ms;
    struct sl_query_stats *query_totals; /* per query of the topology, committed batches */
    int nquery_totals;

    /* the worker's own */
    int64_t batch_start_ns;   /* 0: no batch open */
    int64_t *pending_time;    /* the open batch's largest record time per partition */
    int npending;
    bool pending_any;
    uint64_t *late_seen;      /* per task partition: its late count at the last commit */
    int nlate_seen;
    sl_driver_stats seen;     /* the driver's totals at the last commit or abort */
    partition_track *track;   /* nassigned of them */
    int last_in, last_out;    /* the topic slots used last: records come in runs */
    int last_track;
};

static inline int64_t sl_metrics_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- metrics_detail.c, called by metrics.c ---- */

/* One processed input record: its topic's count and its partition's
 * position. Worker only. */
void sl_metrics_detail_record(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset);

/* Under lock at a commit: folds the batch's topic counts and its commit
 * into the history, updates the lag of every assigned partition, and the
 * stores' sizes from tasks. */
void sl_metrics_detail_commit(sl_worker_metrics *m, rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *offsets,
                              int64_t latency_us);
void sl_metrics_detail_stores(sl_worker_metrics *m, sl_task *const *tasks, int ntasks);
/* The batch's counts are forgotten, and what the worker knew of its
 * partitions' positions (an abort rewinds them; records buffered are
 * dropped). Worker only. */
void sl_metrics_detail_forget(sl_worker_metrics *m);
/* A new assignment of n partitions (called under lock after `assigned`
 * was replaced): positions start unknown. False when out of memory. */
bool sl_metrics_detail_assigned(sl_worker_metrics *m, int n);
/* Under lock: copies the detail into out. */
void sl_metrics_detail_read(sl_worker_metrics *m, sl_worker_snapshot *out);
void sl_metrics_detail_destroy(sl_worker_metrics *m);

/* ---- metrics_query.c, called by metrics.c ---- */

/* At a commit (takes the lock): adds the tasks' per-query counts since the
 * last commit (an aborted batch's are dropped with its tasks). */
void sl_metrics_query_commit(sl_worker_metrics *m, sl_task *const *tasks, int ntasks);
/* Under lock: copies the per-query totals into out. */
void sl_metrics_query_read(sl_worker_metrics *m, sl_worker_snapshot *out);
void sl_metrics_query_free(sl_worker_snapshot *s);
void sl_metrics_query_destroy(sl_worker_metrics *m);

#endif
