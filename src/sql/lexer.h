/* Lexer for ksqlDB statements. Tokens carry their line/column so that every
 * later error can point at the place. Unquoted identifiers are upper-cased
 * here (ksqlDB's case rule); quoted ones (`x` or "x") keep their case and are
 * flagged so the parser can tell them from keywords. */
#ifndef SL_LEXER_H
#define SL_LEXER_H

#include <stdbool.h>

#include "common/arena.h"
#include "common/error.h"

typedef enum sl_tok_kind {
    SL_TOK_EOF,
    SL_TOK_IDENT,   /* text upper-cased unless quoted */
    SL_TOK_STRING,  /* 'text' with '' unescaped */
    SL_TOK_INTEGER, /* digits */
    SL_TOK_DECIMAL, /* digits.digits */
    SL_TOK_FLOAT,   /* with exponent */
    SL_TOK_OP,      /* punctuation and operators, text holds it */
    SL_TOK_VARIABLE /* ${name} */
} sl_tok_kind;

typedef struct sl_token {
    sl_tok_kind kind;
    bool quoted;      /* quoted identifier */
    const char *text; /* NUL-terminated, in the arena */
    int line, col;
    int offset; /* byte offset of the token start in the source */
} sl_token;

typedef struct sl_token_list {
    sl_token *items;
    int count;
} sl_token_list;

/* Tokenizes the whole text into the arena (comments dropped).
 * On error fills err with file:line:col and returns SL_ERR_INVALID. */
sl_err_t sl_lex(const char *text, const char *file, sl_arena *arena, sl_token_list *out,
                sl_error *err);

#endif
