/*
 * engine.h - one worker's pipeline: decode -> flow -> stream -> app layer ->
 * events -> outputs, with all of its state in one struct.  Nothing here is
 * global, so N workers (each owning its flows) can run side by side later.
 */
#ifndef MEDSENTRY_ENGINE_H
#define MEDSENTRY_ENGINE_H

#include <stdbool.h>

#include "app/app.h"
#include "assets/assets.h"
#include "correlate/dns_name_map.h"
#include "core/anomaly.h"
#include "core/config.h"
#include "core/event.h"
#include "core/stats.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "flow/stream.h"
#include "output/eve.h"
#include "output/redis.h"
#include "output/sqlite.h"

struct config; /* config_registry.h */

/* The sensor's own keys (log directory, eve.json, stats interval); the table is in engine.c. */
struct engine_cfg {
    char logdir[512];          /* default-log-dir */
    bool eve_enabled;          /* outputs.eve.enabled */
    char eve_filename[256];    /* outputs.eve.filename: relative to logdir */
    uint32_t stats_interval_s; /* outputs.stats.interval: 0 = one stats event at the end only */
};
extern const struct config_module engine_config_module;

struct engine {
    const struct config *cfg;
    struct stats stats;
    struct event_bus bus;
    struct anomaly_ctx anomalies; /* the one rate-limited way out for decode, stream and parser anomalies */
    struct decode_ctx dec;
    struct flow_table flows;
    struct stream_ctx stream;
    struct app_layer app;
    struct eve_writer eve;
    bool eve_open;
    struct store *store;           /* <logdir>/medsentry.db (src/output/sqlite.c); NULL when off or not openable */
    struct redis_out *redis;       /* outputs.redis (src/output/redis.c); NULL when off */
    struct asset_inventory assets; /* imaging asset inventory (src/assets/) */
    struct detect_ctx *detect;     /* detectors (src/detect/); NULL when detect.enabled is no */
    struct yara_scanner *yara;     /* file content scanning (files.yara-*); NULL when off */
    struct dns_name_map dns_names; /* IP -> name from DNS answers (src/correlate/) */
    const char *dump_dir;          /* --dump-streams: reassembled bytes per flow and direction */
    uint64_t first_ts_us, now_us;  /* packet time */
    uint64_t next_stats_us;
    uint64_t next_expire_us;
    uint64_t next_flush_us; /* live: EVE is flushed once a second */
    bool capture_truncated;
    /* live capture: set by the caller before the first packet; kernel counters filled before the final stats */
    bool live;
    uint64_t kernel_packets, kernel_drops, kernel_ifdrops;
};

/* 0 on success; -1 with one sentence in err. */
int engine_init(struct engine *e, const struct config *cfg, const char *dump_dir, char *err, size_t errlen);
void engine_packet(struct engine *e, const struct packet *pkt);
/* Packet time moves without packets (live capture, idle link). */
void engine_tick(struct engine *e, uint64_t now_us);
/* End of input: end every flow, write the final stats, flush outputs. */
void engine_finish(struct engine *e);
/* SIGHUP: reopen the output files by name (eve.json; the store and assets.json need not). */
void engine_reopen_outputs(struct engine *e);
void engine_free(struct engine *e);

#endif
