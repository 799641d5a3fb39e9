/* COUNT_DISTINCT's HyperLogLog against values computed with stream-lib's
 * Java classes (the ones ksqlDB uses): hashes, and estimates in the
 * linear-counting range and beyond it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sql/hll.h"

static void test_hash_long(void **state)
{
    assert_int_equal(sl_hll_hash_long(0), 0);
    assert_int_equal(sl_hll_hash_long(1), 1527037976);
    assert_int_equal(sl_hll_hash_long(-1), -2037786185);
    assert_int_equal(sl_hll_hash_long(5), -1532609848);
    assert_int_equal(sl_hll_hash_long(1234567890123LL), 985882080);
    assert_int_equal(sl_hll_hash_long(INT64_MIN), 630388283);
    assert_int_equal(sl_hll_hash_long(INT64_MAX), 310834921);
}

static int32_t hash_str(const char *s)
{
    return sl_hll_hash_bytes((const unsigned char *)s, strlen(s));
}

static void test_hash_bytes(void **state)
{
    /* every tail length, and bytes >= 0x80 (Java reads them signed) */
    assert_int_equal(hash_str(""), -1285986640);
    assert_int_equal(hash_str("a"), 713507990);
    assert_int_equal(hash_str("ab"), -1797532438);
    assert_int_equal(hash_str("abc"), -1465591341);
    assert_int_equal(hash_str("abcd"), 1555318719);
    assert_int_equal(hash_str("abcde"), -392878951);
    assert_int_equal(hash_str("\xc3\xa9t\xc3\xa9"), -560686741);
    assert_int_equal(hash_str("\xc3\xbf\xc3\xbe\xc3\xbd"), 326319349);
}

/* the estimate after offering i * 7919 for i in [0, n) */
static int64_t estimate_of(int n)
{
    static uint8_t rank[SL_HLL_REGISTERS];
    static int32_t entries[SL_HLL_REGISTERS];
    memset(rank, 0, sizeof rank);
    for (int i = 0; i < n; i++) {
        uint32_t index, r;
        sl_hll_position(sl_hll_hash_long((int64_t)i * 7919), &index, &r);
        if (rank[index] < r)
            rank[index] = (uint8_t)r;
    }
    size_t k = 0;
    for (uint32_t j = 0; j < SL_HLL_REGISTERS; j++)
        if (rank[j])
            entries[k++] = (int32_t)(j << 5 | rank[j]);
    return sl_hll_cardinality(entries, k);
}

static void test_cardinality(void **state)
{
    assert_int_equal(sl_hll_cardinality(NULL, 0), 0);
    assert_int_equal(estimate_of(10), 10);
    assert_int_equal(estimate_of(1000), 1003);   /* linear counting */
    assert_int_equal(estimate_of(60000), 60530); /* the raw estimate */
}

static void test_shared_register(void **state)
{
    /* 67 and 217 fall in the same register: one distinct value for ksqlDB */
    uint32_t i1, i2, r1, r2;
    sl_hll_position(sl_hll_hash_long(67), &i1, &r1);
    sl_hll_position(sl_hll_hash_long(217), &i2, &r2);
    assert_int_equal(i1, i2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_long),
        cmocka_unit_test(test_hash_bytes),
        cmocka_unit_test(test_cardinality),
        cmocka_unit_test(test_shared_register),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
