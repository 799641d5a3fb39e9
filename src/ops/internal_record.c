/* See internal_record.h. */
#include "ops/internal_record.h"

#include <string.h>

#include "common/valcodec.h"

static void put_u(sl_strbuf *b, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        sl_strbuf_putc(b, (char)(v >> (8 * i)));
}

static uint64_t get_u(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

void sl_internal_source_encode(sl_strbuf *out, const sl_record *in)
{
    sl_strbuf_reset(out);
    sl_strbuf_putc(out, 'S');
    sl_strbuf_putc(out, (char)((in->key ? 1 : 0) | (in->value ? 2 : 0)));
    put_u(out, in->key ? in->key_len : 0, 4);
    if (in->key)
        sl_strbuf_append(out, in->key, in->key_len);
    size_t tl = strlen(in->topic);
    put_u(out, tl, 2);
    sl_strbuf_append(out, in->topic, tl);
    if (in->value)
        sl_strbuf_append(out, in->value, in->value_len);
}

bool sl_internal_source_decode(const sl_record *rec, sl_arena *arena, sl_record *orig)
{
    const unsigned char *p = rec->value;
    size_t n = rec->value ? rec->value_len : 0;
    if (n < 8 || p[0] != 'S')
        return false;
    int flags = p[1];
    size_t kl = (size_t)get_u(p + 2, 4), pos = 6;
    if (kl > n - pos)
        return false;
    const void *key = (flags & 1) ? p + pos : NULL;
    pos += kl;
    if (n - pos < 2)
        return false;
    size_t tl = (size_t)get_u(p + pos, 2);
    pos += 2;
    if (tl > n - pos)
        return false;
    *orig = *rec;
    orig->topic = sl_arena_strndup(arena, (const char *)p + pos, tl);
    pos += tl;
    orig->key = key;
    orig->key_len = kl;
    orig->value = (flags & 2) ? p + pos : NULL;
    orig->value_len = (flags & 2) ? n - pos : 0;
    return true;
}

bool sl_internal_is_change(const sl_record *rec)
{
    return rec->value && rec->value_len >= 2 && ((const unsigned char *)rec->value)[0] == 'T';
}

void sl_internal_change_encode(sl_strbuf *out, const sl_value *old_row, const sl_value *new_row, int width)
{
    sl_strbuf_reset(out);
    sl_strbuf_putc(out, 'T');
    sl_strbuf_putc(out, old_row && new_row ? 3 : old_row ? 1 : 2);
    for (int r = 0; r < 2; r++) {
        const sl_value *row = r ? new_row : old_row;
        for (int i = 0; row && i < width; i++)
            sl_valcodec_put(out, &row[i]);
    }
}

bool sl_internal_change_decode(const sl_record *rec, int width, int alloc_width, sl_arena *arena,
                               sl_value **old_row, sl_value **new_row)
{
    const unsigned char *p = rec->value;
    size_t n = rec->value ? rec->value_len : 0, pos = 2;
    if (n < 2 || p[0] != 'T' || p[1] < 1 || p[1] > 3)
        return false;
    sl_value *rows[2] = {NULL, NULL};
    for (int r = 0; r < 2; r++) {
        if (!(p[1] & (r ? 2 : 1)))
            continue;
        rows[r] = sl_arena_alloc(arena, (size_t)alloc_width * sizeof *rows[r]);
        for (int i = 0; i < width; i++)
            if (!sl_valcodec_get(p, n, &pos, arena, &rows[r][i]))
                return false;
    }
    *old_row = rows[0];
    *new_row = rows[1];
    return true;
}
