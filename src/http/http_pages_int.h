/* Private to src/http: the pages of the operations endpoint, rendered from
 * one view of every worker taken per request, so that a page is consistent
 * with itself (the counts on /status and the readiness it states come from
 * the same read). */
#ifndef SL_HTTP_PAGES_INT_H
#define SL_HTTP_PAGES_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/strbuf.h"
#include "runtime/metrics.h"

typedef struct sl_http_view {
    const char *application_id, *instance_id; /* may be NULL */
    json_t *queries; /* borrowed: [{id, source_topic, sink_topic, internal_topics, state_stores}] */
    json_t *topics;  /* borrowed: [{name, source, sink}] */
    sl_worker_snapshot *workers;
    int nworkers;
    int64_t stall_ms; /* health: see sl_http_info */
    int64_t now_ms;   /* wall clock when the snapshots were taken */
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
/* The HTML status page, appended to out. */
void sl_http_render_html(const sl_http_view *v, sl_strbuf *out);

#endif
