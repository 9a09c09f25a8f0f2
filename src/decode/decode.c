/*
 * decode.c - the decoder's entry point: context set-up, dispatch on the
 * capture's link type, anomaly reporting, and fragment expiry.
 *
 * Link types are libpcap's DLT_* values (<pcap/dlt.h>, and the LINKTYPE_*
 * registry at https://www.tcpdump.org/linktypes.html):
 *
 *   DLT_EN10MB      1    Ethernet II, 802.1Q / 802.1ad tags      ethernet.c
 *   DLT_LINUX_SLL   113  Linux cooked capture v1                 sll.c
 *   DLT_LINUX_SLL2  276  Linux cooked capture v2                 sll.c
 *   DLT_NULL        0    BSD loopback, family in host order      null.c
 *   DLT_LOOP        108  OpenBSD loopback, family big-endian     null.c
 *   DLT_RAW         12 (Linux) / 14 (BSD/OS), LINKTYPE_RAW 101   decode_raw below
 *   DLT_IPV4        228, DLT_IPV6 229: raw IP of one version
 *   DLT_PPP         9, DLT_PPP_SERIAL 50: PPP (RFC 1661/1662)      tunnel.c
 *
 * A tunnel decoder (tunnel.c) returns DECODE_TUNNEL with the inner packet in
 * d->next_*; decode_packet() decodes it in a loop, DECODE_MAX_TUNNELS deep.
 *
 * Everything else is DEV_LINK_UNSUPPORTED.  Nothing here allocates except the
 * defragmenter, set up once in decode_ctx_init().
 */
#include "decode/decode.h"

#include <pcap/dlt.h>
#include <stddef.h>
#include <string.h>

#include "decode/decode_int.h"

static const struct config_key decode_keys[] = {
    CONFIG_KEY_U32(struct decode_cfg, max_vlan_layers, "decoder.max-vlan-layers", 1, DECODE_MAX_VLAN, "2",
                   "802.1Q / 802.1ad tags followed per frame (1 or 2); deeper stacks are an anomaly"),
    CONFIG_KEY_U32(struct decode_cfg, vxlan_port, "decoder.vxlan-port", 0, 65535, "4789",
                   "UDP port whose datagrams with a VXLAN header (RFC 7348) are decapsulated; 0 = never.\n"
                   "IP-in-IP, GRE (with ERSPAN I/II/III, Ethernet bridging, PPP), PPP and PPPoE are always "
                   "decapsulated,\nup to 3 encapsulations per frame; the inner packet is the one analysed."),
    CONFIG_KEY_SIZE(struct decode_cfg, defrag_memcap, "defrag.memcap", 64 * CONFIG_KB, 64 * CONFIG_GB, "32mb",
                    "memory for IP fragments waiting for the rest of their datagram"),
    CONFIG_KEY_U32(struct decode_cfg, defrag_timeout_s, "defrag.timeout", 1, 3600, "60",
                   "a datagram still incomplete after this is dropped (anomaly defrag.timeout)"),
    CONFIG_KEY_U32(struct decode_cfg, defrag_max_frags, "defrag.max-frags", 1, 65535, "256",
                   "fragments per datagram; more is an anomaly and the datagram is dropped"),
};

const struct config_module decode_config_module = {
    .name = "decode",
    .keys = decode_keys,
    .n = sizeof(decode_keys) / sizeof(decode_keys[0]),
    .struct_size = sizeof(struct decode_cfg),
};

/* LINKTYPE_RAW as written in pcap files; libpcap maps it to DLT_RAW on read, but
 * a source may hand the file's value through. */
#define DECODE_LINKTYPE_RAW 101
/* DLT_RAW on BSD/OS; harmless to accept elsewhere, nothing else uses 14. */
#define DECODE_DLT_RAW_BSDOS 14

int decode_ctx_init(struct decode_ctx *ctx, const struct decode_cfg *cfg, struct stats *stats)
{
    if (!ctx || !cfg || !stats)
        return -1;
    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg = *cfg;
    if (ctx->cfg.max_vlan_layers == 0 || ctx->cfg.max_vlan_layers > DECODE_MAX_VLAN)
        ctx->cfg.max_vlan_layers = DECODE_MAX_VLAN;
    if (ctx->cfg.defrag_timeout_s == 0)
        ctx->cfg.defrag_timeout_s = DECODE_DEFAULT_DEFRAG_TIMEOUT_S;
    if (ctx->cfg.defrag_max_frags == 0)
        ctx->cfg.defrag_max_frags = DECODE_DEFAULT_DEFRAG_MAX_FRAGS;
    ctx->stats = stats;
    memcap_init(&ctx->defrag_mc, "defrag", cfg->defrag_memcap);
    ctx->defrag = defrag_new();
    return ctx->defrag ? 0 : -1;
}

void decode_ctx_free(struct decode_ctx *ctx)
{
    if (!ctx)
        return;
    defrag_free(ctx, ctx->defrag);
    ctx->defrag = NULL;
}

void decode_anomaly(struct decode_ctx *ctx, const struct decoded *d, enum decode_event ev)
{
    if ((unsigned)ev < DEV__COUNT)
        ctx->stats->decode_events[ev]++;
    if (ctx->on_event)
        ctx->on_event(ctx->user, d, ev);
}

void decode_expire(struct decode_ctx *ctx, uint64_t now_us)
{
    defrag_expire(ctx, now_us);
}

/* Raw IP: the version nibble of the first byte says which. */
enum decode_result decode_raw(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len)
{
    ctx->stats->raw++;
    if (len < 1) {
        decode_anomaly(ctx, d, DEV_IPRAW_INVALID_IPV);
        return DECODE_INVALID;
    }
    switch (p[0] >> 4) {
    case 4: return decode_ipv4(ctx, d, p, len);
    case 6: return decode_ipv6(ctx, d, p, len);
    default: decode_anomaly(ctx, d, DEV_IPRAW_INVALID_IPV); return DECODE_INVALID;
    }
}

static bool decode_is_raw_linktype(int lt)
{
    return lt == DLT_RAW || lt == DECODE_LINKTYPE_RAW || lt == DECODE_DLT_RAW_BSDOS;
}

static enum decode_result decode_link(struct decode_ctx *ctx, struct decoded *d, int linktype, const uint8_t *p,
                                      uint32_t len)
{
    if (decode_is_raw_linktype(linktype))
        return decode_raw(ctx, d, p, len);
    switch (linktype) {
    case DLT_EN10MB: return decode_ethernet(ctx, d, p, len);
    case DLT_LINUX_SLL: return decode_sll(ctx, d, p, len);
    case DLT_LINUX_SLL2: return decode_sll2(ctx, d, p, len);
    case DLT_NULL:
    case DLT_LOOP: return decode_null(ctx, d, p, len);
    case DLT_IPV4: ctx->stats->raw++; return decode_ipv4(ctx, d, p, len);
    case DLT_IPV6: ctx->stats->raw++; return decode_ipv6(ctx, d, p, len);
    case DLT_PPP:
    case DLT_PPP_SERIAL: return decode_ppp(ctx, d, p, len);
    default: decode_anomaly(ctx, d, DEV_LINK_UNSUPPORTED); return DECODE_INVALID;
    }
}

/* Forget the outer packet's network and transport fields and decode the inner packet d->next_* points at. */
static enum decode_result decode_tunnel_inner(struct decode_ctx *ctx, struct decoded *d)
{
    if (d->tunnel_depth++ == 0) {
        d->outer_ip_version = d->ip_version;
        d->outer_src = d->src;
        d->outer_dst = d->dst;
    }
    uint16_t next = d->next_ethertype;
    const uint8_t *p = d->next_p;
    uint32_t len = d->next_len;
    size_t from = offsetof(struct decoded, ip_version);
    memset((uint8_t *)d + from, 0, sizeof(*d) - from);
    d->next_p = NULL;
    d->next_len = 0;
    if (next == DECODE_NEXT_ETHERNET) {
        /* a mirrored or bridged frame: its own MACs and VLAN tags, not the transport's */
        d->vlan_count = 0;
        return decode_ethernet(ctx, d, p, len);
    }
    return decode_ethertype(ctx, d, next, p, len);
}

enum decode_result decode_packet(struct decode_ctx *ctx, const struct packet *pkt, struct decoded *d)
{
    memset(d, 0, sizeof(*d));
    d->pkt = pkt;
    const uint8_t *p = pkt->data;
    uint32_t len = p ? pkt->caplen : 0;
    if (!p)
        p = (const uint8_t *)"";
    enum decode_result r = decode_link(ctx, d, pkt->linktype, p, len);
    /* Encapsulations, innermost last: each pass takes one off or ends; DECODE_MAX_TUNNELS passes at most. */
    while (r == DECODE_TUNNEL) {
        if (d->tunnel_depth >= DECODE_MAX_TUNNELS) {
            decode_anomaly(ctx, d, DEV_TUNNEL_TOO_DEEP);
            r = DECODE_INVALID;
            break;
        }
        r = decode_tunnel_inner(ctx, d);
    }
    if (d->tunnel_depth && r == DECODE_OK)
        ctx->stats->tunneled++;
    if (r == DECODE_INVALID)
        ctx->stats->invalid++;
    else if (r == DECODE_NOT_IP)
        ctx->stats->non_ip++;
    return r;
}

/* Hand the IP payload to the decoder of its protocol (tcp.c, udp.c, icmp.c). */
enum decode_result decode_ip_datagram(struct decode_ctx *ctx, struct decoded *d, const uint8_t *p, uint32_t len,
                                      ip_header_fn hdr, enum decode_event ignored)
{
    struct defrag_frag frag;
    enum decode_result r = hdr(ctx, d, p, len, &frag);
    if (r != DECODE_FRAGMENT)
        return r;
    const uint8_t *dg = NULL;
    uint32_t dg_len = 0;
    r = defrag_insert(ctx, d, &frag, &dg, &dg_len);
    if (r != DECODE_OK)
        return r;
    d->reassembled = true; /* second and last pass, over the whole datagram */
    r = hdr(ctx, d, dg, dg_len, &frag);
    if (r == DECODE_FRAGMENT) { /* cannot happen; refuse rather than loop */
        decode_anomaly(ctx, d, ignored);
        return DECODE_INVALID;
    }
    return r;
}

enum decode_result decode_transport(struct decode_ctx *ctx, struct decoded *d, uint8_t ipproto, const uint8_t *p,
                                    uint32_t len)
{
    d->ipproto = ipproto;
    switch (ipproto) {
    case IPPROTO_NUM_TCP: return decode_tcp(ctx, d, p, len);
    case IPPROTO_NUM_UDP: {
        enum decode_result r = decode_udp(ctx, d, p, len);
        if (r == DECODE_OK && decode_vxlan(ctx, d))
            return DECODE_TUNNEL;
        return r;
    }
    case IPPROTO_NUM_IPIP:
    case IPPROTO_NUM_IPV6: return decode_ipip(ctx, d, ipproto, p, len);
    case IPPROTO_NUM_GRE: return decode_gre(ctx, d, p, len);
    case IPPROTO_NUM_ICMP: return decode_icmpv4(ctx, d, p, len);
    case IPPROTO_NUM_ICMPV6: return decode_icmpv6(ctx, d, p, len);
    default:
        /* ESP, SCTP, No Next Header, ...: known by number only. */
        ctx->stats->other_ipproto++;
        d->l4 = p;
        d->l4_len = len;
        return DECODE_OK;
    }
}
