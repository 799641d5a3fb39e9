/* Recursive-descent parser for ksqlDB statements (one pass over the token
 * list; precedence climbing for expressions). */
#ifndef SL_PARSER_H
#define SL_PARSER_H

#include "common/arena.h"
#include "common/error.h"
#include "sql/ast.h"

/* Parses every statement in text. Nodes live in arena (caller owns).
 * On error: SL_ERR_INVALID with file:line:col filled. Custom types
 * (CREATE TYPE) are resolved while parsing, in statement order. */
sl_err_t sl_parse(const char *text, const char *file, sl_arena *arena, sl_stmt_list *out,
                  sl_error *err);

/* Parses a type as written in SQL ("ARRAY<INT>"), for schemas in test files. */
const sl_type *sl_parse_type_text(const char *text, sl_arena *arena, sl_error *err);

/* Duration "10 SECONDS" units: returns ms per unit or 0 if not a unit. */
int64_t sl_time_unit_ms(const char *unit_upper);

#endif
