/*
 * pcap.c - packet sources through libpcap: pcap and pcapng files
 * (pcap_open_offline reads both, and "-" for stdin) and live interfaces
 * (pcap_create/pcap_activate with a read timeout, so the loop can notice a
 * stop request and keep packet time moving when the link is quiet).
 */
#include <errno.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/source.h"

static const char *const capture_methods[] = {[CAPTURE_AF_PACKET] = "af-packet", [CAPTURE_PCAP] = "pcap", NULL};

static const struct config_key capture_keys[] = {
    CONFIG_KEY_SECTION("capture", "live capture only (-i); a capture file (-r) is always read with libpcap"),
    CONFIG_KEY_ENUM(struct capture_cfg, method, "capture.method", capture_methods, "af-packet",
                    "af-packet: one AF_PACKET socket (TPACKET_V3 ring) per worker thread in one PACKET_FANOUT_HASH "
                    "group: the\nkernel spreads flows over the workers, which read their sockets themselves; pcap: "
                    "libpcap, one reader thread\nhashing packets to the workers. If af-packet cannot be opened (not "
                    "permitted, unsupported link type),\nthe sensor says so on stderr and captures with libpcap."),
    CONFIG_KEY_INT(struct capture_cfg, snaplen, "capture.snaplen", 64, 262144, "65535", NULL),
    CONFIG_KEY_BOOL(struct capture_cfg, promisc, "capture.promisc", "yes", NULL),
    CONFIG_KEY_SIZE(struct capture_cfg, afp_block_size, "capture.af-packet.block-size", 4 * CONFIG_KB, 128 * CONFIG_MB,
                    "1mb",
                    "af-packet: bytes per ring block (a multiple of the page size; the largest frame must fit in one "
                    "block).\nThe kernel fills a block, then hands the whole block over."),
    CONFIG_KEY_U32(struct capture_cfg, afp_block_count, "capture.af-packet.block-count", 2, 65536, "32",
                   "af-packet: blocks per socket: each worker's ring is block-size x block-count bytes (32 MB by "
                   "default)"),
    CONFIG_KEY_U32(struct capture_cfg, afp_frame_size, "capture.af-packet.frame-size", 64, 1u << 27, "2048",
                   "af-packet: the frame size the ring is declared with (a multiple of 16, at most block-size); "
                   "TPACKET_V3 packs\nframes of any length into a block, so it only sets the frame count the "
                   "kernel checks"),
    CONFIG_KEY_U32(struct capture_cfg, afp_block_timeout, "capture.af-packet.block-timeout", 1, 10000, "10",
                   "af-packet: milliseconds after which the kernel hands over a block that is not full (the latency "
                   "of a quiet link)"),
};

/* The ring's geometry, as PACKET_RX_RING checks it: a configuration error (exit 2, -T), not a fallback. */
static int capture_validate(const void *cfg, char *err, size_t errlen)
{
    const struct capture_cfg *c = cfg;
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0 && c->afp_block_size % (uint64_t)page) {
        snprintf(err, errlen, "capture.af-packet.block-size: %llu is not a multiple of the page size (%ld)",
                 (unsigned long long)c->afp_block_size, page);
        return -1;
    }
    if (c->afp_frame_size % 16 || c->afp_frame_size > c->afp_block_size) {
        snprintf(err, errlen, "capture.af-packet.frame-size: %u must be a multiple of 16, at most block-size (%llu)",
                 c->afp_frame_size, (unsigned long long)c->afp_block_size);
        return -1;
    }
    return 0;
}

const struct config_module capture_config_module = {
    .name = "capture",
    .validate = capture_validate,
    .keys = capture_keys,
    .n = sizeof(capture_keys) / sizeof(capture_keys[0]),
    .struct_size = sizeof(struct capture_cfg),
};

struct pcap_priv {
    pcap_t *p;
    FILE *fp;    /* capture file we opened (libpcap closes it in pcap_close) */
    char *iobuf; /* its stdio buffer: large reads mean few system calls */
    int fd;      /* live: selectable descriptor, polled while the link is idle */
    /* live: the kernel's counters, read without opening anything (the sandbox forbids it after start-up):
     * PACKET_STATISTICS on the socket (it resets on every read: summed here), and the interface's drop counters
     * from sysfs through descriptors opened with the capture (as libpcap's pcap_stats reads them, by path). */
    uint64_t k_recv, k_drop, k_freeze;
    int sysfs_fd[2];
    uint64_t ifdrop_base;
};

static const char *const sysfs_drop_counters[2] = {"rx_missed_errors", "rx_fifo_errors"};

/* Sum of the interface's sysfs drop counters; false if none could be read. */
static bool sysfs_drops(const struct pcap_priv *pp, uint64_t *sum)
{
    bool any = false;
    *sum = 0;
    for (int i = 0; i < 2; i++) {
        char buf[32];
        ssize_t n = pp->sysfs_fd[i] >= 0 ? pread(pp->sysfs_fd[i], buf, sizeof(buf) - 1, 0) : -1;
        if (n <= 0)
            continue;
        buf[n] = '\0';
        *sum += strtoull(buf, NULL, 10);
        any = true;
    }
    return any;
}

#define PCAP_IDLE_POLL_MS 100

#define PCAP_FILE_BUFFER (1u << 20)

static enum source_rc pcap_src_next(struct source *src, struct packet *pkt)
{
    struct pcap_priv *pp = src->priv;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(pp->p, &h, &data);
    switch (rc) {
    case 1:
        pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        pkt->caplen = h->caplen;
        pkt->wirelen = h->len;
        pkt->linktype = src->linktype;
        pkt->data = data;
        return SOURCE_PACKET;
    case 0:
        /* Live and nonblocking: nothing queued.  Wait a little for traffic, then let the caller move time on.
         * (libpcap's own read timeout does not fire on an idle link with TPACKET_V3.) */
        if (pp->fd >= 0) {
            struct pollfd pfd = {.fd = pp->fd, .events = POLLIN};
            poll(&pfd, 1, PCAP_IDLE_POLL_MS);
        }
        return SOURCE_IDLE;
    case PCAP_ERROR_BREAK: return SOURCE_END;
    default: {
        const char *e = pcap_geterr(pp->p);
        snprintf(src->err, sizeof(src->err), "%s", e);
        /* libpcap says "truncated dump file" (pcap) or "truncated pcapng dump file" / "...block" (pcapng) */
        if (strstr(e, "truncated"))
            return SOURCE_TRUNCATED;
        return SOURCE_ERROR;
    }
    }
}

static void pcap_src_breakloop(struct source *src)
{
    struct pcap_priv *pp = src->priv;
    if (pp && pp->p)
        pcap_breakloop(pp->p);
}

static bool pcap_src_kernel_stats(struct source *src, uint64_t *recv, uint64_t *drop, uint64_t *ifdrop,
                                  uint64_t *freezes)
{
    struct pcap_priv *pp = src->priv;
    struct tpacket_stats_v3 ks;
    socklen_t len = sizeof(ks);
    memset(&ks, 0, sizeof(ks));
    if (!src->live || getsockopt(pcap_fileno(pp->p), SOL_PACKET, PACKET_STATISTICS, &ks, &len) != 0)
        return false;
    pp->k_recv += ks.tp_packets;
    pp->k_drop += ks.tp_drops;
    pp->k_freeze += ks.tp_freeze_q_cnt;
    uint64_t now;
    *freezes = pp->k_freeze;
    *recv = pp->k_recv;
    *drop = pp->k_drop;
    *ifdrop = sysfs_drops(pp, &now) && now >= pp->ifdrop_base ? now - pp->ifdrop_base : 0;
    return true;
}

static void pcap_src_close(struct source *src)
{
    struct pcap_priv *pp = src->priv;
    if (pp) {
        for (int i = 0; i < 2; i++)
            if (pp->sysfs_fd[i] >= 0)
                close(pp->sysfs_fd[i]);
        if (pp->p)
            pcap_close(pp->p); /* also closes pp->fp */
        free(pp->iobuf);
        free(pp);
    }
    src->priv = NULL;
}

static bool pcap_src_position(struct source *src, uint64_t *offset, uint64_t *size)
{
    struct pcap_priv *pp = src->priv;
    if (src->live || !pp || !pp->fp)
        return false;
    struct stat st;
    *size = fstat(fileno(pp->fp), &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    off_t off = ftello(pp->fp); /* where stdio's reader is: a pipe has no offset */
    *offset = off >= 0 ? (uint64_t)off : 0;
    return off >= 0;
}

static const struct source_ops pcap_ops = {
    .name = "pcap",
    .next = pcap_src_next,
    .breakloop = pcap_src_breakloop,
    .kernel_stats = pcap_src_kernel_stats,
    .close = pcap_src_close,
    .position = pcap_src_position,
};

static int apply_filter(struct source *src, pcap_t *p, const char *bpf)
{
    if (!bpf || !*bpf)
        return 0;
    struct bpf_program prog;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(src->err, sizeof(src->err), "BPF filter '%s': %s", bpf, pcap_geterr(p));
        return -1;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
        snprintf(src->err, sizeof(src->err), "BPF filter '%s': %s", bpf, pcap_geterr(p));
        return -1;
    }
    return 0;
}

static int source_attach(struct source *src, pcap_t *p, const char *bpf)
{
    struct pcap_priv *pp = calloc(1, sizeof(*pp));
    if (!pp) {
        pcap_close(p);
        snprintf(src->err, sizeof(src->err), "out of memory");
        return -1;
    }
    pp->p = p;
    pp->fd = -1;
    pp->sysfs_fd[0] = pp->sysfs_fd[1] = -1;
    src->priv = pp;
    src->ops = &pcap_ops;
    src->linktype = pcap_datalink(p);
    if (apply_filter(src, p, bpf) < 0) {
        source_close(src);
        return -1;
    }
    return 0;
}

int source_open_file(struct source *src, const char *path, const struct source_opts *o)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    memset(src, 0, sizeof(*src));
    if (strcmp(path, "-") != 0) {
        struct stat st;
        if (stat(path, &st) != 0) {
            snprintf(src->err, sizeof(src->err), "%s: %s", path, strerror(errno));
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(src->err, sizeof(src->err), "%s: is a directory, not a capture file", path);
            return -1;
        }
    }
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *fp = is_stdin ? stdin : fopen(path, "rb");
    if (!fp) {
        snprintf(src->err, sizeof(src->err), "%s: %s", path, strerror(errno));
        return -1;
    }
    char *iobuf = malloc(PCAP_FILE_BUFFER);
    if (iobuf)
        setvbuf(fp, iobuf, _IOFBF, PCAP_FILE_BUFFER);
    pcap_t *p = pcap_fopen_offline(fp, errbuf);
    if (!p) {
        if (!is_stdin)
            fclose(fp);
        else
            setvbuf(fp, NULL, _IONBF, 0);
        free(iobuf);
        /* libpcap's "unknown file format" is the common case: say it plainly. */
        if (strstr(errbuf, "unknown file format"))
            snprintf(src->err, sizeof(src->err), "%s: not a pcap or pcapng capture file", path);
        else
            snprintf(src->err, sizeof(src->err), "%s: %s", path, errbuf);
        return -1;
    }
    if (source_attach(src, p, o->bpf) < 0) {
        free(iobuf);
        return -1;
    }
    ((struct pcap_priv *)src->priv)->fp = fp;
    ((struct pcap_priv *)src->priv)->iobuf = iobuf;
    return 0;
}

int source_open_live(struct source *src, const char *iface, const struct source_opts *o)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    memset(src, 0, sizeof(*src));
    pcap_t *p = pcap_create(iface, errbuf);
    if (!p) {
        snprintf(src->err, sizeof(src->err), "%s: %s", iface, errbuf);
        return -1;
    }
    pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen : 65535);
    pcap_set_promisc(p, o->promisc ? 1 : 0);
    pcap_set_timeout(p, 100);
    pcap_set_buffer_size(p, 64 << 20);
    int rc = pcap_activate(p);
    if (rc < 0) {
        snprintf(src->err, sizeof(src->err), "%s: %s", iface, rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
        pcap_close(p);
        return -1;
    }
    if (source_attach(src, p, o->bpf) < 0)
        return -1;
    struct pcap_priv *pp = src->priv;
    pp->fd = pcap_get_selectable_fd(p);
    if (pp->fd < 0 || pcap_setnonblock(p, 1, errbuf) < 0) {
        snprintf(src->err, sizeof(src->err), "%s: cannot poll the capture: %s", iface, errbuf);
        source_close(src);
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        char path[256];
        if (strchr(iface, '/') == NULL && snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", iface,
                                                   sysfs_drop_counters[i]) < (int)sizeof(path))
            pp->sysfs_fd[i] = open(path, O_RDONLY | O_CLOEXEC);
    }
    sysfs_drops(pp, &pp->ifdrop_base);
    src->live = true;
    return 0;
}
