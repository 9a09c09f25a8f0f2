#include "core/stats.h"

#include <stddef.h>

static const char *const dev_layer[] = {
#define X(e, layer, name) [DEV_##e] = layer,
    DECODE_EVENTS(X)
#undef X
};

static const char *const dev_name[] = {
#define X(e, layer, name) [DEV_##e] = name,
    DECODE_EVENTS(X)
#undef X
};

const char *decode_event_layer(enum decode_event e)
{
    return (unsigned)e < DEV__COUNT ? dev_layer[e] : "unknown";
}

const char *decode_event_name(enum decode_event e)
{
    return (unsigned)e < DEV__COUNT ? dev_name[e] : "unknown";
}

_Static_assert(sizeof(struct stats) % sizeof(uint64_t) == 0, "struct stats holds uint64_t counters only");

void stats_merge(struct stats *dst, const struct stats *src)
{
    uint64_t *d = (uint64_t *)(void *)dst;
    const uint64_t *s = (const uint64_t *)(const void *)src;
    for (size_t i = 0; i < sizeof(struct stats) / sizeof(uint64_t); i++)
        d[i] += s[i];
}
