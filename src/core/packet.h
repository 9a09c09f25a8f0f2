/*
 * packet.h - one captured frame as a source hands it to the pipeline.
 *
 * Time is the capture timestamp in microseconds since the epoch; nothing on the
 * packet path reads the wall clock, so a capture replays exactly.
 */
#ifndef MEDSENTRY_CORE_PACKET_H
#define MEDSENTRY_CORE_PACKET_H

#include <stdint.h>

struct packet {
    uint64_t ts_us;   /* capture time, microseconds since 1970-01-01 UTC */
    uint32_t caplen;  /* bytes present in data */
    uint32_t wirelen; /* bytes the frame had on the wire */
    int linktype;     /* DLT_* from libpcap */
    const uint8_t *data;
};

#endif
