/*
 * bytes.h - a bounded reader over untrusted packet bytes.
 *
 * Every field a parser reads from the wire goes through a `struct br`.  A read
 * past the end does not touch memory: it returns 0 (or an empty span) and sets
 * `err`, so a parser can do a run of reads and check `br.err` once, the way
 * Arkime's BSB and libpcap's EXTRACT_* macros work.  Nothing here allocates.
 */
#ifndef MEDSENTRY_CORE_BYTES_H
#define MEDSENTRY_CORE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct br {
    const uint8_t *p;
    size_t len;
    size_t off;
    bool err;
};

static inline struct br br_init(const uint8_t *p, size_t len)
{
    struct br b = {p, len, 0, false};
    return b;
}

static inline size_t br_left(const struct br *b)
{
    return b->err ? 0 : b->len - b->off;
}

static inline bool br_need(struct br *b, size_t n)
{
    if (b->err || b->len - b->off < n) {
        b->err = true;
        return false;
    }
    return true;
}

static inline const uint8_t *br_ptr(const struct br *b)
{
    return b->p + b->off;
}

static inline void br_skip(struct br *b, size_t n)
{
    if (br_need(b, n))
        b->off += n;
}

/* Returns a pointer to n bytes and advances, or NULL (and err) if short. */
static inline const uint8_t *br_take(struct br *b, size_t n)
{
    if (!br_need(b, n))
        return NULL;
    const uint8_t *r = b->p + b->off;
    b->off += n;
    return r;
}

static inline uint8_t br_u8(struct br *b)
{
    if (!br_need(b, 1))
        return 0;
    return b->p[b->off++];
}

static inline uint16_t rd_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint16_t rd_le16(const uint8_t *p)
{
    return (uint16_t)(p[1] << 8 | p[0]);
}
static inline uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint32_t rd_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline uint64_t rd_le64(const uint8_t *p)
{
    return (uint64_t)rd_le32(p + 4) << 32 | rd_le32(p);
}
static inline uint64_t rd_be64(const uint8_t *p)
{
    return (uint64_t)rd_be32(p) << 32 | rd_be32(p + 4);
}

#define BR_READ_FN(name, n, conv)                     \
    static inline uint##n##_t br_##name(struct br *b) \
    {                                                 \
        if (!br_need(b, n / 8))                       \
            return 0;                                 \
        uint##n##_t v = conv(b->p + b->off);          \
        b->off += n / 8;                              \
        return v;                                     \
    }
BR_READ_FN(be16, 16, rd_be16)
BR_READ_FN(le16, 16, rd_le16)
BR_READ_FN(be32, 32, rd_be32)
BR_READ_FN(le32, 32, rd_le32)
BR_READ_FN(be64, 64, rd_be64)
BR_READ_FN(le64, 64, rd_le64)
#undef BR_READ_FN

#endif
