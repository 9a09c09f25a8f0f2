/*
 * merge.h - the correlator's k-way merge of the workers' event queues.
 *
 * Each source is a worker: an SPSC ring of owned events in ascending key
 * order (the worker emits them so) and a watermark, the sequence number of
 * the last unit the worker has finished (UINT64_MAX once it has ended), stored
 * with release after the unit's events were pushed.  The merge holds at most
 * one event per source (the head of its ring) and gives out the smallest key
 * once every source without a held event has a watermark at or past that
 * key's unit: such a source can only produce larger keys later.  The
 * watermark is loaded (acquire) before the ring is looked at again, so an
 * empty ring then means nothing up to the watermark is still coming.
 *
 * The rings are the whole reorder window: nothing else is buffered, and a
 * worker whose ring is full waits (threads.h says why that cannot deadlock).
 */
#ifndef MEDSENTRY_PIPELINE_MERGE_H
#define MEDSENTRY_PIPELINE_MERGE_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/ring.h"
#include "core/wake.h"
#include "pipeline/owned_event.h"

#define MERGE_MAX_SOURCES 64

struct merge_source {
    struct ring *ring;
    _Atomic uint64_t *watermark;
    struct wake *popped; /* notified after every pop (the worker may wait for room in its ring); NULL: none */
};

struct merge {
    unsigned n;
    struct merge_source src[MERGE_MAX_SOURCES];
    struct owned_event *head[MERGE_MAX_SOURCES];
};

enum merge_rc {
    MERGE_EVENT, /* *out is the next event in key order (the caller owns it) */
    MERGE_WAIT,  /* a source may still produce a smaller key: try again later */
    MERGE_DONE,  /* every source ended and is empty */
};

void merge_init(struct merge *m, unsigned n, const struct merge_source *src);
enum merge_rc merge_next(struct merge *m, struct owned_event **out);
/* The sequence number the merge waits for: the smallest held key's (some source's watermark must reach it), or
 * UINT64_MAX when it holds no event (it waits for events). */
uint64_t merge_need(const struct merge *m);
/* Frees the held events (a merge abandoned before MERGE_DONE). */
void merge_free(struct merge *m);

#endif
