/* Fuzz target: the PROTOBUF decoder (Confluent framing) and PROTOBUF_NOSR
 * against a schema with every kind of field, and re-encoding what decodes. */
#include <stdint.h>
#include <stdlib.h>

#include "serde/serde.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena *a = sl_arena_new(0);
    sl_field inner[2] = {{"X", &sl_type_int}, {"Y", sl_type_array(a, &sl_type_string)}};
    sl_field f[9] = {{"A", &sl_type_bigint},
                     {"B", &sl_type_string},
                     {"C", sl_type_decimal(a, 6, 3)},
                     {"D", sl_type_array(a, &sl_type_double)},
                     {"E", sl_type_struct(a, 2, inner)},
                     {"F", sl_type_map(a, &sl_type_string, &sl_type_int)},
                     {"G", &sl_type_timestamp},
                     {"H", &sl_type_date},
                     {"I", &sl_type_time}};
    const sl_type *t = sl_type_struct(a, 9, f);
    for (int nosr = 0; nosr < 2; nosr++) {
        sl_error err = {0};
        sl_serde *s = sl_serde_new(nosr ? SL_FORMAT_PROTOBUF_NOSR : SL_FORMAT_PROTOBUF, t, NULL, &err);
        sl_value cols[9];
        if (s && !sl_serde_decode(s, data, size, cols, a, &err)) {
            sl_strbuf out;
            sl_strbuf_init(&out);
            sl_serde_encode(s, cols, &out, &err);
            sl_strbuf_free(&out);
        }
        sl_serde_destroy(s);
    }
    sl_arena_destroy(a);
    return 0;
}
