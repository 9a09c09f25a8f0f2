/*
 * smb1.h - between the two SMB1 files: smb1.c (header, AndX chains, the
 * plain commands) and smb1_trans.c (the TRANSACTION2 and NT_TRANSACT
 * subcommands).  Not for use outside src/app/smb/.
 */
#ifndef MEDSENTRY_APP_SMB_SMB1_H
#define MEDSENTRY_APP_SMB_SMB1_H

#include "app/smb/smb.h"

#define SMB1_HDR_LEN                32
#define SMB1_FLAGS_REPLY            0x80
#define SMB1_FLAGS2_NT_STATUS       0x4000
#define SMB1_FLAGS2_UNICODE         0x8000
#define SMB1_CMD_DELETE             0x06
#define SMB1_CMD_RENAME             0x07
#define SMB1_CMD_CLOSE              0x04
#define SMB1_CMD_TRANS              0x25
#define SMB1_CMD_TRANS_SECONDARY    0x26
#define SMB1_CMD_OPEN_ANDX          0x2d
#define SMB1_CMD_READ_ANDX          0x2e
#define SMB1_CMD_WRITE_ANDX         0x2f
#define SMB1_CMD_TRANS2             0x32
#define SMB1_CMD_TRANS2_SECONDARY   0x33
#define SMB1_CMD_NEGOTIATE          0x72
#define SMB1_CMD_SESSION_SETUP_ANDX 0x73
#define SMB1_CMD_TREE_CONNECT_ANDX  0x75
#define SMB1_CMD_NT_TRANS           0xa0
#define SMB1_CMD_NT_TRANS_SECONDARY 0xa1
#define SMB1_CMD_NT_CREATE_ANDX     0xa2

/* ERRDOS/ERRmoredata [MS-CIFS 2.2.2.4]: the DOS-class STATUS_BUFFER_OVERFLOW (class 1 low byte, code 234 high) */
#define SMB1_DOS_MOREDATA 0x00ea0001u

struct smb1_hdr {
    uint8_t cmd;
    uint32_t status;
    uint8_t flags;
    uint16_t flags2, tid, uid, mid;
    bool reply;
    bool dos; /* Flags2 NT_STATUS clear: status is ErrorClass, reserved, ErrorCode */
};

struct smb1_block {
    uint8_t cmd;
    uint8_t wc;
    size_t wo;   /* offset of the words */
    size_t bo;   /* offset of the bytes */
    uint16_t bc; /* byte count, clamped to the record */
};

/* A NUL-terminated string at off, ending by n: UTF-16LE (2-aligned from the header start) or OEM.
 * Returns the offset just past its terminator (n if it runs to the end), where a next string starts. */
size_t smb1_str(const uint8_t *p, size_t n, size_t off, bool unicode, char *out, size_t cap);
/* A counted name of len bytes at off, cut at n: UTF-16LE or OEM, stops at a NUL. */
void smb1_name(const uint8_t *p, size_t n, size_t off, size_t len, bool unicode, char *out, size_t cap);
/* The bytes [off, off+len) when they lie inside the record of n bytes, else NULL. */
const uint8_t *smb1_buf(const uint8_t *p, size_t n, uint64_t off, uint64_t len);
void smb1_event_init(struct smb_state *st, struct smb_event *ev, const struct smb1_hdr *h);
/* The response says "more data follows" (NT STATUS_BUFFER_OVERFLOW or DOS ERRmoredata): not a failure. */
bool smb1_more_data(const struct smb1_hdr *h);
/* OPEN_ANDX / TRANS2_OPEN2 OpenMode [MS-CIFS 2.2.4.41.1] as the NT CreateDisposition it means (0xffffffff if none) */
uint32_t smb1_open_disposition(uint16_t open_mode);

/* smb1_trans.c: one TRANSACTION2 / NT_TRANSACT request block, and the final response to it (emits its event) */
void smb1_trans2_request(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                         size_t n, const struct smb1_block *b);
void smb1_trans2_response(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                          size_t n, const struct smb1_block *b, struct smb_pending *pd, struct smb_event *ev);
void smb1_nt_trans_request(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                           size_t n, const struct smb1_block *b);
void smb1_nt_trans_response(struct app_ctx *ctx, struct smb_state *st, const struct smb1_hdr *h, const uint8_t *p,
                            size_t n, const struct smb1_block *b, struct smb_pending *pd, struct smb_event *ev);

#endif
