/* KAFKA format: Kafka's own primitive serializers for one column: INT as 4
 * big-endian bytes, BIGINT and DOUBLE as 8, STRING as UTF-8, BYTES raw. */
#include <string.h>

#include "serde/serde_int.h"

static sl_err_t kafka_decode(sl_serde *s, const void *data, size_t len, sl_value *cols, sl_arena *a, sl_error *err)
{
    if (!s->schema->nfields)
        return SL_OK;
    const unsigned char *p = data;
    const sl_type *t = s->schema->fields[0].type;
    uint64_t v = 0;
    switch (t->kind) {
    case SL_INT:
        if (len != 4)
            return sl_error_set(err, SL_ERR_RUNTIME, "Size of data received by IntegerDeserializer is not 4");
        for (int i = 0; i < 4; i++)
            v = v << 8 | p[i];
        cols[0] = sl_int((int32_t)(uint32_t)v);
        return SL_OK;
    case SL_BIGINT:
    case SL_DOUBLE:
        if (len != 8)
            return sl_error_set(err, SL_ERR_RUNTIME, "Size of data received by %s is not 8",
                                t->kind == SL_BIGINT ? "LongDeserializer" : "DoubleDeserializer");
        for (int i = 0; i < 8; i++)
            v = v << 8 | p[i];
        if (t->kind == SL_BIGINT) {
            cols[0] = sl_bigint((int64_t)v);
        } else {
            double d;
            memcpy(&d, &v, 8);
            cols[0] = sl_double(d);
        }
        return SL_OK;
    case SL_STRING: cols[0] = sl_string(data, (uint32_t)len); return SL_OK;
    case SL_BYTES: cols[0] = sl_bytes(data, (uint32_t)len); return SL_OK;
    default: return sl_error_set(err, SL_ERR_RUNTIME, "KAFKA format cannot hold %s", sl_kind_name(t->kind));
    }
}

static sl_err_t kafka_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    if (!s->schema->nfields || cols[0].null)
        return SL_OK;
    unsigned char b[8];
    uint64_t v;
    switch (cols[0].kind) {
    case SL_INT:
        v = (uint32_t)cols[0].u.i;
        for (int i = 0; i < 4; i++)
            b[i] = (unsigned char)(v >> (24 - 8 * i));
        sl_strbuf_append(out, b, 4);
        return SL_OK;
    case SL_BIGINT:
    case SL_DOUBLE:
        if (cols[0].kind == SL_BIGINT)
            v = (uint64_t)cols[0].u.l;
        else
            memcpy(&v, &cols[0].u.d, 8);
        for (int i = 0; i < 8; i++)
            b[i] = (unsigned char)(v >> (56 - 8 * i));
        sl_strbuf_append(out, b, 8);
        return SL_OK;
    case SL_STRING:
    case SL_BYTES: sl_strbuf_append(out, cols[0].u.s.ptr, cols[0].u.s.len); return SL_OK;
    default: return sl_error_set(err, SL_ERR_RUNTIME, "KAFKA format cannot hold %s", sl_kind_name((sl_kind)cols[0].kind));
    }
}

static const sl_serde_vtable kafka_vt = {kafka_decode, kafka_encode, NULL};

sl_err_t sl_serde_kafka_init(sl_serde *s, sl_error *err)
{
    if (s->schema->nfields > 1)
        return sl_error_set(err, SL_ERR_INVALID, "The 'KAFKA' format only supports a single field. Got: %d fields",
                            s->schema->nfields);
    if (s->schema->nfields == 1) {
        sl_kind k = s->schema->fields[0].type->kind;
        if (k != SL_INT && k != SL_BIGINT && k != SL_DOUBLE && k != SL_STRING && k != SL_BYTES)
            return sl_error_set(err, SL_ERR_INVALID, "The 'KAFKA' format does not support type '%s'",
                                sl_kind_name(k));
    }
    s->vt = &kafka_vt;
    return SL_OK;
}
