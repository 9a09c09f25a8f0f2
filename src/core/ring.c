/*
 * ring.c - the SPSC ring (see ring.h for the memory ordering).
 */
#include "core/ring.h"

#include <stdlib.h>

int ring_init(struct ring *r, size_t capacity)
{
    size_t cap = 2;
    while (cap < capacity)
        cap <<= 1;
    r->slots = calloc(cap, sizeof(*r->slots));
    if (!r->slots)
        return -1;
    r->mask = cap - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->head_cache = r->tail_cache = 0;
    return 0;
}

void ring_free(struct ring *r)
{
    free(r->slots);
    r->slots = NULL;
}

size_t ring_capacity(const struct ring *r)
{
    return (size_t)r->mask + 1;
}

bool ring_push(struct ring *r, void *p)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed); /* ours */
    if (t - r->head_cache > r->mask) {
        r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
        if (t - r->head_cache > r->mask)
            return false;
    }
    r->slots[t & r->mask] = p;
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

void *ring_pop(struct ring *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed); /* ours */
    if (h == r->tail_cache) {
        r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h == r->tail_cache)
            return NULL;
    }
    void *p = r->slots[h & r->mask];
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return p;
}

size_t ring_count_producer(struct ring *r)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed); /* ours */
    r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
    return (size_t)(t - r->head_cache);
}
