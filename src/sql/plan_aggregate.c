/* Planning an aggregation: the grouping keys, the aggregate calls and their
 * arguments over the source row, HAVING and the projection over the
 * result row (keys, aggregates, window bounds), the window with the grace
 * and retention its defaults give. */
#include "sql/plan_aggregate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"

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
        if (sl_expr_same_in(h->pre, x, p->key_ast[i]))
            return sl_cexpr_column(scope->arena, 2 + i, p->key_exprs[i]->type);
    if (x->kind != SL_E_CALL || !sl_expr_is_aggregate_name(x->u.call.name))
        return NULL;
    for (int i = 0; i < p->naggs; i++)
        if (sl_expr_same_in(h->pre, x, p->agg_ast[i]))
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
    for (int i = 0; i < s->nitems; i++)
        cap += s->items[i].star ? q->source->ncols : 0;
    sl_out_col *cols = sl_arena_calloc(a, (size_t)cap, sizeof *cols);
    const sl_expr **origin = sl_arena_calloc(a, (size_t)cap, sizeof *origin);
    int n = 0;
    for (int i = 0; i < s->nitems; i++) {
        const sl_select_item *it = &s->items[i];
        if (it->star) {
            /* every source column, each of which must be a grouping key */
            if (it->star_qualifier && strcmp(it->star_qualifier, q->source->name) &&
                !(s->from.alias && !strcmp(it->star_qualifier, s->from.alias)))
                return sl_error_at(err, SL_ERR_INVALID, qb->file, it->pos.line, it->pos.col, "Source '%s' not found",
                                   it->star_qualifier);
            for (int c = 0; c < q->source->ncols; c++) {
                sl_expr *ref = sl_arena_calloc(a, 1, sizeof *ref);
                ref->kind = SL_E_COLUMN;
                ref->pos = it->pos;
                ref->height = 1;
                ref->u.col.name = q->source->cols[c].name;
                cols[n].expr = sl_expr_compile(&post, ref, err);
                if (!cols[n].expr) {
                    if (err->code == SL_ERR_INVALID && strstr(err->msg, "cannot be resolved"))
                        snprintf(err->msg, sizeof err->msg, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s",
                                 ref->u.col.name);
                    return err->code;
                }
                cols[n].type = cols[n].expr->type;
                cols[n].name = ref->u.col.name;
                origin[n++] = ref;
            }
            continue;
        }
        if (it->struct_all)
            return sl_error_at(err, SL_ERR_UNSUPPORTED, qb->file, it->pos.line, it->pos.col,
                               "STRUCT->* in an aggregation's select list is not supported yet");
        cols[n].expr = sl_expr_compile(&post, it->expr, err);
        if (!cols[n].expr) {
            if (err->code == SL_ERR_INVALID && strstr(err->msg, "cannot be resolved"))
                snprintf(err->msg, sizeof err->msg, "Non-aggregate SELECT expression(s) not part of GROUP BY: %s",
                         sl_expr_default_name(it->expr) ? sl_expr_default_name(it->expr) : "expression");
            return err->code;
        }
        cols[n].type = cols[n].expr->type;
        cols[n].name = it->alias ? it->alias : sl_plan_item_name(a, s, i, q->source);
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
            if (!used[i] && sl_expr_same_in(pre, origin[i], p->key_ast[k]))
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
                if (sl_expr_same_in(pre, origin[i], p->key_ast[k]))
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
