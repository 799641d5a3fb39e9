/* The project operator (filter, projection, table functions) of a query
 * whose plan kind is SL_PLAN_PROJECT; aggregations and joins apply WHERE
 * through sl_project_filter before their own work. */
#ifndef SL_PROJECT_H
#define SL_PROJECT_H

#include "ops/record.h"
#include "ops/sink.h"
#include "sql/plan.h"

/* WHERE over a decoded source row; an evaluation error is reported */
bool sl_project_filter(const sl_query *q, const sl_value *row, sl_arena *arena, const sl_record *in,
                       const sl_collector *out);
/* Emits the select list over row (a tombstone: only the key columns that
 * do not come from the value); false when the sink's TIMESTAMP column
 * failed (reported) and nothing went out */
bool sl_project_emit(const sl_query *q, const sl_value *row, int64_t ts, bool tombstone, sl_arena *arena,
                     sl_query_emitter *em);
/* One decoded row: pass is WHERE's verdict, deleted a tombstone, old_row
 * the table row it replaces (or NULL). Emits the projection (once per
 * table-function element), or a delete when a table row leaves the result,
 * and reports the record's fate. */
void sl_project_row(const sl_query *q, sl_value *row, int64_t ts, bool pass, bool deleted, const sl_value *old_row,
                    sl_arena *arena, sl_query_emitter *em);

#endif
