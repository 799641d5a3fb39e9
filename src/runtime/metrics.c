/* Per-worker metrics (see metrics.h): the counters, batches, assignment,
 * restores and readiness; the detail an operator diagnoses from (topics,
 * lag, history, errors, stores, membership) is in metrics_detail.c. The
 * struct and its three parts (published atomics, a snapshot under the
 * lock, the worker's scratch) are described in metrics_int.h. Relaxed
 * ordering is enough: each number stands alone, and a reader that sees one
 * counter a batch ahead of another reports nothing wrong for a scrape. */
#include "runtime/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/metrics_int.h"
#include "state/store.h"

const double sl_metrics_latency_bounds_ms[SL_METRICS_LATENCY_BUCKETS] = {1,   2.5,  5,    10,   25,   50,    100,
                                                                         250, 500, 1000, 2500, 5000, 10000, 30000};
const double sl_metrics_size_bounds[SL_METRICS_SIZE_BUCKETS] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define wall_ms sl_metrics_wall_ms

static void add(_Atomic int64_t *c, int64_t d)
{
    if (d)
        atomic_fetch_add_explicit(c, d, memory_order_relaxed);
}

static int64_t load(_Atomic int64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* Grows an int64 array to at least n slots, new ones set to fill. False
 * when memory ran out (the caller then skips what needed the slot: a
 * metric is not worth failing a batch for). */
static bool grow_i64(int64_t **arr, int *len, int n, int64_t fill)
{
    if (n <= *len)
        return true;
    int cap = n < 16 ? 16 : n + n / 2;
    int64_t *p = realloc(*arr, (size_t)cap * sizeof *p);
    if (!p)
        return false;
    for (int i = *len; i < cap; i++)
        p[i] = fill;
    *arr = p;
    *len = cap;
    return true;
}

sl_worker_metrics *sl_worker_metrics_new(int thread_index)
{
    sl_worker_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->thread_index = thread_index;
    m->last_in = m->last_out = m->last_track = -1;
    atomic_init(&m->state, SL_WORKER_STARTING);
    atomic_init(&m->fetch_in_use, -1);
    atomic_init(&m->producer_in_use, -1);
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void sl_worker_metrics_set_topology(sl_worker_metrics *m, const sl_topology *topo)
{
    if (m)
        m->topology = topo;
}

static void free_assignment(sl_worker_metrics *m)
{
    for (int i = 0; i < m->nassigned; i++)
        free(m->assigned[i].topic);
    free(m->assigned);
    m->assigned = NULL;
    m->nassigned = 0;
}

void sl_worker_metrics_destroy(sl_worker_metrics *m)
{
    if (!m)
        return;
    free_assignment(m);
    free(m->stream_time);
    free(m->pending_time);
    free(m->late_seen);
    sl_metrics_detail_destroy(m);
    sl_metrics_query_destroy(m);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---------- the worker's side ---------- */

/* The tasks are new (assignment, revocation, abort): nothing pending, and
 * their late counts start again from 0. */
static void forget_tasks(sl_worker_metrics *m)
{
    for (int i = 0; i < m->npending; i++)
        m->pending_time[i] = INT64_MIN;
    m->pending_any = false;
    if (m->late_seen)
        memset(m->late_seen, 0, (size_t)m->nlate_seen * sizeof *m->late_seen);
    sl_metrics_detail_forget(m);
}

void sl_worker_metrics_batch_begin(sl_worker_metrics *m)
{
    if (!m)
        return;
    m->batch_start_ns = mono_ns();
    /* kept through aborts: batches that abort again and again are stalled */
    if (!atomic_load_explicit(&m->waiting_since_ms, memory_order_relaxed))
        atomic_store_explicit(&m->waiting_since_ms, wall_ms(), memory_order_relaxed);
}

void sl_worker_metrics_brokers(sl_worker_metrics *m, bool reachable)
{
    if (!m)
        return;
    int64_t since = atomic_load_explicit(&m->brokers_down_since_ms, memory_order_relaxed);
    if (reachable && since)
        atomic_store_explicit(&m->brokers_down_since_ms, 0, memory_order_relaxed);
    else if (!reachable && !since)
        atomic_store_explicit(&m->brokers_down_since_ms, wall_ms(), memory_order_relaxed);
}

void sl_worker_metrics_record(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset,
                              int64_t timestamp)
{
    if (!m || partition < 0)
        return;
    sl_metrics_detail_record(m, topic, partition, offset);
    if (partition >= m->npending && !grow_i64(&m->pending_time, &m->npending, partition + 1, INT64_MIN))
        return;
    if (timestamp > m->pending_time[partition])
        m->pending_time[partition] = timestamp;
    m->pending_any = true;
}

static int bucket_of(const double *bounds, int n, double v)
{
    int i = 0;
    while (i < n && v > bounds[i])
        i++;
    return i; /* n: +Inf */
}

/* late records and state size over the live tasks; the late count of a
 * task only grows while it lives, so the difference from the last commit
 * is what this batch dropped */
static void count_tasks(sl_worker_metrics *m, sl_task *const *tasks, int ntasks)
{
    int64_t entries = 0, bytes = 0, late = 0;
    for (int i = 0; tasks && i < ntasks; i++) {
        if (!tasks[i])
            continue;
        sl_store_stats st;
        sl_task_store_stats(tasks[i], &st);
        entries += (int64_t)st.entries;
        bytes += (int64_t)st.memory_bytes;
        if (i >= m->nlate_seen) {
            int cap = ntasks;
            uint64_t *p = realloc(m->late_seen, (size_t)cap * sizeof *p);
            if (!p)
                continue;
            memset(p + m->nlate_seen, 0, (size_t)(cap - m->nlate_seen) * sizeof *p);
            m->late_seen = p;
            m->nlate_seen = cap;
        }
        uint64_t was = m->late_seen[i];
        late += (int64_t)(st.late_dropped >= was ? st.late_dropped - was : st.late_dropped);
        m->late_seen[i] = st.late_dropped;
    }
    add(&m->late_dropped, late);
    atomic_store_explicit(&m->state_entries, entries, memory_order_relaxed);
    atomic_store_explicit(&m->state_bytes, bytes, memory_order_relaxed);
}

/* the batches counts move on commit and abort alike; the rest only on
 * commit (the caller decides by calling this or not) */
static void publish_batch_counts(sl_worker_metrics *m, const sl_driver_stats *s)
{
    add(&m->batches_committed, s->batches - m->seen.batches);
    add(&m->batches_aborted, s->aborted_batches - m->seen.aborted_batches);
}

void sl_worker_metrics_committed(sl_worker_metrics *m, const sl_driver_stats *stats, sl_task *const *tasks,
                                 int ntasks, rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *offsets)
{
    if (!m || !stats)
        return;
    int64_t in = stats->records_in - m->seen.records_in;
    add(&m->records_in, in);
    add(&m->records_out, stats->records_out - m->seen.records_out);
    add(&m->failed_records, stats->failed_records - m->seen.failed_records);
    add(&m->changelog_records, stats->changelog_records - m->seen.changelog_records);
    publish_batch_counts(m, stats);
    m->seen = *stats;
    add(&m->size_buckets[bucket_of(sl_metrics_size_bounds, SL_METRICS_SIZE_BUCKETS, (double)in)], 1);
    int64_t us = -1;
    if (m->batch_start_ns) {
        us = (mono_ns() - m->batch_start_ns) / 1000;
        add(&m->commit_latency_us_sum, us);
        add(&m->latency_buckets[bucket_of(sl_metrics_latency_bounds_ms, SL_METRICS_LATENCY_BUCKETS, (double)us / 1000.0)],
            1);
        m->batch_start_ns = 0;
    }
    count_tasks(m, tasks, ntasks);
    sl_metrics_detail_stores(m, tasks, ntasks);
    sl_metrics_query_commit(m, tasks, ntasks);
    atomic_store_explicit(&m->last_commit_ms, wall_ms(), memory_order_relaxed);
    atomic_store_explicit(&m->waiting_since_ms, 0, memory_order_relaxed);
    atomic_store_explicit(&m->brokers_down_since_ms, 0, memory_order_relaxed);

    pthread_mutex_lock(&m->lock);
    sl_metrics_detail_commit(m, consumer, offsets, us);
    if (m->pending_any && grow_i64(&m->stream_time, &m->nstream_time, m->npending, INT64_MIN))
        for (int p = 0; p < m->npending; p++)
            if (m->pending_time[p] > m->stream_time[p])
                m->stream_time[p] = m->pending_time[p];
    pthread_mutex_unlock(&m->lock);
    for (int p = 0; p < m->npending; p++)
        m->pending_time[p] = INT64_MIN;
    m->pending_any = false;
}

void sl_worker_metrics_memory_budget(sl_worker_metrics *m, int64_t fetch_budget, int64_t producer_budget)
{
    if (!m)
        return;
    atomic_store_explicit(&m->fetch_budget, fetch_budget, memory_order_relaxed);
    atomic_store_explicit(&m->producer_budget, producer_budget, memory_order_relaxed);
}

void sl_worker_metrics_clients_in_use(sl_worker_metrics *m, int64_t fetch_in_use, int64_t producer_in_use)
{
    if (!m)
        return;
    if (fetch_in_use >= 0)
        atomic_store_explicit(&m->fetch_in_use, fetch_in_use, memory_order_relaxed);
    if (producer_in_use >= 0)
        atomic_store_explicit(&m->producer_in_use, producer_in_use, memory_order_relaxed);
}

void sl_worker_metrics_batch_arena(sl_worker_metrics *m, int64_t bytes)
{
    if (m)
        atomic_store_explicit(&m->batch_arena, bytes, memory_order_relaxed);
}

void sl_worker_metrics_producer_replaced(sl_worker_metrics *m)
{
    if (m)
        add(&m->producers_replaced, 1);
}

void sl_worker_metrics_aborted(sl_worker_metrics *m, const sl_driver_stats *stats)
{
    if (!m || !stats)
        return;
    publish_batch_counts(m, stats);
    m->seen = *stats; /* the batch's records are counted when it is redone */
    m->batch_start_ns = 0;
    forget_tasks(m); /* the driver drops its tasks and restores them */
}

void sl_worker_metrics_assigned(sl_worker_metrics *m, const rd_kafka_topic_partition_list_t *parts)
{
    if (!m)
        return;
    forget_tasks(m);
    sl_partition_view *v = parts && parts->cnt ? calloc((size_t)parts->cnt, sizeof *v) : NULL;
    int n = 0;
    for (int i = 0; v && i < parts->cnt; i++) {
        v[n].topic = strdup(parts->elems[i].topic);
        if (!v[n].topic)
            continue;
        v[n].partition = parts->elems[i].partition;
        v[n].lag = -1;
        n++;
    }
    pthread_mutex_lock(&m->lock);
    free_assignment(m);
    m->assigned = v;
    m->nassigned = n;
    if (!sl_metrics_detail_assigned(m, n))
        m->nassigned = 0; /* out of memory: nothing to track lag for */
    for (int i = 0; i < m->nstream_time; i++)
        m->stream_time[i] = INT64_MIN; /* new tasks: known again after their first commit */
    m->assignments++;
    m->assigned_ms = wall_ms();
    pthread_mutex_unlock(&m->lock);
    atomic_store_explicit(&m->state, SL_WORKER_RESTORING, memory_order_relaxed);
}

void sl_worker_metrics_restored(sl_worker_metrics *m)
{
    if (m)
        atomic_store_explicit(&m->state, SL_WORKER_RUNNING, memory_order_relaxed);
}

void sl_worker_metrics_revoked(sl_worker_metrics *m)
{
    if (!m)
        return;
    forget_tasks(m);
    pthread_mutex_lock(&m->lock);
    free_assignment(m);
    sl_metrics_detail_assigned(m, 0);
    pthread_mutex_unlock(&m->lock);
    atomic_store_explicit(&m->state, SL_WORKER_STARTING, memory_order_relaxed);
}

void sl_worker_metrics_restore_begin(sl_worker_metrics *m)
{
    if (m)
        add(&m->restores_in_progress, 1);
}

void sl_worker_metrics_restore_end(sl_worker_metrics *m, int64_t records)
{
    if (!m)
        return;
    if (records >= 0) {
        add(&m->restored_records, records);
        add(&m->restores_done, 1);
    }
    add(&m->restores_in_progress, -1);
    /* a restore is progress: a batch waits from its end, not its start */
    if (atomic_load_explicit(&m->waiting_since_ms, memory_order_relaxed))
        atomic_store_explicit(&m->waiting_since_ms, wall_ms(), memory_order_relaxed);
}

void sl_worker_metrics_fatal(sl_worker_metrics *m)
{
    if (m)
        atomic_store_explicit(&m->fatal, true, memory_order_relaxed);
}

/* ---------- readers ---------- */

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

void sl_worker_metrics_read(sl_worker_metrics *m, sl_worker_snapshot *out)
{
    memset(out, 0, sizeof *out);
    out->thread_index = m->thread_index;
    out->state = (sl_worker_state)atomic_load_explicit(&m->state, memory_order_relaxed);
    out->fatal = atomic_load_explicit(&m->fatal, memory_order_relaxed);
    out->records_in = load(&m->records_in);
    out->records_out = load(&m->records_out);
    out->batches_committed = load(&m->batches_committed);
    out->batches_aborted = load(&m->batches_aborted);
    out->producers_replaced = load(&m->producers_replaced);
    out->failed_records = load(&m->failed_records);
    out->late_dropped = load(&m->late_dropped);
    out->changelog_records = load(&m->changelog_records);
    out->restored_records = load(&m->restored_records);
    out->restores_done = load(&m->restores_done);
    out->restores_in_progress = load(&m->restores_in_progress);
    out->fetch_budget = load(&m->fetch_budget);
    out->fetch_in_use = load(&m->fetch_in_use);
    out->producer_budget = load(&m->producer_budget);
    out->producer_in_use = load(&m->producer_in_use);
    out->batch_arena = load(&m->batch_arena);
    out->state_entries = load(&m->state_entries);
    out->state_bytes = load(&m->state_bytes);
    out->commit_latency_us_sum = load(&m->commit_latency_us_sum);
    out->last_commit_ms = load(&m->last_commit_ms);
    out->waiting_since_ms = load(&m->waiting_since_ms);
    out->brokers_down_since_ms = load(&m->brokers_down_since_ms);
    for (int i = 0; i <= SL_METRICS_LATENCY_BUCKETS; i++)
        out->latency_buckets[i] = load(&m->latency_buckets[i]);
    for (int i = 0; i <= SL_METRICS_SIZE_BUCKETS; i++)
        out->size_buckets[i] = load(&m->size_buckets[i]);

    pthread_mutex_lock(&m->lock);
    int n = m->nassigned;
    out->assigned = n ? calloc((size_t)n, sizeof *out->assigned) : NULL;
    int32_t *parts = n ? malloc((size_t)n * sizeof *parts) : NULL;
    if (n && (!out->assigned || !parts))
        n = 0; /* out of memory: an empty view rather than none */
    for (int i = 0; i < n; i++) {
        out->assigned[out->nassigned] = m->assigned[i];
        out->assigned[out->nassigned].topic = strdup(m->assigned[i].topic);
        if (out->assigned[out->nassigned].topic)
            out->nassigned++;
        parts[i] = m->assigned[i].partition;
    }
    /* a task per distinct partition number of the assignment */
    if (n)
        qsort(parts, (size_t)n, sizeof *parts, cmp_i32);
    out->tasks = n ? calloc((size_t)n, sizeof *out->tasks) : NULL;
    for (int i = 0; out->tasks && i < n; i++) {
        if (i && parts[i] == parts[i - 1])
            continue;
        int32_t p = parts[i];
        out->tasks[out->ntasks].partition = p;
        out->tasks[out->ntasks].stream_time = p < m->nstream_time ? m->stream_time[p] : INT64_MIN;
        out->ntasks++;
    }
    sl_metrics_detail_read(m, out);
    sl_metrics_query_read(m, out);
    pthread_mutex_unlock(&m->lock);
    free(parts);
}

void sl_worker_snapshot_free(sl_worker_snapshot *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nassigned; i++)
        free(s->assigned[i].topic);
    free(s->assigned);
    free(s->tasks);
    for (int i = 0; i < s->ntopics; i++)
        free(s->topics[i].topic);
    free(s->topics);
    for (int i = 0; i < s->nstores; i++)
        free(s->stores[i].name);
    free(s->stores);
    free(s->group_id);
    free(s->member_id);
    free(s->instance_id);
    sl_metrics_query_free(s);
    s->assigned = NULL;
    s->tasks = NULL;
    s->topics = NULL;
    s->stores = NULL;
    s->group_id = s->member_id = s->instance_id = NULL;
    s->nassigned = s->ntasks = s->ntopics = s->nstores = 0;
}

bool sl_worker_snapshot_ready(const sl_worker_snapshot *s)
{
    return s->state == SL_WORKER_RUNNING && s->restores_in_progress == 0 && !s->fatal;
}
