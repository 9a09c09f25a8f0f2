/*
 * http.c - HTTP/1.x transactions: the parser's entry points, the queue of pipelined transactions, the hand-off of
 * bodies to the file tracker, and the events (see http.h; http_internal.h has the file map and the state machine).
 *
 * A request opens a transaction at the tail of the queue, a response answers the oldest one without a response;
 * transactions are emitted in request order once both messages are complete (or at the end of the connection).
 *
 * Request and response directions are told apart by the first bytes: the
 * direction that starts with "HTTP/" answers (a capture picked up midstream
 * can have the flow's direction reversed).
 */
#include "app/http/http.h"

#include <string.h>

#include "app/http/http_internal.h"
#include "core/config.h"
#include "files/files.h"
#include "flow/flow.h"

/* ---- transactions --------------------------------------------------------------------------- */

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
struct http_tx *http_tx_push(struct app_ctx *ctx, struct http_state *st, int dir)
{
    if (st->q_len == HTTP_MAX_PENDING) {
        app_anomaly(ctx, dir, "too_many_pending", "more pipelined requests than http can hold: oldest left unanswered");
        struct http_tx *head = st->q[st->q_head];
        if (st->d[0].tx == head || st->d[1].tx == head)
            return NULL; /* the oldest is still being parsed: this message is followed but not recorded */
        q_pop_emit(ctx, st, dir);
    }
    struct http_tx *tx = app_alloc(ctx, sizeof(*tx));
    if (!tx) {
        app_anomaly(ctx, dir, "memcap", "no memory for an http transaction");
        return NULL;
    }
    st->q[(st->q_head + st->q_len) % HTTP_MAX_PENDING] = tx;
    st->q_len++;
    return tx;
}

/* The oldest transaction without a response, or NULL. */
struct http_tx *http_tx_unanswered(struct http_state *st)
{
    for (unsigned i = 0; i < st->q_len; i++) {
        struct http_tx *tx = q_at(st, i);
        if (!tx->has_response)
            return tx;
    }
    return NULL;
}

/* ---- bodies and files ----------------------------------------------------------------------- */

void http_tx_body_data(struct app_ctx *ctx, struct http_dir *d, const uint8_t *p, size_t n)
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

void http_tx_body_gap(struct app_ctx *ctx, struct http_dir *d, uint64_t n)
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

/* ---- end of a message ----------------------------------------------------------------------- */

/* The message in direction dir is complete (or abandoned): mark it, emit what is complete. */
void http_message_done(struct app_ctx *ctx, struct http_state *st, int dir, enum http_dstate next)
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
void http_resync(struct app_ctx *ctx, struct http_state *st, int dir)
{
    struct http_dir *d = &st->d[dir];
    if (d->tx)
        d->tx->truncated = true;
    d->resync_bytes = 0;
    http_message_done(ctx, st, dir, S_RESYNC);
}

/* The connection stops being HTTP (CONNECT 2xx, 101): both directions stop. */
void http_tunnel(struct app_ctx *ctx, struct http_state *st, int dir)
{
    if (st->d[dir].tx)
        st->d[dir].tx->tunnel = true;
    http_message_done(ctx, st, dir, S_TUNNEL);
    struct http_dir *o = &st->d[dir ^ 1];
    if (o->tx)
        o->tx->truncated = o->st != S_START;
    http_message_done(ctx, st, dir ^ 1, S_TUNNEL);
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

/* ---- configuration -------------------------------------------------------------------------- */

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
            struct http_tx *tx = http_tx_unanswered(st);
            if (tx && tx->has_request && strcmp(tx->protocol, "HTTP/0.9") == 0) {
                http_message_begin(d, false);
                d->tx = tx;
                tx->has_response = true;
                d->st = S_BODY_CLOSE;
            }
        }
        size_t used;
        if (http_line_state(d->st)) {
            used = http_feed_line(ctx, st, dir, data, len);
        } else {
            used = http_body_feed(ctx, st, dir, data, len);
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
    case S_BODY_CLOSE:
    case S_BODY_CL:
    case S_CHUNK_DATA:
        if (http_body_gap(ctx, st, dir, len))
            return;
        break;
    case S_START:
        if (d->line_len == 0 && !d->line_over) {
            /* between messages: what follows starts somewhere in a message we did not see */
            app_anomaly(ctx, dir, "gap_resync", "bytes lost: looking for the next start line");
            d->st = S_RESYNC;
            d->resync_bytes = 0;
            return;
        }
        break;
    default: break;
    }
    app_anomaly(ctx, dir, "gap_resync", "bytes lost: looking for the next start line");
    if (d->tx)
        d->tx->gap = true;
    http_line_reset(ctx, d);
    http_resync(ctx, st, dir);
}

static void http_on_close(struct app_ctx *ctx, void *state)
{
    struct http_state *st = state;
    for (int dir = 0; dir < 2; dir++) {
        struct http_dir *d = &st->d[dir];
        if (d->st == S_BODY_CLOSE) {
            http_message_done(ctx, st, dir, S_START);
        } else if (d->tx) {
            app_anomaly(ctx, dir, "truncated_message", "connection ended inside a message");
            d->tx->truncated = true;
            http_message_done(ctx, st, dir, S_START);
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
