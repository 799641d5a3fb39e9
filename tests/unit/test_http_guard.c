/* The endpoint's connection guard (http/http_guard.h) on real loopback TCP
 * connections, with the clock given by the test: which connection is
 * closed to make room (per address, in total), which are spared (in a
 * request, a complete head waiting, silent but new), and the deadlines. A
 * connection the guard closed reads as the end of the stream on its
 * client's side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "http/http_guard.h"

#define MAX_CONNS 32

typedef struct pair {
    int client, server;
    struct sockaddr_storage peer;
    sl_http_conn *conn;
} pair;

typedef struct fixture {
    int listener;
    struct sockaddr_in at;
    sl_http_guard *guard;
    pair conns[MAX_CONNS];
    int n;
} fixture;

static const sl_http_guard_limits limits = {
    .max_connections = 6, .max_per_address = 3, .header_ms = 5000, .request_ms = 10000, .silent_grace_ms = 1000};

static int setup(void **state)
{
    sl_log_set_level(SL_LOG_OFF);
    fixture *f = calloc(1, sizeof *f);
    f->listener = socket(AF_INET, SOCK_STREAM, 0);
    f->at.sin_family = AF_INET;
    f->at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->listener, (struct sockaddr *)&f->at, sizeof f->at), 0);
    socklen_t len = sizeof f->at;
    getsockname(f->listener, (struct sockaddr *)&f->at, &len);
    assert_int_equal(listen(f->listener, 64), 0);
    f->guard = sl_http_guard_new(&limits);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < f->n; i++) {
        sl_http_guard_closed(f->guard, f->conns[i].conn);
        close(f->conns[i].client);
        close(f->conns[i].server);
    }
    sl_http_guard_free(f->guard);
    close(f->listener);
    free(f);
    return 0;
}

/* a client from source (127.0.0.x) that first sends `first` (may be ""),
 * admitted at now_ms; its index */
static int connect_from(fixture *f, const char *source, const char *first, int64_t now_ms)
{
    pair *p = &f->conns[f->n];
    p->client = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, source, &src.sin_addr);
    assert_int_equal(bind(p->client, (struct sockaddr *)&src, sizeof src), 0);
    assert_int_equal(connect(p->client, (struct sockaddr *)&f->at, sizeof f->at), 0);
    if (*first)
        assert_int_equal(send(p->client, first, strlen(first), 0), (ssize_t)strlen(first));
    socklen_t len = sizeof p->peer;
    p->server = accept(f->listener, (struct sockaddr *)&p->peer, &len);
    assert_true(p->server >= 0);
    usleep(2000); /* the bytes reach the server's socket */
    p->conn = sl_http_guard_admit(f->guard, p->server, (struct sockaddr *)&p->peer, now_ms);
    assert_non_null(p->conn);
    return f->n++;
}

/* the server read what the client sent (as libmicrohttpd does) */
static void server_reads(fixture *f, int i)
{
    char buf[4096];
    while (recv(f->conns[i].server, buf, sizeof buf, MSG_DONTWAIT) > 0)
        ;
}

/* whether the guard closed connection i (its client reads the end) */
static bool closed(fixture *f, int i)
{
    char b;
    return recv(f->conns[i].client, &b, 1, MSG_DONTWAIT) == 0;
}

static const char *partial = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
static const char *whole = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

static void test_one_address_gets_its_share(void **state)
{
    fixture *f = *state;
    int a = connect_from(f, "127.0.0.1", partial, 0);
    server_reads(f, a);
    int b = connect_from(f, "127.0.0.1", partial, 10);
    server_reads(f, b);
    int c = connect_from(f, "127.0.0.1", partial, 20);
    assert_int_equal(sl_http_guard_open(f->guard), 3);
    assert_false(closed(f, a));
    /* a fourth: the one that waited longest goes */
    int d = connect_from(f, "127.0.0.1", partial, 30);
    assert_true(closed(f, a));
    assert_false(closed(f, b) || closed(f, c) || closed(f, d));
    assert_int_equal(sl_http_guard_open(f->guard), 3);
    /* another address is not its concern */
    int e = connect_from(f, "127.0.0.2", partial, 40);
    assert_false(closed(f, b) || closed(f, e));
    int64_t made_room, timed_out;
    sl_http_guard_counts(f->guard, &made_room, &timed_out);
    assert_int_equal(made_room, 1);
    assert_int_equal(timed_out, 0);
}

static void test_requests_and_waiting_heads_are_spared(void **state)
{
    fixture *f = *state;
    int in_request = connect_from(f, "127.0.0.1", whole, 0);
    server_reads(f, in_request);
    sl_http_guard_request(f->guard, f->conns[in_request].conn, 1);
    /* its head is complete in the socket; the server has not read it yet */
    int head_waiting = connect_from(f, "127.0.0.1", whole, 10);
    int slow = connect_from(f, "127.0.0.1", partial, 20);
    server_reads(f, slow);
    int newcomer = connect_from(f, "127.0.0.1", whole, 30);
    assert_true(closed(f, slow));
    assert_false(closed(f, in_request) || closed(f, head_waiting) || closed(f, newcomer));
    /* nothing left to spare: the next newcomer itself is closed */
    int another = connect_from(f, "127.0.0.1", partial, 40);
    assert_true(closed(f, another));
    assert_false(closed(f, in_request) || closed(f, head_waiting) || closed(f, newcomer));
}

static void test_silent_newcomers_get_a_moment(void **state)
{
    fixture *f = *state;
    /* connected, not a byte sent yet (a client between connect and send) */
    int silent = connect_from(f, "127.0.0.1", "", 0);
    int slow1 = connect_from(f, "127.0.0.1", partial, 100);
    server_reads(f, slow1);
    int slow2 = connect_from(f, "127.0.0.1", partial, 200);
    server_reads(f, slow2);
    int x = connect_from(f, "127.0.0.1", partial, 300);
    assert_false(closed(f, silent));
    assert_true(closed(f, slow1));
    /* past the grace, silence is slowness like any other */
    int y = connect_from(f, "127.0.0.1", partial, 1500);
    assert_true(closed(f, silent));
    assert_false(closed(f, slow2) || closed(f, x) || closed(f, y));
}

static void test_total_limit_takes_from_the_busiest_address(void **state)
{
    fixture *f = *state;
    int quiet[2], busy[3];
    for (int i = 0; i < 2; i++) {
        quiet[i] = connect_from(f, "127.0.0.3", partial, i);
        server_reads(f, quiet[i]);
    }
    int old_local = connect_from(f, "127.0.0.1", partial, 50);
    server_reads(f, old_local);
    for (int i = 0; i < 3; i++) {
        busy[i] = connect_from(f, "127.0.0.2", partial, 100 + i);
        server_reads(f, busy[i]);
    }
    assert_int_equal(sl_http_guard_open(f->guard), 6);
    /* a seventh: not the oldest connection (127.0.0.3's), the oldest of
     * the address that holds the most */
    int probe = connect_from(f, "127.0.0.1", whole, 300);
    assert_true(closed(f, busy[0]));
    assert_false(closed(f, quiet[0]) || closed(f, old_local) || closed(f, busy[1]) || closed(f, probe));
    /* that address pays for its own newcomers too */
    int again = connect_from(f, "127.0.0.2", partial, 400);
    assert_true(closed(f, busy[1]));
    assert_false(closed(f, quiet[0]) || closed(f, busy[2]) || closed(f, again));
    assert_int_equal(sl_http_guard_open(f->guard), 6);
}

static void test_deadlines(void **state)
{
    fixture *f = *state;
    int slow = connect_from(f, "127.0.0.1", partial, 0);
    server_reads(f, slow);
    int busy = connect_from(f, "127.0.0.1", whole, 0);
    server_reads(f, busy);
    sl_http_guard_request(f->guard, f->conns[busy].conn, 100);
    int keepalive = connect_from(f, "127.0.0.2", whole, 0);
    server_reads(f, keepalive);
    sl_http_guard_request(f->guard, f->conns[keepalive].conn, 100);
    sl_http_guard_response_done(f->guard, f->conns[keepalive].conn, 4000);
    assert_int_equal(sl_http_guard_sweep(f->guard, 4999), 0);
    /* the head's deadline counts from the connection, whatever it sent since */
    assert_int_equal(sl_http_guard_sweep(f->guard, 5000), 1);
    assert_true(closed(f, slow));
    /* the next request's wait starts at the previous response */
    assert_int_equal(sl_http_guard_sweep(f->guard, 8999), 0);
    assert_int_equal(sl_http_guard_sweep(f->guard, 9000), 1);
    assert_true(closed(f, keepalive));
    /* a request's deadline counts from its head */
    assert_int_equal(sl_http_guard_sweep(f->guard, 10099), 0);
    assert_int_equal(sl_http_guard_sweep(f->guard, 10100), 1);
    assert_true(closed(f, busy));
    assert_int_equal(sl_http_guard_open(f->guard), 0);
    int64_t made_room, timed_out;
    sl_http_guard_counts(f->guard, &made_room, &timed_out);
    assert_int_equal(made_room, 0);
    assert_int_equal(timed_out, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_address_gets_its_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_and_waiting_heads_are_spared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_newcomers_get_a_moment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_total_limit_takes_from_the_busiest_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadlines, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
