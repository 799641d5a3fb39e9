/* JSON reader/writer (see json.h). The reader is a single-pass recursive
 * descent parser that converts each token to the target type as it goes,
 * keeping number text for exact DECIMALs and pointing strings into the input
 * when they hold no escapes. Depth is limited so that hostile input cannot
 * exhaust the stack; every read is bounds-checked.
 *
 * Typed reading follows ksqlDB's JSON deserializer value by value (what it
 * accepts, how it converts, what it rejects: docs/coercion.md); numbers are
 * read from their text with Java's rules (serde/javatext.h), never through
 * a double unless the column is a DOUBLE. Two more dialects are ksqlDB's
 * test runner writing a test file's JSON in the KAFKA and AVRO formats. */
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
#include "serde/javatext.h"

#define MAX_DEPTH 100

typedef struct jp {
    const char *p, *end, *start;
    sl_arena *arena;
    sl_error *err;
    int depth;
    bool exact_numbers; /* untyped numbers with a fraction kept as DECIMAL text */
    sl_json_dialect dialect;
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
    if (*q == '0' && q + 1 < j->end && isdigit((unsigned char)q[1]))
        return jfail(j, "Invalid numeric value: Leading zeroes not allowed");
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

/* ---------- typed scalars ----------
 * A scalar token (a number, a string, true or false) read as a SQL type.
 * SL_JSON_KSQL is ksqlDB's JSON deserializer (KsqlJsonDeserializer and
 * JsonSerdeUtils): numbers narrow as Jackson's intValue()/longValue() do,
 * strings parse with Integer.parseInt, Double.parseDouble, new
 * BigDecimal(...), base64; a BOOLEAN takes only true and false; a DECIMAL
 * must fit without rounding. The SPEC dialects are ksqlDB's test runner
 * turning a test file's JSON into the value it writes in another format. */

enum { TOK_INT, TOK_DEC, TOK_STR, TOK_TRUE, TOK_FALSE };

static const char *node_name(int tok)
{
    static const char *names[] = {"IntNode", "DecimalNode", "TextNode", "BooleanNode", "BooleanNode"};
    return names[tok];
}

static sl_value arena_text(jp *j, const sl_strbuf *sb)
{
    char *p = sl_arena_alloc(j->arena, sb->len + 1);
    if (sb->len)
        memcpy(p, sb->data, sb->len);
    p[sb->len] = 0;
    return sl_string(p, (uint32_t)sb->len);
}

/* the Java toString() of a scalar: a string as is, a number as its
 * BigInteger/BigDecimal prints, a boolean */
static void scalar_text(int tok, const char *s, uint32_t n, sl_strbuf *sb)
{
    if (tok == TOK_STR) {
        sl_strbuf_append(sb, s, n);
    } else if (tok == TOK_INT || tok == TOK_DEC) {
        sl_bigdec d;
        sl_bigdec_parse(s, n, &d);
        sl_bigdec_to_string(&d, sb);
    } else {
        sl_strbuf_puts(sb, tok == TOK_TRUE ? "true" : "false");
    }
}

static sl_err_t coerce_failed(jp *j, const sl_type *t)
{
    return sl_error_set(j->err, SL_ERR_RUNTIME, "Can't coerce string to type. targetType: %s",
                        sl_type_to_sql(j->arena, t));
}

static sl_err_t decimal_of(jp *j, const sl_bigdec *d, const sl_type *t, bool half_up, sl_value *out)
{
    sl_i128 u;
    sl_fit f = half_up ? sl_bigdec_fit_half_up(d, t->precision, t->scale, &u)
                       : sl_bigdec_fit(d, t->precision, t->scale, &u);
    if (f == SL_FIT_OVERFLOW)
        return sl_error_set(j->err, SL_ERR_RUNTIME,
                            "Numeric field overflow: A field with precision %d and scale %d must round to an "
                            "absolute value less than 10^%d",
                            t->precision, t->scale, t->precision - t->scale);
    if (f == SL_FIT_ROUNDING)
        return sl_error_set(j->err, SL_ERR_RUNTIME, "Cannot fit decimal into DECIMAL(%d, %d) without rounding.",
                            t->precision, t->scale);
    *out = sl_decimal(u, t->precision, t->scale);
    return SL_OK;
}

/* an integer-like column from a long: DATE keeps to Sluice's int days, TIME
 * to one day (ksqlDB: "Time values must use number of milliseconds greater
 * than 0 and less than 86400000", the bound itself allowed) */
static sl_err_t integral_of(jp *j, int64_t l, const sl_type *t, sl_value *out)
{
    switch (t->kind) {
    case SL_INT: *out = sl_int((int32_t)(uint32_t)(uint64_t)l); return SL_OK;
    case SL_BIGINT: *out = sl_bigint(l); return SL_OK;
    case SL_TIMESTAMP: *out = sl_timestamp(l); return SL_OK;
    case SL_DATE:
        if (l < INT32_MIN || l > INT32_MAX)
            return sl_error_set(j->err, SL_ERR_RUNTIME, "DATE out of range: %lld days", (long long)l);
        *out = sl_date((int32_t)l);
        return SL_OK;
    default:
        if (l < 0 || l > 86400000)
            return sl_error_set(j->err, SL_ERR_RUNTIME,
                                "Time values must use number of milliseconds greater than 0 and less than 86400000.");
        *out = sl_time(l);
        return SL_OK;
    }
}

static sl_err_t ksql_scalar(jp *j, int tok, const char *s, uint32_t n, const sl_type *t, sl_value *out)
{
    bool num = tok == TOK_INT || tok == TOK_DEC;
    /* a number's exact digits, read only where a fast path does not apply
     * (a JSON number token always reads) */
    sl_bigdec d;
#define DIGITS() (sl_bigdec_parse(s, n, &d), &d)
    switch (t->kind) {
    case SL_BOOLEAN:
        if (tok == TOK_TRUE || tok == TOK_FALSE) {
            *out = sl_bool(tok == TOK_TRUE);
            return SL_OK;
        }
        break;
    case SL_STRING:
        if (tok == TOK_STR) {
            *out = sl_string(s, n);
        } else if (tok == TOK_INT && n < 19 && (s[0] != '-' || s[1] != '0')) {
            *out = sl_string(s, n); /* a plain int token is its own text */
        } else {
            sl_strbuf sb;
            sl_strbuf_init(&sb);
            scalar_text(tok, s, n, &sb);
            *out = arena_text(j, &sb);
            sl_strbuf_free(&sb);
        }
        return SL_OK;
    case SL_INT:
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_DATE:
    case SL_TIME: {
        int64_t l;
        if (tok == TOK_INT && n <= 18 && parse_long_text(s, n, &l))
            ; /* the common case: exact, no narrowing */
        else if (num)
            l = (int64_t)sl_bigdec_low_bits(DIGITS());
        else if (tok != TOK_STR)
            break;
        else if (!sl_java_parse_int(s, n, t->kind == SL_INT ? 32 : 64, &l))
            return coerce_failed(j, t);
        return integral_of(j, l, t, out);
    }
    case SL_DOUBLE: {
        double x;
        if (num) {
            /* a JSON number is text strtod reads exactly as BigDecimal does */
            *out = sl_double(parse_double_text(s, n, &x) ? x : sl_bigdec_to_double(DIGITS()));
            return SL_OK;
        }
        if (tok != TOK_STR)
            break;
        if (!sl_java_parse_double(s, n, &x))
            return coerce_failed(j, t);
        *out = sl_double(x);
        return SL_OK;
    }
    case SL_DECIMAL:
        if (tok == TOK_STR && !sl_bigdec_parse(s, n, &d))
            return sl_error_set(j->err, SL_ERR_RUNTIME, "Character array is missing \"exponent\" mark 'e' or 'E'.");
        if (num)
            sl_bigdec_parse(s, n, &d);
        if (num || tok == TOK_STR)
            return decimal_of(j, &d, t, false, out);
        break;
    case SL_BYTES:
        if (tok == TOK_STR) {
            unsigned char *buf = sl_arena_alloc(j->arena, n / 4 * 3 + 4);
            size_t bl;
            if (!sl_base64_decode_jackson(s, n, buf, &bl))
                return sl_error_set(j->err, SL_ERR_RUNTIME, "Value is not a valid Base64 encoded string: %.*s",
                                    (int)(n > 64 ? 64 : n), s);
            *out = sl_bytes((const char *)buf, (uint32_t)bl);
            return SL_OK;
        }
        break;
    default: break;
    }
    return mismatch(j, t, node_name(tok));
#undef DIGITS
}

static sl_err_t spec_failed(jp *j, const sl_type *t, int tok, const char *s, uint32_t n)
{
    return sl_error_set(j->err, SL_ERR_RUNTIME, "the test runner cannot write %s %.*s as %s", node_name(tok),
                        (int)(n > 64 ? 64 : n), tok == TOK_TRUE ? "true" : tok == TOK_FALSE ? "false" : s,
                        sl_type_to_sql(j->arena, t));
}

/* SpecToConnectConverter: numbers, strings and booleans are parsed from
 * their Java toString() (Integer.valueOf, Long.valueOf, Double.valueOf,
 * Boolean.valueOf); a DECIMAL takes a number that fits or a string, rounded
 * half up; BYTES a base64 string. */
static sl_err_t connect_scalar(jp *j, int tok, const char *s, uint32_t n, const sl_type *t, sl_value *out)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    scalar_text(tok, s, n, &sb);
    const char *text = sb.data ? sb.data : "";
    size_t tn = sb.len;
    sl_err_t rc = SL_OK;
    int64_t l;
    double x;
    sl_bigdec d;
    switch (t->kind) {
    case SL_INT:
    case SL_DATE:
    case SL_TIME:
        if (!sl_java_parse_int(text, tn, 32, &l) || (t->kind == SL_TIME && l == 86400000))
            rc = spec_failed(j, t, tok, s, n);
        else
            rc = integral_of(j, l, t, out);
        break;
    case SL_BIGINT:
    case SL_TIMESTAMP:
        rc = sl_java_parse_int(text, tn, 64, &l) ? integral_of(j, l, t, out) : spec_failed(j, t, tok, s, n);
        break;
    case SL_DOUBLE:
        if (sl_java_parse_double(text, tn, &x))
            *out = sl_double(x);
        else
            rc = spec_failed(j, t, tok, s, n);
        break;
    case SL_BOOLEAN: *out = sl_bool(sl_java_parse_boolean(text, tn)); break;
    case SL_STRING: *out = tok == TOK_STR ? sl_string(s, n) : arena_text(j, &sb); break;
    case SL_DECIMAL:
        if (tok == TOK_DEC) {
            sl_bigdec_parse(s, n, &d);
            rc = decimal_of(j, &d, t, false, out);
        } else if (tok == TOK_STR) {
            /* DecimalUtil.cast(String): trimmed, rounded half up */
            while (tn && (unsigned char)*text <= ' ')
                text++, tn--;
            while (tn && (unsigned char)text[tn - 1] <= ' ')
                tn--;
            rc = sl_bigdec_parse(text, tn, &d) ? decimal_of(j, &d, t, true, out) : spec_failed(j, t, tok, s, n);
        } else {
            rc = spec_failed(j, t, tok, s, n);
        }
        break;
    case SL_BYTES: {
        unsigned char *buf = sl_arena_alloc(j->arena, n / 4 * 3 + 4);
        size_t bl;
        if (tok == TOK_STR && sl_base64_decode_java(s, n, buf, &bl))
            *out = sl_bytes((const char *)buf, (uint32_t)bl);
        else
            rc = spec_failed(j, t, tok, s, n);
        break;
    }
    default: rc = spec_failed(j, t, tok, s, n);
    }
    sl_strbuf_free(&sb);
    return rc;
}

/* KafkaSerdeSupplier: Kafka's IntegerSerializer wants an Integer, BIGINT
 * and DOUBLE take any number (longValue, doubleValue), STRING a string,
 * BYTES a string's UTF-8 bytes. */
static sl_err_t kafka_scalar(jp *j, int tok, const char *s, uint32_t n, const sl_type *t, sl_value *out)
{
    bool num = tok == TOK_INT || tok == TOK_DEC;
    sl_bigdec d;
    if (num)
        sl_bigdec_parse(s, n, &d);
    int64_t l;
    switch (t->kind) {
    case SL_INT:
        if (tok == TOK_INT && sl_java_parse_int(s, n, 32, &l)) {
            *out = sl_int((int32_t)l);
            return SL_OK;
        }
        break;
    case SL_BIGINT:
        if (num) {
            *out = sl_bigint((int64_t)sl_bigdec_low_bits(&d));
            return SL_OK;
        }
        break;
    case SL_DOUBLE:
        if (num) {
            *out = sl_double(sl_bigdec_to_double(&d));
            return SL_OK;
        }
        break;
    case SL_STRING:
    case SL_BYTES:
        if (tok == TOK_STR) {
            *out = t->kind == SL_STRING ? sl_string(s, n) : sl_bytes(s, n);
            return SL_OK;
        }
        break;
    default: break;
    }
    return spec_failed(j, t, tok, s, n);
}

static sl_err_t scalar(jp *j, int tok, const char *s, uint32_t n, const sl_type *t, sl_value *out)
{
    switch (j->dialect) {
    case SL_JSON_SPEC_CONNECT: return connect_scalar(j, tok, s, n, t, out);
    case SL_JSON_SPEC_KAFKA: return kafka_scalar(j, tok, s, n, t, out);
    default: return ksql_scalar(j, tok, s, n, t, out);
    }
}

/* ---------- nested documents read as STRING ---------- */

enum { TEXT_JSON, TEXT_KSQL_ARRAY, TEXT_JAVA };

/* a string as Jackson writes it: \" \\ \b \t \f \n \r, other control
 * characters as \u00XX, everything else as is */
static void jackson_string(sl_strbuf *sb, const char *s, size_t n)
{
    sl_strbuf_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\t': esc = "\\t"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: break;
        }
        if (esc)
            sl_strbuf_puts(sb, esc);
        else if (c < 0x20)
            sl_strbuf_printf(sb, "\\u%04X", c);
        else
            sl_strbuf_putc(sb, (char)c);
    }
    sl_strbuf_putc(sb, '"');
}

/* Writes the value at j->p as text:
 *  TEXT_JSON        Jackson's compact JSON (an object read as STRING);
 *  TEXT_KSQL_ARRAY  ksqlDB's array read as STRING: its elements read as
 *                   STRING, "[a, 1, null]";
 *  TEXT_JAVA        Java's toString() of the maps and lists the test
 *                   runner reads ("{a=1, b=[x, y]}"). */
static sl_err_t nested_text(jp *j, sl_strbuf *sb, int style, bool top)
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
    if (c == '{' || c == '[') {
        bool obj = c == '{';
        char close = obj ? '}' : ']';
        int inner = style == TEXT_KSQL_ARRAY && obj ? TEXT_JSON : style;
        const char *sep = style == TEXT_JSON ? "," : ", ";
        j->p++;
        sl_strbuf_putc(sb, obj && style == TEXT_KSQL_ARRAY ? '{' : c);
        ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
        } else {
            for (bool first = true;; first = false) {
                if (!first)
                    sl_strbuf_puts(sb, sep);
                if (obj) {
                    ws(j);
                    if (j->p >= j->end || *j->p != '"') {
                        rc = jfail(j, "expected a field name");
                        goto out;
                    }
                    const char *k = NULL;
                    uint32_t kl = 0;
                    if ((rc = parse_string(j, &k, &kl)))
                        goto out;
                    ws(j);
                    if (j->p >= j->end || *j->p != ':') {
                        rc = jfail(j, "expected ':'");
                        goto out;
                    }
                    j->p++;
                    if (inner == TEXT_JAVA) {
                        sl_strbuf_append(sb, k, kl);
                        sl_strbuf_putc(sb, '=');
                    } else {
                        jackson_string(sb, k, kl);
                        sl_strbuf_putc(sb, ':');
                    }
                }
                if ((rc = nested_text(j, sb, inner, false)))
                    goto out;
                ws(j);
                if (j->p < j->end && *j->p == ',') {
                    j->p++;
                    continue;
                }
                if (j->p < j->end && *j->p == close) {
                    j->p++;
                    break;
                }
                rc = jfail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
                goto out;
            }
        }
        sl_strbuf_putc(sb, obj && style == TEXT_KSQL_ARRAY ? '}' : close);
    } else if (c == '"') {
        const char *s = NULL;
        uint32_t l = 0;
        if ((rc = parse_string(j, &s, &l)))
            goto out;
        if (style == TEXT_JSON)
            jackson_string(sb, s, l);
        else
            sl_strbuf_append(sb, s, l);
    } else if (c == '-' || isdigit((unsigned char)c)) {
        const char *s = NULL;
        uint32_t l = 0;
        bool integral;
        if ((rc = scan_number(j, &s, &l, &integral)))
            goto out;
        scalar_text(integral ? TOK_INT : TOK_DEC, s, l, sb);
    } else if (lit(j, "true")) {
        sl_strbuf_puts(sb, "true");
    } else if (lit(j, "false")) {
        sl_strbuf_puts(sb, "false");
    } else if (lit(j, "null")) {
        sl_strbuf_puts(sb, "null");
    } else {
        rc = jfail(j, "unexpected character");
    }
    (void)top;
out:
    j->depth--;
    return rc;
}

/* ---------- structure ---------- */

static char ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

/* name (NUL-terminated) equals the key k[0..klen) */
static inline bool field_is(const char *name, const char *k, uint32_t klen)
{
    for (uint32_t i = 0; i < klen; i++)
        if (!name[i] || name[i] != k[i])
            return false;
    return !name[klen];
}

/* name equals the key upper-cased (ksqlDB) or both upper-cased (the test
 * runner's Connect formats) */
static inline bool field_is_upper(const char *name, const char *k, uint32_t klen, bool fold_name)
{
    for (uint32_t i = 0; i < klen; i++) {
        char a = fold_name ? ascii_upper(name[i]) : name[i];
        if (!name[i] || a != ascii_upper(k[i]))
            return false;
    }
    return !name[klen];
}


/* A STRUCT's field for an object key. ksqlDB looks a field up by its exact
 * name first, then among the keys upper-cased (so an unquoted, upper-case
 * field matches "a" and "A", a quoted lower-case one only itself); one key
 * may so feed two fields ("a" for `a` and for A). The test runner's Connect
 * formats match case-insensitively, the last key winning. */
static sl_err_t struct_field(jp *j, const sl_type *t, const char *k, uint32_t klen, sl_value *items, bool *exact,
                             int *next_field)
{
    int fe = -1, fu = -1;
    bool connect = j->dialect == SL_JSON_SPEC_CONNECT, any_case = j->dialect == SL_JSON_ANY_CASE;
    /* documents mostly list fields in the schema's order: the field after
     * the last one found is tried first */
    int guess = *next_field < t->nfields ? *next_field : -1;
    if (!connect) {
        /* Without fields that differ only in case, one field at most can
         * match a key, exactly or upper-cased: the guess settles it. */
        if (guess >= 0 && field_is(t->fields[guess].name, k, klen))
            fe = guess;
        else if (guess >= 0 && !t->case_twins && field_is_upper(t->fields[guess].name, k, klen, any_case))
            fu = guess;
        else
            for (int i = 0; i < t->nfields && fe < 0; i++)
                if (field_is(t->fields[i].name, k, klen))
                    fe = i;
        if (fu < 0 && (fe < 0 || (t->case_twins && !any_case)))
            for (int i = 0; i < t->nfields && fu < 0; i++)
                if (i != fe && field_is_upper(t->fields[i].name, k, klen, any_case))
                    fu = i;
    } else {
        for (int i = 0; i < t->nfields && fu < 0; i++)
            if (field_is_upper(t->fields[i].name, k, klen, true))
                fu = i;
    }
    if (fu >= 0 && exact[fu])
        fu = -1; /* an exact key for that field wins */
    *next_field = (fe >= 0 ? fe : fu) + 1;
    if (fe < 0 && fu < 0) {
        const char *s = NULL;
        uint32_t l = 0;
        return skip_value(j, &s, &l);
    }
    const char *start = j->p;
    sl_err_t rc = SL_OK;
    if (fe >= 0) {
        exact[fe] = true;
        rc = parse_value(j, t->fields[fe].type, &items[fe]);
    }
    if (!rc && fu >= 0) {
        if (fe >= 0)
            j->p = start; /* the same value again, as the other field's type */
        rc = parse_value(j, t->fields[fu].type, &items[fu]);
    }
    return rc;
}

static sl_err_t parse_object(jp *j, const sl_type *t, sl_value *out)
{
    bool is_struct = t && t->kind == SL_STRUCT, is_map = !t || t->kind == SL_MAP;
    if (t && !is_struct && !is_map)
        return mismatch(j, t, "ObjectNode");
    j->p++; /* { */
    sl_value st;
    bool *exact = NULL;
    if (is_struct) {
        st = sl_struct_new(j->arena, (uint32_t)t->nfields);
        exact = sl_arena_calloc(j->arena, (size_t)t->nfields + 1, sizeof *exact);
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
            rc = struct_field(j, t, k, klen, st.u.c.items, exact, &next_field);
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
                rc = scalar(j, TOK_STR, k, klen, t->key, &key);
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
    if (t && t->kind != SL_ARRAY)
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

/* an object or array where a scalar type is wanted */
static sl_err_t nested_as_scalar(jp *j, const sl_type *t, sl_value *out)
{
    bool obj = *j->p == '{';
    if (t->kind == SL_STRING && j->dialect != SL_JSON_SPEC_KAFKA) {
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        int style = j->dialect == SL_JSON_SPEC_CONNECT ? TEXT_JAVA : obj ? TEXT_JSON : TEXT_KSQL_ARRAY;
        sl_err_t rc = nested_text(j, &sb, style, true);
        if (!rc)
            *out = arena_text(j, &sb);
        sl_strbuf_free(&sb);
        return rc;
    }
    if (t->kind == SL_BOOLEAN && j->dialect == SL_JSON_SPEC_CONNECT) {
        /* Boolean.valueOf of a map's or list's text */
        const char *s = NULL;
        uint32_t l = 0;
        *out = sl_bool(false);
        return skip_value(j, &s, &l);
    }
    if (j->dialect != SL_JSON_KSQL)
        return sl_error_set(j->err, SL_ERR_RUNTIME, "the test runner cannot write %s as %s",
                            obj ? "an object" : "an array", sl_type_to_sql(j->arena, t));
    return mismatch(j, t, obj ? "ObjectNode" : "ArrayNode");
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
    if (c == '{' || c == '[') {
        if (t && t->kind != SL_STRUCT && t->kind != SL_MAP && t->kind != SL_ARRAY)
            rc = nested_as_scalar(j, t, out);
        else if (c == '{')
            rc = parse_object(j, t, out);
        else
            rc = parse_array(j, t, out);
    } else if (c == '"') {
        const char *s = NULL;
        uint32_t l = 0;
        rc = parse_string(j, &s, &l);
        if (rc)
            goto out;
        if (!t)
            *out = sl_string(s, l);
        else if (t->kind == SL_STRUCT || t->kind == SL_MAP || t->kind == SL_ARRAY)
            rc = j->dialect == SL_JSON_KSQL ? mismatch(j, t, "TextNode") : spec_failed(j, t, TOK_STR, s, l);
        else
            rc = scalar(j, TOK_STR, s, l, t, out);
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
        } else if (t->kind == SL_STRUCT || t->kind == SL_MAP || t->kind == SL_ARRAY) {
            int tok = integral ? TOK_INT : TOK_DEC;
            rc = j->dialect == SL_JSON_KSQL ? mismatch(j, t, node_name(tok)) : spec_failed(j, t, tok, s, l);
        } else {
            rc = scalar(j, integral ? TOK_INT : TOK_DEC, s, l, t, out);
        }
    } else if (lit(j, "true") || lit(j, "false")) {
        bool b = j->p[-1] == 'e' && j->p[-2] == 'u';
        int tok = b ? TOK_TRUE : TOK_FALSE;
        if (!t)
            *out = sl_bool(b);
        else if (t->kind == SL_STRUCT || t->kind == SL_MAP || t->kind == SL_ARRAY)
            rc = j->dialect == SL_JSON_KSQL ? mismatch(j, t, "BooleanNode") : spec_failed(j, t, tok, "", 0);
        else
            rc = scalar(j, tok, b ? "true" : "false", b ? 4 : 5, t, out);
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
    return sl_json_parse_dialect(text, len, type, SL_JSON_KSQL, out, arena, err);
}

sl_err_t sl_json_parse_dialect(const char *text, size_t len, const sl_type *type, sl_json_dialect dialect,
                               sl_value *out, sl_arena *arena, sl_error *err)
{
    jp j = {text, text + len, text, arena, err, 0, false, dialect};
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
    jp j = {text, text + len, text, arena, err, 0, true, SL_JSON_KSQL};
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
