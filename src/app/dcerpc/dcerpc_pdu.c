/*
 * dcerpc_pdu.c - connection-oriented DCE/RPC PDUs [C706 12.6, MS-RPCE 2.2.2].
 *
 *   Common header (16 bytes):
 *     0 rpc_vers = 5        1     4 packed_drep  4  (drep[0] & 0x10: little-endian)
 *     1 rpc_vers_minor      1     8 frag_length  2
 *     2 PTYPE               1    10 auth_length  2
 *     3 pfc_flags           1    12 call_id      4
 *   pfc_flags: 0x01 FIRST_FRAG, 0x02 LAST_FRAG, 0x80 OBJECT_UUID.
 *   request:  16 alloc_hint 4, 20 p_cont_id 2, 22 opnum 2, [24 object uuid 16], stub
 *   response: 16 alloc_hint 4, 20 p_cont_id 2, 22 cancel_count 1, 23 reserved, 24 stub
 *   fault:    as response, 24 status 4
 *   bind / alter_context: 16 max_xmit 2, 18 max_recv 2, 20 assoc_group 4,
 *     24 n_context_elem 1, 3 reserved, 28 p_cont_elem[]: p_cont_id 2,
 *     n_transfer_syn 1, reserved 1, abstract_syntax (uuid 16, version u32),
 *     transfer_syntaxes[n] (20 each)
 *   bind_ack / alter_context_resp: 16 max_xmit, 18 max_recv, 20 assoc_group,
 *     24 sec_addr (length u16 + port string), align 4, n_results 1, 3 reserved,
 *     p_result[]: result 2, reason 2, transfer_syntax 20
 *   bind_nak: 16 provider_reject_reason 2
 *   The auth verifier (sec_trailer 8 bytes + auth_length) ends the PDU; the
 *   stub stops before it.  sec_trailer [C706 13.2.6.1, MS-RPCE 2.2.2.11]:
 *     0 auth_type 1, 1 auth_level 1, 2 auth_pad_length 1, 3 reserved 1,
 *     4 auth_context_id 4, 8 auth_value (auth_length bytes)
 *   auth3: 16 pad 4, then the verifier.
 *
 * Authentication: auth_type and auth_level of a bind or a request go on its
 * event.  NTLMSSP (auth_type 10, or inside SPNEGO, 9) runs over the
 * handshake: NEGOTIATE in the bind, CHALLENGE in the bind_ack, AUTHENTICATE
 * in an AUTH3 (which has no answer) or in an alter context.  A bind whose
 * bind_ack carries a CHALLENGE is therefore held until the client's next PDU:
 * an AUTH3 adds its AUTHENTICATE identity to the bind event, anything else
 * lets the bind event go as it is.  The identity is kept (one per connection)
 * for the event that reports it; only domain, user, workstation and version.
 *
 * Calls are matched by call_id (DCERPC_MAX_CALLS outstanding); a request's
 * stub fragments are reassembled up to dcerpc.max-stub-size (default
 * dcerpc.max-stub-size) and then decoded.
 *
 * Gaps: a PDU being gathered when bytes are lost is dropped, and the calls
 * whose fragments were being reassembled in that direction are marked so
 * that the rest of their stub is counted but not decoded (a response whose
 * first fragment comes again after the gap starts over).  Then the bytes are
 * searched (src/app/resync.c) for a header that dcerpc_resync_check accepts:
 * version 5.0/5.1, a connection-oriented PTYPE that this direction sends,
 * no reserved pfc_flags, a plain data representation, a frag_length between
 * the PTYPE's fixed part and DCERPC_MAX_FRAG with room for the auth verifier,
 * and, when the bytes are there, the next header at frag_length.  Bind
 * contexts are kept, so requests after the gap still name their interface.
 *
 * svcctl handles: StartServiceW, ControlService, DeleteService... name no
 * service, only the SC_RPC_HANDLE that OpenServiceW/CreateServiceW returned
 * (and OpenSCManagerW for the machine).  A connection that binds svcctl gets a
 * table (DCERPC_MAX_HANDLES, allocated on first use, oldest entry evicted when
 * full) from returned handle to name, filled from successful open/create
 * responses and emptied by CloseServiceHandle, so that the later operations
 * carry the service name.  Only the first bytes and the last 4 bytes of a
 * response stub are kept for this (handle, return code).
 */
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "app/resync.h"
#include "core/config.h"
#include "core/stats.h"

#define PFC_FIRST_FRAG    0x01
#define PFC_LAST_FRAG     0x02
#define PFC_OBJECT_UUID   0x80
#define DCERPC_HDR_LEN    16
#define DCERPC_RESYNC_MAX (1u << 20) /* bytes searched for a header after a gap (16 maximal fragments) */

struct dcerpc_pctx {
    bool used;
    uint16_t id;
    struct dcerpc_uuid uuid;
    uint16_t ver_major, ver_minor;
    const struct dcerpc_iface_info *info;
};

struct dcerpc_call {
    bool used;
    uint32_t call_id;
    uint16_t opnum, ctx_id;
    uint32_t req_frags, resp_frags;
    uint64_t req_stub, resp_stub;
    bool req_done;
    bool stub_truncated;
    bool has_auth; /* the request's verifier */
    uint8_t auth_type, auth_level;
    uint8_t *stub;
    uint32_t stub_len, stub_cap;
    struct dcerpc_svcctl *svcctl;
    struct dcerpc_atsvc *atsvc;
    struct dcerpc_srvsvc *srvsvc; /* its response stub is gathered into stub once the request is decoded */
    uint32_t age;
    /* response stub, svcctl calls only: its head (a returned handle) and its last 4 bytes (return code) */
    uint8_t resp_head[32];
    uint8_t resp_head_len;
    uint8_t resp_tail[4];
    bool resp_sealed;
    bool resp_gapped; /* a gap in the responses since this call's response began (or could have) */
};

/* A returned svcctl handle and what it stands for. */
struct dcerpc_handle {
    bool used;
    bool scm; /* an SCM handle (OpenSCManager): name is the machine */
    uint8_t h[DCERPC_CTX_HANDLE_LEN];
    char name[DCERPC_HANDLE_NAME_MAX];
    uint32_t age;
};

struct dcerpc_dir {
    uint8_t *buf;
    uint32_t len, cap;
    struct app_resync rs; /* searching for the next header (after a gap or a malformed header) */
    bool dropped;         /* this search follows a gap that dropped a PDU or a call's fragments */
    bool gap_seen;        /* a gap happened: a fragment of a call not seen from its start is not decoded */
    bool dead;            /* no header found within DCERPC_RESYNC_MAX: direction no longer parsed */
};

struct dcerpc_conn {
    enum dcerpc_transport transport;
    char pipe[64];
    uint8_t vers_minor;
    struct dcerpc_dir d[2];
    struct dcerpc_pctx ctxs[DCERPC_MAX_CONTEXTS];
    struct dcerpc_call calls[DCERPC_MAX_CALLS];
    bool bind_pending;
    bool auth3_wait; /* bind_ev answered with an NTLMSSP CHALLENGE: the client's AUTH3 may follow */
    struct dcerpc_event bind_ev;
    bool has_ntlm;
    struct ntlmssp_info ntlm; /* the last NTLMSSP AUTHENTICATE of the handshake */
    uint32_t age;
    struct dcerpc_handle *handles; /* DCERPC_MAX_HANDLES, NULL until svcctl returns one */
    uint32_t handle_age;
};

bool dcerpc_looks_like_pdu(const uint8_t *p, size_t n)
{
    if (n < DCERPC_HDR_LEN || p[0] != 5 || p[1] > 1 || p[2] >= DCERPC_PTYPE__COUNT)
        return false;
    if ((p[4] & 0xe0) != 0 && (p[4] & 0xf0) != 0x10)
        return false;
    uint16_t fl = (p[4] & 0x10) ? rd_le16(p + 8) : rd_be16(p + 8);
    return fl >= DCERPC_HDR_LEN;
}

struct dcerpc_conn *dcerpc_conn_new(struct app_ctx *ctx, enum dcerpc_transport t, const char *pipe)
{
    struct dcerpc_conn *c = app_alloc(ctx, sizeof(*c));
    if (!c) {
        app_anomaly(ctx, EVENT_DIR_NONE, "dcerpc_memcap", "no memory for a DCE/RPC connection");
        return NULL;
    }
    c->transport = t;
    if (pipe) {
        size_t l = strlen(pipe);
        if (l >= sizeof(c->pipe))
            l = sizeof(c->pipe) - 1;
        memcpy(c->pipe, pipe, l);
    }
    return c;
}

static void dcerpc_call_release(struct app_ctx *ctx, struct dcerpc_call *k)
{
    if (k->stub)
        app_free(ctx, k->stub, k->stub_cap);
    if (k->svcctl)
        app_free(ctx, k->svcctl, sizeof(*k->svcctl));
    if (k->atsvc)
        app_free(ctx, k->atsvc, sizeof(*k->atsvc));
    if (k->srvsvc)
        app_free(ctx, k->srvsvc, sizeof(*k->srvsvc));
    memset(k, 0, sizeof(*k));
}

static const struct dcerpc_pctx *dcerpc_ctx_find(const struct dcerpc_conn *c, uint16_t id)
{
    for (size_t i = 0; i < DCERPC_MAX_CONTEXTS; i++)
        if (c->ctxs[i].used && c->ctxs[i].id == id)
            return &c->ctxs[i];
    return NULL;
}

static void dcerpc_event_base(const struct dcerpc_conn *c, struct dcerpc_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->rpc_vers = 5;
    ev->rpc_vers_minor = c->vers_minor;
    ev->transport = c->transport;
    ev->pipe = c->pipe[0] ? c->pipe : NULL;
}

/* A bind still held: unanswered (resp_ptype 0xff), or answered and waiting for an AUTH3 that did not come. */
static void dcerpc_bind_flush(struct app_ctx *ctx, struct dcerpc_conn *c, int dir)
{
    if (c->bind_pending) {
        c->bind_ev.resp_ptype = 0xff;
        app_emit(ctx, EVENT_DCERPC, dir, &c->bind_ev);
    } else if (c->auth3_wait) {
        app_emit(ctx, EVENT_DCERPC, dir, &c->bind_ev);
    }
    c->bind_pending = c->auth3_wait = false;
}

static void dcerpc_call_emit(struct app_ctx *ctx, struct dcerpc_conn *c, struct dcerpc_call *k, uint8_t resp_ptype,
                             uint32_t fault_status, int dir)
{
    struct dcerpc_event ev;
    dcerpc_event_base(c, &ev);
    ev.ptype = DCERPC_REQUEST;
    ev.resp_ptype = resp_ptype;
    ev.call_id = k->call_id;
    ev.opnum = k->opnum;
    ev.ctx_id = k->ctx_id;
    const struct dcerpc_pctx *pc = dcerpc_ctx_find(c, k->ctx_id);
    if (pc) {
        ev.iface_uuid = &pc->uuid;
        ev.iface_name = pc->info ? pc->info->name : NULL;
        ev.op_name = dcerpc_opnum_name(pc->info, k->opnum);
    }
    ev.req_frags = k->req_frags;
    ev.resp_frags = k->resp_frags;
    ev.req_stub_len = k->req_stub;
    ev.resp_stub_len = k->resp_stub;
    ev.fault = resp_ptype == DCERPC_FAULT;
    ev.fault_status = fault_status;
    ev.svcctl = k->svcctl;
    ev.atsvc = k->atsvc;
    ev.srvsvc = k->srvsvc;
    ev.has_auth = k->has_auth;
    ev.auth_type = k->auth_type;
    ev.auth_level = k->auth_level;
    app_emit(ctx, EVENT_DCERPC, dir, &ev);
    dcerpc_call_release(ctx, k);
}

void dcerpc_conn_free(struct app_ctx *ctx, struct dcerpc_conn *c)
{
    if (!c)
        return;
    dcerpc_bind_flush(ctx, c, EVENT_DIR_NONE);
    for (size_t i = 0; i < DCERPC_MAX_CALLS; i++)
        if (c->calls[i].used && c->calls[i].req_done)
            dcerpc_call_emit(ctx, c, &c->calls[i], 0xff, 0, EVENT_DIR_NONE);
        else if (c->calls[i].used)
            dcerpc_call_release(ctx, &c->calls[i]);
    for (int d = 0; d < 2; d++)
        if (c->d[d].buf)
            app_free(ctx, c->d[d].buf, c->d[d].cap);
    if (c->handles)
        app_free(ctx, c->handles, DCERPC_MAX_HANDLES * sizeof(*c->handles));
    app_free(ctx, c, sizeof(*c));
}

static struct dcerpc_call *dcerpc_call_find(struct dcerpc_conn *c, uint32_t call_id)
{
    for (size_t i = 0; i < DCERPC_MAX_CALLS; i++)
        if (c->calls[i].used && c->calls[i].call_id == call_id)
            return &c->calls[i];
    return NULL;
}

static struct dcerpc_call *dcerpc_call_new(struct app_ctx *ctx, struct dcerpc_conn *c, uint32_t call_id)
{
    struct dcerpc_call *k = dcerpc_call_find(c, call_id);
    if (k) {
        dcerpc_call_release(ctx, k); /* a new first fragment restarts the call */
    } else {
        for (size_t i = 0; i < DCERPC_MAX_CALLS && !k; i++)
            if (!c->calls[i].used)
                k = &c->calls[i];
        if (!k) {
            k = &c->calls[0];
            for (size_t i = 1; i < DCERPC_MAX_CALLS; i++)
                if (c->calls[i].age < k->age)
                    k = &c->calls[i];
            app_anomaly(ctx, EVENT_DIR_NONE, "dcerpc_calls_full", "too many outstanding DCE/RPC calls");
            if (k->req_done)
                dcerpc_call_emit(ctx, c, k, 0xff, 0, EVENT_DIR_NONE);
            else
                dcerpc_call_release(ctx, k);
        }
    }
    k->used = true;
    k->call_id = call_id;
    k->age = ++c->age;
    return k;
}

static const struct config_key dcerpc_keys[] = {
    CONFIG_KEY_SECTION("app-layer.protocols.dcerpc", "DCE/RPC over TCP; DCE/RPC inside SMB named pipes follows smb"),
    APP_PROTO_CONFIG_KEYS(struct dcerpc_cfg, "dcerpc", "135"),
    CONFIG_KEY_SIZE(struct dcerpc_cfg, max_stub, "dcerpc.max-stub-size", 4 * CONFIG_KB, 64 * CONFIG_MB, "1mb",
                    "Reassembled stub bytes per call and direction; a larger call is reported\n"
                    "(dcerpc_stub_too_large) and its stub not decoded. 4kb..64mb."),
};
APP_PROTO_CONFIG_CHECK(struct dcerpc_cfg);

const struct config_module dcerpc_config_module = {
    .name = "dcerpc",
    .keys = dcerpc_keys,
    .n = sizeof(dcerpc_keys) / sizeof(dcerpc_keys[0]),
    .struct_size = sizeof(struct dcerpc_cfg),
};

static void dcerpc_stub_append(struct app_ctx *ctx, struct dcerpc_call *k, const uint8_t *p, size_t n)
{
    if (k->stub_truncated || n == 0)
        return;
    const struct dcerpc_cfg *cfg = app_parser_cfg(ctx->al, APP_DCERPC);
    uint64_t max_stub = cfg->max_stub; /* dcerpc.max-stub-size */
    if ((uint64_t)k->stub_len + n > max_stub) {
        k->stub_truncated = true;
        app_anomaly(ctx, 0, "dcerpc_stub_too_large", "reassembled DCE/RPC stub over the limit: not decoded");
        return;
    }
    uint32_t need = k->stub_len + (uint32_t)n;
    if (need > k->stub_cap) {
        uint32_t cap = k->stub_cap ? k->stub_cap : 1024;
        while (cap < need)
            cap *= 2;
        if (cap > max_stub)
            cap = (uint32_t)max_stub;
        uint8_t *nb = app_alloc(ctx, cap);
        if (!nb) {
            k->stub_truncated = true;
            return;
        }
        if (k->stub_len)
            memcpy(nb, k->stub, k->stub_len);
        if (k->stub)
            app_free(ctx, k->stub, k->stub_cap);
        k->stub = nb;
        k->stub_cap = cap;
    }
    memcpy(k->stub + k->stub_len, p, n);
    k->stub_len = need;
}

/* ---- svcctl handle table ---- */

static struct dcerpc_handle *dcerpc_handle_find(struct dcerpc_conn *c, const uint8_t *h)
{
    if (!c->handles)
        return NULL;
    for (size_t i = 0; i < DCERPC_MAX_HANDLES; i++)
        if (c->handles[i].used && memcmp(c->handles[i].h, h, DCERPC_CTX_HANDLE_LEN) == 0)
            return &c->handles[i];
    return NULL;
}

static void bounded_copy(char *dst, size_t cap, const char *src)
{
    size_t l = strlen(src);
    if (l >= cap)
        l = cap - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static void dcerpc_handle_put(struct app_ctx *ctx, struct dcerpc_conn *c, const uint8_t *h, bool scm, const char *name)
{
    static const uint8_t zero[DCERPC_CTX_HANDLE_LEN];
    if (memcmp(h, zero, sizeof(zero)) == 0)
        return; /* the NULL handle of a failed open */
    if (!c->handles) {
        c->handles = app_alloc(ctx, DCERPC_MAX_HANDLES * sizeof(*c->handles));
        if (!c->handles)
            return;
    }
    struct dcerpc_handle *e = dcerpc_handle_find(c, h);
    for (size_t i = 0; i < DCERPC_MAX_HANDLES && !e; i++)
        if (!c->handles[i].used)
            e = &c->handles[i];
    if (!e) {
        e = &c->handles[0];
        for (size_t i = 1; i < DCERPC_MAX_HANDLES; i++)
            if (c->handles[i].age < e->age)
                e = &c->handles[i];
        app_anomaly(ctx, EVENT_DIR_NONE, "dcerpc_handles_full", "more open svcctl handles than the limit");
    }
    e->used = true;
    e->scm = scm;
    memcpy(e->h, h, DCERPC_CTX_HANDLE_LEN);
    bounded_copy(e->name, sizeof(e->name), name);
    e->age = ++c->handle_age;
}

/* A decoded request: name the service (or machine) behind the handle it operates on. */
static void dcerpc_svcctl_resolve(struct dcerpc_conn *c, struct dcerpc_svcctl *s)
{
    if (!s->has_handle)
        return;
    const struct dcerpc_handle *e = dcerpc_handle_find(c, s->handle);
    if (!e || !e->name[0])
        return;
    if (e->scm && !s->machine[0]) {
        bounded_copy(s->machine, sizeof(s->machine), e->name);
        s->name_from_handle = true;
    } else if (!e->scm && !s->service_name[0]) {
        bounded_copy(s->service_name, sizeof(s->service_name), e->name);
        s->name_from_handle = true;
    }
}

/* Bytes of a response stub of a svcctl call: keep the head and the last 4 bytes. */
static void dcerpc_resp_keep(struct dcerpc_call *k, const uint8_t *p, size_t n)
{
    size_t room = sizeof(k->resp_head) - k->resp_head_len;
    size_t take = n < room ? n : room;
    memcpy(k->resp_head + k->resp_head_len, p, take);
    k->resp_head_len = (uint8_t)(k->resp_head_len + take);
    if (n >= 4) {
        memcpy(k->resp_tail, p + n - 4, 4);
    } else {
        memmove(k->resp_tail, k->resp_tail + n, 4 - n);
        memcpy(k->resp_tail + 4 - n, p, n);
    }
}

/* The last fragment of a svcctl response: return code, and a returned handle into the table. */
static void dcerpc_svcctl_response(struct app_ctx *ctx, struct dcerpc_conn *c, struct dcerpc_call *k, bool le)
{
    struct dcerpc_svcctl *s = k->svcctl;
    if (!s || k->resp_sealed || k->resp_gapped || k->resp_stub < 4)
        return;
    s->has_return = true;
    s->return_code = le ? rd_le32(k->resp_tail) : rd_be32(k->resp_tail);
    if (s->return_code != 0)
        return;
    uint8_t h[DCERPC_CTX_HANDLE_LEN];
    if (dcerpc_svcctl_response_handle(k->opnum, k->resp_head, k->resp_head_len, le, h)) {
        bool scm = k->opnum == 15 || k->opnum == 27;
        dcerpc_handle_put(ctx, c, h, scm, scm ? s->machine : s->service_name);
    } else if (k->opnum == 0 && s->has_handle) {
        struct dcerpc_handle *e = dcerpc_handle_find(c, s->handle);
        if (e)
            e->used = false; /* CloseServiceHandle */
    }
}

static void dcerpc_decode_stub(struct app_ctx *ctx, struct dcerpc_conn *c, struct dcerpc_call *k, bool le)
{
    const struct dcerpc_pctx *pc = dcerpc_ctx_find(c, k->ctx_id);
    if (!pc || !pc->info || k->stub_truncated || !k->stub)
        return;
    if (strcmp(pc->info->name, "svcctl") == 0) {
        struct dcerpc_svcctl tmp;
        if (dcerpc_svcctl_decode(k->opnum, k->stub, k->stub_len, le, &tmp) == 0) {
            dcerpc_svcctl_resolve(c, &tmp);
            /* a second LAST_FRAG of the same call decodes again: reuse the allocation (found by fuzz_dcerpc) */
            if (!k->svcctl)
                k->svcctl = app_alloc(ctx, sizeof(*k->svcctl));
            if (k->svcctl)
                *k->svcctl = tmp;
        }
    } else if (strcmp(pc->info->name, "atsvc") == 0 || strcmp(pc->info->name, "ITaskSchedulerService") == 0) {
        struct dcerpc_atsvc tmp;
        bool tsch = pc->info->name[0] == 'I';
        if (dcerpc_atsvc_decode(tsch, k->opnum, k->stub, k->stub_len, le, &tmp) == 0) {
            if (!k->atsvc)
                k->atsvc = app_alloc(ctx, sizeof(*k->atsvc));
            if (k->atsvc)
                *k->atsvc = tmp;
        }
    } else if (strcmp(pc->info->name, "srvsvc") == 0) {
        if (!k->srvsvc) {
            k->srvsvc = app_alloc(ctx, sizeof(*k->srvsvc));
            if (!k->srvsvc)
                return;
        }
        if (dcerpc_srvsvc_decode(k->opnum, k->stub, k->stub_len, le, k->srvsvc) != 0) {
            app_free(ctx, k->srvsvc, sizeof(*k->srvsvc));
            k->srvsvc = NULL;
        }
    }
}

/* Stub bounds of a request/response PDU: [start, end) minus the auth verifier. */
static bool dcerpc_stub_bounds(const uint8_t *p, size_t fl, uint16_t auth_len, size_t start, size_t *end)
{
    size_t trailer = auth_len ? (size_t)auth_len + 8 : 0;
    if (start > fl || trailer > fl - start)
        return false;
    *end = fl - trailer;
    if (auth_len) {
        /* sec_trailer: auth_type, auth_level, auth_pad_length, ...: padding is not stub */
        uint8_t pad = p[*end + 2];
        if (pad <= *end - start)
            *end -= pad;
    }
    return true;
}

/* The auth verifier at the end of a PDU of fl bytes whose fixed part is body bytes. */
struct dcerpc_auth {
    bool present;
    uint8_t type, level;
    const uint8_t *value;
    uint16_t len;
};

static bool dcerpc_auth_read(const uint8_t *p, size_t fl, size_t body, uint16_t auth_len, struct dcerpc_auth *a)
{
    memset(a, 0, sizeof(*a));
    if (auth_len == 0 || fl < body || (size_t)auth_len + 8 > fl - body)
        return false;
    struct br b = br_init(p + fl - auth_len - 8, (size_t)auth_len + 8);
    a->type = br_u8(&b);
    a->level = br_u8(&b);
    br_skip(&b, 6); /* auth_pad_length, reserved, auth_context_id */
    a->value = br_take(&b, auth_len);
    a->len = auth_len;
    a->present = !b.err;
    return a->present;
}

/* The NTLMSSP message of an NTLMSSP verifier, or of one SPNEGO wraps (found by the bounded scan of ntlmssp.c). */
static bool dcerpc_auth_ntlmssp(const struct dcerpc_auth *a, struct ntlmssp_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!a->present || (a->type != DCERPC_AUTHN_WINNT && a->type != DCERPC_AUTHN_GSS_NEGOTIATE))
        return false;
    size_t left;
    const uint8_t *nt = ntlmssp_find(a->value, a->len, &left);
    return nt && ntlmssp_parse(nt, left, out) == 0;
}

/* An AUTHENTICATE in a client's verifier: keep the identity on the connection for the event that reports it. */
static const struct ntlmssp_info *dcerpc_auth_identity(struct app_ctx *ctx, struct dcerpc_conn *c, int dir,
                                                       const struct dcerpc_auth *a)
{
    struct ntlmssp_info info;
    if (!dcerpc_auth_ntlmssp(a, &info)) {
        if (a->present && info.type == NTLMSSP_AUTH)
            app_anomaly(ctx, dir, "ntlmssp_malformed", "NTLMSSP AUTHENTICATE message with bad fields");
        return NULL;
    }
    if (info.type != NTLMSSP_AUTH)
        return NULL;
    c->ntlm = info;
    c->has_ntlm = true;
    return &c->ntlm;
}

static void dcerpc_bind(struct app_ctx *ctx, struct dcerpc_conn *c, const uint8_t *p, size_t fl, bool le, uint8_t ptype,
                        uint32_t call_id, uint16_t auth_len)
{
    dcerpc_bind_flush(ctx, c, EVENT_DIR_TOSERVER);
    struct dcerpc_event *ev = &c->bind_ev;
    dcerpc_event_base(c, ev);
    ev->ptype = ptype;
    ev->call_id = call_id;
    c->bind_pending = true;
    struct dcerpc_auth a;
    if (dcerpc_auth_read(p, fl, DCERPC_HDR_LEN, auth_len, &a)) {
        ev->has_auth = true;
        ev->auth_type = a.type;
        ev->auth_level = a.level;
        ev->ntlmssp = dcerpc_auth_identity(ctx, c, 0, &a); /* SPNEGO's alter context carries AUTHENTICATE */
    }
    if (fl < 28) {
        app_anomaly(ctx, 0, "dcerpc_bind_short", "bind PDU shorter than its fixed part");
        return;
    }
    uint8_t n_ctx = p[24];
    size_t off = 28;
    for (uint8_t i = 0; i < n_ctx; i++) {
        if (off + 24 > fl) {
            app_anomaly(ctx, 0, "dcerpc_bind_short", "bind context list past the PDU");
            break;
        }
        uint16_t id = le ? rd_le16(p + off) : rd_be16(p + off);
        uint8_t n_ts = p[off + 2];
        struct dcerpc_uuid u;
        memcpy(u.b, p + off + 4, 16);
        if (!le) {
            /* big-endian drep: bring the three integer fields into little-endian wire order */
            uint8_t t[16];
            memcpy(t, u.b, 16);
            u.b[0] = t[3];
            u.b[1] = t[2];
            u.b[2] = t[1];
            u.b[3] = t[0];
            u.b[4] = t[5];
            u.b[5] = t[4];
            u.b[6] = t[7];
            u.b[7] = t[6];
        }
        uint16_t vmaj = le ? rd_le16(p + off + 20) : rd_be16(p + off + 20);
        uint16_t vmin = le ? rd_le16(p + off + 22) : rd_be16(p + off + 22);
        const struct dcerpc_iface_info *info = dcerpc_iface_lookup(&u);
        if (ev->n_ctx < DCERPC_MAX_BIND_CTX) {
            size_t j = ev->n_ctx++;
            ev->ctx[j].ctx_id = id;
            ev->ctx[j].uuid = u;
            ev->ctx[j].ver_major = vmaj;
            ev->ctx[j].ver_minor = vmin;
            ev->ctx[j].name = info ? info->name : NULL;
        }
        /* record the context now; a rejection in bind_ack removes it again */
        struct dcerpc_pctx *slot = NULL;
        for (size_t k = 0; k < DCERPC_MAX_CONTEXTS && !slot; k++)
            if (c->ctxs[k].used && c->ctxs[k].id == id)
                slot = &c->ctxs[k];
        for (size_t k = 0; k < DCERPC_MAX_CONTEXTS && !slot; k++)
            if (!c->ctxs[k].used)
                slot = &c->ctxs[k];
        if (slot) {
            slot->used = true;
            slot->id = id;
            slot->uuid = u;
            slot->ver_major = vmaj;
            slot->ver_minor = vmin;
            slot->info = info;
        } else {
            app_anomaly(ctx, 0, "dcerpc_contexts_full", "more presentation contexts than the limit");
        }
        off += 24 + 20u * n_ts;
    }
}

static void dcerpc_bind_ack(struct app_ctx *ctx, struct dcerpc_conn *c, const uint8_t *p, size_t fl, bool le,
                            uint8_t ptype, uint16_t auth_len)
{
    struct dcerpc_event *ev = &c->bind_ev;
    if (!c->bind_pending) {
        dcerpc_bind_flush(ctx, c, EVENT_DIR_TOCLIENT);
        dcerpc_event_base(c, ev);
        ev->ptype = ptype == DCERPC_BIND_ACK ? DCERPC_BIND : DCERPC_ALTER_CONTEXT;
    }
    ev->resp_ptype = ptype;
    struct dcerpc_auth a;
    struct ntlmssp_info chal;
    bool challenge = false;
    if (dcerpc_auth_read(p, fl, DCERPC_HDR_LEN, auth_len, &a)) {
        if (!ev->has_auth) {
            ev->has_auth = true;
            ev->auth_type = a.type;
            ev->auth_level = a.level;
        }
        challenge = dcerpc_auth_ntlmssp(&a, &chal) && chal.type == NTLMSSP_CHALLENGE;
    }
    if (ptype == DCERPC_BIND_NAK) {
        for (size_t i = 0; i < ev->n_ctx; i++) {
            ev->ctx[i].has_result = true;
            ev->ctx[i].result = 2;
            ev->ctx[i].reason = fl >= 18 ? (le ? rd_le16(p + 16) : rd_be16(p + 16)) : 0;
        }
    } else if (fl >= 26) {
        size_t sec_len = le ? rd_le16(p + 24) : rd_be16(p + 24);
        size_t off = 26 + sec_len;
        off = (off + 3) & ~(size_t)3;
        if (off + 4 <= fl) {
            uint8_t n = p[off];
            off += 4;
            for (uint8_t i = 0; i < n && off + 24 <= fl; i++, off += 24) {
                uint16_t res = le ? rd_le16(p + off) : rd_be16(p + off);
                uint16_t reason = le ? rd_le16(p + off + 2) : rd_be16(p + off + 2);
                if (i < ev->n_ctx) {
                    ev->ctx[i].has_result = true;
                    ev->ctx[i].result = res;
                    ev->ctx[i].reason = reason;
                }
            }
        }
    }
    /* rejected contexts cannot be used by requests */
    for (size_t i = 0; i < ev->n_ctx; i++)
        if (ev->ctx[i].has_result && ev->ctx[i].result != 0)
            for (size_t k = 0; k < DCERPC_MAX_CONTEXTS; k++)
                if (c->ctxs[k].used && c->ctxs[k].id == ev->ctx[i].ctx_id &&
                    memcmp(&c->ctxs[k].uuid, &ev->ctx[i].uuid, 16) == 0)
                    c->ctxs[k].used = false;
    c->bind_pending = false;
    if (challenge) {
        c->auth3_wait = true; /* the AUTHENTICATE may come in an AUTH3: dcerpc_auth3 */
        return;
    }
    app_emit(ctx, EVENT_DCERPC, EVENT_DIR_TOCLIENT, ev);
}

/* The client's PDU after a bind answered with a CHALLENGE: an AUTH3 completes the bind event. */
static void dcerpc_auth3(struct app_ctx *ctx, struct dcerpc_conn *c, const uint8_t *p, size_t fl, uint8_t ptype,
                         uint16_t auth_len)
{
    struct dcerpc_auth a;
    if (ptype == DCERPC_AUTH3 && dcerpc_auth_read(p, fl, DCERPC_HDR_LEN, auth_len, &a))
        c->bind_ev.ntlmssp = dcerpc_auth_identity(ctx, c, 0, &a);
    c->auth3_wait = false;
    app_emit(ctx, EVENT_DCERPC, EVENT_DIR_TOSERVER, &c->bind_ev);
}

static void dcerpc_pdu(struct app_ctx *ctx, struct dcerpc_conn *c, int dir, const uint8_t *p, size_t fl)
{
    uint8_t ptype = p[2], flags = p[3];
    bool le = (p[4] & 0x10) != 0;
    uint16_t auth_len = le ? rd_le16(p + 10) : rd_be16(p + 10);
    uint32_t call_id = le ? rd_le32(p + 12) : rd_be32(p + 12);
    c->vers_minor = p[1];
    if (c->auth3_wait && dir == 0)
        dcerpc_auth3(ctx, c, p, fl, ptype, auth_len);
    struct dcerpc_auth a;
    switch (ptype) {
    case DCERPC_BIND:
    case DCERPC_ALTER_CONTEXT: dcerpc_bind(ctx, c, p, fl, le, ptype, call_id, auth_len); break;
    case DCERPC_BIND_ACK:
    case DCERPC_ALTER_CONTEXT_RESP:
    case DCERPC_BIND_NAK: dcerpc_bind_ack(ctx, c, p, fl, le, ptype, auth_len); break;
    case DCERPC_REQUEST: {
        if (fl < 24) {
            app_anomaly(ctx, dir, "dcerpc_request_short", "request PDU shorter than its header");
            return;
        }
        size_t start = (flags & PFC_OBJECT_UUID) ? 40 : 24, end;
        if (!dcerpc_stub_bounds(p, fl, auth_len, start, &end)) {
            app_anomaly(ctx, dir, "dcerpc_bad_auth_length", "auth_length larger than the PDU");
            return;
        }
        struct dcerpc_call *k = (flags & PFC_FIRST_FRAG) ? NULL : dcerpc_call_find(c, call_id);
        if (!k) {
            k = dcerpc_call_new(ctx, c, call_id);
            k->ctx_id = le ? rd_le16(p + 20) : rd_be16(p + 20);
            k->opnum = le ? rd_le16(p + 22) : rd_be16(p + 22);
            /* a later fragment after a gap: the stub's head was lost with the first */
            if (!(flags & PFC_FIRST_FRAG) && c->d[0].gap_seen)
                k->stub_truncated = true;
        }
        k->req_frags++;
        k->req_stub += end - start;
        bool sealed = false;
        if (dcerpc_auth_read(p, fl, start, auth_len, &a)) {
            if (!k->has_auth) {
                k->has_auth = true;
                k->auth_type = a.type;
                k->auth_level = a.level;
            }
            /* a sealed (privacy) stub is ciphertext: count it, do not decode it */
            sealed = a.level == DCERPC_AUTHN_LEVEL_PRIVACY;
        }
        if (!sealed)
            dcerpc_stub_append(ctx, k, p + start, end - start);
        if (flags & PFC_LAST_FRAG) {
            k->req_done = true;
            dcerpc_decode_stub(ctx, c, k, le);
            if (k->stub) {
                app_free(ctx, k->stub, k->stub_cap);
                k->stub = NULL;
                k->stub_cap = k->stub_len = 0;
            }
        }
        break;
    }
    case DCERPC_RESPONSE:
    case DCERPC_FAULT: {
        struct dcerpc_call *k = dcerpc_call_find(c, call_id);
        if (!k) {
            /* response to a request we did not see (midstream): still worth an event */
            k = dcerpc_call_new(ctx, c, call_id);
            k->ctx_id = fl >= 22 ? (le ? rd_le16(p + 20) : rd_be16(p + 20)) : 0;
            k->opnum = 0xffff;
        }
        if (k->resp_gapped && (flags & PFC_FIRST_FRAG)) {
            /* the response starts again after the gap: what was kept of it before is void */
            k->resp_gapped = false;
            k->resp_head_len = 0;
            if (k->srvsvc) {
                k->stub_len = 0;
                k->stub_truncated = false;
            }
        }
        k->resp_frags++;
        if (ptype == DCERPC_FAULT) {
            uint32_t st = fl >= 28 ? (le ? rd_le32(p + 24) : rd_be32(p + 24)) : 0;
            dcerpc_call_emit(ctx, c, k, DCERPC_FAULT, st, EVENT_DIR_TOCLIENT);
            break;
        }
        size_t end;
        if (dcerpc_stub_bounds(p, fl, auth_len, 24, &end)) {
            k->resp_stub += end - 24;
            bool sealed = dcerpc_auth_read(p, fl, 24, auth_len, &a) && a.level == DCERPC_AUTHN_LEVEL_PRIVACY;
            if (sealed)
                k->resp_sealed = true;
            else if (k->svcctl)
                dcerpc_resp_keep(k, p + 24, end - 24);
            else if (k->srvsvc)
                dcerpc_stub_append(ctx, k, p + 24, end - 24);
        }
        if (flags & PFC_LAST_FRAG) {
            dcerpc_svcctl_response(ctx, c, k, le);
            if (k->srvsvc && k->stub && !k->stub_truncated && !k->resp_sealed && !k->resp_gapped)
                dcerpc_srvsvc_decode_response(k->stub, k->stub_len, le, k->srvsvc);
            dcerpc_call_emit(ctx, c, k, DCERPC_RESPONSE, 0, EVENT_DIR_TOCLIENT);
        }
        break;
    }
    default: break;
    }
}

static bool dcerpc_dir_reserve(struct app_ctx *ctx, struct dcerpc_dir *d, uint32_t need)
{
    if (d->cap >= need)
        return true;
    uint32_t cap = need < 1024 ? 1024 : need;
    uint8_t *nb = app_alloc(ctx, cap);
    if (!nb)
        return false;
    if (d->len)
        memcpy(nb, d->buf, d->len);
    if (d->buf)
        app_free(ctx, d->buf, d->cap);
    d->buf = nb;
    d->cap = cap;
    return true;
}

static uint16_t frag_len_of(const uint8_t *h)
{
    return (h[4] & 0x10) ? rd_le16(h + 8) : rd_be16(h + 8);
}

/* Which connection-oriented PTYPEs each direction sends [C706 12.6.4, MS-RPCE 2.2.2.x]: bit per PTYPE. */
#define PT(t) (1u << (t))
static const uint32_t dcerpc_dir_ptypes[2] = {
    PT(DCERPC_REQUEST) | PT(DCERPC_BIND) | PT(DCERPC_ALTER_CONTEXT) | PT(DCERPC_AUTH3) | PT(DCERPC_CO_CANCEL) |
        PT(DCERPC_ORPHANED),
    PT(DCERPC_RESPONSE) | PT(DCERPC_FAULT) | PT(DCERPC_BIND_ACK) | PT(DCERPC_BIND_NAK) | PT(DCERPC_ALTER_CONTEXT_RESP) |
        PT(DCERPC_SHUTDOWN),
};
#undef PT

/* The fixed part each PTYPE has before its variable fields (C706 12.6.4). */
static uint16_t dcerpc_min_frag(uint8_t ptype)
{
    switch (ptype) {
    case DCERPC_REQUEST:
    case DCERPC_RESPONSE:
    case DCERPC_FAULT: return 24;
    case DCERPC_BIND:
    case DCERPC_ALTER_CONTEXT:
    case DCERPC_BIND_ACK:
    case DCERPC_ALTER_CONTEXT_RESP: return 26;
    case DCERPC_BIND_NAK: return 18;
    default: return DCERPC_HDR_LEN;
    }
}

/*
 * Resync check: a common header this direction could send next at p[0]:
 *   0 rpc_vers 5, 1 rpc_vers_minor 0 or 1, 2 PTYPE of this direction, 3 pfc_flags without the reserved
 *   0x08 and MAYBE 0x40, OBJECT_UUID only on a request; 4 drep: integer 0 or 1 and ASCII, float 0-3, two
 *   zero bytes; 8 frag_length at least the PTYPE's fixed part, 10 auth_length leaving room for
 *   the fixed part and the 8-byte sec_trailer; then, if in hand, version 5.0/5.1 again at frag_length.
 */
static enum app_resync_verdict dcerpc_resync_check(const void *arg, const uint8_t *p, size_t avail)
{
    int dir = *(const int *)arg;
    static const uint8_t want[] = {5, 1};
    /* the bytes that are there must agree before the whole header is */
    if (p[0] != want[0] || (avail > 1 && p[1] > want[1]))
        return APP_RESYNC_NO;
    if (avail > 2 && (p[2] >= DCERPC_PTYPE__COUNT || !(dcerpc_dir_ptypes[dir & 1] >> p[2] & 1)))
        return APP_RESYNC_NO;
    struct br b = br_init(p, avail);
    br_skip(&b, 2);
    uint8_t ptype = br_u8(&b);
    uint8_t flags = br_u8(&b);
    const uint8_t *drep = br_take(&b, 4);
    if (!drep)
        return APP_RESYNC_MORE;
    if ((flags & 0x48) || ((flags & PFC_OBJECT_UUID) && ptype != DCERPC_REQUEST))
        return APP_RESYNC_NO;
    if ((drep[0] != 0x00 && drep[0] != 0x10) || drep[1] > 3 || drep[2] != 0 || drep[3] != 0)
        return APP_RESYNC_NO;
    bool le = drep[0] == 0x10;
    uint16_t fl = le ? br_le16(&b) : br_be16(&b);
    uint16_t auth_len = le ? br_le16(&b) : br_be16(&b);
    br_skip(&b, 4); /* call_id */
    if (b.err)
        return APP_RESYNC_MORE;
    uint32_t fixed = dcerpc_min_frag(ptype) + ((flags & PFC_OBJECT_UUID) ? 16u : 0u);
    if (fl < fixed) /* (and at most DCERPC_MAX_FRAG: 16 bits) */
        return APP_RESYNC_NO;
    if (auth_len && (uint32_t)auth_len + 8 > fl - fixed)
        return APP_RESYNC_NO;
    struct br nx = br_init(p, avail);
    br_skip(&nx, fl);
    if (br_left(&nx) >= 1 && br_u8(&nx) != 5)
        return APP_RESYNC_NO;
    if (br_left(&nx) >= 1 && br_u8(&nx) > 1)
        return APP_RESYNC_NO;
    return APP_RESYNC_YES;
}

/* A search for the next header: after a gap (reported), or after a malformed header (already reported). */
static void dcerpc_resync_start(struct dcerpc_dir *d, bool after_gap, uint64_t gap_len)
{
    d->len = 0;
    app_resync_start(&d->rs, after_gap, gap_len, DCERPC_RESYNC_MAX);
}

/* Whole PDUs of a direction that is in step; returns the bytes used (fewer than n if framing went wrong). */
static size_t dcerpc_frame(struct app_ctx *ctx, struct dcerpc_conn *c, int dir, const uint8_t *p0, size_t n0)
{
    struct dcerpc_dir *d = &c->d[dir];
    const uint8_t *p = p0;
    size_t n = n0;
    while (n > 0) {
        if (d->len == 0 && n >= DCERPC_HDR_LEN) {
            /* fast path: whole PDUs in place */
            if (!dcerpc_looks_like_pdu(p, n)) {
                app_anomaly(ctx, dir, "dcerpc_bad_header", "bytes that are not a DCE/RPC PDU header");
                dcerpc_resync_start(d, false, 0);
                return (size_t)(p - p0); /* searched from here */
            }
            uint16_t fl = frag_len_of(p);
            if (fl <= n) {
                dcerpc_pdu(ctx, c, dir, p, fl);
                p += fl;
                n -= fl;
                continue;
            }
        }
        /* gather the header, then the rest of the PDU */
        uint32_t want = DCERPC_HDR_LEN;
        if (d->len >= DCERPC_HDR_LEN)
            want = frag_len_of(d->buf);
        if (d->len >= DCERPC_HDR_LEN && d->len == want) {
            /* a PDU that is only its header (frag_length 16): complete without more bytes */
            dcerpc_pdu(ctx, c, dir, d->buf, d->len);
            d->len = 0;
            continue;
        }
        if (!dcerpc_dir_reserve(ctx, d, want < DCERPC_HDR_LEN ? DCERPC_HDR_LEN : want)) {
            app_anomaly(ctx, dir, "dcerpc_memcap", "no memory to buffer a DCE/RPC PDU");
            dcerpc_resync_start(d, false, 0);
            return (size_t)(p - p0);
        }
        size_t take = want - d->len < n ? want - d->len : n;
        memcpy(d->buf + d->len, p, take);
        d->len += (uint32_t)take;
        p += take;
        n -= take;
        if (d->len == DCERPC_HDR_LEN && want == DCERPC_HDR_LEN) {
            if (!dcerpc_looks_like_pdu(d->buf, d->len)) {
                app_anomaly(ctx, dir, "dcerpc_bad_header", "bytes that are not a DCE/RPC PDU header");
                dcerpc_resync_start(d, false, 0);
                return (size_t)(p - p0);
            }
            continue;
        }
        if (d->len >= DCERPC_HDR_LEN && d->len == frag_len_of(d->buf)) {
            dcerpc_pdu(ctx, c, dir, d->buf, d->len);
            d->len = 0;
        }
    }
    return n0;
}

void dcerpc_conn_feed(struct app_ctx *ctx, struct dcerpc_conn *c, int dir, const uint8_t *p, size_t n)
{
    dir &= 1;
    struct dcerpc_dir *d = &c->d[dir];
    struct app_resync_input in;
    app_resync_input_init(&in, p, n);
    while (app_resync_input_more(&in)) {
        if (d->dead)
            return;
        if (!d->rs.active) {
            app_resync_input_take(&in, dcerpc_frame(ctx, c, dir, in.p, in.n));
            continue;
        }
        enum app_resync_result r = app_resync_scan(ctx, &d->rs, &in, dcerpc_resync_check, &dir, 5);
        if (r == APP_RESYNC_SEARCHING)
            return;
        /* over a pipe, the SMB layer reports its gap; this one only if it cost the pipe something */
        if (r == APP_RESYNC_GAVE_UP || c->transport == DCERPC_TRANSPORT_TCP || d->dropped || d->rs.skipped)
            app_resync_report(ctx, &d->rs, dir, r, "DCE/RPC");
        d->rs.active = false;
        d->dropped = false;
        if (r == APP_RESYNC_GAVE_UP) {
            d->dead = true;
            return;
        }
    }
}

static void dcerpc_dir_gap(struct app_ctx *ctx, struct dcerpc_conn *c, int dir, uint64_t len)
{
    dir &= 1;
    struct dcerpc_dir *d = &c->d[dir];
    if (d->dead)
        return;
    size_t dropped = 0;
    /* fragments of calls being reassembled in this direction: the rest is counted, not decoded */
    for (size_t i = 0; i < DCERPC_MAX_CALLS; i++) {
        struct dcerpc_call *k = &c->calls[i];
        if (!k->used)
            continue;
        if (dir == 0 && !k->req_done && k->req_frags && !k->stub_truncated) {
            k->stub_truncated = true;
            dropped++;
        } else if (dir == 1 && k->req_done && !k->resp_gapped) {
            /* its first response fragment may be what was lost: decoded only if it comes again */
            k->resp_gapped = true;
            dropped += k->resp_frags != 0;
        }
    }
    if (!dropped && d->len)
        dropped = 1; /* a PDU being gathered that no call was reassembling (a bind, a single fragment) */
    if (dropped) {
        d->dropped = true;
        if (ctx->al && ctx->al->stats)
            ctx->al->stats->app_gap_dropped += dropped;
    }
    d->gap_seen = true;
    dcerpc_resync_start(d, true, len);
}

void dcerpc_conn_gap(struct app_ctx *ctx, struct dcerpc_conn *c, int dir)
{
    dcerpc_dir_gap(ctx, c, dir, 0); /* over a pipe: how many of the lost bytes were the pipe's is unknown */
}

/* ---- DCE/RPC over TCP as its own parser (port 135 and dynamic ports by probing) ---- */

static enum probe_result dcerpc_tcp_probe(const uint8_t *data, size_t len, int dir)
{
    if (len < DCERPC_HDR_LEN)
        return len > 0 && data[0] != 5 ? PROBE_NO : PROBE_MAYBE;
    if (!dcerpc_looks_like_pdu(data, len))
        return PROBE_NO;
    /* a client opens with bind (or alter context); a server with bind_ack/nak */
    uint8_t t = data[2];
    if (dir == 0)
        return t == DCERPC_BIND || t == DCERPC_ALTER_CONTEXT || t == DCERPC_REQUEST ? PROBE_YES : PROBE_NO;
    return t == DCERPC_BIND_ACK || t == DCERPC_BIND_NAK || t == DCERPC_RESPONSE ? PROBE_YES : PROBE_NO;
}

static void *dcerpc_tcp_new(struct app_ctx *ctx)
{
    return dcerpc_conn_new(ctx, DCERPC_TRANSPORT_TCP, NULL);
}

static void dcerpc_tcp_free(struct app_ctx *ctx, void *state)
{
    dcerpc_conn_free(ctx, state);
}

static void dcerpc_tcp_data(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len)
{
    dcerpc_conn_feed(ctx, state, dir, data, len);
}

static void dcerpc_tcp_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    dcerpc_dir_gap(ctx, state, dir, len);
}

static void dcerpc_tcp_close(struct app_ctx *ctx, void *state)
{
    struct dcerpc_conn *c = state;
    for (int dir = 0; dir < 2; dir++)
        if (c->d[dir].rs.active && !c->d[dir].dead)
            app_resync_report(ctx, &c->d[dir].rs, dir, APP_RESYNC_SEARCHING, "DCE/RPC");
    /* flush unanswered binds and calls; the state itself is freed by state_free */
    dcerpc_bind_flush(ctx, c, EVENT_DIR_NONE);
    for (size_t i = 0; i < DCERPC_MAX_CALLS; i++)
        if (c->calls[i].used && c->calls[i].req_done)
            dcerpc_call_emit(ctx, c, &c->calls[i], 0xff, 0, EVENT_DIR_NONE);
}

const struct app_parser dcerpc_tcp_parser = {
    .name = "dcerpc",
    .proto = APP_DCERPC,
    .ipproto = 6,
    .config = &dcerpc_config_module,
    .probe = dcerpc_tcp_probe,
    .state_new = dcerpc_tcp_new,
    .state_free = dcerpc_tcp_free,
    .on_data = dcerpc_tcp_data,
    .on_gap = dcerpc_tcp_gap,
    .on_close = dcerpc_tcp_close,
};
