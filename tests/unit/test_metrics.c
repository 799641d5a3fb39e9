/* Worker metrics and the operations endpoint: committed work is counted
 * once (an aborted batch is forgotten and counted when redone), stream
 * time follows committed records per task partition, late records come
 * from the tasks' stores, readiness follows assignment and restore, a
 * reader thread sees counters only grow while a worker commits; the HTTP
 * server parses `listeners`, serves every page on an ephemeral port with
 * the numbers the metrics hold, answers 404 elsewhere, reports a taken
 * port by its address, and leaves no socket open when stopped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/arena.h"
#include "http/http_pages_int.h"
#include "http/http_server.h"
#include "ops/topology.h"
#include "runtime/metrics.h"

static rd_kafka_topic_partition_list_t *parts_of(const char *topic, int n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, topic, i);
    return l;
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---------- metrics ---------- */

static void test_null_metrics_are_no_ops(void **state)
{
    sl_driver_stats st = {0};
    sl_worker_metrics_batch_begin(NULL);
    sl_worker_metrics_record(NULL, "a", 0, 0, 1);
    sl_worker_metrics_output(NULL, "a");
    sl_worker_metrics_fetched(NULL, "a", 0, 0);
    sl_worker_metrics_partition_end(NULL, NULL, "a", 0, 0);
    sl_worker_metrics_processing_error(NULL, "a", 0, 0, "x");
    sl_worker_metrics_member(NULL, NULL);
    sl_worker_metrics_set_topology(NULL, NULL);
    sl_worker_metrics_committed(NULL, &st, NULL, 0, NULL, NULL);
    sl_worker_metrics_aborted(NULL, &st);
    sl_worker_metrics_assigned(NULL, NULL);
    sl_worker_metrics_restored(NULL);
    sl_worker_metrics_revoked(NULL);
    sl_worker_metrics_restore_begin(NULL);
    sl_worker_metrics_restore_end(NULL, 3);
    sl_worker_metrics_fatal(NULL);
    sl_worker_metrics_destroy(NULL);
}

static void test_committed_work_counted_once(void **state)
{
    sl_worker_metrics *m = sl_worker_metrics_new(3);
    sl_driver_stats st = {0};
    /* batch 1: 10 in, 4 out, 1 failed, 2 changelog records; committed */
    sl_worker_metrics_batch_begin(m);
    st.records_in = 10, st.records_out = 4, st.failed_records = 1, st.changelog_records = 2, st.batches = 1;
    sl_worker_metrics_committed(m, &st, NULL, 0, NULL, NULL);
    /* batch 2: 5 in, 5 out, then aborted */
    sl_worker_metrics_batch_begin(m);
    st.records_in += 5, st.records_out += 5, st.aborted_batches = 1;
    sl_worker_metrics_aborted(m, &st);
    /* batch 2 redone: the same 5 in, 5 out, committed */
    sl_worker_metrics_batch_begin(m);
    st.records_in += 5, st.records_out += 5, st.changelog_records += 1, st.batches = 2;
    sl_worker_metrics_committed(m, &st, NULL, 0, NULL, NULL);

    sl_worker_snapshot s;
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.thread_index, 3);
    assert_int_equal(s.records_in, 15);
    assert_int_equal(s.records_out, 9);
    assert_int_equal(s.failed_records, 1);
    assert_int_equal(s.changelog_records, 3);
    assert_int_equal(s.batches_committed, 2);
    assert_int_equal(s.batches_aborted, 1);
    /* batch sizes 10 and 5: both in the bucket up to 10 */
    assert_int_equal(s.size_buckets[0], 0);
    assert_int_equal(s.size_buckets[1], 2);
    int64_t commits = 0;
    for (int i = 0; i <= SL_METRICS_LATENCY_BUCKETS; i++)
        commits += s.latency_buckets[i];
    assert_int_equal(commits, 2);
    assert_true(s.last_commit_ms > 0);
    sl_worker_snapshot_free(&s);
    sl_worker_metrics_destroy(m);
}

static void test_commit_latency_measured_from_first_record(void **state)
{
    sl_worker_metrics *m = sl_worker_metrics_new(0);
    sl_driver_stats st = {.records_in = 1, .batches = 1};
    sl_worker_metrics_batch_begin(m);
    sleep_ms(30);
    sl_worker_metrics_committed(m, &st, NULL, 0, NULL, NULL);
    sl_worker_snapshot s;
    sl_worker_metrics_read(m, &s);
    assert_true(s.commit_latency_us_sum >= 30000);
    assert_true(s.commit_latency_us_sum < 10000000);
    /* 30 ms and more: nothing in the buckets up to 25 ms */
    for (int i = 0; i < SL_METRICS_LATENCY_BUCKETS && sl_metrics_latency_bounds_ms[i] <= 25; i++)
        assert_int_equal(s.latency_buckets[i], 0);
    sl_worker_snapshot_free(&s);
    sl_worker_metrics_destroy(m);
}

static void test_stream_time_per_task_partition(void **state)
{
    sl_worker_metrics *m = sl_worker_metrics_new(0);
    rd_kafka_topic_partition_list_t *l = parts_of("a", 3);
    rd_kafka_topic_partition_list_add(l, "b", 2); /* task 2 reads two topics */
    sl_worker_metrics_assigned(m, l);
    sl_worker_metrics_restored(m);
    sl_driver_stats st = {0};
    sl_worker_metrics_batch_begin(m);
    sl_worker_metrics_record(m, "a", 0, 0, 100);
    sl_worker_metrics_record(m, "a", 0, 1, 50);
    sl_worker_metrics_record(m, "a", 2, 0, 300);
    st.records_in = 3, st.batches = 1;
    sl_worker_metrics_committed(m, &st, NULL, 0, NULL, NULL);
    /* an aborted batch's records do not move stream time */
    sl_worker_metrics_batch_begin(m);
    sl_worker_metrics_record(m, "a", 0, 2, 999);
    st.records_in++, st.aborted_batches++;
    sl_worker_metrics_aborted(m, &st);

    sl_worker_snapshot s;
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.nassigned, 4);
    assert_string_equal(s.assigned[3].topic, "b");
    assert_int_equal(s.assigned[3].lag, -1);
    assert_int_equal(s.ntasks, 3);
    assert_int_equal(s.tasks[0].partition, 0);
    assert_int_equal(s.tasks[0].stream_time, 100);
    assert_int_equal(s.tasks[1].partition, 1);
    assert_true(s.tasks[1].stream_time == INT64_MIN);
    assert_int_equal(s.tasks[2].partition, 2);
    assert_int_equal(s.tasks[2].stream_time, 300);
    assert_int_equal(s.records_in, 3);
    sl_worker_snapshot_free(&s);

    /* a new assignment: new tasks, their stream time unknown again */
    sl_worker_metrics_revoked(m);
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.nassigned, 0);
    assert_int_equal(s.ntasks, 0);
    sl_worker_snapshot_free(&s);
    sl_worker_metrics_assigned(m, l);
    sl_worker_metrics_read(m, &s);
    assert_true(s.tasks[0].stream_time == INT64_MIN);
    sl_worker_snapshot_free(&s);
    rd_kafka_topic_partition_list_destroy(l);
    sl_worker_metrics_destroy(m);
}

static void discard(void *ctx, const sl_record *r)
{
    (void)ctx, (void)r;
}

static void no_error(void *ctx, const sl_record *r, const char *msg)
{
    fail_msg("processing error: %s", msg);
}

static void process(sl_task *task, int64_t ts)
{
    sl_error err = {0};
    sl_arena *a = sl_arena_new(0);
    sl_collector out = {.send = discard, .processing_error = no_error};
    sl_record r = {.topic = "s", .timestamp = ts, .key = "k", .key_len = 1, .value = "{\"V\": 1}", .value_len = 8};
    assert_int_equal(sl_task_process(task, &r, a, &out, &err), SL_OK);
    sl_arena_destroy(a);
}

/* late records as the tasks' stores count them, per commit; a task that
 * is dropped and restored counts from 0 again without losing the total */
static void test_late_records_from_tasks(void **state)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(
        "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
        "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) "
        "GROUP BY K;\n",
        "t.sql", NULL, &err);
    assert_non_null(t);
    sl_task *tasks[2] = {NULL, sl_task_new(t, 1)};
    sl_worker_metrics *m = sl_worker_metrics_new(0);
    sl_driver_stats st = {0};
    process(tasks[1], 25000);
    process(tasks[1], 1000); /* late */
    st.records_in = 2, st.batches = 1;
    sl_worker_metrics_committed(m, &st, tasks, 2, NULL, NULL);
    process(tasks[1], 2000); /* late */
    process(tasks[1], 26000);
    st.records_in = 4, st.batches = 2;
    sl_worker_metrics_committed(m, &st, tasks, 2, NULL, NULL);
    sl_worker_snapshot s;
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.late_dropped, 2);
    assert_true(s.state_entries >= 1);
    assert_true(s.state_bytes > 0);
    sl_worker_snapshot_free(&s);

    /* an abort drops the task; its successor's count starts at 0 */
    st.aborted_batches = 1;
    sl_worker_metrics_aborted(m, &st);
    sl_task_destroy(tasks[1]);
    tasks[1] = sl_task_new(t, 1);
    process(tasks[1], 25000);
    process(tasks[1], 3000); /* late */
    st.records_in = 6, st.batches = 3;
    sl_worker_metrics_committed(m, &st, tasks, 2, NULL, NULL);
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.late_dropped, 3);
    sl_worker_snapshot_free(&s);

    sl_task_destroy(tasks[1]);
    sl_topology_destroy(t);
    sl_worker_metrics_destroy(m);
}

static void test_readiness_follows_assignment_and_restore(void **state)
{
    sl_worker_metrics *m = sl_worker_metrics_new(0);
    sl_worker_snapshot s;
#define READY() (sl_worker_metrics_read(m, &s), sl_worker_snapshot_free(&s), sl_worker_snapshot_ready(&s))
    assert_false(READY()); /* no assignment yet */
    rd_kafka_topic_partition_list_t *l = parts_of("a", 2);
    sl_worker_metrics_assigned(m, l);
    assert_false(READY()); /* restoring */
    sl_worker_metrics_restore_begin(m);
    sl_worker_metrics_restore_end(m, 7);
    assert_false(READY()); /* the assignment's tasks not all restored yet */
    sl_worker_metrics_restored(m);
    assert_true(READY());
    sl_worker_metrics_restore_begin(m); /* after an abort: a task restores again */
    assert_false(READY());
    sl_worker_metrics_restore_end(m, -1); /* failed: not counted */
    assert_true(READY());
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.restored_records, 7);
    assert_int_equal(s.restores_done, 1);
    assert_int_equal(s.restores_in_progress, 0);
    sl_worker_snapshot_free(&s);
    sl_worker_metrics_revoked(m);
    assert_false(READY());
    sl_worker_metrics_assigned(m, l);
    sl_worker_metrics_restored(m);
    assert_true(READY());
    sl_worker_metrics_fatal(m);
    assert_false(READY());
#undef READY
    rd_kafka_topic_partition_list_destroy(l);
    sl_worker_metrics_destroy(m);
}

/* a reader thread while the worker commits: counters only grow, and the
 * last read sees every commit */
typedef struct race {
    sl_worker_metrics *m;
    _Atomic int done;
    _Atomic int64_t reads;
    int64_t went_back;
} race;

static void *reader(void *arg)
{
    race *r = arg;
    int64_t last = 0;
    while (!r->done) {
        sl_worker_snapshot s;
        sl_worker_metrics_read(r->m, &s);
        if (s.records_in < last)
            r->went_back++;
        last = s.records_in;
        r->reads++;
        sl_worker_snapshot_free(&s);
    }
    return NULL;
}

static void test_reader_while_worker_commits(void **state)
{
    race r = {.m = sl_worker_metrics_new(0)};
    rd_kafka_topic_partition_list_t *l = parts_of("a", 4);
    pthread_t th;
    pthread_create(&th, NULL, reader, &r);
    /* the commits start once the reader reads: on a loaded machine it
     * might otherwise not run before they are over */
    while (!r.reads)
        sched_yield();
    sl_driver_stats st = {0};
    for (int b = 0; b < 20000; b++) {
        if (b % 1000 == 0)
            sl_worker_metrics_assigned(r.m, l); /* the snapshot under the mutex changes too */
        sl_worker_metrics_batch_begin(r.m);
        for (int i = 0; i < 3; i++)
            sl_worker_metrics_record(r.m, "a", i, b, b);
        st.records_in += 3, st.batches++;
        sl_worker_metrics_committed(r.m, &st, NULL, 0, NULL, NULL);
    }
    r.done = 1;
    pthread_join(th, NULL);
    assert_int_equal(r.went_back, 0);
    assert_true(r.reads > 0);
    sl_worker_snapshot s;
    sl_worker_metrics_read(r.m, &s);
    assert_int_equal(s.records_in, 60000);
    assert_int_equal(s.batches_committed, 20000);
    assert_int_equal(s.tasks[2].stream_time, 19999);
    sl_worker_snapshot_free(&s);
    rd_kafka_topic_partition_list_destroy(l);
    sl_worker_metrics_destroy(r.m);
}


/* records per topic: sources, sinks and internal topics apart, counted at
 * commit, forgotten on abort; the per-second history gets the batch's
 * source and sink records and its commit */
static void test_topic_counts_and_history(void **state)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(
        "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
        "CREATE STREAM OUT_T AS SELECT K, V FROM S;\n"
        "CREATE TABLE T AS SELECT V, COUNT(*) AS N FROM S GROUP BY V;\n",
        "t.sql", NULL, &err);
    assert_non_null(t);
    const char *repartition = NULL;
    for (int i = 0; i < sl_topology_topic_count(t); i++)
        if (sl_topology_is_repartition_topic(t, sl_topology_topic(t, i)->name))
            repartition = sl_topology_topic(t, i)->name;
    assert_non_null(repartition);
    sl_worker_metrics *m = sl_worker_metrics_new(0);
    sl_worker_metrics_set_topology(m, t);
    sl_driver_stats st = {0};
    /* a batch: 3 source records, their outputs and repartitioned copies,
     * 2 read back, one processing-log entry */
    sl_worker_metrics_batch_begin(m);
    for (int i = 0; i < 3; i++) {
        sl_worker_metrics_record(m, "s", 0, i, 1000 + i);
        sl_worker_metrics_output(m, "OUT_T");
        sl_worker_metrics_output(m, repartition);
    }
    sl_worker_metrics_record(m, repartition, 0, 0, 1000);
    sl_worker_metrics_record(m, repartition, 0, 1, 1001);
    sl_worker_metrics_output(m, "T");
    sl_worker_metrics_output(m, "app_processing_log");
    st.records_in = 5, st.batches = 1;
    sl_worker_metrics_committed(m, &st, NULL, 0, NULL, NULL);
    /* an aborted batch's records are not counted */
    sl_worker_metrics_batch_begin(m);
    sl_worker_metrics_record(m, "s", 0, 3, 2000);
    sl_worker_metrics_output(m, "OUT_T");
    st.records_in = 6, st.aborted_batches = 1;
    sl_worker_metrics_aborted(m, &st);

    sl_worker_snapshot s;
    sl_worker_metrics_read(m, &s);
    int64_t got[4][2] = {{0}};
    for (int i = 0; i < s.ntopics; i++)
        got[s.topics[i].kind][s.topics[i].out] += s.topics[i].records;
    assert_int_equal(got[SL_TOPIC_SOURCE][0], 3);
    assert_int_equal(got[SL_TOPIC_SINK][1], 4); /* OUT_T and T */
    assert_int_equal(got[SL_TOPIC_INTERNAL][1], 3);
    assert_int_equal(got[SL_TOPIC_INTERNAL][0], 2);
    assert_int_equal(got[SL_TOPIC_OTHER][1], 1); /* the processing log */
    assert_int_equal(got[SL_TOPIC_SOURCE][1] + got[SL_TOPIC_SINK][0], 0);
    /* the history: this second (or the one before, if it just turned) */
    int64_t in = 0, out = 0, commits = 0;
    for (int i = 0; i < SL_METRICS_HISTORY_SECONDS; i++) {
        in += s.history[i].records_in;
        out += s.history[i].records_out;
        commits += s.history[i].commits;
    }
    assert_int_equal(in, 3);
    assert_int_equal(out, 4);
    assert_int_equal(commits, 1);
    sl_worker_snapshot_free(&s);
    sl_worker_metrics_destroy(m);
    sl_topology_destroy(t);
}

/* the last SL_METRICS_ERRORS processing-log messages are kept, the newest
 * at (nerrors_seen - 1) % SL_METRICS_ERRORS, long ones cut */
static void test_recent_errors_ring(void **state)
{
    sl_worker_metrics *m = sl_worker_metrics_new(0);
    char msg[64], longmsg[1000];
    for (int i = 0; i < SL_METRICS_ERRORS + 3; i++) {
        snprintf(msg, sizeof msg, "error %d", i);
        sl_worker_metrics_processing_error(m, "t", 1, 100 + i, msg);
    }
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = 0;
    sl_worker_snapshot s;
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.nerrors_seen, SL_METRICS_ERRORS + 3);
    const sl_error_entry *last = &s.errors[(s.nerrors_seen - 1) % SL_METRICS_ERRORS];
    char want[64];
    snprintf(want, sizeof want, "error %d", SL_METRICS_ERRORS + 2);
    assert_string_equal(last->message, want);
    assert_int_equal(last->offset, 100 + SL_METRICS_ERRORS + 2);
    const sl_error_entry *oldest = &s.errors[(s.nerrors_seen - SL_METRICS_ERRORS) % SL_METRICS_ERRORS];
    assert_string_equal(oldest->message, "error 3");
    assert_true(last->time_ms > 0);
    sl_worker_snapshot_free(&s);
    sl_worker_metrics_processing_error(m, "t", 1, 0, longmsg);
    sl_worker_metrics_read(m, &s);
    assert_int_equal(strlen(s.errors[(s.nerrors_seen - 1) % SL_METRICS_ERRORS].message), sizeof last->message - 1);
    sl_worker_snapshot_free(&s);
    sl_worker_metrics_destroy(m);
}

/* each state store's size, over the tasks, as of the last commit */
static void test_store_sizes(void **state)
{
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(
        "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON');\n"
        "CREATE TABLE T AS SELECT K, COUNT(*) AS C FROM S GROUP BY K;\n",
        "t.sql", NULL, &err);
    assert_non_null(t);
    sl_task *tasks[2] = {sl_task_new(t, 0), sl_task_new(t, 1)};
    process(tasks[0], 1000);
    process(tasks[1], 1000);
    sl_worker_metrics *m = sl_worker_metrics_new(0);
    sl_driver_stats st = {.records_in = 2, .batches = 1};
    sl_worker_metrics_committed(m, &st, tasks, 2, NULL, NULL);
    sl_worker_snapshot s;
    sl_worker_metrics_read(m, &s);
    assert_int_equal(s.nstores, 1);
    assert_non_null(strstr(s.stores[0].name, "CTAS_T_"));
    assert_int_equal(s.stores[0].entries, 2); /* key "k" in each task */
    assert_true(s.stores[0].bytes > 0);
    assert_int_equal(s.stores[0].entries, s.state_entries);
    sl_worker_snapshot_free(&s);
    sl_task_destroy(tasks[0]);
    sl_task_destroy(tasks[1]);
    sl_worker_metrics_destroy(m);
    sl_topology_destroy(t);
}

/* each query's statement, found in the queries file by the name it writes:
 * semicolons in strings, quoted names and comments do not split; source
 * declarations are skipped; a join's steps share its statement */
static void test_statements_for_queries(void **state)
{
    const char *sql = "-- sources\n"
                      "CREATE STREAM s (k STRING KEY, v STRING) WITH (KAFKA_TOPIC='s;1', VALUE_FORMAT='JSON');\n"
                      "/* the filter; with a semicolon */ CREATE STREAM out1 AS SELECT k, v FROM s\n"
                      "  WHERE v <> 'a;b' AND v <> 'it''s;' EMIT CHANGES;\n"
                      "CREATE OR REPLACE STREAM \"Quoted;Name\" AS SELECT * FROM s; -- trailing\n"
                      "INSERT INTO out1 SELECT k, v FROM s;\n"
                      "CREATE STREAM j AS SELECT * FROM s JOIN t ON s.k = t.k JOIN u ON s.k = u.k;\n";
    json_t *q = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "sink_name", "OUT1", "sink_name",
                          "Quoted;Name", "sink_name", "OUT1", "sink_name", "J_JOIN_STEP_1", "sink_name", "J",
                          "sink_name", "NOPE");
    sl_http_attach_statements(q, sql);
#define SQL_OF(i) json_string_value(json_object_get(json_array_get(q, i), "sql"))
    assert_string_equal(SQL_OF(0), "CREATE STREAM out1 AS SELECT k, v FROM s\n  WHERE v <> 'a;b' AND v <> 'it''s;' "
                                   "EMIT CHANGES;");
    assert_string_equal(SQL_OF(1), "CREATE OR REPLACE STREAM \"Quoted;Name\" AS SELECT * FROM s;");
    assert_string_equal(SQL_OF(2), "INSERT INTO out1 SELECT k, v FROM s;");
    assert_string_equal(SQL_OF(3), "CREATE STREAM j AS SELECT * FROM s JOIN t ON s.k = t.k JOIN u ON s.k = u.k;");
    assert_string_equal(SQL_OF(4), SQL_OF(3));
    assert_null(SQL_OF(5));
#undef SQL_OF
    json_decref(q);
    /* no file text, or none that parses: nothing attached, nothing broken */
    q = json_pack("[{s:s}]", "sink_name", "X");
    sl_http_attach_statements(q, NULL);
    sl_http_attach_statements(q, "'unterminated; CREATE STREAM x AS SELECT");
    assert_null(json_object_get(json_array_get(q, 0), "sql"));
    json_decref(q);
}

/* this process's numbers, as Prometheus' client libraries name them */
static void test_process_stats(void **state)
{
    sl_process_stats p;
    sl_process_stats_read(&p);
    assert_true(p.ok);
    assert_true(p.resident_bytes > 1 << 20);
    assert_true(p.virtual_bytes >= p.resident_bytes);
    assert_true(p.open_fds >= 3);
    assert_true(p.max_fds == -1 || p.max_fds > p.open_fds);
    assert_true(p.threads >= 1);
    time_t now = time(NULL);
    assert_true(p.start_time_seconds > (double)now - 600 && p.start_time_seconds <= (double)now + 1);
    int before = count_fds();
    sl_process_stats_read(&p);
    assert_int_equal(count_fds(), before); /* nothing left open */
}

/* ---------- listeners ---------- */

static void test_listener_parsing(void **state)
{
    sl_http_listener l;
    sl_error err = {0};
    assert_int_equal(sl_http_parse_listener("", &l, &err), SL_OK);
    assert_false(l.enabled);
    assert_int_equal(sl_http_parse_listener("http://0.0.0.0:8088", &l, &err), SL_OK);
    assert_true(l.enabled);
    assert_string_equal(l.host, "0.0.0.0");
    assert_int_equal(l.port, 8088);
    assert_int_equal(sl_http_parse_listener("http://localhost:0/", &l, &err), SL_OK);
    assert_string_equal(l.host, "localhost");
    assert_int_equal(l.port, 0);
    assert_int_equal(sl_http_parse_listener("http://[::1]:9000", &l, &err), SL_OK);
    assert_string_equal(l.host, "::1");
    assert_int_equal(l.port, 9000);
    const char *bad[] = {"0.0.0.0:8088",          "https://0.0.0.0:8088", "http://0.0.0.0",     "http://:8088",
                         "http://0.0.0.0:65536", "http://0.0.0.0:80x",   "http://h:80/metrics", "http://::1:80",
                         "http://a:1,http://b:2", "http://[::1]8088",     "http://0.0.0.0:",     "http://u@h:80"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sl_error e = {0};
        if (sl_http_parse_listener(bad[i], &l, &e) != SL_ERR_INVALID)
            fail_msg("accepted %s", bad[i]);
        assert_non_null(strstr(e.msg, "listeners"));
        assert_non_null(strstr(e.msg, bad[i]));
    }
}

/* ---------- the server ---------- */

typedef struct reply {
    long status;
    char type[128];
    char *body;
    size_t len;
} reply;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    r->body = realloc(r->body, r->len + size * n + 1);
    memcpy(r->body + r->len, p, size * n);
    r->len += size * n;
    r->body[r->len] = 0;
    return size * n;
}

static reply get(int port, const char *path)
{
    reply r = {0};
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(c);
    if (rc)
        fail_msg("GET %s: %s", url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r.type, sizeof r.type, "%s", ct ? ct : "");
    curl_easy_cleanup(c);
    if (!r.body)
        r.body = calloc(1, 1);
    return r;
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* the value of one sample line "NAME{LABELS} VALUE" of a metrics page */
static double sample(const char *page, const char *name_and_labels)
{
    char key[256];
    snprintf(key, sizeof key, "\n%s ", name_and_labels);
    const char *p = strstr(page, key);
    if (!p)
        fail_msg("no sample %s in:\n%s", name_and_labels, page);
    return strtod(p + strlen(key), NULL);
}

static void test_server_pages(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int fds_before = open_fds();
    sl_error err = {0};
    const char *sql = "CREATE STREAM S (K STRING KEY, V INT) WITH (KAFKA_TOPIC='in_t', VALUE_FORMAT='JSON');\n"
                      "CREATE STREAM OUT_T AS SELECT K, V FROM S WHERE V < 3;\n";
    sl_topology *topo = sl_topology_compile(sql, "t.sql", NULL, &err);
    assert_non_null(topo);
    sl_worker_metrics *m[2] = {sl_worker_metrics_new(0), sl_worker_metrics_new(1)};
    sl_worker_metrics_set_topology(m[1], topo);
    sl_http_info info = {.application_id = "app<1>", .instance_id = "inst9", .topology = topo, .queries_sql = sql,
                         .workers = m, .nworkers = 2};
    sl_http_listener l;
    assert_int_equal(sl_http_parse_listener("http://127.0.0.1:0", &l, &err), SL_OK);
    sl_http_server *srv = sl_http_start(&l, &info, &err);
    if (!srv)
        fail_msg("start: %s", err.msg);
    int port = sl_http_port(srv);
    assert_true(port > 0);

    reply r = get(port, "/healthz");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok\n");
    free(r.body);
    r = get(port, "/readyz");
    assert_int_equal(r.status, 503);
    free(r.body);

    /* both workers assigned and restored; worker 1 commits a batch */
    rd_kafka_topic_partition_list_t *p0 = parts_of("in_t", 1), *p1 = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(p1, "in_t", 1);
    sl_worker_metrics_assigned(m[0], p0);
    sl_worker_metrics_restored(m[0]);
    r = get(port, "/readyz");
    assert_int_equal(r.status, 503); /* worker 1 not yet */
    assert_non_null(strstr(r.body, "worker thread 1"));
    free(r.body);
    sl_worker_metrics_assigned(m[1], p1);
    sl_worker_metrics_restored(m[1]);
    sl_driver_stats st = {.records_in = 42, .records_out = 40, .failed_records = 2, .batches = 1};
    sl_worker_metrics_batch_begin(m[1]);
    sl_worker_metrics_record(m[1], "in_t", 1, 0, 1700000000123);
    sl_worker_metrics_output(m[1], "OUT_T");
    sl_worker_metrics_processing_error(m[1], "in_t", 1, 7, "bad <json>");
    sl_worker_metrics_committed(m[1], &st, NULL, 0, NULL, NULL);
    r = get(port, "/readyz");
    assert_int_equal(r.status, 200);
    free(r.body);

    r = get(port, "/metrics");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.type, "text/plain"));
    assert_non_null(strstr(r.body, "# HELP sluice_records_in_total "));
    assert_non_null(strstr(r.body, "# TYPE sluice_records_in_total counter"));
    assert_non_null(strstr(r.body, "# TYPE sluice_commit_latency_seconds histogram"));
    assert_true(sample(r.body, "sluice_records_in_total{thread=\"0\"}") == 0);
    assert_true(sample(r.body, "sluice_records_in_total{thread=\"1\"}") == 42);
    assert_true(sample(r.body, "sluice_records_out_total{thread=\"1\"}") == 40);
    assert_true(sample(r.body, "sluice_failed_records_total{thread=\"1\"}") == 2);
    assert_true(sample(r.body, "sluice_assigned_partitions{thread=\"0\"}") == 1);
    assert_true(sample(r.body, "sluice_commit_latency_seconds_count{thread=\"1\"}") == 1);
    assert_true(sample(r.body, "sluice_batch_size_records_bucket{thread=\"1\",le=\"100\"}") == 1);
    assert_true(sample(r.body, "sluice_batch_size_records_bucket{thread=\"1\",le=\"10\"}") == 0);
    assert_true(sample(r.body, "sluice_stream_time_seconds{thread=\"1\",partition=\"1\"}") == 1700000000.123);
    assert_non_null(strstr(r.body, "sluice_info{application_id=\"app<1>\",instance_id=\"inst9\""));
    assert_true(sample(r.body, "sluice_source_records_in_total{thread=\"1\",topic=\"in_t\"}") == 1);
    assert_true(sample(r.body, "sluice_sink_records_out_total{thread=\"1\",topic=\"OUT_T\"}") == 1);
    assert_true(sample(r.body, "process_resident_memory_bytes") > 0);
    assert_true(sample(r.body, "process_start_time_seconds") > 1.6e9);
    assert_non_null(strstr(r.body, "# TYPE process_cpu_seconds_total counter"));
    assert_non_null(strstr(r.body, "# TYPE process_open_fds gauge"));
    free(r.body);

    r = get(port, "/status");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.type, "application/json"));
    json_t *j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "application.id")), "app<1>");
    assert_string_equal(json_string_value(json_object_get(j, "instance.id")), "inst9");
    assert_true(json_is_true(json_object_get(j, "ready")));
    json_t *q = json_array_get(json_object_get(j, "queries"), 0);
    assert_string_equal(json_string_value(json_object_get(q, "sink_topic")), "OUT_T");
    assert_string_equal(json_string_value(json_object_get(q, "source_topic")), "in_t");
    json_t *w1 = json_array_get(json_object_get(j, "workers"), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(w1, "counts"), "records_in")), 42);
    json_t *a = json_array_get(json_object_get(w1, "assigned_partitions"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "topic")), "in_t");
    assert_int_equal(json_integer_value(json_object_get(a, "partition")), 1);
    json_t *t = json_array_get(json_object_get(w1, "tasks"), 0);
    assert_int_equal(json_integer_value(json_object_get(t, "stream_time")), 1700000000123);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "records_in")), 42);
    json_decref(j);
    free(r.body);

    r = get(port, "/");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.type, "text/html"));
    assert_non_null(strstr(r.body, "<meta http-equiv=\"refresh\" content=\"2\">"));
    assert_non_null(strstr(r.body, "app&lt;1&gt;")); /* escaped */
    assert_null(strstr(r.body, "app<1>"));
    assert_non_null(strstr(r.body, "OUT_T"));
    assert_non_null(strstr(r.body, "in_t/1"));
    assert_non_null(strstr(r.body, "2023-11-14T22:13:20.123Z"));
    /* the query's statement, the charts, the error (escaped), uptime */
    assert_non_null(strstr(r.body, "CREATE STREAM OUT_T AS SELECT K, V FROM S WHERE V &lt; 3;"));
    assert_non_null(strstr(r.body, "id=\"chart-records\""));
    assert_non_null(strstr(r.body, "id=\"chart-latency\""));
    assert_non_null(strstr(r.body, "<polyline class=\"series\" data-series=\"in\""));
    assert_non_null(strstr(r.body, "bad &lt;json&gt;"));
    assert_non_null(strstr(r.body, "in_t/1@7"));
    assert_non_null(strstr(r.body, "id=\"uptime\">up "));
    free(r.body);

    r = get(port, "/nope");
    assert_int_equal(r.status, 404);
    free(r.body);
    r = get(port, "/metrics/");
    assert_int_equal(r.status, 404);
    free(r.body);

    /* the port is taken: a second server names the address */
    char taken[64];
    snprintf(taken, sizeof taken, "http://127.0.0.1:%d", port);
    sl_http_listener l2;
    assert_int_equal(sl_http_parse_listener(taken, &l2, &err), SL_OK);
    sl_error e2 = {0};
    assert_null(sl_http_start(&l2, &info, &e2));
    assert_non_null(strstr(e2.msg, taken));

    sl_worker_metrics_fatal(m[0]);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 503);
    free(r.body);
    r = get(port, "/readyz");
    assert_int_equal(r.status, 503);
    free(r.body);

    sl_http_stop(srv);
    sl_http_stop(NULL);
    assert_int_equal(open_fds(), fds_before);
    rd_kafka_topic_partition_list_destroy(p0);
    rd_kafka_topic_partition_list_destroy(p1);
    sl_worker_metrics_destroy(m[0]);
    sl_worker_metrics_destroy(m[1]);
    sl_topology_destroy(topo);
    curl_global_cleanup();
}

/* /healthz: a batch that waits too long to commit, or brokers out of
 * reach for too long, make the process unhealthy; a restore does not.
 * ksqlDB's /healthcheck and /info answer too. */
static void test_health_rules(void **state)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sl_error err = {0};
    sl_worker_metrics *m[1] = {sl_worker_metrics_new(0)};
    sl_http_info info = {.application_id = "app", .instance_id = "i", .workers = m, .nworkers = 1, .stall_ms = 200};
    sl_http_listener l;
    assert_int_equal(sl_http_parse_listener("http://127.0.0.1:0", &l, &err), SL_OK);
    sl_http_server *srv = sl_http_start(&l, &info, &err);
    assert_non_null(srv);
    int port = sl_http_port(srv);
    rd_kafka_topic_partition_list_t *p = parts_of("in_t", 1);
    sl_worker_metrics_assigned(m[0], p);
    sl_worker_metrics_restored(m[0]);

    /* records wait in an open batch: fine at first, unhealthy after 200 ms */
    sl_worker_metrics_batch_begin(m[0]);
    reply r = get(port, "/healthz");
    assert_int_equal(r.status, 200);
    free(r.body);
    usleep(300000);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "without a commit"));
    free(r.body);
    r = get(port, "/healthcheck");
    assert_int_equal(r.status, 503);
    json_t *j = json_loads(r.body, 0, NULL);
    assert_true(json_is_false(json_object_get(j, "isHealthy")));
    json_decref(j);
    free(r.body);
    /* aborts do not reset the clock; a commit does */
    sl_driver_stats st = {.records_in = 1, .batches = 0};
    sl_worker_metrics_aborted(m[0], &st);
    sl_worker_metrics_batch_begin(m[0]);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 503);
    free(r.body);
    st.batches = 1;
    sl_worker_metrics_committed(m[0], &st, NULL, 0, NULL, NULL);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 200);
    free(r.body);

    /* a restore in progress is not a stall, and its end restarts the clock */
    sl_worker_metrics_batch_begin(m[0]);
    sl_worker_metrics_restore_begin(m[0]);
    usleep(300000);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 200);
    free(r.body);
    sl_worker_metrics_restore_end(m[0], 10);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 200);
    free(r.body);
    sl_worker_metrics_committed(m[0], &st, NULL, 0, NULL, NULL);

    /* no broker reachable for longer than the limit */
    sl_worker_metrics_brokers(m[0], false);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 200);
    free(r.body);
    usleep(300000);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "no broker"));
    free(r.body);
    sl_worker_metrics_brokers(m[0], true);
    r = get(port, "/healthz");
    assert_int_equal(r.status, 200);
    free(r.body);

    r = get(port, "/healthcheck");
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    assert_true(json_is_true(json_object_get(j, "isHealthy")));
    assert_true(json_is_true(json_object_get(json_object_get(json_object_get(j, "details"), "kafka"), "isHealthy")));
    json_decref(j);
    free(r.body);
    r = get(port, "/info");
    assert_int_equal(r.status, 200);
    j = json_loads(r.body, 0, NULL);
    json_t *si = json_object_get(j, "KsqlServerInfo");
    assert_string_equal(json_string_value(json_object_get(si, "ksqlServiceId")), "app");
    assert_string_equal(json_string_value(json_object_get(si, "serverStatus")), "RUNNING");
    json_decref(j);
    free(r.body);

    sl_http_stop(srv);
    rd_kafka_topic_partition_list_destroy(p);
    sl_worker_metrics_destroy(m[0]);
    curl_global_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_metrics_are_no_ops),
        cmocka_unit_test(test_committed_work_counted_once),
        cmocka_unit_test(test_commit_latency_measured_from_first_record),
        cmocka_unit_test(test_stream_time_per_task_partition),
        cmocka_unit_test(test_late_records_from_tasks),
        cmocka_unit_test(test_readiness_follows_assignment_and_restore),
        cmocka_unit_test(test_reader_while_worker_commits),
        cmocka_unit_test(test_topic_counts_and_history),
        cmocka_unit_test(test_recent_errors_ring),
        cmocka_unit_test(test_store_sizes),
        cmocka_unit_test(test_statements_for_queries),
        cmocka_unit_test(test_process_stats),
        cmocka_unit_test(test_listener_parsing),
        cmocka_unit_test(test_server_pages),
        cmocka_unit_test(test_health_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
