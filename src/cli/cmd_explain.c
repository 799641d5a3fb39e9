/* sluice explain -q FILE [--format text|dot|json]: the compiled topology. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/diag.h"
#include "ops/topology.h"

int sl_cmd_explain(int argc, char **argv)
{
    const char *path = NULL, *format = "text";
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-q") || !strcmp(argv[i], "--queries")) && i + 1 < argc)
            path = argv[++i];
        else if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
    }
    if (!path || (strcmp(format, "text") && strcmp(format, "dot") && strcmp(format, "json"))) {
        fprintf(stderr, "usage: sluice explain -q queries.sql [--format text|dot|json]\n");
        return 2;
    }
    char *text = sl_read_file(path, NULL);
    if (!text) {
        perror(path);
        return 2;
    }
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(text, path, NULL, &err);
    if (!t) {
        sl_diag_print(stderr, &err, text);
        free(text);
        return err.code == SL_ERR_UNSUPPORTED ? 4 : 2;
    }
    char *d = sl_topology_describe(t, format);
    fputs(d ? d : "", stdout);
    free(d);
    sl_topology_destroy(t);
    free(text);
    return 0;
}
