/* CAST and ksqlDB's implicit conversions between SQL types. Used by the
 * expression compiler (CAST, implicit widening of function arguments and
 * comparisons) and by functions that need a value's text. */
#ifndef SL_CAST_H
#define SL_CAST_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"
#include "common/value.h"

/* Whether CAST(from AS to) is allowed at all (compile-time check). */
bool sl_cast_allowed(const sl_type *from, const sl_type *to);
/* Whether ksqlDB converts from -> to implicitly (INT->BIGINT->DECIMAL->DOUBLE,
 * and element-wise for ARRAY/MAP/STRUCT of those). */
bool sl_cast_implicit(const sl_type *from, const sl_type *to);
/* The common type of two numeric/compatible types for comparisons and
 * arithmetic, or NULL when there is none. DECIMAL results sized as ksqlDB does. */
const sl_type *sl_cast_common_type(sl_arena *arena, const sl_type *a, const sl_type *b);
/* The common type of a list of user expressions (an IN list, ARRAY[...],
 * MAP(...)) with `next` added: as sl_cast_common_type, except that two
 * STRUCTs make one with the super set of their fields (a field in both has
 * their common type), as ksqlDB coerces such lists. NULL when none. */
const sl_type *sl_cast_list_common_type(sl_arena *arena, const sl_type *common, const sl_type *next);
/* Converts a value; NULL stays NULL. Fails (SL_ERR_RUNTIME) on e.g. a
 * non-numeric string cast to INT, with ksqlDB-like text. */
sl_err_t sl_cast_value(const sl_value *in, const sl_type *to, sl_arena *arena, sl_value *out,
                       sl_error *err);
/* The text CAST(v AS STRING) produces ("1.0", "true", "[1, 2]", "{A=1}",
 * "Struct{A=1}", ISO timestamps "2020-01-01T00:00:00.000"). In the arena. */
sl_value sl_value_to_string(const sl_value *v, sl_arena *arena);
/* Same, knowing the type (prints STRUCT field names: "Struct{A=1}"). */
sl_value sl_cast_typed_to_string(const sl_value *v, const sl_type *t, sl_arena *arena);

#endif
