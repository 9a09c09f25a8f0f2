/*
 * test_hl7.c - the HL7 v2 / MLLP parser fed messages written after HL7 v2.5.1
 * chapter 2 (MSH, MSA, separators) and appendix C.4 (MLLP blocks): the probe,
 * framing split at every byte, several messages per chunk, declared
 * separators, v2.7's truncation character, acknowledgment pairing and refusals,
 * the size limit, a frame that never ends, gaps and garbage; and that nothing
 * of PID or OBX reaches an event or its EVE form.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/hl7/hl7.h"
#include "config_registry.h"
#include "core/json.h"
#include "core/stats.h"
#include "flow/flow.h"
#include "output/eve.h"

/* ---- messages ------------------------------------------------------------------------------- */

struct vec {
    uint8_t *b;
    size_t n, cap;
};

static void put(struct vec *v, const void *p, size_t n)
{
    if (v->n + n > v->cap) {
        v->cap = (v->n + n) * 2;
        v->b = realloc(v->b, v->cap);
        assert_non_null(v->b);
    }
    memcpy(v->b + v->n, p, n);
    v->n += n;
}

static void puts_(struct vec *v, const char *s)
{
    put(v, s, strlen(s));
}

/* <VT> message <FS><CR>; '\n' in text becomes the segment terminator CR. */
static void frame(struct vec *v, const char *text)
{
    uint8_t sb = HL7_SB, eb[2] = {HL7_EB, HL7_CR};
    put(v, &sb, 1);
    for (const char *p = text; *p; p++) {
        char c = *p == '\n' ? '\r' : *p;
        put(v, &c, 1);
    }
    put(v, eb, 2);
}

static void vfree(struct vec *v)
{
    free(v->b);
    memset(v, 0, sizeof(*v));
}

/* Fictitious patient data (the corpus's): none of it may leave the parser. */
static const char *const phi[] = {"DOE", "JANE",    "PAT0001",  "19700101",          "TEST STREET", "TESTCITY",
                                  "ROE", "RICHARD", "19650505", "No acute findings", "ACC0001",     "WARD1"};

#define ADT_A01                                                                              \
    "MSH|^~\\&|ADT1|TESTHOSP|RIS|RADIOLOGY|20240115101500||ADT^A01^ADT_A01|MSG00001|P|2.5\n" \
    "EVN|A01|20240115101500\n"                                                               \
    "PID|1||PAT0001^^^TESTHOSP^MR||DOE^JANE||19700101|F|||1 TEST STREET^^TESTCITY^^00000\n"  \
    "PV1|1|I|WARD1^101^1|||||REFERRING^TEST\n"
#define ACK_A01                                                                          \
    "MSH|^~\\&|RIS|RADIOLOGY|ADT1|TESTHOSP|20240115101501||ACK^A01^ACK|ACK00001|P|2.5\n" \
    "MSA|AA|MSG00001\n"
#define ORU_R01                                                                               \
    "MSH|^~\\&|RIS|RADIOLOGY|EMR|TESTHOSP|20240115101500||ORU^R01^ORU_R01|MSG00004|P|2.5.1\n" \
    "PID|1||PAT0002^^^TESTHOSP^MR||ROE^RICHARD||19650505|M\n"                                 \
    "OBR|1|ORD0001||CTCHEST^CT CHEST^L|||||||||||||||ACC0001\n"                               \
    "OBX|1|TX|IMP^Impression||No acute findings (synthetic test report).||||||F\n"

/* ---- harness -------------------------------------------------------------------------------- */

#define MAX_REC 64
struct rec {
    int n_msg, n_anom;
    int dir[MAX_REC];
    struct hl7_message m[MAX_REC];
    const char *anom[MAX_REC];
    struct jw jw;
    bool phi_seen;
};

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_HL7 && r->n_msg < MAX_REC) {
        const struct hl7_event *he = ev->body;
        r->dir[r->n_msg] = ev->dir == EVENT_DIR_TOCLIENT;
        r->m[r->n_msg++] = *he->msg;
    } else if (ev->type == EVENT_ANOMALY && r->n_anom < MAX_REC) {
        const struct anomaly_event *a = ev->body;
        r->anom[r->n_anom++] = a->event;
    }
    /* every event as the EVE writer formats it: no patient data in it */
    struct eve_cfg cfg = {0};
    jw_reset(&r->jw);
    eve_format(&r->jw, &cfg, ev);
    assert_false(r->jw.err);
    for (size_t i = 0; i < sizeof(phi) / sizeof(phi[0]); i++)
        if (memmem(r->jw.buf, r->jw.len, phi[i], strlen(phi[i])))
            r->phi_seen = true;
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

static struct h *h_new_cfg(uint64_t max_message)
{
    struct h *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    config_defaults(&h->cfg);
    if (max_message)
        h->cfg.hl7.max_message = max_message;
    jw_init(&h->rec.jw);
    event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_HL7) | EVENT_MASK(EVENT_ANOMALY), on_event, &h->rec);
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&h->cfg, parser_cfg);
    assert_int_equal(app_layer_init(&h->al, &h->cfg.app, &h->stats, &h->bus, parser_cfg), 0);
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    h->flow.server_port = 2575;
    h->flow.ipproto = 6;
    h->flow.app.parser = &hl7_parser; /* anomalies are filed under "hl7" */
    h->ctx.al = &h->al;
    h->ctx.flow = &h->flow;
    h->st = hl7_parser.state_new(&h->ctx);
    assert_non_null(h->st);
    return h;
}

static struct h *h_new(void)
{
    return h_new_cfg(0);
}

static void h_close(struct h *h)
{
    hl7_parser.on_close(&h->ctx, h->st);
}

static void h_free(struct h *h)
{
    assert_false(h->rec.phi_seen);
    hl7_parser.state_free(&h->ctx, h->st);
    assert_int_equal(h->al.mc.used, 0); /* nothing leaked against the memcap */
    app_layer_free(&h->al);
    jw_free(&h->rec.jw);
    free(h);
}

static void feed(struct h *h, int dir, const uint8_t *p, size_t n, size_t step)
{
    for (size_t off = 0; off < n; off += step) {
        size_t k = n - off < step ? n - off : step;
        h->ctx.ts_us += 10;
        hl7_parser.on_data(&h->ctx, h->st, dir, p + off, k);
    }
}

static void feedv(struct h *h, int dir, const struct vec *v)
{
    feed(h, dir, v->b, v->n, v->n ? v->n : 1);
}

static bool has_anom(const struct h *h, const char *name)
{
    for (int i = 0; i < h->rec.n_anom; i++)
        if (strcmp(h->rec.anom[i], name) == 0)
            return true;
    return false;
}

static const char *F(const struct hl7_message *m, enum hl7_field_id id)
{
    return m->f[id].s;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_probe(void **state)
{
    (void)state;
    struct vec v = {0};
    frame(&v, ADT_A01);
    assert_int_equal(hl7_probe(v.b, v.n, 0), PROBE_YES);
    assert_int_equal(hl7_probe(v.b, v.n, 1), PROBE_YES); /* a capture may start with the receiver's ACK */
    for (size_t n = 0; n < 5; n++)
        assert_int_equal(hl7_probe(v.b, n, 0), PROBE_MAYBE);
    const uint8_t http[] = "GET / HTTP/1.1\r\n";
    assert_int_equal(hl7_probe(http, sizeof(http) - 1, 0), PROBE_NO);
    const uint8_t pid[] = "\x0bPID|1||X\r\x1c\r"; /* a frame, but not a message start */
    assert_int_equal(hl7_probe(pid, sizeof(pid) - 1, 0), PROBE_NO);
    const uint8_t alnum_sep[] = "\x0bMSHA^~\\&";
    assert_int_equal(hl7_probe(alnum_sep, sizeof(alnum_sep) - 1, 0), PROBE_NO);
    const uint8_t space_sep[] = "\x0bMSH ^~\\&";
    assert_int_equal(hl7_probe(space_sep, sizeof(space_sep) - 1, 0), PROBE_NO);
    vfree(&v);
}

static void test_message_and_ack(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec a = {0}, b = {0};
    frame(&a, ADT_A01);
    frame(&b, ACK_A01);
    feedv(h, 0, &a);
    feedv(h, 1, &b);
    assert_int_equal(h->rec.n_msg, 2);
    const struct hl7_message *m = &h->rec.m[0];
    assert_int_equal(h->rec.dir[0], 0);
    assert_true(m->has_msh && m->complete && !m->has_msa && !m->too_large);
    assert_string_equal(F(m, HL7_F_SENDING_APP), "ADT1");
    assert_string_equal(F(m, HL7_F_SENDING_FAC), "TESTHOSP");
    assert_string_equal(F(m, HL7_F_RECEIVING_APP), "RIS");
    assert_string_equal(F(m, HL7_F_RECEIVING_FAC), "RADIOLOGY");
    assert_string_equal(F(m, HL7_F_MESSAGE_TYPE), "ADT^A01^ADT_A01");
    assert_string_equal(F(m, HL7_F_CONTROL_ID), "MSG00001");
    assert_string_equal(F(m, HL7_F_PROCESSING_ID), "P");
    assert_string_equal(F(m, HL7_F_VERSION), "2.5");
    assert_string_equal(F(m, HL7_F_ENCODING), "^~\\&");
    assert_int_equal(m->field_sep, '|');
    assert_int_equal(m->component_sep, '^');
    assert_false(m->truncation_char);
    assert_int_equal(m->segment_count, 4);
    assert_int_equal(m->n_segment_ids, 4);
    assert_string_equal(m->segment_ids[0], "MSH");
    assert_string_equal(m->segment_ids[1], "EVN");
    assert_string_equal(m->segment_ids[2], "PID");
    assert_string_equal(m->segment_ids[3], "PV1");
    assert_int_equal(m->bytes, a.n - 3);
    const char *p;
    size_t n = hl7_component(&m->f[HL7_F_MESSAGE_TYPE], '^', 1, &p);
    assert_int_equal(n, 3);
    assert_memory_equal(p, "A01", 3);
    assert_int_equal(hl7_component(&m->f[HL7_F_MESSAGE_TYPE], '^', 3, &p), 0);
    /* no field of PID, EVN or PV1 anywhere in the message */
    for (size_t i = 0; i < sizeof(phi) / sizeof(phi[0]); i++)
        assert_null(memmem(m, sizeof(*m), phi[i], strlen(phi[i])));

    const struct hl7_message *k = &h->rec.m[1];
    assert_int_equal(h->rec.dir[1], 1);
    assert_true(k->has_msa);
    assert_string_equal(F(k, HL7_F_ACK_CODE), "AA");
    assert_string_equal(F(k, HL7_F_ACKED_ID), "MSG00001");
    assert_true(k->paired);
    assert_string_equal(k->acked_type.s, "ADT^A01^ADT_A01");
    assert_int_equal(k->ack_delay_us, 10);
    assert_int_equal(h->rec.n_anom, 0);
    h_close(h);
    assert_int_equal(h->rec.n_msg, 2);
    vfree(&a);
    vfree(&b);
    h_free(h);
}

/* The same stream split at every byte boundary, and byte by byte, gives the same messages. */
static void test_split_everywhere(void **state)
{
    (void)state;
    struct vec v = {0};
    frame(&v, ADT_A01);
    frame(&v, ORU_R01);
    struct h *ref = h_new();
    feedv(ref, 0, &v);
    assert_int_equal(ref->rec.n_msg, 2);
    for (size_t cut = 0; cut <= v.n; cut++) {
        struct h *h = h_new();
        feed(h, 0, v.b, cut, cut ? cut : 1);
        feed(h, 0, v.b + cut, v.n - cut, v.n - cut ? v.n - cut : 1);
        assert_int_equal(h->rec.n_msg, 2);
        for (int i = 0; i < 2; i++)
            assert_memory_equal(&h->rec.m[i], &ref->rec.m[i], sizeof(struct hl7_message));
        assert_int_equal(h->rec.n_anom, 0);
        h_free(h);
    }
    struct h *h = h_new();
    feed(h, 0, v.b, v.n, 1);
    assert_int_equal(h->rec.n_msg, 2);
    for (int i = 0; i < 2; i++)
        assert_memory_equal(&h->rec.m[i], &ref->rec.m[i], sizeof(struct hl7_message));
    h_free(h);
    h_free(ref);
    vfree(&v);
}

/* content_hash: the same bytes give the same digest however they are split (test_split_everywhere compares whole
 * messages), a resend gives the same digest, one changed byte another. */
static void test_content_digest(void **state)
{
    (void)state;
    struct vec v = {0};
    frame(&v, ADT_A01);
    frame(&v, ADT_A01);
    char *changed = strdup(ADT_A01);
    assert_non_null(changed);
    char *p = strstr(changed, "PID");
    assert_non_null(p);
    p[9] ^= 1; /* one byte of the patient id in PID-3 */
    frame(&v, changed);
    struct h *h = h_new();
    feedv(h, 0, &v);
    assert_int_equal(h->rec.n_msg, 3);
    assert_true(h->rec.m[0].content_hash == h->rec.m[1].content_hash);
    assert_true(h->rec.m[0].content_hash != h->rec.m[2].content_hash);
    assert_true(h->rec.m[0].content_hash != 0xcbf29ce484222325ULL); /* not the empty digest */
    h_free(h);
    free(changed);
    vfree(&v);
}

static void test_many_per_chunk(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec v = {0};
    char text[256];
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof(text), "MSH|^~\\&|A|B|C|D|20240101||ORM^O01|C%02d|P|2.3\nPID|1||PAT0001||DOE^JANE\n", i);
        frame(&v, text);
    }
    feedv(h, 0, &v);
    assert_int_equal(h->rec.n_msg, 20);
    for (int i = 0; i < 20; i++) {
        snprintf(text, sizeof(text), "C%02d", i);
        assert_string_equal(F(&h->rec.m[i], HL7_F_CONTROL_ID), text);
        assert_string_equal(F(&h->rec.m[i], HL7_F_VERSION), "2.3");
    }
    /* acknowledged in one chunk too, out of order: each pairs with its own message */
    struct vec k = {0};
    frame(&k, "MSH|^~\\&|C|D|A|B|20240101||ACK^O01|K1|P|2.3\nMSA|AA|C07\n");
    frame(&k, "MSH|^~\\&|C|D|A|B|20240101||ACK^O01|K2|P|2.3\nMSA|AE|C19\n");
    frame(&k, "MSH|^~\\&|C|D|A|B|20240101||ACK^O01|K3|P|2.3\nMSA|AA|C01\n"); /* forgotten: 16 wait */
    feedv(h, 1, &k);
    assert_int_equal(h->rec.n_msg, 23);
    assert_true(h->rec.m[20].paired && h->rec.m[21].paired);
    assert_string_equal(F(&h->rec.m[21], HL7_F_ACK_CODE), "AE");
    assert_false(h->rec.m[22].paired);
    vfree(&v);
    vfree(&k);
    h_free(h);
}

/* The separators are the message's own: MSH-1 and MSH-2. */
static void test_declared_separators(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec v = {0};
    frame(&v, "MSH#$~\\&#SEND|X#FAC#RCV#RFAC#2024##ADT$A04$ADT_A01#ID|1#T#2.4\nPID#1##DOE$JANE\n");
    feedv(h, 0, &v);
    assert_int_equal(h->rec.n_msg, 1);
    const struct hl7_message *m = &h->rec.m[0];
    assert_int_equal(m->field_sep, '#');
    assert_int_equal(m->component_sep, '$');
    assert_string_equal(F(m, HL7_F_SENDING_APP), "SEND|X"); /* '|' is data here */
    assert_string_equal(F(m, HL7_F_MESSAGE_TYPE), "ADT$A04$ADT_A01");
    assert_string_equal(F(m, HL7_F_CONTROL_ID), "ID|1");
    assert_string_equal(F(m, HL7_F_PROCESSING_ID), "T");
    assert_string_equal(F(m, HL7_F_VERSION), "2.4");
    const char *p;
    assert_int_equal(hl7_component(&m->f[HL7_F_MESSAGE_TYPE], m->component_sep, 1, &p), 3);
    assert_memory_equal(p, "A04", 3);
    assert_int_equal(m->segment_count, 2);
    assert_int_equal(h->rec.n_anom, 0);
    vfree(&v);
    h_free(h);
}

/* v2.7: a fifth encoding character, the truncation character. */
static void test_v27_truncation_char(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec v = {0};
    frame(&v, "MSH|^~\\&#|LAB|HOSP|EMR|HOSP|20240101120000||OML^O21^OML_O21|X1#|P|2.7\nPID|1||PAT0001\n");
    feedv(h, 0, &v);
    assert_int_equal(h->rec.n_msg, 1);
    const struct hl7_message *m = &h->rec.m[0];
    assert_string_equal(F(m, HL7_F_ENCODING), "^~\\&#");
    assert_true(m->truncation_char);
    assert_string_equal(F(m, HL7_F_SENDING_APP), "LAB");
    assert_string_equal(F(m, HL7_F_MESSAGE_TYPE), "OML^O21^OML_O21");
    assert_string_equal(F(m, HL7_F_CONTROL_ID), "X1#"); /* a truncated value, as sent */
    assert_string_equal(F(m, HL7_F_VERSION), "2.7");
    assert_int_equal(h->rec.n_anom, 0);
    vfree(&v);
    /* malformed encoding characters: repeated, or an alphanumeric one */
    struct vec w = {0};
    frame(&w, "MSH|^^\\&|A|B|C|D|1||ADT^A01|Y|P|2.5\n");
    frame(&w, "MSH|^~\\A|A|B|C|D|1||ADT^A01|Z|P|2.5\n");
    feedv(h, 0, &w);
    assert_int_equal(h->rec.n_msg, 3);
    assert_true(has_anom(h, "invalid_encoding_characters"));
    assert_string_equal(F(&h->rec.m[2], HL7_F_CONTROL_ID), "Z");
    vfree(&w);
    h_free(h);
}

static void test_refused(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec a = {0}, b = {0};
    frame(&a, ORU_R01);
    frame(&b, "MSH|^~\\&|EMR|TESTHOSP|RIS|RADIOLOGY|20240115101501||ACK^R01^ACK|A2|P|2.5.1\n"
              "MSA|AR|MSG00004|Unknown patient\nERR|||207^Application internal error^HL70357|E\n");
    feedv(h, 0, &a);
    feedv(h, 1, &b);
    assert_int_equal(h->rec.n_msg, 2);
    const struct hl7_message *k = &h->rec.m[1];
    assert_string_equal(F(k, HL7_F_ACK_CODE), "AR");
    assert_string_equal(k->acked_type.s, "ORU^R01^ORU_R01");
    assert_int_equal(k->n_segment_ids, 3);
    assert_string_equal(k->segment_ids[2], "ERR");
    /* the ACK's MSH-10 is not the message's: an ack for an unknown id pairs with nothing */
    struct vec c = {0};
    frame(&c, "MSH|^~\\&|EMR|H|RIS|R|1||ACK|A3|P|2.5.1\nMSA|AE|NOPE\n");
    feedv(h, 1, &c);
    assert_false(h->rec.m[2].paired);
    /* an ack sent the same way as the message does not pair with it */
    struct vec d = {0};
    frame(&d, ADT_A01);
    frame(&d, "MSH|^~\\&|X|Y|Z|W|1||ACK|A4|P|2.5\nMSA|AA|MSG00001\n");
    feedv(h, 0, &d);
    assert_false(h->rec.m[4].paired);
    vfree(&a);
    vfree(&b);
    vfree(&c);
    vfree(&d);
    h_free(h);
}

static void test_limits(void **state)
{
    (void)state;
    struct h *h = h_new_cfg(2048);
    struct vec v = {0};
    puts_(&v, "\x0bMSH|^~\\&|A|B|C|D|1||ORU^R01|BIG|P|2.5\r");
    for (int i = 0; i < 200; i++)
        puts_(&v, "OBX|1|TX|IMP||No acute findings (synthetic test report).\r");
    puts_(&v, "ZZZ|after the limit\r\x1c\r");
    frame(&v, "MSH|^~\\&|A|B|C|D|1||ADT^A01|SMALL|P|2.5\n");
    feed(h, 0, v.b, v.n, 333);
    assert_int_equal(h->rec.n_msg, 2);
    const struct hl7_message *m = &h->rec.m[0];
    assert_true(m->too_large && m->complete);
    assert_string_equal(F(m, HL7_F_CONTROL_ID), "BIG");
    assert_true(m->segment_count < 40);
    assert_int_equal(m->n_segment_ids, m->segment_count);
    assert_true(has_anom(h, "message_too_large"));
    assert_string_equal(F(&h->rec.m[1], HL7_F_CONTROL_ID), "SMALL");
    assert_false(h->rec.m[1].too_large);
    vfree(&v);
    h_free(h);

    /* segment ids: the first 64 listed, all counted; fields cut at HL7_FIELD_MAX */
    h = h_new();
    struct vec w = {0};
    char app[200];
    memset(app, 'A', sizeof(app) - 1);
    app[sizeof(app) - 1] = 0;
    puts_(&w, "\x0bMSH|^~\\&|");
    puts_(&w, app);
    puts_(&w, "|B|C|D|1||ADT^A01|X|P|2.5\r");
    for (int i = 0; i < 100; i++)
        puts_(&w, "NTE|1||x\r");
    puts_(&w, "\x1c\r");
    feedv(h, 0, &w);
    assert_int_equal(h->rec.n_msg, 1);
    m = &h->rec.m[0];
    assert_int_equal(m->segment_count, 101);
    assert_int_equal(m->n_segment_ids, HL7_MAX_SEGMENT_IDS);
    assert_int_equal(m->f[HL7_F_SENDING_APP].len, HL7_FIELD_MAX);
    assert_true(m->f[HL7_F_SENDING_APP].truncated);
    assert_string_equal(F(m, HL7_F_SENDING_FAC), "B");
    vfree(&w);
    h_free(h);
}

/* Only the standard's segment ids and Z segments are listed: a wrapped report line that starts with three capitals
 * and a separator ("JMD|...", initials) is counted, never written. */
static void test_segment_ids_listed(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec v = {0};
    frame(&v, "MSH|^~\\&|A|B|C|D|1||ORU^R01|IDS|P|2.5\r"
              "PID|1||X\r"
              "OBX|1|TX|IMP||Findings reviewed by\r"
              "JMD|and discussed with the referring physician\r"
              "ZDS|site segment\r");
    feedv(h, 0, &v);
    assert_int_equal(h->rec.n_msg, 1);
    const struct hl7_message *m = &h->rec.m[0];
    assert_int_equal(m->segment_count, 5);
    assert_int_equal(m->n_segment_ids, 4);
    assert_string_equal(m->segment_ids[0], "MSH");
    assert_string_equal(m->segment_ids[1], "PID");
    assert_string_equal(m->segment_ids[2], "OBX");
    assert_string_equal(m->segment_ids[3], "ZDS");
    vfree(&v);
    h_free(h);
}

/* A frame that never ends costs nothing more than the state: nothing is buffered. */
static void test_no_end_block(void **state)
{
    (void)state;
    struct h *h = h_new();
    size_t base = h->al.mc.used;
    const char *start = "\x0bMSH|^~\\&|A|B|C|D|1||ORU^R01|ENDLESS|P|2.5\rOBX|1|TX|";
    feed(h, 0, (const uint8_t *)start, strlen(start), 7);
    uint8_t junk[4096];
    memset(junk, 'x', sizeof(junk));
    for (int i = 0; i < 1024; i++) /* 4 MiB */
        feed(h, 0, junk, sizeof(junk), sizeof(junk));
    assert_int_equal(h->al.mc.used, base);
    assert_int_equal(h->rec.n_msg, 0);
    assert_true(has_anom(h, "message_too_large"));
    h_close(h);
    assert_int_equal(h->rec.n_msg, 1);
    assert_false(h->rec.m[0].complete);
    assert_true(h->rec.m[0].too_large);
    assert_string_equal(F(&h->rec.m[0], HL7_F_CONTROL_ID), "ENDLESS");
    assert_true(has_anom(h, "truncated_message"));
    h_free(h);
}

/* After a gap the parser waits for a start block followed by MSH. */
static void test_gap_resync(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec v = {0};
    frame(&v, ADT_A01);
    feed(h, 0, v.b, 120, 120); /* MSH and part of PID */
    hl7_parser.on_gap(&h->ctx, h->st, 0, 500);
    assert_int_equal(h->rec.n_msg, 1); /* the cut message, with what was read of it */
    assert_false(h->rec.m[0].complete);
    assert_string_equal(F(&h->rec.m[0], HL7_F_CONTROL_ID), "MSG00001");
    assert_true(has_anom(h, "gap"));
    /* the rest of some message: its PID text, a stray start block not followed by MSH, its end */
    const char *tail = "19700101|F\rPV1|1|I|WARD1\x0bPID|x\r\x1c\r";
    feed(h, 0, (const uint8_t *)tail, strlen(tail), 5);
    assert_int_equal(h->rec.n_msg, 1);
    struct vec w = {0};
    frame(&w, ORU_R01);
    feed(h, 0, w.b, w.n, 3);
    assert_int_equal(h->rec.n_msg, 2);
    assert_true(h->rec.m[1].complete);
    assert_string_equal(F(&h->rec.m[1], HL7_F_CONTROL_ID), "MSG00004");
    assert_false(has_anom(h, "frame_without_msh"));
    /* a gap between messages: the next one is read as usual */
    hl7_parser.on_gap(&h->ctx, h->st, 0, 10);
    feedv(h, 0, &w);
    assert_int_equal(h->rec.n_msg, 3);
    vfree(&v);
    vfree(&w);
    h_free(h);
}

static void test_garbage(void **state)
{
    (void)state;
    struct h *h = h_new();
    struct vec v = {0};
    frame(&v, "PID|1||PAT0001||DOE^JANE\n"); /* a frame without MSH */
    puts_(&v, "\r\n");                       /* tolerated between frames */
    puts_(&v, "\x0bMSH|^~\\&|A|B|C|D|1||ADT^A01|LF|P|2.5\r\nEVN|A01\r\nJANE DOE wrapped text\r\nPV1|1\r\n\x1c\r");
    puts_(&v, "HELLO");                                                /* outside a frame: resynchronise */
    puts_(&v, "\x0bMSH|^~\\&|A|B|C|D|1||ADT^A02|NOEB|P|2.5\rPV1|1\r"); /* no end block: cut by the next */
    puts_(&v, "\x0bMSH|^~\\&|A|B|C|D|1||ADT^A03|NOCR|P|2.5\r\x1c");    /* end block without CR */
    frame(&v, "MSH\nEVN|x\n");                                         /* MSH without a separator */
    frame(&v, "");                                                     /* empty frame */
    feedv(h, 0, &v);
    assert_true(has_anom(h, "frame_without_msh"));
    assert_true(has_anom(h, "segment_terminator_lf"));
    assert_true(has_anom(h, "invalid_segment"));
    assert_true(has_anom(h, "data_outside_frame"));
    assert_true(has_anom(h, "missing_end_block"));
    assert_true(has_anom(h, "missing_end_cr"));
    assert_true(has_anom(h, "invalid_msh"));
    assert_int_equal(h->rec.n_msg, 3); /* after HELLO, a start block followed by MSH resynchronises */
    const struct hl7_message *m = &h->rec.m[0];
    assert_string_equal(F(m, HL7_F_CONTROL_ID), "LF");
    assert_int_equal(m->segment_count, 3); /* MSH EVN PV1 */
    assert_int_equal(m->invalid_segments, 1);
    assert_string_equal(m->segment_ids[2], "PV1");
    assert_string_equal(F(&h->rec.m[1], HL7_F_CONTROL_ID), "NOEB");
    assert_false(h->rec.m[1].complete);
    assert_int_equal(h->rec.m[1].segment_count, 2);
    assert_string_equal(F(&h->rec.m[2], HL7_F_CONTROL_ID), "NOCR");
    assert_true(h->rec.m[2].complete);
    /* and then a good message still reads */
    struct vec w = {0};
    frame(&w, ACK_A01);
    feedv(h, 1, &w);
    assert_int_equal(h->rec.n_msg, 4);
    vfree(&v);
    vfree(&w);
    h_free(h);
}

/* Random bytes, and random mutations of a message, never break the parser's invariants. */
static void test_random(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    struct vec base = {0};
    frame(&base, ADT_A01);
    frame(&base, ACK_A01);
    for (int round = 0; round < 300; round++) {
        struct h *h = h_new_cfg(1024);
        uint8_t buf[1024];
        size_t n = base.n < sizeof(buf) ? base.n : sizeof(buf);
        memcpy(buf, base.b, n);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            static const uint8_t special[] = {HL7_SB, HL7_EB, HL7_CR, '\n', '|', '^', 0, 0xff};
            buf[at] = special[(seed >> 20) % sizeof(special)];
        }
        feed(h, round & 1, buf, n, 1 + round % 17);
        h_close(h);
        for (int i = 0; i < h->rec.n_msg; i++) {
            const struct hl7_message *m = &h->rec.m[i];
            assert_true(m->has_msh);
            assert_true(m->n_segment_ids <= HL7_MAX_SEGMENT_IDS);
            for (int f = 0; f < HL7_F__COUNT; f++)
                assert_true(m->f[f].len <= HL7_FIELD_MAX && m->f[f].s[m->f[f].len] == 0);
        }
        h_free(h);
    }
    vfree(&base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_message_and_ack),
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_content_digest),
        cmocka_unit_test(test_many_per_chunk),
        cmocka_unit_test(test_declared_separators),
        cmocka_unit_test(test_v27_truncation_char),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_segment_ids_listed),
        cmocka_unit_test(test_no_end_block),
        cmocka_unit_test(test_gap_resync),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
