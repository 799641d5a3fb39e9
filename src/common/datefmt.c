/* Java-style date/time patterns and time zones; see datefmt.h. */
#define _GNU_SOURCE
#include "common/datefmt.h"

#include "common/tzfile.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

enum tok_kind { T_LIT, T_FIELD, T_OPT_BEGIN, T_OPT_END };

typedef struct dtok {
    enum tok_kind kind;
    char letter;
    int count;
    const char *lit;
    size_t litlen;
} dtok;

struct sl_datefmt {
    dtok *toks;
    int n;
};

static const char *const month_short[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const month_long[] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
static const char *const day_short[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_long[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

/* ---------- zones ---------- */

/* Java's parser maps these names to regions, so PST in May means PDT */
static const struct {
    const char *abbr, *region;
} zone_abbrs[] = {
    {"PST", "America/Los_Angeles"}, {"PDT", "America/Los_Angeles"}, {"MST", "America/Denver"},
    {"MDT", "America/Denver"},      {"CST", "America/Chicago"},     {"CDT", "America/Chicago"},
    {"EST", "America/New_York"},    {"EDT", "America/New_York"},    {"HST", "Pacific/Honolulu"},
    {"AKST", "America/Anchorage"},  {"AKDT", "America/Anchorage"},  {"BST", "Europe/London"},
    {"CET", "Europe/Paris"},        {"CEST", "Europe/Paris"},       {"IST", "Asia/Kolkata"},
    {"JST", "Asia/Tokyo"},          {NULL, NULL},
};

static bool parse_offset_text(const char *s, int *off)
{
    int sign = s[0] == '-' ? -1 : 1;
    if (s[0] != '+' && s[0] != '-')
        return false;
    s++;
    int h = 0, m = 0, sec = 0, digits = 0;
    while (isdigit((unsigned char)s[digits]))
        digits++;
    if (digits == 1 || digits == 2) {
        h = atoi(s);
        s += digits;
        if (*s == ':') {
            if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
                return false;
            m = (s[1] - '0') * 10 + (s[2] - '0');
            s += 3;
            if (*s == ':') {
                if (!isdigit((unsigned char)s[1]) || !isdigit((unsigned char)s[2]))
                    return false;
                sec = (s[1] - '0') * 10 + (s[2] - '0');
                s += 3;
            }
        }
    } else if (digits == 4 || digits == 6) {
        h = (s[0] - '0') * 10 + (s[1] - '0');
        m = (s[2] - '0') * 10 + (s[3] - '0');
        if (digits == 6)
            sec = (s[4] - '0') * 10 + (s[5] - '0');
        s += digits;
    } else {
        return false;
    }
    if (*s || h > 18 || m > 59 || sec > 59)
        return false;
    *off = sign * (h * 3600 + m * 60 + sec);
    return true;
}

/* fixed offset for zone if it is one (UTC, Z, +05:00, GMT-8) */
static bool fixed_offset(const char *zone, int *off)
{
    if (!zone || !*zone || !strcasecmp(zone, "UTC") || !strcasecmp(zone, "GMT") || !strcasecmp(zone, "Z") ||
        !strcasecmp(zone, "UT")) {
        *off = 0;
        return true;
    }
    if (zone[0] == '+' || zone[0] == '-')
        return parse_offset_text(zone, off);
    for (int skip = 2; skip <= 3; skip++)
        if ((!strncasecmp(zone, "UTC", 3) || !strncasecmp(zone, "GMT", 3) || !strncasecmp(zone, "UT", 2)) &&
            (zone[skip] == '+' || zone[skip] == '-') && (skip == 3 || !strncasecmp(zone, "UT", 2)))
            return parse_offset_text(zone + skip, off);
    return false;
}

static const char *region_for(const char *zone)
{
    for (int i = 0; zone_abbrs[i].abbr; i++)
        if (!strcasecmp(zone, zone_abbrs[i].abbr))
            return zone_abbrs[i].region;
    return zone;
}

static bool region_exists(const char *region)
{
    if (!*region || strstr(region, "..") || region[0] == '/' || strlen(region) > 64)
        return false;
    for (const char *p = region; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p))
            return false;
    char path[128];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", region);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool sl_zone_valid(const char *zone)
{
    int off;
    return fixed_offset(zone, &off) || region_exists(region_for(zone));
}

bool sl_zone_offset(const char *zone, int64_t epoch_sec, int *offset_sec, char abbr[16])
{
    if (fixed_offset(zone, offset_sec)) {
        if (abbr) {
            if (*offset_sec == 0)
                snprintf(abbr, 16, "%s", zone && *zone && strcasecmp(zone, "Z") ? zone : "UTC");
            else
                snprintf(abbr, 16, "%c%02d:%02d", *offset_sec < 0 ? '-' : '+', abs(*offset_sec) / 3600,
                         abs(*offset_sec) / 60 % 60);
        }
        return true;
    }
    const char *region = region_for(zone);
    /* the name is checked first: it becomes a path under the zoneinfo root */
    const sl_tzfile *z = region_exists(region) ? sl_tzfile_get(NULL, region) : NULL;
    if (!z)
        return false;
    sl_tzfile_lookup(z, epoch_sec, offset_sec, abbr);
    return true;
}

/* ---------- compile ---------- */

static bool known_letter(char c)
{
    return strchr("yuMLdDHhkKmsSaEezZXxVnAGQ", c) != NULL;
}

sl_datefmt *sl_datefmt_compile(const char *p, size_t len, sl_arena *arena, char *err, size_t errlen)
{
    sl_datefmt *f = sl_arena_calloc(arena, 1, sizeof *f);
    f->toks = sl_arena_calloc(arena, len + 1, sizeof *f->toks);
    int depth = 0;
    for (size_t i = 0; i < len;) {
        dtok *t = &f->toks[f->n];
        char c = p[i];
        if (c == '\'') {
            /* quoted literal; '' is a quote */
            char *buf = sl_arena_alloc(arena, len + 1);
            size_t bl = 0, j = i + 1;
            if (j < len && p[j] == '\'') {
                buf[bl++] = '\'';
                j++;
            } else {
                for (;;) {
                    if (j >= len) {
                        snprintf(err, errlen, "Pattern ends with an incomplete string literal: %.*s", (int)len, p);
                        return NULL;
                    }
                    if (p[j] == '\'') {
                        if (j + 1 < len && p[j + 1] == '\'') {
                            buf[bl++] = '\'';
                            j += 2;
                            continue;
                        }
                        j++;
                        break;
                    }
                    buf[bl++] = p[j++];
                }
            }
            *t = (dtok){.kind = T_LIT, .lit = buf, .litlen = bl};
            f->n++;
            i = j;
        } else if (c == '[' || c == ']') {
            depth += c == '[' ? 1 : -1;
            if (depth < 0) {
                snprintf(err, errlen, "Pattern invalid as it contains ] without previous [");
                return NULL;
            }
            *t = (dtok){.kind = c == '[' ? T_OPT_BEGIN : T_OPT_END};
            f->n++;
            i++;
        } else if (isalpha((unsigned char)c)) {
            if (!known_letter(c)) {
                snprintf(err, errlen, "Unknown pattern letter: %c", c);
                return NULL;
            }
            size_t j = i;
            while (j < len && p[j] == c)
                j++;
            *t = (dtok){.kind = T_FIELD, .letter = c, .count = (int)(j - i)};
            if ((strchr("dHhkKms", c) && t->count > 2) || (strchr("MLE", c) && t->count > 5) ||
                (c == 'a' && t->count > 1) || (strchr("XxZ", c) && t->count > 5)) {
                snprintf(err, errlen, "Too many pattern letters: %c", c);
                return NULL;
            }
            f->n++;
            i = j;
        } else {
            *t = (dtok){.kind = T_LIT, .lit = p + i, .litlen = 1};
            f->n++;
            i++;
        }
    }
    return f;
}

static bool has_letters(const sl_datefmt *f, const char *letters)
{
    for (int i = 0; i < f->n; i++)
        if (f->toks[i].kind == T_FIELD && strchr(letters, f->toks[i].letter))
            return true;
    return false;
}
bool sl_datefmt_has_date_fields(const sl_datefmt *f)
{
    return has_letters(f, "yuMLdDEeG");
}
bool sl_datefmt_has_time_fields(const sl_datefmt *f)
{
    return has_letters(f, "HhkKmsSanA");
}

/* ---------- format ---------- */

static void put_num(sl_strbuf *out, int64_t v, int width)
{
    if (v < 0) {
        sl_strbuf_putc(out, '-');
        v = -v;
    }
    sl_strbuf_printf(out, "%0*lld", width, (long long)v);
}

static void put_offset(sl_strbuf *out, int off, char letter, int count)
{
    if (off == 0 && letter == 'X') {
        sl_strbuf_putc(out, 'Z');
        return;
    }
    if (letter == 'Z' && count == 4) {
        if (off == 0) {
            sl_strbuf_puts(out, "GMT");
            return;
        }
        sl_strbuf_puts(out, "GMT");
        letter = 'X';
        count = 3;
    }
    int a = abs(off);
    sl_strbuf_printf(out, "%c%02d", off < 0 ? '-' : '+', a / 3600);
    bool colon = (letter == 'Z' && count == 5) || ((letter == 'X' || letter == 'x') && (count == 3 || count == 5));
    if (letter == 'Z' && count == 5 && off == 0) {
        /* ZZZZZ prints Z for zero */
    }
    if ((letter == 'X' || letter == 'x') && count == 1) {
        if (a / 60 % 60)
            sl_strbuf_printf(out, "%02d", a / 60 % 60);
        return;
    }
    sl_strbuf_printf(out, colon ? ":%02d" : "%02d", a / 60 % 60);
}

bool sl_datefmt_format(const sl_datefmt *f, int64_t epoch_ms, const char *zone, sl_strbuf *out)
{
    int off = 0;
    char abbr[16] = "UTC";
    if (!sl_zone_offset(zone, sl_floor_div(epoch_ms, 1000), &off, abbr))
        return false;
    int64_t local = epoch_ms + (int64_t)off * 1000;
    int64_t days = sl_floor_div(local, 86400000);
    int64_t msod = local - days * 86400000;
    int64_t year;
    unsigned month, day;
    sl_civil_from_days(days, &year, &month, &day);
    int hour = (int)(msod / 3600000), minute = (int)(msod / 60000 % 60), sec = (int)(msod / 1000 % 60);
    int millis = (int)(msod % 1000);
    int dow = (int)((days % 7 + 7 + 3) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
    int64_t doy = days - sl_days_from_civil(year, 1, 1) + 1;
    int depth_skip = 0;
    for (int i = 0; i < f->n; i++) {
        const dtok *t = &f->toks[i];
        if (t->kind == T_OPT_BEGIN || t->kind == T_OPT_END) {
            (void)depth_skip;
            continue; /* optional sections are always printed */
        }
        if (t->kind == T_LIT) {
            sl_strbuf_append(out, t->lit, t->litlen);
            continue;
        }
        int n = t->count;
        switch (t->letter) {
        case 'y':
        case 'u':
            if (n == 2)
                put_num(out, ((year % 100) + 100) % 100, 2);
            else
                put_num(out, year, n);
            break;
        case 'M':
        case 'L':
            if (n >= 4)
                sl_strbuf_puts(out, month_long[month - 1]);
            else if (n == 3)
                sl_strbuf_puts(out, month_short[month - 1]);
            else
                put_num(out, month, n);
            break;
        case 'd': put_num(out, day, n); break;
        case 'D': put_num(out, doy, n); break;
        case 'H': put_num(out, hour, n); break;
        case 'k': put_num(out, hour == 0 ? 24 : hour, n); break;
        case 'K': put_num(out, hour % 12, n); break;
        case 'h': put_num(out, hour % 12 == 0 ? 12 : hour % 12, n); break;
        case 'm': put_num(out, minute, n); break;
        case 's': put_num(out, sec, n); break;
        case 'S': {
            char frac[16];
            snprintf(frac, sizeof frac, "%03d000000", millis);
            sl_strbuf_append(out, frac, n < 9 ? (size_t)n : 9);
            break;
        }
        case 'n': put_num(out, (int64_t)millis * 1000000, n); break;
        case 'A': put_num(out, msod, n); break;
        case 'a': sl_strbuf_puts(out, hour < 12 ? "AM" : "PM"); break;
        case 'E':
        case 'e': sl_strbuf_puts(out, n >= 4 ? day_long[dow] : day_short[dow]); break;
        case 'G': sl_strbuf_puts(out, year > 0 ? "AD" : "BC"); break;
        case 'Q': put_num(out, (month - 1) / 3 + 1, n); break;
        case 'z': sl_strbuf_puts(out, abbr); break;
        case 'V': sl_strbuf_puts(out, zone && *zone ? zone : "UTC"); break;
        case 'Z':
            if (n == 5 && off == 0)
                sl_strbuf_putc(out, 'Z');
            else
                put_offset(out, off, 'Z', n);
            break;
        case 'X':
        case 'x': put_offset(out, off, t->letter, n); break;
        default: return false;
        }
    }
    return true;
}

/* ---------- parse ---------- */

typedef struct parsed {
    int64_t year;
    int month, day, doy;
    int hour, hour12, minute, second, millis;
    int ampm; /* -1 unset, 0 AM, 1 PM */
    bool has_year, has_month, has_day, has_doy, has_hour, has_hour12;
    bool has_offset;
    int offset;
    char zone[72];
} parsed;

static bool is_numeric_tok(const dtok *t)
{
    return t->kind == T_FIELD && strchr("yuMLdDHhkKmsSnA", t->letter) &&
           !((t->letter == 'M' || t->letter == 'L') && t->count >= 3);
}

static size_t match_name(const char *s, size_t n, const char *const *names, int count, int *idx)
{
    size_t best = 0;
    for (int i = 0; i < count; i++) {
        size_t l = strlen(names[i]);
        if (l <= n && l > best && !strncasecmp(s, names[i], l)) {
            best = l;
            *idx = i;
        }
    }
    return best;
}

static bool parse_tokens(const sl_datefmt *f, int *ti, int end_depth, const char *s, size_t len, size_t *pos,
                         parsed *r);

/* skips to the token after the ] that closes the section opened before *ti */
static void skip_section(const sl_datefmt *f, int *ti)
{
    int depth = 1;
    while (*ti < f->n && depth) {
        if (f->toks[*ti].kind == T_OPT_BEGIN)
            depth++;
        else if (f->toks[*ti].kind == T_OPT_END)
            depth--;
        (*ti)++;
    }
}

static bool parse_field(const sl_datefmt *f, int ti, const char *s, size_t len, size_t *pos, parsed *r)
{
    const dtok *t = &f->toks[ti];
    size_t p = *pos;
    int n = t->count;
    char c = t->letter;
    if (is_numeric_tok(t)) {
        bool adjacent = ti + 1 < f->n && is_numeric_tok(&f->toks[ti + 1]);
        size_t minw = 1, maxw;
        if (c == 'S') {
            minw = maxw = (size_t)n;
        } else if (c == 'y' || c == 'u') {
            if (n == 2)
                minw = maxw = 2;
            else {
                minw = (size_t)n;
                maxw = adjacent ? (size_t)(n < 4 ? 4 : n) : 10;
            }
        } else if (n >= 2) {
            minw = maxw = (size_t)n;
        } else {
            maxw = adjacent ? 1 : (c == 'D' ? 3 : c == 'A' || c == 'n' ? 10 : 2);
        }
        bool neg = false;
        if ((c == 'y' || c == 'u') && n != 2 && p < len && (s[p] == '-' || s[p] == '+')) {
            neg = s[p] == '-';
            p++;
        }
        size_t w = 0;
        int64_t v = 0;
        while (w < maxw && p + w < len && isdigit((unsigned char)s[p + w])) {
            v = v * 10 + (s[p + w] - '0');
            w++;
        }
        if (w < minw)
            return false;
        *pos = p + w;
        if (neg)
            v = -v;
        switch (c) {
        case 'y':
        case 'u':
            r->year = n == 2 ? 2000 + v : v;
            r->has_year = true;
            break;
        case 'M':
        case 'L':
            r->month = (int)v;
            r->has_month = true;
            break;
        case 'd':
            r->day = (int)v;
            r->has_day = true;
            break;
        case 'D':
            r->doy = (int)v;
            r->has_doy = true;
            break;
        case 'H':
        case 'k':
            r->hour = (int)(c == 'k' && v == 24 ? 0 : v);
            r->has_hour = true;
            break;
        case 'h':
        case 'K':
            r->hour12 = (int)(c == 'h' && v == 12 ? 0 : v);
            r->has_hour12 = true;
            break;
        case 'm': r->minute = (int)v; break;
        case 's': r->second = (int)v; break;
        case 'S': {
            int64_t ms = v;
            for (int k = n; k < 3; k++)
                ms *= 10;
            for (int k = 3; k < n; k++)
                ms /= 10;
            r->millis = (int)ms;
            break;
        }
        case 'n': r->millis = (int)(v / 1000000); break;
        case 'A': {
            r->hour = (int)(v / 3600000);
            r->minute = (int)(v / 60000 % 60);
            r->second = (int)(v / 1000 % 60);
            r->millis = (int)(v % 1000);
            r->has_hour = true;
            break;
        }
        }
        return true;
    }
    int idx = 0;
    size_t m;
    switch (c) {
    case 'M':
    case 'L':
        m = match_name(s + p, len - p, n >= 4 ? month_long : month_short, 12, &idx);
        if (!m)
            return false;
        r->month = idx + 1;
        r->has_month = true;
        *pos = p + m;
        return true;
    case 'E':
    case 'e':
        m = match_name(s + p, len - p, n >= 4 ? day_long : day_short, 7, &idx);
        if (!m)
            return false;
        *pos = p + m;
        return true; /* the day of week is implied by the date */
    case 'a':
        if (len - p >= 2 && (!strncasecmp(s + p, "AM", 2) || !strncasecmp(s + p, "PM", 2))) {
            r->ampm = toupper((unsigned char)s[p]) == 'P';
            *pos = p + 2;
            return true;
        }
        return false;
    case 'G':
        if (len - p >= 2 && (!strncasecmp(s + p, "AD", 2) || !strncasecmp(s + p, "BC", 2))) {
            *pos = p + 2;
            return true;
        }
        return false;
    case 'X':
    case 'x':
    case 'Z':
    case 'z':
    case 'V': {
        if ((c == 'X' || c == 'Z') && p < len && (s[p] == 'Z' || s[p] == 'z')) {
            r->has_offset = true;
            r->offset = 0;
            *pos = p + 1;
            return true;
        }
        /* an offset: sign then digits and colons */
        if (p < len && (s[p] == '+' || s[p] == '-')) {
            size_t e = p + 1;
            while (e < len && (isdigit((unsigned char)s[e]) || s[e] == ':') && e - p < 9)
                e++;
            char buf[16];
            snprintf(buf, sizeof buf, "%.*s", (int)(e - p), s + p);
            if (!parse_offset_text(buf, &r->offset))
                return false;
            r->has_offset = true;
            *pos = e;
            return true;
        }
        if (c != 'z' && c != 'V' && !(c == 'Z' && n == 4))
            return false;
        size_t e = p;
        while (e < len && (isalnum((unsigned char)s[e]) || strchr("/_+-:", s[e])) && e - p < 64)
            e++;
        char buf[72];
        snprintf(buf, sizeof buf, "%.*s", (int)(e - p), s + p);
        if (e == p || !sl_zone_valid(buf))
            return false;
        snprintf(r->zone, sizeof r->zone, "%s", buf);
        *pos = e;
        return true;
    }
    default: return false;
    }
}

static bool parse_tokens(const sl_datefmt *f, int *ti, int end_depth, const char *s, size_t len, size_t *pos,
                         parsed *r)
{
    while (*ti < f->n) {
        const dtok *t = &f->toks[*ti];
        if (t->kind == T_OPT_END) {
            (*ti)++;
            if (end_depth)
                return true;
            continue;
        }
        if (t->kind == T_OPT_BEGIN) {
            (*ti)++;
            size_t save_pos = *pos;
            parsed save = *r;
            int save_ti = *ti;
            if (!parse_tokens(f, ti, 1, s, len, pos, r)) {
                *pos = save_pos;
                *r = save;
                *ti = save_ti;
                skip_section(f, ti);
            }
            continue;
        }
        if (t->kind == T_LIT) {
            if (len - *pos < t->litlen || strncasecmp(s + *pos, t->lit, t->litlen))
                return false;
            *pos += t->litlen;
        } else if (!parse_field(f, *ti, s, len, pos, r)) {
            return false;
        }
        (*ti)++;
    }
    return true;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

static bool parse_text(const sl_datefmt *f, const char *s, size_t len, bool whole, const char *zone,
                       int64_t *epoch_ms, char *err, size_t errlen);

bool sl_datefmt_parse(const sl_datefmt *f, const char *s, size_t len, const char *zone, int64_t *epoch_ms,
                      char *err, size_t errlen)
{
    return parse_text(f, s, len, true, zone, epoch_ms, err, errlen);
}

bool sl_datefmt_parse_prefix(const sl_datefmt *f, const char *s, size_t len, const char *zone, int64_t *epoch_ms,
                             char *err, size_t errlen)
{
    return parse_text(f, s, len, false, zone, epoch_ms, err, errlen);
}

static bool parse_text(const sl_datefmt *f, const char *s, size_t len, bool whole, const char *zone,
                       int64_t *epoch_ms, char *err, size_t errlen)
{
    parsed r = {.year = 1970, .month = 1, .day = 1, .ampm = -1};
    size_t pos = 0;
    int ti = 0;
    if (!parse_tokens(f, &ti, 0, s, len, &pos, &r) || (whole && pos != len)) {
        snprintf(err, errlen, "Text '%.*s' could not be parsed at index %zu", (int)(len > 200 ? 200 : len), s,
                 pos);
        return false;
    }
    int hour = r.hour;
    if (r.has_hour12)
        hour = r.hour12 + (r.ampm == 1 ? 12 : 0);
    else if (r.ampm == 1 && hour < 12 && r.has_hour)
        hour += 12;
    if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > days_in_month(r.year, r.month) || hour > 23 ||
        r.minute > 59 || r.second > 59 || (r.has_hour12 && r.hour12 > 12)) {
        snprintf(err, errlen, "Text '%.*s' could not be parsed: a field is out of range",
                 (int)(len > 200 ? 200 : len), s);
        return false;
    }
    int64_t days = r.has_doy ? sl_days_from_civil(r.year, 1, 1) + r.doy - 1
                             : sl_days_from_civil(r.year, (unsigned)r.month, (unsigned)r.day);
    int64_t local = days * 86400000 + (int64_t)hour * 3600000 + (int64_t)r.minute * 60000 +
                    (int64_t)r.second * 1000 + r.millis;
    if (r.has_offset) {
        *epoch_ms = local - (int64_t)r.offset * 1000;
        return true;
    }
    const char *z = r.zone[0] ? r.zone : zone;
    int off1, off2;
    if (!sl_zone_offset(z, sl_floor_div(local, 1000), &off1, NULL) ||
        !sl_zone_offset(z, sl_floor_div(local, 1000) - off1, &off2, NULL)) {
        snprintf(err, errlen, "Unknown time-zone ID: %s", z ? z : "");
        return false;
    }
    *epoch_ms = local - (int64_t)off2 * 1000;
    return true;
}
