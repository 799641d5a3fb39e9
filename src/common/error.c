/* Error filling. Messages are truncated to the fixed buffer rather than
 * allocated, so reporting an error can never fail itself. */
#include "common/error.h"

#include <stdio.h>
#include <string.h>

sl_err_t sl_error_set(sl_error *err, sl_err_t code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

sl_err_t sl_error_at(sl_error *err, sl_err_t code, const char *file, int line, int col,
                     const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->file = file;
    err->line = line;
    err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void sl_error_clear(sl_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}
