/* Memory driver. Input values are JSON; each is turned into bytes with the
 * format of the source that reads its topic, as ksqlDB's test runner does
 * (JSON payloads are passed through exactly as written, so the JSON
 * deserializer's coercions are exercised; other formats go through a typed
 * value, read with the runner's conversions, and the format's encoder).
 * Output bytes are decoded with the sink's serde and written back as JSON. */
#include "runtime/memory_driver.h"

#include "ops/fate.h"
#include "runtime/batch.h"
#include "runtime/test_input.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arena.h"
#include "common/base64.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "ops/topology.h"
#include "serde/json.h"
#include "serde/registry.h"
#include "serde/confluent_header.h"
#include "serde/serde.h"
#include "serde/windowed_key.h"
#include "sql/ast.h"
#include "sql/catalog.h"

struct sl_test_case {
    sl_topology *topo;
    const sl_catalog *cat;
    sl_schema_registry *registry;
    /* the micro-batch of sluice run (batch.h): one per input record, its
     * chained outputs run through it depth first; NULL for a case that
     * another driver runs */
    sl_batch *batch;
    sl_arena *arena;
    json_t *outputs;
    json_t *changelog; /* the changelog records the batches wrote; NULL: not kept */
    json_t *next_offsets; /* topic -> the offset its next input record gets
                             (a partition's offsets count from 0, as Kafka's) */
    sl_error *err;
    int failed; /* exit code of a fatal runtime failure */
    char *topic_prefix; /* before the test's topic names; "" when none */
    /* the last encoded input record's bytes */
    sl_strbuf kb, vb;
    sl_header headers[64];
    char *decoded[64];
};
typedef struct sl_test_case mem_run;

static sl_source *source_for_topic(const sl_catalog *cat, const char *topic, bool sink)
{
    sl_catalog *c = (sl_catalog *)cat;
    sl_source *found = NULL;
    for (int i = 0; i < sl_catalog_count(c); i++) {
        sl_source *s = sl_catalog_at(c, i);
        if (s->name[0] && !strcmp(s->topic, topic)) {
            if (sink && s->from_query)
                return s;
            if (!found)
                found = s;
        }
    }
    return found;
}

/* JSON text of a jansson value; reals keep their shortest round-trip form */
static char *to_text(json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

/* bytes of a test-file value for one side (key or value) of a source, as
 * ksqlDB's test runner writes it with the topic's format: JSON as written
 * (raw: the value's own text, kept exactly; NULL when not known), DELIMITED
 * strings as they are, the KAFKA and AVRO formats from a typed value read
 * with the runner's own conversions (KafkaSerdeSupplier, SpecToConnect-
 * Converter), the others with ksqlDB's JSON rules. A value the runner could
 * not write fails the test. */
static sl_err_t encode_side(mem_run *r, const sl_source *src, bool key, json_t *j, const char *raw, sl_strbuf *out,
                            bool *is_null, sl_error *err)
{
    *is_null = !j || json_is_null(j);
    if (*is_null)
        return SL_OK;
    sl_format fmt = key ? src->key_format : src->value_format;
    sl_serde *serde = key ? src->key_serde : src->value_serde;
    const sl_type *schema = key ? src->key_schema : src->value_schema;
    sl_strbuf_reset(out);
    if (fmt == SL_FORMAT_DELIMITED && json_is_string(j)) {
        sl_strbuf_append(out, json_string_value(j), json_string_length(j));
        return SL_OK;
    }
    char *t = raw ? strdup(raw) : to_text(j);
    if (fmt == SL_FORMAT_JSON_SR) {
        /* the wire header, then the JSON text as written in the test */
        sl_confluent_header_put(out, sl_serde_options_of(serde)->schema_id);
        sl_strbuf_puts(out, t);
        free(t);
        return SL_OK;
    }
    if (fmt == SL_FORMAT_JSON || fmt == SL_FORMAT_NONE || !schema) {
        sl_strbuf_puts(out, t);
        free(t);
        return SL_OK;
    }
    /* typed: unwrapped single column, or an object of columns */
    sl_json_dialect dialect = fmt == SL_FORMAT_KAFKA  ? SL_JSON_SPEC_KAFKA
                              : fmt == SL_FORMAT_AVRO ? SL_JSON_SPEC_CONNECT
                                                      : SL_JSON_KSQL;
    sl_value *cols = sl_arena_calloc(r->arena, (size_t)schema->nfields + 1, sizeof *cols);
    sl_err_t rc;
    bool unwrapped = sl_serde_options_of(serde)->unwrapped || (schema->nfields == 1 && !json_is_object(j));
    if (unwrapped && schema->nfields >= 1) {
        rc = sl_json_parse_dialect(t, strlen(t), schema->fields[0].type, dialect, &cols[0], r->arena, err);
    } else {
        sl_value row;
        rc = sl_json_parse_dialect(t, strlen(t), schema, dialect, &row, r->arena, err);
        if (!rc)
            for (int i = 0; i < schema->nfields; i++)
                cols[i] = row.null ? sl_null(schema->fields[i].type->kind) : row.u.c.items[i];
    }
    /* the parsed strings point into t, so it lives until they are encoded */
    if (!rc)
        rc = sl_serde_encode(serde, cols, out, err);
    free(t);
    return rc;
}

/* KAFKA BYTES as the test runner shows them: new String(bytes, UTF_8),
 * a malformed sequence read as U+FFFD */
static json_t *utf8_text(const unsigned char *p, size_t n)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        bool ok = len && i + len <= n && (len != 2 || c >= 0xC2);
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xC0) == 0x80;
        if (ok && len == 3) {
            unsigned cp = (unsigned)(c & 0x0F) << 12 | (unsigned)(p[i + 1] & 0x3F) << 6 | (p[i + 2] & 0x3F);
            ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
        } else if (ok && len == 4) {
            unsigned cp = (unsigned)(c & 0x07) << 18 | (unsigned)(p[i + 1] & 0x3F) << 12 |
                          (unsigned)(p[i + 2] & 0x3F) << 6 | (p[i + 3] & 0x3F);
            ok = cp >= 0x10000 && cp <= 0x10FFFF;
        }
        if (ok) {
            sl_strbuf_append(&sb, p + i, len);
            i += len;
        } else {
            sl_strbuf_puts(&sb, "\xEF\xBF\xBD");
            i++;
        }
    }
    json_t *j = json_stringn(sb.data ? sb.data : "", sb.len);
    sl_strbuf_free(&sb);
    return j ? j : json_null();
}

/* JSON of produced bytes for one side of a sink */
static json_t *decode_side(mem_run *r, const sl_source *sink, bool key, const void *data, size_t len)
{
    if (!data)
        return json_null();
    sl_format fmt = key ? sink->key_format : sink->value_format;
    if (fmt == SL_FORMAT_DELIMITED)
        return json_stringn(data, len);
    if (fmt == SL_FORMAT_JSON_SR && len >= 5 && ((const unsigned char *)data)[0] == 0) {
        data = (const char *)data + 5;
        len -= 5;
        fmt = SL_FORMAT_JSON;
    }
    if (fmt == SL_FORMAT_JSON) {
        json_error_t e;
        json_t *j = json_loadb(data, len, JSON_DECODE_ANY, &e);
        return j ? j : json_stringn(data, len);
    }
    const sl_type *schema = key ? sink->key_schema : sink->value_schema;
    sl_serde *serde = key ? sink->key_serde : sink->value_serde;
    if (fmt == SL_FORMAT_KAFKA && schema->nfields == 1 && schema->fields[0].type->kind == SL_BYTES)
        return utf8_text(data, len);
    sl_value *cols = sl_arena_calloc(r->arena, (size_t)schema->nfields + 1, sizeof *cols);
    sl_error err = {0};
    if (sl_serde_decode(serde, data, len, cols, r->arena, &err))
        return json_sprintf("<undecodable: %s>", err.msg);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    if (schema->nfields == 1 && (sl_serde_options_of(serde)->unwrapped || fmt == SL_FORMAT_KAFKA)) {
        sl_json_write(&sb, &cols[0], schema->fields[0].type);
    } else {
        sl_value row = sl_struct_new(r->arena, (uint32_t)schema->nfields);
        for (int i = 0; i < schema->nfields; i++)
            row.u.c.items[i] = cols[i];
        sl_json_write(&sb, &row, schema);
    }
    json_error_t e;
    json_t *j = json_loadb(sb.data ? sb.data : "null", sb.len ? sb.len : 4, JSON_DECODE_ANY, &e);
    sl_strbuf_free(&sb);
    return j ? j : json_null();
}

/* An expected value as the sink's schema reads it, written back the way
 * decode_side writes actual values: field names matched case-insensitively,
 * "1.0" for a DECIMAL read as the number, unknown fields ignored and missing
 * ones null, as ksqlDB's test runner does by passing expectations through
 * the topic's serde. A value the schema cannot read (a wrong type) stays as
 * written, so that it still fails the comparison. */
static json_t *canonical_side(mem_run *r, const sl_source *sink, bool key, json_t *j)
{
    sl_format fmt = key ? sink->key_format : sink->value_format;
    const sl_type *schema = key ? sink->key_schema : sink->value_schema;
    sl_serde *serde = key ? sink->key_serde : sink->value_serde;
    if (!j || json_is_null(j) || !schema || !serde || schema->nfields < 1 || fmt == SL_FORMAT_DELIMITED ||
        fmt == SL_FORMAT_NONE)
        return NULL;
    if (fmt == SL_FORMAT_KAFKA && schema->fields[0].type->kind == SL_BYTES)
        return NULL; /* text, as decode_side shows it */
    bool unwrapped = schema->nfields == 1 &&
                     (sl_serde_options_of(serde)->unwrapped || fmt == SL_FORMAT_KAFKA || !json_is_object(j));
    /* as in ksqlDB, a field the schema lacks is ignored and a missing one is null */
    if (!unwrapped && !json_is_object(j))
        return NULL;
    char *t = to_text(j);
    sl_error err = {0};
    sl_value v;
    sl_err_t rc = sl_json_parse_dialect(t, strlen(t), unwrapped ? schema->fields[0].type : schema, SL_JSON_ANY_CASE,
                                        &v, r->arena, &err);
    json_t *out = NULL;
    if (!rc) {
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        sl_json_write(&sb, &v, unwrapped ? schema->fields[0].type : schema);
        json_error_t e;
        out = json_loadb(sb.data ? sb.data : "null", sb.len ? sb.len : 4, JSON_DECODE_ANY, &e);
        sl_strbuf_free(&sb);
    }
    free(t);
    return out;
}

static void canonicalize_expected(mem_run *r, json_t *expected)
{
    for (size_t i = 0; i < json_array_size(expected); i++) {
        json_t *rec = json_array_get(expected, i);
        const char *topic = json_string_value(json_object_get(rec, "topic"));
        const sl_source *sink = topic ? source_for_topic(r->cat, topic, true) : NULL;
        if (!sink)
            continue;
        for (int side = 0; side < 2; side++) {
            const char *field = side ? "value" : "key";
            json_t *c = canonical_side(r, sink, !side, json_object_get(rec, field));
            if (c)
                json_object_set_new(rec, field, c);
        }
        sl_arena_reset(r->arena);
    }
}

json_t *sl_test_case_output(sl_test_case *r, const sl_record *out)
{
    const sl_source *sink = source_for_topic(r->cat, out->topic, true);
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(out->topic));
    size_t klen = out->key_len;
    json_t *window = NULL;
    if (sink && sink->window_kind && out->key) {
        int64_t start = 0, end = 0;
        size_t inner;
        if (sl_windowed_key_split(out->key, klen, sink->window_kind == SL_WINDOW_SESSION, sink->window_size_ms, &inner, &start, &end))
            klen = inner;
        window = json_pack("{s:I,s:I,s:s}", "start", (json_int_t)start, "end", (json_int_t)end, "type",
                           sink->window_kind == SL_WINDOW_SESSION ? "session" : "time");
    }
    json_object_set_new(o, "key", sink ? decode_side(r, sink, true, out->key, klen) : json_null());
    json_object_set_new(o, "value", sink ? decode_side(r, sink, false, out->value, out->value_len) : json_null());
    json_object_set_new(o, "timestamp", json_integer(out->timestamp));
    if (window)
        json_object_set_new(o, "window", window);
    return o;
}

/* an output of the batch; the batch runs it on through the chained
 * queries that read its topic (chain_inline) */
static void on_send(void *ctx, const sl_record *out)
{
    mem_run *r = ctx;
    /* an n-way join's internal steps are no output of the test, as
     * ksqlDB's internal topics are not */
    const sl_source *sink = source_for_topic(r->cat, out->topic, true);
    if (!sink || !sink->internal) {
        json_t *o = sl_test_case_output(r, out);
        json_array_append_new(r->outputs, o);
    }
}

static json_t *hex_or_null(const void *p, size_t n)
{
    if (!p)
        return json_null();
    static const char digits[] = "0123456789abcdef";
    char *h = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        h[2 * i] = digits[((const unsigned char *)p)[i] >> 4];
        h[2 * i + 1] = digits[((const unsigned char *)p)[i] & 15];
    }
    h[2 * n] = 0;
    json_t *j = json_string(h);
    free(h);
    return j;
}

json_t *sl_test_case_change(const char *store, const void *key, size_t key_len, const void *value, size_t value_len)
{
    return json_pack("{s:s, s:o, s:o}", "store", store, "key", hex_or_null(key, key_len), "value",
                     hex_or_null(value, value_len));
}

/* the batch's changelog step: kept for --changelog, otherwise dropped
 * (the stores are the only state of a test) */
static bool on_change(void *ctx, const sl_state_change *c)
{
    mem_run *r = ctx;
    if (r->changelog)
        json_array_append_new(r->changelog, sl_test_case_change(c->store, c->key, c->key_len, c->value, c->value_len));
    return true;
}

/* The processing log: on stderr as a warning, as `sluice run` logs it (the
 * comparison ignores it, as ksqlDB's test runner does), so that a record a
 * test silently lacks has its reason in sight. */
static void on_processing_error(void *ctx, const char *query, const sl_record *src, const char *msg)
{
    (void)ctx;
    sl_warn("processing", "%s: %s/%d/%lld: %s", query ? query : "-", src->topic, src->partition,
            (long long)src->offset, msg);
}

static void on_fatal_error(void *ctx, const sl_record *src, const char *msg)
{
    mem_run *r = ctx;
    if (!r->failed) {
        sl_error_set(r->err, SL_ERR_RUNTIME, "%s (topic %s, offset %lld)", msg, src->topic, (long long)src->offset);
        r->failed = 3;
    }
}

static void on_record_failed(void *ctx, const sl_record *src, const sl_error *err)
{
    mem_run *r = ctx;
    (void)src;
    if (!r->failed) {
        *r->err = *err;
        r->failed = 3;
    }
}

/* "properties" of the test: ksqlDB names and string values */
static const char **properties_of(json_t *input, const char *topic_prefix)
{
    json_t *props = json_object_get(input, "properties");
    size_t n = json_is_object(props) ? json_object_size(props) : 0;
    const char **kv = calloc(2 * n + 4, sizeof *kv);
    size_t i = 0;
    if (topic_prefix) {
        kv[i++] = SL_TOPIC_PREFIX_PROPERTY;
        kv[i++] = strdup(topic_prefix);
    }
    const char *k;
    json_t *v;
    if (n)
        json_object_foreach(props, k, v)
        {
            kv[i++] = k;
            kv[i++] = json_is_string(v) ? strdup(json_string_value(v)) : to_text(v);
        }
    return kv;
}

int sl_test_case_open(const char *sql, const char *file, json_t *input, const char *topic_prefix,
                      sl_test_case **out, sl_error *err)
{
    const char **props = properties_of(input, topic_prefix);
    /* the test's "topics" seed an in-memory schema registry */
    sl_schema_registry *registry = sl_registry_new_memory();
    json_t *topics = json_object_get(input, "topics");
    for (size_t i = 0; i < json_array_size(topics); i++) {
        json_t *t = json_array_get(topics, i);
        const char *name = json_string_value(json_object_get(t, "name"));
        for (int side = 0; name && side < 2; side++) {
            json_t *schema = json_object_get(t, side ? "valueSchema" : "keySchema");
            const char *fmt = json_string_value(json_object_get(t, side ? "valueFormat" : "keyFormat"));
            if (!schema || (fmt && strcasecmp(fmt, "AVRO") && strcasecmp(fmt, "JSON_SR") && strcasecmp(fmt, "JSON") &&
                            strcasecmp(fmt, "PROTOBUF")))
                continue;
            char subject[512];
            snprintf(subject, sizeof subject, "%s%s-%s", topic_prefix ? topic_prefix : "", name,
                     side ? "value" : "key");
            /* PROTOBUF schemas are .proto text: registered as given */
            char *text = fmt && !strcasecmp(fmt, "PROTOBUF") && json_is_string(schema)
                             ? strdup(json_string_value(schema))
                             : json_dumps(schema, JSON_COMPACT | JSON_ENCODE_ANY);
            int id;
            sl_error e = {0};
            /* "keySchemaId"/"valueSchemaId": the id the test gives it */
            json_t *given = json_object_get(t, side ? "valueSchemaId" : "keySchemaId");
            if (json_is_integer(given) && json_integer_value(given) > 0)
                sl_registry_seed(registry, subject, text, (int)json_integer_value(given), &e);
            else
                sl_registry_register(registry, subject, text, &id, &e);
            free(text);
            /* a PROTOBUF schema's references: each imported file's text,
             * registered under its import name (proto_schema.c's imports) */
            json_t *refs = json_object_get(t, side ? "valueSchemaReferences" : "keySchemaReferences");
            for (size_t r = 0; r < json_array_size(refs); r++) {
                json_t *ref = json_array_get(refs, r);
                const char *rname = json_string_value(json_object_get(ref, "name"));
                json_t *rschema = json_object_get(ref, "schema");
                if (rname && json_is_string(rschema))
                    sl_registry_register_typed(registry, rname, "PROTOBUF", json_string_value(rschema), &id, &e);
            }
        }
    }
    sl_compile_options opts = {.properties = props, .schema_registry = registry};
    if (topic_prefix)
        opts.internal_topic_prefix = topic_prefix;
    sl_topology *topo = sl_topology_compile(sql, file, &opts, err);
    for (size_t i = 1; props[i - 1]; i += 2)
        free((void *)props[i]);
    free(props);
    if (!topo) {
        sl_registry_destroy(registry);
        return err->code == SL_ERR_UNSUPPORTED ? 4 : err->code == SL_ERR_RUNTIME ? 3 : 2;
    }
    mem_run *r = calloc(1, sizeof *r);
    r->err = err;
    r->topo = topo;
    r->registry = registry;
    r->cat = sl_topology_catalog(topo);
    r->arena = sl_arena_new(64 * 1024);
    r->outputs = json_array();
    r->next_offsets = json_object();
    r->topic_prefix = strdup(topic_prefix ? topic_prefix : "");
    sl_strbuf_init(&r->kb);
    sl_strbuf_init(&r->vb);
    *out = r;
    return 0;
}

const sl_topology *sl_test_case_topology(const sl_test_case *r)
{
    return r->topo;
}

static void free_decoded(mem_run *r)
{
    for (int h = 0; h < 64; h++) {
        free(r->decoded[h]);
        r->decoded[h] = NULL;
    }
}

int sl_test_case_encode(sl_test_case *r, json_t *in, sl_record *rec, sl_error *err)
{
    free_decoded(r);
    const char *topic = json_string_value(json_object_get(in, "topic"));
    if (!topic)
        return 1;
    char physical[1024];
    snprintf(physical, sizeof physical, "%s%s", r->topic_prefix, topic);
    const sl_source *src = source_for_topic(r->cat, physical, false);
    if (!src)
        return 1;
    bool knull, vnull;
    json_int_t offset = json_integer_value(json_object_get(r->next_offsets, src->topic));
    json_object_set_new(r->next_offsets, src->topic, json_integer(offset + 1));
    *rec = (sl_record){.topic = src->topic, .partition = 0, .offset = (int64_t)offset};
    json_t *ts = json_object_get(in, "timestamp");
    rec->timestamp = json_is_number(ts) ? (int64_t)json_number_value(ts) : 0;
    const char *raw_key = json_string_value(json_object_get(in, SL_TEST_RAW_KEY));
    const char *raw_value = json_string_value(json_object_get(in, SL_TEST_RAW_VALUE));
    if (encode_side(r, src, true, json_object_get(in, "key"), raw_key, &r->kb, &knull, err) ||
        encode_side(r, src, false, json_object_get(in, "value"), raw_value, &r->vb, &vnull, err))
        return 3; /* a test value the format cannot carry: ksqlDB fails the test */
    json_t *win = json_object_get(in, "window");
    if (!knull && src->window_kind && json_is_object(win)) {
        /* a windowed source's key carries its window, as Kafka Streams writes it */
        int64_t ws = (int64_t)json_number_value(json_object_get(win, "start"));
        int64_t we = (int64_t)json_number_value(json_object_get(win, "end"));
        sl_windowed_key_append(&r->kb, src->window_kind == SL_WINDOW_SESSION, ws, we);
    }
    if (!knull) {
        rec->key = r->kb.data ? r->kb.data : "";
        rec->key_len = r->kb.len;
    }
    if (!vnull) {
        rec->value = r->vb.data ? r->vb.data : "";
        rec->value_len = r->vb.len;
    }
    json_t *hs = json_object_get(in, "headers");
    size_t nh = 0;
    if (json_array_size(hs) > 64) {
        sl_error_set(err, SL_ERR_RUNTIME, "a test record has %zu headers; sluice test takes at most 64",
                     json_array_size(hs));
        return 3;
    }
    for (size_t h = 0; h < json_array_size(hs) && nh < 64; h++) {
        json_t *hj = json_array_get(hs, h);
        r->headers[nh].key = json_string_value(json_object_get(hj, "KEY"));
        json_t *hv = json_object_get(hj, "VALUE");
        r->headers[nh].value = NULL;
        r->headers[nh].value_len = 0;
        if (json_is_string(hv)) {
            r->decoded[nh] = sl_base64_decode(json_string_value(hv), &r->headers[nh].value_len);
            r->headers[nh].value = r->decoded[nh];
        }
        if (r->headers[nh].key)
            nh++;
    }
    rec->headers = r->headers;
    rec->nheaders = nh;
    return 0;
}

void sl_test_case_canonicalize(sl_test_case *r, json_t *expected)
{
    canonicalize_expected(r, expected);
}

void sl_test_case_close(sl_test_case *r)
{
    if (!r)
        return;
    free_decoded(r);
    free(r->topic_prefix);
    sl_strbuf_free(&r->kb);
    sl_strbuf_free(&r->vb);
    json_decref(r->outputs);
    json_decref(r->next_offsets);
    json_decref(r->changelog);
    sl_arena_destroy(r->arena);
    sl_batch_destroy(r->batch);
    sl_topology_destroy(r->topo);
    sl_registry_destroy(r->registry);
    free(r);
}

static json_t *stats_json(const mem_run *r)
{
    json_t *all = json_array();
    for (int i = 0; i < sl_topology_query_count(r->topo); i++) {
        const sl_query_stats *s = sl_task_query_stats(sl_batch_task(r->batch, 0), i);
        json_array_append_new(
            all, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id",
                           sl_topology_query_id(r->topo, i), "sink", sl_topology_query_sink(r->topo, i), "internal",
                           sl_topology_query_internal(r->topo, i), "read", (json_int_t)s->read, "passed",
                           (json_int_t)s->fate[SL_FATE_PASSED], "filtered", (json_int_t)s->fate[SL_FATE_FILTERED],
                           "late", (json_int_t)s->fate[SL_FATE_LATE], "failed", (json_int_t)s->fate[SL_FATE_FAILED],
                           "forwarded", (json_int_t)s->fate[SL_FATE_FORWARDED], "processing_errors",
                           (json_int_t)s->processing_errors, "unaccounted", (json_int_t)s->unaccounted, "overcounted",
                           (json_int_t)s->overcounted));
    }
    return all;
}

int sl_memory_run(const char *sql, const char *file, json_t *input, json_t *expected, json_t **outputs,
                  sl_error *err)
{
    return sl_memory_run_stats(sql, file, input, expected, outputs, NULL, err);
}

int sl_memory_run_stats(const char *sql, const char *file, json_t *input, json_t *expected, json_t **outputs,
                        json_t **stats, sl_error *err)
{
    return sl_memory_run_full(sql, file, input, expected, outputs, stats, NULL, err);
}

int sl_memory_run_full(const char *sql, const char *file, json_t *input, json_t *expected, json_t **outputs,
                       json_t **stats, json_t **changelog, sl_error *err)
{
    mem_run *r = NULL;
    int rc = sl_test_case_open(sql, file, input, NULL, &r, err);
    if (rc)
        return rc;
    /* only the record source and the commit differ from sluice run: one
     * partition (no repartitioning), no record cache (each input record is
     * its own batch, as ksqlDB's test runner runs it), chained queries run
     * depth first, and committing is a no-op (outputs are the test's as
     * they leave) */
    sl_batch_driver bd = {.ctx = r,
                          .produce = on_send,
                          .changelog = on_change,
                          .processing_error = on_processing_error,
                          .fatal_error = on_fatal_error,
                          .record_failed = on_record_failed};
    sl_batch_options bo = {.chain_inline = true};
    r->batch = sl_batch_new(r->topo, &bo, &bd);
    if (changelog)
        r->changelog = json_array();
    sl_batch_task(r->batch, 0);
    json_t *inputs = json_object_get(input, "inputs");
    for (size_t i = 0; i < json_array_size(inputs) && !r->failed; i++) {
        sl_record rec;
        sl_error e = {0};
        int erc = sl_test_case_encode(r, json_array_get(inputs, i), &rec, &e);
        if (erc == 3) {
            *err = e;
            r->failed = 3;
            break;
        }
        if (erc == 0 && sl_batch_process(r->batch, &rec))
            sl_batch_commit(r->batch);
        sl_arena_reset(r->arena);
    }
    if (!r->failed && expected)
        canonicalize_expected(r, expected);
    rc = r->failed;
    if (!rc) {
        *outputs = r->outputs;
        r->outputs = NULL;
        if (stats)
            *stats = stats_json(r);
        if (changelog) {
            *changelog = r->changelog;
            r->changelog = NULL;
        }
    }
    sl_test_case_close(r);
    return rc;
}
