/*
 * http_body.c - HTTP/1.x body framing (see http_internal.h for the file map).
 *
 *   chunked-body = *chunk last-chunk trailer-section CRLF                 (RFC 9112 7.1)
 *   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *
 * At the end of a header block the message's body length is decided as RFC 9112 6.3 says: HEAD, 1xx, 204 and 304
 * have no body; CONNECT answered 2xx and 101 end HTTP on the connection; chunked as the last transfer coding wins over
 * Content-Length (both: anomaly te_and_cl); a response with neither is read until the connection closes, a request
 * with neither has no body.  Body bytes are counted and handed to the file tracker by http.c.
 */
#include <string.h>

#include "app/http/http_internal.h"

/* ---- end of a header block: the body length (RFC 9112 6.3) ---------------------------------- */

/* Is chunked the last transfer coding of the list (RFC 9112 6.3 item 4)?  *other: some other coding is named. */
static bool te_chunked_last(const char *te, size_t n, bool *other)
{
    bool last_chunked = false;
    *other = false;
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows((uint8_t)te[i]) || te[i] == ','))
            i++;
        size_t s = i;
        while (i < n && te[i] != ',' && te[i] != ';')
            i++;
        const uint8_t *tok = (const uint8_t *)te + s;
        size_t tl = i - s;
        trim(&tok, &tl);
        while (i < n && te[i] != ',') /* transfer-parameters */
            i++;
        if (tl == 0)
            continue;
        last_chunked = eq_nocase(tok, tl, "chunked");
        if (!last_chunked && !eq_nocase(tok, tl, "identity"))
            *other = true;
    }
    return last_chunked;
}

void http_headers_done(struct app_ctx *ctx, struct http_state *st, int dir)
{
    struct http_dir *d = &st->d[dir];
    struct http_tx *tx = d->tx;
    http_field_end(ctx, d, dir);
    if (!d->is_request && d->interim) { /* 1xx: the final response is still to come */
        d->interim = false;
        d->st = S_START;
        return;
    }
    bool other = false;
    bool chunked = d->has_te && te_chunked_last(d->te, d->te_len, &other);
    if (d->has_te && (d->has_cl || d->cl_invalid)) {
        app_anomaly(ctx, dir, "te_and_cl", "both Transfer-Encoding and Content-Length: request smuggling indicator");
        if (tx)
            tx->te_and_cl = true;
    }
    if (d->has_te && !chunked)
        app_anomaly(ctx, dir, "te_not_chunked", "Transfer-Encoding without chunked as its final coding");
    if (tx) {
        if (d->is_request) {
            tx->has_req_content_length = d->has_cl;
            tx->req_content_length = d->cl;
            tx->req_chunked = chunked;
        } else {
            tx->has_resp_content_length = d->has_cl;
            tx->resp_content_length = d->cl;
            tx->resp_chunked = chunked;
            const uint8_t *ce = (const uint8_t *)d->ce;
            size_t cen = d->ce_len;
            trim(&ce, &cen);
            tx->resp_encoded = cen > 0 && !eq_nocase(ce, cen, "identity");
        }
    }
    d->remaining = 0;
    d->body_off = 0;
    if (!d->is_request) {
        /* a response: HEAD, 1xx, 204, 304 have no body; CONNECT 2xx and 101 end HTTP here */
        uint16_t status = tx ? tx->status : 0;
        bool head = tx && strcmp(tx->method, "HEAD") == 0;
        bool connect = tx && strcmp(tx->method, "CONNECT") == 0;
        if (status == 101 || (connect && status >= 200 && status < 300)) {
            st->connect_tunnel = connect;
            http_tunnel(ctx, st, dir);
            return;
        }
        if (head || status == 204 || status == 304) {
            http_message_done(ctx, st, dir, S_START);
            return;
        }
        if (chunked) {
            d->st = S_CHUNK_SIZE;
        } else if (d->has_te || d->cl_invalid || !d->has_cl) {
            d->st = S_BODY_CLOSE; /* read until the connection closes (RFC 9112 6.3 items 4, 5, 8) */
        } else if (d->cl == 0) {
            http_message_done(ctx, st, dir, S_START);
        } else {
            d->st = S_BODY_CL;
            d->remaining = d->cl;
        }
        return;
    }
    /* a request: chunked, else Content-Length, else no body (RFC 9112 6.3 items 4-7) */
    if (chunked) {
        d->st = S_CHUNK_SIZE;
    } else if (d->has_te || d->cl_invalid || !d->has_cl || d->cl == 0) {
        http_message_done(ctx, st, dir, S_START);
    } else {
        d->st = S_BODY_CL;
        d->remaining = d->cl;
    }
}

/* ---- chunks --------------------------------------------------------------------------------- */

void http_chunk_size_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n,
                          bool overlong)
{
    struct http_dir *d = &st->d[dir];
    trim(&p, &n);
    uint64_t v = 0;
    size_t i = 0;
    for (; i < n; i++) {
        uint8_t c = lower(p[i]);
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (x < 0)
            break;
        if (v >> 58)
            break; /* more than 2^62: not a size */
        v = v << 4 | (uint64_t)x;
    }
    bool ok = !overlong && i > 0 && (i == n || p[i] == ';' || is_ows(p[i]));
    if (!ok) {
        app_anomaly(ctx, dir, "invalid_chunk_size", "chunk-size line is not a hexadecimal size");
        http_resync(ctx, st, dir);
        return;
    }
    if (v == 0) {
        d->st = S_TRAILERS;
        return;
    }
    d->remaining = v;
    d->st = S_CHUNK_DATA;
}

/* ---- body bytes ----------------------------------------------------------------------------- */

/* Body bytes in S_BODY_CL, S_CHUNK_DATA or S_BODY_CLOSE: returns the bytes used. */
size_t http_body_feed(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n)
{
    struct http_dir *d = &st->d[dir];
    if (d->st == S_BODY_CLOSE) {
        http_tx_body_data(ctx, d, p, n);
        return n;
    }
    size_t used = n < d->remaining ? n : (size_t)d->remaining;
    http_tx_body_data(ctx, d, p, used);
    d->remaining -= used;
    if (d->remaining == 0) {
        if (d->st == S_CHUNK_DATA)
            d->st = S_CHUNK_END;
        else
            http_message_done(ctx, st, dir, S_START);
    }
    return used;
}

/* A gap inside the body is skipped (the file is marked gapped); one past its end loses the framing. */
bool http_body_gap(struct app_ctx *ctx, struct http_state *st, int dir, uint64_t len)
{
    struct http_dir *d = &st->d[dir];
    if (d->st == S_BODY_CLOSE) {
        http_tx_body_gap(ctx, d, len);
        return true;
    }
    if (len > d->remaining)
        return false;
    http_tx_body_gap(ctx, d, len);
    d->remaining -= len;
    if (d->remaining == 0) {
        if (d->st == S_CHUNK_DATA)
            d->st = S_CHUNK_END;
        else
            http_message_done(ctx, st, dir, S_START);
    }
    return true;
}
