/*
 * http.c - HTTP/1.x message framing and transactions (see http.h).
 *
 * Each direction is a resumable state machine over lines and bodies; any
 * split of the stream into chunks gives the same result:
 *
 *   START ──start line──► HEADERS ──empty line──► BODY_CL      (Content-Length n)
 *     ▲  ╲                                        CHUNK_SIZE ◄─► CHUNK_DATA ─► CHUNK_END
 *     │   ╲ invalid line / gap                        │ size 0
 *     │    ► RESYNC (skip lines until a start line)   ▼
 *     │                                            TRAILERS ──empty line──┐
 *     └───────────────── message complete ◄───────────────────────────────┘
 *   BODY_CLOSE (response read until the connection closes); TUNNEL (CONNECT 2xx, 101); DEAD (gave up).
 *
 *   request-line  = method SP request-target SP HTTP-version CRLF        (RFC 9112 3)
 *   status-line   = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF     (RFC 9112 4)
 *   field-line    = field-name ":" OWS field-value OWS CRLF               (RFC 9112 5)
 *   chunk         = chunk-size [ chunk-ext ] CRLF chunk-data CRLF         (RFC 9112 7.1)
 *
 * Lines are found with memchr and handled where they lie in the caller's
 * buffer; only a line split across chunks is copied, into a per-direction
 * buffer that grows up to http.max-header-bytes.  Tolerated as servers do,
 * each reported as an anomaly: bare LF line ends, obs-fold, whitespace before
 * a field's colon, runs of whitespace in the request line, a request target
 * with spaces, HTTP/0.9 simple requests.  Empty lines before a start line are
 * skipped silently (RFC 9112 2.2).  Values are never kept except the named
 * fields; every string is cut at a UTF-8 boundary to a fixed size.
 *
 * Request and response directions are told apart by the first bytes: the
 * direction that starts with "HTTP/" answers (a capture picked up midstream
 * can have the flow's direction reversed).
 */
#include "app/http/http.h"

#include <string.h>

#include "core/bytes.h"
#include "core/config.h"
#include "files/files.h"
#include "flow/flow.h"

enum http_dstate {
    S_START,      /* before a start line (empty lines skipped) */
    S_HEADERS,    /* field lines until the empty line */
    S_BODY_CL,    /* remaining bytes of a Content-Length body */
    S_CHUNK_SIZE, /* a chunk-size line */
    S_CHUNK_DATA, /* remaining bytes of a chunk */
    S_CHUNK_END,  /* the CRLF after chunk data */
    S_TRAILERS,   /* trailer field lines until the empty line */
    S_BODY_CLOSE, /* response body until the connection closes */
    S_RESYNC,     /* skipping lines until the next start line */
    S_TUNNEL,     /* not HTTP any more */
    S_DEAD,       /* gave up on this direction */
};

/* Header fields the parser acts on or keeps. */
enum http_hkind { H_NONE, H_OTHER, H_HOST, H_UA, H_REFERER, H_CTYPE, H_CL, H_TE, H_CE };

#define LINE_BUF_MIN 256u
#define CL_TEXT_MAX  47
#define TE_TEXT_MAX  127
#define CE_TEXT_MAX  63

struct http_dir {
    enum http_dstate st;
    uint8_t *line; /* a line split across chunks */
    uint32_t line_len, line_cap;
    bool line_over;     /* the line outgrew the buffer: the rest is skipped up to its LF */
    struct http_tx *tx; /* the message being parsed (NULL: parsed but not recorded) */
    struct file_track *ft;
    uint64_t remaining; /* body or chunk bytes left */
    uint64_t body_off;  /* body bytes so far (file offset) */
    uint32_t hdr_bytes; /* start line + header block so far */
    uint32_t resync_bytes;
    uint16_t n_headers;
    bool interim;    /* reading the headers of a 1xx response: they belong to no transaction */
    bool is_request; /* the message in progress is a request */
    bool reported_lf, reported_fold, reported_block; /* one anomaly per message and kind */
    /* the field being read (obs-fold continues it) and what framing needs of the header block */
    enum http_hkind cur;
    char *cur_dst; /* kept-string destination of the current field, for folds */
    size_t cur_cap;
    char cl_text[CL_TEXT_MAX + 1];
    uint8_t cl_text_len;
    bool has_cl, cl_invalid, cl_conflict;
    uint64_t cl;
    char te[TE_TEXT_MAX + 1];
    uint8_t te_len;
    bool has_te;
    char ce[CE_TEXT_MAX + 1];
    uint8_t ce_len;
};

struct http_state {
    struct http_dir d[2];
    struct http_tx *q[HTTP_MAX_PENDING]; /* transactions in request order, oldest at q_head */
    uint8_t q_head, q_len;
    uint8_t req_dir; /* direction that carries requests */
    bool dir_known;
    bool connect_tunnel; /* the tunnel came from CONNECT: its first request bytes may be HTTP again */
    uint8_t tun_buf[16]; /* those first bytes, while the probe cannot tell yet */
    uint8_t tun_len;
    uint32_t max_header_bytes;
};

/* ---- small helpers -------------------------------------------------------------------------- */

static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool eq_nocase(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (n != l)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != (uint8_t)s[i])
            return false;
    return true;
}

static void trim(const uint8_t **p, size_t *n)
{
    while (*n && is_ows((*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n && is_ows((*p)[*n - 1]))
        (*n)--;
}

/* n bytes into dst (cap >= 1, NUL-terminated), cut at a UTF-8 boundary.  Returns true if cut. */
static bool copy_cut(char *dst, size_t cap, const uint8_t *p, size_t n)
{
    bool cut = n > cap - 1;
    if (cut) {
        n = cap - 1;
        while (n > 0 && (p[n] & 0xc0) == 0x80) /* p[n] is the first byte left out */
            n--;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
    return cut;
}

/* Append " " and n bytes to the NUL-terminated dst (a folded field line), cut as copy_cut does. */
static void append_cut(char *dst, size_t cap, const uint8_t *p, size_t n)
{
    size_t l = strlen(dst);
    if (l + 2 >= cap)
        return;
    dst[l] = ' ';
    copy_cut(dst + l + 1, cap - l - 1, p, n);
}

/* ---- methods and probe ---------------------------------------------------------------------- */

/* RFC 9110 9.3, RFC 5789 (PATCH), RFC 4918 (WebDAV), RFC 5323 (SEARCH), RFC 3253 (REPORT) */
static const char *const http_methods[] = {
    "GET",       "HEAD",  "POST", "PUT",  "DELETE", "CONNECT", "OPTIONS", "TRACE",  "PATCH", "PROPFIND",
    "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",   "UNLOCK",  "SEARCH",  "REPORT", NULL,
};

/* 1 known method, 0 not, -1 a prefix of one (n bytes so far, no SP yet) */
static int known_method(const uint8_t *p, size_t n, bool complete)
{
    for (int i = 0; http_methods[i]; i++) {
        size_t l = strlen(http_methods[i]);
        if (complete && n == l && memcmp(p, http_methods[i], l) == 0)
            return 1;
        if (!complete && n <= l && memcmp(p, http_methods[i], n) == 0)
            return -1;
    }
    return 0;
}

static bool prefix_of(const uint8_t *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    return memcmp(p, s, n < l ? n : l) == 0;
}

/*
 * Either direction: "HTTP/1." (a response), or a known method followed by SP and a request target (a
 * request).  Empty lines before it are skipped, as servers do.
 */
enum probe_result http_probe(const uint8_t *data, size_t len, int dir)
{
    (void)dir;
    size_t i = 0;
    while (i < len && i < 64 && (data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i == len)
        return i < 64 ? PROBE_MAYBE : PROBE_NO;
    const uint8_t *p = data + i;
    size_t n = len - i;
    if (prefix_of(p, n, "HTTP/1."))
        return n >= 7 ? PROBE_YES : PROBE_MAYBE;
    size_t t = 0;
    while (t < n && t < 12 && p[t] >= 'A' && p[t] <= 'Z')
        t++;
    if (t == n)
        return known_method(p, t, false) ? PROBE_MAYBE : PROBE_NO;
    if (p[t] != ' ' || known_method(p, t, true) != 1)
        return PROBE_NO;
    if (t + 1 == n)
        return PROBE_MAYBE;
    return p[t + 1] > ' ' && p[t + 1] < 0x7f ? PROBE_YES : PROBE_NO;
}

/* ---- transactions --------------------------------------------------------------------------- */

static void anomaly(struct app_ctx *ctx, int dir, const char *event, const char *detail)
{
    app_anomaly(ctx, dir, event, detail); /* counted there; written once per kind and flow (core/anomaly.h) */
}

static struct http_tx *q_at(struct http_state *st, unsigned i)
{
    return st->q[(st->q_head + i) % HTTP_MAX_PENDING];
}

static void tx_emit_free(struct app_ctx *ctx, struct http_state *st, struct http_tx *tx, int dir)
{
    struct http_event ev = {.tx = tx};
    app_emit(ctx, EVENT_HTTP, dir, &ev);
    app_free(ctx, tx, sizeof(*tx));
    (void)st;
}

static void q_pop_emit(struct app_ctx *ctx, struct http_state *st, int dir)
{
    struct http_tx *tx = st->q[st->q_head];
    st->q[st->q_head] = NULL;
    st->q_head = (uint8_t)((st->q_head + 1) % HTTP_MAX_PENDING);
    st->q_len--;
    tx_emit_free(ctx, st, tx, dir);
}

/* Emit the transactions at the head of the queue that are complete, in order. */
static void q_flush(struct app_ctx *ctx, struct http_state *st, int dir)
{
    while (st->q_len > 0) {
        struct http_tx *tx = st->q[st->q_head];
        if (!(tx->request_done && tx->response_done))
            break;
        q_pop_emit(ctx, st, dir);
    }
}

/* A new transaction at the tail of the queue; NULL (anomaly) when memory or the queue is exhausted. */
static struct http_tx *q_push(struct app_ctx *ctx, struct http_state *st, int dir)
{
    if (st->q_len == HTTP_MAX_PENDING) {
        anomaly(ctx, dir, "too_many_pending", "more pipelined requests than http can hold: oldest left unanswered");
        struct http_tx *head = st->q[st->q_head];
        if (st->d[0].tx == head || st->d[1].tx == head)
            return NULL; /* the oldest is still being parsed: this message is followed but not recorded */
        q_pop_emit(ctx, st, dir);
    }
    struct http_tx *tx = app_alloc(ctx, sizeof(*tx));
    if (!tx) {
        anomaly(ctx, dir, "memcap", "no memory for an http transaction");
        return NULL;
    }
    st->q[(st->q_head + st->q_len) % HTTP_MAX_PENDING] = tx;
    st->q_len++;
    return tx;
}

/* The oldest transaction without a response, or NULL. */
static struct http_tx *q_unanswered(struct http_state *st)
{
    for (unsigned i = 0; i < st->q_len; i++) {
        struct http_tx *tx = q_at(st, i);
        if (!tx->has_response)
            return tx;
    }
    return NULL;
}

/* ---- bodies --------------------------------------------------------------------------------- */

static void body_data(struct app_ctx *ctx, struct http_dir *d, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (d->tx) {
        if (d->is_request)
            d->tx->request_body_len += n;
        else
            d->tx->response_body_len += n;
    }
    struct file_tracker *t = ctx->al->files;
    if (t && d->tx && !d->ft && d->body_off == 0) {
        d->ft = files_open(t, "http", d->tx->uri, NULL, d->is_request ? 0 : 1);
        if (d->ft && d->st == S_BODY_CL)
            files_set_size(d->ft, d->remaining);
    }
    if (d->ft)
        files_data(t, d->ft, d->body_off, p, n);
    d->body_off += n;
}

static void body_gap(struct app_ctx *ctx, struct http_dir *d, uint64_t n)
{
    if (d->tx) {
        d->tx->gap = true;
        if (d->is_request)
            d->tx->request_body_len += n;
        else
            d->tx->response_body_len += n;
    }
    if (d->ft)
        files_gap(ctx->al->files, d->ft);
    d->body_off += n;
}

static void file_close(struct app_ctx *ctx, struct http_dir *d)
{
    if (d->ft && ctx->al->files)
        files_close(ctx->al->files, d->ft, ctx);
    d->ft = NULL;
}

/* The message in direction dir is complete (or abandoned): mark it, emit what is complete. */
static void message_done(struct app_ctx *ctx, struct http_state *st, int dir, enum http_dstate next)
{
    struct http_dir *d = &st->d[dir];
    file_close(ctx, d);
    if (d->tx) {
        if (d->is_request)
            d->tx->request_done = true;
        else
            d->tx->response_done = true;
    }
    d->tx = NULL;
    d->st = next;
    d->remaining = 0;
    d->body_off = 0;
    q_flush(ctx, st, dir);
}

/* Lost framing in direction dir: the message in progress is abandoned, the next start line is looked for. */
static void resync(struct app_ctx *ctx, struct http_state *st, int dir)
{
    struct http_dir *d = &st->d[dir];
    if (d->tx)
        d->tx->truncated = true;
    d->resync_bytes = 0;
    message_done(ctx, st, dir, S_RESYNC);
}

/* The connection stops being HTTP (CONNECT 2xx, 101): both directions stop. */
static void tunnel(struct app_ctx *ctx, struct http_state *st, int dir)
{
    if (st->d[dir].tx)
        st->d[dir].tx->tunnel = true;
    message_done(ctx, st, dir, S_TUNNEL);
    struct http_dir *o = &st->d[dir ^ 1];
    if (o->tx)
        o->tx->truncated = o->st != S_START;
    message_done(ctx, st, dir ^ 1, S_TUNNEL);
}

/* ---- header fields -------------------------------------------------------------------------- */

/* Content-Length: 1*DIGIT, or a list of identical values (RFC 9110 8.6).  Returns false if invalid. */
static bool parse_cl(const char *s, size_t n, uint64_t *out)
{
    bool have = false;
    uint64_t first = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (is_ows((uint8_t)s[i]) || s[i] == ','))
            i++;
        if (i == n)
            break;
        uint64_t v = 0;
        size_t digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (v > (UINT64_MAX >> 2) / 10)
                return false; /* beyond 2^62: nobody sends that much */
            v = v * 10 + (uint64_t)(s[i] - '0');
            digits++;
            i++;
        }
        while (i < n && is_ows((uint8_t)s[i]))
            i++;
        if (digits == 0 || (i < n && s[i] != ','))
            return false;
        if (have && v != first)
            return false;
        have = true;
        first = v;
    }
    *out = first;
    return have;
}

/* The field being read is complete (the next line is not an obs-fold of it). */
static void field_end(struct app_ctx *ctx, struct http_dir *d, int dir)
{
    if (d->cur == H_CL) {
        uint64_t v = 0;
        if (!parse_cl(d->cl_text, d->cl_text_len, &v)) {
            d->cl_invalid = true;
            anomaly(ctx, dir, "invalid_content_length", "Content-Length is not a number (or a list of one number)");
        } else if (d->has_cl && v != d->cl) {
            d->cl_conflict = true;
            anomaly(ctx, dir, "multiple_content_length", "Content-Length fields with different values");
        } else if (!d->has_cl) {
            d->has_cl = true;
            d->cl = v;
        }
    }
    d->cur = H_NONE;
    d->cur_dst = NULL;
}

static void text_append(char *buf, uint8_t *len, size_t cap, const uint8_t *p, size_t n, bool sep)
{
    size_t l = *len;
    if (sep && l > 0 && l < cap)
        buf[l++] = ',';
    for (size_t i = 0; i < n && l < cap; i++)
        buf[l++] = (char)p[i];
    buf[l] = '\0';
    *len = (uint8_t)l;
}

static enum http_hkind field_kind(const uint8_t *name, size_t n, bool request)
{
    if (eq_nocase(name, n, "content-length"))
        return H_CL;
    if (eq_nocase(name, n, "transfer-encoding"))
        return H_TE;
    if (eq_nocase(name, n, "content-type"))
        return H_CTYPE;
    if (!request)
        return eq_nocase(name, n, "content-encoding") ? H_CE : H_OTHER;
    if (eq_nocase(name, n, "host"))
        return H_HOST;
    if (eq_nocase(name, n, "user-agent"))
        return H_UA;
    if (eq_nocase(name, n, "referer"))
        return H_REFERER;
    return H_OTHER;
}

static void name_record(struct http_tx *tx, const uint8_t *name, size_t n)
{
    char one[HTTP_NAME_MAX + 1];
    copy_cut(one, sizeof(one), name, n);
    size_t l = strlen(one) + 1;
    if (tx->n_names >= HTTP_NAMES_MAX || tx->names_len + l > sizeof(tx->names)) {
        tx->names_truncated = true;
        return;
    }
    memcpy(tx->names + tx->names_len, one, l);
    tx->names_len = (uint16_t)(tx->names_len + l);
    tx->n_names++;
}

/* A kept string field: the first occurrence wins (a second Host is an anomaly: RFC 9112 3.2). */
static void field_keep(struct http_dir *d, char *dst, size_t cap, bool *has, const uint8_t *v, size_t n)
{
    if (has && *has)
        return;
    if (has)
        *has = true;
    copy_cut(dst, cap, v, n);
    d->cur_dst = dst;
    d->cur_cap = cap;
}

static void field_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n)
{
    struct http_dir *d = &st->d[dir];
    struct http_tx *tx = d->tx;
    if (is_ows(p[0])) { /* obs-fold (RFC 9112 5.2): the previous field's value goes on */
        if (!d->reported_fold) {
            d->reported_fold = true;
            anomaly(ctx, dir, "obs_fold", "field value continued on a line starting with whitespace");
        }
        trim(&p, &n);
        if (d->cur == H_NONE) {
            anomaly(ctx, dir, "invalid_header_line", "folded line without a field before it");
            return;
        }
        if (d->cur == H_CL)
            text_append((char *)d->cl_text, &d->cl_text_len, CL_TEXT_MAX, p, n, false);
        else if (d->cur == H_TE)
            text_append(d->te, &d->te_len, TE_TEXT_MAX, p, n, false);
        else if (d->cur == H_CE)
            text_append(d->ce, &d->ce_len, CE_TEXT_MAX, p, n, false);
        else if (d->cur_dst)
            append_cut(d->cur_dst, d->cur_cap, p, n);
        return;
    }
    field_end(ctx, d, dir);
    const uint8_t *colon = memchr(p, ':', n);
    if (!colon) {
        anomaly(ctx, dir, "invalid_header_line", "field line without a colon");
        return;
    }
    const uint8_t *name = p;
    size_t nl = (size_t)(colon - p);
    if (nl > 0 && is_ows(name[nl - 1])) {
        anomaly(ctx, dir, "header_name_whitespace", "whitespace between a field name and its colon");
        while (nl > 0 && is_ows(name[nl - 1]))
            nl--;
    }
    bool valid = nl > 0;
    for (size_t i = 0; i < nl && valid; i++)
        valid = is_tchar(name[i]);
    if (!valid) {
        anomaly(ctx, dir, "invalid_header_name", "field name empty or with a character outside tchar");
        if (nl == 0)
            return;
    }
    const uint8_t *v = colon + 1;
    size_t vn = (size_t)(p + n - v);
    trim(&v, &vn);
    if (++d->n_headers == HTTP_MAX_HEADERS + 1)
        anomaly(ctx, dir, "too_many_headers", "more header fields than http keeps");
    if (tx && d->is_request && !d->reported_block && d->n_headers <= HTTP_MAX_HEADERS)
        name_record(tx, name, nl);
    d->cur = field_kind(name, nl, d->is_request);
    switch (d->cur) {
    case H_CL:
        d->cl_text_len = 0;
        text_append(d->cl_text, &d->cl_text_len, CL_TEXT_MAX, v, vn, false);
        break;
    case H_TE:
        d->has_te = true;
        text_append(d->te, &d->te_len, TE_TEXT_MAX, v, vn, true);
        break;
    case H_CE: text_append(d->ce, &d->ce_len, CE_TEXT_MAX, v, vn, true); break;
    case H_HOST:
        if (tx && tx->has_host)
            anomaly(ctx, dir, "duplicate_host", "more than one Host field (RFC 9112 3.2)");
        if (tx)
            field_keep(d, tx->host, sizeof(tx->host), &tx->has_host, v, vn);
        break;
    case H_UA:
        if (tx)
            field_keep(d, tx->user_agent, sizeof(tx->user_agent), &tx->has_user_agent, v, vn);
        break;
    case H_REFERER:
        if (tx)
            field_keep(d, tx->referer, sizeof(tx->referer), &tx->has_referer, v, vn);
        break;
    case H_CTYPE:
        if (tx && d->is_request && !tx->req_content_type[0])
            field_keep(d, tx->req_content_type, sizeof(tx->req_content_type), NULL, v, vn);
        else if (tx && !d->is_request && !tx->resp_content_type[0])
            field_keep(d, tx->resp_content_type, sizeof(tx->resp_content_type), NULL, v, vn);
        break;
    default: break;
    }
}

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

/* ---- end of a header block: the body length (RFC 9112 6.3) ---------------------------------- */

static void headers_done(struct app_ctx *ctx, struct http_state *st, int dir)
{
    struct http_dir *d = &st->d[dir];
    struct http_tx *tx = d->tx;
    field_end(ctx, d, dir);
    if (!d->is_request && d->interim) { /* 1xx: the final response is still to come */
        d->interim = false;
        d->st = S_START;
        return;
    }
    bool other = false;
    bool chunked = d->has_te && te_chunked_last(d->te, d->te_len, &other);
    if (d->has_te && (d->has_cl || d->cl_invalid)) {
        anomaly(ctx, dir, "te_and_cl", "both Transfer-Encoding and Content-Length: request smuggling indicator");
        if (tx)
            tx->te_and_cl = true;
    }
    if (d->has_te && !chunked)
        anomaly(ctx, dir, "te_not_chunked", "Transfer-Encoding without chunked as its final coding");
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
            tunnel(ctx, st, dir);
            return;
        }
        if (head || status == 204 || status == 304) {
            message_done(ctx, st, dir, S_START);
            return;
        }
        if (chunked) {
            d->st = S_CHUNK_SIZE;
        } else if (d->has_te || d->cl_invalid || !d->has_cl) {
            d->st = S_BODY_CLOSE; /* read until the connection closes (RFC 9112 6.3 items 4, 5, 8) */
        } else if (d->cl == 0) {
            message_done(ctx, st, dir, S_START);
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
        message_done(ctx, st, dir, S_START);
    } else {
        d->st = S_BODY_CL;
        d->remaining = d->cl;
    }
}

/* ---- start lines ---------------------------------------------------------------------------- */

static bool is_version(const uint8_t *p, size_t n)
{
    /* HTTP-version = "HTTP/" DIGIT "." DIGIT (case-insensitive here; other case is an anomaly) */
    return n == 8 && eq_nocase(p, 5, "http/") && p[5] >= '0' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' &&
           p[7] <= '9';
}

static void message_begin(struct http_dir *d, bool request)
{
    d->is_request = request;
    d->n_headers = 0;
    d->interim = false;
    d->reported_lf = d->reported_fold = d->reported_block = false;
    d->cur = H_NONE;
    d->cur_dst = NULL;
    d->has_cl = d->cl_invalid = d->cl_conflict = false;
    d->cl = 0;
    d->cl_text_len = 0;
    d->has_te = false;
    d->te_len = 0;
    d->te[0] = '\0';
    d->ce_len = 0;
    d->ce[0] = '\0';
    d->remaining = 0;
    d->body_off = 0;
}

/* Split a request line into method, target, version.  Returns false when it is not one. */
struct reqline {
    const uint8_t *m, *u, *v;
    size_t mn, un, vn;
    bool extra_ws, uri_ws;
};

static bool split_request_line(const uint8_t *p, size_t n, struct reqline *r)
{
    memset(r, 0, sizeof(*r));
    size_t i = 0;
    while (i < n && is_tchar(p[i]))
        i++;
    if (i == 0 || i == n || !is_ows(p[i]))
        return false;
    r->m = p;
    r->mn = i;
    size_t ws = i;
    while (i < n && is_ows(p[i]))
        i++;
    r->extra_ws = i - ws != 1 || p[ws] != ' ';
    if (i == n)
        return false;
    /* the target runs to the last whitespace run, if what follows it is a version */
    size_t end = n;
    while (end > i && !is_ows(p[end - 1]))
        end--;
    if (end > i && is_version(p + end, n - end)) {
        r->v = p + end;
        r->vn = n - end;
        size_t ue = end;
        while (ue > i && is_ows(p[ue - 1]))
            ue--;
        r->extra_ws = r->extra_ws || end - ue != 1 || p[ue] != ' ';
        r->u = p + i;
        r->un = ue - i;
    } else {
        r->u = p + i; /* HTTP/0.9: method SP target */
        r->un = n - i;
    }
    for (size_t k = 0; k < r->un; k++)
        if (is_ows(r->u[k]) || r->u[k] < 0x20 || r->u[k] == 0x7f)
            r->uri_ws = true;
    if (!r->v && r->uri_ws)
        return false;
    return r->un > 0;
}

/* strict: while resynchronising, only a registered method with an HTTP-version is taken for a request line */
static bool request_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n, bool strict)
{
    struct reqline r;
    if (!split_request_line(p, n, &r))
        return false;
    /* HTTP/0.9 knew only GET (RFC 1945 4.1); resynchronisation wants a full request line */
    if ((!r.v && !(r.mn == 3 && memcmp(r.m, "GET", 3) == 0)) ||
        (strict && (!r.v || known_method(r.m, r.mn, true) != 1)))
        return false;
    struct http_dir *d = &st->d[dir];
    message_begin(d, true);
    if (r.extra_ws)
        anomaly(ctx, dir, "request_line_whitespace", "request line with other whitespace than one SP per separator");
    if (r.uri_ws)
        anomaly(ctx, dir, "uri_whitespace", "request target containing whitespace or control bytes");
    if (r.v && memcmp(r.v, "HTTP/1.", 7) != 0)
        anomaly(ctx, dir, "unknown_protocol", "HTTP-version other than HTTP/1.x");
    if (known_method(r.m, r.mn, true) != 1)
        anomaly(ctx, dir, "unknown_method", "request method outside the registered ones");
    struct http_tx *tx = q_push(ctx, st, dir);
    d->tx = tx;
    if (tx) {
        tx->has_request = true;
        copy_cut(tx->method, sizeof(tx->method), r.m, r.mn);
        tx->uri_truncated = copy_cut(tx->uri, sizeof(tx->uri), r.u, r.un);
        if (r.v)
            copy_cut(tx->protocol, sizeof(tx->protocol), r.v, r.vn);
        else
            memcpy(tx->protocol, "HTTP/0.9", 9);
    }
    if (!r.v) { /* HTTP/0.9 simple request (RFC 1945 4.1): no header block, no body */
        anomaly(ctx, dir, "http09_request", "request line without an HTTP-version");
        message_done(ctx, st, dir, S_START);
        return true;
    }
    d->st = S_HEADERS;
    return true;
}

static bool status_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n)
{
    /* HTTP-version SP 3DIGIT [SP reason-phrase] */
    if (n < 12 || !is_version(p, 8) || !is_ows(p[8]))
        return false;
    size_t i = 8;
    while (i < n && is_ows(p[i]))
        i++;
    if (n - i < 3 || p[i] < '1' || p[i] > '5' || p[i + 1] < '0' || p[i + 1] > '9' || p[i + 2] < '0' || p[i + 2] > '9' ||
        (n - i > 3 && !is_ows(p[i + 3])))
        return false;
    uint16_t status = (uint16_t)((p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0'));
    const uint8_t *reason = p + i + 3;
    size_t rn = n - i - 3;
    trim(&reason, &rn);
    struct http_dir *d = &st->d[dir];
    message_begin(d, false);
    if (memcmp(p, "HTTP/1.", 7) != 0)
        anomaly(ctx, dir, "unknown_protocol", "HTTP-version other than HTTP/1.x");
    d->st = S_HEADERS;
    struct http_tx *tx = q_unanswered(st);
    if (status >= 100 && status < 200 && status != 101) {
        d->interim = true; /* the headers of an interim response belong to no transaction */
        d->tx = NULL;
        if (tx)
            tx->interim++;
        return true;
    }
    if (!tx) {
        anomaly(ctx, dir, "response_without_request", "a response with no request left to answer");
        tx = q_push(ctx, st, dir);
        if (tx)
            tx->request_done = true;
    }
    d->tx = tx;
    if (tx) {
        tx->has_response = true;
        tx->status = status;
        copy_cut(tx->resp_protocol, sizeof(tx->resp_protocol), p, 8);
        copy_cut(tx->reason, sizeof(tx->reason), reason, rn);
    }
    return true;
}

/* A line in START or RESYNC: a start line, or (START) an invalid one. */
static void start_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n, bool overlong)
{
    struct http_dir *d = &st->d[dir];
    bool request = dir == st->req_dir;
    if (n == 0 && !overlong && d->st == S_START)
        return; /* empty lines before a start line (RFC 9112 2.2) */
    bool strict = d->st == S_RESYNC;
    if (!overlong && (request ? request_line(ctx, st, dir, p, n, strict) : status_line(ctx, st, dir, p, n))) {
        d->hdr_bytes = (uint32_t)n;
        return;
    }
    if (d->st == S_START) {
        if (overlong)
            anomaly(ctx, dir, "start_line_too_long", "start line longer than http.max-header-bytes");
        else if (request)
            anomaly(ctx, dir, "invalid_request_line", "not a request line: looking for the next one");
        else
            anomaly(ctx, dir, "invalid_status_line", "not a status line: looking for the next one");
        d->st = S_RESYNC;
        d->resync_bytes = 0;
    }
}

/* ---- lines ---------------------------------------------------------------------------------- */

static void line_reset(struct app_ctx *ctx, struct http_dir *d)
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

static void chunk_size_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n,
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
        anomaly(ctx, dir, "invalid_chunk_size", "chunk-size line is not a hexadecimal size");
        resync(ctx, st, dir);
        return;
    }
    if (v == 0) {
        d->st = S_TRAILERS;
        return;
    }
    d->remaining = v;
    d->st = S_CHUNK_DATA;
}

/* One complete line of direction dir (CR stripped). */
static void on_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n, bool overlong)
{
    struct http_dir *d = &st->d[dir];
    switch (d->st) {
    case S_START: start_line(ctx, st, dir, p, n, overlong); break;
    case S_RESYNC: start_line(ctx, st, dir, p, n, overlong); break;
    case S_HEADERS:
    case S_TRAILERS:
        if (overlong) {
            anomaly(ctx, dir, "header_line_too_long", "field line longer than http.max-header-bytes: ignored");
            break;
        }
        if (n == 0) {
            if (d->st == S_HEADERS)
                headers_done(ctx, st, dir);
            else
                message_done(ctx, st, dir, S_START);
            break;
        }
        if (d->st == S_HEADERS)
            field_line(ctx, st, dir, p, n);
        break;
    case S_CHUNK_SIZE: chunk_size_line(ctx, st, dir, p, n, overlong); break;
    case S_CHUNK_END:
        if (n != 0 || overlong) { /* chunk data longer than its size said: this line is taken as the next size */
            anomaly(ctx, dir, "chunk_missing_crlf", "chunk data not followed by CRLF");
            chunk_size_line(ctx, st, dir, p, n, overlong);
            break;
        }
        d->st = S_CHUNK_SIZE;
        break;
    default: break;
    }
}

static bool line_state(enum http_dstate s)
{
    return s == S_START || s == S_RESYNC || s == S_HEADERS || s == S_TRAILERS || s == S_CHUNK_SIZE || s == S_CHUNK_END;
}

/* Still no start line after HTTP_RESYNC_MAX bytes: this direction is no longer followed. */
static void give_up_resync(struct app_ctx *ctx, struct http_dir *d, int dir)
{
    if (d->st != S_RESYNC || d->resync_bytes < HTTP_RESYNC_MAX)
        return;
    anomaly(ctx, dir, "resync_failed", "no start line found: direction no longer followed");
    d->st = S_DEAD;
    line_reset(ctx, d);
}

/* Consume line bytes from p: returns the bytes used (up to and including an LF, or all of them). */
static size_t feed_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n)
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
            anomaly(ctx, dir, "header_block_too_large", "header block longer than http.max-header-bytes");
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
        anomaly(ctx, dir, "bare_lf", "line ended by LF without CR");
    }
    on_line(ctx, st, dir, line, len, overlong);
    line_reset(ctx, d);
    give_up_resync(ctx, d, dir);
    return used;
}

/* ---- direction detection -------------------------------------------------------------------- */

static void learn_direction(struct http_state *st, int dir, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == '\r' || p[i] == '\n'))
        i++;
    if (n - i < 5)
        return;
    st->dir_known = true;
    if (memcmp(p + i, "HTTP/", 5) == 0)
        st->req_dir = (uint8_t)(dir ^ 1);
    else
        st->req_dir = (uint8_t)dir;
}

static const struct config_key http_keys[] = {
    CONFIG_KEY_SECTION("app-layer.protocols.http",
                       "HTTP/1.x on any port (8042: Orthanc's REST/DICOMweb; 3128: proxies)"),
    APP_PROTO_CONFIG_KEYS(struct http_cfg, "http", "80, 8080, 8000, 8008, 8042, 3128"),
    CONFIG_KEY_SIZE(struct http_cfg, max_header_bytes, "http.max-header-bytes", 1 * CONFIG_KB, 1 * CONFIG_MB, "16kb",
                    "Start line plus header block of one HTTP message (1kb..1mb). Beyond it the header\n"
                    "names stop being recorded (anomaly header_block_too_large); framing is still followed."),
};
APP_PROTO_CONFIG_CHECK(struct http_cfg);

const struct config_module http_config_module = {
    .name = "http",
    .keys = http_keys,
    .n = sizeof(http_keys) / sizeof(http_keys[0]),
    .struct_size = sizeof(struct http_cfg),
};

/* ---- parser callbacks ----------------------------------------------------------------------- */

static void *http_state_new(struct app_ctx *ctx)
{
    struct http_state *st = app_alloc(ctx, sizeof(*st));
    if (!st)
        return NULL;
    const struct http_cfg *c = app_parser_cfg(ctx->al, APP_HTTP);
    /* the key's range (1kb..1mb) keeps it within 32 bits; a struct filled by hand is held to it as well */
    st->max_header_bytes = c->max_header_bytes <= (1u << 20) ? (uint32_t)c->max_header_bytes : 1u << 20;
    return st;
}

static void http_state_free(struct app_ctx *ctx, void *state)
{
    struct http_state *st = state;
    if (!st)
        return;
    for (int d = 0; d < 2; d++) {
        file_close(ctx, &st->d[d]);
        app_free(ctx, st->d[d].line, st->d[d].line_cap);
    }
    while (st->q_len > 0) {
        app_free(ctx, st->q[st->q_head], sizeof(struct http_tx));
        st->q_head = (uint8_t)((st->q_head + 1) % HTTP_MAX_PENDING);
        st->q_len--;
    }
    app_free(ctx, st, sizeof(*st));
}

/* The bytes of direction dir, message by message. */
static void feed_dir(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *data, size_t len)
{
    struct http_dir *d = &st->d[dir];
    while (len > 0) {
        if (d->st == S_TUNNEL || d->st == S_DEAD)
            return;
        if (d->st == S_START && dir != st->req_dir && d->line_len == 0) {
            /* the answer to an HTTP/0.9 request is the body alone, up to the close */
            struct http_tx *tx = q_unanswered(st);
            if (tx && tx->has_request && strcmp(tx->protocol, "HTTP/0.9") == 0) {
                message_begin(d, false);
                d->tx = tx;
                tx->has_response = true;
                d->st = S_BODY_CLOSE;
            }
        }
        size_t used;
        if (line_state(d->st)) {
            used = feed_line(ctx, st, dir, data, len);
        } else if (d->st == S_BODY_CL || d->st == S_CHUNK_DATA) {
            used = len < d->remaining ? len : (size_t)d->remaining;
            body_data(ctx, d, data, used);
            d->remaining -= used;
            if (d->remaining == 0) {
                if (d->st == S_CHUNK_DATA)
                    d->st = S_CHUNK_END;
                else
                    message_done(ctx, st, dir, S_START);
            }
        } else { /* S_BODY_CLOSE */
            used = len;
            body_data(ctx, d, data, used);
        }
        data += used;
        len -= used;
    }
}

static void http_on_data(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len)
{
    struct http_state *st = state;
    dir = dir ? 1 : 0;
    struct http_dir *d = &st->d[dir];
    if (!st->dir_known)
        learn_direction(st, dir, data, len);
    if (d->st == S_TUNNEL && st->connect_tunnel && dir == st->req_dir) {
        /* A proxy tunnel usually carries TLS; if its first bytes are an HTTP request, HTTP goes on (as Suricata
         * does).  Up to 16 bytes are held while the probe cannot tell. */
        size_t take = len < sizeof(st->tun_buf) - st->tun_len ? len : sizeof(st->tun_buf) - st->tun_len;
        memcpy(st->tun_buf + st->tun_len, data, take);
        st->tun_len = (uint8_t)(st->tun_len + take);
        enum probe_result r = http_probe(st->tun_buf, st->tun_len, dir);
        if (r == PROBE_MAYBE && st->tun_len < sizeof(st->tun_buf))
            return;
        st->connect_tunnel = false;
        if (r != PROBE_YES)
            return;
        st->d[0].st = st->d[1].st = S_START;
        size_t held = st->tun_len - take; /* bytes of earlier chunks; this chunk's follow below */
        st->tun_len = 0;
        feed_dir(ctx, st, dir, st->tun_buf, held);
    }
    feed_dir(ctx, st, dir, data, len);
}

static void http_on_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    struct http_state *st = state;
    dir = dir ? 1 : 0;
    struct http_dir *d = &st->d[dir];
    switch (d->st) {
    case S_TUNNEL:
    case S_DEAD: return;
    case S_BODY_CLOSE: body_gap(ctx, d, len); return;
    case S_BODY_CL:
    case S_CHUNK_DATA:
        if (len <= d->remaining) { /* inside the body: skipped, the file is marked gapped */
            body_gap(ctx, d, len);
            d->remaining -= len;
            if (d->remaining == 0) {
                if (d->st == S_CHUNK_DATA)
                    d->st = S_CHUNK_END;
                else
                    message_done(ctx, st, dir, S_START);
            }
            return;
        }
        break;
    case S_START:
        if (d->line_len == 0 && !d->line_over) {
            /* between messages: what follows starts somewhere in a message we did not see */
            anomaly(ctx, dir, "gap_resync", "bytes lost: looking for the next start line");
            d->st = S_RESYNC;
            d->resync_bytes = 0;
            return;
        }
        break;
    default: break;
    }
    anomaly(ctx, dir, "gap_resync", "bytes lost: looking for the next start line");
    if (d->tx)
        d->tx->gap = true;
    line_reset(ctx, d);
    resync(ctx, st, dir);
}

static void http_on_close(struct app_ctx *ctx, void *state)
{
    struct http_state *st = state;
    for (int dir = 0; dir < 2; dir++) {
        struct http_dir *d = &st->d[dir];
        if (d->st == S_BODY_CLOSE) {
            message_done(ctx, st, dir, S_START);
        } else if (d->tx) {
            anomaly(ctx, dir, "truncated_message", "connection ended inside a message");
            d->tx->truncated = true;
            message_done(ctx, st, dir, S_START);
        } else {
            file_close(ctx, d);
        }
    }
    while (st->q_len > 0) /* requests left without a response */
        q_pop_emit(ctx, st, 0);
}

const struct app_parser http_parser = {
    .name = "http",
    .proto = APP_HTTP,
    .ipproto = 6,
    .config = &http_config_module,
    .probe = http_probe,
    .state_new = http_state_new,
    .state_free = http_state_free,
    .on_data = http_on_data,
    .on_gap = http_on_gap,
    .on_close = http_on_close,
};
