/* sluice demo (placeholder until it lands). */
#include <stdio.h>

#include "cli/commands.h"

int sl_cmd_demo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sluice: 'demo' is not implemented yet\n");
    return 4;
}
