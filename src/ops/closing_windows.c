/* EMIT FINAL's pending time windows (see closing_windows.h): a binary
 * min-heap of (start, key) and a store used as a set of the keys in it. */
#include "ops/closing_windows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/store.h"

typedef struct pending {
    int64_t start;
    size_t klen;
    char *key;
} pending;

struct sl_closing_windows {
    pending *heap;
    size_t n, cap;
    sl_store *index; /* key -> nothing: which windows are in the heap */
};

sl_closing_windows *sl_closing_windows_new(void)
{
    sl_closing_windows *w = calloc(1, sizeof *w);
    if (w)
        w->index = sl_store_new("closing-windows");
    return w;
}

void sl_closing_windows_destroy(sl_closing_windows *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->heap[i].key);
    free(w->heap);
    sl_store_destroy(w->index);
    free(w);
}

static bool before(const pending *a, const pending *b)
{
    if (a->start != b->start)
        return a->start < b->start;
    if (a->klen != b->klen)
        return a->klen < b->klen;
    return memcmp(a->key, b->key, a->klen) < 0;
}

static void swap(pending *a, pending *b)
{
    pending t = *a;
    *a = *b;
    *b = t;
}

void sl_closing_windows_add(sl_closing_windows *w, const void *key, size_t klen, int64_t start)
{
    size_t vlen;
    if (sl_store_get(w->index, key, klen, &vlen))
        return;
    sl_store_put(w->index, key, klen, "", 0);
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->heap = realloc(w->heap, w->cap * sizeof *w->heap);
    }
    char *copy = malloc(klen ? klen : 1);
    if (!w->heap || !copy) {
        fprintf(stderr, "sluice: out of memory keeping EMIT FINAL windows\n");
        abort();
    }
    memcpy(copy, key, klen);
    size_t i = w->n++;
    w->heap[i] = (pending){start, klen, copy};
    while (i && before(&w->heap[i], &w->heap[(i - 1) / 2])) {
        swap(&w->heap[i], &w->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
}

bool sl_closing_windows_first(const sl_closing_windows *w, const char **key, size_t *klen, int64_t *start)
{
    if (!w->n)
        return false;
    *key = w->heap[0].key;
    *klen = w->heap[0].klen;
    *start = w->heap[0].start;
    return true;
}

void sl_closing_windows_pop(sl_closing_windows *w)
{
    if (!w->n)
        return;
    sl_store_delete(w->index, w->heap[0].key, w->heap[0].klen);
    free(w->heap[0].key);
    w->heap[0] = w->heap[--w->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->n && before(&w->heap[l], &w->heap[m]))
            m = l;
        if (r < w->n && before(&w->heap[r], &w->heap[m]))
            m = r;
        if (m == i)
            break;
        swap(&w->heap[i], &w->heap[m]);
        i = m;
    }
}

size_t sl_closing_windows_count(const sl_closing_windows *w)
{
    return w->n;
}
