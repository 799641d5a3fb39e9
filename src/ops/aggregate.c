/* Aggregation operator (see aggregate.h). Kafka Streams semantics:
 *  - a record whose grouping key has a NULL is dropped;
 *  - time windows: [start, start + size) aligned to the advance; a window
 *    accepts records while its end > stream time - grace (without GRACE
 *    PERIOD: max(24 hours - size, 0) under EMIT CHANGES, 0 under EMIT
 *    FINAL, as ksqlDB's StreamAggregateBuilder and RewrittenAnalysis set
 *    it); negative timestamps are dropped;
 *  - the store keeps windows and sessions for the retention (RETENTION,
 *    else size or gap + grace) as Kafka Streams' window and session stores
 *    do: its clock is the largest window start (session end) written; a
 *    time window that started before clock - retention has expired; a
 *    session is seen by lookups while its end >= clock - retention + 1 and
 *    kept until its segment (max(retention / 2, 60 s) of session ends)
 *    falls wholly before clock - retention; expired entries are swept from
 *    the store when that bound crosses a segment;
 *  - session windows merge every session the store shows within the gap
 *    of the record; merged-away sessions are retracted with tombstones, in
 *    the store's order (end, then start); a record at the time of a
 *    one-record session updates it in place;
 *  - the result's timestamp is the largest input timestamp aggregated;
 *  - EMIT FINAL emits a window once stream time - grace passes its end,
 *    as Kafka Streams' on-window-close emission reads it from the store:
 *    windows closing together in the store's order (time windows: start,
 *    then the serialized key; sessions: end, start, serialized key);
 *    emitted results stay in the store (a session can merge again and is
 *    emitted again);
 *  - HAVING is a table filter with old values: a result that fails it is a
 *    tombstone only when the previous result (a new time window's: the
 *    initial aggregate) passed;
 *  - EMIT CHANGES on time windows and without windows emits a group's
 *    result once per batch, at sl_agg_flush, from its state then: Kafka
 *    Streams' record cache. The driver would keep only the latest update
 *    per key of a table anyway; computing and encoding each intermediate
 *    one (five per record for a hopping window of five) was most of the
 *    cost of windowed queries. A batch of one record (sluice test,
 *    batch.max.records=1) emits exactly what it did record by record.
 *    Session windows, which retract merged sessions, emit at once. */
#include "ops/aggregate_final.h"
#include "ops/aggregate_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"
#include "ops/sink.h"
#include "ops/window.h"
#include "serde/serde.h"
#include "state/store.h"

sl_agg_state *sl_agg_state_new(const sl_query *q)
{
    sl_agg_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->store = sl_store_new(sl_plan_store_of(q, SL_STORE_AGGREGATE)->name); /* as the plan declares it */
    s->last_emit_close = INT64_MIN;
    s->store_clock = INT64_MIN;
    s->swept_below = INT64_MIN;
    s->changed_index = sl_store_new("changed");
    s->changed_arena = sl_arena_new(64 * 1024);
    s->closing = sl_closing_windows_new();
    sl_strbuf_init(&s->kb);
    sl_strbuf_init(&s->vb);
    return s;
}

void sl_agg_state_destroy(sl_agg_state *s)
{
    if (!s)
        return;
    sl_store_destroy(s->store);
    sl_strbuf_free(&s->kb);
    sl_strbuf_free(&s->vb);
    for (size_t i = 0; i < s->npending; i++)
        free(s->pending[i]);
    free(s->pending);
    free(s->pending_len);
    free(s->pending_end);
    free(s->changed);
    sl_closing_windows_destroy(s->closing);
    sl_store_destroy(s->changed_index);
    sl_arena_destroy(s->changed_arena);
    free(s);
}

size_t sl_agg_state_memory(const sl_agg_state *s, size_t *entries)
{
    if (entries)
        *entries = sl_store_count(s->store);
    return sl_store_memory_bytes(s->store);
}

/* Removes what Kafka Streams' stores no longer hold, when the bound
 * clock - retention has crossed into a new segment since the last sweep:
 * time windows that started before it, sessions whose segment lies
 * wholly before it. */
static bool collect_key(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    (void)val;
    (void)vlen;
    sl_strbuf *keys = ctx;
    uint32_t n = (uint32_t)klen;
    sl_strbuf_append(keys, &n, sizeof n);
    sl_strbuf_append(keys, key, klen);
    return true;
}

static void sweep_expired(const sl_query *q, sl_agg_state *s, sl_arena *a)
{
    const sl_agg_plan *p = q->agg;
    if (!p->window.kind || s->store_clock == INT64_MIN)
        return;
    int64_t bound = s->store_clock - p->retention;
    if (s->swept_below != INT64_MIN && agg_segment_of(p, bound) <= agg_segment_of(p, s->swept_below))
        return;
    s->swept_below = bound;
    sl_strbuf keys;
    sl_strbuf_init(&keys);
    sl_store_foreach(s->store, collect_key, &keys);
    size_t pos = 0;
    while (pos + sizeof(uint32_t) <= keys.len) {
        uint32_t klen;
        memcpy(&klen, keys.data + pos, sizeof klen);
        const char *key = keys.data + pos + sizeof klen;
        pos += sizeof klen + klen;
        if (p->window.kind != SL_WINDOW_SESSION) {
            if (klen < 8)
                continue;
            uint64_t v = 0;
            for (int i = 0; i < 8; i++)
                v = v << 8 | (unsigned char)key[klen - 8 + i];
            if ((int64_t)v < bound)
                sl_store_delete(s->store, key, klen);
            continue;
        }
        sl_value sessions = agg_load_sessions(s, key, klen, a);
        uint32_t nleft = 0;
        for (uint32_t i = 0; i < sessions.u.c.n; i++)
            if (agg_session_segment_live(p, s, SESSION_END(&sessions.u.c.items[i])))
                sessions.u.c.items[nleft++] = sessions.u.c.items[i];
        if (nleft == sessions.u.c.n)
            continue;
        sessions.u.c.n = nleft;
        if (nleft)
            agg_store_put(s, key, klen, &sessions);
        else
            sl_store_delete(s->store, key, klen);
    }
    sl_strbuf_free(&keys);
}

static bool eval_inputs(const sl_query *q, const sl_value *row, sl_arena *a, sl_query_emitter *em, sl_value **keys_out,
                        const sl_value ***argv_out)
{
    const sl_agg_plan *p = q->agg;
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value *keys = sl_arena_alloc(a, (size_t)p->nkeys * sizeof *keys);
    for (int i = 0; i < p->nkeys; i++) {
        sl_cexpr_eval(p->key_exprs[i], &ctx, &keys[i]);
        if (keys[i].null) {
            /* dropped, as ksqlDB drops it, with its processing-log entry */
            char msg[200];
            snprintf(msg, sizeof msg,
                     "Group-by column with index %d resolved to null. The source row will be excluded from the table.",
                     i);
            em->out->processing_error(em->out->ctx, em->source, ctx.errors ? err.msg : msg);
            return false;
        }
    }
    const sl_value **argv = sl_arena_alloc(a, (size_t)(p->naggs ? p->naggs : 1) * sizeof *argv);
    for (int i = 0; i < p->naggs; i++) {
        sl_value *vals = sl_arena_alloc(a, (size_t)(p->argc[i] ? p->argc[i] : 1) * sizeof *vals);
        for (int k = 0; k < p->argc[i]; k++)
            sl_cexpr_eval(p->args[i][k], &ctx, &vals[k]);
        argv[i] = vals;
    }
    if (ctx.errors && em->out->processing_error)
        em->out->processing_error(em->out->ctx, em->source, err.msg);
    *keys_out = keys;
    *argv_out = argv;
    return true;
}

/* the group's result goes out at the batch's flush; passed is whether
 * HAVING held before this change, kept from the batch's first change */
static void note_change(sl_agg_state *s, const char *key, size_t klen, bool passed, const int64_t *window,
                        const sl_record *source)
{
    size_t vlen, slot;
    const void *found = sl_store_get(s->changed_index, key, klen, &vlen);
    if (found) {
        memcpy(&slot, found, sizeof slot);
    } else {
        if (s->nchanged == s->capchanged) {
            s->capchanged = s->capchanged ? 2 * s->capchanged : 256;
            s->changed = realloc(s->changed, s->capchanged * sizeof *s->changed);
            if (!s->changed) {
                fprintf(stderr, "sluice: out of memory\n");
                abort();
            }
        }
        slot = s->nchanged++;
        sl_store_put(s->changed_index, key, klen, &slot, sizeof slot);
        struct changed_group *g = &s->changed[slot];
        g->key = sl_arena_strndup(s->changed_arena, key, klen);
        g->klen = klen;
        g->passed = passed;
        g->windowed = window != NULL;
        if (window) {
            g->window[0] = window[0];
            g->window[1] = window[1];
        }
        g->source.topic = NULL;
    }
    struct changed_group *g = &s->changed[slot];
    if (source) {
        if (!g->source.topic || strcmp(g->source.topic, source->topic))
            g->source.topic = sl_arena_strdup(s->changed_arena, source->topic);
        g->source.partition = source->partition;
        g->source.offset = source->offset;
        g->source.timestamp = source->timestamp;
    }
}

static bool decode_keys(const sl_query *q, const char *key, size_t klen, sl_value *keys, sl_arena *a)
{
    size_t pos = 0;
    for (int i = 0; i < q->agg->nkeys; i++)
        if (!sl_valcodec_get((const unsigned char *)key, klen, &pos, a, &keys[i]))
            return false;
    return pos == klen;
}

static void flush_final(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em)
{
    if (q->agg->window.kind != SL_WINDOW_SESSION)
        agg_flush_final_time(q, s, a, em);
    else
        agg_flush_final_session(q, s, a, em);
}

void sl_agg_flush(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em)
{
    const sl_agg_plan *p = q->agg;
    if (s->flushing)
        return;
    s->flushing = true;
    for (size_t i = 0; i < s->nchanged; i++) {
        struct changed_group *g = &s->changed[i];
        sl_value *keys = sl_arena_alloc(a, (size_t)(p->nkeys ? p->nkeys : 1) * sizeof *keys);
        int64_t start;
        bool ok = g->windowed ? agg_decode_window_key(q, g->key, g->klen, keys, &start, a)
                              : decode_keys(q, g->key, g->klen, keys, a);
        bool existed;
        sl_value agg = agg_load_or_init(q, s, g->key, g->klen, a, &existed);
        if (!ok || !existed)
            continue;
        sl_record source = {.topic = g->source.topic, .partition = g->source.partition,
                            .offset = g->source.offset, .timestamp = g->source.timestamp};
        sl_query_emitter at = *em;
        at.source = g->source.topic ? &source : em->source;
        agg_emit_result_if(q, keys, &agg, g->windowed ? g->window : NULL, a, &at, g->passed);
    }
    s->flushing = false;
    if (s->nchanged) {
        s->nchanged = 0;
        sl_store_destroy(s->changed_index);
        s->changed_index = sl_store_new("changed");
        sl_arena_reset(s->changed_arena);
    }
}

static char *encode_keys(const sl_query *q, const sl_value *keys, sl_arena *a, size_t *len)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    for (int i = 0; i < q->agg->nkeys; i++)
        sl_valcodec_put(&sb, &keys[i]);
    char *k = sl_arena_strndup(a, sb.data ? sb.data : "", sb.len);
    *len = sb.len;
    sl_strbuf_free(&sb);
    return k;
}

/* one record's change to the groups; returns its fate */
static sl_fate aggregate_record(const sl_query *q, sl_agg_state *s, const sl_value *old_row, const sl_value *row,
                                int64_t ts, sl_arena *a, sl_query_emitter *em)
{
    const sl_agg_plan *p = q->agg;
    sl_value *keys = NULL, *okeys = NULL;
    const sl_value **argv = NULL, **oargv = NULL;
    bool has_new = row && eval_inputs(q, row, a, em, &keys, &argv);
    bool has_old = old_row && eval_inputs(q, old_row, a, em, &okeys, &oargv);
    /* between batches (a window changed in this batch is emitted at its
     * flush, as a record cache would, even if it has expired since) */
    if (!s->nchanged)
        sweep_expired(q, s, a);
    if (!has_new && !has_old)
        return SL_FATE_FILTERED;
    if (p->window.kind && ts < 0)
        return SL_FATE_FILTERED; /* Kafka Streams drops negative timestamps in windows */
    sl_store_advance_stream_time(s->store, ts);
    size_t gklen = 0, ogklen = 0;
    char *gk = has_new ? encode_keys(q, keys, a, &gklen) : NULL;
    char *ogk = has_old ? encode_keys(q, okeys, a, &ogklen) : NULL;
    if (!p->window.kind) {
        bool existed;
        if (has_old && !(has_new && gklen == ogklen && !memcmp(gk, ogk, gklen))) {
            /* the row left its old group: retract it there */
            sl_value agg = agg_load_or_init(q, s, ogk, ogklen, a, &existed);
            bool was = existed && agg_having_passes(q, okeys, &agg, NULL, a);
            agg_fold(q, &agg, oargv, ts, -1, a);
            agg_store_put(s, ogk, ogklen, &agg);
            note_change(s, ogk, ogklen, was, NULL, em->source);
            has_old = false;
        }
        if (!has_new)
            return SL_FATE_PASSED;
        sl_value agg = agg_load_or_init(q, s, gk, gklen, a, &existed);
        bool was = existed && agg_having_passes(q, keys, &agg, NULL, a);
        if (has_old)
            agg_fold(q, &agg, oargv, ts, -1, a);
        const char *overflow = agg_fold(q, &agg, argv, ts, 1, a);
        if (overflow)
            return agg_overflowed(em, overflow);
        agg_store_put(s, gk, gklen, &agg);
        note_change(s, gk, gklen, was, NULL, em->source);
        return SL_FATE_PASSED;
    }
    if (!has_new)
        return SL_FATE_FILTERED;
    if (p->window.kind == SL_WINDOW_SESSION) {
        sl_fate fate = agg_process_session(q, s, keys, gk, gklen, argv, ts, a, em);
        if (p->emit_final)
            flush_final(q, s, a, em);
        return fate;
    }
    int64_t size = p->window.size_ms;
    int64_t adv = p->window.kind == SL_WINDOW_HOPPING ? p->window.advance_ms : size;
    /* a hopping window of size / advance windows per record: no cap */
    int maxw = (int)(size / adv + 1);
    int64_t *starts = sl_arena_alloc(a, (size_t)maxw * sizeof *starts);
    int nw = sl_window_starts(size, adv, ts, starts, maxw);
    int open_windows = 0;
    for (int wi = 0; wi < nw; wi++) {
        int64_t start = starts[wi], end = start + size;
        if (!sl_window_open(end, p->grace, sl_store_stream_time(s->store))) {
            s->late_dropped++;
            continue; /* window closed: the record is late for it */
        }
        open_windows++;
        sl_strbuf_reset(&s->kb);
        sl_strbuf_append(&s->kb, gk, gklen);
        agg_put_be64(&s->kb, start);
        bool existed;
        int64_t w[2] = {start, end};
        sl_value agg = agg_load_or_init(q, s, s->kb.data, s->kb.len, a, &existed);
        /* a new window's old value is the initial aggregate (Kafka Streams
         * forwards it as the change's old value) */
        bool was = agg_having_passes(q, keys, &agg, w, a);
        const char *overflow = agg_fold(q, &agg, argv, ts, 1, a);
        if (overflow)
            return agg_overflowed(em, overflow);
        agg_store_put(s, s->kb.data, s->kb.len, &agg);
        agg_note_clock(s, start);
        if (p->emit_final)
            sl_closing_windows_add(s->closing, s->kb.data, s->kb.len, start);
        else
            note_change(s, s->kb.data, s->kb.len, was, w, em->source);
    }
    if (p->emit_final)
        flush_final(q, s, a, em);
    return open_windows ? SL_FATE_PASSED : SL_FATE_LATE;
}

void sl_agg_process(const sl_query *q, sl_agg_state *s, const sl_value *old_row, const sl_value *row, int64_t ts,
                    sl_arena *a, sl_query_emitter *em)
{
    sl_report_fate(em->out, aggregate_record(q, s, old_row, row, ts, a, em));
}

void sl_agg_state_foreach_store(sl_agg_state *s, sl_store_each_fn fn, void *ctx)
{
    fn(ctx, s->store);
}

typedef struct restore_scan {
    const sl_query *q;
    sl_agg_state *s;
    int64_t close;
    sl_arena *arena;
} restore_scan;

static bool note_restored_window(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    restore_scan *r = ctx;
    const sl_agg_plan *p = r->q->agg;
    if (klen < 8)
        return true;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | ((const unsigned char *)key)[klen - 8 + i];
    int64_t start = (int64_t)v;
    (void)val;
    (void)vlen;
    agg_note_clock(r->s, start);
    if (p->emit_final && start + p->window.size_ms > r->close)
        sl_closing_windows_add(r->s->closing, key, klen, start);
    return true;
}

static bool note_restored_sessions(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    restore_scan *r = ctx;
    const sl_agg_plan *p = r->q->agg;
    sl_value sessions;
    size_t pos = 0;
    sl_arena_reset(r->arena);
    if (!sl_valcodec_get(val, vlen, &pos, r->arena, &sessions) || sessions.kind != SL_ARRAY)
        return true;
    for (uint32_t i = 0; i < sessions.u.c.n; i++) {
        const sl_value *se = &sessions.u.c.items[i];
        agg_note_clock(r->s, SESSION_END(se));
        if (p->emit_final && SESSION_END(se) >= r->close) {
            sl_strbuf_reset(&r->s->kb);
            sl_strbuf_append(&r->s->kb, key, klen);
            agg_put_be64(&r->s->kb, SESSION_START(se));
            agg_add_pending(r->s, r->s->kb.data, r->s->kb.len, SESSION_END(se));
        }
    }
    return true;
}

/* What windowed aggregation keeps beside the store, rebuilt from it after
 * a restore: the store's clock (the latest window start or session end
 * written), and under EMIT FINAL the results not emitted yet (the stored
 * windows and sessions that had not closed at the restored stream time;
 * everything up to that close was emitted). */
void sl_agg_state_after_restore(const sl_query *q, sl_agg_state *s)
{
    const sl_agg_plan *p = q->agg;
    int64_t st = sl_store_stream_time(s->store);
    if (!p->window.kind || st == INT64_MIN)
        return;
    restore_scan r = {q, s, st - p->grace, NULL};
    if (p->window.kind == SL_WINDOW_SESSION) {
        r.close -= p->window.size_ms;
        r.arena = sl_arena_new(4096);
        sl_store_foreach(s->store, note_restored_sessions, &r);
        sl_arena_destroy(r.arena);
    } else {
        sl_store_foreach(s->store, note_restored_window, &r);
    }
    /* nothing was emitted while no time window could have closed */
    if (p->emit_final && (p->window.kind == SL_WINDOW_SESSION || r.close - p->window.size_ms >= 0))
        s->last_emit_close = r.close;
}

void sl_agg_state_stats(const sl_agg_state *s, sl_store_stats *into)
{
    if (s)
        sl_store_add_stats(s->store, into);
}

uint64_t sl_agg_state_late(const sl_agg_state *s)
{
    return s ? s->late_dropped : 0;
}
