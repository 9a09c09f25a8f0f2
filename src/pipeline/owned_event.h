/*
 * owned_event.h - an event that stands on its own, so it can be queued and
 * handed to another thread.
 *
 * A worker's producers publish `struct event`s whose flow, packet and body
 * point into live worker state (the flow table, a parser's transaction, a
 * stack buffer), valid only during the publish.  event_clone() deep-copies
 * such an event, with a snapshot of its flow (and that flow's two TCP stream
 * records), its packet's decoded fields and everything its body points to,
 * into ONE allocation: one malloc, one free, no pointer out of it except to
 * static tables (signature table entries, function-free constant data).
 * The snapshot's links into the worker (stream segments, app state, table
 * links, the packet bytes) are NULL, so no consumer can reach worker state.
 *
 * `struct event` and the body types are unchanged: a subscriber on the
 * correlator's bus reads the clone exactly as it read the original.
 *
 * The ordering key says where the event stands in the one order the
 * correlator writes, whatever the number of workers (docs/DESIGN.md,
 * "Across cores"): the sequence number of the unit that caused it (a packet,
 * a time tick, the end of input; the reader numbers them), the phase within
 * that unit, the flow's order (the sequence number of its last packet, which
 * is the order of the flow table's LRU list), and the index of the event
 * within what its worker emitted for that unit.
 */
#ifndef MEDSENTRY_PIPELINE_OWNED_EVENT_H
#define MEDSENTRY_PIPELINE_OWNED_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"

/* Phases of a unit, in the order their events are written. */
enum unit_phase {
    PHASE_PACKET = 0,  /* the packet's own processing */
    PHASE_TICK_STREAM, /* tick: gap timeouts of quiet flows (stream_timeout) */
    PHASE_TICK_FLOW,   /* tick: flows ended by timeout */
    PHASE_TICK_CORR,   /* tick: the correlator's own tick (store, periodic stats, live flush) */
    PHASE_END_FLOW,    /* end of input: every flow ended */
};

struct event_key {
    uint64_t seq;   /* unit: packet, tick or end, numbered by the reader */
    uint32_t phase; /* enum unit_phase */
    uint32_t idx;   /* the event's index within its worker's unit */
    uint64_t order; /* tick and end phases: the flow's last packet sequence number; 0 otherwise */
};

/* -1, 0, 1. */
static inline int event_key_cmp(const struct event_key *a, const struct event_key *b)
{
    if (a->seq != b->seq)
        return a->seq < b->seq ? -1 : 1;
    if (a->phase != b->phase)
        return a->phase < b->phase ? -1 : 1;
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    if (a->idx != b->idx)
        return a->idx < b->idx ? -1 : 1;
    return 0;
}

enum owned_kind {
    OWNED_EVENT = 0, /* ev is an event */
    OWNED_TICK,      /* a time tick for the correlator: ev.ts_us is the time; no body */
    OWNED_WSTATS,    /* a worker's counters for a periodic stats event (src/pipeline/threads.c) */
};

struct owned_event {
    enum owned_kind kind;
    int decode_kind; /* EVENT_ANOMALY of a decode kind: its enum decode_event (global gate), else -1 */
    struct event_key key;
    struct owned_event *next; /* the holder's queue link */
    size_t size;              /* bytes of the allocation */
    uint64_t aux;             /* OWNED_TICK: the first packet's time (uptime of periodic stats) */
    struct event ev;          /* flow, pkt and body point into this allocation */
};

/* A deep copy of ev in one allocation (free with free()), or NULL when out of memory or when the type is not
 * produced by workers (asset, stats: correlator-side). */
struct owned_event *event_clone(const struct event *ev);
/* Bytes event_clone() would allocate for ev; 0 for a type it does not clone. */
size_t event_clone_size(const struct event *ev);
/* A tick record for the correlator (free with free()); NULL when out of memory. */
struct owned_event *owned_tick_new(uint64_t ts_us);

#endif
