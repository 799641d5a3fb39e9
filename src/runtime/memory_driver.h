/* The memory driver: runs a statements file over the records of a
 * ksql-test-runner input document, each record its own batch, and returns
 * what the queries wrote. Used by `sluice test` and by unit tests. */
#ifndef SL_MEMORY_DRIVER_H
#define SL_MEMORY_DRIVER_H

#include <jansson.h>

#include "common/error.h"
#include "ops/record.h"
#include "ops/topology.h"

/* input: {"inputs":[...], "topics":[...], "properties":{...}}.
 * On success returns 0 and *outputs (caller owns) is a JSON array of
 * {"topic","key","value","timestamp"[,"window"]} in production order.
 * expected (may be NULL) is the test's expected records: their keys and
 * values are rewritten as the sinks' schemas read them (see
 * canonicalize_expected), so that they compare with what was produced.
 * Otherwise returns the sluice test exit code (2 rejected, 3 runtime
 * failure, 4 unsupported) with err filled. */
int sl_memory_run(const char *sql, const char *file, json_t *input, json_t *expected, json_t **outputs,
                  sl_error *err);
/* the same, and when stats is not NULL, *stats (caller owns): per query, in
 * statement order, what became of the records it read (ops/fate.h):
 * [{"id","sink","internal","read","passed","filtered","late","failed",
 * "forwarded","processing_errors","unaccounted","overcounted"}] */
int sl_memory_run_stats(const char *sql, const char *file, json_t *input, json_t *expected, json_t **outputs,
                        json_t **stats, sl_error *err);
/* the same, and when changelog is not NULL, *changelog (caller owns): the
 * changelog records the batches wrote, in order, each as
 * sl_test_case_change writes it: what `sluice run` would write to
 * "<app>-<store>-changelog" */
int sl_memory_run_full(const char *sql, const char *file, json_t *input, json_t *expected, json_t **outputs,
                       json_t **stats, json_t **changelog, sl_error *err);

/* The parts of a test case any driver needs: its compiled topology and the
 * mapping between the test file's JSON records and bytes. topic_prefix
 * (may be NULL) is put before every topic name (sluice test --bootstrap);
 * the test's own records then name topics without it. */
typedef struct sl_test_case sl_test_case;
int sl_test_case_open(const char *sql, const char *file, json_t *input, const char *topic_prefix,
                      sl_test_case **out, sl_error *err);
const sl_topology *sl_test_case_topology(const sl_test_case *tc);
/* An input record as bytes for the topic of the source that reads it (the
 * record's buffers belong to the case until the next call). Returns 0, 1
 * when no source reads its topic, 3 when the value does not fit the format. */
int sl_test_case_encode(sl_test_case *tc, json_t *in, sl_record *rec, sl_error *err);
/* A produced record as the test file writes it: topic, key, value, timestamp, window */
json_t *sl_test_case_output(sl_test_case *tc, const sl_record *out);
/* A changelog record as --changelog writes it: {"store","key","value"},
 * key and value in hex, value null for a delete */
json_t *sl_test_case_change(const char *store, const void *key, size_t key_len, const void *value, size_t value_len);
/* Expected records rewritten through the sinks' schemas (see above) */
void sl_test_case_canonicalize(sl_test_case *tc, json_t *expected);
void sl_test_case_close(sl_test_case *tc);

#endif
