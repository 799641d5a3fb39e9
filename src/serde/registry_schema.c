/* Schemas for the registry, as ksqlDB's JSON_SR and PROTOBUF converters
 * (Kafka Connect's JSON Schema and Protobuf data) lay them out.
 *
 * JSON Schema: an object with one property per column; every column may be
 * null (a SQL column always may), so each is oneOf [null, T]. The
 * top level names its draft ($schema). Connect's
 * annotations (connect.index, connect.type, and the logical types' titles)
 * are kept so that a Connect-based consumer, ksqlDB among them, reads the
 * same SQL types back. DECIMAL is a JSON number, DATE and TIME integers
 * (days, ms of the day), TIMESTAMP an integer of ms, BYTES base64 text: what
 * serde_json.c writes.
 *
 * Protobuf: proto3, the row message first (the records' message-index path
 * is [0]) with fields numbered 1..n in column order; each STRUCT column is a
 * message nested in the message that holds it, named ConnectDefaultN in
 * order as Connect names them; a MAP is a repeated entry message {key = 1;
 * value = 2} (the wire form of proto3's map<K,V>, which cannot hold every
 * key and value type ksqlDB allows); logical types are the well-known
 * messages serde_protobuf.c writes, imported. */
#include "serde/registry_schema.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

/* ---------- JSON Schema ---------- */

static json_t *connect_logical(const char *type, const char *connect_type, const char *title)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "type", type, "connect.type", connect_type, "title", title,
                     "connect.version", 1);
}

static json_t *json_type_of(const sl_type *t, int depth);

static json_t *nullable(json_t *t)
{
    return json_pack("{s:[{s:s}, o]}", "oneOf", "type", "null", t);
}

static json_t *json_object_of(const sl_type *t, int depth)
{
    json_t *props = json_object();
    for (int i = 0; i < t->nfields; i++) {
        json_t *f = nullable(json_type_of(t->fields[i].type, depth + 1));
        json_object_set_new(f, "connect.index", json_integer(i));
        json_object_set_new(props, t->fields[i].name, f);
    }
    return json_pack("{s:s, s:o}", "type", "object", "properties", props);
}

static json_t *json_type_of(const sl_type *t, int depth)
{
    if (depth > 64)
        return json_object();
    switch (t->kind) {
    case SL_BOOLEAN: return json_pack("{s:s}", "type", "boolean");
    case SL_INT: return json_pack("{s:s, s:s}", "type", "integer", "connect.type", "int32");
    case SL_BIGINT: return json_pack("{s:s, s:s}", "type", "integer", "connect.type", "int64");
    case SL_DOUBLE: return json_pack("{s:s, s:s}", "type", "number", "connect.type", "float64");
    case SL_STRING: return json_pack("{s:s}", "type", "string");
    case SL_BYTES: return json_pack("{s:s, s:s}", "type", "string", "connect.type", "bytes");
    case SL_DECIMAL: {
        json_t *d = connect_logical("number", "bytes", "org.apache.kafka.connect.data.Decimal");
        char scale[16], precision[16];
        snprintf(scale, sizeof scale, "%d", t->scale);
        snprintf(precision, sizeof precision, "%d", t->precision);
        json_object_set_new(d, "connect.parameters",
                            json_pack("{s:s, s:s}", "scale", scale, "connect.decimal.precision", precision));
        return d;
    }
    case SL_DATE: return connect_logical("integer", "int32", "org.apache.kafka.connect.data.Date");
    case SL_TIME: return connect_logical("integer", "int32", "org.apache.kafka.connect.data.Time");
    case SL_TIMESTAMP: return connect_logical("integer", "int64", "org.apache.kafka.connect.data.Timestamp");
    case SL_ARRAY: return json_pack("{s:s, s:o}", "type", "array", "items", nullable(json_type_of(t->elem, depth + 1)));
    case SL_MAP:
        return json_pack("{s:s, s:s, s:o}", "type", "object", "connect.type", "map", "additionalProperties",
                         nullable(json_type_of(t->elem, depth + 1)));
    case SL_STRUCT: return json_object_of(t, depth);
    default: return json_object(); /* anything */
    }
}

char *sl_json_schema_for(const sl_type *columns, bool unwrapped)
{
    json_t *s = unwrapped && columns->nfields == 1 ? nullable(json_type_of(columns->fields[0].type, 0))
                                                   : json_object_of(columns, 0);
    /* a registry that tells formats apart by content (Apicurio does) knows
     * a JSON Schema by it; a bare oneOf would be refused */
    json_object_set_new(s, "$schema", json_string("http://json-schema.org/draft-07/schema#"));
    char *text = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(s);
    return text;
}

/* ---------- Protobuf ---------- */

typedef struct proto_gen {
    sl_strbuf out;
    int next_name; /* ConnectDefault<N> */
    bool decimal, date, time, timestamp; /* imports needed */
} proto_gen;

static void indent(sl_strbuf *sb, int level)
{
    for (int i = 0; i < level; i++)
        sl_strbuf_puts(sb, "  ");
}

static void proto_message(proto_gen *g, const sl_type *t, const char *name, int level);

/* the field type of t, declaring a nested message for it where it needs one;
 * nested is where those declarations go */
static void proto_type_of(proto_gen *g, const sl_type *t, sl_strbuf *field, sl_strbuf *nested, int level,
                          const char *field_name)
{
    switch (t->kind) {
    case SL_BOOLEAN: sl_strbuf_puts(field, "bool"); return;
    case SL_INT: sl_strbuf_puts(field, "int32"); return;
    case SL_BIGINT: sl_strbuf_puts(field, "int64"); return;
    case SL_DOUBLE: sl_strbuf_puts(field, "double"); return;
    case SL_STRING: sl_strbuf_puts(field, "string"); return;
    case SL_BYTES: sl_strbuf_puts(field, "bytes"); return;
    case SL_DECIMAL: g->decimal = true; sl_strbuf_puts(field, "confluent.type.Decimal"); return;
    case SL_DATE: g->date = true; sl_strbuf_puts(field, "google.type.Date"); return;
    case SL_TIME: g->time = true; sl_strbuf_puts(field, "google.type.TimeOfDay"); return;
    case SL_TIMESTAMP: g->timestamp = true; sl_strbuf_puts(field, "google.protobuf.Timestamp"); return;
    case SL_ARRAY:
        /* an array of arrays is written flat (serde_protobuf.c): its
         * elements' type is the innermost one */
        proto_type_of(g, t->elem->kind == SL_ARRAY ? t->elem->elem : t->elem, field, nested, level, field_name);
        return;
    case SL_MAP: {
        char name[300];
        snprintf(name, sizeof name, "%sEntry", field_name);
        sl_field kv[2] = {{"key", t->key}, {"value", t->elem}};
        sl_type entry = {.kind = SL_STRUCT, .nfields = 2, .fields = kv};
        sl_strbuf inner = g->out;
        g->out = *nested;
        proto_message(g, &entry, name, level);
        *nested = g->out;
        g->out = inner;
        sl_strbuf_puts(field, name);
        return;
    }
    case SL_STRUCT: {
        char name[32];
        snprintf(name, sizeof name, "ConnectDefault%d", ++g->next_name);
        sl_strbuf inner = g->out;
        g->out = *nested;
        proto_message(g, t, name, level);
        *nested = g->out;
        g->out = inner;
        sl_strbuf_puts(field, name);
        return;
    }
    default: sl_strbuf_puts(field, "bytes"); return;
    }
}

static void proto_message(proto_gen *g, const sl_type *t, const char *name, int level)
{
    sl_strbuf nested, field;
    sl_strbuf_init(&nested);
    sl_strbuf_init(&field);
    indent(&g->out, level);
    sl_strbuf_puts(&g->out, "message ");
    sl_strbuf_puts(&g->out, name);
    sl_strbuf_puts(&g->out, " {\n");
    for (int i = 0; i < t->nfields && level < 64; i++) {
        const sl_type *ft = t->fields[i].type;
        sl_strbuf_reset(&field);
        proto_type_of(g, ft, &field, &nested, level + 1, t->fields[i].name);
        indent(&g->out, level + 1);
        if (ft->kind == SL_ARRAY || ft->kind == SL_MAP)
            sl_strbuf_puts(&g->out, "repeated ");
        sl_strbuf_append(&g->out, field.data, field.len);
        char num[32];
        snprintf(num, sizeof num, " %s = %d;\n", t->fields[i].name, i + 1);
        sl_strbuf_puts(&g->out, num);
    }
    if (nested.len)
        sl_strbuf_append(&g->out, nested.data, nested.len);
    indent(&g->out, level);
    sl_strbuf_puts(&g->out, "}\n");
    sl_strbuf_free(&nested);
    sl_strbuf_free(&field);
}

char *sl_proto_schema_for(const sl_type *columns, const char *message_name)
{
    proto_gen g = {.next_name = 1}; /* the row is ConnectDefault1, in Connect's count */
    sl_strbuf_init(&g.out);
    proto_message(&g, columns, message_name, 0);
    sl_strbuf doc;
    sl_strbuf_init(&doc);
    sl_strbuf_puts(&doc, "syntax = \"proto3\";\n\n");
    if (g.decimal)
        sl_strbuf_puts(&doc, "import \"confluent/type/decimal.proto\";\n");
    if (g.date)
        sl_strbuf_puts(&doc, "import \"google/type/date.proto\";\n");
    if (g.time)
        sl_strbuf_puts(&doc, "import \"google/type/timeofday.proto\";\n");
    if (g.timestamp)
        sl_strbuf_puts(&doc, "import \"google/protobuf/timestamp.proto\";\n");
    if (g.decimal || g.date || g.time || g.timestamp)
        sl_strbuf_puts(&doc, "\n");
    sl_strbuf_append(&doc, g.out.data, g.out.len);
    sl_strbuf_free(&g.out);
    char *text = strdup(doc.data ? doc.data : "");
    sl_strbuf_free(&doc);
    return text;
}
