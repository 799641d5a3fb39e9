/* Stateless query planning and execution. Planning resolves the select list
 * against the source row (keys, values, headers, pseudo-columns), names the
 * outputs as ksqlDB does (alias, column name, struct field name, else
 * KSQL_COL_n skipping taken names), decides the output key (the source key
 * columns carried through, or the PARTITION BY expressions) and creates the
 * sink with formats inherited from the source unless overridden. */
#include "ops/query.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "sql/cast.h"

sl_err_t sl_formats_from_with(const sl_property_list *w, const sl_catalog *cat, sl_format *key,
                              sl_format *value, bool *has_key, bool *has_value, const char *file,
                              sl_pos pos, sl_error *err);

#define QFAIL(code, pos, ...) return sl_error_at(err, code, qb->file, (pos).line, (pos).col, __VA_ARGS__)


static bool name_taken(const sl_source *src, sl_out_col *cols, int n, const char *name)
{
    for (int i = 0; i < src->ncols; i++)
        if (!strcmp(src->cols[i].name, name))
            return true;
    for (int i = 0; i < n; i++)
        if (cols[i].name && !strcmp(cols[i].name, name))
            return true;
    return false;
}

static sl_err_t unsupported_clauses(sl_query_build *qb, const sl_select *s, sl_error *err)
{
    if (s->njoins)
        QFAIL(SL_ERR_UNSUPPORTED, s->joins[0].pos, "JOIN is not supported yet");
    if (s->window.kind)
        QFAIL(SL_ERR_UNSUPPORTED, s->window.pos, "WINDOW is not supported yet");
    if (s->group_by.count)
        QFAIL(SL_ERR_UNSUPPORTED, s->group_by.items[0]->pos, "GROUP BY is not supported yet");
    if (s->having)
        QFAIL(SL_ERR_UNSUPPORTED, s->having->pos, "HAVING is not supported yet");
    if (s->emit_final)
        QFAIL(SL_ERR_UNSUPPORTED, s->pos, "EMIT FINAL is not supported yet");
    return SL_OK;
}

static bool contains_aggregate(const sl_expr *x)
{
    if (!x)
        return false;
    switch (x->kind) {
    case SL_E_CALL:
        if (sl_expr_is_aggregate_name(x->u.call.name))
            return true;
        for (int i = 0; i < x->u.call.args.count; i++)
            if (contains_aggregate(x->u.call.args.items[i]))
                return true;
        return false;
    case SL_E_BINARY: return contains_aggregate(x->u.binary.left) || contains_aggregate(x->u.binary.right);
    case SL_E_UNARY: return contains_aggregate(x->u.unary.arg);
    case SL_E_CAST: return contains_aggregate(x->u.cast.arg);
    default: return false;
    }
}

/* Builds the scope of the source row. */
static void build_scope(sl_query_build *qb, sl_query *q, const sl_select *s, sl_scope *scope)
{
    sl_source *src = q->source;
    int n = src->ncols;
    scope->cols = sl_arena_calloc(qb->arena, (size_t)n + 3, sizeof *scope->cols);
    for (int i = 0; i < n; i++) {
        scope->cols[i].name = src->cols[i].name;
        scope->cols[i].source = src->name;
        scope->cols[i].alt_source = s->from.alias;
        scope->cols[i].type = src->cols[i].type;
        scope->cols[i].index = i;
    }
    const char *pseudo[3] = {"ROWTIME", "ROWPARTITION", "ROWOFFSET"};
    const sl_type *ptypes[3] = {&sl_type_bigint, &sl_type_int, &sl_type_bigint};
    for (int i = 0; i < 3; i++) {
        scope->cols[n + i].name = pseudo[i];
        scope->cols[n + i].source = src->name;
        scope->cols[n + i].alt_source = s->from.alias;
        scope->cols[n + i].type = ptypes[i];
        scope->cols[n + i].index = n + i;
        scope->cols[n + i].hidden = true;
    }
    q->idx_rowtime = n;
    q->idx_rowpartition = n + 1;
    q->idx_rowoffset = n + 2;
    q->row_width = n + 3;
    scope->ncols = n + 3;
    scope->file = qb->file;
    scope->arena = qb->arena;
}

static sl_err_t source_timestamp(sl_query_build *qb, sl_query *q, sl_scope *scope, const sl_stmt *st,
                                 sl_error *err)
{
    sl_source *src = q->source;
    if (!src->timestamp_column)
        return SL_OK;
    for (int i = 0; i < src->ncols; i++) {
        if (strcmp(src->cols[i].name, src->timestamp_column))
            continue;
        sl_cexpr *c = sl_cexpr_column(qb->arena, i, src->cols[i].type);
        sl_kind k = src->cols[i].type->kind;
        if (k == SL_BIGINT || k == SL_TIMESTAMP) {
            q->timestamp_expr = c;
            return SL_OK;
        }
        if (k == SL_STRING && src->timestamp_format)
            QFAIL(SL_ERR_UNSUPPORTED, st->pos, "TIMESTAMP_FORMAT is not supported yet");
        QFAIL(SL_ERR_INVALID, st->pos, "Timestamp column, `%s`, should be BIGINT, TIMESTAMP or STRING with TIMESTAMP_FORMAT",
              src->cols[i].name);
    }
    return SL_OK;
}

sl_err_t sl_query_build_stmt(sl_query_build *qb, const sl_stmt *st, sl_query **out, sl_error *err)
{
    sl_arena *a = qb->arena;
    const sl_select *s = st->select;
    sl_err_t rc = unsupported_clauses(qb, s, err);
    if (rc)
        return rc;
    sl_query *q = sl_arena_calloc(a, 1, sizeof *q);
    q->sink_timestamp_col = -1;
    q->source = sl_catalog_find(qb->catalog, s->from.name);
    if (!q->source)
        QFAIL(SL_ERR_INVALID, s->from.pos, "%s does not exist.", s->from.name);
    if (q->source->is_table)
        QFAIL(SL_ERR_UNSUPPORTED, s->from.pos, "queries over tables are not supported yet");
    if (q->source->window_kind)
        QFAIL(SL_ERR_UNSUPPORTED, s->from.pos, "windowed sources are not supported yet");
    if (st->kind == SL_STMT_CREATE_AS && st->is_table)
        QFAIL(SL_ERR_UNSUPPORTED, st->pos, "CREATE TABLE AS SELECT is not supported yet");
    sl_scope scope = {0};
    build_scope(qb, q, s, &scope);
    if ((rc = source_timestamp(qb, q, &scope, st, err)))
        return rc;

    if (s->where) {
        if (contains_aggregate(s->where))
            QFAIL(SL_ERR_INVALID, s->where->pos, "WHERE clause can not contain aggregate functions");
        q->where = sl_expr_compile(&scope, s->where, err);
        if (!q->where)
            return err->code;
        if (q->where->type->kind != SL_BOOLEAN)
            QFAIL(SL_ERR_INVALID, s->where->pos, "Type error in WHERE expression: Should be boolean: %s",
                  sl_type_to_sql(a, q->where->type));
    }

    /* expand the select list */
    int cap = s->nitems + q->source->ncols + 8;
    sl_out_col *cols = sl_arena_calloc(a, (size_t)cap, sizeof *cols);
    const sl_expr **origin = sl_arena_calloc(a, (size_t)cap, sizeof *origin);
    int n = 0;
    for (int i = 0; i < s->nitems; i++) {
        const sl_select_item *it = &s->items[i];
        if (it->star) {
            if (it->star_qualifier && strcmp(it->star_qualifier, q->source->name) &&
                !(s->from.alias && !strcmp(it->star_qualifier, s->from.alias)))
                QFAIL(SL_ERR_INVALID, it->pos, "Source '%s' not found", it->star_qualifier);
            for (int c = 0; c < q->source->ncols; c++) {
                if (n == cap)
                    QFAIL(SL_ERR_INVALID, it->pos, "too many columns");
                cols[n].name = q->source->cols[c].name;
                cols[n].type = q->source->cols[c].type;
                cols[n].expr = sl_cexpr_column(a, c, q->source->cols[c].type);
                sl_expr *ref = sl_arena_calloc(a, 1, sizeof *ref);
                ref->kind = SL_E_COLUMN;
                ref->u.col.name = q->source->cols[c].name;
                origin[n] = ref;
                n++;
            }
            continue;
        }
        if (contains_aggregate(it->expr))
            QFAIL(SL_ERR_UNSUPPORTED, it->pos, "aggregate functions need GROUP BY, which is not supported yet");
        cols[n].expr = sl_expr_compile(&scope, it->expr, err);
        if (!cols[n].expr)
            return err->code;
        cols[n].type = cols[n].expr->type;
        if (cols[n].type->kind == SL_NULLTYPE)
            QFAIL(SL_ERR_INVALID, it->pos, "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).");
        cols[n].name = it->alias ? it->alias : sl_expr_default_name(it->expr);
        origin[n] = it->expr;
        n++;
    }
    /* generated names, skipping taken ones */
    int gen = 0;
    for (int i = 0; i < n; i++) {
        if (cols[i].name)
            continue;
        char buf[32];
        do
            snprintf(buf, sizeof buf, "KSQL_COL_%d", gen++);
        while (name_taken(q->source, cols, n, buf));
        cols[i].name = sl_arena_strdup(a, buf);
    }

    /* keys */
    if (s->partition_by.count) {
        const sl_expr *pb0 = s->partition_by.items[0];
        if (s->partition_by.count == 1 && pb0->kind == SL_E_LITERAL && pb0->u.lit.value.null) {
            q->null_key = true;
        } else {
            /* the PARTITION BY expressions become the key; a select item
             * that is the same expression is that key column */
            sl_out_col *keys = sl_arena_calloc(a, (size_t)s->partition_by.count, sizeof *keys);
            for (int k = 0; k < s->partition_by.count; k++) {
                const sl_expr *pb = s->partition_by.items[k];
                if (contains_aggregate(pb))
                    QFAIL(SL_ERR_INVALID, pb->pos, "PARTITION BY expressions cannot contain aggregates");
                keys[k].expr = sl_expr_compile(&scope, pb, err);
                if (!keys[k].expr)
                    return err->code;
                keys[k].type = keys[k].expr->type;
                keys[k].is_key = true;
                int match = -1;
                for (int i = 0; i < n; i++)
                    if (match < 0 && sl_expr_same(origin[i], pb))
                        match = i;
                if (match >= 0) {
                    keys[k].name = cols[match].name;
                    memmove(&cols[match], &cols[match + 1], (size_t)(n - match - 1) * sizeof *cols);
                    memmove(&origin[match], &origin[match + 1], (size_t)(n - match - 1) * sizeof *origin);
                    n--;
                } else {
                    const char *dn = sl_expr_default_name(pb);
                    if (!dn)
                        QFAIL(SL_ERR_UNSUPPORTED, pb->pos, "PARTITION BY on an expression not in the projection is not supported yet");
                    keys[k].name = dn;
                }
            }
            sl_out_col *all = sl_arena_calloc(a, (size_t)(n + s->partition_by.count), sizeof *all);
            memcpy(all, keys, (size_t)s->partition_by.count * sizeof *all);
            memcpy(all + s->partition_by.count, cols, (size_t)n * sizeof *cols);
            cols = all;
            n += s->partition_by.count;
        }
    } else {
        int nkeys_sel = 0;
        for (int i = 0; i < n; i++) {
            if (origin[i]->kind != SL_E_COLUMN)
                continue;
            for (int c = 0; c < q->source->nkey; c++)
                if (!strcmp(origin[i]->u.col.name, q->source->cols[c].name) && !cols[i].is_key) {
                    cols[i].is_key = true;
                    nkeys_sel++;
                }
        }
        if (q->source->nkey && nkeys_sel == 0)
            QFAIL(SL_ERR_INVALID, s->pos,
                  "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
                  "The query used to build `%s` must include the key column %s in its projection (eg, SELECT %s...).",
                  st->name, q->source->cols[0].name, q->source->cols[0].name);
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(cols[i].name, cols[j].name))
                QFAIL(SL_ERR_INVALID, s->pos, "Duplicate column names: %s", cols[i].name);
    q->cols = cols;
    q->ncols = n;

    /* sink */
    sl_source *sink;
    if (st->kind == SL_STMT_INSERT_INTO) {
        sink = sl_catalog_find(qb->catalog, st->name);
        if (!sink)
            QFAIL(SL_ERR_INVALID, st->pos, "%s does not exist.", st->name);
        /* the schema must match: same columns, same types, same order */
        int nk = 0, nv = 0;
        for (int i = 0; i < n; i++)
            cols[i].is_key ? nk++ : nv++;
        bool ok = nk == sink->nkey && nv == sink->nvalue;
        for (int i = 0, kv = 0, vv = 0; ok && i < n; i++) {
            const sl_column *sc = cols[i].is_key ? &sink->cols[kv++] : &sink->cols[sink->nkey + vv++];
            if (strcmp(sc->name, cols[i].name) || !sl_type_equal(sc->type, cols[i].type))
                ok = false;
        }
        if (!ok)
            QFAIL(SL_ERR_INVALID, st->pos, "Incompatible schema between results and sink.");
    } else {
        sink = sl_arena_calloc(a, 1, sizeof *sink);
        sink->name = st->name;
        sink->is_table = st->is_table;
        sink->from_query = true;
        const sl_property *tp = sl_with_find(&st->with, "KAFKA_TOPIC");
        const char *prefix = sl_catalog_property(qb->catalog, "ksql.output.topic.name.prefix");
        sink->topic = tp && tp->value.kind == SL_STRING ? tp->value.u.s.ptr
                      : prefix ? sl_arena_sprintf(a, "%s%s", prefix, st->name)
                               : st->name;
        sink->key_format = q->source->key_format;
        sink->value_format = q->source->value_format;
        bool hk, hv;
        if ((rc = sl_formats_from_with(&st->with, qb->catalog, &sink->key_format, &sink->value_format, &hk, &hv,
                                       qb->file, st->pos, err)))
            return rc;
        if (sink->value_format == SL_FORMAT_PROTOBUF || sink->value_format == SL_FORMAT_JSON_SR ||
            sink->key_format == SL_FORMAT_PROTOBUF || sink->key_format == SL_FORMAT_JSON_SR)
            QFAIL(SL_ERR_UNSUPPORTED, st->pos, "format is not supported yet");
        if (!hk && sink->key_format == SL_FORMAT_NONE)
            sink->key_format = SL_FORMAT_KAFKA;
        sink->wrap_single_value = true;
        const sl_property *p = sl_with_find(&st->with, "WRAP_SINGLE_VALUE");
        if (p)
            sink->wrap_single_value = p->value.kind == SL_BOOLEAN ? p->value.u.b
                                      : p->value.kind == SL_STRING ? !strcasecmp(p->value.u.s.ptr, "true")
                                                                   : true;
        else if (sl_catalog_property(qb->catalog, "ksql.persistence.wrap.single.values"))
            sink->wrap_single_value = !strcasecmp(sl_catalog_property(qb->catalog, "ksql.persistence.wrap.single.values"), "true");
        sink->value_delimiter = q->source->value_delimiter;
        sink->key_delimiter = q->source->key_delimiter;
        if ((p = sl_with_find(&st->with, "VALUE_DELIMITER")) && p->value.kind == SL_STRING)
            sink->value_delimiter = !strcasecmp(p->value.u.s.ptr, "TAB")     ? '\t'
                                    : !strcasecmp(p->value.u.s.ptr, "SPACE") ? ' '
                                                                             : p->value.u.s.ptr[0];
        sink->partitions = q->source->partitions;
        if ((p = sl_with_find(&st->with, "PARTITIONS")) && p->value.kind == SL_INT)
            sink->partitions = p->value.u.i;
        if ((p = sl_with_find(&st->with, "REPLICAS")) && p->value.kind == SL_INT)
            sink->replicas = p->value.u.i;
        sink->cols = sl_arena_calloc(a, (size_t)n + 1, sizeof *sink->cols);
        int k = 0;
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < n; i++)
                if (cols[i].is_key == (pass == 0)) {
                    sink->cols[k].name = cols[i].name;
                    sink->cols[k].type = cols[i].type;
                    sink->cols[k].role = pass == 0 ? (st->is_table ? SL_COL_PRIMARY_KEY : SL_COL_KEY) : SL_COL_VALUE;
                    k++;
                }
        sink->ncols = n;
        if ((p = sl_with_find(&st->with, "TIMESTAMP")) && p->value.kind == SL_STRING) {
            sink->timestamp_column = p->value.u.s.ptr;
        }
        if ((rc = sl_source_finish(sink, a, NULL, qb->file, st->pos, err)))
            return rc;
        if ((rc = sl_catalog_add(qb->catalog, sink, qb->file, st->pos, st->or_replace, err)))
            return rc;
    }
    /* order the output columns as the sink stores them: keys, then values */
    sl_out_col *ordered = sl_arena_calloc(a, (size_t)n + 1, sizeof *ordered);
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++)
            if (cols[i].is_key == (pass == 0))
                ordered[k++] = cols[i];
    q->cols = ordered;
    if (sink->timestamp_column) {
        for (int i = 0; i < n; i++)
            if (!strcasecmp(ordered[i].name, sink->timestamp_column)) {
                q->sink_timestamp_col = i;
                sink->timestamp_column = ordered[i].name;
            }
        if (q->sink_timestamp_col < 0)
            QFAIL(SL_ERR_INVALID, st->pos, "The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'",
                  sink->timestamp_column);
        sl_kind tk = ordered[q->sink_timestamp_col].type->kind;
        if (tk != SL_BIGINT && tk != SL_TIMESTAMP)
            QFAIL(SL_ERR_UNSUPPORTED, st->pos, "a sink TIMESTAMP column of this type is not supported yet");
    }
    q->sink = sink;
    q->id = sl_arena_sprintf(a, "%s_%s_%d", st->kind == SL_STMT_INSERT_INTO ? "INSERTQUERY" : "CSAS", st->name,
                             qb->query_index);
    *out = q;
    return SL_OK;
}

void sl_query_process(const sl_query *q, const sl_record *in, sl_arena *a, sl_strbuf *keybuf,
                      sl_strbuf *valbuf, const sl_collector *out)
{
    const sl_source *src = q->source;
    sl_value *row = sl_arena_alloc(a, (size_t)q->row_width * sizeof *row);
    sl_error err = {0};
    if (sl_serde_decode(src->key_serde, in->key, in->key ? in->key_len : 0, row, a, &err)) {
        char msg[600];
        snprintf(msg, sizeof msg, "Failed to deserialize key from topic: %s. %s", in->topic, err.msg);
        out->processing_error(out->ctx, in, msg);
        return;
    }
    if (!in->value) {
        /* a stream ignores tombstones */
        return;
    }
    if (sl_serde_decode(src->value_serde, in->value, in->value_len, row + src->nkey, a, &err)) {
        char msg[600];
        snprintf(msg, sizeof msg, "Failed to deserialize value from topic: %s. %s", in->topic, err.msg);
        out->processing_error(out->ctx, in, msg);
        return;
    }
    /* header columns */
    for (int i = src->nkey + src->nvalue; i < src->ncols; i++) {
        const sl_column *c = &src->cols[i];
        if (c->role == SL_COL_HEADER) {
            row[i] = sl_null(SL_BYTES);
            for (size_t h = in->nheaders; h-- > 0;)
                if (!strcmp(in->headers[h].key, c->header_key)) {
                    if (in->headers[h].value)
                        row[i] = sl_bytes(in->headers[h].value, (uint32_t)in->headers[h].value_len);
                    break;
                }
        } else {
            sl_value arr = sl_array_new(a, (uint32_t)in->nheaders);
            for (size_t h = 0; h < in->nheaders; h++) {
                sl_value st = sl_struct_new(a, 2);
                st.u.c.items[0] = sl_cstring(in->headers[h].key);
                st.u.c.items[1] = in->headers[h].value
                                      ? sl_bytes(in->headers[h].value, (uint32_t)in->headers[h].value_len)
                                      : sl_null(SL_BYTES);
                arr.u.c.items[h] = st;
            }
            row[i] = arr;
        }
    }
    int64_t ts = in->timestamp;
    row[q->idx_rowtime] = sl_bigint(ts);
    row[q->idx_rowpartition] = sl_int(in->partition);
    row[q->idx_rowoffset] = sl_bigint(in->offset);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    if (q->timestamp_expr) {
        sl_value t;
        sl_cexpr_eval(q->timestamp_expr, &ctx, &t);
        if (t.null) {
            /* ksqlDB drops records whose timestamp column is null (logged) */
            out->processing_error(out->ctx, in, "Timestamp extraction failed: the TIMESTAMP column is null");
            return;
        }
        ts = t.u.l;
        row[q->idx_rowtime] = sl_bigint(ts);
    }
    if (q->where) {
        sl_value keep;
        sl_cexpr_eval(q->where, &ctx, &keep);
        if (ctx.errors)
            out->processing_error(out->ctx, in, err.msg);
        if (keep.null || !keep.u.b)
            return;
        ctx.errors = 0;
    }
    sl_value *vals = sl_arena_alloc(a, (size_t)(q->ncols ? q->ncols : 1) * sizeof *vals);
    for (int i = 0; i < q->ncols; i++) {
        sl_cexpr_eval(q->cols[i].expr, &ctx, &vals[i]);
        if (vals[i].null)
            vals[i].kind = (uint8_t)q->cols[i].type->kind;
    }
    if (ctx.errors)
        out->processing_error(out->ctx, in, err.msg);
    const sl_source *sink = q->sink;
    if (q->sink_timestamp_col >= 0) {
        sl_value *t = &vals[q->sink_timestamp_col];
        if (t->null) {
            out->processing_error(out->ctx, in, "the sink TIMESTAMP column is null");
            return;
        }
        ts = t->u.l;
    }
    sl_record rec = {.topic = sink->topic, .partition = -1, .timestamp = ts, .headers = NULL, .nheaders = 0};
    if (sink->nkey && !q->null_key) {
        bool all_null = true;
        for (int i = 0; i < sink->nkey; i++)
            if (!vals[i].null)
                all_null = false;
        if (!(all_null && sink->nkey == 1)) {
            if (sl_serde_encode(sink->key_serde, vals, keybuf, &err)) {
                out->processing_error(out->ctx, in, err.msg);
                return;
            }
            rec.key = keybuf->data ? keybuf->data : "";
            rec.key_len = keybuf->len;
        }
    }
    if (sl_serde_encode(sink->value_serde, vals + sink->nkey, valbuf, &err)) {
        out->processing_error(out->ctx, in, err.msg);
        return;
    }
    rec.value = valbuf->data ? valbuf->data : "";
    rec.value_len = valbuf->len;
    out->send(out->ctx, &rec);
}
