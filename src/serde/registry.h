/* Schema registry: Confluent-compatible, in memory (for `sluice test`, seeded
 * from the test file's "topics") or over HTTP with libcurl (for `sluice
 * run`). Schemas are JSON text; ids are the registry's. Thread-safe. */
#ifndef SL_REGISTRY_H
#define SL_REGISTRY_H

#include "common/error.h"

typedef struct sl_schema_registry sl_schema_registry;

sl_schema_registry *sl_registry_new_memory(void);
sl_schema_registry *sl_registry_new_http(const char *url, sl_error *err);
void sl_registry_destroy(sl_schema_registry *reg);

/* The same schema text under a subject gets the same id. */
sl_err_t sl_registry_register(sl_schema_registry *reg, const char *subject, const char *schema_json, int *id,
                              sl_error *err);
/* Borrowed until the registry is destroyed. */
sl_err_t sl_registry_latest(sl_schema_registry *reg, const char *subject, const char **schema_json, int *id,
                            sl_error *err);
sl_err_t sl_registry_by_id(sl_schema_registry *reg, int id, const char **schema_json, sl_error *err);

#endif
