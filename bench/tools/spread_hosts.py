#!/usr/bin/env python3
"""spread_hosts.py IN.pcap OUT.pcap - the same traffic from many client hosts.

The bench captures are made on one loopback interface by a few clients (4 address pairs in mixed.pcap), so a
sensor that spreads work by address pair (medsentry's reader, docs/DESIGN.md "Across cores") has nothing to spread.
This rewrites, in every IPv4 TCP/UDP packet, the client's address (the end with the higher port) to 10.P1.P2.1
with P1.P2 its port, so each connection comes from its own host, as on a hospital network with many
workstations and modalities; servers keep theirs. Flows stay flows (both directions are rewritten alike); the
IPv4 header checksum is recomputed, and TCP/UDP checksums are adjusted for the new pseudo-header address
(RFC 1624), so every byte the parsers read is unchanged. Ethernet (DLT_EN10MB) classic pcap only.
"""
import struct
import sys


def csum_adjust(old_sum, old_words, new_words):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')."""
    s = (~old_sum) & 0xFFFF
    for o, n in zip(old_words, new_words):
        s += (~o) & 0xFFFF
        s += n
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def words(b):
    return [b[0] << 8 | b[1], b[2] << 8 | b[3]]


def ip_csum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += hdr[i] << 8 | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def main():
    src, dst = sys.argv[1], sys.argv[2]
    n = changed = 0
    with open(src, "rb") as f, open(dst, "wb") as out:
        gh = f.read(24)
        if gh[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", gh[20:24])[0] != 1:
            sys.exit("spread_hosts.py: %s: want a little-endian microsecond Ethernet pcap" % src)
        out.write(gh)
        while True:
            ph = f.read(16)
            if len(ph) < 16:
                break
            incl = struct.unpack("<IIII", ph)[2]
            d = bytearray(f.read(incl))
            n += 1
            if len(d) >= 14 + 20 and d[12:14] == b"\x08\x00" and d[14] >> 4 == 4:
                ihl = (d[14] & 15) * 4
                proto = d[23]
                frag = (d[20] << 8 | d[21]) & 0x3FFF
                l4 = 14 + ihl
                if proto in (6, 17) and not frag and len(d) >= l4 + 8:
                    sport, dport = struct.unpack(">HH", d[l4:l4 + 4])
                    client = 26 if sport > dport else 30  # offset of the client's address
                    port = sport if sport > dport else dport
                    old = bytes(d[client:client + 4])
                    new = bytes([10, port >> 8, port & 255, 1])
                    d[client:client + 4] = new
                    d[24:26] = b"\x00\x00"
                    d[24:26] = struct.pack(">H", ip_csum(d[14:14 + ihl]))
                    co = l4 + (16 if proto == 6 else 6)
                    if len(d) >= co + 2:
                        old_sum = d[co] << 8 | d[co + 1]
                        if not (proto == 17 and old_sum == 0):
                            d[co:co + 2] = struct.pack(">H", csum_adjust(old_sum, words(old), words(new)))
                    changed += 1
            out.write(ph)
            out.write(d)
    print("spread_hosts.py: %d packets, %d rewritten -> %s" % (n, changed, dst))


if __name__ == "__main__":
    main()
