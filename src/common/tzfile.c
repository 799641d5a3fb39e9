/* TZif reading (RFC 8536) and the POSIX TZ rule of a file's footer, which
 * gives the offsets after the last transition the file lists (zoneinfo
 * files stop listing transitions in 2037 for zones with daylight saving).
 * Version 2+ files are read from their 64-bit section; version 1 files
 * from their 32-bit one. */
#include "common/tzfile.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/calendar.h"

typedef struct rule_date {
    char kind;    /* 'J': Julian day 1-365 without Feb 29; 'D': day 0-365; 'M': month.week.weekday */
    int m, w, d, n;
    int32_t time; /* seconds after local midnight (may be negative or past 24 h) */
} rule_date;

typedef struct posix_rule {
    bool valid, has_dst;
    char std_abbr[16], dst_abbr[16];
    int32_t std_off, dst_off; /* east-positive */
    rule_date start, end;
} posix_rule;

typedef struct ttype {
    int32_t utoff;
    char abbr[16];
} ttype;

struct sl_tzfile {
    char *name;
    int64_t *trans;        /* ntrans transition instants, ascending */
    uint8_t *trans_type;   /* the type in force from each */
    int ntrans;
    ttype *types;
    int ntypes;
    posix_rule footer;
    struct sl_tzfile *next;
};

/* ---------- the footer: a POSIX TZ string ---------- */

static const char *parse_abbr(const char *p, char out[16])
{
    size_t n = 0;
    if (*p == '<') {
        for (p++; *p && *p != '>'; p++)
            if (n < 15)
                out[n++] = *p;
        if (*p != '>')
            return NULL;
        p++;
    } else {
        for (; (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'); p++)
            if (n < 15)
                out[n++] = *p;
    }
    out[n] = 0;
    return n ? p : NULL;
}

/* [+-]hh[:mm[:ss]] in seconds */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9')
        return NULL;
    int32_t parts[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i && *p != ':')
            break;
        if (i)
            p++;
        int v = 0, digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
            v = v * 10 + (*p - '0');
        if (!digits)
            return NULL;
        parts[i] = v;
    }
    *out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *parse_int(const char *p, int *out)
{
    if (*p < '0' || *p > '9')
        return NULL;
    int v = 0;
    for (; *p >= '0' && *p <= '9' && v < 1000; p++)
        v = v * 10 + (*p - '0');
    *out = v;
    return p;
}

static const char *parse_date(const char *p, rule_date *r)
{
    if (*p == 'J') {
        r->kind = 'J';
        p = parse_int(p + 1, &r->n);
    } else if (*p == 'M') {
        r->kind = 'M';
        p = parse_int(p + 1, &r->m);
        if (p && *p == '.')
            p = parse_int(p + 1, &r->w);
        else
            p = NULL;
        if (p && *p == '.')
            p = parse_int(p + 1, &r->d);
        else
            p = NULL;
        if (p && (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d > 6))
            p = NULL;
    } else {
        r->kind = 'D';
        p = parse_int(p, &r->n);
    }
    if (!p)
        return NULL;
    r->time = 7200; /* 02:00 by default */
    if (*p == '/')
        p = parse_hms(p + 1, &r->time);
    return p;
}

static void parse_footer(const char *s, posix_rule *r)
{
    memset(r, 0, sizeof *r);
    int32_t off;
    const char *p = parse_abbr(s, r->std_abbr);
    if (!p || !(p = parse_hms(p, &off)))
        return;
    r->std_off = -off; /* POSIX counts hours west of UTC */
    if (*p) {
        if (!(p = parse_abbr(p, r->dst_abbr)))
            return;
        r->has_dst = true;
        r->dst_off = r->std_off + 3600;
        if (*p && *p != ',') {
            if (!(p = parse_hms(p, &off)))
                return;
            r->dst_off = -off;
        }
        if (*p == ',') {
            if (!(p = parse_date(p + 1, &r->start)) || *p != ',' || !(p = parse_date(p + 1, &r->end)))
                return;
        } else {
            /* no rule: POSIX leaves it to the implementation; glibc's is the US one */
            r->start = (rule_date){.kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200};
            r->end = (rule_date){.kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200};
        }
    }
    r->valid = *p == 0;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* the local midnight (days since the epoch) of the rule's day in year y */
static int64_t rule_day(const rule_date *r, int64_t y)
{
    int64_t jan1 = sl_days_from_civil(y, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
    if (r->kind == 'D')
        return jan1 + r->n;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t first = sl_days_from_civil(y, (unsigned)r->m, 1);
    int wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; 0 is Sunday */
    int64_t day = first + (r->d - wd + 7) % 7 + (int64_t)(r->w - 1) * 7;
    int len = mdays[r->m - 1] + (r->m == 2 && is_leap(y));
    while (day >= first + len)
        day -= 7;
    return day;
}

static bool footer_is_dst(const posix_rule *r, int64_t t)
{
    int64_t y;
    unsigned m, d;
    sl_civil_from_days(sl_floor_div(t + r->std_off, 86400), &y, &m, &d);
    int64_t start = rule_day(&r->start, y) * 86400 + r->start.time - r->std_off;
    int64_t end = rule_day(&r->end, y) * 86400 + r->end.time - r->dst_off;
    if (start < end)
        return t >= start && t < end;
    return !(t >= end && t < start); /* the southern hemisphere: DST spans the new year */
}

/* ---------- the file ---------- */

static int64_t be(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    if (bytes == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

typedef struct counts {
    int64_t isut, isstd, leap, time, type, chars;
} counts;

static bool read_header(const unsigned char *p, size_t n, counts *c)
{
    if (n < 44 || memcmp(p, "TZif", 4))
        return false;
    c->isut = be(p + 20, 4);
    c->isstd = be(p + 24, 4);
    c->leap = be(p + 28, 4);
    c->time = be(p + 32, 4);
    c->type = be(p + 36, 4);
    c->chars = be(p + 40, 4);
    return c->isut >= 0 && c->isstd >= 0 && c->leap >= 0 && c->time >= 0 && c->type > 0 && c->type < 256 &&
           c->chars >= 0;
}

static size_t block_size(const counts *c, int tbytes)
{
    return (size_t)(c->time * (tbytes + 1) + c->type * 6 + c->chars + c->leap * (tbytes + 4) + c->isstd + c->isut);
}

static sl_tzfile *parse(const unsigned char *p, size_t n)
{
    counts c;
    if (!read_header(p, n, &c))
        return NULL;
    int tbytes = 4;
    size_t off = 44;
    if (p[4] >= '2') {
        /* skip the 32-bit block: the 64-bit one follows with its own header */
        off += block_size(&c, 4);
        if (off > n || !read_header(p + off, n - off, &c))
            return NULL;
        off += 44;
        tbytes = 8;
    }
    if (block_size(&c, tbytes) > n - off)
        return NULL;
    sl_tzfile *z = calloc(1, sizeof *z);
    z->ntrans = (int)c.time;
    z->ntypes = (int)c.type;
    z->trans = calloc((size_t)c.time + 1, sizeof *z->trans);
    z->trans_type = calloc((size_t)c.time + 1, 1);
    z->types = calloc((size_t)c.type, sizeof *z->types);
    const unsigned char *q = p + off;
    for (int i = 0; i < z->ntrans; i++, q += tbytes)
        z->trans[i] = be(q, tbytes);
    for (int i = 0; i < z->ntrans; i++, q++)
        z->trans_type[i] = *q < c.type ? *q : 0;
    const unsigned char *chars = q + c.type * 6;
    for (int i = 0; i < z->ntypes; i++, q += 6) {
        z->types[i].utoff = (int32_t)be(q, 4);
        size_t idx = q[5];
        if (idx < (size_t)c.chars)
            snprintf(z->types[i].abbr, sizeof z->types[i].abbr, "%.*s", (int)strnlen((const char *)chars + idx,
                                                                                      (size_t)c.chars - idx),
                     (const char *)chars + idx);
    }
    off += block_size(&c, tbytes);
    if (tbytes == 8 && off < n && p[off] == '\n') {
        const char *s = (const char *)p + off + 1;
        const char *e = memchr(s, '\n', n - off - 1);
        if (e && e - s < 128) {
            char buf[128];
            memcpy(buf, s, (size_t)(e - s));
            buf[e - s] = 0;
            parse_footer(buf, &z->footer);
        }
    }
    return z;
}

static sl_tzfile *load(const char *root, const char *region)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root ? root : "/usr/share/zoneinfo", region);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > (4u << 20)) /* no zone file is this large */
                break;
            unsigned char *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (!got)
            break;
        n += got;
    }
    fclose(f);
    sl_tzfile *z = buf ? parse(buf, n) : NULL;
    free(buf);
    if (z)
        z->name = strdup(region);
    return z;
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_tzfile *cache;

const sl_tzfile *sl_tzfile_get(const char *root, const char *region)
{
    pthread_mutex_lock(&cache_lock);
    sl_tzfile *z = cache;
    while (z && strcmp(z->name, region))
        z = z->next;
    if (!z && (z = load(root, region))) {
        z->next = cache;
        cache = z;
    }
    pthread_mutex_unlock(&cache_lock);
    return z;
}

static void from_type(const ttype *t, int *offset_sec, char abbr[16])
{
    *offset_sec = t->utoff;
    if (abbr)
        memcpy(abbr, t->abbr, 16);
}

void sl_tzfile_lookup(const sl_tzfile *z, int64_t t, int *offset_sec, char abbr[16])
{
    const posix_rule *r = &z->footer;
    if (r->valid && (z->ntrans ? t >= z->trans[z->ntrans - 1] : true)) {
        bool dst = r->has_dst && footer_is_dst(r, t);
        *offset_sec = dst ? r->dst_off : r->std_off;
        if (abbr)
            snprintf(abbr, 16, "%s", dst ? r->dst_abbr : r->std_abbr);
        return;
    }
    if (!z->ntrans || t < z->trans[0]) {
        from_type(&z->types[0], offset_sec, abbr);
        return;
    }
    int lo = 0, hi = z->ntrans - 1; /* the last transition at or before t */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    from_type(&z->types[z->trans_type[lo]], offset_sec, abbr);
}
