/*
 * engine.c - the pipeline of one worker (see engine.h).
 *
 * Per packet: count it, decode it (defragmenting as needed), find its flow,
 * then for TCP hand it to reassembly, whose in-order bytes go to the app
 * layer; for UDP the datagram goes to the app layer directly.  Flows end by
 * timeout, eviction or at the end of input; each ending flow is drained
 * (stream, then parser) and written as a `flow` event.  Timeouts and stats
 * intervals run on packet time.
 */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config_registry.h"
#include "core/log.h"
#include "core/ofile.h"
#include "files/files.h"
#include "files/yara_scan.h"

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

#ifndef MEDSENTRY_VERSION
#define MEDSENTRY_VERSION "0.0.0"
#endif

static void engine_emit(struct engine *e, enum event_type type, const struct flow *f, const struct decoded *d,
                        enum event_dir dir, const void *body)
{
    struct event ev = {.type = type, .ts_us = e->now_us, .flow = f, .pkt = d, .dir = dir, .body = body};
    event_publish(&e->bus, &ev);
}

/* Decoder, stream and (through app_anomaly) parser anomalies all go to one limiter: core/anomaly.h. */
static void on_decode_event(void *user, const struct decoded *d, enum decode_event ev)
{
    struct engine *e = user;
    anomaly_decode(&e->anomalies, e->now_us, d, ev);
}

/* --dump-streams: append a direction's bytes to <dir>/<flow_id>-to_server.bin (test and debug aid). */
static void dump_stream(struct engine *e, const struct flow *f, int dir, const uint8_t *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%" PRIu64 "-%s.bin", e->dump_dir, f->flow_id, dir ? "to_client" : "to_server");
    char err[1200];
    FILE *fp = ofile_fappend(path, OFILE_MODE, err, sizeof(err));
    if (!fp) {
        log_warn("--dump-streams: %s", err);
        e->dump_dir = NULL;
        return;
    }
    fwrite(data, 1, len, fp);
    fclose(fp);
}

static void stream_on_data(void *user, struct flow *f, int dir, const uint8_t *data, size_t len)
{
    struct engine *e = user;
    if (e->dump_dir)
        dump_stream(e, f, dir, data, len);
    app_on_data(&e->app, f, dir, data, len);
}

static void stream_on_gap(void *user, struct flow *f, int dir, uint64_t len)
{
    struct engine *e = user;
    app_on_gap(&e->app, f, dir, len);
}

static void stream_on_anomaly(void *user, struct flow *f, int dir, const char *event)
{
    struct engine *e = user;
    anomaly_stream(&e->anomalies, e->now_us, f, dir, event);
}

static void on_flow_end(void *user, struct flow *f)
{
    struct engine *e = user;
    if (f->ipproto == 6)
        stream_flow_end(&e->stream, f);
    app_on_close(&e->app, f);
    /* As in Suricata, a flow event's timestamp is the flow's start; flow.end says when it was last seen. */
    struct event ev = {.type = EVENT_FLOW, .ts_us = f->first_ts_us, .flow = f, .dir = EVENT_DIR_NONE, .body = f};
    event_publish(&e->bus, &ev);
}

static void engine_stats(struct engine *e, bool final)
{
    /* NULL-terminated: room for every budget below plus the terminator (the static assertion keeps it so) */
    const struct memcap *memcaps[16] = {&e->flows.mc, &e->stream.mc, &e->dec.defrag_mc,
                                        &e->app.mc,   &e->assets.mc, &e->dns_names.mc};
    size_t nmc = 6;
    _Static_assert(6 + 4 < sizeof(memcaps) / sizeof(memcaps[0]), "memcaps: one slot per budget and a NULL");
    if (e->app.files)
        memcaps[nmc++] = &e->app.files->mc;
    if (e->detect)
        memcaps[nmc++] = detect_get_memcap(e->detect);
    if (e->store)
        memcaps[nmc++] = store_memcap(e->store);
    if (e->redis)
        memcaps[nmc++] = redis_memcap(e->redis);
    struct stats_event se = {
        .stats = &e->stats,
        .memcaps = memcaps,
        .anomalies = &e->anomalies,
        .uptime_us = e->now_us - e->first_ts_us,
        .final = final,
        .capture_truncated = e->capture_truncated,
        .live = e->live,
        .kernel_packets = e->kernel_packets,
        .kernel_drops = e->kernel_drops,
        .kernel_ifdrops = e->kernel_ifdrops,
        .detect = detect_get_stats(e->detect),
    };
    engine_emit(e, EVENT_STATS, NULL, NULL, EVENT_DIR_NONE, &se);
}

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
    anomaly_ctx_init(&e->anomalies, cfg->anomaly.rate_limit, &e->stats, &e->bus);
    if (decode_ctx_init(&e->dec, &cfg->decode, &e->stats) < 0) {
        snprintf(err, errlen, "cannot set up the decoder (defrag.memcap too small?)");
        return -1;
    }
    e->dec.on_event = on_decode_event;
    e->dec.user = e;

    if (flow_table_init(&e->flows, &cfg->flow, &e->stats, on_flow_end, e) < 0) {
        snprintf(err, errlen, "cannot set up the flow table: flow.memcap is smaller than the hash (flow.hash-size)");
        return -1;
    }
    struct stream_sink sink = {
        .on_data = stream_on_data, .on_gap = stream_on_gap, .on_anomaly = stream_on_anomaly, .user = e};
    if (stream_ctx_init(&e->stream, &cfg->stream, &e->stats, &sink) < 0) {
        snprintf(err, errlen, "cannot set up TCP reassembly");
        return -1;
    }
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(cfg, parser_cfg);
    if (app_layer_init(&e->app, &cfg->app, &e->stats, &e->bus, parser_cfg) < 0) {
        snprintf(err, errlen, "app layer: out of memory");
        return -1;
    }
    e->app.phi.log_phi = cfg->privacy.log_phi;
    if (cfg->phi_key_loaded) {
        e->app.phi.key = cfg->phi_key;
        e->app.phi.key_len = sizeof(cfg->phi_key);
    }
    e->app.anomaly = &e->anomalies;
    e->app.files = files_tracker_new(&cfg->files, &e->stats); /* SMB (later HTTP) file data: SHA-256, magic */
    /* Consumers of events that keep per-worker state (asset inventory, detectors) are set up here. */
    if (asset_inventory_init(&e->assets, &cfg->assets, &e->bus, &e->stats, err, errlen) < 0)
        return -1;
    if (dns_name_map_init(&e->dns_names, &cfg->dns_name_map, &e->bus, &e->stats, err, errlen) < 0)
        return -1;
    if (cfg->detect.enabled && !(e->detect = detect_new(&cfg->detect, &e->bus, err, errlen)))
        return -1;
    /* YARA rules (files.yara-rules-dir): compiled once here, used when a file closes */
    char ydir[600];
    bool y_auto;
    if (yara_rules_dir(cfg->files.yara_rules_dir, ydir, sizeof(ydir), &y_auto)) {
        if (!(e->yara = yara_scanner_new(ydir, cfg->files.yara_timeout, err, errlen)))
            return -1;
        if (e->app.files)
            files_set_scanner(e->app.files, e->yara);
        e->stats.files_yara_rules = yara_scanner_rules(e->yara);
    }
    detect_set_name_map(e->detect, &e->dns_names); /* §7.4: which destinations no lookup named */
    return 0;
}

void engine_tick(struct engine *e, uint64_t now_us)
{
    if (now_us > e->now_us)
        e->now_us = now_us;
    now_us = e->now_us;
    e->app.now_us = now_us; /* events of what the tick frees (timed-out holes, ended flows) carry this time */
    if (now_us >= e->next_expire_us) {
        decode_expire(&e->dec, now_us);
        e->next_expire_us = now_us + 1000000;
    }
    store_tick(e->store, now_us);
    redis_tick(e->redis);
    stream_timeout(&e->stream, now_us); /* holes pending past stream.reassembly.gap-timeout in quiet flows */
    flow_table_timeout(&e->flows, now_us);
    if (e->live && e->eve_open && now_us >= e->next_flush_us) {
        fflush(e->eve.fp); /* a SIEM tailing eve.json sees events within a second */
        e->next_flush_us = now_us + 1000000;
    }
    if (e->cfg->engine.stats_interval_s) {
        if (!e->next_stats_us)
            e->next_stats_us = now_us + (uint64_t)e->cfg->engine.stats_interval_s * 1000000;
        else if (now_us >= e->next_stats_us) {
            engine_stats(e, false);
            e->next_stats_us = now_us + (uint64_t)e->cfg->engine.stats_interval_s * 1000000;
        }
    }
}

void engine_packet(struct engine *e, const struct packet *pkt)
{
    struct stats *s = &e->stats;
    s->pkts++;
    s->bytes += pkt->wirelen;
    if (pkt->caplen < pkt->wirelen)
        s->truncated_pkts++;
    if (!e->first_ts_us)
        e->first_ts_us = pkt->ts_us;
    engine_tick(e, pkt->ts_us);

    struct decoded d;
    if (decode_packet(&e->dec, pkt, &d) != DECODE_OK)
        return;
    int dir;
    struct flow *f = flow_packet(&e->flows, &d, &dir);
    if (!f)
        return;
    if (d.ipproto == 6)
        stream_packet(&e->stream, f, dir, &d, e->now_us);
    else if (d.ipproto == 17 && d.payload_len)
        app_on_data(&e->app, f, dir, d.payload, d.payload_len);
}

void engine_finish(struct engine *e)
{
    flow_table_flush(&e->flows, FLOW_END_SHUTDOWN);
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
    engine_stats(e, true);
    if (e->eve_open && e->eve.fp)
        fflush(e->eve.fp);
}

void engine_reopen_outputs(struct engine *e)
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
    flow_table_free(&e->flows);
    stream_ctx_free(&e->stream);
    app_layer_free(&e->app);
    files_tracker_delete(e->app.files);
    e->app.files = NULL;
    yara_scanner_free(e->yara);
    e->yara = NULL;
    asset_inventory_free(&e->assets);
    detect_free(e->detect);
    e->detect = NULL;
    dns_name_map_free(&e->dns_names);
    decode_ctx_free(&e->dec);
    store_close(e->store);
    e->store = NULL;
    redis_close(e->redis); /* the final stats event, and anything the server did not take yet */
    e->redis = NULL;
    if (e->eve_open)
        eve_close(&e->eve);
    e->eve_open = false;
}
