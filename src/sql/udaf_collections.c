/* The aggregate functions whose state is a collection: COLLECT_LIST,
 * COLLECT_SET, COUNT_DISTINCT (ksqlDB's HyperLogLog), TOPK and
 * TOPKDISTINCT, HISTOGRAM, EARLIEST_BY_OFFSET and LATEST_BY_OFFSET, ATTR.
 * Resolution of their arguments and types is udaf.c's. */
#include "sql/udaf_collections.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sql/hll.h"
#include "sql/cast.h"

static sl_value identity_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    sl_value v = *s;
    if (v.null)
        v.kind = (uint8_t)f->ret->kind;
    return v;
}

/* ---- arrays: COLLECT_LIST, COLLECT_SET, COUNT_DISTINCT, TOPK ---- */
static void array_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    *s = sl_array_new(a, 0);
}
static void array_append(sl_value *s, const sl_value *x, sl_arena *a)
{
    sl_value n = sl_array_new(a, s->u.c.n + 1);
    if (s->u.c.n)
        if (s->u.c.n) /* memcpy's source must not be NULL, even for 0 bytes */
            memcpy(n.u.c.items, s->u.c.items, s->u.c.n * sizeof(sl_value));
    n.u.c.items[s->u.c.n] = *x;
    *s = n;
}
static int array_find(const sl_value *s, const sl_value *x)
{
    for (uint32_t i = 0; i < s->u.c.n; i++)
        if (sl_value_equal(&s->u.c.items[i], x))
            return (int)i;
    return -1;
}
static void array_remove_at(sl_value *s, int i)
{
    memmove(&s->u.c.items[i], &s->u.c.items[i + 1], (s->u.c.n - (uint32_t)i - 1) * sizeof(sl_value));
    s->u.c.n--;
}
static void list_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if ((int64_t)s->u.c.n < f->limit)
        array_append(s, &args[0], a);
}
/* undo takes out the last occurrence of the value (List.lastIndexOf in
 * ksqlDB), nothing if the limit kept it out */
static void list_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    int i = -1;
    for (uint32_t k = s->u.c.n; k-- > 0;)
        if (sl_value_equal(&s->u.c.items[k], &args[0])) {
            i = (int)k;
            break;
        }
    if (i >= 0)
        array_remove_at(s, i);
}
static void list_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    for (uint32_t i = 0; i < o->u.c.n; i++)
        list_add(f, s, &o->u.c.items[i], a);
}
static void set_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (args[0].null) {
        /* COLLECT_SET keeps one NULL, as ksqlDB's set does */
        for (uint32_t i = 0; i < s->u.c.n; i++)
            if (s->u.c.items[i].null)
                return;
        if ((int64_t)s->u.c.n < f->limit)
            array_append(s, &args[0], a);
        return;
    }
    if (array_find(s, &args[0]) < 0 && (int64_t)s->u.c.n < f->limit)
        array_append(s, &args[0], a);
}
static void set_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    for (uint32_t i = 0; i < o->u.c.n; i++)
        set_add(f, s, &o->u.c.items[i], a);
}
/* ---- COUNT_DISTINCT: ksqlDB's HyperLogLog (sql/hll.h); state: ARRAY of INT,
 * the non-zero registers as index << 5 | rank, in index order ---- */
static int32_t countd_hash(const sl_value *v, sl_arena *a)
{
    int64_t bits;
    switch (v->kind) {
    case SL_INT: return sl_hll_hash_long(v->u.i);
    case SL_BIGINT: return sl_hll_hash_long(v->u.l);
    case SL_DOUBLE:
        /* Double.doubleToRawLongBits */
        memcpy(&bits, &v->u.d, sizeof bits);
        return sl_hll_hash_long(bits);
    case SL_BOOLEAN: return v->u.b ? sl_hll_hash_bytes((const unsigned char *)"true", 4)
                                   : sl_hll_hash_bytes((const unsigned char *)"false", 5);
    case SL_STRING: return sl_hll_hash_bytes((const unsigned char *)v->u.s.ptr, v->u.s.len);
    default: {
        /* other types hash their text (Java hashes their toString(); the
         * two texts agree for the common types only) */
        sl_value t = sl_value_to_string(v, a);
        return sl_hll_hash_bytes((const unsigned char *)t.u.s.ptr, t.u.s.len);
    }
    }
}
/* register index <- max(rank, its current rank) */
static void countd_offer(sl_value *s, int32_t entry, sl_arena *a)
{
    uint32_t index = (uint32_t)entry >> 5, lo = 0, hi = s->u.c.n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((uint32_t)s->u.c.items[mid].u.i >> 5 < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->u.c.n && (uint32_t)s->u.c.items[lo].u.i >> 5 == index) {
        if ((s->u.c.items[lo].u.i & 31) < (entry & 31))
            s->u.c.items[lo].u.i = entry;
        return;
    }
    sl_value n = sl_array_new(a, s->u.c.n + 1);
    if (lo)
        memcpy(n.u.c.items, s->u.c.items, lo * sizeof(sl_value));
    n.u.c.items[lo] = sl_int(entry);
    if (s->u.c.n > lo)
        memcpy(n.u.c.items + lo + 1, s->u.c.items + lo, (s->u.c.n - lo) * sizeof(sl_value));
    *s = n;
}
static void countd_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (args[0].null)
        return;
    uint32_t index, rank;
    sl_hll_position(countd_hash(&args[0], a), &index, &rank);
    countd_offer(s, (int32_t)(index << 5 | rank), a);
}
static void countd_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    for (uint32_t i = 0; i < o->u.c.n; i++)
        countd_offer(s, o->u.c.items[i].u.i, a);
}
static sl_value countd_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    int32_t *entries = sl_arena_alloc(a, (s->u.c.n ? s->u.c.n : 1) * sizeof *entries);
    for (uint32_t i = 0; i < s->u.c.n; i++)
        entries[i] = s->u.c.items[i].u.i;
    return sl_bigint(sl_hll_cardinality(entries, s->u.c.n));
}

static int cmp_desc(const void *x, const void *y)
{
    return -sl_value_compare(x, y);
}
static void topk_add_impl(const sl_agg_fn *f, sl_value *s, const sl_value *x, sl_arena *a, bool distinct)
{
    if (x->null)
        return;
    if (distinct && array_find(s, x) >= 0)
        return;
    array_append(s, x, a);
    qsort(s->u.c.items, s->u.c.n, sizeof(sl_value), cmp_desc);
    if ((int64_t)s->u.c.n > f->limit)
        s->u.c.n = (uint32_t)f->limit;
}
/* TOPK(x, c0, c1, ..., k): STRUCT(sort_col, col0, ...) entries, by sort_col
 * descending; among equal ones the earlier stays first (Java's stable sort) */
static void topk_struct_insert(const sl_agg_fn *f, sl_value *s, const sl_value *entry, sl_arena *a)
{
    array_append(s, entry, a);
    uint32_t i = s->u.c.n - 1;
    while (i > 0 && sl_value_compare(&s->u.c.items[i - 1].u.c.items[0], &entry->u.c.items[0]) < 0) {
        s->u.c.items[i] = s->u.c.items[i - 1];
        i--;
    }
    s->u.c.items[i] = *entry;
    if ((int64_t)s->u.c.n > f->limit)
        s->u.c.n = (uint32_t)f->limit;
}
static void topk_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (!f->extra) {
        topk_add_impl(f, s, &args[0], a, false);
        return;
    }
    if (args[0].null)
        return;
    sl_value e = sl_struct_new(a, (uint32_t)f->extra + 1);
    for (int i = 0; i <= f->extra; i++)
        e.u.c.items[i] = sl_value_copy(a, &args[i]);
    topk_struct_insert(f, s, &e, a);
}
static void topkd_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    topk_add_impl(f, s, &args[0], a, true);
}
static void topk_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    for (uint32_t i = 0; i < o->u.c.n; i++)
        if (f->extra)
            topk_struct_insert(f, s, &o->u.c.items[i], a);
        else
            topk_add_impl(f, s, &o->u.c.items[i], a, false);
}

/* ---- HISTOGRAM: MAP<STRING, BIGINT> ---- */
static void map_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    *s = sl_map_new(a, 0);
}
static void histogram_step(sl_value *s, const sl_value *x, sl_arena *a, int sign)
{
    if (x->null)
        return;
    for (uint32_t i = 0; i < s->u.c.n; i++)
        if (sl_value_equal(&s->u.c.items[2 * i], x)) {
            s->u.c.items[2 * i + 1].u.l += sign;
            if (s->u.c.items[2 * i + 1].u.l <= 0) {
                memmove(&s->u.c.items[2 * i], &s->u.c.items[2 * i + 2], (s->u.c.n - i - 1) * 2 * sizeof(sl_value));
                s->u.c.n--;
            }
            return;
        }
    if (sign < 0 || s->u.c.n >= 1000)
        return;
    sl_value n = sl_map_new(a, s->u.c.n + 1);
    if (s->u.c.n)
        if (s->u.c.n) /* memcpy's source must not be NULL, even for 0 bytes */
            memcpy(n.u.c.items, s->u.c.items, 2 * s->u.c.n * sizeof(sl_value));
    n.u.c.items[2 * s->u.c.n] = *x;
    n.u.c.items[2 * s->u.c.n + 1] = sl_bigint(1);
    *s = n;
}
static void histogram_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    histogram_step(s, &args[0], a, 1);
}
static void histogram_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    for (uint32_t i = 0; i < o->u.c.n; i++) {
        int64_t times = o->u.c.items[2 * i + 1].u.l;
        histogram_step(s, &o->u.c.items[2 * i], a, 1);
        /* the entry now holds 1 more; add the rest of other's count */
        for (uint32_t k = 0; k < s->u.c.n; k++)
            if (sl_value_equal(&s->u.c.items[2 * k], &o->u.c.items[2 * i])) {
                s->u.c.items[2 * k + 1].u.l += times - 1;
                break;
            }
    }
}
static void histogram_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    histogram_step(s, &args[0], a, -1);
}

/* ---- EARLIEST_BY_OFFSET / LATEST_BY_OFFSET ----
 * Each kept value is a STRUCT(value, sequence): the state is NULL or one such
 * entry, or (with n) an ARRAY of them in arrival order. The sequence orders
 * values when session windows merge, as ksqlDB's does; it comes from a
 * process-wide counter that starts at the wall clock in nanoseconds, so that
 * values added after a restart still sort after restored ones (ksqlDB's
 * starts at 0 in every JVM). ---- */
static int64_t next_sequence(void)
{
    static _Atomic int64_t last;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    int64_t prev = atomic_load(&last), next;
    do
        next = prev + 1 > now ? prev + 1 : now;
    while (!atomic_compare_exchange_weak(&last, &prev, next));
    return next;
}
static sl_value by_offset_entry(const sl_value *x, sl_arena *a)
{
    sl_value e = sl_struct_new(a, 2);
    e.u.c.items[0] = *x;
    e.u.c.items[1] = sl_bigint(next_sequence());
    return e;
}
static int64_t entry_seq(const sl_value *e)
{
    return e->u.c.items[1].u.l;
}
static void by_offset_init(const sl_agg_fn *f, sl_value *s, sl_arena *a)
{
    if (f->has_n)
        *s = sl_array_new(a, 0);
    else
        *s = sl_null(SL_STRUCT);
}
static void earliest_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (args[0].null && f->ignore_nulls)
        return;
    if (f->has_n) {
        if ((int64_t)s->u.c.n < f->limit) {
            sl_value e = by_offset_entry(&args[0], a);
            array_append(s, &e, a);
        }
        return;
    }
    if (s->null)
        *s = by_offset_entry(&args[0], a);
}
static void latest_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    if (args[0].null && f->ignore_nulls)
        return;
    sl_value e = by_offset_entry(&args[0], a);
    if (f->has_n) {
        array_append(s, &e, a);
        if ((int64_t)s->u.c.n > f->limit)
            array_remove_at(s, 0);
        return;
    }
    *s = e;
}
static int cmp_entry_seq(const void *x, const void *y)
{
    int64_t a = entry_seq(x), b = entry_seq(y);
    return a < b ? -1 : a > b;
}
/* Both keep the oldest n of the two lists by sequence: ksqlDB's
 * LATEST_BY_OFFSET(x, n) merges this way too. */
static void by_offset_merge_n(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    sl_value m = sl_array_new(a, s->u.c.n + o->u.c.n);
    if (s->u.c.n)
        memcpy(m.u.c.items, s->u.c.items, s->u.c.n * sizeof(sl_value));
    if (o->u.c.n)
        memcpy(m.u.c.items + s->u.c.n, o->u.c.items, o->u.c.n * sizeof(sl_value));
    /* a stable order for equal sequences, as Java's sort keeps */
    for (uint32_t i = 1; i < m.u.c.n; i++) {
        sl_value e = m.u.c.items[i];
        uint32_t k = i;
        while (k > 0 && cmp_entry_seq(&m.u.c.items[k - 1], &e) > 0) {
            m.u.c.items[k] = m.u.c.items[k - 1];
            k--;
        }
        m.u.c.items[k] = e;
    }
    if ((int64_t)m.u.c.n > f->limit)
        m.u.c.n = (uint32_t)f->limit;
    *s = m;
}
static void earliest_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    if (f->has_n)
        by_offset_merge_n(f, s, o, a);
    else if (!o->null && (s->null || entry_seq(o) < entry_seq(s)))
        *s = *o;
}
static void latest_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    if (f->has_n) {
        by_offset_merge_n(f, s, o, a);
        return;
    }
    if (o->null)
        return;
    if (s->null) {
        *s = *o;
        return;
    }
    /* ignoring NULLs, an entry with a value wins over one without */
    bool s_val = !s->u.c.items[0].null, o_val = !o->u.c.items[0].null;
    if (f->ignore_nulls && s_val != o_val) {
        if (o_val)
            *s = *o;
        return;
    }
    if (entry_seq(o) > entry_seq(s))
        *s = *o;
}
static sl_value by_offset_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    if (f->has_n) {
        sl_value r = sl_array_new(a, s->u.c.n);
        for (uint32_t i = 0; i < s->u.c.n; i++)
            r.u.c.items[i] = s->u.c.items[i].u.c.items[0];
        return r;
    }
    if (s->null)
        return sl_null(f->ret->kind);
    sl_value v = s->u.c.items[0];
    if (v.null)
        v.kind = (uint8_t)f->ret->kind;
    return v;
}


/* ---- ATTR: the one value a group holds, or NULL when it holds several.
 * State: ARRAY of STRUCT(value, count); NULL is a value like any other; a
 * count never goes below 0 and entries at 0 stay (as ksqlDB's do). ---- */
static void attr_update(sl_value *s, const sl_value *x, int64_t count, sl_arena *a)
{
    for (uint32_t i = 0; i < s->u.c.n; i++) {
        sl_value *e = &s->u.c.items[i];
        if (sl_value_equal(&e->u.c.items[0], x)) {
            int64_t c = e->u.c.items[1].u.i + count;
            e->u.c.items[1].u.i = c < 0 ? 0 : (int32_t)c;
            return;
        }
    }
    if (count > 0) {
        sl_value e = sl_struct_new(a, 2);
        e.u.c.items[0] = *x;
        e.u.c.items[1] = sl_int((int32_t)count);
        array_append(s, &e, a);
    }
}
static void attr_add(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    attr_update(s, &args[0], 1, a);
}
static void attr_undo(const sl_agg_fn *f, sl_value *s, const sl_value *args, sl_arena *a)
{
    attr_update(s, &args[0], -1, a);
}
static void attr_merge(const sl_agg_fn *f, sl_value *s, const sl_value *o, sl_arena *a)
{
    for (uint32_t i = 0; i < o->u.c.n; i++)
        attr_update(s, &o->u.c.items[i].u.c.items[0], o->u.c.items[i].u.c.items[1].u.i, a);
}
static sl_value attr_result(const sl_agg_fn *f, const sl_value *s, sl_arena *a)
{
    const sl_value *only = NULL;
    for (uint32_t i = 0; i < s->u.c.n; i++)
        if (s->u.c.items[i].u.c.items[1].u.i > 0) {
            if (only)
                return sl_null(f->ret->kind);
            only = &s->u.c.items[i].u.c.items[0];
        }
    if (!only)
        return sl_null(f->ret->kind);
    sl_value v = *only;
    if (v.null)
        v.kind = (uint8_t)f->ret->kind;
    return v;
}


const sl_udaf sl_udaf_collections[] = {
    {"COLLECT_LIST", true, array_init, list_add, list_undo, list_merge, identity_result},
    {"COLLECT_SET", false, array_init, set_add, NULL, set_merge, identity_result},
    {"COUNT_DISTINCT", false, array_init, countd_add, NULL, countd_merge, countd_result},
    {"TOPK", false, array_init, topk_add, NULL, topk_merge, identity_result},
    {"TOPKDISTINCT", false, array_init, topkd_add, NULL, topk_merge, identity_result},
    {"HISTOGRAM", true, map_init, histogram_add, histogram_undo, histogram_merge, identity_result},
    {"EARLIEST_BY_OFFSET", false, by_offset_init, earliest_add, NULL, earliest_merge, by_offset_result},
    {"LATEST_BY_OFFSET", false, by_offset_init, latest_add, NULL, latest_merge, by_offset_result},
    {"ATTR", true, array_init, attr_add, attr_undo, attr_merge, attr_result},
    {NULL, false, NULL, NULL, NULL, NULL, NULL},
};
