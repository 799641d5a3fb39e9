/* Expression compiler (see expr.h). Type rules follow ksqlDB:
 *  - arithmetic: INT op INT -> INT, with BIGINT -> BIGINT, with DOUBLE ->
 *    DOUBLE, DECIMAL results sized as ksqlDB (and SQL Server) size them;
 *    integer overflow wraps like Java; integer division by zero is an error.
 *  - comparisons convert both sides to their common type first.
 *  - logic is ksqlDB's generated Java, not SQL's three-valued logic:
 *    comparisons, BETWEEN and IN are false (never NULL) when a side is
 *    NULL; AND/OR/NOT short-circuit and fail on a NULL operand they reach
 *    (NULL result, processing log); IS NULL never returns NULL.
 * Runtime errors make the expression NULL and are reported through the
 * evaluation context (the caller sends them to the processing log). */
#include "sql/expr.h"
#include "common/datefmt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/cast.h"
#include "sql/udaf.h"

void sl_eval_error(sl_eval_ctx *ctx, const char *fmt, ...)
{
    if (!ctx->errors++ && ctx->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err->msg, sizeof ctx->err->msg, fmt, ap);
        va_end(ap);
        ctx->err->code = SL_ERR_RUNTIME;
    }
}

static sl_cexpr *node(sl_arena *a, sl_eval_fn fn, const sl_type *type, int nargs)
{
    sl_cexpr *e = sl_arena_calloc(a, 1, sizeof *e);
    e->eval = fn;
    e->type = type;
    e->nargs = nargs;
    if (nargs)
        e->args = sl_arena_calloc(a, (size_t)nargs, sizeof *e->args);
    return e;
}

#define FAIL(code, x, ...)                                                                     \
    do {                                                                                       \
        char _m[512];                                                                          \
        snprintf(_m, sizeof _m - 1, __VA_ARGS__);                                                  \
        sl_error_at(err, code, scope->file, (x)->pos.line, (x)->pos.col, "%.500s", _m);            \
        return NULL;                                                                           \
    } while (0)

/* ---------- leaves ---------- */

static void ev_literal(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    *out = e->lit;
}

static void ev_column(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    *out = ctx->row[e->index];
}

static void ev_identity(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_cexpr_eval(e->args[0], ctx, out);
}

static void ev_lambda_var(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    *out = ctx->lambda_vals[e->index];
}

sl_cexpr *sl_cexpr_literal(sl_arena *a, sl_value v, const sl_type *type)
{
    sl_cexpr *e = node(a, ev_literal, type, 0);
    e->lit = v;
    if (v.null)
        e->lit.kind = (uint8_t)type->kind;
    return e;
}

sl_cexpr *sl_cexpr_column(sl_arena *a, int index, const sl_type *type)
{
    sl_cexpr *e = node(a, ev_column, type, 0);
    e->index = index;
    return e;
}

/* ---------- casts ---------- */

static void ev_cast(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v;
    sl_cexpr_eval(e->args[0], ctx, &v);
    sl_error err;
    sl_error_init(&err);
    if (sl_cast_value(&v, e->type, ctx->arena, out, &err)) {
        sl_eval_error(ctx, "%s", err.msg);
        *out = sl_null(e->type->kind);
    }
}

/* a value of type `from` as type `to`, through ARRAYs and MAPs into
 * STRUCTs, whose fields are matched by name (a missing one is NULL):
 * sl_cast_value alone cannot, it does not know the fields' names */
static sl_err_t cast_typed(const sl_value *v, const sl_type *from, const sl_type *to, sl_arena *a, sl_value *out,
                           sl_error *err)
{
    if (v->null) {
        *out = sl_null(to->kind);
        return SL_OK;
    }
    if (from->kind == SL_STRUCT && to->kind == SL_STRUCT) {
        sl_value o = sl_struct_new(a, (uint32_t)to->nfields);
        for (int i = 0; i < to->nfields; i++) {
            int j = sl_type_field_index(from, to->fields[i].name);
            if (j < 0 || (uint32_t)j >= v->u.c.n)
                o.u.c.items[i] = sl_null(to->fields[i].type->kind);
            else if (cast_typed(&v->u.c.items[j], from->fields[j].type, to->fields[i].type, a, &o.u.c.items[i], err))
                return SL_ERR_RUNTIME;
        }
        *out = o;
        return SL_OK;
    }
    if (from->kind == SL_ARRAY && to->kind == SL_ARRAY) {
        sl_value o = sl_array_new(a, v->u.c.n);
        for (uint32_t i = 0; i < v->u.c.n; i++)
            if (cast_typed(&v->u.c.items[i], from->elem, to->elem, a, &o.u.c.items[i], err))
                return SL_ERR_RUNTIME;
        *out = o;
        return SL_OK;
    }
    if (from->kind == SL_MAP && to->kind == SL_MAP) {
        sl_value o = sl_map_new(a, v->u.c.n);
        for (uint32_t i = 0; i < v->u.c.n; i++)
            if (cast_typed(&v->u.c.items[2 * i], from->key, to->key, a, &o.u.c.items[2 * i], err) ||
                cast_typed(&v->u.c.items[2 * i + 1], from->elem, to->elem, a, &o.u.c.items[2 * i + 1], err))
                return SL_ERR_RUNTIME;
        *out = o;
        return SL_OK;
    }
    return sl_cast_value(v, to, a, out, err);
}

static void ev_cast_struct(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    /* STRUCT -> STRUCT: fields matched by name, each cast (a field that
     * fails is NULL); also ARRAYs and MAPs of them */
    sl_value v;
    sl_cexpr_eval(e->args[0], ctx, &v);
    const sl_type *from = e->args[0]->type, *to = e->type;
    if (v.null || from->kind != SL_STRUCT) {
        sl_error err;
        sl_error_init(&err);
        if (cast_typed(&v, from, to, ctx->arena, out, &err)) {
            sl_eval_error(ctx, "%s", err.msg);
            *out = sl_null(to->kind);
        }
        return;
    }
    sl_value o = sl_struct_new(ctx->arena, (uint32_t)to->nfields);
    for (int i = 0; i < to->nfields; i++) {
        int j = sl_type_field_index(from, to->fields[i].name);
        if (j < 0 || (uint32_t)j >= v.u.c.n) {
            o.u.c.items[i] = sl_null(to->fields[i].type->kind);
            continue;
        }
        sl_error err;
        sl_error_init(&err);
        if (cast_typed(&v.u.c.items[j], from->fields[j].type, to->fields[i].type, ctx->arena, &o.u.c.items[i], &err)) {
            sl_eval_error(ctx, "%s", err.msg);
            o.u.c.items[i] = sl_null(to->fields[i].type->kind);
        }
    }
    *out = o;
}

static void ev_to_string_typed(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v;
    sl_cexpr_eval(e->args[0], ctx, &v);
    *out = sl_cast_typed_to_string(&v, e->args[0]->type, ctx->arena);
}

sl_cexpr *sl_cexpr_cast(sl_arena *a, sl_cexpr *x, const sl_type *to)
{
    if (sl_type_equal(x->type, to))
        return x;
    if (x->eval == ev_literal && x->lit.null) {
        return sl_cexpr_literal(a, sl_null(to->kind), to);
    }
    sl_eval_fn fn = ev_cast;
    if ((to->kind == SL_STRUCT || to->kind == SL_ARRAY || to->kind == SL_MAP) && x->type->kind == to->kind)
        fn = ev_cast_struct;
    else if (to->kind == SL_STRING && (x->type->kind == SL_STRUCT || x->type->kind == SL_ARRAY ||
                                       x->type->kind == SL_MAP))
        fn = ev_to_string_typed;
    sl_cexpr *e = node(a, fn, to, 1);
    e->args[0] = x;
    return e;
}

/* ---------- arithmetic ---------- */

enum { A_ADD, A_SUB, A_MUL, A_DIV, A_MOD };

static void ev_arith_int(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value l, r;
    sl_cexpr_eval(e->args[0], ctx, &l);
    sl_cexpr_eval(e->args[1], ctx, &r);
    if (l.null || r.null) {
        ctx->lambda_fault |= ctx->lambda_depth > 0;
        *out = sl_null(SL_INT);
        return;
    }
    uint32_t a = (uint32_t)l.u.i, b = (uint32_t)r.u.i;
    int32_t v;
    switch (e->op) {
    case A_ADD: v = (int32_t)(a + b); break;
    case A_SUB: v = (int32_t)(a - b); break;
    case A_MUL: v = (int32_t)(a * b); break;
    default:
        if (r.u.i == 0) {
            sl_eval_error(ctx, "/ by zero");
            *out = sl_null(SL_INT);
            return;
        }
        if (l.u.i == INT32_MIN && r.u.i == -1)
            v = e->op == A_DIV ? INT32_MIN : 0;
        else
            v = e->op == A_DIV ? l.u.i / r.u.i : l.u.i % r.u.i;
    }
    *out = sl_int(v);
}

static void ev_arith_bigint(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value l, r;
    sl_cexpr_eval(e->args[0], ctx, &l);
    sl_cexpr_eval(e->args[1], ctx, &r);
    if (l.null || r.null) {
        ctx->lambda_fault |= ctx->lambda_depth > 0;
        *out = sl_null(SL_BIGINT);
        return;
    }
    uint64_t a = (uint64_t)l.u.l, b = (uint64_t)r.u.l;
    int64_t v;
    switch (e->op) {
    case A_ADD: v = (int64_t)(a + b); break;
    case A_SUB: v = (int64_t)(a - b); break;
    case A_MUL: v = (int64_t)(a * b); break;
    default:
        if (r.u.l == 0) {
            sl_eval_error(ctx, "/ by zero");
            *out = sl_null(SL_BIGINT);
            return;
        }
        if (l.u.l == INT64_MIN && r.u.l == -1)
            v = e->op == A_DIV ? INT64_MIN : 0;
        else
            v = e->op == A_DIV ? l.u.l / r.u.l : l.u.l % r.u.l;
    }
    *out = sl_bigint(v);
}

static void ev_arith_double(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value l, r;
    sl_cexpr_eval(e->args[0], ctx, &l);
    sl_cexpr_eval(e->args[1], ctx, &r);
    if (l.null || r.null) {
        ctx->lambda_fault |= ctx->lambda_depth > 0;
        *out = sl_null(SL_DOUBLE);
        return;
    }
    double a = l.u.d, b = r.u.d, v;
    switch (e->op) {
    case A_ADD: v = a + b; break;
    case A_SUB: v = a - b; break;
    case A_MUL: v = a * b; break;
    case A_DIV: v = a / b; break;
    default: v = fmod(a, b);
    }
    *out = sl_double(v);
}

static void ev_arith_decimal(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value l, r;
    sl_cexpr_eval(e->args[0], ctx, &l);
    sl_cexpr_eval(e->args[1], ctx, &r);
    int p = e->type->precision, s = e->type->scale;
    if (l.null || r.null) {
        ctx->lambda_fault |= ctx->lambda_depth > 0;
        *out = sl_null(SL_DECIMAL);
        return;
    }
    int s1 = l.u.dec.scale, s2 = r.u.dec.scale;
    sl_i128 a = l.u.dec.unscaled, b = r.u.dec.unscaled, v;
    switch (e->op) {
    case A_ADD:
    case A_SUB: {
        int m = s1 > s2 ? s1 : s2;
        a = sl_decimal_rescale(a, s1, m);
        b = sl_decimal_rescale(b, s2, m);
        v = sl_decimal_rescale(e->op == A_ADD ? a + b : a - b, m, s);
        break;
    }
    case A_MUL: v = sl_decimal_rescale(a * b, s1 + s2, s); break;
    case A_DIV: {
        if (b == 0) {
            sl_eval_error(ctx, "Division by zero");
            *out = sl_null(SL_DECIMAL);
            return;
        }
        /* a/b at scale s: (a * 10^(s - s1 + s2 + 1) / b) then round one digit */
        int shift = s - s1 + s2 + 1;
        sl_i128 num = shift >= 0 ? a * sl_pow10(shift) : a / sl_pow10(-shift);
        v = sl_decimal_rescale(num / b, s + 1, s);
        break;
    }
    default: {
        if (b == 0) {
            sl_eval_error(ctx, "Division by zero");
            *out = sl_null(SL_DECIMAL);
            return;
        }
        int m = s1 > s2 ? s1 : s2;
        a = sl_decimal_rescale(a, s1, m);
        b = sl_decimal_rescale(b, s2, m);
        v = sl_decimal_rescale(a % b, m, s);
    }
    }
    if (!sl_decimal_fits(v, p)) {
        sl_eval_error(ctx, "Numeric field overflow");
        *out = sl_null(SL_DECIMAL);
        return;
    }
    *out = sl_decimal(v, p, s);
}

static void ev_concat(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value l, r;
    sl_cexpr_eval(e->args[0], ctx, &l);
    sl_cexpr_eval(e->args[1], ctx, &r);
    if (l.null || r.null) {
        /* ksqlDB's + on strings treats null as "null"? no: result is null */
        *out = sl_null(SL_STRING);
        return;
    }
    char *p = sl_arena_alloc(ctx->arena, (size_t)l.u.s.len + r.u.s.len + 1);
    memcpy(p, l.u.s.ptr, l.u.s.len);
    memcpy(p + l.u.s.len, r.u.s.ptr, r.u.s.len);
    p[l.u.s.len + r.u.s.len] = 0;
    *out = sl_string(p, l.u.s.len + r.u.s.len);
}

static const sl_type *decimal_result(sl_arena *a, int op, const sl_type *x, const sl_type *y)
{
    int p1 = x->precision, s1 = x->scale, p2 = y->precision, s2 = y->scale, p, s;
    switch (op) {
    case A_ADD:
    case A_SUB:
        s = s1 > s2 ? s1 : s2;
        p = ((p1 - s1) > (p2 - s2) ? (p1 - s1) : (p2 - s2)) + s + 1;
        break;
    case A_MUL:
        p = p1 + p2 + 1;
        s = s1 + s2;
        break;
    case A_DIV:
        s = 6 > s1 + p2 + 1 ? 6 : s1 + p2 + 1;
        p = p1 - s1 + s2 + s;
        break;
    default:
        s = s1 > s2 ? s1 : s2;
        p = ((p1 - s1) < (p2 - s2) ? (p1 - s1) : (p2 - s2)) + s;
    }
    if (p > 38) {
        s = s - (p - 38) > 0 ? s - (p - 38) : 0;
        p = 38;
    }
    if (s > p)
        s = p;
    if (p < 1)
        p = 1;
    return sl_type_decimal(a, p, s);
}

static const sl_type *as_decimal_type(sl_arena *a, const sl_type *t)
{
    if (t->kind == SL_INT)
        return sl_type_decimal(a, 10, 0);
    if (t->kind == SL_BIGINT)
        return sl_type_decimal(a, 19, 0);
    return t;
}

static sl_cexpr *compile_arith(sl_scope *scope, const sl_expr *x, int op, sl_cexpr *l, sl_cexpr *r,
                               sl_error *err)
{
    sl_arena *a = scope->arena;
    const sl_type *lt = l->type, *rt = r->type;
    if (lt->kind == SL_NULLTYPE && rt->kind == SL_NULLTYPE)
        FAIL(SL_ERR_INVALID, x, "Arithmetic on types NULL and NULL are not supported.");
    if (lt->kind == SL_NULLTYPE)
        lt = rt;
    if (rt->kind == SL_NULLTYPE)
        rt = lt;
    if (op == A_ADD && lt->kind == SL_STRING && rt->kind == SL_STRING) {
        sl_cexpr *e = node(a, ev_concat, &sl_type_string, 2);
        e->args[0] = sl_cexpr_cast(a, l, &sl_type_string);
        e->args[1] = sl_cexpr_cast(a, r, &sl_type_string);
        return e;
    }
    if (!sl_type_is_numeric(lt) || !sl_type_is_numeric(rt)) {
        static const char *ops[] = {"+", "-", "*", "/", "%"};
        FAIL(SL_ERR_INVALID, x, "Error processing expression: Unsupported arithmetic types. %s %s %s",
             sl_type_to_sql(a, lt), ops[op], sl_type_to_sql(a, rt));
    }
    const sl_type *t;
    sl_eval_fn fn;
    if (lt->kind == SL_DOUBLE || rt->kind == SL_DOUBLE) {
        t = &sl_type_double;
        fn = ev_arith_double;
    } else if (lt->kind == SL_DECIMAL || rt->kind == SL_DECIMAL) {
        const sl_type *dl = as_decimal_type(a, lt), *dr = as_decimal_type(a, rt);
        l = sl_cexpr_cast(a, l, dl);
        r = sl_cexpr_cast(a, r, dr);
        sl_cexpr *e = node(a, ev_arith_decimal, decimal_result(a, op, dl, dr), 2);
        e->op = op;
        e->args[0] = l;
        e->args[1] = r;
        return e;
    } else if (lt->kind == SL_BIGINT || rt->kind == SL_BIGINT) {
        t = &sl_type_bigint;
        fn = ev_arith_bigint;
    } else {
        t = &sl_type_int;
        fn = ev_arith_int;
    }
    sl_cexpr *e = node(a, fn, t, 2);
    e->op = op;
    e->args[0] = sl_cexpr_cast(a, l, t);
    e->args[1] = sl_cexpr_cast(a, r, t);
    return e;
}

static void ev_neg(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v;
    sl_cexpr_eval(e->args[0], ctx, &v);
    *out = v;
    if (v.null)
        return;
    switch (v.kind) {
    case SL_INT: out->u.i = (int32_t)(0u - (uint32_t)v.u.i); break;
    case SL_BIGINT: out->u.l = (int64_t)(0ull - (uint64_t)v.u.l); break;
    case SL_DOUBLE: out->u.d = -v.u.d; break;
    case SL_DECIMAL: out->u.dec.unscaled = -v.u.dec.unscaled; break;
    }
}

/* ---------- comparison and logic ---------- */

enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };

static bool cmp_result(int op, int c)
{
    switch (op) {
    case C_EQ: return c == 0;
    case C_NE: return c != 0;
    case C_LT: return c < 0;
    case C_LE: return c <= 0;
    case C_GT: return c > 0;
    default: return c >= 0;
    }
}

static void ev_compare(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value l, r;
    sl_cexpr_eval(e->args[0], ctx, &l);
    sl_cexpr_eval(e->args[1], ctx, &r);
    if (l.null || r.null) {
        /* ksqlDB's generated code answers false, not NULL, when a side is null */
        *out = sl_bool(false);
        return;
    }
    int c;
    if (e->op == C_EQ || e->op == C_NE)
        c = sl_value_equal(&l, &r) ? 0 : 1;
    else
        c = sl_value_compare(&l, &r);
    *out = sl_bool(cmp_result(e->op, c));
}

static bool comparable(const sl_type *a, const sl_type *b)
{
    if (a->kind == SL_NULLTYPE || b->kind == SL_NULLTYPE)
        return true;
    if (sl_type_is_numeric(a) && sl_type_is_numeric(b))
        return true;
    if ((a->kind == SL_TIMESTAMP || a->kind == SL_DATE || a->kind == SL_TIME || a->kind == SL_STRING) &&
        (b->kind == SL_TIMESTAMP || b->kind == SL_DATE || b->kind == SL_TIME || b->kind == SL_STRING))
        return a->kind == b->kind || a->kind == SL_STRING || b->kind == SL_STRING ||
               (a->kind != SL_TIME && b->kind != SL_TIME);
    return a->kind == b->kind;
}

/* ksqlDB's "magic" timestamps: a string literal compared with ROWTIME,
 * WINDOWSTART or WINDOWEND is read as a point in time, with any trailing
 * part left out ('2018', '2019-01-01T00:00:00+0445'); UTC unless an offset
 * is given. Anywhere else a BIGINT does not compare with a STRING. */
static bool is_time_pseudo_column(const sl_expr *e)
{
    return e->kind == SL_E_COLUMN && (!strcmp(e->u.col.name, "ROWTIME") || !strcmp(e->u.col.name, "WINDOWSTART") ||
                                      !strcmp(e->u.col.name, "WINDOWEND"));
}

static bool parse_partial_timestamp(const char *s, size_t n, int64_t *ms)
{
    int fields[6] = {0, 1, 1, 0, 0, 0}; /* year month day hour minute second */
    static const char seps[6] = {0, '-', '-', 'T', ':', ':'};
    static const int widths[6] = {4, 2, 2, 2, 2, 2};
    size_t i = 0;
    int k = 0, millis = 0;
    for (; k < 6; k++) {
        if (k > 0) {
            if (i >= n || s[i] != seps[k])
                break;
            i++;
        }
        int v = 0;
        for (int d = 0; d < widths[k]; d++, i++) {
            if (i >= n || s[i] < '0' || s[i] > '9')
                return false;
            v = v * 10 + (s[i] - '0');
        }
        fields[k] = v;
    }
    if (k == 6 && i < n && s[i] == '.') {
        int scale = 100;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
            millis += (s[i] - '0') * scale;
    }
    int offset = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, digits[4], nd = 0;
        for (i++; i < n && nd < 4; i++)
            if (s[i] >= '0' && s[i] <= '9')
                digits[nd++] = s[i] - '0';
            else if (s[i] != ':')
                return false;
        if (nd != 2 && nd != 4)
            return false;
        offset = sign * ((digits[0] * 10 + digits[1]) * 3600 + (nd == 4 ? (digits[2] * 10 + digits[3]) * 60 : 0));
    }
    if (i != n || fields[1] < 1 || fields[1] > 12 || fields[2] < 1 || fields[2] > 31 || fields[3] > 23 ||
        fields[4] > 59 || fields[5] > 59)
        return false;
    int64_t days = sl_days_from_civil(fields[0], (unsigned)fields[1], (unsigned)fields[2]);
    *ms = days * 86400000 + (int64_t)fields[3] * 3600000 + (int64_t)fields[4] * 60000 + (int64_t)fields[5] * 1000 +
          millis - (int64_t)offset * 1000;
    return true;
}

/* the literal side of a comparison with a time pseudo column, as a BIGINT */
static sl_cexpr *magic_time(sl_scope *scope, const sl_expr *col, const sl_expr *lit_ast, sl_cexpr *lit,
                            sl_error *err)
{
    if (!is_time_pseudo_column(col) || lit_ast->kind != SL_E_LITERAL || lit->type->kind != SL_STRING ||
        lit->lit.null)
        return lit;
    int64_t ms;
    if (!parse_partial_timestamp(lit->lit.u.s.ptr, lit->lit.u.s.len, &ms)) {
        sl_error_at(err, SL_ERR_INVALID, scope->file, lit_ast->pos.line, lit_ast->pos.col,
                    "Failed to parse '%.*s' as a timestamp: use yyyy-MM-dd'T'HH:mm:ss.SSS, optionally with a "
                    "trailing part left out and a UTC offset", (int)(lit->lit.u.s.len > 80 ? 80 : lit->lit.u.s.len),
                    lit->lit.u.s.ptr);
        return NULL;
    }
    return sl_cexpr_literal(scope->arena, sl_bigint(ms), &sl_type_bigint);
}

static sl_cexpr *compile_compare(sl_scope *scope, const sl_expr *x, int op, sl_cexpr *l, sl_cexpr *r,
                                 sl_error *err)
{
    sl_arena *a = scope->arena;
    static const char *ops[] = {"=", "<>", "<", "<=", ">", ">="};
    if (l->type->kind == SL_NULLTYPE && r->type->kind == SL_NULLTYPE)
        FAIL(SL_ERR_INVALID, x, "Comparison with NULL not supported: NULL %s NULL", ops[op]);
    if (!comparable(l->type, r->type))
        FAIL(SL_ERR_INVALID, x, "Cannot compare %s to %s with %s.", sl_type_to_sql(a, l->type),
             sl_type_to_sql(a, r->type), ops[op]);
    if ((l->type->kind == SL_ARRAY || l->type->kind == SL_MAP || l->type->kind == SL_STRUCT) &&
        op != C_EQ && op != C_NE)
        FAIL(SL_ERR_INVALID, x, "Cannot compare %s with %s.", sl_type_to_sql(a, l->type), ops[op]);
    if (l->type->kind == SL_BOOLEAN && op != C_EQ && op != C_NE)
        FAIL(SL_ERR_INVALID, x, "Cannot compare BOOLEAN with %s.", ops[op]);
    const sl_type *t = NULL;
    sl_kind lk = l->type->kind, rk = r->type->kind;
    if (lk == SL_STRING && (rk == SL_TIMESTAMP || rk == SL_DATE || rk == SL_TIME))
        t = r->type;
    else if (rk == SL_STRING && (lk == SL_TIMESTAMP || lk == SL_DATE || lk == SL_TIME))
        t = l->type;
    else if ((lk == SL_DATE && rk == SL_TIMESTAMP) || (lk == SL_TIMESTAMP && rk == SL_DATE))
        t = &sl_type_timestamp;
    else if (sl_type_is_numeric(l->type) && sl_type_is_numeric(r->type))
        t = NULL; /* compared numerically as they are */
    else
        t = NULL;
    sl_cexpr *e = node(a, ev_compare, &sl_type_boolean, 2);
    e->op = op;
    e->args[0] = t ? sl_cexpr_cast(a, l, t) : l;
    e->args[1] = t ? sl_cexpr_cast(a, r, t) : r;
    return e;
}

static void ev_distinct(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value l, r;
    sl_cexpr_eval(e->args[0], ctx, &l);
    sl_cexpr_eval(e->args[1], ctx, &r);
    bool same = (l.null && r.null) || (!l.null && !r.null && sl_value_equal(&l, &r));
    *out = sl_bool(e->op ? same : !same);
}

/* AND, OR and NOT as ksqlDB's generated Java evaluates them: && and || on
 * boxed Booleans, left to right with short-circuit, and a NULL operand
 * that is reached fails the expression (a NullPointerException there:
 * the row's value is NULL and the failure goes to the processing log).
 * Comparisons, IN and BETWEEN never give NULL, so only a NULL BOOLEAN
 * column or function result gets here. */
static bool logic_operand(const sl_cexpr *e, int i, const char *op, sl_eval_ctx *ctx, sl_value *out, bool *b)
{
    sl_value v;
    sl_cexpr_eval(e->args[i], ctx, &v);
    if (v.null) {
        sl_eval_error(ctx, "NULL BOOLEAN operand of %s", op);
        *out = sl_null(SL_BOOLEAN);
        return false;
    }
    *b = v.u.b;
    return true;
}

static void ev_and(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    bool l, r;
    if (!logic_operand(e, 0, "AND", ctx, out, &l))
        return;
    if (!l) {
        *out = sl_bool(false);
        return;
    }
    if (logic_operand(e, 1, "AND", ctx, out, &r))
        *out = sl_bool(r);
}

static void ev_or(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    bool l, r;
    if (!logic_operand(e, 0, "OR", ctx, out, &l))
        return;
    if (l) {
        *out = sl_bool(true);
        return;
    }
    if (logic_operand(e, 1, "OR", ctx, out, &r))
        *out = sl_bool(r);
}

static void ev_not(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    bool v;
    if (logic_operand(e, 0, "NOT", ctx, out, &v))
        *out = sl_bool(!v);
}

static void ev_is_null(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v;
    sl_cexpr_eval(e->args[0], ctx, &v);
    *out = sl_bool(e->op ? !v.null : v.null);
}

static void ev_in(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v;
    sl_cexpr_eval(e->args[0], ctx, &v);
    /* ksqlDB: NULL matches nothing, on either side; IN is never NULL, so
     * NULL NOT IN (...) is true */
    if (v.null) {
        *out = sl_bool(e->op);
        return;
    }
    for (int i = 1; i < e->nargs; i++) {
        sl_value c;
        sl_cexpr_eval(e->args[i], ctx, &c);
        if (!c.null && sl_value_equal(&v, &c)) {
            *out = sl_bool(!e->op);
            return;
        }
    }
    *out = sl_bool(e->op);
}

/* ---------- LIKE ---------- */

static bool like_match(const char *s, const char *se, const char *p, const char *pe, char esc)
{
    while (p < pe) {
        char c = *p;
        if (esc && c == esc && p + 1 < pe) {
            if (s >= se || *s != p[1])
                return false;
            s++;
            p += 2;
            continue;
        }
        if (c == '%') {
            while (p < pe && *p == '%')
                p++;
            if (p == pe)
                return true;
            for (const char *t = s; t <= se; t++)
                if (like_match(t, se, p, pe, esc))
                    return true;
            return false;
        }
        if (s >= se)
            return false;
        if (c == '_') {
            /* one character: skip a whole UTF-8 sequence */
            s++;
            while (s < se && ((unsigned char)*s & 0xC0) == 0x80)
                s++;
            p++;
            continue;
        }
        if (*s != c)
            return false;
        s++;
        p++;
    }
    return s == se;
}

static void ev_like(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v, p;
    sl_cexpr_eval(e->args[0], ctx, &v);
    sl_cexpr_eval(e->args[1], ctx, &p);
    if (v.null || p.null) {
        *out = sl_null(SL_BOOLEAN);
        return;
    }
    bool m = like_match(v.u.s.ptr, v.u.s.ptr + v.u.s.len, p.u.s.ptr, p.u.s.ptr + p.u.s.len, e->escape);
    *out = sl_bool(e->op ? !m : m);
}

/* ---------- CASE ---------- */

static void ev_case(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    /* args: when0, then0, when1, then1, ..., [else] */
    int pairs = e->op;
    for (int i = 0; i < pairs; i++) {
        sl_value c;
        sl_cexpr_eval(e->args[2 * i], ctx, &c);
        if (!c.null && c.u.b) {
            sl_cexpr_eval(e->args[2 * i + 1], ctx, out);
            return;
        }
    }
    if (e->nargs > 2 * pairs)
        sl_cexpr_eval(e->args[2 * pairs], ctx, out);
    else
        *out = sl_null(e->type->kind);
}

/* ---------- structure access ---------- */

static void ev_deref(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v;
    sl_cexpr_eval(e->args[0], ctx, &v);
    if (v.null || (uint32_t)e->index >= v.u.c.n) {
        *out = sl_null(e->type->kind);
        return;
    }
    *out = v.u.c.items[e->index];
}

static void ev_array_index(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value v, i;
    sl_cexpr_eval(e->args[0], ctx, &v);
    sl_cexpr_eval(e->args[1], ctx, &i);
    *out = sl_null(e->type->kind);
    if (v.null || i.null)
        return;
    int64_t idx = i.kind == SL_INT ? i.u.i : i.u.l;
    int64_t n = v.u.c.n;
    /* 1-based; negative counts from the end */
    int64_t pos = idx > 0 ? idx - 1 : idx < 0 ? n + idx : -1;
    if (pos >= 0 && pos < n)
        *out = v.u.c.items[pos];
}

static void ev_map_lookup(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value m, k;
    sl_cexpr_eval(e->args[0], ctx, &m);
    sl_cexpr_eval(e->args[1], ctx, &k);
    *out = sl_null(e->type->kind);
    if (m.null || k.null)
        return;
    for (uint32_t i = 0; i < m.u.c.n; i++)
        if (sl_value_equal(&m.u.c.items[2 * i], &k)) {
            *out = m.u.c.items[2 * i + 1];
            return;
        }
}

static void ev_make_array(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value a = sl_array_new(ctx->arena, (uint32_t)e->nargs);
    for (int i = 0; i < e->nargs; i++)
        sl_cexpr_eval(e->args[i], ctx, &a.u.c.items[i]);
    *out = a;
}

static void ev_make_struct(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    ev_make_array(e, ctx, out);
    out->kind = SL_STRUCT;
}

static void ev_make_map(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    int n = e->nargs / 2;
    sl_value m = sl_map_new(ctx->arena, (uint32_t)n);
    uint32_t used = 0;
    for (int i = 0; i < n; i++) {
        sl_value k, v;
        sl_cexpr_eval(e->args[2 * i], ctx, &k);
        sl_cexpr_eval(e->args[2 * i + 1], ctx, &v);
        uint32_t j;
        for (j = 0; j < used; j++)
            if (sl_value_equal(&m.u.c.items[2 * j], &k))
                break;
        m.u.c.items[2 * j] = k;
        m.u.c.items[2 * j + 1] = v;
        if (j == used)
            used++;
    }
    m.u.c.n = used;
    *out = m;
}

/* ---------- function calls ---------- */

static void ev_call(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value stackv[8];
    sl_value *argv = e->nargs <= 8 ? stackv : sl_arena_alloc(ctx->arena, (size_t)e->nargs * sizeof *argv);
    for (int i = 0; i < e->nargs; i++) {
        sl_cexpr_eval(e->args[i], ctx, &argv[i]);
        if (argv[i].null && e->fn.null_if_any_null) {
            *out = sl_null(e->type->kind);
            return;
        }
    }
    sl_error err;
    sl_error_init(&err);
    sl_fn_ctx fctx = {ctx->arena, e->fn.state, &err};
    if (e->fn.eval(&fctx, e->nargs, argv, out)) {
        sl_eval_error(ctx, "%s", err.msg[0] ? err.msg : "function failed");
        *out = sl_null(e->type->kind);
        return;
    }
    if (out->null)
        out->kind = (uint8_t)e->type->kind;
}

/* lambdas: TRANSFORM(array|map, fn), FILTER(array|map, fn), REDUCE(x, init, fn) */

enum { L_TRANSFORM_ARRAY, L_TRANSFORM_MAP, L_FILTER_ARRAY, L_FILTER_MAP, L_REDUCE_ARRAY, L_REDUCE_MAP };

static void lambda_apply(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out);

/* Java's hashCode of a map key, for the iteration order of a HashMap */
static uint32_t java_hash(const sl_value *k)
{
    switch (k->kind) {
    case SL_STRING: {
        /* over UTF-16 code units */
        uint32_t h = 0;
        const unsigned char *p = (const unsigned char *)k->u.s.ptr;
        for (uint32_t i = 0; i < k->u.s.len;) {
            uint32_t cp = p[i], n = 1;
            if (cp >= 0xf0 && i + 3 < k->u.s.len + 0u)
                cp = (cp & 7) << 18 | (p[i + 1] & 63u) << 12 | (p[i + 2] & 63u) << 6 | (p[i + 3] & 63u), n = 4;
            else if (cp >= 0xe0 && i + 2 < k->u.s.len)
                cp = (cp & 15) << 12 | (p[i + 1] & 63u) << 6 | (p[i + 2] & 63u), n = 3;
            else if (cp >= 0xc0 && i + 1 < k->u.s.len)
                cp = (cp & 31) << 6 | (p[i + 1] & 63u), n = 2;
            if (cp >= 0x10000) {
                h = 31 * h + (0xD800 + ((cp - 0x10000) >> 10));
                h = 31 * h + (0xDC00 + ((cp - 0x10000) & 0x3ff));
            } else {
                h = 31 * h + cp;
            }
            i += n;
        }
        return h;
    }
    case SL_INT: return (uint32_t)k->u.i;
    case SL_BIGINT: return (uint32_t)((uint64_t)k->u.l ^ ((uint64_t)k->u.l >> 32));
    case SL_BOOLEAN: return k->u.b ? 1231 : 1237;
    default: return 0;
    }
}

/* The order a java.util.HashMap built from these entries iterates in:
 * by bucket of the spread hash, then by insertion. ksqlDB reads maps into
 * HashMaps sized for their entries, so REDUCE over a map folds in this
 * order; any other order can give another result. */
static uint32_t *java_map_order(const sl_value *m, sl_arena *a)
{
    /* new HashMap<>(n): the table is the next power of two >= n, doubled
     * if n entries pass its 0.75 load factor */
    uint32_t n = m->u.c.n, cap = 1;
    while (cap < n)
        cap *= 2;
    if (n > cap * 3 / 4)
        cap *= 2;
    uint32_t *order = sl_arena_alloc(a, (n ? n : 1) * sizeof *order);
    uint32_t *bucket = sl_arena_alloc(a, (n ? n : 1) * sizeof *bucket);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t h = java_hash(&m->u.c.items[2 * i]);
        bucket[i] = (h ^ (h >> 16)) & (cap - 1);
        order[i] = i;
    }
    for (uint32_t i = 1; i < n; i++) /* stable insertion sort by bucket */
        for (uint32_t j = i; j > 0 && bucket[order[j - 1]] > bucket[order[j]]; j--) {
            uint32_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    return order;
}

static void ev_lambda_fn(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    ctx->lambda_depth++;
    lambda_apply(e, ctx, out);
    ctx->lambda_depth--;
    if (ctx->lambda_depth == 0 && ctx->lambda_fault) {
        ctx->lambda_fault = false;
        *out = sl_null(e->type->kind);
    }
}

static void lambda_apply(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value c;
    sl_cexpr_eval(e->args[0], ctx, &c);
    int slot = e->index;
    if (c.null && (e->op == L_REDUCE_ARRAY || e->op == L_REDUCE_MAP)) {
        /* REDUCE over NULL is the initial state */
        sl_cexpr_eval(e->args[1], ctx, out);
        if (out->null)
            out->kind = (uint8_t)e->type->kind;
        return;
    }
    if (c.null) {
        *out = sl_null(e->type->kind);
        return;
    }
    switch (e->op) {
    case L_TRANSFORM_ARRAY: {
        sl_value o = sl_array_new(ctx->arena, c.u.c.n);
        for (uint32_t i = 0; i < c.u.c.n; i++) {
            ctx->lambda_vals[slot] = c.u.c.items[i];
            sl_cexpr_eval(e->args[1], ctx, &o.u.c.items[i]);
        }
        *out = o;
        return;
    }
    case L_TRANSFORM_MAP: {
        sl_value o = sl_map_new(ctx->arena, c.u.c.n);
        uint32_t used = 0;
        for (uint32_t i = 0; i < c.u.c.n; i++) {
            ctx->lambda_vals[slot] = c.u.c.items[2 * i];
            ctx->lambda_vals[slot + 1] = c.u.c.items[2 * i + 1];
            sl_value k, v;
            sl_cexpr_eval(e->args[1], ctx, &k);
            sl_cexpr_eval(e->args[2], ctx, &v);
            uint32_t j;
            for (j = 0; j < used; j++)
                if (sl_value_equal(&o.u.c.items[2 * j], &k))
                    break;
            if (j < used) {
                /* two entries map to one key: an error in ksqlDB (Collectors.toMap) */
                sl_eval_error(ctx, "TRANSFORM produced a duplicate map key");
                *out = sl_null(SL_MAP);
                return;
            }
            o.u.c.items[2 * j] = k;
            o.u.c.items[2 * j + 1] = v;
            if (j == used)
                used++;
        }
        o.u.c.n = used;
        *out = o;
        return;
    }
    case L_FILTER_ARRAY: {
        sl_value o = sl_array_new(ctx->arena, c.u.c.n);
        uint32_t n = 0;
        for (uint32_t i = 0; i < c.u.c.n; i++) {
            ctx->lambda_vals[slot] = c.u.c.items[i];
            sl_value keep;
            sl_cexpr_eval(e->args[1], ctx, &keep);
            if (!keep.null && keep.u.b)
                o.u.c.items[n++] = c.u.c.items[i];
        }
        o.u.c.n = n;
        *out = o;
        return;
    }
    case L_FILTER_MAP: {
        sl_value o = sl_map_new(ctx->arena, c.u.c.n);
        uint32_t n = 0;
        for (uint32_t i = 0; i < c.u.c.n; i++) {
            ctx->lambda_vals[slot] = c.u.c.items[2 * i];
            ctx->lambda_vals[slot + 1] = c.u.c.items[2 * i + 1];
            sl_value keep;
            sl_cexpr_eval(e->args[1], ctx, &keep);
            if (!keep.null && keep.u.b) {
                o.u.c.items[2 * n] = c.u.c.items[2 * i];
                o.u.c.items[2 * n + 1] = c.u.c.items[2 * i + 1];
                n++;
            }
        }
        o.u.c.n = n;
        *out = o;
        return;
    }
    default: {
        sl_value acc;
        sl_cexpr_eval(e->args[1], ctx, &acc);
        bool map = e->op == L_REDUCE_MAP;
        const uint32_t *order = map ? java_map_order(&c, ctx->arena) : NULL;
        for (uint32_t i = 0; i < c.u.c.n; i++) {
            ctx->lambda_vals[slot] = acc;
            if (map) {
                ctx->lambda_vals[slot + 1] = c.u.c.items[2 * order[i]];
                ctx->lambda_vals[slot + 2] = c.u.c.items[2 * order[i] + 1];
            } else {
                ctx->lambda_vals[slot + 1] = c.u.c.items[i];
            }
            sl_cexpr_eval(e->args[2], ctx, &acc);
        }
        *out = acc;
        if (out->null)
            out->kind = (uint8_t)e->type->kind;
    }
    }
}

static sl_cexpr *compile_lambda_body(sl_scope *scope, const sl_expr *lam, int nparams,
                                     const sl_type *const *types, int *slot, sl_error *err)
{
    if (lam->kind != SL_E_LAMBDA)
        FAIL(SL_ERR_INVALID, lam, "expected a lambda function");
    if (lam->u.lambda.nparams != nparams)
        FAIL(SL_ERR_INVALID, lam, "Was expecting %d arguments to lambda function, got %d", nparams,
             lam->u.lambda.nparams);
    if (scope->nlambda + nparams > SL_MAX_LAMBDA_VARS)
        FAIL(SL_ERR_UNSUPPORTED, lam, "lambdas nested too deeply");
    *slot = scope->nlambda;
    for (int i = 0; i < nparams; i++) {
        scope->lambda_names[scope->nlambda] = lam->u.lambda.params[i];
        scope->lambda_types[scope->nlambda] = types[i];
        scope->nlambda++;
    }
    sl_cexpr *body = sl_expr_compile(scope, lam->u.lambda.body, err);
    scope->nlambda -= nparams;
    return body;
}

static sl_cexpr *compile_lambda_call(sl_scope *scope, const sl_expr *x, const char *name, sl_error *err)
{
    sl_arena *a = scope->arena;
    const sl_expr_list *args = &x->u.call.args;
    bool transform = !strcasecmp(name, "TRANSFORM"), filter = !strcasecmp(name, "FILTER");
    int want = transform || filter ? 2 : 3;
    if (transform && args->count == 3)
        want = 3; /* TRANSFORM(map, key lambda, value lambda) */
    if (args->count != want)
        FAIL(SL_ERR_INVALID, x, "Function '%s' expects %d arguments", name, want);
    sl_cexpr *coll = sl_expr_compile(scope, args->items[0], err);
    if (!coll)
        return NULL;
    const sl_type *ct = coll->type;
    if (ct->kind != SL_ARRAY && ct->kind != SL_MAP)
        FAIL(SL_ERR_INVALID, x, "Function '%s' does not accept parameters (%s, LAMBDA)", name,
             sl_type_to_sql(a, ct));
    bool is_map = ct->kind == SL_MAP;
    sl_cexpr *e;
    int slot;
    if (transform && !is_map) {
        const sl_type *ts[1] = {ct->elem};
        sl_cexpr *body = compile_lambda_body(scope, args->items[1], 1, ts, &slot, err);
        if (!body)
            return NULL;
        e = node(a, ev_lambda_fn, sl_type_array(a, body->type), 2);
        e->op = L_TRANSFORM_ARRAY;
        e->args[1] = body;
    } else if (transform) {
        /* TRANSFORM(map, (k,v) => newk, (k,v) => newv) */
        if (args->count != 3)
            FAIL(SL_ERR_INVALID, x, "TRANSFORM on a MAP takes two lambdas");
        const sl_type *ts[2] = {ct->key, ct->elem};
        sl_cexpr *kb = compile_lambda_body(scope, args->items[1], 2, ts, &slot, err);
        if (!kb)
            return NULL;
        sl_cexpr *vb = compile_lambda_body(scope, args->items[2], 2, ts, &slot, err);
        if (!vb)
            return NULL;
        e = node(a, ev_lambda_fn, sl_type_map(a, kb->type, vb->type), 3);
        e->op = L_TRANSFORM_MAP;
        e->args[1] = kb;
        e->args[2] = vb;
    } else if (filter) {
        const sl_type *ts[2] = {is_map ? ct->key : ct->elem, ct->elem};
        sl_cexpr *body = compile_lambda_body(scope, args->items[1], is_map ? 2 : 1, ts, &slot, err);
        if (!body)
            return NULL;
        if (body->type->kind != SL_BOOLEAN)
            FAIL(SL_ERR_INVALID, args->items[1], "FILTER lambda must return BOOLEAN");
        e = node(a, ev_lambda_fn, ct, 2);
        e->op = is_map ? L_FILTER_MAP : L_FILTER_ARRAY;
        e->args[1] = body;
    } else {
        sl_cexpr *init = sl_expr_compile(scope, args->items[1], err);
        if (!init)
            return NULL;
        const sl_type *ts[3] = {init->type, is_map ? ct->key : ct->elem, ct->elem};
        sl_cexpr *body = compile_lambda_body(scope, args->items[2], is_map ? 3 : 2, ts, &slot, err);
        if (!body)
            return NULL;
        const sl_type *rt = init->type;
        if (rt->kind == SL_NULLTYPE)
            rt = body->type;
        e = node(a, ev_lambda_fn, rt, 3);
        e->op = is_map ? L_REDUCE_MAP : L_REDUCE_ARRAY;
        e->args[1] = sl_cexpr_cast(a, init, rt);
        e->args[2] = sl_cexpr_cast(a, body, rt);
    }
    e->args[0] = coll;
    e->index = slot;
    return e;
}

static const char *const aggregate_names[] = {
    "COUNT", "SUM", "AVG", "MIN", "MAX", "COUNT_DISTINCT", "TOPK", "TOPKDISTINCT", "COLLECT_LIST",
    "COLLECT_SET", "EARLIEST_BY_OFFSET", "LATEST_BY_OFFSET", "STDDEV_SAMP", "STDDEV_SAMPLE",
    "CORRELATION", "HISTOGRAM", "ATTR", "SUM_LIST", NULL};

bool sl_expr_is_aggregate_name(const char *name)
{
    for (int i = 0; aggregate_names[i]; i++)
        if (!strcasecmp(aggregate_names[i], name))
            return true;
    return sl_udaf_harness_has(name);
}

static const char *const table_function_names[] = {"EXPLODE", "CUBE_EXPLODE", NULL};

/* A literal in ARRAY[...] or MAP(...) whose type does not fit the list's
 * `to`, converted as ksqlDB's lax literal coercion does: a number or
 * BOOLEAN to its text, a STRING to BOOLEAN when it is a prefix of true,
 * yes, false or no (any case). `item` (non-NULL) when it is converted, else
 * NULL (the caller reports the mismatch). */
static sl_cexpr *coerce_list_literal(sl_arena *a, const sl_expr *ix, const sl_type *to, sl_cexpr *item)
{
    if (ix->kind != SL_E_LITERAL || ix->u.lit.value.null)
        return NULL;
    const sl_type *from = item->type;
    if (to->kind == SL_STRING && (sl_type_is_numeric(from) || from->kind == SL_BOOLEAN))
        return sl_cexpr_literal(a, sl_cast_typed_to_string(&ix->u.lit.value, from, a), &sl_type_string);
    if (to->kind == SL_BOOLEAN && from->kind == SL_STRING) {
        const char *text = sl_value_cstr(a, &ix->u.lit.value);
        size_t len = strlen(text);
        bool yes = len && (!strncasecmp(text, "true", len < 4 ? len : 5) || !strncasecmp(text, "yes", len < 3 ? len : 4));
        bool no = len && (!strncasecmp(text, "false", len < 5 ? len : 6) || !strncasecmp(text, "no", len < 2 ? len : 3));
        if (yes || no)
            return sl_cexpr_literal(a, sl_bool(yes), &sl_type_boolean);
    }
    return NULL;
}

static sl_cexpr *compile_call(sl_scope *scope, const sl_expr *x, sl_error *err)
{
    sl_arena *a = scope->arena;
    const char *name = x->u.call.name;
    if (!strcasecmp(name, "AS_VALUE")) {
        /* copies a key column into the value: the value itself */
        if (x->u.call.args.count != 1)
            FAIL(SL_ERR_INVALID, x, "Function 'AS_VALUE' accepts one argument");
        sl_cexpr *v = sl_expr_compile(scope, x->u.call.args.items[0], err);
        if (!v)
            return NULL;
        /* a node of its own: the result is a value, not the key column */
        sl_cexpr *id = node(a, ev_identity, v->type, 1);
        id->args[0] = v;
        return id;
    }
    if (!strcasecmp(name, "TRANSFORM") || !strcasecmp(name, "FILTER") || !strcasecmp(name, "REDUCE"))
        return compile_lambda_call(scope, x, name, err);
    if (sl_expr_is_aggregate_name(name))
        FAIL(SL_ERR_INVALID, x, "Aggregate function %s is not allowed here: only in the SELECT or HAVING of an aggregation", name);
    for (int i = 0; table_function_names[i]; i++)
        if (!strcasecmp(table_function_names[i], name))
            FAIL(SL_ERR_INVALID, x, "Table function %s can only be used in the SELECT list of a stream query", name);
    const sl_function_def *def = sl_function_lookup(name);
    if (!def)
        FAIL(SL_ERR_INVALID, x, "Can't find any functions with the name '%s'", name);
    int n = x->u.call.args.count;
    sl_cexpr **args = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *args);
    const sl_type **types = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *types);
    const sl_value **lits = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *lits);
    for (int i = 0; i < n; i++) {
        const sl_expr *ax = x->u.call.args.items[i];
        if (ax->kind == SL_E_LAMBDA)
            FAIL(SL_ERR_UNSUPPORTED, ax, "lambda arguments to %s are not supported", name);
        args[i] = sl_expr_compile(scope, ax, err);
        if (!args[i])
            return NULL;
        types[i] = args[i]->type;
        if (args[i]->eval == ev_literal)
            lits[i] = &args[i]->lit;
    }
    sl_fn_args fa = {n, types, lits, a};
    sl_fn_binding b = {0};
    sl_error ferr = {0};
    sl_err_t rc = def->resolve(&fa, &b, &ferr);
    if (rc)
        FAIL(rc, x, "%.500s", ferr.msg);
    sl_cexpr *e = node(a, ev_call, b.ret, n);
    e->fn = b;
    for (int i = 0; i < n; i++) {
        const sl_type *want = b.arg_types[i < SL_FN_MAX_ARGS ? i : SL_FN_MAX_ARGS - 1];
        if (i >= SL_FN_MAX_ARGS && !b.arg_types[SL_FN_MAX_ARGS - 1])
            want = NULL;
        e->args[i] = want ? sl_cexpr_cast(a, args[i], want) : args[i];
    }
    return e;
}

/* ---------- columns ---------- */

static sl_cexpr *compile_column(sl_scope *scope, const sl_expr *x, sl_error *err)
{
    const char *q = x->u.col.qualifier, *name = x->u.col.name;
    if (!q) {
        for (int i = scope->nlambda - 1; i >= 0; i--)
            if (!strcmp(scope->lambda_names[i], name)) {
                sl_cexpr *e = node(scope->arena, ev_lambda_var, scope->lambda_types[i], 0);
                e->index = i;
                return e;
            }
    }
    int found = -1;
    for (int i = 0; i < scope->ncols; i++) {
        sl_scope_col *c = &scope->cols[i];
        if (strcmp(c->name, name))
            continue;
        if (q && !(c->source && !strcmp(c->source, q)) && !(c->alt_source && !strcmp(c->alt_source, q)))
            continue;
        if (found >= 0 && scope->cols[found].index != c->index)
            FAIL(SL_ERR_INVALID, x, "Column '%s' is ambiguous.", name);
        found = i;
    }
    if (found < 0) {
        if (q)
            FAIL(SL_ERR_INVALID, x, "Column '%s.%s' cannot be resolved.", q, name);
        FAIL(SL_ERR_INVALID, x, "Column '%s' cannot be resolved.", name);
    }
    return sl_cexpr_column(scope->arena, scope->cols[found].index, scope->cols[found].type);
}

/* ---------- main switch ---------- */

sl_cexpr *sl_expr_compile(sl_scope *scope, const sl_expr *x, sl_error *err)
{
    sl_arena *a = scope->arena;
    sl_cexpr *r = NULL;
    if (scope->node_hook) {
        sl_error_clear(err);
        r = scope->node_hook(scope->hook_ctx, scope, x, err);
        if (r || err->code)
            return r;
    }
    switch (x->kind) {
    case SL_E_LITERAL: r = sl_cexpr_literal(a, x->u.lit.value, x->u.lit.type); break;
    case SL_E_COLUMN: r = compile_column(scope, x, err); break;
    case SL_E_INTERVAL: r = sl_cexpr_literal(a, sl_cstring(x->u.interval.unit), &sl_type_string); break;
    case SL_E_DEREF: {
        sl_cexpr *base = sl_expr_compile(scope, x->u.deref.base, err);
        if (!base)
            return NULL;
        if (base->type->kind != SL_STRUCT)
            FAIL(SL_ERR_INVALID, x, "Expected STRUCT type, got %s", sl_type_to_sql(a, base->type));
        int idx = sl_type_field_index(base->type, x->u.deref.field);
        if (idx < 0)
            FAIL(SL_ERR_INVALID, x, "Could not find field '%s' in '%s'.", x->u.deref.field,
                 sl_type_to_sql(a, base->type));
        r = node(a, ev_deref, base->type->fields[idx].type, 1);
        r->args[0] = base;
        r->index = idx;
        break;
    }
    case SL_E_SUBSCRIPT: {
        sl_cexpr *base = sl_expr_compile(scope, x->u.sub.base, err);
        if (!base)
            return NULL;
        sl_cexpr *idx = sl_expr_compile(scope, x->u.sub.index, err);
        if (!idx)
            return NULL;
        if (base->type->kind == SL_ARRAY) {
            if (idx->type->kind != SL_INT && idx->type->kind != SL_BIGINT)
                FAIL(SL_ERR_INVALID, x, "array index must be an INTEGER");
            r = node(a, ev_array_index, base->type->elem, 2);
        } else if (base->type->kind == SL_MAP) {
            r = node(a, ev_map_lookup, base->type->elem, 2);
            idx = sl_cexpr_cast(a, idx, base->type->key);
        } else {
            FAIL(SL_ERR_INVALID, x, "Subscript expression requires an ARRAY or MAP, got %s",
                 sl_type_to_sql(a, base->type));
        }
        r->args[0] = base;
        r->args[1] = idx;
        break;
    }
    case SL_E_UNARY: {
        sl_cexpr *arg = sl_expr_compile(scope, x->u.unary.arg, err);
        if (!arg)
            return NULL;
        if (x->u.unary.op == SL_OP_NOT) {
            if (arg->type->kind != SL_BOOLEAN && arg->type->kind != SL_NULLTYPE)
                FAIL(SL_ERR_INVALID, x, "NOT requires a BOOLEAN, got %s", sl_type_to_sql(a, arg->type));
            r = node(a, ev_not, &sl_type_boolean, 1);
            r->args[0] = sl_cexpr_cast(a, arg, &sl_type_boolean);
        } else if (x->u.unary.op == SL_OP_PLUS) {
            r = arg;
        } else {
            if (!sl_type_is_numeric(arg->type))
                FAIL(SL_ERR_INVALID, x, "Unary minus requires a number, got %s", sl_type_to_sql(a, arg->type));
            r = node(a, ev_neg, arg->type, 1);
            r->args[0] = arg;
        }
        break;
    }
    case SL_E_BINARY: {
        sl_binop op = x->u.binary.op;
        sl_cexpr *l = sl_expr_compile(scope, x->u.binary.left, err);
        if (!l)
            return NULL;
        sl_cexpr *rr = sl_expr_compile(scope, x->u.binary.right, err);
        if (!rr)
            return NULL;
        if (op >= SL_OP_EQ && op <= SL_OP_GE) {
            rr = magic_time(scope, x->u.binary.left, x->u.binary.right, rr, err);
            l = rr ? magic_time(scope, x->u.binary.right, x->u.binary.left, l, err) : NULL;
            if (!rr || !l)
                return NULL;
        }
        switch (op) {
        case SL_OP_ADD: r = compile_arith(scope, x, A_ADD, l, rr, err); break;
        case SL_OP_SUB: r = compile_arith(scope, x, A_SUB, l, rr, err); break;
        case SL_OP_MUL: r = compile_arith(scope, x, A_MUL, l, rr, err); break;
        case SL_OP_DIV: r = compile_arith(scope, x, A_DIV, l, rr, err); break;
        case SL_OP_MOD: r = compile_arith(scope, x, A_MOD, l, rr, err); break;
        case SL_OP_DISTINCT:
        case SL_OP_NOT_DISTINCT:
            r = compile_compare(scope, x, C_EQ, l, rr, err);
            if (r) {
                r->eval = ev_distinct;
                r->op = op == SL_OP_NOT_DISTINCT;
            }
            break;
        case SL_OP_EQ: r = compile_compare(scope, x, C_EQ, l, rr, err); break;
        case SL_OP_NE: r = compile_compare(scope, x, C_NE, l, rr, err); break;
        case SL_OP_LT: r = compile_compare(scope, x, C_LT, l, rr, err); break;
        case SL_OP_LE: r = compile_compare(scope, x, C_LE, l, rr, err); break;
        case SL_OP_GT: r = compile_compare(scope, x, C_GT, l, rr, err); break;
        case SL_OP_GE: r = compile_compare(scope, x, C_GE, l, rr, err); break;
        case SL_OP_AND:
        case SL_OP_OR:
            if ((l->type->kind != SL_BOOLEAN && l->type->kind != SL_NULLTYPE) ||
                (rr->type->kind != SL_BOOLEAN && rr->type->kind != SL_NULLTYPE))
                FAIL(SL_ERR_INVALID, x, "%s requires BOOLEAN operands, got %s and %s",
                     op == SL_OP_AND ? "AND" : "OR", sl_type_to_sql(a, l->type), sl_type_to_sql(a, rr->type));
            r = node(a, op == SL_OP_AND ? ev_and : ev_or, &sl_type_boolean, 2);
            r->args[0] = sl_cexpr_cast(a, l, &sl_type_boolean);
            r->args[1] = sl_cexpr_cast(a, rr, &sl_type_boolean);
            break;
        case SL_OP_CONCAT:
            if (l->type->kind != SL_STRING || rr->type->kind != SL_STRING)
                FAIL(SL_ERR_INVALID, x, "|| requires STRING operands");
            r = node(a, ev_concat, &sl_type_string, 2);
            r->args[0] = l;
            r->args[1] = rr;
            break;
        default: FAIL(SL_ERR_INVALID, x, "bad operator");
        }
        break;
    }
    case SL_E_IS_NULL: {
        sl_cexpr *arg = sl_expr_compile(scope, x->u.isnull.arg, err);
        if (!arg)
            return NULL;
        r = node(a, ev_is_null, &sl_type_boolean, 1);
        r->args[0] = arg;
        r->op = x->u.isnull.negated;
        break;
    }
    case SL_E_BETWEEN: {
        sl_cexpr *v = sl_expr_compile(scope, x->u.between.arg, err);
        if (!v)
            return NULL;
        sl_cexpr *lo = sl_expr_compile(scope, x->u.between.lo, err);
        if (!lo)
            return NULL;
        sl_cexpr *hi = sl_expr_compile(scope, x->u.between.hi, err);
        if (!hi)
            return NULL;
        lo = magic_time(scope, x->u.between.arg, x->u.between.lo, lo, err);
        hi = lo ? magic_time(scope, x->u.between.arg, x->u.between.hi, hi, err) : NULL;
        if (!lo || !hi)
            return NULL;
        sl_cexpr *ge = compile_compare(scope, x, C_GE, v, lo, err);
        if (!ge)
            return NULL;
        sl_cexpr *le = compile_compare(scope, x, C_LE, v, hi, err);
        if (!le)
            return NULL;
        r = node(a, ev_and, &sl_type_boolean, 2);
        r->args[0] = ge;
        r->args[1] = le;
        if (x->u.between.negated) {
            sl_cexpr *n = node(a, ev_not, &sl_type_boolean, 1);
            n->args[0] = r;
            r = n;
        }
        break;
    }
    case SL_E_IN: {
        sl_cexpr *v = sl_expr_compile(scope, x->u.in.arg, err);
        if (!v)
            return NULL;
        int n = x->u.in.list.count;
        r = node(a, ev_in, &sl_type_boolean, n + 1);
        r->op = x->u.in.negated;
        const sl_type *common = v->type;
        sl_cexpr **items = sl_arena_calloc(a, (size_t)n + 1, sizeof *items);
        for (int i = 0; i < n; i++) {
            items[i] = sl_expr_compile(scope, x->u.in.list.items[i], err);
            if (!items[i])
                return NULL;
            const sl_type *c = sl_cast_list_common_type(a, common, items[i]->type);
            const sl_expr *ix = x->u.in.list.items[i];
            if (common->kind == SL_STRING && items[i]->type->kind != SL_STRING) {
                /* a STRING operand compares with the text of other values */
                items[i] = sl_cexpr_cast(a, items[i], &sl_type_string);
                continue;
            }
            if (!c && items[i]->type->kind == SL_STRING && ix->kind == SL_E_LITERAL) {
                /* a string literal must convert to the operand's type */
                const sl_type *to = common;
                if (sl_type_is_numeric(common)) {
                    /* numbers widen to hold the literal: 2147483648 for an INT */
                    sl_value tmp;
                    sl_error cerr = {0};
                    if (!sl_cast_value(&ix->u.lit.value, &sl_type_bigint, a, &tmp, &cerr))
                        to = common->kind == SL_INT ? &sl_type_bigint : common;
                    else
                        to = common->kind == SL_DECIMAL ? common : &sl_type_double;
                }
                sl_value conv;
                sl_error cerr = {0};
                if (!sl_cast_allowed(&sl_type_string, to) || sl_cast_value(&ix->u.lit.value, to, a, &conv, &cerr) ||
                    (to->kind == SL_BOOLEAN && strcasecmp(sl_value_cstr(a, &ix->u.lit.value), "true") &&
                     strcasecmp(sl_value_cstr(a, &ix->u.lit.value), "false")))
                    FAIL(SL_ERR_INVALID, ix, "invalid input syntax for type %s: \"%s\"", sl_type_to_sql(a, common),
                         sl_value_cstr(a, &ix->u.lit.value));
                items[i] = sl_cexpr_literal(a, conv, to);
                c = sl_cast_common_type(a, common, to);
            }
            if (!c)
                FAIL(SL_ERR_INVALID, ix, "invalid input syntax for type %s: %s is not comparable",
                     sl_type_to_sql(a, common), sl_type_to_sql(a, items[i]->type));
            common = c;
        }
        r->args[0] = sl_cexpr_cast(a, v, common);
        for (int i = 0; i < n; i++)
            r->args[i + 1] = sl_cast_allowed(items[i]->type, common) ? sl_cexpr_cast(a, items[i], common) : items[i];
        break;
    }
    case SL_E_LIKE: {
        sl_cexpr *v = sl_expr_compile(scope, x->u.like.arg, err);
        if (!v)
            return NULL;
        sl_cexpr *p = sl_expr_compile(scope, x->u.like.pattern, err);
        if (!p)
            return NULL;
        if ((v->type->kind != SL_STRING && v->type->kind != SL_NULLTYPE) ||
            (p->type->kind != SL_STRING && p->type->kind != SL_NULLTYPE))
            FAIL(SL_ERR_INVALID, x, "LIKE requires STRING operands, got %s and %s", sl_type_to_sql(a, v->type),
                 sl_type_to_sql(a, p->type));
        r = node(a, ev_like, &sl_type_boolean, 2);
        r->args[0] = sl_cexpr_cast(a, v, &sl_type_string);
        r->args[1] = sl_cexpr_cast(a, p, &sl_type_string);
        r->escape = x->u.like.escape;
        r->op = x->u.like.negated;
        break;
    }
    case SL_E_CASE: {
        int n = x->u.case_.whens.count;
        bool has_else = x->u.case_.otherwise != NULL;
        sl_cexpr *operand = NULL;
        if (x->u.case_.operand) {
            operand = sl_expr_compile(scope, x->u.case_.operand, err);
            if (!operand)
                return NULL;
        }
        sl_cexpr **conds = sl_arena_calloc(a, (size_t)n, sizeof *conds);
        sl_cexpr **vals = sl_arena_calloc(a, (size_t)n + 1, sizeof *vals);
        const sl_type *rt = &sl_type_null;
        for (int i = 0; i < n; i++) {
            sl_cexpr *w = sl_expr_compile(scope, x->u.case_.whens.items[i], err);
            if (!w)
                return NULL;
            if (operand) {
                w = compile_compare(scope, x->u.case_.whens.items[i], C_EQ, operand, w, err);
                if (!w)
                    return NULL;
            } else if (w->type->kind != SL_BOOLEAN && w->type->kind != SL_NULLTYPE) {
                FAIL(SL_ERR_INVALID, x->u.case_.whens.items[i], "WHEN operand type should be BOOLEAN, got %s",
                     sl_type_to_sql(a, w->type));
            }
            conds[i] = sl_cexpr_cast(a, w, &sl_type_boolean);
            vals[i] = sl_expr_compile(scope, x->u.case_.thens.items[i], err);
            if (!vals[i])
                return NULL;
        }
        if (has_else) {
            vals[n] = sl_expr_compile(scope, x->u.case_.otherwise, err);
            if (!vals[n])
                return NULL;
        }
        for (int i = 0; i < n + has_else; i++) {
            if (rt->kind == SL_NULLTYPE) {
                rt = vals[i]->type;
                continue;
            }
            if (vals[i]->type->kind == SL_NULLTYPE)
                continue;
            if (!sl_type_equal(rt, vals[i]->type)) {
                const sl_type *c = sl_cast_common_type(a, rt, vals[i]->type);
                if (!c || (sl_type_is_numeric(rt) != sl_type_is_numeric(vals[i]->type)))
                    FAIL(SL_ERR_INVALID, x, "Invalid Case expression. Type for all 'THEN' clauses should be the same. "
                                            "Got %s and %s.", sl_type_to_sql(a, rt), sl_type_to_sql(a, vals[i]->type));
                rt = c;
            }
        }
        r = node(a, ev_case, rt, 2 * n + has_else);
        r->op = n;
        for (int i = 0; i < n; i++) {
            r->args[2 * i] = conds[i];
            r->args[2 * i + 1] = sl_cexpr_cast(a, vals[i], rt);
        }
        if (has_else)
            r->args[2 * n] = sl_cexpr_cast(a, vals[n], rt);
        break;
    }
    case SL_E_CAST: {
        sl_cexpr *v = sl_expr_compile(scope, x->u.cast.arg, err);
        if (!v)
            return NULL;
        if (!sl_cast_allowed(v->type, x->u.cast.to))
            FAIL(SL_ERR_INVALID, x, "Cast of %s to %s is not supported", sl_type_to_sql(a, v->type),
                 sl_type_to_sql(a, x->u.cast.to));
        r = sl_cexpr_cast(a, v, x->u.cast.to);
        if (r == v && x->u.cast.to->kind == SL_DECIMAL) {
            /* same type: nothing to do */
        }
        break;
    }
    case SL_E_CALL: r = compile_call(scope, x, err); break;
    case SL_E_LAMBDA: FAIL(SL_ERR_INVALID, x, "a lambda is only allowed as a function argument");
    case SL_E_ARRAY: {
        int n = x->u.array.items.count;
        sl_cexpr **items = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *items);
        const sl_type *et = &sl_type_null;
        for (int i = 0; i < n; i++) {
            items[i] = sl_expr_compile(scope, x->u.array.items.items[i], err);
            if (!items[i])
                return NULL;
            const sl_type *c = sl_cast_list_common_type(a, et, items[i]->type);
            sl_cexpr *converted = c ? NULL : coerce_list_literal(a, x->u.array.items.items[i], et, items[i]);
            if (converted)
                items[i] = converted, c = et;
            if (!c)
                FAIL(SL_ERR_INVALID, x->u.array.items.items[i],
                     "invalid input syntax for type %s: array elements must all be the same type",
                     sl_type_to_sql(a, et));
            et = c;
        }
        if (et->kind == SL_NULLTYPE)
            FAIL(SL_ERR_INVALID, x, "Cannot construct an array with all NULL elements (see https://github.com/confluentinc/ksql/issues/4239). As a workaround, you may cast a NULL value to the desired type.");
        r = node(a, ev_make_array, sl_type_array(a, et), n);
        for (int i = 0; i < n; i++)
            r->args[i] = sl_cexpr_cast(a, items[i], et);
        break;
    }
    case SL_E_MAP: {
        int n = x->u.map.keys.count;
        const sl_type *kt = &sl_type_null, *vt = &sl_type_null;
        sl_cexpr **ks = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *ks);
        sl_cexpr **vs = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *vs);
        for (int i = 0; i < n; i++) {
            ks[i] = sl_expr_compile(scope, x->u.map.keys.items[i], err);
            if (!ks[i])
                return NULL;
            vs[i] = sl_expr_compile(scope, x->u.map.values.items[i], err);
            if (!vs[i])
                return NULL;
            const sl_type *ck = sl_cast_list_common_type(a, kt, ks[i]->type);
            const sl_type *cv = sl_cast_list_common_type(a, vt, vs[i]->type);
            sl_cexpr *key_text = ck ? NULL : coerce_list_literal(a, x->u.map.keys.items[i], kt, ks[i]);
            if (key_text)
                ks[i] = key_text, ck = kt;
            sl_cexpr *value_conv = cv ? NULL : coerce_list_literal(a, x->u.map.values.items[i], vt, vs[i]);
            if (value_conv)
                vs[i] = value_conv, cv = vt;
            if (!ck || !cv)
                FAIL(SL_ERR_INVALID, x->u.map.keys.items[i], "map keys and values must have consistent types");
            kt = ck;
            vt = cv;
        }
        if (kt->kind == SL_NULLTYPE || vt->kind == SL_NULLTYPE)
            FAIL(SL_ERR_INVALID, x, "Cannot construct a map with all NULL keys or values");
        r = node(a, ev_make_map, sl_type_map(a, kt, vt), 2 * n);
        for (int i = 0; i < n; i++) {
            r->args[2 * i] = sl_cexpr_cast(a, ks[i], kt);
            r->args[2 * i + 1] = sl_cexpr_cast(a, vs[i], vt);
        }
        break;
    }
    case SL_E_STRUCT: {
        int n = x->u.struct_.values.count;
        sl_field *fields = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *fields);
        sl_cexpr **vs = sl_arena_calloc(a, n ? (size_t)n : 1, sizeof *vs);
        for (int i = 0; i < n; i++) {
            vs[i] = sl_expr_compile(scope, x->u.struct_.values.items[i], err);
            if (!vs[i])
                return NULL;
            fields[i].name = x->u.struct_.names[i];
            fields[i].type = vs[i]->type->kind == SL_NULLTYPE ? &sl_type_string : vs[i]->type;
            for (int j = 0; j < i; j++)
                if (!strcmp(fields[j].name, fields[i].name))
                    FAIL(SL_ERR_INVALID, x, "Duplicate field names found in STRUCT: '%s'", fields[i].name);
        }
        r = node(a, ev_make_struct, sl_type_struct(a, n, fields), n);
        for (int i = 0; i < n; i++)
            r->args[i] = sl_cexpr_cast(a, vs[i], fields[i].type);
        break;
    }
    }
    if (r)
        ((sl_expr *)x)->type = r->type;
    return r;
}

const char *sl_expr_default_name(const sl_expr *x)
{
    if (x->kind == SL_E_COLUMN)
        return x->u.col.name;
    if (x->kind == SL_E_DEREF)
        return x->u.deref.field;
    return NULL;
}

int sl_expr_struct_all(sl_scope *scope, const sl_expr *base, sl_expr ***fields, sl_error *err)
{
    sl_cexpr *c = sl_expr_compile(scope, base, err);
    if (!c)
        return -1;
    if (c->type->kind != SL_STRUCT) {
        sl_error_at(err, SL_ERR_INVALID, scope->file, base->pos.line, base->pos.col,
                    "The expression before '->*' must be a STRUCT, but is %s", sl_type_to_sql(scope->arena, c->type));
        return -1;
    }
    int n = c->type->nfields;
    sl_expr **out = sl_arena_calloc(scope->arena, (size_t)n + 1, sizeof *out);
    for (int i = 0; i < n; i++) {
        sl_expr *d = sl_arena_calloc(scope->arena, 1, sizeof *d);
        d->kind = SL_E_DEREF;
        d->pos = base->pos;
        d->height = base->height + 1;
        d->u.deref.base = (sl_expr *)base;
        d->u.deref.field = c->type->fields[i].name;
        out[i] = d;
    }
    *fields = out;
    return n;
}

static bool list_same(const sl_expr_list *a, const sl_expr_list *b)
{
    if (a->count != b->count)
        return false;
    for (int i = 0; i < a->count; i++)
        if (!sl_expr_same(a->items[i], b->items[i]))
            return false;
    return true;
}

static bool str_same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* the row slot a column reference resolves to in sc, or -1 (none, or
 * ambiguous: then only the names were compared) */
static int column_slot(const sl_scope *sc, const sl_expr *x)
{
    const char *q = x->u.col.qualifier;
    int slot = -1;
    for (int i = 0; i < sc->ncols; i++) {
        const sl_scope_col *c = &sc->cols[i];
        if (strcmp(c->name, x->u.col.name))
            continue;
        if (q && !(c->source && !strcmp(c->source, q)) && !(c->alt_source && !strcmp(c->alt_source, q)))
            continue;
        if (slot >= 0 && slot != c->index)
            return -1;
        slot = c->index;
    }
    return slot;
}

static bool same(const sl_scope *sc, const sl_expr *a, const sl_expr *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SL_E_LITERAL:
        return sl_type_equal(a->u.lit.type, b->u.lit.type) && sl_value_equal(&a->u.lit.value, &b->u.lit.value);
    case SL_E_COLUMN:
        if (strcmp(a->u.col.name, b->u.col.name))
            return false;
        /* in a scope, t.x and u.x are one column only when they resolve to one */
        return !sc || column_slot(sc, a) == column_slot(sc, b);
    case SL_E_DEREF: return !strcmp(a->u.deref.field, b->u.deref.field) && same(sc, a->u.deref.base, b->u.deref.base);
    case SL_E_SUBSCRIPT: return same(sc, a->u.sub.base, b->u.sub.base) && same(sc, a->u.sub.index, b->u.sub.index);
    case SL_E_UNARY: return a->u.unary.op == b->u.unary.op && same(sc, a->u.unary.arg, b->u.unary.arg);
    case SL_E_BINARY:
        return a->u.binary.op == b->u.binary.op && same(sc, a->u.binary.left, b->u.binary.left) &&
               same(sc, a->u.binary.right, b->u.binary.right);
    case SL_E_IS_NULL: return a->u.isnull.negated == b->u.isnull.negated && same(sc, a->u.isnull.arg, b->u.isnull.arg);
    case SL_E_CAST: return sl_type_equal(a->u.cast.to, b->u.cast.to) && same(sc, a->u.cast.arg, b->u.cast.arg);
    case SL_E_CALL:
        return !strcasecmp(a->u.call.name, b->u.call.name) && a->u.call.star == b->u.call.star &&
               list_same(&a->u.call.args, &b->u.call.args);
    case SL_E_ARRAY: return list_same(&a->u.array.items, &b->u.array.items);
    case SL_E_MAP: return list_same(&a->u.map.keys, &b->u.map.keys) && list_same(&a->u.map.values, &b->u.map.values);
    case SL_E_STRUCT:
        /* GROUP BY STRUCT(a := A, ...) is matched in the select list field by field */
        if (!list_same(&a->u.struct_.values, &b->u.struct_.values))
            return false;
        for (int i = 0; i < a->u.struct_.values.count; i++)
            if (!str_same(a->u.struct_.names[i], b->u.struct_.names[i]))
                return false;
        return true;
    case SL_E_BETWEEN:
        return a->u.between.negated == b->u.between.negated && sl_expr_same(a->u.between.arg, b->u.between.arg) &&
               sl_expr_same(a->u.between.lo, b->u.between.lo) && sl_expr_same(a->u.between.hi, b->u.between.hi);
    case SL_E_IN:
        return a->u.in.negated == b->u.in.negated && sl_expr_same(a->u.in.arg, b->u.in.arg) &&
               list_same(&a->u.in.list, &b->u.in.list);
    case SL_E_LIKE:
        return a->u.like.negated == b->u.like.negated && a->u.like.escape == b->u.like.escape &&
               sl_expr_same(a->u.like.arg, b->u.like.arg) && sl_expr_same(a->u.like.pattern, b->u.like.pattern);
    case SL_E_CASE:
        return sl_expr_same(a->u.case_.operand, b->u.case_.operand) && list_same(&a->u.case_.whens, &b->u.case_.whens) &&
               list_same(&a->u.case_.thens, &b->u.case_.thens) && sl_expr_same(a->u.case_.otherwise, b->u.case_.otherwise);
    case SL_E_INTERVAL: return str_same(a->u.interval.unit, b->u.interval.unit);
    default: return a == b;
    }
}

bool sl_expr_same(const sl_expr *a, const sl_expr *b)
{
    return same(NULL, a, b);
}

bool sl_expr_same_in(const sl_scope *sc, const sl_expr *a, const sl_expr *b)
{
    return same(sc, a, b);
}

const sl_value *sl_cexpr_constant(const sl_cexpr *e)
{
    return e->eval == ev_literal ? &e->lit : NULL;
}

int sl_cexpr_column_index(const sl_cexpr *e)
{
    return e->eval == ev_column ? e->index : -1;
}
