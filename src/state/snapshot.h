/* Local store snapshots in state.dir: a cache that saves reading a whole
 * changelog when an instance restarts. A snapshot holds a store's entries
 * and stream time as of a changelog offset; it is written after a commit
 * (clean shutdown, partitions handed over) to a temporary file that is then
 * renamed, and carries a checksum. Kafka stays the truth: a snapshot is used
 * only when its offset lies within the changelog as it is now, and the
 * changelog is then read from that offset to its end. */
#ifndef SL_SNAPSHOT_H
#define SL_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "state/store.h"

/* "<dir>/<partition>/<store>.snap" */
void sl_snapshot_path(const char *dir, int32_t partition, const char *store, char *out, size_t n);

/* Writes the store as of changelog offset `offset`. Returns false (and
 * leaves no file) on an I/O error. */
bool sl_snapshot_write(const char *path, const sl_store *store, int64_t offset);

/* Reads a snapshot's header: false when absent, unreadable or corrupt. */
bool sl_snapshot_peek(const char *path, int64_t *offset, int64_t *age_seconds);
/* Fills the (empty) store from the snapshot, which is checked whole first;
 * false (store untouched) when it is corrupt or unreadable. */
bool sl_snapshot_load(const char *path, sl_store *store);

#endif
