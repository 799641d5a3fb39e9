/* Event-time windows (Kafka Streams' TimeWindows and SessionWindows rules):
 * which windows a timestamp falls in, and whether a window is still open. */
#ifndef SL_WINDOW_H
#define SL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

/* Starts of the time windows [start, start + size) containing ts, aligned
 * to advance (advance == size for tumbling), in increasing order; windows
 * never start before 0. Returns how many (at most max). ts must be >= 0. */
int sl_window_starts(int64_t size, int64_t advance, int64_t ts, int64_t *starts, int max);
/* A window ending at end still accepts records while end > stream_time - grace. */
static inline bool sl_window_open(int64_t end, int64_t grace, int64_t stream_time)
{
    return end > stream_time - grace;
}
/* Whether a session [start, end] absorbs a record at ts with the given gap. */
static inline bool sl_session_absorbs(int64_t start, int64_t end, int64_t gap, int64_t ts)
{
    return end >= ts - gap && start <= ts + gap;
}

#endif
