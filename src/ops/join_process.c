/* A record for a join, handed to the processor of the join's kind. Apart
 * from join.c so that the processors, which use join.c's helpers, and the
 * dispatch to them do not include each other. */
#include "ops/join_int.h"

#include <string.h>

void sl_join_process(const sl_query *q, sl_join_state *s, const sl_record *in, sl_arena *arena, sl_strbuf *keybuf,
                     sl_strbuf *valbuf, const sl_collector *out)
{
    const sl_join_plan *p = q->join;
    sl_join_out o = {q, s, arena, {out, in, keybuf, valbuf}};
    /* a topic both sides read feeds the left side first; the record has
     * one fate, the better of its two */
    sl_fate fate = SL_FATE_COUNT;
    for (int side = 0; side < 2; side++) {
        if (strcmp(in->topic, p->side[side].src->topic))
            continue;
        sl_fate f;
        if (p->fk)
            f = sl_join_process_foreign_key(q, s, side, in, &o, out);
        else if (p->stream_stream)
            f = sl_join_process_stream(q, s, side, in, &o, out);
        else if (p->stream_table)
            f = sl_join_process_stream_table(q, s, side, in, &o, out);
        else
            f = sl_join_process_table(q, s, side, in, &o, out);
        if (f < fate)
            fate = f;
    }
    if (fate != SL_FATE_COUNT)
        sl_report_fate(out, fate);
}
