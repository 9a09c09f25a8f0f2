/*
 * threads.h - the threaded run of an engine (engine.h): the caller's thread
 * reads and hands packets over, N worker threads, one correlator thread.
 *
 *   reader ──batches──▶ ring ▶ worker 0 ──owned events──▶ ring ┐
 *          ──batches──▶ ring ▶ worker 1 ──owned events──▶ ring ┼─▶ correlator (merge by key) ▶ bus ▶ outputs
 *          ...                                                  ┘
 *
 * Reader.  For each unit it assigns the next sequence number (engine.c); a
 * packet is copied into the current batch of the worker packet_worker() names,
 * a tick into every worker's batch.  Batches go out in rounds: every worker
 * gets one batch per round, empty or not, stamped with the last sequence
 * number of the round, when MT_ROUND_UNITS units were added, a batch is full,
 * after a tick, and at the end.  A worker that finishes a batch publishes that
 * number as its watermark (release) and gives the batch back on a second ring,
 * so batch memory is fixed: MT_BATCHES per worker.
 *
 * Correlator.  A k-way merge: it holds at most one event per worker (the head
 * of its ring) and writes the smallest key once every worker without a held
 * event has a watermark at or past that key's sequence number (watermark read
 * with acquire before the ring is looked at again: an empty ring after that
 * means nothing at or below the watermark is still coming).  The rings are
 * the reorder window; nothing else is buffered, so memory is bounded by
 * MT_OUT_EVENTS owned events per worker, and none is dropped: a worker whose
 * ring is full waits.  No deadlock: the smallest pending key always belongs
 * to the worker furthest behind, whose events the correlator can always take.
 */
#ifndef MEDSENTRY_PIPELINE_THREADS_H
#define MEDSENTRY_PIPELINE_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"
#include "pipeline/owned_event.h"

#define ENGINE_MAX_WORKERS 64                  /* = MERGE_MAX_SOURCES */
#define MT_BATCH_ENTRIES   256                 /* units per batch */
#define MT_BATCH_BYTES     (256u * 1024 + 256) /* packet bytes per batch: any frame libpcap hands over fits */
#define MT_ROUND_UNITS     256                 /* units per round, over all workers */
#define MT_BATCHES         8                   /* batches per worker: in flight, being filled, being processed */
#define MT_OUT_EVENTS      1024                /* owned events queued per worker for the correlator */

struct engine;

int engine_mt_init(struct engine *e, char *err, size_t errlen);
void engine_mt_packet(struct engine *e, uint64_t seq, const struct packet *pkt);
void engine_mt_tick(struct engine *e, uint64_t seq, uint64_t now_us);
/* Live and idle: hand over what the batches hold. */
void engine_mt_idle(struct engine *e);
/* Reader: hand over what the batches hold and wait until the correlator has delivered every event of every unit
 * given out so far (it is then idle until the next unit: SIGHUP reopens eve.json between two packets). */
void engine_mt_sync(struct engine *e);
/* End of input (unit seq): workers end their flows, the correlator writes everything; threads joined. */
void engine_mt_finish(struct engine *e, uint64_t seq);
/* Stops and joins the threads if they still run, frees rings and batches. */
void engine_mt_free(struct engine *e);
/* Worker side: queue an owned event for the correlator (user: the worker's queue). */
void engine_mt_emit(void *user, struct owned_event *oe);
/*
 * Live capture read by the workers themselves (AF_PACKET fanout: one socket per worker; docs/DESIGN.md, "Live
 * capture").  There is no reader: each worker numbers its own units from packet time, so that the correlator's
 * merge still has one order.  Unit seq = (microseconds since the start of the run) << MT_LIVE_SHIFT | slot: slot 0
 * is a tick, slot 1 + id a packet of worker id; a worker's clock only moves forward (a packet stamped no later than
 * its previous unit gets the previous time + 1 us), so its units ascend and no two workers share one.  A tick falls
 * on every whole second of that clock (every worker ticks at the same points; a quiet worker moves its clock with
 * the wall clock every MT_LIVE_POLL_MS, so its flows time out and its watermark lets the others' events through).
 * After each unit the worker's watermark is its clock << MT_LIVE_SHIFT | all slots: its next unit is later.
 */
#define MT_LIVE_SHIFT   7  /* slots: the tick and 64 workers */
#define MT_LIVE_POLL_MS 50 /* a quiet worker's wait for packets, and so the lag of its watermark */

struct mt_live_ops {
    /* the next packet of worker i's socket, waiting at most timeout_ms: 1 packet, 0 none, -1 error (err set) */
    int (*next)(void *user, unsigned worker, struct packet *pkt, int timeout_ms, char *err, size_t errlen);
    /* read worker i's kernel counters (called on worker i's thread: at each tick and at the end) */
    void (*stats)(void *user, unsigned worker);
    void *user;
};

/* Start the workers and the correlator on live sockets (ops stays valid until engine_mt_live_stop). */
void engine_mt_live_start(struct engine *e, const struct mt_live_ops *ops);
/* False once a worker could not read its socket (it said why on stderr; the others stop too). */
bool engine_mt_live_ok(struct engine *e);
/* SIGHUP: the correlator reopens the output files before its next event. */
void engine_mt_live_reopen(struct engine *e);
/* Stop: each worker takes what its ring holds, ends its flows; threads joined.  The engine's packet time, first
 * packet time and packet count are then the workers'; engine_finish writes the rest. */
void engine_mt_live_stop(struct engine *e);

/* Correlator side: a worker's stats snapshot (kept until the next), and the periodic stats event at a tick. */
void engine_mt_keep_snapshot(struct engine *e, struct owned_event *oe);
void engine_mt_stats(struct engine *e, uint64_t ts_us, uint64_t first_ts_us);

#endif
