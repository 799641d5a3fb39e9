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

char *sl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n + 1 == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}
