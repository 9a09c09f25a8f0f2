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
 * Implemented: NEGOTIATE (dialect strings offered and chosen) and status
 * reporting of every other response.  The AndX commands are not decoded yet.
 */
#include <string.h>

#include "app/smb/smb.h"
#include "app/smb/utf16.h"

#define SMB1_HDR_LEN 32
#define SMB1_FLAGS_REPLY 0x80
#define SMB1_CMD_NEGOTIATE 0x72

struct smb1_hdr {
    uint8_t cmd;
    uint32_t status;
    uint8_t flags;
    uint16_t flags2, tid, uid, mid;
    bool reply;
};

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
    return 0;
}

static void smb1_event_init(struct smb_state *st, struct smb_event *ev, const struct smb1_hdr *h)
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
    }
    smb_event_fill_tree(st, ev);
}

void smb1_record(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n)
{
    struct smb1_hdr h;
    if (smb1_hdr_parse(p, n, &h) < 0) {
        app_anomaly(ctx, dir, "smb1_bad_header", "malformed SMB1 header");
        return;
    }
    st->smb1_seen = true;
    uint8_t wc = p[SMB1_HDR_LEN];
    size_t words_end = SMB1_HDR_LEN + 1 + 2u * wc;
    if (words_end + 2 > n) {
        app_anomaly(ctx, dir, "smb1_short", "SMB1 word/byte count past the record");
        return;
    }
    uint16_t bc = rd_le16(p + words_end);
    const uint8_t *bytes = p + words_end + 2;
    size_t bl = n - words_end - 2;
    if (bc < bl)
        bl = bc;
    struct smb_event ev;

    if (h.cmd == SMB1_CMD_NEGOTIATE && !h.reply) {
        /* dialect strings: 0x02 "name" NUL, repeated; kept NUL-separated in the pending name */
        struct smb_pending *pd = smb_pending_add(ctx, st, 1, h.mid, h.cmd);
        size_t o = 0, k = 0;
        while (o < bl && k + 1 < SMB_NAME_MAX && pd->n_dialects < SMB_MAX_DIALECTS) {
            if (bytes[o++] != 0x02)
                break;
            while (o < bl && bytes[o] && k + 1 < SMB_NAME_MAX)
                pd->u.name[k++] = (char)bytes[o++];
            pd->u.name[k++] = '\0';
            pd->n_dialects++;
            o++;
        }
        return;
    }
    if (!h.reply)
        return;
    struct smb_pending *pd = smb_pending_find(st, 1, h.mid, h.cmd);
    smb1_event_init(st, &ev, &h);
    if (h.cmd == SMB1_CMD_NEGOTIATE) {
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
        if (wc >= 1) {
            uint16_t idx = rd_le16(p + SMB1_HDR_LEN + 1);
            if (idx < nn) {
                size_t l = strlen(names[idx]);
                if (l >= sizeof(st->smb1_dialect))
                    l = sizeof(st->smb1_dialect) - 1;
                memcpy(st->smb1_dialect, names[idx], l);
                st->smb1_dialect[l] = '\0';
                ev.dialect = st->smb1_dialect;
            }
        }
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, &ev);
    } else if (h.status != 0 && h.status != SMB_STATUS_MORE_PROCESSING) {
        app_emit(ctx, EVENT_SMB, EVENT_DIR_TOCLIENT, &ev);
    }
    if (pd)
        smb_pending_del(pd);
}

bool smb1_stream_begin(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n,
                       uint32_t rec_len, struct nbss_dir *d)
{
    (void)ctx; (void)st; (void)dir; (void)p; (void)n; (void)rec_len; (void)d;
    return false;
}
