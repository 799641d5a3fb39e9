/* Each query's statement, for the status page: the queries file is split
 * into statements at the semicolons that are not inside a string, a quoted
 * name or a comment, and each statement that runs a query ("CREATE STREAM|
 * TABLE name ... SELECT", "INSERT INTO name ... SELECT") is matched to the
 * query writing to that name. The compiler keeps no statement text, and
 * this needs none of its machinery: a page that shows a statement a little
 * off is better than one that shows none. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http_pages_int.h"

typedef struct statement {
    char *text;       /* trimmed, comments before it dropped */
    char target[256]; /* the name it writes, as the catalog spells it */
    bool used;
} statement;

static bool word(const char **p, const char *w)
{
    size_t n = strlen(w);
    if (strncasecmp(*p, w, n) || isalnum((unsigned char)(*p)[n]) || (*p)[n] == '_')
        return false;
    *p += n;
    while (isspace((unsigned char)**p))
        (*p)++;
    return true;
}

/* "CREATE [OR REPLACE] STREAM|TABLE name" or "INSERT INTO name": the name
 * (upper-cased unless quoted), or false for any other statement */
static bool target_of(const char *s, char *out, size_t n)
{
    const char *p = s;
    if (word(&p, "CREATE")) {
        if (word(&p, "OR") && !word(&p, "REPLACE"))
            return false;
        if (!word(&p, "STREAM") && !word(&p, "TABLE"))
            return false;
    } else if (!(word(&p, "INSERT") && word(&p, "INTO"))) {
        return false;
    }
    size_t k = 0;
    if (*p == '"' || *p == '`') {
        char q = *p++;
        while (*p && *p != q && k + 1 < n)
            out[k++] = *p++;
    } else {
        while ((isalnum((unsigned char)*p) || *p == '_') && k + 1 < n)
            out[k++] = (char)toupper((unsigned char)*p++);
    }
    out[k] = 0;
    return k > 0;
}

/* the statements of sql that run a query, in order; *n set */
static statement *split(const char *sql, int *n)
{
    statement *v = NULL;
    *n = 0;
    const char *start = sql;
    bool selects = false; /* the word SELECT outside strings and comments */
    for (const char *p = sql; p && *p;) {
        if (*p == '\'' || *p == '"' || *p == '`') {
            char q = *p++;
            while (*p && !(*p == q && p[1] != q))
                p += *p == q ? 2 : 1; /* a doubled quote stands for itself */
            if (*p)
                p++;
            continue;
        }
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
            continue;
        }
        if ((p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) && !strncasecmp(p, "SELECT", 6) &&
            !(isalnum((unsigned char)p[6]) || p[6] == '_'))
            selects = true;
        if (*p != ';') {
            p++;
            continue;
        }
        /* a statement ends: drop the comments and blanks before its first word */
        const char *b = start;
        for (;;) {
            while (b < p && isspace((unsigned char)*b))
                b++;
            if (b + 1 < p && b[0] == '-' && b[1] == '-') {
                while (b < p && *b != '\n')
                    b++;
            } else if (b + 1 < p && b[0] == '/' && b[1] == '*') {
                const char *e = strstr(b + 2, "*/");
                b = e && e < p ? e + 2 : p;
            } else {
                break;
            }
        }
        char target[256];
        size_t len = (size_t)(p - b) + 1;
        char *text = malloc(len + 1);
        if (text) {
            memcpy(text, b, len);
            text[len] = 0;
        }
        statement *grown = text && selects && target_of(text, target, sizeof target)
                               ? realloc(v, (size_t)(*n + 1) * sizeof *v)
                               : NULL;
        if (grown) {
            v = grown;
            v[*n] = (statement){.text = text};
            memcpy(v[*n].target, target, sizeof target);
            (*n)++;
        } else {
            free(text);
        }
        selects = false;
        p++;
        start = p;
    }
    return v;
}

void sl_http_attach_statements(json_t *queries, const char *sql)
{
    int n = 0;
    statement *v = sql ? split(sql, &n) : NULL;
    size_t i;
    json_t *q;
    json_array_foreach(queries, i, q)
    {
        const char *sink = json_string_value(json_object_get(q, "sink_name"));
        if (!sink)
            continue;
        statement *found = NULL;
        for (int k = 0; k < n && !found; k++)
            if (!v[k].used && !strcasecmp(v[k].target, sink))
                found = &v[k];
        if (found) {
            found->used = true;
        } else {
            /* a join of more than two sources runs as steps: a step's sink
             * is "<NAME>_JOIN_STEP_<n>", part of NAME's statement */
            const char *step = strstr(sink, "_JOIN_STEP_");
            for (int k = 0; step && k < n && !found; k++)
                if (strlen(v[k].target) == (size_t)(step - sink) && !strncasecmp(v[k].target, sink, (size_t)(step - sink)))
                    found = &v[k];
        }
        if (found)
            json_object_set_new(q, "sql", json_string(found->text));
    }
    for (int k = 0; k < n; k++)
        free(v[k].text);
    free(v);
}
