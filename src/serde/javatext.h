/* Java's text rules for numbers and base64, as ksqlDB's deserializers apply
 * them: Integer.parseInt / Long.parseLong, Double.parseDouble, new
 * BigDecimal(String) and BigDecimal.toString, the narrowing of a JSON number
 * to an int or a long (Jackson's intValue / longValue), Jackson's base64 and
 * java.util.Base64's. docs/coercion.md says which format uses which.
 *
 * A decimal is kept as the digits and exponent it was written with, never
 * as a double, so that "1.50" stays 1.50 (scale 2) and "1e+16" prints back
 * as Java prints it, "1E+16". */
#ifndef SL_JAVATEXT_H
#define SL_JAVATEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/strbuf.h"
#include "common/value.h"

/* A BigDecimal as written: sign, integer digits, fraction digits (spans of
 * the source text) and the exponent; value = digits * 10^(exp - nfrac). */
typedef struct sl_bigdec {
    const char *ip, *fp;
    size_t nip, nfp;
    int64_t exp;
    bool neg;
} sl_bigdec;

/* new BigDecimal(String): [+-]? (digits [. digits] | . digits) ([eE][+-]?digits)?,
 * nothing else (no white space); false when the text is not one. */
bool sl_bigdec_parse(const char *s, size_t n, sl_bigdec *out);
/* BigDecimal.toString(): plain, or scientific ("1E+16", "1.5E-7") as Java
 * chooses. */
void sl_bigdec_to_string(const sl_bigdec *d, sl_strbuf *out);
/* BigDecimal.longValue(): the integer part's low 64 bits (two's complement). */
uint64_t sl_bigdec_low_bits(const sl_bigdec *d);
/* BigDecimal.doubleValue(): the nearest double (infinite when too large). */
double sl_bigdec_to_double(const sl_bigdec *d);

typedef enum sl_fit {
    SL_FIT_OK,
    SL_FIT_OVERFLOW,  /* |value| >= 10^(precision - scale) */
    SL_FIT_ROUNDING,  /* a nonzero digit beyond the scale */
} sl_fit;
/* DecimalUtil.ensureFit: the unscaled value at the column's scale, exactly. */
sl_fit sl_bigdec_fit(const sl_bigdec *d, int precision, int scale, sl_i128 *unscaled);
/* DecimalUtil.cast(String, p, s) of ksqlDB's test runner: the integer part
 * must fit, the fraction is rounded half up to the scale. */
sl_fit sl_bigdec_fit_half_up(const sl_bigdec *d, int precision, int scale, sl_i128 *unscaled);

/* Integer.parseInt (bits 32) / Long.parseLong (bits 64): [+-]?digits, in range. */
bool sl_java_parse_int(const char *s, size_t n, int bits, int64_t *out);
/* Double.parseDouble: trimmed of characters up to ' '; NaN, Infinity,
 * decimal or hexadecimal (with a binary exponent) floating point, an
 * optional f/F/d/D suffix. */
bool sl_java_parse_double(const char *s, size_t n, double *out);
/* Boolean.parseBoolean: "true" in any case, anything else is false. */
bool sl_java_parse_boolean(const char *s, size_t n);

/* Jackson's TextNode.binaryValue(): the text trimmed, then 4-character
 * units with white space allowed between them, padding required. buf holds
 * at least n / 4 * 3 + 3 bytes. */
bool sl_base64_decode_jackson(const char *s, size_t n, unsigned char *buf, size_t *len);
/* java.util.Base64.getDecoder(): the basic alphabet, no white space,
 * padding optional but exact when present, nothing after it. */
bool sl_base64_decode_java(const char *s, size_t n, unsigned char *buf, size_t *len);

#endif
