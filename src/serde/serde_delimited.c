/* DELIMITED format (CSV, RFC 4180 quoting): one field per column in order.
 * An empty field is NULL; composite types are not allowed. Reading follows
 * ksqlDB's deserializer on Apache Commons CSV (fields parsed with Java's
 * rules, see field_value); BYTES are base64; DOUBLE is written as Java
 * prints it and DECIMAL in plain notation. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/numfmt.h"
#include "serde/javatext.h"
#include "serde/serde_int.h"

/* One field as KsqlDelimitedDeserializer parses it: empty is NULL; then
 * Boolean.parseBoolean (never fails: anything but "true" is false),
 * Integer.parseInt, Long.parseLong, Double.parseDouble, new BigDecimal that
 * must fit the column without rounding, java.util.Base64, DATE as
 * Integer.parseInt days, TIME as Long.parseLong milliseconds within a day. */
static sl_err_t field_value(const char *s, size_t n, const sl_type *t, sl_arena *a, sl_value *out, sl_error *err)
{
    if (n == 0) {
        *out = sl_null(t->kind);
        return SL_OK;
    }
    int64_t l;
    double d;
    switch (t->kind) {
    case SL_STRING: *out = sl_string(s, (uint32_t)n); return SL_OK;
    case SL_BOOLEAN: *out = sl_bool(sl_java_parse_boolean(s, n)); return SL_OK;
    case SL_INT:
    case SL_DATE:
        if (!sl_java_parse_int(s, n, 32, &l))
            break;
        *out = t->kind == SL_INT ? sl_int((int32_t)l) : sl_date((int32_t)l);
        return SL_OK;
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_TIME:
        if (!sl_java_parse_int(s, n, 64, &l))
            break;
        if (t->kind == SL_TIME && (l < 0 || l > 86400000))
            return sl_error_set(err, SL_ERR_RUNTIME,
                                "Time values must use number of milliseconds greater than 0 and less than 86400000.");
        *out = t->kind == SL_BIGINT ? sl_bigint(l) : t->kind == SL_TIMESTAMP ? sl_timestamp(l) : sl_time(l);
        return SL_OK;
    case SL_DOUBLE:
        if (!sl_java_parse_double(s, n, &d))
            break;
        *out = sl_double(d);
        return SL_OK;
    case SL_DECIMAL: {
        sl_bigdec bd;
        sl_i128 u;
        if (!sl_bigdec_parse(s, n, &bd))
            break;
        sl_fit f = sl_bigdec_fit(&bd, t->precision, t->scale, &u);
        if (f != SL_FIT_OK)
            return sl_error_set(err, SL_ERR_RUNTIME, "Cannot fit decimal '%.*s' into DECIMAL(%d, %d)%s",
                                (int)(n > 100 ? 100 : n), s, t->precision, t->scale,
                                f == SL_FIT_ROUNDING ? " without rounding" : ": numeric field overflow");
        *out = sl_decimal(u, t->precision, t->scale);
        return SL_OK;
    }
    case SL_BYTES: {
        unsigned char *buf = sl_arena_alloc(a, n / 4 * 3 + 4);
        size_t bl;
        if (!sl_base64_decode_java(s, n, buf, &bl))
            return sl_error_set(err, SL_ERR_RUNTIME, "Value is not a valid Base64 encoded string: %.*s",
                                (int)(n > 100 ? 100 : n), s);
        *out = sl_bytes((const char *)buf, (uint32_t)bl);
        return SL_OK;
    }
    default: break;
    }
    return sl_error_set(err, SL_ERR_RUNTIME, "Failed to parse '%.*s' as %s", (int)(n > 100 ? 100 : n), s,
                        sl_kind_name(t->kind));
}

/* Character.isWhitespace for the ASCII a CSV line holds */
static bool java_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* The first record of the text as Apache Commons CSV's DEFAULT format
 * reads it (what ksqlDB's DELIMITED deserializer uses): empty lines before
 * it are skipped and a line break ends it; a field that starts with '"' is
 * quoted ("" is a quote inside it) and may be followed by white space up to
 * the delimiter, anything else there is an error; other fields run to the
 * delimiter or the line's end, spaces kept. No record at all is an error,
 * and so is a field count other than the schema's. */
static sl_err_t delimited_decode(sl_serde *s, const void *data, size_t len, sl_value *cols, sl_arena *a,
                                 sl_error *err)
{
    const sl_type *schema = s->schema;
    const char *p = data, *end = p + len;
    char delim = s->opts.delimiter;
    while (p < end && (*p == '\n' || *p == '\r'))
        p++;
    if (p >= end)
        return sl_error_set(err, SL_ERR_RUNTIME, "No fields in record");
    int nf = 0;
    char *tmp = NULL;
    for (;;) {
        const char *fs;
        size_t fl;
        if (p < end && *p == '"') {
            /* quoted field: "" is an escaped quote */
            if (!tmp)
                tmp = sl_arena_alloc(a, len + 1);
            size_t n = 0;
            p++;
            for (;;) {
                if (p >= end)
                    return sl_error_set(err, SL_ERR_RUNTIME, "EOF reached before encapsulated token finished");
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        tmp[n++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                tmp[n++] = *p++;
            }
            fs = sl_arena_strndup(a, tmp, n);
            fl = n;
            while (p < end && *p != delim && *p != '\n' && *p != '\r') {
                if (!java_space(*p))
                    return sl_error_set(err, SL_ERR_RUNTIME, "invalid char between encapsulated token and delimiter");
                p++;
            }
        } else {
            fs = p;
            while (p < end && *p != delim && *p != '\n' && *p != '\r')
                p++;
            fl = (size_t)(p - fs);
        }
        if (nf < schema->nfields) {
            sl_err_t rc = field_value(fs, fl, schema->fields[nf].type, a, &cols[nf], err);
            if (rc)
                return rc;
        }
        nf++;
        if (p < end && *p == delim) {
            p++;
            continue;
        }
        break; /* the end, or a line break: the rest is other records */
    }
    if (nf != schema->nfields)
        return sl_error_set(err, SL_ERR_RUNTIME, "Column count mismatch on deserialization. expected: %d, got: %d",
                            schema->nfields, nf);
    return SL_OK;
}

static sl_err_t delimited_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    const sl_type *schema = s->schema;
    char buf[64];
    sl_strbuf text;
    sl_strbuf_init(&text);
    sl_err_t rc = SL_OK;
    for (int i = 0; i < schema->nfields && !rc; i++) {
        if (i)
            sl_strbuf_putc(out, s->opts.delimiter);
        const sl_value *v = &cols[i];
        if (v->null)
            continue;
        sl_strbuf_reset(&text);
        switch (v->kind) {
        case SL_BOOLEAN: sl_strbuf_puts(&text, v->u.b ? "true" : "false"); break;
        case SL_INT:
        case SL_DATE: sl_strbuf_printf(&text, "%d", v->u.i); break;
        case SL_BIGINT:
        case SL_TIMESTAMP:
        case SL_TIME: sl_strbuf_printf(&text, "%lld", (long long)v->u.l); break;
        case SL_DOUBLE:
            sl_format_double_java(v->u.d, buf);
            sl_strbuf_puts(&text, buf);
            break;
        case SL_DECIMAL: {
            sl_arena *a = sl_arena_new(256);
            sl_strbuf_puts(&text, sl_decimal_to_string(a, v->u.dec.unscaled, v->u.dec.scale));
            sl_arena_destroy(a);
            break;
        }
        case SL_BYTES: sl_base64_encode(&text, v->u.s.ptr, v->u.s.len); break;
        case SL_STRING: sl_strbuf_append(&text, v->u.s.ptr, v->u.s.len); break;
        default:
            rc = sl_error_set(err, SL_ERR_RUNTIME, "DELIMITED cannot hold %s", sl_kind_name((sl_kind)v->kind));
            continue;
        }
        /* Commons CSV's minimal quoting, as ksqlDB writes: the first field
         * of a record is quoted when empty or when it starts with anything
         * but an ASCII letter or digit; any field when it starts with a
         * character up to '#', holds a delimiter, quote or line break, or
         * ends in a space or control character */
        const unsigned char *sp = (const unsigned char *)(text.data ? text.data : "");
        size_t sl = text.len;
        bool first = i == 0, quote;
        if (sl == 0) {
            quote = first;
        } else {
            unsigned char c = sp[0];
            quote = (first && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) ||
                    c <= '#';
            for (size_t k = 0; k < sl && !quote; k++)
                quote = sp[k] == (unsigned char)s->opts.delimiter || sp[k] == '"' || sp[k] == '\n' || sp[k] == '\r';
            quote = quote || sp[sl - 1] <= ' ';
        }
        if (!quote) {
            sl_strbuf_append(out, sp, sl);
            continue;
        }
        sl_strbuf_putc(out, '"');
        for (size_t k = 0; k < sl; k++) {
            if (sp[k] == '"')
                sl_strbuf_putc(out, '"');
            sl_strbuf_putc(out, (char)sp[k]);
        }
        sl_strbuf_putc(out, '"');
    }
    sl_strbuf_free(&text);
    return rc;
}

static const sl_serde_vtable delimited_vt = {delimited_decode, delimited_encode, NULL};

sl_err_t sl_serde_delimited_init(sl_serde *s, sl_error *err)
{
    for (int i = 0; i < s->schema->nfields; i++) {
        sl_kind k = s->schema->fields[i].type->kind;
        if (k == SL_ARRAY || k == SL_MAP || k == SL_STRUCT)
            return sl_error_set(err, SL_ERR_INVALID, "The 'DELIMITED' format does not support type '%s', column: `%s`",
                                sl_kind_name(k), s->schema->fields[i].name);
    }
    s->vt = &delimited_vt;
    return SL_OK;
}
