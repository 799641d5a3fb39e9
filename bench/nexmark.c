/* nexmark: writes the Nexmark event stream (persons, auctions, bids) to
 * Kafka as JSON, for the benchmarks in bench/.
 *
 *   nexmark --brokers HOST:PORT [--events N] [--partitions P] [--rate R]
 *           [--event-rate E] [--max-delay-ms D] [--seed S] [--topic-prefix X]
 *           [--format json] [--wall-clock] [-X librdkafka.key=value]
 *
 * Why it is built this way:
 *   - Events come from nexmark_model.c, a pure function of (seed, event
 *     number), so two preloads with the same options hold the same records
 *     and every system in a comparison reads identical input.
 *   - Records go to <prefix>persons, <prefix>auctions, <prefix>bids. Keys are
 *     the 8-byte big-endian ids (ksqlDB's KAFKA format for BIGINT, Kafka's
 *     LongSerializer): a bid is keyed by its auction, an auction and a person
 *     by their id. librdkafka partitions with murmur2_random as the Java
 *     client does, so bids and auctions are co-partitioned for the join and
 *     a Java producer would have placed them identically.
 *   - The record timestamp is the event time (the JSON "dateTime" too), so
 *     windows work on event time without a TIMESTAMP column.
 *   - Throughput: one thread makes JSON with no allocation and hands it to an
 *     idempotent producer that batches (linger, large batches); with
 *     --rate 0 it runs as fast as librdkafka takes records.
 *   - --rate R paces sending to R events/s (for latency measurements);
 *     event time then advances at R per second from now. --wall-clock
 *     stamps each record with the wall clock when it is produced instead of
 *     its model time, so "record timestamp" means "when it entered Kafka"
 *     (latency runs use it, with no out-of-orderness).
 *   - Without --rate, event time advances at --event-rate (Nexmark's
 *     default, 10,000 events/s) and ends about now, so the records are
 *     neither in the future nor old enough for retention to delete.
 * stdout gets one JSON line with the counts per topic; progress and errors
 * go to stderr. Exit status is non-zero if any record failed. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_kafka.h"
#include "nexmark_model.h"

typedef struct generator_options {
    const char *brokers;
    int64_t events;
    int partitions;
    double rate;
    double event_rate;
    int64_t max_delay_ms;
    uint64_t seed;
    const char *topic_prefix;
    int wall_clock;
    const char *extra_conf[32];
    int n_extra_conf;
} generator_options;

typedef struct delivery_counts {
    int64_t delivered;
    int64_t failed;
} delivery_counts;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    delivery_counts *counts = opaque;
    (void)rk;
    if (msg->err) {
        if (counts->failed++ < 5)
            fprintf(stderr, "nexmark: delivery failed: %s\n", rd_kafka_err2str(msg->err));
    } else {
        counts->delivered++;
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: nexmark --brokers HOST:PORT [--events N] [--partitions P] [--rate R]\n"
                    "               [--event-rate E] [--max-delay-ms D] [--seed S] [--topic-prefix X]\n"
                    "               [--format json] [--wall-clock] [-X key=value]\n");
    exit(2);
}

static void parse_options(int argc, char **argv, generator_options *o)
{
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, 'b'},   {"events", required_argument, NULL, 'n'},
        {"partitions", required_argument, NULL, 'p'}, {"rate", required_argument, NULL, 'r'},
        {"event-rate", required_argument, NULL, 'e'}, {"max-delay-ms", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},       {"topic-prefix", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},     {"wall-clock", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
    };
    *o = (generator_options){.brokers = "127.0.0.1:9092", .events = 1000000, .partitions = 4,
                             .max_delay_ms = 4000, .seed = 42, .topic_prefix = ""};
    int c;
    while ((c = getopt_long(argc, argv, "X:", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o->brokers = optarg; break;
        case 'n': o->events = strtoll(optarg, NULL, 10); break;
        case 'p': o->partitions = atoi(optarg); break;
        case 'r': o->rate = strtod(optarg, NULL); break;
        case 'e': o->event_rate = strtod(optarg, NULL); break;
        case 'd': o->max_delay_ms = strtoll(optarg, NULL, 10); break;
        case 's': o->seed = strtoull(optarg, NULL, 10); break;
        case 't': o->topic_prefix = optarg; break;
        case 'w': o->wall_clock = 1; break;
        case 'f':
            if (strcmp(optarg, "json") != 0) {
                fprintf(stderr, "nexmark: --format %s: only json is supported\n", optarg);
                exit(2);
            }
            break;
        case 'X':
            if (o->n_extra_conf == (int)(sizeof o->extra_conf / sizeof o->extra_conf[0]))
                usage();
            o->extra_conf[o->n_extra_conf++] = optarg;
            break;
        default: usage();
        }
    }
    if (optind != argc || o->events < 0 || o->partitions < 1 || o->rate < 0 || o->event_rate < 0 ||
        o->max_delay_ms < 0)
        usage();
    if (o->event_rate == 0)
        o->event_rate = o->rate > 0 ? o->rate : 10000;
}

static rd_kafka_t *new_producer(const generator_options *o, delivery_counts *counts)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", o->brokers);
    bench_conf_set(conf, "enable.idempotence", "true");
    bench_conf_set(conf, "partitioner", "murmur2_random");
    /* paced runs measure latency: send at once; bulk loads batch */
    bench_conf_set(conf, "linger.ms", o->rate > 0 ? "1" : "20");
    bench_conf_set(conf, "batch.size", "1000000");
    bench_conf_set(conf, "queue.buffering.max.messages", "1000000");
    bench_conf_set(conf, "queue.buffering.max.kbytes", "1048576");
    for (int i = 0; i < o->n_extra_conf; i++)
        bench_conf_set_pair(conf, o->extra_conf[i]);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, counts);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "nexmark: %s\n", errstr);
        exit(1);
    }
    return rk;
}

/* sleeps until the monotonic clock reads due_ns */
static void sleep_until(int64_t due_ns)
{
    struct timespec ts = {.tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !bench_stop_requested)
        ;
}

static void encode_key(int64_t id, unsigned char key[8])
{
    for (int i = 7; i >= 0; i--, id >>= 8)
        key[i] = (unsigned char)(id & 0xff);
}

int main(int argc, char **argv)
{
    generator_options o;
    parse_options(argc, argv, &o);
    bench_install_stop_handlers();

    delivery_counts counts = {0, 0};
    rd_kafka_t *rk = new_producer(&o, &counts);

    char names[3][256];
    static const char *const kind_names[] = {"persons", "auctions", "bids"}; /* order of nx_event_kind */
    const char *topic_names[3];
    rd_kafka_topic_t *topics[3];
    for (int k = 0; k < 3; k++) {
        snprintf(names[k], sizeof names[k], "%s%s", o.topic_prefix, kind_names[k]);
        topic_names[k] = names[k];
    }
    if (bench_create_topics(rk, topic_names, 3, o.partitions) != 0)
        return 1;
    for (int k = 0; k < 3; k++)
        topics[k] = rd_kafka_topic_new(rk, names[k], NULL);

    nx_model_config model = {.seed = o.seed, .event_rate = o.event_rate, .max_delay_ms = o.max_delay_ms};
    int64_t span_ms = (int64_t)((double)o.events * 1000.0 / o.event_rate);
    /* bulk: the stream ends about now; paced: it starts now and follows the clock */
    model.base_time_ms = bench_wall_ms() - (o.rate > 0 ? 0 : span_ms);

    int64_t per_kind[3] = {0, 0, 0};
    int64_t bytes = 0;
    int64_t start_ns = bench_monotonic_ns();
    double ns_per_event = o.rate > 0 ? 1e9 / o.rate : 0;
    int64_t behind_ns = 0;
    char json[NX_MAX_EVENT_JSON];
    int64_t n;
    for (n = 0; n < o.events && !bench_stop_requested; n++) {
        if (o.rate > 0) {
            int64_t due = start_ns + (int64_t)((double)n * ns_per_event);
            int64_t now = bench_monotonic_ns();
            if (now < due)
                sleep_until(due);
            else if (now - due > behind_ns)
                behind_ns = now - due;
        }
        nx_event ev;
        size_t len = nx_event_make(&model, (uint64_t)n, o.wall_clock ? bench_wall_ms() : NX_MODEL_TIME, &ev, json);
        unsigned char key[8];
        encode_key(ev.key, key);
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_RKT(topics[ev.kind]), RD_KAFKA_V_KEY(key, sizeof key), RD_KAFKA_V_VALUE(json, len),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(ev.event_time_ms), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
                break;
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                fprintf(stderr, "nexmark: produce: %s\n", rd_kafka_err2str(err));
                return 1;
            }
            rd_kafka_poll(rk, 5);
        }
        per_kind[ev.kind]++;
        bytes += (int64_t)len;
        if ((n & 1023) == 0 || o.rate > 0)
            rd_kafka_poll(rk, 0);
    }
    while (rd_kafka_outq_len(rk) > 0 && rd_kafka_flush(rk, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT)
        ; /* librdkafka retries until delivered or failed */
    double seconds = (double)(bench_monotonic_ns() - start_ns) / 1e9;

    fprintf(stderr, "nexmark: %" PRId64 " events (%" PRId64 " persons, %" PRId64 " auctions, %" PRId64
                    " bids), %.1f MB in %.2f s: %.0f events/s%s\n",
            n, per_kind[NX_PERSON], per_kind[NX_AUCTION], per_kind[NX_BID], (double)bytes / 1e6, seconds,
            seconds > 0 ? (double)n / seconds : 0.0, counts.failed ? " (with FAILED deliveries)" : "");
    if (o.rate > 0 && behind_ns > 100000000)
        fprintf(stderr, "nexmark: fell behind the requested rate by up to %.0f ms\n", (double)behind_ns / 1e6);
    printf("{\"events\":%" PRId64 ",\"persons\":%" PRId64 ",\"auctions\":%" PRId64 ",\"bids\":%" PRId64
           ",\"bytes\":%" PRId64 ",\"seconds\":%.3f,\"failed\":%" PRId64 ",\"max_behind_ms\":%.1f}\n",
           n, per_kind[NX_PERSON], per_kind[NX_AUCTION], per_kind[NX_BID], bytes, seconds, counts.failed,
           (double)behind_ns / 1e6);
    for (int k = 0; k < 3; k++)
        rd_kafka_topic_destroy(topics[k]);
    rd_kafka_destroy(rk);
    return counts.failed || counts.delivered != n ? 1 : 0;
}
