/*
 * fuzz_smb.c - libFuzzer harness for the SMB analyzer (NetBIOS framing, SMB1,
 * SMB2/3, NTLMSSP, pipes into DCE/RPC, file tracker).
 * Input: records of [tag u8][len u16 LE][len bytes]; tag bit 0 = direction,
 * bits 1-6 = the flow's server for the record (one client, many peers),
 * tag 0xff = a gap of len bytes in direction 0, 0xfe in direction 1.
 * Seeds (fuzz/corpus/smb/) are the corpus SMB conversations in this format.
 * Events go through the EVE formatter and the asset inventory (fuzz_app.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_app.h"
#include "app/app.h"
#include "app/smb/smb.h"
#include "core/stats.h"
#include "files/files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_layer al;
    struct anomaly_ctx anomalies;
    struct event_bus bus;
    struct stats stats;
    struct file_tracker ft;
    struct fuzz_sinks sinks;
    struct flow f;
    memset(&al, 0, sizeof(al));
    memset(&bus, 0, sizeof(bus));
    memset(&stats, 0, sizeof(stats));
    struct app_cfg acfg = {.probe_depth = 4096, .memcap = 64u << 20};
    if (app_layer_init(&al, &acfg, &stats, &bus, NULL) < 0) /* the parser's defaults */
        abort();
    anomaly_ctx_init(&anomalies, 0, &stats, &bus); /* the engine's part: the limiter, no rate budget */
    al.anomaly = &anomalies;
    files_init(&ft, NULL);
    al.files = &ft;
    if (fuzz_sinks_init(&sinks, &bus, &stats, true) < 0)
        abort();
    fuzz_flow_init(&f, 445);
    fuzz_flow_server(&f, 0);
    struct app_ctx ctx = {.al = &al, .flow = &f};
    void *st = smb_parser.state_new(&ctx);
    if (!st) {
        fuzz_sinks_free(&sinks);
        app_layer_free(&al);
        return 0;
    }
    size_t o = 0;
    while (o + 3 <= size) {
        uint8_t tag = data[o];
        size_t len = (size_t)data[o + 1] | (size_t)data[o + 2] << 8;
        o += 3;
        if (tag >= 0xfe) {
            smb_parser.on_gap(&ctx, st, tag == 0xfe, len);
            continue;
        }
        if (len > size - o)
            len = size - o;
        fuzz_flow_server(&f, tag);
        smb_parser.on_data(&ctx, st, tag & 1, data + o, len);
        o += len;
    }
    smb_parser.on_close(&ctx, st);
    smb_parser.state_free(&ctx, st);
    fuzz_sinks_free(&sinks);
    app_layer_free(&al);
    if (al.mc.used != 0 || ft.open != 0)
        abort(); /* a leak of parser state */
    return 0;
}
