/* Scalar function registry: ksqlDB's built-in functions.
 *
 * A function is resolved once per call site at compile time: resolve() sees
 * the argument types (and the values of literal arguments), checks them the
 * way ksqlDB does, and binds an eval function, the result type, the types the
 * compiler must cast each argument to (ksqlDB's implicit widening), and any
 * precomputed state (a compiled pattern, a parsed format). eval() then runs
 * per record with no lookups. Results that need memory go to ctx->arena.
 *
 * Families live one per file (fn_string.c, fn_math.c, fn_datetime.c,
 * fn_json.c, fn_collection.c, fn_misc.c, fn_regex.c, fn_url.c, fn_mask.c,
 * fn_bytes.c), each exporting a table that
 * function.c lists. Lambdas (TRANSFORM, FILTER, REDUCE) and CASE, CAST, LIKE,
 * IN, BETWEEN are special forms of the expression compiler, not here. */
#ifndef SL_FUNCTION_H
#define SL_FUNCTION_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"
#include "common/value.h"

#define SL_FN_MAX_ARGS 16

typedef struct sl_fn_ctx {
    sl_arena *arena;   /* batch arena: results live until the batch ends */
    const void *state; /* the binding's state */
    sl_error *err;     /* filled on a runtime error (the record then goes to
                          the processing log; ksqlDB logs and emits NULL) */
} sl_fn_ctx;

/* argv has argc values, already cast to the binding's arg_types. */
typedef sl_err_t (*sl_fn_eval)(sl_fn_ctx *ctx, int argc, const sl_value *argv, sl_value *out);

typedef struct sl_fn_binding {
    sl_fn_eval eval;
    const sl_type *ret;
    /* type each argument is cast to before eval; NULL keeps it as is. For
     * variadic functions only the first SL_FN_MAX_ARGS are described and the
     * rest take the last entry. */
    const sl_type *arg_types[SL_FN_MAX_ARGS];
    const void *state; /* in the query arena */
    bool null_if_any_null; /* eval is skipped and NULL returned if an arg is NULL */
} sl_fn_binding;

typedef struct sl_fn_args {
    int argc;
    const sl_type *const *types;     /* SL_NULLTYPE for a bare NULL literal */
    const sl_value *const *literals; /* entry non-NULL when that arg is a literal */
    sl_arena *arena;                 /* query lifetime: types, state */
} sl_fn_args;

/* Returns SL_OK with out filled, or SL_ERR_INVALID with a message like
 * ksqlDB's ("Function 'X' does not accept parameters (STRING, INTEGER)."). */
typedef sl_err_t (*sl_fn_resolve)(const sl_fn_args *args, sl_fn_binding *out, sl_error *err);

typedef struct sl_function_def {
    const char *name; /* upper case */
    sl_fn_resolve resolve;
} sl_function_def;

/* name is matched case-insensitively; NULL when unknown */
const sl_function_def *sl_function_lookup(const char *name);

/* Family tables, each terminated by an entry with name NULL. */
extern const sl_function_def sl_fn_family_string[];
extern const sl_function_def sl_fn_family_math[];
extern const sl_function_def sl_fn_family_datetime[];
extern const sl_function_def sl_fn_family_json[];
extern const sl_function_def sl_fn_family_collection[];
extern const sl_function_def sl_fn_family_misc[];
extern const sl_function_def sl_fn_family_regex[];
extern const sl_function_def sl_fn_family_url[];
extern const sl_function_def sl_fn_family_mask[];
extern const sl_function_def sl_fn_family_bytes[];
/* ksqlDB's test-harness UDFs (fn_harness.c); looked up only once
 * sl_function_enable_harness(true) was called, which `sluice test` does. */
extern const sl_function_def sl_fn_family_harness[];
void sl_function_enable_harness(bool on);
bool sl_function_harness_enabled(void);

/* Helper for resolve(): the standard "does not accept parameters" error. */
sl_err_t sl_fn_bad_args(const sl_fn_args *args, const char *name, sl_error *err);

#endif
