/* Unit tests for the SQL front end: lexer, parser, expression compiler and
 * evaluation (null rules, arithmetic types, casts, LIKE, CASE, lambdas) and
 * the error messages with their places. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sql/cast.h"
#include "sql/expr.h"
#include "sql/lexer.h"
#include "sql/parser.h"

static sl_arena *arena;

static int setup(void **state)
{
    arena = sl_arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    sl_arena_destroy(arena);
    return 0;
}

static void test_lexer_tokens(void **state)
{
    sl_token_list toks;
    sl_error err = {0};
    assert_int_equal(sl_lex("select `Quoted`, 'it''s', 1.5, 2e3, 7 -- comment\n<> /* c */ x", "f", arena, &toks, &err), SL_OK);
    assert_int_equal(toks.count, 13); /* with EOF */
    assert_string_equal(toks.items[0].text, "SELECT");
    assert_string_equal(toks.items[1].text, "Quoted");
    assert_true(toks.items[1].quoted);
    assert_int_equal(toks.items[3].kind, SL_TOK_STRING);
    assert_string_equal(toks.items[3].text, "it's");
    assert_int_equal(toks.items[5].kind, SL_TOK_DECIMAL);
    assert_int_equal(toks.items[7].kind, SL_TOK_FLOAT);
    assert_int_equal(toks.items[9].kind, SL_TOK_INTEGER);
    assert_string_equal(toks.items[10].text, "<>");
    assert_int_equal(toks.items[10].line, 2);
    assert_int_equal(toks.items[11].col, 12);
}

static void test_lexer_errors(void **state)
{
    sl_token_list toks;
    sl_error err = {0};
    assert_int_equal(sl_lex("a\n  'open", "q.sql", arena, &toks, &err), SL_ERR_INVALID);
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 3);
    assert_string_equal(err.msg, "unterminated string literal");
    assert_int_equal(sl_lex("x # y", "q.sql", arena, &toks, &err), SL_ERR_INVALID);
    assert_int_equal(err.col, 3);
}

static void test_parse_create_and_select(void **state)
{
    sl_stmt_list l;
    sl_error err = {0};
    const char *sql = "CREATE STREAM s (id STRING KEY, a ARRAY<INT>, m MAP<STRING, DECIMAL(4,2)>, st STRUCT<x INT>) "
                      "WITH (kafka_topic='t', value_format='JSON');\n"
                      "CREATE STREAM o WITH (KAFKA_TOPIC='out') AS SELECT id, a[1] + 2 * 3 AS v, st->x FROM s "
                      "WHERE NOT a IS NULL AND id LIKE 'x%' EMIT CHANGES;";
    assert_int_equal(sl_parse(sql, "f", arena, &l, &err), SL_OK);
    assert_int_equal(l.count, 2);
    sl_stmt *c = l.items[0];
    assert_int_equal(c->kind, SL_STMT_CREATE_SOURCE);
    assert_int_equal(c->ncolumns, 4);
    assert_int_equal(c->columns[0].role, SL_COL_KEY);
    assert_int_equal(c->columns[2].type->elem->kind, SL_DECIMAL);
    assert_int_equal(c->columns[2].type->elem->scale, 2);
    assert_string_equal(c->with.items[0].name, "KAFKA_TOPIC");
    sl_stmt *q = l.items[1];
    assert_int_equal(q->kind, SL_STMT_CREATE_AS);
    assert_int_equal(q->select->nitems, 3);
    /* precedence: a[1] + (2 * 3) */
    sl_expr *v = q->select->items[1].expr;
    assert_int_equal(v->kind, SL_E_BINARY);
    assert_int_equal(v->u.binary.op, SL_OP_ADD);
    assert_int_equal(v->u.binary.right->u.binary.op, SL_OP_MUL);
    assert_string_equal(q->select->items[1].alias, "V");
    assert_int_equal(q->select->items[2].expr->kind, SL_E_DEREF);
    /* NOT binds looser than IS NULL, AND looser than NOT */
    sl_expr *w = q->select->where;
    assert_int_equal(w->u.binary.op, SL_OP_AND);
    assert_int_equal(w->u.binary.left->kind, SL_E_UNARY);
    assert_int_equal(w->u.binary.left->u.unary.arg->kind, SL_E_IS_NULL);
    assert_true(q->select->emit_changes);
}

static void test_parse_error_place(void **state)
{
    sl_stmt_list l;
    sl_error err = {0};
    assert_int_equal(sl_parse("CREATE STREAM s (a INT) WITH (kafka_topic='t', value_format='JSON');\n"
                              "SELECT a +* 2 FROM s;", "q.sql", arena, &l, &err), SL_ERR_INVALID);
    assert_string_equal(err.file, "q.sql");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 11);
    assert_string_equal(err.msg, "syntax error: unexpected '*', expected an expression");
}

static void test_parse_struct_all_and_varchar_string(void **state)
{
    sl_stmt_list l;
    sl_error err = {0};
    const char *sql = "CREATE STREAM s (id VARCHAR(STRING) KEY, v VARCHAR(10), st STRUCT<a STRUCT<b INT>>) "
                      "WITH (kafka_topic='t', value_format='JSON');\n"
                      "CREATE STREAM o AS SELECT id, st->a->*, st->a->b AS b FROM s;";
    assert_int_equal(sl_parse(sql, "f", arena, &l, &err), SL_OK);
    assert_int_equal(l.items[0]->columns[0].type->kind, SL_STRING);
    assert_int_equal(l.items[0]->columns[1].type->kind, SL_STRING);
    const sl_select *q = l.items[1]->select;
    assert_int_equal(q->nitems, 3);
    /* st->a->*: the item is the base st->a, marked struct_all */
    assert_true(q->items[1].struct_all);
    assert_int_equal(q->items[1].expr->kind, SL_E_DEREF);
    assert_string_equal(q->items[1].expr->u.deref.field, "A");
    assert_false(q->items[2].struct_all);
    /* ->* only ends a select item */
    assert_int_equal(sl_parse("SELECT st->* + 1 FROM s;", "f", arena, &l, &err), SL_ERR_INVALID);
}

static void test_parse_windows_and_joins(void **state)
{
    sl_stmt_list l;
    sl_error err = {0};
    assert_int_equal(sl_parse("CREATE TABLE t AS SELECT a, COUNT(*) FROM s LEFT JOIN u WITHIN 10 SECONDS ON s.a = u.a "
                              "WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 10 SECONDS, GRACE PERIOD 0 MILLISECONDS) "
                              "GROUP BY a HAVING COUNT(*) > 1 EMIT FINAL;", "f", arena, &l, &err), SL_OK);
    sl_select *s = l.items[0]->select;
    assert_int_equal(s->njoins, 1);
    assert_int_equal(s->joins[0].type, SL_JOIN_LEFT);
    assert_int_equal(s->joins[0].within_before_ms, 10000);
    assert_int_equal(s->window.kind, SL_WINDOW_HOPPING);
    assert_int_equal(s->window.size_ms, 60000);
    assert_int_equal(s->window.advance_ms, 10000);
    assert_true(s->window.has_grace);
    assert_int_equal(s->group_by.count, 1);
    assert_true(s->emit_final);
    assert_true(s->items[1].expr->u.call.star);
}

/* compiles an expression over columns A INT, B BIGINT, S STRING, D DOUBLE, X ARRAY<INT> */
static sl_cexpr *compile(const char *text, sl_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM t;", text);
    sl_stmt_list l;
    if (sl_parse(sql, "e", arena, &l, err))
        return NULL;
    static sl_scope_col cols[5];
    cols[0] = (sl_scope_col){"A", "T", NULL, &sl_type_int, 0, false};
    cols[1] = (sl_scope_col){"B", "T", NULL, &sl_type_bigint, 1, false};
    cols[2] = (sl_scope_col){"S", "T", NULL, &sl_type_string, 2, false};
    cols[3] = (sl_scope_col){"D", "T", NULL, &sl_type_double, 3, false};
    cols[4] = (sl_scope_col){"X", "T", NULL, sl_type_array(arena, &sl_type_int), 4, false};
    sl_scope scope = {.cols = cols, .ncols = 5, .file = "e", .arena = arena};
    return sl_expr_compile(&scope, l.items[0]->select->items[0].expr, err);
}

static int eval_errors; /* failures the last eval() reported */

static sl_value eval(const char *text, const sl_type **type)
{
    sl_error err = {0};
    sl_cexpr *e = compile(text, &err);
    if (!e)
        fail_msg("compile of %s failed: %s", text, err.msg);
    static sl_value row[5];
    row[0] = sl_int(7);
    row[1] = sl_null(SL_BIGINT);
    row[2] = sl_cstring("hello");
    row[3] = sl_double(0.5);
    row[4] = sl_array_new(arena, 3);
    for (int i = 0; i < 3; i++)
        row[4].u.c.items[i] = sl_int(i + 10);
    sl_eval_ctx ctx = {.row = row, .arena = arena, .err = &err};
    sl_value out;
    sl_cexpr_eval(e, &ctx, &out);
    eval_errors = ctx.errors;
    if (type)
        *type = e->type;
    return out;
}

static void test_eval_arithmetic_types(void **state)
{
    const sl_type *t;
    sl_value v = eval("A + 1", &t);
    assert_int_equal(t->kind, SL_INT);
    assert_int_equal(v.u.i, 8);
    v = eval("A * D", &t);
    assert_int_equal(t->kind, SL_DOUBLE);
    assert_true(v.u.d == 3.5);
    v = eval("A / 2", &t);
    assert_int_equal(v.u.i, 3);
    v = eval("A / 0", &t); /* integer division by zero: NULL (and an error) */
    assert_true(v.null);
    v = eval("A + B", &t);
    assert_int_equal(t->kind, SL_BIGINT);
    assert_true(v.null);
    v = eval("1.5 + A", &t); /* DECIMAL(2,1) + INT -> DECIMAL(12,1) */
    assert_int_equal(t->kind, SL_DECIMAL);
    assert_int_equal(t->scale, 1);
    assert_true(v.u.dec.unscaled == 85);
    v = eval("2147483647 + 1", &t); /* wraps like Java */
    assert_int_equal(v.u.i, INT32_MIN);
}

static void test_eval_null_logic(void **state)
{
    sl_value v = eval("B > 1 OR A > 1", NULL);
    assert_false(v.null);
    assert_true(v.u.b);
    /* a comparison with NULL is false in ksqlDB, not NULL */
    v = eval("B > 1", NULL);
    assert_false(v.null);
    assert_false(v.u.b);
    /* AND/OR/NOT are Java's && || ! on boxed Booleans in ksqlDB: a NULL
     * operand that is reached fails the expression (NULL, logged) ... */
    v = eval("CAST(NULL AS BOOLEAN) AND A > 1", NULL);
    assert_true(v.null);
    assert_int_equal(eval_errors, 1);
    v = eval("CAST(NULL AS BOOLEAN) OR A > 1", NULL);
    assert_true(v.null);
    assert_int_equal(eval_errors, 1);
    v = eval("NOT CAST(NULL AS BOOLEAN)", NULL);
    assert_true(v.null);
    assert_int_equal(eval_errors, 1);
    /* ... and one that short-circuit skips does not */
    v = eval("A < 1 AND CAST(NULL AS BOOLEAN)", NULL);
    assert_false(v.null);
    assert_false(v.u.b);
    assert_int_equal(eval_errors, 0);
    v = eval("B > 1 AND A < 1", NULL);
    assert_false(v.null);
    assert_false(v.u.b);
    v = eval("B IS NULL", NULL);
    assert_true(v.u.b);
    v = eval("A IN (1, B, 7)", NULL);
    assert_true(v.u.b);
    /* IN: NULL matches nothing, and IN is never NULL */
    v = eval("A IN (1, B)", NULL);
    assert_false(v.null);
    assert_false(v.u.b);
    v = eval("NOT (B IN (1, 2))", NULL);
    assert_false(v.null);
    assert_true(v.u.b);
    v = eval("B NOT IN (1, 2)", NULL);
    assert_false(v.null);
    assert_true(v.u.b);
    v = eval("NOT (B BETWEEN 1 AND 2)", NULL);
    assert_false(v.null);
    assert_true(v.u.b);
    v = eval("A BETWEEN 7 AND 8", NULL);
    assert_true(v.u.b);
}

static void test_eval_strings_case_like(void **state)
{
    sl_value v = eval("S LIKE 'h_l%'", NULL);
    assert_true(v.u.b);
    v = eval("S LIKE 'H%'", NULL);
    assert_false(v.u.b);
    v = eval("CASE WHEN A > 10 THEN 'big' WHEN A > 5 THEN 'mid' ELSE 'small' END", NULL);
    assert_int_equal(v.u.s.len, 3);
    assert_memory_equal(v.u.s.ptr, "mid", 3);
    v = eval("CASE A WHEN 7 THEN 1 END", NULL);
    assert_int_equal(v.u.i, 1);
    v = eval("S + '!'", NULL);
    assert_memory_equal(v.u.s.ptr, "hello!", 6);
    v = eval("CAST(A AS STRING)", NULL);
    assert_memory_equal(v.u.s.ptr, "7", 1);
    v = eval("CAST(D AS STRING)", NULL);
    assert_memory_equal(v.u.s.ptr, "0.5", 3);
    v = eval("CAST('12' AS INT) + 1", NULL);
    assert_int_equal(v.u.i, 13);
    v = eval("CAST('x' AS INT)", NULL);
    assert_true(v.null);
}

static void test_eval_collections_lambdas(void **state)
{
    sl_value v = eval("X[1]", NULL);
    assert_int_equal(v.u.i, 10);
    v = eval("X[-1]", NULL);
    assert_int_equal(v.u.i, 12);
    v = eval("X[9]", NULL);
    assert_true(v.null);
    v = eval("TRANSFORM(X, x => x * 2)[2]", NULL);
    assert_int_equal(v.u.i, 22);
    v = eval("REDUCE(X, 0, (s, x) => s + x)", NULL);
    assert_int_equal(v.u.i, 33);
    const sl_type *t;
    v = eval("FILTER(X, x => x > 10)", &t);
    assert_int_equal(t->kind, SL_ARRAY);
    assert_int_equal(v.u.c.n, 2);
    v = eval("STRUCT(f := A, g := S)->g", NULL);
    assert_memory_equal(v.u.s.ptr, "hello", 5);
    v = eval("MAP('k' := 1, 'j' := 2)['j']", NULL);
    assert_int_equal(v.u.i, 2);
}

/* found by fuzz_sql: deep nesting overflowed the stack, and a huge
 * duration overflowed int64; both must be plain statement errors */
static sl_err_t parse_text(const char *sql, sl_error *err)
{
    sl_stmt_list l;
    return sl_parse(sql, "q.sql", arena, &l, err);
}

static char *repeat_expr(const char *head, const char *unit, int n, const char *tail)
{
    size_t len = strlen(head) + strlen(unit) * (size_t)n + strlen(tail) + 1;
    char *s = malloc(len);
    strcpy(s, head);
    for (int i = 0; i < n; i++)
        strcat(s, unit);
    strcat(s, tail);
    return s;
}

static void test_parse_limits(void **state)
{
    sl_error err = {0};
    const char *head = "CREATE STREAM s (a INT) WITH (kafka_topic='t', value_format='JSON');\nSELECT ";
    char *unary = repeat_expr(head, "+", 100000, "a FROM s;");
    assert_int_equal(parse_text(unary, &err), SL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    char *chain = repeat_expr(head, "a + ", 5000, "a FROM s;");
    assert_int_equal(parse_text(chain, &err), SL_ERR_INVALID);
    char *parens = repeat_expr(head, "(", 5000, "a FROM s;");
    assert_int_equal(parse_text(parens, &err), SL_ERR_INVALID);
    char *nots = repeat_expr(head, "NOT ", 5000, "true FROM s;");
    assert_int_equal(parse_text(nots, &err), SL_ERR_INVALID);
    /* deep but reasonable expressions still parse */
    char *fine = repeat_expr(head, "a + ", 100, "a FROM s;");
    assert_int_equal(parse_text(fine, &err), SL_OK);
    assert_int_equal(parse_text("CREATE STREAM s (a INT) WITH (kafka_topic='t', value_format='JSON');\n"
                                "CREATE TABLE t AS SELECT a, COUNT(*) FROM s "
                                "WINDOW TUMBLING (SIZE 9223372036854775807 DAYS) GROUP BY a;", &err),
                     SL_ERR_INVALID);
    assert_non_null(strstr(err.msg, "duration out of range"));
    free(unary);
    free(chain);
    free(parens);
    free(nots);
    free(fine);
}

static void test_compile_errors(void **state)
{
    sl_error err = {0};
    assert_null(compile("nope + 1", &err));
    assert_string_equal(err.msg, "Column 'NOPE' cannot be resolved.");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 8);
    assert_null(compile("S * 2", &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_null(compile("A = 'x' AND 1", &err));
    assert_null(compile("NO_SUCH_FN(A)", &err));
    assert_string_equal(err.msg, "Can't find any functions with the name 'NO_SUCH_FN'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lexer_tokens),
        cmocka_unit_test(test_lexer_errors),
        cmocka_unit_test(test_parse_create_and_select),
        cmocka_unit_test(test_parse_error_place),
        cmocka_unit_test(test_parse_struct_all_and_varchar_string),
        cmocka_unit_test(test_parse_windows_and_joins),
        cmocka_unit_test(test_eval_arithmetic_types),
        cmocka_unit_test(test_eval_null_logic),
        cmocka_unit_test(test_eval_strings_case_like),
        cmocka_unit_test(test_eval_collections_lambdas),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_parse_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
