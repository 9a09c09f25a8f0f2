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

#include "core/log.h"
#include "core/ofile.h"
#include "files/files.h"

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
    const struct memcap *memcaps[8] = {&e->flows.mc, &e->stream.mc, &e->dec.defrag_mc, &e->app.mc, &e->assets.mc};
    size_t nmc = 5;
    if (e->app.files)
        memcaps[nmc++] = &e->app.files->mc;
    if (e->detect)
        memcaps[nmc++] = detect_get_memcap(e->detect);
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

    if (cfg->eve_enabled) {
        char path[1024];
        if (strcmp(cfg->eve_filename, "-") == 0 || cfg->eve_filename[0] == '/')
            snprintf(path, sizeof(path), "%s", cfg->eve_filename);
        else
            snprintf(path, sizeof(path), "%s/%s", cfg->logdir, cfg->eve_filename);
        struct eve_cfg ec = {.log_phi = cfg->log_phi};
        if (eve_open(&e->eve, path, &e->stats, &ec, err, errlen) < 0)
            return -1;
        e->eve_open = true;
        event_bus_subscribe(&e->bus, EVENT_MASK_ALL, eve_on_event, &e->eve);
    }

    anomaly_ctx_init(&e->anomalies, cfg->anomaly_rate_limit, &e->stats, &e->bus);
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
    app_layer_init(&e->app, &cfg->app, &e->stats, &e->bus, cfg);
    e->app.anomaly = &e->anomalies;
    e->app.files = files_tracker_new(&cfg->files, &e->stats); /* SMB (later HTTP) file data: SHA-256, magic */
    /* Consumers of events that keep per-worker state (asset inventory, detectors) are set up here. */
    if (asset_inventory_init(&e->assets, &cfg->assets, &e->bus, &e->stats, err, errlen) < 0)
        return -1;
    if (cfg->detect.enabled && !(e->detect = detect_new(&cfg->detect, &e->bus, err, errlen)))
        return -1;
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
    stream_timeout(&e->stream, now_us); /* holes pending past stream.reassembly.gap-timeout in quiet flows */
    flow_table_timeout(&e->flows, now_us);
    if (e->live && e->eve_open && now_us >= e->next_flush_us) {
        fflush(e->eve.fp); /* a SIEM tailing eve.json sees events within a second */
        e->next_flush_us = now_us + 1000000;
    }
    if (e->cfg->stats_interval_s) {
        if (!e->next_stats_us)
            e->next_stats_us = now_us + (uint64_t)e->cfg->stats_interval_s * 1000000;
        else if (now_us >= e->next_stats_us) {
            engine_stats(e, false);
            e->next_stats_us = now_us + (uint64_t)e->cfg->stats_interval_s * 1000000;
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
        snprintf(apath, sizeof(apath), "%s/assets.json", e->cfg->logdir);
        if (asset_inventory_write(&e->assets, apath, aerr, sizeof(aerr)) < 0)
            log_error("%s", aerr);
    }
    engine_stats(e, true);
    if (e->eve_open && e->eve.fp)
        fflush(e->eve.fp);
}

void engine_free(struct engine *e)
{
    flow_table_free(&e->flows);
    stream_ctx_free(&e->stream);
    app_layer_free(&e->app);
    files_tracker_delete(e->app.files);
    e->app.files = NULL;
    asset_inventory_free(&e->assets);
    detect_free(e->detect);
    e->detect = NULL;
    decode_ctx_free(&e->dec);
    if (e->eve_open)
        eve_close(&e->eve);
    e->eve_open = false;
}
