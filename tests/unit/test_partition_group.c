/* The partition group: a task takes the oldest head among its partitions,
 * waits for a partition with nothing buffered until it reports its end,
 * never waits for other tasks, pauses a full partition and resumes it when
 * drained, and drops what it holds on rewind and clear. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "runtime/partition_group.h"

typedef struct rec {
    const char *topic;
    int32_t partition;
    int64_t ts;
} rec;

static int dropped;
static void drop(void *r)
{
    dropped++;
    free(r);
}

typedef struct flow_log {
    int pauses, resumes;
    char last[64];
} flow_log;

static void flow(void *ctx, const char *topic, int32_t partition, bool pause)
{
    flow_log *f = ctx;
    if (pause)
        f->pauses++;
    else
        f->resumes++;
    snprintf(f->last, sizeof f->last, "%s/%d", topic, partition);
}

static void push(sl_pgroup *g, const char *topic, int32_t partition, int64_t ts)
{
    rec *r = malloc(sizeof *r);
    *r = (rec){topic, partition, ts};
    if (sl_pgroup_push(g, topic, partition, ts, r) == SL_PGROUP_REFUSED)
        free(r);
}

/* a partition feeding the joins of mask's bits (the first 64 queries) */
static void assign(sl_pgroup *g, const char *topic, int32_t partition, uint64_t mask)
{
    sl_pgroup_assign(g, topic, partition, &mask, 1);
}

/* the next record's "topic/partition@ts", or "" when nothing can go */
static const char *next(sl_pgroup *g)
{
    static char buf[64];
    rec *r = sl_pgroup_next(g);
    if (!r)
        return "";
    snprintf(buf, sizeof buf, "%s/%d@%lld", r->topic, r->partition, (long long)r->ts);
    free(r);
    return buf;
}

static void test_oldest_head_first(void **state)
{
    (void)state;
    flow_log f = {0};
    sl_pgroup *g = sl_pgroup_new(100, flow, drop, &f);
    assign(g, "bids", 0, 1);
    assign(g, "auctions", 0, 1);
    /* fetched in the wrong order: all bids, then the auctions */
    push(g, "bids", 0, 20);
    push(g, "bids", 0, 40);
    push(g, "auctions", 0, 10);
    push(g, "auctions", 0, 30);
    assert_string_equal(next(g), "auctions/0@10");
    assert_string_equal(next(g), "bids/0@20");
    assert_string_equal(next(g), "auctions/0@30");
    /* auctions/0 is empty and not at its end: bids/0@40 waits */
    assert_string_equal(next(g), "");
    sl_pgroup_at_end(g, "auctions", 0);
    assert_string_equal(next(g), "bids/0@40");
    assert_string_equal(next(g), "");
    assert_int_equal(sl_pgroup_buffered(g), 0);
    /* a record after the end: the partition is awaited again once empty */
    push(g, "auctions", 0, 50);
    push(g, "bids", 0, 60);
    assert_string_equal(next(g), "auctions/0@50");
    assert_string_equal(next(g), "");
    sl_pgroup_destroy(g);
}

static void test_tasks_do_not_wait_for_each_other(void **state)
{
    (void)state;
    sl_pgroup *g = sl_pgroup_new(100, NULL, drop, NULL);
    for (int p = 0; p < 2; p++) {
        assign(g, "bids", p, 1);
        assign(g, "auctions", p, 1);
    }
    sl_pgroup_at_end(g, "auctions", 1);
    push(g, "bids", 0, 5); /* task 0 waits for auctions/0 */
    push(g, "bids", 1, 7);
    assert_string_equal(next(g), "bids/1@7");
    assert_string_equal(next(g), "");
    assert_int_equal(sl_pgroup_buffered(g), 1);
    /* unassigned partitions keep nothing */
    rec *r = malloc(sizeof *r);
    assert_int_equal(sl_pgroup_push(g, "bids", 9, 1, r), SL_PGROUP_REFUSED);
    free(r);
    sl_pgroup_destroy(g);
}

/* a partition that feeds no join with the others goes at once, in any
 * order relative to them (a query's input and its repartition topic) */
static void test_unordered_partitions_do_not_wait(void **state)
{
    (void)state;
    sl_pgroup *g = sl_pgroup_new(100, NULL, drop, NULL);
    assign(g, "bids", 0, 0);
    assign(g, "repartition", 0, 2);
    assign(g, "auctions", 0, 2);
    push(g, "bids", 0, 50);
    push(g, "repartition", 0, 10); /* waits for auctions/0 */
    assert_string_equal(next(g), "bids/0@50");
    assert_string_equal(next(g), "");
    push(g, "auctions", 0, 5);
    assert_string_equal(next(g), "auctions/0@5");
    assert_string_equal(next(g), ""); /* auctions/0 empty, not at its end */
    sl_pgroup_at_end(g, "auctions", 0);
    assert_string_equal(next(g), "repartition/0@10");
    sl_pgroup_destroy(g);
}

static void test_single_partition_task_never_waits(void **state)
{
    (void)state;
    sl_pgroup *g = sl_pgroup_new(100, NULL, drop, NULL);
    assign(g, "in", 3, 0);
    push(g, "in", 3, 9);
    push(g, "in", 3, 1); /* out of order in one partition: offset order stays */
    assert_string_equal(next(g), "in/3@9");
    assert_string_equal(next(g), "in/3@1");
    sl_pgroup_destroy(g);
}

static void test_pause_when_full_resume_when_drained(void **state)
{
    (void)state;
    flow_log f = {0};
    sl_pgroup *g = sl_pgroup_new(16, flow, drop, &f);
    assign(g, "in", 0, 0);
    for (int i = 0; i < 200; i++) /* the ring grows past its first size */
        push(g, "in", 0, i);
    assert_int_equal(f.pauses, 1);
    assert_string_equal(f.last, "in/0");
    char want[32];
    for (int i = 0; i < 200; i++) {
        snprintf(want, sizeof want, "in/0@%d", i);
        assert_string_equal(next(g), want);
    }
    assert_int_equal(f.resumes, 1);
    sl_pgroup_destroy(g);
}

static void test_rewind_and_clear_drop_everything(void **state)
{
    (void)state;
    flow_log f = {0};
    sl_pgroup *g = sl_pgroup_new(16, flow, drop, &f);
    assign(g, "a", 0, 1);
    assign(g, "b", 0, 1);
    for (int i = 0; i < 20; i++)
        push(g, "a", 0, i);
    sl_pgroup_at_end(g, "b", 0);
    dropped = 0;
    sl_pgroup_rewind(g);
    assert_int_equal(dropped, 20);
    assert_int_equal(f.resumes, 1); /* the paused partition fetches again */
    assert_int_equal(sl_pgroup_buffered(g), 0);
    /* after a rewind, ends are unknown again: a waits for b */
    push(g, "a", 0, 1);
    assert_string_equal(next(g), "");
    sl_pgroup_clear(g);
    assert_int_equal(dropped, 21);
    rec *r = malloc(sizeof *r);
    assert_int_equal(sl_pgroup_push(g, "a", 0, 1, r), SL_PGROUP_REFUSED);
    free(r);
    sl_pgroup_destroy(g);
}

/* joins 0 and 64 are different joins: a partition of one never waits for
 * a partition of the other, however many words their sets take */
static void test_joins_past_64_are_told_apart(void **state)
{
    (void)state;
    sl_pgroup *g = sl_pgroup_new(100, NULL, drop, NULL);
    uint64_t join0[2] = {1, 0}, join64[2] = {0, 1}, both[2] = {1, 1};
    sl_pgroup_assign(g, "a", 0, join0, 2);
    sl_pgroup_assign(g, "b", 0, join64, 2);
    push(g, "a", 0, 20);
    assert_string_equal(next(g), "a/0@20"); /* b/0 is not awaited */
    sl_pgroup_assign(g, "c", 0, both, 2);
    push(g, "a", 0, 30);
    push(g, "b", 0, 25);
    assert_string_equal(next(g), ""); /* both wait for c/0 */
    push(g, "c", 0, 10);
    assert_string_equal(next(g), "c/0@10");
    sl_pgroup_at_end(g, "c", 0);
    assert_string_equal(next(g), "b/0@25");
    assert_string_equal(next(g), "a/0@30");
    sl_pgroup_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oldest_head_first),
        cmocka_unit_test(test_tasks_do_not_wait_for_each_other),
        cmocka_unit_test(test_unordered_partitions_do_not_wait),
        cmocka_unit_test(test_single_partition_task_never_waits),
        cmocka_unit_test(test_pause_when_full_resume_when_drained),
        cmocka_unit_test(test_rewind_and_clear_drop_everything),
        cmocka_unit_test(test_joins_past_64_are_told_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
