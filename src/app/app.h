/*
 * app.h - the application-layer framework: parser registry, protocol
 * detection, per-flow parser state, and the API parsers use to emit events.
 *
 * A parser is a `struct app_parser`: a name (the EVE app_proto), a
 * configuration module (its keys, among them its port hints), a probe that says from the first bytes of one direction
 * whether the flow is its protocol, and incremental callbacks fed one direction's in-order bytes at a time (TCP after
 * reassembly; UDP one datagram per call).  The framework
 *   - buffers the first bytes of each direction (up to app.probe-depth) and
 *     tries the parsers whose port hints match first, then all the others;
 *   - on a match creates the parser state, replays the buffered bytes, and from
 *     then on passes every chunk, gap and the close to the parser;
 *   - when every parser says no (or the probe depth is reached) marks the flow
 *     "failed" (EVE app_proto "failed", as Suricata does) and stops looking.
 * Parsers live in src/app/<proto>/ and are listed in app_registry.c.
 */
#ifndef MEDSENTRY_APP_APP_H
#define MEDSENTRY_APP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/anomaly.h"
#include "core/config.h"
#include "core/event.h"
#include "core/memcap.h"
#include "core/stats.h"

struct flow;
struct file_tracker;

enum app_proto {
    APP_UNKNOWN = 0, /* no payload yet, or still probing */
    APP_FAILED,      /* payload seen, no parser recognised it */
    APP_DICOM,
    APP_SMB,
    APP_DCERPC,
    APP_HTTP,
    APP_DNS,
    APP_TLS,
    APP_HL7,
    APP__COUNT
};

/* EVE app_proto name; NULL for APP_UNKNOWN (the field is left out). */
const char *app_proto_name(enum app_proto p);

enum probe_result {
    PROBE_NO,    /* not this protocol */
    PROBE_MAYBE, /* not enough bytes to tell */
    PROBE_YES,
};

struct app_ctx;

/*
 * The first member of every parser's configuration struct: app-layer.protocols.<name>.enabled and .ports (hints:
 * flows to these server ports try the parser first; any port is probed).  APP_PROTO_CONFIG_KEYS are its rows in
 * the parser's key table, T being the parser's struct with this as member `proto`.
 */
struct app_proto_cfg {
    bool enabled;
    struct config_ports ports;
};
#define APP_PROTO_CONFIG_KEYS(T, name, ports_default)                                       \
    CONFIG_KEY_BOOL(T, proto.enabled, "app-layer.protocols." name ".enabled", "yes", NULL), \
        CONFIG_KEY_PORTS(T, proto.ports, "app-layer.protocols." name ".ports", ports_default, NULL)
#define APP_PROTO_CONFIG_CHECK(T) _Static_assert(offsetof(T, proto) == 0, #T ": struct app_proto_cfg must come first")

/* UDP: datagrams a port-hinted parser may look at before the flow is "failed" (a first datagram that is not
 * the protocol, then the real thing: suricata-verify dns-udp-junkrequest-first). */
#define APP_UDP_REPROBE 4

struct app_parser {
    const char *name;
    enum app_proto proto;
    uint8_t ipproto; /* 6 (TCP) or 17 (UDP) */
    /* The parser's keys; its struct starts with struct app_proto_cfg.  Parsers of one protocol (DNS over UDP and
     * TCP) share one module and one struct.  NULL: no keys (always enabled, no port hints unless given one). */
    const struct config_module *config;
    /* Look at the first bytes of direction dir (0 to server, 1 to client).  Must not keep data. */
    enum probe_result (*probe)(const uint8_t *data, size_t len, int dir);
    /* Per-flow state, allocated against ctx's app memcap (app_alloc); NULL means "cannot". */
    void *(*state_new)(struct app_ctx *ctx);
    void (*state_free)(struct app_ctx *ctx, void *state);
    /* In-order bytes of one direction.  May be any size from 1 byte up. */
    void (*on_data)(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len);
    /* len bytes of direction dir were lost: resynchronise or give up. May be NULL. */
    void (*on_gap)(struct app_ctx *ctx, void *state, int dir, uint64_t len);
    /* The flow ended (FIN/RST, timeout, eviction, end of capture): emit what is pending. May be NULL. */
    void (*on_close)(struct app_ctx *ctx, void *state);
};

/* The per-flow part, embedded in struct flow. */
struct app_flow {
    enum app_proto proto;
    const struct app_parser *parser;
    void *state;
    uint8_t *probe_buf[2]; /* bytes buffered while probing, per direction */
    uint32_t probe_len[2];
    uint32_t probe_cap[2];
    uint32_t probe_seen[2]; /* bytes probed per direction (up to probe_depth) */
    uint32_t tried[2];      /* bitmask by registry index of parsers that said PROBE_NO */
    uint8_t first_dir;      /* direction that sent payload first */
    uint8_t udp_probed;     /* UDP datagrams probed without a match (bounded by APP_UDP_REPROBE) */
    bool gap_during_probe;
};

/* app-layer.probe-depth and app-layer.memcap: the table is in app.c; each parser owns its own keys. */
struct app_cfg {
    uint32_t probe_depth; /* bytes per direction buffered for detection */
    uint64_t memcap;      /* probe buffers and parser state, all flows */
};
extern const struct config_module app_config_module;

/* PHI handling for parsers that see patient data (DICOM): privacy.log-phi and the key loaded at start. */
struct app_phi {
    bool log_phi;
    const uint8_t *key; /* NULL: PHI is redacted */
    size_t key_len;
};

/* The worker's app layer: registry, memcap, and where events go. */
struct app_layer {
    struct app_cfg cfg;
    const struct app_parser *const *parsers;
    size_t n_parsers;
    const struct app_parser *enabled[32]; /* the registry less the disabled protocols */
    struct memcap mc;
    struct stats *stats;
    const struct event_bus *bus;
    /* Each protocol's configuration (its parser module's struct, starting with struct app_proto_cfg), by enum
     * app_proto: given to app_layer_init, or the module's defaults (own_cfg, freed by app_layer_free). */
    const void *parser_cfg[APP__COUNT];
    void *own_cfg[APP__COUNT];
    struct app_phi phi;         /* set by the engine; zero = redact */
    struct file_tracker *files; /* per-worker file tracker (src/files/); NULL = no file tracking */
    uint64_t now_us;            /* packet time of the packet being processed */
    /* Where app_anomaly() reports: the worker's limiter.  Not set by app_layer_init: the engine sets it, and so
     * does any harness that drives an app layer without an engine (unit tests, fuzzers) before it feeds data. */
    struct anomaly_ctx *anomaly;
};

/* What a parser callback gets: the flow, the clock, and the way out for events. */
struct app_ctx {
    struct app_layer *al;
    struct flow *flow;
    uint64_t ts_us;
};

/* parser_cfg: APP__COUNT pointers by enum app_proto, each to that protocol's configuration struct; NULL (the array
 * or an entry) = the parser module's defaults.  0, or -1 when memory for those defaults cannot be had. */
int app_layer_init(struct app_layer *al, const struct app_cfg *cfg, struct stats *stats, const struct event_bus *bus,
                   const void *const *parser_cfg);
void app_layer_free(struct app_layer *al);

/* Use a specific registry (tests); the default is app_registry[].  -1 when defaults cannot be allocated. */
int app_layer_set_parsers(struct app_layer *al, const struct app_parser *const *parsers, size_t n);

/* For parsers: the configuration of protocol p (never NULL for a registered parser with a config module). */
static inline const void *app_parser_cfg(const struct app_layer *al, enum app_proto p)
{
    return al->parser_cfg[p];
}

/* Feed a flow's in-order bytes, gaps and end (called by the engine from the stream sink / UDP path). */
void app_on_data(struct app_layer *al, struct flow *f, int dir, const uint8_t *data, size_t len);
void app_on_gap(struct app_layer *al, struct flow *f, int dir, uint64_t len);
void app_on_close(struct app_layer *al, struct flow *f);

/* For parsers: publish a typed event of this flow (ts and flow filled in). */
void app_emit(struct app_ctx *ctx, enum event_type type, int dir, const void *body);
/* For parsers: report a malformed-input anomaly (type "applayer"): always counted, written as an event at most once
 * per flow and kind and within anomaly.rate-limit (core/anomaly.h).  event: a static string, not packet bytes. */
void app_anomaly(struct app_ctx *ctx, int dir, const char *event, const char *detail);
/* For parsers: memory charged to the app memcap. */
void *app_alloc(struct app_ctx *ctx, size_t n); /* zeroed; NULL on cap */
void app_free(struct app_ctx *ctx, void *p, size_t n);

/* app_registry.c */
extern const struct app_parser *const app_registry[];
extern const size_t app_registry_count;

#endif
