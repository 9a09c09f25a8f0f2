/*
 * test_report_html.c - the report's escaping (src/report/report_html.c), the
 * only way text gets into the HTML page.  What is checked: the five markup
 * characters become entities in text and attribute values; control characters,
 * invalid, overlong and surrogate UTF-8 become U+FFFD while valid multi-byte
 * characters pass; the character cap counts characters and ends with "…"; JSON
 * bound for a <script> block has < > & U+2028 U+2029 escaped and nothing else
 * changed, so "</script>" and "<!--" cannot appear and the text still parses to
 * the same value; a sequence cut at the end of the JSON is copied, not read past.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "report/report_int.h"

static char *out_buf;
static size_t out_len;

static FILE *open_out(void)
{
    free(out_buf);
    out_buf = NULL;
    out_len = 0;
    FILE *fp = open_memstream(&out_buf, &out_len);
    assert_non_null(fp);
    return fp;
}

static const char *text(const char *s, size_t max)
{
    FILE *fp = open_out();
    html_text(fp, s, max);
    fclose(fp);
    return out_buf;
}

static const char *script_json(const char *s, size_t n)
{
    FILE *fp = open_out();
    html_script_json(fp, s, n);
    fclose(fp);
    return out_buf;
}

static void test_markup(void **state)
{
    (void)state;
    assert_string_equal(text("<script>x</script>", 0), "&lt;script&gt;x&lt;/script&gt;");
    assert_string_equal(text("\"><img src=x onerror='a'>&", 0), "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;");
    assert_string_equal(text("ORTHANC", 0), "ORTHANC");
    assert_string_equal(text("", 0), "");
    assert_string_equal(text(NULL, 0), "");
}

static void test_utf8(void **state)
{
    (void)state;
    assert_string_equal(text("Z\xc3\xbcrich \xe2\x86\x92 \xf0\x9f\x8f\xa5", 0),
                        "Z\xc3\xbcrich \xe2\x86\x92 \xf0\x9f\x8f\xa5");
    assert_string_equal(text("a\x01"
                             "b\x1b[2Jc\x7f",
                             0),
                        "a\xef\xbf\xbd"
                        "b\xef\xbf\xbd[2Jc\xef\xbf\xbd");
    assert_string_equal(text("\xff\xc0\xaf", 0), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* invalid, overlong '/' */
    assert_string_equal(text("\xed\xa0\x80", 0), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate D800 */
    assert_string_equal(text("\xc2\x85", 0), "\xef\xbf\xbd\xef\xbf\xbd");                 /* C1 control NEL */
    assert_string_equal(text("\xe2\x80", 0), "\xef\xbf\xbd\xef\xbf\xbd");                 /* cut at the end */
}

static void test_cap(void **state)
{
    (void)state;
    assert_string_equal(text("abcdef", 3), "abc\xe2\x80\xa6");
    assert_string_equal(text("abc", 3), "abc");
    assert_string_equal(text("\xc3\xbc\xc3\xbc\xc3\xbc<", 3), "\xc3\xbc\xc3\xbc\xc3\xbc\xe2\x80\xa6");
    assert_string_equal(text("<<<<", 2), "&lt;&lt;\xe2\x80\xa6");
}

static void test_script_json(void **state)
{
    (void)state;
    const char *j = "{\"a\":\"</script><!--x-->&\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xa6\"}";
    assert_string_equal(script_json(j, strlen(j)),
                        "{\"a\":\"\\u003c/script\\u003e\\u003c!--x--\\u003e\\u0026\\u2028\\u2029\xe2\x80\xa6\"}");
    const char *cut = "\"\xe2\x80";
    assert_string_equal(script_json(cut, strlen(cut)), "\"\xe2\x80");
    assert_string_equal(script_json("\"\xe2\x80\xa8\"", 3), "\"\xe2\x80"); /* n stops before the third byte */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markup),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_script_json),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(out_buf);
    return rc;
}
