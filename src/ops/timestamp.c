/* Record time extraction (see timestamp.h): the extractor the plan built
 * (sql/plan_time.c) applied to a decoded record. */
#include "ops/timestamp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* the column's text for a message, cut short */
static void describe_value(const sl_value *v, char *buf, size_t size)
{
    if (v->null)
        snprintf(buf, size, "null");
    else if (v->kind == SL_STRING)
        snprintf(buf, size, "'%.*s'", v->u.s.len > 100 ? 100 : (int)v->u.s.len, v->u.s.ptr);
    else
        snprintf(buf, size, "%" PRId64, v->u.l);
}

bool sl_time_extract(const sl_time_extractor *x, const sl_value *row, const sl_record *in, sl_arena *a,
                     const sl_collector *out, int64_t *ts)
{
    if (!x->expr)
        return true;
    sl_error err;
    sl_error_init(&err);
    sl_eval_ctx ctx = {.row = row, .arena = a, .err = &err};
    sl_value t;
    sl_cexpr_eval(x->expr, &ctx, &t);
    if (!t.null && t.u.l >= 0) {
        *ts = t.u.l;
        return true;
    }
    char shown[128], msg[600];
    describe_value(&row[x->index], shown, sizeof shown); /* as read, whatever the parser made of it */
    if (!t.null) {
        /* Kafka Streams skips a record whose time is negative; ksqlDB does
         * not count it as an extraction failure, so it never stops the run */
        snprintf(msg, sizeof msg, "Record dropped: its TIMESTAMP column %s is negative (%s)", x->column, shown);
        out->processing_error(out->ctx, in, msg);
        return false;
    }
    if (x->format && !row[x->index].null)
        snprintf(msg, sizeof msg,
                 "Failed to extract timestamp from row: unable to parse string timestamp. column=%s value=%s "
                 "timestamp_format=%s",
                 x->column, shown, x->format);
    else
        snprintf(msg, sizeof msg, "Failed to extract timestamp from row: the TIMESTAMP column %s is null",
                 x->column);
    if (x->throw_on_invalid && out->fatal_error)
        out->fatal_error(out->ctx, in, msg);
    else
        out->processing_error(out->ctx, in, msg);
    return false;
}
