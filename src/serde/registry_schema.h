/* The schemas Sluice registers for the JSON_SR and PROTOBUF topics it
 * writes, generated from the columns so that a consumer resolving the
 * record's schema id reads exactly what the serde wrote (see
 * registry_schema.c). AVRO's are in avro_schema.c. */
#ifndef SL_REGISTRY_SCHEMA_H
#define SL_REGISTRY_SCHEMA_H

#include <stdbool.h>

#include "common/types.h"

/* JSON Schema text for a row of these columns (a STRUCT), or for its one
 * column alone when unwrapped; malloc'd */
char *sl_json_schema_for(const sl_type *columns, bool unwrapped);

/* .proto (proto3) source whose first message, message_name, is the row as
 * serde_protobuf.c writes it, so that the message-index path [0] names it;
 * malloc'd */
char *sl_proto_schema_for(const sl_type *columns, const char *message_name);

#endif
