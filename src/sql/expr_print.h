/* An expression of the AST back as SQL text, for `sluice explain` and the
 * status page: what a user wrote, normalised (keywords upper-case, one
 * space around operators, parentheses where the tree needs them). */
#ifndef SL_EXPR_PRINT_H
#define SL_EXPR_PRINT_H

#include "common/strbuf.h"
#include "sql/ast.h"

void sl_expr_print(sl_strbuf *out, const sl_expr *x);

#endif
