/* The Confluent wire header that AVRO, JSON_SR and PROTOBUF records start
 * with: a magic byte 0, then the schema's registry id, 4 bytes big-endian.
 * (PROTOBUF then names the message with its index path; serde_protobuf.c
 * writes and reads that part.) This is the one place that knows the layout. */
#ifndef SL_CONFLUENT_HEADER_H
#define SL_CONFLUENT_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

#define SL_CONFLUENT_HEADER_LEN 5

void sl_confluent_header_put(sl_strbuf *out, int32_t schema_id);
/* false when data is shorter than the header or its magic byte is not 0
 * (ksqlDB's message for that: "Unknown magic byte!") */
bool sl_confluent_header_get(const void *data, size_t len, int32_t *schema_id);

#endif
