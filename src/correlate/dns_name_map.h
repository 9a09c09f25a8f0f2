/*
 * dns_name_map.h - which name an address was resolved from: a bounded IP -> name map fed by DNS answers.
 *
 * Detection needs to tie a connection to the lookup that preceded it: an HTTP request to an address that a DNS
 * answer gave for "update.example" a second earlier, or a connection to an address no lookup produced ("raw IP",
 * what a hard-coded C2 address looks like).  That is cross-flow state, so it lives here, on the correlator side,
 * as an event-bus subscriber like the asset inventory: the DNS parser knows nothing of it.
 *
 * Fed by `dns` answer events with rcode NOERROR: every A and AAAA record of the answer section (class IN) maps its
 * address to the question's name (the name the client asked for), and to the record's owner name when that
 * differs (the end of a CNAME chain), with the time of the answer and the record's TTL.  A later answer for the
 * same address replaces the entry (the most recent resolution wins).
 *
 * Bounded twice: at most `dns.name-map-size` entries (default 65,536), and every byte (hash index, entries, their
 * names) charged to `dns.name-map-memcap` (default 16 MiB).  When either is reached the least recently used entry
 * (inserted, refreshed or looked up) is evicted, counted in stats.dns.name_map.evicted.  An entry costs about 80
 * bytes plus its names; the hash index 8 bytes per entry allowed.  One map per worker.
 */
#ifndef MEDSENTRY_CORRELATE_DNS_NAME_MAP_H
#define MEDSENTRY_CORRELATE_DNS_NAME_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/event.h"
#include "core/memcap.h"

struct stats;

struct dns_name_map_cfg {
    uint32_t size;   /* dns.name-map-size: entries; 0 = no map */
    uint64_t memcap; /* dns.name-map-memcap */
};
/* dns.name-map-*: the key table is in dns_name_map.c. */
extern const struct config_module dns_name_map_config_module;

struct dns_name_entry;

struct dns_name_map {
    struct memcap mc;
    uint32_t max_entries;
    struct dns_name_entry **buckets;
    uint32_t mask;
    uint64_t hash_seed;
    uint32_t n;
    struct dns_name_entry *lru_head, *lru_tail; /* most / least recently used */
    struct stats *stats;                        /* dns_names_entries, dns_names_evicted */
};

/* What a lookup returns.  The strings belong to the map: valid until its next change. */
struct dns_name_hit {
    const char *name;  /* the question name of the answer */
    const char *cname; /* the A/AAAA record's owner name when it differs from name (a CNAME chain), else NULL */
    uint64_t resolved_us;
    uint32_t ttl;
    bool expired; /* now is past resolved_us + ttl (the client may still use it: resolvers and clients cache) */
};

/* Set up the map and, when bus is given, subscribe it to `dns` events.  0, or -1 with one sentence in err (the
 * memcap cannot hold the hash index, or the bus is full).  cfg->size 0: an empty map that never holds anything. */
int dns_name_map_init(struct dns_name_map *map, const struct dns_name_map_cfg *cfg, struct event_bus *bus,
                      struct stats *stats, char *err, size_t errlen);
void dns_name_map_free(struct dns_name_map *map);

/* The event-bus subscriber (exposed for tests). */
void dns_name_map_on_event(void *user, const struct event *ev);

/* Map ip to name (and cname, may be NULL) resolved at now_us with ttl.  false when nothing could be stored. */
bool dns_name_map_add(struct dns_name_map *map, const struct ip_addr *ip, const char *name, const char *cname,
                      uint32_t ttl, uint64_t now_us);

/* The name ip was last resolved from; counts as a use for the LRU order.  false when the map does not know ip. */
bool dns_name_map_lookup(struct dns_name_map *map, const struct ip_addr *ip, uint64_t now_us, struct dns_name_hit *out);

#endif
