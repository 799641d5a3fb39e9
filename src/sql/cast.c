/* Casts. ksqlDB's rules: numbers convert among themselves (Java narrowing
 * truncates toward zero, DECIMAL rounds HALF_UP and fails past its
 * precision), everything converts to STRING with Java's spelling, STRING
 * parses into numbers, booleans and temporal types, and composite types
 * convert element-wise. */
#include "sql/cast.h"

#include "common/datefmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/numfmt.h"
#include "common/strbuf.h"

static bool is_num_kind(sl_kind k)
{
    return k == SL_INT || k == SL_BIGINT || k == SL_DOUBLE || k == SL_DECIMAL;
}

bool sl_cast_allowed(const sl_type *from, const sl_type *to)
{
    sl_kind f = from->kind, t = to->kind;
    if (f == SL_NULLTYPE || sl_type_equal(from, to))
        return true;
    if (t == SL_STRING)
        return f != SL_BYTES || true;
    if (is_num_kind(f) && is_num_kind(t))
        return true;
    if (f == SL_STRING)
        return t != SL_ARRAY && t != SL_MAP && t != SL_STRUCT;
    if (f == SL_BOOLEAN && t == SL_BOOLEAN)
        return true;
    if (f == SL_TIMESTAMP && (t == SL_DATE || t == SL_TIME))
        return true;
    if (f == SL_DATE && t == SL_TIMESTAMP)
        return true;
    if (f == SL_ARRAY && t == SL_ARRAY)
        return sl_cast_allowed(from->elem, to->elem);
    if (f == SL_MAP && t == SL_MAP)
        return sl_cast_allowed(from->key, to->key) && sl_cast_allowed(from->elem, to->elem);
    if (f == SL_STRUCT && t == SL_STRUCT)
        return true;
    return false;
}

bool sl_cast_implicit(const sl_type *from, const sl_type *to)
{
    sl_kind f = from->kind, t = to->kind;
    if (f == SL_NULLTYPE || sl_type_equal(from, to))
        return true;
    switch (f) {
    case SL_INT: return t == SL_BIGINT || t == SL_DECIMAL || t == SL_DOUBLE;
    case SL_BIGINT: return t == SL_DECIMAL || t == SL_DOUBLE;
    case SL_DECIMAL: return t == SL_DOUBLE || t == SL_DECIMAL;
    case SL_ARRAY: return t == SL_ARRAY && sl_cast_implicit(from->elem, to->elem);
    case SL_MAP:
        return t == SL_MAP && sl_cast_implicit(from->key, to->key) && sl_cast_implicit(from->elem, to->elem);
    default: return false;
    }
}

static void decimal_dims(const sl_type *t, int *p, int *s)
{
    switch (t->kind) {
    case SL_INT: *p = 10; *s = 0; break;
    case SL_BIGINT: *p = 19; *s = 0; break;
    case SL_DECIMAL: *p = t->precision; *s = t->scale; break;
    default: *p = 38; *s = 0;
    }
}

const sl_type *sl_cast_common_type(sl_arena *a, const sl_type *x, const sl_type *y)
{
    if (x->kind == SL_NULLTYPE)
        return y;
    if (y->kind == SL_NULLTYPE)
        return x;
    if (sl_type_equal(x, y))
        return x;
    if (is_num_kind(x->kind) && is_num_kind(y->kind)) {
        if (x->kind == SL_DOUBLE || y->kind == SL_DOUBLE)
            return &sl_type_double;
        if (x->kind == SL_DECIMAL || y->kind == SL_DECIMAL) {
            int p1, s1, p2, s2;
            decimal_dims(x, &p1, &s1);
            decimal_dims(y, &p2, &s2);
            int s = s1 > s2 ? s1 : s2;
            int ip = (p1 - s1) > (p2 - s2) ? (p1 - s1) : (p2 - s2);
            int p = ip + s > 38 ? 38 : ip + s;
            return sl_type_decimal(a, p, s);
        }
        return &sl_type_bigint;
    }
    if (x->kind == SL_ARRAY && y->kind == SL_ARRAY) {
        const sl_type *e = sl_cast_common_type(a, x->elem, y->elem);
        return e ? sl_type_array(a, e) : NULL;
    }
    if (x->kind == SL_MAP && y->kind == SL_MAP) {
        const sl_type *k = sl_cast_common_type(a, x->key, y->key);
        const sl_type *v = sl_cast_common_type(a, x->elem, y->elem);
        return k && v ? sl_type_map(a, k, v) : NULL;
    }
    return NULL;
}

const sl_type *sl_cast_list_common_type(sl_arena *a, const sl_type *common, const sl_type *next)
{
    if (common->kind == SL_STRUCT && next->kind == SL_STRUCT) {
        /* the super set of the fields, next's first, as ksqlDB lists them */
        int cap = common->nfields + next->nfields, n = 0;
        sl_field *fields = sl_arena_calloc(a, cap ? (size_t)cap : 1, sizeof *fields);
        for (int pass = 0; pass < 2; pass++) {
            const sl_type *t = pass ? common : next;
            for (int i = 0; i < t->nfields; i++) {
                const char *name = t->fields[i].name;
                bool seen = false;
                for (int j = 0; j < n && !seen; j++)
                    seen = !strcmp(fields[j].name, name);
                if (seen)
                    continue;
                int in_common = sl_type_field_index(common, name), in_next = sl_type_field_index(next, name);
                const sl_type *ft = t->fields[i].type;
                if (in_common >= 0 && in_next >= 0)
                    ft = sl_cast_list_common_type(a, common->fields[in_common].type, next->fields[in_next].type);
                if (!ft)
                    return NULL;
                fields[n++] = (sl_field){name, ft};
            }
        }
        return sl_type_struct(a, n, fields);
    }
    if (common->kind == SL_ARRAY && next->kind == SL_ARRAY) {
        const sl_type *e = sl_cast_list_common_type(a, common->elem, next->elem);
        return e ? sl_type_array(a, e) : NULL;
    }
    if (common->kind == SL_MAP && next->kind == SL_MAP) {
        const sl_type *k = sl_cast_list_common_type(a, common->key, next->key);
        const sl_type *v = sl_cast_list_common_type(a, common->elem, next->elem);
        return k && v ? sl_type_map(a, k, v) : NULL;
    }
    return sl_cast_common_type(a, common, next);
}

/* ---------- to string ---------- */

static void ts_to_string(sl_strbuf *sb, int64_t ms)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int millis = (int)(ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    sl_strbuf_printf(sb, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

static void date_to_string(sl_strbuf *sb, int32_t days)
{
    time_t t = (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    sl_strbuf_printf(sb, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void time_to_string(sl_strbuf *sb, int64_t ms)
{
    int h = (int)(ms / 3600000), m = (int)(ms / 60000 % 60), s = (int)(ms / 1000 % 60), f = (int)(ms % 1000);
    sl_strbuf_printf(sb, "%02d:%02d", h, m);
    if (s || f)
        sl_strbuf_printf(sb, ":%02d", s);
    if (f)
        sl_strbuf_printf(sb, ".%03d", f);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void bytes_to_base64(sl_strbuf *sb, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        sl_strbuf_putc(sb, b64[v >> 18 & 63]);
        sl_strbuf_putc(sb, b64[v >> 12 & 63]);
        sl_strbuf_putc(sb, i + 1 < n ? b64[v >> 6 & 63] : '=');
        sl_strbuf_putc(sb, i + 2 < n ? b64[v & 63] : '=');
    }
}

static void value_text(sl_strbuf *sb, const sl_value *v, sl_arena *a, bool nested)
{
    if (v->null) {
        sl_strbuf_puts(sb, "null");
        return;
    }
    char buf[64];
    switch (v->kind) {
    case SL_BOOLEAN: sl_strbuf_puts(sb, v->u.b ? "true" : "false"); break;
    case SL_INT:
    case SL_DATE:
        if (v->kind == SL_DATE)
            date_to_string(sb, v->u.i);
        else
            sl_strbuf_printf(sb, "%d", v->u.i);
        break;
    case SL_BIGINT: sl_strbuf_printf(sb, "%lld", (long long)v->u.l); break;
    case SL_DOUBLE:
        sl_format_double_java(v->u.d, buf);
        sl_strbuf_puts(sb, buf);
        break;
    case SL_DECIMAL: sl_strbuf_puts(sb, sl_decimal_to_string(a, v->u.dec.unscaled, v->u.dec.scale)); break;
    case SL_STRING: sl_strbuf_append(sb, v->u.s.ptr, v->u.s.len); break;
    case SL_BYTES: bytes_to_base64(sb, (const unsigned char *)v->u.s.ptr, v->u.s.len); break;
    case SL_TIMESTAMP: ts_to_string(sb, v->u.l); break;
    case SL_TIME: time_to_string(sb, v->u.l); break;
    case SL_ARRAY:
        sl_strbuf_putc(sb, '[');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_puts(sb, ", ");
            value_text(sb, &v->u.c.items[i], a, true);
        }
        sl_strbuf_putc(sb, ']');
        break;
    case SL_MAP:
        sl_strbuf_putc(sb, '{');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_puts(sb, ", ");
            value_text(sb, &v->u.c.items[2 * i], a, true);
            sl_strbuf_putc(sb, '=');
            value_text(sb, &v->u.c.items[2 * i + 1], a, true);
        }
        sl_strbuf_putc(sb, '}');
        break;
    case SL_STRUCT:
        /* field names are not in the value; callers that know the type use
         * sl_cast_value, which prints them */
        sl_strbuf_puts(sb, "Struct{");
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_putc(sb, ',');
            value_text(sb, &v->u.c.items[i], a, true);
        }
        sl_strbuf_putc(sb, '}');
        break;
    default: break;
    }
    (void)nested;
}

static void typed_text(sl_strbuf *sb, const sl_value *v, const sl_type *t, sl_arena *a)
{
    if (!v->null && v->kind == SL_STRUCT && t && t->kind == SL_STRUCT) {
        sl_strbuf_puts(sb, "Struct{");
        bool first = true;
        for (uint32_t i = 0; i < v->u.c.n && (int)i < t->nfields; i++) {
            if (v->u.c.items[i].null)
                continue; /* Connect's Struct.toString skips null fields */
            if (!first)
                sl_strbuf_putc(sb, ',');
            first = false;
            sl_strbuf_printf(sb, "%s=", t->fields[i].name);
            typed_text(sb, &v->u.c.items[i], t->fields[i].type, a);
        }
        sl_strbuf_putc(sb, '}');
        return;
    }
    if (!v->null && (v->kind == SL_ARRAY) && t && t->kind == SL_ARRAY) {
        sl_strbuf_putc(sb, '[');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_puts(sb, ", ");
            typed_text(sb, &v->u.c.items[i], t->elem, a);
        }
        sl_strbuf_putc(sb, ']');
        return;
    }
    if (!v->null && v->kind == SL_MAP && t && t->kind == SL_MAP) {
        sl_strbuf_putc(sb, '{');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_puts(sb, ", ");
            typed_text(sb, &v->u.c.items[2 * i], t->key, a);
            sl_strbuf_putc(sb, '=');
            typed_text(sb, &v->u.c.items[2 * i + 1], t->elem, a);
        }
        sl_strbuf_putc(sb, '}');
        return;
    }
    value_text(sb, v, a, false);
}

static sl_value text_value(sl_strbuf *sb, sl_arena *a)
{
    char *s = sl_arena_strndup(a, sb->data ? sb->data : "", sb->len);
    sl_value out = sl_string(s, (uint32_t)sb->len);
    sl_strbuf_free(sb);
    return out;
}

sl_value sl_value_to_string(const sl_value *v, sl_arena *a)
{
    if (v->null)
        return sl_null(SL_STRING);
    if (v->kind == SL_STRING)
        return *v;
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    value_text(&sb, v, a, false);
    return text_value(&sb, a);
}

/* ---------- parsing temporal text ---------- */

/* "yyyy-MM-dd" -> days; "yyyy" and "yyyy-MM" are completed with the first
 * month and day, as ksqlDB completes a partial date */
static bool parse_date_text(const char *s, size_t n, int32_t *out)
{
    int y, m, d, used = 0;
    char buf[40];
    if (n >= 32)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    int dashes = 0;
    for (size_t i = 0; i < n; i++)
        dashes += s[i] == '-';
    if (dashes < 2) {
        memcpy(buf + n, dashes ? "-01" : "-01-01", dashes ? 4 : 7);
        n += dashes ? 3 : 6;
    }
    if (sscanf(buf, "%d-%d-%d%n", &y, &m, &d, &used) != 3 || (size_t)used != n || m < 1 || m > 12 ||
        d < 1 || d > 31)
        return false;
    *out = (int32_t)sl_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

/* "HH:mm[:ss[.SSS]]" -> ms of day */
static bool parse_time_text(const char *s, size_t n, int64_t *out)
{
    char buf[40];
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    int h = 0, m = 0, sec = 0, used = 0;
    if (sscanf(buf, "%d:%d%n", &h, &m, &used) != 2)
        return false;
    const char *p = buf + used;
    double frac = 0;
    if (*p == ':') {
        int u2 = 0;
        if (sscanf(p + 1, "%d%n", &sec, &u2) != 1)
            return false;
        p += 1 + u2;
        if (*p == '.') {
            char *end;
            frac = strtod(p, &end);
            p = end;
        }
    }
    if (*p || h > 23 || m > 59 || sec > 59)
        return false;
    *out = (int64_t)h * 3600000 + m * 60000 + sec * 1000 + (int64_t)(frac * 1000 + 0.5);
    return true;
}

/* ISO "yyyy-MM-ddTHH:mm:ss.SSS[Z|+hh:mm]" -> ms */
static bool parse_timestamp_text(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    while (i < n && s[i] != 'T' && s[i] != ' ')
        i++;
    int32_t days;
    if (!parse_date_text(s, i, &days))
        return false;
    int64_t ms = 0;
    if (i < n) {
        size_t j = i + 1, k = j;
        while (k < n && s[k] != 'Z' && s[k] != '+' && !(s[k] == '-' && k > j + 2))
            k++;
        if (!parse_time_text(s + j, k - j, &ms))
            return false;
        if (k < n) {
            if (s[k] == 'Z') {
                k++;
            } else {
                int sign = s[k] == '-' ? -1 : 1, oh = 0, om = 0;
                if (sscanf(s + k + 1, "%2d:%2d", &oh, &om) < 1)
                    return false;
                ms -= sign * ((int64_t)oh * 3600000 + om * 60000);
                k = n;
            }
        }
        if (k != n)
            return false;
    }
    *out = (int64_t)days * 86400000 + ms;
    return true;
}

/* ---------- the cast ---------- */

static sl_err_t bad(sl_error *err, const sl_value *in, const sl_type *to, sl_arena *a)
{
    sl_value s = sl_value_to_string(in, a);
    return sl_error_set(err, SL_ERR_RUNTIME, "Cannot cast '%.*s' to %s", (int)s.u.s.len, s.u.s.ptr,
                        sl_type_to_sql(a, to));
}

static sl_err_t to_decimal(const sl_value *in, const sl_type *to, sl_arena *a, sl_value *out, sl_error *err)
{
    sl_i128 u;
    switch (in->kind) {
    case SL_INT: u = sl_pow10(to->scale) * in->u.i; break;
    case SL_BIGINT: u = sl_pow10(to->scale) * in->u.l; break;
    case SL_DECIMAL: u = sl_decimal_rescale(in->u.dec.unscaled, in->u.dec.scale, to->scale); break;
    case SL_DOUBLE: {
        if (!isfinite(in->u.d))
            return bad(err, in, to, a);
        char buf[64];
        sl_format_double_java(in->u.d, buf);
        if (!sl_decimal_parse(buf, (uint32_t)strlen(buf), to->scale, &u))
            return bad(err, in, to, a);
        break;
    }
    case SL_STRING:
        if (!sl_decimal_parse(in->u.s.ptr, in->u.s.len, to->scale, &u))
            return bad(err, in, to, a);
        break;
    default: return bad(err, in, to, a);
    }
    if (!sl_decimal_fits(u, to->precision))
        return sl_error_set(err, SL_ERR_RUNTIME, "Numeric field overflow: value %s does not fit DECIMAL(%d, %d)",
                            sl_decimal_to_string(a, u, to->scale), to->precision, to->scale);
    *out = sl_decimal(u, to->precision, to->scale);
    return SL_OK;
}

static bool parse_long(const char *s, uint32_t n, int64_t *out)
{
    char buf[48];
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (!n || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

sl_err_t sl_cast_value(const sl_value *in, const sl_type *to, sl_arena *a, sl_value *out, sl_error *err)
{
    if (in->null) {
        *out = sl_null(to->kind);
        return SL_OK;
    }
    sl_kind f = (sl_kind)in->kind;
    if (f == to->kind && to->kind != SL_DECIMAL && to->kind != SL_ARRAY && to->kind != SL_MAP &&
        to->kind != SL_STRUCT) {
        *out = *in;
        return SL_OK;
    }
    switch (to->kind) {
    case SL_STRING: {
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        typed_text(&sb, in, NULL, a);
        *out = text_value(&sb, a);
        return SL_OK;
    }
    case SL_BOOLEAN:
        if (f == SL_STRING) {
            /* Java's Boolean.parseBoolean: anything but "true" is false */
            bool t = in->u.s.len == 4 && !strncasecmp(in->u.s.ptr, "true", 4);
            *out = sl_bool(t);
            return SL_OK;
        }
        return bad(err, in, to, a);
    case SL_INT:
    case SL_BIGINT: {
        int64_t v;
        if (f == SL_INT)
            v = in->u.i;
        else if (f == SL_BIGINT)
            v = in->u.l;
        else if (f == SL_DOUBLE) {
            double d = in->u.d;
            if (isnan(d))
                v = 0;
            else if (to->kind == SL_INT)
                v = d >= 2147483647.0 ? INT32_MAX : d <= -2147483648.0 ? INT32_MIN : (int64_t)d;
            else
                v = d >= 9.2233720368547758e18 ? INT64_MAX : d <= -9.2233720368547758e18 ? INT64_MIN : (int64_t)d;
        } else if (f == SL_DECIMAL)
            v = (int64_t)(in->u.dec.unscaled / sl_pow10(in->u.dec.scale));
        else if (f == SL_STRING) {
            if (!parse_long(in->u.s.ptr, in->u.s.len, &v) ||
                (to->kind == SL_INT && (v < INT32_MIN || v > INT32_MAX)))
                return bad(err, in, to, a);
        } else
            return bad(err, in, to, a);
        *out = to->kind == SL_INT ? sl_int((int32_t)v) : sl_bigint(v);
        return SL_OK;
    }
    case SL_DOUBLE:
        if (is_num_kind(f)) {
            *out = sl_double(sl_value_as_double(in));
            return SL_OK;
        }
        if (f == SL_STRING) {
            char *s = sl_value_cstr(a, in), *end;
            while (isspace((unsigned char)*s))
                s++;
            double d = strtod(s, &end);
            while (isspace((unsigned char)*end))
                end++;
            if (end == s || *end)
                return bad(err, in, to, a);
            *out = sl_double(d);
            return SL_OK;
        }
        return bad(err, in, to, a);
    case SL_DECIMAL: return to_decimal(in, to, a, out, err);
    case SL_TIMESTAMP:
        if (f == SL_STRING) {
            int64_t ms;
            if (!parse_timestamp_text(in->u.s.ptr, in->u.s.len, &ms))
                return bad(err, in, to, a);
            *out = sl_timestamp(ms);
            return SL_OK;
        }
        if (f == SL_DATE) {
            *out = sl_timestamp((int64_t)in->u.i * 86400000);
            return SL_OK;
        }
        return bad(err, in, to, a);
    case SL_DATE:
        if (f == SL_STRING) {
            int32_t d;
            if (!parse_date_text(in->u.s.ptr, in->u.s.len, &d)) {
                int64_t ms;
                if (!parse_timestamp_text(in->u.s.ptr, in->u.s.len, &ms))
                    return bad(err, in, to, a);
                d = (int32_t)(ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000));
            }
            *out = sl_date(d);
            return SL_OK;
        }
        if (f == SL_TIMESTAMP) {
            int64_t ms = in->u.l;
            *out = sl_date((int32_t)(ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000)));
            return SL_OK;
        }
        return bad(err, in, to, a);
    case SL_TIME:
        if (f == SL_STRING) {
            int64_t ms;
            if (!parse_time_text(in->u.s.ptr, in->u.s.len, &ms))
                return bad(err, in, to, a);
            *out = sl_time(ms);
            return SL_OK;
        }
        if (f == SL_TIMESTAMP) {
            int64_t ms = in->u.l % 86400000;
            if (ms < 0)
                ms += 86400000;
            *out = sl_time(ms);
            return SL_OK;
        }
        return bad(err, in, to, a);
    case SL_BYTES:
        if (f == SL_BYTES) {
            *out = *in;
            return SL_OK;
        }
        return bad(err, in, to, a);
    case SL_ARRAY: {
        if (f != SL_ARRAY)
            return bad(err, in, to, a);
        sl_value o = sl_array_new(a, in->u.c.n);
        for (uint32_t i = 0; i < in->u.c.n; i++)
            if (sl_cast_value(&in->u.c.items[i], to->elem, a, &o.u.c.items[i], err))
                return SL_ERR_RUNTIME;
        *out = o;
        return SL_OK;
    }
    case SL_MAP: {
        if (f != SL_MAP)
            return bad(err, in, to, a);
        sl_value o = sl_map_new(a, in->u.c.n);
        for (uint32_t i = 0; i < in->u.c.n; i++)
            if (sl_cast_value(&in->u.c.items[2 * i], to->key, a, &o.u.c.items[2 * i], err) ||
                sl_cast_value(&in->u.c.items[2 * i + 1], to->elem, a, &o.u.c.items[2 * i + 1], err))
                return SL_ERR_RUNTIME;
        *out = o;
        return SL_OK;
    }
    case SL_STRUCT:
        if (f != SL_STRUCT)
            return bad(err, in, to, a);
        *out = *in; /* field-level conversion is done by the compiler, which knows both types */
        return SL_OK;
    default: return bad(err, in, to, a);
    }
}

/* STRING of a typed value (struct field names need the type). */

sl_value sl_cast_typed_to_string(const sl_value *v, const sl_type *t, sl_arena *a)
{
    if (v->null)
        return sl_null(SL_STRING);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    typed_text(&sb, v, t, a);
    return text_value(&sb, a);
}
