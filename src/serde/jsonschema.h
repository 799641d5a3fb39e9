/* JSON Schema text to a SQL type (see jsonschema.c). */
#ifndef SL_JSONSCHEMA_H
#define SL_JSONSCHEMA_H

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"

/* NULL with err filled when the schema has no SQL equivalent */
const sl_type *sl_json_schema_to_type(const char *json_schema_text, sl_arena *arena, sl_error *err);

#endif
