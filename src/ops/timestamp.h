/* Record time extraction, as ksqlDB's timestamp extractors do it: a source
 * declared WITH (TIMESTAMP='col') takes each record's time from that column
 * (BIGINT milliseconds, a TIMESTAMP, or a string parsed with
 * TIMESTAMP_FORMAT) instead of the Kafka record's own time. A sink declared
 * the same way takes its output records' time from that output column.
 *
 * One extractor serves every operator that reads the time (stateless
 * queries, aggregations, each side of a join, a sink), so that all of them
 * agree on what a record's time is and on what happens when it has none: a
 * NULL, unparsable or negative value drops the record with an entry in the
 * processing log (Kafka Streams skips records whose extracted time is
 * negative, which is what ksqlDB's extractor returns on failure), or stops
 * the run when ksql.timestamp.throw.on.invalid is true (negative values
 * excepted: ksqlDB does not throw for them). */
#ifndef SL_TIMESTAMP_H
#define SL_TIMESTAMP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ops/record.h"
#include "sql/catalog.h"
#include "sql/expr.h"

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

/* The time of the record `in` decoded into row: *ts is left as it is (the
 * record's own time) without a TIMESTAMP column. false when the record has
 * no valid time: it was reported (processing log, or fatal error) and the
 * caller drops it. */
bool sl_time_extract(const sl_time_extractor *x, const sl_value *row, const sl_record *in, sl_arena *a,
                     const sl_collector *out, int64_t *ts);

#endif
