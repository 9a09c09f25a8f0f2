/*
 * test_dicom.c - the DICOM parser fed byte vectors built from PS3.8 / PS3.7
 * layouts: every PDU type, the association items and user information
 * sub-items, PDV reassembly and DIMSE pairing, the data set walker, and the
 * malformed cases (item overrun, unknown context, 4 GB length, unknown PDU
 * type, gaps, truncation).
 */
#include "unit.h"
#include "vec.h"

#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/dicom/dicom.h"
#include "config_registry.h"
#include "core/phi.h"
#include "core/json.h"
#include "core/stats.h"
#include "output/eve.h"

/* ---- byte vector builder -------------------------------------------------------------------- */

static void item(struct vec *v, uint8_t type, const void *p, size_t n)
{
    u8(v, type);
    u8(v, 0);
    be16(v, (uint16_t)n);
    put(v, p, n);
}
static void item_str(struct vec *v, uint8_t type, const char *s)
{
    item(v, type, s, strlen(s));
}
static void ae(struct vec *v, const char *s)
{
    char f[16];
    memset(f, ' ', 16);
    memcpy(f, s, strlen(s));
    put(v, f, 16);
}
/* wrap body as a PDU of type t */
static void pdu(struct vec *out, uint8_t t, const struct vec *body)
{
    u8(out, t);
    u8(out, 0);
    be32(out, (uint32_t)body->n);
    put(out, body->b, body->n);
}

#define VERIFICATION "1.2.840.10008.1.1"
#define ILE          "1.2.840.10008.1.2"
#define ELE          "1.2.840.10008.1.2.1"
#define CT_STORAGE   "1.2.840.10008.5.1.4.1.1.2"

static void assoc_fixed(struct vec *b, const char *called, const char *calling)
{
    be16(b, 1);
    be16(b, 0);
    ae(b, called);
    ae(b, calling);
    uint8_t z[32] = {0};
    put(b, z, 32);
    item_str(b, 0x10, "1.2.840.10008.3.1.1.1");
}

static void assoc_rq(struct vec *out, const char *abs, const char *ts, bool identity)
{
    struct vec b = {0}, pc = {0}, ui = {0}, sub = {0};
    assoc_fixed(&b, "PACS", "MODALITY1");
    u8(&pc, 1);
    u8(&pc, 0);
    u8(&pc, 0);
    u8(&pc, 0);
    item_str(&pc, 0x30, abs);
    item_str(&pc, 0x40, ts);
    item_str(&pc, 0x40, ILE);
    item(&b, 0x20, pc.b, pc.n);
    be32(&sub, 16384);
    item(&ui, 0x51, sub.b, sub.n);
    item_str(&ui, 0x52, "1.2.276.0.7230010.3.0.3.6.7");
    sub.n = 0;
    be16(&sub, 2);
    be16(&sub, 1);
    item(&ui, 0x53, sub.b, sub.n);
    sub.n = 0;
    be16(&sub, (uint16_t)strlen(abs));
    put(&sub, abs, strlen(abs));
    u8(&sub, 1);
    u8(&sub, 1);
    item(&ui, 0x54, sub.b, sub.n);
    item_str(&ui, 0x55, "OFFIS_DCMTK_367");
    if (identity) {
        sub.n = 0;
        u8(&sub, 2);
        u8(&sub, 0);
        be16(&sub, 5);
        put(&sub, "alice", 5);
        be16(&sub, 6);
        put(&sub, "secret", 6);
        item(&ui, 0x58, sub.b, sub.n);
    }
    item(&b, 0x50, ui.b, ui.n);
    pdu(out, DICOM_PDU_ASSOC_RQ, &b);
}

static void assoc_ac(struct vec *out, uint8_t result, const char *ts)
{
    struct vec b = {0}, pc = {0}, ui = {0}, sub = {0};
    assoc_fixed(&b, "PACS", "MODALITY1");
    u8(&pc, 1);
    u8(&pc, 0);
    u8(&pc, result);
    u8(&pc, 0);
    item_str(&pc, 0x40, ts);
    item(&b, 0x21, pc.b, pc.n);
    be32(&sub, 32768);
    item(&ui, 0x51, sub.b, sub.n);
    item_str(&ui, 0x52, "1.2.826.0.1.3680043.9.3811.2.0.0");
    item_str(&ui, 0x55, "PYNETDICOM_200");
    item(&b, 0x50, ui.b, ui.n);
    pdu(out, DICOM_PDU_ASSOC_AC, &b);
}

static void cmd_elem_us(struct vec *v, uint16_t e, uint16_t x)
{
    le16(v, 0);
    le16(v, e);
    le32(v, 2);
    le16(v, x);
}
static void cmd_elem_str(struct vec *v, uint16_t e, const char *s)
{
    size_t n = strlen(s), pad = n & 1;
    le16(v, 0);
    le16(v, e);
    le32(v, (uint32_t)(n + pad));
    put(v, s, n);
    if (pad)
        u8(v, 0);
}

/* one P-DATA-TF PDU with a single PDV */
static void pdata(struct vec *out, uint8_t ctx, uint8_t mch, const uint8_t *p, size_t n)
{
    struct vec b = {0};
    be32(&b, (uint32_t)(n + 2));
    u8(&b, ctx);
    u8(&b, mch);
    put(&b, p, n);
    pdu(out, DICOM_PDU_P_DATA, &b);
}

static void echo_rq(struct vec *out, uint8_t ctx, uint16_t id)
{
    struct vec c = {0};
    cmd_elem_str(&c, 0x0002, VERIFICATION);
    cmd_elem_us(&c, 0x0100, 0x0030);
    cmd_elem_us(&c, 0x0110, id);
    cmd_elem_us(&c, 0x0800, 0x0101);
    pdata(out, ctx, 0x03, c.b, c.n);
}

static void echo_rsp(struct vec *out, uint16_t id, uint16_t status)
{
    struct vec c = {0};
    cmd_elem_str(&c, 0x0002, VERIFICATION);
    cmd_elem_us(&c, 0x0100, 0x8030);
    cmd_elem_us(&c, 0x0120, id);
    cmd_elem_us(&c, 0x0800, 0x0101);
    cmd_elem_us(&c, 0x0900, status);
    pdata(out, 1, 0x03, c.b, c.n);
}

static void release(struct vec *out, uint8_t t)
{
    struct vec b = {0};
    be32(&b, 0);
    pdu(out, t, &b);
}

/* ---- harness -------------------------------------------------------------------------------- */

#define MAX_REC 64
struct rec {
    int n_dicom, n_anom;
    enum dicom_event_kind kind[MAX_REC];
    struct dicom_assoc assoc[MAX_REC]; /* copies (pctx pointer not kept) */
    struct dicom_op op[MAX_REC];
    bool has_op[MAX_REC];
    const char *anom[MAX_REC];
};

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_DICOM && r->n_dicom < MAX_REC) {
        const struct dicom_event *de = ev->body;
        r->kind[r->n_dicom] = de->kind;
        r->assoc[r->n_dicom] = *de->assoc;
        r->assoc[r->n_dicom].pctx = NULL;
        r->has_op[r->n_dicom] = de->op != NULL;
        if (de->op)
            r->op[r->n_dicom] = *de->op;
        r->n_dicom++;
    } else if (ev->type == EVENT_ANOMALY && r->n_anom < MAX_REC) {
        const struct anomaly_event *a = ev->body;
        r->anom[r->n_anom++] = a->event; /* string literals in the parser */
    }
}

struct h {
    struct stats stats;
    struct event_bus bus;
    struct app_layer al;
    struct anomaly_ctx anomalies; /* the app layer's limiter: the engine's part here */
    struct config cfg;
    struct app_ctx ctx;
    struct rec rec;
    void *st;
};

static struct h *h_new(void)
{
    struct h *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    config_defaults(&h->cfg);
    memset(h->cfg.phi_key, 0x42, sizeof(h->cfg.phi_key));
    h->cfg.phi_key_loaded = true;
    event_bus_subscribe(&h->bus, EVENT_MASK(EVENT_DICOM) | EVENT_MASK(EVENT_ANOMALY), on_event, &h->rec);
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&h->cfg, parser_cfg);
    assert_int_equal(app_layer_init(&h->al, &h->cfg.app, &h->stats, &h->bus, parser_cfg), 0);
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    h->al.phi.key = h->cfg.phi_key; /* as the engine does with the key it loaded */
    h->al.phi.key_len = sizeof(h->cfg.phi_key);
    h->ctx.al = &h->al;
    h->ctx.flow = NULL;
    h->st = app_parser_dicom.state_new(&h->ctx);
    assert_non_null(h->st);
    return h;
}

static void h_free(struct h *h)
{
    app_parser_dicom.state_free(&h->ctx, h->st);
    assert_int_equal(h->al.mc.used, 0); /* nothing leaked against the memcap */
    app_layer_free(&h->al);
    free(h);
}

static void feed(struct h *h, int dir, const struct vec *v, size_t step)
{
    for (size_t off = 0; off < v->n; off += step) {
        size_t n = v->n - off < step ? v->n - off : step;
        app_parser_dicom.on_data(&h->ctx, h->st, dir, v->b + off, n);
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

static void test_probe(void **st)
{
    (void)st;
    struct vec rq = {0}, ac = {0};
    assoc_rq(&rq, VERIFICATION, ILE, false);
    assoc_ac(&ac, 0, ILE);
    assert_int_equal(dicom_probe(rq.b, rq.n, 0), PROBE_YES);
    assert_int_equal(dicom_probe(rq.b, 40, 0), PROBE_MAYBE);
    assert_int_equal(dicom_probe(rq.b, 3, 0), PROBE_MAYBE);
    assert_int_equal(dicom_probe(ac.b, ac.n, 1), PROBE_YES);
    assert_int_equal(dicom_probe(ac.b, ac.n, 0), PROBE_NO);
    rq.b[12] = 0x01; /* a control character in the called AE: still DICOM (the parser flags it) */
    assert_int_equal(dicom_probe(rq.b, rq.n, 0), PROBE_YES);
    memset(rq.b + 10, ' ', 16); /* an empty called AE is not */
    assert_int_equal(dicom_probe(rq.b, rq.n, 0), PROBE_NO);
    memcpy(rq.b + 10, "ORTHANC         ", 16);
    rq.b[78] = '2'; /* not the DICOM application context */
    assert_int_equal(dicom_probe(rq.b, rq.n, 0), PROBE_NO);
    rq.b[78] = '1';
    rq.b[7] = 0; /* protocol version bit 0 cleared */
    assert_int_equal(dicom_probe(rq.b, rq.n, 0), PROBE_NO);
    /* the Horos overflow's shape (Snort 50176): an application context item of 1300 bytes that starts with the
     * DICOM application context UID is recognised; one longer than the PDU is not */
    static uint8_t big[6 + 68 + 4 + 1300];
    memset(big, 0, sizeof(big));
    big[0] = 0x01;
    big[2] = (uint8_t)((sizeof(big) - 6) >> 24), big[3] = (uint8_t)((sizeof(big) - 6) >> 16);
    big[4] = (uint8_t)((sizeof(big) - 6) >> 8), big[5] = (uint8_t)(sizeof(big) - 6);
    big[7] = 1;
    memcpy(big + 10, "ORTHANC         JOXYPOXY!       ", 32);
    big[74] = 0x10, big[76] = 1300 >> 8, big[77] = 1300 & 0xff;
    memset(big + 78, '1', 1300);
    memcpy(big + 78, "1.2.840.10008.3.1.1.1", 21);
    assert_int_equal(dicom_probe(big, sizeof(big), 0), PROBE_YES);
    big[76] = 1301 >> 8, big[77] = 1301 & 0xff;
    assert_int_equal(dicom_probe(big, sizeof(big), 0), PROBE_NO);
    const uint8_t http[] = "GET / HTTP/1.1\r\n";
    assert_int_equal(dicom_probe(http, sizeof(http) - 1, 0), PROBE_NO);
}

static void run_echo(size_t step)
{
    struct h *h = h_new();
    struct vec c = {0}, s = {0};
    assoc_rq(&c, VERIFICATION, ILE, true);
    feed(h, 0, &c, step);
    assoc_ac(&s, 0, ILE);
    feed(h, 1, &s, step);
    c.n = 0;
    echo_rq(&c, 1, 7);
    feed(h, 0, &c, step);
    s.n = 0;
    echo_rsp(&s, 7, 0x0000);
    feed(h, 1, &s, step);
    c.n = 0;
    release(&c, DICOM_PDU_RELEASE_RQ);
    feed(h, 0, &c, step);
    s.n = 0;
    release(&s, DICOM_PDU_RELEASE_RP);
    feed(h, 1, &s, step);
    struct rec *r = &h->rec;
    assert_int_equal(r->n_anom, 0);
    assert_int_equal(r->n_dicom, 5);
    assert_int_equal(r->kind[0], DICOM_EV_REQUEST);
    assert_string_equal(r->assoc[0].calling_ae, "MODALITY1");
    assert_string_equal(r->assoc[0].called_ae, "PACS");
    assert_string_equal(r->assoc[0].app_context, "1.2.840.10008.3.1.1.1");
    const struct dicom_user_info *ui = &r->assoc[0].ui_rq;
    assert_int_equal(ui->max_pdu, 16384);
    assert_string_equal(ui->impl_class_uid, "1.2.276.0.7230010.3.0.3.6.7");
    assert_string_equal(ui->impl_version, "OFFIS_DCMTK_367");
    assert_int_equal(ui->async_invoked, 2);
    assert_int_equal(ui->async_performed, 1);
    assert_int_equal(ui->n_roles, 1);
    assert_string_equal(ui->roles[0].uid, VERIFICATION);
    assert_int_equal(ui->user_identity_type, 2);
    assert_string_equal(ui->username, "alice");
    assert_true(ui->password_in_clear);
    assert_int_equal(r->kind[1], DICOM_EV_ACCEPT);
    assert_int_equal(r->assoc[1].ui_ac.max_pdu, 32768);
    assert_int_equal(r->kind[2], DICOM_EV_DIMSE);
    assert_true(r->has_op[2]);
    assert_true(r->op[2].has_rq && r->op[2].has_rsp);
    assert_int_equal(r->op[2].rq.command_field, 0x0030);
    assert_int_equal(r->op[2].rq.msg_id, 7);
    assert_int_equal(r->op[2].rsp.msg_id_rsp, 7);
    assert_int_equal(r->op[2].rsp.status, 0);
    assert_string_equal(r->op[2].rq.affected_sop_class, VERIFICATION);
    assert_int_equal(r->kind[3], DICOM_EV_RELEASE);
    assert_int_equal(r->kind[4], DICOM_EV_SUMMARY);
    assert_int_equal(r->assoc[4].pdus[0][DICOM_PDU_P_DATA] + r->assoc[4].pdus[1][DICOM_PDU_P_DATA], 2);
    assert_int_equal(r->assoc[4].ops_by_cmd[dicom_cmd_index(0x0030)], 1);
    h_free(h);
}

/* The same stream cut into any chunk size gives the same events. */
static void test_echo_whole(void **st)
{
    (void)st;
    run_echo(1u << 20);
}
static void test_echo_bytewise(void **st)
{
    (void)st;
    run_echo(1);
}
static void test_echo_chunks7(void **st)
{
    (void)st;
    run_echo(7);
}

static void test_reject(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec c = {0}, s = {0}, b = {0};
    assoc_rq(&c, VERIFICATION, ILE, false);
    feed(h, 0, &c, 1000);
    u8(&b, 0);
    u8(&b, 1);
    u8(&b, 1);
    u8(&b, 7);
    pdu(&s, DICOM_PDU_ASSOC_RJ, &b);
    feed(h, 1, &s, 1000);
    assert_int_equal(h->rec.n_dicom, 3);
    assert_int_equal(h->rec.kind[1], DICOM_EV_REJECT);
    assert_int_equal(h->rec.assoc[1].rj_result, 1);
    assert_int_equal(h->rec.assoc[1].rj_source, 1);
    assert_int_equal(h->rec.assoc[1].rj_reason, 7);
    assert_string_equal(dicom_rj_reason_name(1, 7), "called-AE-title-not-recognized");
    assert_int_equal(h->rec.kind[2], DICOM_EV_SUMMARY);
    h_free(h);
}

static void test_abort_flushes_pending(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec c = {0}, s = {0}, b = {0};
    assoc_rq(&c, VERIFICATION, ILE, false);
    feed(h, 0, &c, 1000);
    assoc_ac(&s, 0, ILE);
    feed(h, 1, &s, 1000);
    c.n = 0;
    echo_rq(&c, 1, 1);
    feed(h, 0, &c, 1000);
    u8(&b, 0);
    u8(&b, 0);
    u8(&b, 2);
    u8(&b, 6);
    s.n = 0;
    pdu(&s, DICOM_PDU_ABORT, &b);
    feed(h, 1, &s, 1000);
    /* request, accept, unanswered echo, abort, summary */
    assert_int_equal(h->rec.n_dicom, 5);
    assert_int_equal(h->rec.kind[2], DICOM_EV_DIMSE);
    assert_false(h->rec.op[2].has_rsp);
    assert_int_equal(h->rec.kind[3], DICOM_EV_ABORT);
    assert_int_equal(h->rec.assoc[3].abort_source, 2);
    assert_int_equal(h->rec.assoc[3].abort_reason, 6);
    assert_string_equal(dicom_abort_reason_name(2, 6), "invalid-PDU-parameter-value");
    h_free(h);
}

static void test_item_overrun(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec c = {0};
    assoc_rq(&c, VERIFICATION, ILE, false);
    /* first item (application context, at PDU offset 74) claims 0xFFFF bytes */
    c.b[76] = 0xff;
    c.b[77] = 0xff;
    feed(h, 0, &c, 1000);
    assert_true(has_anom(h, "item_overrun"));
    assert_int_equal(h->rec.kind[0], DICOM_EV_REQUEST); /* still reported */
    h_free(h);
}

static void test_assoc_too_short(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec b = {0}, c = {0};
    be16(&b, 1);
    pdu(&c, DICOM_PDU_ASSOC_RQ, &b);
    feed(h, 0, &c, 1000);
    assert_true(has_anom(h, "assoc_too_short"));
    h_free(h);
}

static void test_unknown_context_and_4gb(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec c = {0}, s = {0};
    assoc_rq(&c, VERIFICATION, ILE, false);
    feed(h, 0, &c, 1000);
    assoc_ac(&s, 0, ILE);
    feed(h, 1, &s, 1000);
    c.n = 0;
    echo_rq(&c, 99, 1);
    feed(h, 0, &c, 1000);
    assert_true(has_anom(h, "pdv_unknown_context"));
    /* a P-DATA-TF announcing 4 GB - 1 bytes, then a PDV that overruns nothing yet */
    uint8_t hdr[] = {0x04, 0x00, 0xff, 0xff, 0xff, 0xff};
    app_parser_dicom.on_data(&h->ctx, h->st, 0, hdr, sizeof(hdr));
    assert_true(has_anom(h, "pdu_too_large"));
    h_free(h);
}

static void test_pdv_overrun(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec b = {0}, c = {0};
    be32(&b, 1000); /* PDV claims 1000 bytes in a 10-byte PDU */
    u8(&b, 1);
    u8(&b, 3);
    be32(&b, 0);
    pdu(&c, DICOM_PDU_P_DATA, &b);
    feed(h, 0, &c, 3);
    assert_true(has_anom(h, "pdv_overrun"));
    h_free(h);
}

static void test_unknown_pdu_type(void **st)
{
    (void)st;
    struct h *h = h_new();
    uint8_t junk[] = {0x09, 0x00, 0x00, 0x00, 0x00, 0x04, 1, 2, 3, 4, 0x01, 0x00};
    app_parser_dicom.on_data(&h->ctx, h->st, 0, junk, sizeof(junk));
    assert_true(has_anom(h, "unknown_pdu_type"));
    int n = h->rec.n_anom;
    app_parser_dicom.on_data(&h->ctx, h->st, 0, junk, sizeof(junk)); /* searching: silent */
    assert_int_equal(h->rec.n_anom, n);
    /* the next PDU header is found and parsed */
    struct vec c = {0};
    assoc_rq(&c, VERIFICATION, ILE, false);
    feed(h, 0, &c, 1000);
    assert_int_equal(h->rec.n_anom, n);
    assert_int_equal(h->rec.n_dicom, 1);
    assert_int_equal(h->rec.kind[0], DICOM_EV_REQUEST);
    assert_int_equal(h->stats.app_gap_skipped_bytes, sizeof(junk) - 6 + sizeof(junk));
    h_free(h);
}

static void test_gap(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec c = {0}, s = {0};
    assoc_rq(&c, VERIFICATION, ILE, false);
    feed(h, 0, &c, 1000);
    assoc_ac(&s, 0, ILE);
    feed(h, 1, &s, 1000);
    c.n = 0;
    echo_rq(&c, 1, 1);
    app_parser_dicom.on_data(&h->ctx, h->st, 0, c.b, 20);
    app_parser_dicom.on_gap(&h->ctx, h->st, 0, 10);
    app_parser_dicom.on_data(&h->ctx, h->st, 0, c.b + 30, c.n - 30);
    assert_true(has_anom(h, "gap_in_pdu"));
    /* the next PDU is parsed again */
    c.n = 0;
    echo_rq(&c, 1, 2);
    feed(h, 0, &c, 1000);
    s.n = 0;
    echo_rsp(&s, 2, 0);
    feed(h, 1, &s, 1000);
    assert_int_equal(h->rec.kind[h->rec.n_dicom - 1], DICOM_EV_DIMSE);
    assert_int_equal(h->rec.op[h->rec.n_dicom - 1].rq.msg_id, 2);
    /* a gap across PDU boundaries: the next PDU is searched for, and found */
    app_parser_dicom.on_gap(&h->ctx, h->st, 0, 100);
    c.n = 0;
    echo_rq(&c, 1, 3);
    feed(h, 0, &c, 1000);
    s.n = 0;
    echo_rsp(&s, 3, 0);
    feed(h, 1, &s, 1000);
    assert_true(has_anom(h, "gap_resync"));
    assert_int_equal(h->rec.kind[h->rec.n_dicom - 1], DICOM_EV_DIMSE);
    assert_int_equal(h->rec.op[h->rec.n_dicom - 1].rq.msg_id, 3);
    app_parser_dicom.on_close(&h->ctx, h->st);
    h_free(h);
}

static void ds_el(struct vec *ds, uint16_t g, uint16_t e, const char *vr, const char *v, size_t n)
{
    le16(ds, g);
    le16(ds, e);
    put(ds, vr, 2);
    le16(ds, (uint16_t)n);
    put(ds, v, n);
}

/* A C-STORE-RQ in four P-DATA-TF PDUs (command in two fragments, data set in two), Explicit VR LE. */
static void store_rq(struct vec *c, uint16_t id, const char *inst, size_t *last_pdu)
{
    struct vec cmd = {0}, ds = {0};
    cmd_elem_str(&cmd, 0x0002, CT_STORAGE);
    cmd_elem_us(&cmd, 0x0100, 0x0001);
    cmd_elem_us(&cmd, 0x0110, id);
    cmd_elem_us(&cmd, 0x0700, 0);
    cmd_elem_us(&cmd, 0x0800, 0x0000);
    cmd_elem_str(&cmd, 0x1000, inst);
    pdata(c, 1, 0x01, cmd.b, 10);
    pdata(c, 1, 0x03, cmd.b + 10, cmd.n - 10);
    ds_el(&ds, 0x0008, 0x0016, "UI", CT_STORAGE "\0", sizeof(CT_STORAGE)); /* 25 characters, NUL padded */
    ds_el(&ds, 0x0008, 0x0060, "CS", "CT", 2);
    ds_el(&ds, 0x0020, 0x000d, "UI", "1.2.3\0", 6);
    pdata(c, 1, 0x00, ds.b, 9);
    *last_pdu = c->n;
    pdata(c, 1, 0x02, ds.b + 9, ds.n - 9);
}

static void store_rsp(struct vec *s, uint16_t id)
{
    struct vec r = {0};
    cmd_elem_str(&r, 0x0002, CT_STORAGE);
    cmd_elem_us(&r, 0x0100, 0x8001);
    cmd_elem_us(&r, 0x0120, id);
    cmd_elem_us(&r, 0x0800, 0x0101);
    cmd_elem_us(&r, 0x0900, 0x0000);
    pdata(s, 1, 0x03, r.b, r.n);
}

/* A PDU header and body bytes as given, for the near-headers after a gap. */
static void raw_pdu(struct vec *v, uint8_t type, uint32_t len, const uint8_t *body, size_t n)
{
    u8(v, type);
    u8(v, 0);
    be32(v, len);
    put(v, body, n);
}

/*
 * An association for CT storage; C-STORE 5 whole; C-STORE 6 with a gap of glen bytes from cut bytes into its
 * last PDU; after it near-headers that must not be taken (an even context id, a PDV longer than its PDU, an
 * A-ASSOCIATE-AC from the requestor, a release with non-zero reserved bytes, an unknown context, and with
 * next_fake a consistent P-DATA-TF not followed by a PDU header); then C-STORE 7, fed in chunks of step.
 */
static void run_gap_resync_store(size_t cut, size_t glen, size_t step, bool next_fake)
{
    struct h *h = h_new();
    struct vec c = {0}, s = {0};
    assoc_rq(&c, CT_STORAGE, ELE, false);
    feed(h, 0, &c, 100000);
    assoc_ac(&s, 0, ELE);
    feed(h, 1, &s, 100000);
    size_t last;
    c.n = 0;
    store_rq(&c, 5, "1.2.3.5", &last);
    feed(h, 0, &c, 100000);
    s.n = 0;
    store_rsp(&s, 5);
    feed(h, 1, &s, 100000);

    static struct vec s0;
    s0.n = 0;
    store_rq(&s0, 6, "1.2.3.6", &last);
    static const uint8_t even[] = {0, 0, 0, 4, 2, 3, 0xee, 0xee}, longer[] = {0, 0, 0, 32, 1, 3, 0xee, 0xee};
    static const uint8_t rel[] = {0, 0, 0, 1}, unknown[] = {0, 0, 0, 4, 3, 3, 0xee, 0xee};
    static const uint8_t fake[] = {0, 0, 0, 4, 1, 3, 0xee, 0xee, 0xee};
    raw_pdu(&s0, DICOM_PDU_P_DATA, 8, even, sizeof(even));
    raw_pdu(&s0, DICOM_PDU_P_DATA, 8, longer, sizeof(longer));
    uint8_t ac[68] = {0, 1};
    raw_pdu(&s0, DICOM_PDU_ASSOC_AC, 68, ac, sizeof(ac));
    raw_pdu(&s0, DICOM_PDU_RELEASE_RQ, 4, rel, sizeof(rel));
    raw_pdu(&s0, DICOM_PDU_P_DATA, 8, unknown, sizeof(unknown));
    if (next_fake)
        raw_pdu(&s0, DICOM_PDU_P_DATA, 8, fake, sizeof(fake)); /* one byte more than it says */
    size_t at7 = s0.n, last7;
    store_rq(&s0, 7, "1.2.3.7", &last7);

    size_t resume = last + cut + glen;
    app_parser_dicom.on_data(&h->ctx, h->st, 0, s0.b, last + cut);
    app_parser_dicom.on_gap(&h->ctx, h->st, 0, glen);
    if (!step)
        step = s0.n;
    for (size_t o = resume; o < s0.n; o += step)
        app_parser_dicom.on_data(&h->ctx, h->st, 0, s0.b + o, s0.n - o < step ? s0.n - o : step);
    s.n = 0;
    store_rsp(&s, 7);
    feed(h, 1, &s, 100000);

    /* the association's presentation context and transfer syntax decode the C-STORE after the gap */
    const struct dicom_op *op = &h->rec.op[h->rec.n_dicom - 1];
    assert_int_equal(h->rec.kind[h->rec.n_dicom - 1], DICOM_EV_DIMSE);
    assert_int_equal(op->rq.msg_id, 7);
    assert_string_equal(op->rq.affected_sop_class, CT_STORAGE);
    assert_string_equal(op->rq.affected_sop_instance, "1.2.3.7");
    assert_string_equal(op->rq_ds.sop_class, CT_STORAGE);
    assert_string_equal(op->rq_ds.modality, "CT");
    assert_true(op->has_rsp);
    /* C-STORE 6, cut by the gap, is dropped and counted; one report; every byte up to C-STORE 7 skipped */
    for (int i = 0; i < h->rec.n_dicom; i++)
        assert_false(h->rec.has_op[i] && h->rec.op[i].rq.msg_id == 6);
    assert_int_equal(h->stats.app_gap_dropped, 1);
    assert_int_equal(h->rec.n_anom, 1);
    assert_true(has_anom(h, "gap_resync"));
    assert_int_equal(h->stats.app_gap_skipped_bytes, at7 - resume);
    app_parser_dicom.on_close(&h->ctx, h->st);
    h_free(h);
}

static void test_gap_resync_store(void **st)
{
    (void)st;
    run_gap_resync_store(3, 2, 0, true);  /* inside the last PDU's header */
    run_gap_resync_store(8, 60, 0, true); /* from inside its PDV (55 bytes) into the first near-header */
    run_gap_resync_store(3, 2, 1, false); /* one byte at a time */
    run_gap_resync_store(8, 60, 5, false);
    run_gap_resync_store(3, 2, 1460, true);
}

/* C-STORE with a data set split over fragments, in Explicit VR Little Endian. */
static void test_store_dataset_phi(void **st)
{
    (void)st;
    struct h *h = h_new();
    struct vec c = {0}, s = {0}, cmd = {0}, ds = {0};
    assoc_rq(&c, CT_STORAGE, ELE, false);
    feed(h, 0, &c, 1000);
    assoc_ac(&s, 0, ELE);
    feed(h, 1, &s, 1000);
    cmd_elem_str(&cmd, 0x0002, CT_STORAGE);
    cmd_elem_us(&cmd, 0x0100, 0x0001);
    cmd_elem_us(&cmd, 0x0110, 5);
    cmd_elem_us(&cmd, 0x0700, 0);
    cmd_elem_us(&cmd, 0x0800, 0x0000);
    cmd_elem_str(&cmd, 0x1000, "1.2.3.4");
    c.n = 0;
    pdata(&c, 1, 0x01, cmd.b, 10);              /* command, not last */
    pdata(&c, 1, 0x03, cmd.b + 10, cmd.n - 10); /* command, last */
#define EL(g, e, vr, str)                 \
    do {                                  \
        le16(&ds, g);                     \
        le16(&ds, e);                     \
        put(&ds, vr, 2);                  \
        le16(&ds, (uint16_t)strlen(str)); \
        put(&ds, str, strlen(str));       \
    } while (0)
    EL(0x0008, 0x0016, "UI", CT_STORAGE "\0");
    EL(0x0008, 0x0060, "CS", "CT");
    EL(0x0010, 0x0010, "PN", "DOE^JANE");
    /* an undefined-length sequence with one undefined-length item holding a PN: nested, not picked */
    le16(&ds, 0x0008);
    le16(&ds, 0x1140);
    put(&ds, "SQ", 2);
    le16(&ds, 0);
    le32(&ds, 0xffffffff);
    le16(&ds, 0xfffe);
    le16(&ds, 0xe000);
    le32(&ds, 0xffffffff);
    EL(0x0010, 0x0020, "LO", "NESTED");
    le16(&ds, 0xfffe);
    le16(&ds, 0xe00d);
    le32(&ds, 0);
    le16(&ds, 0xfffe);
    le16(&ds, 0xe0dd);
    le32(&ds, 0);
    EL(0x0010, 0x0020, "LO", "PAT0001 ");
    EL(0x0020, 0x000d, "UI", "1.2.3");
    le16(&ds, 0x7fe0);
    le16(&ds, 0x0010);
    put(&ds, "OW", 2);
    le16(&ds, 0);
    le32(&ds, 4);
    le32(&ds, 0);
    pdata(&c, 1, 0x00, ds.b, 21);
    pdata(&c, 1, 0x02, ds.b + 21, ds.n - 21);
    feed(h, 0, &c, 13);
    s.n = 0;
    struct vec r = {0};
    cmd_elem_str(&r, 0x0002, CT_STORAGE);
    cmd_elem_us(&r, 0x0100, 0x8001);
    cmd_elem_us(&r, 0x0120, 5);
    cmd_elem_us(&r, 0x0800, 0x0101);
    cmd_elem_us(&r, 0x0900, 0xB000);
    pdata(&s, 1, 0x03, r.b, r.n);
    feed(h, 1, &s, 1000);
    assert_int_equal(h->rec.n_anom, 0);
    const struct dicom_op *op = &h->rec.op[h->rec.n_dicom - 1];
    assert_int_equal(h->rec.kind[h->rec.n_dicom - 1], DICOM_EV_DIMSE);
    assert_string_equal(op->rq.affected_sop_instance, "1.2.3.4");
    assert_string_equal(op->rq_ds.modality, "CT");
    assert_string_equal(op->rq_ds.sop_class, CT_STORAGE);
    assert_string_equal(op->rq_ds.study_uid, "1.2.3");
    assert_true(op->rq_ds.has_patient_name);
    assert_memory_equal(op->rq_ds.patient_name, "phi:", 4);
    assert_null(strstr(op->rq_ds.patient_name, "DOE"));
    char want[PHI_PSEUDONYM_SIZE];
    phi_pseudonym(want, sizeof(want), h->cfg.phi_key, 32, "PAT0001", 7); /* trailing pad not hashed */
    assert_string_equal(op->rq_ds.patient_id, want);
    assert_int_equal(op->rsp.status, 0xB000);
    assert_int_equal(dicom_status_class(op->rsp.status), DICOM_STATUS_WARNING);
    h_free(h);
}

static void test_walker_limits(void **st)
{
    (void)st;
    struct dicom_limits lim = {.max_depth = 2};
    struct vec ds = {0};
    for (int i = 0; i < 5; i++) { /* 5 nested undefined-length sequences, implicit VR */
        le16(&ds, 0x0008);
        le16(&ds, 0x1140);
        le32(&ds, 0xffffffff);
    }
    struct dicom_ds_info info;
    memset(&info, 0, sizeof(info));
    dicom_walk_dataset(&info, DICOM_TS_IMPLICIT_LE, ds.b, ds.n, ds.n, &lim);
    assert_true(info.malformed);
    /* an element longer than the bytes given: truncated when the data set is longer, else malformed */
    struct vec e = {0};
    le16(&e, 0x0010);
    le16(&e, 0x0010);
    le32(&e, 100);
    put(&e, "DOE", 3);
    memset(&info, 0, sizeof(info));
    dicom_walk_dataset(&info, DICOM_TS_IMPLICIT_LE, e.b, e.n, 1000, &lim);
    assert_true(info.truncated);
    assert_false(info.has_patient_name);
    memset(&info, 0, sizeof(info));
    dicom_walk_dataset(&info, DICOM_TS_IMPLICIT_LE, e.b, e.n, e.n, &lim);
    assert_true(info.malformed);
    memset(&info, 0, sizeof(info));
    dicom_walk_dataset(&info, DICOM_TS_DEFLATED, e.b, e.n, e.n, &lim);
    assert_true(info.deflated);
    assert_false(info.walked);
}

/* Every PHI attribute the walker meets at the top level is pseudonymised (never in clear without log-phi), in
 * the walker's result and in the EVE object; Patient's Sex is not collected; the keys list holds tags only. */
static void test_phi_attributes(void **st)
{
    (void)st;
    static const struct {
        uint16_t g, e;
        const char *vr, *value;
    } els[] = {
        {0x0008, 0x0050, "SH", "ACC0001 "},
        {0x0008, 0x0080, "LO", "TEST HOSPITAL "},
        {0x0008, 0x0081, "ST", "1 MAIN STREET"},
        {0x0008, 0x0090, "PN", "REFERRING^TEST"},
        {0x0008, 0x1048, "PN", "RECORD^DOC"},
        {0x0008, 0x1050, "PN", "PERFORMING^DOC"},
        {0x0008, 0x1060, "PN", "READING^DOC "},
        {0x0008, 0x1070, "PN", "OPERATOR^ONE"},
        {0x0010, 0x0010, "PN", "DOE^JANE"},
        {0x0010, 0x0020, "LO", "PAT0001 "},
        {0x0010, 0x0030, "DA", "19700101"},
        {0x0010, 0x0032, "TM", "101500"},
        {0x0010, 0x0040, "CS", "F "},
        {0x0010, 0x1000, "LO", "OTHERID1"},
        {0x0010, 0x1001, "PN", "OTHER^NAME"},
        {0x0010, 0x1040, "LO", "2 ELM ROAD"},
        {0x0010, 0x1060, "PN", "MOTHER^MAIDEN"},
        {0x0010, 0x2154, "SH", "5551234 "},
        {0x0020, 0x0010, "SH", "ST-PAT0001-X"},
        {0x0032, 0x1032, "PN", "NEWMAN"},
    };
    const size_t n_els = sizeof(els) / sizeof(els[0]);
    struct vec ds = {0};
    for (size_t i = 0; i < n_els; i++) {
        size_t n = strlen(els[i].value);
        le16(&ds, els[i].g);
        le16(&ds, els[i].e);
        put(&ds, els[i].vr, 2);
        le16(&ds, (uint16_t)n);
        put(&ds, els[i].value, n);
    }
    uint8_t key[32];
    memset(key, 0x42, sizeof(key));
    struct dicom_limits lim = {.max_depth = 8, .phi_key = key, .phi_key_len = 32};
    struct dicom_op op;
    memset(&op, 0, sizeof(op));
    op.has_rq = true;
    op.rq.command_field = 0x0001;
    struct dicom_ds_info *info = &op.rq_ds;
    dicom_walk_dataset(info, DICOM_TS_EXPLICIT_LE, ds.b, ds.n, ds.n, &lim);
    assert_false(info->malformed);
    assert_int_equal(info->n_keys, n_els);
    assert_int_equal(info->n_phi, n_els - 5); /* all but the 4 named and Patient's Sex */
    char want[PHI_PSEUDONYM_SIZE];
    for (unsigned i = 0; i < info->n_phi; i++) {
        assert_memory_equal(info->phi[i].value, "phi:", 4);
        uint32_t tag = dicom_phi_attr_tag(info->phi[i].attr);
        assert_int_not_equal(tag, 0x00100040); /* sex is not collected */
        for (size_t k = 0; k < n_els; k++)
            if (((uint32_t)els[k].g << 16 | els[k].e) == tag) {
                size_t n = strlen(els[k].value);
                while (n && els[k].value[n - 1] == ' ')
                    n--;
                phi_pseudonym(want, sizeof(want), key, 32, els[k].value, n);
                assert_string_equal(info->phi[i].value, want);
            }
    }
    /* the EVE object: no value in clear, the keys list as "gggg,eeee" tags */
    struct dicom_assoc a;
    memset(&a, 0, sizeof(a));
    struct dicom_event de = {.kind = DICOM_EV_DIMSE, .assoc = &a, .op = &op};
    struct event ev = {.type = EVENT_DICOM, .dir = EVENT_DIR_TOSERVER, .body = &de};
    struct eve_cfg cfg = {.log_phi = false};
    struct jw w;
    jw_init(&w);
    eve_format(&w, &cfg, &ev);
    assert_false(w.err);
    char *json = strndup(w.buf, w.len);
    assert_non_null(json);
    for (size_t k = 0; k < n_els; k++) {
        if (els[k].e == 0x0040 && els[k].g == 0x0010)
            continue;
        char clear[32];
        size_t n = strlen(els[k].value);
        while (n && els[k].value[n - 1] == ' ')
            n--;
        memcpy(clear, els[k].value, n);
        clear[n] = 0;
        assert_null(strstr(json, clear));
    }
    assert_non_null(strstr(json, "\"referring_physician_name\":\"phi:"));
    assert_non_null(strstr(json, "\"study_id\":\"phi:"));
    assert_non_null(strstr(json, "\"keys\":[\"0008,0050\",\"0008,0080\","));
    assert_null(strstr(json, "\"F\""));
    free(json);
    jw_free(&w);

    /* with a per-flow memo: the same pseudonyms, on the first walk (computed) and the second (remembered) */
    struct dicom_phi_cache *cache = calloc(1, sizeof(*cache));
    assert_non_null(cache);
    struct dicom_limits cached_lim = lim;
    cached_lim.phi_cache = cache;
    for (int pass = 0; pass < 2; pass++) {
        struct dicom_ds_info again;
        memset(&again, 0, sizeof(again));
        dicom_walk_dataset(&again, DICOM_TS_EXPLICIT_LE, ds.b, ds.n, ds.n, &cached_lim);
        assert_string_equal(again.patient_name, info->patient_name);
        assert_string_equal(again.accession, info->accession);
        assert_int_equal(again.n_phi, info->n_phi);
        for (unsigned i = 0; i < again.n_phi; i++)
            assert_string_equal(again.phi[i].value, info->phi[i].value);
    }
    free(cache);

    /* with log-phi the values are written in clear */
    struct dicom_limits clear_lim = lim;
    clear_lim.log_phi = true;
    memset(info, 0, sizeof(*info));
    dicom_walk_dataset(info, DICOM_TS_EXPLICIT_LE, ds.b, ds.n, ds.n, &clear_lim);
    bool found = false;
    for (unsigned i = 0; i < info->n_phi; i++)
        if (strcmp(info->phi[i].value, "REFERRING^TEST") == 0)
            found = true;
    assert_true(found);
}

/* C-FIND with pending responses of both kinds (PS3.7 C.4.1.1.4): 0xFF00, 0xFF01, 0xFF00, then success. */
static void test_find_pending_kinds(void **st)
{
    (void)st;
    static const char find_model[] = "1.2.840.10008.5.1.4.1.2.1.1";
    struct h *h = h_new();
    struct vec c = {0}, s = {0};
    assoc_rq(&c, find_model, ILE, false);
    feed(h, 0, &c, 4096);
    assoc_ac(&s, 0, ILE);
    feed(h, 1, &s, 4096);
    struct vec rq = {0}, ds = {0};
    cmd_elem_str(&rq, 0x0002, find_model);
    cmd_elem_us(&rq, 0x0100, 0x0020);
    cmd_elem_us(&rq, 0x0110, 9);
    cmd_elem_us(&rq, 0x0700, 0);
    cmd_elem_us(&rq, 0x0800, 0x0000);
    c.n = 0;
    pdata(&c, 1, 0x03, rq.b, rq.n);
    le16(&ds, 0x0008);
    le16(&ds, 0x0052);
    le32(&ds, 8);
    put(&ds, "PATIENT ", 8);
    pdata(&c, 1, 0x02, ds.b, ds.n);
    feed(h, 0, &c, 4096);
    static const uint16_t statuses[] = {0xFF00, 0xFF01, 0xFF00, 0x0000};
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        struct vec r = {0};
        cmd_elem_str(&r, 0x0002, find_model);
        cmd_elem_us(&r, 0x0100, 0x8020);
        cmd_elem_us(&r, 0x0120, 9);
        cmd_elem_us(&r, 0x0800, statuses[i] ? 0x0000 : 0x0101);
        cmd_elem_us(&r, 0x0900, statuses[i]);
        s.n = 0;
        pdata(&s, 1, 0x03, r.b, r.n);
        if (statuses[i])
            pdata(&s, 1, 0x02, ds.b, ds.n);
        feed(h, 1, &s, 5);
    }
    c.n = 0;
    release(&c, DICOM_PDU_RELEASE_RQ);
    feed(h, 0, &c, 4096);
    s.n = 0;
    release(&s, DICOM_PDU_RELEASE_RP);
    feed(h, 1, &s, 4096);
    struct rec *r = &h->rec;
    assert_int_equal(r->n_anom, 0);
    int dimse = -1;
    for (int i = 0; i < r->n_dicom; i++)
        if (r->kind[i] == DICOM_EV_DIMSE)
            dimse = i;
    assert_true(dimse >= 0);
    const struct dicom_op *op = &r->op[dimse];
    assert_int_equal(op->n_rsp, 4);
    assert_int_equal(op->n_pending, 3);
    assert_int_equal(op->n_pending_by_status[0], 2);
    assert_int_equal(op->n_pending_by_status[1], 1);
    assert_int_equal(op->rsp.status, 0x0000);
    const struct dicom_assoc *sum = &r->assoc[r->n_dicom - 1];
    assert_int_equal(r->kind[r->n_dicom - 1], DICOM_EV_SUMMARY);
    assert_int_equal(sum->pending_by_status[0], 2);
    assert_int_equal(sum->pending_by_status[1], 1);
    assert_int_equal(sum->rsp_by_class[DICOM_STATUS_PENDING], 3);
    assert_string_equal(dicom_status_meaning(0x8020, 0xFF01),
                        "Pending: matches are continuing, optional keys not supported");
    assert_string_equal(dicom_status_meaning(0x8020, 0xFF00), "Pending: matches are continuing");
    assert_string_equal(dicom_status_meaning(0x8021, 0xFF00), "Pending: sub-operations are continuing");

    /* the EVE object names both kinds */
    struct dicom_assoc copy = r->assoc[dimse];
    copy.n_pctx = 0; /* the recorded copy does not keep the context table */
    struct dicom_event de = {.kind = DICOM_EV_DIMSE, .assoc = &copy, .op = op};
    struct event ev = {.type = EVENT_DICOM, .dir = EVENT_DIR_TOCLIENT, .body = &de};
    struct eve_cfg cfg = {.log_phi = false};
    struct jw w;
    jw_init(&w);
    eve_format(&w, &cfg, &ev);
    assert_false(w.err);
    char *json = strndup(w.buf, w.len);
    assert_non_null(strstr(json, "\"pending_responses\":3,\"pending_statuses\":{\"0xff00\":2,\"0xff01\":1}"));
    free(json);
    jw_free(&w);
    h_free(h);
}

static void test_uid_table(void **st)
{
    (void)st;
    assert_string_equal(dicom_uid_name(ELE), "Explicit VR Little Endian");
    assert_string_equal(dicom_uid_name("1.2.840.10008.5.1.4.1.2.1.1"),
                        "Patient Root Query/Retrieve Information Model - FIND");
    assert_null(dicom_uid_name("1.2.3.4.5"));
    assert_string_equal(dicom_sop_class_modality(CT_STORAGE), "CT");
    assert_true(dicom_uid_table_size() > 400);
    assert_string_equal(dicom_command_name(0x8021), "C-MOVE-RSP");
    assert_int_equal(dicom_status_class(0xFF01), DICOM_STATUS_PENDING);
    assert_int_equal(dicom_status_class(0xA702), DICOM_STATUS_FAILURE);
    assert_int_equal(dicom_status_class(0xFE00), DICOM_STATUS_CANCEL);
    assert_int_equal(dicom_ts_kind("1.2.840.10008.1.2.4.70"), DICOM_TS_ENCAPSULATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_echo_whole),
        cmocka_unit_test(test_echo_bytewise),
        cmocka_unit_test(test_echo_chunks7),
        cmocka_unit_test(test_reject),
        cmocka_unit_test(test_abort_flushes_pending),
        cmocka_unit_test(test_item_overrun),
        cmocka_unit_test(test_assoc_too_short),
        cmocka_unit_test(test_unknown_context_and_4gb),
        cmocka_unit_test(test_pdv_overrun),
        cmocka_unit_test(test_unknown_pdu_type),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_gap_resync_store),
        cmocka_unit_test(test_store_dataset_phi),
        cmocka_unit_test(test_walker_limits),
        cmocka_unit_test(test_phi_attributes),
        cmocka_unit_test(test_find_pending_kinds),
        cmocka_unit_test(test_uid_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
