/* Double.toString: the shortest digit string that reads back to the same
 * double, laid out in plain notation for 1e-3 <= |d| < 1e7 and in Java's
 * scientific notation (d.dddE[-]n) otherwise. */
#include "common/numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t sl_format_double_java(double d, char *buf)
{
    if (isnan(d))
        return (size_t)sprintf(buf, "NaN");
    if (isinf(d))
        return (size_t)sprintf(buf, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0)
        return (size_t)sprintf(buf, signbit(d) ? "-0.0" : "0.0");
    char tmp[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    /* tmp = [-]D.DDDDe[+-]XX ; pull out digits and exponent */
    const char *p = tmp;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (exp >= -3 && exp < 7) {
        if (exp < 0) {
            *o++ = '0';
            *o++ = '.';
            for (int i = -1; i > exp; i--)
                *o++ = '0';
            for (int i = 0; i < nd; i++)
                *o++ = digits[i];
        } else {
            for (int i = 0; i <= exp; i++)
                *o++ = i < nd ? digits[i] : '0';
            *o++ = '.';
            if (nd > exp + 1)
                for (int i = exp + 1; i < nd; i++)
                    *o++ = digits[i];
            else
                *o++ = '0';
        }
    } else {
        *o++ = digits[0];
        *o++ = '.';
        if (nd > 1)
            for (int i = 1; i < nd; i++)
                *o++ = digits[i];
        else
            *o++ = '0';
        o += sprintf(o, "E%d", exp);
    }
    *o = 0;
    return (size_t)(o - buf);
}
