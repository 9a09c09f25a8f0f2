/*
 * fuzz_dcerpc.c - libFuzzer harness for the DCE/RPC PDU layer, fragment
 * reassembly and the svcctl/atsvc/srvsvc NDR decoders.  Input format as fuzz_smb.c
 * ([tag][len u16][bytes], tag bit 0 = direction, bits 1-6 = server, 0xfe/0xff =
 * gap).  Events go through the EVE formatter and the asset inventory
 * (fuzz_app.h), which learns from srvsvc answers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_app.h"
#include "app/app.h"
#include "app/dcerpc/dcerpc.h"
#include "core/stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_layer al;
    struct anomaly_ctx anomalies;
    struct event_bus bus;
    struct stats stats;
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
    if (fuzz_sinks_init(&sinks, &bus, &stats, true) < 0)
        abort();
    fuzz_flow_init(&f, 135);
    fuzz_flow_server(&f, 0);
    struct app_ctx ctx = {.al = &al, .flow = &f};
    struct dcerpc_conn *c = dcerpc_conn_new(&ctx, DCERPC_TRANSPORT_TCP, NULL);
    if (!c) {
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
            dcerpc_conn_gap(&ctx, c, tag == 0xfe);
            continue;
        }
        if (len > size - o)
            len = size - o;
        fuzz_flow_server(&f, tag);
        dcerpc_conn_feed(&ctx, c, tag & 1, data + o, len);
        o += len;
    }
    dcerpc_conn_free(&ctx, c);
    fuzz_sinks_free(&sinks);
    app_layer_free(&al);
    /* the stub decoders on the raw input too */
    struct dcerpc_svcctl sv;
    struct dcerpc_atsvc at;
    for (uint16_t op = 0; op < 32; op++)
        dcerpc_svcctl_decode(op, data, size, size & 1, &sv);
    dcerpc_atsvc_decode(false, 0, data, size, true, &at);
    dcerpc_atsvc_decode(true, 1, data, size, true, &at);
    static struct dcerpc_srvsvc srv; /* 13 KB: off the stack */
    static const uint16_t srv_ops[] = {15, 16, 21, 36};
    for (size_t i = 0; i < sizeof(srv_ops) / sizeof(srv_ops[0]); i++) {
        dcerpc_srvsvc_decode(srv_ops[i], data, size, size & 1, &srv);
        dcerpc_srvsvc_decode_response(data, size, size & 1, &srv);
    }
    if (al.mc.used != 0)
        abort();
    return 0;
}
