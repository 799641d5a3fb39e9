/* The aggregation's state, as its parts share it: the store's entries
 * (a group's or window's aggregate, read or initialised, folded, written),
 * a result through HAVING to the sink, and the window store's clock and
 * segments, which decide what has expired. */
#include "ops/aggregate_state.h"

#include <string.h>

#include "common/valcodec.h"
#include "ops/sink.h"

/* value layout in the store: STRUCT(maxts BIGINT, states...) */
sl_value agg_load_or_init(const sl_query *q, sl_agg_state *s, const void *key, size_t klen, sl_arena *a,
                          bool *existed)
{
    const sl_agg_plan *p = q->agg;
    size_t vlen;
    const void *v = sl_store_get(s->store, key, klen, &vlen);
    sl_value out;
    if (v) {
        size_t pos = 0;
        /* copy: the store's bytes may move on the next put */
        void *copy = sl_arena_alloc(a, vlen);
        memcpy(copy, v, vlen);
        if (sl_valcodec_get(copy, vlen, &pos, a, &out) && out.kind == SL_STRUCT &&
            out.u.c.n == (uint32_t)p->naggs + 1) {
            *existed = true;
            return out;
        }
    }
    *existed = false;
    out = sl_struct_new(a, (uint32_t)p->naggs + 1);
    out.u.c.items[0] = sl_bigint(INT64_MIN);
    for (int i = 0; i < p->naggs; i++)
        p->fns[i].udaf->init(&p->fns[i], &out.u.c.items[i + 1], a);
    return out;
}

static void build_post_row(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
                           sl_arena *a, sl_value *row)
{
    const sl_agg_plan *p = q->agg;
    row[0] = sl_bigint(window ? window[0] : 0);
    row[1] = sl_bigint(window ? window[1] : 0);
    for (int i = 0; i < p->nkeys; i++)
        row[2 + i] = keys[i];
    for (int i = 0; i < p->naggs; i++)
        row[2 + p->nkeys + i] = p->fns[i].udaf->result(&p->fns[i], &agg->u.c.items[i + 1], a);
}

sl_fate agg_overflowed(sl_query_emitter *em, const char *message)
{
    if (em->out->fatal_error)
        em->out->fatal_error(em->out->ctx, em->source, message);
    else
        em->out->processing_error(em->out->ctx, em->source, message);
    return SL_FATE_FAILED;
}

bool agg_having_passes(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
                       sl_arena *a)
{
    const sl_agg_plan *p = q->agg;
    if (!p->having)
        return true;
    sl_value *row = sl_arena_alloc(a, (size_t)p->post_width * sizeof *row);
    build_post_row(q, keys, agg, window, a, row);
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value keep;
    sl_cexpr_eval(p->having, &ctx, &keep);
    return !keep.null && keep.u.b;
}

void agg_emit_result_if(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
                        sl_arena *a, sl_query_emitter *em, bool old_passed)
{
    const sl_agg_plan *p = q->agg;
    sl_value *row = sl_arena_alloc(a, (size_t)p->post_width * sizeof *row);
    build_post_row(q, keys, agg, window, a, row);
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    int64_t ts = agg->u.c.items[0].u.l;
    if (p->having) {
        sl_value keep;
        sl_cexpr_eval(p->having, &ctx, &keep);
        if (keep.null || !keep.u.b) {
            if (old_passed)
                sl_query_emit(q, keys, NULL, ts, window, a, em);
            return;
        }
    }
    sl_value *vals = sl_arena_alloc(a, (size_t)(q->ncols ? q->ncols : 1) * sizeof *vals);
    for (int i = 0; i < q->ncols; i++) {
        sl_cexpr_eval(q->cols[i].expr, &ctx, &vals[i]);
        if (vals[i].null)
            vals[i].kind = (uint8_t)q->cols[i].type->kind;
    }
    if (ctx.errors && em->out->processing_error)
        em->out->processing_error(em->out->ctx, em->source, err.msg);
    sl_query_emit(q, keys, vals, ts, window, a, em);
}

/* Java's long division (truncates toward zero), as segment ids are computed */
int64_t agg_segment_of(const sl_agg_plan *p, int64_t t)
{
    return t / p->segment;
}

/* A session whose segment lies wholly before clock - retention is gone
 * from Kafka Streams' session store (dropped with its segment). */
bool agg_session_segment_live(const sl_agg_plan *p, const sl_agg_state *s, int64_t end)
{
    return s->store_clock == INT64_MIN || agg_segment_of(p, end) >= agg_segment_of(p, s->store_clock - p->retention);
}
