/*
 * sll.c - Linux "cooked" captures (any-interface captures, tun devices), which
 * replace the link header with one libpcap synthesises.  Layouts from
 * https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and
 * LINKTYPE_LINUX_SLL2.html; all fields big-endian.
 *
 * SLL (v1), 16 bytes:
 *
 *    0       2       4       6                               14      16
 *   +-------+-------+-------+-------------------------------+-------+
 *   | pkt   | ARPHRD| addr  | link-layer address (8, padded)| proto |
 *   | type  | type  | len   |                               |       |
 *   +-------+-------+-------+-------------------------------+-------+
 *
 * SLL2, 20 bytes:
 *
 *    0       2       4               8       10  11  12                      20
 *   +-------+-------+---------------+-------+---+---+-----------------------+
 *   | proto | rsvd  | ifindex       | ARPHRD|pkt|aln| link-layer address (8)|
 *   +-------+-------+---------------+-------+---+---+-----------------------+
 *
 * The protocol is an ethertype for the link types medsentry cares about; the
 * special values below 0x0600 (0x0001 802.3, 0x0004 802.2 LLC, ...) are not IP
 * and fall out of decode_ethertype() as such.  Only the sender's address is
 * present, so no MAC pair is recorded.
 */
#include "core/bytes.h"
#include "decode/decode.h"

#define SLL_HDR_LEN    16
#define SLL_PROTO_OFF  14
#define SLL2_HDR_LEN   20
#define SLL2_PROTO_OFF 0

enum decode_result decode_sll(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->sll++;
    if (len < SLL_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_SLL_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    return decode_ethertype(ctx, d, rd_be16(p + SLL_PROTO_OFF), p + SLL_HDR_LEN, len - SLL_HDR_LEN);
}

enum decode_result decode_sll2(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->sll2++;
    if (len < SLL2_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_SLL2_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    return decode_ethertype(ctx, d, rd_be16(p + SLL2_PROTO_OFF), p + SLL2_HDR_LEN, len - SLL2_HDR_LEN);
}
