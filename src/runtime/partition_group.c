/* The partition group (see partition_group.h). Each partition's queue is a
 * ring of fetched records with their timestamps; a task is the list of
 * queues of one partition number. Records arrive in runs from one
 * partition, so the queue of the last record is tried first. */
#include "runtime/partition_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


typedef struct rqueue {
    char *topic;
    int32_t partition;
    uint64_t *order_set; /* the joins it feeds: ordered with queues sharing a bit */
    int order_words;
    bool ordered; /* order_set is not empty */
    int task; /* index into sl_pgroup.tasks */
    struct held {
        void *record;
        int64_t timestamp;
    } *ring;
    size_t head, len, cap;
    bool at_end; /* the consumer reported the end and nothing came since */
    bool paused;
} rqueue;

typedef struct task_queues {
    int32_t partition;
    rqueue **queues;
    int n;
    size_t buffered;
} task_queues;

struct sl_pgroup {
    size_t limit;
    sl_pgroup_flow_fn flow;
    sl_pgroup_drop_fn drop;
    void *ctx;
    rqueue **queues;
    int nqueues;
    task_queues *tasks;
    int ntasks;
    int cursor; /* the task served last: it goes on while it can */
    size_t buffered;
    uint64_t pauses;
    rqueue *last_queue; /* of the last record pushed */
};

static void *xrealloc(void *p, size_t n)
{
    void *r = realloc(p, n ? n : 1);
    if (!r) {
        fprintf(stderr, "sluice: out of memory buffering fetched records\n");
        abort();
    }
    return r;
}

sl_pgroup *sl_pgroup_new(size_t queue_limit, sl_pgroup_flow_fn flow, sl_pgroup_drop_fn drop, void *ctx)
{
    sl_pgroup *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->flow = flow;
    g->drop = drop;
    g->ctx = ctx;
    g->limit = queue_limit < 16 ? 16 : queue_limit;
    return g;
}

static void pause_resume(sl_pgroup *g, rqueue *q, bool pause)
{
    g->pauses += pause;
    if (g->flow)
        g->flow(g->ctx, q->topic, q->partition, pause);
    q->paused = pause;
}

static void drop_records(sl_pgroup *g, rqueue *q)
{
    for (size_t i = 0; i < q->len; i++)
        g->drop(q->ring[(q->head + i) % q->cap].record);
    g->tasks[q->task].buffered -= q->len;
    g->buffered -= q->len;
    q->head = q->len = 0;
    q->at_end = false;
    if (q->paused)
        pause_resume(g, q, false);
}

void sl_pgroup_rewind(sl_pgroup *g)
{
    for (int i = 0; i < g->nqueues; i++)
        drop_records(g, g->queues[i]);
}

void sl_pgroup_clear(sl_pgroup *g)
{
    sl_pgroup_rewind(g);
    for (int i = 0; i < g->nqueues; i++) {
        free(g->queues[i]->ring);
        free(g->queues[i]->order_set);
        free(g->queues[i]->topic);
        free(g->queues[i]);
    }
    for (int i = 0; i < g->ntasks; i++)
        free(g->tasks[i].queues);
    free(g->queues);
    free(g->tasks);
    g->queues = NULL;
    g->tasks = NULL;
    g->nqueues = g->ntasks = g->cursor = 0;
    g->last_queue = NULL;
}

void sl_pgroup_destroy(sl_pgroup *g)
{
    if (!g)
        return;
    sl_pgroup_clear(g);
    free(g);
}

static rqueue *find_queue(const sl_pgroup *g, const char *topic, int32_t partition)
{
    for (int i = 0; i < g->nqueues; i++)
        if (g->queues[i]->partition == partition && !strcmp(g->queues[i]->topic, topic))
            return g->queues[i];
    return NULL;
}

static int task_index(sl_pgroup *g, int32_t partition)
{
    for (int i = 0; i < g->ntasks; i++)
        if (g->tasks[i].partition == partition)
            return i;
    g->tasks = xrealloc(g->tasks, (size_t)(g->ntasks + 1) * sizeof *g->tasks);
    g->tasks[g->ntasks] = (task_queues){.partition = partition};
    return g->ntasks++;
}

void sl_pgroup_assign(sl_pgroup *g, const char *topic, int32_t partition, const uint64_t *order_set, int nwords)
{
    if (find_queue(g, topic, partition))
        return;
    rqueue *q = calloc(1, sizeof *q);
    if (!q || !(q->topic = strdup(topic))) {
        fprintf(stderr, "sluice: out of memory\n");
        abort();
    }
    q->partition = partition;
    q->order_words = nwords;
    q->order_set = xrealloc(NULL, (size_t)nwords * sizeof *q->order_set);
    for (int i = 0; i < nwords; i++) {
        q->order_set[i] = order_set[i];
        q->ordered |= order_set[i] != 0;
    }
    q->task = task_index(g, partition);
    g->queues = xrealloc(g->queues, (size_t)(g->nqueues + 1) * sizeof *g->queues);
    g->queues[g->nqueues++] = q;
    task_queues *t = &g->tasks[q->task];
    t->queues = xrealloc(t->queues, (size_t)(t->n + 1) * sizeof *t->queues);
    t->queues[t->n++] = q;
}

static rqueue *queue_of(sl_pgroup *g, const char *topic, int32_t partition)
{
    if (g->last_queue && partition == g->last_queue->partition && !strcmp(topic, g->last_queue->topic))
        return g->last_queue;
    rqueue *q = find_queue(g, topic, partition);
    if (q)
        g->last_queue = q;
    return q;
}

sl_pgroup_push_result sl_pgroup_push(sl_pgroup *g, const char *topic, int32_t partition, int64_t timestamp,
                                     void *record)
{
    rqueue *q = queue_of(g, topic, partition);
    if (!q)
        return SL_PGROUP_REFUSED; /* fetched before a revocation: the partition is not ours */
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        struct held *ring = xrealloc(NULL, cap * sizeof *ring);
        for (size_t i = 0; i < q->len; i++)
            ring[i] = q->ring[(q->head + i) % q->cap];
        free(q->ring);
        q->ring = ring;
        q->cap = cap;
        q->head = 0;
    }
    q->ring[(q->head + q->len) % q->cap] = (struct held){record, timestamp};
    q->len++;
    q->at_end = false;
    g->tasks[q->task].buffered++;
    g->buffered++;
    if (q->len >= g->limit && !q->paused)
        pause_resume(g, q, true);
    return q->ordered ? SL_PGROUP_ORDERED : SL_PGROUP_KEPT;
}

void sl_pgroup_at_end(sl_pgroup *g, const char *topic, int32_t partition)
{
    rqueue *q = find_queue(g, topic, partition);
    if (q)
        q->at_end = true;
}

static bool share_a_join(const rqueue *a, const rqueue *b)
{
    int n = a->order_words < b->order_words ? a->order_words : b->order_words;
    for (int i = 0; i < n; i++)
        if (a->order_set[i] & b->order_set[i])
            return true;
    return false;
}

/* q's head may go: no queue it is ordered with has an older head, or has
 * nothing buffered short of its end */
static bool may_go(const task_queues *t, const rqueue *q)
{
    if (!q->ordered)
        return true;
    int64_t ts = q->ring[q->head].timestamp;
    for (int i = 0; i < t->n; i++) {
        const rqueue *r = t->queues[i];
        if (r == q || !share_a_join(r, q))
            continue;
        if (!r->len) {
            if (!r->at_end)
                return false;
        } else if (r->ring[r->head].timestamp < ts) {
            return false;
        }
    }
    return true;
}

/* the queue whose head the task processes next: the oldest that may go
 * (ties to the queue assigned first), or NULL */
static rqueue *next_queue(const task_queues *t)
{
    rqueue *best = NULL;
    for (int i = 0; i < t->n; i++) {
        rqueue *q = t->queues[i];
        if (q->len && (!best || q->ring[q->head].timestamp < best->ring[best->head].timestamp) && may_go(t, q))
            best = q;
    }
    return best;
}

void *sl_pgroup_next(sl_pgroup *g)
{
    if (!g->buffered)
        return NULL;
    for (int k = 0; k < g->ntasks; k++) {
        int i = (g->cursor + k) % g->ntasks;
        task_queues *t = &g->tasks[i];
        if (!t->buffered)
            continue;
        rqueue *q = t->n == 1 ? t->queues[0] : next_queue(t);
        if (!q)
            continue;
        void *m = q->ring[q->head].record;
        q->head = (q->head + 1) % q->cap;
        q->len--;
        t->buffered--;
        g->buffered--;
        g->cursor = i;
        if (q->paused && q->len <= g->limit / 2)
            pause_resume(g, q, false);
        return m;
    }
    return NULL;
}

size_t sl_pgroup_buffered(const sl_pgroup *g)
{
    return g->buffered;
}

uint64_t sl_pgroup_pauses(const sl_pgroup *g)
{
    return g->pauses;
}
