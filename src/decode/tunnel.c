/*
 * tunnel.c - encapsulations a mirror port or a capture brings: IP in IP, GRE
 * (with ERSPAN, transparent Ethernet bridging and PPP), VXLAN, and PPP itself
 * (the PPP link types and PPPoE sessions).
 *
 * A tunnel decoder does not decode what it carries.  It checks its own header,
 * stores where the inner packet starts and what it is (d->next_*) and returns
 * DECODE_TUNNEL; decode_packet() then decodes the inner packet in a loop,
 * at most DECODE_MAX_TUNNELS deep, so hostile nesting can neither recurse nor
 * loop.  The inner packet's addresses and ports are the flow's; the outermost
 * tunnel's addresses stay in d->outer_src/outer_dst.
 *
 * IP in IP: protocol 4 carries IPv4 (RFC 2003), 41 carries IPv6 (RFC 2473,
 * RFC 4213); the inner datagram is the outer payload.
 *
 * GRE (RFC 2784, key and sequence RFC 2890):
 *    0                   1                   2                   3
 *   |C| |K|S| Reserved0       | Ver |         Protocol Type         |
 *   |      Checksum (optional)      |       Reserved1 (optional)    |
 *   |                         Key (optional)                        |
 *   |                 Sequence Number (optional)                    |
 * Version 0 only, but version 1 (enhanced GRE of PPTP, RFC 2637 4.1) is
 * accepted when it carries PPP: it has the key field always and an optional
 * acknowledgement number (A bit, 0x0080).  Routing (R bit) is refused.
 * Protocol types: 0x0800 IPv4, 0x86dd IPv6, 0x6558 transparent Ethernet
 * bridging, 0x880b PPP, 0x88be ERSPAN type I (no sequence number) or II,
 * 0x22eb ERSPAN type III.
 *
 * ERSPAN (draft-foschiano-erspan-03): type II has an 8-byte header (version 1
 * in the top nibble), type III a 12-byte one (version 2) plus 8 bytes of
 * platform-specific subheader when the O bit (0x01 of byte 11) is set; type I
 * none.  The mirrored Ethernet frame follows.
 *
 * VXLAN (RFC 7348): UDP to port 4789 (decoder.vxlan-port), an 8-byte header
 * whose I flag (0x08 of byte 0) is set, then an Ethernet frame.  A datagram on
 * that port without the flag stays plain UDP.
 *
 * PPP (RFC 1661 2, RFC 1662 3.1): an optional 0xff 0x03 address/control, then
 * a protocol field of one byte (odd) or two; 0x0021 IPv4, 0x0057 IPv6; other
 * protocols (LCP, IPCP, ...) are not IP.  PPPoE session frames (RFC 2516 4,
 * ethertype 0x8864): 6 bytes of header, version and type 1, code 0.
 */
#include "core/bytes.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

#define GRE_HDR_MIN      4
#define GRE_FLAG_C       0x8000
#define GRE_FLAG_R       0x4000
#define GRE_FLAG_K       0x2000
#define GRE_FLAG_S       0x1000
#define GRE_FLAG_A       0x0080 /* version 1: acknowledgement number present */
#define GRE_VERSION_MASK 0x0007

#define ERSPAN2_HDR_LEN    8
#define ERSPAN3_HDR_LEN    12
#define ERSPAN3_SUBHDR_LEN 8

#define VXLAN_HDR_LEN 8

#define PPPOE_HDR_LEN 6

#define PPP_PROTO_IPV4 0x0021
#define PPP_PROTO_IPV6 0x0057

static enum decode_result tunnel_next(struct decoded *d, uint16_t ethertype, const uint8_t *p, uint32_t len)
{
    d->next_ethertype = ethertype;
    d->next_p = p;
    d->next_len = len;
    return DECODE_TUNNEL;
}

enum decode_result decode_ipip(struct decode_ctx *ctx, struct decoded *d, uint8_t ipproto, const uint8_t *p,
                               uint32_t len)
{
    ctx->stats->ipip++;
    return tunnel_next(d, ipproto == IPPROTO_NUM_IPIP ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, p, len);
}

/* The PPP protocol field (after an optional address/control) -> the inner IP version, or DECODE_NOT_IP. */
enum decode_result decode_ppp(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->ppp++;
    if (len >= 2 && p[0] == 0xff && p[1] == 0x03) {
        p += 2;
        len -= 2;
    }
    if (len < 1) {
        decode_anomaly(ctx, d, DEV_PPP_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    uint16_t proto;
    if (p[0] & 1) { /* protocol field compression: one byte */
        proto = p[0];
        p += 1;
        len -= 1;
    } else {
        if (len < 2) {
            decode_anomaly(ctx, d, DEV_PPP_PKT_TOO_SMALL);
            return DECODE_INVALID;
        }
        proto = rd_be16(p);
        p += 2;
        len -= 2;
    }
    switch (proto) {
    case PPP_PROTO_IPV4: return tunnel_next(d, ETHERTYPE_IPV4, p, len);
    case PPP_PROTO_IPV6: return tunnel_next(d, ETHERTYPE_IPV6, p, len);
    default: return DECODE_NOT_IP; /* LCP, IPCP, CHAP, ...: link control, not analysed */
    }
}

enum decode_result decode_pppoe_session(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->pppoe++;
    if (len < PPPOE_HDR_LEN + 2) {
        decode_anomaly(ctx, d, DEV_PPPOE_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    if (p[0] != 0x11 || p[1] != 0x00) { /* version 1, type 1; code 0 in a session */
        decode_anomaly(ctx, d, DEV_PPPOE_WRONG_CODE);
        return DECODE_INVALID;
    }
    uint32_t plen = rd_be16(p + 4);
    len -= PPPOE_HDR_LEN;
    if (plen < len)
        len = plen; /* Ethernet padding after the PPP frame */
    /* the PPP frame of a session has no address/control field */
    return decode_ppp(ctx, d, p + PPPOE_HDR_LEN, len);
}

static enum decode_result decode_erspan(struct decode_ctx *ctx, struct decoded *d, bool type3, bool has_seq,
                                        const uint8_t *p, uint32_t len)
{
    ctx->stats->erspan++;
    if (!type3 && !has_seq) /* type I: the frame follows the GRE header directly */
        return tunnel_next(d, DECODE_NEXT_ETHERNET, p, len);
    uint32_t hlen = type3 ? ERSPAN3_HDR_LEN : ERSPAN2_HDR_LEN;
    if (len < hlen) {
        decode_anomaly(ctx, d, DEV_ERSPAN_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    uint8_t ver = p[0] >> 4;
    if (ver != (type3 ? 2 : 1)) {
        decode_anomaly(ctx, d, DEV_ERSPAN_UNSUPPORTED_VERSION);
        return DECODE_INVALID;
    }
    if (type3 && (p[11] & 0x01)) {
        hlen += ERSPAN3_SUBHDR_LEN;
        if (len < hlen) {
            decode_anomaly(ctx, d, DEV_ERSPAN_PKT_TOO_SMALL);
            return DECODE_INVALID;
        }
    }
    return tunnel_next(d, DECODE_NEXT_ETHERNET, p + hlen, len - hlen);
}

enum decode_result decode_gre(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->gre++;
    if (len < GRE_HDR_MIN) {
        decode_anomaly(ctx, d, DEV_GRE_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    uint16_t flags = rd_be16(p);
    uint16_t proto = rd_be16(p + 2);
    uint16_t ver = flags & GRE_VERSION_MASK;
    uint32_t hlen = GRE_HDR_MIN;
    if (ver > 1 || (flags & GRE_FLAG_R) || (ver == 1 && (proto != ETHERTYPE_PPP || !(flags & GRE_FLAG_K)))) {
        decode_anomaly(ctx, d, DEV_GRE_UNSUPPORTED);
        return DECODE_INVALID;
    }
    if (flags & GRE_FLAG_C)
        hlen += 4;
    if (flags & GRE_FLAG_K)
        hlen += 4;
    if (flags & GRE_FLAG_S)
        hlen += 4;
    if (ver == 1 && (flags & GRE_FLAG_A))
        hlen += 4;
    if (len < hlen) {
        decode_anomaly(ctx, d, DEV_GRE_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    p += hlen;
    len -= hlen;
    switch (proto) {
    case ETHERTYPE_IPV4:
    case ETHERTYPE_IPV6: return tunnel_next(d, proto, p, len);
    case ETHERTYPE_TEB: return tunnel_next(d, DECODE_NEXT_ETHERNET, p, len);
    case ETHERTYPE_PPP: return decode_ppp(ctx, d, p, len);
    case ETHERTYPE_ERSPAN: return decode_erspan(ctx, d, false, (flags & GRE_FLAG_S) != 0, p, len);
    case ETHERTYPE_ERSPAN3: return decode_erspan(ctx, d, true, true, p, len);
    default: return DECODE_NOT_IP; /* keepalives, MPLS, WCCP, ...: not analysed */
    }
}

bool decode_vxlan(struct decode_ctx *ctx, struct decoded *d)
{
    if (!ctx->cfg.vxlan_port || d->dport != ctx->cfg.vxlan_port || d->payload_len < VXLAN_HDR_LEN ||
        d->payload_missing || !(d->payload[0] & 0x08))
        return false;
    ctx->stats->vxlan++;
    tunnel_next(d, DECODE_NEXT_ETHERNET, d->payload + VXLAN_HDR_LEN, d->payload_len - VXLAN_HDR_LEN);
    return true;
}
