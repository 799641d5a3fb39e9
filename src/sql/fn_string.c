/* String functions. Positions are 1-based as in ksqlDB (Java indexes
 * shifted), negative SUBSTRING/INSTR positions count from the end. Lengths
 * and positions of strings count UTF-16 units, as Java's String does (see
 * utf16.h); of BYTES, bytes. */
#include <ctype.h>
#include <locale.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/random.h>
#include <wctype.h>

#include "common/base64.h"
#include "common/strbuf.h"
#include "sql/fn_util.h"
#include "sql/md5.h"
#include "sql/utf16.h"

#define STR(v) ((v).u.s.ptr)
#define LEN(v) ((v).u.s.len)

/* UCASE, LCASE: per code point with the C library's Unicode tables (the
 * C.UTF-8 locale); Java's few one-to-many mappings (German sharp s to "SS")
 * are not made. */
static locale_t utf8_locale(void)
{
    static _Atomic(locale_t) loc;
    locale_t l = atomic_load(&loc);
    if (!l) {
        locale_t fresh = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
        if (!fresh)
            return (locale_t)0;
        if (atomic_compare_exchange_strong(&loc, &l, fresh))
            l = fresh;
        else
            freelocale(fresh);
    }
    return l;
}
static sl_err_t ev_case(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    bool upper = c->state != NULL;
    locale_t loc = utf8_locale();
    /* a mapped code point takes at most half as many bytes again
     * (U+0250, two bytes, maps to U+2C6F, three) */
    char *p = sl_arena_alloc(c->arena, (size_t)LEN(v[0]) * 2 + 1);
    size_t k = 0;
    for (uint32_t i = 0; i < LEN(v[0]);) {
        uint32_t cp;
        i += (uint32_t)sl_utf8_decode((const unsigned char *)STR(v[0]) + i, LEN(v[0]) - i, &cp);
        if (cp < 0x80)
            cp = (uint32_t)(upper ? toupper((int)cp) : tolower((int)cp));
        else if (loc)
            cp = (uint32_t)(upper ? towupper_l((wint_t)cp, loc) : towlower_l((wint_t)cp, loc));
        k += sl_utf8_encode(cp, p + k);
    }
    p[k] = 0;
    *o = sl_string(p, (uint32_t)k);
    return SL_OK;
}
static sl_err_t r_ucase(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "UCASE", e);
    b->state = "U";
    return fn_bind(b, ev_case, &sl_type_string, true);
}
static sl_err_t r_lcase(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "LCASE", e);
    return fn_bind(b, ev_case, &sl_type_string, true);
}

/* TRIM: Java's String.trim(), which drops every character up to U+0020
 * (control characters too) from both ends */
static sl_err_t ev_trim(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const unsigned char *s = (const unsigned char *)STR(v[0]);
    uint32_t b = 0, e = LEN(v[0]);
    while (b < e && s[b] <= ' ')
        b++;
    while (e > b && s[e - 1] <= ' ')
        e--;
    *o = sl_string((const char *)s + b, e - b);
    return SL_OK;
}
static sl_err_t r_TRIM(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "TRIM", e);
    return fn_bind(b, ev_trim, &sl_type_string, true);
}

static sl_err_t ev_len(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    /* bytes, or Java's String.length(): UTF-16 units */
    *o = sl_int((int32_t)(v[0].kind == SL_BYTES ? LEN(v[0]) : sl_utf16_length(STR(v[0]), LEN(v[0]))));
    return SL_OK;
}
static sl_err_t r_len(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !(fn_kind(a, 0, SL_STRING) || fn_kind(a, 0, SL_BYTES)))
        return sl_fn_bad_args(a, "LEN", e);
    return fn_bind(b, ev_len, &sl_type_int, true);
}

static sl_err_t ev_concat(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        if (!v[i].null)
            total += LEN(v[i]);
    char *p = sl_arena_alloc(c->arena, total + 1), *q = p;
    for (int i = 0; i < n; i++)
        if (!v[i].null) {
            memcpy(q, STR(v[i]), LEN(v[i]));
            q += LEN(v[i]);
        }
    *q = 0;
    *o = c->state ? sl_bytes(p, (uint32_t)total) : sl_string(p, (uint32_t)total);
    return SL_OK;
}
static sl_err_t r_concat(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1)
        return sl_fn_bad_args(a, "CONCAT", e);
    bool bytes = false;
    for (int i = 0; i < a->argc; i++)
        if (a->types[i]->kind == SL_BYTES)
            bytes = true;
    for (int i = 0; i < a->argc; i++)
        if (!fn_kind(a, i, bytes ? SL_BYTES : SL_STRING))
            return sl_fn_bad_args(a, "CONCAT", e);
    b->state = bytes ? "B" : NULL;
    return fn_bind(b, ev_concat, bytes ? &sl_type_bytes : &sl_type_string, false);
}
static sl_err_t ev_concat_ws(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (v[0].null) {
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    bool first = true;
    for (int i = 1; i < n; i++) {
        if (v[i].null)
            continue;
        if (!first)
            sl_strbuf_append(&sb, STR(v[0]), LEN(v[0]));
        first = false;
        sl_strbuf_append(&sb, STR(v[i]), LEN(v[i]));
    }
    *o = fn_str(c->arena, sb.data ? sb.data : "", sb.len);
    if (c->state)
        o->kind = SL_BYTES;
    sl_strbuf_free(&sb);
    return SL_OK;
}
static sl_err_t r_concat_ws(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 2)
        return sl_fn_bad_args(a, "CONCAT_WS", e);
    bool bytes = a->types[0]->kind == SL_BYTES;
    for (int i = 0; i < a->argc; i++)
        if (!fn_kind(a, i, bytes ? SL_BYTES : SL_STRING))
            return sl_fn_bad_args(a, "CONCAT_WS", e);
    b->state = bytes ? "B" : NULL;
    return fn_bind(b, ev_concat_ws, bytes ? &sl_type_bytes : &sl_type_string, false);
}

static sl_err_t ev_substring(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_utf16 units = {NULL, 0};
    if (v[0].kind == SL_STRING)
        units = sl_utf16_from_utf8(c->arena, STR(v[0]), LEN(v[0]));
    int64_t len = v[0].kind == SL_STRING ? (int64_t)units.n : LEN(v[0]), pos = fn_int(&v[1]);
    int64_t start = pos > 0 ? pos - 1 : pos < 0 ? len + pos : 0;
    if (start < 0)
        start = 0;
    int64_t end = n > 2 ? start + fn_int(&v[2]) : len;
    if (end > len)
        end = len;
    if (start > len || end < start)
        start = end = start > len ? len : start;
    *o = v[0];
    if (v[0].kind == SL_STRING) {
        o->u.s.ptr = sl_utf16_to_utf8(c->arena, units.units, (size_t)start, (size_t)end, &o->u.s.len);
        return SL_OK;
    }
    o->u.s.ptr = STR(v[0]) + start;
    o->u.s.len = (uint32_t)(end - start);
    return SL_OK;
}
static sl_err_t r_substring(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 2 || a->argc > 3 || !(fn_kind(a, 0, SL_STRING) || fn_kind(a, 0, SL_BYTES)) || !fn_integral(a, 1) ||
        (a->argc == 3 && !fn_integral(a, 2)))
        return sl_fn_bad_args(a, "SUBSTRING", e);
    b->arg_types[1] = b->arg_types[2] = &sl_type_int;
    return fn_bind(b, ev_substring, fn_type(a, 0, &sl_type_string), true);
}

/* INSTR counts UTF-16 units, as Java; a NULL string or substring gives 0
 * (ksqlDB's returns a Java int), a NULL position or occurrence an error. */
static sl_err_t ev_instr(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    for (int i = 2; i < n; i++)
        if (v[i].null)
            return sl_error_set(c->err, SL_ERR_RUNTIME, "INSTR position and occurrence cannot be NULL");
    if (v[0].null || v[1].null) {
        *o = sl_int(0);
        return SL_OK;
    }
    sl_utf16 str = sl_utf16_from_utf8(c->arena, STR(v[0]), LEN(v[0]));
    sl_utf16 sub = sl_utf16_from_utf8(c->arena, STR(v[1]), LEN(v[1]));
    int64_t len = (int64_t)str.n, sl = (int64_t)sub.n;
    size_t bytes = (size_t)sl * sizeof(uint16_t);
    int64_t pos = n > 2 ? fn_int(&v[2]) : 1, occ = n > 3 ? fn_int(&v[3]) : 1;
    int32_t found = 0;
    if (occ > 0 && pos != 0) {
        if (pos > 0) {
            for (int64_t i = pos - 1; i + sl <= len; i++)
                if (!memcmp(str.units + i, sub.units, bytes) && --occ == 0) {
                    found = (int32_t)i + 1;
                    break;
                }
        } else {
            for (int64_t i = len + pos; i >= 0; i--)
                if (i + sl <= len && !memcmp(str.units + i, sub.units, bytes) && --occ == 0) {
                    found = (int32_t)i + 1;
                    break;
                }
        }
    }
    *o = sl_int(found);
    return SL_OK;
}
static sl_err_t r_instr(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 2 || a->argc > 4 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) ||
        (a->argc > 2 && !fn_integral(a, 2)) || (a->argc > 3 && !fn_integral(a, 3)))
        return sl_fn_bad_args(a, "INSTR", e);
    b->arg_types[2] = b->arg_types[3] = &sl_type_int;
    return fn_bind(b, ev_instr, &sl_type_int, false);
}

static sl_err_t ev_initcap(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    char *p = sl_arena_alloc(c->arena, LEN(v[0]) + 1);
    bool start = true;
    for (uint32_t i = 0; i < LEN(v[0]); i++) {
        char ch = STR(v[0])[i];
        p[i] = (char)(start ? toupper((unsigned char)ch) : tolower((unsigned char)ch));
        start = isspace((unsigned char)ch);
    }
    p[LEN(v[0])] = 0;
    *o = sl_string(p, LEN(v[0]));
    return SL_OK;
}
static sl_err_t r_initcap(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "INITCAP", e);
    return fn_bind(b, ev_initcap, &sl_type_string, true);
}

static sl_err_t ev_replace(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (!LEN(v[1])) {
        *o = v[0];
        return SL_OK;
    }
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    uint32_t i = 0;
    while (i < LEN(v[0])) {
        if (i + LEN(v[1]) <= LEN(v[0]) && !memcmp(STR(v[0]) + i, STR(v[1]), LEN(v[1]))) {
            sl_strbuf_append(&sb, STR(v[2]), LEN(v[2]));
            i += LEN(v[1]);
        } else {
            sl_strbuf_putc(&sb, STR(v[0])[i++]);
        }
    }
    *o = fn_str(c->arena, sb.data ? sb.data : "", sb.len);
    sl_strbuf_free(&sb);
    return SL_OK;
}
static sl_err_t r_replace(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 3 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) || !fn_kind(a, 2, SL_STRING))
        return sl_fn_bad_args(a, "REPLACE", e);
    return fn_bind(b, ev_replace, &sl_type_string, true);
}

static sl_err_t ev_pad(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    bool left = c->state != NULL;
    int64_t want = fn_int(&v[1]);
    if (want < 0 || LEN(v[2]) == 0) { /* as ksqlDB: an empty padding gives NULL */
        *o = sl_null((sl_kind)v[0].kind);
        return SL_OK;
    }
    if (v[0].kind == SL_STRING) {
        /* in UTF-16 units, as Java */
        sl_utf16 in = sl_utf16_from_utf8(c->arena, STR(v[0]), LEN(v[0]));
        sl_utf16 pad = sl_utf16_from_utf8(c->arena, STR(v[2]), LEN(v[2]));
        uint16_t *u = sl_arena_alloc(c->arena, ((size_t)want + 1) * sizeof *u);
        size_t have = in.n < (size_t)want ? in.n : (size_t)want, fill = (size_t)want - have;
        for (size_t i = 0; i < fill; i++)
            u[(left ? 0 : have) + i] = pad.units[i % pad.n];
        if (have)
            memcpy(u + (left ? fill : 0), in.units, have * sizeof *u);
        *o = v[0];
        o->u.s.ptr = sl_utf16_to_utf8(c->arena, u, 0, (size_t)want, &o->u.s.len);
        return SL_OK;
    }
    char *p = sl_arena_alloc(c->arena, (size_t)want + 1);
    int64_t have = LEN(v[0]) < want ? LEN(v[0]) : want, fill = want - have;
    if (left) {
        for (int64_t i = 0; i < fill; i++)
            p[i] = STR(v[2])[i % LEN(v[2])];
        memcpy(p + fill, STR(v[0]), (size_t)have);
    } else {
        memcpy(p, STR(v[0]), (size_t)have);
        for (int64_t i = 0; i < fill; i++)
            p[have + i] = STR(v[2])[i % LEN(v[2])];
    }
    p[want] = 0;
    *o = v[0];
    o->u.s.ptr = p;
    o->u.s.len = (uint32_t)want;
    return SL_OK;
}
static sl_err_t r_pad(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, bool left)
{
    sl_kind k = a->argc ? a->types[0]->kind : SL_STRING;
    if (k == SL_NULLTYPE)
        k = a->argc > 2 && a->types[2]->kind == SL_BYTES ? SL_BYTES : SL_STRING;
    if (a->argc != 3 || !(k == SL_STRING || k == SL_BYTES) || !fn_kind(a, 0, k) || !fn_integral(a, 1) ||
        !fn_kind(a, 2, k))
        return sl_fn_bad_args(a, name, e);
    b->arg_types[1] = &sl_type_int;
    b->state = left ? "L" : NULL;
    return fn_bind(b, ev_pad, sl_type_primitive(k), true);
}
static sl_err_t r_lpad(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_pad(a, b, e, "LPAD", true);
}
static sl_err_t r_rpad(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_pad(a, b, e, "RPAD", false);
}

static sl_err_t ev_split(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const char *s = STR(v[0]);
    uint32_t len = LEN(v[0]), dl = LEN(v[1]);
    if (!dl) {
        /* an empty delimiter splits into bytes or characters; an empty
         * string stays one empty element, as Java's split("") gives */
        sl_value arr = sl_array_new(c->arena, len ? len : 1);
        uint32_t k = 0;
        for (uint32_t i = 0, w; i < len; i += w) {
            uint32_t cp;
            w = v[0].kind == SL_BYTES ? 1 : (uint32_t)sl_utf8_decode((const unsigned char *)s + i, len - i, &cp);
            arr.u.c.items[k] = v[0];
            arr.u.c.items[k].u.s.ptr = s + i;
            arr.u.c.items[k++].u.s.len = w;
        }
        if (!len)
            arr.u.c.items[k++] = v[0];
        arr.u.c.n = k;
        *o = arr;
        return SL_OK;
    }
    uint32_t parts = 1;
    for (uint32_t i = 0; i + dl <= len; i++)
        if (!memcmp(s + i, STR(v[1]), dl)) {
            parts++;
            i += dl - 1;
        }
    sl_value arr = sl_array_new(c->arena, parts);
    uint32_t start = 0, k = 0;
    for (uint32_t i = 0; i + dl <= len; i++)
        if (!memcmp(s + i, STR(v[1]), dl)) {
            arr.u.c.items[k] = v[0];
            arr.u.c.items[k].u.s.ptr = s + start;
            arr.u.c.items[k++].u.s.len = i - start;
            start = i + dl;
            i += dl - 1;
        }
    arr.u.c.items[k] = v[0];
    arr.u.c.items[k].u.s.ptr = s + start;
    arr.u.c.items[k].u.s.len = len - start;
    *o = arr;
    return SL_OK;
}
static sl_err_t r_split(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    sl_kind k = a->argc ? fn_type(a, 0, &sl_type_string)->kind : SL_STRING;
    if (a->argc != 2 || !(k == SL_STRING || k == SL_BYTES) || !fn_kind(a, 1, k))
        return sl_fn_bad_args(a, "SPLIT", e);
    return fn_bind(b, ev_split, sl_type_array(a->arena, sl_type_primitive(k)), true);
}

static sl_err_t ev_chr(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    uint32_t cp;
    if (v[0].kind == SL_STRING) {
        /* "\u0041" or "U+0041" */
        const char *s = STR(v[0]);
        uint32_t l = LEN(v[0]);
        char buf[16];
        /* a UTF-16 surrogate pair spelled "\\uD820\\uDEB8" is one code point */
        if (l == 12 && s[0] == '\\' && s[1] == 'u' && s[6] == '\\' && s[7] == 'u') {
            char hi[5], lo[5];
            memcpy(hi, s + 2, 4);
            memcpy(lo, s + 8, 4);
            hi[4] = lo[4] = 0;
            char *e1, *e2;
            uint32_t h = (uint32_t)strtoul(hi, &e1, 16), w = (uint32_t)strtoul(lo, &e2, 16);
            if (*e1 || *e2 || h < 0xD800 || h > 0xDBFF || w < 0xDC00 || w > 0xDFFF) {
                *o = sl_null(SL_STRING);
                return SL_OK;
            }
            cp = 0x10000 + ((h - 0xD800) << 10) + (w - 0xDC00);
            goto encode;
        }
        if (l < 3 || l > 10 || !((s[0] == '\\' && (s[1] == 'u' || s[1] == 'U')) || (s[0] == 'U' && s[1] == '+'))) {
            *o = sl_null(SL_STRING);
            return SL_OK;
        }
        memcpy(buf, s + 2, l - 2);
        buf[l - 2] = 0;
        char *end;
        cp = (uint32_t)strtoul(buf, &end, 16);
        if (*end) {
            *o = sl_null(SL_STRING);
            return SL_OK;
        }
    } else {
        cp = (uint32_t)v[0].u.i;
    }
encode:
    if (cp > 0x10FFFF) {
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    char *p = sl_arena_alloc(c->arena, 5);
    size_t k = 0;
    if (cp < 0x80)
        p[k++] = (char)cp;
    else if (cp < 0x800) {
        p[k++] = (char)(0xC0 | cp >> 6);
        p[k++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        p[k++] = (char)(0xE0 | cp >> 12);
        p[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
        p[k++] = (char)(0x80 | (cp & 0x3F));
    } else {
        p[k++] = (char)(0xF0 | cp >> 18);
        p[k++] = (char)(0x80 | (cp >> 12 & 0x3F));
        p[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
        p[k++] = (char)(0x80 | (cp & 0x3F));
    }
    *o = sl_string(p, (uint32_t)k);
    return SL_OK;
}
static sl_err_t r_chr(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !(fn_kind(a, 0, SL_INT) || fn_kind(a, 0, SL_STRING)))
        return sl_fn_bad_args(a, "CHR", e);
    return fn_bind(b, ev_chr, &sl_type_string, true);
}

static sl_err_t ev_elt(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int64_t i = v[0].null ? 0 : fn_int(&v[0]);
    *o = i >= 1 && i < n ? v[i] : sl_null(SL_STRING);
    return SL_OK;
}
static sl_err_t r_elt(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1 || !fn_integral(a, 0))
        return sl_fn_bad_args(a, "ELT", e);
    for (int i = 1; i < a->argc; i++)
        if (!fn_kind(a, i, SL_STRING))
            return sl_fn_bad_args(a, "ELT", e);
    b->arg_types[0] = &sl_type_int;
    return fn_bind(b, ev_elt, &sl_type_string, false);
}
static sl_err_t ev_field(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_int(0);
    if (v[0].null)
        return SL_OK;
    for (int i = 1; i < n; i++)
        if (!v[i].null && sl_value_equal(&v[0], &v[i])) {
            *o = sl_int(i);
            break;
        }
    return SL_OK;
}
static sl_err_t r_field(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1)
        return sl_fn_bad_args(a, "FIELD", e);
    for (int i = 0; i < a->argc; i++)
        if (!fn_kind(a, i, SL_STRING))
            return sl_fn_bad_args(a, "FIELD", e);
    return fn_bind(b, ev_field, &sl_type_int, false);
}

/* ---- bytes <-> strings ---- */
static const char hexd[] = "0123456789abcdef";
/* length of the well-formed UTF-8 sequence at p, 0 if malformed */
static size_t utf8_valid_len(const unsigned char *p, size_t n)
{
    size_t need = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!need || need > n || (need == 2 && p[0] < 0xc2))
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return need;
}

static sl_err_t encode_text(sl_fn_ctx *c, const char *data, size_t len, const char *enc, sl_value *o)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    if (!strcasecmp(enc, "hex")) {
        for (size_t i = 0; i < len; i++) {
            sl_strbuf_putc(&sb, hexd[(unsigned char)data[i] >> 4]);
            sl_strbuf_putc(&sb, hexd[(unsigned char)data[i] & 15]);
        }
    } else if (!strcasecmp(enc, "base64")) {
        sl_base64_encode(&sb, data, len);
    } else if (!strcasecmp(enc, "ascii")) {
        /* Java's US_ASCII decoder: each byte above 0x7f becomes U+FFFD */
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)data[i] < 0x80)
                sl_strbuf_putc(&sb, data[i]);
            else
                sl_strbuf_puts(&sb, "\xef\xbf\xbd");
    } else if (!strcasecmp(enc, "utf8")) {
        /* malformed sequences become U+FFFD, as Java's UTF-8 decoder does */
        for (size_t i = 0; i < len;) {
            size_t n = utf8_valid_len((const unsigned char *)data + i, len - i);
            if (n) {
                sl_strbuf_append(&sb, data + i, n);
                i += n;
            } else {
                sl_strbuf_puts(&sb, "\xef\xbf\xbd");
                i++;
            }
        }
    } else {
        sl_strbuf_free(&sb);
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    *o = fn_str(c->arena, sb.data ? sb.data : "", sb.len);
    sl_strbuf_free(&sb);
    return SL_OK;
}
static bool decode_text(sl_fn_ctx *c, const char *s, size_t len, const char *enc, sl_value *o)
{
    if (!strcasecmp(enc, "hex")) {
        size_t off = len % 2;
        char *p = sl_arena_alloc(c->arena, len / 2 + 2);
        size_t k = 0;
        for (size_t i = 0; i < len; i += (i == 0 && off) ? 1 : 2) {
            int hi, lo;
            if (i == 0 && off) {
                hi = 0;
                lo = isxdigit((unsigned char)s[0]) ? (isdigit((unsigned char)s[0]) ? s[0] - '0' : (tolower(s[0]) - 'a' + 10)) : -1;
            } else {
                hi = isxdigit((unsigned char)s[i]) ? (isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower(s[i]) - 'a' + 10)) : -1;
                lo = i + 1 < len && isxdigit((unsigned char)s[i + 1])
                         ? (isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' : (tolower(s[i + 1]) - 'a' + 10))
                         : -1;
            }
            if (hi < 0 || lo < 0)
                return false;
            p[k++] = (char)(hi << 4 | lo);
        }
        *o = sl_bytes(p, (uint32_t)k);
        return true;
    }
    if (!strcasecmp(enc, "base64")) {
        unsigned char *p = sl_arena_alloc(c->arena, len / 4 * 3 + 4);
        size_t k;
        if (!sl_base64_decode_into(s, len, p, &k))
            return false;
        *o = sl_bytes((const char *)p, (uint32_t)k);
        return true;
    }
    if (!strcasecmp(enc, "ascii")) {
        /* Java's US_ASCII encoder: each non-ASCII character becomes '?' */
        char *p = sl_arena_alloc(c->arena, len + 1);
        size_t k = 0;
        for (size_t i = 0; i < len; i++)
            if (((unsigned char)s[i] & 0xc0) != 0x80)
                p[k++] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
        *o = sl_bytes(p, (uint32_t)k);
        return true;
    }
    if (!strcasecmp(enc, "utf8")) {
        *o = sl_bytes(s, (uint32_t)len);
        return true;
    }
    return false;
}
static sl_err_t ev_from_bytes(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    char enc[16];
    snprintf(enc, sizeof enc, "%.*s", (int)LEN(v[1]), STR(v[1]));
    if (strcasecmp(enc, "hex") && strcasecmp(enc, "base64") && strcasecmp(enc, "utf8") && strcasecmp(enc, "ascii")) {
        sl_error_set(c->err, SL_ERR_RUNTIME, "Supported encoding types are: hex, utf8, ascii and base64");
        return SL_ERR_RUNTIME;
    }
    sl_err_t rc = encode_text(c, STR(v[0]), LEN(v[0]), enc, o);
    if (!rc && !strcasecmp(enc, "hex")) {
        /* FROM_BYTES spells hex in capitals (ENCODE does not) */
        char *p = (char *)o->u.s.ptr;
        for (uint32_t i = 0; i < o->u.s.len; i++)
            p[i] = (char)toupper((unsigned char)p[i]);
    }
    return rc;
}
static sl_err_t r_from_bytes(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_kind(a, 0, SL_BYTES) || !fn_kind(a, 1, SL_STRING))
        return sl_fn_bad_args(a, "FROM_BYTES", e);
    return fn_bind(b, ev_from_bytes, &sl_type_string, true);
}
static sl_err_t ev_to_bytes(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    char enc[16];
    snprintf(enc, sizeof enc, "%.*s", (int)LEN(v[1]), STR(v[1]));
    if (!decode_text(c, STR(v[0]), LEN(v[0]), enc, o)) {
        sl_error_set(c->err, SL_ERR_RUNTIME, "Cannot decode '%.*s' as %s", (int)LEN(v[0]), STR(v[0]), enc);
        return SL_ERR_RUNTIME;
    }
    return SL_OK;
}
static sl_err_t r_to_bytes(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING))
        return sl_fn_bad_args(a, "TO_BYTES", e);
    return fn_bind(b, ev_to_bytes, &sl_type_bytes, true);
}
static sl_err_t ev_encode(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    char in[16], out[16];
    snprintf(in, sizeof in, "%.*s", (int)LEN(v[1]), STR(v[1]));
    snprintf(out, sizeof out, "%.*s", (int)LEN(v[2]), STR(v[2]));
    sl_value raw;
    if (!decode_text(c, STR(v[0]), LEN(v[0]), in, &raw)) {
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    return encode_text(c, raw.u.s.ptr, raw.u.s.len, out, o);
}
static sl_err_t r_encode(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 3 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) || !fn_kind(a, 2, SL_STRING))
        return sl_fn_bad_args(a, "ENCODE", e);
    return fn_bind(b, ev_encode, &sl_type_string, true);
}

/* MD5: the lower-case hex digest of the string's UTF-8 bytes */
static sl_err_t ev_md5(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    uint8_t digest[16];
    sl_md5(STR(v[0]), LEN(v[0]), digest);
    char *hex = sl_arena_alloc(c->arena, 33);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    *o = sl_string(hex, 32);
    return SL_OK;
}
static sl_err_t r_md5(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "MD5", e);
    return fn_bind(b, ev_md5, &sl_type_string, true);
}

/* UUID(): a random (version 4) UUID; UUID(bytes): the UUID those 16 bytes
 * hold, most significant first, or NULL for NULL or another length. */
static sl_value uuid_text(sl_arena *arena, const uint8_t b[16])
{
    char *p = sl_arena_alloc(arena, 37);
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            p[k++] = '-';
        snprintf(p + k, 3, "%02x", b[i]);
        k += 2;
    }
    return sl_string(p, 36);
}
static sl_err_t ev_uuid(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    uint8_t b[16];
    if (n == 1) {
        if (v[0].null || LEN(v[0]) != 16) {
            *o = sl_null(SL_STRING);
            return SL_OK;
        }
        memcpy(b, STR(v[0]), 16);
    } else {
        if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
            return sl_error_set(c->err, SL_ERR_RUNTIME, "UUID: no random bytes available");
        b[6] = (uint8_t)((b[6] & 0x0F) | 0x40); /* version 4 */
        b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* IETF variant */
    }
    *o = uuid_text(c->arena, b);
    return SL_OK;
}
static sl_err_t r_uuid(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc > 1 || (a->argc == 1 && !fn_kind(a, 0, SL_BYTES)))
        return sl_fn_bad_args(a, "UUID", e);
    return fn_bind(b, ev_uuid, &sl_type_string, false);
}

const sl_function_def sl_fn_family_string[] = {
    /* ksqlDB has no UPPER, LOWER, LTRIM, RTRIM or LENGTH: Sluice rejects them as it does */
    {"UCASE", r_ucase}, {"LCASE", r_lcase}, {"TRIM", r_TRIM}, {"LEN", r_len}, {"CONCAT", r_concat},
    {"CONCAT_WS", r_concat_ws}, {"SUBSTRING", r_substring}, {"INSTR", r_instr}, {"INITCAP", r_initcap},
    {"REPLACE", r_replace}, {"LPAD", r_lpad}, {"RPAD", r_rpad}, {"SPLIT", r_split}, {"CHR", r_chr},
    {"ELT", r_elt}, {"FIELD", r_field}, {"FROM_BYTES", r_from_bytes}, {"TO_BYTES", r_to_bytes},
    {"ENCODE", r_encode}, {"MD5", r_md5}, {"UUID", r_uuid}, {NULL, NULL},
};
