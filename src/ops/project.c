/* The project operator: WHERE, the select list, table functions (one
 * output per element of the longest EXPLODEd array) and, for a table
 * source, the delete that a row leaving the result sends. */
#include "ops/project.h"

#include "ops/fate.h"
#include "ops/sink.h"
#include "ops/timestamp.h"

bool sl_project_filter(const sl_query *q, const sl_value *row, sl_arena *a, const sl_record *in, const sl_collector *out)
{
    if (!q->where)
        return true;
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value keep;
    sl_cexpr_eval(q->where, &ctx, &keep);
    if (ctx.errors)
        out->processing_error(out->ctx, in, err.msg);
    return !keep.null && keep.u.b;
}

/* false when the sink's TIMESTAMP column failed (logged): nothing emitted */
bool sl_project_emit(const sl_query *q, const sl_value *row, int64_t ts, bool tombstone, sl_arena *a,
                             sl_query_emitter *em)
{
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value *vals = sl_arena_alloc(a, (size_t)(q->ncols ? q->ncols : 1) * sizeof *vals);
    int n = tombstone ? q->nkey_out : q->ncols;
    for (int i = 0; i < n; i++) {
        if (tombstone && q->cols[i].from_value) {
            vals[i] = sl_null(q->cols[i].type->kind);
            continue;
        }
        sl_cexpr_eval(q->cols[i].expr, &ctx, &vals[i]);
        if (vals[i].null)
            vals[i].kind = (uint8_t)q->cols[i].type->kind;
    }
    if (ctx.errors)
        em->out->processing_error(em->out->ctx, em->source, err.msg);
    if (!tombstone && !sl_time_extract(&q->sink_time, vals, em->source, a, em->out, &ts))
        return false;
    int64_t window[2];
    const int64_t *w = NULL;
    if (q->source->window_kind) {
        window[0] = row[q->idx_rowoffset + 1].u.l;
        window[1] = row[q->idx_rowoffset + 2].u.l;
        w = window;
    }
    sl_key_origin key_of = !q->key_passes || !em->source ? SL_KEY_COMPUTED
                 : em->source->key                ? SL_KEY_OF_SOURCE_PRESENT
                                                  : SL_KEY_OF_SOURCE_NULL;
    sl_sink_emit_row(q, vals, tombstone ? NULL : vals, ts, w, key_of, a, em);
    return true;
}

void sl_project_row(const sl_query *q, sl_value *row, int64_t ts, bool pass, bool deleted, const sl_value *old_row,
                    sl_arena *a, sl_query_emitter *em)
{
    sl_error err;
    sl_error_init(&err);
    if (pass && q->ntf) {
        /* one output per element; shorter arrays give NULLs */
        sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
        sl_value *arrays = sl_arena_alloc(a, (size_t)q->ntf * sizeof *arrays);
        uint32_t n = 0;
        for (int i = 0; i < q->ntf; i++) {
            sl_cexpr_eval(q->tf_args[i], &ctx, &arrays[i]);
            if (!arrays[i].null && arrays[i].u.c.n > n)
                n = arrays[i].u.c.n;
        }
        for (uint32_t j = 0; j < n; j++) {
            for (int i = 0; i < q->ntf; i++)
                row[q->row_width + i] = !arrays[i].null && j < arrays[i].u.c.n
                                            ? arrays[i].u.c.items[j]
                                            : sl_null(q->tf_args[i]->type->elem->kind);
            sl_project_emit(q, row, ts, false, a, em);
        }
        sl_report_fate(em->out, SL_FATE_PASSED);
    } else if (pass) {
        sl_report_fate(em->out, sl_project_emit(q, row, ts, false, a, em) ? SL_FATE_PASSED : SL_FATE_FAILED);
    } else if (q->source->is_table && (old_row || (deleted && !q->where))) {
        /* the table's row is gone from the result: a delete goes out */
        sl_project_emit(q, row, ts, true, a, em);
        sl_report_fate(em->out, SL_FATE_PASSED);
    } else {
        sl_report_fate(em->out, SL_FATE_FILTERED);
    }
}
