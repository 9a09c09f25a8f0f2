/*
 * test_stream.c - TCP reassembly (src/flow/stream.c).
 *
 * Each test builds a zeroed struct flow and hand-made struct decoded segments,
 * feeds them to stream_packet() and checks, against a sink that records every
 * callback, the exact bytes delivered per direction, the gaps, the anomalies,
 * the tcp_* counters and that the stream memcap returns to 0 once the flow
 * has ended.  The sink also checks every delivered chunk against the expected
 * byte string at the stream offset (data + gaps so far) when one is given, so
 * a byte delivered at the wrong place fails at once.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "flow/stream.h"

#define OUT_MAX   16384
#define GAPS_MAX  64
#define CALLS_MAX 64

struct sink_rec {
    uint8_t out[2][OUT_MAX];
    size_t out_len[2];
    uint64_t pos[2]; /* stream offset: bytes delivered + gap bytes */
    uint64_t gaps[2][GAPS_MAX];
    size_t ngaps[2];
    int anomalies;
    const char *last_anomaly;
    int data_calls;
    const uint8_t *expect[2]; /* when set: the stream's bytes from offset 0 */
    size_t expect_len[2];
    const uint64_t *clock; /* the fixture's packet time, read at each callback */
    struct {
        int dir;
        bool gap;
        uint64_t len, ts_us;
    } calls[CALLS_MAX]; /* the first CALLS_MAX data and gap callbacks, in order */
    size_t ncalls;
};

static void log_call(struct sink_rec *r, int dir, bool gap, uint64_t len)
{
    if (r->ncalls < CALLS_MAX) {
        r->calls[r->ncalls].dir = dir;
        r->calls[r->ncalls].gap = gap;
        r->calls[r->ncalls].len = len;
        r->calls[r->ncalls].ts_us = *r->clock;
        r->ncalls++;
    }
}

struct fx {
    struct stream_ctx ctx;
    struct stats stats;
    struct flow flow;
    struct tcp_stream streams[2]; /* flow.stream: a TCP flow's directions */
    struct sink_rec rec;
    uint64_t now_us; /* packet time of the next pkt() */
};

static void on_data(void *user, struct flow *f, int dir, const uint8_t *data, size_t len)
{
    struct sink_rec *r = user;
    (void)f;
    assert_true(dir == 0 || dir == 1);
    assert_true(len > 0);
    assert_true(r->out_len[dir] + len <= OUT_MAX);
    if (r->expect[dir]) {
        assert_true(r->pos[dir] + len <= r->expect_len[dir]);
        assert_memory_equal(r->expect[dir] + r->pos[dir], data, len);
    }
    memcpy(r->out[dir] + r->out_len[dir], data, len);
    r->out_len[dir] += len;
    r->pos[dir] += len;
    r->data_calls++;
    log_call(r, dir, false, len);
}

static void on_gap(void *user, struct flow *f, int dir, uint64_t len)
{
    struct sink_rec *r = user;
    (void)f;
    assert_true(len > 0);
    assert_true(r->ngaps[dir] < GAPS_MAX);
    r->gaps[dir][r->ngaps[dir]++] = len;
    r->pos[dir] += len;
    log_call(r, dir, true, len);
}

static void on_anomaly(void *user, struct flow *f, int dir, const char *event)
{
    struct sink_rec *r = user;
    (void)f;
    (void)dir;
    r->anomalies++;
    r->last_anomaly = event;
}

static struct fx *fx_new_timeout(void **state, uint64_t memcap, uint32_t max_bytes, uint32_t max_segs, uint64_t depth,
                                 uint32_t gap_timeout_s)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    fx->flow.stream = fx->streams;
    fx->rec.clock = &fx->now_us;
    *state = fx;
    struct stream_cfg cfg = {.memcap = memcap,
                             .max_ooo_bytes = max_bytes,
                             .max_ooo_segments = max_segs,
                             .depth = depth,
                             .gap_timeout_s = gap_timeout_s};
    struct stream_sink sink = {.on_data = on_data, .on_gap = on_gap, .on_anomaly = on_anomaly, .user = &fx->rec};
    assert_int_equal(stream_ctx_init(&fx->ctx, &cfg, &fx->stats, &sink), 0);
    return fx;
}

static struct fx *fx_new(void **state, uint64_t memcap, uint32_t max_bytes, uint32_t max_segs, uint64_t depth)
{
    return fx_new_timeout(state, memcap, max_bytes, max_segs, depth, 0);
}

static struct fx *fx_default(void **state)
{
    return fx_new(state, 1u << 20, 65536, 256, 0);
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    if (fx) {
        stream_flow_end(&fx->ctx, &fx->flow);
        stream_ctx_free(&fx->ctx);
        free(fx);
    }
    return 0;
}

/* One segment with an explicit acknowledgment number (used when the ACK flag is set). */
static void pkt_ack(struct fx *fx, int dir, uint8_t flags, uint32_t seq, uint32_t ack, const void *data, size_t len)
{
    struct decoded d;
    memset(&d, 0, sizeof(d));
    d.ipproto = 6;
    d.tcp_flags = flags;
    d.tcp_seq = seq;
    d.tcp_ack = ack;
    d.payload = data;
    d.payload_len = (uint32_t)len;
    stream_packet(&fx->ctx, &fx->flow, dir, &d, fx->now_us);
}

/* One segment that acknowledges what the other direction has delivered so far: a receiver that misses nothing the
 * capture missed, so its ACKs never declare a gap. */
static void pkt(struct fx *fx, int dir, uint8_t flags, uint32_t seq, const void *data, size_t len)
{
    pkt_ack(fx, dir, flags, seq, fx->flow.stream[dir ^ 1].next_seq, data, len);
}

static void data(struct fx *fx, int dir, uint32_t seq, const char *s)
{
    pkt(fx, dir, TH_ACK | TH_PUSH, seq, s, strlen(s));
}

static void syn(struct fx *fx, int dir, uint32_t seq)
{
    pkt(fx, dir, dir == 0 ? TH_SYN : TH_SYN | TH_ACK, seq, NULL, 0);
}

static void assert_out(const struct fx *fx, int dir, const char *want)
{
    size_t n = strlen(want);
    assert_int_equal(fx->rec.out_len[dir], n);
    assert_memory_equal(fx->rec.out[dir], want, n);
}

static void end_and_check_empty(struct fx *fx)
{
    stream_flow_end(&fx->ctx, &fx->flow);
    assert_int_equal(fx->ctx.mc.used, 0);
    assert_null(fx->ctx.held);
    assert_null(fx->flow.held_prev);
    assert_null(fx->flow.held_next);
    for (int dir = 0; dir < 2; dir++) {
        assert_null(fx->flow.stream[dir].ooo);
        assert_int_equal(fx->flow.stream[dir].ooo_bytes, 0);
        assert_int_equal(fx->flow.stream[dir].ooo_count, 0);
    }
}

/* A segment cut by the snap length: its captured bytes are delivered, its lost tail is a gap, and the next
 * segment follows at once (not held behind a hole that can never fill). */
static void test_snap_cut_segment(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 1000);
    struct decoded d;
    memset(&d, 0, sizeof(d));
    d.ipproto = 6;
    d.tcp_flags = TH_ACK;
    d.tcp_seq = 1001;
    d.payload = (const uint8_t *)"hel";
    d.payload_len = 3;
    d.payload_missing = 2; /* "lo" was on the wire */
    stream_packet(&fx->ctx, &fx->flow, 0, &d, fx->now_us);
    data(fx, 0, 1006, " world");
    assert_out(fx, 0, "hel world");
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 2);
    assert_int_equal(fx->flow.stream[0].gap_bytes, 2);
    assert_int_equal(fx->stats.tcp_ooo_segments, 0);
    end_and_check_empty(fx);
}

/* Evasion seen in the wild (Suricata bug 3286): the server sends RST and FIN with junk sequence numbers before
 * its SYN-ACK.  Those belonged to no connection; the data after the real handshake must still be delivered. */
static void test_fin_before_handshake_forgotten(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 1000);
    pkt(fx, 1, TH_RST | TH_ACK, 0, NULL, 0);
    pkt(fx, 1, TH_FIN | TH_ACK, 0, NULL, 0);
    syn(fx, 1, 26175);
    data(fx, 0, 1001, "GET / HTTP/1.1\r\n\r\n");
    data(fx, 1, 26176, "HTTP/1.1 200 OK\r\n");
    assert_out(fx, 1, "HTTP/1.1 200 OK\r\n");
    assert_false(fx->flow.stream[1].fin_seen);
    end_and_check_empty(fx);
}

/* A retransmission that overlaps only part of the last delivered piece, with different bytes there, is caught
 * by the byte window of the tail (the whole-piece fingerprints cannot see it). */
static void test_partial_overlap_delivered_different(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 1000);
    data(fx, 0, 1001, "0123456789");
    data(fx, 0, 1011, "abcdefghij");
    data(fx, 0, 1016, "XXXXXklmno"); /* [1016,1021) was "fghij": different */
    assert_out(fx, 0, "0123456789abcdefghijklmno");
    assert_int_equal(fx->stats.tcp_overlaps_diff, 1);
    assert_int_equal(fx->rec.anomalies, 1);
    data(fx, 0, 1021, "klmnopqrst"); /* same bytes again, extended: no anomaly */
    assert_int_equal(fx->stats.tcp_overlaps_diff, 1);
    assert_out(fx, 0, "0123456789abcdefghijklmnopqrst");
    end_and_check_empty(fx);
}

static void test_in_order(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 1000);
    syn(fx, 1, 5000);
    data(fx, 0, 1001, "hello");
    data(fx, 0, 1006, " world");
    data(fx, 1, 5001, "reply");
    assert_out(fx, 0, "hello world");
    assert_out(fx, 1, "reply");
    assert_int_equal(fx->rec.data_calls, 3);
    assert_int_equal(fx->stats.tcp_segments, 3);
    assert_int_equal(fx->stats.tcp_reassembled_bytes, 16);
    assert_int_equal(fx->stats.tcp_retransmissions, 0);
    assert_int_equal(fx->stats.tcp_ooo_segments, 0);
    assert_int_equal(fx->ctx.mc.used, 0);
    assert_true(fx->flow.stream[0].isn_known);
    assert_int_equal(fx->flow.stream[0].isn, 1000);
    assert_int_equal(fx->flow.stream[0].next_seq, 1012);
    assert_int_equal(fx->flow.stream[0].delivered, 11);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0] + fx->rec.ngaps[1], 0);
}

static void test_reverse_order(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 100);
    data(fx, 0, 107, "ccc");
    data(fx, 0, 104, "bbb");
    assert_int_equal(fx->rec.out_len[0], 0);
    assert_int_equal(fx->flow.stream[0].ooo_count, 2);
    assert_int_equal(fx->flow.stream[0].ooo_bytes, 6);
    assert_true(fx->ctx.mc.used > 0);
    data(fx, 0, 101, "aaa");
    assert_out(fx, 0, "aaabbbccc");
    assert_int_equal(fx->stats.tcp_ooo_segments, 2);
    assert_int_equal(fx->stats.tcp_reassembled_bytes, 9);
    assert_int_equal(fx->flow.stream[0].ooo_count, 0);
    assert_int_equal(fx->ctx.mc.used, 0);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

static void test_retransmission(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 1, "abc");
    data(fx, 0, 1, "abc");
    data(fx, 0, 4, "def");
    data(fx, 0, 1, "abcdef"); /* coalesced retransmission of both */
    assert_out(fx, 0, "abcdef");
    assert_int_equal(fx->stats.tcp_retransmissions, 2);
    assert_int_equal(fx->stats.tcp_overlaps, 2);
    assert_int_equal(fx->stats.tcp_overlaps_diff, 0);
    assert_int_equal(fx->rec.anomalies, 0);
    assert_int_equal(fx->stats.tcp_segments, 4);
    assert_int_equal(fx->stats.tcp_reassembled_bytes, 6);
    end_and_check_empty(fx);
}

static void test_retransmission_different_data(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 1, "GET /a");
    data(fx, 0, 7, " HTTP");
    data(fx, 0, 1, "GET /b"); /* same range, other bytes: the classic evasion */
    assert_int_equal(fx->stats.tcp_overlaps_diff, 1);
    assert_int_equal(fx->rec.anomalies, 1);
    assert_string_equal(fx->rec.last_anomaly, "overlap_different_data");
    data(fx, 0, 1, "GET /a HTTX"); /* covers both pieces, second differs */
    assert_int_equal(fx->stats.tcp_overlaps_diff, 2);
    assert_int_equal(fx->rec.anomalies, 2);
    data(fx, 0, 1, "GET /a HTTP"); /* identical: no anomaly */
    assert_int_equal(fx->rec.anomalies, 2);
    assert_int_equal(fx->stats.tcp_retransmissions, 3);
    assert_int_equal(fx->stats.tcp_overlaps, 3);
    assert_out(fx, 0, "GET /a HTTP");
    end_and_check_empty(fx);
}

static void test_partial_overlap(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 1, "abcdef");
    data(fx, 0, 4, "defghi"); /* old head, new tail */
    assert_out(fx, 0, "abcdefghi");
    assert_int_equal(fx->stats.tcp_overlaps, 1);
    assert_int_equal(fx->stats.tcp_retransmissions, 0);
    assert_int_equal(fx->stats.tcp_overlaps_diff, 0);
    /* the tail of the second segment was delivered from it */
    data(fx, 0, 7, "ghi");
    assert_int_equal(fx->stats.tcp_retransmissions, 1);
    assert_int_equal(fx->rec.anomalies, 0);
    end_and_check_empty(fx);
}

static void test_overlap_held_different_data(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 5, "efgh");   /* held */
    data(fx, 0, 3, "cdXXgh"); /* overlaps the held bytes with "XX" for "ef" */
    assert_int_equal(fx->stats.tcp_overlaps, 1);
    assert_int_equal(fx->stats.tcp_overlaps_diff, 1);
    assert_int_equal(fx->rec.anomalies, 1);
    assert_string_equal(fx->rec.last_anomaly, "overlap_different_data");
    assert_int_equal(fx->flow.stream[0].ooo_bytes, 6); /* "cd" added, "efgh" kept */
    data(fx, 0, 9, "ijkl");                            /* held after */
    data(fx, 0, 1, "abYYYYYYij");                      /* in order, overlapping held data that differs: first wins */
    assert_out(fx, 0, "abcdefghijkl");
    assert_int_equal(fx->stats.tcp_overlaps_diff, 2);
    assert_int_equal(fx->rec.anomalies, 2);
    assert_int_equal(fx->ctx.mc.used, 0);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

static void test_overlap_held_same_data(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 5, "efgh");
    data(fx, 0, 5, "efgh"); /* duplicate of a held segment */
    data(fx, 0, 7, "ghij"); /* half held, half new */
    assert_int_equal(fx->stats.tcp_retransmissions, 1);
    assert_int_equal(fx->stats.tcp_overlaps, 2);
    assert_int_equal(fx->stats.tcp_overlaps_diff, 0);
    assert_int_equal(fx->flow.stream[0].ooo_bytes, 6);
    assert_int_equal(fx->stats.tcp_ooo_segments, 2);
    data(fx, 0, 1, "abcd");
    assert_out(fx, 0, "abcdefghij");
    end_and_check_empty(fx);
}

static void test_ooo_limit_gap(void **state)
{
    struct fx *fx = fx_new(state, 1u << 20, 8, 256, 0);
    syn(fx, 0, 0);
    data(fx, 0, 11, "ccccc"); /* held: 5 of 8 bytes */
    data(fx, 0, 16, "ddddd"); /* 10 > 8: the hole 1..11 is given up */
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 10);
    assert_out(fx, 0, "cccccddddd");
    assert_int_equal(fx->stats.tcp_reassembly_gaps, 1);
    assert_int_equal(fx->stats.tcp_gap_bytes, 10);
    assert_int_equal(fx->flow.stream[0].gap_bytes, 10);
    data(fx, 0, 21, "eee");
    assert_out(fx, 0, "cccccdddddeee");
    assert_int_equal(fx->ctx.mc.used, 0);
    /* the lost bytes arriving late are old now */
    data(fx, 0, 1, "aaaa");
    assert_out(fx, 0, "cccccdddddeee");
    end_and_check_empty(fx);
}

static void test_ooo_segment_limit_gap(void **state)
{
    struct fx *fx = fx_new(state, 1u << 20, 65536, 2, 0);
    syn(fx, 0, 0);
    data(fx, 0, 5, "e");
    data(fx, 0, 9, "i");
    data(fx, 0, 7, "g"); /* a third segment: hole 1..5 goes, "e" delivered, then "g" is held */
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 4);
    assert_out(fx, 0, "e");
    assert_int_equal(fx->flow.stream[0].ooo_count, 2);
    data(fx, 0, 6, "f");
    data(fx, 0, 8, "h");
    assert_out(fx, 0, "efghi");
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 1);
}

static void test_memcap_gap(void **state)
{
    struct fx *fx = fx_new(state, 16, 65536, 256, 0); /* too small for any segment */
    syn(fx, 0, 0);
    data(fx, 0, 4, "bbb");
    assert_int_equal(fx->stats.tcp_stream_memcap_hits, 1);
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 3);
    assert_out(fx, 0, "bbb");
    data(fx, 0, 1, "aaa"); /* too late */
    assert_out(fx, 0, "bbb");
    assert_int_equal(fx->stats.tcp_retransmissions, 1);
    assert_int_equal(fx->stats.tcp_reassembly_gaps, 1);
    assert_int_equal(fx->stats.tcp_gap_bytes, 3);
    assert_int_equal(fx->ctx.mc.used, 0);
    end_and_check_empty(fx);
}

static void test_memcap_gap_with_held(void **state)
{
    /* room for one small segment (header + 2 bytes), not two */
    struct fx *fx = fx_new(state, 2 * (sizeof(void *) + 8) + 2, 65536, 256, 0);
    syn(fx, 0, 0);
    data(fx, 0, 5, "ee");
    assert_int_equal(fx->flow.stream[0].ooo_count, 1);
    data(fx, 0, 9, "ii"); /* refused: hole 1..5 given up, "ee" delivered; then "ii" held */
    assert_int_equal(fx->stats.tcp_stream_memcap_hits, 1);
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 4);
    assert_out(fx, 0, "ee");
    assert_int_equal(fx->flow.stream[0].ooo_count, 1);
    data(fx, 0, 7, "gh");
    assert_out(fx, 0, "eeghii");
    end_and_check_empty(fx);
}

static void test_flow_end_hole(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    syn(fx, 1, 0);
    data(fx, 0, 1, "aaa");
    data(fx, 0, 7, "ccc");
    data(fx, 0, 13, "eee");
    data(fx, 1, 3, "zz");
    assert_out(fx, 0, "aaa");
    assert_int_equal(fx->rec.out_len[1], 0);
    end_and_check_empty(fx);
    assert_out(fx, 0, "aaaccceee");
    assert_out(fx, 1, "zz");
    assert_int_equal(fx->rec.ngaps[0], 2);
    assert_int_equal(fx->rec.gaps[0][0], 3);
    assert_int_equal(fx->rec.gaps[0][1], 3);
    assert_int_equal(fx->rec.ngaps[1], 1);
    assert_int_equal(fx->rec.gaps[1][0], 2);
    assert_int_equal(fx->stats.tcp_reassembly_gaps, 3);
    assert_int_equal(fx->stats.tcp_gap_bytes, 8);
    /* twice is harmless */
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 2);
    assert_out(fx, 0, "aaaccceee");
}

static void test_flow_end_no_data(void **state)
{
    struct fx *fx = fx_default(state);
    end_and_check_empty(fx);
    syn(fx, 0, 7);
    end_and_check_empty(fx);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.data_calls, 0);
    assert_int_equal(fx->rec.ngaps[0] + fx->rec.ngaps[1], 0);
}

static void test_midstream(void **state)
{
    struct fx *fx = fx_default(state);
    data(fx, 0, 5000, "hello");
    data(fx, 1, 90000, "resp");
    data(fx, 0, 5005, " world");
    data(fx, 0, 4990, "0123456789"); /* before the pickup point: old */
    assert_out(fx, 0, "hello world");
    assert_out(fx, 1, "resp");
    assert_true(fx->flow.stream[0].isn_known);
    assert_int_equal(fx->flow.stream[0].next_seq, 5011);
    assert_int_equal(fx->stats.tcp_retransmissions, 1);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

static void test_wraparound(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0xFFFFFFF0u); /* first data byte at 0xFFFFFFF1 */
    data(fx, 0, 0x00000005u, "CCCCCCCCCC");
    data(fx, 0, 0xFFFFFFF1u, "AAAAAAAAAA");
    data(fx, 0, 0xFFFFFFFBu, "BBBBBBBBBB"); /* crosses 2^32 */
    assert_out(fx, 0, "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC");
    assert_int_equal(fx->flow.stream[0].next_seq, 0x0000000Fu);
    data(fx, 0, 0xFFFFFFF5u, "AAAAAABBBB"); /* retransmission across the wrap */
    assert_int_equal(fx->stats.tcp_retransmissions, 1);
    data(fx, 0, 0xFFFFFFFFu, "BBBBBBCCCCCCCCCC!!"); /* partial across the wrap */
    assert_out(fx, 0, "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC!!");
    assert_int_equal(fx->rec.anomalies, 0);
    end_and_check_empty(fx);
}

static void test_after_fin_ignored(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    pkt(fx, 0, TH_ACK | TH_FIN, 1, "abc", 3); /* FIN at 4 */
    assert_true(fx->flow.stream[0].fin_seen);
    assert_int_equal(fx->flow.stream[0].fin_seq, 4);
    data(fx, 0, 4, "def");
    data(fx, 0, 3, "cdef"); /* clipped to "c": old */
    assert_out(fx, 0, "abc");
    assert_int_equal(fx->ctx.mc.used, 0);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

static void test_fin_drops_held_after_it(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 6, "fghij");                 /* held, spans the FIN below */
    data(fx, 0, 20, "zzz");                  /* held, all after it */
    pkt(fx, 0, TH_ACK | TH_FIN, 8, NULL, 0); /* FIN at 8 */
    assert_int_equal(fx->flow.stream[0].ooo_count, 1);
    data(fx, 0, 1, "abcde");
    assert_out(fx, 0, "abcdefg");
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

static void test_flow_end_hole_before_fin(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 1, "ab");
    pkt(fx, 0, TH_ACK | TH_FIN, 5, "ef", 2); /* held; FIN at 7, "cd" never comes */
    end_and_check_empty(fx);
    assert_out(fx, 0, "abef");
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 2);
}

static void test_depth(void **state)
{
    struct fx *fx = fx_new(state, 1u << 20, 65536, 256, 5);
    syn(fx, 0, 0);
    data(fx, 0, 8, "hij"); /* held */
    assert_true(fx->ctx.mc.used > 0);
    data(fx, 0, 1, "abc");
    data(fx, 0, 4, "defg"); /* reaches 5 */
    assert_out(fx, 0, "abcde");
    assert_true(fx->flow.stream[0].depth_reached);
    assert_int_equal(fx->stats.tcp_stream_depth_reached, 1);
    assert_int_equal(fx->ctx.mc.used, 0);
    assert_null(fx->flow.stream[0].ooo);
    data(fx, 0, 11, "klm");
    data(fx, 0, 20, "xyz");
    assert_out(fx, 0, "abcde");
    assert_int_equal(fx->stats.tcp_stream_depth_reached, 1);
    assert_int_equal(fx->ctx.mc.used, 0);
    /* the other direction is not limited by this one */
    data(fx, 1, 100, "12345");
    assert_out(fx, 1, "12345");
    assert_int_equal(fx->stats.tcp_stream_depth_reached, 2);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

static void test_syn_retransmission(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 100);
    syn(fx, 0, 500); /* new ISN before any data: taken */
    assert_int_equal(fx->flow.stream[0].isn, 500);
    data(fx, 0, 501, "abc");
    syn(fx, 0, 900); /* after data: ignored */
    syn(fx, 0, 500); /* plain retransmission */
    data(fx, 0, 504, "def");
    assert_out(fx, 0, "abcdef");
    assert_int_equal(fx->flow.stream[0].isn, 500);
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

static void test_syn_payload(void **state)
{
    struct fx *fx = fx_default(state);
    pkt(fx, 0, TH_SYN, 10, "tfo", 3);
    data(fx, 0, 14, "rest");
    assert_out(fx, 0, "tforest");
    end_and_check_empty(fx);
}

static void test_garbage_seq(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 1, "abc");
    data(fx, 0, 0x60000000u, "junk"); /* 1.5 GiB ahead */
    data(fx, 0, 0xB0000000u, "junk"); /* 1.25 GiB behind */
    assert_int_equal(fx->ctx.mc.used, 0);
    assert_int_equal(fx->rec.ngaps[0], 0);
    data(fx, 0, 4, "def");
    assert_out(fx, 0, "abcdef");
    end_and_check_empty(fx);
    assert_int_equal(fx->rec.ngaps[0], 0);
}

/* ---- the gap policy: a hole is given up once the receiver acknowledged past it, or after the gap timeout ---- */

#define SEC 1000000ULL

/* The sum of the by-reason counters is the gap counter. */
static void assert_gap_reasons(const struct fx *fx, uint64_t acked, uint64_t timeout, uint64_t limit, uint64_t end)
{
    const struct stats *s = &fx->stats;
    assert_int_equal(s->tcp_gaps_acked, acked);
    assert_int_equal(s->tcp_gaps_timeout, timeout);
    assert_int_equal(s->tcp_gaps_limit, limit);
    assert_int_equal(s->tcp_gaps_flow_end, end);
    assert_int_equal(s->tcp_reassembly_gaps, s->tcp_gaps_acked + s->tcp_gaps_timeout + s->tcp_gaps_limit +
                                                 s->tcp_gaps_flow_end + s->tcp_gaps_snaplen);
}

/* A request loses a segment; the server's response acknowledges all of it: the gap is declared at that ACK, with
 * its exact length, the held bytes follow at the ACK's time, and before the response's own bytes. */
static void test_gap_acked(void **state)
{
    struct fx *fx = fx_new_timeout(state, 1u << 20, 65536, 256, 0, 2);
    fx->now_us = 100 * SEC;
    syn(fx, 0, 1000);
    syn(fx, 1, 5000);
    data(fx, 0, 1001, "aaa");
    fx->now_us += 1000;
    data(fx, 0, 1011, "ccc"); /* [1004, 1011) lost on the SPAN port */
    assert_out(fx, 0, "aaa");
    pkt_ack(fx, 1, TH_ACK, 5001, 1004, NULL, 0); /* duplicate ACK at the hole: the receiver misses it too */
    pkt_ack(fx, 1, TH_ACK, 5001, 1008, NULL, 0); /* inside the hole: nothing held is covered */
    pkt_ack(fx, 0, TH_ACK, 1014, 1011, NULL, 0); /* the sender's own direction acknowledges nothing of its own */
    assert_int_equal(fx->rec.ngaps[0], 0);
    assert_int_equal(fx->flow.stream[0].ooo_count, 1);
    fx->now_us += 5000;
    pkt_ack(fx, 1, TH_ACK | TH_PUSH, 5001, 1014, "resp", 4);
    assert_out(fx, 0, "aaaccc");
    assert_out(fx, 1, "resp");
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 7);
    assert_int_equal(fx->flow.stream[0].gap_bytes, 7);
    assert_int_equal(fx->stats.tcp_gap_bytes, 7);
    assert_gap_reasons(fx, 1, 0, 0, 0);
    /* the calls: "aaa", then at the ACK: gap, "ccc", "resp" */
    assert_int_equal(fx->rec.ncalls, 4);
    assert_true(fx->rec.calls[1].gap && fx->rec.calls[1].dir == 0 && fx->rec.calls[1].len == 7);
    assert_true(!fx->rec.calls[2].gap && fx->rec.calls[2].dir == 0 && fx->rec.calls[2].len == 3);
    assert_true(!fx->rec.calls[3].gap && fx->rec.calls[3].dir == 1);
    for (size_t i = 1; i < 4; i++)
        assert_int_equal(fx->rec.calls[i].ts_us, 100 * SEC + 6000);
    assert_int_equal(fx->ctx.mc.used, 0);
    assert_null(fx->ctx.held);
    /* the lost bytes turning up later are old */
    data(fx, 0, 1004, "bbbbbbb");
    assert_out(fx, 0, "aaaccc");
    end_and_check_empty(fx);
    assert_gap_reasons(fx, 1, 0, 0, 0);
}

/* One ACK beyond two holes gives up both; the data after the last held byte (never seen) is not a gap yet. */
static void test_gap_acked_two_holes_and_tail(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    syn(fx, 1, 0);
    data(fx, 0, 1, "a");
    data(fx, 0, 3, "c");
    data(fx, 0, 5, "e");
    pkt_ack(fx, 1, TH_ACK, 1, 9, NULL, 0); /* the receiver has 1..8; we saw 1, 3, 5 */
    assert_out(fx, 0, "ace");
    assert_int_equal(fx->rec.ngaps[0], 2);
    assert_int_equal(fx->rec.gaps[0][0], 1);
    assert_int_equal(fx->rec.gaps[0][1], 1);
    assert_int_equal(fx->flow.stream[0].next_seq, 6); /* [6, 9) acknowledged, never seen: not declared */
    /* data after the unseen tail: the remembered ACK covers the hole before it, so it goes at once */
    data(fx, 0, 9, "i");
    assert_out(fx, 0, "acei");
    assert_int_equal(fx->rec.ngaps[0], 3);
    assert_int_equal(fx->rec.gaps[0][2], 3);
    /* beyond the ACK: held until something else gives it up */
    data(fx, 0, 12, "l");
    assert_out(fx, 0, "acei");
    assert_gap_reasons(fx, 3, 0, 0, 0);
    end_and_check_empty(fx);
    assert_out(fx, 0, "aceil");
    assert_gap_reasons(fx, 3, 0, 0, 1);
}

/* The lost segment is retransmitted (and seen) before the ACK: no gap at all. */
static void test_gap_filled_before_ack(void **state)
{
    struct fx *fx = fx_new_timeout(state, 1u << 20, 65536, 256, 0, 2);
    syn(fx, 0, 1000);
    syn(fx, 1, 5000);
    data(fx, 0, 1001, "aaa");
    data(fx, 0, 1007, "ccc");
    fx->now_us += SEC;
    data(fx, 0, 1004, "bbb");
    pkt_ack(fx, 1, TH_ACK, 5001, 1010, NULL, 0);
    fx->now_us += 10 * SEC;
    stream_timeout(&fx->ctx, fx->now_us);
    assert_out(fx, 0, "aaabbbccc");
    assert_int_equal(fx->stats.tcp_reassembly_gaps, 0);
    assert_null(fx->ctx.held);
    end_and_check_empty(fx);
    assert_int_equal(fx->stats.tcp_reassembly_gaps, 0);
}

/* Sequence numbers wrapping at 2^32 between the hole and the held data, and an ACK past the wrap. */
static void test_gap_acked_wraparound(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0xFFFFFFF0u);
    syn(fx, 1, 77);
    data(fx, 0, 0xFFFFFFF1u, "AAAA");                 /* next: 0xFFFFFFF5 */
    data(fx, 0, 0x00000003u, "CCCC");                 /* hole [0xFFFFFFF5, 3): 14 bytes */
    pkt_ack(fx, 1, TH_ACK, 78, 0x00000001u, NULL, 0); /* inside the hole, past the wrap */
    assert_int_equal(fx->rec.ngaps[0], 0);
    pkt_ack(fx, 1, TH_ACK, 78, 0xFFFFFFF0u, NULL, 0); /* behind next_seq: old */
    assert_int_equal(fx->rec.ngaps[0], 0);
    pkt_ack(fx, 1, TH_ACK, 78, 0x00000007u, NULL, 0);
    assert_out(fx, 0, "AAAACCCC");
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 14);
    assert_int_equal(fx->flow.stream[0].next_seq, 7);
    end_and_check_empty(fx);
    assert_gap_reasons(fx, 1, 0, 0, 0);
}

/* ACKs that mean nothing: far beyond anything (garbage), before this direction's start is known (midstream), or
 * without the ACK flag. */
static void test_gap_ack_invalid(void **state)
{
    struct fx *fx = fx_default(state);
    pkt_ack(fx, 1, TH_ACK, 9000, 5050, NULL, 0); /* direction 0 not started: nothing to compare with */
    data(fx, 0, 5000, "hello");                  /* midstream pickup starts here */
    data(fx, 0, 5010, "world");                  /* hole [5005, 5010) */
    pkt_ack(fx, 1, TH_ACK, 9000, 5005u + (1u << 30) + 1, NULL, 0); /* more than 2^30 ahead: garbage */
    pkt_ack(fx, 1, 0, 9000, 5015, NULL, 0);                        /* number without the ACK flag */
    pkt_ack(fx, 1, TH_RST, 9000, 5015, NULL, 0);                   /* same, on a RST */
    assert_out(fx, 0, "hello");
    assert_int_equal(fx->rec.ngaps[0], 0);
    pkt_ack(fx, 1, TH_ACK | TH_RST, 9000, 5015, NULL, 0); /* a valid ACK, on a RST too */
    assert_out(fx, 0, "helloworld");
    assert_int_equal(fx->rec.gaps[0][0], 5);
    end_and_check_empty(fx);
    assert_gap_reasons(fx, 1, 0, 0, 0);
}

/* A keepalive (seq = next - 1, one byte) acknowledges normally; its ACK number of the peer counts as any other. */
static void test_gap_acked_by_keepalive(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 100);
    syn(fx, 1, 500);
    data(fx, 0, 101, "abc");
    data(fx, 1, 501, "xyz");
    data(fx, 0, 108, "hij");                  /* hole [104, 108) */
    pkt_ack(fx, 1, TH_ACK, 503, 111, "z", 1); /* keepalive from the server: seq 503 = next - 1 */
    assert_out(fx, 0, "abchij");
    assert_out(fx, 1, "xyz");
    assert_int_equal(fx->rec.gaps[0][0], 4);
    end_and_check_empty(fx);
}

/* No ACK (one-way capture, or the ACKs were lost too): the gap timeout gives the hole up, checked on the flow's
 * packets of either direction; the bytes carry the time of the packet that made it fire. */
static void test_gap_timeout_on_packet(void **state)
{
    struct fx *fx = fx_new_timeout(state, 1u << 20, 65536, 256, 0, 2);
    fx->now_us = 50 * SEC;
    syn(fx, 0, 0);
    syn(fx, 1, 0);
    data(fx, 0, 1, "aa");
    data(fx, 0, 5, "ee"); /* hole [3, 5), known since 50 s */
    fx->now_us = 51 * SEC;
    data(fx, 0, 7, "gg");
    fx->now_us = 52 * SEC - 1;
    pkt(fx, 1, TH_ACK, 1, NULL, 0);
    assert_out(fx, 0, "aa");
    fx->now_us = 52 * SEC + 7;
    pkt(fx, 1, TH_ACK, 1, NULL, 0); /* the other direction's packet: 2 s have passed */
    assert_out(fx, 0, "aaeegg");
    assert_int_equal(fx->rec.ngaps[0], 1);
    assert_int_equal(fx->rec.gaps[0][0], 2);
    assert_int_equal(fx->rec.calls[1].ts_us, 52 * SEC + 7);
    assert_int_equal(fx->rec.calls[2].ts_us, 52 * SEC + 7);
    assert_null(fx->ctx.held);
    end_and_check_empty(fx);
    assert_gap_reasons(fx, 0, 1, 0, 0);
}

/* A flow that goes quiet after a hole: the periodic sweep gives it up at the due time, not at the flow's end. */
static void test_gap_timeout_sweep(void **state)
{
    struct fx *fx = fx_new_timeout(state, 1u << 20, 65536, 256, 0, 2);
    fx->now_us = 10 * SEC;
    syn(fx, 0, 0);
    data(fx, 0, 1, "a");
    data(fx, 0, 20, "t"); /* hole [2, 20), known since 10 s */
    fx->now_us = 11 * SEC + SEC / 2;
    data(fx, 0, 10, "j"); /* a second hole [11, 20) now; [2, 10) is still known since 10 s */
    assert_non_null(fx->ctx.held);
    fx->now_us = 12 * SEC - 1;
    stream_timeout(&fx->ctx, fx->now_us);
    assert_out(fx, 0, "a");
    fx->now_us = 12 * SEC;
    stream_timeout(&fx->ctx, fx->now_us);
    /* both holes were there since 10 s: both go */
    assert_out(fx, 0, "ajt");
    assert_int_equal(fx->rec.ngaps[0], 2);
    assert_int_equal(fx->rec.gaps[0][0], 8);
    assert_int_equal(fx->rec.gaps[0][1], 9);
    for (size_t i = 1; i < fx->rec.ncalls; i++)
        assert_int_equal(fx->rec.calls[i].ts_us, 12 * SEC);
    assert_null(fx->ctx.held);
    assert_int_equal(fx->ctx.mc.used, 0);
    end_and_check_empty(fx);
    assert_gap_reasons(fx, 0, 2, 0, 0);
}

/* A hole that is filled while another is pending: the later hole's clock starts when the data after it came. */
static void test_gap_timeout_second_hole_own_clock(void **state)
{
    struct fx *fx = fx_new_timeout(state, 1u << 20, 65536, 256, 0, 2);
    fx->now_us = 0;
    syn(fx, 0, 0);
    data(fx, 0, 1, "a");
    data(fx, 0, 3, "c"); /* hole [2, 3) since 0 s */
    fx->now_us = SEC;
    data(fx, 0, 5, "e"); /* hole [4, 5) since 1 s */
    data(fx, 0, 2, "b"); /* first hole filled */
    assert_out(fx, 0, "abc");
    fx->now_us = 2 * SEC + 1;
    stream_timeout(&fx->ctx, fx->now_us); /* due at 3 s, not 2 s */
    assert_out(fx, 0, "abc");
    fx->now_us = 3 * SEC;
    stream_timeout(&fx->ctx, fx->now_us);
    assert_out(fx, 0, "abce");
    assert_int_equal(fx->rec.gaps[0][0], 1);
    end_and_check_empty(fx);
    assert_gap_reasons(fx, 0, 1, 0, 0);
}

/* Two flows holding data: the sweep serves each at its own due time, and a flow that ends leaves the list. */
static void test_gap_timeout_two_flows(void **state)
{
    struct fx *fx = fx_new_timeout(state, 1u << 20, 65536, 256, 0, 2);
    struct flow g;
    struct tcp_stream gs[2];
    memset(&g, 0, sizeof(g));
    memset(gs, 0, sizeof(gs));
    g.stream = gs;
    struct flow h;
    struct tcp_stream hs[2];
    memset(&h, 0, sizeof(h));
    memset(hs, 0, sizeof(hs));
    h.stream = hs;
    struct decoded d;
    memset(&d, 0, sizeof(d));
    d.ipproto = 6;
    d.tcp_flags = TH_PUSH;

    fx->now_us = SEC;
    data(fx, 0, 100, "x");
    data(fx, 0, 110, "y"); /* fx's flow: due at 3 s */
    fx->now_us = 2 * SEC;
    d.tcp_seq = 7;
    d.payload = (const uint8_t *)"p";
    d.payload_len = 1;
    stream_packet(&fx->ctx, &g, 1, &d, fx->now_us);
    d.tcp_seq = 9;
    stream_packet(&fx->ctx, &g, 1, &d, fx->now_us); /* g: due at 4 s */
    d.tcp_seq = 30;
    stream_packet(&fx->ctx, &h, 0, &d, fx->now_us);
    d.tcp_seq = 40;
    stream_packet(&fx->ctx, &h, 0, &d, fx->now_us); /* h: due at 4 s, but ends first */
    stream_flow_end(&fx->ctx, &h);
    assert_true(h.held_prev == NULL && h.held_next == NULL && fx->ctx.held != &h);
    fx->now_us = 3 * SEC;
    stream_timeout(&fx->ctx, fx->now_us);
    assert_int_equal(fx->flow.stream[0].delivered, 2); /* the sink is shared: count per flow */
    assert_int_equal(fx->flow.stream[0].gap_bytes, 9);
    assert_true(fx->ctx.held == &g);
    assert_int_equal(g.stream[1].ooo_count, 1);
    fx->now_us = 4 * SEC;
    stream_timeout(&fx->ctx, fx->now_us);
    assert_int_equal(g.stream[1].ooo_count, 0);
    assert_true(g.held_prev == NULL && g.held_next == NULL);
    assert_null(fx->ctx.held);
    assert_int_equal(fx->stats.tcp_gaps_timeout, 2);
    assert_int_equal(fx->stats.tcp_gaps_flow_end, 1);
    stream_flow_end(&fx->ctx, &g);
    end_and_check_empty(fx);
}

/* gap-timeout 0: only the ACK, a limit or the flow's end give a hole up (and nothing is listed). */
static void test_gap_timeout_off(void **state)
{
    struct fx *fx = fx_default(state);
    syn(fx, 0, 0);
    data(fx, 0, 1, "a");
    data(fx, 0, 3, "c");
    assert_null(fx->ctx.held);
    fx->now_us = 1000 * SEC;
    stream_timeout(&fx->ctx, fx->now_us);
    data(fx, 0, 4, "d");
    assert_out(fx, 0, "a");
    end_and_check_empty(fx);
    assert_out(fx, 0, "acd");
    assert_gap_reasons(fx, 0, 0, 0, 1);
}

/* xorshift64*: deterministic, so a failure replays */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Du;
}

struct range {
    uint32_t off, len;
};

#define FUZZ_LEN        4000
#define FUZZ_MAX_RANGES 400

/* Random cover of [0, FUZZ_LEN) plus duplicates, shuffled. */
static size_t make_ranges(uint64_t *seed, struct range *r)
{
    size_t n = 0;
    uint32_t off = 0;
    while (off < FUZZ_LEN && n < FUZZ_MAX_RANGES / 2) {
        uint32_t len = 1 + (uint32_t)(rnd(seed) % 120);
        if (off + len > FUZZ_LEN || n == FUZZ_MAX_RANGES / 2 - 1)
            len = FUZZ_LEN - off;
        r[n++] = (struct range){off, len};
        off += len;
    }
    size_t dups = rnd(seed) % (FUZZ_MAX_RANGES / 2);
    for (size_t i = 0; i < dups; i++) {
        uint32_t a = (uint32_t)(rnd(seed) % FUZZ_LEN);
        uint32_t len = 1 + (uint32_t)(rnd(seed) % 200);
        if (a + len > FUZZ_LEN)
            len = FUZZ_LEN - a;
        r[n++] = (struct range){a, len};
    }
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd(seed) % (i + 1);
        struct range t = r[i];
        r[i] = r[j];
        r[j] = t;
    }
    return n;
}

struct fuzz_result {
    uint64_t gaps, memcap_hits, ooo, overlaps_diff;
};

/*
 * Both directions of one flow, each a random byte string sent as a shuffled
 * random cover plus duplicates, interleaved at random; in `exact` mode
 * corrupted copies of already delivered ranges follow, and must change nothing.
 */
static struct fuzz_result fuzz_round(uint64_t seed, uint64_t memcap, uint32_t max_bytes, uint32_t max_segs, bool exact)
{
    static const size_t corrupt_rounds = 20;
    uint8_t src[2][FUZZ_LEN];
    struct range r[2][FUZZ_MAX_RANGES];
    size_t n[2], next[2] = {0, 0};
    uint32_t isn[2];
    void *st = NULL;
    struct fx *fx = fx_new(&st, memcap, max_bytes, max_segs, 0);
    for (int dir = 0; dir < 2; dir++) {
        for (size_t i = 0; i < FUZZ_LEN; i++)
            src[dir][i] = (uint8_t)rnd(&seed);
        fx->rec.expect[dir] = src[dir];
        fx->rec.expect_len[dir] = FUZZ_LEN;
        isn[dir] = (uint32_t)rnd(&seed);
        if (rnd(&seed) & 1)
            isn[dir] = 0xFFFFFFFFu - (uint32_t)(rnd(&seed) % FUZZ_LEN); /* wrap inside the stream */
        syn(fx, dir, isn[dir]);
        n[dir] = make_ranges(&seed, r[dir]);
    }
    while (next[0] < n[0] || next[1] < n[1]) {
        int dir = next[0] < n[0] && next[1] < n[1] ? (int)(rnd(&seed) & 1) : next[0] < n[0] ? 0 : 1;
        const struct range *g = &r[dir][next[dir]++];
        pkt(fx, dir, TH_ACK, isn[dir] + 1 + g->off, src[dir] + g->off, g->len);
        assert_true(fx->flow.stream[dir].ooo_bytes <= max_bytes);
        assert_true(fx->flow.stream[dir].ooo_count <= max_segs);
        assert_true(fx->ctx.mc.used <= memcap);
    }
    if (exact) {
        assert_int_equal(fx->stats.tcp_overlaps_diff, 0);
        assert_int_equal(fx->flow.stream[0].ooo_count + fx->flow.stream[1].ooo_count, 0);
        for (size_t i = 0; i < corrupt_rounds; i++) {
            uint8_t bad[FUZZ_LEN];
            const struct range *g = &r[0][rnd(&seed) % n[0]];
            memcpy(bad, src[0] + g->off, g->len);
            bad[rnd(&seed) % g->len] ^= 0x5a;
            pkt(fx, 0, TH_ACK, isn[0] + 1 + g->off, bad, g->len);
        }
        assert_true(fx->stats.tcp_overlaps_diff <= corrupt_rounds);
        assert_int_equal(fx->rec.anomalies, fx->stats.tcp_overlaps_diff);
    }
    stream_flow_end(&fx->ctx, &fx->flow);
    assert_int_equal(fx->ctx.mc.used, 0);
    if (!exact)
        assert_int_equal(fx->rec.anomalies, 0);
    for (int dir = 0; dir < 2; dir++) {
        /* every byte is either delivered at its place or inside a reported gap */
        assert_int_equal(fx->rec.pos[dir], FUZZ_LEN);
        assert_int_equal(fx->flow.stream[dir].delivered + fx->flow.stream[dir].gap_bytes, FUZZ_LEN);
        if (exact) {
            assert_int_equal(fx->rec.ngaps[dir], 0);
            assert_int_equal(fx->rec.out_len[dir], FUZZ_LEN);
            assert_memory_equal(fx->rec.out[dir], src[dir], FUZZ_LEN);
        }
    }
    assert_int_equal(fx->stats.tcp_reassembled_bytes, fx->rec.out_len[0] + fx->rec.out_len[1]);
    assert_int_equal(fx->rec.out_len[0] + fx->rec.out_len[1] + fx->stats.tcp_gap_bytes, 2 * FUZZ_LEN);
    struct fuzz_result res = {fx->stats.tcp_reassembly_gaps, fx->stats.tcp_stream_memcap_hits,
                              fx->stats.tcp_ooo_segments, fx->stats.tcp_overlaps_diff};
    teardown(&st);
    return res;
}

static void test_fuzz_exact(void **state)
{
    (void)state;
    uint64_t ooo = 0, diff = 0;
    for (uint64_t i = 1; i <= 200; i++) {
        struct fuzz_result res = fuzz_round(0x9E3779B97F4A7C15u * i, 1u << 22, 1u << 20, 4096, true);
        ooo += res.ooo;
        diff += res.overlaps_diff;
    }
    assert_true(ooo > 0);
    assert_true(diff > 0); /* some corrupted copies matched a remembered piece */
}

static void test_fuzz_limited(void **state)
{
    (void)state;
    uint64_t gaps = 0, hits = 0;
    for (uint64_t i = 1; i <= 200; i++) {
        gaps += fuzz_round(0xD1B54A32D192ED03u * i, 1u << 22, 300, 8, false).gaps;
        struct fuzz_result res = fuzz_round(0xA0761D6478BD642Fu * i, 700, 1u << 20, 4096, false);
        gaps += res.gaps;
        hits += res.memcap_hits;
        gaps += fuzz_round(0xE7037ED1A0B428DBu * i, 1u << 22, 0, 0, false).gaps;
    }
    assert_true(gaps > 0);
    assert_true(hits > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_snap_cut_segment, teardown),
        cmocka_unit_test_teardown(test_fin_before_handshake_forgotten, teardown),
        cmocka_unit_test_teardown(test_partial_overlap_delivered_different, teardown),
        cmocka_unit_test_teardown(test_in_order, teardown),
        cmocka_unit_test_teardown(test_reverse_order, teardown),
        cmocka_unit_test_teardown(test_retransmission, teardown),
        cmocka_unit_test_teardown(test_retransmission_different_data, teardown),
        cmocka_unit_test_teardown(test_partial_overlap, teardown),
        cmocka_unit_test_teardown(test_overlap_held_different_data, teardown),
        cmocka_unit_test_teardown(test_overlap_held_same_data, teardown),
        cmocka_unit_test_teardown(test_ooo_limit_gap, teardown),
        cmocka_unit_test_teardown(test_ooo_segment_limit_gap, teardown),
        cmocka_unit_test_teardown(test_memcap_gap, teardown),
        cmocka_unit_test_teardown(test_memcap_gap_with_held, teardown),
        cmocka_unit_test_teardown(test_flow_end_hole, teardown),
        cmocka_unit_test_teardown(test_flow_end_no_data, teardown),
        cmocka_unit_test_teardown(test_midstream, teardown),
        cmocka_unit_test_teardown(test_wraparound, teardown),
        cmocka_unit_test_teardown(test_after_fin_ignored, teardown),
        cmocka_unit_test_teardown(test_fin_drops_held_after_it, teardown),
        cmocka_unit_test_teardown(test_flow_end_hole_before_fin, teardown),
        cmocka_unit_test_teardown(test_depth, teardown),
        cmocka_unit_test_teardown(test_syn_retransmission, teardown),
        cmocka_unit_test_teardown(test_syn_payload, teardown),
        cmocka_unit_test_teardown(test_garbage_seq, teardown),
        cmocka_unit_test_teardown(test_gap_acked, teardown),
        cmocka_unit_test_teardown(test_gap_acked_two_holes_and_tail, teardown),
        cmocka_unit_test_teardown(test_gap_filled_before_ack, teardown),
        cmocka_unit_test_teardown(test_gap_acked_wraparound, teardown),
        cmocka_unit_test_teardown(test_gap_ack_invalid, teardown),
        cmocka_unit_test_teardown(test_gap_acked_by_keepalive, teardown),
        cmocka_unit_test_teardown(test_gap_timeout_on_packet, teardown),
        cmocka_unit_test_teardown(test_gap_timeout_sweep, teardown),
        cmocka_unit_test_teardown(test_gap_timeout_second_hole_own_clock, teardown),
        cmocka_unit_test_teardown(test_gap_timeout_two_flows, teardown),
        cmocka_unit_test_teardown(test_gap_timeout_off, teardown),
        cmocka_unit_test(test_fuzz_exact),
        cmocka_unit_test(test_fuzz_limited),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
