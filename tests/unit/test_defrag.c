/*
 * test_defrag.c - unit tests of IP reassembly (src/decode/defrag.c) through
 * decode_packet(): IPv4 (RFC 791 section 3.2) and IPv6 (RFC 8200 section 4.5)
 * fragments in order, in reverse, overlapping with the same and with
 * different bytes ("first fragment wins"), duplicates, the size, count,
 * memory and time limits, and a random run that checks the memcap balances.
 *
 * Fragments are built here from the header layouts; the datagram they carry
 * is a UDP header and 40 bytes of known data, so the reassembled bytes can be
 * compared byte for byte.
 */
#include <pcap/dlt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "decode/decode.h"

#define MAX_EVENTS 64
#define DGRAM_LEN  48 /* UDP header 8 + 40 bytes */

struct tst {
    struct decode_ctx ctx;
    struct stats st;
    enum decode_event ev[MAX_EVENTS];
    int nev;
    struct decoded d;
    uint8_t dgram[DGRAM_LEN]; /* the transport datagram the fragments carry */
    uint8_t out[65600];       /* copy of the last reassembled IP datagram */
    uint32_t out_len;
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

static int setup_with(void **state, uint64_t memcap, uint32_t max_frags)
{
    struct tst *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    struct decode_cfg cfg = {
        .defrag_memcap = memcap, .defrag_timeout_s = 30, .defrag_max_frags = max_frags, .max_vlan_layers = 2};
    if (decode_ctx_init(&t->ctx, &cfg, &t->st) != 0) {
        free(t);
        return -1;
    }
    t->ctx.on_event = record_event;
    t->ctx.user = t;
    /* UDP 5353 -> 53, length 48, then bytes 0x40.. */
    t->dgram[0] = 0x14;
    t->dgram[1] = 0xe9;
    t->dgram[2] = 0x00;
    t->dgram[3] = 53;
    t->dgram[4] = 0;
    t->dgram[5] = DGRAM_LEN;
    t->dgram[6] = t->dgram[7] = 0;
    for (int i = 8; i < DGRAM_LEN; i++)
        t->dgram[i] = (uint8_t)(0x40 + i);
    *state = t;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, 1 << 20, 16);
}

static int setup_tiny_memcap(void **state)
{
    return setup_with(state, 64, 16);
}

static int teardown(void **state)
{
    struct tst *t = *state;
    decode_ctx_free(&t->ctx);
    assert_int_equal(t->ctx.defrag_mc.used, 0); /* everything charged was given back */
    free(t);
    return 0;
}

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

/* Decode a frame from an exact-size heap copy; keep a copy of a reassembled datagram. */
static enum decode_result run_at(struct tst *t, int linktype, const uint8_t *bytes, uint32_t len, uint64_t ts)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, len);
    struct packet pkt = {.ts_us = ts, .caplen = len, .wirelen = len, .linktype = linktype, .data = copy};
    t->nev = 0;
    enum decode_result r = decode_packet(&t->ctx, &pkt, &t->d);
    t->out_len = 0;
    if (r == DECODE_OK && t->d.reassembled) {
        assert_true(t->d.l3_len <= sizeof(t->out));
        memcpy(t->out, t->d.l3, t->d.l3_len);
        t->out_len = t->d.l3_len;
        /* the transport pointers lie inside the reassembled datagram */
        assert_true(t->d.l4 >= t->d.l3 && t->d.l4 + t->d.l4_len <= t->d.l3 + t->d.l3_len);
    }
    free(copy);
    return r;
}

/* Raw IPv4 fragment: offset in bytes, data from src. */
static enum decode_result frag4_at(struct tst *t, uint16_t id, uint32_t off, bool mf, const uint8_t *src, uint32_t len,
                                   uint64_t ts)
{
    uint8_t b[1600];
    assert_true(len + 20 <= sizeof(b));
    memset(b, 0, 20);
    b[0] = 0x45;
    be16(b + 2, 20 + len);
    be16(b + 4, id);
    be16(b + 6, (mf ? 0x2000u : 0) | (off / 8));
    b[8] = 64;
    b[9] = 17;
    static const uint8_t s[4] = {10, 0, 0, 1}, dd[4] = {10, 0, 0, 2};
    memcpy(b + 12, s, 4);
    memcpy(b + 16, dd, 4);
    memcpy(b + 20, src, len);
    return run_at(t, DLT_RAW, b, 20 + len, ts);
}

static enum decode_result frag4(struct tst *t, uint32_t off, bool mf, const uint8_t *src, uint32_t len)
{
    return frag4_at(t, 0x4242, off, mf, src, len, 1000000);
}

/* The reassembled IPv4 datagram carries the original UDP datagram. */
static void check_reassembled4(struct tst *t, const uint8_t *want)
{
    assert_true(t->d.reassembled);
    assert_int_equal(t->d.ip_version, 4);
    assert_int_equal(t->d.ipproto, 17);
    assert_int_equal(t->d.sport, 5353);
    assert_int_equal(t->d.dport, 53);
    assert_int_equal(t->d.l3_len, 20 + DGRAM_LEN);
    assert_int_equal(t->out_len, 20 + DGRAM_LEN);
    assert_int_equal(t->out[2] << 8 | t->out[3], 20 + DGRAM_LEN); /* Total Length fixed */
    assert_int_equal(t->out[6] & 0x3f, 0);                        /* MF and offset cleared */
    assert_int_equal(t->out[7], 0);
    assert_memory_equal(t->out + 20, want, DGRAM_LEN);
    assert_int_equal(t->d.payload_len, DGRAM_LEN - 8);
    /* header checksum recomputed: the one's complement sum over the header is 0xffff */
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(t->out[i] << 8 | t->out[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    assert_int_equal(sum, 0xffff);
}

static void test_ipv4_in_order(void **state)
{
    struct tst *t = *state;
    assert_int_equal(frag4(t, 0, true, t->dgram, 16), DECODE_FRAGMENT);
    assert_int_equal(t->d.ip_version, 4);
    assert_false(t->d.reassembled);
    assert_int_equal(frag4(t, 16, true, t->dgram + 16, 16), DECODE_FRAGMENT);
    assert_true(t->ctx.defrag_mc.used > 0);
    assert_int_equal(frag4(t, 32, false, t->dgram + 32, 16), DECODE_OK);
    assert_int_equal(t->nev, 0);
    check_reassembled4(t, t->dgram);
    assert_int_equal(t->st.frag_ipv4_fragments, 3);
    assert_int_equal(t->st.frag_ipv4_reassembled, 1);
    assert_int_equal(t->st.ipv4, 3);
    assert_int_equal(t->st.udp, 1);
    assert_int_equal(t->ctx.defrag_mc.used, 0);
}

static void test_ipv4_reverse_order(void **state)
{
    struct tst *t = *state;
    assert_int_equal(frag4(t, 32, false, t->dgram + 32, 16), DECODE_FRAGMENT);
    assert_int_equal(frag4(t, 16, true, t->dgram + 16, 16), DECODE_FRAGMENT);
    assert_int_equal(frag4(t, 0, true, t->dgram, 16), DECODE_OK);
    check_reassembled4(t, t->dgram);
    /* A second datagram with the same key starts afresh. */
    assert_int_equal(frag4(t, 8, true, t->dgram + 8, 40), DECODE_FRAGMENT);
    assert_int_equal(frag4(t, 16, false, t->dgram + 16, 8), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_IGNORED), 1); /* a last fragment ending before held data */
    assert_int_equal(frag4(t, 40, false, t->dgram + 40, 8), DECODE_FRAGMENT); /* sets the end, bytes held */
    assert_int_equal(t->nev, 1);
    assert_int_equal(t->ev[0], DEV_IPV4_FRAG_OVERLAP);
    assert_int_equal(frag4(t, 40, true, t->dgram + 40, 16), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_IGNORED), 1); /* data past the known end */
    assert_int_equal(frag4(t, 0, true, t->dgram, 8), DECODE_OK);
    check_reassembled4(t, t->dgram);
}

static void test_ipv4_overlap_same(void **state)
{
    struct tst *t = *state;
    assert_int_equal(frag4(t, 0, true, t->dgram, 24), DECODE_FRAGMENT);
    assert_int_equal(frag4(t, 8, true, t->dgram + 8, 24), DECODE_FRAGMENT); /* [8,32) over [0,24) */
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP), 1);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP_DIFF), 0);
    assert_int_equal(frag4(t, 32, false, t->dgram + 32, 16), DECODE_OK);
    check_reassembled4(t, t->dgram);
    assert_int_equal(t->st.decode_events[DEV_IPV4_FRAG_OVERLAP], 1);
}

static void test_ipv4_overlap_diff_first_wins(void **state)
{
    struct tst *t = *state;
    uint8_t evil[16];
    memcpy(evil, t->dgram + 16, 16);
    memset(evil, 'X', 8); /* rewrites [16,24), agrees on [24,32) */
    assert_int_equal(frag4(t, 0, true, t->dgram, 24), DECODE_FRAGMENT);
    assert_int_equal(frag4(t, 16, true, evil, 16), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP), 1);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP_DIFF), 1);
    assert_int_equal(frag4(t, 32, false, t->dgram + 32, 16), DECODE_OK);
    check_reassembled4(t, t->dgram); /* the first bytes held won */
    assert_int_equal(t->st.decode_events[DEV_IPV4_FRAG_OVERLAP_DIFF], 1);

    /* The other way round: a later fragment covering two held ones with a hole
     * between them; only the hole is taken from it. */
    uint8_t all_x[48];
    memcpy(all_x, t->dgram, 48);
    memset(all_x + 8, 'Y', 40);
    assert_int_equal(frag4(t, 0, true, t->dgram, 16), DECODE_FRAGMENT);
    assert_int_equal(frag4(t, 32, false, t->dgram + 32, 16), DECODE_FRAGMENT);
    memcpy(all_x + 16, t->dgram + 16, 16);
    assert_int_equal(frag4(t, 8, false, all_x + 8, 40), DECODE_OK);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP), 1);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP_DIFF), 1);
    check_reassembled4(t, t->dgram);
}

static void test_ipv4_duplicate(void **state)
{
    struct tst *t = *state;
    assert_int_equal(frag4(t, 0, true, t->dgram, 16), DECODE_FRAGMENT);
    assert_int_equal(frag4(t, 0, true, t->dgram, 16), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP), 1);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_OVERLAP_DIFF), 0);
    assert_int_equal(frag4(t, 16, false, t->dgram + 16, 32), DECODE_OK);
    check_reassembled4(t, t->dgram);
    /* A duplicate of the last fragment after completion starts a new datagram. */
    assert_int_equal(frag4(t, 16, false, t->dgram + 16, 32), DECODE_FRAGMENT);
    assert_int_equal(t->st.frag_ipv4_fragments, 4);
    assert_int_equal(t->st.frag_ipv4_reassembled, 1);
}

static void test_ipv4_keys_apart(void **state)
{
    struct tst *t = *state;
    /* Same addresses, other identification: two datagrams. */
    assert_int_equal(frag4_at(t, 1, 0, true, t->dgram, 16, 1000000), DECODE_FRAGMENT);
    assert_int_equal(frag4_at(t, 2, 16, false, t->dgram + 16, 32, 1000000), DECODE_FRAGMENT);
    assert_int_equal(frag4_at(t, 1, 16, false, t->dgram + 16, 32, 1000000), DECODE_OK);
    check_reassembled4(t, t->dgram);
    assert_int_equal(frag4_at(t, 2, 0, true, t->dgram, 16, 1000000), DECODE_OK);
    check_reassembled4(t, t->dgram);
}

static void test_ipv4_too_large(void **state)
{
    struct tst *t = *state;
    static uint8_t data[200];
    assert_int_equal(frag4(t, 0, true, data, 64), DECODE_FRAGMENT);
    /* offset 65480 + 100 bytes + 20 of header > 65535 */
    assert_int_equal(frag4(t, 65480, false, data, 100), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_PKT_TOO_LARGE), 1);
    assert_int_equal(t->ctx.defrag_mc.used, 0); /* the datagram was dropped */
    /* Exactly 65535 is allowed as far as the size goes. */
    assert_int_equal(frag4(t, 65512, false, data, 3), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_IPV4_FRAG_PKT_TOO_LARGE), 0);
}

static void test_ipv4_too_many(void **state)
{
    struct tst *t = *state;
    /* 16 fragments held (never complete: the last is missing), the 17th is one too many. */
    for (uint32_t i = 0; i < 16; i++)
        assert_int_equal(frag4(t, i * 8, true, t->dgram, 8), DECODE_FRAGMENT);
    assert_int_equal(t->nev, 0);
    assert_int_equal(frag4(t, 16 * 8, true, t->dgram, 8), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_FRAG_TOO_MANY), 1);
    assert_int_equal(t->st.frag_max_hits, 1);
    assert_int_equal(t->ctx.defrag_mc.used, 0);
}

static void test_ipv4_memcap(void **state)
{
    struct tst *t = *state; /* memcap of 64 bytes: not even one tracker fits */
    assert_int_equal(frag4(t, 0, true, t->dgram, 16), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_FRAG_MEMCAP), 1);
    assert_int_equal(t->st.frag_memcap_hits, 1);
    assert_int_equal(t->st.decode_events[DEV_FRAG_MEMCAP], 1);
    assert_int_equal(t->st.frag_ipv4_fragments, 1);
    assert_int_equal(t->ctx.defrag_mc.used, 0);
}

static void test_memcap_fragment_data(void **state)
{
    struct tst *t = *state;
    /* Find how much one tracker with one fragment costs, then cap just below
     * what a second, large fragment needs. */
    assert_int_equal(frag4(t, 0, true, t->dgram, 8), DECODE_FRAGMENT);
    uint64_t one = t->ctx.defrag_mc.used;
    t->ctx.defrag_mc.cap = one + 100;
    static uint8_t big[1000];
    assert_int_equal(frag4(t, 8, true, big, 1000), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_FRAG_MEMCAP), 1);
    assert_int_equal(t->st.frag_memcap_hits, 1);
    assert_int_equal(t->ctx.defrag_mc.used, one); /* nothing of it was kept */
    /* A small one still fits, and the datagram can complete. */
    assert_int_equal(frag4(t, 8, false, t->dgram + 8, 40), DECODE_OK);
    check_reassembled4(t, t->dgram);
}

static void test_timeout(void **state)
{
    struct tst *t = *state;
    assert_int_equal(frag4_at(t, 7, 0, true, t->dgram, 16, 1000000), DECODE_FRAGMENT);
    decode_expire(&t->ctx, 1000000 + 29 * 1000000ull);
    assert_int_equal(t->st.frag_ipv4_timeouts, 0);
    t->nev = 0;
    decode_expire(&t->ctx, 1000000 + 31 * 1000000ull);
    assert_int_equal(t->st.frag_ipv4_timeouts, 1);
    assert_int_equal(has_event(t, DEV_FRAG_TIMEOUT), 1);
    assert_int_equal(t->ctx.defrag_mc.used, 0);
    /* The rest arriving later does not complete anything. */
    assert_int_equal(frag4_at(t, 7, 16, false, t->dgram + 16, 32, 33000000), DECODE_FRAGMENT);

    /* Expiry found on lookup, without decode_expire. */
    assert_int_equal(frag4_at(t, 8, 0, true, t->dgram, 16, 40000000), DECODE_FRAGMENT);
    assert_int_equal(frag4_at(t, 8, 16, false, t->dgram + 16, 32, 80000000), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_FRAG_TIMEOUT), 1);
    assert_int_equal(t->st.frag_ipv4_timeouts, 2); /* id 7's second tracker waits for decode_expire */
    decode_expire(&t->ctx, 80000000);
    assert_int_equal(t->st.frag_ipv4_timeouts, 3);
    assert_int_equal(t->st.frag_ipv4_fragments, 4);
}

/* ---- IPv6 --------------------------------------------------------------- */

/* Raw IPv6 fragment, optionally behind a Hop-by-Hop header. */
static enum decode_result frag6(struct tst *t, uint32_t id, uint32_t off, bool m, const uint8_t *src, uint32_t len,
                                bool hbh)
{
    uint8_t b[1600];
    uint32_t ext = hbh ? 16 : 8;
    memset(b, 0, 40 + ext);
    b[0] = 0x60;
    be16(b + 4, ext + len);
    b[6] = hbh ? 0 : 44;
    b[7] = 64;
    b[8] = 0xfe;
    b[9] = 0x80;
    b[23] = 1;
    b[24] = 0xfe;
    b[25] = 0x80;
    b[39] = 2;
    uint8_t *fh = b + 40;
    if (hbh) {
        static const uint8_t h[8] = {44, 0, 1, 4, 0, 0, 0, 0};
        memcpy(b + 40, h, 8);
        fh = b + 48;
    }
    fh[0] = 17;
    fh[1] = 0;
    be16(fh + 2, off | (m ? 1u : 0));
    be32(fh + 4, id);
    memcpy(b + 40 + ext, src, len);
    return run_at(t, DLT_RAW, b, 40 + ext + len, 1000000);
}

static void test_ipv6_reassembly(void **state)
{
    struct tst *t = *state;
    assert_int_equal(frag6(t, 0xabcdef01, 24, false, t->dgram + 24, 24, false), DECODE_FRAGMENT);
    assert_int_equal(t->d.ip_version, 6);
    assert_int_equal(frag6(t, 0xabcdef01, 0, true, t->dgram, 24, false), DECODE_OK);
    assert_int_equal(t->nev, 0);
    assert_true(t->d.reassembled);
    assert_int_equal(t->d.ipproto, 17);
    assert_int_equal(t->d.l3_len, 40 + DGRAM_LEN);
    assert_int_equal(t->out[6], 17);                         /* Next Header now names UDP */
    assert_int_equal(t->out[4] << 8 | t->out[5], DGRAM_LEN); /* Payload Length without the Fragment header */
    assert_memory_equal(t->out + 40, t->dgram, DGRAM_LEN);
    assert_int_equal(t->d.sport, 5353);
    assert_int_equal(t->d.payload_len, 40);
    assert_int_equal(t->st.frag_ipv6_fragments, 2);
    assert_int_equal(t->st.frag_ipv6_reassembled, 1);
}

static void test_ipv6_reassembly_after_hbh(void **state)
{
    struct tst *t = *state;
    assert_int_equal(frag6(t, 5, 0, true, t->dgram, 16, true), DECODE_FRAGMENT);
    assert_int_equal(frag6(t, 5, 16, true, t->dgram + 16, 16, true), DECODE_FRAGMENT);
    assert_int_equal(frag6(t, 5, 32, false, t->dgram + 32, 16, true), DECODE_OK);
    assert_int_equal(t->d.l3_len, 40 + 8 + DGRAM_LEN);
    assert_int_equal(t->out[6], 0);   /* still Hop-by-Hop first */
    assert_int_equal(t->out[40], 17); /* and the Hop-by-Hop header now names UDP */
    assert_int_equal(t->out[4] << 8 | t->out[5], 8 + DGRAM_LEN);
    assert_memory_equal(t->out + 48, t->dgram, DGRAM_LEN);
    assert_int_equal(t->d.ipproto, 17);
    assert_int_equal(t->d.dport, 53);
}

static void test_ipv6_overlap_and_faults(void **state)
{
    struct tst *t = *state;
    uint8_t evil[24];
    memset(evil, 'Z', sizeof(evil));
    assert_int_equal(frag6(t, 9, 0, true, t->dgram, 24, false), DECODE_FRAGMENT);
    assert_int_equal(frag6(t, 9, 16, true, evil, 24, false), DECODE_FRAGMENT);
    assert_int_equal(has_event(t, DEV_IPV6_FRAG_OVERLAP), 1);
    assert_int_equal(has_event(t, DEV_IPV6_FRAG_OVERLAP_DIFF), 1);
    /* The last fragment completes it: [16,24) kept the first bytes, [24,40) came
     * only from the rewriting fragment and is taken from it. */
    assert_int_equal(frag6(t, 9, 40, false, t->dgram + 40, 8, false), DECODE_OK);
    assert_int_equal(t->nev, 0);
    assert_memory_equal(t->out + 40, t->dgram, 24);
    assert_memory_equal(t->out + 40 + 24, evil + 8, 16);
    assert_memory_equal(t->out + 40 + 40, t->dgram + 40, 8);

    /* Not a multiple of 8 with M set. */
    assert_int_equal(frag6(t, 10, 0, true, t->dgram, 20, false), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_FRAG_INVALID_LENGTH), 1);
    /* Past 65535 of payload. */
    static uint8_t data[64];
    assert_int_equal(frag6(t, 11, 65528, false, data, 16, false), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_FRAG_PKT_TOO_LARGE), 1);

    /* Atomic fragment: decoded at once, nothing held. */
    assert_int_equal(frag6(t, 12, 0, false, t->dgram, DGRAM_LEN, false), DECODE_OK);
    assert_false(t->d.reassembled);
    assert_int_equal(t->d.ipproto, 17);
    assert_int_equal(t->d.payload_len, 40);
}

/* A reassembled IPv6 datagram whose payload starts with another Fragment header. */
static void test_ipv6_nested_fragment(void **state)
{
    struct tst *t = *state;
    uint8_t inner[16] = {17, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t b[200];
    memset(b, 0, 56);
    b[0] = 0x60;
    be16(b + 4, 8 + 16);
    b[6] = 44;
    b[40] = 44; /* the fragment carries a Fragment header */
    be16(b + 42, 1);
    be32(b + 44, 77);
    memcpy(b + 48, inner, 16);
    assert_int_equal(run_at(t, DLT_RAW, b, 64, 1000000), DECODE_INVALID); /* peeked in the first fragment */
    assert_int_equal(has_event(t, DEV_IPV6_EXTHDR_DUPL_FH), 1);
    /* Hidden from the peek: an empty first fragment names a Fragment header
     * next; the bytes of that header come in a later fragment whose own
     * Fragment header says UDP.  Reassembly takes the first one's Next Header. */
    be16(b + 4, 8);
    b[40] = 44;
    be16(b + 42, 1); /* offset 0, M */
    assert_int_equal(run_at(t, DLT_RAW, b, 48, 1000000), DECODE_FRAGMENT);
    be16(b + 4, 16);
    b[40] = 17;
    memcpy(b + 48, inner, 8);
    assert_int_equal(run_at(t, DLT_RAW, b, 56, 1000000), DECODE_FRAGMENT);
    be16(b + 42, 8); /* offset 8, last */
    memcpy(b + 48, inner + 8, 8);
    assert_int_equal(run_at(t, DLT_RAW, b, 56, 1000000), DECODE_INVALID);
    assert_int_equal(has_event(t, DEV_IPV6_EXTHDR_DUPL_FH), 1);
    assert_int_equal(t->st.frag_ipv6_reassembled, 1);
}

/* Random fragments of a few datagrams: overlaps, duplicates, lies about the
 * end.  Nothing may crash; the memcap must balance at the end. */
static void test_random_fragments(void **state)
{
    struct tst *t = *state;
    static uint8_t data[2048];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    uint64_t rng = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        rng = rng * 6364136223846793005u + 1442695040888963407u;
        uint32_t off = (uint32_t)((rng >> 33) % 64) * 8;
        uint32_t len = (uint32_t)((rng >> 20) % 200);
        bool more = (rng >> 50) % 4 != 0;
        uint16_t id = (uint16_t)((rng >> 55) % 8);
        uint64_t ts = 1000000 + (uint64_t)iter * 5000;
        enum decode_result r;
        if ((rng >> 10) % 2) {
            r = frag4_at(t, id, off, more, data + off, len, ts);
        } else {
            len &= ~7u;
            r = frag6(t, id, off, more, data + off, len, false);
        }
        assert_true(r == DECODE_OK || r == DECODE_FRAGMENT || r == DECODE_INVALID);
        if (r == DECODE_OK && t->d.reassembled) {
            uint32_t hl = t->d.ip_version == 4 ? 20 : 40;
            assert_memory_equal(t->out + hl, data, t->out_len - hl); /* consistent data: no diff possible */
        }
        if (iter % 1000 == 0)
            decode_expire(&t->ctx, ts);
    }
    assert_int_equal(t->st.decode_events[DEV_IPV4_FRAG_OVERLAP_DIFF], 0);
    assert_int_equal(t->st.decode_events[DEV_IPV6_FRAG_OVERLAP_DIFF], 0);
    assert_true(t->st.frag_ipv4_reassembled + t->st.frag_ipv6_reassembled > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ipv4_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_reverse_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_overlap_same, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_overlap_diff_first_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_keys_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_too_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv4_memcap, setup_tiny_memcap, teardown),
        cmocka_unit_test_setup_teardown(test_memcap_fragment_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_reassembly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_reassembly_after_hbh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_overlap_and_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_nested_fragment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_fragments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
