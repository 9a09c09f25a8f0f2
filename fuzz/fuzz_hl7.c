/*
 * fuzz_hl7.c - libFuzzer harness for the HL7 v2 / MLLP parser (src/app/hl7/).
 *
 * Input format: a stream of records, each `dir(1) len(2 BE) bytes`, replayed
 * into the parser in order; dir bit 0 picks the direction, bits 1-6 the
 * server, dir bit 7 turns the record into a gap of `len` bytes instead of
 * data.  Events go through the EVE formatter and the asset inventory
 * (fuzz_app.h).  The probe runs on the input too.  Seeds in fuzz/corpus/hl7/
 * are the TCP payloads of the HL7 captures in this format
 * (fuzz/make_hl7_seeds.py regenerates them).  hl7.max-message-bytes is set
 * low (4 KiB) so that the skip-to-end-block path is reached by small inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_app.h"
#include "app/app.h"
#include "app/hl7/hl7.h"
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
        cfg.hl7.max_message = 4096;
        init = 1;
    }
    return fuzz_app_parser(&hl7_parser, &cfg, 2575, data, size);
}
