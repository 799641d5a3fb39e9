/* ksqlDB's test-harness functions, for `sluice test` only.
 *
 * ksqlDB's query-validation tests load a few UDFs from its test jar
 * (TEST_UDF, TOSTRUCT) to exercise overload resolution and struct parameters
 * and results. They are not part of ksqlDB's function library, so `sluice run`
 * and `sluice check` never see them: cmd_test switches this family on with
 * sl_function_enable_harness().
 *
 * TEST_UDF's overloads each return their own name, so a case shows which one
 * the resolver picked. The pick follows Java/ksqlDB rules: a NULL literal
 * matches any parameter, INT widens to BIGINT, a fixed-arity overload beats
 * a varargs one, fewer widenings beat more. */
#include "sql/fn_util.h"

typedef struct overload {
    const char *name;
    int nparams;
    sl_kind params[3];
    bool varargs; /* every argument must fit params[0] */
} overload;

static const overload test_udf_overloads[] = {
    {"doStuffIntString", 2, {SL_INT, SL_STRING}, false},
    {"doStuffLongString", 2, {SL_BIGINT, SL_STRING}, false},
    {"doStuffLongLongString", 3, {SL_BIGINT, SL_BIGINT, SL_STRING}, false},
    {"doStuffLongVarargs", 1, {SL_BIGINT}, true},
};

/* cost of passing an argument of kind `have` to a parameter of kind `want`:
 * 0 exact or NULL, 1 widening, -1 not allowed */
static int param_cost(sl_kind have, sl_kind want)
{
    if (have == SL_NULLTYPE || have == want)
        return 0;
    if (have == SL_INT && want == SL_BIGINT)
        return 1;
    return -1;
}

static int overload_cost(const overload *o, const sl_fn_args *a)
{
    if (!o->varargs && a->argc != o->nparams)
        return -1;
    int total = 0;
    for (int i = 0; i < a->argc; i++) {
        int c = param_cost(a->types[i]->kind, o->params[o->varargs ? 0 : i]);
        if (c < 0)
            return -1;
        total += c;
    }
    /* varargs only when nothing with a fixed arity fits */
    return o->varargs ? total + 1000 : total;
}

static const sl_type *struct_a_string(sl_arena *arena)
{
    sl_field f = {"A", &sl_type_string};
    return sl_type_struct(arena, 1, &f);
}

static sl_err_t ev_overload_name(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    (void)n, (void)v;
    const char *name = c->state;
    *o = sl_string(name, (uint32_t)strlen(name));
    return SL_OK;
}

static sl_err_t ev_field_a(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    (void)c, (void)n;
    *o = v[0].u.c.items[0];
    return SL_OK;
}

/* a STRUCT<A STRING> holding v[0], or 'foo' when called without arguments */
static sl_err_t ev_struct_a(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    sl_value *items = sl_arena_alloc(c->arena, sizeof *items);
    items[0] = n ? v[0] : sl_string("foo", 3);
    *o = (sl_value){.kind = SL_STRUCT};
    o->u.c.items = items;
    o->u.c.n = 1;
    return SL_OK;
}

static sl_err_t r_test_udf(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc == 0)
        return fn_bind(b, ev_struct_a, struct_a_string(a->arena), false);
    if (a->argc == 1 && a->types[0]->kind == SL_STRUCT) {
        int field = sl_type_field_index(a->types[0], "A");
        if (a->types[0]->nfields != 1 || field != 0 || a->types[0]->fields[0].type->kind != SL_STRING)
            return sl_fn_bad_args(a, "TEST_UDF", e);
        return fn_bind(b, ev_field_a, &sl_type_string, true);
    }
    const overload *best = NULL;
    int best_cost = -1;
    for (size_t i = 0; i < sizeof test_udf_overloads / sizeof *test_udf_overloads; i++) {
        int c = overload_cost(&test_udf_overloads[i], a);
        if (c >= 0 && (best_cost < 0 || c < best_cost))
            best = &test_udf_overloads[i], best_cost = c;
    }
    if (!best)
        return sl_fn_bad_args(a, "TEST_UDF", e);
    b->state = best->name;
    return fn_bind(b, ev_overload_name, &sl_type_string, false);
}

static sl_err_t r_tostruct(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, "TOSTRUCT", e);
    b->arg_types[0] = &sl_type_string;
    return fn_bind(b, ev_struct_a, struct_a_string(a->arena), false);
}

const sl_function_def sl_fn_family_harness[] = {
    {"TEST_UDF", r_test_udf},
    {"TOSTRUCT", r_tostruct},
    {NULL, NULL},
};
