/*
 * smb1_trans.c - SMB1 TRANSACTION2 [MS-CIFS 2.2.4.46, 2.2.6] and NT_TRANSACT
 * [MS-CIFS 2.2.4.62, 2.2.7; MS-SMB 2.2.7] subcommands.
 *
 *   TRANSACTION2 request words (WordCount 14 + SetupCount):
 *     0 TotalParameterCount 2    12 Timeout            4    24 DataOffset      2
 *     2 TotalDataCount      2    16 Reserved2          2    26 SetupCount      1
 *     4 MaxParameterCount   2    18 ParameterCount     2    27 Reserved3       1
 *     6 MaxDataCount        2    20 ParameterOffset    2    28 Setup[0]: the subcommand
 *     8 MaxSetupCount 1, Reserved1 1, 10 Flags 2            22 DataCount       2
 *   TRANSACTION2 response words (WordCount 10 + SetupCount):
 *     0 TotalParameterCount, 2 TotalDataCount, 4 Reserved1, 6 ParameterCount, 8 ParameterOffset,
 *     10 ParameterDisplacement, 12 DataCount, 14 DataOffset, 16 DataDisplacement, 18 SetupCount
 *   NT_TRANSACT request words (WordCount 19 + SetupCount):
 *     0 MaxSetupCount 1, 1 Reserved1 2, 3 TotalParameterCount 4, 7 TotalDataCount 4, 11 MaxParameterCount 4,
 *     15 MaxDataCount 4, 19 ParameterCount 4, 23 ParameterOffset 4, 27 DataCount 4, 31 DataOffset 4,
 *     35 SetupCount 1, 36 Function 2, 38 Setup[SetupCount]
 *   NT_TRANSACT response words (WordCount 18 + SetupCount):
 *     0 Reserved1 3, 3 TotalParameterCount 4, 7 TotalDataCount 4, 11 ParameterCount 4, 15 ParameterOffset 4,
 *     19 ParameterDisplacement 4, 23 DataCount 4, 27 DataOffset 4, 31 DataDisplacement 4, 35 SetupCount 1
 *
 * Parameter and data offsets count from the SMB header; a block that does
 * not lie wholly inside the record is not read.  Only what the primary
 * request carries is decoded (the *_SECONDARY requests are not reassembled:
 * the fixed parameters the decoders need come first and fit the first
 * request in practice); a response is decoded from its first part only
 * (displacement 0).  The events mirror the SMB2 ones: TRANS2_OPEN2 and
 * NT_TRANSACT_CREATE are opens (same file table, so READ_ANDX/WRITE_ANDX and
 * CLOSE follow them), FIND_FIRST2 is a find, SET_PATH/FILE_INFORMATION
 * rename and delete are SET_INFO, NT_TRANSACT_IOCTL is an IOCTL.
 */
#include <string.h>

#include "app/smb/smb1.h"

/* TRANS2 subcommands [MS-CIFS 2.2.6] */
#define TRANS2_OPEN2                  0x0000
#define TRANS2_FIND_FIRST2            0x0001
#define TRANS2_QUERY_PATH_INFORMATION 0x0005
#define TRANS2_SET_PATH_INFORMATION   0x0006
#define TRANS2_QUERY_FILE_INFORMATION 0x0007
#define TRANS2_SET_FILE_INFORMATION   0x0008
/* NT_TRANSACT functions [MS-CIFS 2.2.7] */
#define NT_TRANSACT_CREATE 0x0001
#define NT_TRANSACT_IOCTL  0x0002

/* MS-FSCC FileInformationClass values the SET events name */
#define FILE_RENAME_INFORMATION         10
#define FILE_DISPOSITION_INFORMATION    13
#define FILE_DISPOSITION_INFORMATION_EX 64

#define SMB_INFO_PASSTHROUGH 1000 /* [MS-SMB 2.2.2.3.5]: level = 1000 + the MS-FSCC FileInformationClass */

/* The MS-FSCC FileInformationClass a TRANS2 set-information level stands for (0 if none). */
static uint8_t smb1_info_class(uint16_t level)
{
    if (level >= SMB_INFO_PASSTHROUGH && level < SMB_INFO_PASSTHROUGH + 256)
        return (uint8_t)(level - SMB_INFO_PASSTHROUGH);
    switch (level) {                                  /* the CIFS levels [MS-CIFS 2.2.2.3.4] */
    case 0x0101: return 4;                            /* SMB_SET_FILE_BASIC_INFO: FileBasicInformation */
    case 0x0102: return FILE_DISPOSITION_INFORMATION; /* SMB_SET_FILE_DISPOSITION_INFO: DeletePending */
    case 0x0103: return 19;                           /* SMB_SET_FILE_ALLOCATION_INFO */
    case 0x0104: return 20;                           /* SMB_SET_FILE_END_OF_FILE_INFO */
    default: return 0;
    }
}

/* The data of a TRANS2_SET_PATH/FILE_INFORMATION request: the rename target (into `to`) or the delete
 * disposition (pd->flag) [MS-CIFS 2.2.8.4; MS-FSCC 2.4.42.1 FILE_RENAME_INFORMATION_TYPE_1, 2.4.11]. */
static void smb1_set_info_data(struct smb_pending *pd, const uint8_t *p, size_t n, uint16_t doff, uint16_t dcount,
                               char *to, size_t cap)
{
    pd->info_type = 1; /* file information, as SMB2 SET_INFO InfoType 1 */
    pd->info_class = smb1_info_class(pd->level);
    const uint8_t *d = smb1_buf(p, n, doff, dcount);
    if (!d)
        return;
    switch (pd->info_class) {
    case FILE_RENAME_INFORMATION:
        /* 0 ReplaceIfExists, 1 Reserved 3, 4 RootDirectory 4, 8 FileNameLength 4, 12 FileName (always UTF-16) */
        if (dcount >= 12 && rd_le32(d + 8) <= dcount - 12u)
            smb1_name(p, (size_t)doff + dcount, (size_t)doff + 12, rd_le32(d + 8), true, to, cap);
        break;
    case FILE_DISPOSITION_INFORMATION:
        if (dcount >= 1)
            pd->flag = d[0] != 0; /* DeletePending */
        break;
    case FILE_DISPOSITION_INFORMATION_EX:
        if (dcount >= 4)
            pd->flag = rd_le32(d) & 1; /* FILE_DISPOSITION_DELETE */
        break;
    default: break;
    }
}

void smb1_trans2_request(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                         size_t n, const struct smb1_block *b)
{
    const uint8_t *w = p + b->wo;
    if (b->wc < 15 || w[26] < 1 || b->wc < 14u + w[26])
        return; /* no subcommand: nothing to match the response with */
    bool uni = h->flags2 & SMB1_FLAGS2_UNICODE;
    struct smb_pending *pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
    pd->tree_id = h->tid;
    pd->session_id = h->uid;
    pd->sub = rd_le16(w + 28);
    uint16_t pc = rd_le16(w + 18), po = rd_le16(w + 20), dc = rd_le16(w + 22), doff = rd_le16(w + 24);
    const uint8_t *par = smb1_buf(p, n, po, pc);
    if (!par)
        return;
    /* names in the parameters: Unicode ones are aligned from the start of the parameters, not of the header
     * (as servers read them: the fixed offsets below are even, so no pad) */
    switch (pd->sub) {
    case TRANS2_OPEN2:
        /* [2.2.6.1.1] 0 Flags, 2 AccessMode, 4 Reserved1, 6 FileAttributes, 8 CreationTime, 12 OpenMode,
         * 14 AllocationSize, 18 Reserved 10, 28 FileName */
        if (pc < 28)
            break;
        pd->access = rd_le16(par + 2);
        pd->open_function = rd_le16(par + 12);
        pd->code = smb1_open_disposition(pd->open_function);
        smb1_str(par, pc, 28, uni, pd->u.name, SMB_NAME_MAX);
        break;
    case TRANS2_FIND_FIRST2:
        /* [2.2.6.2.1] 0 SearchAttributes, 2 SearchCount, 4 Flags, 6 InformationLevel, 8 SearchStorageType,
         * 12 FileName (the search pattern) */
        if (pc < 12)
            break;
        pd->level = rd_le16(par + 6);
        smb1_str(par, pc, 12, uni, pd->u.name, SMB_NAME_MAX);
        break;
    case TRANS2_QUERY_PATH_INFORMATION:
        /* [2.2.6.6.1] 0 InformationLevel, 2 Reserved 4, 6 FileName */
        if (pc < 6)
            break;
        pd->level = rd_le16(par);
        smb1_str(par, pc, 6, uni, pd->u.name, SMB_NAME_MAX);
        break;
    case TRANS2_SET_PATH_INFORMATION:
        /* [2.2.6.7.1] parameters as QUERY_PATH_INFORMATION; data: the information of the level */
        if (pc < 6)
            break;
        pd->level = rd_le16(par);
        pd->u.ren.to[0] = '\0';
        smb1_str(par, pc, 6, uni, pd->u.ren.from, sizeof(pd->u.ren.from));
        smb1_set_info_data(pd, p, n, doff, dc, pd->u.ren.to, sizeof(pd->u.ren.to));
        break;
    case TRANS2_QUERY_FILE_INFORMATION:
    case TRANS2_SET_FILE_INFORMATION:
        /* [2.2.6.8.1, 2.2.6.9.1] 0 FID, 2 InformationLevel (, 4 Reserved); SET data: the information */
        if (pc < 4)
            break;
        memcpy(pd->fid, par, 2);
        pd->fid_len = 2;
        pd->level = rd_le16(par + 2);
        if (pd->sub == TRANS2_SET_FILE_INFORMATION)
            smb1_set_info_data(pd, p, n, doff, dc, pd->u.name, SMB_NAME_MAX);
        break;
    default: break;
    }
}

/* The event of a final response that answers no request we hold: only an error says something. */
static void smb1_trans_unmatched(struct app_ctx *ctx, const struct smb1_hdr *h, struct smb_event *ev)
{
    if (h->status != 0 && !smb1_more_data(h))
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, ev);
}

static void smb1_set_info_event(struct smb_event *ev, const struct smb_pending *pd, const char *to)
{
    ev->has_set_info = true;
    ev->info_type = pd->info_type;
    ev->info_class = pd->info_class;
    ev->has_info_level = true;
    ev->info_level = pd->level;
    if (pd->info_class == FILE_RENAME_INFORMATION && to[0])
        ev->rename_to = to;
    ev->delete_pending = pd->flag;
}

void smb1_trans2_response(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                          size_t n, const struct smb1_block *b, struct smb_pending *pd, struct smb_event *ev)
{
    if (!pd) {
        smb1_trans_unmatched(ctx, h, ev);
        return;
    }
    const uint8_t *w = p + b->wo;
    bool ok = h->status == 0;
    ev->subcommand = smb1_trans2_name(pd->sub);
    /* the response parameters, from the first part of the response */
    const uint8_t *par = NULL;
    uint16_t pc = 0;
    if (ok && b->wc >= 10 && rd_le16(w + 10) == 0) {
        pc = rd_le16(w + 6);
        par = smb1_buf(p, n, rd_le16(w + 8), pc);
    }
    bool emit = !ok && !smb1_more_data(h);
    switch (pd->sub) {
    case TRANS2_OPEN2:
        ev->filename = pd->u.name;
        ev->has_create = true;
        ev->legacy_open = true;
        ev->disposition = pd->code;
        ev->access_mode = (uint16_t)pd->access;
        ev->open_function = pd->open_function;
        /* [2.2.6.1.2] 0 FID, 2 FileAttributes, 4 CreationTime, 8 FileDataSize, 12 AccessMode, 14 ResourceType,
         * 16 NMPipeStatus, 18 ActionTaken (bits 0-1 as OPEN_ANDX OpenResults) */
        if (par && pc >= 20) {
            ev->fid = par;
            ev->fid_len = 2;
            ev->create_action = rd_le16(par + 18) & 3u;
            ev->size = rd_le32(par + 8);
            smb_file_kind(smb_file_opened(ctx, st, par, 2, ev->tree_id, h->uid, pd, ev->create_action, ev->size),
                          smb1_resource_kind(rd_le16(par + 14)));
        }
        emit = true;
        break;
    case TRANS2_FIND_FIRST2:
    case TRANS2_QUERY_PATH_INFORMATION:
        ev->filename = pd->u.name;
        ev->has_info_level = true;
        ev->info_level = pd->level;
        emit = true;
        break;
    case TRANS2_QUERY_FILE_INFORMATION: {
        struct smb_file *f = pd->fid_len ? smb_file_get(st, pd->fid, 2) : NULL;
        if (f)
            ev->filename = f->name;
        break;
    }
    case TRANS2_SET_PATH_INFORMATION:
        ev->filename = pd->u.ren.from;
        smb1_set_info_event(ev, pd, pd->u.ren.to);
        emit = true;
        break;
    case TRANS2_SET_FILE_INFORMATION: {
        struct smb_file *f = pd->fid_len ? smb_file_get(st, pd->fid, 2) : NULL;
        if (pd->fid_len) {
            ev->fid = pd->fid;
            ev->fid_len = 2;
        }
        if (f)
            ev->filename = f->name; /* the name before a rename: reported as rename.from */
        smb1_set_info_event(ev, pd, pd->u.name);
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, ev);
        if (f && ok && pd->flag)
            f->delete_on_close = true;
        if (f && ok && ev->rename_to)
            memcpy(f->name, pd->u.name, SMB_NAME_MAX);
        return;
    }
    default: break;
    }
    if (emit)
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, ev);
}

void smb1_nt_trans_request(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                           size_t n, const struct smb1_block *b)
{
    const uint8_t *w = p + b->wo;
    if (b->wc < 19 || b->wc < 19u + w[35])
        return;
    bool uni = h->flags2 & SMB1_FLAGS2_UNICODE;
    uint8_t setup_count = w[35];
    const uint8_t *setup = w + 38;
    struct smb_pending *pd = smb_pending_add(ctx, st, 1, h->mid, b->cmd);
    pd->tree_id = h->tid;
    pd->session_id = h->uid;
    pd->sub = rd_le16(w + 36);
    uint32_t pc = rd_le32(w + 19), po = rd_le32(w + 23), dc = rd_le32(w + 27), doff = rd_le32(w + 31);
    switch (pd->sub) {
    case NT_TRANSACT_CREATE: {
        /* [2.2.7.1.1] 0 Flags, 4 RootDirectoryFID, 8 DesiredAccess, 12 AllocationSize, 20 ExtFileAttributes,
         * 24 ShareAccess, 28 CreateDisposition, 32 CreateOptions, 36 SecurityDescriptorLength, 40 EALength,
         * 44 NameLength, 48 ImpersonationLevel, 52 SecurityFlags, 53 Name (Unicode: at 54, aligned from the
         * start of the parameters) */
        const uint8_t *par = smb1_buf(p, n, po, pc);
        if (!par || pc < 53)
            break;
        pd->access = rd_le32(par + 8);
        pd->code = rd_le32(par + 28);
        pd->options = rd_le32(par + 32);
        smb1_name(par, pc, uni ? 54 : 53, rd_le32(par + 44), uni, pd->u.name, SMB_NAME_MAX);
        break;
    }
    case NT_TRANSACT_IOCTL: {
        /* [2.2.7.2.1] setup: 0 FunctionCode 4, 4 FID 2, 6 IsFsctl 1, 7 IsFlags 1; data: the input */
        if (setup_count < 4)
            break;
        pd->code = rd_le32(setup);
        memcpy(pd->fid, setup + 4, 2);
        pd->fid_len = 2;
        struct smb_file *f = smb_file_get(st, setup + 4, 2);
        const uint8_t *in = smb1_buf(p, n, doff, dc);
        if (pd->code == FSCTL_PIPE_TRANSCEIVE && f && smb_file_pipe_op(f) && in) {
            f->writes++;
            f->bytes_written += dc;
            smb_file_data(ctx, st, f, 0, 0, in, dc);
        }
        break;
    }
    default: break;
    }
}

void smb1_nt_trans_response(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                            size_t n, const struct smb1_block *b, struct smb_pending *pd, struct smb_event *ev)
{
    if (!pd) {
        smb1_trans_unmatched(ctx, h, ev);
        return;
    }
    const uint8_t *w = p + b->wo;
    bool ok = h->status == 0;
    ev->subcommand = smb1_nt_transact_name(pd->sub);
    bool emit = !ok && !smb1_more_data(h);
    switch (pd->sub) {
    case NT_TRANSACT_CREATE:
        ev->filename = pd->u.name;
        ev->has_create = true;
        ev->disposition = pd->code;
        ev->desired_access = pd->access;
        ev->create_options = pd->options;
        ev->delete_on_close = pd->options & FILE_DELETE_ON_CLOSE;
        /* [2.2.7.1.2] 0 OpLockLevel, 1 Reserved, 2 FID, 4 CreateAction, 8 EAErrorOffset, 12 CreationTime,
         * 20 LastAccessTime, 28 LastWriteTime, 36 LastChangeTime, 44 ExtFileAttributes, 48 AllocationSize,
         * 56 EndOfFile, 64 ResourceType, 66 NMPipeStatus, 68 Directory */
        if (ok && b->wc >= 18 && rd_le32(w + 19) == 0) {
            uint32_t pc = rd_le32(w + 11);
            const uint8_t *par = smb1_buf(p, n, rd_le32(w + 15), pc);
            if (par && pc >= 64) {
                ev->fid = par + 2;
                ev->fid_len = 2;
                ev->create_action = rd_le32(par + 4);
                ev->has_times = true;
                ev->created = rd_le64(par + 12);
                ev->accessed = rd_le64(par + 20);
                ev->modified = rd_le64(par + 28);
                ev->changed = rd_le64(par + 36);
                ev->size = rd_le64(par + 56);
                struct smb_file *f =
                    smb_file_opened(ctx, st, par + 2, 2, ev->tree_id, h->uid, pd, ev->create_action, ev->size);
                if (pc >= 66)
                    smb_file_kind(f, smb1_resource_kind(rd_le16(par + 64)));
            }
        }
        emit = true;
        break;
    case NT_TRANSACT_IOCTL: {
        struct smb_file *f = pd->fid_len ? smb_file_get(st, pd->fid, 2) : NULL;
        ev->has_ioctl = true;
        ev->ioctl_code = pd->code;
        ev->fid = pd->fid;
        ev->fid_len = 2;
        if (f)
            ev->filename = f->name;
        /* the output of a pipe transceive goes to the pipe's DCE/RPC conn, as SMB2 IOCTL's */
        if ((ok || smb1_more_data(h)) && b->wc >= 18 && rd_le32(w + 31) == 0 && pd->code == FSCTL_PIPE_TRANSCEIVE &&
            f && smb_file_pipe_op(f)) {
            uint32_t dc = rd_le32(w + 23);
            const uint8_t *out = smb1_buf(p, n, rd_le32(w + 27), dc);
            if (out) {
                f->reads++;
                f->bytes_read += dc;
                smb_file_data(ctx, st, f, 1, 0, out, dc);
            }
        }
        emit = pd->code != FSCTL_PIPE_TRANSCEIVE || emit;
        break;
    }
    default: break;
    }
    if (emit)
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, ev);
}
