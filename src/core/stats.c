#include "core/stats.h"

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
