/* Topology compilation: statements in order build the catalog and the
 * queries; the topology then lists the topics it touches. Tasks are cheap
 * (per-partition scratch buffers) because stateless queries keep no state. */
#include "ops/topology.h"

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "ops/fate.h"
#include "ops/internal_record.h"
#include "ops/repartition.h"
#include "ops/query.h"
#include "sql/plan_aggregate.h"
#include "sql/plan_join.h"
#include "sql/catalog.h"
#include "sql/parser.h"

struct sl_topology {
    sl_arena *arena;
    sl_catalog *catalog;
    sl_query **queries;
    int nqueries;
    sl_topic_info *topics;
    int ntopics;
    /* the state stores a task of this topology creates, per query, as the
     * plans declare them: what changelogs, restore, explain and metrics
     * are about */
    const char ***stores; /* per query, NULL-terminated */
};

/* the store names of every query, from the stores its plan declares */
static void list_stores(sl_topology *t)
{
    t->stores = sl_arena_calloc(t->arena, (size_t)t->nqueries + 1, sizeof *t->stores);
    for (int i = 0; i < t->nqueries; i++) {
        const sl_query *q = t->queries[i];
        const char **names = sl_arena_calloc(t->arena, (size_t)q->nstores + 1, sizeof *names);
        for (int k = 0; k < q->nstores; k++)
            names[k] = q->stores[k].name;
        t->stores[i] = names;
    }
}

const char *const *sl_topology_query_stores(const sl_topology *t, int query)
{
    return t->stores[query];
}

struct sl_task {
    const sl_topology *topo;
    int32_t partition;
    bool repartition;
    sl_strbuf keybuf, valbuf;
    sl_query_state **query_state; /* per query; NULL for stateless ones */
    sl_query_stats *stats; /* per query */
};

static void mark_table_sink(sl_topology *t, const char *name)
{
    for (int i = 0; i < t->ntopics; i++)
        if (!strcmp(t->topics[i].name, name))
            t->topics[i].is_table_sink = true;
}

static void mark_internal(sl_topology *t, const char *name)
{
    for (int i = 0; i < t->ntopics; i++)
        if (!strcmp(t->topics[i].name, name))
            t->topics[i].is_internal = true;
}

static void add_topic(sl_topology *t, const char *name, int partitions, int replicas, bool source, bool sink,
                      const char *declared_by)
{
    for (int i = 0; i < t->ntopics; i++)
        if (!strcmp(t->topics[i].name, name)) {
            t->topics[i].is_source |= source;
            t->topics[i].is_sink |= sink;
            if (partitions && !t->topics[i].partitions)
                t->topics[i].partitions = partitions;
            if (replicas && !t->topics[i].replicas)
                t->topics[i].replicas = replicas;
            if (declared_by && !t->topics[i].declared_by)
                t->topics[i].declared_by = declared_by;
            return;
        }
    sl_topic_info *n = sl_arena_alloc(t->arena, (size_t)(t->ntopics + 1) * sizeof *n);
    if (t->ntopics)
        memcpy(n, t->topics, (size_t)t->ntopics * sizeof *n);
    n[t->ntopics] = (sl_topic_info){name, partitions, replicas, source, sink, false, declared_by, false};
    t->topics = n;
    t->ntopics++;
}

static void apply_properties(sl_catalog *cat, const sl_compile_options *opts)
{
    if (!opts || !opts->properties)
        return;
    for (const char *const *p = opts->properties; p[0]; p += 2)
        sl_catalog_set_property(cat, p[0], p[1]);
}

/* Joins of more than two sources run left-deep, as ksqlDB plans them: the
 * result of A JOIN B is an internal stream (or table) holding every column
 * of both, named after the statement, which the next step joins with C, and
 * so on. The columns of a step remember the source and name they came from,
 * so later steps and the final SELECT resolve t.x as the user wrote it.
 * Compiles the internal steps and rewrites *stp to the last join; with
 * every_join, the last join becomes a step too and *stp reads its result
 * without a join: how an aggregation or a PARTITION BY of a join runs (as
 * ksqlDB plans them, the join's result first, then the grouping or the
 * re-keying over it). */
static sl_err_t split_join_chain(sl_topology *t, sl_query_build *qb, sl_stmt **stp, const char *prefix,
                                 bool every_join, sl_error *err)
{
    sl_arena *a = t->arena;
    sl_stmt *st = *stp;
    const sl_select *sel = st->select;
    sl_from_item left = sel->from;
    int nsteps = every_join ? sel->njoins : sel->njoins - 1;
    for (int i = 0; i < nsteps; i++) {
        const sl_source *ls = sl_catalog_find(t->catalog, left.name);
        const sl_source *rs = sl_catalog_find(t->catalog, sel->joins[i].right.name);
        if (!ls || !rs) {
            const sl_from_item *missing = !ls ? &left : &sel->joins[i].right;
            return sl_error_at(err, SL_ERR_INVALID, qb->file, missing->pos.line, missing->pos.col, "%s does not exist.",
                               missing->name);
        }
        sl_stmt *step = sl_arena_calloc(a, 1, sizeof *step);
        step->kind = SL_STMT_CREATE_AS;
        step->pos = st->pos;
        step->is_table = ls->is_table && rs->is_table;
        step->name = sl_arena_sprintf(a, "%s_JOIN_STEP_%d", st->name, i + 1);
        step->join_step = true;
        sl_select *ss = sl_arena_calloc(a, 1, sizeof *ss);
        sl_select_item *star = sl_arena_calloc(a, 1, sizeof *star);
        star->star = true;
        star->pos = sel->pos;
        ss->items = star;
        ss->nitems = 1;
        ss->from = left;
        ss->joins = &sel->joins[i];
        ss->njoins = 1;
        ss->emit_changes = true;
        ss->limit = -1;
        ss->pos = sel->pos;
        step->select = ss;
        sl_query *q;
        qb->query_index = t->nqueries;
        sl_err_t rc = sl_plan_statement(qb, step, &q, err);
        if (rc)
            return rc;
        t->queries[t->nqueries++] = q;
        /* an internal topic, named as repartition topics are */
        q->sink->topic = sl_arena_sprintf(a, "%s%s-join-step-%d", prefix ? prefix : "", st->name, i + 1);
        left = (sl_from_item){step->name, NULL, sel->from.pos};
    }
    sl_stmt *last = sl_arena_alloc(a, sizeof *last);
    *last = *st;
    sl_select *ls = sl_arena_alloc(a, sizeof *ls);
    *ls = *sel;
    ls->from = left;
    ls->joins = every_join ? NULL : &sel->joins[sel->njoins - 1];
    ls->njoins = every_join ? 0 : 1;
    last->select = ls;
    *stp = last;
    return SL_OK;
}

sl_topology *sl_topology_compile(const char *text, const char *file, const sl_compile_options *opts,
                                 sl_error *err)
{
    sl_topology *t = calloc(1, sizeof *t);
    if (!t) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    t->arena = sl_arena_new(64 * 1024);
    t->catalog = sl_catalog_new(t->arena);
    apply_properties(t->catalog, opts);
    if (opts)
        sl_catalog_set_registry(t->catalog, opts->schema_registry);
    sl_stmt_list stmts;
    if (sl_parse(text, file, t->arena, &stmts, err))
        goto fail;
    sl_query_build qb = {t->catalog, t->arena, file, 0};
    int slots = stmts.count + 1;
    for (int i = 0; i < stmts.count; i++)
        if (stmts.items[i]->select)
            slots += stmts.items[i]->select->njoins;
    t->queries = sl_arena_calloc(t->arena, (size_t)slots, sizeof *t->queries);
    for (int i = 0; i < stmts.count; i++) {
        sl_stmt *st = stmts.items[i];
        switch (st->kind) {
        case SL_STMT_CREATE_SOURCE:
            if (sl_catalog_create_source(t->catalog, st, file, err))
                goto fail;
            break;
        case SL_STMT_CREATE_AS:
        case SL_STMT_INSERT_INTO: {
            sl_query *q;
            const sl_select *sel = st->select;
            bool over_join = sel && sel->njoins &&
                             (sel->group_by.count || sel->window.kind || sel->partition_by.count);
            if (sel && (sel->njoins > 1 || over_join)) {
                /* A JOIN B JOIN C ...: each join but the last becomes an
                 * internal step whose result the next one reads (every
                 * join, when the statement groups or re-keys the result) */
                if (split_join_chain(t, &qb, &st, opts ? opts->internal_topic_prefix : NULL, over_join, err))
                    goto fail;
            }
            qb.query_index = t->nqueries;
            if (sl_plan_statement(&qb, st, &q, err))
                goto fail;
            t->queries[t->nqueries++] = q;
            break;
        }
        case SL_STMT_SET: sl_catalog_set_property(t->catalog, st->set_name, st->set_value); break;
        case SL_STMT_UNSET: sl_catalog_set_property(t->catalog, st->set_name, NULL); break;
        case SL_STMT_CREATE_TYPE:
        case SL_STMT_DROP_TYPE: break; /* resolved by the parser */
        case SL_STMT_DROP: {
            sl_source *s = sl_catalog_find(t->catalog, st->name);
            if (!s && !st->if_exists) {
                sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                            "%s %s does not exist.", st->is_table ? "Table" : "Stream", st->name);
                goto fail;
            }
            if (s && s->is_table != st->is_table) {
                sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                            "Incompatible data source type is %s, but statement was DROP %s",
                            s->is_table ? "TABLE" : "STREAM", st->is_table ? "TABLE" : "STREAM");
                goto fail;
            }
            for (int q = 0; s && q < t->nqueries; q++)
                if (t->queries[q]->source == s) {
                    sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                                "Cannot drop %s.\nThe following queries read from this source: [%s].",
                                st->name, t->queries[q]->id);
                    goto fail;
                }
            if (s)
                sl_catalog_remove(t->catalog, st->name);
            break;
        }
        case SL_STMT_INSERT_VALUES: {
            const sl_source *target = st->name ? sl_catalog_find(t->catalog, st->name) : NULL;
            /* the HEADER columns it would write (every column when none are named) */
            sl_strbuf headers;
            sl_strbuf_init(&headers);
            for (int c = 0; target && c < target->ncols; c++) {
                const sl_column *col = &target->cols[c];
                bool named = st->ninsert_columns == 0;
                for (int i = 0; i < st->ninsert_columns && !named; i++)
                    named = !strcmp(st->insert_columns[i], col->name);
                if (named && (col->role == SL_COL_HEADER || col->role == SL_COL_HEADERS))
                    sl_strbuf_printf(&headers, "%s%s", headers.len ? ", " : "", col->name);
            }
            if (target && target->read_only)
                sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                            "Cannot insert values into read-only %s: %s", target->is_table ? "table" : "stream",
                            st->name);
            else if (headers.len)
                sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                            "Cannot insert into HEADER columns: %s", headers.data);
            else
                sl_error_at(err, SL_ERR_UNSUPPORTED, file, st->pos.line, st->pos.col,
                            "INSERT INTO ... VALUES is not supported yet");
            sl_strbuf_free(&headers);
            goto fail;
        }
        default: {
            const char *what = st->name ? st->name : "";
            const sl_source *target = st->other_target ? sl_catalog_find(t->catalog, st->other_target) : NULL;
            /* ksqlDB's test-runner directives and interactive commands have
             * no meaning in a statements file: a statement error, not a gap */
            static const char *const not_in_files[] = {"ASSERT", "RUN", "SHOW", "LIST", "DESCRIBE", "PRINT",
                                                       "TERMINATE", "PAUSE", "RESUME", NULL};
            bool invalid = false;
            for (int k = 0; not_in_files[k]; k++)
                invalid |= !strcasecmp(what, not_in_files[k]);
            if (st->kind == SL_STMT_SELECT)
                sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                            "a transient SELECT (a push or pull query) cannot run from a statements file: "
                            "write CREATE STREAM|TABLE name AS SELECT ... (or INSERT INTO name SELECT ...)");
            else if (target && target->read_only)
                sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                            "Cannot alter %s '%s': ALTER operations are not supported on source %s.",
                            target->is_table ? "table" : "stream", target->name,
                            target->is_table ? "tables" : "streams");
            else if (invalid)
                sl_error_at(err, SL_ERR_INVALID, file, st->pos.line, st->pos.col,
                            "%s statements are not allowed in a statements file", what);
            else
                sl_error_at(err, SL_ERR_UNSUPPORTED, file, st->pos.line, st->pos.col,
                            "statement %s is not supported", what);
            goto fail;
        }
        }
    }
    for (int i = 0; i < t->nqueries; i++) {
        sl_query *q = t->queries[i];
        sl_plan_repartition_sides(q);
        if (q->repartition_side[0] || q->repartition_side[1]) {
            q->repartition_topic = sl_arena_sprintf(t->arena, "%s%s-repartition",
                                                    opts && opts->internal_topic_prefix ? opts->internal_topic_prefix : "",
                                                    q->id);
            add_topic(t, q->repartition_topic, 0, 0, true, true, NULL);
            mark_internal(t, q->repartition_topic);
        }
        add_topic(t, q->source->topic, q->source->partitions, q->source->replicas, true, false, q->source->name);
        if (q->join)
            add_topic(t, sl_join_right(q->join)->topic, sl_join_right(q->join)->partitions,
                      sl_join_right(q->join)->replicas, true, false, sl_join_right(q->join)->name);
        add_topic(t, q->sink->topic, q->sink->partitions, q->sink->replicas, false, true, NULL);
        if (q->sink->internal)
            mark_internal(t, q->sink->topic);
        if (q->sink->is_table)
            mark_table_sink(t, q->sink->topic);
    }
    list_stores(t);
    return t;
fail:
    sl_topology_destroy(t);
    return NULL;
}

void sl_topology_destroy(sl_topology *t)
{
    if (!t)
        return;
    sl_catalog_destroy(t->catalog);
    sl_arena_destroy(t->arena);
    free(t);
}

int sl_topology_topic_count(const sl_topology *t)
{
    return t->ntopics;
}

const sl_topic_info *sl_topology_topic(const sl_topology *t, int i)
{
    return &t->topics[i];
}

int sl_topology_query_count(const sl_topology *t)
{
    return t->nqueries;
}

const char *sl_topology_query_id(const sl_topology *t, int i)
{
    return t->queries[i]->id;
}

const char *sl_topology_query_sink(const sl_topology *t, int i)
{
    return t->queries[i]->sink->name;
}

bool sl_topology_query_internal(const sl_topology *t, int i)
{
    return t->queries[i]->sink->internal;
}

sl_task *sl_task_new(const sl_topology *topo, int32_t partition)
{
    sl_task *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->topo = topo;
    k->partition = partition;
    k->query_state = calloc((size_t)topo->nqueries + 1, sizeof *k->query_state);
    k->stats = calloc((size_t)topo->nqueries + 1, sizeof *k->stats);
    for (int i = 0; i < topo->nqueries; i++)
        k->query_state[i] = sl_query_state_new(topo->queries[i]);
    sl_strbuf_init(&k->keybuf);
    sl_strbuf_init(&k->valbuf);
    return k;
}

void sl_task_destroy(sl_task *k)
{
    if (!k)
        return;
    for (int i = 0; i < k->topo->nqueries; i++)
        sl_query_state_destroy(k->topo->queries[i], k->query_state[i]);
    free(k->query_state);
    free(k->stats);
    sl_strbuf_free(&k->keybuf);
    sl_strbuf_free(&k->valbuf);
    free(k);
}

void sl_task_enable_repartition(sl_task *k)
{
    k->repartition = true;
    for (int i = 0; i < k->topo->nqueries; i++) {
        const sl_query *q = k->topo->queries[i];
        if (q->repartition_topic && q->agg && q->source->is_table)
            sl_query_state_table_stage1(k->query_state[i]);
    }
}

static bool repartition(sl_task *k, const sl_query *q, int side, const sl_record *in, sl_arena *arena,
                        const sl_collector *out)
{
    sl_strbuf pk;
    sl_strbuf_init(&pk);
    sl_partition_key_kind kind = sl_query_partition_key(q, side, in, arena, &pk);
    if (kind == SL_PARTITION_DIRECT) {
        sl_strbuf_free(&pk);
        return false; /* undecodable or a tombstone: the direct path reports or drops it */
    }
    sl_internal_source_encode(&k->valbuf, in);
    sl_record rec = {.topic = q->repartition_topic, .partition = -1, .timestamp = in->timestamp,
                     .key = kind == SL_PARTITION_NULL ? NULL : pk.data ? pk.data : "",
                     .key_len = kind == SL_PARTITION_NULL ? 0 : pk.len,
                     .value = k->valbuf.data, .value_len = k->valbuf.len};
    out->send(out->ctx, &rec);
    sl_strbuf_free(&pk);
    return true;
}

sl_err_t sl_task_process(sl_task *k, const sl_record *in, sl_arena *arena, const sl_collector *out,
                         sl_error *err)
{
    const sl_topology *t = k->topo;
    for (int i = 0; i < t->nqueries; i++) {
        const sl_query *q = t->queries[i];
        if (!sl_query_reads(q, in->topic))
            continue;
        if (k->repartition && q->repartition_topic && !(q->agg && q->source->is_table)) {
            /* (a table's changes are sent by the query itself: see table_stage1) */
            int side = !strcmp(in->topic, q->source->topic) ? 0 : 1;
            if (q->repartition_side[side] && repartition(k, q, side, in, arena, out)) {
                k->stats[i].read++;
                k->stats[i].fate[SL_FATE_FORWARDED]++;
                continue;
            }
        }
        if (out->query_begin)
            out->query_begin(out->ctx, q->id);
        sl_fate_tally tally;
        sl_fate_tally_begin(&tally, out);
        sl_query_process(q, k->query_state[i], in, arena, &k->keybuf, &k->valbuf, &tally.wrapped);
        sl_fate_tally_end(&tally, &k->stats[i], true);
    }
    return SL_OK;
}

sl_err_t sl_task_process_repartitioned(sl_task *k, const sl_record *in, sl_arena *arena, const sl_collector *out,
                                       sl_error *err)
{
    const sl_topology *t = k->topo;
    for (int i = 0; i < t->nqueries; i++) {
        const sl_query *q = t->queries[i];
        if (!q->repartition_topic || strcmp(q->repartition_topic, in->topic))
            continue;
        if (out->query_begin)
            out->query_begin(out->ctx, q->id);
        /* a table's change was counted where it was read (and may come
         * back as two records: its old and its new group) */
        if (sl_internal_is_change(in))
            return sl_query_process_table_change(q, k->query_state[i], in, arena, &k->keybuf, &k->valbuf, out, err);
        sl_record orig;
        if (!sl_internal_source_decode(in, arena, &orig))
            return sl_error_set(err, SL_ERR_RUNTIME, "not a repartition record");
        if (!sl_query_reads(q, orig.topic))
            return sl_error_set(err, SL_ERR_RUNTIME, "repartition record of an unknown topic %s", orig.topic);
        sl_fate_tally tally;
        sl_fate_tally_begin(&tally, out);
        sl_query_process(q, k->query_state[i], &orig, arena, &k->keybuf, &k->valbuf, &tally.wrapped);
        sl_fate_tally_end(&tally, &k->stats[i], false);
        k->stats[i].fate[SL_FATE_FORWARDED]--;
        return SL_OK;
    }
    return sl_error_set(err, SL_ERR_RUNTIME, "no query reads the repartition topic %s", in->topic);
}

int sl_topology_order_words(const sl_topology *t)
{
    return (t->nqueries + 63) / 64;
}

void sl_topology_order_set(const sl_topology *t, const char *topic, uint64_t *words)
{
    memset(words, 0, (size_t)sl_topology_order_words(t) * sizeof *words);
    for (int i = 0; i < t->nqueries; i++) {
        const sl_query *q = t->queries[i];
        if (!q->join)
            continue;
        bool repartitioned = q->repartition_side[0] || q->repartition_side[1];
        if ((!q->repartition_side[0] && !strcmp(q->source->topic, topic)) ||
            (!q->repartition_side[1] && !strcmp(sl_join_right(q->join)->topic, topic)) ||
            (repartitioned && q->repartition_topic && !strcmp(q->repartition_topic, topic)))
            words[i / 64] |= 1ull << (i % 64);
    }
}

const sl_query_stats *sl_task_query_stats(const sl_task *k, int query)
{
    return &k->stats[query];
}

void sl_task_take_query_stats(sl_task *k, int query, sl_query_stats *into)
{
    /* forwarded counts +1 where a record is sent and -1 where it is read
     * back, often in another task: summed, it is what is in flight */
    sl_query_stats_add(into, &k->stats[query]);
    memset(&k->stats[query], 0, sizeof k->stats[query]);
}

sl_err_t sl_task_flush(sl_task *k, sl_arena *arena, const sl_collector *out, sl_error *err)
{
    for (int i = 0; i < k->topo->nqueries; i++) {
        if (out->query_begin)
            out->query_begin(out->ctx, k->topo->queries[i]->id);
        sl_query_flush(k->topo->queries[i], k->query_state[i], arena, &k->keybuf, &k->valbuf, out);
    }
    return SL_OK;
}

/* ---- introspection for the test driver and explain ---- */

const sl_catalog *sl_topology_catalog(const sl_topology *t)
{
    return t->catalog;
}

const sl_query *sl_topology_query(const sl_topology *t, int i)
{
    return t->queries[i];
}

void sl_task_foreach_store(sl_task *task, sl_store_each_fn fn, void *ctx)
{
    for (int i = 0; i < task->topo->nqueries; i++)
        sl_query_state_foreach_store(task->query_state[i], fn, ctx);
}

void sl_task_after_restore(sl_task *task)
{
    for (int i = 0; i < task->topo->nqueries; i++)
        sl_query_state_after_restore(task->topo->queries[i], task->query_state[i]);
}

int32_t sl_task_partition(const sl_task *task)
{
    return task->partition;
}

void sl_task_store_stats(const sl_task *task, sl_store_stats *out)
{
    *out = (sl_store_stats){0};
    for (int i = 0; i < task->topo->nqueries; i++)
        sl_query_state_stats(task->query_state[i], out);
}

bool sl_topology_reads_topic(const sl_topology *t, const char *topic)
{
    for (int i = 0; i < sl_topology_topic_count(t); i++)
        if (sl_topology_topic(t, i)->is_source && !strcmp(sl_topology_topic(t, i)->name, topic))
            return true;
    return false;
}

bool sl_topology_is_repartition_topic(const sl_topology *t, const char *topic)
{
    for (int i = 0; i < t->nqueries; i++)
        if (t->queries[i]->repartition_topic && !strcmp(t->queries[i]->repartition_topic, topic))
            return true;
    return false;
}

int sl_topology_copartition_count(const sl_topology *t)
{
    int n = 0;
    const char *a, *b;
    for (int i = 0; i < t->nqueries; i++)
        if (t->queries[i]->join && sl_join_copartitioned(t->queries[i], &a, &b))
            n++;
    return n;
}

void sl_topology_copartition(const sl_topology *t, int want, const char **left_topic, const char **right_topic)
{
    int n = 0;
    for (int i = 0; i < t->nqueries; i++)
        if (t->queries[i]->join && sl_join_copartitioned(t->queries[i], left_topic, right_topic) && n++ == want)
            return;
    *left_topic = *right_topic = NULL;
}

const char *sl_topology_fk_join_topic(const sl_topology *t, int want)
{
    int n = 0;
    for (int i = 0; i < t->nqueries; i++)
        if (sl_join_is_foreign_key(t->queries[i])) {
            if (n++ == want)
                return t->queries[i]->source->topic;
            if (n++ == want)
                return sl_join_right(t->queries[i]->join)->topic;
        }
    return NULL;
}
