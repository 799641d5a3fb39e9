/* Snapshot files (see snapshot.h). Layout, little-endian as the machine
 * writes it (a snapshot never leaves the machine that wrote it):
 *   "SLSNAP1\n", int64 offset, int64 stream time, uint64 entries,
 *   entries as (uint32 key length, uint32 value length, key, value),
 *   uint64 FNV-1a of everything before it. */
#include "state/snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char MAGIC[8] = {'S', 'L', 'S', 'N', 'A', 'P', '1', '\n'};

typedef struct writer {
    FILE *f;
    uint64_t hash;
    bool ok;
} writer;

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211ULL;
}

static void put(writer *w, const void *p, size_t n)
{
    if (w->ok && n && fwrite(p, 1, n, w->f) != n)
        w->ok = false;
    fnv(&w->hash, p, n);
}

static bool put_entry(void *ctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    writer *w = ctx;
    uint32_t l[2] = {(uint32_t)klen, (uint32_t)vlen};
    put(w, l, sizeof l);
    put(w, key, klen);
    put(w, val, vlen);
    return w->ok;
}

void sl_snapshot_path(const char *dir, int32_t partition, const char *store, char *out, size_t n)
{
    snprintf(out, n, "%s/%d/%s.snap", dir, (int)partition, store);
}

bool sl_snapshot_write(const char *path, const sl_store *store, int64_t offset)
{
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        if (mkdir(dir, 0755) && errno != EEXIST)
            return false;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    writer w = {fopen(tmp, "wb"), 14695981039346656037ULL, true};
    if (!w.f)
        return false;
    int64_t st = sl_store_stream_time(store);
    uint64_t count = sl_store_count(store);
    put(&w, MAGIC, sizeof MAGIC);
    put(&w, &offset, sizeof offset);
    put(&w, &st, sizeof st);
    put(&w, &count, sizeof count);
    sl_store_foreach(store, put_entry, &w);
    uint64_t sum = w.hash;
    if (w.ok && fwrite(&sum, sizeof sum, 1, w.f) != 1)
        w.ok = false;
    if (fclose(w.f))
        w.ok = false;
    if (!w.ok || rename(tmp, path)) {
        remove(tmp);
        return false;
    }
    return true;
}

bool sl_snapshot_peek(const char *path, int64_t *offset, int64_t *age_seconds)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char magic[8];
    bool ok = fread(magic, 1, 8, f) == 8 && !memcmp(magic, MAGIC, 8) && fread(offset, sizeof *offset, 1, f) == 1;
    fclose(f);
    struct stat sb;
    if (!ok || stat(path, &sb))
        return false;
    *age_seconds = (int64_t)(time(NULL) - sb.st_mtime);
    return true;
}

/* entries read but not yet put into the store: loaded a run at a time
 * (sl_store_load), their bytes in one buffer */
typedef struct pending_run {
    char *buf;
    size_t len, cap;
    uint32_t lens[256][2]; /* key and value lengths */
    int n;
} pending_run;

static void load_run(pending_run *r, sl_store *store)
{
    sl_store_load_item items[256];
    size_t at = 0;
    for (int i = 0; i < r->n; i++) {
        items[i] = (sl_store_load_item){r->buf + at, r->lens[i][0], r->buf + at + r->lens[i][0], r->lens[i][1]};
        at += (size_t)r->lens[i][0] + r->lens[i][1];
    }
    sl_store_load(store, items, (size_t)r->n);
    r->n = 0;
    r->len = 0;
}

/* reads the file through, checking the checksum; puts the entries into
 * store when it is not NULL */
static bool scan(const char *path, sl_store *store, int64_t *stream_time)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint64_t h = 14695981039346656037ULL, count = 0, sum = 0;
    char magic[8];
    int64_t offset;
    bool ok = fread(magic, 1, 8, f) == 8 && !memcmp(magic, MAGIC, 8) && fread(&offset, 8, 1, f) == 1 &&
              fread(stream_time, 8, 1, f) == 1 && fread(&count, 8, 1, f) == 1;
    fnv(&h, magic, 8);
    fnv(&h, &offset, 8);
    fnv(&h, stream_time, 8);
    fnv(&h, &count, 8);
    if (ok && store)
        sl_store_reserve(store, (size_t)count);
    pending_run run = {0};
    for (uint64_t i = 0; ok && i < count; i++) {
        uint32_t l[2];
        if (fread(l, sizeof l, 1, f) != 1) {
            ok = false;
            break;
        }
        size_t need = (size_t)l[0] + l[1];
        if (run.len + need > run.cap) {
            size_t ncap = run.cap ? run.cap : 64 * 1024;
            while (ncap < run.len + need)
                ncap *= 2;
            char *nb = realloc(run.buf, ncap);
            if (!nb) {
                ok = false;
                break;
            }
            run.buf = nb;
            run.cap = ncap;
        }
        char *at = run.buf + run.len;
        if (need && fread(at, 1, need, f) != need) {
            ok = false;
            break;
        }
        fnv(&h, l, sizeof l);
        fnv(&h, at, need);
        if (!store)
            continue; /* checking only: the buffer is reused */
        run.lens[run.n][0] = l[0];
        run.lens[run.n][1] = l[1];
        run.len += need;
        if (++run.n == 256 || run.len >= 64 * 1024)
            load_run(&run, store);
    }
    if (ok && store) {
        load_run(&run, store);
        sl_store_load_done(store);
    }
    ok = ok && fread(&sum, 8, 1, f) == 1 && sum == h;
    free(run.buf);
    fclose(f);
    return ok;
}

bool sl_snapshot_load(const char *path, sl_store *store)
{
    int64_t st;
    /* verified whole before the store sees any of it */
    if (!scan(path, NULL, &st) || !scan(path, store, &st))
        return false;
    sl_store_advance_stream_time(store, st);
    return true;
}
