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

/* BAD_UDF: INT -> STRING always fails; BOOLEAN -> INT fails when TRUE
 * (else 0); STRING -> STRING is NULL on every other call, starting with the
 * first (a count per call site: ksqlDB makes one instance per expression) */
static sl_err_t ev_bad_blow_up(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    (void)n, (void)v, (void)o;
    return sl_error_set(c->err, SL_ERR_RUNTIME, "boom!");
}

static sl_err_t ev_bad_might_throw(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    (void)n;
    if (!v[0].null && v[0].u.b)
        return sl_error_set(c->err, SL_ERR_RUNTIME, "You asked me to throw...");
    *o = sl_int(0);
    return SL_OK;
}

static sl_err_t ev_bad_return_null(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    (void)n;
    int64_t *calls = (int64_t *)c->state; /* sluice test runs one thread */
    *o = (*calls)++ % 2 == 0 ? sl_null(SL_STRING) : v[0];
    return SL_OK;
}

static sl_err_t r_bad_udf(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1)
        return sl_fn_bad_args(a, "BAD_UDF", e);
    if (fn_kind(a, 0, SL_INT)) {
        b->arg_types[0] = &sl_type_int;
        return fn_bind(b, ev_bad_blow_up, &sl_type_string, false);
    }
    if (fn_kind(a, 0, SL_BOOLEAN)) {
        b->arg_types[0] = &sl_type_boolean;
        return fn_bind(b, ev_bad_might_throw, &sl_type_int, false);
    }
    if (fn_kind(a, 0, SL_STRING)) {
        b->arg_types[0] = &sl_type_string;
        b->state = sl_arena_calloc(a->arena, 1, sizeof(int64_t));
        return fn_bind(b, ev_bad_return_null, &sl_type_string, false);
    }
    return sl_fn_bad_args(a, "BAD_UDF", e);
}

/* WHENCONDITION(ret BOOLEAN, evaluated BOOLEAN) and WHENRESULT(ret INT,
 * evaluated BOOLEAN) fail when called with evaluated FALSE: the corpus
 * uses them to check that CASE evaluates only the branches it needs */
static sl_err_t ev_when(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    (void)n;
    if (v[1].null || !v[1].u.b)
        return sl_error_set(c->err, SL_ERR_RUNTIME, "%s", (const char *)c->state);
    *o = v[0];
    return SL_OK;
}

static sl_err_t r_when(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, const sl_type *ret,
                       const char *failure)
{
    if (a->argc != 2 || !fn_kind(a, 0, ret->kind) || !fn_kind(a, 1, SL_BOOLEAN))
        return sl_fn_bad_args(a, name, e);
    b->arg_types[0] = ret;
    b->arg_types[1] = &sl_type_boolean;
    b->state = failure;
    return fn_bind(b, ev_when, ret, false);
}

static sl_err_t r_when_condition(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_when(a, b, e, "WHENCONDITION", &sl_type_boolean, "When condition in case is not running lazily!");
}

static sl_err_t r_when_result(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_when(a, b, e, "WHENRESULT", &sl_type_int, "Then expression in case is not running lazily!");
}

/* TEST_UDTF's lists (the planner explodes them, see plan.c): one argument
 * gives a list of itself (a DECIMAL as DECIMAL(30, 10), the schema its
 * provider gives); (INT, BIGINT, DOUBLE, BOOLEAN, STRING, DECIMAL,
 * STRUCT<A STRING>) gives each one's Java toString. The overloads taking
 * lists and maps of those are not provided. */
static sl_err_t ev_list_of_one(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    (void)n;
    *o = sl_array_new(c->arena, 1);
    o->u.c.items[0] = v[0];
    return SL_OK;
}

static sl_err_t ev_list_of_strings(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const sl_type *const *types = c->state;
    *o = sl_array_new(c->arena, (uint32_t)n);
    for (int i = 0; i < n; i++)
        o->u.c.items[i] = v[i].null ? sl_null(SL_STRING) : sl_cast_typed_to_string(&v[i], types[i], c->arena);
    return SL_OK;
}

static bool is_struct_a_string(const sl_type *t)
{
    return t->kind == SL_STRUCT && t->nfields == 1 && !strcmp(t->fields[0].name, "A") &&
           t->fields[0].type->kind == SL_STRING;
}

static sl_err_t r_test_udtf(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc == 1 && a->types[0]->kind != SL_NULLTYPE) {
        const sl_type *t = a->types[0];
        if (t->kind == SL_DECIMAL)
            t = sl_type_decimal(a->arena, 30, 10);
        else if (t->kind != SL_INT && t->kind != SL_BIGINT && t->kind != SL_DOUBLE && t->kind != SL_BOOLEAN &&
                 t->kind != SL_STRING && !is_struct_a_string(t))
            return sl_fn_bad_args(a, "TEST_UDTF", e);
        b->arg_types[0] = t;
        return fn_bind(b, ev_list_of_one, sl_type_array(a->arena, t), true);
    }
    static const sl_kind standard[] = {SL_INT, SL_BIGINT, SL_DOUBLE, SL_BOOLEAN, SL_STRING, SL_DECIMAL, SL_STRUCT};
    if (a->argc != 7)
        return sl_fn_bad_args(a, "TEST_UDTF", e);
    const sl_type **types = sl_arena_calloc(a->arena, 7, sizeof *types);
    for (int i = 0; i < 7; i++) {
        const sl_type *t = a->types[i];
        bool widens = (t->kind == SL_INT && (standard[i] == SL_BIGINT || standard[i] == SL_DOUBLE)) ||
                      (t->kind == SL_BIGINT && standard[i] == SL_DOUBLE);
        if (t->kind != standard[i] && !widens)
            return sl_fn_bad_args(a, "TEST_UDTF", e);
        if (standard[i] == SL_STRUCT && !is_struct_a_string(t))
            return sl_fn_bad_args(a, "TEST_UDTF", e);
        types[i] = standard[i] == SL_BIGINT ? &sl_type_bigint : standard[i] == SL_DOUBLE ? &sl_type_double : t;
        b->arg_types[i] = types[i];
    }
    b->state = types;
    return fn_bind(b, ev_list_of_strings, sl_type_array(a->arena, &sl_type_string), false);
}

const sl_function_def sl_fn_family_harness[] = {
    {"TEST_UDTF", r_test_udtf},
    {"TEST_UDF", r_test_udf},
    {"TOSTRUCT", r_tostruct},
    {"BAD_UDF", r_bad_udf},
    {"WHENCONDITION", r_when_condition},
    {"WHENRESULT", r_when_result},
    {NULL, NULL},
};
