/* A compact, self-describing binary encoding of sl_value trees. State stores
 * keep aggregate states and table rows in this form: one allocation per
 * entry, no pointers, and the same bytes can go to a changelog topic and be
 * restored from it. Format: a kind byte (high bit = NULL), then the payload
 * (varint-zigzag integers, 8-byte doubles, 16-byte decimals with precision
 * and scale, length-prefixed bytes, count-prefixed composites). */
#ifndef SL_VALCODEC_H
#define SL_VALCODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/strbuf.h"
#include "common/value.h"

void sl_valcodec_put(sl_strbuf *out, const sl_value *v);
/* Decodes one value starting at *pos; strings point into data (which must
 * outlive the value) unless copy is set (then they go to the arena). */
bool sl_valcodec_get(const unsigned char *data, size_t len, size_t *pos, sl_arena *arena, sl_value *out);

#endif
