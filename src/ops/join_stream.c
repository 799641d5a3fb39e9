/* Stream-stream joins, as Kafka Streams' KStreamJoinWindow and
 * KStreamKStreamJoin processors compute them for ksqlDB.
 *
 * Each side's records with a key and a value go to its window store; the
 * store's stream time is the largest time put in it and a fetch sees only
 * records newer than that minus the retention (before + after + grace): a
 * late record is not dropped, it joins whatever the other store still
 * holds. A record of side s at time t matches the other side's records in
 * [t - before, t + after] when s is the side Kafka Streams calls left (the
 * left one; the right one for ksqlDB's RIGHT JOIN, which runs as `right
 * LEFT JOIN left`), [t - after, t + before] otherwise; the results come in
 * the order of the matches' times (ties in arrival order), each at the
 * larger of the two times.
 *
 * Unmatched records of an outer side: without a GRACE clause (the old
 * JoinWindows.of) they are emitted padded at once. With one, a record whose
 * window already ended before stream time is emitted at once; the others
 * wait in the outer store until a sweep finds their window closed, and are
 * dropped when a match comes first. The join's stream time counts every
 * record (tombstones and NULL keys too). A sweep runs for a record at
 * stream time unless minTime + after + grace >= stream time (the
 * processor's own `after`: the window's `before` for the other side; Java's
 * long arithmetic, so an empty store's MAX_VALUE wraps and sweeps); it walks
 * the store in key order (time, right side before left side, key bytes),
 * emits every entry whose window closed (time + look-back + grace < stream
 * time, the look-back being the window's `after` for the left side and
 * `before` for the right one), and stops once it met an open window on
 * both sides; minTime is left at the time of the last entry looked at.
 * Kafka Streams also throttles sweeps by wall-clock time (one per second by
 * default); ksqlDB's test runner sweeps at every chance and so does Sluice.
 * The outer store, its minTime and the stream time go to changelogs with
 * the window stores, so that a restored join sweeps as the lost one would.
 *
 * NULL keys (KIP-962): a record of an outer side with a NULL key and a
 * value is emitted padded at once; any other record without a key or value
 * only moves stream time. */
#include "ops/join_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/valcodec.h"
#include "ops/source.h"

#define MIN_TIME_KEY "M"    /* the outer store's minTime; entry keys are longer */
#define STREAM_TIME_KEY "T" /* ... and its stream time, again (see note_stream_time) */

static int64_t wrap_add(int64_t a, int64_t b, int64_t c)
{
    return (int64_t)((uint64_t)a + (uint64_t)b + (uint64_t)c);
}

/* ---------- window stores ---------- */

static int64_t visible_from(const sl_join_plan *p, sl_store *st, int64_t from)
{
    int64_t obs = sl_store_stream_time(st);
    if (obs == INT64_MIN)
        return from;
    int64_t lo = obs - p->retention + 1;
    return lo > from ? lo : from;
}

/* false when the record is too old for its own window store */
static bool window_put(const sl_join_plan *p, sl_join_state *s, int side, const char *k, size_t klen, int64_t ts,
                       const sl_value *half, int width, sl_arena *a)
{
    sl_store *st = s->store[side];
    sl_store_advance_stream_time(st, ts);
    int64_t lo = visible_from(p, st, INT64_MIN);
    if (ts < lo) {
        /* expired already: Kafka Streams' segmented store drops it */
        s->late_dropped++;
        return false;
    }
    sl_value buf = sl_join_load(st, k, klen, a);
    sl_value nb = sl_array_new(a, buf.u.c.n + 1);
    uint32_t n = 0;
    for (uint32_t i = 0; i < buf.u.c.n; i++)
        if (buf.u.c.items[i].u.c.items[0].u.l >= lo)
            nb.u.c.items[n++] = buf.u.c.items[i];
    nb.u.c.items[n++] = sl_join_entry(a, ts, half, width);
    nb.u.c.n = n;
    sl_join_save(s, st, k, klen, &nb);
    return true;
}

typedef struct match {
    int64_t ts;
    uint32_t order;
    const sl_value *row;
} match;

static int by_time(const void *x, const void *y)
{
    const match *a = x, *b = y;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* the other side's records of the key in [from, to] that its store still
 * shows, in time order (ties in arrival order) */
static match *fetch(const sl_join_plan *p, sl_join_state *s, int side, const char *k, size_t klen, int64_t from,
                    int64_t to, sl_arena *a, uint32_t *n)
{
    *n = 0;
    int64_t lo = visible_from(p, s->store[side], from);
    if (to < lo)
        return NULL;
    sl_value buf = sl_join_load(s->store[side], k, klen, a);
    if (!buf.u.c.n)
        return NULL;
    match *m = sl_arena_alloc(a, buf.u.c.n * sizeof *m);
    for (uint32_t i = 0; i < buf.u.c.n; i++) {
        int64_t ts = buf.u.c.items[i].u.c.items[0].u.l;
        if (ts >= lo && ts <= to)
            m[(*n)++] = (match){ts, i, buf.u.c.items[i].u.c.items[1].u.c.items};
    }
    qsort(m, *n, sizeof *m, by_time);
    return m;
}

/* ---------- the outer store ---------- */

static int64_t min_time(sl_join_state *s)
{
    size_t vlen;
    const unsigned char *v = sl_store_get(s->outer, MIN_TIME_KEY, 1, &vlen);
    if (!v || vlen != 8)
        return INT64_MAX;
    uint64_t t = 0;
    for (int i = 0; i < 8; i++)
        t = t << 8 | v[i];
    return (int64_t)t;
}

static void set_min_time(sl_join_state *s, int64_t t)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)t >> (56 - 8 * i));
    sl_store_put(s->outer, MIN_TIME_KEY, 1, b, 8);
}

/* The changelog carries a store's stream time with the changes of a batch:
 * a batch that only moves the join's stream time must change the store
 * too, so that a restored join has the time the lost one had */
static void note_stream_time(sl_join_state *s, int64_t t)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)t >> (56 - 8 * i));
    sl_store_put(s->outer, STREAM_TIME_KEY, 1, b, 8);
}

/* Windowed sources join when their keys match as Kafka Streams compares
 * them, byte for byte: the key with the window's start, and a session's
 * end too (a time window's end is not serialized, so windows of different
 * sizes with one start match). The window's bytes of a side's record, as
 * they follow the key (none for an unwindowed side): */
static size_t window_suffix(const sl_join_side *sd, const sl_value *half, char out[16])
{
    int nbounds = !sd->src->window_kind ? 0 : sd->src->window_kind == SL_WINDOW_SESSION ? 2 : 1;
    for (int b = 0; b < nbounds; b++) {
        uint64_t v = (uint64_t)half[sd->src->ncols + 3 + b].u.l;
        for (int i = 0; i < 8; i++)
            out[8 * b + i] = (char)(v >> (56 - 8 * i));
    }
    return 8 * (size_t)nbounds;
}

/* (time, Kafka Streams side, key bytes): the outer store's key */
static const char *outer_key(const sl_join_plan *p, sl_join_state *s, int64_t ts, bool ks_left, const sl_value *key,
                             const char *wsuffix, size_t wlen, sl_arena *a, size_t *len)
{
    sl_strbuf kb;
    sl_strbuf_init(&kb);
    sl_join_key_bytes(p->key_format, key, &kb);
    sl_strbuf_reset(&s->buf);
    for (int i = 0; i < 8; i++)
        sl_strbuf_putc(&s->buf, (char)((uint64_t)ts >> (56 - 8 * i)));
    sl_strbuf_putc(&s->buf, ks_left ? 1 : 0);
    sl_strbuf_append(&s->buf, kb.data ? kb.data : "", kb.len);
    sl_strbuf_append(&s->buf, wsuffix, wlen);
    sl_strbuf_free(&kb);
    *len = s->buf.len;
    return sl_arena_strndup(a, s->buf.data, *len);
}

typedef struct held {
    const unsigned char *key;
    size_t klen;
    const unsigned char *val;
    size_t vlen;
} held;

typedef struct held_list {
    held *items;
    size_t n, cap;
    sl_arena *a;
} held_list;

static bool collect_held(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    held_list *l = ctx;
    if (klen < 9)
        return true; /* minTime, stream time */
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        held *n = sl_arena_alloc(l->a, cap * sizeof *n);
        if (l->n)
            memcpy(n, l->items, l->n * sizeof *n);
        l->items = n;
        l->cap = cap;
    }
    unsigned char *kc = sl_arena_alloc(l->a, klen), *vc = sl_arena_alloc(l->a, vlen ? vlen : 1);
    memcpy(kc, key, klen);
    if (vlen)
        memcpy(vc, val, vlen);
    l->items[l->n++] = (held){kc, klen, vc, vlen};
    return true;
}

/* RocksDB's byte order: unsigned, a prefix first */
static int bytewise(const void *x, const void *y)
{
    const held *a = x, *b = y;
    size_t n = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(a->key, b->key, n);
    if (c)
        return c;
    return a->klen < b->klen ? -1 : a->klen > b->klen;
}

static int64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* emitNonJoinedOuterRecords of the processor whose own `after` is ja */
static void sweep(const sl_join_plan *p, sl_join_state *s, int64_t ja, int64_t stream_time, sl_join_out *o)
{
    sl_arena *a = o->arena;
    if (wrap_add(min_time(s), ja, p->grace) >= stream_time)
        return;
    held_list l = {NULL, 0, 0, a};
    sl_store_foreach(s->outer, collect_held, &l);
    if (l.n > 1)
        qsort(l.items, l.n, sizeof *l.items, bytewise);
    int64_t mt = INT64_MAX;
    bool open[2] = {false, false}; /* [0] right side, [1] left side (Kafka Streams') */
    bool *emitted = sl_arena_calloc(a, l.n + 1, sizeof *emitted);
    bool stop = false;
    for (size_t i = 0; i < l.n && !stop; i++) {
        int64_t ts = be64(l.items[i].key);
        bool ks_left = l.items[i].key[8] != 0;
        sl_value list = sl_array_new(a, 0);
        size_t pos = 0;
        unsigned char *copy = (unsigned char *)l.items[i].val;
        if (!sl_valcodec_get(copy, l.items[i].vlen, &pos, a, &list) || list.kind != SL_ARRAY)
            continue;
        for (uint32_t e = 0; e < list.u.c.n; e++) {
            mt = ts;
            if (open[0] && open[1]) {
                stop = true;
                break;
            }
            int64_t lookback = ks_left ? p->after : p->before;
            if (ts + lookback + p->grace >= stream_time) {
                open[ks_left] = true;
                continue;
            }
            int side = ks_left ? p->this_side : !p->this_side;
            const sl_value *entry = list.u.c.items[e].u.c.items;
            sl_value *row = sl_arena_alloc(a, (size_t)o->q->row_width * sizeof *row);
            sl_join_null_side(p, row, !side);
            memcpy(row + p->side[side].base, entry[1].u.c.items, (size_t)p->side[side].width * sizeof *row);
            sl_join_emit(o, row, &entry[0], ts);
            emitted[i] = true;
        }
    }
    for (size_t i = 0; i < l.n; i++)
        if (emitted[i])
            sl_store_delete(s->outer, l.items[i].key, l.items[i].klen);
    set_min_time(s, mt);
}

static void hold(const sl_join_plan *p, sl_join_state *s, int side, const sl_value *key, int64_t ts,
                 const sl_value *half, sl_arena *a)
{
    size_t klen;
    char wsuffix[16];
    size_t wlen = window_suffix(&p->side[side], half, wsuffix);
    const char *k = outer_key(p, s, ts, side == p->this_side, key, wsuffix, wlen, a, &klen);
    sl_value list = sl_join_load(s->outer, k, klen, a);
    sl_value nl = sl_array_new(a, list.u.c.n + 1);
    if (list.u.c.n)
        memcpy(nl.u.c.items, list.u.c.items, list.u.c.n * sizeof *nl.u.c.items);
    sl_value e = sl_struct_new(a, 2);
    e.u.c.items[0] = *key;
    sl_value r = sl_array_new(a, (uint32_t)p->side[side].width);
    memcpy(r.u.c.items, half, (size_t)p->side[side].width * sizeof *half);
    e.u.c.items[1] = r;
    nl.u.c.items[list.u.c.n] = e;
    sl_join_save(s, s->outer, k, klen, &nl);
    int64_t mt = min_time(s);
    if (ts < mt)
        set_min_time(s, ts);
}

/* ---------- a record ---------- */

sl_fate sl_join_process_stream(const sl_query *q, sl_join_state *s, int side, const sl_record *in, sl_join_out *o,
                               const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    const sl_join_side *sd = &p->side[side];
    int other = !side;
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    bool deleted;
    int64_t ts;
    if (!sl_join_decode_side(q, side, in, row, &deleted, &ts, a, out))
        return SL_FATE_FAILED;
    if (deleted)
        sl_source_log_null_value(sd->src, in, out);
    sl_value key = sl_join_side_key(q, side, row, deleted, in, a, out);
    const sl_value *half = row + sd->base;
    /* a match has the same window bytes: the store keys and the outer
     * store's key of either side carry them */
    char wsuffix[16];
    size_t wlen = window_suffix(sd, half, wsuffix);
    size_t klen = 0;
    const char *k = NULL;
    bool stored = false;
    if (!key.null) {
        k = sl_join_store_key(s, &key, a, &klen);
        if (wlen) {
            char *wk = sl_arena_alloc(a, klen + wlen);
            memcpy(wk, k, klen);
            memcpy(wk + klen, wsuffix, wlen);
            k = wk;
            klen += wlen;
        }
        if (!deleted)
            stored = window_put(p, s, side, k, klen, ts, half, sd->width, a); /* KStreamJoinWindow */
    }
    int64_t stream_time = ts;
    if (s->outer) {
        int64_t before = sl_store_stream_time(s->outer);
        sl_store_advance_stream_time(s->outer, ts);
        stream_time = sl_store_stream_time(s->outer);
        if (stream_time != before)
            note_stream_time(s, stream_time);
    }
    if (p->outer[side] && key.null && !deleted) {
        sl_join_emit(o, row, &key, ts);
        return SL_FATE_PASSED;
    }
    if (key.null || deleted)
        return SL_FATE_FILTERED;
    bool ks_left = side == p->this_side;
    int64_t jb = ks_left ? p->before : p->after, ja = ks_left ? p->after : p->before;
    if (s->outer && ts == stream_time)
        sweep(p, s, ja, stream_time, o);
    int64_t from = ts - jb > 0 ? ts - jb : 0, to = ts + ja > 0 ? ts + ja : 0;
    uint32_t n;
    match *m = fetch(p, s, other, k, klen, from, to, a, &n);
    const sl_join_side *od = &p->side[other];
    for (uint32_t i = 0; i < n; i++) {
        if (s->outer) {
            size_t oklen;
            const char *ok = outer_key(p, s, m[i].ts, other == p->this_side, &key, wsuffix, wlen, a, &oklen);
            sl_store_delete(s->outer, ok, oklen);
        }
        memcpy(row + od->base, m[i].row, (size_t)od->width * sizeof *row);
        sl_join_emit(o, row, &key, m[i].ts > ts ? m[i].ts : ts);
    }
    /* a record too old for its own store still joins what the other
     * side's store holds; with no match and no outer row it is late */
    if (!p->outer[side] || n)
        return n || stored ? SL_FATE_PASSED : SL_FATE_LATE;
    sl_join_null_side(p, row, other);
    if (!s->outer || to < stream_time)
        sl_join_emit(o, row, &key, ts);
    else
        hold(p, s, side, &key, ts, half, a);
    return SL_FATE_PASSED;
}
