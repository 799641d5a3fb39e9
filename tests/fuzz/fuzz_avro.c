/* Fuzz target: the AVRO decoder (Confluent wire format) against a fixed
 * registered schema. */
#include <stdint.h>
#include <stdlib.h>

#include "serde/serde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena *a = sl_arena_new(0);
    sl_field inner[1] = {{"X", &sl_type_int}};
    sl_field f[5] = {{"A", &sl_type_bigint}, {"B", &sl_type_string}, {"C", sl_type_decimal(a, 6, 3)},
                     {"D", sl_type_array(a, &sl_type_double)}, {"E", sl_type_struct(a, 1, inner)}};
    const sl_type *t = sl_type_struct(a, 5, f);
    sl_error err = {0};
    sl_serde *s = sl_serde_new(SL_FORMAT_AVRO, t, NULL, &err);
    sl_value cols[5];
    if (s)
        sl_serde_decode(s, data, size, cols, a, &err);
    sl_serde_destroy(s);
    sl_arena_destroy(a);
    return 0;
}
