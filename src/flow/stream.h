/*
 * stream.h - TCP reassembly, one `struct tcp_stream` per direction of a flow.
 *
 * stream_packet() takes every TCP packet of a flow (after flow.c has tracked
 * the connection state and told which direction it goes) and delivers that
 * direction's bytes in sequence order, exactly once, to the sink:
 *   - the first data seen for a sequence range wins; a later segment that
 *     overlaps it with different bytes is reported (anomaly
 *     "stream.overlap_different_data") and its differing bytes are dropped;
 *   - retransmissions are counted and not delivered again;
 *   - segments ahead of the next expected byte are buffered, bounded by a
 *     per-direction limit and by the global stream memcap; when either is
 *     reached, or the flow ends with a hole, the hole is skipped and the sink
 *     is told with on_gap(len) before the later bytes are delivered;
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

#include "core/memcap.h"
#include "core/stats.h"

struct flow;
struct decoded;
struct tcp_segment; /* stream.c: an out-of-order segment held for later */

struct tcp_stream {
    bool isn_known;              /* a SYN (or first data when midstream) fixed the start */
    bool fin_seen, rst_seen;
    uint32_t isn;                /* initial sequence number (SYN's seq) */
    uint32_t next_seq;           /* next byte expected in order */
    uint32_t fin_seq;            /* sequence number of the FIN */
    uint64_t delivered;          /* bytes given to the sink */
    uint64_t gap_bytes;          /* bytes skipped as gaps */
    uint32_t ooo_bytes;          /* bytes held out of order */
    uint32_t ooo_count;          /* segments held out of order */
    struct tcp_segment *ooo;     /* held segments, sorted by seq, non-overlapping */
    bool depth_reached;          /* stream.depth bytes delivered: nothing more is reassembled */
};

/* Where in-order bytes go.  Called synchronously from stream_packet / stream_flow_end. */
struct stream_sink {
    void (*on_data)(void *user, struct flow *f, int dir, const uint8_t *data, size_t len);
    void (*on_gap)(void *user, struct flow *f, int dir, uint64_t len);
    void (*on_anomaly)(void *user, struct flow *f, int dir, const char *event);
    void *user;
};

struct stream_cfg {
    uint64_t memcap;             /* all segments held, all flows of this worker */
    uint32_t max_ooo_bytes;      /* held out of order per direction */
    uint32_t max_ooo_segments;   /* held out of order per direction */
    uint64_t depth;              /* bytes per direction delivered; 0 = no limit */
};

struct stream_ctx {
    struct stream_cfg cfg;
    struct memcap mc;
    struct stats *stats;
    struct stream_sink sink;
};

int stream_ctx_init(struct stream_ctx *ctx, const struct stream_cfg *cfg, struct stats *stats,
                    const struct stream_sink *sink);
void stream_ctx_free(struct stream_ctx *ctx);

/* One TCP packet of flow f in direction dir (0 to server, 1 to client). */
void stream_packet(struct stream_ctx *ctx, struct flow *f, int dir, const struct decoded *d);

/* The flow is ending: deliver what is held (skipping holes as gaps) and free it. */
void stream_flow_end(struct stream_ctx *ctx, struct flow *f);

#endif
