/*
 * afpacket.h - live capture through Linux AF_PACKET sockets, TPACKET_V3: one
 * socket per worker thread, each with its own memory-mapped receive ring, all
 * in one PACKET_FANOUT group (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG),
 * so the kernel spreads flows over the workers and each worker reads its own
 * socket (docs/DESIGN.md, "Live capture").
 *
 * A socket is read by one thread only (afp_next, afp_read_stats); the set is
 * opened and closed by the main thread, before and after the workers run.
 */
#ifndef MEDSENTRY_SOURCE_AFPACKET_H
#define MEDSENTRY_SOURCE_AFPACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"
#include "source/source.h"

struct afp_sock {
    int fd;
    uint8_t *map; /* the ring: block_nr blocks of block_size bytes */
    size_t map_len;
    uint32_t block_size, block_nr, cur; /* cur: the block read next (or being read) */
    struct tpacket_block_desc *bd;      /* the block being read (owned by us until released); NULL: none */
    uint32_t left;                      /* its packets not read yet */
    uint8_t *next_pkt;                  /* the next one's tpacket3_hdr */
    uint8_t *vlan_buf;                  /* a frame with its VLAN tag put back (the kernel strips it) */
    /* the kernel's counters (PACKET_STATISTICS resets on each read: summed here) */
    uint64_t k_packets, k_drops, k_freezes;
};

struct afp {
    unsigned n;
    struct afp_sock *s;
    int linktype;
    int ifindex;
    bool loopback; /* lo: each packet would come twice (out, then in); the outgoing copy is skipped */
};

#define AFP_BAD_FILTER (-2)

/* n sockets on iface in one fanout group.  0; AFP_BAD_FILTER when the BPF filter does not compile; -1 when the
 * sockets cannot be set up.  err: one sentence; nothing is left open on failure. */
int afp_open(struct afp *a, const char *iface, unsigned n, const struct capture_cfg *cfg, const char *bpf, char *err,
             size_t errlen);
/* The next packet of socket i, waiting at most timeout_ms for one: SOURCE_PACKET (*pkt valid until the next call
 * on this socket), SOURCE_IDLE, or SOURCE_ERROR (err set). */
enum source_rc afp_next(struct afp *a, unsigned i, struct packet *pkt, int timeout_ms, char *err, size_t errlen);
/* Add the kernel's counters of socket i to its totals (the thread that reads the socket). */
void afp_read_stats(struct afp *a, unsigned i);
void afp_close(struct afp *a);

#endif
