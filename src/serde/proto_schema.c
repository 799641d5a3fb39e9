/* The .proto reader (see proto_schema.h). A tokenizer with line:col, a
 * recursive-descent parser over the declarations that shape data (message,
 * enum, field, oneof, map, import, package), and a pass that resolves each
 * field's type name by protobuf's scoping rules: innermost scope first, a
 * leading dot for a fully qualified name. Statements it does not need
 * (option, reserved, extensions, extend, service) are skipped whole. Imports
 * are parsed into the same table of types, so a message may use a type of
 * the file it imports. Depth and counts are bounded. */
#include "serde/proto_schema.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"

#define MAX_NESTING SL_PROTO_MAX_DEPTH
#define MAX_PATH (SL_PROTO_MAX_DEPTH + 2)
#define MAX_IMPORTS 32

typedef enum { TK_END, TK_IDENT, TK_NUMBER, TK_STRING, TK_PUNCT } tk_kind;

typedef struct token {
    tk_kind kind;
    const char *text; /* arena copy; for strings, the unquoted content */
    int line, col;
} token;

/* all named types of every parsed file, for resolution */
typedef struct type_table {
    int n, cap;
    const char **names;
    sl_proto_message **messages; /* one of these two is set */
    sl_proto_enum **enums;
} type_table;

typedef struct parser {
    const char *p;
    int line, col;
    token tok;
    sl_arena *a;
    sl_error *err;
    bool failed;
    type_table *types;
    sl_proto_import_fn imports;
    void *ud;
    int import_depth;
    const char *package;
} parser;

static bool fail(parser *ps, int line, int col, const char *fmt, const char *arg)
{
    if (!ps->failed) {
        char m[300];
        snprintf(m, sizeof m, fmt, arg ? arg : "");
        sl_error_set(ps->err, SL_ERR_INVALID, "PROTOBUF schema %d:%d: %s", line, col, m);
    }
    ps->failed = true;
    return false;
}

/* ---------- tokens ---------- */

static void advance_char(parser *ps)
{
    if (*ps->p == '\n') {
        ps->line++;
        ps->col = 1;
    } else {
        ps->col++;
    }
    ps->p++;
}

static bool next(parser *ps)
{
    for (;;) {
        while (*ps->p && isspace((unsigned char)*ps->p))
            advance_char(ps);
        if (ps->p[0] == '/' && ps->p[1] == '/') {
            while (*ps->p && *ps->p != '\n')
                advance_char(ps);
        } else if (ps->p[0] == '/' && ps->p[1] == '*') {
            int l = ps->line, c = ps->col;
            advance_char(ps);
            advance_char(ps);
            while (*ps->p && !(ps->p[0] == '*' && ps->p[1] == '/'))
                advance_char(ps);
            if (!*ps->p)
                return fail(ps, l, c, "unterminated comment%s", NULL);
            advance_char(ps);
            advance_char(ps);
        } else {
            break;
        }
    }
    token *t = &ps->tok;
    t->line = ps->line;
    t->col = ps->col;
    const char *start = ps->p;
    unsigned char ch = (unsigned char)*ps->p;
    if (!ch) {
        t->kind = TK_END;
        t->text = "end of text";
        return true;
    }
    if (isalpha(ch) || ch == '_' || ch == '.') {
        /* a dotted name is one token: .pkg.Outer.Inner */
        while (isalnum((unsigned char)*ps->p) || *ps->p == '_' || *ps->p == '.')
            advance_char(ps);
        t->kind = TK_IDENT;
    } else if (isdigit(ch) || ((ch == '-' || ch == '+') && isdigit((unsigned char)ps->p[1]))) {
        advance_char(ps);
        while (isalnum((unsigned char)*ps->p) || *ps->p == '.' || *ps->p == '_')
            advance_char(ps);
        t->kind = TK_NUMBER;
    } else if (ch == '"' || ch == '\'') {
        advance_char(ps);
        const char *body = ps->p;
        while (*ps->p && *ps->p != (char)ch && *ps->p != '\n') {
            if (*ps->p == '\\' && ps->p[1])
                advance_char(ps);
            advance_char(ps);
        }
        if (*ps->p != (char)ch)
            return fail(ps, t->line, t->col, "unterminated string%s", NULL);
        t->kind = TK_STRING;
        t->text = sl_arena_strndup(ps->a, body, (size_t)(ps->p - body));
        advance_char(ps);
        return true;
    } else {
        advance_char(ps);
        t->kind = TK_PUNCT;
    }
    t->text = sl_arena_strndup(ps->a, start, (size_t)(ps->p - start));
    return true;
}

static bool is(parser *ps, const char *text)
{
    return ps->tok.kind != TK_END && ps->tok.kind != TK_STRING && !strcmp(ps->tok.text, text);
}

static bool expect(parser *ps, const char *text)
{
    if (!is(ps, text)) {
        char m[200];
        snprintf(m, sizeof m, "expected '%s', found '%.60s'", text, ps->tok.text);
        return fail(ps, ps->tok.line, ps->tok.col, "%s", m);
    }
    return next(ps);
}

static const char *ident(parser *ps, const char *what)
{
    if (ps->tok.kind != TK_IDENT) {
        char m[200];
        snprintf(m, sizeof m, "expected %s, found '%.60s'", what, ps->tok.text);
        fail(ps, ps->tok.line, ps->tok.col, "%s", m);
        return NULL;
    }
    const char *s = ps->tok.text;
    return next(ps) ? s : NULL;
}

static bool integer(parser *ps, long *out)
{
    char *end;
    long v = ps->tok.kind == TK_NUMBER ? strtol(ps->tok.text, &end, 0) : 0;
    if (ps->tok.kind != TK_NUMBER || *end)
        return fail(ps, ps->tok.line, ps->tok.col, "expected a number, found '%.60s'", ps->tok.text);
    *out = v;
    return next(ps);
}

/* a statement not needed: up to its ';' or through its { } block */
static bool skip_statement(parser *ps)
{
    int depth = 0;
    int l = ps->tok.line, c = ps->tok.col;
    while (!ps->failed) {
        if (ps->tok.kind == TK_END)
            return fail(ps, l, c, "statement not terminated%s", NULL);
        if (is(ps, "{"))
            depth++;
        else if (is(ps, "}")) {
            if (--depth <= 0)
                return next(ps);
        } else if (is(ps, ";") && depth == 0)
            return next(ps);
        if (!next(ps))
            return false;
    }
    return false;
}

/* ---------- the type table ---------- */

static void add_type(parser *ps, const char *full, sl_proto_message *m, sl_proto_enum *e)
{
    type_table *t = ps->types;
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 16;
        const char **names = sl_arena_calloc(ps->a, (size_t)cap, sizeof *names);
        sl_proto_message **ms = sl_arena_calloc(ps->a, (size_t)cap, sizeof *ms);
        sl_proto_enum **es = sl_arena_calloc(ps->a, (size_t)cap, sizeof *es);
        if (t->n) {
            memcpy(names, t->names, (size_t)t->n * sizeof *names);
            memcpy(ms, t->messages, (size_t)t->n * sizeof *ms);
            memcpy(es, t->enums, (size_t)t->n * sizeof *es);
        }
        t->names = names;
        t->messages = ms;
        t->enums = es;
        t->cap = cap;
    }
    t->names[t->n] = full;
    t->messages[t->n] = m;
    t->enums[t->n] = e;
    t->n++;
}

static const char *qualify(parser *ps, const char *scope, const char *name)
{
    return *scope ? sl_arena_sprintf(ps->a, "%s.%s", scope, name) : sl_arena_strdup(ps->a, name);
}

/* ---------- declarations ---------- */

static const struct {
    const char *name;
    sl_proto_kind kind;
} scalars[] = {
    {"double", SL_PB_DOUBLE},     {"float", SL_PB_FLOAT},       {"int32", SL_PB_INT32},
    {"int64", SL_PB_INT64},       {"uint32", SL_PB_UINT32},     {"uint64", SL_PB_UINT64},
    {"sint32", SL_PB_SINT32},     {"sint64", SL_PB_SINT64},     {"fixed32", SL_PB_FIXED32},
    {"fixed64", SL_PB_FIXED64},   {"sfixed32", SL_PB_SFIXED32}, {"sfixed64", SL_PB_SFIXED64},
    {"bool", SL_PB_BOOL},         {"string", SL_PB_STRING},     {"bytes", SL_PB_BYTES},
};

static void set_type(sl_proto_field *f, const char *type_name)
{
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++)
        if (!strcmp(scalars[i].name, type_name)) {
            f->kind = scalars[i].kind;
            return;
        }
    f->kind = SL_PB_MESSAGE; /* or ENUM: settled when resolved */
    f->type_name = type_name;
}

/* field options [ ... ]: skipped, keeping a Decimal's precision and scale
 * from confluent.field_meta's params { key: "precision", value: "4" } */
static bool field_options(parser *ps, sl_proto_field *f)
{
    if (!is(ps, "["))
        return true;
    int depth = 0;
    const char *key = NULL, *value = NULL;
    const char *last_label = NULL;
    while (!ps->failed) {
        if (ps->tok.kind == TK_END)
            return fail(ps, f->line, f->col, "field options not closed%s", NULL);
        if (is(ps, "[") || is(ps, "{"))
            depth++;
        else if (is(ps, "]") || is(ps, "}")) {
            key = value = NULL;
            if (--depth == 0)
                return next(ps);
        } else if (ps->tok.kind == TK_IDENT)
            last_label = ps->tok.text;
        else if (ps->tok.kind == TK_STRING && last_label) {
            if (!strcmp(last_label, "key"))
                key = ps->tok.text;
            else if (!strcmp(last_label, "value"))
                value = ps->tok.text;
            if (key && value) {
                if (!strcmp(key, "precision"))
                    f->decimal_precision = atoi(value);
                else if (!strcmp(key, "scale"))
                    f->decimal_scale = atoi(value);
                key = value = NULL;
            }
        }
        if (!next(ps))
            return false;
    }
    return false;
}

typedef struct msg_builder {
    sl_proto_message *m;
    int cap_fields, cap_nested, cap_enums;
    int noneofs;
} msg_builder;

static sl_proto_field *new_field(parser *ps, msg_builder *b)
{
    sl_proto_message *m = b->m;
    if (m->nfields == b->cap_fields) {
        b->cap_fields = b->cap_fields ? b->cap_fields * 2 : 8;
        sl_proto_field *fs = sl_arena_calloc(ps->a, (size_t)b->cap_fields, sizeof *fs);
        if (m->nfields)
            memcpy(fs, m->fields, (size_t)m->nfields * sizeof *fs);
        m->fields = fs;
    }
    sl_proto_field *f = &m->fields[m->nfields++];
    memset(f, 0, sizeof *f);
    f->line = ps->tok.line;
    f->col = ps->tok.col;
    return f;
}

static void add_nested(parser *ps, msg_builder *b, sl_proto_message *n)
{
    sl_proto_message *m = b->m;
    if (m->nnested == b->cap_nested) {
        b->cap_nested = b->cap_nested ? b->cap_nested * 2 : 4;
        sl_proto_message **ns = sl_arena_calloc(ps->a, (size_t)b->cap_nested, sizeof *ns);
        if (m->nnested)
            memcpy(ns, m->nested, (size_t)m->nnested * sizeof *ns);
        m->nested = ns;
    }
    m->nested[m->nnested++] = n;
}

static void add_enum(parser *ps, sl_proto_enum ***list, int *n, int *cap, sl_proto_enum *e)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        sl_proto_enum **es = sl_arena_calloc(ps->a, (size_t)*cap, sizeof *es);
        if (*n)
            memcpy(es, *list, (size_t)*n * sizeof *es);
        *list = es;
    }
    (*list)[(*n)++] = e;
}

/* the rest of a field after its label: type name = number [options]; */
static bool field_rest(parser *ps, msg_builder *b, bool repeated)
{
    sl_proto_field *f = new_field(ps, b);
    f->repeated = repeated;
    const char *type = ident(ps, "a field type");
    const char *name = type ? ident(ps, "a field name") : NULL;
    long number = 0;
    if (!name || !expect(ps, "=") || !integer(ps, &number))
        return false;
    if (number < 1 || number > 536870911)
        return fail(ps, f->line, f->col, "field number of '%s' out of range", name);
    f->name = name;
    f->number = (int)number;
    set_type(f, type);
    return field_options(ps, f) && expect(ps, ";");
}

static sl_proto_message *message(parser *ps, const char *scope, int depth, int *path, int path_len);

/* map<K, V> name = n;: a repeated entry message nested in b's */
static bool map_field(parser *ps, msg_builder *b, int depth, int *path, int path_len)
{
    int l = ps->tok.line, c = ps->tok.col;
    if (!expect(ps, "map") || !expect(ps, "<"))
        return false;
    const char *kt = ident(ps, "a map key type");
    if (!kt || !expect(ps, ","))
        return false;
    const char *vt = ident(ps, "a map value type");
    if (!vt || !expect(ps, ">"))
        return false;
    const char *name = ident(ps, "a field name");
    long number = 0;
    if (!name || !expect(ps, "=") || !integer(ps, &number))
        return false;
    if (number < 1 || number > 536870911)
        return fail(ps, l, c, "field number of '%s' out of range", name);
    if (depth >= MAX_NESTING)
        return fail(ps, l, c, "messages nested too deeply%s", NULL);
    sl_proto_message *e = sl_arena_calloc(ps->a, 1, sizeof *e);
    char entry[300];
    snprintf(entry, sizeof entry, "%c%sEntry", toupper((unsigned char)name[0]), name + 1);
    e->name = sl_arena_strdup(ps->a, entry);
    e->full_name = qualify(ps, b->m->full_name, e->name);
    e->map_entry = true;
    e->nfields = 2;
    sl_proto_field *kv = sl_arena_calloc(ps->a, 2, sizeof *kv);
    kv[0] = (sl_proto_field){.name = "key", .number = 1, .line = l, .col = c};
    kv[1] = (sl_proto_field){.name = "value", .number = 2, .line = l, .col = c};
    set_type(&kv[0], kt);
    set_type(&kv[1], vt);
    e->fields = kv;
    e->index_depth = path_len + 1 <= MAX_PATH ? path_len + 1 : MAX_PATH;
    memcpy(e->index_path, path, (size_t)(e->index_depth - 1) * sizeof *path);
    e->index_path[e->index_depth - 1] = b->m->nnested;
    add_nested(ps, b, e);
    add_type(ps, e->full_name, e, NULL);
    sl_proto_field *f = new_field(ps, b);
    f->line = l;
    f->col = c;
    f->name = name;
    f->number = (int)number;
    f->repeated = true;
    f->kind = SL_PB_MESSAGE;
    f->type_name = e->full_name;
    f->message = e;
    return field_options(ps, f) && expect(ps, ";");
}

/* appends one value to an enum being read (text or descriptor), growing
 * its arrays in the parser's arena */
static void add_enum_value(parser *ps, sl_proto_enum *e, const char ***names, int **numbers, int *cap,
                           const char *name, int number)
{
    if (e->nvalues == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        const char **nn = sl_arena_calloc(ps->a, (size_t)*cap, sizeof *nn);
        int *nu = sl_arena_calloc(ps->a, (size_t)*cap, sizeof *nu);
        if (e->nvalues) {
            memcpy(nn, *names, (size_t)e->nvalues * sizeof *nn);
            memcpy(nu, *numbers, (size_t)e->nvalues * sizeof *nu);
        }
        *names = nn;
        *numbers = nu;
    }
    (*names)[e->nvalues] = name;
    (*numbers)[e->nvalues] = number;
    e->nvalues++;
}

static sl_proto_enum *enumeration(parser *ps, const char *scope)
{
    if (!expect(ps, "enum"))
        return NULL;
    const char *name = ident(ps, "an enum name");
    if (!name || !expect(ps, "{"))
        return NULL;
    sl_proto_enum *e = sl_arena_calloc(ps->a, 1, sizeof *e);
    e->name = name;
    e->full_name = qualify(ps, scope, name);
    int cap = 0;
    const char **names = NULL;
    int *numbers = NULL;
    while (!ps->failed && !is(ps, "}")) {
        if (ps->tok.kind == TK_END) {
            fail(ps, ps->tok.line, ps->tok.col, "enum '%s' not closed", name);
            return NULL;
        }
        if (is(ps, ";")) {
            next(ps);
            continue;
        }
        if (is(ps, "option") || is(ps, "reserved")) {
            skip_statement(ps);
            continue;
        }
        const char *vname = ident(ps, "an enum value name");
        long number = 0;
        if (!vname || !expect(ps, "=") || !integer(ps, &number))
            return NULL;
        sl_proto_field scratch = {.line = ps->tok.line, .col = ps->tok.col};
        if (!field_options(ps, &scratch) || !expect(ps, ";"))
            return NULL;
        add_enum_value(ps, e, &names, &numbers, &cap, vname, (int)number);
    }
    if (ps->failed || !expect(ps, "}"))
        return NULL;
    if (!e->nvalues) {
        fail(ps, ps->tok.line, ps->tok.col, "enum '%s' has no values", name);
        return NULL;
    }
    e->value_names = names;
    e->value_numbers = numbers;
    add_type(ps, e->full_name, NULL, e);
    return e;
}

/* a message body's declarations up to its '}' (oneof bodies too) */
static bool message_body(parser *ps, msg_builder *b, int depth, int *path, int path_len, int *enum_cap,
                         bool in_oneof)
{
    while (!ps->failed && !is(ps, "}")) {
        if (ps->tok.kind == TK_END)
            return fail(ps, ps->tok.line, ps->tok.col, "message '%s' not closed", b->m->name);
        if (is(ps, ";")) {
            next(ps);
        } else if (!in_oneof && is(ps, "message")) {
            if (path_len >= MAX_PATH)
                return fail(ps, ps->tok.line, ps->tok.col, "messages nested too deeply%s", NULL);
            int sub[MAX_PATH];
            memcpy(sub, path, (size_t)path_len * sizeof *path);
            sub[path_len] = b->m->nnested;
            sl_proto_message *n = message(ps, b->m->full_name, depth + 1, sub, path_len + 1);
            if (!n)
                return false;
            add_nested(ps, b, n);
        } else if (!in_oneof && is(ps, "enum")) {
            sl_proto_enum *e = enumeration(ps, b->m->full_name);
            if (!e)
                return false;
            add_enum(ps, &b->m->enums, &b->m->nenums, enum_cap, e);
        } else if (!in_oneof && is(ps, "oneof")) {
            /* its fields gather in a message of their own, standing in
             * the holder's fields where the oneof is */
            sl_proto_field *f = new_field(ps, b);
            next(ps);
            const char *name = ident(ps, "a oneof name");
            if (!name || !expect(ps, "{"))
                return false;
            sl_proto_message *o = sl_arena_calloc(ps->a, 1, sizeof *o);
            o->name = sl_arena_sprintf(ps->a, "%s_%d", name, b->noneofs++);
            o->full_name = qualify(ps, b->m->full_name, o->name);
            o->inline_oneof = true;
            f->name = o->name;
            f->kind = SL_PB_MESSAGE;
            f->message = o;
            msg_builder ob = {.m = o};
            if (!message_body(ps, &ob, depth, path, path_len, enum_cap, true) || !expect(ps, "}"))
                return false;
            if (!o->nfields)
                return fail(ps, f->line, f->col, "oneof '%s' has no fields", name);
        } else if (is(ps, "option") || is(ps, "reserved") || is(ps, "extensions") || is(ps, "extend")) {
            skip_statement(ps);
        } else if (is(ps, "map")) {
            if (in_oneof)
                return fail(ps, ps->tok.line, ps->tok.col, "a map cannot be in a oneof%s", NULL);
            if (!map_field(ps, b, depth, path, path_len))
                return false;
        } else if (is(ps, "group")) {
            return fail(ps, ps->tok.line, ps->tok.col, "proto2 groups are not supported%s", NULL);
        } else {
            bool repeated = is(ps, "repeated");
            if (!in_oneof && (repeated || is(ps, "optional") || is(ps, "required")))
                next(ps);
            if (is(ps, "group"))
                return fail(ps, ps->tok.line, ps->tok.col, "proto2 groups are not supported%s", NULL);
            if (!field_rest(ps, b, repeated))
                return false;
        }
    }
    return !ps->failed;
}

static sl_proto_message *message(parser *ps, const char *scope, int depth, int *path, int path_len)
{
    int l = ps->tok.line, c = ps->tok.col;
    if (depth > MAX_NESTING) {
        fail(ps, l, c, "messages nested too deeply%s", NULL);
        return NULL;
    }
    if (!expect(ps, "message"))
        return NULL;
    const char *name = ident(ps, "a message name");
    if (!name || !expect(ps, "{"))
        return NULL;
    sl_proto_message *m = sl_arena_calloc(ps->a, 1, sizeof *m);
    m->name = name;
    m->full_name = qualify(ps, scope, name);
    m->index_depth = path_len <= MAX_PATH ? path_len : MAX_PATH;
    memcpy(m->index_path, path, (size_t)m->index_depth * sizeof *path);
    add_type(ps, m->full_name, m, NULL);
    msg_builder b = {.m = m};
    int enum_cap = 0;
    if (!message_body(ps, &b, depth, path, path_len, &enum_cap, false) || !expect(ps, "}"))
        return NULL;
    return m;
}

/* ---------- files ---------- */

static const sl_proto_file *parse_file(parser *ps, const char *text);
static const sl_proto_file *parse_any(parser *ps, const char *text);

static bool import(parser *ps)
{
    int l = ps->tok.line, c = ps->tok.col;
    next(ps);
    if (is(ps, "public") || is(ps, "weak"))
        next(ps);
    if (ps->tok.kind != TK_STRING)
        return fail(ps, ps->tok.line, ps->tok.col, "expected the imported file's name, found '%.60s'", ps->tok.text);
    const char *name = ps->tok.text;
    if (!next(ps) || !expect(ps, ";"))
        return false;
    const char *text = ps->imports ? ps->imports(ps->ud, name) : NULL;
    if (!text) {
        /* the well-known types are known without their text */
        if (!strncmp(name, "google/", 7) || !strncmp(name, "confluent/", 10))
            return true;
        return fail(ps, l, c, "imported file '%s' is not among the schema's references", name);
    }
    if (ps->import_depth >= MAX_IMPORTS)
        return fail(ps, l, c, "imports nested too deeply at '%s'", name);
    parser sub = {.p = text, .line = 1, .col = 1, .a = ps->a, .err = ps->err, .types = ps->types,
                  .imports = ps->imports, .ud = ps->ud, .import_depth = ps->import_depth + 1};
    if (!parse_any(&sub, text)) {
        ps->failed = true;
        /* the imported file's position, named */
        char inner[400];
        snprintf(inner, sizeof inner, "%.399s", ps->err ? ps->err->msg : "");
        if (ps->err)
            snprintf(ps->err->msg, sizeof ps->err->msg, "%.400s (in imported '%.80s')", inner, name);
        return false;
    }
    return true;
}

static const sl_proto_file *parse_file(parser *ps, const char *text)
{
    (void)text;
    sl_proto_file *f = sl_arena_calloc(ps->a, 1, sizeof *f);
    f->package = "";
    ps->package = "";
    int cap = 0, enum_cap = 0;
    if (!next(ps))
        return NULL;
    while (!ps->failed && ps->tok.kind != TK_END) {
        if (is(ps, ";")) {
            next(ps);
        } else if (is(ps, "syntax") || is(ps, "edition")) {
            next(ps);
            if (!expect(ps, "="))
                return NULL;
            if (ps->tok.kind != TK_STRING ||
                (strcmp(ps->tok.text, "proto2") && strcmp(ps->tok.text, "proto3") &&
                 strcmp(ps->tok.text, "2023")))
            {
                fail(ps, ps->tok.line, ps->tok.col, "unknown syntax '%.40s'", ps->tok.text);
                return NULL;
            }
            next(ps);
            if (!expect(ps, ";"))
                return NULL;
        } else if (is(ps, "package")) {
            next(ps);
            const char *pkg = ident(ps, "a package name");
            if (!pkg || !expect(ps, ";"))
                return NULL;
            f->package = ps->package = pkg[0] == '.' ? pkg + 1 : pkg;
        } else if (is(ps, "import")) {
            if (!import(ps))
                return NULL;
        } else if (is(ps, "message")) {
            int path[1] = {f->nmessages};
            sl_proto_message *m = message(ps, ps->package, 1, path, 1);
            if (!m)
                return NULL;
            if (f->nmessages == cap) {
                cap = cap ? cap * 2 : 4;
                sl_proto_message **ms = sl_arena_calloc(ps->a, (size_t)cap, sizeof *ms);
                if (f->nmessages)
                    memcpy(ms, f->messages, (size_t)f->nmessages * sizeof *ms);
                f->messages = ms;
            }
            f->messages[f->nmessages++] = m;
        } else if (is(ps, "enum")) {
            sl_proto_enum *e = enumeration(ps, ps->package);
            if (!e)
                return NULL;
            add_enum(ps, &f->enums, &f->nenums, &enum_cap, e);
        } else if (is(ps, "option") || is(ps, "service") || is(ps, "extend")) {
            skip_statement(ps);
        } else {
            fail(ps, ps->tok.line, ps->tok.col, "unexpected '%.60s'", ps->tok.text);
            return NULL;
        }
    }
    return ps->failed ? NULL : f;
}


/* ---------- the serialized form: a base64 FileDescriptorProto ----------
 * What Confluent's clients may register instead of the .proto text (the
 * Python serializer does, and a registry such as Apicurio hands it back as
 * given). The same tables are built from it: FileDescriptorProto {package
 * 2, dependency 3, message_type 4, enum_type 5}, DescriptorProto {name 1,
 * field 2, nested_type 3, enum_type 4, options 7 (map_entry 7), oneof_decl
 * 8}, FieldDescriptorProto {name 1, number 3, label 4, type 5, type_name 6,
 * options 8, oneof_index 9, proto3_optional 17}, EnumDescriptorProto {name
 * 1, value 2 {name 1, number 2}}. */

typedef struct pb_in {
    const unsigned char *p, *end;
} pb_in;

static bool pb_varint(pb_in *in, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && in->p < in->end; shift += 7) {
        unsigned char b = *in->p++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* the next field: number, wire type, and for LEN its bytes, for VARINT its value */
static bool pb_field(pb_in *in, int *number, int *wt, pb_in *sub, uint64_t *value)
{
    uint64_t tag, n;
    if (!pb_varint(in, &tag))
        return false;
    *number = (int)(tag >> 3);
    *wt = (int)(tag & 7);
    switch (*wt) {
    case 0: return pb_varint(in, value);
    case 1:
        if (in->end - in->p < 8)
            return false;
        in->p += 8;
        return true;
    case 5:
        if (in->end - in->p < 4)
            return false;
        in->p += 4;
        return true;
    case 2:
        if (!pb_varint(in, &n) || n > (uint64_t)(in->end - in->p))
            return false;
        sub->p = in->p;
        sub->end = in->p + n;
        in->p += n;
        return true;
    default: return false;
    }
}

static const char *pb_string(parser *ps, pb_in s)
{
    return sl_arena_strndup(ps->a, (const char *)s.p, (size_t)(s.end - s.p));
}

static bool bad_descriptor(parser *ps)
{
    if (!ps->failed)
        sl_error_set(ps->err, SL_ERR_INVALID, "PROTOBUF schema: malformed serialized descriptor");
    ps->failed = true;
    return false;
}

static sl_proto_enum *pb_enum(parser *ps, pb_in in, const char *scope)
{
    sl_proto_enum *e = sl_arena_calloc(ps->a, 1, sizeof *e);
    int cap = 0;
    const char **names = NULL;
    int *numbers = NULL;
    int num, wt;
    pb_in sub;
    uint64_t v;
    while (in.p < in.end) {
        if (!pb_field(&in, &num, &wt, &sub, &v))
            return bad_descriptor(ps), NULL;
        if (num == 1 && wt == 2) {
            e->name = pb_string(ps, sub);
        } else if (num == 2 && wt == 2) {
            const char *vname = "";
            int vnum = 0, n2, w2;
            pb_in s2;
            uint64_t v2;
            while (sub.p < sub.end) {
                if (!pb_field(&sub, &n2, &w2, &s2, &v2))
                    return bad_descriptor(ps), NULL;
                if (n2 == 1 && w2 == 2)
                    vname = pb_string(ps, s2);
                else if (n2 == 2 && w2 == 0)
                    vnum = (int32_t)v2;
            }
            add_enum_value(ps, e, &names, &numbers, &cap, vname, vnum);
        }
    }
    if (!e->name || !e->nvalues)
        return bad_descriptor(ps), NULL;
    e->value_names = names;
    e->value_numbers = numbers;
    e->full_name = qualify(ps, scope, e->name);
    add_type(ps, e->full_name, NULL, e);
    return e;
}

/* a Decimal's precision and scale in FieldOptions: confluent.field_meta
 * (extension 1088) {params 2: map<string, string>} */
static void pb_field_options(pb_in in, sl_proto_field *f)
{
    int num, wt, n2, w2, n3, w3;
    pb_in meta, entry, s3;
    uint64_t v;
    while (in.p < in.end && pb_field(&in, &num, &wt, &meta, &v)) {
        if (num != 1088 || wt != 2)
            continue;
        while (meta.p < meta.end && pb_field(&meta, &n2, &w2, &entry, &v)) {
            if (n2 != 2 || w2 != 2)
                continue;
            char key[32] = "", val[32] = "";
            while (entry.p < entry.end && pb_field(&entry, &n3, &w3, &s3, &v))
                if (w3 == 2)
                    snprintf(n3 == 1 ? key : val, sizeof key, "%.*s", (int)(s3.end - s3.p), (const char *)s3.p);
            if (!strcmp(key, "precision"))
                f->decimal_precision = atoi(val);
            else if (!strcmp(key, "scale"))
                f->decimal_scale = atoi(val);
        }
    }
}

static const sl_proto_kind descriptor_kinds[19] = {
    [1] = SL_PB_DOUBLE,   [2] = SL_PB_FLOAT,    [3] = SL_PB_INT64,    [4] = SL_PB_UINT64,  [5] = SL_PB_INT32,
    [6] = SL_PB_FIXED64,  [7] = SL_PB_FIXED32,  [8] = SL_PB_BOOL,     [9] = SL_PB_STRING,  [11] = SL_PB_MESSAGE,
    [12] = SL_PB_BYTES,   [13] = SL_PB_UINT32,  [14] = SL_PB_ENUM,    [15] = SL_PB_SFIXED32,
    [16] = SL_PB_SFIXED64, [17] = SL_PB_SINT32, [18] = SL_PB_SINT64};

static sl_proto_message *pb_message(parser *ps, pb_in in, const char *scope, int depth, int *path, int path_len)
{
    if (depth > MAX_NESTING || path_len > MAX_PATH)
        return bad_descriptor(ps), NULL;
    sl_proto_message *m = sl_arena_calloc(ps->a, 1, sizeof *m);
    m->index_depth = path_len;
    memcpy(m->index_path, path, (size_t)path_len * sizeof *path);
    /* first pass: the name, to scope what is nested */
    pb_in all = in, sub;
    int num, wt;
    uint64_t v;
    int nfields = 0, noneofs = 0;
    while (all.p < all.end) {
        if (!pb_field(&all, &num, &wt, &sub, &v))
            return bad_descriptor(ps), NULL;
        if (num == 1 && wt == 2)
            m->name = pb_string(ps, sub);
        nfields += num == 2 && wt == 2;
        noneofs += num == 8 && wt == 2;
        if (num == 7 && wt == 2) {
            pb_in o = sub;
            int n2, w2;
            pb_in s2;
            uint64_t v2;
            while (o.p < o.end && pb_field(&o, &n2, &w2, &s2, &v2))
                if (n2 == 7 && w2 == 0)
                    m->map_entry = v2 != 0;
        }
    }
    if (!m->name)
        return bad_descriptor(ps), NULL;
    m->full_name = qualify(ps, scope, m->name);
    add_type(ps, m->full_name, m, NULL);
    const char **oneof_names = sl_arena_calloc(ps->a, (size_t)noneofs + 1, sizeof *oneof_names);
    sl_proto_message **oneofs = sl_arena_calloc(ps->a, (size_t)noneofs + 1, sizeof *oneofs);
    int *oneof_caps = sl_arena_calloc(ps->a, (size_t)noneofs + 1, sizeof *oneof_caps);
    int k = 0;
    all = in;
    while (all.p < all.end && pb_field(&all, &num, &wt, &sub, &v))
        if (num == 8 && wt == 2) {
            pb_in o = sub, s2;
            int n2, w2;
            uint64_t v2;
            oneof_names[k] = "oneof";
            while (o.p < o.end && pb_field(&o, &n2, &w2, &s2, &v2))
                if (n2 == 1 && w2 == 2)
                    oneof_names[k] = pb_string(ps, s2);
            k++;
        }
    msg_builder b = {.m = m};
    int enum_cap = 0;
    all = in;
    while (all.p < all.end && !ps->failed) {
        if (!pb_field(&all, &num, &wt, &sub, &v))
            return bad_descriptor(ps), NULL;
        if (wt != 2)
            continue;
        if (num == 3) {
            int sp[MAX_PATH + 1];
            memcpy(sp, path, (size_t)path_len * sizeof *path);
            sp[path_len] = m->nnested;
            sl_proto_message *n = pb_message(ps, sub, m->full_name, depth + 1, sp, path_len + 1);
            if (!n)
                return NULL;
            add_nested(ps, &b, n);
        } else if (num == 4) {
            sl_proto_enum *e = pb_enum(ps, sub, m->full_name);
            if (!e)
                return NULL;
            add_enum(ps, &m->enums, &m->nenums, &enum_cap, e);
        } else if (num == 2) {
            sl_proto_field f = {0};
            int oneof = -1, type = 0;
            bool synthetic = false;
            pb_in fs = sub, s2;
            int n2, w2;
            uint64_t v2;
            while (fs.p < fs.end) {
                if (!pb_field(&fs, &n2, &w2, &s2, &v2))
                    return bad_descriptor(ps), NULL;
                if (n2 == 1 && w2 == 2)
                    f.name = pb_string(ps, s2);
                else if (n2 == 3 && w2 == 0)
                    f.number = (int)v2;
                else if (n2 == 4 && w2 == 0)
                    f.repeated = v2 == 3;
                else if (n2 == 5 && w2 == 0)
                    type = v2 < 19 ? (int)v2 : 0;
                else if (n2 == 6 && w2 == 2)
                    f.type_name = pb_string(ps, s2);
                else if (n2 == 8 && w2 == 2)
                    pb_field_options(s2, &f);
                else if (n2 == 9 && w2 == 0)
                    oneof = (int)v2;
                else if (n2 == 17 && w2 == 0)
                    synthetic = v2 != 0; /* proto3 optional: not a real oneof */
            }
            if (!f.name || f.number < 1 || (type != 11 && type != 14 && !descriptor_kinds[type] && type != 1))
                return bad_descriptor(ps), NULL;
            f.kind = type == 11 || type == 14 ? SL_PB_MESSAGE : descriptor_kinds[type];
            if ((type == 11 || type == 14) && !f.type_name)
                return bad_descriptor(ps), NULL;
            sl_proto_message *into = m;
            msg_builder ob;
            if (oneof >= 0 && oneof < noneofs && !synthetic) {
                if (!oneofs[oneof]) {
                    sl_proto_field *of = new_field(ps, &b);
                    sl_proto_message *o = sl_arena_calloc(ps->a, 1, sizeof *o);
                    o->name = sl_arena_sprintf(ps->a, "%s_%d", oneof_names[oneof], oneof);
                    o->full_name = qualify(ps, m->full_name, o->name);
                    o->inline_oneof = true;
                    of->name = o->name;
                    of->kind = SL_PB_MESSAGE;
                    of->message = o;
                    oneofs[oneof] = o;
                }
                into = oneofs[oneof];
            }
            if (into == m) {
                *new_field(ps, &b) = f;
            } else {
                ob = (msg_builder){.m = into, .cap_fields = oneof_caps[oneof]};
                *new_field(ps, &ob) = f;
                oneof_caps[oneof] = ob.cap_fields;
            }
        }
    }
    (void)nfields;
    return ps->failed ? NULL : m;
}

static const sl_proto_file *parse_descriptor(parser *ps, const unsigned char *data, size_t len)
{
    sl_proto_file *f = sl_arena_calloc(ps->a, 1, sizeof *f);
    f->package = "";
    pb_in in = {data, data + len}, sub;
    int num, wt;
    uint64_t v;
    /* the package first: every name is scoped by it */
    pb_in all = in;
    while (all.p < all.end) {
        if (!pb_field(&all, &num, &wt, &sub, &v))
            return bad_descriptor(ps), NULL;
        if (num == 2 && wt == 2)
            f->package = pb_string(ps, sub);
    }
    int cap = 0, enum_cap = 0;
    while (in.p < in.end && !ps->failed) {
        if (!pb_field(&in, &num, &wt, &sub, &v))
            return bad_descriptor(ps), NULL;
        if (wt != 2)
            continue;
        if (num == 3) {
            const char *name = pb_string(ps, sub);
            const char *text = ps->imports ? ps->imports(ps->ud, name) : NULL;
            if (!text) {
                if (!strncmp(name, "google/", 7) || !strncmp(name, "confluent/", 10))
                    continue;
                fail(ps, 1, 1, "imported file '%s' is not among the schema's references", name);
                return NULL;
            }
            if (ps->import_depth >= MAX_IMPORTS) {
                fail(ps, 1, 1, "imports nested too deeply at '%s'", name);
                return NULL;
            }
            parser sub_ps = {.p = text, .line = 1, .col = 1, .a = ps->a, .err = ps->err, .types = ps->types,
                             .imports = ps->imports, .ud = ps->ud, .import_depth = ps->import_depth + 1};
            if (!parse_any(&sub_ps, text)) {
                ps->failed = true;
                return NULL;
            }
        } else if (num == 4) {
            int path[1] = {f->nmessages};
            sl_proto_message *m = pb_message(ps, sub, f->package, 1, path, 1);
            if (!m)
                return NULL;
            if (f->nmessages == cap) {
                cap = cap ? cap * 2 : 4;
                sl_proto_message **ms = sl_arena_calloc(ps->a, (size_t)cap, sizeof *ms);
                if (f->nmessages)
                    memcpy(ms, f->messages, (size_t)f->nmessages * sizeof *ms);
                f->messages = ms;
            }
            f->messages[f->nmessages++] = m;
        } else if (num == 5) {
            sl_proto_enum *e = pb_enum(ps, sub, f->package);
            if (!e)
                return NULL;
            add_enum(ps, &f->enums, &f->nenums, &enum_cap, e);
        }
    }
    return ps->failed ? NULL : f;
}

/* base64 text, as a serialized descriptor is registered: no spaces, only
 * the base64 alphabet, a multiple of 4 long (a .proto has spaces or
 * punctuation base64 lacks) */
static bool looks_base64(const char *t)
{
    size_t n = 0;
    for (; t[n]; n++)
        if (!isalnum((unsigned char)t[n]) && t[n] != '+' && t[n] != '/' && t[n] != '=')
            return false;
    return n >= 4 && n % 4 == 0;
}

static const sl_proto_file *parse_any(parser *ps, const char *text)
{
    if (!looks_base64(text))
        return parse_file(ps, text);
    size_t n = strlen(text);
    unsigned char *bytes = sl_arena_alloc(ps->a, n / 4 * 3 + 3);
    size_t len = 0;
    if (!sl_base64_decode_into(text, n, bytes, &len))
        return bad_descriptor(ps), NULL;
    return parse_descriptor(ps, bytes, len);
}

/* ---------- resolution ---------- */

static const char *const well_known[] = {
    "google.protobuf.Timestamp", "google.type.Date",           "google.type.TimeOfDay",
    "confluent.type.Decimal",    "google.protobuf.DoubleValue", "google.protobuf.FloatValue",
    "google.protobuf.Int64Value", "google.protobuf.UInt64Value", "google.protobuf.Int32Value",
    "google.protobuf.UInt32Value", "google.protobuf.BoolValue", "google.protobuf.StringValue",
    "google.protobuf.BytesValue", NULL};

const char *sl_proto_well_known(const sl_proto_field *f)
{
    if (f->kind != SL_PB_MESSAGE || f->message || !f->type_name)
        return NULL;
    const char *n = f->type_name[0] == '.' ? f->type_name + 1 : f->type_name;
    for (int i = 0; well_known[i]; i++)
        if (!strcmp(well_known[i], n))
            return well_known[i];
    return NULL;
}

static int find_type(const type_table *t, const char *full)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], full))
            return i;
    return -1;
}

/* name as written, looked up from scope outwards (protobuf's rule) */
static int resolve_name(parser *ps, const char *scope, const char *name)
{
    if (name[0] == '.')
        return find_type(ps->types, name + 1);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", scope);
    for (;;) {
        char full[2048];
        snprintf(full, sizeof full, "%s%s%s", buf, *buf ? "." : "", name);
        int i = find_type(ps->types, full);
        if (i >= 0)
            return i;
        if (!*buf)
            return -1;
        char *dot = strrchr(buf, '.');
        if (dot)
            *dot = 0;
        else
            buf[0] = 0;
    }
}

/* the fields of one message (the table lists nested ones too; a oneof's
 * are resolved in the scope of the message that holds it) */
static bool resolve_message(parser *ps, sl_proto_message *m, const char *scope)
{
    for (int i = 0; i < m->nfields; i++) {
        sl_proto_field *f = &m->fields[i];
        /* the reader made the oneof message: it may fill in its fields */
        if (f->message && f->message->inline_oneof && !resolve_message(ps, (sl_proto_message *)f->message, scope))
            return false;
        if (f->kind != SL_PB_MESSAGE || f->message)
            continue;
        int k = resolve_name(ps, scope, f->type_name);
        if (k >= 0) {
            f->message = ps->types->messages[k];
            f->enumeration = ps->types->enums[k];
            if (f->enumeration)
                f->kind = SL_PB_ENUM;
        } else if (!sl_proto_well_known(f)) {
            return fail(ps, f->line, f->col, "unknown type '%s'", f->type_name);
        }
    }
    return true;
}

const sl_proto_file *sl_proto_parse(const char *text, sl_arena *arena, sl_proto_import_fn imports, void *ud,
                                    sl_error *err)
{
    type_table *types = sl_arena_calloc(arena, 1, sizeof *types);
    parser ps = {.p = text ? text : "", .line = 1, .col = 1, .a = arena, .err = err, .types = types,
                 .imports = imports, .ud = ud};
    const sl_proto_file *f = parse_any(&ps, text ? text : "");
    if (!f)
        return NULL;
    /* every message of every file, imported ones too, now has its fields'
     * types: the table holds them all */
    for (int i = 0; i < types->n; i++)
        if (types->messages[i] && !resolve_message(&ps, types->messages[i], types->messages[i]->full_name))
            return NULL;
    return f;
}

/* ---------- lookups and SQL types ---------- */

static const sl_proto_message *find_in(sl_proto_message *const *ms, int n, const char *name, int depth)
{
    for (int i = 0; i < n && depth < MAX_NESTING + 2; i++) {
        if (!strcmp(ms[i]->full_name, name))
            return ms[i];
        const sl_proto_message *r = find_in(ms[i]->nested, ms[i]->nnested, name, depth + 1);
        if (r)
            return r;
    }
    return NULL;
}

const sl_proto_message *sl_proto_find_message(const sl_proto_file *file, const char *full_name, sl_error *err)
{
    if (!full_name || !*full_name) {
        if (!file->nmessages) {
            sl_error_set(err, SL_ERR_INVALID, "the PROTOBUF schema has no message");
            return NULL;
        }
        return file->messages[0];
    }
    const sl_proto_message *m = find_in(file->messages, file->nmessages, full_name, 0);
    if (!m && *file->package) {
        char full[1024];
        snprintf(full, sizeof full, "%s.%s", file->package, full_name);
        m = find_in(file->messages, file->nmessages, full, 0);
    }
    if (!m)
        sl_error_set(err, SL_ERR_INVALID, "Schema %s not found in the PROTOBUF schema", full_name);
    return m;
}

static const sl_type *field_type(const sl_proto_field *f, bool upper, sl_arena *a, sl_error *err, int depth);

static const sl_type *message_type(const sl_proto_message *m, bool upper, sl_arena *a, sl_error *err, int depth)
{
    if (depth > MAX_NESTING) {
        sl_error_set(err, SL_ERR_INVALID, "PROTOBUF schema nested too deeply at %s", m->full_name);
        return NULL;
    }
    sl_field *fs = sl_arena_calloc(a, (size_t)m->nfields + 1, sizeof *fs);
    for (int i = 0; i < m->nfields; i++) {
        const sl_type *t = field_type(&m->fields[i], upper, a, err, depth);
        if (!t)
            return NULL;
        char *name = sl_arena_strdup(a, m->fields[i].name);
        for (char *p = name; upper && *p; p++)
            *p = (char)toupper((unsigned char)*p);
        fs[i] = (sl_field){name, t};
    }
    return sl_type_struct(a, m->nfields, fs);
}

static const sl_type *single_type(const sl_proto_field *f, bool upper, sl_arena *a, sl_error *err, int depth)
{
    switch (f->kind) {
    case SL_PB_DOUBLE:
    case SL_PB_FLOAT: return &sl_type_double;
    case SL_PB_INT32:
    case SL_PB_SINT32:
    case SL_PB_FIXED32:
    case SL_PB_SFIXED32: return &sl_type_int;
    case SL_PB_UINT32:
    case SL_PB_INT64:
    case SL_PB_UINT64:
    case SL_PB_SINT64:
    case SL_PB_FIXED64:
    case SL_PB_SFIXED64: return &sl_type_bigint;
    case SL_PB_BOOL: return &sl_type_boolean;
    case SL_PB_STRING:
    case SL_PB_ENUM: return &sl_type_string;
    case SL_PB_BYTES: return &sl_type_bytes;
    case SL_PB_MESSAGE: break;
    }
    if (f->message && f->message->map_entry) {
        const sl_type *k = field_type(&f->message->fields[0], upper, a, err, depth + 1);
        const sl_type *v = k ? field_type(&f->message->fields[1], upper, a, err, depth + 1) : NULL;
        if (!v)
            return NULL;
        /* ksqlDB's maps are keyed by STRING, whatever the proto's key */
        return sl_type_map(a, &sl_type_string, v);
    }
    if (f->message)
        return message_type(f->message, upper, a, err, depth + 1);
    const char *wk = sl_proto_well_known(f);
    if (!wk) {
        sl_error_set(err, SL_ERR_INVALID, "unknown PROTOBUF type '%s'", f->type_name ? f->type_name : "?");
        return NULL;
    }
    if (!strcmp(wk, "google.protobuf.Timestamp"))
        return &sl_type_timestamp;
    if (!strcmp(wk, "google.type.Date"))
        return &sl_type_date;
    if (!strcmp(wk, "google.type.TimeOfDay"))
        return &sl_type_time;
    if (!strcmp(wk, "confluent.type.Decimal")) {
        /* Confluent's default when the field names none */
        int precision = f->decimal_precision > 0 ? f->decimal_precision : 64;
        return sl_type_decimal(a, precision, f->decimal_scale);
    }
    if (strstr(wk, "DoubleValue") || strstr(wk, "FloatValue"))
        return &sl_type_double;
    if (strstr(wk, "Int64Value") || strstr(wk, "UInt32Value"))
        return &sl_type_bigint;
    if (strstr(wk, "Int32Value"))
        return &sl_type_int;
    if (strstr(wk, "BoolValue"))
        return &sl_type_boolean;
    if (strstr(wk, "StringValue"))
        return &sl_type_string;
    return &sl_type_bytes;
}

static const sl_type *field_type(const sl_proto_field *f, bool upper, sl_arena *a, sl_error *err, int depth)
{
    const sl_type *t = single_type(f, upper, a, err, depth);
    if (!t || !f->repeated || (f->message && f->message->map_entry))
        return t;
    return sl_type_array(a, t);
}

const sl_type *sl_proto_message_type(const sl_proto_message *m, bool upper_case, sl_arena *arena, sl_error *err)
{
    return message_type(m, upper_case, arena, err, 0);
}
