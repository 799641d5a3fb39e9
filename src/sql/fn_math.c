/* Math functions. Result types as ksqlDB declares them: ABS/CEIL/FLOOR keep
 * the argument type, ROUND(DOUBLE) is BIGINT and ROUND(DECIMAL) keeps scale
 * 0, ROUND(x, n) keeps the type; GREATEST/LEAST take the common type of
 * their arguments and skip NULLs; the rest work on DOUBLE. */
#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "common/numfmt.h"
#include "sql/fn_util.h"

/* ---- ABS, SIGN, CEIL, FLOOR ---- */
static sl_err_t ev_abs(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = v[0];
    switch (v[0].kind) {
    case SL_INT: o->u.i = v[0].u.i < 0 ? (int32_t)(0u - (uint32_t)v[0].u.i) : v[0].u.i; break;
    case SL_BIGINT: o->u.l = v[0].u.l < 0 ? (int64_t)(0ull - (uint64_t)v[0].u.l) : v[0].u.l; break;
    case SL_DOUBLE: o->u.d = fabs(v[0].u.d); break;
    case SL_DECIMAL: o->u.dec.unscaled = v[0].u.dec.unscaled < 0 ? -v[0].u.dec.unscaled : v[0].u.dec.unscaled; break;
    }
    return SL_OK;
}
static sl_err_t r_abs(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_numeric(a, 0))
        return sl_fn_bad_args(a, "ABS", e);
    return fn_bind(b, ev_abs, fn_type(a, 0, &sl_type_double), true);
}

static sl_i128 dec_floor_div(sl_i128 u, sl_i128 d)
{
    sl_i128 q = u / d;
    if ((u % d != 0) && (u < 0))
        q--;
    return q;
}
static sl_err_t ev_ceil_floor(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o, bool ceil_)
{
    *o = v[0];
    switch (v[0].kind) {
    case SL_DOUBLE: o->u.d = ceil_ ? ceil(v[0].u.d) : floor(v[0].u.d); break;
    case SL_DECIMAL: {
        sl_i128 p = sl_pow10(v[0].u.dec.scale);
        sl_i128 q = dec_floor_div(v[0].u.dec.unscaled, p);
        if (ceil_ && q * p != v[0].u.dec.unscaled)
            q++;
        o->u.dec.unscaled = q * p;
        break;
    }
    default: break;
    }
    return SL_OK;
}
static sl_err_t ev_ceil(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    return ev_ceil_floor(c, n, v, o, true);
}
static sl_err_t ev_floor(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    return ev_ceil_floor(c, n, v, o, false);
}
static sl_err_t r_ceil(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_numeric(a, 0))
        return sl_fn_bad_args(a, "CEIL", e);
    return fn_bind(b, ev_ceil, fn_type(a, 0, &sl_type_double), true);
}
static sl_err_t r_floor(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_numeric(a, 0))
        return sl_fn_bad_args(a, "FLOOR", e);
    return fn_bind(b, ev_floor, fn_type(a, 0, &sl_type_double), true);
}

static sl_err_t ev_sign(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    double d = sl_value_as_double(&v[0]);
    *o = sl_int(d > 0 ? 1 : d < 0 ? -1 : 0);
    return SL_OK;
}
static sl_err_t r_sign(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_numeric(a, 0))
        return sl_fn_bad_args(a, "SIGN", e);
    return fn_bind(b, ev_sign, &sl_type_int, true);
}

/* ---- ROUND ---- */
/* ksqlDB rounds with BigDecimal.setScale, HALF_UP for positive values and
 * HALF_DOWN for negative ones: ties go toward positive infinity. q, r are
 * the truncated quotient and remainder of a value by p. */
static sl_i128 round_ties_up(sl_i128 q, sl_i128 r, sl_i128 p)
{
    if (r >= 0 && 2 * r >= p && r != 0)
        return q + 1;
    if (r < 0 && -2 * r > p)
        return q - 1;
    return q;
}

static double round_java(double d, int places)
{
    /* BigDecimal.valueOf(d) is the shortest text of d; read it exactly at a
     * scale well past the rounding digit, then round once */
    char buf[64];
    sl_format_double_java(d, buf);
    int scale = places + 20;
    sl_i128 u;
    if (!isfinite(d) || places > 17 || places < -17 || scale > 37 || fabs(d) >= 1e17 ||
        !sl_decimal_parse(buf, (uint32_t)strlen(buf), scale, &u)) {
        double p = pow(10, places);
        return isfinite(d) && fabs(d) < 1e17 ? floor(d * p + 0.5) / p : d;
    }
    sl_i128 p = sl_pow10(scale - places);
    sl_i128 q = round_ties_up(u / p, u % p, p);
    if (places >= 0)
        return sl_decimal_to_double(q, places);
    return sl_decimal_to_double(q * sl_pow10(-places), 0);
}
static sl_err_t ev_round(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int places = n > 1 ? (int)fn_int(&v[1]) : 0;
    switch (v[0].kind) {
    case SL_INT:
    case SL_BIGINT: {
        int64_t x = fn_int(&v[0]);
        if (places < 0) {
            int64_t p = 1;
            for (int i = 0; i < -places && p < INT64_MAX / 10; i++)
                p *= 10;
            x = (int64_t)round_ties_up(x / p, x % p, p) * p;
        }
        *o = v[0].kind == SL_INT ? sl_int((int32_t)x) : sl_bigint(x);
        return SL_OK;
    }
    case SL_DOUBLE:
        if (n == 1) {
            *o = sl_bigint((int64_t)floor(v[0].u.d + 0.5)); /* Math.round */
        } else {
            *o = sl_double(round_java(v[0].u.d, places));
        }
        return SL_OK;
    default: {
        int s = v[0].u.dec.scale;
        sl_i128 u = v[0].u.dec.unscaled;
        if (places < s && s - places <= 38) {
            sl_i128 p = sl_pow10(s - places);
            u = round_ties_up(u / p, u % p, p) * p;
        }
        if (n == 1) {
            u = sl_decimal_rescale(u, s, 0);
            *o = sl_decimal(u, c->state ? ((const sl_type *)c->state)->precision : 38, 0);
        } else {
            *o = sl_decimal(u, v[0].u.dec.precision, s);
        }
        return SL_OK;
    }
    }
}
static sl_err_t r_round(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1 || a->argc > 2 || !fn_numeric(a, 0) || (a->argc == 2 && !fn_integral(a, 1)))
        return sl_fn_bad_args(a, "ROUND", e);
    const sl_type *t = fn_type(a, 0, &sl_type_double);
    if (a->argc == 2)
        b->arg_types[1] = &sl_type_int;
    if (t->kind == SL_DOUBLE && a->argc == 1)
        return fn_bind(b, ev_round, &sl_type_bigint, true);
    if (t->kind == SL_DECIMAL && a->argc == 1) {
        int p = t->precision - t->scale + 1;
        const sl_type *rt = sl_type_decimal(a->arena, p < 1 ? 1 : p > 38 ? 38 : p, 0);
        b->state = rt;
        return fn_bind(b, ev_round, rt, true);
    }
    return fn_bind(b, ev_round, t, true);
}

/* ---- DOUBLE functions ---- */
typedef double (*dfn)(double);
static double cot_(double x)
{
    return 1.0 / tan(x);
}
static double degrees_(double x)
{
    return x * 180.0 / M_PI;
}
static double radians_(double x)
{
    return x * M_PI / 180.0;
}
static sl_err_t ev_dfn(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_double(((dfn)c->state)(v[0].u.d));
    return SL_OK;
}
#define DOUBLE_FN(NAME, FN)                                                                                  \
    static sl_err_t r_##FN(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)                                \
    {                                                                                                        \
        if (a->argc != 1 || !fn_numeric(a, 0))                                                               \
            return sl_fn_bad_args(a, NAME, e);                                                               \
        b->arg_types[0] = &sl_type_double;                                                                   \
        b->state = (const void *)FN;                                                                         \
        return fn_bind(b, ev_dfn, &sl_type_double, true);                                                    \
    }
DOUBLE_FN("SQRT", sqrt)
DOUBLE_FN("EXP", exp)

DOUBLE_FN("CBRT", cbrt)
DOUBLE_FN("SIN", sin)
DOUBLE_FN("COS", cos)
DOUBLE_FN("TAN", tan)
DOUBLE_FN("ASIN", asin)
DOUBLE_FN("ACOS", acos)
DOUBLE_FN("ATAN", atan)
DOUBLE_FN("SINH", sinh)
DOUBLE_FN("COSH", cosh)
DOUBLE_FN("TANH", tanh)
DOUBLE_FN("COT", cot_)
DOUBLE_FN("DEGREES", degrees_)
DOUBLE_FN("RADIANS", radians_)

static sl_err_t ev_log(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    if (n == 1) {
        *o = sl_double(log(v[0].u.d));
        return SL_OK;
    }
    double base = v[0].u.d, x = v[1].u.d;
    /* as ksqlDB: a base that is not positive, or is 1, has no logarithm */
    *o = sl_double(base <= 0 || base == 1 ? NAN : log(x) / log(base));
    return SL_OK;
}
static sl_err_t r_log(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1 || a->argc > 2 || !fn_numeric(a, 0) || (a->argc == 2 && !fn_numeric(a, 1)))
        return sl_fn_bad_args(a, "LOG", e);
    b->arg_types[0] = b->arg_types[1] = &sl_type_double;
    return fn_bind(b, ev_log, &sl_type_double, true);
}
static sl_err_t ev_power(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_double(pow(v[0].u.d, v[1].u.d));
    return SL_OK;
}
static sl_err_t r_power(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_numeric(a, 0) || !fn_numeric(a, 1))
        return sl_fn_bad_args(a, "POWER", e);
    b->arg_types[0] = b->arg_types[1] = &sl_type_double;
    return fn_bind(b, ev_power, &sl_type_double, true);
}
static sl_err_t ev_atan2(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_double(atan2(v[0].u.d, v[1].u.d));
    return SL_OK;
}
static sl_err_t r_atan2(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_numeric(a, 0) || !fn_numeric(a, 1))
        return sl_fn_bad_args(a, "ATAN2", e);
    b->arg_types[0] = b->arg_types[1] = &sl_type_double;
    return fn_bind(b, ev_atan2, &sl_type_double, true);
}
static sl_err_t ev_pi(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_double(M_PI);
    return SL_OK;
}
static sl_err_t r_pi(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc)
        return sl_fn_bad_args(a, "PI", e);
    return fn_bind(b, ev_pi, &sl_type_double, false);
}
static sl_err_t ev_random(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_double((double)random() / ((double)RAND_MAX + 1));
    return SL_OK;
}
static sl_err_t r_random(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc)
        return sl_fn_bad_args(a, "RANDOM", e);
    return fn_bind(b, ev_random, &sl_type_double, false);
}
static sl_err_t ev_trunc(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = v[0];
    if (v[0].kind == SL_DOUBLE) {
        if (n == 1)
            *o = sl_bigint((int64_t)trunc(v[0].u.d));
        else {
            double p = pow(10, (double)fn_int(&v[1]));
            o->u.d = trunc(v[0].u.d * p) / p;
        }
    } else if (v[0].kind == SL_DECIMAL) {
        int places = n > 1 ? (int)fn_int(&v[1]) : 0;
        int s = v[0].u.dec.scale;
        if (places < s) {
            sl_i128 p = sl_pow10(s - (places < 0 ? 0 : places));
            o->u.dec.unscaled = v[0].u.dec.unscaled / p * p;
        }
        if (n == 1) {
            o->u.dec.unscaled /= sl_pow10(s);
            o->u.dec.scale = 0;
            o->u.dec.precision = (int16_t)((const sl_type *)c->state)->precision;
        }
    }
    return SL_OK;
}
static sl_err_t r_trunc(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 1 || a->argc > 2 || !fn_numeric(a, 0) || (a->argc == 2 && !fn_integral(a, 1)))
        return sl_fn_bad_args(a, "TRUNC", e);
    const sl_type *t = fn_type(a, 0, &sl_type_double);
    if (a->argc == 2)
        b->arg_types[1] = &sl_type_int;
    if (t->kind == SL_DOUBLE && a->argc == 1)
        return fn_bind(b, ev_trunc, &sl_type_bigint, true);
    if (t->kind == SL_DECIMAL && a->argc == 1) {
        int p = t->precision - t->scale;
        const sl_type *rt = sl_type_decimal(a->arena, p < 1 ? 1 : p, 0);
        b->state = rt;
        return fn_bind(b, ev_trunc, rt, true);
    }
    return fn_bind(b, ev_trunc, t, true);
}

/* ---- GREATEST / LEAST ---- */
static sl_err_t ev_extreme(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o, int sign)
{
    const sl_value *best = NULL;
    for (int i = 0; i < n; i++)
        if (!v[i].null && (!best || sign * sl_value_compare(&v[i], best) > 0))
            best = &v[i];
    *o = best ? *best : sl_null(SL_NULLTYPE);
    return SL_OK;
}
static sl_err_t ev_greatest(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    return ev_extreme(c, n, v, o, 1);
}
static sl_err_t ev_least(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    return ev_extreme(c, n, v, o, -1);
}
static sl_err_t r_extreme(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, sl_fn_eval ev)
{
    if (a->argc < 1)
        return sl_fn_bad_args(a, name, e);
    const sl_type *t = &sl_type_null;
    /* a string among DATE/TIME/TIMESTAMP arguments is read as that type */
    const sl_type *temporal = NULL;
    for (int i = 0; i < a->argc; i++)
        if (a->types[i]->kind == SL_DATE || a->types[i]->kind == SL_TIME || a->types[i]->kind == SL_TIMESTAMP)
            temporal = a->types[i];
    for (int i = 0; i < a->argc; i++) {
        const sl_type *ti = temporal && a->types[i]->kind == SL_STRING ? temporal : a->types[i];
        const sl_type *c = sl_cast_common_type(a->arena, t, ti);
        if (!c || (t->kind != SL_NULLTYPE && a->types[i]->kind != SL_NULLTYPE &&
                   sl_type_is_numeric(t) != sl_type_is_numeric(a->types[i])))
            return sl_fn_bad_args(a, name, e);
        /* ksqlDB resolves the variadic generic only for one kind of number
         * (DECIMALs of any size widen); INT with BIGINT is ambiguous */
        if (t->kind != SL_NULLTYPE && ti->kind != SL_NULLTYPE && t->kind != ti->kind)
            return sl_error_set(e, SL_ERR_INVALID, "Function '%s' cannot be resolved due to ambiguous method parameters (%s, %s).",
                                name, sl_type_to_sql(a->arena, t), sl_type_to_sql(a->arena, a->types[i]));
        t = c;
    }
    if (t->kind == SL_NULLTYPE || t->kind == SL_ARRAY || t->kind == SL_MAP || t->kind == SL_STRUCT ||
        t->kind == SL_BOOLEAN)
        return sl_fn_bad_args(a, name, e);
    for (int i = 0; i < SL_FN_MAX_ARGS; i++)
        b->arg_types[i] = t;
    return fn_bind(b, ev, t, false);
}
static sl_err_t r_greatest(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_extreme(a, b, e, "GREATEST", ev_greatest);
}
static sl_err_t r_least(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_extreme(a, b, e, "LEAST", ev_least);
}

/* ---- GEO_DISTANCE(lat1, lon1, lat2, lon2[, unit]) ---- */
static sl_err_t ev_geo(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    double r = 6371.0; /* ksqlDB's mean earth radius, km */
    for (int i = 0; i < 4; i++)
        if (v[i].null) {
            *o = sl_null(SL_DOUBLE);
            return SL_OK;
        }
    if (n == 5 && !v[4].null) {
        const char *u = v[4].u.s.ptr;
        size_t l = v[4].u.s.len;
        if ((l == 2 && !strncasecmp(u, "MI", 2)) || (l == 5 && !strncasecmp(u, "MILES", 5)))
            r = 3959.0;
        else if (!((l == 2 && !strncasecmp(u, "KM", 2)) || (l == 10 && !strncasecmp(u, "KILOMETERS", 10)) ||
                   (l == 10 && !strncasecmp(u, "KILOMETRES", 10)))) {
            sl_error_set(c->err, SL_ERR_RUNTIME, "GeoDistance function units parameter must be one of: MI, MILES, KM, KILOMETERS");
            return SL_ERR_RUNTIME;
        }
    }
    double la1 = v[0].u.d, lo1 = v[1].u.d, la2 = v[2].u.d, lo2 = v[3].u.d;
    if (la1 < -90 || la1 > 90 || la2 < -90 || la2 > 90 || lo1 < -180 || lo1 > 180 || lo2 < -180 || lo2 > 180) {
        sl_error_set(c->err, SL_ERR_RUNTIME, "valid latitude values for GeoDistance function are in the range of -90 to 90 degrees");
        return SL_ERR_RUNTIME;
    }
    double dlat = (la2 - la1) * M_PI / 180, dlon = (lo2 - lo1) * M_PI / 180;
    double h = pow(sin(dlat / 2), 2) + pow(sin(dlon / 2), 2) * cos(la1 * M_PI / 180) * cos(la2 * M_PI / 180);
    *o = sl_double(2 * r * asin(sqrt(h)));
    return SL_OK;
}
static sl_err_t r_geo(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if ((a->argc != 4 && a->argc != 5) || !fn_numeric(a, 0) || !fn_numeric(a, 1) || !fn_numeric(a, 2) ||
        !fn_numeric(a, 3) || (a->argc == 5 && !fn_kind(a, 4, SL_STRING)))
        return sl_fn_bad_args(a, "GEO_DISTANCE", e);
    for (int i = 0; i < 4; i++)
        b->arg_types[i] = &sl_type_double;
    /* a NULL unit means kilometres, so nulls are checked in ev_geo */
    return fn_bind(b, ev_geo, &sl_type_double, false);
}

const sl_function_def sl_fn_family_math[] = {
    {"ABS", r_abs}, {"CEIL", r_ceil}, {"FLOOR", r_floor}, {"SIGN", r_sign}, {"ROUND", r_round},
    {"SQRT", r_sqrt}, {"EXP", r_exp}, {"LN", r_log}, {"LOG", r_log}, {"CBRT", r_cbrt}, {"SIN", r_sin},
    {"COS", r_cos}, {"TAN", r_tan}, {"ASIN", r_asin}, {"ACOS", r_acos}, {"ATAN", r_atan}, {"SINH", r_sinh},
    {"COSH", r_cosh}, {"TANH", r_tanh}, {"COT", r_cot_}, {"DEGREES", r_degrees_}, {"RADIANS", r_radians_},
    {"POWER", r_power}, {"ATAN2", r_atan2}, {"PI", r_pi}, {"RANDOM", r_random}, {"TRUNC", r_trunc},
    {"GREATEST", r_greatest}, {"LEAST", r_least}, {"GEO_DISTANCE", r_geo}, {NULL, NULL},
};
