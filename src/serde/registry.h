/* Schema registry: Confluent-compatible, in memory (for `sluice test`, seeded
 * from the test file's "topics") or over HTTP with libcurl (for `sluice
 * run`). Schemas are text (Avro and JSON Schema as JSON, PROTOBUF as .proto
 * source); ids are the registry's. Thread-safe. */
#ifndef SL_REGISTRY_H
#define SL_REGISTRY_H

#include "common/error.h"

typedef struct sl_schema_registry sl_schema_registry;

/* How to reach an HTTP registry. Strings are copied; NULL or "" is unset. */
typedef struct sl_registry_options {
    const char *url;             /* http(s)://host:port[/path] */
    const char *basic_auth_user_info; /* "user:password" for HTTP Basic auth */
    const char *ssl_ca_location;      /* PEM file of CAs that sign the registry's certificate */
    const char *ssl_certificate_location; /* PEM client certificate (mutual TLS) */
    const char *ssl_key_location;         /* PEM key of the client certificate */
    const char *ssl_key_password;         /* passphrase of that key */
    /* "https" (default) checks the certificate names the host; "none"
     * (or empty, as ksqlDB spells it) does not */
    const char *ssl_endpoint_identification_algorithm;
    int max_attempts;   /* tries of one request on a connection error or 5xx; 0: 5 */
    int backoff_ms;     /* wait before the second try, doubled for each later one; 0: 200 */
    int timeout_ms;     /* one try; 0: 10000 */
} sl_registry_options;

sl_schema_registry *sl_registry_new_memory(void);
sl_schema_registry *sl_registry_new_http(const char *url, sl_error *err);
sl_schema_registry *sl_registry_new_http_options(const sl_registry_options *opts, sl_error *err);
void sl_registry_destroy(sl_schema_registry *reg);

/* Asks an HTTP registry for its subjects: the check at start that it can be
 * reached (and that the credentials are accepted). SL_OK for memory. */
sl_err_t sl_registry_ping(sl_schema_registry *reg, sl_error *err);

/* The same schema text under a subject gets the same id. An error names the
 * subject; an incompatible schema (HTTP 409) says so with the registry's
 * message. */
sl_err_t sl_registry_register(sl_schema_registry *reg, const char *subject, const char *schema_json, int *id,
                              sl_error *err);
/* schema_type: "AVRO", "JSON" or "PROTOBUF", the register request's
 * schemaType (left out for AVRO, as Confluent's clients do) */
sl_err_t sl_registry_register_typed(sl_schema_registry *reg, const char *subject, const char *schema_type,
                                    const char *schema_text, int *id, sl_error *err);
/* Memory backend only (seeding a test's schemas): the schema under subject
 * with the id the test gives it. */
sl_err_t sl_registry_seed(sl_schema_registry *reg, const char *subject, const char *schema_text, int id,
                          sl_error *err);
/* Borrowed until the registry is destroyed. */
sl_err_t sl_registry_latest(sl_schema_registry *reg, const char *subject, const char **schema_json, int *id,
                            sl_error *err);
sl_err_t sl_registry_by_id(sl_schema_registry *reg, int id, const char **schema_json, sl_error *err);

/* HTTP requests sent (every try counts): for tests of the cache and retries */
long sl_registry_requests_sent(sl_schema_registry *reg);

#endif
