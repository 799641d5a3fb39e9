/* State: the in-memory store (put/get/delete, growth, change tracking,
 * coalescing of repeated changes), snapshots (round trip, corruption), the
 * value codec (round trips, truncated input), and each aggregate's
 * add/undo/merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/valcodec.h"
#include "sql/udaf.h"
#include "runtime/coalesce.h"
#include "state/snapshot.h"
#include "state/store.h"
#include <stdlib.h>
#include <unistd.h>

static void test_store_basic(void **state)
{
    sl_store *s = sl_store_new("t");
    char key[32], val[32];
    for (int i = 0; i < 10000; i++) {
        int kl = snprintf(key, sizeof key, "k%d", i), vl = snprintf(val, sizeof val, "v%d", i * 2);
        sl_store_put(s, key, (size_t)kl, val, (size_t)vl);
    }
    assert_int_equal(sl_store_count(s), 10000);
    size_t vlen;
    const char *v = sl_store_get(s, "k1234", 5, &vlen);
    assert_non_null(v);
    assert_memory_equal(v, "v2468", 5);
    sl_store_put(s, "k1234", 5, "x", 1);
    v = sl_store_get(s, "k1234", 5, &vlen);
    assert_int_equal(vlen, 1);
    sl_store_delete(s, "k1234", 5);
    assert_null(sl_store_get(s, "k1234", 5, &vlen));
    assert_int_equal(sl_store_count(s), 9999);
    /* deleted slots do not break probing for others */
    assert_non_null(sl_store_get(s, "k9999", 5, &vlen));
    sl_store_destroy(s);
}

static int ndirty;
static void count_dirty(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    ndirty++;
    if (!strncmp(k, "a", kl))
        assert_memory_equal(v, "3", 1); /* latest value per key */
    if (!strncmp(k, "b", kl))
        assert_null(v); /* deleted */
}

static void test_store_dirty_coalesces(void **state)
{
    sl_store *s = sl_store_new("t");
    sl_store_track_changes(s, true);
    sl_store_put(s, "a", 1, "1", 1);
    sl_store_put(s, "a", 1, "2", 1);
    sl_store_put(s, "b", 1, "1", 1);
    sl_store_put(s, "a", 1, "3", 1);
    sl_store_delete(s, "b", 1);
    ndirty = 0;
    sl_store_take_dirty(s, count_dirty, NULL);
    assert_int_equal(ndirty, 2);
    ndirty = 0;
    sl_store_take_dirty(s, count_dirty, NULL);
    assert_int_equal(ndirty, 0);
    sl_store_destroy(s);
}

static void test_valcodec_roundtrip(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_value st = sl_struct_new(a, 6);
    st.u.c.items[0] = sl_bigint(-5);
    st.u.c.items[1] = sl_cstring("héllo");
    st.u.c.items[2] = sl_null(SL_INT);
    st.u.c.items[3] = sl_decimal((sl_i128)-12345, 10, 2);
    st.u.c.items[4] = sl_double(2.5);
    sl_value m = sl_map_new(a, 1);
    m.u.c.items[0] = sl_cstring("k");
    m.u.c.items[1] = sl_int(1);
    st.u.c.items[5] = m;
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    sl_valcodec_put(&sb, &st);
    size_t pos = 0;
    sl_value back;
    assert_true(sl_valcodec_get((unsigned char *)sb.data, sb.len, &pos, a, &back));
    assert_int_equal(pos, sb.len);
    assert_true(sl_value_equal(&st, &back));
    /* every truncation fails cleanly */
    for (size_t n = 0; n < sb.len; n++) {
        pos = 0;
        assert_false(sl_valcodec_get((unsigned char *)sb.data, n, &pos, a, &back));
    }
    sl_strbuf_free(&sb);
    sl_arena_destroy(a);
}

static sl_agg_fn resolve(const char *name, const sl_type *t, const sl_value *lit2, sl_arena *a)
{
    const sl_type *types[2] = {t, &sl_type_int};
    const sl_value *lits[2] = {NULL, lit2};
    sl_agg_fn fn;
    sl_error err = {0};
    assert_int_equal(sl_udaf_resolve(name, lit2 ? 2 : 1, types, lits, false, a, &fn, &err), SL_OK);
    return fn;
}

static void test_udaf_add_undo(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_value st, r;
    sl_value x[5] = {sl_int(3), sl_int(7), sl_null(SL_INT), sl_int(5), sl_int(7)};

    sl_agg_fn sum = resolve("SUM", &sl_type_int, NULL, a);
    sum.udaf->init(&sum, &st, a);
    for (int i = 0; i < 5; i++)
        sum.udaf->add(&sum, &st, &x[i], a);
    assert_int_equal(sum.udaf->result(&sum, &st, a).u.i, 22);
    sum.udaf->undo(&sum, &st, &x[1], a);
    assert_int_equal(sum.udaf->result(&sum, &st, a).u.i, 15);

    sl_agg_fn cnt = resolve("COUNT", &sl_type_int, NULL, a);
    cnt.udaf->init(&cnt, &st, a);
    for (int i = 0; i < 5; i++)
        cnt.udaf->add(&cnt, &st, &x[i], a);
    assert_int_equal(cnt.udaf->result(&cnt, &st, a).u.l, 4); /* NULL not counted */
    cnt.udaf->undo(&cnt, &st, &x[0], a);
    assert_int_equal(cnt.udaf->result(&cnt, &st, a).u.l, 3);

    sl_agg_fn avg = resolve("AVG", &sl_type_int, NULL, a);
    avg.udaf->init(&avg, &st, a);
    avg.udaf->add(&avg, &st, &x[0], a);
    avg.udaf->add(&avg, &st, &x[1], a);
    r = avg.udaf->result(&avg, &st, a);
    assert_true(r.u.d == 5.0);
    avg.udaf->undo(&avg, &st, &x[1], a);
    assert_true(avg.udaf->result(&avg, &st, a).u.d == 3.0);

    sl_agg_fn mx = resolve("MAX", &sl_type_int, NULL, a);
    mx.udaf->init(&mx, &st, a);
    assert_true(mx.udaf->result(&mx, &st, a).null);
    for (int i = 0; i < 5; i++)
        mx.udaf->add(&mx, &st, &x[i], a);
    assert_int_equal(mx.udaf->result(&mx, &st, a).u.i, 7);

    sl_agg_fn list = resolve("COLLECT_LIST", &sl_type_int, NULL, a);
    list.udaf->init(&list, &st, a);
    for (int i = 0; i < 5; i++)
        list.udaf->add(&list, &st, &x[i], a);
    assert_int_equal(st.u.c.n, 5);
    list.udaf->undo(&list, &st, &x[1], a);
    assert_int_equal(st.u.c.n, 4);
    /* the last 7 went (List.lastIndexOf in ksqlDB): [3, 7, NULL, 5] */
    assert_int_equal(st.u.c.items[1].u.i, 7);
    assert_true(st.u.c.items[2].null);
    assert_int_equal(st.u.c.items[3].u.i, 5);

    sl_agg_fn set = resolve("COLLECT_SET", &sl_type_int, NULL, a);
    set.udaf->init(&set, &st, a);
    for (int i = 0; i < 5; i++)
        set.udaf->add(&set, &st, &x[i], a);
    assert_int_equal(st.u.c.n, 4); /* 3, 7, NULL, 5: one NULL is kept, as ksqlDB's set does */

    sl_value k = sl_int(2);
    sl_agg_fn topk = resolve("TOPK", &sl_type_int, &k, a);
    topk.udaf->init(&topk, &st, a);
    for (int i = 0; i < 5; i++)
        topk.udaf->add(&topk, &st, &x[i], a);
    assert_int_equal(st.u.c.n, 2);
    assert_int_equal(st.u.c.items[0].u.i, 7);
    assert_int_equal(st.u.c.items[1].u.i, 7);

    sl_agg_fn latest = resolve("LATEST_BY_OFFSET", &sl_type_int, NULL, a);
    latest.udaf->init(&latest, &st, a);
    for (int i = 0; i < 4; i++)
        latest.udaf->add(&latest, &st, &x[i], a);
    assert_int_equal(latest.udaf->result(&latest, &st, a).u.i, 5);
    sl_agg_fn earliest = resolve("EARLIEST_BY_OFFSET", &sl_type_int, NULL, a);
    earliest.udaf->init(&earliest, &st, a);
    earliest.udaf->add(&earliest, &st, &x[2], a); /* NULL ignored */
    earliest.udaf->add(&earliest, &st, &x[1], a);
    earliest.udaf->add(&earliest, &st, &x[0], a);
    assert_int_equal(earliest.udaf->result(&earliest, &st, a).u.i, 7);
    sl_arena_destroy(a);
}

static void test_udaf_merge_sessions(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_agg_fn sum = resolve("SUM", &sl_type_bigint, NULL, a);
    sl_value s1, s2, v1 = sl_bigint(4), v2 = sl_bigint(6);
    sum.udaf->init(&sum, &s1, a);
    sum.udaf->init(&sum, &s2, a);
    sum.udaf->add(&sum, &s1, &v1, a);
    sum.udaf->add(&sum, &s2, &v2, a);
    sum.udaf->merge(&sum, &s1, &s2, a);
    assert_int_equal(sum.udaf->result(&sum, &s1, a).u.l, 10);
    sl_arena_destroy(a);
}

/* SUM of a DECIMAL(4, 1) overflows at 10^3, as ksqlDB's does, its message
 * showing the sum rounded to 4 digits; below, and for other types, none */
static void test_udaf_sum_decimal_overflow(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_agg_fn sum = resolve("SUM", sl_type_decimal(a, 4, 1), NULL, a);
    sl_value st, x = sl_decimal(4008, 4, 1), y = sl_decimal(8017, 4, 1); /* 400.8, 801.7 */
    sum.udaf->init(&sum, &st, a);
    sum.udaf->add(&sum, &st, &y, a);
    assert_null(sl_udaf_overflow(&sum, &st, a));
    sum.udaf->add(&sum, &st, &x, a);
    assert_string_equal(sl_udaf_overflow(&sum, &st, a),
                        "Numeric field overflow: A field with precision 4 and scale 1 must round to an absolute "
                        "value less than 10^3. Got 1203");
    sum.udaf->init(&sum, &st, a);
    sl_value big = sl_decimal(-9999, 4, 1), tenth = sl_decimal(-1, 4, 1);
    sum.udaf->add(&sum, &st, &big, a);
    assert_null(sl_udaf_overflow(&sum, &st, a)); /* -999.9 fits */
    sum.udaf->add(&sum, &st, &tenth, a);
    assert_string_equal(sl_udaf_overflow(&sum, &st, a),
                        "Numeric field overflow: A field with precision 4 and scale 1 must round to an absolute "
                        "value less than 10^3. Got -1000"); /* rounded to 4 digits: scale 0 */
    sl_agg_fn isum = resolve("SUM", &sl_type_int, NULL, a);
    sl_value ist = sl_int(2147483647);
    assert_null(sl_udaf_overflow(&isum, &ist, a)); /* an INT sum wraps, as Java's does */
    sl_arena_destroy(a);
}

static void test_udaf_bad_args(void **state)
{
    sl_arena *a = sl_arena_new(0);
    const sl_type *t[1] = {&sl_type_string};
    const sl_value *l[1] = {NULL};
    sl_agg_fn fn;
    sl_error err = {0};
    assert_int_equal(sl_udaf_resolve("SUM", 1, t, l, false, a, &fn, &err), SL_ERR_INVALID);
    assert_string_equal(err.msg, "Function 'SUM' does not accept parameters (STRING).");
    sl_arena_destroy(a);
}

static void count_changes(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    (void)key, (void)klen, (void)vlen;
    int *n = ctx;
    n[val ? 0 : 1]++;
}

/* many changes to many keys: each key once, with its latest state */
static void test_store_dirty_coalesces_many(void **state)
{
    sl_store *s = sl_store_new("t");
    sl_store_track_changes(s, true);
    char key[16];
    for (int round = 0; round < 50; round++)
        for (int i = 0; i < 100; i++) {
            int kl = snprintf(key, sizeof key, "k%d", i);
            sl_store_put(s, key, (size_t)kl, "v", 1);
        }
    for (int i = 0; i < 100; i += 2) {
        int kl = snprintf(key, sizeof key, "k%d", i);
        sl_store_delete(s, key, (size_t)kl);
    }
    int n[2] = {0, 0}; /* puts, deletes */
    sl_store_take_dirty(s, count_changes, n);
    assert_int_equal(n[0], 50);
    assert_int_equal(n[1], 50);
    sl_store_destroy(s);
}

static void test_snapshot_round_trip(void **state)
{
    char dir[] = "/tmp/sluice-snap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    sl_snapshot_path(dir, 3, "Q-Aggregate", path, sizeof path);
    sl_store *s = sl_store_new("Q-Aggregate");
    char key[16], val[16];
    for (int i = 0; i < 5000; i++) {
        int kl = snprintf(key, sizeof key, "k%d", i), vl = snprintf(val, sizeof val, "%d", i * 3);
        sl_store_put(s, key, (size_t)kl, val, (size_t)vl);
    }
    sl_store_advance_stream_time(s, 123456);
    assert_true(sl_snapshot_write(path, s, 777));
    int64_t offset, age;
    assert_true(sl_snapshot_peek(path, &offset, &age));
    assert_int_equal(offset, 777);
    sl_store *r = sl_store_new("Q-Aggregate");
    assert_true(sl_snapshot_load(path, r));
    assert_int_equal(sl_store_count(r), 5000);
    assert_int_equal(sl_store_stream_time(r), 123456);
    size_t vlen;
    const char *v = sl_store_get(r, "k4999", 5, &vlen);
    assert_non_null(v);
    assert_memory_equal(v, "14997", 5);
    /* one flipped byte: the snapshot is refused and the store untouched */
    FILE *f = fopen(path, "r+b");
    fseek(f, 100, SEEK_SET);
    int c = fgetc(f);
    fseek(f, 100, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    sl_store *bad = sl_store_new("Q-Aggregate");
    assert_false(sl_snapshot_load(path, bad));
    assert_int_equal(sl_store_count(bad), 0);
    /* truncated */
    assert_int_equal(truncate(path, 50), 0);
    assert_false(sl_snapshot_load(path, bad));
    remove(path);
    assert_false(sl_snapshot_peek(path, &offset, &age));
    sl_store_destroy(s);
    sl_store_destroy(r);
    sl_store_destroy(bad);
    char sub[300];
    snprintf(sub, sizeof sub, "%s/3", dir);
    rmdir(sub);
    rmdir(dir);
}

typedef struct drained {
    int n;
    char keys[8][8];
    bool tombstone[8];
    int64_t ts[8];
} drained;

static void collect(void *ctx, const sl_record *r)
{
    drained *d = ctx;
    if (d->n < 8) {
        snprintf(d->keys[d->n], 8, "%.*s", (int)r->key_len, (const char *)r->key);
        d->tombstone[d->n] = r->value == NULL;
        d->ts[d->n] = r->timestamp;
    }
    d->n++;
}

/* a batch's updates to one table key leave as the latest, in first-change
 * order; the same key of another topic is another record */
static void test_coalescer(void **state)
{
    sl_coalescer *c = sl_coalescer_new();
    sl_record r = {.topic = "T", .partition = -1, .key = "a", .key_len = 1, .value = "1", .value_len = 1, .timestamp = 1};
    sl_coalescer_add(c, &r);
    r.key = "b", r.timestamp = 2;
    sl_coalescer_add(c, &r);
    r.key = "a", r.value = "3", r.timestamp = 3;
    sl_coalescer_add(c, &r);
    r.value = NULL, r.value_len = 0, r.timestamp = 4; /* a deleted row */
    sl_coalescer_add(c, &r);
    r.topic = "U", r.value = "5", r.value_len = 1, r.timestamp = 5;
    sl_coalescer_add(c, &r);
    assert_int_equal(sl_coalescer_count(c), 3);
    drained d = {0};
    sl_coalescer_drain(c, collect, &d);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.keys[0], "a");
    assert_true(d.tombstone[0]);
    assert_int_equal(d.ts[0], 4);
    assert_string_equal(d.keys[1], "b");
    assert_int_equal(d.ts[1], 2);
    assert_int_equal(d.ts[2], 5);
    assert_int_equal(sl_coalescer_count(c), 0);
    sl_coalescer_add(c, &r);
    sl_coalescer_clear(c); /* an aborted batch */
    d.n = 0;
    sl_coalescer_drain(c, collect, &d);
    assert_int_equal(d.n, 0);
    sl_coalescer_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_basic),
        cmocka_unit_test(test_store_dirty_coalesces),
        cmocka_unit_test(test_valcodec_roundtrip),
        cmocka_unit_test(test_udaf_add_undo),
        cmocka_unit_test(test_udaf_merge_sessions),
        cmocka_unit_test(test_udaf_sum_decimal_overflow),
        cmocka_unit_test(test_udaf_bad_args),
        cmocka_unit_test(test_store_dirty_coalesces_many),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_coalescer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
