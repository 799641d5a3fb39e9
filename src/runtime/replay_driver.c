/* The replay driver: `sluice test --bootstrap`. The same test files, run
 * through a real cluster by the code `sluice run` uses: the Kafka driver in a
 * thread with batch.max.records=1 (exactly_once_v2, so one transaction per
 * input record), its state in changelogs, chained queries through topics.
 * Records are produced one at a time, each only once the driver has
 * committed everything the previous one caused, so the order in which
 * records meet is the order of the test file, as in the memory driver.
 *
 * Table updates are not coalesced (no record cache), as in ksqlDB's
 * runner: one input record's tombstone and new value of a session that
 * keeps its window both leave.
 *
 * Every topic gets a prefix of its own, so that cases share a cluster
 * without seeing each other's records. Kafka clients cannot write a record
 * time of 0 (librdkafka reads 0 as "now"), so when a test has times <= 0 all
 * times are shifted by a whole number of weeks on the way in and back on
 * the way out; windows aligned to the epoch move with them as long as their
 * size divides a week. */
#define _GNU_SOURCE /* nftw, usleep */
#include "runtime/replay_driver.h"

#include <ftw.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "config/config.h"
#include "runtime/changelog.h"
#include "runtime/kafka_driver.h"
#include "runtime/topics.h"
#include "runtime/memory_driver.h"
#include "runtime/kafka_errors.h"

#define WEEKS_SHIFT_MS (100LL * 7 * 24 * 3600 * 1000)

typedef struct replay {
    sl_driver_options opts;
    int rc;
} replay;

static void *run_driver(void *arg)
{
    replay *r = arg;
    r->rc = sl_kafka_run(&r->opts);
    return NULL;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client configuration with pairs (name, value, ..., NULL) set; NULL
 * with err filled when librdkafka refuses one. */
static rd_kafka_conf_t *client_conf(sl_error *err, ...)
{
    rd_kafka_conf_t *conf = sl_kafka_conf_new();
    char errstr[512];
    va_list ap;
    va_start(ap, err);
    for (const char *name; (name = va_arg(ap, const char *));) {
        const char *value = va_arg(ap, const char *);
        if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            sl_error_set(err, SL_ERR_RUNTIME, "%s=%s: %s", name, value, errstr);
            rd_kafka_conf_destroy(conf);
            conf = NULL;
            break;
        }
    }
    va_end(ap);
    return conf;
}

/* the topics the queries read and nobody writes: the test's inputs */
static bool create_inputs(const sl_topology *t, const char *bootstrap, sl_error *err)
{
    char errstr[512];
    rd_kafka_conf_t *conf = client_conf(err, "bootstrap.servers", bootstrap, NULL);
    if (!conf)
        return false;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        sl_error_set(err, SL_ERR_RUNTIME, "cannot create a Kafka client: %s", errstr);
        return false;
    }
    /* as many as the statements declare: no fixed limit */
    int ntopics = sl_topology_topic_count(t);
    rd_kafka_NewTopic_t **nt = calloc((size_t)ntopics + 1, sizeof *nt);
    const char **names = calloc((size_t)ntopics + 1, sizeof *names);
    int n = 0;
    for (int i = 0; i < ntopics && nt && names; i++) {
        const sl_topic_info *ti = sl_topology_topic(t, i);
        if (!ti->is_source || ti->is_sink)
            continue;
        nt[n] = rd_kafka_NewTopic_new(ti->name, ti->partitions > 0 ? ti->partitions : 1, -1, errstr, sizeof errstr);
        if (nt[n]) {
            /* test records carry times from 1970: keep them */
            rd_kafka_NewTopic_set_config(nt[n], "retention.ms", "-1");
            names[n++] = ti->name;
        }
    }
    bool ok = true;
    if (n) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_CreateTopics(rk, nt, (size_t)n, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
        const rd_kafka_CreateTopics_result_t *res = ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
        size_t cnt = 0;
        const rd_kafka_topic_result_t **tr = res ? rd_kafka_CreateTopics_result_topics(res, &cnt) : NULL;
        if (!res) {
            sl_error_set(err, SL_ERR_RUNTIME, "creating the input topics timed out");
            ok = false;
        }
        for (size_t i = 0; i < cnt && ok; i++)
            if (rd_kafka_topic_result_error(tr[i]) &&
                rd_kafka_topic_result_error(tr[i]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                sl_error_set(err, SL_ERR_RUNTIME, "cannot create topic %s: %s", rd_kafka_topic_result_name(tr[i]),
                             rd_kafka_topic_result_error_string(tr[i]));
                ok = false;
            }
        if (ev)
            rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
    }
    /* the driver checks the topics in metadata at once: wait until the new
     * ones show there (a busy broker, creating hundreds of partitions for
     * another application, took more than 15 s), and say so if they never do */
    bool shown = !ok || !n;
    for (int64_t deadline = now_ms() + 120000; !shown && now_ms() < deadline; usleep(50000)) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(rk, 1, NULL, &md, 5000))
            continue;
        int seen = 0;
        for (int i = 0; i < n; i++)
            for (int m = 0; m < md->topic_cnt; m++)
                if (!strcmp(md->topics[m].topic, names[i]) && !md->topics[m].err &&
                    md->topics[m].partition_cnt > 0)
                    seen++;
        rd_kafka_metadata_destroy(md);
        shown = seen == n;
    }
    if (!shown) {
        sl_error_set(err, SL_ERR_RUNTIME, "the %d input topic(s) created did not show in the broker's metadata "
                                          "within 120 s", n);
        ok = false;
    }
    for (int i = 0; i < n; i++)
        rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
    free(names);
    rd_kafka_destroy(rk);
    return ok;
}

static bool produce_one(rd_kafka_t *p, const sl_record *rec, int64_t shift, sl_error *err)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(rec->nheaders ? rec->nheaders : 1);
    for (size_t h = 0; h < rec->nheaders; h++)
        rd_kafka_header_add(hdrs, rec->headers[h].key, -1, rec->headers[h].value, (ssize_t)rec->headers[h].value_len);
    rd_kafka_resp_err_t e = rd_kafka_producev(
        p, RD_KAFKA_V_TOPIC(rec->topic), RD_KAFKA_V_KEY((void *)rec->key, rec->key ? rec->key_len : 0),
        RD_KAFKA_V_VALUE((void *)rec->value, rec->value ? rec->value_len : 0),
        RD_KAFKA_V_TIMESTAMP(rec->timestamp + shift), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    if (e) {
        rd_kafka_headers_destroy(hdrs);
        sl_error_set(err, SL_ERR_RUNTIME, "cannot produce to %s: %s", rec->topic, rd_kafka_err2str(e));
        return false;
    }
    if (rd_kafka_flush(p, 30000)) {
        sl_error_set(err, SL_ERR_RUNTIME, "producing to %s timed out", rec->topic);
        return false;
    }
    return true;
}

/* until the driver has committed `produced` external records and every
 * record its queries fed back to themselves */
static bool wait_caught_up(const sl_driver_progress *pr, int64_t produced, const replay *r, sl_error *err)
{
    int64_t deadline = now_ms() + 60000;
    for (;;) {
        int64_t in = pr->committed_in; /* read before chained: see kafka_driver.c */
        int64_t chained = pr->committed_chained;
        if (in == produced + chained)
            return true;
        if (now_ms() > deadline || r->rc) {
            sl_error_set(err, SL_ERR_RUNTIME, "the driver did not catch up (%lld of %lld records committed)",
                         (long long)in, (long long)(produced + chained));
            return false;
        }
        usleep(5000);
    }
}

/* The run's topics (inputs, sinks, changelogs, repartition topics, the
 * processing log: all named with its prefix) are deleted when it ends, so
 * that thousands of runs do not fill a shared cluster. Best effort: a
 * failure is logged, never the test's. */
static void delete_topics(const char *bootstrap, const char *prefix)
{
    sl_error err = {0};
    rd_kafka_conf_t *conf = client_conf(&err, "bootstrap.servers", bootstrap, NULL);
    char errstr[512];
    rd_kafka_t *rk = conf ? rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr) : NULL;
    if (!rk)
        return;
    const struct rd_kafka_metadata *md = NULL;
    if (!rd_kafka_metadata(rk, 1, NULL, &md, 10000)) {
        size_t plen = strlen(prefix), n = 0;
        rd_kafka_DeleteTopic_t **dt = calloc((size_t)md->topic_cnt + 1, sizeof *dt);
        for (int i = 0; dt && i < md->topic_cnt; i++)
            if (!strncmp(md->topics[i].topic, prefix, plen))
                dt[n++] = rd_kafka_DeleteTopic_new(md->topics[i].topic);
        if (n) {
            rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
            rd_kafka_DeleteTopics(rk, dt, n, NULL, q);
            rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
            if (!ev || rd_kafka_event_error(ev))
                sl_warn("replay", "could not delete the run's topics (%s*)", prefix);
            if (ev)
                rd_kafka_event_destroy(ev);
            rd_kafka_queue_destroy(q);
        }
        for (size_t i = 0; i < n; i++)
            rd_kafka_DeleteTopic_destroy(dt[i]);
        free(dt);
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_destroy(rk);
}

/* Every committed record of the given topics (all their partitions), each
 * handed to fn; false with err filled when reading timed out. */
typedef void (*read_fn)(void *ctx, const rd_kafka_message_t *m);

static bool read_committed(const char *bootstrap, const char *prefix, const char *what, const char *const *topics,
                           int ntopics, read_fn fn, void *ctx, sl_error *err)
{
    char errstr[512], group[256];
    snprintf(group, sizeof group, "%sverify", prefix);
    rd_kafka_conf_t *conf =
        client_conf(err, "bootstrap.servers", bootstrap, "group.id", group, "isolation.level", "read_committed",
                    "enable.partition.eof", "true", "enable.auto.commit", "false", "fetch.wait.max.ms", "10", NULL);
    if (!conf)
        return false;
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!c) {
        sl_error_set(err, SL_ERR_RUNTIME, "cannot create a Kafka consumer: %s", errstr);
        return false;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(8);
    const struct rd_kafka_metadata *md = NULL;
    if (!rd_kafka_metadata(c, 1, NULL, &md, 30000)) {
        for (int i = 0; i < ntopics; i++)
            for (int m = 0; m < md->topic_cnt; m++)
                if (!strcmp(md->topics[m].topic, topics[i]))
                    for (int p = 0; p < md->topics[m].partition_cnt; p++)
                        rd_kafka_topic_partition_list_add(parts, topics[i], p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_metadata_destroy(md);
    }
    /* a committed transaction's markers reach the partitions after
     * commit_transaction returns: until they do, the last stable offset is
     * short of the high watermark and a read_committed reader stops before
     * the last outputs. Wait until the two meet on every partition. (The
     * second client must read uncommitted: librdkafka's default is
     * read_committed, whose "high watermark" is the last stable offset
     * again, and the wait then ended at once.) */
    rd_kafka_conf_t *uconf = client_conf(err, "bootstrap.servers", bootstrap, "group.id", group, "isolation.level",
                                         "read_uncommitted", NULL);
    rd_kafka_t *u = uconf ? rd_kafka_new(RD_KAFKA_CONSUMER, uconf, errstr, sizeof errstr) : NULL;
    for (int64_t settle = now_ms() + 15000; u && now_ms() < settle; usleep(20000)) {
        bool settled = true;
        for (int i = 0; i < parts->cnt && settled; i++) {
            int64_t lo, lso = -1, hw = -2;
            rd_kafka_query_watermark_offsets(c, parts->elems[i].topic, parts->elems[i].partition, &lo, &lso, 5000);
            rd_kafka_query_watermark_offsets(u, parts->elems[i].topic, parts->elems[i].partition, &lo, &hw, 5000);
            settled = lso == hw;
        }
        if (settled)
            break;
    }
    if (u)
        rd_kafka_destroy(u);
    int eofs = 0, want = parts->cnt;
    rd_kafka_assign(c, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    int64_t deadline = now_ms() + 30000;
    while (eofs < want && now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            eofs++;
        else if (!m->err)
            fn(ctx, m);
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    if (eofs < want) {
        sl_error_set(err, SL_ERR_RUNTIME, "reading the %s topics timed out", what);
        return false;
    }
    return true;
}

typedef struct output_reader {
    sl_test_case *tc;
    const char *prefix;
    int64_t shift;
    json_t *out;
} output_reader;

static void read_output(void *ctx, const rd_kafka_message_t *m)
{
    output_reader *r = ctx;
    sl_record rec = {.topic = rd_kafka_topic_name(m->rkt), .partition = m->partition, .offset = m->offset,
                     .timestamp = rd_kafka_message_timestamp(m, NULL) - r->shift, .key = m->key,
                     .key_len = m->key_len, .value = m->payload, .value_len = m->len};
    json_t *o = sl_test_case_output(r->tc, &rec);
    const char *topic = json_string_value(json_object_get(o, "topic"));
    size_t plen = strlen(r->prefix);
    if (topic && !strncmp(topic, r->prefix, plen))
        json_object_set_new(o, "topic", json_string(topic + plen));
    json_t *w = json_object_get(o, "window");
    if (w && r->shift) {
        json_object_set_new(w, "start", json_integer(json_integer_value(json_object_get(w, "start")) - r->shift));
        json_object_set_new(w, "end", json_integer(json_integer_value(json_object_get(w, "end")) - r->shift));
    }
    json_array_append_new(r->out, o);
}

/* every committed record of the sink topics, as test JSON, times unshifted */
static json_t *read_outputs(sl_test_case *tc, const char *bootstrap, const char *prefix, int64_t shift,
                            sl_error *err)
{
    const sl_topology *t = sl_test_case_topology(tc);
    const char **topics = calloc((size_t)sl_topology_topic_count(t) + 1, sizeof *topics);
    int n = 0;
    for (int i = 0; i < sl_topology_topic_count(t); i++) {
        const sl_topic_info *ti = sl_topology_topic(t, i);
        /* the statements' sinks: a repartition topic is written and
         * read back by the queries, not an output of the case */
        if (ti->is_sink && !ti->is_internal && !sl_topology_is_repartition_topic(t, ti->name))
            topics[n++] = ti->name;
    }
    output_reader r = {.tc = tc, .prefix = prefix, .shift = shift, .out = json_array()};
    bool ok = read_committed(bootstrap, prefix, "output", topics, n, read_output, &r, err);
    free(topics);
    if (!ok) {
        json_decref(r.out);
        return NULL;
    }
    return r.out;
}

/* ---------- --changelog: what the batches wrote to the changelogs ---------- */

typedef struct changelog_reader {
    const char *app;
    char **topics, **stores;
    int n, cap;
    json_t *out;
} changelog_reader;

static void add_store(void *ctx, const char *store)
{
    changelog_reader *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 8;
        r->topics = realloc(r->topics, (size_t)r->cap * sizeof *r->topics);
        r->stores = realloc(r->stores, (size_t)r->cap * sizeof *r->stores);
    }
    char topic[640];
    sl_changelog_topic(r->app, store, topic, sizeof topic);
    r->topics[r->n] = strdup(topic);
    r->stores[r->n++] = strdup(store);
}

static void read_change(void *ctx, const rd_kafka_message_t *m)
{
    changelog_reader *r = ctx;
    const char *topic = rd_kafka_topic_name(m->rkt);
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->topics[i], topic)) {
            json_array_append_new(r->out, sl_test_case_change(r->stores[i], m->key, m->key_len, m->payload,
                                                              m->len));
            return;
        }
}

/* every committed changelog record of the run's stores, store by store,
 * in order within each partition */
static json_t *read_changelogs(sl_test_case *tc, const char *bootstrap, const char *prefix, const char *app,
                               sl_error *err)
{
    changelog_reader r = {.app = app, .out = json_array()};
    sl_changelog_store_names(sl_test_case_topology(tc), add_store, &r);
    bool ok = read_committed(bootstrap, prefix, "changelog", (const char *const *)r.topics, r.n, read_change, &r, err);
    for (int i = 0; i < r.n; i++) {
        free(r.topics[i]);
        free(r.stores[i]);
    }
    free(r.topics);
    free(r.stores);
    if (!ok) {
        json_decref(r.out);
        return NULL;
    }
    return r.out;
}

int sl_replay_run(const char *sql, const char *file, json_t *input, json_t *expected, const char *bootstrap,
                  json_t **outputs, json_t **changelog, sl_error *err)
{
    char prefix[128];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(prefix, sizeof prefix, "sluice-test-%d-%lld-", (int)getpid(),
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    sl_test_case *tc = NULL;
    int rc = sl_test_case_open(sql, file, input, prefix, &tc, err);
    if (rc)
        return rc;
    json_t *inputs = json_object_get(input, "inputs");
    int64_t shift = 0;
    for (size_t i = 0; i < json_array_size(inputs); i++) {
        json_t *ts = json_object_get(json_array_get(inputs, i), "timestamp");
        if (!json_is_number(ts) || json_number_value(ts) <= 0)
            shift = WEEKS_SHIFT_MS;
    }
    char state_dir[] = "/tmp/sluice-test-state-XXXXXX";
    if (!mkdtemp(state_dir)) {
        sl_test_case_close(tc);
        sl_error_set(err, SL_ERR_RUNTIME, "cannot create a state directory");
        return 3;
    }
    sl_strbuf conf;
    sl_strbuf_init(&conf);
    sl_strbuf_printf(&conf,
                     "application.id=%sapp\nbootstrap.servers=%s\nbatch.max.records=1\ncommit.interval.ms=20\n"
                     "state.dir=%s\ntransaction.timeout.ms=10000\nkafka.consumer.session.timeout.ms=6000\n"
                     "kafka.consumer.heartbeat.interval.ms=1000\n",
                     prefix, bootstrap, state_dir);
    sl_config *cfg = sl_config_parse(conf.data, "replay", err);
    sl_strbuf_free(&conf);
    volatile sig_atomic_t stop = 0;
    sl_driver_progress progress = {0};
    replay r = {.opts = {.config = cfg, .topology = sl_test_case_topology(tc), .exactly_once = true,
                         .no_record_cache = true, .stop = &stop, .instance_id = "replay", .progress = &progress}};
    rc = 3;
    pthread_t th;
    bool started = false;
    rd_kafka_t *producer = NULL;
    if (!cfg || !create_inputs(r.opts.topology, bootstrap, err))
        goto out;
    if (sl_kafka_prepare_topics(&r.opts)) {
        sl_error_set(err, SL_ERR_RUNTIME, "cannot prepare the topics (see the log)");
        goto out;
    }
    pthread_create(&th, NULL, run_driver, &r);
    started = true;
    char errstr[512];
    rd_kafka_conf_t *pc = client_conf(err, "bootstrap.servers", bootstrap, "enable.idempotence", "true",
                                      "partitioner", "murmur2_random", "linger.ms", "0", NULL);
    if (!pc)
        goto out;
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, errstr, sizeof errstr);
    if (!producer) {
        sl_error_set(err, SL_ERR_RUNTIME, "cannot create a producer: %s", errstr);
        goto out;
    }
    int64_t produced = 0;
    for (size_t i = 0; i < json_array_size(inputs); i++) {
        sl_record rec;
        int erc = sl_test_case_encode(tc, json_array_get(inputs, i), &rec, err);
        if (erc == 1)
            continue;
        if (erc || !produce_one(producer, &rec, shift, err))
            goto out;
        produced++;
        if (!wait_caught_up(&progress, produced, &r, err))
            goto out;
    }
    stop = 1;
    pthread_join(th, NULL);
    started = false;
    if (r.rc) {
        sl_error_set(err, SL_ERR_RUNTIME, "the Kafka driver failed (see the log)");
        goto out;
    }
    json_t *actual = read_outputs(tc, bootstrap, prefix, shift, err);
    if (!actual)
        goto out;
    if (changelog) {
        char app[160];
        snprintf(app, sizeof app, "%sapp", prefix);
        *changelog = read_changelogs(tc, bootstrap, prefix, app, err);
        if (!*changelog) {
            json_decref(actual);
            goto out;
        }
    }
    if (expected) {
        /* the expected records name topics without the prefix */
        for (size_t i = 0; i < json_array_size(expected); i++) {
            json_t *e = json_array_get(expected, i);
            char t[1024];
            snprintf(t, sizeof t, "%s%s", prefix, json_string_value(json_object_get(e, "topic")));
            json_object_set_new(e, "topic", json_string(t));
        }
        sl_test_case_canonicalize(tc, expected);
        size_t plen = strlen(prefix);
        for (size_t i = 0; i < json_array_size(expected); i++) {
            json_t *e = json_array_get(expected, i);
            json_object_set_new(e, "topic", json_string(json_string_value(json_object_get(e, "topic")) + plen));
        }
    }
    *outputs = actual;
    rc = 0;
out:
    if (started) {
        stop = 1;
        pthread_join(th, NULL);
    }
    if (producer)
        rd_kafka_destroy(producer);
    if (cfg)
        sl_config_destroy(cfg);
    delete_topics(bootstrap, prefix);
    nftw(state_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    sl_test_case_close(tc);
    return rc;
}
