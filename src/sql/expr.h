/* Expression compiler: turns an analysed AST expression into a tree of typed
 * closures (sl_cexpr). Each node holds a function pointer chosen at compile
 * time for its operand types, so evaluation never re-inspects the AST or
 * looks anything up; intermediate values go to the batch arena.
 *
 * Columns are resolved against a scope: the row layout of the operator the
 * expression runs in (source columns, pseudo-columns, joined sides). */
#ifndef SL_EXPR_H
#define SL_EXPR_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"
#include "common/value.h"
#include "sql/ast.h"
#include "sql/function.h"

#define SL_MAX_LAMBDA_VARS 16

typedef struct sl_scope_col {
    const char *name;   /* column name as resolved by ksqlDB rules */
    const char *source; /* qualifier that may prefix it (source name/alias); may be NULL */
    const char *alt_source;
    const sl_type *type;
    int index; /* position in the row */
    bool hidden; /* resolvable but not part of SELECT * (pseudo-columns) */
} sl_scope_col;

typedef struct sl_scope {
    sl_scope_col *cols;
    int ncols;
    const char *file;
    sl_arena *arena; /* query lifetime */
    /* lambda variables in scope (innermost last) */
    const char *lambda_names[SL_MAX_LAMBDA_VARS];
    const sl_type *lambda_types[SL_MAX_LAMBDA_VARS];
    int nlambda;
    /* when set, asked first for every node; returns a compiled expression,
     * or NULL (err->code 0) to compile the node normally. GROUP BY uses it
     * to map grouping expressions and aggregate calls onto its result row. */
    struct sl_cexpr *(*node_hook)(void *hook_ctx, struct sl_scope *scope, const sl_expr *x, sl_error *err);
    void *hook_ctx;
} sl_scope;

typedef struct sl_eval_ctx {
    const sl_value *row;
    sl_value lambda_vals[SL_MAX_LAMBDA_VARS];
    sl_arena *arena;
    sl_error *err; /* the first runtime error of this evaluation */
    int errors;    /* how many evaluation errors happened (result became NULL) */
    /* Inside a lambda, ksqlDB's generated Java throws on arithmetic over a
     * NULL and the whole TRANSFORM/FILTER/REDUCE becomes NULL; outside one
     * the arithmetic is NULL. lambda_depth > 0 while a body runs. */
    int lambda_depth;
    bool lambda_fault;
} sl_eval_ctx;

typedef struct sl_cexpr sl_cexpr;
typedef void (*sl_eval_fn)(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out);

struct sl_cexpr {
    sl_eval_fn eval;
    const sl_type *type;
    sl_cexpr **args;
    int nargs;
    /* payload, by node */
    sl_value lit;
    int index;  /* column / field / lambda slot */
    int op;
    char escape;
    sl_fn_binding fn;
    const void *aux;
};

/* Compiles expr in scope; annotates expr->type. Errors carry file:line:col.
 * Returns NULL on error (SL_ERR_INVALID or SL_ERR_UNSUPPORTED in err). */
sl_cexpr *sl_expr_compile(sl_scope *scope, const sl_expr *expr, sl_error *err);

/* Evaluates; a runtime error (e.g. a failed cast) yields NULL and is counted
 * in ctx->errors with the message in ctx->err, as ksqlDB does. */
static inline void sl_cexpr_eval(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    e->eval(e, ctx, out);
}

/* Wraps e in a cast to type (no-op when equal). */
sl_cexpr *sl_cexpr_cast(sl_arena *arena, sl_cexpr *e, const sl_type *to);
/* A node that returns a constant. */
sl_cexpr *sl_cexpr_literal(sl_arena *arena, sl_value v, const sl_type *type);
/* A node that reads row[index]. */
sl_cexpr *sl_cexpr_column(sl_arena *arena, int index, const sl_type *type);

/* The name ksqlDB gives an unaliased select expression, or NULL when it
 * generates KSQL_COL_n. */
const char *sl_expr_default_name(const sl_expr *expr);
/* The value of a compiled literal, or NULL for any other node. */
const sl_value *sl_cexpr_constant(const sl_cexpr *e);
/* The row index a compiled column reference reads, or -1 for any other node. */
int sl_cexpr_column_index(const sl_cexpr *e);
/* Structural equality of two expressions (same text modulo spacing). */
bool sl_expr_same(const sl_expr *a, const sl_expr *b);
/* the same, where column references must also resolve to one column of sc
 * (after a join, t.x and u.x name two columns) */
bool sl_expr_same_in(const sl_scope *sc, const sl_expr *a, const sl_expr *b);
/* `base->*` in a select list: sets *fields to one `base->field` node per
 * field of base's STRUCT type, in the type's order, and returns how many
 * (ksqlDB names each column after its field). -1 with err set when base
 * does not compile or is not a STRUCT. */
int sl_expr_struct_all(sl_scope *scope, const sl_expr *base, sl_expr ***fields, sl_error *err);
/* Whether the expression contains an aggregate function call. */
bool sl_expr_is_aggregate_name(const char *name);

/* record an evaluation error in ctx */
void sl_eval_error(sl_eval_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
