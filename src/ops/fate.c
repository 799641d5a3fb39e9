/* The fate tally: a collector in front of the driver's that counts the
 * fates and processing-log entries of one record in one query and passes
 * everything else through unchanged. It lives on the stack of the call that
 * processes the record, so a driver that feeds outputs to chained queries
 * synchronously (sluice test) nests tallies without sharing one. */
#include "ops/fate.h"

static void tally_send(void *ctx, const sl_record *out)
{
    sl_fate_tally *t = ctx;
    t->inner->send(t->inner->ctx, out);
}

static void tally_processing_error(void *ctx, const sl_record *source, const char *message)
{
    sl_fate_tally *t = ctx;
    t->errors++;
    t->inner->processing_error(t->inner->ctx, source, message);
}

static void tally_fatal_error(void *ctx, const sl_record *source, const char *message)
{
    sl_fate_tally *t = ctx;
    t->inner->fatal_error(t->inner->ctx, source, message);
}

static void tally_query_begin(void *ctx, const char *query_id)
{
    sl_fate_tally *t = ctx;
    t->inner->query_begin(t->inner->ctx, query_id);
}

static void tally_fate(void *ctx, sl_fate fate)
{
    sl_fate_tally *t = ctx;
    if (t->fates < 2)
        t->fate[t->fates] = fate;
    t->fates++;
}

void sl_fate_tally_begin(sl_fate_tally *t, const sl_collector *inner)
{
    /* once per record and query: fields set one by one, nothing cleared twice */
    t->inner = inner;
    t->fates = 0;
    t->errors = 0;
    t->wrapped.send = tally_send;
    t->wrapped.processing_error = tally_processing_error;
    t->wrapped.ctx = t;
    /* a NULL fatal_error means "treat as a processing error": keep it */
    t->wrapped.fatal_error = inner->fatal_error ? tally_fatal_error : NULL;
    t->wrapped.query_begin = inner->query_begin ? tally_query_begin : NULL;
    t->wrapped.fate = tally_fate;
}

void sl_fate_tally_end(const sl_fate_tally *t, sl_query_stats *stats, bool read)
{
    if (read)
        stats->read++;
    stats->processing_errors += (uint64_t)t->errors;
    for (int i = 0; i < t->fates && i < 2; i++)
        stats->fate[t->fate[i]]++;
    if (t->fates == 0)
        stats->unaccounted++;
    else if (t->fates > 1)
        stats->overcounted++;
}

void sl_query_stats_add(sl_query_stats *into, const sl_query_stats *from)
{
    into->read += from->read;
    for (int i = 0; i < SL_FATE_COUNT; i++)
        into->fate[i] += from->fate[i];
    into->processing_errors += from->processing_errors;
    into->unaccounted += from->unaccounted;
    into->overcounted += from->overcounted;
}
