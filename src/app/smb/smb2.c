/*
 * smb2.c - SMB2/SMB3 messages [MS-SMB2 2.2].
 *
 *   SMB2 header (64 bytes, 2.2.1):
 *     0 ProtocolId 0xFE 'SMB'   4     24 Flags            4  (1 response, 2 async, 4 related, 8 signed)
 *     4 StructureSize = 64      2     28 NextCommand      4  (offset of the next compounded message)
 *     6 CreditCharge            2     32 MessageId        8
 *     8 Status (responses)      4     40 Reserved 4 + TreeId 4, or AsyncId 8 (async)
 *    12 Command                 2     48 SessionId        8
 *    14 Credits                 2     56 Signature       16
 *   Body offsets below are from the start of the body (header + 64); buffer
 *   offsets inside bodies are from the start of the header.
 *
 *   TRANSFORM header (2.2.41): 0xFD 'SMB', Signature 16, Nonce 16,
 *     OriginalMessageSize 4, Reserved 2, Flags 2, SessionId 8 (at 44): 52 bytes.
 *   COMPRESSION_TRANSFORM (2.2.42): 0xFC 'SMB', OriginalCompressedSegmentSize 4, ...
 * Encrypted and compressed records are counted and reported once per flow
 * (the first one) and in the summary; their content is not guessed at.
 */
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "app/smb/smb.h"
#include "app/smb/utf16.h"

#define SMB2_HDR_LEN       64
#define SMB2_FLAG_RESPONSE 0x1u
#define SMB2_FLAG_ASYNC    0x2u
#define SMB2_FLAG_RELATED  0x4u

struct smb2_hdr {
    uint32_t status;
    uint16_t cmd;
    uint32_t flags;
    uint32_t next;
    uint64_t msg_id;
    uint32_t tree_id;
    uint64_t session_id;
    bool response;
};

static int smb2_hdr_parse(const uint8_t *p, size_t n, struct smb2_hdr *h)
{
    if (n < SMB2_HDR_LEN || p[0] != 0xfe || rd_le16(p + 4) != 64)
        return -1;
    h->status = rd_le32(p + 8);
    h->cmd = rd_le16(p + 12);
    h->flags = rd_le32(p + 16);
    h->next = rd_le32(p + 20);
    h->msg_id = rd_le64(p + 24);
    h->tree_id = (h->flags & SMB2_FLAG_ASYNC) ? 0 : rd_le32(p + 36);
    h->session_id = rd_le64(p + 40);
    h->response = h->flags & SMB2_FLAG_RESPONSE;
    return 0;
}

/* A buffer [off, off+len) inside the message, or NULL. */
static const uint8_t *smb2_buf(const uint8_t *msg, size_t n, uint64_t off, uint64_t len)
{
    if (off > n || len > n - off)
        return NULL;
    return msg + off;
}

static void smb2_name(const uint8_t *msg, size_t n, uint64_t off, uint64_t len, char *out, size_t cap)
{
    out[0] = '\0';
    const uint8_t *s = smb2_buf(msg, n, off, len);
    if (s)
        utf16le_to_utf8(s, (size_t)len, out, cap, NULL);
}

static bool fid_is_related(const uint8_t *fid)
{
    for (int i = 0; i < 16; i++)
        if (fid[i] != 0xff)
            return false;
    return true;
}

/* The open a file id names; all-ones means "the one created earlier in this compound". */
static struct smb_file *smb2_file(struct smb_state *st, const uint8_t *fid)
{
    if (fid_is_related(fid) && st->chain_fid_valid)
        fid = st->chain_fid;
    return smb_file_get(st, fid, 16);
}

static void smb2_event_init(struct smb_state *st, struct smb_event *ev, const struct smb2_hdr *h,
                            const struct smb_pending *pd)
{
    memset(ev, 0, sizeof(*ev));
    ev->version = 2;
    ev->command = h->cmd;
    ev->command_name = smb2_command_name(h->cmd);
    ev->msg_id = h->msg_id;
    ev->session_id = h->session_id;
    ev->tree_id = pd && pd->tree_id ? pd->tree_id : h->tree_id;
    if (h->response) {
        ev->has_status = true;
        ev->status = h->status;
    }
    smb_event_fill_tree(st, ev);
}

static void smb2_emit(struct app_ctx *ctx, const struct smb2_hdr *h, struct smb_event *ev)
{
    app_emit(ctx, EVENT_SMB, h->response ? EVENT_DIR_TOCLIENT : EVENT_DIR_TOSERVER, ev);
}

/* ------------------------------------------------------------------ requests */

static void smb2_write_request(struct app_ctx *ctx, struct smb_state *st, const struct smb2_hdr *h, const uint8_t *msg,
                               size_t n, bool with_data, uint32_t *data_off, uint64_t *file_off, uint32_t *data_len,
                               uint8_t *fid_out)
{
    const uint8_t *b = msg + SMB2_HDR_LEN;
    /* WRITE request (2.2.21): 0 StructureSize 49, 2 DataOffset, 4 Length, 8 Offset, 16 FileId */
    uint16_t doff = rd_le16(b + 2);
    uint32_t len = rd_le32(b + 4);
    uint64_t off = rd_le64(b + 8);
    const uint8_t *fid = b + 16;
    struct smb_pending *pd = smb_pending_add(ctx, st, 2, h->msg_id, SMB2_WRITE);
    memcpy(pd->fid, fid, 16);
    pd->fid_len = 16;
    pd->offset = off;
    pd->length = len;
    pd->session_id = h->session_id;
    pd->tree_id = h->tree_id;
    struct smb_file *f = smb2_file(st, fid);
    if (f) {
        f->writes++;
        f->bytes_written += len;
    }
    *data_off = doff;
    *file_off = off;
    *data_len = len;
    memcpy(fid_out, f ? f->fid : fid, 16);
    if (with_data && f) {
        /* the part of the data that is inside this message */
        if (doff < n) {
            size_t avail = n - doff;
            smb_file_data(ctx, st, f, 0, off, msg + doff, len < avail ? len : avail);
            if (len > avail)
                smb_file_gap(ctx, f, 0);
        } else if (len) {
            smb_file_gap(ctx, f, 0);
        }
    }
}

static void smb2_request(struct app_ctx *ctx, struct smb_state *st, const struct smb2_hdr *h, const uint8_t *msg,
                         size_t n)
{
    const uint8_t *b = msg + SMB2_HDR_LEN;
    size_t bl = n - SMB2_HDR_LEN;
    struct smb_pending *pd;

#define NEED(k)                                                                \
    do {                                                                       \
        if (bl < (k)) {                                                        \
            app_anomaly(ctx, 0, "smb2_short_body", smb2_command_name(h->cmd)); \
            return;                                                            \
        }                                                                      \
    } while (0)

    switch (h->cmd) {
    case SMB2_NEGOTIATE: {
        /* 2.2.3: 2 DialectCount, 4 SecurityMode, 8 Capabilities, 12 ClientGuid, 36 Dialects[] */
        NEED(36);
        uint16_t cnt = rd_le16(b + 2);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        for (uint16_t i = 0; i < cnt && pd->n_dialects < SMB_MAX_DIALECTS && 36u + 2u * i + 2 <= bl; i++)
            pd->dialects[pd->n_dialects++] = rd_le16(b + 36 + 2 * i);
        break;
    }
    case SMB2_SESSION_SETUP: {
        /* 2.2.5: 12 SecurityBufferOffset (u16), 14 SecurityBufferLength (u16) */
        NEED(24);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->session_id = h->session_id;
        const uint8_t *blob = smb2_buf(msg, n, rd_le16(b + 12), rd_le16(b + 14));
        if (!blob)
            break;
        size_t left;
        const uint8_t *nt = ntlmssp_find(blob, rd_le16(b + 14), &left);
        if (nt) {
            struct ntlmssp_info info;
            if (ntlmssp_parse(nt, left, &info) == 0 && info.type == NTLMSSP_AUTH) {
                pd->u.ntlm = info;
                pd->has_ntlm = true;
            } else if (info.type == NTLMSSP_AUTH) {
                app_anomaly(ctx, 0, "ntlmssp_malformed", "NTLMSSP AUTHENTICATE message with bad fields");
            }
        } else if (gss_is_kerberos(blob, rd_le16(b + 14))) {
            pd->flag = true;
        }
        break;
    }
    case SMB2_LOGOFF:
    case SMB2_TREE_DISCONNECT:
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->tree_id = h->tree_id;
        pd->session_id = h->session_id;
        break;
    case SMB2_TREE_CONNECT:
        /* 2.2.9: 4 PathOffset (u16), 6 PathLength (u16) */
        NEED(8);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->session_id = h->session_id;
        smb2_name(msg, n, rd_le16(b + 4), rd_le16(b + 6), pd->u.name, SMB_PATH_MAX);
        break;
    case SMB2_CREATE:
        /* 2.2.13: 24 DesiredAccess, 36 CreateDisposition, 40 CreateOptions, 44 NameOffset, 46 NameLength */
        NEED(56);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->session_id = h->session_id;
        pd->tree_id = h->tree_id;
        pd->access = rd_le32(b + 24);
        pd->code = rd_le32(b + 36);
        pd->options = rd_le32(b + 40);
        smb2_name(msg, n, rd_le16(b + 44), rd_le16(b + 46), pd->u.name, SMB_NAME_MAX);
        break;
    case SMB2_CLOSE:
        /* 2.2.15: 8 FileId */
        NEED(24);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->tree_id = h->tree_id;
        memcpy(pd->fid, b + 8, 16);
        pd->fid_len = 16;
        break;
    case SMB2_READ:
        /* 2.2.19: 4 Length, 8 Offset, 16 FileId */
        NEED(32);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->tree_id = h->tree_id;
        pd->length = rd_le32(b + 4);
        pd->offset = rd_le64(b + 8);
        memcpy(pd->fid, b + 16, 16);
        pd->fid_len = 16;
        break;
    case SMB2_WRITE: {
        NEED(32);
        uint32_t doff, dlen;
        uint64_t foff;
        uint8_t fid[16];
        smb2_write_request(ctx, st, h, msg, n, true, &doff, &foff, &dlen, fid);
        break;
    }
    case SMB2_IOCTL: {
        /* 2.2.31: 4 CtlCode, 8 FileId, 24 InputOffset, 28 InputCount */
        NEED(56);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->tree_id = h->tree_id;
        pd->code = rd_le32(b + 4);
        memcpy(pd->fid, b + 8, 16);
        pd->fid_len = 16;
        struct smb_file *f = smb2_file(st, b + 8);
        if (pd->code == FSCTL_PIPE_TRANSCEIVE && f && smb_file_pipe_op(f)) {
            const uint8_t *in = smb2_buf(msg, n, rd_le32(b + 24), rd_le32(b + 28));
            if (in) {
                f->writes++;
                f->bytes_written += rd_le32(b + 28);
                smb_file_data(ctx, st, f, 0, 0, in, rd_le32(b + 28));
            }
        }
        break;
    }
    case SMB2_QUERY_DIRECTORY:
        /* 2.2.33: 8 FileId, 24 FileNameOffset (u16), 26 FileNameLength (u16) */
        NEED(32);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->tree_id = h->tree_id;
        memcpy(pd->fid, b + 8, 16);
        pd->fid_len = 16;
        smb2_name(msg, n, rd_le16(b + 24), rd_le16(b + 26), pd->u.name, SMB_NAME_MAX);
        break;
    case SMB2_SET_INFO: {
        /* 2.2.39: 2 InfoType, 3 FileInfoClass, 4 BufferLength, 8 BufferOffset (u16), 16 FileId */
        NEED(32);
        pd = smb_pending_add(ctx, st, 2, h->msg_id, h->cmd);
        pd->tree_id = h->tree_id;
        pd->info_type = b[2];
        pd->info_class = b[3];
        memcpy(pd->fid, b + 16, 16);
        pd->fid_len = 16;
        uint32_t blen = rd_le32(b + 4);
        const uint8_t *ib = smb2_buf(msg, n, rd_le16(b + 8), blen);
        if (!ib || pd->info_type != 1)
            break;
        if (pd->info_class == 10 && blen >= 20) {
            /* FileRenameInformation (SMB2 form, 2.2.39): 16 FileNameLength, 20 FileName */
            uint32_t nl = rd_le32(ib + 16);
            if (nl <= blen - 20)
                utf16le_to_utf8(ib + 20, nl, pd->u.name, SMB_NAME_MAX, NULL);
        } else if (pd->info_class == 13 && blen >= 1) {
            pd->flag = ib[0] != 0; /* FileDispositionInformation.DeletePending */
        } else if (pd->info_class == 64 && blen >= 4) {
            pd->flag = rd_le32(ib) & 1; /* FileDispositionInformationEx FILE_DISPOSITION_DELETE */
        }
        break;
    }
    default: break;
    }
#undef NEED
}

/* ------------------------------------------------------------------ responses */

/* A FILETIME that stands for no time: 0, or 1970-01-01 (116444736000000000, the Unix epoch: Samba's 0). */
static bool smb2_no_time(uint64_t ft)
{
    return ft == 0 || ft == 116444736000000000ull;
}

static bool smb2_has_event(uint16_t cmd)
{
    switch (cmd) {
    case SMB2_NEGOTIATE:
    case SMB2_SESSION_SETUP:
    case SMB2_LOGOFF:
    case SMB2_TREE_CONNECT:
    case SMB2_TREE_DISCONNECT:
    case SMB2_CREATE:
    case SMB2_CLOSE:
    case SMB2_QUERY_DIRECTORY:
    case SMB2_SET_INFO: return true;
    default: return false;
    }
}

static void smb2_response(struct app_ctx *ctx, struct smb_state *st, const struct smb2_hdr *h, const uint8_t *msg,
                          size_t n)
{
    const uint8_t *b = msg + SMB2_HDR_LEN;
    size_t bl = n - SMB2_HDR_LEN;
    /* interim response of an async operation: the final one follows with the same MessageId */
    if (h->status == SMB_STATUS_PENDING && (h->flags & SMB2_FLAG_ASYNC))
        return;
    struct smb_pending *pd = smb_pending_find(st, 2, h->msg_id, h->cmd);
    struct smb_event ev;
    smb2_event_init(st, &ev, h, pd);
    bool ok = h->status == SMB_STATUS_SUCCESS;
    /* error responses carry the 9-byte error body, not the command's */
    bool error_body = !ok && !(h->status == SMB_STATUS_MORE_PROCESSING && h->cmd == SMB2_SESSION_SETUP) &&
                      !(h->status == SMB_STATUS_BUFFER_OVERFLOW &&
                        (h->cmd == SMB2_READ || h->cmd == SMB2_IOCTL || h->cmd == SMB2_QUERY_INFO));
    bool emit = false;

    switch (h->cmd) {
    case SMB2_NEGOTIATE:
        /* 2.2.4: 2 SecurityMode, 4 DialectRevision, 8 ServerGuid, 24 Capabilities */
        if (!error_body && bl >= 28) {
            ev.has_security_mode = true;
            ev.security_mode = rd_le16(b + 2);
            ev.server_guid = b + 8;
            ev.capabilities = rd_le32(b + 24);
            st->dialect = rd_le16(b + 4);
            ev.dialect = smb2_dialect_name(st->dialect);
        }
        if (pd)
            for (size_t i = 0; i < pd->n_dialects; i++)
                ev.client_dialects[ev.n_client_dialects++] = smb2_dialect_name(pd->dialects[i]);
        emit = true;
        break;
    case SMB2_SESSION_SETUP:
        if (h->status == SMB_STATUS_MORE_PROCESSING)
            break; /* first leg of NTLM: the AUTHENTICATE and its result follow */
        if (!error_body && bl >= 8)
            ev.session_flags = rd_le16(b + 2);
        if (pd && pd->has_ntlm)
            ev.ntlmssp = &pd->u.ntlm;
        if (pd)
            ev.kerberos = pd->flag;
        if (ok) {
            struct smb_session *s = smb_session_get(st, h->session_id, true);
            if (pd && pd->has_ntlm) {
                s->ntlm = pd->u.ntlm;
                s->has_ntlm = true;
            }
            s->kerberos = pd && pd->flag;
        }
        emit = true;
        break;
    case SMB2_TREE_CONNECT:
        if (pd)
            ev.share = pd->u.name;
        if (ok && bl >= 4) {
            /* 2.2.10: 2 ShareType (1 disk, 2 pipe, 3 print) */
            ev.share_type = b[2];
            struct smb_tree *t = smb_tree_get(st, h->tree_id, true);
            t->session_id = h->session_id;
            t->share_type = b[2];
            memcpy(t->path, pd ? pd->u.name : "", pd ? SMB_PATH_MAX : 1);
            t->path[SMB_PATH_MAX - 1] = '\0';
            ev.tree_id = h->tree_id;
        }
        emit = true;
        break;
    case SMB2_TREE_DISCONNECT:
        emit = true;
        if (ok)
            smb_tree_del(st, ev.tree_id);
        break;
    case SMB2_LOGOFF: emit = true; break;
    case SMB2_CREATE:
        if (pd) {
            ev.filename = pd->u.name;
            ev.has_create = true;
            ev.disposition = pd->code;
            ev.desired_access = pd->access;
            ev.create_options = pd->options;
            ev.delete_on_close = pd->options & FILE_DELETE_ON_CLOSE;
        }
        /* 2.2.14: 4 CreateAction, 8 CreationTime, 16 LastAccessTime, 24 LastWriteTime, 32 ChangeTime,
         * 48 EndofFile, 56 FileAttributes, 64 FileId */
        if (ok && bl >= 80) {
            ev.create_action = rd_le32(b + 4);
            ev.has_times = true;
            ev.created = rd_le64(b + 8);
            ev.accessed = rd_le64(b + 16);
            ev.modified = rd_le64(b + 24);
            ev.changed = rd_le64(b + 32);
            ev.size = rd_le64(b + 48);
            ev.fid = b + 64;
            ev.fid_len = 16;
            memcpy(st->chain_fid, b + 64, 16);
            st->chain_fid_valid = true;
            struct smb_file *f =
                smb_file_opened(ctx, st, b + 64, 16, ev.tree_id, h->session_id, pd, ev.create_action, ev.size);
            /* without the tree: a named pipe has no times (Windows answers 0, Samba the Unix epoch) and is no
             * directory; times say nothing decisive (the name or the first data decide) */
            bool no_times = smb2_no_time(ev.created) && smb2_no_time(ev.accessed) && smb2_no_time(ev.modified) &&
                            smb2_no_time(ev.changed);
            smb_file_kind(f,
                          no_times && !(rd_le32(b + 56) & FILE_ATTRIBUTE_DIRECTORY) ? SMB_OPEN_PIPE : SMB_OPEN_UNKNOWN);
        }
        emit = true;
        break;
    case SMB2_CLOSE: {
        struct smb_file *f = pd ? smb2_file(st, pd->fid) : NULL;
        if (f) {
            smb_event_fill_file(&ev, f);
            ev.tree_id = f->tree_id;
            smb_event_fill_tree(st, &ev);
        }
        smb2_emit(ctx, h, &ev);
        if (f && ok)
            smb_file_end(ctx, st, f);
        if (pd)
            smb_pending_del(pd);
        return;
    }
    case SMB2_READ: {
        /* 2.2.20: 2 DataOffset (u8), 4 DataLength */
        struct smb_file *f = pd ? smb2_file(st, pd->fid) : NULL;
        if (!error_body && bl >= 8 && f) {
            uint32_t dlen = rd_le32(b + 4);
            f->reads++;
            f->bytes_read += dlen;
            const uint8_t *data = smb2_buf(msg, n, b[2], dlen);
            if (data)
                smb_file_data(ctx, st, f, 1, pd->offset, data, dlen);
            else
                smb_file_gap(ctx, f, 1);
        }
        emit = error_body && h->status != 0xc0000011u; /* END_OF_FILE ends every read loop */
        break;
    }
    case SMB2_WRITE: emit = error_body; break;
    case SMB2_IOCTL: {
        /* 2.2.32: 4 CtlCode, 8 FileId, 32 OutputOffset, 36 OutputCount */
        struct smb_file *f = pd ? smb2_file(st, pd->fid) : NULL;
        uint32_t code = pd ? pd->code : (bl >= 8 ? rd_le32(b + 4) : 0u);
        if (!error_body && bl >= 40 && code == FSCTL_PIPE_TRANSCEIVE && f && smb_file_pipe_op(f)) {
            const uint8_t *out = smb2_buf(msg, n, rd_le32(b + 32), rd_le32(b + 36));
            if (out) {
                f->reads++;
                f->bytes_read += rd_le32(b + 36);
                smb_file_data(ctx, st, f, 1, 0, out, rd_le32(b + 36));
            }
        }
        ev.has_ioctl = true;
        ev.ioctl_code = code;
        if (f)
            ev.filename = f->name;
        emit = code != FSCTL_PIPE_TRANSCEIVE || error_body;
        break;
    }
    case SMB2_QUERY_DIRECTORY:
    case SMB2_SET_INFO: {
        struct smb_file *f = pd ? smb2_file(st, pd->fid) : NULL;
        if (f) {
            ev.filename = f->name;
            ev.fid = f->fid;
            ev.fid_len = 16;
        }
        if (pd && h->cmd == SMB2_SET_INFO) {
            ev.has_set_info = true;
            ev.info_type = pd->info_type;
            ev.info_class = pd->info_class;
            if (pd->info_class == 10 && pd->u.name[0])
                ev.rename_to = pd->u.name;
            ev.delete_pending = pd->flag;
        }
        /* emitted before the open takes its new name: ev.filename (rename.from) is f->name */
        smb2_emit(ctx, h, &ev);
        if (f && ok && pd && pd->flag)
            f->delete_on_close = true;
        if (f && ok && ev.rename_to)
            memcpy(f->name, pd->u.name, SMB_NAME_MAX);
        break;
    }
    default: emit = error_body && !smb2_has_event(h->cmd); break;
    }
    if (emit)
        smb2_emit(ctx, h, &ev);
    if (pd)
        smb_pending_del(pd);
}

/* ------------------------------------------------------------------ records */

static void smb2_transform(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n)
{
    struct smb_event ev;
    bool encrypted = p[0] == 0xfd;
    if (encrypted) {
        st->transform_records++;
        if (st->transform_reported)
            return;
        st->transform_reported = true;
    } else {
        st->compressed_records++;
        if (st->compression_reported)
            return;
        st->compression_reported = true;
    }
    memset(&ev, 0, sizeof(ev));
    ev.version = 2;
    ev.command = 0xffff;
    ev.command_name = encrypted ? "SMB3_TRANSFORM" : "SMB3_COMPRESSION_TRANSFORM";
    ev.encrypted = encrypted;
    ev.compressed = !encrypted;
    if (encrypted && n >= 52)
        ev.session_id = rd_le64(p + 44);
    ev.transform_records = encrypted ? st->transform_records : st->compressed_records;
    smb_event_fill_tree(st, &ev);
    struct smb_session *s = smb_session_get(st, ev.session_id, false);
    if (s && s->has_ntlm)
        ev.ntlmssp = &s->ntlm;
    app_emit(ctx, EVENT_SMB, dir ? EVENT_DIR_TOCLIENT : EVENT_DIR_TOSERVER, &ev);
}

void smb2_record(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n)
{
    if (p[0] == 0xfd || p[0] == 0xfc) {
        smb2_transform(ctx, st, dir, p, n);
        return;
    }
    st->chain_fid_valid = false;
    size_t off = 0;
    for (int i = 0; i < SMB_MAX_CHAIN; i++) {
        struct smb2_hdr h;
        const uint8_t *msg = p + off;
        size_t left = n - off;
        if (smb2_hdr_parse(msg, left, &h) < 0) {
            app_anomaly(ctx, dir, "smb2_bad_header", "malformed SMB2 header");
            return;
        }
        size_t mlen = left;
        if (h.next) {
            /* compounded: 8-byte aligned, at least a header, inside the record */
            if (h.next < SMB2_HDR_LEN || h.next > left || (h.next & 7)) {
                app_anomaly(ctx, dir, "smb2_bad_next_command", "NextCommand outside the record");
                return;
            }
            mlen = h.next;
        }
        if (h.response != (dir == 1))
            app_anomaly(ctx, dir, "smb2_direction", "SMB2 request/response flag against the flow direction");
        if (h.response)
            smb2_response(ctx, st, &h, msg, mlen);
        else
            smb2_request(ctx, st, &h, msg, mlen);
        if (!h.next)
            return;
        off += h.next;
    }
    app_anomaly(ctx, dir, "smb2_chain_too_long", "more compounded SMB2 messages than the limit");
}

bool smb2_stream_begin(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n, uint32_t rec_len,
                       struct nbss_dir *d)
{
    struct smb2_hdr h;
    if (smb2_hdr_parse(p, n, &h) < 0 || h.next != 0)
        return false;
    if (!h.response && h.cmd == SMB2_WRITE && n >= SMB2_HDR_LEN + 32) {
        uint32_t doff, dlen;
        uint64_t foff;
        smb2_write_request(ctx, st, &h, p, n, false, &doff, &foff, &dlen, d->sfid);
        d->sfid_len = 16;
        d->data_start = doff;
        d->data_end = (uint64_t)doff + dlen < rec_len ? doff + dlen : rec_len;
        if (d->data_start > d->data_end)
            d->data_start = d->data_end;
        d->file_off = foff;
        return true;
    }
    if (h.response && h.cmd == SMB2_READ && n >= SMB2_HDR_LEN + 8 &&
        (h.status == SMB_STATUS_SUCCESS || h.status == SMB_STATUS_BUFFER_OVERFLOW)) {
        const uint8_t *b = p + SMB2_HDR_LEN;
        struct smb_pending *pd = smb_pending_find(st, 2, h.msg_id, SMB2_READ);
        struct smb_file *f = pd ? smb2_file(st, pd->fid) : NULL;
        uint32_t dlen = rd_le32(b + 4);
        d->sfid_len = 0;
        if (f) {
            f->reads++;
            f->bytes_read += dlen;
            memcpy(d->sfid, f->fid, 16);
            d->sfid_len = 16;
            d->file_off = pd->offset;
        }
        d->data_start = b[2];
        d->data_end = (uint64_t)b[2] + dlen < rec_len ? b[2] + dlen : rec_len;
        if (pd)
            smb_pending_del(pd);
        return true;
    }
    (void)dir;
    return false;
}
