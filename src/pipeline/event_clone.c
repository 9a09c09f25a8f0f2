/*
 * event_clone.c - deep copies of worker events (see owned_event.h).
 *
 * Each copier below runs twice over the same event: once to measure (the
 * buffer has no memory yet, nothing is written, only sizes are added up) and
 * once to copy into the one allocation of exactly that size, fixing up every
 * pointer as it goes.  So the size and the copy cannot disagree, and a body
 * type has exactly one place that knows what it points to: its copier here.
 * Every body is bounded (fixed-size structs, strings capped by their parsers),
 * so an owned event is too (the largest, a DNS answer, is about 14 KB).
 */
#include "pipeline/owned_event.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "app/dicom/dicom.h"
#include "app/dns/dns.h"
#include "app/hl7/hl7.h"
#include "app/http/http.h"
#include "app/smb/ntlmssp.h"
#include "app/smb/smb.h"
#include "app/tls/tls.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "files/files.h"
#include "flow/flow.h"

/* Measuring (base NULL) or copying into base[0..cap). */
struct clone_buf {
    uint8_t *base;
    size_t used, cap;
};

/* Room for n bytes at the given alignment; the copy of src there, or NULL while measuring (or for a NULL src). */
static void *cb_put_align(struct clone_buf *b, const void *src, size_t n, size_t align)
{
    if (!src)
        return NULL;
    size_t off = (b->used + align - 1) & ~(align - 1);
    b->used = off + n;
    if (!b->base || b->used > b->cap)
        return NULL;
    memcpy(b->base + off, src, n);
    return b->base + off;
}

static void *cb_put(struct clone_buf *b, const void *src, size_t n)
{
    return cb_put_align(b, src, n, alignof(max_align_t));
}

static const char *cb_str(struct clone_buf *b, const char *s)
{
    return s ? cb_put_align(b, s, strlen(s) + 1, 1) : NULL;
}

/* Set dst->field to the value of expr, which is evaluated in both passes (it may add to the size). */
#define FIX(dst, field, expr)                     \
    do {                                          \
        __typeof__((dst)->field) fix_v_ = (expr); \
        if (dst)                                  \
            (dst)->field = fix_v_;                \
    } while (0)

/* ---- the common parts: flow and packet snapshots ---------------------------------------------------------- */

/* The whole struct flow, its two TCP stream records copied beside it; every link into the worker NULL. */
static struct flow *clone_flow(struct clone_buf *b, const struct flow *f)
{
    struct flow *d = cb_put(b, f, sizeof(*f));
    struct tcp_stream *st = f->stream ? cb_put(b, f->stream, 2 * sizeof(*f->stream)) : NULL;
    if (!d)
        return NULL;
    d->stream = st;
    if (st)
        st[0].ooo = st[1].ooo = NULL;
    d->held_prev = d->held_next = NULL;
    d->app.parser = NULL;
    d->app.state = NULL;
    d->app.probe_buf[0] = d->app.probe_buf[1] = NULL;
    d->hnext = d->lru_prev = d->lru_next = NULL;
    return d;
}

/* The decoded fields of a packet (decode anomalies outside a flow).  The bytes are not kept: l3, payload and the
 * packet are NULL; l4, which consumers test for "a transport header was decoded", points at the copy itself with
 * l4_len 0 so that the test still answers the same. */
static struct decoded *clone_decoded(struct clone_buf *b, const struct decoded *s)
{
    struct decoded *d = cb_put(b, s, sizeof(*s));
    if (!d)
        return NULL;
    d->pkt = NULL;
    d->next_p = NULL;
    d->next_len = 0;
    d->l3 = NULL;
    d->l3_len = 0;
    d->l4 = s->l4 ? (const uint8_t *)d : NULL;
    d->l4_len = 0;
    d->payload = NULL;
    d->payload_len = 0;
    return d;
}

/* ---- one copier per body type ------------------------------------------------------------------------------ */

static void *clone_anomaly(struct clone_buf *b, const void *body)
{
    const struct anomaly_event *s = body;
    struct anomaly_event *d = cb_put(b, s, sizeof(*s));
    FIX(d, type, cb_str(b, s->type));
    FIX(d, layer, cb_str(b, s->layer));
    FIX(d, event, cb_str(b, s->event));
    FIX(d, detail, cb_str(b, s->detail));
    return d;
}

static void *clone_dicom(struct clone_buf *b, const void *body)
{
    const struct dicom_event *s = body;
    struct dicom_event *d = cb_put(b, s, sizeof(*s));
    if (s->assoc) {
        const struct dicom_assoc *sa = s->assoc;
        struct dicom_assoc *a = cb_put(b, sa, sizeof(*sa));
        uint16_t n = sa->pctx ? sa->n_pctx : 0;
        FIX(a, pctx, n ? cb_put(b, sa->pctx, n * sizeof(*sa->pctx)) : NULL);
        FIX(a, pctx_cap, n); /* only the contexts kept are copied */
        FIX(d, assoc, a);
    }
    FIX(d, op, cb_put(b, s->op, sizeof(*s->op)));
    FIX(d, end, cb_str(b, s->end));
    return d;
}

static void *clone_smb(struct clone_buf *b, const void *body)
{
    const struct smb_event *s = body;
    struct smb_event *d = cb_put(b, s, sizeof(*s));
    FIX(d, command_name, cb_str(b, s->command_name));
    FIX(d, dialect, cb_str(b, s->dialect));
    for (size_t i = 0; i < s->n_client_dialects && i < SMB_MAX_DIALECTS; i++)
        FIX(d, client_dialects[i], cb_str(b, s->client_dialects[i]));
    FIX(d, server_guid, cb_put_align(b, s->server_guid, 16, 1));
    FIX(d, ntlmssp, cb_put(b, s->ntlmssp, sizeof(*s->ntlmssp)));
    FIX(d, req_native_os, cb_str(b, s->req_native_os));
    FIX(d, req_native_lm, cb_str(b, s->req_native_lm));
    FIX(d, resp_native_os, cb_str(b, s->resp_native_os));
    FIX(d, resp_native_lm, cb_str(b, s->resp_native_lm));
    FIX(d, share, cb_str(b, s->share));
    FIX(d, filename, cb_str(b, s->filename));
    FIX(d, fid, s->fid_len ? cb_put_align(b, s->fid, s->fid_len, 1) : NULL);
    FIX(d, rename_to, cb_str(b, s->rename_to));
    FIX(d, subcommand, cb_str(b, s->subcommand));
    return d;
}

static void *clone_dcerpc(struct clone_buf *b, const void *body)
{
    const struct dcerpc_event *s = body;
    struct dcerpc_event *d = cb_put(b, s, sizeof(*s));
    FIX(d, pipe, cb_str(b, s->pipe));
    for (size_t i = 0; i < s->n_ctx && i < DCERPC_MAX_BIND_CTX; i++)
        FIX(d, ctx[i].name, cb_str(b, s->ctx[i].name));
    FIX(d, iface_name, cb_str(b, s->iface_name));
    FIX(d, iface_uuid, cb_put(b, s->iface_uuid, sizeof(*s->iface_uuid)));
    FIX(d, op_name, cb_str(b, s->op_name));
    FIX(d, svcctl, cb_put(b, s->svcctl, sizeof(*s->svcctl)));
    FIX(d, atsvc, cb_put(b, s->atsvc, sizeof(*s->atsvc)));
    FIX(d, srvsvc, cb_put(b, s->srvsvc, sizeof(*s->srvsvc)));
    FIX(d, ntlmssp, cb_put(b, s->ntlmssp, sizeof(*s->ntlmssp)));
    return d;
}

static void *clone_fileinfo(struct clone_buf *b, const void *body)
{
    const struct fileinfo_event *s = body;
    struct fileinfo_event *d = cb_put(b, s, sizeof(*s));
    FIX(d, filename, cb_str(b, s->filename));
    FIX(d, share, cb_str(b, s->share));
    FIX(d, source, cb_str(b, s->source));
    FIX(d, head, s->head_len ? cb_put_align(b, s->head, s->head_len, 1) : NULL);
    FIX(d, magic, cb_str(b, s->magic));
    /* the YARA matches of the scan at close (the worker's buffer, reused by the next file) */
    FIX(d, yara, s->n_yara && s->yara ? cb_put(b, s->yara, s->n_yara * sizeof(*s->yara)) : NULL);
    return d;
}

static void *clone_tls(struct clone_buf *b, const void *body)
{
    const struct tls_event *s = body;
    struct tls_event *d = cb_put(b, s, sizeof(*s));
    FIX(d, s, cb_put(b, s->s, sizeof(*s->s)));
    return d;
}

static void *clone_http(struct clone_buf *b, const void *body)
{
    const struct http_event *s = body;
    struct http_event *d = cb_put(b, s, sizeof(*s));
    FIX(d, tx, cb_put(b, s->tx, sizeof(*s->tx)));
    return d;
}

static void *clone_hl7(struct clone_buf *b, const void *body)
{
    const struct hl7_event *s = body;
    struct hl7_event *d = cb_put(b, s, sizeof(*s));
    FIX(d, msg, cb_put(b, s->msg, sizeof(*s->msg)));
    return d;
}

/* A string of a DNS record: inside the message's text arena it moves with the copied arena (rdata may hold NUL
 * bytes, so its length comes from the record); anywhere else it is copied. */
static const char *dns_text(struct clone_buf *b, const struct dns_msg *s, const struct dns_msg *d, const char *p,
                            size_t len_or_0)
{
    if (!p)
        return NULL;
    if (p >= s->arena && p < s->arena + sizeof(s->arena))
        return d ? d->arena + (p - s->arena) : NULL;
    return len_or_0 ? cb_put_align(b, p, len_or_0 + 1, 1) : cb_str(b, p);
}

static void dns_rr_fix(struct clone_buf *b, const struct dns_msg *sm, struct dns_msg *dm, const struct dns_rr *s,
                       struct dns_rr *d)
{
    FIX(d, rrname, dns_text(b, sm, dm, s->rrname, 0));
    FIX(d, rdata, dns_text(b, sm, dm, s->rdata, s->rdata_len));
    FIX(d, soa_rname, dns_text(b, sm, dm, s->soa_rname, 0));
}

static void *clone_dns(struct clone_buf *b, const void *body)
{
    const struct dns_event *s = body;
    struct dns_event *d = cb_put(b, s, sizeof(*s));
    if (s->msg) {
        const struct dns_msg *sm = s->msg;
        struct dns_msg *dm = cb_put(b, sm, sizeof(*sm));
        for (uint16_t i = 0; i < sm->n_answers && i < DNS_MAX_ANSWERS; i++)
            dns_rr_fix(b, sm, dm, &sm->answers[i], dm ? &dm->answers[i] : NULL);
        for (uint16_t i = 0; i < sm->n_auth && i < DNS_MAX_AUTH; i++)
            dns_rr_fix(b, sm, dm, &sm->auth[i], dm ? &dm->auth[i] : NULL);
        FIX(dm, malformed, cb_str(b, sm->malformed));
        FIX(dm, rdata_anomaly, cb_str(b, sm->rdata_anomaly));
        FIX(d, msg, dm);
    }
    FIX(d, rrname, cb_str(b, s->rrname));
    return d;
}

/* Flat: the only pointers are to the static signature table and static strings (file_direction too); the YARA
 * fields are arrays. */
static void *clone_alert(struct clone_buf *b, const void *body)
{
    return cb_put(b, body, sizeof(struct alert_event));
}

typedef void *(*body_clone_fn)(struct clone_buf *b, const void *body);

/* EVENT_FLOW's body is the flow itself; EVENT_ASSET and EVENT_STATS are made on the correlator, never cloned. */
static const body_clone_fn body_clone[EVENT__COUNT] = {
    [EVENT_ANOMALY] = clone_anomaly, [EVENT_DICOM] = clone_dicom,       [EVENT_SMB] = clone_smb,
    [EVENT_DCERPC] = clone_dcerpc,   [EVENT_FILEINFO] = clone_fileinfo, [EVENT_TLS] = clone_tls,
    [EVENT_ALERT] = clone_alert,     [EVENT_HTTP] = clone_http,         [EVENT_DNS] = clone_dns,
    [EVENT_HL7] = clone_hl7,
};

static bool clonable(const struct event *ev)
{
    if ((unsigned)ev->type >= EVENT__COUNT)
        return false;
    if (ev->type == EVENT_FLOW)
        return ev->flow && ev->body == ev->flow;
    return body_clone[ev->type] != NULL;
}

/* Both passes: the owned_event header, then its parts. */
static struct owned_event *clone_into(struct clone_buf *b, const struct event *ev)
{
    struct owned_event *oe = cb_put(b, &(struct owned_event){0}, sizeof(struct owned_event));
    struct flow *f = ev->flow ? clone_flow(b, ev->flow) : NULL;
    struct decoded *d = ev->pkt ? clone_decoded(b, ev->pkt) : NULL;
    const void *body = NULL;
    if (ev->type == EVENT_FLOW)
        body = f;
    else if (ev->body)
        body = body_clone[ev->type](b, ev->body);
    if (!oe)
        return NULL;
    oe->kind = OWNED_EVENT;
    oe->decode_kind = -1;
    oe->ev = *ev;
    oe->ev.flow = f;
    oe->ev.pkt = d;
    oe->ev.body = body;
    return oe;
}

size_t event_clone_size(const struct event *ev)
{
    if (!clonable(ev))
        return 0;
    struct clone_buf b = {0};
    clone_into(&b, ev);
    return b.used;
}

struct owned_event *event_clone(const struct event *ev)
{
    size_t n = event_clone_size(ev);
    if (!n)
        return NULL;
    struct clone_buf b = {.base = malloc(n), .cap = n};
    if (!b.base)
        return NULL;
    struct owned_event *oe = clone_into(&b, ev);
    oe->size = n;
    return oe;
}

struct owned_event *owned_tick_new(uint64_t ts_us)
{
    struct owned_event *oe = calloc(1, sizeof(*oe));
    if (!oe)
        return NULL;
    oe->kind = OWNED_TICK;
    oe->decode_kind = -1;
    oe->size = sizeof(*oe);
    oe->ev.ts_us = ts_us;
    oe->ev.type = EVENT_STATS; /* not published: a tick has no event */
    oe->ev.dir = EVENT_DIR_NONE;
    return oe;
}
