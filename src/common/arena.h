/* Arena allocator (nginx-style pool). Everything a micro-batch decodes and
 * computes is allocated here and freed in one sl_arena_reset() when the batch
 * is done, so the per-record path never calls malloc once the arena has grown
 * to the batch's working size. Long-lived arenas (one per compiled query) hold
 * types and plans. Not thread-safe: one arena per thread/batch. */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stddef.h>

typedef struct sl_arena sl_arena;

sl_arena *sl_arena_new(size_t chunk_size); /* caller owns; NULL on OOM */
void sl_arena_destroy(sl_arena *arena);    /* NULL is a no-op */
/* 16-byte aligned, uninitialised; aborts on OOM (the process cannot go on). */
void *sl_arena_alloc(sl_arena *arena, size_t size);
void *sl_arena_calloc(sl_arena *arena, size_t n, size_t size);
char *sl_arena_strndup(sl_arena *arena, const char *s, size_t len); /* NUL-terminated */
char *sl_arena_strdup(sl_arena *arena, const char *s);
char *sl_arena_sprintf(sl_arena *arena, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Frees everything allocated since creation; keeps the first chunk for reuse. */
void sl_arena_reset(sl_arena *arena);
size_t sl_arena_used(const sl_arena *arena);

#endif
