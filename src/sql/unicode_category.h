/* Unicode helpers for the string functions: the general category of a code
 * point (as Java's Character.getType classes it, reduced to the classes
 * MASK needs) and UTF-8 decoding and encoding. The category table is
 * generated (unicode_category.c, scripts/gen-unicode-categories). */
#ifndef SL_UNICODE_CATEGORY_H
#define SL_UNICODE_CATEGORY_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    SL_UC_OTHER,
    SL_UC_UPPER, /* Lu */
    SL_UC_LOWER, /* Ll */
    SL_UC_DIGIT, /* Nd */
} sl_unicode_category;

sl_unicode_category sl_unicode_category_of(uint32_t cp);

/* Decodes the code point at s[0..n) (n > 0) and returns the bytes it took.
 * A malformed or truncated sequence decodes as U+FFFD and takes one byte,
 * as Java's decoder replaces it. */
static inline size_t sl_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 1) {
        *cp = c;
        return 1;
    }
    if (!len || len > n)
        goto bad;
    uint32_t v = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min_of_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min_of_len[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        goto bad;
    *cp = v;
    return len;
bad:
    *cp = 0xFFFD;
    return 1;
}

/* Writes cp as UTF-8 to out (room for 4 bytes); returns the bytes written. */
static inline size_t sl_utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

#endif
