/*
 * dicom_assoc.c - the DICOM parser: per-flow association state, PDU framing
 * across TCP segments, PDV reassembly into DIMSE messages, request/response
 * pairing and the `dicom` events.  PS3.8 sections 7 and 9 (upper layer state
 * machine, PDU structure), PS3.7 sections 6 and 9 (DIMSE messages).
 *
 * Bytes of one direction flow through three nested framings:
 *
 *   PDU       type(1) reserved(1) length(4 BE) body        [dicom_pdu.c for the bodies]
 *   PDV       length(4 BE) context-id(1) control(1) fragment       (inside P-DATA-TF)
 *             control bit 0: 1 = command, 0 = data set; bit 1: 1 = last fragment
 *   message   command fragments ... last, then (unless Command Data Set Type is
 *             0x0101) data set fragments ... last
 *
 * Association PDUs (RQ/AC/RJ/RELEASE/ABORT) are buffered whole (they are small)
 * and parsed at once; P-DATA-TF bodies are never buffered: PDV headers and
 * fragments are consumed as they arrive.  Command fragments are collected up to
 * DICOM_MAX_CMD_BYTES; data set fragments up to the data set byte budget (the
 * rest is only counted), which is all the element walker gets to see.
 *
 * Each direction is a resumable state machine: any split of the stream into
 * chunks gives the same result.  A gap inside a PDU loses that PDU (and the
 * DIMSE message being assembled) and parsing resumes at the next PDU.  A gap
 * that swallows a PDU header starts a search (src/app/resync.c) for a header
 * dicom_resync_check accepts: a PDU type this direction sends at this point of
 * the association, reserved byte 0, a length within dicom.max-pdu-length that
 * fits the type, for a P-DATA-TF PDV items on accepted presentation contexts
 * whose lengths add up to the PDU's, and the next PDU header where it is in
 * hand.  The association (presentation contexts, transfer syntaxes, pending
 * requests) is kept, so DIMSE messages after the gap still decode.  Requests are kept
 * (allocated against the app memcap, at most DICOM_MAX_PENDING per direction)
 * until their final response, then published as one event.
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "app/resync.h"
#include "core/bytes.h"
#include "core/config.h"
#include "core/stats.h"

#define ASSOC_BODY_MAX (256u * 1024) /* association control PDUs buffered whole up to this */

struct dicom_msg {
    bool active; /* a command has started */
    bool cmd_done, expect_ds, broken;
    uint8_t pctx_id;
    bool bad_ctx_reported;
    uint8_t *cmd;
    uint32_t cmd_len, cmd_cap;
    struct dicom_cmd parsed;
    uint8_t *ds;
    uint32_t ds_len, ds_cap;
    uint64_t ds_total;
    uint64_t start_us;
};

struct dicom_dir {
    uint8_t hdr[6];
    uint8_t hdr_len;
    bool in_pdu;
    uint8_t type;
    uint32_t len, off; /* PDU body length and bytes of it consumed */
    bool skip_pdu;     /* ignore the rest of this PDU */
    uint8_t *body;     /* association PDU body */
    uint32_t body_cap;
    /* PDV inside a P-DATA-TF */
    uint8_t pdv_hdr[6];
    uint8_t pdv_hdr_len;
    uint32_t frag_len, frag_off;
    uint32_t pdata_left; /* bytes of the P-DATA-TF body not yet consumed */
    uint8_t pdv_ctx, pdv_mch;
    bool dead;            /* parsing of this direction stopped */
    struct app_resync rs; /* after a gap: searching for the next PDU header */
    bool max_pdu_reported;
    struct dicom_msg msg;
};

struct dicom_state {
    struct dicom_limits lim;
    struct dicom_assoc a;
    struct dicom_dir d[2];
    struct dicom_op *pending[2][DICOM_MAX_PENDING]; /* by direction of the request */
    bool summary_done;
    struct dicom_phi_cache phi_cache; /* lim.phi_cache points here */
};

static const char *const kind_names[] = {
    [DICOM_EV_REQUEST] = "request", [DICOM_EV_ACCEPT] = "accept", [DICOM_EV_REJECT] = "reject",
    [DICOM_EV_RELEASE] = "release", [DICOM_EV_ABORT] = "abort",   [DICOM_EV_DIMSE] = "dimse",
    [DICOM_EV_SUMMARY] = "summary",
};

const char *dicom_event_kind_name(enum dicom_event_kind k)
{
    return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "unknown";
}

static void anomaly(struct app_ctx *ctx, struct dicom_state *s, int dir, const char *event, const char *detail)
{
    s->a.anomalies++;
    app_anomaly(ctx, dir, event, detail); /* counted there; written once per kind and flow (core/anomaly.h) */
}

static void emit(struct app_ctx *ctx, struct dicom_state *s, int dir, enum dicom_event_kind kind,
                 const struct dicom_op *op, const char *end)
{
    struct dicom_event ev = {.kind = kind, .assoc = &s->a, .op = op, .end = end};
    app_emit(ctx, EVENT_DICOM, dir, &ev);
}

/* ---- probe ---------------------------------------------------------------------------------- */

/* An AE title field that is not empty.  Its bytes are not judged here: PS3.5 forbids control characters, but an
 * exploit's A-ASSOCIATE-RQ breaks exactly that rule, and the parser reports it (dicom_assoc.rq_ae_bad_chars) only
 * if the flow is recognised.  The application context UID below keeps the probe specific. */
static bool ae_field_ok(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != 0) /* some implementations pad with NUL */
            return true;
    return false;
}

/*
 * An A-ASSOCIATE-RQ (or, seen first on the server side, -AC): type 0x01, reserved 0x00,
 * a plausible length, protocol version with bit 0 set, two non-empty AE titles, and the
 * first item being the application context 1.2.840.10008.3.1.1.1.  An application context
 * item longer than a UID is still DICOM when it starts with that UID and fits in the PDU (the
 * Horos overflow's shape, Snort 50176): the parser and detection judge it, the probe only
 * recognises the protocol.
 */
enum probe_result dicom_probe(const uint8_t *data, size_t len, int dir)
{
    static const char app_ctx[] = "1.2.840.10008.3.1.1.1";
    uint8_t want = dir == 0 ? DICOM_PDU_ASSOC_RQ : DICOM_PDU_ASSOC_AC;
    if (len < 1)
        return PROBE_MAYBE;
    if (data[0] != want) /* PDU type */
        return PROBE_NO;
    if (len < 2)
        return PROBE_MAYBE;
    if (data[1] != 0) /* reserved */
        return PROBE_NO;
    if (len < 6)
        return PROBE_MAYBE;
    uint32_t plen = rd_be32(data + 2);
    if (plen < 68 + 4 || plen > ASSOC_BODY_MAX) /* fixed part plus at least one item */
        return PROBE_NO;
    if (len < 8)
        return PROBE_MAYBE;
    if ((rd_be16(data + 6) & 1) == 0) /* protocol version bit 0 */
        return PROBE_NO;
    size_t have = len < 42 ? len : 42;
    if (have > 10 && !ae_field_ok(data + 10, (have < 26 ? have : 26) - 10) && have >= 26)
        return PROBE_NO;
    if (len < 42)
        return PROBE_MAYBE;
    if (!ae_field_ok(data + 10, 16) || !ae_field_ok(data + 26, 16)) /* called, calling AE */
        return PROBE_NO;
    if (len < 78)
        return PROBE_MAYBE;
    if (data[74] != 0x10) /* application context item first */
        return PROBE_NO;
    uint16_t ilen = rd_be16(data + 76);
    if (ilen < sizeof(app_ctx) - 1 || ilen > plen - 68 - 4)
        return PROBE_NO;
    size_t cmp = len - 78 < sizeof(app_ctx) - 1 ? len - 78 : sizeof(app_ctx) - 1;
    if (memcmp(data + 78, app_ctx, cmp) != 0)
        return PROBE_NO;
    return cmp == sizeof(app_ctx) - 1 ? PROBE_YES : PROBE_MAYBE;
}

/* ---- state ---------------------------------------------------------------------------------- */

static const struct config_key dicom_keys[] = {
    APP_PROTO_CONFIG_KEYS(struct dicom_cfg, "dicom", "104, 11112, 4242"),
    CONFIG_KEY_U32(struct dicom_cfg, max_pdu, "dicom.max-pdu-length", 4096, 1u << 30, "16777216",
                   "PDU length above which a PDU is reported (pdu_too_large) and association PDUs are not decoded."),
    CONFIG_KEY_U32(struct dicom_cfg, dataset_budget, "dicom.dataset-budget", 256, 16u << 20, "65536",
                   "Data set bytes kept per DIMSE message for the element walker (identifiers, C-STORE headers)."),
    CONFIG_KEY_U32(struct dicom_cfg, max_depth, "dicom.max-depth", 1, 64, "8",
                   "Sequence/item nesting the element walker follows before giving up on a data set."),
};
APP_PROTO_CONFIG_CHECK(struct dicom_cfg);

const struct config_module dicom_config_module = {
    .name = "dicom",
    .keys = dicom_keys,
    .n = sizeof(dicom_keys) / sizeof(dicom_keys[0]),
    .struct_size = sizeof(struct dicom_cfg),
};

static void limits_from_config(struct dicom_limits *lim, const struct dicom_cfg *c, const struct app_phi *phi)
{
    lim->max_pdu = c->max_pdu;
    lim->dataset_budget = c->dataset_budget;
    lim->max_depth = c->max_depth;
    lim->log_phi = phi->log_phi;
    lim->phi_key = phi->key;
    lim->phi_key_len = phi->key ? phi->key_len : 0;
}

static void *dicom_state_new(struct app_ctx *ctx)
{
    struct dicom_state *s = app_alloc(ctx, sizeof(*s));
    if (!s)
        return NULL;
    limits_from_config(&s->lim, app_parser_cfg(ctx->al, APP_DICOM), &ctx->al->phi);
    s->lim.phi_cache = &s->phi_cache;
    s->a.abort_dir = -1;
    return s;
}

static void op_free(struct app_ctx *ctx, struct dicom_op *op)
{
    app_free(ctx, op, sizeof(*op));
}

static void pending_flush(struct app_ctx *ctx, struct dicom_state *s)
{
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < DICOM_MAX_PENDING; i++)
            if (s->pending[d][i]) {
                emit(ctx, s, d, DICOM_EV_DIMSE, s->pending[d][i], NULL);
                op_free(ctx, s->pending[d][i]);
                s->pending[d][i] = NULL;
            }
}

static void msg_reset(struct dicom_msg *m)
{
    m->active = m->cmd_done = m->expect_ds = m->broken = m->bad_ctx_reported = false;
    m->cmd_len = m->ds_len = 0;
    m->ds_total = 0;
    m->pctx_id = 0;
}

static void dicom_state_free(struct app_ctx *ctx, void *state)
{
    struct dicom_state *s = state;
    if (!s)
        return;
    for (int d = 0; d < 2; d++) {
        for (int i = 0; i < DICOM_MAX_PENDING; i++)
            if (s->pending[d][i])
                op_free(ctx, s->pending[d][i]);
        app_free(ctx, s->d[d].body, s->d[d].body_cap);
        app_free(ctx, s->d[d].msg.cmd, s->d[d].msg.cmd_cap);
        app_free(ctx, s->d[d].msg.ds, s->d[d].msg.ds_cap);
    }
    app_free(ctx, s->a.pctx, (size_t)s->a.pctx_cap * sizeof(struct dicom_pctx));
    app_free(ctx, s, sizeof(*s));
}

/* Grow *buf (charged to the app memcap) so that it holds need bytes; false on cap. */
static bool buf_reserve(struct app_ctx *ctx, uint8_t **buf, uint32_t *cap, uint32_t need)
{
    if (need <= *cap)
        return true;
    uint32_t ncap = *cap ? *cap : 1024;
    while (ncap < need)
        ncap = ncap > UINT32_MAX / 2 ? need : ncap * 2;
    uint8_t *nb = app_alloc(ctx, ncap);
    if (!nb)
        return false;
    if (*buf) {
        memcpy(nb, *buf, *cap);
        app_free(ctx, *buf, *cap);
    }
    *buf = nb;
    *cap = ncap;
    return true;
}

/* ---- association control PDUs ---------------------------------------------------------------- */

static void summary(struct app_ctx *ctx, struct dicom_state *s, int dir, const char *end)
{
    if (s->summary_done || s->a.state == DICOM_ASSOC_IDLE)
        return;
    pending_flush(ctx, s);
    s->a.end_us = ctx->ts_us;
    s->summary_done = true;
    emit(ctx, s, dir, DICOM_EV_SUMMARY, NULL, end);
}

static bool pctx_alloc(struct app_ctx *ctx, struct dicom_state *s, const uint8_t *body, uint32_t len)
{
    size_t n = dicom_count_pctx(body, len);
    if (n > DICOM_MAX_PCTX)
        n = DICOM_MAX_PCTX;
    if (n == 0 || s->a.pctx)
        return true;
    s->a.pctx = app_alloc(ctx, n * sizeof(struct dicom_pctx));
    if (!s->a.pctx)
        return false;
    s->a.pctx_cap = (uint16_t)n;
    return true;
}

static void on_assoc_pdu(struct app_ctx *ctx, struct dicom_state *s, int dir, uint8_t type, const uint8_t *body,
                         uint32_t len)
{
    struct dicom_assoc *a = &s->a;
    struct dicom_pdu_result res = {0};
    switch (type) {
    case DICOM_PDU_ASSOC_RQ:
        if (a->state != DICOM_ASSOC_IDLE) {
            /* PS3.8 9.1: one association per transport connection. */
            anomaly(ctx, s, dir, "unexpected_pdu", "A-ASSOCIATE-RQ on a connection that already had one");
            summary(ctx, s, dir, "close");
            app_free(ctx, a->pctx, (size_t)a->pctx_cap * sizeof(struct dicom_pctx));
            uint32_t count = a->assoc_count;
            memset(a, 0, sizeof(*a));
            a->assoc_count = count;
            a->abort_dir = -1;
            s->summary_done = false;
        }
        if (dir != 0)
            anomaly(ctx, s, dir, "unexpected_pdu", "A-ASSOCIATE-RQ sent by the server side");
        a->assoc_count++;
        a->start_us = ctx->ts_us;
        if (!pctx_alloc(ctx, s, body, len))
            anomaly(ctx, s, dir, "memcap", "no memory for the presentation context table");
        dicom_parse_assoc(a, false, body, len, &res);
        a->state = DICOM_ASSOC_REQUESTED;
        if (res.anomaly)
            anomaly(ctx, s, dir, res.anomaly, res.detail);
        emit(ctx, s, dir, DICOM_EV_REQUEST, NULL, NULL);
        break;
    case DICOM_PDU_ASSOC_AC:
        if (a->state != DICOM_ASSOC_REQUESTED)
            anomaly(ctx, s, dir, "unexpected_pdu", "A-ASSOCIATE-AC without a pending A-ASSOCIATE-RQ");
        if (a->state == DICOM_ASSOC_IDLE) {
            a->assoc_count++;
            a->start_us = ctx->ts_us;
        }
        if (!pctx_alloc(ctx, s, body, len))
            anomaly(ctx, s, dir, "memcap", "no memory for the presentation context table");
        dicom_parse_assoc(a, true, body, len, &res);
        a->state = DICOM_ASSOC_ESTABLISHED;
        if (res.anomaly)
            anomaly(ctx, s, dir, res.anomaly, res.detail);
        emit(ctx, s, dir, DICOM_EV_ACCEPT, NULL, NULL);
        break;
    case DICOM_PDU_ASSOC_RJ: {
        struct br b = br_init(body, len);
        br_skip(&b, 1);
        a->rj_result = br_u8(&b);
        a->rj_source = br_u8(&b);
        a->rj_reason = br_u8(&b);
        if (b.err || len != 4)
            anomaly(ctx, s, dir, "bad_pdu_length", "A-ASSOCIATE-RJ length is not 4");
        if (a->state != DICOM_ASSOC_REQUESTED)
            anomaly(ctx, s, dir, "unexpected_pdu", "A-ASSOCIATE-RJ without a pending A-ASSOCIATE-RQ");
        if (a->state == DICOM_ASSOC_IDLE)
            a->start_us = ctx->ts_us;
        a->state = DICOM_ASSOC_REJECTED;
        emit(ctx, s, dir, DICOM_EV_REJECT, NULL, NULL);
        summary(ctx, s, dir, "reject");
        break;
    }
    case DICOM_PDU_RELEASE_RQ:
        if (len != 4)
            anomaly(ctx, s, dir, "bad_pdu_length", "A-RELEASE-RQ length is not 4");
        if (a->state != DICOM_ASSOC_ESTABLISHED && a->state != DICOM_ASSOC_RELEASING)
            anomaly(ctx, s, dir, "unexpected_pdu", "A-RELEASE-RQ outside an established association");
        if (a->state == DICOM_ASSOC_IDLE)
            a->start_us = ctx->ts_us;
        a->state = DICOM_ASSOC_RELEASING;
        break;
    case DICOM_PDU_RELEASE_RP:
        if (len != 4)
            anomaly(ctx, s, dir, "bad_pdu_length", "A-RELEASE-RP length is not 4");
        if (a->state != DICOM_ASSOC_RELEASING)
            anomaly(ctx, s, dir, "unexpected_pdu", "A-RELEASE-RP without an A-RELEASE-RQ");
        if (a->state == DICOM_ASSOC_IDLE)
            a->start_us = ctx->ts_us;
        a->state = DICOM_ASSOC_RELEASED;
        pending_flush(ctx, s);
        emit(ctx, s, dir, DICOM_EV_RELEASE, NULL, NULL);
        summary(ctx, s, dir, "release");
        break;
    case DICOM_PDU_ABORT: {
        struct br b = br_init(body, len);
        br_skip(&b, 2);
        a->abort_source = br_u8(&b);
        a->abort_reason = br_u8(&b);
        a->abort_dir = dir;
        if (b.err || len != 4)
            anomaly(ctx, s, dir, "bad_pdu_length", "A-ABORT length is not 4");
        if (a->state == DICOM_ASSOC_IDLE)
            a->start_us = ctx->ts_us;
        a->state = DICOM_ASSOC_ABORTED;
        pending_flush(ctx, s);
        emit(ctx, s, dir, DICOM_EV_ABORT, NULL, NULL);
        summary(ctx, s, dir, "abort");
        break;
    }
    default: break;
    }
}

/* ---- DIMSE messages ------------------------------------------------------------------------- */

static int pending_find(struct dicom_state *s, int rq_dir, uint16_t msg_id)
{
    for (int i = 0; i < DICOM_MAX_PENDING; i++)
        if (s->pending[rq_dir][i] && s->pending[rq_dir][i]->rq.msg_id == msg_id)
            return i;
    return -1;
}

static void on_message(struct app_ctx *ctx, struct dicom_state *s, int dir, struct dicom_msg *m)
{
    struct dicom_assoc *a = &s->a;
    struct dicom_cmd *c = &m->parsed;
    a->ops_by_cmd[dicom_cmd_index(c->command_field)]++;
    if (!dicom_command_name(c->command_field))
        anomaly(ctx, s, dir, "unknown_command", "DIMSE command field with no meaning in PS3.7 Table E.1-1");

    if (c->command_field == 0x0FFF) { /* C-CANCEL-RQ names the request it cancels */
        int i = pending_find(s, dir, c->msg_id_rsp);
        if (i >= 0)
            s->pending[dir][i]->cancelled = true;
        return;
    }
    if (!dicom_cmd_is_response(c->command_field)) {
        struct dicom_op *op = app_alloc(ctx, sizeof(*op));
        if (!op) {
            anomaly(ctx, s, dir, "memcap", "no memory to keep a DIMSE request");
            return;
        }
        op->has_rq = true;
        op->rq_dir = dir;
        op->pctx_id = m->pctx_id;
        op->rq_ts_us = m->start_us;
        op->rq = *c;
        if (m->expect_ds) {
            const struct dicom_pctx *pc = dicom_find_pctx_const(a, m->pctx_id);
            dicom_walk_dataset(&op->rq_ds, dicom_ts_kind(pc ? pc->accepted_ts : NULL), m->ds, m->ds_len, m->ds_total,
                               &s->lim);
            if (op->rq_ds.malformed)
                anomaly(ctx, s, dir, "dataset_malformed", "data set element walk failed");
        }
        int old = c->has_msg_id ? pending_find(s, dir, c->msg_id) : -1;
        if (old >= 0) {
            anomaly(ctx, s, dir, "duplicate_message_id", "a request reuses the Message ID of one still outstanding");
            emit(ctx, s, dir, DICOM_EV_DIMSE, s->pending[dir][old], NULL);
            op_free(ctx, s->pending[dir][old]);
            s->pending[dir][old] = op;
            return;
        }
        for (int i = 0; i < DICOM_MAX_PENDING; i++)
            if (!s->pending[dir][i]) {
                s->pending[dir][i] = op;
                return;
            }
        anomaly(ctx, s, dir, "too_many_outstanding", "more outstanding DIMSE requests than are tracked");
        emit(ctx, s, dir, DICOM_EV_DIMSE, op, NULL);
        op_free(ctx, op);
        return;
    }

    /* a response: pair it with the request of the other direction */
    enum dicom_status_class cls = dicom_status_class(c->status);
    a->rsp_by_class[cls]++;
    unsigned pk = c->status & 1; /* 0xFF00 or 0xFF01 when cls is pending */
    if (cls == DICOM_STATUS_PENDING)
        a->pending_by_status[pk]++;
    int rq_dir = !dir;
    int i = pending_find(s, rq_dir, c->msg_id_rsp);
    if (i >= 0 && (s->pending[rq_dir][i]->rq.command_field | 0x8000) != c->command_field) {
        anomaly(ctx, s, dir, "response_mismatch", "response command does not match the request it answers");
        i = -1;
    }
    if (i < 0) {
        struct dicom_op op;
        memset(&op, 0, sizeof(op));
        op.has_rsp = true;
        op.rq_dir = rq_dir;
        op.pctx_id = m->pctx_id;
        op.rsp_ts_us = ctx->ts_us;
        op.rsp = *c;
        op.n_rsp = 1;
        op.n_pending = cls == DICOM_STATUS_PENDING;
        op.n_pending_by_status[pk] = op.n_pending;
        emit(ctx, s, dir, DICOM_EV_DIMSE, &op, NULL);
        return;
    }
    struct dicom_op *op = s->pending[rq_dir][i];
    op->n_rsp++;
    op->rsp = *c;
    op->rsp_ts_us = ctx->ts_us;
    op->has_rsp = true;
    if (cls == DICOM_STATUS_PENDING) {
        op->n_pending++;
        op->n_pending_by_status[pk]++;
        return;
    }
    emit(ctx, s, dir, DICOM_EV_DIMSE, op, NULL);
    op_free(ctx, op);
    s->pending[rq_dir][i] = NULL;
}

static void msg_complete(struct app_ctx *ctx, struct dicom_state *s, int dir)
{
    struct dicom_msg *m = &s->d[dir].msg;
    if (!m->broken)
        on_message(ctx, s, dir, m);
    msg_reset(m);
}

static void pctx_check(struct app_ctx *ctx, struct dicom_state *s, int dir, uint8_t id)
{
    struct dicom_msg *m = &s->d[dir].msg;
    if (m->bad_ctx_reported || s->a.state == DICOM_ASSOC_IDLE)
        return; /* midstream: the contexts were never seen */
    const struct dicom_pctx *pc = dicom_find_pctx_const(&s->a, id);
    if (!pc || (pc->answered && pc->result != 0)) {
        m->bad_ctx_reported = true;
        anomaly(ctx, s, dir, "pdv_unknown_context", "PDV on a presentation context that was not accepted");
    }
}

/* Start of a PDV fragment (its header has been read). */
static void pdv_begin(struct app_ctx *ctx, struct dicom_state *s, int dir)
{
    struct dicom_dir *d = &s->d[dir];
    struct dicom_msg *m = &d->msg;
    bool is_cmd = d->pdv_mch & 1;
    s->a.pdvs[dir]++;
    if (d->pdv_mch & 0xFC)
        anomaly(ctx, s, dir, "pdv_reserved_bits", "message control header has reserved bits set");
    if (is_cmd) {
        if (m->active && m->cmd_done) {
            /* the previous message's data set never got its last fragment */
            anomaly(ctx, s, dir, "dataset_incomplete", "command fragment before the last data set fragment");
            msg_complete(ctx, s, dir);
        }
        if (!m->active) {
            m->active = true;
            m->pctx_id = d->pdv_ctx;
            m->start_us = ctx->ts_us;
            pctx_check(ctx, s, dir, d->pdv_ctx);
        }
    } else {
        if (!m->active || !m->cmd_done) {
            if (!m->broken)
                anomaly(ctx, s, dir, "dataset_without_command", "data set fragment without a complete command");
            m->active = true;
            m->broken = true;
        } else if (!m->expect_ds && !m->broken) {
            anomaly(ctx, s, dir, "unexpected_dataset", "data set after a command that announced none");
            m->broken = true;
        }
    }
    if (m->pctx_id != d->pdv_ctx && !m->broken) {
        anomaly(ctx, s, dir, "pdv_context_changed", "fragments of one message on different presentation contexts");
    }
}

static void pdv_bytes(struct app_ctx *ctx, struct dicom_state *s, int dir, const uint8_t *p, uint32_t n)
{
    struct dicom_dir *d = &s->d[dir];
    struct dicom_msg *m = &d->msg;
    if (m->broken)
        return;
    if (d->pdv_mch & 1) {
        if ((uint64_t)m->cmd_len + n > DICOM_MAX_CMD_BYTES) {
            anomaly(ctx, s, dir, "command_too_large", "command set larger than 64 KiB");
            m->broken = true;
            return;
        }
        if (!buf_reserve(ctx, &m->cmd, &m->cmd_cap, m->cmd_len + n)) {
            anomaly(ctx, s, dir, "memcap", "no memory for a command set");
            m->broken = true;
            return;
        }
        memcpy(m->cmd + m->cmd_len, p, n);
        m->cmd_len += n;
    } else {
        m->ds_total += n;
        uint32_t budget = s->lim.dataset_budget;
        if (m->ds_len < budget) {
            uint32_t take = budget - m->ds_len < n ? budget - m->ds_len : n;
            if (!buf_reserve(ctx, &m->ds, &m->ds_cap, m->ds_len + take)) {
                anomaly(ctx, s, dir, "memcap", "no memory for a data set prefix");
                return; /* the walker sees the prefix it has, as if the budget ended there */
            }
            memcpy(m->ds + m->ds_len, p, take);
            m->ds_len += take;
        }
    }
}

static void pdv_end(struct app_ctx *ctx, struct dicom_state *s, int dir)
{
    struct dicom_dir *d = &s->d[dir];
    struct dicom_msg *m = &d->msg;
    if (!(d->pdv_mch & 2))
        return;
    if (d->pdv_mch & 1) {
        if (m->broken) {
            msg_reset(m);
            return;
        }
        const char *why = NULL;
        if (!dicom_parse_command(&m->parsed, m->cmd, m->cmd_len, &why)) {
            anomaly(ctx, s, dir, "command_malformed", why);
            msg_reset(m);
            return;
        }
        m->cmd_done = true;
        /* PS3.7 E.1: 0x0101 means no data set; absent is treated the same */
        m->expect_ds = m->parsed.has_dataset_type && m->parsed.dataset_type != 0x0101;
        if (!m->expect_ds)
            msg_complete(ctx, s, dir);
    } else {
        msg_complete(ctx, s, dir);
    }
}

/* Consume bytes of a P-DATA-TF body: PDV headers and fragments. */
static void pdata_bytes(struct app_ctx *ctx, struct dicom_state *s, int dir, const uint8_t *p, uint32_t n)
{
    struct dicom_dir *d = &s->d[dir];
    while (n > 0 && !d->skip_pdu) {
        if (d->pdv_hdr_len < 6) {
            uint32_t take = 6u - d->pdv_hdr_len < n ? 6u - d->pdv_hdr_len : n;
            memcpy(d->pdv_hdr + d->pdv_hdr_len, p, take);
            d->pdv_hdr_len = (uint8_t)(d->pdv_hdr_len + take);
            p += take;
            n -= take;
            if (d->pdv_hdr_len < 6)
                return;
            d->pdata_left -= take;
            uint32_t item_len = rd_be32(d->pdv_hdr);
            d->pdv_ctx = d->pdv_hdr[4];
            d->pdv_mch = d->pdv_hdr[5];
            if (item_len < 2) {
                anomaly(ctx, s, dir, "pdv_too_short", "PDV item length smaller than its 2-byte header");
                d->msg.broken = true;
                d->skip_pdu = true;
                return;
            }
            d->frag_len = item_len - 2;
            d->frag_off = 0;
            if (d->frag_len > d->pdata_left) {
                anomaly(ctx, s, dir, "pdv_overrun", "PDV length runs past the end of its P-DATA-TF PDU");
                d->msg.broken = true;
                d->skip_pdu = true;
                return;
            }
            pdv_begin(ctx, s, dir);
            if (d->frag_len == 0) {
                pdv_end(ctx, s, dir);
                d->pdv_hdr_len = 0;
            }
            continue;
        }
        uint32_t want = d->frag_len - d->frag_off;
        uint32_t take = want < n ? want : n;
        pdv_bytes(ctx, s, dir, p, take);
        d->frag_off += take;
        d->pdata_left -= take;
        p += take;
        n -= take;
        if (d->frag_off == d->frag_len) {
            pdv_end(ctx, s, dir);
            d->pdv_hdr_len = 0;
        }
    }
}

/* ---- framing -------------------------------------------------------------------------------- */

static void pdu_begin(struct app_ctx *ctx, struct dicom_state *s, int dir)
{
    struct dicom_dir *d = &s->d[dir];
    d->type = d->hdr[0];
    d->len = rd_be32(d->hdr + 2);
    d->off = 0;
    d->in_pdu = true;
    d->skip_pdu = false;
    d->pdv_hdr_len = 0;
    d->pdata_left = d->len;
    if (d->type >= DICOM_PDU_ASSOC_RQ && d->type <= DICOM_PDU_ABORT)
        s->a.pdus[dir][d->type]++;
    else {
        /* out of step (or a false header taken after a gap): search on after this header, quietly.  The
         * search starts with nothing carried, so a header it finds in carried bytes is always at the start
         * of a chunk (the replay in dicom_on_data never nests). */
        anomaly(ctx, s, dir, "unknown_pdu_type", "PDU type outside 0x01-0x07: searching for the next PDU header");
        d->in_pdu = false;
        app_resync_start(&d->rs, false, 0, (uint64_t)s->lim.max_pdu + 65536);
        return;
    }
    if (d->hdr[1] != 0)
        anomaly(ctx, s, dir, "pdu_reserved_nonzero", "reserved byte of the PDU header is not zero");
    if (d->type == DICOM_PDU_P_DATA) {
        if (d->len > s->lim.max_pdu) {
            anomaly(ctx, s, dir, "pdu_too_large", "P-DATA-TF length above dicom.max-pdu-length");
        } else if (!d->max_pdu_reported) {
            /* the limit a peer announced is what it accepts: RQ's for PDUs to the requestor (dir 1) */
            const struct dicom_user_info *ui = dir == 1 ? &s->a.ui_rq : &s->a.ui_ac;
            if (ui->has_max_pdu && ui->max_pdu && d->len > ui->max_pdu) {
                d->max_pdu_reported = true;
                anomaly(ctx, s, dir, "pdu_exceeds_negotiated_max", "P-DATA-TF longer than the peer's maximum length");
            }
        }
        if (s->a.state != DICOM_ASSOC_ESTABLISHED && s->a.state != DICOM_ASSOC_RELEASING &&
            s->a.state != DICOM_ASSOC_IDLE)
            anomaly(ctx, s, dir, "unexpected_pdu", "P-DATA-TF outside an established association");
        if (d->len == 0)
            d->in_pdu = false;
        return;
    }
    if (d->len > ASSOC_BODY_MAX || d->len > s->lim.max_pdu) {
        anomaly(ctx, s, dir, "pdu_too_large", "association control PDU too large to decode: skipped");
        d->skip_pdu = true;
        return;
    }
    if (!buf_reserve(ctx, &d->body, &d->body_cap, d->len ? d->len : 1)) {
        anomaly(ctx, s, dir, "memcap", "no memory for an association PDU: skipped");
        d->skip_pdu = true;
        return;
    }
    if (d->len == 0) {
        on_assoc_pdu(ctx, s, dir, d->type, d->body, 0);
        d->in_pdu = false;
    }
}

/* Bytes of a direction that is in step with the PDU framing; returns those used (all, unless a header was bad). */
static size_t dicom_frame(struct app_ctx *ctx, struct dicom_state *s, int dir, const uint8_t *data, size_t len)
{
    struct dicom_dir *d = &s->d[dir];
    size_t len0 = len;
    while (len > 0 && !d->dead && !d->rs.active) {
        if (!d->in_pdu) {
            size_t take = 6u - d->hdr_len < len ? 6u - d->hdr_len : len;
            memcpy(d->hdr + d->hdr_len, data, take);
            d->hdr_len = (uint8_t)(d->hdr_len + take);
            data += take;
            len -= take;
            if (d->hdr_len < 6)
                break;
            d->hdr_len = 0;
            pdu_begin(ctx, s, dir);
            continue;
        }
        uint32_t want = d->len - d->off;
        uint32_t take = want < len ? want : (uint32_t)len;
        if (!d->skip_pdu) {
            if (d->type == DICOM_PDU_P_DATA)
                pdata_bytes(ctx, s, dir, data, take);
            else
                memcpy(d->body + d->off, data, take);
        }
        d->off += take;
        data += take;
        len -= take;
        if (d->off == d->len) {
            d->in_pdu = false;
            if (d->type == DICOM_PDU_P_DATA) {
                if (d->pdv_hdr_len != 0 && !d->skip_pdu) {
                    anomaly(ctx, s, dir, "pdv_overrun", "PDV runs past the end of its P-DATA-TF PDU");
                    d->msg.broken = true;
                }
                d->pdv_hdr_len = 0;
            } else if (!d->skip_pdu) {
                on_assoc_pdu(ctx, s, dir, d->type, d->body, d->len);
            }
        }
    }
    return len0 - len;
}

struct dicom_resync_arg {
    int dir;
    const struct dicom_state *s;
};

/*
 * Resync check: a PDU header (PS3.8 9.3.1) that this direction could send next at p[0]:
 *   type 0x01-0x07 of this direction (RQ from the requestor before an association, AC/RJ from the acceptor
 *   answering one; P-DATA-TF, RELEASE and ABORT from either), reserved byte 0, length within
 *   dicom.max-pdu-length: exactly 4 for RJ/RELEASE/ABORT (reserved bytes 0, known source), 68 and more
 *   for RQ/AC (protocol version 1), and for a P-DATA-TF at least one PDV item (PS3.8 9.3.5.1): length
 *   >= 2 and inside the PDU, an odd presentation context id that was accepted (when the association is
 *   known), control header reserved bits 0, the items' lengths adding up to the PDU length as far as
 *   they are in hand; then, if in hand, a PDU header again right after.
 */
static enum app_resync_verdict dicom_resync_check(const void *arg, const uint8_t *p, size_t avail)
{
    const struct dicom_resync_arg *ra = arg;
    const struct dicom_state *s = ra->s;
    uint8_t type = p[0];
    if (type < DICOM_PDU_ASSOC_RQ || type > DICOM_PDU_ABORT)
        return APP_RESYNC_NO;
    bool before = s->a.state == DICOM_ASSOC_IDLE || s->a.state == DICOM_ASSOC_REQUESTED;
    if (type == DICOM_PDU_ASSOC_RQ && (ra->dir != 0 || !before))
        return APP_RESYNC_NO;
    if ((type == DICOM_PDU_ASSOC_AC || type == DICOM_PDU_ASSOC_RJ) && (ra->dir != 1 || !before))
        return APP_RESYNC_NO;
    struct br b = br_init(p, avail);
    br_skip(&b, 1);
    uint8_t reserved = br_u8(&b);
    if (avail > 1 && reserved != 0)
        return APP_RESYNC_NO;
    uint32_t len = br_be32(&b);
    const uint8_t *f = br_take(&b, 4); /* the first 4 bytes of the body */
    if (!f)
        return APP_RESYNC_MORE;
    if (len > s->lim.max_pdu)
        return APP_RESYNC_NO;
    switch (type) {
    case DICOM_PDU_ASSOC_RQ:
    case DICOM_PDU_ASSOC_AC:
        if (len < 68 || len > ASSOC_BODY_MAX || rd_be16(f) != 1)
            return APP_RESYNC_NO;
        break;
    case DICOM_PDU_ASSOC_RJ: /* reserved, result 1-2, source 1-3, reason */
        if (len != 4 || f[0] != 0 || f[1] < 1 || f[1] > 2 || f[2] < 1 || f[2] > 3)
            return APP_RESYNC_NO;
        break;
    case DICOM_PDU_RELEASE_RQ:
    case DICOM_PDU_RELEASE_RP:
        if (len != 4 || rd_be32(f) != 0)
            return APP_RESYNC_NO;
        break;
    case DICOM_PDU_ABORT: /* reserved, reserved, source 0 or 2, reason */
        if (len != 4 || f[0] != 0 || f[1] != 0 || (f[2] != 0 && f[2] != 2))
            return APP_RESYNC_NO;
        break;
    default: { /* P-DATA-TF: walk the PDV item headers that are in hand */
        if (len < 6)
            return APP_RESYNC_NO;
        bool whole = avail - 6 >= len;
        struct br pb = br_init(p + 6, whole ? len : avail - 6);
        uint32_t at = 0;
        while (at < len) {
            uint32_t ilen = br_be32(&pb);
            uint8_t ctx_id = br_u8(&pb);
            uint8_t mch = br_u8(&pb);
            if (pb.err && whole)
                return APP_RESYNC_NO; /* bytes left over that are not a whole item header */
            if (pb.err)
                return at == 0 ? APP_RESYNC_MORE : APP_RESYNC_YES;
            if (ilen < 2 || ilen > len - at - 4 || (ctx_id & 1) == 0 || (mch & 0xfc))
                return APP_RESYNC_NO;
            const struct dicom_pctx *pc = dicom_find_pctx_const(&s->a, ctx_id);
            if (s->a.n_pctx && (!pc || (pc->answered && pc->result != 0)))
                return APP_RESYNC_NO;
            at += 4 + ilen;
            br_skip(&pb, ilen - 2);
            if (pb.err)
                return APP_RESYNC_YES; /* the rest of the PDU is not in hand */
        }
        break;
    }
    }
    /* the next PDU header, where it is in hand */
    struct br nx = br_init(p, avail);
    br_skip(&nx, 6 + (size_t)len);
    if (br_left(&nx) >= 1) {
        const uint8_t *q = br_ptr(&nx);
        if (q[0] < DICOM_PDU_ASSOC_RQ || q[0] > DICOM_PDU_ABORT || (br_left(&nx) >= 2 && q[1] != 0))
            return APP_RESYNC_NO;
    }
    return APP_RESYNC_YES;
}

static void dicom_on_data(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len)
{
    struct dicom_state *s = state;
    dir = dir ? 1 : 0;
    struct dicom_dir *d = &s->d[dir];
    s->a.bytes[dir] += len;
    struct app_resync_input in;
    app_resync_input_init(&in, data, len);
    while (app_resync_input_more(&in)) {
        if (d->dead)
            return;
        if (!d->rs.active) {
            app_resync_input_take(&in, dicom_frame(ctx, s, dir, in.p, in.n));
            continue;
        }
        struct dicom_resync_arg ra = {dir, s};
        enum app_resync_result r = app_resync_scan(ctx, &d->rs, &in, dicom_resync_check, &ra, -1);
        if (r == APP_RESYNC_SEARCHING)
            return;
        s->a.anomalies++;
        app_resync_report(ctx, &d->rs, dir, r, "DICOM");
        if (r == APP_RESYNC_GAVE_UP) {
            d->dead = true;
            return;
        }
        d->in_pdu = false;
        d->hdr_len = 0;
    }
}

/* The DIMSE message being assembled in dir is lost with the gap. */
static void gap_drop_message(struct app_ctx *ctx, struct dicom_state *s, int dir)
{
    struct dicom_dir *d = &s->d[dir];
    if (d->msg.active && ctx->al && ctx->al->stats)
        ctx->al->stats->app_gap_dropped++;
    d->pdv_hdr_len = 0;
    msg_reset(&d->msg);
}

static void dicom_on_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    struct dicom_state *s = state;
    dir = dir ? 1 : 0;
    struct dicom_dir *d = &s->d[dir];
    if (d->dead)
        return;
    if (d->rs.active) {
        app_resync_start(&d->rs, true, len, (uint64_t)s->lim.max_pdu + 65536); /* one search, one report */
        return;
    }
    if (d->in_pdu && len < (uint64_t)(d->len - d->off)) {
        /* the PDU framing survives: lose the PDU (and the message), resume at the next PDU */
        anomaly(ctx, s, dir, "gap_in_pdu", "bytes lost inside a PDU: PDU and message dropped, resuming at next PDU");
        d->off += (uint32_t)len;
        d->skip_pdu = true;
        gap_drop_message(ctx, s, dir);
        return;
    }
    if (d->in_pdu && len == (uint64_t)(d->len - d->off)) {
        anomaly(ctx, s, dir, "gap_in_pdu", "bytes lost at the end of a PDU: resuming at the next PDU");
        d->in_pdu = false;
        gap_drop_message(ctx, s, dir);
        return;
    }
    /* a header was lost: search for the next one */
    gap_drop_message(ctx, s, dir);
    d->in_pdu = false;
    d->hdr_len = 0;
    app_resync_start(&d->rs, true, len, (uint64_t)s->lim.max_pdu + 65536);
}

static void dicom_on_close(struct app_ctx *ctx, void *state)
{
    struct dicom_state *s = state;
    for (int dir = 0; dir < 2; dir++) {
        struct dicom_dir *d = &s->d[dir];
        if (d->rs.active && !d->dead)
            app_resync_report(ctx, &d->rs, dir, APP_RESYNC_SEARCHING, "DICOM");
        else if ((d->in_pdu || d->hdr_len) && !d->dead && s->a.state != DICOM_ASSOC_IDLE)
            anomaly(ctx, s, dir, "truncated_pdu", "connection ended inside a PDU");
        msg_reset(&d->msg);
    }
    if (s->a.state == DICOM_ASSOC_IDLE)
        pending_flush(ctx, s);
    summary(ctx, s, 0, "close");
}

const struct app_parser app_parser_dicom = {
    .name = "dicom",
    .proto = APP_DICOM,
    .ipproto = 6,
    .config = &dicom_config_module,
    .probe = dicom_probe,
    .state_new = dicom_state_new,
    .state_free = dicom_state_free,
    .on_data = dicom_on_data,
    .on_gap = dicom_on_gap,
    .on_close = dicom_on_close,
};
