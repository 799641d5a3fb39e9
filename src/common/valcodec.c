/* Value codec (see valcodec.h). Decoding is bounds-checked everywhere: the
 * bytes may come from a changelog written by another version. */
#include "common/valcodec.h"

#include <string.h>

static void put_varint(sl_strbuf *sb, uint64_t v)
{
    unsigned char buf[10];
    int n = 0;
    while (v >= 0x80) {
        buf[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    buf[n++] = (unsigned char)v;
    sl_strbuf_append(sb, buf, (size_t)n);
}

static void put_zigzag(sl_strbuf *sb, int64_t v)
{
    put_varint(sb, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void sl_valcodec_put(sl_strbuf *sb, const sl_value *v)
{
    unsigned char tag = (unsigned char)(v->kind | (v->null ? 0x80 : 0));
    sl_strbuf_append(sb, &tag, 1);
    if (v->null)
        return;
    switch (v->kind) {
    case SL_BOOLEAN: sl_strbuf_putc(sb, v->u.b ? 1 : 0); break;
    case SL_INT:
    case SL_DATE: put_zigzag(sb, v->u.i); break;
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_TIME: put_zigzag(sb, v->u.l); break;
    case SL_DOUBLE: sl_strbuf_append(sb, &v->u.d, 8); break;
    case SL_DECIMAL:
        sl_strbuf_append(sb, &v->u.dec.unscaled, 16);
        put_varint(sb, (uint64_t)v->u.dec.precision);
        put_varint(sb, (uint64_t)v->u.dec.scale);
        break;
    case SL_STRING:
    case SL_BYTES:
        put_varint(sb, v->u.s.len);
        sl_strbuf_append(sb, v->u.s.ptr, v->u.s.len);
        break;
    default: {
        uint32_t n = v->kind == SL_MAP ? 2 * v->u.c.n : v->u.c.n;
        put_varint(sb, v->u.c.n);
        for (uint32_t i = 0; i < n; i++)
            sl_valcodec_put(sb, &v->u.c.items[i]);
    }
    }
}

static bool get_varint(const unsigned char *d, size_t len, size_t *pos, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= len)
            return false;
        unsigned char b = d[(*pos)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false;
}

static bool get_zigzag(const unsigned char *d, size_t len, size_t *pos, int64_t *out)
{
    uint64_t u;
    if (!get_varint(d, len, pos, &u))
        return false;
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return true;
}

bool sl_valcodec_get(const unsigned char *d, size_t len, size_t *pos, sl_arena *a, sl_value *out)
{
    if (*pos >= len)
        return false;
    unsigned char tag = d[(*pos)++];
    memset(out, 0, sizeof *out);
    out->kind = tag & 0x7f;
    if (out->kind >= SL_KIND_COUNT)
        return false;
    if (tag & 0x80) {
        out->null = 1;
        return true;
    }
    int64_t l;
    uint64_t u;
    switch (out->kind) {
    case SL_BOOLEAN:
        if (*pos >= len)
            return false;
        out->u.b = d[(*pos)++] != 0;
        return true;
    case SL_INT:
    case SL_DATE:
        if (!get_zigzag(d, len, pos, &l))
            return false;
        out->u.i = (int32_t)l;
        return true;
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_TIME: return get_zigzag(d, len, pos, &out->u.l);
    case SL_DOUBLE:
        if (len - *pos < 8)
            return false;
        memcpy(&out->u.d, d + *pos, 8);
        *pos += 8;
        return true;
    case SL_DECIMAL: {
        if (len - *pos < 16)
            return false;
        memcpy(&out->u.dec.unscaled, d + *pos, 16);
        *pos += 16;
        uint64_t p, s;
        if (!get_varint(d, len, pos, &p) || !get_varint(d, len, pos, &s))
            return false;
        out->u.dec.precision = (int16_t)p;
        out->u.dec.scale = (int16_t)s;
        return true;
    }
    case SL_STRING:
    case SL_BYTES:
        if (!get_varint(d, len, pos, &u) || u > len - *pos)
            return false;
        out->u.s.ptr = (const char *)d + *pos;
        out->u.s.len = (uint32_t)u;
        *pos += u;
        return true;
    case SL_ARRAY:
    case SL_STRUCT:
    case SL_MAP: {
        if (!get_varint(d, len, pos, &u) || u > len - *pos)
            return false;
        uint32_t n = (uint32_t)u * (out->kind == SL_MAP ? 2 : 1);
        out->u.c.n = (uint32_t)u;
        out->u.c.items = n ? sl_arena_alloc(a, n * sizeof(sl_value)) : NULL;
        for (uint32_t i = 0; i < n; i++)
            if (!sl_valcodec_get(d, len, pos, a, &out->u.c.items[i]))
                return false;
        return true;
    }
    default: return out->kind == SL_NULLTYPE;
    }
}
