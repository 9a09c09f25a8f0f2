/*
 * ethernet.c - Ethernet II frames and the VLAN tags inside them, and the
 * ethertype dispatch every link layer ends in.
 *
 * Ethernet II (IEEE 802.3 clause 3.2, "DIX"), as captured (no preamble, no FCS):
 *
 *    0                   6                  12        14
 *   +-------------------+------------------+---------+---------
 *   | destination MAC   | source MAC       | type    | payload
 *   +-------------------+------------------+---------+---------
 *
 * A type below 0x0600 is an 802.3 length field (LLC/SNAP follows): not IP here.
 *
 * A VLAN tag (IEEE 802.1Q-2018 clause 9.6) sits where the type was and carries
 * the next type after it:
 *
 *   +---------+--------------------------+---------+
 *   | TPID    | PCP(3) DEI(1) VID(12)    | type    |
 *   +---------+--------------------------+---------+
 *     0x8100 C-tag (802.1Q), 0x88a8 S-tag (802.1ad QinQ), 0x9100 (old QinQ)
 *
 * Tags are peeled in a loop, outermost first, up to cfg.max_vlan_layers.
 */
#include <stddef.h>
#include <string.h>

#include "core/bytes.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

#define ETH_HDR_LEN  14
#define VLAN_TAG_LEN 4

enum decode_result decode_ethernet(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->ethernet++;
    if (len < ETH_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_ETH_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    memcpy(d->dst_mac, p, 6);
    memcpy(d->src_mac, p + 6, 6);
    d->has_mac = true;
    return decode_ethertype(ctx, d, rd_be16(p + 12), p + ETH_HDR_LEN, len - ETH_HDR_LEN);
}

static bool ethertype_is_vlan(uint16_t t)
{
    return t == ETHERTYPE_VLAN || t == ETHERTYPE_QINQ || t == ETHERTYPE_QINQ_OLD;
}

enum decode_result decode_ethertype(struct decode_ctx *ctx, struct decoded *d, uint16_t ethertype, const uint8_t *p,
                                    uint32_t len)
{
    /* Each pass takes one tag or leaves, and the tag count is capped: bounded. */
    while (ethertype_is_vlan(ethertype)) {
        if (ethertype == ETHERTYPE_VLAN)
            ctx->stats->vlan++;
        else
            ctx->stats->vlan_qinq++;
        if (d->vlan_count >= ctx->cfg.max_vlan_layers || d->vlan_count >= DECODE_MAX_VLAN) {
            decode_anomaly(ctx, d, DEV_VLAN_TOO_MANY_LAYERS);
            return DECODE_INVALID;
        }
        if (len < VLAN_TAG_LEN) {
            decode_anomaly(ctx, d, DEV_VLAN_HEADER_TOO_SMALL);
            return DECODE_INVALID;
        }
        d->vlan[d->vlan_count++] = rd_be16(p) & 0x0fff; /* VID: low 12 bits of the TCI */
        ethertype = rd_be16(p + 2);
        p += VLAN_TAG_LEN;
        len -= VLAN_TAG_LEN;
    }
    switch (ethertype) {
    case ETHERTYPE_IPV4: return decode_ipv4(ctx, d, p, len);
    case ETHERTYPE_IPV6: return decode_ipv6(ctx, d, p, len);
    case ETHERTYPE_PPPOE: return decode_pppoe_session(ctx, d, p, len);
    default:
        /* ARP, LLDP, 802.3 length fields (< 0x0600), ...: not analysed. */
        return DECODE_NOT_IP;
    }
}
