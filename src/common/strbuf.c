/* Growable buffer; aborts on OOM like the arena (no partial records). */
#include "common/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl_strbuf_init(sl_strbuf *sb)
{
    sb->data = NULL;
    sb->len = sb->cap = 0;
}

void sl_strbuf_free(sl_strbuf *sb)
{
    free(sb->data);
    sl_strbuf_init(sb);
}

void sl_strbuf_reset(sl_strbuf *sb)
{
    sb->len = 0;
    if (sb->data)
        sb->data[0] = 0;
}

void sl_strbuf_grow(sl_strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap * 2 : 256;
    while (cap < sb->len + extra + 1)
        cap *= 2;
    char *p = realloc(sb->data, cap);
    if (!p) {
        fprintf(stderr, "sluice: out of memory (buffer of %zu bytes)\n", cap);
        abort();
    }
    sb->data = p;
    sb->cap = cap;
}

void sl_strbuf_put_i64(sl_strbuf *sb, int64_t v)
{
    char d[24];
    int n = 0;
    /* through the unsigned magnitude: INT64_MIN has no positive twin */
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        d[n++] = (char)('0' + (int)(a % 10));
        a /= 10;
    } while (a);
    sl_strbuf_reserve(sb, (size_t)n + 1);
    if (v < 0)
        sb->data[sb->len++] = '-';
    while (n)
        sb->data[sb->len++] = d[--n];
    sb->data[sb->len] = 0;
}

void sl_strbuf_printf(sl_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sl_strbuf_reserve(sb, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}
