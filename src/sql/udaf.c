/* UDAF implementations: the numeric ones here, the collections (arrays,
 * maps, COUNT_DISTINCT, *_BY_OFFSET, ATTR) in udaf_collections.c. States:
 *   COUNT: BIGINT; SUM: the sum type; AVG: STRUCT(sum of the argument's type, count);
 *   MIN/MAX: the value; COLLECT_LIST/SET, TOPK(DISTINCT): ARRAY;
 *   COUNT_DISTINCT: ARRAY of HyperLogLog registers; HISTOGRAM: MAP;
 *   EARLIEST/LATEST_BY_OFFSET: the value (or ARRAY with n);
 *   STDDEV: STRUCT(sum, count, m2) (ksqlDB's updates); CORRELATION: STRUCT of sums.
 * New state values are built in the given arena; the caller copies them out
 * (the store keeps encoded bytes). */
#include "sql/udaf_collections.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/cast.h"

static bool is_num(const sl_type *t)
{
    return sl_type_is_numeric(t);
}

/* ---- COUNT ---- */
static void count_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    *s = sl_bigint(0);
}
static void count_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (f->star || !args[0].null)
        s->u.l++;
}
static void count_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (f->star || !args[0].null)
        s->u.l--;
}
static void count_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    s->u.l += o->u.l;
}
static sl_value identity_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    sl_value v = *s;
    if (v.null)
        v.kind = (uint8_t)f->ret->kind;
    return v;
}

/* ---- SUM ---- */
static void sum_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    switch (f->ret->kind) {
    case SL_INT: *s = sl_int(0); break;
    case SL_BIGINT: *s = sl_bigint(0); break;
    case SL_DOUBLE: *s = sl_double(0); break;
    default: *s = sl_decimal(0, f->ret->precision, f->ret->scale);
    }
}
/* s + x or s - x as Java computes it: INT and BIGINT wrap (in unsigned
 * arithmetic, so that negating the smallest value is defined) */
static void sum_step(const sl_agg_fn *f, sl_value *s, const sl_value *x, int sign)
{
    if (x->null)
        return;
    switch (s->kind) {
    case SL_INT:
        s->u.i = (int32_t)(sign > 0 ? (uint32_t)s->u.i + (uint32_t)x->u.i : (uint32_t)s->u.i - (uint32_t)x->u.i);
        break;
    case SL_BIGINT:
        s->u.l = (int64_t)(sign > 0 ? (uint64_t)s->u.l + (uint64_t)x->u.l : (uint64_t)s->u.l - (uint64_t)x->u.l);
        break;
    case SL_DOUBLE: s->u.d = sign > 0 ? s->u.d + x->u.d : s->u.d - x->u.d; break;
    case SL_DECIMAL:
        s->u.dec.unscaled += sign * sl_decimal_rescale(x->u.dec.unscaled, x->u.dec.scale, s->u.dec.scale);
        break;
    }
}
static void sum_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    sum_step(f, s, &args[0], 1);
}
static void sum_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    sum_step(f, s, &args[0], -1);
}
static void sum_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    sum_step(f, s, o, 1);
}

/* ksqlDB adds DECIMALs in the precision of the type (rounding HALF_UP to
 * that many significant digits) and fails once the sum's absolute value
 * reaches 10^(precision - scale); for a sum at the type's scale that is an
 * unscaled value of precision + 1 digits or more */
const char *sl_udaf_overflow(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    /* once per aggregate and record: the cheap test first */
    if (s->kind != SL_DECIMAL || s->null || strcasecmp(f->udaf->name, "SUM"))
        return NULL;
    int precision = f->ret->precision, scale = f->ret->scale;
    sl_i128 whole = s->u.dec.unscaled < 0 ? -s->u.dec.unscaled : s->u.dec.unscaled;
    if (whole < sl_pow10(precision))
        return NULL;
    /* the sum as ksqlDB shows it: rounded to `precision` digits, HALF_UP */
    int dropped = 0;
    while (whole / sl_pow10(dropped) >= sl_pow10(precision))
        dropped++;
    sl_i128 u = whole / sl_pow10(dropped);
    if (whole / sl_pow10(dropped - 1) % 10 >= 5)
        u++;
    if (s->u.dec.unscaled < 0)
        u = -u;
    const char *shown = scale - dropped >= 0 ? sl_decimal_to_string(a, u, scale - dropped)
                                             : sl_decimal_to_string(a, u * sl_pow10(dropped - scale), 0);
    return sl_arena_sprintf(a,
                            "Numeric field overflow: A field with precision %d and scale %d must round to an "
                            "absolute value less than 10^%d. Got %s",
                            precision, scale, precision - scale, shown);
}

/* SUM_LIST(array): the sum of the arrays' non-NULL elements (INT, BIGINT or
 * DOUBLE, wrapping as Java does); a NULL array adds nothing. As ksqlDB does,
 * each array is summed first (from 0) and that sum is added or subtracted:
 * for DOUBLE the order of the additions shows in the result. */
static void sum_list_step(const sl_agg_fn *f, sl_value *s, const sl_value *list, int sign)
{
    if (list->null)
        return;
    sl_value total;
    sum_init(f, &total, NULL);
    for (uint32_t i = 0; i < list->u.c.n; i++)
        sum_step(f, &total, &list->u.c.items[i], 1);
    sum_step(f, s, &total, sign);
}
static void sum_list_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    sum_list_step(f, s, &args[0], 1);
}
static void sum_list_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    sum_list_step(f, s, &args[0], -1);
}

/* ---- AVG: state STRUCT(sum, count); the sum has the argument's type (an
 * INT or BIGINT sum wraps, as ksqlDB's does) and the result is
 * sum / (double)count ---- */
static void avg_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    *s = sl_struct_new(a, 2);
    switch (f->arg_type->kind) {
    case SL_DECIMAL: s->u.c.items[0] = sl_decimal(0, 38, f->arg_type->scale); break;
    case SL_INT: s->u.c.items[0] = sl_int(0); break;
    case SL_BIGINT: s->u.c.items[0] = sl_bigint(0); break;
    default: s->u.c.items[0] = sl_double(0);
    }
    s->u.c.items[1] = sl_bigint(0);
}
static void avg_step(sl_value *s, const sl_value *x, int sign)
{
    if (x->null)
        return;
    sl_value *sum = &s->u.c.items[0];
    if (sum->kind == SL_DECIMAL) {
        sum->u.dec.unscaled += sign * sl_decimal_rescale(x->u.dec.unscaled, x->u.dec.scale, sum->u.dec.scale);
    } else if (sum->kind == SL_DOUBLE) {
        double d = sl_value_as_double(x);
        sum->u.d = sign > 0 ? sum->u.d + d : sum->u.d - d;
    } else {
        sum_step(NULL, sum, x, sign);
    }
    s->u.c.items[1].u.l += sign;
}
static void avg_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    avg_step(s, &args[0], 1);
}
static void avg_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    avg_step(s, &args[0], -1);
}
static void avg_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    sl_value *sum = &s->u.c.items[0];
    if (sum->kind == SL_DECIMAL)
        sum->u.dec.unscaled += o->u.c.items[0].u.dec.unscaled;
    else
        sum_step(NULL, sum, &o->u.c.items[0], 1);
    s->u.c.items[1].u.l += o->u.c.items[1].u.l;
}
static sl_value avg_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    int64_t n = s->u.c.items[1].u.l;
    const sl_value *sum = &s->u.c.items[0];
    if (f->ret->kind == SL_DECIMAL) {
        if (!n)
            return sl_decimal(0, f->ret->precision, f->ret->scale);
        sl_i128 u = sl_decimal_rescale(sum->u.dec.unscaled, sum->u.dec.scale, f->ret->scale + 1) / n;
        return sl_decimal(sl_decimal_rescale(u, f->ret->scale + 1, f->ret->scale), f->ret->precision, f->ret->scale);
    }
    return sl_double(n ? sl_value_as_double(sum) / (double)n : 0.0);
}

/* ---- MIN / MAX ---- */
static void null_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    *s = sl_null(f->ret->kind);
}
static void minmax_step(const sl_agg_fn *f, sl_value *s, const sl_value *x, bool is_max)
{
    if (x->null)
        return;
    if (s->null) {
        *s = *x;
        return;
    }
    int c = sl_value_compare(x, s);
    if (is_max ? c > 0 : c < 0)
        *s = *x;
}
static void max_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    minmax_step(f, s, &args[0], true);
}
static void min_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    minmax_step(f, s, &args[0], false);
}
static void max_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    minmax_step(f, s, o, true);
}
static void min_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    minmax_step(f, s, o, false);
}

/* ---- STDDEV_SAMP (the sample variance, as ksqlDB's returns) and
 * STDDEV_SAMPLE (its square root): STRUCT(sum, count, m2), sum in the input's
 * type (INT, BIGINT or DOUBLE; a DECIMAL input is taken as DOUBLE). The
 * update formulas are ksqlDB's, integer arithmetic and its wrapping
 * included, so that results agree to the last bit:
 *   delta = x * (count + 1) - (sum + x)   (old count and sum)
 *   add:  m2 += delta^2 / ((count + 1) * count)
 *   undo: m2 -= delta^2 / ((count - 1) * count)
 *   merge: m2 = m2a + m2b + na * nb * (suma/na - sumb/nb)^2 / (na + nb),
 *          the quotients integer ones for INT and BIGINT. ---- */
static void stddev_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    *s = sl_struct_new(a, 3);
    switch (f->arg_type->kind) {
    case SL_INT: s->u.c.items[0] = sl_int(0); break;
    case SL_BIGINT: s->u.c.items[0] = sl_bigint(0); break;
    default: s->u.c.items[0] = sl_double(0); break;
    }
    s->u.c.items[1] = sl_bigint(0);
    s->u.c.items[2] = sl_double(0);
}
/* delta of x against the state, and the state's sum with x added (sign 1)
 * or taken out (sign -1) */
static double stddev_delta(const sl_value *s, const sl_value *x, int sign, sl_value *new_sum)
{
    const sl_value *sum = &s->u.c.items[0];
    int64_t n1 = s->u.c.items[1].u.l + 1;
    switch (sum->kind) {
    case SL_INT: {
        int32_t v = x->u.i;
        int32_t with_x = (int32_t)((uint32_t)sum->u.i + (uint32_t)v);
        *new_sum = sl_int((int32_t)((uint32_t)sum->u.i + (uint32_t)(sign > 0 ? v : -(int64_t)v)));
        return (double)(int64_t)((uint64_t)v * (uint64_t)n1 - (uint64_t)(int64_t)with_x);
    }
    case SL_BIGINT: {
        uint64_t v = (uint64_t)x->u.l, sm = (uint64_t)sum->u.l;
        *new_sum = sl_bigint((int64_t)(sign > 0 ? sm + v : sm - v));
        return (double)(int64_t)(v * (uint64_t)n1 - (sm + v));
    }
    default: {
        double v = sl_value_as_double(x);
        *new_sum = sl_double(sign > 0 ? sum->u.d + v : sum->u.d - v);
        return v * (double)n1 - (sum->u.d + v);
    }
    }
}
static void stddev_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (args[0].null)
        return;
    int64_t count = s->u.c.items[1].u.l;
    sl_value new_sum;
    double delta = stddev_delta(s, &args[0], 1, &new_sum);
    if (count > 0)
        s->u.c.items[2].u.d += delta * delta / (double)((count + 1) * count);
    s->u.c.items[0] = new_sum;
    s->u.c.items[1].u.l = count + 1;
}
static void stddev_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (args[0].null)
        return;
    int64_t new_count = s->u.c.items[1].u.l - 1;
    sl_value new_sum;
    double delta = stddev_delta(s, &args[0], -1, &new_sum);
    if (new_count > 0)
        s->u.c.items[2].u.d -= delta * delta / (double)(new_count * (new_count + 1));
    s->u.c.items[0] = new_sum;
    s->u.c.items[1].u.l = new_count;
}
static void stddev_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    int64_t na = s->u.c.items[1].u.l, nb = o->u.c.items[1].u.l;
    const sl_value *sa = &s->u.c.items[0], *sb = &o->u.c.items[0];
    double m2 = s->u.c.items[2].u.d + o->u.c.items[2].u.d;
    if (na && nb) {
        double inner;
        switch (sa->kind) {
        case SL_INT: inner = (double)((int64_t)sa->u.i / na - (int64_t)sb->u.i / nb); break;
        case SL_BIGINT: inner = (double)(sa->u.l / na - sb->u.l / nb); break;
        default: inner = sa->u.d / (double)na - sb->u.d / (double)nb; break;
        }
        m2 += (double)(na * nb) * inner * inner / (double)(na + nb);
    }
    sl_value sum;
    switch (sa->kind) {
    case SL_INT: sum = sl_int((int32_t)((uint32_t)sa->u.i + (uint32_t)sb->u.i)); break;
    case SL_BIGINT: sum = sl_bigint((int64_t)((uint64_t)sa->u.l + (uint64_t)sb->u.l)); break;
    default: sum = sl_double(sa->u.d + sb->u.d); break;
    }
    s->u.c.items[0] = sum;
    s->u.c.items[1].u.l = na + nb;
    s->u.c.items[2].u.d = m2;
}
static sl_value stddev_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    int64_t n = s->u.c.items[1].u.l;
    if (n < 2)
        return sl_double(0.0);
    double variance = s->u.c.items[2].u.d / (double)(n - 1);
    return sl_double(strcasecmp(f->udaf->name, "STDDEV_SAMPLE") ? variance : sqrt(variance));
}

/* ---- CORRELATION: STRUCT(n, sx, sy, sxx, syy, sxy) ---- */
static void corr_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    *s = sl_struct_new(a, 6);
    s->u.c.items[0] = sl_bigint(0);
    for (int i = 1; i < 6; i++)
        s->u.c.items[i] = sl_double(0);
}
static void corr_step(sl_value *s, const sl_value *args, int sign)
{
    if (args[0].null || args[1].null)
        return;
    double x = sl_value_as_double(&args[0]), y = sl_value_as_double(&args[1]);
    s->u.c.items[0].u.l += sign;
    s->u.c.items[1].u.d += sign * x;
    s->u.c.items[2].u.d += sign * y;
    s->u.c.items[3].u.d += sign * x * x;
    s->u.c.items[4].u.d += sign * y * y;
    s->u.c.items[5].u.d += sign * x * y;
}
static void corr_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    corr_step(s, args, 1);
}
static void corr_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    corr_step(s, args, -1);
}
static void corr_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    s->u.c.items[0].u.l += o->u.c.items[0].u.l;
    for (int i = 1; i < 6; i++)
        s->u.c.items[i].u.d += o->u.c.items[i].u.d;
}
static sl_value corr_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    double n = (double)s->u.c.items[0].u.l, sx = s->u.c.items[1].u.d, sy = s->u.c.items[2].u.d,
           sxx = s->u.c.items[3].u.d, syy = s->u.c.items[4].u.d, sxy = s->u.c.items[5].u.d;
    /* ksqlDB's single-pass formula, operation for operation: one square
     * root of the product, and IEEE division (x / 0 is an infinity, 0 / 0
     * and the root of a negative NaN) */
    double num = n * sxy - sx * sy;
    double den = sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
    return sl_double(num / den);
}

static const sl_udaf udafs[] = {
    {"COUNT", true, count_init, count_add, count_undo, count_merge, identity_result},
    {"SUM", true, sum_init, sum_add, sum_undo, sum_merge, identity_result},
    {"SUM_LIST", true, sum_init, sum_list_add, sum_list_undo, sum_merge, identity_result},
    {"AVG", true, avg_init, avg_add, avg_undo, avg_merge, avg_result},
    {"MAX", false, null_init, max_add, NULL, max_merge, identity_result},
    {"MIN", false, null_init, min_add, NULL, min_merge, identity_result},
    {"STDDEV_SAMP", true, stddev_init, stddev_add, stddev_undo, stddev_merge, stddev_result},
    {"STDDEV_SAMPLE", true, stddev_init, stddev_add, stddev_undo, stddev_merge, stddev_result},
    {"CORRELATION", true, corr_init, corr_add, corr_undo, corr_merge, corr_result},
    {NULL, false, NULL, NULL, NULL, NULL, NULL},
};

static sl_err_t bad_args(const char *name, int argc, const sl_type *const *types, sl_arena *a, sl_error *err)
{
    char buf[256] = "";
    size_t n = 0;
    for (int i = 0; i < argc && n < sizeof buf - 40; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "", sl_type_to_sql(a, types[i]));
    return sl_error_set(err, SL_ERR_INVALID, "Function '%s' does not accept parameters (%s).", name, buf);
}

static bool literal_int(const sl_value *v, int64_t *out)
{
    if (!v || v->null)
        return false;
    if (v->kind == SL_INT)
        *out = v->u.i;
    else if (v->kind == SL_BIGINT)
        *out = v->u.l;
    else
        return false;
    return true;
}

sl_err_t sl_udaf_resolve(const char *name, int argc, const sl_type *const *types, const sl_value *const *literals,
                         bool star, sl_arena *a, sl_agg_fn *fn, sl_error *err)
{
    memset(fn, 0, sizeof *fn);
    const sl_udaf *u = NULL;
    for (int i = 0; udafs[i].name; i++)
        if (!strcasecmp(udafs[i].name, name))
            u = &udafs[i];
    for (int i = 0; !u && sl_udaf_collections[i].name; i++)
        if (!strcasecmp(sl_udaf_collections[i].name, name))
            u = &sl_udaf_collections[i];
    if (!u && sl_udaf_harness_has(name))
        return sl_udaf_harness_resolve(name, argc, types, literals, a, fn, err);
    if (!u)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "aggregate function %s is not supported yet", name);
    fn->udaf = u;
    fn->star = star;
    fn->limit = 1000;
    fn->arg_type = argc ? types[0] : NULL;
    const sl_type *t = fn->arg_type;
    if (!strcasecmp(name, "COUNT")) {
        if (argc == 0)
            fn->star = true; /* COUNT() counts rows, like COUNT(*) */
        if (!fn->star && argc != 1)
            return bad_args(name, argc, types, a, err);
        fn->ret = &sl_type_bigint;
        return SL_OK;
    }
    if (argc < 1 || (t && t->kind == SL_NULLTYPE))
        return bad_args(name, argc, types, a, err);
    if (!strcasecmp(name, "SUM")) {
        if (argc != 1 || !is_num(t))
            return bad_args(name, argc, types, a, err);
        fn->ret = t;
    } else if (!strcasecmp(name, "SUM_LIST")) {
        if (argc != 1 || t->kind != SL_ARRAY ||
            (t->elem->kind != SL_INT && t->elem->kind != SL_BIGINT && t->elem->kind != SL_DOUBLE))
            return bad_args(name, argc, types, a, err);
        fn->ret = t->elem;
    } else if (!strcasecmp(name, "AVG")) {
        if (argc != 1 || !is_num(t))
            return bad_args(name, argc, types, a, err);
        fn->ret = t->kind == SL_DECIMAL ? t : &sl_type_double;
    } else if (!strcasecmp(name, "MIN") || !strcasecmp(name, "MAX")) {
        if (argc != 1 || t->kind == SL_ARRAY || t->kind == SL_MAP || t->kind == SL_STRUCT || t->kind == SL_BOOLEAN)
            return bad_args(name, argc, types, a, err);
        fn->ret = t;
    } else if (!strcasecmp(name, "COLLECT_LIST") || !strcasecmp(name, "COLLECT_SET")) {
        if (argc != 1)
            return bad_args(name, argc, types, a, err);
        fn->ret = sl_type_array(a, t);
    } else if (!strcasecmp(name, "COUNT_DISTINCT")) {
        if (argc != 1)
            return bad_args(name, argc, types, a, err);
        fn->ret = &sl_type_bigint;
    } else if (!strcasecmp(name, "TOPK") && argc >= 3) {
        /* TOPK(x, other columns..., k) */
        if (!literal_int(literals[argc - 1], &fn->limit) || t->kind == SL_ARRAY || t->kind == SL_MAP ||
            t->kind == SL_STRUCT || argc - 2 > 62)
            return bad_args(name, argc, types, a, err);
        fn->extra = argc - 2;
        sl_field *f = sl_arena_calloc(a, (size_t)argc - 1, sizeof *f);
        f[0].name = "sort_col";
        f[0].type = t;
        for (int i = 1; i <= fn->extra; i++) {
            f[i].name = sl_arena_sprintf(a, "col%d", i - 1);
            f[i].type = types[i]->kind == SL_NULLTYPE ? &sl_type_string : types[i];
        }
        fn->ret = sl_type_array(a, sl_type_struct(a, fn->extra + 1, f));
    } else if (!strcasecmp(name, "TOPK") || !strcasecmp(name, "TOPKDISTINCT")) {
        if (argc != 2 || !literal_int(literals[1], &fn->limit) || t->kind == SL_ARRAY || t->kind == SL_MAP ||
            t->kind == SL_STRUCT)
            return bad_args(name, argc, types, a, err);
        fn->ret = sl_type_array(a, t);
    } else if (!strcasecmp(name, "HISTOGRAM")) {
        if (argc != 1 || t->kind != SL_STRING)
            return bad_args(name, argc, types, a, err);
        fn->ret = sl_type_map(a, &sl_type_string, &sl_type_bigint);
    } else if (!strcasecmp(name, "EARLIEST_BY_OFFSET") || !strcasecmp(name, "LATEST_BY_OFFSET")) {
        fn->ignore_nulls = true;
        if (argc >= 2) {
            if (types[1]->kind == SL_BOOLEAN && literals[1]) {
                fn->ignore_nulls = literals[1]->u.b;
            } else if (literal_int(literals[1], &fn->limit)) {
                fn->has_n = true;
                if (argc == 3 && types[2]->kind == SL_BOOLEAN && literals[2])
                    fn->ignore_nulls = literals[2]->u.b;
                else if (argc == 3)
                    return bad_args(name, argc, types, a, err);
            } else {
                return bad_args(name, argc, types, a, err);
            }
            if (fn->has_n && fn->limit <= 0)
                return sl_error_set(err, SL_ERR_INVALID, "%s n must be positive", name);
        }
        fn->ret = fn->has_n ? sl_type_array(a, t) : t;
    } else if (!strncasecmp(name, "STDDEV", 6)) {
        if (argc != 1 || !is_num(t))
            return bad_args(name, argc, types, a, err);
        if (t->kind == SL_DECIMAL) /* ksqlDB has INT, BIGINT and DOUBLE versions */
            fn->arg_type = &sl_type_double;
        fn->ret = &sl_type_double;
    } else if (!strcasecmp(name, "ATTR")) {
        if (argc != 1)
            return bad_args(name, argc, types, a, err);
        fn->ret = t;
    } else if (!strcasecmp(name, "CORRELATION")) {
        if (argc != 2 || !is_num(t) || !is_num(types[1]))
            return bad_args(name, argc, types, a, err);
        fn->arg2_type = types[1];
        fn->ret = &sl_type_double;
    }
    return SL_OK;
}
