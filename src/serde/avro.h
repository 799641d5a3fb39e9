/* Avro schemas and SQL types, both directions, as ksqlDB maps them. */
#ifndef SL_AVRO_H
#define SL_AVRO_H

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"
#include "serde/serde.h"

/* The SQL type of an Avro schema: a record becomes a STRUCT of its fields,
 * ["null", T] becomes T, logical types become DECIMAL/TIMESTAMP/DATE/TIME,
 * enums STRING. NULL with err on an unsupported schema. */
const sl_type *sl_avro_schema_to_type(const char *schema_json, sl_arena *arena, sl_error *err);
/* The schema ksqlDB would generate for the columns of schema (a STRUCT):
 * a record of optional fields, or (unwrapped) the bare optional type of the
 * single column. Caller frees. */
char *sl_avro_schema_for(const sl_type *schema, const sl_serde_options *opts);

#endif
