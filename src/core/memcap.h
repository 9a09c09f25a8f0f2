/*
 * memcap.h - a byte budget for one kind of state (flows, reassembly, defrag,
 * parser buffers).  Each subsystem owns one; allocation that would pass the cap
 * fails and is counted in `hits`, and the caller degrades (evicts, drops the
 * segment, stops parsing the flow) instead of growing.  A memcap belongs to one
 * worker, so it needs no locking.
 */
#ifndef MEDSENTRY_CORE_MEMCAP_H
#define MEDSENTRY_CORE_MEMCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct memcap {
    const char *name; /* for stats: "flow", "stream", "defrag", "app" */
    uint64_t cap;     /* bytes; 0 = no budget at all (every reserve fails) */
    uint64_t used;
    uint64_t peak;
    uint64_t hits; /* reservations refused */
};

static inline void memcap_init(struct memcap *mc, const char *name, uint64_t cap)
{
    mc->name = name;
    mc->cap = cap;
    mc->used = mc->peak = mc->hits = 0;
}

/* Reserve n bytes of budget; false (and hits++) if it would pass the cap. */
static inline bool memcap_reserve(struct memcap *mc, size_t n)
{
    if (n > mc->cap || mc->used > mc->cap - n) {
        mc->hits++;
        return false;
    }
    mc->used += n;
    if (mc->used > mc->peak)
        mc->peak = mc->used;
    return true;
}

static inline void memcap_release(struct memcap *mc, size_t n)
{
    mc->used = n > mc->used ? 0 : mc->used - n;
}

/* malloc/calloc/free that charge the budget.  The caller passes the size back to mc_free. */
void *mc_malloc(struct memcap *mc, size_t n);
void *mc_calloc(struct memcap *mc, size_t n);
void mc_free(struct memcap *mc, void *p, size_t n);
/* Grow or shrink a block; on failure the old block is untouched and NULL is returned. */
void *mc_realloc(struct memcap *mc, void *p, size_t old_n, size_t new_n);

#endif
