/*
 * stats.h - the counters one worker keeps, written out as the EVE `stats` event.
 *
 * Decode anomaly kinds are one X-macro list so that the enum, the counter array
 * and the names in EVE (`stats.decoder.event.<name>`, `anomaly.event`) come from
 * one place.  Names follow Suricata's decoder event names where one exists.
 */
#ifndef MEDSENTRY_CORE_STATS_H
#define MEDSENTRY_CORE_STATS_H

#include <stdint.h>

/* X(enum-suffix, "layer", "name as it appears in EVE").  Keep the rows of one layer together:
 * the stats event nests the counts by layer in this order. */
#define DECODE_EVENTS(X)                                               \
    X(LINK_UNSUPPORTED, "link", "unsupported_linktype")                \
    X(ETH_PKT_TOO_SMALL, "ethernet", "pkt_too_small")                  \
    X(VLAN_HEADER_TOO_SMALL, "vlan", "header_too_small")               \
    X(VLAN_TOO_MANY_LAYERS, "vlan", "too_many_layers")                 \
    X(SLL_PKT_TOO_SMALL, "sll", "pkt_too_small")                       \
    X(SLL2_PKT_TOO_SMALL, "sll2", "pkt_too_small")                     \
    X(NULL_PKT_TOO_SMALL, "null", "pkt_too_small")                     \
    X(NULL_UNSUPPORTED_TYPE, "null", "unsupported_type")               \
    X(IPRAW_INVALID_IPV, "ipraw", "invalid_ip_version")                \
    X(PPP_PKT_TOO_SMALL, "ppp", "pkt_too_small")                       \
    X(PPPOE_PKT_TOO_SMALL, "pppoe", "pkt_too_small")                   \
    X(PPPOE_WRONG_CODE, "pppoe", "wrong_code")                         \
    X(GRE_PKT_TOO_SMALL, "gre", "pkt_too_small")                       \
    X(GRE_UNSUPPORTED, "gre", "version_or_routing_unsupported")        \
    X(ERSPAN_PKT_TOO_SMALL, "erspan", "pkt_too_small")                 \
    X(ERSPAN_UNSUPPORTED_VERSION, "erspan", "unsupported_version")     \
    X(TUNNEL_TOO_DEEP, "tunnel", "too_many_layers")                    \
    X(IPV4_PKT_TOO_SMALL, "ipv4", "pkt_too_small")                     \
    X(IPV4_HLEN_TOO_SMALL, "ipv4", "hlen_too_small")                   \
    X(IPV4_IPLEN_SMALLER_THAN_HLEN, "ipv4", "iplen_smaller_than_hlen") \
    X(IPV4_TRUNC_PKT, "ipv4", "trunc_pkt")                             \
    X(IPV4_WRONG_IP_VER, "ipv4", "wrong_ip_version")                   \
    X(IPV4_OPT_INVALID_LEN, "ipv4", "opt_invalid_len")                 \
    X(IPV4_OPT_MALFORMED, "ipv4", "opt_malformed")                     \
    X(IPV4_FRAG_PKT_TOO_LARGE, "ipv4", "frag_pkt_too_large")           \
    X(IPV4_FRAG_OVERLAP, "ipv4", "frag_overlap")                       \
    X(IPV4_FRAG_OVERLAP_DIFF, "ipv4", "frag_overlap_different_data")   \
    X(IPV4_FRAG_IGNORED, "ipv4", "frag_ignored")                       \
    X(IPV6_PKT_TOO_SMALL, "ipv6", "pkt_too_small")                     \
    X(IPV6_TRUNC_PKT, "ipv6", "trunc_pkt")                             \
    X(IPV6_TRUNC_EXTHDR, "ipv6", "trunc_exthdr")                       \
    X(IPV6_WRONG_IP_VER, "ipv6", "wrong_ip_version")                   \
    X(IPV6_EXTHDR_TOO_MANY, "ipv6", "exthdr_too_many")                 \
    X(IPV6_EXTHDR_DUPL_FH, "ipv6", "exthdr_duplicated_frag_header")    \
    X(IPV6_FRAG_PKT_TOO_LARGE, "ipv6", "frag_pkt_too_large")           \
    X(IPV6_FRAG_OVERLAP, "ipv6", "frag_overlap")                       \
    X(IPV6_FRAG_OVERLAP_DIFF, "ipv6", "frag_overlap_different_data")   \
    X(IPV6_FRAG_INVALID_LENGTH, "ipv6", "frag_invalid_length")         \
    X(IPV6_FRAG_IGNORED, "ipv6", "frag_ignored")                       \
    X(FRAG_MEMCAP, "defrag", "memcap")                                 \
    X(FRAG_TIMEOUT, "defrag", "timeout")                               \
    X(FRAG_TOO_MANY, "defrag", "max_frags")                            \
    X(TCP_PKT_TOO_SMALL, "tcp", "pkt_too_small")                       \
    X(TCP_HLEN_TOO_SMALL, "tcp", "hlen_too_small")                     \
    X(TCP_INVALID_OPTLEN, "tcp", "invalid_optlen")                     \
    X(TCP_OPT_INVALID_LEN, "tcp", "opt_invalid_len")                   \
    X(UDP_PKT_TOO_SMALL, "udp", "pkt_too_small")                       \
    X(UDP_HLEN_INVALID, "udp", "hlen_invalid")                         \
    X(ICMPV4_PKT_TOO_SMALL, "icmpv4", "pkt_too_small")                 \
    X(ICMPV6_PKT_TOO_SMALL, "icmpv6", "pkt_too_small")

enum decode_event {
#define X(e, layer, name) DEV_##e,
    DECODE_EVENTS(X)
#undef X
        DEV__COUNT
};

const char *decode_event_layer(enum decode_event e);
const char *decode_event_name(enum decode_event e);

struct stats {
    /* decoder */
    uint64_t pkts, bytes;    /* every packet the source handed over; bytes = wire length */
    uint64_t invalid;        /* packets that failed to decode */
    uint64_t truncated_pkts; /* caplen < wirelen (snaplen cut) */
    uint64_t ethernet, vlan, vlan_qinq, sll, sll2, null, raw;
    uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, other_ipproto, non_ip;
    uint64_t ppp, pppoe, ipip, gre, erspan, vxlan; /* encapsulations taken off */
    uint64_t tunneled;                             /* packets analysed from inside a tunnel */
    uint64_t decode_events[DEV__COUNT];

    /* defrag */
    uint64_t frag_ipv4_fragments, frag_ipv4_reassembled, frag_ipv4_timeouts;
    uint64_t frag_ipv6_fragments, frag_ipv6_reassembled, frag_ipv6_timeouts;
    uint64_t frag_memcap_hits, frag_max_hits;

    /* flow */
    uint64_t flows_total, flows_tcp, flows_udp, flows_icmp, flows_other;
    uint64_t flows_active, flows_active_peak;
    uint64_t flows_memcap_hits; /* flows refused or evicted for the flow memcap */
    uint64_t flows_evicted;     /* flows ended early to make room */
    uint64_t flows_timeout, flows_shutdown;

    /* tcp / stream */
    uint64_t tcp_sessions;  /* flows that saw a SYN */
    uint64_t tcp_midstream; /* flows picked up without a handshake */
    uint64_t tcp_syn, tcp_synack, tcp_rst, tcp_fin;
    uint64_t tcp_segments;        /* TCP packets carrying payload */
    uint64_t tcp_retransmissions; /* segments whose bytes had all been seen */
    uint64_t tcp_overlaps;        /* segments overlapping seen data */
    uint64_t tcp_overlaps_diff;   /* ... where the bytes differ (evasion or corruption) */
    uint64_t tcp_ooo_segments;    /* segments buffered out of order */
    uint64_t tcp_reassembly_gaps; /* holes skipped (loss, cap): the sum of the five below */
    uint64_t tcp_gaps_acked;      /* ... because the receiver acknowledged data beyond the hole */
    uint64_t tcp_gaps_timeout;    /* ... pending for stream.reassembly.gap-timeout */
    uint64_t tcp_gaps_limit;      /* ... for max-ooo-bytes/-segments or the stream memcap */
    uint64_t tcp_gaps_flow_end;   /* ... still pending when the flow ended */
    uint64_t tcp_gaps_snaplen;    /* ... the tail of a segment cut by the snap length */
    uint64_t tcp_gap_bytes;
    uint64_t tcp_stream_memcap_hits; /* segments not buffered for the stream memcap */
    uint64_t tcp_stream_depth_reached;
    uint64_t tcp_reassembled_bytes; /* in-order bytes delivered to the app layer */

    /* app layer */
    uint64_t app_flows[16]; /* by enum app_proto */
    uint64_t app_anomalies; /* parser-reported anomalies */

    /* anomalies (core/anomaly.c): every report counted, `anomaly` events written within limits */
    uint64_t anomaly_decode, anomaly_stream; /* reports per type (applayer: app_anomalies) */
    uint64_t anomaly_events;                 /* written as `anomaly` events */
    uint64_t anomaly_suppressed_repeat;      /* kind already written for the flow (outside flows: this second) */
    uint64_t anomaly_suppressed_rate;        /* over anomaly.rate-limit */
    uint64_t app_memcap_hits;
    uint64_t app_probe_failed; /* flows no parser recognised */
    /* after a gap (src/app/resync.c) */
    uint64_t app_gap_resyncs;       /* headers found again */
    uint64_t app_gap_resync_failed; /* searches given up (direction no longer parsed) */
    uint64_t app_gap_skipped_bytes; /* bytes passed over while searching */
    uint64_t app_gap_dropped;       /* messages being reassembled when a gap hit, dropped */

    /* file tracker (src/files/) */
    uint64_t files_opened;       /* tracks opened (one per file and direction) */
    uint64_t files_closed;       /* tracks closed: one fileinfo event each */
    uint64_t files_refused;      /* tracks not opened: files.max-open or files.memcap reached */
    uint64_t files_bytes_hashed; /* bytes fed to SHA-256 */
    uint64_t files_extracted;    /* complete files stored as --extract-files DIR/<sha256> */
    uint64_t files_ooo_chunks;   /* chunks held because they arrived before the bytes preceding them */
    uint64_t files_ooo_refused;  /* chunks that could not be held (files.max-ooo-bytes or files.memcap): file gapped */
    /* content scanning (libyara, src/files/yara_scan.c) */
    uint64_t files_yara_rules;           /* rules compiled at start */
    uint64_t files_yara_scanned;         /* complete files scanned */
    uint64_t files_yara_skipped_size;    /* not scanned: longer than files.yara-max-size */
    uint64_t files_yara_skipped_memcap;  /* not scanned: files.memcap refused the copy */
    uint64_t files_yara_skipped_partial; /* not scanned: gapped or partial file */
    uint64_t files_yara_matches;         /* rule matches (a file may match several rules) */
    uint64_t files_yara_errors;          /* scans libyara failed */
    uint64_t files_yara_timeouts;        /* scans stopped by files.yara-timeout */

    /* asset inventory (src/assets/) */
    uint64_t assets_hosts;   /* records held now */
    uint64_t assets_evicted; /* least recently seen hosts dropped to make room (assets.memcap) */

    /* DNS IP -> name map (src/correlate/dns_name_map.c) */
    uint64_t dns_names_entries; /* entries held now */
    uint64_t dns_names_evicted; /* least recently used entries dropped (dns.name-map-size or -memcap) */
    /* SQLite store (src/output/sqlite.c) */
    uint64_t sqlite_rows;         /* rows committed (alerts, flows, assets; an asset row also adds its history) */
    uint64_t sqlite_dropped;      /* rows lost: the queue was full, or their transaction failed */
    uint64_t sqlite_transactions; /* transactions committed */
    uint64_t sqlite_errors;       /* SQLite errors (the first one is also said on stderr) */
    /* Redis output (src/output/redis.c): every event offered ends as sent or dropped */
    uint64_t redis_sent;       /* events the server acknowledged */
    uint64_t redis_dropped;    /* events lost: buffer full, error reply, or the connection broke before the reply */
    uint64_t redis_reconnects; /* connections made again after a failure */
    uint64_t redis_errors;     /* failed connects, broken connections, error replies (the first is said on stderr) */

    /* output */
    uint64_t events_written;
    uint64_t events_by_type[16]; /* by enum event_type */
    uint64_t events_dropped;     /* serialisation failures (e.g. write error) */
};

/* Add every counter of src into dst (the workers' and the correlator's counters of a threaded run).  Peaks and
 * gauges add up too: flows_active_peak of the sum is the sum of the workers' peaks, an upper bound. */
void stats_merge(struct stats *dst, const struct stats *src);

#endif
