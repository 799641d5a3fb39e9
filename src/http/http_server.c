/* The operations endpoint (see http_server.h): the listener, the server's
 * life and the routing; the pages themselves are in http_pages.c.
 *
 * The listening socket is bound here rather than by libmicrohttpd so that
 * a failure names the address and the system's reason (libmicrohttpd only
 * logs it), and so that an ephemeral port can be read back with
 * getsockname before anything is logged. libmicrohttpd gets the bound
 * socket (MHD_OPTION_LISTEN_SOCKET) and closes it when stopped.
 *
 * One internal polling thread serves every connection: each request reads
 * the workers' metrics (a few atomic loads and one short mutex per worker)
 * and renders a page of a few kilobytes, so there is nothing to gain from
 * more threads, and a scraper cannot make the process start any.
 *
 * Hostile clients: which connections are served, and for how long a
 * request may take, is the guard's decision (http_guard.h explains why
 * libmicrohttpd's own per-address limit is not used and how /healthz stays
 * answerable when slow clients hold every slot). libmicrohttpd tells the
 * guard of each connection, request and close through its notification
 * callbacks, all on its one thread; its own connection limit is only a
 * ceiling on descriptors, above the guard's. Its log lines are throttled
 * and never carry the error page it sends (a client can provoke them at
 * will). */
#include "http/http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "http/http_guard.h"
#include "http/http_pages_int.h"

/* What one client may take of the endpoint. Health checks and scrapers
 * send a request of a few hundred bytes at once and read a response of a
 * few kilobytes: a second is plenty; the deadlines leave margin for a slow
 * network. */
static const sl_http_guard_limits guard_limits = {
    .max_connections = 64,
    .max_per_address = 16,
    .header_ms = 5000,
    .request_ms = 10000,
    .silent_grace_ms = 1000,
};

struct sl_http_server {
    struct MHD_Daemon *daemon;
    sl_http_guard *guard;
    int port;
    sl_http_info info;
    json_t *queries; /* taken from the topology at start: the HTTP thread never reads it */
    json_t *topics;
};

/* ---------- the listener ---------- */

sl_err_t sl_http_parse_listener(const char *value, sl_http_listener *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    if (!value || !*value)
        return SL_OK; /* disabled */
    const char *p = value;
    if (strncmp(p, "http://", 7))
        return sl_error_set(err, SL_ERR_INVALID, "listeners: expected http://HOST:PORT (or empty to disable), got '%s'%s",
                            value, !strncmp(p, "https://", 8) ? " (https is not supported)" : "");
    p += 7;
    const char *host = p, *host_end, *colon;
    if (*p == '[') { /* an IPv6 literal: its colons are not the port's */
        host = p + 1;
        host_end = strchr(host, ']');
        colon = host_end ? host_end + 1 : NULL;
        if (!colon || *colon != ':')
            goto bad;
    } else {
        colon = strchr(p, ':');
        host_end = colon;
        if (!colon || strchr(colon + 1, ':'))
            goto bad;
    }
    size_t hlen = (size_t)(host_end - host);
    if (!hlen || hlen >= sizeof out->host || memchr(host, '/', hlen) || memchr(host, '@', hlen))
        goto bad;
    const char *q = colon + 1;
    long port = 0;
    int digits = 0;
    for (; *q >= '0' && *q <= '9' && digits < 6; q++, digits++)
        port = port * 10 + (*q - '0');
    if (!digits || port > 65535 || (*q && strcmp(q, "/")))
        goto bad;
    memcpy(out->host, host, hlen);
    out->host[hlen] = 0;
    out->port = (int)port;
    out->enabled = true;
    return SL_OK;
bad:
    return sl_error_set(err, SL_ERR_INVALID,
                        "listeners: expected http://HOST:PORT with a port from 0 to 65535 (or empty to disable), got '%s'",
                        value);
}

/* "http://HOST:PORT" for messages, brackets back around an IPv6 literal */
static void address_of(const char *host, int port, char *out, size_t n)
{
    snprintf(out, n, strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port);
}

/* A listening socket on the first address of host that binds; -1 with err
 * filled otherwise. */
static int bind_listener(const sl_http_listener *l, int *family, int *port, sl_error *err)
{
    char addr[300], service[16];
    address_of(l->host, l->port, addr, sizeof addr);
    snprintf(service, sizeof service, "%d", l->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(l->host, service, &hints, &res);
    if (gai) {
        sl_error_set(err, SL_ERR_IO, "cannot listen on %s: %s", addr, gai_strerror(gai));
        return -1;
    }
    int fd = -1, last_errno = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        /* a restarted instance binds again at once, whatever connections
         * of its previous self linger in TIME_WAIT */
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        /* a backlog deep enough that a burst of connections is accepted,
         * and sorted out by the guard, rather than dropped by the kernel
         * along with a health check among them */
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 256)) {
            last_errno = errno;
            close(fd);
            fd = -1;
            continue;
        }
        *family = ai->ai_family;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot listen on %s: %s", addr, strerror(last_errno ? last_errno : EINVAL));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    *port = l->port;
    if (!getsockname(fd, (struct sockaddr *)&ss, &sl))
        *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* ---------- requests ---------- */

/* libmicrohttpd's messages are mostly about what a client did (a malformed
 * request, a closed connection, a limit reached), so any client can make it
 * write them: they are throttled, and the error page some of them quote
 * ("... (HTTP response code is 400 ('<html>...</html>')) ...") is cut out. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    char *page = strstr(line, " ('<");
    char *page_end = page ? strstr(page, ">')") : NULL;
    if (page && page_end)
        memmove(page, page_end + 3, strlen(page_end + 3) + 1);
    else if ((page = strstr(line, "<html")) || (page = strstr(line, "<HTML")))
        *page = 0;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = 0;
    sl_log_throttled("http-server", SL_LOG_WARN, "http", "%s", line);
}

/* the guard's view of each connection (see http_guard.h) */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    sl_http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context = fd ? sl_http_guard_admit(srv->guard, fd->connect_fd, addr ? addr->client_addr : NULL,
                                                   sl_http_guard_now_ms())
                             : NULL;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        sl_http_guard_closed(srv->guard, *socket_context);
        *socket_context = NULL;
    }
}

static sl_http_conn *guarded(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ctx = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ctx ? ctx->socket_context : NULL;
}

static void on_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                            enum MHD_RequestTerminationCode code)
{
    sl_http_server *srv = cls;
    sl_http_guard_response_done(srv->guard, guarded(conn), sl_http_guard_now_ms());
}

/* Queues body (malloc'd; libmicrohttpd frees it) with its content type. */
static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *type, char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    /* live numbers: a proxy or a browser must not show an old copy */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    char *body = strdup(text);
    return body ? respond(conn, status, "text/plain; charset=utf-8", body, strlen(body)) : MHD_NO;
}

static enum MHD_Result respond_strbuf(struct MHD_Connection *conn, unsigned status, const char *type, sl_strbuf *sb)
{
    if (!sb->data)
        sl_strbuf_puts(sb, "");
    return respond(conn, status, type, sb->data, sb->len);
}

/* every worker's numbers, read once for the request */
static void take_view(sl_http_server *srv, sl_http_view *v)
{
    memset(v, 0, sizeof *v);
    v->application_id = srv->info.application_id;
    v->instance_id = srv->info.instance_id;
    v->queries = srv->queries;
    v->topics = srv->topics;
    v->stall_ms = srv->info.stall_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    v->now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    sl_process_stats_read(&v->process);
    v->nworkers = srv->info.nworkers;
    v->workers = calloc((size_t)(v->nworkers ? v->nworkers : 1), sizeof *v->workers);
    if (!v->workers) {
        v->nworkers = 0;
        return;
    }
    for (int i = 0; i < v->nworkers; i++)
        sl_worker_metrics_read(srv->info.workers[i], &v->workers[i]);
}

static void drop_view(sl_http_view *v)
{
    for (int i = 0; i < v->nworkers; i++)
        sl_worker_snapshot_free(&v->workers[i]);
    free(v->workers);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    sl_http_server *srv = cls;
    sl_http_guard_request(srv->guard, guarded(conn), sl_http_guard_now_ms());
    /* libmicrohttpd answers HEAD from the GET response, without its body */
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    if (*upload_data_size) {
        *upload_data_size = 0; /* a GET with a body: ignored */
        return MHD_YES;
    }
    enum { P_METRICS, P_HEALTH, P_READY, P_STATUS, P_INDEX, P_KSQL_HEALTH, P_KSQL_INFO } page;
    if (!strcmp(url, "/metrics"))
        page = P_METRICS;
    else if (!strcmp(url, "/healthz"))
        page = P_HEALTH;
    else if (!strcmp(url, "/readyz"))
        page = P_READY;
    else if (!strcmp(url, "/status"))
        page = P_STATUS;
    else if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        page = P_INDEX;
    else if (!strcmp(url, "/healthcheck"))
        page = P_KSQL_HEALTH; /* ksqlDB's names, for tools that probe a ksqlDB server */
    else if (!strcmp(url, "/info"))
        page = P_KSQL_INFO;
    else
        return respond_text(conn, MHD_HTTP_NOT_FOUND,
                            "not found: try /, /metrics, /healthz, /readyz, /status, /healthcheck or /info\n");

    sl_http_view v;
    take_view(srv, &v);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    enum MHD_Result ret = MHD_NO;
    switch (page) {
    case P_METRICS:
        sl_http_render_metrics(&v, &sb);
        ret = respond_strbuf(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &sb);
        break;
    case P_HEALTH:
    case P_READY: {
        bool ok = page == P_HEALTH ? sl_http_healthy(&v, &sb) : sl_http_ready(&v, &sb);
        ret = respond_strbuf(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", &sb);
        break;
    }
    case P_STATUS: {
        json_t *j = sl_http_status_json(&v);
        char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        json_decref(j);
        if (text) {
            sl_strbuf_puts(&sb, text);
            sl_strbuf_putc(&sb, '\n');
            free(text);
            ret = respond_strbuf(conn, MHD_HTTP_OK, "application/json", &sb);
        } else {
            sl_strbuf_free(&sb);
            ret = respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the status\n");
        }
        break;
    }
    case P_INDEX:
        sl_http_render_html(&v, &sb);
        ret = respond_strbuf(conn, MHD_HTTP_OK, "text/html; charset=utf-8", &sb);
        break;
    case P_KSQL_HEALTH:
    case P_KSQL_INFO: {
        bool ok = sl_http_healthy(&v, &sb);
        sl_strbuf_reset(&sb);
        json_t *j = page == P_KSQL_HEALTH ? sl_http_ksql_healthcheck(&v, ok) : sl_http_ksql_info(&v);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        sl_strbuf_puts(&sb, text ? text : "{}");
        free(text);
        ret = respond_strbuf(conn, page == P_KSQL_INFO || ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                             "application/json", &sb);
        break;
    }
    }
    drop_view(&v);
    return ret;
}

/* ---------- the server ---------- */

/* The queries as `sluice explain --format json` describes them, reduced to
 * what an operator asks about: id, source, sink and internal topics, state
 * stores and changelogs, and the statement that runs the query. */
static json_t *describe_queries(const sl_topology *topo, const char *sql, const char *app)
{
    json_t *out = json_array();
    char *text = topo ? sl_topology_describe(topo, "json", app) : NULL;
    json_t *d = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_t *qs = json_object_get(d, "queries");
    size_t i;
    json_t *q;
    json_array_foreach(qs, i, q)
    {
        json_t *one = json_object();
        json_object_set(one, "id", json_object_get(q, "id"));
        json_object_set(one, "source_topic", json_object_get(json_object_get(q, "source"), "topic"));
        json_object_set(one, "sink_name", json_object_get(json_object_get(q, "sink"), "name"));
        json_object_set(one, "sink_topic", json_object_get(json_object_get(q, "sink"), "topic"));
        json_object_set(one, "internal_topics", json_object_get(q, "internal_topics"));
        json_object_set(one, "state_stores", json_object_get(q, "state_stores"));
        json_object_set(one, "changelog_topics", json_object_get(q, "changelog_topics"));
        json_array_append_new(out, one);
    }
    json_decref(d);
    sl_http_attach_statements(out, sql);
    return out;
}

static json_t *describe_topics(const sl_topology *topo)
{
    json_t *out = json_array();
    for (int i = 0; topo && i < sl_topology_topic_count(topo); i++) {
        const sl_topic_info *t = sl_topology_topic(topo, i);
        json_array_append_new(out, json_pack("{s:s, s:b, s:b}", "name", t->name, "source", t->is_source, "sink",
                                             t->is_sink));
    }
    return out;
}

sl_http_server *sl_http_start(const sl_http_listener *l, const sl_http_info *info, sl_error *err)
{
    if (!l->enabled) {
        sl_error_set(err, SL_ERR_INVALID, "listeners: the endpoint is disabled");
        return NULL;
    }
    sl_http_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    srv->info = *info;
    srv->queries = describe_queries(info->topology, info->queries_sql, info->application_id);
    srv->topics = describe_topics(info->topology);
    srv->info.topology = NULL; /* not to be read once workers run */
    srv->info.queries_sql = NULL;
    srv->guard = sl_http_guard_new(&guard_limits);
    if (!srv->guard || !sl_http_guard_start_sweeper(srv->guard)) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot start the endpoint's connection guard");
        goto fail;
    }
    int family = AF_INET;
    int fd = bind_listener(l, &family, &srv->port, err);
    if (fd < 0)
        goto fail;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0);
    /* room for the guard to admit a burst of newcomers before the
     * connections it closed to make room for them are gone */
    unsigned ceiling = (unsigned)(2 * guard_limits.max_connections + 16);
    /* the logger first: libmicrohttpd warns about the options before it;
     * its idle timeout stays as a backstop of the guard's deadlines */
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                   MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, ceiling,
                                   MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_request_done, srv,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!srv->daemon) {
        /* it refused the socket before taking it over (start-up, no other
         * thread opens files yet) */
        close(fd);
        char addr[300];
        address_of(l->host, srv->port, addr, sizeof addr);
        sl_error_set(err, SL_ERR_IO, "cannot serve on %s: libmicrohttpd did not start", addr);
        goto fail;
    }
    char addr[300];
    address_of(l->host, srv->port, addr, sizeof addr);
    sl_info("http", "listening on %s", addr);
    return srv;
fail:
    sl_http_guard_free(srv->guard);
    json_decref(srv->queries);
    json_decref(srv->topics);
    free(srv);
    return NULL;
}

int sl_http_port(const sl_http_server *srv)
{
    return srv ? srv->port : 0;
}

void sl_http_stop(sl_http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    sl_http_guard_free(srv->guard); /* after the daemon: it closed every connection */
    json_decref(srv->queries);
    json_decref(srv->topics);
    free(srv);
}
