/* sluice run -c FILE.properties [-q FILE.sql]: the service. Config and SQL
 * errors exit 2 with their place; a fatal Kafka error exits 1; SIGTERM or
 * SIGINT commits the batch in flight, leaves the group and exits 0. The
 * operations endpoint (`listeners`) serves each worker's metrics from the
 * moment the topics are ready until the workers have stopped. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/diag.h"
#include "cli/signals.h"
#include "common/log.h"
#include "config/config.h"
#include "http/http_server.h"
#include "ops/topology.h"
#include "runtime/instance.h"
#include "runtime/kafka_driver.h"
#include "runtime/metrics.h"
#include "runtime/topics.h"
#include "serde/registry.h"
#include "sql/plan.h"

static sl_log_level level_of(const char *s)
{
    if (!strcmp(s, "debug"))
        return SL_LOG_DEBUG;
    if (!strcmp(s, "warn"))
        return SL_LOG_WARN;
    if (!strcmp(s, "error"))
        return SL_LOG_ERROR;
    return SL_LOG_INFO;
}

#define MAX_THREADS 64

typedef struct worker_thread {
    sl_topology *topology;
    sl_driver_options opts;
    pthread_t thread;
    int rc;
} worker_thread;

/* A worker thread: its own consumer (a member of the group) and its own
 * transactional producer. One that fails stops the others, so the process
 * exits non-zero and its supervisor restarts it whole. */
static void *run_worker(void *arg)
{
    worker_thread *w = arg;
    w->rc = sl_kafka_run(&w->opts);
    if (w->rc)
        sl_stop_requested = 1;
    return NULL;
}

/* The schema registry of schema.registry.*, checked before the queries
 * compile (sinks register their schemas then): NULL without a URL, or with
 * *failed set and the reason printed. */
static sl_schema_registry *open_registry(const sl_config *cfg, const char *cpath, bool *failed)
{
    *failed = false;
    const char *url = sl_config_string(cfg, "schema.registry.url");
    if (!url || !*url)
        return NULL;
    bool from_url = !strcmp(sl_config_string(cfg, "schema.registry.basic.auth.credentials.source"), "URL");
    sl_registry_options o = {
        .url = url,
        .basic_auth_user_info = from_url ? NULL : sl_config_string(cfg, "schema.registry.basic.auth.user.info"),
        .ssl_ca_location = sl_config_string(cfg, "schema.registry.ssl.ca.location"),
        .ssl_certificate_location = sl_config_string(cfg, "schema.registry.ssl.certificate.location"),
        .ssl_key_location = sl_config_string(cfg, "schema.registry.ssl.key.location"),
        .ssl_key_password = sl_config_string(cfg, "schema.registry.ssl.key.password"),
        .ssl_endpoint_identification_algorithm =
            sl_config_string(cfg, "schema.registry.ssl.endpoint.identification.algorithm"),
    };
    sl_error err = {0};
    sl_schema_registry *reg = sl_registry_new_http_options(&o, &err);
    if (reg && sl_registry_ping(reg, &err)) {
        sl_registry_destroy(reg);
        reg = NULL;
    }
    if (!reg) {
        fprintf(stderr, "%s: error: %s\n", cpath, err.msg);
        *failed = true;
    }
    return reg;
}

static bool needs_registry(sl_format f)
{
    return f == SL_FORMAT_AVRO || f == SL_FORMAT_JSON_SR || f == SL_FORMAT_PROTOBUF;
}

/* Without a registry, a sink in a format that carries a schema id would
 * write id 0, which no consumer can resolve: refused, unless its statement
 * names the id (KEY_SCHEMA_ID / VALUE_SCHEMA_ID). */
static bool sinks_have_schema_ids(const sl_topology *topo, const char *queries)
{
    for (int i = 0; i < sl_topology_query_count(topo); i++) {
        const sl_source *sink = sl_topology_query(topo, i)->sink;
        if (!sink)
            continue;
        bool key = sink->nkey && needs_registry(sink->key_format) && !sink->key_schema_id;
        bool value = needs_registry(sink->value_format) && !sink->value_schema_id;
        if (key || value) {
            fprintf(stderr, "%s: error: %s writes %s %s records to '%s', which carry a schema registry id: set "
                            "schema.registry.url\n",
                    queries, sl_topology_query_id(topo, i), key ? "key" : "value",
                    sl_format_name(key ? sink->key_format : sink->value_format), sink->topic);
            return false;
        }
    }
    return true;
}

#define USAGE "usage: sluice run [-c sluice.properties] [-q queries.sql] [--set KEY=VALUE]... | --help-config\n"

/* -c FILE, then every --set in order: a later setting wins */
static sl_config *load_config(int argc, char **argv, const char **cpath, const char **qpath)
{
    sl_error err = {0};
    sl_config *cfg = sl_config_new();
    int nset = 0;
    for (int i = 1; i < argc; i++) {
        bool ok = true;
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            ok = sl_config_load_into(cfg, *cpath = argv[++i], &err);
        else if ((!strcmp(argv[i], "-q") || !strcmp(argv[i], "--queries")) && i + 1 < argc)
            *qpath = argv[++i];
        else if (!strcmp(argv[i], "--set") && i + 1 < argc)
            ok = sl_config_apply_line(cfg, argv[++i], "--set", ++nset, &err);
        else {
            fprintf(stderr, USAGE);
            sl_config_destroy(cfg);
            return NULL;
        }
        if (!ok) {
            sl_diag_print(stderr, &err, NULL);
            sl_config_destroy(cfg);
            return NULL;
        }
    }
    if (!*cpath && !nset) {
        fprintf(stderr, USAGE);
        sl_config_destroy(cfg);
        return NULL;
    }
    if (!sl_config_check(cfg, *cpath ? *cpath : "--set", &err)) {
        sl_diag_print(stderr, &err, NULL);
        sl_config_destroy(cfg);
        return NULL;
    }
    if (!*cpath)
        *cpath = "--set";
    return cfg;
}

int sl_cmd_run(int argc, char **argv)
{
    const char *cpath = NULL, *qpath = NULL;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help-config")) {
            sl_config_print_docs(stdout);
            return 0;
        }
    sl_config *cfg = load_config(argc, argv, &cpath, &qpath);
    if (!cfg)
        return 2;
    sl_error err = {0};
    sl_log_set_level(level_of(sl_config_string(cfg, "log.level")));
    /* checked before anything connects: a typo here is a config error */
    sl_http_listener listener;
    if (sl_http_parse_listener(sl_config_string(cfg, "listeners"), &listener, &err)) {
        fprintf(stderr, "%s: error: %s\n", cpath, err.msg);
        sl_config_destroy(cfg);
        return 2;
    }
    if (qpath)
        sl_config_set(cfg, "queries.file", qpath);
    const char *queries = sl_config_string(cfg, "queries.file");
    if (!queries || !*queries) {
        fprintf(stderr, "%s: error: no queries: set 'queries.file' or pass -q\n", cpath);
        sl_config_destroy(cfg);
        return 2;
    }
    char *sql = sl_read_file(queries, NULL);
    if (!sql) {
        perror(queries);
        sl_config_destroy(cfg);
        return 2;
    }
    /* internal topics (repartitioning) are named after the application */
    const char *app = sl_config_string(cfg, "application.id");
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s-", app && *app ? app : "sluice");
    bool registry_failed;
    sl_schema_registry *registry = open_registry(cfg, cpath, &registry_failed);
    if (registry_failed) {
        free(sql);
        sl_config_destroy(cfg);
        return 2;
    }
    sl_compile_options copts = {.internal_topic_prefix = prefix, .schema_registry = registry};
    sl_topology *topo = sl_topology_compile(sql, queries, &copts, &err);
    if (!topo) {
        sl_diag_print(stderr, &err, sql);
        sl_registry_destroy(registry);
        free(sql);
        sl_config_destroy(cfg);
        return 2;
    }
    if (!registry && !sinks_have_schema_ids(topo, queries)) {
        sl_topology_destroy(topo);
        free(sql);
        sl_config_destroy(cfg);
        return 2;
    }
    if (!sl_topology_query_count(topo)) {
        fprintf(stderr, "%s: error: no queries to run: the file has no CREATE STREAM|TABLE ... AS SELECT "
                        "or INSERT INTO ... SELECT\n", queries);
        sl_topology_destroy(topo);
        sl_registry_destroy(registry);
        free(sql);
        sl_config_destroy(cfg);
        return 2;
    }
    int nthreads = (int)sl_config_int(cfg, "num.stream.threads");
    if (nthreads < 1 || nthreads > MAX_THREADS) {
        fprintf(stderr, "%s: error: num.stream.threads must be between 1 and %d\n", cpath, MAX_THREADS);
        sl_topology_destroy(topo);
        sl_registry_destroy(registry);
        free(sql);
        sl_config_destroy(cfg);
        return 2;
    }
    sl_instance inst;
    if (!sl_instance_open(&inst, sl_config_string(cfg, "state.dir"), app)) {
        sl_topology_destroy(topo);
        sl_registry_destroy(registry);
        free(sql);
        sl_config_destroy(cfg);
        return 1;
    }
    sl_install_stop_handlers();
    worker_thread w[MAX_THREADS];
    memset(w, 0, sizeof w);
    sl_worker_metrics *metrics[MAX_THREADS] = {0};
    bool compiled_all = true;
    for (int i = 0; i < nthreads; i++) {
        /* each thread compiles its own copy: threads share no mutable state
         * (the same text compiled once already, so this cannot fail but
         * for memory) */
        w[i].topology = i == 0 ? topo : sl_topology_compile(sql, queries, &copts, &err);
        if (!w[i].topology) {
            sl_log_error("run", "cannot compile the queries for worker thread %d", i);
            nthreads = i;
            compiled_all = false;
            break;
        }
        w[i].opts = (sl_driver_options){
            .config = cfg,
            .topology = w[i].topology,
            .instance_id = inst.id,
            .thread_index = i,
            .snapshot_dir = inst.dir,
            .exactly_once = !strcmp(sl_config_string(cfg, "processing.guarantee"), "exactly_once_v2"),
            .stop = &sl_stop_requested,
            .hangup = &sl_hangup_requested,
            .metrics = metrics[i] = sl_worker_metrics_new(i),
        };
        sl_worker_metrics_set_topology(metrics[i], w[i].topology);
    }
    int rc = compiled_all ? sl_kafka_prepare_topics(&w[0].opts) : 1;
    sl_http_server *http = NULL;
    if (!rc && listener.enabled) {
        sl_http_info info = {.application_id = app, .instance_id = inst.id, .topology = topo, .queries_sql = sql,
                             .workers = metrics, .nworkers = nthreads,
                             .stall_ms = sl_config_int(cfg, "health.stall.commit.intervals") *
                                         sl_config_int(cfg, "commit.interval.ms")};
        http = sl_http_start(&listener, &info, &err);
        if (!http) {
            sl_log_error("http", "%s", err.msg);
            rc = 1;
        }
    }
    if (!rc && nthreads == 1) {
        rc = sl_kafka_run(&w[0].opts);
    } else if (!rc) {
        sl_info("run", "%d worker threads", nthreads);
        for (int i = 0; i < nthreads; i++)
            pthread_create(&w[i].thread, NULL, run_worker, &w[i]);
        for (int i = 0; i < nthreads; i++) {
            pthread_join(w[i].thread, NULL);
            if (w[i].rc > rc)
                rc = w[i].rc;
        }
    }
    sl_http_stop(http); /* before the metrics it reads */
    for (int i = 0; i < nthreads; i++)
        sl_worker_metrics_destroy(metrics[i]);
    for (int i = 1; i < nthreads; i++)
        sl_topology_destroy(w[i].topology);
    sl_instance_close(&inst);
    sl_topology_destroy(topo);
    sl_registry_destroy(registry); /* after the topologies whose serdes use it */
    free(sql);
    sl_config_destroy(cfg);
    return rc;
}
