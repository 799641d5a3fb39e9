/* Planning a persistent query from its statement. The select list is
 * resolved against the source row (keys, values, headers, pseudo-columns),
 * the outputs are named as ksqlDB names them (alias, column name, struct
 * field name, else KSQL_COL_n skipping taken names), the output key is
 * decided (the source key columns carried through, or the PARTITION BY
 * expressions) and the sink is created with formats inherited from the
 * source unless overridden; aggregations and joins are planned in
 * plan_aggregate.c and plan_join.c. Last, the plan declares its kind and
 * the stores a task running it creates (declare_stores). */
#include "sql/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/cast.h"
#include "sql/plan_aggregate.h"
#include "sql/plan_join.h"
#include "sql/plan_join_columns.h"

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
    if (s->njoins > 1) /* split into two-source steps by the topology */
        QFAIL(SL_ERR_UNSUPPORTED, s->joins[1].pos, "joins of more than two sources are not supported here");
    if (s->njoins && (s->group_by.count || s->window.kind))
        QFAIL(SL_ERR_UNSUPPORTED, s->joins[0].pos, "aggregating a join is not supported yet");
    if (s->njoins && s->partition_by.count)
        QFAIL(SL_ERR_UNSUPPORTED, s->joins[0].pos, "PARTITION BY on a join is not supported yet");
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

typedef struct tf_hook_ctx {
    sl_query *q;
    sl_scope *scope;
} tf_hook_ctx;

/* CUBE_EXPLODE's rows: every combination of keeping or nulling each
 * element, in ksqlDB's order (the first element is the most significant
 * bit, nulled first), without repeats when elements are already NULL */
static void ev_cube(const sl_cexpr *e, sl_eval_ctx *ctx, sl_value *out)
{
    sl_value in;
    sl_cexpr_eval(e->args[0], ctx, &in);
    if (in.null || in.u.c.n > 20) {
        if (!in.null)
            sl_eval_error(ctx, "CUBE_EXPLODE of more than 20 elements");
        *out = sl_null(SL_ARRAY);
        return;
    }
    uint32_t n = in.u.c.n, combos = 1u << n, count = 0;
    sl_value res = sl_array_new(ctx->arena, combos);
    for (uint32_t m = 0; m < combos; m++) {
        bool repeat = false;
        for (uint32_t i = 0; i < n && !repeat; i++)
            repeat = (m >> (n - 1 - i) & 1) && in.u.c.items[i].null; /* keeping a NULL = nulling it */
        if (repeat)
            continue;
        sl_value row = sl_array_new(ctx->arena, n);
        for (uint32_t i = 0; i < n; i++)
            row.u.c.items[i] = (m >> (n - 1 - i) & 1) ? in.u.c.items[i] : sl_null(in.u.c.items[i].kind);
        res.u.c.items[count++] = row;
    }
    res.u.c.n = count;
    *out = res;
}

/* EXPLODE(array) and CUBE_EXPLODE(array) in a select item: compiled to a
 * slot past the row, filled per output row */
static sl_cexpr *table_function_hook(void *c, sl_scope *scope, const sl_expr *x, sl_error *err)
{
    tf_hook_ctx *h = c;
    if (x->kind != SL_E_CALL)
        return NULL;
    /* the test harness's TEST_UDTF (only known to `sluice test`) is
     * resolved as a function giving the list to explode */
    bool harness_udtf = !strcasecmp(x->u.call.name, "TEST_UDTF") && sl_function_lookup("TEST_UDTF");
    if (strcasecmp(x->u.call.name, "EXPLODE") && strcasecmp(x->u.call.name, "CUBE_EXPLODE") && !harness_udtf)
        return NULL;
    bool cube = !strcasecmp(x->u.call.name, "CUBE_EXPLODE");
    if (x->u.call.args.count != 1 && !harness_udtf) {
        sl_error_at(err, SL_ERR_INVALID, scope->file, x->pos.line, x->pos.col,
                    "Function '%s' does not accept %d parameters", cube ? "CUBE_EXPLODE" : "EXPLODE",
                    x->u.call.args.count);
        return NULL;
    }
    scope->node_hook = NULL;
    sl_cexpr *arg = sl_expr_compile(scope, harness_udtf ? x : x->u.call.args.items[0], err);
    scope->node_hook = table_function_hook;
    if (!arg)
        return NULL;
    if (arg->type->kind != SL_ARRAY) {
        sl_error_at(err, SL_ERR_INVALID, scope->file, x->pos.line, x->pos.col,
                    "Function 'EXPLODE' does not accept parameters (%s).", sl_type_to_sql(scope->arena, arg->type));
        return NULL;
    }
    sl_query *q = h->q;
    if (!(q->ntf & (q->ntf - 1))) { /* 0, 1, 2, 4, ...: room for twice as many */
        sl_cexpr **grown = sl_arena_calloc(scope->arena, (size_t)(q->ntf ? q->ntf * 2 : 1), sizeof *grown);
        if (q->ntf)
            memcpy(grown, q->tf_args, (size_t)q->ntf * sizeof *grown);
        q->tf_args = grown;
    }
    if (cube) {
        /* the exploded array is the list of combinations */
        sl_cexpr *combos = sl_arena_calloc(scope->arena, 1, sizeof *combos);
        combos->eval = ev_cube;
        combos->type = sl_type_array(scope->arena, arg->type);
        combos->args = sl_arena_calloc(scope->arena, 1, sizeof *combos->args);
        combos->args[0] = arg;
        combos->nargs = 1;
        arg = combos;
    }
    q->tf_args[q->ntf] = arg;
    return sl_cexpr_column(scope->arena, q->row_width + q->ntf++, arg->type->elem);
}

/* ksqlDB's numbered names: "B_2" is stem "B" and number 2, "B" number 0 */
static size_t name_stem(const char *name, int *number)
{
    size_t len = strlen(name), digits = 0;
    while (digits < len && name[len - 1 - digits] >= '0' && name[len - 1 - digits] <= '9')
        digits++;
    if (digits && digits < 10 && digits < len && name[len - 1 - digits] == '_') {
        *number = atoi(name + len - digits);
        return len - digits - 1;
    }
    *number = 0;
    return len;
}

static bool same_stem(const char *name, const char *stem, size_t stem_len, int *number)
{
    return name_stem(name, number) == stem_len && !strncmp(name, stem, stem_len);
}

const char *sl_plan_item_name(sl_arena *a, const sl_select *s, int item, const sl_source *source)
{
    const sl_expr *x = s->items[item].expr;
    if (!x || x->kind != SL_E_DEREF)
        return x ? sl_plan_default_name(source, x, a) : NULL;
    int number;
    size_t stem_len = name_stem(x->u.deref.field, &number);
    const char *stem = x->u.deref.field;
    /* each unaliased ->F before this one took a number */
    int earlier = 0;
    for (int j = 0; j < item; j++) {
        const sl_select_item *o = &s->items[j];
        earlier += !o->alias && !o->star && !o->struct_all && o->expr && o->expr->kind == SL_E_DEREF &&
                   same_stem(o->expr->u.deref.field, stem, stem_len, &number);
    }
    for (int idx = 0;; idx++) {
        bool used = false;
        for (int c = 0; c < source->ncols && !used; c++)
            used = same_stem(source->cols[c].name, stem, stem_len, &number) && number == idx;
        if (used || earlier-- > 0)
            continue;
        return idx ? sl_arena_sprintf(a, "%.*s_%d", (int)stem_len, stem, idx) : sl_arena_strndup(a, stem, stem_len);
    }
}

/* INSERT INTO: a numeric literal for a DECIMAL column of the sink becomes
 * a literal of that type when its digits fit (ksqlDB's implicit cast: no
 * more integer digits, no more decimals), e.g. `SELECT 1 AS c` into a
 * DECIMAL(5,2) column */
static bool literal_fits_decimal(sl_arena *a, const sl_out_col *col, const sl_type *to)
{
    const sl_value *v = sl_cexpr_constant(col->expr);
    if (!v || v->null || to->kind != SL_DECIMAL || !sl_type_is_numeric(col->type))
        return false;
    sl_value spelled = sl_cast_typed_to_string(v, col->type, a);
    const char *text = sl_value_cstr(a, &spelled);
    if (strpbrk(text, "eEnN")) /* exponents, NaN, Infinity: no literal of a DECIMAL */
        return false;
    const char *p = text + (*text == '-');
    while (*p == '0')
        p++;
    int int_digits = 0, scale = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        int_digits++;
    if (*p == '.')
        while (*++p >= '0' && *p <= '9')
            scale++;
    return scale <= to->scale && int_digits <= to->precision - to->scale;
}

/* Builds the scope of the source row. */
static void build_scope(sl_query_build *qb, sl_query *q, const sl_select *s, sl_scope *scope)
{
    sl_source *src = q->source;
    int n = src->ncols;
    scope->cols = sl_arena_calloc(qb->arena, (size_t)n + 5, sizeof *scope->cols);
    for (int i = 0; i < n; i++) {
        scope->cols[i].name = src->cols[i].name;
        scope->cols[i].source = src->name;
        scope->cols[i].alt_source = s->from.alias;
        scope->cols[i].type = src->cols[i].type;
        scope->cols[i].index = i;
        if (src->cols[i].origin_name) {
            /* the result of a join step (an aggregation or PARTITION BY of
             * a join): its columns answer to the names the statement gives
             * them, t.x, as in the join itself */
            scope->cols[i].name = src->cols[i].origin_name;
            scope->cols[i].source = src->cols[i].origin_source;
            scope->cols[i].alt_source = src->cols[i].origin_alias;
            scope->cols[i].hidden = sl_join_is_pseudo(src->cols[i].origin_name);
        } else if (src->lineage) {
            scope->cols[i].name = ""; /* the step's own key answers to nothing */
        }
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
    if (src->window_kind) {
        /* a windowed source: its window bounds follow the pseudo-columns */
        const char *bounds[2] = {"WINDOWSTART", "WINDOWEND"};
        for (int i = 0; i < 2; i++) {
            sl_scope_col *c = &scope->cols[n + 3 + i];
            c->name = bounds[i];
            c->source = src->name;
            c->alt_source = s->from.alias;
            c->type = &sl_type_bigint;
            c->index = n + 3 + i;
            c->hidden = true;
        }
        q->row_width = n + 5;
        scope->ncols = n + 5;
    }
    scope->file = qb->file;
    scope->arena = qb->arena;
}

static sl_cexpr *compile_on_key(const sl_query *q, const sl_scope *scope, const sl_expr *pred);
static bool compile_on_key_columns(const sl_query *q, const sl_scope *scope, const sl_expr *x);

sl_err_t sl_plan_statement(sl_query_build *qb, const sl_stmt *st, sl_query **out, sl_error *err)
{
    sl_arena *a = qb->arena;
    const sl_select *s = st->select;
    sl_err_t rc = unsupported_clauses(qb, s, err);
    if (rc)
        return rc;
    sl_query *q = sl_arena_calloc(a, 1, sizeof *q);
    q->stmt = st;
    sl_out_col *cols = NULL;
    int n = 0;
    q->sink_timestamp_col = -1;
    q->source = sl_catalog_find(qb->catalog, s->from.name);
    if (!q->source)
        QFAIL(SL_ERR_INVALID, s->from.pos, "%s does not exist.", s->from.name);
    if (q->source->window_kind && q->source->is_table)
        QFAIL(SL_ERR_INVALID, s->from.pos, "KSQL does not support persistent queries on windowed tables.");
    if (q->source->window_kind && s->njoins)
        for (int i = 0; i < s->nitems; i++) {
            /* ksqlDB's projection rule, checked before the join is refused */
            const sl_select_item *it = &s->items[i];
            /* (a join names an unaliased q.ROWTIME Q_ROWTIME) */
            const char *nm = it->alias ? it->alias
                             : it->expr && it->expr->kind == SL_E_COLUMN && !it->expr->u.col.qualifier
                                 ? it->expr->u.col.name
                                 : NULL;
            if (nm && !it->struct_all &&
                (!strcmp(nm, "ROWTIME") || !strcmp(nm, "ROWPARTITION") || !strcmp(nm, "ROWOFFSET") ||
                 (!s->window.kind && (!strcmp(nm, "WINDOWSTART") || !strcmp(nm, "WINDOWEND")))))
                QFAIL(SL_ERR_INVALID, s->pos, "Reserved column name in select: `%s`. Please remove or alias the column.",
                      nm);
        }
    if (q->source->window_kind && !s->njoins && (s->group_by.count || s->window.kind))
        QFAIL(SL_ERR_UNSUPPORTED, s->from.pos, "joins and aggregations of windowed sources are not supported yet");
    if (s->njoins) {
        if ((rc = sl_join_plan_build(qb, q, st, err)))
            return rc;
        if (st->kind == SL_STMT_CREATE_AS && st->is_table != q->source->is_table)
            QFAIL(SL_ERR_INVALID, st->pos, "Invalid result type. Your SELECT query produces a %s. Please use CREATE %s AS SELECT statement instead.",
                  q->source->is_table ? "TABLE" : "STREAM", q->source->is_table ? "TABLE" : "STREAM");
        cols = q->cols;
        n = q->ncols;
        goto sink;
    }
    sl_scope scope = {0};
    build_scope(qb, q, s, &scope);
    if ((rc = sl_time_extractor_for_source(&q->source_time, q->source, 0, qb->catalog, a, qb->file, st->pos, err)))
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
        if (!q->source->is_table && !q->source_time.expr)
            q->key_where = compile_on_key(q, &scope, s->where);
    }

    bool aggregating = s->group_by.count > 0 || s->window.kind || s->having;
    for (int i = 0; i < s->nitems && !aggregating; i++)
        aggregating = s->items[i].expr && contains_aggregate(s->items[i].expr);
    bool produces_table = aggregating || q->source->is_table;
    if (st->kind == SL_STMT_CREATE_AS && st->is_table != produces_table)
        QFAIL(SL_ERR_INVALID, st->pos, "Invalid result type. Your SELECT query produces a %s. Please use CREATE %s AS SELECT statement instead.",
              produces_table ? "TABLE" : "STREAM", produces_table ? "TABLE" : "STREAM");
    if (aggregating && s->partition_by.count)
        QFAIL(SL_ERR_INVALID, s->partition_by.items[0]->pos, "PARTITION BY is not supported with GROUP BY");
    if (aggregating && q->source->is_table && s->window.kind)
        QFAIL(SL_ERR_INVALID, s->window.pos, "Windowed aggregations are not supported over tables");
    if (!aggregating && s->emit_final)
        QFAIL(SL_ERR_INVALID, s->pos, "EMIT FINAL is only supported for windowed aggregations.");
    if (aggregating) {
        if ((rc = sl_agg_plan_build(qb, q, st, &scope, err)))
            return rc;
        cols = q->cols;
        n = q->ncols;
        goto sink;
    }
    if (q->source->is_table && s->partition_by.count)
        QFAIL(SL_ERR_INVALID, s->partition_by.items[0]->pos, "PARTITION BY is not supported for tables");
    /* expand the select list */
    bool star = false;
    int cap = s->nitems + q->source->ncols + 8;
    cols = sl_arena_calloc(a, (size_t)cap, sizeof *cols);
    const sl_expr **origin = sl_arena_calloc(a, (size_t)cap, sizeof *origin);
    for (int i = 0; i < s->nitems; i++) {
        const sl_select_item *it = &s->items[i];
        if (it->star) {
            if (it->star_qualifier && strcmp(it->star_qualifier, q->source->name) &&
                !(s->from.alias && !strcmp(it->star_qualifier, s->from.alias)))
                QFAIL(SL_ERR_INVALID, it->pos, "Source '%s' not found", it->star_qualifier);
            star = true;
            for (int j = 0; j < q->source->ncols; j++) {
                /* after PARTITION BY, * gives the value columns, then the
                 * old key columns (those that became keys leave below) */
                int c = s->partition_by.count ? (j + q->source->nkey) % q->source->ncols : j;
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
        if (it->struct_all) {
            sl_expr **fields;
            int nf = sl_expr_struct_all(&scope, it->expr, &fields, err);
            if (nf < 0)
                return err->code;
            /* keep the room the rest of the select list was given */
            int need = n + nf + (s->nitems - i - 1) + q->source->ncols + 8;
            if (need > cap) {
                cap = need;
                sl_out_col *wider = sl_arena_calloc(a, (size_t)cap, sizeof *wider);
                const sl_expr **worigin = sl_arena_calloc(a, (size_t)cap, sizeof *worigin);
                memcpy(wider, cols, (size_t)n * sizeof *cols);
                memcpy(worigin, origin, (size_t)n * sizeof *origin);
                cols = wider;
                origin = worigin;
            }
            for (int f = 0; f < nf; f++) {
                cols[n].expr = sl_expr_compile(&scope, fields[f], err);
                if (!cols[n].expr)
                    return err->code;
                cols[n].type = cols[n].expr->type;
                cols[n].name = fields[f]->u.deref.field;
                origin[n++] = fields[f];
            }
            continue;
        }
        tf_hook_ctx tfh = {q, &scope};
        scope.node_hook = table_function_hook;
        scope.hook_ctx = &tfh;
        cols[n].expr = sl_expr_compile(&scope, it->expr, err);
        scope.node_hook = NULL;
        if (!cols[n].expr)
            return err->code;
        cols[n].type = cols[n].expr->type;
        if (cols[n].type->kind == SL_NULLTYPE)
            QFAIL(SL_ERR_INVALID, it->pos, "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).");
        cols[n].name = it->alias ? it->alias : sl_plan_item_name(a, s, i, q->source);
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
    q->key_passes = !s->partition_by.count && !aggregating && !s->njoins && !q->source->is_table;
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
                keys[k].from_value = !compile_on_key_columns(q, &scope, pb);
                if (sl_type_has_map(keys[k].type))
                    QFAIL(SL_ERR_INVALID, pb->pos,
                          "Map keys, including types that contain maps, are not supported as they may lead to "
                          "unexpected behavior due to inconsistent serialization.");
                int match = -1;
                for (int i = 0; i < n; i++)
                    if (match < 0 && sl_expr_same_in(&scope, origin[i], pb))
                        match = i;
                for (int i = match + 1; match >= 0 && i < n; i++)
                    if (sl_expr_same_in(&scope, origin[i], pb))
                        QFAIL(SL_ERR_INVALID, s->pos,
                              "The projection contains a key column (`%s`) more than once, aliased as: %s and %s.",
                              cols[match].name, cols[match].name, cols[i].name);
                if (match >= 0) {
                    keys[k].name = cols[match].name;
                    memmove(&cols[match], &cols[match + 1], (size_t)(n - match - 1) * sizeof *cols);
                    memmove(&origin[match], &origin[match + 1], (size_t)(n - match - 1) * sizeof *origin);
                    n--;
                } else if (star) {
                    /* * selects the new key: a column keeps its name, an
                     * expression gets KSQL_COL_n */
                    const char *dn = sl_expr_default_name(pb);
                    char buf[32];
                    for (int g = 0; !dn; g++) {
                        snprintf(buf, sizeof buf, "KSQL_COL_%d", g);
                        bool used = name_taken(q->source, cols, n, buf);
                        for (int j = 0; j < k && !used; j++)
                            used = !strcmp(keys[j].name, buf);
                        if (!used)
                            dn = sl_arena_strdup(a, buf);
                    }
                    keys[k].name = dn;
                } else {
                    const char *dn = sl_expr_default_name(pb);
                    /* with several PARTITION BY expressions ksqlDB needs each in the projection */
                    if (!dn || s->partition_by.count > 1)
                        QFAIL(SL_ERR_INVALID, pb->pos, "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
                              "The query used to build `%s` must include the partitioning expression in its projection.", st->name);
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
        /* ksqlDB's new (experimental) query planner drops an unselected
         * key: the result has no key columns */
        const char *new_planner = sl_catalog_property(qb->catalog, "ksql.new.query.planner.enabled");
        if (q->source->nkey && nkeys_sel == 0 && new_planner && !strcasecmp(new_planner, "true"))
            q->key_passes = false;
        else if (q->source->nkey && nkeys_sel == 0)
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

sink:;
    /* ksqlDB's projection rules */
    for (int i = 0; i < n; i++) {
        const char *nm = cols[i].name;
        if (cols[i].is_key && s->partition_by.count)
            continue;
        bool windowed = s->window.kind != SL_WINDOW_NONE && !q->source->window_kind;
        if (!strcmp(nm, "ROWTIME") || !strcmp(nm, "ROWPARTITION") || !strcmp(nm, "ROWOFFSET") ||
            (!windowed && (!strcmp(nm, "WINDOWSTART") || !strcmp(nm, "WINDOWEND"))))
            QFAIL(SL_ERR_INVALID, s->pos, "Reserved column name in select: `%s`. Please remove or alias the column.", nm);
    }
    {
        int nkeys = 0, nvals = 0;
        for (int i = 0; i < n; i++)
            cols[i].is_key ? nkeys++ : nvals++;
        if (nvals == 0)
            QFAIL(SL_ERR_INVALID, s->pos, "The projection contains no value columns.");
    }
    /* sink */
    sl_source *sink;
    if (st->kind == SL_STMT_INSERT_INTO) {
        sink = sl_catalog_find(qb->catalog, st->name);
        if (!sink)
            QFAIL(SL_ERR_INVALID, st->pos, "%s does not exist.", st->name);
        if (sink->is_table)
            QFAIL(SL_ERR_INVALID, st->pos, "INSERT INTO can only be used to insert into a stream. %s is a table.", st->name);
        /* the schema must match: same columns, same types, same order */
        int nk = 0, nv = 0;
        for (int i = 0; i < n; i++)
            cols[i].is_key ? nk++ : nv++;
        bool ok = nk == sink->nkey && nv == sink->nvalue;
        for (int i = 0, kv = 0, vv = 0; ok && i < n; i++) {
            const sl_column *sc = cols[i].is_key ? &sink->cols[kv++] : &sink->cols[sink->nkey + vv++];
            if (!sl_type_equal(sc->type, cols[i].type) && literal_fits_decimal(a, &cols[i], sc->type)) {
                cols[i].expr = sl_cexpr_cast(a, cols[i].expr, sc->type);
                cols[i].type = sc->type;
            }
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
        sink->internal = st->join_step;
        const sl_property *tp = sl_with_find(&st->with, "KAFKA_TOPIC");
        const char *prefix = sl_catalog_property(qb->catalog, "ksql.output.topic.name.prefix");
        sink->topic = sl_catalog_physical_topic(qb->catalog, tp && tp->value.kind == SL_STRING ? tp->value.u.s.ptr
                                                             : prefix ? sl_arena_sprintf(a, "%s%s", prefix, st->name)
                                                                      : st->name);
        /* formats default to the FROM source's (the first source of an
         * n-way join, not its internal step) */
        const sl_source *from = q->source->lineage ? q->source->lineage->first : q->source;
        sink->key_format = from->key_format;
        sink->value_format = from->value_format;
        bool hk, hv;
        if ((rc = sl_formats_from_with(&st->with, qb->catalog, &sink->key_format, &sink->value_format, &hk, &hv,
                                       qb->file, st->pos, err)))
            return rc;
        if (st->join_step) {
            /* an internal join step: JSON carries every column type */
            sink->key_format = SL_FORMAT_JSON;
            sink->value_format = SL_FORMAT_JSON;
        }
        if (!hk && sink->key_format == SL_FORMAT_NONE)
            sink->key_format = from->declared_key_format != SL_FORMAT_NONE ? (sl_format)from->declared_key_format
                                                                             : SL_FORMAT_KAFKA;
        if (hk && q->null_key && sink->key_format != SL_FORMAT_NONE) /* NONE: no key, as asked */
            QFAIL(SL_ERR_INVALID, st->pos, "Key format specified for stream without key columns.");
        sink->wrap_single_value = true;
        const sl_property *p = sl_with_find(&st->with, "WRAP_SINGLE_VALUE");
        if (p) {
            int nv = 0;
            for (int i = 0; i < n; i++)
                nv += !cols[i].is_key;
            if (nv != 1)
                QFAIL(SL_ERR_INVALID, p->pos, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
            if (sink->value_format == SL_FORMAT_DELIMITED || sink->value_format == SL_FORMAT_KAFKA)
                QFAIL(SL_ERR_INVALID, p->pos, "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.",
                      sl_format_name(sink->value_format));
        }
        if (p)
            sink->wrap_single_value = p->value.kind == SL_BOOLEAN ? p->value.u.b
                                      : p->value.kind == SL_STRING ? !strcasecmp(p->value.u.s.ptr, "true")
                                                                   : true;
        else if (sl_catalog_property(qb->catalog, "ksql.persistence.wrap.single.values"))
            sink->wrap_single_value = !strcasecmp(sl_catalog_property(qb->catalog, "ksql.persistence.wrap.single.values"), "true");
        sink->value_delimiter = from->value_delimiter;
        sink->key_delimiter = from->key_delimiter;
        if ((p = sl_with_find(&st->with, "VALUE_DELIMITER")) && p->value.kind == SL_STRING)
            sink->value_delimiter = !strcasecmp(p->value.u.s.ptr, "TAB")     ? '\t'
                                    : !strcasecmp(p->value.u.s.ptr, "SPACE") ? ' '
                                                                             : p->value.u.s.ptr[0];
        sink->partitions = from->partitions;
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
                    sink->cols[k].origin_source = cols[i].origin_source;
                    sink->cols[k].origin_alias = cols[i].origin_alias;
                    sink->cols[k].origin_name = cols[i].origin_name;
                    sink->cols[k].role = pass == 0 ? (st->is_table ? SL_COL_PRIMARY_KEY : SL_COL_KEY) : SL_COL_VALUE;
                    k++;
                }
        sink->ncols = n;
        if (q->join)
            sink->lineage = sl_join_lineage_of(q->join);
        if (s->window.kind) {
            sink->window_kind = s->window.kind;
            sink->window_size_ms = s->window.size_ms;
        } else if (q->source->window_kind) {
            /* rows of a windowed source keep their windows */
            sink->window_kind = q->source->window_kind;
            sink->window_size_ms = q->source->window_size_ms;
        }
        if ((p = sl_with_find(&st->with, "TIMESTAMP")) && p->value.kind == SL_STRING) {
            sink->timestamp_column = p->value.u.s.ptr;
            if ((p = sl_with_find(&st->with, "TIMESTAMP_FORMAT")) && p->value.kind == SL_STRING)
                sink->timestamp_format = p->value.u.s.ptr;
        }
        if ((rc = sl_source_finish(sink, a, sl_catalog_registry(qb->catalog), qb->file, st->pos, err)))
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
    q->nkey_out = sink->nkey;
    if (sink->timestamp_column) {
        for (int i = 0; i < n; i++)
            if (!strcasecmp(ordered[i].name, sink->timestamp_column)) {
                q->sink_timestamp_col = i;
                sink->timestamp_column = ordered[i].name;
            }
        if (q->sink_timestamp_col < 0)
            QFAIL(SL_ERR_INVALID, st->pos, "The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'",
                  sink->timestamp_column);
        /* read over the output values; a bad one drops the row with a
         * processing log entry and never stops the run, as ksqlDB's sink does */
        if ((rc = sl_time_extractor_build(&q->sink_time, sink->timestamp_column, ordered[q->sink_timestamp_col].type,
                                          q->sink_timestamp_col, sink->timestamp_format, qb->catalog, a, qb->file,
                                          st->pos, err)))
            return rc;
        q->sink_time.throw_on_invalid = false;
    }
    q->sink = sink;
    q->id = sl_arena_sprintf(a, "%s_%s_%d", st->kind == SL_STMT_INSERT_INTO ? "INSERTQUERY" : st->is_table ? "CTAS" : "CSAS", st->name,
                             qb->query_index);
    sl_plan_declare_stores(q, a);
    *out = q;
    return SL_OK;
}

/* The predicate compiled against the key and pseudo-columns alone: NULL
 * when it names a value or header column (it then fails to resolve) */
static sl_cexpr *compile_on_key(const sl_query *q, const sl_scope *scope, const sl_expr *pred)
{
    sl_scope key_scope = *scope;
    key_scope.cols = sl_arena_calloc(scope->arena, (size_t)scope->ncols + 1, sizeof *key_scope.cols);
    key_scope.ncols = 0;
    for (int i = 0; i < scope->ncols; i++)
        if (scope->cols[i].index < q->source->nkey || scope->cols[i].index >= q->source->ncols)
            key_scope.cols[key_scope.ncols++] = scope->cols[i];
    sl_error ignored;
    sl_error_init(&ignored);
    return sl_expr_compile(&key_scope, pred, &ignored);
}

/* whether x reads the source's key columns only (or no column at all):
 * ksqlDB computes such a PARTITION BY expression from the key */
static bool compile_on_key_columns(const sl_query *q, const sl_scope *scope, const sl_expr *x)
{
    sl_scope key_scope = *scope;
    key_scope.cols = sl_arena_calloc(scope->arena, (size_t)scope->ncols + 1, sizeof *key_scope.cols);
    key_scope.ncols = 0;
    for (int i = 0; i < scope->ncols; i++)
        if (scope->cols[i].index < q->source->nkey)
            key_scope.cols[key_scope.ncols++] = scope->cols[i];
    sl_error ignored;
    sl_error_init(&ignored);
    return sl_expr_compile(&key_scope, x, &ignored) != NULL;
}

void sl_plan_repartition_sides(sl_query *q)
{
    q->repartition_side[0] = q->repartition_side[1] = false;
    if (q->join)
        sl_join_repartition_sides(q, q->repartition_side);
    else if (q->agg)
        q->repartition_side[0] = !sl_agg_grouped_by_key(q);
}
const char *sl_plan_default_name(const sl_source *src, const sl_expr *e, sl_arena *a)
{
    if (!src->lineage || e->kind != SL_E_COLUMN || !e->u.col.qualifier)
        return sl_expr_default_name(e);
    /* over a join step's result, as in the join's own projection: t.x is
     * T_X when x is a pseudo-column or more than one source has an x */
    const char *name = e->u.col.name;
    const char *first = NULL;
    bool clash = false;
    for (int i = 0; i < src->ncols; i++) {
        const sl_column *c = &src->cols[i];
        if (!c->origin_name || strcmp(c->origin_name, name))
            continue;
        const char *qual = c->origin_alias ? c->origin_alias : c->origin_source;
        if (!first)
            first = qual;
        else if (qual && strcmp(first, qual))
            clash = true;
    }
    if (clash || sl_join_is_pseudo(name))
        return sl_arena_sprintf(a, "%s_%s", e->u.col.qualifier, name);
    return sl_expr_default_name(e);
}

bool sl_query_reads(const sl_query *q, const char *topic)
{
    return !strcmp(q->source->topic, topic) || (q->join && !strcmp(sl_join_right(q->join)->topic, topic));
}

