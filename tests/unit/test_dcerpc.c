/*
 * test_dcerpc.c - the DCE/RPC layer fed PDUs built from the C706 12.6 /
 * MS-RPCE 2.2.2 layouts and NDR stubs built from the MS-SCMR 3.1.4 IDL:
 * NDR conformant varying strings (valid, max_count < actual_count, offsets,
 * odd lengths and alignment, missing NUL, huge counts), fragment reassembly
 * (first/middle/last, the stub cap), bind with several contexts and the
 * bind_ack results, faults with status names, the header-only PDU split
 * across chunks (a no-progress loop found by fuzz_dcerpc, fixed in 1729011),
 * the svcctl CreateServiceW stub, and the svcctl handle table (handles
 * returned by OpenSCManagerW/OpenServiceW/CreateServiceW name the service of
 * later StartServiceW/ControlService/DeleteService/QueryServiceStatus calls),
 * the auth verifier (auth_type/auth_level, NTLMSSP over bind/bind_ack/AUTH3 and
 * over SPNEGO in an alter context, verifiers that do not fit their PDU),
 * and the interface table: every named interface's UUID, name and the length
 * of its operation table (the specification's last opnum + 1), exact UUID
 * matching in wire byte order, operation names carried into the events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "app/app.h"
#include "app/dcerpc/dcerpc.h"
#include "core/stats.h"

/* ---- a recording harness ---- */
#define MAXREC 64
struct rec_ev {
    uint8_t ptype, resp_ptype;
    uint16_t opnum;
    uint32_t call_id;
    char iface[32], op[48];
    bool fault;
    uint32_t fault_status;
    uint32_t req_frags;
    uint64_t req_stub;
    size_t n_ctx;
    struct {
        char name[32];
        bool has_result;
        uint16_t result, reason, ver_major;
    } ctx[DCERPC_MAX_BIND_CTX];
    bool has_svcctl;
    struct dcerpc_svcctl svcctl;
    bool has_auth, has_ntlm;
    uint8_t auth_type, auth_level;
    struct ntlmssp_info ntlm;
};

struct rec {
    int n, anomalies;
    char last_anomaly[64];
    struct rec_ev e[MAXREC];
};

static void copy(char *d, size_t cap, const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l >= cap)
        l = cap - 1;
    if (l)
        memcpy(d, s, l);
    d[l] = '\0';
}

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_ANOMALY) {
        const struct anomaly_event *a = ev->body;
        r->anomalies++;
        copy(r->last_anomaly, sizeof(r->last_anomaly), a->event);
        return;
    }
    if (ev->type != EVENT_DCERPC || r->n >= MAXREC)
        return;
    const struct dcerpc_event *d = ev->body;
    struct rec_ev *e = &r->e[r->n++];
    memset(e, 0, sizeof(*e));
    e->ptype = d->ptype;
    e->resp_ptype = d->resp_ptype;
    e->opnum = d->opnum;
    e->call_id = d->call_id;
    copy(e->iface, sizeof(e->iface), d->iface_name);
    copy(e->op, sizeof(e->op), d->op_name);
    e->fault = d->fault;
    e->fault_status = d->fault_status;
    e->req_frags = d->req_frags;
    e->req_stub = d->req_stub_len;
    e->n_ctx = d->n_ctx;
    for (size_t i = 0; i < d->n_ctx && i < DCERPC_MAX_BIND_CTX; i++) {
        copy(e->ctx[i].name, sizeof(e->ctx[i].name), d->ctx[i].name);
        e->ctx[i].has_result = d->ctx[i].has_result;
        e->ctx[i].result = d->ctx[i].result;
        e->ctx[i].reason = d->ctx[i].reason;
        e->ctx[i].ver_major = d->ctx[i].ver_major;
    }
    if (d->svcctl) {
        e->has_svcctl = true;
        e->svcctl = *d->svcctl;
    }
    e->has_auth = d->has_auth;
    e->auth_type = d->auth_type;
    e->auth_level = d->auth_level;
    if (d->ntlmssp) {
        e->has_ntlm = true;
        e->ntlm = *d->ntlmssp;
    }
}

struct harness {
    struct app_layer al;
    struct anomaly_ctx anomalies; /* the app layer's limiter: the engine's part here */
    struct app_ctx ctx;
    struct event_bus bus;
    struct stats stats;
    struct rec rec;
    struct dcerpc_conn *c;
};

static struct harness *h_new(void)
{
    struct harness *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    struct app_cfg acfg = {.probe_depth = 4096, .memcap = 64u << 20};
    assert_int_equal(app_layer_init(&h->al, &acfg, &h->stats, &h->bus, NULL), 0); /* dcerpc's defaults */
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    event_bus_subscribe(&h->bus, EVENT_MASK_ALL, on_event, &h->rec);
    h->ctx.al = &h->al;
    h->c = dcerpc_conn_new(&h->ctx, DCERPC_TRANSPORT_SMB, "svcctl");
    assert_non_null(h->c);
    return h;
}

static void h_free(struct harness *h)
{
    dcerpc_conn_free(&h->ctx, h->c);
    assert_int_equal(h->al.mc.used, 0); /* every allocation returned */
    app_layer_free(&h->al);
    free(h);
}

static void feed(struct harness *h, int dir, const uint8_t *p, size_t n, size_t step)
{
    if (!step)
        step = n;
    for (size_t o = 0; o < n; o += step)
        dcerpc_conn_feed(&h->ctx, h->c, dir, p + o, n - o < step ? n - o : step);
}

static const struct rec_ev *find_op(const struct rec *r, const char *op, int nth)
{
    for (int i = 0; i < r->n; i++)
        if (r->e[i].ptype == DCERPC_REQUEST && strcmp(r->e[i].op, op) == 0 && nth-- == 0)
            return &r->e[i];
    return NULL;
}

/* ---- little-endian builders ---- */
struct buf {
    uint8_t b[1 << 17];
    size_t n;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}
static void b_u8(struct buf *b, uint8_t v)
{
    b->b[b->n++] = v;
}
static void b_u16(struct buf *b, uint16_t v)
{
    put16(b->b + b->n, v);
    b->n += 2;
}
static void b_u32(struct buf *b, uint32_t v)
{
    put32(b->b + b->n, v);
    b->n += 4;
}
static void b_bytes(struct buf *b, const void *p, size_t n)
{
    if (n)
        memcpy(b->b + b->n, p, n);
    b->n += n;
}
static void b_align4(struct buf *b)
{
    while (b->n % 4)
        b->b[b->n++] = 0;
}

/* NDR [string] wchar_t*: max_count, offset, actual_count, UTF-16LE units (ASCII here), aligned after. */
static void ndr_wstr_raw(struct buf *b, const char *s, uint32_t max, uint32_t offset, uint32_t actual, bool nul)
{
    b_align4(b);
    b_u32(b, max);
    b_u32(b, offset);
    b_u32(b, actual);
    for (const char *q = s; *q; q++)
        b_u16(b, (uint16_t)(unsigned char)*q);
    if (nul)
        b_u16(b, 0);
}

static void ndr_wstr(struct buf *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s) + 1;
    ndr_wstr_raw(b, s, n, 0, n, true);
}

static void ndr_handle(struct buf *b, uint8_t tag)
{
    b_align4(b);
    b_u32(b, 0);
    for (int i = 0; i < 16; i++)
        b_u8(b, (uint8_t)(tag + i));
}

/* PDU: common header [C706 12.6.3.1], little-endian drep, then body. */
static void pdu(struct buf *out, uint8_t ptype, uint8_t flags, uint32_t call_id, const uint8_t *body, size_t n)
{
    size_t at = out->n;
    b_u8(out, 5);
    b_u8(out, 0);
    b_u8(out, ptype);
    b_u8(out, flags);
    b_u32(out, 0x10);
    b_u16(out, (uint16_t)(16 + n));
    b_u16(out, 0);
    b_u32(out, call_id);
    b_bytes(out, body, n);
    (void)at;
}

static void request(struct buf *out, uint8_t flags, uint32_t call_id, uint16_t ctx_id, uint16_t opnum,
                    const uint8_t *stub, size_t n)
{
    struct buf *b = calloc(1, sizeof(*b));
    b_u32(b, (uint32_t)n);
    b_u16(b, ctx_id);
    b_u16(b, opnum);
    b_bytes(b, stub, n);
    pdu(out, DCERPC_REQUEST, flags, call_id, b->b, b->n);
    free(b);
}

static void response(struct buf *out, uint32_t call_id, const uint8_t *stub, size_t n)
{
    struct buf *b = calloc(1, sizeof(*b));
    b_u32(b, (uint32_t)n);
    b_u16(b, 0);
    b_u8(b, 0);
    b_u8(b, 0);
    b_bytes(b, stub, n);
    pdu(out, DCERPC_RESPONSE, 3, call_id, b->b, b->n);
    free(b);
}

static const uint8_t SVCCTL_UUID[16] = {0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35,
                                        0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03};
static const uint8_t SAMR_UUID[16] = {0x78, 0x57, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab,
                                      0xef, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xac};
static const uint8_t NDR_UUID[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                     0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};

/* bind [C706 12.6.4.3] with n contexts: ctx i has id i and abstract syntax uuids[i] v2.0 */
static void bind(struct buf *out, uint32_t call_id, const uint8_t (*uuids)[16], size_t n)
{
    struct buf *b = calloc(1, sizeof(*b));
    b_u16(b, 4280);
    b_u16(b, 4280);
    b_u32(b, 0);
    b_u8(b, (uint8_t)n);
    b_u8(b, 0);
    b_u16(b, 0);
    for (size_t i = 0; i < n; i++) {
        b_u16(b, (uint16_t)i);
        b_u8(b, 1);
        b_u8(b, 0);
        b_bytes(b, uuids[i], 16);
        b_u16(b, 2);
        b_u16(b, 0);
        b_bytes(b, NDR_UUID, 16);
        b_u32(b, 2);
    }
    pdu(out, DCERPC_BIND, 3, call_id, b->b, b->n);
    free(b);
}

/* bind_ack [C706 12.6.4.4]: sec_addr "\PIPE\svcctl", align 4, results (result, reason) per context */
static void bind_ack(struct buf *out, uint32_t call_id, const uint16_t *results, const uint16_t *reasons, size_t n)
{
    struct buf *b = calloc(1, sizeof(*b));
    b_u16(b, 4280);
    b_u16(b, 4280);
    b_u32(b, 0x1234);
    static const char addr[] = "\\PIPE\\svcctl";
    b_u16(b, (uint16_t)sizeof(addr));
    b_bytes(b, addr, sizeof(addr));
    /* the body starts 16 bytes into the PDU: align the PDU offset, i.e. body offset + 16 */
    while ((b->n + 16) % 4)
        b_u8(b, 0);
    b_u8(b, (uint8_t)n);
    b_u8(b, 0);
    b_u16(b, 0);
    for (size_t i = 0; i < n; i++) {
        b_u16(b, results[i]);
        b_u16(b, reasons[i]);
        b_bytes(b, NDR_UUID, 16);
        b_u32(b, 2);
    }
    pdu(out, DCERPC_BIND_ACK, 3, call_id, b->b, b->n);
    free(b);
}

/* bind svcctl as context 0 and accept it */
static void bind_svcctl(struct harness *h)
{
    struct buf *b = calloc(1, sizeof(*b));
    bind(b, 1, &SVCCTL_UUID, 1);
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    uint16_t res = 0, reason = 0;
    bind_ack(b, 1, &res, &reason, 1);
    feed(h, 1, b->b, b->n, 0);
    free(b);
}

/* one request/response exchange on context 0 */
static void call(struct harness *h, uint32_t call_id, uint16_t opnum, const struct buf *req_stub,
                 const struct buf *resp_stub)
{
    struct buf *b = calloc(1, sizeof(*b));
    request(b, 3, call_id, 0, opnum, req_stub->b, req_stub->n);
    feed(h, 0, b->b, b->n, 0);
    if (resp_stub) {
        b->n = 0;
        response(b, call_id, resp_stub->b, resp_stub->n);
        feed(h, 1, b->b, b->n, 0);
    }
    free(b);
}

/* RCreateServiceW request stub [MS-SCMR 3.1.4.12] */
static void create_service_stub(struct buf *s, uint8_t scm_tag, const char *name, const char *display, const char *path,
                                const char *start_name)
{
    ndr_handle(s, scm_tag);
    ndr_wstr(s, name); /* lpServiceName [string] (ref: no referent) */
    b_align4(s);
    b_u32(s, 0x00020000); /* lpDisplayName [unique] */
    ndr_wstr(s, display);
    b_align4(s);
    b_u32(s, 0x000f01ff); /* dwDesiredAccess SERVICE_ALL_ACCESS */
    b_u32(s, 0x00000010); /* dwServiceType SERVICE_WIN32_OWN_PROCESS */
    b_u32(s, 3);          /* dwStartType SERVICE_DEMAND_START */
    b_u32(s, 1);          /* dwErrorControl SERVICE_ERROR_NORMAL */
    ndr_wstr(s, path);    /* lpBinaryPathName */
    b_align4(s);
    b_u32(s, 0); /* lpLoadOrderGroup NULL */
    b_u32(s, 0); /* lpdwTagId NULL */
    b_u32(s, 0); /* lpDependencies NULL */
    b_u32(s, 0); /* dwDependSize */
    if (start_name) {
        b_u32(s, 0x00020004); /* lpServiceStartName */
        ndr_wstr(s, start_name);
        b_align4(s);
    } else {
        b_u32(s, 0);
    }
    b_u32(s, 0x00020008); /* lpPassword [unique, size_is(dwPwSize)]: must never be decoded */
    b_u32(s, 8);
    b_bytes(s, "S3CR3T!!", 8);
    b_u32(s, 8); /* dwPwSize */
}

/* ---- NDR strings ---- */

static void open_service_stub(struct buf *s, const char *name, uint32_t max, uint32_t offset, uint32_t actual, bool nul)
{
    s->n = 0;
    ndr_handle(s, 0x40);
    ndr_wstr_raw(s, name, max, offset, actual, nul);
    b_align4(s);
    b_u32(s, 0x00000010); /* dwDesiredAccess SERVICE_START */
}

static void test_ndr_string_valid(void **st)
{
    (void)st;
    struct buf *s = calloc(1, sizeof(*s));
    struct dcerpc_svcctl out;
    open_service_stub(s, "Spooler", 8, 0, 8, true);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "Spooler");
    assert_true(out.has_access);
    assert_int_equal(out.access, 0x10);
    assert_false(out.truncated);
    assert_true(out.has_handle);
    assert_int_equal(out.handle[4], 0x40);
    /* odd length (3 units = 6 bytes): the u32 after it is aligned past 2 bytes of padding */
    open_service_stub(s, "ab", 3, 0, 3, true);
    assert_int_equal(s->n % 4, 0);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "ab");
    assert_int_equal(out.access, 0x10);
    assert_false(out.truncated);
    /* 8-bit strings (OpenServiceA): "abcd\0" is 5 bytes, 3 of padding before dwDesiredAccess */
    s->n = 0;
    ndr_handle(s, 0x40);
    b_u32(s, 5);
    b_u32(s, 0);
    b_u32(s, 5);
    b_bytes(s, "abcd", 5);
    b_align4(s);
    b_u32(s, 0x4);
    assert_int_equal(dcerpc_svcctl_decode(28, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "abcd");
    assert_int_equal(out.access, 4);
    assert_false(out.truncated);
    free(s);
}

static void test_ndr_string_malformed(void **st)
{
    (void)st;
    struct buf *s = calloc(1, sizeof(*s));
    struct dcerpc_svcctl out;
    /* max_count < actual_count: invalid NDR, nothing copied, the decode is marked truncated */
    open_service_stub(s, "Spooler", 4, 0, 8, true);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "");
    assert_true(out.truncated);
    assert_false(out.has_access);
    /* a non-zero (and odd) offset: a [string] is always sent whole, offset 0 */
    open_service_stub(s, "Spooler", 9, 1, 8, true);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "");
    assert_true(out.truncated);
    /* missing NUL: the units that are there make the name */
    open_service_stub(s, "Spooler", 7, 0, 7, false);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "Spooler");
    assert_int_equal(out.access, 0x10);
    /* huge counts: checked against the bytes left, no overflow, no read past the stub */
    open_service_stub(s, "Spooler", 0xffffffffu, 0, 0xffffffffu, true);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "");
    assert_true(out.truncated);
    open_service_stub(s, "Spooler", 0x80000000u, 0, 0x80000000u, true);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_true(out.truncated);
    /* the stub ends inside the string: every prefix of a valid stub decodes without reading past it */
    open_service_stub(s, "Spooler", 8, 0, 8, true);
    for (size_t cut = 0; cut < s->n; cut++) {
        uint8_t *exact = malloc(cut ? cut : 1); /* ASan: one byte past `cut` faults */
        memcpy(exact, s->b, cut);
        assert_int_equal(dcerpc_svcctl_decode(16, exact, cut, true, &out), 0);
        assert_true(out.truncated);
        free(exact);
    }
    /* a name longer than DCERPC_STR_MAX: bounded copy, marked truncated */
    char *longname = malloc(2000);
    memset(longname, 'A', 1999);
    longname[1999] = '\0';
    s->n = 0;
    ndr_handle(s, 0x40);
    ndr_wstr(s, longname);
    b_align4(s);
    b_u32(s, 0x10);
    assert_int_equal(dcerpc_svcctl_decode(16, s->b, s->n, true, &out), 0);
    assert_true(out.truncated);
    assert_true(strlen(out.service_name) < DCERPC_STR_MAX);
    assert_int_equal(out.access, 0x10); /* the rest of the stub is still decoded */
    free(longname);
    /* an operation we do not decode */
    assert_int_equal(dcerpc_svcctl_decode(9, s->b, s->n, true, &out), -1);
    free(s);
}

/* ---- svcctl CreateServiceW ---- */

static void test_create_service_decode(void **st)
{
    (void)st;
    struct buf *s = calloc(1, sizeof(*s));
    struct dcerpc_svcctl out;
    create_service_stub(s, 0x10, "PSEXESVC", "PsExec Service", "%SystemRoot%\\PSEXESVC.exe", "LocalSystem");
    assert_int_equal(dcerpc_svcctl_decode(12, s->b, s->n, true, &out), 0);
    assert_true(out.present);
    assert_string_equal(out.service_name, "PSEXESVC");
    assert_string_equal(out.display_name, "PsExec Service");
    assert_string_equal(out.binary_path, "%SystemRoot%\\PSEXESVC.exe");
    assert_string_equal(out.start_name, "LocalSystem");
    assert_int_equal(out.access, 0x000f01ff);
    assert_int_equal(out.service_type, 0x10);
    assert_int_equal(out.start_type, 3);
    assert_int_equal(out.error_control, 1);
    assert_false(out.truncated);
    /* the password bytes are nowhere in the decoded structure */
    assert_null(memmem(&out, sizeof(out), "S3CR3T", 6));
    /* a NULL display name and start name */
    s->n = 0;
    ndr_handle(s, 0x10);
    ndr_wstr(s, "svc");
    b_align4(s);
    b_u32(s, 0);
    b_u32(s, 0xf01ff);
    b_u32(s, 0x10);
    b_u32(s, 2);
    b_u32(s, 0);
    ndr_wstr(s, "C:\\x.exe");
    b_align4(s);
    for (int i = 0; i < 7; i++)
        b_u32(s, 0);
    assert_int_equal(dcerpc_svcctl_decode(12, s->b, s->n, true, &out), 0);
    assert_string_equal(out.service_name, "svc");
    assert_string_equal(out.display_name, "");
    assert_string_equal(out.binary_path, "C:\\x.exe");
    assert_int_equal(out.start_type, 2);
    assert_false(out.truncated);
    free(s);
}

/* ---- fragments ---- */

static void test_fragments(void **st)
{
    (void)st;
    struct harness *h = h_new();
    bind_svcctl(h);
    struct buf *s = calloc(1, sizeof(*s));
    struct buf *b = calloc(1, sizeof(*b));
    create_service_stub(s, 0x10, "SvcUpdate", "Service Update", "%SystemRoot%\\system32\\svcupdate.exe", NULL);
    /* first / middle / last fragments with the stub cut at odd places */
    size_t c1 = 13, c2 = s->n / 2 + 1;
    request(b, 0x01, 7, 0, 12, s->b, c1);
    request(b, 0x00, 7, 0, 12, s->b + c1, c2 - c1);
    request(b, 0x02, 7, 0, 12, s->b + c2, s->n - c2);
    feed(h, 0, b->b, b->n, 5); /* and the PDUs themselves in 5-byte chunks */
    b->n = 0;
    struct buf *r = calloc(1, sizeof(*r));
    b_u32(r, 0);
    ndr_handle(r, 0x90);
    b_u32(r, 0);
    response(b, 7, r->b, r->n);
    feed(h, 1, b->b, b->n, 1);
    const struct rec_ev *e = find_op(&h->rec, "CreateServiceW", 0);
    assert_non_null(e);
    assert_int_equal(e->req_frags, 3);
    assert_int_equal(e->req_stub, s->n);
    assert_true(e->has_svcctl);
    assert_string_equal(e->svcctl.service_name, "SvcUpdate");
    assert_string_equal(e->svcctl.binary_path, "%SystemRoot%\\system32\\svcupdate.exe");
    assert_int_equal(e->resp_ptype, DCERPC_RESPONSE);
    assert_int_equal(h->rec.anomalies, 0);

    /* over the cap (dcerpc.max-stub-size, 1mb by default): an anomaly, the call reported without a decode */
    const struct dcerpc_cfg *dc = app_parser_cfg(&h->al, APP_DCERPC);
    assert_int_equal(dc->max_stub, 1u << 20);
    uint8_t *chunk = calloc(1, 60000);
    size_t total = 0;
    int i = 0;
    while (total <= dc->max_stub) {
        b->n = 0;
        request(b, i == 0 ? 0x01 : 0x00, 9, 0, 12, chunk, 60000);
        feed(h, 0, b->b, b->n, 0);
        total += 60000;
        i++;
    }
    b->n = 0;
    request(b, 0x02, 9, 0, 12, chunk, 100);
    feed(h, 0, b->b, b->n, 0);
    assert_string_equal(h->rec.last_anomaly, "dcerpc_stub_too_large");
    b->n = 0;
    response(b, 9, r->b, 4);
    feed(h, 1, b->b, b->n, 0);
    e = find_op(&h->rec, "CreateServiceW", 1);
    assert_non_null(e);
    assert_int_equal(e->req_frags, (uint32_t)i + 1);
    assert_int_equal(e->req_stub, total + 100);
    assert_false(e->has_svcctl);
    free(chunk);
    free(r);
    free(s);
    free(b);
    h_free(h);
}

/* a second LAST_FRAG of a call already complete decodes the stub again: no leaked decode (fuzz_dcerpc) */
static void test_last_frag_twice(void **st)
{
    (void)st;
    struct harness *h = h_new();
    bind_svcctl(h);
    struct buf *s = calloc(1, sizeof(*s));
    struct buf *b = calloc(1, sizeof(*b));
    open_service_stub(s, "Spooler", 8, 0, 8, true);
    request(b, 0x03, 7, 0, 16, s->b, s->n);
    request(b, 0x02, 7, 0, 16, s->b, s->n);
    request(b, 0x02, 7, 0, 16, s->b, s->n);
    feed(h, 0, b->b, b->n, 0);
    free(s);
    free(b);
    h_free(h); /* asserts every allocation came back */
}

/* ---- bind / bind_ack ---- */

static void test_bind_contexts(void **st)
{
    (void)st;
    struct harness *h = h_new();
    struct buf *b = calloc(1, sizeof(*b));
    uint8_t(*u)[16] = calloc(3, 16);
    memcpy(u[0], SVCCTL_UUID, 16);
    memcpy(u[1], SAMR_UUID, 16);
    memset(u[2], 0x77, 16); /* unknown interface */
    bind(b, 1, (const uint8_t(*)[16])u, 3);
    feed(h, 0, b->b, b->n, 3);
    b->n = 0;
    const uint16_t res[3] = {0, 2, 0}, reason[3] = {0, 2, 0}; /* samr: provider_rejection, not supported */
    bind_ack(b, 1, res, reason, 3);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 1);
    const struct rec_ev *e = &h->rec.e[0];
    assert_int_equal(e->ptype, DCERPC_BIND);
    assert_int_equal(e->resp_ptype, DCERPC_BIND_ACK);
    assert_int_equal(e->n_ctx, 3);
    assert_string_equal(e->ctx[0].name, "svcctl");
    assert_string_equal(e->ctx[1].name, "samr");
    assert_string_equal(e->ctx[2].name, "");
    assert_int_equal(e->ctx[0].ver_major, 2);
    assert_true(e->ctx[0].has_result && e->ctx[1].has_result && e->ctx[2].has_result);
    assert_int_equal(e->ctx[0].result, 0);
    assert_int_equal(e->ctx[1].result, 2);
    assert_int_equal(e->ctx[1].reason, 2);
    assert_int_equal(e->ctx[2].result, 0);
    /* requests: context 0 is svcctl; the rejected context 1 names no interface */
    struct buf *s = calloc(1, sizeof(*s));
    ndr_handle(s, 1);
    b->n = 0;
    request(b, 3, 2, 0, 19, s->b, s->n);
    request(b, 3, 3, 1, 1, s->b, s->n);
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    response(b, 2, s->b, 4);
    response(b, 3, s->b, 4);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 3);
    assert_string_equal(h->rec.e[1].iface, "svcctl");
    assert_string_equal(h->rec.e[1].op, "StartServiceW");
    assert_string_equal(h->rec.e[2].iface, "");
    assert_string_equal(h->rec.e[2].op, "");
    /* a bind whose context list runs past the PDU: an anomaly, no over-read */
    b->n = 0;
    bind(b, 4, (const uint8_t(*)[16])u, 1);
    b->b[16 + 8] = 9; /* n_context_elem 9, one present */
    feed(h, 0, b->b, b->n, 0);
    assert_string_equal(h->rec.last_anomaly, "dcerpc_bind_short");
    free(s);
    free(u);
    free(b);
    h_free(h);
}

/* ---- the interface table [dcerpc_opnames.c, dcerpc_iface.c] ---- */

/* "367abb81-9844-35f1-ad32-98f038001003" -> the 16 bytes as a little-endian (drep 0x10) bind carries them
 * [C706 Appendix A: time_low, time_mid, time_hi_and_version are integers; the rest are bytes] */
static void uuid_from_text(const char *s, struct dcerpc_uuid *u)
{
    unsigned int tl = 0, tm = 0, th = 0, c[8] = {0};
    int n = sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x", &tl, &tm, &th, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5],
                   &c[6], &c[7]);
    assert_int_equal(n, 11);
    put32(u->b, tl);
    put16(u->b + 4, (uint16_t)tm);
    put16(u->b + 6, (uint16_t)th);
    for (size_t i = 0; i < 8; i++)
        u->b[8 + i] = (uint8_t)c[i];
}

/* Every named interface: its UUID and name, the length of its operation table (the last opnum of the
 * specification's IDL + 1, section in the comment) and some operations checked by name. */
struct iface_want {
    const char *uuid, *name;
    uint16_t n_ops;
    struct {
        uint16_t opnum;
        const char *name;
    } op[3];
};
static const struct iface_want IFACE_WANT[] = {
    /* the tables tshark checks keep Wireshark's names; past Wireshark's last opnum the specification's */
    {"367abb81-9844-35f1-ad32-98f038001003",
     "svcctl",
     65,
     {{12, "CreateServiceW"}, {45, "CreateServiceWOW64W"}, {64, "OpenSCManager2"}}}, /* MS-SCMR 3.1.4 */
    {"12345778-1234-abcd-ef00-0123456789ab",
     "lsarpc",
     142,
     {{44, "lsa_OpenPolicy2"}, {81, "lsa_LSARADTREPORTSECURITYEVENT"}, {130, "LsarOpenPolicy3"}}}, /* MS-LSAD 3.1.4 */
    {"12345778-1234-abcd-ef00-0123456789ac",
     "samr",
     78,
     {{64, "Connect5"}, {67, "ValidatePassword"}, {73, "SamrUnicodeChangePasswordUser4"}}}, /* MS-SAMR 3.1.5 */
    {"4b324fc8-1670-01d3-1278-5a47bf6ee188",
     "srvsvc",
     58,
     {{15, "NetShareEnumAll"}, {36, "NetShareEnum"}, {57, "NetrShareDelEx"}}},                /* MS-SRVS 3.1.4 */
    {"1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc", 4, {{0, "JobAdd"}, {3, "JobGetInfo"}}}, /* MS-TSCH 3.2.5.2 */
    {"86d35949-83c9-4044-b424-db363231fd0c",
     "ITaskSchedulerService",
     20,
     {{1, "SchRpcRegisterTask"}, {19, "SchRpcEnableTask"}}}, /* MS-TSCH 3.2.5.4 */
    {"338cd001-2244-31f1-aaaa-900038001003",
     "winreg",
     36,
     {{2, "OpenHKLM"}, {22, "SetValue"}, {35, "DeleteKeyEx"}}},                               /* MS-RRP 3.1.5 */
    {"e1af8308-5d1f-11c9-91a4-08002b14a0fa", "epmapper", 7, {{3, "Map"}, {6, "MgmtDelete"}}}, /* C706 Appendix O */
    /* the specifications' names */
    {"12345678-1234-abcd-ef00-01234567cffb",
     "netlogon",
     60,
     {{4, "NetrServerReqChallenge"},
      {30, "NetrServerPasswordSet2"},
      {59, "NetrServerAuthenticateKerberos"}}}, /* MS-NRPC 3.5.4 */
    {"e3514235-4b06-11d1-ab04-00c04fc2dcd2",
     "drsuapi",
     31,
     {{0, "DRSBind"}, {3, "DRSGetNCChanges"}, {30, "DRSReadNgcKey"}}},               /* MS-DRSR 4.1 */
    {"7c44d7d4-31d5-424c-bd5e-2b3e1f323d22", "dsaop", 2, {{1, "DSAExecuteScript"}}}, /* MS-DRSR 4.2 */
    {"3919286a-b10c-11d0-9ba8-00c04fd92ef5",
     "dssetup",
     12,
     {{0, "DsRolerGetPrimaryDomainInformation"},
      {9, "DsRolerUpgradeDownlevelServer"},
      {11, "Opnum11NotUsedOnWire"}}}, /* MS-DSSP 3.2.5 */
    {"afa8bd80-7d8a-11c9-bef4-08002b102989",
     "mgmt",
     5,
     {{0, "inq_if_ids"}, {4, "inq_princ_name"}}}, /* C706 Appendix Q */
    {"6bffd098-a112-3610-9833-46c3f87e345a",
     "wkssvc",
     38,
     {{3, "Opnum3NotUsedOnWire"},
      {27, "NetrAddAlternateComputerName"},
      {37, "NetrSetPrimaryComputerName2"}}}, /* MS-WKST 3.2.4 */
    {"12345678-1234-abcd-ef00-0123456789ab",
     "spoolss",
     117,
     {{65, "RpcRemoteFindFirstPrinterChangeNotificationEx"},
      {89, "RpcAddPrinterDriverEx"},
      {116, "RpcLogJobInfoForBranchOffice"}}}, /* MS-RPRN 3.1.4 */
    {"76f03f96-cdfd-44fc-a22c-64950a001209",
     "IRemoteWinspool",
     75,
     {{39, "RpcAsyncAddPrinterDriver"}, {74, "RpcAsyncLogJobInfoForBranchOffice"}}}, /* MS-PAR 3.1.4 */
    {"c681d488-d850-11d0-8c52-00c04fd90f7e",
     "efsrpc",
     45,
     {{0, "EfsRpcOpenFileRaw"}, {4, "EfsRpcEncryptFileSrv"}, {44, "Opnum44NotUsedOnWire"}}}, /* MS-EFSR 3.1.4 */
    {"df1941c5-fe89-4e79-bf10-463657acf44d",
     "efsrpc",
     45,
     {{0, "EfsRpcOpenFileRaw"}, {22, "EfsRpcQueryProtectors"}}}, /* MS-EFSR 3.1.4 */
    {"4fc742e0-4a10-11cf-8273-00aa004ae673",
     "netdfs",
     26,
     {{12, "NetrDfsAddStdRoot"},
      {13, "NetrDfsRemoveStdRoot"},
      {25, "NetrDfsGetSupportedNamespaceVersion"}}}, /* MS-DFSNM 3.1.4 */
    {"a8e0653c-2744-4389-a61d-7373df8b2292",
     "FileServerVssAgent",
     13,
     {{8, "IsPathSupported"}, {12, "PrepareShadowCopySet"}}}, /* MS-FSRVP 3.1.4 */
    {"82273fdc-e32a-18c3-3f78-827929dc23ea",
     "eventlog",
     27,
     {{0, "ElfrClearELFW"}, {23, "Opnum23NotUsedOnWire"}, {26, "ElfrReportEventExA"}}}, /* MS-EVEN 3.1.4 */
    {"f6beaff7-1e19-4fbb-9f8f-b89e2018337c",
     "IEventService",
     29,
     {{6, "EvtRpcClearLog"}, {28, "EvtRpcGetClassicLogDisplayName"}}},             /* MS-EVEN6 3.1.4 */
    {"3dde7c30-165d-11d1-ab8f-00805f14db40", "BackupKey", 1, {{0, "BackuprKey"}}}, /* MS-BKRP 3.1.4 */
    {"378e52b0-c0a9-11cf-822d-00aa0051e40f",
     "sasec",
     4,
     {{0, "SASetAccountInformation"}, {3, "SAGetAccountInformation"}}}, /* MS-TSCH 3.2.5.3 */
    {"00000131-0000-0000-c000-000000000046",
     "IRemUnknown",
     6,
     {{0, "Opnum0NotUsedOnWire"}, {5, "RemRelease"}}}, /* MS-DCOM 3.1.1.5.6 */
    {"00000143-0000-0000-c000-000000000046",
     "IRemUnknown2",
     7,
     {{3, "RemQueryInterface"}, {5, "RemRelease"}, {6, "RemQueryInterface2"}}}, /* MS-DCOM 3.1.1.5.7 */
    {"000001a0-0000-0000-c000-000000000046",
     "IRemoteSCMActivator",
     5,
     {{3, "RemoteGetClassObject"}, {4, "RemoteCreateInstance"}}},                          /* MS-DCOM 3.1.2.5.2.2 */
    {"4d9f4ab8-7d1c-11cf-861e-0020af6e7c57", "IActivation", 1, {{0, "RemoteActivation"}}}, /* MS-DCOM 3.1.2.5.2.1 */
    {"99fcfec4-5260-101b-bbcb-00aa0021347a",
     "IObjectExporter",
     6,
     {{0, "ResolveOxid"}, {5, "ServerAlive2"}}},                                         /* MS-DCOM 3.1.2.5.1 */
    {"f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login", 7, {{6, "NTLMLogin"}}}, /* MS-WMI 3.1.4.1 */
    {"9556dc99-828c-11cf-a37e-00aa003240c7",
     "IWbemServices",
     26,
     {{3, "OpenNamespace"}, {24, "ExecMethod"}, {25, "ExecMethodAsync"}}}, /* MS-WMI 3.1.4.3 */
    /* Exchange: UUIDs of MS-NSPI 2.1 / MS-OXCRPC 2.1 / MS-OXABREF 2.1, not the store admin a4f1db00-...-b31e */
    {"f5cc5a18-4264-101a-8c59-08002b2f8426",
     "nspi",
     21,
     {{0, "NspiBind"}, {5, "NspiGetMatches"}, {20, "NspiResolveNamesW"}}}, /* MS-NSPI 3.1.4 */
    {"a4f1db00-ca47-1067-b31f-00dd010662da",
     "emsmdb",
     15,
     {{1, "EcDoDisconnect"}, {10, "EcDoConnectEx"}, {11, "EcDoRpcExt2"}}},                /* MS-OXCRPC 3.1.4 */
    {"5261574a-4572-206e-b268-6b199213b4e4", "asyncemsmdb", 1, {{0, "EcDoAsyncWaitEx"}}}, /* MS-OXCRPC 3.3.4 */
    {"1544f5e0-613c-11d1-93df-00c04fd7bd09",
     "rfri",
     2,
     {{0, "RfrGetNewDSA"}, {1, "RfrGetFQDNFromServerDN"}}}, /* MS-OXABREF 3.1.4 */
};

static void test_iface_tables(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(IFACE_WANT) / sizeof(IFACE_WANT[0]); i++) {
        const struct iface_want *w = &IFACE_WANT[i];
        struct dcerpc_uuid u;
        uuid_from_text(w->uuid, &u);
        char text[37];
        dcerpc_uuid_format(&u, text);
        assert_string_equal(text, w->uuid);
        const struct dcerpc_iface_info *info = dcerpc_iface_lookup(&u);
        assert_non_null(info);
        assert_string_equal(info->name, w->name);
        assert_int_equal(info->n_opnames, w->n_ops); /* the specification's last opnum + 1 */
        for (uint16_t op = 0; op < info->n_opnames; op++) {
            const char *name = dcerpc_opnum_name(info, op);
            assert_non_null(name);
            assert_true(name[0] != '\0');
            /* one name per operation; only the specifications' placeholders repeat (in other tables) */
            for (uint16_t k = 0; k < op; k++)
                assert_true(strcmp(name, dcerpc_opnum_name(info, k)) != 0);
        }
        for (size_t k = 0; k < 3 && w->op[k].name; k++)
            assert_string_equal(dcerpc_opnum_name(info, w->op[k].opnum), w->op[k].name);
        /* past the last opnum: no name, as for an unknown interface */
        assert_null(dcerpc_opnum_name(info, w->n_ops));
        assert_null(dcerpc_opnum_name(info, 0xffff));
    }
    assert_null(dcerpc_opnum_name(NULL, 0));
}

static void test_iface_lookup_exact(void **st)
{
    (void)st;
    struct dcerpc_uuid u;
    uuid_from_text("367abb81-9844-35f1-ad32-98f038001003", &u);
    assert_non_null(dcerpc_iface_lookup(&u));
    /* every one of the 16 bytes takes part: a UUID one bit away from a known one is unknown */
    for (size_t i = 0; i < 16; i++) {
        struct dcerpc_uuid v = u;
        v.b[i] ^= 0x01;
        assert_null(dcerpc_iface_lookup(&v));
    }
    /* the integer fields are compared in wire order: the same bytes read big-endian are unknown */
    struct dcerpc_uuid be = u;
    for (size_t i = 0; i < 4; i++)
        be.b[i] = u.b[3 - i];
    assert_null(dcerpc_iface_lookup(&be));
    /* lsarpc and samr, spoolss and netlogon differ in one byte each: each finds its own */
    uuid_from_text("12345778-1234-abcd-ef00-0123456789ab", &u);
    assert_string_equal(dcerpc_iface_lookup(&u)->name, "lsarpc");
    uuid_from_text("12345678-1234-abcd-ef00-0123456789ab", &u);
    assert_string_equal(dcerpc_iface_lookup(&u)->name, "spoolss");
    memset(u.b, 0, sizeof(u.b));
    assert_null(dcerpc_iface_lookup(&u));
    memset(u.b, 0xff, sizeof(u.b));
    assert_null(dcerpc_iface_lookup(&u));
}

/* a bind of netlogon and drsuapi, then calls: the operation names reach the event; an opnum past the table
 * has none */
static void test_iface_operation_names(void **st)
{
    (void)st;
    struct harness *h = h_new();
    struct buf *b = calloc(1, sizeof(*b));
    uint8_t(*u)[16] = calloc(2, 16);
    struct dcerpc_uuid x;
    uuid_from_text("12345678-1234-abcd-ef00-01234567cffb", &x);
    memcpy(u[0], x.b, 16);
    uuid_from_text("e3514235-4b06-11d1-ab04-00c04fc2dcd2", &x);
    memcpy(u[1], x.b, 16);
    bind(b, 1, (const uint8_t(*)[16])u, 2);
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    const uint16_t res[2] = {0, 0}, reason[2] = {0, 0};
    bind_ack(b, 1, res, reason, 2);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 1);
    assert_string_equal(h->rec.e[0].ctx[0].name, "netlogon");
    assert_string_equal(h->rec.e[0].ctx[1].name, "drsuapi");
    struct buf *s = calloc(1, sizeof(*s));
    b_u32(s, 0);
    b->n = 0;
    request(b, 3, 2, 0, 4, s->b, s->n);  /* netlogon NetrServerReqChallenge */
    request(b, 3, 3, 1, 3, s->b, s->n);  /* drsuapi DRSGetNCChanges (DCSync) */
    request(b, 3, 4, 0, 60, s->b, s->n); /* netlogon: past the last opnum */
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    response(b, 2, s->b, s->n);
    response(b, 3, s->b, s->n);
    response(b, 4, s->b, s->n);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 4);
    assert_string_equal(h->rec.e[1].iface, "netlogon");
    assert_string_equal(h->rec.e[1].op, "NetrServerReqChallenge");
    assert_string_equal(h->rec.e[2].iface, "drsuapi");
    assert_string_equal(h->rec.e[2].op, "DRSGetNCChanges");
    assert_string_equal(h->rec.e[3].iface, "netlogon");
    assert_int_equal(h->rec.e[3].opnum, 60);
    assert_string_equal(h->rec.e[3].op, "");
    free(s);
    free(u);
    free(b);
    h_free(h);
}

/* ---- fault ---- */

static void test_fault(void **st)
{
    (void)st;
    struct harness *h = h_new();
    bind_svcctl(h);
    struct buf *s = calloc(1, sizeof(*s));
    struct buf *b = calloc(1, sizeof(*b));
    create_service_stub(s, 0x10, "SvcUpdate", "x", "y.exe", NULL);
    request(b, 3, 7, 0, 12, s->b, s->n);
    feed(h, 0, b->b, b->n, 0);
    /* fault [C706 12.6.4.7]: alloc_hint, p_cont_id, cancel_count, reserved, status, reserved */
    struct buf *f = calloc(1, sizeof(*f));
    b_u32(f, 32);
    b_u16(f, 0);
    b_u8(f, 0);
    b_u8(f, 0);
    b_u32(f, 0x1c010002);
    b_u32(f, 0);
    b->n = 0;
    pdu(b, DCERPC_FAULT, 3, 7, f->b, f->n);
    feed(h, 1, b->b, b->n, 0);
    const struct rec_ev *e = find_op(&h->rec, "CreateServiceW", 0);
    assert_non_null(e);
    assert_true(e->fault);
    assert_int_equal(e->resp_ptype, DCERPC_FAULT);
    assert_int_equal(e->fault_status, 0x1c010002);
    assert_string_equal(dcerpc_fault_name(e->fault_status), "nca_op_rng_error");
    assert_null(dcerpc_fault_name(0x12345678));
    assert_string_equal(e->svcctl.service_name, "SvcUpdate"); /* the request's arguments stay */
    free(f);
    free(s);
    free(b);
    h_free(h);
}

/* Every status of C706 Appendix E and MS-RPCE 2.2.2.11, with the specification's name.  medsentry writes
 * Wireshark's spelling, which drops the "s_" of some (nca_s_op_rng_error -> nca_op_rng_error): the name must be
 * the specification's, or the specification's with "nca_s_" written "nca_". */
static void test_fault_table(void **st)
{
    (void)st;
    static const struct {
        uint32_t code;
        const char *spec;
    } spec[] = {
        {0x00000001, "nca_s_fault_other"},
        {0x00000005, "nca_s_fault_access_denied"},
        {0x000006d8, "nca_s_fault_cant_perform"},
        {0x000006f7, "nca_s_fault_ndr"},
        {0x00000721, "nca_s_fault_sec_pkg_error"},
        {0x1c010001, "nca_s_comm_failure"},
        {0x1c010002, "nca_s_op_rng_error"},
        {0x1c010003, "nca_s_unk_if"},
        {0x1c010006, "nca_s_wrong_boot_time"},
        {0x1c010009, "nca_s_you_crashed"},
        {0x1c01000b, "nca_s_proto_error"},
        {0x1c010013, "nca_s_out_args_too_big"},
        {0x1c010014, "nca_s_server_too_busy"},
        {0x1c010015, "nca_s_fault_string_too_long"},
        {0x1c010017, "nca_s_unsupported_type"},
        {0x1c000001, "nca_s_fault_int_div_by_zero"},
        {0x1c000002, "nca_s_fault_addr_error"},
        {0x1c000003, "nca_s_fault_fp_div_zero"},
        {0x1c000004, "nca_s_fault_fp_underflow"},
        {0x1c000005, "nca_s_fault_fp_overflow"},
        {0x1c000006, "nca_s_fault_invalid_tag"},
        {0x1c000007, "nca_s_fault_invalid_bound"},
        {0x1c000008, "nca_s_rpc_version_mismatch"},
        {0x1c000009, "nca_s_unspec_reject"},
        {0x1c00000a, "nca_s_bad_actid"},
        {0x1c00000b, "nca_s_who_are_you_failed"},
        {0x1c00000c, "nca_s_manager_not_entered"},
        {0x1c00000d, "nca_s_fault_cancel"},
        {0x1c00000e, "nca_s_fault_ill_inst"},
        {0x1c00000f, "nca_s_fault_fp_error"},
        {0x1c000010, "nca_s_fault_int_overflow"},
        {0x1c000012, "nca_s_fault_unspec"},
        {0x1c000013, "nca_s_fault_remote_comm_failure"},
        {0x1c000014, "nca_s_fault_pipe_empty"},
        {0x1c000015, "nca_s_fault_pipe_closed"},
        {0x1c000016, "nca_s_fault_pipe_order"},
        {0x1c000017, "nca_s_fault_pipe_discipline"},
        {0x1c000018, "nca_s_fault_pipe_comm_error"},
        {0x1c000019, "nca_s_fault_pipe_memory"},
        {0x1c00001a, "nca_s_fault_context_mismatch"},
        {0x1c00001b, "nca_s_fault_remote_no_memory"},
        {0x1c00001c, "nca_s_invalid_pres_context_id"},
        {0x1c00001d, "nca_s_unsupported_authn_level"},
        {0x1c00001f, "nca_s_invalid_checksum"},
        {0x1c000020, "nca_s_invalid_crc"},
        {0x1c000021, "nca_s_fault_user_defined"},
        {0x1c000022, "nca_s_fault_tx_open_failed"},
        {0x1c000023, "nca_s_fault_codeset_conv_error"},
        {0x1c000024, "nca_s_fault_object_not_found"},
        {0x1c000025, "nca_s_fault_no_client_stub"},
    };
    for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
        const char *got = dcerpc_fault_name(spec[i].code);
        char short_form[64];
        snprintf(short_form, sizeof(short_form), "nca_%s", spec[i].spec + strlen("nca_s_"));
        if (!got || (strcmp(got, spec[i].spec) != 0 && strcmp(got, short_form) != 0))
            fail_msg("0x%08x: medsentry %s, specification %s", spec[i].code, got ? got : "(none)", spec[i].spec);
    }
    /* the codes this table once had wrong, pinned */
    assert_string_equal(dcerpc_fault_name(0x1c00001a), "nca_s_fault_context_mismatch");
    assert_string_equal(dcerpc_fault_name(0x1c000003), "nca_s_fault_fp_div_zero");
    assert_string_equal(dcerpc_fault_name(0x1c00000c), "nca_manager_not_entered");
    assert_string_equal(dcerpc_fault_name(0x1c00000d), "nca_s_fault_cancel");
    assert_string_equal(dcerpc_fault_name(0x1c000015), "nca_s_fault_pipe_closed");
    /* unassigned codes, and the neighbours of the table's ends */
    assert_null(dcerpc_fault_name(0x1c000011));
    assert_null(dcerpc_fault_name(0x1c00001e));
    assert_null(dcerpc_fault_name(0));
    assert_null(dcerpc_fault_name(0x1c010018));
    assert_null(dcerpc_fault_name(0xffffffff));
}

/* ---- the header-only PDU split across chunks (fuzz_dcerpc, fixed in 1729011) ---- */

static void test_header_only_split(void **st)
{
    (void)st;
    alarm(20); /* before the fix this looped forever: die instead of hanging the test run */
    struct harness *h = h_new();
    struct buf *b = calloc(1, sizeof(*b));
    pdu(b, DCERPC_SHUTDOWN, 3, 1, NULL, 0); /* frag_length 16: the header is the whole PDU */
    pdu(b, DCERPC_ORPHANED, 3, 2, NULL, 0);
    feed(h, 1, b->b, b->n, 7); /* 7 + 7 + 2 | 5 + ... */
    feed(h, 1, b->b, 16, 8);
    feed(h, 1, b->b, 16, 1);
    feed(h, 1, b->b, 16, 15);
    /* after them the stream is still in step: a bind is decoded */
    b->n = 0;
    bind(b, 5, &SVCCTL_UUID, 1);
    feed(h, 0, b->b, b->n, 16);
    b->n = 0;
    uint16_t z = 0;
    bind_ack(b, 5, &z, &z, 1);
    feed(h, 1, b->b, b->n, 3);
    assert_int_equal(h->rec.anomalies, 0);
    assert_int_equal(h->rec.n, 1);
    assert_int_equal(h->rec.e[0].ptype, DCERPC_BIND);
    assert_string_equal(h->rec.e[0].ctx[0].name, "svcctl");
    /* a frag_length under 16 is not a PDU: anomaly and resynchronisation, never a loop */
    b->n = 0;
    pdu(b, DCERPC_SHUTDOWN, 3, 1, NULL, 0);
    put16(b->b + 8, 8);
    feed(h, 1, b->b, b->n, 4);
    assert_string_equal(h->rec.last_anomaly, "dcerpc_bad_header");
    free(b);
    h_free(h);
    alarm(0);
}

/* A 16-byte common header as text would show it, for the near-headers after a gap. */
static void near_header(struct buf *b, uint8_t ptype, uint8_t flags, uint8_t drep0, uint16_t frag_len, size_t body)
{
    b_u8(b, 5);
    b_u8(b, 0);
    b_u8(b, ptype);
    b_u8(b, flags);
    b_u8(b, drep0);
    b_u8(b, 0);
    b_u16(b, 0);
    b_u16(b, frag_len);
    b_u16(b, 0);
    b_u32(b, 77);
    for (size_t i = 0; i < body; i++)
        b_u8(b, 0xee);
}

/*
 * DCE/RPC over TCP: bind svcctl; a CreateServiceW in three fragments with a gap of glen bytes from cut on;
 * after the gap the rest of the fragments, then near-headers (a response PTYPE from the client, a request
 * shorter than its fixed part, a bad data representation and, with next_fake, a consistent header with no
 * header after it), then an OpenServiceW request and its response.  Fed in chunks of step.
 */
static void run_tcp_gap(size_t cut_in_frags, size_t glen, size_t step, bool next_fake)
{
    struct harness *h = h_new();
    void *st = dcerpc_tcp_parser.state_new(&h->ctx);
    assert_non_null(st);
    struct buf *b = calloc(1, sizeof(*b)), *q = calloc(1, sizeof(*q)), *s0 = calloc(1, sizeof(*s0));
    bind(b, 1, &SVCCTL_UUID, 1);
    dcerpc_tcp_parser.on_data(&h->ctx, st, 0, b->b, b->n);
    b->n = 0;
    uint16_t res = 0, reason = 0;
    bind_ack(b, 1, &res, &reason, 1);
    dcerpc_tcp_parser.on_data(&h->ctx, st, 1, b->b, b->n);

    create_service_stub(q, 0x10, "SvcUpdate", "Service Update", "C:\\evil.exe", NULL);
    size_t c1 = 40, c2 = 80;
    request(s0, 0x01, 7, 0, 12, q->b, c1);
    request(s0, 0x00, 7, 0, 12, q->b + c1, c2 - c1);
    request(s0, 0x02, 7, 0, 12, q->b + c2, q->n - c2);
    near_header(s0, DCERPC_RESPONSE, 3, 0x10, 40, 24);
    near_header(s0, DCERPC_REQUEST, 3, 0x10, 16, 0);
    near_header(s0, DCERPC_REQUEST, 3, 0x11, 40, 24);
    if (next_fake)
        near_header(s0, DCERPC_REQUEST, 3, 0x10, 40, 30); /* 6 bytes more than it says: no 5.0 at 40 */
    size_t call8 = s0->n;
    open_service_stub(q, "PACSsvc", 8, 0, 8, true);
    request(s0, 0x03, 8, 0, 16, q->b, q->n);

    dcerpc_tcp_parser.on_data(&h->ctx, st, 0, s0->b, cut_in_frags);
    dcerpc_tcp_parser.on_gap(&h->ctx, st, 0, glen);
    size_t resume = cut_in_frags + glen;
    if (!step)
        step = s0->n;
    for (size_t o = resume; o < s0->n; o += step)
        dcerpc_tcp_parser.on_data(&h->ctx, st, 0, s0->b + o, s0->n - o < step ? s0->n - o : step);
    b->n = 0;
    response(b, 8, (const uint8_t *)"\0\0\0\0", 4);
    dcerpc_tcp_parser.on_data(&h->ctx, st, 1, b->b, b->n);

    /* the request after the gap names its interface from the bind before it, and is decoded */
    const struct rec_ev *e = find_op(&h->rec, "OpenServiceW", 0);
    assert_non_null(e);
    assert_string_equal(e->iface, "svcctl");
    assert_int_equal(e->call_id, 8);
    assert_true(e->has_svcctl);
    assert_string_equal(e->svcctl.service_name, "PACSsvc");
    /* the call whose fragments the gap cut is dropped, counted; one report with the bytes passed over */
    assert_null(find_op(&h->rec, "CreateServiceW", 0));
    assert_int_equal(h->stats.app_gap_dropped, 1);
    assert_int_equal(h->rec.anomalies, 1);
    assert_string_equal(h->rec.last_anomaly, "gap_resync");
    assert_int_equal(h->stats.app_gap_resyncs, 1);
    assert_int_equal(h->stats.app_gap_skipped_bytes, call8 - resume);
    dcerpc_tcp_parser.on_close(&h->ctx, st);
    dcerpc_tcp_parser.state_free(&h->ctx, st);
    free(b);
    free(q);
    free(s0);
    h_free(h);
}

static void test_gap_resync_tcp(void **st)
{
    (void)st;
    /* fragment 1 = 64 bytes, 2 = 64, 3 = the rest */
    run_tcp_gap(74, 70, 0, true);  /* from inside fragment 2 into fragment 3's stub */
    run_tcp_gap(133, 3, 0, true);  /* inside fragment 3's header */
    run_tcp_gap(74, 70, 1, false); /* one byte at a time: the search carries across chunks */
    run_tcp_gap(133, 3, 5, false);
    run_tcp_gap(74, 70, 1460, true);
}

/* ---- svcctl handles ---- */

static void resp_handle(struct buf *r, uint8_t tag, uint32_t rc)
{
    r->n = 0;
    if (tag)
        ndr_handle(r, tag);
    else
        b_bytes(r, (const uint8_t[20]){0}, 20);
    b_u32(r, rc);
}

static void test_svcctl_handles(void **st)
{
    (void)st;
    struct harness *h = h_new();
    bind_svcctl(h);
    struct buf *q = calloc(1, sizeof(*q)), *r = calloc(1, sizeof(*r));
    /* OpenSCManagerW -> SCM handle 0x10 */
    b_u32(q, 0x00020000);
    ndr_wstr(q, "\\\\PACS-WS01");
    b_align4(q);
    b_u32(q, 0);
    b_u32(q, 0x3f);
    resp_handle(r, 0x10, 0);
    call(h, 2, 15, q, r);
    /* CreateServiceW on it -> lpdwTagId (non-NULL, 5), service handle 0x20 */
    q->n = 0;
    create_service_stub(q, 0x10, "PSEXESVC", "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe", NULL);
    r->n = 0;
    b_u32(r, 0x00020000);
    b_u32(r, 5);
    ndr_handle(r, 0x20);
    b_u32(r, 0);
    call(h, 3, 12, q, r);
    const struct rec_ev *e = find_op(&h->rec, "CreateServiceW", 0);
    assert_string_equal(e->svcctl.machine, "\\\\PACS-WS01"); /* the SCM handle names the machine */
    assert_true(e->svcctl.has_return);
    assert_int_equal(e->svcctl.return_code, 0);
    /* StartServiceW, QueryServiceStatus, ControlService, ChangeServiceConfigW, DeleteService on 0x20 */
    q->n = 0;
    ndr_handle(q, 0x20);
    b_u32(q, 0);
    b_u32(q, 0);
    resp_handle(r, 0, 0);
    r->n = 4;
    call(h, 4, 19, q, r);
    q->n = 0;
    ndr_handle(q, 0x20);
    call(h, 5, 6, q, r);
    q->n = 0;
    ndr_handle(q, 0x20);
    b_u32(q, 1); /* SERVICE_CONTROL_STOP */
    call(h, 6, 1, q, r);
    q->n = 0;
    ndr_handle(q, 0x20);
    b_u32(q, 0xffffffff);
    b_u32(q, 2);
    b_u32(q, 0xffffffff);
    for (int i = 0; i < 8; i++)
        b_u32(q, 0);
    call(h, 7, 11, q, r);
    q->n = 0;
    ndr_handle(q, 0x20);
    call(h, 8, 2, q, r);
    const char *ops[] = {"StartServiceW", "QueryServiceStatus", "ControlService", "ChangeServiceConfigW",
                         "DeleteService"};
    for (size_t i = 0; i < 5; i++) {
        e = find_op(&h->rec, ops[i], 0);
        assert_non_null(e);
        assert_true(e->has_svcctl);
        assert_string_equal(e->svcctl.service_name, "PSEXESVC");
        assert_true(e->svcctl.name_from_handle);
    }
    assert_int_equal(find_op(&h->rec, "ChangeServiceConfigW", 0)->svcctl.start_type, 2);
    /* CloseServiceHandle forgets it */
    q->n = 0;
    ndr_handle(q, 0x20);
    resp_handle(r, 0, 0);
    call(h, 9, 0, q, r);
    assert_string_equal(find_op(&h->rec, "CloseServiceHandle", 0)->svcctl.service_name, "PSEXESVC");
    q->n = 0;
    ndr_handle(q, 0x20);
    b_u32(q, 0);
    b_u32(q, 0);
    r->n = 4;
    call(h, 10, 19, q, r);
    e = find_op(&h->rec, "StartServiceW", 1);
    assert_string_equal(e->svcctl.service_name, "");
    assert_false(e->svcctl.name_from_handle);
    /* a failed OpenServiceW (ERROR_SERVICE_DOES_NOT_EXIST, NULL handle) adds nothing */
    q->n = 0;
    ndr_handle(q, 0x10);
    ndr_wstr(q, "Missing");
    b_align4(q);
    b_u32(q, 0x10);
    resp_handle(r, 0, 0x424);
    call(h, 11, 16, q, r);
    assert_int_equal(find_op(&h->rec, "OpenServiceW", 0)->svcctl.return_code, 0x424);
    /* a handle returned with a failure code is not trusted either */
    resp_handle(r, 0x30, 5);
    call(h, 12, 16, q, r);
    q->n = 0;
    ndr_handle(q, 0x30);
    b_u32(q, 0);
    b_u32(q, 0);
    r->n = 4;
    call(h, 13, 19, q, r);
    assert_string_equal(find_op(&h->rec, "StartServiceW", 2)->svcctl.service_name, "");
    assert_int_equal(h->rec.anomalies, 0);
    free(q);
    free(r);
    h_free(h);
}

static void test_svcctl_handle_eviction(void **st)
{
    (void)st;
    struct harness *h = h_new();
    bind_svcctl(h);
    struct buf *q = calloc(1, sizeof(*q)), *r = calloc(1, sizeof(*r));
    char name[32];
    /* DCERPC_MAX_HANDLES + 1 open services: the oldest is evicted */
    for (int i = 0; i <= DCERPC_MAX_HANDLES; i++) {
        q->n = 0;
        ndr_handle(q, 0x10);
        snprintf(name, sizeof(name), "svc%d", i);
        ndr_wstr(q, name);
        b_align4(q);
        b_u32(q, 0x10);
        resp_handle(r, (uint8_t)(0x40 + i), 0);
        call(h, (uint32_t)(100 + i), 16, q, r);
    }
    assert_string_equal(h->rec.last_anomaly, "dcerpc_handles_full");
    for (int i = 0; i <= DCERPC_MAX_HANDLES; i += DCERPC_MAX_HANDLES) {
        q->n = 0;
        ndr_handle(q, (uint8_t)(0x40 + i));
        b_u32(q, 0);
        b_u32(q, 0);
        r->n = 4;
        call(h, (uint32_t)(200 + i), 19, q, r);
    }
    assert_string_equal(find_op(&h->rec, "StartServiceW", 0)->svcctl.service_name, "");
    snprintf(name, sizeof(name), "svc%d", DCERPC_MAX_HANDLES);
    assert_string_equal(find_op(&h->rec, "StartServiceW", 1)->svcctl.service_name, name);
    /* the response parser on short and odd stubs */
    uint8_t hnd[DCERPC_CTX_HANDLE_LEN];
    assert_false(dcerpc_svcctl_response_handle(16, r->b, 23, true, hnd));
    assert_false(dcerpc_svcctl_response_handle(19, r->b, 24, true, hnd));
    assert_false(dcerpc_svcctl_response_handle(12, r->b, 0, true, hnd));
    free(q);
    free(r);
    h_free(h);
}

/* ---- the auth verifier [C706 13.2.6.1, MS-RPCE 2.2.2.11] and NTLMSSP in it [MS-NLMP 2.2.1] ---- */

/* Appends sec_trailer + value to the PDU that starts at `at` (the last one built) and patches its lengths. */
static void add_verifier(struct buf *out, size_t at, uint8_t type, uint8_t level, const uint8_t *v, size_t n)
{
    while ((out->n - at) % 4)
        b_u8(out, 0);
    b_u8(out, type);
    b_u8(out, level);
    b_u8(out, 0); /* auth_pad_length */
    b_u8(out, 0);
    b_u32(out, 1); /* auth_context_id */
    b_bytes(out, v, n);
    put16(out->b + at + 8, (uint16_t)(out->n - at));
    put16(out->b + at + 10, (uint16_t)n);
}

static void ntlm_head(struct buf *b, uint32_t type)
{
    b_bytes(b, "NTLMSSP", 8);
    b_u32(b, type);
}

static void ntlm_negotiate(struct buf *b)
{
    ntlm_head(b, 1);
    b_u32(b, 0x00000001); /* NegotiateFlags: UNICODE */
}

/* CHALLENGE: TargetName fields (empty), NegotiateFlags, ServerChallenge, Reserved, TargetInfo fields (empty) */
static void ntlm_challenge(struct buf *b)
{
    ntlm_head(b, 2);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u32(b, 48);
    b_u32(b, 0x02000001);
    for (int i = 0; i < 16; i++)
        b_u8(b, (uint8_t)i);
    b_u16(b, 0);
    b_u16(b, 0);
    b_u32(b, 48);
}

static void ntlm_field(struct buf *b, uint16_t len, uint32_t off)
{
    b_u16(b, len);
    b_u16(b, len);
    b_u32(b, off);
}

/* AUTHENTICATE with UNICODE and VERSION (6.1 build 7601 revision 15): payload Domain, User, Workstation, NT
 * response (24 bytes); bad_offset points the Workstation past the message */
static void ntlm_authenticate(struct buf *b, const char *domain, const char *user, const char *host, bool bad_offset)
{
    size_t dl = 2 * strlen(domain), ul = 2 * strlen(user), hl = 2 * strlen(host), base = 72;
    ntlm_head(b, 3);
    ntlm_field(b, 0, (uint32_t)base);                                                   /* LmChallengeResponse */
    ntlm_field(b, 24, (uint32_t)(base + dl + ul + hl));                                 /* NtChallengeResponse */
    ntlm_field(b, (uint16_t)dl, (uint32_t)base);                                        /* DomainName */
    ntlm_field(b, (uint16_t)ul, (uint32_t)(base + dl));                                 /* UserName */
    ntlm_field(b, (uint16_t)hl, bad_offset ? 0x7fff0000u : (uint32_t)(base + dl + ul)); /* Workstation */
    ntlm_field(b, 0, (uint32_t)base);                                                   /* EncryptedRandomSessionKey */
    b_u32(b, 0x02000001);                                                               /* UNICODE | VERSION */
    b_u8(b, 6);
    b_u8(b, 1);
    b_u16(b, 7601);
    b_u8(b, 0);
    b_u8(b, 0);
    b_u8(b, 0);
    b_u8(b, 15);
    for (const char *q = domain; *q; q++)
        b_u16(b, (uint8_t)*q);
    for (const char *q = user; *q; q++)
        b_u16(b, (uint8_t)*q);
    for (const char *q = host; *q; q++)
        b_u16(b, (uint8_t)*q);
    for (int i = 0; i < 24; i++)
        b_u8(b, 0xa0);
}

/* A SPNEGO NegTokenResp around a token, as far as the NTLMSSP scan needs it: a few DER bytes, then the token. */
static void spnego_wrap(struct buf *out, const struct buf *tok)
{
    static const uint8_t der[] = {0xa1, 0x82, 0x01, 0x00, 0x30, 0x82, 0x00, 0xfc,
                                  0xa2, 0x82, 0x00, 0xf8, 0x04, 0x82, 0x00, 0xf4};
    b_bytes(out, der, sizeof(der));
    b_bytes(out, tok->b, tok->n);
}

/* NTLMSSP (auth_type 10): NEGOTIATE in the bind, CHALLENGE in the bind_ack, AUTHENTICATE in the AUTH3; the
 * bind event waits for the AUTH3 and carries its identity; a sealed request is counted, not decoded */
static void test_auth_ntlmssp_auth3(void **st)
{
    (void)st;
    struct harness *h = h_new();
    struct buf *b = calloc(1, sizeof(*b)), *t = calloc(1, sizeof(*t));
    bind(b, 1, &SVCCTL_UUID, 1);
    ntlm_negotiate(t);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 5, t->b, t->n);
    feed(h, 0, b->b, b->n, 0);
    b->n = t->n = 0;
    uint16_t res = 0, reason = 0;
    bind_ack(b, 1, &res, &reason, 1);
    ntlm_challenge(t);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 5, t->b, t->n);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 0); /* held for the AUTH3 */
    b->n = t->n = 0;
    uint8_t pad[4] = {0};
    pdu(b, DCERPC_AUTH3, 3, 1, pad, sizeof(pad));
    ntlm_authenticate(t, "CORP", "alice", "WS01", false);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 5, t->b, t->n);
    feed(h, 0, b->b, b->n, 7); /* in pieces */
    assert_int_equal(h->rec.n, 1);
    const struct rec_ev *e = &h->rec.e[0];
    assert_int_equal(e->ptype, DCERPC_BIND);
    assert_int_equal(e->resp_ptype, DCERPC_BIND_ACK);
    assert_true(e->has_auth);
    assert_int_equal(e->auth_type, 10);
    assert_int_equal(e->auth_level, 5);
    assert_true(e->has_ntlm);
    assert_string_equal(e->ntlm.domain, "CORP");
    assert_string_equal(e->ntlm.user, "alice");
    assert_string_equal(e->ntlm.host, "WS01");
    assert_true(e->ntlm.has_version);
    assert_int_equal(e->ntlm.ver_build, 7601);
    assert_int_equal(e->ntlm.ver_revision, 15);
    assert_string_equal(dcerpc_auth_type_name(e->auth_type), "NTLMSSP");
    assert_string_equal(dcerpc_auth_level_name(e->auth_level), "pkt_integrity");
    /* a sealed CreateServiceW: auth on the call, the stub (ciphertext) not decoded */
    struct buf *s = calloc(1, sizeof(*s));
    create_service_stub(s, 0x10, "SvcUpdate", "x", "y.exe", NULL);
    b->n = 0;
    request(b, 3, 2, 0, 12, s->b, s->n);
    uint8_t sig[16] = {1};
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, DCERPC_AUTHN_LEVEL_PRIVACY, sig, sizeof(sig));
    feed(h, 0, b->b, b->n, 0);
    dcerpc_conn_free(&h->ctx, h->c);
    h->c = NULL;
    e = find_op(&h->rec, "CreateServiceW", 0);
    assert_non_null(e);
    assert_true(e->has_auth);
    assert_int_equal(e->auth_level, 6);
    assert_false(e->has_svcctl);
    assert_false(e->has_ntlm); /* the identity goes on the handshake's event only */
    assert_int_equal(h->rec.anomalies, 0);
    free(s);
    free(b);
    free(t);
    h_free(h);
}

/* SPNEGO (auth_type 9) around NTLMSSP: the AUTHENTICATE comes in an alter context; the bind event goes when the
 * client's next PDU is not an AUTH3 */
static void test_auth_spnego_alter_context(void **st)
{
    (void)st;
    struct harness *h = h_new();
    struct buf *b = calloc(1, sizeof(*b)), *t = calloc(1, sizeof(*t)), *w = calloc(1, sizeof(*w));
    bind(b, 1, &SVCCTL_UUID, 1);
    ntlm_negotiate(t);
    spnego_wrap(w, t);
    add_verifier(b, 0, DCERPC_AUTHN_GSS_NEGOTIATE, 6, w->b, w->n);
    feed(h, 0, b->b, b->n, 0);
    b->n = t->n = w->n = 0;
    uint16_t res = 0, reason = 0;
    bind_ack(b, 1, &res, &reason, 1);
    ntlm_challenge(t);
    spnego_wrap(w, t);
    add_verifier(b, 0, DCERPC_AUTHN_GSS_NEGOTIATE, 6, w->b, w->n);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 0);
    /* alter context (same layout as bind) with the AUTHENTICATE */
    b->n = t->n = w->n = 0;
    bind(b, 2, &SVCCTL_UUID, 1);
    b->b[2] = DCERPC_ALTER_CONTEXT;
    ntlm_authenticate(t, "PACS", "svc_backup", "RADWS01", false);
    spnego_wrap(w, t);
    add_verifier(b, 0, DCERPC_AUTHN_GSS_NEGOTIATE, 6, w->b, w->n);
    feed(h, 0, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 1); /* the bind, without an identity */
    assert_int_equal(h->rec.e[0].ptype, DCERPC_BIND);
    assert_int_equal(h->rec.e[0].auth_type, 9);
    assert_false(h->rec.e[0].has_ntlm);
    b->n = 0;
    bind_ack(b, 2, &res, &reason, 1);
    b->b[2] = DCERPC_ALTER_CONTEXT_RESP;
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 2);
    const struct rec_ev *e = &h->rec.e[1];
    assert_int_equal(e->ptype, DCERPC_ALTER_CONTEXT);
    assert_true(e->has_auth);
    assert_int_equal(e->auth_level, 6);
    assert_true(e->has_ntlm);
    assert_string_equal(e->ntlm.domain, "PACS");
    assert_string_equal(e->ntlm.host, "RADWS01");
    free(b);
    free(t);
    free(w);
    h_free(h);
}

/* verifiers that do not fit: auth_length past the PDU, AUTHENTICATE offsets past the message, and a bind held
 * for an AUTH3 that never comes (flushed at the end) */
static void test_auth_bounds(void **st)
{
    (void)st;
    struct harness *h = h_new();
    struct buf *b = calloc(1, sizeof(*b)), *t = calloc(1, sizeof(*t));
    /* auth_length larger than the PDU: no auth read, the bind still an event */
    bind(b, 1, &SVCCTL_UUID, 1);
    put16(b->b + 10, 0xfff0);
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    uint16_t res = 0, reason = 0;
    bind_ack(b, 1, &res, &reason, 1);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 1);
    assert_false(h->rec.e[0].has_auth);
    /* auth_length one byte too many for the space after the header */
    b->n = 0;
    bind(b, 2, &SVCCTL_UUID, 1);
    uint8_t v[8] = {0};
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 2, v, sizeof(v));
    put16(b->b + 10, (uint16_t)(b->n - 16 - 8 + 1));
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    bind_ack(b, 2, &res, &reason, 1);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 2);
    assert_false(h->rec.e[1].has_auth);
    /* a CHALLENGE answer, then an AUTH3 whose AUTHENTICATE points past itself: anomaly, no identity */
    b->n = t->n = 0;
    bind(b, 3, &SVCCTL_UUID, 1);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 2, v, sizeof(v));
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    bind_ack(b, 3, &res, &reason, 1);
    ntlm_challenge(t);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 2, t->b, t->n);
    feed(h, 1, b->b, b->n, 0);
    b->n = t->n = 0;
    uint8_t pad[4] = {0};
    pdu(b, DCERPC_AUTH3, 3, 3, pad, sizeof(pad));
    ntlm_authenticate(t, "CORP", "alice", "WS01", true);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 2, t->b, t->n);
    feed(h, 0, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 3);
    assert_true(h->rec.e[2].has_auth);
    assert_int_equal(h->rec.e[2].auth_level, 2);
    assert_false(h->rec.e[2].has_ntlm);
    assert_string_equal(h->rec.last_anomaly, "ntlmssp_malformed");
    /* held for an AUTH3 that never comes: written when the connection ends */
    b->n = t->n = 0;
    bind(b, 4, &SVCCTL_UUID, 1);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 2, v, sizeof(v));
    feed(h, 0, b->b, b->n, 0);
    b->n = 0;
    bind_ack(b, 4, &res, &reason, 1);
    ntlm_challenge(t);
    add_verifier(b, 0, DCERPC_AUTHN_WINNT, 2, t->b, t->n);
    feed(h, 1, b->b, b->n, 0);
    assert_int_equal(h->rec.n, 3);
    dcerpc_conn_free(&h->ctx, h->c);
    h->c = NULL;
    assert_int_equal(h->rec.n, 4);
    assert_int_equal(h->rec.e[3].call_id, 4);
    assert_int_equal(h->rec.e[3].resp_ptype, DCERPC_BIND_ACK);
    assert_null(dcerpc_auth_type_name(200));
    assert_null(dcerpc_auth_level_name(7));
    free(b);
    free(t);
    h_free(h);
}

/* A gap in the responses: the call whose response it cut is reported and named, its response not decoded; the
 * search gives up after DCERPC_RESYNC_MAX bytes without a header, and the direction is then no longer parsed. */
static void test_gap_response_and_give_up(void **st)
{
    (void)st;
    struct harness *h = h_new();
    void *cs = dcerpc_tcp_parser.state_new(&h->ctx);
    assert_non_null(cs);
    struct buf *b = calloc(1, sizeof(*b)), *q = calloc(1, sizeof(*q)), *r = calloc(1, sizeof(*r));
    bind(b, 1, &SVCCTL_UUID, 1);
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 0, b->b, b->n);
    b->n = 0;
    uint16_t res = 0, reason = 0;
    bind_ack(b, 1, &res, &reason, 1);
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 1, b->b, b->n);
    /* OpenServiceW 5: its response in two fragments, the gap inside the first */
    open_service_stub(q, "PACSsvc", 8, 0, 8, true);
    b->n = 0;
    request(b, 0x03, 5, 0, 16, q->b, q->n);
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 0, b->b, b->n);
    resp_handle(r, 0x60, 0);
    b->n = 0;
    response(b, 5, r->b, 8);
    b->b[3] = 0x01; /* FIRST only */
    size_t first = b->n;
    response(b, 5, r->b + 8, r->n - 8);
    b->b[first + 3] = 0x02; /* LAST only */
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 1, b->b, first - 10);
    dcerpc_tcp_parser.on_gap(&h->ctx, cs, 1, 6);
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 1, b->b + first - 4, b->n - first + 4);
    /* OpenServiceW 6, whole: decoded, its returned handle taken */
    b->n = 0;
    request(b, 0x03, 6, 0, 16, q->b, q->n);
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 0, b->b, b->n);
    b->n = 0;
    response(b, 6, r->b, r->n);
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 1, b->b, b->n);
    /* call 5: request decoded, the response whose first fragment the gap cut is not (its last 4 bytes are a
     * return code, its first bytes no handle); call 6 is decoded whole */
    const struct rec_ev *e = find_op(&h->rec, "OpenServiceW", 0);
    assert_non_null(e);
    assert_int_equal(e->call_id, 5);
    assert_int_equal(e->resp_ptype, DCERPC_RESPONSE);
    assert_string_equal(e->svcctl.service_name, "PACSsvc");
    assert_false(e->svcctl.has_return);
    e = find_op(&h->rec, "OpenServiceW", 1);
    assert_non_null(e);
    assert_int_equal(e->call_id, 6);
    assert_string_equal(e->iface, "svcctl");
    assert_true(e->svcctl.has_return);
    assert_int_equal(h->stats.app_gap_dropped, 1);
    assert_int_equal(h->stats.app_gap_resyncs, 1);
    assert_int_equal(h->stats.app_gap_skipped_bytes, 4); /* the rest of the first fragment */

    /* the client side: a gap, then more than DCERPC_RESYNC_MAX bytes without a header */
    dcerpc_tcp_parser.on_gap(&h->ctx, cs, 0, 100);
    uint8_t *junk = malloc(DCERPC_MAX_FRAG);
    memset(junk, 0xee, DCERPC_MAX_FRAG);
    for (size_t sent = 0; sent <= (1u << 20); sent += DCERPC_MAX_FRAG)
        dcerpc_tcp_parser.on_data(&h->ctx, cs, 0, junk, DCERPC_MAX_FRAG);
    assert_string_equal(h->rec.last_anomaly, "gap_resync_failed");
    assert_int_equal(h->stats.app_gap_resync_failed, 1);
    int n = h->rec.n;
    b->n = 0;
    request(b, 0x03, 7, 0, 16, q->b, q->n);
    dcerpc_tcp_parser.on_data(&h->ctx, cs, 0, b->b, b->n);
    assert_int_equal(h->rec.n, n); /* no longer parsed */
    dcerpc_tcp_parser.on_close(&h->ctx, cs);
    dcerpc_tcp_parser.state_free(&h->ctx, cs);
    free(junk);
    free(b);
    free(q);
    free(r);
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ndr_string_valid),
        cmocka_unit_test(test_ndr_string_malformed),
        cmocka_unit_test(test_create_service_decode),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_bind_contexts),
        cmocka_unit_test(test_fault),
        cmocka_unit_test(test_header_only_split),
        cmocka_unit_test(test_svcctl_handles),
        cmocka_unit_test(test_svcctl_handle_eviction),
        cmocka_unit_test(test_last_frag_twice),
        cmocka_unit_test(test_iface_tables),
        cmocka_unit_test(test_iface_lookup_exact),
        cmocka_unit_test(test_iface_operation_names),
        cmocka_unit_test(test_fault_table),
        cmocka_unit_test(test_auth_ntlmssp_auth3),
        cmocka_unit_test(test_auth_spnego_alter_context),
        cmocka_unit_test(test_auth_bounds),
        cmocka_unit_test(test_gap_resync_tcp),
        cmocka_unit_test(test_gap_response_and_give_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
