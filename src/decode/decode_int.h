/*
 * decode_int.h - what the files of src/decode/ share and nobody else needs:
 * the defragmenter's entry points (defrag.c) and a few protocol constants.
 *
 * The defragmenter is told about one fragment at a time by ipv4.c or ipv6.c,
 * already checked against its own IP header, and answers with a result and,
 * when the datagram is complete, the reassembled datagram (RFC 791 section
 * 3.2 "Fragmentation and Reassembly", RFC 8200 section 4.5).
 */
#ifndef MEDSENTRY_DECODE_DECODE_INT_H
#define MEDSENTRY_DECODE_DECODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"

/* Ethertypes (IEEE 802.3 clause 3.2.6, IEEE 802.1Q). */
#define ETHERTYPE_IPV4     0x0800
#define ETHERTYPE_IPV6     0x86dd
#define ETHERTYPE_VLAN     0x8100 /* 802.1Q C-tag */
#define ETHERTYPE_QINQ     0x88a8 /* 802.1ad S-tag */
#define ETHERTYPE_QINQ_OLD 0x9100 /* pre-standard QinQ, still seen on switches */
#define ETHERTYPE_MIN      0x0600 /* below: an 802.3 length field, not a type */
#define ETHERTYPE_PPPOE    0x8864 /* PPPoE session stage (RFC 2516) */
#define ETHERTYPE_TEB      0x6558 /* transparent Ethernet bridging: an Ethernet frame (GRE) */
#define ETHERTYPE_PPP      0x880b /* PPP (GRE) */
#define ETHERTYPE_ERSPAN   0x88be /* ERSPAN type I and II (GRE) */
#define ETHERTYPE_ERSPAN3  0x22eb /* ERSPAN type III (GRE) */
/* d->next_ethertype of a tunnel that carries an Ethernet frame (0 is no ethertype: below ETHERTYPE_MIN) */
#define DECODE_NEXT_ETHERNET 0

/* IP protocol numbers (IANA "Assigned Internet Protocol Numbers"). */
#define IPPROTO_NUM_HOPOPTS  0
#define IPPROTO_NUM_ICMP     1
#define IPPROTO_NUM_IPIP     4 /* IPv4 in IP */
#define IPPROTO_NUM_TCP      6
#define IPPROTO_NUM_UDP      17
#define IPPROTO_NUM_IPV6     41 /* IPv6 in IP */
#define IPPROTO_NUM_ROUTING  43
#define IPPROTO_NUM_FRAGMENT 44
#define IPPROTO_NUM_GRE      47
#define IPPROTO_NUM_ESP      50
#define IPPROTO_NUM_AH       51
#define IPPROTO_NUM_ICMPV6   58
#define IPPROTO_NUM_NONE     59
#define IPPROTO_NUM_DSTOPTS  60
#define IPPROTO_NUM_MOBILITY 135
#define IPPROTO_NUM_HIP      139
#define IPPROTO_NUM_SHIM6    140

#define IPV4_HDR_MIN    20
#define IPV6_HDR_LEN    40
#define IP_MAX_DATAGRAM 65535u /* IPv4 total length / IPv6 payload length ceiling */

/* Defaults for configuration values left at 0. */
#define DECODE_DEFAULT_DEFRAG_TIMEOUT_S 60
#define DECODE_DEFAULT_DEFRAG_MAX_FRAGS 256

/* One fragment, as the IP layer hands it to the defragmenter. */
struct defrag_frag {
    uint8_t family;     /* 4 or 6 */
    const uint8_t *hdr; /* IPv4: the IP header; IPv6: the unfragmentable part (fixed header + extension
                         * headers before the fragment header) */
    uint32_t hdr_len;
    uint32_t nh_off;     /* IPv6: offset in hdr of the Next Header byte that names the fragment header */
    uint8_t proto;       /* IPv4: protocol; IPv6: Next Header of the fragment header */
    uint32_t id;         /* IPv4: 16-bit identification; IPv6: 32-bit identification */
    uint32_t offset;     /* fragment offset in bytes */
    bool more;           /* MF / M flag */
    const uint8_t *data; /* fragment data (after the IP header / fragment header) */
    uint32_t len;
};

struct defrag *defrag_new(void);
void defrag_free(struct decode_ctx *ctx, struct defrag *df);

/*
 * Hand one fragment over.  DECODE_OK: the datagram is complete and *out, *out_len
 * hold it (in the defragmenter's buffer, valid until the next call);
 * DECODE_FRAGMENT: held, or dropped for a resource limit (anomaly reported);
 * DECODE_INVALID: the fragment itself is malformed (anomaly reported).
 */
enum decode_result defrag_insert(struct decode_ctx *ctx, struct decoded *d, const struct defrag_frag *f,
                                 const uint8_t **out, uint32_t *out_len);

/* Header decoder of one IP version: fills d and, for a fragment, *frag (returning DECODE_FRAGMENT). */
typedef enum decode_result (*ip_header_fn)(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len,
                                           struct defrag_frag *frag);

/*
 * Decode an IP datagram with hdr; a fragment goes to the defragmenter, and a datagram it completes is decoded
 * once more as a whole (d->reassembled).  A fragment found again in a reassembled datagram is refused with
 * the anomaly `ignored` rather than looped on.
 */
enum decode_result decode_ip_datagram(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len,
                                      ip_header_fn hdr, enum decode_event ignored);

/* Drop datagrams older than the timeout at time now_us. */
void defrag_expire(struct decode_ctx *ctx, uint64_t now_us);

/* Transport decoders, called through decode_transport(). */
enum decode_result decode_tcp(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_udp(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_icmpv4(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_icmpv6(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);

/* Tunnel decoders (tunnel.c): each checks its header and returns DECODE_TUNNEL with d->next_* set to the
 * inner packet, which decode_packet() decodes next; or DECODE_NOT_IP / DECODE_INVALID. */
enum decode_result decode_ipip(struct decode_ctx *ctx, struct decoded *d, uint8_t ipproto, const uint8_t *p,
                               uint32_t len);
enum decode_result decode_gre(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_ppp(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
enum decode_result decode_pppoe_session(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len);
/* A decoded UDP datagram to the VXLAN port with a valid header: d->next_* set, true. */
bool decode_vxlan(struct decode_ctx *ctx, struct decoded *d);

/* The packet time of the frame being decoded (0 when a unit test calls a layer decoder directly). */
static inline uint64_t decode_now(const struct decoded *d)
{
    return d->pkt ? d->pkt->ts_us : 0;
}

#endif
