/* DELIMITED format (CSV, RFC 4180 quoting): one field per column in order.
 * An empty field is NULL; composite types are not allowed. Numbers and
 * booleans are parsed from text; BYTES are base64; DOUBLE is written as Java
 * prints it and DECIMAL in plain notation. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/base64.h"
#include "common/numfmt.h"
#include "serde/serde_int.h"

static sl_err_t field_value(const char *s, size_t n, const sl_type *t, sl_arena *a, sl_value *out, sl_error *err)
{
    if (n == 0) {
        *out = sl_null(t->kind);
        return SL_OK;
    }
    char *z = sl_arena_strndup(a, s, n), *e;
    switch (t->kind) {
    case SL_STRING: *out = sl_string(z, (uint32_t)n); return SL_OK;
    case SL_BOOLEAN:
        if (!strcasecmp(z, "true") || !strcasecmp(z, "false")) {
            *out = sl_bool(!strcasecmp(z, "true"));
            return SL_OK;
        }
        break;
    case SL_INT:
    case SL_BIGINT:
    case SL_TIMESTAMP:
    case SL_DATE:
    case SL_TIME: {
        long long v = strtoll(z, &e, 10);
        if (*e)
            break;
        if (t->kind == SL_INT || t->kind == SL_DATE) {
            if (v < INT32_MIN || v > INT32_MAX)
                break;
            *out = t->kind == SL_INT ? sl_int((int32_t)v) : sl_date((int32_t)v);
        } else {
            *out = t->kind == SL_BIGINT ? sl_bigint(v) : t->kind == SL_TIMESTAMP ? sl_timestamp(v) : sl_time(v);
        }
        return SL_OK;
    }
    case SL_DOUBLE: {
        double d = strtod(z, &e);
        if (*e)
            break;
        *out = sl_double(d);
        return SL_OK;
    }
    case SL_DECIMAL: {
        sl_i128 u;
        if (!sl_decimal_parse(z, (uint32_t)n, t->scale, &u) || !sl_decimal_fits(u, t->precision))
            break;
        *out = sl_decimal(u, t->precision, t->scale);
        return SL_OK;
    }
    case SL_BYTES: {
        unsigned char *buf = sl_arena_alloc(a, n / 4 * 3 + 4);
        size_t bl;
        if (!sl_base64_decode_into(z, n, buf, &bl))
            break;
        *out = sl_bytes((const char *)buf, (uint32_t)bl);
        return SL_OK;
    }
    default: break;
    }
    return sl_error_set(err, SL_ERR_RUNTIME, "Failed to parse '%.*s' as %s", (int)(n > 100 ? 100 : n), s,
                        sl_kind_name(t->kind));
}

static sl_err_t delimited_decode(sl_serde *s, const void *data, size_t len, sl_value *cols, sl_arena *a,
                                 sl_error *err)
{
    const sl_type *schema = s->schema;
    const char *p = data, *end = p + len;
    char delim = s->opts.delimiter;
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
                    return sl_error_set(err, SL_ERR_RUNTIME, "unterminated quoted field");
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
            if (fl == 0)
                fs = "", fl = 0;
        } else {
            fs = p;
            while (p < end && *p != delim)
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
        if (p < end)
            return sl_error_set(err, SL_ERR_RUNTIME, "unexpected character after quoted field");
        break;
    }
    if (nf != schema->nfields)
        return sl_error_set(err, SL_ERR_RUNTIME, "Unexpected field count, csvFields:%d schemaFields:%d", nf,
                            schema->nfields);
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
