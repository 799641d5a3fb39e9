/* Java strings in C: ksqlDB's string functions count and index UTF-16
 * units, so Sluice's turn a UTF-8 value into units, work on them, and turn
 * the result back into UTF-8. A lone surrogate (a pair cut in two) becomes
 * '?', as Java's UTF-8 encoder writes it. Buffers live in the arena. */
#ifndef SL_UTF16_H
#define SL_UTF16_H

#include "common/arena.h"
#include "sql/unicode_category.h"

typedef struct {
    uint16_t *units;
    size_t n;
} sl_utf16;

static inline sl_utf16 sl_utf16_from_utf8(sl_arena *arena, const char *s, size_t len)
{
    sl_utf16 r = {sl_arena_alloc(arena, (len + 1) * sizeof(uint16_t)), 0};
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += sl_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (cp >= 0x10000) {
            r.units[r.n++] = (uint16_t)(0xD800 + ((cp - 0x10000) >> 10));
            r.units[r.n++] = (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else {
            r.units[r.n++] = (uint16_t)cp;
        }
    }
    return r;
}

/* UTF-16 length of a UTF-8 string, without converting it */
static inline size_t sl_utf16_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += sl_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        n += cp >= 0x10000 ? 2 : 1;
    }
    return n;
}

/* the code point at units[i] within [.., end): a pair, or the unit alone */
static inline uint32_t sl_utf16_code_point_at(const uint16_t *u, size_t i, size_t end, size_t *width)
{
    if (u[i] >= 0xD800 && u[i] <= 0xDBFF && i + 1 < end && u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF) {
        *width = 2;
        return 0x10000 + (((uint32_t)u[i] - 0xD800) << 10) + (u[i + 1] - 0xDC00u);
    }
    *width = 1;
    return u[i];
}

/* appends cp to out (room for 4 bytes), a surrogate as '?'; returns bytes */
static inline size_t sl_utf16_put(char *out, uint32_t cp)
{
    return sl_utf8_encode(cp >= 0xD800 && cp <= 0xDFFF ? '?' : cp, out);
}

/* UTF-8 of units [from, to), NUL-terminated, in the arena */
static inline char *sl_utf16_to_utf8(sl_arena *arena, const uint16_t *u, size_t from, size_t to, uint32_t *len)
{
    char *p = sl_arena_alloc(arena, (to - from) * 3 + 1);
    size_t n = 0;
    for (size_t i = from, w; i < to; i += w)
        n += sl_utf16_put(p + n, sl_utf16_code_point_at(u, i, to, &w));
    p[n] = 0;
    *len = (uint32_t)n;
    return p;
}

#endif
