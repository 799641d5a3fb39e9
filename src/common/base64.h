/* Base64 (RFC 4648, standard alphabet, padded), as Java's Base64 encoder
 * writes BYTES in JSON and as ksqlDB's test files carry header values. */
#ifndef SL_BASE64_H
#define SL_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

void sl_base64_encode(sl_strbuf *out, const void *data, size_t len);
/* malloc'd result (caller frees), *len set; NULL on invalid input */
char *sl_base64_decode(const char *text, size_t *len);
/* decodes into buf (capacity at least 3*(n/4)+3); false on invalid input */
bool sl_base64_decode_into(const char *text, size_t n, unsigned char *buf, size_t *len);

#endif
