/* The plan of a persistent query (CREATE ... AS SELECT, INSERT INTO ...
 * SELECT): what its statement means, analyzed and typed before anything
 * runs. plan.c makes it from the AST (aggregations in plan_aggregate.c,
 * joins in plan_join.c, record time in plan_time.c); the operators in ops/
 * execute it and never plan anything themselves.
 *
 * A plan has one kind (project, aggregate, join) and declares the state
 * stores a task running it creates: their names and what their keys and
 * values hold. The topology's list of stores is these declarations, and
 * changelogs, restore, explain, the status page and the metrics all read
 * that list. */
#ifndef SL_PLAN_H
#define SL_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "sql/ast.h"
#include "sql/catalog.h"
#include "sql/expr.h"

/* Where a record's time comes from, as ksqlDB's timestamp extractors take
 * it: a source declared WITH (TIMESTAMP='col') reads it from that column
 * (BIGINT milliseconds, a TIMESTAMP, or a string parsed with
 * TIMESTAMP_FORMAT) instead of the Kafka record's own time; a sink declared
 * the same way gives its output records the time of that output column.
 * ops/timestamp.c applies it to records. */
typedef struct sl_time_extractor {
    sl_cexpr *expr;        /* the time in ms, over the row; NULL: the record's own time */
    int index;             /* the row slot of the column */
    const char *column;    /* the TIMESTAMP column, for messages */
    const char *format;    /* its TIMESTAMP_FORMAT, or NULL */
    bool throw_on_invalid; /* ksql.timestamp.throw.on.invalid */
} sl_time_extractor;

/* Builds the extractor of a TIMESTAMP column `column` (NULL: none) whose
 * value sits at row[index], of type `type`, parsed with `format` when it is
 * a string. Fails, as ksqlDB does, on a column of another type or a string
 * without a format. pos is where to report; cat gives the properties. */
sl_err_t sl_time_extractor_build(sl_time_extractor *x, const char *column, const sl_type *type, int index,
                                 const char *format, const sl_catalog *cat, sl_arena *a, const char *file,
                                 sl_pos pos, sl_error *err);
/* The extractor of src's TIMESTAMP column, for a row holding src's columns
 * from row[base]. */
sl_err_t sl_time_extractor_for_source(sl_time_extractor *x, const sl_source *src, int base, const sl_catalog *cat,
                                      sl_arena *a, const char *file, sl_pos pos, sl_error *err);

/* ksqlDB's grace for windows and joins without GRACE PERIOD is Kafka
 * Streams' old default: 24 hours less the window's size */
#define DEFAULT_GRACE_MS (24LL * 3600 * 1000)

typedef enum sl_plan_kind {
    SL_PLAN_PROJECT,   /* filter, projection, table functions, re-keying: no state but a table source's rows */
    SL_PLAN_AGGREGATE, /* GROUP BY, windowed or not */
    SL_PLAN_JOIN,      /* a join of two sources (one step of an n-way join) */
} sl_plan_kind;

/* The stores a plan can declare, each named "<query id>-<role name>". */
typedef enum sl_store_role {
    SL_STORE_SOURCE,     /* a table source's latest row per key (what an update replaces) */
    SL_STORE_AGGREGATE,  /* the aggregation's state per group (and window) */
    SL_STORE_JOIN_LEFT,  /* a join side's rows by join key */
    SL_STORE_JOIN_RIGHT,
    SL_STORE_JOIN_OUTER, /* stream-stream outer join: unmatched rows waiting for their window to close */
    SL_STORE_FK_INDEX,   /* foreign-key join: right key -> the left keys pointing at it */
    SL_STORE_ROLE_COUNT
} sl_store_role;

typedef struct sl_plan_store {
    sl_store_role role;
    const char *name;  /* "<query id>-<role>": the changelog is "<application.id>-<name>-changelog" */
    const char *key;   /* what a key holds, e.g. "valcodec(ID BIGINT) + window start" (explain) */
    const char *value; /* what a value holds */
} sl_plan_store;

/* the role's name in store names ("Aggregate", "JoinLeft", ...) */
const char *sl_store_role_name(sl_store_role role);

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
struct sl_join_plan;

typedef struct sl_query {
    const char *id; /* CSAS_OUTPUT_0, as ksqlDB names them */
    sl_plan_kind kind;
    /* the stores a task of this query creates, in the order it creates them */
    sl_plan_store *stores;
    int nstores;
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

/* Plans a CSAS/CTAS/INSERT INTO statement; for CREATE ... AS also
 * registers its sink in the catalog. */
sl_err_t sl_plan_statement(sl_query_build *qb, const sl_stmt *stmt, sl_query **out, sl_error *err);
/* The name ksqlDB gives select item `item` without an alias: a column's
 * name; for `x->F`, F or F_n, numbered past the names F, F_1, ... the source
 * already has and the `->F` items before it; NULL for a generated
 * KSQL_COL_n. */
const char *sl_plan_item_name(sl_arena *arena, const sl_select *s, int item, const sl_source *source);
/* decides repartition_side for a planned query; the topology names the topic */
void sl_plan_repartition_sides(sl_query *q);
/* sets q->kind and declares the stores a task of q creates (plan_stores.c) */
void sl_plan_declare_stores(sl_query *q, sl_arena *arena);
/* the store of role the query declares, or NULL */
const sl_plan_store *sl_plan_store_of(const sl_query *q, sl_store_role role);
/* The name ksqlDB gives an unaliased select item over src (NULL: it
 * generates KSQL_COL_n); over a join step's result, t.x may be T_X. */
const char *sl_plan_default_name(const sl_source *src, const sl_expr *e, sl_arena *arena);
/* Whether the query reads the topic (its source, or its join's right side). */
bool sl_query_reads(const sl_query *q, const char *topic);

#endif
