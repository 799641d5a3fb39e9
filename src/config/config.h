/* sluice.properties: Kafka-style key=value lines with # comments and ${ENV}
 * substitution. One table (config.c) lists every key with its type, default
 * and documentation; an unknown key is an error naming it and its line.
 * Keys starting with "kafka." are passed through to librdkafka (checked
 * against its table), "kafka.consumer.", "kafka.producer." and
 * "kafka.admin." to one kind of client only. ksqlDB's server properties
 * (ksql.service.id, ksql.streams.*, ...) are mapped where they mean the
 * same; the others are refused by name. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

typedef struct sl_config sl_config;

typedef enum { SL_KAFKA_CONSUMER, SL_KAFKA_PRODUCER, SL_KAFKA_ADMIN, SL_KAFKA_ALL } sl_kafka_client;

/* Loads path; on error returns NULL with err naming file:line and the key. */
sl_config *sl_config_load(const char *path, sl_error *err);
/* Same from text (for tests); name is used in messages. */
sl_config *sl_config_parse(const char *text, const char *name, sl_error *err);
void sl_config_destroy(sl_config *cfg);
/* Building one step by step (the command line's --set KEY=VALUE): an empty
 * configuration, one line applied (name and line for messages), and the
 * final check of required keys. */
sl_config *sl_config_new(void);
bool sl_config_apply_line(sl_config *cfg, const char *text, const char *name, int line, sl_error *err);
bool sl_config_parse_into(sl_config *cfg, const char *text, const char *name, sl_error *err);
bool sl_config_load_into(sl_config *cfg, const char *path, sl_error *err);
bool sl_config_check(const sl_config *cfg, const char *name, sl_error *err);

/* Values (defaults applied). Strings are borrowed from cfg. */
const char *sl_config_string(const sl_config *cfg, const char *key);
int64_t sl_config_int(const sl_config *cfg, const char *key);
/* Overrides a value (command-line -q etc.). */
void sl_config_set(sl_config *cfg, const char *key, const char *value);

/* kafka.* pass-through: i-th (name without the prefix, value); false at
 * end. _at gives the settings for every client; _for adds those of one
 * kind of client, after the general ones (apply in order: the specific
 * one wins). */
bool sl_config_kafka_at(const sl_config *cfg, int i, const char **name, const char **value);
bool sl_config_kafka_for(const sl_config *cfg, sl_kafka_client client, int i, const char **name, const char **value);

/* Prints the table as documentation (Markdown). */
void sl_config_print_docs(FILE *out);

#endif
