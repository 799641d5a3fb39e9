/* A small reader of `.proto` source (proto2 and proto3), for PROTOBUF
 * sources whose columns come from the schema their producers registered,
 * as ksqlDB infers them (through Confluent's ProtobufData).
 *
 * It keeps what the columns and the wire need: messages (nested ones too,
 * with their full names and the message-index path the Confluent header
 * names them by), fields with numbers, labels and types, enums, oneofs
 * (a STRUCT of their fields, as Confluent's converter shows them), map<K,V> (an entry message with
 * key = 1 and value = 2, as protoc makes it) and imports, resolved through
 * a callback (the registry's schema references). Options are skipped, except
 * the precision and scale of a confluent.type.Decimal field. Everything
 * lives in the caller's arena; malformed text gets an error with its
 * line:col, never a crash. */
#ifndef SL_PROTO_SCHEMA_H
#define SL_PROTO_SCHEMA_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"

/* messages nest at most this deep (the reader refuses deeper ones) */
#define SL_PROTO_MAX_DEPTH 32

typedef enum sl_proto_kind {
    SL_PB_DOUBLE,
    SL_PB_FLOAT,
    SL_PB_INT32,
    SL_PB_INT64,
    SL_PB_UINT32,
    SL_PB_UINT64,
    SL_PB_SINT32,
    SL_PB_SINT64,
    SL_PB_FIXED32,
    SL_PB_FIXED64,
    SL_PB_SFIXED32,
    SL_PB_SFIXED64,
    SL_PB_BOOL,
    SL_PB_STRING,
    SL_PB_BYTES,
    SL_PB_ENUM,
    SL_PB_MESSAGE,
} sl_proto_kind;

typedef struct sl_proto_enum {
    const char *name, *full_name;
    int nvalues;
    const char **value_names;
    const int *value_numbers;
} sl_proto_enum;

typedef struct sl_proto_message sl_proto_message;

typedef struct sl_proto_field {
    const char *name;
    int number;
    bool repeated;
    sl_proto_kind kind;
    const char *type_name;                 /* ENUM/MESSAGE: as written */
    const sl_proto_message *message;       /* MESSAGE, resolved (NULL: well-known, see below) */
    const sl_proto_enum *enumeration;      /* ENUM, resolved */
    int decimal_precision, decimal_scale;  /* confluent.field_meta params; 0 unset */
    int line, col;
} sl_proto_field;

struct sl_proto_message {
    const char *name, *full_name; /* full: package.Outer.Inner */
    int nfields;
    sl_proto_field *fields;
    int nnested;
    sl_proto_message **nested;
    int nenums;
    sl_proto_enum **enums;
    bool map_entry; /* the entry of a map<K,V> field */
    /* a oneof, as Confluent's converter makes it a column: a STRUCT named
     * <oneof>_<index> holding its fields, at the place of its first field;
     * its fields are on the wire of the message that holds it (the field
     * standing for it has number 0) */
    bool inline_oneof;
    /* the Confluent message-index path: indexes among the file's top-level
     * messages, then among each one's nested messages */
    int index_depth;
    int index_path[SL_PROTO_MAX_DEPTH + 2];
};

typedef struct sl_proto_file {
    const char *package; /* "" when none */
    int nmessages;
    sl_proto_message **messages; /* top level, in order */
    int nenums;
    sl_proto_enum **enums;
} sl_proto_file;

/* The text of an imported file by its import name, or NULL when unknown
 * (well-known Google and Confluent types need no text). */
typedef const char *(*sl_proto_import_fn)(void *ud, const char *import_name);

const sl_proto_file *sl_proto_parse(const char *text, sl_arena *arena, sl_proto_import_fn imports, void *ud,
                                    sl_error *err);

/* full_name NULL or "": the file's first message. Otherwise the message of
 * that full name (package included), or, when the file has a package, the
 * name without it. NULL with err when absent. */
const sl_proto_message *sl_proto_find_message(const sl_proto_file *file, const char *full_name, sl_error *err);

/* The SQL type of a message, as ksqlDB infers it: a STRUCT of its fields;
 * integers of 32 bits or fewer INT (uint32 BIGINT), 64-bit BIGINT, float
 * and double DOUBLE, enums STRING, repeated ARRAY, maps MAP, messages
 * STRUCT, google.protobuf.Timestamp TIMESTAMP, google.type.Date DATE,
 * google.type.TimeOfDay TIME, confluent.type.Decimal DECIMAL, the
 * google.protobuf wrappers their scalar. upper_case: field names upper-cased
 * at every level (ksqlDB's default; with a SCHEMA_ID it keeps them). */
const sl_type *sl_proto_message_type(const sl_proto_message *m, bool upper_case, sl_arena *arena, sl_error *err);

/* The well-known message a MESSAGE field names, by its full name without a
 * leading dot: "google.protobuf.Timestamp", "google.protobuf.Int32Value"... */
const char *sl_proto_well_known(const sl_proto_field *f);

#endif
