/* EMIT FINAL: a window (a session) is emitted once stream time - grace
 * passes its end, as Kafka Streams' on-window-close emission reads it from
 * its store: the windows closing together in the store's order. */
#include "ops/aggregate_final.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"
#include "ops/sink.h"
#include "ops/window.h"
#include "serde/serde.h"
#include "state/store.h"

void agg_add_pending(sl_agg_state *s, const void *key, size_t klen, int64_t end)
{
    /* one entry per session (key, start, end): a session that grew is a new
     * one, and the old may stay in the store beside it (hidden from lookups
     * by the retention, still emitted at its close) */
    for (size_t i = 0; i < s->npending; i++)
        if (s->pending_len[i] == klen && s->pending_end[i] == end && !memcmp(s->pending[i], key, klen))
            return;
    if (s->npending == s->cappending) {
        s->cappending = s->cappending ? s->cappending * 2 : 16;
        s->pending = realloc(s->pending, s->cappending * sizeof *s->pending);
        s->pending_len = realloc(s->pending_len, s->cappending * sizeof *s->pending_len);
        s->pending_end = realloc(s->pending_end, s->cappending * sizeof *s->pending_end);
        if (!s->pending || !s->pending_len || !s->pending_end) {
            fprintf(stderr, "sluice: out of memory\n");
            abort();
        }
    }
    s->pending[s->npending] = malloc(klen);
    memcpy(s->pending[s->npending], key, klen);
    s->pending_len[s->npending] = klen;
    s->pending_end[s->npending] = end;
    s->npending++;
}

/* decodes a store key of a time window back into group key values + start */
bool agg_decode_window_key(const sl_query *q, const char *key, size_t klen, sl_value *keys, int64_t *start,
                           sl_arena *a)
{
    const sl_agg_plan *p = q->agg;
    size_t pos = 0;
    if (klen < 8)
        return false;
    for (int i = 0; i < p->nkeys; i++)
        if (!sl_valcodec_get((const unsigned char *)key, klen - 8, &pos, a, &keys[i]))
            return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | (unsigned char)key[klen - 8 + i];
    *start = (int64_t)v;
    return true;
}

void agg_drop_pending(sl_agg_state *s, size_t i)
{
    free(s->pending[i]);
    s->npending--;
    s->pending[i] = s->pending[s->npending];
    s->pending_len[i] = s->pending_len[s->npending];
    s->pending_end[i] = s->pending_end[s->npending];
}

static int due_cmp(const void *x, const void *y)
{
    const due_result *a = x, *b = y;
    if (a->t1 != b->t1)
        return a->t1 < b->t1 ? -1 : 1;
    if (a->t2 != b->t2)
        return a->t2 < b->t2 ? -1 : 1;
    size_t n = a->order_len < b->order_len ? a->order_len : b->order_len;
    int c = n ? memcmp(a->order, b->order, n) : 0;
    if (c)
        return c;
    return a->order_len < b->order_len ? -1 : a->order_len > b->order_len;
}

static void due_set_order(const sl_query *q, sl_agg_state *s, due_result *d, sl_arena *a)
{
    sl_error err;
    sl_error_init(&err);
    sl_strbuf_reset(&s->kb);
    if (sl_serde_encode(q->sink->key_serde, d->keys, &s->kb, &err)) {
        d->order = "";
        d->order_len = 0;
        return;
    }
    d->order = sl_arena_strndup(a, s->kb.data ? s->kb.data : "", s->kb.len);
    d->order_len = s->kb.len;
}

void agg_emit_due(const sl_query *q, sl_agg_state *s, due_result *due, size_t n, bool session, sl_arena *a,
                  sl_query_emitter *em)
{
    for (size_t i = 0; i < n; i++)
        due_set_order(q, s, &due[i], a);
    if (n > 1)
        qsort(due, n, sizeof *due, due_cmp);
    for (size_t i = 0; i < n; i++) {
        int64_t w[2];
        if (session) {
            w[0] = due[i].t2;
            w[1] = due[i].t1;
        } else {
            w[0] = due[i].t1;
            w[1] = due[i].t1 + q->agg->window.size_ms;
        }
        /* no old value: a result failing HAVING is no tombstone */
        agg_emit_result_if(q, due[i].keys, &due[i].agg, w, a, em, false);
    }
}

static bool same_windows(const sl_agg_plan *p, int64_t a_ts, int64_t b_ts)
{
    int64_t size = p->window.size_ms;
    int64_t adv = p->window.kind == SL_WINDOW_HOPPING ? p->window.advance_ms : size;
    /* the windows containing a time are the aligned starts in (t - size, t]
     * (and >= 0): equal sets have the same first start and count */
    int64_t fa = a_ts - size + adv < 0 ? 0 : (a_ts - size + adv) / adv * adv;
    int64_t fb = b_ts - size + adv < 0 ? 0 : (b_ts - size + adv) / adv * adv;
    int64_t na = fa <= a_ts ? (a_ts - fa) / adv + 1 : 0, nb = fb <= b_ts ? (b_ts - fb) / adv + 1 : 0;
    return na == nb && (na == 0 || fa == fb);
}

/* Time windows: when the close time (stream time - grace) has advanced,
 * the windows with start in (last close - size, close - size] still in
 * the store (start >= clock - retention) are emitted. As Kafka Streams,
 * nothing is read (and the last close stays) while no window boundary
 * lies in that range. */
void agg_flush_final_time(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em)
{
    const sl_agg_plan *p = q->agg;
    int64_t size = p->window.size_ms;
    if (sl_store_stream_time(s->store) == INT64_MIN)
        return;
    int64_t close = sl_store_stream_time(s->store) - p->grace;
    if (s->last_emit_close != INT64_MIN && close <= s->last_emit_close)
        return;
    int64_t upper = close - size;
    if (upper < 0)
        return;
    int64_t lower = 0;
    if (s->last_emit_close != INT64_MIN) {
        lower = (s->last_emit_close - size > 0 ? s->last_emit_close - size : 0) + 1;
        if (same_windows(p, upper, lower - 1))
            return;
    }
    s->last_emit_close = close;
    int64_t from = lower;
    if (s->store_clock != INT64_MIN && s->store_clock - p->retention > from)
        from = s->store_clock - p->retention;
    const char *key;
    size_t klen;
    int64_t start;
    due_result *due = NULL;
    size_t n = 0, cap = 0;
    while (sl_closing_windows_first(s->closing, &key, &klen, &start) && start <= upper) {
        if (start >= from) { /* else expired, or emitted before: never again */
            sl_value *keys = sl_arena_alloc(a, (size_t)(p->nkeys ? p->nkeys : 1) * sizeof *keys);
            int64_t w0;
            bool existed;
            /* decoded values may point into the key: a copy outlives the pop */
            key = sl_arena_strndup(a, key, klen);
            if (agg_decode_window_key(q, key, klen, keys, &w0, a)) {
                sl_value agg = agg_load_or_init(q, s, key, klen, a, &existed);
                if (existed) {
                    if (n == cap) {
                        size_t ncap = cap ? 2 * cap : 16;
                        due_result *nd = sl_arena_alloc(a, ncap * sizeof *nd);
                        if (n)
                            memcpy(nd, due, n * sizeof *nd);
                        due = nd;
                        cap = ncap;
                    }
                    due[n++] = (due_result){.t1 = w0, .t2 = w0, .keys = keys, .agg = agg};
                }
            }
        }
        sl_closing_windows_pop(s->closing);
    }
    agg_emit_due(q, s, due, n, false, a, em);
}

