/* Growable byte buffer for encoders and message building. Reused across
 * records (sl_strbuf_reset keeps capacity) so encoding does not allocate
 * once the buffer has grown to the largest record. */
#ifndef SL_STRBUF_H
#define SL_STRBUF_H

#include <stddef.h>

typedef struct sl_strbuf {
    char *data; /* owned; always NUL-terminated when len > 0 */
    size_t len, cap;
} sl_strbuf;

void sl_strbuf_init(sl_strbuf *sb);
void sl_strbuf_free(sl_strbuf *sb);
void sl_strbuf_reset(sl_strbuf *sb);
void sl_strbuf_reserve(sl_strbuf *sb, size_t extra);
void sl_strbuf_append(sl_strbuf *sb, const void *data, size_t len);
void sl_strbuf_puts(sl_strbuf *sb, const char *s);
void sl_strbuf_putc(sl_strbuf *sb, char c);
void sl_strbuf_printf(sl_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
