/* Planning a join step: its sides, its key, its output columns, with
 * ksqlDB's rules (LogicalPlanner, JoinTree, JoinNode, FinalProjectNode,
 * AstSanitizer), read for understanding.
 *
 * Keys. Each ON is `a = b`, one expression per side. A side is keyed by its
 * expression when the expression is its source's single key column, or,
 * for an earlier step of an n-way join, when the expression is in that
 * step's equivalence set (both ON expressions, plus the earlier step's set
 * when they meet; empty after a FULL OUTER join): then the record's key is
 * the join key, even where the column itself is NULL (a LEFT JOIN's absent
 * right side). Otherwise the side is re-keyed by the expression's value.
 * A table side can only be keyed; a left table joined on another column is
 * a foreign-key join.
 *
 * The result's key column is the first viable key column (a column
 * reference in the equivalence set, the earlier steps' first) that the
 * projection names, itself or through * or X.*; without one (FULL OUTER,
 * joins on expressions) ksqlDB adds a synthetic key, ROWKEY. A foreign-key
 * join keeps the left table's key (all its columns, each in the projection
 * once, when it has several). The key item must be in the projection
 * exactly once; its value is always the record's join key.
 *
 * Names: SELECT * gives every source's columns (key columns first) as
 * <ALIAS>_<COLUMN>, after ROWKEY when the key is synthetic; X.* those of X;
 * a qualified column <ALIAS>_<COLUMN> only when several sources have a
 * column of that name (pseudo-columns always), else <COLUMN>.
 *
 * Windowed sources (two streams only, as ksqlDB's Analyzer and
 * PreJoinRepartitionNode allow them): both windowed alike, joined on their
 * keys (a windowed side cannot be re-keyed), and, unless the key format is
 * a registry one that ksqlDB repartitions anyway, with the same key format
 * and window. Records match when key and window start (a session's end
 * too) match; a side's window bounds are value columns after its keys, and
 * the result keeps the left window (join.c, join_stream.c).
 *
 * An internal step's output carries every column of every source behind it
 * (pseudo-columns included), each remembering its source, alias and name,
 * keyed by the join key; its lineage tells the next step which expressions
 * the key equals. */
#include "sql/plan_join_columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"

#define STEP_KEY_NAME "JOIN_KEY"
#define STEP_VIEW_TIME_NAME "VIEW_TIME"

#define JFAIL(code, pos, ...) return sl_error_at(err, code, qb->file, (pos).line, (pos).col, __VA_ARGS__)

const sl_source *sl_join_right(const sl_join_plan *p)
{
    return p->side[1].src;
}

const sl_join_lineage *sl_join_lineage_of(const sl_join_plan *p)
{
    return p->lineage;
}

/* ---------- the projection ---------- */

typedef struct item {
    const char *name;
    sl_cexpr *expr;
    const sl_type *type;
    const char *ident; /* "C(Q.N)" for a column reference, "#KEY" for the synthetic key */
} item;

/* The result's columns of a foreign-key join whose left table has several
 * key columns: each key column once (its presence was checked), keys
 * first in projection order, then the values. */
static sl_err_t fk_key_columns(sl_query_build *qb, sl_query *q, const sl_select *s, sl_join_plan *p, const item *it,
                               int n, sl_error *err)
{
    sl_arena *a = qb->arena;
    const sl_join_side *l = &p->side[0];
    const char *lq = l->alias ? l->alias : l->src->name;
    int *key_of_item = sl_arena_calloc(a, (size_t)n + 1, sizeof *key_of_item);
    for (int i = 0; i < n; i++) {
        key_of_item[i] = -1;
        for (int kc = 0; kc < p->fk_nkey && it[i].ident; kc++)
            if (!strcmp(it[i].ident, sl_arena_sprintf(a, "C(%s.%s)", lq, l->src->cols[kc].name))) {
                for (int k = 0; k < i; k++)
                    if (key_of_item[k] == kc)
                        JFAIL(SL_ERR_INVALID, s->pos,
                              "The projection contains a key column (%s) more than once.\nEach key column must only be "
                              "in the projection once. If you intended to copy the key into the value, then consider "
                              "using the AS_VALUE function to indicate which key reference should be copied.",
                              it[k].name);
                key_of_item[i] = kc;
            }
    }
    sl_out_col *cols = sl_arena_calloc(a, (size_t)n + 1, sizeof *cols);
    p->fk_key_col = sl_arena_calloc(a, (size_t)p->fk_nkey, sizeof *p->fk_key_col);
    int m = 0;
    for (int i = 0; i < n; i++)
        if (key_of_item[i] >= 0) {
            p->fk_key_col[m] = key_of_item[i];
            cols[m++] = (sl_out_col){.name = it[i].name, .type = it[i].type, .is_key = true};
        }
    for (int i = 0; i < n; i++)
        if (key_of_item[i] < 0)
            cols[m++] = (sl_out_col){.name = it[i].name, .type = it[i].type, .expr = it[i].expr};
    for (int i = 0; i < m; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(cols[i].name, cols[k].name))
                JFAIL(SL_ERR_INVALID, s->pos, "Duplicate column names: %s", cols[i].name);
    if (m == p->fk_nkey)
        JFAIL(SL_ERR_INVALID, s->pos, "The projection contains no value columns.");
    q->cols = cols;
    q->ncols = m;
    q->nkey_out = p->fk_nkey;
    return SL_OK;
}

static sl_err_t final_columns(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_join_plan *p, sl_scope *full,
                              const orig_list *origs, const sl_join_lineage *lin, const char *synthetic_name,
                              sl_error *err)
{
    sl_arena *a = qb->arena;
    const sl_select *s = st->select;
    int cap = s->nitems * (origs->n + 1) + 1; /* every item may be a star */
    item *it = sl_arena_calloc(a, (size_t)cap, sizeof *it);
    int n = 0;
    for (int i = 0; i < s->nitems; i++) {
        const sl_select_item *si = &s->items[i];
        if (si->star) {
            if (!si->star_qualifier) {
                if (p->synthetic_slot >= 0)
                    it[n++] = (item){synthetic_name, sl_cexpr_column(a, p->synthetic_slot, p->key_type), p->key_type,
                                     "#KEY"};
            }
            bool any = false;
            for (int c = 0; c < origs->n; c++) {
                const orig_col *oc = &origs->cols[c];
                if (oc->pseudo)
                    continue;
                if (si->star_qualifier && strcmp(si->star_qualifier, oc->q) && strcmp(si->star_qualifier, oc->src))
                    continue;
                any = true;
                it[n++] = (item){sl_arena_sprintf(a, "%s_%s", oc->q, oc->name), sl_cexpr_column(a, oc->slot, oc->type),
                                 oc->type, sl_arena_sprintf(a, "C(%s.%s)", oc->q, oc->name)};
            }
            if (!any && si->star_qualifier)
                JFAIL(SL_ERR_INVALID, si->pos, "Source '%s' cannot be resolved.", si->star_qualifier);
            continue;
        }
        if (si->struct_all) {
            sl_expr **fields;
            int nf = sl_expr_struct_all(full, si->expr, &fields, err);
            if (nf < 0)
                return err->code;
            /* keep the room the rest of the select list was given */
            int need = n + nf + (s->nitems - i - 1) * (origs->n + 1) + 1;
            if (need > cap) {
                cap = need;
                item *wider = sl_arena_calloc(a, (size_t)cap, sizeof *wider);
                memcpy(wider, it, (size_t)n * sizeof *it);
                it = wider;
            }
            for (int f = 0; f < nf; f++) {
                item *x = &it[n++];
                x->expr = sl_expr_compile(full, fields[f], err);
                if (!x->expr)
                    return err->code;
                x->type = x->expr->type;
                x->name = fields[f]->u.deref.field;
            }
            continue;
        }
        item *x = &it[n++];
        x->expr = sl_expr_compile(full, si->expr, err);
        if (!x->expr)
            return err->code;
        x->type = x->expr->type;
        const sl_expr *e = si->expr;
        if (e->kind == SL_E_COLUMN && p->synthetic_slot >= 0 && !e->u.col.qualifier &&
            !strcmp(e->u.col.name, synthetic_name))
            x->ident = "#KEY";
        else if (e->kind == SL_E_COLUMN)
            x->ident = sl_join_canon_text(full, e);
        if (si->alias)
            x->name = si->alias;
        else if (e->kind == SL_E_COLUMN && e->u.col.qualifier &&
                 (sl_join_is_pseudo(e->u.col.name) || sl_join_clash_count(origs, e->u.col.name) > 1))
            x->name = sl_arena_sprintf(a, "%s_%s", e->u.col.qualifier, e->u.col.name);
        else
            x->name = sl_expr_default_name(e);
    }
    int gen = 0;
    for (int i = 0; i < n; i++) {
        if (it[i].name)
            continue;
        char buf[32];
        bool taken;
        do {
            snprintf(buf, sizeof buf, "KSQL_COL_%d", gen++);
            taken = false;
            for (int c = 0; c < n; c++)
                taken |= it[c].name && !strcmp(it[c].name, buf);
        } while (taken);
        it[i].name = sl_arena_strdup(a, buf);
    }
    if (p->fk_nkey > 1)
        return fk_key_columns(qb, q, s, p, it, n, err);
    /* the key item */
    const char *key_ident = NULL;
    if (p->fk) {
        const sl_join_side *l = &p->side[0];
        key_ident = sl_arena_sprintf(a, "C(%s.%s)", l->alias ? l->alias : l->src->name, l->src->cols[0].name);
        bool present = false;
        for (int i = 0; i < n; i++)
            present |= it[i].ident && !strcmp(it[i].ident, key_ident);
        if (!present)
            JFAIL(SL_ERR_INVALID, s->pos,
                  "Primary key column missing in projection. For foreign-key table-table joins, the projection "
                  "must include all primary key columns from the left input table (`%s`). Missing column: `%s`.",
                  l->src->name, l->src->cols[0].name);
    } else if (p->synthetic_slot >= 0) {
        key_ident = "#KEY";
    } else {
        for (int v = 0; v < lin->nviable && !key_ident; v++) {
            const char *t = sl_arena_sprintf(a, "C(%s.%s)", lin->viable_q[v], lin->viable_name[v]);
            for (int i = 0; i < n && !key_ident; i++)
                if (it[i].ident && !strcmp(it[i].ident, t))
                    key_ident = t;
        }
    }
    int key = -1, times = 0;
    for (int i = 0; key_ident && i < n; i++)
        if (it[i].ident && !strcmp(it[i].ident, key_ident)) {
            if (key < 0)
                key = i;
            times++;
        }
    if (key < 0) {
        const char *eg = lin->nviable ? lin->viable_name[0] : synthetic_name ? synthetic_name : "";
        JFAIL(SL_ERR_INVALID, s->pos, "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
              "The query used to build `%s` must include the join expression in its projection (eg, SELECT %s...).",
              st->name, eg);
    }
    if (times > 1)
        JFAIL(SL_ERR_INVALID, s->pos,
              "The projection contains a key column (%s) more than once.\nEach key column must only be in the "
              "projection once. If you intended to copy the key into the value, then consider using the AS_VALUE "
              "function to indicate which key reference should be copied.",
              it[key].name);
    sl_out_col *cols = sl_arena_calloc(a, (size_t)n + 1, sizeof *cols);
    cols[0] = (sl_out_col){.name = it[key].name, .type = p->fk ? p->side[0].src->cols[0].type : p->key_type,
                           .is_key = true};
    int m = 1;
    for (int i = 0; i < n; i++)
        if (i != key)
            cols[m++] = (sl_out_col){.name = it[i].name, .type = it[i].type, .expr = it[i].expr};
    for (int i = 0; i < m; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(cols[i].name, cols[k].name))
                JFAIL(SL_ERR_INVALID, s->pos, "Duplicate column names: %s", cols[i].name);
    if (m < 2)
        JFAIL(SL_ERR_INVALID, s->pos, "The projection contains no value columns.");
    q->cols = cols;
    q->ncols = m;
    return SL_OK;
}

/* an internal step's output: the join key, then every original column */
static void step_columns(sl_arena *a, sl_query *q, const sl_join_plan *p, const orig_list *origs)
{
    sl_out_col *cols = sl_arena_calloc(a, (size_t)origs->n + 2, sizeof *cols);
    cols[0] = (sl_out_col){.name = STEP_KEY_NAME, .type = p->key_type, .is_key = true};
    int n = origs->n + 1;
    if (p->view_slot >= 0)
        cols[n++] = (sl_out_col){.name = STEP_VIEW_TIME_NAME, .type = &sl_type_bigint,
                                 .expr = sl_cexpr_column(a, p->view_slot, &sl_type_bigint)};
    for (int i = 0; i < origs->n; i++) {
        const orig_col *oc = &origs->cols[i];
        cols[i + 1] = (sl_out_col){.name = sl_arena_sprintf(a, "C%d", i), .type = oc->type,
                                   .expr = sl_cexpr_column(a, oc->slot, oc->type), .origin_source = oc->src,
                                   .origin_alias = strcmp(oc->q, oc->src) ? oc->q : NULL, .origin_name = oc->name};
    }
    q->cols = cols;
    q->ncols = n;
}

/* ---------- the plan ---------- */

sl_err_t sl_join_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_error *err)
{
    sl_arena *a = qb->arena;
    const sl_select *s = st->select;
    const sl_join *j = &s->joins[0];
    sl_join_plan *p = sl_arena_calloc(a, 1, sizeof *p);
    p->type = j->type;
    const sl_source *left = q->source, *right = sl_catalog_find(qb->catalog, j->right.name);
    if (!right)
        JFAIL(SL_ERR_INVALID, j->right.pos, "%s does not exist.", j->right.name);
    if (!strcmp(left->name, right->name))
        JFAIL(SL_ERR_INVALID, j->pos, "Can not join '%s' to '%s': self joins are not yet supported.", left->name,
              right->name);
    if (left->value_format == SL_FORMAT_KAFKA || right->value_format == SL_FORMAT_KAFKA)
        JFAIL(SL_ERR_INVALID, j->pos, "Source(s) %s are using the 'KAFKA' value format. This format does not yet support JOIN.",
              left->value_format == SL_FORMAT_KAFKA && right->value_format == SL_FORMAT_KAFKA
                  ? sl_arena_sprintf(a, "%s, %s", left->name, right->name)
                  : left->value_format == SL_FORMAT_KAFKA ? left->name : right->name);
    if (right->window_kind || left->window_kind) {
        /* ksqlDB's Analyzer: both sides windowed, and alike (session with
         * session, hopping or tumbling with either of those) */
        static const char *const kinds[] = {"not", "TUMBLING", "HOPPING", "SESSION"};
        const char *lname = s->from.alias ? s->from.alias : left->name;
        const char *rname = j->right.alias ? j->right.alias : right->name;
        if (!left->window_kind != !right->window_kind)
            JFAIL(SL_ERR_INVALID, j->pos, "Can not join windowed source to non-windowed source.\n`%s` is %s windowed\n`%s` is %s windowed",
                  lname, kinds[left->window_kind], rname, kinds[right->window_kind]);
        if ((left->window_kind == SL_WINDOW_SESSION) != (right->window_kind == SL_WINDOW_SESSION))
            JFAIL(SL_ERR_INVALID, j->pos,
                  "Incompatible windowed sources.\nLeft source: %s\nRight source: %s\nSession windowed sources can only "
                  "be joined to other session windowed sources, and may still not result in expected behaviour as "
                  "session bounds must be an exact match for the join to work\nHopping and tumbling windowed sources "
                  "can only be joined to other hopping and tumbling windowed sources",
                  kinds[left->window_kind], kinds[right->window_kind]);
    }
    bool lt = left->is_table, rt = right->is_table;
    p->stream_stream = !lt && !rt;
    p->stream_table = !lt && rt;
    p->table_table = lt && rt;
    if (lt && !rt)
        JFAIL(SL_ERR_INVALID, j->pos, "Invalid join order: table-stream joins are not supported; only stream-table joins. Got %s %s JOIN %s.",
              left->name, "", right->name);
    if (p->stream_stream && !j->has_within)
        JFAIL(SL_ERR_INVALID, j->pos, "Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how to specify a WITHIN clause with a stream-stream join, please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select");
    if (!p->stream_stream && j->has_within)
        JFAIL(SL_ERR_INVALID, j->pos, "A window definition was provided for a Stream-Table join. These joins are not windowed. Please drop the window definition (ie. the WITHIN clause) and try to execute your Stream-Table join again.");
    if (p->stream_table && (j->type == SL_JOIN_FULL || j->type == SL_JOIN_RIGHT))
        JFAIL(SL_ERR_INVALID, j->pos, "Invalid join type encountered: [%s OUTER] JOIN is not supported for stream-table joins.",
              j->type == SL_JOIN_FULL ? "FULL" : "RIGHT");
    /* a windowed side's slots end with its window bounds */
    int lwidth = left->ncols + 3 + (left->window_kind ? 2 : 0), rwidth = right->ncols + 3 + (right->window_kind ? 2 : 0);
    p->side[0] = (sl_join_side){left, s->from.alias, 0, lwidth, NULL, false, 0, -1};
    p->side[1] = (sl_join_side){right, j->right.alias, lwidth, rwidth, NULL, false, 0, -1};
    for (int i = 0; left->lineage && left->is_table && i < left->ncols; i++)
        if (!left->cols[i].origin_name && !strcmp(left->cols[i].name, STEP_VIEW_TIME_NAME))
            p->side[0].view_col = i;
    int lw = p->side[0].width, rw = p->side[1].width;
    sl_err_t rc;
    if ((rc = sl_time_extractor_for_source(&p->time[0], left, 0, qb->catalog, a, qb->file, s->from.pos, err)) ||
        (rc = sl_time_extractor_for_source(&p->time[1], right, lw, qb->catalog, a, qb->file, j->right.pos, err)))
        return rc;

    sl_scope full = {0}, lonly = {0}, ronly = {0};
    full.cols = sl_arena_calloc(a, (size_t)(lw + rw + 1), sizeof *full.cols);
    lonly.cols = sl_arena_calloc(a, (size_t)lw, sizeof *lonly.cols);
    ronly.cols = sl_arena_calloc(a, (size_t)rw, sizeof *ronly.cols);
    full.file = lonly.file = ronly.file = qb->file;
    full.arena = lonly.arena = ronly.arena = a;
    sl_join_add_side(&full, &p->side[0]);
    sl_join_add_side(&full, &p->side[1]);
    sl_join_add_side(&lonly, &p->side[0]);
    sl_join_add_side(&ronly, &p->side[1]);

    /* ON left = right, one expression per side in either order */
    const sl_expr *on = j->on;
    if (on->kind != SL_E_BINARY || on->u.binary.op != SL_OP_EQ)
        JFAIL(SL_ERR_INVALID, on->pos, "Unsupported join expression: only equality of one expression from each side is supported.");
    sl_error e1 = {0}, e2 = {0};
    const sl_expr *lx = on->u.binary.left, *rx = on->u.binary.right;
    sl_cexpr *lk = sl_expr_compile(&lonly, lx, &e1);
    sl_cexpr *rk = lk ? sl_expr_compile(&ronly, rx, &e2) : NULL;
    if (!lk || !rk) {
        sl_error e3 = {0}, e4 = {0};
        lx = on->u.binary.right;
        rx = on->u.binary.left;
        lk = sl_expr_compile(&lonly, lx, &e3);
        rk = lk ? sl_expr_compile(&ronly, rx, &e4) : NULL;
        if (!lk || !rk) {
            if (!sl_expr_compile(&full, on->u.binary.left, err) || !sl_expr_compile(&full, on->u.binary.right, err))
                return err->code;
            JFAIL(SL_ERR_INVALID, on->pos, "Invalid comparison expression in join: each side of the equality must reference exactly one source.");
        }
    }
    p->side[0].expr = lk;
    p->side[1].expr = rk;
    if (!sl_type_equal(lk->type, rk->type))
        JFAIL(SL_ERR_INVALID, on->pos, "Invalid join condition: types don't match. Got %s and %s.",
              sl_type_to_sql(a, lk->type), sl_type_to_sql(a, rk->type));
    if (sl_type_has_map(lk->type))
        JFAIL(SL_ERR_INVALID, on->pos,
              "Map keys, including types that contain maps, are not supported as they may lead to unexpected "
              "behavior due to inconsistent serialization.");
    const char *lcanon = sl_join_canon_text(&full, lx), *rcanon = sl_join_canon_text(&full, rx);

    /* which sides are keyed by their expression */
    const sl_join_lineage *prev = left->lineage;
    if (prev) {
        if (prev->fk_q) {
            const char *fq, *fn;
            const sl_type *ft;
            p->side[0].keyed = sl_join_colref(&full, lx, &fq, &fn, &ft) && !strcmp(fq, prev->fk_q) && !strcmp(fn, prev->fk_name);
        } else {
            p->side[0].keyed = sl_join_in_list(prev->equiv, prev->nequiv, lcanon);
        }
    } else {
        p->side[0].keyed = left->nkey == 1 && sl_cexpr_column_index(lk) == 0;
    }
    p->side[1].keyed = right->nkey == 1 && sl_cexpr_column_index(rk) == lw;
    p->side[0].key_slot = 0;
    p->side[1].key_slot = lw;
    if (left->window_kind) {
        /* ksqlDB cannot re-key a windowed side: a side joined on another
         * column, or whose key format differs from the left one (window
         * kind and size included) where that format is not one a registry
         * would force through a repartition anyway */
        bool same_key_format = left->key_format == right->key_format && left->window_kind == right->window_kind &&
                               (left->window_kind == SL_WINDOW_SESSION || left->window_size_ms == right->window_size_ms);
        bool registry_key = left->key_format == SL_FORMAT_AVRO || left->key_format == SL_FORMAT_JSON_SR ||
                            left->key_format == SL_FORMAT_PROTOBUF;
        if (!p->side[0].keyed || !p->side[1].keyed || (!same_key_format && !registry_key))
            JFAIL(SL_ERR_INVALID, j->pos, "Implicit repartitioning of windowed sources is not supported. "
                                          "See https://github.com/confluentinc/ksql/issues/4385.");
        if (!p->stream_stream || prev || st->join_step)
            JFAIL(SL_ERR_UNSUPPORTED, j->pos, "joins of windowed sources other than two streams are not supported yet");
    }
    if (rt && !p->side[1].keyed)
        JFAIL(SL_ERR_INVALID, on->pos, "Invalid join condition: %s joins require to join on the primary key of the right input table.",
              lt ? "table-table" : "stream-table");
    if (lt && !p->side[0].keyed) {
        if (prev)
            JFAIL(SL_ERR_INVALID, on->pos,
                  "Invalid join condition: foreign-key table-table joins are not supported as part of n-way joins.");
        /* a foreign-key join: the left table's column names the right key */
        if (j->type == SL_JOIN_RIGHT || j->type == SL_JOIN_FULL)
            JFAIL(SL_ERR_INVALID, j->pos, "%s OUTER JOIN on a foreign key is not supported",
                  j->type == SL_JOIN_RIGHT ? "RIGHT" : "FULL");
        if (left->nkey != 1) {
            /* ksqlDB wants every left key column in the projection first */
            for (int kc = 0; kc < left->nkey; kc++) {
                bool present = false;
                for (int i = 0; i < s->nitems && !present; i++) {
                    const sl_select_item *si = &s->items[i];
                    present = si->star ? !si->star_qualifier || !strcmp(si->star_qualifier, s->from.alias ? s->from.alias : left->name)
                                       : !si->struct_all && si->expr->kind == SL_E_COLUMN && !strcmp(si->expr->u.col.name, left->cols[kc].name) &&
                                             (!si->expr->u.col.qualifier ||
                                              !strcmp(si->expr->u.col.qualifier, s->from.alias ? s->from.alias : left->name));
                }
                if (!present)
                    JFAIL(SL_ERR_INVALID, s->pos,
                          "Primary key column missing in projection. For foreign-key table-table joins, the "
                          "projection must include all primary key columns from the left input table (`%s`). "
                          "Missing column: `%s`.",
                          left->name, left->cols[kc].name);
            }
            if (st->join_step)
                JFAIL(SL_ERR_UNSUPPORTED, s->pos,
                      "foreign-key joins of tables with several key columns in n-way joins are not supported yet");
            p->fk_nkey = left->nkey;
        }
        p->fk = true;
    }
    sl_join_lineage *lin = sl_join_build_lineage(a, &full, p, lx, rx, lcanon, rcanon);
    if (p->fk) {
        lin->fk_q = p->side[0].alias ? p->side[0].alias : left->name;
        lin->fk_name = left->cols[0].name;
    }
    p->key_type = p->fk ? left->cols[0].type : lk->type;
    sl_format kf = prev ? prev->key_format : left->key_format;
    if (kf == SL_FORMAT_NONE)
        kf = right->key_format != SL_FORMAT_NONE ? right->key_format : SL_FORMAT_KAFKA;
    p->key_format = kf;
    lin->key_format = kf;
    lin->first = prev ? prev->first : left;

    /* the original columns behind the join, for names and the projection */
    orig_list origs = {sl_arena_calloc(a, (size_t)(lw + rw + 6), sizeof(orig_col)), 0};
    sl_join_collect_origs(&p->side[0], &origs);
    sl_join_collect_origs(&p->side[1], &origs);

    /* a key no viable column carries gets ksqlDB's synthetic column */
    p->synthetic_slot = -1;
    const char *synthetic_name = NULL;
    if (!p->fk && lin->nviable == 0) {
        synthetic_name = "ROWKEY";
        for (int suffix = 0;; suffix++) {
            if (suffix)
                synthetic_name = sl_arena_sprintf(a, "ROWKEY_%d", suffix);
            bool taken = false;
            for (int c = 0; c < origs.n && !taken; c++)
                taken = !origs.cols[c].pseudo && !strcmp(origs.cols[c].name, synthetic_name);
            if (!taken)
                break;
        }
        p->synthetic_slot = lw + rw;
        sl_scope_col *c = &full.cols[full.ncols++];
        c->name = synthetic_name;
        c->type = p->key_type;
        c->index = p->synthetic_slot;
    }

    /* stream-stream windows (StreamStreamJoinBuilder) */
    p->before = j->within_before_ms;
    p->after = j->within_after_ms;
    p->grace = j->has_within_grace ? j->within_grace_ms
                                   : (DEFAULT_GRACE_MS - 2 * p->before > 0 ? DEFAULT_GRACE_MS - 2 * p->before : 0);
    p->retention = p->before + p->after + p->grace;
    p->this_side = j->type == SL_JOIN_RIGHT ? 1 : 0;
    bool ks_left_outer = j->type != SL_JOIN_INNER, ks_right_outer = j->type == SL_JOIN_FULL;
    p->outer[p->this_side] = ks_left_outer;
    p->outer[!p->this_side] = ks_right_outer;
    p->outer_store = p->stream_stream && j->has_within_grace && ks_left_outer;

    /* co-partitioning: sides joined on their keys without repartitioning
     * must have as many partitions (when declared), as ksqlDB checks */
    bool moved = !p->fk && !p->table_table && ((!lt && !p->side[0].keyed) || (!rt && !p->side[1].keyed));
    if (!p->fk && !moved && left->partitions > 0 && right->partitions > 0 && left->partitions != right->partitions)
        JFAIL(SL_ERR_INVALID, j->pos,
              "Can't join `%s` with `%s` since the number of partitions don't match. `%s` partitions = %d; `%s` "
              "partitions = %d. Please repartition either one so that the number of partitions match.",
              left->name, right->name, left->name, left->partitions, right->name, right->partitions);
    if (s->where) {
        q->where = sl_expr_compile(&full, s->where, err);
        if (!q->where)
            return err->code;
    }
    p->where_tombstones = p->table_table;
    p->step = st->join_step;
    p->view_slot = -1;
    q->row_width = lw + rw + (p->synthetic_slot >= 0);
    if (p->step && p->table_table)
        p->view_slot = q->row_width++; /* foreign-key steps too: they are table-table */
    if (p->step) {
        p->lineage = lin;
        step_columns(a, q, p, &origs);
    } else if ((rc = final_columns(qb, q, st, p, &full, &origs, lin, synthetic_name, err))) {
        return rc;
    }
    if (!p->fk_nkey)
        q->nkey_out = 1;
    q->join = p;
    return SL_OK;
}

/* ---------- partitioning ---------- */

void sl_join_repartition_sides(const sl_query *q, bool sides[2])
{
    const sl_join_plan *p = q->join;
    sides[0] = sides[1] = false;
    if (p->fk || p->table_table)
        return;
    sides[0] = !p->side[0].src->is_table && !p->side[0].keyed;
    sides[1] = !p->side[1].src->is_table && !p->side[1].keyed;
}

bool sl_join_copartitioned(const sl_query *q, const char **lt, const char **rt)
{
    const sl_join_plan *p = q->join;
    bool sides[2];
    sl_join_repartition_sides(q, sides);
    if (p->fk || sides[0] || sides[1])
        return false;
    *lt = p->side[0].src->topic;
    *rt = p->side[1].src->topic;
    return true;
}

bool sl_join_is_foreign_key(const sl_query *q)
{
    return q->join && q->join->fk;
}

bool sl_join_has_outer_store(const sl_query *q)
{
    return q->join && q->join->outer_store;
}

void sl_join_info_of(const sl_query *q, sl_join_info *out)
{
    const sl_join_plan *p = q->join;
    *out = (sl_join_info){.type = p->type,
                          .shape = p->fk               ? "foreign-key"
                                   : p->stream_stream ? "stream-stream"
                                   : p->stream_table  ? "stream-table"
                                                      : "table-table",
                          .holds_unmatched = p->outer_store};
    if (p->stream_stream) {
        out->before_ms = p->before;
        out->after_ms = p->after;
        out->grace_ms = p->grace;
    }
}
