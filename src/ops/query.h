/* A persistent query (CREATE ... AS SELECT / INSERT INTO ... SELECT),
 * compiled into its operators: source decode -> timestamp extraction ->
 * filter -> projection -> (re)keying -> sink encode. Stateless for now:
 * aggregates, windows and joins are planned in later operators. */
#ifndef SL_QUERY_H
#define SL_QUERY_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "ops/record.h"
#include "sql/ast.h"
#include "sql/catalog.h"
#include "sql/expr.h"

typedef struct sl_out_col {
    const char *name;
    const sl_type *type;
    sl_cexpr *expr;
    bool is_key;
} sl_out_col;

typedef struct sl_query {
    const char *id; /* CSAS_OUTPUT_0, as ksqlDB names them */
    sl_source *source;
    sl_source *sink;
    int row_width;
    int idx_rowtime, idx_rowpartition, idx_rowoffset, idx_headers_first;
    sl_cexpr *where;
    sl_out_col *cols;
    int ncols;
    sl_cexpr *timestamp_expr; /* source TIMESTAMP column, as ms; NULL = record time */
    int sink_timestamp_col;   /* output column giving the record time, or -1 */
    bool null_key;            /* PARTITION BY NULL */
} sl_query;

typedef struct sl_query_build {
    sl_catalog *catalog;
    sl_arena *arena;
    const char *file;
    int query_index; /* for ids */
} sl_query_build;

/* Builds the query of a CSAS/CTAS/INSERT INTO statement; for CREATE ... AS
 * also registers its sink in the catalog. */
sl_err_t sl_query_build_stmt(sl_query_build *qb, const sl_stmt *stmt, sl_query **out, sl_error *err);

/* Runs one record of the query's source topic through it. */
void sl_query_process(const sl_query *q, const sl_record *in, sl_arena *arena, sl_strbuf *keybuf,
                      sl_strbuf *valbuf, const sl_collector *out);

#endif
