/* Number formatting as Java prints it, because ksqlDB's outputs (CAST to
 * STRING, CONCAT, JSON via Jackson) use Double.toString's spelling:
 * "1.0", "0.001", "1.0E7", "1.234E-5", "NaN", "Infinity". */
#ifndef SL_NUMFMT_H
#define SL_NUMFMT_H

#include <stddef.h>

/* writes into buf (at least 32 bytes); returns length */
size_t sl_format_double_java(double d, char *buf);
/* Float.toString-equivalent is not needed: ksqlDB has no FLOAT type. */

#endif
