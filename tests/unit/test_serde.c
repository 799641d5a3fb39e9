/* Formats and date patterns: AVRO round trips and hostile input (the
 * fuzzer's finds live here), JSON and DELIMITED decoding and their errors,
 * and Java-style date/time patterns with zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/datefmt.h"
#include "common/strbuf.h"
#include "serde/json.h"
#include "serde/jsonschema.h"
#include "serde/serde.h"

static const sl_type *row_type(sl_arena *a)
{
    static sl_field f[4];
    f[0] = (sl_field){"A", &sl_type_bigint};
    f[1] = (sl_field){"B", &sl_type_string};
    f[2] = (sl_field){"C", sl_type_decimal(a, 6, 3)};
    f[3] = (sl_field){"D", sl_type_array(a, &sl_type_double)};
    return sl_type_struct(a, 4, f);
}

static void test_avro_round_trip(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    sl_serde *s = sl_serde_new(SL_FORMAT_AVRO, row_type(a), NULL, &err);
    assert_non_null(s);
    sl_value arr = sl_array_new(a, 2);
    arr.u.c.items[0] = sl_double(1.5);
    arr.u.c.items[1] = sl_double(-2.25);
    sl_value cols[4] = {sl_bigint(-42), sl_cstring("héllo"), sl_decimal(12345, 6, 3), arr};
    sl_strbuf out;
    sl_strbuf_init(&out);
    assert_int_equal(sl_serde_encode(s, cols, &out, &err), SL_OK);
    assert_true(out.len > 5);
    assert_int_equal(out.data[0], 0); /* Confluent magic byte */
    sl_value back[4];
    assert_int_equal(sl_serde_decode(s, out.data, out.len, back, a, &err), SL_OK);
    assert_int_equal(back[0].u.l, -42);
    assert_int_equal(back[1].u.s.len, strlen("héllo"));
    assert_memory_equal(back[1].u.s.ptr, "héllo", back[1].u.s.len);
    assert_true(back[2].u.dec.unscaled == 12345);
    assert_int_equal(back[3].u.c.n, 2);
    assert_true(back[3].u.c.items[1].u.d == -2.25);
    /* every truncation of a good record is an error, never a crash or leak */
    for (size_t n = 0; n < out.len; n++)
        assert_int_not_equal(sl_serde_decode(s, out.data, n, back, a, &err), SL_OK);
    sl_strbuf_free(&out);
    sl_serde_destroy(s);
    sl_arena_destroy(a);
}

/* found by fuzz_avro: a string length larger than the record made Avro C
 * allocate that much and leak it */
static void test_avro_claimed_length_beyond_record(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    sl_field inner[1] = {{"X", &sl_type_int}};
    sl_field f[5] = {{"A", &sl_type_bigint}, {"B", &sl_type_string}, {"C", sl_type_decimal(a, 6, 3)},
                     {"D", sl_type_array(a, &sl_type_double)}, {"E", sl_type_struct(a, 1, inner)}};
    sl_serde *s = sl_serde_new(SL_FORMAT_AVRO, sl_type_struct(a, 5, f), NULL, &err);
    assert_non_null(s);
    const unsigned char crash[] = {0, 0, 0, 0, 0, 2, 0, 2, 0x70, 0x78};
    sl_value cols[5];
    assert_int_not_equal(sl_serde_decode(s, crash, sizeof crash, cols, a, &err), SL_OK);
    /* a string claiming ~2^62 bytes */
    const unsigned char huge[] = {0, 0, 0, 0, 0, 2, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    assert_int_not_equal(sl_serde_decode(s, huge, sizeof huge, cols, a, &err), SL_OK);
    /* wrong magic byte */
    const unsigned char magic[] = {1, 0, 0, 0, 0, 2};
    assert_int_not_equal(sl_serde_decode(s, magic, sizeof magic, cols, a, &err), SL_OK);
    sl_serde_destroy(s);
    sl_arena_destroy(a);
}


/* PROTOBUF: values round trip; a NULL scalar reads back as its proto3
 * default; truncated input is an error, never a crash */
static void test_protobuf_round_trip(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    sl_field inner[1] = {{"X", &sl_type_int}};
    sl_field f[7] = {{"A", &sl_type_bigint},          {"B", &sl_type_string},
                     {"C", sl_type_decimal(a, 6, 3)}, {"D", sl_type_array(a, &sl_type_double)},
                     {"E", sl_type_struct(a, 1, inner)}, {"F", &sl_type_timestamp},
                     {"G", &sl_type_int}};
    const sl_type *t = sl_type_struct(a, 7, f);
    for (int nosr = 0; nosr < 2; nosr++) {
        sl_serde *s = sl_serde_new(nosr ? SL_FORMAT_PROTOBUF_NOSR : SL_FORMAT_PROTOBUF, t, NULL, &err);
        assert_non_null(s);
        sl_value arr = sl_array_new(a, 3);
        arr.u.c.items[0] = sl_double(1.5);
        arr.u.c.items[1] = sl_double(0);
        arr.u.c.items[2] = sl_double(-3);
        sl_value st = sl_struct_new(a, 1);
        st.u.c.items[0] = sl_int(-7);
        sl_value cols[7] = {sl_bigint(-42), sl_cstring("hi"), sl_decimal(-12345, 6, 3), arr,
                            st, sl_timestamp(-1), sl_null(SL_INT)};
        sl_strbuf out;
        sl_strbuf_init(&out);
        assert_int_equal(sl_serde_encode(s, cols, &out, &err), SL_OK);
        sl_value back[7];
        assert_int_equal(sl_serde_decode(s, out.data, out.len, back, a, &err), SL_OK);
        assert_true(back[0].u.l == -42);
        assert_int_equal(back[1].u.s.len, 2);
        assert_true(back[2].u.dec.unscaled == -12345);
        assert_int_equal(back[3].u.c.n, 3);
        assert_true(back[3].u.c.items[1].u.d == 0 && back[3].u.c.items[2].u.d == -3);
        assert_int_equal(back[4].u.c.items[0].u.i, -7);
        assert_true(back[5].u.l == -1);
        assert_false(back[6].null); /* proto3: no presence for scalars */
        assert_int_equal(back[6].u.i, 0);
        for (size_t n = 0; n + 1 < out.len; n++)
            sl_serde_decode(s, out.data, n, back, a, &err); /* must not crash; may or may not parse */
        sl_strbuf_free(&out);
        sl_serde_destroy(s);
    }
    sl_arena_destroy(a);
}


static void test_json_schema_inference(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const sl_type *t = sl_json_schema_to_type(
        "{\"type\":\"object\",\"properties\":{"
        "\"B\":{\"connect.index\":1,\"oneOf\":[{\"type\":\"null\"},{\"type\":\"string\"}]},"
        "\"A\":{\"connect.index\":0,\"type\":\"integer\",\"connect.type\":\"int32\"},"
        "\"C\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}},"
        "\"D\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"boolean\"}},"
        "\"E\":{\"type\":\"number\",\"title\":\"org.apache.kafka.connect.data.Decimal\","
        "\"connect.parameters\":{\"scale\":\"2\",\"connect.decimal.precision\":\"5\"}}}}",
        a, &err);
    assert_non_null(t);
    assert_int_equal(t->kind, SL_STRUCT);
    assert_int_equal(t->nfields, 5);
    assert_string_equal(t->fields[0].name, "A"); /* connect.index order */
    assert_int_equal(t->fields[0].type->kind, SL_INT);
    assert_int_equal(t->fields[1].type->kind, SL_STRING);
    assert_int_equal(t->fields[2].type->kind, SL_ARRAY);
    assert_int_equal(t->fields[2].type->elem->kind, SL_DOUBLE);
    assert_int_equal(t->fields[3].type->kind, SL_MAP);
    assert_int_equal(t->fields[4].type->kind, SL_DECIMAL);
    assert_int_equal(t->fields[4].type->scale, 2);
    assert_null(sl_json_schema_to_type("{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}", a, &err));
    assert_null(sl_json_schema_to_type("not json", a, &err));
    sl_arena_destroy(a);
}

static void test_json_decode_and_errors(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    sl_serde *s = sl_serde_new(SL_FORMAT_JSON, row_type(a), NULL, &err);
    assert_non_null(s);
    const char *good = "{\"a\": 7, \"B\": \"x\", \"c\": 1.5, \"d\": [1, 2.5]}";
    sl_value cols[4];
    assert_int_equal(sl_serde_decode(s, good, strlen(good), cols, a, &err), SL_OK);
    assert_int_equal(cols[0].u.l, 7);
    assert_memory_equal(cols[1].u.s.ptr, "x", 1);
    assert_true(cols[2].u.dec.unscaled == 1500);
    assert_int_equal(cols[3].u.c.n, 2);
    const char *bad[] = {"{\"a\": 7", "{\"a\": \"seven\"}", "[1,2", "\"\\u12\"", "{\"a\":1}}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_not_equal(sl_serde_decode(s, bad[i], strlen(bad[i]), cols, a, &err), SL_OK);
    sl_serde_destroy(s);
    sl_arena_destroy(a);
}

/* the escaping a JSON writer must do, one byte at a time: the reference
 * for sl_json_write_string's word-at-a-time scan */
static void escape_reference(sl_strbuf *sb, const char *s, size_t n)
{
    sl_strbuf_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            sl_strbuf_putc(sb, '\\');
            sl_strbuf_putc(sb, (char)c);
        } else if (c < 0x20) {
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                                : c == '\f' ? "\\f" : NULL;
            if (named)
                sl_strbuf_puts(sb, named);
            else
                sl_strbuf_printf(sb, "\\u%04x", c);
        } else {
            sl_strbuf_putc(sb, (char)c);
        }
    }
    sl_strbuf_putc(sb, '"');
}

static void test_json_string_escapes_at_every_position(void **state)
{
    const char specials[] = {'"', '\\', '\n', '\x01', '\x1f', '\t'};
    char text[40];
    for (size_t n = 0; n <= sizeof text; n++)
        for (size_t at = 0; at <= n; at++)
            for (size_t k = 0; k < sizeof specials; k++) {
                for (size_t i = 0; i < n; i++)
                    text[i] = (char)(i % 3 ? 'a' + i % 26 : 0xc3); /* UTF-8 lead bytes too */
                if (at < n)
                    text[at] = specials[k];
                sl_strbuf got, want;
                sl_strbuf_init(&got);
                sl_strbuf_init(&want);
                sl_json_write_string(&got, text, n);
                escape_reference(&want, text, n);
                assert_int_equal(got.len, want.len);
                assert_memory_equal(got.data, want.data, want.len);
                sl_strbuf_free(&got);
                sl_strbuf_free(&want);
            }
}

static void test_integer_text(void **state)
{
    const int64_t vs[] = {0, 7, -7, 1234567890123LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
        sl_strbuf got;
        sl_strbuf_init(&got);
        sl_strbuf_put_i64(&got, vs[i]);
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)vs[i]);
        assert_string_equal(got.data, want);
        sl_strbuf_free(&got);
    }
    /* and back: 18 digits take the fast path, 19 and more strtoll's */
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const char *texts[] = {"123456789012345678", "-123456789012345678", "9223372036854775807", "-9223372036854775808"};
    const int64_t want[] = {123456789012345678LL, -123456789012345678LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < 4; i++) {
        sl_value v;
        assert_int_equal(sl_json_parse_typed(texts[i], strlen(texts[i]), &sl_type_bigint, &v, a, &err), SL_OK);
        assert_true(v.u.l == want[i]);
    }
    /* beyond 64 bits, the low 64 bits, as Jackson's longValue() of a BigInteger */
    sl_value v;
    assert_int_equal(sl_json_parse_typed("9223372036854775808", 19, &sl_type_bigint, &v, a, &err), SL_OK);
    assert_true(v.u.l == INT64_MIN);
    sl_arena_destroy(a);
}

/* One JSON document read as a type by ksqlDB's rules; the value written
 * back as JSON (for comparison), or NULL when the record is rejected. */
static const char *json_as(sl_arena *a, const sl_type *t, const char *doc)
{
    sl_error err = {0};
    sl_value v;
    if (sl_json_parse_typed(doc, strlen(doc), t, &v, a, &err))
        return NULL;
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    if (v.kind == SL_STRING && !v.null) /* the text itself, not quoted */
        sl_strbuf_append(&sb, v.u.s.ptr, v.u.s.len);
    else
        sl_json_write(&sb, &v, t);
    char *out = sl_arena_strndup(a, sb.data ? sb.data : "", sb.len);
    sl_strbuf_free(&sb);
    return out;
}

/* KsqlJsonDeserializer's coercions, type by type (docs/coercion.md) */
static void test_json_coercions(void **state)
{
    sl_arena *a = sl_arena_new(0);
    const sl_type *dec42 = sl_type_decimal(a, 4, 2);
    sl_field lower[] = {{"f0", &sl_type_int}}, upper[] = {{"F0", &sl_type_int}};
    const sl_type *st_lower = sl_type_struct(a, 1, lower), *st_upper = sl_type_struct(a, 1, upper);
    struct {
        const sl_type *t;
        const char *doc, *want; /* want NULL: rejected */
    } cases[] = {
        {&sl_type_boolean, "true", "true"},
        {&sl_type_boolean, "\"true\"", NULL}, /* the reported bug: only JSON booleans */
        {&sl_type_boolean, "1", NULL},
        {&sl_type_int, "\"12\"", "12"},
        {&sl_type_int, "\"+7\"", "7"},
        {&sl_type_int, "\"1.0\"", NULL},
        {&sl_type_int, "\" 5\"", NULL},
        {&sl_type_int, "1.75", "1"},
        {&sl_type_int, "-2.5", "-2"},
        {&sl_type_int, "2147483648", "-2147483648"},
        {&sl_type_int, "1e10", "1410065408"},
        {&sl_type_int, "true", NULL},
        {&sl_type_int, "[1]", NULL},
        {&sl_type_bigint, "18446744073709551621", "5"},
        {&sl_type_bigint, "\"9223372036854775808\"", NULL},
        {&sl_type_double, "\" 2.5 \"", "2.5"},
        {&sl_type_double, "\"nan\"", NULL},
        {&sl_type_double, "\"1.5f\"", "1.5"},
        {&sl_type_double, "\"NaN\"", "\"NaN\""},
        {&sl_type_double, "true", NULL},
        {&sl_type_string, "1e+16", "1E+16"},
        {&sl_type_string, "1.50", "1.50"},
        {&sl_type_string, "-0.0", "0.0"},
        {&sl_type_string, "-0", "0"},
        {&sl_type_string, "true", "true"},
        {&sl_type_string, "{\"a\": 1, \"b\" : [1, \"x\", 2.50]}", "{\"a\":1,\"b\":[1,\"x\",2.50]}"},
        {&sl_type_string, "[1, \"a\", null, {\"k\": 2}, [3, 4]]", "[1, a, null, {\"k\":2}, [3, 4]]"},
        {&sl_type_string, "{\"s\": \"q\\\"\\u0001\"}", "{\"s\":\"q\\\"\\u0001\"}"},
        {dec42, "10.5", "10.50"},
        {dec42, "1.234", NULL},
        {dec42, "100", NULL},
        {dec42, "\"1.5\"", "1.50"},
        {dec42, "\" 1.5\"", NULL},
        {dec42, "1.2300", "1.23"},
        {&sl_type_bytes, "\"YQ\"", NULL},
        {&sl_type_bytes, "\" YQ== \"", "\"YQ==\""},
        {&sl_type_bytes, "5", NULL},
        {&sl_type_time, "86400000", "86400000"},
        {&sl_type_time, "86400001", NULL},
        {&sl_type_time, "-1", NULL},
        {&sl_type_date, "\"10\"", "10"},
        {&sl_type_timestamp, "1.9", "1"},
        {st_lower, "{\"F0\": 1}", "{\"f0\":null}"}, /* a quoted lower-case field matches itself only */
        {st_lower, "{\"f0\": 1}", "{\"f0\":1}"},
        {st_upper, "{\"f0\": 1}", "{\"F0\":1}"},
        {st_upper, "{\"f0\": 1, \"F0\": 2}", "{\"F0\":2}"},
        {st_upper, "{\"F0\": 2, \"f0\": 1}", "{\"F0\":2}"}, /* the exact name wins */
        {st_upper, "\"x\"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = json_as(a, cases[i].t, cases[i].doc);
        if (!cases[i].want) {
            if (got)
                fail_msg("%s as %s: accepted as %s", cases[i].doc, sl_type_to_sql(a, cases[i].t), got);
        } else if (!got || strcmp(got, cases[i].want)) {
            fail_msg("%s as %s: got %s, want %s", cases[i].doc, sl_type_to_sql(a, cases[i].t), got ? got : "(rejected)",
                     cases[i].want);
        }
    }
    sl_arena_destroy(a);
}

/* KsqlDelimitedDeserializer on Commons CSV */
static void test_delimited_coercions(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    struct {
        const sl_type *t;
        const char *text, *want; /* want NULL: rejected */
    } cases[] = {
        {&sl_type_boolean, "yes", "false"}, /* Boolean.parseBoolean never fails */
        {&sl_type_boolean, "TRUE", "true"},
        {&sl_type_int, " 5", NULL},
        {&sl_type_int, "+5", "5"},
        {&sl_type_int, "2147483648", NULL},
        {&sl_type_bigint, "99999999999999999999", NULL},
        {&sl_type_double, " 2.5 ", "2.5"},
        {&sl_type_double, "nan", NULL},
        {&sl_type_time, "86400001", NULL},
        {&sl_type_date, "2147483648", NULL},
        {&sl_type_bytes, "YQ", "\"YQ==\""},
        {&sl_type_bytes, "Y Q==", NULL},
        {&sl_type_string, "\"a,b\"  ", "\"a,b\""}, /* white space may follow a quoted field */
        {&sl_type_string, "\"a\"x", NULL},
        {&sl_type_string, "\"a", NULL},
        {&sl_type_string, "", NULL},           /* no record at all */
        {&sl_type_string, "x\ny", "\"x\""},    /* the first record only */
        {&sl_type_string, "\"\"", "null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        sl_field f = {"C", cases[i].t};
        sl_serde *s = sl_serde_new(SL_FORMAT_DELIMITED, sl_type_struct(a, 1, &f), NULL, &err);
        assert_non_null(s);
        sl_value v;
        sl_err_t rc = sl_serde_decode(s, cases[i].text, strlen(cases[i].text), &v, a, &err);
        if (!cases[i].want) {
            if (!rc)
                fail_msg("DELIMITED %s as %s: accepted", cases[i].text, sl_type_to_sql(a, cases[i].t));
        } else {
            if (rc)
                fail_msg("DELIMITED %s as %s: rejected: %s", cases[i].text, sl_type_to_sql(a, cases[i].t), err.msg);
            sl_strbuf sb;
            sl_strbuf_init(&sb);
            sl_json_write(&sb, &v, cases[i].t);
            sl_strbuf_putc(&sb, 0);
            if (strcmp(sb.data, cases[i].want))
                fail_msg("DELIMITED %s as %s: got %s, want %s", cases[i].text, sl_type_to_sql(a, cases[i].t), sb.data,
                         cases[i].want);
            sl_strbuf_free(&sb);
        }
        sl_serde_destroy(s);
    }
    sl_arena_destroy(a);
}

static void test_delimited_quotes(void **state)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    sl_field f[3] = {{"A", &sl_type_int}, {"B", &sl_type_string}, {"C", &sl_type_double}};
    sl_serde *s = sl_serde_new(SL_FORMAT_DELIMITED, sl_type_struct(a, 3, f), NULL, &err);
    assert_non_null(s);
    const char *in = "1,\"a,\"\"b\"\"\",2.5";
    sl_value cols[3];
    assert_int_equal(sl_serde_decode(s, in, strlen(in), cols, a, &err), SL_OK);
    assert_int_equal(cols[0].u.i, 1);
    assert_int_equal(cols[1].u.s.len, 5);
    assert_memory_equal(cols[1].u.s.ptr, "a,\"b\"", 5);
    sl_strbuf out;
    sl_strbuf_init(&out);
    assert_int_equal(sl_serde_encode(s, cols, &out, &err), SL_OK);
    assert_int_equal(out.len, strlen(in));
    assert_memory_equal(out.data, in, out.len);
    const char *wrong_count = "1,2";
    assert_int_not_equal(sl_serde_decode(s, wrong_count, strlen(wrong_count), cols, a, &err), SL_OK);
    const char *not_int = "x,b,1";
    assert_int_not_equal(sl_serde_decode(s, not_int, strlen(not_int), cols, a, &err), SL_OK);
    sl_strbuf_free(&out);
    sl_serde_destroy(s);
    sl_arena_destroy(a);
}

static int64_t parse_ok(sl_arena *a, const char *pattern, const char *text, const char *zone)
{
    char msg[200];
    const sl_datefmt *f = sl_datefmt_compile(pattern, strlen(pattern), a, msg, sizeof msg);
    assert_non_null(f);
    int64_t ms = 0;
    if (!sl_datefmt_parse(f, text, strlen(text), zone, &ms, msg, sizeof msg))
        fail_msg("%s does not parse with %s: %s", text, pattern, msg);
    return ms;
}

static void format_is(sl_arena *a, const char *pattern, int64_t ms, const char *zone, const char *want)
{
    char msg[200];
    const sl_datefmt *f = sl_datefmt_compile(pattern, strlen(pattern), a, msg, sizeof msg);
    assert_non_null(f);
    sl_strbuf sb;
    sl_strbuf_init(&sb);
    assert_true(sl_datefmt_format(f, ms, zone, &sb));
    assert_string_equal(sb.data, want);
    sl_strbuf_free(&sb);
}

static void test_date_patterns(void **state)
{
    sl_arena *a = sl_arena_new(0);
    assert_true(parse_ok(a, "yyyy-MM-dd'T'HH:mm:ssX", "2018-05-11T21:58:33Z", NULL) == 1526075913000LL);
    /* PST names the Los Angeles region: daylight time applies in May */
    assert_true(parse_ok(a, "yyyy-MM-dd'T'HH:mm:ss zzz", "2018-05-11T21:58:33 PST", NULL) == 1526101113000LL);
    assert_true(parse_ok(a, "yyyyMMdd", "20180511", NULL) == 17662LL * 86400000);
    assert_true(parse_ok(a, "dd-MMM-yyyy", "01-jan-2022", NULL) == 18993LL * 86400000);
    assert_true(parse_ok(a, "hh:mm:ss a", "01:00:00 Pm", NULL) == 13LL * 3600000);
    assert_true(parse_ok(a, "hh:mm:ss a", "12:00:00 AM", NULL) == 0);
    assert_true(parse_ok(a, "yyyy-MM-dd HH:mm", "2020-01-01 10:00", "+05:30") ==
                parse_ok(a, "yyyy-MM-dd HH:mm", "2020-01-01 04:30", NULL));
    assert_true(parse_ok(a, "yyyy-MM-dd[ HH:mm]", "2020-01-01", NULL) == 18262LL * 86400000);
    assert_true(parse_ok(a, "yyyy-MM-dd'T'HH:mm:ss.SSS", "1969-12-31T23:59:59.999", NULL) == -1);
    format_is(a, "yyyy-MM-dd HH:mm:ss zzz", 1526075913000LL, "America/Los_Angeles", "2018-05-11 14:58:33 PDT");
    format_is(a, "dd/MM/yyyy", 18027LL * 86400000, NULL, "11/05/2019");
    format_is(a, "EEEE, MMMM d, yy h a", 0, NULL, "Thursday, January 1, 70 12 AM");
    format_is(a, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", -1, "+02:00", "1970-01-01T01:59:59.999+02:00");
    format_is(a, "''HH''", 3600000, NULL, "'01'");

    char msg[200];
    int64_t ms;
    const sl_datefmt *f = sl_datefmt_compile("yyyy-MM-dd", 10, a, msg, sizeof msg);
    assert_false(sl_datefmt_parse(f, "2020-02-30", 10, NULL, &ms, msg, sizeof msg));
    assert_false(sl_datefmt_parse(f, "2020-02-1x", 10, NULL, &ms, msg, sizeof msg));
    assert_null(sl_datefmt_compile("yyyy-'MM", 8, a, msg, sizeof msg));
    assert_null(sl_datefmt_compile("yyyy-bb", 7, a, msg, sizeof msg));
    assert_false(sl_zone_valid("Mars/Olympus"));
    assert_false(sl_zone_valid("../../etc/passwd"));
    assert_true(sl_zone_valid("Europe/Paris"));
    sl_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_avro_round_trip),
        cmocka_unit_test(test_avro_claimed_length_beyond_record),
        cmocka_unit_test(test_protobuf_round_trip),
        cmocka_unit_test(test_json_schema_inference),
        cmocka_unit_test(test_json_decode_and_errors),
        cmocka_unit_test(test_json_string_escapes_at_every_position),
        cmocka_unit_test(test_integer_text),
        cmocka_unit_test(test_delimited_quotes),
        cmocka_unit_test(test_json_coercions),
        cmocka_unit_test(test_delimited_coercions),
        cmocka_unit_test(test_date_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
