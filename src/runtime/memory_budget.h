/* The memory budget of a worker's Kafka clients: how much the input
 * consumer fetches ahead of processing and how much the producer may queue,
 * sized from the batch (batch.max.records) instead of librdkafka's
 * defaults, which are made for throughput at any cost (64 MB and 100,000
 * messages of prefetch per consumer, 1 GB of producer queue). The
 * memory.* keys override the figures; a user's kafka.* settings of the
 * same librdkafka properties win over both (they are applied after).
 *
 * Pure arithmetic on the configuration, so it can be tested without a
 * broker; kafka_driver.c applies the settings, and /status adds up the
 * figures with what the clients and the state hold (sl_memory_parts). */
#ifndef SL_MEMORY_BUDGET_H
#define SL_MEMORY_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

typedef struct sl_memory_budget {
    int64_t prefetch_records; /* queued.min.messages */
    int64_t prefetch_kbytes; /* queued.max.messages.kbytes */
    int64_t producer_kbytes; /* queue.buffering.max.kbytes */
} sl_memory_budget;

/* The figures for cfg (memory.* keys, else derived from batch.max.records). */
void sl_memory_budget_of(const sl_config *cfg, sl_memory_budget *out);

/* The i-th librdkafka setting (name, value in buf) of the budget for the
 * input consumer or the producer; false past the last one. */
typedef enum { SL_BUDGET_CONSUMER, SL_BUDGET_PRODUCER } sl_budget_client;
bool sl_memory_budget_setting(const sl_memory_budget *b, sl_budget_client client, int i, const char **name,
                              char *buf, size_t len);

/* From one JSON document of librdkafka's statistics (statistics.interval.ms):
 * the bytes in a consumer's queue of fetched records, or in a producer's
 * queue of undelivered ones; -1 when the document does not say. */
int64_t sl_memory_stats_fetch_bytes(const char *json);
int64_t sl_memory_stats_producer_bytes(const char *json);

/* What a worker's memory is made of, in bytes, as /status shows it. The
 * parts are what Sluice can count; rss is the process's resident size for
 * comparison (code, libraries, allocator slack and thread stacks are in
 * it and in no part). */
typedef struct sl_memory_parts {
    int64_t fetch_budget; /* the consumers' prefetch limit (queued.max.messages.kbytes) */
    int64_t fetch_in_use; /* fetched, not yet processed (librdkafka's queues) */
    int64_t producer_budget; /* queue.buffering.max.kbytes */
    int64_t producer_in_use; /* produced, not yet delivered */
    int64_t state; /* state stores (sl_store_stats.memory_bytes) */
    int64_t batch_arenas; /* the micro-batches' record arenas */
    int64_t rss; /* the process's resident set */
} sl_memory_parts;

/* fetch_in_use + producer_in_use + state + batch_arenas: the bytes Sluice
 * accounts for (the budgets are limits, not usage) */
int64_t sl_memory_parts_total(const sl_memory_parts *p);

#endif
