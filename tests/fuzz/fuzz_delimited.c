/* Fuzz target: the DELIMITED decoder and encoder. */
#include <stdint.h>
#include <stdlib.h>

#include "serde/serde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena *a = sl_arena_new(0);
    sl_field f[5] = {{"A", &sl_type_int}, {"B", &sl_type_string}, {"C", sl_type_decimal(a, 6, 3)},
                     {"D", &sl_type_double}, {"E", &sl_type_bytes}};
    const sl_type *t = sl_type_struct(a, 5, f);
    sl_error err = {0};
    sl_serde *s = sl_serde_new(SL_FORMAT_DELIMITED, t, NULL, &err);
    sl_value cols[5];
    if (s && !sl_serde_decode(s, data, size, cols, a, &err)) {
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        sl_serde_encode(s, cols, &sb, &err);
        sl_strbuf_free(&sb);
    }
    sl_serde_destroy(s);
    sl_arena_destroy(a);
    return 0;
}
