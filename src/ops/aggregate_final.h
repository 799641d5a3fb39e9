/* EMIT FINAL's part of the aggregation (aggregate_final.c). */
#ifndef SL_AGGREGATE_FINAL_H
#define SL_AGGREGATE_FINAL_H

#include "ops/aggregate_state.h"

/* the sessions waiting for EMIT FINAL, by group key, start and end */
void agg_add_pending(sl_agg_state *s, const void *key, size_t klen, int64_t end);
bool agg_decode_window_key(const sl_query *q, const char *key, size_t klen, sl_value *keys, int64_t *start,
                           sl_arena *a);
void agg_drop_pending(sl_agg_state *s, size_t i);
/* time windows' and sessions' results due together, emitted in the
 * store's order */
void agg_emit_due(const sl_query *q, sl_agg_state *s, due_result *due, size_t n, bool session, sl_arena *a,
                  sl_query_emitter *em);
/* time windows that closed since the last emission */
void agg_flush_final_time(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em);

#endif
