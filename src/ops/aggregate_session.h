/* Session windows' part of the aggregation (aggregate_session.c). */
#ifndef SL_AGGREGATE_SESSION_H
#define SL_AGGREGATE_SESSION_H

#include "ops/aggregate_state.h"

sl_value agg_load_sessions(sl_agg_state *s, const char *gk, size_t gklen, sl_arena *a);
sl_fate agg_process_session(const sl_query *q, sl_agg_state *s, const sl_value *keys, const char *gk,
                            size_t gklen, const sl_value *const *argv, int64_t ts, sl_arena *a,
                            sl_query_emitter *em);
void agg_flush_final_session(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em);

#endif
