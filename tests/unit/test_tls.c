/*
 * test_tls.c - the TLS record-layer analyzer fed byte vectors built from the
 * structures of RFC 8446 (4.1.2 ClientHello, 4.1.3 ServerHello, 4.2 extensions,
 * 5.1 records), RFC 6066 3 (server_name) and RFC 7301 3.1 (ALPN): the probe,
 * both hellos, HelloRetryRequest, TLS 1.2 and 1.3 record counting, records
 * and handshake messages split anywhere, and the malformed cases (lengths
 * overrunning their block, extension overrun, truncation at every byte,
 * invalid records, gaps); the fingerprints (JA3/JA3S against hand-built
 * strings, JA4/JA4S against the published vectors of FoxIO's JA4.md and
 * JA4S.md) and the server certificate (a certificate made here with
 * libcrypto, split across records and segments at every byte, oversize,
 * malformed DER).
 */
#include "unit.h"
#define VEC_CAP 4096
#include "vec.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "app/app.h"
#include "app/tls/tls.h"
#include "config_registry.h"
#include "core/stats.h"
#include "flow/flow.h"

/* ---- byte vector builder -------------------------------------------------------------------- */

static void be24(struct vec *v, uint32_t x)
{
    u8(v, (uint8_t)(x >> 16));
    be16(v, (uint16_t)x);
}
static void ext(struct vec *v, uint16_t type, const struct vec *data)
{
    be16(v, type);
    be16(v, (uint16_t)data->n);
    put(v, data->b, data->n);
}

/* RFC 6066 3: server_name_list<1..2^16-1> of {name_type 0, HostName<1..2^16-1>} */
static void ext_sni(struct vec *v, const char *host)
{
    struct vec d = {0};
    size_t n = strlen(host);
    be16(&d, (uint16_t)(n + 3));
    u8(&d, 0);
    be16(&d, (uint16_t)n);
    put(&d, host, n);
    ext(v, 0, &d);
}

/* RFC 7301 3.1: protocol_name_list<2..2^16-1> of ProtocolName<1..2^8-1> */
static void ext_alpn(struct vec *v, const char *const *names, int count)
{
    struct vec d = {0}, l = {0};
    for (int i = 0; i < count; i++) {
        u8(&l, (uint8_t)strlen(names[i]));
        put(&l, names[i], strlen(names[i]));
    }
    be16(&d, (uint16_t)l.n);
    put(&d, l.b, l.n);
    ext(v, 16, &d);
}

/* A ClientHello body (RFC 8446 4.1.2) as a TLS 1.3 client sends it. */
static void client_hello_body(struct vec *v, const char *sni)
{
    be16(v, 0x0303); /* legacy_version */
    uint8_t random[32];
    memset(random, 0x11, sizeof(random));
    put(v, random, 32);
    u8(v, 32); /* legacy_session_id (compatibility mode) */
    uint8_t sid[32];
    memset(sid, 0x22, sizeof(sid));
    put(v, sid, 32);
    be16(v, 6); /* cipher_suites: TLS_AES_128_GCM_SHA256, _256_GCM_SHA384, CHACHA20 */
    be16(v, 0x1301);
    be16(v, 0x1302);
    be16(v, 0x1303);
    u8(v, 1); /* legacy_compression_methods: null */
    u8(v, 0);
    struct vec e = {0}, d = {0};
    if (sni)
        ext_sni(&e, sni);
    static const char *const alpn[] = {"h2", "http/1.1"};
    ext_alpn(&e, alpn, 2);
    u8(&d, 6); /* supported_versions: GREASE, TLS 1.3, TLS 1.2 */
    be16(&d, 0x3a3a);
    be16(&d, 0x0304);
    be16(&d, 0x0303);
    ext(&e, 43, &d);
    be16(v, (uint16_t)e.n);
    put(v, e.b, e.n);
}

/* A ServerHello body (RFC 8446 4.1.3); selected 0 = no supported_versions extension. */
static void server_hello_body(struct vec *v, uint16_t selected, uint16_t cipher, bool hrr, const char *alpn)
{
    static const uint8_t hrr_random[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    };
    be16(v, 0x0303);
    uint8_t random[32];
    memset(random, 0x33, sizeof(random));
    put(v, hrr ? hrr_random : random, 32);
    u8(v, 0); /* legacy_session_id_echo */
    be16(v, cipher);
    u8(v, 0);
    struct vec e = {0}, d = {0};
    if (selected) {
        be16(&d, selected);
        ext(&e, 43, &d);
    }
    if (alpn)
        ext_alpn(&e, &alpn, 1);
    if (e.n) {
        be16(v, (uint16_t)e.n);
        put(v, e.b, e.n);
    }
}

static void handshake(struct vec *out, uint8_t type, const struct vec *body)
{
    u8(out, type);
    be24(out, (uint32_t)body->n);
    put(out, body->b, body->n);
}

static void record(struct vec *out, uint8_t ctype, uint16_t version, const void *p, size_t n)
{
    u8(out, ctype);
    be16(out, version);
    be16(out, (uint16_t)n);
    put(out, p, n);
}

static void ch_record(struct vec *out, const char *sni)
{
    struct vec body = {0}, hs = {0};
    client_hello_body(&body, sni);
    handshake(&hs, 1, &body);
    record(out, 22, 0x0301, hs.b, hs.n);
}

static void sh_record(struct vec *out, uint16_t selected, uint16_t cipher, bool hrr, const char *alpn)
{
    struct vec body = {0}, hs = {0};
    server_hello_body(&body, selected, cipher, hrr, alpn);
    handshake(&hs, 2, &body);
    record(out, 22, 0x0303, hs.b, hs.n);
}

/* ---- harness -------------------------------------------------------------------------------- */

#define MAX_REC 16
struct rec {
    int n_tls, n_anom;
    enum tls_event_kind kind[MAX_REC];
    struct tls_session s[MAX_REC];
    const char *anom[MAX_REC];
};

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_TLS && r->n_tls < MAX_REC) {
        const struct tls_event *te = ev->body;
        r->kind[r->n_tls] = te->kind;
        r->s[r->n_tls++] = *te->s;
    } else if (ev->type == EVENT_ANOMALY && r->n_anom < MAX_REC) {
        const struct anomaly_event *a = ev->body;
        r->anom[r->n_anom++] = a->event;
    }
}

struct h {
    struct stats stats;
    struct event_bus bus;
    struct app_layer al;
    struct anomaly_ctx anomalies; /* the app layer's limiter: the engine's part here */
    struct config cfg;
    struct flow flow;
    struct app_ctx ctx;
    struct rec rec;
    void *st;
};

static struct h *h_new(uint16_t server_port)
{
    struct h *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    config_defaults(&h->cfg);
    event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_TLS) | EVENT_MASK(EVENT_ANOMALY), on_event, &h->rec);
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&h->cfg, parser_cfg);
    assert_int_equal(app_layer_init(&h->al, &h->cfg.app, &h->stats, &h->bus, parser_cfg), 0);
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    h->flow.server_port = server_port;
    h->ctx.al = &h->al;
    h->ctx.flow = &h->flow;
    h->st = tls_parser.state_new(&h->ctx);
    assert_non_null(h->st);
    return h;
}

static void h_free(struct h *h)
{
    tls_parser.state_free(&h->ctx, h->st);
    assert_int_equal(h->al.mc.used, 0); /* nothing leaked against the memcap */
    app_layer_free(&h->al);
    free(h);
}

static void feed(struct h *h, int dir, const struct vec *v, size_t step)
{
    for (size_t off = 0; off < v->n; off += step) {
        size_t n = v->n - off < step ? v->n - off : step;
        tls_parser.on_data(&h->ctx, h->st, dir, v->b + off, n);
    }
}

static bool has_anom(const struct h *h, const char *name)
{
    for (int i = 0; i < h->rec.n_anom; i++)
        if (strcmp(h->rec.anom[i], name) == 0)
            return true;
    return false;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_probe(void **state)
{
    (void)state;
    struct vec ch = {0}, sh = {0};
    ch_record(&ch, "pacs.example.org");
    sh_record(&sh, 0x0304, 0x1301, false, NULL);
    assert_int_equal(tls_probe(ch.b, ch.n, 0), PROBE_YES);
    assert_int_equal(tls_probe(sh.b, sh.n, 1), PROBE_YES);
    assert_int_equal(tls_probe(sh.b, sh.n, 0), PROBE_NO); /* a ServerHello is not what a client sends */
    for (size_t n = 0; n < 10; n++)
        assert_int_equal(tls_probe(ch.b, n, 0), PROBE_MAYBE);
    const uint8_t http[] = "GET / HTTP/1.1\r\n";
    assert_int_equal(tls_probe(http, sizeof(http) - 1, 0), PROBE_NO);
    ch.b[2] = 5; /* record version 0x0305 */
    assert_int_equal(tls_probe(ch.b, ch.n, 0), PROBE_NO);
    ch.b[2] = 1;
    ch.b[3] = 0x50; /* record length above 2^14 */
    assert_int_equal(tls_probe(ch.b, ch.n, 0), PROBE_NO);
    /* an A-ASSOCIATE-RQ (DICOM) is not TLS */
    const uint8_t dicom[] = {0x01, 0x00, 0x00, 0x00, 0x00, 0xcd, 0x00, 0x01};
    assert_int_equal(tls_probe(dicom, sizeof(dicom), 0), PROBE_NO);
}

static void test_client_hello(void **state)
{
    (void)state;
    struct vec body = {0};
    client_hello_body(&body, "pacs.example.org");
    struct tls_client_hello ch;
    const char *why = NULL;
    assert_true(tls_parse_client_hello(&ch, body.b, body.n, &why));
    assert_null(why);
    assert_int_equal(ch.legacy_version, 0x0303);
    assert_int_equal(ch.session_id_len, 32);
    assert_int_equal(ch.n_cipher_suites, 3);
    assert_int_equal(ch.n_extensions, 3);
    assert_true(ch.has_sni);
    assert_string_equal(ch.sni, "pacs.example.org");
    assert_int_equal(ch.n_versions, 2); /* GREASE (RFC 8701) left out */
    assert_int_equal(ch.versions[0], 0x0304);
    assert_int_equal(ch.versions[1], 0x0303);
    assert_int_equal(ch.n_alpn, 2);
    assert_string_equal(ch.alpn[0], "h2");
    assert_string_equal(ch.alpn[1], "http/1.1");

    /* TLS 1.2 and older may send no extensions block at all (RFC 5246 7.4.1.2) */
    struct vec old = {0};
    be16(&old, 0x0301);
    uint8_t random[32] = {0};
    put(&old, random, 32);
    u8(&old, 0);
    be16(&old, 2);
    be16(&old, 0x002f);
    u8(&old, 1);
    u8(&old, 0);
    assert_true(tls_parse_client_hello(&ch, old.b, old.n, &why));
    assert_int_equal(ch.legacy_version, 0x0301);
    assert_false(ch.has_sni);
    assert_int_equal(ch.n_extensions, 0);
}

static void test_server_hello(void **state)
{
    (void)state;
    struct vec body = {0};
    struct tls_server_hello sh;
    const char *why = NULL;
    server_hello_body(&body, 0x0304, 0x1302, false, "h2");
    assert_true(tls_parse_server_hello(&sh, body.b, body.n, &why));
    assert_int_equal(sh.legacy_version, 0x0303);
    assert_true(sh.has_selected_version);
    assert_int_equal(sh.selected_version, 0x0304);
    assert_int_equal(sh.cipher_suite, 0x1302);
    assert_false(sh.hrr);
    assert_true(sh.has_alpn);
    assert_string_equal(sh.alpn, "h2");

    body.n = 0;
    server_hello_body(&body, 0, 0xc02f, false, NULL); /* TLS 1.2: no extensions */
    assert_true(tls_parse_server_hello(&sh, body.b, body.n, &why));
    assert_false(sh.has_selected_version);
    assert_int_equal(sh.cipher_suite, 0xc02f);

    body.n = 0;
    server_hello_body(&body, 0x0304, 0x1301, true, NULL);
    assert_true(tls_parse_server_hello(&sh, body.b, body.n, &why));
    assert_true(sh.hrr);

    assert_string_equal(tls_version_name(0x0304), "TLS 1.3");
    assert_string_equal(tls_version_name(0x0303), "TLS 1.2");
    assert_string_equal(tls_version_name(0x0300), "SSLv3");
    assert_null(tls_version_name(0x1234));
}

static void test_malformed_hellos(void **state)
{
    (void)state;
    struct vec body = {0};
    client_hello_body(&body, "pacs.example.org");
    struct tls_client_hello ch;
    struct tls_server_hello sh;
    const char *why = NULL;

    /* truncated at every length: never accepted, never read past the end */
    for (size_t n = 0; n < body.n; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, body.b, n);
        bool ok = tls_parse_client_hello(&ch, cut, n, &why);
        /* the only prefix that is a valid ClientHello is the one without the extensions block */
        if (ok)
            assert_int_equal(n, 2 + 32 + 1 + 32 + 2 + 6 + 2);
        else
            assert_non_null(why);
        free(cut);
    }

    /* legacy_session_id longer than 32 */
    struct vec bad = body;
    bad.b[34] = 33;
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));

    /* cipher_suites length overrunning the message */
    bad = body;
    bad.b[67] = 0xff;
    bad.b[68] = 0xf0;
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));

    /* odd cipher_suites length */
    bad = body;
    bad.b[68] = 5;
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));

    /* extensions block length overrunning the message */
    size_t ext_off = 2 + 32 + 1 + 32 + 2 + 6 + 2;
    bad = body;
    bad.b[ext_off] = 0xff;
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));
    assert_string_equal(why, "extensions run past the ClientHello");

    /* first extension (server_name) length overrunning the extensions block */
    bad = body;
    bad.b[ext_off + 2 + 2] = 0x7f;
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));
    assert_string_equal(why, "an extension runs past the extensions block");

    /* server_name list length larger than its extension */
    bad = body;
    bad.b[ext_off + 2 + 4 + 1] = 0x40;
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));
    assert_false(ch.has_sni);

    /* host name length running past the list */
    bad = body;
    bad.b[ext_off + 2 + 4 + 2 + 2] = 0x40;
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));

    /* bytes after the extensions block */
    bad = body;
    u8(&bad, 0);
    assert_false(tls_parse_client_hello(&ch, bad.b, bad.n, &why));

    /* ServerHello: truncated at every length, supported_versions of the wrong size */
    struct vec sb = {0};
    server_hello_body(&sb, 0x0304, 0x1301, false, "h2");
    for (size_t n = 0; n < sb.n; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        assert_non_null(cut);
        memcpy(cut, sb.b, n);
        if (!tls_parse_server_hello(&sh, cut, n, &why))
            assert_non_null(why);
        free(cut);
    }
    struct vec e = {0}, d = {0}, sb2 = {0};
    be16(&sb2, 0x0303);
    uint8_t random[32] = {0};
    put(&sb2, random, 32);
    u8(&sb2, 0);
    be16(&sb2, 0x1301);
    u8(&sb2, 0);
    u8(&d, 3);
    ext(&e, 43, &d);
    be16(&sb2, (uint16_t)e.n);
    put(&sb2, e.b, e.n);
    assert_false(tls_parse_server_hello(&sh, sb2.b, sb2.n, &why));
    assert_false(sh.has_selected_version);
}

/* A TLS 1.3 connection (RFC 8446 2): ClientHello / ServerHello in clear, then protected records. */
static void tls13_flow(struct h *h, size_t step)
{
    struct vec c = {0}, s = {0};
    ch_record(&c, "pacs.example.org");
    sh_record(&s, 0x0304, 0x1302, false, NULL);
    uint8_t ccs = 1, opaque[100];
    memset(opaque, 0xab, sizeof(opaque));
    record(&s, 20, 0x0303, &ccs, 1);     /* middlebox-compatibility ChangeCipherSpec */
    record(&s, 23, 0x0303, opaque, 100); /* EncryptedExtensions ... Finished */
    feed(h, 0, &c, step);
    feed(h, 1, &s, step);
    struct vec c2 = {0}, s2 = {0};
    record(&c2, 20, 0x0303, &ccs, 1);
    record(&c2, 23, 0x0303, opaque, 50);  /* client Finished */
    record(&c2, 23, 0x0303, opaque, 100); /* application data: DICOM, encrypted */
    record(&s2, 23, 0x0303, opaque, 30);
    feed(h, 0, &c2, step);
    feed(h, 1, &s2, step);
    tls_parser.on_close(&h->ctx, h->st);
}

static void test_tls13_flow(void **state)
{
    (void)state;
    static const size_t steps[] = {1, 2, 3, 7, 4096};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        struct h *h = h_new(2762);
        tls13_flow(h, steps[i]);
        assert_int_equal(h->rec.n_anom, 0);
        assert_int_equal(h->rec.n_tls, 2);
        assert_int_equal(h->rec.kind[0], TLS_EV_HANDSHAKE);
        assert_int_equal(h->rec.kind[1], TLS_EV_SUMMARY);
        const struct tls_session *s = &h->rec.s[1];
        assert_true(s->dicom_hint);
        assert_int_equal(tls_session_version(s), 0x0304);
        assert_string_equal(s->ch.sni, "pacs.example.org");
        assert_int_equal(s->sh.cipher_suite, 0x1302);
        assert_int_equal(s->records[0], 4);
        assert_int_equal(s->records[1], 4);
        /* after a TLS 1.3 ServerHello every record is protected but the compatibility ChangeCipherSpec */
        assert_int_equal(s->encrypted_records[0], 2);
        assert_int_equal(s->encrypted_bytes[0], 50 + 100);
        assert_int_equal(s->encrypted_records[1], 2);
        assert_int_equal(s->encrypted_bytes[1], 100 + 30);
        h_free(h);
    }
}

static void test_dicom_hint_ports(void **state)
{
    (void)state;
    static const struct {
        uint16_t port;
        bool hint;
    } cases[] = {
        {2762, true}, {104, true}, {11112, true}, {4242, true}, {443, false}, {8443, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct h *h = h_new(cases[i].port);
        tls13_flow(h, 4096);
        assert_int_equal(h->rec.s[0].dicom_hint, cases[i].hint);
        h_free(h);
    }
}

/* TLS 1.2 (RFC 5246 7.3): the hello and a second handshake message in one record, a handshake message split
 * across two records, ChangeCipherSpec then protected Finished. */
static void test_tls12_flow(void **state)
{
    (void)state;
    struct h *h = h_new(443);
    struct vec c = {0}, s = {0}, body = {0}, hs = {0};
    ch_record(&c, "pacs.example.org");
    feed(h, 0, &c, 5);
    server_hello_body(&body, 0, 0xc02f, false, "http/1.1");
    handshake(&hs, 2, &body);
    struct vec cert = {0};
    uint8_t filler[300];
    memset(filler, 0x55, sizeof(filler));
    put(&cert, filler, sizeof(filler));
    handshake(&hs, 11, &cert);    /* Certificate: not a certificate_list */
    size_t cut = body.n + 4 + 10; /* the Certificate message spans two records */
    record(&s, 22, 0x0303, hs.b, cut);
    record(&s, 22, 0x0303, hs.b + cut, hs.n - cut);
    uint8_t ccs = 1, fin[40];
    memset(fin, 0x66, sizeof(fin));
    record(&s, 20, 0x0303, &ccs, 1);
    record(&s, 22, 0x0303, fin, sizeof(fin)); /* encrypted Finished: not a handshake message to read */
    feed(h, 1, &s, 3);
    assert_int_equal(h->rec.n_tls, 1);
    assert_int_equal(h->rec.kind[0], TLS_EV_HANDSHAKE);
    tls_parser.on_close(&h->ctx, h->st);
    assert_int_equal(h->rec.n_anom, 1);
    assert_true(has_anom(h, "malformed_certificate"));
    const struct tls_session *ss = &h->rec.s[1];
    assert_false(ss->cert.seen);
    assert_int_equal(tls_session_version(ss), 0x0303);
    assert_int_equal(ss->sh.cipher_suite, 0xc02f);
    assert_string_equal(ss->sh.alpn, "http/1.1");
    assert_false(ss->dicom_hint);
    assert_int_equal(ss->records[1], 4);
    assert_int_equal(ss->encrypted_records[1], 1);
    assert_int_equal(ss->encrypted_bytes[1], sizeof(fin));
    h_free(h);
}

static void test_hello_retry(void **state)
{
    (void)state;
    struct h *h = h_new(443);
    struct vec c = {0}, s = {0}, c2 = {0}, s2 = {0};
    ch_record(&c, "a.example");
    sh_record(&s, 0x0304, 0x1301, true, NULL); /* HelloRetryRequest */
    ch_record(&c2, "a.example");               /* second ClientHello, still in clear */
    sh_record(&s2, 0x0304, 0x1301, false, NULL);
    feed(h, 0, &c, 4096);
    feed(h, 1, &s, 4096);
    assert_int_equal(h->rec.n_tls, 0); /* not yet: the real ServerHello follows */
    feed(h, 0, &c2, 4096);
    feed(h, 1, &s2, 4096);
    assert_int_equal(h->rec.n_tls, 1);
    assert_true(h->rec.s[0].hello_retry);
    assert_int_equal(tls_session_version(&h->rec.s[0]), 0x0304);
    tls_parser.on_close(&h->ctx, h->st);
    h_free(h);
}

static void test_malformed_stream(void **state)
{
    (void)state;
    /* not a record: content type 0x47 ('G') */
    struct h *h = h_new(443);
    const uint8_t junk[] = "GET / HTTP/1.1\r\n\r\n";
    struct vec j = {0};
    put(&j, junk, sizeof(junk) - 1);
    feed(h, 0, &j, 4096);
    assert_true(has_anom(h, "invalid_record_type"));
    tls_parser.on_close(&h->ctx, h->st);
    assert_int_equal(h->rec.n_tls, 0);
    h_free(h);

    /* a malformed ClientHello inside a well-formed record, then a record too large, then truncation */
    h = h_new(443);
    struct vec body = {0}, hs = {0}, c = {0};
    client_hello_body(&body, "x.example");
    body.b[2 + 32 + 1 + 32 + 2 + 6 + 2] = 0xff; /* extensions length overruns */
    handshake(&hs, 1, &body);
    record(&c, 22, 0x0303, hs.b, hs.n);
    u8(&c, 23);
    be16(&c, 0x0303);
    be16(&c, 0xffff); /* above 2^14 + 2048 */
    feed(h, 0, &c, 4096);
    assert_true(has_anom(h, "malformed_client_hello"));
    assert_true(has_anom(h, "record_too_large"));
    tls_parser.on_close(&h->ctx, h->st);
    assert_true(has_anom(h, "truncated_record"));
    assert_int_equal(h->rec.n_tls, 2); /* what was seen of the handshake, and the summary */
    h_free(h);

    /* a hello length of 16 MB is not buffered */
    h = h_new(443);
    struct vec big = {0};
    uint8_t hdr[4] = {1, 0xff, 0xff, 0xff};
    record(&big, 22, 0x0301, hdr, 4);
    feed(h, 0, &big, 4096);
    assert_true(has_anom(h, "hello_too_large"));
    tls_parser.on_close(&h->ctx, h->st);
    h_free(h);

    /* gaps: inside a record the framing survives; across records the direction is given up */
    h = h_new(443);
    struct vec g = {0};
    ch_record(&g, "pacs.example.org");
    tls_parser.on_data(&h->ctx, h->st, 0, g.b, 20);
    tls_parser.on_gap(&h->ctx, h->st, 0, 10);
    tls_parser.on_data(&h->ctx, h->st, 0, g.b + 30, g.n - 30);
    assert_true(has_anom(h, "gap_in_record"));
    feed(h, 0, &g, 4096); /* the next record is read again */
    tls_parser.on_gap(&h->ctx, h->st, 0, 100000);
    assert_true(has_anom(h, "gap_stream_lost"));
    feed(h, 0, &g, 4096); /* ignored */
    tls_parser.on_close(&h->ctx, h->st);
    assert_int_equal(h->rec.s[h->rec.n_tls - 1].records[0], 2);
    h_free(h);
}

/* ---- fingerprints --------------------------------------------------------------------------- */

/* The ClientHello of FoxIO's JA4.md example: its 15 cipher suites and 16 extensions in wire order, its 8
 * signature algorithms, ALPN h2, SNI, TLS 1.3 - plus GREASE in every list, which JA3 and JA4 must drop. */
static const uint16_t spec_ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9,
                                        0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t spec_exts[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d,
                                     0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015};
static const uint16_t spec_sigalgs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};

struct ch_opts {
    bool sigalgs;        /* signature_algorithms with the spec's list (else an empty list) */
    const uint8_t *alpn; /* first ALPN name, NULL: "h2" */
    size_t alpn_len;
    bool no_alpn, no_sni, no_versions;
    unsigned extra_ciphers; /* more suites after the spec's */
};

static void spec_client_hello(struct vec *v, const struct ch_opts *o)
{
    be16(v, 0x0303);
    uint8_t random[32] = {0};
    put(v, random, 32);
    u8(v, 0);
    unsigned nc = (unsigned)(sizeof(spec_ciphers) / 2) + 1 + o->extra_ciphers;
    be16(v, (uint16_t)(2 * nc));
    be16(v, 0x0a0a); /* GREASE */
    for (size_t i = 0; i < sizeof(spec_ciphers) / 2; i++)
        be16(v, spec_ciphers[i]);
    for (unsigned i = 0; i < o->extra_ciphers; i++)
        be16(v, (uint16_t)(0x0100 + i));
    u8(v, 1);
    u8(v, 0);
    struct vec e = {0};
    struct vec empty = {0};
    ext(&e, 0x1a1a, &empty); /* GREASE extension */
    for (size_t i = 0; i < sizeof(spec_exts) / 2; i++) {
        struct vec d = {0};
        switch (spec_exts[i]) {
        case 0x0000:
            if (o->no_sni)
                continue;
            ext_sni(&e, "pacs.example.org");
            continue;
        case 0x0010:
            if (o->no_alpn)
                continue;
            if (o->alpn) {
                be16(&d, (uint16_t)(o->alpn_len + 1));
                u8(&d, (uint8_t)o->alpn_len);
                put(&d, o->alpn, o->alpn_len);
            } else {
                static const char *const h2[] = {"h2", "http/1.1"};
                ext_alpn(&e, h2, 2);
                continue;
            }
            break;
        case 0x000a: /* supported_groups: GREASE, x25519, secp256r1, secp384r1 */
            be16(&d, 8);
            be16(&d, 0x2a2a);
            be16(&d, 29);
            be16(&d, 23);
            be16(&d, 24);
            break;
        case 0x000b: /* ec_point_formats: uncompressed */
            u8(&d, 1);
            u8(&d, 0);
            break;
        case 0x000d:
            be16(&d, o->sigalgs ? (uint16_t)(sizeof(spec_sigalgs) + 2) : 0);
            if (o->sigalgs) {
                be16(&d, 0x3a3a); /* GREASE */
                for (size_t k = 0; k < sizeof(spec_sigalgs) / 2; k++)
                    be16(&d, spec_sigalgs[k]);
            }
            break;
        case 0x002b:
            if (o->no_versions)
                continue;
            u8(&d, 4);
            be16(&d, 0x4a4a);
            be16(&d, 0x0304);
            break;
        default: break;
        }
        ext(&e, spec_exts[i], &d);
    }
    be16(v, (uint16_t)e.n);
    put(v, e.b, e.n);
}

static void parse_spec(struct tls_client_hello *ch, const struct ch_opts *o)
{
    struct vec v = {0};
    spec_client_hello(&v, o);
    const char *why = NULL;
    assert_true(tls_parse_client_hello(ch, v.b, v.n, &why));
    assert_true(ch->fingerprinted);
}

static void test_grease(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 16; i++)
        assert_true(tls_is_grease((uint16_t)(0x0a0a + 0x1010 * i)));
    assert_false(tls_is_grease(0x0a1a));
    assert_false(tls_is_grease(0x1a0a));
    assert_false(tls_is_grease(0x0a0b));
    assert_false(tls_is_grease(0x1301));
}

static void test_ja3_ja4_spec(void **state)
{
    (void)state;
    struct tls_client_hello *ch = calloc(1, sizeof(*ch));
    assert_non_null(ch);
    struct ch_opts o = {.sigalgs = true};
    parse_spec(ch, &o);
    /* JA4.md, "Example": t13d1516h2_8daaf6152771_e5627efa2ab1 (GREASE in all lists left out) */
    assert_string_equal(ch->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    /* JA3: decimal, wire order, GREASE left out of suites, extensions and groups */
    char s[TLS_JA3_STR_MAX];
    tls_ja3_string(ch, s, sizeof(s));
    assert_string_equal(s, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
                           "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0");
    /* MD5 of that string, computed apart (python3 hashlib.md5) */
    assert_string_equal(ch->ja3_hash, "c000e2caf3a25423f9de6c8a4b12a975");

    /* JA4.md: with no signature algorithms the list ends without '_': ...,4469,ff01 = 6d807ffa2a79 */
    o.sigalgs = false;
    parse_spec(ch, &o);
    assert_string_equal(ch->ja4, "t13d1516h2_8daaf6152771_6d807ffa2a79");

    /* no SNI: 'i', one extension fewer; no ALPN: "00"; no supported_versions: legacy_version "12" */
    o = (struct ch_opts){.sigalgs = true, .no_sni = true, .no_alpn = true, .no_versions = true};
    parse_spec(ch, &o);
    assert_memory_equal(ch->ja4, "t12i151300_8daaf6152771_", 24);

    /* JA4.md, "ALPN Extension Value": non-alphanumeric ends give the hex form's first and last characters */
    static const struct {
        uint8_t name[4];
        size_t len;
        const char *want;
    } alpn[] = {
        {{0xab}, 1, "ab"},
        {{0xab, 0xcd}, 2, "ad"},
        {{0x30, 0xab}, 2, "3b"},
        {{0x30, 0x31, 0xab, 0xcd}, 4, "3d"},
        {{0x30, 0xab, 0xcd, 0x31}, 4, "01"},
        {{'h'}, 1, "hh"},
    };
    for (size_t i = 0; i < sizeof(alpn) / sizeof(alpn[0]); i++) {
        o = (struct ch_opts){.sigalgs = true, .alpn = alpn[i].name, .alpn_len = alpn[i].len};
        parse_spec(ch, &o);
        assert_memory_equal(ch->ja4 + 8, alpn[i].want, 2);
    }

    /* counts stop at 99 */
    o = (struct ch_opts){.sigalgs = true, .extra_ciphers = 120};
    parse_spec(ch, &o);
    assert_memory_equal(ch->ja4, "t13d9916h2_", 11);
    free(ch);
}

static void test_ja3s_ja4s(void **state)
{
    (void)state;
    /* JA4S.md's example: TLS 1.2, cipher c030, extensions 0005,0017,ff01,0000, no ALPN */
    struct vec v = {0}, e = {0}, empty = {0};
    be16(&v, 0x0303);
    uint8_t random[32] = {0};
    put(&v, random, 32);
    u8(&v, 0);
    be16(&v, 0xc030);
    u8(&v, 0);
    static const uint16_t types[] = {0x0005, 0x0017, 0xff01, 0x0000};
    struct vec reneg = {0};
    u8(&reneg, 0); /* renegotiation_info: empty renegotiated_connection */
    for (size_t i = 0; i < 4; i++)
        ext(&e, types[i], types[i] == 0xff01 ? &reneg : &empty);
    be16(&v, (uint16_t)e.n);
    put(&v, e.b, e.n);
    struct tls_server_hello sh;
    const char *why = NULL;
    assert_true(tls_parse_server_hello(&sh, v.b, v.n, &why));
    assert_string_equal(sh.ja4s, "t120400_c030_4e8089b08790");
    char s[TLS_JA3S_STR_MAX];
    tls_ja3s_string(&sh, s, sizeof(s));
    assert_string_equal(s, "771,49200,5-23-65281-0");

    /* TLS 1.3 with ALPN: the version from supported_versions, the chosen name's ends */
    v.n = 0;
    server_hello_body(&v, 0x0304, 0x1301, false, "http/1.1");
    assert_true(tls_parse_server_hello(&sh, v.b, v.n, &why));
    assert_memory_equal(sh.ja4s, "t1302h1_1301_", 13);
    tls_ja3s_string(&sh, s, sizeof(s));
    assert_string_equal(s, "771,4865,43-16");
}

/* A list longer than kept leaves the fingerprints out, with an anomaly. */
static void test_list_too_long(void **state)
{
    (void)state;
    struct h *h = h_new(443);
    struct vec body = {0}, hs = {0}, c = {0};
    struct ch_opts o = {.sigalgs = true, .extra_ciphers = TLS_CIPHERS_MAX};
    spec_client_hello(&body, &o);
    handshake(&hs, 1, &body);
    record(&c, 22, 0x0301, hs.b, hs.n);
    feed(h, 0, &c, 4096);
    assert_true(has_anom(h, "client_hello_list_too_long"));
    tls_parser.on_close(&h->ctx, h->st);
    assert_false(h->rec.s[0].ch.fingerprinted);
    assert_int_equal(h->rec.s[0].ch.n_cipher_suites, TLS_CIPHERS_MAX + 16);
    h_free(h);
}

/* ---- certificates --------------------------------------------------------------------------- */

/* A self-signed P-256 certificate made here: what a DICOM node's might say. */
static uint8_t *make_cert(int *len)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(key);
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER *serial = ASN1_INTEGER_new();
    BIGNUM *bn = NULL;
    assert_true(BN_hex2bn(&bn, "8A0102030405060708") > 0); /* high bit set: DER adds a leading 00 */
    BN_to_ASN1_INTEGER(bn, serial);
    X509_set_serialNumber(x, serial);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "990102030405Z");  /* UTCTime, YY >= 50: 1999 */
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20550102030405Z"); /* GeneralizedTime */
    X509_NAME *n = X509_NAME_new();
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"DE", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"Radiologie M\xc3\xbcnchen", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"PACS01.example.org", -1, -1, 0);
    X509_set_subject_name(x, n);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    uint8_t *der = NULL;
    *len = i2d_X509(x, &der);
    assert_true(*len > 0);
    X509_NAME_free(n);
    BN_free(bn);
    ASN1_INTEGER_free(serial);
    X509_free(x);
    EVP_PKEY_free(key);
    return der;
}

/* A growable byte buffer for flights larger than struct vec. */
struct big {
    uint8_t *b;
    size_t n, cap;
};

static void big_put(struct big *v, const void *p, size_t n)
{
    if (v->n + n > v->cap) {
        v->cap = (v->n + n) * 2;
        v->b = realloc(v->b, v->cap);
        assert_non_null(v->b);
    }
    memcpy(v->b + v->n, p, n);
    v->n += n;
}

static void big_be24(struct big *v, size_t x)
{
    uint8_t b[3] = {(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x};
    big_put(v, b, 3);
}

/* ServerHello (TLS 1.2), Certificate [der, then `second` bytes of a second entry], ServerHelloDone: as a
 * handshake stream cut into records of at most rec_max bytes. */
static void tls12_server_flight(struct big *out, const uint8_t *der, size_t der_len, size_t second, size_t rec_max)
{
    struct big hs = {0};
    struct vec body = {0}, h = {0};
    server_hello_body(&body, 0, 0xc02f, false, NULL);
    handshake(&h, 2, &body);
    big_put(&hs, h.b, h.n);
    size_t list = 3 + der_len + (second ? 3 + second : 0);
    uint8_t t = 11;
    big_put(&hs, &t, 1);
    big_be24(&hs, 3 + list);
    big_be24(&hs, list);
    big_be24(&hs, der_len);
    big_put(&hs, der, der_len);
    if (second) {
        big_be24(&hs, second);
        for (size_t i = 0; i < second; i++)
            big_put(&hs, "\x30", 1);
    }
    uint8_t done[4] = {14, 0, 0, 0};
    big_put(&hs, done, 4);
    for (size_t off = 0; off < hs.n; off += rec_max) {
        size_t n = hs.n - off < rec_max ? hs.n - off : rec_max;
        uint8_t rh[5] = {22, 3, 3, (uint8_t)(n >> 8), (uint8_t)n};
        big_put(out, rh, 5);
        big_put(out, hs.b + off, n);
    }
    free(hs.b);
}

static void check_cert(const struct tls_cert *c, const uint8_t *der, int len)
{
    assert_true(c->seen);
    assert_string_equal(c->subject, "C=DE, O=Radiologie M\xc3\xbcnchen, CN=PACS01.example.org");
    assert_string_equal(c->issuer, c->subject);
    assert_string_equal(c->serial, "00:8A:01:02:03:04:05:06:07:08");
    assert_string_equal(c->not_before, "1999-01-02T03:04:05");
    assert_string_equal(c->not_after, "2055-01-02T03:04:05");
    uint8_t d[32];
    unsigned int dl = 0;
    EVP_Digest(der, (size_t)len, d, &dl, EVP_sha256(), NULL);
    assert_memory_equal(c->sha256, d, 32);
    EVP_Digest(der, (size_t)len, d, &dl, EVP_sha1(), NULL);
    assert_memory_equal(c->sha1, d, 20);
    assert_int_equal(c->der_len, len);
}

static struct h *tls12_client(void)
{
    struct h *h = h_new(2762);
    struct vec c = {0};
    ch_record(&c, "pacs.example.org");
    feed(h, 0, &c, 4096);
    return h;
}

static void test_certificate(void **state)
{
    (void)state;
    int len = 0;
    uint8_t *der = make_cert(&len);
    /* records of 100 bytes (the Certificate spans several), the stream cut in two at every byte */
    struct big f = {0};
    tls12_server_flight(&f, der, (size_t)len, 0, 100);
    for (size_t cut = 0; cut <= f.n; cut++) {
        struct h *h = tls12_client();
        if (cut)
            tls_parser.on_data(&h->ctx, h->st, 1, f.b, cut);
        if (cut < f.n)
            tls_parser.on_data(&h->ctx, h->st, 1, f.b + cut, f.n - cut);
        assert_int_equal(h->rec.n_tls, 1); /* the handshake event, at the Certificate */
        assert_int_equal(h->rec.n_anom, 0);
        check_cert(&h->rec.s[0].cert, der, len);
        assert_int_equal(h->rec.s[0].cert.chain_len, 1);
        assert_string_equal(h->rec.s[0].sh.ja4s, "t120000_c02f_000000000000");
        h_free(h);
    }
    /* one byte at a time, one record */
    free(f.b);
    f = (struct big){0};
    tls12_server_flight(&f, der, (size_t)len, 0, 16384);
    struct h *h = tls12_client();
    for (size_t i = 0; i < f.n; i++)
        tls_parser.on_data(&h->ctx, h->st, 1, f.b + i, 1);
    assert_int_equal(h->rec.n_tls, 1);
    check_cert(&h->rec.s[0].cert, der, len);
    h_free(h);
    free(f.b);

    /* a Certificate message above 64 KiB: the first certificate is in the prefix kept */
    f = (struct big){0};
    tls12_server_flight(&f, der, (size_t)len, 80000, 16384);
    h = tls12_client();
    tls_parser.on_data(&h->ctx, h->st, 1, f.b, f.n);
    assert_int_equal(h->rec.n_anom, 0);
    check_cert(&h->rec.s[0].cert, der, len);
    assert_int_equal(h->rec.s[0].cert.chain_len, 1); /* the second is beyond what was kept */
    h_free(h);
    free(f.b);
    OPENSSL_free(der);

    /* a first certificate above 64 KiB: not decoded, an anomaly, the handshake event still leaves */
    uint8_t *huge = calloc(1, 70000);
    assert_non_null(huge);
    f = (struct big){0};
    tls12_server_flight(&f, huge, 70000, 0, 16384);
    h = tls12_client();
    tls_parser.on_data(&h->ctx, h->st, 1, f.b, f.n);
    assert_true(has_anom(h, "certificate_too_large"));
    assert_int_equal(h->rec.n_tls, 1);
    assert_false(h->rec.s[0].cert.seen);
    h_free(h);
    free(f.b);
    free(huge);
}

static void test_certificate_malformed(void **state)
{
    (void)state;
    int len = 0;
    uint8_t *der = make_cert(&len);
    /* every truncation of the DER, and every single-byte corruption of its first 40 bytes */
    for (int cut = 1; cut < len; cut += 7) {
        struct tls_cert c;
        const char *why = NULL;
        uint8_t msg[3 + 3 + 2048];
        assert_true(len < 2048);
        size_t n = (size_t)cut;
        msg[0] = 0, msg[1] = (uint8_t)((3 + n) >> 8), msg[2] = (uint8_t)(3 + n);
        msg[3] = 0, msg[4] = (uint8_t)(n >> 8), msg[5] = (uint8_t)n;
        memcpy(msg + 6, der, n);
        assert_false(tls_parse_certificate(&c, msg, 6 + n, &why));
        assert_non_null(why);
        assert_false(c.seen);
    }
    for (int i = 0; i < 40; i++) {
        struct tls_cert c;
        const char *why = NULL;
        uint8_t msg[3 + 3 + 2048];
        size_t n = (size_t)len;
        msg[0] = 0, msg[1] = (uint8_t)((3 + n) >> 8), msg[2] = (uint8_t)(3 + n);
        msg[3] = 0, msg[4] = (uint8_t)(n >> 8), msg[5] = (uint8_t)n;
        memcpy(msg + 6, der, n);
        msg[6 + i] ^= 0xff;
        (void)tls_parse_certificate(&c, msg, 6 + n, &why); /* decoded or refused, never over-read (ASan) */
        assert_true(c.seen == (why == NULL));
    }
    /* list shapes: empty list, an entry overrunning, an empty entry */
    static const uint8_t empty[] = {0, 0, 0};
    static const uint8_t overrun[] = {0, 0, 6, 0, 0, 9, 0x30, 0x03, 0x02};
    static const uint8_t zero[] = {0, 0, 3, 0, 0, 0};
    struct tls_cert c;
    const char *why = NULL;
    assert_false(tls_parse_certificate(&c, empty, sizeof(empty), &why));
    assert_false(tls_parse_certificate(&c, overrun, sizeof(overrun), &why));
    assert_false(tls_parse_certificate(&c, zero, sizeof(zero), &why));
    assert_false(tls_parse_certificate(&c, zero, 2, &why));
    OPENSSL_free(der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_client_hello),
        cmocka_unit_test(test_server_hello),
        cmocka_unit_test(test_malformed_hellos),
        cmocka_unit_test(test_tls13_flow),
        cmocka_unit_test(test_dicom_hint_ports),
        cmocka_unit_test(test_tls12_flow),
        cmocka_unit_test(test_hello_retry),
        cmocka_unit_test(test_malformed_stream),
        cmocka_unit_test(test_grease),
        cmocka_unit_test(test_ja3_ja4_spec),
        cmocka_unit_test(test_ja3s_ja4s),
        cmocka_unit_test(test_list_too_long),
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_certificate_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
