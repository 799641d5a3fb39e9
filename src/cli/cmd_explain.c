/* sluice explain -q FILE [-c sluice.properties] [--format text|dot|json]:
 * the compiled topology. With the configuration, changelog topics are named
 * with its application.id (else "<application.id>"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/diag.h"
#include "config/config.h"
#include "ops/topology.h"

int sl_cmd_explain(int argc, char **argv)
{
    const char *path = NULL, *format = "text", *config = NULL;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-q") || !strcmp(argv[i], "--queries")) && i + 1 < argc)
            path = argv[++i];
        else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!strncmp(argv[i], "--format=", 9))
            format = argv[i] + 9;
        else {
            fprintf(stderr, "sluice explain: unknown argument '%s'\n", argv[i]);
            path = NULL; /* an argument not understood is an error, never ignored */
            break;
        }
    }
    if (!path || (strcmp(format, "text") && strcmp(format, "dot") && strcmp(format, "json"))) {
        fprintf(stderr, "usage: sluice explain -q queries.sql [-c sluice.properties] [--format text|dot|json]\n");
        return 2;
    }
    sl_config *cfg = NULL;
    if (config) {
        sl_error cerr = {0};
        cfg = sl_config_load(config, &cerr);
        if (!cfg) {
            fprintf(stderr, "%s: error: %s\n", config, cerr.msg);
            return 2;
        }
    }
    const char *app = cfg ? sl_config_string(cfg, "application.id") : NULL;
    char *text = sl_read_file(path, NULL);
    if (!text) {
        perror(path);
        return 2;
    }
    sl_error err = {0};
    /* internal topics by their real names, as `sluice run` creates them */
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s-", app && *app ? app : "<application.id>");
    sl_compile_options opts = {.internal_topic_prefix = prefix};
    sl_topology *t = sl_topology_compile(text, path, &opts, &err);
    if (!t) {
        sl_diag_print(stderr, &err, text);
        free(text);
        sl_config_destroy(cfg);
        return err.code == SL_ERR_UNSUPPORTED ? 4 : 2;
    }
    char *d = sl_topology_describe(t, format, app && *app ? app : NULL);
    fputs(d ? d : "", stdout);
    free(d);
    sl_topology_destroy(t);
    sl_config_destroy(cfg);
    free(text);
    return 0;
}
