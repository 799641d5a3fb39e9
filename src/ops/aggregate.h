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

#include "ops/sink.h"
#include "sql/plan_aggregate.h"

typedef struct sl_agg_state sl_agg_state;

sl_agg_state *sl_agg_state_new(const sl_query *q);
void sl_agg_state_destroy(sl_agg_state *s);
void sl_agg_state_foreach_store(sl_agg_state *s, sl_store_each_fn fn, void *ctx);
void sl_agg_state_after_restore(const sl_query *q, sl_agg_state *s);
void sl_agg_state_stats(const sl_agg_state *s, sl_store_stats *into);
/* record-windows dropped because their window had closed (late records) */
uint64_t sl_agg_state_late(const sl_agg_state *s);
size_t sl_agg_state_memory(const sl_agg_state *s, size_t *entries);

/* One update: row is the new source row (NULL if none passed WHERE or it
 * was deleted), old_row the row it replaces (table sources; NULL for
 * streams), both already filtered by WHERE. */
void sl_agg_process(const sl_query *q, sl_agg_state *s, const sl_value *old_row, const sl_value *row, int64_t ts,
                    sl_arena *arena, sl_query_emitter *em);
/* End of a batch: the result of every group the batch changed, once
 * (EMIT CHANGES). em->source is used for groups without a source record. */
void sl_agg_flush(const sl_query *q, sl_agg_state *s, sl_arena *arena, sl_query_emitter *em);

#endif
