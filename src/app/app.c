/*
 * app.c - application-layer framework: detection by probing, dispatch of
 * in-order bytes, gaps and close to the flow's parser, events out.
 *
 * Detection (TCP): a direction's first chunk is probed where it lies; while
 * some parser still answers PROBE_MAYBE, the direction's bytes are buffered,
 * up to app-layer.probe-depth, and probed again as they grow.  Every parser
 * that has not yet said PROBE_NO for that direction looks, those whose port
 * hints match the server port first.  The first PROBE_YES wins: its state is
 * created and the buffered bytes are replayed to it, the direction that spoke
 * first first.  The flow is "failed" once the to-server direction is decided
 * against every parser (all said no, or the buffer filled without a yes) and
 * the to-client direction is either decided too or silent.  UDP datagrams are
 * probed one at a time, without buffering; when all parsers refuse one, the
 * port-hinted parsers look at the next ones, up to APP_UDP_REPROBE datagrams,
 * before the flow is "failed".  A gap before detection ends it.
 */
#include "app/app.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"

static const char *const app_proto_names[APP__COUNT] = {
    [APP_UNKNOWN] = NULL, [APP_FAILED] = "failed", [APP_DICOM] = "dicom", [APP_SMB] = "smb", [APP_DCERPC] = "dcerpc",
    [APP_HTTP] = "http",  [APP_DNS] = "dns",       [APP_TLS] = "tls",     [APP_HL7] = "hl7",
};

const char *app_proto_name(enum app_proto p)
{
    return (unsigned)p < APP__COUNT ? app_proto_names[p] : NULL;
}

static const struct config_key app_keys[] = {
    CONFIG_KEY_U32(struct app_cfg, probe_depth, "app-layer.probe-depth", 16, 65536, "4096",
                   "bytes per direction buffered while recognising the protocol"),
    CONFIG_KEY_SIZE(struct app_cfg, memcap, "app-layer.memcap", 64 * CONFIG_KB, 64 * CONFIG_GB, "256mb",
                    "memory for protocol detection buffers and parser state, all flows"),
    CONFIG_KEY_SECTION("app-layer.protocols",
                       "each parser can be switched off (its flows then show app_proto \"failed\"); `ports` are "
                       "hints:\nflows to those server ports try that parser first, every port is still probed "
                       "(\"\" = no hints)"),
};

const struct config_module app_config_module = {
    .name = "app-layer",
    .keys = app_keys,
    .n = sizeof(app_keys) / sizeof(app_keys[0]),
    .struct_size = sizeof(struct app_cfg),
};

/* Parser p's protocol has a configuration: the one given, or its module's defaults. */
static int parser_cfg_ensure(struct app_layer *al, const struct app_parser *p)
{
    if ((unsigned)p->proto >= APP__COUNT || al->parser_cfg[p->proto] || !p->config)
        return 0;
    void *c = calloc(1, p->config->struct_size);
    if (!c)
        return -1;
    config_module_set_defaults(p->config, c);
    al->own_cfg[p->proto] = c;
    al->parser_cfg[p->proto] = c;
    return 0;
}

static bool parser_enabled(const struct app_layer *al, const struct app_parser *p)
{
    const struct app_proto_cfg *c = al->parser_cfg[p->proto];
    return !c || c->enabled;
}

int app_layer_init(struct app_layer *al, const struct app_cfg *cfg, struct stats *stats, const struct event_bus *bus,
                   const void *const *parser_cfg)
{
    memset(al, 0, sizeof(*al));
    al->cfg = *cfg;
    al->stats = stats;
    al->bus = bus;
    if (parser_cfg)
        for (int p = 0; p < APP__COUNT; p++)
            al->parser_cfg[p] = parser_cfg[p];
    memcap_init(&al->mc, "app", cfg->memcap);
    size_t n = 0;
    for (size_t i = 0; i < app_registry_count; i++) {
        if (parser_cfg_ensure(al, app_registry[i]) < 0) {
            app_layer_free(al);
            return -1;
        }
        if (n < 32 && parser_enabled(al, app_registry[i]))
            al->enabled[n++] = app_registry[i];
    }
    return app_layer_set_parsers(al, al->enabled, n);
}

void app_layer_free(struct app_layer *al)
{
    /* per-flow state is released by app_on_close as flows end */
    for (int p = 0; p < APP__COUNT; p++) {
        if (al->own_cfg[p] && al->parser_cfg[p] == al->own_cfg[p])
            al->parser_cfg[p] = NULL;
        free(al->own_cfg[p]);
        al->own_cfg[p] = NULL;
    }
}

int app_layer_set_parsers(struct app_layer *al, const struct app_parser *const *parsers, size_t n)
{
    al->parsers = parsers;
    al->n_parsers = n > 32 ? 32 : n; /* the tried[] masks are 32 bits wide */
    for (size_t i = 0; i < al->n_parsers; i++)
        if (parser_cfg_ensure(al, parsers[i]) < 0)
            return -1;
    return 0;
}

void *app_alloc(struct app_ctx *ctx, size_t n)
{
    void *p = mc_calloc(&ctx->al->mc, n);
    if (!p)
        ctx->al->stats->app_memcap_hits++;
    return p;
}

void app_free(struct app_ctx *ctx, void *p, size_t n)
{
    mc_free(&ctx->al->mc, p, n);
}

void app_emit(struct app_ctx *ctx, enum event_type type, int dir, const void *body)
{
    struct event ev = {
        .type = type,
        .ts_us = ctx->ts_us,
        .flow = ctx->flow,
        .pkt = NULL,
        .dir = dir == 1 ? EVENT_DIR_TOCLIENT : EVENT_DIR_TOSERVER,
        .body = body,
    };
    event_publish(ctx->al->bus, &ev);
}

_Static_assert(APP__COUNT <= ANOMALY_PARSERS, "one anomaly table per app protocol");

void app_anomaly(struct app_ctx *ctx, int dir, const char *event, const char *detail)
{
    struct app_layer *al = ctx->al;
    assert(al->anomaly); /* set by the engine or the harness (app.h) */
    const struct app_parser *p = ctx->flow ? ctx->flow->app.parser : NULL;
    anomaly_applayer(al->anomaly, ctx->ts_us, ctx->flow, dir == 1 ? EVENT_DIR_TOCLIENT : EVENT_DIR_TOSERVER,
                     p ? (unsigned)p->proto : APP_UNKNOWN, p ? p->name : "app", event, detail);
}

static struct app_ctx app_ctx_for(struct app_layer *al, struct flow *f)
{
    struct app_ctx c = {.al = al, .flow = f, .ts_us = al->now_us};
    return c;
}

static void probe_bufs_free(struct app_layer *al, struct app_flow *a)
{
    for (int d = 0; d < 2; d++) {
        mc_free(&al->mc, a->probe_buf[d], a->probe_cap[d]);
        a->probe_buf[d] = NULL;
        a->probe_len[d] = a->probe_cap[d] = 0;
    }
}

/* app-layer.protocols.<name>.ports */
static bool port_hinted(const struct app_layer *al, const struct app_parser *p, uint16_t port)
{
    const struct app_proto_cfg *c = al->parser_cfg[p->proto];
    return c && config_ports_has(&c->ports, port);
}

/* Run the probes on data for direction dir.  Returns the matching parser, or NULL. */
static const struct app_parser *app_probe(struct app_layer *al, struct flow *f, int dir, const uint8_t *data,
                                          size_t len)
{
    struct app_flow *a = &f->app;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < al->n_parsers; i++) {
            const struct app_parser *p = al->parsers[i];
            if (p->ipproto != f->ipproto || (a->tried[dir] & (1u << i)))
                continue;
            bool hinted = port_hinted(al, p, f->server_port);
            if ((pass == 0) != hinted)
                continue;
            enum probe_result r = p->probe ? p->probe(data, len, dir) : PROBE_NO;
            if (r == PROBE_YES)
                return p;
            if (r == PROBE_NO)
                a->tried[dir] |= 1u << i;
        }
    }
    return NULL;
}

static bool all_tried(const struct app_layer *al, const struct flow *f, int dir)
{
    for (size_t i = 0; i < al->n_parsers; i++)
        if (al->parsers[i]->ipproto == f->ipproto && !(f->app.tried[dir] & (1u << i)))
            return false;
    return true;
}

static void app_set_failed(struct app_layer *al, struct flow *f)
{
    f->app.proto = APP_FAILED;
    al->stats->app_probe_failed++;
    probe_bufs_free(al, &f->app);
}

/* A parser matched: create its state and replay what was buffered. */
static void app_start(struct app_layer *al, struct flow *f, const struct app_parser *p, int first_dir)
{
    struct app_flow *a = &f->app;
    struct app_ctx ctx = app_ctx_for(al, f);
    a->proto = p->proto;
    al->stats->app_flows[p->proto < 16 ? p->proto : 0]++;
    a->state = p->state_new ? p->state_new(&ctx) : NULL;
    if (p->state_new && !a->state) {
        /* no memory for the parser: the protocol is known, it is not parsed */
        probe_bufs_free(al, a);
        return;
    }
    a->parser = p;
    for (int k = 0; k < 2; k++) {
        int d = k == 0 ? first_dir : first_dir ^ 1;
        if (a->probe_len[d] && p->on_data)
            p->on_data(&ctx, a->state, d, a->probe_buf[d], a->probe_len[d]);
    }
    probe_bufs_free(al, a);
}

static void app_detect_udp(struct app_layer *al, struct flow *f, int dir, const uint8_t *data, size_t len)
{
    const struct app_parser *p = app_probe(al, f, dir, data, len);
    if (p) {
        app_start(al, f, p, dir);
        if (f->app.parser && p->on_data) {
            struct app_ctx ctx = app_ctx_for(al, f);
            p->on_data(&ctx, f->app.state, dir, data, len);
        }
    } else if (all_tried(al, f, dir)) {
        /* Every parser said no to this datagram.  The port-hinted ones (DNS on 53 ...) look at the next
         * datagrams too, up to APP_UDP_REPROBE in all: a junk first datagram must not hide what follows.
         * Parsers without a port hint do not get a second look (any datagram on any port would be offered). */
        struct app_flow *a = &f->app;
        uint32_t hinted = 0;
        for (size_t i = 0; i < al->n_parsers; i++)
            if (al->parsers[i]->ipproto == f->ipproto && port_hinted(al, al->parsers[i], f->server_port))
                hinted |= 1u << i;
        if (++a->udp_probed < APP_UDP_REPROBE && hinted) {
            a->tried[0] &= ~hinted;
            a->tried[1] &= ~hinted;
        } else {
            app_set_failed(al, f);
        }
    }
}

/* Copy up to probe-depth bytes of this direction into its probe buffer (allocated on first use). */
static bool probe_buffer(struct app_layer *al, struct flow *f, int dir, const uint8_t *data, size_t len, size_t *taken)
{
    struct app_flow *a = &f->app;
    uint32_t depth = al->cfg.probe_depth ? al->cfg.probe_depth : 1;
    if (!a->probe_buf[dir]) {
        a->probe_buf[dir] = mc_malloc(&al->mc, depth);
        if (!a->probe_buf[dir]) {
            al->stats->app_memcap_hits++;
            return false;
        }
        a->probe_cap[dir] = depth;
    }
    size_t room = a->probe_cap[dir] - a->probe_len[dir];
    *taken = len < room ? len : room;
    memcpy(a->probe_buf[dir] + a->probe_len[dir], data, *taken);
    a->probe_len[dir] += (uint32_t)*taken;
    return true;
}

static void app_detect_tcp(struct app_layer *al, struct flow *f, int dir, const uint8_t *data, size_t len)
{
    struct app_flow *a = &f->app;
    uint32_t depth = al->cfg.probe_depth ? al->cfg.probe_depth : 1;
    if (!a->probe_seen[0] && !a->probe_seen[1])
        a->first_dir = (uint8_t)dir;

    /* Most flows are decided by their first chunk: probe it where it lies, and copy only when undecided. */
    const uint8_t *view = data;
    size_t view_len = len < depth ? len : depth;
    size_t taken = 0;
    if (a->probe_len[dir]) {
        if (!probe_buffer(al, f, dir, data, len, &taken)) {
            app_set_failed(al, f);
            return;
        }
        view = a->probe_buf[dir];
        view_len = a->probe_len[dir];
    }
    const struct app_parser *p = app_probe(al, f, dir, view, view_len);
    if (p) {
        app_start(al, f, p, a->first_dir); /* replays what is buffered, in arrival order */
        if (a->parser && taken < len && p->on_data) {
            struct app_ctx ctx = app_ctx_for(al, f);
            p->on_data(&ctx, a->state, dir, data + taken, len - taken);
        }
        return;
    }
    uint32_t seen = a->probe_seen[dir] + (uint32_t)(len < depth ? len : depth);
    a->probe_seen[dir] = seen < depth ? seen : depth;
    bool done_ts = a->probe_seen[0] && (all_tried(al, f, 0) || a->probe_seen[0] >= depth);
    bool done_tc = a->probe_seen[1] && (all_tried(al, f, 1) || a->probe_seen[1] >= depth);
    if ((done_ts && (done_tc || a->probe_seen[1] == 0)) ||
        (done_tc && a->probe_seen[1] >= depth && !a->probe_seen[0])) {
        app_set_failed(al, f); /* every parser said no, or a full buffer's worth and nobody knows it */
        return;
    }
    /* still undecided: keep this chunk for the next probe and for the replay to whichever parser matches */
    if (view == data && !probe_buffer(al, f, dir, data, len, &taken))
        app_set_failed(al, f);
}

void app_on_data(struct app_layer *al, struct flow *f, int dir, const uint8_t *data, size_t len)
{
    struct app_flow *a = &f->app;
    if (len == 0 || a->proto == APP_FAILED)
        return;
    if (a->parser) {
        if (a->parser->on_data) {
            struct app_ctx ctx = app_ctx_for(al, f);
            a->parser->on_data(&ctx, a->state, dir, data, len);
        }
        return;
    }
    if (a->proto != APP_UNKNOWN)
        return; /* detected, but no state could be allocated */
    if (f->ipproto == 17)
        app_detect_udp(al, f, dir, data, len);
    else
        app_detect_tcp(al, f, dir, data, len);
}

void app_on_gap(struct app_layer *al, struct flow *f, int dir, uint64_t len)
{
    struct app_flow *a = &f->app;
    if (a->parser) {
        if (a->parser->on_gap) {
            struct app_ctx ctx = app_ctx_for(al, f);
            a->parser->on_gap(&ctx, a->state, dir, len);
        }
        return;
    }
    if (a->proto == APP_UNKNOWN) {
        /* bytes lost before the protocol was known: probing on what follows would be guesswork */
        a->gap_during_probe = true;
        app_set_failed(al, f);
    }
}

void app_on_close(struct app_layer *al, struct flow *f)
{
    struct app_flow *a = &f->app;
    struct app_ctx ctx = app_ctx_for(al, f);
    if (a->proto == APP_UNKNOWN && a->udp_probed)
        app_set_failed(al, f); /* datagrams were refused while a hinted parser could still look: failed, as before */
    if (a->parser) {
        if (a->parser->on_close)
            a->parser->on_close(&ctx, a->state);
        if (a->parser->state_free && a->state)
            a->parser->state_free(&ctx, a->state);
        a->state = NULL;
        a->parser = NULL; /* closed: app_proto stays for the flow event, nothing more is parsed */
    }
    probe_bufs_free(al, a);
}
