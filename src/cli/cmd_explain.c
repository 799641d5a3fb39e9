/* sluice explain (placeholder until it lands). */
#include <stdio.h>

#include "cli/commands.h"

int sl_cmd_explain(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sluice: 'explain' is not implemented yet\n");
    return 4;
}
