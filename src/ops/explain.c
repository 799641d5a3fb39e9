/* `sluice explain` and the status page's query list: the topology as it
 * runs, query by query. One description is built (a JSON document, the
 * `--format json` output) and the text and dot forms are drawn from it, so
 * the three cannot disagree. Store and changelog names are the topology's
 * list (what a task really creates), windows and
 * joins from their plans with defaults applied, and filters, conditions and
 * keys are printed back from the statement as SQL. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "ops/topology.h"
#include "sql/catalog.h"
#include "sql/expr_print.h"
#include "sql/plan_aggregate.h"
#include "sql/plan_join.h"
#include "state/store.h"

static json_t *sql_of(const sl_expr *x)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    sl_expr_print(&sb, x);
    json_t *s = json_string(sb.data ? sb.data : "");
    sl_strbuf_free(&sb);
    return s;
}

static json_t *sql_list(const sl_expr_list *l)
{
    json_t *a = json_array();
    for (int i = 0; i < l->count; i++)
        json_array_append_new(a, sql_of(l->items[i]));
    return a;
}

static json_t *schema_of(const sl_source *src)
{
    sl_arena *a = sl_arena_new(0);
    json_t *cols = json_array();
    for (int i = 0; i < src->ncols; i++)
        json_array_append_new(cols, json_pack("{s:s, s:s, s:b}", "name", src->cols[i].name, "type",
                                              sl_type_to_sql(a, src->cols[i].type), "key", i < src->nkey));
    sl_arena_destroy(a);
    return cols;
}

static json_t *source_json(const sl_source *src)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "name", src->name, "kind", src->is_table ? "TABLE" : "STREAM",
                     "topic", src->topic, "key_format", sl_format_name(src->key_format), "value_format",
                     sl_format_name(src->value_format), "schema", schema_of(src));
}

static const char *window_kind_name(sl_window_kind k)
{
    return k == SL_WINDOW_TUMBLING ? "TUMBLING" : k == SL_WINDOW_HOPPING ? "HOPPING" : "SESSION";
}

static const char *join_type_name(sl_join_type t)
{
    return t == SL_JOIN_INNER ? "INNER" : t == SL_JOIN_LEFT ? "LEFT" : t == SL_JOIN_RIGHT ? "RIGHT" : "FULL OUTER";
}


/* the operators in the order a record meets them */
static json_t *operators_of(const sl_query *q)
{
    const sl_select *s = q->stmt ? q->stmt->select : NULL;
    json_t *ops = json_array();
    json_array_append_new(ops, json_pack("{s:s}", "op", "source"));
    if (q->join) {
        sl_join_info j;
        sl_join_info_of(q, &j);
        json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "op", "join", "type", join_type_name(j.type), "shape", j.shape,
                              "right", source_json(sl_join_right(q->join)));
        if (s && s->njoins == 1 && s->joins[0].on)
            json_object_set_new(o, "on", sql_of(s->joins[0].on));
        if (!strcmp(j.shape, "stream-stream"))
            json_object_set_new(o, "within",
                                json_pack("{s:I, s:I, s:I, s:b}", "before_ms", (json_int_t)j.before_ms, "after_ms",
                                          (json_int_t)j.after_ms, "grace_ms", (json_int_t)j.grace_ms,
                                          "holds_unmatched", j.holds_unmatched));
        json_array_append_new(ops, o);
    }
    if (q->repartition_topic)
        json_array_append_new(ops, json_pack("{s:s, s:s, s:s}", "op", "repartition", "by",
                                             q->join ? "join key" : "grouping key", "topic", q->repartition_topic));
    if (q->where && s && s->where)
        json_array_append_new(ops, json_pack("{s:s, s:o}", "op", "filter", "where", sql_of(s->where)));
    if (q->agg) {
        json_t *o = json_pack("{s:s, s:o}", "op", "aggregate", "group_by",
                              s ? sql_list(&s->group_by) : json_array());
        sl_agg_window_info w;
        sl_agg_window_info_of(q, &w);
        if (w.kind)
            json_object_set_new(o, "window",
                                json_pack("{s:s, s:I, s:I, s:I, s:I}", "kind", window_kind_name(w.kind),
                                          w.kind == SL_WINDOW_SESSION ? "gap_ms" : "size_ms", (json_int_t)w.size_ms,
                                          "advance_ms", (json_int_t)w.advance_ms, "grace_ms", (json_int_t)w.grace_ms,
                                          "retention_ms", (json_int_t)w.retention_ms));
        json_object_set_new(o, "emit", json_string(w.emit_final ? "FINAL" : "CHANGES"));
        if (s && s->having)
            json_object_set_new(o, "having", sql_of(s->having));
        json_array_append_new(ops, o);
    }
    if (s && s->partition_by.count)
        json_array_append_new(ops, json_pack("{s:s, s:o}", "op", "partition_by", "by", sql_list(&s->partition_by)));
    sl_arena *a = sl_arena_new(0);
    json_t *cols = json_array();
    for (int c = 0; c < q->ncols; c++)
        json_array_append_new(cols, json_pack("{s:s, s:s, s:b}", "name", q->cols[c].name, "type",
                                              sl_type_to_sql(a, q->cols[c].type), "key", q->cols[c].is_key));
    sl_arena_destroy(a);
    json_array_append_new(ops, json_pack("{s:s, s:o}", "op", "project", "columns", cols));
    json_array_append_new(ops, json_pack("{s:s}", "op", "sink"));
    return ops;
}

static json_t *query_json(const sl_topology *t, int index, const char *app)
{
    const sl_query *q = sl_topology_query(t, index);
    json_t *stores = json_array(), *changelogs = json_array(), *schemas = json_array();
    for (const char *const *name = sl_topology_query_stores(t, index); *name; name++) {
        char topic[640];
        sl_store_changelog_topic(app ? app : "<application.id>", *name, topic, sizeof topic);
        json_array_append_new(stores, json_string(*name));
        json_array_append_new(changelogs, json_string(topic));
    }
    /* what each store's keys and values hold, as the plan declares them */
    for (int i = 0; i < q->nstores; i++)
        json_array_append_new(schemas, json_pack("{s:s, s:s, s:s}", "name", q->stores[i].name, "key", q->stores[i].key,
                                                 "value", q->stores[i].value));
    json_t *internal = json_array();
    if (q->repartition_topic)
        json_array_append_new(internal, json_string(q->repartition_topic));
    json_t *sink = source_json(q->sink);
    json_object_set_new(sink, "internal", json_boolean(q->sink->internal));
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", q->id, "kind",
                     q->kind == SL_PLAN_JOIN ? "join" : q->kind == SL_PLAN_AGGREGATE ? "aggregate" : "project",
                     "source", source_json(q->source), "operators", operators_of(q), "sink", sink, "state_stores",
                     stores, "store_schemas", schemas, "changelog_topics", changelogs, "internal_topics", internal);
}

/* ---------- text ---------- */

static void put_schema(sl_strbuf *sb, json_t *cols)
{
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c)
    {
        sl_strbuf_printf(sb, "%s%s %s%s", i ? ", " : "", json_string_value(json_object_get(c, "name")),
                         json_string_value(json_object_get(c, "type")),
                         json_is_true(json_object_get(c, "key")) ? " KEY" : "");
    }
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void put_topic_side(sl_strbuf *sb, json_t *src, const char *arrow)
{
    sl_strbuf_printf(sb, "%s %s topic '%s' (key %s, value %s)\n      columns: ", str(src, "name"), arrow,
                     str(src, "topic"), str(src, "key_format"), str(src, "value_format"));
    put_schema(sb, json_object_get(src, "schema"));
    sl_strbuf_putc(sb, '\n');
}

static void put_list(sl_strbuf *sb, const char *label, json_t *a)
{
    sl_strbuf_printf(sb, "  %s:", label);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        sl_strbuf_printf(sb, " %s", json_string_value(v));
    }
    sl_strbuf_puts(sb, json_array_size(a) ? "\n" : " none\n");
}

static void text_query(sl_strbuf *sb, json_t *q, int index)
{
    sl_strbuf_printf(sb, "Query %s (sub-topology %d)\n  Source: ", str(q, "id"), index);
    put_topic_side(sb, json_object_get(q, "source"), "<-");
    size_t i;
    json_t *op;
    json_array_foreach(json_object_get(q, "operators"), i, op)
    {
        const char *kind = str(op, "op");
        if (!strcmp(kind, "join")) {
            sl_strbuf_printf(sb, "  Join: %s JOIN (%s) ", str(op, "type"), str(op, "shape"));
            put_topic_side(sb, json_object_get(op, "right"), "<-");
            if (json_object_get(op, "on"))
                sl_strbuf_printf(sb, "      ON %s\n", str(op, "on"));
            json_t *w = json_object_get(op, "within");
            if (w)
                sl_strbuf_printf(sb, "      WITHIN (%lld ms before, %lld ms after), grace %lld ms%s\n",
                                 num(w, "before_ms"), num(w, "after_ms"), num(w, "grace_ms"),
                                 json_is_true(json_object_get(w, "holds_unmatched"))
                                     ? "; unmatched rows wait for their window to close"
                                     : "");
        } else if (!strcmp(kind, "repartition")) {
            sl_strbuf_printf(sb, "  Repartition: by the %s through topic '%s'\n", str(op, "by"), str(op, "topic"));
        } else if (!strcmp(kind, "filter")) {
            sl_strbuf_printf(sb, "  Filter: WHERE %s\n", str(op, "where"));
        } else if (!strcmp(kind, "aggregate")) {
            sl_strbuf_puts(sb, "  Aggregate: GROUP BY ");
            size_t k;
            json_t *g;
            json_array_foreach(json_object_get(op, "group_by"), k, g)
            {
                sl_strbuf_printf(sb, "%s%s", k ? ", " : "", json_string_value(g));
            }
            json_t *w = json_object_get(op, "window");
            if (w && !strcmp(str(w, "kind"), "SESSION"))
                sl_strbuf_printf(sb, "\n      WINDOW SESSION (gap %lld ms), grace %lld ms, retention %lld ms",
                                 num(w, "gap_ms"), num(w, "grace_ms"), num(w, "retention_ms"));
            else if (w)
                sl_strbuf_printf(sb,
                                 "\n      WINDOW %s (size %lld ms, advance %lld ms), grace %lld ms, retention %lld ms",
                                 str(w, "kind"), num(w, "size_ms"), num(w, "advance_ms"), num(w, "grace_ms"),
                                 num(w, "retention_ms"));
            sl_strbuf_printf(sb, "\n      EMIT %s\n", str(op, "emit"));
            if (json_object_get(op, "having"))
                sl_strbuf_printf(sb, "      HAVING %s\n", str(op, "having"));
        } else if (!strcmp(kind, "partition_by")) {
            sl_strbuf_puts(sb, "  Partition by: ");
            size_t k;
            json_t *g;
            json_array_foreach(json_object_get(op, "by"), k, g)
            {
                sl_strbuf_printf(sb, "%s%s", k ? ", " : "", json_string_value(g));
            }
            sl_strbuf_putc(sb, '\n');
        } else if (!strcmp(kind, "project")) {
            json_t *cols = json_object_get(op, "columns");
            sl_strbuf_printf(sb, "  Project: %zu column(s): ", json_array_size(cols));
            put_schema(sb, cols);
            sl_strbuf_putc(sb, '\n');
        }
    }
    json_t *sink = json_object_get(q, "sink");
    sl_strbuf_printf(sb, "  Sink: %s", json_is_true(json_object_get(sink, "internal")) ? "internal step " : "");
    put_topic_side(sb, sink, "->");
    put_list(sb, "State stores", json_object_get(q, "state_stores"));
    size_t k;
    json_t *st;
    json_array_foreach(json_object_get(q, "store_schemas"), k, st)
    {
        sl_strbuf_printf(sb, "    %s: key %s, value %s\n", str(st, "name"), str(st, "key"), str(st, "value"));
    }
    put_list(sb, "Changelog topics", json_object_get(q, "changelog_topics"));
    put_list(sb, "Internal topics", json_object_get(q, "internal_topics"));
}

/* ---------- dot: topics are boxes, queries ellipses, stores cylinders ---------- */

static void dot_escape(sl_strbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sl_strbuf_putc(sb, '\\');
        sl_strbuf_putc(sb, *s);
    }
}

static void dot_node(sl_strbuf *sb, const char *prefix, const char *name, const char *attrs)
{
    sl_strbuf_puts(sb, "  \"");
    sl_strbuf_puts(sb, prefix);
    dot_escape(sb, name);
    sl_strbuf_printf(sb, "\" [%s, label=\"", attrs);
    dot_escape(sb, name);
    sl_strbuf_puts(sb, "\"];\n");
}

static void dot_edge(sl_strbuf *sb, const char *from_prefix, const char *from, const char *to_prefix, const char *to,
                     const char *attrs)
{
    sl_strbuf_puts(sb, "  \"");
    sl_strbuf_puts(sb, from_prefix);
    dot_escape(sb, from);
    sl_strbuf_puts(sb, "\" -> \"");
    sl_strbuf_puts(sb, to_prefix);
    dot_escape(sb, to);
    sl_strbuf_printf(sb, "\"%s%s%s;\n", *attrs ? " [" : "", attrs, *attrs ? "]" : "");
}

static const char TOPIC[] = "shape=box, style=rounded", INTERNAL_TOPIC[] = "shape=box, style=\"rounded,dashed\"",
                  QUERY[] = "shape=ellipse", STORE[] = "shape=cylinder";

static void dot_query(sl_strbuf *sb, json_t *q)
{
    const char *id = str(q, "id");
    json_t *src = json_object_get(q, "source"), *sink = json_object_get(q, "sink");
    dot_node(sb, "query:", id, QUERY);
    dot_node(sb, "topic:", str(src, "topic"), TOPIC);
    bool internal_sink = json_is_true(json_object_get(sink, "internal"));
    dot_node(sb, "topic:", str(sink, "topic"), internal_sink ? INTERNAL_TOPIC : TOPIC);
    dot_edge(sb, "topic:", str(src, "topic"), "query:", id, "");
    size_t i;
    json_t *op;
    json_array_foreach(json_object_get(q, "operators"), i, op)
    {
        if (!strcmp(str(op, "op"), "join")) {
            const char *rt = str(json_object_get(op, "right"), "topic");
            dot_node(sb, "topic:", rt, TOPIC);
            dot_edge(sb, "topic:", rt, "query:", id, "");
        }
    }
    json_t *t;
    json_array_foreach(json_object_get(q, "internal_topics"), i, t)
    {
        dot_node(sb, "topic:", json_string_value(t), INTERNAL_TOPIC);
        dot_edge(sb, "query:", id, "topic:", json_string_value(t), "style=dashed");
        dot_edge(sb, "topic:", json_string_value(t), "query:", id, "style=dashed");
    }
    json_array_foreach(json_object_get(q, "state_stores"), i, t)
    {
        dot_node(sb, "store:", json_string_value(t), STORE);
        dot_edge(sb, "query:", id, "store:", json_string_value(t), "dir=both, arrowhead=none");
    }
    dot_edge(sb, "query:", id, "topic:", str(sink, "topic"), "");
}

char *sl_topology_describe(const sl_topology *t, const char *format, const char *app)
{
    json_t *queries = json_array();
    for (int i = 0; i < sl_topology_query_count(t); i++)
        json_array_append_new(queries, query_json(t, i, app));
    char *out;
    if (format && !strcmp(format, "json")) {
        json_t *doc = json_pack("{s:o}", "queries", queries);
        out = json_dumps(doc, JSON_INDENT(1));
        json_decref(doc);
        if (out) {
            /* a text file ends with a newline */
            size_t n = strlen(out);
            char *nl = realloc(out, n + 2);
            if (nl) {
                nl[n] = '\n';
                nl[n + 1] = 0;
                out = nl;
            }
        }
        return out;
    }
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    bool dot = format && !strcmp(format, "dot");
    if (dot)
        sl_strbuf_puts(&sb, "digraph topology {\n  rankdir=LR;\n");
    size_t i;
    json_t *q;
    json_array_foreach(queries, i, q)
    {
        if (dot)
            dot_query(&sb, q);
        else
            text_query(&sb, q, (int)i);
    }
    if (dot)
        sl_strbuf_puts(&sb, "}\n");
    if (!sb.data)
        sl_strbuf_puts(&sb, "No persistent queries.\n");
    json_decref(queries);
    return sb.data;
}
