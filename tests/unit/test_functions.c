/* Unit tests of the helpers behind the string functions: MD5 against RFC
 * 1321's test suite, UTF-8 decoding of malformed input, UTF-16 conversion
 * with surrogate pairs, and the Unicode classes MASK uses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sql/md5.h"
#include "sql/utf16.h"

static void md5_hex(const char *s, char out[33])
{
    uint8_t d[16];
    sl_md5(s, strlen(s), d);
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_md5_rfc1321_suite(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char hex[33];
        md5_hex(cases[i][0], hex);
        assert_string_equal(hex, cases[i][1]);
    }
}

static void test_utf8_decode_malformed(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(sl_utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(sl_utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1F600);
    /* truncated, overlong, a lone continuation byte, an encoded surrogate */
    assert_int_equal(sl_utf8_decode((const unsigned char *)"\xE2\x82", 2, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(sl_utf8_decode((const unsigned char *)"\xC0\xAF", 2, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(sl_utf8_decode((const unsigned char *)"\x80", 1, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(sl_utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
}

static void test_utf16_round_trip_and_cut_pairs(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_new(0);
    const char *s = "a\xF0\x9F\x98\x80\xC3\xA9"; /* a, U+1F600, U+00E9 */
    sl_utf16 u = sl_utf16_from_utf8(a, s, strlen(s));
    assert_int_equal(u.n, 4);
    assert_int_equal(sl_utf16_length(s, strlen(s)), 4);
    assert_int_equal(u.units[1], 0xD83D);
    assert_int_equal(u.units[2], 0xDE00);
    uint32_t len;
    assert_string_equal(sl_utf16_to_utf8(a, u.units, 0, u.n, &len), s);
    assert_int_equal(len, strlen(s));
    /* a pair cut in two is written as '?', as Java's encoder does */
    assert_string_equal(sl_utf16_to_utf8(a, u.units, 0, 2, &len), "a?");
    assert_string_equal(sl_utf16_to_utf8(a, u.units, 2, 4, &len), "?\xC3\xA9");
    sl_arena_destroy(a);
}

static void test_unicode_categories(void **state)
{
    (void)state;
    assert_int_equal(sl_unicode_category_of('A'), SL_UC_UPPER);
    assert_int_equal(sl_unicode_category_of('z'), SL_UC_LOWER);
    assert_int_equal(sl_unicode_category_of('7'), SL_UC_DIGIT);
    assert_int_equal(sl_unicode_category_of('$'), SL_UC_OTHER);
    assert_int_equal(sl_unicode_category_of(0xC9), SL_UC_UPPER);   /* E acute */
    assert_int_equal(sl_unicode_category_of(0xDF), SL_UC_LOWER);   /* sharp s */
    assert_int_equal(sl_unicode_category_of(0x663), SL_UC_DIGIT);  /* Arabic-Indic three */
    assert_int_equal(sl_unicode_category_of(0x4E2D), SL_UC_OTHER); /* CJK: Lo */
    assert_int_equal(sl_unicode_category_of(0x1D400), SL_UC_UPPER); /* mathematical bold A */
    assert_int_equal(sl_unicode_category_of(0xDC00), SL_UC_OTHER);  /* a surrogate: Cs */
    assert_int_equal(sl_unicode_category_of(0x10FFFF), SL_UC_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_rfc1321_suite),
        cmocka_unit_test(test_utf8_decode_malformed),
        cmocka_unit_test(test_utf16_round_trip_and_cut_pairs),
        cmocka_unit_test(test_unicode_categories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
