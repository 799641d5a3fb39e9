/* Session windows (see aggregate.c's semantics): a record merges every
 * session its key's store shows within the gap, as Kafka Streams'
 * KStreamSessionWindowAggregate does; under EMIT FINAL closed sessions are
 * emitted in the store's order and stay in the store. */
#include "ops/aggregate_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"
#include "ops/aggregate_final.h"
#include "ops/sink.h"
#include "ops/window.h"
#include "serde/serde.h"
#include "state/store.h"

sl_value agg_load_sessions(sl_agg_state *s, const char *gk, size_t gklen, sl_arena *a)
{
    size_t vlen;
    const void *v = sl_store_get(s->store, gk, gklen, &vlen);
    sl_value sessions = sl_array_new(a, 0);
    if (v) {
        void *copy = sl_arena_alloc(a, vlen);
        memcpy(copy, v, vlen);
        size_t pos = 0;
        if (!sl_valcodec_get(copy, vlen, &pos, a, &sessions) || sessions.kind != SL_ARRAY)
            sessions = sl_array_new(a, 0);
    }
    return sessions;
}

/* found sessions in the store's order: end, then start */
static int session_order(const void *x, const void *y)
{
    const sl_value *a = *(const sl_value *const *)x, *b = *(const sl_value *const *)y;
    if (SESSION_END(a) != SESSION_END(b))
        return SESSION_END(a) < SESSION_END(b) ? -1 : 1;
    if (SESSION_START(a) != SESSION_START(b))
        return SESSION_START(a) < SESSION_START(b) ? -1 : 1;
    return 0;
}

sl_fate agg_process_session(const sl_query *q, sl_agg_state *s, const sl_value *keys, const char *gk,
                            size_t gklen, const sl_value *const *argv, int64_t ts, sl_arena *a,
                            sl_query_emitter *em)
{
    const sl_agg_plan *p = q->agg;
    int64_t gap = p->window.size_ms;
    int64_t st = sl_store_stream_time(s->store);
    sl_value sessions = agg_load_sessions(s, gk, gklen, a);
    /* the store shows sessions ending at or after ts - gap, and since
     * clock - retention + 1, starting at or before ts + gap */
    int64_t low = ts - gap;
    if (s->store_clock != INT64_MIN && s->store_clock - p->retention + 1 > low)
        low = s->store_clock - p->retention + 1;
    const sl_value **found = sl_arena_alloc(a, (size_t)(sessions.u.c.n + 1) * sizeof *found);
    uint32_t nfound = 0;
    for (uint32_t i = 0; i < sessions.u.c.n; i++) {
        const sl_value *se = &sessions.u.c.items[i];
        if (SESSION_END(se) >= low && SESSION_START(se) <= ts + gap)
            found[nfound++] = se;
    }
    if (nfound > 1)
        qsort(found, nfound, sizeof *found, session_order);
    int64_t start = ts, end = ts;
    sl_value merged;
    for (uint32_t i = 0; i < nfound; i++) {
        const sl_value *se = found[i];
        if (SESSION_START(se) < start)
            start = SESSION_START(se);
        if (SESSION_END(se) > end)
            end = SESSION_END(se);
        if (i == 0) {
            merged = sl_value_copy(a, &se->u.c.items[2]);
        } else {
            const sl_value *o = &se->u.c.items[2];
            if (o->u.c.items[0].u.l > merged.u.c.items[0].u.l)
                merged.u.c.items[0].u.l = o->u.c.items[0].u.l;
            for (int k = 0; k < p->naggs; k++)
                if (p->fns[k].udaf->merge)
                    p->fns[k].udaf->merge(&p->fns[k], &merged.u.c.items[k + 1], &o->u.c.items[k + 1], a);
        }
    }
    /* late: the merged session ends before stream time - gap - grace */
    if (end < st - gap - p->grace) {
        s->late_dropped++;
        return SL_FATE_LATE;
    }
    /* the merged sessions leave the store (unless the record falls on a
     * one-record session at its own time: updated in place) */
    bool in_place = start == ts && end == ts;
    int64_t w[2];
    for (uint32_t i = 0; i < nfound; i++) {
        const sl_value *se = found[i];
        agg_note_clock(s, SESSION_END(se));
        if (in_place || p->emit_final)
            continue;
        w[0] = SESSION_START(se);
        w[1] = SESSION_END(se);
        if (agg_having_passes(q, keys, &se->u.c.items[2], w, a))
            sl_query_emit(q, keys, NULL, SESSION_END(se), w, a, em);
    }
    if (!nfound) {
        merged = sl_struct_new(a, (uint32_t)p->naggs + 1);
        merged.u.c.items[0] = sl_bigint(INT64_MIN);
        for (int i = 0; i < p->naggs; i++)
            p->fns[i].udaf->init(&p->fns[i], &merged.u.c.items[i + 1], a);
    }
    const char *overflow = agg_fold(q, &merged, argv, ts, 1, a);
    if (overflow)
        return agg_overflowed(em, overflow);
    agg_note_clock(s, end);
    /* the rest of the key's sessions stay, but for those whose segment has
     * expired */
    sl_value keep = sl_array_new(a, sessions.u.c.n + 1);
    uint32_t nkeep = 0;
    for (uint32_t i = 0; i < sessions.u.c.n; i++) {
        const sl_value *se = &sessions.u.c.items[i];
        bool was_found = false;
        for (uint32_t k = 0; k < nfound && !was_found; k++)
            was_found = found[k] == se;
        /* the new session replaces one the store holds under the same
         * window but no longer shows (its end is before clock - retention
         * + 1): Kafka Streams' put overwrites it */
        bool replaced = SESSION_START(se) == start && SESSION_END(se) == end;
        if (!was_found && !replaced && agg_session_segment_live(p, s, SESSION_END(se)))
            keep.u.c.items[nkeep++] = *se;
    }
    sl_value ns = sl_struct_new(a, 3);
    ns.u.c.items[0] = sl_bigint(start);
    ns.u.c.items[1] = sl_bigint(end);
    ns.u.c.items[2] = merged;
    keep.u.c.items[nkeep++] = ns;
    keep.u.c.n = nkeep;
    agg_store_put(s, gk, gklen, &keep);
    w[0] = start;
    w[1] = end;
    if (p->emit_final) {
        /* remembered by group key, start and end; emitted once closed if it is
         * still a session then (a later record may merge it away) */
        sl_strbuf_reset(&s->kb);
        sl_strbuf_append(&s->kb, gk, gklen);
        agg_put_be64(&s->kb, start);
        agg_add_pending(s, s->kb.data, s->kb.len, end);
        return SL_FATE_PASSED;
    }
    /* the new session's old value is none: failing HAVING, nothing goes out */
    agg_emit_result_if(q, keys, &merged, w, a, em, false);
    return SL_FATE_PASSED;
}

/* Sessions under EMIT FINAL: when the close time (stream time - gap -
 * grace) advances, the sessions still in the store (in a live segment)
 * that ended in [last close, close) are emitted; they stay in the store. */
void agg_flush_final_session(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em)
{
    const sl_agg_plan *p = q->agg;
    if (sl_store_stream_time(s->store) == INT64_MIN)
        return;
    int64_t close = sl_store_stream_time(s->store) - p->grace - p->window.size_ms;
    if (s->last_emit_close != INT64_MIN && close <= s->last_emit_close)
        return;
    int64_t lower = s->last_emit_close == INT64_MIN || s->last_emit_close < 0 ? 0 : s->last_emit_close;
    int64_t upper = close - 1;
    if (upper < lower)
        return;
    s->last_emit_close = close;
    due_result *due = NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->npending; i++) {
        int64_t pend = s->pending_end[i];
        if (pend > upper)
            continue;
        if (pend >= lower && agg_session_segment_live(p, s, pend)) {
            sl_value *keys = sl_arena_alloc(a, (size_t)(p->nkeys ? p->nkeys : 1) * sizeof *keys);
            int64_t pstart;
            size_t gklen = s->pending_len[i] - 8;
            /* decoded values may point into the key: a copy outlives agg_drop_pending */
            const char *pkey = sl_arena_strndup(a, s->pending[i], s->pending_len[i]);
            if (agg_decode_window_key(q, pkey, s->pending_len[i], keys, &pstart, a)) {
                sl_value sessions = agg_load_sessions(s, pkey, gklen, a);
                for (uint32_t k = 0; k < sessions.u.c.n; k++) {
                    const sl_value *se = &sessions.u.c.items[k];
                    if (SESSION_START(se) == pstart && SESSION_END(se) == pend) {
                        if (!due)
                            due = sl_arena_alloc(a, s->npending * sizeof *due);
                        due[n++] = (due_result){.t1 = pend, .t2 = pstart, .keys = keys, .agg = se->u.c.items[2]};
                        break;
                    }
                }
            }
        }
        agg_drop_pending(s, i--);
    }
    agg_emit_due(q, s, due, n, true, a, em);
}
