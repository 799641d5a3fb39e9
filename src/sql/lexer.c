/* Hand-written scanner: one pass, no backtracking. Comments are `-- ...`
 * and C-style block comments. Operators are matched longest-first. */
#include "sql/lexer.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct lexer {
    const char *src, *p, *file;
    int line, col;
    sl_arena *arena;
    sl_token *items;
    int count, cap;
} lexer;

static void advance(lexer *lx)
{
    if (*lx->p == '\n') {
        lx->line++;
        lx->col = 1;
    } else {
        lx->col++;
    }
    lx->p++;
}

static void push(lexer *lx, sl_tok_kind kind, const char *text, int line, int col, int offset,
                 bool quoted)
{
    if (lx->count == lx->cap) {
        int cap = lx->cap ? lx->cap * 2 : 256;
        sl_token *n = sl_arena_alloc(lx->arena, (size_t)cap * sizeof *n);
        if (lx->count)
            memcpy(n, lx->items, (size_t)lx->count * sizeof *n);
        lx->items = n;
        lx->cap = cap;
    }
    sl_token *t = &lx->items[lx->count++];
    t->kind = kind;
    t->text = text;
    t->line = line;
    t->col = col;
    t->offset = offset;
    t->quoted = quoted;
}

static const char *const operators[] = {"<>", "!=", "<=", ">=", "||", "=>", "->", "::", "(", ")",
                                        ",", ";", ".", "*", "+", "-", "/", "%", "=", "<",
                                        ">", "[", "]", "{", "}", ":", "?", NULL};

sl_err_t sl_lex(const char *text, const char *file, sl_arena *arena, sl_token_list *out,
                sl_error *err)
{
    lexer lx = {.src = text, .p = text, .file = file, .line = 1, .col = 1, .arena = arena};
    while (*lx.p) {
        char c = *lx.p;
        if (isspace((unsigned char)c)) {
            advance(&lx);
            continue;
        }
        if (c == '-' && lx.p[1] == '-') {
            while (*lx.p && *lx.p != '\n')
                advance(&lx);
            continue;
        }
        if (c == '/' && lx.p[1] == '*') {
            int line = lx.line, col = lx.col;
            advance(&lx);
            advance(&lx);
            while (*lx.p && !(*lx.p == '*' && lx.p[1] == '/'))
                advance(&lx);
            if (!*lx.p)
                return sl_error_at(err, SL_ERR_INVALID, file, line, col, "unterminated comment");
            advance(&lx);
            advance(&lx);
            continue;
        }
        int line = lx.line, col = lx.col, offset = (int)(lx.p - text);
        if (isalpha((unsigned char)c) || c == '_' || c == '@' || (c == '$' && lx.p[1] != '{')) {
            const char *s = lx.p;
            while (isalnum((unsigned char)*lx.p) || *lx.p == '_' || *lx.p == '@' || *lx.p == '$')
                advance(&lx);
            char *t = sl_arena_strndup(arena, s, (size_t)(lx.p - s));
            for (char *q = t; *q; q++)
                *q = (char)toupper((unsigned char)*q);
            push(&lx, SL_TOK_IDENT, t, line, col, offset, false);
            continue;
        }
        if (c == '$' && lx.p[1] == '{') {
            advance(&lx);
            advance(&lx);
            const char *s = lx.p;
            while (*lx.p && *lx.p != '}')
                advance(&lx);
            if (!*lx.p)
                return sl_error_at(err, SL_ERR_INVALID, file, line, col, "unterminated variable reference");
            push(&lx, SL_TOK_VARIABLE, sl_arena_strndup(arena, s, (size_t)(lx.p - s)), line, col,
                 offset, false);
            advance(&lx);
            continue;
        }
        if (c == '`' || c == '"' || c == '\'') {
            char q = c;
            advance(&lx);
            size_t cap = 64, n = 0;
            char *buf = malloc(cap);
            for (;;) {
                if (!*lx.p) {
                    free(buf);
                    return sl_error_at(err, SL_ERR_INVALID, file, line, col,
                                       q == '\'' ? "unterminated string literal"
                                                 : "unterminated quoted identifier");
                }
                if (*lx.p == q) {
                    if (lx.p[1] == q) { /* doubled quote escapes itself */
                        advance(&lx);
                    } else {
                        advance(&lx);
                        break;
                    }
                }
                if (n + 2 > cap) {
                    cap *= 2;
                    buf = realloc(buf, cap);
                }
                buf[n++] = *lx.p;
                advance(&lx);
            }
            char *t = sl_arena_strndup(arena, buf, n);
            free(buf);
            push(&lx, q == '\'' ? SL_TOK_STRING : SL_TOK_IDENT, t, line, col, offset, q != '\'');
            continue;
        }
        if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)lx.p[1]))) {
            const char *s = lx.p;
            sl_tok_kind kind = SL_TOK_INTEGER;
            while (isdigit((unsigned char)*lx.p))
                advance(&lx);
            if (*lx.p == '.' && isdigit((unsigned char)lx.p[1])) {
                kind = SL_TOK_DECIMAL;
                advance(&lx);
                while (isdigit((unsigned char)*lx.p))
                    advance(&lx);
            } else if (*lx.p == '.' && !isalpha((unsigned char)lx.p[1]) && lx.p[1] != '_') {
                kind = SL_TOK_DECIMAL; /* "1." */
                advance(&lx);
            }
            if ((*lx.p == 'e' || *lx.p == 'E') &&
                (isdigit((unsigned char)lx.p[1]) ||
                 ((lx.p[1] == '-' || lx.p[1] == '+') && isdigit((unsigned char)lx.p[2])))) {
                kind = SL_TOK_FLOAT;
                advance(&lx);
                if (*lx.p == '-' || *lx.p == '+')
                    advance(&lx);
                while (isdigit((unsigned char)*lx.p))
                    advance(&lx);
            }
            if (kind == SL_TOK_INTEGER && (isalpha((unsigned char)*lx.p) || *lx.p == '_')) {
                /* ksqlDB accepts identifiers that start with digits (1R) */
                while (isalnum((unsigned char)*lx.p) || *lx.p == '_' || *lx.p == '@')
                    advance(&lx);
                char *t = sl_arena_strndup(arena, s, (size_t)(lx.p - s));
                for (char *q = t; *q; q++)
                    *q = (char)toupper((unsigned char)*q);
                push(&lx, SL_TOK_IDENT, t, line, col, offset, false);
                continue;
            }
            if (isalpha((unsigned char)*lx.p) || *lx.p == '_')
                return sl_error_at(err, SL_ERR_INVALID, file, line, col,
                                   "syntax error: unexpected character '%c' after number", *lx.p);
            push(&lx, kind, sl_arena_strndup(arena, s, (size_t)(lx.p - s)), line, col, offset, false);
            continue;
        }
        const char *op = NULL;
        for (int i = 0; operators[i]; i++) {
            size_t n = strlen(operators[i]);
            if (!strncmp(lx.p, operators[i], n)) {
                op = operators[i];
                break;
            }
        }
        if (!op)
            return sl_error_at(err, SL_ERR_INVALID, file, line, col,
                               "syntax error: unexpected character '%c'", c);
        for (size_t i = 0; i < strlen(op); i++)
            advance(&lx);
        push(&lx, SL_TOK_OP, op, line, col, offset, false);
    }
    push(&lx, SL_TOK_EOF, "<EOF>", lx.line, lx.col, (int)(lx.p - text), false);
    out->items = lx.items;
    out->count = lx.count;
    return SL_OK;
}
