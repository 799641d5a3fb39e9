/* Private to the join operator (join.c, join_process.c, join_stream.c,
 * join_table.c): the per-task state of a join step (its plan is in
 * sql/plan_join.h) and the helpers its processing files share. */
#ifndef SL_JOIN_INT_H
#define SL_JOIN_INT_H

#include "ops/join.h"

#include "common/strbuf.h"
#include "ops/timestamp.h"

struct sl_join_state {
    /* stream-stream: each side's window store, join key -> [(ts, row)...] in
     * arrival order; the store's stream time is the largest time put in it.
     * stream-table and table-table: each table side's rows, key -> [(ts, row)].
     * foreign key: left rows by left key, right rows by right key */
    sl_store *store[2];
    /* stream-stream with the spurious-result fix: unmatched records waiting
     * for their window to close, keyed as Kafka Streams orders them (time,
     * side, key bytes); its stream time is the join's stream time */
    sl_store *outer;
    sl_store *fkindex; /* foreign key: right key -> the left keys pointing at it */
    sl_strbuf buf;
    uint64_t late_dropped; /* stream-stream: records too old for their own window store */
};

/* Where results go while one input record is processed */
typedef struct sl_join_out {
    const sl_query *q;
    sl_join_state *s;
    sl_arena *arena;
    sl_query_emitter em;
} sl_join_out;

/* Emits one result: row is the joined row (NULL for a table tombstone),
 * key the join key. WHERE, the projection and the sink time apply. */
void sl_join_emit(sl_join_out *o, const sl_value *row, const sl_value *key, int64_t ts);

/* Decodes a record of side into row (the other side NULL): false when it
 * cannot be decoded or has no valid time (reported). *deleted: a tombstone,
 * whose slots are then all NULL. */
bool sl_join_decode_side(const sl_query *q, int side, const sl_record *in, sl_value *row, bool *deleted, int64_t *ts,
                         sl_arena *a, const sl_collector *out);
/* The join key of a decoded side: the record key when keyed, else the ON
 * expression (NULL for a tombstone). A failed expression is reported. */
sl_value sl_join_side_key(const sl_query *q, int side, const sl_value *row, bool deleted, const sl_record *in,
                          sl_arena *a, const sl_collector *out);
/* Every slot of side NULL: the side is absent from the result */
void sl_join_null_side(const sl_join_plan *p, sl_value *row, int side);
/* A join of windowed sources: the result's window, the left record's (the
 * right one's when the left side is absent); false for unwindowed joins */
bool sl_join_row_window(const sl_join_plan *p, const sl_value *row, int64_t window[2]);

/* Store helpers: values are valcodec ARRAYs */
sl_value sl_join_load(sl_store *st, const void *key, size_t klen, sl_arena *a);
void sl_join_save(sl_join_state *s, sl_store *st, const void *key, size_t klen, const sl_value *v);
/* the store key of a join key (valcodec) */
const char *sl_join_store_key(sl_join_state *s, const sl_value *key, sl_arena *a, size_t *len);
/* the join key as Kafka Streams serializes it, whose byte order orders its
 * stores (KAFKA: big-endian numbers, UTF-8 strings; JSON: its text) */
void sl_join_key_bytes(sl_format fmt, const sl_value *key, sl_strbuf *out);
/* (ts, row) as stored */
sl_value sl_join_entry(sl_arena *a, int64_t ts, const sl_value *half, int width);

sl_fate sl_join_process_stream(const sl_query *q, sl_join_state *s, int side, const sl_record *in, sl_join_out *o,
                            const sl_collector *out);
sl_fate sl_join_process_stream_table(const sl_query *q, sl_join_state *s, int side, const sl_record *in,
                                  sl_join_out *o, const sl_collector *out);
sl_fate sl_join_process_table(const sl_query *q, sl_join_state *s, int side, const sl_record *in, sl_join_out *o,
                           const sl_collector *out);
sl_fate sl_join_process_foreign_key(const sl_query *q, sl_join_state *s, int side, const sl_record *in,
                                 sl_join_out *o, const sl_collector *out);

#endif
