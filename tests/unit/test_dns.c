/*
 * test_dns.c - the DNS parser and the IP -> name map, fed byte vectors built from RFC 1035 4.1 (header, question,
 * resource records, compression 4.1.4), RFC 3596 (AAAA), RFC 2782 (SRV), RFC 6891 (OPT) and RFC 1035 4.2.2 (TCP
 * length prefix): every decoded record type and an unknown one, names at and past the 255-byte and 127-label limits,
 * pointer loops and forward pointers, a message truncated at every byte length (in a buffer of exactly that size,
 * so ASan sees any over-read), TCP framing split at every byte, several messages per segment, gaps, pairing
 * (answered, retransmitted, unanswered, response without query, mismatched question, full table), the probes, the
 * EVE shape, and the name map's lookup, LRU eviction and memcap.
 */
#include "unit.h"
#define VEC_CAP 70000
#include "vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/dns/dns.h"
#include "config_registry.h"
#include "core/json.h"
#include "core/stats.h"
#include "correlate/dns_name_map.h"
#include "flow/flow.h"
#include "output/eve.h"

/* ---- message builder ---- */

static void hdr(struct vec *v, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    be16(v, id);
    be16(v, flags);
    be16(v, qd);
    be16(v, an);
    be16(v, ns);
    be16(v, ar);
}
/* "www.example.com" as uncompressed labels */
static void name(struct vec *v, const char *dotted)
{
    const char *p = dotted;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        u8(v, (uint8_t)l);
        put(v, p, l);
        p += l;
        if (*p == '.')
            p++;
    }
    u8(v, 0);
}
static void ptr(struct vec *v, uint16_t off)
{
    be16(v, (uint16_t)(0xc000 | off));
}
static void question(struct vec *v, const char *n, uint16_t type)
{
    name(v, n);
    be16(v, type);
    be16(v, 1);
}
/* record with owner = pointer to offset 12 (the question name) */
static void rr_hdr(struct vec *v, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
    ptr(v, 12);
    be16(v, type);
    be16(v, 1);
    be32(v, ttl);
    be16(v, rdlen);
}

static struct dns_msg *parse(const struct vec *v)
{
    static struct dns_msg m;
    /* an exact-size copy: ASan flags any read past the message */
    uint8_t *copy = malloc(v->n ? v->n : 1);
    assert_non_null(copy);
    memcpy(copy, v->b, v->n);
    bool ok = dns_msg_parse(&m, copy, v->n);
    free(copy);
    return ok ? &m : NULL;
}

/* ---- names ---- */

static enum dns_name_err read_name_at(const struct vec *v, size_t off, char *text, size_t cap)
{
    struct dns_name n;
    size_t o = off;
    enum dns_name_err e = dns_name_read(v->b, v->n, &o, &n);
    if (e == DNS_NAME_OK && text)
        dns_name_text(&n, text, cap);
    return e;
}

static void test_name_plain_and_compressed(void **state)
{
    (void)state;
    struct vec *v = calloc(1, sizeof(*v));
    hdr(v, 1, 0, 0, 0, 0, 0);
    name(v, "www.example.com"); /* at 12 */
    size_t second = v->n;
    u8(v, 4);
    put(v, "mail", 4);
    ptr(v, 16); /* -> example.com */
    char t[DNS_NAME_TEXT_MAX];
    assert_int_equal(read_name_at(v, 12, t, sizeof(t)), DNS_NAME_OK);
    assert_string_equal(t, "www.example.com");
    struct dns_name n;
    size_t o = second;
    assert_int_equal(dns_name_read(v->b, v->n, &o, &n), DNS_NAME_OK);
    assert_int_equal(o, second + 7); /* after the pointer, not where the pointer led */
    dns_name_text(&n, t, sizeof(t));
    assert_string_equal(t, "mail.example.com");
    assert_int_equal(n.labels, 3);
    /* the root */
    struct vec *r = calloc(1, sizeof(*r));
    u8(r, 0);
    assert_int_equal(read_name_at(r, 0, t, sizeof(t)), DNS_NAME_OK);
    assert_string_equal(t, "");
    free(r);
    free(v);
}

static void test_name_escaping(void **state)
{
    (void)state;
    struct vec *v = calloc(1, sizeof(*v));
    u8(v, 6);
    put(v, "a.b\\ \x01", 6);
    u8(v, 2);
    put(v,
        "\xff"
        "Z",
        2);
    u8(v, 0);
    char t[DNS_NAME_TEXT_MAX];
    assert_int_equal(read_name_at(v, 0, t, sizeof(t)), DNS_NAME_OK);
    assert_string_equal(t, "a\\.b\\\\\\032\\001.\\255Z");
    free(v);
}

static void test_name_pointer_loop_and_forward(void **state)
{
    (void)state;
    struct vec *v = calloc(1, sizeof(*v));
    hdr(v, 1, 0, 0, 0, 0, 0);
    ptr(v, 12); /* at 12: points to itself */
    assert_int_equal(read_name_at(v, 12, NULL, 0), DNS_NAME_POINTER_FORWARD);
    v->n = 12;
    ptr(v, 14); /* at 12 -> 14 (forward) */
    ptr(v, 12); /* at 14 -> 12 */
    assert_int_equal(read_name_at(v, 12, NULL, 0), DNS_NAME_POINTER_FORWARD);
    assert_int_equal(read_name_at(v, 14, NULL, 0), DNS_NAME_POINTER_FORWARD); /* 14->12->14: 14 >= 12's own pos */
    v->n = 12;
    u8(v, 1); /* at 12: label "a" then pointer back to 12: a loop through a label */
    u8(v, 'a');
    ptr(v, 12);
    assert_int_equal(read_name_at(v, 12, NULL, 0), DNS_NAME_POINTER_LOOP);
    /* a chain of backward pointers longer than 127 is cut */
    struct vec *c = calloc(1, sizeof(*c));
    u8(c, 0);
    for (int i = 0; i < 200; i++)
        ptr(c, (uint16_t)(i == 0 ? 0 : c->n - 2));
    assert_int_equal(read_name_at(c, c->n - 2, NULL, 0), DNS_NAME_POINTER_LOOP);
    assert_int_equal(read_name_at(c, 2 * 100 + 1 - 2, NULL, 0), DNS_NAME_OK); /* 100 pointers: fine */
    free(c);
    /* label types 01 and 10 */
    v->n = 12;
    u8(v, 0x41);
    assert_int_equal(read_name_at(v, 12, NULL, 0), DNS_NAME_LABEL_TYPE);
    v->n = 12;
    u8(v, 0x80);
    assert_int_equal(read_name_at(v, 12, NULL, 0), DNS_NAME_LABEL_TYPE);
    /* pointer cut in half, label running past the end */
    v->n = 12;
    u8(v, 0xc0);
    assert_int_equal(read_name_at(v, 12, NULL, 0), DNS_NAME_TRUNCATED);
    v->n = 12;
    u8(v, 5);
    put(v, "abc", 3);
    assert_int_equal(read_name_at(v, 12, NULL, 0), DNS_NAME_TRUNCATED);
    free(v);
}

static void test_name_limits(void **state)
{
    (void)state;
    struct vec *v = calloc(1, sizeof(*v));
    /* 127 one-byte labels: 254 bytes + root = 255: the longest name */
    for (int i = 0; i < 127; i++) {
        u8(v, 1);
        u8(v, 'a');
    }
    u8(v, 0);
    struct dns_name n;
    size_t o = 0;
    assert_int_equal(dns_name_read(v->b, v->n, &o, &n), DNS_NAME_OK);
    assert_int_equal(n.len, 255);
    assert_int_equal(n.labels, 127);
    char t[DNS_NAME_TEXT_MAX];
    assert_int_equal(dns_name_text(&n, t, sizeof(t)), 253);
    /* a 128th label */
    v->n = 0;
    for (int i = 0; i < 128; i++) {
        u8(v, 1);
        u8(v, 'a');
    }
    u8(v, 0);
    o = 0;
    assert_int_equal(dns_name_read(v->b, v->n, &o, &n), DNS_NAME_TOO_MANY_LABELS);
    /* 4 labels of 63 = 256 bytes with the root */
    v->n = 0;
    for (int i = 0; i < 4; i++) {
        u8(v, 63);
        for (int k = 0; k < 63; k++)
            u8(v, 'x');
    }
    u8(v, 0);
    o = 0;
    assert_int_equal(dns_name_read(v->b, v->n, &o, &n), DNS_NAME_TOO_LONG);
    /* 3 x 63 + 61 = 254 + root: fits */
    v->b[3 * 64] = 61;
    memmove(v->b + 3 * 64 + 1 + 61, v->b + v->n - 1, 1);
    v->n = 3 * 64 + 1 + 61 + 1;
    v->b[v->n - 1] = 0;
    o = 0;
    assert_int_equal(dns_name_read(v->b, v->n, &o, &n), DNS_NAME_OK);
    assert_int_equal(n.len, 255);
    /* too long through pointers: a 200-byte name and "x" * 60 + pointer to it */
    v->n = 0;
    for (int i = 0; i < 4; i++) {
        u8(v, 49);
        for (int k = 0; k < 49; k++)
            u8(v, 'y');
    }
    u8(v, 0); /* 201 bytes */
    size_t s = v->n;
    u8(v, 60);
    for (int k = 0; k < 60; k++)
        u8(v, 'z');
    ptr(v, 0);
    o = s;
    assert_int_equal(dns_name_read(v->b, v->n, &o, &n), DNS_NAME_TOO_LONG);
    free(v);
}

/* ---- records ---- */

static void test_records_every_type(void **state)
{
    (void)state;
    struct vec *v = calloc(1, sizeof(*v));
    hdr(v, 0x1234, 0x8180, 1, 10, 1, 1);
    question(v, "example.com", DNS_TYPE_A);
    rr_hdr(v, DNS_TYPE_A, 300, 4);
    put(v, "\xc0\x00\x02\x01", 4);
    rr_hdr(v, DNS_TYPE_AAAA, 301, 16);
    put(v, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    rr_hdr(v, DNS_TYPE_CNAME, 302, 6);
    u8(v, 3);
    put(v, "www", 3);
    ptr(v, 12);
    rr_hdr(v, DNS_TYPE_NS, 303, 2);
    ptr(v, 12);
    rr_hdr(v, DNS_TYPE_PTR, 304, 2);
    ptr(v, 12);
    rr_hdr(v, DNS_TYPE_MX, 305, 4);
    be16(v, 10);
    ptr(v, 12);
    rr_hdr(v, DNS_TYPE_TXT, 306, 8);
    u8(v, 3);
    put(v, "v=1", 3);
    u8(v, 3);
    put(v, "\0ab", 3);
    rr_hdr(v, DNS_TYPE_SRV, 307, 8);
    be16(v, 1);
    be16(v, 2);
    be16(v, 5060);
    ptr(v, 12);
    rr_hdr(v, 99, 308, 3); /* SPF: not decoded, kept by number */
    put(v, "abc", 3);
    rr_hdr(v, DNS_TYPE_A, 309, 3); /* A with 3 bytes: malformed rdata */
    put(v, "abc", 3);
    /* authority: SOA */
    rr_hdr(v, DNS_TYPE_SOA, 3600, 4 + 20);
    ptr(v, 12);
    ptr(v, 12);
    be32(v, 2026120701);
    be32(v, 7200);
    be32(v, 900);
    be32(v, 1209600);
    be32(v, 60);
    /* additional: OPT, 1232 bytes, version 0, DO */
    u8(v, 0);
    be16(v, DNS_TYPE_OPT);
    be16(v, 1232);
    be32(v, 0x00008000);
    be16(v, 0);

    struct dns_msg *m = parse(v);
    assert_non_null(m);
    assert_true(m->complete);
    assert_null(m->malformed);
    assert_string_equal(m->rdata_anomaly, "rdata_malformed");
    assert_int_equal(m->id, 0x1234);
    assert_string_equal(m->qname_text, "example.com");
    assert_int_equal(m->n_answers, 10);
    assert_string_equal(m->answers[0].rdata, "192.0.2.1");
    assert_int_equal(m->answers[0].ttl, 300);
    assert_int_equal(m->answers[0].addr.family, 4);
    assert_string_equal(m->answers[1].rdata, "2001:db8::1");
    assert_int_equal(m->answers[1].addr.family, 6);
    assert_string_equal(m->answers[2].rdata, "www.example.com");
    assert_string_equal(m->answers[3].rdata, "example.com");
    assert_string_equal(m->answers[4].rdata, "example.com");
    assert_string_equal(m->answers[5].rdata, "example.com");
    assert_int_equal(m->answers[5].mx_pref, 10);
    assert_int_equal(m->answers[6].rdata_len, 6);
    assert_memory_equal(m->answers[6].rdata, "v=1\0ab", 6);
    assert_int_equal(m->answers[7].srv_port, 5060);
    assert_int_equal(m->answers[7].srv_priority, 1);
    assert_int_equal(m->answers[7].srv_weight, 2);
    assert_string_equal(m->answers[7].rdata, "example.com");
    assert_false(m->answers[8].has_rdata);
    assert_int_equal(m->answers[8].rdlength, 3);
    assert_true(m->answers[9].rdata_malformed);
    assert_int_equal(m->n_auth, 1);
    assert_string_equal(m->auth[0].rdata, "example.com");
    assert_string_equal(m->auth[0].soa_rname, "example.com");
    assert_int_equal(m->auth[0].soa_serial, 2026120701);
    assert_int_equal(m->auth[0].soa_minimum, 60);
    assert_true(m->edns);
    assert_int_equal(m->edns_udp_size, 1232);
    assert_true(m->edns_do);
    assert_int_equal(m->trailing, 0);

    /* every shorter length: no crash, no over-read, never complete */
    for (size_t len = 0; len < v->n; len++) {
        struct vec *t = calloc(1, sizeof(*t));
        put(t, v->b, len);
        struct dns_msg *tm = parse(t);
        if (len < 12)
            assert_null(tm);
        else
            assert_false(tm->complete);
        free(t);
    }
    free(v);
}

static void test_answers_bounded(void **state)
{
    (void)state;
    struct vec *v = calloc(1, sizeof(*v));
    hdr(v, 7, 0x8180, 1, 100, 0, 0);
    question(v, "many.example", DNS_TYPE_A);
    for (int i = 0; i < 100; i++) {
        rr_hdr(v, DNS_TYPE_A, 1, 4);
        be32(v, 0x0a000000u + (uint32_t)i);
    }
    struct dns_msg *m = parse(v);
    assert_true(m->complete);
    assert_int_equal(m->n_answers, DNS_MAX_ANSWERS);
    assert_true(m->answers_truncated);
    assert_string_equal(m->answers[31].rdata, "10.0.0.31");
    free(v);
}

/* ---- the parser in an app layer ---- */

#define MAX_REC 256
struct rec {
    int n;
    enum dns_event_kind kind[MAX_REC];
    uint16_t id[MAX_REC];
    char rrname[MAX_REC][64];
    bool query_seen[MAX_REC];
    uint32_t retrans[MAX_REC];
    uint16_t n_answers[MAX_REC];
    char json[4096];
    int n_anom;
    const char *anom[MAX_REC];
};

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_DNS && r->n < MAX_REC) {
        const struct dns_event *de = ev->body;
        int i = r->n++;
        r->kind[i] = de->kind;
        r->query_seen[i] = de->query_seen;
        r->retrans[i] = de->retransmissions;
        if (de->kind == DNS_EV_UNANSWERED) {
            r->id[i] = de->id;
            snprintf(r->rrname[i], sizeof(r->rrname[i]), "%.63s", de->rrname);
        } else {
            r->id[i] = de->msg->id;
            snprintf(r->rrname[i], sizeof(r->rrname[i]), "%.63s", de->msg->qname_text);
            r->n_answers[i] = de->msg->n_answers;
        }
        struct jw w;
        struct eve_cfg ec = {0};
        jw_init(&w);
        eve_format(&w, &ec, ev);
        assert_false(w.err);
        snprintf(r->json, sizeof(r->json), "%.*s", (int)w.len, w.buf);
        jw_free(&w);
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
    const struct app_parser *p;
    void *st;
};

static struct h *h_new(bool tcp)
{
    struct h *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    config_defaults(&h->cfg);
    event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_DNS) | EVENT_MASK(EVENT_ANOMALY), on_event, &h->rec);
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&h->cfg, parser_cfg);
    assert_int_equal(app_layer_init(&h->al, &h->cfg.app, &h->stats, &h->bus, parser_cfg), 0);
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    h->flow.server_port = 53;
    h->flow.ipproto = tcp ? 6 : 17;
    h->ctx.al = &h->al;
    h->ctx.flow = &h->flow;
    h->ctx.ts_us = 1000000;
    h->p = tcp ? &dns_tcp_parser : &dns_udp_parser;
    h->st = h->p->state_new(&h->ctx);
    assert_non_null(h->st);
    return h;
}

static void h_close(struct h *h)
{
    if (h->st) {
        h->p->on_close(&h->ctx, h->st);
        h->p->state_free(&h->ctx, h->st);
        h->st = NULL;
    }
}

static void h_free(struct h *h)
{
    h_close(h);
    assert_int_equal(h->al.mc.used, 0); /* nothing leaked against the memcap */
    app_layer_free(&h->al);
    free(h);
}

static bool has_anom(const struct h *h, const char *name)
{
    for (int i = 0; i < h->rec.n_anom; i++)
        if (strcmp(h->rec.anom[i], name) == 0)
            return true;
    return false;
}

static void build_query(struct vec *v, uint16_t id, const char *qname)
{
    v->n = 0;
    hdr(v, id, 0x0100, 1, 0, 0, 0);
    question(v, qname, DNS_TYPE_A);
}

static void build_answer(struct vec *v, uint16_t id, const char *qname, uint32_t addr)
{
    v->n = 0;
    hdr(v, id, 0x8180, 1, 1, 0, 0);
    question(v, qname, DNS_TYPE_A);
    rr_hdr(v, DNS_TYPE_A, 60, 4);
    be32(v, addr);
}

static void udp(struct h *h, int dir, const struct vec *v)
{
    h->p->on_data(&h->ctx, h->st, dir, v->b, v->n);
    h->ctx.ts_us += 1000;
}

static void test_pairing_udp(void **state)
{
    (void)state;
    struct h *h = h_new(false);
    struct vec *v = calloc(1, sizeof(*v));
    build_query(v, 1, "a.example");
    udp(h, 0, v);
    udp(h, 0, v);                                /* retransmission */
    build_answer(v, 1, "A.Example", 0x7f000042); /* the question's case differs: still the same (RFC 4343) */
    udp(h, 1, v);
    assert_int_equal(h->rec.n, 3);
    assert_int_equal(h->rec.kind[2], DNS_EV_ANSWER);
    assert_true(h->rec.query_seen[2]);
    assert_int_equal(h->rec.retrans[2], 1);
    assert_non_null(strstr(h->rec.json, "\"type\":\"answer\""));
    assert_non_null(strstr(h->rec.json, "\"response_time_us\":2000"));
    assert_non_null(strstr(h->rec.json, "\"grouped\":{\"A\":[\"127.0.0.66\"]}"));
    assert_non_null(strstr(h->rec.json, "\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true"));
    /* a response without a query */
    build_answer(v, 2, "b.example", 0x7f000043);
    udp(h, 1, v);
    assert_int_equal(h->rec.kind[3], DNS_EV_ANSWER);
    assert_false(h->rec.query_seen[3]);
    /* same id, other question: not paired, anomaly */
    build_query(v, 3, "c.example");
    udp(h, 0, v);
    build_answer(v, 3, "d.example", 1);
    udp(h, 1, v);
    assert_false(h->rec.query_seen[5]);
    assert_true(has_anom(h, "question_mismatch"));
    /* c.example is still waiting: reported at close */
    h_close(h);
    assert_int_equal(h->rec.n, 7);
    assert_int_equal(h->rec.kind[6], DNS_EV_UNANSWERED);
    assert_string_equal(h->rec.rrname[6], "c.example");
    assert_non_null(strstr(h->rec.json, "\"type\":\"unanswered\",\"id\":3,\"rrname\":\"c.example\""));
    free(v);
    h_free(h);
}

static void test_pending_full_and_timeout(void **state)
{
    (void)state;
    struct h *h = h_new(false);
    struct vec *v = calloc(1, sizeof(*v));
    for (int i = 0; i < DNS_MAX_PENDING + 3; i++) {
        build_query(v, (uint16_t)(100 + i), "q.example");
        udp(h, 0, v);
    }
    assert_true(has_anom(h, "pending_full"));
    int unanswered = 0;
    for (int i = 0; i < h->rec.n; i++)
        if (h->rec.kind[i] == DNS_EV_UNANSWERED) {
            assert_int_equal(h->rec.id[i], 100 + unanswered); /* the oldest go first */
            unanswered++;
        }
    assert_int_equal(unanswered, 3);
    /* 31 s later every remaining query has timed out: reported before the new message */
    h->ctx.ts_us += DNS_PENDING_TIMEOUT_US + 1;
    build_answer(v, 9, "late.example", 1);
    int before = h->rec.n;
    udp(h, 1, v);
    assert_int_equal(h->rec.n - before, DNS_MAX_PENDING + 1);
    assert_int_equal(h->rec.kind[h->rec.n - 1], DNS_EV_ANSWER);
    before = h->rec.n;
    h_close(h);
    assert_int_equal(h->rec.n, before); /* nothing left pending */
    free(v);
    h_free(h);
}

/* Two queries and their answers, TCP-framed, fed in chunks of every size and split at every byte. */
static void tcp_stream(struct vec *s)
{
    struct vec *m = calloc(1, sizeof(*m));
    s->n = 0;
    build_query(m, 11, "one.example");
    be16(s, (uint16_t)m->n);
    put(s, m->b, m->n);
    build_query(m, 12, "two.example");
    be16(s, (uint16_t)m->n);
    put(s, m->b, m->n);
    free(m);
}

static void tcp_answers(struct vec *s)
{
    struct vec *m = calloc(1, sizeof(*m));
    s->n = 0;
    build_answer(m, 12, "two.example", 2);
    be16(s, (uint16_t)m->n);
    put(s, m->b, m->n);
    build_answer(m, 11, "one.example", 1);
    be16(s, (uint16_t)m->n);
    put(s, m->b, m->n);
    free(m);
}

static void test_tcp_split_every_byte(void **state)
{
    (void)state;
    struct vec *q = calloc(1, sizeof(*q)), *a = calloc(1, sizeof(*a));
    tcp_stream(q);
    tcp_answers(a);
    for (size_t cut = 0; cut <= q->n; cut++) {
        struct h *h = h_new(true);
        h->p->on_data(&h->ctx, h->st, 0, q->b, cut);
        h->p->on_data(&h->ctx, h->st, 0, q->b + cut, q->n - cut);
        size_t acut = cut < a->n ? cut : a->n;
        h->p->on_data(&h->ctx, h->st, 1, a->b, acut);
        h->p->on_data(&h->ctx, h->st, 1, a->b + acut, a->n - acut);
        assert_int_equal(h->rec.n, 4);
        assert_int_equal(h->rec.kind[0], DNS_EV_QUERY);
        assert_string_equal(h->rec.rrname[1], "two.example");
        assert_int_equal(h->rec.kind[2], DNS_EV_ANSWER);
        assert_true(h->rec.query_seen[2] && h->rec.query_seen[3]);
        assert_int_equal(h->rec.id[3], 11);
        assert_int_equal(h->rec.n_anom, 0);
        h_free(h);
    }
    /* one byte at a time */
    struct h *h = h_new(true);
    for (size_t i = 0; i < q->n; i++)
        h->p->on_data(&h->ctx, h->st, 0, q->b + i, 1);
    assert_int_equal(h->rec.n, 2);
    h_free(h);
    free(q);
    free(a);
}

static void test_tcp_gaps_and_short_lengths(void **state)
{
    (void)state;
    struct vec *q = calloc(1, sizeof(*q));
    tcp_stream(q);
    size_t first = 2 + (size_t)(q->b[0] << 8 | q->b[1]);
    /* a gap inside the first message: it is skipped, the second is read */
    struct h *h = h_new(true);
    h->p->on_data(&h->ctx, h->st, 0, q->b, 5);
    h->p->on_gap(&h->ctx, h->st, 0, 3);
    h->p->on_data(&h->ctx, h->st, 0, q->b + 8, q->n - 8);
    assert_int_equal(h->rec.n, 1);
    assert_string_equal(h->rec.rrname[0], "two.example");
    assert_true(has_anom(h, "gap_in_message"));
    h_free(h);
    /* a gap across the boundary: resynchronised at the next chunk that starts a message */
    h = h_new(true);
    h->p->on_data(&h->ctx, h->st, 0, q->b, 5);
    h->p->on_gap(&h->ctx, h->st, 0, first);
    h->p->on_data(&h->ctx, h->st, 0, q->b + 5 + first, 3); /* middle of the second message: ignored */
    h->p->on_data(&h->ctx, h->st, 0, q->b, q->n);          /* a fresh start: both read */
    assert_int_equal(h->rec.n, 2);
    assert_true(has_anom(h, "gap_resync"));
    h_free(h);
    /* a length below the header is skipped with its bytes */
    struct vec *s = calloc(1, sizeof(*s));
    be16(s, 3);
    put(s, "abc", 3);
    put(s, q->b, q->n);
    h = h_new(true);
    h->p->on_data(&h->ctx, h->st, 0, s->b, s->n);
    assert_int_equal(h->rec.n, 2);
    assert_true(has_anom(h, "tcp_length_too_short"));
    /* ending inside a message */
    h->p->on_data(&h->ctx, h->st, 0, q->b, 4);
    h_close(h);
    assert_true(has_anom(h, "truncated_message"));
    h_free(h);
    free(s);
    free(q);
}

static void test_malformed_messages_udp(void **state)
{
    (void)state;
    struct h *h = h_new(false);
    struct vec *v = calloc(1, sizeof(*v));
    hdr(v, 5, 0x8180, 1, 1, 0, 0);
    question(v, "x.example", DNS_TYPE_A);
    ptr(v, (uint16_t)v->n); /* answer owner: pointer to itself */
    udp(h, 1, v);
    assert_true(has_anom(h, "name_pointer_forward"));
    assert_int_equal(h->rec.n, 1); /* still reported, with what was read */
    assert_non_null(strstr(h->rec.json, "\"malformed\":\"name_pointer_forward\""));
    v->n = 5;
    udp(h, 0, v);
    assert_true(has_anom(h, "message_too_short"));
    free(v);
    h_free(h);
}

/* ---- probes ---- */

static void test_probes(void **state)
{
    (void)state;
    struct vec *v = calloc(1, sizeof(*v));
    build_query(v, 1, "www.example.com");
    assert_int_equal(dns_probe_udp(v->b, v->n, 0), PROBE_YES);
    assert_int_equal(dns_probe_udp(v->b, v->n - 1, 0), PROBE_NO);
    for (size_t len = 0; len < v->n; len++)
        assert_int_equal(dns_probe_udp(v->b, len, 0), PROBE_NO);
    v->b[v->n] = 0; /* a trailing byte after a query with no records */
    assert_int_equal(dns_probe_udp(v->b, v->n + 1, 0), PROBE_NO);
    build_answer(v, 1, "www.example.com", 1);
    assert_int_equal(dns_probe_udp(v->b, v->n, 1), PROBE_YES);
    /* NBNS: the same layout, a 32-byte NetBIOS-encoded label */
    v->n = 0;
    hdr(v, 1, 0x0110, 1, 0, 0, 0);
    question(v, "FHEPFCELEHFCEPFFFACACACACACACAAA", 0x20);
    assert_int_equal(dns_probe_udp(v->b, v->n, 0), PROBE_NO);
    /* opcode 5 (UPDATE), two questions, a compressed question name */
    build_query(v, 1, "a.example");
    v->b[2] |= 0x28;
    assert_int_equal(dns_probe_udp(v->b, v->n, 0), PROBE_NO);
    build_query(v, 1, "a.example");
    v->b[5] = 2;
    assert_int_equal(dns_probe_udp(v->b, v->n, 0), PROBE_NO);
    v->n = 0;
    hdr(v, 1, 0x0100, 1, 0, 0, 0);
    ptr(v, 12);
    be16(v, 1);
    be16(v, 1);
    assert_int_equal(dns_probe_udp(v->b, v->n, 0), PROBE_NO);
    /* random bytes: never */
    srand(9);
    int yes = 0;
    for (int i = 0; i < 100000; i++) {
        uint8_t r[64];
        for (size_t k = 0; k < sizeof(r); k++)
            r[k] = (uint8_t)rand();
        yes += dns_probe_udp(r, 12 + (size_t)(rand() % 52), 0) == PROBE_YES;
    }
    assert_int_equal(yes, 0);
    /* TCP: needs the length, then the same test; partial is "maybe" */
    struct vec *s = calloc(1, sizeof(*s));
    tcp_stream(s);
    assert_int_equal(dns_probe_tcp(s->b, 1, 0), PROBE_MAYBE);
    assert_int_equal(dns_probe_tcp(s->b, 14, 0), PROBE_MAYBE);
    assert_int_equal(dns_probe_tcp(s->b, s->n, 0), PROBE_YES);
    assert_int_equal(dns_probe_tcp((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0), PROBE_NO);
    free(s);
    free(v);
}

/* ---- the name map ---- */

static struct ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    uint8_t x[4] = {a, b, c, d};
    struct ip_addr ip;
    ip_addr_set4(&ip, x);
    return ip;
}

static void test_name_map_lookup_and_lru(void **state)
{
    (void)state;
    struct stats st = {0};
    struct dns_name_map map;
    struct dns_name_map_cfg cfg = {.size = 4, .memcap = 1 << 20};
    char err[256];
    assert_int_equal(dns_name_map_init(&map, &cfg, NULL, &st, err, sizeof(err)), 0);
    struct ip_addr a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2), c = v4(10, 0, 0, 3), d = v4(10, 0, 0, 4),
                   e = v4(10, 0, 0, 5);
    struct dns_name_hit hit;
    assert_false(dns_name_map_lookup(&map, &a, 0, &hit));
    assert_true(dns_name_map_add(&map, &a, "www.example", "cdn.example", 60, 1000000));
    assert_true(dns_name_map_lookup(&map, &a, 2000000, &hit));
    assert_string_equal(hit.name, "www.example");
    assert_string_equal(hit.cname, "cdn.example");
    assert_int_equal(hit.ttl, 60);
    assert_false(hit.expired);
    assert_true(dns_name_map_lookup(&map, &a, 62000000, &hit));
    assert_true(hit.expired);
    /* a newer answer replaces the name */
    assert_true(dns_name_map_add(&map, &a, "other.example", "other.example", 30, 3000000));
    assert_true(dns_name_map_lookup(&map, &a, 3000000, &hit));
    assert_string_equal(hit.name, "other.example");
    assert_null(hit.cname);
    assert_int_equal(st.dns_names_entries, 1);
    dns_name_map_add(&map, &b, "b", NULL, 1, 1);
    dns_name_map_add(&map, &c, "c", NULL, 1, 1);
    dns_name_map_add(&map, &d, "d", NULL, 1, 1);
    /* a is the least recently used; looking it up makes b the one */
    assert_true(dns_name_map_lookup(&map, &a, 1, &hit));
    dns_name_map_add(&map, &e, "e", NULL, 1, 1);
    assert_int_equal(st.dns_names_entries, 4);
    assert_int_equal(st.dns_names_evicted, 1);
    assert_false(dns_name_map_lookup(&map, &b, 1, &hit));
    assert_true(dns_name_map_lookup(&map, &a, 1, &hit));
    assert_true(dns_name_map_lookup(&map, &e, 1, &hit));
    /* IPv6 and an IPv4-mapped look-alike are different keys */
    uint8_t six[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1};
    struct ip_addr a6;
    ip_addr_set6(&a6, six);
    assert_false(dns_name_map_lookup(&map, &a6, 1, &hit));
    dns_name_map_free(&map);
    assert_int_equal(map.mc.used, 0);
}

static void test_name_map_memcap(void **state)
{
    (void)state;
    struct stats st = {0};
    struct dns_name_map map;
    /* room for the hash index (1024 buckets, 8 KB) and a handful of long names only */
    struct dns_name_map_cfg cfg = {.size = 65536, .memcap = 8192 + 8 * 1100};
    char err[256];
    assert_int_equal(dns_name_map_init(&map, &cfg, NULL, &st, err, sizeof(err)), -1); /* 65536 buckets: no room */
    assert_non_null(strstr(err, "dns.name-map-memcap"));
    cfg.size = 1000;
    assert_int_equal(dns_name_map_init(&map, &cfg, NULL, &st, err, sizeof(err)), 0);
    char longname[1001];
    memset(longname, 'n', 1000);
    longname[1000] = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        struct ip_addr ip = v4(10, 1, (uint8_t)(i >> 8), (uint8_t)i);
        assert_true(dns_name_map_add(&map, &ip, longname, NULL, 60, i));
        assert_true(map.mc.used <= map.mc.cap);
    }
    assert_true(st.dns_names_entries < 10);
    assert_int_equal(st.dns_names_entries + st.dns_names_evicted, 1000);
    struct dns_name_hit hit;
    struct ip_addr last = v4(10, 1, 3, 231); /* 999 */
    assert_true(dns_name_map_lookup(&map, &last, 0, &hit));
    struct ip_addr first = v4(10, 1, 0, 0);
    assert_false(dns_name_map_lookup(&map, &first, 0, &hit));
    dns_name_map_free(&map);
    assert_int_equal(map.mc.used, 0);
    /* size 0: no map, nothing stored */
    cfg.size = 0;
    assert_int_equal(dns_name_map_init(&map, &cfg, NULL, &st, err, sizeof(err)), 0);
    assert_false(dns_name_map_add(&map, &first, "x", NULL, 1, 1));
    dns_name_map_free(&map);
}

/* The map fed through the bus by the parser's answer events: only A/AAAA of NOERROR answers. */
static void test_name_map_from_events(void **state)
{
    (void)state;
    struct h *h = h_new(false);
    struct dns_name_map map;
    struct dns_name_map_cfg cfg = {.size = 16, .memcap = 1 << 20};
    char err[256];
    assert_int_equal(dns_name_map_init(&map, &cfg, &h->bus, &h->stats, err, sizeof(err)), 0);
    struct vec *v = calloc(1, sizeof(*v));
    build_query(v, 1, "c2.example");
    udp(h, 0, v);
    build_answer(v, 1, "c2.example", 0x7f000042);
    udp(h, 1, v);
    build_answer(v, 2, "nx.example", 0x7f000043);
    v->b[3] = 0x83; /* NXDOMAIN: not learnt */
    udp(h, 1, v);
    struct dns_name_hit hit;
    struct ip_addr ip = v4(127, 0, 0, 66);
    assert_true(dns_name_map_lookup(&map, &ip, h->ctx.ts_us, &hit));
    assert_string_equal(hit.name, "c2.example");
    ip = v4(127, 0, 0, 67);
    assert_false(dns_name_map_lookup(&map, &ip, h->ctx.ts_us, &hit));
    free(v);
    dns_name_map_free(&map); /* before the harness: the map writes its counters into h->stats */
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_plain_and_compressed),
        cmocka_unit_test(test_name_escaping),
        cmocka_unit_test(test_name_pointer_loop_and_forward),
        cmocka_unit_test(test_name_limits),
        cmocka_unit_test(test_records_every_type),
        cmocka_unit_test(test_answers_bounded),
        cmocka_unit_test(test_pairing_udp),
        cmocka_unit_test(test_pending_full_and_timeout),
        cmocka_unit_test(test_tcp_split_every_byte),
        cmocka_unit_test(test_tcp_gaps_and_short_lengths),
        cmocka_unit_test(test_malformed_messages_udp),
        cmocka_unit_test(test_probes),
        cmocka_unit_test(test_name_map_lookup_and_lru),
        cmocka_unit_test(test_name_map_memcap),
        cmocka_unit_test(test_name_map_from_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
