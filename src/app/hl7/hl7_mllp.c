/*
 * hl7_mllp.c - MLLP framing of HL7 v2 messages, acknowledgment pairing, and the parser (see hl7.h).
 *
 * MLLP (HL7 v2.5.1 appendix C.4.3, "Block format"), any number of frames per
 * TCP segment, split anywhere, on any port:
 *
 *   +------+--------------------------------------------+------+------+
 *   | 0x0B | HL7 message: segments, each ended by 0x0D  | 0x1C | 0x0D |
 *   +------+--------------------------------------------+------+------+
 *     SB                                                   EB     CR
 *
 * Each direction is a resumable state machine (any split of the stream gives
 * the same result) that never buffers a message: its bytes go to the segment
 * scanner (hl7_segment.c), which keeps MSH and MSA fields only.  Memory per flow
 * is fixed whatever the sender does: a message longer than
 * hl7.max-message-bytes is no longer read (message_too_large) but followed to
 * its end block; a frame that never ends costs nothing more than one that does.
 *
 *   SEEK   between frames: 0x0B starts a frame; CR/LF are tolerated; anything else is data_outside_frame and
 *          the direction resynchronises (below)
 *   SYNC   resynchronising (after a gap or stray bytes): only 0x0B followed by "MSH" starts a frame
 *   FRAME  inside a message: 0x1C ends it (complete), a 0x0B starts the next one (the previous is cut)
 *   END_CR after 0x1C: the CR of the end block (missing_end_cr if absent)
 *
 * A message is emitted as an `hl7` event when its end block arrives, or when it
 * is cut (gap, new start block, close) if its MSH was read; a frame without MSH
 * is an anomaly only.  Acknowledgments (any message with MSA, HL7 v2.5.1 2.9)
 * are paired per flow with the message they acknowledge, sent the other way,
 * by MSA-2 = MSH-10: the last HL7_PENDING_MAX messages of each direction wait
 * for theirs.  The acknowledgment's event then names the message type it
 * answers (`acked_message_type`), so a refusal (AE/AR) says what was refused.
 */
#include "app/hl7/hl7.h"

#include <string.h>

#include "core/config.h"
#include "flow/flow.h"

enum hl7_mode { M_SEEK, M_SYNC, M_FRAME, M_END_CR };

struct hl7_dir {
    enum hl7_mode mode;
    bool resync;          /* in SEEK: a start block counts only when "MSH" follows */
    uint8_t sync_matched; /* bytes of "MSH" matched after the start block, in SYNC */
    struct hl7_message m;
    struct hl7_seg_scanner sc;
};

/* A message awaiting its acknowledgment. */
struct hl7_pending {
    bool used;
    uint64_t ts_us;
    struct hl7_text control_id;
    struct hl7_text type;
};

struct hl7_state {
    struct hl7_dir d[2];
    struct hl7_pending pend[2][HL7_PENDING_MAX]; /* by the direction the message was sent in */
    uint8_t pend_next[2];
    uint64_t max_message;
};

/* ---- probe ---------------------------------------------------------------------------------- */

/* A start block, "MSH" and a field separator (a printable character that is no letter, digit or space). */
enum probe_result hl7_probe(const uint8_t *data, size_t len, int dir)
{
    (void)dir; /* either side may be seen first (a capture started mid-connection) */
    static const char msh[] = "MSH";
    if (len < 1)
        return PROBE_MAYBE;
    if (data[0] != HL7_SB)
        return PROBE_NO;
    for (size_t i = 1; i < 4; i++) {
        if (i >= len)
            return PROBE_MAYBE;
        if (data[i] != (uint8_t)msh[i - 1])
            return PROBE_NO;
    }
    if (len < 5)
        return PROBE_MAYBE;
    uint8_t sep = data[4];
    bool alnum = (sep >= '0' && sep <= '9') || (sep >= 'A' && sep <= 'Z') || (sep >= 'a' && sep <= 'z');
    if (sep <= 0x20 || sep >= 0x7f || alnum)
        return PROBE_NO;
    return PROBE_YES;
}

/* ---- pairing -------------------------------------------------------------------------------- */

static bool text_eq(const struct hl7_text *a, const struct hl7_text *b)
{
    return a->len == b->len && a->truncated == b->truncated && memcmp(a->s, b->s, a->len) == 0;
}

static void pending_add(struct hl7_state *st, int dir, const struct hl7_message *m, uint64_t ts)
{
    struct hl7_pending *p = &st->pend[dir][st->pend_next[dir]];
    st->pend_next[dir] = (uint8_t)((st->pend_next[dir] + 1) % HL7_PENDING_MAX);
    p->used = true; /* the oldest is forgotten when all are waiting */
    p->ts_us = ts;
    p->control_id = m->f[HL7_F_CONTROL_ID];
    p->type = m->f[HL7_F_MESSAGE_TYPE];
}

/* The acknowledgment m (sent in dir) answers a message sent the other way: the most recent with that control id. */
static void pending_match(struct hl7_state *st, int dir, struct hl7_message *m, uint64_t ts)
{
    int other = dir ^ 1;
    for (unsigned k = 0; k < HL7_PENDING_MAX; k++) {
        unsigned i = (st->pend_next[other] + HL7_PENDING_MAX - 1 - k) % HL7_PENDING_MAX;
        struct hl7_pending *p = &st->pend[other][i];
        if (!p->used || !text_eq(&p->control_id, &m->f[HL7_F_ACKED_ID]))
            continue;
        m->paired = true;
        m->acked_type = p->type;
        m->ack_delay_us = ts >= p->ts_us ? ts - p->ts_us : 0;
        p->used = false;
        return;
    }
}

/* ---- messages ------------------------------------------------------------------------------- */

static void frame_start(struct hl7_dir *d)
{
    memset(&d->m, 0, sizeof(d->m));
    hl7_seg_start(&d->sc, &d->m);
    d->mode = M_FRAME;
    d->resync = false;
}

static void report_issues(struct app_ctx *ctx, int dir, unsigned issues)
{
    if (issues & HL7_ISSUE_LF)
        app_anomaly(ctx, dir, "segment_terminator_lf", "segment ended by LF instead of CR");
    if (issues & HL7_ISSUE_INVALID_SEGMENT)
        app_anomaly(ctx, dir, "invalid_segment", "line without a segment id and field separator: not read");
    if (issues & HL7_ISSUE_INVALID_MSH)
        app_anomaly(ctx, dir, "invalid_msh", "MSH without a field separator");
    if (issues & HL7_ISSUE_ENCODING)
        app_anomaly(ctx, dir, "invalid_encoding_characters",
                    "MSH-2 is not 4 (5 from v2.7) distinct non-alphanumeric characters");
    if (issues & HL7_ISSUE_MSH_NOT_FIRST)
        app_anomaly(ctx, dir, "msh_not_first", "the frame does not start with MSH (nor BHS/FHS)");
}

/* The message of direction dir ends: ended by its end block (complete) or cut. */
static void message_end(struct app_ctx *ctx, struct hl7_state *st, int dir, bool complete)
{
    struct hl7_dir *d = &st->d[dir];
    struct hl7_message *m = &d->m;
    hl7_seg_end(&d->sc);
    m->complete = complete;
    /* without MSH at all, frame_without_msh says it all */
    report_issues(ctx, dir, m->has_msh ? d->sc.issues : d->sc.issues & ~(unsigned)HL7_ISSUE_MSH_NOT_FIRST);
    d->mode = M_SEEK;
    if (!m->has_msh) {
        if (complete || m->bytes)
            app_anomaly(ctx, dir, "frame_without_msh", "MLLP frame without an MSH segment: not decoded");
        return;
    }
    if (m->has_msa && m->f[HL7_F_ACKED_ID].len)
        pending_match(st, dir, m, ctx->ts_us);
    else if (!m->has_msa && m->f[HL7_F_CONTROL_ID].len)
        pending_add(st, dir, m, ctx->ts_us);
    struct hl7_event ev = {.msg = m};
    app_emit(ctx, EVENT_HL7, dir, &ev);
}

/* Message bytes up to the next start or end block.  Returns the bytes consumed. */
static size_t frame_bytes(struct app_ctx *ctx, struct hl7_state *st, int dir, const uint8_t *p, size_t n)
{
    struct hl7_dir *d = &st->d[dir];
    struct hl7_message *m = &d->m;
    size_t k = 0;
    while (k < n && p[k] != HL7_EB && p[k] != HL7_SB)
        k++;
    if (!m->too_large) {
        uint64_t room = m->bytes < st->max_message ? st->max_message - m->bytes : 0;
        size_t feed = (uint64_t)k < room ? k : (size_t)room;
        hl7_seg_bytes(&d->sc, p, feed);
        if (feed < k) {
            m->too_large = true;
            app_anomaly(ctx, dir, "message_too_large", "message longer than hl7.max-message-bytes: rest not read");
        }
    }
    m->bytes += k;
    if (k == n)
        return n;
    if (p[k] == HL7_EB) {
        message_end(ctx, st, dir, true);
        d->mode = M_END_CR;
        return k + 1;
    }
    /* a start block inside a message: the sender gave up on it (or the end block was lost) */
    app_anomaly(ctx, dir, "missing_end_block", "start block inside a message: the message is cut there");
    message_end(ctx, st, dir, false);
    return k; /* the start block is read again in SEEK */
}

static const struct config_key hl7_keys[] = {
    CONFIG_KEY_SECTION("app-layer.protocols.hl7", "HL7 v2 over MLLP, on any port (2575: IANA hl7)"),
    APP_PROTO_CONFIG_KEYS(struct hl7_cfg, "hl7", "2575"),
    CONFIG_KEY_SIZE(struct hl7_cfg, max_message, "hl7.max-message-bytes", 1 * CONFIG_KB, 1 * CONFIG_GB, "1mb",
                    "Bytes of one HL7 message read (MSH, MSA, segment ids); a longer message is reported\n"
                    "(message_too_large) and followed to its end block unread. 1kb..1gb."),
};
APP_PROTO_CONFIG_CHECK(struct hl7_cfg);

const struct config_module hl7_config_module = {
    .name = "hl7",
    .keys = hl7_keys,
    .n = sizeof(hl7_keys) / sizeof(hl7_keys[0]),
    .struct_size = sizeof(struct hl7_cfg),
};

/* ---- parser callbacks ----------------------------------------------------------------------- */

static void *hl7_state_new(struct app_ctx *ctx)
{
    struct hl7_state *st = app_alloc(ctx, sizeof(*st));
    if (!st)
        return NULL;
    const struct hl7_cfg *cfg = app_parser_cfg(ctx->al, APP_HL7);
    st->max_message = cfg->max_message; /* hl7.max-message-bytes */
    return st;
}

static void hl7_state_free(struct app_ctx *ctx, void *state)
{
    if (state)
        app_free(ctx, state, sizeof(struct hl7_state));
}

static void hl7_on_data(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len)
{
    struct hl7_state *st = state;
    dir = dir ? 1 : 0;
    struct hl7_dir *d = &st->d[dir];
    static const uint8_t msh[3] = {'M', 'S', 'H'};
    while (len > 0) {
        size_t used = 1;
        switch (d->mode) {
        case M_SEEK:
            if (d->resync) { /* skip to the next start block */
                const uint8_t *sb = memchr(data, HL7_SB, len);
                used = sb ? (size_t)(sb - data) : len;
                if (used)
                    break;
                used = 1;
            }
            if (data[0] == HL7_SB) {
                if (d->resync) {
                    d->mode = M_SYNC;
                    d->sync_matched = 0;
                } else {
                    frame_start(d);
                }
            } else if (data[0] != '\r' && data[0] != '\n') {
                app_anomaly(ctx, dir, "data_outside_frame", "bytes outside an MLLP frame: resynchronising");
                d->resync = true;
            }
            break;
        case M_SYNC:
            if (data[0] != msh[d->sync_matched]) {
                d->mode = M_SEEK; /* not a message start: look again from this byte */
                used = 0;
                break;
            }
            if (++d->sync_matched == 3) {
                frame_start(d);
                hl7_seg_bytes(&d->sc, msh, 3);
                d->m.bytes = 3;
            }
            break;
        case M_FRAME: used = frame_bytes(ctx, st, dir, data, len); break;
        case M_END_CR:
            d->mode = M_SEEK;
            if (data[0] != HL7_CR) {
                app_anomaly(ctx, dir, "missing_end_cr", "end block 0x1C not followed by CR");
                used = 0;
            }
            break;
        }
        data += used;
        len -= used;
    }
}

static void hl7_on_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    (void)len;
    struct hl7_state *st = state;
    dir = dir ? 1 : 0;
    struct hl7_dir *d = &st->d[dir];
    app_anomaly(ctx, dir, "gap", "bytes lost: resynchronising at the next start block followed by MSH");
    if (d->mode == M_FRAME)
        message_end(ctx, st, dir, false);
    d->mode = M_SEEK;
    d->resync = true;
}

static void hl7_on_close(struct app_ctx *ctx, void *state)
{
    struct hl7_state *st = state;
    for (int dir = 0; dir < 2; dir++) {
        if (st->d[dir].mode != M_FRAME)
            continue;
        app_anomaly(ctx, dir, "truncated_message", "connection ended inside a message");
        message_end(ctx, st, dir, false);
    }
}

const struct app_parser hl7_parser = {
    .name = "hl7",
    .proto = APP_HL7,
    .ipproto = 6,
    .config = &hl7_config_module,
    .probe = hl7_probe,
    .state_new = hl7_state_new,
    .state_free = hl7_state_free,
    .on_data = hl7_on_data,
    .on_gap = hl7_on_gap,
    .on_close = hl7_on_close,
};
