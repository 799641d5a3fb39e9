/* ksqlDB's test-harness UDAFs, for `sluice test` only.
 *
 * ksqlDB's query-validation tests load aggregate functions from its test jar
 * to exercise how UDAFs take their arguments: several columns, variadic
 * columns, generic and any-typed columns, and literal "initial arguments"
 * after the columns that configure the function when it is created. Like
 * the harness UDFs (fn_harness.c) they are not part of ksqlDB's function
 * library, so they exist only while sl_function_enable_harness(true) is on.
 *
 * Their documented behaviour, as each folds a row in:
 *   VAR_ARG(BIGINT, STRING...)        sum of the BIGINTs and the strings' lengths
 *   MID_VAR_ARG(BIGINT, STRING..., INT a, INT b)   the same, a + b added to the result
 *   MULTI_ARG(BIGINT, STRING, INT i, STRING s...)  the same, starting from i + the lengths of s
 *   FOUR_ARG(BIGINT, STRING, STRING, STRING, INT i, STRING s...)       likewise
 *   FIVE_ARG(BIGINT, STRING, STRING, STRING, INT, INT i, STRING s...)  likewise, the INT summed too
 *   GENERIC_VAR_ARG(A, B, C...)   ARRAY<A> of the rows' A where no argument is NULL
 *                                 (the C arguments all of one type)
 *   OBJ_COL_ARG(INT, any...)      ARRAY<INT> likewise
 *   TEST_UDAF(BIGINT) / (INT)     BIGINT sum, undoable (so it aggregates tables)
 *   TEST_UDAF(DOUBLE)             DOUBLE sum
 *   TEST_UDAF(STRING, STRING s)   sum of the lengths, starting from s's length
 *   TEST_UDAF(STRUCT<A INTEGER, B INTEGER>)   the struct of the fields' sums
 * A NULL column adds nothing (0 or no length). Lengths are Java's: UTF-16
 * units. Sums wrap as Java's long and int do. Merging two states (session
 * windows) adds them, the initial value included, as the Java ones do. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/function.h"
#include "sql/udaf.h"
#include "sql/utf16.h"

/* ---- the summing ones: VAR_ARG, MID_VAR_ARG, MULTI_ARG, FOUR_ARG, FIVE_ARG ---- */

/* what a value adds to a sum: an integer itself, a string its length */
static int64_t summand(const sl_value *v)
{
    if (v->null)
        return 0;
    switch (v->kind) {
    case SL_INT: return v->u.i;
    case SL_BIGINT: return v->u.l;
    case SL_STRING: return (int64_t)sl_utf16_length(v->u.s.ptr, v->u.s.len);
    default: return 0;
    }
}
static int64_t wrapping_add(int64_t x, int64_t y)
{
    return (int64_t)((uint64_t)x + (uint64_t)y);
}
static void sum_from_constant_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    (void)a;
    *s = sl_bigint(f->constant);
}
static void sum_from_zero_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    (void)f, (void)a;
    *s = sl_bigint(0);
}
static void sum_columns_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    (void)a;
    for (int i = 0; i < f->ncols; i++)
        s->u.l = wrapping_add(s->u.l, summand(&args[i]));
}
static void bigint_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    (void)f, (void)a;
    s->u.l = wrapping_add(s->u.l, o->u.l);
}
static sl_value state_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    (void)f, (void)a;
    return *s;
}
/* MID_VAR_ARG adds its literals when it maps the state to the result */
static sl_value plus_constant_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    (void)a;
    return sl_bigint(wrapping_add(s->u.l, f->constant));
}

/* ---- the collecting ones: GENERIC_VAR_ARG, OBJ_COL_ARG ---- */
static void list_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    (void)f;
    *s = sl_array_new(a, 0);
}
static void list_append_all(sl_value *s, const sl_value *items, uint32_t n, sl_arena *a)
{
    if (!n)
        return;
    sl_value grown = sl_array_new(a, s->u.c.n + n);
    if (s->u.c.n) /* memcpy's source must not be NULL, even for 0 bytes */
        memcpy(grown.u.c.items, s->u.c.items, s->u.c.n * sizeof(sl_value));
    memcpy(grown.u.c.items + s->u.c.n, items, n * sizeof(sl_value));
    *s = grown;
}
/* the first argument, when none of the row's arguments is NULL */
static void first_if_complete_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    for (int i = 0; i < f->ncols; i++)
        if (args[i].null)
            return;
    list_append_all(s, &args[0], 1, a);
}
static void list_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    (void)f;
    list_append_all(s, o->u.c.items, o->u.c.n, a);
}

/* ---- TEST_UDAF's overloads ---- */
static void test_sum_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    (void)f, (void)a;
    if (args[0].null)
        return;
    if (s->kind == SL_DOUBLE)
        s->u.d += args[0].u.d;
    else
        s->u.l = wrapping_add(s->u.l, summand(&args[0]));
}
static void test_sum_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    (void)f, (void)a;
    if (!args[0].null)
        s->u.l = (int64_t)((uint64_t)s->u.l - (uint64_t)summand(&args[0]));
}
static void test_double_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    (void)f, (void)a;
    *s = sl_double(0);
}
static void test_double_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    (void)f, (void)a;
    s->u.d += o->u.d;
}
/* TEST_UDAF(STRING, s): only the column is summed, not the literal */
static void test_length_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    (void)f, (void)a;
    s->u.l = wrapping_add(s->u.l, summand(&args[0]));
}
static void test_struct_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    (void)f;
    *s = sl_struct_new(a, 2);
    s->u.c.items[0] = sl_int(0);
    s->u.c.items[1] = sl_int(0);
}
/* field by field, as Java's int adds */
static void test_struct_fold(sl_value *s, const sl_value *x)
{
    if (x->null)
        return;
    for (int i = 0; i < 2; i++)
        if (!x->u.c.items[i].null)
            s->u.c.items[i].u.i = (int32_t)((uint32_t)s->u.c.items[i].u.i + (uint32_t)x->u.c.items[i].u.i);
}
static void test_struct_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    (void)f, (void)a;
    test_struct_fold(s, &args[0]);
}
static void test_struct_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    (void)f, (void)a;
    test_struct_fold(s, o);
}

static const sl_udaf harness_udafs[] = {
#define H_VAR_ARG 0
    {"VAR_ARG", false, sum_from_zero_init, sum_columns_add, NULL, bigint_merge, state_result},
#define H_MID_VAR_ARG 1
    {"MID_VAR_ARG", false, sum_from_zero_init, sum_columns_add, NULL, bigint_merge, plus_constant_result},
#define H_MULTI_ARG 2
    {"MULTI_ARG", false, sum_from_constant_init, sum_columns_add, NULL, bigint_merge, state_result},
#define H_FOUR_ARG 3
    {"FOUR_ARG", false, sum_from_constant_init, sum_columns_add, NULL, bigint_merge, state_result},
#define H_FIVE_ARG 4
    {"FIVE_ARG", false, sum_from_constant_init, sum_columns_add, NULL, bigint_merge, state_result},
#define H_GENERIC_VAR_ARG 5
    {"GENERIC_VAR_ARG", false, list_init, first_if_complete_add, NULL, list_merge, state_result},
#define H_OBJ_COL_ARG 6
    {"OBJ_COL_ARG", false, list_init, first_if_complete_add, NULL, list_merge, state_result},
#define H_TEST_SUM_LONG 7
    {"TEST_UDAF", true, sum_from_zero_init, test_sum_add, test_sum_undo, bigint_merge, state_result},
#define H_TEST_SUM_DOUBLE 8
    {"TEST_UDAF", false, test_double_init, test_sum_add, NULL, test_double_merge, state_result},
#define H_TEST_SUM_LENGTH 9
    {"TEST_UDAF", false, sum_from_constant_init, test_length_add, NULL, bigint_merge, state_result},
#define H_TEST_SUM_STRUCT 10
    {"TEST_UDAF", false, test_struct_init, test_struct_add, NULL, test_struct_merge, state_result},
};

/* ---- resolution ---- */

/* Signatures of the summing ones, one letter a parameter: B BIGINT,
 * S STRING, I INTEGER; a '*' makes the letter before it variadic (any
 * number, none included). Columns first, then the literals. */
typedef struct summing_signature {
    int udaf;
    const char *columns;
    const char *literals;
} summing_signature;

static const summing_signature summing[] = {
    {H_VAR_ARG, "BS*", ""},     {H_MID_VAR_ARG, "BS*", "II"},  {H_MULTI_ARG, "BS", "IS*"},
    {H_FOUR_ARG, "BSSS", "IS*"}, {H_FIVE_ARG, "BSSSI", "IS*"},
};

bool sl_udaf_harness_has(const char *name)
{
    if (!sl_function_harness_enabled())
        return false;
    for (size_t i = 0; i < sizeof harness_udafs / sizeof *harness_udafs; i++)
        if (!strcasecmp(harness_udafs[i].name, name))
            return true;
    return false;
}

static sl_err_t bad_args(const char *name, int argc, const sl_type *const *types, sl_arena *a, sl_error *err)
{
    char buf[512] = "";
    size_t n = 0;
    for (int i = 0; i < argc && n < sizeof buf - 64; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", i ? ", " : "",
                              types[i]->kind == SL_NULLTYPE ? "null" : sl_type_to_sql(a, types[i]));
    return sl_error_set(err, SL_ERR_INVALID, "Function '%s' does not accept parameters (%s).", name, buf);
}

/* an argument of type t passed to a parameter of letter p: the same type,
 * an INT widened to BIGINT, or a NULL literal */
static bool fits(const sl_type *t, char p)
{
    if (t->kind == SL_NULLTYPE)
        return true;
    switch (p) {
    case 'B': return t->kind == SL_BIGINT || t->kind == SL_INT;
    case 'S': return t->kind == SL_STRING;
    case 'I': return t->kind == SL_INT;
    default: return false;
    }
}

/* matches types[0..n) against a signature; variadic letters take what the
 * fixed ones leave */
static bool fits_signature(const sl_type *const *types, int n, const char *sig)
{
    int fixed = 0;
    for (const char *c = sig; *c; c++)
        if (c[1] != '*' && *c != '*')
            fixed++;
    bool variadic = strchr(sig, '*') != NULL;
    if (n < fixed || (!variadic && n != fixed))
        return false;
    int k = 0;
    for (const char *c = sig; *c; c++) {
        if (*c == '*')
            continue;
        int take = c[1] == '*' ? n - fixed : 1;
        for (int j = 0; j < take; j++, k++)
            if (!fits(types[k], *c))
                return false;
    }
    return true;
}

/* the literals must be literals: they are fixed when the function is made */
static sl_err_t literals_required(const char *name, int from, int argc, const sl_value *const *literals,
                                  int64_t *constant, sl_error *err)
{
    *constant = 0;
    for (int i = from; i < argc; i++) {
        if (!literals[i])
            return sl_error_set(err, SL_ERR_INVALID,
                                "Parameter %d passed to function %s must be a literal constant", i + 1, name);
        if (literals[i]->null)
            return sl_error_set(err, SL_ERR_INVALID, "Parameter %d passed to function %s must not be NULL", i + 1,
                                name);
        *constant = wrapping_add(*constant, summand(literals[i]));
    }
    return SL_OK;
}

static sl_err_t resolve_summing(const summing_signature *sig, int argc, const sl_type *const *types,
                                const sl_value *const *literals, sl_arena *a, sl_agg_fn *fn, sl_error *err)
{
    const char *name = harness_udafs[sig->udaf].name;
    /* one side has a fixed number of parameters: that fixes the split */
    int nlit = (int)strlen(sig->literals);
    int ncols = strchr(sig->literals, '*') ? (int)strlen(sig->columns) : argc - nlit;
    if (ncols < 0 || ncols > argc || !fits_signature(types, ncols, sig->columns) ||
        !fits_signature(types + ncols, argc - ncols, sig->literals))
        return bad_args(name, argc, types, a, err);
    sl_err_t rc = literals_required(name, ncols, argc, literals, &fn->constant, err);
    if (rc)
        return rc;
    fn->udaf = &harness_udafs[sig->udaf];
    fn->ncols = ncols;
    fn->ret = &sl_type_bigint;
    return SL_OK;
}

/* GENERIC_VAR_ARG(A, B, C...) and OBJ_COL_ARG(INT, any...): ARRAY of the
 * first argument's type */
static sl_err_t resolve_collecting(int which, int argc, const sl_type *const *types, sl_arena *a, sl_agg_fn *fn,
                                   sl_error *err)
{
    const char *name = harness_udafs[which].name;
    int fixed = which == H_GENERIC_VAR_ARG ? 2 : 1;
    if (argc < fixed || types[0]->kind == SL_NULLTYPE)
        return bad_args(name, argc, types, a, err);
    if (which == H_OBJ_COL_ARG && types[0]->kind != SL_INT)
        return bad_args(name, argc, types, a, err);
    /* a generic's type is fixed by its first binding: the C's must agree */
    const sl_type *c = NULL;
    for (int i = fixed; which == H_GENERIC_VAR_ARG && i < argc; i++) {
        if (types[i]->kind == SL_NULLTYPE)
            continue;
        if (c && !sl_type_equal(c, types[i]))
            return bad_args(name, argc, types, a, err);
        c = types[i];
    }
    fn->udaf = &harness_udafs[which];
    fn->ncols = argc;
    fn->ret = sl_type_array(a, types[0]);
    return SL_OK;
}

static sl_err_t resolve_test_udaf(int argc, const sl_type *const *types, const sl_value *const *literals,
                                  sl_arena *a, sl_agg_fn *fn, sl_error *err)
{
    const char *name = "TEST_UDAF";
    fn->ncols = 1;
    if (argc == 2 && fits(types[0], 'S') && fits(types[1], 'S')) {
        sl_err_t rc = literals_required(name, 1, argc, literals, &fn->constant, err);
        if (rc)
            return rc;
        fn->udaf = &harness_udafs[H_TEST_SUM_LENGTH];
        fn->ret = &sl_type_bigint;
        return SL_OK;
    }
    if (argc != 1 || types[0]->kind == SL_NULLTYPE)
        return bad_args(name, argc, types, a, err);
    const sl_type *t = types[0];
    sl_field ab[2] = {{"A", &sl_type_int}, {"B", &sl_type_int}};
    const sl_type *struct_ab = sl_type_struct(a, 2, ab);
    switch (t->kind) {
    case SL_INT: /* sums into a BIGINT */
    case SL_BIGINT:
        fn->udaf = &harness_udafs[H_TEST_SUM_LONG];
        fn->ret = &sl_type_bigint;
        return SL_OK;
    case SL_DOUBLE:
        fn->udaf = &harness_udafs[H_TEST_SUM_DOUBLE];
        fn->ret = &sl_type_double;
        return SL_OK;
    default:
        if (sl_type_equal(t, struct_ab)) {
            fn->udaf = &harness_udafs[H_TEST_SUM_STRUCT];
            fn->ret = struct_ab;
            return SL_OK;
        }
        /* what the generic overload (T extends Number) says of other types */
        return sl_error_set(err, SL_ERR_INVALID, "Type %s is not handled.", sl_type_to_sql(a, t));
    }
}

sl_err_t sl_udaf_harness_resolve(const char *name, int argc, const sl_type *const *types,
                                 const sl_value *const *literals, sl_arena *a, sl_agg_fn *fn, sl_error *err)
{
    memset(fn, 0, sizeof *fn);
    fn->arg_type = argc ? types[0] : NULL;
    for (size_t i = 0; i < sizeof summing / sizeof *summing; i++)
        if (!strcasecmp(harness_udafs[summing[i].udaf].name, name))
            return resolve_summing(&summing[i], argc, types, literals, a, fn, err);
    if (!strcasecmp(name, "GENERIC_VAR_ARG"))
        return resolve_collecting(H_GENERIC_VAR_ARG, argc, types, a, fn, err);
    if (!strcasecmp(name, "OBJ_COL_ARG"))
        return resolve_collecting(H_OBJ_COL_ARG, argc, types, a, fn, err);
    return resolve_test_udaf(argc, types, literals, a, fn, err);
}
