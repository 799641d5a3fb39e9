/* Encoding a query's output rows to its sink topic. */
#ifndef SL_SINK_H
#define SL_SINK_H

#include "ops/record.h"
#include "sql/plan.h"

/* Where a query's results go, with the encoding buffers it reuses. */
typedef struct sl_query_emitter {
    const sl_collector *out;
    const sl_record *source; /* the input record, for the processing log */
    sl_strbuf *keybuf, *valbuf;
} sl_query_emitter;

/* Whose key an output row has. When it is the source record's own
 * (SL_KEY_OF_SOURCE_*), it is null exactly when that was, as in ksqlDB: a
 * record without a key keeps none, and a key whose columns are all NULL is
 * still written ("," or, for one column, "" in DELIMITED). A computed key
 * (SL_KEY_COMPUTED) whose one column is NULL is no key. */
typedef enum sl_key_origin { SL_KEY_COMPUTED, SL_KEY_OF_SOURCE_NULL, SL_KEY_OF_SOURCE_PRESENT } sl_key_origin;

/* Encodes and sends one output row (vals in q->cols order) or, when vals is
 * NULL, a tombstone for the key in keyvals. window: [start, end) for
 * windowed sinks (NULL otherwise). The key is computed (SL_KEY_COMPUTED). */
void sl_query_emit(const sl_query *q, const sl_value *keyvals, const sl_value *vals, int64_t ts,
                   const int64_t *window, sl_arena *arena, sl_query_emitter *em);
void sl_sink_emit_row(const sl_query *q, const sl_value *keyvals, const sl_value *vals, int64_t ts,
                      const int64_t *window, sl_key_origin key_of, sl_arena *arena, sl_query_emitter *em);

#endif
