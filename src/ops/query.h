/* A persistent query (CREATE ... AS SELECT / INSERT INTO ... SELECT):
 * planned from its statement (sql/plan.h) and run record by record:
 * source decode -> timestamp extraction -> filter -> projection, or the
 * aggregation or join it plans -> (re)keying -> sink encode. */
#ifndef SL_QUERY_H
#define SL_QUERY_H

#include <stdbool.h>

#include "ops/record.h"
#include "sql/plan.h"
#include "state/store.h"

/* Per task state of a query (NULL for stateless ones): its stores. */
typedef struct sl_query_state sl_query_state;
sl_query_state *sl_query_state_new(const sl_query *q);
void sl_query_state_destroy(const sl_query *q, sl_query_state *state);
void sl_query_state_stats(const sl_query_state *state, sl_store_stats *into);
void sl_query_state_foreach_store(sl_query_state *state, sl_store_each_fn fn, void *ctx);
/* the stores were filled from changelogs: rebuild what operators derive
 * from them (EMIT FINAL's pending windows) */
void sl_query_state_after_restore(const sl_query *q, sl_query_state *state);

/* sluice run, a table aggregated by a non-key column: the source task
 * sends changes (old row out, new row in) to the repartition topic... */
void sl_query_state_table_stage1(sl_query_state *state);
/* ...and the task reading them back applies one to the aggregation */
sl_err_t sl_query_process_table_change(const sl_query *q, sl_query_state *state, const sl_record *in, sl_arena *arena,
                                       sl_strbuf *keybuf, sl_strbuf *valbuf, const sl_collector *out,
                                       sl_error *err);
/* Runs one record of the query's source topic through it. */
void sl_query_process(const sl_query *q, sl_query_state *state, const sl_record *in, sl_arena *arena, sl_strbuf *keybuf,
                      sl_strbuf *valbuf, const sl_collector *out);
/* End of a batch: what the query held back (an aggregation's changed
 * groups) is emitted. */
void sl_query_flush(const sl_query *q, sl_query_state *state, sl_arena *arena, sl_strbuf *keybuf, sl_strbuf *valbuf,
                    const sl_collector *out);

#endif
