/* Fuzz target: the JSON reader, untyped and typed into a nested schema, and
 * a round trip through the writer. */
#include <stdint.h>
#include <stdlib.h>

#include "common/strbuf.h"
#include "serde/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    sl_value v;
    if (!sl_json_parse_any((const char *)data, size, &v, a, &err)) {
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        sl_json_write(&sb, &v, NULL);
        sl_strbuf_free(&sb);
    }
    sl_field inner[2] = {{"X", &sl_type_int}, {"Y", sl_type_array(a, &sl_type_double)}};
    sl_field f[5] = {{"A", &sl_type_bigint}, {"B", &sl_type_string}, {"C", sl_type_decimal(a, 10, 2)},
                     {"D", sl_type_struct(a, 2, inner)}, {"E", sl_type_map(a, &sl_type_string, &sl_type_bytes)}};
    const sl_type *t = sl_type_struct(a, 5, f);
    if (!sl_json_parse_typed((const char *)data, size, t, &v, a, &err)) {
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        sl_json_write(&sb, &v, t);
        sl_strbuf_free(&sb);
    }
    sl_arena_destroy(a);
    return 0;
}
