/* AVRO format with the Confluent wire format: a zero magic byte, the 4-byte
 * big-endian schema id, then the Avro binary body. Encoding uses the schema
 * given in the options (a topic's registered schema) or the one ksqlDB would
 * generate from the columns, registered to obtain its id. Decoding looks the
 * writer schema up by id (cached per serde) and maps fields to columns by
 * name, case-insensitively; the target SQL type guides conversions (bytes
 * to DECIMAL, long to TIMESTAMP, ...). Avro C's generic values and readers
 * are reused across records. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <avro.h>

#include "serde/avro.h"
#include "serde/confluent_header.h"
#include "serde/registry.h"
#include "serde/serde_int.h"

typedef struct writer_cache {
    int id;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t value;
} writer_cache;

typedef struct avro_impl {
    avro_schema_t wschema; /* for encoding */
    avro_value_iface_t *wiface;
    avro_value_t wvalue;
    int wid;
    char *wjson;
    writer_cache cache[8];
    int ncache;
} avro_impl;

static sl_err_t from_avro(avro_value_t *v, const sl_type *t, sl_arena *a, sl_value *out, sl_error *err, int depth);

static sl_value null_of(const sl_type *t)
{
    return sl_null(t->kind);
}

static sl_i128 be_to_i128(const unsigned char *p, size_t n)
{
    sl_i128 v = (n && (p[0] & 0x80)) ? -1 : 0;
    for (size_t i = 0; i < n; i++)
        v = (sl_i128)((unsigned __int128)v << 8) | p[i];
    return v;
}

static sl_err_t from_avro(avro_value_t *v, const sl_type *t, sl_arena *a, sl_value *out, sl_error *err, int depth)
{
    if (depth > 60)
        return sl_error_set(err, SL_ERR_RUNTIME, "Avro value nested too deeply");
    avro_type_t at = avro_value_get_type(v);
    if (at == AVRO_UNION) {
        avro_value_t branch;
        if (avro_value_get_current_branch(v, &branch))
            return sl_error_set(err, SL_ERR_RUNTIME, "bad Avro union: %s", avro_strerror());
        return from_avro(&branch, t, a, out, err, depth + 1);
    }
    if (at == AVRO_NULL) {
        *out = null_of(t);
        return SL_OK;
    }
    int32_t i32;
    int64_t i64;
    double d;
    float f;
    int b;
    const char *s;
    const void *bytes;
    size_t len;
    switch (t->kind) {
    case SL_BOOLEAN:
        if (at == AVRO_BOOLEAN && !avro_value_get_boolean(v, &b)) {
            *out = sl_bool(b != 0);
            return SL_OK;
        }
        break;
    case SL_INT:
    case SL_DATE:
    case SL_TIME:
        if (at == AVRO_INT32 && !avro_value_get_int(v, &i32)) {
            *out = t->kind == SL_INT ? sl_int(i32) : t->kind == SL_DATE ? sl_date(i32) : sl_time(i32);
            return SL_OK;
        }
        if (at == AVRO_INT64 && !avro_value_get_long(v, &i64)) {
            *out = t->kind == SL_INT ? sl_int((int32_t)i64) : t->kind == SL_DATE ? sl_date((int32_t)i64) : sl_time(i64);
            return SL_OK;
        }
        break;
    case SL_BIGINT:
    case SL_TIMESTAMP:
        if (at == AVRO_INT64 && !avro_value_get_long(v, &i64)) {
            *out = t->kind == SL_BIGINT ? sl_bigint(i64) : sl_timestamp(i64);
            return SL_OK;
        }
        if (at == AVRO_INT32 && !avro_value_get_int(v, &i32)) {
            *out = t->kind == SL_BIGINT ? sl_bigint(i32) : sl_timestamp(i32);
            return SL_OK;
        }
        break;
    case SL_DOUBLE:
        if (at == AVRO_DOUBLE && !avro_value_get_double(v, &d)) {
            *out = sl_double(d);
            return SL_OK;
        }
        if (at == AVRO_FLOAT && !avro_value_get_float(v, &f)) {
            *out = sl_double(f);
            return SL_OK;
        }
        if (at == AVRO_INT32 && !avro_value_get_int(v, &i32)) {
            *out = sl_double(i32);
            return SL_OK;
        }
        if (at == AVRO_INT64 && !avro_value_get_long(v, &i64)) {
            *out = sl_double((double)i64);
            return SL_OK;
        }
        break;
    case SL_STRING:
        if (at == AVRO_STRING && !avro_value_get_string(v, &s, &len)) {
            size_t n = len ? len - 1 : 0; /* Avro C counts the NUL */
            *out = sl_string(sl_arena_strndup(a, s, n), (uint32_t)n);
            return SL_OK;
        }
        /* an Avro integer or boolean read as a STRING column is its text,
         * as ksqlDB's Connect translation coerces it */
        if (at == AVRO_INT32 && !avro_value_get_int(v, &i32)) {
            char *txt = sl_arena_sprintf(a, "%" PRId32, i32);
            *out = sl_string(txt, (uint32_t)strlen(txt));
            return SL_OK;
        }
        if (at == AVRO_INT64 && !avro_value_get_long(v, &i64)) {
            char *txt = sl_arena_sprintf(a, "%" PRId64, i64);
            *out = sl_string(txt, (uint32_t)strlen(txt));
            return SL_OK;
        }
        if (at == AVRO_BOOLEAN && !avro_value_get_boolean(v, &b)) {
            *out = sl_cstring(b ? "true" : "false");
            return SL_OK;
        }
        if (at == AVRO_ENUM && !avro_value_get_enum(v, &b)) {
            const char *sym = avro_schema_enum_get(avro_value_get_schema(v), b);
            *out = sl_string(sl_arena_strdup(a, sym ? sym : ""), sym ? (uint32_t)strlen(sym) : 0);
            return SL_OK;
        }
        break;
    case SL_BYTES:
    case SL_DECIMAL:
        if ((at == AVRO_BYTES && !avro_value_get_bytes(v, &bytes, &len)) ||
            (at == AVRO_FIXED && !avro_value_get_fixed(v, &bytes, &len))) {
            if (t->kind == SL_BYTES) {
                *out = sl_bytes(sl_arena_strndup(a, bytes, len), (uint32_t)len);
                return SL_OK;
            }
            if (len > 16)
                return sl_error_set(err, SL_ERR_RUNTIME, "Avro decimal of %zu bytes does not fit", len);
            *out = sl_decimal(be_to_i128(bytes, len), t->precision, t->scale);
            return SL_OK;
        }
        break;
    case SL_ARRAY:
        if (at == AVRO_ARRAY && !avro_value_get_size(v, &len)) {
            sl_value arr = sl_array_new(a, (uint32_t)len);
            for (size_t i = 0; i < len; i++) {
                avro_value_t e;
                if (avro_value_get_by_index(v, i, &e, NULL))
                    return sl_error_set(err, SL_ERR_RUNTIME, "bad Avro array");
                sl_err_t rc = from_avro(&e, t->elem, a, &arr.u.c.items[i], err, depth + 1);
                if (rc)
                    return rc;
            }
            *out = arr;
            return SL_OK;
        }
        break;
    case SL_MAP:
        if (at == AVRO_MAP && !avro_value_get_size(v, &len)) {
            sl_value m = sl_map_new(a, (uint32_t)len);
            for (size_t i = 0; i < len; i++) {
                avro_value_t e;
                const char *key;
                if (avro_value_get_by_index(v, i, &e, &key))
                    return sl_error_set(err, SL_ERR_RUNTIME, "bad Avro map");
                m.u.c.items[2 * i] = sl_string(sl_arena_strdup(a, key), (uint32_t)strlen(key));
                sl_err_t rc = from_avro(&e, t->elem, a, &m.u.c.items[2 * i + 1], err, depth + 1);
                if (rc)
                    return rc;
            }
            *out = m;
            return SL_OK;
        }
        break;
    case SL_STRUCT:
        if (at == AVRO_RECORD && !avro_value_get_size(v, &len)) {
            sl_value st = sl_struct_new(a, (uint32_t)t->nfields);
            for (int i = 0; i < t->nfields; i++)
                st.u.c.items[i] = null_of(t->fields[i].type);
            for (size_t i = 0; i < len; i++) {
                avro_value_t e;
                const char *name;
                if (avro_value_get_by_index(v, i, &e, &name))
                    return sl_error_set(err, SL_ERR_RUNTIME, "bad Avro record");
                for (int k = 0; k < t->nfields; k++)
                    if (!strcasecmp(t->fields[k].name, name)) {
                        sl_err_t rc = from_avro(&e, t->fields[k].type, a, &st.u.c.items[k], err, depth + 1);
                        if (rc)
                            return rc;
                        break;
                    }
            }
            *out = st;
            return SL_OK;
        }
        break;
    default: break;
    }
    return sl_error_set(err, SL_ERR_RUNTIME, "Cannot convert Avro %s to %s", avro_schema_type_name(avro_value_get_schema(v)),
                        sl_kind_name(t->kind));
}

/* ---------- encoding ---------- */

static sl_err_t to_avro(avro_value_t *v, const sl_value *x, const sl_type *t, sl_error *err, int depth);

static int branch_for(avro_schema_t u, const sl_value *x, const sl_type *t)
{
    size_t n = avro_schema_union_size(u);
    for (size_t i = 0; i < n; i++) {
        avro_schema_t b = avro_schema_union_branch(u, (int)i);
        avro_type_t bt = avro_typeof(b);
        if (x->null) {
            if (bt == AVRO_NULL)
                return (int)i;
        } else if (bt != AVRO_NULL) {
            return (int)i;
        }
    }
    return -1;
}

static void i128_to_be(sl_i128 v, unsigned char *buf, size_t *len)
{
    unsigned char tmp[16];
    for (int i = 15; i >= 0; i--) {
        tmp[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    int start = 0;
    while (start < 15 && ((tmp[start] == 0 && !(tmp[start + 1] & 0x80)) || (tmp[start] == 0xff && (tmp[start + 1] & 0x80))))
        start++;
    *len = (size_t)(16 - start);
    memcpy(buf, tmp + start, *len);
}

/* a STRING column's text written to an Avro integer (the reverse of the
 * coercion in from_avro) */
static int64_t string_as_long(const sl_value *x)
{
    char buf[32];
    size_t n = x->u.s.len < sizeof buf - 1 ? x->u.s.len : sizeof buf - 1;
    memcpy(buf, x->u.s.ptr, n);
    buf[n] = 0;
    return strtoll(buf, NULL, 10);
}

static sl_err_t to_avro(avro_value_t *v, const sl_value *x, const sl_type *t, sl_error *err, int depth)
{
    if (depth > 60)
        return sl_error_set(err, SL_ERR_RUNTIME, "value nested too deeply for Avro");
    avro_type_t at = avro_value_get_type(v);
    if (at == AVRO_UNION) {
        int bi = branch_for(avro_value_get_schema(v), x, t);
        if (bi < 0)
            return sl_error_set(err, SL_ERR_RUNTIME, "no Avro union branch for a %s", x->null ? "NULL" : "value");
        avro_value_t branch;
        if (avro_value_set_branch(v, bi, &branch))
            return sl_error_set(err, SL_ERR_RUNTIME, "%s", avro_strerror());
        return to_avro(&branch, x, t, err, depth + 1);
    }
    if (at == AVRO_NULL)
        return x->null ? (avro_value_set_null(v), SL_OK)
                       : sl_error_set(err, SL_ERR_RUNTIME, "a value for an Avro null");
    if (x->null)
        return sl_error_set(err, SL_ERR_RUNTIME, "NULL for a non-optional Avro field");
    int rc = 0;
    switch (at) {
    case AVRO_BOOLEAN: rc = avro_value_set_boolean(v, x->u.b); break;
    case AVRO_INT32:
        rc = avro_value_set_int(v, x->kind == SL_STRING ? (int32_t)string_as_long(x)
                                   : x->kind == SL_BIGINT || x->kind == SL_TIMESTAMP || x->kind == SL_TIME ? (int32_t)x->u.l
                                                                                                         : x->u.i);
        break;
    case AVRO_INT64:
        rc = avro_value_set_long(v, x->kind == SL_STRING                        ? string_as_long(x)
                                    : x->kind == SL_INT || x->kind == SL_DATE ? x->u.i
                                                                               : x->u.l);
        break;
    case AVRO_DOUBLE: rc = avro_value_set_double(v, sl_value_as_double(x)); break;
    case AVRO_FLOAT: rc = avro_value_set_float(v, (float)sl_value_as_double(x)); break;
    case AVRO_STRING: {
        /* Avro C's length counts a terminating NUL, which our strings lack */
        char small[256];
        char *z = x->u.s.len < sizeof small ? small : malloc((size_t)x->u.s.len + 1);
        if (!z)
            return sl_error_set(err, SL_ERR_RUNTIME, "out of memory");
        if (x->u.s.len)
            memcpy(z, x->u.s.ptr, x->u.s.len);
        z[x->u.s.len] = 0;
        rc = avro_value_set_string_len(v, z, (size_t)x->u.s.len + 1);
        if (z != small)
            free(z);
        break;
    }
    case AVRO_ENUM: {
        char sym[256];
        snprintf(sym, sizeof sym, "%.*s", (int)x->u.s.len, x->u.s.ptr);
        int idx = avro_schema_enum_get_by_name(avro_value_get_schema(v), sym);
        if (idx < 0)
            return sl_error_set(err, SL_ERR_RUNTIME, "'%s' is not a symbol of the Avro enum", sym);
        rc = avro_value_set_enum(v, idx);
        break;
    }
    case AVRO_BYTES:
    case AVRO_FIXED:
        if (x->kind == SL_DECIMAL) {
            unsigned char buf[16];
            size_t n;
            i128_to_be(x->u.dec.unscaled, buf, &n);
            rc = at == AVRO_BYTES ? avro_value_set_bytes(v, buf, n) : avro_value_set_fixed(v, buf, n);
        } else {
            rc = at == AVRO_BYTES ? avro_value_set_bytes(v, (void *)x->u.s.ptr, x->u.s.len)
                                  : avro_value_set_fixed(v, (void *)x->u.s.ptr, x->u.s.len);
        }
        break;
    case AVRO_ARRAY:
        avro_value_reset(v);
        for (uint32_t i = 0; i < x->u.c.n; i++) {
            avro_value_t e;
            if (avro_value_append(v, &e, NULL))
                return sl_error_set(err, SL_ERR_RUNTIME, "%s", avro_strerror());
            sl_err_t r = to_avro(&e, &x->u.c.items[i], t && t->kind == SL_ARRAY ? t->elem : NULL, err, depth + 1);
            if (r)
                return r;
        }
        break;
    case AVRO_MAP:
        avro_value_reset(v);
        for (uint32_t i = 0; i < x->u.c.n; i++) {
            char key[1024];
            const sl_value *k = &x->u.c.items[2 * i];
            snprintf(key, sizeof key, "%.*s", (int)k->u.s.len, k->u.s.ptr);
            avro_value_t e;
            if (avro_value_add(v, key, &e, NULL, NULL))
                return sl_error_set(err, SL_ERR_RUNTIME, "%s", avro_strerror());
            sl_err_t r = to_avro(&e, &x->u.c.items[2 * i + 1], t && t->kind == SL_MAP ? t->elem : NULL, err, depth + 1);
            if (r)
                return r;
        }
        break;
    case AVRO_RECORD: {
        size_t n = 0;
        avro_value_get_size(v, &n);
        for (size_t i = 0; i < n; i++) {
            avro_value_t e;
            const char *name;
            avro_value_get_by_index(v, i, &e, &name);
            const sl_value *fx = NULL;
            const sl_type *ft = NULL;
            sl_value nul = sl_null(SL_NULLTYPE);
            for (int k = 0; t && t->kind == SL_STRUCT && k < t->nfields; k++)
                if (!strcasecmp(t->fields[k].name, name) && (uint32_t)k < x->u.c.n) {
                    fx = &x->u.c.items[k];
                    ft = t->fields[k].type;
                }
            sl_err_t r = to_avro(&e, fx ? fx : &nul, ft, err, depth + 1);
            if (r)
                return r;
        }
        break;
    }
    default: return sl_error_set(err, SL_ERR_RUNTIME, "unsupported Avro type");
    }
    return rc ? sl_error_set(err, SL_ERR_RUNTIME, "%s", avro_strerror()) : SL_OK;
}

static sl_err_t avro_encode(sl_serde *s, const sl_value *cols, sl_strbuf *out, sl_error *err)
{
    avro_impl *im = s->impl;
    avro_value_reset(&im->wvalue);
    sl_err_t rc;
    const sl_type *schema = s->schema;
    if (s->opts.unwrapped && schema->nfields == 1) {
        rc = to_avro(&im->wvalue, &cols[0], schema->fields[0].type, err, 0);
    } else {
        sl_value row = {.kind = SL_STRUCT};
        row.u.c.items = (sl_value *)cols;
        row.u.c.n = (uint32_t)schema->nfields;
        rc = to_avro(&im->wvalue, &row, schema, err, 0);
    }
    if (rc)
        return rc;
    size_t size = 0;
    if (avro_value_sizeof(&im->wvalue, &size))
        return sl_error_set(err, SL_ERR_RUNTIME, "%s", avro_strerror());
    sl_confluent_header_put(out, im->wid);
    sl_strbuf_reserve(out, size);
    avro_writer_t w = avro_writer_memory(out->data + out->len, (int64_t)size);
    int wrc = avro_value_write(w, &im->wvalue);
    avro_writer_free(w);
    if (wrc)
        return sl_error_set(err, SL_ERR_RUNTIME, "%s", avro_strerror());
    out->len += size;
    out->data[out->len] = 0;
    return SL_OK;
}

static writer_cache *writer_for(sl_serde *s, int id, sl_error *err)
{
    avro_impl *im = s->impl;
    for (int i = 0; i < im->ncache; i++)
        if (im->cache[i].id == id)
            return &im->cache[i];
    const char *json = NULL;
    if (id == im->wid && im->wjson)
        json = im->wjson;
    else if (!s->opts.schema_registry || sl_registry_by_id(s->opts.schema_registry, id, &json, err))
        return NULL;
    if (im->ncache == 8) {
        /* evict the oldest */
        avro_value_decref(&im->cache[0].value);
        avro_value_iface_decref(im->cache[0].iface);
        avro_schema_decref(im->cache[0].schema);
        memmove(&im->cache[0], &im->cache[1], 7 * sizeof im->cache[0]);
        im->ncache--;
    }
    writer_cache *c = &im->cache[im->ncache];
    if (avro_schema_from_json_length(json, strlen(json), &c->schema)) {
        sl_error_set(err, SL_ERR_RUNTIME, "bad writer schema %d: %s", id, avro_strerror());
        return NULL;
    }
    c->iface = avro_generic_class_from_schema(c->schema);
    avro_generic_value_new(c->iface, &c->value);
    c->id = id;
    im->ncache++;
    return c;
}

/* Avro C's reader allocates a string or bytes buffer of the length a record
 * claims before it checks that the bytes are there, and leaks it when they
 * are not: a truncated or hostile record could cost its claimed length in
 * memory. So each record is first walked against the writer schema, checking
 * every length and count against what remains, and only a record that fits
 * reaches avro_value_read. */
typedef struct avro_cursor {
    const unsigned char *p;
    size_t left;
} avro_cursor;

static bool cursor_long(avro_cursor *c, int64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (!c->left)
            return false;
        unsigned char b = *c->p++;
        c->left--;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return true;
        }
    }
    return false;
}

static bool cursor_skip(avro_cursor *c, int64_t n)
{
    if (n < 0 || (uint64_t)n > c->left)
        return false;
    c->p += n;
    c->left -= (size_t)n;
    return true;
}

static bool avro_fits(avro_schema_t sc, avro_cursor *c, int depth)
{
    int64_t n;
    if (depth > 64)
        return false;
    switch (avro_typeof(sc)) {
    case AVRO_NULL: return true;
    case AVRO_BOOLEAN: return cursor_skip(c, 1);
    case AVRO_INT32:
    case AVRO_INT64: return cursor_long(c, &n);
    case AVRO_FLOAT: return cursor_skip(c, 4);
    case AVRO_DOUBLE: return cursor_skip(c, 8);
    case AVRO_STRING:
    case AVRO_BYTES: return cursor_long(c, &n) && cursor_skip(c, n);
    case AVRO_FIXED: return cursor_skip(c, avro_schema_fixed_size(sc));
    case AVRO_ENUM:
        return cursor_long(c, &n) && n >= 0 && n < avro_schema_enum_number_of_symbols(sc);
    case AVRO_UNION:
        return cursor_long(c, &n) && n >= 0 && (size_t)n < avro_schema_union_size(sc) &&
               avro_fits(avro_schema_union_branch(sc, (int)n), c, depth + 1);
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(sc); i++)
            if (!avro_fits(avro_schema_record_field_get_by_index(sc, (int)i), c, depth + 1))
                return false;
        return true;
    case AVRO_LINK: return avro_fits(avro_schema_link_target(sc), c, depth + 1);
    case AVRO_ARRAY:
    case AVRO_MAP: {
        bool map = avro_typeof(sc) == AVRO_MAP;
        avro_schema_t items = map ? avro_schema_map_values(sc) : avro_schema_array_items(sc);
        for (;;) {
            if (!cursor_long(c, &n))
                return false;
            if (n == 0)
                return true;
            if (n < 0) {
                int64_t bytes;
                if (!cursor_long(c, &bytes) || n == INT64_MIN)
                    return false;
                n = -n;
            }
            /* every item takes at least a byte unless it is null: bound the loop */
            if ((uint64_t)n > c->left + 1 && avro_typeof(items) != AVRO_NULL)
                return false;
            if ((uint64_t)n > ((uint64_t)1 << 24))
                return false;
            for (int64_t i = 0; i < n; i++) {
                int64_t klen;
                if (map && !(cursor_long(c, &klen) && cursor_skip(c, klen)))
                    return false;
                if (!avro_fits(items, c, depth + 1))
                    return false;
            }
        }
    }
    default: return false;
    }
}

static sl_err_t avro_decode(sl_serde *s, const void *data, size_t len, sl_value *cols, sl_arena *a, sl_error *err)
{
    const unsigned char *p = data;
    int32_t id;
    if (!sl_confluent_header_get(data, len, &id))
        return sl_error_set(err, SL_ERR_RUNTIME, "Unknown magic byte!");
    writer_cache *w = writer_for(s, id, err);
    if (!w)
        return err->code ? err->code : sl_error_set(err, SL_ERR_RUNTIME, "unknown schema id %d", id);
    avro_cursor cur = {p + 5, len - 5};
    if (!avro_fits(w->schema, &cur, 0))
        return sl_error_set(err, SL_ERR_RUNTIME, "bad Avro data: the record does not match schema id %d", id);
    avro_value_reset(&w->value);
    avro_reader_t r = avro_reader_memory((const char *)p + 5, (int64_t)(len - 5));
    int rrc = avro_value_read(r, &w->value);
    avro_reader_free(r);
    if (rrc)
        return sl_error_set(err, SL_ERR_RUNTIME, "bad Avro data: %s", avro_strerror());
    const sl_type *schema = s->schema;
    if (s->opts.unwrapped && schema->nfields == 1)
        return from_avro(&w->value, schema->fields[0].type, a, &cols[0], err, 0);
    sl_value row;
    sl_err_t rc = from_avro(&w->value, schema, a, &row, err, 0);
    if (rc)
        return rc;
    for (int i = 0; i < schema->nfields; i++)
        cols[i] = row.null ? null_of(schema->fields[i].type) : row.u.c.items[i];
    return SL_OK;
}

static void avro_destroy(sl_serde *s)
{
    avro_impl *im = s->impl;
    if (!im)
        return;
    for (int i = 0; i < im->ncache; i++) {
        avro_value_decref(&im->cache[i].value);
        avro_value_iface_decref(im->cache[i].iface);
        avro_schema_decref(im->cache[i].schema);
    }
    if (im->wiface) {
        avro_value_decref(&im->wvalue);
        avro_value_iface_decref(im->wiface);
    }
    if (im->wschema)
        avro_schema_decref(im->wschema);
    free(im->wjson);
    free(im);
}

static const sl_serde_vtable avro_vt = {avro_decode, avro_encode, avro_destroy};

sl_err_t sl_serde_avro_init(sl_serde *s, sl_error *err)
{
    avro_impl *im = calloc(1, sizeof *im);
    s->impl = im;
    s->vt = &avro_vt;
    im->wjson = s->opts.avro_schema_json ? strdup(s->opts.avro_schema_json) : sl_avro_schema_for(s->schema, &s->opts);
    if (avro_schema_from_json_length(im->wjson, strlen(im->wjson), &im->wschema)) {
        sl_err_t rc = sl_error_set(err, SL_ERR_INVALID, "invalid Avro schema: %s", avro_strerror());
        avro_destroy(s);
        s->impl = NULL;
        return rc;
    }
    im->wiface = avro_generic_class_from_schema(im->wschema);
    avro_generic_value_new(im->wiface, &im->wvalue);
    im->wid = s->opts.schema_id;
    if (s->opts.schema_registry && s->opts.subject) {
        if (sl_registry_register(s->opts.schema_registry, s->opts.subject, im->wjson, &im->wid, err)) {
            avro_destroy(s);
            s->impl = NULL;
            return err->code;
        }
    }
    return SL_OK;
}
