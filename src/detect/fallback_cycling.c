/*
 * fallback_cycling.c - KWAMPIRS.md §7.4: C2 fallback cycling.  Kwampirs
 * cycles through a long hard-coded list of C2 addresses, raw IPs among them,
 * "until a successful connection is established" (§2.2 C6, C7; S2 T1008), and
 * many listed IPs never answer (C10).  On the wire: one internal host makes
 * failed TCP connection attempts to port 80 of many distinct Internet
 * addresses that no DNS answer gave it.
 *
 * Fed by `flow` events (a flow's end): TCP to server port 80 whose handshake
 * began (the client's SYN was seen) and the server never sent a SYN-ACK — no
 * answer, or refused with a RST; client inside detect.zones.internal, server
 * outside it; and the server address "raw": the DNS name map (correlate/
 * dns_name_map.h) has no name for it, or only one resolved after the attempt
 * began.  Per source: the distinct addresses and the time of their last
 * attempt (at most 20); detect.fallback.hosts (10) of them within
 * detect.fallback.window (3600 s) raise 9300040, once per window.  Thresholds
 * are [INFERENCE] (§7.4).  Severity 1 when the source is an imaging node.
 * Without a name map (dns.name-map-size 0) every address would look raw: the
 * detector stays off.
 */
#include <stdio.h>
#include <string.h>

#include "correlate/dns_name_map.h"
#include "decode/decode.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define FALLBACK_MAX 20 /* detect.fallback.hosts is at most this */

struct fallback_entry {
    struct dentry e;
    uint8_t n;
    uint64_t fired_us;
    struct {
        struct ip_addr addr;
        uint64_t ts;
        uint64_t flow_id;
    } dst[FALLBACK_MAX];
};
_Static_assert(sizeof(struct fallback_entry) <= DETECT_ENTRY_SIZE, "fallback entry too large");

static bool failed_port80(const struct flow *f)
{
    return f->ipproto == 6 && f->server_port == 80 && f->saw_syn && (f->tcp_flags[0] & TH_SYN) &&
           !(f->tcp_flags[1] & TH_SYN);
}

void det_fallback_cycling(struct detect_ctx *d, const struct event *ev)
{
    const struct flow *f = ev->body;
    if (!f || !d->names || !d->names->max_entries || !failed_port80(f))
        return;
    if (!detect_net_match(&d->internal, &f->client) || detect_net_match(&d->internal, &f->server))
        return;
    struct dns_name_hit hit;
    if (dns_name_map_lookup(d->names, &f->server, d->now_us, &hit) && hit.resolved_us <= f->first_ts_us)
        return; /* looked up before: not a raw IP */
    const uint64_t window = (uint64_t)d->cfg.fallback_window * 1000000;
    struct dkey k = {.a = f->client};
    struct fallback_entry *e = dtable_get(d, &d->fallback, &k, true);
    if (!e)
        return;
    uint8_t i;
    for (i = 0; i < e->n && !ip_addr_eq(&e->dst[i].addr, &f->server); i++)
        ;
    if (i == e->n) {
        if (e->n < FALLBACK_MAX) {
            e->n++;
        } else { /* full: the oldest gives way */
            i = 0;
            for (uint8_t j = 1; j < e->n; j++)
                if (e->dst[j].ts < e->dst[i].ts)
                    i = j;
        }
        e->dst[i].addr = f->server;
        e->dst[i].ts = 0;
    }
    if (f->first_ts_us >= e->dst[i].ts) {
        e->dst[i].ts = f->first_ts_us;
        e->dst[i].flow_id = f->flow_id;
    }
    uint64_t latest = 0, earliest = UINT64_MAX;
    for (uint8_t j = 0; j < e->n; j++)
        if (e->dst[j].ts > latest)
            latest = e->dst[j].ts;
    uint32_t count = 0;
    for (uint8_t j = 0; j < e->n; j++)
        if (e->dst[j].ts + window >= latest) {
            count++;
            if (e->dst[j].ts < earliest)
                earliest = e->dst[j].ts;
        }
    if (count < d->cfg.fallback_hosts || (e->fired_us && latest < e->fired_us + window))
        return;
    e->fired_us = latest;
    struct alert_event a;
    alert_init(&a, SID_C2_FALLBACK, ev);
    a.first_us = earliest;
    a.last_us = latest;
    a.count = count;
    a.threshold = d->cfg.fallback_hosts;
    a.window_s = d->cfg.fallback_window;
    /* about many destinations: no single dest_ip; evidence.hosts lists them */
    memset(&a.dst, 0, sizeof(a.dst));
    a.dst_port = 0;
    a.n_hosts = a.n_flows = 0;
    for (uint8_t j = 0; j < e->n; j++)
        if (e->dst[j].ts + window >= latest) {
            alert_add_host(&a, &e->dst[j].addr);
            alert_add_flow(&a, e->dst[j].flow_id);
        }
    snprintf(a.detail, sizeof(a.detail),
             "%u failed TCP/80 attempts to distinct raw IPs (no DNS answer before them) within %u s", count,
             d->cfg.fallback_window);
    if (detect_net_match(&d->imaging, &f->client))
        a.severity = 1;
    detect_alert(d, &a, f->first_ts_us);
    det_chain_c2(d, &a);
}
