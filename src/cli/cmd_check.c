/* sluice check -q FILE: compile only; prints the first error with its
 * place and a caret and exits 2 (4 for unsupported features). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/diag.h"
#include "ops/topology.h"

int sl_cmd_check(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++)
        if ((!strcmp(argv[i], "-q") || !strcmp(argv[i], "--queries")) && i + 1 < argc)
            path = argv[++i];
    if (!path) {
        fprintf(stderr, "usage: sluice check -q queries.sql\n");
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
    if (!sl_topology_query_count(t)) {
        fprintf(stderr, "%s: error: no queries to run: the file has no CREATE STREAM|TABLE ... AS SELECT "
                        "or INSERT INTO ... SELECT\n", path);
        sl_topology_destroy(t);
        free(text);
        return 2;
    }
    printf("%s: OK\n", path);
    sl_topology_destroy(t);
    free(text);
    return 0;
}
