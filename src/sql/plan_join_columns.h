/* The columns a join step sees (plan_join_columns.c): where each comes
 * from (source, alias, name), how a name resolves in the step's scope, the
 * canonical text of an expression, and the lineage an internal step hands
 * to the next (which expressions its key equals). */
#ifndef SL_PLAN_JOIN_COLUMNS_H
#define SL_PLAN_JOIN_COLUMNS_H

#include "sql/plan_join.h"

typedef struct orig_col {
    const char *q, *src, *name;
    const sl_type *type;
    int slot;
    bool pseudo;
} orig_col;

typedef struct orig_list {
    orig_col *cols;
    int n;
} orig_list;

void sl_join_add_side(sl_scope *scope, const sl_join_side *sd);
sl_join_lineage *sl_join_build_lineage(sl_arena *a, const sl_scope *full, const sl_join_plan *p, const sl_expr *lx,
                                       const sl_expr *rx, const char *lcanon, const char *rcanon);
const char *sl_join_canon_text(const sl_scope *sc, const sl_expr *x);
int sl_join_clash_count(const orig_list *o, const char *name);
void sl_join_collect_origs(const sl_join_side *sd, orig_list *o);
bool sl_join_colref(const sl_scope *sc, const sl_expr *x, const char **q, const char **name, const sl_type **type);
bool sl_join_in_list(const char **l, int n, const char *t);
bool sl_join_is_pseudo(const char *name);

#endif
