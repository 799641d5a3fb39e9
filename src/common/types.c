/* Type constructors and printing. Printing follows ksqlDB's own spelling so
 * that error messages read like ksqlDB's. */
#include "common/types.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/strbuf.h"

const sl_type sl_type_boolean = {.kind = SL_BOOLEAN};
const sl_type sl_type_int = {.kind = SL_INT};
const sl_type sl_type_bigint = {.kind = SL_BIGINT};
const sl_type sl_type_double = {.kind = SL_DOUBLE};
const sl_type sl_type_string = {.kind = SL_STRING};
const sl_type sl_type_bytes = {.kind = SL_BYTES};
const sl_type sl_type_timestamp = {.kind = SL_TIMESTAMP};
const sl_type sl_type_date = {.kind = SL_DATE};
const sl_type sl_type_time = {.kind = SL_TIME};
const sl_type sl_type_null = {.kind = SL_NULLTYPE};

const sl_type *sl_type_primitive(sl_kind kind)
{
    switch (kind) {
    case SL_BOOLEAN: return &sl_type_boolean;
    case SL_INT: return &sl_type_int;
    case SL_BIGINT: return &sl_type_bigint;
    case SL_DOUBLE: return &sl_type_double;
    case SL_STRING: return &sl_type_string;
    case SL_BYTES: return &sl_type_bytes;
    case SL_TIMESTAMP: return &sl_type_timestamp;
    case SL_DATE: return &sl_type_date;
    case SL_TIME: return &sl_type_time;
    case SL_NULLTYPE: return &sl_type_null;
    default: return NULL;
    }
}

const sl_type *sl_type_decimal(sl_arena *a, int precision, int scale)
{
    sl_type *t = sl_arena_calloc(a, 1, sizeof *t);
    t->kind = SL_DECIMAL;
    t->precision = precision;
    t->scale = scale;
    return t;
}

const sl_type *sl_type_array(sl_arena *a, const sl_type *elem)
{
    sl_type *t = sl_arena_calloc(a, 1, sizeof *t);
    t->kind = SL_ARRAY;
    t->elem = elem;
    return t;
}

const sl_type *sl_type_map(sl_arena *a, const sl_type *key, const sl_type *value)
{
    sl_type *t = sl_arena_calloc(a, 1, sizeof *t);
    t->kind = SL_MAP;
    t->key = key;
    t->elem = value;
    return t;
}

const sl_type *sl_type_struct(sl_arena *a, int nfields, const sl_field *fields)
{
    sl_type *t = sl_arena_calloc(a, 1, sizeof *t);
    t->kind = SL_STRUCT;
    t->nfields = nfields;
    sl_field *f = sl_arena_calloc(a, nfields ? (size_t)nfields : 1, sizeof *f);
    for (int i = 0; i < nfields; i++) {
        f[i].name = sl_arena_strdup(a, fields[i].name);
        f[i].type = fields[i].type;
    }
    t->fields = f;
    /* readers matching names without case (JSON) look for an exact match
     * only when one can exist */
    for (int i = 0; i < nfields && !t->case_twins; i++)
        for (int k = i + 1; k < nfields; k++)
            if (!strcasecmp(f[i].name, f[k].name))
                t->case_twins = true;
    return t;
}

bool sl_type_equal(const sl_type *a, const sl_type *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SL_DECIMAL: return a->precision == b->precision && a->scale == b->scale;
    case SL_ARRAY: return sl_type_equal(a->elem, b->elem);
    case SL_MAP: return sl_type_equal(a->key, b->key) && sl_type_equal(a->elem, b->elem);
    case SL_STRUCT:
        if (a->nfields != b->nfields)
            return false;
        for (int i = 0; i < a->nfields; i++)
            if (strcmp(a->fields[i].name, b->fields[i].name) ||
                !sl_type_equal(a->fields[i].type, b->fields[i].type))
                return false;
        return true;
    default: return true;
    }
}

bool sl_type_is_numeric(const sl_type *t)
{
    return t->kind == SL_INT || t->kind == SL_BIGINT || t->kind == SL_DOUBLE ||
           t->kind == SL_DECIMAL;
}

int sl_type_field_index(const sl_type *t, const char *name)
{
    if (t->kind != SL_STRUCT)
        return -1;
    for (int i = 0; i < t->nfields; i++)
        if (!strcmp(t->fields[i].name, name))
            return i;
    return -1;
}

const char *sl_kind_name(sl_kind k)
{
    static const char *names[SL_KIND_COUNT] = {
        "BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "DECIMAL", "STRING", "BYTES",
        "TIMESTAMP", "DATE", "TIME", "ARRAY", "MAP", "STRUCT", "NULL"};
    return (unsigned)k < SL_KIND_COUNT ? names[k] : "?";
}

static void type_print(sl_strbuf *sb, const sl_type *t)
{
    switch (t->kind) {
    case SL_DECIMAL: sl_strbuf_printf(sb, "DECIMAL(%d, %d)", t->precision, t->scale); break;
    case SL_ARRAY:
        sl_strbuf_puts(sb, "ARRAY<");
        type_print(sb, t->elem);
        sl_strbuf_puts(sb, ">");
        break;
    case SL_MAP:
        sl_strbuf_puts(sb, "MAP<");
        type_print(sb, t->key);
        sl_strbuf_puts(sb, ", ");
        type_print(sb, t->elem);
        sl_strbuf_puts(sb, ">");
        break;
    case SL_STRUCT:
        sl_strbuf_puts(sb, "STRUCT<");
        for (int i = 0; i < t->nfields; i++) {
            if (i)
                sl_strbuf_puts(sb, ", ");
            sl_strbuf_printf(sb, "`%s` ", t->fields[i].name);
            type_print(sb, t->fields[i].type);
        }
        sl_strbuf_puts(sb, ">");
        break;
    default: sl_strbuf_puts(sb, sl_kind_name(t->kind));
    }
}

const char *sl_type_to_sql(sl_arena *a, const sl_type *t)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    type_print(&sb, t);
    const char *s = sl_arena_strndup(a, sb.data ? sb.data : "", sb.len);
    sl_strbuf_free(&sb);
    return s;
}
