/* librdkafka's error classes, decided in one place: what the driver does
 * with an error from a transactional call. */
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

#endif
