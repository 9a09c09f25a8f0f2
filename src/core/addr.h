/*
 * addr.h - IP addresses in one form for both families.
 *
 * IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so that flow keys compare and
 * hash the same way for both families; `family` says which one it is.
 */
#ifndef MEDSENTRY_CORE_ADDR_H
#define MEDSENTRY_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ip_addr {
    uint8_t b[16];
    uint8_t family; /* 4 or 6; 0 = unset */
};

static inline void ip_addr_set4(struct ip_addr *a, const uint8_t *v4)
{
    memset(a->b, 0, 10);
    a->b[10] = 0xff;
    a->b[11] = 0xff;
    memcpy(a->b + 12, v4, 4);
    a->family = 4;
}

static inline void ip_addr_set6(struct ip_addr *a, const uint8_t *v6)
{
    memcpy(a->b, v6, 16);
    a->family = 6;
}

static inline int ip_addr_cmp(const struct ip_addr *x, const struct ip_addr *y)
{
    if (x->family != y->family)
        return x->family < y->family ? -1 : 1;
    return memcmp(x->b, y->b, 16);
}

static inline bool ip_addr_eq(const struct ip_addr *x, const struct ip_addr *y)
{
    return x->family == y->family && memcmp(x->b, y->b, 16) == 0;
}

/* Text form (inet_ntop) into buf of at least IP_ADDR_STRLEN bytes; returns buf. */
#define IP_ADDR_STRLEN 46
const char *ip_addr_str(const struct ip_addr *a, char *buf, size_t size);

#endif
