/* test_json.c - the JSON writer: escaping of arbitrary bytes (RFC 8259 section 7, RFC 3629), structure, timestamps. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "core/json.h"

static void str_is(const char *in, size_t n, const char *expect)
{
    struct jw w;
    jw_init(&w);
    jw_strn(&w, NULL, in, n);
    assert_false(w.err);
    assert_string_equal(w.buf, expect);
    jw_free(&w);
}

static void test_escapes(void **state)
{
    (void)state;
    str_is("plain", 5, "\"plain\"");
    str_is("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    str_is("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    str_is("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    str_is("a\0b", 3, "\"a\\u0000b\""); /* NUL inside a wire string is kept, escaped */
}

static void test_utf8(void **state)
{
    (void)state;
    str_is("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");                       /* 2-byte sequence passes */
    str_is("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");                     /* euro sign, 3 bytes */
    str_is("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\"");             /* 4 bytes */
    str_is("\xff", 1, "\"\\u00ff\"");                                  /* never valid */
    str_is("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");                       /* overlong '/' */
    str_is("\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"");            /* overlong 3-byte */
    str_is("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");            /* UTF-16 surrogate */
    str_is("\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\""); /* above U+10FFFF */
    str_is("\xe2\x82", 2, "\"\\u00e2\\u0082\"");                       /* cut short at the end */
    str_is("\xc3(", 2, "\"\\u00c3(\"");                                /* bad continuation */
}

static void test_all_bytes_are_valid_json_strings(void **state)
{
    (void)state;
    /* Every single byte value comes out as one escaped or printable character, never raw control/high bytes. */
    for (int c = 0; c < 256; c++) {
        struct jw w;
        jw_init(&w);
        uint8_t b = (uint8_t)c;
        jw_strn(&w, NULL, &b, 1);
        assert_true(w.len >= 3);
        for (size_t i = 1; i + 1 < w.len; i++)
            assert_true((unsigned char)w.buf[i] >= 0x20 && (unsigned char)w.buf[i] < 0x7f);
        jw_free(&w);
    }
}

static void test_structure(void **state)
{
    (void)state;
    struct jw w;
    jw_init(&w);
    jw_open_obj(&w, NULL);
    jw_u64(&w, "a", 18446744073709551615ULL);
    jw_i64(&w, "b", -5);
    jw_open_arr(&w, "c");
    jw_u64(&w, NULL, 1);
    jw_str(&w, NULL, "x");
    jw_open_obj(&w, NULL);
    jw_close_obj(&w);
    jw_close_arr(&w);
    jw_bool(&w, "d", true);
    jw_null(&w, "e");
    jw_hex32(&w, "f", 0xc000006d);
    static const uint8_t bytes[] = {0x4d, 0x5a, 0x00};
    jw_hexbytes(&w, "g", bytes, 3);
    jw_close_obj(&w);
    assert_false(w.err);
    assert_int_equal(w.depth, 0);
    assert_string_equal(w.buf, "{\"a\":18446744073709551615,\"b\":-5,\"c\":[1,\"x\",{}],\"d\":true,\"e\":null,"
                               "\"f\":\"0xc000006d\",\"g\":\"4d5a00\"}");
    jw_reset(&w);
    assert_int_equal(w.len, 0);
    jw_free(&w);
}

static void test_integers(void **state)
{
    (void)state;
    struct jw w;
    jw_init(&w);
    jw_open_arr(&w, NULL);
    jw_u64(&w, NULL, 0);
    jw_i64(&w, NULL, 0);
    jw_i64(&w, NULL, INT64_MIN);
    jw_i64(&w, NULL, INT64_MAX);
    jw_u64(&w, NULL, 1000000);
    jw_close_arr(&w);
    assert_string_equal(w.buf, "[0,0,-9223372036854775808,9223372036854775807,1000000]");
    jw_free(&w);
}

static void test_depth_limit(void **state)
{
    (void)state;
    struct jw w;
    jw_init(&w);
    for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
        jw_open_arr(&w, NULL);
    assert_true(w.err);
    jw_free(&w);
}

static void test_timestamp(void **state)
{
    (void)state;
    char b[64];
    /* 2018-04-23T10:00:00Z is 1524477600 s; Suricata's format: microseconds and a +0000 offset */
    format_ts(b, sizeof(b), 1524477600ULL * 1000000 + 42);
    assert_string_equal(b, "2018-04-23T10:00:00.000042+0000");
    format_ts(b, sizeof(b), 0);
    assert_string_equal(b, "1970-01-01T00:00:00.000000+0000");

    /* jw_ts caches the seconds part per writer: values across and within seconds, in and out of order */
    struct jw w;
    jw_init(&w);
    jw_open_arr(&w, NULL);
    jw_ts(&w, NULL, 1524477600ULL * 1000000 + 7);
    jw_ts(&w, NULL, 1524477600ULL * 1000000 + 999999);
    jw_ts(&w, NULL, 1524477661ULL * 1000000);
    jw_ts(&w, NULL, 1524477600ULL * 1000000 + 120000);
    jw_close_arr(&w);
    assert_string_equal(w.buf, "[\"2018-04-23T10:00:00.000007+0000\",\"2018-04-23T10:00:00.999999+0000\","
                               "\"2018-04-23T10:01:01.000000+0000\",\"2018-04-23T10:00:00.120000+0000\"]");
    jw_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_all_bytes_are_valid_json_strings),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_timestamp),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
