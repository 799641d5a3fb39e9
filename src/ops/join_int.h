/* Private to the join operator (join.c, join_plan.c, join_stream.c,
 * join_table.c): the compiled plan of one two-source join step and the
 * helpers its processing files share. */
#ifndef SL_JOIN_INT_H
#define SL_JOIN_INT_H

#include "ops/join.h"

#include "common/strbuf.h"
#include "ops/timestamp.h"

/* One side of the join. The joined row holds the left side's slots, then
 * the right side's, then (synthetic keys) one slot for the key. */
typedef struct sl_join_side {
    const sl_source *src;
    const char *alias;  /* as the statement wrote it; may be NULL */
    int base, width;    /* its slots: the source's columns, then ROWTIME, ROWPARTITION, ROWOFFSET */
    sl_cexpr *expr;     /* its ON expression, over the joined row */
    /* keyed by its ON expression: the record's key is the join key (no
     * re-keying), read from key_slot; otherwise the expression's value is */
    bool keyed;
    int key_slot;
    /* an earlier table step: the column holding its result's view time
     * (-1 otherwise), which lookups from the other side see */
    int view_col;
} sl_join_side;

struct sl_join_plan {
    sl_join_type type;
    sl_join_side side[2]; /* [0] left (the FROM source or an earlier step), [1] right */
    bool stream_stream, stream_table, table_table, fk;
    /* stream-stream: WITHIN (before, after), the grace, the window stores'
     * retention (before + after + grace). ksqlDB's RIGHT JOIN runs as
     * `right LEFT JOIN left` with the same window: `this_side` is the side
     * Kafka Streams calls left (1 for RIGHT, else 0); outer[s] whether an
     * unmatched record of side s is emitted padded. With a GRACE clause
     * unmatched records wait in the outer store until their window closes
     * (the spurious-result fix); without one they are emitted at once and
     * the grace is the old JoinWindows.of default. */
    int64_t before, after, grace, retention;
    int this_side;
    bool outer[2];
    bool outer_store;
    int synthetic_slot; /* the join key's slot when ksqlDB's key is synthetic (ROWKEY); -1 otherwise */
    const sl_type *key_type;
    sl_format key_format; /* how Kafka Streams serializes the join key (store order) */
    sl_time_extractor time[2];
    /* an internal step of an n-way join (see topology.c): its output holds
     * every column of its sources, keyed by the join key */
    bool step;
    sl_join_lineage *lineage; /* what the step's output source knows; NULL for a final join */
    /* a table step's slot for its result's view time: what Kafka Streams'
     * value getter of the join gives a later join looking it up (the larger
     * time of the rows present), which is not always the time of the last
     * result emitted (a deleted row's time counts there); -1 otherwise */
    int view_slot;
    bool where_tombstones; /* a table result a WHERE rejects is deleted (ksqlDB's table filter) */
};

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
