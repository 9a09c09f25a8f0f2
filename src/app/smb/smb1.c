/*
 * smb1.c - SMB1 (CIFS) messages [MS-CIFS 2.2.3, 2.2.4; MS-SMB 2.2].
 *
 *   SMB1 header (32 bytes, MS-CIFS 2.2.3.1):
 *     0 Protocol 0xFF 'SMB'  4     14 SecurityFeatures 8
 *     4 Command              1     22 Reserved         2
 *     5 Status               4     24 TID              2
 *     9 Flags                1     26 PIDLow           2
 *    10 Flags2               2     28 UID              2
 *    12 PIDHigh              2     30 MID              2
 *   then WordCount (1), Words (2*WordCount), ByteCount (2), Bytes.
 *   Flags 0x80 = reply; Flags2 0x4000 = NT status codes, 0x8000 = Unicode strings.
 *
 * AndX chains (2.2.3.4): the first two words of an AndX block are
 * AndXCommand (0xFF = none), reserved, AndXOffset (from the header start);
 * offsets must grow, at most SMB_MAX_CHAIN blocks.  Decoded: NEGOTIATE
 * (dialects, ServerGUID), SESSION_SETUP_ANDX (extended security blob:
 * NTLMSSP / Kerberos; native OS/LAN manager strings), TREE_CONNECT_ANDX,
 * NT_CREATE_ANDX, OPEN_ANDX, READ_ANDX, WRITE_ANDX, CLOSE, RENAME, DELETE,
 * TRANSACTION TransactNmPipe on named pipes (its data goes to DCE/RPC), and
 * in smb1_trans.c TRANSACTION2 and NT_TRANSACT.  The *_SECONDARY requests
 * (parameters and data that did not fit the first request) are not
 * reassembled: what the primary request carries is decoded.
 *
 * Status: NTSTATUS when Flags2 has NT_STATUS (0x4000), else a DOS-class
 * error [MS-CIFS 2.2.2.4]: ErrorClass (byte 5), reserved, ErrorCode (7-8).
 */
#include <string.h>

#include "app/smb/smb1.h"
#include "app/smb/utf16.h"

static int smb1_hdr_parse(const uint8_t *p, size_t n, struct smb1_hdr *h)
{
    if (n < SMB1_HDR_LEN + 3 || p[0] != 0xff)
        return -1;
    h->cmd = p[4];
    h->status = rd_le32(p + 5);
    h->flags = p[9];
    h->flags2 = rd_le16(p + 10);
    h->tid = rd_le16(p + 24);
    h->uid = rd_le16(p + 28);
    h->mid = rd_le16(p + 30);
    h->reply = h->flags & SMB1_FLAGS_REPLY;
    h->dos = !(h->flags2 & SMB1_FLAGS2_NT_STATUS);
    return 0;
}

bool smb1_more_data(const struct smb1_hdr *h)
{
    return h->dos ? h->status == SMB1_DOS_MOREDATA : h->status == SMB_STATUS_BUFFER_OVERFLOW;
}

void smb1_event_init(struct smb_state *st, struct smb_event *ev, const struct smb1_hdr *h)
{
    memset(ev, 0, sizeof(*ev));
    ev->version = 1;
    ev->command = h->cmd;
    ev->command_name = smb1_command_name(h->cmd);
    ev->msg_id = h->mid;
    ev->session_id = h->uid;
    ev->tree_id = h->tid;
    if (h->reply) {
        ev->has_status = true;
        ev->status = h->status;
        ev->dos_error = h->dos && h->status != 0; /* 0 is success in both forms */
    }
    smb_event_fill_tree(st, ev);
}

static bool smb1_is_andx(uint8_t cmd)
{
    switch (cmd) {
    case 0x24:
    case SMB1_CMD_OPEN_ANDX:
    case SMB1_CMD_READ_ANDX:
    case SMB1_CMD_WRITE_ANDX:
    case SMB1_CMD_SESSION_SETUP_ANDX:
    case 0x74:
    case SMB1_CMD_TREE_CONNECT_ANDX:
    case SMB1_CMD_NT_CREATE_ANDX: return true;
    default: return false;
    }
}

size_t smb1_str(const uint8_t *p, size_t n, size_t off, bool unicode, char *out, size_t cap)
{
    out[0] = '\0';
    if (unicode && (off & 1))
        off++;
    if (off >= n)
        return n;
    size_t len = 0;
    if (unicode) {
        while (off + len + 1 < n && (p[off + len] || p[off + len + 1]))
            len += 2;
        utf16le_to_utf8(p + off, len, out, cap, NULL);
        return off + len + 2 <= n ? off + len + 2 : n;
    }
    while (off + len < n && p[off + len])
        len++;
    ascii_copy(p + off, len, out, cap);
    return off + len + 1 <= n ? off + len + 1 : n;
}

void smb1_name(const uint8_t *p, size_t n, size_t off, size_t len, bool unicode, char *out, size_t cap)
{
    out[0] = '\0';
    if (off >= n)
        return;
    if (len > n - off)
        len = n - off;
    if (unicode)
        utf16le_to_utf8(p + off, len & ~(size_t)1, out, cap, NULL);
    else
        ascii_copy(p + off, len, out, cap);
}

const uint8_t *smb1_buf(const uint8_t *p, size_t n, uint64_t off, uint64_t len)
{
    if (off > n || len > n - off)
        return NULL;
    return p + off;
}

uint32_t smb1_open_disposition(uint16_t open_mode)
{
    /* OpenMode: bits 0-1 FileExistsOpts (0 fail, 1 open, 2 truncate), bit 4 CreateFile (1 create if absent) */
    bool create = open_mode & 0x0010;
    switch (open_mode & 0x0003) {
    case 0: return create ? 2u : 0xffffffffu; /* FILE_CREATE */
    case 1: return create ? 3u : 1u;          /* FILE_OPEN_IF / FILE_OPEN */
    case 2: return create ? 5u : 4u;          /* FILE_OVERWRITE_IF / FILE_OVERWRITE */
    default: return 0xffffffffu;
    }
}

/* NativeOS then NativeLanMan, from off [MS-CIFS 2.2.4.53.1/2]. */
static void smb1_native(const uint8_t *p, size_t n, size_t off, bool unicode, char *os, char *lm)
{
    off = smb1_str(p, n, off, unicode, os, SMB_NATIVE_MAX);
    smb1_str(p, n, off, unicode, lm, SMB_NATIVE_MAX);
}

static void smb1_negotiate(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                           const struct smb1_block *b, struct smb_pending *pd)
{
    struct smb_event ev;
    if (!h->reply) {
        /* dialect strings: 0x02 "name" NUL, repeated; kept NUL-separated in the pending name */
        pd = smb_pending_add(ctx, st, 1, h->mid, h->cmd);
        size_t o = 0, k = 0;
        const uint8_t *bytes = p + b->bo;
        while (o < b->bc && k + 1 < SMB_NAME_MAX && pd->n_dialects < SMB_MAX_DIALECTS) {
            if (bytes[o++] != 0x02)
                break;
            while (o < b->bc && bytes[o] && k + 1 < SMB_NAME_MAX)
                pd->u.name[k++] = (char)bytes[o++];
            pd->u.name[k++] = '\0';
            pd->n_dialects++;
            o++;
        }
        return;
    }
    smb1_event_init(st, &ev, h);
    const char *names[SMB_MAX_DIALECTS];
    size_t nn = 0;
    if (pd) {
        const char *s = pd->u.name;
        for (size_t i = 0; i < pd->n_dialects && nn < SMB_MAX_DIALECTS; i++) {
            names[nn++] = s;
            s += strlen(s) + 1;
        }
        for (size_t i = 0; i < nn; i++)
            ev.client_dialects[ev.n_client_dialects++] = names[i];
    }
    if (b->wc >= 1) {
        uint16_t idx = rd_le16(p + b->wo);
        if (idx < nn) {
            size_t l = strlen(names[idx]);
            if (l >= sizeof(st->smb1_dialect))
                l = sizeof(st->smb1_dialect) - 1;
            memcpy(st->smb1_dialect, names[idx], l);
            st->smb1_dialect[l] = '\0';
            ev.dialect = st->smb1_dialect;
        }
    }
    /* NT LM 0.12 response [MS-SMB 2.2.4.5.2.1]: WordCount 17, word 19 Capabilities; with CAP_EXTENDED_SECURITY
     * (0x80000000) the bytes begin with the 16-byte ServerGUID (else with the challenge: no GUID) */
    if (b->wc == 17 && (rd_le32(p + b->wo + 19) & 0x80000000u) && b->bc >= 16)
        ev.server_guid = p + b->bo;
    app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, &ev);
}

/* One block of a request. */
static void smb1_request(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                         size_t n, const struct smb1_block *b)
{
    const uint8_t *w = p + b->wo;
    bool uni = h->flags2 & SMB1_FLAGS2_UNICODE;
    struct smb_pending *pd;
    switch (b->cmd) {
    case SMB1_CMD_NEGOTIATE:
        smb1_negotiate(ctx, st, h, p, b, NULL); /* keeps the dialect strings for the response */
        break;
    case SMB1_CMD_SESSION_SETUP_ANDX: {
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        pd->session_id = h->uid;
        pd->u.native_os[0] = pd->u.native_lm[0] = '\0';
        size_t end = b->bo + b->bc;
        if (b->wc == 13) {
            /* NT LM 0.12 without extended security [MS-CIFS 2.2.4.53.1]: words 14 OEMPasswordLen,
             * 16 UnicodePasswordLen; bytes: passwords, Pad, AccountName, PrimaryDomain, NativeOS, NativeLanMan */
            size_t o = b->bo + (size_t)rd_le16(w + 14) + rd_le16(w + 16);
            if (o > end)
                break;
            char skip[SMB_NATIVE_MAX];
            o = smb1_str(p, end, o, uni, skip, sizeof(skip));
            o = smb1_str(p, end, o, uni, skip, sizeof(skip));
            smb1_native(p, end, o, uni, pd->u.native_os, pd->u.native_lm);
            break;
        }
        if (b->wc != 12)
            break; /* only the extended-security form carries a GSS blob */
        /* extended security [MS-SMB 2.2.4.6.1]: word 14 SecurityBlobLength; bytes: blob, Pad, NativeOS,
         * NativeLanMan */
        uint16_t blen = rd_le16(w + 14);
        if (blen > b->bc)
            break;
        smb1_native(p, end, b->bo + blen, uni, pd->u.native_os, pd->u.native_lm);
        size_t left;
        const uint8_t *nt = ntlmssp_find(p + b->bo, blen, &left);
        if (nt) {
            struct ntlmssp_info info;
            if (ntlmssp_parse(nt, left, &info) == 0 && info.type == NTLMSSP_AUTH) {
                pd->u.ntlm = info;
                pd->has_ntlm = true;
            }
        } else if (gss_is_kerberos(p + b->bo, blen)) {
            pd->flag = true;
        }
        break;
    }
    case SMB1_CMD_TREE_CONNECT_ANDX:
        /* words: AndX 4, Flags 2, PasswordLength 2; bytes: Password, Path, Service */
        if (b->wc < 4)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        pd->session_id = h->uid;
        smb1_str(p, b->bo + b->bc, b->bo + rd_le16(w + 6), uni, pd->u.name, SMB_PATH_MAX);
        break;
    case SMB1_CMD_NT_CREATE_ANDX:
        /* words: 5 NameLength, 15 DesiredAccess, 35 CreateDisposition, 39 CreateOptions */
        if (b->wc < 24)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        pd->tree_id = h->tid;
        pd->session_id = h->uid;
        pd->access = rd_le32(w + 15);
        pd->code = rd_le32(w + 35);
        pd->options = rd_le32(w + 39);
        smb1_str(p, b->bo + b->bc, b->bo, uni, pd->u.name, SMB_NAME_MAX);
        break;
    case SMB1_CMD_OPEN_ANDX:
        /* [MS-CIFS 2.2.4.41.1] words: AndX 4, 4 Flags, 6 AccessMode, 8 SearchAttrs, 10 FileAttrs,
         * 12 CreationTime, 16 OpenMode, 18 AllocationSize, 22 Timeout, 26 Reserved; bytes: FileName */
        if (b->wc < 15)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        pd->tree_id = h->tid;
        pd->session_id = h->uid;
        pd->access = rd_le16(w + 6);
        pd->open_function = rd_le16(w + 16);
        pd->code = smb1_open_disposition(pd->open_function);
        smb1_str(p, b->bo + b->bc, b->bo, uni, pd->u.name, SMB_NAME_MAX);
        break;
    case SMB1_CMD_RENAME: {
        /* [MS-CIFS 2.2.4.8.1] words: SearchAttributes; bytes: 0x04 OldFileName 0x04 NewFileName */
        if (b->wc < 1 || b->bc < 1 || p[b->bo] != 0x04)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        pd->tree_id = h->tid;
        size_t end = b->bo + b->bc;
        size_t o = smb1_str(p, end, b->bo + 1, uni, pd->u.ren.from, sizeof(pd->u.ren.from));
        pd->u.ren.to[0] = '\0';
        if (o < end && p[o] == 0x04)
            smb1_str(p, end, o + 1, uni, pd->u.ren.to, sizeof(pd->u.ren.to));
        break;
    }
    case SMB1_CMD_DELETE:
        /* [MS-CIFS 2.2.4.7.1] words: SearchAttributes; bytes: 0x04 FileName (wildcards allowed) */
        if (b->wc < 1 || b->bc < 1 || p[b->bo] != 0x04)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        pd->tree_id = h->tid;
        smb1_str(p, b->bo + b->bc, b->bo + 1, uni, pd->u.name, SMB_NAME_MAX);
        break;
    case SMB1_CMD_TRANS2: smb1_trans2_request(ctx, st, h, p, n, b); break;
    case SMB1_CMD_NT_TRANS: smb1_nt_trans_request(ctx, st, h, p, n, b); break;
    case SMB1_CMD_TRANS_SECONDARY:
    case SMB1_CMD_TRANS2_SECONDARY:
    case SMB1_CMD_NT_TRANS_SECONDARY:
        /* the rest of a transaction's parameters/data: not reassembled, and the server does not answer it */
        break;
    case SMB1_CMD_CLOSE:
        if (b->wc < 3)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        pd->tree_id = h->tid;
        memcpy(pd->fid, w, 2);
        pd->fid_len = 2;
        break;
    case SMB1_CMD_READ_ANDX:
        /* words: 4 FID, 6 Offset, 10 MaxCount, [20 OffsetHigh] */
        if (b->wc < 10)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        memcpy(pd->fid, w + 4, 2);
        pd->fid_len = 2;
        pd->offset = rd_le32(w + 6) | (b->wc >= 12 ? (uint64_t)rd_le32(w + 20) << 32 : 0);
        break;
    case SMB1_CMD_WRITE_ANDX: {
        /* words: 4 FID, 6 Offset, 18 DataLengthHigh, 20 DataLength, 22 DataOffset, [24 OffsetHigh] */
        if (b->wc < 12)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        memcpy(pd->fid, w + 4, 2);
        pd->fid_len = 2;
        uint64_t off = rd_le32(w + 6) | (b->wc >= 14 ? (uint64_t)rd_le32(w + 24) << 32 : 0);
        uint32_t dlen = rd_le16(w + 20) | (uint32_t)rd_le16(w + 18) << 16;
        uint16_t doff = rd_le16(w + 22);
        struct smb_file *f = smb_file_get(st, w + 4, 2);
        if (f) {
            f->writes++;
            f->bytes_written += dlen;
            if (doff < n) {
                size_t avail = n - doff;
                smb_file_data(ctx, st, f, 0, off, p + doff, dlen < avail ? dlen : avail);
                if (dlen > avail)
                    smb_file_gap(ctx, f, 0);
            }
        }
        break;
    }
    case SMB1_CMD_TRANS: {
        /* words: 22 DataCount, 24 DataOffset, 26 SetupCount, 28 Setup[]: TransactNmPipe 0x26, FID */
        if (b->wc < 16)
            break;
        uint8_t setup = w[26];
        if (setup < 2 || rd_le16(w + 28) != 0x26)
            break;
        pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
        memcpy(pd->fid, w + 30, 2);
        pd->fid_len = 2;
        struct smb_file *f = smb_file_get(st, w + 30, 2);
        uint16_t dc = rd_le16(w + 22), doff = rd_le16(w + 24);
        if (f && smb_file_pipe_op(f) && doff <= n && dc <= n - doff) {
            f->writes++;
            f->bytes_written += dc;
            smb_file_data(ctx, st, f, 0, 0, p + doff, dc);
        }
        break;
    }
    default: break;
    }
}

static void smb1_share_type(const char *service, uint8_t *type)
{
    if (strcmp(service, "IPC") == 0)
        *type = SMB_SHARE_PIPE;
    else if (strcmp(service, "A:") == 0)
        *type = SMB_SHARE_DISK;
    else if (strncmp(service, "LPT", 3) == 0)
        *type = SMB_SHARE_PRINT;
}

/* One block of a response. */
static void smb1_response(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                          size_t n, const struct smb1_block *b, bool first)
{
    const uint8_t *w = p + b->wo;
    struct smb_pending *pd = smb_pending_find(st, 1, h->mid, b->cmd);
    /* interim response to a transaction whose parameters or data continue in secondary requests
     * [MS-CIFS 2.2.4.46.2, 3.2.5.1.4]: success and no words; the final response follows under the same MID */
    if ((b->cmd == SMB1_CMD_TRANS || b->cmd == SMB1_CMD_TRANS2 || b->cmd == SMB1_CMD_NT_TRANS) && h->status == 0 &&
        b->wc == 0)
        return;
    struct smb_event ev;
    struct smb1_hdr hb = *h;
    hb.cmd = b->cmd;
    smb1_event_init(st, &ev, &hb);
    bool ok = h->status == 0;
    bool emit = false;
    switch (b->cmd) {
    case SMB1_CMD_NEGOTIATE: smb1_negotiate(ctx, st, &hb, p, b, pd); break;
    case SMB1_CMD_SESSION_SETUP_ANDX: {
        /* NativeOS / NativeLanMan of both sides; in SMB1 they are on every leg, the first
         * (STATUS_MORE_PROCESSING_REQUIRED) included, so that leg is an event too (as in Suricata).
         * Response [MS-SMB 2.2.4.6.2 / MS-CIFS 2.2.4.53.2]: WordCount 4 = extended security (word 6
         * SecurityBlobLength, bytes: blob, Pad, strings), 3 = without (bytes: Pad, strings). */
        char ros[SMB_NATIVE_MAX], rlm[SMB_NATIVE_MAX];
        size_t end = b->bo + b->bc;
        size_t so = end;
        if (b->wc == 4 && rd_le16(w + 6) <= b->bc)
            so = b->bo + rd_le16(w + 6);
        else if (b->wc == 3)
            so = b->bo;
        if (so < end) {
            smb1_native(p, end, so, h->flags2 & SMB1_FLAGS2_UNICODE, ros, rlm);
            ev.resp_native_os = ros;
            ev.resp_native_lm = rlm;
        }
        if (pd && (pd->u.native_os[0] || pd->u.native_lm[0])) {
            ev.req_native_os = pd->u.native_os;
            ev.req_native_lm = pd->u.native_lm;
        }
        if (pd && pd->has_ntlm)
            ev.ntlmssp = &pd->u.ntlm;
        ev.kerberos = pd && pd->flag;
        if (ok) {
            struct smb_session *s = smb_session_get(st, h->uid, true);
            if (pd && pd->has_ntlm) {
                s->ntlm = pd->u.ntlm;
                s->has_ntlm = true;
            }
        }
        /* emitted here, while ros/rlm are in scope */
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, &ev);
        break;
    }
    case SMB1_CMD_TREE_CONNECT_ANDX:
        if (pd)
            ev.share = pd->u.name;
        if (ok && pd) {
            char service[16];
            smb1_str(p, b->bo + b->bc, b->bo, false, service, sizeof(service));
            struct smb_tree *t = smb_tree_get(st, h->tid, true);
            t->session_id = h->uid;
            smb1_share_type(service, &t->share_type);
            memcpy(t->path, pd->u.name, SMB_PATH_MAX);
            t->path[SMB_PATH_MAX - 1] = '\0';
            ev.share_type = t->share_type;
        }
        emit = true;
        break;
    case SMB1_CMD_NT_CREATE_ANDX:
        if (pd) {
            ev.filename = pd->u.name;
            ev.has_create = true;
            ev.disposition = pd->code;
            ev.desired_access = pd->access;
            ev.create_options = pd->options;
            ev.delete_on_close = pd->options & FILE_DELETE_ON_CLOSE;
            ev.tree_id = pd->tree_id;
            smb_event_fill_tree(st, &ev);
        }
        /* words: 4 OplockLevel, 5 FID, 7 CreateAction, 11 CreationTime, 19 LastAccessTime, 27 LastWriteTime,
         * 35 LastChangeTime, 43 ExtFileAttributes, 47 AllocationSize, 55 EndOfFile, 63 ResourceType
         * [MS-CIFS 2.2.4.64.2] */
        if (ok && b->wc >= 34) {
            ev.fid = w + 5;
            ev.fid_len = 2;
            ev.create_action = rd_le32(w + 7);
            ev.has_times = true;
            ev.created = rd_le64(w + 11);
            ev.accessed = rd_le64(w + 19);
            ev.modified = rd_le64(w + 27);
            ev.changed = rd_le64(w + 35);
            ev.size = rd_le64(w + 55);
            /* 63 ResourceType: a pipe or not, for an open whose tree connect was not seen */
            smb_file_kind(smb_file_opened(ctx, st, w + 5, 2, ev.tree_id, h->uid, pd, ev.create_action, ev.size),
                          smb1_resource_kind(rd_le16(w + 63)));
        }
        emit = true;
        break;
    case SMB1_CMD_OPEN_ANDX:
        if (pd) {
            ev.filename = pd->u.name;
            ev.has_create = true;
            ev.legacy_open = true;
            ev.disposition = pd->code;
            ev.access_mode = (uint16_t)pd->access;
            ev.open_function = pd->open_function;
            ev.tree_id = pd->tree_id;
            smb_event_fill_tree(st, &ev);
        }
        /* [MS-CIFS 2.2.4.41.2] words: AndX 4, 4 FID, 6 FileAttrs, 8 LastWriteTime, 12 FileDataSize,
         * 16 AccessRights, 18 ResourceType, 20 NMPipeStatus, 22 OpenResults (bits 0-1: 1 opened, 2 created,
         * 3 truncated: the NT CreateAction values) */
        if (ok && b->wc >= 15) {
            ev.fid = w + 4;
            ev.fid_len = 2;
            ev.create_action = rd_le16(w + 22) & 3u;
            ev.size = rd_le32(w + 12);
            smb_file_kind(smb_file_opened(ctx, st, w + 4, 2, ev.tree_id, h->uid, pd, ev.create_action, ev.size),
                          smb1_resource_kind(rd_le16(w + 18)));
        }
        emit = true;
        break;
    case SMB1_CMD_RENAME:
        if (pd) {
            ev.filename = pd->u.ren.from;
            ev.rename_to = pd->u.ren.to;
        }
        emit = true;
        break;
    case SMB1_CMD_DELETE:
        if (pd) {
            ev.filename = pd->u.name;
            ev.delete_pending = ok;
        }
        emit = true;
        break;
    case SMB1_CMD_TRANS2: smb1_trans2_response(ctx, st, &hb, p, n, b, pd, &ev); break;
    case SMB1_CMD_NT_TRANS: smb1_nt_trans_response(ctx, st, &hb, p, n, b, pd, &ev); break;
    case SMB1_CMD_CLOSE: {
        struct smb_file *f = pd ? smb_file_get(st, pd->fid, 2) : NULL;
        if (f)
            smb_event_fill_file(&ev, f);
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, &ev);
        if (f && ok)
            smb_file_end(ctx, st, f);
        break;
    }
    case SMB1_CMD_READ_ANDX: {
        /* words: 10 DataLength, 12 DataOffset, 14 DataLengthHigh */
        struct smb_file *f = pd ? smb_file_get(st, pd->fid, 2) : NULL;
        if ((ok || smb1_more_data(h)) && b->wc >= 12 && f) {
            uint32_t dlen = rd_le16(w + 10) | (uint32_t)rd_le16(w + 14) << 16;
            uint16_t doff = rd_le16(w + 12);
            f->reads++;
            f->bytes_read += dlen;
            if (doff <= n && dlen <= n - doff)
                smb_file_data(ctx, st, f, 1, pd->offset, p + doff, dlen);
            else
                smb_file_gap(ctx, f, 1);
        }
        emit = !ok && !smb1_more_data(h);
        break;
    }
    case SMB1_CMD_TRANS: {
        /* words: 12 DataCount, 14 DataOffset */
        struct smb_file *f = pd ? smb_file_get(st, pd->fid, 2) : NULL;
        if ((ok || smb1_more_data(h)) && b->wc >= 10 && f && smb_file_pipe_op(f)) {
            uint16_t dc = rd_le16(w + 12), doff = rd_le16(w + 14);
            if (doff <= n && dc <= n - doff) {
                f->reads++;
                f->bytes_read += dc;
                smb_file_data(ctx, st, f, 1, 0, p + doff, dc);
            }
        }
        emit = !ok && !smb1_more_data(h);
        break;
    }
    default:
        /* an error ends an AndX chain: report it once, on the first block */
        emit = first && !ok && h->status != SMB_STATUS_MORE_PROCESSING;
        break;
    }
    if (emit)
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, &ev);
    if (pd)
        smb_pending_del(pd);
}

void smb1_record(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n)
{
    struct smb1_hdr h;
    if (smb1_hdr_parse(p, n, &h) < 0) {
        app_anomaly(ctx, dir, "smb1_bad_header", "malformed SMB1 header");
        return;
    }
    st->smb1_seen = true;
    size_t off = SMB1_HDR_LEN;
    uint8_t cmd = h.cmd;
    for (int i = 0; i < SMB_MAX_CHAIN; i++) {
        struct smb1_block b;
        if (off >= n) {
            app_anomaly(ctx, dir, "smb1_short", "SMB1 block past the record");
            return;
        }
        b.cmd = cmd;
        b.wc = p[off];
        b.wo = off + 1;
        size_t words_end = b.wo + 2u * b.wc;
        if (words_end + 2 > n) {
            /* error responses may carry WordCount 0 and no ByteCount */
            if (!(h.reply && b.wc == 0 && h.status != 0)) {
                app_anomaly(ctx, dir, "smb1_short", "SMB1 word/byte count past the record");
                return;
            }
            b.bc = 0;
            b.bo = n;
        } else {
            b.bo = words_end + 2;
            uint16_t bc = rd_le16(p + words_end);
            b.bc = bc <= n - b.bo ? bc : (uint16_t)(n - b.bo);
        }
        if (h.reply)
            smb1_response(ctx, st, &h, p, n, &b, i == 0);
        else
            smb1_request(ctx, st, &h, p, n, &b);
        if (!smb1_is_andx(cmd) || b.wc < 2)
            return;
        uint8_t next = p[b.wo];
        uint16_t next_off = rd_le16(p + b.wo + 2);
        if (next == 0xff)
            return;
        if (next_off <= off || next_off >= n) {
            app_anomaly(ctx, dir, "smb1_bad_andx_offset", "AndXOffset does not move forward inside the record");
            return;
        }
        cmd = next;
        off = next_off;
    }
    app_anomaly(ctx, dir, "smb1_chain_too_long", "more AndX blocks than the limit");
}

bool smb1_stream_begin(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n, uint32_t rec_len,
                       struct nbss_dir *d)
{
    struct smb1_hdr h;
    if (smb1_hdr_parse(p, n, &h) < 0 || h.reply || h.cmd != SMB1_CMD_WRITE_ANDX || p[SMB1_HDR_LEN] < 12)
        return false;
    const uint8_t *w = p + SMB1_HDR_LEN + 1;
    if ((size_t)(w - p) + 28 > n)
        return false;
    if (w[0] != 0xff)
        return false; /* a chained large write is buffered instead */
    struct smb_pending *pd = smb_pending_add(ctx, st, 1, h.mid, h.cmd);
    memcpy(pd->fid, w + 4, 2);
    pd->fid_len = 2;
    uint64_t off = rd_le32(w + 6) | (p[SMB1_HDR_LEN] >= 14 ? (uint64_t)rd_le32(w + 24) << 32 : 0);
    uint32_t dlen = rd_le16(w + 20) | (uint32_t)rd_le16(w + 18) << 16;
    uint16_t doff = rd_le16(w + 22);
    struct smb_file *f = smb_file_get(st, w + 4, 2);
    d->sfid_len = 0;
    if (f) {
        f->writes++;
        f->bytes_written += dlen;
        memcpy(d->sfid, w + 4, 2);
        d->sfid_len = 2;
    }
    d->data_start = doff;
    d->data_end = (uint64_t)doff + dlen < rec_len ? doff + dlen : rec_len;
    if (d->data_start > d->data_end)
        d->data_start = d->data_end;
    d->file_off = off;
    (void)dir;
    return true;
}
