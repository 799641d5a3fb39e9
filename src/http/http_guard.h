/* Admission of connections to the operations endpoint: limits on
 * connections in total and per client address, and deadlines for a
 * request's headers and for the rest of the request, so that clients that
 * open connections and send nothing, or send a header line now and then
 * ("slowloris"), cannot take the endpoint away from a health check.
 *
 * Why not libmicrohttpd's own limits: it refuses a connection over its
 * total or per-address limit at accept, before anything is read, so when
 * slow clients hold every slot (or every slot of 127.0.0.1, where the
 * image's health check comes from) /healthz is refused with the rest, and
 * its timeout counts idleness, which a header line every few seconds
 * resets. A path cannot be reserved before the request line is read, and a
 * slow client sends that slowly too. So the guard admits every new
 * connection and makes room for it instead: when an address holds more
 * than its share, or the endpoint more than its total, the connection that
 * has waited longest without sending a complete request (from the busiest
 * address, for the total) is closed. Spared are connections in a request
 * (head read, response not yet sent: the request deadline bounds them),
 * those whose complete head is already in the socket for the server to
 * read, and those that connected less than a moment ago and have not sent
 * a byte yet (a client between its connect and its send). A health check
 * or a scraper sends its request at once, so it is always one of these
 * until it is answered, a few milliseconds later, however many slow
 * connections arrive around it; a slow client keeps a slot only until
 * newer ones need it, and never beyond the header deadline. When nothing
 * can be closed the newcomer is. What this does not stop: a flood of
 * connections that send nothing, opened from the health check's own
 * address as fast as they are closed, each spared for its first moment.
 *
 * The guard knows connections by their socket and closes one with
 * shutdown(2): the server that owns the socket (libmicrohttpd) sees the end
 * of the stream and closes it itself, so the descriptor is never closed
 * under it. Callers must call sl_http_guard_closed before the socket is
 * closed (libmicrohttpd's connection-closed notification comes before its
 * close), which is what makes the sweeper thread's shutdown calls safe. */
#ifndef SL_HTTP_GUARD_H
#define SL_HTTP_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct sl_http_guard_limits {
    int max_connections; /* connections served at once */
    int max_per_address; /* of them, from one client address */
    int64_t header_ms;   /* longest wait for a complete request head, from the connection or the previous response */
    int64_t request_ms;  /* longest from a request's head to its response sent (a body, a slow reader) */
    int64_t silent_grace_ms; /* a new connection whose client has sent nothing yet is not closed to make room for this long */
} sl_http_guard_limits;

typedef struct sl_http_guard sl_http_guard;
typedef struct sl_http_conn sl_http_conn;

/* NULL when out of memory. */
sl_http_guard *sl_http_guard_new(const sl_http_guard_limits *limits);
/* Stops the sweeper; the connections must all be closed already. */
void sl_http_guard_free(sl_http_guard *g);
/* A thread that applies the deadlines every 250 ms (sl_http_guard_sweep
 * with the monotonic clock). false when it cannot be started. */
bool sl_http_guard_start_sweeper(sl_http_guard *g);

/* A new connection on fd from addr, at now_ms (monotonic). Makes room as
 * described above, which may close this very connection (when every other
 * one is in a request). Returns its handle; NULL when out of memory (the
 * connection is then shut down). */
sl_http_conn *sl_http_guard_admit(sl_http_guard *g, int fd, const struct sockaddr *addr, int64_t now_ms);
/* Its request's head is complete (the request deadline starts). */
void sl_http_guard_request(sl_http_guard *g, sl_http_conn *c, int64_t now_ms);
/* Its response is sent; it waits for the next request (the header
 * deadline starts again). */
void sl_http_guard_response_done(sl_http_guard *g, sl_http_conn *c, int64_t now_ms);
/* It is about to be closed: forgets it (c is freed). NULL is a no-op. */
void sl_http_guard_closed(sl_http_guard *g, sl_http_conn *c);

/* Shuts down every connection past its deadline at now_ms; returns how many. */
int sl_http_guard_sweep(sl_http_guard *g, int64_t now_ms);

/* Connections open and not being closed. */
int sl_http_guard_open(sl_http_guard *g);
/* Connections closed by the guard so far: to make room, and for a deadline. */
void sl_http_guard_counts(sl_http_guard *g, int64_t *made_room, int64_t *timed_out);

int64_t sl_http_guard_now_ms(void);

#endif
