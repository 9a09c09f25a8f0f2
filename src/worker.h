/*
 * worker.h - the packet side of the pipeline: decode -> flow -> stream -> app
 * layer, producing owned events (pipeline/owned_event.h).  A worker owns its
 * flows, streams and parser state (shared-nothing); what it publishes on its
 * bus is cloned, tagged with its ordering key and handed to `emit`, which
 * queues it for the correlator (engine.c), inline or on another thread.
 *
 * Time moves in units the reader numbers: a packet, a tick (every second of
 * packet time, given to every worker: the only place flows and defragmented
 * datagrams time out and quiet flows' holes are given up, so that this happens
 * at the same global point whatever worker owns the flow), and the end.
 */
#ifndef MEDSENTRY_WORKER_H
#define MEDSENTRY_WORKER_H

#include <stdbool.h>

#include "app/app.h"
#include "core/anomaly.h"
#include "config_registry.h"
#include "core/event.h"
#include "core/stats.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "flow/stream.h"
#include "pipeline/owned_event.h"

typedef void (*worker_emit_fn)(void *user, struct owned_event *oe);

/* Memcaps a worker owns: each worker gets 1/N of the configured value (engine.c, worker_config_share). */
enum { WORKER_MEMCAPS = 5 };

struct worker {
    unsigned id;
    struct config cfg; /* the run's configuration with this worker's share of every per-worker budget */
    struct stats stats;
    struct event_bus bus;         /* one subscriber: worker_forward (clone, tag, emit) */
    struct anomaly_ctx anomalies; /* gate 1 only (local_only): the flow's own repeats */
    struct decode_ctx dec;
    struct flow_table flows;
    struct stream_ctx stream;
    struct app_layer app;
    const char *dump_dir; /* --dump-streams */
    uint64_t now_us;      /* packet time: the reader's running maximum */
    struct event_key key; /* of the unit being processed; idx counts its events */
    /* PHASE_TICK_STREAM: events are held and sorted by flow order before they go (the held-flow list is in no
     * order that another worker could reproduce) */
    bool holding;
    struct owned_event **hold;
    size_t n_hold, cap_hold;
    worker_emit_fn emit;
    void *emit_user;
};

/* cfg is copied; share: the number of workers the per-worker budgets are divided by.  0, or -1 with err. */
int worker_init(struct worker *w, unsigned id, const struct config *cfg, unsigned share, const char *dump_dir,
                worker_emit_fn emit, void *emit_user, char *err, size_t errlen);
/* now_us: the reader's packet time (running maximum over every packet so far, whatever worker had it). */
void worker_packet(struct worker *w, uint64_t seq, uint64_t now_us, const struct packet *pkt);
void worker_tick(struct worker *w, uint64_t seq, uint64_t now_us);
/* End of input: every flow ends; now_us: the reader's packet time (the events of what ends carry it). */
void worker_finish(struct worker *w, uint64_t seq, uint64_t now_us);
void worker_free(struct worker *w);
/* The worker's budgets, for the stats event: flow, stream, defrag, app, files (NULL when off). */
void worker_memcaps(const struct worker *w, const struct memcap *out[WORKER_MEMCAPS]);

#endif
