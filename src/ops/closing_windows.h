/* EMIT FINAL's time windows waiting to close: each window (its store key,
 * which ends in its start) once, taken in order of start (then key length
 * and bytes; the aggregation orders what closes together by the serialized
 * key, as Kafka Streams' store does). A binary heap with an index beside it: a
 * record adds to it in O(log n) and stream time moving on costs nothing
 * until a window closes (a scan of every pending window per record made
 * EMIT FINAL quadratic in the number of open windows). */
#ifndef SL_CLOSING_WINDOWS_H
#define SL_CLOSING_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_closing_windows sl_closing_windows;

sl_closing_windows *sl_closing_windows_new(void); /* caller owns */
void sl_closing_windows_destroy(sl_closing_windows *w);
/* adds the window (key copied) unless it is pending already */
void sl_closing_windows_add(sl_closing_windows *w, const void *key, size_t klen, int64_t start);
/* the earliest pending window: false when none; key borrowed until the
 * next call that changes w */
bool sl_closing_windows_first(const sl_closing_windows *w, const char **key, size_t *klen, int64_t *start);
void sl_closing_windows_pop(sl_closing_windows *w);
size_t sl_closing_windows_count(const sl_closing_windows *w);

#endif
