/* memcap.c - allocation against a byte budget; see memcap.h. */
#include "core/memcap.h"

#include <stdlib.h>

void *mc_malloc(struct memcap *mc, size_t n)
{
    if (!memcap_reserve(mc, n))
        return NULL;
    void *p = malloc(n ? n : 1);
    if (!p)
        memcap_release(mc, n);
    return p;
}

void *mc_calloc(struct memcap *mc, size_t n)
{
    if (!memcap_reserve(mc, n))
        return NULL;
    void *p = calloc(1, n ? n : 1);
    if (!p)
        memcap_release(mc, n);
    return p;
}

void mc_free(struct memcap *mc, void *p, size_t n)
{
    if (!p)
        return;
    free(p);
    memcap_release(mc, n);
}

void *mc_realloc(struct memcap *mc, void *p, size_t old_n, size_t new_n)
{
    if (new_n > old_n && !memcap_reserve(mc, new_n - old_n))
        return NULL;
    void *q = realloc(p, new_n ? new_n : 1);
    if (!q) {
        if (new_n > old_n)
            memcap_release(mc, new_n - old_n);
        return NULL;
    }
    if (new_n < old_n)
        memcap_release(mc, old_n - new_n);
    return q;
}
