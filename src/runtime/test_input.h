/* A test's input.json, loaded for `sluice test` the way ksqlDB's runner
 * reads it: with jansson for the structure, plus what jansson loses. Jackson
 * keeps a number exactly as written (1.50 has two decimals, 1e+16 prints as
 * 1E+16) and integers of any size, and ksqlDB's deserializers see exactly
 * that; so each input record's key and value also keep the JSON text they
 * were written with, under the members below (strings). Integers too large
 * for jansson load as reals there; their text is in the raw members. */
#ifndef SL_TEST_INPUT_H
#define SL_TEST_INPUT_H

#include <jansson.h>

#define SL_TEST_RAW_KEY "sluice:raw-key"
#define SL_TEST_RAW_VALUE "sluice:raw-value"

/* NULL with err filled (line, column, text) when the file is not JSON. */
json_t *sl_test_input_load(const char *path, json_error_t *err);
/* The same from text in memory. */
json_t *sl_test_input_loads(const char *text, size_t len, json_error_t *err);

#endif
