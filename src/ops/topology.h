/* The compiled topology: what `sluice run` and `sluice test` execute.
 *
 * sl_topology_compile turns a statements file into source topics, operators
 * and sink topics. A task (one per input partition) runs records through the
 * operators; it does not know where records come from, only that they arrive
 * in order per partition and that a batch ends with sl_task_flush. Drivers
 * (runtime/kafka_driver, runtime/memory_driver) own the I/O. */
#ifndef SL_TOPOLOGY_H
#define SL_TOPOLOGY_H

#include "state/store.h"

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "ops/record.h"

typedef struct sl_topology sl_topology;
typedef struct sl_task sl_task;

typedef struct sl_topic_info {
    const char *name;
    int partitions;  /* wanted for a sink topic; 0 = same as the source's */
    int replicas;    /* 0 = broker default */
    bool is_source;  /* read by some query */
    bool is_sink;    /* written by some query */
    bool is_table_sink; /* the sink of a CREATE TABLE AS: its updates coalesce per batch */
    const char *declared_by; /* a source topic: the stream or table declared on it */
    bool is_internal; /* a repartition topic or an n-way join's step: the topology's own */
} sl_topic_info;

typedef struct sl_compile_options {
    /* ksqlDB engine properties (ksql.*), e.g. from a test's "properties";
     * NULL-terminated key, value pairs; may be NULL */
    const char *const *properties;
    /* for AVRO: schema lookup; NULL when no registry */
    struct sl_schema_registry *schema_registry;
    /* prefix of internal topic names (sluice run: "<application.id>-") */
    const char *internal_topic_prefix;
} sl_compile_options;

/* Compiles the statements in text (named file for messages). Caller owns the
 * topology. On error returns NULL and fills err (code SL_ERR_INVALID or
 * SL_ERR_UNSUPPORTED, with file:line:col). */
sl_topology *sl_topology_compile(const char *text, const char *file,
                                 const sl_compile_options *opts, sl_error *err);
void sl_topology_destroy(sl_topology *topo);

/* the persistent queries (CREATE ... AS SELECT, INSERT INTO ... SELECT) */
int sl_topology_query_count(const sl_topology *topo);
/* the i-th query's id (CSAS_OUTPUT_0), the name of its sink, and whether
 * that sink is an internal step of an n-way join */
const char *sl_topology_query_id(const sl_topology *topo, int i);
const char *sl_topology_query_sink(const sl_topology *topo, int i);
bool sl_topology_query_internal(const sl_topology *topo, int i);
struct sl_query;
const struct sl_query *sl_topology_query(const sl_topology *topo, int i);
/* the names of the state stores a task creates for the i-th query
 * (NULL-terminated; "<query id>-<role>"): the topology's one list, which
 * changelogs, restore, explain and the metrics read */
const char *const *sl_topology_query_stores(const sl_topology *topo, int i);
/* Topics the topology reads and writes (sources that are also sinks, as in
 * chained queries, appear once with both flags). Borrowed from topo. */
int sl_topology_topic_count(const sl_topology *topo);
const sl_topic_info *sl_topology_topic(const sl_topology *topo, int i);
/* Human/machine readable description for `sluice explain`: each query's
 * operators, its state stores as a task creates them and their changelog
 * topics (app: the application.id, or NULL for "<application.id>").
 * Caller frees. */
char *sl_topology_describe(const sl_topology *topo, const char *format, const char *app);

struct sl_catalog;
/* The catalog the statements built (sources, sinks, their serdes). Borrowed. */
const struct sl_catalog *sl_topology_catalog(const sl_topology *topo);

/* A task processes the records of one input partition (of every source
 * topic of that partition number). Caller owns it. */
sl_task *sl_task_new(const sl_topology *topo, int32_t partition);
void sl_task_destroy(sl_task *task);
/* sluice run: records whose grouping or join key is not their message key go
 * to the query's repartition topic first (see sl_query.repartition_topic);
 * off by default (one partition: nothing to move) */
void sl_task_enable_repartition(sl_task *task);
/* pairs of topics that joins read without repartitioning: their partition
 * counts must match (sluice run checks them against the cluster) */
int sl_topology_copartition_count(const sl_topology *topo);
void sl_topology_copartition(const sl_topology *topo, int i, const char **left_topic, const char **right_topic);
/* the i-th topic read by a foreign-key join (NULL past the end): these
 * joins run in one task, so sluice run needs their topics single-partition */
const char *sl_topology_fk_join_topic(const sl_topology *topo, int i);
/* The joins whose records from this topic must be taken in timestamp
 * order with their other side's, in the task that joins: a set with a bit
 * per query (bit i of word i / 64), sl_topology_order_words(topo) words,
 * as many as the queries need. Empty when the topic's records can go in
 * any order relative to other topics' (a join's side that is repartitioned
 * first is ordered through the repartition topic). */
int sl_topology_order_words(const sl_topology *topo);
void sl_topology_order_set(const sl_topology *topo, const char *topic, uint64_t *words);
/* true when a query of the topology reads topic (a source, a chained sink, a repartition topic) */
bool sl_topology_reads_topic(const sl_topology *topo, const char *topic);
/* true for the internal repartition topics of the topology */
bool sl_topology_is_repartition_topic(const sl_topology *topo, const char *topic);
/* a record read back from a repartition topic: run by its query only */
sl_err_t sl_task_process_repartitioned(sl_task *task, const sl_record *in, sl_arena *batch_arena,
                                       const sl_collector *out, sl_error *err);
/* what the task's state stores hold */
/* The task's stores, in a fixed order; names are unique in the topology */
void sl_task_foreach_store(sl_task *task, sl_store_each_fn fn, void *ctx);
void sl_task_after_restore(sl_task *task);
int32_t sl_task_partition(const sl_task *task);
void sl_task_store_stats(const sl_task *task, sl_store_stats *out);
/* what became of the records the task's i-th query read (ops/fate.h) */
struct sl_query_stats;
const struct sl_query_stats *sl_task_query_stats(const sl_task *task, int query);
/* adds the counts since the last take into *into and starts them again */
void sl_task_take_query_stats(sl_task *task, int query, struct sl_query_stats *into);
/* Runs one input record through every query reading its topic. Decoding and
 * evaluation errors go to out->processing_error and return SL_OK; a non-OK
 * return is a failure of the task itself (err filled). Temporary data goes
 * to batch_arena, which the driver resets after the batch. */
sl_err_t sl_task_process(sl_task *task, const sl_record *in, sl_arena *batch_arena,
                         const sl_collector *out, sl_error *err);
/* End of a micro-batch: emit what operators held back (coalesced updates). */
sl_err_t sl_task_flush(sl_task *task, sl_arena *batch_arena, const sl_collector *out,
                       sl_error *err);

#endif
