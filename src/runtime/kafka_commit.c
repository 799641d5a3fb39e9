/* The commit side of the Kafka driver (see kafka_commit.h): what the
 * micro-batch hands to Kafka. Outputs go to the transactional producer,
 * partitioned as Kafka Streams partitions; processing errors to the
 * processing log topic in the same transaction; changelog records to
 * their stores' changelog partitions; and the transaction itself is
 * begun, committed (with the input offsets) or aborted (rewinding the
 * input to the committed offsets), each call retried by sl_kafka_retry. */
#include "runtime/kafka_commit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "runtime/changelog.h"
#include "runtime/kafka_errors.h"
#include "runtime/metrics.h"
#include "runtime/processing_log.h"
#include "runtime/topics.h"

typedef sl_kafka_worker worker;

/* ---------- collector ---------- */

/* The producer's partitioner, as Kafka Streams' sink partitions: the
 * murmur2 of the key, positive, modulo the partition count (the Java
 * producer's default), but for a windowed key the murmur2 of its inner key
 * only (WindowedStreamPartitioner). The message's opaque carries how many
 * leading key bytes choose the partition, plus one (NULL: the whole key).
 * A null key goes to a random partition. */
int32_t sl_kafka_partition_for_key(const rd_kafka_topic_t *rkt, const void *key, size_t keylen, int32_t partitions,
                                 void *rkt_opaque, void *msg_opaque)
{
    if (!key)
        return rd_kafka_msg_partitioner_random(rkt, key, keylen, partitions, rkt_opaque, msg_opaque);
    size_t prefix = (size_t)(uintptr_t)msg_opaque;
    if (prefix && prefix - 1 <= keylen)
        keylen = prefix - 1;
    return sl_kafka_partition(key, keylen, partitions);
}

void sl_kafka_produce(void *ctx, const sl_record *r)
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
            if (w->o->progress && sl_topology_reads_topic(w->o->topology, r->topic))
                w->batch_chained++;
        }
        return;
    }
}

/* A record that failed to decode or evaluate: logged, and written to the
 * processing log topic in the batch's transaction, so that it appears there
 * exactly once whatever happens to the batch. Processing goes on. */
void sl_kafka_on_processing_error(void *ctx, const char *query, const sl_record *src, const char *msg)
{
    worker *w = ctx;
    w->stats.failed_records++;
    sl_worker_metrics_processing_error(w->o->metrics, src->topic, src->partition, src->offset, msg);
    sl_log_throttled("processing", SL_LOG_WARN, "processing", "%s: %s/%d/%lld: %s",
                     query ? query : "-", src->topic, src->partition, (long long)src->offset,
                     msg);
    char topic[600];
    sl_processing_log_topic(w->o->config, topic, sizeof topic);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sl_processing_log_entry(&sb, query, src, msg,
                            (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    sl_record rec = {.topic = topic, .partition = -1, .timestamp = src->timestamp, .value = sb.data,
                     .value_len = sb.len};
    sl_kafka_produce(w, &rec);
    w->stats.records_out--; /* not an output of the queries */
    sl_strbuf_free(&sb);
}

/* the configuration made this record's error fatal: the batch is not
 * committed (its transaction is aborted on the way out) and the process
 * stops */
void sl_kafka_on_fatal_error(void *ctx, const sl_record *src, const char *msg)
{
    (void)ctx;
    sl_log_error("processing", "%s/%d/%lld: %s", src->topic, src->partition, (long long)src->offset, msg);
}

/* a failure of the task itself: logged, the batch goes on */
void sl_kafka_on_record_failed(void *ctx, const sl_record *src, const sl_error *err)
{
    (void)ctx;
    sl_warn("worker", "%s/%d/%lld: %s", src->topic, src->partition, (long long)src->offset, err->msg);
}

void sl_kafka_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    worker *w = opaque;
    if (!m->err || !w)
        return;
    if (!w->undelivered++)
        w->undelivered_err = m->err;
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

typedef struct offsets_call {
    worker *w;
    rd_kafka_consumer_group_metadata_t *group;
} offsets_call;

static rd_kafka_error_t *call_send_offsets(void *ctx)
{
    offsets_call *c = ctx;
    return rd_kafka_send_offsets_to_transaction(c->w->producer, c->w->offsets, c->group, -1);
}

/* ---------- the batch's transaction, as the batch's state machine calls it ---------- */

static sl_txn_step step_of(sl_kafka_action a)
{
    return a == SL_KAFKA_OK ? SL_STEP_OK : a == SL_KAFKA_ABORT ? SL_STEP_ABORT : SL_STEP_FATAL;
}

static void forget_batch(worker *w)
{
    rd_kafka_topic_partition_list_destroy(w->offsets);
    w->offsets = rd_kafka_topic_partition_list_new(16);
    w->batch_records = 0;
    w->batch_chained = 0;
}

/* A transactional call failed fatally: unless the producer was fenced, a
 * new one takes its place (sl_kafka_replace_producer), and what the old
 * one had open is aborted by the new one's epoch. */
static bool replaced_after_fatal(worker *w)
{
    if (!sl_kafka_replace_producer(w))
        return false;
    w->txn_gone = true; /* nothing left to abort */
    return true;
}

/* Tests only: SLUICE_TEST_PRODUCER_FATAL_AT=N makes the producer fail
 * fatally (INVALID_TXN_STATE, as librdkafka does after delivery timeouts)
 * before the Nth commit, once per process. */
static void maybe_inject_fatal(worker *w)
{
    static int64_t commits;
    static const char *at;
    if (!at)
        at = getenv("SLUICE_TEST_PRODUCER_FATAL_AT") ? getenv("SLUICE_TEST_PRODUCER_FATAL_AT") : "";
    if (*at && ++commits == atoll(at))
        rd_kafka_test_fatal_error(w->producer, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, "injected by a test");
}

sl_txn_step sl_kafka_txn_begin(void *ctx)
{
    worker *w = ctx;
    sl_txn_step s = SL_STEP_OK;
    w->txn_gone = false;
    if (w->o->exactly_once && sl_kafka_retry(call_begin, w, "begin_transaction") != SL_KAFKA_OK &&
        !(replaced_after_fatal(w) && sl_kafka_retry(call_begin, w, "begin_transaction") == SL_KAFKA_OK))
        s = SL_STEP_FATAL;
    w->txn_gone = false;
    sl_worker_metrics_batch_begin(w->o->metrics);
    return s;
}

/* the batch is redone from the committed offsets (the batch drops the
 * tasks: their state is restored from the changelogs) */
sl_txn_step sl_kafka_txn_abort(void *ctx)
{
    worker *w = ctx;
    sl_txn_step s = SL_STEP_OK;
    w->stats.aborted_batches++;
    sl_worker_metrics_aborted(w->o->metrics, &w->stats);
    if (w->o->exactly_once && w->txn_gone) {
        w->txn_gone = false; /* the producer that had it open was replaced */
    } else if (w->o->exactly_once) {
        if (sl_kafka_retry(call_abort, w, "abort_transaction") == SL_KAFKA_FATAL) {
            if (!replaced_after_fatal(w))
                s = SL_STEP_FATAL;
            w->txn_gone = false;
        } else {
            rd_kafka_poll(w->producer, 0); /* the purged records' reports */
        }
    }
    report_undelivered(w, "the batch is redone from the last commit");
    if (!w->reopening)
        rewind_to_committed(w);
    forget_batch(w);
    return s;
}

/* the state changes go in the same transaction as the outputs */
bool sl_kafka_to_changelog(void *ctx, const sl_state_change *c)
{
    worker *w = ctx;
    if (!sl_changelog_produce(w->producer, w->app, c))
        return false;
    w->stats.changelog_records++;
    return true;
}

sl_txn_step sl_kafka_txn_commit(void *ctx)
{
    worker *w = ctx;
    if (w->o->exactly_once) {
        maybe_inject_fatal(w);
        if (w->offsets->cnt) {
            offsets_call oc = {w, rd_kafka_consumer_group_metadata(w->consumer)};
            sl_kafka_action a = sl_kafka_retry(call_send_offsets, &oc, "send_offsets_to_transaction");
            rd_kafka_consumer_group_metadata_destroy(oc.group);
            if (a == SL_KAFKA_FATAL && replaced_after_fatal(w))
                return SL_STEP_ABORT; /* redone from the last commit */
            if (a != SL_KAFKA_OK)
                return step_of(a);
        }
        sl_kafka_action a = sl_kafka_retry(call_commit, w, "commit_transaction");
        if (a == SL_KAFKA_FATAL && replaced_after_fatal(w))
            return SL_STEP_ABORT;
        if (a != SL_KAFKA_OK)
            return step_of(a);
    } else {
        rd_kafka_flush(w->producer, -1);
        if (w->undelivered)
            return SL_STEP_ABORT; /* at least once: offsets move only past what was delivered */
        if (w->offsets->cnt) {
            rd_kafka_resp_err_t e = rd_kafka_commit(w->consumer, w->offsets, 0);
            if (e)
                sl_warn("consumer", "offset commit failed: %s", rd_kafka_err2str(e));
        }
    }
    w->stats.batches++;
    w->producers_replaced = 0;
    int ntasks;
    sl_task *const *tasks = sl_batch_tasks(w->batch, &ntasks);
    sl_worker_metrics_committed(w->o->metrics, &w->stats, tasks, ntasks, w->consumer, w->offsets);
    sl_debug("worker", "committed a batch of %lld record(s), %zu buffered", (long long)w->batch_records,
             sl_pgroup_buffered(w->pending));
    if (w->o->progress) {
        w->o->progress->committed_chained += w->batch_chained;
        w->o->progress->committed_in += w->batch_records;
    }
    forget_batch(w);
    return SL_STEP_OK;
}

