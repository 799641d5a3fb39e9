/* The store's bulk path (sl_store_reserve, sl_store_load,
 * sl_store_load_done), which restore and snapshots use: a store loaded in
 * bulk must equal one given the same changes by put and delete, one at a
 * time, in order: deletes, repeated keys, values that change size, empty
 * values included; and it must stay equal when puts and deletes go on
 * after the load (slab entries replaced and freed, slabs compacted).
 * Snapshots load through the same path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "state/snapshot.h"
#include "state/store.h"

/* one change: key index, value length (-1: a delete) and value byte */
typedef struct change {
    int key;
    int vlen;
    unsigned char fill;
} change;

static uint64_t rng_state;
static uint32_t next_random(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* keys of 1 to 40 bytes, a few of them shared prefixes of others */
static size_t key_of(int i, char *out)
{
    return (size_t)snprintf(out, 48, "%.*s%d", i % 30, "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", i);
}

static change *random_changes(int n, int keys, int delete_percent)
{
    change *c = malloc((size_t)n * sizeof *c);
    for (int i = 0; i < n; i++) {
        c[i].key = (int)(next_random() % (uint32_t)keys);
        c[i].vlen = (int)(next_random() % 100) < delete_percent ? -1 : (int)(next_random() % 3 ? 16 : next_random() % 70);
        c[i].fill = (unsigned char)next_random();
    }
    return c;
}

static void apply_one_by_one(sl_store *s, const change *c, int n)
{
    char key[48];
    unsigned char val[128];
    for (int i = 0; i < n; i++) {
        size_t kl = key_of(c[i].key, key);
        if (c[i].vlen < 0) {
            sl_store_delete(s, key, kl);
        } else {
            memset(val, c[i].fill, (size_t)c[i].vlen);
            sl_store_put(s, key, kl, val, (size_t)c[i].vlen);
        }
    }
}

/* in runs of random length, as restore hands a consumer's records over;
 * the items point into one buffer per run */
static void apply_in_bulk(sl_store *s, const change *c, int n)
{
    sl_store_load_item *items = malloc(600 * sizeof *items);
    char *bytes = malloc(600 * 200);
    for (int at = 0; at < n;) {
        int run = 1 + (int)(next_random() % 600);
        if (run > n - at)
            run = n - at;
        size_t used = 0;
        for (int i = 0; i < run; i++) {
            const change *ch = &c[at + i];
            char *k = bytes + used;
            size_t kl = key_of(ch->key, k);
            used += kl;
            items[i] = (sl_store_load_item){k, kl, NULL, 0};
            if (ch->vlen >= 0) {
                memset(bytes + used, ch->fill, (size_t)ch->vlen);
                items[i].val = bytes + used;
                items[i].vlen = (size_t)ch->vlen;
                used += (size_t)ch->vlen;
            }
        }
        sl_store_load(s, items, (size_t)run);
        at += run;
    }
    free(items);
    free(bytes);
}

typedef struct compare {
    const sl_store *other;
    size_t seen;
} compare;

static bool same_in_other(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    compare *c = ctx;
    size_t olen = 0;
    const void *o = sl_store_get(c->other, key, klen, &olen);
    assert_non_null(o);
    assert_int_equal(olen, vlen);
    if (vlen)
        assert_memory_equal(o, val, vlen);
    c->seen++;
    return true;
}

static void assert_stores_equal(const sl_store *a, const sl_store *b)
{
    assert_int_equal(sl_store_count(a), sl_store_count(b));
    assert_int_equal(sl_store_payload_bytes(a), sl_store_payload_bytes(b));
    compare ab = {b, 0}, ba = {a, 0};
    sl_store_foreach(a, same_in_other, &ab);
    sl_store_foreach(b, same_in_other, &ba);
    assert_int_equal(ab.seen, sl_store_count(a));
    assert_int_equal(ba.seen, sl_store_count(b));
}

static void test_bulk_equals_put_and_delete(void **state)
{
    rng_state = 19;
    /* a changelog of 60,000 records over 20,000 keys, a fifth deletes */
    int n = 60000;
    change *c = random_changes(n, 20000, 20);
    sl_store *by_put = sl_store_new("by-put"), *bulk = sl_store_new("bulk");
    apply_one_by_one(by_put, c, n);
    sl_store_reserve(bulk, (size_t)n);
    apply_in_bulk(bulk, c, n);
    sl_store_load_done(bulk);
    assert_true(sl_store_count(bulk) > 10000);
    assert_stores_equal(by_put, bulk);
    free(c);

    /* puts and deletes after the load: slab entries replaced (other
     * sizes), updated in place (same size) and deleted, until the slabs
     * are compacted */
    c = random_changes(80000, 20000, 45);
    apply_one_by_one(by_put, c, 80000);
    apply_one_by_one(bulk, c, 80000);
    assert_stores_equal(by_put, bulk);
    /* and a second bulk load on top of what puts made */
    free(c);
    c = random_changes(30000, 25000, 10);
    apply_one_by_one(by_put, c, 30000);
    apply_in_bulk(bulk, c, 30000);
    sl_store_load_done(bulk);
    assert_stores_equal(by_put, bulk);
    free(c);
    sl_store_destroy(by_put);
    sl_store_destroy(bulk);
}

/* a load without a reservation grows the table as puts do */
static void test_bulk_without_reserve(void **state)
{
    rng_state = 7;
    int n = 5000;
    change *c = random_changes(n, 3000, 5);
    sl_store *by_put = sl_store_new("by-put"), *bulk = sl_store_new("bulk");
    apply_one_by_one(by_put, c, n);
    apply_in_bulk(bulk, c, n);
    assert_stores_equal(by_put, bulk);
    free(c);
    sl_store_destroy(by_put);
    sl_store_destroy(bulk);
}

/* every slab entry deleted: the slabs go, the store still works */
static void test_bulk_all_deleted(void **state)
{
    char key[48];
    sl_store *s = sl_store_new("t");
    sl_store_load_item items[100];
    unsigned char val[40];
    memset(val, 1, sizeof val);
    char keys[100][48];
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 100; i++) {
            size_t kl = key_of(round * 100 + i, keys[i]);
            items[i] = (sl_store_load_item){keys[i], kl, val, sizeof val};
        }
        sl_store_load(s, items, 100);
    }
    assert_int_equal(sl_store_count(s), 5000);
    size_t before = sl_store_memory_bytes(s);
    for (int i = 0; i < 5000; i++) {
        size_t kl = key_of(i, key);
        sl_store_delete(s, key, kl);
    }
    assert_int_equal(sl_store_count(s), 0);
    assert_int_equal(sl_store_payload_bytes(s), 0);
    assert_true(sl_store_memory_bytes(s) < before);
    sl_store_put(s, "a", 1, "b", 1);
    size_t vlen;
    assert_non_null(sl_store_get(s, "a", 1, &vlen));
    sl_store_destroy(s);
}

/* a reservation from a record count far above the keys (an uncompacted
 * changelog) is given back by load_done */
static void test_reserve_given_back(void **state)
{
    sl_store *s = sl_store_new("t");
    size_t empty = sl_store_memory_bytes(s);
    sl_store_reserve(s, 1000000);
    assert_true(sl_store_memory_bytes(s) >= 1000000 * 16);
    sl_store_load_item items[3] = {{"a", 1, "1", 1}, {"b", 1, "2", 1}, {"a", 1, NULL, 0}};
    sl_store_load(s, items, 3);
    sl_store_load_done(s);
    assert_int_equal(sl_store_count(s), 1);
    assert_true(sl_store_memory_bytes(s) < empty + 64 * 1024);
    size_t vlen;
    const char *v = sl_store_get(s, "b", 1, &vlen);
    assert_non_null(v);
    assert_memory_equal(v, "2", 1);
    assert_null(sl_store_get(s, "a", 1, &vlen));
    sl_store_destroy(s);
}

static int listed;
static void count_listed(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    listed++;
}

/* entries a load made are tracked like any other once tracking is on */
static void test_bulk_entries_tracked(void **state)
{
    sl_store *s = sl_store_new("t");
    sl_store_load_item items[2] = {{"a", 1, "1234", 4}, {"b", 1, "x", 1}};
    sl_store_load(s, items, 2);
    sl_store_track_changes(s, true);
    listed = 0;
    sl_store_take_dirty(s, count_listed, NULL);
    assert_int_equal(listed, 0); /* loaded entries are not changes */
    sl_store_put(s, "a", 1, "5678", 4); /* in place, in its slab */
    sl_store_put(s, "a", 1, "9999", 4);
    sl_store_put(s, "b", 1, "longer", 6); /* moves out of its slab */
    listed = 0;
    sl_store_take_dirty(s, count_listed, NULL);
    assert_int_equal(listed, 2);
    size_t vlen;
    const char *v = sl_store_get(s, "a", 1, &vlen);
    assert_memory_equal(v, "9999", 4);
    sl_store_destroy(s);
}

/* a snapshot (loaded in bulk) gives back the store it was written from,
 * every entry: empty values, long keys, a store that had deletes */
static void test_snapshot_loads_in_bulk(void **state)
{
    rng_state = 3;
    int n = 40000;
    change *c = random_changes(n, 15000, 15);
    sl_store *written = sl_store_new("Q-Aggregate");
    apply_one_by_one(written, c, n);
    sl_store_advance_stream_time(written, 987654321);
    char dir[] = "/tmp/sluice-bulk-snap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    sl_snapshot_path(dir, 0, "Q-Aggregate", path, sizeof path);
    assert_true(sl_snapshot_write(path, written, 40000));
    sl_store *loaded = sl_store_new("Q-Aggregate");
    assert_true(sl_snapshot_load(path, loaded));
    assert_stores_equal(written, loaded);
    assert_int_equal(sl_store_stream_time(loaded), 987654321);
    remove(path);
    char sub[300];
    snprintf(sub, sizeof sub, "%s/0", dir);
    rmdir(sub);
    rmdir(dir);
    free(c);
    sl_store_destroy(written);
    sl_store_destroy(loaded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_equals_put_and_delete),
        cmocka_unit_test(test_bulk_without_reserve),
        cmocka_unit_test(test_bulk_all_deleted),
        cmocka_unit_test(test_reserve_given_back),
        cmocka_unit_test(test_bulk_entries_tracked),
        cmocka_unit_test(test_snapshot_loads_in_bulk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
