/* Growable byte buffer for encoders and message building. Reused across
 * records (sl_strbuf_reset keeps capacity) so encoding does not allocate
 * once the buffer has grown to the largest record. */
#ifndef SL_STRBUF_H
#define SL_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sl_strbuf {
    char *data; /* owned; always NUL-terminated when len > 0 */
    size_t len, cap;
} sl_strbuf;

void sl_strbuf_init(sl_strbuf *sb);
void sl_strbuf_free(sl_strbuf *sb);
void sl_strbuf_reset(sl_strbuf *sb);
void sl_strbuf_grow(sl_strbuf *sb, size_t extra); /* the slow path of reserve */
void sl_strbuf_printf(sl_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* decimal digits of v */
void sl_strbuf_put_i64(sl_strbuf *sb, int64_t v);

/* Inline: encoders call these per byte and per field. */
static inline void sl_strbuf_reserve(sl_strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 > sb->cap)
        sl_strbuf_grow(sb, extra);
}

static inline void sl_strbuf_append(sl_strbuf *sb, const void *data, size_t len)
{
    sl_strbuf_reserve(sb, len);
    if (len)
        memcpy(sb->data + sb->len, data, len);
    sb->len += len;
    sb->data[sb->len] = 0;
}

static inline void sl_strbuf_puts(sl_strbuf *sb, const char *s)
{
    sl_strbuf_append(sb, s, strlen(s));
}

static inline void sl_strbuf_putc(sl_strbuf *sb, char c)
{
    sl_strbuf_reserve(sb, 1);
    sb->data[sb->len++] = c;
    sb->data[sb->len] = 0;
}

#endif
