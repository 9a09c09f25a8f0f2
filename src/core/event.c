#include "core/event.h"

static const char *const event_names[EVENT__COUNT] = {
    [EVENT_FLOW] = "flow", [EVENT_ANOMALY] = "anomaly", [EVENT_STATS] = "stats",       [EVENT_DICOM] = "dicom",
    [EVENT_SMB] = "smb",   [EVENT_DCERPC] = "dcerpc",   [EVENT_FILEINFO] = "fileinfo", [EVENT_ASSET] = "asset",
    [EVENT_TLS] = "tls",   [EVENT_ALERT] = "alert",     [EVENT_HTTP] = "http",         [EVENT_DNS] = "dns",
    [EVENT_HL7] = "hl7",
};

const char *event_type_name(enum event_type t)
{
    return (unsigned)t < EVENT__COUNT && event_names[t] ? event_names[t] : "unknown";
}

int event_bus_subscribe(struct event_bus *bus, uint32_t type_mask, event_fn fn, void *user)
{
    if (bus->n >= EVENT_BUS_MAX_SUBSCRIBERS)
        return -1;
    bus->subs[bus->n].fn = fn;
    bus->subs[bus->n].user = user;
    bus->subs[bus->n].type_mask = type_mask;
    bus->n++;
    return 0;
}
