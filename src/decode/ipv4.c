/*
 * ipv4.c - the IPv4 header (RFC 791 section 3.1) and its options.
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (IHL > 5)          |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: bit 0 reserved, DF 0x4000, MF 0x2000; offset in 8-octet units.
 *
 * Checks, in Suricata's order: at least 20 bytes, version 4, IHL >= 5, Total
 * Length >= IHL*4, Total Length <= captured bytes (a datagram cut by the snap
 * length is invalid, not half-decoded).  Bytes after Total Length are link
 * padding and ignored.  Options (section 3.1 "Options") are walked for
 * well-formedness only: End of Option List, No Operation, and type-length-value
 * with length >= 2 inside the header; a bad option is an anomaly but the
 * datagram is still decoded.  The checksum is not verified.
 *
 * A fragment (MF set or offset != 0) goes to defrag.c; when that completes a
 * datagram, its header is decoded once more with d->reassembled set, and then
 * its transport layer (two passes at most, never a loop: the reassembled
 * header has MF and offset clear).
 */
#include "core/bytes.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

#define IPV4_FLAG_MF     0x2000
#define IPV4_OFFSET_MASK 0x1fff

#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1

/* Walk the options in p[0..len); report the first fault and stop there. */
static void ipv4_check_options(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        uint8_t type = p[i];
        if (type == IPV4_OPT_EOL)
            return;
        if (type == IPV4_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2) { /* a type byte with no room for its length byte */
            decode_anomaly(ctx, d, DEV_IPV4_OPT_MALFORMED);
            return;
        }
        uint8_t olen = p[i + 1];
        if (olen < 2) {
            decode_anomaly(ctx, d, DEV_IPV4_OPT_INVALID_LEN);
            return;
        }
        if (olen > len - i) {
            decode_anomaly(ctx, d, DEV_IPV4_OPT_MALFORMED);
            return;
        }
        i += olen;
    }
}

/*
 * Check and take apart one IPv4 header.  A fragment fills *frag and returns
 * DECODE_FRAGMENT without touching the transport layer.
 */
static enum decode_result ipv4_decode_header(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len,
                                             struct defrag_frag *frag)
{
    if (len < IPV4_HDR_MIN) {
        decode_anomaly(ctx, d, DEV_IPV4_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    if (p[0] >> 4 != 4) {
        decode_anomaly(ctx, d, DEV_IPV4_WRONG_IP_VER);
        return DECODE_INVALID;
    }
    uint32_t hlen = (uint32_t)(p[0] & 0x0f) * 4;
    if (hlen < IPV4_HDR_MIN) {
        decode_anomaly(ctx, d, DEV_IPV4_HLEN_TOO_SMALL);
        return DECODE_INVALID;
    }
    uint32_t total = rd_be16(p + 2);
    uint16_t fl = rd_be16(p + 6);
    bool more = (fl & IPV4_FLAG_MF) != 0;
    uint32_t offset = (uint32_t)(fl & IPV4_OFFSET_MASK) * 8;
    if (total == 0 && len >= hlen && !d->reassembled)
        total = len; /* captured on the sender before TCP segmentation offload: length not filled in yet */
    if (total < hlen) {
        decode_anomaly(ctx, d, DEV_IPV4_IPLEN_SMALLER_THAN_HLEN);
        return DECODE_INVALID;
    }
    if (total > len) {
        /* A frame cut by the snap length still has valid headers: decode what is there and let the
         * transport layer know how much payload is missing.  A fragment cut short cannot be reassembled. */
        if (!decoded_snap_cut(d) || more || offset != 0 || len < hlen) {
            decode_anomaly(ctx, d, DEV_IPV4_TRUNC_PKT);
            return DECODE_INVALID;
        }
        d->payload_missing = total - len;
        total = len;
    }
    /* From here on hlen <= total <= len. */
    d->ip_version = 4;
    ip_addr_set4(&d->src, p + 12);
    ip_addr_set4(&d->dst, p + 16);
    d->ttl = p[8];
    d->ipproto = p[9];
    d->l3 = p;
    d->l3_len = total;

    /* Options were reported on the first fragment already. */
    if (hlen > IPV4_HDR_MIN && !d->reassembled)
        ipv4_check_options(ctx, d, p + IPV4_HDR_MIN, hlen - IPV4_HDR_MIN);

    if (more || offset != 0) {
        *frag = (struct defrag_frag){
            .family = 4,
            .hdr = p,
            .hdr_len = hlen,
            .proto = p[9],
            .id = rd_be16(p + 4),
            .offset = offset,
            .more = more,
            .data = p + hlen,
            .len = total - hlen,
        };
        return DECODE_FRAGMENT;
    }
    return decode_transport(ctx, d, p[9], p + hlen, total - hlen);
}

enum decode_result decode_ipv4(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->ipv4++;
    /* the reassembled datagram has MF and offset clear */
    return decode_ip_datagram(ctx, d, p, len, ipv4_decode_header, DEV_IPV4_FRAG_IGNORED);
}
