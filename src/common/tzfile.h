/* Time zones read from the system's zoneinfo (RFC 8536 TZif files), without
 * the process environment: glibc converts local time only for the zone in
 * TZ, and setting TZ while librdkafka's threads read the environment is
 * unsafe and serialises every conversion. A zone is parsed once, cached for
 * the life of the process and never changed after, so lookups from any
 * thread need no lock beyond the cache's. */
#ifndef SL_TZFILE_H
#define SL_TZFILE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_tzfile sl_tzfile;

/* The zone of a region name ("Europe/Berlin"), loaded on first use from
 * root (NULL: /usr/share/zoneinfo); NULL when there is no such zone or
 * its file is not a TZif file. Borrowed: zones live until the process ends. */
const sl_tzfile *sl_tzfile_get(const char *root, const char *region);

/* The zone's offset from UTC (seconds, east positive) at the instant t
 * (epoch seconds), and its abbreviation ("CEST"; at most 15 bytes). */
void sl_tzfile_lookup(const sl_tzfile *z, int64_t t, int *offset_sec, char abbr[16]);

#endif
