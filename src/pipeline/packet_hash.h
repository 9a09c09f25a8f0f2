/*
 * packet_hash.h - which worker owns a packet: the reader's only look inside.
 *
 * The key is the pair of IP addresses (outermost IP header), ordered so that
 * both directions give the same value.  Not the ports: an IP fragment other
 * than the first has none, and every fragment of a datagram must reach the
 * worker that holds the datagram's flow, so ports would split a flow whose
 * datagrams are sometimes fragmented (DNS over UDP, evasions) over two
 * workers.  Tunnels (GRE, ERSPAN, VXLAN, IP in IP) are hashed by their outer
 * addresses: the reader does not take them apart, and the two directions of
 * a tunnel use the same endpoints; a SPAN feed that arrives as one ERSPAN
 * session therefore stays on one worker.  Non-IP frames (ARP, LLDP) and frames
 * too short to hold their addresses go to worker 0.  VLAN ids are left out:
 * less in the key can only keep more together.
 *
 * Link types: Ethernet (802.1Q/802.1ad/QinQ tags, PPPoE session), Linux SLL
 * and SLL2, BSD NULL/LOOP, raw IP (12, 14, 101, 228, 229), PPP (9, 50).
 */
#ifndef MEDSENTRY_PIPELINE_PACKET_HASH_H
#define MEDSENTRY_PIPELINE_PACKET_HASH_H

#include <stdint.h>

#include "core/packet.h"

/* The symmetric hash of the packet's address pair; 0 for a packet without one. */
uint64_t packet_hash(const struct packet *pkt);
/* The worker of n (n >= 1) that owns the packet. */
unsigned packet_worker(const struct packet *pkt, unsigned n);

#endif
