/* Memory budget (see memory_budget.h). Why these figures:
 *
 * - Prefetch follows the batch, not the partitions. In librdkafka 2.0.2 the
 *   high-level consumer forwards every partition's fetch queue to one
 *   consumer queue, and the fetcher compares that one queue's length and
 *   size with queued.min.messages and queued.max.messages.kbytes: the
 *   limits are totals over the assignment, whatever its size. So the
 *   budget needs no re-tuning at assignment (the consumer's configuration
 *   is made before the assignment is known, and cannot change after), and
 *   a figure per partition times the partitions would only overshoot. Two
 *   batches' worth of records keeps the next batch fetched while one is
 *   processed and committed.
 * - How far the queue can overshoot its limit is one fetch response:
 *   fetch.max.bytes, which librdkafka lowers to the byte budget by itself
 *   (and keeps at least message.max.bytes). Setting it here would make a
 *   user's larger kafka.message.max.bytes an error at start ("fetch.max.bytes
 *   must be >= message.max.bytes"). The per-partition size
 *   (max.partition.fetch.bytes, 1 MB) stays: librdkafka grows it for a
 *   bigger record.
 * - The byte limit assumes half a kilobyte a record, so for small records
 *   (Nexmark's bids, most events) the count binds; for big ones the bytes
 *   do, and fewer records are fetched ahead.
 * - The producer's queue holds a batch's outputs until the commit flushes
 *   them; a full queue makes produce wait for deliveries (kafka_commit.c),
 *   so the budget bounds memory without losing records.
 *
 * A fetcher that stopped at its limit is woken by the driver as soon as
 * the worker runs out of fetched records (librdkafka 2.0.2 looks again only
 * about once a second otherwise): see wake_fetcher in kafka_driver.c. */
#include "runtime/memory_budget.h"

#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#define KIB 1024

static int64_t clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void sl_memory_budget_of(const sl_config *cfg, sl_memory_budget *out)
{
    int64_t batch = sl_config_int(cfg, "batch.max.records");
    if (batch < 1)
        batch = 1;
    int64_t records = sl_config_int(cfg, "memory.prefetch.records");
    /* librdkafka's own default is the ceiling: more never helped */
    out->prefetch_records = records > 0 ? records : clamp(2 * batch, 1000, 100000);
    int64_t kbytes = sl_config_int(cfg, "memory.prefetch.kbytes");
    out->prefetch_kbytes = kbytes > 0 ? kbytes : clamp(out->prefetch_records / 2, KIB, 65536);
    int64_t producer = sl_config_int(cfg, "memory.producer.kbytes");
    out->producer_kbytes = producer > 0 ? producer : clamp(2 * batch, 16 * KIB, 1024 * KIB);
}

bool sl_memory_budget_setting(const sl_memory_budget *b, sl_budget_client client, int i, const char **name,
                              char *buf, size_t len)
{
    int64_t v;
    if (client == SL_BUDGET_CONSUMER) {
        switch (i) {
        case 0: *name = "queued.min.messages"; v = b->prefetch_records; break;
        case 1: *name = "queued.max.messages.kbytes"; v = b->prefetch_kbytes; break;
        default: return false;
        }
    } else {
        if (i != 0)
            return false;
        *name = "queue.buffering.max.kbytes";
        v = b->producer_kbytes;
    }
    snprintf(buf, len, "%lld", (long long)v);
    return true;
}

int64_t sl_memory_parts_total(const sl_memory_parts *p)
{
    return p->fetch_in_use + p->producer_in_use + p->state + p->batch_arenas;
}

/* librdkafka 2.0.2 forwards each partition's fetch queue to the consumer
 * queue, and a partition's fetchq_size is that of the queue it forwards
 * to: every partition reports the whole queue, so the largest is the
 * total (a sum would count it once per partition). */
int64_t sl_memory_stats_fetch_bytes(const char *json)
{
    json_t *doc = json_loads(json, 0, NULL);
    json_t *topics = doc ? json_object_get(doc, "topics") : NULL;
    int64_t most = -1;
    const char *tname, *pname;
    json_t *topic, *part;
    json_object_foreach(topics, tname, topic) {
        json_object_foreach(json_object_get(topic, "partitions"), pname, part) {
            json_t *size = json_object_get(part, "fetchq_size");
            if (atoi(pname) >= 0 && json_is_integer(size) && json_integer_value(size) > most)
                most = json_integer_value(size);
        }
    }
    if (most < 0 && json_is_object(topics))
        most = 0; /* a consumer with nothing assigned holds nothing */
    json_decref(doc);
    return most;
}

int64_t sl_memory_stats_producer_bytes(const char *json)
{
    json_t *doc = json_loads(json, 0, NULL);
    json_t *size = doc ? json_object_get(doc, "msg_size") : NULL;
    int64_t bytes = json_is_integer(size) ? json_integer_value(size) : -1;
    json_decref(doc);
    return bytes;
}
