/* `sluice explain` names the state stores and changelog topics exactly as a
 * running task creates them: every kind of store (aggregation, windowed
 * aggregation, joins, a foreign-key join's index, a table source) is
 * compared with the stores of a real task and the changelog topics the
 * runtime writes to. It shows the plan as it runs (windows with their
 * defaults, join kinds and windows, filters as SQL, schemas, internal
 * topics by their real names), and the expression printer behind it reads
 * back to the same text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "ops/topology.h"
#include "sql/expr_print.h"
#include "sql/parser.h"
#include "runtime/changelog.h"
#include "sql/plan.h"
#include "state/store.h"

static const char *SQL =
    "CREATE STREAM S (ID BIGINT KEY, V BIGINT, F BIGINT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=2);\n"
    "CREATE TABLE U (ID BIGINT PRIMARY KEY, W BIGINT) WITH (KAFKA_TOPIC='u', VALUE_FORMAT='JSON', PARTITIONS=2);\n"
    "CREATE TABLE G (ID BIGINT PRIMARY KEY, X BIGINT) WITH (KAFKA_TOPIC='g', VALUE_FORMAT='JSON', PARTITIONS=2);\n"
    "CREATE TABLE C AS SELECT ID, COUNT(*) AS N FROM S GROUP BY ID;\n"
    "CREATE TABLE W AS SELECT ID, SUM(V) AS T FROM S WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY ID;\n"
    "CREATE STREAM J AS SELECT S.ID, V, W FROM S JOIN U ON S.ID = U.ID;\n"
    "CREATE TABLE FK AS SELECT U.ID, W, X FROM U JOIN G ON U.W = G.ID;\n"
    "CREATE TABLE P AS SELECT ID, W FROM U WHERE W > 0;\n";

typedef struct names {
    char list[32][256];
    int n;
} names;

static void collect(void *ctx, sl_store *store)
{
    names *c = ctx;
    if (c->n < 32)
        snprintf(c->list[c->n++], sizeof c->list[0], "%s", sl_store_name(store));
}

static void collect_name(void *ctx, const char *name)
{
    names *c = ctx;
    if (c->n < 32)
        snprintf(c->list[c->n++], sizeof c->list[0], "%s", name);
}

static bool listed(const names *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->list[i], name))
            return true;
    return false;
}

static void test_explain_names_the_stores_a_task_has(void **state)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(SQL, "q.sql", NULL, &err);
    if (!t)
        fail_msg("compile: %s", err.msg);
    /* what a task really has */
    names real = {0};
    sl_task *task = sl_task_new(t, 0);
    sl_task_foreach_store(task, collect, &real);
    sl_task_destroy(task);
    assert_true(real.n >= 6);

    char *text = sl_topology_describe(t, "json", "app");
    json_error_t je;
    json_t *d = json_loads(text, 0, &je);
    assert_non_null(d);
    int explained = 0;
    size_t i, k;
    json_t *q, *s;
    json_array_foreach(json_object_get(d, "queries"), i, q)
    {
        json_t *stores = json_object_get(q, "state_stores"), *logs = json_object_get(q, "changelog_topics");
        assert_int_equal(json_array_size(stores), json_array_size(logs));
        json_array_foreach(stores, k, s)
        {
            const char *name = json_string_value(s);
            if (!listed(&real, name))
                fail_msg("explain names store %s, which a task does not have", name);
            char topic[640];
            sl_changelog_topic("app", name, topic, sizeof topic);
            assert_string_equal(json_string_value(json_array_get(logs, k)), topic);
            explained++;
        }
    }
    assert_int_equal(explained, real.n);

    /* and they are the changelog topics sluice run creates (topics.c makes
     * one per name sl_changelog_store_names gives) */
    names created = {0};
    sl_changelog_store_names(t, collect_name, &created);
    assert_int_equal(created.n, real.n);
    for (int c = 0; c < created.n; c++) {
        char topic[640];
        sl_changelog_topic("app", created.list[c], topic, sizeof topic);
        bool found = false;
        json_array_foreach(json_object_get(d, "queries"), i, q)
        {
            json_array_foreach(json_object_get(q, "changelog_topics"), k, s)
            {
                found = found || !strcmp(json_string_value(s), topic);
            }
        }
        if (!found)
            fail_msg("sluice run creates %s, which explain does not name", topic);
    }
    json_decref(d);
    free(text);

    /* the text form names them the same way */
    text = sl_topology_describe(t, "text", NULL);
    for (int r = 0; r < real.n; r++) {
        char topic[640];
        sl_changelog_topic("<application.id>", real.list[r], topic, sizeof topic);
        if (!strstr(text, real.list[r]) || !strstr(text, topic))
            fail_msg("explain text lacks %s or %s:\n%s", real.list[r], topic, text);
    }
    free(text);
    sl_topology_destroy(t);
}

static const char *PLAN_SQL =
    "CREATE STREAM S (ID BIGINT KEY, A STRING, B DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
    "CREATE STREAM T (ID BIGINT KEY, A STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON');\n"
    "CREATE STREAM O AS SELECT ID, A FROM S WHERE A LIKE 'x%' AND B > 2.5;\n"
    "CREATE STREAM L AS SELECT R.ID, L.A, R.A AS RA FROM S L RIGHT JOIN T R "
    "WITHIN (1 SECOND, 2 SECONDS) GRACE PERIOD 3 SECONDS ON L.ID = R.ID;\n"
    "CREATE TABLE H AS SELECT A, COUNT(*) AS N FROM S WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS) "
    "GROUP BY A HAVING COUNT(*) > 1 EMIT FINAL;\n";

static void expect_in(const char *text, const char *what)
{
    if (!strstr(text, what))
        fail_msg("explain lacks \"%s\":\n%s", what, text);
}

static void test_explain_shows_the_plan(void **state)
{
    sl_error err = {0};
    sl_compile_options opts = {.internal_topic_prefix = "app-"};
    sl_topology *t = sl_topology_compile(PLAN_SQL, "q.sql", &opts, &err);
    if (!t)
        fail_msg("compile: %s", err.msg);
    char *text = sl_topology_describe(t, "text", "app");
    expect_in(text, "Filter: WHERE A LIKE 'x%' AND B > 2.5");
    expect_in(text, "columns: ID BIGINT KEY, A STRING, B DOUBLE");
    expect_in(text, "Join: RIGHT JOIN (stream-stream) T <- topic 't'");
    expect_in(text, "ON L.ID = R.ID");
    expect_in(text, "WITHIN (1000 ms before, 2000 ms after), grace 3000 ms");
    expect_in(text, "WINDOW HOPPING (size 10000 ms, advance 5000 ms), grace 0 ms");
    expect_in(text, "EMIT FINAL");
    expect_in(text, "HAVING COUNT(*) > 1");
    expect_in(text, "Internal topics: app-CTAS_H_2-repartition");
    expect_in(text, "app-CTAS_H_2-Aggregate-changelog");
    free(text);

    char *dot = sl_topology_describe(t, "dot", "app");
    expect_in(dot, "\"topic:s\" [shape=box, style=rounded");
    expect_in(dot, "\"query:CSAS_O_0\" [shape=ellipse");
    expect_in(dot, "\"store:CTAS_H_2-Aggregate\" [shape=cylinder");
    expect_in(dot, "\"topic:app-CTAS_H_2-repartition\" [shape=box, style=\"rounded,dashed\"");
    free(dot);

    char *js = sl_topology_describe(t, "json", "app");
    json_error_t je;
    json_t *d = json_loads(js, 0, &je);
    if (!d)
        fail_msg("explain json does not parse: %s", je.text);
    json_t *ops = json_object_get(json_array_get(json_object_get(d, "queries"), 2), "operators");
    json_t *agg = NULL;
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        if (!strcmp(json_string_value(json_object_get(op, "op")), "aggregate"))
            agg = op;
    }
    assert_non_null(agg);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(agg, "window"), "advance_ms")), 5000);
    json_decref(d);
    free(js);
    sl_topology_destroy(t);
}

/* The plan declares the stores its operators use, and no more: a stream
 * joined to a table keeps only the table's rows (not the stream's), and a
 * join over a table keeps no "-Source" store of its own (before the plan
 * declared them, both were created, with changelogs nobody wrote). Each
 * declared store says what its keys and values hold. */
static void test_plan_declares_only_used_stores(void **state)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(SQL, "q.sql", NULL, &err);
    if (!t)
        fail_msg("compile: %s", err.msg);
    names all = {0};
    for (int i = 0; i < sl_topology_query_count(t); i++)
        for (const char *const *name = sl_topology_query_stores(t, i); *name; name++)
            collect_name(&all, *name);
    assert_true(listed(&all, "CSAS_J_2-JoinRight"));
    assert_false(listed(&all, "CSAS_J_2-JoinLeft"));
    assert_false(listed(&all, "CTAS_FK_3-Source"));
    assert_true(listed(&all, "CTAS_FK_3-JoinLeft"));
    assert_true(listed(&all, "CTAS_FK_3-FkIndex"));
    assert_true(listed(&all, "CTAS_P_4-Source"));
    for (int i = 0; i < sl_topology_query_count(t); i++) {
        const sl_query *q = sl_topology_query(t, i);
        for (int k = 0; k < q->nstores; k++) {
            assert_non_null(strstr(q->stores[k].name, q->id));
            assert_true(strlen(q->stores[k].key) > 0);
            assert_true(strlen(q->stores[k].value) > 0);
        }
    }
    const sl_query *c = sl_topology_query(t, 0);
    assert_int_equal(c->kind, SL_PLAN_AGGREGATE);
    assert_non_null(strstr(sl_plan_store_of(c, SL_STORE_AGGREGATE)->value, "state of COUNT(*)"));
    assert_int_equal(sl_topology_query(t, 2)->kind, SL_PLAN_JOIN);
    assert_int_equal(sl_topology_query(t, 4)->kind, SL_PLAN_PROJECT);
    sl_topology_destroy(t);
}

/* printed, parsed again and printed: the same text */
static void test_expression_printer_reads_back(void **state)
{
    const char *wheres[] = {
        "(A LIKE 'x%' OR NOT B BETWEEN 1.5 AND 2) AND A IN ('it''s', 'q')",
        "B - (1 - 2) > 0 AND CAST(B AS STRING) IS NOT NULL",
        "CASE WHEN B > 1 THEN 'big' ELSE 'small' END = 'big' OR -B * (B + 1) / 2 < 3",
        "ARRAY[1, 2][1] = 1 AND MAP('k' := 1)['k'] IS NULL AND STRUCT(F := 1)->F <> 2",
    };
    for (size_t w = 0; w < sizeof wheres / sizeof *wheres; w++) {
        char sql[600];
        snprintf(sql, sizeof sql, "CREATE STREAM O AS SELECT * FROM S WHERE %s;", wheres[w]);
        sl_arena *a = sl_arena_new(0);
        sl_stmt_list stmts;
        sl_error err = {0};
        if (sl_parse(sql, "q.sql", a, &stmts, &err))
            fail_msg("parse %s: %s", wheres[w], err.msg);
        sl_strbuf once;
        sl_strbuf_init(&once);
        sl_expr_print(&once, stmts.items[0]->select->where);
        assert_string_equal(once.data, wheres[w]);
        sl_strbuf_free(&once);
        sl_arena_destroy(a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_names_the_stores_a_task_has),
        cmocka_unit_test(test_explain_shows_the_plan),
        cmocka_unit_test(test_plan_declares_only_used_stores),
        cmocka_unit_test(test_expression_printer_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
