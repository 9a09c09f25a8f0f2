/*
 * engine_cfg.h - the engine's own configuration keys (the tables are in
 * engine.c), apart from engine.h so that config_registry.h, which the workers
 * include for struct config, need not include the engine.
 */
#ifndef MEDSENTRY_ENGINE_CFG_H
#define MEDSENTRY_ENGINE_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

/* The sensor's own keys (log directory, eve.json, stats interval). */
struct engine_cfg {
    char logdir[512];          /* default-log-dir */
    bool eve_enabled;          /* outputs.eve.enabled */
    char eve_filename[256];    /* outputs.eve.filename: relative to logdir */
    uint32_t stats_interval_s; /* outputs.stats.interval: 0 = one stats event at the end only */
};
extern const struct config_module engine_config_module;

/* threading.*: worker threads (docs/DESIGN.md, "Across cores"). */
struct threading_cfg {
    /* threading.workers: 0 here = auto (main.c resolves it to the online CPUs before engine_init; an engine
     * given 0 runs inline, on the caller's thread, as the fuzz harness does) */
    uint32_t workers;
};
extern const struct config_module threading_config_module;

#endif
