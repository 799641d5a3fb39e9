/* In-memory store: open addressing with linear probing over one array of
 * slots; each entry is a single allocation [klen][vlen][key][value] so a
 * key costs its bytes plus ~16 bytes of header and one slot of 16 bytes
 * (hash + pointer). Tombstones keep probe chains intact after deletes. */
#include "state/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/hash.h"

typedef struct entry {
    uint32_t klen, vlen;
    /* the change-tracking round in which the key was last listed as
     * changed (so that it is listed once per round); also keeps data
     * 16-byte aligned, as malloc's own header */
    uint64_t listed_round;
    unsigned char data[]; /* key then value */
} entry;

#define TOMBSTONE ((entry *)(uintptr_t)1)

typedef struct dirty_key {
    uint64_t hash;
    size_t seq; /* order of the change, so the latest of equal keys wins */
    size_t klen;
    char *key;
} dirty_key;

typedef struct slot {
    uint64_t hash;
    entry *e;
} slot;

struct sl_store {
    char *name;
    slot *slots;
    size_t cap, count, used; /* used counts tombstones too */
    size_t payload;
    /* dirty keys: copies of keys changed since the last take, with their
     * hashes so that take can coalesce repeats by sorting */
    dirty_key *dirty;
    size_t ndirty, capdirty;
    sl_arena *dirty_keys; /* the copies, freed together at each take */
    uint64_t round;       /* of change tracking: one per take */
    bool tracking; /* off unless someone takes the changes */
    int64_t stream_time;
};

sl_store *sl_store_new(const char *name)
{
    sl_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->name = strdup(name ? name : "store");
    s->cap = 64;
    s->slots = calloc(s->cap, sizeof *s->slots);
    s->stream_time = INT64_MIN;
    s->round = 1;
    return s;
}

sl_store *sl_store_new_for(const char *owner, const char *role)
{
    char name[512];
    snprintf(name, sizeof name, "%s-%s", owner, role);
    return sl_store_new(name);
}

static void clear_dirty(sl_store *s)
{
    s->ndirty = 0;
    if (s->dirty_keys)
        sl_arena_reset(s->dirty_keys);
    s->round++;
}

void sl_store_destroy(sl_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].e && s->slots[i].e != TOMBSTONE)
            free(s->slots[i].e);
    sl_arena_destroy(s->dirty_keys);
    free(s->dirty);
    free(s->slots);
    free(s->name);
    free(s);
}

const char *sl_store_name(const sl_store *s)
{
    return s->name;
}

void sl_store_changelog_topic(const char *app, const char *store_name, char *out, size_t n)
{
    snprintf(out, n, "%s-%s-changelog", app, store_name);
}

static size_t find(const sl_store *s, uint64_t h, const void *key, size_t klen, bool *found)
{
    size_t mask = s->cap - 1, i = h & mask, first_tomb = (size_t)-1;
    for (;;) {
        slot *sl = &s->slots[i];
        if (!sl->e) {
            *found = false;
            return first_tomb != (size_t)-1 ? first_tomb : i;
        }
        if (sl->e == TOMBSTONE) {
            if (first_tomb == (size_t)-1)
                first_tomb = i;
        } else if (sl->hash == h && sl->e->klen == klen && !memcmp(sl->e->data, key, klen)) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static void grow(sl_store *s)
{
    size_t ncap = s->count * 2 >= s->cap ? s->cap * 2 : s->cap; /* rehash away tombstones too */
    slot *old = s->slots;
    size_t ocap = s->cap;
    s->slots = calloc(ncap, sizeof *s->slots);
    if (!s->slots) {
        fprintf(stderr, "sluice: out of memory growing store %s\n", s->name);
        abort();
    }
    s->cap = ncap;
    s->used = s->count;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].e && old[i].e != TOMBSTONE) {
            size_t j = old[i].hash & (ncap - 1);
            while (s->slots[j].e)
                j = (j + 1) & (ncap - 1);
            s->slots[j] = old[i];
        }
    free(old);
}

/* e: the key's entry now, NULL after a delete */
static void mark_dirty(sl_store *s, uint64_t hash, const void *key, size_t klen, entry *e)
{
    if (!s->tracking)
        return;
    if (e) {
        if (e->listed_round == s->round)
            return; /* listed already in this round */
        e->listed_round = s->round;
    }
    if (s->ndirty == s->capdirty) {
        s->capdirty = s->capdirty ? s->capdirty * 2 : 64;
        dirty_key *n = realloc(s->dirty, s->capdirty * sizeof *s->dirty);
        if (!n) {
            fprintf(stderr, "sluice: out of memory tracking changes of store %s\n", s->name);
            abort();
        }
        s->dirty = n;
    }
    if (!s->dirty_keys)
        s->dirty_keys = sl_arena_new(64 * 1024);
    char *k = sl_arena_alloc(s->dirty_keys, klen ? klen : 1);
    memcpy(k, key, klen);
    s->dirty[s->ndirty] = (dirty_key){hash, s->ndirty, klen, k};
    s->ndirty++;
}

const void *sl_store_get(const sl_store *s, const void *key, size_t klen, size_t *vlen)
{
    bool found;
    size_t i = find(s, sl_hash_bytes(key, klen, 0), key, klen, &found);
    if (!found)
        return NULL;
    entry *e = s->slots[i].e;
    *vlen = e->vlen;
    return e->data + e->klen;
}

void sl_store_put(sl_store *s, const void *key, size_t klen, const void *val, size_t vlen)
{
    if ((s->used + 1) * 4 >= s->cap * 3)
        grow(s);
    uint64_t h = sl_hash_bytes(key, klen, 0);
    bool found;
    size_t i = find(s, h, key, klen, &found);
    if (found && s->slots[i].e->vlen == vlen) {
        /* an update of the same size (counts, sums, most aggregates) is
         * written in place */
        entry *e = s->slots[i].e;
        if (vlen)
            memcpy(e->data + klen, val, vlen);
        mark_dirty(s, h, key, klen, e);
        return;
    }
    entry *e = malloc(sizeof *e + klen + vlen);
    if (!e) {
        fprintf(stderr, "sluice: out of memory in store %s\n", s->name);
        abort();
    }
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    e->listed_round = 0;
    memcpy(e->data, key, klen);
    if (vlen)
        memcpy(e->data + klen, val, vlen);
    if (found) {
        s->payload -= s->slots[i].e->klen + s->slots[i].e->vlen;
        e->listed_round = s->slots[i].e->listed_round;
        free(s->slots[i].e);
    } else {
        if (!s->slots[i].e)
            s->used++;
        s->count++;
    }
    s->slots[i].hash = h;
    s->slots[i].e = e;
    s->payload += klen + vlen;
    mark_dirty(s, h, key, klen, e);
}

void sl_store_delete(sl_store *s, const void *key, size_t klen)
{
    bool found;
    uint64_t h = sl_hash_bytes(key, klen, 0);
    size_t i = find(s, h, key, klen, &found);
    if (!found)
        return;
    s->payload -= s->slots[i].e->klen + s->slots[i].e->vlen;
    free(s->slots[i].e);
    s->slots[i].e = TOMBSTONE;
    s->count--;
    mark_dirty(s, h, key, klen, NULL);
}

void sl_store_track_changes(sl_store *s, bool on)
{
    s->tracking = on;
}

size_t sl_store_count(const sl_store *s)
{
    return s->count;
}

size_t sl_store_payload_bytes(const sl_store *s)
{
    return s->payload;
}

size_t sl_store_memory_bytes(const sl_store *s)
{
    return s->payload + s->count * sizeof(entry) + s->cap * sizeof(slot);
}

void sl_store_foreach(const sl_store *s, sl_store_visit visit, void *ctx)
{
    for (size_t i = 0; i < s->cap; i++) {
        entry *e = s->slots[i].e;
        if (e && e != TOMBSTONE && !visit(ctx, e->data, e->klen, e->data + e->klen, e->vlen))
            return;
    }
}

static int dirty_order(const void *a, const void *b)
{
    const dirty_key *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    if (x->klen != y->klen)
        return x->klen < y->klen ? -1 : 1;
    int c = memcmp(x->key, y->key, x->klen);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void sl_store_take_dirty(sl_store *s, sl_store_dirty_fn fn, void *ctx)
{
    /* each key once with its current value (NULL value = deleted); sorting
     * brings repeats of a key together in O(n log n) */
    if (s->ndirty > 1)
        qsort(s->dirty, s->ndirty, sizeof *s->dirty, dirty_order);
    for (size_t i = 0; i < s->ndirty; i++) {
        const dirty_key *d = &s->dirty[i];
        if (i + 1 < s->ndirty && d[1].hash == d->hash && d[1].klen == d->klen && !memcmp(d[1].key, d->key, d->klen))
            continue;
        size_t vlen = 0;
        const void *v = sl_store_get(s, d->key, d->klen, &vlen);
        fn(ctx, d->key, d->klen, v, vlen);
    }
    clear_dirty(s);
}

size_t sl_store_dirty_count(const sl_store *s)
{
    return s->ndirty;
}

int64_t sl_store_stream_time(const sl_store *s)
{
    return s->stream_time;
}

void sl_store_advance_stream_time(sl_store *s, int64_t ts)
{
    if (ts > s->stream_time)
        s->stream_time = ts;
}

void sl_store_add_stats(const sl_store *store, sl_store_stats *into)
{
    if (!store)
        return;
    into->entries += sl_store_count(store);
    into->payload_bytes += sl_store_payload_bytes(store);
    into->memory_bytes += sl_store_memory_bytes(store);
}
