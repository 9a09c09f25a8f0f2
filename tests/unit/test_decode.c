/*
 * test_decode.c - unit tests of the decode layer (src/decode/) short of
 * reassembly: link types, VLAN tags, IPv4 and its options, the IPv6 extension
 * header chain, TCP/UDP/ICMP, truncation at every length, a mutation run, and
 * the tunnels (IP in IP, GRE, ERSPAN I/II/III, VXLAN, PPP, PPPoE, nesting).
 *
 * Frames are built here byte by byte from the header layouts in the RFCs
 * (RFC 791, 8200, 9293, 768, 792, 4443; IEEE 802.1Q; the tcpdump.org link-type
 * pages), not captured from the program.  Checksums are left 0: medsentry does
 * not verify them.
 */
#include <pcap/dlt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "decode/decode.h"

#define MAX_EVENTS 64

struct tst {
    struct decode_ctx ctx;
    struct stats st;
    enum decode_event ev[MAX_EVENTS];
    int nev;
    struct decoded d;
};

static void record_event(void *user, const struct decoded *d, enum decode_event ev)
{
    struct tst *t = user;
    (void)d;
    if (t->nev < MAX_EVENTS)
        t->ev[t->nev++] = ev;
}

static int has_event(const struct tst *t, enum decode_event ev)
{
    int n = 0;
    for (int i = 0; i < t->nev; i++)
        n += t->ev[i] == ev;
    return n;
}

static int setup(void **state)
{
    struct tst *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    struct decode_cfg cfg = {
        .defrag_memcap = 1 << 20, .defrag_timeout_s = 30, .defrag_max_frags = 16, .max_vlan_layers = 2};
    if (decode_ctx_init(&t->ctx, &cfg, &t->st) != 0) {
        free(t);
        return -1;
    }
    t->ctx.on_event = record_event;
    t->ctx.user = t;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tst *t = *state;
    decode_ctx_free(&t->ctx);
    free(t);
    return 0;
}

/* Decode len bytes copied into a heap block of exactly that size, so that
 * AddressSanitizer sees any read past the end. */
static enum decode_result run_wire(struct tst *t, int linktype, const uint8_t *bytes, uint32_t len, uint32_t wirelen);

static enum decode_result run(struct tst *t, int linktype, const uint8_t *bytes, uint32_t len)
{
    return run_wire(t, linktype, bytes, len, len);
}

/* As run(), for a frame of wirelen bytes of which the capture kept len (snap length). */
static enum decode_result run_wire(struct tst *t, int linktype, const uint8_t *bytes, uint32_t len, uint32_t wirelen)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, bytes, len);
    struct packet pkt = {.ts_us = 1000000, .caplen = len, .wirelen = wirelen, .linktype = linktype, .data = copy};
    t->nev = 0;
    enum decode_result r = decode_packet(&t->ctx, &pkt, &t->d);
    /* Pointers into the frame are checked by the caller through offsets, so
     * rebase them onto the caller's array before the copy goes away. */
    if (t->d.l3 && !t->d.reassembled)
        t->d.l3 = bytes + (t->d.l3 - copy);
    if (t->d.l4 && !t->d.reassembled)
        t->d.l4 = bytes + (t->d.l4 - copy);
    if (t->d.payload && !t->d.reassembled)
        t->d.payload = bytes + (t->d.payload - copy);
    t->d.pkt = NULL;
    free(copy);
    return r;
}

/* ---- builders ----------------------------------------------------------- */

static const uint8_t MAC_DST[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_SRC[6] = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
static const uint8_t IP4_SRC[4] = {10, 1, 2, 3};
static const uint8_t IP4_DST[4] = {192, 168, 100, 7};
static const uint8_t IP6_SRC[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t IP6_DST[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

static void be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    be16(p, v >> 16);
    be16(p + 2, v & 0xffff);
}

static size_t put_eth(uint8_t *p, uint16_t type)
{
    memcpy(p, MAC_DST, 6);
    memcpy(p + 6, MAC_SRC, 6);
    be16(p + 12, type);
    return 14;
}

/* IPv4 header of hlen bytes (options copied from opt), Total Length total. */
static size_t put_ipv4(uint8_t *p, uint32_t hlen, const uint8_t *opt, uint32_t total, uint8_t proto)
{
    memset(p, 0, hlen);
    p[0] = (uint8_t)(0x40 | (hlen / 4));
    p[1] = 0x00;
    be16(p + 2, total);
    be16(p + 4, 0x1234);
    be16(p + 6, 0x4000); /* DF */
    p[8] = 64;
    p[9] = proto;
    memcpy(p + 12, IP4_SRC, 4);
    memcpy(p + 16, IP4_DST, 4);
    if (hlen > 20)
        memcpy(p + 20, opt, hlen - 20);
    return hlen;
}

static size_t put_ipv6(uint8_t *p, uint32_t plen, uint8_t nh)
{
    p[0] = 0x60;
    p[1] = p[2] = p[3] = 0;
    be16(p + 4, plen);
    p[6] = nh;
    p[7] = 55;
    memcpy(p + 8, IP6_SRC, 16);
    memcpy(p + 24, IP6_DST, 16);
    return 40;
}

/* 20-byte TCP header plus opt (optlen a multiple of 4). */
static size_t put_tcp(uint8_t *p, const uint8_t *opt, uint32_t optlen, uint8_t flags)
{
    be16(p, 49152);
    be16(p + 2, 104);
    be32(p + 4, 0xdeadbeef);
    be32(p + 8, 0x01020304);
    p[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    p[13] = flags;
    be16(p + 14, 29200);
    be16(p + 16, 0);
    be16(p + 18, 0);
    if (optlen)
        memcpy(p + 20, opt, optlen);
    return 20 + optlen;
}

static size_t put_udp(uint8_t *p, uint32_t ulen)
{
    be16(p, 5353);
    be16(p + 2, 53);
    be16(p + 4, ulen);
    be16(p + 6, 0);
    return 8;
}

/* IPv4 Router Alert (RFC 2113): type 148, length 4, value 0. */
static const uint8_t IP_OPT_RA[4] = {148, 4, 0, 0};
/* MSS 1460, SACK permitted, Timestamps 100/200, NOP, Window scale 7. */
static const uint8_t TCP_OPTS[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 100, 0, 0, 0, 200, 1, 3, 3, 7};
static const uint8_t PAYLOAD[5] = {'h', 'e', 'l', 'l', 'o'};

/* Ethernet + IPv4 (24-byte header) + TCP (40-byte header) + "hello": 83 bytes. */
static size_t build_full(uint8_t *buf)
{
    size_t n = put_eth(buf, 0x0800);
    n += put_ipv4(buf + n, 24, IP_OPT_RA, 24 + 40 + 5, 6);
    n += put_tcp(buf + n, TCP_OPTS, sizeof(TCP_OPTS), TH_SYN | TH_ACK);
    memcpy(buf + n, PAYLOAD, sizeof(PAYLOAD));
    return n + sizeof(PAYLOAD);
}

/* ---- tests -------------------------------------------------------------- */

static void test_eth_ipv4_tcp_fields(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = build_full(buf);
    assert_int_equal(n, 83);
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n), DECODE_OK);
    const struct decoded *d = &t->d;
    assert_int_equal(t->nev, 0);
    assert_true(d->has_mac);
    assert_memory_equal(d->dst_mac, MAC_DST, 6);
    assert_memory_equal(d->src_mac, MAC_SRC, 6);
    assert_int_equal(d->vlan_count, 0);
    assert_int_equal(d->ip_version, 4);
    assert_int_equal(d->src.family, 4);
    assert_memory_equal(d->src.b + 12, IP4_SRC, 4);
    assert_memory_equal(d->dst.b + 12, IP4_DST, 4);
    assert_int_equal(d->src.b[10], 0xff);
    assert_int_equal(d->ipproto, 6);
    assert_int_equal(d->ttl, 64);
    assert_ptr_equal(d->l3, buf + 14);
    assert_int_equal(d->l3_len, 69);
    assert_false(d->reassembled);
    assert_ptr_equal(d->l4, buf + 38);
    assert_int_equal(d->l4_len, 45);
    assert_int_equal(d->sport, 49152);
    assert_int_equal(d->dport, 104);
    assert_int_equal(d->tcp_flags, TH_SYN | TH_ACK);
    assert_int_equal(d->tcp_seq, 0xdeadbeef);
    assert_int_equal(d->tcp_ack, 0x01020304);
    assert_int_equal(d->tcp_win, 29200);
    assert_int_equal(d->tcp_mss, 1460);
    assert_true(d->tcp_has_wscale);
    assert_int_equal(d->tcp_wscale, 7);
    assert_true(d->tcp_sack_permitted);
    assert_true(d->tcp_has_ts);
    assert_int_equal(d->tcp_tsval, 100);
    assert_int_equal(d->tcp_tsecr, 200);
    assert_ptr_equal(d->payload, buf + 78);
    assert_int_equal(d->payload_len, 5);
    assert_memory_equal(d->payload, "hello", 5);
    assert_int_equal(t->st.ethernet, 1);
    assert_int_equal(t->st.ipv4, 1);
    assert_int_equal(t->st.tcp, 1);
    assert_int_equal(t->st.invalid, 0);
}

static void test_eth_padding_ignored(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = build_full(buf);
    memset(buf + n, 0xee, 20); /* link padding after Total Length */
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n + 20), DECODE_OK);
    assert_int_equal(t->d.l3_len, 69);
    assert_int_equal(t->d.payload_len, 5);
}

/* Every prefix of the full frame is invalid; the whole frame decodes. */
static void test_truncated_every_length(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = build_full(buf);
    for (size_t len = 0; len < n; len++) {
        t->d.payload = NULL;
        assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)len), DECODE_INVALID);
        assert_int_equal(t->nev, 1);
        enum decode_event want = len < 14   ? DEV_ETH_PKT_TOO_SMALL
                                 : len < 34 ? DEV_IPV4_PKT_TOO_SMALL
                                            : DEV_IPV4_TRUNC_PKT;
        assert_int_equal(t->ev[0], want);
    }
    assert_int_equal(t->st.invalid, n);
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n), DECODE_OK);
    /* And the same with the IP total length cut to match each prefix: the
     * TCP layer must then catch what is missing. */
    for (size_t len = 34; len < n; len++) {
        uint8_t b2[128];
        memcpy(b2, buf, n);
        be16(b2 + 14 + 2, (uint32_t)(len - 14));
        enum decode_result r = run(t, DLT_EN10MB, b2, (uint32_t)len);
        if (len < 14 + 24)
            assert_int_equal(r, DECODE_INVALID); /* total < IHL*4 */
        else if (len < 14 + 24 + 40)
            assert_int_equal(r, DECODE_INVALID); /* TCP header cut */
        else
            assert_int_equal(r, DECODE_OK);
    }
}

/* A frame cut by the snap length keeps valid headers: it is decoded, and the payload it lost is counted. */
static void test_snap_cut(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = build_full(buf); /* 14 + 24 + 40 + 5 bytes of payload */
    assert_int_equal(run_wire(t, DLT_EN10MB, buf, (uint32_t)n - 3, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.payload_len, 2);
    assert_int_equal(t->d.payload_missing, 3);
    assert_int_equal(t->nev, 0);
    assert_int_equal(run_wire(t, DLT_EN10MB, buf, (uint32_t)n - 5, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.payload_len, 0);
    assert_int_equal(t->d.payload_missing, 5);
    /* the cut inside the TCP header: nothing to decode */
    assert_int_equal(run_wire(t, DLT_EN10MB, buf, 70, (uint32_t)n), DECODE_INVALID);
    assert_true(has_event(t, DEV_TCP_HLEN_TOO_SMALL) || has_event(t, DEV_TCP_PKT_TOO_SMALL));
    /* the same bytes with no snap cut: the IP header lies about its length */
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n - 3), DECODE_INVALID);
    assert_true(has_event(t, DEV_IPV4_TRUNC_PKT));
    /* a fragment cut short cannot be reassembled */
    be16(buf + 14 + 6, 0x2000); /* MF */
    assert_int_equal(run_wire(t, DLT_EN10MB, buf, (uint32_t)n - 3, (uint32_t)n), DECODE_INVALID);
    assert_true(has_event(t, DEV_IPV4_TRUNC_PKT));
}

/* IPv4 total length 0: captured on the sender before TCP segmentation offload filled it in. */
static void test_ipv4_tso_zero_length(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = build_full(buf);
    be16(buf + 14 + 2, 0);
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.payload_len, 5);
    assert_int_equal(t->d.payload_missing, 0);
}

/* UDP: the length field may reach past a snap cut, not past the wire. */
static void test_udp_snap_cut(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = put_eth(buf, 0x0800);
    n += put_ipv4(buf + n, 20, NULL, 20 + 8 + 12, 17);
    n += put_udp(buf + n, 8 + 12);
    memset(buf + n, 'x', 12);
    n += 12;
    assert_int_equal(run_wire(t, DLT_EN10MB, buf, (uint32_t)n - 4, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.payload_len, 8);
    assert_int_equal(t->d.payload_missing, 4);
}

static void test_vlan_8021q(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = put_eth(buf, 0x8100);
    be16(buf + n, 0x2064); /* PCP 1, VID 100 */
    be16(buf + n + 2, 0x0800);
    n += 4;
    n += put_ipv4(buf + n, 20, NULL, 28, 17);
    n += put_udp(buf + n, 8);
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.vlan_count, 1);
    assert_int_equal(t->d.vlan[0], 100);
    assert_int_equal(t->d.ipproto, 17);
    assert_int_equal(t->d.sport, 5353);
    assert_int_equal(t->d.dport, 53);
    assert_int_equal(t->d.payload_len, 0);
    assert_int_equal(t->st.vlan, 1);
    assert_int_equal(t->st.vlan_qinq, 0);
}

static void test_vlan_qinq(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    static const uint16_t outer_types[2] = {0x88a8, 0x9100};
    for (int k = 0; k < 2; k++) {
        size_t n = put_eth(buf, outer_types[k]);
        be16(buf + n, 0xe00a); /* PCP 7, VID 10 */
        be16(buf + n + 2, 0x8100);
        be16(buf + n + 4, 0x1fff); /* DEI set, VID 4095 */
        be16(buf + n + 6, 0x0800);
        n += 8;
        n += put_ipv4(buf + n, 20, NULL, 28, 17);
        n += put_udp(buf + n, 8);
        assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n), DECODE_OK);
        assert_int_equal(t->d.vlan_count, 2);
        assert_int_equal(t->d.vlan[0], 10);
        assert_int_equal(t->d.vlan[1], 4095);
    }
    assert_int_equal(t->st.vlan_qinq, 2);
    assert_int_equal(t->st.vlan, 2);

    /* A third tag is one too many. */
    size_t n = put_eth(buf, 0x88a8);
    for (int i = 0; i < 3; i++) {
        be16(buf + n, (uint32_t)(i + 1));
        be16(buf + n + 2, i < 2 ? 0x8100 : 0x0800);
        n += 4;
    }
    n += put_ipv4(buf + n, 20, NULL, 28, 17);
    n += put_udp(buf + n, 8);
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_VLAN_TOO_MANY_LAYERS), 1);

    /* A tag cut short. */
    n = put_eth(buf, 0x8100);
    buf[n++] = 0;
    assert_int_equal(run(t, DLT_EN10MB, buf, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_VLAN_HEADER_TOO_SMALL), 1);
}

static void test_eth_not_ip(void **state)
{
    struct tst *t = *state;
    uint8_t buf[64] = {0};
    put_eth(buf, 0x0806); /* ARP */
    assert_int_equal(run(t, DLT_EN10MB, buf, 60), DECODE_NOT_IP);
    put_eth(buf, 0x0026); /* 802.3 length field */
    assert_int_equal(run(t, DLT_EN10MB, buf, 60), DECODE_NOT_IP);
    assert_int_equal(t->st.non_ip, 2);
    assert_int_equal(t->nev, 0);
}

static size_t build_ipv4_udp(uint8_t *p)
{
    size_t n = put_ipv4(p, 20, NULL, 20 + 8 + 3, 17);
    n += put_udp(p + n, 11);
    memcpy(p + n, "abc", 3);
    return n + 3;
}

static void test_sll_sll2(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    /* SLL v1: packet type 0 (to us), ARPHRD_ETHER 1, address length 6, address, protocol. */
    memset(buf, 0, 16);
    be16(buf + 2, 1);
    be16(buf + 4, 6);
    memcpy(buf + 6, MAC_SRC, 6);
    be16(buf + 14, 0x0800);
    size_t n = 16 + build_ipv4_udp(buf + 16);
    assert_int_equal(run(t, DLT_LINUX_SLL, buf, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.ipproto, 17);
    assert_int_equal(t->d.payload_len, 3);
    assert_memory_equal(t->d.payload, "abc", 3);
    assert_false(t->d.has_mac);
    assert_int_equal(t->st.sll, 1);
    assert_int_equal(run(t, DLT_LINUX_SLL, buf, 15), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_SLL_PKT_TOO_SMALL), 1);

    /* SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address. */
    memset(buf, 0, 20);
    be16(buf, 0x0800);
    be32(buf + 4, 3);
    be16(buf + 8, 1);
    buf[10] = 4; /* outgoing */
    buf[11] = 6;
    memcpy(buf + 12, MAC_SRC, 6);
    n = 20 + build_ipv4_udp(buf + 20);
    assert_int_equal(run(t, DLT_LINUX_SLL2, buf, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.ipproto, 17);
    assert_memory_equal(t->d.payload, "abc", 3);
    assert_int_equal(t->st.sll2, 1);
    assert_int_equal(run(t, DLT_LINUX_SLL2, buf, 19), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_SLL2_PKT_TOO_SMALL), 1);

    be16(buf, 0x0806);
    assert_int_equal(run(t, DLT_LINUX_SLL2, buf, (uint32_t)n), DECODE_NOT_IP);
}

static void test_null_loop(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t ip = build_ipv4_udp(buf + 4);
    /* DLT_NULL, AF_INET little-endian (captured on x86). */
    be32(buf, 0x02000000);
    assert_int_equal(run(t, DLT_NULL, buf, (uint32_t)(4 + ip)), DECODE_OK);
    assert_int_equal(t->d.ip_version, 4);
    /* DLT_NULL, AF_INET big-endian (captured on a big-endian host). */
    be32(buf, 2);
    assert_int_equal(run(t, DLT_NULL, buf, (uint32_t)(4 + ip)), DECODE_OK);
    /* DLT_LOOP is always big-endian ... */
    assert_int_equal(run(t, DLT_LOOP, buf, (uint32_t)(4 + ip)), DECODE_OK);
    /* ... so a little-endian family is not understood there. */
    be32(buf, 0x02000000);
    assert_int_equal(run(t, DLT_LOOP, buf, (uint32_t)(4 + ip)), DECODE_NOT_IP);
    assert_int_equal(has_event(t, DEV_NULL_UNSUPPORTED_TYPE), 1);
    assert_int_equal(t->st.null, 4);

    /* IPv6 with each BSD's AF_INET6 value. */
    static const uint32_t af6[3] = {24, 28, 30};
    size_t n6 = put_ipv6(buf + 4, 8, 17);
    n6 += put_udp(buf + 4 + n6, 8);
    for (int i = 0; i < 3; i++) {
        be32(buf, af6[i] << 24); /* little-endian */
        assert_int_equal(run(t, DLT_NULL, buf, (uint32_t)(4 + n6)), DECODE_OK);
        assert_int_equal(t->d.ip_version, 6);
        be32(buf, af6[i]);
        assert_int_equal(run(t, DLT_LOOP, buf, (uint32_t)(4 + n6)), DECODE_OK);
        assert_int_equal(t->d.ip_version, 6);
    }
    be32(buf, 7);
    assert_int_equal(run(t, DLT_NULL, buf, (uint32_t)(4 + n6)), DECODE_NOT_IP);
    assert_int_equal(has_event(t, DEV_NULL_UNSUPPORTED_TYPE), 1);
    assert_int_equal(run(t, DLT_NULL, buf, 3), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_NULL_PKT_TOO_SMALL), 1);
}

static void test_raw(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n4 = build_ipv4_udp(buf);
    static const int raw_types[4] = {DLT_RAW, 101, 14, DLT_IPV4};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(run(t, raw_types[i], buf, (uint32_t)n4), DECODE_OK);
        assert_int_equal(t->d.ip_version, 4);
        assert_false(t->d.has_mac);
        assert_ptr_equal(t->d.l3, buf);
    }
    assert_int_equal(t->st.raw, 4);

    size_t n6 = put_ipv6(buf, 8 + 2, 17);
    n6 += put_udp(buf + n6, 10);
    buf[n6++] = 'x';
    buf[n6++] = 'y';
    assert_int_equal(run(t, DLT_RAW, buf, (uint32_t)n6), DECODE_OK);
    assert_int_equal(t->d.ip_version, 6);
    assert_memory_equal(t->d.src.b, IP6_SRC, 16);
    assert_memory_equal(t->d.dst.b, IP6_DST, 16);
    assert_int_equal(t->d.ttl, 55);
    assert_int_equal(t->d.payload_len, 2);
    assert_int_equal(run(t, DLT_IPV6, buf, (uint32_t)n6), DECODE_OK);

    buf[0] = 0x50;
    assert_int_equal(run(t, DLT_RAW, buf, (uint32_t)n6), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPRAW_INVALID_IPV), 1);
    assert_int_equal(run(t, DLT_RAW, buf, 0), DECODE_INVALID);

    assert_int_equal(run(t, 9999, buf, (uint32_t)n6), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_LINK_UNSUPPORTED), 1);
}

static void test_ipv4_header_faults(void **state)
{
    struct tst *t = *state;
    uint8_t buf[128];
    size_t n = build_ipv4_udp(buf);

    uint8_t b[128];
    memcpy(b, buf, n);
    b[0] = 0x44; /* IHL 4 */
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV4_HLEN_TOO_SMALL), 1);

    memcpy(b, buf, n);
    be16(b + 2, 19); /* Total Length below the header */
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV4_IPLEN_SMALLER_THAN_HLEN), 1);

    memcpy(b, buf, n);
    be16(b + 2, (uint32_t)n + 1); /* Total Length beyond the capture */
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV4_TRUNC_PKT), 1);

    memcpy(b, buf, n);
    b[0] = 0x4f; /* IHL 15: 60 bytes, more than the 31 there are */
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV4_IPLEN_SMALLER_THAN_HLEN), 1);

    size_t e = put_eth(b, 0x0800);
    memcpy(b + e, buf, n);
    b[e] = 0x65; /* version 6 behind ethertype IPv4 */
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)(e + n)), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV4_WRONG_IP_VER), 1);

    assert_int_equal(run(t, DLT_IPV4, buf, 19), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV4_PKT_TOO_SMALL), 1);
}

static void test_ipv4_options(void **state)
{
    struct tst *t = *state;
    uint8_t b[128];
    struct {
        uint8_t opt[8];
        uint32_t optlen;
        enum decode_event ev; /* DEV__COUNT: none */
    } cases[] = {
        {{1, 1, 1, 0}, 4, DEV__COUNT},                  /* NOP NOP NOP EOL */
        {{0x44, 8, 5, 0, 0, 0, 0, 0}, 8, DEV__COUNT},   /* timestamp option, 8 bytes */
        {{1, 1, 0x83, 7}, 4, DEV_IPV4_OPT_MALFORMED},   /* loose source route running past the header */
        {{0x94, 1, 0, 0}, 4, DEV_IPV4_OPT_INVALID_LEN}, /* length 1 */
        {{0x94, 0, 0, 0}, 4, DEV_IPV4_OPT_INVALID_LEN}, /* length 0: would loop forever if trusted */
        {{1, 1, 1, 0x94}, 4, DEV_IPV4_OPT_MALFORMED},   /* type byte with no length byte */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t hlen = 20 + cases[i].optlen;
        size_t n = put_ipv4(b, hlen, cases[i].opt, hlen + 8, 17);
        n += put_udp(b + n, 8);
        assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_OK); /* still decoded */
        assert_int_equal(t->d.sport, 5353);
        if (cases[i].ev == DEV__COUNT) {
            assert_int_equal(t->nev, 0);
        } else {
            assert_int_equal(t->nev, 1);
            assert_int_equal(t->ev[0], cases[i].ev);
        }
    }
}

static void test_ipv6_ext_chain(void **state)
{
    struct tst *t = *state;
    uint8_t b[256];
    /* IPv6 -> Hop-by-Hop (PadN) -> Routing (type 4, segments left 0, 8 bytes) ->
     * Destination Options (PadN) -> TCP -> 3 bytes. */
    uint32_t plen = 8 + 8 + 8 + 20 + 3;
    size_t n = put_ipv6(b, plen, 0);
    static const uint8_t hbh[8] = {43, 0, 1, 4, 0, 0, 0, 0};
    static const uint8_t rh[8] = {60, 0, 4, 0, 0, 0, 0, 0};
    static const uint8_t dst[8] = {6, 0, 1, 4, 0, 0, 0, 0};
    memcpy(b + n, hbh, 8);
    memcpy(b + n + 8, rh, 8);
    memcpy(b + n + 16, dst, 8);
    n += 24;
    n += put_tcp(b + n, NULL, 0, TH_ACK | TH_PUSH);
    memcpy(b + n, "xyz", 3);
    n += 3;
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->nev, 0);
    assert_int_equal(t->d.ip_version, 6);
    assert_int_equal(t->d.ipproto, 6);
    assert_int_equal(t->d.l3_len, 40 + plen);
    assert_ptr_equal(t->d.l4, b + 64);
    assert_int_equal(t->d.sport, 49152);
    assert_int_equal(t->d.dport, 104);
    assert_int_equal(t->d.tcp_flags, TH_ACK | TH_PUSH);
    assert_int_equal(t->d.payload_len, 3);
    assert_memory_equal(t->d.payload, "xyz", 3);
    assert_int_equal(t->st.ipv6, 1);
    assert_int_equal(t->st.tcp, 1);

    /* The same chain with AH (RFC 4302: length 4 -> (4+2)*4 = 24 bytes) in front of TCP. */
    uint8_t a[256];
    n = put_ipv6(a, 24 + 20, 51);
    memset(a + n, 0, 24);
    a[n] = 6;
    a[n + 1] = 4;
    n += 24;
    n += put_tcp(a + n, NULL, 0, TH_SYN);
    assert_int_equal(run(t, DLT_RAW, a, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.ipproto, 6);
    assert_int_equal(t->d.tcp_flags, TH_SYN);

    /* Each prefix of the chain is truncated somewhere; the Payload Length is cut too. */
    for (size_t len = 40; len < 64; len++) {
        uint8_t c[256];
        memcpy(c, b, 64 + 23);
        be16(c + 4, (uint32_t)(len - 40));
        assert_int_equal(run(t, DLT_RAW, c, (uint32_t)len), DECODE_INVALID);
        assert_int_equal(has_event(t, DEV_IPV6_TRUNC_EXTHDR), 1);
    }
}

static void test_ipv6_faults(void **state)
{
    struct tst *t = *state;
    uint8_t b[512];
    size_t n = put_ipv6(b, 8, 17);
    n += put_udp(b + n, 8);
    assert_int_equal(run(t, DLT_IPV6, b, 39), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_PKT_TOO_SMALL), 1);
    assert_int_equal(run(t, DLT_IPV6, b, (uint32_t)n - 1), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_TRUNC_PKT), 1);
    size_t e = put_eth(b + 100, 0x86dd);
    memcpy(b + 100 + e, b, n);
    b[100 + e] = 0x45;
    assert_int_equal(run(t, DLT_EN10MB, b + 100, (uint32_t)(e + n)), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_WRONG_IP_VER), 1);

    /* 17 Destination Options headers: one more than the limit. */
    n = put_ipv6(b, 17 * 8 + 8, 60);
    for (int i = 0; i < 17; i++) {
        static const uint8_t dopt[8] = {60, 0, 1, 4, 0, 0, 0, 0};
        memcpy(b + n, dopt, 8);
        if (i == 16)
            b[n] = 17;
        n += 8;
    }
    n += put_udp(b + n, 8);
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_EXTHDR_TOO_MANY), 1);
    /* 16 is fine. */
    n = put_ipv6(b, 16 * 8 + 8, 60);
    for (int i = 0; i < 16; i++) {
        static const uint8_t dopt[8] = {60, 0, 1, 4, 0, 0, 0, 0};
        memcpy(b + n, dopt, 8);
        if (i == 15)
            b[n] = 17;
        n += 8;
    }
    n += put_udp(b + n, 8);
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_OK);

    /* Two Fragment headers: an atomic one, then a real one. */
    n = put_ipv6(b, 8 + 8 + 8, 44);
    static const uint8_t fh1[8] = {44, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t fh2[8] = {17, 0, 0, 1, 0, 0, 0, 2};
    memcpy(b + n, fh1, 8);
    memcpy(b + n + 8, fh2, 8);
    n += 16;
    n += put_udp(b + n, 8);
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_EXTHDR_DUPL_FH), 1);
    /* The same when the first is a first fragment (M set). */
    b[40 + 3] = 1;
    b[48 + 3] = 0;
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_EXTHDR_DUPL_FH), 1);
    assert_int_equal(t->st.frag_ipv6_fragments, 0);

    /* ESP and No Next Header end the chain: known by number. */
    n = put_ipv6(b, 16, 50);
    memset(b + n, 0xab, 16);
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n + 16), DECODE_OK);
    assert_int_equal(t->d.ipproto, 50);
    assert_int_equal(t->d.l4_len, 16);
    assert_null(t->d.payload);
    n = put_ipv6(b, 8, 0);
    static const uint8_t hbh59[8] = {59, 0, 1, 4, 0, 0, 0, 0};
    memcpy(b + n, hbh59, 8);
    assert_int_equal(run(t, DLT_RAW, b, (uint32_t)n + 8), DECODE_OK);
    assert_int_equal(t->d.ipproto, 59);
    assert_int_equal(t->st.other_ipproto, 2);
}

static void test_tcp_faults(void **state)
{
    struct tst *t = *state;
    uint8_t b[128];
    size_t n = put_ipv4(b, 20, NULL, 40, 6);
    put_tcp(b + n, NULL, 0, TH_SYN);
    b[n + 12] = 0x40; /* data offset 4 */
    assert_int_equal(run(t, DLT_RAW, b, 40), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_TCP_HLEN_TOO_SMALL), 1);
    b[n + 12] = 0xf0; /* data offset 15, 60 bytes, only 20 there */
    assert_int_equal(run(t, DLT_RAW, b, 40), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_TCP_PKT_TOO_SMALL), 1);
    put_ipv4(b, 20, NULL, 39, 6);
    assert_int_equal(run(t, DLT_RAW, b, 39), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_TCP_PKT_TOO_SMALL), 1);

    /* MSS, then an option of length 0: options stop there, the segment stays. */
    static const uint8_t bad0[8] = {2, 4, 0x02, 0x18, 0x1e, 0, 3, 3};
    n = put_ipv4(b, 20, NULL, 48, 6);
    put_tcp(b + n, bad0, 8, TH_SYN);
    assert_int_equal(run(t, DLT_RAW, b, 48), DECODE_OK);
    assert_int_equal(has_event(t, DEV_TCP_OPT_INVALID_LEN), 1);
    assert_int_equal(t->d.tcp_mss, 536);
    assert_false(t->d.tcp_has_wscale);
    /* Timestamps claiming 10 bytes with 4 left. */
    static const uint8_t past[8] = {1, 1, 1, 1, 8, 10, 0, 0};
    put_tcp(b + n, past, 8, TH_SYN);
    assert_int_equal(run(t, DLT_RAW, b, 48), DECODE_OK);
    assert_int_equal(has_event(t, DEV_TCP_OPT_INVALID_LEN), 1);
    assert_false(t->d.tcp_has_ts);
    /* MSS with length 3: skipped and reported; Window scale 20 used as 14. */
    static const uint8_t wrong[8] = {2, 3, 0, 3, 3, 20, 0, 0};
    put_tcp(b + n, wrong, 8, TH_SYN);
    assert_int_equal(run(t, DLT_RAW, b, 48), DECODE_OK);
    assert_int_equal(has_event(t, DEV_TCP_OPT_INVALID_LEN), 1);
    assert_int_equal(t->d.tcp_mss, 0);
    assert_true(t->d.tcp_has_wscale);
    assert_int_equal(t->d.tcp_wscale, 14);
    /* A lone kind byte at the end of the options. */
    static const uint8_t lone[4] = {1, 1, 1, 2};
    n = put_ipv4(b, 20, NULL, 44, 6);
    put_tcp(b + n, lone, 4, TH_SYN);
    assert_int_equal(run(t, DLT_RAW, b, 44), DECODE_OK);
    assert_int_equal(has_event(t, DEV_TCP_OPT_INVALID_LEN), 1);
}

static void test_udp_icmp_other(void **state)
{
    struct tst *t = *state;
    uint8_t b[128];
    /* UDP length shorter than the IP payload: the rest is padding. */
    size_t n = put_ipv4(b, 20, NULL, 20 + 16, 17);
    put_udp(b + n, 10);
    memcpy(b + n + 8, "ab------", 8);
    assert_int_equal(run(t, DLT_RAW, b, 36), DECODE_OK);
    assert_int_equal(t->d.payload_len, 2);
    assert_int_equal(t->d.l4_len, 10);
    put_udp(b + n, 17); /* longer than there is */
    assert_int_equal(run(t, DLT_RAW, b, 36), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_UDP_HLEN_INVALID), 1);
    put_udp(b + n, 7);
    assert_int_equal(run(t, DLT_RAW, b, 36), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_UDP_HLEN_INVALID), 1);
    put_ipv4(b, 20, NULL, 27, 17);
    assert_int_equal(run(t, DLT_RAW, b, 27), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_UDP_PKT_TOO_SMALL), 1);

    /* ICMP echo request. */
    n = put_ipv4(b, 20, NULL, 28, 1);
    static const uint8_t echo[8] = {8, 0, 0, 0, 0, 1, 0, 2};
    memcpy(b + n, echo, 8);
    assert_int_equal(run(t, DLT_RAW, b, 28), DECODE_OK);
    assert_int_equal(t->d.icmp_type, 8);
    assert_int_equal(t->d.icmp_code, 0);
    assert_int_equal(t->d.sport, 0);
    assert_int_equal(t->d.l4_len, 8);
    put_ipv4(b, 20, NULL, 24, 1);
    assert_int_equal(run(t, DLT_RAW, b, 24), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_ICMPV4_PKT_TOO_SMALL), 1);

    /* ICMPv6 destination unreachable, code 4 (port). */
    n = put_ipv6(b, 8, 58);
    static const uint8_t unreach[8] = {1, 4, 0, 0, 0, 0, 0, 0};
    memcpy(b + n, unreach, 8);
    assert_int_equal(run(t, DLT_RAW, b, 48), DECODE_OK);
    assert_int_equal(t->d.icmp_type, 1);
    assert_int_equal(t->d.icmp_code, 4);
    put_ipv6(b, 4, 58);
    assert_int_equal(run(t, DLT_RAW, b, 44), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_ICMPV6_PKT_TOO_SMALL), 1);

    /* ESP: known by number. */
    n = put_ipv4(b, 20, NULL, 24, 50);
    memset(b + n, 0, 4);
    assert_int_equal(run(t, DLT_RAW, b, 24), DECODE_OK);
    assert_int_equal(t->d.ipproto, 50);
    assert_int_equal(t->d.sport, 0);
    assert_int_equal(t->d.l4_len, 4);
    assert_int_equal(t->st.icmpv4, 2);
    assert_int_equal(t->st.icmpv6, 2);
    assert_int_equal(t->st.other_ipproto, 1);
}

/* ---- tunnels (tunnel.c) ------------------------------------------------- */

/* The inner packet every tunnel test carries: IPv4 (20) + UDP (8) + "hello", 33 bytes, 10.9.9.1 -> 10.9.9.2. */
static size_t put_inner(uint8_t *p)
{
    size_t n = put_ipv4(p, 20, NULL, 33, 17);
    p[12] = 10, p[13] = 9, p[14] = 9, p[15] = 1;
    p[16] = 10, p[17] = 9, p[18] = 9, p[19] = 2;
    n += put_udp(p + n, 13);
    memcpy(p + n, PAYLOAD, sizeof(PAYLOAD));
    return n + sizeof(PAYLOAD);
}

static void assert_inner(const struct tst *t, uint8_t depth)
{
    const struct decoded *d = &t->d;
    assert_int_equal(d->tunnel_depth, depth);
    assert_int_equal(d->ip_version, 4);
    assert_int_equal(d->src.b[12], 10);
    assert_int_equal(d->src.b[15], 1);
    assert_int_equal(d->dst.b[15], 2);
    assert_int_equal(d->ipproto, 17);
    assert_int_equal(d->dport, 53);
    assert_int_equal(d->payload_len, 5);
    assert_memory_equal(d->payload, "hello", 5);
    /* the outermost tunnel's endpoints */
    assert_int_equal(d->outer_src.b[12], IP4_SRC[0]);
    assert_int_equal(d->outer_dst.b[15], IP4_DST[3]);
}

/* Ethernet + IPv4(proto) + hdr (hlen bytes) + inner: returns the frame length */
static size_t build_tunnel(uint8_t *b, uint8_t proto, const uint8_t *hdr, size_t hlen, bool inner_eth)
{
    size_t n = put_eth(b, 0x0800);
    size_t ip = n;
    n += 20;
    if (hlen)
        memcpy(b + n, hdr, hlen);
    n += hlen;
    if (inner_eth)
        n += put_eth(b + n, 0x0800);
    n += put_inner(b + n);
    put_ipv4(b + ip, 20, NULL, (uint32_t)(n - ip), proto);
    return n;
}

static void test_tunnel_ipip_gre(void **state)
{
    struct tst *t = *state;
    uint8_t b[256];
    /* IPv4 in IPv4 */
    size_t n = build_tunnel(b, 4, NULL, 0, false);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    assert_int_equal(t->st.ipip, 1);
    assert_int_equal(t->st.tunneled, 1);
    /* GRE, plain and with checksum + key + sequence number */
    static const uint8_t gre[4] = {0x00, 0x00, 0x08, 0x00};
    n = build_tunnel(b, 47, gre, 4, false);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    static const uint8_t gre_cks[16] = {0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7};
    n = build_tunnel(b, 47, gre_cks, 16, false);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    /* GRE transparent Ethernet bridging: the inner frame's MACs and VLANs replace the outer ones */
    static const uint8_t gre_teb[4] = {0x00, 0x00, 0x65, 0x58};
    n = build_tunnel(b, 47, gre_teb, 4, true);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    assert_int_equal(t->st.gre, 3);
    /* GRE with routing, version 2, and version 1 without PPP: refused */
    static const uint8_t gre_bad[3][4] = {{0x40, 0x00, 0x08, 0x00}, {0x00, 0x02, 0x08, 0x00}, {0x20, 0x01, 0x08, 0x00}};
    for (int i = 0; i < 3; i++) {
        n = build_tunnel(b, 47, gre_bad[i], 4, false);
        assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_INVALID);
        assert_int_equal(has_event(t, DEV_GRE_UNSUPPORTED), 1);
    }
    /* GRE keepalive-like unknown protocol: not IP, no anomaly */
    static const uint8_t gre_other[4] = {0x00, 0x00, 0x88, 0x47};
    n = build_tunnel(b, 47, gre_other, 4, false);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_NOT_IP);
    assert_int_equal(t->nev, 0);
    /* GRE header cut short: key announced, not there */
    static const uint8_t gre_key[4] = {0x20, 0x00, 0x08, 0x00};
    n = put_eth(b, 0x0800);
    put_ipv4(b + n, 20, NULL, 26, 47);
    memcpy(b + n + 20, gre_key, 4);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n + 26), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_GRE_PKT_TOO_SMALL), 1);
}

static void test_tunnel_erspan_vxlan(void **state)
{
    struct tst *t = *state;
    uint8_t b[256];
    /* ERSPAN type II: GRE with S bit, 0x88be, 8-byte header version 1 */
    static const uint8_t e2[16] = {0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x64, 0x00, 0x05, 0, 0, 0, 0};
    size_t n = build_tunnel(b, 47, e2, 16, true);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    /* type I: no sequence number, no ERSPAN header */
    static const uint8_t e1[4] = {0x00, 0x00, 0x88, 0xbe};
    n = build_tunnel(b, 47, e1, 4, true);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    /* type III with the platform-specific subheader (O bit) */
    uint8_t e3[4 + 4 + 12 + 8] = {0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9, 0x20, 0x64};
    e3[8 + 11] = 0x01;
    n = build_tunnel(b, 47, e3, sizeof(e3), true);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    assert_int_equal(t->st.erspan, 3);
    /* a type II header claiming version 2 */
    uint8_t e2bad[16];
    memcpy(e2bad, e2, 16);
    e2bad[8] = 0x20;
    n = build_tunnel(b, 47, e2bad, 16, true);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_ERSPAN_UNSUPPORTED_VERSION), 1);

    /* VXLAN: UDP to 4789 with the I flag */
    t->ctx.cfg.vxlan_port = 4789; /* decoder.vxlan-port's default, IANA */
    n = put_eth(b, 0x0800);
    size_t ip = n;
    n += 20;
    size_t udp = n;
    n += 8;
    static const uint8_t vx[8] = {0x08, 0, 0, 0, 0, 0, 0x2a, 0};
    memcpy(b + n, vx, 8);
    n += 8;
    n += put_eth(b + n, 0x0800);
    n += put_inner(b + n);
    put_ipv4(b + ip, 20, NULL, (uint32_t)(n - ip), 17);
    put_udp(b + udp, (uint32_t)(n - udp));
    be16(b + udp + 2, 4789);
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_inner(t, 1);
    assert_int_equal(t->st.vxlan, 1);
    /* without the I flag it stays a UDP datagram to 4789 */
    b[udp + 8] = 0;
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.tunnel_depth, 0);
    assert_int_equal(t->d.dport, 4789);
    /* and with decoder.vxlan-port 0 too */
    b[udp + 8] = 0x08;
    t->ctx.cfg.vxlan_port = 0;
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.tunnel_depth, 0);
}

static void test_tunnel_ppp(void **state)
{
    struct tst *t = *state;
    uint8_t b[256];
    /* DLT_PPP with address/control and a two-byte protocol */
    b[0] = 0xff, b[1] = 0x03, b[2] = 0x00, b[3] = 0x21;
    size_t n = 4 + put_inner(b + 4);
    assert_int_equal(run(t, DLT_PPP, b, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.tunnel_depth, 1);
    assert_int_equal(t->d.dport, 53);
    /* without address/control, protocol field compressed to one byte */
    b[0] = 0x21;
    n = 1 + put_inner(b + 1);
    assert_int_equal(run(t, DLT_PPP_SERIAL, b, (uint32_t)n), DECODE_OK);
    assert_int_equal(t->d.payload_len, 5);
    /* LCP: not IP */
    b[0] = 0xc0, b[1] = 0x21;
    assert_int_equal(run(t, DLT_PPP, b, 8), DECODE_NOT_IP);
    /* PPPoE session: version/type 0x11, code 0, session, length (PPP frame), then PPP without address/control */
    n = put_eth(b, 0x8864);
    b[n] = 0x11, b[n + 1] = 0, b[n + 2] = 0x12, b[n + 3] = 0x34;
    size_t inner = put_inner(b + n + 8);
    be16(b + n + 4, (uint32_t)(inner + 2));
    b[n + 6] = 0x00, b[n + 7] = 0x21;
    size_t len = n + 8 + inner;
    memset(b + len, 0xee, 6); /* Ethernet padding after the PPP frame */
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)len + 6), DECODE_OK);
    assert_int_equal(t->d.dport, 53);
    assert_int_equal(t->st.pppoe, 1);
    b[n + 2] = 0;
    b[n + 1] = 0x09; /* PADI code in a session frame */
    assert_int_equal(run(t, DLT_EN10MB, b, (uint32_t)len), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_PPPOE_WRONG_CODE), 1);
    assert_int_equal(run(t, DLT_PPP, b, 0), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_PPP_PKT_TOO_SMALL), 1);
}

/* IP in IP in IP ...: three encapsulations are decoded, a fourth is an anomaly, never a loop. */
static void test_tunnel_depth_and_truncation(void **state)
{
    struct tst *t = *state;
    uint8_t b[512];
    for (int depth = 1; depth <= DECODE_MAX_TUNNELS + 1; depth++) {
        size_t n = 0;
        size_t total = (size_t)depth * 20 + 33;
        for (int i = 0; i < depth; i++, total -= 20)
            n += put_ipv4(b + n, 20, NULL, (uint32_t)total, 4);
        n += put_inner(b + n);
        enum decode_result r = run(t, DLT_RAW, b, (uint32_t)n);
        if (depth <= DECODE_MAX_TUNNELS) {
            assert_int_equal(r, DECODE_OK);
            assert_int_equal(t->d.tunnel_depth, depth);
            assert_int_equal(t->d.payload_len, 5);
        } else {
            assert_int_equal(r, DECODE_INVALID);
            assert_int_equal(has_event(t, DEV_TUNNEL_TOO_DEEP), 1);
        }
    }
    /* every truncation of every kind of tunnel frame: no read past the end (ASan), a defined result */
    static const uint8_t e3[20] = {0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 9, 0x20, 0x64};
    static const uint8_t gre_ppp[12] = {0x30, 0x01, 0x88, 0x0b, 0, 8, 0, 0, 0, 0, 0, 1};
    struct {
        uint8_t proto;
        const uint8_t *hdr;
        size_t hlen;
        bool eth;
    } kinds[] = {{47, e3, sizeof(e3), true}, {47, gre_ppp, sizeof(gre_ppp), false}, {4, NULL, 0, false}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        uint8_t full[256];
        size_t n;
        if (kinds[k].hdr == gre_ppp) {
            /* GRE v1 + PPP (address/control, IPv4) */
            uint8_t h[16];
            memcpy(h, gre_ppp, 12);
            h[12] = 0xff, h[13] = 0x03, h[14] = 0x00, h[15] = 0x21;
            n = build_tunnel(full, 47, h, 16, false);
        } else {
            n = build_tunnel(full, kinds[k].proto, kinds[k].hdr, kinds[k].hlen, kinds[k].eth);
        }
        assert_int_equal(run(t, DLT_EN10MB, full, (uint32_t)n), DECODE_OK);
        assert_inner(t, 1);
        for (size_t cut = 0; cut < n; cut++) {
            enum decode_result r = run(t, DLT_EN10MB, full, (uint32_t)cut);
            assert_true(r == DECODE_OK || r == DECODE_INVALID || r == DECODE_NOT_IP);
        }
    }
}

/* Anomaly counters and the event callback agree. */
static void test_anomaly_counts(void **state)
{
    struct tst *t = *state;
    uint8_t buf[8] = {0};
    assert_int_equal(run(t, DLT_EN10MB, buf, 8), DECODE_INVALID);
    assert_int_equal(run(t, DLT_EN10MB, buf, 2), DECODE_INVALID);
    assert_int_equal(t->st.decode_events[DEV_ETH_PKT_TOO_SMALL], 2);
    assert_int_equal(t->st.invalid, 2);
    assert_int_equal(t->st.ethernet, 2);
    assert_string_equal(decode_event_name(DEV_ETH_PKT_TOO_SMALL), "pkt_too_small");
}

/* Random mutations of valid frames of every link type: nothing may crash,
 * read out of bounds or report a result outside the enum.  Deterministic. */
static void test_mutations(void **state)
{
    struct tst *t = *state;
    uint8_t base[6][160];
    size_t blen[6];
    int lt[6] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_NULL, DLT_RAW, DLT_RAW, DLT_LINUX_SLL2};
    blen[0] = build_full(base[0]);
    memset(base[1], 0, 16);
    be16(base[1] + 14, 0x86dd);
    blen[1] = 16 + put_ipv6(base[1] + 16, 8 + 8 + 20, 0);
    static const uint8_t hbh[8] = {44, 0, 1, 4, 0, 0, 0, 0};
    memcpy(base[1] + blen[1], hbh, 8);
    static const uint8_t fh[8] = {6, 0, 0, 1, 0, 0, 0, 9};
    memcpy(base[1] + blen[1] + 8, fh, 8);
    blen[1] += 16;
    blen[1] += put_tcp(base[1] + blen[1], NULL, 0, TH_SYN) - 8;
    be32(base[2], 2);
    blen[2] = 4 + build_ipv4_udp(base[2] + 4);
    blen[3] = put_ipv4(base[3], 24, IP_OPT_RA, 24 + 40, 6);
    blen[3] += put_tcp(base[3] + blen[3], TCP_OPTS, sizeof(TCP_OPTS), TH_SYN);
    blen[4] = put_ipv6(base[4], 16 + 8, 60);
    static const uint8_t dopt[16] = {17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(base[4] + blen[4], dopt, 16);
    blen[4] += 16;
    blen[4] += put_udp(base[4] + blen[4], 8);
    memset(base[5], 0, 20);
    be16(base[5], 0x8100);
    be16(base[5] + 20, 5);
    be16(base[5] + 22, 0x0800);
    blen[5] = 24 + build_ipv4_udp(base[5] + 24);

    uint64_t rng = 0x9e3779b97f4a7c15u;
    for (int iter = 0; iter < 30000; iter++) {
        int k = iter % 6;
        uint8_t m[160];
        memcpy(m, base[k], blen[k]);
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        int flips = 1 + (int)((rng >> 33) % 4);
        for (int f = 0; f < flips; f++) {
            rng = rng * 6364136223846793005u + 1442695040888963407u;
            m[(rng >> 33) % blen[k]] = (uint8_t)(rng >> 17);
        }
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        uint32_t len = (uint32_t)blen[k];
        if ((rng >> 40) % 4 == 0)
            len = (uint32_t)((rng >> 20) % (blen[k] + 1));
        enum decode_result r = run(t, lt[k], m, len);
        assert_true(r == DECODE_OK || r == DECODE_FRAGMENT || r == DECODE_NOT_IP || r == DECODE_INVALID);
        if (r == DECODE_INVALID)
            assert_true(t->nev >= 1);
        if (r == DECODE_OK && (t->d.ipproto == 6 || t->d.ipproto == 17) && t->d.payload) {
            assert_true(t->d.payload >= m && t->d.payload + t->d.payload_len <= m + len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_eth_ipv4_tcp_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eth_padding_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_every_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snap_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_tso_zero_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_snap_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vlan_8021q, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vlan_qinq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eth_not_ip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sll_sll2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_header_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_ext_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_udp_icmp_other, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anomaly_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tunnel_ipip_gre, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tunnel_erspan_vxlan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tunnel_ppp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tunnel_depth_and_truncation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
