/* pipe: the ceiling for Sluice. Consumes topics and produces the same bytes
 * (key, value, timestamp, partition) to one output topic, with nothing in
 * between: what a stream processor costs at least on this broker.
 *
 *   pipe --brokers HOST:PORT --input T1[,T2...] --output OUT --group G
 *        [--mode eos|alo] [--commit-interval-ms 100] [--batch-max-records 10000]
 *        [--transactional-id ID] [-X key=value]
 *
 * It works the way Sluice's Kafka driver does, so the two are comparable:
 *   - micro-batches: poll until --batch-max-records or --commit-interval-ms;
 *   - eos (default): read_committed consumer; the batch's records and its
 *     input offsets (send_offsets_to_transaction with the consumer group
 *     metadata) commit as one transaction. A transaction starts with the
 *     first record of a batch, so an idle pipe commits nothing;
 *   - alo: an idempotent producer; after each batch it waits until every
 *     record is acknowledged, then commits the offsets synchronously;
 *   - offsets committed are the consumer's positions on its assignment,
 *     which is exactly "everything returned to us so far";
 *   - on revocation the batch in flight is committed first, so a rebalance
 *     neither loses nor repeats records.
 * Each record keeps its partition number: the output needs at least as many
 * partitions as each input. Stops on SIGINT/SIGTERM after committing. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "bench_kafka.h"

typedef struct pipe_options {
    const char *brokers;
    const char *inputs; /* comma-separated */
    const char *output;
    const char *group;
    const char *transactional_id;
    int exactly_once;
    int commit_interval_ms;
    int batch_max_records;
    const char *extra_conf[32];
    int n_extra_conf;
} pipe_options;

typedef struct pipe_state {
    const pipe_options *options;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    rd_kafka_topic_t *output;
    int in_transaction;       /* eos: a transaction is open */
    int64_t batch_records;    /* produced since the last commit */
    int64_t total_records;
    int64_t failed_deliveries;
} pipe_state;

static void usage(void)
{
    fprintf(stderr, "usage: pipe --brokers HOST:PORT --input T1[,T2] --output OUT --group G [--mode eos|alo]\n"
                    "            [--commit-interval-ms 100] [--batch-max-records 10000]\n"
                    "            [--transactional-id ID] [-X key=value]\n");
    exit(2);
}

static void parse_options(int argc, char **argv, pipe_options *o)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'},
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"group", required_argument, NULL, 'g'},
        {"mode", required_argument, NULL, 'm'},
        {"commit-interval-ms", required_argument, NULL, 'c'},
        {"batch-max-records", required_argument, NULL, 'n'},
        {"transactional-id", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (pipe_options){.brokers = "127.0.0.1:9092", .exactly_once = 1, .commit_interval_ms = 100,
                        .batch_max_records = 10000};
    int c;
    while ((c = getopt_long(argc, argv, "X:", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o->brokers = optarg; break;
        case 'i': o->inputs = optarg; break;
        case 'o': o->output = optarg; break;
        case 'g': o->group = optarg; break;
        case 't': o->transactional_id = optarg; break;
        case 'c': o->commit_interval_ms = atoi(optarg); break;
        case 'n': o->batch_max_records = atoi(optarg); break;
        case 'm':
            if (strcmp(optarg, "eos") == 0)
                o->exactly_once = 1;
            else if (strcmp(optarg, "alo") == 0)
                o->exactly_once = 0;
            else
                usage();
            break;
        case 'X':
            if (o->n_extra_conf == (int)(sizeof o->extra_conf / sizeof o->extra_conf[0]))
                usage();
            o->extra_conf[o->n_extra_conf++] = optarg;
            break;
        default: usage();
        }
    }
    if (optind != argc || !o->inputs || !o->output || !o->group || o->commit_interval_ms < 1 ||
        o->batch_max_records < 1)
        usage();
}

static void die_on_error(const char *what, rd_kafka_error_t *error)
{
    if (error) {
        fprintf(stderr, "pipe: %s: %s\n", what, rd_kafka_error_string(error));
        exit(1);
    }
}

/* The consumer's positions on its assignment: the offsets to commit. NULL
 * when nothing has been consumed. Caller owns the list. */
static rd_kafka_topic_partition_list_t *consumed_positions(rd_kafka_t *consumer)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rd_kafka_assignment(consumer, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return NULL;
    rd_kafka_position(consumer, assigned);
    rd_kafka_topic_partition_list_t *positions = rd_kafka_topic_partition_list_new(assigned->cnt);
    for (int i = 0; i < assigned->cnt; i++)
        if (assigned->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(positions, assigned->elems[i].topic, assigned->elems[i].partition)
                ->offset = assigned->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(assigned);
    if (positions->cnt == 0) {
        rd_kafka_topic_partition_list_destroy(positions);
        return NULL;
    }
    return positions;
}

/* After an aborted transaction: read again from the committed offsets. */
static void rewind_to_committed(rd_kafka_t *consumer)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    if (rd_kafka_assignment(consumer, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    if (rd_kafka_committed(consumer, assigned, 30000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < assigned->cnt; i++)
            if (assigned->elems[i].offset < 0)
                assigned->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_error_t *error = rd_kafka_seek_partitions(consumer, assigned, 30000);
        if (error)
            rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(assigned);
}

/* eos: offsets into the transaction, then commit it. A retriable error is
 * retried; an abortable one aborts and rewinds (the batch is read again);
 * anything else (fenced, fatal) ends the program. */
static void commit_transaction(pipe_state *s)
{
    rd_kafka_topic_partition_list_t *positions = consumed_positions(s->consumer);
    rd_kafka_consumer_group_metadata_t *metadata = rd_kafka_consumer_group_metadata(s->consumer);
    for (;;) {
        rd_kafka_error_t *error = NULL;
        if (positions)
            error = rd_kafka_send_offsets_to_transaction(s->producer, positions, metadata, -1);
        if (!error)
            error = rd_kafka_commit_transaction(s->producer, -1);
        if (!error)
            break;
        if (rd_kafka_error_is_retriable(error)) {
            rd_kafka_error_destroy(error);
            continue;
        }
        if (rd_kafka_error_txn_requires_abort(error)) {
            fprintf(stderr, "pipe: aborting the batch: %s\n", rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            die_on_error("abort_transaction", rd_kafka_abort_transaction(s->producer, -1));
            rewind_to_committed(s->consumer);
            s->batch_records = 0;
            break;
        }
        die_on_error("commit", error);
    }
    s->total_records += s->batch_records;
    rd_kafka_consumer_group_metadata_destroy(metadata);
    if (positions)
        rd_kafka_topic_partition_list_destroy(positions);
}

/* alo: every record acknowledged, then the offsets */
static void commit_after_acks(pipe_state *s)
{
    while (rd_kafka_outq_len(s->producer) > 0)
        rd_kafka_flush(s->producer, 1000);
    if (s->failed_deliveries) {
        fprintf(stderr, "pipe: %" PRId64 " records failed; not committing their offsets\n", s->failed_deliveries);
        exit(1);
    }
    rd_kafka_topic_partition_list_t *positions = consumed_positions(s->consumer);
    if (positions) {
        rd_kafka_resp_err_t err = rd_kafka_commit(s->consumer, positions, 0);
        if (err)
            fprintf(stderr, "pipe: offset commit: %s\n", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(positions);
    }
    s->total_records += s->batch_records;
}

static void commit_batch(pipe_state *s)
{
    if (s->options->exactly_once) {
        if (!s->in_transaction)
            return;
        commit_transaction(s);
        s->in_transaction = 0;
    } else {
        if (s->batch_records == 0)
            return;
        commit_after_acks(s);
    }
    s->batch_records = 0;
}

static void on_rebalance(rd_kafka_t *consumer, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *partitions,
                         void *opaque)
{
    pipe_state *s = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(consumer, partitions);
    } else {
        commit_batch(s); /* before the partitions (and their positions) go */
        rd_kafka_assign(consumer, NULL);
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    pipe_state *s = opaque;
    (void)rk;
    if (msg->err && s->failed_deliveries++ < 5)
        fprintf(stderr, "pipe: delivery failed: %s\n", rd_kafka_err2str(msg->err));
}

static void produce_copy(pipe_state *s, const rd_kafka_message_t *in)
{
    if (s->options->exactly_once && !s->in_transaction) {
        die_on_error("begin_transaction", rd_kafka_begin_transaction(s->producer));
        s->in_transaction = 1;
    }
    int64_t timestamp = rd_kafka_message_timestamp(in, NULL);
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            s->producer, RD_KAFKA_V_RKT(s->output), RD_KAFKA_V_PARTITION(in->partition),
            RD_KAFKA_V_KEY(in->key, in->key_len), RD_KAFKA_V_VALUE(in->payload, in->len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp > 0 ? timestamp : 0),
            RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "pipe: produce: %s\n", rd_kafka_err2str(err));
            exit(1);
        }
        rd_kafka_poll(s->producer, 5);
    }
    s->batch_records++;
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "pipe: %s\n", errstr);
        exit(1);
    }
    return rk;
}

static void start_clients(pipe_state *s)
{
    const pipe_options *o = s->options;
    char txid[512];
    snprintf(txid, sizeof txid, "%s", o->transactional_id ? o->transactional_id : o->group);

    rd_kafka_conf_t *pc = rd_kafka_conf_new();
    bench_conf_set(pc, "bootstrap.servers", o->brokers);
    bench_conf_set(pc, "enable.idempotence", "true");
    bench_conf_set(pc, "linger.ms", "5");
    if (o->exactly_once)
        bench_conf_set(pc, "transactional.id", txid);
    for (int i = 0; i < o->n_extra_conf; i++)
        bench_conf_set_pair(pc, o->extra_conf[i]);
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    rd_kafka_conf_set_opaque(pc, s);
    s->producer = new_client(RD_KAFKA_PRODUCER, pc);
    if (o->exactly_once)
        die_on_error("init_transactions", rd_kafka_init_transactions(s->producer, 60000));
    s->output = rd_kafka_topic_new(s->producer, o->output, NULL);

    rd_kafka_conf_t *cc = rd_kafka_conf_new();
    bench_conf_set(cc, "bootstrap.servers", o->brokers);
    bench_conf_set(cc, "group.id", o->group);
    bench_conf_set(cc, "isolation.level", "read_committed");
    bench_conf_set(cc, "enable.auto.commit", "false");
    bench_conf_set(cc, "enable.auto.offset.store", "false");
    bench_conf_set(cc, "auto.offset.reset", "earliest");
    for (int i = 0; i < o->n_extra_conf; i++)
        bench_conf_set_pair(cc, o->extra_conf[i]);
    rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
    rd_kafka_conf_set_opaque(cc, s);
    s->consumer = new_client(RD_KAFKA_CONSUMER, cc);
    rd_kafka_poll_set_consumer(s->consumer);

    rd_kafka_topic_partition_list_t *subscription = rd_kafka_topic_partition_list_new(4);
    char *inputs = strdup(o->inputs);
    char *save = NULL;
    for (char *t = strtok_r(inputs, ",", &save); t; t = strtok_r(NULL, ",", &save))
        rd_kafka_topic_partition_list_add(subscription, t, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(s->consumer, subscription);
    if (err) {
        fprintf(stderr, "pipe: subscribe: %s\n", rd_kafka_err2str(err));
        exit(1);
    }
    rd_kafka_topic_partition_list_destroy(subscription);
    free(inputs);
}

enum { POLL_CHUNK = 1000 };

int main(int argc, char **argv)
{
    pipe_options o;
    parse_options(argc, argv, &o);
    bench_install_stop_handlers();
    pipe_state s = {.options = &o};
    start_clients(&s);

    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(s.consumer);
    rd_kafka_message_t *messages[POLL_CHUNK];
    int64_t start_ns = bench_monotonic_ns();
    while (!bench_stop_requested) {
        int64_t deadline_ns = bench_monotonic_ns() + (int64_t)o.commit_interval_ms * 1000000;
        while (s.batch_records < o.batch_max_records && !bench_stop_requested) {
            int64_t left_ms = (deadline_ns - bench_monotonic_ns()) / 1000000;
            if (left_ms <= 0)
                break;
            int64_t room = o.batch_max_records - s.batch_records;
            ssize_t n = rd_kafka_consume_batch_queue(queue, (int)left_ms, messages,
                                                     (size_t)(room < POLL_CHUNK ? room : POLL_CHUNK));
            for (ssize_t i = 0; i < n; i++) {
                if (messages[i]->err) {
                    if (messages[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        fprintf(stderr, "pipe: consume: %s\n", rd_kafka_message_errstr(messages[i]));
                } else {
                    produce_copy(&s, messages[i]);
                }
                rd_kafka_message_destroy(messages[i]);
            }
            rd_kafka_poll(s.producer, 0);
        }
        commit_batch(&s);
    }
    commit_batch(&s);
    rd_kafka_queue_destroy(queue);
    rd_kafka_consumer_close(s.consumer);
    rd_kafka_destroy(s.consumer);
    rd_kafka_flush(s.producer, 30000);
    rd_kafka_topic_destroy(s.output);
    rd_kafka_destroy(s.producer);
    double seconds = (double)(bench_monotonic_ns() - start_ns) / 1e9;
    fprintf(stderr, "pipe: %" PRId64 " records in %.1f s (%s)\n", s.total_records, seconds,
            o.exactly_once ? "exactly once" : "at least once");
    return 0;
}
