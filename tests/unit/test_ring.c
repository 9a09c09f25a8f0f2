/*
 * test_ring.c - the SPSC ring (src/core/ring.c), the correlator's merge under
 * watermarks (src/pipeline/merge.c), the reader's address-pair hash
 * (src/pipeline/packet_hash.c), owned events (src/pipeline/event_clone.c) and the
 * futex waits (src/core/wake.c).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit.h"

#include "app/dns/dns.h"
#include "core/ring.h"
#include "core/wake.h"
#include "flow/flow.h"
#include "pipeline/merge.h"
#include "pipeline/owned_event.h"
#include "pipeline/packet_hash.h"

/* ---- ring ------------------------------------------------------------------------------------------------------- */

static void test_ring_empty_full(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 5), 0);
    assert_int_equal(ring_capacity(&r), 8); /* rounded up to a power of two */
    assert_null(ring_pop(&r));
    uintptr_t v[9];
    for (int i = 0; i < 8; i++)
        assert_true(ring_push(&r, &v[i]));
    assert_false(ring_push(&r, &v[8])); /* full: nothing written */
    for (int i = 0; i < 8; i++)
        assert_ptr_equal(ring_pop(&r), &v[i]);
    assert_null(ring_pop(&r));
    ring_free(&r);
}

/* Indices run far past the capacity: every slot is reused many times, in order. */
static void test_ring_wraparound(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 4), 0);
    uintptr_t next_in = 1, next_out = 1;
    for (int round = 0; round < 1000; round++) {
        uintptr_t n = 1 + (uintptr_t)round % 4;
        while (next_in - next_out + n > 4) /* make room */
            assert_int_equal((uintptr_t)ring_pop(&r), next_out++);
        for (uintptr_t i = 0; i < n; i++)
            assert_true(ring_push(&r, (void *)next_in++));
        if (next_in - next_out == 4)
            assert_false(ring_push(&r, (void *)next_in)); /* full at every position of the indices */
        for (uintptr_t i = 0; i < n - (uintptr_t)round % 2; i++)
            assert_int_equal((uintptr_t)ring_pop(&r), next_out++);
    }
    while (next_out < next_in)
        assert_int_equal((uintptr_t)ring_pop(&r), next_out++);
    assert_null(ring_pop(&r));
    ring_free(&r);
}

#define STRESS_N 2000000u

static void *stress_producer(void *arg)
{
    struct ring *r = arg;
    for (uintptr_t i = 1; i <= STRESS_N; i++)
        while (!ring_push(r, (void *)i))
            ;
    return NULL;
}

/* Two threads: every value arrives once, in order (a lost or torn slot, or a reordering, fails). */
static void test_ring_two_threads(void **state)
{
    (void)state;
    struct ring r;
    assert_int_equal(ring_init(&r, 64), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stress_producer, &r), 0);
    uintptr_t expect = 1;
    while (expect <= STRESS_N) {
        void *p = ring_pop(&r);
        if (!p)
            continue;
        if ((uintptr_t)p != expect)
            fail_msg("got %lu, expected %lu", (unsigned long)(uintptr_t)p, (unsigned long)expect);
        expect++;
    }
    pthread_join(t, NULL);
    assert_null(ring_pop(&r));
    ring_free(&r);
}

/* ---- wake: both sides sleep on a ring of two ------------------------------------------------------------------ */

#define WAKE_N 200000u

struct pingpong {
    struct ring r;
    struct wake producer, consumer; /* each side sleeps on its own, the other notifies it */
};

struct ring_try {
    struct ring *r;
    void *p;
};

static bool try_pop(void *user)
{
    struct ring_try *t = user;
    return (t->p = ring_pop(t->r)) != NULL;
}

static bool try_push(void *user)
{
    struct ring_try *t = user;
    return ring_push(t->r, t->p);
}

static void pause_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

static void *wake_producer(void *arg)
{
    struct pingpong *pp = arg;
    for (uintptr_t i = 1; i <= WAKE_N; i++) {
        struct ring_try t = {.r = &pp->r, .p = (void *)i};
        wake_wait(&pp->producer, try_push, &t);
        wake_notify(&pp->consumer);
        if (i % 4096 == 0)
            pause_us(100); /* longer than the spin: the consumer goes to sleep */
    }
    return NULL;
}

/* A lost wake-up leaves one side asleep for ever (the test hangs); every value arrives once, in order; and both
 * sides do sleep (the futex path is taken, not only the spin: each pauses now and then for longer than it). */
static void test_wake_no_lost_wakeup(void **state)
{
    (void)state;
    struct pingpong pp;
    assert_int_equal(ring_init(&pp.r, 2), 0);
    wake_init(&pp.producer);
    wake_init(&pp.consumer);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wake_producer, &pp), 0);
    for (uintptr_t expect = 1; expect <= WAKE_N; expect++) {
        struct ring_try t = {.r = &pp.r};
        wake_wait(&pp.consumer, try_pop, &t);
        wake_notify(&pp.producer);
        if (expect % 4096 == 2048)
            pause_us(100); /* the producer goes to sleep */
        if ((uintptr_t)t.p != expect)
            fail_msg("got %lu, expected %lu", (unsigned long)(uintptr_t)t.p, (unsigned long)expect);
    }
    pthread_join(th, NULL);
    assert_null(ring_pop(&pp.r));
    assert_true(pp.producer.sleeps > 0 && pp.consumer.sleeps > 0);
    ring_free(&pp.r);
}

/* ---- merge --------------------------------------------------------------------------------------------------------
 */

static struct owned_event *ev(uint64_t seq, uint32_t phase, uint64_t order, uint32_t idx)
{
    struct owned_event *oe = calloc(1, sizeof(*oe));
    oe->key = (struct event_key){.seq = seq, .phase = phase, .order = order, .idx = idx};
    return oe;
}

struct two {
    struct ring r[2];
    _Atomic uint64_t wm[2];
    struct merge m;
};

static void two_init(struct two *t)
{
    struct merge_source src[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ring_init(&t->r[i], 16), 0);
        atomic_init(&t->wm[i], 0);
        src[i] = (struct merge_source){.ring = &t->r[i], .watermark = &t->wm[i]};
    }
    merge_init(&t->m, 2, src);
}

static void two_free(struct two *t)
{
    merge_free(&t->m);
    for (int i = 0; i < 2; i++) {
        struct owned_event *oe;
        while ((oe = ring_pop(&t->r[i])))
            free(oe);
        ring_free(&t->r[i]);
    }
}

static void expect_next(struct merge *m, uint64_t seq, uint32_t phase, uint64_t order)
{
    struct owned_event *oe;
    assert_int_equal(merge_next(m, &oe), MERGE_EVENT);
    assert_int_equal(oe->key.seq, seq);
    assert_int_equal(oe->key.phase, phase);
    assert_int_equal(oe->key.order, order);
    free(oe);
}

static void expect_wait(struct merge *m)
{
    struct owned_event *oe;
    assert_int_equal(merge_next(m, &oe), MERGE_WAIT);
    assert_null(oe);
}

/* Worker 1 runs ahead; its events wait until worker 0's watermark says nothing smaller can come. */
static void test_merge_waits_for_watermark(void **state)
{
    (void)state;
    struct two t;
    two_init(&t);
    ring_push(&t.r[1], ev(5, PHASE_PACKET, 0, 0));
    ring_push(&t.r[1], ev(9, PHASE_PACKET, 0, 0));
    atomic_store(&t.wm[1], 10);
    expect_wait(&t.m); /* worker 0 has done nothing: it may still emit for seq 1..4 */
    ring_push(&t.r[0], ev(3, PHASE_PACKET, 0, 0));
    atomic_store(&t.wm[0], 4);
    expect_next(&t.m, 3, PHASE_PACKET, 0);
    expect_wait(&t.m); /* seq 5 needs worker 0 past 4 */
    atomic_store(&t.wm[0], 7);
    expect_next(&t.m, 5, PHASE_PACKET, 0);
    expect_wait(&t.m); /* seq 9: worker 0 is at 7 */
    ring_push(&t.r[0], ev(8, PHASE_PACKET, 0, 0));
    atomic_store(&t.wm[0], 12);
    expect_next(&t.m, 8, PHASE_PACKET, 0);
    expect_next(&t.m, 9, PHASE_PACKET, 0);
    expect_wait(&t.m); /* nobody has ended */
    atomic_store(&t.wm[0], UINT64_MAX);
    atomic_store(&t.wm[1], UINT64_MAX);
    struct owned_event *oe;
    assert_int_equal(merge_next(&t.m, &oe), MERGE_DONE);
    two_free(&t);
}

/* One tick seen by both workers: their events interleave by (phase, flow order), whatever arrives first. */
static void test_merge_tick_interleaves(void **state)
{
    (void)state;
    struct two t;
    two_init(&t);
    /* worker 0: flows with last packets 2 and 7 time out; worker 1: flows 4 and 5, and a stream-phase event */
    ring_push(&t.r[1], ev(10, PHASE_TICK_STREAM, 4, 0));
    ring_push(&t.r[1], ev(10, PHASE_TICK_FLOW, 4, 1));
    ring_push(&t.r[1], ev(10, PHASE_TICK_FLOW, 5, 2));
    ring_push(&t.r[1], ev(11, PHASE_PACKET, 0, 0));
    atomic_store(&t.wm[1], 11);
    ring_push(&t.r[0], ev(10, PHASE_TICK_FLOW, 2, 0));
    ring_push(&t.r[0], ev(10, PHASE_TICK_FLOW, 7, 1));
    ring_push(&t.r[0], ev(10, PHASE_TICK_CORR, UINT64_MAX, 2));
    atomic_store(&t.wm[0], 11);
    expect_next(&t.m, 10, PHASE_TICK_STREAM, 4);
    expect_next(&t.m, 10, PHASE_TICK_FLOW, 2);
    expect_next(&t.m, 10, PHASE_TICK_FLOW, 4);
    expect_next(&t.m, 10, PHASE_TICK_FLOW, 5);
    expect_next(&t.m, 10, PHASE_TICK_FLOW, 7);
    expect_next(&t.m, 10, PHASE_TICK_CORR, UINT64_MAX);
    expect_next(&t.m, 11, PHASE_PACKET, 0);
    expect_wait(&t.m);
    two_free(&t);
}

/* An event pushed after the merge saw an empty ring but before it read the watermark is still taken first. */
static void test_merge_late_arrival(void **state)
{
    (void)state;
    struct two t;
    two_init(&t);
    ring_push(&t.r[0], ev(6, PHASE_PACKET, 0, 0));
    atomic_store(&t.wm[0], 6);
    expect_wait(&t.m); /* worker 1 at 0 */
    ring_push(&t.r[1], ev(2, PHASE_PACKET, 0, 0));
    atomic_store(&t.wm[1], 3);
    expect_next(&t.m, 2, PHASE_PACKET, 0);
    expect_wait(&t.m);
    atomic_store(&t.wm[1], UINT64_MAX);
    expect_next(&t.m, 6, PHASE_PACKET, 0);
    two_free(&t);
}

/* ---- the reader's hash ----------------------------------------------------------------------------------------------
 */

static size_t eth_ipv4(uint8_t *b, const uint8_t src[4], const uint8_t dst[4], uint16_t sport, uint16_t dport,
                       bool vlan, uint16_t frag)
{
    memset(b, 0, 80);
    size_t o = 12;
    if (vlan) {
        b[o] = 0x81, b[o + 1] = 0x00, b[o + 3] = 10;
        o += 4;
    }
    b[o] = 0x08, b[o + 1] = 0x00;
    o += 2;
    b[o] = 0x45;
    b[o + 6] = (uint8_t)(frag >> 8), b[o + 7] = (uint8_t)frag;
    b[o + 9] = 17;
    memcpy(b + o + 12, src, 4);
    memcpy(b + o + 16, dst, 4);
    b[o + 20] = (uint8_t)(sport >> 8), b[o + 21] = (uint8_t)sport;
    b[o + 22] = (uint8_t)(dport >> 8), b[o + 23] = (uint8_t)dport;
    return o + 28;
}

static void test_hash_symmetric(void **state)
{
    (void)state;
    const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2}, c[4] = {10, 0, 0, 3};
    uint8_t f1[80], f2[80], f3[80], f4[80], f5[80];
    struct packet p1 = {.linktype = 1, .data = f1}, p2 = {.linktype = 1, .data = f2}, p3 = {.linktype = 1, .data = f3},
                  p4 = {.linktype = 1, .data = f4}, p5 = {.linktype = 1, .data = f5};
    p1.caplen = (uint32_t)eth_ipv4(f1, a, b, 1000, 53, false, 0);
    p2.caplen = (uint32_t)eth_ipv4(f2, b, a, 53, 1000, true, 0);   /* the answer, VLAN-tagged */
    p3.caplen = (uint32_t)eth_ipv4(f3, a, b, 0, 0, false, 0x00b9); /* a later fragment: no ports */
    p4.caplen = (uint32_t)eth_ipv4(f4, a, c, 1000, 53, false, 0);  /* another pair */
    p5.caplen = 20;                                                /* too short for an IP header */
    assert_int_not_equal(packet_hash(&p1), 0);
    assert_int_equal(packet_hash(&p1), packet_hash(&p2));
    assert_int_equal(packet_hash(&p1), packet_hash(&p3));
    assert_int_not_equal(packet_hash(&p1), packet_hash(&p4));
    assert_int_equal(packet_hash(&p5), 0);
    assert_int_equal(packet_worker(&p5, 4), 0);
    for (unsigned n = 1; n <= 8; n++) {
        assert_true(packet_worker(&p1, n) < n);
        assert_int_equal(packet_worker(&p1, n), packet_worker(&p2, n));
    }
    f1[12] = 0x08, f1[13] = 0x06; /* ARP: worker 0 */
    assert_int_equal(packet_worker(&p1, 4), 0);
}

/* ---- owned events
 * ---------------------------------------------------------------------------------------------------- */

/* A DNS answer: the clone's strings point into its own arena, the flow snapshot into nothing of the worker. */
static void test_clone_dns_and_flow(void **state)
{
    (void)state;
    static struct dns_msg m;
    memset(&m, 0, sizeof(m));
    strcpy(m.arena, "pacs.example.org");
    strcpy(m.arena + 32, "10.1.2.3");
    m.n_answers = 1;
    m.answers[0].rrname = m.arena;
    m.answers[0].rdata = m.arena + 32;
    m.answers[0].rdata_len = 8;
    m.malformed = "static_anomaly_name";
    struct dns_event de = {.kind = DNS_EV_ANSWER, .msg = &m, .rrname = "q.example"};
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.flow_id = 42;
    struct tcp_stream st[2];
    memset(st, 0, sizeof(st));
    st[0].delivered = 1234;
    st[0].ooo = (struct tcp_segment *)&st[1]; /* anything: must not survive */
    f.stream = st;
    f.lru_next = &f;
    f.app.state = &f;
    struct event e = {.type = EVENT_DNS, .ts_us = 7, .flow = &f, .dir = EVENT_DIR_TOCLIENT, .body = &de};
    size_t need = event_clone_size(&e);
    assert_true(need >= sizeof(struct dns_msg) + sizeof(struct flow));
    struct owned_event *oe = event_clone(&e);
    assert_non_null(oe);
    assert_int_equal(oe->size, need);
    /* change the originals: the clone must not see it */
    strcpy(m.arena, "XXXX");
    st[0].delivered = 0;
    const uint8_t *lo = (const uint8_t *)oe, *hi = lo + oe->size;
    const struct dns_event *c = oe->ev.body;
#define INSIDE(p) ((const uint8_t *)(p) >= lo && (const uint8_t *)(p) < hi)
    assert_true(INSIDE(c) && INSIDE(c->msg) && INSIDE(c->rrname) && INSIDE(oe->ev.flow));
    assert_string_equal(c->msg->answers[0].rrname, "pacs.example.org");
    assert_true(c->msg->answers[0].rrname == c->msg->arena);
    assert_memory_equal(c->msg->answers[0].rdata, "10.1.2.3", 8);
    assert_string_equal(c->msg->malformed, "static_anomaly_name");
    assert_true(INSIDE(c->msg->malformed));
    assert_int_equal(oe->ev.flow->flow_id, 42);
    assert_true(INSIDE(oe->ev.flow->stream));
    assert_int_equal(oe->ev.flow->stream[0].delivered, 1234);
    assert_null(oe->ev.flow->stream[0].ooo);
    assert_null(oe->ev.flow->lru_next);
    assert_null(oe->ev.flow->app.state);
#undef INSIDE
    free(oe);
    /* a flow event's body is its flow snapshot */
    struct event fe = {.type = EVENT_FLOW, .flow = &f, .body = &f, .dir = EVENT_DIR_NONE};
    oe = event_clone(&fe);
    assert_non_null(oe);
    assert_ptr_equal(oe->ev.body, oe->ev.flow);
    free(oe);
    /* correlator-side types are not cloned */
    struct event se = {.type = EVENT_STATS};
    assert_int_equal(event_clone_size(&se), 0);
    assert_null(event_clone(&se));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_empty_full),           cmocka_unit_test(test_ring_wraparound),
        cmocka_unit_test(test_ring_two_threads),          cmocka_unit_test(test_wake_no_lost_wakeup),
        cmocka_unit_test(test_merge_waits_for_watermark), cmocka_unit_test(test_merge_tick_interleaves),
        cmocka_unit_test(test_merge_late_arrival),        cmocka_unit_test(test_hash_symmetric),
        cmocka_unit_test(test_clone_dns_and_flow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
