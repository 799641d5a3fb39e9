/* sluice test -s statements.sql -i input.json [-o output.json]: a drop-in
 * for ksqlDB's ksql-test-runner. The memory driver feeds each input record
 * as its own batch through the same compiled topology `run` uses; records a
 * query writes to a topic another query reads are fed on at once, depth
 * first, as chained queries would see them. Test values are JSON: they are
 * converted to bytes with the topic's own format on the way in, and produced
 * bytes are decoded back to JSON to compare, so every serde is exercised.
 * Exit codes: 0 equal, 1 differ, 2 rejected, 3 runtime failure, 4 unsupported. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/diag.h"
#include "common/log.h"
#include "ops/topology.h"
#include "runtime/memory_driver.h"
#include "runtime/replay_driver.h"
#include "runtime/test_input.h"
#include "sql/function.h"

static int usage(void)
{
    fprintf(stderr, "usage: sluice test -s statements.sql -i input.json [-o output.json]\n"
                    "                   [--bootstrap HOST:PORT | --stats FILE] [--changelog FILE]\n");
    return 2;
}

/* numbers compare by value (1 == 1.0), objects by key set, arrays in order */
static bool json_same(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        double x = json_number_value(a), y = json_number_value(b);
        return x == y || fabs(x - y) <= 1e-9 * fmax(fabs(x), fabs(y));
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v)
        {
            json_t *w = json_object_get(b, k);
            if (!w || !json_same(v, w))
                return false;
        }
        return true;
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return json_equal(a, b);
}

static char *dump(json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : strdup("<absent>");
}

static bool record_same(json_t *exp, json_t *act, char **why)
{
    json_t *ek = json_object_get(exp, "key"), *ak = json_object_get(act, "key");
    if (!ek)
        ek = json_null();
    if (!json_same(ek, ak ? ak : json_null())) {
        *why = "key";
        return false;
    }
    json_t *ev = json_object_get(exp, "value"), *av = json_object_get(act, "value");
    if (!ev)
        ev = json_null();
    if (!json_same(ev, av ? av : json_null())) {
        *why = "value";
        return false;
    }
    json_t *et = json_object_get(exp, "timestamp");
    if (et && !json_same(et, json_object_get(act, "timestamp"))) {
        *why = "timestamp";
        return false;
    }
    json_t *ew = json_object_get(exp, "window");
    if (ew) {
        json_t *aw = json_object_get(act, "window");
        if (!aw || !json_same(json_object_get(ew, "start"), json_object_get(aw, "start")) ||
            !json_same(json_object_get(ew, "end"), json_object_get(aw, "end"))) {
            *why = "window";
            return false;
        }
    }
    return true;
}

/* Compares per topic, in order; prints a readable diff. */
static int compare(json_t *expected, json_t *actual)
{
    int rc = 0;
    size_t ne = json_array_size(expected);
    /* the topics that have expectations */
    json_t *topics = json_object();
    for (size_t i = 0; i < ne; i++)
        json_object_set_new(topics, json_string_value(json_object_get(json_array_get(expected, i), "topic")),
                            json_true());
    const char *topic;
    json_t *unused;
    json_object_foreach(topics, topic, unused)
    {
        json_t *e = json_array(), *a = json_array();
        for (size_t i = 0; i < ne; i++) {
            json_t *r = json_array_get(expected, i);
            if (!strcmp(json_string_value(json_object_get(r, "topic")), topic))
                json_array_append(e, r);
        }
        for (size_t i = 0; i < json_array_size(actual); i++) {
            json_t *r = json_array_get(actual, i);
            if (!strcmp(json_string_value(json_object_get(r, "topic")), topic))
                json_array_append(a, r);
        }
        size_t n = json_array_size(e) > json_array_size(a) ? json_array_size(e) : json_array_size(a);
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_array_get(e, i), *y = json_array_get(a, i);
            char *why = "record";
            if (x && y && record_same(x, y, &why))
                continue;
            char *xs = dump(x), *ys = dump(y);
            fprintf(stderr, "topic %s, record %zu: %s differs\n  expected: %s\n  actual:   %s\n", topic, i,
                    x && y ? why : x ? "missing" : "unexpected", xs, ys);
            free(xs);
            free(ys);
            rc = 1;
        }
        if (json_array_size(e) != json_array_size(a))
            fprintf(stderr, "topic %s: expected %zu records, got %zu\n", topic, json_array_size(e),
                    json_array_size(a));
        json_decref(e);
        json_decref(a);
    }
    json_decref(topics);
    return rc;
}

/* {"<key>": value} written to path, indented; what names it in the error.
 * --changelog FILE: the changelog records the batches wrote, in order
 * ({"changelog":[{"store","key","value"}]}, key and value in hex), in
 * memory or read back from the cluster's changelog topics: a test compares
 * the two to show both run the same batch. --stats FILE: each query's
 * record fates ({"queries": ...}), for the differential tests. */
static int write_json_doc(const char *path, const char *key, json_t *value, const char *what)
{
    json_t *doc = json_pack("{s:O}", key, value);
    int rc = json_dump_file(doc, path, JSON_INDENT(1));
    json_decref(doc);
    if (rc)
        fprintf(stderr, "%s: error: cannot write the %s\n", path, what);
    return rc;
}

int sl_cmd_test(int argc, char **argv)
{
    const char *spath = NULL, *ipath = NULL, *opath = NULL, *bootstrap = NULL, *stats_path = NULL,
               *changelog_path = NULL;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-s") && i + 1 < argc)
            spath = argv[++i];
        else if (!strcmp(argv[i], "-i") && i + 1 < argc)
            ipath = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            opath = argv[++i];
        else if (!strcmp(argv[i], "--bootstrap") && i + 1 < argc)
            bootstrap = argv[++i];
        else if (!strcmp(argv[i], "--stats") && i + 1 < argc)
            stats_path = argv[++i];
        else if (!strcmp(argv[i], "--changelog") && i + 1 < argc)
            changelog_path = argv[++i];
        else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
            verbose = true;
        else
            return usage();
    }
    if (!spath || !ipath)
        return usage();
    if (stats_path && bootstrap) {
        fprintf(stderr, "error: --stats counts the in-process run only; it cannot be combined with --bootstrap\n");
        return 2;
    }
    /* warnings only: the processing log, and through a cluster the driver's */
    sl_log_set_level(verbose ? SL_LOG_DEBUG : SL_LOG_WARN);
    /* ksqlDB's own test runner has its harness UDFs on the classpath */
    sl_function_enable_harness(true);
    char *sql = sl_read_file(spath, NULL);
    if (!sql) {
        perror(spath);
        return 2;
    }
    json_error_t jerr;
    json_t *input = sl_test_input_load(ipath, &jerr);
    if (!input) {
        fprintf(stderr, "%s:%d:%d: error: %s\n", ipath, jerr.line, jerr.column, jerr.text);
        free(sql);
        return 2;
    }
    json_t *expected = NULL;
    if (opath) {
        json_t *o = json_load_file(opath, 0, &jerr);
        if (!o) {
            fprintf(stderr, "%s:%d:%d: error: %s\n", opath, jerr.line, jerr.column, jerr.text);
            json_decref(input);
            free(sql);
            return 2;
        }
        expected = json_incref(json_object_get(o, "outputs"));
        json_decref(o);
    }
    sl_error err = {0};
    json_t *actual = NULL, *stats = NULL, *changes = NULL;
    json_t **changes_out = changelog_path ? &changes : NULL;
    int rc = bootstrap ? sl_replay_run(sql, spath, input, expected, bootstrap, &actual, changes_out, &err)
                       : sl_memory_run_full(sql, spath, input, expected, &actual, stats_path ? &stats : NULL,
                                            changes_out, &err);
    bool written = !rc && (stats || changes);
    if (!rc && stats && write_json_doc(stats_path, "queries", stats, "stats"))
        rc = 2;
    if (!rc && changes && write_json_doc(changelog_path, "changelog", changes, "changelog records"))
        rc = 2;
    json_decref(stats);
    json_decref(changes);
    if (rc == 2 && written) {
        /* write_stats or write_changelog said why */
    } else if (rc) {
        sl_diag_print(stderr, &err, sql);
    } else if (expected) {
        rc = compare(expected, actual);
    } else {
        json_t *doc = json_pack("{s:O}", "outputs", actual);
        char *s = json_dumps(doc, JSON_INDENT(1));
        puts(s);
        free(s);
        json_decref(doc);
    }
    json_decref(actual);
    json_decref(expected);
    json_decref(input);
    free(sql);
    return rc;
}
