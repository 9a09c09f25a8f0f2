/*
 * http_message.c - the HTTP/1.x probe, start lines and field lines (see http_internal.h for the file map).
 *
 *   request-line  = method SP request-target SP HTTP-version CRLF        (RFC 9112 3)
 *   status-line   = HTTP-version SP 3DIGIT SP [ reason-phrase ] CRLF     (RFC 9112 4)
 *   field-line    = field-name ":" OWS field-value OWS CRLF               (RFC 9112 5)
 *
 * Tolerated as servers do, each reported as an anomaly: obs-fold, whitespace before a field's colon, runs of
 * whitespace in the request line, a request target with spaces, HTTP/0.9 simple requests.  Empty lines before a
 * start line are skipped silently (RFC 9112 2.2).  Values are never kept
 * except the named fields; every string is cut at a UTF-8 boundary to a fixed size.  Content-Length, Transfer-Encoding
 * and Content-Encoding are gathered here for http_body.c, which decides the framing at the end of the block.
 */
#include <string.h>

#include "app/http/http_internal.h"

/* ---- small helpers -------------------------------------------------------------------------- */

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
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

/* ---- start lines ---------------------------------------------------------------------------- */

static bool is_version(const uint8_t *p, size_t n)
{
    /* HTTP-version = "HTTP/" DIGIT "." DIGIT (case-insensitive here; other case is an anomaly) */
    return n == 8 && eq_nocase(p, 5, "http/") && p[5] >= '0' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' &&
           p[7] <= '9';
}

void http_message_begin(struct http_dir *d, bool request)
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
    http_message_begin(d, true);
    if (r.extra_ws)
        app_anomaly(ctx, dir, "request_line_whitespace",
                    "request line with other whitespace than one SP per separator");
    if (r.uri_ws)
        app_anomaly(ctx, dir, "uri_whitespace", "request target containing whitespace or control bytes");
    if (r.v && memcmp(r.v, "HTTP/1.", 7) != 0)
        app_anomaly(ctx, dir, "unknown_protocol", "HTTP-version other than HTTP/1.x");
    if (known_method(r.m, r.mn, true) != 1)
        app_anomaly(ctx, dir, "unknown_method", "request method outside the registered ones");
    struct http_tx *tx = http_tx_push(ctx, st, dir);
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
        app_anomaly(ctx, dir, "http09_request", "request line without an HTTP-version");
        http_message_done(ctx, st, dir, S_START);
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
    http_message_begin(d, false);
    if (memcmp(p, "HTTP/1.", 7) != 0)
        app_anomaly(ctx, dir, "unknown_protocol", "HTTP-version other than HTTP/1.x");
    d->st = S_HEADERS;
    struct http_tx *tx = http_tx_unanswered(st);
    if (status >= 100 && status < 200 && status != 101) {
        d->interim = true; /* the headers of an interim response belong to no transaction */
        d->tx = NULL;
        if (tx)
            tx->interim++;
        return true;
    }
    if (!tx) {
        app_anomaly(ctx, dir, "response_without_request", "a response with no request left to answer");
        tx = http_tx_push(ctx, st, dir);
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
void http_start_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n, bool overlong)
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
            app_anomaly(ctx, dir, "start_line_too_long", "start line longer than http.max-header-bytes");
        else if (request)
            app_anomaly(ctx, dir, "invalid_request_line", "not a request line: looking for the next one");
        else
            app_anomaly(ctx, dir, "invalid_status_line", "not a status line: looking for the next one");
        d->st = S_RESYNC;
        d->resync_bytes = 0;
    }
}

/* ---- field lines ---------------------------------------------------------------------------- */

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
void http_field_end(struct app_ctx *ctx, struct http_dir *d, int dir)
{
    if (d->cur == H_CL) {
        uint64_t v = 0;
        if (!parse_cl(d->cl_text, d->cl_text_len, &v)) {
            d->cl_invalid = true;
            app_anomaly(ctx, dir, "invalid_content_length", "Content-Length is not a number (or a list of one number)");
        } else if (d->has_cl && v != d->cl) {
            d->cl_conflict = true;
            app_anomaly(ctx, dir, "multiple_content_length", "Content-Length fields with different values");
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

void http_field_line(struct app_ctx *ctx, struct http_state *st, int dir, const uint8_t *p, size_t n)
{
    struct http_dir *d = &st->d[dir];
    struct http_tx *tx = d->tx;
    if (is_ows(p[0])) { /* obs-fold (RFC 9112 5.2): the previous field's value goes on */
        if (!d->reported_fold) {
            d->reported_fold = true;
            app_anomaly(ctx, dir, "obs_fold", "field value continued on a line starting with whitespace");
        }
        trim(&p, &n);
        if (d->cur == H_NONE) {
            app_anomaly(ctx, dir, "invalid_header_line", "folded line without a field before it");
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
    http_field_end(ctx, d, dir);
    const uint8_t *colon = memchr(p, ':', n);
    if (!colon) {
        app_anomaly(ctx, dir, "invalid_header_line", "field line without a colon");
        return;
    }
    const uint8_t *name = p;
    size_t nl = (size_t)(colon - p);
    if (nl > 0 && is_ows(name[nl - 1])) {
        app_anomaly(ctx, dir, "header_name_whitespace", "whitespace between a field name and its colon");
        while (nl > 0 && is_ows(name[nl - 1]))
            nl--;
    }
    bool valid = nl > 0;
    for (size_t i = 0; i < nl && valid; i++)
        valid = is_tchar(name[i]);
    if (!valid) {
        app_anomaly(ctx, dir, "invalid_header_name", "field name empty or with a character outside tchar");
        if (nl == 0)
            return;
    }
    const uint8_t *v = colon + 1;
    size_t vn = (size_t)(p + n - v);
    trim(&v, &vn);
    if (++d->n_headers == HTTP_MAX_HEADERS + 1)
        app_anomaly(ctx, dir, "too_many_headers", "more header fields than http keeps");
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
            app_anomaly(ctx, dir, "duplicate_host", "more than one Host field (RFC 9112 3.2)");
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
