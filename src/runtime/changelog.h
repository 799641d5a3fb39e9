/* State changelogs: every store of a task logs its changes to the compacted
 * topic "<application.id>-<store>-changelog", partition = the task's
 * partition, inside the batch's transaction, so that the committed changelog
 * always matches the committed input offsets. A task that starts (first
 * assignment, restart, after an aborted batch) is restored from it, reading
 * read_committed up to its end, before it processes any input.
 *
 * A changelog record is the store's key and value bytes (a delete is a
 * tombstone); each carries the store's stream time in a header, so that a
 * restored operator closes exactly the windows the lost one had closed. */
#ifndef SL_CHANGELOG_H
#define SL_CHANGELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "ops/topology.h"
#include "runtime/batch.h"

#define SL_CHANGELOG_TIME_HEADER "sluice.stream.time"

/* "<app>-<store>-changelog" */
void sl_changelog_topic(const char *app, const char *store, char *out, size_t n);

/* The store names of a topology, in a fixed order: fn is called once per
 * store a task of it has. */
typedef void (*sl_changelog_name_fn)(void *ctx, const char *store_name);
void sl_changelog_store_names(const sl_topology *topo, sl_changelog_name_fn fn, void *ctx);

/* Produces one change (see batch.h) to its store's changelog partition,
 * with the store's stream time in a header. false when the producer
 * refused it (the batch must then be aborted). */
bool sl_changelog_produce(rd_kafka_t *producer, const char *app, const sl_state_change *c);

/* Produces the changes made to the task's stores since the last call (each
 * key once, latest value). Returns the number of records produced, or -1
 * when the producer refused one (the batch must then be aborted). */
int64_t sl_changelog_write(rd_kafka_t *producer, const char *app, sl_task *task);

/* librdkafka settings of a restorer, as key, value pairs ending in NULL:
 * read_committed, assign only, the end of a partition reported, and a
 * prefetch queue deep enough that the fetcher never stops ahead of the
 * store (librdkafka 2.0 looks again only a second after its queue passed
 * queued.min.messages: restores went in bursts of 100,000 records and
 * pauses of up to a second, most of their time). */
extern const char *const sl_changelog_restorer_settings[];

/* Fills the task's (empty) stores from their changelogs, read_committed up
 * to the end, with `restorer` (a consumer used with assign only, created
 * with sl_changelog_restorer_settings). hw_reader (a client with
 * isolation.level=read_uncommitted; NULL when no transaction can be pending)
 * tells the true end. From a snapshot in snapshot_dir (may be
 * NULL) and the changelog after it when one fits (see snapshot.h). Turns
 * change tracking on afterwards. Returns the number of changelog records
 * applied, or -1 with a message logged. */
int64_t sl_changelog_restore(rd_kafka_t *restorer, rd_kafka_t *hw_reader, const char *app, const char *snapshot_dir,
                             sl_task *task);

/* Snapshots the task's stores into dir as of their changelogs' ends; call
 * right after a commit. Returns how many were written. */
int sl_changelog_snapshot(rd_kafka_t *rk, const char *app, const char *dir, sl_task *task);

#endif
