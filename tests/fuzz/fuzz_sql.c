/* Fuzz target: the lexer, parser and compiler over arbitrary statement text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ops/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    sl_error err = {0};
    sl_topology *t = sl_topology_compile(text, "fuzz.sql", NULL, &err);
    if (t) {
        char *d = sl_topology_describe(t, "json", NULL);
        free(d);
        sl_topology_destroy(t);
    }
    free(text);
    return 0;
}
