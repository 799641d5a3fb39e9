/* The demo's screen (see demo_view.h). Each panel keeps its last few
 * records in a small ring; a live draw composes the whole screen in one
 * buffer and writes it at once, moving the cursor home and clearing what
 * each line leaves over, so the terminal shows no flicker and no scroll.
 * Values are shown as a table whose columns are the JSON value's fields
 * (the key first); plain mode prints the bytes as the topic holds them. */
#include "cli/demo_view.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/strbuf.h"
#include "serde/windowed_key.h"

#define RING 16       /* records kept per panel: more than a screen shows */
#define MAX_COLS 12   /* value fields shown per row */
#define CELL 48       /* longest cell, in bytes */

typedef struct shown {
    char *key;     /* printable, the window bytes removed */
    json_t *value; /* an object, or NULL when the value is not one */
    char *raw;     /* the value as text when it is not an object */
} shown;

typedef struct panel {
    char *topic, *caption;
    shown ring[RING];
    int64_t count; /* records seen; ring[(count - 1) % RING] is the latest */
} panel;

struct sl_demo_view {
    FILE *out;
    bool live;
    panel *panels;
    int npanels;
    bool cleared; /* the screen was cleared once, before the first draw */
};

sl_demo_view *sl_demo_view_new(FILE *out, bool live)
{
    sl_demo_view *v = calloc(1, sizeof *v);
    if (v) {
        v->out = out;
        v->live = live;
    }
    return v;
}

static void clear_shown(shown *s)
{
    free(s->key);
    free(s->raw);
    json_decref(s->value);
    memset(s, 0, sizeof *s);
}

void sl_demo_view_destroy(sl_demo_view *v)
{
    if (!v)
        return;
    for (int i = 0; i < v->npanels; i++) {
        for (int k = 0; k < RING; k++)
            clear_shown(&v->panels[i].ring[k]);
        free(v->panels[i].topic);
        free(v->panels[i].caption);
    }
    free(v->panels);
    free(v);
}

void sl_demo_view_add_panel(sl_demo_view *v, const char *topic, const char *caption)
{
    panel *p = realloc(v->panels, (size_t)(v->npanels + 1) * sizeof *p);
    if (!p)
        return;
    v->panels = p;
    p = &v->panels[v->npanels++];
    memset(p, 0, sizeof *p);
    p->topic = strdup(topic);
    p->caption = caption ? strdup(caption) : NULL;
    if (!v->live)
        fprintf(v->out, "%s: %s\n", topic, caption ? caption : "(no caption)");
}

int64_t sl_demo_view_count(const sl_demo_view *v)
{
    int64_t n = 0;
    for (int i = 0; i < v->npanels; i++)
        n += v->panels[i].count;
    return n;
}

/* the key as text: a window start appended by a windowed aggregation is
 * dropped when the value says which window it is; other bytes that are not
 * printable are escaped */
static char *key_text(const void *key, size_t klen, json_t *value)
{
    const unsigned char *k = key;
    json_t *ws = json_object_get(value, "WINDOW_START");
    size_t inner;
    int64_t start, end;
    if (klen > 8 && json_is_integer(ws) &&
        sl_windowed_key_split(key, klen, false, 0, &inner, &start, &end) &&
        start == json_integer_value(ws))
        klen = inner;
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    for (size_t i = 0; i < klen; i++)
        if (k[i] >= 0x20 && k[i] < 0x7f)
            sl_strbuf_putc(&sb, (char)k[i]);
        else
            sl_strbuf_printf(&sb, "\\x%02x", k[i]);
    if (!sb.data)
        sl_strbuf_puts(&sb, "");
    return sb.data;
}

void sl_demo_view_record(sl_demo_view *v, const char *topic, const void *key, size_t klen, const void *value,
                         size_t vlen)
{
    panel *p = NULL;
    for (int i = 0; i < v->npanels && !p; i++)
        if (!strcmp(v->panels[i].topic, topic))
            p = &v->panels[i];
    if (!p)
        return;
    json_t *j = value ? json_loadb(value, vlen, 0, NULL) : NULL;
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    if (!v->live) {
        char *kt = key_text(key, klen, j);
        fprintf(v->out, "%s  %s -> %.*s\n", topic, kt, (int)vlen, value ? (const char *)value : "null");
        fflush(v->out);
        free(kt);
    }
    shown *s = &p->ring[p->count % RING];
    clear_shown(s);
    s->key = key_text(key, klen, j);
    s->value = j;
    if (!j) {
        s->raw = malloc(vlen + 1);
        if (s->raw) {
            memcpy(s->raw, value ? value : "", value ? vlen : 0);
            s->raw[value ? vlen : 0] = 0;
        }
    }
    p->count++;
}

/* ---------- drawing ---------- */

/* a field's value for a person: windows as local clock times, numbers
 * without a long binary fraction */
static void cell_text(const char *field, json_t *x, char *out, size_t n)
{
    if (json_is_integer(x) && (!strcmp(field, "WINDOW_START") || !strcmp(field, "WINDOW_END"))) {
        time_t t = (time_t)(json_integer_value(x) / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(out, n, "%H:%M:%S", &tm);
    } else if (json_is_integer(x)) {
        snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(x));
    } else if (json_is_real(x)) {
        snprintf(out, n, "%.2f", json_real_value(x));
        char *dot = strchr(out, '.');
        if (dot) {
            char *e = out + strlen(out) - 1;
            while (e > dot && *e == '0')
                *e-- = 0;
            if (e == dot)
                *e = 0;
        }
    } else if (json_is_string(x)) {
        snprintf(out, n, "%s", json_string_value(x));
    } else if (json_is_null(x) || !x) {
        snprintf(out, n, "null");
    } else {
        char *d = json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(out, n, "%s", d ? d : "?");
        free(d);
    }
}

/* display width of UTF-8 text: one column per character */
static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* one screen line: text clipped to the terminal's width, in a style
 * (an SGR code, or NULL), then the rest of the line cleared */
static void line(sl_strbuf *sb, const char *style, const char *text, int cols)
{
    if (style)
        sl_strbuf_printf(sb, "\033[%sm", style);
    size_t w = 0;
    for (const char *s = text; *s; s++) {
        bool lead = ((unsigned char)*s & 0xc0) != 0x80;
        if (lead && (int)w >= cols)
            break;
        w += lead;
        sl_strbuf_putc(sb, *s);
    }
    sl_strbuf_puts(sb, style ? "\033[0m\033[K\r\n" : "\033[K\r\n");
}

/* appends cell left-aligned in width columns, then two spaces */
static void pad(sl_strbuf *row, const char *cell, size_t width)
{
    sl_strbuf_puts(row, cell);
    for (size_t w = width_of(cell); w < width + 2; w++)
        sl_strbuf_putc(row, ' ');
}

static void draw_panel(sl_strbuf *sb, const panel *p, int rows, int cols)
{
    char title[512];
    snprintf(title, sizeof title, "%s  %s  (%" PRId64 " result%s)", p->topic, p->caption ? p->caption : "",
             p->count, p->count == 1 ? "" : "s");
    line(sb, "1", title, cols);
    int shown_n = (int)(p->count < rows ? p->count : rows);
    if (!shown_n) {
        line(sb, "2", "  nothing yet", cols);
        return;
    }
    /* columns: the fields of the latest record's value */
    const shown *latest = &p->ring[(p->count - 1) % RING];
    const char *fields[MAX_COLS];
    int nf = 0;
    const char *name;
    json_t *x;
    json_object_foreach(latest->value, name, x)
    {
        if (nf < MAX_COLS)
            fields[nf++] = name;
    }
    size_t widths[MAX_COLS + 1] = {3};
    char cell[CELL];
    for (int f = 0; f < nf; f++)
        widths[f + 1] = width_of(fields[f]);
    for (int r = 0; r < shown_n; r++) {
        const shown *s = &p->ring[(p->count - shown_n + r) % RING];
        if (width_of(s->key) > widths[0])
            widths[0] = width_of(s->key);
        for (int f = 0; f < nf; f++) {
            cell_text(fields[f], json_object_get(s->value, fields[f]), cell, sizeof cell);
            if (width_of(cell) > widths[f + 1])
                widths[f + 1] = width_of(cell);
        }
    }
    sl_strbuf row;
    sl_strbuf_init(&row);
    sl_strbuf_puts(&row, "  ");
    pad(&row, "key", widths[0]);
    for (int f = 0; f < nf; f++)
        pad(&row, fields[f], widths[f + 1]);
    line(sb, "2", row.data, cols);
    for (int r = 0; r < shown_n; r++) {
        const shown *s = &p->ring[(p->count - shown_n + r) % RING];
        sl_strbuf_reset(&row);
        sl_strbuf_puts(&row, "  ");
        pad(&row, s->key, widths[0]);
        if (!s->value)
            sl_strbuf_puts(&row, s->raw ? s->raw : "");
        for (int f = 0; s->value && f < nf; f++) {
            cell_text(fields[f], json_object_get(s->value, fields[f]), cell, sizeof cell);
            pad(&row, cell, widths[f + 1]);
        }
        line(sb, NULL, row.data, cols);
    }
    sl_strbuf_free(&row);
}

void sl_demo_view_draw(sl_demo_view *v, const char *status)
{
    if (!v->live)
        return;
    int rows = 24, cols = 80;
    struct winsize ws;
    if (!ioctl(fileno(v->out), TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col) {
        rows = ws.ws_row;
        cols = ws.ws_col;
    }
    int per_panel = v->npanels ? (rows - 5 - v->npanels * 3) / v->npanels : 0;
    if (per_panel > RING)
        per_panel = RING;
    if (per_panel < 1)
        per_panel = 1;
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    if (!v->cleared) {
        sl_strbuf_puts(&sb, "\033[2J\033[?25l"); /* clear, hide the cursor while drawing */
        v->cleared = true;
    }
    sl_strbuf_puts(&sb, "\033[H");
    line(&sb, "1", "Sluice demo: streaming SQL on an in-process Kafka (librdkafka's mock cluster)", cols);
    line(&sb, NULL,
         "No transactions on the mock cluster: the demo runs at_least_once (exactly-once: scripts/test, on a "
         "real broker)",
         cols);
    line(&sb, "2", status, cols);
    line(&sb, NULL, "", cols);
    for (int i = 0; i < v->npanels; i++) {
        draw_panel(&sb, &v->panels[i], per_panel, cols);
        line(&sb, NULL, "", cols);
    }
    sl_strbuf_puts(&sb, "\033[J\033[?25h");
    fwrite(sb.data, 1, sb.len, v->out);
    fflush(v->out);
    sl_strbuf_free(&sb);
}

/* ---------- captions ---------- */

static bool word_at(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (strncasecmp(*p, word, n) || isalnum((unsigned char)(*p)[n]) || (*p)[n] == '_')
        return false;
    *p += n;
    while (isspace((unsigned char)**p))
        (*p)++;
    return true;
}

void sl_demo_captions(const char *sql, sl_demo_caption_fn fn, void *ctx)
{
    sl_strbuf caption;
    sl_strbuf_init(&caption);
    bool in_statement = false;
    for (const char *l = sql; l && *l;) {
        const char *eol = strchr(l, '\n');
        size_t len = eol ? (size_t)(eol - l) : strlen(l);
        const char *p = l;
        while (p < l + len && isspace((unsigned char)*p))
            p++;
        if (!in_statement && p + 2 <= l + len && p[0] == '-' && p[1] == '-') {
            p += 2;
            while (p < l + len && *p == ' ')
                p++;
            if (caption.len)
                sl_strbuf_putc(&caption, ' ');
            sl_strbuf_append(&caption, p, (size_t)(l + len - p));
        } else if (p == l + len) {
            if (!in_statement)
                sl_strbuf_reset(&caption); /* a blank line ends a caption */
        } else {
            if (!in_statement && word_at(&p, "CREATE")) {
                if (word_at(&p, "OR"))
                    word_at(&p, "REPLACE");
                if (word_at(&p, "STREAM") || word_at(&p, "TABLE")) {
                    char name[256];
                    size_t n = 0;
                    if (*p == '"' || *p == '`') {
                        char q = *p++;
                        while (*p && *p != q && n < sizeof name - 1)
                            name[n++] = *p++;
                    } else {
                        while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof name - 1)
                            name[n++] = (char)toupper((unsigned char)*p++);
                    }
                    name[n] = 0;
                    if (n)
                        fn(ctx, name, caption.len ? caption.data : NULL);
                }
            }
            sl_strbuf_reset(&caption);
            /* the statement goes on until a line that ends it with ';' */
            const char *semi = memchr(l, ';', len);
            in_statement = !semi;
        }
        l = eol ? eol + 1 : NULL;
    }
    sl_strbuf_free(&caption);
}
