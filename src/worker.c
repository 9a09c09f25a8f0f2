/*
 * worker.c - the packet side of the pipeline (see worker.h).
 *
 * Per packet: count it, decode it (defragmenting as needed), find its flow,
 * then for TCP hand it to reassembly, whose in-order bytes go to the app
 * layer; for UDP the datagram goes to the app layer directly.  Flows end by
 * timeout (on ticks), eviction or at the end of input; each ending flow is
 * drained (stream, then parser) and published as a `flow` event.
 */
#include "worker.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/ofile.h"
#include "files/files.h"

/* ---- events out: clone, tag, emit ------------------------------------------------------------------------- */

static void unit_start(struct worker *w, uint64_t seq, enum unit_phase phase)
{
    w->key.seq = seq;
    w->key.phase = phase;
    w->key.order = 0;
    w->key.idx = 0;
}

static void worker_forward(void *user, const struct event *ev)
{
    struct worker *w = user;
    if (!w->emit)
        return; /* being freed */
    struct owned_event *oe = event_clone(ev);
    if (!oe) {
        w->stats.events_dropped++;
        return;
    }
    if (ev->type == EVENT_ANOMALY)
        oe->decode_kind = w->anomalies.publishing_decode_kind;
    oe->key = w->key;
    oe->key.idx = w->key.idx++;
    if (w->key.phase != PHASE_PACKET && ev->flow)
        oe->key.order = ev->flow->last_seq;
    if (w->holding) {
        if (w->n_hold == w->cap_hold) {
            size_t cap = w->cap_hold ? 2 * w->cap_hold : 64;
            struct owned_event **h = realloc(w->hold, cap * sizeof(*h));
            if (!h) {
                free(oe);
                w->stats.events_dropped++;
                return;
            }
            w->hold = h;
            w->cap_hold = cap;
        }
        w->hold[w->n_hold++] = oe;
        return;
    }
    w->emit(w->emit_user, oe);
}

static int held_cmp(const void *a, const void *b)
{
    const struct owned_event *x = *(const struct owned_event *const *)a, *y = *(const struct owned_event *const *)b;
    return event_key_cmp(&x->key, &y->key);
}

static void release_held(struct worker *w)
{
    w->holding = false;
    if (w->n_hold > 1)
        qsort(w->hold, w->n_hold, sizeof(*w->hold), held_cmp);
    for (size_t i = 0; i < w->n_hold; i++)
        w->emit(w->emit_user, w->hold[i]);
    w->n_hold = 0;
}

/* ---- the pipeline's callbacks -------------------------------------------------------------------------------- */

/* Decoder, stream and (through app_anomaly) parser anomalies all go to one limiter: core/anomaly.h. */
static void on_decode_event(void *user, const struct decoded *d, enum decode_event ev)
{
    struct worker *w = user;
    anomaly_decode(&w->anomalies, w->now_us, d, ev);
}

/* --dump-streams: append a direction's bytes to <dir>/<flow_id>-to_server.bin (test and debug aid). */
static void dump_stream(struct worker *w, const struct flow *f, int dir, const uint8_t *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%" PRIu64 "-%s.bin", w->dump_dir, f->flow_id, dir ? "to_client" : "to_server");
    char err[1200];
    FILE *fp = ofile_fappend(path, OFILE_MODE, err, sizeof(err)); /* never through a planted link */
    if (!fp) {
        log_warn("--dump-streams: %s", err);
        w->dump_dir = NULL;
        return;
    }
    fwrite(data, 1, len, fp);
    fclose(fp);
}

static void stream_on_data(void *user, struct flow *f, int dir, const uint8_t *data, size_t len)
{
    struct worker *w = user;
    if (w->dump_dir)
        dump_stream(w, f, dir, data, len);
    app_on_data(&w->app, f, dir, data, len);
}

static void stream_on_gap(void *user, struct flow *f, int dir, uint64_t len)
{
    struct worker *w = user;
    app_on_gap(&w->app, f, dir, len);
}

static void stream_on_anomaly(void *user, struct flow *f, int dir, const char *event)
{
    struct worker *w = user;
    anomaly_stream(&w->anomalies, w->now_us, f, dir, event);
}

static void on_flow_end(void *user, struct flow *f)
{
    struct worker *w = user;
    if (f->ipproto == 6)
        stream_flow_end(&w->stream, f);
    app_on_close(&w->app, f);
    /* As in Suricata, a flow event's timestamp is the flow's start; flow.end says when it was last seen. */
    struct event ev = {.type = EVENT_FLOW, .ts_us = f->first_ts_us, .flow = f, .dir = EVENT_DIR_NONE, .body = f};
    event_publish(&w->bus, &ev);
}

/* ---- set-up ---------------------------------------------------------------------------------------------------- */

static uint64_t share_of(uint64_t v, unsigned n)
{
    return n > 1 ? v / n : v;
}

int worker_init(struct worker *w, unsigned id, const struct config *cfg, unsigned share, const char *dump_dir,
                worker_emit_fn emit, void *emit_user, char *err, size_t errlen)
{
    memset(w, 0, sizeof(*w));
    w->id = id;
    w->cfg = *cfg;
    /* Each worker gets 1/N of every budget it owns, so the total stays what the configuration says. */
    w->cfg.flow.memcap = share_of(cfg->flow.memcap, share);
    w->cfg.flow.hash_size = (uint32_t)share_of(cfg->flow.hash_size, share);
    if (!w->cfg.flow.hash_size)
        w->cfg.flow.hash_size = 1;
    w->cfg.stream.memcap = share_of(cfg->stream.memcap, share);
    w->cfg.decode.defrag_memcap = share_of(cfg->decode.defrag_memcap, share);
    w->cfg.app.memcap = share_of(cfg->app.memcap, share);
    w->cfg.files.memcap = share_of(cfg->files.memcap, share);
    /* ... but with YARA scanning a worker must still hold the scan copy of a file at files.yara-max-size (charged
     * up to twice its size while it grows), or whether a file is scanned would depend on the number of workers:
     * the share is at least that much, within files.memcap (so each worker may then use more than 1/N). */
    if (cfg->files.yara_rules_dir[0]) {
        uint64_t floor =
            cfg->files.yara_max_size > cfg->files.memcap / 2 ? cfg->files.memcap : 2 * cfg->files.yara_max_size;
        if (w->cfg.files.memcap < floor)
            w->cfg.files.memcap = floor;
    }
    w->cfg.files.max_open = (uint32_t)share_of(cfg->files.max_open, share);
    if (!w->cfg.files.max_open && cfg->files.max_open)
        w->cfg.files.max_open = 1;
    w->dump_dir = dump_dir;
    w->emit = emit;
    w->emit_user = emit_user;
    event_bus_subscribe(&w->bus, EVENT_MASK_ALL, worker_forward, w);

    anomaly_ctx_init(&w->anomalies, cfg->anomaly.rate_limit, &w->stats, &w->bus);
    w->anomalies.local_only = true;
    if (decode_ctx_init(&w->dec, &w->cfg.decode, &w->stats) < 0) {
        snprintf(err, errlen, "cannot set up the decoder (defrag.memcap too small?)");
        return -1;
    }
    w->dec.on_event = on_decode_event;
    w->dec.user = w;
    if (flow_table_init(&w->flows, &w->cfg.flow, &w->stats, on_flow_end, w) < 0) {
        snprintf(err, errlen, "cannot set up the flow table: flow.memcap is smaller than the hash (flow.hash-size)%s",
                 share > 1 ? " (each worker thread gets 1/N of flow.memcap)" : "");
        return -1;
    }
    struct stream_sink sink = {
        .on_data = stream_on_data, .on_gap = stream_on_gap, .on_anomaly = stream_on_anomaly, .user = w};
    if (stream_ctx_init(&w->stream, &w->cfg.stream, &w->stats, &sink) < 0) {
        snprintf(err, errlen, "cannot set up TCP reassembly");
        return -1;
    }
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&w->cfg, parser_cfg);
    if (app_layer_init(&w->app, &w->cfg.app, &w->stats, &w->bus, parser_cfg) < 0) {
        snprintf(err, errlen, "app layer: out of memory");
        return -1;
    }
    w->app.phi.log_phi = w->cfg.privacy.log_phi;
    if (w->cfg.phi_key_loaded) {
        w->app.phi.key = w->cfg.phi_key;
        w->app.phi.key_len = sizeof(w->cfg.phi_key);
    }
    w->app.anomaly = &w->anomalies;
    w->app.files = files_tracker_new(&w->cfg.files, &w->stats); /* SMB and HTTP file data: SHA-256, magic */
    if (w->app.files) /* --extract-files: temporary names are <pid>-<seq>; each worker numbers in its own range */
        w->app.files->extract_seq = (uint64_t)id << 48;
    return 0;
}

/* ---- units ------------------------------------------------------------------------------------------------------ */

static void set_time(struct worker *w, uint64_t now_us)
{
    if (now_us > w->now_us)
        w->now_us = now_us;
    w->app.now_us = w->now_us; /* events of what a unit frees (timed-out holes, ended flows) carry this time */
}

void worker_tick(struct worker *w, uint64_t seq, uint64_t now_us)
{
    set_time(w, now_us);
    unit_start(w, seq, PHASE_TICK_STREAM);
    decode_expire(&w->dec, w->now_us); /* defragmentation timeouts publish nothing */
    w->holding = true;
    stream_timeout(&w->stream, w->now_us); /* holes pending past stream.reassembly.gap-timeout in quiet flows */
    release_held(w);
    unit_start(w, seq, PHASE_TICK_FLOW);
    flow_table_timeout(&w->flows, w->now_us); /* from the cold end of the LRU list: ascending last_seq */
}

void worker_packet(struct worker *w, uint64_t seq, uint64_t now_us, const struct packet *pkt)
{
    struct stats *s = &w->stats;
    s->pkts++;
    s->bytes += pkt->wirelen;
    if (pkt->caplen < pkt->wirelen)
        s->truncated_pkts++;
    set_time(w, now_us);
    unit_start(w, seq, PHASE_PACKET);

    struct decoded d;
    if (decode_packet(&w->dec, pkt, &d) != DECODE_OK)
        return;
    int dir;
    struct flow *f = flow_packet(&w->flows, &d, &dir);
    if (!f)
        return;
    f->last_seq = seq;
    if (d.ipproto == 6)
        stream_packet(&w->stream, f, dir, &d, w->now_us);
    else if (d.ipproto == 17 && d.payload_len)
        app_on_data(&w->app, f, dir, d.payload, d.payload_len);
}

void worker_finish(struct worker *w, uint64_t seq, uint64_t now_us)
{
    set_time(w, now_us);
    unit_start(w, seq, PHASE_END_FLOW);
    flow_table_flush(&w->flows, FLOW_END_SHUTDOWN); /* from the LRU tail: ascending last_seq */
}

void worker_free(struct worker *w)
{
    w->emit = NULL;
    flow_table_free(&w->flows);
    stream_ctx_free(&w->stream);
    app_layer_free(&w->app);
    files_tracker_delete(w->app.files);
    w->app.files = NULL;
    decode_ctx_free(&w->dec);
    for (size_t i = 0; i < w->n_hold; i++)
        free(w->hold[i]);
    free(w->hold);
    w->hold = NULL;
    w->n_hold = w->cap_hold = 0;
}

void worker_memcaps(const struct worker *w, const struct memcap *out[WORKER_MEMCAPS])
{
    out[0] = &w->flows.mc;
    out[1] = &w->stream.mc;
    out[2] = &w->dec.defrag_mc;
    out[3] = &w->app.mc;
    out[4] = w->app.files ? &w->app.files->mc : NULL;
}
