/* Formats: turning record bytes into rows of values and back.
 *
 * A serde is built once per (format, schema, options) at compile time and
 * used for every record. The schema is always a STRUCT type: the columns of
 * the key or of the value. decode() fills one sl_value per column (SQL NULL
 * for a missing field); encode() writes the bytes of a row. Decoded strings
 * may point into the input buffer or into the arena; they live as long as
 * both. Formats: JSON, JSON_SR, DELIMITED, KAFKA, AVRO, PROTOBUF,
 * PROTOBUF_NOSR, NONE (see each serde_*.c).
 *
 * Unwrapped single values (WRAP_SINGLE_VALUE=false, and KAFKA/DELIMITED
 * always): the schema has one column and the payload is that column's value
 * itself rather than an object/record holding it. */
#ifndef SL_SERDE_H
#define SL_SERDE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/strbuf.h"
#include "common/types.h"
#include "common/value.h"

typedef enum sl_format {
    SL_FORMAT_NONE,
    SL_FORMAT_JSON,
    SL_FORMAT_DELIMITED,
    SL_FORMAT_KAFKA,
    SL_FORMAT_AVRO,
    SL_FORMAT_PROTOBUF,
    SL_FORMAT_JSON_SR,
    SL_FORMAT_PROTOBUF_NOSR,
} sl_format;

typedef struct sl_serde_options {
    bool unwrapped;         /* single column written/read bare */
    char delimiter;         /* DELIMITED; default ',' */
    /* AVRO */
    const char *avro_schema_json;  /* writer/reader schema, may be NULL: generated */
    const char *avro_record_name;  /* for generated schemas, e.g. "KsqlDataSourceSchema" */
    int schema_id;                 /* Confluent wire format id to write */
    struct sl_schema_registry *schema_registry; /* may be NULL */
    const char *subject;           /* registry subject of the writer schema, e.g. "topic-value" */
    /* PROTOBUF: the registered message the columns were inferred from or
     * checked against (its field numbers, wire types, enums and index
     * path); NULL: the message generated from the columns */
    const struct sl_proto_message *proto_message;
} sl_serde_options;

typedef struct sl_serde sl_serde;

/* Parses a format name as ksqlDB spells it (case-insensitive). */
bool sl_format_parse(const char *name, sl_format *out);
const char *sl_format_name(sl_format fmt);

/* schema: STRUCT of the columns; borrowed for the serde's lifetime.
 * Returns NULL with err filled when the format cannot carry the schema
 * (e.g. KAFKA with two columns, or a type the format lacks). */
sl_serde *sl_serde_new(sl_format fmt, const sl_type *schema, const sl_serde_options *opts,
                       sl_error *err);
void sl_serde_destroy(sl_serde *serde);

/* bytes -> one value per column in cols[0..nfields). len 0 with data NULL is
 * a null payload: all columns NULL (the caller decides about tombstones).
 * On bad bytes returns SL_ERR_RUNTIME with a message (no position: the
 * caller adds topic/partition/offset). */
sl_err_t sl_serde_decode(sl_serde *serde, const void *data, size_t len, sl_value *cols,
                         sl_arena *arena, sl_error *err);
/* Whether these columns are written as no payload at all (a null key or
 * value), as Kafka's serializers and Connect's converters write a null: a
 * lone unwrapped column (KAFKA's always) holding NULL. DELIMITED writes an
 * empty text instead. */
bool sl_serde_writes_null(const sl_serde *serde, const sl_value *cols);
/* one value per column -> bytes appended to out (out is reset first). */
sl_err_t sl_serde_encode(sl_serde *serde, const sl_value *cols, sl_strbuf *out, sl_error *err);

/* the options the serde was made with (its schema id, unwrapping) */
const sl_serde_options *sl_serde_options_of(const sl_serde *serde);

#endif
