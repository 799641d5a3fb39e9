/* Log lines are formatted into one buffer and written with one fputs so
 * that lines from worker threads do not interleave. Throttling keeps an
 * outage or a flood of bad records from burying everything else: a burst
 * per key and window, then a count of what was dropped. */
#include "common/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define THROTTLE_WINDOW_MS 10000
#define THROTTLE_BURST 5
#define THROTTLE_SLOTS 64 /* a cache of keys: an evicted key just starts afresh */

static sl_log_level log_level = SL_LOG_INFO; /* set once before threads start */

void sl_log_set_level(sl_log_level level)
{
    log_level = level;
}

static void vlog(sl_log_level level, const char *component, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

void sl_log(sl_log_level level, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, component, fmt, ap);
    va_end(ap);
}

static void vlog(sl_log_level level, const char *component, const char *fmt, va_list ap)
{
    if (level < log_level)
        return;
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, names[level], component);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    fprintf(stderr, "%s\n", line);
}

static struct throttle_slot {
    char key[64];
    int64_t window_start;
    int printed, dropped;
} slots[THROTTLE_SLOTS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sl_log_throttled(const char *key, sl_log_level level, const char *component, const char *fmt, ...)
{
    if (level < log_level)
        return;
    uint32_t h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    int64_t now = mono_ms();
    int dropped_before = 0;
    bool print;
    pthread_mutex_lock(&throttle_lock);
    struct throttle_slot *s = &slots[h % THROTTLE_SLOTS];
    if (strncmp(s->key, key, sizeof s->key - 1) || now - s->window_start >= THROTTLE_WINDOW_MS) {
        if (!strncmp(s->key, key, sizeof s->key - 1))
            dropped_before = s->dropped;
        snprintf(s->key, sizeof s->key, "%s", key);
        s->window_start = now;
        s->printed = s->dropped = 0;
    }
    print = s->printed < THROTTLE_BURST;
    if (print)
        s->printed++;
    else
        s->dropped++;
    pthread_mutex_unlock(&throttle_lock);
    if (dropped_before)
        sl_log(level, component, "(%d more line(s) like the next were dropped in the last %d s)", dropped_before,
               THROTTLE_WINDOW_MS / 1000);
    if (!print)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, component, fmt, ap);
    va_end(ap);
}
