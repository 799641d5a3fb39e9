/* Processing-log entries in ksqlDB's record schema (its
 * ProcessingLogMessage: logger, level, time, message with a type and one
 * struct per type), so that a ksqlDB user's KSQL_PROCESSING_LOG stream
 * declared on the topic reads Sluice's entries unchanged. Sluice adds the
 * source position (topic, partition, offset, timestamp) at the top level,
 * which ksqlDB's stream does not declare and its readers ignore. */
#ifndef SL_PROCESSING_LOG_H
#define SL_PROCESSING_LOG_H

#include <stdint.h>

#include "common/strbuf.h"
#include "ops/record.h"

/* One entry, as JSON, appended to out. query_id names the query that
 * failed (the logger is "processing.<query_id>"; NULL: "processing").
 * A message starting "Failed to deserialize key" or "... value" is a
 * deserialization error of that part, with the raw bytes in base64; any
 * other a record-processing error carrying the record's value as text. */
void sl_processing_log_entry(sl_strbuf *out, const char *query_id, const sl_record *src, const char *message,
                             int64_t now_ms);

#endif
