/* `sluice explain` names the state stores and changelog topics exactly as a
 * running task creates them: every kind of store (aggregation, windowed
 * aggregation, joins, a foreign-key join's index, a table source) is
 * compared with the stores of a real task and the changelog topics the
 * runtime writes to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ops/topology.h"
#include "runtime/changelog.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_explain_names_the_stores_a_task_has),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
