/* Joins with tables, as the Kafka Streams processors ksqlDB wires compute
 * them.
 *
 * Stream-table (KStreamKTableJoinProcessor): a table update only changes
 * the table; a stream record with a key and a value looks its key up and is
 * emitted at its own time, padded on a LEFT JOIN when the table has no row.
 * A LEFT JOIN also emits, padded, a stream record with a NULL key and a
 * value (KIP-962); other records without key or value are dropped.
 *
 * Table-table on the primary key (KTableKTable{Inner,Left,Right,Outer}Join):
 * each side's change is joined with the other side's current row; ksqlDB's
 * RIGHT JOIN runs as `right LEFT JOIN left`. An inner side, or the right
 * side of a left join, emits nothing while the other side has no row; a
 * left or outer side then emits nothing only when it had no row before and
 * has none now. Otherwise the result is emitted, or a tombstone when this
 * side's row is gone (except for the right side of a left join, whose
 * result keeps the left row with NULLs), at the larger of the two rows'
 * times (the changed row's alone when the other is missing). So a
 * tombstone for a key absent on its own side passes through as a tombstone
 * when the other side has the key. An absent side's columns, its key and
 * pseudo-columns included, are NULL.
 *
 * Foreign key (KIP-213, as Kafka Streams 4.4 sends subscriptions): see
 * fk_left and fk_right. The test runner sequences each record's
 * subscription and response messages before the next record, and so does
 * Sluice (a foreign-key join runs in one task), so a response is never
 * stale and needs no hash check. */
#include "ops/join_int.h"

#include <stdlib.h>
#include <string.h>

#include "ops/source.h"

/* (ts, row) of a key in a table store; false when absent */
static bool table_get(sl_store *st, const char *k, size_t klen, sl_arena *a, int64_t *ts, const sl_value **row)
{
    sl_value v = sl_join_load(st, k, klen, a);
    if (!v.u.c.n)
        return false;
    *ts = v.u.c.items[0].u.c.items[0].u.l;
    *row = v.u.c.items[0].u.c.items[1].u.c.items;
    return true;
}

static void table_set(sl_join_state *s, sl_store *st, const char *k, size_t klen, bool deleted, int64_t ts,
                      const sl_value *half, int width, sl_arena *a)
{
    if (deleted) {
        sl_store_delete(st, k, klen);
        return;
    }
    sl_value one = sl_array_new(a, 1);
    one.u.c.items[0] = sl_join_entry(a, ts, half, width);
    sl_join_save(s, st, k, klen, &one);
}

/* ---------- stream-table ---------- */

sl_fate sl_join_process_stream_table(const sl_query *q, sl_join_state *s, int side, const sl_record *in,
                                     sl_join_out *o, const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    const sl_join_side *sd = &p->side[side];
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    bool deleted;
    int64_t ts;
    if (!sl_join_decode_side(q, side, in, row, &deleted, &ts, a, out))
        return SL_FATE_FAILED;
    if (side == 1) {
        /* a table update changes the table only */
        const sl_value *key = &row[sd->key_slot];
        if (key->null)
            return SL_FATE_FILTERED;
        size_t klen;
        const char *k = sl_join_store_key(s, key, a, &klen);
        table_set(s, s->store[1], k, klen, deleted, ts, row + sd->base, sd->width, a);
        return SL_FATE_PASSED;
    }
    if (deleted)
        sl_source_log_null_value(sd->src, in, out);
    sl_value key = sl_join_side_key(q, side, row, deleted, in, a, out);
    if (p->type == SL_JOIN_LEFT && key.null && !deleted) {
        sl_join_emit(o, row, &key, ts);
        return SL_FATE_PASSED;
    }
    if (key.null || deleted)
        return SL_FATE_FILTERED;
    size_t klen;
    const char *k = sl_join_store_key(s, &key, a, &klen);
    int64_t tts;
    const sl_value *trow;
    const sl_join_side *td = &p->side[1];
    if (table_get(s->store[1], k, klen, a, &tts, &trow))
        memcpy(row + td->base, trow, (size_t)td->width * sizeof *row);
    else if (p->type != SL_JOIN_LEFT)
        return SL_FATE_FILTERED; /* no row in the table yet */
    sl_join_emit(o, row, &key, ts);
    return SL_FATE_PASSED;
}

/* ---------- table-table ---------- */

sl_fate sl_join_process_table(const sl_query *q, sl_join_state *s, int side, const sl_record *in, sl_join_out *o,
                              const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    const sl_join_side *sd = &p->side[side], *od = &p->side[!side];
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    bool deleted;
    int64_t ts;
    if (!sl_join_decode_side(q, side, in, row, &deleted, &ts, a, out))
        return SL_FATE_FAILED;
    sl_value key = row[sd->key_slot];
    if (key.null)
        return SL_FATE_FILTERED; /* Kafka Streams' table source drops it */
    size_t klen;
    const char *k = sl_join_store_key(s, &key, a, &klen);
    int64_t old_ts;
    const sl_value *old_row;
    bool had = table_get(s->store[side], k, klen, a, &old_ts, &old_row);
    /* a row's time as lookups see it: an earlier step's view time, else the
     * record's */
    int64_t view = ts;
    if (!deleted && sd->view_col >= 0 && !row[sd->base + sd->view_col].null)
        view = row[sd->base + sd->view_col].u.l;
    table_set(s, s->store[side], k, klen, deleted, view, row + sd->base, sd->width, a);
    if (deleted)
        sl_join_null_side(p, row, side);
    int64_t ots = 0;
    const sl_value *orow;
    bool other = table_get(s->store[!side], k, klen, a, &ots, &orow);
    if (other)
        memcpy(row + od->base, orow, (size_t)od->width * sizeof *row);
    int64_t rts = other && ots > ts ? ots : ts;
    if (p->view_slot >= 0) {
        /* the join's value getter: inner, both rows; left, the left row's
         * (and the right's when present); outer, whichever are present */
        bool mine = !deleted, ks_left_present = side == p->this_side ? mine : other;
        int64_t t = mine && other ? (view > ots ? view : ots) : mine ? view : ots;
        bool exists = p->type == SL_JOIN_INNER ? mine && other : p->type == SL_JOIN_FULL ? mine || other
                                                                                          : ks_left_present;
        row[p->view_slot] = exists ? sl_bigint(t) : sl_null(SL_BIGINT);
    }
    /* the processor of this side: ksqlDB's RIGHT JOIN is `right LEFT JOIN left` */
    if (p->type == SL_JOIN_INNER || (p->type != SL_JOIN_FULL && side != p->this_side)) {
        /* inner join, or the right side of a left join: only with the other row */
        if (!other)
            return SL_FATE_PASSED; /* in the table's state, waiting for its match */
        bool keeps_row = p->type != SL_JOIN_INNER; /* the left row stays, this side NULL or not */
        sl_join_emit(o, deleted && !keeps_row ? NULL : row, &key, rts);
        return SL_FATE_PASSED;
    }
    /* the left side of a left join, either side of a full outer join */
    if (!other && deleted && !had)
        return SL_FATE_PASSED; /* a delete of nothing: the state is unchanged */
    bool gone = deleted && !(p->type == SL_JOIN_FULL && other);
    sl_join_emit(o, gone ? NULL : row, &key, rts);
    return SL_FATE_PASSED;
}

/* ---------- foreign key ---------- */

typedef enum fk_instruction {
    DELETE_KEY_NO_PROPAGATE,
    DELETE_KEY_AND_PROPAGATE,
    PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE,
    PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE,
} fk_instruction;

static sl_value fk_of(const sl_query *q, const sl_value *half, sl_arena *a)
{
    const sl_join_plan *p = q->join;
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    sl_join_null_side(p, row, 1);
    memcpy(row, half, (size_t)p->side[0].width * sizeof *row);
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value v;
    sl_cexpr_eval(p->side[0].expr, &ctx, &v);
    return v;
}

/* the subscription of a left key to a right key (SubscriptionReceive) */
static void subscribe(sl_join_state *s, const sl_value *fk, const sl_value *lkey, bool add, sl_arena *a)
{
    size_t klen;
    const char *k = sl_join_store_key(s, fk, a, &klen);
    sl_value list = sl_join_load(s->fkindex, k, klen, a);
    sl_value nl = sl_array_new(a, list.u.c.n + 1);
    uint32_t n = 0;
    for (uint32_t i = 0; i < list.u.c.n; i++)
        if (!sl_value_equal(&list.u.c.items[i], lkey))
            nl.u.c.items[n++] = list.u.c.items[i];
    if (add)
        nl.u.c.items[n++] = *lkey;
    nl.u.c.n = n;
    if (n)
        sl_join_save(s, s->fkindex, k, klen, &nl);
    else
        sl_store_delete(s->fkindex, k, klen);
}

/* ResponseJoin: the left row as it is now with the right row of the
 * response (NULL: none) */
static void respond(const sl_query *q, sl_join_state *s, const sl_value *lkey, const sl_value *rrow, int64_t ts,
                    sl_join_out *o)
{
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    size_t klen;
    const char *k = sl_join_store_key(s, lkey, a, &klen);
    int64_t lts;
    const sl_value *lrow;
    bool have = table_get(s->store[0], k, klen, a, &lts, &lrow);
    if (!rrow && (p->type == SL_JOIN_INNER || !have)) {
        sl_join_emit(o, NULL, lkey, ts);
        return;
    }
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    sl_join_null_side(p, row, 0);
    sl_join_null_side(p, row, 1);
    if (have)
        memcpy(row, lrow, (size_t)p->side[0].width * sizeof *row);
    if (rrow)
        memcpy(row + p->side[1].base, rrow, (size_t)p->side[1].width * sizeof *row);
    if (p->view_slot >= 0)
        row[p->view_slot] = sl_bigint(ts); /* the result is materialized: its time is the last one */
    sl_join_emit(o, row, lkey, ts);
}

/* one subscription message of a left change: the subscription store, then
 * the response the right side sends (SubscriptionJoin) */
static void fk_message(const sl_query *q, sl_join_state *s, const sl_value *lkey, const sl_value *fk,
                       fk_instruction inst, int64_t ts, sl_join_out *o)
{
    sl_arena *a = o->arena;
    if (fk->null && inst != PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
        return;
    if (!fk->null)
        subscribe(s, fk, lkey, inst != DELETE_KEY_NO_PROPAGATE && inst != DELETE_KEY_AND_PROPAGATE, a);
    int64_t rts = ts, fts;
    const sl_value *rrow = NULL;
    if (!fk->null) {
        size_t klen;
        const char *k = sl_join_store_key(s, fk, a, &klen);
        if (table_get(s->store[1], k, klen, a, &fts, &rrow) && fts > ts)
            rts = fts;
    }
    switch (inst) {
    case DELETE_KEY_AND_PROPAGATE: respond(q, s, lkey, NULL, rts, o); break;
    case PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE: respond(q, s, lkey, rrow, rts, o); break;
    case PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE:
        if (rrow)
            respond(q, s, lkey, rrow, rts, o);
        break;
    case DELETE_KEY_NO_PROPAGATE: break;
    }
}

/* A left change (SubscriptionSendProcessorSupplier): a LEFT JOIN always
 * subscribes to the new foreign key (NULL included, which only answers) and
 * unsubscribes from a changed old one; an INNER JOIN subscribes only to a
 * valid new key, answering with NULL only when the key changed, and a
 * deletion or a key turned NULL unsubscribes with a NULL answer. */
static void fk_left(const sl_query *q, sl_join_state *s, const sl_value *lkey, const sl_value *old,
                    const sl_value *new_, int64_t ts, sl_join_out *o)
{
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    sl_value ofk = old ? fk_of(q, old, a) : sl_null(p->key_type->kind);
    sl_value nfk = new_ ? fk_of(q, new_, a) : sl_null(p->key_type->kind);
    bool unsubscribe = !ofk.null;
    bool changed = ofk.null != nfk.null || (!ofk.null && !sl_value_equal(&ofk, &nfk));
    if (p->type == SL_JOIN_LEFT) {
        if (!old && !new_)
            return;
        if (unsubscribe && changed)
            fk_message(q, s, lkey, &ofk, DELETE_KEY_NO_PROPAGATE, ts, o);
        fk_message(q, s, lkey, &nfk, PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE, ts, o);
        return;
    }
    if (new_) {
        if (nfk.null) {
            if (unsubscribe)
                fk_message(q, s, lkey, &ofk, DELETE_KEY_AND_PROPAGATE, ts, o);
        } else if (unsubscribe && changed) {
            fk_message(q, s, lkey, &ofk, DELETE_KEY_NO_PROPAGATE, ts, o);
            fk_message(q, s, lkey, &nfk, PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE, ts, o);
        } else {
            fk_message(q, s, lkey, &nfk, PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, ts, o);
        }
    } else if (unsubscribe) {
        fk_message(q, s, lkey, &ofk, DELETE_KEY_AND_PROPAGATE, ts, o);
    }
}

typedef struct lkey_bytes {
    sl_value key;
    sl_strbuf bytes;
} lkey_bytes;

static int by_bytes(const void *x, const void *y)
{
    const lkey_bytes *a = x, *b = y;
    size_t n = a->bytes.len < b->bytes.len ? a->bytes.len : b->bytes.len;
    int c = n ? memcmp(a->bytes.data, b->bytes.data, n) : 0;
    if (c)
        return c;
    return a->bytes.len < b->bytes.len ? -1 : a->bytes.len > b->bytes.len;
}

/* a left key's bytes as its key format writes it: a key of several
 * columns in JSON is an object of them, in the table's order */
static void left_key_bytes(const sl_join_plan *p, const sl_value *key, sl_strbuf *out)
{
    const sl_source *l = p->side[0].src;
    if (p->fk_nkey <= 1 || l->key_format != SL_FORMAT_JSON) {
        sl_join_key_bytes(l->key_format, key, out);
        return;
    }
    sl_strbuf part;
    sl_strbuf_init(&part);
    sl_strbuf_reset(out);
    sl_strbuf_putc(out, '{');
    for (int i = 0; i < p->fk_nkey; i++) {
        sl_strbuf_printf(out, "%s\"%s\":", i ? "," : "", l->cols[i].name);
        if (key->u.c.items[i].null) {
            sl_strbuf_append(out, "null", 4);
            continue;
        }
        sl_join_key_bytes(SL_FORMAT_JSON, &key->u.c.items[i], &part);
        sl_strbuf_append(out, part.data ? part.data : "", part.len);
    }
    sl_strbuf_putc(out, '}');
    sl_strbuf_free(&part);
}

/* A right change (ForeignTableJoin): every left key subscribed to it gets a
 * response with the new right row, at the right change's time, in the
 * order of the subscription store (the left keys' bytes) */
static void fk_right(const sl_query *q, sl_join_state *s, const sl_value *rkey, const sl_value *rrow, int64_t ts,
                     sl_join_out *o)
{
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    size_t klen;
    const char *k = sl_join_store_key(s, rkey, a, &klen);
    sl_value lefts = sl_join_load(s->fkindex, k, klen, a);
    uint32_t n = lefts.u.c.n;
    if (!n)
        return;
    lkey_bytes *order = sl_arena_alloc(a, n * sizeof *order);
    for (uint32_t i = 0; i < n; i++) {
        order[i].key = lefts.u.c.items[i];
        sl_strbuf_init(&order[i].bytes);
        left_key_bytes(p, &order[i].key, &order[i].bytes);
    }
    qsort(order, n, sizeof *order, by_bytes);
    for (uint32_t i = 0; i < n; i++)
        respond(q, s, &order[i].key, rrow, ts, o);
    for (uint32_t i = 0; i < n; i++)
        sl_strbuf_free(&order[i].bytes);
}

sl_fate sl_join_process_foreign_key(const sl_query *q, sl_join_state *s, int side, const sl_record *in,
                                    sl_join_out *o, const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    sl_arena *a = o->arena;
    const sl_join_side *sd = &p->side[side];
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    bool deleted;
    int64_t ts;
    if (!sl_join_decode_side(q, side, in, row, &deleted, &ts, a, out))
        return SL_FATE_FAILED;
    sl_value key = row[sd->base]; /* the side's primary key */
    if (side == 0 && p->fk_nkey > 1) {
        /* several key columns: one STRUCT of them, NULL when all are */
        key = sl_struct_new(a, (uint32_t)p->fk_nkey);
        bool all_null = true;
        for (int i = 0; i < p->fk_nkey; i++) {
            key.u.c.items[i] = row[sd->base + i];
            all_null &= row[sd->base + i].null;
        }
        if (all_null)
            key = sl_null(SL_STRUCT);
    }
    if (key.null)
        return SL_FATE_FILTERED;
    size_t klen;
    const char *k = sl_join_store_key(s, &key, a, &klen);
    int64_t old_ts;
    const sl_value *old = NULL;
    bool had = table_get(s->store[side], k, klen, a, &old_ts, &old);
    table_set(s, s->store[side], k, klen, deleted, ts, row + sd->base, sd->width, a);
    if (side == 0) {
        sl_value *oldcopy = NULL;
        if (had) {
            oldcopy = sl_arena_alloc(a, (size_t)sd->width * sizeof *oldcopy);
            memcpy(oldcopy, old, (size_t)sd->width * sizeof *oldcopy);
        }
        fk_left(q, s, &key, oldcopy, deleted ? NULL : row + sd->base, ts, o);
    } else {
        fk_right(q, s, &key, deleted ? NULL : row + sd->base, ts, o);
    }
    return SL_FATE_PASSED;
}
