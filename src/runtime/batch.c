/* The micro-batch (see batch.h). The code here came out of the Kafka
 * driver (dispatch to per-partition tasks, the collector, coalescing, the
 * changelog step and the transaction's state) and the memory driver (the
 * depth-first re-entry of chained records), unchanged in what it does: the
 * drivers now differ only in their sl_batch_driver. */
#include "runtime/batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/coalesce.h"
#include "state/store.h"

/* how deep chained records re-enter: deep enough for any chain a file
 * declares (32 silently lost the outputs of longer chains); only a cycle
 * (a query reading its own sink) reaches it, and that stops the run with
 * an error */
#define CHAIN_MAX_DEPTH 256

struct sl_batch {
    const sl_topology *topo;
    sl_batch_options opts;
    sl_batch_driver drv;
    sl_task **tasks; /* by partition number */
    int ntasks;
    sl_arena *arena;
    sl_coalescer *coalesce; /* the batch's table updates, latest per key */
    sl_collector collector;
    sl_txn_state state;
    bool left_open; /* FATAL with a transaction still open */
    const char *current_query; /* the query the task runs (borrowed from the topology) */
    int depth;                 /* of chained re-entry */
    int64_t chain_offsets[CHAIN_MAX_DEPTH + 1]; /* positions of chained records, per depth */
};

/* ---------- state ---------- */

static void go_fatal(sl_batch *b)
{
    if (b->state == SL_TXN_FATAL)
        return;
    b->left_open = b->state == SL_TXN_OPEN || b->state == SL_TXN_COMMITTING;
    b->state = SL_TXN_FATAL;
}

sl_txn_state sl_batch_state(const sl_batch *b)
{
    return b->state;
}

bool sl_batch_txn_open(const sl_batch *b)
{
    return b->state == SL_TXN_OPEN || b->state == SL_TXN_COMMITTING || (b->state == SL_TXN_FATAL && b->left_open);
}

void sl_batch_fail(sl_batch *b)
{
    go_fatal(b);
}

/* ---------- tasks ---------- */

static void track_changes(void *ctx, sl_store *store)
{
    (void)ctx;
    sl_store_track_changes(store, true);
}

sl_task *sl_batch_task(sl_batch *b, int32_t partition)
{
    if (partition < 0)
        partition = 0;
    if (partition >= b->ntasks) {
        int n = partition + 16;
        b->tasks = realloc(b->tasks, (size_t)n * sizeof *b->tasks);
        for (int i = b->ntasks; i < n; i++)
            b->tasks[i] = NULL;
        b->ntasks = n;
    }
    if (!b->tasks[partition]) {
        sl_task *t = sl_task_new(b->topo, partition);
        if (!t)
            return NULL;
        if (b->opts.repartition)
            sl_task_enable_repartition(t);
        /* the task's state as of the last commit, before any input */
        if (b->drv.task_started && !b->drv.task_started(b->drv.ctx, t)) {
            sl_task_destroy(t);
            go_fatal(b);
            return NULL;
        }
        /* a store's changes go to its changelog from now on */
        if (b->drv.changelog)
            sl_task_foreach_store(t, track_changes, NULL);
        b->tasks[partition] = t;
    }
    return b->tasks[partition];
}

sl_task *const *sl_batch_tasks(const sl_batch *b, int *count)
{
    *count = b->ntasks;
    return b->tasks;
}

void sl_batch_drop_tasks(sl_batch *b)
{
    for (int i = 0; i < b->ntasks; i++) {
        sl_task_destroy(b->tasks[i]);
        b->tasks[i] = NULL;
    }
}

sl_arena *sl_batch_arena(sl_batch *b)
{
    return b->arena;
}

/* ---------- the collector ---------- */

static void on_fatal_error(void *ctx, const sl_record *src, const char *msg);

static bool is_table_sink(const sl_topology *t, const char *topic)
{
    for (int i = 0; i < sl_topology_topic_count(t); i++)
        if (sl_topology_topic(t, i)->is_table_sink && !strcmp(sl_topology_topic(t, i)->name, topic))
            return true;
    return false;
}

static void produce(sl_batch *b, const sl_record *r)
{
    if (b->drv.produce)
        b->drv.produce(b->drv.ctx, r);
}

static void run_chained(sl_batch *b, const sl_record *out);

/* outputs: a table's updates wait in the coalescer for the batch's commit */
static void on_send(void *ctx, const sl_record *r)
{
    sl_batch *b = ctx;
    if (r->key && b->opts.coalesce_tables && is_table_sink(b->topo, r->topic))
        sl_coalescer_add(b->coalesce, r);
    else
        produce(b, r);
    if (!b->opts.chain_inline)
        return;
    if (b->depth < CHAIN_MAX_DEPTH)
        run_chained(b, r);
    else if (sl_topology_reads_topic(b->topo, r->topic))
        on_fatal_error(b, r, "a record went through more than 256 chained queries: do INSERT INTO statements "
                             "form a cycle?");
}

static void on_processing_error(void *ctx, const sl_record *src, const char *msg)
{
    sl_batch *b = ctx;
    if (b->drv.processing_error)
        b->drv.processing_error(b->drv.ctx, b->current_query, src, msg);
}

/* the query the task runs now: its errors name it */
static void on_query_begin(void *ctx, const char *query_id)
{
    ((sl_batch *)ctx)->current_query = query_id;
}

/* the configuration made this record's error fatal: the batch is not
 * committed and the driver stops */
static void on_fatal_error(void *ctx, const sl_record *src, const char *msg)
{
    sl_batch *b = ctx;
    if (b->drv.fatal_error)
        b->drv.fatal_error(b->drv.ctx, src, msg);
    go_fatal(b);
}

/* ---------- processing ---------- */

static void run_record(sl_batch *b, sl_task *task, const sl_record *rec)
{
    sl_error err;
    sl_error_init(&err);
    sl_err_t rc = b->opts.repartition && sl_topology_is_repartition_topic(b->topo, rec->topic)
                      ? sl_task_process_repartitioned(task, rec, b->arena, &b->collector, &err)
                      : sl_task_process(task, rec, b->arena, &b->collector, &err);
    if (rc && b->drv.record_failed)
        b->drv.record_failed(b->drv.ctx, rec, &err);
}

/* A chained query reads this output's topic: the record runs through the
 * task at once, and the task is flushed, before the query that wrote it
 * goes on. Its bytes are the task's encoding buffers, which the chained
 * query reuses to encode its own results while its decoded row still
 * points into them (strings are decoded in place): an input record must
 * own its bytes until the batch ends, so they are copied into the batch
 * arena first. */
static void run_chained(sl_batch *b, const sl_record *out)
{
    sl_record next = *out;
    if (out->key)
        next.key = memcpy(sl_arena_alloc(b->arena, out->key_len + 1), out->key, out->key_len);
    if (out->value)
        next.value = memcpy(sl_arena_alloc(b->arena, out->value_len + 1), out->value, out->value_len);
    if (out->nheaders) {
        sl_header *h = sl_arena_alloc(b->arena, out->nheaders * sizeof *h);
        for (size_t i = 0; i < out->nheaders; i++) {
            h[i].key = sl_arena_strdup(b->arena, out->headers[i].key);
            h[i].value = out->headers[i].value ? memcpy(sl_arena_alloc(b->arena, out->headers[i].value_len + 1),
                                                        out->headers[i].value, out->headers[i].value_len)
                                               : NULL;
            h[i].value_len = out->headers[i].value_len;
        }
        next.headers = h;
    }
    next.partition = 0;
    next.offset = b->chain_offsets[b->depth]++;
    sl_task *task = sl_batch_task(b, 0);
    if (!task)
        return;
    /* the chained queries name themselves; this one goes on after */
    const char *query = b->current_query;
    b->depth++;
    run_record(b, task, &next);
    sl_error err;
    sl_error_init(&err);
    sl_task_flush(task, b->arena, &b->collector, &err);
    b->depth--;
    b->current_query = query;
}

bool sl_batch_process(sl_batch *b, const sl_record *rec)
{
    if (b->state == SL_TXN_CLOSED) {
        sl_txn_step s = b->drv.begin ? b->drv.begin(b->drv.ctx) : SL_STEP_OK;
        b->state = SL_TXN_OPEN;
        if (s != SL_STEP_OK)
            go_fatal(b);
    }
    if (b->state != SL_TXN_OPEN)
        return false;
    sl_task *task = sl_batch_task(b, rec->partition);
    if (!task)
        return false;
    run_record(b, task, rec);
    /* a record's temporaries die with it: nothing the operators keep
     * points into the arena (state is copied into stores, outputs into the
     * driver or the coalescer), and a batch of 10,000 decoded records
     * would otherwise sit in memory until commit */
    sl_arena_reset(b->arena);
    return true;
}

/* ---------- the changelog step ---------- */

typedef struct take_ctx {
    sl_state_change change;
    sl_state_change_fn fn;
    void *ctx;
    bool refused;
} take_ctx;

static void take_one(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    take_ctx *t = ctx;
    if (t->refused)
        return;
    t->change.key = key;
    t->change.key_len = klen;
    t->change.value = val;
    t->change.value_len = val ? vlen : 0;
    if (!t->fn(t->ctx, &t->change))
        t->refused = true;
}

static void take_store(void *ctx, sl_store *store)
{
    take_ctx *t = ctx;
    if (t->refused || !sl_store_dirty_count(store))
        return;
    t->change.store = sl_store_name(store);
    t->change.stream_time = sl_store_stream_time(store);
    sl_store_take_dirty(store, take_one, t);
}

bool sl_batch_take_changes(sl_task *task, sl_state_change_fn fn, void *ctx)
{
    take_ctx t = {.change = {.partition = sl_task_partition(task)}, .fn = fn, .ctx = ctx};
    sl_task_foreach_store(task, take_store, &t);
    return !t.refused;
}

/* ---------- commit and abort ---------- */

static void send_coalesced(void *ctx, const sl_record *r)
{
    produce(ctx, r);
}

static bool to_changelog(void *ctx, const sl_state_change *c)
{
    sl_batch *b = ctx;
    return b->drv.changelog(b->drv.ctx, c);
}

sl_txn_state sl_batch_abort(sl_batch *b)
{
    if (b->state != SL_TXN_OPEN && b->state != SL_TXN_COMMITTING)
        return b->state;
    b->state = SL_TXN_ABORTING;
    sl_txn_step s = b->drv.abort ? b->drv.abort(b->drv.ctx) : SL_STEP_OK;
    /* the batch is redone from the last commit; state goes with it */
    sl_coalescer_clear(b->coalesce);
    sl_batch_drop_tasks(b);
    sl_arena_reset(b->arena);
    b->state = SL_TXN_CLOSED;
    if (s == SL_STEP_FATAL)
        go_fatal(b);
    return b->state;
}

sl_txn_state sl_batch_commit(sl_batch *b)
{
    if (b->state != SL_TXN_OPEN)
        return b->state;
    b->state = SL_TXN_COMMITTING;
    sl_error err;
    sl_error_init(&err);
    for (int i = 0; i < b->ntasks; i++)
        if (b->tasks[i])
            sl_task_flush(b->tasks[i], b->arena, &b->collector, &err);
    sl_coalescer_drain(b->coalesce, send_coalesced, b);
    /* the state changes go in the same transaction as the outputs */
    if (b->drv.changelog)
        for (int i = 0; i < b->ntasks; i++)
            if (b->tasks[i] && !sl_batch_take_changes(b->tasks[i], to_changelog, b))
                return sl_batch_abort(b);
    if (b->state != SL_TXN_COMMITTING) /* a fatal record error in the flush */
        return b->state;
    sl_txn_step s = b->drv.commit ? b->drv.commit(b->drv.ctx) : SL_STEP_OK;
    if (s == SL_STEP_ABORT)
        return sl_batch_abort(b);
    if (s == SL_STEP_FATAL) {
        go_fatal(b);
        return b->state;
    }
    b->state = SL_TXN_CLOSED;
    sl_arena_reset(b->arena);
    return b->state;
}

/* ---------- life ---------- */

sl_batch *sl_batch_new(const sl_topology *topo, const sl_batch_options *opts, const sl_batch_driver *driver)
{
    sl_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->topo = topo;
    b->opts = *opts;
    b->drv = *driver;
    b->arena = sl_arena_new(opts->arena_size ? opts->arena_size : 64 * 1024);
    b->coalesce = sl_coalescer_new();
    b->collector = (sl_collector){.send = on_send,
                                  .processing_error = on_processing_error,
                                  .ctx = b,
                                  .fatal_error = on_fatal_error,
                                  .query_begin = on_query_begin};
    b->state = SL_TXN_CLOSED;
    return b;
}

void sl_batch_destroy(sl_batch *b)
{
    if (!b)
        return;
    sl_batch_drop_tasks(b);
    free(b->tasks);
    sl_coalescer_destroy(b->coalesce);
    sl_arena_destroy(b->arena);
    free(b);
}
