/* GROUP BY: the aggregation operator, with optional TUMBLING / HOPPING /
 * SESSION windows, HAVING, and EMIT CHANGES or EMIT FINAL.
 *
 * Plan: grouping expressions and aggregate arguments are compiled over the
 * source row; the select list and HAVING are compiled over the result row
 * [group keys..., aggregate results..., WINDOWSTART, WINDOWEND], where
 * grouping expressions and aggregate calls are mapped by a compile hook.
 * State lives in one store per query and task: key = encoded group key
 * (+ window start for time windows), value = encoded STRUCT(max timestamp,
 * aggregate states...) — or, for session windows, the array of sessions. */
#ifndef SL_AGGREGATE_H
#define SL_AGGREGATE_H

#include "state/store.h"

#include "ops/plan.h"

typedef struct sl_agg_plan sl_agg_plan;
typedef struct sl_agg_state sl_agg_state;

/* Builds the aggregation for q from the SELECT (pre scope = source row).
 * Fills q->cols (keys first) and q->agg. */
sl_err_t sl_agg_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_scope *pre, sl_error *err);

sl_agg_state *sl_agg_state_new(const sl_query *q);
void sl_agg_state_destroy(sl_agg_state *s);
void sl_agg_state_foreach_store(sl_agg_state *s, sl_store_each_fn fn, void *ctx);
void sl_agg_state_after_restore(const sl_query *q, sl_agg_state *s);
void sl_agg_state_stats(const sl_agg_state *s, sl_store_stats *into);
/* record-windows dropped because their window had closed (late records) */
uint64_t sl_agg_state_late(const sl_agg_state *s);
/* true when the GROUP BY is exactly the source's key columns */
bool sl_agg_grouped_by_key(const sl_query *q);
/* the grouping key of a source row, encoded (for repartitioning) */
bool sl_agg_partition_key(const sl_query *q, const sl_value *row, sl_arena *arena, sl_strbuf *out);
size_t sl_agg_state_memory(const sl_agg_state *s, size_t *entries);
/* the window as the plan runs it (defaults applied), for explain */
typedef struct sl_agg_window_info {
    sl_window_kind kind; /* SL_WINDOW_NONE: not windowed */
    int64_t size_ms, advance_ms, grace_ms, retention_ms;
    bool emit_final;
} sl_agg_window_info;
void sl_agg_window_info_of(const sl_query *q, sl_agg_window_info *out);

/* One update: row is the new source row (NULL if none passed WHERE or it
 * was deleted), old_row the row it replaces (table sources; NULL for
 * streams), both already filtered by WHERE. */
void sl_agg_process(const sl_query *q, sl_agg_state *s, const sl_value *old_row, const sl_value *row, int64_t ts,
                    sl_arena *arena, sl_query_emitter *em);
/* End of a batch: the result of every group the batch changed, once
 * (EMIT CHANGES). em->source is used for groups without a source record. */
void sl_agg_flush(const sl_query *q, sl_agg_state *s, sl_arena *arena, sl_query_emitter *em);

#endif
