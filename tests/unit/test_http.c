/*
 * test_http.c - the HTTP/1.x parser fed messages written from RFC 9112: the
 * probe, Content-Length, chunked (with trailers), close-delimited bodies,
 * HEAD/204/304 without body, 100-continue, CONNECT and 101 tunnels,
 * pipelining, every message split at every byte, the framing anomalies
 * (Transfer-Encoding with Content-Length, differing Content-Lengths, obs-fold,
 * bare LF, invalid lines and resynchronisation), the limits (header count and
 * block size, pending queue) and gaps.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/http/http.h"
#include "config_registry.h"
#include "core/stats.h"
#include "files/files.h"
#include "flow/flow.h"

#define MAX_REC 64

struct file_rec {
    char name[128];
    uint64_t size;
    bool gaps;
    bool has_sha;
    char sha[65];
    int direction;
};

struct rec {
    int n_tx;
    struct http_tx tx[MAX_REC];
    int n_anom;
    const char *anom[MAX_REC];
    int n_file;
    struct file_rec file[MAX_REC];
};

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_HTTP && r->n_tx < MAX_REC) {
        const struct http_event *he = ev->body;
        r->tx[r->n_tx++] = *he->tx; /* a flat record: copied whole */
    } else if (ev->type == EVENT_ANOMALY && r->n_anom < MAX_REC) {
        const struct anomaly_event *a = ev->body;
        r->anom[r->n_anom++] = a->event;
    } else if (ev->type == EVENT_FILEINFO && r->n_file < MAX_REC) {
        const struct fileinfo_event *f = ev->body;
        struct file_rec *fr = &r->file[r->n_file++];
        snprintf(fr->name, sizeof(fr->name), "%s", f->filename);
        fr->size = f->size;
        fr->gaps = f->gaps;
        fr->has_sha = f->has_sha256;
        memcpy(fr->sha, f->sha256, sizeof(fr->sha));
        fr->direction = f->direction;
    }
}

struct h {
    struct stats stats;
    struct event_bus bus;
    struct app_layer al;
    struct anomaly_ctx anomalies; /* the app layer's limiter: the engine's part here */
    struct config cfg;
    struct flow flow;
    struct file_tracker ft;
    struct app_ctx ctx;
    struct rec rec;
    void *st;
};

static struct h *h_new_cfg(uint32_t max_header_bytes)
{
    struct h *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    config_defaults(&h->cfg);
    if (max_header_bytes)
        h->cfg.http.max_header_bytes = max_header_bytes;
    event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_HTTP) | EVENT_MASK(EVENT_ANOMALY) | EVENT_MASK(EVENT_FILEINFO),
                        on_event, &h->rec);
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&h->cfg, parser_cfg);
    assert_int_equal(app_layer_init(&h->al, &h->cfg.app, &h->stats, &h->bus, parser_cfg), 0);
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    files_init(&h->ft, NULL);
    h->al.files = &h->ft;
    h->flow.server_port = 80;
    h->ctx.al = &h->al;
    h->ctx.flow = &h->flow;
    h->st = http_parser.state_new(&h->ctx);
    assert_non_null(h->st);
    return h;
}

static struct h *h_new(void)
{
    return h_new_cfg(0);
}

static void h_close(struct h *h)
{
    http_parser.on_close(&h->ctx, h->st);
}

static void h_free(struct h *h)
{
    http_parser.state_free(&h->ctx, h->st);
    assert_int_equal(h->al.mc.used, 0); /* nothing leaked against the memcap */
    assert_int_equal(h->ft.open, 0);
    files_free(&h->ft);
    app_layer_free(&h->al);
    free(h);
}

static void feed_n(struct h *h, int dir, const char *s, size_t n, size_t step)
{
    if (!step)
        step = n ? n : 1;
    for (size_t off = 0; off < n; off += step)
        http_parser.on_data(&h->ctx, h->st, dir, (const uint8_t *)s + off, n - off < step ? n - off : step);
}

static void feed(struct h *h, int dir, const char *s, size_t step)
{
    feed_n(h, dir, s, strlen(s), step);
}

static bool has_anom(const struct h *h, const char *name)
{
    for (int i = 0; i < h->rec.n_anom; i++)
        if (strcmp(h->rec.anom[i], name) == 0)
            return true;
    return false;
}

/* request header names of tx, joined by ',' */
static void names(const struct http_tx *tx, char *out, size_t cap)
{
    size_t o = 0;
    const char *n = tx->names;
    out[0] = '\0';
    for (unsigned i = 0; i < tx->n_names; i++) {
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? "," : "", n);
        n += strlen(n) + 1;
    }
}

/* ---- probe ---------------------------------------------------------------------------------- */

static void test_probe(void **state)
{
    (void)state;
    const struct {
        const char *s;
        enum probe_result want;
    } cases[] = {
        {"GET / HTTP/1.1\r\n", PROBE_YES},
        {"POST /x", PROBE_YES},
        {"HTTP/1.1 200 OK\r\n", PROBE_YES},
        {"HTTP/1.0", PROBE_YES},
        {"HTTP/1", PROBE_MAYBE},
        {"GE", PROBE_MAYBE},
        {"GET", PROBE_MAYBE},
        {"GET ", PROBE_MAYBE},
        {"\r\n\r\nGET /", PROBE_YES}, /* empty lines first (RFC 9112 2.2) */
        {"PROPFIND /dav HTTP/1.1", PROBE_YES},
        {"get / HTTP/1.1", PROBE_NO}, /* methods are case-sensitive */
        {"GETX / HTTP/1.1", PROBE_NO},
        {"USER anonymous\r\n", PROBE_NO}, /* FTP */
        {"EHLO mail\r\n", PROBE_NO},      /* SMTP */
        {"GET  /", PROBE_NO},
        {"HTTP/2.0 200", PROBE_NO},
        {"\x16\x03\x01", PROBE_NO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum probe_result r = http_probe((const uint8_t *)cases[i].s, strlen(cases[i].s), 0);
        if (r != cases[i].want)
            fail_msg("probe \"%s\": %d, want %d", cases[i].s, r, cases[i].want);
    }
}

/* ---- simple exchange, split at every byte ---------------------------------------------------- */

static const char REQ1[] = "GET /index.html?q=1 HTTP/1.1\r\n"
                           "Host: www.example.com:8080\r\n"
                           "User-Agent: curl/7.88.1\r\n"
                           "Accept: */*\r\n"
                           "Referer: http://a.example/\r\n"
                           "Cookie: secret=1\r\n"
                           "\r\n";
static const char RESP1[] = "HTTP/1.1 200 OK\r\n"
                            "Content-Type: text/html\r\n"
                            "Content-Length: 5\r\n"
                            "\r\n"
                            "hello";

static void check_simple(const struct h *h)
{
    assert_int_equal(h->rec.n_tx, 1);
    const struct http_tx *tx = &h->rec.tx[0];
    assert_string_equal(tx->method, "GET");
    assert_string_equal(tx->uri, "/index.html?q=1");
    assert_string_equal(tx->protocol, "HTTP/1.1");
    assert_string_equal(tx->host, "www.example.com:8080");
    assert_string_equal(tx->user_agent, "curl/7.88.1");
    assert_string_equal(tx->referer, "http://a.example/");
    assert_string_equal(tx->resp_content_type, "text/html");
    assert_int_equal(tx->status, 200);
    assert_string_equal(tx->reason, "OK");
    assert_int_equal(tx->response_body_len, 5);
    assert_int_equal(tx->request_body_len, 0);
    assert_true(tx->has_resp_content_length);
    assert_int_equal(tx->resp_content_length, 5);
    char n[256];
    names(tx, n, sizeof(n));
    assert_string_equal(n, "Host,User-Agent,Accept,Referer,Cookie");
    assert_int_equal(h->rec.n_anom, 0);
    assert_int_equal(h->rec.n_file, 1);
    assert_string_equal(h->rec.file[0].name, "/index.html?q=1");
    assert_int_equal(h->rec.file[0].size, 5);
    assert_int_equal(h->rec.file[0].direction, 1);
    /* SHA-256("hello") */
    assert_string_equal(h->rec.file[0].sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

static void test_simple_every_split(void **state)
{
    (void)state;
    for (size_t step = 1; step <= sizeof(RESP1); step++) {
        struct h *h = h_new();
        feed(h, 0, REQ1, step);
        assert_int_equal(h->rec.n_tx, 0); /* emitted when the response completes */
        feed(h, 1, RESP1, step);
        check_simple(h); /* before the close: the response completed the transaction */
        h_close(h);
        assert_int_equal(h->rec.n_tx, 1);
        h_free(h);
    }
    /* every two-piece split of the request */
    for (size_t cut = 1; cut < sizeof(REQ1) - 1; cut++) {
        struct h *h = h_new();
        feed_n(h, 0, REQ1, cut, 0);
        feed_n(h, 0, REQ1 + cut, strlen(REQ1) - cut, 0);
        feed(h, 1, RESP1, 0);
        check_simple(h);
        h_close(h);
        h_free(h);
    }
}

/* The Kwampirs C2 request: User-Agent, then Host, no Accept. */
static void test_header_order(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "POST /b.php HTTP/1.0\r\nUser-Agent: Mozilla/4.0\r\nHost: 10.1.1.1\r\nContent-Length: 3\r\n\r\nabc", 0);
    feed(h, 1, "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 1);
    char n[256];
    names(&h->rec.tx[0], n, sizeof(n));
    assert_string_equal(n, "User-Agent,Host,Content-Length");
    assert_int_equal(h->rec.tx[0].request_body_len, 3);
    assert_int_equal(h->rec.n_file, 1);
    assert_int_equal(h->rec.file[0].direction, 0);
    h_close(h);
    h_free(h);
}

/* ---- pipelining ----------------------------------------------------------------------------- */

static void test_pipelining(void **state)
{
    (void)state;
    for (size_t step = 0; step < 8; step += 7) {
        struct h *h = h_new();
        feed(h, 0,
             "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
             "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
             "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody",
             step);
        assert_int_equal(h->rec.n_tx, 0);
        feed(h, 1,
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nAA"
             "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" /* HEAD: no body despite the length */
             "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nCCC",
             step);
        assert_int_equal(h->rec.n_tx, 3);
        assert_string_equal(h->rec.tx[0].uri, "/a");
        assert_int_equal(h->rec.tx[0].response_body_len, 2);
        assert_string_equal(h->rec.tx[1].uri, "/b");
        assert_string_equal(h->rec.tx[1].method, "HEAD");
        assert_int_equal(h->rec.tx[1].response_body_len, 0);
        assert_int_equal(h->rec.tx[1].resp_content_length, 1000);
        assert_string_equal(h->rec.tx[2].uri, "/c");
        assert_int_equal(h->rec.tx[2].status, 201);
        assert_int_equal(h->rec.tx[2].request_body_len, 4);
        assert_int_equal(h->rec.tx[2].response_body_len, 3);
        assert_int_equal(h->rec.n_anom, 0);
        h_close(h);
        h_free(h);
    }
}

static void test_pending_limit(void **state)
{
    (void)state;
    struct h *h = h_new();
    for (int i = 0; i < HTTP_MAX_PENDING + 4; i++)
        feed(h, 0, "GET /p HTTP/1.1\r\n\r\n", 0);
    assert_true(has_anom(h, "too_many_pending"));
    assert_int_equal(h->rec.n_tx, 4); /* the oldest were let go, unanswered */
    assert_false(h->rec.tx[0].has_response);
    h_close(h);
    assert_int_equal(h->rec.n_tx, HTTP_MAX_PENDING + 4);
    h_free(h);
}

/* Fuzzer find: responses without requests filling the queue while the oldest request's body is still arriving
 * (answered early) must not free that request under the parser. */
static void test_pending_limit_early_answer(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "POST /big HTTP/1.1\r\nContent-Length: 10\r\n\r\n12345", 0);
    for (int i = 0; i < HTTP_MAX_PENDING + 2; i++)
        feed(h, 1, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n", 0);
    assert_true(has_anom(h, "response_without_request"));
    assert_true(has_anom(h, "too_many_pending"));
    assert_int_equal(h->rec.n_tx, 0); /* all wait behind the request still being read */
    feed(h, 0, "67890", 0);
    assert_int_equal(h->rec.n_tx, HTTP_MAX_PENDING);
    assert_string_equal(h->rec.tx[0].uri, "/big");
    assert_int_equal(h->rec.tx[0].status, 413);
    assert_int_equal(h->rec.tx[0].request_body_len, 10);
    h_close(h);
    h_free(h);
}

/* ---- bodies --------------------------------------------------------------------------------- */

static const char CHUNKED[] = "HTTP/1.1 200 OK\r\n"
                              "Transfer-Encoding: chunked\r\n"
                              "\r\n"
                              "5;ext=1\r\nhello\r\n"
                              "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                              "0\r\n"
                              "X-Trailer: t\r\n"
                              "\r\n";

static void test_chunked_every_split(void **state)
{
    (void)state;
    for (size_t step = 1; step <= sizeof(CHUNKED); step++) {
        struct h *h = h_new();
        feed(h, 0, "GET /c HTTP/1.1\r\nHost: h\r\n\r\n", step);
        feed(h, 1, CHUNKED, step);
        assert_int_equal(h->rec.n_tx, 1);
        assert_true(h->rec.tx[0].resp_chunked);
        assert_int_equal(h->rec.tx[0].response_body_len, 31);
        assert_int_equal(h->rec.n_file, 1);
        assert_int_equal(h->rec.file[0].size, 31); /* de-chunked */
        assert_int_equal(h->rec.n_anom, 0);
        /* the connection goes on after the trailers */
        feed(h, 0, "GET /d HTTP/1.1\r\n\r\n", step);
        feed(h, 1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", step);
        assert_int_equal(h->rec.n_tx, 2);
        assert_int_equal(h->rec.tx[1].status, 404);
        h_close(h);
        h_free(h);
    }
}

static void test_chunked_request(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "POST /up HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 204 No Content\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_true(h->rec.tx[0].req_chunked);
    assert_int_equal(h->rec.tx[0].request_body_len, 3);
    assert_int_equal(h->rec.tx[0].status, 204);
    h_close(h);
    h_free(h);
}

static void test_close_delimited(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET /old HTTP/1.0\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil", 0);
    feed(h, 1, " the end", 0);
    assert_int_equal(h->rec.n_tx, 0); /* the body ends with the connection */
    h_close(h);
    assert_int_equal(h->rec.n_tx, 1);
    assert_int_equal(h->rec.tx[0].response_body_len, 13);
    assert_false(h->rec.tx[0].truncated);
    assert_int_equal(h->rec.n_anom, 0);
    h_free(h);
}

static void test_no_body_statuses(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n", 0);
    feed(h, 1,
         "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
         "HTTP/1.1 204 No Content\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nZ",
         0);
    assert_int_equal(h->rec.n_tx, 3);
    assert_int_equal(h->rec.tx[0].status, 304);
    assert_int_equal(h->rec.tx[1].status, 204);
    assert_int_equal(h->rec.tx[2].status, 200);
    assert_int_equal(h->rec.tx[2].response_body_len, 1);
    h_close(h);
    h_free(h);
}

static void test_100_continue(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 100 Continue\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 0);
    feed(h, 0, "data", 0);
    feed(h, 1, "HTTP/1.1 102 Processing\r\nX: y\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_int_equal(h->rec.tx[0].status, 201);
    assert_int_equal(h->rec.tx[0].interim, 2);
    assert_int_equal(h->rec.tx[0].request_body_len, 4);
    h_close(h);
    h_free(h);
}

/* ---- tunnels -------------------------------------------------------------------------------- */

static void test_connect(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "CONNECT pacs.example:443 HTTP/1.1\r\nHost: pacs.example:443\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_false(h->rec.tx[0].tunnel);
    feed(h, 0, "CONNECT pacs.example:443 HTTP/1.1\r\nHost: pacs.example:443\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 200 Connection established\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 2);
    assert_true(h->rec.tx[1].tunnel);
    assert_string_equal(h->rec.tx[1].uri, "pacs.example:443");
    feed(h, 0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03GET / HTTP/1.1\r\n\r\n", 0); /* TLS: not parsed */
    feed(h, 1, "\x16\x03\x03\x00\x10garbage", 0);
    h_close(h);
    assert_int_equal(h->rec.n_tx, 2);
    assert_int_equal(h->rec.n_anom, 0);
    h_free(h);
}

static void test_connect_then_http(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "CONNECT abc:80 HTTP/1.1\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 200 OK\r\n\r\n", 0);
    feed(h, 0, "GET /in HTTP/1.1\r\n\r\n", 1); /* plain HTTP through the proxy, byte by byte: followed */
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 2);
    assert_string_equal(h->rec.tx[1].uri, "/in");
    h_close(h);
    h_free(h);
}

static void test_upgrade(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_true(h->rec.tx[0].tunnel);
    assert_int_equal(h->rec.tx[0].status, 101);
    feed(h, 0, "GET /not-http HTTP/1.1\r\n\r\n", 0);
    h_close(h);
    assert_int_equal(h->rec.n_tx, 1);
    h_free(h);
}

/* ---- framing anomalies ---------------------------------------------------------------------- */

static void test_te_and_cl(void **state)
{
    (void)state;
    struct h *h = h_new();
    /* chunked overrides Content-Length (RFC 9112 6.3): the 3 bytes of body are the chunk, not "0\r\n" */
    feed(h, 0,
         "POST /s HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\nabc\r\n0\r\n\r\n"
         "GET /smuggled HTTP/1.1\r\n\r\n",
         0);
    assert_true(has_anom(h, "te_and_cl"));
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 2);
    assert_true(h->rec.tx[0].te_and_cl);
    assert_true(h->rec.tx[0].req_chunked);
    assert_int_equal(h->rec.tx[0].request_body_len, 3);
    assert_string_equal(h->rec.tx[1].uri, "/smuggled");
    h_close(h);
    h_free(h);
}

static void test_content_length_values(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "POST /a HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nxy", 0);
    feed(h, 0, "POST /b HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nxy", 0);
    assert_int_equal(h->rec.n_anom, 0); /* identical values are one length (RFC 9110 8.6) */
    feed(h, 0, "POST /c HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nxy", 0);
    assert_true(has_anom(h, "multiple_content_length"));
    feed(h, 0, "POST /d HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 0);
    assert_true(has_anom(h, "invalid_content_length"));
    feed(h, 0, "POST /e HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0);
    h_close(h);
    assert_int_equal(h->rec.n_tx, 5);
    assert_int_equal(h->rec.tx[0].request_body_len, 2);
    assert_int_equal(h->rec.tx[1].request_body_len, 2);
    assert_int_equal(h->rec.tx[2].request_body_len, 2); /* the first value is followed */
    assert_string_equal(h->rec.tx[3].uri, "/d");
    assert_string_equal(h->rec.tx[4].uri, "/e");
    h_free(h);
}

static void test_obs_fold_bare_lf(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "\r\n\nGET /f HTTP/1.1\r\nUser-Agent: Mozilla/5.0\r\n  (compatible)\r\nHost: h\r\n\r\n", 0);
    assert_true(has_anom(h, "obs_fold"));
    assert_false(has_anom(h, "bare_lf")); /* the empty lines before a request are tolerated silently */
    feed(h, 1, "HTTP/1.1 200 OK\nContent-Length: 1\n\nA", 0);
    assert_true(has_anom(h, "bare_lf"));
    assert_int_equal(h->rec.n_tx, 1);
    assert_string_equal(h->rec.tx[0].user_agent, "Mozilla/5.0 (compatible)");
    assert_int_equal(h->rec.tx[0].response_body_len, 1);
    char n[128];
    names(&h->rec.tx[0], n, sizeof(n));
    assert_string_equal(n, "User-Agent,Host");
    h_close(h);
    h_free(h);
}

static void test_tolerated_request_lines(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET  /a b  HTTP/1.1\r\nHost : h\r\n\r\n", 0);
    assert_true(has_anom(h, "request_line_whitespace"));
    assert_true(has_anom(h, "uri_whitespace"));
    assert_true(has_anom(h, "header_name_whitespace"));
    feed(h, 0, "GET /09\r\n", 0);
    assert_true(has_anom(h, "http09_request"));
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n<html>0.9 answer", 0);
    h_close(h);
    assert_int_equal(h->rec.n_tx, 2);
    assert_string_equal(h->rec.tx[0].uri, "/a b");
    assert_string_equal(h->rec.tx[0].host, "h");
    assert_string_equal(h->rec.tx[1].protocol, "HTTP/0.9");
    assert_int_equal(h->rec.tx[1].response_body_len, 16);
    h_free(h);
}

static void test_invalid_then_resync(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET / HTTP/1.1\r\n\r\n", 0);
    feed(h, 0, "\x01\x02 garbage line\r\nmore garbage\r\nGET /next HTTP/1.1\r\nHost: n\r\n\r\n", 0);
    assert_true(has_anom(h, "invalid_request_line"));
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    feed(h, 1, "junk\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_true(has_anom(h, "invalid_status_line"));
    assert_int_equal(h->rec.n_tx, 2);
    assert_string_equal(h->rec.tx[1].uri, "/next");
    assert_string_equal(h->rec.tx[1].host, "n");
    h_close(h);
    h_free(h);
}

static void test_invalid_chunk_size(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET / HTTP/1.1\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0);
    assert_true(has_anom(h, "invalid_chunk_size"));
    feed(h, 1, "12345678901234567890\r\n", 0); /* skipped while resynchronising */
    h_close(h);
    assert_int_equal(h->rec.n_tx, 1);
    assert_true(h->rec.tx[0].truncated);
    h_free(h);

    h = h_new();
    feed(h, 0, "GET / HTTP/1.1\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n", 0);
    assert_true(has_anom(h, "invalid_chunk_size")); /* beyond 2^62 */
    h_close(h);
    h_free(h);
}

static void test_resync_gives_up(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "nonsense\r\n", 0);
    char junk[1024];
    memset(junk, 'x', sizeof(junk));
    junk[sizeof(junk) - 1] = '\n';
    for (unsigned i = 0; i < HTTP_RESYNC_MAX / sizeof(junk) + 2; i++)
        feed_n(h, 0, junk, sizeof(junk), 0);
    assert_true(has_anom(h, "resync_failed"));
    feed(h, 0, "GET / HTTP/1.1\r\n\r\n", 0); /* the direction is no longer followed */
    h_close(h);
    assert_int_equal(h->rec.n_tx, 0);
    h_free(h);
}

/* ---- limits --------------------------------------------------------------------------------- */

static void test_header_count_limit(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET / HTTP/1.1\r\n", 0);
    for (int i = 0; i < HTTP_MAX_HEADERS + 20; i++) {
        char line[32];
        snprintf(line, sizeof(line), "X-%d: v\r\n", i);
        feed(h, 0, line, 0);
    }
    feed(h, 0, "Content-Length: 2\r\n\r\nab", 0); /* framing is still followed past the limit */
    assert_true(has_anom(h, "too_many_headers"));
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_int_equal(h->rec.tx[0].n_names, HTTP_MAX_HEADERS);
    assert_int_equal(h->rec.tx[0].request_body_len, 2);
    h_close(h);
    h_free(h);
}

static void test_header_bytes_limit(void **state)
{
    (void)state;
    struct h *h = h_new_cfg(1024);
    char big[3000];
    memset(big, 'a', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    feed(h, 0, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ", 0);
    feed(h, 0, big, 100);
    feed(h, 0, "\r\nX-After: 1\r\nContent-Length: 1\r\n\r\nZ", 0);
    assert_true(has_anom(h, "header_line_too_long"));
    assert_true(has_anom(h, "header_block_too_large"));
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_int_equal(h->rec.tx[0].request_body_len, 1);
    char n[128];
    names(&h->rec.tx[0], n, sizeof(n));
    assert_string_equal(n, "Host"); /* names stop being recorded past the limit */
    /* a request line longer than the limit */
    feed(h, 0, "GET /", 0);
    feed(h, 0, big, 0);
    feed(h, 0, " HTTP/1.1\r\n\r\n", 0);
    assert_true(has_anom(h, "start_line_too_long"));
    h_close(h);
    h_free(h);
}

static void test_long_values_cut(void **state)
{
    (void)state;
    struct h *h = h_new();
    char req[8192];
    size_t o = (size_t)snprintf(req, sizeof(req), "GET /");
    for (int i = 0; i < 3000; i++)
        req[o++] = 'u';
    o += (size_t)snprintf(req + o, sizeof(req) - o, " HTTP/1.1\r\nUser-Agent: ");
    for (int i = 0; i < 300; i++) { /* 600 bytes of two-byte UTF-8 */
        req[o++] = (char)0xc3;
        req[o++] = (char)0xa9;
    }
    o += (size_t)snprintf(req + o, sizeof(req) - o, "\r\n\r\n");
    feed_n(h, 0, req, o, 0);
    h_close(h);
    assert_int_equal(h->rec.n_tx, 1);
    assert_true(h->rec.tx[0].uri_truncated);
    assert_int_equal(strlen(h->rec.tx[0].uri), HTTP_URI_MAX);
    size_t ul = strlen(h->rec.tx[0].user_agent);
    assert_true(ul <= HTTP_UA_MAX && ul % 2 == 0); /* cut between characters */
    h_free(h);
}

/* ---- gaps, direction, close ----------------------------------------------------------------- */

static void test_gap_in_body(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET /g HTTP/1.1\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0);
    http_parser.on_gap(&h->ctx, h->st, 1, 4);
    feed(h, 1, "ghi", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_true(h->rec.tx[0].gap);
    assert_int_equal(h->rec.tx[0].response_body_len, 10);
    assert_int_equal(h->rec.n_file, 1);
    assert_true(h->rec.file[0].gaps);
    assert_false(h->rec.file[0].has_sha);
    /* the next exchange is parsed normally */
    feed(h, 0, "GET /h HTTP/1.1\r\n\r\n", 0);
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 0);
    assert_int_equal(h->rec.n_tx, 2);
    assert_false(h->rec.tx[1].gap);
    h_close(h);
    h_free(h);
}

static void test_gap_in_headers(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "GET /lost HTTP/1.1\r\nHost: a", 0);
    http_parser.on_gap(&h->ctx, h->st, 0, 100);
    feed(h, 0, "rest of a line\r\nAccept: */*\r\n\r\nGET /found HTTP/1.1\r\nHost: b\r\n\r\n", 0);
    assert_true(has_anom(h, "gap_resync"));
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 2);
    assert_true(h->rec.tx[0].gap);
    assert_string_equal(h->rec.tx[1].uri, "/found");
    h_close(h);
    h_free(h);
}

static void test_response_first(void **state)
{
    (void)state;
    struct h *h = h_new();
    /* a capture picked up midstream: a response, then a request; and a flow whose direction was guessed wrong */
    feed(h, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0);
    assert_true(has_anom(h, "response_without_request"));
    assert_int_equal(h->rec.n_tx, 1);
    assert_false(h->rec.tx[0].has_request);
    h_close(h);
    h_free(h);

    h = h_new();
    feed(h, 1, "GET /rev HTTP/1.1\r\n\r\n", 0);
    feed(h, 0, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
    assert_int_equal(h->rec.n_tx, 1);
    assert_string_equal(h->rec.tx[0].uri, "/rev");
    assert_int_equal(h->rec.tx[0].status, 200);
    h_close(h);
    h_free(h);
}

static void test_truncated_at_close(void **state)
{
    (void)state;
    struct h *h = h_new();
    feed(h, 0, "POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial", 0);
    h_close(h);
    assert_true(has_anom(h, "truncated_message"));
    assert_int_equal(h->rec.n_tx, 1);
    assert_true(h->rec.tx[0].truncated);
    assert_false(h->rec.tx[0].has_response);
    assert_int_equal(h->rec.tx[0].request_body_len, 7);
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_simple_every_split),
        cmocka_unit_test(test_header_order),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_pending_limit),
        cmocka_unit_test(test_pending_limit_early_answer),
        cmocka_unit_test(test_chunked_every_split),
        cmocka_unit_test(test_chunked_request),
        cmocka_unit_test(test_close_delimited),
        cmocka_unit_test(test_no_body_statuses),
        cmocka_unit_test(test_100_continue),
        cmocka_unit_test(test_connect),
        cmocka_unit_test(test_connect_then_http),
        cmocka_unit_test(test_upgrade),
        cmocka_unit_test(test_te_and_cl),
        cmocka_unit_test(test_content_length_values),
        cmocka_unit_test(test_obs_fold_bare_lf),
        cmocka_unit_test(test_tolerated_request_lines),
        cmocka_unit_test(test_invalid_then_resync),
        cmocka_unit_test(test_invalid_chunk_size),
        cmocka_unit_test(test_resync_gives_up),
        cmocka_unit_test(test_header_count_limit),
        cmocka_unit_test(test_header_bytes_limit),
        cmocka_unit_test(test_long_values_cut),
        cmocka_unit_test(test_gap_in_body),
        cmocka_unit_test(test_gap_in_headers),
        cmocka_unit_test(test_response_first),
        cmocka_unit_test(test_truncated_at_close),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
