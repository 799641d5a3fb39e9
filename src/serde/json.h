/* JSON reading and writing for the JSON format, JSON functions and the test
 * driver. Reading is typed: a document is parsed straight into the value of
 * a given SQL type with ksqlDB's coercions, into the arena, without an
 * intermediate tree. Writing produces ksqlDB's JSON for a typed value. */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stddef.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "common/types.h"
#include "common/value.h"

/* Whose rules turn JSON scalars into SQL values (see json.c). */
typedef enum sl_json_dialect {
    SL_JSON_KSQL,         /* ksqlDB's JSON deserializer */
    SL_JSON_SPEC_CONNECT, /* ksqlDB's test runner writing AVRO from a test file */
    SL_JSON_SPEC_KAFKA,   /* ksqlDB's test runner writing KAFKA from a test file */
    SL_JSON_ANY_CASE,     /* ksqlDB's rules, but STRUCT fields matched in any case
                           * (expected outputs of a test, compared as the runner does) */
} sl_json_dialect;

/* Parses one JSON document into a value of type (STRUCT fields matched
 * case-insensitively; missing -> NULL; extra ignored; JSON null -> NULL).
 * SL_ERR_RUNTIME on malformed JSON or a value that does not fit the type. */
sl_err_t sl_json_parse_typed(const char *text, size_t len, const sl_type *type, sl_value *out, sl_arena *arena,
                             sl_error *err);
/* The same with another dialect's coercions (test files of other formats). */
sl_err_t sl_json_parse_dialect(const char *text, size_t len, const sl_type *type, sl_json_dialect dialect,
                               sl_value *out, sl_arena *arena, sl_error *err);
/* Untyped: objects -> MAP<STRING, ...> (values of mixed kinds), arrays ->
 * ARRAY, numbers -> BIGINT or DOUBLE, strings, booleans, null. */
sl_err_t sl_json_parse_any(const char *text, size_t len, sl_value *out, sl_arena *arena, sl_error *err);
/* As Jackson's readTree for EXTRACTJSONFIELD: the first value only (what
 * follows it is ignored), and numbers with a fraction as exact DECIMALs so
 * that their text survives ("1.23450"). */
sl_err_t sl_json_parse_leading(const char *text, size_t len, sl_value *out, sl_arena *arena, sl_error *err);
/* Writes v (of type; NULL type = use the value's own kinds) as JSON. */
void sl_json_write(sl_strbuf *out, const sl_value *v, const sl_type *type);
/* Appends s as a quoted, escaped JSON string. */
void sl_json_write_string(sl_strbuf *out, const char *s, size_t len);

#endif
