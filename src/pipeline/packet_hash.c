/*
 * packet_hash.c - the reader's symmetric address-pair hash (see packet_hash.h).
 * Every read is bounded by caplen; anything unexpected answers 0 (worker 0).
 */
#include "pipeline/packet_hash.h"

#include <string.h>

#include "core/hash.h"

#define HASH_SEED 0x6d65647365ull /* fixed: a packet goes to the same worker in every run */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Hash of the address pair of the IP header at p[0..len). */
static uint64_t ip_pair_hash(const uint8_t *p, uint32_t len)
{
    const uint8_t *a, *b;
    size_t alen;
    if (len >= 20 && (p[0] >> 4) == 4) {
        a = p + 12, b = p + 16, alen = 4;
    } else if (len >= 40 && (p[0] >> 4) == 6) {
        a = p + 8, b = p + 24, alen = 16;
    } else {
        return 0;
    }
    uint8_t key[32];
    if (memcmp(a, b, alen) > 0) {
        const uint8_t *t = a;
        a = b;
        b = t;
    }
    memcpy(key, a, alen);
    memcpy(key + alen, b, alen);
    uint64_t h = hash_bytes(key, 2 * alen, HASH_SEED);
    return h ? h : 1;
}

/* An ethertype's payload at p[0..len): IPv4, IPv6 or PPPoE session carrying either. */
static uint64_t ethertype_hash(uint16_t type, const uint8_t *p, uint32_t len)
{
    if (type == 0x0800 || type == 0x86dd)
        return ip_pair_hash(p, len);
    if (type == 0x8864 && len >= 8) { /* PPPoE session: 6-byte header, then the PPP protocol */
        uint16_t proto = be16(p + 6);
        if (proto == 0x0021 || proto == 0x0057)
            return ip_pair_hash(p + 8, len - 8);
    }
    return 0;
}

static uint64_t ethernet_hash(const uint8_t *p, uint32_t len)
{
    if (len < 14)
        return 0;
    uint32_t off = 12;
    uint16_t type = be16(p + off);
    for (int tags = 0; (type == 0x8100 || type == 0x88a8 || type == 0x9100) && tags < 8; tags++) {
        off += 4;
        if (len < off + 2)
            return 0;
        type = be16(p + off);
    }
    off += 2;
    return ethertype_hash(type, p + off, len - off);
}

static uint64_t ppp_hash(const uint8_t *p, uint32_t len)
{
    if (len >= 2 && p[0] == 0xff && p[1] == 0x03) { /* HDLC-like framing: address and control */
        p += 2;
        len -= 2;
    }
    if (len < 1)
        return 0;
    uint16_t proto;
    uint32_t hl;
    if (p[0] & 1) { /* protocol field compressed to one byte */
        proto = p[0], hl = 1;
    } else {
        if (len < 2)
            return 0;
        proto = be16(p), hl = 2;
    }
    if (proto == 0x0021 || proto == 0x0057)
        return ip_pair_hash(p + hl, len - hl);
    return 0;
}

uint64_t packet_hash(const struct packet *pkt)
{
    const uint8_t *p = pkt->data;
    uint32_t len = pkt->caplen;
    if (!p)
        return 0;
    switch (pkt->linktype) {
    case 1: return ethernet_hash(p, len);                                            /* DLT_EN10MB */
    case 113: return len >= 16 ? ethertype_hash(be16(p + 14), p + 16, len - 16) : 0; /* DLT_LINUX_SLL */
    case 276: return len >= 20 ? ethertype_hash(be16(p), p + 20, len - 20) : 0;      /* DLT_LINUX_SLL2 */
    case 0:                                                                          /* DLT_NULL */
    case 108: return len >= 4 ? ip_pair_hash(p + 4, len - 4) : 0;                    /* DLT_LOOP */
    case 12:
    case 14:
    case 101:
    case 228:
    case 229: return ip_pair_hash(p, len); /* raw IP */
    case 9:
    case 50: return ppp_hash(p, len); /* DLT_PPP, DLT_PPP_SERIAL */
    default: return 0;
    }
}

unsigned packet_worker(const struct packet *pkt, unsigned n)
{
    if (n <= 1)
        return 0;
    uint64_t h = packet_hash(pkt);
    return h ? (unsigned)(hash_mix64(h) % n) : 0;
}
