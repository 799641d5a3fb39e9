/* The status page (GET /): what an operator looks at first, from the same
 * view of the workers as /metrics and /status, as one HTML page with no
 * script and nothing fetched from elsewhere, which refreshes itself every
 * 2 seconds. From the top: health, readiness and brokers; the numbers that
 * say whether it keeps up (rates over the last 10 s, total lag, failed
 * records, state, memory), and a line adding up what the memory is made of; the last five minutes as two small inline SVG
 * charts (records in and out per second, commit latency), drawn from the
 * workers' per-second history in 5-second steps; each query with its
 * statement, topics and state; the last processing-log messages; and each
 * worker's part of the consumer group (member, assignment, lag, stream
 * time, counts). Elements an operator or a test looks for have ids. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/http_pages_int.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "dev"
#endif

#define put_html sl_http_put_html
#define put_time sl_http_put_time

#define CHART_STEP 5 /* seconds per point */
#define CHART_POINTS (SL_METRICS_HISTORY_SECONDS / CHART_STEP)

/* ---------- numbers for people ---------- */

static void put_count(sl_strbuf *o, double v)
{
    if (v >= 1e9)
        sl_strbuf_printf(o, "%.2f G", v / 1e9);
    else if (v >= 1e6)
        sl_strbuf_printf(o, "%.2f M", v / 1e6);
    else if (v >= 1e4)
        sl_strbuf_printf(o, "%.1f k", v / 1e3);
    else if (v == floor(v))
        sl_strbuf_printf(o, "%.0f", v);
    else
        sl_strbuf_printf(o, "%.1f", v);
}

static void put_bytes(sl_strbuf *o, double b)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
        b /= 1024;
        u++;
    }
    sl_strbuf_printf(o, u ? "%.1f %s" : "%.0f %s", b, units[u]);
}

static void put_duration(sl_strbuf *o, int64_t s)
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        sl_strbuf_printf(o, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        sl_strbuf_printf(o, "%lld h %02lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        sl_strbuf_printf(o, "%lld min %02lld s", (long long)(s / 60), (long long)(s % 60));
    else
        sl_strbuf_printf(o, "%lld s", (long long)s);
}

/* the time of day (UTC) of epoch milliseconds: the date is in the title */
static void put_clock(sl_strbuf *o, int64_t ms)
{
    sl_strbuf t;
    sl_strbuf_init(&t);
    put_time(&t, ms); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    sl_strbuf_append(o, t.len > 11 ? t.data + 11 : t.data, t.len > 12 ? t.len - 12 : t.len);
    sl_strbuf_free(&t);
}

/* ---------- charts ---------- */

typedef struct series {
    const char *name, *color;
    bool dashed;
    double v[CHART_POINTS];
    bool has[CHART_POINTS]; /* false: no value (no commit in that step) */
} series;

/* the smallest of 1, 2, 5 x 10^k at or above v */
static double nice_ceiling(double v)
{
    if (v <= 0)
        return 1;
    double p = pow(10, floor(log10(v)));
    for (int i = 0; i < 3; i++) {
        double c = (double[]){1, 2, 5}[i] * p;
        if (c >= v)
            return c;
    }
    return 10 * p;
}

static void put_axis_value(sl_strbuf *o, double v)
{
    if (v >= 1e6)
        sl_strbuf_printf(o, "%gM", v / 1e6);
    else if (v >= 1e3)
        sl_strbuf_printf(o, "%gk", v / 1e3);
    else
        sl_strbuf_printf(o, "%g", v);
}

/* An SVG line chart of the last five minutes: one polyline per run of
 * points with values, a y axis from 0 to a round maximum. */
static void chart(sl_strbuf *o, const char *id, const char *title, const char *unit, const series *s, int ns)
{
    const double W = 520, H = 170, left = 52, right = 10, top = 10, bottom = 24;
    const double pw = W - left - right, ph = H - top - bottom;
    double max = 0;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < CHART_POINTS; i++)
            if (s[k].has[i] && s[k].v[i] > max)
                max = s[k].v[i];
    double ymax = nice_ceiling(max);
    sl_strbuf_printf(o, "<figure class=\"chart\" id=\"%s\">\n<figcaption>", id);
    put_html(o, title);
    for (int k = 0; k < ns; k++)
        sl_strbuf_printf(o, " <span class=\"key\"><span class=\"swatch\" style=\"background:%s\"></span>%s</span>",
                         s[k].color, s[k].name);
    sl_strbuf_printf(o,
                     "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
                     "height=\"%.0f\" role=\"img\" aria-label=\"",
                     W, H, W, H);
    put_html(o, title);
    sl_strbuf_puts(o, "\">\n");
    /* grid: 0, half, max */
    for (int g = 0; g <= 2; g++) {
        double y = top + ph - ph * g / 2.0;
        sl_strbuf_printf(o, "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", left, y, W - right,
                         y);
        sl_strbuf_printf(o, "<text class=\"axis\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", left - 6, y + 4);
        put_axis_value(o, ymax * g / 2.0);
        if (g == 2)
            sl_strbuf_printf(o, " %s", unit);
        sl_strbuf_puts(o, "</text>\n");
    }
    for (int m = 0; m <= 5; m++) {
        double x = left + pw * m / 5.0;
        sl_strbuf_printf(o, "<text class=\"axis\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">", x, H - 6,
                         m == 0 ? "start" : m == 5 ? "end" : "middle");
        if (m == 5)
            sl_strbuf_puts(o, "now");
        else
            sl_strbuf_printf(o, "-%d min", 5 - m);
        sl_strbuf_puts(o, "</text>");
    }
    sl_strbuf_puts(o, "\n");
    for (int k = 0; k < ns; k++) {
        for (int i = 0; i < CHART_POINTS;) {
            if (!s[k].has[i]) {
                i++;
                continue;
            }
            sl_strbuf_printf(o, "<polyline class=\"series\" data-series=\"%s\" fill=\"none\" stroke=\"%s\" "
                                "stroke-width=\"1.8\"%s points=\"",
                             s[k].name, s[k].color, s[k].dashed ? " stroke-dasharray=\"4 3\"" : "");
            int start = i;
            for (; i < CHART_POINTS && s[k].has[i]; i++)
                sl_strbuf_printf(o, "%s%.1f,%.1f", i > start ? " " : "", left + pw * i / (CHART_POINTS - 1),
                                 top + ph - ph * s[k].v[i] / ymax);
            if (i - start == 1) /* a lone point: a short flat line shows it */
                sl_strbuf_printf(o, " %.1f,%.1f", left + pw * start / (CHART_POINTS - 1) + 2,
                                 top + ph - ph * s[k].v[start] / ymax);
            sl_strbuf_puts(o, "\"/>\n");
        }
    }
    sl_strbuf_puts(o, "</svg>\n</figure>\n");
}

static void charts(sl_strbuf *o, const sl_http_view *v)
{
    series rates[2], latency[2];
    rates[0] = (series){.name = "in", .color = "#1f6fb2"};
    rates[1] = (series){.name = "out", .color = "#2e9b4b"};
    latency[0] = (series){.name = "average", .color = "#c0392b"};
    latency[1] = (series){.name = "max", .color = "#e08e79", .dashed = true};
    /* the last point ends with the last complete second */
    int64_t end = v->now_ms / 1000 - 1;
    for (int i = 0; i < CHART_POINTS; i++) {
        int64_t to = end - (int64_t)(CHART_POINTS - 1 - i) * CHART_STEP;
        sl_history_second h;
        sl_http_history_sum(v, to - CHART_STEP + 1, to, &h);
        rates[0].v[i] = (double)h.records_in / CHART_STEP;
        rates[1].v[i] = (double)h.records_out / CHART_STEP;
        rates[0].has[i] = rates[1].has[i] = true;
        if (h.commits) {
            latency[0].v[i] = (double)h.latency_us_sum / (double)h.commits / 1000.0;
            latency[1].v[i] = (double)h.latency_us_max / 1000.0;
            latency[0].has[i] = latency[1].has[i] = true;
        }
    }
    sl_strbuf_puts(o, "<section class=\"charts\">\n");
    chart(o, "chart-records", "Records per second (sources in, sinks out), last 5 minutes", "/s", rates, 2);
    chart(o, "chart-latency", "Commit latency, first record to commit, last 5 minutes", "ms", latency, 2);
    sl_strbuf_puts(o, "</section>\n");
}

/* ---------- sections ---------- */

static void tile(sl_strbuf *o, const char *id, const char *label, const char *value_html, const char *cls)
{
    sl_strbuf_printf(o, "<div class=\"tile%s%s\" id=\"%s\"><div class=\"value\">%s</div><div class=\"label\">",
                     cls ? " " : "", cls ? cls : "", id, value_html);
    put_html(o, label);
    sl_strbuf_puts(o, "</div></div>\n");
}

static void tiles(sl_strbuf *o, const sl_http_view *v)
{
    int64_t now_s = v->now_ms / 1000;
    sl_history_second last;
    sl_http_history_sum(v, now_s - 10, now_s - 1, &last);
    int64_t failed = 0, entries = 0, bytes = 0;
    for (int w = 0; w < v->nworkers; w++) {
        failed += v->workers[w].failed_records;
        entries += v->workers[w].state_entries;
        bytes += v->workers[w].state_bytes;
    }
    int64_t lag = sl_http_total_lag(v);
    sl_strbuf val;
    sl_strbuf_init(&val);
    sl_strbuf_puts(o, "<section class=\"tiles\">\n");
    put_count(&val, last.records_in / 10.0);
    tile(o, "tile-in", "records in / s (sources, last 10 s)", val.data, NULL);
    sl_strbuf_reset(&val);
    put_count(&val, last.records_out / 10.0);
    tile(o, "tile-out", "records out / s (sinks, last 10 s)", val.data, NULL);
    sl_strbuf_reset(&val);
    if (last.commits)
        sl_strbuf_printf(&val, "%.1f ms", (double)last.latency_us_sum / (double)last.commits / 1000.0);
    else
        sl_strbuf_puts(&val, "&ndash;");
    tile(o, "tile-latency", "commit latency (average, last 10 s)", val.data, NULL);
    sl_strbuf_reset(&val);
    if (lag >= 0)
        put_count(&val, (double)lag);
    else
        sl_strbuf_puts(&val, "?");
    tile(o, "tile-lag", "total lag (records)", val.data, lag > 0 ? "warn" : NULL);
    sl_strbuf_reset(&val);
    put_count(&val, (double)failed);
    tile(o, "tile-failed", "failed records (processing log)", val.data, failed ? "warn" : NULL);
    sl_strbuf_reset(&val);
    put_count(&val, (double)entries);
    sl_strbuf_puts(&val, "<small> / ");
    put_bytes(&val, (double)bytes);
    sl_strbuf_puts(&val, "</small>");
    tile(o, "tile-state", "state entries / memory", val.data, NULL);
    sl_strbuf_reset(&val);
    if (v->process.ok) {
        put_bytes(&val, (double)v->process.resident_bytes);
        tile(o, "tile-memory", "resident memory", val.data, NULL);
    }
    sl_strbuf_free(&val);
    sl_strbuf_puts(o, "</section>\n");
}

/* One line: what Sluice can count of its memory, part by part, against
 * the resident set (the rest is code, libraries and allocator slack). */
static void memory_line(sl_strbuf *o, const sl_http_view *v)
{
    sl_memory_parts m;
    sl_http_memory(v, &m);
    sl_strbuf_puts(o, "<p id=\"memory\" class=\"memory\">memory: ");
    put_bytes(o, (double)sl_memory_parts_total(&m));
    sl_strbuf_puts(o, " accounted = fetched ");
    put_bytes(o, (double)m.fetch_in_use);
    sl_strbuf_puts(o, " (budget ");
    put_bytes(o, (double)m.fetch_budget);
    sl_strbuf_puts(o, ") + producer ");
    put_bytes(o, (double)m.producer_in_use);
    sl_strbuf_puts(o, " (budget ");
    put_bytes(o, (double)m.producer_budget);
    sl_strbuf_puts(o, ") + state ");
    put_bytes(o, (double)m.state);
    sl_strbuf_puts(o, " + batch arenas ");
    put_bytes(o, (double)m.batch_arenas);
    if (v->process.ok) {
        sl_strbuf_puts(o, "; resident ");
        put_bytes(o, (double)m.rss);
    }
    sl_strbuf_puts(o, "</p>\n");
}

static const char *json_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* a query's stores' sizes, over every worker */
static void query_state(const sl_http_view *v, json_t *q, int64_t *entries, int64_t *bytes)
{
    *entries = *bytes = 0;
    size_t k;
    json_t *name;
    json_array_foreach(json_object_get(q, "state_stores"), k, name)
    {
        for (int w = 0; w < v->nworkers; w++)
            for (int i = 0; i < v->workers[w].nstores; i++)
                if (!strcasecmp(v->workers[w].stores[i].name, json_string_value(name))) {
                    *entries += v->workers[w].stores[i].entries;
                    *bytes += v->workers[w].stores[i].bytes;
                }
    }
}

static void queries(sl_strbuf *o, const sl_http_view *v)
{
    sl_strbuf_printf(o, "<h2>Queries (%zu)</h2>\n<table id=\"queries\">\n"
                        "<tr><th>query</th><th>statement</th><th>reads &rarr; writes</th><th>records</th><th>state</th></tr>\n",
                     json_array_size(v->queries));
    size_t i;
    json_t *q;
    json_array_foreach(v->queries, i, q)
    {
        sl_strbuf_puts(o, "<tr class=\"query\"><td class=\"id\">");
        put_html(o, json_str(q, "id"));
        sl_strbuf_puts(o, "</td><td><pre class=\"sql\">");
        put_html(o, *json_str(q, "sql") ? json_str(q, "sql") : "(statement not found in the queries file)");
        sl_strbuf_puts(o, "</pre></td><td class=\"topics\">");
        put_html(o, json_str(q, "source_topic"));
        sl_strbuf_puts(o, " &rarr; <b>");
        put_html(o, json_str(q, "sink_topic"));
        sl_strbuf_puts(o, "</b>");
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(q, "internal_topics"), k, t)
        {
            sl_strbuf_puts(o, k ? ", " : "<br><small>internal: ");
            put_html(o, json_string_value(t));
        }
        if (json_array_size(json_object_get(q, "internal_topics")))
            sl_strbuf_puts(o, "</small>");
        /* what became of what it read: a drop shows where it happens */
        sl_query_view fates;
        sl_http_query_totals(v, json_str(q, "id"), &fates);
        sl_strbuf_puts(o, "</td><td class=\"records\">read ");
        put_count(o, (double)fates.read);
        sl_strbuf_puts(o, "<br><small>passed ");
        put_count(o, (double)fates.passed);
        sl_strbuf_puts(o, ", filtered ");
        put_count(o, (double)fates.filtered);
        sl_strbuf_puts(o, ", late ");
        put_count(o, (double)fates.late);
        sl_strbuf_puts(o, ", failed ");
        put_count(o, (double)fates.failed);
        if (fates.in_flight) {
            sl_strbuf_puts(o, ", in flight ");
            put_count(o, (double)fates.in_flight);
        }
        if (fates.unaccounted) {
            sl_strbuf_puts(o, ", <b class=\"bad\">unaccounted ");
            put_count(o, (double)fates.unaccounted);
            sl_strbuf_puts(o, "</b>");
        }
        sl_strbuf_puts(o, "</small></td><td class=\"state\">");
        if (json_array_size(json_object_get(q, "state_stores"))) {
            int64_t entries, bytes;
            query_state(v, q, &entries, &bytes);
            put_count(o, (double)entries);
            sl_strbuf_puts(o, " entries, ");
            put_bytes(o, (double)bytes);
        } else {
            sl_strbuf_puts(o, "stateless");
        }
        sl_strbuf_puts(o, "</td></tr>\n");
    }
    sl_strbuf_puts(o, "</table>\n");
}

/* the last processing-log messages of every worker, newest first */
static void errors(sl_strbuf *o, const sl_http_view *v)
{
    const sl_error_entry *all[64 * SL_METRICS_ERRORS];
    int worker_of[64 * SL_METRICS_ERRORS];
    int n = 0;
    int64_t failed = 0;
    for (int w = 0; w < v->nworkers && w < 64; w++) {
        const sl_worker_snapshot *s = &v->workers[w];
        failed += s->failed_records;
        int64_t first = s->nerrors_seen > SL_METRICS_ERRORS ? s->nerrors_seen - SL_METRICS_ERRORS : 0;
        for (int64_t i = first; i < s->nerrors_seen; i++) {
            worker_of[n] = s->thread_index;
            all[n++] = &s->errors[i % SL_METRICS_ERRORS];
        }
    }
    /* newest first: a few entries, an insertion sort */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && all[j]->time_ms > all[j - 1]->time_ms; j--) {
            const sl_error_entry *t = all[j];
            all[j] = all[j - 1];
            all[j - 1] = t;
            int tw = worker_of[j];
            worker_of[j] = worker_of[j - 1];
            worker_of[j - 1] = tw;
        }
    /* a bad record read by several queries is logged once per query, with
     * the same message: one row, with how many entries. The entries need
     * not be next to each other (a query that repartitions reports later). */
    int times[64 * SL_METRICS_ERRORS], m = 0;
    for (int i = 0; i < n; i++) {
        int same = -1;
        for (int r = 0; r < m && same < 0; r++)
            if (worker_of[r] == worker_of[i] && !strcmp(all[r]->topic, all[i]->topic) &&
                all[r]->partition == all[i]->partition && all[r]->offset == all[i]->offset &&
                !strcmp(all[r]->message, all[i]->message))
                same = r;
        if (same >= 0) {
            times[same]++;
            continue;
        }
        all[m] = all[i];
        worker_of[m] = worker_of[i];
        times[m++] = 1;
    }
    n = m < SL_METRICS_ERRORS ? m : SL_METRICS_ERRORS;
    sl_strbuf_puts(o, "<h2>Recent errors</h2>\n");
    if (!n) {
        sl_strbuf_puts(o, "<p id=\"errors-none\" class=\"none\">No record has failed since the start.</p>\n");
        return;
    }
    sl_strbuf_printf(o, "<p>%" PRId64 " processing-log entr%s since the start (one per query that read a bad "
                        "record); the last records seen:</p>\n<table id=\"errors\">\n"
                        "<tr><th>time (UTC)</th><th>worker</th><th>record</th><th>entries</th><th>message</th></tr>\n",
                     failed, failed == 1 ? "y" : "ies");
    for (int i = 0; i < n; i++) {
        sl_strbuf_puts(o, "<tr class=\"error\"><td title=\"");
        put_time(o, all[i]->time_ms);
        sl_strbuf_puts(o, "\">");
        put_clock(o, all[i]->time_ms);
        sl_strbuf_printf(o, "</td><td>%d</td><td>", worker_of[i]);
        put_html(o, all[i]->topic);
        sl_strbuf_printf(o, "/%d@%" PRId64 "</td><td>%d</td><td class=\"message\">", all[i]->partition, all[i]->offset,
                         times[i]);
        put_html(o, all[i]->message);
        sl_strbuf_puts(o, "</td></tr>\n");
    }
    sl_strbuf_puts(o, "</table>\n");
}

static void row(sl_strbuf *o, const char *name, const char *value)
{
    sl_strbuf_puts(o, "<tr><th>");
    put_html(o, name);
    sl_strbuf_puts(o, "</th><td>");
    put_html(o, value && *value ? value : "unknown");
    sl_strbuf_puts(o, "</td></tr>\n");
}

static void row_count(sl_strbuf *o, const char *name, int64_t value)
{
    sl_strbuf_puts(o, "<tr><th>");
    put_html(o, name);
    sl_strbuf_printf(o, "</th><td>%" PRId64 "</td></tr>\n", value);
}

static void worker(sl_strbuf *o, const sl_http_view *v, const sl_worker_snapshot *s)
{
    sl_strbuf_printf(o, "<div class=\"worker\" id=\"worker-%d\">\n<h3>Worker thread %d: ", s->thread_index,
                     s->thread_index);
    put_html(o, sl_http_state_name(s));
    sl_strbuf_puts(o, "</h3>\n<div class=\"row\">\n<table class=\"membership\">\n");
    row(o, "group", s->group_id);
    row(o, "member id", s->member_id);
    row(o, "group.instance.id", s->instance_id);
    row_count(o, "assignments", s->assignments);
    sl_strbuf_puts(o, "<tr><th>last assignment</th><td>");
    if (s->assigned_ms) {
        put_duration(o, (v->now_ms - s->assigned_ms) / 1000);
        sl_strbuf_puts(o, " ago");
    } else {
        sl_strbuf_puts(o, "none yet");
    }
    sl_strbuf_puts(o, "</td></tr>\n<tr><th>brokers</th><td>");
    if (s->brokers_down_since_ms) {
        sl_strbuf_puts(o, "<span class=\"bad\">none reachable for ");
        put_duration(o, (v->now_ms - s->brokers_down_since_ms) / 1000);
        sl_strbuf_puts(o, "</span>");
    } else {
        sl_strbuf_puts(o, "<span class=\"ok\">reachable</span>");
    }
    sl_strbuf_puts(o, "</td></tr>\n</table>\n");

    sl_strbuf_puts(o, "<table class=\"assignment\">\n<tr><th>assigned partition</th><th>lag</th></tr>\n");
    for (int i = 0; i < s->nassigned; i++) {
        sl_strbuf_puts(o, "<tr><td>");
        put_html(o, s->assigned[i].topic);
        sl_strbuf_printf(o, "/%d</td><td class=\"lag\">", s->assigned[i].partition);
        if (s->assigned[i].lag >= 0)
            sl_strbuf_printf(o, "%" PRId64, s->assigned[i].lag);
        else
            sl_strbuf_puts(o, "?");
        sl_strbuf_puts(o, "</td></tr>\n");
    }
    if (!s->nassigned)
        sl_strbuf_puts(o, "<tr><td colspan=\"2\">none</td></tr>\n");
    sl_strbuf_puts(o, "</table>\n<table class=\"tasks\">\n<tr><th>task</th><th>stream time (UTC)</th></tr>\n");
    for (int i = 0; i < s->ntasks; i++) {
        sl_strbuf_printf(o, "<tr><td>%d</td><td>", s->tasks[i].partition);
        if (s->tasks[i].stream_time != INT64_MIN)
            put_time(o, s->tasks[i].stream_time);
        else
            sl_strbuf_puts(o, "no record committed yet");
        sl_strbuf_puts(o, "</td></tr>\n");
    }
    sl_strbuf_puts(o, "</table>\n<table class=\"counts\">\n");
    row_count(o, "records in", s->records_in);
    row_count(o, "records out", s->records_out);
    row_count(o, "batches committed", s->batches_committed);
    row_count(o, "batches aborted", s->batches_aborted);
    row_count(o, "late records dropped", s->late_dropped);
    row_count(o, "changelog records", s->changelog_records);
    row_count(o, "restored records", s->restored_records);
    sl_strbuf_puts(o, "<tr><th>last commit</th><td>");
    if (s->last_commit_ms)
        put_time(o, s->last_commit_ms);
    else
        sl_strbuf_puts(o, "none yet");
    sl_strbuf_puts(o, "</td></tr>\n</table>\n</div>\n</div>\n");
}

static const char *const style =
    "body{font-family:system-ui,sans-serif;margin:1.2em 1.6em;color:#222;background:#fafafa}\n"
    "h1{margin:0 0 .2em;font-size:1.5em}h1 .app{font-weight:normal;color:#555}\n"
    "h2{font-size:1.15em;margin:1.4em 0 .5em}h3{font-size:1em;margin:1em 0 .4em}\n"
    ".badge{display:inline-block;padding:.15em .6em;border-radius:1em;font-size:.9em;margin-right:.4em}\n"
    ".badge.ok{background:#dff3e3;color:#17632a}.badge.bad{background:#fbe0dd;color:#9b1c12}\n"
    ".meta{color:#555;margin:.4em 0 1em}\n"
    ".tiles{display:flex;flex-wrap:wrap;gap:.7em}\n"
    ".tile{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em .9em;min-width:9em}\n"
    ".tile .value{font-size:1.5em;font-weight:600}.tile .label{color:#666;font-size:.82em}\n"
    ".tile.warn .value{color:#b35c00}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:1em;margin-top:1em}\n"
    ".chart{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0;padding:.5em}\n"
    ".chart figcaption{font-size:.9em;color:#333;margin-bottom:.3em}\n"
    ".key{margin-left:.8em;color:#555}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em;"
    "border-radius:2px;vertical-align:middle}\n"
    "svg .grid{stroke:#e4e4e4;stroke-width:1}svg .axis{font-size:11px;fill:#777}\n"
    "table{border-collapse:collapse;margin:0 1.2em .8em 0;vertical-align:top;background:#fff}\n"
    "th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}\n"
    "th{font-weight:600;background:#f3f3f3}td{font-family:ui-monospace,monospace;font-size:.92em}\n"
    "pre.sql{margin:0;white-space:pre-wrap;max-width:60em}\n"
    ".row{display:flex;flex-wrap:wrap;align-items:flex-start}\n"
    ".ok{color:#17632a}.bad{color:#9b1c12}.none{color:#17632a}\n"
    "footer{margin-top:1.5em;color:#666;font-size:.9em}\n";

void sl_http_render_html(const sl_http_view *v, sl_strbuf *o)
{
    sl_strbuf health, readiness;
    sl_strbuf_init(&health);
    sl_strbuf_init(&readiness);
    bool healthy = sl_http_healthy(v, &health);
    bool ready = sl_http_ready(v, &readiness);
    int64_t down_ms = 0;
    for (int w = 0; w < v->nworkers; w++)
        if (v->workers[w].brokers_down_since_ms && v->now_ms - v->workers[w].brokers_down_since_ms > down_ms)
            down_ms = v->now_ms - v->workers[w].brokers_down_since_ms;

    sl_strbuf_puts(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                      "<meta http-equiv=\"refresh\" content=\"2\">\n<title>Sluice: ");
    put_html(o, v->application_id);
    sl_strbuf_printf(o, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n<h1>Sluice <span class=\"app\">",
                     style);
    put_html(o, v->application_id);
    sl_strbuf_printf(o, "</span></h1>\n<div><span id=\"health\" class=\"badge %s\">", healthy ? "ok" : "bad");
    put_html(o, healthy ? "healthy" : health.data);
    sl_strbuf_printf(o, "</span><span id=\"readiness\" class=\"badge %s\">", ready ? "ok" : "bad");
    put_html(o, readiness.data);
    sl_strbuf_printf(o, "</span><span id=\"brokers\" class=\"badge %s\">", down_ms ? "bad" : "ok");
    if (down_ms) {
        sl_strbuf_puts(o, "no broker reachable for ");
        put_duration(o, down_ms / 1000);
    } else {
        sl_strbuf_puts(o, "brokers reachable");
    }
    sl_strbuf_puts(o, "</span></div>\n<p class=\"meta\">instance ");
    put_html(o, v->instance_id);
    sl_strbuf_printf(o, " &middot; version %s &middot; %d worker thread%s", SLUICE_VERSION, v->nworkers,
                     v->nworkers == 1 ? "" : "s");
    if (v->process.ok && v->process.start_time_seconds > 0) {
        sl_strbuf_puts(o, " &middot; <span id=\"uptime\">up ");
        put_duration(o, (int64_t)((double)v->now_ms / 1000.0 - v->process.start_time_seconds));
        sl_strbuf_puts(o, "</span> (since ");
        put_time(o, (int64_t)(v->process.start_time_seconds * 1000));
        sl_strbuf_printf(o, ") &middot; CPU %.1f s", v->process.cpu_seconds);
    }
    sl_strbuf_puts(o, "</p>\n</header>\n");
    sl_strbuf_free(&health);
    sl_strbuf_free(&readiness);

    tiles(o, v);
    memory_line(o, v);
    charts(o, v);
    queries(o, v);
    errors(o, v);
    sl_strbuf_puts(o, "<h2>Consumer group membership</h2>\n");
    for (int w = 0; w < v->nworkers; w++)
        worker(o, v, &v->workers[w]);
    sl_strbuf_puts(o, "<footer>Also: <a href=\"/metrics\">/metrics</a>, <a href=\"/status\">/status</a>, "
                      "<a href=\"/healthz\">/healthz</a>, <a href=\"/readyz\">/readyz</a>. "
                      "This page refreshes every 2 seconds.</footer>\n</body>\n</html>\n");
}
