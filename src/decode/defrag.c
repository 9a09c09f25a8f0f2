/*
 * defrag.c - IP reassembly for IPv4 (RFC 791 section 3.2, "Fragmentation and
 * Reassembly") and IPv6 (RFC 8200 section 4.5).
 *
 * A datagram in progress is a tracker, found through a fixed-size hash table
 * by its key:
 *
 *   IPv4: source, destination, Identification (16 bits), Protocol, VLAN ids
 *   IPv6: source, destination, Identification (32 bits), VLAN ids
 *
 * (RFC 791 and RFC 8200 key on the addresses and identification; the VLAN ids
 * keep two networks that reuse addresses apart.)  Trackers also sit on a list
 * in creation order, so decode_expire() drops timed-out ones from its head.
 *
 * A tracker holds its data as pieces: disjoint byte ranges of the fragmentable
 * part, sorted by offset.  A new fragment is cut against the pieces already
 * held, and only the bytes nobody held before are stored: "first fragment
 * wins" for overlaps.  Overlapping bytes are compared, so an overlap that
 * rewrites data (an evasion technique: RFC 1858, RFC 3128, RFC 5722) is told
 * from a plain retransmission.
 *
 *   held:      [0.....800)            [1600.....2400)
 *   new:             [600..............................2800)
 *   stored:              [800......1600)              [2400..2800)
 *
 * The datagram is complete when its last fragment (MF / M clear) is in and
 * the pieces cover [0, end) without a hole.  It is then built in the
 * defragmenter's one output buffer: IPv4 header of the offset-0 fragment with
 * Total Length set, MF and offset cleared and the checksum recomputed; IPv6
 * unfragmentable part of the offset-0 fragment with the Fragment header taken
 * out (its Next Header written where the chain named it) and Payload Length
 * set.  The buffer is overwritten by the next reassembly.
 *
 * Memory: trackers, the copied headers and the pieces are charged to
 * ctx->defrag_mc; the hash table and the 64 KiB output buffer are fixed and
 * allocated once.  Limits: cfg.defrag_max_frags fragments per datagram,
 * 65535 bytes of datagram, cfg.defrag_timeout_s of packet time.
 */
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "decode/decode.h"
#include "decode/decode_int.h"

#define DEFRAG_HASH_BUCKETS 4096u /* power of two */
#define DEFRAG_BUF_SIZE     (IPV6_HDR_LEN + IP_MAX_DATAGRAM)

struct defrag_piece {
    struct defrag_piece *next;
    uint32_t off, len;
    uint8_t data[];
};

struct defrag_tracker {
    struct defrag_tracker *hnext;         /* hash chain */
    struct defrag_tracker *older, *newer; /* age list */
    uint32_t bucket;

    /* key */
    uint8_t family;
    uint8_t proto; /* IPv4 only; 0 for IPv6 */
    uint8_t vlan_count;
    uint16_t vlan[DECODE_MAX_VLAN];
    uint32_t id;
    struct ip_addr src, dst;

    uint64_t first_ts;
    uint32_t nfrags;
    bool have_last;
    uint32_t end;      /* fragmentable part length, once have_last */
    uint32_t held_end; /* highest byte held + 1 */

    uint8_t *hdr; /* from the offset-0 fragment; NULL until seen */
    uint32_t hdr_len;
    uint32_t nh_off;
    uint8_t next_proto;

    struct defrag_piece *pieces;
};

struct defrag {
    struct defrag_tracker *bucket[DEFRAG_HASH_BUCKETS];
    struct defrag_tracker *oldest, *newest;
    uint8_t buf[DEFRAG_BUF_SIZE];
};

struct defrag *defrag_new(void)
{
    return calloc(1, sizeof(struct defrag));
}

/* FNV-1a over the key fields, then a final mix so the low bits spread. */
static uint32_t defrag_hash_bytes(uint32_t h, const void *v, size_t n)
{
    const uint8_t *b = v;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

static uint32_t defrag_hash(const struct defrag_tracker *k)
{
    uint32_t h = 2166136261u;
    h = defrag_hash_bytes(h, &k->family, 1);
    h = defrag_hash_bytes(h, &k->proto, 1);
    h = defrag_hash_bytes(h, &k->id, sizeof(k->id));
    h = defrag_hash_bytes(h, k->src.b, 16);
    h = defrag_hash_bytes(h, k->dst.b, 16);
    for (uint8_t i = 0; i < k->vlan_count && i < DECODE_MAX_VLAN; i++)
        h = defrag_hash_bytes(h, &k->vlan[i], sizeof(k->vlan[i]));
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    return h & (DEFRAG_HASH_BUCKETS - 1);
}

static bool defrag_key_eq(const struct defrag_tracker *a, const struct defrag_tracker *b)
{
    if (a->family != b->family || a->proto != b->proto || a->id != b->id || a->vlan_count != b->vlan_count)
        return false;
    for (uint8_t i = 0; i < a->vlan_count && i < DECODE_MAX_VLAN; i++)
        if (a->vlan[i] != b->vlan[i])
            return false;
    return ip_addr_eq(&a->src, &b->src) && ip_addr_eq(&a->dst, &b->dst);
}

static void defrag_key_from(struct defrag_tracker *k, const struct decoded *d, const struct defrag_frag *f)
{
    memset(k, 0, sizeof(*k));
    k->family = f->family;
    k->proto = f->family == 4 ? f->proto : 0;
    k->id = f->id;
    k->src = d->src;
    k->dst = d->dst;
    k->vlan_count = d->vlan_count <= DECODE_MAX_VLAN ? d->vlan_count : DECODE_MAX_VLAN;
    memcpy(k->vlan, d->vlan, sizeof(k->vlan));
}

static struct defrag_tracker *defrag_lookup(struct defrag *df, const struct defrag_tracker *key, uint32_t bucket)
{
    for (struct defrag_tracker *t = df->bucket[bucket]; t; t = t->hnext)
        if (defrag_key_eq(t, key))
            return t;
    return NULL;
}

/* Unlink and free a tracker and everything it holds. */
static void defrag_destroy(struct decode_ctx *ctx, struct defrag *df, struct defrag_tracker *t)
{
    for (struct defrag_tracker **pp = &df->bucket[t->bucket]; *pp; pp = &(*pp)->hnext) {
        if (*pp == t) {
            *pp = t->hnext;
            break;
        }
    }
    if (t->older)
        t->older->newer = t->newer;
    else
        df->oldest = t->newer;
    if (t->newer)
        t->newer->older = t->older;
    else
        df->newest = t->older;

    struct defrag_piece *pc = t->pieces;
    while (pc) {
        struct defrag_piece *next = pc->next;
        mc_free(&ctx->defrag_mc, pc, sizeof(*pc) + pc->len);
        pc = next;
    }
    mc_free(&ctx->defrag_mc, t->hdr, t->hdr_len);
    mc_free(&ctx->defrag_mc, t, sizeof(*t));
}

void defrag_free(struct decode_ctx *ctx, struct defrag *df)
{
    if (!df)
        return;
    while (df->oldest)
        defrag_destroy(ctx, df, df->oldest);
    free(df);
}

/* Report a tracker's anomaly with what is known of its datagram. */
static void defrag_tracker_anomaly(struct decode_ctx *ctx, const struct defrag_tracker *t, enum decode_event ev)
{
    struct decoded d;
    memset(&d, 0, sizeof(d));
    d.ip_version = t->family;
    d.src = t->src;
    d.dst = t->dst;
    d.ipproto = t->family == 4 ? t->proto : t->next_proto;
    d.vlan_count = t->vlan_count;
    memcpy(d.vlan, t->vlan, sizeof(d.vlan));
    decode_anomaly(ctx, &d, ev);
}

static bool defrag_timed_out(const struct decode_ctx *ctx, const struct defrag_tracker *t, uint64_t now_us)
{
    uint64_t timeout_us = (uint64_t)ctx->cfg.defrag_timeout_s * 1000000u;
    return now_us > t->first_ts && now_us - t->first_ts > timeout_us;
}

static void defrag_timeout(struct decode_ctx *ctx, struct defrag_tracker *t)
{
    if (t->family == 4)
        ctx->stats->frag_ipv4_timeouts++;
    else
        ctx->stats->frag_ipv6_timeouts++;
    defrag_tracker_anomaly(ctx, t, DEV_FRAG_TIMEOUT);
    defrag_destroy(ctx, ctx->defrag, t);
}

void defrag_expire(struct decode_ctx *ctx, uint64_t now_us)
{
    struct defrag *df = ctx->defrag;
    /* Creation order is packet-time order unless the capture steps back in
     * time; then a few trackers wait for a later call, which is harmless. */
    while (df && df->oldest && defrag_timed_out(ctx, df->oldest, now_us))
        defrag_timeout(ctx, df->oldest);
}

static struct defrag_tracker *defrag_new_tracker(struct decode_ctx *ctx, const struct defrag_tracker *key,
                                                 uint32_t bucket, uint64_t now)
{
    struct defrag *df = ctx->defrag;
    struct defrag_tracker *t = mc_malloc(&ctx->defrag_mc, sizeof(*t));
    if (!t) {
        /* Make room from what has timed out anyway, then try once more. */
        defrag_expire(ctx, now);
        t = mc_malloc(&ctx->defrag_mc, sizeof(*t));
        if (!t)
            return NULL;
    }
    *t = *key;
    t->bucket = bucket;
    t->first_ts = now;
    t->hnext = df->bucket[bucket];
    df->bucket[bucket] = t;
    t->older = df->newest;
    t->newer = NULL;
    if (df->newest)
        df->newest->newer = t;
    else
        df->oldest = t;
    df->newest = t;
    return t;
}

static void defrag_memcap_hit(struct decode_ctx *ctx, const struct decoded *d)
{
    ctx->stats->frag_memcap_hits++;
    decode_anomaly(ctx, d, DEV_FRAG_MEMCAP);
}

/*
 * Store the bytes of f that no piece holds yet.  *overlap / *diff say whether
 * f overlapped held bytes and whether any of those differed.  False if memory
 * ran out: then nothing was stored.
 */
static bool defrag_add_pieces(struct decode_ctx *ctx, struct defrag_tracker *t, const struct defrag_frag *f,
                              bool *overlap, bool *diff)
{
    uint32_t start = f->offset, stop = f->offset + f->len;
    struct defrag_piece *fresh = NULL, **fresh_tail = &fresh;
    uint32_t cur = start;
    bool ok = true;

    /* Pass 1: compare overlaps and allocate the gaps, in offset order. */
    for (struct defrag_piece *pc = t->pieces; pc && cur < stop; pc = pc->next) {
        uint32_t pend = pc->off + pc->len;
        if (pend <= cur)
            continue;
        if (pc->off >= stop)
            break;
        uint32_t ostart = pc->off > cur ? pc->off : cur;
        uint32_t ostop = pend < stop ? pend : stop;
        *overlap = true;
        if (memcmp(pc->data + (ostart - pc->off), f->data + (ostart - start), ostop - ostart) != 0)
            *diff = true;
        if (pc->off > cur) {
            uint32_t glen = pc->off - cur;
            struct defrag_piece *g = mc_malloc(&ctx->defrag_mc, sizeof(*g) + glen);
            if (!g) {
                ok = false;
                break;
            }
            g->next = NULL;
            g->off = cur;
            g->len = glen;
            memcpy(g->data, f->data + (cur - start), glen);
            *fresh_tail = g;
            fresh_tail = &g->next;
        }
        cur = pend;
    }
    if (ok && cur < stop) {
        uint32_t glen = stop - cur;
        struct defrag_piece *g = mc_malloc(&ctx->defrag_mc, sizeof(*g) + glen);
        if (!g) {
            ok = false;
        } else {
            g->next = NULL;
            g->off = cur;
            g->len = glen;
            memcpy(g->data, f->data + (cur - start), glen);
            *fresh_tail = g;
        }
    }
    if (!ok) {
        while (fresh) {
            struct defrag_piece *next = fresh->next;
            mc_free(&ctx->defrag_mc, fresh, sizeof(*fresh) + fresh->len);
            fresh = next;
        }
        return false;
    }

    /* Pass 2: merge the new pieces (sorted, disjoint from the held ones) in. */
    struct defrag_piece **pp = &t->pieces;
    while (fresh) {
        while (*pp && (*pp)->off < fresh->off)
            pp = &(*pp)->next;
        struct defrag_piece *next = fresh->next;
        fresh->next = *pp;
        *pp = fresh;
        pp = &fresh->next;
        fresh = next;
    }
    if (stop > t->held_end)
        t->held_end = stop;
    return true;
}

/* Do the pieces cover [0, end) with no hole? */
static bool defrag_complete(const struct defrag_tracker *t)
{
    if (!t->have_last || !t->hdr)
        return false;
    uint32_t cur = 0;
    for (const struct defrag_piece *pc = t->pieces; pc; pc = pc->next) {
        if (pc->off != cur)
            return false;
        cur += pc->len;
    }
    return cur == t->end;
}

/* RFC 1071 checksum over an IPv4 header whose checksum field is zero. */
static uint16_t defrag_ipv4_checksum(const uint8_t *h, uint32_t len)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i + 1 < len; i += 2)
        sum += rd_be16(h + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Build the datagram in df->buf; 0 if it would pass 65535 (anomaly reported). */
static uint32_t defrag_build(struct decode_ctx *ctx, const struct decoded *d, struct defrag_tracker *t)
{
    uint8_t *buf = ctx->defrag->buf;
    uint32_t total = t->hdr_len + t->end;
    if (t->family == 4 ? total > IP_MAX_DATAGRAM : total - IPV6_HDR_LEN > IP_MAX_DATAGRAM) {
        decode_anomaly(ctx, d, t->family == 4 ? DEV_IPV4_FRAG_PKT_TOO_LARGE : DEV_IPV6_FRAG_PKT_TOO_LARGE);
        return 0;
    }
    memcpy(buf, t->hdr, t->hdr_len);
    for (const struct defrag_piece *pc = t->pieces; pc; pc = pc->next)
        memcpy(buf + t->hdr_len + pc->off, pc->data, pc->len);
    if (t->family == 4) {
        buf[2] = (uint8_t)(total >> 8);
        buf[3] = (uint8_t)total;
        buf[6] &= 0xc0; /* keep reserved and DF; clear MF and the offset */
        buf[7] = 0;
        buf[10] = buf[11] = 0;
        uint16_t ck = defrag_ipv4_checksum(buf, t->hdr_len);
        buf[10] = (uint8_t)(ck >> 8);
        buf[11] = (uint8_t)ck;
    } else {
        uint32_t plen = total - IPV6_HDR_LEN;
        buf[4] = (uint8_t)(plen >> 8);
        buf[5] = (uint8_t)plen;
        buf[t->nh_off] = t->next_proto;
    }
    return total;
}

enum decode_result defrag_insert(struct decode_ctx *ctx, struct decoded *d, const struct defrag_frag *f,
                                 const uint8_t **out, uint32_t *out_len)
{
    struct defrag *df = ctx->defrag;
    bool v4 = f->family == 4;
    uint64_t now = decode_now(d);
    if (v4)
        ctx->stats->frag_ipv4_fragments++;
    else
        ctx->stats->frag_ipv6_fragments++;

    /* RFC 8200 4.5: a fragment other than the last must be a multiple of 8 octets. */
    if (!v4 && f->more && f->len % 8 != 0) {
        decode_anomaly(ctx, d, DEV_IPV6_FRAG_INVALID_LENGTH);
        return DECODE_INVALID;
    }

    struct defrag_tracker key;
    defrag_key_from(&key, d, f);
    uint32_t bucket = defrag_hash(&key);
    struct defrag_tracker *t = defrag_lookup(df, &key, bucket);
    if (t && defrag_timed_out(ctx, t, now)) {
        defrag_timeout(ctx, t);
        t = NULL;
    }

    /* The datagram this fragment belongs to cannot fit in 65535 bytes. */
    uint64_t size = (uint64_t)f->offset + f->len + (v4 ? f->hdr_len : f->hdr_len - IPV6_HDR_LEN);
    if (size > IP_MAX_DATAGRAM) {
        decode_anomaly(ctx, d, v4 ? DEV_IPV4_FRAG_PKT_TOO_LARGE : DEV_IPV6_FRAG_PKT_TOO_LARGE);
        if (t)
            defrag_destroy(ctx, df, t);
        return DECODE_INVALID;
    }

    if (!t) {
        t = defrag_new_tracker(ctx, &key, bucket, now);
        if (!t) {
            defrag_memcap_hit(ctx, d);
            return DECODE_FRAGMENT;
        }
    }

    if (++t->nfrags > ctx->cfg.defrag_max_frags) {
        ctx->stats->frag_max_hits++;
        decode_anomaly(ctx, d, DEV_FRAG_TOO_MANY);
        defrag_destroy(ctx, df, t);
        return DECODE_FRAGMENT;
    }

    /* A fragment that contradicts the end already known is not used. */
    uint32_t stop = f->offset + f->len;
    if ((t->have_last && (stop > t->end || (!f->more && stop != t->end))) || (!f->more && stop < t->held_end)) {
        decode_anomaly(ctx, d, v4 ? DEV_IPV4_FRAG_IGNORED : DEV_IPV6_FRAG_IGNORED);
        return DECODE_FRAGMENT;
    }

    if (f->offset == 0 && !t->hdr) {
        t->hdr = mc_malloc(&ctx->defrag_mc, f->hdr_len);
        if (!t->hdr) {
            defrag_memcap_hit(ctx, d);
            return DECODE_FRAGMENT;
        }
        memcpy(t->hdr, f->hdr, f->hdr_len);
        t->hdr_len = f->hdr_len;
        t->nh_off = f->nh_off;
        t->next_proto = f->proto;
    }

    bool overlap = false, diff = false;
    if (!defrag_add_pieces(ctx, t, f, &overlap, &diff)) {
        defrag_memcap_hit(ctx, d);
        return DECODE_FRAGMENT;
    }
    if (overlap)
        decode_anomaly(ctx, d, v4 ? DEV_IPV4_FRAG_OVERLAP : DEV_IPV6_FRAG_OVERLAP);
    if (diff)
        decode_anomaly(ctx, d, v4 ? DEV_IPV4_FRAG_OVERLAP_DIFF : DEV_IPV6_FRAG_OVERLAP_DIFF);
    if (!f->more) {
        t->have_last = true;
        t->end = stop;
    }

    if (!defrag_complete(t))
        return DECODE_FRAGMENT;
    uint32_t total = defrag_build(ctx, d, t);
    defrag_destroy(ctx, df, t);
    if (total == 0)
        return DECODE_INVALID;
    if (v4)
        ctx->stats->frag_ipv4_reassembled++;
    else
        ctx->stats->frag_ipv6_reassembled++;
    *out = df->buf;
    *out_len = total;
    return DECODE_OK;
}
