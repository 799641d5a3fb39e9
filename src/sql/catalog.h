/* The catalog: streams and tables known to a statements file, with their
 * columns, topic, formats and serdes. CREATE STREAM/TABLE adds a source;
 * CREATE ... AS SELECT adds the sink it creates; DROP removes one. */
#ifndef SL_CATALOG_H
#define SL_CATALOG_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/types.h"
#include "serde/serde.h"
#include "sql/ast.h"

typedef struct sl_column {
    const char *name;
    const sl_type *type;
    sl_col_role role; /* KEY/PRIMARY KEY, VALUE, HEADERS, HEADER */
    const char *header_key;
    /* a column of an internal join step (n-way joins): the source, alias and
     * name it came from, so that later steps resolve t.x as written */
    const char *origin_source, *origin_alias, *origin_name;
} sl_column;

typedef struct sl_source {
    const char *name;
    bool is_table;
    bool read_only; /* CREATE SOURCE STREAM|TABLE: no INSERT, ALTER or REPLACE */
    /* the key format the statement asked for, before a source without key
     * columns is set to NONE: a query that adds a key writes it this way */
    int declared_key_format;
    const char *topic;
    sl_column *cols; /* keys first, then values, then headers */
    int ncols, nkey, nvalue;
    sl_format key_format, value_format;
    bool wrap_single_value; /* value */
    char key_delimiter, value_delimiter;
    const char *timestamp_column; /* may be NULL */
    const char *timestamp_format; /* may be NULL */
    int partitions, replicas;     /* 0: unknown/default */
    const sl_type *key_schema;    /* STRUCT of the key columns */
    const sl_type *value_schema;  /* STRUCT of the value columns */
    int window_kind;              /* windowed source: SL_WINDOW_*, 0 none */
    int64_t window_size_ms;
    sl_serde *key_serde, *value_serde;
    bool from_query; /* created by CREATE ... AS SELECT */
    /* the result of an internal step of an n-way join (see topology.c):
     * not a topic of the user's, and what later steps need to know of it */
    bool internal;
    const struct sl_join_lineage *lineage;
    const char *value_avro_schema, *key_avro_schema;
    int value_schema_id, key_schema_id;
    /* PROTOBUF: the registered message the columns came from (see
     * serde/proto_schema.h); NULL: generated from the columns */
    const struct sl_proto_message *value_proto_message, *key_proto_message;
} sl_source;

typedef struct sl_catalog sl_catalog;

sl_catalog *sl_catalog_new(sl_arena *arena);
/* The schema registry AVRO sources and sinks use (borrowed; may be NULL). */
void sl_catalog_set_registry(sl_catalog *cat, struct sl_schema_registry *registry);
void *sl_catalog_registry(const sl_catalog *cat);
void sl_catalog_destroy(sl_catalog *cat); /* destroys the serdes too */
sl_source *sl_catalog_find(sl_catalog *cat, const char *name);
/* a MAP anywhere inside t (not allowed in key columns) */
bool sl_type_has_map(const sl_type *t);
/* sources reading/writing a topic, in creation order */
int sl_catalog_count(const sl_catalog *cat);
sl_source *sl_catalog_at(sl_catalog *cat, int i);
sl_err_t sl_catalog_add(sl_catalog *cat, sl_source *src, const char *file, sl_pos pos, bool or_replace,
                        sl_error *err);
void sl_catalog_remove(sl_catalog *cat, const char *name);

/* Engine properties (SET and test "properties"), ksqlDB names. */
void sl_catalog_set_property(sl_catalog *cat, const char *name, const char *value);
const char *sl_catalog_property(const sl_catalog *cat, const char *name);
/* Every topic name a statement gives or implies is prefixed with this
 * property's value: `sluice test --bootstrap` replays a case in a namespace
 * of its own on a shared cluster. */
#define SL_TOPIC_PREFIX_PROPERTY "sluice.test.topic.prefix"
const char *sl_catalog_physical_topic(const sl_catalog *cat, const char *topic);

/* Builds a source from CREATE STREAM/TABLE (cols) WITH (...). */
sl_err_t sl_catalog_create_source(sl_catalog *cat, const sl_stmt *stmt, const char *file, sl_error *err);

/* Builds the key/value schemas and serdes of src from its columns. */
sl_err_t sl_source_finish(sl_source *src, sl_arena *arena, struct sl_schema_registry *schema_registry, const char *file,
                          sl_pos pos, sl_error *err);

/* Looks a WITH property up by name (upper case); NULL when absent. */
const sl_property *sl_with_find(const sl_property_list *with, const char *name);

/* The key and value formats a statement's WITH clause names (FORMAT,
 * KEY_FORMAT, VALUE_FORMAT), with the catalog's defaults; has_key and
 * has_value say which were given. */
sl_err_t sl_formats_from_with(const sl_property_list *w, const sl_catalog *cat, sl_format *key,
                              sl_format *value, bool *has_key, bool *has_value, const char *file,
                              sl_pos pos, sl_error *err);

#endif
