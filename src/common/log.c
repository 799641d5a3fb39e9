/* Log lines are formatted into one buffer and written with one fputs so
 * that lines from worker threads do not interleave. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static sl_log_level log_level = SL_LOG_INFO; /* set once before threads start */

void sl_log_set_level(sl_log_level level)
{
    log_level = level;
}

void sl_log(sl_log_level level, const char *component, const char *fmt, ...)
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
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
