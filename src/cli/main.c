/* sluice: dispatch to the sub-commands (one file each in cli/). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static void usage(FILE *out)
{
    fputs("usage:\n"
          "  sluice run     -c sluice.properties [-q queries.sql]\n"
          "  sluice test    -s statements.sql -i input.json [-o output.json]\n"
          "  sluice check   -q queries.sql\n"
          "  sluice explain -q queries.sql [--format text|dot|json]\n"
          "  sluice demo    [--duration SECONDS] [--plain] [--sql]\n"
          "  sluice --version | --help\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("sluice %s\n", SLUICE_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return sl_cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "test"))
        return sl_cmd_test(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return sl_cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "explain"))
        return sl_cmd_explain(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo"))
        return sl_cmd_demo(argc - 1, argv + 1);
    fprintf(stderr, "sluice: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
