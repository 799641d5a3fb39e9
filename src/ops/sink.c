/* The sink: an output row encoded in the sink's key and value formats and
 * handed to the collector, with the windowed key's suffix and its
 * partitioning by the inner key (serde/windowed_key.h). */
#include "ops/sink.h"

#include "serde/serde.h"
#include "serde/windowed_key.h"

void sl_query_emit(const sl_query *q, const sl_value *keyvals, const sl_value *vals, int64_t ts, const int64_t *window,
                   sl_arena *a, sl_query_emitter *em)
{
    sl_sink_emit_row(q, keyvals, vals, ts, window, SL_KEY_COMPUTED, a, em);
}

void sl_sink_emit_row(const sl_query *q, const sl_value *keyvals, const sl_value *vals, int64_t ts,
                      const int64_t *window, sl_key_origin key_of, sl_arena *a, sl_query_emitter *em)
{
    const sl_source *sink = q->sink;
    sl_error err;
    sl_error_init(&err);
    sl_record rec = {.topic = sink->topic, .partition = -1, .timestamp = ts};
    if (sink->nkey && !q->null_key && key_of != SL_KEY_OF_SOURCE_NULL) {
        bool all_null = true;
        for (int i = 0; i < sink->nkey; i++)
            if (!keyvals[i].null)
                all_null = false;
        /* a one-column key whose column is NULL: no key, except that a
         * DELIMITED source key passed through is written as it was, empty */
        bool written = !(all_null && sink->nkey == 1) ||
                       (key_of == SL_KEY_OF_SOURCE_PRESENT && sink->key_format == SL_FORMAT_DELIMITED);
        if (written) {
            if (sl_serde_encode(sink->key_serde, keyvals, em->keybuf, &err)) {
                em->out->processing_error(em->out->ctx, em->source, err.msg);
                return;
            }
            if (window) {
                /* the inner key alone chooses the partition */
                rec.partition_by_prefix = true;
                rec.partition_prefix_len = em->keybuf->len;
                sl_windowed_key_append(em->keybuf, sink->window_kind == SL_WINDOW_SESSION, window[0], window[1]);
            }
            rec.key = em->keybuf->data ? em->keybuf->data : "";
            rec.key_len = em->keybuf->len;
        }
    }
    if (vals && !sl_serde_writes_null(sink->value_serde, vals + sink->nkey)) {
        if (sl_serde_encode(sink->value_serde, vals + sink->nkey, em->valbuf, &err)) {
            em->out->processing_error(em->out->ctx, em->source, err.msg);
            return;
        }
        rec.value = em->valbuf->data ? em->valbuf->data : "";
        rec.value_len = em->valbuf->len;
    }
    em->out->send(em->out->ctx, &rec);
}
