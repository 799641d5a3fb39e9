/* Join operator (see join.h). Naming follows ksqlDB: SELECT * and a
 * qualified column without an alias are named <SOURCE>_<COLUMN>; the key of
 * the result is the join expression, carried by the select item that is one
 * of the join columns. State per task: a table side keeps its latest row per
 * join key; a stream side keeps a buffer of (timestamp, row) per join key,
 * pruned once records fall out of the window and grace. */
#include "ops/join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"
#include "state/store.h"

#define DEFAULT_GRACE_MS (24LL * 3600 * 1000)

struct sl_join_plan {
    sl_join_type type;
    const sl_source *left, *right;
    int lwidth, rwidth; /* columns + 3 pseudo-columns each */
    sl_cexpr *lkey, *rkey; /* over the joined row */
    bool stream_stream, stream_table, table_table;
    int64_t before, after, grace;
    /* ksqlDB's synthetic key column (ROWKEY, or ROWKEY_n when taken) for
     * FULL OUTER joins and joins on expressions: the row slot after both
     * sides holds the join key; -1 when the key is one of the join columns */
    int synthetic_slot;
    /* a foreign-key table-table join: the left table's lkey column points at
     * the right table's primary key; results are keyed by the left key */
    bool fk;
    /* each side's record time (its TIMESTAMP column), over the joined row */
    sl_time_extractor time[2];
};

struct sl_join_state {
    sl_store *lstore, *rstore;
    sl_store *fkindex; /* FK joins: right key -> the left keys pointing at it */
    sl_strbuf buf;
    uint64_t late_dropped; /* stream-stream: records past their window's grace */
};

const sl_source *sl_join_right(const sl_join_plan *p)
{
    return p->right;
}

#define JFAIL(code, pos, ...) return sl_error_at(err, code, qb->file, (pos).line, (pos).col, __VA_ARGS__)

static void add_side(sl_scope *scope, const sl_source *src, const char *alias, int base, sl_arena *a)
{
    for (int i = 0; i < src->ncols + 3; i++) {
        sl_scope_col *c = &scope->cols[scope->ncols++];
        static const char *pseudo[3] = {"ROWTIME", "ROWPARTITION", "ROWOFFSET"};
        static const sl_type *ptypes[3] = {&sl_type_bigint, &sl_type_int, &sl_type_bigint};
        c->name = i < src->ncols ? src->cols[i].name : pseudo[i - src->ncols];
        c->type = i < src->ncols ? src->cols[i].type : ptypes[i - src->ncols];
        c->source = src->name;
        c->alt_source = alias;
        c->index = base + i;
        c->hidden = i >= src->ncols;
        if (i < src->ncols && src->cols[i].origin_name) {
            /* an earlier join step's column answers to its original name */
            c->name = src->cols[i].origin_name;
            c->source = src->cols[i].origin_source;
            c->alt_source = src->cols[i].origin_alias;
        }
    }
}

static bool keyed_by_join(const sl_join_plan *p, int side);

static const char *qualifier_name(const sl_source *src, const char *alias)
{
    return alias ? alias : src->name;
}

/* how many of the original sources behind the join have a column named name */
static int sources_with_column(const sl_source *l, const sl_source *r, const char *name)
{
    const char *seen[64];
    int n = 0;
    for (int side = 0; side < 2; side++) {
        const sl_source *src = side ? r : l;
        for (int i = 0; i < src->ncols; i++) {
            const char *cn = src->cols[i].origin_name ? src->cols[i].origin_name : src->cols[i].name;
            const char *from = src->cols[i].origin_name ? src->cols[i].origin_source : src->name;
            if (strcmp(cn, name))
                continue;
            bool dup = false;
            for (int k = 0; k < n; k++)
                dup |= !strcmp(seen[k], from);
            if (!dup && n < 64)
                seen[n++] = from;
        }
    }
    return n;
}

sl_err_t sl_join_plan_build(sl_query_build *qb, sl_query *q, const sl_stmt *st, sl_error *err)
{
    sl_arena *a = qb->arena;
    const sl_select *s = st->select;
    const sl_join *j = &s->joins[0];
    sl_join_plan *p = sl_arena_calloc(a, 1, sizeof *p);
    p->type = j->type;
    p->left = q->source;
    p->right = sl_catalog_find(qb->catalog, j->right.name);
    if (!p->right)
        JFAIL(SL_ERR_INVALID, j->right.pos, "%s does not exist.", j->right.name);
    if (!strcmp(p->left->name, p->right->name))
        JFAIL(SL_ERR_INVALID, j->pos, "Can not join '%s' to '%s': self joins are not yet supported.", p->left->name,
              p->right->name);
    if (p->left->value_format == SL_FORMAT_KAFKA || p->right->value_format == SL_FORMAT_KAFKA)
        JFAIL(SL_ERR_INVALID, j->pos, "Source(s) %s are using the 'KAFKA' value format. This format does not yet support JOIN.",
              p->left->value_format == SL_FORMAT_KAFKA && p->right->value_format == SL_FORMAT_KAFKA
                  ? sl_arena_sprintf(a, "%s, %s", p->left->name, p->right->name)
                  : p->left->value_format == SL_FORMAT_KAFKA ? p->left->name : p->right->name);
    if (p->right->window_kind || p->left->window_kind)
        JFAIL(SL_ERR_UNSUPPORTED, j->pos, "joins of windowed sources are not supported yet");
    bool lt = p->left->is_table, rt = p->right->is_table;
    p->stream_stream = !lt && !rt;
    p->stream_table = !lt && rt;
    p->table_table = lt && rt;
    if (lt && !rt)
        JFAIL(SL_ERR_INVALID, j->pos, "Invalid join order: table-stream joins are not supported; only stream-table joins. Got %s %s JOIN %s.",
              p->left->name, "", p->right->name);
    if (p->stream_stream && !j->has_within)
        JFAIL(SL_ERR_INVALID, j->pos, "Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn about how to specify a WITHIN clause with a stream-stream join, please visit: https://docs.confluent.io/current/ksql/docs/syntax-reference.html#create-stream-as-select");
    if (!p->stream_stream && j->has_within)
        JFAIL(SL_ERR_INVALID, j->pos, "A window definition was provided for a Stream-Table join. These joins are not windowed. Please drop the window definition (ie. the WITHIN clause) and try to execute your Stream-Table join again.");
    if (p->stream_table && (j->type == SL_JOIN_FULL || j->type == SL_JOIN_RIGHT))
        JFAIL(SL_ERR_INVALID, j->pos, "Invalid join type encountered: [%s OUTER] JOIN is not supported for stream-table joins.",
              j->type == SL_JOIN_FULL ? "FULL" : "RIGHT");
    p->before = j->within_before_ms;
    p->after = j->within_after_ms;
    p->grace = j->has_within_grace ? j->within_grace_ms : DEFAULT_GRACE_MS;
    p->lwidth = p->left->ncols + 3;
    p->rwidth = p->right->ncols + 3;
    sl_err_t rc;
    if ((rc = sl_time_extractor_for_source(&p->time[0], p->left, 0, qb->catalog, a, qb->file, s->from.pos, err)) ||
        (rc = sl_time_extractor_for_source(&p->time[1], p->right, p->lwidth, qb->catalog, a, qb->file, j->right.pos,
                                           err)))
        return rc;

    sl_scope full = {0}, lonly = {0}, ronly = {0};
    full.cols = sl_arena_calloc(a, (size_t)(p->lwidth + p->rwidth + 1), sizeof *full.cols);
    lonly.cols = sl_arena_calloc(a, (size_t)p->lwidth, sizeof *lonly.cols);
    ronly.cols = sl_arena_calloc(a, (size_t)p->rwidth, sizeof *ronly.cols);
    full.file = lonly.file = ronly.file = qb->file;
    full.arena = lonly.arena = ronly.arena = a;
    add_side(&full, p->left, s->from.alias, 0, a);
    add_side(&full, p->right, j->right.alias, p->lwidth, a);
    add_side(&lonly, p->left, s->from.alias, 0, a);
    add_side(&ronly, p->right, j->right.alias, p->lwidth, a);

    /* ON left = right */
    const sl_expr *on = j->on;
    if (on->kind != SL_E_BINARY || on->u.binary.op != SL_OP_EQ)
        JFAIL(SL_ERR_INVALID, on->pos, "Unsupported join expression: only equality of one expression from each side is supported.");
    sl_error e1 = {0}, e2 = {0};
    const sl_expr *x = on->u.binary.left, *y = on->u.binary.right;
    p->lkey = sl_expr_compile(&lonly, x, &e1);
    p->rkey = p->lkey ? sl_expr_compile(&ronly, y, &e2) : NULL;
    if (!p->lkey || !p->rkey) {
        sl_error e3 = {0}, e4 = {0};
        p->lkey = sl_expr_compile(&lonly, y, &e3);
        p->rkey = p->lkey ? sl_expr_compile(&ronly, x, &e4) : NULL;
        if (!p->lkey || !p->rkey) {
            /* report the first problem against the full scope */
            if (!sl_expr_compile(&full, x, err) || !sl_expr_compile(&full, y, err))
                return err->code;
            JFAIL(SL_ERR_INVALID, on->pos, "Invalid comparison expression in join: each side of the equality must reference exactly one source.");
        }
    }
    if (!sl_type_equal(p->lkey->type, p->rkey->type))
        JFAIL(SL_ERR_INVALID, on->pos, "Invalid join condition: types don't match. Got %s and %s.",
              sl_type_to_sql(a, p->lkey->type), sl_type_to_sql(a, p->rkey->type));
    if (sl_type_has_map(p->lkey->type))
        JFAIL(SL_ERR_INVALID, on->pos,
              "Map keys, including types that contain maps, are not supported as they may lead to unexpected "
              "behavior due to inconsistent serialization.");
    if (p->right->is_table) {
        int ri = sl_cexpr_column_index(p->rkey) - p->lwidth;
        /* the right table is always looked up by its primary key; only the
         * left side of a table-table join may use another column (a
         * foreign-key join) */
        if (!(p->right->nkey == 1 && ri == 0))
            JFAIL(SL_ERR_INVALID, on->pos, "Invalid join condition: %s joins require to join on the primary key of the right input table.",
                  p->left->is_table ? "table-table" : "stream-table");
    }
    if (p->left->is_table) {
        int li = sl_cexpr_column_index(p->lkey);
        if (!(p->left->nkey == 1 && li == 0)) {
            /* a foreign-key join: the left table's column names the right key */
            if (j->type == SL_JOIN_RIGHT || j->type == SL_JOIN_FULL)
                JFAIL(SL_ERR_INVALID, j->pos, "%s OUTER JOIN on a foreign key is not supported",
                      j->type == SL_JOIN_RIGHT ? "RIGHT" : "FULL");
            p->fk = true;
        }
    }
    /* a key no single source column carries gets a synthetic column */
    p->synthetic_slot = -1;
    if (!p->fk && (j->type == SL_JOIN_FULL || (sl_cexpr_column_index(p->lkey) < 0 && sl_cexpr_column_index(p->rkey) < 0))) {
        const char *name = "ROWKEY";
        for (int suffix = 0;; suffix++) {
            if (suffix)
                name = sl_arena_sprintf(a, "ROWKEY_%d", suffix);
            bool taken = false;
            for (int c = 0; c < full.ncols && !taken; c++)
                taken = !full.cols[c].hidden && !strcmp(full.cols[c].name, name);
            if (!taken)
                break;
        }
        p->synthetic_slot = p->lwidth + p->rwidth;
        sl_scope_col *c = &full.cols[full.ncols++];
        c->name = name;
        c->type = p->lkey->type;
        c->index = p->synthetic_slot;
    }
    /* co-partitioning: sides joined on their keys without repartitioning
     * must have as many partitions (when declared), as ksqlDB checks */
    bool moved = !p->fk && !p->table_table && ((!p->left->is_table && !keyed_by_join(p, 0)) ||
                                               (!p->right->is_table && !keyed_by_join(p, 1)));
    if (!p->fk && !moved && p->left->partitions > 0 && p->right->partitions > 0 &&
        p->left->partitions != p->right->partitions)
        JFAIL(SL_ERR_INVALID, j->pos,
              "Can't join `%s` with `%s` since the number of partitions don't match. `%s` partitions = %d; `%s` "
              "partitions = %d. Please repartition either one so that the number of partitions match.",
              p->left->name, p->right->name, p->left->name, p->left->partitions, p->right->name,
              p->right->partitions);
    if (s->where) {
        q->where = sl_expr_compile(&full, s->where, err);
        if (!q->where)
            return err->code;
    }

    /* select list */
    int cap = s->nitems + p->lwidth + p->rwidth + 4;
    sl_out_col *cols = sl_arena_calloc(a, (size_t)cap, sizeof *cols);
    int *colidx = sl_arena_calloc(a, (size_t)cap, sizeof *colidx);
    int n = 0;
    for (int i = 0; i < s->nitems; i++) {
        const sl_select_item *it = &s->items[i];
        if (it->star) {
            for (int side = 0; side < 2; side++) {
                const sl_source *src = side ? p->right : p->left;
                const char *alias = side ? j->right.alias : s->from.alias;
                const char *qn = qualifier_name(src, alias);
                for (int c = 0; c < src->ncols; c++) {
                    const sl_column *sc = &src->cols[c];
                    /* an earlier join step's column keeps its original qualifier */
                    const char *oq = sc->origin_name ? (sc->origin_alias ? sc->origin_alias : sc->origin_source) : qn;
                    const char *osrc = sc->origin_name ? sc->origin_source : src->name;
                    if (it->star_qualifier && strcmp(it->star_qualifier, oq) && strcmp(it->star_qualifier, osrc))
                        continue;
                    int idx = (side ? p->lwidth : 0) + c;
                    const char *on_ = sc->origin_name ? sc->origin_name : sc->name;
                    cols[n].name = sl_arena_sprintf(a, "%s_%s", oq, on_);
                    cols[n].type = sc->type;
                    cols[n].expr = sl_cexpr_column(a, idx, sc->type);
                    cols[n].origin_source = osrc;
                    cols[n].origin_alias = sc->origin_name ? sc->origin_alias : alias;
                    cols[n].origin_name = on_;
                    colidx[n] = idx;
                    n++;
                }
            }
            continue;
        }
        cols[n].expr = sl_expr_compile(&full, it->expr, err);
        if (!cols[n].expr)
            return err->code;
        cols[n].type = cols[n].expr->type;
        colidx[n] = sl_cexpr_column_index(cols[n].expr);
        if (it->alias)
            cols[n].name = it->alias;
        else if (it->expr->kind == SL_E_COLUMN && it->expr->u.col.qualifier &&
                 (!strcmp(it->expr->u.col.name, "ROWTIME") || !strcmp(it->expr->u.col.name, "ROWPARTITION") ||
                  !strcmp(it->expr->u.col.name, "ROWOFFSET")))
            cols[n].name = sl_arena_sprintf(a, "%s_%s", it->expr->u.col.qualifier, it->expr->u.col.name);
        else if (it->expr->kind == SL_E_COLUMN && it->expr->u.col.qualifier &&
                 sources_with_column(p->left, p->right, it->expr->u.col.name) > 1)
            /* a name both sides have is qualified by its source */
            cols[n].name = sl_arena_sprintf(a, "%s_%s", it->expr->u.col.qualifier, it->expr->u.col.name);
        else
            cols[n].name = sl_expr_default_name(it->expr);
        n++;
    }
    int gen = 0;
    for (int i = 0; i < n; i++) {
        if (cols[i].name)
            continue;
        char buf[32];
        bool taken;
        do {
            snprintf(buf, sizeof buf, "KSQL_COL_%d", gen++);
            taken = false;
            for (int c = 0; c < n; c++)
                taken |= cols[c].name && !strcmp(cols[c].name, buf);
        } while (taken);
        cols[i].name = sl_arena_strdup(a, buf);
    }
    /* the key: the first select item that is one of the join columns */
    int li = sl_cexpr_column_index(p->lkey), ri = sl_cexpr_column_index(p->rkey), key = -1;
    if (p->synthetic_slot >= 0)
        li = ri = p->synthetic_slot;
    if (p->fk) {
        /* results are keyed by the left table's primary key, which the
         * projection must carry */
        for (int kc = 0; kc < p->left->nkey; kc++) {
            bool present = false;
            for (int i = 0; i < n; i++)
                present |= colidx[i] == kc;
            if (!present)
                JFAIL(SL_ERR_INVALID, s->pos,
                      "Primary key column missing in projection. For foreign-key table-table joins, the projection "
                      "must include all primary key columns from the left input table (`%s`). Missing column: `%s`.",
                      p->left->name, p->left->cols[kc].name);
        }
        if (p->left->nkey != 1)
            JFAIL(SL_ERR_UNSUPPORTED, s->pos, "foreign-key joins of tables with several key columns are not supported yet");
        li = 0;
        ri = -1;
    }
    for (int i = 0; i < n && key < 0; i++)
        if (colidx[i] >= 0 && ((li >= 0 && colidx[i] == li) || (ri >= 0 && colidx[i] == ri)))
            key = i;
    if (key < 0)
        JFAIL(SL_ERR_INVALID, s->pos, "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
              "The query used to build `%s` must include the join expression in its projection (eg, SELECT %s...).",
              st->name, on->u.binary.left->kind == SL_E_COLUMN ? on->u.binary.left->u.col.name : "");
    sl_out_col *ordered = sl_arena_calloc(a, (size_t)n + 1, sizeof *ordered);
    ordered[0] = cols[key];
    ordered[0].is_key = true;
    /* the key value is the join key whichever side carries it */
    ordered[0].expr = NULL;
    int m = 1;
    for (int i = 0; i < n; i++)
        if (i != key) {
            ordered[m] = cols[i];
            ordered[m].is_key = false;
            m++;
        }
    for (int i = 0; i < m; i++)
        for (int k = 0; k < i; k++)
            if (!strcmp(ordered[i].name, ordered[k].name))
                JFAIL(SL_ERR_INVALID, s->pos, "Duplicate column names: %s", ordered[i].name);
    q->cols = ordered;
    q->ncols = m;
    q->nkey_out = 1;
    q->row_width = p->lwidth + p->rwidth + (p->synthetic_slot >= 0);
    q->join = p;
    return SL_OK;
}

/* ---------- state ---------- */

sl_join_state *sl_join_state_new(const sl_query *q)
{
    sl_join_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    /* the left store also holds the join's stream time */
    s->lstore = sl_store_new_for(q->id, "JoinLeft");
    s->rstore = sl_store_new_for(q->id, "JoinRight");
    if (q->join->fk)
        s->fkindex = sl_store_new_for(q->id, "FkIndex");
    sl_strbuf_init(&s->buf);
    return s;
}

void sl_join_state_destroy(sl_join_state *s)
{
    if (!s)
        return;
    sl_store_destroy(s->lstore);
    sl_store_destroy(s->rstore);
    sl_store_destroy(s->fkindex);
    sl_strbuf_free(&s->buf);
    free(s);
}

/* ---------- processing ---------- */

typedef struct side_rows {
    sl_value *rows; /* ARRAY of STRUCT(ts, row ARRAY) for streams; table: one */
    uint32_t n;
} side_rows;

static void null_side(sl_value *row, const sl_source *src, int base)
{
    for (int i = 0; i < src->ncols; i++)
        row[base + i] = sl_null(src->cols[i].type->kind);
    row[base + src->ncols] = sl_null(SL_BIGINT);
    row[base + src->ncols + 1] = sl_null(SL_INT);
    row[base + src->ncols + 2] = sl_null(SL_BIGINT);
}

static sl_value load(sl_store *st, const char *key, size_t klen, sl_arena *a, bool *found)
{
    size_t vlen;
    const void *v = sl_store_get(st, key, klen, &vlen);
    sl_value out = sl_array_new(a, 0);
    *found = false;
    if (!v)
        return out;
    unsigned char *copy = sl_arena_alloc(a, vlen);
    memcpy(copy, v, vlen);
    size_t pos = 0;
    if (sl_valcodec_get(copy, vlen, &pos, a, &out) && out.kind == SL_ARRAY) {
        *found = true;
        return out;
    }
    return sl_array_new(a, 0);
}

static void save(sl_join_state *s, sl_store *st, const char *key, size_t klen, const sl_value *v)
{
    sl_strbuf_reset(&s->buf);
    sl_valcodec_put(&s->buf, v);
    sl_store_put(st, key, klen, s->buf.data, s->buf.len);
}

static sl_value entry(sl_arena *a, int64_t ts, const sl_value *half, int width)
{
    sl_value e = sl_struct_new(a, 2);
    e.u.c.items[0] = sl_bigint(ts);
    sl_value r = sl_array_new(a, (uint32_t)width);
    memcpy(r.u.c.items, half, (size_t)width * sizeof(sl_value));
    e.u.c.items[1] = r;
    return e;
}

static void emit_joined(const sl_query *q, const sl_value *row, const sl_value *key, int64_t ts, sl_arena *a,
                        sl_query_emitter *em)
{
    sl_error err;
    sl_error_init(&err);
    if (q->join->synthetic_slot >= 0)
        ((sl_value *)row)[q->join->synthetic_slot] = *key;
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    if (q->where) {
        sl_value keep;
        sl_cexpr_eval(q->where, &ctx, &keep);
        if (keep.null || !keep.u.b) {
            /* filtered out; a WHERE that failed to evaluate says why */
            if (ctx.errors)
                em->out->processing_error(em->out->ctx, em->source, err.msg);
            return;
        }
    }
    sl_value *vals = sl_arena_alloc(a, (size_t)q->ncols * sizeof *vals);
    vals[0] = *key;
    for (int i = 1; i < q->ncols; i++) {
        sl_cexpr_eval(q->cols[i].expr, &ctx, &vals[i]);
        if (vals[i].null)
            vals[i].kind = (uint8_t)q->cols[i].type->kind;
    }
    if (ctx.errors)
        em->out->processing_error(em->out->ctx, em->source, err.msg);
    /* WITH (TIMESTAMP='col') on the sink: that column is the record time */
    if (!sl_time_extract(&q->sink_time, vals, em->source, a, em->out, &ts))
        return;
    sl_query_emit(q, vals, vals, ts, NULL, a, em);
}

/* ---------- foreign-key table-table joins ---------- */

static char *encode_key(sl_join_state *s, const sl_value *v, sl_arena *a, size_t *len)
{
    sl_strbuf_reset(&s->buf);
    sl_valcodec_put(&s->buf, v);
    *len = s->buf.len;
    return sl_arena_strndup(a, s->buf.data ? s->buf.data : "", *len);
}

/* adds (add) or removes a left key from the list of one right key */
static void fk_index_update(sl_join_state *s, const sl_value *fk, const sl_value *lkey, bool add, sl_arena *a)
{
    size_t klen;
    char *k = encode_key(s, fk, a, &klen);
    bool found;
    sl_value list = load(s->fkindex, k, klen, a, &found);
    sl_value nl = sl_array_new(a, list.u.c.n + 1);
    uint32_t n = 0;
    for (uint32_t i = 0; i < list.u.c.n; i++)
        if (!sl_value_equal(&list.u.c.items[i], lkey))
            nl.u.c.items[n++] = list.u.c.items[i];
    if (add)
        nl.u.c.items[n++] = *lkey;
    nl.u.c.n = n;
    if (n)
        save(s, s->fkindex, k, klen, &nl);
    else
        sl_store_delete(s->fkindex, k, klen);
}

static void fk_emit(const sl_query *q, sl_join_state *s, const sl_value *lrow, const sl_value *rrow, int64_t ts,
                    sl_arena *a, sl_query_emitter *em)
{
    const sl_join_plan *p = q->join;
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    memcpy(row, lrow, (size_t)p->lwidth * sizeof *row);
    if (rrow)
        memcpy(row + p->lwidth, rrow, (size_t)p->rwidth * sizeof *row);
    else
        null_side(row, p->right, p->lwidth);
    emit_joined(q, row, &row[0], ts, a, em);
}

static void fk_withdraw(const sl_query *q, const sl_value *lkey, int64_t ts, sl_arena *a, sl_query_emitter *em)
{
    sl_value kv[1] = {*lkey};
    sl_query_emit(q, kv, NULL, ts, NULL, a, em);
}

/* Left updates look the right table up by their foreign key; right updates
 * re-emit every left row that points at them (found through fkindex).
 * Results are keyed by the left key; a left delete withdraws its result. */
static void fk_process(const sl_query *q, sl_join_state *s, const sl_record *in, bool is_left, sl_arena *a,
                       sl_query_emitter *em, const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    const sl_source *src = is_left ? p->left : p->right;
    int base = is_left ? 0 : p->lwidth, width = is_left ? p->lwidth : p->rwidth;
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    bool deleted;
    if (!sl_source_decode(src, in, row + base, &deleted, a, out))
        return;
    int64_t ts = in->timestamp;
    if (!sl_time_extract(&p->time[!is_left], row, in, a, out, &ts))
        return;
    row[base + src->ncols] = sl_bigint(ts);
    const sl_value *pk = &row[base]; /* the side's primary key */
    if (pk->null)
        return;
    size_t pklen;
    char *pkk = encode_key(s, pk, a, &pklen);
    sl_error err;
    sl_error_init(&err);
    if (is_left) {
        bool had;
        sl_value old = load(s->lstore, pkk, pklen, a, &had);
        if (had && old.u.c.n) {
            sl_value *orow = old.u.c.items[0].u.c.items[1].u.c.items;
            sl_eval_ctx octx = {.row = orow, .arena = a, .err = &err};
            sl_value ofk;
            sl_cexpr_eval(p->lkey, &octx, &ofk);
            if (!ofk.null)
                fk_index_update(s, &ofk, pk, false, a);
        }
        if (deleted) {
            sl_store_delete(s->lstore, pkk, pklen);
            if (had)
                fk_withdraw(q, pk, ts, a, em);
            return;
        }
        sl_value one = sl_array_new(a, 1);
        one.u.c.items[0] = entry(a, ts, row, width);
        save(s, s->lstore, pkk, pklen, &one);
        sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
        sl_value fk;
        sl_cexpr_eval(p->lkey, &ctx, &fk);
        if (ctx.errors) /* the row stays, pointing nowhere */
            out->processing_error(out->ctx, in, err.msg);
        const sl_value *rrow = NULL;
        int64_t rts = ts;
        if (!fk.null) {
            fk_index_update(s, &fk, pk, true, a);
            size_t fklen;
            char *fkk = encode_key(s, &fk, a, &fklen);
            bool found;
            sl_value r = load(s->rstore, fkk, fklen, a, &found);
            if (found && r.u.c.n) {
                rrow = r.u.c.items[0].u.c.items[1].u.c.items;
                int64_t t = r.u.c.items[0].u.c.items[0].u.l;
                rts = t > ts ? t : ts;
            }
        }
        if (rrow || p->type == SL_JOIN_LEFT)
            fk_emit(q, s, row, rrow, rts, a, em);
        else if (had)
            fk_withdraw(q, pk, ts, a, em);
        return;
    }
    /* a right update: every left row pointing here changes */
    if (deleted)
        sl_store_delete(s->rstore, pkk, pklen);
    else {
        sl_value one = sl_array_new(a, 1);
        one.u.c.items[0] = entry(a, ts, row + base, width);
        save(s, s->rstore, pkk, pklen, &one);
    }
    bool found;
    sl_value lefts = load(s->fkindex, pkk, pklen, a, &found);
    for (uint32_t i = 0; i < lefts.u.c.n; i++) {
        size_t lklen;
        char *lk = encode_key(s, &lefts.u.c.items[i], a, &lklen);
        bool have;
        sl_value l = load(s->lstore, lk, lklen, a, &have);
        if (!have || !l.u.c.n)
            continue;
        sl_value *lrow = l.u.c.items[0].u.c.items[1].u.c.items;
        int64_t lts = l.u.c.items[0].u.c.items[0].u.l;
        int64_t rts = lts > ts ? lts : ts;
        if (!deleted)
            fk_emit(q, s, lrow, row + base, rts, a, em);
        else if (p->type == SL_JOIN_LEFT)
            fk_emit(q, s, lrow, NULL, rts, a, em);
        else
            fk_withdraw(q, &lrow[0], rts, a, em);
    }
}

void sl_join_process(const sl_query *q, sl_join_state *s, const sl_record *in, sl_arena *a, sl_strbuf *keybuf,
                     sl_strbuf *valbuf, const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    if (p->fk) {
        sl_query_emitter em = {out, in, keybuf, valbuf};
        bool is_left = !strcmp(in->topic, p->left->topic);
        fk_process(q, s, in, is_left, a, &em, out);
        if (is_left && !strcmp(in->topic, p->right->topic))
            fk_process(q, s, in, false, a, &em, out);
        return;
    }
    bool is_left = !strcmp(in->topic, p->left->topic);
    bool both = is_left && !strcmp(in->topic, p->right->topic);
    for (int pass = 0; pass < (both ? 2 : 1); pass++) {
        if (pass)
            is_left = false;
        const sl_source *src = is_left ? p->left : p->right;
        int base = is_left ? 0 : p->lwidth, width = is_left ? p->lwidth : p->rwidth;
        sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
        bool deleted;
        if (!sl_source_decode(src, in, row + base, &deleted, a, out))
            continue;
        if (deleted && !src->is_table) {
            sl_source_log_null_value(src, in, out);
            continue;
        }
        null_side(row, is_left ? p->right : p->left, is_left ? p->lwidth : 0);
        int64_t ts = in->timestamp;
        if (!sl_time_extract(&p->time[!is_left], row, in, a, out, &ts))
            continue;
        row[base + src->ncols] = sl_bigint(ts); /* ROWTIME is the extracted time */
        sl_error err;
        sl_error_init(&err);
        sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
        sl_value key;
        sl_cexpr_eval(is_left ? p->lkey : p->rkey, &ctx, &key);
        if (key.null) {
            /* records with a NULL join key never match (ksqlDB drops them);
             * one whose key expression failed is reported */
            if (ctx.errors)
                out->processing_error(out->ctx, in, err.msg);
            continue;
        }
        sl_strbuf_reset(&s->buf);
        sl_valcodec_put(&s->buf, &key);
        size_t klen = s->buf.len;
        char *k = sl_arena_strndup(a, s->buf.data, klen);
        sl_store *mine = is_left ? s->lstore : s->rstore, *other = is_left ? s->rstore : s->lstore;
        sl_query_emitter em = {out, in, keybuf, valbuf};
        sl_store_advance_stream_time(s->lstore, ts);
        size_t had_len;
        bool had_mine = src->is_table && sl_store_get(mine, k, klen, &had_len) != NULL;
        if (src->is_table) {
            if (deleted)
                sl_store_delete(mine, k, klen);
            else {
                sl_value one = sl_array_new(a, 1);
                one.u.c.items[0] = entry(a, ts, row + base, width);
                save(s, mine, k, klen, &one);
            }
        }
        bool found;
        sl_value others = load(other, k, klen, a, &found);
        int obase = is_left ? p->lwidth : 0, owidth = is_left ? p->rwidth : p->lwidth;
        if (p->stream_table) {
            if (!is_left)
                continue; /* table updates do not trigger output */
            if (others.u.c.n) {
                memcpy(row + obase, others.u.c.items[0].u.c.items[1].u.c.items, (size_t)owidth * sizeof(sl_value));
                emit_joined(q, row, &key, ts, a, &em);
            } else if (p->type == SL_JOIN_LEFT) {
                emit_joined(q, row, &key, ts, a, &em);
            }
            continue;
        }
        if (p->table_table) {
            bool have_other = others.u.c.n > 0;
            if (have_other)
                memcpy(row + obase, others.u.c.items[0].u.c.items[1].u.c.items, (size_t)owidth * sizeof(sl_value));
            bool have_mine = !deleted;
            bool have_l = is_left ? have_mine : have_other, have_r = is_left ? have_other : have_mine;
            bool emit = p->type == SL_JOIN_INNER   ? have_l && have_r
                        : p->type == SL_JOIN_LEFT  ? have_l
                        : p->type == SL_JOIN_RIGHT ? have_r
                                                   : have_l || have_r;
            int64_t ots = have_other ? others.u.c.items[0].u.c.items[0].u.l : ts;
            int64_t rts = ots > ts ? ots : ts;
            bool had_l = is_left ? had_mine : have_other, had_r = is_left ? have_other : had_mine;
            bool had_result = p->type == SL_JOIN_INNER   ? had_l && had_r
                              : p->type == SL_JOIN_LEFT  ? had_l
                              : p->type == SL_JOIN_RIGHT ? had_r
                                                         : had_l || had_r;
            if (emit) {
                emit_joined(q, row, &key, rts, a, &em);
            } else if (had_result) {
                /* a result that existed is withdrawn; none existed: nothing to say */
                sl_value kv[1] = {key};
                sl_query_emit(q, kv, NULL, rts, NULL, a, &em);
            }
            continue;
        }
        /* stream-stream: a record too late for any window it could join
         * (its time + the window after it + grace is behind stream time) is
         * dropped, as Kafka Streams drops it */
        int64_t this_after = is_left ? p->after : p->before;
        if (ts + this_after + p->grace < sl_store_stream_time(s->lstore)) {
            s->late_dropped++; /* counted with windowed aggregations' late records */
            continue;
        }
        /* buffer this record, join with the other side's records inside the window */
        sl_value *half = row + base;
        bool mine_found;
        sl_value buf = load(mine, k, klen, a, &mine_found);
        int64_t horizon = p->before > p->after ? p->before : p->after;
        sl_value nb = sl_array_new(a, buf.u.c.n + 1);
        uint32_t nn = 0;
        for (uint32_t i = 0; i < buf.u.c.n; i++)
            if (buf.u.c.items[i].u.c.items[0].u.l >= sl_store_stream_time(s->lstore) - horizon - p->grace)
                nb.u.c.items[nn++] = buf.u.c.items[i];
        nb.u.c.items[nn++] = entry(a, ts, half, width);
        nb.u.c.n = nn;
        save(s, mine, k, klen, &nb);
        bool matched = false;
        for (uint32_t i = 0; i < others.u.c.n; i++) {
            int64_t ots = others.u.c.items[i].u.c.items[0].u.l;
            /* left at lt matches right at rt when lt - before <= rt <= lt + after */
            int64_t lt = is_left ? ts : ots, rt = is_left ? ots : ts;
            if (rt < lt - p->before || rt > lt + p->after)
                continue;
            memcpy(row + obase, others.u.c.items[i].u.c.items[1].u.c.items, (size_t)owidth * sizeof(sl_value));
            emit_joined(q, row, &key, ots > ts ? ots : ts, a, &em);
            matched = true;
        }
        if (!matched && ((is_left && (p->type == SL_JOIN_LEFT || p->type == SL_JOIN_FULL)) ||
                         (!is_left && (p->type == SL_JOIN_RIGHT || p->type == SL_JOIN_FULL)))) {
            null_side(row, is_left ? p->right : p->left, obase);
            emit_joined(q, row, &key, ts, a, &em);
        }
    }
}

void sl_join_state_foreach_store(sl_join_state *s, sl_store_each_fn fn, void *ctx)
{
    fn(ctx, s->lstore);
    fn(ctx, s->rstore);
    if (s->fkindex)
        fn(ctx, s->fkindex);
}

void sl_join_state_stats(const sl_join_state *s, sl_store_stats *into)
{
    if (!s)
        return;
    sl_store_add_stats(s->lstore, into);
    sl_store_add_stats(s->rstore, into);
    sl_store_add_stats(s->fkindex, into);
    into->late_dropped += s->late_dropped;
}

static void ignore_error(void *ctx, const sl_record *src, const char *msg)
{
    (void)ctx;
    (void)src;
    (void)msg;
}

/* a side is keyed by its join expression when that is its only key column */
static bool keyed_by_join(const sl_join_plan *p, int side)
{
    const sl_source *src = side ? p->right : p->left;
    int idx = sl_cexpr_column_index(side ? p->rkey : p->lkey) - (side ? p->lwidth : 0);
    return src->nkey == 1 && idx == 0;
}

void sl_join_repartition_sides(const sl_query *q, bool sides[2])
{
    const sl_join_plan *p = q->join;
    sides[0] = sides[1] = false;
    if (p->fk || p->table_table)
        return;
    sides[0] = !p->left->is_table && !keyed_by_join(p, 0);
    sides[1] = !p->right->is_table && !keyed_by_join(p, 1);
}

bool sl_join_partition_key(const sl_query *q, int side, const sl_record *in, sl_arena *a, sl_strbuf *out)
{
    const sl_join_plan *p = q->join;
    const sl_source *src = side ? p->right : p->left;
    int base = side ? p->lwidth : 0;
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    bool deleted;
    /* decode without reporting: the direct path reports bad records */
    sl_collector quiet = {NULL, ignore_error, NULL, NULL};
    if (!sl_source_decode(src, in, row + base, &deleted, a, &quiet) || deleted)
        return false;
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value key;
    sl_cexpr_eval(side ? p->rkey : p->lkey, &ctx, &key);
    if (key.null)
        return false;
    /* the other side's keys are where the match lives: write this key as
     * they are written so that the partitioner sends it to their partition */
    const sl_source *keyed = keyed_by_join(p, !side) ? (side ? p->left : p->right) : NULL;
    sl_strbuf_reset(out);
    if (keyed && !sl_serde_encode(keyed->key_serde, &key, out, &err))
        return true;
    sl_strbuf_reset(out);
    sl_valcodec_put(out, &key);
    return true;
}

bool sl_join_copartitioned(const sl_query *q, const char **lt, const char **rt)
{
    const sl_join_plan *p = q->join;
    bool sides[2];
    sl_join_repartition_sides(q, sides);
    if (p->fk || sides[0] || sides[1])
        return false;
    *lt = p->left->topic;
    *rt = p->right->topic;
    return true;
}

bool sl_join_is_foreign_key(const sl_query *q)
{
    return q->join && q->join->fk;
}
