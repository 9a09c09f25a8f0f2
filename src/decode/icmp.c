/*
 * icmp.c - ICMP for IPv4 (RFC 792) and for IPv6 (RFC 4443 section 2.1).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Type      |     Code      |          Checksum             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |        type-specific (identifier/sequence, MTU, unused, ...)  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Every ICMP and ICMPv6 message has these 8 octets, so fewer is an anomaly (as
 * in Suricata).  Type and code are recorded; ports stay 0; l4 covers the whole
 * message and there is no `payload`.
 */
#include "decode/decode.h"
#include "decode/decode_int.h"

#define ICMP_HDR_LEN 8

static enum decode_result icmp_decode(struct decoded *d, const uint8_t *p, uint32_t len)
{
    d->icmp_type = p[0];
    d->icmp_code = p[1];
    d->l4 = p;
    d->l4_len = len;
    return DECODE_OK;
}

enum decode_result decode_icmpv4(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->icmpv4++;
    if (len < ICMP_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_ICMPV4_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    return icmp_decode(d, p, len);
}

enum decode_result decode_icmpv6(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->icmpv6++;
    if (len < ICMP_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_ICMPV6_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    return icmp_decode(d, p, len);
}
