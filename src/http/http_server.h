/* The operations endpoint of `sluice run` (the `listeners` key): metrics,
 * health, readiness and status over HTTP, on libmicrohttpd's own thread.
 *
 *   GET /metrics  Prometheus text format, names prefixed sluice_
 *   GET /healthz  200 "ok" unless a worker hit a fatal error, a batch has
 *                 waited longer than stall_ms to commit (not counting
 *                 restores), or no broker has answered for as long (503)
 *   GET /readyz   200 once every worker is assigned and restored (503)
 *   GET /status   JSON: application, instance, queries, per worker
 *                 assignment, lag, stream time per task and counts
 *   GET /         the same as a small HTML page that refreshes itself
 *
 * The server only reads: everything it shows comes from the workers'
 * sl_worker_metrics (runtime/metrics.h), which it reads without slowing
 * them down, and from a description of the topology taken once at start,
 * so the worker threads' compiled queries are never touched from here. */
#ifndef SL_HTTP_SERVER_H
#define SL_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "ops/topology.h"
#include "runtime/metrics.h"

typedef struct sl_http_server sl_http_server;

/* A parsed `listeners` value. */
typedef struct sl_http_listener {
    bool enabled;   /* false: the value was empty, no endpoint */
    char host[256]; /* as written; an IPv6 literal without its brackets */
    int port;       /* 0: an ephemeral port, chosen at bind */
} sl_http_listener;

/* Parses "http://HOST:PORT" (HOST a name, an IPv4 or a [bracketed] IPv6
 * address; PORT 0-65535; an optional trailing "/"), or "" (disabled).
 * Returns SL_OK, or SL_ERR_INVALID with err's message naming the key. */
sl_err_t sl_http_parse_listener(const char *value, sl_http_listener *out, sl_error *err);

/* What the server shows; everything borrowed until sl_http_stop. */
typedef struct sl_http_info {
    const char *application_id;
    const char *instance_id;
    const sl_topology *topology; /* read during sl_http_start only */
    sl_worker_metrics *const *workers;
    int nworkers;
    /* /healthz: how long a batch may wait to commit, and the brokers be
     * unreachable, before the process is unhealthy (ms; 0: never) */
    int64_t stall_ms;
} sl_http_info;

/* Binds the listener and starts serving. Logs "listening on
 * http://HOST:PORT" with the bound port. Returns NULL with err filled
 * (SL_ERR_IO, naming the address) when it cannot bind. Caller owns the
 * server. */
sl_http_server *sl_http_start(const sl_http_listener *listener, const sl_http_info *info, sl_error *err);
/* The bound port (the ephemeral one when the listener said 0). */
int sl_http_port(const sl_http_server *srv);
/* Stops serving (waits for a request in progress) and frees; NULL is a
 * no-op. The workers' metrics may be destroyed after it returns. */
void sl_http_stop(sl_http_server *srv);

#endif
