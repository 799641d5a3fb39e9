/* Runtime values. One tagged union for every SQL type; the static type is
 * known from the plan, the tag is kept anyway so generic code (JSON encoding,
 * comparisons, debugging) need not carry the type around. Strings and bytes
 * are (pointer, length) views: decoded data points into the batch arena or
 * into the input record, and nothing is NUL-terminated by contract.
 *
 * Composite values: ARRAY holds n items; STRUCT holds one item per field of
 * its type, in field order; MAP holds 2n items, key then value. */
#ifndef SL_VALUE_H
#define SL_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/types.h"

typedef __int128 sl_i128;

typedef struct sl_value {
    uint8_t kind; /* sl_kind */
    uint8_t null; /* SQL NULL when non-zero; the payload is then meaningless */
    union {
        bool b;
        int32_t i;   /* INT, DATE (days) */
        int64_t l;   /* BIGINT, TIMESTAMP (ms), TIME (ms of day) */
        double d;
        struct {
            sl_i128 unscaled; /* value = unscaled * 10^-scale */
            int16_t precision, scale;
        } dec;
        struct {
            const char *ptr;
            uint32_t len;
        } s; /* STRING, BYTES */
        struct {
            struct sl_value *items;
            uint32_t n; /* ARRAY, STRUCT: items; MAP: pairs (2n items) */
        } c;
    } u;
} sl_value;

static inline sl_value sl_null(sl_kind kind)
{
    sl_value v = {.kind = (uint8_t)kind, .null = 1};
    return v;
}
static inline sl_value sl_bool(bool b)
{
    sl_value v = {.kind = SL_BOOLEAN};
    v.u.b = b;
    return v;
}
static inline sl_value sl_int(int32_t i)
{
    sl_value v = {.kind = SL_INT};
    v.u.i = i;
    return v;
}
static inline sl_value sl_bigint(int64_t l)
{
    sl_value v = {.kind = SL_BIGINT};
    v.u.l = l;
    return v;
}
static inline sl_value sl_double(double d)
{
    sl_value v = {.kind = SL_DOUBLE};
    v.u.d = d;
    return v;
}
static inline sl_value sl_string(const char *p, uint32_t len)
{
    sl_value v = {.kind = SL_STRING};
    v.u.s.ptr = p;
    v.u.s.len = len;
    return v;
}
static inline sl_value sl_bytes(const char *p, uint32_t len)
{
    sl_value v = {.kind = SL_BYTES};
    v.u.s.ptr = p;
    v.u.s.len = len;
    return v;
}
static inline sl_value sl_timestamp(int64_t ms)
{
    sl_value v = {.kind = SL_TIMESTAMP};
    v.u.l = ms;
    return v;
}
static inline sl_value sl_date(int32_t days)
{
    sl_value v = {.kind = SL_DATE};
    v.u.i = days;
    return v;
}
static inline sl_value sl_time(int64_t ms)
{
    sl_value v = {.kind = SL_TIME};
    v.u.l = ms;
    return v;
}
static inline sl_value sl_decimal(sl_i128 unscaled, int precision, int scale)
{
    sl_value v = {.kind = SL_DECIMAL};
    v.u.dec.unscaled = unscaled;
    v.u.dec.precision = (int16_t)precision;
    v.u.dec.scale = (int16_t)scale;
    return v;
}
/* items allocated (uninitialised) in the arena */
sl_value sl_array_new(sl_arena *arena, uint32_t n);
sl_value sl_struct_new(sl_arena *arena, uint32_t nfields);
sl_value sl_map_new(sl_arena *arena, uint32_t npairs);

/* A string view built from a NUL-terminated C string. */
sl_value sl_cstring(const char *s);
/* Copy of the string into the arena, NUL-terminated. */
char *sl_value_cstr(sl_arena *arena, const sl_value *v);

/* Deep equality; NULL equals NULL here (for GROUP BY keys and tests, not SQL =). */
bool sl_value_equal(const sl_value *a, const sl_value *b);
/* Total order for values of the same kind (numbers compared across kinds);
 * NULLs first. */
int sl_value_compare(const sl_value *a, const sl_value *b);
uint64_t sl_value_hash(const sl_value *v, uint64_t seed);
/* Deep copy into another arena (e.g. from batch arena into a state store). */
sl_value sl_value_copy(sl_arena *arena, const sl_value *v);

/* DECIMAL helpers */
sl_i128 sl_pow10(int n); /* n in 0..38 */
/* Plain decimal text, no exponent: "12.30" for (1230, scale 2). */
const char *sl_decimal_to_string(sl_arena *arena, sl_i128 unscaled, int scale);
/* Parses "-12.3", "1e3"; rescales to scale with HALF_UP; false on bad text. */
bool sl_decimal_parse(const char *s, uint32_t len, int scale, sl_i128 *out);
/* rescale with HALF_UP rounding */
sl_i128 sl_decimal_rescale(sl_i128 unscaled, int from_scale, int to_scale);
bool sl_decimal_fits(sl_i128 unscaled, int precision);
double sl_decimal_to_double(sl_i128 unscaled, int scale);

/* numeric value of INT/BIGINT/DOUBLE/DECIMAL as double */
double sl_value_as_double(const sl_value *v);

#endif
