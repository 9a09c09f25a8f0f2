/*
 * fuzz_app.h - drives one app-layer parser from a fuzz input, for the per-parser harnesses.
 *
 * Input: records of [u8 dir][u16 length][bytes]; dir bit 0 is the direction, bit 7 makes the record a gap of
 * `length` bytes instead of data.  The probe also runs on the input, so it is fuzzed too.  The parser's state is
 * created, fed, closed and freed; its memory is charged to a fresh app layer every run.
 */
#ifndef MEDSENTRY_FUZZ_APP_H
#define MEDSENTRY_FUZZ_APP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/app.h"
#include "core/config.h"
#include "core/stats.h"

static inline int fuzz_app_parser(const struct app_parser *p, const struct config *cfg, struct flow *f,
                                  const uint8_t *data, size_t size)
{
    struct stats stats;
    struct event_bus bus;
    struct app_layer al;
    memset(&stats, 0, sizeof(stats));
    memset(&bus, 0, sizeof(bus));
    if (app_layer_init(&al, &cfg->app, &stats, &bus, cfg) < 0)
        return 0;
    struct app_ctx ctx = {.al = &al, .flow = f, .ts_us = 1};
    if (size > 0)
        (void)p->probe(data + 3 < data + size ? data + 3 : data, size > 3 ? size - 3 : 0, 0);
    void *st = p->state_new(&ctx);
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
            p->on_gap(&ctx, st, dir & 1, len);
            continue;
        }
        if (len > size - off)
            len = size - off;
        p->on_data(&ctx, st, dir & 1, data + off, len);
        off += len;
        ctx.ts_us++;
    }
    p->on_close(&ctx, st);
    p->state_free(&ctx, st);
    app_layer_free(&al);
    return 0;
}

#endif
