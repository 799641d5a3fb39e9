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
#include "sql/plan.h"

/* The time of the record `in` decoded into row: *ts is left as it is (the
 * record's own time) without a TIMESTAMP column. false when the record has
 * no valid time: it was reported (processing log, or fatal error) and the
 * caller drops it. */
bool sl_time_extract(const sl_time_extractor *x, const sl_value *row, const sl_record *in, sl_arena *a,
                     const sl_collector *out, int64_t *ts);

#endif
