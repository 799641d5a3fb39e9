/* Window assignment and closing at every boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ops/window.h"

static void test_tumbling(void **state)
{
    int64_t s[8];
    assert_int_equal(sl_window_starts(1000, 1000, 0, s, 8), 1);
    assert_int_equal(s[0], 0);
    assert_int_equal(sl_window_starts(1000, 1000, 999, s, 8), 1);
    assert_int_equal(s[0], 0);
    assert_int_equal(sl_window_starts(1000, 1000, 1000, s, 8), 1); /* end is exclusive */
    assert_int_equal(s[0], 1000);
}

static void test_hopping_alignment(void **state)
{
    int64_t s[8];
    /* size 10s, advance 2s: a record at 11s is in [2,12) [4,14) [6,16) [8,18) [10,20) */
    assert_int_equal(sl_window_starts(10000, 2000, 11000, s, 8), 5);
    assert_int_equal(s[0], 2000);
    assert_int_equal(s[4], 10000);
    /* near zero no window starts before 0 */
    assert_int_equal(sl_window_starts(10000, 2000, 1000, s, 8), 1);
    assert_int_equal(s[0], 0);
    /* on an advance boundary */
    assert_int_equal(sl_window_starts(10000, 2000, 10000, s, 8), 5);
    assert_int_equal(s[0], 2000);
    /* advance that does not divide size */
    assert_int_equal(sl_window_starts(1000, 300, 1000, s, 8), 3);
    assert_int_equal(s[0], 300);
    assert_int_equal(s[2], 900);
    /* max bound respected */
    assert_int_equal(sl_window_starts(10000, 1000, 50000, s, 4), 4);
}

static void test_grace_edges(void **state)
{
    /* window [0,1000), grace 0: open until stream time reaches 1000 */
    assert_true(sl_window_open(1000, 0, 999));
    assert_false(sl_window_open(1000, 0, 1000));
    /* grace 500 keeps it open 500ms more */
    assert_true(sl_window_open(1000, 500, 1499));
    assert_false(sl_window_open(1000, 500, 1500));
}

static void test_session_absorb(void **state)
{
    /* session [100, 200], gap 50 absorbs 50..250 */
    assert_true(sl_session_absorbs(100, 200, 50, 250));
    assert_true(sl_session_absorbs(100, 200, 50, 50));
    assert_false(sl_session_absorbs(100, 200, 50, 251));
    assert_false(sl_session_absorbs(100, 200, 50, 49));
    /* out of order record between two sessions bridges both */
    assert_true(sl_session_absorbs(0, 10, 30, 35));
    assert_true(sl_session_absorbs(60, 70, 30, 35));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tumbling),
        cmocka_unit_test(test_hopping_alignment),
        cmocka_unit_test(test_grace_edges),
        cmocka_unit_test(test_session_absorb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
