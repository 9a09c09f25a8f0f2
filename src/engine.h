/*
 * engine.h - a run of the sensor: N workers (src/worker.h: decode -> flow ->
 * stream -> app layer, producing owned events) and one correlator that runs
 * what is cross-flow on the events in one deterministic order: the asset
 * inventory, the DNS name map, the detectors and the outputs (EVE, SQLite).
 *
 * Inline (no threads: cfg->threading.workers 0): one worker runs on the
 * caller's thread and its events are handed to the correlator after each
 * unit.  Threaded (N >= 1): the caller's thread is the reader (it hashes each
 * packet to a worker and copies it into that worker's batch), N worker threads
 * and one correlator thread (src/pipeline/threads.c).  The same units, keys
 * and gates in both, so eve.json is the same whatever N (docs/DESIGN.md,
 * "Across cores").
 */
#ifndef MEDSENTRY_ENGINE_H
#define MEDSENTRY_ENGINE_H

#include <stdbool.h>

#include "assets/assets.h"
#include "correlate/dns_name_map.h"
#include "core/anomaly.h"
#include "core/config.h"
#include "engine_cfg.h"
#include "core/event.h"
#include "core/stats.h"
#include "detect/detect.h"
#include "output/eve.h"
#include "output/redis.h"
#include "output/sqlite.h"
#include "pipeline/owned_event.h"
#include "pipeline/threads.h"
#include "worker.h"

struct engine_mt; /* src/pipeline/threads.c */

struct config; /* config_registry.h */

struct engine {
    const struct config *cfg;
    /* The correlator's counters (EVE, store, anomaly gates 2-3); engine_finish adds every worker's into it, so
     * after the run it holds the totals. */
    struct stats stats;
    struct event_bus bus;          /* the correlator's bus: store, EVE, inventory, DNS name map, detectors */
    struct anomaly_global anomaly; /* anomaly gates 2 and 3 (core/anomaly.h), over every worker's reports */
    struct eve_writer eve;
    bool eve_open;
    struct store *store;           /* <logdir>/medsentry.db (src/output/sqlite.c); NULL when off or not openable */
    struct redis_out *redis;       /* outputs.redis (src/output/redis.c); NULL when off */
    struct asset_inventory assets; /* imaging asset inventory (src/assets/) */
    struct detect_ctx *detect;     /* detectors (src/detect/); NULL when detect.enabled is no */
    struct yara_scanner *yara;     /* file content scanning (files.yara-*); NULL when off */
    struct dns_name_map dns_names; /* IP -> name from DNS answers (src/correlate/) */
    uint64_t first_ts_us, now_us;  /* packet time (the reader's: running maximum) */
    uint64_t corr_now_us;          /* packet time of the correlator's last tick */
    uint64_t next_stats_us;
    uint64_t next_flush_us; /* live: EVE is flushed once a second */
    bool capture_truncated;
    /* live capture: set by the caller before the first packet; kernel counters filled before the final stats */
    bool live;
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops, kernel_freezes;
    const char *capture_method; /* "af-packet" or "pcap" */
    unsigned n_sockets;         /* af-packet: each worker's socket's counters */
    uint64_t sock_packets[ENGINE_MAX_WORKERS], sock_drops[ENGINE_MAX_WORKERS], sock_freezes[ENGINE_MAX_WORKERS];

    /* the packet side */
    unsigned n_workers; /* worker threads; 0 = inline (one worker on the caller's thread) */
    struct worker *workers;
    uint64_t seq;          /* units numbered so far (packets and ticks) */
    uint64_t pkts_read;    /* packets handed to engine_packet (the reader's count) */
    uint64_t bytes_read;   /* their wire bytes (the progress line) */
    uint64_t next_tick_us; /* packet time of the next tick */
    bool finished;
    struct owned_event *q_head, *q_tail; /* inline: events waiting for the correlator */
    struct engine_mt *mt;                /* threaded: rings, threads (NULL inline) */
    const char *dump_dir;
};

/* 0 on success; -1 with one sentence in err.  Threads start with the first packet or tick. */
int engine_init(struct engine *e, const struct config *cfg, const char *dump_dir, char *err, size_t errlen);
void engine_packet(struct engine *e, const struct packet *pkt);
/* Packet time moves without packets (live capture, idle link). */
void engine_tick(struct engine *e, uint64_t now_us);
/* End of input: end every flow, write the final stats, flush outputs (threads joined). */
void engine_finish(struct engine *e);
/* After the seccomp filter is installed (main.c): start the output threads (the Redis sender), which run under it. */
void engine_start_outputs(struct engine *e);
/* SIGHUP: reopen the output files by name (eve.json; the store and assets.json need not). */
void engine_reopen_outputs(struct engine *e);
/* Reopen eve.json now (the thread that writes it: the correlator's, or the caller's between units). */
void engine_reopen_eve(struct engine *e);
void engine_free(struct engine *e);

/* The correlator side, for src/pipeline/threads.c: one owned event (or tick) in the merged order; frees it. */
void engine_deliver(struct engine *e, struct owned_event *oe);
/* The stats event: the counters given, the workers' budgets (per, n) and packets, their anomaly tables merged. */
void engine_stats_write(struct engine *e, const struct stats *stats, const struct memcap *const per[][WORKER_MEMCAPS],
                        const uint64_t *worker_pkts, unsigned n, const struct anomaly_ctx *anomalies, bool final,
                        uint64_t ts_us, uint64_t first_ts_us);

#endif
