/* URL functions: URL_EXTRACT_{PROTOCOL,HOST,PORT,PATH,QUERY,FRAGMENT,
 * PARAMETER} and URL_{ENCODE,DECODE}_PARAM, with java.net.URI's view of a
 * URL (scheme ":" ["//" authority] path ["?" query] ["#" fragment]) and
 * java.net.URLEncoder/URLDecoder's form encoding. A part that is absent is
 * NULL; path, query and fragment come back percent-decoded as URI returns
 * them. */
#include <ctype.h>
#include <stdio.h>

#include "sql/fn_util.h"

typedef struct url_parts {
    const char *scheme, *host, *path, *query, *fragment;
    size_t scheme_n, host_n, path_n, query_n, fragment_n;
    int port; /* -1 when absent */
    bool has_scheme, has_host, has_query, has_fragment;
} url_parts;

static void split_url(const char *s, size_t n, url_parts *u)
{
    memset(u, 0, sizeof *u);
    u->port = -1;
    size_t i = 0;
    if (n && isalpha((unsigned char)s[0])) {
        size_t j = 1;
        while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '-' || s[j] == '.'))
            j++;
        if (j < n && s[j] == ':') {
            u->has_scheme = true;
            u->scheme = s;
            u->scheme_n = j;
            i = j + 1;
        }
    }
    if (i + 1 < n && s[i] == '/' && s[i + 1] == '/') {
        size_t a = i + 2, e = a;
        while (e < n && s[e] != '/' && s[e] != '?' && s[e] != '#')
            e++;
        size_t h = a;
        for (size_t k = a; k < e; k++)
            if (s[k] == '@')
                h = k + 1;
        size_t he = e;
        for (size_t k = e; k > h; k--)
            if (s[k - 1] == ':') {
                he = k - 1;
                int port = 0;
                bool digits = k < e;
                for (size_t d = k; d < e; d++) {
                    if (!isdigit((unsigned char)s[d]) || port > 65535) {
                        digits = false;
                        break;
                    }
                    port = port * 10 + (s[d] - '0');
                }
                u->port = digits ? port : -1;
                break;
            } else if (s[k - 1] == ']') {
                break;
            }
        if (he > h) {
            u->has_host = true;
            u->host = s + h;
            u->host_n = he - h;
        }
        i = e;
    }
    size_t p = i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    u->path = s + p;
    u->path_n = i - p;
    if (i < n && s[i] == '?') {
        size_t q = ++i;
        while (i < n && s[i] != '#')
            i++;
        u->has_query = true;
        u->query = s + q;
        u->query_n = i - q;
    }
    if (i < n && s[i] == '#') {
        u->has_fragment = true;
        u->fragment = s + i + 1;
        u->fragment_n = n - i - 1;
    }
}

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0' : isxdigit((unsigned char)c) ? (tolower((unsigned char)c) - 'a' + 10) : -1;
}

/* %XX decoding; plus_is_space for form data (URLDecoder) */
static sl_value decode(sl_arena *a, const char *s, size_t n, bool plus_is_space)
{
    char *out = sl_arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[o++] = plus_is_space && s[i] == '+' ? ' ' : s[i];
        }
    }
    out[o] = 0;
    return sl_string(out, (uint32_t)o);
}

enum url_part { P_PROTOCOL, P_HOST, P_PORT, P_PATH, P_QUERY, P_FRAGMENT };

static sl_err_t ev_part(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o, enum url_part part)
{
    url_parts u;
    split_url(v[0].u.s.ptr, v[0].u.s.len, &u);
    switch (part) {
    case P_PROTOCOL:
        *o = u.has_scheme ? fn_str(c->arena, u.scheme, u.scheme_n) : sl_null(SL_STRING);
        break;
    case P_HOST: *o = u.has_host ? fn_str(c->arena, u.host, u.host_n) : sl_null(SL_STRING); break;
    case P_PORT: *o = u.port >= 0 ? sl_int(u.port) : sl_null(SL_INT); break;
    case P_PATH: *o = decode(c->arena, u.path, u.path_n, false); break;
    case P_QUERY: *o = u.has_query ? decode(c->arena, u.query, u.query_n, false) : sl_null(SL_STRING); break;
    case P_FRAGMENT:
        *o = u.has_fragment ? decode(c->arena, u.fragment, u.fragment_n, false) : sl_null(SL_STRING);
        break;
    }
    return SL_OK;
}

#define PART_FN(fname, part)                                                                                   \
    static sl_err_t ev_##fname(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)                            \
    {                                                                                                          \
        return ev_part(c, n, v, o, part);                                                                      \
    }
PART_FN(protocol, P_PROTOCOL)
PART_FN(host, P_HOST)
PART_FN(port, P_PORT)
PART_FN(path, P_PATH)
PART_FN(query, P_QUERY)
PART_FN(fragment, P_FRAGMENT)

static sl_err_t r_one_string(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, sl_fn_eval ev,
                             const sl_type *ret)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_STRING))
        return sl_fn_bad_args(a, name, e);
    return fn_bind(b, ev, ret, true);
}
static sl_err_t r_protocol(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_EXTRACT_PROTOCOL", ev_protocol, &sl_type_string);
}
static sl_err_t r_host(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_EXTRACT_HOST", ev_host, &sl_type_string);
}
static sl_err_t r_port(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_EXTRACT_PORT", ev_port, &sl_type_int);
}
static sl_err_t r_path(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_EXTRACT_PATH", ev_path, &sl_type_string);
}
static sl_err_t r_query(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_EXTRACT_QUERY", ev_query, &sl_type_string);
}
static sl_err_t r_fragment(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_EXTRACT_FRAGMENT", ev_fragment, &sl_type_string);
}

/* the first value of a query parameter; "" when it has no '=' */
static sl_err_t ev_parameter(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    url_parts u;
    split_url(v[0].u.s.ptr, v[0].u.s.len, &u);
    *o = sl_null(SL_STRING);
    if (!u.has_query)
        return SL_OK;
    const char *q = u.query, *end = u.query + u.query_n;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(pe - q));
        const char *ke = eq ? eq : pe;
        sl_value name = decode(c->arena, q, (size_t)(ke - q), true);
        if (name.u.s.len == v[1].u.s.len && !memcmp(name.u.s.ptr, v[1].u.s.ptr, name.u.s.len)) {
            *o = eq ? decode(c->arena, eq + 1, (size_t)(pe - eq - 1), true) : fn_str(c->arena, "", 0);
            return SL_OK;
        }
        q = amp ? amp + 1 : end;
    }
    return SL_OK;
}
static sl_err_t r_parameter(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 2 || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING))
        return sl_fn_bad_args(a, "URL_EXTRACT_PARAMETER", e);
    return fn_bind(b, ev_parameter, &sl_type_string, true);
}

static sl_err_t ev_decode_param(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = decode(c->arena, v[0].u.s.ptr, v[0].u.s.len, true);
    return SL_OK;
}
static sl_err_t r_decode_param(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_DECODE_PARAM", ev_decode_param, &sl_type_string);
}

/* URLEncoder: letters, digits and .-*_ stay; space is +; the rest %XX of UTF-8 */
static sl_err_t ev_encode_param(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const unsigned char *s = (const unsigned char *)v[0].u.s.ptr;
    size_t len = v[0].u.s.len, k = 0;
    char *out = sl_arena_alloc(c->arena, len * 3 + 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = s[i];
        if (isalnum(ch) || ch == '.' || ch == '-' || ch == '*' || ch == '_')
            out[k++] = (char)ch;
        else if (ch == ' ')
            out[k++] = '+';
        else
            k += (size_t)sprintf(out + k, "%%%02X", ch);
    }
    *o = sl_string(out, (uint32_t)k);
    return SL_OK;
}
static sl_err_t r_encode_param(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_one_string(a, b, e, "URL_ENCODE_PARAM", ev_encode_param, &sl_type_string);
}

const sl_function_def sl_fn_family_url[] = {
    {"URL_EXTRACT_PROTOCOL", r_protocol},
    {"URL_EXTRACT_HOST", r_host},
    {"URL_EXTRACT_PORT", r_port},
    {"URL_EXTRACT_PATH", r_path},
    {"URL_EXTRACT_QUERY", r_query},
    {"URL_EXTRACT_FRAGMENT", r_fragment},
    {"URL_EXTRACT_PARAMETER", r_parameter},
    {"URL_DECODE_PARAM", r_decode_param},
    {"URL_ENCODE_PARAM", r_encode_param},
    {NULL, NULL},
};
