/* The stores a plan declares (see sl_plan_store in plan.h). The plan is the
 * one place that knows which state a query keeps: the operators create
 * exactly these stores (by role), and the topology lists them for
 * changelogs, restore, explain, the status page and the metrics, so that no
 * one has to build a task to learn what its stores are called.
 *
 * Keys and values are described as the operators encode them (valcodec, a
 * self-describing binary encoding of sl_values, see common/valcodec.h), in
 * words a reader of `sluice explain` can check against the statement. */
#include "sql/plan.h"

#include <string.h>

#include "sql/expr_print.h"
#include "sql/plan_aggregate.h"
#include "sql/plan_join.h"

static const char *const role_names[SL_STORE_ROLE_COUNT] = {
    [SL_STORE_SOURCE] = "Source",       [SL_STORE_AGGREGATE] = "Aggregate", [SL_STORE_JOIN_LEFT] = "JoinLeft",
    [SL_STORE_JOIN_RIGHT] = "JoinRight", [SL_STORE_JOIN_OUTER] = "JoinOuter", [SL_STORE_FK_INDEX] = "FkIndex",
};

const char *sl_store_role_name(sl_store_role role)
{
    return role >= 0 && role < SL_STORE_ROLE_COUNT ? role_names[role] : "?";
}

const sl_plan_store *sl_plan_store_of(const sl_query *q, sl_store_role role)
{
    for (int i = 0; i < q->nstores; i++)
        if (q->stores[i].role == role)
            return &q->stores[i];
    return NULL;
}

/* "A BIGINT, B STRING": a source's key columns, or all its columns */
static void source_columns(sl_strbuf *b, const sl_source *src, bool keys_only, sl_arena *a)
{
    int n = keys_only ? src->nkey : src->ncols;
    for (int i = 0; i < n; i++)
        sl_strbuf_puts(b, sl_arena_sprintf(a, "%s%s %s", i ? ", " : "", src->cols[i].name,
                                           sl_type_to_sql(a, src->cols[i].type)));
}

static const char *finish(sl_strbuf *b, sl_arena *a)
{
    const char *s = sl_arena_strndup(a, b->data ? b->data : "", b->len);
    sl_strbuf_reset(b);
    return s;
}

static void declare(sl_query *q, sl_arena *a, sl_store_role role, const char *key, const char *value)
{
    sl_plan_store *st = &q->stores[q->nstores++];
    st->role = role;
    st->name = sl_arena_sprintf(a, "%s-%s", q->id, sl_store_role_name(role));
    st->key = key;
    st->value = value;
}

static void declare_aggregate(sl_query *q, sl_arena *a, sl_strbuf *b)
{
    const sl_agg_plan *p = q->agg;
    sl_strbuf_puts(b, "valcodec(");
    for (int i = 0; i < p->nkeys; i++) {
        if (i)
            sl_strbuf_puts(b, ", ");
        sl_expr_print(b, p->key_ast[i]);
    }
    sl_strbuf_puts(b, ")");
    bool session = p->window.kind == SL_WINDOW_SESSION;
    if (p->window.kind && !session)
        sl_strbuf_puts(b, " + window start (8 bytes, big-endian)");
    const char *key = finish(b, a);
    sl_strbuf_puts(b, session ? "valcodec(ARRAY of sessions (start, end, " : "valcodec(STRUCT(max ROWTIME, ");
    for (int i = 0; i < p->naggs; i++) {
        if (i)
            sl_strbuf_puts(b, ", ");
        sl_strbuf_puts(b, "state of ");
        sl_expr_print(b, p->agg_ast[i]);
    }
    sl_strbuf_puts(b, "))");
    declare(q, a, SL_STORE_AGGREGATE, key, finish(b, a));
}

static void declare_join(sl_query *q, sl_arena *a, sl_strbuf *b)
{
    const sl_join_plan *p = q->join;
    static const sl_store_role sides[2] = {SL_STORE_JOIN_LEFT, SL_STORE_JOIN_RIGHT};
    for (int s = 0; s < 2; s++) {
        const sl_source *src = p->side[s].src;
        /* a stream joined to a table looks the table up and keeps nothing
         * of its own (Kafka Streams' KStreamKTableJoin) */
        if (p->stream_table && !src->is_table)
            continue;
        /* a foreign-key join keeps each table by its own key; the other
         * joins by the join key */
        if (p->fk) {
            sl_strbuf_puts(b, "valcodec(");
            source_columns(b, src, true, a);
            sl_strbuf_puts(b, ")");
        } else {
            sl_strbuf_puts(b, "valcodec(join key");
            if (p->key_type)
                sl_strbuf_puts(b, sl_arena_sprintf(a, " %s", sl_type_to_sql(a, p->key_type)));
            sl_strbuf_puts(b, ")");
            /* windowed sources: the window's bytes after the key */
            if (src->window_kind)
                sl_strbuf_puts(b, src->window_kind == SL_WINDOW_SESSION ? " + window start and end, 8 bytes each"
                                                                        : " + window start, 8 bytes");
        }
        const char *key = finish(b, a);
        sl_strbuf_puts(b, p->stream_stream ? "valcodec(ARRAY of (ROWTIME, " : "valcodec((ROWTIME, ");
        sl_strbuf_puts(b, sl_arena_sprintf(a, "%s row: ", src->name));
        source_columns(b, src, false, a);
        sl_strbuf_puts(b, p->stream_stream ? ")...)" : "))");
        declare(q, a, sides[s], key, finish(b, a));
    }
    if (p->outer_store)
        declare(q, a, SL_STORE_JOIN_OUTER,
                p->side[0].src->window_kind
                    ? "(ROWTIME 8 bytes, side 1 byte, join key bytes, window bytes): Kafka Streams' order"
                    : "(ROWTIME 8 bytes, side 1 byte, join key bytes): Kafka Streams' order",
                "valcodec((ROWTIME, the unmatched side's row))");
    if (p->fk)
        declare(q, a, SL_STORE_FK_INDEX, "valcodec(right table key)", "the left table keys that point at it");
}

void sl_plan_declare_stores(sl_query *q, sl_arena *a)
{
    q->kind = q->join ? SL_PLAN_JOIN : q->agg ? SL_PLAN_AGGREGATE : SL_PLAN_PROJECT;
    q->stores = sl_arena_calloc(a, SL_STORE_ROLE_COUNT, sizeof *q->stores);
    q->nstores = 0;
    sl_strbuf b;
    sl_strbuf_init(&b);
    if (q->kind == SL_PLAN_AGGREGATE)
        declare_aggregate(q, a, &b);
    else if (q->kind == SL_PLAN_JOIN)
        declare_join(q, a, &b);
    /* a table read by a projection or an aggregation keeps its latest row
     * per key, to know what an update replaces; a join keeps its sides in
     * its own stores */
    if (q->source->is_table && q->kind != SL_PLAN_JOIN) {
        sl_strbuf_puts(&b, "valcodec(");
        source_columns(&b, q->source, true, a);
        sl_strbuf_puts(&b, ")");
        const char *key = finish(&b, a);
        sl_strbuf_puts(&b, sl_arena_sprintf(a, "valcodec(%s row: ", q->source->name));
        source_columns(&b, q->source, false, a);
        sl_strbuf_puts(&b, ", pseudo-columns)");
        declare(q, a, SL_STORE_SOURCE, key, finish(&b, a));
    }
    sl_strbuf_free(&b);
}
