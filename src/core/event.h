/*
 * event.h - the typed events that flow from parsers to detectors and outputs.
 *
 * A producer (decoder, flow table, stream, app-layer parser) fills a
 * `struct event` and publishes it on the worker's event bus.  Subscribers
 * (detectors, the EVE writer, later the SQLite store) receive it synchronously;
 * the event and everything it points to are valid only during the call, so a
 * subscriber that keeps anything copies it.  Producers know no subscriber;
 * subscribers know the event structs, not the parsers.
 */
#ifndef MEDSENTRY_CORE_EVENT_H
#define MEDSENTRY_CORE_EVENT_H

#include <stdbool.h>
#include <stdint.h>

enum event_type {
    EVENT_FLOW,     /* body: struct flow (the ended flow) */
    EVENT_ANOMALY,  /* body: struct anomaly_event */
    EVENT_STATS,    /* body: struct stats_event */
    EVENT_DICOM,    /* body: struct dicom_event      (src/app/dicom/) */
    EVENT_SMB,      /* body: struct smb_event        (src/app/smb/) */
    EVENT_DCERPC,   /* body: struct dcerpc_event     (src/app/dcerpc/) */
    EVENT_FILEINFO, /* body: struct fileinfo_event   (src/files/) */
    EVENT_ASSET,    /* body: struct asset_event      (src/assets/) */
    EVENT_TLS,      /* body: struct tls_event        (src/app/tls/) */
    EVENT_ALERT,    /* body: struct alert_event      (src/detect/) */
    EVENT_HTTP,     /* body: struct http_event       (src/app/http/) */
    EVENT_DNS,      /* body: struct dns_event        (src/app/dns/) */
    EVENT_HL7,      /* body: struct hl7_event        (src/app/hl7/) */
    EVENT__COUNT
};

/* The EVE event_type name of each type ("flow", "anomaly", ...). */
const char *event_type_name(enum event_type t);

struct flow;
struct decoded;

enum event_dir { EVENT_DIR_NONE = -1, EVENT_DIR_TOSERVER = 0, EVENT_DIR_TOCLIENT = 1 };

struct event {
    enum event_type type;
    uint64_t ts_us;            /* packet time of the packet that caused it */
    const struct flow *flow;   /* NULL for events outside a flow */
    const struct decoded *pkt; /* the packet, when there is no flow (decode anomalies); else may be NULL */
    enum event_dir dir;        /* direction of the causing packet within the flow */
    const void *body;
};

/* EVENT_ANOMALY body.  type: "decode", "stream" or "applayer". */
struct anomaly_event {
    const char *type;
    const char *layer;  /* "ipv4", "tcp", "dicom", ... */
    const char *event;  /* "trunc_pkt", "overlap_different_data", "pdu_too_large", ... */
    const char *detail; /* optional free text, may be NULL; never packet bytes */
};

struct stats;
struct memcap;
struct anomaly_ctx;
struct detect_stats;

/* EVENT_STATS body: counters plus the memcaps they refer to. */
struct stats_event {
    const struct stats *stats;
    const struct memcap *const *memcaps; /* NULL-terminated */
    const struct anomaly_ctx *anomalies; /* per-kind anomaly counts (core/anomaly.h); may be NULL */
    uint64_t uptime_us;                  /* packet time from first to last packet */
    bool final;                          /* the last stats event of the run */
    bool capture_truncated;              /* the capture file ended in the middle of a packet */
    bool live;                           /* kernel counters below are valid */
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
    uint64_t kernel_freezes;    /* ring freezes (TPACKET_V3: the kernel found no free block) */
    const char *capture_method; /* live: "af-packet" or "pcap" */
    unsigned n_sockets;         /* af-packet: one socket per worker; 0 otherwise */
    const uint64_t *sock_packets, *sock_drops, *sock_freezes; /* af-packet: each socket's kernel counters */
    const struct detect_stats *detect; /* alerts by signature, suppressed; NULL without detection */
    unsigned n_workers;                /* worker threads (0: inline) */
    const uint64_t *worker_pkts;       /* packets each worker thread had; NULL inline */
};

typedef void (*event_fn)(void *user, const struct event *ev);

#define EVENT_BUS_MAX_SUBSCRIBERS 16

struct event_bus {
    struct {
        event_fn fn;
        void *user;
        uint32_t type_mask; /* bit per enum event_type */
    } subs[EVENT_BUS_MAX_SUBSCRIBERS];
    int n;
};

#define EVENT_MASK_ALL 0xffffffffu
#define EVENT_MASK(t)  (1u << (t))

/* 0 on success, -1 if the bus is full. */
int event_bus_subscribe(struct event_bus *bus, uint32_t type_mask, event_fn fn, void *user);

static inline void event_publish(const struct event_bus *bus, const struct event *ev)
{
    for (int i = 0; i < bus->n; i++)
        if (bus->subs[i].type_mask & (1u << ev->type))
            bus->subs[i].fn(bus->subs[i].user, ev);
}

#endif
