/* Recursive-descent parser. Statements end at ';' (or EOF). Expression
 * precedence, loosest first, follows ksqlDB's grammar:
 *   OR < AND < NOT < predicate (comparison, IS NULL, BETWEEN, IN, LIKE)
 *   < || < + - < * / % < unary - + < postfix ([i], ->f) < primary.
 * Keywords are contextual: an unquoted identifier token is compared by text,
 * so column names that happen to be keywords elsewhere still parse. */
#include "sql/parser.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/lexer.h"

typedef struct custom_type {
    const char *name;
    const sl_type *type;
    struct custom_type *next;
} custom_type;

typedef struct parser {
    sl_token *toks;
    int n, i;
    const char *file, *text;
    sl_arena *arena;
    sl_error *err;
    jmp_buf fail;
    custom_type *types;
    int depth; /* recursion depth of the expression parser */
} parser;

static sl_token *peek(parser *p)
{
    return &p->toks[p->i];
}
static sl_token *peek_at(parser *p, int k)
{
    int j = p->i + k;
    return &p->toks[j < p->n ? j : p->n - 1];
}
static sl_token *next(parser *p)
{
    sl_token *t = &p->toks[p->i];
    if (p->i < p->n - 1)
        p->i++;
    return t;
}

static _Noreturn void fail_at(parser *p, sl_token *t, const char *fmt, const char *a)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, a);
    sl_error_at(p->err, SL_ERR_INVALID, p->file, t->line, t->col, "%s", msg);
    longjmp(p->fail, 1);
}

static _Noreturn void unexpected(parser *p, const char *expected)
{
    sl_token *t = peek(p);
    char msg[300];
    if (t->kind == SL_TOK_EOF)
        snprintf(msg, sizeof msg, "syntax error: unexpected end of input, expected %s", expected);
    else
        snprintf(msg, sizeof msg, "syntax error: unexpected '%s', expected %s", t->text, expected);
    fail_at(p, t, "%s", msg);
}

static bool is_kw(sl_token *t, const char *kw)
{
    return t->kind == SL_TOK_IDENT && !t->quoted && !strcmp(t->text, kw);
}
static bool is_op(sl_token *t, const char *op)
{
    return t->kind == SL_TOK_OP && !strcmp(t->text, op);
}
static bool accept_kw(parser *p, const char *kw)
{
    if (is_kw(peek(p), kw)) {
        next(p);
        return true;
    }
    return false;
}
static bool accept_op(parser *p, const char *op)
{
    if (is_op(peek(p), op)) {
        next(p);
        return true;
    }
    return false;
}
static void expect_kw(parser *p, const char *kw)
{
    if (!accept_kw(p, kw))
        unexpected(p, kw);
}
static void expect_op(parser *p, const char *op)
{
    if (!accept_op(p, op)) {
        char e[16];
        snprintf(e, sizeof e, "'%s'", op);
        unexpected(p, e);
    }
}

static sl_pos pos_of(sl_token *t)
{
    sl_pos ps = {t->line, t->col};
    return ps;
}

/* Words that end an expression or clause and so cannot be an implicit alias. */
static const char *const reserved[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "PARTITION", "WINDOW", "EMIT", "LIMIT",
    "JOIN", "LEFT", "RIGHT", "FULL", "INNER", "OUTER", "ON", "WITHIN", "AND", "OR", "NOT", "AS",
    "IS", "NULL", "IN", "LIKE", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "WITH",
    "TRUE", "FALSE", "CAST", "INTO", "VALUES", "ESCAPE", "GRACE", NULL};

static bool is_reserved(sl_token *t)
{
    if (t->kind != SL_TOK_IDENT || t->quoted)
        return false;
    for (int i = 0; reserved[i]; i++)
        if (!strcmp(t->text, reserved[i]))
            return true;
    return false;
}

static const char *ident(parser *p, const char *what)
{
    sl_token *t = peek(p);
    if (t->kind != SL_TOK_IDENT || is_reserved(t))
        unexpected(p, what);
    next(p);
    return t->text;
}

/* ---------- growable lists in the arena ---------- */

typedef struct vec {
    void **items;
    int count, cap;
} vec;

static void vpush(parser *p, vec *v, void *x)
{
    if (v->count == v->cap) {
        int cap = v->cap ? v->cap * 2 : 4;
        void **n = sl_arena_alloc(p->arena, (size_t)cap * sizeof *n);
        if (v->count)
            memcpy(n, v->items, (size_t)v->count * sizeof *n);
        v->items = n;
        v->cap = cap;
    }
    v->items[v->count++] = x;
}

static sl_expr_list to_list(vec *v)
{
    sl_expr_list l = {(sl_expr **)v->items, v->count};
    return l;
}

/* ---------- types ---------- */

int64_t sl_time_unit_ms(const char *u)
{
    static const struct {
        const char *name;
        int64_t ms;
    } units[] = {{"MILLISECOND", 1},       {"MILLISECONDS", 1},       {"SECOND", 1000},
                 {"SECONDS", 1000},        {"MINUTE", 60000},         {"MINUTES", 60000},
                 {"HOUR", 3600000},        {"HOURS", 3600000},        {"DAY", 86400000},
                 {"DAYS", 86400000},       {"WEEK", 604800000},       {"WEEKS", 604800000},
                 {"MONTH", 2592000000LL},  {"MONTHS", 2592000000LL},  {"YEAR", 31536000000LL},
                 {"YEARS", 31536000000LL}, {"MICROSECOND", 0},        {NULL, 0}};
    for (int i = 0; units[i].name; i++)
        if (!strcmp(units[i].name, u))
            return units[i].ms;
    return 0;
}

static const sl_type *parse_type(parser *p);

static int parse_int_token(parser *p)
{
    sl_token *t = peek(p);
    if (t->kind != SL_TOK_INTEGER)
        unexpected(p, "an integer");
    next(p);
    return atoi(t->text);
}

static const sl_type *parse_type(parser *p)
{
    sl_token *t = peek(p);
    if (t->kind != SL_TOK_IDENT)
        unexpected(p, "a type");
    next(p);
    const char *n = t->text;
    if (!strcmp(n, "INT") || !strcmp(n, "INTEGER"))
        return &sl_type_int;
    if (!strcmp(n, "BIGINT"))
        return &sl_type_bigint;
    if (!strcmp(n, "DOUBLE"))
        return &sl_type_double;
    if (!strcmp(n, "BOOLEAN"))
        return &sl_type_boolean;
    if (!strcmp(n, "STRING"))
        return &sl_type_string;
    if (!strcmp(n, "VARCHAR")) {
        if (accept_op(p, "(")) { /* VARCHAR(n) or VARCHAR(STRING): ignored, as ksqlDB */
            sl_token *param = peek(p);
            if (param->kind == SL_TOK_IDENT && !strcmp(param->text, "STRING"))
                next(p);
            else
                parse_int_token(p);
            expect_op(p, ")");
        }
        return &sl_type_string;
    }
    if (!strcmp(n, "BYTES"))
        return &sl_type_bytes;
    if (!strcmp(n, "TIMESTAMP"))
        return &sl_type_timestamp;
    if (!strcmp(n, "DATE"))
        return &sl_type_date;
    if (!strcmp(n, "TIME"))
        return &sl_type_time;
    if (!strcmp(n, "DECIMAL")) {
        expect_op(p, "(");
        sl_token *pt = peek(p);
        int prec = parse_int_token(p);
        int scale = 0;
        if (accept_op(p, ","))
            scale = parse_int_token(p);
        expect_op(p, ")");
        if (prec < 1 || prec > 38)
            fail_at(p, pt, "%s", "DECIMAL precision must be between 1 and 38");
        if (scale < 0 || scale > prec)
            fail_at(p, pt, "%s", "DECIMAL scale must be between 0 and the precision");
        return sl_type_decimal(p->arena, prec, scale);
    }
    if (!strcmp(n, "ARRAY")) {
        expect_op(p, "<");
        const sl_type *e = parse_type(p);
        expect_op(p, ">");
        return sl_type_array(p->arena, e);
    }
    if (!strcmp(n, "MAP")) {
        expect_op(p, "<");
        const sl_type *k = parse_type(p);
        expect_op(p, ",");
        const sl_type *v = parse_type(p);
        expect_op(p, ">");
        return sl_type_map(p->arena, k, v);
    }
    if (!strcmp(n, "STRUCT")) {
        expect_op(p, "<");
        int nf = 0, cap = 16;
        sl_field *fields = sl_arena_alloc(p->arena, (size_t)cap * sizeof *fields);
        if (!is_op(peek(p), ">")) {
            do {
                sl_token *ft = peek(p);
                if (ft->kind != SL_TOK_IDENT)
                    unexpected(p, "a field name");
                next(p);
                if (nf == cap) { /* (the arena frees the old array with the rest) */
                    sl_field *grown = sl_arena_alloc(p->arena, (size_t)cap * 2 * sizeof *fields);
                    memcpy(grown, fields, (size_t)nf * sizeof *fields);
                    fields = grown;
                    cap *= 2;
                }
                for (int i = 0; i < nf; i++)
                    if (!strcmp(fields[i].name, ft->text))
                        fail_at(p, ft, "Duplicate field names found in STRUCT: '%s'", ft->text);
                fields[nf].name = ft->text;
                fields[nf].type = parse_type(p);
                nf++;
            } while (accept_op(p, ","));
        }
        expect_op(p, ">");
        return sl_type_struct(p->arena, nf, fields);
    }
    for (custom_type *c = p->types; c; c = c->next)
        if (!strcmp(c->name, n))
            return c->type;
    fail_at(p, t, "Unknown type: %s", n);
}

/* ---------- expressions ---------- */

static sl_expr *new_expr(parser *p, sl_expr_kind kind, sl_token *at)
{
    sl_expr *e = sl_arena_calloc(p->arena, 1, sizeof *e);
    e->kind = kind;
    e->pos = pos_of(at);
    return e;
}

static sl_expr *parse_expr(parser *p);

/* Expressions deeper than this are rejected: every pass over the tree
 * (analysis, compilation, evaluation) recurses, and a hostile file must not
 * exhaust the stack. Real queries stay far below it. */
#define MAX_EXPR_HEIGHT 256

static int max_height(const sl_expr *const *items, int n)
{
    int h = 0;
    for (int i = 0; i < n; i++)
        if (items[i] && items[i]->height > h)
            h = items[i]->height;
    return h;
}

/* sets e->height from its direct children (already measured) and checks it */
static sl_expr *measured(parser *p, sl_expr *e)
{
    int h = 0;
    const sl_expr *c[4] = {0};
    switch (e->kind) {
    case SL_E_DEREF: c[0] = e->u.deref.base; break;
    case SL_E_SUBSCRIPT: c[0] = e->u.sub.base, c[1] = e->u.sub.index; break;
    case SL_E_UNARY: c[0] = e->u.unary.arg; break;
    case SL_E_BINARY: c[0] = e->u.binary.left, c[1] = e->u.binary.right; break;
    case SL_E_IS_NULL: c[0] = e->u.isnull.arg; break;
    case SL_E_BETWEEN: c[0] = e->u.between.arg, c[1] = e->u.between.lo, c[2] = e->u.between.hi; break;
    case SL_E_IN:
        c[0] = e->u.in.arg;
        h = max_height((const sl_expr *const *)e->u.in.list.items, e->u.in.list.count);
        break;
    case SL_E_LIKE: c[0] = e->u.like.arg, c[1] = e->u.like.pattern; break;
    case SL_E_CASE:
        c[0] = e->u.case_.operand, c[1] = e->u.case_.otherwise;
        h = max_height((const sl_expr *const *)e->u.case_.whens.items, e->u.case_.whens.count);
        if (max_height((const sl_expr *const *)e->u.case_.thens.items, e->u.case_.thens.count) > h)
            h = max_height((const sl_expr *const *)e->u.case_.thens.items, e->u.case_.thens.count);
        break;
    case SL_E_CAST: c[0] = e->u.cast.arg; break;
    case SL_E_CALL: h = max_height((const sl_expr *const *)e->u.call.args.items, e->u.call.args.count); break;
    case SL_E_LAMBDA: c[0] = e->u.lambda.body; break;
    case SL_E_ARRAY: h = max_height((const sl_expr *const *)e->u.array.items.items, e->u.array.items.count); break;
    case SL_E_MAP:
        h = max_height((const sl_expr *const *)e->u.map.keys.items, e->u.map.keys.count);
        if (max_height((const sl_expr *const *)e->u.map.values.items, e->u.map.values.count) > h)
            h = max_height((const sl_expr *const *)e->u.map.values.items, e->u.map.values.count);
        break;
    case SL_E_STRUCT:
        h = max_height((const sl_expr *const *)e->u.struct_.values.items, e->u.struct_.values.count);
        break;
    default: break;
    }
    int hc = max_height(c, 4);
    e->height = (hc > h ? hc : h) + 1;
    if (e->height > MAX_EXPR_HEIGHT)
        fail_at(p, peek(p), "%s", "expression nested too deeply (more than 256 levels)");
    return e;
}

static sl_expr *literal_number(parser *p, sl_token *t, bool negative)
{
    sl_expr *e = new_expr(p, SL_E_LITERAL, t);
    const char *s = t->text;
    if (t->kind == SL_TOK_INTEGER) {
        errno = 0;
        char *end;
        unsigned long long u = strtoull(s, &end, 10);
        if (errno == ERANGE || u > (unsigned long long)INT64_MAX + (negative ? 1 : 0))
            fail_at(p, t, "Invalid numeric literal: %s", s);
        int64_t v = negative ? (int64_t)(0 - u) : (int64_t)u;
        if (v >= INT32_MIN && v <= INT32_MAX) {
            e->u.lit.value = sl_int((int32_t)v);
            e->u.lit.type = &sl_type_int;
        } else {
            e->u.lit.value = sl_bigint(v);
            e->u.lit.type = &sl_type_bigint;
        }
        return e;
    }
    if (t->kind == SL_TOK_FLOAT) {
        double d = strtod(s, NULL);
        e->u.lit.value = sl_double(negative ? -d : d);
        e->u.lit.type = &sl_type_double;
        return e;
    }
    /* DECIMAL literal: precision = digits, scale = digits after the point */
    const char *dot = strchr(s, '.');
    int scale = dot ? (int)strlen(dot + 1) : 0;
    int digits = 0;
    bool leading = true;
    for (const char *q = s; *q; q++) {
        if (*q == '.')
            continue;
        if (*q == '0' && leading && q < dot)
            continue;
        leading = false;
        digits++;
    }
    if (digits < scale)
        digits = scale;
    if (digits == 0)
        digits = 1;
    if (digits > 38)
        fail_at(p, t, "%s", "DECIMAL literal has more than 38 digits");
    sl_i128 v;
    sl_decimal_parse(s, (uint32_t)strlen(s), scale, &v);
    e->u.lit.value = sl_decimal(negative ? -v : v, digits, scale);
    e->u.lit.type = sl_type_decimal(p->arena, digits, scale);
    return e;
}

static sl_expr *parse_lambda_body(parser *p, sl_token *at, vec *params)
{
    sl_expr *e = new_expr(p, SL_E_LAMBDA, at);
    e->u.lambda.params = (const char **)params->items;
    e->u.lambda.nparams = params->count;
    e->u.lambda.body = parse_expr(p);
    return e;
}

static sl_expr *parse_call_args(parser *p, sl_token *name_tok)
{
    sl_expr *e = new_expr(p, SL_E_CALL, name_tok);
    e->u.call.name = name_tok->text;
    vec args = {0};
    if (accept_op(p, "*")) {
        e->u.call.star = true;
    } else if (!is_op(peek(p), ")")) {
        if (accept_kw(p, "DISTINCT"))
            e->u.call.distinct = true;
        do {
            sl_token *t = peek(p);
            /* a bare time unit (DATEADD(DAYS, 1, d)) is passed as its name;
             * but DAY, HOUR, MINUTE and SECOND are also identifiers in
             * ksqlDB's grammar, and as such a column (VAR_ARG(FIRST, SECOND)) */
            if (t->kind == SL_TOK_IDENT && !t->quoted && sl_time_unit_ms(t->text) && strcmp(t->text, "DAY") &&
                strcmp(t->text, "HOUR") && strcmp(t->text, "MINUTE") && strcmp(t->text, "SECOND") &&
                (is_op(peek_at(p, 1), ",") || is_op(peek_at(p, 1), ")"))) {
                next(p);
                sl_expr *u = new_expr(p, SL_E_LITERAL, t);
                u->u.lit.value = sl_cstring(t->text);
                u->u.lit.type = &sl_type_string;
                vpush(p, &args, u);
                continue;
            }
            vpush(p, &args, parse_expr(p));
        } while (accept_op(p, ","));
    }
    expect_op(p, ")");
    e->u.call.args = to_list(&args);
    return e;
}

static sl_expr *parse_primary_unmeasured(parser *p)
{
    sl_token *t = peek(p);
    switch (t->kind) {
    case SL_TOK_INTEGER:
    case SL_TOK_DECIMAL:
    case SL_TOK_FLOAT:
        next(p);
        return literal_number(p, t, false);
    case SL_TOK_STRING: {
        next(p);
        sl_expr *e = new_expr(p, SL_E_LITERAL, t);
        e->u.lit.value = sl_cstring(t->text);
        e->u.lit.type = &sl_type_string;
        return e;
    }
    case SL_TOK_VARIABLE:
        fail_at(p, t, "Variable '%s' is not defined", t->text);
    case SL_TOK_OP:
        if (is_op(t, "(")) {
            /* lambda with a parameter list, or a parenthesised expression */
            int j = 1;
            bool lambda = false;
            if (peek_at(p, 1)->kind == SL_TOK_IDENT) {
                while (peek_at(p, j)->kind == SL_TOK_IDENT && is_op(peek_at(p, j + 1), ","))
                    j += 2;
                lambda = peek_at(p, j)->kind == SL_TOK_IDENT && is_op(peek_at(p, j + 1), ")") &&
                         is_op(peek_at(p, j + 2), "=>");
            }
            if (lambda) {
                next(p);
                vec params = {0};
                do {
                    vpush(p, &params, (void *)next(p)->text);
                } while (accept_op(p, ","));
                expect_op(p, ")");
                expect_op(p, "=>");
                return parse_lambda_body(p, t, &params);
            }
            next(p);
            sl_expr *e = parse_expr(p);
            expect_op(p, ")");
            return e;
        }
        unexpected(p, "an expression");
    case SL_TOK_IDENT:
        break;
    default:
        unexpected(p, "an expression");
    }
    /* identifiers and keyword-led forms */
    if (!t->quoted) {
        if (is_kw(t, "NULL")) {
            next(p);
            sl_expr *e = new_expr(p, SL_E_LITERAL, t);
            e->u.lit.value = sl_null(SL_NULLTYPE);
            e->u.lit.type = &sl_type_null;
            return e;
        }
        if (is_kw(t, "TRUE") || is_kw(t, "FALSE")) {
            next(p);
            sl_expr *e = new_expr(p, SL_E_LITERAL, t);
            e->u.lit.value = sl_bool(is_kw(t, "TRUE"));
            e->u.lit.type = &sl_type_boolean;
            return e;
        }
        if (is_kw(t, "CASE")) {
            next(p);
            sl_expr *e = new_expr(p, SL_E_CASE, t);
            if (!is_kw(peek(p), "WHEN"))
                e->u.case_.operand = parse_expr(p);
            vec whens = {0}, thens = {0};
            while (accept_kw(p, "WHEN")) {
                vpush(p, &whens, parse_expr(p));
                expect_kw(p, "THEN");
                vpush(p, &thens, parse_expr(p));
            }
            if (!whens.count)
                unexpected(p, "WHEN");
            if (accept_kw(p, "ELSE"))
                e->u.case_.otherwise = parse_expr(p);
            expect_kw(p, "END");
            e->u.case_.whens = to_list(&whens);
            e->u.case_.thens = to_list(&thens);
            return e;
        }
        if (is_kw(t, "CAST") && is_op(peek_at(p, 1), "(")) {
            next(p);
            next(p);
            sl_expr *e = new_expr(p, SL_E_CAST, t);
            e->u.cast.arg = parse_expr(p);
            expect_kw(p, "AS");
            e->u.cast.to = parse_type(p);
            expect_op(p, ")");
            return e;
        }
        if (is_kw(t, "ARRAY") && is_op(peek_at(p, 1), "[")) {
            next(p);
            next(p);
            sl_expr *e = new_expr(p, SL_E_ARRAY, t);
            vec items = {0};
            if (!is_op(peek(p), "]"))
                do
                    vpush(p, &items, parse_expr(p));
                while (accept_op(p, ","));
            expect_op(p, "]");
            e->u.array.items = to_list(&items);
            return e;
        }
        if ((is_kw(t, "MAP") || is_kw(t, "STRUCT")) && is_op(peek_at(p, 1), "(")) {
            bool is_map = is_kw(t, "MAP");
            next(p);
            next(p);
            sl_expr *e = new_expr(p, is_map ? SL_E_MAP : SL_E_STRUCT, t);
            vec keys = {0}, vals = {0};
            if (!is_op(peek(p), ")")) {
                do {
                    if (is_map) {
                        vpush(p, &keys, parse_expr(p));
                    } else {
                        sl_token *ft = peek(p);
                        if (ft->kind != SL_TOK_IDENT)
                            unexpected(p, "a field name");
                        next(p);
                        vpush(p, &keys, (void *)ft->text);
                    }
                    expect_op(p, ":");
                    expect_op(p, "=");
                    vpush(p, &vals, parse_expr(p));
                } while (accept_op(p, ","));
            }
            expect_op(p, ")");
            if (is_map) {
                e->u.map.keys = to_list(&keys);
                e->u.map.values = to_list(&vals);
            } else {
                e->u.struct_.names = (const char **)keys.items;
                e->u.struct_.values = to_list(&vals);
            }
            return e;
        }
        if (is_reserved(t) && !is_kw(t, "LEFT") && !is_kw(t, "RIGHT"))
            unexpected(p, "an expression");
    }
    next(p);
    /* single-parameter lambda: x => body */
    if (is_op(peek(p), "=>")) {
        next(p);
        vec params = {0};
        vpush(p, &params, (void *)t->text);
        return parse_lambda_body(p, t, &params);
    }
    if (is_op(peek(p), "(") && !t->quoted) {
        next(p);
        return parse_call_args(p, t);
    }
    sl_expr *e = new_expr(p, SL_E_COLUMN, t);
    e->u.col.name = t->text;
    if (is_op(peek(p), ".") && peek_at(p, 1)->kind == SL_TOK_IDENT) {
        next(p);
        e->u.col.qualifier = t->text;
        e->u.col.name = next(p)->text;
    }
    return e;
}

static sl_expr *parse_primary(parser *p)
{
    return measured(p, parse_primary_unmeasured(p));
}

static sl_expr *parse_postfix(parser *p)
{
    sl_expr *e = parse_primary(p);
    for (;;) {
        sl_token *t = peek(p);
        if (is_op(t, "[")) {
            next(p);
            sl_expr *s = new_expr(p, SL_E_SUBSCRIPT, t);
            s->u.sub.base = e;
            s->u.sub.index = parse_expr(p);
            expect_op(p, "]");
            e = measured(p, s);
        } else if (is_op(t, "->") && !is_op(peek_at(p, 1), "*")) {
            /* `base->*` is left to the select list (parse_select) */
            next(p);
            sl_token *f = peek(p);
            if (f->kind != SL_TOK_IDENT)
                unexpected(p, "a field name");
            next(p);
            sl_expr *d = new_expr(p, SL_E_DEREF, t);
            d->u.deref.base = e;
            d->u.deref.field = f->text;
            e = measured(p, d);
        } else {
            return e;
        }
    }
}

static sl_expr *parse_unary(parser *p)
{
    sl_token *t = peek(p);
    if (is_op(t, "-") || is_op(t, "+")) {
        next(p);
        sl_token *n = peek(p);
        if (is_op(t, "-") && (n->kind == SL_TOK_INTEGER || n->kind == SL_TOK_DECIMAL ||
                              n->kind == SL_TOK_FLOAT) &&
            !is_op(peek_at(p, 1), "[")) {
            next(p);
            return literal_number(p, n, true);
        }
        sl_expr *e = new_expr(p, SL_E_UNARY, t);
        e->u.unary.op = is_op(t, "-") ? SL_OP_NEG : SL_OP_PLUS;
        if (++p->depth > MAX_EXPR_HEIGHT)
            fail_at(p, t, "%s", "expression nested too deeply (more than 256 levels)");
        e->u.unary.arg = parse_unary(p);
        p->depth--;
        return measured(p, e);
    }
    return parse_postfix(p);
}

static sl_expr *binary(parser *p, sl_token *at, sl_binop op, sl_expr *l, sl_expr *r)
{
    sl_expr *e = new_expr(p, SL_E_BINARY, at);
    e->u.binary.op = op;
    e->u.binary.left = l;
    e->u.binary.right = r;
    return measured(p, e);
}

static sl_expr *parse_mul(parser *p)
{
    sl_expr *e = parse_unary(p);
    for (;;) {
        sl_token *t = peek(p);
        sl_binop op;
        if (is_op(t, "*"))
            op = SL_OP_MUL;
        else if (is_op(t, "/"))
            op = SL_OP_DIV;
        else if (is_op(t, "%"))
            op = SL_OP_MOD;
        else
            return e;
        next(p);
        e = binary(p, t, op, e, parse_unary(p));
    }
}

static sl_expr *parse_add(parser *p)
{
    sl_expr *e = parse_mul(p);
    for (;;) {
        sl_token *t = peek(p);
        if (is_op(t, "+")) {
            next(p);
            e = binary(p, t, SL_OP_ADD, e, parse_mul(p));
        } else if (is_op(t, "-")) {
            next(p);
            e = binary(p, t, SL_OP_SUB, e, parse_mul(p));
        } else {
            return e;
        }
    }
}

static sl_expr *parse_concat(parser *p)
{
    sl_expr *e = parse_add(p);
    while (is_op(peek(p), "||")) {
        sl_token *t = next(p);
        e = binary(p, t, SL_OP_CONCAT, e, parse_add(p));
    }
    return e;
}

static sl_expr *parse_predicate_unmeasured(parser *p)
{
    sl_expr *e = parse_concat(p);
    for (;;) {
        sl_token *t = peek(p);
        sl_binop op;
        if (is_op(t, "="))
            op = SL_OP_EQ;
        else if (is_op(t, "<>") || is_op(t, "!="))
            op = SL_OP_NE;
        else if (is_op(t, "<"))
            op = SL_OP_LT;
        else if (is_op(t, "<="))
            op = SL_OP_LE;
        else if (is_op(t, ">"))
            op = SL_OP_GT;
        else if (is_op(t, ">="))
            op = SL_OP_GE;
        else
            break;
        next(p);
        e = binary(p, t, op, e, parse_concat(p));
    }
    sl_token *t = peek(p);
    if (is_kw(t, "IS")) {
        next(p);
        sl_expr *n = new_expr(p, SL_E_IS_NULL, t);
        n->u.isnull.negated = accept_kw(p, "NOT");
        if (accept_kw(p, "DISTINCT")) {
            expect_kw(p, "FROM");
            return binary(p, t, n->u.isnull.negated ? SL_OP_NOT_DISTINCT : SL_OP_DISTINCT, e, parse_concat(p));
        }
        expect_kw(p, "NULL");
        n->u.isnull.arg = e;
        return n;
    }
    bool negated = false;
    if (is_kw(t, "NOT") && (is_kw(peek_at(p, 1), "BETWEEN") || is_kw(peek_at(p, 1), "IN") ||
                            is_kw(peek_at(p, 1), "LIKE"))) {
        next(p);
        negated = true;
        t = peek(p);
    }
    if (is_kw(t, "BETWEEN")) {
        next(p);
        sl_expr *b = new_expr(p, SL_E_BETWEEN, t);
        b->u.between.arg = e;
        b->u.between.lo = parse_concat(p);
        expect_kw(p, "AND");
        b->u.between.hi = parse_concat(p);
        b->u.between.negated = negated;
        return b;
    }
    if (is_kw(t, "IN")) {
        next(p);
        sl_expr *in = new_expr(p, SL_E_IN, t);
        expect_op(p, "(");
        vec items = {0};
        do
            vpush(p, &items, parse_expr(p));
        while (accept_op(p, ","));
        expect_op(p, ")");
        in->u.in.arg = e;
        in->u.in.list = to_list(&items);
        in->u.in.negated = negated;
        return in;
    }
    if (is_kw(t, "LIKE")) {
        next(p);
        sl_expr *l = new_expr(p, SL_E_LIKE, t);
        l->u.like.arg = e;
        l->u.like.pattern = parse_concat(p);
        l->u.like.negated = negated;
        if (accept_kw(p, "ESCAPE")) {
            sl_token *s = peek(p);
            if (s->kind != SL_TOK_STRING || strlen(s->text) != 1)
                unexpected(p, "a single-character string");
            next(p);
            l->u.like.escape = s->text[0];
        }
        return l;
    }
    return e;
}

static sl_expr *parse_not(parser *p)
{
    sl_token *t = peek(p);
    if (is_kw(t, "NOT")) {
        next(p);
        sl_expr *e = new_expr(p, SL_E_UNARY, t);
        e->u.unary.op = SL_OP_NOT;
        if (++p->depth > MAX_EXPR_HEIGHT)
            fail_at(p, t, "%s", "expression nested too deeply (more than 256 levels)");
        e->u.unary.arg = parse_not(p);
        p->depth--;
        return measured(p, e);
    }
    return measured(p, parse_predicate_unmeasured(p));
}

static sl_expr *parse_and(parser *p)
{
    sl_expr *e = parse_not(p);
    while (is_kw(peek(p), "AND")) {
        sl_token *t = next(p);
        e = binary(p, t, SL_OP_AND, e, parse_not(p));
    }
    return e;
}

static sl_expr *parse_expr(parser *p)
{
    if (++p->depth > MAX_EXPR_HEIGHT)
        fail_at(p, peek(p), "%s", "expression nested too deeply (more than 256 levels)");
    sl_expr *e = parse_and(p);
    while (is_kw(peek(p), "OR")) {
        sl_token *t = next(p);
        e = binary(p, t, SL_OP_OR, e, parse_and(p));
    }
    p->depth--;
    return e;
}

/* ---------- clauses ---------- */

static int64_t parse_duration(parser *p)
{
    sl_token *t = peek(p);
    if (t->kind != SL_TOK_INTEGER)
        unexpected(p, "a duration (e.g. 10 SECONDS)");
    next(p);
    int64_t n = strtoll(t->text, NULL, 10);
    sl_token *u = peek(p);
    if (u->kind != SL_TOK_IDENT || !sl_time_unit_ms(u->text))
        unexpected(p, "a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS)");
    next(p);
    int64_t unit = sl_time_unit_ms(u->text);
    if (n < 0 || n > INT64_MAX / unit)
        fail_at(p, t, "%s", "duration out of range");
    return n * unit;
}

static void parse_with(parser *p, sl_property_list *out)
{
    expect_op(p, "(");
    vec items = {0};
    do {
        sl_token *t = peek(p);
        if (t->kind != SL_TOK_IDENT)
            unexpected(p, "a property name");
        next(p);
        expect_op(p, "=");
        sl_property *prop = sl_arena_calloc(p->arena, 1, sizeof *prop);
        /* property names are case-insensitive even when quoted */
        char *name = sl_arena_strdup(p->arena, t->text);
        for (char *c = name; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 32);
        prop->name = name;
        prop->pos = pos_of(t);
        sl_token *v = peek(p);
        if (v->kind == SL_TOK_STRING) {
            next(p);
            prop->value = sl_cstring(v->text);
        } else if (v->kind == SL_TOK_INTEGER || v->kind == SL_TOK_DECIMAL || v->kind == SL_TOK_FLOAT ||
                   is_op(v, "-")) {
            sl_expr *e = parse_unary(p);
            prop->value = e->u.lit.value;
        } else if (is_kw(v, "TRUE") || is_kw(v, "FALSE")) {
            next(p);
            prop->value = sl_bool(is_kw(v, "TRUE"));
        } else if (v->kind == SL_TOK_IDENT) {
            next(p);
            prop->value = sl_cstring(v->text);
        } else {
            unexpected(p, "a property value");
        }
        for (int i = 0; i < items.count; i++)
            if (!strcmp(((sl_property *)items.items[i])->name, prop->name))
                fail_at(p, t, "Duplicate property: %s", prop->name);
        vpush(p, &items, prop);
    } while (accept_op(p, ","));
    expect_op(p, ")");
    out->count = items.count;
    out->items = sl_arena_alloc(p->arena, (size_t)(items.count ? items.count : 1) * sizeof(sl_property));
    for (int i = 0; i < items.count; i++)
        out->items[i] = *(sl_property *)items.items[i];
}

static void parse_from_item(parser *p, sl_from_item *f)
{
    sl_token *t = peek(p);
    f->name = ident(p, "a source name");
    f->pos = pos_of(t);
    if (accept_kw(p, "AS")) {
        f->alias = ident(p, "an alias");
    } else if (peek(p)->kind == SL_TOK_IDENT && !is_reserved(peek(p))) {
        f->alias = next(p)->text;
    }
}

static void parse_window(parser *p, sl_window_def *w)
{
    sl_token *t = peek(p);
    w->pos = pos_of(t);
    /* ksqlDB's grammar lets a window have a name (WINDOW w SESSION (...)),
     * which nothing refers to: skip it */
    sl_token *kind = peek_at(p, 1);
    if (t->kind == SL_TOK_IDENT && !t->quoted &&
        (is_kw(kind, "TUMBLING") || is_kw(kind, "HOPPING") || is_kw(kind, "SESSION")))
        next(p);
    if (accept_kw(p, "TUMBLING"))
        w->kind = SL_WINDOW_TUMBLING;
    else if (accept_kw(p, "HOPPING"))
        w->kind = SL_WINDOW_HOPPING;
    else if (accept_kw(p, "SESSION"))
        w->kind = SL_WINDOW_SESSION;
    else
        unexpected(p, "TUMBLING, HOPPING or SESSION");
    expect_op(p, "(");
    if (w->kind == SL_WINDOW_SESSION) {
        w->size_ms = parse_duration(p);
    }
    bool first = w->kind != SL_WINDOW_SESSION;
    while (first || accept_op(p, ",")) {
        first = false;
        if (accept_kw(p, "SIZE")) {
            w->size_ms = parse_duration(p);
        } else if (accept_kw(p, "ADVANCE")) {
            expect_kw(p, "BY");
            w->advance_ms = parse_duration(p);
        } else if (accept_kw(p, "RETENTION")) {
            w->retention_ms = parse_duration(p);
            w->has_retention = true;
        } else if (accept_kw(p, "GRACE")) {
            expect_kw(p, "PERIOD");
            w->grace_ms = parse_duration(p);
            w->has_grace = true;
        } else {
            unexpected(p, "SIZE, ADVANCE BY, RETENTION or GRACE PERIOD");
        }
    }
    expect_op(p, ")");
    if (w->kind != SL_WINDOW_SESSION && !w->size_ms)
        fail_at(p, t, "%s", "window SIZE is required");
    if (w->kind == SL_WINDOW_HOPPING && !w->advance_ms)
        fail_at(p, t, "%s", "HOPPING window requires ADVANCE BY");
}

static void parse_expr_list_until(parser *p, vec *v)
{
    do
        vpush(p, v, parse_expr(p));
    while (accept_op(p, ","));
}

static sl_select *parse_select(parser *p)
{
    sl_token *st = peek(p);
    expect_kw(p, "SELECT");
    sl_select *s = sl_arena_calloc(p->arena, 1, sizeof *s);
    s->pos = pos_of(st);
    s->limit = -1;
    vec items = {0};
    do {
        sl_select_item *it = sl_arena_calloc(p->arena, 1, sizeof *it);
        sl_token *t = peek(p);
        it->pos = pos_of(t);
        if (is_op(t, "*")) {
            next(p);
            it->star = true;
        } else if (t->kind == SL_TOK_IDENT && is_op(peek_at(p, 1), ".") && is_op(peek_at(p, 2), "*")) {
            next(p);
            next(p);
            next(p);
            it->star = true;
            it->star_qualifier = t->text;
        } else {
            it->expr = parse_expr(p);
            if (is_op(peek(p), "->") && is_op(peek_at(p, 1), "*")) {
                /* base->*: every field of a STRUCT, expanded by the planner */
                next(p);
                next(p);
                it->struct_all = true;
            } else if (accept_kw(p, "AS")) {
                sl_token *a = peek(p);
                if (a->kind != SL_TOK_IDENT)
                    unexpected(p, "an alias");
                next(p);
                it->alias = a->text;
            } else if (peek(p)->kind == SL_TOK_IDENT && !is_reserved(peek(p))) {
                it->alias = next(p)->text;
            }
        }
        vpush(p, &items, it);
    } while (accept_op(p, ","));
    s->nitems = items.count;
    s->items = sl_arena_alloc(p->arena, (size_t)items.count * sizeof *s->items);
    for (int i = 0; i < items.count; i++)
        s->items[i] = *(sl_select_item *)items.items[i];
    expect_kw(p, "FROM");
    parse_from_item(p, &s->from);
    vec joins = {0};
    for (;;) {
        sl_token *t = peek(p);
        sl_join_type jt = SL_JOIN_INNER;
        if (accept_kw(p, "LEFT")) {
            jt = SL_JOIN_LEFT;
            accept_kw(p, "OUTER");
        } else if (accept_kw(p, "RIGHT")) {
            jt = SL_JOIN_RIGHT;
            accept_kw(p, "OUTER");
        } else if (accept_kw(p, "FULL")) {
            jt = SL_JOIN_FULL;
            accept_kw(p, "OUTER");
        } else if (accept_kw(p, "INNER")) {
            jt = SL_JOIN_INNER;
        } else if (!is_kw(t, "JOIN")) {
            break;
        }
        expect_kw(p, "JOIN");
        sl_join *j = sl_arena_calloc(p->arena, 1, sizeof *j);
        j->type = jt;
        j->pos = pos_of(t);
        parse_from_item(p, &j->right);
        if (accept_kw(p, "WITHIN")) {
            j->has_within = true;
            if (accept_op(p, "(")) {
                j->within_before_ms = parse_duration(p);
                expect_op(p, ",");
                j->within_after_ms = parse_duration(p);
                expect_op(p, ")");
            } else {
                j->within_before_ms = j->within_after_ms = parse_duration(p);
            }
            if (accept_kw(p, "GRACE")) {
                expect_kw(p, "PERIOD");
                j->within_grace_ms = parse_duration(p);
                j->has_within_grace = true;
            }
        }
        expect_kw(p, "ON");
        j->on = parse_expr(p);
        vpush(p, &joins, j);
    }
    s->njoins = joins.count;
    s->joins = sl_arena_alloc(p->arena, (size_t)(joins.count ? joins.count : 1) * sizeof *s->joins);
    for (int i = 0; i < joins.count; i++)
        s->joins[i] = *(sl_join *)joins.items[i];
    if (accept_kw(p, "WINDOW"))
        parse_window(p, &s->window);
    if (accept_kw(p, "WHERE"))
        s->where = parse_expr(p);
    if (accept_kw(p, "GROUP")) {
        expect_kw(p, "BY");
        vec g = {0};
        if (accept_op(p, "(")) { /* GROUP BY (a, b) */
            parse_expr_list_until(p, &g);
            expect_op(p, ")");
        } else {
            parse_expr_list_until(p, &g);
        }
        s->group_by = to_list(&g);
    }
    if (accept_kw(p, "PARTITION")) {
        expect_kw(p, "BY");
        vec g = {0};
        parse_expr_list_until(p, &g);
        s->partition_by = to_list(&g);
    }
    if (accept_kw(p, "HAVING"))
        s->having = parse_expr(p);
    if (accept_kw(p, "EMIT")) {
        if (accept_kw(p, "CHANGES"))
            s->emit_changes = true;
        else if (accept_kw(p, "FINAL"))
            s->emit_final = true;
        else
            unexpected(p, "CHANGES or FINAL");
    }
    if (accept_kw(p, "LIMIT"))
        s->limit = parse_int_token(p);
    return s;
}

static void parse_columns(parser *p, sl_stmt *s)
{
    vec cols = {0};
    s->has_columns = true;
    if (!is_op(peek(p), ")")) {
        do {
            sl_token *t = peek(p);
            if (t->kind != SL_TOK_IDENT)
                unexpected(p, "a column name");
            next(p);
            sl_column_def *c = sl_arena_calloc(p->arena, 1, sizeof *c);
            c->name = t->text;
            c->pos = pos_of(t);
            c->type = parse_type(p);
            if (accept_kw(p, "KEY")) {
                c->role = SL_COL_KEY;
            } else if (accept_kw(p, "PRIMARY")) {
                expect_kw(p, "KEY");
                c->role = SL_COL_PRIMARY_KEY;
            } else if (accept_kw(p, "HEADERS")) {
                c->role = SL_COL_HEADERS;
            } else if (accept_kw(p, "HEADER")) {
                c->role = SL_COL_HEADER;
                expect_op(p, "(");
                sl_token *k = peek(p);
                if (k->kind != SL_TOK_STRING)
                    unexpected(p, "a header key string");
                next(p);
                c->header_key = k->text;
                expect_op(p, ")");
            }
            vpush(p, &cols, c);
        } while (accept_op(p, ","));
    }
    expect_op(p, ")");
    s->ncolumns = cols.count;
    s->columns = sl_arena_alloc(p->arena, (size_t)(cols.count ? cols.count : 1) * sizeof *s->columns);
    for (int i = 0; i < cols.count; i++)
        s->columns[i] = *(sl_column_def *)cols.items[i];
}

static sl_stmt *parse_statement(parser *p)
{
    sl_token *t = peek(p);
    sl_stmt *s = sl_arena_calloc(p->arena, 1, sizeof *s);
    s->pos = pos_of(t);
    if (accept_kw(p, "CREATE")) {
        if (accept_kw(p, "OR")) {
            expect_kw(p, "REPLACE");
            s->or_replace = true;
        }
        if (accept_kw(p, "SOURCE"))
            s->source_kw = true;
        if (accept_kw(p, "TYPE")) {
            s->kind = SL_STMT_CREATE_TYPE;
            if (accept_kw(p, "IF")) {
                expect_kw(p, "NOT");
                expect_kw(p, "EXISTS");
                s->if_not_exists = true;
            }
            s->name = ident(p, "a type name");
            expect_kw(p, "AS");
            s->type_def = parse_type(p);
            custom_type *c = sl_arena_calloc(p->arena, 1, sizeof *c);
            c->name = s->name;
            c->type = s->type_def;
            c->next = p->types;
            p->types = c;
            return s;
        }
        if (accept_kw(p, "TABLE"))
            s->is_table = true;
        else if (!accept_kw(p, "STREAM"))
            unexpected(p, "STREAM, TABLE or TYPE");
        if (accept_kw(p, "IF")) {
            expect_kw(p, "NOT");
            expect_kw(p, "EXISTS");
            s->if_not_exists = true;
        }
        s->name = ident(p, "a name");
        if (accept_op(p, "("))
            parse_columns(p, s);
        if (accept_kw(p, "WITH"))
            parse_with(p, &s->with);
        if (accept_kw(p, "AS")) {
            if (s->has_columns)
                fail_at(p, t, "%s", "CREATE ... AS SELECT cannot declare columns");
            s->kind = SL_STMT_CREATE_AS;
            s->select = parse_select(p);
        } else {
            s->kind = SL_STMT_CREATE_SOURCE;
        }
        return s;
    }
    if (accept_kw(p, "INSERT")) {
        expect_kw(p, "INTO");
        s->name = ident(p, "a name");
        if (accept_kw(p, "WITH"))
            parse_with(p, &s->with);
        if (is_kw(peek(p), "SELECT")) {
            s->kind = SL_STMT_INSERT_INTO;
            s->select = parse_select(p);
            return s;
        }
        s->kind = SL_STMT_INSERT_VALUES;
        vec cols = {0};
        if (accept_op(p, "(")) {
            do {
                sl_token *c = peek(p);
                if (c->kind != SL_TOK_IDENT)
                    unexpected(p, "a column name");
                next(p);
                vpush(p, &cols, (void *)c->text);
            } while (accept_op(p, ","));
            expect_op(p, ")");
        }
        s->insert_columns = (const char **)cols.items;
        s->ninsert_columns = cols.count;
        expect_kw(p, "VALUES");
        expect_op(p, "(");
        vec vals = {0};
        if (!is_op(peek(p), ")"))
            parse_expr_list_until(p, &vals);
        expect_op(p, ")");
        s->insert_values = to_list(&vals);
        return s;
    }
    if (accept_kw(p, "DROP")) {
        if (accept_kw(p, "TYPE")) {
            s->kind = SL_STMT_DROP_TYPE;
            if (accept_kw(p, "IF")) {
                expect_kw(p, "EXISTS");
                s->if_exists = true;
            }
            s->name = ident(p, "a type name");
            return s;
        }
        s->kind = SL_STMT_DROP;
        if (accept_kw(p, "TABLE"))
            s->is_table = true;
        else if (!accept_kw(p, "STREAM"))
            unexpected(p, "STREAM or TABLE");
        if (accept_kw(p, "IF")) {
            expect_kw(p, "EXISTS");
            s->if_exists = true;
        }
        s->name = ident(p, "a name");
        if (accept_kw(p, "DELETE")) {
            expect_kw(p, "TOPIC");
            s->delete_topic = true;
        }
        return s;
    }
    if (accept_kw(p, "SET") || (is_kw(t, "UNSET") && next(p))) {
        s->kind = is_kw(t, "SET") ? SL_STMT_SET : SL_STMT_UNSET;
        sl_token *k = peek(p);
        if (k->kind != SL_TOK_STRING)
            unexpected(p, "a quoted property name");
        next(p);
        s->set_name = k->text;
        if (s->kind == SL_STMT_SET) {
            expect_op(p, "=");
            sl_token *v = peek(p);
            if (v->kind != SL_TOK_STRING)
                unexpected(p, "a quoted property value");
            next(p);
            s->set_value = v->text;
        }
        return s;
    }
    if (is_kw(t, "SELECT")) {
        s->kind = SL_STMT_SELECT;
        s->select = parse_select(p);
        return s;
    }
    if (t->kind == SL_TOK_IDENT && !t->quoted) {
        /* other ksqlDB statements (DEFINE, ASSERT, SHOW, ...): skip to ';' */
        s->kind = SL_STMT_OTHER;
        s->name = t->text;
        if (is_kw(t, "ALTER") && (is_kw(peek_at(p, 1), "STREAM") || is_kw(peek_at(p, 1), "TABLE")) &&
            peek_at(p, 2)->kind == SL_TOK_IDENT)
            s->other_target = peek_at(p, 2)->text;
        while (peek(p)->kind != SL_TOK_EOF && !is_op(peek(p), ";"))
            next(p);
        return s;
    }
    unexpected(p, "a statement");
}

sl_err_t sl_parse(const char *text, const char *file, sl_arena *arena, sl_stmt_list *out,
                  sl_error *err)
{
    sl_token_list toks;
    sl_err_t rc = sl_lex(text, file, arena, &toks, err);
    if (rc)
        return rc;
    parser p = {.toks = toks.items, .n = toks.count, .file = file, .text = text, .arena = arena, .err = err};
    vec stmts = {0};
    if (setjmp(p.fail))
        return SL_ERR_INVALID;
    while (peek(&p)->kind != SL_TOK_EOF) {
        if (accept_op(&p, ";"))
            continue;
        sl_token *start = peek(&p);
        sl_stmt *s = parse_statement(&p);
        if (!is_op(peek(&p), ";") && peek(&p)->kind != SL_TOK_EOF)
            unexpected(&p, "';'");
        sl_token *end = peek(&p);
        s->text = sl_arena_strndup(arena, text + start->offset, (size_t)(end->offset - start->offset));
        vpush(&p, &stmts, s);
        accept_op(&p, ";");
    }
    out->items = (sl_stmt **)stmts.items;
    out->count = stmts.count;
    return SL_OK;
}

const sl_type *sl_parse_type_text(const char *text, sl_arena *arena, sl_error *err)
{
    sl_token_list toks;
    if (sl_lex(text, "<type>", arena, &toks, err))
        return NULL;
    parser p = {.toks = toks.items, .n = toks.count, .file = "<type>", .text = text, .arena = arena, .err = err};
    if (setjmp(p.fail))
        return NULL;
    const sl_type *t = parse_type(&p);
    if (peek(&p)->kind != SL_TOK_EOF)
        unexpected(&p, "end of type");
    return t;
}
