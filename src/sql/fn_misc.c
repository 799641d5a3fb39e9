/* Null handling functions: COALESCE, IFNULL, NULLIF. */
#include "sql/fn_util.h"

static sl_err_t ev_coalesce(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    for (int i = 0; i < n; i++)
        if (!v[i].null) {
            *o = v[i];
            return SL_OK;
        }
    *o = sl_null(SL_NULLTYPE);
    return SL_OK;
}

static sl_err_t r_coalesce_like(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name)
{
    if (a->argc < 1 || (!strcmp(name, "IFNULL") && a->argc != 2))
        return sl_fn_bad_args(a, name, e);
    const sl_type *t = &sl_type_null;
    for (int i = 0; i < a->argc; i++) {
        const sl_type *c = sl_cast_common_type(a->arena, t, a->types[i]);
        if (!c)
            return sl_fn_bad_args(a, name, e);
        t = c;
    }
    if (t->kind == SL_NULLTYPE)
        return sl_fn_bad_args(a, name, e);
    for (int i = 0; i < SL_FN_MAX_ARGS; i++)
        b->arg_types[i] = t;
    return fn_bind(b, ev_coalesce, t, false);
}
static sl_err_t r_coalesce(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_coalesce_like(a, b, e, "COALESCE");
}
static sl_err_t r_ifnull(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_coalesce_like(a, b, e, "IFNULL");
}

static sl_err_t ev_nullif(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (!v[0].null && !v[1].null && sl_value_equal(&v[0], &v[1]))
        *o = sl_null((sl_kind)v[0].kind);
    else
        *o = v[0];
    return SL_OK;
}
static sl_err_t r_nullif(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2)
        return sl_fn_bad_args(a, "NULLIF", e);
    const sl_type *t = sl_cast_common_type(a->arena, a->types[0], a->types[1]);
    if (!t || t->kind == SL_NULLTYPE)
        return sl_fn_bad_args(a, "NULLIF", e);
    b->arg_types[0] = b->arg_types[1] = t;
    return fn_bind(b, ev_nullif, fn_type(a, 0, t), false);
}

const sl_function_def sl_fn_family_misc[] = {
    {"COALESCE", r_coalesce}, {"IFNULL", r_ifnull}, {"NULLIF", r_nullif}, {NULL, NULL},
};
