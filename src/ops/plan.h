/* The plan of a persistent query: what its statement compiles to, shared by
 * the operators that run it (source, sink, projection, aggregate, joins)
 * without any of them including another. */
#ifndef SL_PLAN_H
#define SL_PLAN_H

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

typedef struct sl_query_build {
    sl_catalog *catalog;
    sl_arena *arena;
    const char *file;
    int query_index; /* for ids */
} sl_query_build;

/* What a record of a repartitioned side becomes. */
typedef enum {
    SL_PARTITION_DIRECT, /* undecodable bytes or a tombstone: the task reports or drops it where it is */
    SL_PARTITION_NULL,   /* a NULL join key: sent with a null key, so that it keeps its place in the
                          * stream (ksqlDB repartitions it too, and a LEFT or OUTER join emits it) */
    SL_PARTITION_KEYED,  /* keyed by the bytes written to out */
} sl_partition_key_kind;

#endif
