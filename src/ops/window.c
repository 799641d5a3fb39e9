/* Window assignment; see window.h. Kept apart so its boundaries can be unit
 * tested on their own (hop alignment, zero, window edges). */
#include "ops/window.h"

int sl_window_starts(int64_t size, int64_t advance, int64_t ts, int64_t *starts, int max)
{
    int64_t first = ts - size + advance;
    if (first < 0)
        first = 0;
    first = first / advance * advance;
    int n = 0;
    for (int64_t s = first; s <= ts && n < max; s += advance)
        if (s + size > ts)
            starts[n++] = s;
    return n;
}
