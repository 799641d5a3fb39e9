/* The schema registry client against a scripted HTTP server in a thread:
 * retries on 5xx and on a refused connection, the cache (a schema is asked
 * for once), the 409 message naming the subject, Basic auth sent and never
 * printed, schemaType in the register request; and the JSON_SR and PROTOBUF
 * serdes writing the id their registered schema got (they wrote 0). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/arena.h"
#include "serde/confluent_header.h"
#include "serde/registry.h"
#include "serde/registry_schema.h"
#include "serde/serde.h"

/* ---------- a server that answers each connection with the next reply ---------- */

typedef struct fake_server {
    int fd, port;
    const char *replies[8]; /* "STATUS BODY" */
    int nreplies;
    char requests[8][4096]; /* what each connection sent */
    int served;
    pthread_t thread;
} fake_server;

static void *serve(void *arg)
{
    fake_server *s = arg;
    for (int i = 0; i < s->nreplies; i++) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        size_t got = 0;
        char *req = s->requests[i];
        /* headers, then Content-Length bytes of body */
        for (;;) {
            ssize_t n = recv(c, req + got, sizeof s->requests[i] - 1 - got, 0);
            if (n <= 0)
                break;
            got += (size_t)n;
            req[got] = 0;
            char *end = strstr(req, "\r\n\r\n");
            if (!end)
                continue;
            char *cl = strcasestr(req, "Content-Length:");
            size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
            if (got >= (size_t)(end + 4 - req) + want)
                break;
        }
        int status = atoi(s->replies[i]);
        const char *body = strchr(s->replies[i], ' ') + 1;
        char resp[1024];
        int len = snprintf(resp, sizeof resp,
                           "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                           "Connection: close\r\n\r\n%s",
                           status, strlen(body), body);
        if (send(c, resp, (size_t)len, 0) < 0)
            perror("send");
        close(c);
        s->served++;
    }
    return NULL;
}

static void server_start(fake_server *s)
{
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    socklen_t l = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, serve, s);
}

static void server_stop(fake_server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

static sl_schema_registry *client_for(const fake_server *s, const char *user_info, const char *url_user)
{
    char url[128];
    snprintf(url, sizeof url, "http://%s127.0.0.1:%d/apis/ccompat/v7/", url_user ? url_user : "", s->port);
    sl_registry_options o = {.url = url, .basic_auth_user_info = user_info, .max_attempts = 3, .backoff_ms = 1};
    sl_error err = {0};
    sl_schema_registry *r = sl_registry_new_http_options(&o, &err);
    assert_non_null(r);
    return r;
}

/* ---------- the client ---------- */

static void test_retries_5xx_then_caches(void **state)
{
    fake_server s = {.replies = {"503 {\"message\":\"busy\"}", "500 {}", "200 {\"id\":7}"}, .nreplies = 3};
    server_start(&s);
    sl_schema_registry *r = client_for(&s, NULL, NULL);
    sl_error err = {0};
    int id = 0;
    assert_int_equal(sl_registry_register(r, "t-value", "{\"type\": \"string\"}", &id, &err), SL_OK);
    assert_int_equal(id, 7);
    assert_int_equal(sl_registry_requests_sent(r), 3);
    /* the same schema (reformatted) under the subject, and its id: cached */
    assert_int_equal(sl_registry_register(r, "t-value", "{\"type\":\"string\"}", &id, &err), SL_OK);
    assert_int_equal(id, 7);
    const char *text;
    assert_int_equal(sl_registry_by_id(r, 7, &text, &err), SL_OK);
    assert_int_equal(sl_registry_requests_sent(r), 3);
    assert_non_null(strstr(s.requests[0], "POST /apis/ccompat/v7/subjects/t-value/versions "));
    /* AVRO: no schemaType, as Confluent's clients send it */
    assert_null(strstr(s.requests[0], "schemaType"));
    server_stop(&s);
    sl_registry_destroy(r);
}

static void test_unreachable_names_subject_and_tries(void **state)
{
    fake_server s = {0};
    server_start(&s); /* a port that was free, closed again: refused */
    server_stop(&s);
    sl_schema_registry *r = client_for(&s, "user:hunter2", NULL);
    sl_error err = {0};
    int id = 0;
    assert_int_not_equal(sl_registry_register_typed(r, "orders-value", "JSON", "{}", &id, &err), SL_OK);
    assert_int_equal(id, 0);
    assert_int_equal(sl_registry_requests_sent(r), 3);
    assert_non_null(strstr(err.msg, "cannot be reached"));
    assert_non_null(strstr(err.msg, "subject 'orders-value'"));
    assert_null(strstr(err.msg, "hunter2"));
    assert_int_not_equal(sl_registry_ping(r, &err), SL_OK);
    sl_registry_destroy(r);
}

static void test_incompatible_409_not_retried(void **state)
{
    fake_server s = {.replies = {"409 {\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}"},
                     .nreplies = 1};
    server_start(&s);
    sl_schema_registry *r = client_for(&s, NULL, "admin:s3cret@");
    sl_error err = {0};
    int id = 0;
    assert_int_not_equal(sl_registry_register_typed(r, "OUT-value", "PROTOBUF", "syntax = \"proto3\";", &id, &err),
                         SL_OK);
    assert_int_equal(sl_registry_requests_sent(r), 1);
    assert_non_null(strstr(err.msg, "subject 'OUT-value'"));
    assert_non_null(strstr(err.msg, "incompatible"));
    assert_non_null(strstr(err.msg, "HTTP 409"));
    assert_non_null(strstr(err.msg, "Schema being registered is incompatible"));
    /* the URL's credentials are used, not shown */
    assert_null(strstr(err.msg, "s3cret"));
    assert_non_null(strstr(s.requests[0], "Authorization: Basic YWRtaW46czNjcmV0"));
    assert_non_null(strstr(s.requests[0], "\"schemaType\":\"PROTOBUF\""));
    server_stop(&s);
    sl_registry_destroy(r);
}

static void test_basic_auth_sent_never_printed(void **state)
{
    fake_server s = {.replies = {"401 {\"message\":\"Unauthorized\"}", "200 {\"schema\":\"\\\"int\\\"\",\"id\":3}"},
                     .nreplies = 2};
    server_start(&s);
    sl_schema_registry *r = client_for(&s, "sluice:hunter2", NULL);
    sl_error err = {0};
    assert_int_not_equal(sl_registry_ping(r, &err), SL_OK);
    /* "sluice:hunter2" in base64 */
    assert_non_null(strstr(s.requests[0], "Authorization: Basic c2x1aWNlOmh1bnRlcjI="));
    assert_non_null(strstr(err.msg, "not authorised"));
    assert_null(strstr(err.msg, "hunter2"));
    const char *text;
    int id;
    assert_int_equal(sl_registry_latest(r, "a-key", &text, &id, &err), SL_OK);
    assert_int_equal(id, 3);
    assert_string_equal(text, "\"int\"");
    assert_non_null(strstr(s.requests[1], "GET /apis/ccompat/v7/subjects/a-key/versions/latest "));
    server_stop(&s);
    sl_registry_destroy(r);
}

/* a PROTOBUF schema's references: each fetched from its subject and kept
 * under the import name, where the .proto reader looks for it */
static void test_references_kept_under_import_name(void **state)
{
    fake_server s = {.replies = {"200 {\"schema\":\"import \\\"ev.proto\\\"; message L { Event e = 1; }\",\"id\":9,"
                                 "\"references\":[{\"name\":\"ev.proto\",\"subject\":\"ev-subject\",\"version\":2}]}",
                                 "200 {\"schema\":\"message Event { int64 ts = 1; }\",\"id\":4}"},
                     .nreplies = 2};
    server_start(&s);
    sl_schema_registry *r = client_for(&s, NULL, NULL);
    sl_error err = {0};
    const char *text, *imported;
    int id, iid;
    assert_int_equal(sl_registry_latest(r, "t-value", &text, &id, &err), SL_OK);
    assert_int_equal(id, 9);
    assert_string_equal(text, "import \"ev.proto\"; message L { Event e = 1; }");
    assert_non_null(strstr(s.requests[1], "GET /apis/ccompat/v7/subjects/ev-subject/versions/2 "));
    /* no third request: the import is known by its name now */
    assert_int_equal(sl_registry_latest(r, "ev.proto", &imported, &iid, &err), SL_OK);
    assert_int_equal(iid, 4);
    assert_string_equal(imported, "message Event { int64 ts = 1; }");
    server_stop(&s);
    sl_registry_destroy(r);
}

static void test_bad_url_not_echoed(void **state)
{
    sl_error err = {0};
    sl_registry_options o = {.url = "ftp://u:hunter2@h"};
    assert_null(sl_registry_new_http_options(&o, &err));
    assert_null(strstr(err.msg, "hunter2"));
}

/* ---------- the schemas and the ids the serdes write ---------- */

static const sl_type *row_type(sl_arena *a)
{
    sl_field inner[2] = {{"NAME", sl_type_primitive(SL_STRING)}, {"AT", sl_type_primitive(SL_TIMESTAMP)}};
    sl_field f[4] = {
        {"ID", sl_type_primitive(SL_BIGINT)},
        {"INFO", sl_type_struct(a, 2, inner)},
        {"IDS", sl_type_array(a, sl_type_primitive(SL_INT))},
        {"TAGS", sl_type_map(a, sl_type_primitive(SL_STRING), sl_type_primitive(SL_DOUBLE))},
    };
    return sl_type_struct(a, 4, f);
}

static void test_proto_schema_text(void **state)
{
    sl_arena *a = sl_arena_new(4096);
    char *p = sl_proto_schema_for(row_type(a), "ConnectDefault1");
    const char *want = "syntax = \"proto3\";\n\n"
                       "import \"google/protobuf/timestamp.proto\";\n\n"
                       "message ConnectDefault1 {\n"
                       "  int64 ID = 1;\n"
                       "  ConnectDefault2 INFO = 2;\n"
                       "  repeated int32 IDS = 3;\n"
                       "  repeated TAGSEntry TAGS = 4;\n"
                       "  message ConnectDefault2 {\n"
                       "    string NAME = 1;\n"
                       "    google.protobuf.Timestamp AT = 2;\n"
                       "  }\n"
                       "  message TAGSEntry {\n"
                       "    string key = 1;\n"
                       "    double value = 2;\n"
                       "  }\n"
                       "}\n";
    assert_string_equal(p, want);
    free(p);
    sl_arena_destroy(a);
}

static void test_json_schema_text(void **state)
{
    sl_arena *a = sl_arena_new(4096);
    char *j = sl_json_schema_for(row_type(a), false);
    assert_non_null(strstr(j, "\"$schema\":\"http://json-schema.org/draft-07/schema#\""));
    assert_non_null(strstr(j, "\"type\":\"object\""));
    assert_non_null(strstr(j, "\"ID\":{\"connect.index\":0,\"oneOf\":[{\"type\":\"null\"},{\"connect.type\":\"int64\","
                              "\"type\":\"integer\"}]}"));
    assert_non_null(strstr(j, "\"title\":\"org.apache.kafka.connect.data.Timestamp\""));
    free(j);
    sl_field one[1] = {{"K", sl_type_primitive(SL_STRING)}};
    j = sl_json_schema_for(sl_type_struct(a, 1, one), true);
    assert_string_equal(j, "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"oneOf\":[{\"type\":\"null\"},"
                           "{\"type\":\"string\"}]}");
    free(j);
    sl_arena_destroy(a);
}

/* a sink serde registers its schema and writes the id it got, never 0 */
static void check_serde_writes_registered_id(sl_format fmt, const char *subject)
{
    sl_arena *a = sl_arena_new(4096);
    sl_schema_registry *r = sl_registry_new_memory();
    int other;
    sl_error err = {0};
    /* an unrelated schema first, so the id is not 1 by chance */
    sl_registry_register(r, "x-value", "\"string\"", &other, &err);
    sl_field f[1] = {{"V", sl_type_primitive(SL_BIGINT)}};
    const sl_type *t = sl_type_struct(a, 1, f);
    sl_serde_options o = {.schema_registry = r, .subject = subject};
    sl_serde *s = sl_serde_new(fmt, t, &o, &err);
    assert_non_null(s);
    const char *text;
    int id = 0;
    assert_int_equal(sl_registry_latest(r, subject, &text, &id, &err), SL_OK);
    assert_int_equal(id, 2);
    sl_value v = sl_bigint(5);
    sl_strbuf out;
    sl_strbuf_init(&out);
    assert_int_equal(sl_serde_encode(s, &v, &out, &err), SL_OK);
    int32_t written = 0;
    assert_true(sl_confluent_header_get(out.data, out.len, &written));
    assert_int_equal(written, id);
    if (fmt == SL_FORMAT_PROTOBUF)
        assert_int_equal(out.data[SL_CONFLUENT_HEADER_LEN], 0); /* the index path [0] */
    sl_strbuf_free(&out);
    sl_serde_destroy(s);
    sl_registry_destroy(r);
    sl_arena_destroy(a);
}

static void test_json_sr_sink_writes_registered_id(void **state)
{
    check_serde_writes_registered_id(SL_FORMAT_JSON_SR, "OUT-value");
}

static void test_protobuf_sink_writes_registered_id(void **state)
{
    check_serde_writes_registered_id(SL_FORMAT_PROTOBUF, "OUT-key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retries_5xx_then_caches),
        cmocka_unit_test(test_unreachable_names_subject_and_tries),
        cmocka_unit_test(test_incompatible_409_not_retried),
        cmocka_unit_test(test_basic_auth_sent_never_printed),
        cmocka_unit_test(test_bad_url_not_echoed),
        cmocka_unit_test(test_proto_schema_text),
        cmocka_unit_test(test_json_schema_text),
        cmocka_unit_test(test_json_sr_sink_writes_registered_id),
        cmocka_unit_test(test_protobuf_sink_writes_registered_id),
        cmocka_unit_test(test_references_kept_under_import_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
