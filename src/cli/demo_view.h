/* What `sluice demo` shows: one panel per query result topic, each with
 * the caption its query has in the demo's SQL and the last few records the
 * query wrote. On a terminal the screen is redrawn in place (a header with
 * the counts, then the panels as small tables); otherwise every record is
 * one plain line, "TOPIC  KEY -> VALUE", that a test or a pipe can read.
 *
 * Single-threaded: the demo's printer thread owns the view. */
#ifndef SL_DEMO_VIEW_H
#define SL_DEMO_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct sl_demo_view sl_demo_view;

/* live: redraw a screen on out (a terminal) instead of printing lines.
 * Caller owns the view. */
sl_demo_view *sl_demo_view_new(FILE *out, bool live);
void sl_demo_view_destroy(sl_demo_view *v);

/* A panel for a result topic, in screen order; caption may be NULL.
 * Copied. */
void sl_demo_view_add_panel(sl_demo_view *v, const char *topic, const char *caption);

/* A record read from a result topic (one without a panel is ignored). In
 * plain mode it is printed at once. A windowed key (the query's key with
 * its window start appended, as ksqlDB writes it) is shown without the
 * window bytes when the value carries WINDOW_START. */
void sl_demo_view_record(sl_demo_view *v, const char *topic, const void *key, size_t klen, const void *value,
                         size_t vlen);

/* Live mode: redraws the screen (plain mode: nothing). status is the
 * header's second line: elapsed time, counts, how to stop. */
void sl_demo_view_draw(sl_demo_view *v, const char *status);

/* Records shown so far, over every panel. */
int64_t sl_demo_view_count(const sl_demo_view *v);

/* Extracts each "CREATE STREAM|TABLE name ... AS SELECT" statement's
 * caption from sql: the run of "--" comment lines right above it. Calls
 * fn(ctx, NAME, caption) with the name upper-cased as ksqlDB does (quoted
 * names as written). */
typedef void (*sl_demo_caption_fn)(void *ctx, const char *name, const char *caption);
void sl_demo_captions(const char *sql, sl_demo_caption_fn fn, void *ctx);

#endif
