/* Base64 codec; decoding accepts missing padding and rejects other junk. */
#include "common/base64.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sl_base64_encode(sl_strbuf *sb, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        char q[4] = {alphabet[v >> 18 & 63], alphabet[v >> 12 & 63], i + 1 < n ? alphabet[v >> 6 & 63] : '=',
                     i + 2 < n ? alphabet[v & 63] : '='};
        sl_strbuf_append(sb, q, 4);
    }
}

static int digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

bool sl_base64_decode_into(const char *t, size_t n, unsigned char *buf, size_t *len)
{
    while (n && t[n - 1] == '=')
        n--;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = digit(t[i]);
        if (d < 0)
            return false;
        acc = acc << 6 | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits & 0xff);
        }
    }
    *len = o;
    return true;
}

char *sl_base64_decode(const char *text, size_t *len)
{
    size_t n = strlen(text);
    char *buf = malloc(n / 4 * 3 + 4);
    if (!buf)
        return NULL;
    if (!sl_base64_decode_into(text, n, (unsigned char *)buf, len)) {
        free(buf);
        return NULL;
    }
    return buf;
}
