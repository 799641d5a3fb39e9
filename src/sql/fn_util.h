/* Helpers shared by the function families: argument checks and binding
 * shorthands, so that most resolve() functions are a few lines. */
#ifndef SL_FN_UTIL_H
#define SL_FN_UTIL_H

#include <string.h>

#include "sql/cast.h"
#include "sql/function.h"

static inline bool fn_kind(const sl_fn_args *a, int i, sl_kind k)
{
    return i < a->argc && (a->types[i]->kind == k || a->types[i]->kind == SL_NULLTYPE);
}
static inline bool fn_numeric(const sl_fn_args *a, int i)
{
    return i < a->argc && (sl_type_is_numeric(a->types[i]) || a->types[i]->kind == SL_NULLTYPE);
}
static inline bool fn_integral(const sl_fn_args *a, int i)
{
    return fn_kind(a, i, SL_INT) || fn_kind(a, i, SL_BIGINT);
}
static inline sl_err_t fn_bind(sl_fn_binding *b, sl_fn_eval eval, const sl_type *ret, bool nulls)
{
    b->eval = eval;
    b->ret = ret;
    b->null_if_any_null = nulls;
    return SL_OK;
}
/* the type an argument has, NULL literal treated as `dflt` */
static inline const sl_type *fn_type(const sl_fn_args *a, int i, const sl_type *dflt)
{
    return a->types[i]->kind == SL_NULLTYPE ? dflt : a->types[i];
}
static inline sl_value fn_str(sl_arena *arena, const char *p, size_t n)
{
    return sl_string(sl_arena_strndup(arena, p, n), (uint32_t)n);
}
static inline int64_t fn_int(const sl_value *v)
{
    return v->kind == SL_INT ? v->u.i : v->u.l;
}

#endif
