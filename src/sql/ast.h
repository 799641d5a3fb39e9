/* Abstract syntax of ksqlDB statements, as the parser produces it. Every node
 * lives in the statement file's arena and carries its source position. The
 * analyzer annotates expressions with their types (expr->type) in place. */
#ifndef SL_AST_H
#define SL_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/types.h"
#include "common/value.h"

typedef struct sl_pos {
    int line, col;
} sl_pos;

typedef enum sl_expr_kind {
    SL_E_LITERAL,   /* literal (value, type) */
    SL_E_COLUMN,    /* [qualifier.]name */
    SL_E_DEREF,     /* base->field */
    SL_E_SUBSCRIPT, /* base[index] */
    SL_E_UNARY,     /* op: '-', '+', 'N'(NOT) */
    SL_E_BINARY,    /* op: + - * / % = <> < <= > >= AND OR || */
    SL_E_IS_NULL,   /* negated: IS NOT NULL */
    SL_E_BETWEEN,   /* operand BETWEEN lo AND hi; negated */
    SL_E_IN,        /* operand IN (list); negated */
    SL_E_LIKE,      /* operand LIKE pattern [ESCAPE c]; negated */
    SL_E_CASE,      /* [operand] WHEN .. THEN .. [ELSE] */
    SL_E_CAST,
    SL_E_CALL,      /* name(args); star for COUNT(*) */
    SL_E_LAMBDA,    /* (params) => body */
    SL_E_ARRAY,     /* ARRAY[...] */
    SL_E_MAP,       /* MAP(k := v, ...) */
    SL_E_STRUCT,    /* STRUCT(name := v, ...) */
    SL_E_INTERVAL,  /* time unit keyword passed to a function: text in name */
} sl_expr_kind;

typedef enum sl_binop {
    SL_OP_ADD, SL_OP_SUB, SL_OP_MUL, SL_OP_DIV, SL_OP_MOD,
    SL_OP_EQ, SL_OP_NE, SL_OP_LT, SL_OP_LE, SL_OP_GT, SL_OP_GE,
    SL_OP_AND, SL_OP_OR, SL_OP_CONCAT, SL_OP_DISTINCT, SL_OP_NOT_DISTINCT,
    SL_OP_NEG, SL_OP_PLUS, SL_OP_NOT,
} sl_binop;

typedef struct sl_expr sl_expr;

typedef struct sl_expr_list {
    sl_expr **items;
    int count;
} sl_expr_list;

struct sl_expr {
    sl_expr_kind kind;
    sl_pos pos;
    const sl_type *type; /* set by the analyzer */
    int height;          /* 1 for a leaf; bounded by the parser so that the
                            recursive passes over the tree cannot overflow */
    union {
        struct { sl_value value; const sl_type *type; } lit;
        struct { const char *qualifier; const char *name; } col; /* qualifier may be NULL */
        struct { sl_expr *base; const char *field; } deref;
        struct { sl_expr *base, *index; } sub;
        struct { sl_binop op; sl_expr *arg; } unary;
        struct { sl_binop op; sl_expr *left, *right; } binary;
        struct { sl_expr *arg; bool negated; } isnull;
        struct { sl_expr *arg, *lo, *hi; bool negated; } between;
        struct { sl_expr *arg; sl_expr_list list; bool negated; } in;
        struct { sl_expr *arg, *pattern; char escape; bool negated; } like;
        struct { sl_expr *operand; sl_expr_list whens, thens; sl_expr *otherwise; } case_;
        struct { sl_expr *arg; const sl_type *to; } cast;
        struct { const char *name; sl_expr_list args; bool star, distinct; } call;
        struct { const char **params; int nparams; sl_expr *body; } lambda;
        struct { sl_expr_list items; } array;
        struct { sl_expr_list keys, values; } map;
        struct { const char **names; sl_expr_list values; } struct_;
        struct { const char *unit; } interval;
    } u;
};

/* Column definition in CREATE STREAM/TABLE (cols). */
typedef enum sl_col_role { SL_COL_VALUE, SL_COL_KEY, SL_COL_PRIMARY_KEY, SL_COL_HEADERS, SL_COL_HEADER } sl_col_role;

typedef struct sl_column_def {
    const char *name;
    const sl_type *type;
    sl_col_role role;
    const char *header_key; /* HEADER('k') */
    sl_pos pos;
} sl_column_def;

/* WITH (...) properties: name upper-cased, value literal. */
typedef struct sl_property {
    const char *name;
    sl_value value; /* STRING, INT/BIGINT, BOOLEAN, DECIMAL */
    sl_pos pos;
} sl_property;

typedef struct sl_property_list {
    sl_property *items;
    int count;
} sl_property_list;

typedef struct sl_select_item {
    sl_expr *expr;        /* NULL for * or qualifier.* */
    const char *alias;    /* may be NULL */
    const char *star_qualifier; /* for src.* (NULL for plain *) */
    bool star;
    bool struct_all; /* expr->*: one column per field of the STRUCT expr */
    sl_pos pos;
} sl_select_item;

typedef enum sl_join_type { SL_JOIN_INNER, SL_JOIN_LEFT, SL_JOIN_RIGHT, SL_JOIN_FULL } sl_join_type;

typedef struct sl_from_item {
    const char *name;  /* source name */
    const char *alias; /* may be NULL */
    sl_pos pos;
} sl_from_item;

typedef struct sl_join {
    sl_join_type type;
    sl_from_item right;
    sl_expr *on;
    bool has_within;
    int64_t within_before_ms, within_after_ms, within_grace_ms;
    bool has_within_grace;
    sl_pos pos;
} sl_join;

typedef enum sl_window_kind { SL_WINDOW_NONE, SL_WINDOW_TUMBLING, SL_WINDOW_HOPPING, SL_WINDOW_SESSION } sl_window_kind;

typedef struct sl_window_def {
    sl_window_kind kind;
    int64_t size_ms, advance_ms, retention_ms, grace_ms;
    bool has_retention, has_grace;
    sl_pos pos;
} sl_window_def;

typedef struct sl_select {
    sl_select_item *items;
    int nitems;
    sl_from_item from;
    sl_join *joins;
    int njoins;
    sl_window_def window;
    sl_expr *where;
    sl_expr_list group_by;
    sl_expr_list partition_by;
    sl_expr *having;
    bool emit_changes, emit_final;
    int64_t limit; /* -1 none */
    sl_pos pos;
} sl_select;

typedef enum sl_stmt_kind {
    SL_STMT_CREATE_SOURCE, /* CREATE STREAM|TABLE (cols) WITH */
    SL_STMT_CREATE_AS,     /* CREATE STREAM|TABLE AS SELECT */
    SL_STMT_INSERT_INTO,   /* INSERT INTO x SELECT */
    SL_STMT_INSERT_VALUES, /* INSERT INTO x (cols) VALUES (...) */
    SL_STMT_DROP,
    SL_STMT_SET,
    SL_STMT_UNSET,
    SL_STMT_CREATE_TYPE,
    SL_STMT_DROP_TYPE,
    SL_STMT_SELECT, /* a transient (push/pull) query */
    SL_STMT_OTHER, /* recognised but not supported (e.g. SHOW, DESCRIBE) */
} sl_stmt_kind;

typedef struct sl_stmt {
    sl_stmt_kind kind;
    sl_pos pos;
    bool is_table;   /* TABLE vs STREAM */
    bool or_replace, if_not_exists, if_exists, source_kw, delete_topic;
    const char *name;
    sl_column_def *columns;
    int ncolumns;
    bool has_columns;
    sl_property_list with;
    sl_select *select;
    /* INSERT VALUES */
    const char **insert_columns;
    int ninsert_columns;
    sl_expr_list insert_values;
    /* SET / UNSET */
    const char *set_name, *set_value;
    /* OTHER: for ALTER STREAM|TABLE x ..., the name of x */
    const char *other_target;
    /* CREATE TYPE */
    const sl_type *type_def;
    const char *text; /* the statement's source text (for messages) */
    /* an internal step of an n-way join, built by the topology: its result
     * carries every column of its sources, keyed by the join key */
    bool join_step;
} sl_stmt;

typedef struct sl_stmt_list {
    sl_stmt **items;
    int count;
} sl_stmt_list;

#endif
