/* Java's number and base64 text rules (see javatext.h). A decimal's digits
 * are walked in place, as the coefficient (the digits without leading
 * zeros) and the scale, the two numbers a BigDecimal is made of; nothing is
 * converted through a double unless a double is asked for. */
#include "serde/javatext.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* the k-th digit of integer part and fraction together */
static char dig(const sl_bigdec *d, size_t k)
{
    return k < d->nip ? d->ip[k] : d->fp[k - d->nip];
}

typedef struct coeff {
    size_t lz, n;  /* leading zeros skipped, coefficient digits (1 for zero) */
    bool zero;
    int64_t scale; /* value = coefficient * 10^-scale */
} coeff;

static coeff coefficient(const sl_bigdec *d)
{
    size_t total = d->nip + d->nfp, lz = 0;
    while (lz < total && dig(d, lz) == '0')
        lz++;
    coeff c = {lz, total - lz, lz == total, (int64_t)d->nfp - d->exp};
    if (c.zero)
        c.n = 1;
    return c;
}

static char coeff_digit(const sl_bigdec *d, const coeff *c, size_t i)
{
    return c->zero ? '0' : dig(d, c->lz + i);
}

static void put_digits(const sl_bigdec *d, const coeff *c, size_t from, size_t to, sl_strbuf *out)
{
    for (size_t i = from; i < to; i++)
        sl_strbuf_putc(out, coeff_digit(d, c, i));
}

bool sl_bigdec_parse(const char *s, size_t n, sl_bigdec *out)
{
    size_t i = 0;
    *out = (sl_bigdec){0};
    if (i < n && (s[i] == '+' || s[i] == '-'))
        out->neg = s[i++] == '-';
    out->ip = s + i;
    while (i < n && is_digit(s[i]))
        i++;
    out->nip = (size_t)(s + i - out->ip);
    out->fp = s + i;
    if (i < n && s[i] == '.') {
        out->fp = s + ++i;
        while (i < n && is_digit(s[i]))
            i++;
        out->nfp = (size_t)(s + i - out->fp);
    }
    if (out->nip + out->nfp == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t start = i;
        int64_t e = 0;
        while (i < n && is_digit(s[i])) {
            e = e * 10 + (s[i++] - '0');
            if (e > 2147483647) /* Java: "Exponent overflow" */
                return false;
        }
        if (i == start)
            return false;
        out->exp = eneg ? -e : e;
    }
    if (i != n)
        return false;
    /* BigDecimal's scale is an int */
    int64_t scale = (int64_t)out->nfp - out->exp;
    return scale >= INT32_MIN && scale <= INT32_MAX;
}

void sl_bigdec_to_string(const sl_bigdec *d, sl_strbuf *out)
{
    coeff c = coefficient(d);
    int64_t adjusted = -c.scale + (int64_t)(c.n - 1);
    if (d->neg && !c.zero)
        sl_strbuf_putc(out, '-');
    if (c.scale == 0) {
        put_digits(d, &c, 0, c.n, out);
    } else if (c.scale > 0 && adjusted >= -6) {
        if (c.scale >= (int64_t)c.n) {
            sl_strbuf_puts(out, "0.");
            for (int64_t k = 0; k < c.scale - (int64_t)c.n; k++)
                sl_strbuf_putc(out, '0');
            put_digits(d, &c, 0, c.n, out);
        } else {
            size_t point = c.n - (size_t)c.scale;
            put_digits(d, &c, 0, point, out);
            sl_strbuf_putc(out, '.');
            put_digits(d, &c, point, c.n, out);
        }
    } else {
        put_digits(d, &c, 0, 1, out);
        if (c.n > 1) {
            sl_strbuf_putc(out, '.');
            put_digits(d, &c, 1, c.n, out);
        }
        if (adjusted != 0)
            sl_strbuf_printf(out, "E%s%lld", adjusted > 0 ? "+" : "", (long long)adjusted);
    }
}

uint64_t sl_bigdec_low_bits(const sl_bigdec *d)
{
    coeff c = coefficient(d);
    if (c.zero)
        return 0;
    int64_t keep = c.scale > 0 ? (int64_t)c.n - c.scale : (int64_t)c.n;
    uint64_t v = 0;
    for (int64_t i = 0; i < keep; i++)
        v = v * 10 + (uint64_t)(coeff_digit(d, &c, (size_t)i) - '0');
    /* 10^64 is a multiple of 2^64: more zeros change nothing */
    for (int64_t k = 0; c.scale < 0 && k < -c.scale && k < 64; k++)
        v *= 10;
    return d->neg ? (uint64_t)0 - v : v;
}

double sl_bigdec_to_double(const sl_bigdec *d)
{
    coeff c = coefficient(d);
    if (c.zero)
        return d->neg ? -0.0 : 0.0;
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    if (d->neg)
        sl_strbuf_putc(&sb, '-');
    put_digits(d, &c, 0, c.n, &sb);
    sl_strbuf_printf(&sb, "e%lld", (long long)-c.scale);
    sl_strbuf_putc(&sb, 0);
    double v = strtod(sb.data, NULL);
    sl_strbuf_free(&sb);
    return v;
}

/* the coefficient's digits [from, to) as a number (at most 38 digits) */
static sl_i128 digits_value(const sl_bigdec *d, const coeff *c, size_t from, size_t to)
{
    sl_i128 v = 0;
    for (size_t i = from; i < to; i++)
        v = v * 10 + (coeff_digit(d, c, i) - '0');
    return v;
}

static sl_fit fit(const sl_bigdec *d, int precision, int scale, bool half_up, sl_i128 *unscaled)
{
    coeff c = coefficient(d);
    *unscaled = 0;
    if (c.zero)
        return SL_FIT_OK;
    int64_t adjusted = (int64_t)(c.n - 1) - c.scale;
    if (adjusted >= (int64_t)precision - scale)
        return SL_FIT_OVERFLOW;
    sl_i128 u;
    if (c.scale > scale) {
        int64_t drop = c.scale - scale;
        if (!half_up) {
            if (drop >= (int64_t)c.n)
                return SL_FIT_ROUNDING;
            for (size_t i = c.n - (size_t)drop; i < c.n; i++)
                if (coeff_digit(d, &c, i) != '0')
                    return SL_FIT_ROUNDING;
        }
        size_t kept = drop >= (int64_t)c.n ? 0 : c.n - (size_t)drop;
        u = digits_value(d, &c, 0, kept);
        /* half up: the first dropped digit decides (an implied leading
         * zero when every digit is dropped and more) */
        char first = drop > (int64_t)c.n ? '0' : coeff_digit(d, &c, kept);
        if (half_up && first >= '5')
            u += 1;
        if (u >= sl_pow10(precision))
            return SL_FIT_OVERFLOW;
    } else {
        u = digits_value(d, &c, 0, c.n) * sl_pow10((int)(scale - c.scale));
    }
    *unscaled = d->neg ? -u : u;
    return SL_FIT_OK;
}

sl_fit sl_bigdec_fit(const sl_bigdec *d, int precision, int scale, sl_i128 *unscaled)
{
    return fit(d, precision, scale, false, unscaled);
}

sl_fit sl_bigdec_fit_half_up(const sl_bigdec *d, int precision, int scale, sl_i128 *unscaled)
{
    return fit(d, precision, scale, true, unscaled);
}

bool sl_java_parse_int(const char *s, size_t n, int bits, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    uint64_t limit = (uint64_t)1 << (bits - 1); /* |MIN_VALUE| */
    uint64_t v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        unsigned digit = (unsigned)(s[i] - '0');
        if (v > (limit - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    if (!neg && v == limit)
        return false;
    *out = neg ? (int64_t)((uint64_t)0 - v) : (int64_t)v;
    return true;
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool sl_java_parse_double(const char *s, size_t n, double *out)
{
    /* String.trim() */
    while (n && (unsigned char)*s <= ' ')
        s++, n--;
    while (n && (unsigned char)s[n - 1] <= ' ')
        n--;
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (n - i == 3 && !memcmp(s + i, "NaN", 3)) {
        *out = NAN;
        return true;
    }
    if (n - i == 8 && !memcmp(s + i, "Infinity", 8)) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    size_t body = i, mant = 0;
    bool hex = n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
    if (hex) {
        i += 2;
        while (i < n && is_hex(s[i]))
            i++, mant++;
        if (i < n && s[i] == '.')
            for (i++; i < n && is_hex(s[i]); i++)
                mant++;
        /* the binary exponent is required */
        if (!mant || i >= n || (s[i] != 'p' && s[i] != 'P'))
            return false;
    } else {
        while (i < n && is_digit(s[i]))
            i++, mant++;
        if (i < n && s[i] == '.')
            for (i++; i < n && is_digit(s[i]); i++)
                mant++;
        if (!mant)
            return false;
    }
    if (i < n && (hex ? s[i] == 'p' || s[i] == 'P' : s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t start = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    size_t end = i;
    if (i < n && strchr("fFdD", s[i]))
        i++;
    if (i != n)
        return false;
    char small[128], *buf = end - body < sizeof small ? small : malloc(end - body + 1);
    if (!buf)
        return false;
    memcpy(buf, s + body, end - body);
    buf[end - body] = 0;
    double v = strtod(buf, NULL);
    if (buf != small)
        free(buf);
    *out = neg ? -v : v;
    return true;
}

bool sl_java_parse_boolean(const char *s, size_t n)
{
    return n == 4 && !strncasecmp(s, "true", 4);
}

static int b64(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool sl_base64_decode_jackson(const char *s, size_t n, unsigned char *buf, size_t *len)
{
    while (n && (unsigned char)*s <= ' ')
        s++, n--;
    while (n && (unsigned char)s[n - 1] <= ' ')
        n--;
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned char ch;
        do
            ch = (unsigned char)s[i++];
        while (i < n && ch <= ' ');
        int b0 = b64(ch);
        if (b0 < 0 || i >= n)
            return false;
        int b1 = b64((unsigned char)s[i++]);
        if (b1 < 0 || i >= n)
            return false;
        unsigned data = (unsigned)b0 << 6 | (unsigned)b1;
        ch = (unsigned char)s[i++];
        int b2 = b64(ch);
        if (b2 < 0) {
            /* "xx==": one byte */
            if (ch != '=' || i >= n || s[i++] != '=')
                return false;
            buf[o++] = (unsigned char)(data >> 4);
            continue;
        }
        data = data << 6 | (unsigned)b2;
        if (i >= n)
            return false;
        ch = (unsigned char)s[i++];
        int b3 = b64(ch);
        if (b3 < 0) {
            if (ch != '=')
                return false;
            data >>= 2;
            buf[o++] = (unsigned char)(data >> 8);
            buf[o++] = (unsigned char)data;
        } else {
            data = data << 6 | (unsigned)b3;
            buf[o++] = (unsigned char)(data >> 16);
            buf[o++] = (unsigned char)(data >> 8);
            buf[o++] = (unsigned char)data;
        }
    }
    *len = o;
    return true;
}

bool sl_base64_decode_java(const char *s, size_t n, unsigned char *buf, size_t *len)
{
    size_t body = n;
    while (body && s[body - 1] == '=')
        body--;
    size_t pad = n - body;
    if (pad && (pad > 2 || n % 4 || body % 4 + pad != 4))
        return false;
    if (body % 4 == 1)
        return false;
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < body; i++) {
        int v = b64((unsigned char)s[i]);
        if (v < 0)
            return false;
        acc = acc << 6 | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
        }
    }
    *len = o;
    return true;
}
