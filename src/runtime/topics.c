/* Topics a topology needs, checked and created before the driver starts:
 * a missing source topic is created when its statement declares PARTITIONS
 * (and REPLICAS), as ksqlDB does, and is an error naming the statement
 * otherwise; sinks, repartition topics, compacted changelogs (one
 * partition per task) and the processing log are created; existing
 * changelogs must have the partition count and cleanup policy the state
 * needs, and key joins need equal partition counts on both sides. Each
 * misfit is an error naming the topic. Lists grow with the topology: a
 * file of many queries needs many topics. */
#include "runtime/topics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "common/log.h"
#include "runtime/changelog.h"
#include "runtime/kafka_errors.h"
#include "runtime/kafka_startup.h"

void sl_processing_log_topic(const sl_config *config, char *out, size_t n)
{
    const char *app = sl_config_string(config, "application.id");
    snprintf(out, n, "%s_processing_log", app && *app ? app : "sluice");
}

static const char *bootstrap(const sl_driver_options *o)
{
    return o->bootstrap ? o->bootstrap : sl_config_string(o->config, "bootstrap.servers");
}



/* partitions a topic has, or will have once the sinks are created: a chained
 * query's join input may not exist yet */
static int planned_partitions(const sl_topology *t, const struct rd_kafka_metadata *md, const char *topic,
                              int source_partitions)
{
    if (!topic)
        return -1;
    for (int m = 0; m < md->topic_cnt; m++)
        if (!strcmp(md->topics[m].topic, topic))
            return md->topics[m].partition_cnt;
    for (int i = 0; i < sl_topology_topic_count(t); i++) {
        const sl_topic_info *ti = sl_topology_topic(t, i);
        if (ti->is_sink && !strcmp(ti->name, topic))
            return ti->partitions ? ti->partitions : source_partitions ? source_partitions : 1;
    }
    return -1;
}

/* topics to create, each with the line that says so once they are */
typedef struct new_topics {
    rd_kafka_NewTopic_t **items;
    char **what;
    int n, cap;
} new_topics;

static void new_topics_add(new_topics *l, rd_kafka_NewTopic_t *nt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void new_topics_add(new_topics *l, rd_kafka_NewTopic_t *nt, const char *fmt, ...)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->items = realloc(l->items, (size_t)l->cap * sizeof *l->items);
        l->what = realloc(l->what, (size_t)l->cap * sizeof *l->what);
        if (!l->items || !l->what) {
            fprintf(stderr, "sluice: out of memory\n");
            abort();
        }
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    l->what[l->n] = strdup(buf);
    l->items[l->n++] = nt;
}

typedef struct changelog_check {
    char **existing; /* changelogs already there: their configs are checked */
    int nexisting;
    const char *app;
    const struct rd_kafka_metadata *md;
    int partitions;
    new_topics *create;
    bool failed;
} changelog_check;

static void check_changelog(void *ctx, const char *store)
{
    changelog_check *c = ctx;
    char topic[640], errstr[512];
    sl_changelog_topic(c->app, store, topic, sizeof topic);
    for (int m = 0; m < c->md->topic_cnt; m++)
        if (!strcmp(c->md->topics[m].topic, topic)) {
            if (c->md->topics[m].partition_cnt != c->partitions) {
                sl_log_error("admin", "changelog topic '%s' has %d partition(s) but the topology needs %d (one per "
                                      "input partition): delete it or reset the application",
                             topic, c->md->topics[m].partition_cnt, c->partitions);
                c->failed = true;
            }
            c->existing = realloc(c->existing, (size_t)(c->nexisting + 1) * sizeof *c->existing);
            c->existing[c->nexisting++] = strdup(topic);
            return;
        }
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, c->partitions, -1, errstr, sizeof errstr);
    if (!nt) {
        sl_log_error("admin", "changelog topic '%s': %s", topic, errstr);
        c->failed = true;
        return;
    }
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    new_topics_add(c->create, nt, "changelog topic %s with %d partition(s)", topic, c->partitions);
}

/* A changelog that deletes old records loses state: an existing one must be
 * compacted (as Sluice creates them). */
static bool changelogs_compacted(rd_kafka_t *rk, char **names, int n)
{
    if (!n)
        return true;
    rd_kafka_ConfigResource_t **res = calloc((size_t)n, sizeof *res);
    for (int i = 0; i < n; i++)
        res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, names[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DescribeConfigs(rk, res, (size_t)n, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    const rd_kafka_DescribeConfigs_result_t *r = ev ? rd_kafka_event_DescribeConfigs_result(ev) : NULL;
    bool ok = true;
    size_t cnt = 0;
    const rd_kafka_ConfigResource_t **out = r ? rd_kafka_DescribeConfigs_result_resources(r, &cnt) : NULL;
    if (!r)
        sl_warn("admin", "could not read the changelog topics' configs: not checked");
    for (size_t i = 0; i < cnt; i++) {
        size_t nc = 0;
        const rd_kafka_ConfigEntry_t **cfg = rd_kafka_ConfigResource_configs(out[i], &nc);
        for (size_t c = 0; c < nc; c++)
            if (!strcmp(rd_kafka_ConfigEntry_name(cfg[c]), "cleanup.policy")) {
                const char *v = rd_kafka_ConfigEntry_value(cfg[c]);
                if (!v || !strstr(v, "compact")) {
                    sl_log_error("admin", "changelog topic '%s' has cleanup.policy=%s: it must be compacted "
                                          "(kafka-configs --alter --add-config cleanup.policy=compact)",
                                 rd_kafka_ConfigResource_name(out[i]), v ? v : "(none)");
                    ok = false;
                }
            }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    for (int i = 0; i < n; i++)
        rd_kafka_ConfigResource_destroy(res[i]);
    free(res);
    return ok;
}

/* A consumer that subscribes to a topic its metadata does not show yet
 * waits for the next metadata refresh (five minutes by default): new
 * topics must be visible, with leaders, before the driver subscribes. */
static void wait_visible(rd_kafka_t *rk, const char *const *names, int n)
{
    for (int attempt = 0; attempt < 300; attempt++) {
        const struct rd_kafka_metadata *md = NULL;
        if (!rd_kafka_metadata(rk, 1, NULL, &md, 5000)) {
            int ready = 0;
            for (int i = 0; i < n; i++)
                for (int m = 0; m < md->topic_cnt; m++)
                    if (!strcmp(md->topics[m].topic, names[i]) && !md->topics[m].err &&
                        md->topics[m].partition_cnt > 0 && md->topics[m].partitions[0].leader >= 0)
                        ready++;
            rd_kafka_metadata_destroy(md);
            if (ready == n)
                return;
        }
        usleep(100000);
    }
    sl_warn("admin", "new topics are not all visible after 30 s; subscribing anyway");
}

int sl_kafka_prepare_topics(const sl_driver_options *o)
{
    char errstr[512];
    rd_kafka_conf_t *conf = sl_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap(o), errstr, sizeof errstr)) {
        rd_kafka_conf_destroy(conf);
        sl_log_error("admin", "%s", errstr);
        return 1;
    }
    const char *k, *v;
    for (int i = 0; sl_config_kafka_for(o->config, SL_KAFKA_ADMIN, i, &k, &v); i++)
        if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            sl_log_error("admin", "configuration kafka.%s: %s", k, errstr);
            return 1;
        }
    sl_kafka_startup startup;
    sl_kafka_startup_watch(conf, &startup); /* the first client to reach Kafka says why it cannot */
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        sl_log_error("admin", "cannot create client: %s", errstr);
        return 1;
    }
    int rc = 0;
    const struct rd_kafka_metadata *md = NULL;
    rc = sl_kafka_startup_wait(rk, &startup, sl_config_int(o->config, "startup.timeout.ms"), bootstrap(o), &md);
    if (rc) {
        rd_kafka_destroy(rk);
        return rc;
    }
    const sl_topology *t = o->topology;
    int source_partitions = 0;
    new_topics create = {0};
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < sl_topology_topic_count(t); i++) {
            const sl_topic_info *ti = sl_topology_topic(t, i);
            int found = -1;
            for (int m = 0; m < md->topic_cnt; m++)
                if (!strcmp(md->topics[m].topic, ti->name))
                    found = m;
            if (pass == 0 && ti->is_source && !ti->is_sink) {
                const char *by = ti->declared_by ? ti->declared_by : "?";
                if (found < 0 && ti->partitions > 0) {
                    /* ksqlDB creates a declared source's topic from PARTITIONS */
                    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(ti->name, ti->partitions,
                                                                    ti->replicas ? ti->replicas : -1, errstr,
                                                                    sizeof errstr);
                    if (!nt) {
                        sl_log_error("admin", "source topic '%s' of %s: %s", ti->name, by, errstr);
                        rc = 1;
                        continue;
                    }
                    new_topics_add(&create, nt, "source topic %s of %s with %d partition(s) (its PARTITIONS)",
                                   ti->name, by, ti->partitions);
                    if (ti->partitions > source_partitions)
                        source_partitions = ti->partitions;
                } else if (found < 0) {
                    sl_log_error("admin", "source topic '%s' of %s does not exist: create it, or declare PARTITIONS "
                                          "(and REPLICAS) in the WITH clause of %s to have it created",
                                 ti->name, by, by);
                    rc = 1;
                } else {
                    int have = md->topics[found].partition_cnt;
                    if (ti->partitions > 0 && have != ti->partitions) {
                        sl_log_error("admin", "source topic '%s' has %d partition(s), but %s declares PARTITIONS=%d",
                                     ti->name, have, by, ti->partitions);
                        rc = 1;
                    }
                    if (have > source_partitions)
                        source_partitions = have;
                }
            }
            if (pass == 1 && ti->is_sink && found < 0) {
                int parts = ti->partitions ? ti->partitions : source_partitions ? source_partitions : 1;
                rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(ti->name, parts, ti->replicas ? ti->replicas : -1,
                                                                errstr, sizeof errstr);
                if (!nt) {
                    sl_log_error("admin", "sink topic '%s': %s", ti->name, errstr);
                    rc = 1;
                    continue;
                }
                new_topics_add(&create, nt, "%s topic %s with %d partition(s)",
                               sl_topology_is_repartition_topic(t, ti->name) ? "repartition" : "sink", ti->name, parts);
            }
        }
    /* joins on keys read both topics' partition p in one task: the counts
     * must match, as ksqlDB requires */
    for (int i = 0; i < sl_topology_copartition_count(t); i++) {
        const char *lt, *rt;
        sl_topology_copartition(t, i, &lt, &rt);
        int lp = planned_partitions(t, md, lt, source_partitions),
            rp = planned_partitions(t, md, rt, source_partitions);
        if (lp > 0 && rp > 0 && lp != rp) {
            sl_log_error("admin", "Can't join topic '%s' with '%s' since the number of partitions don't match (%d and %d): "
                                  "repartition either one so that the number of partitions match", lt, rt, lp, rp);
            rc = 1;
        }
    }
    /* foreign-key joins match rows of any partition: one partition only, for now */
    for (int i = 0; sl_topology_fk_join_topic(t, i); i++) {
        const char *ft = sl_topology_fk_join_topic(t, i);
        for (int m = 0; m < md->topic_cnt; m++)
            if (!strcmp(md->topics[m].topic, ft) && md->topics[m].partition_cnt > 1) {
                sl_log_error("admin", "topic '%s' has %d partitions: foreign-key joins across more than one "
                                      "partition are not supported yet", ft, md->topics[m].partition_cnt);
                rc = 1;
            }
    }
    /* a compacted changelog per store, one partition per task: as many as
     * the topic with the most partitions that any query reads, chained
     * topics (written here, read here) and repartition topics included */
    int tasks = source_partitions ? source_partitions : 1;
    for (int i = 0; i < sl_topology_topic_count(t); i++) {
        const sl_topic_info *ti = sl_topology_topic(t, i);
        if (!ti->is_source)
            continue;
        int parts = ti->partitions;
        for (int m = 0; m < md->topic_cnt; m++)
            if (!strcmp(md->topics[m].topic, ti->name))
                parts = md->topics[m].partition_cnt;
        if (parts > tasks)
            tasks = parts;
    }
    changelog_check cc = {.app = sl_config_string(o->config, "application.id"), .md = md, .partitions = tasks,
                          .create = &create};
    sl_changelog_store_names(t, check_changelog, &cc);
    if (cc.failed || !changelogs_compacted(rk, cc.existing, cc.nexisting))
        rc = 1;
    for (int i = 0; i < cc.nexisting; i++)
        free(cc.existing[i]);
    free(cc.existing);
    /* the processing log */
    char plog[600];
    sl_processing_log_topic(o->config, plog, sizeof plog);
    bool have_plog = false;
    for (int m = 0; m < md->topic_cnt; m++)
        have_plog |= !strcmp(md->topics[m].topic, plog);
    if (!have_plog) {
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(plog, 1, -1, errstr, sizeof errstr);
        if (nt)
            new_topics_add(&create, nt, "processing log topic %s", plog);
    }
    rd_kafka_metadata_destroy(md);
    if (create.n && !rc) {
        for (int i = 0; i < create.n; i++)
            sl_info("admin", "creating %s", create.what[i]);
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_CreateTopics(rk, create.items, (size_t)create.n, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
        const rd_kafka_CreateTopics_result_t *res = ev ? rd_kafka_event_CreateTopics_result(ev) : NULL;
        size_t n = 0;
        const rd_kafka_topic_result_t **tr = res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
        const char **created = calloc(n + 1, sizeof *created);
        int ncreated = 0;
        for (size_t i = 0; i < n; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
            if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                sl_log_error("admin", "cannot create topic %s: %s", rd_kafka_topic_result_name(tr[i]),
                             rd_kafka_topic_result_error_string(tr[i]));
                rc = 1;
            } else {
                created[ncreated++] = rd_kafka_topic_result_name(tr[i]);
            }
        }
        if (!res) {
            sl_log_error("admin", "creating %d topic(s) gave no answer in 60 s", create.n);
            rc = 1;
        }
        if (!rc)
            wait_visible(rk, created, ncreated);
        free(created);
        if (ev)
            rd_kafka_event_destroy(ev);
        rd_kafka_queue_destroy(q);
    }
    for (int i = 0; i < create.n; i++) {
        rd_kafka_NewTopic_destroy(create.items[i]);
        free(create.what[i]);
    }
    free(create.items);
    free(create.what);
    rd_kafka_destroy(rk);
    return rc;
}
