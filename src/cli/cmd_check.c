/* sluice check (placeholder until it lands). */
#include <stdio.h>

#include "cli/commands.h"

int sl_cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sluice: 'check' is not implemented yet\n");
    return 4;
}
