/*
 * json.h - a small JSON writer into a growable buffer, for EVE lines.
 *
 * Strings may hold any bytes.  Valid UTF-8 passes through; quote, backslash
 * and control characters are escaped; each byte that is not part of a valid
 * UTF-8 sequence is written as \u00XX (its Latin-1 code point), so the output
 * is always valid JSON and no input byte is silently lost.
 *
 * Usage: jw_reset, jw_open_obj(NULL), jw_str(w, "key", s), ..., jw_close_obj,
 * then w->buf / w->len.  Commas are placed by the writer.  Nesting is bounded
 * (JW_MAX_DEPTH); going deeper sets w->err.
 */
#ifndef MEDSENTRY_CORE_JSON_H
#define MEDSENTRY_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

struct jw {
    char *buf;
    size_t len, cap;
    int depth;
    bool first[JW_MAX_DEPTH + 1]; /* no member written yet at this depth */
    bool err;                     /* allocation failure or nesting too deep */
    /* jw_ts: "YYYY-MM-DDTHH:MM:SS" of the last second formatted (events come in time order, so it rarely changes) */
    uint64_t ts_sec;
    char ts_text[80];
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_reset(struct jw *w);

/* key is NULL inside arrays and for the top-level value. */
void jw_open_obj(struct jw *w, const char *key);
void jw_close_obj(struct jw *w);
void jw_open_arr(struct jw *w, const char *key);
void jw_close_arr(struct jw *w);

void jw_str(struct jw *w, const char *key, const char *s);            /* NUL-terminated */
void jw_strn(struct jw *w, const char *key, const void *s, size_t n); /* any bytes */
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_dbl(struct jw *w, const char *key, double v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
/* 0x-prefixed lowercase hex of a number, as a string: "0xc000006d". */
void jw_hex32(struct jw *w, const char *key, uint32_t v);
/* Lowercase hex of bytes, as a string. */
void jw_hexbytes(struct jw *w, const char *key, const uint8_t *p, size_t n);
/* Append raw text (already valid JSON) as a member value. */
void jw_raw(struct jw *w, const char *key, const char *json, size_t n);

/* Timestamps as Suricata writes them: 2026-11-29T16:17:29.123456+0000 (UTC). */
void jw_ts(struct jw *w, const char *key, uint64_t ts_us);
size_t format_ts(char *buf, size_t size, uint64_t ts_us);

#endif
