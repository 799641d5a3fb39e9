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
 * skips unknown fields and rejects malformed input.
 *
 * A registered message (opts.proto_message, from proto_schema.c) replaces
 * the generated layout: each column is the message's field of the same name
 * (ASCII case aside), with that field's number and wire type (sint zigzag,
 * fixed, float, uint, enums by name, the google.protobuf wrappers as a
 * one-field message, map keys of any scalar type), and the header names the
 * message by its index path. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/datefmt.h"
#include "serde/confluent_header.h"
#include "serde/proto_schema.h"
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

/* ---------- the registered message's fields ---------- */

/* the field of m that column i of t is: same name (ASCII case aside), else
 * the same position when the counts agree; NULL without a message */
static const sl_proto_field *field_for(const sl_proto_message *m, const sl_type *t, int i)
{
    if (!m)
        return NULL;
    for (int k = 0; k < m->nfields; k++)
        if (!strcasecmp(m->fields[k].name, t->fields[i].name))
            return &m->fields[k];
    return m->nfields == t->nfields ? &m->fields[i] : NULL;
}

/* the wrapper's scalar kind, or -1 when f is not a google.protobuf wrapper */
static int wrapper_kind(const sl_proto_field *f)
{
    const char *wk = f ? sl_proto_well_known(f) : NULL;
    if (!wk || strncmp(wk, "google.protobuf.", 16) || !strstr(wk, "Value"))
        return -1;
    static const struct {
        const char *name;
        sl_proto_kind kind;
    } w[] = {{"DoubleValue", SL_PB_DOUBLE}, {"FloatValue", SL_PB_FLOAT}, {"Int64Value", SL_PB_INT64},
             {"UInt64Value", SL_PB_UINT64}, {"Int32Value", SL_PB_INT32}, {"UInt32Value", SL_PB_UINT32},
             {"BoolValue", SL_PB_BOOL},     {"StringValue", SL_PB_STRING}, {"BytesValue", SL_PB_BYTES}};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (!strcmp(wk + 16, w[i].name))
            return (int)w[i].kind;
    return -1;
}

/* a proto scalar kind the registered field gives its column, or -1 where
 * the SQL type decides (messages, well-known types, no message) */
static int scalar_kind(const sl_proto_field *f)
{
    return f && f->kind != SL_PB_MESSAGE ? (int)f->kind : -1;
}

static bool kind_is_varint(int k)
{
    return k == SL_PB_INT32 || k == SL_PB_INT64 || k == SL_PB_UINT32 || k == SL_PB_UINT64 || k == SL_PB_SINT32 ||
           k == SL_PB_SINT64 || k == SL_PB_BOOL || k == SL_PB_ENUM;
}

static int wire_of(int k)
{
    if (kind_is_varint(k))
        return WT_VARINT;
    if (k == SL_PB_DOUBLE || k == SL_PB_FIXED64 || k == SL_PB_SFIXED64)
        return WT_I64;
    if (k == SL_PB_FLOAT || k == SL_PB_FIXED32 || k == SL_PB_SFIXED32)
        return WT_I32;
    return WT_LEN;
}

/* a SQL value as an integer or a double, whatever its SQL type (a MAP key
 * is a STRING in SQL and may be an int32 on the wire) */
static int64_t as_int(const sl_value *v, const sl_type *t)
{
    switch (t->kind) {
    case SL_BOOLEAN: return v->u.b;
    case SL_INT: return v->u.i;
    case SL_BIGINT: return v->u.l;
    case SL_DOUBLE: return (int64_t)v->u.d;
    case SL_STRING: {
        char buf[32];
        size_t n = v->u.s.len < sizeof buf - 1 ? v->u.s.len : sizeof buf - 1;
        memcpy(buf, v->u.s.ptr, n);
        buf[n] = 0;
        if (!strcasecmp(buf, "true"))
            return 1;
        return strtoll(buf, NULL, 10);
    }
    default: return 0;
    }
}

static double as_double(const sl_value *v, const sl_type *t)
{
    return t->kind == SL_DOUBLE ? v->u.d : (double)as_int(v, t);
}

/* one scalar of a registered kind; always: written even when it is the
 * default (an element, a map entry's part, a wrapper's value) */
static sl_err_t put_kind(sl_strbuf *out, int field, const sl_value *v, const sl_type *t, const sl_proto_field *f,
                         int kind, bool always, sl_error *err)
{
    uint64_t bits = 0;
    if (kind == SL_PB_STRING || kind == SL_PB_BYTES) {
        if (t->kind != SL_STRING && t->kind != SL_BYTES)
            return sl_error_set(err, SL_ERR_RUNTIME, "PROTOBUF field %s is not a %s", f ? f->name : "?",
                                sl_kind_name(t->kind));
        if (v->u.s.len || always)
            put_len(out, field, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len);
        return SL_OK;
    }
    if (kind == SL_PB_ENUM) {
        const sl_proto_enum *e = f->enumeration;
        int number = 0;
        bool found = false;
        if (t->kind == SL_STRING) {
            for (int i = 0; i < e->nvalues && !found; i++)
                if (strlen(e->value_names[i]) == v->u.s.len && !memcmp(e->value_names[i], v->u.s.ptr, v->u.s.len)) {
                    number = e->value_numbers[i];
                    found = true;
                }
        } else {
            number = (int)as_int(v, t);
            found = true;
        }
        if (!found)
            return sl_error_set(err, SL_ERR_RUNTIME, "'%.*s' is not a value of the PROTOBUF enum %s",
                                (int)(v->u.s.len < 100 ? v->u.s.len : 100), v->u.s.ptr, e->full_name);
        bits = (uint64_t)(int64_t)number;
    } else if (kind == SL_PB_DOUBLE) {
        double d = as_double(v, t);
        memcpy(&bits, &d, 8);
    } else if (kind == SL_PB_FLOAT) {
        float fl = (float)as_double(v, t);
        uint32_t b32;
        memcpy(&b32, &fl, 4);
        bits = b32;
    } else {
        int64_t x = as_int(v, t);
        if (kind == SL_PB_SINT32 || kind == SL_PB_SINT64)
            bits = ((uint64_t)x << 1) ^ (uint64_t)(x >> 63); /* zigzag */
        else if (kind == SL_PB_UINT32 || kind == SL_PB_FIXED32 || kind == SL_PB_SFIXED32)
            bits = (uint32_t)x;
        else if (kind == SL_PB_BOOL)
            bits = x != 0;
        else
            bits = (uint64_t)x;
    }
    if (!bits && !always)
        return SL_OK;
    int wt = wire_of(kind);
    put_tag(out, field, wt);
    if (wt == WT_VARINT) {
        put_varint(out, bits);
    } else {
        unsigned char b[8];
        int n = wt == WT_I64 ? 8 : 4;
        for (int i = 0; i < n; i++)
            b[i] = (unsigned char)(bits >> (8 * i));
        sl_strbuf_append(out, b, (size_t)n);
    }
    return SL_OK;
}

/* ---------- encode ---------- */

static sl_err_t encode_message(sl_strbuf *out, const sl_value *items, uint32_t n, const sl_type *t,
                               const sl_proto_message *pm, sl_error *err, int depth);

/* a length-delimited sub-message built in a scratch buffer */
static sl_err_t put_message(sl_strbuf *out, int field, const sl_value *items, uint32_t n, const sl_type *t,
                            const sl_proto_message *pm, sl_error *err, int depth)
{
    sl_strbuf sub;
    sl_strbuf_init(&sub);
    sl_err_t rc = encode_message(&sub, items, n, t, pm, err, depth + 1);
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

static sl_err_t put_value(sl_strbuf *out, int field, const sl_value *v, const sl_type *t, const sl_proto_field *pf,
                         sl_error *err, int depth)
{
    if (v->null)
        return SL_OK;
    if (depth > MAX_DEPTH)
        return sl_error_set(err, SL_ERR_RUNTIME, "value nested too deeply for PROTOBUF");
    int wrapped = wrapper_kind(pf);
    if (wrapped >= 0 && t->kind != SL_ARRAY) {
        /* a wrapper: a message whose field 1 holds the value, present even
         * when the value is the default */
        sl_strbuf sub;
        sl_strbuf_init(&sub);
        sl_err_t rc = put_kind(&sub, 1, v, t, pf, wrapped, false, err);
        if (!rc)
            put_len(out, field, sub.data ? sub.data : "", sub.len);
        sl_strbuf_free(&sub);
        return rc;
    }
    int kind = scalar_kind(pf);
    if (kind >= 0 && t->kind != SL_ARRAY && t->kind != SL_MAP && t->kind != SL_STRUCT)
        return put_kind(out, field, v, t, pf, kind, false, err);
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
                sl_err_t rc = put_message(out, field, e->u.c.items, e->u.c.n, t->elem, pf ? pf->message : NULL, err,
                                          depth);
                if (rc)
                    return rc;
                continue;
            }
            if (scalar_kind(pf) >= 0) {
                sl_err_t rc = put_kind(out, field, e, t->elem, pf, scalar_kind(pf), true, err);
                if (rc)
                    return rc;
                continue;
            }
            sl_strbuf one;
            sl_strbuf_init(&one);
            sl_err_t rc = put_value(&one, field, e, t->elem, pf, err, depth + 1);
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
        const sl_proto_message *em = pf && pf->message && pf->message->map_entry ? pf->message : NULL;
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            sl_err_t rc = put_message(out, field, &v->u.c.items[2 * i], 2, &entry, em, err, depth);
            if (rc)
                return rc;
        }
        return SL_OK;
    }
    case SL_STRUCT: return put_message(out, field, v->u.c.items, v->u.c.n, t, pf ? pf->message : NULL, err, depth);
    default: return sl_error_set(err, SL_ERR_RUNTIME, "type not supported by PROTOBUF");
    }
}

static sl_err_t encode_message(sl_strbuf *out, const sl_value *items, uint32_t n, const sl_type *t,
                               const sl_proto_message *pm, sl_error *err, int depth)
{
    for (int i = 0; i < t->nfields && (uint32_t)i < n; i++) {
        const sl_proto_field *pf = field_for(pm, t, i);
        if (pm && !pf)
            continue; /* a column the registered message lacks */
        if (pf && pf->message && pf->message->inline_oneof) {
            /* a oneof's STRUCT: its set field goes on this message's wire */
            const sl_value *u = &items[i];
            const sl_type *ut = t->fields[i].type;
            if (u->null || ut->kind != SL_STRUCT)
                continue;
            sl_err_t rc = encode_message(out, u->u.c.items, u->u.c.n, ut, pf->message, err, depth + 1);
            if (rc)
                return rc;
            continue;
        }
        sl_err_t rc = put_value(out, pf ? pf->number : i + 1, &items[i], t->fields[i].type, pf, err, depth);
        if (rc)
            return rc;
    }
    return SL_OK;
}

/* ---------- decode ---------- */

static sl_value default_of(const sl_type *t, const sl_proto_field *pf, sl_arena *a)
{
    if (pf && wrapper_kind(pf) >= 0 && !pf->repeated)
        return sl_null(t->kind); /* an absent wrapper is NULL */
    if (pf && pf->kind == SL_PB_ENUM && !pf->repeated) {
        /* proto3's default: the value numbered 0 */
        const sl_proto_enum *e = pf->enumeration;
        const char *name = e->value_names[0];
        for (int i = 0; i < e->nvalues; i++)
            if (e->value_numbers[i] == 0) {
                name = e->value_names[i];
                break;
            }
        return sl_string(name, (uint32_t)strlen(name));
    }
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

static sl_err_t decode_message(cursor c, const sl_type *t, const sl_proto_message *pm, sl_value *items, sl_arena *a,
                               sl_error *err, int depth);

/* a number as the SQL type of its column (an int32 map key is a STRING) */
static sl_value int_as(int64_t x, const sl_type *t, sl_arena *a)
{
    switch (t->kind) {
    case SL_BOOLEAN: return sl_bool(x != 0);
    case SL_INT: return sl_int((int32_t)x);
    case SL_DOUBLE: return sl_double((double)x);
    case SL_STRING: {
        char *p = sl_arena_sprintf(a, "%" PRId64, x);
        return sl_string(p, (uint32_t)strlen(p));
    }
    default: return sl_bigint(x);
    }
}

/* one scalar of a registered proto kind, as the SQL type t */
static sl_err_t read_kind(cursor *c, int wt, const sl_type *t, const sl_proto_field *pf, int kind, sl_value *out,
                          sl_arena *a, sl_error *err)
{
    int want = wire_of(kind);
    if (wt != want)
        return bad(err);
    uint64_t v = 0;
    if (want == WT_VARINT) {
        if (!get_varint(c, &v))
            return bad(err);
    } else if (want == WT_I64 || want == WT_I32) {
        int n = want == WT_I64 ? 8 : 4;
        if (c->end - c->p < n)
            return bad(err);
        for (int i = 0; i < n; i++)
            v |= (uint64_t)c->p[i] << (8 * i);
        c->p += n;
    } else {
        if (!get_varint(c, &v) || v > (uint64_t)(c->end - c->p))
            return bad(err);
        char *p = sl_arena_alloc(a, v + 1);
        memcpy(p, c->p, v);
        p[v] = 0;
        c->p += v;
        *out = t->kind == SL_BYTES ? sl_bytes(p, (uint32_t)v) : sl_string(p, (uint32_t)v);
        return SL_OK;
    }
    switch (kind) {
    case SL_PB_DOUBLE: {
        double d;
        memcpy(&d, &v, 8);
        *out = t->kind == SL_DOUBLE ? sl_double(d) : int_as((int64_t)d, t, a);
        return SL_OK;
    }
    case SL_PB_FLOAT: {
        uint32_t b32 = (uint32_t)v;
        float f;
        memcpy(&f, &b32, 4);
        *out = t->kind == SL_DOUBLE ? sl_double(f) : int_as((int64_t)f, t, a);
        return SL_OK;
    }
    case SL_PB_ENUM: {
        const sl_proto_enum *e = pf->enumeration;
        for (int i = 0; i < e->nvalues; i++)
            if (e->value_numbers[i] == (int32_t)v) {
                *out = sl_string(e->value_names[i], (uint32_t)strlen(e->value_names[i]));
                return SL_OK;
            }
        /* a number this schema does not name (a newer writer's) */
        *out = int_as((int32_t)v, &sl_type_string, a);
        return SL_OK;
    }
    case SL_PB_SINT32:
    case SL_PB_SINT64: *out = int_as((int64_t)(v >> 1) ^ -(int64_t)(v & 1), t, a); return SL_OK;
    case SL_PB_INT32:
    case SL_PB_SFIXED32: *out = int_as((int32_t)v, t, a); return SL_OK;
    case SL_PB_UINT32:
    case SL_PB_FIXED32: *out = int_as((uint32_t)v, t, a); return SL_OK;
    case SL_PB_BOOL: *out = t->kind == SL_BOOLEAN ? sl_bool(v != 0) : int_as(v != 0, t, a); return SL_OK;
    default: *out = int_as((int64_t)v, t, a); return SL_OK;
    }
}

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
static sl_err_t read_scalar(cursor *c, int wt, const sl_type *t, const sl_proto_field *pf, sl_value *out, sl_arena *a,
                            sl_error *err, int depth)
{
    uint64_t v;
    int wrapped = wrapper_kind(pf);
    if (wrapped >= 0) {
        /* the wrapper message: its field 1, or the default when absent */
        if (wt != WT_LEN || !get_varint(c, &v) || v > (uint64_t)(c->end - c->p))
            return bad(err);
        cursor sub = {c->p, c->p + v};
        c->p += v;
        *out = default_of(t, NULL, a);
        while (sub.p < sub.end) {
            uint64_t tag;
            if (!get_varint(&sub, &tag))
                return bad(err);
            if ((tag >> 3) == 1) {
                if (read_kind(&sub, (int)(tag & 7), t, pf, wrapped, out, a, err))
                    return SL_ERR_RUNTIME;
            } else if (!skip_field(&sub, (int)(tag & 7))) {
                return bad(err);
            }
        }
        return SL_OK;
    }
    if (scalar_kind(pf) >= 0)
        return read_kind(c, wt, t, pf, scalar_kind(pf), out, a, err);
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
        sl_err_t rc = decode_message(sub, t, pf ? pf->message : NULL, s.u.c.items, a, err, depth + 1);
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

static sl_err_t decode_message(cursor c, const sl_type *t, const sl_proto_message *pm, sl_value *items, sl_arena *a,
                               sl_error *err, int depth)
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
        int i = -1;
        const sl_proto_field *pf = NULL;
        if (pm) {
            for (int k = 0; k < t->nfields && i < 0; k++) {
                const sl_proto_field *x = field_for(pm, t, k);
                if (x && (uint64_t)x->number == f) {
                    i = k;
                    pf = x;
                } else if (x && x->message && x->message->inline_oneof && t->fields[k].type->kind == SL_STRUCT) {
                    /* a field of a oneof: into that oneof's STRUCT, whose
                     * other fields are NULL (the last one read wins) */
                    const sl_type *ut = t->fields[k].type;
                    for (int j = 0; j < ut->nfields; j++) {
                        const sl_proto_field *y = field_for(x->message, ut, j);
                        if (!y || (uint64_t)y->number != f)
                            continue;
                        sl_value u = sl_struct_new(a, (uint32_t)ut->nfields);
                        for (int z = 0; z < ut->nfields; z++)
                            u.u.c.items[z] = sl_null(ut->fields[z].type->kind);
                        if (read_scalar(&c, wt, ut->fields[j].type, y, &u.u.c.items[j], a, err, depth + 1))
                            return SL_ERR_RUNTIME;
                        items[k] = u;
                        seen[k] = true;
                        i = -2;
                        break;
                    }
                    if (i == -2)
                        break;
                }
            }
            if (i == -2)
                continue;
        } else if (f >= 1 && f <= (uint64_t)t->nfields) {
            i = (int)f - 1;
        }
        if (i < 0) {
            if (!skip_field(&c, wt))
                return bad(err);
            continue;
        }
        const sl_type *ft = t->fields[i].type;
        if (ft->kind == SL_ARRAY) {
            if (!seen[i])
                items[i] = sl_array_new(a, 0);
            seen[i] = true;
            const sl_type *et = ft->elem;
            int pk = scalar_kind(pf);
            bool packable = pk >= 0 ? pk != SL_PB_STRING && pk != SL_PB_BYTES
                                    : et->kind == SL_BOOLEAN || et->kind == SL_INT || et->kind == SL_BIGINT ||
                                          et->kind == SL_DOUBLE;
            if (packable && wt == WT_LEN) {
                uint64_t n;
                if (!get_varint(&c, &n) || n > (uint64_t)(c.end - c.p))
                    return bad(err);
                cursor packed = {c.p, c.p + n};
                c.p += n;
                while (packed.p < packed.end) {
                    sl_value x;
                    int ewt = pk >= 0 ? wire_of(pk) : et->kind == SL_DOUBLE ? WT_I64 : WT_VARINT;
                    if (read_scalar(&packed, ewt, et, pf, &x, a, err, depth))
                        return SL_ERR_RUNTIME;
                    append(&items[i], &x, 1, a);
                }
                continue;
            }
            sl_value x;
            if (read_scalar(&c, wt, et, pf, &x, a, err, depth))
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
            if (read_scalar(&c, wt, &entry, pf, &e, a, err, depth))
                return SL_ERR_RUNTIME;
            sl_value pair[2] = {e.u.c.items[0].null ? default_of(ft->key, NULL, a) : e.u.c.items[0],
                                e.u.c.items[1].null ? default_of(ft->elem, NULL, a) : e.u.c.items[1]};
            append(&items[i], pair, 2, a);
            continue;
        }
        if (read_scalar(&c, wt, ft, pf, &items[i], a, err, depth))
            return SL_ERR_RUNTIME;
        seen[i] = true;
    }
    for (int i = 0; i < t->nfields; i++)
        if (!seen[i])
            items[i] = default_of(t->fields[i].type, field_for(pm, t, i), a);
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
    return decode_message(c, s->schema, s->opts.proto_message, cols, a, err, 0);
}

static sl_err_t pb_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    const sl_proto_message *pm = s->opts.proto_message;
    if (s->format == SL_FORMAT_PROTOBUF)
        sl_confluent_header_put_message_index(out, s->opts.schema_id, pm ? pm->index_path : NULL,
                                              pm ? pm->index_depth : 0);
    return encode_message(out, cols, (uint32_t)s->schema->nfields, s->schema, pm, err, 0);
}

static const sl_serde_vtable pb_vt = {pb_decode, pb_encode, NULL};

/* a MAP keyed by other than STRING anywhere in t (ksqlDB's PROTOBUF
 * converter writes only string-keyed maps from SQL) */
static bool has_non_string_map_key(const sl_type *t, int depth)
{
    if (!t || depth > MAX_DEPTH)
        return false;
    if (t->kind == SL_MAP)
        return t->key->kind != SL_STRING || has_non_string_map_key(t->elem, depth + 1);
    if (t->kind == SL_ARRAY)
        return has_non_string_map_key(t->elem, depth + 1);
    if (t->kind == SL_STRUCT)
        for (int i = 0; i < t->nfields; i++)
            if (has_non_string_map_key(t->fields[i].type, depth + 1))
                return true;
    return false;
}

sl_err_t sl_serde_protobuf_init(sl_serde *s, sl_error *err)
{
    s->vt = &pb_vt;
    if (has_non_string_map_key(s->schema, 0))
        return sl_error_set(err, SL_ERR_INVALID, "%s format only supports MAP types with STRING keys",
                            s->format == SL_FORMAT_PROTOBUF ? "PROTOBUF" : "PROTOBUF_NOSR");
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
