/*
 * fuzz_app.h - what the harnesses share: where their events go, and driving one app-layer parser from an input.
 *
 * Events go where the engine sends them, so that the code consuming them is fuzzed with the parsers: every event is
 * formatted by the EVE writer (eve_format(), the real body writers, into memory) and checked to be one well-formed
 * JSON object, and the parsers' events feed an asset inventory (with a small memcap, so eviction runs too), whose
 * `asset` events are formatted in turn.  Parser events carry a flow from one client to one of 64 servers, picked per
 * input record, so one host meets many peers (issue 8: a use-after-free there survived because the harnesses
 * discarded events).
 *
 * fuzz_app_parser() input: records of [u8 dir][u16 length][bytes]; dir bit 0 is the direction, bits 1-6 pick the
 * server, bit 7 makes the record a gap of `length` bytes instead of data.  The probe also runs on the input, so it is
 * fuzzed too.  The parser's state is created, fed, closed and freed; its memory is charged to a fresh app layer
 * every run.
 */
#ifndef MEDSENTRY_FUZZ_APP_H
#define MEDSENTRY_FUZZ_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/app.h"
#include "assets/assets.h"
#include "config_registry.h"
#include "core/json.h"
#include "core/stats.h"
#include "flow/flow.h"
#include "output/eve.h"

#define FUZZ_ASSETS_MEMCAP (16u << 10) /* the hash index (8 KB) and a few dozen hosts: eviction runs */

/* The harness's own checks are not what is fuzzed: without coverage instrumentation they cost a fraction (the byte
 * loop below was a quarter of the HL7 harness's time) and add no features that would steer the fuzzer. */
#if defined(__clang__)
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_NO_COVERAGE
#endif

/* One JSON object, balanced, no raw control byte, strings well-formed UTF-8 (lead and continuation bytes). */
FUZZ_NO_COVERAGE static inline void fuzz_json_check(const char *s, size_t n)
{
    if (n < 2 || s[0] != '{')
        __builtin_trap();
    int depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20)
            __builtin_trap();
        if (c >= 0x80) {
            size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
            if (!in_str || len == 0 || c > 0xf4 || i + len > n)
                __builtin_trap();
            for (size_t k = 1; k < len; k++)
                if (((unsigned char)s[i + k] & 0xc0) != 0x80)
                    __builtin_trap();
            i += len - 1;
            continue;
        }
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth < 0 || (depth == 0 && i + 1 != n))
                __builtin_trap();
        }
    }
    if (in_str || depth != 0)
        __builtin_trap();
}

struct fuzz_sinks {
    struct jw jw;
    struct eve_cfg eve;
    struct asset_inventory inv;
    bool has_inv;
};

static inline void fuzz_eve_sink(void *user, const struct event *ev)
{
    struct fuzz_sinks *s = user;
    jw_reset(&s->jw);
    eve_format(&s->jw, &s->eve, ev);
    if (!s->jw.err)
        fuzz_json_check(s->jw.buf, s->jw.len);
}

/* Subscribe the EVE formatter to bus and, if with_inventory, an asset inventory (the engine has its own).  0 or -1. */
static inline int fuzz_sinks_init(struct fuzz_sinks *s, struct event_bus *bus, struct stats *stats, bool with_inventory)
{
    memset(s, 0, sizeof(*s));
    jw_init(&s->jw);
    if (event_bus_subscribe(bus, EVENT_MASK_ALL, fuzz_eve_sink, s) < 0)
        return -1;
    if (with_inventory) {
        struct asset_cfg acfg = {.memcap = FUZZ_ASSETS_MEMCAP};
        char err[256];
        if (asset_inventory_init(&s->inv, &acfg, bus, stats, err, sizeof(err)) < 0)
            return -1;
        s->has_inv = true;
    }
    return 0;
}

/* Free; every byte the inventory allocated must have been charged to its memcap and given back. */
static inline void fuzz_sinks_free(struct fuzz_sinks *s)
{
    if (s->has_inv) {
        asset_inventory_free(&s->inv);
        if (s->inv.mc.used != 0)
            __builtin_trap();
    }
    jw_free(&s->jw);
}

/* A TCP flow from 10.0.0.1 to server_port, as the engine would hand a parser. */
static inline void fuzz_flow_init(struct flow *f, uint16_t server_port)
{
    static const uint8_t client[4] = {10, 0, 0, 1};
    memset(f, 0, sizeof(*f));
    ip_addr_set4(&f->client, client);
    f->client_port = 49152;
    f->server_port = server_port;
    f->ipproto = 6;
    f->flow_id = 1;
    f->has_mac = true;
    f->client_mac[5] = 1;
    f->server_mac[5] = 2;
}

/* The flow's server for one input record: 10.0.1.<k>, k from bits 1-6 of the record's tag. */
static inline void fuzz_flow_server(struct flow *f, uint8_t tag)
{
    uint8_t server[4] = {10, 0, 1, (uint8_t)((tag >> 1) & 0x3f)};
    ip_addr_set4(&f->server, server);
}

static inline int fuzz_app_parser(const struct app_parser *p, const struct config *cfg, uint16_t server_port,
                                  const uint8_t *data, size_t size)
{
    struct stats stats;
    struct event_bus bus;
    struct app_layer al;
    struct anomaly_ctx anomalies;
    struct fuzz_sinks sinks;
    struct flow f;
    memset(&stats, 0, sizeof(stats));
    memset(&bus, 0, sizeof(bus));
    fuzz_flow_init(&f, server_port);
    fuzz_flow_server(&f, 0);
    if (fuzz_sinks_init(&sinks, &bus, &stats, true) < 0)
        __builtin_trap();
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(cfg, parser_cfg);
    if (app_layer_init(&al, &cfg->app, &stats, &bus, parser_cfg) < 0) {
        fuzz_sinks_free(&sinks);
        return 0;
    }
    anomaly_ctx_init(&anomalies, 0, &stats, &bus); /* the engine's part: the limiter, no rate budget */
    al.anomaly = &anomalies;
    if (cfg->phi_key_loaded) { /* as the engine does */
        al.phi.key = cfg->phi_key;
        al.phi.key_len = sizeof(cfg->phi_key);
    }
    struct app_ctx ctx = {.al = &al, .flow = &f, .ts_us = 1};
    if (size > 0)
        (void)p->probe(data + 3 < data + size ? data + 3 : data, size > 3 ? size - 3 : 0, 0);
    void *st = p->state_new(&ctx);
    if (!st) {
        app_layer_free(&al);
        fuzz_sinks_free(&sinks);
        return 0;
    }
    size_t off = 0;
    while (off + 3 <= size) {
        uint8_t dir = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        fuzz_flow_server(&f, dir);
        if (dir & 0x80) {
            p->on_gap(&ctx, st, dir & 1, len);
            continue;
        }
        if (len > size - off)
            len = size - off;
        p->on_data(&ctx, st, dir & 1, data + off, len);
        off += len;
        ctx.ts_us++;
    }
    p->on_close(&ctx, st);
    p->state_free(&ctx, st);
    app_layer_free(&al);
    fuzz_sinks_free(&sinks);
    return 0;
}

#endif
