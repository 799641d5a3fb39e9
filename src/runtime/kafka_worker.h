/* The Kafka driver's worker, shared by the two halves of the driver:
 * kafka_driver.c (the record source: consumer, rebalancing, the loop) and
 * kafka_commit.c (the commit side the micro-batch calls: producing,
 * transactions, changelog records). Private to them. */
#ifndef SL_KAFKA_WORKER_H
#define SL_KAFKA_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "runtime/batch.h"
#include "runtime/kafka_driver.h"
#include "runtime/partition_group.h"

typedef struct sl_kafka_worker {
    const sl_driver_options *o;
    rd_kafka_t *consumer, *producer;
    rd_kafka_t *restorer; /* reads changelogs into new tasks (assign only) */
    rd_kafka_t *hw_reader; /* read_uncommitted: the true end of a changelog */
    sl_pgroup *pending; /* fetched, not yet processed: taken in timestamp order per task */
    const char *app;
    /* the micro-batch: tasks, collector, coalescing, changelog step and the
     * transaction's state machine (batch.h); kafka_driver.c supplies the
     * record source, kafka_commit.c the commit (every transactional call
     * through sl_kafka_retry, which decides retries in one place) */
    sl_batch *batch;
    rd_kafka_topic_partition_list_t *offsets; /* next offset per input partition in this batch */
    bool consumer_fenced; /* the consumer hit a fatal error: see reopen_consumer */
    bool reopening; /* the consumer is replaced: an abort does not rewind it */
    int64_t batch_records;
    int64_t batch_chained; /* outputs to topics the topology reads (progress only) */
    /* records of this batch the producer could not deliver (an aborted
     * transaction purges its queue): summarised in one line, not one each */
    int64_t undelivered;
    rd_kafka_resp_err_t undelivered_err;
    sl_driver_stats stats;
    /* waking a fetcher parked at its prefetch limit (maybe_wake_fetcher):
     * the worker asks, a thread of its own sends the query; wake_mu is
     * held while it does, and while the consumer is replaced */
    rd_kafka_queue_t *consumer_queue; /* the consumer's queue of fetched records */
    size_t prefetch_low; /* half of queued.min.messages */
    bool wake_armed; /* the queue held prefetch_low since the last wake */
    pthread_t waker;
    bool waker_running, wake_pending, wake_stop;
    pthread_mutex_t wake_mu;
    pthread_cond_t wake_cv;
    int wake_next; /* the assigned partition wake_fetcher asks first (waker thread) */
    int64_t wakes, wake_us; /* watermark queries sent to wake the fetcher, and the time they took (waker thread) */
    int producers_replaced; /* in a row, without a commit in between */
    bool txn_gone; /* the open transaction went with a replaced producer: no abort to send */
    bool refused; /* Kafka's ACLs refused what the worker needs at start: exit SL_EXIT_KAFKA_SECURITY */
    char errstr[512];
} sl_kafka_worker;

/* a producer that failed fatally, not fenced, replaced (kafka_driver.c);
 * false when it cannot be or should not be (then the worker stops) */
#define SL_KAFKA_MAX_PRODUCER_REPLACEMENTS 5
bool sl_kafka_replace_producer(sl_kafka_worker *w);

#endif
