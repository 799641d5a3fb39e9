/* Planning a record's time (see sl_time_extractor in plan.h). A string
 * column is parsed by the same code as STRINGTOTIMESTAMP(column, format),
 * compiled once over a scope that holds only that column, so that the
 * extractor reads the row slot it was built for whatever else the row
 * holds (a join's two sides, a projection's output values). */
#include "sql/plan.h"

#include <string.h>
#include <strings.h>

static sl_cexpr *compile_string_parser(const char *column, const sl_type *type, int index, const char *format,
                                       sl_arena *a, const char *file, sl_pos pos, sl_error *err)
{
    sl_scope_col only = {.name = column, .type = type, .index = index};
    sl_scope scope = {.cols = &only, .ncols = 1, .file = file, .arena = a};
    sl_expr *col = sl_arena_calloc(a, 1, sizeof *col);
    col->kind = SL_E_COLUMN;
    col->pos = pos;
    col->u.col.name = column;
    sl_expr *fmt = sl_arena_calloc(a, 1, sizeof *fmt);
    fmt->kind = SL_E_LITERAL;
    fmt->pos = pos;
    fmt->u.lit.value = sl_cstring(format);
    fmt->u.lit.type = &sl_type_string;
    sl_expr **args = sl_arena_calloc(a, 2, sizeof *args);
    args[0] = col;
    args[1] = fmt;
    sl_expr *call = sl_arena_calloc(a, 1, sizeof *call);
    call->kind = SL_E_CALL;
    call->pos = pos;
    call->u.call.name = "STRINGTOTIMESTAMP";
    call->u.call.args.items = args;
    call->u.call.args.count = 2;
    return sl_expr_compile(&scope, call, err);
}

sl_err_t sl_time_extractor_build(sl_time_extractor *x, const char *column, const sl_type *type, int index,
                                 const char *format, const sl_catalog *cat, sl_arena *a, const char *file,
                                 sl_pos pos, sl_error *err)
{
    memset(x, 0, sizeof *x);
    if (!column)
        return SL_OK;
    const char *throw_prop = sl_catalog_property(cat, "ksql.timestamp.throw.on.invalid");
    x->throw_on_invalid = throw_prop && !strcasecmp(throw_prop, "true");
    x->column = column;
    x->index = index;
    sl_kind k = type->kind;
    if (k == SL_BIGINT || k == SL_TIMESTAMP) {
        x->expr = sl_cexpr_column(a, index, type);
        return SL_OK;
    }
    if (k == SL_STRING && format) {
        x->format = format;
        x->expr = compile_string_parser(column, type, index, format, a, file, pos, err);
        return x->expr ? SL_OK : err->code;
    }
    return sl_error_at(err, SL_ERR_INVALID, file, pos.line, pos.col,
                       "Timestamp column, `%s`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format "
                       "specified",
                       column);
}

sl_err_t sl_time_extractor_for_source(sl_time_extractor *x, const sl_source *src, int base, const sl_catalog *cat,
                                      sl_arena *a, const char *file, sl_pos pos, sl_error *err)
{
    memset(x, 0, sizeof *x);
    if (!src->timestamp_column)
        return SL_OK;
    for (int i = 0; i < src->ncols; i++)
        if (!strcmp(src->cols[i].name, src->timestamp_column))
            return sl_time_extractor_build(x, src->cols[i].name, src->cols[i].type, base + i,
                                           src->timestamp_format, cat, a, file, pos, err);
    return SL_OK; /* the catalog checked that the column exists */
}
