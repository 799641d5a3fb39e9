/* The Kafka driver of `sluice run` (and `sluice demo`): one worker that
 * polls its partitions into micro-batches, runs each batch through the
 * topology's tasks and commits it as one Kafka transaction holding the
 * outputs and the input offsets (exactly_once_v2), or, at_least_once,
 * commits offsets after the outputs are acknowledged. */
#ifndef SL_KAFKA_DRIVER_H
#define SL_KAFKA_DRIVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "ops/topology.h"

typedef struct sl_driver_stats {
    int64_t records_in, records_out, batches, failed_records, aborted_batches, changelog_records;
} sl_driver_stats;

/* Live counts of committed work, for a caller that must know when the
 * driver has caught up (sluice test --bootstrap): input records of
 * committed batches, and of those the records the queries wrote to topics
 * they read themselves (chained queries), which come back as input. */
typedef struct sl_driver_progress {
    _Atomic int64_t committed_in, committed_chained;
} sl_driver_progress;

typedef struct sl_worker_metrics sl_worker_metrics; /* runtime/metrics.h */

typedef struct sl_driver_options {
    const sl_config *config;
    const sl_topology *topology;
    const char *bootstrap; /* overrides bootstrap.servers (demo) */
    bool exactly_once;
    volatile sig_atomic_t *stop; /* set by signal handlers */
    /* SIGHUP: answered by worker 0 between batches (NULL: ignored) */
    volatile sig_atomic_t *hangup;
    const char *instance_id;     /* with thread_index, the transactional.id */
    const char *snapshot_dir;    /* store snapshots; NULL for none */
    int thread_index;
    sl_driver_stats *stats;      /* may be NULL */
    sl_driver_progress *progress; /* may be NULL */
    sl_worker_metrics *metrics;   /* for the operations endpoint; may be NULL */
} sl_driver_options;

/* Runs until *stop is set; returns the process exit code (0 after a clean
 * shutdown, 1 on a fatal Kafka error such as being fenced). */
int sl_kafka_run(const sl_driver_options *opts);

#endif
