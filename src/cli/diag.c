/* Diagnostics printer shared by run, check and test. */
#include "cli/diag.h"

#include <stdlib.h>
#include <string.h>

void sl_diag_print(FILE *out, const sl_error *err, const char *text)
{
    if (err->file && err->line > 0)
        fprintf(out, "%s:%d:%d: error: %s\n", err->file, err->line, err->col, err->msg);
    else if (err->file)
        fprintf(out, "%s: error: %s\n", err->file, err->msg);
    else
        fprintf(out, "error: %s\n", err->msg);
    if (!text || err->line <= 0)
        return;
    const char *p = text;
    for (int l = 1; l < err->line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return;
    const char *e = strchr(p, '\n');
    int len = e ? (int)(e - p) : (int)strlen(p);
    fprintf(out, "    %.*s\n    ", len, p);
    for (int c = 1; c < err->col && c <= len; c++)
        fputc(p[c - 1] == '\t' ? '\t' : ' ', out);
    fputs("^\n", out);
}

