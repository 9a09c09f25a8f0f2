/*
 * http_line.c - HTTP/1.x line framing (see http_internal.h for the file map).
 *
 * Lines are found with memchr and handled where they lie in the caller's buffer; only a line split across chunks is
 * copied, into a per-direction buffer that grows up to http.max-header-bytes (chunk-size lines: HTTP_CHUNK_LINE_MAX).
 * A longer line is handed on as overlong, without its bytes.  A bare LF ending a line is tolerated and reported once
 * per message.  Each complete line goes to the parser of the state it arrives in: start line, field line, chunk size.
 */
#include <string.h>

#include "app/http/http_internal.h"

void http_line_reset(struct app_ctx *ctx, struct http_dir *d)
{
    d->line_len = 0;
    d->line_over = false;
    (void)ctx;
}

/* Append to the split-line buffer, growing it up to cap; beyond, the line is marked overlong. */
static void line_append(struct app_ctx *ctx, struct http_dir *d, const uint8_t *p, size_t n, uint32_t cap)
{
    if (d->line_over)
        return;
    if ((uint64_t)d->line_len + n > cap) {
        d->line_over = true;
        return;
    }
    if (d->line_len + n > d->line_cap) {
        uint32_t nc = d->line_cap ? d->line_cap : LINE_BUF_MIN;
        while (nc < d->line_len + n)
            nc *= 2;
        if (nc > cap)
            nc = cap;
        uint8_t *nb = app_alloc(ctx, nc);
        if (!nb) {
            d->line_over = true;
            return;
        }
        if (d->line_len)
            memcpy(nb, d->line, d->line_len);
        app_free(ctx, d->line, d->line_cap);
        d->line = nb;
        d->line_cap = nc;
    }
    memcpy(d->line + d->line_len, p, n);
    d->line_len += (uint32_t)n;
}

/* One complete line of direction dir (CR stripped). */
static void on_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n, bool overlong)
{
    struct http_dir *d = &st->d[dir];
    switch (d->st) {
    case S_START: http_start_line(ctx, st, dir, p, n, overlong); break;
    case S_RESYNC: http_start_line(ctx, st, dir, p, n, overlong); break;
    case S_HEADERS:
    case S_TRAILERS:
        if (overlong) {
            app_anomaly(ctx, dir, "header_line_too_long", "field line longer than http.max-header-bytes: ignored");
            break;
        }
        if (n == 0) {
            if (d->st == S_HEADERS)
                http_headers_done(ctx, st, dir);
            else
                http_message_done(ctx, st, dir, S_START);
            break;
        }
        if (d->st == S_HEADERS)
            http_field_line(ctx, st, dir, p, n);
        break;
    case S_CHUNK_SIZE: http_chunk_size_line(ctx, st, dir, p, n, overlong); break;
    case S_CHUNK_END:
        if (n != 0 || overlong) { /* chunk data longer than its size said: this line is taken as the next size */
            app_anomaly(ctx, dir, "chunk_missing_crlf", "chunk data not followed by CRLF");
            http_chunk_size_line(ctx, st, dir, p, n, overlong);
            break;
        }
        d->st = S_CHUNK_SIZE;
        break;
    default: break;
    }
}

bool http_line_state(enum http_dstate s)
{
    return s == S_START || s == S_RESYNC || s == S_HEADERS || s == S_TRAILERS || s == S_CHUNK_SIZE || s == S_CHUNK_END;
}

/* Still no start line after HTTP_RESYNC_MAX bytes: this direction is no longer followed. */
static void give_up_resync(struct app_ctx *ctx, struct http_dir *d, int dir)
{
    if (d->st != S_RESYNC || d->resync_bytes < HTTP_RESYNC_MAX)
        return;
    app_anomaly(ctx, dir, "resync_failed", "no start line found: direction no longer followed");
    d->st = S_DEAD;
    http_line_reset(ctx, d);
}

/* Consume line bytes from p: returns the bytes used (up to and including an LF, or all of them). */
size_t http_feed_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n)
{
    struct http_dir *d = &st->d[dir];
    bool chunk = d->st == S_CHUNK_SIZE || d->st == S_CHUNK_END;
    uint32_t cap = chunk ? HTTP_CHUNK_LINE_MAX : st->max_header_bytes;
    const uint8_t *lf = memchr(p, '\n', n);
    size_t used = lf ? (size_t)(lf - p) + 1 : n;
    if (d->st == S_RESYNC)
        d->resync_bytes = used > HTTP_RESYNC_MAX - d->resync_bytes ? HTTP_RESYNC_MAX : d->resync_bytes + (uint32_t)used;
    bool in_header = d->st == S_HEADERS || d->st == S_TRAILERS;
    if (in_header) {
        uint64_t total = (uint64_t)d->hdr_bytes + used;
        d->hdr_bytes = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
        if (d->hdr_bytes > st->max_header_bytes && !d->reported_block) {
            d->reported_block = true; /* names stop being recorded; framing is still followed */
            app_anomaly(ctx, dir, "header_block_too_large", "header block longer than http.max-header-bytes");
        }
    }
    if (!lf) {
        line_append(ctx, d, p, n, cap);
        give_up_resync(ctx, d, dir);
        return n;
    }
    const uint8_t *line = p;
    size_t len = used - 1;
    if (d->line_len || d->line_over) {
        line_append(ctx, d, p, len, cap);
        line = d->line;
        len = d->line_len;
    }
    bool overlong = d->line_over;
    bool cr = overlong ? true : (len > 0 && line[len - 1] == '\r');
    if (cr && !overlong)
        len--;
    if (!cr && !d->reported_lf && d->st != S_RESYNC && !(d->st == S_START && len == 0)) {
        d->reported_lf = true;
        app_anomaly(ctx, dir, "bare_lf", "line ended by LF without CR");
    }
    on_line(ctx, st, dir, line, len, overlong);
    http_line_reset(ctx, d);
    give_up_resync(ctx, d, dir);
    return used;
}
