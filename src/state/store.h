/* State store: the one interface operators use for state, in memory now.
 * Keys and values are byte strings (values in valcodec form), as in Kafka
 * Streams' stores, so that the store underneath can log every change to a
 * changelog topic, restore from it and snapshot itself without the
 * operators knowing. Changes made since the last sl_store_take_dirty are
 * tracked per key (a batch's changes coalesce to the latest per key). */
#ifndef SL_STORE_H
#define SL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_store sl_store;

sl_store *sl_store_new(const char *name); /* caller owns */
void sl_store_destroy(sl_store *store);
const char *sl_store_name(const sl_store *store);
/* The compacted topic a store's changes are logged to:
 * "<application.id>-<store name>-changelog". The one place it is named. */
void sl_store_changelog_topic(const char *app, const char *store_name, char *out, size_t n);

/* Borrowed view of the value, valid until the next put/delete of any key;
 * NULL when absent. */
const void *sl_store_get(const sl_store *store, const void *key, size_t klen, size_t *vlen);
/* Copies key and value in. */
void sl_store_put(sl_store *store, const void *key, size_t klen, const void *val, size_t vlen);
void sl_store_delete(sl_store *store, const void *key, size_t klen);
size_t sl_store_count(const sl_store *store);

/* Bulk loading (restore from a changelog, a snapshot): what put and delete
 * would do, change by change in order, for many changes at once. The
 * entries it creates are packed into large slabs the store owns (no
 * allocation per entry), and the table slots of the changes ahead are
 * prefetched while one is applied (a restore's keys land on random slots
 * of a large table: one cache miss each, overlapped this way). */
typedef struct sl_store_load_item {
    const void *key;
    size_t klen;
    const void *val; /* NULL: a delete */
    size_t vlen;
} sl_store_load_item;
void sl_store_load(sl_store *store, const sl_store_load_item *items, size_t n);
/* Sizes the table for `entries` entries in all (a changelog partition's
 * record count: an upper bound, updates and deletes included), so that a
 * load does not rehash as it grows; capped, and only ever grows the
 * table. sl_store_load_done gives back what the estimate had too much. */
void sl_store_reserve(sl_store *store, size_t entries);
void sl_store_load_done(sl_store *store);
/* bytes held for keys and values, and total including the table */
size_t sl_store_payload_bytes(const sl_store *store);
size_t sl_store_memory_bytes(const sl_store *store);

/* What a task's stores hold, summed: for metrics and the memory benchmark */
typedef struct sl_store_stats {
    size_t entries;
    size_t payload_bytes; /* key and value bytes */
    size_t memory_bytes;  /* everything the stores allocated */
    uint64_t late_dropped; /* records too late for a closed window: windowed aggregations, stream-stream joins */
} sl_store_stats;
void sl_store_add_stats(const sl_store *store, sl_store_stats *into);

/* Iterates all entries (order unspecified); stop by returning false. The
 * store must not be modified during iteration. */
typedef bool (*sl_store_visit)(void *ctx, const void *key, size_t klen, const void *val, size_t vlen);
void sl_store_foreach(const sl_store *store, sl_store_visit visit, void *ctx);

/* Change tracking is off by default (no cost); the changelog turns it on. */
void sl_store_track_changes(sl_store *store, bool on);
/* Keys changed since the last call, each once (for changelog writing). */
typedef void (*sl_store_dirty_fn)(void *ctx, const void *key, size_t klen, const void *val, size_t vlen);
void sl_store_take_dirty(sl_store *store, sl_store_dirty_fn fn, void *ctx);
size_t sl_store_dirty_count(const sl_store *store); /* keys listed as changed (a live key once) */

/* Stream time: the largest record time the owning operator has seen, which
 * decides which windows are closed and which join buffers expire. It is
 * state like the entries: the changelog carries it, so a restored operator
 * closes the same windows the lost one had closed. INT64_MIN until set. */
int64_t sl_store_stream_time(const sl_store *store);
void sl_store_advance_stream_time(sl_store *store, int64_t ts);

/* Every store of an operator or task, for the changelog and snapshots */
typedef void (*sl_store_each_fn)(void *ctx, sl_store *store);

#endif
