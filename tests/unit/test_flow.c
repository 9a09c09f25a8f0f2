/*
 * test_flow.c - the flow table: one flow for both directions, direction from
 * the handshake, counters, TCP states, timeouts on packet time, port reuse,
 * VLAN in the key, memcap eviction, stable flow ids.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "flow/flow.h"

#define SEC 1000000ULL

struct ended {
    int n;
    enum flow_end_reason reason[64];
    uint64_t flow_id[64];
    uint64_t pkts[64][2];
};

static void on_end(void *user, struct flow *f)
{
    struct ended *e = user;
    if (e->n < 64) {
        e->reason[e->n] = f->end_reason;
        e->flow_id[e->n] = f->flow_id;
        e->pkts[e->n][0] = f->pkts[0];
        e->pkts[e->n][1] = f->pkts[1];
    }
    e->n++;
}

struct pk {
    struct packet pkt;
    struct decoded d;
};

/* A decoded TCP/UDP packet from a.b.c.d:sport to w.x.y.z:dport (last octets only, 10.0.0.x). */
static struct decoded *mk(struct pk *p, uint8_t proto, uint8_t s, uint16_t sport, uint8_t t, uint16_t dport,
                          uint8_t flags, uint64_t ts, uint32_t wirelen)
{
    memset(p, 0, sizeof(*p));
    uint8_t a[4] = {10, 0, 0, s}, b[4] = {10, 0, 0, t};
    p->pkt.ts_us = ts;
    p->pkt.wirelen = p->pkt.caplen = wirelen;
    p->d.pkt = &p->pkt;
    p->d.ip_version = 4;
    ip_addr_set4(&p->d.src, a);
    ip_addr_set4(&p->d.dst, b);
    p->d.ipproto = proto;
    p->d.sport = sport;
    p->d.dport = dport;
    p->d.tcp_flags = flags;
    return &p->d;
}

static struct flow_cfg cfg_default(void)
{
    struct flow_cfg c = {
        .memcap = 16 << 20,
        .hash_size = 1024,
        .tcp_new_timeout = 60,
        .tcp_established_timeout = 3600,
        .tcp_closed_timeout = 10,
        .udp_new_timeout = 30,
        .udp_established_timeout = 300,
        .icmp_timeout = 30,
        .other_timeout = 30,
    };
    return c;
}

static void test_handshake_direction_and_counters(void **state)
{
    (void)state;
    struct stats st = {0};
    struct ended e = {0};
    struct flow_table ft;
    struct flow_cfg c = cfg_default();
    assert_int_equal(flow_table_init(&ft, &c, &st, on_end, &e), 0);
    struct pk p;
    int dir;
    /* 10.0.0.9:40000 -> 10.0.0.1:104: the client has the higher address, so key order and direction differ */
    struct flow *f = flow_packet(&ft, mk(&p, 6, 9, 40000, 1, 104, TH_SYN, 1 * SEC, 74), &dir);
    assert_non_null(f);
    assert_int_equal(dir, 0);
    assert_int_equal(f->tcp_state, TCP_SYN_SENT);
    assert_int_equal(f->client_port, 40000);
    assert_int_equal(f->server_port, 104);
    assert_non_null(flow_packet(&ft, mk(&p, 6, 1, 104, 9, 40000, TH_SYN | TH_ACK, 1 * SEC + 10, 74), &dir));
    assert_int_equal(dir, 1);
    assert_int_equal(f->tcp_state, TCP_SYN_RECV);
    assert_ptr_equal(flow_packet(&ft, mk(&p, 6, 9, 40000, 1, 104, TH_ACK, 1 * SEC + 20, 66), &dir), f);
    assert_int_equal(f->tcp_state, TCP_ESTABLISHED);
    assert_int_equal(f->pkts[0], 2);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(f->bytes[0], 140);
    assert_int_equal(f->bytes[1], 74);
    flow_packet(&ft, mk(&p, 6, 9, 40000, 1, 104, TH_FIN | TH_ACK, 2 * SEC, 66), &dir);
    assert_int_equal(f->tcp_state, TCP_FIN_WAIT);
    flow_packet(&ft, mk(&p, 6, 1, 104, 9, 40000, TH_FIN | TH_ACK, 2 * SEC, 66), &dir);
    assert_int_equal(f->tcp_state, TCP_CLOSING);
    flow_packet(&ft, mk(&p, 6, 9, 40000, 1, 104, TH_ACK, 2 * SEC, 66), &dir);
    assert_int_equal(f->tcp_state, TCP_CLOSED);
    assert_int_equal(f->tcp_flags[0], TH_SYN | TH_ACK | TH_FIN);
    assert_int_equal(st.flows_total, 1);
    assert_int_equal(st.tcp_sessions, 1);
    assert_int_equal(st.tcp_midstream, 0);
    flow_table_free(&ft);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], FLOW_END_SHUTDOWN);
    assert_int_equal(ft.mc.used, 0);
}

/* A TCP flow carries its two stream directions; a UDP or ICMP flow is charged only for struct flow. */
static void test_stream_state_only_for_tcp(void **state)
{
    (void)state;
    struct stats st = {0};
    struct ended e = {0};
    struct flow_table ft;
    struct flow_cfg c = cfg_default();
    assert_int_equal(flow_table_init(&ft, &c, &st, on_end, &e), 0);
    struct pk p;
    int dir;
    uint64_t base = ft.mc.used;
    struct flow *u = flow_packet(&ft, mk(&p, 17, 9, 5353, 1, 53, 0, 1 * SEC, 80), &dir);
    assert_non_null(u);
    assert_null(u->stream);
    assert_int_equal(ft.mc.used - base, sizeof(struct flow));
    base = ft.mc.used;
    struct flow *t = flow_packet(&ft, mk(&p, 6, 9, 40000, 1, 104, TH_SYN, 1 * SEC, 74), &dir);
    assert_non_null(t);
    assert_non_null(t->stream);
    assert_int_equal(ft.mc.used - base, sizeof(struct flow) + 2 * sizeof(struct tcp_stream));
    assert_int_equal(t->stream[0].delivered + t->stream[1].delivered, 0); /* zeroed with the flow */
    flow_table_free(&ft);
    assert_int_equal(e.n, 2);
    assert_int_equal(ft.mc.used, 0); /* each freed with the size it was charged */
}

static void test_synack_first_and_midstream(void **state)
{
    (void)state;
    struct stats st = {0};
    struct flow_table ft;
    struct flow_cfg c = cfg_default();
    assert_int_equal(flow_table_init(&ft, &c, &st, NULL, NULL), 0);
    struct pk p;
    int dir;
    /* SYN lost: the SYN-ACK's sender is the server */
    struct flow *f = flow_packet(&ft, mk(&p, 6, 1, 445, 9, 50000, TH_SYN | TH_ACK, SEC, 60), &dir);
    assert_int_equal(dir, 1);
    assert_int_equal(f->server_port, 445);
    /* no handshake, first packet from a privileged port to an ephemeral one: its sender is the server */
    f = flow_packet(&ft, mk(&p, 6, 3, 80, 4, 50001, TH_ACK | TH_PUSH, SEC, 60), &dir);
    assert_int_equal(dir, 1);
    assert_int_equal(f->client_port, 50001);
    assert_int_equal(f->server_port, 80);
    /* no handshake, no such hint: the first sender is the client */
    f = flow_packet(&ft, mk(&p, 6, 5, 40000, 6, 50002, TH_ACK | TH_PUSH, SEC, 60), &dir);
    assert_int_equal(dir, 0);
    assert_int_equal(f->client_port, 40000);
    /* UDP answer seen first (a DNS response from port 53): the server is still port 53 */
    f = flow_packet(&ft, mk(&p, 17, 7, 53, 8, 33333, 0, SEC, 90), &dir);
    assert_int_equal(dir, 1);
    assert_int_equal(f->server_port, 53);
    assert_int_equal(st.tcp_midstream, 3);
    flow_table_free(&ft);
}

static void test_timeouts_by_state(void **state)
{
    (void)state;
    struct stats st = {0};
    struct ended e = {0};
    struct flow_table ft;
    struct flow_cfg c = cfg_default();
    assert_int_equal(flow_table_init(&ft, &c, &st, on_end, &e), 0);
    struct pk p;
    int dir;
    flow_packet(&ft, mk(&p, 17, 1, 5353, 2, 53, 0, 100 * SEC, 80), &dir);      /* udp, one way: 30 s */
    flow_packet(&ft, mk(&p, 6, 3, 1000, 4, 104, TH_SYN, 100 * SEC, 60), &dir); /* tcp new: 60 s */
    flow_packet(&ft, mk(&p, 6, 5, 1000, 6, 104, TH_SYN, 100 * SEC, 60), &dir); /* tcp established: 3600 s */
    flow_packet(&ft, mk(&p, 6, 6, 104, 5, 1000, TH_SYN | TH_ACK, 100 * SEC, 60), &dir);
    flow_packet(&ft, mk(&p, 6, 5, 1000, 6, 104, TH_ACK, 100 * SEC, 60), &dir);
    flow_table_timeout(&ft, 129 * SEC);
    assert_int_equal(e.n, 0);
    flow_table_timeout(&ft, 130 * SEC);
    assert_int_equal(e.n, 1); /* the UDP flow */
    flow_table_timeout(&ft, 160 * SEC);
    assert_int_equal(e.n, 2); /* the unanswered SYN */
    assert_int_equal(e.reason[1], FLOW_END_TIMEOUT);
    flow_table_timeout(&ft, 3699 * SEC);
    assert_int_equal(e.n, 2);
    flow_table_timeout(&ft, 3700 * SEC);
    assert_int_equal(e.n, 3);
    assert_int_equal(st.flows_timeout, 3);
    assert_int_equal(ft.count, 0);
    flow_table_free(&ft);
}

static void test_port_reuse_starts_new_flow(void **state)
{
    (void)state;
    struct stats st = {0};
    struct ended e = {0};
    struct flow_table ft;
    struct flow_cfg c = cfg_default();
    assert_int_equal(flow_table_init(&ft, &c, &st, on_end, &e), 0);
    struct pk p;
    int dir;
    struct flow *f1 = flow_packet(&ft, mk(&p, 6, 1, 1234, 2, 445, TH_SYN, SEC, 60), &dir);
    uint64_t id1 = f1->flow_id;
    flow_packet(&ft, mk(&p, 6, 2, 445, 1, 1234, TH_RST | TH_ACK, SEC, 60), &dir);
    struct flow *f2 = flow_packet(&ft, mk(&p, 6, 1, 1234, 2, 445, TH_SYN, 2 * SEC, 60), &dir);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], FLOW_END_CLOSED);
    assert_int_equal(e.flow_id[0], id1);
    assert_int_not_equal(f2->flow_id, id1);
    assert_int_equal(f2->pkts[0], 1);
    assert_int_equal(st.flows_total, 2);
    flow_table_free(&ft);
}

static void test_vlan_in_key(void **state)
{
    (void)state;
    struct stats st = {0};
    struct flow_table ft;
    struct flow_cfg c = cfg_default();
    assert_int_equal(flow_table_init(&ft, &c, &st, NULL, NULL), 0);
    struct pk p;
    int dir;
    struct decoded *d = mk(&p, 17, 1, 1000, 2, 2000, 0, SEC, 60);
    d->vlan_count = 1;
    d->vlan[0] = 10;
    struct flow *a = flow_packet(&ft, d, &dir);
    d->vlan[0] = 20;
    struct flow *b = flow_packet(&ft, d, &dir);
    assert_ptr_not_equal(a, b);
    assert_int_equal(b->vlan[0], 20);
    assert_int_equal(st.flows_total, 2);
    flow_table_free(&ft);
}

static void test_memcap_evicts_least_recent(void **state)
{
    (void)state;
    struct stats st = {0};
    struct ended e = {0};
    struct flow_table ft;
    struct flow_cfg c = cfg_default();
    /* room for the bucket array and exactly 4 flows */
    c.memcap = 1024 * sizeof(struct flow *) + 4 * sizeof(struct flow);
    assert_int_equal(flow_table_init(&ft, &c, &st, on_end, &e), 0);
    struct pk p;
    int dir;
    uint64_t ids[5];
    for (int i = 0; i < 4; i++)
        ids[i] = flow_packet(&ft, mk(&p, 17, 1, (uint16_t)(1000 + i), 2, 53, 0, SEC + (uint64_t)i, 60), &dir)->flow_id;
    flow_packet(&ft, mk(&p, 17, 1, 1000, 2, 53, 0, 2 * SEC, 60), &dir); /* flow 0 used again: flow 1 is now oldest */
    struct flow *f = flow_packet(&ft, mk(&p, 17, 1, 2000, 2, 53, 0, 3 * SEC, 60), &dir);
    assert_non_null(f);
    ids[4] = f->flow_id;
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reason[0], FLOW_END_EVICTED);
    assert_int_equal(e.flow_id[0], ids[1]);
    assert_int_equal(st.flows_memcap_hits, 1);
    assert_int_equal(st.flows_evicted, 1);
    assert_true(ft.mc.used <= ft.mc.cap);
    assert_int_equal(ft.count, 4);
    flow_table_free(&ft);
    assert_int_equal(e.n, 5);
}

static void test_flow_id_stable(void **state)
{
    (void)state;
    /* Two tables (different bucket seeds) give the same id for the same first packet; ids fit in 53 bits. */
    struct stats st = {0};
    struct flow_table a, b;
    struct flow_cfg c = cfg_default();
    assert_int_equal(flow_table_init(&a, &c, &st, NULL, NULL), 0);
    assert_int_equal(flow_table_init(&b, &c, &st, NULL, NULL), 0);
    struct pk p;
    int dir;
    for (int i = 0; i < 200; i++) {
        struct decoded *d = mk(&p, 6, (uint8_t)i, (uint16_t)(30000 + i), 1, 104, TH_SYN, 1000 * SEC + (uint64_t)i, 60);
        uint64_t x = flow_packet(&a, d, &dir)->flow_id;
        uint64_t y = flow_packet(&b, d, &dir)->flow_id;
        assert_int_equal(x, y);
        assert_true(x > 0 && x < (1ULL << 53));
    }
    flow_table_free(&a);
    flow_table_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_direction_and_counters), cmocka_unit_test(test_stream_state_only_for_tcp),
        cmocka_unit_test(test_synack_first_and_midstream),       cmocka_unit_test(test_timeouts_by_state),
        cmocka_unit_test(test_port_reuse_starts_new_flow),       cmocka_unit_test(test_vlan_in_key),
        cmocka_unit_test(test_memcap_evicts_least_recent),       cmocka_unit_test(test_flow_id_stable),
    };
    return cmocka_run_group_tests_name("flow", tests, NULL, NULL);
}
