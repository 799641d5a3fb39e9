/* The Confluent wire header that AVRO, JSON_SR and PROTOBUF records start
 * with: a magic byte 0, then the schema's registry id, 4 bytes big-endian.
 * (PROTOBUF then names the message with its index path, written here;
 * serde_protobuf.c reads it.) This is the one place that knows the layout. */
#ifndef SL_CONFLUENT_HEADER_H
#define SL_CONFLUENT_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

#define SL_CONFLUENT_HEADER_LEN 5

void sl_confluent_header_put(sl_strbuf *out, int32_t schema_id);
/* PROTOBUF's header: the above, then the message-index path of the record's
 * message in its schema (zigzag varints: the count, then each index); the
 * path [0] (the first message; also depth 0) is written as one 0 byte, the
 * short form Confluent's serializers write */
void sl_confluent_header_put_message_index(sl_strbuf *out, int32_t schema_id, const int *path, int depth);
/* false when data is shorter than the header or its magic byte is not 0
 * (ksqlDB's message for that: "Unknown magic byte!") */
bool sl_confluent_header_get(const void *data, size_t len, int32_t *schema_id);

#endif
