/* Masking functions: MASK, MASK_KEEP_LEFT, MASK_KEEP_RIGHT, MASK_LEFT,
 * MASK_RIGHT.
 *
 * A masked character is replaced by the mask of its class: upper-case
 * letters (Unicode Lu) by 'X', lower-case letters (Ll) by 'x', decimal
 * digits (Nd) by 'n', anything else by '-', or by the four mask arguments
 * given after the input (and the count). A NULL mask leaves its class
 * unmasked; a mask that is not exactly one UTF-16 unit is an error.
 *
 * ksqlDB works on Java strings, so counts and positions are UTF-16 units and
 * its loop masks each unit: a character outside the BMP (an emoji) is masked
 * as itself and its second unit masked again as "other". To give the same
 * output, the input is turned into UTF-16 units, the regions masked or kept
 * unit by unit as ksqlDB does, and the result encoded back to UTF-8, a lone
 * surrogate becoming '?' as Java's UTF-8 encoder writes it.
 *
 * NULLs: a NULL input gives NULL; a NULL or negative count is an error (the
 * count is a Java int, which NULL cannot fill), so the column is NULL and the
 * record goes to the processing log, as in ksqlDB. */
#include "sql/fn_util.h"
#include "sql/utf16.h"

#define NO_MASK UINT32_MAX

typedef enum { MASK_ALL, MASK_KEEP_LEFT, MASK_KEEP_RIGHT, MASK_LEFT, MASK_RIGHT } mask_kind;

static const char *const mask_names[] = {"MASK", "MASK_KEEP_LEFT", "MASK_KEEP_RIGHT", "MASK_LEFT", "MASK_RIGHT"};

typedef struct {
    uint32_t upper, lower, digit, other;
} masks;

typedef struct {
    char *p;
    size_t n;
} out_buf;

static void keep_range(out_buf *o, const sl_utf16 *s, size_t from, size_t to)
{
    for (size_t i = from, w; i < to; i += w)
        o->n += sl_utf16_put(o->p + o->n, sl_utf16_code_point_at(s->units, i, to, &w));
}

/* unit by unit, as ksqlDB's loop does: both units of a pair are masked */
static void mask_range(out_buf *o, const sl_utf16 *s, size_t from, size_t to, const masks *m)
{
    for (size_t i = from, w; i < to; i++) {
        uint32_t cp = sl_utf16_code_point_at(s->units, i, to, &w), mask;
        switch (sl_unicode_category_of(cp)) {
        case SL_UC_UPPER: mask = m->upper; break;
        case SL_UC_LOWER: mask = m->lower; break;
        case SL_UC_DIGIT: mask = m->digit; break;
        default: mask = m->other; break;
        }
        o->n += sl_utf16_put(o->p + o->n, mask == NO_MASK ? cp : mask);
    }
}

static bool read_mask(sl_fn_ctx *c, const sl_value *v, uint32_t dflt, uint32_t *out)
{
    if (!v) {
        *out = dflt;
        return true;
    }
    if (v->null) {
        *out = NO_MASK;
        return true;
    }
    uint32_t cp = 0;
    size_t used = v->u.s.len ? sl_utf8_decode((const unsigned char *)v->u.s.ptr, v->u.s.len, &cp) : 0;
    if (!used || used != v->u.s.len || cp >= 0x10000) {
        sl_error_set(c->err, SL_ERR_RUNTIME, "Invalid mask character. Must be only single character, but was '%.*s'",
                     (int)v->u.s.len, v->u.s.ptr);
        return false;
    }
    *out = cp;
    return true;
}

static sl_err_t ev_mask(sl_fn_ctx *c, int argc, const sl_value *v, sl_value *o)
{
    mask_kind kind = (mask_kind)(intptr_t)c->state;
    int first_mask = kind == MASK_ALL ? 1 : 2;
    bool custom = argc > first_mask;
    masks m;
    if (!read_mask(c, custom ? &v[first_mask] : NULL, 'X', &m.upper) ||
        !read_mask(c, custom ? &v[first_mask + 1] : NULL, 'x', &m.lower) ||
        !read_mask(c, custom ? &v[first_mask + 2] : NULL, 'n', &m.digit) ||
        !read_mask(c, custom ? &v[first_mask + 3] : NULL, '-', &m.other))
        return SL_ERR_RUNTIME;
    size_t count = 0;
    if (kind != MASK_ALL) {
        if (v[1].null || v[1].u.i < 0)
            return sl_error_set(c->err, SL_ERR_RUNTIME,
                                "function %s requires a non-negative number of characters to mask or skip",
                                mask_names[kind]);
        count = (size_t)v[1].u.i;
    }
    if (v[0].null) {
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    sl_utf16 s = sl_utf16_from_utf8(c->arena, v[0].u.s.ptr, v[0].u.s.len);
    /* a unit becomes at most 3 UTF-8 bytes, a masked pair at most 4 + 3 */
    out_buf out = {sl_arena_alloc(c->arena, s.n * 4 + 1), 0};
    size_t left = count < s.n ? count : s.n, right = count < s.n ? s.n - count : 0;
    switch (kind) {
    case MASK_ALL: mask_range(&out, &s, 0, s.n, &m); break;
    case MASK_KEEP_LEFT:
        keep_range(&out, &s, 0, left);
        mask_range(&out, &s, left, s.n, &m);
        break;
    case MASK_KEEP_RIGHT:
        mask_range(&out, &s, 0, right, &m);
        keep_range(&out, &s, right, s.n);
        break;
    case MASK_LEFT:
        mask_range(&out, &s, 0, left, &m);
        keep_range(&out, &s, left, s.n);
        break;
    case MASK_RIGHT:
        keep_range(&out, &s, 0, right);
        mask_range(&out, &s, right, s.n, &m);
        break;
    }
    out.p[out.n] = 0;
    *o = sl_string(out.p, (uint32_t)out.n);
    return SL_OK;
}

static sl_err_t resolve_mask(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, mask_kind kind)
{
    int fixed = kind == MASK_ALL ? 1 : 2;
    bool ok = (a->argc == fixed || a->argc == fixed + 4) && fn_kind(a, 0, SL_STRING) &&
              (kind == MASK_ALL || fn_kind(a, 1, SL_INT));
    for (int i = fixed; ok && i < a->argc; i++)
        ok = fn_kind(a, i, SL_STRING);
    if (!ok)
        return sl_fn_bad_args(a, mask_names[kind], e);
    b->state = (const void *)(intptr_t)kind;
    /* NULLs are handled in ev_mask: a NULL mask means "do not mask" */
    return fn_bind(b, ev_mask, &sl_type_string, false);
}

#define MASK_RESOLVER(fn, kind)                                                                              \
    static sl_err_t fn(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)                                     \
    {                                                                                                        \
        return resolve_mask(a, b, e, kind);                                                                  \
    }
MASK_RESOLVER(r_mask, MASK_ALL)
MASK_RESOLVER(r_mask_keep_left, MASK_KEEP_LEFT)
MASK_RESOLVER(r_mask_keep_right, MASK_KEEP_RIGHT)
MASK_RESOLVER(r_mask_left, MASK_LEFT)
MASK_RESOLVER(r_mask_right, MASK_RIGHT)

const sl_function_def sl_fn_family_mask[] = {
    {"MASK", r_mask},
    {"MASK_KEEP_LEFT", r_mask_keep_left},
    {"MASK_KEEP_RIGHT", r_mask_keep_right},
    {"MASK_LEFT", r_mask_left},
    {"MASK_RIGHT", r_mask_right},
    {NULL, NULL},
};
