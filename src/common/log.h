/* Logging: one line per event, "TIME LEVEL component: message", to stderr.
 * The level is process-wide and set once at start-up (before threads). */
#ifndef SL_LOG_H
#define SL_LOG_H

typedef enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR, SL_LOG_OFF } sl_log_level;

void sl_log_set_level(sl_log_level level);
void sl_log(sl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like sl_log, but lines with the same key (e.g. a librdkafka facility, or
 * "processing") are limited to a burst per ten-second window; when a
 * window that dropped lines ends, the next line of that key is preceded
 * by one saying how many were dropped. Thread-safe. The keys are kept in
 * a small cache (a key that falls out of it starts a fresh window), so the
 * number of distinct keys does not matter. */
void sl_log_throttled(const char *key, sl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define sl_debug(comp, ...) sl_log(SL_LOG_DEBUG, comp, __VA_ARGS__)
#define sl_info(comp, ...) sl_log(SL_LOG_INFO, comp, __VA_ARGS__)
#define sl_warn(comp, ...) sl_log(SL_LOG_WARN, comp, __VA_ARGS__)
#define sl_log_error(comp, ...) sl_log(SL_LOG_ERROR, comp, __VA_ARGS__)

#endif
