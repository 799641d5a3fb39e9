/* The key a repartitioned record is sent with (see repartition.h). The
 * record is decoded without reporting anything: a record that cannot be
 * decoded, or a tombstone, stays where it is (SL_PARTITION_DIRECT) and the
 * task that reads it reports or drops it on the direct path. */
#include "ops/repartition.h"

#include "common/valcodec.h"
#include "ops/source.h"
#include "serde/serde.h"
#include "sql/plan_aggregate.h"
#include "sql/plan_join.h"

static void ignore_decode_error(void *ctx, const sl_record *src, const char *msg)
{
    (void)ctx;
    (void)src;
    (void)msg;
}

void sl_repartition_group_key(const sl_query *q, const sl_value *row, sl_arena *a, sl_strbuf *out)
{
    const sl_agg_plan *p = q->agg;
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_strbuf_reset(out);
    for (int i = 0; i < p->nkeys; i++) {
        sl_value v;
        sl_cexpr_eval(p->key_exprs[i], &ctx, &v);
        sl_valcodec_put(out, &v);
    }
}

/* the join key of a record of side, written as the keyed side's key format
 * writes keys (valcodec when neither side is keyed by it) */
static sl_partition_key_kind join_key(const sl_query *q, int side, const sl_record *in, sl_arena *a, sl_strbuf *out)
{
    const sl_join_plan *p = q->join;
    const sl_join_side *sd = &p->side[side];
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    bool deleted;
    /* decode without reporting: the direct path reports bad records */
    sl_collector quiet = {.processing_error = ignore_decode_error};
    if (!sl_source_decode(sd->src, in, row + sd->base, &deleted, a, &quiet) || deleted)
        return SL_PARTITION_DIRECT;
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value key;
    sl_cexpr_eval(sd->expr, &ctx, &key);
    if (key.null)
        return SL_PARTITION_NULL;
    /* the other side's keys are where the match lives: write this key as
     * they are written so that the partitioner sends it to their partition */
    const sl_source *keyed = p->side[!side].keyed ? p->side[!side].src : NULL;
    sl_strbuf_reset(out);
    if (keyed && keyed->nkey == 1 && !sl_serde_encode(keyed->key_serde, &key, out, &err))
        return SL_PARTITION_KEYED;
    sl_strbuf_reset(out);
    sl_valcodec_put(out, &key);
    return SL_PARTITION_KEYED;
}

sl_partition_key_kind sl_query_partition_key(const sl_query *q, int side, const sl_record *in, sl_arena *a,
                                             sl_strbuf *out)
{
    if (q->join)
        return join_key(q, side, in, a, out);
    if (!q->agg)
        return SL_PARTITION_DIRECT;
    sl_value *row = sl_arena_alloc(a, (size_t)(q->row_width + q->ntf + 1) * sizeof *row);
    bool deleted;
    sl_collector quiet = {.processing_error = ignore_decode_error};
    if (!sl_source_decode(q->source, in, row, &deleted, a, &quiet) || deleted)
        return SL_PARTITION_DIRECT;
    /* (NULL grouping keys are written too: the aggregation drops them) */
    sl_repartition_group_key(q, row, a, out);
    return SL_PARTITION_KEYED;
}
