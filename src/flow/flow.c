/*
 * flow.c - the flow table (see flow.h for the model).
 *
 * Layout: a power-of-two array of bucket chains, plus one doubly linked list
 * in order of last use (head = most recent).  Packet time only moves the
 * table: a flow is looked up on every packet, moved to the LRU head, and once
 * per second of packet time the cold end of the list is swept for flows idle
 * past the timeout of their state.  Because the list is ordered by last use,
 * the sweep stops at the first flow more recent than the shortest timeout.
 *
 * TCP connection state (RFC 9293 section 3.3.2, simplified to what a passive
 * observer can know): SYN -> SYN_SENT, SYN-ACK -> SYN_RECV, the client's ACK
 * or data both ways -> ESTABLISHED, a FIN -> FIN_WAIT, FINs both ways ->
 * CLOSING, RST -> CLOSED.  A SYN on a closing or closed connection's tuple
 * starts a new flow (port reuse), as TCP does.
 */
#include "flow/flow.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"

#define T struct flow_cfg
static const struct config_key flow_keys[] = {
    CONFIG_KEY_SIZE(T, memcap, "flow.memcap", 1 * CONFIG_MB, 64 * CONFIG_GB, "128mb",
                    "memory for flow state; when full, the least recently used flow is ended (reason \"forced\")"),
    CONFIG_KEY_U32(T, hash_size, "flow.hash-size", 1024, 1u << 26, "65536",
                   "hash buckets (rounded up to a power of two)"),
    CONFIG_KEY_SECTION("flow.timeouts", "seconds of packet time without a packet before a flow ends"),
    CONFIG_KEY_U32(T, tcp_new_timeout, "flow.timeouts.tcp.new", 1, CONFIG_DAY, "60", "handshake not completed"),
    CONFIG_KEY_U32(T, tcp_established_timeout, "flow.timeouts.tcp.established", 1, CONFIG_DAY, "3600", NULL),
    CONFIG_KEY_U32(T, tcp_closed_timeout, "flow.timeouts.tcp.closed", 1, CONFIG_DAY, "10",
                   "after FIN both ways or RST"),
    CONFIG_KEY_U32(T, udp_new_timeout, "flow.timeouts.udp.new", 1, CONFIG_DAY, "30", "one direction only so far"),
    CONFIG_KEY_U32(T, udp_established_timeout, "flow.timeouts.udp.established", 1, CONFIG_DAY, "300", NULL),
    CONFIG_KEY_U32(T, icmp_timeout, "flow.timeouts.icmp", 1, CONFIG_DAY, "30", NULL),
    CONFIG_KEY_U32(T, other_timeout, "flow.timeouts.default", 1, CONFIG_DAY, "30", "other IP protocols"),
};
#undef T

const struct config_module flow_config_module = {
    .name = "flow",
    .keys = flow_keys,
    .n = sizeof(flow_keys) / sizeof(flow_keys[0]),
    .struct_size = sizeof(struct flow_cfg),
};

/* flow ids are kept below 2^53 so that JSON readers that use doubles (JavaScript, jq) read them exactly. */
#define FLOW_ID_MASK     ((1ULL << 53) - 1)
#define FLOW_ID_SEED     0x6d656473656e7472ULL /* "medsentr": fixed, so a capture gives the same ids on every run */
#define FLOW_EVICT_TRIES 8

/* Bytes a flow of this IP protocol takes: TCP adds its two stream directions. */
static size_t flow_alloc_size(uint8_t ipproto)
{
    return sizeof(struct flow) + (ipproto == 6 ? 2 * sizeof(struct tcp_stream) : 0);
}

static const char *const tcp_state_names[] = {
    [TCP_NONE] = "none",         [TCP_SYN_SENT] = "syn_sent",
    [TCP_SYN_RECV] = "syn_recv", [TCP_ESTABLISHED] = "established",
    [TCP_FIN_WAIT] = "fin_wait", [TCP_CLOSING] = "closing",
    [TCP_CLOSED] = "closed",
};

const char *tcp_state_name(enum tcp_state s)
{
    return (unsigned)s <= TCP_CLOSED ? tcp_state_names[s] : "unknown";
}

const char *flow_end_reason_name(enum flow_end_reason r)
{
    switch (r) {
    case FLOW_END_TIMEOUT: return "timeout";
    case FLOW_END_CLOSED: return "closed";
    case FLOW_END_EVICTED: return "forced";
    case FLOW_END_SHUTDOWN: return "shutdown";
    default: return "unknown";
    }
}

static uint32_t round_pow2(uint32_t v)
{
    uint32_t p = 1024;
    while (p < v && p < (1u << 26))
        p <<= 1;
    return p;
}

int flow_table_init(struct flow_table *ft, const struct flow_cfg *cfg, struct stats *stats, flow_end_fn on_end,
                    void *user)
{
    memset(ft, 0, sizeof(*ft));
    ft->cfg = *cfg;
    ft->stats = stats;
    ft->on_end = on_end;
    ft->on_end_user = user;
    uint32_t n = round_pow2(cfg->hash_size);
    memcap_init(&ft->mc, "flow", cfg->memcap);
    ft->buckets = mc_calloc(&ft->mc, (size_t)n * sizeof(*ft->buckets));
    if (!ft->buckets)
        return -1;
    ft->mask = n - 1;
    /* The seed only spreads buckets; it never shows in output, so time-based randomness is enough here. */
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    ft->hash_seed = hash_mix64((uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 32) ^ (uintptr_t)ft);
    return 0;
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        ft->lru_head = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        ft->lru_tail = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void lru_push_head(struct flow_table *ft, struct flow *f)
{
    f->lru_prev = NULL;
    f->lru_next = ft->lru_head;
    if (ft->lru_head)
        ft->lru_head->lru_prev = f;
    ft->lru_head = f;
    if (!ft->lru_tail)
        ft->lru_tail = f;
}

static void hash_unlink(struct flow_table *ft, struct flow *f)
{
    struct flow **pp = &ft->buckets[f->hash & ft->mask];
    while (*pp && *pp != f)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = f->hnext;
    f->hnext = NULL;
}

/* Take f out of the table, let the engine finish it (stream, app layer, flow event), free it. */
static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason reason)
{
    hash_unlink(ft, f);
    lru_unlink(ft, f);
    ft->count--;
    ft->stats->flows_active = ft->count;
    f->end_reason = reason;
    f->ending = true;
    switch (reason) {
    case FLOW_END_TIMEOUT: ft->stats->flows_timeout++; break;
    case FLOW_END_EVICTED: ft->stats->flows_evicted++; break;
    case FLOW_END_SHUTDOWN: ft->stats->flows_shutdown++; break;
    default: break;
    }
    if (ft->on_end)
        ft->on_end(ft->on_end_user, f);
    mc_free(&ft->mc, f, flow_alloc_size(f->ipproto));
}

void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason)
{
    /* oldest first, so flow events come out roughly in time order */
    while (ft->lru_tail)
        flow_end(ft, ft->lru_tail, reason);
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft->buckets)
        return;
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    mc_free(&ft->mc, ft->buckets, (size_t)(ft->mask + 1) * sizeof(*ft->buckets));
    ft->buckets = NULL;
}

static uint32_t flow_timeout_s(const struct flow_table *ft, const struct flow *f)
{
    const struct flow_cfg *c = &ft->cfg;
    switch (f->ipproto) {
    case 6:
        switch (f->tcp_state) {
        case TCP_ESTABLISHED:
        case TCP_FIN_WAIT: return c->tcp_established_timeout;
        case TCP_CLOSING:
        case TCP_CLOSED: return c->tcp_closed_timeout;
        default: return c->tcp_new_timeout;
        }
    case 17: return (f->pkts[0] && f->pkts[1]) ? c->udp_established_timeout : c->udp_new_timeout;
    case 1:
    case 58: return c->icmp_timeout;
    default: return c->other_timeout;
    }
}

static uint32_t min_timeout_s(const struct flow_cfg *c)
{
    uint32_t t[] = {c->tcp_new_timeout, c->tcp_established_timeout, c->tcp_closed_timeout,
                    c->udp_new_timeout, c->udp_established_timeout, c->icmp_timeout,
                    c->other_timeout};
    uint32_t m = t[0];
    for (size_t i = 1; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i] < m)
            m = t[i];
    return m;
}

void flow_table_timeout(struct flow_table *ft, uint64_t now_us)
{
    if (now_us < ft->last_sweep_us + 1000000)
        return;
    ft->last_sweep_us = now_us;
    uint64_t min_us = (uint64_t)min_timeout_s(&ft->cfg) * 1000000;
    struct flow *f = ft->lru_tail;
    while (f) {
        struct flow *prev = f->lru_prev;
        if (f->last_ts_us + min_us > now_us)
            break; /* this one and every more recent one are within every timeout */
        if (f->last_ts_us + (uint64_t)flow_timeout_s(ft, f) * 1000000 <= now_us)
            flow_end(ft, f, FLOW_END_TIMEOUT);
        f = prev;
    }
}

/* Build the normalised key: the lower (address, port) end first. */
static void flow_key_make(struct flow_key *k, const struct decoded *d)
{
    memset(k, 0, sizeof(*k)); /* padding too: keys are hashed and compared as bytes */
    k->ipproto = d->ipproto;
    for (int i = 0; i < d->vlan_count && i < DECODE_MAX_VLAN; i++)
        k->vlan[i] = d->vlan[i];
    int c = ip_addr_cmp(&d->src, &d->dst);
    bool src_lo = c < 0 || (c == 0 && d->sport <= d->dport);
    if (src_lo) {
        k->lo = d->src;
        k->hi = d->dst;
        k->lo_port = d->sport;
        k->hi_port = d->dport;
    } else {
        k->lo = d->dst;
        k->hi = d->src;
        k->lo_port = d->dport;
        k->hi_port = d->sport;
    }
}

static struct flow *flow_find(struct flow_table *ft, const struct flow_key *k, uint32_t h)
{
    for (struct flow *f = ft->buckets[h & ft->mask]; f; f = f->hnext)
        if (f->hash == h && memcmp(&f->key, k, sizeof(*k)) == 0)
            return f;
    return NULL;
}

/* A TCP flow carries its two reassembly directions after it, in the same allocation. */
static struct flow *flow_alloc(struct flow_table *ft, uint8_t ipproto)
{
    size_t size = flow_alloc_size(ipproto);
    struct flow *f = mc_calloc(&ft->mc, size);
    if (!f) {
        ft->stats->flows_memcap_hits++;
        for (int i = 0; i < FLOW_EVICT_TRIES && ft->lru_tail && !f; i++) {
            flow_end(ft, ft->lru_tail, FLOW_END_EVICTED);
            f = mc_calloc(&ft->mc, size);
        }
        if (!f)
            return NULL;
    }
    if (ipproto == 6)
        f->stream = (struct tcp_stream *)(f + 1);
    return f;
}

static struct flow *flow_create(struct flow_table *ft, const struct flow_key *k, uint32_t h, const struct decoded *d)
{
    struct flow *f = flow_alloc(ft, d->ipproto);
    if (!f)
        return NULL;
    f->key = *k;
    f->hash = h;
    f->ipproto = d->ipproto;
    f->vlan_count = d->vlan_count;
    memcpy(f->vlan, k->vlan, sizeof(f->vlan));

    /* The client sends the SYN; a SYN-ACK seen first comes from the server.  Without a handshake (TCP picked up
     * midstream, UDP), a sender on a privileged port talking to an ephemeral one is taken for the server;
     * otherwise the first sender is the client. */
    bool src_is_client;
    if (d->ipproto == 6 && (d->tcp_flags & TH_SYN))
        src_is_client = !(d->tcp_flags & TH_ACK);
    else if (d->ipproto == 6 || d->ipproto == 17)
        src_is_client = !(d->sport < 1024 && d->dport >= 1024);
    else
        src_is_client = true;
    const struct ip_addr *ca = src_is_client ? &d->src : &d->dst;
    const struct ip_addr *sa = src_is_client ? &d->dst : &d->src;
    f->client = *ca;
    f->server = *sa;
    f->client_port = src_is_client ? d->sport : d->dport;
    f->server_port = src_is_client ? d->dport : d->sport;
    if (d->has_mac) {
        f->has_mac = true;
        memcpy(f->client_mac, src_is_client ? d->src_mac : d->dst_mac, 6);
        memcpy(f->server_mac, src_is_client ? d->dst_mac : d->src_mac, 6);
    }
    if (d->ipproto == 1 || d->ipproto == 58) {
        f->icmp_type = d->icmp_type;
        f->icmp_code = d->icmp_code;
    }

    uint64_t ts = d->pkt ? d->pkt->ts_us : 0;
    f->first_ts_us = f->last_ts_us = ts;
    struct {
        struct flow_key k;
        uint64_t ts;
    } idsrc;
    memset(&idsrc, 0, sizeof(idsrc));
    idsrc.k = *k;
    idsrc.ts = ts;
    f->flow_id = hash_bytes(&idsrc, sizeof(idsrc), FLOW_ID_SEED) & FLOW_ID_MASK;
    if (f->flow_id == 0)
        f->flow_id = 1;

    f->hnext = ft->buckets[h & ft->mask];
    ft->buckets[h & ft->mask] = f;
    lru_push_head(ft, f);
    ft->count++;

    struct stats *s = ft->stats;
    s->flows_total++;
    s->flows_active = ft->count;
    if (ft->count > s->flows_active_peak)
        s->flows_active_peak = ft->count;
    switch (d->ipproto) {
    case 6:
        s->flows_tcp++;
        if ((d->tcp_flags & (TH_SYN | TH_ACK)) != TH_SYN)
            s->tcp_midstream++; /* the client's SYN was not seen */
        break;
    case 17: s->flows_udp++; break;
    case 1:
    case 58: s->flows_icmp++; break;
    default: s->flows_other++; break;
    }
    return f;
}

static void flow_tcp_track(struct flow_table *ft, struct flow *f, int dir, uint8_t flags, bool has_data)
{
    struct stats *s = ft->stats;
    if ((flags & TH_SYN) && f->tcp_state >= TCP_FIN_WAIT && !f->stream[0].delivered && !f->stream[1].delivered)
        f->tcp_state = TCP_NONE; /* a handshake after a FIN/RST that carried no data: a connection starts now */
    if (flags & TH_SYN) {
        if (flags & TH_ACK) {
            s->tcp_synack++;
            if (dir == 1 && f->tcp_state <= TCP_SYN_SENT)
                f->tcp_state = TCP_SYN_RECV;
        } else {
            s->tcp_syn++;
            if (f->tcp_state == TCP_NONE) {
                f->tcp_state = TCP_SYN_SENT;
                if (!f->saw_syn)
                    s->tcp_sessions++;
                f->saw_syn = true;
            }
        }
    }
    if (flags & TH_RST) {
        s->tcp_rst++;
        f->tcp_state = TCP_CLOSED;
        return;
    }
    if (flags & TH_FIN) {
        s->tcp_fin++;
        bool other_fin = f->tcp_flags[dir ^ 1] & TH_FIN;
        if (f->tcp_state < TCP_CLOSING)
            f->tcp_state = other_fin ? TCP_CLOSING : TCP_FIN_WAIT;
        return;
    }
    if (f->tcp_state == TCP_CLOSING && (flags & TH_ACK))
        f->tcp_state = TCP_CLOSED; /* the ACK of the second FIN */
    else if (f->tcp_state == TCP_SYN_RECV && dir == 0 && (flags & TH_ACK))
        f->tcp_state = TCP_ESTABLISHED;
    else if (f->tcp_state < TCP_ESTABLISHED && has_data && f->pkts[0] && f->pkts[1])
        f->tcp_state = TCP_ESTABLISHED; /* midstream or handshake partly missed */
}

struct flow *flow_packet(struct flow_table *ft, const struct decoded *d, int *dir)
{
    struct flow_key k;
    flow_key_make(&k, d);
    uint32_t h = (uint32_t)hash_bytes(&k, sizeof(k), ft->hash_seed);
    uint64_t ts = d->pkt ? d->pkt->ts_us : 0;

    struct flow *f = flow_find(ft, &k, h);
    if (f && d->ipproto == 6 && (d->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN && f->tcp_state >= TCP_CLOSING) {
        /* a new connection on the tuple of a finished one */
        flow_end(ft, f, FLOW_END_CLOSED);
        f = NULL;
    }
    if (!f) {
        f = flow_create(ft, &k, h, d);
        if (!f)
            return NULL;
    } else {
        lru_unlink(ft, f);
        lru_push_head(ft, f);
    }
    int di = (ip_addr_eq(&d->src, &f->client) && d->sport == f->client_port) ? 0 : 1;
    if (ip_addr_eq(&f->client, &f->server) && f->client_port == f->server_port)
        di = 0; /* a flow to itself: one direction */
    *dir = di;

    if (ts > f->last_ts_us)
        f->last_ts_us = ts;
    f->pkts[di]++;
    f->bytes[di] += d->pkt ? d->pkt->wirelen : 0;
    if (d->ipproto == 6) {
        flow_tcp_track(ft, f, di, d->tcp_flags, d->payload_len > 0);
        f->tcp_flags[di] |= d->tcp_flags;
    }
    return f;
}
