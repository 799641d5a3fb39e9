/* See windowed_key.h: Kafka Streams' TimeWindowedSerializer and
 * SessionWindowedSerializer layouts. */
#include "serde/windowed_key.h"

static void put_be64(sl_strbuf *sb, int64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    sl_strbuf_append(sb, b, 8);
}

static int64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

size_t sl_windowed_key_suffix_len(bool session)
{
    return session ? 16 : 8;
}

void sl_windowed_key_append(sl_strbuf *key, bool session, int64_t start, int64_t end)
{
    if (session)
        put_be64(key, end);
    put_be64(key, start);
}

bool sl_windowed_key_split(const void *key, size_t len, bool session, int64_t size_ms, size_t *inner_len,
                           int64_t *start, int64_t *end)
{
    size_t suffix = sl_windowed_key_suffix_len(session);
    if (!key || len < suffix)
        return false;
    const unsigned char *k = (const unsigned char *)key + len - suffix;
    if (session) {
        *end = get_be64(k);
        *start = get_be64(k + 8);
    } else {
        *start = get_be64(k);
        *end = *start + size_ms;
    }
    *inner_len = len - suffix;
    return true;
}
