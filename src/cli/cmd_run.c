/* sluice run (placeholder until it lands). */
#include <stdio.h>

#include "cli/commands.h"

int sl_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sluice: 'run' is not implemented yet\n");
    return 4;
}
