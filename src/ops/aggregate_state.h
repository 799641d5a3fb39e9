/* Private to the aggregation operator (aggregate*.c): its plan, its
 * per-task state, and the helpers its parts share (aggregate_state.c).
 * sql/plan_aggregate.c makes the plan; aggregate.c runs records through it
 * (groups, time windows, EMIT CHANGES, expiry, restore);
 * aggregate_session.c merges sessions; aggregate_final.c emits what closes
 * under EMIT FINAL. The parts include this header and the headers of the
 * parts below them, never of those above: aggregate.c, then
 * aggregate_session.c, then aggregate_final.c, then aggregate_state.c. */
#ifndef SL_AGGREGATE_STATE_H
#define SL_AGGREGATE_STATE_H

#include "ops/aggregate.h"

#include "common/strbuf.h"
#include "common/valcodec.h"
#include "state/store.h"
#include "ops/closing_windows.h"
#include "sql/udaf.h"


struct sl_agg_state {
    sl_store *store; /* also holds the stream time */
    sl_strbuf kb, vb;
    /* EMIT FINAL on time windows: the windows waiting to close */
    sl_closing_windows *closing;
    /* EMIT FINAL on session windows: sessions with pending results (store
     * keys), and when each ends */
    char **pending;
    size_t *pending_len;
    int64_t *pending_end;
    size_t npending, cappending;
    /* EMIT FINAL, as Kafka Streams emits on window close: the close time
     * of the last emission */
    int64_t last_emit_close;
    /* the window store's clock: the latest window start (session end)
     * written; with the retention it decides which windows have expired */
    int64_t store_clock;
    /* expired entries were swept up to this bound (clock - retention) */
    int64_t swept_below;
    uint64_t late_dropped; /* record-windows dropped: the window had closed */
    /* EMIT CHANGES: the groups changed in this batch, in first-change order */
    struct changed_group {
        char *key; /* store key, in changed_arena */
        size_t klen;
        bool passed; /* HAVING held before the batch's first change */
        bool windowed;
        int64_t window[2];
        struct { /* the last record that changed it (processing log) */
            const char *topic; /* in changed_arena */
            int32_t partition;
            int64_t offset, timestamp;
        } source;
    } *changed;
    size_t nchanged, capchanged;
    sl_store *changed_index; /* store key -> slot */
    sl_arena *changed_arena;
    bool flushing; /* a driver that feeds outputs back in (sluice test) re-enters the flush */
};

#define SESSION_START(se) ((se)->u.c.items[0].u.l)
#define SESSION_END(se) ((se)->u.c.items[1].u.l)

typedef struct due_result {
    int64_t t1, t2; /* time windows: start, start; sessions: end, start */
    const char *order;
    size_t order_len;
    sl_value *keys;
    sl_value agg;
} due_result;

/* the store's entries, results through HAVING to the sink, the window
 * store's clock; the small ones inline, as they run once per record-window */
static inline void agg_put_be64(sl_strbuf *sb, int64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
    sl_strbuf_append(sb, b, 8);
}

static inline void agg_store_put(sl_agg_state *s, const void *key, size_t klen, const sl_value *v)
{
    sl_strbuf_reset(&s->vb);
    sl_valcodec_put(&s->vb, v);
    sl_store_put(s->store, key, klen, s->vb.data, s->vb.len);
}

static inline void agg_note_clock(sl_agg_state *s, int64_t t)
{
    if (t > s->store_clock)
        s->store_clock = t;
}

/* adds (sign > 0) or undoes a row's arguments in a group's aggregate;
 * returns NULL, or the message of an add that overflowed the aggregate's
 * type (ksqlDB's query fails there: see agg_overflowed) */
static inline const char *agg_fold(const sl_query *q, sl_value *agg, const sl_value *const *argv, int64_t ts,
                                   int sign, sl_arena *a)
{
    const sl_agg_plan *p = q->agg;
    const char *overflow = NULL;
    if (ts > agg->u.c.items[0].u.l)
        agg->u.c.items[0].u.l = ts;
    for (int i = 0; i < p->naggs; i++) {
        const sl_agg_fn *f = &p->fns[i];
        if (sign > 0) {
            f->udaf->add(f, &agg->u.c.items[i + 1], argv[i], a);
            if (!overflow)
                overflow = sl_udaf_overflow(f, &agg->u.c.items[i + 1], a);
        } else if (f->udaf->undo) {
            f->udaf->undo(f, &agg->u.c.items[i + 1], argv[i], a);
        }
    }
    return overflow;
}

sl_value agg_load_or_init(const sl_query *q, sl_agg_state *s, const void *key, size_t klen, sl_arena *a,
                          bool *existed);
/* an aggregate overflowed (agg_fold): the record fails the run, as it
 * fails ksqlDB's query (a processing error where nothing is fatal); the
 * group keeps its state */
sl_fate agg_overflowed(sl_query_emitter *em, const char *message);
bool agg_having_passes(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
                       sl_arena *a);
void agg_emit_result_if(const sl_query *q, const sl_value *keys, const sl_value *agg, const int64_t *window,
                        sl_arena *a, sl_query_emitter *em, bool old_passed);
/* the session store segment of an end time */
int64_t agg_segment_of(const sl_agg_plan *p, int64_t t);
bool agg_session_segment_live(const sl_agg_plan *p, const sl_agg_state *s, int64_t end);

#endif
