/* Logging: one line per event, "TIME LEVEL component: message", to stderr.
 * The level is process-wide and set once at start-up (before threads). */
#ifndef SL_LOG_H
#define SL_LOG_H

typedef enum sl_log_level { SL_LOG_DEBUG, SL_LOG_INFO, SL_LOG_WARN, SL_LOG_ERROR, SL_LOG_OFF } sl_log_level;

void sl_log_set_level(sl_log_level level);
void sl_log(sl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define sl_debug(comp, ...) sl_log(SL_LOG_DEBUG, comp, __VA_ARGS__)
#define sl_info(comp, ...) sl_log(SL_LOG_INFO, comp, __VA_ARGS__)
#define sl_warn(comp, ...) sl_log(SL_LOG_WARN, comp, __VA_ARGS__)
#define sl_log_error(comp, ...) sl_log(SL_LOG_ERROR, comp, __VA_ARGS__)

#endif
