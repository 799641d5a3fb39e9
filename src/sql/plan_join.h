/* The plan of one two-source join step (plan_join.c makes it, ops/join*.c
 * run it): its sides, its key, its window, its output columns. A join of
 * more sources is a chain of steps (ops/topology.c), each step's result an
 * internal source the next one reads; the lineage tells the next step what
 * the previous step's key is. */
#ifndef SL_PLAN_JOIN_H
#define SL_PLAN_JOIN_H

#include "sql/plan.h"

typedef struct sl_join_plan sl_join_plan;

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

/* One side of the join. The joined row holds the left side's slots, then
 * the right side's, then (synthetic keys) one slot for the key. */
typedef struct sl_join_side {
    const sl_source *src;
    const char *alias;  /* as the statement wrote it; may be NULL */
    int base, width;    /* its slots: the source's columns, then ROWTIME, ROWPARTITION, ROWOFFSET,
                         * then a windowed source's WINDOWSTART, WINDOWEND */
    sl_cexpr *expr;     /* its ON expression, over the joined row */
    /* keyed by its ON expression: the record's key is the join key (no
     * re-keying), read from key_slot; otherwise the expression's value is */
    bool keyed;
    int key_slot;
    /* an earlier table step: the column holding its result's view time
     * (-1 otherwise), which lookups from the other side see */
    int view_col;
} sl_join_side;

struct sl_join_plan {
    sl_join_type type;
    sl_join_side side[2]; /* [0] left (the FROM source or an earlier step), [1] right */
    bool stream_stream, stream_table, table_table, fk;
    /* stream-stream: WITHIN (before, after), the grace, the window stores'
     * retention (before + after + grace). ksqlDB's RIGHT JOIN runs as
     * `right LEFT JOIN left` with the same window: `this_side` is the side
     * Kafka Streams calls left (1 for RIGHT, else 0); outer[s] whether an
     * unmatched record of side s is emitted padded. With a GRACE clause
     * unmatched records wait in the outer store until their window closes
     * (the spurious-result fix); without one they are emitted at once and
     * the grace is the old JoinWindows.of default. */
    int64_t before, after, grace, retention;
    int this_side;
    bool outer[2];
    bool outer_store;
    int synthetic_slot; /* the join key's slot when ksqlDB's key is synthetic (ROWKEY); -1 otherwise */
    const sl_type *key_type;
    sl_format key_format; /* how Kafka Streams serializes the join key (store order) */
    sl_time_extractor time[2];
    /* an internal step of an n-way join (see topology.c): its output holds
     * every column of its sources, keyed by the join key */
    bool step;
    sl_join_lineage *lineage; /* what the step's output source knows; NULL for a final join */
    /* a table step's slot for its result's view time: what Kafka Streams'
     * value getter of the join gives a later join looking it up (the larger
     * time of the rows present), which is not always the time of the last
     * result emitted (a deleted row's time counts there); -1 otherwise */
    int view_slot;
    bool where_tombstones; /* a table result a WHERE rejects is deleted (ksqlDB's table filter) */
    /* a foreign-key join of a left table with several key columns: its key
     * is a STRUCT of them in the table's order; fk_key_col[i] is the left
     * key column the result's key column i (projection order) holds */
    int fk_nkey;
    int *fk_key_col;
};

/* Builds the join of q (q->source is the left side): fills q->cols
 * (keys first), q->nkey_out, q->where and q->join. */
sl_err_t sl_join_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_error *err);
const sl_source *sl_join_right(const sl_join_plan *plan);
/* an internal step's lineage, for its output source (NULL otherwise) */
const sl_join_lineage *sl_join_lineage_of(const sl_join_plan *plan);

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

#endif
