/* See confluent_header.h. */
#include "serde/confluent_header.h"

void sl_confluent_header_put(sl_strbuf *out, int32_t schema_id)
{
    uint32_t id = (uint32_t)schema_id;
    unsigned char h[SL_CONFLUENT_HEADER_LEN] = {0, (unsigned char)(id >> 24), (unsigned char)(id >> 16),
                                                (unsigned char)(id >> 8), (unsigned char)id};
    sl_strbuf_append(out, h, sizeof h);
}

bool sl_confluent_header_get(const void *data, size_t len, int32_t *schema_id)
{
    const unsigned char *p = data;
    if (!p || len < SL_CONFLUENT_HEADER_LEN || p[0] != 0)
        return false;
    *schema_id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
    return true;
}
