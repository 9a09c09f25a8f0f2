/*
 * null.c - BSD loopback encapsulation (DLT_NULL) and OpenBSD's DLT_LOOP.
 * https://www.tcpdump.org/linktypes/LINKTYPE_NULL.html, LINKTYPE_LOOP.html
 *
 *    0               4
 *   +---------------+---------
 *   | address family| IP packet
 *   +---------------+---------
 *
 * DLT_NULL writes the family in the capturing host's byte order, which a
 * reader cannot know, so both orders are tried; DLT_LOOP writes it big-endian.
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS), 28
 * (FreeBSD, DragonFly) or 30 (macOS, iOS).
 */
#include <pcap/dlt.h>

#include "core/bytes.h"
#include "decode/decode.h"

#define NULL_HDR_LEN 4

static int null_family_version(uint32_t family)
{
    switch (family) {
    case 2: return 4;
    case 24:
    case 28:
    case 30: return 6;
    default: return 0;
    }
}

enum decode_result decode_null(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->null++;
    if (len < NULL_HDR_LEN) {
        decode_anomaly(ctx, d, DEV_NULL_PKT_TOO_SMALL);
        return DECODE_INVALID;
    }
    bool loop = d->pkt && d->pkt->linktype == DLT_LOOP;
    int ver = null_family_version(rd_be32(p));
    if (ver == 0 && !loop)
        ver = null_family_version(rd_le32(p));
    p += NULL_HDR_LEN;
    len -= NULL_HDR_LEN;
    switch (ver) {
    case 4: return decode_ipv4(ctx, d, p, len);
    case 6: return decode_ipv6(ctx, d, p, len);
    default:
        /* Another family (AppleTalk, OSI, ...) or garbage. */
        decode_anomaly(ctx, d, DEV_NULL_UNSUPPORTED_TYPE);
        return DECODE_NOT_IP;
    }
}
