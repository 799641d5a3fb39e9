/* Decoding a source's records into rows. */
#ifndef SL_SOURCE_H
#define SL_SOURCE_H

#include <stdbool.h>

#include "common/arena.h"
#include "ops/record.h"
#include "sql/catalog.h"

/* Decodes a record of src into row[0..src->ncols + 3) (columns, then
 * ROWTIME, ROWPARTITION, ROWOFFSET, and a windowed source's window bounds).
 * Bad bytes go to the processing log and return false. */
bool sl_source_decode(const sl_source *src, const sl_record *in, sl_value *row, bool *deleted, sl_arena *arena,
                      const sl_collector *out);
/* the key columns and pseudo-columns only (a WHERE on the key runs before
 * the value is decoded) */
bool sl_source_decode_key(const sl_source *src, const sl_record *in, sl_value *row, sl_arena *arena,
                          const sl_collector *out);
/* A stream record with a null value, which a query drops: to the
 * processing log with its place. */
void sl_source_log_null_value(const sl_source *src, const sl_record *in, const sl_collector *out);

#endif
