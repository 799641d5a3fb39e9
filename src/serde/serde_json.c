/* JSON format. Wrapped: an object with one field per column, matched
 * case-insensitively on read. Unwrapped (single column, WRAP_SINGLE_VALUE =
 * false, and single-column keys): the payload is the column value itself.
 * JSON_SR is the same text behind the Confluent wire header (magic byte 0
 * and a 4-byte schema id). */
#include "serde/json.h"

#include "serde/confluent_header.h"
#include "serde/registry.h"
#include "serde/registry_schema.h"
#include "serde/serde_int.h"

#include <stdlib.h>
#include <string.h>

static sl_err_t json_decode(sl_serde *s, const void *data, size_t len, sl_value *cols, sl_arena *a, sl_error *err)
{
    const sl_type *schema = s->schema;
    if (s->format == SL_FORMAT_JSON_SR) {
        int32_t id;
        if (!sl_confluent_header_get(data, len, &id))
            return sl_error_set(err, SL_ERR_RUNTIME, "Unknown magic byte!");
        data = (const unsigned char *)data + SL_CONFLUENT_HEADER_LEN;
        len -= SL_CONFLUENT_HEADER_LEN;
    }
    if (s->opts.unwrapped && schema->nfields == 1)
        return sl_json_parse_typed(data, len, schema->fields[0].type, &cols[0], a, err);
    sl_value row;
    sl_err_t rc = sl_json_parse_typed(data, len, schema, &row, a, err);
    if (rc)
        return rc;
    for (int i = 0; i < schema->nfields; i++)
        cols[i] = row.null ? sl_null(schema->fields[i].type->kind) : row.u.c.items[i];
    return SL_OK;
}

static sl_err_t json_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    const sl_type *schema = s->schema;
    if (s->format == SL_FORMAT_JSON_SR) {
        sl_confluent_header_put(out, s->opts.schema_id);
    }
    if (s->opts.unwrapped && schema->nfields == 1) {
        sl_json_write(out, &cols[0], schema->fields[0].type);
        return SL_OK;
    }
    sl_strbuf_putc(out, '{');
    for (int i = 0; i < schema->nfields; i++) {
        if (i)
            sl_strbuf_putc(out, ',');
        sl_json_write_string(out, schema->fields[i].name, strlen(schema->fields[i].name));
        sl_strbuf_putc(out, ':');
        sl_json_write(out, &cols[i], schema->fields[i].type);
    }
    sl_strbuf_putc(out, '}');
    return SL_OK;
}

static const sl_serde_vtable json_vt = {json_decode, json_encode, NULL};

sl_err_t sl_serde_json_init(sl_serde *s, sl_error *err)
{
    s->vt = &json_vt;
    /* JSON_SR with a subject to write under: the columns' JSON Schema is
     * registered and its id goes into every record's header */
    if (s->format == SL_FORMAT_JSON_SR && s->opts.schema_registry && s->opts.subject) {
        char *text = sl_json_schema_for(s->schema, s->opts.unwrapped);
        sl_err_t rc = sl_registry_register_typed(s->opts.schema_registry, s->opts.subject, "JSON", text,
                                                 &s->opts.schema_id, err);
        free(text);
        return rc;
    }
    return SL_OK;
}
