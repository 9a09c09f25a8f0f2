/*
 * fuzz_tls.c - libFuzzer harness for the TLS record-layer parser (src/app/tls/).
 *
 * Input format: a stream of records, each `dir(1) len(2 BE) bytes`, replayed
 * into the parser in order; dir bit 0 picks the direction, bits 1-6 the
 * server, dir bit 7 turns the record into a gap of `len` bytes instead of
 * data.  Events go through the EVE formatter (fuzz_app.h).  The probe runs on the
 * first record.  Seeds in fuzz/corpus/tls/ are the TCP payloads of the
 * corpus TLS captures in this format (fuzz/make_tls_seeds.py regenerates them).
 * Build:  clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_tls.c <lib objects> ...
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_app.h"
#include "app/app.h"
#include "app/tls/tls.h"
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
        init = 1;
    }
    /* a flow to port 2762, so the dicom hint path runs too */
    return fuzz_app_parser(&tls_parser, &cfg, 2762, data, size);
}
