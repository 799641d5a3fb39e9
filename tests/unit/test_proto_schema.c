/* The .proto reader (serde/proto_schema.c) and the PROTOBUF serde driven by
 * a registered message: messages, nested messages, enums, maps, oneofs,
 * packages and imports read right; the SQL types ksqlDB infers; malformed
 * files rejected with line:col and no crash; and records written with the
 * message's own field numbers, wire types and message-index path, read back
 * the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "serde/proto_schema.h"
#include "serde/serde.h"

static const char *no_imports(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return NULL;
}

static void test_messages_and_types(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const char *text = "syntax = \"proto3\";\n"
                       "package com.example;\n"
                       "import \"google/protobuf/timestamp.proto\";\n"
                       "option java_package = \"x.y\";\n"
                       "// a comment\n"
                       "message First { int32 a = 1; }\n"
                       "message Outer {\n"
                       "  /* block comment */\n"
                       "  enum Suit { SPADES = 0; HEARTS = 1; }\n"
                       "  message Inner { sint64 n = 3; repeated string tags = 4; }\n"
                       "  reserved 9, 10;\n"
                       "  Suit suit = 2;\n"
                       "  Inner inner = 5;\n"
                       "  map<string, double> scores = 7;\n"
                       "  google.protobuf.Timestamp at = 8;\n"
                       "  oneof choice { uint32 u = 11; google.protobuf.StringValue s = 12; }\n"
                       "  optional float f = 13 [deprecated = true];\n"
                       "}\n";
    const sl_proto_file *f = sl_proto_parse(text, a, no_imports, NULL, &err);
    assert_non_null(f);
    assert_string_equal(f->package, "com.example");
    assert_int_equal(f->nmessages, 2);
    const sl_proto_message *first = sl_proto_find_message(f, NULL, &err);
    assert_string_equal(first->full_name, "com.example.First");
    const sl_proto_message *outer = sl_proto_find_message(f, "com.example.Outer", &err);
    assert_non_null(outer);
    assert_ptr_equal(sl_proto_find_message(f, "Outer", &err), outer); /* the package may be left out */
    const sl_proto_message *inner = sl_proto_find_message(f, "com.example.Outer.Inner", &err);
    assert_non_null(inner);
    assert_int_equal(inner->index_depth, 2);
    assert_int_equal(inner->index_path[0], 1);
    assert_int_equal(inner->index_path[1], 0);
    assert_null(sl_proto_find_message(f, "Missing", &err));
    assert_int_equal(outer->nfields, 6); /* the oneof is one field */
    assert_int_equal(outer->fields[0].kind, SL_PB_ENUM);
    assert_int_equal(outer->fields[0].number, 2);
    assert_ptr_equal(outer->fields[1].message, inner);

    const sl_type *t = sl_proto_message_type(outer, true, a, &err);
    assert_non_null(t);
    assert_string_equal(sl_type_to_sql(a, t),
                        "STRUCT<`SUIT` STRING, `INNER` STRUCT<`N` BIGINT, `TAGS` ARRAY<STRING>>, "
                        "`SCORES` MAP<STRING, DOUBLE>, `AT` TIMESTAMP, `CHOICE_0` STRUCT<`U` BIGINT, `S` STRING>, `F` DOUBLE>");
    /* with a schema id ksqlDB keeps the schema's names */
    assert_string_equal(sl_type_to_sql(a, sl_proto_message_type(inner, false, a, &err)),
                        "STRUCT<`n` BIGINT, `tags` ARRAY<STRING>>");
    sl_arena_destroy(a);
}

static void test_decimal_params_and_proto2(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const char *text = "syntax = \"proto2\"; import \"confluent/type/decimal.proto\";\n"
                       "message M { required confluent.type.Decimal d = 1 [(confluent.field_meta) = { params: "
                       "[{ value: \"4\", key: \"precision\" }, { key: \"scale\", value: \"2\" }]}];"
                       " optional fixed32 x = 2; repeated sfixed64 y = 3; }";
    const sl_proto_file *f = sl_proto_parse(text, a, no_imports, NULL, &err);
    assert_non_null(f);
    assert_string_equal(sl_type_to_sql(a, sl_proto_message_type(f->messages[0], true, a, &err)),
                        "STRUCT<`D` DECIMAL(4, 2), `X` INTEGER, `Y` ARRAY<BIGINT>>");
    sl_arena_destroy(a);
}

static const char *event_import(void *ud, const char *name)
{
    (void)ud;
    return !strcmp(name, "event.proto") ? "syntax = \"proto3\"; package ev; message Event { int64 ts = 1; }" : NULL;
}

static void test_imports(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const char *text = "syntax = \"proto3\"; import \"event.proto\"; message Log { ev.Event event = 1; }";
    const sl_proto_file *f = sl_proto_parse(text, a, event_import, NULL, &err);
    assert_non_null(f);
    assert_string_equal(sl_type_to_sql(a, sl_proto_message_type(f->messages[0], true, a, &err)),
                        "STRUCT<`EVENT` STRUCT<`TS` BIGINT>>");
    /* an import that is not among the references */
    assert_null(sl_proto_parse("syntax = \"proto3\"; import \"other.proto\";", a, event_import, NULL, &err));
    assert_non_null(strstr(err.msg, "1:20"));
    assert_non_null(strstr(err.msg, "other.proto"));
    /* a file importing itself stops at the depth bound, without a crash */
    sl_arena_destroy(a);
}

static const char *self_import(void *ud, const char *name)
{
    (void)ud;
    (void)name;
    return "import \"self.proto\";";
}

static void expect_error(const char *text, const char *where, const char *what)
{
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    assert_null(sl_proto_parse(text, a, self_import, NULL, &err));
    if (!strstr(err.msg, where) || !strstr(err.msg, what))
        fail_msg("for %s: got '%s', wanted %s and %s", text, err.msg, where, what);
    sl_arena_destroy(a);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_error("message M { int32 a = 1;", "1:25", "not closed");
    expect_error("message M {\n  int32 a 1;\n}", "2:11", "expected '='");
    expect_error("message M { int32 a = 0; }", "1:13", "out of range");
    expect_error("message M { Missing a = 1; }", "1:13", "unknown type 'Missing'");
    expect_error("syntax = \"proto4\";", "1:10", "unknown syntax");
    expect_error("message M { string s = 1; } /* open", "1:29", "unterminated comment");
    expect_error("message M { string s = \"x; }", "1:24", "unterminated string");
    expect_error("enum E { }", "1:11", "no values");
    expect_error("message M { map<string int32> m = 1; }", "1:24", "expected ','");
    expect_error("message M { repeated group G = 1 { } }", "1:22", "groups are not supported");
    expect_error("}", "1:1", "unexpected '}'");
    expect_error("message M { oneof o { } }", "1:13", "oneof 'o' has no fields");
    expect_error("message M { oneof o { map<string, int32> m = 1; } }", "1:23", "map cannot be in a oneof");
    expect_error("import \"self.proto\";", "1:1", "too deeply");
    /* deep nesting is bounded */
    char deep[4096] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "message M {");
    expect_error(deep, ":", "nested too deeply");
    /* every prefix of a good file fails cleanly or parses */
    const char *good = "syntax = \"proto3\"; package p; message A { enum E { X = 0; } E e = 1; "
                       "map<int32, string> m = 2; oneof o { B b = 3; } message B { repeated int64 v = 1; } }";
    for (size_t n = 0; n <= strlen(good); n++) {
        char buf[512];
        memcpy(buf, good, n);
        buf[n] = 0;
        sl_arena *a = sl_arena_new(0);
        sl_error err = {0};
        if (!sl_proto_parse(buf, a, no_imports, NULL, &err))
            assert_non_null(strstr(err.msg, "PROTOBUF schema"));
        sl_arena_destroy(a);
    }
}

/* the serde with a registered message: its numbers and wire types */
static void test_serde_with_message(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const char *text = "syntax = \"proto3\"; message Skip { int32 z = 1; }\n"
                       "message Row { enum Suit { SPADES = 0; HEARTS = 4; }\n"
                       "  sint32 a = 5; Suit suit = 9; google.protobuf.Int32Value w = 2; float f = 3;\n"
                       "  map<int32, string> m = 4; }";
    const sl_proto_file *f = sl_proto_parse(text, a, no_imports, NULL, &err);
    assert_non_null(f);
    const sl_proto_message *m = sl_proto_find_message(f, "Row", &err);
    const sl_type *t = sl_proto_message_type(m, true, a, &err);
    sl_serde_options o = {.schema_id = 7, .proto_message = m};
    sl_serde *s = sl_serde_new(SL_FORMAT_PROTOBUF, t, &o, &err);
    assert_non_null(s);
    sl_value map = sl_map_new(a, 1);
    map.u.c.items[0] = sl_cstring("12");
    map.u.c.items[1] = sl_cstring("x");
    sl_value cols[5] = {sl_int(-2), sl_cstring("HEARTS"), sl_int(0), sl_double(1.5), map};
    sl_strbuf out;
    sl_strbuf_init(&out);
    assert_int_equal(sl_serde_encode(s, cols, &out, &err), SL_OK);
    /* magic, id 7, index path [1] as count 1 and index 1 (zigzag: 2, 2) */
    const unsigned char want[] = {0, 0, 0, 0, 7, 2, 2,
                                  5 << 3 | 0, 3,                /* a = -2, zigzag */
                                  9 << 3 | 0, 4,                /* suit = HEARTS */
                                  2 << 3 | 2, 0,                /* w = 0: an empty wrapper, present */
                                  3 << 3 | 5, 0, 0, 0xc0, 0x3f, /* f = 1.5f */
                                  4 << 3 | 2, 5, 1 << 3 | 0, 12, 2 << 3 | 2, 1, 'x'};
    assert_int_equal(out.len, sizeof want);
    assert_memory_equal(out.data, want, sizeof want);
    sl_value back[5];
    assert_int_equal(sl_serde_decode(s, out.data, out.len, back, a, &err), SL_OK);
    for (int i = 0; i < 5; i++)
        assert_true(sl_value_equal(&back[i], &cols[i]));
    /* absent: the enum's zero value, a NULL wrapper */
    const unsigned char empty[] = {0, 0, 0, 0, 7, 0};
    assert_int_equal(sl_serde_decode(s, empty, sizeof empty, back, a, &err), SL_OK);
    assert_string_equal(back[1].u.s.ptr, "SPADES");
    assert_true(back[2].null);
    /* a name the enum lacks cannot be written */
    cols[1] = sl_cstring("JOKER");
    assert_int_not_equal(sl_serde_encode(s, cols, &out, &err), SL_OK);
    sl_strbuf_free(&out);
    sl_serde_destroy(s);
    sl_arena_destroy(a);
}

/* a oneof: one STRUCT column whose set field is on the holder's wire */
static void test_serde_oneof(void **state)
{
    (void)state;
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const char *text = "syntax = \"proto3\"; message P { int32 id = 1; oneof pay { string card = 5; int64 units = 6; } }";
    const sl_proto_file *f = sl_proto_parse(text, a, no_imports, NULL, &err);
    assert_non_null(f);
    const sl_type *t = sl_proto_message_type(f->messages[0], true, a, &err);
    assert_string_equal(sl_type_to_sql(a, t), "STRUCT<`ID` INTEGER, `PAY_0` STRUCT<`CARD` STRING, `UNITS` BIGINT>>");
    sl_serde_options o = {.proto_message = f->messages[0]};
    sl_serde *s = sl_serde_new(SL_FORMAT_PROTOBUF_NOSR, t, &o, &err);
    assert_non_null(s);
    sl_value pay = sl_struct_new(a, 2);
    pay.u.c.items[0] = sl_null(SL_STRING);
    pay.u.c.items[1] = sl_bigint(9);
    sl_value cols[2] = {sl_int(1), pay};
    sl_strbuf out;
    sl_strbuf_init(&out);
    assert_int_equal(sl_serde_encode(s, cols, &out, &err), SL_OK);
    const unsigned char want[] = {1 << 3, 1, 6 << 3, 9};
    assert_int_equal(out.len, sizeof want);
    assert_memory_equal(out.data, want, sizeof want);
    sl_value back[2];
    assert_int_equal(sl_serde_decode(s, out.data, out.len, back, a, &err), SL_OK);
    assert_true(sl_value_equal(&back[1], &pay));
    /* no field of the oneof set: the column is NULL */
    assert_int_equal(sl_serde_decode(s, want, 2, back, a, &err), SL_OK);
    assert_true(back[1].null);
    sl_strbuf_free(&out);
    sl_serde_destroy(s);
    sl_arena_destroy(a);
}

/* the serialized form Confluent's Python serializer registers: a base64
 * FileDescriptorProto (of the .proto in the comment), read as the text is */
static void test_serialized_descriptor(void **state)
{
    (void)state;
    /* syntax = "proto3"; package it.shop; import "google/protobuf/wrappers.proto";
     * message Unused { int32 x = 1; }
     * message Order {
     *   enum Status { NEW = 0; PAID = 3; }
     *   message Line { string sku = 4; sint32 qty = 2; }
     *   Status status = 7; Line line = 3; map<string, int64> tags = 12;
     *   google.protobuf.Int64Value discount = 5; optional sint32 delta = 9;
     *   oneof pay { string card = 30; uint32 voucher = 31; } } */
    const char *b64 =
    "Cgd0LnByb3RvEgdpdC5zaG9wGh5nb29nbGUvcHJvdG9idWYvd3JhcHBlcnMucHJvdG8iFgoGVW51c2VkEgwKAXgYASABKAVSAXgi"
    "pgMKBU9yZGVyEi0KBnN0YXR1cxgHIAEoDjIVLml0LnNob3AuT3JkZXIuU3RhdHVzUgZzdGF0dXMSJwoEbGluZRgDIAEoCzITLml0"
    "LnNob3AuT3JkZXIuTGluZVIEbGluZRIsCgR0YWdzGAwgAygLMhguaXQuc2hvcC5PcmRlci5UYWdzRW50cnlSBHRhZ3MSNwoIZGlz"
    "Y291bnQYBSABKAsyGy5nb29nbGUucHJvdG9idWYuSW50NjRWYWx1ZVIIZGlzY291bnQSGQoFZGVsdGEYCSABKBFIAVIFZGVsdGGI"
    "AQESFAoEY2FyZBgeIAEoCUgAUgRjYXJkEhoKB3ZvdWNoZXIYHyABKA1IAFIHdm91Y2hlchoqCgRMaW5lEhAKA3NrdRgEIAEoCVID"
    "c2t1EhAKA3F0eRgCIAEoEVIDcXR5GjcKCVRhZ3NFbnRyeRIQCgNrZXkYASABKAlSA2tleRIUCgV2YWx1ZRgCIAEoA1IFdmFsdWU6"
    "AjgBIhsKBlN0YXR1cxIHCgNORVcQABIICgRQQUlEEANCBQoDcGF5QggKBl9kZWx0YWIGcHJvdG8z";
    sl_arena *a = sl_arena_new(0);
    sl_error err = {0};
    const sl_proto_file *f = sl_proto_parse(b64, a, no_imports, NULL, &err);
    if (!f)
        fail_msg("%s", err.msg);
    assert_string_equal(f->package, "it.shop");
    const sl_proto_message *m = sl_proto_find_message(f, "it.shop.Order", &err);
    assert_non_null(m);
    assert_int_equal(m->index_path[0], 1);
    assert_string_equal(sl_type_to_sql(a, sl_proto_message_type(m, true, a, &err)),
                        "STRUCT<`STATUS` STRING, `LINE` STRUCT<`SKU` STRING, `QTY` INTEGER>, "
                        "`TAGS` MAP<STRING, BIGINT>, `DISCOUNT` BIGINT, `DELTA` INTEGER, "
                        "`PAY_0` STRUCT<`CARD` STRING, `VOUCHER` BIGINT>>");
    assert_int_equal(m->fields[0].kind, SL_PB_ENUM);
    assert_int_equal(m->fields[1].message->fields[1].kind, SL_PB_SINT32);
    /* cut short, or not base64 of a descriptor: an error, no crash */
    for (size_t n = 4; n < strlen(b64); n += 4) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)n, b64);
        sl_arena *b = sl_arena_new(0);
        sl_error e2 = {0};
        if (!sl_proto_parse(buf, b, no_imports, NULL, &e2))
            assert_non_null(strstr(e2.msg, "PROTOBUF schema"));
        sl_arena_destroy(b);
    }
    assert_null(sl_proto_parse("AAAA", a, no_imports, NULL, &err));
    sl_arena_destroy(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_and_types),
        cmocka_unit_test(test_decimal_params_and_proto2),
        cmocka_unit_test(test_imports),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_serde_with_message),
        cmocka_unit_test(test_serde_oneof),
        cmocka_unit_test(test_serialized_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
