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

static void put_zigzag(sl_strbuf *out, int32_t v)
{
    uint32_t z = ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
    do {
        unsigned char b = (unsigned char)(z & 0x7f);
        z >>= 7;
        if (z)
            b |= 0x80;
        sl_strbuf_putc(out, (char)b);
    } while (z);
}

void sl_confluent_header_put_message_index(sl_strbuf *out, int32_t schema_id, const int *path, int depth)
{
    sl_confluent_header_put(out, schema_id);
    if (depth <= 0 || (depth == 1 && path[0] == 0)) {
        sl_strbuf_putc(out, 0);
        return;
    }
    put_zigzag(out, depth);
    for (int i = 0; i < depth; i++)
        put_zigzag(out, path[i]);
}
