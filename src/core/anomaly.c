/*
 * anomaly.c - count every anomaly, write few (see anomaly.h for the gates).
 *
 * All three producers end in anomaly_gate(): the only place that decides
 * whether an `anomaly` event is published.
 */
#include "core/anomaly.h"

#include <string.h>

#include "flow/flow.h"

static const struct config_key anomaly_keys[] = {
    CONFIG_KEY_U32(struct anomaly_cfg, rate_limit, "anomaly.rate-limit", 0, 1000000, "100",
                   "Every anomaly (decode, stream, applayer) is counted in stats.anomaly; an `anomaly` event is "
                   "written at most\nonce per flow and kind (outside a flow, decode anomalies: once per kind per "
                   "second), and at most this many\nper second of packet time in all. Suppressed ones are counted "
                   "(stats.anomaly.suppressed). 0 = no per-second\nbudget (the once-per-flow-and-kind rule still "
                   "applies)."),
};

const struct config_module anomaly_config_module = {
    .name = "anomaly",
    .keys = anomaly_keys,
    .n = sizeof(anomaly_keys) / sizeof(anomaly_keys[0]),
    .struct_size = sizeof(struct anomaly_cfg),
};

_Static_assert(ANOMALY_APP_BIT0 + ANOMALY_APP_KINDS == 64, "a flow's anomaly bitmap is 64 bits");

enum gate_result { GATE_WRITE, GATE_REPEAT, GATE_RATE };

void anomaly_ctx_init(struct anomaly_ctx *ac, uint32_t rate_limit, struct stats *stats, const struct event_bus *bus)
{
    memset(ac, 0, sizeof(*ac));
    ac->rate_limit = rate_limit;
    ac->stats = stats;
    ac->bus = bus;
    ac->publishing_decode_kind = -1;
}

/* Slot of name in t, interning it at first use; cap - 1 ("other") once cap - 1 names are interned. */
static uint32_t table_slot(struct anomaly_table *t, uint32_t cap, const char *layer, const char *name)
{
    if (!t->layer)
        t->layer = layer;
    for (uint32_t i = 0; i < t->n; i++)
        if (t->name[i] == name || strcmp(t->name[i], name) == 0)
            return i;
    if (t->n < cap - 1) {
        t->name[t->n] = name;
        return t->n++;
    }
    return cap - 1;
}

static void table_count(struct anomaly_table *t, uint32_t cap, uint32_t slot)
{
    if (slot < cap - 1)
        t->count[slot]++;
    else
        t->other++;
}

/* The rate gate: one more event in the second of ts_us, if the budget has room. */
static bool budget_take_in(uint32_t rate_limit, uint64_t *window_s, uint32_t *window_events, uint64_t ts_us)
{
    if (!rate_limit)
        return true;
    uint64_t sec = ts_us / 1000000;
    if (sec > *window_s) { /* packet time never goes back on the engine's clock; if it did, no reset */
        *window_s = sec;
        *window_events = 0;
    }
    if (*window_events >= rate_limit)
        return false;
    (*window_events)++;
    return true;
}

static bool budget_take(struct anomaly_ctx *ac, uint64_t ts_us)
{
    return budget_take_in(ac->rate_limit, &ac->window_s, &ac->window_events, ts_us);
}

/*
 * The one decision.  bitmap, bit: the flow's record of kinds written and this kind's bit in it (bitmap NULL
 * outside a flow); sec_seen: the decode kind's last-written second + 1 (NULL for stream and applayer kinds).
 * A report is a repeat, or stopped by the budget, or published; only a published one marks its kind.
 */
static void anomaly_gate(struct anomaly_ctx *ac, const struct event *ev, uint64_t *bitmap, uint64_t bit,
                         uint64_t *sec_seen)
{
    struct stats *s = ac->stats;
    enum gate_result r = GATE_WRITE;
    uint64_t sec1 = ev->ts_us / 1000000 + 1;
    if (bitmap && (*bitmap & bit))
        r = GATE_REPEAT;
    else if (ac->local_only) {
        /* gates 2 and 3 are the correlator's: anomaly_global_gate() */
        if (bitmap)
            *bitmap |= bit;
        event_publish(ac->bus, ev);
        return;
    } else if (sec_seen && *sec_seen == sec1)
        r = GATE_REPEAT;
    else if (!budget_take(ac, ev->ts_us))
        r = GATE_RATE;

    switch (r) {
    case GATE_REPEAT: s->anomaly_suppressed_repeat++; return;
    case GATE_RATE: s->anomaly_suppressed_rate++; return;
    case GATE_WRITE: break;
    }
    if (bitmap)
        *bitmap |= bit;
    if (sec_seen)
        *sec_seen = sec1;
    s->anomaly_events++;
    event_publish(ac->bus, ev);
}

void anomaly_decode(struct anomaly_ctx *ac, uint64_t ts_us, const struct decoded *d, enum decode_event e)
{
    ac->stats->anomaly_decode++;
    if ((unsigned)e >= DEV__COUNT)
        return;
    struct anomaly_event a = {
        .type = "decode", .layer = decode_event_layer(e), .event = decode_event_name(e), .detail = NULL};
    struct event ev = {
        .type = EVENT_ANOMALY, .ts_us = ts_us, .flow = NULL, .pkt = d, .dir = EVENT_DIR_NONE, .body = &a};
    ac->publishing_decode_kind = (int)e;
    anomaly_gate(ac, &ev, NULL, 0, &ac->decode_sec[e]);
    ac->publishing_decode_kind = -1;
}

void anomaly_stream(struct anomaly_ctx *ac, uint64_t ts_us, struct flow *f, int dir, const char *event)
{
    ac->stats->anomaly_stream++;
    uint32_t slot = table_slot(&ac->stream, ANOMALY_STREAM_KINDS, "tcp", event);
    table_count(&ac->stream, ANOMALY_STREAM_KINDS, slot);
    struct anomaly_event a = {.type = "stream", .layer = "tcp", .event = event, .detail = NULL};
    struct event ev = {.type = EVENT_ANOMALY,
                       .ts_us = ts_us,
                       .flow = f,
                       .pkt = NULL,
                       .dir = dir ? EVENT_DIR_TOCLIENT : EVENT_DIR_TOSERVER,
                       .body = &a};
    anomaly_gate(ac, &ev, f ? &f->anomaly_written : NULL, 1ull << slot, NULL);
}

void anomaly_applayer(struct anomaly_ctx *ac, uint64_t ts_us, struct flow *f, enum event_dir dir, unsigned parser,
                      const char *layer, const char *event, const char *detail)
{
    ac->stats->app_anomalies++;
    if (parser >= ANOMALY_PARSERS)
        parser = 0;
    struct anomaly_table *t = &ac->app[parser];
    uint32_t slot = table_slot(t, ANOMALY_APP_KINDS, layer, event);
    table_count(t, ANOMALY_APP_KINDS, slot);
    struct anomaly_event a = {.type = "applayer", .layer = layer, .event = event, .detail = detail};
    struct event ev = {.type = EVENT_ANOMALY, .ts_us = ts_us, .flow = f, .pkt = NULL, .dir = dir, .body = &a};
    anomaly_gate(ac, &ev, f ? &f->anomaly_written : NULL, 1ull << (ANOMALY_APP_BIT0 + slot), NULL);
}

void anomaly_global_init(struct anomaly_global *g, uint32_t rate_limit, struct stats *stats)
{
    memset(g, 0, sizeof(*g));
    g->rate_limit = rate_limit;
    g->stats = stats;
}

bool anomaly_global_gate(struct anomaly_global *g, uint64_t ts_us, int decode_kind)
{
    uint64_t sec1 = ts_us / 1000000 + 1;
    if (decode_kind >= 0 && decode_kind < DEV__COUNT && g->decode_sec[decode_kind] == sec1) {
        g->stats->anomaly_suppressed_repeat++;
        return false;
    }
    if (!budget_take_in(g->rate_limit, &g->window_s, &g->window_events, ts_us)) {
        g->stats->anomaly_suppressed_rate++;
        return false;
    }
    if (decode_kind >= 0 && decode_kind < DEV__COUNT)
        g->decode_sec[decode_kind] = sec1;
    g->stats->anomaly_events++;
    return true;
}

static void table_merge(struct anomaly_table *dst, const struct anomaly_table *src, uint32_t cap)
{
    for (uint32_t i = 0; i < src->n; i++) {
        uint32_t slot = table_slot(dst, cap, src->layer, src->name[i]);
        if (slot < cap - 1)
            dst->count[slot] += src->count[i];
        else
            dst->other += src->count[i];
    }
    if (!dst->layer)
        dst->layer = src->layer;
    dst->other += src->other;
}

void anomaly_ctx_merge_tables(struct anomaly_ctx *dst, const struct anomaly_ctx *src)
{
    table_merge(&dst->stream, &src->stream, ANOMALY_STREAM_KINDS);
    for (int i = 0; i < ANOMALY_PARSERS; i++)
        table_merge(&dst->app[i], &src->app[i], ANOMALY_APP_KINDS);
}
