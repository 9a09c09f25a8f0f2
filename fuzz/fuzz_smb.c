/*
 * fuzz_smb.c - libFuzzer harness for the SMB analyzer (NetBIOS framing, SMB1,
 * SMB2/3, NTLMSSP, pipes into DCE/RPC, file tracker).
 * Input: records of [tag u8][len u16 LE][len bytes]; tag bit 0 = direction,
 * tag 0xff = a gap of len bytes in direction 0, 0xfe in direction 1.
 * Seeds (fuzz/corpus/smb/) are the corpus SMB conversations in this format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/smb/smb.h"
#include "core/stats.h"
#include "files/files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *user, const struct event *ev)
{
    (void)user;
    (void)ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct app_layer al;
    struct event_bus bus;
    struct stats stats;
    struct file_tracker ft;
    memset(&al, 0, sizeof(al));
    memset(&bus, 0, sizeof(bus));
    memset(&stats, 0, sizeof(stats));
    memcap_init(&al.mc, "app", 64u << 20);
    al.stats = &stats;
    al.bus = &bus;
    files_init(&ft, NULL);
    al.files = &ft;
    event_bus_subscribe(&bus, EVENT_MASK_ALL, sink, NULL);
    struct app_ctx ctx = {.al = &al};
    void *st = smb_parser.state_new(&ctx);
    if (!st)
        return 0;
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
        smb_parser.on_data(&ctx, st, tag & 1, data + o, len);
        o += len;
    }
    smb_parser.on_close(&ctx, st);
    smb_parser.state_free(&ctx, st);
    if (al.mc.used != 0 || ft.open != 0)
        abort(); /* a leak of parser state */
    return 0;
}
