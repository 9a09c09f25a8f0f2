/*
 * test_app.c - the application-layer framework, driven with two small test
 * parsers: "alpha" (a client-first protocol starting "ALPHA") and "beta" (a
 * server-first one starting "BETA", hinted on port 7000).  What is checked:
 * detection across chunks, replay of buffered bytes in arrival order, port
 * hints, "failed" once nobody recognises the flow, gaps before and after
 * detection, events published with the flow, and that every byte of parser
 * memory is given back when the flow closes.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "app/app.h"
#include "flow/flow.h"

struct rec {
    char data[2][256];
    size_t len[2];
    int gaps[2];
    int closes;
    int states_freed;
    int events;
    int anomalies;
    enum event_dir last_dir;
    const struct flow *last_flow;
};

/* The test parsers keep their record in the state they allocate; the test finds it through this pointer. */
struct tstate {
    struct rec *rec;
};

static struct rec *current_rec;

static enum probe_result probe_prefix(const uint8_t *d, size_t n, const char *prefix)
{
    size_t pl = strlen(prefix);
    size_t m = n < pl ? n : pl;
    if (memcmp(d, prefix, m) != 0)
        return PROBE_NO;
    return n >= pl ? PROBE_YES : PROBE_MAYBE;
}

static enum probe_result alpha_probe(const uint8_t *d, size_t n, int dir)
{
    return dir == 0 ? probe_prefix(d, n, "ALPHA") : PROBE_NO;
}

static enum probe_result beta_probe(const uint8_t *d, size_t n, int dir)
{
    return dir == 1 ? probe_prefix(d, n, "BETA") : PROBE_NO;
}

static void *t_new(struct app_ctx *ctx)
{
    struct tstate *s = app_alloc(ctx, sizeof(*s));
    if (s)
        s->rec = current_rec;
    return s;
}

static void t_free(struct app_ctx *ctx, void *st)
{
    struct tstate *s = st;
    s->rec->states_freed++;
    app_free(ctx, s, sizeof(*s));
}

static void t_data(struct app_ctx *ctx, void *st, int dir, const uint8_t *d, size_t n)
{
    struct tstate *s = st;
    struct rec *r = s->rec;
    if (r->len[dir] + n < sizeof(r->data[dir])) {
        memcpy(r->data[dir] + r->len[dir], d, n);
        r->len[dir] += n;
    }
    if (n >= 4 && memcmp(d, "EMIT", 4) == 0)
        app_emit(ctx, EVENT_DICOM, dir, "body");
    if (n >= 3 && memcmp(d, "BAD", 3) == 0)
        app_anomaly(ctx, dir, "bad_thing", NULL);
}

static void t_gap(struct app_ctx *ctx, void *st, int dir, uint64_t len)
{
    (void)ctx;
    (void)len;
    ((struct tstate *)st)->rec->gaps[dir]++;
}

static void t_close(struct app_ctx *ctx, void *st)
{
    (void)ctx;
    ((struct tstate *)st)->rec->closes++;
}

static const struct app_parser alpha = {
    .name = "dicom",
    .proto = APP_DICOM,
    .ipproto = 6, /* no port hints */
    .probe = alpha_probe,
    .state_new = t_new,
    .state_free = t_free,
    .on_data = t_data,
    .on_gap = t_gap,
    .on_close = t_close,
};
static const struct app_parser beta = {
    .name = "smb",
    .proto = APP_SMB,
    .ipproto = 6, /* hinted on 7000 (beta_cfg) */
    .probe = beta_probe,
    .state_new = t_new,
    .state_free = t_free,
    .on_data = t_data,
    .on_gap = t_gap,
    .on_close = t_close,
};
static const struct app_parser *const parsers[] = {&alpha, &beta};

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_ANOMALY)
        r->anomalies++;
    else
        r->events++;
    r->last_dir = ev->dir;
    r->last_flow = ev->flow;
}

struct fixture {
    struct stats st;
    struct event_bus bus;
    struct app_layer al;
    struct anomaly_ctx anomalies;
    struct flow f;
    struct rec rec;
};

static struct fixture *fx_new(uint16_t server_port, uint32_t probe_depth)
{
    struct fixture *x = calloc(1, sizeof(*x));
    struct app_cfg cfg = {.probe_depth = probe_depth, .memcap = 1 << 20};
    /* the test parsers' app-layer.protocols.<name> settings: alpha and delta without port hints, beta on 7000,
     * gamma on 53 */
    static struct app_proto_cfg alpha_cfg = {.enabled = true}, beta_cfg = {.enabled = true},
                                gamma_cfg = {.enabled = true}, delta_cfg = {.enabled = true};
    char err[128];
    assert_int_equal(config_parse_ports("7000", &beta_cfg.ports, err, sizeof(err)), 0);
    assert_int_equal(config_parse_ports("53", &gamma_cfg.ports, err, sizeof(err)), 0);
    const void *parser_cfg[APP__COUNT] = {
        [APP_DICOM] = &alpha_cfg, [APP_SMB] = &beta_cfg, [APP_DNS] = &gamma_cfg, [APP_HL7] = &delta_cfg};
    event_bus_subscribe(&x->bus, EVENT_MASK_ALL, on_event, &x->rec);
    assert_int_equal(app_layer_init(&x->al, &cfg, &x->st, &x->bus, parser_cfg), 0);
    assert_int_equal(app_layer_set_parsers(&x->al, parsers, 2), 0);
    anomaly_ctx_init(&x->anomalies, 0, &x->st, &x->bus); /* the engine's part: the limiter, no rate budget */
    x->al.anomaly = &x->anomalies;
    x->f.ipproto = 6;
    x->f.server_port = server_port;
    current_rec = &x->rec;
    return x;
}

static void fx_free(struct fixture *x)
{
    app_on_close(&x->al, &x->f);
    assert_int_equal(x->al.mc.used, 0);
    app_layer_free(&x->al);
    free(x);
}

static void feed(struct fixture *x, int dir, const char *s)
{
    app_on_data(&x->al, &x->f, dir, (const uint8_t *)s, strlen(s));
}

static void test_detect_across_chunks_and_replay(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    feed(x, 0, "AL");
    assert_int_equal(x->f.app.proto, APP_UNKNOWN);
    feed(x, 0, "PH");
    feed(x, 0, "A hello");
    assert_int_equal(x->f.app.proto, APP_DICOM);
    assert_ptr_equal(x->f.app.parser, &alpha);
    feed(x, 1, "reply");
    feed(x, 0, " more");
    assert_memory_equal(x->rec.data[0], "ALPHA hello more", 16);
    assert_int_equal(x->rec.len[0], 16);
    assert_memory_equal(x->rec.data[1], "reply", 5);
    assert_int_equal(x->st.app_flows[APP_DICOM], 1);
    fx_free(x);
}

static void test_server_first_and_both_buffers_replayed(void **state)
{
    (void)state;
    struct fixture *x = fx_new(7000, 64);
    feed(x, 1, "BE"); /* the server speaks first */
    feed(x, 0, "hi"); /* client bytes, buffered */
    feed(x, 1, "TA ready");
    assert_int_equal(x->f.app.proto, APP_SMB);
    /* both directions were replayed: the client's 2 bytes and the server's whole banner */
    assert_int_equal(x->rec.len[0], 2);
    assert_memory_equal(x->rec.data[1], "BETA ready", 10);
    fx_free(x);
}

static void test_chunk_larger_than_probe_buffer(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 16);
    const char *msg = "ALPHA and then a long tail that does not fit in sixteen bytes";
    feed(x, 0, msg);
    assert_int_equal(x->f.app.proto, APP_DICOM);
    assert_int_equal(x->rec.len[0], strlen(msg)); /* nothing lost past the buffer */
    assert_memory_equal(x->rec.data[0], msg, strlen(msg));
    fx_free(x);
}

static void test_failed_when_nobody_knows_it(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    feed(x, 0, "GET / HTTP/1.1\r\n");
    assert_int_equal(x->f.app.proto, APP_FAILED);
    assert_int_equal(x->st.app_probe_failed, 1);
    feed(x, 0, "ALPHA"); /* once failed, a flow is not probed again */
    assert_int_equal(x->f.app.proto, APP_FAILED);
    assert_string_equal(app_proto_name(APP_FAILED), "failed");
    assert_null(app_proto_name(APP_UNKNOWN));
    fx_free(x);
}

static void test_failed_when_buffer_fills_undecided(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 4);
    feed(x, 0, "ALPH"); /* still a prefix of ALPHA, but the probe buffer is full */
    assert_int_equal(x->f.app.proto, APP_FAILED);
    fx_free(x);
}

static void test_gap_before_and_after_detection(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    feed(x, 0, "AL");
    app_on_gap(&x->al, &x->f, 0, 100);
    assert_int_equal(x->f.app.proto, APP_FAILED);
    assert_true(x->f.app.gap_during_probe);
    fx_free(x);

    x = fx_new(104, 64);
    feed(x, 0, "ALPHA");
    app_on_gap(&x->al, &x->f, 1, 100);
    assert_int_equal(x->rec.gaps[1], 1);
    fx_free(x);
}

static void test_events_and_anomalies(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    feed(x, 0, "ALPHA");
    feed(x, 1, "EMIT");
    assert_int_equal(x->rec.events, 1);
    assert_int_equal(x->rec.last_dir, EVENT_DIR_TOCLIENT);
    assert_ptr_equal(x->rec.last_flow, &x->f);
    feed(x, 0, "BAD");
    assert_int_equal(x->rec.anomalies, 1);
    assert_int_equal(x->st.app_anomalies, 1);
    fx_free(x);
}

/* app_anomaly() goes through the worker's limiter (core/anomaly.h): counted every time, written once per flow and
 * kind, within the budget, under the parser's name and the flow's packet time. */
static void test_anomalies_limited_per_flow_and_kind(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    struct anomaly_ctx ac;
    anomaly_ctx_init(&ac, 1, &x->st, &x->bus);
    x->al.anomaly = &ac;
    x->al.now_us = 7000000;
    feed(x, 0, "ALPHA");
    for (int i = 0; i < 100; i++)
        feed(x, 0, "BAD");
    assert_int_equal(x->rec.anomalies, 1);
    assert_int_equal(x->st.app_anomalies, 100);
    assert_int_equal(x->st.anomaly_events, 1);
    assert_int_equal(x->st.anomaly_suppressed_repeat, 99);
    assert_string_equal(ac.app[APP_DICOM].layer, "dicom");
    assert_string_equal(ac.app[APP_DICOM].name[0], "bad_thing");
    assert_int_equal(ac.app[APP_DICOM].count[0], 100);
    /* a second flow in the same second of packet time: counted, stopped by the budget of 1 per second */
    struct flow g = {.ipproto = 6, .server_port = 104};
    app_on_data(&x->al, &g, 0, (const uint8_t *)"ALPHA", 5);
    app_on_data(&x->al, &g, 0, (const uint8_t *)"BAD", 3);
    assert_int_equal(x->rec.anomalies, 1);
    assert_int_equal(x->st.anomaly_suppressed_rate, 1);
    x->al.now_us = 8000000; /* the next second */
    app_on_data(&x->al, &g, 0, (const uint8_t *)"BAD", 3);
    assert_int_equal(x->rec.anomalies, 2);
    assert_ptr_equal(x->rec.last_flow, &g);
    app_on_close(&x->al, &g);
    fx_free(x);
}

/* A chunk that decides detection is probed where it lies: no probe buffer is allocated at all. */
static void test_decided_chunk_not_buffered(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    feed(x, 0, "ALPHA");
    assert_int_equal(x->f.app.proto, APP_DICOM);
    assert_int_equal(x->al.mc.peak, sizeof(struct tstate)); /* the parser state only */
    fx_free(x);
    x = fx_new(104, 64);
    feed(x, 0, "GET / HTTP/1.0\r\n");
    assert_int_equal(x->f.app.proto, APP_FAILED);
    assert_int_equal(x->al.mc.peak, 0);
    fx_free(x);
}

static void test_close_frees_state(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    feed(x, 0, "ALPHA");
    assert_true(x->al.mc.used > 0);
    struct rec *r = &x->rec;
    app_on_close(&x->al, &x->f);
    assert_int_equal(r->closes, 1);
    assert_int_equal(r->states_freed, 1);
    assert_int_equal(x->al.mc.used, 0);
    fx_free(x); /* closing twice is harmless */
}

static void test_memcap_refuses_probe_buffer(void **state)
{
    (void)state;
    struct fixture *x = fx_new(104, 64);
    x->al.mc.cap = 8;  /* smaller than one probe buffer */
    feed(x, 0, "ALP"); /* undecided: must be buffered, and the buffer is refused */
    assert_int_equal(x->f.app.proto, APP_FAILED);
    assert_int_equal(x->st.app_memcap_hits, 1);
    fx_free(x);
}

/* UDP: "gamma", hinted on port 53, and "delta", unhinted; both client-first. */
static enum probe_result gamma_probe(const uint8_t *d, size_t n, int dir)
{
    return dir == 0 && n >= 5 && memcmp(d, "GAMMA", 5) == 0 ? PROBE_YES : PROBE_NO;
}
static enum probe_result delta_probe(const uint8_t *d, size_t n, int dir)
{
    return dir == 0 && n >= 5 && memcmp(d, "DELTA", 5) == 0 ? PROBE_YES : PROBE_NO;
}
static const struct app_parser gamma_p = {
    .name = "dns",
    .proto = APP_DNS,
    .ipproto = 17, /* hinted on 53 (gamma_cfg) */
    .probe = gamma_probe,
    .state_new = t_new,
    .state_free = t_free,
    .on_data = t_data,
    .on_close = t_close,
};
static const struct app_parser delta_p = {
    .name = "hl7",
    .proto = APP_HL7,
    .ipproto = 17, /* no port hints */
    .probe = delta_probe,
    .state_new = t_new,
    .state_free = t_free,
    .on_data = t_data,
    .on_close = t_close,
};
static const struct app_parser *const udp_parsers[] = {&gamma_p, &delta_p};

static struct fixture *fx_udp(uint16_t server_port)
{
    struct fixture *x = fx_new(server_port, 64);
    assert_int_equal(app_layer_set_parsers(&x->al, udp_parsers, 2), 0);
    x->f.ipproto = 17;
    return x;
}

/* A junk first datagram does not hide the protocol that follows on its hinted port (suricata-verify
 * dns-udp-junkrequest-first), within APP_UDP_REPROBE datagrams; unhinted parsers get one look only. */
static void test_udp_reprobe_hinted(void **state)
{
    (void)state;
    struct fixture *x = fx_udp(53);
    feed(x, 0, "junk1");
    assert_int_equal(x->f.app.proto, APP_UNKNOWN);
    feed(x, 1, "junk-answer");
    assert_int_equal(x->f.app.proto, APP_UNKNOWN);
    feed(x, 0, "GAMMA query");
    assert_int_equal(x->f.app.proto, APP_DNS);
    assert_int_equal(x->rec.len[0], strlen("GAMMA query")); /* the junk was not replayed */
    fx_free(x);

    /* APP_UDP_REPROBE datagrams refused: failed, and the real one after is not parsed */
    x = fx_udp(53);
    for (int i = 0; i < APP_UDP_REPROBE; i++)
        feed(x, 0, "junk");
    assert_int_equal(x->f.app.proto, APP_FAILED);
    feed(x, 0, "GAMMA late");
    assert_int_equal(x->f.app.proto, APP_FAILED);
    assert_int_equal(x->rec.len[0], 0);
    fx_free(x);

    /* the last allowed datagram still counts */
    x = fx_udp(53);
    for (int i = 0; i < APP_UDP_REPROBE - 1; i++)
        feed(x, 0, "junk");
    feed(x, 0, "GAMMA last");
    assert_int_equal(x->f.app.proto, APP_DNS);
    fx_free(x);

    /* the flow ends while still re-probing: failed, as a refused flow always was */
    x = fx_udp(53);
    feed(x, 0, "junk");
    assert_int_equal(x->f.app.proto, APP_UNKNOWN);
    app_on_close(&x->al, &x->f);
    assert_int_equal(x->f.app.proto, APP_FAILED);
    assert_int_equal(x->st.app_probe_failed, 1);
    fx_free(x);

    /* no hinted parser on this port: decided on the first datagram, as before */
    x = fx_udp(9999);
    feed(x, 0, "junk");
    assert_int_equal(x->f.app.proto, APP_FAILED);
    feed(x, 0, "DELTA");
    assert_int_equal(x->f.app.proto, APP_FAILED);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_across_chunks_and_replay),
        cmocka_unit_test(test_server_first_and_both_buffers_replayed),
        cmocka_unit_test(test_chunk_larger_than_probe_buffer),
        cmocka_unit_test(test_failed_when_nobody_knows_it),
        cmocka_unit_test(test_failed_when_buffer_fills_undecided),
        cmocka_unit_test(test_gap_before_and_after_detection),
        cmocka_unit_test(test_events_and_anomalies),
        cmocka_unit_test(test_anomalies_limited_per_flow_and_kind),
        cmocka_unit_test(test_decided_chunk_not_buffered),
        cmocka_unit_test(test_close_frees_state),
        cmocka_unit_test(test_memcap_refuses_probe_buffer),
        cmocka_unit_test(test_udp_reprobe_hinted),
    };
    return cmocka_run_group_tests_name("app", tests, NULL, NULL);
}
