/* PROTOBUF and PROTOBUF_NOSR formats: protocol buffers (proto3) generated
 * from the columns, as ksqlDB's converter lays them out.
 *
 * The message for a STRUCT numbers its fields 1..n in column order. Scalars
 * map to bool, int32, int64, double, string and bytes; DECIMAL to
 * confluent.type.Decimal {bytes value = 1; uint32 precision = 2; int32
 * scale = 3}; DATE to google.type.Date {year, month, day}; TIME to
 * google.type.TimeOfDay {hours, minutes, seconds, nanos}; TIMESTAMP to
 * google.protobuf.Timestamp {int64 seconds; int32 nanos}; ARRAY to a
 * repeated field; MAP to repeated entries {key = 1; value = 2}; STRUCT to a
 * nested message. proto3 scalars have no presence: a NULL scalar is not
 * written and a missing one reads as its default (0, "", false), exactly as
 * ksqlDB's PROTOBUF format behaves. Messages, lists and maps keep NULL as
 * absent. Keys are messages too (a single key column is a one-field message).
 *
 * PROTOBUF has the Confluent wire header: magic byte 0, the 4-byte schema
 * id, and the message-index path (a single 0 byte for the first message).
 * PROTOBUF_NOSR is the bare message. Decoding is a bounds-checked walk that
 * skips unknown fields and rejects malformed input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/datefmt.h"
#include "serde/confluent_header.h"
#include "serde/registry.h"
#include "serde/registry_schema.h"
#include "serde/serde_int.h"

#define MAX_DEPTH 64

/* ---------- wire primitives ---------- */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static void put_varint(sl_strbuf *out, uint64_t v)
{
    char b[10];
    int n = 0;
    do {
        b[n] = (char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= (char)0x80;
        n++;
    } while (v);
    sl_strbuf_append(out, b, (size_t)n);
}

static void put_tag(sl_strbuf *out, int field, int wt)
{
    put_varint(out, (uint64_t)field << 3 | (uint64_t)wt);
}

static void put_len(sl_strbuf *out, int field, const void *p, size_t n)
{
    put_tag(out, field, WT_LEN);
    put_varint(out, n);
    sl_strbuf_append(out, p, n);
}

typedef struct cursor {
    const unsigned char *p, *end;
} cursor;

static bool get_varint(cursor *c, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && c->p < c->end; shift += 7) {
        unsigned char b = *c->p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

static bool skip_field(cursor *c, int wt)
{
    uint64_t n;
    switch (wt) {
    case WT_VARINT: return get_varint(c, &n);
    case WT_I64:
        if (c->end - c->p < 8)
            return false;
        c->p += 8;
        return true;
    case WT_I32:
        if (c->end - c->p < 4)
            return false;
        c->p += 4;
        return true;
    case WT_LEN:
        if (!get_varint(c, &n) || n > (uint64_t)(c->end - c->p))
            return false;
        c->p += n;
        return true;
    default: return false;
    }
}

/* ---------- encode ---------- */

static sl_err_t encode_message(sl_strbuf *out, const sl_value *items, uint32_t n, const sl_type *t, sl_error *err,
                               int depth);

/* a length-delimited sub-message built in a scratch buffer */
static sl_err_t put_message(sl_strbuf *out, int field, const sl_value *items, uint32_t n, const sl_type *t,
                            sl_error *err, int depth)
{
    sl_strbuf sub;
    sl_strbuf_init(&sub);
    sl_err_t rc = encode_message(&sub, items, n, t, err, depth + 1);
    if (!rc)
        put_len(out, field, sub.data ? sub.data : "", sub.len);
    sl_strbuf_free(&sub);
    return rc;
}

static void put_small_message(sl_strbuf *out, int field, const int64_t *vals, int n)
{
    sl_strbuf sub;
    sl_strbuf_init(&sub);
    for (int i = 0; i < n; i++)
        if (vals[i]) {
            put_tag(&sub, i + 1, WT_VARINT);
            put_varint(&sub, (uint64_t)vals[i]);
        }
    put_len(out, field, sub.data ? sub.data : "", sub.len);
    sl_strbuf_free(&sub);
}

static sl_err_t put_value(sl_strbuf *out, int field, const sl_value *v, const sl_type *t, sl_error *err, int depth)
{
    if (v->null)
        return SL_OK;
    if (depth > MAX_DEPTH)
        return sl_error_set(err, SL_ERR_RUNTIME, "value nested too deeply for PROTOBUF");
    switch (t->kind) {
    case SL_BOOLEAN:
        if (v->u.b) {
            put_tag(out, field, WT_VARINT);
            put_varint(out, 1);
        }
        return SL_OK;
    case SL_INT:
        if (v->u.i) {
            put_tag(out, field, WT_VARINT);
            put_varint(out, (uint64_t)(int64_t)v->u.i); /* negative int32: sign-extended, as protobuf does */
        }
        return SL_OK;
    case SL_BIGINT:
        if (v->u.l) {
            put_tag(out, field, WT_VARINT);
            put_varint(out, (uint64_t)v->u.l);
        }
        return SL_OK;
    case SL_DOUBLE: {
        if (v->u.d == 0 && !signbit(v->u.d))
            return SL_OK;
        uint64_t bits;
        memcpy(&bits, &v->u.d, 8);
        unsigned char b[8];
        for (int i = 0; i < 8; i++)
            b[i] = (unsigned char)(bits >> (8 * i));
        put_tag(out, field, WT_I64);
        sl_strbuf_append(out, b, 8);
        return SL_OK;
    }
    case SL_STRING:
    case SL_BYTES:
        if (v->u.s.len)
            put_len(out, field, v->u.s.ptr, v->u.s.len);
        return SL_OK;
    case SL_DECIMAL: {
        unsigned char tmp[16];
        sl_i128 x = v->u.dec.unscaled;
        for (int i = 15; i >= 0; i--) {
            tmp[i] = (unsigned char)(x & 0xff);
            x >>= 8;
        }
        int start = 0;
        while (start < 15 && ((tmp[start] == 0 && !(tmp[start + 1] & 0x80)) ||
                              (tmp[start] == 0xff && (tmp[start + 1] & 0x80))))
            start++;
        sl_strbuf sub;
        sl_strbuf_init(&sub);
        put_len(&sub, 1, tmp + start, (size_t)(16 - start));
        if (t->precision) {
            put_tag(&sub, 2, WT_VARINT);
            put_varint(&sub, (uint64_t)t->precision);
        }
        if (t->scale) {
            put_tag(&sub, 3, WT_VARINT);
            put_varint(&sub, (uint64_t)(int64_t)t->scale);
        }
        put_len(out, field, sub.data, sub.len);
        sl_strbuf_free(&sub);
        return SL_OK;
    }
    case SL_DATE: {
        int64_t y;
        unsigned m, d;
        sl_civil_from_days(v->u.i, &y, &m, &d);
        int64_t ymd[3] = {y, m, d};
        put_small_message(out, field, ymd, 3);
        return SL_OK;
    }
    case SL_TIME: {
        int64_t ms = v->u.l;
        int64_t hmsn[4] = {ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000 * 1000000};
        put_small_message(out, field, hmsn, 4);
        return SL_OK;
    }
    case SL_TIMESTAMP: {
        int64_t secs = sl_floor_div(v->u.l, 1000);
        int64_t sn[2] = {secs, (v->u.l - secs * 1000) * 1000000};
        put_small_message(out, field, sn, 2);
        return SL_OK;
    }
    case SL_ARRAY:
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            const sl_value *e = &v->u.c.items[i];
            if (e->null)
                return sl_error_set(err, SL_ERR_RUNTIME, "PROTOBUF cannot carry a NULL array element");
            /* a zero scalar is still an element: write it even though it is the default */
            if (t->elem->kind == SL_STRUCT) {
                sl_err_t rc = put_message(out, field, e->u.c.items, e->u.c.n, t->elem, err, depth);
                if (rc)
                    return rc;
                continue;
            }
            sl_strbuf one;
            sl_strbuf_init(&one);
            sl_err_t rc = put_value(&one, field, e, t->elem, err, depth + 1);
            if (!rc && one.len == 0) {
                /* the default value: an explicit zero-length / zero element */
                if (t->elem->kind == SL_DOUBLE) {
                    unsigned char z[8] = {0};
                    put_tag(out, field, WT_I64);
                    sl_strbuf_append(out, z, 8);
                } else if (t->elem->kind == SL_STRING || t->elem->kind == SL_BYTES) {
                    put_len(out, field, "", 0);
                } else {
                    put_tag(out, field, WT_VARINT);
                    put_varint(out, 0);
                }
            }
            sl_strbuf_append(out, one.data, one.len);
            sl_strbuf_free(&one);
            if (rc)
                return rc;
        }
        return SL_OK;
    case SL_MAP: {
        sl_field kv[2] = {{"key", t->key}, {"value", t->elem}};
        sl_type entry = {.kind = SL_STRUCT, .nfields = 2, .fields = kv};
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            sl_err_t rc = put_message(out, field, &v->u.c.items[2 * i], 2, &entry, err, depth);
            if (rc)
                return rc;
        }
        return SL_OK;
    }
    case SL_STRUCT: return put_message(out, field, v->u.c.items, v->u.c.n, t, err, depth);
    default: return sl_error_set(err, SL_ERR_RUNTIME, "type not supported by PROTOBUF");
    }
}

static sl_err_t encode_message(sl_strbuf *out, const sl_value *items, uint32_t n, const sl_type *t, sl_error *err,
                               int depth)
{
    for (int i = 0; i < t->nfields && (uint32_t)i < n; i++) {
        sl_err_t rc = put_value(out, i + 1, &items[i], t->fields[i].type, err, depth);
        if (rc)
            return rc;
    }
    return SL_OK;
}

/* ---------- decode ---------- */

static sl_value default_of(const sl_type *t, sl_arena *a)
{
    switch (t->kind) {
    case SL_BOOLEAN: return sl_bool(false);
    case SL_INT: return sl_int(0);
    case SL_BIGINT: return sl_bigint(0);
    case SL_DOUBLE: return sl_double(0);
    case SL_STRING: return sl_string("", 0);
    case SL_BYTES: return sl_bytes("", 0);
    case SL_ARRAY: return sl_array_new(a, 0);
    case SL_MAP: return sl_map_new(a, 0);
    default: return sl_null(t->kind);
    }
}

static sl_err_t bad(sl_error *err)
{
    return sl_error_set(err, SL_ERR_RUNTIME, "bad PROTOBUF data");
}

static sl_err_t decode_message(cursor c, const sl_type *t, sl_value *items, sl_arena *a, sl_error *err, int depth);

/* the varint fields of a small message (Date, TimeOfDay, Timestamp) */
static sl_err_t small_message(cursor c, int64_t *vals, int n, sl_error *err)
{
    memset(vals, 0, (size_t)n * sizeof *vals);
    while (c.p < c.end) {
        uint64_t tag, v;
        if (!get_varint(&c, &tag))
            return bad(err);
        int f = (int)(tag >> 3), wt = (int)(tag & 7);
        if (wt == WT_VARINT && f >= 1 && f <= n) {
            if (!get_varint(&c, &v))
                return bad(err);
            vals[f - 1] = (int64_t)v;
        } else if (!skip_field(&c, wt)) {
            return bad(err);
        }
    }
    return SL_OK;
}

/* one occurrence of a field; arrays append to *slot */
static sl_err_t read_scalar(cursor *c, int wt, const sl_type *t, sl_value *out, sl_arena *a, sl_error *err,
                            int depth)
{
    uint64_t v;
    switch (t->kind) {
    case SL_BOOLEAN:
    case SL_INT:
    case SL_BIGINT:
        if (wt != WT_VARINT || !get_varint(c, &v))
            return bad(err);
        *out = t->kind == SL_BOOLEAN ? sl_bool(v != 0) : t->kind == SL_INT ? sl_int((int32_t)v) : sl_bigint((int64_t)v);
        return SL_OK;
    case SL_DOUBLE: {
        if (wt != WT_I64 || c->end - c->p < 8)
            return bad(err);
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)c->p[i] << (8 * i);
        c->p += 8;
        double d;
        memcpy(&d, &bits, 8);
        *out = sl_double(d);
        return SL_OK;
    }
    default: break;
    }
    if (wt != WT_LEN || !get_varint(c, &v) || v > (uint64_t)(c->end - c->p))
        return bad(err);
    cursor sub = {c->p, c->p + v};
    c->p += v;
    switch (t->kind) {
    case SL_STRING:
    case SL_BYTES: {
        char *p = sl_arena_alloc(a, v + 1);
        memcpy(p, sub.p, v);
        p[v] = 0;
        *out = t->kind == SL_STRING ? sl_string(p, (uint32_t)v) : sl_bytes(p, (uint32_t)v);
        return SL_OK;
    }
    case SL_DECIMAL: {
        sl_i128 unscaled = 0;
        while (sub.p < sub.end) {
            uint64_t tag, n;
            if (!get_varint(&sub, &tag))
                return bad(err);
            if ((tag >> 3) == 1 && (tag & 7) == WT_LEN) {
                if (!get_varint(&sub, &n) || n > (uint64_t)(sub.end - sub.p) || n > 16)
                    return bad(err);
                unscaled = (n && (sub.p[0] & 0x80)) ? -1 : 0;
                for (uint64_t i = 0; i < n; i++)
                    unscaled = (sl_i128)((unsigned __int128)unscaled << 8) | sub.p[i];
                sub.p += n;
            } else if (!skip_field(&sub, (int)(tag & 7))) {
                return bad(err);
            }
        }
        *out = sl_decimal(unscaled, t->precision, t->scale);
        return SL_OK;
    }
    case SL_DATE: {
        int64_t ymd[3];
        if (small_message(sub, ymd, 3, err))
            return SL_ERR_RUNTIME;
        if (ymd[1] < 1 || ymd[1] > 12 || ymd[2] < 1 || ymd[2] > 31 || ymd[0] < -1000000 || ymd[0] > 1000000)
            return bad(err);
        *out = sl_date((int32_t)sl_days_from_civil(ymd[0], (unsigned)ymd[1], (unsigned)ymd[2]));
        return SL_OK;
    }
    case SL_TIME: {
        int64_t h[4];
        if (small_message(sub, h, 4, err))
            return SL_ERR_RUNTIME;
        if (h[0] < 0 || h[0] > 23 || h[1] < 0 || h[1] > 59 || h[2] < 0 || h[2] > 59 || h[3] < 0 || h[3] > 999999999)
            return bad(err);
        *out = sl_time(h[0] * 3600000 + h[1] * 60000 + h[2] * 1000 + h[3] / 1000000);
        return SL_OK;
    }
    case SL_TIMESTAMP: {
        int64_t sn[2];
        if (small_message(sub, sn, 2, err))
            return SL_ERR_RUNTIME;
        if (sn[0] > INT64_MAX / 1000 || sn[0] < INT64_MIN / 1000)
            return bad(err);
        *out = sl_timestamp(sn[0] * 1000 + (int32_t)sn[1] / 1000000);
        return SL_OK;
    }
    case SL_STRUCT: {
        sl_value s = sl_struct_new(a, (uint32_t)t->nfields);
        sl_err_t rc = decode_message(sub, t, s.u.c.items, a, err, depth + 1);
        if (!rc)
            *out = s;
        return rc;
    }
    default: return sl_error_set(err, SL_ERR_RUNTIME, "type not supported by PROTOBUF");
    }
}

static void append(sl_value *list, const sl_value *x, uint32_t per, sl_arena *a)
{
    /* lists grow by doubling inside the arena; capacity is the next power of two */
    uint32_t n = list->u.c.n;
    uint32_t slots = n * per;
    if (slots == 0 || (slots & (slots - 1)) == 0) {
        uint32_t cap = slots ? slots * 2 : per * 4;
        sl_value *items = sl_arena_alloc(a, (size_t)cap * sizeof *items);
        if (slots)
            memcpy(items, list->u.c.items, (size_t)slots * sizeof *items);
        list->u.c.items = items;
    }
    memcpy(&list->u.c.items[slots], x, (size_t)per * sizeof *x);
    list->u.c.n = n + 1;
}

static sl_err_t decode_message(cursor c, const sl_type *t, sl_value *items, sl_arena *a, sl_error *err, int depth)
{
    if (depth > MAX_DEPTH)
        return sl_error_set(err, SL_ERR_RUNTIME, "PROTOBUF value nested too deeply");
    bool *seen = sl_arena_calloc(a, (size_t)t->nfields + 1, sizeof *seen);
    while (c.p < c.end) {
        uint64_t tag;
        if (!get_varint(&c, &tag))
            return bad(err);
        uint64_t f = tag >> 3;
        int wt = (int)(tag & 7);
        if (f < 1 || f > (uint64_t)t->nfields) {
            if (!skip_field(&c, wt))
                return bad(err);
            continue;
        }
        int i = (int)f - 1;
        const sl_type *ft = t->fields[i].type;
        if (ft->kind == SL_ARRAY) {
            if (!seen[i])
                items[i] = sl_array_new(a, 0);
            seen[i] = true;
            const sl_type *et = ft->elem;
            bool packable = et->kind == SL_BOOLEAN || et->kind == SL_INT || et->kind == SL_BIGINT ||
                            et->kind == SL_DOUBLE;
            if (packable && wt == WT_LEN) {
                uint64_t n;
                if (!get_varint(&c, &n) || n > (uint64_t)(c.end - c.p))
                    return bad(err);
                cursor packed = {c.p, c.p + n};
                c.p += n;
                while (packed.p < packed.end) {
                    sl_value x;
                    if (read_scalar(&packed, et->kind == SL_DOUBLE ? WT_I64 : WT_VARINT, et, &x, a, err, depth))
                        return SL_ERR_RUNTIME;
                    append(&items[i], &x, 1, a);
                }
                continue;
            }
            sl_value x;
            if (read_scalar(&c, wt, et, &x, a, err, depth))
                return SL_ERR_RUNTIME;
            append(&items[i], &x, 1, a);
            continue;
        }
        if (ft->kind == SL_MAP) {
            if (!seen[i])
                items[i] = sl_map_new(a, 0);
            seen[i] = true;
            sl_field kv[2] = {{"key", ft->key}, {"value", ft->elem}};
            sl_type entry = {.kind = SL_STRUCT, .nfields = 2, .fields = kv};
            sl_value e;
            if (read_scalar(&c, wt, &entry, &e, a, err, depth))
                return SL_ERR_RUNTIME;
            sl_value pair[2] = {e.u.c.items[0].null ? default_of(ft->key, a) : e.u.c.items[0],
                                e.u.c.items[1].null ? default_of(ft->elem, a) : e.u.c.items[1]};
            append(&items[i], pair, 2, a);
            continue;
        }
        if (read_scalar(&c, wt, ft, &items[i], a, err, depth))
            return SL_ERR_RUNTIME;
        seen[i] = true;
    }
    for (int i = 0; i < t->nfields; i++)
        if (!seen[i])
            items[i] = default_of(t->fields[i].type, a);
    return SL_OK;
}

/* ---------- the serde ---------- */

static sl_err_t pb_decode(sl_serde *s, const void *data, size_t len, sl_value *cols, sl_arena *a, sl_error *err)
{
    cursor c = {data, (const unsigned char *)data + len};
    if (s->format == SL_FORMAT_PROTOBUF) {
        int32_t id;
        if (!sl_confluent_header_get(data, len, &id))
            return sl_error_set(err, SL_ERR_RUNTIME, "Unknown magic byte!");
        c.p += SL_CONFLUENT_HEADER_LEN;
        /* message indexes: a zigzag count, then that many zigzag indexes */
        uint64_t count, idx;
        if (!get_varint(&c, &count) || (count >> 1) > 64)
            return bad(err);
        for (uint64_t i = 0; i < (count >> 1); i++)
            if (!get_varint(&c, &idx))
                return bad(err);
    }
    return decode_message(c, s->schema, cols, a, err, 0);
}

static sl_err_t pb_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    if (s->format == SL_FORMAT_PROTOBUF) {
        sl_confluent_header_put(out, s->opts.schema_id);
        sl_strbuf_putc(out, 0); /* the message index path [0], written as its short form */
    }
    return encode_message(out, cols, (uint32_t)s->schema->nfields, s->schema, err, 0);
}

static const sl_serde_vtable pb_vt = {pb_decode, pb_encode, NULL};

sl_err_t sl_serde_protobuf_init(sl_serde *s, sl_error *err)
{
    s->vt = &pb_vt;
    /* PROTOBUF with a subject to write under: the row's .proto is registered
     * and its id goes into every record's header, before the index path [0]
     * that names its first message */
    if (s->format == SL_FORMAT_PROTOBUF && s->opts.schema_registry && s->opts.subject) {
        char *text = sl_proto_schema_for(s->schema, "ConnectDefault1");
        sl_err_t rc = sl_registry_register_typed(s->opts.schema_registry, s->opts.subject, "PROTOBUF", text,
                                                 &s->opts.schema_id, err);
        free(text);
        return rc;
    }
    return SL_OK;
}
