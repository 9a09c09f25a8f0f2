/* vec.h - the byte builder the parser tests write their messages with: a fixed buffer of VEC_CAP bytes (define it
 * before including; default 8192), filled in order; writing past the end fails the test. */
#ifndef MEDSENTRY_TESTS_VEC_H
#define MEDSENTRY_TESTS_VEC_H

#include "unit.h"

#include <string.h>

#ifndef VEC_CAP
#define VEC_CAP 8192
#endif

struct vec {
    uint8_t b[VEC_CAP];
    size_t n;
};

static inline void put(struct vec *v, const void *p, size_t n)
{
    assert_true(v->n + n <= sizeof(v->b));
    memcpy(v->b + v->n, p, n);
    v->n += n;
}
static inline void u8(struct vec *v, uint8_t x)
{
    put(v, &x, 1);
}
static inline void be16(struct vec *v, uint16_t x)
{
    u8(v, (uint8_t)(x >> 8));
    u8(v, (uint8_t)x);
}
static inline void be32(struct vec *v, uint32_t x)
{
    be16(v, (uint16_t)(x >> 16));
    be16(v, (uint16_t)x);
}
static inline void le16(struct vec *v, uint16_t x)
{
    u8(v, (uint8_t)x);
    u8(v, (uint8_t)(x >> 8));
}
static inline void le32(struct vec *v, uint32_t x)
{
    le16(v, (uint16_t)x);
    le16(v, (uint16_t)(x >> 16));
}

#endif
