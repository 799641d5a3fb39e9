/* Running a persistent query (planned in sql/plan.c). This file is not an
 * operator but where a query's operators meet, by its plan's kind: the
 * source (decode, key-only WHERE, time), the table source's rows, then the
 * project, aggregate or join operator, which end in the sink. It keeps the
 * per-task state (the stores the plan declares), sends a table
 * aggregation's changes through its repartition topic, and ends a batch.
 * Each record's fate is reported (ops/fate.h). */
#include "ops/query.h"

#include <stdlib.h>
#include <string.h>

#include "common/valcodec.h"
#include "ops/aggregate.h"
#include "ops/internal_record.h"
#include "ops/join.h"
#include "ops/project.h"
#include "ops/repartition.h"
#include "ops/sink.h"
#include "ops/source.h"
#include "ops/timestamp.h"
#include "state/store.h"

struct sl_query_state {
    sl_agg_state *agg;
    sl_join_state *join;
    sl_store *table; /* latest row per key of a table source */
    sl_strbuf buf;
    /* a table aggregated by a non-key column in sluice run: this task only
     * sends each change (the old row out, the new row in) to the
     * repartition topic; the task that reads it back aggregates */
    bool table_stage1;
};

/* A table change on the repartition topic, keyed by its group: 'T', then
 * 1 and the old row (it leaves the group), 2 and the new row (it joins
 * the group), or 3 and both rows (it stays in the group: one update, as
 * Kafka Streams' KTableRepartitionMap forwards one change when the old
 * and new keys are equal) */
static void send_table_change(const sl_query *q, const sl_value *old_row, const sl_value *new_row,
                              const sl_strbuf *pk, int64_t ts, sl_query_emitter *em)
{
    sl_strbuf body;
    sl_strbuf_init(&body);
    sl_internal_change_encode(&body, old_row, new_row, q->row_width);
    sl_record rec = {.topic = q->repartition_topic, .partition = -1, .timestamp = ts,
                     .key = pk->data ? pk->data : "", .key_len = pk->len, .value = body.data, .value_len = body.len};
    em->out->send(em->out->ctx, &rec);
    sl_strbuf_free(&body);
}

static void send_table_changes(const sl_query *q, const sl_value *old_row, const sl_value *new_row, int64_t ts,
                               sl_arena *a, sl_query_emitter *em)
{
    sl_strbuf opk, npk;
    sl_strbuf_init(&opk);
    sl_strbuf_init(&npk);
    if (old_row)
        sl_repartition_group_key(q, old_row, a, &opk);
    if (new_row)
        sl_repartition_group_key(q, new_row, a, &npk);
    if (old_row && new_row && opk.len == npk.len && !memcmp(opk.data, npk.data, opk.len)) {
        send_table_change(q, old_row, new_row, &npk, ts, em);
    } else {
        if (old_row)
            send_table_change(q, old_row, NULL, &opk, ts, em);
        if (new_row)
            send_table_change(q, NULL, new_row, &npk, ts, em);
    }
    sl_strbuf_free(&opk);
    sl_strbuf_free(&npk);
}

void sl_query_state_table_stage1(sl_query_state *state)
{
    sl_query_state *s = state;
    if (s)
        s->table_stage1 = true;
}

sl_err_t sl_query_process_table_change(const sl_query *q, sl_query_state *state, const sl_record *in, sl_arena *a,
                                       sl_strbuf *keybuf, sl_strbuf *valbuf, const sl_collector *out,
                                       sl_error *err)
{
    sl_query_state *qs = state;
    sl_value *rows[2];
    if (!qs || !qs->agg ||
        !sl_internal_change_decode(in, q->row_width, q->row_width + q->ntf + 1, a, &rows[0], &rows[1]))
        return sl_error_set(err, SL_ERR_RUNTIME, "not a table change record, or a truncated one");
    sl_query_emitter em = {out, in, keybuf, valbuf};
    sl_agg_process(q, qs->agg, rows[0], rows[1], in->timestamp, a, &em);
    return SL_OK;
}

sl_query_state *sl_query_state_new(const sl_query *q)
{
    const sl_plan_store *table = sl_plan_store_of(q, SL_STORE_SOURCE);
    if (!q->agg && !q->join && !table)
        return NULL;
    sl_query_state *s = calloc(1, sizeof *s);
    if (q->agg)
        s->agg = sl_agg_state_new(q);
    if (q->join)
        s->join = sl_join_state_new(q);
    if (table)
        s->table = sl_store_new(table->name);
    sl_strbuf_init(&s->buf);
    return s;
}

void sl_query_state_destroy(const sl_query *q, sl_query_state *state)
{
    sl_query_state *s = state;
    if (!s)
        return;
    sl_agg_state_destroy(s->agg);
    sl_join_state_destroy(s->join);
    sl_store_destroy(s->table);
    sl_strbuf_free(&s->buf);
    free(s);
}

void sl_query_flush(const sl_query *q, sl_query_state *state, sl_arena *a, sl_strbuf *keybuf, sl_strbuf *valbuf,
                    const sl_collector *out)
{
    sl_query_state *qs = state;
    if (!qs || !qs->agg)
        return;
    /* a group always has the record that changed it; this one is never used */
    static const sl_record none = {.topic = "", .partition = -1, .offset = -1};
    sl_query_emitter em = {out, &none, keybuf, valbuf};
    sl_agg_flush(q, qs->agg, a, &em);
}

void sl_query_process(const sl_query *q, sl_query_state *state, const sl_record *in, sl_arena *a, sl_strbuf *keybuf,
                      sl_strbuf *valbuf, const sl_collector *out)
{
    sl_query_state *qs = state;
    const sl_source *src = q->source;
    if (q->join) {
        sl_join_process(q, qs->join, in, a, keybuf, valbuf, out);
        return;
    }
    sl_value *row = sl_arena_alloc(a, (size_t)(q->row_width + q->ntf) * sizeof *row);
    sl_error err;
    sl_error_init(&err);
    if (q->key_where) {
        /* rejected on its key: the value is never decoded (nor, if it is
         * malformed, reported: see docs/ksqldb-differences.md) */
        if (!sl_source_decode_key(src, in, row, a, out)) {
            sl_report_fate(out, SL_FATE_FAILED);
            return;
        }
        sl_eval_ctx kctx = {.row = row, .arena = a, .err = &err};
        sl_value keep;
        sl_cexpr_eval(q->key_where, &kctx, &keep);
        if (!kctx.errors && (keep.null || !keep.u.b)) {
            sl_report_fate(out, SL_FATE_FILTERED);
            return;
        }
        sl_error_init(&err);
    }
    bool deleted;
    if (!sl_source_decode(src, in, row, &deleted, a, out)) {
        sl_report_fate(out, SL_FATE_FAILED);
        return;
    }
    if (src->is_table && src->nkey) {
        /* a table row needs its key: Kafka Streams' table source skips a
         * record whose key is NULL (a warning, not a processing error) */
        bool keyless = true;
        for (int i = 0; i < src->nkey; i++)
            keyless = keyless && row[i].null;
        if (keyless) {
            sl_report_fate(out, SL_FATE_FILTERED);
            return;
        }
    }
    if (deleted && !src->is_table) {
        /* a null value passes a stateless stream query as a null row */
        if (!q->agg && !q->where && !q->ntf && !q->source_time.expr) {
            sl_query_emitter em0 = {out, in, keybuf, valbuf};
            sl_project_emit(q, row, in->timestamp, true, a, &em0);
            sl_report_fate(out, SL_FATE_PASSED);
        } else {
            /* a filter, a grouping or a time column has nothing to read:
             * ksqlDB's steps drop it */
            sl_source_log_null_value(src, in, out);
            sl_report_fate(out, SL_FATE_FILTERED);
        }
        return;
    }
    /* a table's delete has a time only when its TIMESTAMP column is a key
     * column: otherwise it fails extraction and is dropped, as in ksqlDB */
    int64_t ts = in->timestamp;
    if (!sl_time_extract(&q->source_time, row, in, a, out, &ts)) {
        sl_report_fate(out, SL_FATE_FAILED);
        return;
    }
    row[q->idx_rowtime] = sl_bigint(ts);
    sl_query_emitter em = {out, in, keybuf, valbuf};
    const sl_value *old_row = NULL;
    if (src->is_table) {
        /* the table's latest row per key: what this update replaces */
        sl_strbuf_reset(&qs->buf);
        for (int i = 0; i < src->nkey; i++)
            sl_valcodec_put(&qs->buf, &row[i]);
        size_t klen = qs->buf.len, vlen;
        char *key = sl_arena_strndup(a, qs->buf.data ? qs->buf.data : "", klen);
        const void *v = sl_store_get(qs->table, key, klen, &vlen);
        if (v) {
            unsigned char *copy = sl_arena_alloc(a, vlen);
            memcpy(copy, v, vlen);
            sl_value *old = sl_arena_alloc(a, (size_t)q->row_width * sizeof *old);
            size_t pos = 0;
            bool ok = true;
            for (int i = 0; i < q->row_width && ok; i++)
                ok = sl_valcodec_get(copy, vlen, &pos, a, &old[i]);
            if (ok)
                old_row = old;
        }
        if (deleted) {
            sl_store_delete(qs->table, key, klen);
        } else {
            sl_strbuf_reset(&qs->buf);
            for (int i = 0; i < q->row_width; i++)
                sl_valcodec_put(&qs->buf, &row[i]);
            sl_store_put(qs->table, key, klen, qs->buf.data, qs->buf.len);
        }
        if (old_row && !sl_project_filter(q, old_row, a, in, out))
            old_row = NULL;
    }
    bool pass = !deleted && sl_project_filter(q, row, a, in, out);
    if (q->agg && qs->table_stage1) {
        send_table_changes(q, old_row, pass ? row : NULL, ts, a, &em);
        sl_report_fate(out, old_row || pass ? SL_FATE_PASSED : SL_FATE_FILTERED);
        return;
    }
    if (q->agg) {
        sl_agg_process(q, qs->agg, old_row, pass ? row : NULL, ts, a, &em);
        return;
    }
    sl_project_row(q, row, ts, pass, deleted, old_row, a, &em);
}

void sl_query_state_foreach_store(sl_query_state *state, sl_store_each_fn fn, void *ctx)
{
    sl_query_state *s = state;
    if (!s)
        return;
    if (s->agg)
        sl_agg_state_foreach_store(s->agg, fn, ctx);
    if (s->join)
        sl_join_state_foreach_store(s->join, fn, ctx);
    if (s->table)
        fn(ctx, s->table);
}

void sl_query_state_after_restore(const sl_query *q, sl_query_state *state)
{
    sl_query_state *s = state;
    if (s && s->agg)
        sl_agg_state_after_restore(q, s->agg);
}

void sl_query_state_stats(const sl_query_state *state, sl_store_stats *into)
{
    const sl_query_state *s = state;
    if (!s)
        return;
    sl_agg_state_stats(s->agg, into);
    into->late_dropped += sl_agg_state_late(s->agg);
    sl_join_state_stats(s->join, into);
    sl_store_add_stats(s->table, into);
}
