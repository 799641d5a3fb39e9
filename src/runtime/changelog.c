/* Changelog writing and restore (see changelog.h). Restore assigns all of a
 * task's changelog partitions to one consumer at once and reads until each
 * reports end of partition; with read_committed that end is the last stable
 * offset, so records of a transaction that is still open (a killed
 * instance's, about to be aborted) are never applied. */
#include "runtime/changelog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "state/store.h"

void sl_changelog_topic(const char *app, const char *store, char *out, size_t n)
{
    snprintf(out, n, "%s-%s-changelog", app, store);
}

typedef struct name_ctx {
    sl_changelog_name_fn fn;
    void *ctx;
} name_ctx;

static void visit_name(void *ctx, sl_store *store)
{
    name_ctx *c = ctx;
    c->fn(c->ctx, sl_store_name(store));
}

void sl_changelog_store_names(const sl_topology *topo, sl_changelog_name_fn fn, void *ctx)
{
    /* a task's stores are what the topology needs; a throwaway one lists them */
    sl_task *probe = sl_task_new(topo, 0);
    if (!probe)
        return;
    name_ctx c = {fn, ctx};
    sl_task_foreach_store(probe, visit_name, &c);
    sl_task_destroy(probe);
}

/* ---------- writing ---------- */

typedef struct write_ctx {
    rd_kafka_t *producer;
    const char *topic;
    int32_t partition;
    char time_header[24];
    size_t time_len;
    int64_t written;
    bool failed;
} write_ctx;

static void produce_change(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    write_ctx *w = ctx;
    if (w->failed)
        return;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            w->producer, RD_KAFKA_V_TOPIC(w->topic), RD_KAFKA_V_PARTITION(w->partition),
            RD_KAFKA_V_KEY((void *)key, klen), RD_KAFKA_V_VALUE((void *)val, val ? vlen : 0),
            RD_KAFKA_V_HEADER(SL_CHANGELOG_TIME_HEADER, w->time_header, (ssize_t)w->time_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(w->producer, 10);
            continue;
        }
        if (err) {
            sl_log_error("changelog", "cannot write to %s/%d: %s", w->topic, w->partition, rd_kafka_err2str(err));
            w->failed = true;
        } else {
            w->written++;
        }
        return;
    }
}

typedef struct task_write {
    rd_kafka_t *producer;
    const char *app;
    int32_t partition;
    int64_t written;
    bool failed;
} task_write;

static void write_store(void *ctx, sl_store *store)
{
    task_write *t = ctx;
    if (t->failed || !sl_store_dirty_count(store))
        return;
    char topic[640];
    sl_changelog_topic(t->app, sl_store_name(store), topic, sizeof topic);
    write_ctx w = {.producer = t->producer, .topic = topic, .partition = t->partition};
    int64_t st = sl_store_stream_time(store);
    w.time_len = st == INT64_MIN ? 0 : (size_t)snprintf(w.time_header, sizeof w.time_header, "%" PRId64, st);
    sl_store_take_dirty(store, produce_change, &w);
    t->written += w.written;
    t->failed |= w.failed;
}

int64_t sl_changelog_write(rd_kafka_t *producer, const char *app, sl_task *task)
{
    task_write t = {producer, app, sl_task_partition(task), 0, false};
    sl_task_foreach_store(task, write_store, &t);
    return t.failed ? -1 : t.written;
}

/* ---------- restoring ---------- */

typedef struct restore_target {
    char topic[640];
    sl_store *store;
    int64_t low, high; /* watermarks when restore began, for progress */
    int64_t applied;
    bool done;
} restore_target;

typedef struct restore_plan {
    rd_kafka_t *restorer;
    const char *app;
    int32_t partition;
    restore_target *targets;
    int n, cap;
    bool failed;
} restore_plan;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(p->restorer, t->topic, p->partition, &t->low, &t->high, 30000);
    if (err) {
        sl_log_error("restore", "cannot read the end of %s/%d: %s", t->topic, p->partition, rd_kafka_err2str(err));
        p->failed = true;
        return;
    }
    t->done = t->high <= t->low; /* nothing was ever written, or all compacted away */
    p->n++;
}

static restore_target *target_of(restore_plan *p, const char *topic)
{
    for (int i = 0; i < p->n; i++)
        if (!strcmp(p->targets[i].topic, topic))
            return &p->targets[i];
    return NULL;
}

static void apply(restore_target *t, const rd_kafka_message_t *m)
{
    if (m->payload)
        sl_store_put(t->store, m->key ? m->key : "", m->key_len, m->payload, m->len);
    else
        sl_store_delete(t->store, m->key ? m->key : "", m->key_len);
    rd_kafka_headers_t *hdrs = NULL;
    const void *hv;
    size_t hl;
    if (!rd_kafka_message_headers(m, &hdrs) &&
        !rd_kafka_header_get_last(hdrs, SL_CHANGELOG_TIME_HEADER, &hv, &hl) && hv && hl < 24) {
        char buf[24];
        memcpy(buf, hv, hl);
        buf[hl] = 0;
        sl_store_advance_stream_time(t->store, strtoll(buf, NULL, 10));
    }
    t->applied++;
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
            rd_kafka_topic_partition_list_add(parts, p->targets[i].topic, p->partition)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
            sl_info("restore", "restoring %s/%d: up to %" PRId64 " record(s)", p->targets[i].topic, p->partition,
                    p->targets[i].high - p->targets[i].low);
        }
    rd_kafka_resp_err_t err = rd_kafka_assign(p->restorer, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err) {
        sl_log_error("restore", "cannot assign changelogs: %s", rd_kafka_err2str(err));
        return -1;
    }
    int64_t total = 0, last_progress = now_ms(), last_log = last_progress;
    while (!all_done(p)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(p->restorer, 200);
        int64_t now = now_ms();
        if (!m) {
            if (now - last_progress > 120000) {
                sl_log_error("restore", "no progress restoring partition %d for 120 s", p->partition);
                total = -1;
                break;
            }
            continue;
        }
        restore_target *t = m->rkt ? target_of(p, rd_kafka_topic_name(m->rkt)) : NULL;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (t)
                t->done = true;
        } else if (m->err) {
            sl_warn("restore", "%s", rd_kafka_message_errstr(m));
            if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                rd_kafka_message_destroy(m);
                total = -1;
                break;
            }
        } else if (t && !t->done) {
            apply(t, m);
            total++;
            last_progress = now;
        }
        rd_kafka_message_destroy(m);
        if (now - last_log >= 5000) {
            for (int i = 0; i < p->n; i++)
                if (!p->targets[i].done)
                    sl_info("restore", "%s/%d: %" PRId64 " of up to %" PRId64 " record(s) applied",
                            p->targets[i].topic, p->partition, p->targets[i].applied,
                            p->targets[i].high - p->targets[i].low);
            last_log = now;
        }
    }
    rd_kafka_assign(p->restorer, NULL);
    return total;
}

static void start_tracking(void *ctx, sl_store *store)
{
    (void)ctx;
    sl_store_track_changes(store, true);
}

int64_t sl_changelog_restore(rd_kafka_t *restorer, const char *app, sl_task *task)
{
    restore_plan p = {.restorer = restorer, .app = app, .partition = sl_task_partition(task)};
    int64_t started = now_ms();
    sl_task_foreach_store(task, plan_store, &p);
    int64_t total = 0;
    if (p.failed)
        total = -1;
    else if (!all_done(&p))
        total = read_until_end(&p);
    if (total > 0) {
        sl_task_after_restore(task);
        sl_info("restore", "partition %d: %" PRId64 " changelog record(s) applied in %" PRId64 " ms", p.partition,
                total, now_ms() - started);
    }
    sl_task_foreach_store(task, start_tracking, NULL);
    free(p.targets);
    return total;
}
