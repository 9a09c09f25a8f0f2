/*
 * anomaly.h - the one way an anomaly leaves a worker: always counted, written
 * as an `anomaly` event only within limits, so that a flood of malformed input
 * becomes a counter and not a flood of output that fills the disk.
 *
 * Three producers report here and nowhere else: the decoder (anomaly_decode(),
 * through the engine), TCP reassembly (anomaly_stream(), through the engine)
 * and the app-layer parsers (anomaly_applayer(), through app_anomaly()).  Each
 * report is counted (struct stats: anomaly_* and app_anomalies; per kind in
 * this context's tables and in stats.decoder.event), then passes three gates
 * in this order:
 *
 *   1. repeat, in a flow: at most one event per (flow, kind).  The flow keeps
 *      the kinds it has written in a 64-bit bitmap (struct flow.anomaly_written):
 *      bits 0-7 are stream kinds, bits 8-63 the kinds of the flow's parser.
 *   2. repeat, outside a flow (decode anomalies come before the flow is known,
 *      and a fragment flood has no flow at all): at most one event per decode
 *      kind per second of packet time.  Not per source address: a flood from
 *      spoofed sources would defeat that and the table would have to be bounded
 *      and evicted anyway.
 *   3. rate: at most `anomaly.rate-limit` events per second of packet time
 *      across the worker (0: no such budget; gates 1 and 2 still apply).
 *
 * A report stopped by a gate is counted as suppressed (repeat or rate); a
 * report stopped by the rate gate does not mark its kind as written, so the
 * flow's next one of that kind may be written once the budget allows.  Hence
 * counted = events + suppressed_repeat + suppressed_rate, always.
 *
 * Kinds have exact small ids, so a flow's bitmap never confuses two kinds:
 * decode kinds are enum decode_event; stream and app-layer names are interned
 * at first use in bounded per-worker tables (one for stream, one per parser,
 * by enum app_proto).  Names past a table's size share its last slot, "other"
 * (counted as stats.anomaly.event.<layer>.other; in a flow's bitmap they share
 * one bit, so after one "other" event a flow's further "other" kinds are
 * suppressed as repeats: the only collision, and it needs a parser with more
 * than ANOMALY_APP_KINDS - 1 distinct names; the largest, dicom, has 42).
 *
 * Time is packet time only (ts_us from the packet being processed), never the
 * wall clock, so a capture replays exactly.  No allocation: the context is a
 * fixed-size struct owned by the worker.
 */
#ifndef MEDSENTRY_CORE_ANOMALY_H
#define MEDSENTRY_CORE_ANOMALY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/event.h"
#include "core/stats.h"

#define ANOMALY_STREAM_KINDS 8  /* stream names, the last slot is "other" (bits 0-7) */
#define ANOMALY_APP_KINDS    56 /* names per parser, the last slot is "other" (bits 8-63) */
#define ANOMALY_PARSERS      16 /* app-layer tables, by enum app_proto */
#define ANOMALY_APP_BIT0     ANOMALY_STREAM_KINDS

/* Interned names of one layer ("tcp" for stream, a parser's name) and how often each was reported. */
struct anomaly_table {
    const char *layer; /* NULL until the first report */
    uint32_t n;        /* names interned: at most the table's kinds less one */
    const char *name[ANOMALY_APP_KINDS - 1];
    uint64_t count[ANOMALY_APP_KINDS - 1];
    uint64_t other; /* reports of names that found the table full */
};

struct anomaly_ctx {
    uint32_t rate_limit; /* events per second of packet time; 0 = no budget */
    struct stats *stats;
    const struct event_bus *bus;
    uint64_t window_s;               /* the second of packet time the budget is counting */
    uint32_t window_events;          /* events written in it */
    uint64_t decode_sec[DEV__COUNT]; /* 1 + the second a decode kind was last written; 0 = never */
    struct anomaly_table stream;     /* capacity ANOMALY_STREAM_KINDS */
    struct anomaly_table app[ANOMALY_PARSERS];
    /* A worker of a threaded run applies gate 1 only (the flow is its own) and publishes every report that passes
     * it; gates 2 and 3 are global and applied by the correlator (struct anomaly_global), so that what is written
     * does not depend on how flows are spread over workers.  A kind is then marked written in its flow when it
     * passes gate 1, even if gate 3 stops it later. */
    bool local_only;
    int publishing_decode_kind; /* during a publish of a decode anomaly: its enum decode_event; else -1 */
};

/* Gates 2 and 3 on the correlator (see local_only above); counts anomaly_events and the suppressed ones. */
struct anomaly_global {
    uint32_t rate_limit;
    struct stats *stats;
    uint64_t window_s;
    uint32_t window_events;
    uint64_t decode_sec[DEV__COUNT];
};

void anomaly_global_init(struct anomaly_global *g, uint32_t rate_limit, struct stats *stats);
/* True if an anomaly event at ts_us (decode_kind: its enum decode_event, or -1 in a flow) may be written. */
bool anomaly_global_gate(struct anomaly_global *g, uint64_t ts_us, int decode_kind);
/* Add src's per-kind tables into dst, by name (the stats event of a run with several workers). */
void anomaly_ctx_merge_tables(struct anomaly_ctx *dst, const struct anomaly_ctx *src);

void anomaly_ctx_init(struct anomaly_ctx *ac, uint32_t rate_limit, struct stats *stats, const struct event_bus *bus);

struct flow;
struct decoded;

/* A decoder anomaly of packet d (no flow yet); counted by the caller in stats.decode_events. */
void anomaly_decode(struct anomaly_ctx *ac, uint64_t ts_us, const struct decoded *d, enum decode_event ev);
/* A TCP reassembly anomaly of flow f, direction dir (0 to server, 1 to client); event: a static string. */
void anomaly_stream(struct anomaly_ctx *ac, uint64_t ts_us, struct flow *f, int dir, const char *event);
/*
 * A parser's anomaly: parser = its enum app_proto (< ANOMALY_PARSERS), layer = its name; f may be NULL (parser
 * unit tests only: then only the rate gate applies).  event and layer: static strings; detail may be NULL.
 */
void anomaly_applayer(struct anomaly_ctx *ac, uint64_t ts_us, struct flow *f, enum event_dir dir, unsigned parser,
                      const char *layer, const char *event, const char *detail);

/* anomaly.*: the table is in anomaly.c. */
struct anomaly_cfg {
    uint32_t rate_limit; /* anomaly.rate-limit: anomaly events per second of packet time; 0 = no budget */
};
extern const struct config_module anomaly_config_module;

#endif
