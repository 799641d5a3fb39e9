/* Regular expression and splitting functions: REGEXP_EXTRACT,
 * REGEXP_EXTRACT_ALL, REGEXP_REPLACE, REGEXP_SPLIT_TO_ARRAY, SPLIT_TO_MAP.
 *
 * Patterns are Java regexes in ksqlDB; PCRE2 (UTF mode) accepts the same
 * syntax for everything but a few exotic constructs. PCRE2 allocates through
 * a general context that draws from our arenas: a literal pattern is compiled
 * once into the query arena, a pattern from a column per record into the
 * batch arena, so nothing needs freeing and nothing leaks. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>

#include "sql/fn_util.h"

static void *arena_malloc(size_t n, void *arena)
{
    return sl_arena_alloc(arena, n ? n : 1);
}
static void arena_free(void *p, void *arena)
{
    /* released with the arena */
}

typedef struct rx_state {
    pcre2_code *code; /* literal pattern, or NULL */
    int pattern_arg;
} rx_state;

static pcre2_code *compile(const char *p, size_t n, sl_arena *arena, char *msg, size_t msglen)
{
    pcre2_general_context *gc = pcre2_general_context_create(arena_malloc, arena_free, arena);
    pcre2_compile_context *cc = pcre2_compile_context_create(gc);
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)p, n, PCRE2_UTF, &errcode, &erroff, cc);
    if (!code) {
        PCRE2_UCHAR buf[160];
        pcre2_get_error_message(errcode, buf, sizeof buf);
        snprintf(msg, msglen, "Invalid regular expression '%.*s' at %zu: %s", (int)(n > 100 ? 100 : n), p,
                 (size_t)erroff, (char *)buf);
    }
    return code;
}

static pcre2_code *pattern_of(sl_fn_ctx *c, const sl_value *v)
{
    const rx_state *st = c->state;
    if (st->code)
        return st->code;
    char msg[300];
    pcre2_code *code = compile(v->u.s.ptr, v->u.s.len, c->arena, msg, sizeof msg);
    if (!code)
        sl_error_set(c->err, SL_ERR_RUNTIME, "%s", msg);
    return code;
}

static pcre2_match_data *match_data(sl_fn_ctx *c, pcre2_code *code)
{
    pcre2_general_context *gc = pcre2_general_context_create(arena_malloc, arena_free, c->arena);
    return pcre2_match_data_create_from_pattern(code, gc);
}

static sl_err_t bind_pattern(const sl_fn_args *a, int idx, sl_fn_binding *b, sl_error *e)
{
    rx_state *st = sl_arena_calloc(a->arena, 1, sizeof *st);
    st->pattern_arg = idx;
    b->state = st;
    const sl_value *lit = a->literals[idx];
    if (lit && !lit->null && lit->kind == SL_STRING) {
        char msg[300];
        st->code = compile(lit->u.s.ptr, lit->u.s.len, a->arena, msg, sizeof msg);
        if (!st->code)
            return sl_error_set(e, SL_ERR_INVALID, "%s", msg);
    }
    return SL_OK;
}

/* a list grown in the arena by doubling: room for items[count] */
static sl_value *room_for_one(sl_arena *a, sl_value *items, size_t count, size_t *cap)
{
    if (count < *cap)
        return items;
    sl_value *bigger = sl_arena_alloc(a, *cap * 2 * sizeof *items);
    memcpy(bigger, items, *cap * sizeof *items);
    *cap *= 2;
    return bigger;
}

/* ---------- REGEXP_EXTRACT(pattern, input [, group]) ---------- */

static sl_err_t ev_extract(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    pcre2_code *code = pattern_of(c, &v[0]);
    if (!code)
        return SL_ERR_RUNTIME;
    int64_t group = n > 2 ? fn_int(&v[2]) : 0;
    pcre2_match_data *md = match_data(c, code);
    int rc = pcre2_match(code, (PCRE2_SPTR)v[1].u.s.ptr, v[1].u.s.len, 0, 0, md, NULL);
    if (rc <= 0) {
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (group < 0 || group >= rc || ov[2 * group] == PCRE2_UNSET) {
        *o = sl_null(SL_STRING);
        return SL_OK;
    }
    *o = fn_str(c->arena, v[1].u.s.ptr + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    return SL_OK;
}
static sl_err_t r_extract(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 2 || a->argc > 3 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) ||
        (a->argc == 3 && !fn_integral(a, 2)))
        return sl_fn_bad_args(a, "REGEXP_EXTRACT", e);
    if (bind_pattern(a, 0, b, e))
        return SL_ERR_INVALID;
    return fn_bind(b, ev_extract, &sl_type_string, true);
}

/* ---------- REGEXP_EXTRACT_ALL(pattern, input [, group]) ---------- */

/* next match start after a match at [s, e): an empty match advances one char */
static size_t next_start(const char *text, size_t len, size_t s, size_t e)
{
    if (e > s)
        return e;
    size_t p = e + 1;
    while (p < len && ((unsigned char)text[p] & 0xc0) == 0x80)
        p++;
    return p;
}

static sl_err_t ev_extract_all(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    pcre2_code *code = pattern_of(c, &v[0]);
    if (!code)
        return SL_ERR_RUNTIME;
    int64_t group = n > 2 ? fn_int(&v[2]) : 0;
    pcre2_match_data *md = match_data(c, code);
    const char *text = v[1].u.s.ptr;
    size_t len = v[1].u.s.len, pos = 0, count = 0, cap = 4;
    sl_value *items = sl_arena_alloc(c->arena, cap * sizeof *items);
    while (pos <= len) {
        int rc = pcre2_match(code, (PCRE2_SPTR)text, len, pos, 0, md, NULL);
        if (rc <= 0)
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        items = room_for_one(c->arena, items, count, &cap);
        if (group < 0 || group >= rc || ov[2 * group] == PCRE2_UNSET)
            items[count++] = sl_null(SL_STRING);
        else
            items[count++] = fn_str(c->arena, text + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
        pos = next_start(text, len, ov[0], ov[1]);
    }
    sl_value r = sl_array_new(c->arena, (uint32_t)count);
    if (count)
        memcpy(r.u.c.items, items, count * sizeof *items);
    *o = r;
    return SL_OK;
}
static sl_err_t r_extract_all(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc < 2 || a->argc > 3 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) ||
        (a->argc == 3 && !fn_integral(a, 2)))
        return sl_fn_bad_args(a, "REGEXP_EXTRACT_ALL", e);
    if (bind_pattern(a, 0, b, e))
        return SL_ERR_INVALID;
    return fn_bind(b, ev_extract_all, sl_type_array(a->arena, &sl_type_string), true);
}

/* ---------- REGEXP_REPLACE(input, pattern, replacement) ---------- */

static sl_err_t ev_replace(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    pcre2_code *code = pattern_of(c, &v[1]);
    if (!code)
        return SL_ERR_RUNTIME;
    size_t cap = v[0].u.s.len * 2 + v[2].u.s.len + 64;
    for (int attempt = 0; attempt < 8; attempt++) {
        PCRE2_UCHAR *buf = sl_arena_alloc(c->arena, cap);
        PCRE2_SIZE outlen = cap;
        int rc = pcre2_substitute(code, (PCRE2_SPTR)v[0].u.s.ptr, v[0].u.s.len, 0,
                                  PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, NULL, NULL,
                                  (PCRE2_SPTR)v[2].u.s.ptr, v[2].u.s.len, buf, &outlen);
        if (rc >= 0) {
            *o = sl_string((const char *)buf, (uint32_t)outlen);
            return SL_OK;
        }
        if (rc != PCRE2_ERROR_NOMEMORY) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return sl_error_set(c->err, SL_ERR_RUNTIME, "REGEXP_REPLACE: %s", (char *)msg);
        }
        cap = outlen + 1;
    }
    return sl_error_set(c->err, SL_ERR_RUNTIME, "REGEXP_REPLACE: result too large");
}
static sl_err_t r_replace(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 3 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) || !fn_kind(a, 2, SL_STRING))
        return sl_fn_bad_args(a, "REGEXP_REPLACE", e);
    if (bind_pattern(a, 1, b, e))
        return SL_ERR_INVALID;
    return fn_bind(b, ev_replace, &sl_type_string, true);
}

/* ---------- REGEXP_SPLIT_TO_ARRAY(input, pattern) ---------- */

static sl_err_t ev_split(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    pcre2_code *code = pattern_of(c, &v[1]);
    if (!code)
        return SL_ERR_RUNTIME;
    pcre2_match_data *md = match_data(c, code);
    const char *text = v[0].u.s.ptr;
    size_t len = v[0].u.s.len, pos = 0, piece = 0, count = 0, cap = 4;
    sl_value *items = sl_arena_alloc(c->arena, cap * sizeof *items);
    for (;;) {
        int rc = pos <= len ? pcre2_match(code, (PCRE2_SPTR)text, len, pos, 0, md, NULL) : -1;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        bool found = rc > 0;
        /* a zero-width match at the very start does not split (as Java) */
        if (found && ov[1] == ov[0] && ov[0] == 0) {
            pos = next_start(text, len, 0, 0);
            continue;
        }
        size_t end = found ? ov[0] : len;
        items = room_for_one(c->arena, items, count, &cap);
        items[count++] = fn_str(c->arena, text + piece, end - piece);
        if (!found)
            break;
        piece = ov[1];
        pos = next_start(text, len, ov[0], ov[1]);
        if (ov[0] == ov[1] && ov[0] >= len)
            break;
    }
    sl_value r = sl_array_new(c->arena, (uint32_t)count);
    memcpy(r.u.c.items, items, count * sizeof *items);
    *o = r;
    return SL_OK;
}
static sl_err_t r_split(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING))
        return sl_fn_bad_args(a, "REGEXP_SPLIT_TO_ARRAY", e);
    if (bind_pattern(a, 1, b, e))
        return SL_ERR_INVALID;
    return fn_bind(b, ev_split, sl_type_array(a->arena, &sl_type_string), true);
}

/* ---------- SPLIT_TO_MAP(input, entry_delimiter, kv_delimiter) ---------- */

static const char *find(const char *s, size_t n, const char *d, size_t dn)
{
    for (size_t i = 0; i + dn <= n; i++)
        if (!memcmp(s + i, d, dn))
            return s + i;
    return NULL;
}

static sl_err_t ev_split_to_map(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const char *s = v[0].u.s.ptr, *ed = v[1].u.s.ptr, *kd = v[2].u.s.ptr;
    size_t len = v[0].u.s.len, edn = v[1].u.s.len, kdn = v[2].u.s.len;
    if (!edn || !kdn) {
        *o = sl_null(SL_MAP);
        return SL_OK;
    }
    /* at most one pair per entry delimiter + 1 */
    size_t max = 1;
    for (const char *p = s; (p = find(p, len - (size_t)(p - s), ed, edn)); p += edn)
        max++;
    sl_value m = sl_map_new(c->arena, (uint32_t)max);
    uint32_t np = 0;
    const char *p = s, *end = s + len;
    while (p <= end) {
        const char *q = find(p, (size_t)(end - p), ed, edn);
        const char *entry_end = q ? q : end;
        const char *kv = find(p, (size_t)(entry_end - p), kd, kdn);
        if (entry_end > p && kv) {
            sl_value key = fn_str(c->arena, p, (size_t)(kv - p));
            /* the value is the second piece only: "a:b:c" maps a to b */
            const char *vend = find(kv + kdn, (size_t)(entry_end - kv - kdn), kd, kdn);
            sl_value val = fn_str(c->arena, kv + kdn, (size_t)((vend ? vend : entry_end) - kv - kdn));
            /* a repeated key keeps its last value */
            uint32_t i = 0;
            while (i < np && !sl_value_equal(&m.u.c.items[2 * i], &key))
                i++;
            m.u.c.items[2 * i] = key;
            m.u.c.items[2 * i + 1] = val;
            if (i == np)
                np++;
        }
        if (!q)
            break;
        p = q + edn;
    }
    m.u.c.n = np;
    *o = m;
    return SL_OK;
}
static sl_err_t r_split_to_map(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 3 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) || !fn_kind(a, 2, SL_STRING))
        return sl_fn_bad_args(a, "SPLIT_TO_MAP", e);
    return fn_bind(b, ev_split_to_map, sl_type_map(a->arena, &sl_type_string, &sl_type_string), true);
}

const sl_function_def sl_fn_family_regex[] = {
    {"REGEXP_EXTRACT", r_extract},
    {"REGEXP_EXTRACT_ALL", r_extract_all},
    {"REGEXP_REPLACE", r_replace},
    {"REGEXP_SPLIT_TO_ARRAY", r_split},
    {"SPLIT_TO_MAP", r_split_to_map},
    {NULL, NULL},
};
