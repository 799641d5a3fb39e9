/* Aggregate functions (UDAFs) of ksqlDB. An aggregate's running state is an
 * sl_value (so the store can keep it as bytes and the changelog can carry
 * it); add() folds one input in, undo() takes one out again (aggregates over
 * tables, where an update retracts the old row), merge() joins two states
 * (session windows), result() gives the output value. */
#ifndef SL_UDAF_H
#define SL_UDAF_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"
#include "common/value.h"

typedef struct sl_udaf sl_udaf;

typedef struct sl_agg_fn {
    const sl_udaf *udaf;
    const sl_type *ret;
    const sl_type *arg_type; /* type of the first argument (after implicit casts) */
    const sl_type *arg2_type;
    bool star;               /* COUNT(*) */
    int64_t limit;           /* TOPK k, COLLECT_LIST limit, *_BY_OFFSET n */
    bool ignore_nulls;       /* *_BY_OFFSET */
    bool has_n;              /* *_BY_OFFSET(x, n): returns an array */
    int extra;               /* TOPK(x, cols..., k): columns carried with each x */
    int ncols;               /* harness UDAFs: the arguments read per row (the literals after them configure it) */
    int64_t constant;        /* harness UDAFs: what those literals add up to */
} sl_agg_fn;

struct sl_udaf {
    const char *name;
    bool undoable;
    void (*init)(const sl_agg_fn *fn, sl_value *state, sl_arena *arena);
    /* args: the evaluated arguments (argc as written, COUNT(*) has none) */
    void (*add)(const sl_agg_fn *fn, sl_value *state, const sl_value *args, sl_arena *arena);
    void (*undo)(const sl_agg_fn *fn, sl_value *state, const sl_value *args, sl_arena *arena);
    void (*merge)(const sl_agg_fn *fn, sl_value *state, const sl_value *other, sl_arena *arena);
    sl_value (*result)(const sl_agg_fn *fn, const sl_value *state, sl_arena *arena);
};

/* Resolves name(args): fills fn (ret type etc.). literals holds the values of
 * literal arguments (e.g. TOPK's k), NULL entries otherwise. Returns
 * SL_ERR_INVALID with a ksqlDB-like message on bad arguments, and
 * SL_ERR_UNSUPPORTED for a known but unimplemented aggregate. */
sl_err_t sl_udaf_resolve(const char *name, int argc, const sl_type *const *types,
                         const sl_value *const *literals, bool star, sl_arena *arena, sl_agg_fn *fn,
                         sl_error *err);

/* After add(): the message ksqlDB fails the query with when the new state no
 * longer fits the aggregate's type (SUM of a DECIMAL beyond its precision:
 * "Numeric field overflow: ..."); NULL while it fits. */
const char *sl_udaf_overflow(const sl_agg_fn *fn, const sl_value *state, sl_arena *arena);

/* ksqlDB's test-harness UDAFs (udaf_harness.c), known only while the
 * harness is on (sl_function_enable_harness, which `sluice test` calls) */
bool sl_udaf_harness_has(const char *name);
sl_err_t sl_udaf_harness_resolve(const char *name, int argc, const sl_type *const *types,
                                 const sl_value *const *literals, sl_arena *arena, sl_agg_fn *fn, sl_error *err);

#endif
