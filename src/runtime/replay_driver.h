/* `sluice test --bootstrap`: a test case replayed through a real Kafka
 * cluster by the driver `sluice run` uses, one record per transaction (see
 * replay_driver.c). Same contract as sl_memory_run; when changelog is not
 * NULL, *changelog (caller owns) is every committed record of the run's
 * changelog topics, as sl_memory_run_full gives them. */
#ifndef SL_REPLAY_DRIVER_H
#define SL_REPLAY_DRIVER_H

#include <jansson.h>

#include "common/error.h"

int sl_replay_run(const char *sql, const char *file, json_t *input, json_t *expected, const char *bootstrap,
                  json_t **outputs, json_t **changelog, sl_error *err);

#endif
