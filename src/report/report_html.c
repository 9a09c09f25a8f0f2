/*
 * report_html.c - the only way text gets into the report.  Everything in the
 * store came off the wire (AE titles, file names, URLs, host names), so every
 * string is escaped for where it lands: text and attribute values here, JSON
 * data blocks inside <script> with html_script_json.
 */
#include "report/report_int.h"

#include <time.h>

/* Length of the valid UTF-8 sequence at s (1-4) that is not a control character, else 0 (s is NUL-terminated, or
 * has at least 4 readable bytes: a NUL stops every continuation check). */
static int utf8_char(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x20 || c == 0x7f)
        return 0;
    if (c < 0x80)
        return 1;
    int n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (!n)
        return 0;
    uint32_t cp = c & (0x3fu >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
        (cp >= 0x80 && cp <= 0x9f))
        return 0; /* overlong, out of range, surrogate, C1 control */
    return n;
}

void html_text(FILE *fp, const char *s, size_t max_chars)
{
    if (!s)
        return;
    size_t shown = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; shown++) {
        if (max_chars && shown == max_chars) {
            fputs("\u2026", fp);
            return;
        }
        switch (*p) {
        case '&':
            fputs("&amp;", fp);
            p++;
            continue;
        case '<':
            fputs("&lt;", fp);
            p++;
            continue;
        case '>':
            fputs("&gt;", fp);
            p++;
            continue;
        case '"':
            fputs("&quot;", fp);
            p++;
            continue;
        case '\'':
            fputs("&#39;", fp);
            p++;
            continue;
        default: break;
        }
        int n = utf8_char(p);
        if (n) {
            fwrite(p, 1, (size_t)n, fp);
            p += n;
        } else {
            fputs("\ufffd", fp);
            p++;
        }
    }
}

void html_script_json(FILE *fp, const char *json, size_t n)
{
    const unsigned char *p = (const unsigned char *)json;
    for (size_t i = 0; i < n; i++) {
        switch (p[i]) {
        case '<': fputs("\\u003c", fp); continue;
        case '>': fputs("\\u003e", fp); continue;
        case '&': fputs("\\u0026", fp); continue;
        default: break;
        }
        if (p[i] == 0xe2 && i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
            fputs(p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", fp);
            i += 2;
            continue;
        }
        fputc(p[i], fp);
    }
}

void html_time(FILE *fp, int64_t us)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    char buf[32];
    if (us <= 0 || !gmtime_r(&secs, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm)) {
        fputs("-", fp);
        return;
    }
    fputs(buf, fp);
}

void html_bytes(FILE *fp, uint64_t n)
{
    if (n < 1000)
        fprintf(fp, "%llu B", (unsigned long long)n);
    else if (n < 1000000)
        fprintf(fp, "%.1f kB", (double)n / 1e3);
    else if (n < 1000000000)
        fprintf(fp, "%.2f MB", (double)n / 1e6);
    else
        fprintf(fp, "%.2f GB", (double)n / 1e9);
}
