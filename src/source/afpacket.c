/*
 * afpacket.c - AF_PACKET TPACKET_V3 sockets in one fanout group (see afpacket.h).
 *
 * Per socket, in this order (as libpcap and Suricata do): a socket of protocol 0, which receives nothing yet;
 * TPACKET_V3; the BPF program (compiled by libpcap on a dead handle, with the snap length: its return value
 * cuts packets to capture.snaplen); the RX ring (block size, block count, frame size, block timeout), mapped;
 * bind to the interface for every protocol, so that only filtered packets ever reach the ring; promiscuous mode
 * (PACKET_MR_PROMISC membership: the kernel counts it per socket and drops it when the socket closes); then the
 * fanout group, PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG, whose id is the process id.
 *
 * Reading.  The kernel hands over whole blocks (TP_STATUS_USER in the block descriptor): when one is full, or
 * when capture.af-packet.block-timeout has passed.  The worker walks the block's packets in place, then gives
 * the block back (TP_STATUS_KERNEL, after a barrier) and moves to the next block of the ring.  A VLAN tag the
 * kernel took out of the frame (TP_STATUS_VLAN_VALID) is put back, as libpcap does, so the decoder sees the frame
 * as it was on the wire and as a capture file of it would hold it.
 */
#include "source/afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_FANOUT_FLAG_IGNORE_OUTGOING
#define PACKET_FANOUT_FLAG_IGNORE_OUTGOING 0x4000 /* Linux 6.8 (PACKET_IGNORE_OUTGOING does not reach a group) */
#endif

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter), "libpcap's BPF instruction is the kernel's");

static void sock_close(struct afp_sock *s)
{
    if (s->map && s->map != MAP_FAILED)
        munmap(s->map, s->map_len);
    if (s->fd >= 0)
        close(s->fd);
    free(s->vlan_buf);
    s->map = NULL;
    s->fd = -1;
    s->vlan_buf = NULL;
}

void afp_close(struct afp *a)
{
    for (unsigned i = 0; a->s && i < a->n; i++)
        sock_close(&a->s[i]);
    free(a->s);
    a->s = NULL;
    a->n = 0;
}

/* The interface's link type (the decoder's): Ethernet framing only (Ethernet, and loopback, which has a zeroed
 * Ethernet header on AF_PACKET).  -1 with err otherwise: libpcap knows the other link layers. */
static int iface_linktype(const char *iface, bool *loopback, char *err, size_t errlen)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    if (strlen(iface) >= sizeof(ifr.ifr_name)) {
        snprintf(err, errlen, "%s: interface name too long", iface);
        return -1;
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        snprintf(err, errlen, "%s: %s", iface, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    *loopback = ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK;
    if (ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER || ifr.ifr_hwaddr.sa_family == ARPHRD_LOOPBACK)
        return DLT_EN10MB;
    snprintf(err, errlen, "%s: link type %u is not Ethernet", iface, (unsigned)ifr.ifr_hwaddr.sa_family);
    return -1;
}

static int sock_open(struct afp_sock *s, int ifindex, const struct capture_cfg *cfg, const struct sock_fprog *prog,
                     int *fanout, const char *iface, char *err, size_t errlen)
{
    s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0); /* protocol 0: nothing arrives before bind */
    if (s->fd < 0) {
        snprintf(err, errlen, "%s: AF_PACKET socket: %s", iface, strerror(errno));
        return -1;
    }
    int v = TPACKET_V3;
    if (setsockopt(s->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) < 0) {
        snprintf(err, errlen, "%s: TPACKET_V3: %s", iface, strerror(errno));
        return -1;
    }
    if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_FILTER, prog, sizeof(*prog)) < 0) {
        snprintf(err, errlen, "%s: SO_ATTACH_FILTER: %s", iface, strerror(errno));
        return -1;
    }
    s->block_size = (uint32_t)cfg->afp_block_size;
    s->block_nr = cfg->afp_block_count;
    struct tpacket_req3 req = {
        .tp_block_size = s->block_size,
        .tp_block_nr = s->block_nr,
        .tp_frame_size = cfg->afp_frame_size,
        .tp_frame_nr = (s->block_size / cfg->afp_frame_size) * s->block_nr,
        .tp_retire_blk_tov = cfg->afp_block_timeout,
    };
    if (setsockopt(s->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
        snprintf(err, errlen, "%s: PACKET_RX_RING (capture.af-packet.block-size %u, block-count %u, frame-size %u): %s",
                 iface, s->block_size, s->block_nr, cfg->afp_frame_size, strerror(errno));
        return -1;
    }
    s->map_len = (size_t)s->block_size * s->block_nr;
    s->map = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
    if (s->map == MAP_FAILED) {
        s->map = NULL;
        snprintf(err, errlen, "%s: mapping the ring (%zu bytes): %s", iface, s->map_len, strerror(errno));
        return -1;
    }
    s->vlan_buf = malloc((size_t)s->block_size + 4);
    if (!s->vlan_buf) {
        snprintf(err, errlen, "%s: out of memory", iface);
        return -1;
    }
    struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex};
    if (bind(s->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        snprintf(err, errlen, "%s: bind: %s", iface, strerror(errno));
        return -1;
    }
    if (cfg->promisc) {
        struct packet_mreq mr = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC};
        if (setsockopt(s->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
            snprintf(err, errlen, "%s: promiscuous mode: %s", iface, strerror(errno));
            return -1;
        }
    }
    int rc = setsockopt(s->fd, SOL_PACKET, PACKET_FANOUT, fanout, sizeof(*fanout));
    if (rc < 0 && errno == EINVAL && (*fanout & (PACKET_FANOUT_FLAG_IGNORE_OUTGOING << 16))) {
        *fanout &= ~(PACKET_FANOUT_FLAG_IGNORE_OUTGOING << 16); /* an older kernel: afp_next skips them */
        rc = setsockopt(s->fd, SOL_PACKET, PACKET_FANOUT, fanout, sizeof(*fanout));
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: PACKET_FANOUT: %s", iface, strerror(errno));
        return -2; /* the group: its id may be another process's */
    }
    return 0;
}

int afp_open(struct afp *a, const char *iface, unsigned n, const struct capture_cfg *cfg, const char *bpf, char *err,
             size_t errlen)
{
    memset(a, 0, sizeof(*a));
    if (cfg->afp_frame_size % TPACKET_ALIGNMENT || cfg->afp_frame_size > cfg->afp_block_size ||
        cfg->afp_block_size % (uint64_t)sysconf(_SC_PAGESIZE)) {
        snprintf(err, errlen,
                 "capture.af-packet: block-size (%llu) must be a multiple of the page size and frame-size (%u) a "
                 "multiple of %d, at most block-size",
                 (unsigned long long)cfg->afp_block_size, cfg->afp_frame_size, TPACKET_ALIGNMENT);
        return -1;
    }
    a->linktype = iface_linktype(iface, &a->loopback, err, errlen);
    if (a->linktype < 0)
        return -1;
    a->ifindex = (int)if_nametoindex(iface);
    if (!a->ifindex) {
        snprintf(err, errlen, "%s: %s", iface, strerror(errno));
        return -1;
    }
    /* The filter: libpcap compiles it for the link type; the program returns the snap length for a packet kept
     * (so an empty expression still cuts packets to capture.snaplen). */
    int snaplen = cfg->snaplen > 0 ? cfg->snaplen : 65535;
    pcap_t *dead = pcap_open_dead(a->linktype, snaplen);
    if (!dead) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct bpf_program prog;
    if (pcap_compile(dead, &prog, bpf ? bpf : "", 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, errlen, "BPF filter '%s': %s", bpf ? bpf : "", pcap_geterr(dead));
        pcap_close(dead);
        return AFP_BAD_FILTER;
    }
    struct sock_fprog fprog = {.len = (unsigned short)prog.bf_len, .filter = (struct sock_filter *)prog.bf_insns};
    a->s = calloc(n, sizeof(*a->s));
    if (!a->s) {
        pcap_freecode(&prog);
        pcap_close(dead);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->n = n;
    for (unsigned i = 0; i < n; i++)
        a->s[i].fd = -1;
    /* lo: each packet passes twice, out then in; the group can be told to skip the outgoing copy (Linux 6.8+;
     * before, afp_next skips it, but the kernel's counters count both) */
    unsigned flags = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
    if (a->loopback)
        flags |= PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
    int fanout = (int)(((unsigned)getpid() & 0xffffu) | (flags << 16));
    int rc = 0;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        rc = sock_open(&a->s[i], a->ifindex, cfg, &fprog, &fanout, iface, err, errlen);
        /* Group ids are per network namespace: another sensor on another interface (or with other flags) may hold
         * this one (pids above 65535 share their low bits).  The first socket tries a few others. */
        for (unsigned try = 1; rc == -2 && i == 0 && try < 16; try++) {
            sock_close(&a->s[0]);
            fanout = (int)((((unsigned)fanout + 1) & 0xffffu) | ((unsigned)fanout & 0xffff0000u));
            rc = sock_open(&a->s[0], a->ifindex, cfg, &fprog, &fanout, iface, err, errlen);
        }
    }
    pcap_freecode(&prog);
    pcap_close(dead);
    if (rc < 0)
        afp_close(a);
    return rc;
}

static struct tpacket_block_desc *block_at(struct afp_sock *s, uint32_t i)
{
    return (struct tpacket_block_desc *)(s->map + (size_t)i * s->block_size);
}

static bool block_ready(struct tpacket_block_desc *bd)
{
    /* the kernel writes the block, then its status: acquire pairs with its barrier */
    return atomic_load_explicit((_Atomic uint32_t *)&bd->hdr.bh1.block_status, memory_order_acquire) & TP_STATUS_USER;
}

static void block_release(struct afp_sock *s)
{
    atomic_store_explicit((_Atomic uint32_t *)&s->bd->hdr.bh1.block_status, TP_STATUS_KERNEL, memory_order_release);
    s->bd = NULL;
    s->cur = (s->cur + 1) % s->block_nr;
}

enum source_rc afp_next(struct afp *a, unsigned i, struct packet *pkt, int timeout_ms, char *err, size_t errlen)
{
    struct afp_sock *s = &a->s[i];
    for (int waited = 0;;) {
        if (s->bd && !s->left)
            block_release(s);
        if (!s->bd) {
            struct tpacket_block_desc *bd = block_at(s, s->cur);
            if (!block_ready(bd)) {
                if (waited)
                    return SOURCE_IDLE;
                struct pollfd pfd = {.fd = s->fd, .events = POLLIN | POLLERR};
                int rc = poll(&pfd, 1, timeout_ms);
                if (rc < 0 && errno != EINTR) {
                    snprintf(err, errlen, "poll: %s", strerror(errno));
                    return SOURCE_ERROR;
                }
                waited = 1;
                continue;
            }
            s->bd = bd;
            s->left = bd->hdr.bh1.num_pkts;
            s->next_pkt = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
            continue;
        }
        const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)s->next_pkt;
        s->left--;
        s->next_pkt += h->tp_next_offset;
        /* Hostile input is the packet bytes, not the kernel's ring; still, never read outside the block. */
        const uint8_t *end = (const uint8_t *)s->bd + s->block_size;
        const uint8_t *data = (const uint8_t *)h + h->tp_mac;
        if (data > end || h->tp_snaplen > (size_t)(end - data)) {
            s->left = 0; /* give the block back */
            continue;
        }
        if (a->loopback) {
            const struct sockaddr_ll *sll =
                (const struct sockaddr_ll *)((const uint8_t *)h + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
            if (sll->sll_pkttype == PACKET_OUTGOING)
                continue;
        }
        pkt->ts_us = (uint64_t)h->tp_sec * 1000000u + h->tp_nsec / 1000u;
        pkt->caplen = h->tp_snaplen;
        pkt->wirelen = h->tp_len;
        pkt->linktype = a->linktype;
        pkt->data = data;
        if ((h->tp_status & TP_STATUS_VLAN_VALID) && h->tp_snaplen >= 12) {
            uint16_t tpid =
                (h->tp_status & TP_STATUS_VLAN_TPID_VALID) && h->hv1.tp_vlan_tpid ? h->hv1.tp_vlan_tpid : ETH_P_8021Q;
            uint8_t *b = s->vlan_buf;
            memcpy(b, data, 12);
            b[12] = (uint8_t)(tpid >> 8);
            b[13] = (uint8_t)tpid;
            b[14] = (uint8_t)(h->hv1.tp_vlan_tci >> 8);
            b[15] = (uint8_t)h->hv1.tp_vlan_tci;
            memcpy(b + 16, data + 12, h->tp_snaplen - 12);
            pkt->data = b;
            pkt->caplen += 4;
            pkt->wirelen += 4;
        }
        return SOURCE_PACKET;
    }
}

void afp_read_stats(struct afp *a, unsigned i)
{
    struct afp_sock *s = &a->s[i];
    struct tpacket_stats_v3 ks;
    socklen_t len = sizeof(ks);
    memset(&ks, 0, sizeof(ks));
    if (s->fd < 0 || getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) != 0)
        return;
    /* tp_packets counts every packet the filter kept, dropped ones included (as libpcap's ps_recv) */
    s->k_packets += ks.tp_packets;
    s->k_drops += ks.tp_drops;
    s->k_freezes += ks.tp_freeze_q_cnt;
}
