/*
 * dcerpc.h - connection-oriented DCE/RPC [C706 12, MS-RPCE 2.2.2] over SMB
 * named pipes and over TCP.
 *
 * Files, one per layer:
 *   dcerpc_pdu.c      PDU framing per direction (a byte stream: a PDU may span
 *                     several pipe writes, one write may hold several PDUs),
 *                     bind/alter-context/bind_ack, request/response/fault,
 *                     fragment reassembly of stub data with a cap, the TCP parser
 *   dcerpc_iface.c    interface UUID -> name, opnum -> operation name
 *   dcerpc_opnames.c  the named interfaces' UUIDs and operation-name tables
 *   dcerpc_ndr.c      a bounded NDR reader (ndr.h) and the svcctl/atsvc stub decoders
 *   dcerpc_srvsvc.c   the srvsvc stub decoder: share enumeration, server info
 *
 * An SMB open of a named pipe owns one `struct dcerpc_conn` and feeds it the
 * pipe's bytes (dir 0 = written by the client, 1 = read by it); a TCP flow
 * recognised as DCE/RPC owns one too through the registered parser.
 *
 * Events: one EVENT_DCERPC per bind/bind_ack (interfaces and results) and per
 * request/response (opnum, operation, fault status, decoded stub).
 */
#ifndef MEDSENTRY_APP_DCERPC_DCERPC_H
#define MEDSENTRY_APP_DCERPC_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/smb/ntlmssp.h"
#include "core/bytes.h"

/* dcerpc.* and app-layer.protocols.dcerpc.*: the key table is in dcerpc_pdu.c.  DCE/RPC inside SMB named pipes
 * follows smb's enabled key but uses dcerpc.max-stub-size. */
struct dcerpc_cfg {
    struct app_proto_cfg proto;
    uint64_t max_stub; /* dcerpc.max-stub-size: reassembled stub bytes per call and direction */
};
extern const struct config_module dcerpc_config_module;

#define DCERPC_MAX_CONTEXTS    16    /* presentation contexts per connection */
#define DCERPC_MAX_CALLS       16    /* outstanding calls per connection */
#define DCERPC_MAX_FRAG        65535 /* frag_length is 16 bits */
#define DCERPC_STR_MAX         512   /* UTF-8 bytes kept of a decoded NDR string */
#define DCERPC_MAX_HANDLES     16    /* svcctl context handles remembered per connection */
#define DCERPC_HANDLE_NAME_MAX 260   /* UTF-8 bytes kept of the name behind a handle (SCMR: 256 chars) */
#define DCERPC_CTX_HANDLE_LEN  20    /* an NDR context handle: attributes u32 + uuid [MS-RPCE 2.2.4.6] */

enum dcerpc_ptype {
    DCERPC_REQUEST = 0,
    DCERPC_PING = 1,
    DCERPC_RESPONSE = 2,
    DCERPC_FAULT = 3,
    DCERPC_WORKING = 4,
    DCERPC_NOCALL = 5,
    DCERPC_REJECT = 6,
    DCERPC_ACK = 7,
    DCERPC_CL_CANCEL = 8,
    DCERPC_FACK = 9,
    DCERPC_CANCEL_ACK = 10,
    DCERPC_BIND = 11,
    DCERPC_BIND_ACK = 12,
    DCERPC_BIND_NAK = 13,
    DCERPC_ALTER_CONTEXT = 14,
    DCERPC_ALTER_CONTEXT_RESP = 15,
    DCERPC_AUTH3 = 16,
    DCERPC_SHUTDOWN = 17,
    DCERPC_CO_CANCEL = 18,
    DCERPC_ORPHANED = 19,
    DCERPC_PTYPE__COUNT
};

enum dcerpc_transport { DCERPC_TRANSPORT_TCP = 0, DCERPC_TRANSPORT_SMB };

/* sec_trailer auth_type [MS-RPCE 2.2.1.1.7] and auth_level [2.2.1.1.8] values medsentry looks inside */
#define DCERPC_AUTHN_GSS_NEGOTIATE 9  /* SPNEGO: may wrap NTLMSSP */
#define DCERPC_AUTHN_WINNT         10 /* NTLMSSP */
#define DCERPC_AUTHN_LEVEL_PRIVACY 6  /* the stub is encrypted */

struct dcerpc_uuid {
    uint8_t b[16]; /* as on the wire, little-endian fields (drep 0x10) */
};

/* "367abb81-9844-35f1-ad32-98f038001003"; out needs 37 bytes. */
void dcerpc_uuid_format(const struct dcerpc_uuid *u, char out[37]);

struct dcerpc_iface_info {
    const char *name;           /* "svcctl", or NULL if unknown */
    const char *const *opnames; /* operation names by opnum */
    uint16_t n_opnames;
};
/* The interfaces medsentry names (dcerpc_opnames.c): the UUID as dcerpc_uuid_format prints it (lower case). */
struct dcerpc_iface_entry {
    const char *uuid;
    struct dcerpc_iface_info info;
};
extern const struct dcerpc_iface_entry dcerpc_ifaces[];
extern const size_t dcerpc_n_ifaces;

/* Looks the interface up by UUID; NULL if unknown. */
const struct dcerpc_iface_info *dcerpc_iface_lookup(const struct dcerpc_uuid *u);
/* Operation name, or NULL. */
const char *dcerpc_opnum_name(const struct dcerpc_iface_info *i, uint16_t opnum);
const char *dcerpc_ptype_name(uint8_t ptype);
const char *dcerpc_fault_name(uint32_t status);
/* auth_type as Wireshark names it ("NTLMSSP", "SPNEGO"), or NULL if unnamed */
const char *dcerpc_auth_type_name(uint8_t type);
/* auth_level as MS-RPCE's RPC_C_AUTHN_LEVEL_* in lower case ("connect", "pkt_privacy"), or NULL */
const char *dcerpc_auth_level_name(uint8_t level);

/* ---- decoded service-control operations (MS-SCMR) and scheduled tasks (MS-TSCH) ---- */
struct dcerpc_svcctl {
    bool present;
    uint16_t opnum;
    char machine[DCERPC_STR_MAX]; /* OpenSCManager lpMachineName */
    char database[64];            /* OpenSCManager lpDatabaseName */
    char service_name[DCERPC_STR_MAX];
    char display_name[DCERPC_STR_MAX];
    char binary_path[DCERPC_STR_MAX];
    char start_name[DCERPC_STR_MAX]; /* lpServiceStartName (the account) */
    bool has_access, has_type, has_start, has_error, has_control, has_argc;
    uint32_t access, service_type, start_type, error_control, control, argc;
    bool truncated; /* a string did not fit or the stub ended early */
    /* the SC_RPC_HANDLE the request operates on (the first argument of most operations) */
    bool has_handle;
    uint8_t handle[DCERPC_CTX_HANDLE_LEN];
    bool name_from_handle; /* service_name / machine came from the handle table */
    /* response: the DWORD every RPC of MS-SCMR returns last (0 = ERROR_SUCCESS) */
    bool has_return;
    uint32_t return_code;
};

struct dcerpc_atsvc {
    bool present;
    char task_path[DCERPC_STR_MAX]; /* SchRpcRegisterTask path; JobAdd: empty */
    char command[DCERPC_STR_MAX];   /* JobAdd Command; SchRpcRegisterTask: <Command> of the XML */
    char arguments[DCERPC_STR_MAX]; /* SchRpcRegisterTask: <Arguments> */
};

/* ---- the server service (MS-SRVS): share enumeration and server information ---- */
#define DCERPC_SRVSVC_MAX_SHARES 32 /* share entries kept of one NetrShareEnum response */
struct dcerpc_srvsvc_share {
    char name[128]; /* shi*_netname (NNLEN 80 characters) */
    char path[260]; /* shi2/502/503_path: the local path behind the share */
    bool has_type;
    uint32_t type; /* STYPE_* [MS-SRVS 2.2.2.4] */
};
struct dcerpc_srvsvc {
    bool present;
    uint16_t opnum;
    /* request */
    char server[256]; /* ServerName as the client wrote it */
    char share[128];  /* NetrShareGetInfo NetName */
    bool has_level;
    uint32_t level;
    /* response */
    bool has_return;
    uint32_t return_code; /* NET_API_STATUS */
    bool has_entries;
    uint32_t entries; /* NetrShareEnum EntriesRead (the shares below are the first DCERPC_SRVSVC_MAX_SHARES) */
    size_t n_shares;
    struct dcerpc_srvsvc_share shares[DCERPC_SRVSVC_MAX_SHARES];
    bool has_server_info; /* NetrServerGetInfo SERVER_INFO_100/101/102 */
    bool has_version;     /* 101/102 */
    uint32_t platform_id, version_major, version_minor, server_type;
    char server_name[128];
    char comment[256];
    bool truncated; /* a string did not fit or the stub ended early */
};

#define DCERPC_MAX_BIND_CTX 8
struct dcerpc_event {
    uint8_t ptype;      /* request ptype: DCERPC_BIND, DCERPC_ALTER_CONTEXT, DCERPC_REQUEST */
    uint8_t resp_ptype; /* response ptype, or 0xff if none was seen */
    uint32_t call_id;
    uint8_t rpc_vers, rpc_vers_minor;
    enum dcerpc_transport transport;
    const char *pipe; /* SMB named pipe name, or NULL */
    /* bind / alter context */
    size_t n_ctx;
    struct {
        uint16_t ctx_id;
        struct dcerpc_uuid uuid;
        uint16_t ver_major, ver_minor;
        const char *name;
        bool has_result;
        uint16_t result, reason;
    } ctx[DCERPC_MAX_BIND_CTX];
    /* request / response */
    uint16_t opnum;
    uint16_t ctx_id;
    const char *iface_name; /* of the context, if bound and known */
    const struct dcerpc_uuid *iface_uuid;
    const char *op_name;
    uint32_t req_frags, resp_frags;
    uint64_t req_stub_len, resp_stub_len;
    bool fault;
    uint32_t fault_status;
    const struct dcerpc_svcctl *svcctl;
    const struct dcerpc_atsvc *atsvc;
    const struct dcerpc_srvsvc *srvsvc;
    /* the auth verifier: of the bind / alter context (else its response), or of the request */
    bool has_auth;
    uint8_t auth_type, auth_level;
    /* an NTLMSSP AUTHENTICATE carried by the handshake (AUTH3 or alter context), or NULL */
    const struct ntlmssp_info *ntlmssp;
};

struct dcerpc_conn;

/* A connection; pipe is copied (may be NULL).  NULL on memcap. */
struct dcerpc_conn *dcerpc_conn_new(struct app_ctx *ctx, enum dcerpc_transport t, const char *pipe);
/* Emits what is pending (requests without responses) and frees. */
void dcerpc_conn_free(struct app_ctx *ctx, struct dcerpc_conn *c);
/* Bytes of one direction (0 client to server). */
void dcerpc_conn_feed(struct app_ctx *ctx, struct dcerpc_conn *c, int dir, const uint8_t *p, size_t n);
/* Bytes of one direction were lost: drop the partial PDU, resynchronise on the next PDU start. */
void dcerpc_conn_gap(struct app_ctx *ctx, struct dcerpc_conn *c, int dir);
/* True if the bytes look like a CO DCE/RPC PDU header (version 5, known ptype, sane length). */
bool dcerpc_looks_like_pdu(const uint8_t *p, size_t n);

/* NDR stub decoders (dcerpc_ndr.c): 0 if decoded (even partly), -1 if not an operation we decode. */
int dcerpc_svcctl_decode(uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian, struct dcerpc_svcctl *out);
/* The handle an open/create response returns [MS-SCMR 3.1.4.15/16/12 and the A forms]: true and
 * handle copied out if the operation returns one and the stub holds it. */
bool dcerpc_svcctl_response_handle(uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian,
                                   uint8_t handle[DCERPC_CTX_HANDLE_LEN]);
int dcerpc_atsvc_decode(bool is_tsch, uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian,
                        struct dcerpc_atsvc *out);

/* srvsvc (dcerpc_srvsvc.c): the request of NetrShareEnum(Sticky) / NetrShareGetInfo / NetrServerGetInfo
 * (0, or -1 for another opnum), then its response stub into the same structure. */
int dcerpc_srvsvc_decode(uint16_t opnum, const uint8_t *stub, size_t n, bool little_endian, struct dcerpc_srvsvc *out);
void dcerpc_srvsvc_decode_response(const uint8_t *stub, size_t n, bool little_endian, struct dcerpc_srvsvc *out);

extern const struct app_parser dcerpc_tcp_parser;

#endif
