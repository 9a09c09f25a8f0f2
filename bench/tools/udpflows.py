#!/usr/bin/env python3
"""udpflows.py OUT.pcap N - a capture of N distinct UDP flows (a 64-byte request and a 128-byte answer each, 1 ms
apart, 20 flows per millisecond), for measuring what one row per flow costs the SQLite store (bench/store.sh).
Deterministic: the same N gives the same bytes."""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    t0 = 1796000000 * 1000000
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(n):
            cli = bytes([10, 1, (i >> 8) & 0xFF, i & 0xFF])
            srv = bytes([10, 2, (i >> 16) & 0xFF, 1 + (i % 200)])
            sport = 20000 + (i * 7919) % 40000
            t = t0 + (i // 20) * 1000
            for k, (a, b, sp, dp, ln) in enumerate(((cli, srv, sport, 5353, 64), (srv, cli, 5353, sport, 128))):
                pkt = frame(a, b, sp, dp, bytes((i + j) & 0xFF for j in range(ln)))
                ts = t + k * 500
                f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(pkt), len(pkt)) + pkt)


if __name__ == "__main__":
    main()
