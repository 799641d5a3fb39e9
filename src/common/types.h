/* SQL types (ksqlDB's type system). A type is an immutable tree; primitive
 * types are static singletons, composite ones live in the arena of the query
 * that built them. Types are compared structurally with sl_type_equal. */
#ifndef SL_TYPES_H
#define SL_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"

typedef enum sl_kind {
    SL_BOOLEAN,
    SL_INT,
    SL_BIGINT,
    SL_DOUBLE,
    SL_DECIMAL,
    SL_STRING,
    SL_BYTES,
    SL_TIMESTAMP, /* ms since epoch, UTC */
    SL_DATE,      /* days since epoch */
    SL_TIME,      /* ms since midnight */
    SL_ARRAY,
    SL_MAP,
    SL_STRUCT,
    SL_NULLTYPE, /* the type of a bare NULL literal before it is cast */
    SL_KIND_COUNT
} sl_kind;

typedef struct sl_type sl_type;

typedef struct sl_field {
    const char *name; /* as written (case preserved if quoted) */
    const sl_type *type;
} sl_field;

struct sl_type {
    sl_kind kind;
    int precision, scale;  /* DECIMAL */
    const sl_type *elem;   /* ARRAY element; MAP value */
    const sl_type *key;    /* MAP key */
    int nfields;           /* STRUCT */
    const sl_field *fields;
    bool case_twins;       /* STRUCT: two field names differ only in ASCII case */
};

extern const sl_type sl_type_boolean, sl_type_int, sl_type_bigint, sl_type_double,
    sl_type_string, sl_type_bytes, sl_type_timestamp, sl_type_date, sl_type_time,
    sl_type_null;

const sl_type *sl_type_primitive(sl_kind kind); /* NULL for composite kinds */
const sl_type *sl_type_decimal(sl_arena *arena, int precision, int scale);
const sl_type *sl_type_array(sl_arena *arena, const sl_type *elem);
const sl_type *sl_type_map(sl_arena *arena, const sl_type *key, const sl_type *value);
/* fields are copied into the arena */
const sl_type *sl_type_struct(sl_arena *arena, int nfields, const sl_field *fields);

bool sl_type_equal(const sl_type *a, const sl_type *b);
bool sl_type_is_numeric(const sl_type *t); /* INT BIGINT DOUBLE DECIMAL */
/* index of a STRUCT field by name (case-sensitive), or -1 */
int sl_type_field_index(const sl_type *t, const char *name);
/* ksqlDB's spelling: INTEGER, BIGINT, DECIMAL(4, 2), ARRAY<STRING>,
 * MAP<STRING, INTEGER>, STRUCT<`A` INTEGER, ...>. Written into the arena. */
const char *sl_type_to_sql(sl_arena *arena, const sl_type *t);
const char *sl_kind_name(sl_kind kind);

#endif
