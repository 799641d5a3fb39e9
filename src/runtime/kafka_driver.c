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

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/arena.h"
#include "common/log.h"
#include "common/redact.h"
#include "runtime/batch.h"
#include "runtime/changelog.h"
#include "runtime/kafka_commit.h"
#include "runtime/kafka_errors.h"
#include "runtime/kafka_startup.h"
#include "runtime/memory_budget.h"
#include "runtime/metrics.h"
#include "runtime/partition_group.h"

typedef sl_kafka_worker worker;

#define ARENA_BLOCK (1 << 20) /* the batch arena's block size */


static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool fatal(const worker *w)
{
    return sl_batch_state(w->batch) == SL_TXN_FATAL;
}

/* a new task: its state as of the last commit, before any input (restore
 * turns the stores' change tracking on) */
static bool task_started(void *ctx, sl_task *t)
{
    worker *w = ctx;
    sl_worker_metrics_restore_begin(w->o->metrics);
    int64_t restored = sl_changelog_restore(w->restorer, w->hw_reader, w->app, w->o->snapshot_dir, t);
    sl_worker_metrics_restore_end(w->o->metrics, restored);
    if (restored < 0) {
        sl_log_error("restore", "cannot restore the state of partition %d", sl_task_partition(t));
        return false;
    }
    return true;
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

/* ---------- the transactional calls the driver makes itself ---------- */

static rd_kafka_error_t *call_init(void *ctx)
{
    return rd_kafka_init_transactions(((worker *)ctx)->producer, 60000);
}

static void commit_batch(worker *w)
{
    /* the arena keeps its largest block between batches: at least that */
    size_t arena = sl_arena_used(sl_batch_arena(w->batch));
    sl_worker_metrics_batch_arena(w->o->metrics, (int64_t)(arena > ARENA_BLOCK ? arena : ARENA_BLOCK));
    sl_batch_commit(w->batch);
}

static bool txn_open(const worker *w)
{
    return sl_batch_state(w->batch) == SL_TXN_OPEN;
}

/* ---------- rebalancing ---------- */

/* after a commit: the tasks' state as of their changelogs' ends */
static void snapshot_tasks(worker *w)
{
    if (!w->o->snapshot_dir)
        return;
    int n = 0, ntasks;
    sl_task *const *tasks = sl_batch_tasks(w->batch, &ntasks);
    for (int i = 0; i < ntasks; i++)
        if (tasks[i])
            /* the producer reads the high watermark; the restorer, read_committed,
             * would get the last stable offset, short of the commit just made */
            n += sl_changelog_snapshot(w->producer, w->app, w->o->snapshot_dir, tasks[i]);
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
        for (int i = 0; i < parts->cnt && !fatal(w); i++)
            sl_batch_task(w->batch, parts->elems[i].partition);
        sl_worker_metrics_restored(w->o->metrics);
        return;
    }
    sl_info("consumer", "revoked: %s", list);
    bool lost = rd_kafka_assignment_lost(rk);
    if (txn_open(w)) {
        if (lost)
            sl_batch_abort(w->batch); /* another instance owns these partitions now */
        else
            commit_batch(w);
    }
    if (!lost && sl_batch_state(w->batch) == SL_TXN_CLOSED)
        snapshot_tasks(w); /* the partitions may come back to this instance */
    sl_batch_drop_tasks(w->batch);
    sl_pgroup_clear(w->pending); /* fetched records the next owner reads again */
    rd_kafka_assign(rk, NULL);
    sl_worker_metrics_revoked(w->o->metrics);
}

/* ---------- clients ---------- */

static bool conf_set(rd_kafka_conf_t *conf, const char *k, const char *v, worker *w)
{
    if (rd_kafka_conf_set(conf, k, v, w->errstr, sizeof w->errstr) != RD_KAFKA_CONF_OK) {
        if (sl_secret_key(k))
            sl_scrub(w->errstr, sizeof w->errstr, v);
        sl_log_error("kafka", "configuration %s=%s: %s", k, sl_redacted(k, v), w->errstr);
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

/* the memory budget's settings for one kind of client, before the user's
 * kafka.* ones (which win) */
static bool budget(rd_kafka_conf_t *conf, sl_budget_client client, worker *w)
{
    sl_memory_budget b;
    sl_memory_budget_of(w->o->config, &b);
    const char *k;
    char v[32];
    for (int i = 0; sl_memory_budget_setting(&b, client, i, &k, v, sizeof v); i++)
        if (!conf_set(conf, k, v, w))
            return false;
    return true;
}

/* librdkafka's statistics, once a second: what the consumer's and the
 * producer's queues hold, for the memory line of /status */
static int on_consumer_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    (void)len;
    worker *w = opaque;
    sl_worker_metrics_clients_in_use(w->o->metrics, sl_memory_stats_fetch_bytes(json), -1);
    return 0; /* librdkafka frees json */
}

static int on_producer_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    (void)len;
    worker *w = opaque;
    sl_worker_metrics_clients_in_use(w->o->metrics, -1, sl_memory_stats_producer_bytes(json));
    return 0;
}

/* a client's effective limit (the budget's, or the user's kafka.* value) in bytes */
static int64_t limit_bytes(rd_kafka_t *rk, const char *kbytes_property)
{
    char v[64];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), kbytes_property, v, &n) != RD_KAFKA_CONF_OK)
        return 0;
    return strtoll(v, NULL, 10) * 1024;
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
        !conf_set(cc, "session.timeout.ms", "10000", w) ||
        /* prefetch sized from the batch, not librdkafka's 64 MB */
        !budget(cc, SL_BUDGET_CONSUMER, w) || !conf_set(cc, "statistics.interval.ms", "1000", w) ||
        !passthrough(cc, SL_KAFKA_CONSUMER, w)) {
        rd_kafka_conf_destroy(cc);
        return false;
    }
    rd_kafka_conf_set_rebalance_cb(cc, rebalance);
    rd_kafka_conf_set_stats_cb(cc, on_consumer_stats);
    rd_kafka_conf_set_error_cb(cc, on_client_error);
    rd_kafka_conf_set_opaque(cc, w);
    w->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, w->errstr, sizeof w->errstr);
    if (!w->consumer) {
        sl_log_error("consumer", "cannot create: %s", w->errstr);
        return false;
    }
    rd_kafka_poll_set_consumer(w->consumer);
    w->consumer_queue = rd_kafka_queue_get_consumer(w->consumer);
    char v[32];
    size_t vn = sizeof v;
    w->prefetch_low = rd_kafka_conf_get(rd_kafka_conf(w->consumer), "queued.min.messages", v, &vn) == RD_KAFKA_CONF_OK
                          ? (size_t)strtoll(v, NULL, 10) / 2
                          : 0;
    w->wake_armed = false;
    sl_worker_metrics_memory_budget(o->metrics, limit_bytes(w->consumer, "queued.max.messages.kbytes"),
                                    w->producer ? limit_bytes(w->producer, "queue.buffering.max.kbytes") : 0);
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
    /* the open batch is aborted without a rewind: the new consumer starts
     * from the committed offsets */
    w->reopening = true;
    sl_batch_abort(w->batch);
    w->reopening = false;
    sl_batch_drop_tasks(w->batch);
    sl_worker_metrics_revoked(w->o->metrics);
    sl_pgroup_destroy(w->pending); /* its messages belong to the old consumer */
    w->pending = NULL;
    rd_kafka_queue_destroy(w->consumer_queue);
    w->consumer_queue = NULL;
    if (w->waker_running) /* the waker may be asking the old consumer */
        pthread_mutex_lock(&w->wake_mu);
    rd_kafka_destroy_flags(w->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    w->consumer = NULL;
    w->consumer_fenced = false;
    bool opened = !fatal(w) && open_consumer(w);
    if (w->waker_running)
        pthread_mutex_unlock(&w->wake_mu);
    return opened;
}

/* The transactional producer could not start: when Kafka's ACLs are the
 * reason, say so in Sluice's words, with what to grant, rather than leave
 * it to librdkafka's lines; the process then exits SL_EXIT_KAFKA_SECURITY. */
static void refused_at_start(worker *w, const char *txid)
{
    char why[512];
    rd_kafka_resp_err_t err = rd_kafka_fatal_error(w->producer, why, sizeof why);
    if (err == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED) {
        sl_log_error("kafka", "Kafka's ACLs refuse the transactional id %s: grant WRITE and DESCRIBE on transactional "
                              "ids prefixed '%s-' to Sluice's user (see the README's Kafka ACLs)",
                     txid, w->app);
        w->refused = true;
    } else if (err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
        sl_log_error("kafka", "Kafka's ACLs refuse the idempotent producer of %s: grant IDEMPOTENT_WRITE on the "
                              "cluster to Sluice's user (brokers before 3.0 need it)",
                     txid);
        w->refused = true;
    }
}

static bool make_producer(worker *w)
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
        !conf_set(pc, "transaction.timeout.ms", tmo, w) || !budget(pc, SL_BUDGET_PRODUCER, w) ||
        !conf_set(pc, "statistics.interval.ms", "1000", w) ||
        (o->exactly_once && !conf_set(pc, "transactional.id", txid, w)) || !passthrough(pc, SL_KAFKA_PRODUCER, w)) {
        rd_kafka_conf_destroy(pc);
        return false;
    }
    rd_kafka_conf_set_dr_msg_cb(pc, sl_kafka_on_delivery);
    rd_kafka_conf_set_stats_cb(pc, on_producer_stats);
    rd_kafka_conf_set_error_cb(pc, on_client_error);
    rd_kafka_conf_set_opaque(pc, w);
    /* "partitioner" made the default topic configuration; a partitioner
     * function there takes precedence over the named one */
    rd_kafka_topic_conf_t *tc = rd_kafka_conf_get_default_topic_conf(pc);
    if (!tc) {
        tc = rd_kafka_topic_conf_new();
        rd_kafka_conf_set_default_topic_conf(pc, tc);
    }
    rd_kafka_topic_conf_set_partitioner_cb(tc, sl_kafka_partition_for_key);
    w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, w->errstr, sizeof w->errstr);
    if (!w->producer) {
        sl_log_error("producer", "cannot create: %s", w->errstr);
        return false;
    }
    if (o->exactly_once) {
        if (sl_kafka_retry(call_init, w, "init_transactions") != SL_KAFKA_OK) {
            refused_at_start(w, txid);
            return false;
        }
        sl_info("producer", "transactional.id %s ready (any previous instance is fenced)", txid);
    }
    return true;
}

/* A producer error that is fatal but not a fencing (librdkafka 2.0.2 makes
 * an abort after delivery timeouts fail with INVALID_TXN_STATE when a first
 * transaction over hundreds of new partitions outlives
 * transaction.timeout.ms) leaves the process healthy: a new producer with
 * the same transactional.id bumps the epoch, which aborts whatever the old
 * one left open, and the batch is redone from the last commit. Fencing by
 * a newer instance stays fatal. */
bool sl_kafka_replace_producer(worker *w)
{
    char reason[512] = "";
    rd_kafka_resp_err_t code = rd_kafka_fatal_error(w->producer, reason, sizeof reason);
    if (code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED || code == RD_KAFKA_RESP_ERR__FENCED ||
        code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH || code == RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED)
        return false;
    if (++w->producers_replaced > SL_KAFKA_MAX_PRODUCER_REPLACEMENTS) {
        sl_log_error("producer", "fatal producer error (%s); the producer was replaced %d times without a commit: "
                                 "stopping", reason, SL_KAFKA_MAX_PRODUCER_REPLACEMENTS);
        return false;
    }
    sl_warn("producer", "fatal producer error (%s), not a fencing: replacing the producer (%d of at most %d in a row); "
                        "the batch is redone from the last commit", reason, w->producers_replaced,
            SL_KAFKA_MAX_PRODUCER_REPLACEMENTS);
    rd_kafka_purge(w->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(w->producer, 0);
    rd_kafka_destroy(w->producer);
    w->producer = NULL;
    sl_worker_metrics_producer_replaced(w->o->metrics);
    return make_producer(w);
}

static bool make_clients(worker *w)
{
    const sl_driver_options *o = w->o;
    const char *app = sl_config_string(o->config, "application.id");
    if (!make_producer(w))
        return false;
    if (!open_consumer(w))
        return false;

    rd_kafka_conf_t *rc = sl_kafka_conf_new();
    char restore_group[600];
    snprintf(restore_group, sizeof restore_group, "%s-restore", app);
    bool restorer_set = conf_set(rc, "bootstrap.servers", bootstrap(o), w) && conf_set(rc, "group.id", restore_group, w);
    for (const char *const *kv = sl_changelog_restorer_settings; restorer_set && kv[0]; kv += 2)
        restorer_set = conf_set(rc, kv[0], kv[1], w);
    if (!restorer_set || !passthrough(rc, SL_KAFKA_CONSUMER, w)) {
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

/* The memory budget keeps the consumer's prefetch to a batch or two, and
 * librdkafka 2.0.2's fetcher stops fetching once the consumer queue holds
 * that much; it looks again only when its broker thread wakes, for a
 * request of its own or about once a second (later versions have
 * fetch.queue.backoff.ms for this). The worker drains a batch's worth in a
 * fraction of that and would wait out the rest: a third of the records per
 * second, measured on Nexmark q0. So a request to the leader of the
 * partitions that have records beyond the worker's position wakes that
 * thread, which then looks at the queue again and fetches. The request is
 * a watermark query: it changes nothing in the fetch state (a pause and
 * resume, or a seek, would drop what is on its way). At most MAX_WAKES
 * partitions are asked (the leaders are not known here: with several
 * brokers, the partitions asked rotate). */
#define MAX_WAKES 4
static void wake_fetcher(worker *w)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(w->consumer, &parts) || !parts)
        return;
    if (parts->cnt && !rd_kafka_position(w->consumer, parts)) {
        int woken = 0;
        for (int k = 0; k < parts->cnt && woken < MAX_WAKES; k++) {
            rd_kafka_topic_partition_t *p = &parts->elems[(w->wake_next + k) % parts->cnt];
            int64_t low, high;
            if (rd_kafka_get_watermark_offsets(w->consumer, p->topic, p->partition, &low, &high) || high <= 0 ||
                (p->offset >= 0 && p->offset >= high))
                continue;
            /* the answer is not needed: asking is what wakes the fetcher */
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            rd_kafka_query_watermark_offsets(w->consumer, p->topic, p->partition, &low, &high, 1000);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            w->wakes++;
            w->wake_us += (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
            woken++;
        }
        w->wake_next = (w->wake_next + woken) % parts->cnt;
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* The query waits for the broker's answer (a millisecond on an idle
 * machine, 17 ms on average on a loaded one: a second of a 6-second
 * Nexmark join run when the worker sent it itself), so a thread of the
 * worker's own sends it while the worker goes on with what is fetched. */
static void *waker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->wake_mu);
    for (;;) {
        while (!w->wake_pending && !w->wake_stop)
            pthread_cond_wait(&w->wake_cv, &w->wake_mu);
        if (w->wake_stop)
            break;
        w->wake_pending = false;
        if (w->consumer) /* held under wake_mu: not replaced meanwhile */
            wake_fetcher(w);
    }
    pthread_mutex_unlock(&w->wake_mu);
    return NULL;
}

static void start_waker(worker *w)
{
    pthread_mutex_init(&w->wake_mu, NULL);
    pthread_cond_init(&w->wake_cv, NULL);
    w->waker_running = !pthread_create(&w->waker, NULL, waker_main, w);
}

static void stop_waker(worker *w)
{
    if (!w->waker_running)
        return;
    pthread_mutex_lock(&w->wake_mu);
    w->wake_stop = true;
    pthread_cond_signal(&w->wake_cv);
    pthread_mutex_unlock(&w->wake_mu);
    pthread_join(w->waker, NULL);
    w->waker_running = false;
    pthread_mutex_destroy(&w->wake_mu);
    pthread_cond_destroy(&w->wake_cv);
}

/* When to wake it: once the queue has fallen below half its limit, so that
 * the next fetch overlaps with processing the other half instead of the
 * worker running dry first. Once per refill: the queue must have held
 * that much again before the next wake, so a worker at the end of its
 * input, or waiting on a partition the group paused, asks nothing. A wake
 * already being sent is enough: the worker never waits for the waker. */
static void maybe_wake_fetcher(worker *w)
{
    if (!w->consumer_queue || !w->waker_running)
        return;
    if (rd_kafka_queue_length(w->consumer_queue) >= w->prefetch_low) {
        w->wake_armed = true;
    } else if (w->wake_armed) {
        w->wake_armed = false;
        if (!pthread_mutex_trylock(&w->wake_mu)) {
            w->wake_pending = true;
            pthread_cond_signal(&w->wake_cv);
            pthread_mutex_unlock(&w->wake_mu);
        }
    }
}

int sl_kafka_run(const sl_driver_options *o)
{
    worker w = {.o = o, .app = sl_config_string(o->config, "application.id")};
    sl_batch_driver bd = {.ctx = &w,
                          .task_started = task_started,
                          .begin = sl_kafka_txn_begin,
                          .produce = sl_kafka_produce,
                          .changelog = sl_kafka_to_changelog,
                          .commit = sl_kafka_txn_commit,
                          .abort = sl_kafka_txn_abort,
                          .processing_error = sl_kafka_on_processing_error,
                          .fatal_error = sl_kafka_on_fatal_error,
                          .record_failed = sl_kafka_on_record_failed};
    sl_batch_options bo = {.repartition = true, .coalesce_tables = !o->no_record_cache, .arena_size = ARENA_BLOCK};
    w.batch = sl_batch_new(o->topology, &bo, &bd);
    w.offsets = rd_kafka_topic_partition_list_new(16);
    int rc = 0;
    if (!make_clients(&w)) {
        rc = w.refused ? SL_EXIT_KAFKA_SECURITY : 1;
        goto out;
    }
    int64_t max_records = sl_config_int(o->config, "batch.max.records");
    int64_t interval = sl_config_int(o->config, "commit.interval.ms");
    if (max_records < 1)
        max_records = 1;
    start_waker(&w);
    sl_info("worker", "running (%s, batches of at most %lld records or %lld ms)",
            o->exactly_once ? "exactly_once_v2" : "at_least_once", (long long)max_records, (long long)interval);
    while (!*o->stop && !fatal(&w)) {
        if (o->hangup && *o->hangup && o->thread_index == 0) {
            *o->hangup = 0;
            sl_info("worker", "SIGHUP: the queries file is not reloaded (live updates are not supported yet); "
                              "running on unchanged");
        }
        int64_t deadline = now_ms() + interval, left = interval;
        /* records buffered by the last batch may be ready: look before waiting */
        bool nothing_ready = false;
        for (int64_t n = 0; !*o->stop && !fatal(&w) && w.batch_records < max_records; n++) {
            /* the clock is read every 16 records while records flow: a
             * record takes a few microseconds, the deadline is in ms */
            if (nothing_ready || !(n & 15)) {
                left = deadline - now_ms();
                if (left <= 0)
                    break;
                maybe_wake_fetcher(&w); /* before the prefetch runs out */
            }
            /* fetch first (a rebalance callback runs in here, and drops what
             * is buffered for revoked partitions); wait only when no
             * buffered record can go */
            int wait = nothing_ready ? (int)(left > 100 ? 100 : left) : 0;
            intake(&w, rd_kafka_consumer_poll(w.consumer, wait));
            if (w.consumer_fenced) {
                if (!reopen_consumer(&w))
                    sl_batch_fail(w.batch);
                break;
            }
            rd_kafka_message_t *m = sl_pgroup_next(w.pending);
            nothing_ready = !m;
            if (!m)
                continue;
            const char *topic = rd_kafka_topic_name(m->rkt);
            /* every header, however many: the record's arena holds them */
            sl_header *hs = NULL;
            size_t nh = 0;
            rd_kafka_headers_t *hdrs = NULL;
            if (!rd_kafka_message_headers(m, &hdrs)) {
                size_t count = rd_kafka_header_cnt(hdrs);
                hs = sl_arena_alloc(sl_batch_arena(w.batch), (count ? count : 1) * sizeof *hs);
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
            /* opens the batch's transaction at its first record */
            if (!sl_batch_process(w.batch, &rec)) {
                rd_kafka_message_destroy(m);
                break;
            }
            rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(w.offsets, topic, m->partition);
            if (!tp)
                tp = rd_kafka_topic_partition_list_add(w.offsets, topic, m->partition);
            tp->offset = m->offset + 1;
            w.batch_records++;
            w.stats.records_in++;
            sl_worker_metrics_record(o->metrics, topic, m->partition, m->offset, rec.timestamp);
            rd_kafka_message_destroy(m);
        }
        if (!fatal(&w)) /* a fatal batch is aborted below, never committed */
            commit_batch(&w);
        rd_kafka_poll(w.producer, 0);
    }
    if (fatal(&w)) {
        sl_log_error("worker", "stopping after a fatal error (fenced by a newer instance, unrecoverable, or a "
                               "record error the configuration makes fatal)");
        if (sl_batch_txn_open(w.batch) && w.producer) {
            rd_kafka_error_t *e = rd_kafka_abort_transaction(w.producer, -1);
            if (e)
                rd_kafka_error_destroy(e);
        }
        rc = 1;
    } else {
        commit_batch(&w);
        if (sl_batch_state(w.batch) == SL_TXN_CLOSED)
            snapshot_tasks(&w);
        uint64_t late = 0;
        int ntasks;
        sl_task *const *tasks = sl_batch_tasks(w.batch, &ntasks);
        for (int i = 0; i < ntasks; i++)
            if (tasks[i]) {
                sl_store_stats st;
                sl_task_store_stats(tasks[i], &st);
                late += st.late_dropped;
            }
        int64_t wakes = 0, wake_us = 0;
        if (w.waker_running) { /* the waker's counts */
            pthread_mutex_lock(&w.wake_mu);
            wakes = w.wakes;
            wake_us = w.wake_us;
            pthread_mutex_unlock(&w.wake_mu);
        }
        sl_info("worker", "stopping: %lld record(s) in, %lld out, %lld batch(es), %lld failed record(s), "
                "%llu late record-window(s) dropped, %llu pause(s) of a partition that ran ahead of its join, "
                "%lld wake(s) of the fetcher at its prefetch limit (%.1f ms of queries)",
                (long long)w.stats.records_in, (long long)w.stats.records_out, (long long)w.stats.batches,
                (long long)w.stats.failed_records, (unsigned long long)late,
                (unsigned long long)sl_pgroup_pauses(w.pending), (long long)wakes, (double)wake_us / 1000.0);
    }
out:
    stop_waker(&w);
    if (rc)
        sl_worker_metrics_fatal(o->metrics);
    /* closing the consumer runs the revocation callback, which may still
     * commit and snapshot: the other clients go after it */
    if (w.consumer_queue)
        rd_kafka_queue_destroy(w.consumer_queue);
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
        if (!fatal(&w))
            rd_kafka_flush(w.producer, 10000);
        rd_kafka_destroy(w.producer);
    }
    sl_batch_destroy(w.batch);
    rd_kafka_topic_partition_list_destroy(w.offsets);
    if (o->stats)
        *o->stats = w.stats;
    return rc;
}
