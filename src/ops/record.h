/* Records as operators and drivers exchange them. Every pointer is borrowed:
 * an input record's bytes live until its batch is done; an output record's
 * bytes live only for the duration of the collector call (the driver copies
 * them, e.g. librdkafka's RD_KAFKA_MSG_F_COPY). A NULL key is a null key; a
 * NULL value is a tombstone. */
#ifndef SL_RECORD_H
#define SL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_header {
    const char *key;   /* NUL-terminated */
    const void *value; /* NULL for a null header value */
    size_t value_len;
} sl_header;

typedef struct sl_record {
    const char *topic;
    int32_t partition; /* output: -1 lets the driver partition by key (murmur2) */
    int64_t offset;    /* input only */
    int64_t timestamp; /* ms */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    const sl_header *headers;
    size_t nheaders;
    /* output, with partition -1: when set, only the key's first
     * partition_prefix_len bytes choose the partition. A windowed key (its
     * inner key, then the window) is partitioned by its inner key, as Kafka
     * Streams' WindowedStreamPartitioner does, so that all of a key's
     * windows land in the key's partition. */
    bool partition_by_prefix;
    size_t partition_prefix_len;
} sl_record;

/* What became of an input record in one query: every record a query reads
 * ends in exactly one fate, reported by the operator at the place it decides
 * it, so that a path that drops a record without a trace shows up as a
 * record with no fate (see sl_query_stats in topology.h). */
typedef enum sl_fate {
    SL_FATE_PASSED,    /* reached the query's output or its state */
    SL_FATE_FILTERED,  /* dropped by the documented semantics: WHERE, a NULL key, a table delete of nothing */
    SL_FATE_LATE,      /* too late for every window it belongs to */
    SL_FATE_FAILED,    /* skipped, with an entry in the processing log */
    SL_FATE_FORWARDED, /* sent through a repartition topic: its fate is decided there */
    SL_FATE_COUNT
} sl_fate;

/* Where a task's results go: the record collector of Kafka Streams. */
typedef struct sl_collector {
    /* an output record for a sink topic */
    void (*send)(void *ctx, const sl_record *out);
    /* a record that failed to deserialize or evaluate: goes to the processing
     * log with its source position; processing continues */
    void (*processing_error)(void *ctx, const sl_record *source, const char *message);
    void *ctx;
    /* an error the configuration makes fatal (ksql.timestamp.throw.on.invalid),
     * or one that fails a ksqlDB query (a DECIMAL SUM that overflows):
     * the run stops; NULL treats it as a processing error */
    void (*fatal_error)(void *ctx, const sl_record *source, const char *message);
    /* the task is about to run one query (for a record, or its end-of-batch
     * flush): what it reports until the next call is that query's, so a
     * processing-log entry names its query. NULL: not needed. */
    void (*query_begin)(void *ctx, const char *query_id);
    /* the fate of the record being processed; NULL: not counted */
    void (*fate)(void *ctx, sl_fate fate);
} sl_collector;

static inline void sl_report_fate(const sl_collector *out, sl_fate fate)
{
    if (out->fate)
        out->fate(out->ctx, fate);
}

#endif
