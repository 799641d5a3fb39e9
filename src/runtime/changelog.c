/* Changelog writing and restore (see changelog.h). Restore assigns all of a
 * task's changelog partitions to one consumer at once and reads them
 * read_committed until its position reaches the high watermark (asked of a
 * read_uncommitted client): records of a transaction that is still open (a
 * killed instance's, about to be aborted) are never applied, and one that
 * is committed but whose markers are not written yet is waited for.
 *
 * Records are taken from the consumer a run at a time (what it has
 * fetched already, up to RESTORE_RUN) and bulk-loaded into their store
 * (sl_store_load: no allocation per entry, slots prefetched), the store's
 * table sized beforehand from the partition's record count. */
#include "runtime/changelog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "state/snapshot.h"
#include "state/store.h"

void sl_changelog_topic(const char *app, const char *store, char *out, size_t n)
{
    sl_store_changelog_topic(app, store, out, n);
}

void sl_changelog_store_names(const sl_topology *topo, sl_changelog_name_fn fn, void *ctx)
{
    for (int i = 0; i < sl_topology_query_count(topo); i++)
        for (const char *const *name = sl_topology_query_stores(topo, i); *name; name++)
            fn(ctx, *name);
}

/* ---------- writing ---------- */

bool sl_changelog_produce(rd_kafka_t *producer, const char *app, const sl_state_change *c)
{
    char topic[640], time_header[24];
    sl_changelog_topic(app, c->store, topic, sizeof topic);
    size_t time_len = c->stream_time == INT64_MIN
                          ? 0
                          : (size_t)snprintf(time_header, sizeof time_header, "%" PRId64, c->stream_time);
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(c->partition),
            RD_KAFKA_V_KEY((void *)c->key, c->key_len), RD_KAFKA_V_VALUE((void *)c->value, c->value ? c->value_len : 0),
            RD_KAFKA_V_HEADER(SL_CHANGELOG_TIME_HEADER, time_header, (ssize_t)time_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(producer, 10);
            continue;
        }
        if (err) {
            sl_log_error("changelog", "cannot write to %s/%d: %s", topic, c->partition, rd_kafka_err2str(err));
            return false;
        }
        return true;
    }
}

typedef struct task_write {
    rd_kafka_t *producer;
    const char *app;
    int64_t written;
} task_write;

static bool write_change(void *ctx, const sl_state_change *c)
{
    task_write *t = ctx;
    if (!sl_changelog_produce(t->producer, t->app, c))
        return false;
    t->written++;
    return true;
}

int64_t sl_changelog_write(rd_kafka_t *producer, const char *app, sl_task *task)
{
    task_write t = {producer, app, 0};
    return sl_batch_take_changes(task, write_change, &t) ? t.written : -1;
}

/* ---------- restoring ---------- */

const char *const sl_changelog_restorer_settings[] = {
    "isolation.level", "read_committed", "enable.auto.commit", "false", "enable.partition.eof", "true",
    "auto.offset.reset", "earliest",
    /* the end of a changelog is found by a fetch that returns nothing: do
     * not let the broker hold it back */
    "fetch.wait.max.ms", "10",
    /* 1,000,000 records of about 100 bytes each in librdkafka, while a
     * restore runs; larger fetches (max.partition.fetch.bytes 4 or 16 MB
     * instead of 1 MB) were slower, as were smaller ones */
    "queued.min.messages", "1000000", NULL};

typedef struct restore_target {
    char topic[640];
    sl_store *store;
    int64_t low, high; /* watermarks when restore began, for progress */
    int64_t start;     /* where reading begins: a snapshot's offset, or the beginning */
    int64_t applied;
    /* the stream time the last record applied carries, which is the
     * store's (see note_stream_time) */
    int64_t last_time;
    bool has_time;
    bool done;
    bool waiting; /* logged that a pending transaction holds it back */
} restore_target;

typedef struct restore_plan {
    rd_kafka_t *restorer;
    rd_kafka_t *hw_reader; /* read_uncommitted, for the true high watermark; may be NULL */
    const char *app;
    const char *snapshot_dir;
    int32_t partition;
    restore_target *targets;
    int n, cap;
    bool failed;
    bool from_snapshot;
} restore_plan;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A snapshot counts when its offset lies within the changelog as it is now
 * (the changelog is then read on from there) and it is younger than the
 * changelog's delete retention (a day by default), so that no tombstone
 * after its offset can have been compacted away. It is removed once read:
 * from now on the state moves on without it. */
#define SNAPSHOT_MAX_AGE_S (12 * 3600)

static void use_snapshot(restore_plan *p, restore_target *t)
{
    char path[4800];
    sl_snapshot_path(p->snapshot_dir, p->partition, sl_store_name(t->store), path, sizeof path);
    int64_t offset, age;
    if (!sl_snapshot_peek(path, &offset, &age))
        return;
    if (offset < t->low || offset > t->high || age > SNAPSHOT_MAX_AGE_S) {
        sl_info("restore", "snapshot %s (offset %" PRId64 ", %" PRId64 " s old) does not fit %s/%d [%" PRId64
                           ", %" PRId64 "]: restoring from the changelog",
                path, offset, age, t->topic, p->partition, t->low, t->high);
    } else if (sl_snapshot_load(path, t->store)) {
        sl_info("restore", "%s/%d: %zu entries from the snapshot at offset %" PRId64 ", then the changelog's last %" PRId64
                           " offset(s)",
                t->topic, p->partition, sl_store_count(t->store), offset, t->high - offset);
        t->start = offset;
        t->done = offset >= t->high;
        p->from_snapshot = true;
    } else {
        sl_warn("restore", "snapshot %s is corrupt: restoring from the changelog", path);
    }
    remove(path);
}

static void plan_store(void *ctx, sl_store *store)
{
    restore_plan *p = ctx;
    sl_store_track_changes(store, false); /* restored entries are not changes */
    if (p->failed)
        return;
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4;
        p->targets = realloc(p->targets, (size_t)p->cap * sizeof *p->targets);
    }
    restore_target *t = &p->targets[p->n];
    memset(t, 0, sizeof *t);
    t->store = store;
    sl_changelog_topic(p->app, sl_store_name(store), t->topic, sizeof t->topic);
    /* a topic created a moment ago may not have its leader yet: retry
     * such errors for a while */
    rd_kafka_resp_err_t err;
    int64_t give_up = now_ms() + 60000;
    /* the high watermark, not the last stable offset a read_committed
     * client would get: a predecessor's last commit whose markers are not
     * written yet holds the LSO back, down to the low watermark when it is
     * the changelog's first transaction, and the store would look empty */
    rd_kafka_t *ends = p->hw_reader ? p->hw_reader : p->restorer;
    while ((err = rd_kafka_query_watermark_offsets(ends, t->topic, p->partition, &t->low, &t->high, 10000)) &&
           (err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
            err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
            err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT) &&
           now_ms() < give_up)
        usleep(200000);
    if (err) {
        sl_log_error("restore", "cannot read the end of %s/%d: %s", t->topic, p->partition, rd_kafka_err2str(err));
        p->failed = true;
        return;
    }
    t->start = RD_KAFKA_OFFSET_BEGINNING;
    t->done = t->high <= t->low; /* nothing was ever written, or all compacted away */
    if (p->snapshot_dir && !t->done)
        use_snapshot(p, t);
    if (!t->done) /* at most one entry per record still to read */
        sl_store_reserve(store, sl_store_count(store) +
                                    (size_t)(t->high - (t->start >= 0 ? t->start : t->low)));
    p->n++;
}

static restore_target *target_of(restore_plan *p, const char *topic)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->targets[i].topic, topic))
            return &p->targets[i];
    return NULL;
}

/* The stream time of a restored store is the one its last changelog record
 * carries: every batch writes the store's stream time then, which never
 * decreases, and a new owner goes on from the one it restored, so the
 * times along a changelog only grow (and compaction never removes the last
 * record). Parsing the header of every record cost more than applying it:
 * only the last record of each run is read. */
static void note_stream_time(restore_target *t, rd_kafka_message_t *m)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *hv;
    size_t hl;
    t->has_time = false;
    if (!rd_kafka_message_headers(m, &hdrs) && !rd_kafka_header_get_last(hdrs, SL_CHANGELOG_TIME_HEADER, &hv, &hl) &&
        hv && hl < 24) {
        char buf[24];
        memcpy(buf, hv, hl);
        buf[hl] = 0;
        t->last_time = strtoll(buf, NULL, 10);
        t->has_time = true;
    }
}

static void take_stream_time(restore_target *t)
{
    if (t->has_time)
        sl_store_advance_stream_time(t->store, t->last_time);
    t->has_time = false;
}

/* records of one target, in changelog order, not yet in its store */
#define RESTORE_RUN 512
typedef struct pending {
    restore_target *target;
    sl_store_load_item items[RESTORE_RUN];
    rd_kafka_message_t *last; /* the run's last record */
    size_t n;
} pending;

static void flush(pending *run)
{
    if (!run->n)
        return;
    sl_store_load(run->target->store, run->items, run->n);
    run->target->applied += (int64_t)run->n;
    note_stream_time(run->target, run->last);
    run->n = 0;
}

/* m (a record of t) joins the run; the run is loaded first when it is
 * another target's */
static void add(pending *run, restore_target *t, const rd_kafka_message_t *m)
{
    if (run->target != t)
        flush(run);
    run->target = t;
    run->items[run->n++] = (sl_store_load_item){m->key ? m->key : "", m->key_len, m->payload, m->payload ? m->len : 0};
    run->last = (rd_kafka_message_t *)m;
}

/* The end of a read_committed read is the last stable offset: a
 * transaction still open, or committed but without its markers written yet
 * (the coordinator writes them after commit returns), stops it short. Such
 * a transaction may hold the last changes of the instance that had the
 * task before: the restore is complete only at the high watermark, once the
 * transaction's markers are there (after its commit, or its abort by the
 * transaction timeout). */
static bool at_end(restore_plan *p, restore_target *t, int64_t eof_offset)
{
    /* the high watermark as a read_uncommitted client sees it: what a
     * read_committed client caches as the end is the last stable offset */
    int64_t low, high;
    rd_kafka_resp_err_t err =
        p->hw_reader ? rd_kafka_query_watermark_offsets(p->hw_reader, t->topic, p->partition, &low, &high, 10000)
                     : rd_kafka_get_watermark_offsets(p->restorer, t->topic, p->partition, &low, &high);
    if (err || eof_offset >= high)
        return true;
    if (!t->waiting) {
        sl_info("restore", "%s/%d: waiting for a pending transaction to end (at %" PRId64 " of %" PRId64 ")",
                t->topic, p->partition, eof_offset, high);
        t->waiting = true;
    }
    return false;
}

/* a waiting target whose transaction ended with nothing more to read moves
 * past the markers without another end-of-partition event */
static void recheck_waiting(restore_plan *p)
{
    for (int i = 0; i < p->n; i++) {
        restore_target *t = &p->targets[i];
        if (t->done || !t->waiting)
            continue;
        rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(pos, t->topic, p->partition);
        if (!rd_kafka_position(p->restorer, pos) && pos->elems[0].offset >= 0)
            t->done = at_end(p, t, pos->elems[0].offset);
        rd_kafka_topic_partition_list_destroy(pos);
    }
}

static bool all_done(const restore_plan *p)
{
    for (int i = 0; i < p->n; i++)
        if (!p->targets[i].done)
            return false;
    return true;
}

static int64_t read_until_end(restore_plan *p)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(p->n);
    for (int i = 0; i < p->n; i++)
        if (!p->targets[i].done) {
            rd_kafka_topic_partition_list_add(parts, p->targets[i].topic, p->partition)->offset = p->targets[i].start;
            sl_info("restore", "restoring %s/%d: up to %" PRId64 " record(s)", p->targets[i].topic, p->partition,
                    p->targets[i].high - p->targets[i].low);
        }
    rd_kafka_resp_err_t err = rd_kafka_assign(p->restorer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        sl_log_error("restore", "cannot assign changelogs: %s", rd_kafka_err2str(err));
        return -1;
    }
    int64_t total = 0, last_progress = now_ms(), last_log = last_progress, now = last_progress;
    restore_target *t = NULL;
    const rd_kafka_topic_t *t_rkt = NULL; /* whose target t is */
    /* a run of records: the first waited for, the rest what the consumer
     * holds already; applied, then destroyed together */
    rd_kafka_message_t **msgs = malloc(RESTORE_RUN * sizeof *msgs);
    pending *run = malloc(sizeof *run);
    if (!msgs || !run) {
        free(msgs);
        free(run);
        sl_log_error("restore", "out of memory");
        return -1;
    }
    run->target = NULL;
    run->n = 0;
    bool stop = false;
    while (!stop && !all_done(p)) {
        int got = 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(p->restorer, 200);
        while (m) {
            msgs[got++] = m;
            m = got < RESTORE_RUN ? rd_kafka_consumer_poll(p->restorer, 0) : NULL;
        }
        now = now_ms();
        if (!got) {
            recheck_waiting(p);
            if (now - last_progress > 120000) {
                sl_log_error("restore", "no progress restoring partition %d for 120 s", p->partition);
                total = -1;
                break;
            }
            continue;
        }
        for (int k = 0; k < got && !stop; k++) {
            m = msgs[k];
            if (m->rkt != t_rkt) {
                t_rkt = m->rkt;
                t = m->rkt ? target_of(p, rd_kafka_topic_name(m->rkt)) : NULL;
            }
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                flush(run); /* the end is judged on what is applied */
                if (t)
                    t->done = at_end(p, t, m->offset);
            } else if (m->err) {
                sl_warn("restore", "%s", rd_kafka_message_errstr(m));
                if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                    total = -1;
                    stop = true;
                }
            } else if (t && !t->done) {
                add(run, t, m);
                total++;
                last_progress = now;
            }
        }
        flush(run);
        for (int k = 0; k < got; k++)
            rd_kafka_message_destroy(msgs[k]);
        if (now - last_log >= 5000) {
            for (int i = 0; i < p->n; i++)
                if (!p->targets[i].done)
                    sl_info("restore", "%s/%d: %" PRId64 " of up to %" PRId64 " record(s) applied",
                            p->targets[i].topic, p->partition, p->targets[i].applied,
                            p->targets[i].high - p->targets[i].low);
            last_log = now;
        }
    }
    free(msgs);
    free(run);
    for (int i = 0; i < p->n; i++) {
        take_stream_time(&p->targets[i]);
        sl_store_load_done(p->targets[i].store);
    }
    rd_kafka_assign(p->restorer, NULL);
    return total;
}

static void start_tracking(void *ctx, sl_store *store)
{
    (void)ctx;
    sl_store_track_changes(store, true);
}

int64_t sl_changelog_restore(rd_kafka_t *restorer, rd_kafka_t *hw_reader, const char *app, const char *snapshot_dir,
                             sl_task *task)
{
    restore_plan p = {.restorer = restorer, .hw_reader = hw_reader, .app = app, .snapshot_dir = snapshot_dir,
                      .partition = sl_task_partition(task)};
    int64_t started = now_ms();
    sl_task_foreach_store(task, plan_store, &p);
    int64_t total = 0;
    if (p.failed)
        total = -1;
    else if (!all_done(&p))
        total = read_until_end(&p);
    if (total > 0 || p.from_snapshot) {
        sl_task_after_restore(task);
        sl_info("restore", "partition %d: %" PRId64 " changelog record(s) applied in %" PRId64 " ms", p.partition,
                total, now_ms() - started);
    }
    sl_task_foreach_store(task, start_tracking, NULL);
    free(p.targets);
    return total;
}

/* ---------- snapshots ---------- */

typedef struct snap_ctx {
    rd_kafka_t *rk;
    const char *app, *dir;
    int32_t partition;
    int written;
} snap_ctx;

static void snapshot_store(void *ctx, sl_store *store)
{
    snap_ctx *c = ctx;
    char topic[640], path[4800];
    sl_changelog_topic(c->app, sl_store_name(store), topic, sizeof topic);
    int64_t low, high;
    if (rd_kafka_query_watermark_offsets(c->rk, topic, c->partition, &low, &high, 10000))
        return;
    /* the end as of the commit just made: if the commit's marker lands after
     * it, restore reads past the marker and finds nothing more */
    sl_snapshot_path(c->dir, c->partition, sl_store_name(store), path, sizeof path);
    if (sl_snapshot_write(path, store, high))
        c->written++;
    else
        sl_warn("state", "cannot write snapshot %s", path);
}

int sl_changelog_snapshot(rd_kafka_t *rk, const char *app, const char *dir, sl_task *task)
{
    char pdir[4200];
    snprintf(pdir, sizeof pdir, "%s/%d", dir, (int)sl_task_partition(task));
    mkdir(pdir, 0755);
    snap_ctx c = {rk, app, dir, sl_task_partition(task), 0};
    sl_task_foreach_store(task, snapshot_store, &c);
    return c.written;
}
