/* Arena: a list of chunks; allocation bumps a pointer in the current chunk.
 * Oversized requests get a chunk of their own. Reset keeps the largest
 * chunk so that a steady-state batch allocates nothing from the system. */
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sl_chunk {
    struct sl_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} sl_chunk;

struct sl_arena {
    sl_chunk *head;
    size_t chunk_size;
    size_t total_used;
};

static sl_chunk *chunk_new(size_t size)
{
    sl_chunk *c = malloc(sizeof *c + size);
    if (!c) {
        fprintf(stderr, "sluice: out of memory (arena chunk of %zu bytes)\n", size);
        abort();
    }
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

sl_arena *sl_arena_new(size_t chunk_size)
{
    sl_arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->head = chunk_new(a->chunk_size);
    return a;
}

void sl_arena_destroy(sl_arena *a)
{
    if (!a)
        return;
    sl_chunk *c = a->head;
    while (c) {
        sl_chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

void *sl_arena_alloc(sl_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    sl_chunk *c = a->head;
    if (c->used + size > c->size) {
        size_t want = size > a->chunk_size ? size : a->chunk_size;
        sl_chunk *n = chunk_new(want);
        if (size > a->chunk_size && c->used < c->size / 2) {
            /* keep filling the current chunk; put the big one behind it */
            n->next = c->next;
            c->next = n;
            n->used = size;
            a->total_used += size;
            return n->data;
        }
        n->next = c;
        a->head = n;
        c = n;
    }
    void *p = c->data + c->used;
    c->used += size;
    a->total_used += size;
    return p;
}

void *sl_arena_calloc(sl_arena *a, size_t n, size_t size)
{
    void *p = sl_arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t len)
{
    char *p = sl_arena_alloc(a, len + 1);
    if (len)
        memcpy(p, s, len);
    p[len] = 0;
    return p;
}

char *sl_arena_strdup(sl_arena *a, const char *s)
{
    return sl_arena_strndup(a, s, strlen(s));
}

char *sl_arena_sprintf(sl_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = sl_arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void sl_arena_reset(sl_arena *a)
{
    /* keep the biggest chunk, free the rest */
    sl_chunk *keep = a->head;
    for (sl_chunk *c = a->head; c; c = c->next)
        if (c->size > keep->size)
            keep = c;
    sl_chunk *c = a->head;
    while (c) {
        sl_chunk *n = c->next;
        if (c != keep)
            free(c);
        c = n;
    }
    keep->next = NULL;
    keep->used = 0;
    a->head = keep;
    a->total_used = 0;
}

size_t sl_arena_used(const sl_arena *a)
{
    return a->total_used;
}
