/* Catalog and CREATE STREAM/TABLE. ksqlDB's rules enforced here: a table
 * needs a PRIMARY KEY (a stream uses KEY), KAFKA_TOPIC and a value format
 * are required, the KAFKA key format holds one column, names are unique. */
#include "sql/catalog.h"

#include "serde/avro.h"
#include "serde/jsonschema.h"
#include "serde/proto_schema.h"
#include "serde/registry.h"
#include "sql/parser.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* a MAP anywhere inside t: not allowed in keys (their bytes would not be
 * stable, so equal keys could land on different partitions) */
static bool type_has_map(const sl_type *t, int depth)
{
    if (!t || depth > 64)
        return false;
    if (t->kind == SL_MAP)
        return true;
    if (t->kind == SL_ARRAY)
        return type_has_map(t->elem, depth + 1);
    if (t->kind == SL_STRUCT)
        for (int i = 0; i < t->nfields; i++)
            if (type_has_map(t->fields[i].type, depth + 1))
                return true;
    return false;
}

bool sl_type_has_map(const sl_type *t)
{
    return type_has_map(t, 0);
}

struct sl_catalog {
    sl_arena *arena;
    sl_source **items;
    int count, cap;
    const char **props; /* name, value pairs */
    int nprops, capprops;
    struct sl_schema_registry *registry;
};

void sl_catalog_set_registry(sl_catalog *c, struct sl_schema_registry *registry)
{
    c->registry = registry;
}

void *sl_catalog_registry(const sl_catalog *c)
{
    return c->registry;
}

sl_catalog *sl_catalog_new(sl_arena *arena)
{
    sl_catalog *c = calloc(1, sizeof *c);
    if (c)
        c->arena = arena;
    return c;
}

void sl_catalog_destroy(sl_catalog *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->count; i++) {
        sl_serde_destroy(c->items[i]->key_serde);
        sl_serde_destroy(c->items[i]->value_serde);
    }
    free(c->items);
    free(c->props);
    free(c);
}

sl_source *sl_catalog_find(sl_catalog *c, const char *name)
{
    for (int i = 0; i < c->count; i++)
        if (!strcmp(c->items[i]->name, name))
            return c->items[i];
    return NULL;
}

int sl_catalog_count(const sl_catalog *c)
{
    return c->count;
}

sl_source *sl_catalog_at(sl_catalog *c, int i)
{
    return c->items[i];
}

sl_err_t sl_catalog_add(sl_catalog *c, sl_source *src, const char *file, sl_pos pos, bool or_replace,
                        sl_error *err)
{
    sl_source *old = sl_catalog_find(c, src->name);
    if (old && !or_replace) {
        /* the catalog takes ownership of the serdes even when it refuses */
        sl_serde_destroy(src->key_serde);
        sl_serde_destroy(src->value_serde);
        src->key_serde = src->value_serde = NULL;
        return sl_error_at(err, SL_ERR_INVALID, file, pos.line, pos.col,
                           "Cannot add %s '%s': A %s with the same name already exists",
                           src->is_table ? "table" : "stream", src->name, old->is_table ? "table" : "stream");
    }
    if (old) {
        /* running queries may hold the old serdes: keep the old source
         * owned, hidden under an empty name at the end of the list */
        for (int i = 0; i < c->count; i++)
            if (c->items[i] == old)
                c->items[i] = src;
        src = old;
        src->name = "";
    }
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->items = realloc(c->items, (size_t)c->cap * sizeof *c->items);
    }
    c->items[c->count++] = src;
    return SL_OK;
}

void sl_catalog_remove(sl_catalog *c, const char *name)
{
    for (int i = 0; i < c->count; i++)
        if (!strcmp(c->items[i]->name, name)) {
            /* keep the entry's serdes owned by moving it to the end, hidden */
            sl_source *s = c->items[i];
            memmove(&c->items[i], &c->items[i + 1], (size_t)(c->count - i - 1) * sizeof *c->items);
            c->items[c->count - 1] = s;
            s->name = "";
            return;
        }
}

void sl_catalog_set_property(sl_catalog *c, const char *name, const char *value)
{
    for (int i = 0; i < c->nprops; i++)
        if (!strcmp(c->props[2 * i], name)) {
            c->props[2 * i + 1] = value ? sl_arena_strdup(c->arena, value) : NULL;
            return;
        }
    if (c->nprops == c->capprops) {
        c->capprops = c->capprops ? c->capprops * 2 : 8;
        c->props = realloc(c->props, (size_t)c->capprops * 2 * sizeof *c->props);
    }
    c->props[2 * c->nprops] = sl_arena_strdup(c->arena, name);
    c->props[2 * c->nprops + 1] = value ? sl_arena_strdup(c->arena, value) : NULL;
    c->nprops++;
}

const char *sl_catalog_physical_topic(const sl_catalog *c, const char *topic)
{
    const char *prefix = sl_catalog_property(c, SL_TOPIC_PREFIX_PROPERTY);
    return prefix && *prefix ? sl_arena_sprintf(c->arena, "%s%s", prefix, topic) : topic;
}

const char *sl_catalog_property(const sl_catalog *c, const char *name)
{
    for (int i = 0; i < c->nprops; i++)
        if (!strcmp(c->props[2 * i], name))
            return c->props[2 * i + 1];
    return NULL;
}

const sl_property *sl_with_find(const sl_property_list *w, const char *name)
{
    for (int i = 0; i < w->count; i++)
        if (!strcmp(w->items[i].name, name))
            return &w->items[i];
    return NULL;
}

static const char *const known_with[] = {
    "KAFKA_TOPIC", "VALUE_FORMAT", "KEY_FORMAT", "FORMAT", "PARTITIONS", "REPLICAS", "TIMESTAMP",
    "TIMESTAMP_FORMAT", "WRAP_SINGLE_VALUE", "VALUE_DELIMITER", "KEY_DELIMITER", "WINDOW_TYPE",
    "WINDOW_SIZE", "VALUE_AVRO_SCHEMA_FULL_NAME", "KEY_AVRO_SCHEMA_FULL_NAME", "VALUE_SCHEMA_ID",
    "KEY_SCHEMA_ID", "VALUE_SCHEMA_FULL_NAME", "KEY_SCHEMA_FULL_NAME", "RETENTION_MS",
    "KEY_PROTOBUF_NULLABLE_REPRESENTATION", "VALUE_PROTOBUF_NULLABLE_REPRESENTATION",
    "CLEANUP_POLICY", "SOURCED_BY_CONNECTOR", NULL};

static sl_err_t check_with(const sl_property_list *w, const char *file, sl_error *err)
{
    for (int i = 0; i < w->count; i++) {
        bool ok = false;
        for (int k = 0; known_with[k]; k++)
            if (!strcmp(known_with[k], w->items[i].name))
                ok = true;
        if (!ok)
            return sl_error_at(err, SL_ERR_INVALID, file, w->items[i].pos.line, w->items[i].pos.col,
                               "Invalid config variable(s) in the WITH clause: %s", w->items[i].name);
    }
    return SL_OK;
}

static const char *prop_string(const sl_property *p)
{
    if (!p)
        return NULL;
    if (p->value.kind == SL_STRING)
        return p->value.u.s.ptr;
    return NULL;
}

static bool delimiter_char(const char *s, char *out)
{
    if (!s)
        return false;
    if (!strcasecmp(s, "TAB"))
        *out = '\t';
    else if (!strcasecmp(s, "SPACE"))
        *out = ' ';
    else if (strlen(s) == 1)
        *out = s[0];
    else
        return false;
    return true;
}

sl_err_t sl_source_finish(sl_source *s, sl_arena *a, struct sl_schema_registry *registry, const char *file, sl_pos pos,
                          sl_error *err)
{
    sl_field *kf = sl_arena_calloc(a, (size_t)s->ncols + 1, sizeof *kf);
    sl_field *vf = sl_arena_calloc(a, (size_t)s->ncols + 1, sizeof *vf);
    int nk = 0, nv = 0;
    for (int i = 0; i < s->ncols; i++) {
        sl_field f = {s->cols[i].name, s->cols[i].type};
        if (s->cols[i].role == SL_COL_KEY || s->cols[i].role == SL_COL_PRIMARY_KEY)
            kf[nk++] = f;
        else if (s->cols[i].role == SL_COL_VALUE)
            vf[nv++] = f;
    }
    s->nkey = nk;
    s->nvalue = nv;
    s->key_schema = sl_type_struct(a, nk, kf);
    s->value_schema = sl_type_struct(a, nv, vf);
    s->declared_key_format = s->key_format;
    if (nk == 0 && s->key_format != SL_FORMAT_NONE && !s->window_kind)
        s->key_format = SL_FORMAT_NONE;
    /* AVRO: a schema registered for the topic is the writer schema; else the
     * generated one is registered under the topic's subject */
    char ksubject[512], vsubject[512];
    snprintf(ksubject, sizeof ksubject, "%s-key", s->topic);
    snprintf(vsubject, sizeof vsubject, "%s-value", s->topic);
    const char *kjson = NULL, *vjson = NULL;
    int kid = 0, vid = 0;
    /* (a KEY_/VALUE_SCHEMA_ID already chose it: see sl_catalog_create_source) */
    if (registry && s->key_format == SL_FORMAT_AVRO && !s->from_query && !s->key_avro_schema)
        sl_registry_latest(registry, ksubject, &kjson, &kid, NULL);
    if (registry && s->value_format == SL_FORMAT_AVRO && !s->from_query && !s->value_avro_schema)
        sl_registry_latest(registry, vsubject, &vjson, &vid, NULL);
    if (kjson) {
        s->key_avro_schema = kjson;
        s->key_schema_id = kid;
    }
    if (vjson) {
        s->value_avro_schema = vjson;
        s->value_schema_id = vid;
    }
    /* a schema chosen by id is the writer schema as it is: nothing to register */
    if (!kjson && s->key_format == SL_FORMAT_AVRO && s->key_avro_schema)
        kjson = s->key_avro_schema;
    if (!vjson && s->value_format == SL_FORMAT_AVRO && s->value_avro_schema)
        vjson = s->value_avro_schema;
    /* JSON_SR and PROTOBUF: a sink registers the schema of its columns
     * (serde_json.c, serde_protobuf.c); a source keeps the schema its
     * producers registered, or the one its SCHEMA_ID names */
    bool kschema = registry && (s->key_format == SL_FORMAT_JSON_SR || s->key_format == SL_FORMAT_PROTOBUF);
    bool vschema = registry && (s->value_format == SL_FORMAT_JSON_SR || s->value_format == SL_FORMAT_PROTOBUF);
    if (kschema && !s->key_schema_id && !s->from_query && !sl_registry_latest(registry, ksubject, &kjson, &kid, NULL))
        s->key_schema_id = kid;
    if (vschema && !s->value_schema_id && !s->from_query &&
        !sl_registry_latest(registry, vsubject, &vjson, &vid, NULL))
        s->value_schema_id = vid;
    if (kschema && s->key_schema_id)
        kjson = ksubject; /* no subject to register under */
    if (vschema && s->value_schema_id)
        vjson = vsubject;
    /* a single key column is the key itself, except in PROTOBUF, which
     * cannot unwrap (ksqlDB's ProtobufFormat lacks UNWRAP_SINGLES): a
     * message of one field */
    bool key_unwraps = s->key_format != SL_FORMAT_PROTOBUF && s->key_format != SL_FORMAT_PROTOBUF_NOSR;
    sl_serde_options ko = {.unwrapped = nk == 1 && key_unwraps, .delimiter = s->key_delimiter,
                           .avro_schema_json = s->key_avro_schema, .avro_record_name = "KsqlDataSourceSchema",
                           .schema_id = s->key_schema_id, .schema_registry = registry,
                           .subject = kjson ? NULL : ksubject, .proto_message = s->key_proto_message};
    sl_serde_options vo = {.unwrapped = !s->wrap_single_value && nv == 1, .delimiter = s->value_delimiter,
                           .avro_schema_json = s->value_avro_schema,
                           .avro_record_name = "KsqlDataSourceSchema",
                           .schema_id = s->value_schema_id, .schema_registry = registry,
                           .subject = vjson ? NULL : vsubject, .proto_message = s->value_proto_message};
    sl_error e2 = {0};
    s->key_serde = sl_serde_new(s->key_format, s->key_schema, &ko, &e2);
    if (!s->key_serde)
        return sl_error_at(err, e2.code, file, pos.line, pos.col, "%s", e2.msg);
    s->value_serde = sl_serde_new(s->value_format, s->value_schema, &vo, &e2);
    if (!s->value_serde) {
        sl_serde_destroy(s->key_serde);
        s->key_serde = NULL;
        return sl_error_at(err, e2.code, file, pos.line, pos.col, "%s", e2.msg);
    }
    return SL_OK;
}

/* The imported file's text: the schema registered under the import's name
 * (how `sluice test` seeds a schema's references; a registry's references
 * name their subject, which Confluent's clients set to the import name). */
static const char *proto_import(void *registry, const char *name)
{
    const char *text;
    int id;
    return sl_registry_latest(registry, name, &text, &id, NULL) ? NULL : text;
}

/* The columns of a registered PROTOBUF schema: the message that
 * KEY_/VALUE_SCHEMA_FULL_NAME names (a ConnectDefault name is ignored, as
 * ksqlDB does), else the first; names upper-cased unless a schema id was
 * given (ksqlDB keeps the schema's own names then). */
static const sl_type *proto_columns(sl_schema_registry *registry, const char *text, const sl_property_list *with,
                                    int side, bool by_id, sl_arena *a, const sl_proto_message **message,
                                    sl_error *err)
{
    *message = NULL;
    const sl_proto_file *f = sl_proto_parse(text, a, proto_import, registry, err);
    if (!f)
        return NULL;
    const char *full = prop_string(sl_with_find(with, side ? "VALUE_SCHEMA_FULL_NAME" : "KEY_SCHEMA_FULL_NAME"));
    while (full && *full == ' ')
        full++;
    if (full && !strncmp(full, "ConnectDefault", 14))
        full = NULL;
    const sl_proto_message *m = sl_proto_find_message(f, full, err);
    if (!m)
        return NULL;
    *message = m;
    return sl_proto_message_type(m, !by_id, a, err);
}

/* Formats from FORMAT / KEY_FORMAT / VALUE_FORMAT with ksqlDB's defaults. */
sl_err_t sl_formats_from_with(const sl_property_list *w, const sl_catalog *cat, sl_format *key,
                              sl_format *value, bool *has_key, bool *has_value, const char *file,
                              sl_pos pos, sl_error *err)
{
    const sl_property *f = sl_with_find(w, "FORMAT"), *kf = sl_with_find(w, "KEY_FORMAT"),
                      *vf = sl_with_find(w, "VALUE_FORMAT");
    if (f && (kf || vf))
        return sl_error_at(err, SL_ERR_INVALID, file, f->pos.line, f->pos.col,
                           "Cannot supply both 'FORMAT' and '%s' properties, as 'FORMAT' sets both key "
                           "and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.",
                           kf ? "KEY_FORMAT" : "VALUE_FORMAT");
    *has_key = *has_value = false;
    const char *names[2] = {prop_string(f ? f : kf), prop_string(f ? f : vf)};
    const sl_property *props[2] = {f ? f : kf, f ? f : vf};
    sl_format *outs[2] = {key, value};
    bool *has[2] = {has_key, has_value};
    for (int i = 0; i < 2; i++) {
        if (!names[i])
            continue;
        if (!sl_format_parse(names[i], outs[i]))
            return sl_error_at(err, SL_ERR_INVALID, file, props[i]->pos.line, props[i]->pos.col,
                               "Unknown format: %s", names[i]);
        *has[i] = true;
    }
    (void)cat;
    (void)pos;
    return SL_OK;
}

/* ksqlDB's translation of a registered schema without a schema id: every
 * field name upper-cased, at every depth (with KEY_/VALUE_SCHEMA_ID the
 * names stay as registered) */
static const sl_type *upper_cased_fields(sl_arena *a, const sl_type *t)
{
    switch (t->kind) {
    case SL_ARRAY: return sl_type_array(a, upper_cased_fields(a, t->elem));
    case SL_MAP: return sl_type_map(a, t->key, upper_cased_fields(a, t->elem));
    case SL_STRUCT: {
        sl_field *fields = sl_arena_calloc(a, (size_t)t->nfields + 1, sizeof *fields);
        for (int i = 0; i < t->nfields; i++) {
            char *name = sl_arena_strdup(a, t->fields[i].name);
            for (char *c = name; *c; c++)
                *c = (char)toupper((unsigned char)*c);
            fields[i] = (sl_field){name, upper_cased_fields(a, t->fields[i].type)};
        }
        return sl_type_struct(a, t->nfields, fields);
    }
    default: return t;
    }
}

sl_err_t sl_catalog_create_source(sl_catalog *cat, const sl_stmt *st, const char *file, sl_error *err)
{
    sl_arena *a = cat->arena;
    sl_err_t rc = check_with(&st->with, file, err);
    if (rc)
        return rc;
    sl_source *s = sl_arena_calloc(a, 1, sizeof *s);
    s->name = st->name;
    s->is_table = st->is_table;
    s->wrap_single_value = true;
    const sl_property *topic = sl_with_find(&st->with, "KAFKA_TOPIC");
    if (!topic || !prop_string(topic))
        return sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                           "Missing required property \"KAFKA_TOPIC\" which has no default value.");
    s->topic = sl_catalog_physical_topic(cat, prop_string(topic));
    bool hk, hv;
    s->key_format = SL_FORMAT_KAFKA;
    const char *dk = sl_catalog_property(cat, "ksql.persistence.default.format.key");
    if (dk)
        sl_format_parse(dk, &s->key_format);
    const char *dv = sl_catalog_property(cat, "ksql.persistence.default.format.value");
    bool value_default = dv && sl_format_parse(dv, &s->value_format);
    rc = sl_formats_from_with(&st->with, cat, &s->key_format, &s->value_format, &hk, &hv, file, st->pos, err);
    if (rc)
        return rc;
    if (!hv && !value_default)
        return sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                           "Missing required property \"VALUE_FORMAT\" which has no default value.");
    const sl_property *p;
    if ((p = sl_with_find(&st->with, "VALUE_AVRO_SCHEMA_FULL_NAME")) && prop_string(p) &&
        !prop_string(p)[strspn(prop_string(p), " \t")])
        return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                           "fullSchemaName cannot be empty. Format configuration: {fullSchemaName=}");
    if ((p = sl_with_find(&st->with, "VALUE_AVRO_SCHEMA_FULL_NAME")) && s->value_format != SL_FORMAT_AVRO)
        return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                           "VALUE_AVRO_SCHEMA_FULL_NAME is only valid for AVRO format");
    if ((p = sl_with_find(&st->with, "WRAP_SINGLE_VALUE"))) {
        int nv = 0;
        for (int i = 0; i < st->ncolumns; i++)
            nv += st->columns[i].role == SL_COL_VALUE;
        /* value columns to be inferred from the registry: WRAP_SINGLE_VALUE
         * = false makes the whole value one column, ROWVAL (see below) */
        const char *vjson;
        int vid;
        char vsubject[512];
        snprintf(vsubject, sizeof vsubject, "%s-value", s->topic);
        bool inferred_value = nv == 0 && cat->registry &&
                              (s->value_format == SL_FORMAT_AVRO || s->value_format == SL_FORMAT_JSON_SR) &&
                              !sl_registry_latest(cat->registry, vsubject, &vjson, &vid, NULL);
        if (inferred_value)
            nv = 1;
        if (nv != 1)
            return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                               "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
        if ((s->value_format == SL_FORMAT_DELIMITED || s->value_format == SL_FORMAT_KAFKA) &&
            p->value.kind == SL_BOOLEAN && p->value.u.b)
            return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                               "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.",
                               sl_format_name(s->value_format));
        if (p->value.kind == SL_BOOLEAN)
            s->wrap_single_value = p->value.u.b;
        else if (prop_string(p))
            s->wrap_single_value = !strcasecmp(prop_string(p), "true");
        /* ksqlDB's PROTOBUF cannot unwrap a single value (PROTOBUF_NOSR can) */
        if (s->value_format == SL_FORMAT_PROTOBUF && !s->wrap_single_value)
            return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                               "Format 'PROTOBUF' does not support 'WRAP_SINGLE_VALUE' set to 'false'.");
    } else {
        const char *w = sl_catalog_property(cat, "ksql.persistence.wrap.single.values");
        if (w)
            s->wrap_single_value = !strcasecmp(w, "true");
    }
    s->value_delimiter = s->key_delimiter = ',';
    if ((p = sl_with_find(&st->with, "VALUE_DELIMITER")) && !delimiter_char(prop_string(p), &s->value_delimiter))
        return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                           "Invalid delimiter value: '%s'. Delimiter must be a single character or TAB or SPACE",
                           prop_string(p) ? prop_string(p) : "?");
    if ((p = sl_with_find(&st->with, "KEY_DELIMITER")) && !delimiter_char(prop_string(p), &s->key_delimiter))
        return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col, "Invalid delimiter value");
    if ((p = sl_with_find(&st->with, "TIMESTAMP")))
        s->timestamp_column = prop_string(p);
    if ((p = sl_with_find(&st->with, "TIMESTAMP_FORMAT")))
        s->timestamp_format = prop_string(p);
    if ((p = sl_with_find(&st->with, "PARTITIONS")))
        s->partitions = p->value.kind == SL_INT ? p->value.u.i : 0;
    if ((p = sl_with_find(&st->with, "REPLICAS")))
        s->replicas = p->value.kind == SL_INT ? p->value.u.i : 0;
    if ((p = sl_with_find(&st->with, "WINDOW_TYPE"))) {
        const char *wt = prop_string(p);
        s->window_kind = wt && !strcasecmp(wt, "SESSION") ? SL_WINDOW_SESSION
                         : wt && !strcasecmp(wt, "HOPPING") ? SL_WINDOW_HOPPING
                                                            : SL_WINDOW_TUMBLING;
    }
    if ((p = sl_with_find(&st->with, "WINDOW_SIZE")) && s->window_kind == SL_WINDOW_SESSION)
        return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                           "'WINDOW_SIZE' should not be set for SESSION windows.");
    if ((p = sl_with_find(&st->with, "WINDOW_SIZE"))) {
        /* '30 SECONDS': a count and a time unit */
        const char *ws = prop_string(p);
        char unit[32] = "";
        long long count = -1;
        int used = 0;
        int64_t unit_ms = 0;
        if (ws && sscanf(ws, "%lld %31s%n", &count, unit, &used) == 2 && ws[used] == 0) {
            for (char *u = unit; *u; u++)
                *u = (char)toupper((unsigned char)*u);
            unit_ms = sl_time_unit_ms(unit);
        }
        if (count < 0 || unit_ms <= 0 || count > INT64_MAX / unit_ms)
            return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                               "Configuration WINDOW_SIZE is invalid: Invalid duration: '%s'", ws ? ws : "");
        s->window_size_ms = count * unit_ms;
    }
    sl_column_def *inferred = NULL;
    int ninferred = 0;
    /* key or value columns not declared, with a schema-registry format:
     * infer them from the schema registered for the topic, as ksqlDB does
     * (or from the one KEY_SCHEMA_ID / VALUE_SCHEMA_ID names) */
    for (int side = 0; side < 2; side++) {
        sl_format fmt = side ? s->value_format : s->key_format;
        const sl_property *idp = sl_with_find(&st->with, side ? "VALUE_SCHEMA_ID" : "KEY_SCHEMA_ID");
        bool declared = false;
        for (int i = 0; i < st->ncolumns; i++)
            declared |= side ? st->columns[i].role == SL_COL_VALUE
                             : (st->columns[i].role == SL_COL_KEY || st->columns[i].role == SL_COL_PRIMARY_KEY);
        if (idp && fmt != SL_FORMAT_AVRO && fmt != SL_FORMAT_JSON_SR && fmt != SL_FORMAT_PROTOBUF)
            return sl_error_at(err, SL_ERR_INVALID, file, idp->pos.line, idp->pos.col,
                               "%s should support schema inference when %s is provided. Current format is %s.",
                               side ? "VALUE_FORMAT" : "KEY_FORMAT", idp->name, sl_format_name(fmt));
        if (idp && declared)
            return sl_error_at(err, SL_ERR_INVALID, file, idp->pos.line, idp->pos.col,
                               "Table elements and %s cannot both exist for create statement.", idp->name);
        if (!cat->registry || (fmt != SL_FORMAT_AVRO && fmt != SL_FORMAT_JSON_SR && fmt != SL_FORMAT_PROTOBUF))
            continue;
        char subject[512];
        snprintf(subject, sizeof subject, "%s-%s", s->topic, side ? "value" : "key");
        const char *json;
        int id = 0;
        if (declared)
            continue;
        if (idp) {
            /* the schema the id names, whichever version of the subject
             * is the latest */
            id = idp->value.kind == SL_INT ? (int)idp->value.u.i : 0;
            sl_error e2 = {0};
            if (id <= 0 || sl_registry_by_id(cat->registry, id, &json, &e2))
                return sl_error_at(err, SL_ERR_INVALID, file, idp->pos.line, idp->pos.col,
                                   "Schema for message %s on schema id'%d does not exist in the Schema Registry.",
                                   side ? "values" : "keys", id);
        } else if (sl_registry_latest(cat->registry, subject, &json, &id, NULL)) {
            continue;
        }
        sl_error e2 = {0};
        const sl_type *t;
        if (fmt == SL_FORMAT_PROTOBUF) {
            const sl_proto_message *m;
            t = proto_columns(cat->registry, json, &st->with, side, idp != NULL, a, &m, &e2);
            if (side)
                s->value_proto_message = m;
            else
                s->key_proto_message = m;
            if (idp) {
                if (side)
                    s->value_schema_id = id;
                else
                    s->key_schema_id = id;
            }
        } else {
            t = fmt == SL_FORMAT_AVRO ? sl_avro_schema_to_type(json, a, &e2) : sl_json_schema_to_type(json, a, &e2);
            if (idp && side) {
                s->value_schema_id = id;
                s->value_avro_schema = fmt == SL_FORMAT_AVRO ? json : NULL;
            } else if (idp) {
                s->key_schema_id = id;
                s->key_avro_schema = fmt == SL_FORMAT_AVRO ? json : NULL;
            }
        }
        if (!t)
            return sl_error_at(err, e2.code ? e2.code : SL_ERR_INVALID, file, st->pos.line, st->pos.col, "%s",
                               e2.msg);
        if (!sl_with_find(&st->with, side ? "VALUE_SCHEMA_ID" : "KEY_SCHEMA_ID"))
            t = upper_cased_fields(a, t);
        sl_col_role role = side ? SL_COL_VALUE : (st->is_table ? SL_COL_PRIMARY_KEY : SL_COL_KEY);
        /* a record's fields are the columns, except that ksqlDB infers a
         * key unwrapped where its format can unwrap (AVRO, JSON_SR): one
         * ROWKEY column, a STRUCT for a record */
        bool unwrapped_key = !side && fmt != SL_FORMAT_PROTOBUF;
        bool spread = !unwrapped_key && t->kind == SL_STRUCT && t->nfields > 0 && (!side || s->wrap_single_value);
        int add = spread ? t->nfields : 1;
        sl_column_def *grown = sl_arena_calloc(a, (size_t)(ninferred + add), sizeof *grown);
        if (ninferred)
            memcpy(grown, inferred, (size_t)ninferred * sizeof *grown);
        for (int i = 0; i < add; i++) {
            sl_column_def *c = &grown[ninferred + i];
            c->name = spread ? t->fields[i].name : side ? "ROWVAL" : "ROWKEY";
            c->type = spread ? t->fields[i].type : t;
            c->role = role;
            c->pos = st->pos;
        }
        inferred = grown;
        ninferred += add;
        if (side && !spread)
            s->wrap_single_value = false;
    }
    if (st->ncolumns + ninferred == 0)
        return sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                           "The statement does not define any columns.");
    if ((p = sl_with_find(&st->with, "WRAP_SINGLE_VALUE"))) {
        int nv = 0;
        for (int i = 0; i < st->ncolumns; i++)
            nv += st->columns[i].role == SL_COL_VALUE;
        for (int i = 0; i < ninferred; i++)
            nv += inferred[i].role == SL_COL_VALUE;
        if (nv != 1)
            return sl_error_at(err, SL_ERR_INVALID, file, p->pos.line, p->pos.col,
                               "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
    }
    int ndefs = st->ncolumns + ninferred;
    sl_column_def *defs = sl_arena_calloc(a, (size_t)ndefs, sizeof *defs);
    for (int i = 0; i < st->ncolumns; i++)
        defs[i] = st->columns[i];
    for (int i = 0; i < ninferred; i++)
        defs[st->ncolumns + i] = inferred[i];
    s->cols = sl_arena_calloc(a, (size_t)ndefs, sizeof *s->cols);
    /* keys first, then values, then headers: the row layout */
    int n = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < ndefs; i++) {
            const sl_column_def *c = &defs[i];
            int kind = (c->role == SL_COL_KEY || c->role == SL_COL_PRIMARY_KEY) ? 0
                       : c->role == SL_COL_VALUE                                ? 1
                                                                                : 2;
            if (kind != pass)
                continue;
            if (st->is_table && c->role == SL_COL_KEY)
                return sl_error_at(err, SL_ERR_INVALID, file, c->pos.line, c->pos.col,
                                   "Column %s is a 'KEY' column: please use 'PRIMARY KEY' for tables.\n"
                                   "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                                   "Streams have KEYs, which have no uniqueness or NULL constraints.", c->name);
            if (!st->is_table && c->role == SL_COL_PRIMARY_KEY)
                return sl_error_at(err, SL_ERR_INVALID, file, c->pos.line, c->pos.col,
                                   "Column %s is a 'PRIMARY KEY' column: please use 'KEY' for streams.\n"
                                   "Tables have PRIMARY KEYs, which are unique and NON NULL.\n"
                                   "Streams have KEYs, which have no uniqueness or NULL constraints.", c->name);
            if ((c->role == SL_COL_KEY || c->role == SL_COL_PRIMARY_KEY) && type_has_map(c->type, 0))
                return sl_error_at(err, SL_ERR_INVALID, file, c->pos.line, c->pos.col,
                                   "Map keys, including types that contain maps, are not supported as they may lead "
                                   "to unexpected behavior due to inconsistent serialization. Key column name: `%s`.",
                                   c->name);
            if (!strcmp(c->name, "ROWTIME") || !strcmp(c->name, "ROWPARTITION") || !strcmp(c->name, "ROWOFFSET") ||
                !strcmp(c->name, "WINDOWSTART") || !strcmp(c->name, "WINDOWEND"))
                return sl_error_at(err, SL_ERR_INVALID, file, c->pos.line, c->pos.col,
                                   "'%s' is a reserved column name.", c->name);
            for (int j = 0; j < n; j++)
                if (!strcmp(s->cols[j].name, c->name))
                    return sl_error_at(err, SL_ERR_INVALID, file, c->pos.line, c->pos.col,
                                       "Duplicate column names: %s", c->name);
            if (c->role == SL_COL_HEADERS &&
                !(c->type->kind == SL_ARRAY && c->type->elem->kind == SL_STRUCT))
                return sl_error_at(err, SL_ERR_INVALID, file, c->pos.line, c->pos.col,
                                   "Invalid type for HEADERS column: expected ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>, got %s",
                                   sl_type_to_sql(a, c->type));
            if (c->role == SL_COL_HEADER && c->type->kind != SL_BYTES)
                return sl_error_at(err, SL_ERR_INVALID, file, c->pos.line, c->pos.col,
                                   "Invalid type for HEADER('%s') column: expected BYTES, got %s",
                                   c->header_key, sl_type_to_sql(a, c->type));
            s->cols[n].name = c->name;
            s->cols[n].type = c->type;
            s->cols[n].role = c->role;
            s->cols[n].header_key = c->header_key;
            n++;
        }
    s->ncols = n;
    if (st->is_table) {
        bool has_pk = false;
        for (int i = 0; i < n; i++)
            if (s->cols[i].role == SL_COL_PRIMARY_KEY)
                has_pk = true;
        if (!has_pk)
            return sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                               "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.");
    }
    if (s->timestamp_column) {
        bool found = false;
        for (int i = 0; i < n; i++)
            if (!strcasecmp(s->cols[i].name, s->timestamp_column)) {
                found = true;
                s->timestamp_column = s->cols[i].name;
            }
        if (!found)
            return sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                               "The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'",
                               s->timestamp_column);
    }
    s->read_only = st->source_kw;
    if (st->source_kw && st->or_replace)
        return sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                           "CREATE OR REPLACE is not supported on source %s.", st->is_table ? "tables" : "streams");
    rc = sl_source_finish(s, a, cat->registry, file, st->pos, err);
    if (rc)
        return rc;
    return sl_catalog_add(cat, s, file, st->pos, st->or_replace, err);
}
