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
#include "ops/aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"
#include "ops/closing_windows.h"
#include "ops/sink.h"
#include "ops/udaf.h"
#include "ops/window.h"
#include "serde/serde.h"
#include "state/store.h"

#define DEFAULT_GRACE_MS (24LL * 3600 * 1000)
#define MIN_SEGMENT_MS 60000

struct sl_agg_plan {
    int nkeys;
    sl_cexpr **key_exprs; /* over the source row */
    const sl_expr **key_ast;
    int naggs;
    sl_agg_fn *fns;
    sl_cexpr ***args; /* per aggregate, over the source row */
    int *argc;
    const sl_expr **agg_ast;
    int post_width; /* WINDOWSTART, WINDOWEND, keys, aggs */
    sl_cexpr *having;
    sl_window_def window;
    int64_t grace;
    int64_t retention; /* how long the window store keeps a window */
    int64_t segment;   /* session store segments: max(retention / 2, 60 s) */
    bool emit_final;
    sl_scope *pre;
};

struct sl_agg_state {
    sl_store *store; /* also holds the stream time */
    sl_strbuf kb, vb;
    /* EMIT FINAL on time windows: the windows waiting to close */
    sl_closing_windows *closing;
    /* EMIT FINAL on session windows: sessions with pending results (store
     * keys), and when each ends */
    char **pending;
    size_t *pending_len;
    int64_t *pending_end;
    size_t npending, cappending;
    /* EMIT FINAL, as Kafka Streams emits on window close: the close time
     * of the last emission */
    int64_t last_emit_close;
    /* the window store's clock: the latest window start (session end)
     * written; with the retention it decides which windows have expired */
    int64_t store_clock;
    /* expired entries were swept up to this bound (clock - retention) */
    int64_t swept_below;
    uint64_t late_dropped; /* record-windows dropped: the window had closed */
    /* EMIT CHANGES: the groups changed in this batch, in first-change order */
    struct changed_group {
        char *key; /* store key, in changed_arena */
        size_t klen;
        bool passed; /* HAVING held before the batch's first change */
        bool windowed;
        int64_t window[2];
        struct { /* the last record that changed it (processing log) */
            const char *topic; /* in changed_arena */
            int32_t partition;
            int64_t offset, timestamp;
        } source;
    } *changed;
    size_t nchanged, capchanged;
    sl_store *changed_index; /* store key -> slot */
    sl_arena *changed_arena;
    bool flushing; /* a driver that feeds outputs back in (sluice test) re-enters the flush */
};

/* ---------- planning ---------- */

typedef struct hook_ctx {
    sl_query_build *qb;
    sl_agg_plan *plan;
    sl_scope *pre;
    int key_base, agg_base;
} hook_ctx;

static sl_cexpr *post_hook(void *c, sl_scope *scope, const sl_expr *x, sl_error *err)
{
    hook_ctx *h = c;
    sl_agg_plan *p = h->plan;
    for (int i = 0; i < p->nkeys; i++)
        if (sl_expr_same(x, p->key_ast[i]))
            return sl_cexpr_column(scope->arena, 2 + i, p->key_exprs[i]->type);
    if (x->kind != SL_E_CALL || !sl_expr_is_aggregate_name(x->u.call.name))
        return NULL;
    for (int i = 0; i < p->naggs; i++)
        if (sl_expr_same(x, p->agg_ast[i]))
            return sl_cexpr_column(scope->arena, 2 + p->nkeys + i, p->fns[i].ret);
    if (p->naggs >= 64) {
        sl_error_at(err, SL_ERR_UNSUPPORTED, scope->file, x->pos.line, x->pos.col, "too many aggregates");
        return NULL;
    }
    int n = x->u.call.args.count;
    sl_cexpr **args = sl_arena_calloc(scope->arena, (size_t)n + 1, sizeof *args);
    const sl_type **types = sl_arena_calloc(scope->arena, (size_t)n + 1, sizeof *types);
    const sl_value **lits = sl_arena_calloc(scope->arena, (size_t)n + 1, sizeof *lits);
    for (int i = 0; i < n; i++) {
        const sl_expr *ax = x->u.call.args.items[i];
        if (ax->kind == SL_E_CALL && sl_expr_is_aggregate_name(ax->u.call.name)) {
            sl_error_at(err, SL_ERR_INVALID, scope->file, ax->pos.line, ax->pos.col,
                        "Aggregate functions can not be nested: %s(%s())", x->u.call.name, ax->u.call.name);
            return NULL;
        }
        args[i] = sl_expr_compile(h->pre, ax, err);
        if (!args[i])
            return NULL;
        types[i] = args[i]->type;
        if (ax->kind == SL_E_LITERAL)
            lits[i] = &ax->u.lit.value;
    }
    sl_agg_fn fn;
    sl_error e2 = {0};
    if (sl_udaf_resolve(x->u.call.name, n, types, lits, x->u.call.star, scope->arena, &fn, &e2)) {
        sl_error_at(err, e2.code, scope->file, x->pos.line, x->pos.col, "%s", e2.msg);
        return NULL;
    }
    /* the engine properties that bound the collecting aggregates */
    const char *limit = !strcasecmp(x->u.call.name, "COLLECT_LIST")
                            ? sl_catalog_property(h->qb->catalog, "ksql.functions.collect_list.limit")
                        : !strcasecmp(x->u.call.name, "COLLECT_SET")
                            ? sl_catalog_property(h->qb->catalog, "ksql.functions.collect_set.limit")
                            : NULL;
    /* ksqlDB's collections have no bound unless one is set; a negative one
     * is none, and 0 keeps every collection empty */
    if (!strcasecmp(x->u.call.name, "COLLECT_LIST") || !strcasecmp(x->u.call.name, "COLLECT_SET"))
        fn.limit = limit && atoll(limit) >= 0 ? atoll(limit) : INT64_MAX;
    /* SUM/AVG/etc. take their argument as is; MIN/MAX of INT stay INT */
    int i = p->naggs++;
    p->fns[i] = fn;
    p->args[i] = args;
    p->argc[i] = n;
    p->agg_ast[i] = x;
    return sl_cexpr_column(scope->arena, 2 + p->nkeys + i, fn.ret);
}

sl_err_t sl_agg_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_scope *pre, sl_error *err)
{
    sl_arena *a = qb->arena;
    const sl_select *s = st->select;
    sl_agg_plan *p = sl_arena_calloc(a, 1, sizeof *p);
    p->pre = pre;
    p->window = s->window;
    /* no GRACE PERIOD: 24 hours, except that EMIT FINAL closes windows at
     * their end (ksqlDB's suppression without a grace period) */
    int64_t size = s->window.size_ms;
    if (s->window.has_grace)
        p->grace = s->window.grace_ms;
    else
        p->grace = s->emit_final ? 0 : (size < DEFAULT_GRACE_MS ? DEFAULT_GRACE_MS - size : 0);
    p->retention = s->window.has_retention ? s->window.retention_ms : size + p->grace;
    p->segment = p->retention / 2 > MIN_SEGMENT_MS ? p->retention / 2 : MIN_SEGMENT_MS;
    if (s->window.kind && p->retention < size + p->grace)
        return sl_error_at(err, SL_ERR_INVALID, qb->file, s->window.pos.line, s->window.pos.col,
                           "The retention period of the window store must be no smaller than its window size "
                           "plus the grace period. Got size=[%lld], grace=[%lld], retention=[%lld]",
                           (long long)size, (long long)p->grace, (long long)p->retention);
    p->emit_final = s->emit_final;
    if (s->emit_final && !s->window.kind)
        return sl_error_at(err, SL_ERR_INVALID, qb->file, s->pos.line, s->pos.col,
                           "EMIT FINAL is only supported for windowed aggregations.");
    if (!s->group_by.count)
        return sl_error_at(err, SL_ERR_INVALID, qb->file, s->pos.line, s->pos.col,
                           "Non-aggregate SELECT expression(s) not part of GROUP BY: an aggregation needs a GROUP BY "
                           "clause in a persistent query");
    p->nkeys = s->group_by.count;
    p->key_exprs = sl_arena_calloc(a, (size_t)p->nkeys, sizeof *p->key_exprs);
    p->key_ast = sl_arena_calloc(a, (size_t)p->nkeys, sizeof *p->key_ast);
    for (int i = 0; i < p->nkeys; i++) {
        const sl_expr *g = s->group_by.items[i];
        p->key_ast[i] = g;
        p->key_exprs[i] = sl_expr_compile(pre, g, err);
        if (!p->key_exprs[i])
            return err->code;
    }
    p->fns = sl_arena_calloc(a, 64, sizeof *p->fns);
    p->args = sl_arena_calloc(a, 64, sizeof *p->args);
    p->argc = sl_arena_calloc(a, 64, sizeof *p->argc);
    p->agg_ast = sl_arena_calloc(a, 64, sizeof *p->agg_ast);

    /* post scope: WINDOWSTART / WINDOWEND by name; the rest by the hook */
    hook_ctx h = {qb, p, pre, 0, 0};
    sl_scope post = {0};
    post.cols = sl_arena_calloc(a, 2, sizeof *post.cols);
    post.file = qb->file;
    post.arena = a;
    post.node_hook = post_hook;
    post.hook_ctx = &h;
    /* result row: [WINDOWSTART, WINDOWEND, group keys..., aggregates...] */
    if (s->window.kind) {
        /* qualified too: Test.WINDOWSTART names the source's window */
        post.cols[0] = (sl_scope_col){"WINDOWSTART", q->source->name, s->from.alias, &sl_type_bigint, 0, true};
        post.cols[1] = (sl_scope_col){"WINDOWEND", q->source->name, s->from.alias, &sl_type_bigint, 1, true};
        post.ncols = 2;
    }
    int cap = s->nitems + 8;
    sl_out_col *cols = sl_arena_calloc(a, (size_t)cap, sizeof *cols);
    const sl_expr **origin = sl_arena_calloc(a, (size_t)cap, sizeof *origin);
    int n = 0;
    for (int i = 0; i < s->nitems; i++) {
        const sl_select_item *it = &s->items[i];
        if (it->star)
            return sl_error_at(err, SL_ERR_INVALID, qb->file, it->pos.line, it->pos.col,
                               "SELECT * is not supported with GROUP BY");
        cols[n].expr = sl_expr_compile(&post, it->expr, err);
        if (!cols[n].expr) {
            if (err->code == SL_ERR_INVALID && strstr(err->msg, "cannot be resolved"))
                snprintf(err->msg, sizeof err->msg, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s",
                         sl_expr_default_name(it->expr) ? sl_expr_default_name(it->expr) : "expression");
            return err->code;
        }
        cols[n].type = cols[n].expr->type;
        cols[n].name = it->alias ? it->alias : sl_expr_default_name(it->expr);
        origin[n] = it->expr;
        n++;
    }
    if (s->having) {
        p->having = sl_expr_compile(&post, s->having, err);
        if (!p->having)
            return err->code;
        if (p->having->type->kind != SL_BOOLEAN)
            return sl_error_at(err, SL_ERR_INVALID, qb->file, s->having->pos.line, s->having->pos.col,
                               "HAVING expression must be BOOLEAN");
    }
    p->post_width = p->nkeys + p->naggs + 2;
    /* generated names */
    int gen = 0;
    for (int i = 0; i < n; i++) {
        if (cols[i].name)
            continue;
        char buf[32];
        bool taken;
        do {
            snprintf(buf, sizeof buf, "KSQL_COL_%d", gen++);
            taken = false;
            for (int c = 0; c < q->source->ncols; c++)
                taken |= !strcmp(q->source->cols[c].name, buf);
            for (int j = 0; j < n; j++)
                taken |= cols[j].name && !strcmp(cols[j].name, buf);
        } while (taken);
        cols[i].name = sl_arena_strdup(a, buf);
    }
    /* keys: the select items that are exactly a grouping expression */
    sl_out_col *ordered = sl_arena_calloc(a, (size_t)n + (size_t)p->nkeys + 1, sizeof *ordered);
    bool *used = sl_arena_calloc(a, (size_t)n + 1, sizeof *used);
    for (int k = 0; k < p->nkeys; k++) {
        int match = -1;
        for (int i = 0; i < n && match < 0; i++)
            if (!used[i] && sl_expr_same(origin[i], p->key_ast[k]))
                match = i;
        if (match < 0) {
            const sl_expr *g = p->key_ast[k];
            return sl_error_at(err, SL_ERR_INVALID, qb->file, g->pos.line, g->pos.col,
                               "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
                               "The query used to build `%s` must include the grouping expression %s in its projection (eg, SELECT %s...).",
                               st->name, sl_expr_default_name(g) ? sl_expr_default_name(g) : "expression",
                               sl_expr_default_name(g) ? sl_expr_default_name(g) : "expression");
        }
        used[match] = true;
        ordered[k] = cols[match];
        ordered[k].is_key = true;
    }
    int m = p->nkeys;
    for (int i = 0; i < n; i++)
        if (!used[i]) {
            for (int k = 0; k < p->nkeys; k++)
                if (sl_expr_same(origin[i], p->key_ast[k]))
                    return sl_error_at(err, SL_ERR_INVALID, qb->file, s->pos.line, s->pos.col,
                                       "The projection contains a key column more than once: %s", cols[i].name);
            ordered[m++] = cols[i];
        }
    for (int i = 0; i < m; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(ordered[i].name, ordered[k].name))
                return sl_error_at(err, SL_ERR_INVALID, qb->file, s->pos.line, s->pos.col,
                                   "Duplicate column names: %s", ordered[i].name);
    for (int i = 0; i < p->naggs; i++) {
        if (q->source->is_table && !p->fns[i].udaf->undo)
            return sl_error_at(err, SL_ERR_INVALID, qb->file, p->agg_ast[i]->pos.line, p->agg_ast[i]->pos.col,
                               "The aggregation function %s cannot be applied to a table source, only to a stream source.",
                               p->fns[i].udaf->name);
        /* ksqlDB keeps intermediate states in the value format */
        const char *un = p->fns[i].udaf->name;
        bool composite = !strcmp(un, "AVG") || !strcmp(un, "CORRELATION") || !strncmp(un, "STDDEV", 6) ||
                         p->fns[i].ret->kind == SL_ARRAY || p->fns[i].ret->kind == SL_MAP;
        if (q->source->value_format == SL_FORMAT_KAFKA)
            return sl_error_at(err, SL_ERR_INVALID, qb->file, s->pos.line, s->pos.col,
                               "The 'KAFKA' format only supports a single field: it cannot hold the state of an aggregation");
        if (composite && (q->source->value_format == SL_FORMAT_DELIMITED || q->source->value_format == SL_FORMAT_KAFKA))
            return sl_error_at(err, SL_ERR_INVALID, qb->file, p->agg_ast[i]->pos.line, p->agg_ast[i]->pos.col,
                               "The '%s' format does not support the intermediate state of %s",
                               sl_format_name(q->source->value_format), un);
    }
    q->cols = ordered;
    q->ncols = m;
    q->nkey_out = p->nkeys;
    q->agg = p;
    return SL_OK;
}

/* ---------- state ---------- */

sl_agg_state *sl_agg_state_new(const sl_query *q)
{
    sl_agg_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->store = sl_store_new_for(q->id, "Aggregate");
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

/* ---------- processing ---------- */

static void put_be64(sl_strbuf *sb, int64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    sl_strbuf_append(sb, b, 8);
}

/* value layout in the store: STRUCT(maxts BIGINT, states...) */
static sl_value load_or_init(const sl_query *q, sl_agg_state *s, const void *key, size_t klen, sl_arena *a,
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

static void fold(const sl_query *q, sl_value *agg, const sl_value *const *argv, int64_t ts, int sign, sl_arena *a)
{
    const sl_agg_plan *p = q->agg;
    if (ts > agg->u.c.items[0].u.l)
        agg->u.c.items[0].u.l = ts;
    for (int i = 0; i < p->naggs; i++) {
        const sl_agg_fn *f = &p->fns[i];
        if (sign > 0)
            f->udaf->add(f, &agg->u.c.items[i + 1], argv[i], a);
        else if (f->udaf->undo)
            f->udaf->undo(f, &agg->u.c.items[i + 1], argv[i], a);
    }
}

static void store_put(sl_agg_state *s, const void *key, size_t klen, const sl_value *v)
{
    sl_strbuf_reset(&s->vb);
    sl_valcodec_put(&s->vb, v);
    sl_store_put(s->store, key, klen, s->vb.data, s->vb.len);
}

/* result row -> HAVING -> projection -> emit */
static bool having_passes(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
                          sl_arena *a);

static void emit_result_if(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
                           sl_arena *a, sl_query_emitter *em, bool old_passed);

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

static bool having_passes(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
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

static void emit_result_if(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
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

static void add_pending(sl_agg_state *s, const void *key, size_t klen, int64_t end)
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
static bool decode_window_key(const sl_query *q, const char *key, size_t klen, sl_value *keys, int64_t *start,
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

static void drop_pending(sl_agg_state *s, size_t i)
{
    free(s->pending[i]);
    s->npending--;
    s->pending[i] = s->pending[s->npending];
    s->pending_len[i] = s->pending_len[s->npending];
    s->pending_end[i] = s->pending_end[s->npending];
}

static void note_clock(sl_agg_state *s, int64_t t)
{
    if (t > s->store_clock)
        s->store_clock = t;
}

/* Java's long division (truncates toward zero), as segment ids are computed */
static int64_t segment_of(const sl_agg_plan *p, int64_t t)
{
    return t / p->segment;
}

/* A session whose segment lies wholly before clock - retention is gone
 * from Kafka Streams' session store (dropped with its segment). */
static bool session_segment_live(const sl_agg_plan *p, const sl_agg_state *s, int64_t end)
{
    return s->store_clock == INT64_MIN || segment_of(p, end) >= segment_of(p, s->store_clock - p->retention);
}

/* ---------- EMIT FINAL: what closes together, in the store's order ---------- */

/* A result due for emission; order is the serialized key (the bytes Kafka
 * Streams' time-ordered stores sort by after the times). */
typedef struct due_result {
    int64_t t1, t2; /* time windows: start, start; sessions: end, start */
    const char *order;
    size_t order_len;
    sl_value *keys;
    sl_value agg;
} due_result;

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

static void emit_due(const sl_query *q, sl_agg_state *s, due_result *due, size_t n, bool session, sl_arena *a,
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
        emit_result_if(q, due[i].keys, &due[i].agg, w, a, em, false);
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
static void flush_final_time(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em)
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
            if (decode_window_key(q, key, klen, keys, &w0, a)) {
                sl_value agg = load_or_init(q, s, key, klen, a, &existed);
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
    emit_due(q, s, due, n, false, a, em);
}

static void flush_final_session(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em);

static void flush_final(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em)
{
    if (q->agg->window.kind != SL_WINDOW_SESSION)
        flush_final_time(q, s, a, em);
    else
        flush_final_session(q, s, a, em);
}

static sl_value load_sessions(sl_agg_state *s, const char *gk, size_t gklen, sl_arena *a)
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

#define SESSION_START(se) ((se)->u.c.items[0].u.l)
#define SESSION_END(se) ((se)->u.c.items[1].u.l)

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

static sl_fate process_session(const sl_query *q, sl_agg_state *s, const sl_value *keys, const char *gk,
                               size_t gklen, const sl_value *const *argv, int64_t ts, sl_arena *a,
                               sl_query_emitter *em)
{
    const sl_agg_plan *p = q->agg;
    int64_t gap = p->window.size_ms;
    int64_t st = sl_store_stream_time(s->store);
    sl_value sessions = load_sessions(s, gk, gklen, a);
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
        note_clock(s, SESSION_END(se));
        if (in_place || p->emit_final)
            continue;
        w[0] = SESSION_START(se);
        w[1] = SESSION_END(se);
        if (having_passes(q, keys, &se->u.c.items[2], w, a))
            sl_query_emit(q, keys, NULL, SESSION_END(se), w, a, em);
    }
    if (!nfound) {
        merged = sl_struct_new(a, (uint32_t)p->naggs + 1);
        merged.u.c.items[0] = sl_bigint(INT64_MIN);
        for (int i = 0; i < p->naggs; i++)
            p->fns[i].udaf->init(&p->fns[i], &merged.u.c.items[i + 1], a);
    }
    fold(q, &merged, argv, ts, 1, a);
    note_clock(s, end);
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
        if (!was_found && !replaced && session_segment_live(p, s, SESSION_END(se)))
            keep.u.c.items[nkeep++] = *se;
    }
    sl_value ns = sl_struct_new(a, 3);
    ns.u.c.items[0] = sl_bigint(start);
    ns.u.c.items[1] = sl_bigint(end);
    ns.u.c.items[2] = merged;
    keep.u.c.items[nkeep++] = ns;
    keep.u.c.n = nkeep;
    store_put(s, gk, gklen, &keep);
    w[0] = start;
    w[1] = end;
    if (p->emit_final) {
        /* remembered by group key, start and end; emitted once closed if it is
         * still a session then (a later record may merge it away) */
        sl_strbuf_reset(&s->kb);
        sl_strbuf_append(&s->kb, gk, gklen);
        put_be64(&s->kb, start);
        add_pending(s, s->kb.data, s->kb.len, end);
        return SL_FATE_PASSED;
    }
    /* the new session's old value is none: failing HAVING, nothing goes out */
    emit_result_if(q, keys, &merged, w, a, em, false);
    return SL_FATE_PASSED;
}

/* Sessions under EMIT FINAL: when the close time (stream time - gap -
 * grace) advances, the sessions still in the store (in a live segment)
 * that ended in [last close, close) are emitted; they stay in the store. */
static void flush_final_session(const sl_query *q, sl_agg_state *s, sl_arena *a, sl_query_emitter *em)
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
        if (pend >= lower && session_segment_live(p, s, pend)) {
            sl_value *keys = sl_arena_alloc(a, (size_t)(p->nkeys ? p->nkeys : 1) * sizeof *keys);
            int64_t pstart;
            size_t gklen = s->pending_len[i] - 8;
            /* decoded values may point into the key: a copy outlives drop_pending */
            const char *pkey = sl_arena_strndup(a, s->pending[i], s->pending_len[i]);
            if (decode_window_key(q, pkey, s->pending_len[i], keys, &pstart, a)) {
                sl_value sessions = load_sessions(s, pkey, gklen, a);
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
        drop_pending(s, i--);
    }
    emit_due(q, s, due, n, true, a, em);
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
    if (s->swept_below != INT64_MIN && segment_of(p, bound) <= segment_of(p, s->swept_below))
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
        sl_value sessions = load_sessions(s, key, klen, a);
        uint32_t nleft = 0;
        for (uint32_t i = 0; i < sessions.u.c.n; i++)
            if (session_segment_live(p, s, SESSION_END(&sessions.u.c.items[i])))
                sessions.u.c.items[nleft++] = sessions.u.c.items[i];
        if (nleft == sessions.u.c.n)
            continue;
        sessions.u.c.n = nleft;
        if (nleft)
            store_put(s, key, klen, &sessions);
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
        bool ok = g->windowed ? decode_window_key(q, g->key, g->klen, keys, &start, a)
                              : decode_keys(q, g->key, g->klen, keys, a);
        bool existed;
        sl_value agg = load_or_init(q, s, g->key, g->klen, a, &existed);
        if (!ok || !existed)
            continue;
        sl_record source = {.topic = g->source.topic, .partition = g->source.partition,
                            .offset = g->source.offset, .timestamp = g->source.timestamp};
        sl_query_emitter at = *em;
        at.source = g->source.topic ? &source : em->source;
        emit_result_if(q, keys, &agg, g->windowed ? g->window : NULL, a, &at, g->passed);
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
            sl_value agg = load_or_init(q, s, ogk, ogklen, a, &existed);
            bool was = existed && having_passes(q, okeys, &agg, NULL, a);
            fold(q, &agg, oargv, ts, -1, a);
            store_put(s, ogk, ogklen, &agg);
            note_change(s, ogk, ogklen, was, NULL, em->source);
            has_old = false;
        }
        if (!has_new)
            return SL_FATE_PASSED;
        sl_value agg = load_or_init(q, s, gk, gklen, a, &existed);
        bool was = existed && having_passes(q, keys, &agg, NULL, a);
        if (has_old)
            fold(q, &agg, oargv, ts, -1, a);
        fold(q, &agg, argv, ts, 1, a);
        store_put(s, gk, gklen, &agg);
        note_change(s, gk, gklen, was, NULL, em->source);
        return SL_FATE_PASSED;
    }
    if (!has_new)
        return SL_FATE_FILTERED;
    if (p->window.kind == SL_WINDOW_SESSION) {
        sl_fate fate = process_session(q, s, keys, gk, gklen, argv, ts, a, em);
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
        put_be64(&s->kb, start);
        bool existed;
        int64_t w[2] = {start, end};
        sl_value agg = load_or_init(q, s, s->kb.data, s->kb.len, a, &existed);
        /* a new window's old value is the initial aggregate (Kafka Streams
         * forwards it as the change's old value) */
        bool was = having_passes(q, keys, &agg, w, a);
        fold(q, &agg, argv, ts, 1, a);
        store_put(s, s->kb.data, s->kb.len, &agg);
        note_clock(s, start);
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
    note_clock(r->s, start);
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
        note_clock(r->s, SESSION_END(se));
        if (p->emit_final && SESSION_END(se) >= r->close) {
            sl_strbuf_reset(&r->s->kb);
            sl_strbuf_append(&r->s->kb, key, klen);
            put_be64(&r->s->kb, SESSION_START(se));
            add_pending(r->s, r->s->kb.data, r->s->kb.len, SESSION_END(se));
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

bool sl_agg_grouped_by_key(const sl_query *q)
{
    const sl_agg_plan *p = q->agg;
    if (p->nkeys != q->source->nkey)
        return false;
    for (int i = 0; i < p->nkeys; i++)
        if (sl_cexpr_column_index(p->key_exprs[i]) != i)
            return false;
    return true;
}

bool sl_agg_partition_key(const sl_query *q, const sl_value *row, sl_arena *a, sl_strbuf *out)
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
    return true;
}

uint64_t sl_agg_state_late(const sl_agg_state *s)
{
    return s ? s->late_dropped : 0;
}

void sl_agg_window_info_of(const sl_query *q, sl_agg_window_info *out)
{
    const sl_agg_plan *p = q->agg;
    *out = (sl_agg_window_info){.kind = p->window.kind,
                                .size_ms = p->window.size_ms,
                                .advance_ms = p->window.kind == SL_WINDOW_HOPPING ? p->window.advance_ms
                                                                                 : p->window.size_ms,
                                .grace_ms = p->grace,
                                .retention_ms = p->retention,
                                .emit_final = p->emit_final};
}
