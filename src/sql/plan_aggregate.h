/* The plan of an aggregation (plan_aggregate.c makes it, ops/aggregate*.c
 * run it): grouping expressions and aggregate arguments compiled over the
 * source row; the select list and HAVING compiled over the result row
 * [group keys..., aggregate results..., WINDOWSTART, WINDOWEND]; the window
 * with the grace and retention its defaults give. */
#ifndef SL_PLAN_AGGREGATE_H
#define SL_PLAN_AGGREGATE_H

#include "sql/plan.h"
#include "sql/udaf.h"

/* session stores keep segments of at least this span */
#define MIN_SEGMENT_MS 60000

typedef struct sl_agg_plan sl_agg_plan;
struct sl_agg_plan {
    int nkeys;
    sl_cexpr **key_exprs; /* over the source row */
    const sl_expr **key_ast;
    int naggs;
    sl_agg_fn *fns;
    sl_cexpr ***args; /* per aggregate, over the source row */
    int *argc;
    const sl_expr **agg_ast;
    int post_width; /* WINDOWSTART, WINDOWEND, keys, aggs */
    sl_cexpr *having;
    sl_window_def window;
    int64_t grace;
    int64_t retention; /* how long the window store keeps a window */
    int64_t segment;   /* session store segments: max(retention / 2, 60 s) */
    bool emit_final;
    sl_scope *pre;
};

/* Plans the aggregation of q from the SELECT (pre scope = source row):
 * fills q->cols (keys first) and q->agg. */
sl_err_t sl_agg_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_scope *pre, sl_error *err);
/* true when the GROUP BY is exactly the source's key columns */
bool sl_agg_grouped_by_key(const sl_query *q);
/* the window as the plan runs it (defaults applied), for explain */
typedef struct sl_agg_window_info {
    sl_window_kind kind; /* SL_WINDOW_NONE: not windowed */
    int64_t size_ms, advance_ms, grace_ms, retention_ms;
    bool emit_final;
} sl_agg_window_info;
void sl_agg_window_info_of(const sl_query *q, sl_agg_window_info *out);

#endif
