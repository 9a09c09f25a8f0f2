/*
 * decode.h - packet decoding: link layer -> IPv4/IPv6 (+fragments) -> TCP/UDP/ICMP.
 *
 * decode_packet() fills a `struct decoded` with layer pointers, addresses and
 * the transport fields the flow and stream stages need.  It never allocates
 * except inside the defragmenter, whose memory is capped by its memcap.  A
 * malformed or truncated header is reported through decode_ctx.on_event
 * (an anomaly) and counted in stats.decode_events; it never crashes.
 *
 * Files: ethernet.c (Ethernet, 802.1Q, QinQ 802.1ad), sll.c (Linux SLL, SLL2),
 * null.c (BSD NULL/LOOP), ipv4.c, ipv6.c (extension header chain), tcp.c,
 * udp.c, icmp.c, defrag.c (IPv4 RFC 791 / IPv6 RFC 8200 section 4.5 reassembly),
 * tunnel.c (IP in IP, GRE, ERSPAN, VXLAN, PPP, PPPoE: the inner packet is the
 * one analysed, decoded in decode_packet()'s loop, DECODE_MAX_TUNNELS deep).
 */
#ifndef MEDSENTRY_DECODE_DECODE_H
#define MEDSENTRY_DECODE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/memcap.h"
#include "core/packet.h"
#include "core/stats.h"

#define DECODE_MAX_VLAN    2
#define DECODE_MAX_TUNNELS 3 /* encapsulations decoded inside one frame; deeper is an anomaly */

/* TCP flag bits as in the header. */
#define TH_FIN  0x01
#define TH_SYN  0x02
#define TH_RST  0x04
#define TH_PUSH 0x08
#define TH_ACK  0x10
#define TH_URG  0x20
#define TH_ECE  0x40
#define TH_CWR  0x80

struct decoded {
    const struct packet *pkt;

    /* link */
    bool has_mac;
    uint8_t src_mac[6], dst_mac[6];
    uint8_t vlan_count;
    uint16_t vlan[DECODE_MAX_VLAN]; /* VLAN ids, outermost first */

    /* tunnels: the fields below describe the innermost packet; the outermost tunnel's endpoints are here */
    uint8_t tunnel_depth; /* encapsulations taken off (0: none) */
    uint8_t outer_ip_version;
    struct ip_addr outer_src, outer_dst;
    /* set by a tunnel decoder returning DECODE_TUNNEL: what comes next (an ethertype, or DECODE_NEXT_ETHERNET) */
    uint16_t next_ethertype;
    const uint8_t *next_p;
    uint32_t next_len;

    /* From here to the end: one packet's network, transport and payload fields, cleared together when a tunnel's
     * inner packet replaces the outer one (decode_packet). */
    /* network */
    uint8_t ip_version; /* 4, 6, or 0 if not IP */
    struct ip_addr src, dst;
    uint8_t ipproto;   /* transport protocol after IPv6 extension headers */
    uint8_t ttl;       /* TTL / hop limit */
    const uint8_t *l3; /* IP header start */
    uint32_t l3_len;   /* IP datagram length (header + payload, as the header says, clipped to caplen) */
    bool reassembled;  /* datagram rebuilt from fragments; l3 points into defrag memory */

    /* transport */
    const uint8_t *l4;
    uint32_t l4_len;
    uint16_t sport, dport; /* 0 for ICMP */
    uint8_t icmp_type, icmp_code;

    /* TCP */
    uint8_t tcp_flags;
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint16_t tcp_mss;   /* 0 if absent */
    uint8_t tcp_wscale; /* valid if tcp_has_wscale */
    bool tcp_has_wscale, tcp_sack_permitted, tcp_has_ts;
    uint32_t tcp_tsval, tcp_tsecr;

    /* application payload (TCP/UDP data) */
    const uint8_t *payload;
    uint32_t payload_len;
    /* Bytes the datagram had on the wire past the end of the capture (snap length): they belong to the payload,
     * which is cut short by this much.  Reassembly turns them into a gap.  0 for complete packets. */
    uint32_t payload_missing;
};

/* A frame the capture cut short (snap length): its IP length may exceed the bytes present. */
static inline bool decoded_snap_cut(const struct decoded *d)
{
    return d->pkt && d->pkt->caplen < d->pkt->wirelen;
}

/* What decode_packet() made of a packet. */
enum decode_result {
    DECODE_OK,       /* transport decoded (TCP, UDP, ICMP, or another IP protocol with ipproto set) */
    DECODE_FRAGMENT, /* an IP fragment held by the defragmenter; nothing more to do yet */
    DECODE_NOT_IP,   /* ARP, LLDP, ...: counted, not analysed */
    DECODE_INVALID,  /* malformed; an anomaly was reported */
    DECODE_TUNNEL,   /* internal to the decoder: an encapsulation, d->next_* is the inner packet */
};

struct defrag; /* defrag.c */

struct decode_cfg {
    uint64_t defrag_memcap;    /* bytes for fragments held */
    uint32_t defrag_timeout_s; /* a datagram not complete after this (packet time) is dropped */
    uint32_t defrag_max_frags; /* fragments per datagram; more is an anomaly and the datagram is dropped */
    uint32_t max_vlan_layers;  /* up to DECODE_MAX_VLAN */
    uint32_t vxlan_port;       /* UDP destination port of VXLAN (decoder.vxlan-port); 0 = VXLAN not decoded */
};
/* decoder.* and defrag.*: the key table is in decode.c. */
extern const struct config_module decode_config_module;

struct decode_ctx {
    struct decode_cfg cfg;
    struct stats *stats;
    struct memcap defrag_mc;
    struct defrag *defrag;
    /* Called once per anomaly; d has whatever was decoded before the fault (addresses may be unset). */
    void (*on_event)(void *user, const struct decoded *d, enum decode_event ev);
    void *user;
};

/* Set up / tear down a decoder context (allocates the defragmenter). 0 on success. */
int decode_ctx_init(struct decode_ctx *ctx, const struct decode_cfg *cfg, struct stats *stats);
void decode_ctx_free(struct decode_ctx *ctx);

/*
 * Decode one frame.  On DECODE_OK every pointer in d points into pkt->data, or
 * into the defragmenter's buffer when d->reassembled, valid until the next call.
 */
enum decode_result decode_packet(struct decode_ctx *ctx, const struct packet *pkt, struct decoded *d);

/* Drop fragment state older than the timeout at packet time now_us. Cheap; call often. */
void decode_expire(struct decode_ctx *ctx, uint64_t now_us);

/* Layer decoders, used by decode_packet and by unit tests.  Each returns a decode_result. */
enum decode_result decode_ethernet(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_sll(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_sll2(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_null(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_raw(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ethertype(struct decode_ctx *ctx, struct decoded *d, uint16_t ethertype, const uint8_t *p,
                                    uint32_t len);
enum decode_result decode_ipv4(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ipv6(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_transport(struct decode_ctx *ctx, struct decoded *d, uint8_t ipproto, const uint8_t *p,
                                    uint32_t len);

/* Report an anomaly: count it and call ctx->on_event. */
void decode_anomaly(struct decode_ctx *ctx, const struct decoded *d, enum decode_event ev);

#endif
