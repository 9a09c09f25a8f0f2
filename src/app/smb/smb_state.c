/*
 * smb_state.c - per-flow SMB tables: sessions, trees, open files, pending
 * requests.  Every table has a fixed size; when one is full the least
 * recently inserted entry is evicted (and an anomaly counted), so a client
 * that opens without closing cannot grow the state.
 *
 * Pipe or file.  An open in a tree connected as IPC (share type PIPE) is a
 * named pipe and its data goes to DCE/RPC.  When the capture starts after the
 * tree connect (midstream, or a long-lived IPC$ session) the tree is unknown,
 * and the open decides as Wireshark's heuristics do: the open's response
 * first (SMB1 ResourceType/FileType 1-2 is a pipe, 0 a disk file; an SMB2
 * CREATE response with no times, 0 or Samba's 1970-01-01, and no directory
 * attribute is a pipe), else the name (a name without a path from the list of
 * well-known RPC pipes below), else the first bytes of data: a DCE/RPC
 * connection-oriented header (version 5.0/5.1, a packet type that direction
 * sends) makes it a pipe, and anything else leaves the name's guess.
 */
#include <strings.h>
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "app/smb/smb.h"
#include "files/files.h"

#define EVICT_OLDEST(arr, n, out)                 \
    do {                                          \
        size_t best_ = 0;                         \
        for (size_t i_ = 1; i_ < (n); i_++)       \
            if ((arr)[i_].age < (arr)[best_].age) \
                best_ = i_;                       \
        (out) = &(arr)[best_];                    \
    } while (0)

struct smb_session *smb_session_get(struct smb_state *st, uint64_t id, bool create)
{
    struct smb_session *free_slot = NULL;
    for (size_t i = 0; i < st->n_sessions; i++) {
        if (st->sessions[i].used && st->sessions[i].session_id == id)
            return &st->sessions[i];
        if (!st->sessions[i].used && !free_slot)
            free_slot = &st->sessions[i];
    }
    if (!create)
        return NULL;
    if (!free_slot)
        EVICT_OLDEST(st->sessions, st->n_sessions, free_slot);
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->used = true;
    free_slot->session_id = id;
    free_slot->age = ++st->age;
    return free_slot;
}

struct smb_tree *smb_tree_get(struct smb_state *st, uint32_t id, bool create)
{
    struct smb_tree *free_slot = NULL;
    for (size_t i = 0; i < st->n_trees; i++) {
        if (st->trees[i].used && st->trees[i].tree_id == id)
            return &st->trees[i];
        if (!st->trees[i].used && !free_slot)
            free_slot = &st->trees[i];
    }
    if (!create)
        return NULL;
    if (!free_slot)
        EVICT_OLDEST(st->trees, st->n_trees, free_slot);
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->used = true;
    free_slot->tree_id = id;
    free_slot->age = ++st->age;
    return free_slot;
}

void smb_tree_del(struct smb_state *st, uint32_t id)
{
    struct smb_tree *t = smb_tree_get(st, id, false);
    if (t)
        t->used = false;
}

struct smb_file *smb_file_get(struct smb_state *st, const uint8_t *fid, size_t fid_len)
{
    if (fid_len == 0 || fid_len > 16)
        return NULL;
    for (size_t i = 0; i < st->n_files; i++)
        if (st->files[i].used && st->files[i].fid_len == fid_len && memcmp(st->files[i].fid, fid, fid_len) == 0)
            return &st->files[i];
    return NULL;
}

struct smb_file *smb_file_new(struct app_ctx *ctx, struct smb_state *st, const uint8_t *fid, size_t fid_len)
{
    if (fid_len == 0 || fid_len > 16)
        return NULL;
    struct smb_file *f = smb_file_get(st, fid, fid_len);
    if (f) {
        /* the server reused an id we still hold: the old open ended unseen */
        smb_file_end(ctx, st, f);
    } else {
        for (size_t i = 0; i < st->n_files && !f; i++)
            if (!st->files[i].used)
                f = &st->files[i];
        if (!f) {
            EVICT_OLDEST(st->files, st->n_files, f);
            app_anomaly(ctx, EVENT_DIR_NONE, "smb_files_full", "open-file table full: oldest open dropped");
            smb_file_end(ctx, st, f);
        }
    }
    memset(f, 0, sizeof(*f));
    f->used = true;
    memcpy(f->fid, fid, fid_len);
    f->fid_len = (uint8_t)fid_len;
    f->age = ++st->age;
    return f;
}

void smb_file_end(struct app_ctx *ctx, struct smb_state *st, struct smb_file *f)
{
    (void)st;
    if (!f->used)
        return;
    for (int d = 0; d < 2; d++) {
        if (f->ft[d]) {
            if (ctx->al->files)
                files_close(ctx->al->files, f->ft[d], ctx);
            f->ft[d] = NULL;
        }
    }
    if (f->rpc) {
        dcerpc_conn_free(ctx, f->rpc);
        f->rpc = NULL;
    }
    f->used = false;
}

struct smb_pending *smb_pending_add(struct app_ctx *ctx, struct smb_state *st, uint8_t version, uint64_t msg_id,
                                    uint16_t cmd)
{
    struct smb_pending *p = NULL;
    for (size_t i = 0; i < st->n_pending; i++) {
        struct smb_pending *q = &st->pending[i];
        if (q->used && q->version == version && q->msg_id == msg_id && q->cmd == cmd) {
            p = q; /* a retransmitted or reused id replaces the old request */
            break;
        }
        if (!q->used && !p)
            p = q;
    }
    if (!p) {
        EVICT_OLDEST(st->pending, st->n_pending, p);
        /* a request from before a gap in the responses may never be answered: expected, not anomalous */
        if (p->age > st->pending_stale_age)
            app_anomaly(ctx, EVENT_DIR_NONE, "smb_pending_full", "too many requests without responses");
    }
    /* only the fixed part is cleared: the union is filled by the caller */
    p->used = true;
    p->version = version;
    p->cmd = cmd;
    p->msg_id = msg_id;
    p->session_id = 0;
    p->tree_id = 0;
    p->fid_len = 0;
    p->offset = 0;
    p->length = 0;
    p->code = p->access = p->options = 0;
    p->info_type = p->info_class = 0;
    p->sub = p->level = p->open_function = 0;
    p->flag = false;
    p->has_ntlm = false;
    p->n_dialects = 0;
    p->u.name[0] = '\0';
    p->age = ++st->age;
    return p;
}

struct smb_pending *smb_pending_find(struct smb_state *st, uint8_t version, uint64_t msg_id, int cmd)
{
    for (size_t i = 0; i < st->n_pending; i++) {
        struct smb_pending *q = &st->pending[i];
        if (q->used && q->version == version && q->msg_id == msg_id && (cmd < 0 || q->cmd == cmd))
            return q;
    }
    return NULL;
}

void smb_pending_del(struct smb_pending *p)
{
    p->used = false;
}

/* Named pipes of the RPC interfaces medsentry names, and the other well-known Windows RPC pipes. */
static const char *const smb_pipe_names[] = {
    "atsvc",   "browser", "epmapper", "eventlog", "efsrpc",   "initshutdown",      "keysvc", "lsarpc",
    "lsass",   "netdfs",  "netlogon", "ntsvcs",   "plugplay", "protected_storage", "samr",   "scerpc",
    "spoolss", "srvsvc",  "svcctl",   "tapsrv",   "trkwks",   "w32time",           "winreg", "wkssvc",
};

bool smb_pipe_name_known(const char *name)
{
    while (*name == '\\')
        name++;
    if (strncasecmp(name, "PIPE\\", 5) == 0)
        name += 5;
    for (size_t i = 0; i < sizeof(smb_pipe_names) / sizeof(smb_pipe_names[0]); i++)
        if (strcasecmp(name, smb_pipe_names[i]) == 0)
            return true;
    return false;
}

void smb_file_kind(struct smb_file *f, enum smb_open_kind kind)
{
    if (!f || f->pipe_known || kind == SMB_OPEN_UNKNOWN)
        return;
    f->is_pipe = kind == SMB_OPEN_PIPE;
    f->pipe_known = true;
}

enum smb_open_kind smb1_resource_kind(uint16_t type)
{
    switch (type) {
    case 0: return SMB_OPEN_FILE;
    case 1:
    case 2: return SMB_OPEN_PIPE;
    default: return SMB_OPEN_UNKNOWN;
    }
}

bool smb_file_pipe_op(struct smb_file *f)
{
    smb_file_kind(f, SMB_OPEN_PIPE);
    return f && f->is_pipe;
}

/* The first bytes of an undecided open: a CO DCE/RPC PDU header of a type this direction sends makes it a pipe. */
static bool smb_data_is_dcerpc(int dir, const uint8_t *p, size_t n)
{
    if (!dcerpc_looks_like_pdu(p, n))
        return false;
    switch (p[2]) {
    case DCERPC_REQUEST:
    case DCERPC_BIND:
    case DCERPC_ALTER_CONTEXT:
    case DCERPC_AUTH3:
    case DCERPC_CO_CANCEL:
    case DCERPC_ORPHANED: return dir == 0;
    case DCERPC_RESPONSE:
    case DCERPC_FAULT:
    case DCERPC_BIND_ACK:
    case DCERPC_BIND_NAK:
    case DCERPC_ALTER_CONTEXT_RESP:
    case DCERPC_SHUTDOWN: return dir == 1;
    default: return false;
    }
}

void smb_file_data(struct app_ctx *ctx, struct smb_state *st, struct smb_file *f, int dir, uint64_t off,
                   const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (!f->pipe_known) {
        /* the name's guess stands unless the data is DCE/RPC */
        if (smb_data_is_dcerpc(dir, p, n))
            f->is_pipe = true;
        f->pipe_known = true;
    }
    if (f->is_pipe) {
        if (!f->rpc)
            f->rpc = dcerpc_conn_new(ctx, DCERPC_TRANSPORT_SMB, f->name);
        if (f->rpc)
            dcerpc_conn_feed(ctx, f->rpc, dir, p, n);
        return;
    }
    struct file_tracker *t = ctx->al->files;
    if (!t)
        return;
    if (!f->ft[dir]) {
        struct smb_tree *tr = smb_tree_get(st, f->tree_id, false);
        f->ft[dir] = files_open(t, "smb", f->name, tr ? tr->path : NULL, dir);
        if (!f->ft[dir])
            return;
        /* a read of an existing file: its size at open tells whether all of it was read */
        if (dir == 1 && f->size)
            files_set_size(f->ft[dir], f->size);
    }
    files_data(t, f->ft[dir], off, p, n);
}

void smb_file_gap(struct app_ctx *ctx, struct smb_file *f, int dir)
{
    if (f->is_pipe) {
        if (f->rpc)
            dcerpc_conn_gap(ctx, f->rpc, dir);
        return;
    }
    if (f->ft[dir] && ctx->al->files)
        files_gap(ctx->al->files, f->ft[dir]);
}

void smb_event_fill_tree(struct smb_state *st, struct smb_event *ev)
{
    if (st->dialect)
        ev->dialect = smb2_dialect_name(st->dialect);
    else if (st->smb1_dialect[0])
        ev->dialect = st->smb1_dialect;
    struct smb_tree *t = smb_tree_get(st, ev->tree_id, false);
    if (t) {
        ev->share = t->path;
        ev->share_type = t->share_type;
    }
}

void smb_event_fill_file(struct smb_event *ev, const struct smb_file *f)
{
    ev->filename = f->name;
    ev->fid = f->fid;
    ev->fid_len = f->fid_len;
    ev->has_rw = true;
    ev->reads = f->reads;
    ev->writes = f->writes;
    ev->bytes_read = f->bytes_read;
    ev->bytes_written = f->bytes_written;
    ev->delete_on_close = f->delete_on_close;
}

struct smb_file *smb_file_opened(struct app_ctx *ctx, struct smb_state *st, const uint8_t *fid, size_t fid_len,
                                 uint32_t tree_id, uint64_t session_id, const struct smb_pending *pd,
                                 uint32_t create_action, uint64_t size)
{
    struct smb_file *f = smb_file_new(ctx, st, fid, fid_len);
    if (!f)
        return NULL;
    f->tree_id = tree_id;
    f->session_id = session_id;
    if (pd) {
        memcpy(f->name, pd->u.name, SMB_NAME_MAX);
        f->disposition = pd->code;
        f->access = pd->access;
        f->options = pd->options;
        f->delete_on_close = pd->options & FILE_DELETE_ON_CLOSE;
    }
    struct smb_tree *t = smb_tree_get(st, tree_id, false);
    if (t && t->share_type) {
        f->is_pipe = t->share_type == SMB_SHARE_PIPE;
        f->pipe_known = true;
    } else {
        /* the tree connect was not seen: a guess from the name until the response or the data decides */
        f->is_pipe = smb_pipe_name_known(f->name);
    }
    f->action = create_action;
    f->size = size;
    return f;
}

static void smb_close_event(struct app_ctx *ctx, struct smb_state *st, struct smb_file *f)
{
    struct smb_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.version = st->smb1_seen && !st->dialect ? 1 : 2;
    ev.command = ev.version == 1 ? 0x04 : SMB2_CLOSE;
    ev.command_name = ev.version == 1 ? smb1_command_name(0x04) : smb2_command_name(SMB2_CLOSE);
    ev.session_id = f->session_id;
    ev.tree_id = f->tree_id;
    smb_event_fill_tree(st, &ev);
    smb_event_fill_file(&ev, f);
    app_emit(ctx, EVENT_SMB, EVENT_DIR_NONE, &ev);
}

void smb_state_close_all(struct app_ctx *ctx, struct smb_state *st)
{
    /* opens never closed on the wire: report their summary (no status: no response was seen) */
    for (size_t i = 0; i < st->n_files; i++) {
        struct smb_file *f = &st->files[i];
        if (!f->used)
            continue;
        if (f->reads || f->writes)
            smb_close_event(ctx, st, f);
        smb_file_end(ctx, st, f);
    }
}
