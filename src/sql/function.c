/* The registry: a linear scan over the family tables, done only at compile
 * time (per call site), so no hash table is needed. */
#include "sql/function.h"

#include <string.h>
#include <strings.h>

#include "common/strbuf.h"

static const sl_function_def *const families[] = {
    sl_fn_family_string, sl_fn_family_math, sl_fn_family_datetime,
    sl_fn_family_json, sl_fn_family_collection, sl_fn_family_misc, sl_fn_family_regex, sl_fn_family_url,
    sl_fn_family_mask, sl_fn_family_bytes,
};

static bool harness_enabled;

void sl_function_enable_harness(bool on)
{
    harness_enabled = on;
}

bool sl_function_harness_enabled(void)
{
    return harness_enabled;
}

static const sl_function_def *find_in(const sl_function_def *family, const char *name)
{
    for (const sl_function_def *d = family; d->name; d++)
        if (!strcasecmp(d->name, name))
            return d;
    return NULL;
}

const sl_function_def *sl_function_lookup(const char *name)
{
    for (size_t f = 0; f < sizeof families / sizeof *families; f++) {
        const sl_function_def *d = find_in(families[f], name);
        if (d)
            return d;
    }
    return harness_enabled ? find_in(sl_fn_family_harness, name) : NULL;
}

sl_err_t sl_fn_bad_args(const sl_fn_args *args, const char *name, sl_error *err)
{
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    for (int i = 0; i < args->argc; i++) {
        if (i)
            sl_strbuf_puts(&sb, ", ");
        sl_strbuf_puts(&sb, args->types[i]->kind == SL_NULLTYPE ? "null"
                                                                : sl_type_to_sql(args->arena, args->types[i]));
    }
    sl_err_t rc = sl_error_set(err, SL_ERR_INVALID, "Function '%s' does not accept parameters (%s).",
                               name, sb.data ? sb.data : "");
    sl_strbuf_free(&sb);
    return rc;
}
