/*
 * dicom.h - the DICOM upper layer (PS3.8) and DIMSE (PS3.7) analyzer: types
 * shared by its layers and the `dicom` event that leaves it.
 *
 * Layers, one file each:
 *   dicom_pdu.c      PDU framing (PS3.8 9.3) and the A-ASSOCIATE / RJ / RELEASE /
 *                    ABORT bodies with every item and sub-item (PS3.8 9.3.2-9.3.8,
 *                    Annex D.3.3 user information sub-items).
 *   dicom_dimse.c    command sets (PS3.7 9.3, 10.3, Annex E): implicit VR LE group
 *                    0000; names of command fields and statuses (PS3.7 Annex C).
 *   dicom_dataset.c  the bounded element walker over data sets (PS3.5 7.1, 7.5)
 *                    picking what detection and the inventory need.
 *   dicom_uid.c      UID -> name from the generated PS3.6 Table A-1.
 *   dicom_assoc.c    the per-flow association state machine, PDV reassembly,
 *                    request/response pairing, events, and the app_parser.
 *
 * Everything read from the wire goes through a bounded reader (core/bytes.h);
 * every buffer and table is bounded by a limit below or by the configuration.
 */
#ifndef MEDSENTRY_APP_DICOM_DICOM_H
#define MEDSENTRY_APP_DICOM_DICOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "core/phi.h"

/* PDU types (PS3.8 Table 9-1 ... 9-26). */
enum dicom_pdu_type {
    DICOM_PDU_ASSOC_RQ = 0x01,
    DICOM_PDU_ASSOC_AC = 0x02,
    DICOM_PDU_ASSOC_RJ = 0x03,
    DICOM_PDU_P_DATA = 0x04,
    DICOM_PDU_RELEASE_RQ = 0x05,
    DICOM_PDU_RELEASE_RP = 0x06,
    DICOM_PDU_ABORT = 0x07,
};
#define DICOM_PDU_TYPES 8 /* index 1..7 */

/* Limits.  Strings carry one more byte for the terminating NUL. */
#define DICOM_UID_MAX          64    /* PS3.5 9.1: a UID is at most 64 characters */
#define DICOM_AE_MAX           16    /* PS3.8 9.3.2: AE title fields are 16 bytes */
#define DICOM_MAX_PCTX         128   /* context ids are odd 1..255: at most 128 */
#define DICOM_MAX_TS_PER_PCTX  4     /* proposed transfer syntaxes kept per context (all counted) */
#define DICOM_MAX_ROLES        16    /* SCP/SCU role selection sub-items kept */
#define DICOM_MAX_EXTNEG       16    /* extended negotiation sub-items kept */
#define DICOM_MAX_PENDING      64    /* outstanding requests per direction */
#define DICOM_MAX_QUERY_KEYS   32    /* attribute tags listed from one identifier */
#define DICOM_MAX_CMD_BYTES    65536 /* a command set larger than this is malformed */
#define DICOM_IMPL_VERSION_MAX 16    /* PS3.7 D.3.3.2.3: 1 to 16 characters */
#define DICOM_USER_MAX         128   /* user identity primary field kept (username) */
#define DICOM_STR_MAX          64    /* other short strings kept from data sets and commands */
#define DICOM_PHI_MAX          72    /* "phi:" + 64 hex chars, or a clear value of up to 64 bytes */

/* dicom.* and app-layer.protocols.dicom.*: the key table (defaults, ranges, comments) is in dicom_assoc.c. */
struct dicom_cfg {
    struct app_proto_cfg proto;
    uint32_t max_pdu;        /* dicom.max-pdu-length: buffered non-P-DATA PDU bodies and the PDU length sanity limit */
    uint32_t dataset_budget; /* dicom.dataset-budget: data set bytes kept per message for the element walker */
    uint32_t max_depth;      /* dicom.max-depth: sequence/item nesting the walker follows */
};
extern const struct config_module dicom_config_module;

/* A per-flow memo of the last pseudonyms computed: an association stores and queries the same few patients
 * over and over, and one HMAC-SHA256 costs far more than a compare.  Values up to DICOM_STR_MAX bytes. */
#define DICOM_PHI_CACHE 32 /* more than the PHI attributes one data set can carry */
struct dicom_phi_cache {
    uint8_t next; /* round-robin replacement */
    struct {
        uint8_t len; /* 0 = empty */
        uint8_t value[DICOM_STR_MAX];
        char pseudonym[PHI_PSEUDONYM_SIZE];
    } e[DICOM_PHI_CACHE];
};

struct dicom_limits {
    uint32_t max_pdu;
    uint32_t dataset_budget;
    uint32_t max_depth;
    bool log_phi;
    const uint8_t *phi_key; /* NULL: PHI is redacted ("phi:redacted") */
    size_t phi_key_len;
    struct dicom_phi_cache *phi_cache; /* per-flow memo of pseudonyms; NULL: none */
};

/* ---- association ---------------------------------------------------------------------------- */

struct dicom_pctx {
    uint8_t id;
    bool proposed, answered;
    uint8_t result;      /* PS3.8 Table 9-18; valid if answered */
    uint8_t n_ts;        /* proposed transfer syntaxes kept */
    uint16_t n_ts_total; /* proposed transfer syntaxes seen */
    char abstract[DICOM_UID_MAX + 1];
    char ts[DICOM_MAX_TS_PER_PCTX][DICOM_UID_MAX + 1];
    char accepted_ts[DICOM_UID_MAX + 1]; /* from the A-ASSOCIATE-AC */
};

struct dicom_role {
    char uid[DICOM_UID_MAX + 1];
    uint8_t scu, scp;
};

/* User information (PS3.8 9.3.2.3, PS3.7 Annex D.3.3) of one A-ASSOCIATE-RQ or -AC. */
struct dicom_user_info {
    bool present;
    bool has_max_pdu, has_async;
    uint32_t max_pdu; /* 0 = unlimited */
    char impl_class_uid[DICOM_UID_MAX + 1];
    char impl_version[DICOM_IMPL_VERSION_MAX + 1];
    uint16_t async_invoked, async_performed;
    uint8_t n_roles;
    struct dicom_role roles[DICOM_MAX_ROLES];
    uint8_t n_extneg; /* 0x56 SOP class extended negotiation */
    char extneg[DICOM_MAX_EXTNEG][DICOM_UID_MAX + 1];
    uint8_t n_common_extneg; /* 0x57 */
    /* 0x58 user identity (RQ) / 0x59 (AC) */
    bool has_user_identity;
    uint8_t user_identity_type; /* 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT */
    bool user_identity_response_requested;
    char username[DICOM_USER_MAX + 1]; /* primary field, for types 1 and 2 */
    uint16_t primary_len, secondary_len;
    bool password_in_clear;       /* type 2 with a non-empty passcode */
    uint16_t server_response_len; /* 0x59 */
};

enum dicom_assoc_state {
    DICOM_ASSOC_IDLE = 0,
    DICOM_ASSOC_REQUESTED,
    DICOM_ASSOC_ESTABLISHED,
    DICOM_ASSOC_REJECTED,
    DICOM_ASSOC_RELEASING,
    DICOM_ASSOC_RELEASED,
    DICOM_ASSOC_ABORTED,
};

/* Counters by DIMSE command (index: dicom_cmd_index()) and status class. */
enum dicom_status_class {
    DICOM_STATUS_SUCCESS = 0,
    DICOM_STATUS_PENDING,
    DICOM_STATUS_CANCEL,
    DICOM_STATUS_WARNING,
    DICOM_STATUS_FAILURE,
    DICOM_STATUS__COUNT
};
#define DICOM_CMD_SLOTS 32
/* The two pending statuses (PS3.7 C.4.1.1.4 C-FIND: 0xFF00 matches are continuing, 0xFF01 matches are
 * continuing but one or more optional keys were not supported; C-MOVE/C-GET C.4.2.1.5/C.4.3.1.4: 0xFF00
 * sub-operations are continuing).  Index: status & 1. */
#define DICOM_PENDING_KINDS 2

struct dicom_assoc {
    enum dicom_assoc_state state;
    uint64_t start_us, end_us;
    uint16_t protocol_version;
    char called_ae[DICOM_AE_MAX + 1], calling_ae[DICOM_AE_MAX + 1];
    char ac_called_ae[DICOM_AE_MAX + 1], ac_calling_ae[DICOM_AE_MAX + 1];
    char app_context[DICOM_UID_MAX + 1];
    char ac_app_context[DICOM_UID_MAX + 1];
    struct dicom_pctx *pctx; /* pctx_cap entries (app_alloc'd, sized from the PDU) */
    uint16_t pctx_cap;
    uint16_t n_pctx;               /* contexts kept (<= pctx_cap) */
    uint16_t n_pctx_rq, n_pctx_ac; /* items seen */
    struct dicom_user_info ui_rq, ui_ac;
    /* A-ASSOCIATE-RJ */
    uint8_t rj_result, rj_source, rj_reason;
    /* A-ABORT */
    uint8_t abort_source, abort_reason;
    int abort_dir;
    /* summary */
    uint64_t bytes[2];
    uint64_t pdus[2][DICOM_PDU_TYPES];
    uint64_t pdvs[2];
    uint64_t ops_by_cmd[DICOM_CMD_SLOTS]; /* messages seen, by command (RQ and RSP) */
    uint64_t rsp_by_class[DICOM_STATUS__COUNT];
    uint64_t pending_by_status[DICOM_PENDING_KINDS]; /* pending responses: [0] 0xFF00, [1] 0xFF01 */
    uint64_t anomalies;
    uint32_t assoc_count; /* associations on this flow so far */
    /* A-ASSOCIATE-RQ oddities an exploit shows: the longest item or sub-item that carries a UID (application
     * context 0x10, abstract / transfer syntax 0x30 / 0x40, PS3.5 9.1 caps a UID at 64
     * bytes), and a called or calling AE title with a control character, a byte above 0x7E or a backslash
     * inside it (PS3.5 6.2 AE: default repertoire, no control characters, no backslash). */
    uint16_t rq_uid_item_max;
    bool rq_ae_bad_chars;
};

/* ---- DIMSE ---------------------------------------------------------------------------------- */

/* What a command set says (PS3.7 Annex E, group 0000). */
struct dicom_cmd {
    uint16_t command_field;
    bool has_command_field, has_msg_id, has_msg_id_rsp, has_priority, has_status, has_dataset_type;
    bool has_remaining, has_completed, has_failed, has_warning, has_move_orig_msg_id;
    uint16_t msg_id, msg_id_rsp, priority, status, dataset_type;
    uint16_t remaining, completed, failed, warning, move_orig_msg_id;
    uint16_t event_type_id, action_type_id;
    bool has_event_type_id, has_action_type_id;
    char affected_sop_class[DICOM_UID_MAX + 1];
    char requested_sop_class[DICOM_UID_MAX + 1];
    char affected_sop_instance[DICOM_UID_MAX + 1];
    char requested_sop_instance[DICOM_UID_MAX + 1];
    char move_destination[DICOM_AE_MAX + 1];
    char move_originator[DICOM_AE_MAX + 1];
    char error_comment[DICOM_STR_MAX + 1];
    uint32_t n_elements;
};

/* The other PHI attributes the walker pseudonymises (dicom_dataset.c, phi_attrs[]): physicians, institution,
 * other patient ids and names, study id, ...  Each is kept at most once (top level), by its index. */
#define DICOM_MAX_PHI_EXTRA 17 /* = the size of phi_attrs[]: none is ever dropped */
struct dicom_phi_value {
    uint8_t attr;                  /* index in phi_attrs[] (dicom_phi_attr_name()) */
    char value[DICOM_PHI_MAX + 1]; /* pseudonym, or the clear value with log_phi; "" if empty */
};

/* What the element walker picked from a data set. */
struct dicom_ds_info {
    bool walked;                 /* the walker ran on it */
    bool truncated;              /* the byte budget ended the walk */
    bool deflated, encapsulated; /* transfer syntax of the context */
    bool malformed;
    uint64_t total_len;                   /* data set bytes seen on the wire */
    char qr_level[DICOM_STR_MAX + 1];     /* (0008,0052) */
    char modality[DICOM_STR_MAX + 1];     /* (0008,0060), else (0008,0061) */
    char sop_class[DICOM_UID_MAX + 1];    /* (0008,0016) */
    char sop_instance[DICOM_UID_MAX + 1]; /* (0008,0018) */
    char study_uid[DICOM_UID_MAX + 1];    /* (0020,000D) */
    char series_uid[DICOM_UID_MAX + 1];   /* (0020,000E) */
    /* PHI, already pseudonymised (or clear with log_phi); empty when absent */
    char patient_name[DICOM_PHI_MAX + 1]; /* (0010,0010) */
    char patient_id[DICOM_PHI_MAX + 1];   /* (0010,0020) */
    char birth_date[DICOM_PHI_MAX + 1];   /* (0010,0030) */
    char accession[DICOM_PHI_MAX + 1];    /* (0008,0050) */
    bool has_patient_name, has_patient_id, has_birth_date, has_accession;
    bool patient_name_wild, patient_id_wild; /* the key is empty or holds '*' / '?' (a query that matches many) */
    uint8_t n_phi;                           /* other PHI attributes present (pseudonymised) */
    struct dicom_phi_value phi[DICOM_MAX_PHI_EXTRA];
    /* Foreign content at the start of an element value (any nesting depth, pixel data included): a Windows
     * program (MZ with PE\0\0 at e_lfanew inside the value) or an ELF image, and a DICOM Part 10 file
     * (128-byte preamble then "DICM") embedded whole.  The first of each, by tag; 0 = none. */
    uint8_t exe_marker; /* enum dicom_marker */
    uint32_t exe_marker_tag, dicm_marker_tag;
    uint16_t n_keys; /* top-level attribute tags kept */
    uint32_t keys[DICOM_MAX_QUERY_KEYS];
    uint32_t n_elements;
};

enum dicom_marker { DICOM_MARKER_NONE = 0, DICOM_MARKER_PE, DICOM_MARKER_ELF };

/* One DIMSE operation: a request and its responses. */
struct dicom_op {
    bool has_rq, has_rsp;
    int rq_dir; /* direction the request travelled */
    uint8_t pctx_id;
    uint64_t rq_ts_us, rsp_ts_us;
    struct dicom_cmd rq, rsp;   /* rsp: the final (or last) response */
    struct dicom_ds_info rq_ds; /* identifier / stored object header */
    uint32_t n_rsp;             /* responses, pending ones included */
    uint32_t n_pending;
    uint32_t n_pending_by_status[DICOM_PENDING_KINDS]; /* [0] 0xFF00, [1] 0xFF01 */
    bool cancelled;                                    /* a C-CANCEL-RQ named it */
};

/* ---- the event ------------------------------------------------------------------------------ */

enum dicom_event_kind {
    DICOM_EV_REQUEST, /* A-ASSOCIATE-RQ */
    DICOM_EV_ACCEPT,  /* A-ASSOCIATE-AC */
    DICOM_EV_REJECT,  /* A-ASSOCIATE-RJ */
    DICOM_EV_RELEASE, /* A-RELEASE-RP (or -RQ left unanswered at close) */
    DICOM_EV_ABORT,   /* A-ABORT */
    DICOM_EV_DIMSE,   /* one operation, request and response matched */
    DICOM_EV_SUMMARY, /* association summary at release/abort/close */
};

/* EVENT_DICOM body.  Valid only during the event callback. */
struct dicom_event {
    enum dicom_event_kind kind;
    const struct dicom_assoc *assoc;
    const struct dicom_op *op; /* DICOM_EV_DIMSE only */
    const char *end;           /* DICOM_EV_SUMMARY: "release", "abort", "close", "reject" */
};

const char *dicom_event_kind_name(enum dicom_event_kind k);

/* ---- names (dicom_names.c / dicom_dimse.c / dicom_uid.c) -------------------------------------- */

const char *dicom_pdu_type_name(uint8_t type);
const char *dicom_pctx_result_name(uint8_t result);
const char *dicom_rj_result_name(uint8_t result);
const char *dicom_rj_source_name(uint8_t source);
const char *dicom_rj_reason_name(uint8_t source, uint8_t reason);
const char *dicom_abort_source_name(uint8_t source);
const char *dicom_abort_reason_name(uint8_t source, uint8_t reason);
const char *dicom_user_identity_type_name(uint8_t type);

/* "C-STORE-RQ", ...; NULL when unknown. */
const char *dicom_command_name(uint16_t command_field);
/* Slot in dicom_assoc.ops_by_cmd (0 = unknown). */
unsigned dicom_cmd_index(uint16_t command_field);
uint16_t dicom_cmd_from_index(unsigned idx);
bool dicom_cmd_is_response(uint16_t command_field);
enum dicom_status_class dicom_status_class(uint16_t status);
const char *dicom_status_class_name(enum dicom_status_class c);
/* A specific meaning where PS3.7 Annex C names one ("Refused: Out of Resources"), else NULL. */
const char *dicom_status_meaning(uint16_t command_field, uint16_t status);
const char *dicom_priority_name(uint16_t priority);

enum dicom_uid_type {
    DICOM_UID_OTHER = 0,
    DICOM_UID_SOP_CLASS,
    DICOM_UID_META_SOP_CLASS,
    DICOM_UID_TRANSFER_SYNTAX,
    DICOM_UID_WELL_KNOWN_INSTANCE,
    DICOM_UID_APP_CONTEXT,
    DICOM_UID_SERVICE_CLASS,
};
struct dicom_uid_entry {
    const char *uid, *name, *keyword;
    enum dicom_uid_type type;
    bool retired;
};
const struct dicom_uid_entry *dicom_uid_lookup(const char *uid);
/* Name of a UID, or NULL when the registry does not know it. */
const char *dicom_uid_name(const char *uid);
size_t dicom_uid_table_size(void);
/* Modality a storage SOP class implies ("CT" for CT Image Storage), or NULL. */
const char *dicom_sop_class_modality(const char *uid);

/* ---- layers --------------------------------------------------------------------------------- */

/* Copy an AE title field (16 bytes, space padded, PS3.8 9.3.2) without leading/trailing spaces. */
void dicom_ae_copy(char *dst, const uint8_t *src, size_t n);
/* Copy a UID value: trailing NUL/space padding removed, at most DICOM_UID_MAX characters. */
void dicom_uid_copy(char *dst, const uint8_t *src, size_t n);

/* Result of parsing one association-control PDU body: 0 ok, else the anomaly event name is set. */
struct dicom_pdu_result {
    const char *anomaly; /* NULL if well-formed */
    const char *detail;
};

/* Count the presentation context items (0x20 or 0x21) of an A-ASSOCIATE-RQ/AC body, to size a->pctx. */
size_t dicom_count_pctx(const uint8_t *body, size_t len);
/* Find a kept presentation context by id, or NULL. */
struct dicom_pctx *dicom_find_pctx(struct dicom_assoc *a, uint8_t id);
const struct dicom_pctx *dicom_find_pctx_const(const struct dicom_assoc *a, uint8_t id);

/* Parse the body (after the 6-byte header) of an A-ASSOCIATE-RQ (is_ac false) or -AC into a.
 * Presentation contexts are kept up to a->pctx_cap. */
void dicom_parse_assoc(struct dicom_assoc *a, bool is_ac, const uint8_t *body, size_t len,
                       struct dicom_pdu_result *res);

/* Parse a command set (implicit VR little endian) into cmd; returns false if malformed. */
bool dicom_parse_command(struct dicom_cmd *cmd, const uint8_t *p, size_t len, const char **why);

enum dicom_ts_kind {
    DICOM_TS_IMPLICIT_LE,
    DICOM_TS_EXPLICIT_LE,
    DICOM_TS_EXPLICIT_BE,
    DICOM_TS_DEFLATED,
    DICOM_TS_ENCAPSULATED, /* explicit LE with encapsulated pixel data */
};
enum dicom_ts_kind dicom_ts_kind(const char *ts_uid);

/* Walk a data set prefix (at most len bytes; total_len is its full size) and fill info.  PHI values go
 * through the pseudonymiser of lim.  Never recurses; nesting is followed up to lim->max_depth. */
void dicom_walk_dataset(struct dicom_ds_info *info, enum dicom_ts_kind ts, const uint8_t *p, size_t len,
                        uint64_t total_len, const struct dicom_limits *lim);

/* EVE field name of the other PHI attribute with this index ("referring_physician_name"), or NULL. */
const char *dicom_phi_attr_name(unsigned attr);
/* Tag (group << 16 | element) of the other PHI attribute with this index, or 0. */
uint32_t dicom_phi_attr_tag(unsigned attr);

/* The parser, for app_registry.c. */
extern const struct app_parser app_parser_dicom;

/* Exposed for tests and the fuzz harness. */
enum probe_result dicom_probe(const uint8_t *data, size_t len, int dir);

#endif
