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
 * streaming, marks the file gapped and carries on); a gap that ends exactly
 * at a record boundary resumes there.  A gap that swallows a header starts a
 * search (src/app/resync.c) for a NetBIOS session message (type 0) followed
 * by an SMB header consistent with its length and with the direction (see
 * nbss_check) and, when the bytes are there, by the next NetBIOS header at
 * the announced length.  Sessions, trees, open files and pending requests are
 * kept across the gap, so later messages still name their share and file;
 * DCE/RPC conns of open pipes are told that bytes of theirs may be lost.
 * After SMB_RESYNC_MAX bytes without a header the direction is given up.
 */
#include <string.h>

#include "app/dcerpc/dcerpc.h"
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

#define T struct smb_cfg
static const struct config_key smb_keys[] = {
    APP_PROTO_CONFIG_KEYS(T, "smb", "445, 139"),
    CONFIG_KEY_SECTION("smb", "Per-flow tables (1..4096 each); when one is full its oldest entry is dropped and an\n"
                              "anomaly (smb_files_full, smb_pending_full) is reported. Memory per SMB flow grows with "
                              "them."),
    CONFIG_KEY_U32(T, max_sessions, "smb.max-sessions", 1, SMB_TABLE_CEILING, "16",
                   "authenticated sessions (SESSION_SETUP)"),
    CONFIG_KEY_U32(T, max_trees, "smb.max-trees", 1, SMB_TABLE_CEILING, "32", "connected shares (TREE_CONNECT)"),
    CONFIG_KEY_U32(T, max_files, "smb.max-files", 1, SMB_TABLE_CEILING, "64",
                   "open files and pipes (CREATE / NT_CREATE_ANDX)"),
    CONFIG_KEY_U32(T, max_pending, "smb.max-pending", 1, SMB_TABLE_CEILING, "64",
                   "requests waiting for their response"),
};
#undef T
APP_PROTO_CONFIG_CHECK(struct smb_cfg);

const struct config_module smb_config_module = {
    .name = "smb",
    .keys = smb_keys,
    .n = sizeof(smb_keys) / sizeof(smb_keys[0]),
    .struct_size = sizeof(struct smb_cfg),
};

/* The key ranges keep a value within 1..SMB_TABLE_CEILING; a struct filled by hand is held to it as well. */
static uint32_t smb_limit(uint32_t configured)
{
    if (configured == 0)
        return 1;
    return configured > SMB_TABLE_CEILING ? SMB_TABLE_CEILING : configured;
}

/* One allocation: the state, then its four tables at the sizes medsentry.yaml gives (smb.max-*). */
static void *smb_state_new(struct app_ctx *ctx)
{
    const struct smb_cfg *c = app_parser_cfg(ctx->al, APP_SMB);
    uint32_t ns = smb_limit(c->max_sessions);
    uint32_t nt = smb_limit(c->max_trees);
    uint32_t nf = smb_limit(c->max_files);
    uint32_t np = smb_limit(c->max_pending);
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

/*
 * Makes room for need bytes, keeping what is buffered.  The room grows by doubling up to limit (the record's
 * length), so a record is charged for the bytes that came, not for the length its NetBIOS header declares: a 4-byte
 * header claiming 16 MB followed by nothing must not take 16 MB of the app-layer memcap (make stress, nbss flood).
 */
static bool nbss_buf_reserve(struct app_ctx *ctx, struct nbss_dir *d, uint32_t need, uint32_t limit)
{
    if (d->buf_cap >= need)
        return true;
    uint64_t grown = d->buf_cap < 4096 ? 4096 : (uint64_t)d->buf_cap;
    while (grown < need)
        grown *= 2;
    uint32_t top = limit < 4096 ? 4096 : limit;
    uint32_t cap = grown > top ? top : (uint32_t)grown;
    if (cap < need)
        cap = need;
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

/* Malformed framing (no gap): look for the next header, reporting only if none is found. */
static void nbss_resync_start(struct nbss_dir *d)
{
    d->mode = NB_RESYNC;
    d->hdr_len = 0;
    d->buf_len = 0;
    app_resync_start(&d->rs, false, 0, SMB_RESYNC_MAX);
}

static void nbss_dispatch(struct app_ctx *ctx, struct smb_state *st, int dir, const uint8_t *p, size_t n)
{
    if (n < 4 || !smb_magic(p)) {
        app_anomaly(ctx, dir, "smb_bad_magic", "NetBIOS session message without an SMB header");
        nbss_resync_start(&st->dir[dir]);
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
        nbss_resync_start(d);
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
    if (d->rec_len <= SMB_MAX_RECORD) {
        d->mode = NB_BUF; /* the buffer grows as the record's bytes come (nbss_buf_reserve) */
        return;
    }
    app_anomaly(ctx, dir, "smb_record_too_large", "SMB record larger than the buffering limit: skipped");
    d->mode = NB_SKIP;
    d->rec_got = d->buf_len;
    d->buf_len = 0;
}

/*
 * Resync check: is p[0] the start of a NetBIOS session message carrying an SMB header
 * that could be this direction's next record?
 *
 *   0 type 0x00, 1 length (24 bits, big-endian), 4 SMB header:
 *   SMB2 [MS-SMB2 2.2.1]: 4 StructureSize 64, 12 Command < 19, 16 Flags (bit 0 SERVER_TO_REDIR = response;
 *        only defined bits), 20 NextCommand 0 or 8-aligned inside the record; length >= 64 + 2
 *   SMB1 [MS-CIFS 2.2.3.1]: 9 Flags (bit 7 reply), 32 WordCount; 32 + 1 + 2 * WordCount + 2 <= length
 *   TRANSFORM [MS-SMB2 2.2.41]: 36 OriginalMessageSize = length - 52, 42 Flags 1 (encrypted)
 *   COMPRESSION [MS-SMB2 2.2.42]: 8 CompressionAlgorithm <= 4, 10 Flags <= 1
 * and, if the bytes are there, the next NetBIOS message (type 0 with an SMB magic, or a keepalive)
 * right after the record.
 */
static enum app_resync_verdict nbss_check(const void *arg, const uint8_t *p, size_t avail)
{
    int dir = *(const int *)arg;
    if (p[0] != 0x00) /* NetBIOS session message */
        return APP_RESYNC_NO;
    struct br b = br_init(p, avail);
    br_skip(&b, 1);
    uint32_t len = (uint32_t)br_u8(&b) << 16;
    len |= br_be16(&b);
    const uint8_t *m = br_take(&b, 4);
    if (!m) {
        /* fewer than 8 bytes: what is there must agree with an SMB magic */
        if ((avail > 4 && p[4] < 0xfc) || (avail > 5 && p[5] != 'S') || (avail > 6 && p[6] != 'M'))
            return APP_RESYNC_NO;
        return APP_RESYNC_MORE;
    }
    if (!smb_magic(m))
        return APP_RESYNC_NO;
    size_t need; /* header bytes the checks below read, from the SMB magic on */
    switch (m[0]) {
    case 0xfe: need = 64; break;
    case 0xff: need = 33; break;
    case 0xfd: need = 52; break;
    default: need = 16; break;
    }
    if (len < need)
        return APP_RESYNC_NO;
    struct br h = br_init(p + 4, avail - 4);
    if (!br_need(&h, need))
        return APP_RESYNC_MORE;
    switch (m[0]) {
    case 0xfe: {
        br_skip(&h, 4);
        uint16_t structure_size = br_le16(&h);
        br_skip(&h, 6);
        uint16_t cmd = br_le16(&h);
        br_skip(&h, 2);
        uint32_t flags = br_le32(&h);
        uint32_t next = br_le32(&h);
        if (structure_size != 64 || cmd >= SMB2_CMD__COUNT || len < 64 + 2)
            return APP_RESYNC_NO;
        if ((flags & 1u) != (uint32_t)(dir == 1) || (flags & ~0x3000007fu) != 0)
            return APP_RESYNC_NO;
        if (next && (next < 64 || next >= len || (next & 7)))
            return APP_RESYNC_NO;
        break;
    }
    case 0xff: {
        br_skip(&h, 9);
        uint8_t flags = br_u8(&h);
        br_skip(&h, 22);
        uint8_t wc = br_u8(&h);
        if ((flags >> 7) != (dir == 1) || 32u + 1 + 2u * wc + 2 > len)
            return APP_RESYNC_NO;
        break;
    }
    case 0xfd: {
        br_skip(&h, 36);
        uint32_t orig = br_le32(&h);
        br_skip(&h, 2);
        uint16_t flags = br_le16(&h);
        if (orig != len - 52 || flags != 1)
            return APP_RESYNC_NO;
        break;
    }
    default: {
        br_skip(&h, 8);
        uint16_t alg = br_le16(&h);
        uint16_t flags = br_le16(&h);
        if (alg > 4 || flags > 1)
            return APP_RESYNC_NO;
        break;
    }
    }
    /* the next message, where it is already in hand (not waited for: a request must not be held back from
     * its response in the other direction) */
    struct br nx = br_init(p, avail);
    br_skip(&nx, 4 + (size_t)len);
    if (br_left(&nx) >= 1) {
        const uint8_t *q = br_ptr(&nx);
        if (q[0] == 0x85)
            return APP_RESYNC_YES; /* keepalive */
        if (q[0] != 0x00)
            return APP_RESYNC_NO;
        if (br_left(&nx) >= 8 && !smb_magic(q + 4))
            return APP_RESYNC_NO;
    }
    return APP_RESYNC_YES;
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
        if (!nbss_buf_reserve(ctx, d, d->buf_len + (uint32_t)take, d->rec_len)) {
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
        if (!nbss_buf_reserve(ctx, d, SMB_STREAM_PREFIX, SMB_STREAM_PREFIX)) {
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
    dir &= 1;
    struct nbss_dir *d = &st->dir[dir];
    struct app_resync_input in;
    app_resync_input_init(&in, data, len);
    while (app_resync_input_more(&in)) {
        switch (d->mode) {
        case NB_DEAD: return;
        case NB_RESYNC: {
            enum app_resync_result r = app_resync_scan(ctx, &d->rs, &in, nbss_check, &dir, 0x00);
            if (r == APP_RESYNC_SEARCHING)
                break;
            app_resync_report(ctx, &d->rs, dir, r, "SMB");
            if (r == APP_RESYNC_GAVE_UP) {
                d->mode = NB_DEAD;
                return;
            }
            d->mode = NB_HDR;
            d->hdr_len = 0;
            break;
        }
        case NB_HDR: {
            size_t used = 0;
            while (d->hdr_len < 4 && used < in.n)
                d->hdr[d->hdr_len++] = in.p[used++];
            app_resync_input_take(&in, used);
            if (d->hdr_len == 4)
                nbss_start_record(ctx, dir, d);
            break;
        }
        default: app_resync_input_take(&in, nbss_body(ctx, st, dir, d, in.p, in.n)); break;
        }
    }
}

/* Bytes lost across record boundaries may have belonged to any open pipe: their DCE/RPC conns resynchronise. */
static void smb_gap_pipes(struct app_ctx *ctx, struct smb_state *st, int dir)
{
    for (size_t i = 0; i < st->n_files; i++)
        if (st->files[i].used && st->files[i].is_pipe && st->files[i].rpc)
            dcerpc_conn_gap(ctx, st->files[i].rpc, dir);
}

static void smb_on_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    struct smb_state *st = state;
    dir &= 1;
    struct nbss_dir *d = &st->dir[dir];
    uint64_t remaining = d->rec_len > d->rec_got ? d->rec_len - d->rec_got : 0;
    if (dir == 1)
        st->pending_stale_age = st->age; /* responses may be lost: their requests will not be answered */
    switch (d->mode) {
    case NB_DEAD: return;
    case NB_RESYNC:
        app_resync_start(&d->rs, true, len, SMB_RESYNC_MAX); /* one search, one report, for both gaps */
        return;
    case NB_STREAM: {
        struct smb_file *f = smb_file_get(st, d->sfid, d->sfid_len);
        if (f)
            smb_file_gap(ctx, f, dir);
        if (len <= remaining) {
            app_anomaly(ctx, dir, "smb_gap_in_record", "bytes of streamed file data lost: file gapped");
            d->rec_got += (uint32_t)len;
            if (d->rec_got == d->rec_len)
                d->mode = NB_HDR;
            return;
        }
        break;
    }
    case NB_BUF:
    case NB_PREFIX:
    case NB_SKIP:
        if (d->mode != NB_SKIP && ctx->al && ctx->al->stats)
            ctx->al->stats->app_gap_dropped++;
        if (len <= remaining) {
            /* the framing survives: the record is lost, the next one is where its length says */
            app_anomaly(ctx, dir, "smb_gap_in_record", "bytes of an SMB record were lost: record skipped");
            d->rec_got += (uint32_t)len;
            d->buf_len = 0;
            d->mode = d->rec_got == d->rec_len ? NB_HDR : NB_SKIP;
            return;
        }
        break;
    case NB_HDR:
        if (d->hdr_len == 0 && len == 0)
            return;
        break;
    }
    smb_gap_pipes(ctx, st, dir);
    d->mode = NB_RESYNC;
    d->hdr_len = 0;
    d->buf_len = 0;
    app_resync_start(&d->rs, true, len, SMB_RESYNC_MAX);
}

static void smb_on_close(struct app_ctx *ctx, void *state)
{
    struct smb_state *st = state;
    for (int dir = 0; dir < 2; dir++)
        if (st->dir[dir].mode == NB_RESYNC && st->dir[dir].rs.active)
            app_resync_report(ctx, &st->dir[dir].rs, dir, APP_RESYNC_SEARCHING, "SMB");
    smb_state_close_all(ctx, st);
}

const struct app_parser smb_parser = {
    .name = "smb",
    .proto = APP_SMB,
    .ipproto = 6,
    .config = &smb_config_module,
    .probe = smb_probe,
    .state_new = smb_state_new,
    .state_free = smb_state_free,
    .on_data = smb_on_data,
    .on_gap = smb_on_gap,
    .on_close = smb_on_close,
};
