/*
 * tcp.c - the TCP header and the options medsentry's stream stage uses
 * (RFC 9293 section 3.1; options from RFC 9293 3.2, RFC 7323, RFC 2018).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options (Data Offset > 5)                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Options: EOL 0, NOP 1, MSS 2 (len 4), Window Scale 3 (len 3), SACK-permitted
 * 4 (len 2), SACK 5 (len 2+8n, n = 1..4), Timestamps 8 (len 10).  An option
 * whose length byte is missing, < 2, or runs past the header ends option
 * parsing (TCP_OPT_INVALID_LEN); a known option with the wrong length is
 * reported and skipped.  Either way the segment is still decoded.  The
 * checksum is not verified.
 */
#include "core/bytes.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

#define TCP_HDR_MIN 20

#define TCP_OPT_EOL    0
#define TCP_OPT_NOP    1
#define TCP_OPT_MSS    2
#define TCP_OPT_WS     3
#define TCP_OPT_SACKOK 4
#define TCP_OPT_SACK   5
#define TCP_OPT_TS     8

#define TCP_WSCALE_MAX 14 /* RFC 7323 section 2.3: a larger shift is used as 14 */

static void tcp_parse_options(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == TCP_OPT_EOL)
            return;
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2 || p[i + 1] < 2 || p[i + 1] > len - i) {
            decode_anomaly(ctx, d, DEV_TCP_OPT_INVALID_LEN);
            return;
        }
        uint8_t olen = p[i + 1];
        const uint8_t *v = p + i + 2;
        bool ok = true;
        switch (kind) {
        case TCP_OPT_MSS:
            ok = olen == 4;
            if (ok)
                d->tcp_mss = rd_be16(v);
            break;
        case TCP_OPT_WS:
            ok = olen == 3;
            if (ok) {
                d->tcp_has_wscale = true;
                d->tcp_wscale = v[0] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : v[0];
            }
            break;
        case TCP_OPT_SACKOK:
            ok = olen == 2;
            if (ok)
                d->tcp_sack_permitted = true;
            break;
        case TCP_OPT_SACK: ok = olen >= 10 && (olen - 2) % 8 == 0; break;
        case TCP_OPT_TS:
            ok = olen == 10;
            if (ok) {
                d->tcp_has_ts = true;
                d->tcp_tsval = rd_be32(v);
                d->tcp_tsecr = rd_be32(v + 4);
            }
            break;
        default: break; /* unknown kinds are skipped by their length */
        }
        if (!ok)
            decode_anomaly(ctx, d, DEV_TCP_OPT_INVALID_LEN);
        i += olen;
    }
}

enum decode_result decode_tcp(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->tcp++;
    if (len < TCP_HDR_MIN) {
        decode_anomaly(ctx, d, DEV_TCP_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    uint32_t hlen = (uint32_t)(p[12] >> 4) * 4;
    if (hlen < TCP_HDR_MIN) {
        decode_anomaly(ctx, d, DEV_TCP_HLEN_TOO_SMALL);
        return DECODE_INVALID;
    }
    if (hlen > len) {
        decode_anomaly(ctx, d, DEV_TCP_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    d->l4 = p;
    d->l4_len = len;
    d->sport = rd_be16(p);
    d->dport = rd_be16(p + 2);
    d->tcp_seq = rd_be32(p + 4);
    d->tcp_ack = rd_be32(p + 8);
    d->tcp_flags = p[13];
    d->tcp_win = rd_be16(p + 14);
    if (hlen > TCP_HDR_MIN)
        tcp_parse_options(ctx, d, p + TCP_HDR_MIN, hlen - TCP_HDR_MIN);
    d->payload = p + hlen;
    d->payload_len = len - hlen;
    return DECODE_OK;
}
