/* The repartition operator: grouping or joining by something other than
 * the message key needs the records of that side re-keyed first, so that
 * equal keys meet in one task (sluice run sends them through the query's
 * repartition topic, see sl_query.repartition_topic). This is the key they
 * are sent with. */
#ifndef SL_REPARTITION_H
#define SL_REPARTITION_H

#include "common/arena.h"
#include "common/strbuf.h"
#include "ops/record.h"
#include "sql/plan.h"

/* The bytes a repartition record of side (0 source/left, 1 right) is keyed
 * by: the grouping key, or the join key as the other side's key format
 * writes it (so that the default partitioner puts it where that side's
 * keys are). */
sl_partition_key_kind sl_query_partition_key(const sl_query *q, int side, const sl_record *in, sl_arena *arena,
                                             sl_strbuf *out);
/* the grouping key of an aggregation's source row, encoded (valcodec) */
void sl_repartition_group_key(const sl_query *q, const sl_value *row, sl_arena *arena, sl_strbuf *out);

#endif
