/*
 * source.h - where packets come from.  One operations table per backend
 * (libpcap file, libpcap live), as libpcap itself does with its capture
 * backends.  AF_PACKET fanout (source/afpacket.h) is read by the worker
 * threads themselves, one socket each, not through this table.
 */
#ifndef MEDSENTRY_SOURCE_SOURCE_H
#define MEDSENTRY_SOURCE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/packet.h"

enum source_rc {
    SOURCE_PACKET = 1,    /* *pkt is valid until the next call */
    SOURCE_END = 0,       /* end of file */
    SOURCE_IDLE = 2,      /* live: no packet within the read timeout */
    SOURCE_TRUNCATED = 3, /* file ended in the middle of a packet: treat as end, warn */
    SOURCE_ERROR = -1,    /* err holds one sentence */
};

struct source;

struct source_ops {
    const char *name;
    enum source_rc (*next)(struct source *src, struct packet *pkt);
    void (*breakloop)(struct source *src); /* may be called from a signal handler */
    /* kernel counters for live capture; false if none */
    bool (*kernel_stats)(struct source *src, uint64_t *recv, uint64_t *drop, uint64_t *ifdrop, uint64_t *freezes);
    void (*close)(struct source *src);
    /* files: bytes read so far, and the file's size (0 when unknown: a pipe); false if neither is known */
    bool (*position)(struct source *src, uint64_t *offset, uint64_t *size);
};

struct source {
    const struct source_ops *ops;
    void *priv;
    int linktype;
    bool live;
    char err[512];
};

/* capture.*: the table is in pcap.c. */
enum capture_method { CAPTURE_AF_PACKET, CAPTURE_PCAP };
struct capture_cfg {
    int method;                 /* capture.method: enum capture_method (live capture only) */
    int snaplen;                /* capture.snaplen: live capture */
    bool promisc;               /* capture.promisc: live capture */
    uint64_t afp_block_size;    /* capture.af-packet.block-size: bytes per ring block */
    uint32_t afp_block_count;   /* capture.af-packet.block-count: blocks per socket */
    uint32_t afp_frame_size;    /* capture.af-packet.frame-size */
    uint32_t afp_block_timeout; /* capture.af-packet.block-timeout: ms */
};
extern const struct config_module capture_config_module;

struct source_opts {
    const char *bpf; /* NULL: no filter */
    int snaplen;     /* live */
    bool promisc;    /* live */
};

/* Open a pcap or pcapng file ("-" = stdin).  0 on success; -1 with err set. */
int source_open_file(struct source *src, const char *path, const struct source_opts *o);
/* Open a live interface.  0 on success; -1 with err set. */
int source_open_live(struct source *src, const char *iface, const struct source_opts *o);

static inline enum source_rc source_next(struct source *src, struct packet *pkt)
{
    return src->ops->next(src, pkt);
}

static inline void source_close(struct source *src)
{
    if (src->ops)
        src->ops->close(src);
    src->ops = NULL;
}

#endif
