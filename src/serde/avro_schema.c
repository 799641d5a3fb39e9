/* Avro schema <-> SQL type mapping (jansson over the schema JSON), kept
 * apart from the Avro C data path in serde_avro.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "serde/avro.h"

static const sl_type *from_json(json_t *s, sl_arena *a, sl_error *err, int depth);

static const sl_type *from_named(const char *t, json_t *s, sl_arena *a, sl_error *err, int depth)
{
    const char *logical = s ? json_string_value(json_object_get(s, "logicalType")) : NULL;
    if (!strcmp(t, "int"))
        return logical && !strcmp(logical, "date")          ? &sl_type_date
               : logical && !strcmp(logical, "time-millis") ? &sl_type_time
                                                            : &sl_type_int;
    if (!strcmp(t, "long"))
        return logical && !strcmp(logical, "timestamp-millis") ? &sl_type_timestamp : &sl_type_bigint;
    if (!strcmp(t, "float") || !strcmp(t, "double"))
        return &sl_type_double;
    if (!strcmp(t, "string") || !strcmp(t, "enum"))
        return &sl_type_string;
    if (!strcmp(t, "boolean"))
        return &sl_type_boolean;
    if (!strcmp(t, "bytes") || !strcmp(t, "fixed")) {
        if (logical && !strcmp(logical, "decimal")) {
            int p = (int)json_integer_value(json_object_get(s, "precision"));
            int sc = (int)json_integer_value(json_object_get(s, "scale"));
            return sl_type_decimal(a, p ? p : 38, sc);
        }
        return &sl_type_bytes;
    }
    if (!s) {
        sl_error_set(err, SL_ERR_UNSUPPORTED, "Avro type '%s' is not supported", t);
        return NULL;
    }
    if (!strcmp(t, "array")) {
        const sl_type *e = from_json(json_object_get(s, "items"), a, err, depth + 1);
        return e ? sl_type_array(a, e) : NULL;
    }
    if (!strcmp(t, "map")) {
        const sl_type *v = from_json(json_object_get(s, "values"), a, err, depth + 1);
        return v ? sl_type_map(a, &sl_type_string, v) : NULL;
    }
    if (!strcmp(t, "record")) {
        json_t *fields = json_object_get(s, "fields");
        size_t n = json_array_size(fields);
        sl_field *f = sl_arena_calloc(a, n + 1, sizeof *f);
        for (size_t i = 0; i < n; i++) {
            json_t *fj = json_array_get(fields, i);
            f[i].name = json_string_value(json_object_get(fj, "name"));
            f[i].type = from_json(json_object_get(fj, "type"), a, err, depth + 1);
            if (!f[i].name || !f[i].type)
                return NULL;
        }
        return sl_type_struct(a, (int)n, f);
    }
    sl_error_set(err, SL_ERR_UNSUPPORTED, "Avro type '%s' is not supported", t);
    return NULL;
}

static const sl_type *from_json(json_t *s, sl_arena *a, sl_error *err, int depth)
{
    if (depth > 50 || !s) {
        sl_error_set(err, SL_ERR_INVALID, "bad Avro schema");
        return NULL;
    }
    if (json_is_string(s))
        return from_named(json_string_value(s), NULL, a, err, depth);
    if (json_is_array(s)) {
        /* unions: [null, T] is an optional T; others are not supported */
        const sl_type *t = NULL;
        size_t non_null = 0;
        for (size_t i = 0; i < json_array_size(s); i++) {
            json_t *b = json_array_get(s, i);
            if (json_is_string(b) && !strcmp(json_string_value(b), "null"))
                continue;
            non_null++;
            t = from_json(b, a, err, depth + 1);
        }
        if (non_null != 1) {
            if (non_null)
                sl_error_set(err, SL_ERR_UNSUPPORTED, "Avro unions of several types are not supported");
            else
                sl_error_set(err, SL_ERR_INVALID, "bad Avro union");
            return NULL;
        }
        return t;
    }
    if (json_is_object(s)) {
        json_t *t = json_object_get(s, "type");
        if (json_is_string(t))
            return from_named(json_string_value(t), s, a, err, depth);
        return from_json(t, a, err, depth + 1);
    }
    sl_error_set(err, SL_ERR_INVALID, "bad Avro schema");
    return NULL;
}

const sl_type *sl_avro_schema_to_type(const char *schema_json, sl_arena *a, sl_error *err)
{
    json_error_t je;
    json_t *j = json_loads(schema_json, JSON_DECODE_ANY, &je);
    if (!j) {
        sl_error_set(err, SL_ERR_INVALID, "bad Avro schema JSON: %s", je.text);
        return NULL;
    }
    const sl_type *t = from_json(j, a, err, 0);
    json_decref(j);
    return t;
}

static json_t *schema_of(const sl_type *t, const char *name);

static json_t *optional(json_t *t)
{
    return json_pack("[s,o]", "null", t);
}

static json_t *record_of(const sl_type *t, const char *name, bool top)
{
    json_t *fields = json_array();
    for (int i = 0; i < t->nfields; i++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s_%s", name, t->fields[i].name);
        json_array_append_new(fields, json_pack("{s:s,s:o,s:n}", "name", t->fields[i].name, "type",
                                                optional(schema_of(t->fields[i].type, sub)), "default"));
    }
    json_t *r = json_pack("{s:s,s:s,s:o}", "type", "record", "name", name, "fields", fields);
    if (top)
        json_object_set_new(r, "namespace", json_string("io.confluent.ksql.avro_schemas"));
    return r;
}

static json_t *schema_of(const sl_type *t, const char *name)
{
    switch (t->kind) {
    case SL_BOOLEAN: return json_string("boolean");
    case SL_INT: return json_string("int");
    case SL_BIGINT: return json_string("long");
    case SL_DOUBLE: return json_string("double");
    case SL_STRING: return json_string("string");
    case SL_BYTES: return json_string("bytes");
    case SL_DECIMAL:
        return json_pack("{s:s,s:s,s:i,s:i}", "type", "bytes", "logicalType", "decimal", "precision", t->precision,
                         "scale", t->scale);
    case SL_TIMESTAMP: return json_pack("{s:s,s:s}", "type", "long", "logicalType", "timestamp-millis");
    case SL_DATE: return json_pack("{s:s,s:s}", "type", "int", "logicalType", "date");
    case SL_TIME: return json_pack("{s:s,s:s}", "type", "int", "logicalType", "time-millis");
    case SL_ARRAY: {
        char sub[512];
        snprintf(sub, sizeof sub, "%s", name);
        return json_pack("{s:s,s:o}", "type", "array", "items", optional(schema_of(t->elem, sub)));
    }
    case SL_MAP: return json_pack("{s:s,s:o}", "type", "map", "values", optional(schema_of(t->elem, name)));
    case SL_STRUCT: return record_of(t, name, false);
    default: return json_string("null");
    }
}

char *sl_avro_schema_for(const sl_type *schema, const sl_serde_options *opts)
{
    const char *name = opts && opts->avro_record_name ? opts->avro_record_name : "KsqlDataSourceSchema";
    json_t *s;
    if (opts && opts->unwrapped && schema->nfields == 1)
        s = optional(schema_of(schema->fields[0].type, name));
    else
        s = record_of(schema, name, true);
    char *text = json_dumps(s, JSON_COMPACT);
    json_decref(s);
    return text;
}
