/* Joins of two sources, as ksqlDB runs them on Kafka Streams:
 * stream-stream WITHIN a window (INNER, LEFT, RIGHT, FULL OUTER),
 * stream-table (INNER, LEFT), table-table on the primary key (INNER, LEFT,
 * RIGHT, FULL OUTER) and on a foreign key (INNER, LEFT). A join of more
 * sources runs as a chain of such steps (topology.c), each step's result an
 * internal source the next one reads.
 *
 * The joined row is [left columns, left pseudo-columns, right columns,
 * right pseudo-columns, (synthetic key)]. Each kind follows the Kafka
 * Streams processor ksqlDB wires (KStreamKStreamJoin with its window and
 * outer stores and time tracker, KStreamKTableJoinProcessor,
 * KTableKTable{Inner,Left,Right,Outer}Join, the foreign-key subscription
 * processors): which records join, which are emitted padded and when, the
 * result's time and the order of results. See join_stream.c and
 * join_table.c. */
#ifndef SL_JOIN_H
#define SL_JOIN_H

#include "state/store.h"

#include "ops/sink.h"
#include "sql/plan_join.h"

typedef struct sl_join_state sl_join_state;


sl_join_state *sl_join_state_new(const sl_query *q);
void sl_join_state_destroy(sl_join_state *s);
void sl_join_state_foreach_store(sl_join_state *s, sl_store_each_fn fn, void *ctx);
void sl_join_state_stats(const sl_join_state *s, sl_store_stats *into);

void sl_join_process(const sl_query *q, sl_join_state *s, const sl_record *in, sl_arena *arena, sl_strbuf *keybuf,
                     sl_strbuf *valbuf, const sl_collector *out);

#endif
