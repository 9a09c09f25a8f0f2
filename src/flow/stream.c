/*
 * stream.c - TCP reassembly: one direction's bytes, in sequence order, once.
 *
 * Sequence space (RFC 9293 section 3.4): numbers are compared modulo 2^32 by
 * the sign of their 32-bit difference (SEQ_LT and friends), so a stream may
 * wrap.  A SYN occupies one number, so the first data byte is ISN+1.
 *
 * Each direction has `next_seq`, the next byte the sink expects.  A segment
 * [s, e) of payload is cut against it:
 *
 *        delivered (old)       | next_seq     held out of order
 *   ---------------------------+----------[=====]-----[===]------->
 *        [ old part of seg ][ new part of seg ...... ]
 *
 *   - the old part (before next_seq) is a retransmission: it is never
 *     delivered again.  The sink's bytes are gone, so the last
 *     STREAM_SEEN_RECORDS pieces delivered are remembered as (seq, len, keyed
 *     64-bit hash); every such piece that the old part covers entirely is
 *     hashed again from the new segment and compared.  Cost: 128 bytes per
 *     direction inside struct tcp_stream, one hash pass over delivered bytes,
 *     no allocation.  A retransmission that covers only part of an old piece,
 *     or one older than the last pieces, is counted but not compared.
 *   - the new part is compared byte for byte with the held segments it
 *     overlaps (first wins: held bytes stay, the new copy of them is dropped).
 *   - if the new part starts at next_seq it is delivered straight from the
 *     packet (zero copy), interleaved with any held bytes it overlaps, and then
 *     every held segment that has become contiguous follows.
 *   - otherwise the pieces of it not already held are copied into
 *     `struct tcp_segment`s, kept in a list sorted by seq and non-overlapping.
 *     The copies are bounded by cfg.max_ooo_bytes and cfg.max_ooo_segments per
 *     direction and by the stream memcap.  When a bound is hit the hole before
 *     the first held segment is declared lost (on_gap), the in-order run after
 *     it is delivered, and the hold is tried again; with nothing left held the
 *     hole before the new segment itself is skipped and it is delivered.  Every
 *     round frees a held segment or makes the new one in order, so this ends.
 *
 * Counters: a segment carrying any byte already seen (delivered or held) is an
 * overlap; one carrying only seen bytes is also a retransmission; different
 * bytes add overlaps_diff and one "overlap_different_data" anomaly per segment.
 *
 * The gap policy.  A SPAN port drops packets; waiting for a lost segment that
 * will never come stalls the direction and re-dates everything behind it.  So
 * the hole before the first held segment is given up (skip_to, on_gap, then
 * the held run is delivered) for the first of these reasons, each counted:
 *   - acked: the other direction acknowledges (ACK flag set) a number at or
 *     beyond the first held byte.  The receiver has the hole; only we missed
 *     it, and nobody will send it again.  Holes further on that the same ACK
 *     covers go too.  An ACK inside the hole (the receiver has only part of it)
 *     declares nothing: nothing could be delivered after such a partial gap,
 *     and the rest may still be retransmitted.  An ACK beyond every byte seen
 *     (tail loss, or a window-probe oddity) declares no more than the holes in
 *     front of held data: bytes never seen and with nothing seen after them
 *     are declared when later data arrives (this rule then applies at once, as
 *     the ACK is remembered) or when the flow ends (only up to a seen FIN), as
 *     before.  Duplicate ACKs at the hole's start (the receiver misses it too)
 *     change nothing.  An ACK counts only when it lies after next_seq and
 *     within STREAM_MAX_DISTANCE of it (modular), and only once this
 *     direction's start is known (SYN seen, or first data when picked up
 *     midstream); a new ISN forgets it.  The ACK's own packet is processed
 *     after the bytes it frees, which come first in time.
 *   - timeout: cfg.gap_timeout_s of packet time after the data behind the
 *     hole was first seen.  Each held segment carries that time (the earliest
 *     arrival among itself and the segments after it, so the first segment's
 *     is the hole's), checked on every packet of the flow, both directions,
 *     and by stream_timeout() for flows that went quiet: the flows holding
 *     data are kept in a list with the earliest due time, so a tick with
 *     nothing due costs one comparison.  A sender that delays a hole's fill
 *     past the timeout gets its late bytes counted, not parsed; the gap shows
 *     in tcp.gap_bytes and in the parser's gap events.
 *   - limit: a held segment does not fit (see above).
 *   - flow end: the flow ended with data still held.
 * Bytes delivered after a gap reach the sink while the packet that freed them
 * is processed, so their events carry that packet's time.  A RST declares
 * nothing by itself: the timeout or the flow's end does.
 *
 * FIN fixes the end of the direction at the first FIN's seq + payload length;
 * later bytes are ignored.  A segment more than STREAM_MAX_DISTANCE away from
 * next_seq either way is garbage and ignored.  cfg.depth stops a direction
 * once that many bytes were delivered and frees what it held.
 */
#include "flow/stream.h"

#include <xxhash.h>

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "decode/decode.h"
#include "flow/flow.h"

#define T struct stream_cfg
static const struct config_key stream_keys[] = {
    CONFIG_KEY_SIZE(T, memcap, "stream.memcap", 64 * CONFIG_KB, 64 * CONFIG_GB, "256mb",
                    "memory for TCP segments held out of order, all flows"),
    CONFIG_KEY_SIZE(T, max_ooo_bytes, "stream.reassembly.max-ooo-bytes", 0, 1 * CONFIG_GB, "1mb",
                    "held out of order per direction; past this the hole is given up as a gap"),
    CONFIG_KEY_U32(T, max_ooo_segments, "stream.reassembly.max-ooo-segments", 0, 1u << 20, "1024", NULL),
    CONFIG_KEY_SIZE(T, depth, "stream.reassembly.depth", 0, 1ULL << 62, "0",
                    "bytes reassembled per direction; 0 = no limit"),
    CONFIG_KEY_U32(T, gap_timeout_s, "stream.reassembly.gap-timeout", 0, CONFIG_DAY, "2",
                   "seconds of packet time a hole may hold back the data behind it before it is given up as a gap\n"
                   "(a lost packet on the SPAN port); 0 = wait for the receiver's ACK beyond the hole, a limit or "
                   "the flow's end"),
};
#undef T

const struct config_module stream_config_module = {
    .name = "stream",
    .keys = stream_keys,
    .n = sizeof(stream_keys) / sizeof(stream_keys[0]),
    .struct_size = sizeof(struct stream_cfg),
};

/* Modular sequence comparison, RFC 9293 section 3.4. */
#define SEQ_DIFF(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)))
#define SEQ_LT(a, b)   (SEQ_DIFF(a, b) < 0)
#define SEQ_LEQ(a, b)  (SEQ_DIFF(a, b) <= 0)
#define SEQ_GT(a, b)   (SEQ_DIFF(a, b) > 0)
#define SEQ_GEQ(a, b)  (SEQ_DIFF(a, b) >= 0)

/* Further than this from next_seq (either way) a segment is garbage, not data. */
#define STREAM_MAX_DISTANCE (1u << 30)

struct tcp_segment {
    struct tcp_segment *next;
    uint64_t ts_us; /* when the hole before it became known: the earliest arrival of it and the segments after it */
    uint32_t seq;
    uint32_t len;
    uint8_t data[];
};

/* Why a hole is given up (which counter it adds to). */
enum gap_reason { GAP_ACKED, GAP_TIMEOUT, GAP_LIMIT, GAP_FLOW_END, GAP_SNAPLEN };

static size_t segment_size(uint32_t len)
{
    return sizeof(struct tcp_segment) + (size_t)len;
}

#define STAT_ADD(ctx, field, n)         \
    do {                                \
        if ((ctx)->stats)               \
            (ctx)->stats->field += (n); \
    } while (0)

/* Keyed hash of delivered bytes (not cryptographic; the key is unknown to the sender). */
/* Fingerprint of a delivered piece: XXH3 (libxxhash) seeded with the context's random key, so a sender
 * cannot aim a different payload at the same value without knowing the key.  It runs over every delivered
 * byte, so it must be fast: XXH3 is vectorised (SSE2/AVX2), well under a cycle per byte. */
static uint64_t seen_hash(uint64_t key, const uint8_t *p, size_t n)
{
    return XXH3_64bits_withSeed(p, n, key);
}

int stream_ctx_init(struct stream_ctx *ctx, const struct stream_cfg *cfg, struct stats *stats,
                    const struct stream_sink *sink)
{
    if (!ctx || !cfg)
        return -1;
    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = *cfg;
    memcap_init(&ctx->mc, "stream", cfg->memcap);
    ctx->stats = stats;
    if (sink)
        ctx->sink = *sink;
    uint64_t key = 0;
    if (getrandom(&key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key))
        key = (uint64_t)(uintptr_t)ctx ^ 0x5bd1e9955bd1e995u; /* only collision resistance depends on it */
    ctx->hash_key = key;
    ctx->held_next_check_us = UINT64_MAX;
    ctx->gap_timeout_us = (uint64_t)cfg->gap_timeout_s * 1000000;
    return 0;
}

void stream_ctx_free(struct stream_ctx *ctx)
{
    /* Segments belong to flows; the flow table ends every flow (stream_flow_end) before this. */
    (void)ctx;
}

static void free_held(struct stream_ctx *ctx, struct tcp_stream *st)
{
    struct tcp_segment *s = st->ooo;
    while (s) {
        struct tcp_segment *next = s->next;
        mc_free(&ctx->mc, s, segment_size(s->len));
        s = next;
    }
    st->ooo = NULL;
    st->ooo_bytes = 0;
    st->ooo_count = 0;
}

/* Unlink and free the first held segment. */
static void pop_held(struct stream_ctx *ctx, struct tcp_stream *st)
{
    struct tcp_segment *s = st->ooo;
    st->ooo = s->next;
    st->ooo_bytes -= s->len;
    st->ooo_count--;
    mc_free(&ctx->mc, s, segment_size(s->len));
}

/* Give len bytes at next_seq to the sink, honouring the depth limit. */
/* Keep the last STREAM_TAIL_BYTES delivered bytes (a ring; tail_pos is where the next byte goes). */
static void tail_append(struct tcp_stream *st, const uint8_t *p, uint32_t len)
{
    if (len > STREAM_TAIL_BYTES) {
        p += len - STREAM_TAIL_BYTES;
        len = STREAM_TAIL_BYTES;
    }
    uint32_t first = STREAM_TAIL_BYTES - st->tail_pos;
    if (first > len)
        first = len;
    memcpy(st->tail + st->tail_pos, p, first);
    memcpy(st->tail, p + first, len - first);
    st->tail_pos = (uint8_t)((st->tail_pos + len) % STREAM_TAIL_BYTES);
    uint32_t n = st->tail_len + len;
    st->tail_len = (uint8_t)(n > STREAM_TAIL_BYTES ? STREAM_TAIL_BYTES : n);
}

/* Does p[0..len), which starts at sequence number s, differ from the delivered bytes kept in the tail? */
static bool tail_differs(const struct tcp_stream *st, uint32_t s, const uint8_t *p, uint32_t len)
{
    uint32_t tail_start = st->next_seq - st->tail_len;
    uint32_t a = SEQ_GT(s, tail_start) ? s : tail_start;
    uint32_t b = SEQ_LT(s + len, st->next_seq) ? s + len : st->next_seq;
    for (uint32_t x = a; SEQ_LT(x, b); x++) {
        /* byte x sits (next_seq - x) places before the write position */
        uint32_t back = st->next_seq - x;
        uint32_t idx = (st->tail_pos + STREAM_TAIL_BYTES - back) % STREAM_TAIL_BYTES;
        if (st->tail[idx] != p[x - s])
            return true;
    }
    return false;
}

static void emit(struct stream_ctx *ctx, struct flow *f, int dir, const uint8_t *p, uint32_t len)
{
    struct tcp_stream *st = &f->stream[dir];
    if (st->depth_reached || len == 0)
        return;
    uint64_t depth = ctx->cfg.depth;
    if (depth > 0 && st->delivered + len >= depth)
        len = (uint32_t)(depth - st->delivered);
    if (len > 0) {
        struct tcp_seen *r = &st->seen[st->seen_next];
        r->seq = st->next_seq;
        r->len = len;
        r->hash = seen_hash(ctx->hash_key, p, len);
        st->seen_next = (uint8_t)((st->seen_next + 1) % STREAM_SEEN_RECORDS);
        tail_append(st, p, len);
        if (ctx->sink.on_data)
            ctx->sink.on_data(ctx->sink.user, f, dir, p, len);
        st->next_seq += len;
        st->delivered += len;
        STAT_ADD(ctx, tcp_reassembled_bytes, len);
    }
    if (depth > 0 && st->delivered >= depth) {
        st->depth_reached = true;
        STAT_ADD(ctx, tcp_stream_depth_reached, 1);
        free_held(ctx, st);
    }
}

/* Declare the bytes from next_seq up to seq lost. */
static void skip_to(struct stream_ctx *ctx, struct flow *f, int dir, uint32_t seq, enum gap_reason why)
{
    struct tcp_stream *st = &f->stream[dir];
    if (!SEQ_GT(seq, st->next_seq))
        return;
    uint32_t hole = seq - st->next_seq;
    st->next_seq = seq;
    st->tail_len = 0; /* the kept bytes no longer end at next_seq */
    if (st->depth_reached)
        return;
    st->gap_bytes += hole;
    STAT_ADD(ctx, tcp_reassembly_gaps, 1);
    STAT_ADD(ctx, tcp_gap_bytes, hole);
    switch (why) {
    case GAP_ACKED: STAT_ADD(ctx, tcp_gaps_acked, 1); break;
    case GAP_TIMEOUT: STAT_ADD(ctx, tcp_gaps_timeout, 1); break;
    case GAP_LIMIT: STAT_ADD(ctx, tcp_gaps_limit, 1); break;
    case GAP_FLOW_END: STAT_ADD(ctx, tcp_gaps_flow_end, 1); break;
    case GAP_SNAPLEN: STAT_ADD(ctx, tcp_gaps_snaplen, 1); break;
    }
    if (ctx->sink.on_gap)
        ctx->sink.on_gap(ctx->sink.user, f, dir, hole);
}

/*
 * Deliver from next_seq: held bytes where held (first wins), else the packet's
 * bytes [pseq, pseq+plen) (p may be NULL), until neither continues the stream.
 */
static void deliver(struct stream_ctx *ctx, struct flow *f, int dir, uint32_t pseq, const uint8_t *p, uint32_t plen)
{
    struct tcp_stream *st = &f->stream[dir];
    uint32_t pend = pseq + plen;
    while (!st->depth_reached) {
        struct tcp_segment *h = st->ooo;
        if (h && SEQ_LEQ(h->seq, st->next_seq)) {
            uint32_t hend = h->seq + h->len;
            if (st->fin_seen && SEQ_GT(hend, st->fin_seq))
                hend = st->fin_seq;
            if (SEQ_GT(hend, st->next_seq))
                emit(ctx, f, dir, h->data + (st->next_seq - h->seq), hend - st->next_seq);
            if (!st->depth_reached) /* else emit() has freed everything held */
                pop_held(ctx, st);
            continue;
        }
        if (p && SEQ_LEQ(pseq, st->next_seq) && SEQ_LT(st->next_seq, pend)) {
            uint32_t lim = pend;
            if (h && SEQ_LT(h->seq, lim))
                lim = h->seq;
            emit(ctx, f, dir, p + (st->next_seq - pseq), lim - st->next_seq);
            continue;
        }
        break;
    }
}

/*
 * Copy the parts of [s, s+len) not already held into the sorted list.  False
 * when a bound or the memcap stops it (the pieces copied so far stay held).
 */
static bool hold(struct stream_ctx *ctx, struct tcp_stream *st, uint32_t s, const uint8_t *p, uint32_t len,
                 uint64_t now_us, bool *memcap_hit)
{
    uint32_t e = s + len;
    uint32_t cur = s;
    struct tcp_segment **link = &st->ooo;
    while (SEQ_LT(cur, e)) {
        struct tcp_segment *h = *link;
        if (h && SEQ_LEQ(h->seq + h->len, cur)) {
            link = &h->next;
            continue;
        }
        if (h && SEQ_LEQ(h->seq, cur)) {
            cur = h->seq + h->len; /* already held: first wins */
            link = &h->next;
            continue;
        }
        uint32_t pe = (h && SEQ_LT(h->seq, e)) ? h->seq : e;
        uint32_t plen = pe - cur;
        if (st->ooo_count >= ctx->cfg.max_ooo_segments || plen > ctx->cfg.max_ooo_bytes - st->ooo_bytes)
            return false;
        struct tcp_segment *n = mc_malloc(&ctx->mc, segment_size(plen));
        if (!n) {
            *memcap_hit = true;
            return false;
        }
        n->seq = cur;
        n->len = plen;
        /* the worker's clock never goes back, so a successor (held earlier) has the earlier time */
        n->ts_us = h ? h->ts_us : now_us;
        memcpy(n->data, p + (cur - s), plen);
        n->next = h;
        *link = n;
        link = &n->next;
        st->ooo_bytes += plen;
        st->ooo_count++;
        cur = pe;
    }
    return true;
}

/*
 * Compare the segment [s, s+len) with what was seen: the delivered pieces
 * remembered in seen[] and the held segments.  Returns the bytes seen before;
 * *diff is set when any of them differ.
 */
static uint32_t compare_seen(const struct stream_ctx *ctx, const struct tcp_stream *st, uint32_t s, const uint8_t *p,
                             uint32_t len, bool *diff)
{
    uint32_t e = s + len;
    uint32_t seen = 0;
    if (SEQ_LT(s, st->next_seq)) {
        uint32_t old_end = SEQ_LT(e, st->next_seq) ? e : st->next_seq;
        seen = old_end - s;
        for (unsigned i = 0; i < STREAM_SEEN_RECORDS; i++) {
            const struct tcp_seen *r = &st->seen[i];
            if (r->len == 0 || SEQ_LT(r->seq, s) || SEQ_GT(r->seq + r->len, old_end))
                continue;
            if (SEQ_GT(r->seq + r->len, st->next_seq) || SEQ_LT(r->seq, st->next_seq - STREAM_MAX_DISTANCE))
                continue; /* stale record from before a wrap */
            if (seen_hash(ctx->hash_key, p + (r->seq - s), r->len) != r->hash)
                *diff = true;
        }
        if (!*diff && st->tail_len && tail_differs(st, s, p, len))
            *diff = true;
    }
    for (const struct tcp_segment *h = st->ooo; h; h = h->next) {
        uint32_t hend = h->seq + h->len;
        if (SEQ_LEQ(e, h->seq))
            break;
        if (SEQ_LEQ(hend, s))
            continue;
        uint32_t a = SEQ_GT(h->seq, s) ? h->seq : s;
        uint32_t b = SEQ_LT(hend, e) ? hend : e;
        if (SEQ_LT(a, st->next_seq)) /* counted above (cannot happen: held is ahead) */
            a = st->next_seq;
        if (!SEQ_LT(a, b))
            continue;
        seen += b - a;
        if (memcmp(p + (a - s), h->data + (a - h->seq), b - a) != 0)
            *diff = true;
    }
    return seen;
}

/* Free held segments that start at or after the FIN. */
static void drop_after_fin(struct stream_ctx *ctx, struct tcp_stream *st)
{
    struct tcp_segment **link = &st->ooo;
    while (*link) {
        struct tcp_segment *h = *link;
        if (SEQ_GEQ(h->seq, st->fin_seq)) {
            *link = h->next;
            st->ooo_bytes -= h->len;
            st->ooo_count--;
            mc_free(&ctx->mc, h, segment_size(h->len));
        } else {
            link = &h->next;
        }
    }
}

static void stream_segment(struct stream_ctx *ctx, struct flow *f, int dir, const struct decoded *d, uint64_t now_us)
{
    struct tcp_stream *st = &f->stream[dir];
    uint32_t s = d->tcp_seq;
    uint32_t len = d->payload ? d->payload_len : 0;
    const uint8_t *p = d->payload;

    if (len > 0)
        STAT_ADD(ctx, tcp_segments, 1);
    if (d->tcp_flags & TH_RST)
        st->rst_seen = true;
    if (d->tcp_flags & TH_SYN) {
        bool untouched = st->delivered == 0 && st->gap_bytes == 0 && st->ooo == NULL;
        if (!st->isn_known || (untouched && s != st->isn)) {
            st->isn = s;
            st->next_seq = s + 1;
            st->isn_known = true;
            st->ack_valid = false; /* acknowledgments of the old numbers mean nothing now */
            /* A FIN or RST sent before this SYN, with no data in between, belonged to no connection we follow:
             * forget it, or the real data would look like it came after the FIN (an evasion trick). */
            st->fin_seen = false;
            st->rst_seen = false;
        }
        s += 1; /* SYN data (TCP Fast Open) follows the SYN's own number */
    }
    if (d->tcp_flags & TH_FIN && !st->fin_seen) {
        st->fin_seen = true;
        st->fin_seq = s + len + d->payload_missing;
        drop_after_fin(ctx, st);
    }
    if (len == 0 || st->depth_reached)
        return;
    if (!st->isn_known) {
        /* midstream pickup, or the SYN was not captured: start here */
        st->isn = s - 1;
        st->next_seq = s;
        st->isn_known = true;
    }
    if (st->fin_seen) {
        if (SEQ_GEQ(s, st->fin_seq))
            return; /* after the FIN */
        if (SEQ_GT(s + len, st->fin_seq))
            len = st->fin_seq - s;
    }
    int32_t dist = SEQ_DIFF(s, st->next_seq);
    if (dist > (int32_t)STREAM_MAX_DISTANCE || dist < -(int32_t)STREAM_MAX_DISTANCE || len > STREAM_MAX_DISTANCE)
        return; /* garbage sequence number (or a length no IP packet has) */

    bool diff = false;
    uint32_t seen = compare_seen(ctx, st, s, p, len, &diff);
    if (seen > 0)
        STAT_ADD(ctx, tcp_overlaps, 1);
    if (seen == len)
        STAT_ADD(ctx, tcp_retransmissions, 1);
    if (diff) {
        STAT_ADD(ctx, tcp_overlaps_diff, 1);
        if (ctx->sink.on_anomaly)
            ctx->sink.on_anomaly(ctx->sink.user, f, dir, "overlap_different_data");
    }
    if (seen == len)
        return;

    /* Only the part at or after next_seq matters from here. */
    if (SEQ_LT(s, st->next_seq)) {
        uint32_t cut = st->next_seq - s;
        s += cut;
        p += cut;
        len -= cut;
    }
    bool memcap_hit = false;
    bool counted_ooo = false;
    while (!st->depth_reached) {
        if (SEQ_LEQ(s, st->next_seq)) {
            deliver(ctx, f, dir, s, p, len);
            break;
        }
        uint32_t before = st->ooo_count;
        bool ok = hold(ctx, st, s, p, len, now_us, &memcap_hit);
        if (st->ooo_count != before && !counted_ooo) {
            STAT_ADD(ctx, tcp_ooo_segments, 1);
            counted_ooo = true;
        }
        if (ok)
            break;
        /* A bound was hit: give up the first hole and try again. */
        if (st->ooo && SEQ_LT(st->ooo->seq, s))
            skip_to(ctx, f, dir, st->ooo->seq, GAP_LIMIT);
        else
            skip_to(ctx, f, dir, s, GAP_LIMIT);
        deliver(ctx, f, dir, s, p, len);
    }
    if (memcap_hit)
        STAT_ADD(ctx, tcp_stream_memcap_hits, 1);
}

/*
 * The capture cut this segment short (snap length): its tail was on the wire but is not here.  Once the captured
 * part is in order, the tail is a gap; segments held behind it become deliverable.
 */
static void stream_cut_tail(struct stream_ctx *ctx, struct flow *f, int dir, const struct decoded *d)
{
    struct tcp_stream *st = &f->stream[dir];
    if (!st->isn_known || st->depth_reached)
        return;
    uint32_t cap_end = d->tcp_seq + ((d->tcp_flags & TH_SYN) ? 1u : 0u) + d->payload_len;
    uint32_t wire_end = cap_end + d->payload_missing;
    if (st->fin_seen && SEQ_GT(wire_end, st->fin_seq))
        wire_end = st->fin_seq;
    if (SEQ_LEQ(cap_end, st->next_seq) && SEQ_GT(wire_end, st->next_seq)) {
        skip_to(ctx, f, dir, wire_end, GAP_SNAPLEN);
        deliver(ctx, f, dir, 0, NULL, 0);
    }
}

/* Give up the first hole of direction dir (reason why) and deliver the run after it. */
static void give_up_first_hole(struct stream_ctx *ctx, struct flow *f, int dir, enum gap_reason why)
{
    struct tcp_stream *st = &f->stream[dir];
    skip_to(ctx, f, dir, st->ooo->seq, why);
    deliver(ctx, f, dir, 0, NULL, 0);
}

/* The peer has acknowledged up to ack_max: holes in front of held data it covers are gaps (see the policy). */
static void gaps_acked(struct stream_ctx *ctx, struct flow *f, int dir)
{
    struct tcp_stream *st = &f->stream[dir];
    while (st->ack_valid && st->ooo && !st->depth_reached && SEQ_GEQ(st->ack_max, st->ooo->seq) &&
           SEQ_GT(st->ack_max, st->next_seq) && SEQ_DIFF(st->ack_max, st->next_seq) <= (int32_t)STREAM_MAX_DISTANCE)
        give_up_first_hole(ctx, f, dir, GAP_ACKED);
}

/* An acknowledgment number from the other side, for direction dir's bytes. */
static void stream_ack(struct stream_ctx *ctx, struct flow *f, int dir, uint32_t ack)
{
    struct tcp_stream *st = &f->stream[dir];
    if (!st->isn_known || st->depth_reached)
        return;
    int32_t ahead = SEQ_DIFF(ack, st->next_seq);
    if (ahead <= 0 || ahead > (int32_t)STREAM_MAX_DISTANCE)
        return; /* nothing new (duplicate ACK, ACK of delivered bytes), or garbage */
    if (!st->ack_valid || SEQ_LEQ(st->ack_max, st->next_seq) || SEQ_GT(ack, st->ack_max)) {
        st->ack_max = ack;
        st->ack_valid = true;
    }
    gaps_acked(ctx, f, dir);
}

/* Holes pending for the gap timeout at now_us are gaps. */
static void gaps_timed_out(struct stream_ctx *ctx, struct flow *f, int dir, uint64_t now_us)
{
    struct tcp_stream *st = &f->stream[dir];
    uint64_t t = ctx->gap_timeout_us;
    while (t && st->ooo && !st->depth_reached && now_us >= st->ooo->ts_us && now_us - st->ooo->ts_us >= t)
        give_up_first_hole(ctx, f, dir, GAP_TIMEOUT);
}

/* When the first hole of f (either direction) times out; UINT64_MAX if nothing is held. */
static uint64_t held_due(const struct stream_ctx *ctx, const struct flow *f)
{
    uint64_t due = UINT64_MAX;
    for (int dir = 0; dir < 2; dir++) {
        const struct tcp_segment *h = f->stream[dir].ooo;
        if (h && h->ts_us + ctx->gap_timeout_us < due)
            due = h->ts_us + ctx->gap_timeout_us;
    }
    return due;
}

static bool held_listed(const struct stream_ctx *ctx, const struct flow *f)
{
    return f->held_prev || ctx->held == f;
}

static void held_unlink(struct stream_ctx *ctx, struct flow *f)
{
    if (!held_listed(ctx, f))
        return;
    if (f->held_prev)
        f->held_prev->held_next = f->held_next;
    else
        ctx->held = f->held_next;
    if (f->held_next)
        f->held_next->held_prev = f->held_prev;
    f->held_prev = f->held_next = NULL;
}

/*
 * Keep f in the list of flows holding data iff it holds some (and the timeout is on).  A flow's due time only moves
 * later while it stays listed (held times never exceed the clock, and segments are taken from the front), so the
 * list's next check only needs lowering when a flow joins.
 */
static void held_track(struct stream_ctx *ctx, struct flow *f)
{
    bool holds = ctx->gap_timeout_us && (f->stream[0].ooo || f->stream[1].ooo);
    if (!holds) {
        held_unlink(ctx, f);
        return;
    }
    if (held_listed(ctx, f))
        return;
    f->held_prev = NULL;
    f->held_next = ctx->held;
    if (ctx->held)
        ctx->held->held_prev = f;
    ctx->held = f;
    uint64_t due = held_due(ctx, f);
    if (due < ctx->held_next_check_us)
        ctx->held_next_check_us = due;
}

void stream_packet(struct stream_ctx *ctx, struct flow *f, int dir, const struct decoded *d, uint64_t now_us)
{
    if (!ctx || !f || !f->stream || !d || dir < 0 || dir > 1)
        return;
    /* Older business first: holes that timed out, then what this packet acknowledges, then its own bytes. */
    gaps_timed_out(ctx, f, dir ^ 1, now_us);
    gaps_timed_out(ctx, f, dir, now_us);
    if (d->tcp_flags & TH_ACK)
        stream_ack(ctx, f, dir ^ 1, d->tcp_ack);
    stream_segment(ctx, f, dir, d, now_us);
    if (d->payload_missing)
        stream_cut_tail(ctx, f, dir, d);
    gaps_acked(ctx, f, dir); /* data just held behind a hole the receiver had already acknowledged */
    held_track(ctx, f);
}

void stream_timeout(struct stream_ctx *ctx, uint64_t now_us)
{
    if (!ctx || now_us < ctx->held_next_check_us)
        return;
    uint64_t next = UINT64_MAX;
    struct flow *f = ctx->held;
    while (f) {
        struct flow *later = f->held_next; /* f may leave the list below */
        gaps_timed_out(ctx, f, 0, now_us);
        gaps_timed_out(ctx, f, 1, now_us);
        held_track(ctx, f);
        if (held_listed(ctx, f)) {
            uint64_t due = held_due(ctx, f);
            if (due < next)
                next = due;
        }
        f = later;
    }
    ctx->held_next_check_us = next;
}

void stream_flow_end(struct stream_ctx *ctx, struct flow *f)
{
    if (!ctx || !f || !f->stream)
        return;
    held_unlink(ctx, f);
    for (int dir = 0; dir < 2; dir++) {
        struct tcp_stream *st = &f->stream[dir];
        while (st->ooo && !st->depth_reached)
            give_up_first_hole(ctx, f, dir, GAP_FLOW_END);
        /* Bytes missing before a FIN that was seen are lost too. */
        if (st->isn_known && st->fin_seen && !st->depth_reached && SEQ_GT(st->fin_seq, st->next_seq) &&
            (uint32_t)SEQ_DIFF(st->fin_seq, st->next_seq) <= STREAM_MAX_DISTANCE)
            skip_to(ctx, f, dir, st->fin_seq, GAP_FLOW_END);
        free_held(ctx, st);
    }
}
