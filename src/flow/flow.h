/*
 * flow.h - the flow table: one entry per bidirectional conversation.
 *
 * Key: the 5-tuple (addresses, ports, IP protocol) plus VLAN ids, normalised so
 * that both directions find the same entry.  Direction: the client is the
 * sender of a SYN without ACK; if the first packet seen is a SYN-ACK, its
 * receiver.  Without a handshake (UDP, TCP midstream), a first packet from a
 * port below 1024 to a port at or above 1024 comes from the server; otherwise
 * the sender of the first packet is the client (and always for ICMP).
 * Time: every timeout runs on packet time.  Memory: flows are charged to the
 * flow memcap; when it is full the least recently used flow is ended
 * (end reason "evicted") to make room, and counted.
 *
 * ICMP and other IP protocols have no ports: one flow per address pair (and
 * VLAN); the ICMP type and code of the first packet are kept for the record.
 */
#ifndef MEDSENTRY_FLOW_FLOW_H
#define MEDSENTRY_FLOW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app.h"
#include "core/addr.h"
#include "core/config.h"
#include "core/memcap.h"
#include "core/stats.h"
#include "decode/decode.h"
#include "flow/stream.h"

enum tcp_state {
    TCP_NONE = 0, /* not TCP, or nothing tracked yet */
    TCP_SYN_SENT,
    TCP_SYN_RECV,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT, /* one side sent FIN */
    TCP_CLOSING,  /* both sides sent FIN */
    TCP_CLOSED,   /* both FINs acknowledged, or RST */
};

enum flow_end_reason {
    FLOW_END_NONE = 0,
    FLOW_END_TIMEOUT,  /* idle past the state's timeout */
    FLOW_END_CLOSED,   /* TCP closed (FIN/RST) and a new SYN reused its tuple */
    FLOW_END_EVICTED,  /* ended early because the flow memcap was full */
    FLOW_END_SHUTDOWN, /* end of capture / sensor stopping */
};

const char *tcp_state_name(enum tcp_state s);
const char *flow_end_reason_name(enum flow_end_reason r);

struct flow_key {
    struct ip_addr lo, hi; /* addresses in sorted order */
    uint16_t lo_port, hi_port;
    uint16_t vlan[DECODE_MAX_VLAN];
    uint8_t ipproto;
};

struct flow {
    struct flow_key key;
    uint32_t hash;

    /* direction: index 0 = to server (client -> server), 1 = to client */
    struct ip_addr client, server;
    uint16_t client_port, server_port;
    uint8_t ipproto;
    uint8_t vlan_count;
    uint16_t vlan[DECODE_MAX_VLAN];
    bool has_mac;
    uint8_t client_mac[6], server_mac[6];

    uint64_t flow_id; /* stable: from the key and the first packet's time */
    uint64_t first_ts_us, last_ts_us;
    uint64_t pkts[2], bytes[2]; /* bytes = frame length on the wire, as Suricata counts */

    uint8_t icmp_type, icmp_code; /* first packet's, ICMP flows only */

    /* TCP */
    enum tcp_state tcp_state;
    uint8_t tcp_flags[2];      /* OR of flags seen per direction */
    bool saw_syn;              /* the handshake was seen (not midstream) */
    struct tcp_stream *stream; /* [2] (0 to server, 1 to client): TCP flows only, allocated with the flow
                                * in the same block; NULL for UDP, ICMP and other flows, which need none */
    /* stream.c: links in the list of flows holding data behind a hole (for the gap timeout) */
    struct flow *held_prev, *held_next;

    /* app layer */
    struct app_flow app;

    uint64_t anomaly_written; /* a bit per anomaly kind already written as an event (core/anomaly.h) */
    uint64_t last_seq;        /* sequence number of its last packet (the reader's): the order of the LRU list,
                               * which orders the events of flows ending at one tick across workers */

    enum flow_end_reason end_reason;
    bool ending; /* being torn down: no more events into it */

    /* table links */
    struct flow *hnext;               /* hash chain */
    struct flow *lru_prev, *lru_next; /* most recently used at the head */
};

struct flow_cfg {
    uint64_t memcap;
    uint32_t hash_size; /* buckets; rounded up to a power of two */
    /* timeouts in seconds of packet time */
    uint32_t tcp_new_timeout, tcp_established_timeout, tcp_closed_timeout;
    uint32_t udp_new_timeout, udp_established_timeout;
    uint32_t icmp_timeout, other_timeout;
};
/* flow.*: the key table is in flow.c. */
extern const struct config_module flow_config_module;

/* Called for every flow that ends, before its memory is freed. */
typedef void (*flow_end_fn)(void *user, struct flow *f);

struct flow_table {
    struct flow_cfg cfg;
    struct flow **buckets;
    uint32_t mask;
    struct flow *lru_head, *lru_tail;
    uint64_t count;
    struct memcap mc;
    struct stats *stats;
    uint64_t hash_seed; /* per table: bucket choice cannot be steered by an attacker */
    uint64_t last_sweep_us;
    flow_end_fn on_end;
    void *on_end_user;
};

int flow_table_init(struct flow_table *ft, const struct flow_cfg *cfg, struct stats *stats, flow_end_fn on_end,
                    void *user);
void flow_table_free(struct flow_table *ft); /* ends every flow (FLOW_END_SHUTDOWN) */

/*
 * Find or create the flow of a decoded TCP/UDP/ICMP packet, update its counters
 * and TCP state, and set *dir (0 to server, 1 to client).  NULL when the
 * memcap leaves no room even after eviction (counted).
 */
struct flow *flow_packet(struct flow_table *ft, const struct decoded *d, int *dir);

/* End flows idle past their timeout at packet time now_us (amortised: a bounded sweep per call). */
void flow_table_timeout(struct flow_table *ft, uint64_t now_us);

/* End every flow (end of input). */
void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason);

#endif
