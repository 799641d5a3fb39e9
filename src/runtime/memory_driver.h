/* The memory driver: runs a statements file over the records of a
 * ksql-test-runner input document, each record its own batch, and returns
 * what the queries wrote. Used by `sluice test` and by unit tests. */
#ifndef SL_MEMORY_DRIVER_H
#define SL_MEMORY_DRIVER_H

#include <jansson.h>

#include "common/error.h"

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

#endif
