/* Configuration table and properties parsing. The table is the single
 * source of truth for keys, types, defaults and docs (printed by
 * `sluice run --help-config`). Every value, from a file or from `--set`,
 * goes through one path (apply): ksqlDB's names are mapped to Sluice's,
 * unknown keys are refused with a suggestion, and kafka.* names are checked
 * against librdkafka's own table, so a misspelt security setting is an
 * error at start rather than a silent default, named with the nearest
 * property librdkafka does know. Messages never show a secret: a value is
 * one when its key looks like a secret's (common/redact.h) or when it came
 * from an environment variable whose name does, and a line that is not
 * KEY=VALUE is not shown at all (its key cannot be told from its value). */
#include "config/config.h"

#include <ctype.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/redact.h"

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
    {"state.dir", T_STRING, NULL, NULL, "Local state snapshots (a cache: Kafka holds the truth), and this instance's id; one directory per running instance. Default: `/var/lib/sluice` for root (containers), else `$XDG_STATE_HOME/sluice` (`~/.local/state/sluice`)."},
    {"schema.registry.url", T_STRING, "", NULL, "Confluent-compatible schema registry (`http(s)://host:port`): AVRO, JSON_SR and PROTOBUF sink schemas are registered under `<topic>-key`/`<topic>-value`, sources' schemas read. Checked at start: a registry that cannot be reached stops `sluice run` (exit 2)."},
    {"schema.registry.basic.auth.credentials.source", T_ENUM, "USER_INFO", "USER_INFO|URL", "Where the registry's Basic auth credentials come from: `schema.registry.basic.auth.user.info`, or the URL's `user:password@`."},
    {"schema.registry.basic.auth.user.info", T_STRING, "", NULL, "`user:password` for the registry's HTTP Basic auth (never logged)."},
    {"schema.registry.ssl.ca.location", T_STRING, "", NULL, "PEM file of the CA certificates that sign the registry's (default: the system's)."},
    {"schema.registry.ssl.certificate.location", T_STRING, "", NULL, "PEM client certificate, for a registry that asks for one."},
    {"schema.registry.ssl.key.location", T_STRING, "", NULL, "PEM private key of that certificate."},
    {"schema.registry.ssl.key.password", T_STRING, "", NULL, "Passphrase of that key (never logged)."},
    {"schema.registry.ssl.endpoint.identification.algorithm", T_STRING, "https", NULL, "`https` checks that the registry's certificate names its host; empty (or `none`) does not."},
    {"listeners", T_STRING, "http://127.0.0.1:8088", NULL, "Metrics, health and status endpoint (`http://HOST:PORT`; port 0 picks a free one; empty turns it off; `http://0.0.0.0:8088` to serve other hosts, as the Docker image does). See \"Operations\"."},
    {"health.stall.commit.intervals", T_INT, "300", NULL, "`/healthz` fails when a batch has waited this many commit intervals to commit (input is waiting, nothing commits: 30 s at the default interval), or when no broker has been reachable for as long."},
    {"log.level", T_ENUM, "info", "debug|info|warn|error", "Log verbosity."},
    {"transaction.timeout.ms", T_INT, "10000", NULL, "Transaction timeout of the producer."},
    {"startup.timeout.ms", T_INT, "30000", NULL, "Longest wait at start for the brokers to answer (exit 1); Kafka refusing the credentials or the TLS handshake ends it at once (exit 3)."},
    {"memory.prefetch.records", T_INT, "0", NULL, "Records the input consumer fetches ahead of processing, over all its partitions (librdkafka's `queued.min.messages`). 0: twice `batch.max.records`, between 1,000 and 100,000."},
    {"memory.prefetch.kbytes", T_INT, "0", NULL, "Kilobytes the input consumer fetches ahead (`queued.max.messages.kbytes`, which also bounds one fetch response). 0: half a kilobyte per prefetched record, at least 1 MB."},
    {"memory.producer.kbytes", T_INT, "0", NULL, "Kilobytes of output the producer may hold undelivered (`queue.buffering.max.kbytes`); produce waits for deliveries beyond it. 0: 2 kB per `batch.max.records`, between 16 MB and 1 GB."},
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

/* ${VAR} and ${VAR:-default}; an undefined variable without default is an
 * error. *secret is set when a variable named like a secret
 * (KAFKA_PASSWORD) went into the value. */
static char *substitute(const char *v, const char *name, int line, bool *secret, sl_error *err)
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
            if (val && val != def && sl_secret_key(var))
                *secret = true;
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

static bool check_value(const key_def *d, const char *v, bool secret, const char *name, int line, sl_error *err)
{
    const char *shown = secret ? SL_REDACTED : sl_redacted(d->name, v);
    if (d->type == T_INT) {
        char *e;
        long long x = strtoll(v, &e, 10);
        if (!*v || *e || x < 0) {
            sl_error_at(err, SL_ERR_INVALID, name, line, 0, "'%s' must be a non-negative integer, got '%s'", d->name, shown);
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
        sl_error_at(err, SL_ERR_INVALID, name, line, 0, "'%s' must be one of %s, got '%s'", d->name, d->choices, shown);
        return false;
    }
    return true;
}

/* the Sluice key a ksqlDB property stands for, in buf; NULL (with err) when
 * it has no counterpart. ksqlDB users bring their server properties:
 * ksql.service.id is the application, ksql.streams.* are Kafka Streams'
 * settings, whose consumer./producer./admin. prefixes become Sluice's. */
static const char *ksql_name(const char *k, char *buf, size_t cap, const char *name, int line, sl_error *err)
{
    static const struct { const char *ksql, *sluice; } same[] = {
        {"ksql.service.id", "application.id"},
        {"ksql.queries.file", "queries.file"},
        {"ksql.schema.registry.url", "schema.registry.url"},
        {"ksql.streams.bootstrap.servers", "bootstrap.servers"},
        {"ksql.streams.num.stream.threads", "num.stream.threads"},
        {"ksql.streams.commit.interval.ms", "commit.interval.ms"},
        {"ksql.streams.state.dir", "state.dir"},
        {"ksql.streams.processing.guarantee", "processing.guarantee"},
        {"ksql.streams.auto.offset.reset", "kafka.consumer.auto.offset.reset"},
        {"bootstrap.servers", "bootstrap.servers"},
        {NULL, NULL},
    };
    for (int i = 0; same[i].ksql; i++)
        if (!strcmp(k, same[i].ksql))
            return same[i].sluice;
    /* ksqlDB hands ksql.schema.registry.* to its registry client; the
     * settings Sluice's client has keep their names. Java key stores have no
     * counterpart in libcurl: PEM files do the same. */
    if (!strncmp(k, "ksql.schema.registry.", 21)) {
        if (strstr(k, ".truststore.") || strstr(k, ".keystore.")) {
            sl_error_at(err, SL_ERR_INVALID, name, line, 0,
                        "'%s': Java key stores are not read; give PEM files as schema.registry.ssl.ca.location, "
                        "schema.registry.ssl.certificate.location and schema.registry.ssl.key.location",
                        k);
            return NULL;
        }
        snprintf(buf, cap, "%s", k + 5);
        if (find_key(buf))
            return buf;
    }
    static const char *clients[] = {"consumer.", "producer.", "admin."};
    if (!strncmp(k, "ksql.streams.", 13))
        for (int i = 0; i < 3; i++)
            if (!strncmp(k + 13, clients[i], strlen(clients[i]))) {
                snprintf(buf, cap, "kafka.%s", k + 13);
                return buf;
            }
    sl_error_at(err, SL_ERR_INVALID, name, line, 0,
                "'%s' is a ksqlDB server property with no counterpart in Sluice (see `sluice run --help-config`; "
                "librdkafka properties go in as kafka.<name>)",
                k);
    return NULL;
}

/* Levenshtein distance of a and b, or limit + 1 when it is beyond limit */
static int distance_within(const char *a, const char *b, int limit)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 127 || lb > 127 || abs(la - lb) > limit)
        return limit + 1;
    int prev[128], cur[128];
    for (int j = 0; j <= lb; j++)
        prev[j] = j;
    for (int i = 1; i <= la; i++) {
        cur[0] = i;
        int row_min = cur[0];
        for (int j = 1; j <= lb; j++) {
            int sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            int del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (cur[j] < row_min)
                row_min = cur[j];
        }
        if (row_min > limit)
            return limit + 1;
        memcpy(prev, cur, sizeof(int) * (size_t)(lb + 1));
    }
    return prev[lb];
}

/* the property librdkafka knows that is nearest to prop (at most two edits
 * away), from the table it prints of its own properties; false when none */
static bool nearest_kafka_property(const char *prop, char *out, size_t cap)
{
    char *table = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&table, &len);
    if (!f)
        return false;
    rd_kafka_conf_properties_show(f);
    fclose(f);
    int best = 3;
    for (char *line = table, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        /* rows are "name | C/P | range | ...": the name is the first word */
        size_t n = strcspn(line, " |");
        if (!n || n >= 128 || !strchr(line + n, '|') || !islower((unsigned char)line[0]))
            continue;
        line[n] = 0;
        int d = distance_within(prop, line, best - 1);
        if (d < best) {
            best = d;
            snprintf(out, cap, "%s", line);
        }
    }
    free(table);
    return best < 3;
}

/* a kafka.[consumer.|producer.|admin.]<name> key: librdkafka must know <name> */
static bool check_kafka_name(const char *k, const char *v, bool secret, const char *name, int line, sl_error *err)
{
    const char *prop = k + 6;
    static const char *clients[] = {"consumer.", "producer.", "admin."};
    for (int i = 0; i < 3; i++)
        if (!strncmp(prop, clients[i], strlen(clients[i]))) {
            prop += strlen(clients[i]);
            break;
        }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[512];
    rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, prop, v, errstr, sizeof errstr);
    rd_kafka_conf_destroy(conf);
    if (res == RD_KAFKA_CONF_UNKNOWN) {
        char near[128];
        if (nearest_kafka_property(prop, near, sizeof near))
            sl_error_at(err, SL_ERR_INVALID, name, line, 0, "'%s': librdkafka has no property '%s' (did you mean '%s'?)",
                        k, prop, near);
        else
            sl_error_at(err, SL_ERR_INVALID, name, line, 0, "'%s': librdkafka has no property '%s'", k, prop);
        return false;
    }
    if (res == RD_KAFKA_CONF_INVALID) {
        /* librdkafka's message names the property and the accepted values;
         * it repeats the value for enumerations, so a secret's is cut out */
        if (secret || sl_secret_key(k))
            sl_scrub(errstr, sizeof errstr, v);
        sl_error_at(err, SL_ERR_INVALID, name, line, 0, "'%s': %s", k, errstr);
        return false;
    }
    return true;
}

static void unknown_key(const char *k, const char *name, int line, sl_error *err)
{
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
}

/* one key=value, from a file line or --set: mapped, checked, substituted */
static bool apply(sl_config *c, const char *k, const char *v, const char *name, int line, sl_error *err)
{
    char mapped[256];
    if (!strncmp(k, "ksql.", 5) && !(k = ksql_name(k, mapped, sizeof mapped, name, line, err)))
        return false;
    const key_def *d = find_key(k);
    bool kafka = !strncmp(k, "kafka.", 6) && k[6];
    if (!d && !kafka) {
        unknown_key(k, name, line, err);
        return false;
    }
    bool secret = false;
    char *val = substitute(v, name, line, &secret, err);
    if (!val)
        return false;
    bool ok = d ? check_value(d, val, secret, name, line, err) : check_kafka_name(k, val, secret, name, line, err);
    if (ok)
        sl_config_set(c, k, val);
    free(val);
    return ok;
}

sl_config *sl_config_new(void)
{
    return calloc(1, sizeof(sl_config));
}

bool sl_config_apply_line(sl_config *c, const char *text, const char *name, int line, sl_error *err)
{
    char *copy = strdup(text);
    char *t = trim(copy);
    bool ok = true;
    if (*t && *t != '#' && *t != '!') {
        char *eq = strchr(t, '=');
        if (!eq) {
            /* the line is not shown: it may be a secret missing its key */
            sl_error_at(err, SL_ERR_INVALID, name, line, 0, "expected key=value: the line has no '='");
            ok = false;
        } else {
            *eq = 0;
            char *k = trim(t);
            size_t sep = strcspn(k, " \t:");
            if (k[sep]) {
                /* Java's properties files also take "key: value" and "key
                 * value"; here the key ends at '=', so such a line's key
                 * would hold its value: only what precedes the separator
                 * is shown */
                k[sep] = 0;
                sl_error_at(err, SL_ERR_INVALID, name, line, 0,
                            "expected key=value: the key '%s' is followed by a space or ':' (the rest of the line is "
                            "not shown: it may be a secret)",
                            k);
                ok = false;
            } else
                ok = apply(c, k, trim(eq + 1), name, line, err);
        }
    }
    free(copy);
    return ok;
}

bool sl_config_check(const sl_config *c, const char *name, sl_error *err)
{
    if (!find_entry(c, "application.id")) {
        sl_error_at(err, SL_ERR_INVALID, name, 0, 0, "missing required key 'application.id'");
        return false;
    }
    return true;
}

bool sl_config_parse_into(sl_config *c, const char *text, const char *name, sl_error *err)
{
    char *copy = strdup(text);
    int line = 0;
    char *save = NULL;
    bool ok = true;
    for (char *l = copy; l && ok; l = save) {
        save = strchr(l, '\n');
        if (save)
            *save++ = 0;
        ok = sl_config_apply_line(c, l, name, ++line, err);
    }
    free(copy);
    return ok;
}

bool sl_config_load_into(sl_config *c, const char *path, sl_error *err)
{
    char *text = sl_read_file(path, NULL);
    if (!text) {
        sl_error_at(err, SL_ERR_IO, path, 0, 0, "cannot read the configuration file");
        return false;
    }
    bool ok = sl_config_parse_into(c, text, path, err);
    free(text);
    return ok;
}

sl_config *sl_config_parse(const char *text, const char *name, sl_error *err)
{
    sl_config *c = sl_config_new();
    if (!sl_config_parse_into(c, text, name, err) || !sl_config_check(c, name, err)) {
        sl_config_destroy(c);
        return NULL;
    }
    return c;
}

sl_config *sl_config_load(const char *path, sl_error *err)
{
    sl_config *c = sl_config_new();
    if (!sl_config_load_into(c, path, err) || !sl_config_check(c, path, err)) {
        sl_config_destroy(c);
        return NULL;
    }
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

/* state.dir without a setting: /var/lib/sluice where the process may
 * write there (root, as in the image), else the user's state directory */
static const char *default_state_dir(void)
{
    static char dir[1024];
    if (geteuid() == 0)
        return "/var/lib/sluice";
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/sluice", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.local/state/sluice", home);
    else
        snprintf(dir, sizeof dir, "/tmp/sluice-%d", (int)geteuid());
    return dir;
}

const char *sl_config_string(const sl_config *c, const char *k)
{
    entry *e = find_entry(c, k);
    if (e)
        return e->value;
    if (!strcmp(k, "state.dir"))
        return default_state_dir();
    const key_def *d = find_key(k);
    return d ? d->def : NULL;
}

int64_t sl_config_int(const sl_config *c, const char *k)
{
    const char *v = sl_config_string(c, k);
    return v ? strtoll(v, NULL, 10) : 0;
}

static const char *client_prefix[] = {"kafka.consumer.", "kafka.producer.", "kafka.admin."};

static bool is_client_key(const char *k)
{
    for (int i = 0; i < 3; i++)
        if (!strncmp(k, client_prefix[i], strlen(client_prefix[i])))
            return true;
    return false;
}

bool sl_config_kafka_at(const sl_config *c, int i, const char **name, const char **value)
{
    return sl_config_kafka_for(c, SL_KAFKA_ALL, i, name, value);
}

bool sl_config_kafka_for(const sl_config *c, sl_kafka_client client, int i, const char **name, const char **value)
{
    /* kafka.<name> first, then the client's own kafka.<client>.<name>, so
     * that the more specific setting wins when both are given */
    int seen = 0;
    for (int j = 0; j < c->n; j++)
        if (!strncmp(c->items[j].key, "kafka.", 6) && !is_client_key(c->items[j].key) && seen++ == i) {
            *name = c->items[j].key + 6;
            *value = c->items[j].value;
            return true;
        }
    if (client == SL_KAFKA_ALL)
        return false;
    const char *prefix = client_prefix[client];
    size_t pl = strlen(prefix);
    for (int j = 0; j < c->n; j++)
        if (!strncmp(c->items[j].key, prefix, pl) && seen++ == i) {
            *name = c->items[j].key + pl;
            *value = c->items[j].value;
            return true;
        }
    return false;
}

void sl_config_print_docs(FILE *out)
{
    fprintf(out, "| key | default | meaning |\n|---|---|---|\n");
    for (const key_def *d = keys; d->name; d++)
        fprintf(out, "| `%s` | %s | %s |\n", d->name,
                d->def ? (*d->def ? d->def : "(empty)") : !strcmp(d->name, "state.dir") ? "(see meaning)" : "(none)",
                d->doc);
    fprintf(out, "| `kafka.<name>` | | passed to librdkafka as `<name>`, for every client |\n");
    fprintf(out, "| `kafka.consumer.<name>`, `kafka.producer.<name>`, `kafka.admin.<name>` | | passed to that kind of client only (overrides `kafka.<name>`) |\n");
}
