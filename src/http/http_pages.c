/* The machine-read pages of the operations endpoint (see
 * http_pages_int.h): /metrics, health and readiness, /status; the HTML
 * page is in http_status_page.c. Each is rendered from the view one
 * request took of every worker: nothing here reads a worker's live
 * counters, so a page never mixes two moments of one worker.
 *
 * Metric names follow Prometheus' conventions (a sluice_ prefix, counters
 * ending in _total, base units: seconds and bytes) and carry the worker
 * index as the `thread` label, so that a dashboard can sum over threads
 * and instances or look at one. */
#include "http/http_pages_int.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "dev"
#endif

/* ---------- small helpers ---------- */

const char *sl_http_state_name(const sl_worker_snapshot *w)
{
    if (w->fatal)
        return "failed";
    if (w->state == SL_WORKER_STARTING)
        return "waiting for assignment";
    if (w->state == SL_WORKER_RESTORING || w->restores_in_progress > 0)
        return "restoring";
    return "running";
}

/* Prometheus label values: backslash, double quote and newline escaped */
static void put_label(sl_strbuf *o, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '\\' || *s == '"')
            sl_strbuf_putc(o, '\\');
        if (*s == '\n') {
            sl_strbuf_puts(o, "\\n");
            continue;
        }
        sl_strbuf_putc(o, *s);
    }
}

void sl_http_put_html(sl_strbuf *o, const char *s)
{
    for (; s && *s && strcmp(s, "\n"); s++) {
        switch (*s) {
        case '<': sl_strbuf_puts(o, "&lt;"); break;
        case '>': sl_strbuf_puts(o, "&gt;"); break;
        case '&': sl_strbuf_puts(o, "&amp;"); break;
        case '"': sl_strbuf_puts(o, "&quot;"); break;
        case '\'': sl_strbuf_puts(o, "&#39;"); break;
        default: sl_strbuf_putc(o, *s);
        }
    }
}

void sl_http_put_time(sl_strbuf *o, int64_t ms)
{
    time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)s * 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    sl_strbuf_printf(o, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* ---------- /metrics ---------- */

static void family(sl_strbuf *o, const char *name, const char *type, const char *help)
{
    sl_strbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* the numbers every worker has one of, read from its snapshot */
static const struct {
    const char *name, *type, *help;
    size_t offset;
} per_worker[] = {
    {"sluice_records_in_total", "counter", "Input records of committed batches.",
     offsetof(sl_worker_snapshot, records_in)},
    {"sluice_records_out_total", "counter", "Records the queries wrote to their sink and internal topics in committed batches.",
     offsetof(sl_worker_snapshot, records_out)},
    {"sluice_batches_committed_total", "counter", "Micro-batches committed.",
     offsetof(sl_worker_snapshot, batches_committed)},
    {"sluice_batches_aborted_total", "counter", "Micro-batches aborted (their records are processed again).",
     offsetof(sl_worker_snapshot, batches_aborted)},
    {"sluice_producers_replaced_total", "counter", "Producers replaced after a fatal error that was not a fencing "
     "(the batch is redone from the last commit).",
     offsetof(sl_worker_snapshot, producers_replaced)},
    {"sluice_failed_records_total", "counter", "Records that failed to decode or evaluate, written to the processing log.",
     offsetof(sl_worker_snapshot, failed_records)},
    {"sluice_late_records_dropped_total", "counter", "Record-windows dropped because their window had closed (windowed aggregations), "
     "and stream-stream join records past their window's grace.",
     offsetof(sl_worker_snapshot, late_dropped)},
    {"sluice_changelog_records_total", "counter", "State changelog records written in committed batches.",
     offsetof(sl_worker_snapshot, changelog_records)},
    {"sluice_restored_records_total", "counter", "Changelog records applied while restoring tasks' state.",
     offsetof(sl_worker_snapshot, restored_records)},
    {"sluice_restores_total", "counter", "Task restores completed.", offsetof(sl_worker_snapshot, restores_done)},
    {"sluice_restores_in_progress", "gauge", "Task restores running now.",
     offsetof(sl_worker_snapshot, restores_in_progress)},
    {"sluice_state_entries", "gauge", "Entries in the tasks' state stores as of the last commit.",
     offsetof(sl_worker_snapshot, state_entries)},
    {"sluice_state_bytes", "gauge", "Memory the tasks' state stores hold as of the last commit.",
     offsetof(sl_worker_snapshot, state_bytes)},
};

static void histogram(sl_strbuf *o, const sl_http_view *v, const char *name, const char *help, bool latency)
{
    family(o, name, "histogram", help);
    int nb = latency ? SL_METRICS_LATENCY_BUCKETS : SL_METRICS_SIZE_BUCKETS;
    const double *bounds = latency ? sl_metrics_latency_bounds_ms : sl_metrics_size_bounds;
    for (int w = 0; w < v->nworkers; w++) {
        const sl_worker_snapshot *s = &v->workers[w];
        const int64_t *b = latency ? s->latency_buckets : s->size_buckets;
        int64_t cum = 0;
        for (int i = 0; i <= nb; i++) {
            cum += b[i];
            if (i < nb) /* seconds with their fraction; record counts as integers */
                sl_strbuf_printf(o, latency ? "%s_bucket{thread=\"%d\",le=\"%g\"} %" PRId64 "\n"
                                            : "%s_bucket{thread=\"%d\",le=\"%.0f\"} %" PRId64 "\n",
                                 name, s->thread_index, latency ? bounds[i] / 1000.0 : bounds[i], cum);
            else
                sl_strbuf_printf(o, "%s_bucket{thread=\"%d\",le=\"+Inf\"} %" PRId64 "\n", name, s->thread_index, cum);
        }
        if (latency)
            sl_strbuf_printf(o, "%s_sum{thread=\"%d\"} %.6f\n", name, s->thread_index,
                             (double)s->commit_latency_us_sum / 1e6);
        else
            sl_strbuf_printf(o, "%s_sum{thread=\"%d\"} %" PRId64 "\n", name, s->thread_index, s->records_in);
        sl_strbuf_printf(o, "%s_count{thread=\"%d\"} %" PRId64 "\n", name, s->thread_index, cum);
    }
}

/* one sample per worker and topic of the kind and direction */
static void topic_family(sl_strbuf *o, const sl_http_view *v, const char *name, const char *help, sl_topic_kind kind,
                         bool out)
{
    family(o, name, "counter", help);
    for (int w = 0; w < v->nworkers; w++)
        for (int i = 0; i < v->workers[w].ntopics; i++) {
            const sl_topic_count *t = &v->workers[w].topics[i];
            if (t->kind != kind || t->out != out)
                continue;
            sl_strbuf_printf(o, "%s{thread=\"%d\",topic=\"", name, v->workers[w].thread_index);
            put_label(o, t->topic);
            sl_strbuf_printf(o, "\"} %" PRId64 "\n", t->records);
        }
}

void sl_http_query_totals(const sl_http_view *v, const char *query_id, sl_query_view *out)
{
    memset(out, 0, sizeof *out);
    for (int w = 0; w < v->nworkers; w++)
        for (int q = 0; q < v->workers[w].nqueries; q++) {
            const sl_query_view *x = &v->workers[w].queries[q];
            if (!query_id || strcmp(x->id, query_id))
                continue;
            out->read += x->read;
            out->passed += x->passed;
            out->filtered += x->filtered;
            out->late += x->late;
            out->failed += x->failed;
            out->unaccounted += x->unaccounted;
            out->processing_errors += x->processing_errors;
            out->in_flight += x->in_flight;
        }
}

/* per query: what became of the records it read (ops/fate.h) */
static void query_families(sl_strbuf *o, const sl_http_view *v)
{
    family(o, "sluice_query_records_read_total", "counter",
           "Records a query read from its sources (and from the topics of the queries it follows), "
           "in committed batches.");
    for (int w = 0; w < v->nworkers; w++)
        for (int q = 0; q < v->workers[w].nqueries; q++) {
            const sl_query_view *x = &v->workers[w].queries[q];
            sl_strbuf_printf(o, "sluice_query_records_read_total{thread=\"%d\",query=\"", v->workers[w].thread_index);
            put_label(o, x->id);
            sl_strbuf_printf(o, "\"} %" PRId64 "\n", x->read);
        }
    family(o, "sluice_query_records_total", "counter",
           "What became of the records a query read: passed (to its output or state), filtered (WHERE, a NULL key, "
           "no join match), late (past every window's grace), failed (processing log), unaccounted (none of these: "
           "a bug, always 0).");
    for (int w = 0; w < v->nworkers; w++)
        for (int q = 0; q < v->workers[w].nqueries; q++) {
            const sl_query_view *x = &v->workers[w].queries[q];
            const char *fates[] = {"passed", "filtered", "late", "failed", "unaccounted"};
            int64_t counts[] = {x->passed, x->filtered, x->late, x->failed, x->unaccounted};
            for (int f = 0; f < 5; f++) {
                sl_strbuf_printf(o, "sluice_query_records_total{thread=\"%d\",query=\"", v->workers[w].thread_index);
                put_label(o, x->id);
                sl_strbuf_printf(o, "\",fate=\"%s\"} %" PRId64 "\n", fates[f], counts[f]);
            }
        }
    family(o, "sluice_query_records_in_flight", "gauge",
           "Records a query sent to its repartition topic that it has not read back yet (summed over the workers: "
           "one worker sends, another may read).");
    for (int w = 0; w < v->nworkers; w++)
        for (int q = 0; q < v->workers[w].nqueries; q++) {
            const sl_query_view *x = &v->workers[w].queries[q];
            sl_strbuf_printf(o, "sluice_query_records_in_flight{thread=\"%d\",query=\"", v->workers[w].thread_index);
            put_label(o, x->id);
            sl_strbuf_printf(o, "\"} %" PRId64 "\n", x->in_flight);
        }
    family(o, "sluice_query_processing_errors_total", "counter",
           "Processing-log entries a query wrote (a failed record, or an expression that failed and gave NULL).");
    for (int w = 0; w < v->nworkers; w++)
        for (int q = 0; q < v->workers[w].nqueries; q++) {
            const sl_query_view *x = &v->workers[w].queries[q];
            sl_strbuf_printf(o, "sluice_query_processing_errors_total{thread=\"%d\",query=\"",
                             v->workers[w].thread_index);
            put_label(o, x->id);
            sl_strbuf_printf(o, "\"} %" PRId64 "\n", x->processing_errors);
        }
}

/* Prometheus' standard process metrics, under their standard names */
static void process_metrics(sl_strbuf *o, const sl_process_stats *p)
{
    if (!p->ok)
        return;
    family(o, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    sl_strbuf_printf(o, "process_cpu_seconds_total %.2f\n", p->cpu_seconds);
    family(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    sl_strbuf_printf(o, "process_resident_memory_bytes %" PRId64 "\n", p->resident_bytes);
    family(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
    sl_strbuf_printf(o, "process_virtual_memory_bytes %" PRId64 "\n", p->virtual_bytes);
    if (p->start_time_seconds > 0) {
        family(o, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
        sl_strbuf_printf(o, "process_start_time_seconds %.2f\n", p->start_time_seconds);
    }
    family(o, "process_open_fds", "gauge", "Number of open file descriptors.");
    sl_strbuf_printf(o, "process_open_fds %" PRId64 "\n", p->open_fds);
    if (p->max_fds >= 0) {
        family(o, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        sl_strbuf_printf(o, "process_max_fds %" PRId64 "\n", p->max_fds);
    }
    family(o, "process_threads", "gauge", "Number of OS threads in the process.");
    sl_strbuf_printf(o, "process_threads %d\n", p->threads);
}

void sl_http_render_metrics(const sl_http_view *v, sl_strbuf *o)
{
    family(o, "sluice_info", "gauge", "This instance: its application, instance id and version.");
    sl_strbuf_puts(o, "sluice_info{application_id=\"");
    put_label(o, v->application_id);
    sl_strbuf_puts(o, "\",instance_id=\"");
    put_label(o, v->instance_id);
    sl_strbuf_puts(o, "\",version=\"" SLUICE_VERSION "\"} 1\n");

    for (size_t k = 0; k < sizeof per_worker / sizeof *per_worker; k++) {
        family(o, per_worker[k].name, per_worker[k].type, per_worker[k].help);
        for (int w = 0; w < v->nworkers; w++) {
            const sl_worker_snapshot *s = &v->workers[w];
            int64_t value = *(const int64_t *)((const char *)s + per_worker[k].offset);
            sl_strbuf_printf(o, "%s{thread=\"%d\"} %" PRId64 "\n", per_worker[k].name, s->thread_index, value);
        }
    }

    family(o, "sluice_assigned_partitions", "gauge", "Input partitions assigned to the worker by the consumer group.");
    for (int w = 0; w < v->nworkers; w++)
        sl_strbuf_printf(o, "sluice_assigned_partitions{thread=\"%d\"} %d\n", v->workers[w].thread_index,
                         v->workers[w].nassigned);
    family(o, "sluice_worker_ready", "gauge", "1 when the worker is assigned, restored and processing.");
    for (int w = 0; w < v->nworkers; w++)
        sl_strbuf_printf(o, "sluice_worker_ready{thread=\"%d\"} %d\n", v->workers[w].thread_index,
                         sl_worker_snapshot_ready(&v->workers[w]) ? 1 : 0);
    family(o, "sluice_worker_fatal", "gauge", "1 when the worker stopped on a fatal error.");
    for (int w = 0; w < v->nworkers; w++)
        sl_strbuf_printf(o, "sluice_worker_fatal{thread=\"%d\"} %d\n", v->workers[w].thread_index,
                         v->workers[w].fatal ? 1 : 0);

    histogram(o, v, "sluice_commit_latency_seconds",
              "Time from a batch's first record to its commit done.", true);
    histogram(o, v, "sluice_batch_size_records", "Input records per committed batch.", false);

    family(o, "sluice_last_commit_timestamp_seconds", "gauge", "Wall-clock time of the worker's last commit.");
    for (int w = 0; w < v->nworkers; w++)
        if (v->workers[w].last_commit_ms)
            sl_strbuf_printf(o, "sluice_last_commit_timestamp_seconds{thread=\"%d\"} %.3f\n",
                             v->workers[w].thread_index, (double)v->workers[w].last_commit_ms / 1000.0);

    family(o, "sluice_stream_time_seconds", "gauge",
           "Largest record time a task has committed since it was assigned, per task partition.");
    for (int w = 0; w < v->nworkers; w++)
        for (int t = 0; t < v->workers[w].ntasks; t++)
            if (v->workers[w].tasks[t].stream_time != INT64_MIN)
                sl_strbuf_printf(o, "sluice_stream_time_seconds{thread=\"%d\",partition=\"%d\"} %.3f\n",
                                 v->workers[w].thread_index, v->workers[w].tasks[t].partition,
                                 (double)v->workers[w].tasks[t].stream_time / 1000.0);

    family(o, "sluice_consumer_lag_records", "gauge",
           "Records between the worker's position and the end of the partition (its last stable offset), as of the "
           "worker's last commit or the partition's end; transaction markers at the end do not count.");
    for (int w = 0; w < v->nworkers; w++)
        for (int p = 0; p < v->workers[w].nassigned; p++) {
            const sl_partition_view *a = &v->workers[w].assigned[p];
            if (a->lag < 0)
                continue;
            sl_strbuf_printf(o, "sluice_consumer_lag_records{thread=\"%d\",topic=\"", v->workers[w].thread_index);
            put_label(o, a->topic);
            sl_strbuf_printf(o, "\",partition=\"%d\"} %" PRId64 "\n", a->partition, a->lag);
        }

    topic_family(o, v, "sluice_source_records_in_total",
                 "Records read from the source topics the statements name, in committed batches.", SL_TOPIC_SOURCE,
                 false);
    topic_family(o, v, "sluice_sink_records_out_total",
                 "Records written to the sink topics of the queries, in committed batches.", SL_TOPIC_SINK, true);
    topic_family(o, v, "sluice_internal_records_in_total",
                 "Records read back from internal (repartition) topics, in committed batches.", SL_TOPIC_INTERNAL,
                 false);
    topic_family(o, v, "sluice_internal_records_out_total",
                 "Records written to internal (repartition) topics, in committed batches.", SL_TOPIC_INTERNAL, true);

    query_families(o, v);

    family(o, "sluice_store_entries", "gauge", "Entries in a state store, over the worker's tasks, as of the last commit.");
    for (int w = 0; w < v->nworkers; w++)
        for (int i = 0; i < v->workers[w].nstores; i++) {
            sl_strbuf_printf(o, "sluice_store_entries{thread=\"%d\",store=\"", v->workers[w].thread_index);
            put_label(o, v->workers[w].stores[i].name);
            sl_strbuf_printf(o, "\"} %" PRId64 "\n", v->workers[w].stores[i].entries);
        }
    family(o, "sluice_store_bytes", "gauge", "Memory a state store holds, over the worker's tasks, as of the last commit.");
    for (int w = 0; w < v->nworkers; w++)
        for (int i = 0; i < v->workers[w].nstores; i++) {
            sl_strbuf_printf(o, "sluice_store_bytes{thread=\"%d\",store=\"", v->workers[w].thread_index);
            put_label(o, v->workers[w].stores[i].name);
            sl_strbuf_printf(o, "\"} %" PRId64 "\n", v->workers[w].stores[i].bytes);
        }
    family(o, "sluice_rebalances_total", "counter", "Assignments the consumer group gave the worker.");
    for (int w = 0; w < v->nworkers; w++)
        sl_strbuf_printf(o, "sluice_rebalances_total{thread=\"%d\"} %" PRId64 "\n", v->workers[w].thread_index,
                         v->workers[w].assignments);

    sl_memory_parts mem;
    sl_http_memory(v, &mem);
    family(o, "sluice_memory_bytes", "gauge",
           "What the process's memory is made of, over the workers: fetched records not yet processed "
           "(fetch_buffers) and their limit (fetch_budget), output not yet delivered (producer_buffers) and its "
           "limit (producer_budget), state stores, batch arenas, their sum (accounted), and the resident set for "
           "comparison (resident).");
    const struct {
        const char *part;
        int64_t bytes;
    } parts[] = {{"fetch_buffers", mem.fetch_in_use}, {"fetch_budget", mem.fetch_budget},
                 {"producer_buffers", mem.producer_in_use}, {"producer_budget", mem.producer_budget},
                 {"state_stores", mem.state}, {"batch_arenas", mem.batch_arenas},
                 {"accounted", sl_memory_parts_total(&mem)}, {"resident", mem.rss}};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        sl_strbuf_printf(o, "sluice_memory_bytes{part=\"%s\"} %" PRId64 "\n", parts[i].part, parts[i].bytes);

    process_metrics(o, &v->process);
}

/* ---------- /healthz, /readyz ---------- */

bool sl_http_healthy(const sl_http_view *v, sl_strbuf *out)
{
    bool healthy = true;
    for (int w = 0; w < v->nworkers; w++) {
        const sl_worker_snapshot *s = &v->workers[w];
        if (s->fatal) {
            sl_strbuf_printf(out, "unhealthy: worker thread %d stopped on a fatal error\n", s->thread_index);
            healthy = false;
            continue;
        }
        if (!v->stall_ms)
            continue;
        int64_t down = s->brokers_down_since_ms ? v->now_ms - s->brokers_down_since_ms : 0;
        if (down > v->stall_ms) {
            sl_strbuf_printf(out, "unhealthy: worker thread %d has reached no broker for %lld s\n", s->thread_index,
                             (long long)(down / 1000));
            healthy = false;
        }
        int64_t waiting = s->waiting_since_ms ? v->now_ms - s->waiting_since_ms : 0;
        if (!s->restores_in_progress && waiting > v->stall_ms) {
            sl_strbuf_printf(out, "unhealthy: worker thread %d has had records waiting for %lld s without a commit "
                                  "(%lld batch(es) aborted so far)\n",
                             s->thread_index, (long long)(waiting / 1000), (long long)s->batches_aborted);
            healthy = false;
        }
    }
    if (healthy)
        sl_strbuf_puts(out, "ok\n");
    return healthy;
}

/* ksqlDB answers {"isHealthy": ..., "details": {...}} with one entry per
 * dependency; Sluice's dependency is Kafka, and its workers */
json_t *sl_http_ksql_healthcheck(const sl_http_view *v, bool healthy)
{
    bool kafka = true;
    for (int w = 0; w < v->nworkers; w++)
        kafka &= !(v->workers[w].brokers_down_since_ms && v->stall_ms &&
                   v->now_ms - v->workers[w].brokers_down_since_ms > v->stall_ms);
    return json_pack("{s:b, s:{s:{s:b}, s:{s:b}}}", "isHealthy", healthy, "details", "kafka", "isHealthy", kafka,
                     "workers", "isHealthy", healthy);
}

json_t *sl_http_ksql_info(const sl_http_view *v)
{
    return json_pack("{s:{s:s, s:s, s:s}}", "KsqlServerInfo", "version", SLUICE_VERSION, "ksqlServiceId",
                     v->application_id ? v->application_id : "", "serverStatus", "RUNNING");
}

bool sl_http_ready(const sl_http_view *v, sl_strbuf *out)
{
    bool ready = v->nworkers > 0;
    for (int w = 0; w < v->nworkers; w++)
        if (!sl_worker_snapshot_ready(&v->workers[w])) {
            sl_strbuf_printf(out, "%sworker thread %d: %s\n", ready ? "not ready: " : "", v->workers[w].thread_index,
                             sl_http_state_name(&v->workers[w]));
            ready = false;
        }
    if (ready)
        sl_strbuf_puts(out, "ready\n");
    else if (!v->nworkers)
        sl_strbuf_puts(out, "not ready: no worker threads\n");
    return ready;
}

/* ---------- /status ---------- */

static json_t *counts_json(const sl_worker_snapshot *s)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "records_in", (json_int_t)s->records_in,
                     "records_out", (json_int_t)s->records_out, "batches_committed", (json_int_t)s->batches_committed,
                     "batches_aborted", (json_int_t)s->batches_aborted, "failed_records",
                     (json_int_t)s->failed_records, "late_records_dropped", (json_int_t)s->late_dropped,
                     "changelog_records", (json_int_t)s->changelog_records, "restored_records",
                     (json_int_t)s->restored_records, "restores", (json_int_t)s->restores_done,
                     "restores_in_progress", (json_int_t)s->restores_in_progress);
}

static json_t *worker_json(const sl_worker_snapshot *s)
{
    json_t *parts = json_array(), *tasks = json_array();
    for (int i = 0; i < s->nassigned; i++) {
        json_t *p = json_pack("{s:s, s:i}", "topic", s->assigned[i].topic, "partition", (int)s->assigned[i].partition);
        json_object_set_new(p, "lag", s->assigned[i].lag >= 0 ? json_integer(s->assigned[i].lag) : json_null());
        json_array_append_new(parts, p);
    }
    for (int i = 0; i < s->ntasks; i++) {
        json_t *t = json_pack("{s:i}", "partition", (int)s->tasks[i].partition);
        json_object_set_new(t, "stream_time",
                            s->tasks[i].stream_time != INT64_MIN ? json_integer(s->tasks[i].stream_time) : json_null());
        json_array_append_new(tasks, t);
    }
    int64_t commits = 0;
    for (int i = 0; i <= SL_METRICS_LATENCY_BUCKETS; i++)
        commits += s->latency_buckets[i];
    json_t *w = json_pack("{s:i, s:s, s:b, s:b, s:o, s:o, s:o, s:{s:I, s:I}}", "thread", s->thread_index, "state",
                          sl_http_state_name(s), "ready", sl_worker_snapshot_ready(s), "fatal", s->fatal,
                          "assigned_partitions", parts, "tasks", tasks, "counts", counts_json(s), "state_stores",
                          "entries", (json_int_t)s->state_entries, "bytes", (json_int_t)s->state_bytes);
    if (!w)
        return NULL;
    json_object_set_new(w, "commit_latency_ms_avg",
                        commits ? json_real((double)s->commit_latency_us_sum / 1000.0 / (double)commits) : json_null());
    json_object_set_new(w, "last_commit_ms", s->last_commit_ms ? json_integer(s->last_commit_ms) : json_null());
    static const char *const kinds[] = {"other", "source", "sink", "internal"};
    json_t *topics = json_array();
    for (int i = 0; i < s->ntopics; i++)
        json_array_append_new(topics, json_pack("{s:s, s:s, s:s, s:I}", "topic", s->topics[i].topic, "kind",
                                                kinds[s->topics[i].kind], "direction", s->topics[i].out ? "out" : "in",
                                                "records", (json_int_t)s->topics[i].records));
    json_object_set_new(w, "topics", topics);
    json_t *stores = json_array();
    for (int i = 0; i < s->nstores; i++)
        json_array_append_new(stores, json_pack("{s:s, s:I, s:I}", "name", s->stores[i].name, "entries",
                                                (json_int_t)s->stores[i].entries, "bytes", (json_int_t)s->stores[i].bytes));
    json_object_set_new(w, "stores", stores);
    json_t *errors = json_array();
    int64_t first = s->nerrors_seen > SL_METRICS_ERRORS ? s->nerrors_seen - SL_METRICS_ERRORS : 0;
    for (int64_t i = first; i < s->nerrors_seen; i++) {
        const sl_error_entry *e = &s->errors[i % SL_METRICS_ERRORS];
        json_t *j = json_pack("{s:I, s:s, s:i, s:I}", "time_ms", (json_int_t)e->time_ms, "topic", e->topic,
                              "partition", (int)e->partition, "offset", (json_int_t)e->offset);
        json_object_set_new(j, "message", json_stringn(e->message, strnlen(e->message, sizeof e->message)));
        json_array_append_new(errors, j);
    }
    json_object_set_new(w, "recent_errors", errors);
    json_t *member = json_pack("{s:s?, s:s?, s:s?, s:I}", "group_id", s->group_id, "member_id", s->member_id,
                               "group_instance_id", s->instance_id, "assignments", (json_int_t)s->assignments);
    json_object_set_new(member, "last_assignment_ms", s->assigned_ms ? json_integer(s->assigned_ms) : json_null());
    json_object_set_new(w, "membership", member);
    json_object_set_new(w, "brokers_unreachable_since_ms",
                        s->brokers_down_since_ms ? json_integer(s->brokers_down_since_ms) : json_null());
    return w;
}

json_t *sl_http_status_json(const sl_http_view *v)
{
    sl_strbuf scratch;
    sl_strbuf_init(&scratch);
    bool healthy = sl_http_healthy(v, &scratch), ready = sl_http_ready(v, &scratch);
    sl_strbuf_free(&scratch);
    json_t *workers = json_array();
    sl_worker_snapshot total = {0};
    for (int w = 0; w < v->nworkers; w++) {
        const sl_worker_snapshot *s = &v->workers[w];
        json_array_append_new(workers, worker_json(s));
        total.records_in += s->records_in;
        total.records_out += s->records_out;
        total.batches_committed += s->batches_committed;
        total.batches_aborted += s->batches_aborted;
        total.producers_replaced += s->producers_replaced;
        total.failed_records += s->failed_records;
        total.late_dropped += s->late_dropped;
        total.changelog_records += s->changelog_records;
        total.restored_records += s->restored_records;
        total.restores_done += s->restores_done;
        total.restores_in_progress += s->restores_in_progress;
    }
    json_t *j = json_pack("{s:s?, s:s?, s:s, s:b, s:b, s:o, s:o, s:o, s:o}", "application.id", v->application_id,
                          "instance.id", v->instance_id, "version", SLUICE_VERSION, "healthy", healthy, "ready", ready,
                          "queries", v->queries ? json_deep_copy(v->queries) : json_array(), "topics",
                          v->topics ? json_deep_copy(v->topics) : json_array(), "workers", workers, "totals",
                          counts_json(&total));
    if (!j)
        return NULL;
    size_t qi;
    json_t *q;
    json_array_foreach(json_object_get(j, "queries"), qi, q)
    {
        sl_query_view t;
        sl_http_query_totals(v, json_string_value(json_object_get(q, "id")), &t);
        json_object_set_new(q, "records",
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "read", (json_int_t)t.read,
                                      "passed", (json_int_t)t.passed, "filtered", (json_int_t)t.filtered, "late",
                                      (json_int_t)t.late, "failed", (json_int_t)t.failed, "in_flight",
                                      (json_int_t)t.in_flight, "unaccounted", (json_int_t)t.unaccounted,
                                      "processing_errors", (json_int_t)t.processing_errors));
    }
    int64_t lag = sl_http_total_lag(v);
    json_object_set_new(j, "total_lag", lag >= 0 ? json_integer(lag) : json_null());
    /* the last ten complete seconds */
    sl_history_second last;
    int64_t now_s = v->now_ms / 1000;
    sl_http_history_sum(v, now_s - 10, now_s - 1, &last);
    json_object_set_new(j, "last_10s", json_pack("{s:f, s:f, s:I}", "records_in_per_second", last.records_in / 10.0,
                                                  "records_out_per_second", last.records_out / 10.0, "commits",
                                                  (json_int_t)last.commits));
    sl_memory_parts mem;
    sl_http_memory(v, &mem);
    json_object_set_new(
        j, "memory",
        json_pack("{s:{s:I, s:I}, s:{s:I, s:I}, s:I, s:I, s:I, s:I}", "fetch_buffers", "in_use",
                  (json_int_t)mem.fetch_in_use, "budget", (json_int_t)mem.fetch_budget, "producer_buffers", "in_use",
                  (json_int_t)mem.producer_in_use, "budget", (json_int_t)mem.producer_budget, "state_stores",
                  (json_int_t)mem.state, "batch_arenas", (json_int_t)mem.batch_arenas, "accounted",
                  (json_int_t)sl_memory_parts_total(&mem), "resident", (json_int_t)mem.rss));
    if (v->process.ok) {
        json_t *p = json_pack("{s:f, s:I, s:I, s:i}", "cpu_seconds", v->process.cpu_seconds, "resident_bytes",
                              (json_int_t)v->process.resident_bytes, "open_fds", (json_int_t)v->process.open_fds,
                              "threads", v->process.threads);
        if (v->process.start_time_seconds > 0) {
            json_object_set_new(p, "start_time_ms", json_integer((json_int_t)(v->process.start_time_seconds * 1000)));
            json_object_set_new(p, "uptime_seconds",
                                json_real((double)v->now_ms / 1000.0 - v->process.start_time_seconds));
        }
        json_object_set_new(j, "process", p);
    }
    return j;
}

/* ---------- shared by the pages ---------- */

void sl_http_memory(const sl_http_view *v, sl_memory_parts *out)
{
    memset(out, 0, sizeof *out);
    for (int w = 0; w < v->nworkers; w++) {
        const sl_worker_snapshot *s = &v->workers[w];
        out->fetch_budget += s->fetch_budget;
        out->fetch_in_use += s->fetch_in_use > 0 ? s->fetch_in_use : 0;
        out->producer_budget += s->producer_budget;
        out->producer_in_use += s->producer_in_use > 0 ? s->producer_in_use : 0;
        out->state += s->state_bytes;
        out->batch_arenas += s->batch_arena;
    }
    out->rss = v->process.ok ? v->process.resident_bytes : 0;
}

void sl_http_history_sum(const sl_http_view *v, int64_t from_s, int64_t to_s, sl_history_second *out)
{
    memset(out, 0, sizeof *out);
    for (int w = 0; w < v->nworkers; w++)
        for (int64_t sec = from_s; sec <= to_s; sec++) {
            if (sec <= 0)
                continue;
            const sl_history_second *h = &v->workers[w].history[sec % SL_METRICS_HISTORY_SECONDS];
            if (h->second != sec)
                continue;
            out->records_in += h->records_in;
            out->records_out += h->records_out;
            out->commits += h->commits;
            out->latency_us_sum += h->latency_us_sum;
            if (h->latency_us_max > out->latency_us_max)
                out->latency_us_max = h->latency_us_max;
        }
}

int64_t sl_http_total_lag(const sl_http_view *v)
{
    int64_t total = -1;
    for (int w = 0; w < v->nworkers; w++)
        for (int p = 0; p < v->workers[w].nassigned; p++)
            if (v->workers[w].assigned[p].lag >= 0)
                total = (total < 0 ? 0 : total) + v->workers[w].assigned[p].lag;
    return total;
}
