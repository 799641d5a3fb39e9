/* Error classification (see kafka_errors.h). Fencing surfaces as a fatal
 * error on the producer: a newer instance with our transactional.id has
 * started, so this one must stop without writing anything more. */
#include "runtime/kafka_errors.h"

#include <stdio.h>
#include <unistd.h>

#include "common/log.h"

sl_kafka_action sl_kafka_classify(rd_kafka_error_t *err, const char *what)
{
    if (!err)
        return SL_KAFKA_OK;
    sl_kafka_action a;
    if (rd_kafka_error_is_fatal(err))
        a = SL_KAFKA_FATAL;
    else if (rd_kafka_error_txn_requires_abort(err))
        a = SL_KAFKA_ABORT;
    else if (rd_kafka_error_is_retriable(err))
        a = SL_KAFKA_RETRY;
    else if (rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR__FENCED ||
             rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
             rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
        a = SL_KAFKA_FATAL;
    else
        a = SL_KAFKA_ABORT;
    sl_log(a == SL_KAFKA_RETRY ? SL_LOG_INFO : SL_LOG_WARN, "kafka", "%s failed (%s): %s", what,
           a == SL_KAFKA_RETRY ? "retriable" : a == SL_KAFKA_ABORT ? "abortable" : "fatal",
           rd_kafka_error_string(err));
    rd_kafka_error_destroy(err);
    return a;
}

sl_kafka_action sl_kafka_retry(sl_kafka_call_fn fn, void *ctx, const char *what)
{
    useconds_t wait_us = 100000;
    for (;;) {
        sl_kafka_action a = sl_kafka_classify(fn(ctx), what);
        if (a != SL_KAFKA_RETRY)
            return a;
        usleep(wait_us);
        if (wait_us < 2000000)
            wait_us *= 2;
    }
}

static void route_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    /* syslog levels: 0-3 errors, 4 warnings, 5-6 notices and info, 7 debug */
    sl_log_level l = level <= 3 ? SL_LOG_ERROR : level == 4 ? SL_LOG_WARN : level <= 6 ? SL_LOG_INFO : SL_LOG_DEBUG;
    char key[48];
    snprintf(key, sizeof key, "rdkafka:%s", fac ? fac : "");
    sl_log_throttled(key, l, "rdkafka", "%s %s: %s", rk ? rd_kafka_name(rk) : "", fac ? fac : "", buf);
}

rd_kafka_conf_t *sl_kafka_conf_new(void)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, route_log);
    return conf;
}
