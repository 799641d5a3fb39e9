/* JSON functions over JSON text held in STRING values: TO_JSON_STRING of any
 * value, EXTRACTJSONFIELD with a $.a.b[0] path, and the JSON_* helpers.
 * Parsing uses the untyped JSON reader into the batch arena. */
#include <stdlib.h>

#include "common/strbuf.h"
#include "serde/json.h"
#include "sql/fn_util.h"

/* TO_JSON_STRING spells DATE, TIME and TIMESTAMP as ISO text where the
 * JSON format writes numbers; everything else is the format's JSON. */
static void write_json(sl_strbuf *sb, const sl_value *v, const sl_type *t, sl_arena *a)
{
    if (!t || v->null) {
        sl_json_write(sb, v, t);
        return;
    }
    switch (t->kind) {
    case SL_DATE:
    case SL_TIME:
    case SL_TIMESTAMP: {
        sl_value text = sl_cast_typed_to_string(v, t, a);
        sl_json_write(sb, &text, &sl_type_string);
        return;
    }
    case SL_ARRAY:
        sl_strbuf_putc(sb, '[');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_putc(sb, ',');
            write_json(sb, &v->u.c.items[i], t->elem, a);
        }
        sl_strbuf_putc(sb, ']');
        return;
    case SL_MAP:
        sl_strbuf_putc(sb, '{');
        for (uint32_t i = 0; i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_putc(sb, ',');
            sl_value key = sl_value_to_string(&v->u.c.items[2 * i], a);
            sl_json_write(sb, &key, &sl_type_string);
            sl_strbuf_putc(sb, ':');
            write_json(sb, &v->u.c.items[2 * i + 1], t->elem, a);
        }
        sl_strbuf_putc(sb, '}');
        return;
    case SL_STRUCT:
        sl_strbuf_putc(sb, '{');
        for (int i = 0; i < t->nfields && (uint32_t)i < v->u.c.n; i++) {
            if (i)
                sl_strbuf_putc(sb, ',');
            sl_value name = sl_cstring(t->fields[i].name);
            sl_json_write(sb, &name, &sl_type_string);
            sl_strbuf_putc(sb, ':');
            write_json(sb, &v->u.c.items[i], t->fields[i].type, a);
        }
        sl_strbuf_putc(sb, '}');
        return;
    default: sl_json_write(sb, v, t);
    }
}

static sl_value to_text(sl_fn_ctx *c, const sl_value *v, const sl_type *t)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    write_json(&sb, v, t, c->arena);
    sl_value r = fn_str(c->arena, sb.data ? sb.data : "null", sb.data ? sb.len : 4);
    sl_strbuf_free(&sb);
    return r;
}

static sl_err_t ev_to_json(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = to_text(c, &v[0], c->state);
    return SL_OK;
}
static sl_err_t r_to_json(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1)
        return sl_fn_bad_args(a, "TO_JSON_STRING", e);
    b->state = a->types[0];
    return fn_bind(b, ev_to_json, &sl_type_string, false);
}

static bool parse(sl_fn_ctx *c, const sl_value *s, sl_value *out)
{
    sl_error err = {0};
    return !sl_json_parse_any(s->u.s.ptr, s->u.s.len, out, c->arena, &err);
}

/* $.a.b[0]["c"] */
static sl_err_t ev_extract(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value doc;
    *o = sl_null(SL_STRING);
    sl_error perr = {0};
    if (sl_json_parse_leading(v[0].u.s.ptr, v[0].u.s.len, &doc, c->arena, &perr))
        return SL_OK;
    const char *p = v[1].u.s.ptr, *end = p + v[1].u.s.len;
    if (p < end && *p == '$')
        p++;
    sl_value cur = doc;
    while (p < end) {
        char key[256];
        size_t kl = 0;
        bool index = false;
        if (*p == '.') {
            p++;
            while (p < end && *p != '.' && *p != '[' && kl < sizeof key - 1)
                key[kl++] = *p++;
        } else if (*p == '[') {
            p++;
            if (p < end && (*p == '"' || *p == '\'')) {
                char q = *p++;
                while (p < end && *p != q && kl < sizeof key - 1)
                    key[kl++] = *p++;
                p++;
            } else {
                index = true;
                while (p < end && *p != ']' && kl < sizeof key - 1)
                    key[kl++] = *p++;
            }
            if (p < end && *p == ']')
                p++;
        } else {
            return SL_OK;
        }
        key[kl] = 0;
        if (cur.null)
            return SL_OK;
        if (index) {
            if (cur.kind != SL_ARRAY)
                return SL_OK;
            long i = strtol(key, NULL, 10);
            if (i < 0 || (uint32_t)i >= cur.u.c.n)
                return SL_OK;
            cur = cur.u.c.items[i];
        } else {
            if (cur.kind != SL_MAP)
                return SL_OK;
            bool found = false;
            for (uint32_t i = 0; i < cur.u.c.n && !found; i++)
                if (cur.u.c.items[2 * i].u.s.len == kl && !memcmp(cur.u.c.items[2 * i].u.s.ptr, key, kl)) {
                    cur = cur.u.c.items[2 * i + 1];
                    found = true;
                }
            if (!found)
                return SL_OK;
        }
    }
    if (cur.null)
        return SL_OK;
    *o = cur.kind == SL_STRING ? cur : to_text(c, &cur, NULL);
    return SL_OK;
}
static sl_err_t r_extract(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING))
        return sl_fn_bad_args(a, "EXTRACTJSONFIELD", e);
    return fn_bind(b, ev_extract, &sl_type_string, true);
}

static sl_err_t ev_is_json(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value d;
    *o = sl_bool(!v[0].null && parse(c, &v[0], &d));
    return SL_OK;
}
static sl_err_t r_is_json(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "IS_JSON_STRING", e);
    return fn_bind(b, ev_is_json, &sl_type_boolean, false);
}

static sl_err_t ev_array_length(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value d;
    *o = sl_null(SL_INT);
    if (parse(c, &v[0], &d) && !d.null && d.kind == SL_ARRAY)
        *o = sl_int((int32_t)d.u.c.n);
    return SL_OK;
}
static sl_err_t r_array_length(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "JSON_ARRAY_LENGTH", e);
    return fn_bind(b, ev_array_length, &sl_type_int, true);
}

static bool json_equal(const sl_value *x, const sl_value *y)
{
    if (x->null || y->null)
        return x->null && y->null;
    if ((x->kind == SL_BIGINT || x->kind == SL_DOUBLE) && (y->kind == SL_BIGINT || y->kind == SL_DOUBLE))
        return x->kind == y->kind && sl_value_compare(x, y) == 0;
    return sl_value_equal(x, y);
}
static sl_err_t ev_array_contains(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value d;
    /* ksqlDB hands a NULL string to Jackson, which throws: an error, NULL */
    if (v[0].null)
        return sl_error_set(c->err, SL_ERR_RUNTIME, "JSON_ARRAY_CONTAINS cannot parse a NULL string");
    *o = sl_bool(false);
    if (!parse(c, &v[0], &d) || d.null || d.kind != SL_ARRAY)
        return SL_OK;
    sl_value want = v[1];
    if (!want.null) {
        if (want.kind == SL_INT)
            want = sl_bigint(want.u.i);
    }
    for (uint32_t i = 0; i < d.u.c.n; i++)
        if (json_equal(&d.u.c.items[i], &want)) {
            *o = sl_bool(true);
            break;
        }
    return SL_OK;
}
static sl_err_t r_array_contains(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "JSON_ARRAY_CONTAINS", e);
    return fn_bind(b, ev_array_contains, &sl_type_boolean, false);
}

static sl_err_t ev_keys(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value d;
    *o = sl_null(SL_ARRAY);
    if (!parse(c, &v[0], &d) || d.null || d.kind != SL_MAP)
        return SL_OK;
    sl_value arr = sl_array_new(c->arena, d.u.c.n);
    for (uint32_t i = 0; i < d.u.c.n; i++)
        arr.u.c.items[i] = d.u.c.items[2 * i];
    *o = arr;
    return SL_OK;
}
static sl_err_t r_keys(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "JSON_KEYS", e);
    return fn_bind(b, ev_keys, sl_type_array(a->arena, &sl_type_string), true);
}

static sl_err_t ev_items(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value d;
    *o = sl_null(SL_ARRAY);
    if (!parse(c, &v[0], &d) || d.null || d.kind != SL_ARRAY)
        return SL_OK;
    sl_value arr = sl_array_new(c->arena, d.u.c.n);
    for (uint32_t i = 0; i < d.u.c.n; i++)
        arr.u.c.items[i] = to_text(c, &d.u.c.items[i], NULL);
    *o = arr;
    return SL_OK;
}
static sl_err_t r_items(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "JSON_ITEMS", e);
    return fn_bind(b, ev_items, sl_type_array(a->arena, &sl_type_string), true);
}

static sl_err_t ev_records(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value d;
    *o = sl_null(SL_MAP);
    if (!parse(c, &v[0], &d) || d.null || d.kind != SL_MAP)
        return SL_OK;
    sl_value m = sl_map_new(c->arena, d.u.c.n);
    for (uint32_t i = 0; i < d.u.c.n; i++) {
        m.u.c.items[2 * i] = d.u.c.items[2 * i];
        m.u.c.items[2 * i + 1] = to_text(c, &d.u.c.items[2 * i + 1], NULL);
    }
    *o = m;
    return SL_OK;
}
static sl_err_t r_records(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "JSON_RECORDS", e);
    return fn_bind(b, ev_records, sl_type_map(a->arena, &sl_type_string, &sl_type_string), true);
}

/* JSON_CONCAT: objects merge (later keys win), arrays append, otherwise NULL */
static sl_err_t ev_concat(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_null(SL_STRING);
    sl_value acc = {0};
    bool have = false;
    for (int i = 0; i < n; i++) {
        sl_value d;
        if (v[i].null || !parse(c, &v[i], &d))
            return SL_OK;
        if (d.null) {
            /* JSON null is a scalar: concatenated as an element */
            sl_value w = sl_array_new(c->arena, 1);
            w.u.c.items[0] = sl_null(SL_NULLTYPE);
            d = w;
        }
        if (!have) {
            acc = d;
            have = true;
            if (acc.kind != SL_MAP && acc.kind != SL_ARRAY) {
                sl_value w = sl_array_new(c->arena, 1);
                w.u.c.items[0] = acc;
                acc = w;
            }
            continue;
        }
        if (acc.kind == SL_MAP && d.kind == SL_MAP) {
            sl_value m = sl_map_new(c->arena, acc.u.c.n + d.u.c.n);
            uint32_t k = 0;
            for (uint32_t x = 0; x < acc.u.c.n; x++) {
                bool over = false;
                for (uint32_t y = 0; y < d.u.c.n; y++)
                    over |= sl_value_equal(&acc.u.c.items[2 * x], &d.u.c.items[2 * y]);
                if (!over) {
                    m.u.c.items[2 * k] = acc.u.c.items[2 * x];
                    m.u.c.items[2 * k++ + 1] = acc.u.c.items[2 * x + 1];
                }
            }
            for (uint32_t y = 0; y < d.u.c.n; y++) {
                m.u.c.items[2 * k] = d.u.c.items[2 * y];
                m.u.c.items[2 * k++ + 1] = d.u.c.items[2 * y + 1];
            }
            m.u.c.n = k;
            acc = m;
        } else {
            sl_value l = acc.kind == SL_ARRAY ? acc : sl_array_new(c->arena, 0);
            if (acc.kind != SL_ARRAY) {
                l = sl_array_new(c->arena, 1);
                l.u.c.items[0] = acc;
            }
            uint32_t add = d.kind == SL_ARRAY ? d.u.c.n : 1;
            sl_value r = sl_array_new(c->arena, l.u.c.n + add);
            if (l.u.c.n) /* memcpy's source must not be NULL, even for 0 bytes */
                memcpy(r.u.c.items, l.u.c.items, l.u.c.n * sizeof(sl_value));
            if (d.kind != SL_ARRAY)
                r.u.c.items[l.u.c.n] = d;
            else if (d.u.c.n)
                memcpy(r.u.c.items + l.u.c.n, d.u.c.items, d.u.c.n * sizeof(sl_value));
            acc = r;
        }
    }
    if (have)
        *o = to_text(c, &acc, NULL);
    return SL_OK;
}
static sl_err_t r_concat(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 2)
        return sl_fn_bad_args(a, "JSON_CONCAT", e);
    for (int i = 0; i < a->argc; i++)
        if (!fn_kind(a, i, SL_STRING))
            return sl_fn_bad_args(a, "JSON_CONCAT", e);
    return fn_bind(b, ev_concat, &sl_type_string, false);
}

const sl_function_def sl_fn_family_json[] = {
    {"TO_JSON_STRING", r_to_json}, {"EXTRACTJSONFIELD", r_extract}, {"IS_JSON_STRING", r_is_json},
    {"JSON_ARRAY_LENGTH", r_array_length}, {"JSON_ARRAY_CONTAINS", r_array_contains}, {"JSON_KEYS", r_keys},
    {"JSON_ITEMS", r_items}, {"JSON_RECORDS", r_records}, {"JSON_CONCAT", r_concat}, {NULL, NULL},
};
