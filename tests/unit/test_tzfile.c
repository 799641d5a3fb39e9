/* The zoneinfo reader against glibc's own conversion of the same files:
 * for a set of zones with every kind of rule (northern and southern
 * daylight saving, negative DST, half-hour and 45-minute offsets, zones
 * that changed their base offset, none at all), thousands of instants
 * from 1900 to 2100 (past 2037 the footer's POSIX rule decides) and every
 * transition instant with its neighbours give the same offset and
 * abbreviation. glibc needs TZ set for that: fine in a test, not in the
 * service. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/datefmt.h"
#include "common/tzfile.h"

static const char *const ZONES[] = {
    "America/New_York", "Europe/Berlin",    "Australia/Sydney",  "Asia/Kolkata",      "America/Sao_Paulo",
    "Pacific/Chatham",  "Europe/Dublin",    "America/Santiago",  "Asia/Kathmandu",    "Africa/Casablanca",
    "UTC",              "America/St_Johns", "Pacific/Kiritimati", "Europe/Moscow",    "Australia/Lord_Howe",
    "America/Havana",   "Asia/Tehran",      "Pacific/Apia",      "America/Godthab",   "Antarctica/Troll",
};

static void expect_like_glibc(const char *zone, const sl_tzfile *z, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    assert_non_null(localtime_r(&tt, &tm));
    int off;
    char abbr[16];
    sl_tzfile_lookup(z, t, &off, abbr);
    if (off != tm.tm_gmtoff || strcmp(abbr, tm.tm_zone))
        fail_msg("%s at %lld: %d %s, glibc %ld %s", zone, (long long)t, off, abbr, tm.tm_gmtoff, tm.tm_zone);
}

static void agrees_with_glibc(void **state)
{
    uint64_t seed = 20261204;
    for (size_t i = 0; i < sizeof ZONES / sizeof *ZONES; i++) {
        const sl_tzfile *z = sl_tzfile_get(NULL, ZONES[i]);
        if (!z)
            fail_msg("no zone %s", ZONES[i]);
        setenv("TZ", ZONES[i], 1);
        tzset();
        const int64_t from = -2208988800LL, to = 4102444800LL; /* 1900 to 2100 */
        for (int k = 0; k < 5000; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            expect_like_glibc(ZONES[i], z, from + (int64_t)((seed >> 11) % (uint64_t)(to - from)));
        }
        /* around each change of offset, found by bisection year by year */
        for (int64_t y = 1970; y < 2100; y++) {
            int64_t a = (y - 1970) * 31556952LL, b = a + 31556952LL;
            for (int64_t t = a; t < b; t += 3600 * 6) {
                int o1, o2;
                sl_tzfile_lookup(z, t, &o1, NULL);
                sl_tzfile_lookup(z, t + 3600 * 6, &o2, NULL);
                if (o1 == o2)
                    continue;
                int64_t lo = t, hi = t + 3600 * 6;
                while (hi - lo > 1) {
                    int64_t mid = lo + (hi - lo) / 2, om;
                    int o;
                    sl_tzfile_lookup(z, mid, &o, NULL);
                    om = o;
                    if (om == o1)
                        lo = mid;
                    else
                        hi = mid;
                }
                for (int64_t d = -2; d <= 2; d++)
                    expect_like_glibc(ZONES[i], z, hi + d);
            }
        }
    }
    unsetenv("TZ");
    tzset();
}

static void unknown_zones_are_refused(void **state)
{
    assert_null(sl_tzfile_get(NULL, "Mars/Olympus_Mons"));
    int off;
    assert_false(sl_zone_offset("Mars/Olympus_Mons", 0, &off, NULL));
    assert_false(sl_zone_offset("../../etc/passwd", 0, &off, NULL));
    assert_true(sl_zone_offset("Europe/Berlin", 0, &off, NULL));
    assert_int_equal(off, 3600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agrees_with_glibc),
        cmocka_unit_test(unknown_zones_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
