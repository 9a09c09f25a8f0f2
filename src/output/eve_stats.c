/*
 * eve_stats.c - the `stats` object: every counter of struct stats, grouped as
 * Suricata groups its stats (decoder, defrag, flow, tcp, app_layer), plus the
 * memcaps and the capture's own counters.
 */
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "core/anomaly.h"
#include "core/memcap.h"
#include "core/stats.h"
#include "detect/detect.h"
#include "output/eve.h"

static void decoder_events(struct jw *w, const struct stats *s)
{
    jw_open_obj(w, "event");
    const char *layer = NULL;
    for (int e = 0; e < DEV__COUNT; e++) {
        const char *l = decode_event_layer((enum decode_event)e);
        if (!layer || strcmp(l, layer) != 0) {
            if (layer)
                jw_close_obj(w);
            jw_open_obj(w, l);
            layer = l;
        }
        jw_u64(w, decode_event_name((enum decode_event)e), s->decode_events[e]);
    }
    if (layer)
        jw_close_obj(w);
    jw_close_obj(w);
}

/* stats.anomaly: reports per type, events written and suppressed, and per layer and name (core/anomaly.h). */
static void anomaly_counts(struct jw *w, const struct stats *s, const struct anomaly_ctx *ac)
{
    jw_open_obj(w, "anomaly");
    jw_u64(w, "decode", s->anomaly_decode);
    jw_u64(w, "stream", s->anomaly_stream);
    jw_u64(w, "applayer", s->app_anomalies);
    jw_u64(w, "events", s->anomaly_events);
    jw_u64(w, "suppressed", s->anomaly_suppressed_repeat + s->anomaly_suppressed_rate);
    jw_u64(w, "suppressed_repeat", s->anomaly_suppressed_repeat);
    jw_u64(w, "suppressed_rate", s->anomaly_suppressed_rate);
    jw_open_obj(w, "event");
    for (int i = -1; ac && i < ANOMALY_PARSERS; i++) {
        const struct anomaly_table *t = i < 0 ? &ac->stream : &ac->app[i];
        if (!t->layer)
            continue;
        jw_open_obj(w, t->layer);
        for (uint32_t k = 0; k < t->n; k++)
            jw_u64(w, t->name[k], t->count[k]);
        if (t->other)
            jw_u64(w, "other", t->other);
        jw_close_obj(w);
    }
    jw_close_obj(w);
    jw_close_obj(w);
}

void eve_stats_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct stats_event *se = ev->body;
    const struct stats *s = se->stats;
    jw_u64(w, "uptime", se->uptime_us / 1000000);
    jw_bool(w, "final", se->final);

    jw_bool(w, "capture_truncated", se->capture_truncated);
    if (se->live) {
        jw_open_obj(w, "capture");
        if (se->capture_method)
            jw_str(w, "method", se->capture_method);
        jw_u64(w, "kernel_packets", se->kernel_packets);
        jw_u64(w, "kernel_drops", se->kernel_drops);
        jw_u64(w, "kernel_ifdrops", se->kernel_ifdrops);
        jw_u64(w, "kernel_freezes", se->kernel_freezes);
        if (se->n_sockets) { /* af-packet: each worker's socket */
            jw_open_arr(w, "sockets");
            for (unsigned i = 0; i < se->n_sockets; i++) {
                jw_open_obj(w, NULL);
                jw_u64(w, "kernel_packets", se->sock_packets[i]);
                jw_u64(w, "kernel_drops", se->sock_drops[i]);
                jw_u64(w, "kernel_freezes", se->sock_freezes[i]);
                jw_close_obj(w);
            }
            jw_close_arr(w);
        }
        jw_close_obj(w);
    }

    jw_open_obj(w, "decoder");
    jw_u64(w, "pkts", s->pkts);
    jw_u64(w, "bytes", s->bytes);
    jw_u64(w, "invalid", s->invalid);
    jw_u64(w, "truncated", s->truncated_pkts);
    jw_u64(w, "ethernet", s->ethernet);
    jw_u64(w, "vlan", s->vlan);
    jw_u64(w, "vlan_qinq", s->vlan_qinq);
    jw_u64(w, "sll", s->sll);
    jw_u64(w, "sll2", s->sll2);
    jw_u64(w, "null", s->null);
    jw_u64(w, "raw", s->raw);
    jw_u64(w, "ipv4", s->ipv4);
    jw_u64(w, "ipv6", s->ipv6);
    jw_u64(w, "tcp", s->tcp);
    jw_u64(w, "udp", s->udp);
    jw_u64(w, "icmpv4", s->icmpv4);
    jw_u64(w, "icmpv6", s->icmpv6);
    jw_u64(w, "other_ipproto", s->other_ipproto);
    jw_u64(w, "non_ip", s->non_ip);
    jw_u64(w, "ppp", s->ppp);
    jw_u64(w, "pppoe", s->pppoe);
    jw_u64(w, "ipip", s->ipip);
    jw_u64(w, "gre", s->gre);
    jw_u64(w, "erspan", s->erspan);
    jw_u64(w, "vxlan", s->vxlan);
    jw_u64(w, "tunneled", s->tunneled);
    decoder_events(w, s);
    jw_close_obj(w);

    jw_open_obj(w, "defrag");
    jw_open_obj(w, "ipv4");
    jw_u64(w, "fragments", s->frag_ipv4_fragments);
    jw_u64(w, "reassembled", s->frag_ipv4_reassembled);
    jw_u64(w, "timeouts", s->frag_ipv4_timeouts);
    jw_close_obj(w);
    jw_open_obj(w, "ipv6");
    jw_u64(w, "fragments", s->frag_ipv6_fragments);
    jw_u64(w, "reassembled", s->frag_ipv6_reassembled);
    jw_u64(w, "timeouts", s->frag_ipv6_timeouts);
    jw_close_obj(w);
    jw_u64(w, "memcap_hits", s->frag_memcap_hits);
    jw_u64(w, "max_frag_hits", s->frag_max_hits);
    jw_close_obj(w);

    jw_open_obj(w, "flow");
    jw_u64(w, "total", s->flows_total);
    jw_u64(w, "tcp", s->flows_tcp);
    jw_u64(w, "udp", s->flows_udp);
    jw_u64(w, "icmp", s->flows_icmp);
    jw_u64(w, "other", s->flows_other);
    jw_u64(w, "active", s->flows_active);
    jw_u64(w, "active_peak", s->flows_active_peak);
    jw_u64(w, "memcap_hits", s->flows_memcap_hits);
    jw_u64(w, "evicted", s->flows_evicted);
    jw_u64(w, "timeout", s->flows_timeout);
    jw_u64(w, "shutdown", s->flows_shutdown);
    jw_close_obj(w);

    jw_open_obj(w, "tcp");
    jw_u64(w, "sessions", s->tcp_sessions);
    jw_u64(w, "midstream", s->tcp_midstream);
    jw_u64(w, "syn", s->tcp_syn);
    jw_u64(w, "synack", s->tcp_synack);
    jw_u64(w, "rst", s->tcp_rst);
    jw_u64(w, "fin", s->tcp_fin);
    jw_u64(w, "segments", s->tcp_segments);
    jw_u64(w, "retransmissions", s->tcp_retransmissions);
    jw_u64(w, "overlap", s->tcp_overlaps);
    jw_u64(w, "overlap_diff", s->tcp_overlaps_diff);
    jw_u64(w, "ooo_segments", s->tcp_ooo_segments);
    jw_u64(w, "reassembly_gap", s->tcp_reassembly_gaps);
    jw_u64(w, "gap_acked", s->tcp_gaps_acked);
    jw_u64(w, "gap_timeout", s->tcp_gaps_timeout);
    jw_u64(w, "gap_limit", s->tcp_gaps_limit);
    jw_u64(w, "gap_flow_end", s->tcp_gaps_flow_end);
    jw_u64(w, "gap_snaplen", s->tcp_gaps_snaplen);
    jw_u64(w, "gap_bytes", s->tcp_gap_bytes);
    jw_u64(w, "stream_memcap_hits", s->tcp_stream_memcap_hits);
    jw_u64(w, "stream_depth_reached", s->tcp_stream_depth_reached);
    jw_u64(w, "reassembled_bytes", s->tcp_reassembled_bytes);
    jw_close_obj(w);

    jw_open_obj(w, "app_layer");
    jw_open_obj(w, "flow");
    for (int p = APP_DICOM; p < APP__COUNT && p < 16; p++)
        if (app_proto_name((enum app_proto)p))
            jw_u64(w, app_proto_name((enum app_proto)p), s->app_flows[p]);
    jw_u64(w, "failed", s->app_probe_failed);
    jw_close_obj(w);
    jw_u64(w, "anomalies", s->app_anomalies);
    jw_u64(w, "memcap_hits", s->app_memcap_hits);
    jw_u64(w, "gap_resyncs", s->app_gap_resyncs);
    jw_u64(w, "gap_resync_failed", s->app_gap_resync_failed);
    jw_u64(w, "gap_skipped_bytes", s->app_gap_skipped_bytes);
    jw_u64(w, "gap_dropped", s->app_gap_dropped);
    jw_close_obj(w);

    anomaly_counts(w, s, se->anomalies);

    jw_open_obj(w, "files");
    jw_u64(w, "opened", s->files_opened);
    jw_u64(w, "closed", s->files_closed);
    jw_u64(w, "refused", s->files_refused);
    jw_u64(w, "bytes_hashed", s->files_bytes_hashed);
    jw_u64(w, "extracted", s->files_extracted);
    jw_u64(w, "ooo_chunks", s->files_ooo_chunks);
    jw_u64(w, "ooo_refused", s->files_ooo_refused);
    jw_open_obj(w, "yara");
    jw_u64(w, "rules", s->files_yara_rules);
    jw_u64(w, "scanned", s->files_yara_scanned);
    jw_u64(w, "skipped_size", s->files_yara_skipped_size);
    jw_u64(w, "skipped_memcap", s->files_yara_skipped_memcap);
    jw_u64(w, "skipped_partial", s->files_yara_skipped_partial);
    jw_u64(w, "matches", s->files_yara_matches);
    jw_u64(w, "errors", s->files_yara_errors);
    jw_u64(w, "timeouts", s->files_yara_timeouts);
    jw_close_obj(w);
    jw_close_obj(w);

    jw_open_obj(w, "assets");
    jw_u64(w, "hosts", s->assets_hosts);
    jw_u64(w, "evicted", s->assets_evicted);
    jw_close_obj(w);
    if (se->detect) {
        const struct detect_stats *ds = se->detect;
        jw_open_obj(w, "detect");
        jw_u64(w, "alerts", ds->alerts);
        jw_u64(w, "suppressed", ds->suppressed);
        jw_u64(w, "allowlisted", ds->allowlisted);
        jw_u64(w, "memcap_hits", ds->memcap_hits);
        jw_u64(w, "indicators", ds->indicators);
        jw_open_obj(w, "signatures");
        for (size_t i = 0; i < detect_n_sigs && i < DETECT_MAX_SIGS; i++) {
            if (!ds->by_sig_alerts[i] && !ds->by_sig_suppressed[i])
                continue;
            char sid[16];
            snprintf(sid, sizeof(sid), "%u", detect_sigs[i].sid);
            jw_open_obj(w, sid);
            jw_u64(w, "alerts", ds->by_sig_alerts[i]);
            jw_u64(w, "suppressed", ds->by_sig_suppressed[i]);
            jw_close_obj(w);
        }
        jw_close_obj(w);
        jw_close_obj(w);
    }

    jw_open_obj(w, "dns");
    jw_open_obj(w, "name_map");
    jw_u64(w, "entries", s->dns_names_entries);
    jw_u64(w, "evicted", s->dns_names_evicted);
    jw_close_obj(w);
    jw_close_obj(w);
    jw_open_obj(w, "sqlite");
    jw_u64(w, "rows", s->sqlite_rows);
    jw_u64(w, "dropped", s->sqlite_dropped);
    jw_u64(w, "transactions", s->sqlite_transactions);
    jw_u64(w, "errors", s->sqlite_errors);
    jw_close_obj(w);
    jw_open_obj(w, "redis");
    jw_u64(w, "sent", s->redis_sent);
    jw_u64(w, "dropped", s->redis_dropped);
    jw_u64(w, "reconnects", s->redis_reconnects);
    jw_u64(w, "errors", s->redis_errors);
    jw_close_obj(w);

    jw_open_obj(w, "memcap");
    for (const struct memcap *const *m = se->memcaps; m && *m; m++) {
        jw_open_obj(w, (*m)->name);
        jw_u64(w, "cap", (*m)->cap);
        jw_u64(w, "used", (*m)->used);
        jw_u64(w, "peak", (*m)->peak);
        jw_u64(w, "hits", (*m)->hits);
        jw_close_obj(w);
    }
    jw_close_obj(w);

    jw_open_obj(w, "output");
    jw_u64(w, "events_written", s->events_written);
    jw_u64(w, "events_dropped", s->events_dropped);
    jw_close_obj(w);

    /* threaded runs: packets per worker thread (how evenly the address-pair hash spread them) */
    if (se->n_workers && se->worker_pkts) {
        jw_open_obj(w, "threading");
        jw_u64(w, "workers", se->n_workers);
        jw_open_arr(w, "worker_packets");
        for (unsigned i = 0; i < se->n_workers; i++)
            jw_u64(w, NULL, se->worker_pkts[i]);
        jw_close_arr(w);
        jw_close_obj(w);
    }
}
