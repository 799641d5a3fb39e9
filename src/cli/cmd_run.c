/* sluice run -c FILE.properties [-q FILE.sql]: the service. Config and SQL
 * errors exit 2 with their place; a fatal Kafka error exits 1; SIGTERM or
 * SIGINT commits the batch in flight, leaves the group and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/diag.h"
#include "cli/signals.h"
#include "common/log.h"
#include "config/config.h"
#include "ops/topology.h"
#include "runtime/instance.h"
#include "runtime/kafka_driver.h"

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

int sl_cmd_run(int argc, char **argv)
{
    const char *cpath = NULL, *qpath = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            cpath = argv[++i];
        else if ((!strcmp(argv[i], "-q") || !strcmp(argv[i], "--queries")) && i + 1 < argc)
            qpath = argv[++i];
        else if (!strcmp(argv[i], "--help-config")) {
            sl_config_print_docs(stdout);
            return 0;
        } else {
            fprintf(stderr, "usage: sluice run -c sluice.properties [-q queries.sql] | --help-config\n");
            return 2;
        }
    }
    if (!cpath) {
        fprintf(stderr, "usage: sluice run -c sluice.properties [-q queries.sql]\n");
        return 2;
    }
    sl_error err = {0};
    sl_config *cfg = sl_config_load(cpath, &err);
    if (!cfg) {
        sl_diag_print(stderr, &err, NULL);
        return 2;
    }
    sl_log_set_level(level_of(sl_config_string(cfg, "log.level")));
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
    sl_compile_options copts = {.internal_topic_prefix = prefix};
    sl_topology *topo = sl_topology_compile(sql, queries, &copts, &err);
    if (!topo) {
        sl_diag_print(stderr, &err, sql);
        free(sql);
        sl_config_destroy(cfg);
        return 2;
    }
    if (sl_config_int(cfg, "num.stream.threads") > 1)
        sl_warn("run", "num.stream.threads > 1 is not implemented yet: running one worker thread");
    sl_instance inst;
    if (!sl_instance_open(&inst, sl_config_string(cfg, "state.dir"), app)) {
        sl_topology_destroy(topo);
        free(sql);
        sl_config_destroy(cfg);
        return 1;
    }
    sl_install_stop_handlers();
    sl_driver_options o = {
        .config = cfg,
        .topology = topo,
        .instance_id = inst.id,
        .snapshot_dir = inst.dir,
        .exactly_once = !strcmp(sl_config_string(cfg, "processing.guarantee"), "exactly_once_v2"),
        .stop = &sl_stop_requested,
    };
    int rc = sl_kafka_prepare_topics(&o);
    if (!rc)
        rc = sl_kafka_run(&o);
    sl_instance_close(&inst);
    sl_topology_destroy(topo);
    free(sql);
    sl_config_destroy(cfg);
    return rc;
}
