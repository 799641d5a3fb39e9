/* Per-query accounting of what became of each input record.
 *
 * A stream processor's worst failure is a record dropped without a trace,
 * and no test of outputs sees it: the record simply is not there. So every
 * operator reports the fate of each record it reads (record.h, sl_fate) at
 * the place it decides it, and the task counts them per query through a
 * collector that wraps the driver's. A record that ends in no fate, or in
 * two, is counted apart: for a correct operator both counts stay 0, and
 * read = passed + filtered + late + failed + (forwarded still in flight).
 * `sluice test --stats` prints these counts; the differential tests check
 * the invariant and compare the counts with the reference model's. */
#ifndef SL_FATE_H
#define SL_FATE_H

#include <stdint.h>

#include "ops/record.h"

typedef struct sl_query_stats {
    uint64_t read;                 /* records of the query's sources it read */
    int64_t fate[SL_FATE_COUNT];   /* [SL_FATE_FORWARDED]: sent to a repartition topic and not yet read back */
    uint64_t processing_errors;    /* processing-log entries the query wrote */
    uint64_t unaccounted;          /* records that ended in no fate: a bug */
    uint64_t overcounted;          /* records given more than one fate: a bug */
} sl_query_stats;

/* Wraps a driver's collector for one record in one query. */
typedef struct sl_fate_tally {
    sl_collector wrapped; /* what the operator reports to */
    const sl_collector *inner;
    int fates;
    int errors;
    sl_fate fate[2];
} sl_fate_tally;

void sl_fate_tally_begin(sl_fate_tally *t, const sl_collector *inner);
/* adds the record's fates to stats; a record read from a source (read) or
 * back from a repartition topic must have had exactly one */
void sl_fate_tally_end(const sl_fate_tally *t, sl_query_stats *stats, bool read);
void sl_query_stats_add(sl_query_stats *into, const sl_query_stats *from);

#endif
