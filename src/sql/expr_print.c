/* The printer follows the parser's precedence: a child is parenthesised
 * when it binds more loosely than its parent, so the text reads back to
 * the same tree. */
#include "sql/expr_print.h"

#include <string.h>

#include "common/arena.h"
#include "common/types.h"
#include "common/value.h"
#include "sql/cast.h"

static const char *binop_text(sl_binop op)
{
    switch (op) {
    case SL_OP_ADD: return "+";
    case SL_OP_SUB: return "-";
    case SL_OP_MUL: return "*";
    case SL_OP_DIV: return "/";
    case SL_OP_MOD: return "%";
    case SL_OP_EQ: return "=";
    case SL_OP_NE: return "<>";
    case SL_OP_LT: return "<";
    case SL_OP_LE: return "<=";
    case SL_OP_GT: return ">";
    case SL_OP_GE: return ">=";
    case SL_OP_AND: return "AND";
    case SL_OP_OR: return "OR";
    case SL_OP_CONCAT: return "||";
    case SL_OP_DISTINCT: return "IS DISTINCT FROM";
    case SL_OP_NOT_DISTINCT: return "IS NOT DISTINCT FROM";
    case SL_OP_NEG: return "-";
    case SL_OP_PLUS: return "+";
    case SL_OP_NOT: return "NOT";
    }
    return "?";
}

/* higher binds tighter */
static int precedence(const sl_expr *x)
{
    switch (x->kind) {
    case SL_E_BINARY:
        switch (x->u.binary.op) {
        case SL_OP_OR: return 1;
        case SL_OP_AND: return 2;
        case SL_OP_EQ: case SL_OP_NE: case SL_OP_LT: case SL_OP_LE: case SL_OP_GT: case SL_OP_GE:
        case SL_OP_DISTINCT: case SL_OP_NOT_DISTINCT:
            return 4;
        case SL_OP_CONCAT: return 5;
        case SL_OP_ADD: case SL_OP_SUB: return 6;
        default: return 7;
        }
    case SL_E_UNARY:
        return x->u.unary.op == SL_OP_NOT ? 3 : 8;
    case SL_E_IS_NULL: case SL_E_BETWEEN: case SL_E_IN: case SL_E_LIKE:
        return 4;
    default:
        return 9;
    }
}

static void child(sl_strbuf *out, const sl_expr *x, int parent, bool right)
{
    int p = precedence(x);
    /* a right operand of equal precedence needs them too: a - (b - c) */
    bool parens = p < parent || (right && p == parent && p < 9);
    if (parens)
        sl_strbuf_putc(out, '(');
    sl_expr_print(out, x);
    if (parens)
        sl_strbuf_putc(out, ')');
}

static void list(sl_strbuf *out, const sl_expr_list *l)
{
    for (int i = 0; i < l->count; i++) {
        if (i)
            sl_strbuf_puts(out, ", ");
        sl_expr_print(out, l->items[i]);
    }
}

static void literal(sl_strbuf *out, const sl_expr *x)
{
    const sl_value *v = &x->u.lit.value;
    if (v->null) {
        sl_strbuf_puts(out, "NULL");
        return;
    }
    sl_arena *a = sl_arena_new(0);
    sl_value sv = v->kind == SL_STRING ? *v : sl_value_to_string(v, a);
    const char *text = sv.null ? NULL : sl_value_cstr(a, &sv);
    if (v->kind == SL_STRING) {
        sl_strbuf_putc(out, '\'');
        for (const char *p = text; *p; p++) {
            if (*p == '\'')
                sl_strbuf_putc(out, '\'');
            sl_strbuf_putc(out, *p);
        }
        sl_strbuf_putc(out, '\'');
    } else {
        sl_strbuf_puts(out, text ? text : "?");
    }
    sl_arena_destroy(a);
}

void sl_expr_print(sl_strbuf *out, const sl_expr *x)
{
    if (!x) {
        sl_strbuf_puts(out, "?");
        return;
    }
    int p = precedence(x);
    switch (x->kind) {
    case SL_E_LITERAL:
        literal(out, x);
        break;
    case SL_E_COLUMN:
        if (x->u.col.qualifier)
            sl_strbuf_printf(out, "%s.", x->u.col.qualifier);
        sl_strbuf_puts(out, x->u.col.name);
        break;
    case SL_E_DEREF:
        child(out, x->u.deref.base, p, false);
        sl_strbuf_printf(out, "->%s", x->u.deref.field);
        break;
    case SL_E_SUBSCRIPT:
        child(out, x->u.sub.base, p, false);
        sl_strbuf_putc(out, '[');
        sl_expr_print(out, x->u.sub.index);
        sl_strbuf_putc(out, ']');
        break;
    case SL_E_UNARY:
        sl_strbuf_puts(out, binop_text(x->u.unary.op));
        if (x->u.unary.op == SL_OP_NOT)
            sl_strbuf_putc(out, ' ');
        child(out, x->u.unary.arg, p, false);
        break;
    case SL_E_BINARY:
        child(out, x->u.binary.left, p, false);
        sl_strbuf_printf(out, " %s ", binop_text(x->u.binary.op));
        child(out, x->u.binary.right, p, true);
        break;
    case SL_E_IS_NULL:
        child(out, x->u.isnull.arg, p + 1, false);
        sl_strbuf_puts(out, x->u.isnull.negated ? " IS NOT NULL" : " IS NULL");
        break;
    case SL_E_BETWEEN:
        child(out, x->u.between.arg, p + 1, false);
        sl_strbuf_puts(out, x->u.between.negated ? " NOT BETWEEN " : " BETWEEN ");
        child(out, x->u.between.lo, p + 1, false);
        sl_strbuf_puts(out, " AND ");
        child(out, x->u.between.hi, p + 1, false);
        break;
    case SL_E_IN:
        child(out, x->u.in.arg, p + 1, false);
        sl_strbuf_puts(out, x->u.in.negated ? " NOT IN (" : " IN (");
        list(out, &x->u.in.list);
        sl_strbuf_putc(out, ')');
        break;
    case SL_E_LIKE:
        child(out, x->u.like.arg, p + 1, false);
        sl_strbuf_puts(out, x->u.like.negated ? " NOT LIKE " : " LIKE ");
        child(out, x->u.like.pattern, p + 1, false);
        if (x->u.like.escape)
            sl_strbuf_printf(out, " ESCAPE '%c'", x->u.like.escape);
        break;
    case SL_E_CASE:
        sl_strbuf_puts(out, "CASE");
        if (x->u.case_.operand) {
            sl_strbuf_putc(out, ' ');
            sl_expr_print(out, x->u.case_.operand);
        }
        for (int i = 0; i < x->u.case_.whens.count; i++) {
            sl_strbuf_puts(out, " WHEN ");
            sl_expr_print(out, x->u.case_.whens.items[i]);
            sl_strbuf_puts(out, " THEN ");
            sl_expr_print(out, x->u.case_.thens.items[i]);
        }
        if (x->u.case_.otherwise) {
            sl_strbuf_puts(out, " ELSE ");
            sl_expr_print(out, x->u.case_.otherwise);
        }
        sl_strbuf_puts(out, " END");
        break;
    case SL_E_CAST: {
        sl_arena *a = sl_arena_new(0);
        sl_strbuf_puts(out, "CAST(");
        sl_expr_print(out, x->u.cast.arg);
        sl_strbuf_printf(out, " AS %s)", sl_type_to_sql(a, x->u.cast.to));
        sl_arena_destroy(a);
        break;
    }
    case SL_E_CALL:
        sl_strbuf_printf(out, "%s(%s", x->u.call.name, x->u.call.distinct ? "DISTINCT " : "");
        if (x->u.call.star)
            sl_strbuf_putc(out, '*');
        else
            list(out, &x->u.call.args);
        sl_strbuf_putc(out, ')');
        break;
    case SL_E_LAMBDA:
        sl_strbuf_putc(out, '(');
        for (int i = 0; i < x->u.lambda.nparams; i++)
            sl_strbuf_printf(out, "%s%s", i ? ", " : "", x->u.lambda.params[i]);
        sl_strbuf_puts(out, ") => ");
        sl_expr_print(out, x->u.lambda.body);
        break;
    case SL_E_ARRAY:
        sl_strbuf_puts(out, "ARRAY[");
        list(out, &x->u.array.items);
        sl_strbuf_putc(out, ']');
        break;
    case SL_E_MAP:
        sl_strbuf_puts(out, "MAP(");
        for (int i = 0; i < x->u.map.keys.count; i++) {
            if (i)
                sl_strbuf_puts(out, ", ");
            sl_expr_print(out, x->u.map.keys.items[i]);
            sl_strbuf_puts(out, " := ");
            sl_expr_print(out, x->u.map.values.items[i]);
        }
        sl_strbuf_putc(out, ')');
        break;
    case SL_E_STRUCT:
        sl_strbuf_puts(out, "STRUCT(");
        for (int i = 0; i < x->u.struct_.values.count; i++) {
            if (i)
                sl_strbuf_puts(out, ", ");
            sl_strbuf_printf(out, "%s := ", x->u.struct_.names[i]);
            sl_expr_print(out, x->u.struct_.values.items[i]);
        }
        sl_strbuf_putc(out, ')');
        break;
    case SL_E_INTERVAL:
        sl_strbuf_puts(out, x->u.interval.unit);
        break;
    }
}
