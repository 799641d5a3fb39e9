/* Test input loading (see test_input.h). A light scanner walks the text
 * once to find each record of "inputs" and the spans of its "key" and
 * "value", and the integers jansson cannot hold; jansson then loads the
 * text with those integers made reals (".0" appended), and the spans are
 * attached to the records. The scanner does not validate: on text it cannot
 * follow it gives up and jansson alone decides (and reports the error). */
#include "runtime/test_input.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

#define MAX_DEPTH 200

typedef struct span {
    const char *key, *key_end, *value, *value_end;
} span;

typedef struct scan {
    const char *p, *end;
    span *spans;
    size_t nspans, cap;
    const char **big; /* ends of integers beyond 64 bits */
    size_t nbig, bigcap;
    int depth;
} scan;

enum { ANY, ROOT, INPUTS, RECORD };

static void ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* a string token: its raw contents (escapes as written) */
static bool string(scan *s, const char **str, size_t *len)
{
    if (s->p >= s->end || *s->p != '"')
        return false;
    const char *q = ++s->p;
    while (q < s->end && *q != '"')
        q += *q == '\\' ? 2 : 1;
    if (q >= s->end)
        return false;
    *str = s->p;
    *len = (size_t)(q - s->p);
    s->p = q + 1;
    return true;
}

static bool fits_int64(const char *d, size_t n)
{
    bool neg = n && *d == '-';
    d += neg, n -= neg;
    while (n > 1 && *d == '0')
        d++, n--;
    const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
    return n < 19 || (n == 19 && memcmp(d, lim, 19) <= 0);
}

static bool number(scan *s)
{
    const char *st = s->p;
    bool integral = true;
    while (s->p < s->end && strchr("+-0123456789.eE", *s->p)) {
        if (*s->p == '.' || *s->p == 'e' || *s->p == 'E')
            integral = false;
        s->p++;
    }
    if (s->p == st)
        return false;
    if (integral && !fits_int64(st, (size_t)(s->p - st))) {
        if (s->nbig == s->bigcap) {
            s->bigcap = s->bigcap ? 2 * s->bigcap : 8;
            s->big = realloc(s->big, s->bigcap * sizeof *s->big);
        }
        s->big[s->nbig++] = s->p;
    }
    return true;
}

static bool literal(scan *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
        return false;
    s->p += n;
    return true;
}

static bool named(const char *k, size_t kl, const char *name)
{
    return kl == strlen(name) && !memcmp(k, name, kl);
}

static bool value(scan *s, int role);

static bool object(scan *s, int role)
{
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return true;
    }
    for (;;) {
        ws(s);
        const char *k;
        size_t kl;
        if (!string(s, &k, &kl))
            return false;
        ws(s);
        if (s->p >= s->end || *s->p != ':')
            return false;
        s->p++;
        ws(s);
        int inner = role == ROOT && named(k, kl, "inputs") ? INPUTS : ANY;
        const char *start = s->p;
        if (!value(s, inner))
            return false;
        if (role == RECORD && s->nspans) {
            span *sp = &s->spans[s->nspans - 1];
            if (named(k, kl, "key"))
                sp->key = start, sp->key_end = s->p;
            else if (named(k, kl, "value"))
                sp->value = start, sp->value_end = s->p;
        }
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return true;
        }
        return false;
    }
}

static bool array(scan *s, int role)
{
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return true;
    }
    for (;;) {
        ws(s);
        if (role == INPUTS) {
            if (s->nspans == s->cap) {
                s->cap = s->cap ? 2 * s->cap : 16;
                s->spans = realloc(s->spans, s->cap * sizeof *s->spans);
            }
            s->spans[s->nspans++] = (span){0};
        }
        if (!value(s, role == INPUTS ? RECORD : ANY))
            return false;
        ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return true;
        }
        return false;
    }
}

static bool value(scan *s, int role)
{
    if (++s->depth > MAX_DEPTH)
        return false;
    ws(s);
    bool ok;
    const char *str;
    size_t len;
    if (s->p >= s->end)
        ok = false;
    else if (*s->p == '{')
        ok = object(s, role == ROOT || role == RECORD ? role : ANY);
    else if (*s->p == '[')
        ok = array(s, role == INPUTS ? INPUTS : ANY);
    else if (*s->p == '"')
        ok = string(s, &str, &len);
    else if (*s->p == 't' || *s->p == 'f' || *s->p == 'n')
        ok = literal(s, "true") || literal(s, "false") || literal(s, "null");
    else
        ok = number(s);
    s->depth--;
    return ok;
}

json_t *sl_test_input_loads(const char *text, size_t len, json_error_t *err)
{
    scan s = {.p = text, .end = text + len};
    bool ok = value(&s, ROOT);
    json_t *root;
    if (ok && s.nbig) {
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        const char *from = text;
        for (size_t i = 0; i < s.nbig; i++) {
            sl_strbuf_append(&sb, from, (size_t)(s.big[i] - from));
            sl_strbuf_puts(&sb, ".0");
            from = s.big[i];
        }
        sl_strbuf_append(&sb, from, (size_t)(text + len - from));
        root = json_loadb(sb.data, sb.len, 0, err);
        sl_strbuf_free(&sb);
    } else {
        root = json_loadb(text, len, 0, err);
    }
    json_t *inputs = json_object_get(root, "inputs");
    for (size_t i = 0; ok && i < s.nspans && i < json_array_size(inputs); i++) {
        json_t *rec = json_array_get(inputs, i);
        const span *sp = &s.spans[i];
        if (!json_is_object(rec))
            continue;
        if (sp->key)
            json_object_set_new(rec, SL_TEST_RAW_KEY, json_stringn(sp->key, (size_t)(sp->key_end - sp->key)));
        if (sp->value)
            json_object_set_new(rec, SL_TEST_RAW_VALUE,
                                json_stringn(sp->value, (size_t)(sp->value_end - sp->value)));
    }
    free(s.spans);
    free(s.big);
    return root;
}

json_t *sl_test_input_load(const char *path, json_error_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        /* as jansson reports it */
        return json_load_file(path, 0, err);
    }
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sl_strbuf_append(&sb, buf, n);
    fclose(f);
    json_t *root = sl_test_input_loads(sb.data ? sb.data : "", sb.len, err);
    sl_strbuf_free(&sb);
    return root;
}
