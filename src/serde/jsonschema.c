/* JSON Schema (as the JSON_SR format registers it) to SQL types, for
 * inferring the columns of a JSON_SR source from the schema registry.
 *
 * Kafka Connect's JSON schemas mark what JSON cannot say by itself:
 * "connect.type" (int8..int64, bytes, map), "title" naming a logical type
 * (Decimal, Date, Time, Timestamp) with "connect.parameters", and optional
 * fields as oneOf [null, X]. Plain JSON Schema maps integer to BIGINT and
 * number to DOUBLE, as ksqlDB does. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "serde/jsonschema.h"

static const sl_type *convert(json_t *s, sl_arena *a, sl_error *err, int depth);

/* the non-null branch of oneOf/anyOf [null, X] or of "type": ["null", X] */
static json_t *non_null_branch(json_t *s)
{
    json_t *alts = json_object_get(s, "oneOf");
    if (!alts)
        alts = json_object_get(s, "anyOf");
    if (!json_is_array(alts))
        return NULL;
    json_t *pick = NULL;
    for (size_t i = 0; i < json_array_size(alts); i++) {
        json_t *b = json_array_get(alts, i);
        const char *t = json_string_value(json_object_get(b, "type"));
        if (t && !strcmp(t, "null"))
            continue;
        if (pick)
            return NULL; /* a real union: not representable */
        pick = b;
    }
    return pick;
}

static const char *type_name(json_t *s)
{
    json_t *t = json_object_get(s, "type");
    if (json_is_string(t))
        return json_string_value(t);
    if (json_is_array(t))
        for (size_t i = 0; i < json_array_size(t); i++) {
            const char *n = json_string_value(json_array_get(t, i));
            if (n && strcmp(n, "null"))
                return n;
        }
    return NULL;
}

static const sl_type *convert(json_t *s, sl_arena *a, sl_error *err, int depth)
{
    if (depth > 32) {
        sl_error_set(err, SL_ERR_INVALID, "JSON schema nested too deeply");
        return NULL;
    }
    json_t *branch = non_null_branch(s);
    if (branch)
        return convert(branch, a, err, depth + 1);
    const char *t = type_name(s);
    const char *ct = json_string_value(json_object_get(s, "connect.type"));
    const char *title = json_string_value(json_object_get(s, "title"));
    if (!t) {
        sl_error_set(err, SL_ERR_INVALID, "JSON schema without a type is not supported");
        return NULL;
    }
    if (title && !strcmp(title, "org.apache.kafka.connect.data.Decimal")) {
        json_t *params = json_object_get(s, "connect.parameters");
        const char *sc = json_string_value(json_object_get(params, "scale"));
        const char *pr = json_string_value(json_object_get(params, "connect.decimal.precision"));
        int scale = sc ? atoi(sc) : 0, precision = pr ? atoi(pr) : 38;
        if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
            sl_error_set(err, SL_ERR_INVALID, "JSON schema decimal out of range");
            return NULL;
        }
        return sl_type_decimal(a, precision, scale);
    }
    if (title && !strcmp(title, "org.apache.kafka.connect.data.Timestamp"))
        return &sl_type_timestamp;
    if (title && !strcmp(title, "org.apache.kafka.connect.data.Date"))
        return &sl_type_date;
    if (title && !strcmp(title, "org.apache.kafka.connect.data.Time"))
        return &sl_type_time;
    if (!strcmp(t, "integer"))
        return ct && (!strcmp(ct, "int32") || !strcmp(ct, "int16") || !strcmp(ct, "int8")) ? &sl_type_int
                                                                                         : &sl_type_bigint;
    if (!strcmp(t, "number"))
        return &sl_type_double;
    if (!strcmp(t, "boolean"))
        return &sl_type_boolean;
    if (!strcmp(t, "string"))
        return ct && !strcmp(ct, "bytes") ? &sl_type_bytes : &sl_type_string;
    if (!strcmp(t, "array")) {
        json_t *items = json_object_get(s, "items");
        if (ct && !strcmp(ct, "map") && json_is_object(items)) {
            /* Connect's map with non-string keys: an array of {key, value} */
            json_t *props = json_object_get(items, "properties");
            const sl_type *k = convert(json_object_get(props, "key"), a, err, depth + 1);
            const sl_type *v = k ? convert(json_object_get(props, "value"), a, err, depth + 1) : NULL;
            return v ? sl_type_map(a, k, v) : NULL;
        }
        if (!json_is_object(items)) {
            sl_error_set(err, SL_ERR_INVALID, "JSON schema array without items");
            return NULL;
        }
        const sl_type *e = convert(items, a, err, depth + 1);
        return e ? sl_type_array(a, e) : NULL;
    }
    if (!strcmp(t, "object")) {
        json_t *props = json_object_get(s, "properties");
        json_t *extra = json_object_get(s, "additionalProperties");
        if (!json_is_object(props) && json_is_object(extra)) {
            const sl_type *v = convert(extra, a, err, depth + 1);
            return v ? sl_type_map(a, &sl_type_string, v) : NULL;
        }
        size_t n = json_object_size(props);
        sl_field *f = sl_arena_calloc(a, n ? n : 1, sizeof *f);
        /* fields in "connect.index" order when given, else as written */
        const char *key;
        json_t *val;
        size_t i = 0;
        json_object_foreach(props, key, val)
        {
            json_t *ix = json_object_get(val, "connect.index");
            size_t at = json_is_integer(ix) && (size_t)json_integer_value(ix) < n ? (size_t)json_integer_value(ix)
                                                                                  : i;
            while (f[at].name && at + 1 < n)
                at++;
            if (f[at].name)
                for (at = 0; f[at].name; at++)
                    ;
            f[at].name = sl_arena_strdup(a, key);
            f[at].type = convert(val, a, err, depth + 1);
            if (!f[at].type)
                return NULL;
            i++;
        }
        return sl_type_struct(a, (int)n, f);
    }
    sl_error_set(err, SL_ERR_INVALID, "JSON schema type '%s' is not supported", t);
    return NULL;
}

const sl_type *sl_json_schema_to_type(const char *text, sl_arena *a, sl_error *err)
{
    json_error_t je;
    json_t *doc = json_loads(text, JSON_DECODE_ANY, &je);
    if (!doc) {
        sl_error_set(err, SL_ERR_INVALID, "invalid JSON schema: %s", je.text);
        return NULL;
    }
    const sl_type *t = convert(doc, a, err, 0);
    json_decref(doc);
    return t;
}
