/*
 * fuzz_packet.c - libFuzzer harness for the whole packet path of one worker:
 * decode (every link type), defragmentation, flows, TCP reassembly and the app
 * layer with every registered parser.
 *
 * Input: byte 0 picks the link type; then records of [u16 length][u8 time step]
 * [frame bytes], so one input is a short capture whose packets can build
 * flows, fragments and streams across packets.  Memcaps are small so the
 * limit paths run too (the asset inventory's included: eviction).  Every
 * event goes through the EVE formatter (fuzz_app.h) and into the engine's
 * asset inventory, which writes assets.json into a scratch directory at the
 * end of each input.
 */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_app.h"

#include "config_registry.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {DLT_EN10MB, DLT_LINUX_SLL, 276 /* SLL2 */, DLT_NULL, DLT_LOOP, DLT_RAW, 228, 229, 12};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static char logdir[] = "/tmp/fuzz_packet.XXXXXX";
    static bool have_logdir;
    if (!have_logdir) {
        if (!mkdtemp(logdir))
            __builtin_trap();
        have_logdir = true;
    }
    static struct config cfg;
    config_defaults(&cfg);
    snprintf(cfg.engine.logdir, sizeof(cfg.engine.logdir), "%s", logdir);
    cfg.engine.eve_enabled = false; /* the formatter below instead of a file */
    cfg.store.enabled = false;      /* no database file per input */
    cfg.assets.memcap = FUZZ_ASSETS_MEMCAP;
    cfg.flow.memcap = 1 << 20;
    cfg.flow.hash_size = 1024;
    cfg.stream.memcap = 256 << 10;
    cfg.stream.max_ooo_bytes = 16 << 10;
    cfg.stream.max_ooo_segments = 32;
    cfg.decode.defrag_memcap = 128 << 10;
    cfg.decode.defrag_max_frags = 16;
    cfg.app.memcap = 1 << 20;
    cfg.app.probe_depth = 512;

    static struct engine e;
    char err[256];
    if (engine_init(&e, &cfg, NULL, err, sizeof(err)) < 0)
        __builtin_trap();
    struct fuzz_sinks sinks;
    if (fuzz_sinks_init(&sinks, &e.bus, &e.stats, false) < 0)
        __builtin_trap();
    int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
    size_t off = 1;
    uint64_t ts = 1700000000ULL * 1000000;
    while (off + 3 <= size) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        ts += (uint64_t)data[off + 2] * 250000; /* up to ~64 s between packets: timeouts run too */
        off += 3;
        if (len > size - off)
            len = size - off;
        struct packet p = {
            .ts_us = ts, .caplen = (uint32_t)len, .wirelen = (uint32_t)len, .linktype = lt, .data = data + off};
        engine_packet(&e, &p);
        off += len;
    }
    engine_finish(&e);
    engine_free(&e);
    if (e.assets.mc.used != 0)
        __builtin_trap(); /* the inventory gave back all it was charged */
    fuzz_sinks_free(&sinks);
    return 0;
}
