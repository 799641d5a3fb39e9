/* Format dispatch: name parsing and the vtable call-through. */
#include "serde/serde_int.h"

#include <stdlib.h>
#include <strings.h>

static const char *const format_names[] = {"NONE", "JSON", "DELIMITED", "KAFKA", "AVRO", "PROTOBUF", "JSON_SR", "PROTOBUF_NOSR"};

bool sl_format_parse(const char *name, sl_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++)
        if (!strcasecmp(name, format_names[i])) {
            *out = (sl_format)i;
            return true;
        }
    return false;
}

const char *sl_format_name(sl_format fmt)
{
    return (unsigned)fmt < sizeof format_names / sizeof *format_names ? format_names[fmt] : "?";
}

/* JSON objects and Avro maps key by string only */
static bool string_keyed_maps(const sl_type *t, int depth)
{
    if (!t || depth > 64)
        return true;
    if (t->kind == SL_MAP)
        return t->key->kind == SL_STRING && string_keyed_maps(t->elem, depth + 1);
    if (t->kind == SL_ARRAY)
        return string_keyed_maps(t->elem, depth + 1);
    if (t->kind == SL_STRUCT)
        for (int i = 0; i < t->nfields; i++)
            if (!string_keyed_maps(t->fields[i].type, depth + 1))
                return false;
    return true;
}

sl_serde *sl_serde_new(sl_format fmt, const sl_type *schema, const sl_serde_options *opts,
                       sl_error *err)
{
    sl_serde *s = calloc(1, sizeof *s);
    if (!s) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->format = fmt;
    s->schema = schema;
    if (opts)
        s->opts = *opts;
    if (!s->opts.delimiter)
        s->opts.delimiter = ',';
    sl_err_t rc;
    if ((fmt == SL_FORMAT_JSON || fmt == SL_FORMAT_JSON_SR || fmt == SL_FORMAT_AVRO) &&
        !string_keyed_maps(schema, 0)) {
        sl_error_set(err, SL_ERR_INVALID, "%s only supports MAP types with STRING keys",
                     fmt == SL_FORMAT_AVRO ? "Avro" : "JSON");
        free(s);
        return NULL;
    }
    switch (fmt) {
    case SL_FORMAT_JSON:
    case SL_FORMAT_JSON_SR: rc = sl_serde_json_init(s, err); break;
    case SL_FORMAT_DELIMITED: rc = sl_serde_delimited_init(s, err); break;
    case SL_FORMAT_KAFKA: rc = sl_serde_kafka_init(s, err); break;
    case SL_FORMAT_NONE: rc = sl_serde_none_init(s, err); break;
    case SL_FORMAT_AVRO: rc = sl_serde_avro_init(s, err); break;
    case SL_FORMAT_PROTOBUF:
    case SL_FORMAT_PROTOBUF_NOSR: rc = sl_serde_protobuf_init(s, err); break;
    default:
        rc = sl_error_set(err, SL_ERR_UNSUPPORTED, "format %s is not supported yet", sl_format_name(fmt));
    }
    if (rc) {
        free(s);
        return NULL;
    }
    return s;
}

void sl_serde_destroy(sl_serde *s)
{
    if (!s)
        return;
    if (s->vt && s->vt->destroy)
        s->vt->destroy(s);
    free(s);
}

sl_err_t sl_serde_decode(sl_serde *s, const void *data, size_t len, sl_value *cols,
                         sl_arena *arena, sl_error *err)
{
    if (!data) {
        for (int i = 0; i < s->schema->nfields; i++)
            cols[i] = sl_null(s->schema->fields[i].type->kind);
        return SL_OK;
    }
    return s->vt->decode(s, data, len, cols, arena, err);
}

bool sl_serde_writes_null(const sl_serde *s, const sl_value *cols)
{
    if (s->schema->nfields != 1 || !cols[0].null)
        return false;
    switch (s->format) {
    case SL_FORMAT_KAFKA: return true;
    case SL_FORMAT_JSON:
    case SL_FORMAT_JSON_SR:
    case SL_FORMAT_AVRO:
    case SL_FORMAT_PROTOBUF:
    case SL_FORMAT_PROTOBUF_NOSR: return s->opts.unwrapped;
    default: return false;
    }
}

sl_err_t sl_serde_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    sl_strbuf_reset(out);
    return s->vt->encode(s, cols, out, err);
}

const sl_serde_options *sl_serde_options_of(const sl_serde *serde)
{
    return &serde->opts;
}
