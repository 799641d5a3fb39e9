/* Join operator: its state, and what the processors of every kind of join
 * share (decoding a side, its key, the stores' entries, emitting a result).
 * The processors are in join_stream.c (stream-stream) and join_table.c
 * (stream-table, table-table, foreign key); join_process.c hands a record
 * to the one its join needs; the plan is made in sql/plan_join.c. */
#include "ops/join_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/valcodec.h"
#include "ops/sink.h"
#include "ops/source.h"

/* ---------- state ---------- */

sl_join_state *sl_join_state_new(const sl_query *q)
{
    sl_join_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* the stores the plan declares (sql/plan_stores.c), by role; a
     * stream-table join has no store of the stream side */
    sl_store **slots[SL_STORE_ROLE_COUNT] = {[SL_STORE_JOIN_LEFT] = &s->store[0],
                                              [SL_STORE_JOIN_RIGHT] = &s->store[1],
                                              [SL_STORE_JOIN_OUTER] = &s->outer,
                                              [SL_STORE_FK_INDEX] = &s->fkindex};
    for (int i = 0; i < q->nstores; i++)
        if (slots[q->stores[i].role])
            *slots[q->stores[i].role] = sl_store_new(q->stores[i].name);
    sl_strbuf_init(&s->buf);
    return s;
}

void sl_join_state_destroy(sl_join_state *s)
{
    if (!s)
        return;
    sl_store_destroy(s->store[0]);
    sl_store_destroy(s->store[1]);
    sl_store_destroy(s->outer);
    sl_store_destroy(s->fkindex);
    sl_strbuf_free(&s->buf);
    free(s);
}

void sl_join_state_foreach_store(sl_join_state *s, sl_store_each_fn fn, void *ctx)
{
    for (int side = 0; side < 2; side++)
        if (s->store[side])
            fn(ctx, s->store[side]);
    if (s->outer)
        fn(ctx, s->outer);
    if (s->fkindex)
        fn(ctx, s->fkindex);
}

void sl_join_state_stats(const sl_join_state *s, sl_store_stats *into)
{
    if (!s)
        return;
    sl_store_add_stats(s->store[0], into);
    sl_store_add_stats(s->store[1], into);
    sl_store_add_stats(s->outer, into);
    sl_store_add_stats(s->fkindex, into);
    into->late_dropped += s->late_dropped;
}

/* ---------- store helpers ---------- */

sl_value sl_join_load(sl_store *st, const void *key, size_t klen, sl_arena *a)
{
    size_t vlen;
    const void *v = sl_store_get(st, key, klen, &vlen);
    sl_value out = sl_array_new(a, 0);
    if (!v)
        return out;
    unsigned char *copy = sl_arena_alloc(a, vlen);
    memcpy(copy, v, vlen);
    size_t pos = 0;
    if (sl_valcodec_get(copy, vlen, &pos, a, &out) && out.kind == SL_ARRAY)
        return out;
    return sl_array_new(a, 0);
}

void sl_join_save(sl_join_state *s, sl_store *st, const void *key, size_t klen, const sl_value *v)
{
    sl_strbuf_reset(&s->buf);
    sl_valcodec_put(&s->buf, v);
    sl_store_put(st, key, klen, s->buf.data, s->buf.len);
}

const char *sl_join_store_key(sl_join_state *s, const sl_value *key, sl_arena *a, size_t *len)
{
    sl_strbuf_reset(&s->buf);
    sl_valcodec_put(&s->buf, key);
    *len = s->buf.len;
    return sl_arena_strndup(a, s->buf.data ? s->buf.data : "", *len);
}

static void put_be(sl_strbuf *b, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        sl_strbuf_putc(b, (char)(v >> (8 * i)));
}

void sl_join_key_bytes(sl_format fmt, const sl_value *key, sl_strbuf *out)
{
    sl_strbuf_reset(out);
    if (fmt == SL_FORMAT_JSON) {
        switch (key->kind) {
        case SL_INT: sl_strbuf_printf(out, "%d", key->u.i); return;
        case SL_BIGINT: sl_strbuf_printf(out, "%lld", (long long)key->u.l); return;
        case SL_STRING:
            /* JSON text of a string: its bytes in quotes (order within a
             * prefix is what matters; escapes are rare in keys) */
            sl_strbuf_putc(out, '"');
            sl_strbuf_append(out, key->u.s.ptr, key->u.s.len);
            sl_strbuf_putc(out, '"');
            return;
        default: break;
        }
    } else {
        switch (key->kind) {
        case SL_INT: put_be(out, (uint32_t)key->u.i, 4); return;
        case SL_BIGINT: put_be(out, (uint64_t)key->u.l, 8); return;
        case SL_DOUBLE: {
            uint64_t bits;
            memcpy(&bits, &key->u.d, sizeof bits);
            put_be(out, bits, 8);
            return;
        }
        case SL_STRING:
        case SL_BYTES: sl_strbuf_append(out, key->u.s.ptr, key->u.s.len); return;
        default: break;
        }
    }
    sl_valcodec_put(out, key);
}

sl_value sl_join_entry(sl_arena *a, int64_t ts, const sl_value *half, int width)
{
    sl_value e = sl_struct_new(a, 2);
    e.u.c.items[0] = sl_bigint(ts);
    sl_value r = sl_array_new(a, (uint32_t)width);
    memcpy(r.u.c.items, half, (size_t)width * sizeof(sl_value));
    e.u.c.items[1] = r;
    return e;
}

/* ---------- decoding ---------- */

void sl_join_null_side(const sl_join_plan *p, sl_value *row, int side)
{
    const sl_join_side *sd = &p->side[side];
    const sl_source *src = sd->src;
    for (int i = 0; i < src->ncols; i++)
        row[sd->base + i] = sl_null(src->cols[i].type->kind);
    row[sd->base + src->ncols] = sl_null(SL_BIGINT);
    row[sd->base + src->ncols + 1] = sl_null(SL_INT);
    row[sd->base + src->ncols + 2] = sl_null(SL_BIGINT);
    if (src->window_kind) {
        row[sd->base + src->ncols + 3] = sl_null(SL_BIGINT);
        row[sd->base + src->ncols + 4] = sl_null(SL_BIGINT);
    }
}

bool sl_join_row_window(const sl_join_plan *p, const sl_value *row, int64_t window[2])
{
    const sl_source *l = p->side[0].src, *r = p->side[1].src;
    if (!l->window_kind)
        return false;
    const sl_value *lw = row + p->side[0].base + l->ncols + 3, *rw = row + p->side[1].base + r->ncols + 3;
    if (!lw[0].null) {
        window[0] = lw[0].u.l;
        window[1] = lw[1].u.l;
    } else {
        /* the left side absent: the right record's window, as the left
         * key format reads it (a time window's end from the left size) */
        window[0] = rw[0].u.l;
        window[1] = l->window_kind == SL_WINDOW_SESSION ? rw[1].u.l : rw[0].u.l + l->window_size_ms;
    }
    return true;
}

bool sl_join_decode_side(const sl_query *q, int side, const sl_record *in, sl_value *row, bool *deleted, int64_t *ts,
                         sl_arena *a, const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    const sl_join_side *sd = &p->side[side];
    if (!sl_source_decode(sd->src, in, row + sd->base, deleted, a, out))
        return false;
    sl_join_null_side(p, row, !side);
    *ts = in->timestamp;
    if (*deleted) {
        /* a tombstone: the key decoded, every other slot NULL */
        int nk = sd->src->nkey;
        sl_value *keep = sl_arena_alloc(a, (size_t)(nk ? nk : 1) * sizeof *keep);
        memcpy(keep, row + sd->base, (size_t)nk * sizeof *keep);
        sl_join_null_side(p, row, side);
        memcpy(row + sd->base, keep, (size_t)nk * sizeof *keep);
    }
    /* a tombstone's time: a TIMESTAMP key column gives it; a value column
     * cannot, which drops it with a processing-log entry, as ksqlDB does */
    if (!sl_time_extract(&p->time[side], row, in, a, out, ts))
        return false;
    if (*deleted)
        return true;
    row[sd->base + sd->src->ncols] = sl_bigint(*ts); /* ROWTIME is the extracted time */
    return true;
}

sl_value sl_join_side_key(const sl_query *q, int side, const sl_value *row, bool deleted, const sl_record *in,
                          sl_arena *a, const sl_collector *out)
{
    const sl_join_side *sd = &q->join->side[side];
    if (sd->keyed)
        return row[sd->key_slot];
    if (deleted)
        return sl_null(q->join->key_type->kind);
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value key;
    sl_cexpr_eval(sd->expr, &ctx, &key);
    if (ctx.errors)
        out->processing_error(out->ctx, in, err.msg);
    return key;
}

/* ---------- emitting ---------- */

void sl_join_emit(sl_join_out *o, const sl_value *row, const sl_value *key, int64_t ts)
{
    const sl_query *q = o->q;
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    sl_query_emitter *em = &o->em;
    /* the result's key columns: the join key, or a multi-column foreign
     * key join's left key columns in projection order */
    sl_value kv1[1] = {*key}, *kv = kv1;
    if (p->fk_nkey > 1) {
        kv = sl_arena_alloc(a, (size_t)p->fk_nkey * sizeof *kv);
        for (int i = 0; i < p->fk_nkey; i++)
            kv[i] = key->u.c.items[p->fk_key_col[i]];
    }
    if (!row) {
        sl_query_emit(q, kv, NULL, ts, NULL, a, em);
        return;
    }
    int64_t window[2];
    const int64_t *w = sl_join_row_window(p, row, window) ? window : NULL;
    sl_error err;
    sl_error_init(&err);
    if (p->synthetic_slot >= 0)
        ((sl_value *)row)[p->synthetic_slot] = *key;
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    if (q->where) {
        sl_value keep;
        sl_cexpr_eval(q->where, &ctx, &keep);
        if (keep.null || !keep.u.b) {
            /* filtered out; a WHERE that failed to evaluate says why */
            if (ctx.errors)
                em->out->processing_error(em->out->ctx, em->source, err.msg);
            /* a table's filter deletes the row (ksqlDB's KTable filter) */
            if (p->where_tombstones)
                sl_query_emit(q, kv, NULL, ts, w, a, em);
            return;
        }
    }
    sl_value *vals = sl_arena_alloc(a, (size_t)q->ncols * sizeof *vals);
    memcpy(vals, kv, (size_t)q->nkey_out * sizeof *vals);
    for (int i = q->nkey_out; i < q->ncols; i++) {
        sl_cexpr_eval(q->cols[i].expr, &ctx, &vals[i]);
        if (vals[i].null)
            vals[i].kind = (uint8_t)q->cols[i].type->kind;
    }
    if (ctx.errors)
        em->out->processing_error(em->out->ctx, em->source, err.msg);
    /* WITH (TIMESTAMP='col') on the sink: that column is the record time */
    if (!sl_time_extract(&q->sink_time, vals, em->source, a, em->out, &ts))
        return;
    sl_query_emit(q, vals, vals, ts, w, a, em);
}
