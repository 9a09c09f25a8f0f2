/*
 * udp.c - the UDP header (RFC 768).
 *
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |   Source Port   |    Dest Port    |
 *   +--------+--------+--------+--------+
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *   |          data octets ...
 *
 * Length covers header and data.  Below 8 or beyond the bytes the IP layer
 * gave is invalid (UDP_HLEN_INVALID); shorter than those bytes leaves padding,
 * and the payload is what Length says.  The checksum is not verified.
 */
#include "core/bytes.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

#define UDP_HDR_LEN 8

enum decode_result decode_udp(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->udp++;
    if (len < UDP_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_UDP_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    uint32_t ulen = rd_be16(p + 4);
    if (ulen < UDP_HDR_LEN || ulen > len + d->payload_missing) {
        decode_anomaly(ctx, d, DEV_UDP_HLEN_INVALID);
        return DECODE_INVALID;
    }
    if (ulen > len) { /* snap length cut the datagram: what is missing is its payload's tail */
        d->payload_missing = ulen - len;
        ulen = len;
    } else {
        d->payload_missing = 0;
    }
    d->sport = rd_be16(p);
    d->dport = rd_be16(p + 2);
    d->l4 = p;
    d->l4_len = ulen;
    d->payload = p + UDP_HDR_LEN;
    d->payload_len = ulen - UDP_HDR_LEN;
    return DECODE_OK;
}
