/* The windowed key, as Kafka Streams writes the key of a windowed table and
 * ksqlDB reads a windowed source: the inner key's bytes in the key format,
 * then for a time window (TUMBLING, HOPPING) its start, and for a session
 * its end and then its start, each 8 bytes big-endian epoch milliseconds.
 * A time window's end is not written: it is the start plus the size the
 * source declares. This is the one place that writes or reads the suffix. */
#ifndef SL_WINDOWED_KEY_H
#define SL_WINDOWED_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"

/* Windows are told apart only as time windows and sessions here (session:
 * true for SESSION windows), so that the wire format needs nothing of SQL. */

/* the suffix's length: 8, or 16 for sessions */
size_t sl_windowed_key_suffix_len(bool session);

/* appends the window to a key that holds the inner key's bytes */
void sl_windowed_key_append(sl_strbuf *key, bool session, int64_t start, int64_t end);

/* splits a windowed key of len bytes: the inner key's length and the window
 * (a time window's end from size_ms); false when the key is too short */
bool sl_windowed_key_split(const void *key, size_t len, bool session, int64_t size_ms, size_t *inner_len,
                           int64_t *start, int64_t *end);

#endif
