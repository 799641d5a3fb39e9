/* A persistent query (CREATE ... AS SELECT / INSERT INTO ... SELECT),
 * compiled into its operators: source decode -> timestamp extraction ->
 * filter -> projection -> (re)keying -> sink encode. Stateless for now:
 * aggregates, windows and joins are planned in later operators. */
#ifndef SL_QUERY_H
#define SL_QUERY_H

#include "state/store.h"

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "ops/record.h"
#include "ops/timestamp.h"
#include "sql/ast.h"
#include "sql/catalog.h"
#include "sql/expr.h"

typedef struct sl_out_col {
    const char *name;
    const sl_type *type;
    sl_cexpr *expr;
    bool is_key;
    /* a PARTITION BY key that reads value or pseudo-columns: ksqlDB
     * computes it from the value, so a tombstone's is NULL */
    bool from_value;
    const char *origin_source, *origin_alias, *origin_name; /* see sl_column */
} sl_out_col;

struct sl_agg_plan;

typedef struct sl_query {
    const char *id; /* CSAS_OUTPUT_0, as ksqlDB names them */
    const sl_stmt *stmt; /* what it was built from (the topology's arena): for explain */
    sl_source *source;
    sl_source *sink;
    int row_width;
    int idx_rowtime, idx_rowpartition, idx_rowoffset, idx_headers_first;
    sl_cexpr *where;
    /* the WHERE again when it reads only key and pseudo-columns (a stream
     * source without a TIMESTAMP column): run on the key before the value
     * is decoded, so records it rejects cost no value decoding */
    sl_cexpr *key_where;
    sl_out_col *cols;
    int ncols;
    sl_time_extractor source_time; /* the source's TIMESTAMP column (a join's are in the join) */
    int sink_timestamp_col;        /* output column giving the record time, or -1 */
    sl_time_extractor sink_time;   /* ...read over the output values */
    bool null_key;            /* PARTITION BY NULL */
    bool key_passes;          /* a stream query without PARTITION BY: the sink key is the source's */
    struct sl_agg_plan *agg;  /* GROUP BY; NULL for stateless queries */
    int nkey_out;             /* key columns at the front of cols */
    /* table functions (EXPLODE) in the select list: their array arguments,
     * and the row slots (row_width + i) that hold the current element */
    sl_cexpr **tf_args;
    int ntf;
    struct sl_join_plan *join; /* JOIN: the right source is join->right */
    /* Grouping or joining by something other than the message key needs the
     * records of that side re-keyed first, so that equal keys meet in one
     * task: in `sluice run` they pass through this internal topic, keyed by
     * sl_query_partition_key. NULL when no side needs it. */
    const char *repartition_topic;
    bool repartition_side[2]; /* [0] the source (left), [1] the right source */
} sl_query;

/* Where a query's results go, with the encoding buffers it reuses. */
typedef struct sl_query_emitter {
    const sl_collector *out;
    const sl_record *source; /* the input record, for the processing log */
    sl_strbuf *keybuf, *valbuf;
} sl_query_emitter;

/* Encodes and sends one output row (vals in q->cols order) or, when vals is
 * NULL, a tombstone for the key in keyvals. window: [start, end) for
 * windowed sinks (NULL otherwise). */
void sl_query_emit(const sl_query *q, const sl_value *keyvals, const sl_value *vals, int64_t ts,
                   const int64_t *window, sl_arena *arena, sl_query_emitter *em);

typedef struct sl_query_build {
    sl_catalog *catalog;
    sl_arena *arena;
    const char *file;
    int query_index; /* for ids */
} sl_query_build;

/* Builds the query of a CSAS/CTAS/INSERT INTO statement; for CREATE ... AS
 * also registers its sink in the catalog. */
sl_err_t sl_query_build_stmt(sl_query_build *qb, const sl_stmt *stmt, sl_query **out, sl_error *err);

/* Decodes a record of src into row[0..src->ncols + 3) (columns, then
 * ROWTIME, ROWPARTITION, ROWOFFSET). Bad bytes go to the processing log
 * and return false. */
/* A stream record with a null value, which a query drops: to the
 * processing log with its place. */
void sl_source_log_null_value(const sl_source *src, const sl_record *in, const sl_collector *out);
bool sl_source_decode(const sl_source *src, const sl_record *in, sl_value *row, bool *deleted, sl_arena *arena,
                      const sl_collector *out);
/* Whether the query reads the topic (its source, or its join's right side). */
bool sl_query_reads(const sl_query *q, const char *topic);

/* Per task state of a query (NULL for stateless ones). */
void *sl_query_state_new(const sl_query *q);
void sl_query_state_destroy(const sl_query *q, void *state);
void sl_query_state_stats(const void *state, sl_store_stats *into);
void sl_query_state_foreach_store(void *state, sl_store_each_fn fn, void *ctx);
/* the stores were filled from changelogs: rebuild what operators derive
 * from them (EMIT FINAL's pending windows) */
void sl_query_state_after_restore(const sl_query *q, void *state);

/* The bytes a repartition record of side (0 source/left, 1 right) is keyed
 * by: the grouping key, or the join key as the other side's key format
 * writes it (so that the default partitioner puts it where that side's
 * keys are). false when the record cannot be decoded or has no key. */
bool sl_query_partition_key(const sl_query *q, int side, const sl_record *in, sl_arena *arena, sl_strbuf *out);
/* sluice run, a table aggregated by a non-key column: the source task
 * sends changes (old row out, new row in) to the repartition topic... */
void sl_query_state_table_stage1(void *state);
/* ...and the task reading them back applies one to the aggregation */
sl_err_t sl_query_process_table_change(const sl_query *q, void *state, const sl_record *in, sl_arena *arena,
                                       sl_strbuf *keybuf, sl_strbuf *valbuf, const sl_collector *out,
                                       sl_error *err);
/* decides repartition_side for a built query; the topology names the topic */
void sl_query_plan_repartition(sl_query *q);

/* Runs one record of the query's source topic through it. */
void sl_query_process(const sl_query *q, void *state, const sl_record *in, sl_arena *arena, sl_strbuf *keybuf,
                      sl_strbuf *valbuf, const sl_collector *out);
/* End of a batch: what the query held back (an aggregation's changed
 * groups) is emitted. */
void sl_query_flush(const sl_query *q, void *state, sl_arena *arena, sl_strbuf *keybuf, sl_strbuf *valbuf,
                    const sl_collector *out);

#endif
