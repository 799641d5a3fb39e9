/* The pages of the operations endpoint (see http_pages_int.h). Each is
 * rendered from the view one request took of every worker: nothing here
 * reads a worker's live counters, so a page never mixes two moments of one
 * worker.
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

static const char *state_name(const sl_worker_snapshot *w)
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

/* HTML text; a trailing newline (of a /readyz line) is dropped */
static void put_html(sl_strbuf *o, const char *s)
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

/* epoch milliseconds as ISO 8601 UTC, for people */
static void put_time(sl_strbuf *o, int64_t ms)
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
           "Records between the last committed offset and the end of the partition, as of the worker's last commit "
           "that included it (transaction markers count).");
    for (int w = 0; w < v->nworkers; w++)
        for (int p = 0; p < v->workers[w].nassigned; p++) {
            const sl_partition_view *a = &v->workers[w].assigned[p];
            if (a->lag < 0)
                continue;
            sl_strbuf_printf(o, "sluice_consumer_lag_records{thread=\"%d\",topic=\"", v->workers[w].thread_index);
            put_label(o, a->topic);
            sl_strbuf_printf(o, "\",partition=\"%d\"} %" PRId64 "\n", a->partition, a->lag);
        }
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
                             state_name(&v->workers[w]));
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
                          state_name(s), "ready", sl_worker_snapshot_ready(s), "fatal", s->fatal,
                          "assigned_partitions", parts, "tasks", tasks, "counts", counts_json(s), "state_stores",
                          "entries", (json_int_t)s->state_entries, "bytes", (json_int_t)s->state_bytes);
    if (!w)
        return NULL;
    json_object_set_new(w, "commit_latency_ms_avg",
                        commits ? json_real((double)s->commit_latency_us_sum / 1000.0 / (double)commits) : json_null());
    json_object_set_new(w, "last_commit_ms", s->last_commit_ms ? json_integer(s->last_commit_ms) : json_null());
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
        total.failed_records += s->failed_records;
        total.late_dropped += s->late_dropped;
        total.changelog_records += s->changelog_records;
        total.restored_records += s->restored_records;
        total.restores_done += s->restores_done;
        total.restores_in_progress += s->restores_in_progress;
    }
    return json_pack("{s:s?, s:s?, s:s, s:b, s:b, s:o, s:o, s:o, s:o}", "application.id", v->application_id,
                     "instance.id", v->instance_id, "version", SLUICE_VERSION, "healthy", healthy, "ready", ready,
                     "queries", v->queries ? json_deep_copy(v->queries) : json_array(), "topics",
                     v->topics ? json_deep_copy(v->topics) : json_array(), "workers", workers, "totals",
                     counts_json(&total));
}

/* ---------- / ---------- */

static const char *json_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static void html_row(sl_strbuf *o, const char *name, int64_t value)
{
    sl_strbuf_puts(o, "<tr><th>");
    put_html(o, name);
    sl_strbuf_printf(o, "</th><td>%" PRId64 "</td></tr>\n", value);
}

static void html_worker(sl_strbuf *o, const sl_worker_snapshot *s)
{
    sl_strbuf_printf(o, "<h2>Worker thread %d: %s</h2>\n<div class=\"row\">\n<table>\n", s->thread_index,
                     state_name(s));
    html_row(o, "records in", s->records_in);
    html_row(o, "records out", s->records_out);
    html_row(o, "batches committed", s->batches_committed);
    html_row(o, "batches aborted", s->batches_aborted);
    html_row(o, "failed records", s->failed_records);
    html_row(o, "late records dropped", s->late_dropped);
    html_row(o, "changelog records", s->changelog_records);
    html_row(o, "restored records", s->restored_records);
    html_row(o, "restores in progress", s->restores_in_progress);
    html_row(o, "state entries", s->state_entries);
    html_row(o, "state bytes", s->state_bytes);
    sl_strbuf_puts(o, "<tr><th>last commit</th><td>");
    if (s->last_commit_ms)
        put_time(o, s->last_commit_ms);
    else
        sl_strbuf_puts(o, "none yet");
    sl_strbuf_puts(o, "</td></tr>\n</table>\n");

    sl_strbuf_printf(o, "<table>\n<tr><th>assigned partition</th><th>lag</th></tr>\n");
    for (int i = 0; i < s->nassigned; i++) {
        sl_strbuf_puts(o, "<tr><td>");
        put_html(o, s->assigned[i].topic);
        sl_strbuf_printf(o, "/%d</td><td>", s->assigned[i].partition);
        if (s->assigned[i].lag >= 0)
            sl_strbuf_printf(o, "%" PRId64, s->assigned[i].lag);
        else
            sl_strbuf_puts(o, "?");
        sl_strbuf_puts(o, "</td></tr>\n");
    }
    if (!s->nassigned)
        sl_strbuf_puts(o, "<tr><td colspan=\"2\">none</td></tr>\n");
    sl_strbuf_puts(o, "</table>\n<table>\n<tr><th>task</th><th>stream time (UTC)</th></tr>\n");
    for (int i = 0; i < s->ntasks; i++) {
        sl_strbuf_printf(o, "<tr><td>%d</td><td>", s->tasks[i].partition);
        if (s->tasks[i].stream_time != INT64_MIN)
            put_time(o, s->tasks[i].stream_time);
        else
            sl_strbuf_puts(o, "no record committed yet");
        sl_strbuf_puts(o, "</td></tr>\n");
    }
    sl_strbuf_puts(o, "</table>\n</div>\n");
}

void sl_http_render_html(const sl_http_view *v, sl_strbuf *o)
{
    sl_strbuf health, readiness;
    sl_strbuf_init(&health);
    sl_strbuf_init(&readiness);
    bool healthy = sl_http_healthy(v, &health);
    bool ready = sl_http_ready(v, &readiness);
    sl_strbuf_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta http-equiv=\"refresh\" content=\"2\">\n<title>Sluice: ");
    put_html(o, v->application_id);
    sl_strbuf_puts(o, "</title>\n<style>\n"
                      "body{font-family:sans-serif;margin:1.5em;color:#222}\n"
                      "table{border-collapse:collapse;margin:0 1.5em 1em 0;vertical-align:top}\n"
                      "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:left}\n"
                      "td{font-family:monospace}\n.row{display:flex;flex-wrap:wrap;align-items:flex-start}\n"
                      ".ok{color:#070}.bad{color:#b00}\n</style>\n</head>\n<body>\n<h1>Sluice: ");
    put_html(o, v->application_id);
    sl_strbuf_puts(o, "</h1>\n<p>instance ");
    put_html(o, v->instance_id);
    sl_strbuf_printf(o, ", version %s: <span class=\"%s\">", SLUICE_VERSION, healthy ? "ok" : "bad");
    put_html(o, healthy ? "healthy" : health.data);
    sl_strbuf_printf(o, "</span>, <span class=\"%s\">", ready ? "ok" : "bad");
    put_html(o, readiness.data);
    sl_strbuf_puts(o, "</span></p>\n<h2>Queries</h2>\n<table>\n"
                      "<tr><th>query</th><th>source topic</th><th>sink topic</th><th>internal topics</th></tr>\n");
    sl_strbuf_free(&health);
    sl_strbuf_free(&readiness);
    size_t i;
    json_t *q;
    json_array_foreach(v->queries, i, q)
    {
        sl_strbuf_puts(o, "<tr><td>");
        put_html(o, json_str(q, "id"));
        sl_strbuf_puts(o, "</td><td>");
        put_html(o, json_str(q, "source_topic"));
        sl_strbuf_puts(o, "</td><td>");
        put_html(o, json_str(q, "sink_topic"));
        sl_strbuf_puts(o, "</td><td>");
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(q, "internal_topics"), k, t)
        {
            if (k)
                sl_strbuf_puts(o, ", ");
            put_html(o, json_string_value(t));
        }
        sl_strbuf_puts(o, "</td></tr>\n");
    }
    sl_strbuf_puts(o, "</table>\n");
    for (int w = 0; w < v->nworkers; w++)
        html_worker(o, &v->workers[w]);
    sl_strbuf_puts(o, "<p>Also: <a href=\"/metrics\">/metrics</a>, <a href=\"/status\">/status</a>, "
                      "<a href=\"/healthz\">/healthz</a>, <a href=\"/readyz\">/readyz</a>. "
                      "This page refreshes every 2 seconds.</p>\n</body>\n</html>\n");
}
