/* Private to src/http: the pages of the operations endpoint, rendered from
 * one view of every worker taken per request, so that a page is consistent
 * with itself (the counts on /status and the readiness it states come from
 * the same read). */
#ifndef SL_HTTP_PAGES_INT_H
#define SL_HTTP_PAGES_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/strbuf.h"
#include "runtime/memory_budget.h"
#include "runtime/metrics.h"

/* This process's numbers from /proc (ok false where they cannot be read). */
typedef struct sl_process_stats {
    bool ok;
    double cpu_seconds;         /* user + system */
    int64_t resident_bytes, virtual_bytes;
    double start_time_seconds;  /* epoch; 0 unknown */
    int64_t open_fds, max_fds;  /* max_fds -1: no limit */
    int threads;
} sl_process_stats;
void sl_process_stats_read(sl_process_stats *out);

/* Adds "sql" (the statement's text) to each query of queries (as
 * describe_queries makes them, with "sink_name") whose statement sql has. */
void sl_http_attach_statements(json_t *queries, const char *sql);

typedef struct sl_http_view {
    const char *application_id, *instance_id; /* may be NULL */
    /* borrowed: [{id, source_topic, sink_name, sink_topic, internal_topics,
     * state_stores, sql (may be missing)}] */
    json_t *queries;
    json_t *topics;  /* borrowed: [{name, source, sink}] */
    sl_worker_snapshot *workers;
    int nworkers;
    int64_t stall_ms; /* health: see sl_http_info */
    int64_t now_ms;   /* wall clock when the snapshots were taken */
    sl_process_stats process;
} sl_http_view;

/* Prometheus text exposition format 0.0.4, appended to out. */
void sl_http_render_metrics(const sl_http_view *v, sl_strbuf *out);
/* Health and readiness: the verdict, and a line saying why into out. */
bool sl_http_healthy(const sl_http_view *v, sl_strbuf *out);
bool sl_http_ready(const sl_http_view *v, sl_strbuf *out);
/* ksqlDB's GET /healthcheck and GET /info bodies (caller owns). */
json_t *sl_http_ksql_healthcheck(const sl_http_view *v, bool healthy);
json_t *sl_http_ksql_info(const sl_http_view *v);
/* /status. Caller owns the result (NULL when out of memory). */
json_t *sl_http_status_json(const sl_http_view *v);
/* The HTML status page, appended to out (http_status_page.c). */
void sl_http_render_html(const sl_http_view *v, sl_strbuf *out);

/* ---- shared by the pages ---- */
const char *sl_http_state_name(const sl_worker_snapshot *w);
/* HTML text, escaped; a trailing newline (of a /readyz line) is dropped */
void sl_http_put_html(sl_strbuf *o, const char *s);
/* epoch milliseconds as ISO 8601 UTC */
void sl_http_put_time(sl_strbuf *o, int64_t ms);
/* Over every worker: the last seconds of the history before now (the
 * second in progress excluded), summed. */
void sl_http_history_sum(const sl_http_view *v, int64_t from_s, int64_t to_s, sl_history_second *out);
/* The most records behind of all workers' known lags, summed; -1 when none is known. */
int64_t sl_http_total_lag(const sl_http_view *v);
/* The memory line's parts, over every worker (sl_memory_parts:
 * in-use figures not known yet count as 0), and the process's RSS. */
void sl_http_memory(const sl_http_view *v, sl_memory_parts *out);
/* one query's record fates summed over the workers (id not set) */
void sl_http_query_totals(const sl_http_view *v, const char *query_id, sl_query_view *out);

#endif
