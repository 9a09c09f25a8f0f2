/* json.c - see json.h.  Escaping follows RFC 8259 section 7. */
#include "core/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void jw_init(struct jw *w)
{
    memset(w, 0, sizeof(*w));
    w->first[0] = true;
}

void jw_free(struct jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof(*w));
}

void jw_reset(struct jw *w)
{
    w->len = 0;
    w->depth = 0;
    w->err = false;
    w->first[0] = true;
}

static bool jw_grow(struct jw *w, size_t n)
{
    if (w->err)
        return false;
    if (w->cap - w->len >= n)
        return true;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap - w->len < n) {
        if (cap > SIZE_MAX / 2) {
            w->err = true;
            return false;
        }
        cap *= 2;
    }
    char *b = realloc(w->buf, cap);
    if (!b) {
        w->err = true;
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

static void jw_put(struct jw *w, const char *s, size_t n)
{
    if (!jw_grow(w, n + 1))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void jw_putc(struct jw *w, char c)
{
    jw_put(w, &c, 1);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if the bytes there are not one (RFC 3629). */
static size_t utf8_seq_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0; /* overlong or out of range */
    if (cp >= 0xd800 && cp <= 0xdfff)
        return 0; /* surrogates are not characters */
    return len;
}

/* 1 for the bytes that can be copied as they are: printable ASCII except quote and backslash. */
/* clang-format off */
static const uint8_t json_plain[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                                        /* 0x00-0x1f: control characters */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,        /* 0x20-0x2f: '"' is 0x22 */
    R16(1), R16(1),                                        /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,        /* 0x50-0x5f: '\\' is 0x5c */
    R16(1),                                                /* 0x60-0x6f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,        /* 0x70-0x7f: DEL is 0x7f */
    /* 0x80-0xff: zero, checked as UTF-8 below */
#undef R16
};
/* clang-format on */

static void jw_escaped(struct jw *w, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* the common case: a short plain string, copied with its quotes in one step */
    if (!jw_grow(w, n + 3))
        return;
    size_t plain = 0;
    while (plain < n && json_plain[s[plain]])
        plain++;
    if (plain == n) {
        char *o = w->buf + w->len;
        o[0] = '"';
        memcpy(o + 1, s, n);
        o[n + 1] = '"';
        o[n + 2] = '\0';
        w->len += n + 2;
        return;
    }
    jw_putc(w, '"');
    size_t i = 0;
    while (i < n && !w->err) {
        size_t run = i;
        /* copy the longest run of bytes that need no escaping in one go */
        while (run < n && json_plain[s[run]])
            run++;
        if (run > i) {
            jw_put(w, (const char *)s + i, run - i);
            i = run;
            continue;
        }
        uint8_t c = s[i];
        char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
        switch (c) {
        case '"':
            jw_put(w, "\\\"", 2);
            i++;
            continue;
        case '\\':
            jw_put(w, "\\\\", 2);
            i++;
            continue;
        case '\n':
            jw_put(w, "\\n", 2);
            i++;
            continue;
        case '\r':
            jw_put(w, "\\r", 2);
            i++;
            continue;
        case '\t':
            jw_put(w, "\\t", 2);
            i++;
            continue;
        case '\b':
            jw_put(w, "\\b", 2);
            i++;
            continue;
        case '\f':
            jw_put(w, "\\f", 2);
            i++;
            continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            jw_put(w, esc, 6);
            i++;
            continue;
        }
        size_t l = utf8_seq_len(s + i, n - i);
        if (l == 0) {
            jw_put(w, esc, 6); /* a stray byte: its Latin-1 code point */
            i++;
        } else {
            jw_put(w, (const char *)s + i, l);
            i += l;
        }
    }
    jw_putc(w, '"');
}

/* Comma and key before a member. */
static void jw_member(struct jw *w, const char *key)
{
    if (!w->first[w->depth])
        jw_putc(w, ',');
    w->first[w->depth] = false;
    if (key) {
        jw_escaped(w, (const uint8_t *)key, strlen(key));
        jw_putc(w, ':');
    }
}

static void jw_open(struct jw *w, const char *key, char c)
{
    jw_member(w, key);
    if (w->depth >= JW_MAX_DEPTH) {
        w->err = true;
        return;
    }
    jw_putc(w, c);
    w->depth++;
    w->first[w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
    if (w->depth == 0) {
        w->err = true;
        return;
    }
    w->depth--;
    jw_putc(w, c);
}

void jw_open_obj(struct jw *w, const char *key)
{
    jw_open(w, key, '{');
}
void jw_close_obj(struct jw *w)
{
    jw_close(w, '}');
}
void jw_open_arr(struct jw *w, const char *key)
{
    jw_open(w, key, '[');
}
void jw_close_arr(struct jw *w)
{
    jw_close(w, ']');
}

void jw_str(struct jw *w, const char *key, const char *s)
{
    jw_strn(w, key, s, s ? strlen(s) : 0);
}

void jw_strn(struct jw *w, const char *key, const void *s, size_t n)
{
    jw_member(w, key);
    jw_escaped(w, s, n);
}

/* Decimal digits of v at the end of b[24]; returns where they start. */
static char *u64_digits(char b[24], uint64_t v)
{
    char *p = b + 24;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
    char b[24];
    char *p = u64_digits(b, v);
    jw_member(w, key);
    jw_put(w, p, (size_t)(b + 24 - p));
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
    char b[24];
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(b, m);
    if (v < 0)
        *--p = '-';
    jw_member(w, key);
    jw_put(w, p, (size_t)(b + 24 - p));
}

void jw_dbl(struct jw *w, const char *key, double v)
{
    char b[40];
    int n = (v == v && v < 1e300 && v > -1e300) ? snprintf(b, sizeof(b), "%.6g", v) : snprintf(b, sizeof(b), "null");
    jw_member(w, key);
    jw_put(w, b, (size_t)n);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
    jw_member(w, key);
    jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w, const char *key)
{
    jw_member(w, key);
    jw_put(w, "null", 4);
}

void jw_hex32(struct jw *w, const char *key, uint32_t v)
{
    char b[16];
    int n = snprintf(b, sizeof(b), "0x%08" PRIx32, v);
    jw_strn(w, key, b, (size_t)n);
}

void jw_hexbytes(struct jw *w, const char *key, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    jw_member(w, key);
    jw_putc(w, '"');
    for (size_t i = 0; i < n && !w->err; i++) {
        char b[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
        jw_put(w, b, 2);
    }
    jw_putc(w, '"');
}

void jw_raw(struct jw *w, const char *key, const char *json, size_t n)
{
    jw_member(w, key);
    jw_put(w, json, n);
}

size_t format_ts(char *buf, size_t size, uint64_t ts_us)
{
    time_t secs = (time_t)(ts_us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ts_us % 1000000));
    return n < 0 ? 0 : (size_t)n;
}

void jw_ts(struct jw *w, const char *key, uint64_t ts_us)
{
    uint64_t sec = ts_us / 1000000;
    if (sec != w->ts_sec || !w->ts_text[0]) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(w->ts_text, sizeof(w->ts_text), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        w->ts_sec = sec;
    }
    /* ".uuuuuu+0000" after the cached seconds, without printf */
    char b[96];
    size_t n = strlen(w->ts_text);
    memcpy(b, w->ts_text, n);
    uint32_t us = (uint32_t)(ts_us % 1000000);
    b[n++] = '.';
    for (int i = 5; i >= 0; i--) {
        b[n + (size_t)i] = (char)('0' + us % 10);
        us /= 10;
    }
    n += 6;
    memcpy(b + n, "+0000", 5);
    n += 5;
    jw_strn(w, key, b, n);
}
