/* The commit side of the Kafka driver: the functions its micro-batch
 * (batch.h) calls through sl_batch_driver, and the producer's callbacks.
 * Each takes the driver's worker (kafka_worker.h) as ctx. Private to the
 * Kafka driver. */
#ifndef SL_KAFKA_COMMIT_H
#define SL_KAFKA_COMMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "common/error.h"
#include "ops/record.h"
#include "runtime/batch.h"
#include "runtime/kafka_worker.h"

/* The producer's partitioner, as Kafka Streams' sink partitions (see
 * kafka_commit.c); set as the topic configuration's partitioner */
int32_t sl_kafka_partition_for_key(const rd_kafka_topic_t *rkt, const void *key, size_t keylen, int32_t partitions,
                                   void *rkt_opaque, void *msg_opaque);
/* the producer's delivery reports: undelivered records are counted */
void sl_kafka_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);

/* sl_batch_driver's functions */
void sl_kafka_produce(void *ctx, const sl_record *r);
void sl_kafka_on_processing_error(void *ctx, const char *query, const sl_record *src, const char *msg);
void sl_kafka_on_fatal_error(void *ctx, const sl_record *src, const char *msg);
void sl_kafka_on_record_failed(void *ctx, const sl_record *src, const sl_error *err);
bool sl_kafka_to_changelog(void *ctx, const sl_state_change *c);
sl_txn_step sl_kafka_txn_begin(void *ctx);
sl_txn_step sl_kafka_txn_commit(void *ctx);
/* aborts, and rewinds the consumer to the committed offsets unless the
 * worker is replacing its consumer */
sl_txn_step sl_kafka_txn_abort(void *ctx);

#endif
