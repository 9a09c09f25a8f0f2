/*
 * smb.h - the SMB analyzer: NetBIOS session framing, SMB1, SMB2/3, NTLMSSP.
 *
 * Layers, one file each:
 *   nbss.c      NetBIOS session service framing [RFC 1002 4.3] / Direct TCP
 *               [MS-SMB2 2.1]; the parser entry points; gaps and resync;
 *               large WRITE/READ records streamed instead of buffered
 *   smb2.c      SMB2/3 messages [MS-SMB2 2.2], compound chains, TRANSFORM and
 *               COMPRESSION headers recognised
 *   smb1.c      SMB1 [MS-CIFS 2.2, MS-SMB 2.2], AndX chains
 *   ntlmssp.c   identities from session setup blobs [MS-NLMP]
 *   smb_state.c per-flow tables of sessions, trees, open files and pending
 *               requests, each with a fixed cap (Zeek's unbounded SMB state is
 *               what we avoid: zeek issues #2978, #3145)
 *   smb_status.c NTSTATUS, command and dialect names
 * Named-pipe payload (WRITE/READ/IOCTL on a pipe, SMB1 TRANS) goes straight to
 * the DCE/RPC PDU layer (src/app/dcerpc/) in the same flow.  File data goes to
 * the worker's file tracker (src/files/).
 *
 * Events: one EVENT_SMB per request/response pair of the commands that matter
 * (negotiate, session setup, tree connect/disconnect, create, close with the
 * read/write summary of the open, ioctl, set_info, query_directory, logoff),
 * never one per READ/WRITE.
 */
#ifndef MEDSENTRY_APP_SMB_SMB_H
#define MEDSENTRY_APP_SMB_SMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "app/resync.h"
#include "app/smb/ntlmssp.h"
#include "core/bytes.h"

struct dcerpc_conn;
struct file_track;

/* smb.* and app-layer.protocols.smb.*: the key table (defaults, ranges, comments) is in nbss.c. */
struct smb_cfg {
    struct app_proto_cfg proto;
    uint32_t max_sessions; /* smb.max-sessions: per-flow session table */
    uint32_t max_trees;    /* smb.max-trees: per-flow tree (share) table */
    uint32_t max_files;    /* smb.max-files: per-flow open-file table */
    uint32_t max_pending;  /* smb.max-pending: requests awaiting a response, per flow */
};
extern const struct config_module smb_config_module;

/* ---- limits ---- */
#define SMB_MAX_INLINE_RECORD (64u * 1024)        /* records up to this are buffered whole */
#define SMB_MAX_RECORD        (16u * 1024 * 1024) /* larger non-data records are skipped */
/* per-flow table sizes are smb.max-sessions, smb.max-trees, smb.max-files, smb.max-pending (struct smb_cfg); each
 * flow's tables are allocated at these sizes when its state is created */
#define SMB_TABLE_CEILING 4096 /* highest value any of the four keys accepts */
#define SMB_MAX_CHAIN     32   /* SMB2 compound / SMB1 AndX elements per record */
#define SMB_MAX_DIALECTS  16
#define SMB_NAME_MAX      512                 /* UTF-8 bytes kept of a file name */
#define SMB_PATH_MAX      256                 /* UTF-8 bytes kept of a share path */
#define SMB_NATIVE_MAX    64                  /* UTF-8 bytes kept of an SMB1 native OS / LAN manager string */
#define SMB_RESYNC_MAX    (32u * 1024 * 1024) /* bytes searched for a header after a gap (> one 24-bit record) */
#define SMB_STREAM_PREFIX 128                 /* bytes of a large record read before deciding */

/* ---- SMB2 commands [MS-SMB2 2.2.1] ---- */
enum smb2_cmd {
    SMB2_NEGOTIATE = 0,
    SMB2_SESSION_SETUP,
    SMB2_LOGOFF,
    SMB2_TREE_CONNECT,
    SMB2_TREE_DISCONNECT,
    SMB2_CREATE,
    SMB2_CLOSE,
    SMB2_FLUSH,
    SMB2_READ,
    SMB2_WRITE,
    SMB2_LOCK,
    SMB2_IOCTL,
    SMB2_CANCEL,
    SMB2_ECHO,
    SMB2_QUERY_DIRECTORY,
    SMB2_CHANGE_NOTIFY,
    SMB2_QUERY_INFO,
    SMB2_SET_INFO,
    SMB2_OPLOCK_BREAK,
    SMB2_CMD__COUNT
};

#define SMB_SHARE_DISK  1
#define SMB_SHARE_PIPE  2
#define SMB_SHARE_PRINT 3

#define SMB_STATUS_SUCCESS         0x00000000u
#define SMB_STATUS_PENDING         0x00000103u
#define SMB_STATUS_MORE_PROCESSING 0xc0000016u
#define SMB_STATUS_BUFFER_OVERFLOW 0x80000005u

#define FSCTL_PIPE_TRANSCEIVE 0x0011c017u

/* ---- the event (body of EVENT_SMB); pointers valid during the publish only ---- */
struct smb_event {
    uint8_t version;          /* 1 = SMB1, 2 = SMB2/3 */
    uint16_t command;         /* SMB2 command, or SMB1 command code */
    const char *command_name; /* "SMB2_COMMAND_CREATE" (Suricata's names) */
    uint64_t msg_id;
    bool has_status; /* a response was seen */
    uint32_t status;
    uint64_t session_id;
    uint32_t tree_id;
    bool dos_error;      /* SMB1 Flags2 NT_STATUS clear: status is ErrorClass (low byte) and ErrorCode (high 16 bits) */
    const char *dialect; /* negotiated dialect of the flow, if known */
    /* NEGOTIATE */
    const char *client_dialects[SMB_MAX_DIALECTS];
    size_t n_client_dialects;
    bool has_security_mode;
    uint16_t security_mode; /* of the response: 1 signing enabled, 2 required */
    uint32_t capabilities;
    const uint8_t *server_guid; /* response ServerGUID, 16 bytes (SMB2; SMB1 with extended security) */
    /* SESSION_SETUP */
    const struct ntlmssp_info *ntlmssp; /* AUTHENTICATE identity, or NULL */
    bool kerberos;
    uint16_t session_flags; /* response: 1 guest, 2 null, 4 encrypt data */
    /* SMB1 SESSION_SETUP_ANDX NativeOS / NativeLanMan of the request and of the response [MS-CIFS 2.2.4.53] */
    const char *req_native_os, *req_native_lm, *resp_native_os, *resp_native_lm;
    /* TREE_CONNECT and everything in a tree */
    const char *share;
    uint8_t share_type; /* SMB_SHARE_* or 0 */
    /* CREATE / CLOSE / SET_INFO / QUERY_DIRECTORY */
    const char *filename;
    bool has_create;
    uint32_t disposition, desired_access, create_options, create_action;
    uint64_t size;
    bool has_times; /* CREATE response: CreationTime, LastAccessTime, LastWriteTime, ChangeTime (FILETIME) */
    uint64_t created, accessed, modified, changed;
    bool legacy_open; /* SMB1 OPEN_ANDX / TRANS2_OPEN2: AccessMode and OpenMode instead of NT access and options */
    uint16_t access_mode, open_function;
    const uint8_t *fid; /* 16 bytes (SMB2) or 2 (SMB1) */
    size_t fid_len;
    bool delete_on_close;
    bool has_rw; /* CLOSE: summary of the open */
    uint64_t reads, writes, bytes_read, bytes_written;
    bool has_ioctl;
    uint32_t ioctl_code;
    bool has_set_info;
    uint8_t info_type, info_class;
    const char *rename_to;
    bool delete_pending; /* SET_INFO FileDispositionInformation(Ex) set, or SMB1 DELETE */
    /* SMB1 TRANSACTION2 / NT_TRANSACT */
    const char *subcommand; /* "TRANS2_FIND_FIRST2", "NT_TRANSACT_CREATE" ... */
    bool has_info_level;
    uint16_t info_level; /* TRANS2 QUERY/SET_PATH/FILE_INFORMATION, FIND_FIRST2 InformationLevel */
    /* SMB3 TRANSFORM / COMPRESSION headers */
    bool encrypted;
    bool compressed;
    uint64_t transform_records;
};

/* ---- per-flow tables ---- */
struct smb_session {
    bool used;
    uint64_t session_id;
    bool has_ntlm;
    struct ntlmssp_info ntlm;
    bool kerberos;
    uint32_t age;
};

struct smb_tree {
    bool used;
    uint32_t tree_id;
    uint64_t session_id;
    uint8_t share_type;
    char path[SMB_PATH_MAX];
    uint32_t age;
};

/* CreateOptions bit (MS-SMB2 2.2.13, MS-CIFS 2.2.4.64.1): the file goes when its last handle closes. */
#define FILE_DELETE_ON_CLOSE 0x00001000u
/* FileAttributes bit [MS-FSCC 2.6] */
#define FILE_ATTRIBUTE_DIRECTORY 0x00000010u

struct smb_file {
    bool used;
    uint8_t fid[16];
    uint8_t fid_len;
    uint32_t tree_id;
    uint64_t session_id;
    bool is_pipe;
    bool pipe_known; /* is_pipe decided: by the tree, the open's response or the first data (smb_file_kind) */
    bool delete_on_close;
    uint32_t disposition, access, options, action;
    uint64_t size;
    uint64_t reads, writes, bytes_read, bytes_written;
    struct file_track *ft[2]; /* file data written (0) / read (1) */
    struct dcerpc_conn *rpc;
    char name[SMB_NAME_MAX];
    uint32_t age;
};

struct smb_pending {
    bool used;
    uint8_t version;
    uint16_t cmd;
    uint64_t msg_id;
    uint64_t session_id;
    uint32_t tree_id;
    uint8_t fid[16];
    uint8_t fid_len;
    uint64_t offset;
    uint32_t length;
    uint32_t code; /* IOCTL: CtlCode; CREATE: disposition */
    uint32_t access, options;
    uint16_t sub;           /* SMB1 TRANS2 / NT_TRANSACT subcommand */
    uint16_t level;         /* SMB1 TRANS2 InformationLevel */
    uint16_t open_function; /* SMB1 OPEN_ANDX / TRANS2_OPEN2 OpenMode; 0 for an NT create */
    uint8_t info_type, info_class;
    bool flag; /* SET_INFO delete pending; SESSION_SETUP kerberos */
    bool has_ntlm;
    uint8_t n_dialects;
    uint16_t dialects[SMB_MAX_DIALECTS];
    uint32_t age;
    union {
        char name[SMB_NAME_MAX]; /* CREATE file, TREE_CONNECT path, rename target, pattern */
        struct {                 /* SMB1 path-based rename (TRANS2_SET_PATH_INFORMATION, RENAME) */
            char from[SMB_NAME_MAX / 2], to[SMB_NAME_MAX / 2];
        } ren;
        struct { /* SESSION_SETUP */
            struct ntlmssp_info ntlm;
            char native_os[SMB_NATIVE_MAX], native_lm[SMB_NATIVE_MAX]; /* SMB1 request's strings */
        };
    } u;
};

/* NetBIOS record reader, one per direction. */
enum nbss_mode { NB_HDR = 0, NB_BUF, NB_PREFIX, NB_STREAM, NB_SKIP, NB_RESYNC, NB_DEAD };

struct nbss_dir {
    enum nbss_mode mode;
    uint8_t hdr[4];
    uint8_t hdr_len;
    uint32_t rec_len, rec_got;
    uint8_t *buf;
    uint32_t buf_cap, buf_len;
    /* NB_STREAM: record bytes [data_start, data_end) are file bytes from file_off on */
    uint32_t data_start, data_end;
    uint64_t file_off;
    uint8_t sfid[16];
    uint8_t sfid_len;
    struct smb_file *sfile; /* the open sfid named when last looked up, valid while */
    uint32_t sfile_age;     /* sfile->used and sfile->age (unique per open) still match */
    /* NB_RESYNC: the search for the next NetBIOS + SMB header */
    struct app_resync rs;
};

struct smb_state {
    struct nbss_dir dir[2];
    uint16_t dialect; /* SMB2 negotiated dialect; 0 unknown */
    bool smb1_seen;
    char smb1_dialect[32];
    uint32_t age; /* bumps on every table insert: LRU eviction */
    /* requests inserted up to this age may have lost their response in a gap: evicted without an anomaly */
    uint32_t pending_stale_age;
    uint64_t transform_records;
    uint64_t compressed_records;
    bool transform_reported;
    bool compression_reported;
    /* SMB2 compound: file id from the last CREATE response in this chain */
    uint8_t chain_fid[16];
    bool chain_fid_valid;
    /* the tables, in the same allocation as the state (after it), sized from the configuration */
    uint32_t n_sessions, n_trees, n_files, n_pending;
    size_t alloc_size;
    struct smb_session *sessions;
    struct smb_tree *trees;
    struct smb_file *files;
    struct smb_pending *pending;
};

/* ---- the parser (nbss.c) ---- */
extern const struct app_parser smb_parser;
enum probe_result smb_probe(const uint8_t *data, size_t len, int dir);

/* ---- between the layers ---- */
/* One NetBIOS session message (SMB record) of direction dir. */
void smb2_record(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n);
void smb1_record(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n);

/* Large record: given its first bytes (n >= SMB_STREAM_PREFIX or the whole record) and its
 * full length, set d->data_start/data_end/file_off/sfid and return true to stream the data. */
bool smb2_stream_begin(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n, uint32_t rec_len,
                       struct nbss_dir *d);
bool smb1_stream_begin(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n, uint32_t rec_len,
                       struct nbss_dir *d);

/* smb_state.c */
struct smb_session *smb_session_get(struct smb_state *st, uint64_t id, bool create);
struct smb_tree *smb_tree_get(struct smb_state *st, uint32_t id, bool create);
void smb_tree_del(struct smb_state *st, uint32_t id);
struct smb_file *smb_file_get(struct smb_state *st, const uint8_t *fid, size_t fid_len);
struct smb_file *smb_file_new(struct app_ctx *ctx, struct smb_state *st, const uint8_t *fid, size_t fid_len);
/* Ends an open: file tracker entries closed (fileinfo events), DCE/RPC conn freed. */
void smb_file_end(struct app_ctx *ctx, struct smb_state *st, struct smb_file *f);
struct smb_pending *smb_pending_add(struct app_ctx *ctx, struct smb_state *st, uint8_t version, uint64_t msg_id,
                                    uint16_t cmd);
struct smb_pending *smb_pending_find(struct smb_state *st, uint8_t version, uint64_t msg_id, int cmd);
void smb_pending_del(struct smb_pending *p);
/* File data of an open (write dir 0, read dir 1): to the file tracker or the pipe's DCE/RPC conn. */
void smb_file_data(struct app_ctx *ctx, struct smb_state *st, struct smb_file *f, int dir, uint64_t off,
                   const uint8_t *p, size_t n);
/* A gap inside file data of this open. */
void smb_file_gap(struct app_ctx *ctx, struct smb_file *f, int dir);
/* Fill the common event fields from state (dialect, share of the tree). */
void smb_event_fill_tree(struct smb_state *st, struct smb_event *ev);
/* The open-file summary of a CLOSE (or of an open never closed): name, file id, read/write counts. */
void smb_event_fill_file(struct smb_event *ev, const struct smb_file *f);
/* A CREATE (SMB2) / NT_CREATE_ANDX (SMB1) succeeded: record the open file from its request and response.
 * NULL when the file table has no room (counted by smb_file_new). */
struct smb_file *smb_file_opened(struct app_ctx *ctx, struct smb_state *st, const uint8_t *fid, size_t fid_len,
                                 uint32_t tree_id, uint64_t session_id, const struct smb_pending *pd,
                                 uint32_t create_action, uint64_t size);
void smb_state_close_all(struct app_ctx *ctx, struct smb_state *st);
/* Pipe or file, for an open whose tree connect was not seen (a capture started later): what the open's response
 * says.  Nothing changes once the tree or an earlier hint decided. */
enum smb_open_kind { SMB_OPEN_UNKNOWN = 0, SMB_OPEN_FILE, SMB_OPEN_PIPE };
void smb_file_kind(struct smb_file *f, enum smb_open_kind kind);
/* SMB1 ResourceType / FileType of an open response [MS-CIFS 2.2.4.64.2, 2.2.4.41.2]: 0 disk, 1 byte-mode pipe,
 * 2 message-mode pipe, 3 printer. */
enum smb_open_kind smb1_resource_kind(uint16_t type);
/* A pipe-only operation (FSCTL_PIPE_TRANSCEIVE, TransactNmPipe) on the open: true if it is a pipe (an open not yet
 * decided becomes one). */
bool smb_file_pipe_op(struct smb_file *f);
/* True if a CREATE name without a path is a well-known named pipe ("lsarpc", "\PIPE\samr"). */
bool smb_pipe_name_known(const char *name);

/* smb_status.c */
const char *smb_status_name(uint32_t code);
const char *smb2_command_name(uint16_t cmd);
const char *smb1_command_name(uint8_t cmd);
const char *smb2_dialect_name(uint16_t d);
const char *smb2_disposition_name(uint32_t d);
const char *smb_fsctl_name(uint32_t code);
/* SMB1 DOS-class error [MS-CIFS 2.2.2.4] as Suricata names it: SRV_BADUID, DOS_ACCESS_DENIED ... (known codes),
 * the decimal code for others of class 1 and 2, UNKNOWN_<class>_<code> otherwise; buf (>= 24 bytes) is used
 * for the formatted ones. */
const char *smb1_dos_error_name(uint8_t err_class, uint16_t code, char *buf, size_t cap);
const char *smb1_trans2_name(uint16_t sub);
const char *smb1_nt_transact_name(uint16_t sub);

#endif
