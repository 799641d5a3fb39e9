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

#include "ops/plan.h"

typedef struct sl_join_plan sl_join_plan;
typedef struct sl_join_state sl_join_state;

/* What the result of an internal join step knows of how it was made, for
 * the steps after it (ksqlDB's JoinTree): the ON expressions its key equals
 * (the join's equivalence set, as canonical texts), the column references
 * among them that may name the key in the projection (in ksqlDB's order),
 * and for a foreign-key step the left table key column its key is. */
typedef struct sl_join_lineage {
    const char **equiv;
    int nequiv;
    const char **viable_q, **viable_name; /* qualifier and column of each viable key column */
    const sl_type **viable_type;
    int nviable;
    const char *fk_q, *fk_name; /* foreign-key step: the left table's key column */
    sl_format key_format; /* the join key's format, as the first source writes keys */
    const sl_source *first; /* the FROM source: the formats a final result takes by default */
} sl_join_lineage;

/* Builds the join of q (q->source is the left side): fills q->cols
 * (keys first), q->nkey_out, q->where and q->join. */
sl_err_t sl_join_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_error *err);
const sl_source *sl_join_right(const sl_join_plan *plan);
/* an internal step's lineage, for its output source (NULL otherwise) */
const sl_join_lineage *sl_join_lineage_of(const sl_join_plan *plan);

sl_join_state *sl_join_state_new(const sl_query *q);
void sl_join_state_destroy(sl_join_state *s);
void sl_join_state_foreach_store(sl_join_state *s, sl_store_each_fn fn, void *ctx);
void sl_join_state_stats(const sl_join_state *s, sl_store_stats *into);
/* the two topics a join reads when they must be co-partitioned (joined on
 * their keys without repartitioning); false otherwise */
bool sl_join_copartitioned(const sl_query *q, const char **left_topic, const char **right_topic);
/* a foreign-key table-table join (left table column -> right primary key) */
bool sl_join_is_foreign_key(const sl_query *q);
/* the join as the plan runs it, for explain: its kind, its sides' kinds,
 * the stream-stream window with its defaults applied */
typedef struct sl_join_info {
    sl_join_type type;
    const char *shape; /* "stream-stream", "stream-table", "table-table", "foreign-key" */
    int64_t before_ms, after_ms, grace_ms; /* stream-stream only */
    bool holds_unmatched;                  /* outer rows wait for their window to close (a GRACE clause) */
} sl_join_info;
void sl_join_info_of(const sl_query *q, sl_join_info *out);
/* a stream-stream join that holds unmatched records until their window
 * closes (an outer join with a GRACE PERIOD): it has a third store */
bool sl_join_has_outer_store(const sl_query *q);
/* which sides are not keyed by their join expression (stream sides only) */
void sl_join_repartition_sides(const sl_query *q, bool sides[2]);
/* the join key of a record of side, encoded as the keyed side's key format
 * writes keys (valcodec when neither side is keyed by it) */
sl_partition_key_kind sl_join_partition_key(const sl_query *q, int side, const sl_record *in, sl_arena *arena, sl_strbuf *out);

void sl_join_process(const sl_query *q, sl_join_state *s, const sl_record *in, sl_arena *arena, sl_strbuf *keybuf,
                     sl_strbuf *valbuf, const sl_collector *out);

#endif
