/* Column origins, name resolution and join lineage for join planning; see
 * plan_join.c's comment for ksqlDB's rules they follow. */
#include "sql/plan_join_columns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/valcodec.h"

static const char *const PSEUDO[3] = {"ROWTIME", "ROWPARTITION", "ROWOFFSET"};
static const char *const WINDOW_BOUND[2] = {"WINDOWSTART", "WINDOWEND"};

bool sl_join_is_pseudo(const char *name)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, PSEUDO[i]))
            return true;
    return false;
}

/* A column of an original source behind the join: its qualifier (alias or
 * name), source name, column name, type and slot in the joined row. */

void sl_join_collect_origs(const sl_join_side *sd, orig_list *o)
{
    const sl_source *src = sd->src;
    if (src->lineage) {
        /* an earlier step: the columns with an origin are the originals */
        for (int i = 0; i < src->ncols; i++) {
            const sl_column *c = &src->cols[i];
            if (!c->origin_name)
                continue;
            o->cols[o->n++] = (orig_col){c->origin_alias ? c->origin_alias : c->origin_source, c->origin_source,
                                         c->origin_name, c->type, sd->base + i, sl_join_is_pseudo(c->origin_name)};
        }
        return;
    }
    const char *q = sd->alias ? sd->alias : src->name;
    for (int i = 0; i <= src->ncols; i++) {
        /* a windowed source's window bounds are value columns of the join,
         * after its key columns (ksqlDB's schema of a windowed source) */
        if (src->window_kind && i == src->nkey)
            for (int b = 0; b < 2; b++)
                o->cols[o->n++] = (orig_col){q, src->name, WINDOW_BOUND[b], &sl_type_bigint, sd->base + src->ncols + 3 + b,
                                             false};
        if (i < src->ncols)
            o->cols[o->n++] = (orig_col){q, src->name, src->cols[i].name, src->cols[i].type, sd->base + i, false};
    }
    static const sl_type *ptypes[3] = {&sl_type_bigint, &sl_type_int, &sl_type_bigint};
    for (int i = 0; i < 3; i++)
        o->cols[o->n++] = (orig_col){q, src->name, PSEUDO[i], ptypes[i], sd->base + src->ncols + i, true};
}

/* how many original sources have a column of that name (pseudo-columns:
 * every source) */
int sl_join_clash_count(const orig_list *o, const char *name)
{
    int n = 0;
    for (int i = 0; i < o->n; i++) {
        if (strcmp(o->cols[i].name, name))
            continue;
        bool seen = false;
        for (int k = 0; k < i && !seen; k++)
            seen = !strcmp(o->cols[k].name, name) && !strcmp(o->cols[k].q, o->cols[i].q);
        n += !seen;
    }
    return n;
}

void sl_join_add_side(sl_scope *scope, const sl_join_side *sd)
{
    const sl_source *src = sd->src;
    for (int i = 0; i < src->ncols + 3; i++) {
        sl_scope_col *c = &scope->cols[scope->ncols++];
        static const sl_type *ptypes[3] = {&sl_type_bigint, &sl_type_int, &sl_type_bigint};
        c->name = i < src->ncols ? src->cols[i].name : PSEUDO[i - src->ncols];
        c->type = i < src->ncols ? src->cols[i].type : ptypes[i - src->ncols];
        c->source = src->name;
        c->alt_source = sd->alias;
        c->index = sd->base + i;
        c->hidden = i >= src->ncols;
        if (i < src->ncols && src->cols[i].origin_name) {
            /* an earlier step's column answers to its original name */
            c->name = src->cols[i].origin_name;
            c->source = src->cols[i].origin_source;
            c->alt_source = src->cols[i].origin_alias;
            c->hidden = sl_join_is_pseudo(c->name);
        } else if (src->lineage) {
            /* the step's own key and pseudo-columns answer to nothing */
            c->name = "";
        }
    }
    for (int b = 0; src->window_kind && b < 2; b++) {
        sl_scope_col *c = &scope->cols[scope->ncols++];
        *c = (sl_scope_col){.name = WINDOW_BOUND[b], .type = &sl_type_bigint, .source = src->name,
                            .alt_source = sd->alias, .index = sd->base + src->ncols + 3 + b};
    }
}

/* the scope column a column reference resolves to (-1: none or ambiguous) */
static int resolve(const sl_scope *sc, const char *q, const char *name)
{
    int found = -1;
    for (int i = 0; i < sc->ncols; i++) {
        const sl_scope_col *c = &sc->cols[i];
        if (strcmp(c->name, name))
            continue;
        if (q && !(c->source && !strcmp(c->source, q)) && !(c->alt_source && !strcmp(c->alt_source, q)))
            continue;
        if (found >= 0 && sc->cols[found].index != c->index)
            return -1;
        found = i;
    }
    return found;
}

static const char *col_qualifier(const sl_scope_col *c)
{
    return c->alt_source ? c->alt_source : c->source;
}

/* A canonical text of an expression with every column reference written as
 * its source's qualifier and name, so that ksqlDB's comparisons of
 * qualified expressions (the equivalence set, the projection's key item)
 * can be made across steps. */
static void canon(const sl_scope *sc, const sl_expr *x, sl_strbuf *b);

static void canon_list(const sl_scope *sc, const sl_expr_list *l, sl_strbuf *b)
{
    for (int i = 0; i < l->count; i++) {
        if (i)
            sl_strbuf_putc(b, ',');
        canon(sc, l->items[i], b);
    }
}

static void canon(const sl_scope *sc, const sl_expr *x, sl_strbuf *b)
{
    switch (x->kind) {
    case SL_E_COLUMN: {
        int i = resolve(sc, x->u.col.qualifier, x->u.col.name);
        if (i < 0)
            sl_strbuf_printf(b, "C(?%p)", (const void *)x);
        else
            sl_strbuf_printf(b, "C(%s.%s)", col_qualifier(&sc->cols[i]), sc->cols[i].name);
        return;
    }
    case SL_E_LITERAL: {
        sl_strbuf v;
        sl_strbuf_init(&v);
        sl_valcodec_put(&v, &x->u.lit.value);
        sl_strbuf_printf(b, "L%d(", (int)x->u.lit.value.kind);
        for (size_t i = 0; i < v.len; i++)
            sl_strbuf_printf(b, "%02x", (unsigned char)v.data[i]);
        sl_strbuf_putc(b, ')');
        sl_strbuf_free(&v);
        return;
    }
    case SL_E_UNARY:
        sl_strbuf_printf(b, "U%d(", (int)x->u.unary.op);
        canon(sc, x->u.unary.arg, b);
        break;
    case SL_E_BINARY:
        sl_strbuf_printf(b, "B%d(", (int)x->u.binary.op);
        canon(sc, x->u.binary.left, b);
        sl_strbuf_putc(b, ',');
        canon(sc, x->u.binary.right, b);
        break;
    case SL_E_CALL: {
        sl_strbuf_append(b, "F", 1);
        for (const char *p = x->u.call.name; *p; p++)
            sl_strbuf_putc(b, (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p));
        sl_strbuf_printf(b, "%s(", x->u.call.star ? "*" : "");
        canon_list(sc, &x->u.call.args, b);
        break;
    }
    case SL_E_CAST:
        sl_strbuf_printf(b, "K%s(", sl_type_to_sql(sc->arena, x->u.cast.to));
        canon(sc, x->u.cast.arg, b);
        break;
    case SL_E_DEREF:
        sl_strbuf_printf(b, "D%s(", x->u.deref.field);
        canon(sc, x->u.deref.base, b);
        break;
    case SL_E_SUBSCRIPT:
        sl_strbuf_append(b, "S(", 2);
        canon(sc, x->u.sub.base, b);
        sl_strbuf_putc(b, ',');
        canon(sc, x->u.sub.index, b);
        break;
    case SL_E_IS_NULL:
        sl_strbuf_printf(b, "N%d(", (int)x->u.isnull.negated);
        canon(sc, x->u.isnull.arg, b);
        break;
    default:
        /* other expressions never compare equal to anything but themselves */
        sl_strbuf_printf(b, "X(%p", (const void *)x);
        break;
    }
    sl_strbuf_putc(b, ')');
}

const char *sl_join_canon_text(const sl_scope *sc, const sl_expr *x)
{
    sl_strbuf b;
    sl_strbuf_init(&b);
    canon(sc, x, &b);
    const char *t = sl_arena_strndup(sc->arena, b.data ? b.data : "", b.len);
    sl_strbuf_free(&b);
    return t;
}

/* the (qualifier, name) of a plain column reference */
bool sl_join_colref(const sl_scope *sc, const sl_expr *x, const char **q, const char **name, const sl_type **type)
{
    if (x->kind != SL_E_COLUMN)
        return false;
    int i = resolve(sc, x->u.col.qualifier, x->u.col.name);
    if (i < 0)
        return false;
    *q = col_qualifier(&sc->cols[i]);
    *name = sc->cols[i].name;
    *type = sc->cols[i].type;
    return true;
}

bool sl_join_in_list(const char **l, int n, const char *t)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(l[i], t))
            return true;
    return false;
}

/* ksqlDB's JoinTree for this step: the equivalence set and the viable key
 * columns, stored as a lineage (the next step's, or this one's for the
 * projection) */
sl_join_lineage *sl_join_build_lineage(sl_arena *a, const sl_scope *full, const sl_join_plan *p, const sl_expr *lx,
                                       const sl_expr *rx, const char *lcanon, const char *rcanon)
{
    sl_join_lineage *l = sl_arena_calloc(a, 1, sizeof *l);
    const sl_join_lineage *prev = p->side[0].src->lineage;
    int cap = 2 + (prev ? prev->nequiv + prev->nviable : 0);
    l->equiv = sl_arena_calloc(a, (size_t)cap, sizeof *l->equiv);
    l->viable_q = sl_arena_calloc(a, (size_t)cap, sizeof *l->viable_q);
    l->viable_name = sl_arena_calloc(a, (size_t)cap, sizeof *l->viable_name);
    l->viable_type = sl_arena_calloc(a, (size_t)cap, sizeof *l->viable_type);
    if (p->type == SL_JOIN_FULL)
        return l; /* the key of a FULL OUTER join equals neither side's expression */
    l->equiv[l->nequiv++] = lcanon;
    if (strcmp(lcanon, rcanon))
        l->equiv[l->nequiv++] = rcanon;
    bool meets = prev && (sl_join_in_list(prev->equiv, prev->nequiv, lcanon) || sl_join_in_list(prev->equiv, prev->nequiv, rcanon));
    if (meets)
        for (int i = 0; i < prev->nequiv; i++)
            if (!sl_join_in_list(l->equiv, l->nequiv, prev->equiv[i]))
                l->equiv[l->nequiv++] = prev->equiv[i];
    /* viable: the earlier step's, then this step's column references, in
     * the equivalence set */
    int room = 2 + (prev ? prev->nviable : 0);
    const char **cq = sl_arena_calloc(a, (size_t)room, sizeof *cq), **cn = sl_arena_calloc(a, (size_t)room, sizeof *cn);
    const sl_type **ct = sl_arena_calloc(a, (size_t)room, sizeof *ct);
    int nc = 0;
    for (int i = 0; prev && i < prev->nviable; i++, nc++) {
        cq[nc] = prev->viable_q[i];
        cn[nc] = prev->viable_name[i];
        ct[nc] = prev->viable_type[i];
    }
    if (sl_join_colref(full, lx, &cq[nc], &cn[nc], &ct[nc]))
        nc++;
    if (sl_join_colref(full, rx, &cq[nc], &cn[nc], &ct[nc]))
        nc++;
    for (int i = 0; i < nc; i++) {
        const char *t = sl_arena_sprintf(a, "C(%s.%s)", cq[i], cn[i]);
        if (!sl_join_in_list(l->equiv, l->nequiv, t))
            continue;
        bool dup = false;
        for (int k = 0; k < l->nviable && !dup; k++)
            dup = !strcmp(l->viable_q[k], cq[i]) && !strcmp(l->viable_name[k], cn[i]);
        if (dup)
            continue;
        l->viable_q[l->nviable] = cq[i];
        l->viable_name[l->nviable] = cn[i];
        l->viable_type[l->nviable] = ct[i];
        l->nviable++;
    }
    return l;
}
