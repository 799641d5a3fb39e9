/* Helpers shared by the benchmark programs (see bench_kafka.h). */
#define _POSIX_C_SOURCE 200809L
#include "bench_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile sig_atomic_t bench_stop_requested = 0;

static void on_stop_signal(int signo)
{
    (void)signo;
    bench_stop_requested = 1;
}

void bench_install_stop_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void bench_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "configuration %s=%s: %s\n", key, value, errstr);
        exit(2);
    }
}

void bench_conf_set_pair(rd_kafka_conf_t *conf, const char *pair)
{
    const char *eq = strchr(pair, '=');
    if (!eq || eq == pair) {
        fprintf(stderr, "-X expects key=value, got '%s'\n", pair);
        exit(2);
    }
    char key[256];
    size_t n = (size_t)(eq - pair);
    if (n >= sizeof key) {
        fprintf(stderr, "-X key too long: '%s'\n", pair);
        exit(2);
    }
    memcpy(key, pair, n);
    key[n] = '\0';
    bench_conf_set(conf, key, eq + 1);
}

int bench_create_topics(rd_kafka_t *rk, const char *const *topics, int count, int partitions)
{
    char errstr[512];
    rd_kafka_NewTopic_t **new_topics = calloc((size_t)count, sizeof *new_topics);
    int rc = -1;
    rd_kafka_queue_t *queue = rd_kafka_queue_new(rk);
    rd_kafka_event_t *event = NULL;
    if (!new_topics || !queue)
        goto done;
    for (int i = 0; i < count; i++) {
        new_topics[i] = rd_kafka_NewTopic_new(topics[i], partitions, 1, errstr, sizeof errstr);
        if (!new_topics[i]) {
            fprintf(stderr, "topic %s: %s\n", topics[i], errstr);
            goto done;
        }
    }
    rd_kafka_CreateTopics(rk, new_topics, (size_t)count, NULL, queue);
    event = rd_kafka_queue_poll(queue, 30000);
    if (!event || rd_kafka_event_error(event)) {
        fprintf(stderr, "creating topics: %s\n", event ? rd_kafka_event_error_string(event) : "timed out");
        goto done;
    }
    const rd_kafka_CreateTopics_result_t *result = rd_kafka_event_CreateTopics_result(event);
    size_t n_results = 0;
    const rd_kafka_topic_result_t **results = rd_kafka_CreateTopics_result_topics(result, &n_results);
    rc = 0;
    for (size_t i = 0; i < n_results; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            fprintf(stderr, "creating topic %s: %s\n", rd_kafka_topic_result_name(results[i]),
                    rd_kafka_topic_result_error_string(results[i]));
            rc = -1;
        }
    }
done:
    if (event)
        rd_kafka_event_destroy(event);
    if (queue)
        rd_kafka_queue_destroy(queue);
    if (new_topics) {
        for (int i = 0; i < count; i++)
            if (new_topics[i])
                rd_kafka_NewTopic_destroy(new_topics[i]);
        free(new_topics);
    }
    return rc;
}

int64_t bench_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bench_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
