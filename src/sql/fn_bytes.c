/* Bytes functions: INT_FROM_BYTES, BIGINT_FROM_BYTES, DOUBLE_FROM_BYTES.
 *
 * Each reads a fixed-size BYTES value (4 or 8 bytes) as a Java ByteBuffer
 * would, in the byte order named by the optional second argument
 * ('BIG_ENDIAN', the default, or 'LITTLE_ENDIAN', any case). As in ksqlDB a
 * NULL value or byte order gives NULL, and a value of another size or an
 * unknown byte order is a runtime error: the record goes to the processing
 * log and the column is NULL. (TO_BYTES and FROM_BYTES, which ksqlDB also
 * lists with the bytes functions, convert to and from strings and live in
 * fn_string.c next to ENCODE.) */
#include <strings.h>

#include "sql/fn_util.h"

typedef enum { FROM_BYTES_INT, FROM_BYTES_BIGINT, FROM_BYTES_DOUBLE } from_bytes_kind;

static const char *const from_bytes_names[] = {"INT_FROM_BYTES", "BIGINT_FROM_BYTES", "DOUBLE_FROM_BYTES"};

/* true for big endian; false with an error for an unknown order */
static bool byte_order(sl_fn_ctx *c, int argc, const sl_value *v, bool *big_endian)
{
    *big_endian = true;
    if (argc < 2)
        return true;
    const char *s = v[1].u.s.ptr;
    uint32_t n = v[1].u.s.len;
    if (n == 10 && !strncasecmp(s, "BIG_ENDIAN", n))
        return true;
    if (n == 13 && !strncasecmp(s, "LITTLE_ENDIAN", n)) {
        *big_endian = false;
        return true;
    }
    sl_error_set(c->err, SL_ERR_RUNTIME,
                 "Byte order must be BIG_ENDIAN or LITTLE_ENDIAN. Unknown byte order '%.*s'.", (int)n, s);
    return false;
}

static sl_err_t ev_from_bytes(sl_fn_ctx *c, int argc, const sl_value *v, sl_value *o)
{
    from_bytes_kind kind = (from_bytes_kind)(intptr_t)c->state;
    uint32_t want = kind == FROM_BYTES_INT ? 4 : 8;
    bool big_endian;
    if (!byte_order(c, argc, v, &big_endian))
        return SL_ERR_RUNTIME;
    if (v[0].u.s.len != want)
        return sl_error_set(c->err, SL_ERR_RUNTIME, "Number of bytes must be equal to %u, but found %u", want,
                            v[0].u.s.len);
    const unsigned char *p = (const unsigned char *)v[0].u.s.ptr;
    uint64_t bits = 0;
    for (uint32_t i = 0; i < want; i++)
        bits = (bits << 8) | p[big_endian ? i : want - 1 - i];
    switch (kind) {
    case FROM_BYTES_INT: *o = sl_int((int32_t)(uint32_t)bits); break;
    case FROM_BYTES_BIGINT: *o = sl_bigint((int64_t)bits); break;
    case FROM_BYTES_DOUBLE: {
        double d;
        memcpy(&d, &bits, sizeof d);
        *o = sl_double(d);
        break;
    }
    }
    return SL_OK;
}

static sl_err_t resolve_from_bytes(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, from_bytes_kind kind)
{
    if (a->argc < 1 || a->argc > 2 || !fn_kind(a, 0, SL_BYTES) || (a->argc == 2 && !fn_kind(a, 1, SL_STRING)))
        return sl_fn_bad_args(a, from_bytes_names[kind], e);
    static const sl_type *const results[] = {&sl_type_int, &sl_type_bigint, &sl_type_double};
    b->state = (const void *)(intptr_t)kind;
    return fn_bind(b, ev_from_bytes, results[kind], true);
}
static sl_err_t r_int_from_bytes(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return resolve_from_bytes(a, b, e, FROM_BYTES_INT);
}
static sl_err_t r_bigint_from_bytes(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return resolve_from_bytes(a, b, e, FROM_BYTES_BIGINT);
}
static sl_err_t r_double_from_bytes(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return resolve_from_bytes(a, b, e, FROM_BYTES_DOUBLE);
}

const sl_function_def sl_fn_family_bytes[] = {
    {"INT_FROM_BYTES", r_int_from_bytes},
    {"BIGINT_FROM_BYTES", r_bigint_from_bytes},
    {"DOUBLE_FROM_BYTES", r_double_from_bytes},
    {NULL, NULL},
};
