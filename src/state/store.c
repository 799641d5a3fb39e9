/* In-memory store: open addressing with linear probing over one array of
 * slots; each entry is one block [klen][vlen][key][value] so a key costs
 * its bytes plus ~16 bytes of header and one slot of 16 bytes (hash +
 * pointer). Tombstones keep probe chains intact after deletes.
 *
 * An entry is its own malloc when a put makes it, or lives in a slab (a
 * large block the store owns, filled front to back) when a bulk load made
 * it: a restore of a million keys then costs a few dozen allocations
 * instead of a million. A slab entry that is replaced or deleted leaves
 * its bytes dead in the slab; once the dead bytes outweigh the live ones
 * the live entries are moved into one new slab of their exact size, so a
 * store never holds more than about twice what its slab entries need. */
#include "state/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/arena.h"
#include "common/hash.h"

typedef struct entry {
    uint32_t klen, vlen;
    /* the change-tracking round in which the key was last listed as
     * changed (so that it is listed once per round); also keeps data
     * 8-byte aligned (values are copied out, never read in place) */
    uint64_t listed_round : 63;
    uint64_t in_slab : 1; /* a bulk load's: not to be freed on its own */
    unsigned char data[]; /* key then value */
} entry;

/* a block of entries made by bulk loads, filled front to back */
typedef struct slab {
    struct slab *next;
    size_t size, used;
    _Alignas(8) unsigned char data[];
} slab;

/* slabs grow from 16 KB (a small store's restore stays small) to 4 MB */
#define SLAB_MIN ((size_t)16 * 1024)
#define SLAB_MAX ((size_t)4 * 1024 * 1024)
/* blocks from this size up (a table of 128 K slots or more, a full-size
 * slab) are mapped in whole huge pages, and the kernel asked for
 * transparent huge pages there: a bulk load of a million keys otherwise
 * takes a page fault per 4 KB (30,000 of them) and a TLB miss on most of
 * its random probes into the table */
#define HUGE_PAGE ((size_t)2 * 1024 * 1024)
/* a reservation never sizes the table for more entries than this: the
 * record count of a changelog whose last segments are not compacted yet
 * can be many times its keys, and the table is all touched (resident)
 * until load_done gives the excess back. A table of 2 M slots, 32 MB;
 * past it the table grows as puts need. */
#define RESERVE_MAX ((size_t)1 << 20)
/* slots prefetched ahead of the change being applied */
#define PREFETCH_AHEAD 8

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
    slab *slabs;            /* the one being filled first */
    size_t slab_bytes;      /* bytes of entries placed in slabs, dead ones included */
    size_t slab_dead;       /* of which replaced or deleted */
    size_t slab_allocated;  /* sizes of the slabs */
};

/* the size a block of `size` bytes takes: whole huge pages when large */
static size_t block_size(size_t size)
{
    return size < HUGE_PAGE ? size : (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* zeroed; NULL when out of memory */
static void *block_alloc(size_t size)
{
    if (size < HUGE_PAGE)
        return calloc(1, size);
    void *p = mmap(NULL, block_size(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, block_size(size), MADV_HUGEPAGE); /* a hint: without it, 4 KB pages */
    return p;
}

static void block_free(void *p, size_t size)
{
    if (!p)
        return;
    if (size < HUGE_PAGE)
        free(p);
    else
        munmap(p, block_size(size));
}

sl_store *sl_store_new(const char *name)
{
    sl_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->name = strdup(name ? name : "store");
    s->cap = 64;
    s->slots = block_alloc(s->cap * sizeof *s->slots);
    s->stream_time = INT64_MIN;
    s->round = 1;
    return s;
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
        if (s->slots[i].e && s->slots[i].e != TOMBSTONE && !s->slots[i].e->in_slab)
            free(s->slots[i].e);
    for (slab *b = s->slabs, *next; b; b = next) {
        next = b->next;
        block_free(b, sizeof *b + b->size);
    }
    sl_arena_destroy(s->dirty_keys);
    free(s->dirty);
    block_free(s->slots, s->cap * sizeof *s->slots);
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

/* moves the live entries into a table of ncap slots (a power of two that
 * holds them), dropping tombstones; false when it cannot be allocated */
static bool rehash(sl_store *s, size_t ncap)
{
    slot *old = s->slots;
    size_t ocap = s->cap;
    s->slots = block_alloc(ncap * sizeof *s->slots);
    if (!s->slots) {
        s->slots = old;
        return false;
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
    block_free(old, ocap * sizeof *old);
    return true;
}

static void grow(sl_store *s)
{
    size_t ncap = s->count * 2 >= s->cap ? s->cap * 2 : s->cap; /* rehash away tombstones too */
    if (!rehash(s, ncap)) {
        fprintf(stderr, "sluice: out of memory growing store %s\n", s->name);
        abort();
    }
}

/* the smallest table that holds n entries at most half full */
static size_t cap_for(size_t n)
{
    size_t cap = 64;
    while (cap < n * 2)
        cap *= 2;
    return cap;
}

/* ---------- slabs ---------- */

static size_t slab_entry_size(size_t klen, size_t vlen)
{
    return (sizeof(entry) + klen + vlen + 7) & ~(size_t)7;
}

static entry *slab_alloc(sl_store *s, size_t size)
{
    slab *b = s->slabs;
    if (!b || b->size - b->used < size) {
        /* each slab as large as all before it, within SLAB_MIN..SLAB_MAX
         * (header included, so that a full-size one is whole huge pages) */
        size_t want = s->slab_allocated < SLAB_MIN ? SLAB_MIN : s->slab_allocated;
        if (want > SLAB_MAX)
            want = SLAB_MAX;
        want -= sizeof *b;
        if (want < size)
            want = size;
        b = block_alloc(sizeof *b + want);
        if (!b) {
            fprintf(stderr, "sluice: out of memory loading store %s\n", s->name);
            abort();
        }
        b->size = want;
        b->used = 0;
        b->next = s->slabs;
        s->slabs = b;
        s->slab_allocated += want;
    }
    entry *e = (entry *)(b->data + b->used);
    b->used += size;
    s->slab_bytes += size;
    return e;
}

/* Moves the live slab entries into one slab of their size and frees the
 * others: when most slab bytes are dead (their keys since replaced by
 * puts, or deleted). */
static void compact_slabs(sl_store *s)
{
    slab *old = s->slabs;
    size_t live = s->slab_bytes - s->slab_dead;
    s->slabs = NULL;
    s->slab_bytes = s->slab_dead = s->slab_allocated = 0;
    if (live) {
        slab *b = block_alloc(sizeof *b + live);
        if (!b) { /* keep the old slabs: memory is what is short */
            s->slabs = old;
            s->slab_bytes = live;
            for (slab *o = old; o; o = o->next)
                s->slab_allocated += o->size;
            return;
        }
        b->size = live;
        b->used = 0;
        b->next = NULL;
        s->slabs = b;
        s->slab_allocated = live;
        for (size_t i = 0; i < s->cap; i++) {
            entry *e = s->slots[i].e;
            if (!e || e == TOMBSTONE || !e->in_slab)
                continue;
            size_t size = slab_entry_size(e->klen, e->vlen);
            entry *moved = slab_alloc(s, size);
            memcpy(moved, e, size);
            s->slots[i].e = moved;
        }
    }
    for (slab *b = old, *next; b; b = next) {
        next = b->next;
        block_free(b, sizeof *b + b->size);
    }
}

/* an entry that left the table */
static void release(sl_store *s, entry *e)
{
    if (!e->in_slab) {
        free(e);
        return;
    }
    s->slab_dead += slab_entry_size(e->klen, e->vlen);
    if (s->slab_dead > SLAB_MIN && s->slab_dead * 2 > s->slab_bytes)
        compact_slabs(s);
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

/* the put of key (hash h), its entry a malloc of its own or (in_slab) a
 * slab's */
static void put_hashed(sl_store *s, uint64_t h, const void *key, size_t klen, const void *val, size_t vlen,
                       bool in_slab)
{
    if ((s->used + 1) * 4 >= s->cap * 3)
        grow(s);
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
    entry *e = in_slab ? slab_alloc(s, slab_entry_size(klen, vlen)) : malloc(sizeof *e + klen + vlen);
    if (!e) {
        fprintf(stderr, "sluice: out of memory in store %s\n", s->name);
        abort();
    }
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    e->listed_round = 0;
    e->in_slab = in_slab;
    memcpy(e->data, key, klen);
    if (vlen)
        memcpy(e->data + klen, val, vlen);
    entry *replaced = NULL;
    if (found) {
        replaced = s->slots[i].e;
        s->payload -= replaced->klen + replaced->vlen;
        e->listed_round = replaced->listed_round;
    } else {
        if (!s->slots[i].e)
            s->used++;
        s->count++;
    }
    s->slots[i].hash = h;
    s->slots[i].e = e;
    s->payload += klen + vlen;
    if (replaced)
        release(s, replaced); /* after the slot points at e: a compaction moves what the table holds */
    mark_dirty(s, h, key, klen, s->slots[i].e);
}

static void delete_hashed(sl_store *s, uint64_t h, const void *key, size_t klen)
{
    bool found;
    size_t i = find(s, h, key, klen, &found);
    if (!found)
        return;
    entry *e = s->slots[i].e;
    s->payload -= e->klen + e->vlen;
    s->slots[i].e = TOMBSTONE;
    s->count--;
    release(s, e);
    mark_dirty(s, h, key, klen, NULL);
}

void sl_store_put(sl_store *s, const void *key, size_t klen, const void *val, size_t vlen)
{
    put_hashed(s, sl_hash_bytes(key, klen, 0), key, klen, val, vlen, false);
}

void sl_store_delete(sl_store *s, const void *key, size_t klen)
{
    delete_hashed(s, sl_hash_bytes(key, klen, 0), key, klen);
}

void sl_store_load(sl_store *s, const sl_store_load_item *items, size_t n)
{
    /* hashes a run at a time, so that the slot of a change PREFETCH_AHEAD
     * later is asked for while this one is applied (a grow in between only
     * makes a prefetch useless, never wrong) */
    enum { RUN = 256 };
    uint64_t h[RUN];
    for (size_t base = 0; base < n; base += RUN) {
        size_t m = n - base < RUN ? n - base : RUN;
        for (size_t i = 0; i < m; i++) {
            h[i] = sl_hash_bytes(items[base + i].key, items[base + i].klen, 0);
            if (i < PREFETCH_AHEAD)
                __builtin_prefetch(&s->slots[h[i] & (s->cap - 1)], 1);
        }
        for (size_t i = 0; i < m; i++) {
            if (i + PREFETCH_AHEAD < m)
                __builtin_prefetch(&s->slots[h[i + PREFETCH_AHEAD] & (s->cap - 1)], 1);
            const sl_store_load_item *it = &items[base + i];
            if (it->val)
                put_hashed(s, h[i], it->key, it->klen, it->val, it->vlen, true);
            else
                delete_hashed(s, h[i], it->key, it->klen);
        }
    }
}

void sl_store_reserve(sl_store *s, size_t entries)
{
    if (entries > RESERVE_MAX)
        entries = RESERVE_MAX;
    size_t cap = cap_for(entries);
    if (cap > s->cap)
        (void)rehash(s, cap); /* without the memory the table grows as it fills */
}

void sl_store_load_done(sl_store *s)
{
    /* a reservation from a changelog's record count, most of them updates
     * or deletes of fewer keys, leaves a sparse table: size it for what it
     * holds (a table kept large costs memory and every full scan) */
    size_t cap = cap_for(s->count);
    if (cap * 4 <= s->cap)
        (void)rehash(s, cap);
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
    /* slabs: their unused tails and dead entries too */
    return s->payload + s->count * sizeof(entry) + s->cap * sizeof(slot) + s->slab_allocated - (s->slab_bytes - s->slab_dead);
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
