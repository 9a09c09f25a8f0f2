/*
 * fuzz_tls.c - libFuzzer harness for the TLS record-layer parser (src/app/tls/).
 *
 * Input format: a stream of records, each `dir(1) len(2 BE) bytes`, replayed
 * into the parser in order; dir bit 0 picks the direction, dir bit 7 turns the
 * record into a gap of `len` bytes instead of data.  The probe runs on the
 * first record.  Seeds in fuzz/corpus/tls/ are the TCP payloads of the
 * corpus TLS captures in this format (fuzz/make_tls_seeds.py regenerates them).
 * Build:  clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_tls.c <lib objects> ...
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/app.h"
#include "app/tls/tls.h"
#include "core/config.h"
#include "core/stats.h"
#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg; /* read-only after the first call's defaults */
    static int init;
    if (!init) {
        config_defaults(&cfg);
        cfg.app.memcap = 64u << 20;
        init = 1;
    }
    struct stats stats;
    struct event_bus bus;
    struct app_layer al;
    memset(&stats, 0, sizeof(stats));
    memset(&bus, 0, sizeof(bus));
    if (app_layer_init(&al, &cfg.app, &stats, &bus, &cfg) < 0)
        return 0;
    struct flow f; /* a flow to port 2762, so the dicom hint path runs too */
    memset(&f, 0, sizeof(f));
    f.server_port = 2762;
    struct app_ctx ctx = {.al = &al, .flow = &f, .ts_us = 1};
    if (size > 0)
        (void)tls_probe(data + 3 < data + size ? data + 3 : data, size > 3 ? size - 3 : 0, 0);
    void *st = tls_parser.state_new(&ctx);
    if (!st) {
        app_layer_free(&al);
        return 0;
    }
    size_t off = 0;
    while (off + 3 <= size) {
        uint8_t dir = data[off];
        size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (dir & 0x80) {
            tls_parser.on_gap(&ctx, st, dir & 1, len);
            continue;
        }
        if (len > size - off)
            len = size - off;
        tls_parser.on_data(&ctx, st, dir & 1, data + off, len);
        off += len;
        ctx.ts_us++;
    }
    tls_parser.on_close(&ctx, st);
    tls_parser.state_free(&ctx, st);
    app_layer_free(&al);
    return 0;
}
