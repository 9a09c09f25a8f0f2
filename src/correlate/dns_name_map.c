/*
 * dns_name_map.c - the IP -> name map (see dns_name_map.h).
 *
 * Entries are allocated one by one with their names in the same block (the question name, a NUL, the owner name
 * when it differs, a NUL), chained in a fixed hash index sized at start for dns.name-map-size entries (a power of
 * two, per-map random seed), and kept in one list by last use.  Adding evicts from the cold end of that list
 * while the map is at its size or the memcap refuses the block.  Nothing here depends on the DNS parser but the
 * event it publishes.
 */
#include "correlate/dns_name_map.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app/dns/dns.h"
#include "core/hash.h"
#include "core/stats.h"

static const struct config_key dns_name_map_keys[] = {
    CONFIG_KEY_U32(struct dns_name_map_cfg, size, "dns.name-map-size", 0, 1u << 24, "65536",
                   "IP -> name map fed by DNS answers (A/AAAA), for tying later connections to the lookup that "
                   "preceded them.\nEntries; 0 = no map. When full, the least recently used entry is evicted "
                   "(stats.dns.name_map.evicted)."),
    CONFIG_KEY_SIZE(struct dns_name_map_cfg, memcap, "dns.name-map-memcap", 64 * CONFIG_KB, 64 * CONFIG_GB, "16mb",
                    "Bytes for the map: hash index (8 bytes per entry allowed), entries (~80 bytes) and their names."),
};

const struct config_module dns_name_map_config_module = {
    .name = "dns-name-map",
    .keys = dns_name_map_keys,
    .n = sizeof(dns_name_map_keys) / sizeof(dns_name_map_keys[0]),
    .struct_size = sizeof(struct dns_name_map_cfg),
};

struct dns_name_entry {
    struct ip_addr ip;
    uint32_t ttl;
    uint64_t resolved_us;
    struct dns_name_entry *hnext;
    struct dns_name_entry *lru_prev, *lru_next;
    uint16_t name_len, cname_len; /* cname_len 0: none */
    size_t size;                  /* bytes of this block, as charged */
    char text[];                  /* name NUL [cname NUL] */
};

#define MAP_HASH_MAX (1u << 24)

int dns_name_map_init(struct dns_name_map *map, const struct dns_name_map_cfg *cfg, struct event_bus *bus,
                      struct stats *stats, char *err, size_t errlen)
{
    memset(map, 0, sizeof(*map));
    map->stats = stats;
    map->max_entries = cfg->size;
    memcap_init(&map->mc, "dns_names", cfg->memcap);
    if (cfg->size == 0)
        return 0;
    uint32_t nb = 1024;
    while (nb < cfg->size && nb < MAP_HASH_MAX)
        nb *= 2;
    map->buckets = mc_calloc(&map->mc, (size_t)nb * sizeof(*map->buckets));
    if (!map->buckets) {
        snprintf(err, errlen, "dns.name-map-memcap (%llu bytes) cannot hold the name map's hash index (%zu bytes)",
                 (unsigned long long)cfg->memcap, (size_t)nb * sizeof(*map->buckets));
        return -1;
    }
    map->mask = nb - 1;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    map->hash_seed = hash_mix64((uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 32) ^ (uintptr_t)map);
    if (bus && event_bus_subscribe(bus, EVENT_MASK(EVENT_DNS), dns_name_map_on_event, map) < 0) {
        snprintf(err, errlen, "the event bus has no room for the DNS name map");
        dns_name_map_free(map);
        return -1;
    }
    return 0;
}

static uint32_t bucket(const struct dns_name_map *map, const struct ip_addr *ip)
{
    return (uint32_t)hash_bytes(ip->b, sizeof(ip->b), map->hash_seed ^ ip->family) & map->mask;
}

static void lru_unlink(struct dns_name_map *map, struct dns_name_entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        map->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        map->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(struct dns_name_map *map, struct dns_name_entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = map->lru_head;
    if (map->lru_head)
        map->lru_head->lru_prev = e;
    map->lru_head = e;
    if (!map->lru_tail)
        map->lru_tail = e;
}

static struct dns_name_entry **find_slot(struct dns_name_map *map, const struct ip_addr *ip)
{
    struct dns_name_entry **pp = &map->buckets[bucket(map, ip)];
    while (*pp && !ip_addr_eq(&(*pp)->ip, ip))
        pp = &(*pp)->hnext;
    return pp;
}

static void entry_remove(struct dns_name_map *map, struct dns_name_entry *e)
{
    struct dns_name_entry **pp = find_slot(map, &e->ip);
    if (*pp == e)
        *pp = e->hnext;
    lru_unlink(map, e);
    mc_free(&map->mc, e, e->size);
    map->n--;
    if (map->stats)
        map->stats->dns_names_entries = map->n;
}

static bool evict_one(struct dns_name_map *map)
{
    struct dns_name_entry *v = map->lru_tail;
    if (!v)
        return false;
    entry_remove(map, v);
    if (map->stats)
        map->stats->dns_names_evicted++;
    return true;
}

bool dns_name_map_add(struct dns_name_map *map, const struct ip_addr *ip, const char *name, const char *cname,
                      uint32_t ttl, uint64_t now_us)
{
    if (!map->buckets || !name)
        return false;
    size_t nl = strnlen(name, DNS_NAME_TEXT_MAX);
    size_t cl = cname ? strnlen(cname, DNS_NAME_TEXT_MAX) : 0;
    if (cl && cl == nl && memcmp(name, cname, nl) == 0)
        cl = 0;
    if (nl >= DNS_NAME_TEXT_MAX || cl >= DNS_NAME_TEXT_MAX)
        return false; /* longer than any name the parser produces */
    struct dns_name_entry **pp = find_slot(map, ip);
    struct dns_name_entry *old = *pp;
    size_t size = sizeof(struct dns_name_entry) + nl + 1 + (cl ? cl + 1 : 0);
    if (old && old->size == size) {
        /* same address, names of the same length: refresh in place */
        lru_unlink(map, old);
    } else {
        if (old)
            entry_remove(map, old);
        while (map->n >= map->max_entries && evict_one(map)) {
        }
        for (;;) {
            old = mc_malloc(&map->mc, size);
            if (old || !evict_one(map))
                break;
        }
        if (!old)
            return false;
        old->size = size;
        old->ip = *ip;
        pp = find_slot(map, ip); /* evictions may have changed the chain */
        old->hnext = *pp;
        *pp = old;
        map->n++;
    }
    old->ttl = ttl;
    old->resolved_us = now_us;
    old->name_len = (uint16_t)nl;
    old->cname_len = (uint16_t)cl;
    memcpy(old->text, name, nl + 1);
    if (cl)
        memcpy(old->text + nl + 1, cname, cl + 1);
    lru_push_head(map, old);
    if (map->stats)
        map->stats->dns_names_entries = map->n;
    return true;
}

bool dns_name_map_lookup(struct dns_name_map *map, const struct ip_addr *ip, uint64_t now_us, struct dns_name_hit *out)
{
    if (!map->buckets)
        return false;
    struct dns_name_entry *e = *find_slot(map, ip);
    if (!e)
        return false;
    lru_unlink(map, e);
    lru_push_head(map, e);
    out->name = e->text;
    out->cname = e->cname_len ? e->text + e->name_len + 1 : NULL;
    out->resolved_us = e->resolved_us;
    out->ttl = e->ttl;
    out->expired = now_us > e->resolved_us + (uint64_t)e->ttl * 1000000;
    return true;
}

void dns_name_map_on_event(void *user, const struct event *ev)
{
    struct dns_name_map *map = user;
    const struct dns_event *de = ev->body;
    if (ev->type != EVENT_DNS || !de || de->kind != DNS_EV_ANSWER || !de->msg)
        return;
    const struct dns_msg *m = de->msg;
    if (m->rcode != 0)
        return;
    for (unsigned i = 0; i < m->n_answers; i++) {
        const struct dns_rr *rr = &m->answers[i];
        if ((rr->rrtype != DNS_TYPE_A && rr->rrtype != DNS_TYPE_AAAA) || rr->rrclass != 1 || !rr->has_rdata)
            continue;
        const char *name = m->has_question ? m->qname_text : rr->rrname;
        dns_name_map_add(map, &rr->addr, name, rr->rrname, rr->ttl, ev->ts_us);
    }
}

void dns_name_map_free(struct dns_name_map *map)
{
    while (map->lru_tail)
        entry_remove(map, map->lru_tail);
    if (map->buckets)
        mc_free(&map->mc, map->buckets, (size_t)(map->mask + 1) * sizeof(*map->buckets));
    map->buckets = NULL;
}
