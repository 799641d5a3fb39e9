/* Errors. Every fallible function returns sl_err_t (SL_OK is 0). Functions
 * that parse user input also fill an sl_error naming the place (file:line:col
 * or a config key) so that the CLI can print it exactly once, where it is
 * caught. The codes map onto the CLI exit codes of `sluice test`. */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stdarg.h>
#include <stddef.h>

typedef enum sl_err {
    SL_OK = 0,
    SL_ERR_INVALID = 2,     /* a statement or config was rejected */
    SL_ERR_RUNTIME = 3,     /* processing failed at run time */
    SL_ERR_UNSUPPORTED = 4, /* valid ksqlDB that Sluice does not support yet */
    SL_ERR_IO = 5,          /* file or network */
    SL_ERR_NOMEM = 6,
    SL_ERR_KAFKA = 7,
} sl_err_t;

typedef struct sl_error {
    sl_err_t code;
    const char *file; /* borrowed; may be NULL */
    int line, col;    /* 1-based; 0 when unknown */
    char msg[512];
} sl_error;

/* Fills err (if non-NULL) and returns code. printf-style message. */
sl_err_t sl_error_set(sl_error *err, sl_err_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
sl_err_t sl_error_at(sl_error *err, sl_err_t code, const char *file, int line, int col,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void sl_error_clear(sl_error *err);
/* An empty error, cheaper than `= {0}` (which clears the whole message
 * buffer): for the per-record paths */
static inline void sl_error_init(sl_error *err)
{
    err->code = SL_OK;
    err->file = NULL;
    err->line = err->col = 0;
    err->msg[0] = 0;
}

#endif
