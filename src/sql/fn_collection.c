/* Array and map functions. Element types come from the argument types;
 * "set" functions keep first occurrences in order, as ksqlDB's do. */
#include <stdlib.h>
#include <strings.h>

#include "common/strbuf.h"
#include "sql/fn_util.h"

static bool is_array(const sl_fn_args *a, int i)
{
    return fn_kind(a, i, SL_ARRAY);
}
static const sl_type *elem_of(const sl_fn_args *a, int i)
{
    return a->types[i]->kind == SL_ARRAY ? a->types[i]->elem : &sl_type_null;
}

static int find(const sl_value *arr, const sl_value *x)
{
    for (uint32_t i = 0; i < arr->u.c.n; i++)
        if (sl_value_equal(&arr->u.c.items[i], x))
            return (int)i;
    return -1;
}

static sl_err_t ev_contains(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_bool(!v[0].null && find(&v[0], &v[1]) >= 0);
    return SL_OK;
}
static sl_err_t r_contains(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !is_array(a, 0))
        return sl_fn_bad_args(a, "ARRAY_CONTAINS", e);
    b->arg_types[1] = a->types[0]->kind == SL_ARRAY ? a->types[0]->elem : NULL;
    return fn_bind(b, ev_contains, &sl_type_boolean, false);
}

static sl_err_t ev_length(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_int((int32_t)v[0].u.c.n);
    return SL_OK;
}
static sl_err_t r_length(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !is_array(a, 0))
        return sl_fn_bad_args(a, "ARRAY_LENGTH", e);
    return fn_bind(b, ev_length, &sl_type_int, true);
}

static sl_err_t ev_distinct(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value r = sl_array_new(c->arena, v[0].u.c.n);
    uint32_t k = 0;
    for (uint32_t i = 0; i < v[0].u.c.n; i++) {
        r.u.c.n = k;
        if (find(&r, &v[0].u.c.items[i]) < 0)
            r.u.c.items[k++] = v[0].u.c.items[i];
    }
    r.u.c.n = k;
    *o = r;
    return SL_OK;
}
static sl_err_t r_distinct(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !is_array(a, 0))
        return sl_fn_bad_args(a, "ARRAY_DISTINCT", e);
    return fn_bind(b, ev_distinct, fn_type(a, 0, sl_type_array(a->arena, &sl_type_string)), true);
}

/* ARRAY_EXCEPT, ARRAY_INTERSECT, ARRAY_UNION: distinct results */
static sl_err_t ev_setop(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int op = (int)(intptr_t)c->state; /* 0 except, 1 intersect, 2 union */
    sl_value r = sl_array_new(c->arena, v[0].u.c.n + (op == 2 ? v[1].u.c.n : 0));
    uint32_t k = 0;
    for (int side = 0; side < (op == 2 ? 2 : 1); side++)
        for (uint32_t i = 0; i < v[side].u.c.n; i++) {
            const sl_value *x = &v[side].u.c.items[i];
            r.u.c.n = k;
            if (find(&r, x) >= 0)
                continue;
            bool in_other = find(&v[1], x) >= 0;
            if ((op == 0 && in_other) || (op == 1 && !in_other))
                continue;
            r.u.c.items[k++] = *x;
        }
    r.u.c.n = k;
    *o = r;
    return SL_OK;
}
static sl_err_t r_setop(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, int op)
{
    if (a->argc != 2 || !is_array(a, 0) || !is_array(a, 1))
        return sl_fn_bad_args(a, name, e);
    const sl_type *t = sl_cast_common_type(a->arena, a->types[0], a->types[1]);
    if (!t || t->kind == SL_NULLTYPE)
        return sl_fn_bad_args(a, name, e);
    b->arg_types[0] = b->arg_types[1] = t;
    b->state = (const void *)(intptr_t)op;
    return fn_bind(b, ev_setop, t, true);
}
static sl_err_t r_except(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_setop(a, b, e, "ARRAY_EXCEPT", 0);
}
static sl_err_t r_intersect(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_setop(a, b, e, "ARRAY_INTERSECT", 1);
}
static sl_err_t r_union(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_setop(a, b, e, "ARRAY_UNION", 2);
}

static sl_err_t ev_concat(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (v[0].null && v[1].null) {
        *o = sl_null(SL_ARRAY);
        return SL_OK;
    }
    uint32_t n0 = v[0].null ? 0 : v[0].u.c.n, n1 = v[1].null ? 0 : v[1].u.c.n;
    sl_value r = sl_array_new(c->arena, n0 + n1);
    if (n0)
        memcpy(r.u.c.items, v[0].u.c.items, n0 * sizeof(sl_value));
    if (n1)
        memcpy(r.u.c.items + n0, v[1].u.c.items, n1 * sizeof(sl_value));
    *o = r;
    return SL_OK;
}
static sl_err_t r_concat(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !is_array(a, 0) || !is_array(a, 1))
        return sl_fn_bad_args(a, "ARRAY_CONCAT", e);
    const sl_type *t = sl_cast_common_type(a->arena, a->types[0], a->types[1]);
    if (!t || t->kind == SL_NULLTYPE)
        return sl_fn_bad_args(a, "ARRAY_CONCAT", e);
    b->arg_types[0] = b->arg_types[1] = t;
    return fn_bind(b, ev_concat, t, false);
}

static sl_err_t ev_remove(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value r = sl_array_new(c->arena, v[0].u.c.n);
    uint32_t k = 0;
    for (uint32_t i = 0; i < v[0].u.c.n; i++) {
        const sl_value *x = &v[0].u.c.items[i];
        if (v[1].null ? x->null : (!x->null && sl_value_equal(x, &v[1])))
            continue;
        r.u.c.items[k++] = *x;
    }
    r.u.c.n = k;
    *o = r;
    return SL_OK;
}
static sl_err_t ev_remove_guard(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (v[0].null) {
        *o = sl_null(SL_ARRAY);
        return SL_OK;
    }
    return ev_remove(c, n, v, o);
}
static sl_err_t r_remove(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !is_array(a, 0))
        return sl_fn_bad_args(a, "ARRAY_REMOVE", e);
    b->arg_types[1] = a->types[0]->kind == SL_ARRAY ? a->types[0]->elem : NULL;
    return fn_bind(b, ev_remove_guard, fn_type(a, 0, sl_type_array(a->arena, &sl_type_string)), false);
}

static int cmp_asc(const void *x, const void *y)
{
    const sl_value *a = x, *b = y;
    if (a->null || b->null)
        return a->null && b->null ? 0 : a->null ? 1 : -1; /* NULLs last */
    return sl_value_compare(a, b);
}
static int cmp_desc(const void *x, const void *y)
{
    const sl_value *a = x, *b = y;
    if (a->null || b->null)
        return a->null && b->null ? 0 : a->null ? 1 : -1;
    return -sl_value_compare(a, b);
}
static sl_err_t ev_sort(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    bool desc = false;
    if (n > 1) {
        if (v[1].null) {
            *o = sl_null(SL_ARRAY);
            return SL_OK;
        }
        desc = v[1].u.s.len == 4 && !strncasecmp(v[1].u.s.ptr, "DESC", 4);
        if (!desc && !(v[1].u.s.len == 3 && !strncasecmp(v[1].u.s.ptr, "ASC", 3))) {
            *o = sl_null(SL_ARRAY);
            return SL_OK;
        }
    }
    sl_value r = sl_array_new(c->arena, v[0].u.c.n);
    if (v[0].u.c.n)
        memcpy(r.u.c.items, v[0].u.c.items, v[0].u.c.n * sizeof(sl_value));
    if (r.u.c.n > 1)  /* qsort's base must not be NULL, even for zero items */
        qsort(r.u.c.items, r.u.c.n, sizeof(sl_value), desc ? cmp_desc : cmp_asc);
    *o = r;
    return SL_OK;
}
static sl_err_t ev_sort_guard(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (v[0].null) {
        *o = sl_null(SL_ARRAY);
        return SL_OK;
    }
    return ev_sort(c, n, v, o);
}
static sl_err_t r_sort(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1 || a->argc > 2 || !is_array(a, 0) || (a->argc == 2 && !fn_kind(a, 1, SL_STRING)))
        return sl_fn_bad_args(a, "ARRAY_SORT", e);
    sl_kind k = elem_of(a, 0)->kind;
    if (k == SL_ARRAY || k == SL_MAP || k == SL_STRUCT)
        return sl_fn_bad_args(a, "ARRAY_SORT", e);
    return fn_bind(b, ev_sort_guard, fn_type(a, 0, sl_type_array(a->arena, &sl_type_string)), false);
}

static sl_err_t ev_minmax(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int sign = c->state ? 1 : -1;
    const sl_value *best = NULL;
    for (uint32_t i = 0; i < v[0].u.c.n; i++) {
        const sl_value *x = &v[0].u.c.items[i];
        if (!x->null && (!best || sign * sl_value_compare(x, best) > 0))
            best = x;
    }
    *o = best ? *best : sl_null(SL_NULLTYPE);
    return SL_OK;
}
static sl_err_t r_minmax(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, bool max)
{
    if (a->argc != 1 || !is_array(a, 0))
        return sl_fn_bad_args(a, name, e);
    sl_kind k = elem_of(a, 0)->kind;
    if (k == SL_ARRAY || k == SL_MAP || k == SL_STRUCT)
        return sl_fn_bad_args(a, name, e);
    b->state = max ? "max" : NULL;
    return fn_bind(b, ev_minmax, elem_of(a, 0)->kind == SL_NULLTYPE ? &sl_type_string : elem_of(a, 0), true);
}
static sl_err_t r_max(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_minmax(a, b, e, "ARRAY_MAX", true);
}
static sl_err_t r_min(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_minmax(a, b, e, "ARRAY_MIN", false);
}

static sl_err_t ev_join(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    for (uint32_t i = 0; i < v[0].u.c.n; i++) {
        if (i) {
            if (n > 1 && !v[1].null)
                sl_strbuf_append(&sb, v[1].u.s.ptr, v[1].u.s.len);
            else if (n == 1)
                sl_strbuf_putc(&sb, ',');
        }
        sl_value s = sl_value_to_string(&v[0].u.c.items[i], c->arena);
        if (s.null)
            sl_strbuf_puts(&sb, "null");
        else
            sl_strbuf_append(&sb, s.u.s.ptr, s.u.s.len);
    }
    *o = fn_str(c->arena, sb.data ? sb.data : "", sb.len);
    sl_strbuf_free(&sb);
    return SL_OK;
}
static sl_err_t ev_join_guard(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (v[0].null) {
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    return ev_join(c, n, v, o);
}
static sl_err_t r_join(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1 || a->argc > 2 || !is_array(a, 0) || (a->argc == 2 && !fn_kind(a, 1, SL_STRING)))
        return sl_fn_bad_args(a, "ARRAY_JOIN", e);
    sl_kind k = elem_of(a, 0)->kind;
    if (k == SL_ARRAY || k == SL_MAP || k == SL_STRUCT)
        return sl_fn_bad_args(a, "ARRAY_JOIN", e);
    return fn_bind(b, ev_join_guard, &sl_type_string, false);
}

static sl_err_t ev_slice(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int64_t len = v[0].u.c.n;
    int64_t from = v[1].null ? 1 : fn_int(&v[1]), to = v[2].null ? len : fn_int(&v[2]);
    if (from < 1)
        from = 1;
    if (to > len)
        to = len;
    sl_value r = sl_array_new(c->arena, 0);
    if (to >= from) {
        r.u.c.items = v[0].u.c.items + from - 1;
        r.u.c.n = (uint32_t)(to - from + 1);
    }
    *o = r;
    return SL_OK;
}
static sl_err_t ev_slice_guard(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (v[0].null) {
        *o = sl_null(SL_ARRAY);
        return SL_OK;
    }
    return ev_slice(c, n, v, o);
}
static sl_err_t r_slice(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 3 || !is_array(a, 0) || !fn_integral(a, 1) || !fn_integral(a, 2))
        return sl_fn_bad_args(a, "SLICE", e);
    b->arg_types[1] = b->arg_types[2] = &sl_type_int;
    return fn_bind(b, ev_slice_guard, fn_type(a, 0, sl_type_array(a->arena, &sl_type_string)), false);
}

/* ---- maps ---- */
static sl_err_t ev_keys(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    bool values = c->state != NULL;
    sl_value r = sl_array_new(c->arena, v[0].u.c.n);
    for (uint32_t i = 0; i < v[0].u.c.n; i++)
        r.u.c.items[i] = v[0].u.c.items[2 * i + (values ? 1 : 0)];
    *o = r;
    return SL_OK;
}
static sl_err_t r_map_keys(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || a->types[0]->kind != SL_MAP)
        return sl_fn_bad_args(a, "MAP_KEYS", e);
    return fn_bind(b, ev_keys, sl_type_array(a->arena, a->types[0]->key), true);
}
static sl_err_t r_map_values(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || a->types[0]->kind != SL_MAP)
        return sl_fn_bad_args(a, "MAP_VALUES", e);
    b->state = "values";
    return fn_bind(b, ev_keys, sl_type_array(a->arena, a->types[0]->elem), true);
}

static int cmp_entry_keys(const void *x, const void *y)
{
    const sl_value *a = x, *b = y;
    return sl_value_compare(&a->u.c.items[0], &b->u.c.items[0]);
}
static sl_err_t ev_entries(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value r = sl_array_new(c->arena, v[0].u.c.n);
    for (uint32_t i = 0; i < v[0].u.c.n; i++) {
        sl_value st = sl_struct_new(c->arena, 2);
        st.u.c.items[0] = v[0].u.c.items[2 * i];
        st.u.c.items[1] = v[0].u.c.items[2 * i + 1];
        r.u.c.items[i] = st;
    }
    if (v[1].u.b && r.u.c.n > 1)
        qsort(r.u.c.items, r.u.c.n, sizeof(sl_value), cmp_entry_keys);
    *o = r;
    return SL_OK;
}
static sl_err_t r_entries(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || a->types[0]->kind != SL_MAP || !fn_kind(a, 1, SL_BOOLEAN))
        return sl_fn_bad_args(a, "ENTRIES", e);
    sl_field f[2] = {{"K", a->types[0]->key}, {"V", a->types[0]->elem}};
    return fn_bind(b, ev_entries, sl_type_array(a->arena, sl_type_struct(a->arena, 2, f)), true);
}

static sl_err_t ev_as_map(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    uint32_t m = v[0].u.c.n < v[1].u.c.n ? v[0].u.c.n : v[1].u.c.n;
    sl_value r = sl_map_new(c->arena, m);
    uint32_t k = 0;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t j;
        for (j = 0; j < k; j++)
            if (sl_value_equal(&r.u.c.items[2 * j], &v[0].u.c.items[i]))
                break;
        r.u.c.items[2 * j] = v[0].u.c.items[i];
        r.u.c.items[2 * j + 1] = v[1].u.c.items[i];
        if (j == k)
            k++;
    }
    r.u.c.n = k;
    *o = r;
    return SL_OK;
}
static sl_err_t r_as_map(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !is_array(a, 0) || !is_array(a, 1))
        return sl_fn_bad_args(a, "AS_MAP", e);
    return fn_bind(b, ev_as_map, sl_type_map(a->arena, elem_of(a, 0), elem_of(a, 1)), true);
}

static sl_err_t ev_map_union(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (v[0].null && v[1].null) {
        *o = sl_null(SL_MAP);
        return SL_OK;
    }
    uint32_t n0 = v[0].null ? 0 : v[0].u.c.n, n1 = v[1].null ? 0 : v[1].u.c.n;
    sl_value r = sl_map_new(c->arena, n0 + n1);
    uint32_t k = 0;
    for (int side = 0; side < 2; side++) {
        if (v[side].null)
            continue;
        for (uint32_t i = 0; i < v[side].u.c.n; i++) {
            uint32_t j;
            for (j = 0; j < k; j++)
                if (sl_value_equal(&r.u.c.items[2 * j], &v[side].u.c.items[2 * i]))
                    break;
            r.u.c.items[2 * j] = v[side].u.c.items[2 * i];
            r.u.c.items[2 * j + 1] = v[side].u.c.items[2 * i + 1];
            if (j == k)
                k++;
        }
    }
    r.u.c.n = k;
    *o = r;
    return SL_OK;
}
static sl_err_t r_map_union(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_kind(a, 0, SL_MAP) || !fn_kind(a, 1, SL_MAP))
        return sl_fn_bad_args(a, "MAP_UNION", e);
    const sl_type *t = sl_cast_common_type(a->arena, a->types[0], a->types[1]);
    if (!t || t->kind == SL_NULLTYPE)
        return sl_fn_bad_args(a, "MAP_UNION", e);
    b->arg_types[0] = b->arg_types[1] = t;
    return fn_bind(b, ev_map_union, t, false);
}

/* GENERATE_SERIES(start, end [, step]): start, start + step, ... up to end
 * inclusive, in INT or (when start or end is a BIGINT) BIGINT. The step, an
 * INT, defaults to 1, or -1 when end is not above start. As in ksqlDB the
 * difference end - start wraps in the type's width, a NULL argument, a zero
 * step or a step of the wrong sign is an error (a Java int cannot be NULL),
 * and so is, in Sluice, a series of more than GENERATE_SERIES_MAX values,
 * which ksqlDB would try to allocate whole. */
#define GENERATE_SERIES_MAX 1000000
static sl_err_t ev_generate_series(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    bool wide = c->state != NULL;
    for (int i = 0; i < n; i++)
        if (v[i].null)
            return sl_error_set(c->err, SL_ERR_RUNTIME, "GENERATE_SERIES does not accept NULL arguments");
    int64_t start = fn_int(&v[0]), end = fn_int(&v[1]);
    int64_t diff = wide ? (int64_t)((uint64_t)end - (uint64_t)start)
                        : (int32_t)((uint32_t)(int32_t)end - (uint32_t)(int32_t)start);
    int64_t step = n == 3 ? v[2].u.i : diff > 0 ? 1 : -1;
    if (step == 0)
        return sl_error_set(c->err, SL_ERR_RUNTIME, "GENERATE_SERIES step cannot be zero");
    if ((diff > 0 && step < 0) || (diff < 0 && step > 0))
        return sl_error_set(c->err, SL_ERR_RUNTIME, "GENERATE_SERIES step has wrong sign");
    int64_t count = diff / step + 1;
    if (count > GENERATE_SERIES_MAX)
        return sl_error_set(c->err, SL_ERR_RUNTIME, "GENERATE_SERIES would produce %lld values, more than %d",
                            (long long)count, GENERATE_SERIES_MAX);
    sl_value r = sl_array_new(c->arena, (uint32_t)count);
    for (int64_t i = 0; i < count; i++) {
        /* wraps past the type's end where end - start wrapped, as Java does */
        uint64_t x = (uint64_t)start + (uint64_t)(i * step);
        r.u.c.items[i] = wide ? sl_bigint((int64_t)x) : sl_int((int32_t)(uint32_t)x);
    }
    *o = r;
    return SL_OK;
}
static sl_err_t r_generate_series(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 2 || a->argc > 3 || !fn_integral(a, 0) || !fn_integral(a, 1) ||
        (a->argc == 3 && !fn_kind(a, 2, SL_INT)))
        return sl_fn_bad_args(a, "GENERATE_SERIES", e);
    bool wide = a->types[0]->kind == SL_BIGINT || a->types[1]->kind == SL_BIGINT;
    const sl_type *t = wide ? &sl_type_bigint : &sl_type_int;
    b->arg_types[0] = b->arg_types[1] = t;
    b->state = wide ? "BIGINT" : NULL;
    return fn_bind(b, ev_generate_series, sl_type_array(a->arena, t), false);
}

const sl_function_def sl_fn_family_collection[] = {
    {"ARRAY_CONTAINS", r_contains}, {"ARRAY_LENGTH", r_length}, {"ARRAY_DISTINCT", r_distinct},
    {"ARRAY_EXCEPT", r_except}, {"ARRAY_INTERSECT", r_intersect}, {"ARRAY_UNION", r_union},
    {"ARRAY_CONCAT", r_concat}, {"ARRAY_REMOVE", r_remove}, {"ARRAY_SORT", r_sort}, {"ARRAY_MAX", r_max},
    {"ARRAY_MIN", r_min}, {"ARRAY_JOIN", r_join}, {"SLICE", r_slice}, {"MAP_KEYS", r_map_keys},
    {"MAP_VALUES", r_map_values}, {"ENTRIES", r_entries}, {"AS_MAP", r_as_map}, {"MAP_UNION", r_map_union},
    {"GENERATE_SERIES", r_generate_series}, {NULL, NULL},
};
