/*
 * nbss.c - NetBIOS session service framing for SMB, and the SMB parser's
 * entry points (probe, state, on_data, on_gap, on_close).
 *
 *   NetBIOS session message [RFC 1002 4.3.1] / SMB2 Direct TCP [MS-SMB2 2.1]:
 *     0  type     1   0x00 session message, 0x81 session request, 0x82 positive
 *                     response, 0x83 negative response, 0x84 retarget, 0x85 keepalive
 *     1  length   3   24-bit big-endian for session messages on port 445 (Direct
 *                     TCP); RFC 1002 uses 7 flag bits + 17 length bits, which is
 *                     the same number for every length a real server accepts
 *     4  SMB message: 0xFF 'SMB' (SMB1), 0xFE 'SMB' (SMB2/3), 0xFD 'SMB'
 *        (SMB3 TRANSFORM, encrypted), 0xFC 'SMB' (SMB3 compression)
 *
 * Records up to SMB_MAX_INLINE_RECORD are buffered whole and parsed.  Larger
 * ones are read up to SMB_STREAM_PREFIX bytes first: a WRITE request or READ
 * response is then streamed (its data goes to the file tracker or the pipe as
 * it arrives, nothing is buffered); anything else is buffered up to
 * SMB_MAX_RECORD or skipped.
 *
 * Gaps: a gap inside a record skips the rest of the record (or, while
 * streaming, marks the file gapped and carries on); a gap that swallows the
 * next header starts a resync that looks for a NetBIOS header followed by an
 * SMB magic; after SMB_RESYNC_MAX bytes without one the flow is given up.
 */
#include <string.h>

#include "app/smb/smb.h"
#include "core/config.h"

static bool smb_magic(const uint8_t *p)
{
    return (p[0] == 0xff || p[0] == 0xfe || p[0] == 0xfd || p[0] == 0xfc) && p[1] == 'S' && p[2] == 'M' && p[3] == 'B';
}

enum probe_result smb_probe(const uint8_t *data, size_t len, int dir)
{
    (void)dir;
    if (len < 1)
        return PROBE_MAYBE;
    if (data[0] == 0x81 && dir == 0) {
        /* session request (port 139): two 34-byte encoded NetBIOS names */
        if (len < 4)
            return PROBE_MAYBE;
        return (data[1] & 0xfe) == 0 && rd_be16(data + 2) == 68 ? PROBE_YES : PROBE_NO;
    }
    if (data[0] != 0x00)
        return PROBE_NO;
    if (len < 8)
        return PROBE_MAYBE;
    return smb_magic(data + 4) ? PROBE_YES : PROBE_NO;
}

static uint32_t smb_limit(uint32_t configured, uint32_t dflt)
{
    if (configured == 0)
        return dflt;
    return configured > SMB_TABLE_CEILING ? SMB_TABLE_CEILING : configured;
}

/* One allocation: the state, then its four tables at the sizes medsentry.yaml gives (smb.max-*). */
static void *smb_state_new(struct app_ctx *ctx)
{
    const struct config *c = ctx->al ? ctx->al->config : NULL;
    uint32_t ns = smb_limit(c ? c->smb_max_sessions : 0, SMB_MAX_SESSIONS);
    uint32_t nt = smb_limit(c ? c->smb_max_trees : 0, SMB_MAX_TREES);
    uint32_t nf = smb_limit(c ? c->smb_max_files : 0, SMB_MAX_FILES);
    uint32_t np = smb_limit(c ? c->smb_max_pending : 0, SMB_MAX_PENDING);
    size_t size = sizeof(struct smb_state) + ns * sizeof(struct smb_session) + nt * sizeof(struct smb_tree) +
                  nf * sizeof(struct smb_file) + np * sizeof(struct smb_pending);
    uint8_t *mem = app_alloc(ctx, size);
    if (!mem)
        return NULL;
    struct smb_state *st = (struct smb_state *)mem;
    size_t off = sizeof(*st);
    /* each table starts where the previous one ends: every size a multiple of every alignment (8) */
    _Static_assert(sizeof(struct smb_state) % 8 == 0 && sizeof(struct smb_session) % 8 == 0 &&
                       sizeof(struct smb_tree) % 8 == 0 && sizeof(struct smb_file) % 8 == 0,
                   "SMB tables must stay 8-byte aligned");
    _Static_assert(_Alignof(struct smb_session) <= 8 && _Alignof(struct smb_tree) <= 8 &&
                       _Alignof(struct smb_file) <= 8 && _Alignof(struct smb_pending) <= 8,
                   "SMB tables need at most 8-byte alignment");
    st->sessions = (struct smb_session *)(mem + off);
    off += ns * sizeof(struct smb_session);
    st->trees = (struct smb_tree *)(mem + off);
    off += nt * sizeof(struct smb_tree);
    st->files = (struct smb_file *)(mem + off);
    off += nf * sizeof(struct smb_file);
    st->pending = (struct smb_pending *)(mem + off);
    st->n_sessions = ns;
    st->n_trees = nt;
    st->n_files = nf;
    st->n_pending = np;
    st->alloc_size = size;
    return st;
}

static void nbss_buf_release(struct app_ctx *ctx, struct nbss_dir *d)
{
    if (d->buf)
        app_free(ctx, d->buf, d->buf_cap);
    d->buf = NULL;
    d->buf_cap = d->buf_len = 0;
}

static void smb_state_free(struct app_ctx *ctx, void *state)
{
    struct smb_state *st = state;
    if (!st)
        return;
    smb_state_close_all(ctx, st);
    for (int i = 0; i < 2; i++)
        nbss_buf_release(ctx, &st->dir[i]);
    app_free(ctx, st, st->alloc_size);
}

/* Makes room for need bytes, keeping what is buffered. */
static bool nbss_buf_reserve(struct app_ctx *ctx, struct nbss_dir *d, uint32_t need)
{
    if (d->buf_cap >= need)
        return true;
    uint32_t cap = need < 4096 ? 4096 : need;
    uint8_t *nb = app_alloc(ctx, cap);
    if (!nb)
        return false;
    if (d->buf_len)
        memcpy(nb, d->buf, d->buf_len);
    if (d->buf)
        app_free(ctx, d->buf, d->buf_cap);
    d->buf = nb;
    d->buf_cap = cap;
    return true;
}

static void nbss_dispatch(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n)
{
    if (n < 4 || !smb_magic(p)) {
        app_anomaly(ctx, dir, "smb_bad_magic", "NetBIOS session message without an SMB header");
        st->dir[dir].mode = NB_RESYNC;
        st->dir[dir].win_len = 0;
        return;
    }
    if (p[0] == 0xff)
        smb1_record(ctx, st, dir, p, n);
    else
        smb2_record(ctx, st, dir, p, n);
}

/* The 4-byte header is in d->hdr: choose how the record body is read. */
static void nbss_start_record(struct app_ctx *ctx, int dir, struct nbss_dir *d)
{
    uint8_t type = d->hdr[0];
    d->hdr_len = 0;
    d->rec_got = 0;
    d->buf_len = 0;
    switch (type) {
    case 0x00: d->rec_len = (uint32_t)d->hdr[1] << 16 | (uint32_t)d->hdr[2] << 8 | d->hdr[3]; break;
    case 0x81:
    case 0x82:
    case 0x83:
    case 0x84:
    case 0x85:
        d->rec_len = (uint32_t)(d->hdr[1] & 1) << 16 | (uint32_t)d->hdr[2] << 8 | d->hdr[3];
        d->mode = d->rec_len ? NB_SKIP : NB_HDR;
        return;
    default:
        app_anomaly(ctx, dir, "nbss_bad_type", "unknown NetBIOS session packet type");
        d->mode = NB_RESYNC;
        d->win_len = 0;
        return;
    }
    if (d->rec_len == 0)
        d->mode = NB_HDR;
    else if (d->rec_len <= SMB_MAX_INLINE_RECORD)
        d->mode = NB_BUF;
    else
        d->mode = NB_PREFIX;
}

/* Bytes [rec_got, rec_got+n) of a streamed record: pass the part inside the data window. */
static void nbss_stream_bytes(struct app_ctx *ctx, struct smb_state *st, int dir, struct nbss_dir *d, const uint8_t *p,
                              size_t n)
{
    uint64_t lo = d->rec_got, hi = (uint64_t)d->rec_got + n;
    uint64_t a = lo > d->data_start ? lo : d->data_start;
    uint64_t b = hi < d->data_end ? hi : d->data_end;
    if (a >= b)
        return;
    /* one table lookup per record, not per segment: the cached slot still holds this open
     * unless the other direction closed it (and maybe reused the slot) meanwhile */
    struct smb_file *f = d->sfile;
    if (!f || !f->used || f->age != d->sfile_age) {
        f = d->sfile = smb_file_get(st, d->sfid, d->sfid_len);
        if (!f)
            return;
        d->sfile_age = f->age;
    }
    /* file direction: data written by the client (dir 0) or read by it (dir 1) */
    smb_file_data(ctx, st, f, dir, d->file_off + (a - d->data_start), p + (a - lo), (size_t)(b - a));
}

/* The prefix of a large record is buffered: stream it, buffer it whole, or skip it. */
static void nbss_decide_large(struct app_ctx *ctx, struct smb_state *st, int dir, struct nbss_dir *d)
{
    bool stream = false;
    if (d->buf_len >= 4 && d->buf[0] == 0xfe)
        stream = smb2_stream_begin(ctx, st, dir, d->buf, d->buf_len, d->rec_len, d);
    else if (d->buf_len >= 4 && d->buf[0] == 0xff)
        stream = smb1_stream_begin(ctx, st, dir, d->buf, d->buf_len, d->rec_len, d);
    if (stream) {
        d->mode = NB_STREAM;
        d->sfile = NULL;
        d->rec_got = 0;
        nbss_stream_bytes(ctx, st, dir, d, d->buf, d->buf_len);
        d->rec_got = d->buf_len;
        d->buf_len = 0;
        return;
    }
    if (d->rec_len <= SMB_MAX_RECORD && nbss_buf_reserve(ctx, d, d->rec_len)) {
        d->mode = NB_BUF;
        return;
    }
    app_anomaly(ctx, dir, "smb_record_too_large", "SMB record larger than the buffering limit: skipped");
    d->mode = NB_SKIP;
    d->rec_got = d->buf_len;
    d->buf_len = 0;
}

/* Resync: look for 00 xx xx xx {ff,fe,fd,fc} 'S' 'M' 'B' with a plausible length. */
static size_t nbss_resync(struct app_ctx *ctx, int dir, struct nbss_dir *d, const uint8_t *p, size_t n, bool *found)
{
    *found = false;
    for (size_t i = 0; i < n; i++) {
        if (d->win_len == 8) {
            memmove(d->win, d->win + 1, 7);
            d->win_len = 7;
        }
        d->win[d->win_len++] = p[i];
        d->resync_scanned++;
        if (d->win_len == 8 && d->win[0] == 0x00 && smb_magic(d->win + 4)) {
            uint32_t l = (uint32_t)d->win[1] << 16 | (uint32_t)d->win[2] << 8 | d->win[3];
            if (l >= 32 && l <= SMB_MAX_RECORD) {
                *found = true;
                d->resync_scanned = 0;
                return i + 1;
            }
        }
        if (d->resync_scanned > SMB_RESYNC_MAX) {
            app_anomaly(ctx, dir, "smb_resync_failed", "no SMB header found after a gap: flow not parsed further");
            d->mode = NB_DEAD;
            return n;
        }
    }
    return n;
}

/* Body bytes of the current record in NB_BUF / NB_PREFIX / NB_STREAM / NB_SKIP. Returns bytes used. */
static size_t nbss_body(struct app_ctx *ctx, struct smb_state *st, int dir, struct nbss_dir *d, const uint8_t *p,
                        size_t n)
{
    uint32_t want;
    size_t take;
    switch (d->mode) {
    case NB_BUF:
        want = d->rec_len - d->buf_len;
        take = n < want ? n : want;
        if (d->buf_len == 0 && take == d->rec_len) {
            /* whole record in this chunk: parse in place */
            d->mode = NB_HDR;
            nbss_dispatch(ctx, st, dir, p, take);
            return take;
        }
        if (!nbss_buf_reserve(ctx, d, d->rec_len)) {
            app_anomaly(ctx, dir, "smb_memcap", "no memory to buffer an SMB record: skipped");
            d->mode = NB_SKIP;
            d->rec_got = d->buf_len;
            d->buf_len = 0;
            return 0;
        }
        memcpy(d->buf + d->buf_len, p, take);
        d->buf_len += (uint32_t)take;
        d->rec_got = d->buf_len;
        if (d->buf_len == d->rec_len) {
            d->mode = NB_HDR;
            nbss_dispatch(ctx, st, dir, d->buf, d->buf_len);
            d->buf_len = 0;
            if (d->buf_cap > SMB_MAX_INLINE_RECORD)
                nbss_buf_release(ctx, d);
        }
        return take;
    case NB_PREFIX:
        want = SMB_STREAM_PREFIX - d->buf_len;
        take = n < want ? n : want;
        if (!nbss_buf_reserve(ctx, d, SMB_STREAM_PREFIX)) {
            d->mode = NB_SKIP;
            d->rec_got = d->buf_len;
            d->buf_len = 0;
            return 0;
        }
        memcpy(d->buf + d->buf_len, p, take);
        d->buf_len += (uint32_t)take;
        d->rec_got = d->buf_len;
        if (d->buf_len == SMB_STREAM_PREFIX)
            nbss_decide_large(ctx, st, dir, d);
        return take;
    case NB_STREAM:
        want = d->rec_len - d->rec_got;
        take = n < want ? n : want;
        nbss_stream_bytes(ctx, st, dir, d, p, take);
        d->rec_got += (uint32_t)take;
        if (d->rec_got == d->rec_len)
            d->mode = NB_HDR;
        return take;
    case NB_SKIP:
        want = d->rec_len - d->rec_got;
        take = n < want ? n : want;
        d->rec_got += (uint32_t)take;
        if (d->rec_got == d->rec_len) {
            d->mode = NB_HDR;
            d->buf_len = 0;
        }
        return take;
    default: return n;
    }
}

static void smb_on_data(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len)
{
    struct smb_state *st = state;
    struct nbss_dir *d = &st->dir[dir & 1];
    dir &= 1;
    while (len > 0) {
        size_t used;
        switch (d->mode) {
        case NB_DEAD: return;
        case NB_RESYNC: {
            bool found;
            used = nbss_resync(ctx, dir, d, data, len, &found);
            if (found) {
                memcpy(d->hdr, d->win, 4);
                nbss_start_record(ctx, dir, d);
                /* the 4 magic bytes already seen are the start of the body */
                size_t k = 0;
                while (k < 4 && d->mode >= NB_BUF && d->mode <= NB_SKIP)
                    k += nbss_body(ctx, st, dir, d, d->win + 4 + k, 4 - k);
                d->win_len = 0;
            }
            break;
        }
        case NB_HDR:
            used = 0;
            while (d->hdr_len < 4 && used < len)
                d->hdr[d->hdr_len++] = data[used++];
            if (d->hdr_len == 4)
                nbss_start_record(ctx, dir, d);
            break;
        default: used = nbss_body(ctx, st, dir, d, data, len); break;
        }
        data += used;
        len -= used;
    }
}

static void smb_on_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    struct smb_state *st = state;
    dir &= 1;
    struct nbss_dir *d = &st->dir[dir];
    uint64_t remaining = d->rec_len > d->rec_got ? d->rec_len - d->rec_got : 0;
    switch (d->mode) {
    case NB_DEAD:
    case NB_RESYNC: d->win_len = 0; return;
    case NB_STREAM: {
        struct smb_file *f = smb_file_get(st, d->sfid, d->sfid_len);
        if (f)
            smb_file_gap(ctx, f, dir);
        if (len < remaining) {
            d->rec_got += (uint32_t)len;
            return;
        }
        break;
    }
    case NB_BUF:
    case NB_PREFIX:
    case NB_SKIP:
        if (len < remaining) {
            app_anomaly(ctx, dir, "smb_gap_in_record", "bytes of an SMB record were lost: record skipped");
            d->rec_got += (uint32_t)len;
            d->buf_len = 0;
            d->mode = NB_SKIP;
            return;
        }
        break;
    default: break;
    }
    app_anomaly(ctx, dir, "smb_gap_resync", "bytes lost across an SMB record boundary: resynchronising");
    d->mode = NB_RESYNC;
    d->win_len = 0;
    d->hdr_len = 0;
    d->buf_len = 0;
    d->resync_scanned = 0;
}

static void smb_on_close(struct app_ctx *ctx, void *state)
{
    smb_state_close_all(ctx, state);
}

const struct app_parser smb_parser = {
    .name = "smb",
    .proto = APP_SMB,
    .ipproto = 6,
    .ports = {445, 139, 0},
    .probe = smb_probe,
    .state_new = smb_state_new,
    .state_free = smb_state_free,
    .on_data = smb_on_data,
    .on_gap = smb_on_gap,
    .on_close = smb_on_close,
};
