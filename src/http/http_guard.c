/* Admission of connections to the operations endpoint (see http_guard.h for
 * the policy and why it is not libmicrohttpd's).
 *
 * The connections are a list in order of arrival; every decision is a scan
 * of it. The list is short (libmicrohttpd refuses connections beyond a
 * hard ceiling of twice the guard's total), and a scan costs less than the
 * accept that caused it. One mutex covers the list: the server's thread
 * (admission, requests, closing) and the sweeper take it. */
#include "http/http_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

typedef struct address {
    int family; /* AF_INET (an IPv4-mapped IPv6 address too) or AF_INET6; 0: unknown */
    unsigned char bytes[16];
} address;

struct sl_http_conn {
    int fd;
    address addr;
    int64_t since_ms; /* start of the current wait: for a request head, or for the response */
    bool in_request;  /* head read, response not sent yet */
    bool head_arrived; /* a complete head waits in the socket, for the server to read */
    uint64_t passed;   /* the round of victim_from that passed over it */
    bool closing;     /* shut down by the guard: no longer counted */
    sl_http_conn *prev, *next;
};

struct sl_http_guard {
    sl_http_guard_limits limits;
    pthread_mutex_t lock;
    sl_http_conn *head, *tail; /* oldest first */
    int open;                  /* not closing */
    int64_t made_room, timed_out;
    uint64_t round;
    pthread_t sweeper;
    bool sweeping, stop;
    pthread_cond_t wake;
};

int64_t sl_http_guard_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static address address_of(const struct sockaddr *sa)
{
    address a = {0};
    if (!sa)
        return a;
    if (sa->sa_family == AF_INET) {
        a.family = AF_INET;
        memcpy(a.bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *in6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(in6)) { /* a dual-stack listener's IPv4 client is that IPv4 client */
            a.family = AF_INET;
            memcpy(a.bytes, in6->s6_addr + 12, 4);
        } else {
            a.family = AF_INET6;
            memcpy(a.bytes, in6->s6_addr, 16);
        }
    }
    return a;
}

static bool same_address(const address *a, const address *b)
{
    return a->family == b->family && !memcmp(a->bytes, b->bytes, sizeof a->bytes);
}

static const char *address_text(const address *a, char *buf, size_t n)
{
    if (!a->family || !inet_ntop(a->family, a->bytes, buf, (socklen_t)n))
        snprintf(buf, n, "an unknown address");
    return buf;
}

sl_http_guard *sl_http_guard_new(const sl_http_guard_limits *limits)
{
    sl_http_guard *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->limits = *limits;
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &ca);
    pthread_condattr_destroy(&ca);
    return g;
}

void sl_http_guard_free(sl_http_guard *g)
{
    if (!g)
        return;
    if (g->sweeping) {
        pthread_mutex_lock(&g->lock);
        g->stop = true;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->sweeper, NULL);
    }
    while (g->head) { /* none should be left: the server closed them all */
        sl_http_conn *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* shuts c down (the server closes it on seeing the end of the stream);
 * under the lock */
static void close_conn(sl_http_guard *g, sl_http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    g->open--;
    shutdown(c->fd, SHUT_RDWR);
}

/* What the client of a connection waiting for a request has sent.
 *
 * libmicrohttpd accepts connections in bursts (hundreds in a row when
 * clients connect faster than it serves) before it reads any of them, so
 * by age alone a health check could be taken for a slow client while
 * newer connections pile up behind it: between its connect and its send,
 * or between its send and the server's read. The socket tells them apart
 * without taking anything from the server: a complete head waiting in it
 * (a peek; a head longer than the peek is not recognised, health checks
 * and scrapers send a few hundred bytes), or no byte received at all
 * (TCP_INFO) from a client that connected a moment ago. */
typedef enum { SENT_PART, SENT_NOTHING, SENT_HEAD } sent_state;

static sent_state client_sent(int fd)
{
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    for (ssize_t i = 1; i < n; i++)
        if (buf[i] == '\n' && (buf[i - 1] == '\n' || (i >= 2 && buf[i - 1] == '\r' && buf[i - 2] == '\n')))
            return SENT_HEAD;
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (n <= 0 && !getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) &&
        len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received &&
        !ti.tcpi_bytes_received)
        return SENT_NOTHING;
    return SENT_PART; /* or not a TCP socket: nothing to tell */
}

/* The connection to close to make room among those from addr, other than
 * except: the one that has waited longest for a request, passing over
 * those in a request, those whose head has arrived, and those silent since
 * they connected less than silent_grace_ms ago (marked with round). NULL
 * when there is none. Under the lock. */
static sl_http_conn *victim_from(sl_http_guard *g, const address *addr, const sl_http_conn *except, int64_t now_ms,
                                 uint64_t round)
{
    for (;;) {
        sl_http_conn *best = NULL;
        for (sl_http_conn *c = g->head; c; c = c->next)
            if (c != except && !c->closing && !c->in_request && !c->head_arrived && c->passed != round &&
                same_address(&c->addr, addr) && (!best || c->since_ms < best->since_ms))
                best = c;
        if (!best)
            return NULL;
        sent_state sent = client_sent(best->fd);
        if (sent == SENT_HEAD)
            best->head_arrived = true; /* the server reads it next: as good as in a request */
        else if (sent == SENT_NOTHING && now_ms - best->since_ms < g->limits.silent_grace_ms)
            best->passed = round;
        else
            return best;
    }
}

static int count_from(sl_http_guard *g, const address *addr)
{
    int n = 0;
    for (sl_http_conn *c = g->head; c; c = c->next)
        n += !c->closing && same_address(&c->addr, addr);
    return n;
}

/* the address with the most open connections among those with one that
 * victim_from has not passed over in this round; under the lock */
static const address *busiest_with_candidate(sl_http_guard *g, const sl_http_conn *except, uint64_t round)
{
    const address *best = NULL;
    int best_n = 0;
    for (sl_http_conn *c = g->head; c; c = c->next) {
        if (c == except || c->closing || c->in_request || c->head_arrived || c->passed == round)
            continue;
        int n = count_from(g, &c->addr);
        if (n > best_n) {
            best_n = n;
            best = &c->addr;
        }
    }
    return best;
}

/* closes victim (or, when there is none, the newcomer) to make room;
 * under the lock */
static void make_room(sl_http_guard *g, sl_http_conn *victim, sl_http_conn *newcomer, const char *why)
{
    sl_http_conn *c = victim ? victim : newcomer;
    close_conn(g, c);
    g->made_room++;
    char text[INET6_ADDRSTRLEN + 32];
    sl_log_throttled("http-admission", SL_LOG_WARN, "http",
                     "%s from %s: closed %s", why, address_text(&c->addr, text, sizeof text),
                     victim ? "its connection that waited longest without a complete request"
                            : "the new connection (every other one is in a request or has just connected)");
}

sl_http_conn *sl_http_guard_admit(sl_http_guard *g, int fd, const struct sockaddr *addr, int64_t now_ms)
{
    sl_http_conn *c = calloc(1, sizeof *c);
    if (!c) {
        shutdown(fd, SHUT_RDWR);
        return NULL;
    }
    c->fd = fd;
    c->addr = address_of(addr);
    c->since_ms = now_ms;
    pthread_mutex_lock(&g->lock);
    c->prev = g->tail;
    if (g->tail)
        g->tail->next = c;
    else
        g->head = c;
    g->tail = c;
    g->open++;
    if (count_from(g, &c->addr) > g->limits.max_per_address)
        make_room(g, victim_from(g, &c->addr, c, now_ms, ++g->round), c, "too many connections");
    if (!c->closing && g->open > g->limits.max_connections) {
        sl_http_conn *victim = NULL;
        const address *busiest;
        uint64_t round = ++g->round;
        /* an address without a victim has had all its candidates passed
         * over in this round, so each turn ends the search or shortens it */
        while (!victim && (busiest = busiest_with_candidate(g, c, round)))
            victim = victim_from(g, busiest, c, now_ms, round);
        make_room(g, victim, c, "connection limit reached");
    }
    pthread_mutex_unlock(&g->lock);
    return c;
}

void sl_http_guard_request(sl_http_guard *g, sl_http_conn *c, int64_t now_ms)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    if (!c->in_request) {
        c->in_request = true;
        c->head_arrived = false;
        c->since_ms = now_ms;
    }
    pthread_mutex_unlock(&g->lock);
}

void sl_http_guard_response_done(sl_http_guard *g, sl_http_conn *c, int64_t now_ms)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    c->in_request = false;
    c->since_ms = now_ms;
    pthread_mutex_unlock(&g->lock);
}

void sl_http_guard_closed(sl_http_guard *g, sl_http_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&g->lock);
    if (!c->closing)
        g->open--;
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        g->tail = c->prev;
    pthread_mutex_unlock(&g->lock);
    free(c);
}

int sl_http_guard_sweep(sl_http_guard *g, int64_t now_ms)
{
    int n = 0;
    pthread_mutex_lock(&g->lock);
    for (sl_http_conn *c = g->head; c; c = c->next) {
        int64_t limit = c->in_request ? g->limits.request_ms : g->limits.header_ms;
        if (c->closing || now_ms - c->since_ms < limit)
            continue;
        close_conn(g, c);
        g->timed_out++;
        n++;
        char text[INET6_ADDRSTRLEN + 32];
        sl_log_throttled("http-admission", SL_LOG_WARN, "http", "closed a connection from %s: %s within %lld ms",
                         address_text(&c->addr, text, sizeof text),
                         c->in_request ? "the request did not complete" : "no complete request head",
                         (long long)limit);
    }
    pthread_mutex_unlock(&g->lock);
    return n;
}

static void *sweeper_main(void *arg)
{
    sl_http_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 250 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        if (g->stop)
            break;
        pthread_mutex_unlock(&g->lock);
        sl_http_guard_sweep(g, sl_http_guard_now_ms());
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

bool sl_http_guard_start_sweeper(sl_http_guard *g)
{
    if (pthread_create(&g->sweeper, NULL, sweeper_main, g))
        return false;
    g->sweeping = true;
    return true;
}

int sl_http_guard_open(sl_http_guard *g)
{
    pthread_mutex_lock(&g->lock);
    int n = g->open;
    pthread_mutex_unlock(&g->lock);
    return n;
}

void sl_http_guard_counts(sl_http_guard *g, int64_t *made_room, int64_t *timed_out)
{
    pthread_mutex_lock(&g->lock);
    *made_room = g->made_room;
    *timed_out = g->timed_out;
    pthread_mutex_unlock(&g->lock);
}
