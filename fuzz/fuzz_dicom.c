/*
 * fuzz_dicom.c - libFuzzer harness for the DICOM parser (src/app/dicom/).
 *
 * Input format: a stream of records, each `dir(1) len(2 BE) bytes`, replayed
 * into the parser in order; dir bit 0 picks the direction, bits 1-6 the
 * server (one client, many peers: the asset inventory), dir bit 7 turns the
 * record into a gap of `len` bytes instead of data.  Events go through the EVE
 * formatter and the asset inventory (fuzz_app.h).  The probe runs on the
 * first record.  Seeds in fuzz/corpus/dicom/ are the TCP payloads of the
 * corpus DICOM captures in this format (fuzz/make_dicom_seeds.py regenerates them).
 * Build:  clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc fuzz/fuzz_dicom.c <lib objects> ...
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_app.h"
#include "app/app.h"
#include "app/dicom/dicom.h"
#include "config_registry.h"
#include "core/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg; /* read-only after the first call's defaults */
    static int init;
    if (!init) {
        config_defaults(&cfg);
        cfg.app.memcap = 64u << 20;
        memset(cfg.phi_key, 7, sizeof(cfg.phi_key));
        cfg.phi_key_loaded = true;
        init = 1;
    }
    return fuzz_app_parser(&app_parser_dicom, &cfg, 104, data, size);
}
