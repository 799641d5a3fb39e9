/* Schema registry client. The memory backend keeps every (subject, schema,
 * id); the HTTP backend asks the registry's REST API and caches what it
 * learns in the same table, so lookups by id are fetched once. */
#include "serde/registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

typedef struct reg_entry {
    char *subject; /* NULL when only known by id */
    char *schema;
    int id;
} reg_entry;

struct sl_schema_registry {
    pthread_mutex_t lock;
    char *url; /* NULL: memory backend */
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

sl_schema_registry *sl_registry_new_http(const char *url, sl_error *err)
{
    if (!url || strncmp(url, "http", 4)) {
        sl_error_set(err, SL_ERR_INVALID, "schema.registry.url must be an http(s) URL, got '%s'", url ? url : "");
        return NULL;
    }
    sl_schema_registry *r = sl_registry_new_memory();
    r->url = strdup(url);
    size_t l = strlen(r->url);
    while (l && r->url[l - 1] == '/')
        r->url[--l] = 0;
    return r;
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
    free(r->url);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* schema text normalised through jansson so whitespace does not matter */
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

/* GET or POST; returns parsed JSON or NULL with err */
static json_t *http(sl_schema_registry *r, const char *path, const char *body, sl_error *err)
{
    CURL *c = curl_easy_init();
    if (!c) {
        sl_error_set(err, SL_ERR_IO, "curl init failed");
        return NULL;
    }
    char url[2048];
    snprintf(url, sizeof url, "%s%s", r->url, path);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/vnd.schemaregistry.v1+json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    json_t *j = NULL;
    if (rc != CURLE_OK)
        sl_error_set(err, SL_ERR_IO, "schema registry %s: %s", url, curl_easy_strerror(rc));
    else if (status / 100 != 2)
        sl_error_set(err, status == 404 ? SL_ERR_INVALID : SL_ERR_IO, "schema registry %s: HTTP %ld: %.200s", url,
                     status, sb.data ? sb.data : "");
    else {
        json_error_t je;
        j = json_loadb(sb.data ? sb.data : "", sb.len, 0, &je);
        if (!j)
            sl_error_set(err, SL_ERR_IO, "schema registry %s: bad JSON reply", url);
    }
    sl_strbuf_free(&sb);
    return j;
}

sl_err_t sl_registry_register(sl_schema_registry *r, const char *subject, const char *schema, int *id, sl_error *err)
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
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char path[1024];
    snprintf(path, sizeof path, "/subjects/%s/versions", subject);
    json_t *resp = http(r, path, body, err);
    free(body);
    if (!resp) {
        rc = err ? err->code : SL_ERR_IO;
        goto out;
    }
    *id = (int)json_integer_value(json_object_get(resp, "id"));
    json_decref(resp);
    add(r, subject, norm, *id);
out:
    pthread_mutex_unlock(&r->lock);
    free(norm);
    return rc;
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
    char path[1024];
    snprintf(path, sizeof path, "/subjects/%s/versions/latest", subject);
    json_t *resp = http(r, path, NULL, err);
    if (!resp) {
        rc = err ? err->code : SL_ERR_IO;
        goto out;
    }
    const char *s = json_string_value(json_object_get(resp, "schema"));
    int got = (int)json_integer_value(json_object_get(resp, "id"));
    if (!s) {
        json_decref(resp);
        rc = sl_error_set(err, SL_ERR_IO, "schema registry: no schema for subject '%s'", subject);
        goto out;
    }
    char *norm = normalise(s);
    add(r, subject, norm, got);
    free(norm);
    json_decref(resp);
    *schema = r->items[r->n - 1].schema;
    *id = got;
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
    char path[64];
    snprintf(path, sizeof path, "/schemas/ids/%d", id);
    json_t *resp = http(r, path, NULL, err);
    if (!resp) {
        rc = SL_ERR_RUNTIME;
        goto out;
    }
    const char *s = json_string_value(json_object_get(resp, "schema"));
    if (s) {
        char *norm = normalise(s);
        add(r, NULL, norm, id);
        free(norm);
        *schema = r->items[r->n - 1].schema;
    } else {
        rc = sl_error_set(err, SL_ERR_RUNTIME, "Schema id %d not found", id);
    }
    json_decref(resp);
out:
    pthread_mutex_unlock(&r->lock);
    return rc;
}
