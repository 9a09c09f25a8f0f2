/*
 * engine.c - a run: units for the workers, the correlator's side (see engine.h).
 *
 * Units.  The reader numbers what happens: every packet, and a tick each time
 * packet time (the running maximum of packet timestamps) has moved a second
 * past the last tick (or the clock, live and idle).  A tick comes before the
 * packet that caused it and goes to every worker: it is where defragmentation
 * and flows time out and quiet flows' holes are given up.  The schedule (first
 * packet, then each packet at least 1 s after the last tick) is the one the
 * flow table and the defragmenter kept by themselves, so timeouts happen where
 * they always did.
 *
 * Correlator.  Events arrive owned (pipeline/owned_event.h) in the merged
 * order; anomalies pass the global gates (per-second budget, decode kinds
 * once per second) and every event is published on the correlator's bus.  Its
 * subscribers are the store (first, so the final stats it keeps are eve.json's),
 * EVE, the inventory, the DNS name map and the detectors; the inventory and the
 * detectors publish `asset` and `alert` events on the same bus, synchronously.
 * The stats event adds up the counters and budgets of every worker and the
 * correlator.
 */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_registry.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/ofile.h"
#include "files/files.h"
#include "files/yara_scan.h"
#include "pipeline/threads.h"

static const struct config_key engine_keys[] = {
    CONFIG_KEY_STR(struct engine_cfg, logdir, "default-log-dir", ".",
                   "Where eve.json and the other outputs go; -l on the command line wins."),
    CONFIG_KEY_BOOL(struct engine_cfg, eve_enabled, "outputs.eve.enabled", "yes", NULL),
    CONFIG_KEY_STR(struct engine_cfg, eve_filename, "outputs.eve.filename", "eve.json",
                   "relative to default-log-dir; \"-\" writes to standard output"),
    CONFIG_KEY_U32(struct engine_cfg, stats_interval_s, "outputs.stats.interval", 0, CONFIG_DAY, "0",
                   "seconds of packet time between stats events; 0 = one stats event at the end"),
};

const struct config_module engine_config_module = {
    .name = "engine",
    .keys = engine_keys,
    .n = sizeof(engine_keys) / sizeof(engine_keys[0]),
    .struct_size = sizeof(struct engine_cfg),
};

_Static_assert(ENGINE_MAX_WORKERS == 64, "threading.workers: the key's maximum is the engine's limit");

static const struct config_key threading_keys[] = {
    CONFIG_KEY_U32(struct threading_cfg, workers, "threading.workers", 0, 64, "0",
                   "Worker threads: a reader thread hands each packet to the worker that owns its address pair, each "
                   "worker owns\nits flows (decode, flow table, reassembly, parsers, file tracking) and one correlator "
                   "thread runs the\ninventory, the detectors and the outputs on their events in one order, so "
                   "eve.json is the same for every\nnumber of workers. 0 = one per online CPU; --threads N on the "
                   "command line wins. Every worker gets 1/N of\nflow.memcap (and flow.hash-size), stream.memcap, "
                   "defrag.memcap, app-layer.memcap, files.memcap and\nfiles.max-open (files.memcap: at least twice "
                   "files.yara-max-size while YARA scanning is on, so that\nwhether a file is scanned does not "
                   "depend on N); assets, detect, dns, sqlite and redis budgets belong to the\ncorrelator and stay "
                   "whole."),
};

const struct config_module threading_config_module = {
    .name = "threading",
    .keys = threading_keys,
    .n = sizeof(threading_keys) / sizeof(threading_keys[0]),
    .struct_size = sizeof(struct threading_cfg),
};

#ifndef MEDSENTRY_VERSION
#define MEDSENTRY_VERSION "0.0.0"
#endif

/* ---- the correlator ---------------------------------------------------------------------------------------------- */

/* Budgets by name, added up over the workers: cap, use, peak (the sum of the workers' peaks) and refusals. */
struct merged_memcaps {
    struct memcap mc[WORKER_MEMCAPS];
    bool present[WORKER_MEMCAPS];
};

static void merge_memcaps(struct merged_memcaps *m, const struct memcap *const per[][WORKER_MEMCAPS], unsigned n)
{
    memset(m, 0, sizeof(*m));
    for (unsigned w = 0; w < n; w++)
        for (int i = 0; i < WORKER_MEMCAPS; i++) {
            const struct memcap *s = per[w][i];
            if (!s)
                continue;
            m->present[i] = true;
            m->mc[i].name = s->name;
            m->mc[i].cap += s->cap;
            m->mc[i].used += s->used;
            m->mc[i].peak += s->peak;
            m->mc[i].hits += s->hits;
        }
}

/*
 * The stats event.  stats: the counters to write (the correlator's plus the workers'); per/n: the workers' budgets;
 * anomalies: their per-kind tables, merged.
 */
void engine_stats_write(struct engine *e, const struct stats *stats, const struct memcap *const per[][WORKER_MEMCAPS],
                        const uint64_t *worker_pkts, unsigned n, const struct anomaly_ctx *anomalies, bool final,
                        uint64_t ts_us, uint64_t first_ts_us)
{
    struct merged_memcaps m;
    merge_memcaps(&m, per, n);
    struct stats with_redis; /* stats.redis: the Redis output's sender thread counts them (output/redis.h) */
    if (e->redis) {
        with_redis = *stats;
        redis_stats_read(e->redis, &with_redis);
        stats = &with_redis;
    }
    /* NULL-terminated: room for every budget below plus the terminator (the static assertion keeps it so) */
    const struct memcap *memcaps[16];
    _Static_assert(WORKER_MEMCAPS + 6 < sizeof(memcaps) / sizeof(memcaps[0]),
                   "memcaps: one slot per budget and a NULL");
    size_t nmc = 0;
    for (int i = 0; i < 4; i++) /* flow, stream, defrag, app: in the order the stats event always had them */
        if (m.present[i])
            memcaps[nmc++] = &m.mc[i];
    memcaps[nmc++] = &e->assets.mc;
    memcaps[nmc++] = &e->dns_names.mc;
    if (m.present[4])
        memcaps[nmc++] = &m.mc[4]; /* files */
    if (e->detect)
        memcaps[nmc++] = detect_get_memcap(e->detect);
    if (e->store)
        memcaps[nmc++] = store_memcap(e->store);
    if (e->redis)
        memcaps[nmc++] = redis_memcap(e->redis);
    memcaps[nmc] = NULL;
    struct stats_event se = {
        .stats = stats,
        .memcaps = memcaps,
        .anomalies = anomalies,
        .uptime_us = first_ts_us && ts_us > first_ts_us ? ts_us - first_ts_us : 0,
        .final = final,
        /* set by the reader at the end: only the final stats may read them (periodic ones run on the correlator) */
        .capture_truncated = final && e->capture_truncated,
        .live = e->live,
        .kernel_packets = final ? e->kernel_packets : 0,
        .kernel_drops = final ? e->kernel_drops : 0,
        .kernel_ifdrops = final ? e->kernel_ifdrops : 0,
        .kernel_freezes = final ? e->kernel_freezes : 0,
        .capture_method = e->capture_method,
        .n_sockets = final ? e->n_sockets : 0,
        .sock_packets = e->sock_packets,
        .sock_drops = e->sock_drops,
        .sock_freezes = e->sock_freezes,
        .n_workers = e->n_workers,
        .worker_pkts = e->n_workers ? worker_pkts : NULL,
        .detect = detect_get_stats(e->detect),
    };
    struct event ev = {.type = EVENT_STATS, .ts_us = ts_us, .dir = EVENT_DIR_NONE, .body = &se};
    event_publish(&e->bus, &ev);
}

/* Stats from workers the correlator may read (inline, or after the threads are joined). */
static void engine_stats_direct(struct engine *e, bool final)
{
    unsigned n = e->n_workers ? e->n_workers : 1;
    static struct anomaly_ctx merged; /* ~15 KB: not on the stack; the correlator is one thread */
    const struct memcap *per[ENGINE_MAX_WORKERS][WORKER_MEMCAPS];
    uint64_t pkts[ENGINE_MAX_WORKERS];
    struct stats total = e->stats;
    anomaly_ctx_init(&merged, 0, NULL, NULL);
    for (unsigned i = 0; i < n; i++) {
        if (!final)
            stats_merge(&total, &e->workers[i].stats);
        worker_memcaps(&e->workers[i], per[i]);
        pkts[i] = e->workers[i].stats.pkts;
        anomaly_ctx_merge_tables(&merged, &e->workers[i].anomalies);
    }
    engine_stats_write(e, final ? &e->stats : &total, (const struct memcap *const(*)[WORKER_MEMCAPS])per, pkts, n,
                       &merged, final, e->now_us, e->first_ts_us);
}

/* The correlator's tick: the store's batch timer, live flushing, periodic stats. */
static void correlator_tick(struct engine *e, const struct owned_event *oe)
{
    uint64_t now_us = oe->ev.ts_us;
    if (now_us > e->corr_now_us)
        e->corr_now_us = now_us;
    store_tick(e->store, now_us);
    if (e->live && e->eve_open && now_us >= e->next_flush_us) {
        fflush(e->eve.fp); /* a SIEM tailing eve.json sees events within a second */
        e->next_flush_us = now_us + 1000000;
    }
    if (e->cfg->engine.stats_interval_s) {
        if (!e->next_stats_us)
            e->next_stats_us = now_us + (uint64_t)e->cfg->engine.stats_interval_s * 1000000;
        else if (now_us >= e->next_stats_us) {
            if (e->mt)
                engine_mt_stats(e, now_us, oe->aux); /* from the workers' snapshots sent with this tick */
            else
                engine_stats_direct(e, false);
            e->next_stats_us = now_us + (uint64_t)e->cfg->engine.stats_interval_s * 1000000;
        }
    }
}

void engine_deliver(struct engine *e, struct owned_event *oe)
{
    if (oe->kind == OWNED_WSTATS) {
        engine_mt_keep_snapshot(e, oe); /* takes it */
        return;
    }
    if (oe->kind == OWNED_TICK)
        correlator_tick(e, oe);
    else if (oe->kind == OWNED_EVENT &&
             (oe->ev.type != EVENT_ANOMALY || anomaly_global_gate(&e->anomaly, oe->ev.ts_us, oe->decode_kind)))
        event_publish(&e->bus, &oe->ev);
    free(oe);
}

/* ---- inline: a queue the correlator drains after each unit ---------------------------------------------------------
 */

static void inline_emit(void *user, struct owned_event *oe)
{
    struct engine *e = user;
    oe->next = NULL;
    if (e->q_tail)
        e->q_tail->next = oe;
    else
        e->q_head = oe;
    e->q_tail = oe;
}

static void inline_drain(struct engine *e)
{
    while (e->q_head) {
        struct owned_event *oe = e->q_head;
        e->q_head = oe->next;
        if (!e->q_head)
            e->q_tail = NULL;
        engine_deliver(e, oe);
    }
}

/* ---- set-up -------------------------------------------------------------------------------------------------------
 */

int engine_init(struct engine *e, const struct config *cfg, const char *dump_dir, char *err, size_t errlen)
{
    memset(e, 0, sizeof(*e));
    e->cfg = cfg;
    e->dump_dir = dump_dir;

    if (cfg->store.enabled) {
        /* The store is an extra: one that cannot be opened is said once and the run goes on with eve.json.  It
         * subscribes before EVE so that the final stats it keeps are the ones eve.json gets. */
        char path[1024], serr[1200];
        if (cfg->store.filename[0] == '/')
            snprintf(path, sizeof(path), "%s", cfg->store.filename);
        else
            snprintf(path, sizeof(path), "%s/%s", cfg->engine.logdir, cfg->store.filename);
        struct store_run_info run = {.version = MEDSENTRY_VERSION};
        e->store = store_open(&cfg->store, path, &run, &e->stats, serr, sizeof(serr));
        if (!e->store) {
            log_error("%s (no SQLite store for this run)", serr);
            e->stats.sqlite_errors++;
        } else {
            event_bus_subscribe(&e->bus, STORE_EVENT_MASK, store_on_event, e->store);
        }
    }
    if (cfg->engine.eve_enabled) {
        char path[1024];
        if (strcmp(cfg->engine.eve_filename, "-") == 0 || cfg->engine.eve_filename[0] == '/')
            snprintf(path, sizeof(path), "%s", cfg->engine.eve_filename);
        else
            snprintf(path, sizeof(path), "%s/%s", cfg->engine.logdir, cfg->engine.eve_filename);
        struct eve_cfg ec = {.log_phi = cfg->privacy.log_phi};
        if (eve_open(&e->eve, path, &e->stats, &ec, err, errlen) < 0)
            return -1;
        e->eve_open = true;
        event_bus_subscribe(&e->bus, EVENT_MASK_ALL, eve_on_event, &e->eve);
    }
    if (cfg->redis.enabled) {
        /* After EVE, whose line it sends (formatted once; the same bytes in eve.json and in Redis).  A server that
         * is away is no error: it is retried, and what cannot be sent is counted (stats.redis). */
        struct eve_cfg ec = {.log_phi = cfg->privacy.log_phi};
        if (!(e->redis = redis_open(&cfg->redis, &ec, &e->stats, err, errlen)))
            return -1;
        redis_share_eve(e->redis, e->eve_open ? &e->eve : NULL);
        event_bus_subscribe(&e->bus, EVENT_MASK_ALL, redis_on_event, e->redis);
    }
    anomaly_global_init(&e->anomaly, cfg->anomaly.rate_limit, &e->stats);

    /* YARA rules (files.yara-rules-dir): compiled once here and shared, read-only, by every worker's file tracker,
     * which scans a file when it closes (libyara scans one YR_RULES from several threads at once: each
     * yr_rules_scan_mem has its own scanner) */
    char ydir[600];
    bool y_auto;
    if (yara_rules_dir(cfg->files.yara_rules_dir, ydir, sizeof(ydir), &y_auto)) {
        if (!(e->yara = yara_scanner_new(ydir, cfg->files.yara_timeout, err, errlen)))
            return -1;
        e->stats.files_yara_rules = yara_scanner_rules(e->yara); /* the correlator's: the workers' stay 0 */
    }

    /* The packet side: one worker per thread, or one inline. */
    e->n_workers = cfg->threading.workers;
    if (e->n_workers > ENGINE_MAX_WORKERS)
        e->n_workers = ENGINE_MAX_WORKERS;
    unsigned n = e->n_workers ? e->n_workers : 1;
    e->workers = calloc(n, sizeof(*e->workers));
    if (!e->workers) {
        snprintf(err, errlen, "out of memory for %u workers", n);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        worker_emit_fn emit = e->n_workers ? engine_mt_emit : inline_emit;
        void *user = e->n_workers ? NULL : e; /* threaded: engine_mt_init gives each worker its queue */
        if (worker_init(&e->workers[i], i, cfg, n, dump_dir, emit, user, err, errlen) < 0)
            return -1;
        if (e->yara && e->workers[i].app.files)
            files_set_scanner(e->workers[i].app.files, e->yara);
    }

    /* Consumers of events that keep cross-flow state (asset inventory, DNS name map, detectors): the correlator. */
    if (asset_inventory_init(&e->assets, &cfg->assets, &e->bus, &e->stats, err, errlen) < 0)
        return -1;
    if (dns_name_map_init(&e->dns_names, &cfg->dns_name_map, &e->bus, &e->stats, err, errlen) < 0)
        return -1;
    if (cfg->detect.enabled && !(e->detect = detect_new(&cfg->detect, &e->bus, err, errlen)))
        return -1;
    detect_set_name_map(e->detect, &e->dns_names); /* §7.4: which destinations no lookup named */
    if (e->n_workers && engine_mt_init(e, err, errlen) < 0)
        return -1;
    return 0;
}

/* ---- units ----------------------------------------------------------------------------------------------------------
 */

static void engine_tick_unit(struct engine *e)
{
    uint64_t seq = ++e->seq;
    e->next_tick_us = e->now_us + 1000000;
    if (e->mt) {
        engine_mt_tick(e, seq, e->now_us);
        return;
    }
    worker_tick(&e->workers[0], seq, e->now_us);
    struct owned_event *t = owned_tick_new(e->now_us);
    if (t) {
        t->key = (struct event_key){.seq = seq, .phase = PHASE_TICK_CORR};
        inline_emit(e, t);
    }
    inline_drain(e);
}

void engine_tick(struct engine *e, uint64_t now_us)
{
    if (e->finished)
        return;
    if (now_us > e->now_us)
        e->now_us = now_us;
    if (e->now_us >= e->next_tick_us)
        engine_tick_unit(e);
    else if (e->mt)
        engine_mt_idle(e); /* hand over what the batches hold: a quiet link does not hold events back */
}

void engine_packet(struct engine *e, const struct packet *pkt)
{
    if (e->finished)
        return;
    if (!e->first_ts_us)
        e->first_ts_us = pkt->ts_us;
    if (pkt->ts_us > e->now_us)
        e->now_us = pkt->ts_us;
    if (e->now_us >= e->next_tick_us)
        engine_tick_unit(e);
    uint64_t seq = ++e->seq;
    e->pkts_read++;
    e->bytes_read += pkt->wirelen;
    if (e->mt) {
        engine_mt_packet(e, seq, pkt);
        return;
    }
    worker_packet(&e->workers[0], seq, e->now_us, pkt);
    inline_drain(e);
}

void engine_finish(struct engine *e)
{
    if (e->finished)
        return;
    e->finished = true;
    uint64_t seq = ++e->seq;
    if (e->mt) {
        engine_mt_finish(e, seq); /* every worker ends its flows, the correlator writes all; threads joined */
    } else {
        worker_finish(&e->workers[0], seq, e->now_us);
        inline_drain(e);
    }
    unsigned n = e->n_workers ? e->n_workers : 1;
    for (unsigned i = 0; i < n; i++)
        stats_merge(&e->stats, &e->workers[i].stats);
    {
        char apath[1100], aerr[1200];
        snprintf(apath, sizeof(apath), "%s/assets.json", e->cfg->engine.logdir);
        if (asset_inventory_write(&e->assets, apath, aerr, sizeof(aerr)) < 0)
            log_error("%s", aerr);
    }
    /* Every host as assets.json has it (last_seen moves without an asset event), then everything queued, before
     * the final stats so that stats.sqlite counts every row. */
    for (const struct asset *a = e->assets.first; e->store && a; a = a->next)
        store_asset_final(e->store, a);
    store_flush(e->store);
    redis_flush(e->redis); /* so that stats.redis counts every event but the final stats themselves */
    redis_stats_read(e->redis, &e->stats);
    engine_stats_direct(e, true);
    if (e->eve_open && e->eve.fp)
        fflush(e->eve.fp);
}

void engine_start_outputs(struct engine *e)
{
    redis_start(e->redis);
}

void engine_reopen_outputs(struct engine *e)
{
    if (!e->eve_open)
        return;
    /* Threaded: the correlator writes eve.json; every event of the packets read so far goes to the old file, then
     * the reader reopens it while the correlator waits for the next unit. */
    engine_mt_sync(e);
    engine_reopen_eve(e);
}

void engine_reopen_eve(struct engine *e)
{
    char err[1200];
    if (!e->eve_open)
        return;
    if (eve_reopen(&e->eve, err, sizeof(err)) < 0)
        log_error("%s", err);
    else
        log_debug("reopened %s", e->eve.path);
}

void engine_free(struct engine *e)
{
    engine_mt_free(e); /* threads stopped and joined if they still run (an error path) */
    unsigned n = e->n_workers ? e->n_workers : 1;
    for (unsigned i = 0; e->workers && i < n; i++)
        worker_free(&e->workers[i]);
    free(e->workers);
    e->workers = NULL;
    while (e->q_head) {
        struct owned_event *oe = e->q_head;
        e->q_head = oe->next;
        free(oe);
    }
    e->q_tail = NULL;
    yara_scanner_free(e->yara); /* after the workers' file trackers, which scan with it */
    e->yara = NULL;
    asset_inventory_free(&e->assets);
    detect_free(e->detect);
    e->detect = NULL;
    dns_name_map_free(&e->dns_names);
    store_close(e->store);
    e->store = NULL;
    redis_close(e->redis); /* the final stats event, and anything the server did not take yet */
    e->redis = NULL;
    if (e->eve_open)
        eve_close(&e->eve);
    e->eve_open = false;
}
