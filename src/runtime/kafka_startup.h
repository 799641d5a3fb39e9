/* Reaching the brokers at start, and saying why not. librdkafka reports an
 * authentication or TLS failure through its error callback and then, to a
 * metadata request, only "Local: Broker transport failure" or a timeout;
 * the cause would be left in its raw log lines. Here the first metadata
 * request is repeated in short steps while the error callback's reports
 * are classified: a refused password or an untrusted certificate ends the
 * wait at once, with Sluice's own message naming the cause and the
 * settings to check, and a distinct exit code; anything else is retried
 * until `startup.timeout.ms`. */
#ifndef SL_KAFKA_STARTUP_H
#define SL_KAFKA_STARTUP_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

/* The exit code of `sluice run` when Kafka refused its credentials or TLS
 * at start (other start-up failures exit 1, configuration errors 2). */
#define SL_EXIT_KAFKA_SECURITY 3

typedef enum sl_kafka_cause {
    SL_KAFKA_CAUSE_NONE,
    SL_KAFKA_CAUSE_AUTHENTICATION, /* SASL: mechanism, user or password refused */
    SL_KAFKA_CAUSE_TLS,            /* the handshake: certificate not trusted, name mismatch, ... */
    SL_KAFKA_CAUSE_PROTOCOL,       /* plaintext to a TLS listener or the reverse: security.protocol */
} sl_kafka_cause;

/* What librdkafka's error callback reported, as a cause; the reason is
 * librdkafka's text. Pure: for tests. */
sl_kafka_cause sl_kafka_classify_cause(int err, const char *reason);

typedef struct sl_kafka_startup {
    sl_kafka_cause cause;
    char reason[512]; /* librdkafka's words for the cause */
} sl_kafka_startup;

/* Sets conf's error callback (and its opaque) to record into s. */
void sl_kafka_startup_watch(rd_kafka_conf_t *conf, sl_kafka_startup *s);

/* Waits up to wait_ms for the cluster's metadata (all topics) on rk, whose
 * configuration was watched into s. Returns 0 with *md set, or logs the
 * cause (component "kafka", naming bootstrap) and returns
 * SL_EXIT_KAFKA_SECURITY or 1. */
int sl_kafka_startup_wait(rd_kafka_t *rk, sl_kafka_startup *s, int64_t wait_ms, const char *bootstrap,
                          const struct rd_kafka_metadata **md);

#endif
