/* sluice test (placeholder until it lands). */
#include <stdio.h>

#include "cli/commands.h"

int sl_cmd_test(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "sluice: 'test' is not implemented yet\n");
    return 4;
}
