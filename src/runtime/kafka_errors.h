/* librdkafka's error classes, decided in one place: what the driver does
 * with an error from a transactional call. And librdkafka's own log lines,
 * routed through Sluice's logger. */
#ifndef SL_KAFKA_ERRORS_H
#define SL_KAFKA_ERRORS_H

#include <librdkafka/rdkafka.h>

typedef enum sl_kafka_action {
    SL_KAFKA_OK,
    SL_KAFKA_RETRY, /* retriable: call again */
    SL_KAFKA_ABORT, /* abortable: abort the transaction, rewind the batch */
    SL_KAFKA_FATAL, /* fenced or fatal: stop, exit non-zero */
} sl_kafka_action;

/* Classifies and destroys err (NULL is OK). what names the call for logs. */
sl_kafka_action sl_kafka_classify(rd_kafka_error_t *err, const char *what);

/* The one retry policy for transactional calls: calls fn(ctx) until its
 * error is not retriable, sleeping between attempts (100 ms, doubling to
 * 2 s: a broker that is failing over is not hammered, and a worker never
 * spins), and returns the final action (never SL_KAFKA_RETRY). */
typedef rd_kafka_error_t *(*sl_kafka_call_fn)(void *ctx);
sl_kafka_action sl_kafka_retry(sl_kafka_call_fn fn, void *ctx, const char *what);

/* A new client configuration whose log lines go through Sluice's logger:
 * leveled (librdkafka's syslog levels mapped to Sluice's), tagged
 * "rdkafka" with the client's name and facility, and throttled per
 * facility, so a broker outage does not flood the log. Use it for every
 * client instead of rd_kafka_conf_new(). */
rd_kafka_conf_t *sl_kafka_conf_new(void);

#endif
