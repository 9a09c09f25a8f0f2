/*
 * ipv6.c - the IPv6 header and its extension header chain (RFC 8200 sections
 * 3 and 4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                  Source Address (16 octets)                   |
 *   |                Destination Address (16 octets)                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (section 4), walked in a loop capped at
 * IPV6_MAX_EXTHDRS, each checked against the payload length:
 *
 *   Hop-by-Hop 0, Routing 43, Destination Options 60, Mobility 135 (RFC 6275),
 *   HIP 139, Shim6 140:   | Next Header | Hdr Ext Len | ... |  (Len+1)*8 octets
 *   Authentication 51 (RFC 4302): same two bytes, (Len+2)*4 octets
 *   Fragment 44 (section 4.5), 8 octets:
 *     | Next Header | Reserved | Fragment Offset (13) |Res|M| Identification (32) |
 *   ESP 50 and No Next Header 59 end the chain (the rest is opaque).
 *
 * A Payload Length of 0 with a Jumbo Payload option (RFC 2675) is out of scope:
 * the payload is taken as empty.  A payload longer than the capture is
 * invalid (IPV6_TRUNC_PKT); bytes after it are padding.
 *
 * An atomic fragment (offset 0, M clear; RFC 6946) is decoded in place.  Other
 * fragments go to defrag.c with the unfragmentable part (everything before the
 * Fragment header); a second Fragment header is an anomaly.  In the first
 * fragment the chain after the Fragment header is looked at only to spot such a
 * second header: headers cut by the fragment boundary are legitimate there.
 */
#include "core/bytes.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

#define IPV6_MAX_EXTHDRS  16
#define IPV6_FRAG_HDR_LEN 8

/* Is nh one of the extension headers walked here (ESP and 59 end the chain)? */
static bool ipv6_is_exthdr(uint8_t nh)
{
    switch (nh) {
    case IPPROTO_NUM_HOPOPTS:
    case IPPROTO_NUM_ROUTING:
    case IPPROTO_NUM_FRAGMENT:
    case IPPROTO_NUM_AH:
    case IPPROTO_NUM_DSTOPTS:
    case IPPROTO_NUM_MOBILITY:
    case IPPROTO_NUM_HIP:
    case IPPROTO_NUM_SHIM6: return true;
    default: return false;
    }
}

/*
 * Check and take apart one IPv6 header and its chain.  A fragment fills *frag
 * and returns DECODE_FRAGMENT without touching the transport layer.
 */
static enum decode_result ipv6_decode_header(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len,
                                             struct defrag_frag *frag)
{
    if (len < IPV6_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_IPV6_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    if (p[0] >> 4 != 6) {
        decode_anomaly(ctx, d, DEV_IPV6_WRONG_IP_VER);
        return DECODE_INVALID;
    }
    uint32_t end = IPV6_HDR_LEN + (uint32_t)rd_be16(p + 4);
    if (end > len) {
        /* cut by the snap length: decode what is there (a cut fragment is refused when its header is found) */
        if (!decoded_snap_cut(d)) {
            decode_anomaly(ctx, d, DEV_IPV6_TRUNC_PKT);
            return DECODE_INVALID;
        }
        d->payload_missing = end - len;
        end = len;
    }
    d->ip_version = 6;
    ip_addr_set6(&d->src, p + 8);
    ip_addr_set6(&d->dst, p + 24);
    d->ttl = p[7];
    d->l3 = p;
    d->l3_len = end;

    uint8_t nh = p[6];
    uint32_t nh_off = 6; /* where the byte naming the current header is */
    uint32_t off = IPV6_HDR_LEN;
    unsigned count = 0;
    bool have_frag = false; /* a non-atomic fragment: only peeking after its header */
    bool seen_fh = false;

    while (ipv6_is_exthdr(nh)) {
        uint32_t avail = end - off;
        if (++count > IPV6_MAX_EXTHDRS) {
            if (have_frag)
                break;
            decode_anomaly(ctx, d, DEV_IPV6_EXTHDR_TOO_MANY);
            return DECODE_INVALID;
        }
        uint32_t hl;
        if (nh == IPPROTO_NUM_FRAGMENT)
            hl = IPV6_FRAG_HDR_LEN;
        else if (avail < 2)
            hl = UINT32_MAX;
        else if (nh == IPPROTO_NUM_AH)
            hl = ((uint32_t)p[off + 1] + 2) * 4;
        else
            hl = ((uint32_t)p[off + 1] + 1) * 8;
        if (hl > avail) {
            if (have_frag)
                break;
            decode_anomaly(ctx, d, DEV_IPV6_TRUNC_EXTHDR);
            return DECODE_INVALID;
        }
        if (nh == IPPROTO_NUM_FRAGMENT) {
            if (seen_fh || d->reassembled) {
                decode_anomaly(ctx, d, DEV_IPV6_EXTHDR_DUPL_FH);
                return DECODE_INVALID;
            }
            seen_fh = true;
            uint16_t fo = rd_be16(p + off + 2);
            uint32_t foff = fo & 0xfff8u; /* 13-bit offset in 8-octet units, already shifted */
            bool more = (fo & 1) != 0;
            if ((foff != 0 || more) && d->payload_missing) {
                decode_anomaly(ctx, d, DEV_IPV6_TRUNC_PKT); /* a fragment cut short cannot be reassembled */
                return DECODE_INVALID;
            }
            if (foff != 0 || more) {
                *frag = (struct defrag_frag){
                    .family = 6,
                    .hdr = p,
                    .hdr_len = off,
                    .nh_off = nh_off,
                    .proto = p[off],
                    .id = rd_be32(p + off + 4),
                    .offset = foff,
                    .more = more,
                    .data = p + off + IPV6_FRAG_HDR_LEN,
                    .len = end - off - IPV6_FRAG_HDR_LEN,
                };
                d->ipproto = p[off];
                if (foff != 0)
                    return DECODE_FRAGMENT;
                have_frag = true; /* first fragment: peek on for a second Fragment header */
            }
        }
        nh = p[off];
        nh_off = off;
        off += hl;
    }
    if (have_frag)
        return DECODE_FRAGMENT;
    d->ipproto = nh;
    return decode_transport(ctx, d, nh, p + off, end - off);
}

enum decode_result decode_ipv6(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->ipv6++;
    /* the reassembled datagram has no Fragment header left; one found there is refused as a duplicate */
    return decode_ip_datagram(ctx, d, p, len, ipv6_decode_header, DEV_IPV6_FRAG_IGNORED);
}
