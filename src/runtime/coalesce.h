/* Coalescing of table updates within a micro-batch, as Kafka Streams' record
 * cache does: the updates a batch makes to one key of a table's sink topic
 * leave as one record, the latest, when the batch commits. Streams,
 * repartition topics and the processing log are never coalesced. Records
 * leave in the order their keys first changed in the batch. */
#ifndef SL_COALESCE_H
#define SL_COALESCE_H

#include <stddef.h>

#include "ops/record.h"

typedef struct sl_coalescer sl_coalescer;

sl_coalescer *sl_coalescer_new(void);
void sl_coalescer_destroy(sl_coalescer *c);
/* keeps a copy of r (topic, partition, key, value, timestamp; r->key must
 * not be NULL), replacing an earlier record of the same topic and key */
void sl_coalescer_add(sl_coalescer *c, const sl_record *r);
/* hands every kept record to send, then forgets them */
void sl_coalescer_drain(sl_coalescer *c, void (*send)(void *ctx, const sl_record *r), void *ctx);
/* forgets every kept record (an aborted batch) */
void sl_coalescer_clear(sl_coalescer *c);
size_t sl_coalescer_count(const sl_coalescer *c);

#endif
