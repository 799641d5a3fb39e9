/* EMIT FINAL's pending windows: each window once, taken in order of start,
 * then key length, then key bytes, however they were added. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ops/closing_windows.h"

static void test_order_and_dedupe(void **state)
{
    (void)state;
    sl_closing_windows *w = sl_closing_windows_new();
    /* a pseudo-random order of 3000 windows, each added three times */
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 3000; i++) {
            int k = (i * 7919) % 3000;
            /* a store key ends in the window's start, as here */
            char key[32];
            int n = snprintf(key, sizeof key, "%s%d@%d", k % 2 ? "kk" : "k", k % 10, k / 10);
            sl_closing_windows_add(w, key, (size_t)n, (int64_t)(k / 10) * 1000);
        }
    assert_int_equal(sl_closing_windows_count(w), 3000);
    const char *key, *prev_key = NULL;
    size_t klen, prev_len = 0;
    int64_t start, prev_start = INT64_MIN;
    size_t taken = 0;
    char prev[32];
    while (sl_closing_windows_first(w, &key, &klen, &start)) {
        if (prev_key) {
            bool ordered = start > prev_start ||
                           (start == prev_start && (klen > prev_len || (klen == prev_len && memcmp(key, prev, klen) > 0)));
            assert_true(ordered);
        }
        memcpy(prev, key, klen);
        prev_key = prev;
        prev_len = klen;
        prev_start = start;
        sl_closing_windows_pop(w);
        taken++;
    }
    assert_int_equal(taken, 3000);
    /* a window taken may be added again later */
    sl_closing_windows_add(w, "x", 1, 5);
    assert_int_equal(sl_closing_windows_count(w), 1);
    sl_closing_windows_destroy(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_dedupe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
