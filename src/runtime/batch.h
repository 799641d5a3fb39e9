/* The micro-batch: the one piece of execution that `sluice run` (the Kafka
 * driver), `sluice test` (the memory driver), `sluice test --bootstrap`
 * (the replay driver, which runs the Kafka driver) and the engine benchmark
 * share. Only where records come from and what a commit is differ; the
 * driver supplies those through sl_batch_driver.
 *
 * A batch owns the tasks (one per input partition, made on first use and
 * handed to the driver to restore) and, between its first record and its
 * commit:
 *   - runs each input record through the task of its partition (a record
 *     read back from a repartition topic only through its query);
 *   - collects what the tasks emit: a table sink's updates wait in the
 *     coalescer (latest per key) unless the driver turns coalescing off,
 *     every other output leaves at once through driver->produce; with
 *     chain_inline, an output is also run straight back through the task,
 *     depth first (see below);
 *   - at commit: flushes every task, hands the coalesced updates on, hands
 *     every store's changes to driver->changelog (each changed key once,
 *     latest value), then calls driver->commit.
 *
 * The transaction is an explicit state machine:
 *
 *     CLOSED --first record--> OPEN --sl_batch_commit--> COMMITTING --ok--> CLOSED
 *                                |                           | abort
 *                                +--sl_batch_abort--> ABORTING <+  --> CLOSED
 *     any state --fatal--> FATAL (terminal: nothing more is committed)
 *
 * An abort forgets the coalesced updates and drops the tasks (their state
 * is restored again from the last commit by driver->task_started); the
 * driver rewinds its input.
 *
 * Depth-first chaining (chain_inline, the memory driver): ksqlDB's test
 * runner runs a chained query's input as part of the one topology, so a
 * record a query writes is processed (and its task flushed) before the
 * query goes on with its next output. A queue would change the order of
 * outputs in some conformance cases, so the re-entry stays synchronous, up
 * to 32 levels deep. Through Kafka the chained record comes back as input
 * of a later batch instead. */
#ifndef SL_BATCH_H
#define SL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ops/record.h"
#include "ops/topology.h"

typedef struct sl_batch sl_batch;

typedef enum sl_txn_state {
    SL_TXN_CLOSED,
    SL_TXN_OPEN,
    SL_TXN_COMMITTING,
    SL_TXN_ABORTING,
    SL_TXN_FATAL,
} sl_txn_state;

/* what a transactional step of the driver came to */
typedef enum sl_txn_step {
    SL_STEP_OK,
    SL_STEP_ABORT, /* abortable: the batch is aborted and redone */
    SL_STEP_FATAL, /* fenced or unrecoverable: the batch goes FATAL */
} sl_txn_step;

/* One change of a store, as its changelog carries it */
typedef struct sl_state_change {
    const char *store;   /* the store's name, unique in the topology */
    int32_t partition;   /* the task's */
    int64_t stream_time; /* the store's; INT64_MIN when not set yet */
    const void *key;
    size_t key_len;
    const void *value; /* NULL: the key was deleted */
    size_t value_len;
} sl_state_change;

/* The driver's side. Every function may be NULL (nothing to do, success). */
typedef struct sl_batch_driver {
    void *ctx;
    /* a new task, before its first record: its state as of the last commit
     * (Kafka: restored from the changelogs); false makes the batch FATAL */
    bool (*task_started)(void *ctx, sl_task *task);
    /* opens the transaction at the batch's first record */
    sl_txn_step (*begin)(void *ctx);
    /* a record leaves the batch: an output, or a processing log entry */
    void (*produce)(void *ctx, const sl_record *r);
    /* a store change for the changelog; false: refused (the batch aborts) */
    bool (*changelog)(void *ctx, const sl_state_change *c);
    /* commits the transaction (with the input positions it consumed) */
    sl_txn_step (*commit)(void *ctx);
    /* aborts the transaction and rewinds the input to the last commit;
     * SL_STEP_FATAL when even that failed */
    sl_txn_step (*abort)(void *ctx);
    /* a record that failed to decode or evaluate (query: the query that
     * ran it, or NULL); processing goes on */
    void (*processing_error)(void *ctx, const char *query, const sl_record *src, const char *msg);
    /* an error the configuration makes fatal: the batch goes FATAL */
    void (*fatal_error)(void *ctx, const sl_record *src, const char *msg);
    /* a failure of the task itself on one record (err filled) */
    void (*record_failed)(void *ctx, const sl_record *src, const sl_error *err);
} sl_batch_driver;

typedef struct sl_batch_options {
    /* records whose grouping or join key is not their message key go
     * through the query's repartition topic (sluice run) */
    bool repartition;
    /* a table sink's updates leave once per key per batch, as Kafka
     * Streams' record cache does (off: every update leaves) */
    bool coalesce_tables;
    /* outputs are run straight back through the tasks, depth first */
    bool chain_inline;
    size_t arena_size; /* the batch arena's block size */
} sl_batch_options;

sl_batch *sl_batch_new(const sl_topology *topo, const sl_batch_options *opts, const sl_batch_driver *driver);
void sl_batch_destroy(sl_batch *b);

sl_txn_state sl_batch_state(const sl_batch *b);
/* a transaction was left open (OPEN, COMMITTING, or FATAL reached from
 * one of them): on the way out the driver aborts it */
bool sl_batch_txn_open(const sl_batch *b);
/* the driver hit an error of its own that stops everything */
void sl_batch_fail(sl_batch *b);

/* The task of a partition, made (and handed to driver->task_started) when
 * there is none; NULL when it cannot be made or restored. */
sl_task *sl_batch_task(sl_batch *b, int32_t partition);
/* the tasks by partition number (entries may be NULL) */
sl_task *const *sl_batch_tasks(const sl_batch *b, int *count);
/* forgets every task (partitions revoked, or an abort) */
void sl_batch_drop_tasks(sl_batch *b);
/* temporary data of the batch's records; reset after each input record */
sl_arena *sl_batch_arena(sl_batch *b);

/* Runs one input record through its partition's task, opening the
 * transaction first when it is closed. Returns false when the record was
 * not processed (the batch is FATAL, or its task could not be made); a
 * record the task fails on counts as processed (driver->record_failed). */
bool sl_batch_process(sl_batch *b, const sl_record *rec);
/* Ends an OPEN batch: flush, coalesced updates, changelog, commit. Returns
 * the state afterwards (CLOSED, or FATAL). Nothing to do when not OPEN. */
sl_txn_state sl_batch_commit(sl_batch *b);
/* Aborts an OPEN batch (see above); the tasks are dropped. */
sl_txn_state sl_batch_abort(sl_batch *b);

/* The changes made to the task's stores since the last call, each key once
 * with its latest value, store by store in the task's order. fn returns
 * false to refuse one (the rest of that store's changes are still taken).
 * Returns false when fn refused any. */
typedef bool (*sl_state_change_fn)(void *ctx, const sl_state_change *c);
bool sl_batch_take_changes(sl_task *task, sl_state_change_fn fn, void *ctx);

#endif
