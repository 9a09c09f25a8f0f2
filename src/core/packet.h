/*
 * packet.h - one captured frame as a source hands it to the pipeline.
 *
 * Time is the capture timestamp in microseconds since the epoch; nothing on the
 * packet path reads the wall clock, so a capture replays exactly.
 */
#ifndef MEDSENTRY_CORE_PACKET_H
#define MEDSENTRY_CORE_PACKET_H

#include <stdint.h>

/*
 * A buffer of packet bytes a source shares instead of lending (the fast reader of classic pcap files,
 * source/pcap.c): the bytes stay valid while a reference is held, so the threaded reader hands workers pointers
 * into it instead of copying.  References are taken and dropped on the reader's thread only.
 */
struct packet_buf;
void packet_buf_ref(struct packet_buf *b);
void packet_buf_unref(struct packet_buf *b);

struct packet {
    uint64_t ts_us;   /* capture time, microseconds since 1970-01-01 UTC */
    uint32_t caplen;  /* bytes present in data */
    uint32_t wirelen; /* bytes the frame had on the wire */
    int linktype;     /* DLT_* from libpcap */
    const uint8_t *data;
    struct packet_buf *buf; /* NULL: data is valid until the source's next call; else data lies in *buf */
};

#endif
