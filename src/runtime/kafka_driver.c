/* Kafka driver (see kafka_driver.h). The loop follows Kafka Streams'
 * exactly-once v2 with librdkafka 2.0.2's pitfalls in mind: batches are
 * built from rd_kafka_consumer_poll (not the batch-consume API), commit and
 * abort wait without a time limit, and every partition's result is checked
 * after a seek. A batch is: begin_transaction at its first record; each
 * record through the task of its partition; outputs produced; then
 * send_offsets_to_transaction with the consumer group metadata and
 * commit_transaction. An abortable error aborts the transaction and rewinds
 * the assigned partitions to their committed offsets, so the batch is
 * redone; a fatal one (fenced by a newer instance) stops the process. */
#include "runtime/kafka_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/arena.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/hash.h"
#include "runtime/changelog.h"
#include "runtime/coalesce.h"
#include "runtime/kafka_errors.h"
#include "runtime/processing_log.h"
#include "runtime/metrics.h"
#include "runtime/partition_group.h"
#include "runtime/topics.h"
#include "serde/json.h"

typedef struct worker {
    const sl_driver_options *o;
    rd_kafka_t *consumer, *producer;
    rd_kafka_t *restorer; /* reads changelogs into new tasks (assign only) */
    rd_kafka_t *hw_reader; /* read_uncommitted: the true end of a changelog */
    sl_coalescer *coalesce; /* the batch's table updates, latest per key */
    sl_pgroup *pending; /* fetched, not yet processed: taken in timestamp order per task */
    const char *app;
    sl_task **tasks; /* by partition number */
    int ntasks;
    sl_arena *arena;
    rd_kafka_topic_partition_list_t *offsets; /* next offset per input partition in this batch */
    /* The batch's transaction, a small state machine: closed, begin_batch
     * opens it (with a record to process), commit_batch or abort_batch
     * closes it (abort also rewinds the inputs and drops the tasks, whose
     * state is restored from the changelogs); fatal is terminal: nothing
     * more is committed, an open transaction is aborted on the way out, and
     * the worker stops. Every transactional call goes through
     * sl_kafka_retry, which decides retries in one place. */
    bool txn_open;
    bool fatal;
    bool consumer_fenced; /* the consumer hit a fatal error: see reopen_consumer */
    const char *current_query; /* the query the task runs (borrowed from the topology) */
    int64_t batch_records;
    int64_t batch_chained; /* outputs to topics the topology reads (progress only) */
    /* records of this batch the producer could not deliver (an aborted
     * transaction purges its queue): summarised in one line, not one each */
    int64_t undelivered;
    rd_kafka_resp_err_t undelivered_err;
    sl_driver_stats stats;
    char errstr[512];
} worker;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drop_tasks(worker *w)
{
    for (int i = 0; i < w->ntasks; i++) {
        sl_task_destroy(w->tasks[i]);
        w->tasks[i] = NULL;
    }
}

static sl_task *task_for(worker *w, int32_t partition)
{
    if (partition >= w->ntasks) {
        int n = partition + 16;
        w->tasks = realloc(w->tasks, (size_t)n * sizeof *w->tasks);
        for (int i = w->ntasks; i < n; i++)
            w->tasks[i] = NULL;
        w->ntasks = n;
    }
    if (!w->tasks[partition]) {
        sl_task *t = sl_task_new(w->o->topology, partition);
        if (!t)
            return NULL;
        sl_task_enable_repartition(t);
        /* the task's state as of the last commit, before any input */
        sl_worker_metrics_restore_begin(w->o->metrics);
        int64_t restored = sl_changelog_restore(w->restorer, w->hw_reader, w->app, w->o->snapshot_dir, t);
        sl_worker_metrics_restore_end(w->o->metrics, restored);
        if (restored < 0) {
            sl_log_error("restore", "cannot restore the state of partition %d", partition);
            sl_task_destroy(t);
            w->fatal = true;
            return NULL;
        }
        w->tasks[partition] = t;
    }
    return w->tasks[partition];
}

/* ---------- collector ---------- */

static bool reads_topic(const sl_topology *t, const char *topic)
{
    for (int i = 0; i < sl_topology_topic_count(t); i++)
        if (sl_topology_topic(t, i)->is_source && !strcmp(sl_topology_topic(t, i)->name, topic))
            return true;
    return false;
}

/* The producer's partitioner, as Kafka Streams' sink partitions: the
 * murmur2 of the key, positive, modulo the partition count (the Java
 * producer's default), but for a windowed key the murmur2 of its inner key
 * only (WindowedStreamPartitioner). The message's opaque carries how many
 * leading key bytes choose the partition, plus one (NULL: the whole key).
 * A null key goes to a random partition. */
static int32_t partition_for_key(const rd_kafka_topic_t *rkt, const void *key, size_t keylen, int32_t partitions,
                                 void *rkt_opaque, void *msg_opaque)
{
    if (!key)
        return rd_kafka_msg_partitioner_random(rkt, key, keylen, partitions, rkt_opaque, msg_opaque);
    size_t prefix = (size_t)(uintptr_t)msg_opaque;
    if (prefix && prefix - 1 <= keylen)
        keylen = prefix - 1;
    return sl_kafka_partition(key, keylen, partitions);
}

static void produce_record(void *ctx, const sl_record *r)
{
    worker *w = ctx;
    void *prefix = r->partition_by_prefix ? (void *)(uintptr_t)(r->partition_prefix_len + 1) : NULL;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            w->producer, RD_KAFKA_V_TOPIC(r->topic), RD_KAFKA_V_KEY((void *)r->key, r->key ? r->key_len : 0),
            RD_KAFKA_V_VALUE((void *)r->value, r->value ? r->value_len : 0), RD_KAFKA_V_TIMESTAMP(r->timestamp),
            RD_KAFKA_V_PARTITION(r->partition >= 0 ? r->partition : RD_KAFKA_PARTITION_UA),
            RD_KAFKA_V_OPAQUE(prefix), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(w->producer, 10);
            continue;
        }
        if (err) {
            sl_log_throttled("produce", SL_LOG_ERROR, "producer", "produce to %s failed: %s", r->topic,
                             rd_kafka_err2str(err));
        } else {
            w->stats.records_out++;
            sl_worker_metrics_output(w->o->metrics, r->topic);
            if (w->o->progress && reads_topic(w->o->topology, r->topic))
                w->batch_chained++;
        }
        return;
    }
}

static bool is_table_sink(const sl_topology *t, const char *topic)
{
    for (int i = 0; i < sl_topology_topic_count(t); i++)
        if (sl_topology_topic(t, i)->is_table_sink && !strcmp(sl_topology_topic(t, i)->name, topic))
            return true;
    return false;
}

/* outputs: a table's updates wait in the coalescer for the batch's commit */
static void on_send(void *ctx, const sl_record *r)
{
    worker *w = ctx;
    if (r->key && !w->o->no_record_cache && is_table_sink(w->o->topology, r->topic))
        sl_coalescer_add(w->coalesce, r);
    else
        produce_record(w, r);
}

/* A record that failed to decode or evaluate: logged, and written to the
 * processing log topic in the batch's transaction, so that it appears there
 * exactly once whatever happens to the batch. Processing goes on. */
static void on_processing_error(void *ctx, const sl_record *src, const char *msg)
{
    worker *w = ctx;
    w->stats.failed_records++;
    sl_worker_metrics_processing_error(w->o->metrics, src->topic, src->partition, src->offset, msg);
    sl_log_throttled("processing", SL_LOG_WARN, "processing", "%s: %s/%d/%lld: %s",
                     w->current_query ? w->current_query : "-", src->topic, src->partition, (long long)src->offset,
                     msg);
    char topic[600];
    sl_processing_log_topic(w->o->config, topic, sizeof topic);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sl_processing_log_entry(&sb, w->current_query, src, msg,
                            (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    sl_record rec = {.topic = topic, .partition = -1, .timestamp = src->timestamp, .value = sb.data,
                     .value_len = sb.len};
    produce_record(w, &rec);
    w->stats.records_out--; /* not an output of the queries */
    sl_strbuf_free(&sb);
}

/* the query the task runs now: its errors name it */
static void on_query_begin(void *ctx, const char *query_id)
{
    ((worker *)ctx)->current_query = query_id;
}

/* the configuration made this record's error fatal: the batch is not
 * committed (its transaction is aborted below) and the process stops */
static void on_fatal_error(void *ctx, const sl_record *src, const char *msg)
{
    worker *w = ctx;
    w->fatal = true;
    sl_log_error("processing", "%s/%d/%lld: %s", src->topic, src->partition, (long long)src->offset, msg);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    worker *w = opaque;
    if (!m->err || !w)
        return;
    if (!w->undelivered++)
        w->undelivered_err = m->err;
}

/* librdkafka's client-level errors (its log lines go to the logger): all
 * brokers down is what /healthz needs to know */
static void on_client_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    worker *w = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && w)
        sl_worker_metrics_brokers(w->o->metrics, false);
    if (err == RD_KAFKA_RESP_ERR__FATAL && w && rk == w->consumer)
        w->consumer_fenced = true;
    char key[48];
    snprintf(key, sizeof key, "client-error:%d", err);
    sl_log_throttled(key, err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ? SL_LOG_WARN : SL_LOG_ERROR, "kafka", "%s: %s",
                     rd_kafka_name(rk), reason);
}

/* one line for the records a batch lost in delivery (it is redone) */
static void report_undelivered(worker *w, const char *what)
{
    if (!w->undelivered)
        return;
    sl_warn("producer", "%lld record(s) of the batch were not delivered (%s); %s", (long long)w->undelivered,
            rd_kafka_err2str(w->undelivered_err), what);
    w->undelivered = 0;
}

/* ---------- transactions ---------- */

static void rewind_to_committed(worker *w)
{
    sl_pgroup_rewind(w->pending);
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(w->consumer, &parts) || !parts)
        return;
    if (parts->cnt) {
        rd_kafka_resp_err_t err = rd_kafka_committed(w->consumer, parts, 30000);
        if (err)
            sl_warn("consumer", "cannot read committed offsets: %s", rd_kafka_err2str(err));
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].offset < 0)
                parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_error_t *e = rd_kafka_seek_partitions(w->consumer, parts, 30000);
        if (e) {
            sl_warn("consumer", "seek failed: %s", rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].err)
                sl_warn("consumer", "seek of %s/%d failed: %s", parts->elems[i].topic, parts->elems[i].partition,
                        rd_kafka_err2str(parts->elems[i].err));
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* ---------- the transactional calls, each retried by the one policy ---------- */

static rd_kafka_error_t *call_abort(void *ctx)
{
    return rd_kafka_abort_transaction(((worker *)ctx)->producer, -1);
}

static rd_kafka_error_t *call_begin(void *ctx)
{
    return rd_kafka_begin_transaction(((worker *)ctx)->producer);
}

static rd_kafka_error_t *call_commit(void *ctx)
{
    return rd_kafka_commit_transaction(((worker *)ctx)->producer, -1);
}

static rd_kafka_error_t *call_init(void *ctx)
{
    return rd_kafka_init_transactions(((worker *)ctx)->producer, 60000);
}

typedef struct offsets_call {
    worker *w;
    rd_kafka_consumer_group_metadata_t *group;
} offsets_call;

static rd_kafka_error_t *call_send_offsets(void *ctx)
{
    offsets_call *c = ctx;
    return rd_kafka_send_offsets_to_transaction(c->w->producer, c->w->offsets, c->group, -1);
}

static void abort_batch(worker *w)
{
    w->stats.aborted_batches++;
    sl_worker_metrics_aborted(w->o->metrics, &w->stats);
    if (w->o->exactly_once) {
        if (sl_kafka_retry(call_abort, w, "abort_transaction") == SL_KAFKA_FATAL)
            w->fatal = true;
        rd_kafka_poll(w->producer, 0); /* the purged records' reports */
    }
    report_undelivered(w, "the batch is redone from the last commit");
    /* the batch is redone from the committed offsets; state goes with it */
    sl_coalescer_clear(w->coalesce);
    drop_tasks(w);
    rewind_to_committed(w);
    rd_kafka_topic_partition_list_destroy(w->offsets);
    w->offsets = rd_kafka_topic_partition_list_new(16);
    w->txn_open = false;
    w->batch_records = 0;
    w->batch_chained = 0;
}

static void begin_batch(worker *w)
{
    if (w->txn_open)
        return;
    if (w->o->exactly_once && sl_kafka_retry(call_begin, w, "begin_transaction") != SL_KAFKA_OK)
        w->fatal = true;
    w->txn_open = true;
    sl_worker_metrics_batch_begin(w->o->metrics);
}

static void commit_batch(worker *w)
{
    if (!w->txn_open)
        return;
    sl_collector c = {.send = on_send,
                      .processing_error = on_processing_error,
                      .ctx = w,
                      .fatal_error = on_fatal_error,
                      .query_begin = on_query_begin};
    sl_error err;
    sl_error_init(&err);
    for (int i = 0; i < w->ntasks; i++)
        if (w->tasks[i])
            sl_task_flush(w->tasks[i], w->arena, &c, &err);
    sl_coalescer_drain(w->coalesce, produce_record, w);
    /* the state changes go in the same transaction as the outputs */
    for (int i = 0; i < w->ntasks; i++)
        if (w->tasks[i]) {
            int64_t n = sl_changelog_write(w->producer, w->app, w->tasks[i]);
            if (n < 0) {
                abort_batch(w);
                return;
            }
            w->stats.changelog_records += n;
        }
    if (w->o->exactly_once) {
        if (w->offsets->cnt) {
            offsets_call oc = {w, rd_kafka_consumer_group_metadata(w->consumer)};
            sl_kafka_action a = sl_kafka_retry(call_send_offsets, &oc, "send_offsets_to_transaction");
            rd_kafka_consumer_group_metadata_destroy(oc.group);
            if (a == SL_KAFKA_ABORT) {
                abort_batch(w);
                return;
            }
            if (a == SL_KAFKA_FATAL) {
                w->fatal = true;
                return;
            }
        }
        sl_kafka_action a = sl_kafka_retry(call_commit, w, "commit_transaction");
        if (a == SL_KAFKA_ABORT) {
            abort_batch(w);
            return;
        }
        if (a == SL_KAFKA_FATAL) {
            w->fatal = true;
            return;
        }
    } else {
        rd_kafka_flush(w->producer, -1);
        if (w->undelivered) {
            /* at least once: offsets move only past what was delivered */
            abort_batch(w);
            return;
        }
        if (w->offsets->cnt) {
            rd_kafka_resp_err_t e = rd_kafka_commit(w->consumer, w->offsets, 0);
            if (e)
                sl_warn("consumer", "offset commit failed: %s", rd_kafka_err2str(e));
        }
    }
    w->stats.batches++;
    sl_worker_metrics_committed(w->o->metrics, &w->stats, w->tasks, w->ntasks, w->consumer, w->offsets);
    sl_debug("worker", "committed a batch of %lld record(s), %zu buffered", (long long)w->batch_records, sl_pgroup_buffered(w->pending));
    if (w->o->progress) {
        w->o->progress->committed_chained += w->batch_chained;
        w->o->progress->committed_in += w->batch_records;
    }
    rd_kafka_topic_partition_list_destroy(w->offsets);
    w->offsets = rd_kafka_topic_partition_list_new(16);
    w->txn_open = false;
    w->batch_records = 0;
    w->batch_chained = 0;
    sl_arena_reset(w->arena);
}

/* ---------- rebalancing ---------- */

/* after a commit: the tasks' state as of their changelogs' ends */
static void snapshot_tasks(worker *w)
{
    if (!w->o->snapshot_dir)
        return;
    int n = 0;
    for (int i = 0; i < w->ntasks; i++)
        if (w->tasks[i])
            /* the producer reads the high watermark; the restorer, read_committed,
             * would get the last stable offset, short of the commit just made */
            n += sl_changelog_snapshot(w->producer, w->app, w->o->snapshot_dir, w->tasks[i]);
    if (n)
        sl_info("state", "%d store snapshot(s) written to %s", n, w->o->snapshot_dir);
}

/* Before a new task restores its state: the committed offsets of its
 * partitions, asked with require_stable (librdkafka does so for a
 * read_committed consumer), which the broker answers only once no
 * transaction holding offsets for them is open. A previous owner that did
 * not see the rebalance in time (a session timeout under load) may have
 * sent its offsets before the new generation and still be writing that
 * batch's changelog records: restoring first could read the changelog
 * before they land, then start from offsets that count them. Kafka Streams
 * orders it the same way (KIP-447). The offsets found are the ones the
 * consumer starts from. */
static void wait_stable_offsets(worker *w, rd_kafka_topic_partition_list_t *parts)
{
    if (!w->o->exactly_once || !parts->cnt)
        return;
    int64_t waited_since = now_ms();
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_committed(w->consumer, parts, 10000);
        if (!err)
            break;
        if (*w->o->stop || now_ms() - waited_since > 300000) {
            sl_warn("consumer", "cannot read the committed offsets of the new assignment: %s", rd_kafka_err2str(err));
            for (int i = 0; i < parts->cnt; i++)
                parts->elems[i].offset = RD_KAFKA_OFFSET_INVALID; /* the consumer asks again */
            break;
        }
        sl_info("consumer", "waiting for the committed offsets of the new assignment: %s", rd_kafka_err2str(err));
    }
    for (int i = 0; i < parts->cnt; i++)
        if (parts->elems[i].err) {
            sl_warn("consumer", "committed offset of %s/%d: %s", parts->elems[i].topic, parts->elems[i].partition,
                    rd_kafka_err2str(parts->elems[i].err));
            parts->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
            parts->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        }
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    worker *w = opaque;
    char list[1024] = "";
    size_t n = 0;
    int listed = 0;
    for (; listed < parts->cnt && n < sizeof list - 300; listed++) /* (a topic name has at most 249 bytes) */
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s/%d", listed ? " " : "", parts->elems[listed].topic,
                              parts->elems[listed].partition);
    if (listed < parts->cnt) /* a long list ends with its count, never silently */
        snprintf(list + n, sizeof list - n, " and %d more (%d partitions)", parts->cnt - listed, parts->cnt);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        sl_info("consumer", "assigned: %s", list);
        sl_worker_metrics_assigned(w->o->metrics, parts);
        sl_worker_metrics_member(w->o->metrics, rk);
        wait_stable_offsets(w, parts);
        rd_kafka_assign(rk, parts);
        int words = sl_topology_order_words(w->o->topology);
        uint64_t *order_set = calloc((size_t)words + 1, sizeof *order_set);
        if (!order_set) {
            fprintf(stderr, "sluice: out of memory\n");
            abort();
        }
        for (int i = 0; i < parts->cnt; i++) {
            sl_topology_order_set(w->o->topology, parts->elems[i].topic, order_set);
            sl_pgroup_assign(w->pending, parts->elems[i].topic, parts->elems[i].partition, order_set, words);
        }
        free(order_set);
        /* each task's state is restored now, before any of its input */
        for (int i = 0; i < parts->cnt && !w->fatal; i++)
            task_for(w, parts->elems[i].partition);
        sl_worker_metrics_restored(w->o->metrics);
        return;
    }
    sl_info("consumer", "revoked: %s", list);
    bool lost = rd_kafka_assignment_lost(rk);
    if (w->txn_open) {
        if (lost)
            abort_batch(w); /* another instance owns these partitions now */
        else
            commit_batch(w);
    }
    if (!lost && !w->txn_open && !w->fatal)
        snapshot_tasks(w); /* the partitions may come back to this instance */
    drop_tasks(w);
    sl_pgroup_clear(w->pending); /* fetched records the next owner reads again */
    rd_kafka_assign(rk, NULL);
    sl_worker_metrics_revoked(w->o->metrics);
}

/* ---------- clients ---------- */

static bool conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, worker *w)
{
    if (rd_kafka_conf_set(conf, k, v, w->errstr, sizeof w->errstr) != RD_KAFKA_CONF_OK) {
        sl_log_error("kafka", "configuration %s=%s: %s", k, v, w->errstr);
        return false;
    }
    return true;
}

/* the user's kafka.* settings, then those for this kind of client */
static bool passthrough(rd_kafka_conf_t *conf, sl_kafka_client client, worker *w)
{
    const char *k, *v;
    for (int i = 0; sl_config_kafka_for(w->o->config, client, i, &k, &v); i++)
        if (!conf_set(conf, k, v, w))
            return false;
    return true;
}

static const char *bootstrap(const sl_driver_options *o)
{
    return o->bootstrap ? o->bootstrap : sl_config_string(o->config, "bootstrap.servers");
}

/* the partition group's queue of a partition is full (or drained again) */
static void flow_control(void *ctx, const char *topic, int32_t partition, bool pause)
{
    worker *w = ctx;
    rd_kafka_topic_partition_list_t *one = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(one, topic, partition);
    rd_kafka_resp_err_t err =
        pause ? rd_kafka_pause_partitions(w->consumer, one) : rd_kafka_resume_partitions(w->consumer, one);
    if (err || one->elems[0].err)
        sl_warn("consumer", "cannot %s %s/%d: %s", pause ? "pause" : "resume", topic, partition,
                rd_kafka_err2str(err ? err : one->elems[0].err));
    rd_kafka_topic_partition_list_destroy(one);
}

static void drop_message(void *m)
{
    rd_kafka_message_destroy(m);
}

/* The input consumer, a static member of the group (group.instance.id:
 * the instance id and thread), subscribed to every source topic. */
static bool open_consumer(worker *w)
{
    const sl_driver_options *o = w->o;
    const char *app = w->app;
    /* the same stable name as the transactional id */
    char member[512];
    snprintf(member, sizeof member, "%s-%s-%d", app, o->instance_id ? o->instance_id : "0", o->thread_index);
    rd_kafka_conf_t *cc = sl_kafka_conf_new();
    if (!conf_set(cc, "bootstrap.servers", bootstrap(w->o), w) || !conf_set(cc, "group.id", app, w) ||
        !conf_set(cc, "isolation.level", "read_committed", w) || !conf_set(cc, "enable.auto.commit", "false", w) ||
        !conf_set(cc, "enable.auto.offset.store", "false", w) || !conf_set(cc, "auto.offset.reset", "earliest", w) ||
        /* a partition at its end does not hold back its task's others */
        !conf_set(cc, "enable.partition.eof", "true", w) ||
        /* a caught-up partition is reported by an empty fetch, which the
         * broker holds up to this long (librdkafka's default is 500 ms):
         * a join's side that ends in a commit marker waits that long */
        !conf_set(cc, "fetch.wait.max.ms", "100", w) ||
        /* static membership: a restarted instance takes its partitions back
         * at once, instead of after the group's session timeout */
        !conf_set(cc, "group.instance.id", member, w) ||
        /* a static member that stops for good (scale-down) leaves no
         * LeaveGroup: its partitions wait this long before they move */
        !conf_set(cc, "session.timeout.ms", "10000", w) || !passthrough(cc, SL_KAFKA_CONSUMER, w)) {
        rd_kafka_conf_destroy(cc);
        return false;
    }
    rd_kafka_conf_set_rebalance_cb(cc, rebalance);
    rd_kafka_conf_set_error_cb(cc, on_client_error);
    rd_kafka_conf_set_opaque(cc, w);
    w->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, w->errstr, sizeof w->errstr);
    if (!w->consumer) {
        sl_log_error("consumer", "cannot create: %s", w->errstr);
        return false;
    }
    rd_kafka_poll_set_consumer(w->consumer);
    int64_t max_records = sl_config_int(o->config, "batch.max.records");
    w->pending = sl_pgroup_new((size_t)(max_records > 1000 ? max_records : 1000), flow_control, drop_message, w);

    const sl_topology *t = o->topology;
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(4);
    for (int i = 0; i < sl_topology_topic_count(t); i++)
        if (sl_topology_topic(t, i)->is_source)
            rd_kafka_topic_partition_list_add(subs, sl_topology_topic(t, i)->name, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(w->consumer, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (err) {
        sl_log_error("consumer", "subscribe failed: %s", rd_kafka_err2str(err));
        return false;
    }
    return true;
}

/* librdkafka fences a static member whose session timed out when it
 * rejoins (its heartbeat with the old member id races the new join: a
 * known librdkafka behaviour, e.g. after the brokers were unreachable
 * for longer than session.timeout.ms), and a fenced consumer is dead for
 * good. The same instance is still the rightful owner: the open batch is
 * aborted, the tasks dropped, and a new consumer with the same
 * group.instance.id joins, starting from the committed offsets and
 * restoring the tasks as after any rebalance. */
static bool reopen_consumer(worker *w)
{
    char reason[512] = "";
    rd_kafka_fatal_error(w->consumer, reason, sizeof reason);
    sl_warn("consumer", "the group fenced this consumer (%s); joining again with a new one", reason);
    if (w->txn_open) {
        if (w->o->exactly_once) {
            if (sl_kafka_retry(call_abort, w, "abort_transaction") == SL_KAFKA_FATAL)
                w->fatal = true;
            rd_kafka_poll(w->producer, 0);
        }
        report_undelivered(w, "the batch is redone from the last commit");
        w->stats.aborted_batches++;
        sl_worker_metrics_aborted(w->o->metrics, &w->stats);
        sl_coalescer_clear(w->coalesce);
        rd_kafka_topic_partition_list_destroy(w->offsets);
        w->offsets = rd_kafka_topic_partition_list_new(16);
        w->txn_open = false;
        w->batch_records = 0;
        w->batch_chained = 0;
    }
    drop_tasks(w);
    sl_worker_metrics_revoked(w->o->metrics);
    sl_pgroup_destroy(w->pending); /* its messages belong to the old consumer */
    w->pending = NULL;
    rd_kafka_destroy_flags(w->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    w->consumer = NULL;
    w->consumer_fenced = false;
    return !w->fatal && open_consumer(w);
}

static bool make_clients(worker *w)
{
    const sl_driver_options *o = w->o;
    const char *app = sl_config_string(o->config, "application.id");
    char txid[512], tmo[32];
    /* stable per instance and thread: a restart fences its previous self */
    snprintf(txid, sizeof txid, "%s-%s-%d", app, o->instance_id ? o->instance_id : "0", o->thread_index);
    snprintf(tmo, sizeof tmo, "%lld", (long long)sl_config_int(o->config, "transaction.timeout.ms"));

    rd_kafka_conf_t *pc = sl_kafka_conf_new();
    if (!conf_set(pc, "bootstrap.servers", bootstrap(o), w) || !conf_set(pc, "enable.idempotence", "true", w) ||
        !conf_set(pc, "partitioner", "murmur2_random", w) || !conf_set(pc, "linger.ms", "5", w) ||
        !conf_set(pc, "transaction.timeout.ms", tmo, w) ||
        (o->exactly_once && !conf_set(pc, "transactional.id", txid, w)) || !passthrough(pc, SL_KAFKA_PRODUCER, w)) {
        rd_kafka_conf_destroy(pc);
        return false;
    }
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_conf_set_error_cb(pc, on_client_error);
    rd_kafka_conf_set_opaque(pc, w);
    /* "partitioner" made the default topic configuration; a partitioner
     * function there takes precedence over the named one */
    rd_kafka_topic_conf_t *tc = rd_kafka_conf_get_default_topic_conf(pc);
    if (!tc) {
        tc = rd_kafka_topic_conf_new();
        rd_kafka_conf_set_default_topic_conf(pc, tc);
    }
    rd_kafka_topic_conf_set_partitioner_cb(tc, partition_for_key);
    w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, w->errstr, sizeof w->errstr);
    if (!w->producer) {
        sl_log_error("producer", "cannot create: %s", w->errstr);
        return false;
    }
    if (o->exactly_once) {
        if (sl_kafka_retry(call_init, w, "init_transactions") != SL_KAFKA_OK)
            return false;
        sl_info("producer", "transactional.id %s ready (any previous instance is fenced)", txid);
    }

    if (!open_consumer(w))
        return false;

    rd_kafka_conf_t *rc = sl_kafka_conf_new();
    char restore_group[600];
    snprintf(restore_group, sizeof restore_group, "%s-restore", app);
    if (!conf_set(rc, "bootstrap.servers", bootstrap(o), w) || !conf_set(rc, "group.id", restore_group, w) ||
        !conf_set(rc, "isolation.level", "read_committed", w) || !conf_set(rc, "enable.auto.commit", "false", w) ||
        !conf_set(rc, "enable.partition.eof", "true", w) || !conf_set(rc, "auto.offset.reset", "earliest", w) ||
        /* the end of a changelog is found by a fetch that returns nothing:
         * do not let the broker hold it back */
        !conf_set(rc, "fetch.wait.max.ms", "10", w) ||
        !passthrough(rc, SL_KAFKA_CONSUMER, w)) {
        rd_kafka_conf_destroy(rc);
        return false;
    }
    w->restorer = rd_kafka_new(RD_KAFKA_CONSUMER, rc, w->errstr, sizeof w->errstr);
    if (!w->restorer) {
        sl_log_error("restore", "cannot create the changelog reader: %s", w->errstr);
        return false;
    }
    /* a read_committed client's "end" is the last stable offset: restore
     * asks this one for the high watermark, to wait out a predecessor's
     * transaction whose markers are not written yet */
    rd_kafka_conf_t *hc = sl_kafka_conf_new();
    if (!conf_set(hc, "bootstrap.servers", bootstrap(o), w) || !conf_set(hc, "group.id", restore_group, w) ||
        !conf_set(hc, "isolation.level", "read_uncommitted", w) || !passthrough(hc, SL_KAFKA_CONSUMER, w)) {
        rd_kafka_conf_destroy(hc);
        return false;
    }
    w->hw_reader = rd_kafka_new(RD_KAFKA_CONSUMER, hc, w->errstr, sizeof w->errstr);
    if (!w->hw_reader) {
        sl_log_error("restore", "cannot create the watermark reader: %s", w->errstr);
        return false;
    }
    return true;
}

/* ---------- the loop ---------- */

/* a fetched record joins its partition's queue; the end of a partition is
 * noted there */
static void intake(worker *w, rd_kafka_message_t *m)
{
    if (!m)
        return;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        sl_worker_metrics_brokers(w->o->metrics, true); /* a fetch answered */
        if (m->rkt) {
            sl_pgroup_at_end(w->pending, rd_kafka_topic_name(m->rkt), m->partition);
            sl_worker_metrics_partition_end(w->o->metrics, w->consumer, rd_kafka_topic_name(m->rkt), m->partition,
                                            m->offset);
        }
    } else if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__FATAL)
            w->consumer_fenced = true;
        else
            sl_log_throttled("consumer-error", SL_LOG_WARN, "consumer", "%s", rd_kafka_message_errstr(m));
    } else {
        sl_worker_metrics_brokers(w->o->metrics, true);
        const char *topic = rd_kafka_topic_name(m->rkt);
        int32_t partition = m->partition;
        int64_t next = m->offset + 1, low, high;
        sl_pgroup_push_result r = sl_pgroup_push(w->pending, topic, partition, rd_kafka_message_timestamp(m, NULL), m);
        if (r != SL_PGROUP_REFUSED)
            sl_worker_metrics_fetched(w->o->metrics, topic, partition, next - 1);
        if (r == SL_PGROUP_REFUSED)
            rd_kafka_message_destroy(m);
        /* the end, as the last fetch response told it: a join's other side
         * need not wait for an empty fetch (held by the broker up to
         * fetch.wait.max.ms) to learn that this side is caught up */
        else if (r == SL_PGROUP_ORDERED && !rd_kafka_get_watermark_offsets(w->consumer, topic, partition, &low, &high) &&
                 next >= high)
            sl_pgroup_at_end(w->pending, topic, partition);
        return;
    }
    rd_kafka_message_destroy(m);
}

int sl_kafka_run(const sl_driver_options *o)
{
    worker w = {.o = o, .app = sl_config_string(o->config, "application.id"), .coalesce = sl_coalescer_new()};
    w.arena = sl_arena_new(1 << 20);
    w.offsets = rd_kafka_topic_partition_list_new(16);
    int rc = 0;
    if (!make_clients(&w)) {
        rc = 1;
        goto out;
    }
    int64_t max_records = sl_config_int(o->config, "batch.max.records");
    int64_t interval = sl_config_int(o->config, "commit.interval.ms");
    if (max_records < 1)
        max_records = 1;
    sl_collector c = {.send = on_send,
                      .processing_error = on_processing_error,
                      .ctx = &w,
                      .fatal_error = on_fatal_error,
                      .query_begin = on_query_begin};
    sl_info("worker", "running (%s, batches of at most %lld records or %lld ms)",
            o->exactly_once ? "exactly_once_v2" : "at_least_once", (long long)max_records, (long long)interval);
    while (!*o->stop && !w.fatal) {
        if (o->hangup && *o->hangup && o->thread_index == 0) {
            *o->hangup = 0;
            sl_info("worker", "SIGHUP: the queries file is not reloaded (live updates are not supported yet); "
                              "running on unchanged");
        }
        int64_t deadline = now_ms() + interval, left = interval;
        /* records buffered by the last batch may be ready: look before waiting */
        bool nothing_ready = false;
        for (int64_t n = 0; !*o->stop && !w.fatal && w.batch_records < max_records; n++) {
            /* the clock is read every 16 records while records flow: a
             * record takes a few microseconds, the deadline is in ms */
            if (nothing_ready || !(n & 15)) {
                left = deadline - now_ms();
                if (left <= 0)
                    break;
            }
            /* fetch first (a rebalance callback runs in here, and drops what
             * is buffered for revoked partitions); wait only when no
             * buffered record can go */
            int wait = nothing_ready ? (int)(left > 100 ? 100 : left) : 0;
            intake(&w, rd_kafka_consumer_poll(w.consumer, wait));
            if (w.consumer_fenced) {
                if (!reopen_consumer(&w))
                    w.fatal = true;
                break;
            }
            rd_kafka_message_t *m = sl_pgroup_next(w.pending);
            nothing_ready = !m;
            if (!m)
                continue;
            begin_batch(&w);
            if (w.fatal) {
                rd_kafka_message_destroy(m);
                break;
            }
            const char *topic = rd_kafka_topic_name(m->rkt);
            /* every header, however many: the record's arena holds them */
            sl_header *hs = NULL;
            size_t nh = 0;
            rd_kafka_headers_t *hdrs = NULL;
            if (!rd_kafka_message_headers(m, &hdrs)) {
                size_t count = rd_kafka_header_cnt(hdrs);
                hs = sl_arena_alloc(w.arena, (count ? count : 1) * sizeof *hs);
                const char *hn;
                const void *hv;
                size_t hl;
                for (size_t i = 0; nh < count && !rd_kafka_header_get_all(hdrs, i, &hn, &hv, &hl); i++) {
                    hs[nh].key = hn;
                    hs[nh].value = hv;
                    hs[nh].value_len = hl;
                    nh++;
                }
            }
            sl_record rec = {.topic = topic, .partition = m->partition, .offset = m->offset,
                             .timestamp = rd_kafka_message_timestamp(m, NULL),
                             .key = m->key, .key_len = m->key_len, .value = m->payload, .value_len = m->len,
                             .headers = hs, .nheaders = nh};
            sl_error err;
            sl_error_init(&err);
            sl_task *task = task_for(&w, m->partition);
            if (!task) {
                rd_kafka_message_destroy(m);
                break;
            }
            sl_err_t prc = sl_topology_is_repartition_topic(o->topology, topic)
                               ? sl_task_process_repartitioned(task, &rec, w.arena, &c, &err)
                               : sl_task_process(task, &rec, w.arena, &c, &err);
            if (prc)
                sl_warn("worker", "%s/%d/%lld: %s", topic, m->partition, (long long)m->offset, err.msg);
            rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(w.offsets, topic, m->partition);
            if (!tp)
                tp = rd_kafka_topic_partition_list_add(w.offsets, topic, m->partition);
            tp->offset = m->offset + 1;
            w.batch_records++;
            w.stats.records_in++;
            sl_worker_metrics_record(o->metrics, topic, m->partition, m->offset, rec.timestamp);
            rd_kafka_message_destroy(m);
            /* a record's temporaries die with it: nothing the operators keep
             * points into the arena (state is copied into stores, outputs
             * into the producer or the coalescer), and a batch of 10,000
             * decoded records would otherwise sit in memory until commit */
            sl_arena_reset(w.arena);
        }
        if (!w.fatal) /* a fatal batch is aborted below, never committed */
            commit_batch(&w);
        rd_kafka_poll(w.producer, 0);
    }
    if (w.fatal) {
        sl_log_error("worker", "stopping after a fatal error (fenced by a newer instance, unrecoverable, or a "
                               "record error the configuration makes fatal)");
        if (w.txn_open && w.producer) {
            rd_kafka_error_t *e = rd_kafka_abort_transaction(w.producer, -1);
            if (e)
                rd_kafka_error_destroy(e);
            w.txn_open = false;
        }
        rc = 1;
    } else {
        commit_batch(&w);
        if (!w.txn_open && !w.fatal)
            snapshot_tasks(&w);
        uint64_t late = 0;
        for (int i = 0; i < w.ntasks; i++)
            if (w.tasks[i]) {
                sl_store_stats st;
                sl_task_store_stats(w.tasks[i], &st);
                late += st.late_dropped;
            }
        sl_info("worker", "stopping: %lld record(s) in, %lld out, %lld batch(es), %lld failed record(s), "
                "%llu late record-window(s) dropped, %llu pause(s) of a partition that ran ahead of its join",
                (long long)w.stats.records_in, (long long)w.stats.records_out, (long long)w.stats.batches,
                (long long)w.stats.failed_records, (unsigned long long)late,
                (unsigned long long)sl_pgroup_pauses(w.pending));
    }
out:
    if (rc)
        sl_worker_metrics_fatal(o->metrics);
    /* closing the consumer runs the revocation callback, which may still
     * commit and snapshot: the other clients go after it */
    if (w.consumer) {
        rd_kafka_consumer_close(w.consumer);
        sl_pgroup_destroy(w.pending); /* its messages belong to the consumer */
        w.pending = NULL;
        rd_kafka_destroy(w.consumer);
    }
    if (w.restorer) {
        rd_kafka_consumer_close(w.restorer);
        rd_kafka_destroy(w.restorer);
    }
    if (w.hw_reader)
        rd_kafka_destroy(w.hw_reader);
    if (w.producer) {
        if (!w.fatal)
            rd_kafka_flush(w.producer, 10000);
        rd_kafka_destroy(w.producer);
    }
    drop_tasks(&w);
    free(w.tasks);
    sl_coalescer_destroy(w.coalesce);
    rd_kafka_topic_partition_list_destroy(w.offsets);
    sl_arena_destroy(w.arena);
    if (o->stats)
        *o->stats = w.stats;
    return rc;
}
