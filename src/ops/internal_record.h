/* The records Sluice writes to its own repartition topics, documented once.
 * Both formats are private to one application (they never leave its
 * internal topics), versioned by their first byte:
 *
 *  'S' a source record sent whole to the task that owns its new key:
 *      'S', flags (1: has a key, 2: has a value), the key's length (4 bytes
 *      big-endian), the key, the source topic's length (2 bytes), the topic,
 *      then the value to the end. The repartition record's own key is the
 *      partition key and its time the original's.
 *  'T' a table row's change for an aggregation over a table: 'T', which rows
 *      follow (1: the old, 2: the new, 3: both), then each row's values in
 *      the value codec (common/valcodec.h). An update that moves a row to
 *      another group is sent as two: its retraction and its new row. */
#ifndef SL_INTERNAL_RECORD_H
#define SL_INTERNAL_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "common/value.h"
#include "ops/record.h"

void sl_internal_source_encode(sl_strbuf *out, const sl_record *in);
/* orig: a copy of rec with the original key, value and topic (pointing
 * into rec's value and the arena); false when rec is not such a record */
bool sl_internal_source_decode(const sl_record *rec, sl_arena *arena, sl_record *orig);

bool sl_internal_is_change(const sl_record *rec);
void sl_internal_change_encode(sl_strbuf *out, const sl_value *old_row, const sl_value *new_row, int width);
/* rows of width values, allocated with room for alloc_width; a row that is
 * not in the record is NULL. false when rec is not such a record */
bool sl_internal_change_decode(const sl_record *rec, int width, int alloc_width, sl_arena *arena,
                               sl_value **old_row, sl_value **new_row);

#endif
