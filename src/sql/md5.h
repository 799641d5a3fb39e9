/* MD5 (RFC 1321), for the MD5 function: one call hashes a whole buffer. */
#ifndef SL_MD5_H
#define SL_MD5_H

#include <stddef.h>
#include <stdint.h>

void sl_md5(const void *data, size_t len, uint8_t digest[16]);

#endif
