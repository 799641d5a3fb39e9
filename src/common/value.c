/* Value helpers: equality, ordering, hashing, copying, and DECIMAL
 * arithmetic on 128-bit unscaled integers (precision up to 38 digits fits). */
#include "common/value.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

sl_value sl_array_new(sl_arena *a, uint32_t n)
{
    sl_value v = {.kind = SL_ARRAY};
    /* never NULL, even when empty: callers memcpy from items freely */
    v.u.c.items = sl_arena_alloc(a, (n ? n : 1) * sizeof(sl_value));
    v.u.c.n = n;
    return v;
}

sl_value sl_struct_new(sl_arena *a, uint32_t n)
{
    sl_value v = sl_array_new(a, n);
    v.kind = SL_STRUCT;
    return v;
}

sl_value sl_map_new(sl_arena *a, uint32_t npairs)
{
    sl_value v = {.kind = SL_MAP};
    v.u.c.items = sl_arena_alloc(a, 2 * (npairs ? npairs : 1) * sizeof(sl_value));
    v.u.c.n = npairs;
    return v;
}

sl_value sl_cstring(const char *s)
{
    return sl_string(s, (uint32_t)strlen(s));
}

char *sl_value_cstr(sl_arena *a, const sl_value *v)
{
    return sl_arena_strndup(a, v->u.s.ptr, v->u.s.len);
}

static bool is_num(uint8_t k)
{
    return k == SL_INT || k == SL_BIGINT || k == SL_DOUBLE || k == SL_DECIMAL;
}

double sl_value_as_double(const sl_value *v)
{
    switch (v->kind) {
    case SL_INT: return v->u.i;
    case SL_BIGINT: return (double)v->u.l;
    case SL_DOUBLE: return v->u.d;
    case SL_DECIMAL: return sl_decimal_to_double(v->u.dec.unscaled, v->u.dec.scale);
    default: return 0;
    }
}

static int cmp_bytes(const sl_value *a, const sl_value *b)
{
    uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
}

static int cmp_num(const sl_value *a, const sl_value *b)
{
    if (a->kind == SL_DECIMAL && b->kind == SL_DECIMAL) {
        int s = a->u.dec.scale > b->u.dec.scale ? a->u.dec.scale : b->u.dec.scale;
        sl_i128 x = sl_decimal_rescale(a->u.dec.unscaled, a->u.dec.scale, s);
        sl_i128 y = sl_decimal_rescale(b->u.dec.unscaled, b->u.dec.scale, s);
        return x < y ? -1 : x > y;
    }
    if ((a->kind == SL_INT || a->kind == SL_BIGINT) && (b->kind == SL_INT || b->kind == SL_BIGINT)) {
        int64_t x = a->kind == SL_INT ? a->u.i : a->u.l;
        int64_t y = b->kind == SL_INT ? b->u.i : b->u.l;
        return x < y ? -1 : x > y;
    }
    double x = sl_value_as_double(a), y = sl_value_as_double(b);
    return x < y ? -1 : x > y;
}

int sl_value_compare(const sl_value *a, const sl_value *b)
{
    if (a->null || b->null)
        return a->null && b->null ? 0 : a->null ? -1 : 1;
    if (is_num(a->kind) && is_num(b->kind))
        return cmp_num(a, b);
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
    case SL_BOOLEAN: return (int)a->u.b - (int)b->u.b;
    case SL_DATE: return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    case SL_TIMESTAMP:
    case SL_TIME: return a->u.l < b->u.l ? -1 : a->u.l > b->u.l;
    case SL_STRING:
    case SL_BYTES: return cmp_bytes(a, b);
    case SL_ARRAY:
    case SL_STRUCT:
    case SL_MAP: {
        uint32_t na = a->kind == SL_MAP ? 2 * a->u.c.n : a->u.c.n;
        uint32_t nb = b->kind == SL_MAP ? 2 * b->u.c.n : b->u.c.n;
        uint32_t n = na < nb ? na : nb;
        for (uint32_t i = 0; i < n; i++) {
            int c = sl_value_compare(&a->u.c.items[i], &b->u.c.items[i]);
            if (c)
                return c;
        }
        return na < nb ? -1 : na > nb;
    }
    default: return 0;
    }
}

bool sl_value_equal(const sl_value *a, const sl_value *b)
{
    if (a->null || b->null)
        return a->null && b->null;
    if (a->kind == SL_MAP && b->kind == SL_MAP) {
        /* maps are equal regardless of entry order */
        if (a->u.c.n != b->u.c.n)
            return false;
        for (uint32_t i = 0; i < a->u.c.n; i++) {
            bool found = false;
            for (uint32_t j = 0; j < b->u.c.n && !found; j++)
                if (sl_value_equal(&a->u.c.items[2 * i], &b->u.c.items[2 * j]))
                    found = sl_value_equal(&a->u.c.items[2 * i + 1], &b->u.c.items[2 * j + 1]);
            if (!found)
                return false;
        }
        return true;
    }
    if (a->kind == SL_DOUBLE && b->kind == SL_DOUBLE && isnan(a->u.d) && isnan(b->u.d))
        return true;
    return sl_value_compare(a, b) == 0 && (a->kind == b->kind || (is_num(a->kind) && is_num(b->kind)));
}

uint64_t sl_value_hash(const sl_value *v, uint64_t seed)
{
    if (v->null)
        return sl_hash_u64(seed ^ 0x9e3779b97f4a7c15ull);
    switch (v->kind) {
    case SL_BOOLEAN: return sl_hash_u64(seed ^ (uint64_t)v->u.b);
    case SL_INT:
    case SL_DATE: return sl_hash_u64(seed ^ (uint64_t)(int64_t)v->u.i);
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_TIME: return sl_hash_u64(seed ^ (uint64_t)v->u.l);
    case SL_DOUBLE: {
        uint64_t bits;
        double d = v->u.d == 0 ? 0 : v->u.d;
        memcpy(&bits, &d, sizeof bits);
        return sl_hash_u64(seed ^ bits);
    }
    case SL_DECIMAL:
        return sl_hash_u64(seed ^ (uint64_t)v->u.dec.unscaled ^ ((uint64_t)(v->u.dec.unscaled >> 64) * 31) ^
                           (uint64_t)v->u.dec.scale);
    case SL_STRING:
    case SL_BYTES: return sl_hash_bytes(v->u.s.ptr, v->u.s.len, seed);
    default: {
        uint32_t n = v->kind == SL_MAP ? 2 * v->u.c.n : v->u.c.n;
        uint64_t h = seed ^ v->kind;
        for (uint32_t i = 0; i < n; i++)
            h = sl_value_hash(&v->u.c.items[i], h);
        return h;
    }
    }
}

sl_value sl_value_copy(sl_arena *a, const sl_value *v)
{
    sl_value out = *v;
    if (v->null)
        return out;
    switch (v->kind) {
    case SL_STRING:
    case SL_BYTES:
        out.u.s.ptr = v->u.s.len ? sl_arena_strndup(a, v->u.s.ptr, v->u.s.len) : "";
        break;
    case SL_ARRAY:
    case SL_STRUCT:
    case SL_MAP: {
        uint32_t n = v->kind == SL_MAP ? 2 * v->u.c.n : v->u.c.n;
        out.u.c.items = n ? sl_arena_alloc(a, n * sizeof(sl_value)) : NULL;
        for (uint32_t i = 0; i < n; i++)
            out.u.c.items[i] = sl_value_copy(a, &v->u.c.items[i]);
        break;
    }
    default: break;
    }
    return out;
}

sl_i128 sl_pow10(int n)
{
    sl_i128 r = 1;
    for (int i = 0; i < n; i++)
        r *= 10;
    return r;
}

sl_i128 sl_decimal_rescale(sl_i128 u, int from, int to)
{
    if (to >= from)
        return u * sl_pow10(to - from);
    sl_i128 div = sl_pow10(from - to);
    sl_i128 q = u / div, r = u % div;
    sl_i128 absr = r < 0 ? -r : r;
    if (absr * 2 >= div)
        q += u < 0 ? -1 : 1;
    return q;
}

bool sl_decimal_fits(sl_i128 u, int precision)
{
    sl_i128 lim = sl_pow10(precision);
    return u < lim && u > -lim;
}

double sl_decimal_to_double(sl_i128 u, int scale)
{
    /* via text keeps the double correctly rounded */
    char buf[64];
    sl_i128 a = u < 0 ? -u : u;
    char digits[48];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(a % 10));
        a /= 10;
    } while (a);
    int p = 0;
    if (u < 0)
        buf[p++] = '-';
    for (int i = n - 1; i >= 0; i--)
        buf[p++] = digits[i];
    snprintf(buf + p, sizeof buf - (size_t)p, "e-%d", scale);
    return strtod(buf, NULL);
}

const char *sl_decimal_to_string(sl_arena *arena, sl_i128 u, int scale)
{
    char digits[48];
    int n = 0;
    sl_i128 a = u < 0 ? -u : u;
    do {
        digits[n++] = (char)('0' + (int)(a % 10));
        a /= 10;
    } while (a);
    while (n <= scale)
        digits[n++] = '0';
    char buf[64];
    int p = 0;
    if (u < 0)
        buf[p++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        buf[p++] = digits[i];
        if (i == scale && scale > 0)
            buf[p++] = '.';
    }
    return sl_arena_strndup(arena, buf, (size_t)p);
}

bool sl_decimal_parse(const char *s, uint32_t len, int scale, sl_i128 *out)
{
    uint32_t i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    sl_i128 mant = 0;
    int frac = 0, ndig = 0;
    bool dot = false;
    for (; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (ndig < 38) {
                mant = mant * 10 + (c - '0');
                if (mant)
                    ndig++;
                if (dot)
                    frac++;
            } else if (!dot) {
                return false;
            }
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
    }
    int exp = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        if (i >= len || !isdigit((unsigned char)s[i]))
            return false;
        while (i < len && isdigit((unsigned char)s[i]))
            exp = exp * 10 + (s[i++] - '0');
        if (eneg)
            exp = -exp;
    }
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (i != len)
        return false;
    int cur = frac - exp;
    if (cur < -38 || cur > 76)
        return false;
    sl_i128 v = cur < 0 ? mant * sl_pow10(-cur) : mant;
    if (cur < 0)
        cur = 0;
    v = sl_decimal_rescale(v, cur, scale);
    *out = neg ? -v : v;
    return true;
}
