/*
 * merge.c - k-way merge by event key under watermarks (see merge.h).
 */
#include "pipeline/merge.h"

#include <stdlib.h>
#include <string.h>

static struct owned_event *pop(const struct merge_source *s)
{
    struct owned_event *oe = ring_pop(s->ring);
    if (oe && s->popped)
        wake_notify(s->popped);
    return oe;
}

void merge_init(struct merge *m, unsigned n, const struct merge_source *src)
{
    memset(m, 0, sizeof(*m));
    m->n = n < MERGE_MAX_SOURCES ? n : MERGE_MAX_SOURCES;
    for (unsigned i = 0; i < m->n; i++)
        m->src[i] = src[i];
}

enum merge_rc merge_next(struct merge *m, struct owned_event **out)
{
    *out = NULL;
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < m->n; i++) {
            if (!m->head[i])
                m->head[i] = pop(&m->src[i]);
            if (m->head[i] && (best < 0 || event_key_cmp(&m->head[i]->key, &m->head[best]->key) < 0))
                best = (int)i;
        }
        uint64_t need = best >= 0 ? m->head[best]->key.seq : UINT64_MAX;
        bool ready = true, fresh = false, ended = true;
        for (unsigned i = 0; i < m->n; i++) {
            if (m->head[i])
                continue;
            /* the watermark first, then the ring */
            uint64_t wm = atomic_load_explicit(m->src[i].watermark, memory_order_acquire);
            if ((m->head[i] = pop(&m->src[i])) != NULL) {
                fresh = true;
                break;
            }
            if (wm != UINT64_MAX) {
                ended = false;
                if (wm < need)
                    ready = false;
            }
        }
        if (fresh)
            continue; /* an event arrived meanwhile: it may be the smallest */
        if (best < 0)
            return ended ? MERGE_DONE : MERGE_WAIT;
        if (!ready)
            return MERGE_WAIT;
        *out = m->head[best];
        m->head[best] = NULL;
        return MERGE_EVENT;
    }
}

uint64_t merge_need(const struct merge *m)
{
    uint64_t need = UINT64_MAX;
    for (unsigned i = 0; i < m->n; i++)
        if (m->head[i] && m->head[i]->key.seq < need)
            need = m->head[i]->key.seq;
    return need;
}

void merge_free(struct merge *m)
{
    for (unsigned i = 0; i < m->n; i++) {
        free(m->head[i]);
        m->head[i] = NULL;
    }
}
