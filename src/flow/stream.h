/*
 * stream.h - TCP reassembly, one `struct tcp_stream` per direction of a flow.
 *
 * stream_packet() takes every TCP packet of a flow (after flow.c has tracked
 * the connection state and told which direction it goes) and delivers that
 * direction's bytes in sequence order, exactly once, to the sink:
 *   - the first data seen for a sequence range wins; a later segment that
 *     overlaps it with different bytes is reported (on_anomaly event
 *     "overlap_different_data", anomaly type "stream") and its differing
 *     bytes are dropped;
 *   - retransmissions are counted and not delivered again; a retransmission
 *     that covers one of the last STREAM_SEEN_RECORDS delivered pieces is
 *     compared with it (by keyed hash) and reported the same way if it differs;
 *   - segments ahead of the next expected byte are buffered, bounded by a
 *     per-direction limit and by the global stream memcap.  A hole before
 *     them is given up as a gap (the sink is told with on_gap(len), then the
 *     later bytes are delivered) as soon as the other direction acknowledges
 *     bytes at or beyond the held data (the receiver has what we missed), or
 *     cfg.gap_timeout_s of packet time after the data behind it was seen, or
 *     when a limit is reached, or when the flow ends (stream.c: the gap policy);
 *   - a flow picked up midstream (no SYN seen) starts at the first data
 *     segment seen in each direction;
 *   - sequence numbers wrap (RFC 9293 modular arithmetic).
 * Memory: segment copies are charged to ctx->mc; nothing grows without bound.
 */
#ifndef MEDSENTRY_FLOW_STREAM_H
#define MEDSENTRY_FLOW_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/memcap.h"
#include "core/stats.h"

struct flow;
struct decoded;
struct tcp_segment; /* stream.c: an out-of-order segment held for later */

/*
 * Private to stream.c: a fingerprint of one piece already given to the sink,
 * so that a retransmission of it with different bytes can be recognised
 * without keeping the bytes.  16 bytes each, STREAM_SEEN_RECORDS per direction.
 */
#define STREAM_SEEN_RECORDS 8
/* The last bytes delivered per direction, kept verbatim so that an overlap reaching into them (a retransmission
 * that extends or shifts the last segment, a classic evasion) is compared byte for byte. */
#define STREAM_TAIL_BYTES 128
struct tcp_seen {
    uint32_t seq;  /* first byte of the piece */
    uint32_t len;  /* 0 = unused slot */
    uint64_t hash; /* keyed hash of its bytes */
};

struct tcp_stream {
    bool isn_known; /* a SYN (or first data when midstream) fixed the start */
    bool fin_seen, rst_seen, ack_valid;
    uint32_t isn;            /* initial sequence number (SYN's seq; midstream: first data seq - 1) */
    uint32_t next_seq;       /* next byte expected in order */
    uint32_t fin_seq;        /* sequence number of the FIN */
    uint64_t delivered;      /* bytes given to the sink */
    uint64_t gap_bytes;      /* bytes skipped as gaps */
    uint32_t ooo_bytes;      /* bytes held out of order */
    uint32_t ooo_count;      /* segments held out of order */
    struct tcp_segment *ooo; /* held segments, sorted by seq, non-overlapping */
    bool depth_reached;      /* stream.depth bytes delivered: nothing more is reassembled */
    /* private to stream.c */
    uint8_t seen_next;                         /* ring position in seen[] */
    uint8_t tail_pos;                          /* next write position in tail[] */
    uint8_t tail_len;                          /* valid bytes in tail[], ending at next_seq */
    uint32_t ack_max;                          /* if ack_valid: highest ACK of these bytes from the peer */
    struct tcp_seen seen[STREAM_SEEN_RECORDS]; /* last pieces delivered */
    uint8_t tail[STREAM_TAIL_BYTES];           /* last bytes delivered (ring) */
};

/* Where in-order bytes go.  Called synchronously from stream_packet / stream_flow_end. */
struct stream_sink {
    void (*on_data)(void *user, struct flow *f, int dir, const uint8_t *data, size_t len);
    void (*on_gap)(void *user, struct flow *f, int dir, uint64_t len);
    void (*on_anomaly)(void *user, struct flow *f, int dir, const char *event);
    void *user;
};

struct stream_cfg {
    uint64_t memcap;           /* all segments held, all flows of this worker */
    uint64_t max_ooo_bytes;    /* held out of order per direction */
    uint32_t max_ooo_segments; /* held out of order per direction */
    uint64_t depth;            /* bytes per direction delivered; 0 = no limit */
    uint32_t gap_timeout_s;    /* a hole pending this long (packet time) is a gap; 0 = only ACKs, limits, flow end */
};
/* stream.*: the key table is in stream.c. */
extern const struct config_module stream_config_module;

struct stream_ctx {
    struct stream_cfg cfg;
    struct memcap mc;
    struct stats *stats;
    struct stream_sink sink;
    uint64_t hash_key; /* private: keys tcp_seen hashes, random per context */
    /* private: flows holding out-of-order data (linked through flow->held_prev/next) and the earliest packet
     * time at which one of their holes can time out (UINT64_MAX: none) */
    struct flow *held;
    uint64_t held_next_check_us;
    uint64_t gap_timeout_us; /* private: cfg.gap_timeout_s */
};

int stream_ctx_init(struct stream_ctx *ctx, const struct stream_cfg *cfg, struct stats *stats,
                    const struct stream_sink *sink);
void stream_ctx_free(struct stream_ctx *ctx);

/* One TCP packet of flow f in direction dir (0 to server, 1 to client), processed at packet time now_us (the
 * worker's clock: never earlier than a previous call's).  Bytes it delivers, in either direction, go out now. */
void stream_packet(struct stream_ctx *ctx, struct flow *f, int dir, const struct decoded *d, uint64_t now_us);

/* Packet time has reached now_us: give up the holes whose gap timeout has passed, in flows that went quiet.
 * Cheap when nothing is due (one comparison); the engine calls it on every tick. */
void stream_timeout(struct stream_ctx *ctx, uint64_t now_us);

/* The flow is ending: deliver what is held (skipping holes as gaps) and free it. */
void stream_flow_end(struct stream_ctx *ctx, struct flow *f);

#endif
