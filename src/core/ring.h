/*
 * ring.h - a bounded single-producer, single-consumer ring of pointers.
 *
 * One thread pushes, one other thread pops; nothing else touches it.  The
 * producer publishes a slot by a release store of `tail` after writing it; the
 * consumer reads `tail` with acquire before reading the slot, and gives the
 * slot back by a release store of `head` after reading it, which the producer
 * reads with acquire before reusing the slot.  Each side keeps a private copy
 * of the other's index and reloads it only when the ring looks full (or
 * empty), so the shared cache lines move once per batch of operations, not
 * once per operation.  Indices run freely (64 bits do not wrap in practice);
 * the capacity is a power of two and a slot is index & mask.
 */
#ifndef MEDSENTRY_CORE_RING_H
#define MEDSENTRY_CORE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_CACHELINE 64

struct ring {
    _Alignas(RING_CACHELINE) _Atomic uint64_t head; /* next slot to pop: written by the consumer */
    uint64_t tail_cache;                            /* consumer's copy of tail */
    _Alignas(RING_CACHELINE) _Atomic uint64_t tail; /* next slot to push: written by the producer */
    uint64_t head_cache;                            /* producer's copy of head */
    _Alignas(RING_CACHELINE) uint64_t mask;
    void **slots;
};

/* capacity: rounded up to a power of two, at least 2.  0, or -1 when out of memory. */
int ring_init(struct ring *r, size_t capacity);
void ring_free(struct ring *r);
size_t ring_capacity(const struct ring *r);

/* Producer: false when full (nothing is written). */
bool ring_push(struct ring *r, void *p);
/* Consumer: the oldest pointer, or NULL when empty. */
void *ring_pop(struct ring *r);
/* Producer: how many pointers the ring holds (at least; the consumer may have taken some meanwhile). */
size_t ring_count_producer(struct ring *r);

#endif
