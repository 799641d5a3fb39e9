/* What a worker's metrics keep for an operator to diagnose from (see
 * metrics.h), beside the counters of metrics.c:
 *
 * - Records per topic and direction, so that records read from the
 *   statements' sources and written to their sinks are not mixed with the
 *   internal topics' (a GROUP BY on a non-key column reads each record
 *   twice: once from its source, once back from the repartition topic).
 *   A record only bumps the open batch's count of its topic's slot (the
 *   slot used last is tried first: records come in runs of one topic); a
 *   commit folds the counts into the published ones.
 *
 * - Lag per assigned partition without counting transaction markers. A
 *   read_committed consumer's end offset is the last stable offset, and a
 *   transactionally written partition ends with a commit marker that is
 *   not a record: the offset after the last record is one short of it, so
 *   "end - (last offset + 1)" says 1 for a partition that is caught up.
 *   The consumer's end-of-partition event carries its fetch position,
 *   past the markers; when every record fetched before that event has been
 *   processed, the worker is at that position. Otherwise it is after its
 *   last processed record, and lag counts what is left (markers in between
 *   included, which only matters while it is behind anyway).
 *
 * - A per-second history of committed batches (the last five minutes) for
 *   the status page's charts, the last processing-log messages, the state
 *   stores' sizes, and the consumer group membership. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "runtime/metrics_int.h"
#include "state/store.h"

/* ---------- topics ---------- */

static sl_topic_kind kind_of(const sl_topology *topo, const char *topic, bool out)
{
    if (!topo)
        return SL_TOPIC_OTHER;
    if (sl_topology_is_repartition_topic(topo, topic))
        return SL_TOPIC_INTERNAL;
    for (int i = 0; i < sl_topology_topic_count(topo); i++) {
        const sl_topic_info *t = sl_topology_topic(topo, i);
        if (!strcmp(t->name, topic))
            return out ? (t->is_sink ? SL_TOPIC_SINK : SL_TOPIC_OTHER) : (t->is_source ? SL_TOPIC_SOURCE : SL_TOPIC_OTHER);
    }
    return SL_TOPIC_OTHER;
}

/* the slot of topic in one direction, made when first seen (under the
 * lock: readers copy the slots); -1 when memory ran out */
static int slot_of(sl_worker_metrics *m, const char *topic, bool out, int *last)
{
    if (*last >= 0 && !strcmp(m->topics[*last].name, topic))
        return *last;
    for (int i = 0; i < m->ntopics; i++)
        if (m->topics[i].out == out && !strcmp(m->topics[i].name, topic))
            return *last = i;
    char *name = strdup(topic);
    if (!name)
        return -1;
    pthread_mutex_lock(&m->lock);
    topic_slot *p = realloc(m->topics, (size_t)(m->ntopics + 1) * sizeof *p);
    if (p) {
        m->topics = p;
        p[m->ntopics] = (topic_slot){.name = name, .kind = kind_of(m->topology, topic, out), .out = out};
        *last = m->ntopics++;
    }
    pthread_mutex_unlock(&m->lock);
    if (!p) {
        free(name);
        return -1;
    }
    return *last;
}

void sl_worker_metrics_output(sl_worker_metrics *m, const char *topic)
{
    if (!m || !topic)
        return;
    int i = slot_of(m, topic, true, &m->last_out);
    if (i >= 0)
        m->topics[i].pending++;
}

/* ---------- partitions ---------- */

/* the assigned partition's index, or -1 (the worker reads `assigned`
 * without the lock: it is the only one that changes it) */
static int track_of(sl_worker_metrics *m, const char *topic, int32_t partition)
{
    int k = m->last_track;
    if (k >= 0 && k < m->nassigned && m->assigned[k].partition == partition && !strcmp(m->assigned[k].topic, topic))
        return k;
    for (k = 0; k < m->nassigned; k++)
        if (m->assigned[k].partition == partition && !strcmp(m->assigned[k].topic, topic))
            return m->last_track = k;
    return -1;
}

void sl_metrics_detail_record(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset)
{
    if (!topic)
        return;
    int i = slot_of(m, topic, false, &m->last_in);
    if (i >= 0)
        m->topics[i].pending++;
    int k = track_of(m, topic, partition);
    if (k >= 0) {
        m->track[k].processed++;
        m->track[k].next = offset + 1;
    }
}

void sl_worker_metrics_fetched(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset)
{
    if (!m || !topic)
        return;
    int k = track_of(m, topic, partition);
    if (k >= 0) {
        m->track[k].fetched++;
        m->track[k].end = -1; /* a record after the end: the end has moved */
    }
    (void)offset;
}

/* under lock: the lag of assigned partition k from the consumer's cached
 * end offset (kept as it was when that is unknown) */
static void update_lag(sl_worker_metrics *m, int k, rd_kafka_t *consumer)
{
    const partition_track *t = &m->track[k];
    int64_t pos = t->next;
    if (t->end >= 0 && t->fetched == t->processed && t->end > pos)
        pos = t->end;
    int64_t low, high;
    if (pos < 0 || !consumer ||
        rd_kafka_get_watermark_offsets(consumer, m->assigned[k].topic, m->assigned[k].partition, &low, &high) ||
        high < 0)
        return;
    m->assigned[k].lag = high > pos ? high - pos : 0;
}

void sl_worker_metrics_partition_end(sl_worker_metrics *m, rd_kafka_t *consumer, const char *topic,
                                     int32_t partition, int64_t offset)
{
    if (!m || !topic)
        return;
    int k = track_of(m, topic, partition);
    if (k < 0 || offset < 0)
        return;
    m->track[k].end = offset;
    pthread_mutex_lock(&m->lock);
    update_lag(m, k, consumer);
    pthread_mutex_unlock(&m->lock);
}

bool sl_metrics_detail_assigned(sl_worker_metrics *m, int n)
{
    partition_track *t = n ? realloc(m->track, (size_t)n * sizeof *t) : NULL;
    if (n && !t)
        return false;
    if (!n)
        free(m->track);
    m->track = t;
    for (int k = 0; k < n; k++)
        t[k] = (partition_track){.next = -1, .end = -1};
    m->last_track = -1;
    return true;
}

void sl_metrics_detail_forget(sl_worker_metrics *m)
{
    for (int i = 0; i < m->ntopics; i++)
        m->topics[i].pending = 0;
    for (int k = 0; k < m->nassigned && m->track; k++)
        m->track[k] = (partition_track){.next = -1, .end = -1};
}

/* ---------- at a commit ---------- */

void sl_metrics_detail_commit(sl_worker_metrics *m, rd_kafka_t *consumer, const rd_kafka_topic_partition_list_t *offsets,
                              int64_t latency_us)
{
    int64_t in = 0, out = 0;
    for (int i = 0; i < m->ntopics; i++) {
        topic_slot *t = &m->topics[i];
        t->published += t->pending;
        if (t->kind == SL_TOPIC_SOURCE)
            in += t->pending;
        else if (t->kind == SL_TOPIC_SINK)
            out += t->pending;
        t->pending = 0;
    }
    int64_t now = sl_metrics_wall_ms() / 1000;
    sl_history_second *h = &m->history[now % SL_METRICS_HISTORY_SECONDS];
    if (h->second != now)
        *h = (sl_history_second){.second = now};
    h->records_in += in;
    h->records_out += out;
    if (latency_us >= 0) {
        h->commits++;
        h->latency_us_sum += latency_us;
        if (latency_us > h->latency_us_max)
            h->latency_us_max = latency_us;
    }
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        int k = track_of(m, offsets->elems[i].topic, offsets->elems[i].partition);
        if (k >= 0 && offsets->elems[i].offset > m->track[k].next)
            m->track[k].next = offsets->elems[i].offset;
    }
    for (int k = 0; k < m->nassigned; k++)
        update_lag(m, k, consumer);
}

static void add_store(void *ctx, sl_store *store)
{
    sl_worker_metrics *m = ctx;
    const char *name = sl_store_name(store);
    int i = 0;
    while (i < m->nstores && strcmp(m->stores[i].name, name))
        i++;
    if (i == m->nstores) {
        char *copy = strdup(name);
        sl_store_view *p = copy ? realloc(m->stores, (size_t)(m->nstores + 1) * sizeof *p) : NULL;
        if (!p) {
            free(copy);
            return;
        }
        m->stores = p;
        p[m->nstores++] = (sl_store_view){.name = copy};
    }
    m->stores[i].entries += (int64_t)sl_store_count(store);
    m->stores[i].bytes += (int64_t)sl_store_memory_bytes(store);
}

void sl_metrics_detail_stores(sl_worker_metrics *m, sl_task *const *tasks, int ntasks)
{
    pthread_mutex_lock(&m->lock);
    for (int i = 0; i < m->nstores; i++)
        m->stores[i].entries = m->stores[i].bytes = 0;
    for (int i = 0; tasks && i < ntasks; i++)
        if (tasks[i])
            sl_task_foreach_store(tasks[i], add_store, m);
    pthread_mutex_unlock(&m->lock);
}

/* ---------- errors and membership ---------- */

void sl_worker_metrics_processing_error(sl_worker_metrics *m, const char *topic, int32_t partition, int64_t offset,
                                        const char *message)
{
    if (!m)
        return;
    int64_t now = sl_metrics_wall_ms();
    pthread_mutex_lock(&m->lock);
    sl_error_entry *e = &m->errors[m->nerrors_seen % SL_METRICS_ERRORS];
    e->time_ms = now;
    snprintf(e->topic, sizeof e->topic, "%s", topic ? topic : "");
    e->partition = partition;
    e->offset = offset;
    snprintf(e->message, sizeof e->message, "%s", message ? message : "");
    m->nerrors_seen++;
    pthread_mutex_unlock(&m->lock);
}

static char *conf_value(rd_kafka_t *rk, const char *name)
{
    char buf[512];
    size_t size = sizeof buf;
    if (rd_kafka_conf_get(rd_kafka_conf(rk), name, buf, &size) != RD_KAFKA_CONF_OK || !*buf)
        return NULL;
    return strdup(buf);
}

void sl_worker_metrics_member(sl_worker_metrics *m, rd_kafka_t *consumer)
{
    if (!m || !consumer)
        return;
    char *member = rd_kafka_memberid(consumer);
    char *member_copy = member ? strdup(member) : NULL;
    if (member)
        rd_kafka_mem_free(consumer, member);
    char *group = conf_value(consumer, "group.id"), *instance = conf_value(consumer, "group.instance.id");
    pthread_mutex_lock(&m->lock);
    free(m->group_id);
    free(m->member_id);
    free(m->instance_id);
    m->group_id = group;
    m->member_id = member_copy;
    m->instance_id = instance;
    pthread_mutex_unlock(&m->lock);
}

/* ---------- readers ---------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

void sl_metrics_detail_read(sl_worker_metrics *m, sl_worker_snapshot *out)
{
    out->topics = m->ntopics ? calloc((size_t)m->ntopics, sizeof *out->topics) : NULL;
    for (int i = 0; out->topics && i < m->ntopics; i++) {
        sl_topic_count *c = &out->topics[out->ntopics];
        c->topic = strdup(m->topics[i].name);
        if (!c->topic)
            continue;
        c->kind = m->topics[i].kind;
        c->out = m->topics[i].out;
        c->records = m->topics[i].published;
        out->ntopics++;
    }
    out->stores = m->nstores ? calloc((size_t)m->nstores, sizeof *out->stores) : NULL;
    for (int i = 0; out->stores && i < m->nstores; i++) {
        sl_store_view *v = &out->stores[out->nstores];
        *v = m->stores[i];
        v->name = strdup(m->stores[i].name);
        if (v->name)
            out->nstores++;
    }
    memcpy(out->history, m->history, sizeof out->history);
    memcpy(out->errors, m->errors, sizeof out->errors);
    out->nerrors_seen = m->nerrors_seen;
    out->group_id = dup_or_null(m->group_id);
    out->member_id = dup_or_null(m->member_id);
    out->instance_id = dup_or_null(m->instance_id);
    out->assignments = m->assignments;
    out->assigned_ms = m->assigned_ms;
}

void sl_metrics_detail_destroy(sl_worker_metrics *m)
{
    for (int i = 0; i < m->ntopics; i++)
        free(m->topics[i].name);
    free(m->topics);
    for (int i = 0; i < m->nstores; i++)
        free(m->stores[i].name);
    free(m->stores);
    free(m->group_id);
    free(m->member_id);
    free(m->instance_id);
    free(m->track);
}
