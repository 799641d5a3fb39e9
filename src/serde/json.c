/* JSON reader/writer (see json.h). The reader is a single-pass recursive
 * descent parser that converts each token to the target type as it goes,
 * keeping number text for exact DECIMALs and pointing strings into the input
 * when they hold no escapes. Depth is limited so that hostile input cannot
 * exhaust the stack; every read is bounds-checked. */
#include "serde/json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/numfmt.h"

#define MAX_DEPTH 100

typedef struct jp {
    const char *p, *end, *start;
    sl_arena *arena;
    sl_error *err;
    int depth;
    bool exact_numbers; /* untyped numbers with a fraction kept as DECIMAL text */
} jp;

static sl_err_t jfail(jp *j, const char *what)
{
    return sl_error_set(j->err, SL_ERR_RUNTIME, "Invalid JSON at offset %ld: %s", (long)(j->p - j->start), what);
}

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(char *o, size_t *n, uint32_t cp)
{
    if (cp < 0x80)
        o[(*n)++] = (char)cp;
    else if (cp < 0x800) {
        o[(*n)++] = (char)(0xC0 | cp >> 6);
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        o[(*n)++] = (char)(0xE0 | cp >> 12);
        o[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        o[(*n)++] = (char)(0xF0 | cp >> 18);
        o[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
}

static bool read_hex4(jp *j, const char *q, uint32_t *out)
{
    if (j->end - q < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(q[i]);
        if (h < 0)
            return false;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return true;
}

/* string token at j->p ('"'); result points into input or the arena */
static sl_err_t parse_string(jp *j, const char **s, uint32_t *len)
{
    const char *q = ++j->p;
    bool esc = false;
    /* most strings hold no escape: find the closing quote with memchr and
     * check the span for a backslash */
    const char *quote = memchr(q, '"', (size_t)(j->end - q));
    if (quote && !memchr(q, '\\', (size_t)(quote - q))) {
        q = quote;
    } else {
        while (q < j->end && *q != '"') {
            if (*q == '\\') {
                esc = true;
                q++;
            }
            q++;
        }
    }
    if (q >= j->end)
        return jfail(j, "unterminated string");
    if (!esc) {
        *s = j->p;
        *len = (uint32_t)(q - j->p);
        j->p = q + 1;
        return SL_OK;
    }
    char *o = sl_arena_alloc(j->arena, (size_t)(q - j->p) + 1);
    size_t n = 0;
    const char *r = j->p;
    while (r < q) {
        if (*r != '\\') {
            o[n++] = *r++;
            continue;
        }
        r++;
        switch (*r) {
        case '"': o[n++] = '"'; break;
        case '\\': o[n++] = '\\'; break;
        case '/': o[n++] = '/'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'n': o[n++] = '\n'; break;
        case 'r': o[n++] = '\r'; break;
        case 't': o[n++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (!read_hex4(j, r + 1, &cp))
                return jfail(j, "bad \\u escape");
            r += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && r + 2 < q && r[1] == '\\' && r[2] == 'u') {
                uint32_t lo;
                if (read_hex4(j, r + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    r += 6;
                }
            }
            /* 4 bytes of UTF-8 never exceed the 6+ bytes of the escape */
            put_utf8(o, &n, cp);
            break;
        }
        default: return jfail(j, "bad escape");
        }
        r++;
    }
    o[n] = 0;
    *s = o;
    *len = (uint32_t)n;
    j->p = q + 1;
    return SL_OK;
}

/* number token: returns its text span */
static sl_err_t scan_number(jp *j, const char **s, uint32_t *len, bool *integral)
{
    const char *q = j->p;
    *integral = true;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end || !isdigit((unsigned char)*q))
        return jfail(j, "bad number");
    while (q < j->end && isdigit((unsigned char)*q))
        q++;
    if (q < j->end && *q == '.') {
        *integral = false;
        q++;
        if (q >= j->end || !isdigit((unsigned char)*q))
            return jfail(j, "bad number");
        while (q < j->end && isdigit((unsigned char)*q))
            q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        *integral = false;
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= j->end || !isdigit((unsigned char)*q))
            return jfail(j, "bad number");
        while (q < j->end && isdigit((unsigned char)*q))
            q++;
    }
    *s = j->p;
    *len = (uint32_t)(q - j->p);
    j->p = q;
    return SL_OK;
}

#define lit(j, w) lit_n(j, w, sizeof w - 1)
static bool lit_n(jp *j, const char *w, size_t n)
{
    if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, w, n)) {
        j->p += n;
        return true;
    }
    return false;
}

static sl_err_t parse_value(jp *j, const sl_type *t, sl_value *out);

/* skips any value, returning its raw span */
static sl_err_t skip_value(jp *j, const char **s, uint32_t *len)
{
    ws(j);
    const char *st = j->p;
    sl_value dummy;
    sl_err_t rc = parse_value(j, NULL, &dummy);
    *s = st;
    *len = (uint32_t)(j->p - st);
    return rc;
}

static sl_err_t mismatch(jp *j, const sl_type *t, const char *got)
{
    return sl_error_set(j->err, SL_ERR_RUNTIME, "Can't convert type. sourceType: %s, requiredType: %s", got,
                        sl_type_to_sql(j->arena, t));
}

static bool parse_long_text(const char *s, uint32_t n, int64_t *out)
{
    /* up to 18 digits cannot overflow: the common case, without strtoll */
    uint32_t neg = n && s[0] == '-';
    if (n > neg && n - neg <= 18) {
        int64_t v = 0;
        uint32_t i = neg;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            v = v * 10 + (s[i] - '0');
        if (i == n) {
            *out = neg ? -v : v;
            return true;
        }
    }
    char buf[40];
    if (!n || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *e;
    errno = 0;
    long long v = strtoll(buf, &e, 10);
    if (*e || errno)
        return false;
    *out = v;
    return true;
}

static bool parse_double_text(const char *s, uint32_t n, double *out)
{
    char buf[400];
    if (!n || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *e;
    double d = strtod(buf, &e);
    if (*e)
        return false;
    *out = d;
    return true;
}

/* a scalar given as text (number token or string) into a numeric type */
static sl_err_t text_to_number(jp *j, const char *s, uint32_t n, bool integral, const sl_type *t, sl_value *out,
                               const char *src)
{
    int64_t l;
    double d;
    switch (t->kind) {
    case SL_INT:
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_DATE:
    case SL_TIME:
        if (!integral || !parse_long_text(s, n, &l)) {
            /* a JSON number with a fraction truncates, as Jackson's
             * intValue() does; text must be a whole number */
            bool number = !strcmp(src, "DoubleNode");
            if (integral || !parse_double_text(s, n, &d) || (!number && d != floor(d)) || !isfinite(d) ||
                fabs(d) > 9.2e18)
                return mismatch(j, t, src);
            l = (int64_t)d;
        }
        if (t->kind == SL_INT || t->kind == SL_DATE) {
            if (l < INT32_MIN || l > INT32_MAX)
                return mismatch(j, t, src);
            *out = t->kind == SL_INT ? sl_int((int32_t)l) : sl_date((int32_t)l);
        } else {
            *out = t->kind == SL_BIGINT ? sl_bigint(l) : t->kind == SL_TIMESTAMP ? sl_timestamp(l) : sl_time(l);
        }
        return SL_OK;
    case SL_DOUBLE:
        if (!parse_double_text(s, n, &d))
            return mismatch(j, t, src);
        *out = sl_double(d);
        return SL_OK;
    case SL_DECIMAL: {
        sl_i128 u;
        if (!sl_decimal_parse(s, n, t->scale, &u))
            return mismatch(j, t, src);
        if (!sl_decimal_fits(u, t->precision))
            return sl_error_set(j->err, SL_ERR_RUNTIME, "Cannot fit decimal '%.*s' into DECIMAL(%d, %d) without rounding.",
                                (int)n, s, t->precision, t->scale);
        *out = sl_decimal(u, t->precision, t->scale);
        return SL_OK;
    }
    default: return mismatch(j, t, src);
    }
}

static char ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

/* a schema field's name (NUL-terminated) equals the key k[0..klen), with
 * ASCII case folded when fold is set, as strncasecmp does */
static inline bool field_is(const char *name, const char *k, uint32_t klen, bool fold)
{
    for (uint32_t i = 0; i < klen; i++) {
        char a = name[i], b = k[i];
        if (a != b && (!fold || !a || ascii_upper(a) != ascii_upper(b)))
            return false;
    }
    return !name[klen];
}

static sl_err_t parse_object(jp *j, const sl_type *t, sl_value *out)
{
    j->p++; /* { */
    bool is_struct = t && t->kind == SL_STRUCT, is_map = !t || t->kind == SL_MAP;
    if (t && !is_struct && !is_map && t->kind != SL_STRING)
        return mismatch(j, t, "ObjectNode");
    sl_value st;
    if (is_struct) {
        st = sl_struct_new(j->arena, (uint32_t)t->nfields);
        for (int i = 0; i < t->nfields; i++)
            st.u.c.items[i] = sl_null(t->fields[i].type->kind);
    }
    /* map entries collected in a growing array */
    uint32_t n = 0, cap = 0;
    sl_value *items = NULL;
    int next_field = 0;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        goto done;
    }
    for (;;) {
        ws(j);
        if (j->p >= j->end || *j->p != '"')
            return jfail(j, "expected a field name");
        const char *k = NULL;
        uint32_t klen = 0;
        sl_err_t rc = parse_string(j, &k, &klen);
        if (rc)
            return rc;
        ws(j);
        if (j->p >= j->end || *j->p != ':')
            return jfail(j, "expected ':'");
        j->p++;
        ws(j);
        if (is_struct) {
            /* documents mostly list fields in the schema's order and case:
             * the field after the last one found is tried first */
            int f = -1;
            const char *guess = next_field < t->nfields ? t->fields[next_field].name : NULL;
            if (guess && field_is(guess, k, klen, true))
                f = next_field;
            else
                for (int i = 0; i < t->nfields && f < 0; i++)
                    if (field_is(t->fields[i].name, k, klen, true))
                        f = i;
            /* an exact-case match wins over a case-insensitive one */
            if (f >= 0 && t->case_twins && !field_is(t->fields[f].name, k, klen, false))
                for (int i = 0; i < t->nfields; i++)
                    if (field_is(t->fields[i].name, k, klen, false))
                        f = i;
            next_field = f + 1;
            if (f >= 0)
                rc = parse_value(j, t->fields[f].type, &st.u.c.items[f]);
            else {
                const char *s = NULL;
                uint32_t l = 0;
                rc = skip_value(j, &s, &l);
            }
        } else {
            if (n + 1 > cap) {
                cap = cap ? cap * 2 : 8;
                sl_value *ni = sl_arena_alloc(j->arena, 2 * cap * sizeof *ni);
                if (n)
                    memcpy(ni, items, 2 * n * sizeof *ni);
                items = ni;
            }
            sl_value key = sl_string(k, klen);
            if (t && t->key && t->key->kind != SL_STRING) {
                rc = text_to_number(j, k, klen, true, t->key, &key, "TextNode");
                if (rc)
                    return rc;
            }
            items[2 * n] = key;
            rc = parse_value(j, t ? t->elem : NULL, &items[2 * n + 1]);
            n++;
        }
        if (rc)
            return rc;
        ws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            break;
        }
        return jfail(j, "expected ',' or '}'");
    }
done:
    if (is_struct) {
        *out = st;
    } else {
        sl_value m = {.kind = SL_MAP};
        m.u.c.items = items;
        m.u.c.n = n;
        *out = m;
    }
    return SL_OK;
}

static sl_err_t parse_array(jp *j, const sl_type *t, sl_value *out)
{
    if (t && t->kind != SL_ARRAY && t->kind != SL_STRING)
        return mismatch(j, t, "ArrayNode");
    j->p++;
    uint32_t n = 0, cap = 0;
    sl_value *items = NULL;
    ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
    } else {
        for (;;) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                sl_value *ni = sl_arena_alloc(j->arena, cap * sizeof *ni);
                if (n)
                    memcpy(ni, items, n * sizeof *ni);
                items = ni;
            }
            sl_err_t rc = parse_value(j, t ? t->elem : NULL, &items[n++]);
            if (rc)
                return rc;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == ']') {
                j->p++;
                break;
            }
            return jfail(j, "expected ',' or ']'");
        }
    }
    sl_value a = {.kind = SL_ARRAY};
    a.u.c.items = items;
    a.u.c.n = n;
    *out = a;
    return SL_OK;
}

static sl_err_t parse_value(jp *j, const sl_type *t, sl_value *out)
{
    if (++j->depth > MAX_DEPTH)
        return jfail(j, "nesting too deep");
    ws(j);
    sl_err_t rc = SL_OK;
    if (j->p >= j->end) {
        rc = jfail(j, "unexpected end of input");
        goto out;
    }
    char c = *j->p;
    if (t && t->kind == SL_STRING && (c == '{' || c == '[')) {
        /* a nested document read as STRING keeps its JSON text */
        const char *s = NULL;
        uint32_t l = 0;
        t = NULL;
        rc = skip_value(j, &s, &l);
        if (!rc)
            *out = sl_string(s, l);
        goto out;
    }
    if (c == '{') {
        rc = parse_object(j, t, out);
    } else if (c == '[') {
        rc = parse_array(j, t, out);
    } else if (c == '"') {
        const char *s = NULL;
        uint32_t l = 0;
        rc = parse_string(j, &s, &l);
        if (rc)
            goto out;
        if (!t || t->kind == SL_STRING) {
            *out = sl_string(s, l);
        } else if (t->kind == SL_BOOLEAN) {
            if (l == 4 && !strncasecmp(s, "true", 4))
                *out = sl_bool(true);
            else if (l == 5 && !strncasecmp(s, "false", 5))
                *out = sl_bool(false);
            else
                rc = mismatch(j, t, "TextNode");
        } else if (t->kind == SL_BYTES) {
            unsigned char *buf = sl_arena_alloc(j->arena, l / 4 * 3 + 4);
            size_t n;
            if (!sl_base64_decode_into(s, l, buf, &n))
                rc = mismatch(j, t, "TextNode");
            else
                *out = sl_bytes((const char *)buf, (uint32_t)n);
        } else {
            bool integral = true;
            for (uint32_t i = 0; i < l; i++)
                if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
                    integral = false;
            rc = text_to_number(j, s, l, integral, t, out, "TextNode");
        }
    } else if (c == '-' || isdigit((unsigned char)c)) {
        const char *s = NULL;
        uint32_t l = 0;
        bool integral;
        rc = scan_number(j, &s, &l, &integral);
        if (rc)
            goto out;
        if (!t) {
            int64_t v;
            double d;
            const char *dot = memchr(s, '.', l);
            sl_i128 u;
            if (integral && parse_long_text(s, l, &v))
                *out = sl_bigint(v);
            else if (j->exact_numbers && dot && !memchr(s, 'e', l) && !memchr(s, 'E', l) && l <= 38 &&
                     sl_decimal_parse(s, l, (int)(l - (uint32_t)(dot - s) - 1), &u))
                *out = sl_decimal(u, 38, (int)(l - (uint32_t)(dot - s) - 1));
            else if (parse_double_text(s, l, &d))
                *out = sl_double(d);
            else
                rc = jfail(j, "bad number");
        } else if (t->kind == SL_STRING) {
            *out = sl_string(s, l);
        } else if (t->kind == SL_BOOLEAN) {
            rc = mismatch(j, t, integral ? "IntNode" : "DoubleNode");
        } else {
            rc = text_to_number(j, s, l, integral, t, out, integral ? "IntNode" : "DoubleNode");
        }
    } else if (lit(j, "true") || lit(j, "false")) {
        bool b = j->p[-1] == 'e' && j->p[-2] == 'u';
        if (!t || t->kind == SL_BOOLEAN)
            *out = sl_bool(b);
        else if (t->kind == SL_STRING)
            *out = sl_cstring(b ? "true" : "false");
        else
            rc = mismatch(j, t, "BooleanNode");
    } else if (lit(j, "null")) {
        *out = sl_null(t ? t->kind : SL_NULLTYPE);
    } else {
        rc = jfail(j, "unexpected character");
    }
out:
    j->depth--;
    return rc;
}

sl_err_t sl_json_parse_typed(const char *text, size_t len, const sl_type *type, sl_value *out, sl_arena *arena,
                             sl_error *err)
{
    jp j = {text, text + len, text, arena, err, 0, false};
    sl_err_t rc = parse_value(&j, type, out);
    if (rc)
        return rc;
    ws(&j);
    if (j.p != j.end)
        return jfail(&j, "trailing characters");
    return SL_OK;
}

sl_err_t sl_json_parse_any(const char *text, size_t len, sl_value *out, sl_arena *arena, sl_error *err)
{
    return sl_json_parse_typed(text, len, NULL, out, arena, err);
}

sl_err_t sl_json_parse_leading(const char *text, size_t len, sl_value *out, sl_arena *arena, sl_error *err)
{
    jp j = {text, text + len, text, arena, err, 0, true};
    return parse_value(&j, NULL, out);
}

/* ---------- writer ---------- */

void sl_json_write_string(sl_strbuf *sb, const char *s, size_t n)
{
    sl_strbuf_reserve(sb, n + 2);
    sl_strbuf_putc(sb, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        /* eight bytes at a time while none needs escaping: no byte below
         * 0x20, no '"' (0x22), no backslash (0x5c) */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
            uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
            /* (x - ones) & ~x & highs is nonzero when some byte of x is zero;
             * with ones * 0x20 in place of ones, when one is below 0x20 */
            uint64_t found = ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | ((w - ones * 0x20) & ~w);
            if (found & highs)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sl_strbuf_append(sb, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': sl_strbuf_puts(sb, "\\\""); break;
        case '\\': sl_strbuf_puts(sb, "\\\\"); break;
        case '\n': sl_strbuf_puts(sb, "\\n"); break;
        case '\r': sl_strbuf_puts(sb, "\\r"); break;
        case '\t': sl_strbuf_puts(sb, "\\t"); break;
        case '\b': sl_strbuf_puts(sb, "\\b"); break;
        case '\f': sl_strbuf_puts(sb, "\\f"); break;
        default: sl_strbuf_printf(sb, "\\u%04x", c);
        }
    }
    sl_strbuf_append(sb, s + run, n - run);
    sl_strbuf_putc(sb, '"');
}

void sl_json_write(sl_strbuf *sb, const sl_value *v, const sl_type *t)
{
    if (v->null) {
        sl_strbuf_puts(sb, "null");
        return;
    }
    char buf[64];
    switch (v->kind) {
    case SL_BOOLEAN: sl_strbuf_puts(sb, v->u.b ? "true" : "false"); break;
    case SL_INT:
    case SL_DATE: sl_strbuf_put_i64(sb, v->u.i); break;
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_TIME: sl_strbuf_put_i64(sb, v->u.l); break;
    case SL_DOUBLE:
        if (isnan(v->u.d) || isinf(v->u.d)) {
            sl_strbuf_putc(sb, '"');
            sl_format_double_java(v->u.d, buf);
            sl_strbuf_puts(sb, buf);
            sl_strbuf_putc(sb, '"');
        } else {
            sl_format_double_java(v->u.d, buf);
            sl_strbuf_puts(sb, buf);
        }
        break;
    case SL_DECIMAL: {
        /* plain digits, no exponent */
        sl_i128 u = v->u.dec.unscaled;
        int scale = v->u.dec.scale;
        char d[48];
        int n = 0;
        sl_i128 a = u < 0 ? -u : u;
        do {
            d[n++] = (char)('0' + (int)(a % 10));
            a /= 10;
        } while (a);
        while (n <= scale)
            d[n++] = '0';
        if (u < 0)
            sl_strbuf_putc(sb, '-');
        for (int i = n - 1; i >= 0; i--) {
            sl_strbuf_putc(sb, d[i]);
            if (i == scale && scale > 0)
                sl_strbuf_putc(sb, '.');
        }
        break;
    }
    case SL_STRING: sl_json_write_string(sb, v->u.s.ptr, v->u.s.len); break;
    case SL_BYTES:
        sl_strbuf_putc(sb, '"');
        sl_base64_encode(sb, v->u.s.ptr, v->u.s.len);
        sl_strbuf_putc(sb, '"');
        break;
    case SL_ARRAY:
        sl_strbuf_putc(sb, '[');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_putc(sb, ',');
            sl_json_write(sb, &v->u.c.items[i], t && t->kind == SL_ARRAY ? t->elem : NULL);
        }
        sl_strbuf_putc(sb, ']');
        break;
    case SL_MAP:
        sl_strbuf_putc(sb, '{');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_putc(sb, ',');
            const sl_value *k = &v->u.c.items[2 * i];
            if (k->kind == SL_STRING && !k->null) {
                sl_json_write_string(sb, k->u.s.ptr, k->u.s.len);
            } else {
                sl_strbuf tmp;
                sl_strbuf_init(&tmp);
                sl_json_write(&tmp, k, NULL);
                sl_json_write_string(sb, tmp.data ? tmp.data : "", tmp.len);
                sl_strbuf_free(&tmp);
            }
            sl_strbuf_putc(sb, ':');
            sl_json_write(sb, &v->u.c.items[2 * i + 1], t && t->kind == SL_MAP ? t->elem : NULL);
        }
        sl_strbuf_putc(sb, '}');
        break;
    case SL_STRUCT:
        sl_strbuf_putc(sb, '{');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_putc(sb, ',');
            const char *name = t && t->kind == SL_STRUCT && (int)i < t->nfields ? t->fields[i].name : "?";
            sl_json_write_string(sb, name, strlen(name));
            sl_strbuf_putc(sb, ':');
            sl_json_write(sb, &v->u.c.items[i], t && t->kind == SL_STRUCT && (int)i < t->nfields ? t->fields[i].type : NULL);
        }
        sl_strbuf_putc(sb, '}');
        break;
    default: sl_strbuf_puts(sb, "null");
    }
}
