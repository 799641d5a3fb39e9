/* Reaching the brokers at start (see kafka_startup.h). librdkafka's error
 * callback runs on the thread that polls the client, so the waiting
 * thread polls between its metadata requests and reads s without a lock. */
#include "runtime/kafka_startup.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* how long a connection closed during its first request is retried before
 * it is taken for a security.protocol mismatch */
#define PROTOCOL_PATIENCE_MS 5000

static bool has(const char *s, const char *part)
{
    return s && strstr(s, part);
}

sl_kafka_cause sl_kafka_classify_cause(int err, const char *reason)
{
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED ||
        has(reason, "SASL authentication error") || has(reason, "SASL SCRAM") ||
        has(reason, "Authentication failed"))
        return SL_KAFKA_CAUSE_AUTHENTICATION;
    if (err == RD_KAFKA_RESP_ERR__SSL || has(reason, "SSL handshake failed") || has(reason, "certificate verify failed"))
        return SL_KAFKA_CAUSE_TLS;
    /* librdkafka's own diagnosis of a plaintext client on a TLS listener */
    if (has(reason, "incorrect security.protocol"))
        return SL_KAFKA_CAUSE_PROTOCOL;
    return SL_KAFKA_CAUSE_NONE;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    sl_kafka_startup *s = opaque;
    sl_kafka_cause cause = sl_kafka_classify_cause(err, reason);
    /* the first cause is kept, but a protocol suspicion gives way to a
     * surer one */
    if (cause != SL_KAFKA_CAUSE_NONE && (s->cause == SL_KAFKA_CAUSE_NONE || s->cause == SL_KAFKA_CAUSE_PROTOCOL)) {
        s->cause = cause;
        snprintf(s->reason, sizeof s->reason, "%s", reason ? reason : rd_kafka_err2str(err));
    }
    char key[48];
    snprintf(key, sizeof key, "startup-error:%d", err);
    sl_log_throttled(key, SL_LOG_WARN, "kafka", "%s: %s", rd_kafka_name(rk), reason ? reason : rd_kafka_err2str(err));
}

void sl_kafka_startup_watch(rd_kafka_conf_t *conf, sl_kafka_startup *s)
{
    memset(s, 0, sizeof *s);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_opaque(conf, s);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sl_kafka_startup_wait(rd_kafka_t *rk, sl_kafka_startup *s, int64_t wait_ms, const char *bootstrap,
                          const struct rd_kafka_metadata **md)
{
    int64_t start = now_ms(), deadline = start + wait_ms;
    rd_kafka_resp_err_t err;
    for (;;) {
        int64_t left = deadline - now_ms();
        /* short steps: the error callback is served between them */
        err = rd_kafka_metadata(rk, 1, NULL, md, (int)(left < 500 ? (left > 0 ? left : 1) : 500));
        if (!err)
            return 0;
        rd_kafka_poll(rk, 0);
        if (now_ms() >= deadline)
            break;
        /* a refused password or certificate will not change by waiting; a
         * connection closed during the first request usually means the
         * wrong protocol, but a broker still starting can do it too */
        if (s->cause == SL_KAFKA_CAUSE_AUTHENTICATION || s->cause == SL_KAFKA_CAUSE_TLS ||
            (s->cause == SL_KAFKA_CAUSE_PROTOCOL && now_ms() - start >= PROTOCOL_PATIENCE_MS))
            break;
    }
    switch (s->cause) {
    case SL_KAFKA_CAUSE_AUTHENTICATION:
        sl_log_error("kafka",
                     "Kafka at %s refused Sluice's credentials: %s (check kafka.sasl.mechanisms, kafka.sasl.username "
                     "and kafka.sasl.password)",
                     bootstrap, s->reason);
        return SL_EXIT_KAFKA_SECURITY;
    case SL_KAFKA_CAUSE_TLS:
        sl_log_error("kafka",
                     "TLS with Kafka at %s failed: %s (check kafka.ssl.ca.location for the brokers' CA, and the "
                     "brokers' certificate names against the addresses in bootstrap.servers)",
                     bootstrap, s->reason);
        return SL_EXIT_KAFKA_SECURITY;
    case SL_KAFKA_CAUSE_PROTOCOL:
        sl_log_error("kafka", "Kafka at %s speaks another security protocol: %s (check kafka.security.protocol)",
                     bootstrap, s->reason);
        return SL_EXIT_KAFKA_SECURITY;
    case SL_KAFKA_CAUSE_NONE:
        break;
    }
    sl_log_error("kafka", "cannot reach Kafka at %s within %lld ms (startup.timeout.ms): %s", bootstrap,
                 (long long)wait_ms, rd_kafka_err2str(err));
    return 1;
}
