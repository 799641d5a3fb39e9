/* Schema registry client. The memory backend keeps every (subject, schema,
 * id); the HTTP backend asks the registry's REST API and caches what it
 * learns in the same table, so a schema is fetched by id once and the same
 * schema registered under a subject is asked for once.
 *
 * One request is tried again, after a doubling wait, when the registry
 * cannot be reached or answers 5xx (or 429): a registry restarting or behind
 * a balancer that is failing over should cost a pause, not a failed query.
 * A 4xx is the answer and is not retried. The lock is held across a request:
 * requests are rare (at start, and for a schema id not seen before), and it
 * keeps two threads from asking for the same schema at once.
 *
 * Secrets (the Basic auth user info, a key's password, credentials written
 * into the URL) are handed to libcurl and never put into a message. */
#include "serde/registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/strbuf.h"

typedef struct reg_entry {
    char *subject; /* NULL when only known by id */
    char *schema;
    int id;
} reg_entry;

struct sl_schema_registry {
    pthread_mutex_t lock;
    char *url;      /* NULL: memory backend */
    char *shown_url; /* url without user info, for messages */
    char *user_info, *ca, *cert, *key, *key_password;
    bool verify_host;
    int max_attempts, backoff_ms, timeout_ms;
    long requests;
    reg_entry *items;
    int n, cap, next_id;
};

sl_schema_registry *sl_registry_new_memory(void)
{
    sl_schema_registry *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->next_id = 1;
    return r;
}

static char *copy_set(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* scheme://user:pass@host... -> scheme://host... */
static char *without_user_info(const char *url)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (!at || (slash && slash < at))
        return strdup(url);
    size_t head = (size_t)(host - url);
    char *out = malloc(strlen(url) + 1);
    memcpy(out, url, head);
    strcpy(out + head, at + 1);
    return out;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

sl_schema_registry *sl_registry_new_http_options(const sl_registry_options *o, sl_error *err)
{
    const char *url = o ? o->url : NULL;
    if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
        /* the URL is not echoed: it may carry credentials */
        sl_error_set(err, SL_ERR_INVALID, "schema.registry.url must be an http:// or https:// URL");
        return NULL;
    }
    const char *eia = o->ssl_endpoint_identification_algorithm;
    if (eia && *eia && strcasecmp(eia, "https") && strcasecmp(eia, "none")) {
        sl_error_set(err, SL_ERR_INVALID,
                     "schema.registry.ssl.endpoint.identification.algorithm must be 'https' or empty");
        return NULL;
    }
    static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
    pthread_once(&curl_once, curl_init_once);
    sl_schema_registry *r = sl_registry_new_memory();
    r->url = strdup(url);
    size_t l = strlen(r->url);
    while (l && r->url[l - 1] == '/')
        r->url[--l] = 0;
    r->shown_url = without_user_info(r->url);
    r->user_info = copy_set(o->basic_auth_user_info);
    r->ca = copy_set(o->ssl_ca_location);
    r->cert = copy_set(o->ssl_certificate_location);
    r->key = copy_set(o->ssl_key_location);
    r->key_password = copy_set(o->ssl_key_password);
    r->verify_host = !(eia && (!*eia || !strcasecmp(eia, "none")));
    r->max_attempts = o->max_attempts > 0 ? o->max_attempts : 5;
    r->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 200;
    r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
    return r;
}

sl_schema_registry *sl_registry_new_http(const char *url, sl_error *err)
{
    sl_registry_options o = {.url = url};
    return sl_registry_new_http_options(&o, err);
}

static void free_secret(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
        free(s);
    }
}

void sl_registry_destroy(sl_schema_registry *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        free(r->items[i].subject);
        free(r->items[i].schema);
    }
    free(r->items);
    free_secret(r->url);
    free(r->shown_url);
    free_secret(r->user_info);
    free(r->ca);
    free(r->cert);
    free(r->key);
    free_secret(r->key_password);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

long sl_registry_requests_sent(sl_schema_registry *r)
{
    pthread_mutex_lock(&r->lock);
    long n = r->requests;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* JSON schema text normalised through jansson so whitespace and key order
 * do not matter; other text (.proto) as it is */
static char *normalise(const char *schema)
{
    json_error_t e;
    json_t *j = json_loads(schema, JSON_DECODE_ANY, &e);
    if (!j)
        return strdup(schema);
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    json_decref(j);
    return s;
}

static void add(sl_schema_registry *r, const char *subject, const char *schema, int id)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->items = realloc(r->items, (size_t)r->cap * sizeof *r->items);
    }
    r->items[r->n].subject = subject ? strdup(subject) : NULL;
    r->items[r->n].schema = strdup(schema);
    r->items[r->n].id = id;
    r->n++;
    if (id >= r->next_id)
        r->next_id = id + 1;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sl_strbuf_append(ud, p, size * n);
    return size * n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts))
        ;
}

/* curl errors a later try may not have: the registry down, restarting, slow */
static bool transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return true;
    default: return false;
    }
}

/* One request, tried again as the file comment says. GET when body is NULL.
 * what: the subject or schema id the request is about, for the message.
 * Returns the parsed reply or NULL with err; *status gets the HTTP status (0
 * when there was no answer). */
static json_t *request(sl_schema_registry *r, const char *path, const char *body, const char *what, long *status,
                       sl_error *err)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", r->url, path);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    CURLcode rc = CURLE_OK;
    *status = 0;
    for (int attempt = 1;; attempt++) {
        CURL *c = curl_easy_init();
        if (!c) {
            sl_strbuf_free(&sb);
            sl_error_set(err, SL_ERR_IO, "schema registry: curl init failed");
            return NULL;
        }
        sl_strbuf_reset(&sb);
        struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/vnd.schemaregistry.v1+json");
        h = curl_slist_append(h, "Accept: application/vnd.schemaregistry.v1+json, application/json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(r->timeout_ms < 5000 ? r->timeout_ms : 5000));
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        if (r->user_info) {
            curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
            curl_easy_setopt(c, CURLOPT_USERPWD, r->user_info);
        }
        if (r->ca)
            curl_easy_setopt(c, CURLOPT_CAINFO, r->ca);
        if (r->cert)
            curl_easy_setopt(c, CURLOPT_SSLCERT, r->cert);
        if (r->key)
            curl_easy_setopt(c, CURLOPT_SSLKEY, r->key);
        if (r->key_password)
            curl_easy_setopt(c, CURLOPT_KEYPASSWD, r->key_password);
        if (!r->verify_host)
            curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        if (body)
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        rc = curl_easy_perform(c);
        r->requests++;
        *status = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        bool again = rc != CURLE_OK ? transient(rc) : *status >= 500 || *status == 429;
        if (!again || attempt >= r->max_attempts)
            break;
        sleep_ms((long)r->backoff_ms << (attempt - 1 < 6 ? attempt - 1 : 6));
    }
    json_t *j = NULL;
    if (rc != CURLE_OK) {
        sl_error_set(err, SL_ERR_IO, "schema registry at %s cannot be reached (%s: %s, %d tries)", r->shown_url, what,
                     curl_easy_strerror(rc), r->max_attempts);
    } else if (*status / 100 != 2) {
        /* the registry's own message when it gave one */
        json_t *e = json_loadb(sb.data ? sb.data : "", sb.len, 0, NULL);
        const char *m = json_string_value(json_object_get(e, "message"));
        const char *why = *status == 409 ? "the schema is incompatible with the subject's earlier versions"
                          : *status == 401 || *status == 403 ? "not authorised (check schema.registry.basic.auth.user.info)"
                          : *status == 422 ? "the schema is invalid"
                          : *status == 404 ? "not found"
                                           : "request failed";
        sl_error_set(err, *status == 404 ? SL_ERR_INVALID : SL_ERR_IO, "schema registry at %s: %s: %s (HTTP %ld)%s%.300s",
                     r->shown_url, what, why, *status, m ? ": " : "", m ? m : "");
        json_decref(e);
    } else {
        j = json_loadb(sb.data ? sb.data : "", sb.len, JSON_DECODE_ANY, NULL);
        if (!j)
            sl_error_set(err, SL_ERR_IO, "schema registry at %s: %s: the reply is not JSON", r->shown_url, what);
    }
    sl_strbuf_free(&sb);
    return j;
}

sl_err_t sl_registry_ping(sl_schema_registry *r, sl_error *err)
{
    if (!r->url)
        return SL_OK;
    pthread_mutex_lock(&r->lock);
    long status;
    json_t *j = request(r, "/subjects", NULL, "listing subjects", &status, err);
    pthread_mutex_unlock(&r->lock);
    if (!j)
        return err ? err->code : SL_ERR_IO;
    json_decref(j);
    return SL_OK;
}

/* "/subjects/<escaped subject><tail>" */
static void subject_path(char *buf, size_t cap, const char *subject, const char *tail)
{
    char *e = curl_easy_escape(NULL, subject, 0);
    snprintf(buf, cap, "/subjects/%s%s", e ? e : subject, tail);
    curl_free(e);
}

sl_err_t sl_registry_register_typed(sl_schema_registry *r, const char *subject, const char *type, const char *schema,
                                    int *id, sl_error *err)
{
    char *norm = normalise(schema);
    sl_err_t rc = SL_OK;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++)
        if (r->items[i].subject && !strcmp(r->items[i].subject, subject) && !strcmp(r->items[i].schema, norm)) {
            *id = r->items[i].id;
            goto out;
        }
    if (!r->url) {
        /* the same schema under another subject keeps its id */
        int found = -1;
        for (int i = 0; i < r->n; i++)
            if (!strcmp(r->items[i].schema, norm))
                found = r->items[i].id;
        *id = found > 0 ? found : r->next_id;
        add(r, subject, norm, *id);
        goto out;
    }
    json_t *req = json_pack("{s:s}", "schema", schema);
    if (type && strcmp(type, "AVRO"))
        json_object_set_new(req, "schemaType", json_string(type));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char path[1200], what[600];
    subject_path(path, sizeof path, subject, "/versions");
    snprintf(what, sizeof what, "registering the %s schema of subject '%s'", type ? type : "AVRO", subject);
    long status;
    json_t *resp = request(r, path, body, what, &status, err);
    free(body);
    if (!resp) {
        rc = err ? err->code : SL_ERR_IO;
        goto out;
    }
    json_t *jid = json_object_get(resp, "id");
    if (!json_is_integer(jid) || json_integer_value(jid) <= 0) {
        rc = sl_error_set(err, SL_ERR_IO, "schema registry at %s: %s: the reply has no schema id", r->shown_url, what);
        json_decref(resp);
        goto out;
    }
    *id = (int)json_integer_value(jid);
    json_decref(resp);
    add(r, subject, norm, *id);
out:
    pthread_mutex_unlock(&r->lock);
    free(norm);
    return rc;
}

sl_err_t sl_registry_register(sl_schema_registry *r, const char *subject, const char *schema, int *id, sl_error *err)
{
    return sl_registry_register_typed(r, subject, "AVRO", schema, id, err);
}

/* A schema's references (PROTOBUF imports): each referenced schema fetched
 * and kept under the reference's name, the subject the .proto reader asks
 * for an import by (proto_schema.h). A reference that cannot be fetched is
 * left out: the reader then names the import it lacks. Lock held. */
static void fetch_references(sl_schema_registry *r, json_t *resp, int depth)
{
    json_t *refs = json_object_get(resp, "references");
    for (size_t i = 0; i < json_array_size(refs) && depth < 8; i++) {
        json_t *ref = json_array_get(refs, i);
        const char *name = json_string_value(json_object_get(ref, "name"));
        const char *subject = json_string_value(json_object_get(ref, "subject"));
        json_int_t version = json_integer_value(json_object_get(ref, "version"));
        bool known = false;
        for (int k = 0; name && k < r->n; k++)
            known |= r->items[k].subject && !strcmp(r->items[k].subject, name);
        if (!name || !subject || known)
            continue;
        char tail[64], path[1200], what[600];
        snprintf(tail, sizeof tail, "/versions/%lld", version > 0 ? (long long)version : -1LL);
        subject_path(path, sizeof path, subject, version > 0 ? tail : "/versions/latest");
        snprintf(what, sizeof what, "the schema '%s' refers to as '%s'", subject, name);
        long status;
        json_t *got = request(r, path, NULL, what, &status, NULL);
        const char *text = json_string_value(json_object_get(got, "schema"));
        int id = (int)json_integer_value(json_object_get(got, "id"));
        if (text && id > 0) {
            char *norm = normalise(text);
            add(r, name, norm, id);
            free(norm);
            fetch_references(r, got, depth + 1);
        }
        json_decref(got);
    }
}

sl_err_t sl_registry_seed(sl_schema_registry *r, const char *subject, const char *schema, int id, sl_error *err)
{
    if (r->url || id <= 0)
        return sl_error_set(err, SL_ERR_INVALID, "a schema id can only be chosen in the in-memory registry");
    char *norm = normalise(schema);
    pthread_mutex_lock(&r->lock);
    add(r, subject, norm, id);
    pthread_mutex_unlock(&r->lock);
    free(norm);
    return SL_OK;
}

sl_err_t sl_registry_latest(sl_schema_registry *r, const char *subject, const char **schema, int *id, sl_error *err)
{
    sl_err_t rc = SL_OK;
    pthread_mutex_lock(&r->lock);
    for (int i = r->n - 1; i >= 0; i--)
        if (r->items[i].subject && !strcmp(r->items[i].subject, subject)) {
            *schema = r->items[i].schema;
            *id = r->items[i].id;
            goto out;
        }
    if (!r->url) {
        rc = sl_error_set(err, SL_ERR_INVALID, "Subject '%s' not found in the schema registry", subject);
        goto out;
    }
    char path[1200], what[600];
    subject_path(path, sizeof path, subject, "/versions/latest");
    snprintf(what, sizeof what, "the latest schema of subject '%s'", subject);
    long status;
    json_t *resp = request(r, path, NULL, what, &status, err);
    if (!resp) {
        rc = err ? err->code : status == 404 ? SL_ERR_INVALID : SL_ERR_IO;
        goto out;
    }
    const char *s = json_string_value(json_object_get(resp, "schema"));
    int got = (int)json_integer_value(json_object_get(resp, "id"));
    if (!s || got <= 0) {
        json_decref(resp);
        rc = sl_error_set(err, SL_ERR_IO, "schema registry at %s: %s: the reply has no schema", r->shown_url, what);
        goto out;
    }
    char *norm = normalise(s);
    add(r, subject, norm, got);
    free(norm);
    *schema = r->items[r->n - 1].schema; /* stays put: items hold pointers */
    *id = got;
    fetch_references(r, resp, 0);
    json_decref(resp);
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}

sl_err_t sl_registry_by_id(sl_schema_registry *r, int id, const char **schema, sl_error *err)
{
    sl_err_t rc = SL_OK;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < r->n; i++)
        if (r->items[i].id == id) {
            *schema = r->items[i].schema;
            goto out;
        }
    if (!r->url) {
        rc = sl_error_set(err, SL_ERR_RUNTIME, "Schema id %d not found", id);
        goto out;
    }
    char path[64], what[64];
    snprintf(path, sizeof path, "/schemas/ids/%d", id);
    snprintf(what, sizeof what, "schema id %d", id);
    long status;
    json_t *resp = request(r, path, NULL, what, &status, err);
    if (!resp) {
        /* a record that cannot be decoded now: the processing log's */
        if (err)
            err->code = SL_ERR_RUNTIME;
        rc = SL_ERR_RUNTIME;
        goto out;
    }
    const char *s = json_string_value(json_object_get(resp, "schema"));
    if (s) {
        char *norm = normalise(s);
        add(r, NULL, norm, id);
        free(norm);
        *schema = r->items[r->n - 1].schema;
        fetch_references(r, resp, 0);
    } else {
        rc = sl_error_set(err, SL_ERR_RUNTIME, "Schema id %d not found", id);
    }
    json_decref(resp);
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}
