/* Java's number and base64 text rules (serde/javatext.h), case by case:
 * the answers are what the Java methods named in each test return. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "serde/javatext.h"

static void test_bigdecimal_to_string(void **state)
{
    /* new BigDecimal(text).toString() */
    const char *cases[][2] = {
        {"1e+16", "1E+16"}, {"1.50", "1.50"},     {"-0.0", "0.0"},       {"0.0000001", "1E-7"},
        {"0.000001", "0.000001"}, {"12e-1", "1.2"}, {"100", "100"},      {"0e5", "0E+5"},
        {"-1.5E-7", "-1.5E-7"}, {"123.456e2", "12345.6"}, {"1E3", "1E+3"}, {"007.5", "7.5"},
        {"-0", "0"},           {"0.00", "0.00"},  {"1.0E10", "1.0E+10"}, {".5", "0.5"},
        {"5.", "5"},           {"123456789012345678901234567890", "123456789012345678901234567890"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sl_bigdec d;
        assert_true(sl_bigdec_parse(cases[i][0], strlen(cases[i][0]), &d));
        sl_strbuf sb;
        sl_strbuf_init(&sb);
        sl_bigdec_to_string(&d, &sb);
        sl_strbuf_putc(&sb, 0);
        assert_string_equal(sb.data, cases[i][1]);
        sl_strbuf_free(&sb);
    }
    const char *not_decimals[] = {"", " 1", "1 ", "+", "1e", "1e+", ".", "abc", "1_000", "NaN", "0x10", "1.2.3"};
    for (size_t i = 0; i < sizeof not_decimals / sizeof *not_decimals; i++) {
        sl_bigdec d;
        assert_false(sl_bigdec_parse(not_decimals[i], strlen(not_decimals[i]), &d));
    }
}

static void test_bigdecimal_low_bits(void **state)
{
    /* BigDecimal.longValue() / intValue(): truncated, then the low bits */
    struct {
        const char *text;
        int64_t as_long;
        int32_t as_int;
    } cases[] = {
        {"2147483648", 2147483648LL, INT32_MIN},
        {"1.75", 1, 1},
        {"-2.5", -2, -2},
        {"1e10", 10000000000LL, 1410065408},
        {"3e19", -6893488147419103232LL, -1648885760},
        {"1e400", 0, 0},
        {"18446744073709551621", 5, 5},
        {"-9223372036854775809", INT64_MAX, -1},
        {"0.999", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sl_bigdec d;
        assert_true(sl_bigdec_parse(cases[i].text, strlen(cases[i].text), &d));
        uint64_t bits = sl_bigdec_low_bits(&d);
        assert_true((int64_t)bits == cases[i].as_long);
        assert_int_equal((int32_t)(uint32_t)bits, cases[i].as_int);
    }
}

static void test_decimal_fit(void **state)
{
    /* DecimalUtil.ensureFit: no rounding, |value| < 10^(p - s) */
    struct {
        const char *text;
        int p, s;
        sl_fit want;
        int64_t unscaled;
    } cases[] = {
        {"1.23456", 6, 5, SL_FIT_OK, 123456},   {"1.234567", 6, 5, SL_FIT_ROUNDING, 0},
        {"10.5", 3, 2, SL_FIT_OVERFLOW, 0},     {"10.5", 4, 2, SL_FIT_OK, 1050},
        {"1.2300", 4, 2, SL_FIT_OK, 123},       {"0.000", 1, 0, SL_FIT_OK, 0},
        {"1e1", 3, 0, SL_FIT_OK, 10},           {"-0.5", 1, 1, SL_FIT_OK, -5},
        {"1", 2, 2, SL_FIT_OVERFLOW, 0},        {"1e-400", 5, 2, SL_FIT_ROUNDING, 0},
        {"99999999999.5", 15, 4, SL_FIT_OK, 999999999995000LL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sl_bigdec d;
        sl_i128 u;
        assert_true(sl_bigdec_parse(cases[i].text, strlen(cases[i].text), &d));
        assert_int_equal(sl_bigdec_fit(&d, cases[i].p, cases[i].s, &u), cases[i].want);
        if (cases[i].want == SL_FIT_OK)
            assert_true(u == cases[i].unscaled);
    }
    /* DecimalUtil.cast(String): half up */
    struct {
        const char *text;
        int64_t unscaled;
    } half_up[] = {{"1.25", 13}, {"-1.25", -13}, {"0.04", 0}, {"0.05", 1}, {"0.0049", 0}};
    for (size_t i = 0; i < sizeof half_up / sizeof *half_up; i++) {
        sl_bigdec d;
        sl_i128 u;
        assert_true(sl_bigdec_parse(half_up[i].text, strlen(half_up[i].text), &d));
        assert_int_equal(sl_bigdec_fit_half_up(&d, 3, 1, &u), SL_FIT_OK);
        assert_true(u == half_up[i].unscaled);
    }
}

static void test_java_parse_int(void **state)
{
    struct {
        const char *text;
        int bits;
        bool ok;
        int64_t v;
    } cases[] = {
        {"+5", 32, true, 5},          {"-0", 32, true, 0},
        {"007", 32, true, 7},         {"2147483648", 32, false, 0},
        {"-2147483648", 32, true, INT32_MIN}, {" 5", 32, false, 0},
        {"5 ", 32, false, 0},         {"", 32, false, 0},
        {"+", 32, false, 0},          {"1.0", 32, false, 0},
        {"1e3", 64, false, 0},        {"9223372036854775807", 64, true, INT64_MAX},
        {"9223372036854775808", 64, false, 0}, {"-9223372036854775808", 64, true, INT64_MIN},
        {"99999999999999999999999", 64, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t v = 0;
        assert_int_equal(sl_java_parse_int(cases[i].text, strlen(cases[i].text), cases[i].bits, &v), cases[i].ok);
        if (cases[i].ok)
            assert_true(v == cases[i].v);
    }
}

static void test_java_parse_double(void **state)
{
    struct {
        const char *text;
        bool ok;
        double v;
    } cases[] = {
        {" 2.5 ", true, 2.5}, {"1.5f", true, 1.5},   {"2d", true, 2.0},    {"0x1p3", true, 8.0},
        {"0x1.8", false, 0},  {"nan", false, 0},     {"inf", false, 0},    {"infinity", false, 0},
        {"1e", false, 0},     {".5", true, 0.5},     {"5.", true, 5.0},    {"1e3", true, 1000.0},
        {"", false, 0},       {"1.5p3", false, 0},   {"-Infinity", true, -INFINITY},
        {"+1", true, 1.0},    {"1e400", true, INFINITY}, {"1,5", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double v = 0;
        assert_int_equal(sl_java_parse_double(cases[i].text, strlen(cases[i].text), &v), cases[i].ok);
        if (cases[i].ok)
            assert_true(v == cases[i].v);
    }
    double v;
    assert_true(sl_java_parse_double("NaN", 3, &v) && isnan(v));
    assert_true(sl_java_parse_double("-NaN", 4, &v) && isnan(v));
}

static void test_base64(void **state)
{
    /* Jackson (JSON BYTES): trimmed, white space between units, padding required */
    struct {
        const char *text, *bytes;
    } jackson[] = {{" YQ== ", "a"}, {"YQ== YWI=", "aab"}, {"YQ==YWI=", "aab"}, {"YWJj", "abc"}, {"", ""},
                   {"YQ", NULL},    {"YQ=", NULL},        {"-_8=", NULL},      {"Y", NULL},     {"YQ==x", NULL}};
    for (size_t i = 0; i < sizeof jackson / sizeof *jackson; i++) {
        unsigned char buf[32];
        size_t n;
        bool ok = sl_base64_decode_jackson(jackson[i].text, strlen(jackson[i].text), buf, &n);
        assert_int_equal(ok, jackson[i].bytes != NULL);
        if (ok) {
            assert_int_equal(n, strlen(jackson[i].bytes));
            assert_memory_equal(buf, jackson[i].bytes, n);
        }
    }
    /* java.util.Base64 (DELIMITED BYTES): padding optional, nothing else */
    struct {
        const char *text, *bytes;
    } java[] = {{"YQ", "a"},      {"YQ==", "a"},      {"YWI", "ab"},  {"YWJj", "abc"}, {"YQ=", NULL},
                {"YQ==YQ==", NULL}, {"Y", NULL},      {"Y Q==", NULL}, {"-_8=", NULL}, {"=", NULL}};
    for (size_t i = 0; i < sizeof java / sizeof *java; i++) {
        unsigned char buf[32];
        size_t n;
        bool ok = sl_base64_decode_java(java[i].text, strlen(java[i].text), buf, &n);
        assert_int_equal(ok, java[i].bytes != NULL);
        if (ok) {
            assert_int_equal(n, strlen(java[i].bytes));
            assert_memory_equal(buf, java[i].bytes, n);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bigdecimal_to_string), cmocka_unit_test(test_bigdecimal_low_bits),
        cmocka_unit_test(test_decimal_fit),          cmocka_unit_test(test_java_parse_int),
        cmocka_unit_test(test_java_parse_double),    cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
