/* Joins of two sources: stream-table (INNER, LEFT), table-table (INNER,
 * LEFT, RIGHT, FULL OUTER) and stream-stream WITHIN a window (INNER, LEFT,
 * RIGHT, FULL OUTER), with Kafka Streams' semantics: a table side is the
 * latest row per key and only its updates trigger output in table-table
 * joins; a stream side buffers its records for the join window. The joined
 * row is [left columns, left pseudo-columns, right columns, right pseudo]. */
#ifndef SL_JOIN_H
#define SL_JOIN_H

#include "state/store.h"

#include "ops/query.h"

typedef struct sl_join_plan sl_join_plan;
typedef struct sl_join_state sl_join_state;

/* Builds the join of q (q->source is the left side): fills q->cols
 * (keys first), q->nkey_out, q->where and q->join. */
sl_err_t sl_join_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_error *err);
const sl_source *sl_join_right(const sl_join_plan *plan);

sl_join_state *sl_join_state_new(const sl_query *q);
void sl_join_state_destroy(sl_join_state *s);
void sl_join_state_foreach_store(sl_join_state *s, sl_store_each_fn fn, void *ctx);
void sl_join_state_stats(const sl_join_state *s, sl_store_stats *into);
/* the two topics a join reads when they must be co-partitioned (joined on
 * their keys without repartitioning); false otherwise */
bool sl_join_copartitioned(const sl_query *q, const char **left_topic, const char **right_topic);
/* a foreign-key table-table join (left table column -> right primary key) */
bool sl_join_is_foreign_key(const sl_query *q);
/* which sides are not keyed by their join expression (stream sides only) */
void sl_join_repartition_sides(const sl_query *q, bool sides[2]);
/* the join key of a record of side, encoded as the keyed side's key format
 * writes keys (valcodec when neither side is keyed by it) */
bool sl_join_partition_key(const sl_query *q, int side, const sl_record *in, sl_arena *arena, sl_strbuf *out);

void sl_join_process(const sl_query *q, sl_join_state *s, const sl_record *in, sl_arena *arena, sl_strbuf *keybuf,
                     sl_strbuf *valbuf, const sl_collector *out);

#endif
