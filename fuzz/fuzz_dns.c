/*
 * fuzz_dns.c - libFuzzer harness for the DNS parser (src/app/dns/) and the IP -> name map (src/correlate/).
 *
 * Input: one byte whose bit 0 picks the transport (0 UDP, 1 TCP), then records `dir(1) len(2 BE) bytes` as in
 * fuzz_app.h: dir bit 0 is the direction, bits 1-6 the server, bit 7 a gap of `len` bytes (TCP) instead of data.
 * Over UDP each record is one datagram; over TCP the records are the stream, split where they fall.  Both probes
 * run on every record.  Events go through the EVE formatter and an asset inventory (fuzz_app.h) and into a name
 * map with a small memcap (so its eviction runs), which is looked up for every server address.  Seeds in
 * fuzz/corpus/dns/ are the DNS payloads of the corpus captures (fuzz/make_dns_seeds.py regenerates them).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_app.h"
#include "app/app.h"
#include "app/dns/dns.h"
#include "config_registry.h"
#include "core/stats.h"
#include "correlate/dns_name_map.h"
#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg;
    static int init;
    if (!init) {
        config_defaults(&cfg);
        cfg.app.memcap = 64u << 20;
        init = 1;
    }
    if (size < 1)
        return 0;
    bool tcp = data[0] & 1;
    const struct app_parser *p = tcp ? &dns_tcp_parser : &dns_udp_parser;
    data++;
    size--;

    struct stats stats;
    struct event_bus bus;
    struct app_layer al;
    struct anomaly_ctx anomalies;
    struct fuzz_sinks sinks;
    struct dns_name_map map;
    struct flow f;
    memset(&stats, 0, sizeof(stats));
    memset(&bus, 0, sizeof(bus));
    fuzz_flow_init(&f, 53);
    f.ipproto = tcp ? 6 : 17;
    fuzz_flow_server(&f, 0);
    if (fuzz_sinks_init(&sinks, &bus, &stats, true) < 0)
        __builtin_trap();
    struct dns_name_map_cfg ncfg = {.size = 64, .memcap = 8192 + 2048};
    char err[256];
    if (dns_name_map_init(&map, &ncfg, &bus, &stats, err, sizeof(err)) < 0)
        __builtin_trap();
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&cfg, parser_cfg);
    if (app_layer_init(&al, &cfg.app, &stats, &bus, parser_cfg) < 0)
        __builtin_trap();
    anomaly_ctx_init(&anomalies, 0, &stats, &bus); /* the engine's part: the limiter, no rate budget */
    al.anomaly = &anomalies;
    struct app_ctx ctx = {.al = &al, .flow = &f, .ts_us = 1};
    void *st = p->state_new(&ctx);
    if (!st)
        __builtin_trap();
    size_t off = 0;
    while (off + 3 <= size) {
        uint8_t tag = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        fuzz_flow_server(&f, tag);
        if (tag & 0x80) {
            p->on_gap(&ctx, st, tag & 1, len);
            continue;
        }
        if (len > size - off)
            len = size - off;
        (void)dns_probe_udp(data + off, len, tag & 1);
        (void)dns_probe_tcp(data + off, len, tag & 1);
        p->on_data(&ctx, st, tag & 1, data + off, len);
        struct dns_name_hit hit;
        if (dns_name_map_lookup(&map, &f.server, ctx.ts_us, &hit) &&
            (!hit.name || strlen(hit.name) >= DNS_NAME_TEXT_MAX))
            __builtin_trap();
        off += len;
        ctx.ts_us += 7000000; /* 7 s a record: the pending-query timeout runs too */
    }
    p->on_close(&ctx, st);
    p->state_free(&ctx, st);
    if (al.mc.used != 0)
        __builtin_trap(); /* every byte of parser state given back */
    app_layer_free(&al);
    dns_name_map_free(&map);
    if (map.mc.used != 0)
        __builtin_trap();
    fuzz_sinks_free(&sinks);
    return 0;
}
