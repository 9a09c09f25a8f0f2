/*
 * fuzz_http.c - libFuzzer harness for the HTTP/1.x parser (src/app/http/).
 *
 * Input format: a stream of records, each `dir(1) len(2 BE) bytes`, replayed
 * into the parser in order; dir bit 0 picks the direction, bits 1-6 the
 * server, dir bit 7 turns the record into a gap of `len` bytes instead of
 * data.  Events go through the EVE formatter (fuzz_app.h).  The probe runs on the
 * first record.  Seeds in fuzz/corpus/http/ are the TCP payloads of the
 * corpus HTTP captures in this format (fuzz/make_http_seeds.py regenerates them).
 * http.max-header-bytes is lowered to 1 KiB so the limits are reached.
 * Build:  clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_http.c <lib objects> ...
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_app.h"
#include "app/app.h"
#include "app/http/http.h"
#include "config_registry.h"
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
        cfg.http.max_header_bytes = 1024;
        init = 1;
    }
    return fuzz_app_parser(&http_parser, &cfg, 80, data, size);
}
