/* Per-query metrics: what became of the records each query read (passed,
 * filtered, late, failed; ops/fate.h), over committed batches. A task
 * counts its queries' fates as it processes; at a commit the worker takes
 * the counts of every task and adds them here, so a batch that aborts
 * (its tasks dropped and restored) adds nothing and is counted when it is
 * redone. */
#include <stdlib.h>
#include <string.h>

#include "ops/fate.h"
#include "ops/topology.h"
#include "runtime/metrics_int.h"

static bool ensure_totals(sl_worker_metrics *m)
{
    int n = m->topology ? sl_topology_query_count(m->topology) : 0;
    if (m->nquery_totals == n)
        return true;
    sl_query_stats *t = calloc((size_t)n + 1, sizeof *t);
    if (!t)
        return false;
    free(m->query_totals);
    m->query_totals = t;
    m->nquery_totals = n;
    return true;
}

void sl_metrics_query_commit(sl_worker_metrics *m, sl_task *const *tasks, int ntasks)
{
    pthread_mutex_lock(&m->lock);
    if (ensure_totals(m))
        for (int i = 0; tasks && i < ntasks; i++)
            for (int q = 0; tasks[i] && q < m->nquery_totals; q++)
                sl_task_take_query_stats(tasks[i], q, &m->query_totals[q]);
    pthread_mutex_unlock(&m->lock);
}

void sl_metrics_query_read(sl_worker_metrics *m, sl_worker_snapshot *out)
{
    if (!m->nquery_totals || !m->topology)
        return;
    out->queries = calloc((size_t)m->nquery_totals, sizeof *out->queries);
    if (!out->queries)
        return;
    for (int q = 0; q < m->nquery_totals; q++) {
        const sl_query_stats *s = &m->query_totals[q];
        sl_query_view *v = &out->queries[q];
        v->id = strdup(sl_topology_query_id(m->topology, q));
        v->read = (int64_t)s->read;
        v->passed = s->fate[SL_FATE_PASSED];
        v->filtered = s->fate[SL_FATE_FILTERED];
        v->late = s->fate[SL_FATE_LATE];
        v->failed = s->fate[SL_FATE_FAILED];
        v->unaccounted = (int64_t)s->unaccounted;
        v->processing_errors = (int64_t)s->processing_errors;
        v->in_flight = s->fate[SL_FATE_FORWARDED];
    }
    out->nqueries = m->nquery_totals;
}

void sl_metrics_query_free(sl_worker_snapshot *s)
{
    for (int q = 0; q < s->nqueries; q++)
        free(s->queries[q].id);
    free(s->queries);
    s->queries = NULL;
    s->nqueries = 0;
}

void sl_metrics_query_destroy(sl_worker_metrics *m)
{
    free(m->query_totals);
    m->query_totals = NULL;
    m->nquery_totals = 0;
}
