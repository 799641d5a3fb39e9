/* Date/time patterns as ksqlDB users write them: java.time.DateTimeFormatter
 * pattern letters (yyyy-MM-dd'T'HH:mm:ss.SSSX, hh:mm a, dd-MMM-yyyy, zzz),
 * and time zones by id (America/Los_Angeles), offset (+05:00, +0500) or the
 * common abbreviations (PST, EST, UTC).
 *
 * A pattern is compiled once per call site (literal pattern) or per record
 * (pattern from a column); formatting and parsing then walk its token list.
 * Parsing is case-insensitive and fills in missing fields the way ksqlDB
 * does: 1970-01-01, midnight, UTC unless a zone is given.
 *
 * Zone offsets come from the system's tz database (tzdata) through
 * localtime_r under a mutex: the TZ environment variable is process-wide. */
#ifndef SL_DATEFMT_H
#define SL_DATEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/calendar.h" /* sl_floor_div and the civil dates, which every user of formats needs */
#include "common/strbuf.h"

typedef struct sl_datefmt sl_datefmt;

/* NULL with a message in err (size errlen) when the pattern is invalid */
sl_datefmt *sl_datefmt_compile(const char *pattern, size_t len, sl_arena *arena, char *err, size_t errlen);

/* Appends epoch_ms rendered in zone (NULL = UTC). false if the zone is unknown. */
bool sl_datefmt_format(const sl_datefmt *f, int64_t epoch_ms, const char *zone, sl_strbuf *out);

/* Parses text; a zone or offset in the text wins over zone (NULL = UTC).
 * false with a message when the text does not match. */
bool sl_datefmt_parse(const sl_datefmt *f, const char *text, size_t len, const char *zone, int64_t *epoch_ms,
                      char *err, size_t errlen);

/* Same, but text past what the pattern matches is ignored, as Java's
 * SimpleDateFormat does (ksqlDB's PARSE_DATE). */
bool sl_datefmt_parse_prefix(const sl_datefmt *f, const char *text, size_t len, const char *zone, int64_t *epoch_ms,
                             char *err, size_t errlen);

/* true when the pattern has no date fields (for PARSE_TIME / FORMAT_TIME checks) */
bool sl_datefmt_has_date_fields(const sl_datefmt *f);
bool sl_datefmt_has_time_fields(const sl_datefmt *f);

/* Offset from UTC in seconds of zone at the instant epoch_sec; abbr (may be
 * NULL) receives the short name (PDT). false when the zone is unknown. */
bool sl_zone_offset(const char *zone, int64_t epoch_sec, int *offset_sec, char abbr[16]);
bool sl_zone_valid(const char *zone);


#endif
