/*
 * hash.h - a keyed 64-bit hash for table lookups and stable ids.
 *
 * Tables use a per-table random seed so an attacker cannot aim many flows at
 * one bucket; flow ids use a fixed seed so the same capture gives the same ids.
 * The mixing steps are the 64-bit finaliser from MurmurHash3 (public domain
 * constants) applied to 8-byte words folded with the seed.
 */
#ifndef MEDSENTRY_CORE_HASH_H
#define MEDSENTRY_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t hash_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
    const uint8_t *p = data;
    uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = hash_mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h = hash_mix64(h ^ w ^ ((uint64_t)len << 56));
    }
    return hash_mix64(h);
}

#endif
