/* The records a worker has fetched but not yet processed, one queue per
 * input partition, grouped by task (a task is a partition number: it reads
 * partition p of every source topic). Kafka Streams calls this the
 * partition group: a task processes the record with the oldest timestamp
 * at the head of any of its queues, so that a stream-table join sees the
 * table rows older than a stream record before the record itself, whatever
 * order the consumer fetched them in.
 *
 * Only partitions that feed one operator together need this (a join's
 * two sides): each partition carries a mask of the joins it feeds, and a
 * record waits only for partitions whose mask meets its own. It waits
 * while such a partition has nothing buffered and the consumer has not
 * reported its end (enable.partition.eof): more records exist there and
 * are on their way. A partition at its end does not hold
 * the task back (Kafka Streams' max.task.idle.ms=0: wait for data the
 * consumer can fetch, never for producers). A queue that grows past its
 * limit pauses its partition until it drains, so a partition racing ahead
 * of a slow sibling cannot fill the memory.
 *
 * Records pushed in are owned by the group until handed out by
 * sl_pgroup_next, or dropped when the group is cleared. It knows nothing
 * of Kafka: the driver passes fetched messages, their timestamps, and
 * callbacks to pause and resume partitions and to free messages. */
#ifndef SL_PARTITION_GROUP_H
#define SL_PARTITION_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_pgroup sl_pgroup;

/* pause (true) or resume (false) fetching topic/partition */
typedef void (*sl_pgroup_flow_fn)(void *ctx, const char *topic, int32_t partition, bool pause);
/* a buffered record dropped unprocessed (rewind, revocation) */
typedef void (*sl_pgroup_drop_fn)(void *record);

/* queue_limit: records buffered per partition before it is paused */
sl_pgroup *sl_pgroup_new(size_t queue_limit, sl_pgroup_flow_fn flow, sl_pgroup_drop_fn drop, void *ctx);
void sl_pgroup_destroy(sl_pgroup *g);

/* A partition of a new assignment joins its task, with nothing known about
 * it yet. order_set (nwords words, copied) holds a bit per join the
 * partition feeds: records of partitions it shares a bit with wait until
 * it has a record or reports its end. */
void sl_pgroup_assign(sl_pgroup *g, const char *topic, int32_t partition, const uint64_t *order_set, int nwords);
/* Everything buffered is dropped and every partition forgotten (revoked). */
void sl_pgroup_clear(sl_pgroup *g);
/* Everything buffered is dropped, partitions stay (after a seek). */
void sl_pgroup_rewind(sl_pgroup *g);

/* A fetched record with its timestamp (takes ownership). Returns
 * SL_PGROUP_REFUSED, keeping nothing, for a partition that is not
 * assigned; SL_PGROUP_ORDERED when the partition is ordered with others
 * (the caller may then tell whether it is at its end). */
typedef enum { SL_PGROUP_REFUSED, SL_PGROUP_KEPT, SL_PGROUP_ORDERED } sl_pgroup_push_result;
sl_pgroup_push_result sl_pgroup_push(sl_pgroup *g, const char *topic, int32_t partition, int64_t timestamp,
                                     void *record);
/* The consumer reached the end of topic/partition, or its last record
 * pushed is the last one the broker has: once drained, the partition
 * holds nothing back until another record arrives. */
void sl_pgroup_at_end(sl_pgroup *g, const char *topic, int32_t partition);

/* The next record to process: a partition's head that no partition it is
 * ordered with holds back (by an older head, or by having nothing buffered
 * short of its end); the oldest such head of a task. NULL when every task
 * is empty or waiting. Caller owns the record. */
void *sl_pgroup_next(sl_pgroup *g);
/* Records held, over all partitions. */
size_t sl_pgroup_buffered(const sl_pgroup *g);
/* How often a full queue paused its partition (since creation). */
uint64_t sl_pgroup_pauses(const sl_pgroup *g);

#endif
