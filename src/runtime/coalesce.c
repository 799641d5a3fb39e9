/* The coalescer (see coalesce.h): a store maps "topic \0 key" to the slot of
 * the record kept for it; the slots keep first-change order. */
#include "runtime/coalesce.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "state/store.h"

typedef struct kept {
    const char *topic; /* the topology's name, which outlives the batch */
    int32_t partition;
    int64_t timestamp;
    char *key, *value; /* value NULL: a tombstone */
    size_t key_len, value_len;
    bool partition_by_prefix; /* a windowed key: see sl_record */
    size_t partition_prefix_len;
} kept;

struct sl_coalescer {
    sl_store *index; /* topic \0 key -> slot number */
    kept *slots;
    size_t n, cap;
    sl_strbuf keybuf;
};

sl_coalescer *sl_coalescer_new(void)
{
    sl_coalescer *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->index = sl_store_new("coalesce");
    sl_strbuf_init(&c->keybuf);
    return c;
}

static char *copy(const void *p, size_t n)
{
    char *d = malloc(n ? n : 1);
    if (!d) {
        fprintf(stderr, "sluice: out of memory coalescing a batch\n");
        abort();
    }
    if (n)
        memcpy(d, p, n);
    return d;
}

void sl_coalescer_add(sl_coalescer *c, const sl_record *r)
{
    sl_strbuf_reset(&c->keybuf);
    sl_strbuf_append(&c->keybuf, r->topic, strlen(r->topic) + 1);
    sl_strbuf_append(&c->keybuf, r->key, r->key_len);
    size_t vlen;
    const void *found = sl_store_get(c->index, c->keybuf.data, c->keybuf.len, &vlen);
    kept *k;
    if (found) {
        size_t slot;
        memcpy(&slot, found, sizeof slot);
        k = &c->slots[slot];
        free(k->value);
    } else {
        if (c->n == c->cap) {
            c->cap = c->cap ? 2 * c->cap : 256;
            kept *ns = realloc(c->slots, c->cap * sizeof *ns);
            if (!ns) {
                fprintf(stderr, "sluice: out of memory coalescing a batch\n");
                abort();
            }
            c->slots = ns;
        }
        size_t slot = c->n++;
        sl_store_put(c->index, c->keybuf.data, c->keybuf.len, &slot, sizeof slot);
        k = &c->slots[slot];
        k->topic = r->topic;
        k->key = copy(r->key, r->key_len);
        k->key_len = r->key_len;
    }
    k->partition = r->partition;
    k->partition_by_prefix = r->partition_by_prefix;
    k->partition_prefix_len = r->partition_prefix_len;
    k->timestamp = r->timestamp;
    k->value = r->value ? copy(r->value, r->value_len) : NULL;
    k->value_len = r->value ? r->value_len : 0;
}

void sl_coalescer_clear(sl_coalescer *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->slots[i].key);
        free(c->slots[i].value);
    }
    c->n = 0;
    sl_store_destroy(c->index);
    c->index = sl_store_new("coalesce");
}

void sl_coalescer_drain(sl_coalescer *c, void (*send)(void *ctx, const sl_record *r), void *ctx)
{
    for (size_t i = 0; i < c->n; i++) {
        kept *k = &c->slots[i];
        sl_record r = {.topic = k->topic, .partition = k->partition, .timestamp = k->timestamp, .key = k->key,
                       .key_len = k->key_len, .value = k->value, .value_len = k->value_len,
                       .partition_by_prefix = k->partition_by_prefix,
                       .partition_prefix_len = k->partition_prefix_len};
        send(ctx, &r);
    }
    sl_coalescer_clear(c);
}

size_t sl_coalescer_count(const sl_coalescer *c)
{
    return c->n;
}

void sl_coalescer_destroy(sl_coalescer *c)
{
    if (!c)
        return;
    sl_coalescer_clear(c);
    sl_store_destroy(c->index);
    sl_strbuf_free(&c->keybuf);
    free(c->slots);
    free(c);
}
