/* Configuration table and properties parsing. The table is the single
 * source of truth for keys, types, defaults and docs (printed by
 * `sluice run --help-config`). */
#include "config/config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/fileio.h"

typedef enum { T_STRING, T_INT, T_ENUM } key_type;

typedef struct key_def {
    const char *name;
    key_type type;
    const char *def; /* NULL: no default */
    const char *choices; /* T_ENUM: "a|b" */
    const char *doc;
} key_def;

static const key_def keys[] = {
    {"application.id", T_STRING, NULL, NULL, "Consumer group, prefix of internal topics and transactional ids (required)."},
    {"bootstrap.servers", T_STRING, "localhost:9092", NULL, "Kafka brokers."},
    {"queries.file", T_STRING, NULL, NULL, "The statements to run (or -q)."},
    {"processing.guarantee", T_ENUM, "exactly_once_v2", "exactly_once_v2|at_least_once", "Delivery guarantee."},
    {"commit.interval.ms", T_INT, "100", NULL, "Longest a micro-batch stays open."},
    {"batch.max.records", T_INT, "10000", NULL, "Most records in one micro-batch."},
    {"num.stream.threads", T_INT, "1", NULL, "Worker threads in this process, each a member of the consumer group with its own transactional producer."},
    {"state.dir", T_STRING, "/var/lib/sluice", NULL, "Local state snapshots (a cache: Kafka holds the truth), and this instance's id; one directory per running instance."},
    {"schema.registry.url", T_STRING, "", NULL, "Confluent-compatible schema registry (AVRO schemas are registered and read; JSON_SR and PROTOBUF schemas are read)."},
    {"listeners", T_STRING, "http://0.0.0.0:8088", NULL, "Metrics, health and status endpoint (`http://HOST:PORT`; port 0 picks a free one; empty turns it off). See \"Operations\"."},
    {"log.level", T_ENUM, "info", "debug|info|warn|error", "Log verbosity."},
    {"transaction.timeout.ms", T_INT, "10000", NULL, "Transaction timeout of the producer."},
    {NULL, T_STRING, NULL, NULL, NULL},
};

typedef struct entry {
    char *key, *value;
} entry;

struct sl_config {
    entry *items;
    int n, cap;
};

static const key_def *find_key(const char *k)
{
    for (const key_def *d = keys; d->name; d++)
        if (!strcmp(d->name, k))
            return d;
    return NULL;
}

static entry *find_entry(const sl_config *c, const char *k)
{
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->items[i].key, k))
            return &c->items[i];
    return NULL;
}

void sl_config_set(sl_config *c, const char *k, const char *v)
{
    entry *e = find_entry(c, k);
    if (e) {
        free(e->value);
        e->value = strdup(v);
        return;
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->items = realloc(c->items, (size_t)c->cap * sizeof *c->items);
    }
    c->items[c->n].key = strdup(k);
    c->items[c->n].value = strdup(v);
    c->n++;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = 0;
    return s;
}

/* ${VAR} and ${VAR:-default}; an undefined variable without default is an error */
static char *substitute(const char *v, const char *name, int line, sl_error *err)
{
    size_t cap = strlen(v) + 64, n = 0;
    char *out = malloc(cap);
    for (const char *p = v; *p;) {
        if (p[0] == '$' && p[1] == '{') {
            const char *end = strchr(p, '}');
            if (!end) {
                free(out);
                sl_error_at(err, SL_ERR_INVALID, name, line, (int)(p - v) + 1, "unterminated ${ in value");
                return NULL;
            }
            char var[256];
            size_t vl = (size_t)(end - p - 2);
            if (vl >= sizeof var)
                vl = sizeof var - 1;
            memcpy(var, p + 2, vl);
            var[vl] = 0;
            const char *def = NULL;
            char *sep = strstr(var, ":-");
            if (sep) {
                *sep = 0;
                def = sep + 2;
            }
            const char *val = getenv(var);
            if (!val || (!*val && def))
                val = def;
            if (!val) {
                free(out);
                sl_error_at(err, SL_ERR_INVALID, name, line, 0, "environment variable '%s' is not set", var);
                return NULL;
            }
            size_t l = strlen(val);
            if (n + l + 1 > cap) {
                cap = (n + l + 1) * 2;
                out = realloc(out, cap);
            }
            memcpy(out + n, val, l);
            n += l;
            p = end + 1;
            continue;
        }
        if (n + 2 > cap) {
            cap *= 2;
            out = realloc(out, cap);
        }
        out[n++] = *p++;
    }
    out[n] = 0;
    return out;
}

static bool check_value(const key_def *d, const char *v, const char *name, int line, sl_error *err)
{
    if (d->type == T_INT) {
        char *e;
        long long x = strtoll(v, &e, 10);
        if (!*v || *e || x < 0) {
            sl_error_at(err, SL_ERR_INVALID, name, line, 0, "'%s' must be a non-negative integer, got '%s'", d->name, v);
            return false;
        }
    } else if (d->type == T_ENUM) {
        const char *c = d->choices;
        size_t vl = strlen(v);
        while (c && *c) {
            const char *bar = strchr(c, '|');
            size_t cl = bar ? (size_t)(bar - c) : strlen(c);
            if (cl == vl && !strncmp(c, v, vl))
                return true;
            c = bar ? bar + 1 : NULL;
        }
        sl_error_at(err, SL_ERR_INVALID, name, line, 0, "'%s' must be one of %s, got '%s'", d->name, d->choices, v);
        return false;
    }
    return true;
}

sl_config *sl_config_parse(const char *text, const char *name, sl_error *err)
{
    sl_config *c = calloc(1, sizeof *c);
    char *copy = strdup(text);
    int line = 0;
    char *save = NULL;
    for (char *l = copy; l; l = save) {
        save = strchr(l, '\n');
        if (save)
            *save++ = 0;
        line++;
        char *t = trim(l);
        if (!*t || *t == '#' || *t == '!')
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            sl_error_at(err, SL_ERR_INVALID, name, line, 0, "expected key=value, got '%s'", t);
            goto fail;
        }
        *eq = 0;
        char *k = trim(t), *v = trim(eq + 1);
        const key_def *d = find_key(k);
        if (!d && strncmp(k, "kafka.", 6)) {
            /* suggest the key that differs least by prefix */
            const char *best = NULL;
            size_t bl = 0;
            for (const key_def *x = keys; x->name; x++) {
                size_t m = 0;
                while (x->name[m] && x->name[m] == k[m])
                    m++;
                if (m > bl) {
                    bl = m;
                    best = x->name;
                }
            }
            if (best && bl >= 3)
                sl_error_at(err, SL_ERR_INVALID, name, line, 0, "unknown configuration key '%s' (did you mean '%s'?)", k, best);
            else
                sl_error_at(err, SL_ERR_INVALID, name, line, 0, "unknown configuration key '%s'", k);
            goto fail;
        }
        char *val = substitute(v, name, line, err);
        if (!val)
            goto fail;
        if (d && !check_value(d, val, name, line, err)) {
            free(val);
            goto fail;
        }
        sl_config_set(c, k, val);
        free(val);
    }
    free(copy);
    if (!find_entry(c, "application.id")) {
        sl_error_at(err, SL_ERR_INVALID, name, 0, 0, "missing required key 'application.id'");
        sl_config_destroy(c);
        return NULL;
    }
    return c;
fail:
    free(copy);
    sl_config_destroy(c);
    return NULL;
}

sl_config *sl_config_load(const char *path, sl_error *err)
{
    char *text = sl_read_file(path, NULL);
    if (!text) {
        sl_error_at(err, SL_ERR_IO, path, 0, 0, "cannot read the configuration file");
        return NULL;
    }
    sl_config *c = sl_config_parse(text, path, err);
    free(text);
    return c;
}

void sl_config_destroy(sl_config *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->n; i++) {
        free(c->items[i].key);
        free(c->items[i].value);
    }
    free(c->items);
    free(c);
}

const char *sl_config_string(const sl_config *c, const char *k)
{
    entry *e = find_entry(c, k);
    if (e)
        return e->value;
    const key_def *d = find_key(k);
    return d ? d->def : NULL;
}

int64_t sl_config_int(const sl_config *c, const char *k)
{
    const char *v = sl_config_string(c, k);
    return v ? strtoll(v, NULL, 10) : 0;
}

bool sl_config_kafka_at(const sl_config *c, int i, const char **name, const char **value)
{
    int seen = 0;
    for (int j = 0; j < c->n; j++)
        if (!strncmp(c->items[j].key, "kafka.", 6) && seen++ == i) {
            *name = c->items[j].key + 6;
            *value = c->items[j].value;
            return true;
        }
    return false;
}

void sl_config_print_docs(FILE *out)
{
    fprintf(out, "| key | default | meaning |\n|---|---|---|\n");
    for (const key_def *d = keys; d->name; d++)
        fprintf(out, "| `%s` | %s | %s |\n", d->name, d->def ? (*d->def ? d->def : "(empty)") : "(none)", d->doc);
    fprintf(out, "| `kafka.<name>` | | passed to librdkafka as `<name>` |\n");
}
