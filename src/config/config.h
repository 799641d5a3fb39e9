/* sluice.properties: Kafka-style key=value lines with # comments and ${ENV}
 * substitution. One table (config.c) lists every key with its type, default
 * and documentation; an unknown key is an error naming it and its line.
 * Keys starting with "kafka." are passed through to librdkafka. */
#ifndef SL_CONFIG_H
#define SL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

typedef struct sl_config sl_config;

/* Loads path; on error returns NULL with err naming file:line and the key. */
sl_config *sl_config_load(const char *path, sl_error *err);
/* Same from text (for tests); name is used in messages. */
sl_config *sl_config_parse(const char *text, const char *name, sl_error *err);
void sl_config_destroy(sl_config *cfg);

/* Values (defaults applied). Strings are borrowed from cfg. */
const char *sl_config_string(const sl_config *cfg, const char *key);
int64_t sl_config_int(const sl_config *cfg, const char *key);
/* Overrides a value (command-line -q etc.). */
void sl_config_set(sl_config *cfg, const char *key, const char *value);

/* kafka.* pass-through: i-th (name without the prefix, value); false at end */
bool sl_config_kafka_at(const sl_config *cfg, int i, const char **name, const char **value);

/* Prints the table as documentation (Markdown). */
void sl_config_print_docs(FILE *out);

#endif
