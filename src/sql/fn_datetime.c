/* Date and time functions: parsing and formatting with Java patterns
 * (PARSE_*, FORMAT_*, and the older STRINGTO* / *TOSTRING over BIGINT and
 * INT), zones (CONVERT_TZ), epoch conversions (UNIX_*, FROM_*), and
 * arithmetic with a time unit keyword (DATEADD(DAYS, 1, d) and kin).
 *
 * A literal pattern is compiled once at resolve time and kept as the
 * binding's state; a pattern from a column is compiled per record into the
 * batch arena. A text that does not match its pattern is a runtime error:
 * the record is logged and the result is NULL, as in ksqlDB. */
#include <stdio.h>
#include <time.h>

#include "common/datefmt.h"
#include "sql/parser.h"
#include "sql/fn_util.h"

/* ---------- shared helpers ---------- */

typedef struct dt_state {
    const sl_datefmt *fmt; /* compiled literal pattern, or NULL */
    int unit_ms_idx;       /* for the arithmetic functions */
    int64_t unit_ms;
    int sign;              /* +1 ADD, -1 SUB */
} dt_state;

static const sl_datefmt *pattern_of(sl_fn_ctx *c, const sl_value *p)
{
    const dt_state *st = c->state;
    if (st && st->fmt)
        return st->fmt;
    char msg[200];
    const sl_datefmt *f = sl_datefmt_compile(p->u.s.ptr, p->u.s.len, c->arena, msg, sizeof msg);
    if (!f)
        sl_error_set(c->err, SL_ERR_RUNTIME, "%s", msg);
    return f;
}

static const char *zone_of(sl_fn_ctx *c, int n, const sl_value *v, int idx)
{
    if (n <= idx)
        return NULL;
    const char *z = sl_value_cstr(c->arena, &v[idx]);
    if (!sl_zone_valid(z)) {
        sl_error_set(c->err, SL_ERR_RUNTIME, "Unknown time-zone ID: %s", z);
        return (const char *)-1;
    }
    return z;
}

/* compile a literal pattern at resolve time so that a bad one is a statement error */
static sl_err_t bind_pattern(const sl_fn_args *a, int idx, sl_fn_binding *b, sl_error *e)
{
    dt_state *st = sl_arena_calloc(a->arena, 1, sizeof *st);
    b->state = st;
    const sl_value *lit = a->literals[idx];
    if (lit && !lit->null && lit->kind == SL_STRING) {
        char msg[200];
        st->fmt = sl_datefmt_compile(lit->u.s.ptr, lit->u.s.len, a->arena, msg, sizeof msg);
        if (!st->fmt)
            return sl_error_set(e, SL_ERR_INVALID, "%s", msg);
    }
    return SL_OK;
}

static sl_err_t parse_text_as(sl_fn_ctx *c, int n, const sl_value *v, int64_t *ms, bool prefix);

static sl_err_t parse_text(sl_fn_ctx *c, int n, const sl_value *v, int64_t *ms)
{
    return parse_text_as(c, n, v, ms, false);
}

/* prefix: text after what the pattern matches is ignored (PARSE_DATE is
 * SimpleDateFormat-based in ksqlDB, the others use DateTimeFormatter) */
static sl_err_t parse_text_as(sl_fn_ctx *c, int n, const sl_value *v, int64_t *ms, bool prefix)
{
    const sl_datefmt *f = pattern_of(c, &v[1]);
    if (!f)
        return SL_ERR_RUNTIME;
    const char *zone = zone_of(c, n, v, 2);
    if (zone == (const char *)-1)
        return SL_ERR_RUNTIME;
    char msg[300];
    if (!(prefix ? sl_datefmt_parse_prefix : sl_datefmt_parse)(f, v[0].u.s.ptr, v[0].u.s.len, zone, ms, msg, sizeof msg))
        return sl_error_set(c->err, SL_ERR_RUNTIME, "Failed to parse '%.*s' with pattern '%.*s': %s",
                            (int)(v[0].u.s.len > 100 ? 100 : v[0].u.s.len), v[0].u.s.ptr,
                            (int)(v[1].u.s.len > 100 ? 100 : v[1].u.s.len), v[1].u.s.ptr, msg);
    return SL_OK;
}

static sl_err_t format_ms(sl_fn_ctx *c, int n, const sl_value *v, int64_t ms, sl_value *o)
{
    const sl_datefmt *f = pattern_of(c, &v[1]);
    if (!f)
        return SL_ERR_RUNTIME;
    const char *zone = zone_of(c, n, v, 2);
    if (zone == (const char *)-1)
        return SL_ERR_RUNTIME;
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    bool ok = sl_datefmt_format(f, ms, zone, &sb);
    if (ok)
        *o = fn_str(c->arena, sb.data ? sb.data : "", sb.len);
    sl_strbuf_free(&sb);
    return ok ? SL_OK : sl_error_set(c->err, SL_ERR_RUNTIME, "cannot format the value");
}

/* ---------- parse ---------- */

static sl_err_t ev_parse_date(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int64_t ms;
    if (parse_text_as(c, n, v, &ms, true))
        return SL_ERR_RUNTIME;
    *o = sl_date((int32_t)sl_floor_div(ms, 86400000));
    return SL_OK;
}
static sl_err_t ev_stringtodate(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int64_t ms; /* DateTimeFormatter-based in ksqlDB: the whole text */
    if (parse_text(c, n, v, &ms))
        return SL_ERR_RUNTIME;
    *o = sl_int((int32_t)sl_floor_div(ms, 86400000));
    return SL_OK;
}
static sl_err_t ev_parse_timestamp(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int64_t ms;
    if (parse_text(c, n, v, &ms))
        return SL_ERR_RUNTIME;
    *o = sl_timestamp(ms);
    return SL_OK;
}
static sl_err_t ev_stringtotimestamp(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int64_t ms;
    if (parse_text(c, n, v, &ms))
        return SL_ERR_RUNTIME;
    *o = sl_bigint(ms);
    return SL_OK;
}
static sl_err_t ev_parse_time(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    int64_t ms;
    if (parse_text(c, n, v, &ms))
        return SL_ERR_RUNTIME;
    *o = sl_time(ms - sl_floor_div(ms, 86400000) * 86400000);
    return SL_OK;
}

/* (STRING, STRING[, STRING zone]) */
static sl_err_t r_parse_like(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, sl_fn_eval ev,
                             const sl_type *ret, bool zone_ok)
{
    if (a->argc < 2 || a->argc > (zone_ok ? 3 : 2) || !fn_kind(a, 0, SL_STRING) || !fn_kind(a, 1, SL_STRING) ||
        (a->argc == 3 && !fn_kind(a, 2, SL_STRING)))
        return sl_fn_bad_args(a, name, e);
    if (bind_pattern(a, 1, b, e))
        return SL_ERR_INVALID;
    return fn_bind(b, ev, ret, true);
}
static sl_err_t r_parse_date(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_parse_like(a, b, e, "PARSE_DATE", ev_parse_date, &sl_type_date, false);
}
static sl_err_t r_stringtodate(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_parse_like(a, b, e, "STRINGTODATE", ev_stringtodate, &sl_type_int, false);
}
static sl_err_t r_parse_timestamp(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_parse_like(a, b, e, "PARSE_TIMESTAMP", ev_parse_timestamp, &sl_type_timestamp, true);
}
static sl_err_t r_stringtotimestamp(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_parse_like(a, b, e, "STRINGTOTIMESTAMP", ev_stringtotimestamp, &sl_type_bigint, true);
}
static sl_err_t r_parse_time(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_parse_like(a, b, e, "PARSE_TIME", ev_parse_time, &sl_type_time, false);
}

/* ---------- format ---------- */

static sl_err_t ev_format_date(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    return format_ms(c, n, v, (int64_t)v[0].u.i * 86400000, o);
}
static sl_err_t ev_format_ts(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    return format_ms(c, n, v, v[0].u.l, o);
}

static sl_err_t r_format_like(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, sl_fn_eval ev,
                              const sl_type *in, bool zone_ok)
{
    if (a->argc < 2 || a->argc > (zone_ok ? 3 : 2) || !fn_kind(a, 1, SL_STRING) ||
        (a->argc == 3 && !fn_kind(a, 2, SL_STRING)))
        return sl_fn_bad_args(a, name, e);
    const sl_type *t0 = a->types[0];
    if (t0->kind != SL_NULLTYPE && t0->kind != in->kind && !sl_cast_implicit(t0, in))
        return sl_fn_bad_args(a, name, e);
    if (bind_pattern(a, 1, b, e))
        return SL_ERR_INVALID;
    b->arg_types[0] = in;
    return fn_bind(b, ev, &sl_type_string, true);
}
static sl_err_t r_format_date(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_format_like(a, b, e, "FORMAT_DATE", ev_format_date, &sl_type_date, false);
}
static sl_err_t r_datetostring(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_format_like(a, b, e, "DATETOSTRING", ev_format_date, &sl_type_int, false);
}
static sl_err_t r_format_timestamp(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_format_like(a, b, e, "FORMAT_TIMESTAMP", ev_format_ts, &sl_type_timestamp, true);
}
static sl_err_t r_timestamptostring(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_format_like(a, b, e, "TIMESTAMPTOSTRING", ev_format_ts, &sl_type_bigint, true);
}
static sl_err_t r_format_time(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_format_like(a, b, e, "FORMAT_TIME", ev_format_ts, &sl_type_time, false);
}

/* ---------- zones and epochs ---------- */

static sl_err_t ev_convert_tz(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const char *from = zone_of(c, n, v, 1), *to = zone_of(c, n, v, 2);
    if (from == (const char *)-1 || to == (const char *)-1)
        return SL_ERR_RUNTIME;
    int64_t ms = v[0].u.l;
    int off_from = 0, off_to = 0;
    sl_zone_offset(from, sl_floor_div(ms, 1000), &off_from, NULL);
    sl_zone_offset(to, sl_floor_div(ms, 1000), &off_to, NULL);
    *o = sl_timestamp(ms + ((int64_t)off_to - off_from) * 1000);
    return SL_OK;
}
static sl_err_t r_convert_tz(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 3 || !fn_kind(a, 0, SL_TIMESTAMP) || !fn_kind(a, 1, SL_STRING) || !fn_kind(a, 2, SL_STRING))
        return sl_fn_bad_args(a, "CONVERT_TZ", e);
    return fn_bind(b, ev_convert_tz, &sl_type_timestamp, true);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sl_err_t ev_unix_date(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_int(n ? v[0].u.i : (int32_t)sl_floor_div(now_ms(), 86400000));
    return SL_OK;
}
static sl_err_t r_unix_date(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc > 1 || (a->argc == 1 && !fn_kind(a, 0, SL_DATE)))
        return sl_fn_bad_args(a, "UNIX_DATE", e);
    return fn_bind(b, ev_unix_date, &sl_type_int, true);
}
static sl_err_t ev_unix_timestamp(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_bigint(n ? v[0].u.l : now_ms());
    return SL_OK;
}
static sl_err_t r_unix_timestamp(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc > 1 || (a->argc == 1 && !fn_kind(a, 0, SL_TIMESTAMP)))
        return sl_fn_bad_args(a, "UNIX_TIMESTAMP", e);
    return fn_bind(b, ev_unix_timestamp, &sl_type_bigint, true);
}
static sl_err_t ev_from_unixtime(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_timestamp(v[0].u.l);
    return SL_OK;
}
static sl_err_t r_from_unixtime(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_integral(a, 0))
        return sl_fn_bad_args(a, "FROM_UNIXTIME", e);
    b->arg_types[0] = &sl_type_bigint;
    return fn_bind(b, ev_from_unixtime, &sl_type_timestamp, true);
}
static sl_err_t ev_from_days(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    *o = sl_date(v[0].u.i);
    return SL_OK;
}
static sl_err_t r_from_days(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    if (a->argc != 1 || !fn_kind(a, 0, SL_INT))
        return sl_fn_bad_args(a, "FROM_DAYS", e);
    return fn_bind(b, ev_from_days, &sl_type_date, true);
}

/* ---------- arithmetic with a unit: XADD(unit, n, value) ---------- */

static sl_err_t ev_dateadd(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const dt_state *st = c->state;
    /* TimeUnit.toDays truncates toward zero */
    int64_t days = fn_int(&v[1]) * st->unit_ms / 86400000;
    *o = sl_date((int32_t)(v[2].u.i + st->sign * days));
    return SL_OK;
}
static sl_err_t ev_timeadd(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const dt_state *st = c->state;
    int64_t ms = v[2].u.l + st->sign * fn_int(&v[1]) * st->unit_ms;
    *o = sl_time(ms - sl_floor_div(ms, 86400000) * 86400000);
    return SL_OK;
}
static sl_err_t ev_timestampadd(sl_fn_ctx *c, int n, const sl_value *v, sl_value *o)
{
    const dt_state *st = c->state;
    *o = sl_timestamp(v[2].u.l + st->sign * fn_int(&v[1]) * st->unit_ms);
    return SL_OK;
}

static sl_err_t r_add_like(const sl_fn_args *a, sl_fn_binding *b, sl_error *e, const char *name, sl_kind target,
                           sl_fn_eval ev, int sign)
{
    const sl_value *unit = a->argc == 3 ? a->literals[0] : NULL;
    if (a->argc != 3 || !unit || unit->null || unit->kind != SL_STRING || !fn_integral(a, 1) ||
        !fn_kind(a, 2, target))
        return sl_fn_bad_args(a, name, e);
    char u[32];
    snprintf(u, sizeof u, "%.*s", (int)unit->u.s.len, unit->u.s.ptr);
    int64_t ms = sl_time_unit_ms(u);
    if (ms <= 0)
        return sl_fn_bad_args(a, name, e);
    dt_state *st = sl_arena_calloc(a->arena, 1, sizeof *st);
    st->unit_ms = ms;
    st->sign = sign;
    b->state = st;
    const sl_type *t = target == SL_DATE ? &sl_type_date : target == SL_TIME ? &sl_type_time : &sl_type_timestamp;
    b->arg_types[1] = target == SL_TIMESTAMP ? &sl_type_bigint : NULL;
    return fn_bind(b, ev, t, true);
}
static sl_err_t r_dateadd(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_add_like(a, b, e, "DATEADD", SL_DATE, ev_dateadd, 1);
}
static sl_err_t r_datesub(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_add_like(a, b, e, "DATESUB", SL_DATE, ev_dateadd, -1);
}
static sl_err_t r_timeadd(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_add_like(a, b, e, "TIMEADD", SL_TIME, ev_timeadd, 1);
}
static sl_err_t r_timesub(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_add_like(a, b, e, "TIMESUB", SL_TIME, ev_timeadd, -1);
}
static sl_err_t r_timestampadd(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_add_like(a, b, e, "TIMESTAMPADD", SL_TIMESTAMP, ev_timestampadd, 1);
}
static sl_err_t r_timestampsub(const sl_fn_args *a, sl_fn_binding *b, sl_error *e)
{
    return r_add_like(a, b, e, "TIMESTAMPSUB", SL_TIMESTAMP, ev_timestampadd, -1);
}

const sl_function_def sl_fn_family_datetime[] = {
    {"PARSE_DATE", r_parse_date},
    {"STRINGTODATE", r_stringtodate},
    {"PARSE_TIMESTAMP", r_parse_timestamp},
    {"STRINGTOTIMESTAMP", r_stringtotimestamp},
    {"PARSE_TIME", r_parse_time},
    {"FORMAT_DATE", r_format_date},
    {"DATETOSTRING", r_datetostring},
    {"FORMAT_TIMESTAMP", r_format_timestamp},
    {"TIMESTAMPTOSTRING", r_timestamptostring},
    {"FORMAT_TIME", r_format_time},
    {"CONVERT_TZ", r_convert_tz},
    {"UNIX_DATE", r_unix_date},
    {"UNIX_TIMESTAMP", r_unix_timestamp},
    {"FROM_UNIXTIME", r_from_unixtime},
    {"FROM_DAYS", r_from_days},
    {"DATEADD", r_dateadd},
    {"DATESUB", r_datesub},
    {"TIMEADD", r_timeadd},
    {"TIMESUB", r_timesub},
    {"TIMESTAMPADD", r_timestampadd},
    {"TIMESTAMPSUB", r_timestampsub},
    {NULL, NULL},
};
