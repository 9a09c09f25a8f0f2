#!/usr/bin/env python3
"""Scenario captures for medsentry's C2 detections (KWAMPIRS.md §7.1-7.4), written directly as pcap files.

Nothing is sent on any network: every packet is built here (Ethernet/IPv4/TCP or UDP, checksums computed) and
written to a file.  Run from anywhere: `python3 tests/data/c2/make_c2_pcaps.py` rewrites the .pcap files beside
it; the output is deterministic (fixed timestamps, ports and payloads).

c2_01_kwampirs_http.pcap   infected workstation 10.1.2.30 (resolver 10.1.2.53):
  t=0   DNS A pbnyhdsite.info -> 192.0.2.77 (a generated name, on no list)          -> §7.3 on the DNS query
  t=1   GET /new/index.php?q=KT<base64> to 192.0.2.77, headers User-Agent (Mozilla/4.0 ...), Host: pbnyhdsite.info,
        Connection; no Accept/Referer/Cookie                                        -> §7.1 (and §7.3 on Host)
  t=60  DNS A ikjmain.com (on the Kwampirs domain list)                             -> §7.2 domain
  t=61  GET /login/login.php?q=KT... to 65.116.107.24, Host 65.116.107.24 (listed address + path) -> §7.1, §7.2 ip+path
c2_02_browser_search_negative.pcap   user workstation 10.1.2.40 and a browser:
  DNS A search.hospital.example -> 10.1.9.80, then GET /search.php?q=KTM2NTQ= (a site search for "KT..."), headers
  Host first, User-Agent, Accept, Referer, Cookie: no alert (the near miss of §7.1).  Also GET of the same URL
  12 times at irregular (browsing) intervals with a Referer: no beacon.
c2_03_fallback_cycling.pcap   infected workstation 10.1.2.30 cycles through 12 raw IPs on TCP/80: SYN, no answer
  (odd ones) or RST-ACK (even ones), one attempt every 20 s, no DNS before them; it also resolves
  update.vendor.example -> 203.0.113.9 and connects there successfully (named: not counted)  -> §7.4 once
c2_04_fallback_below_threshold.pcap   the same with 9 raw IPs (threshold 10), and 3 more attempts to IPs it looked
  up first: no alert.
c2_05_spread_then_beacon.pcap   the corpus capture smb_02 (127.0.0.1 copies svcupdate.exe to \\PACS-WS01\ADMIN$ on
  127.0.0.30 and creates the service SvcUpdate over svcctl), its packets unchanged, then 30 s after its last packet
  the target 127.0.0.30 sends the Kwampirs C2 request GET /login/login.php?q=KT... to the listed address
  65.116.107.24: the infected host beacons (KWAMPIRS.md §2.1, §2.2), so the spreading source's chain gains its C2 step.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
T0 = 1800000000.0


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ipv4(src, dst, proto, payload, ident=1):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, 64, proto, 0, ip4(src),
                    ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def l4sum(src, dst, proto, seg):
    return csum(ip4(src) + ip4(dst) + struct.pack("!BBH", 0, proto, len(seg)) + seg)


def tcp(src, dst, sp, dp, seq, ack, flags, data=b""):
    seg = struct.pack("!HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0) + data
    c = l4sum(src, dst, 6, seg)
    return ipv4(src, dst, 6, seg[:16] + struct.pack("!H", c) + seg[18:])


def udp(src, dst, sp, dp, data):
    seg = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    c = l4sum(src, dst, 17, seg) or 0xFFFF
    return ipv4(src, dst, 17, seg[:6] + struct.pack("!H", c) + seg[8:])


def eth(ip):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip


class Pcap:
    def __init__(self):
        self.recs = []

    def add(self, t, ip):
        self.recs.append((t, eth(ip)))

    def write(self, name):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, pkt in sorted(self.recs, key=lambda r: r[0]):
                sec = int(T0 + t)
                usec = int(round((T0 + t - sec) * 1e6))
                f.write(struct.pack("<IIII", sec, usec, len(pkt), len(pkt)) + pkt)


SYN, ACK, PSH, FIN, RST = 0x02, 0x10, 0x08, 0x01, 0x04


def qname(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"


def dns(p, t, client, resolver, sport, qid, name, answer):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname(name) + struct.pack("!HH", 1, 1)
    p.add(t, udp(client, resolver, sport, 53, q))
    r = struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + qname(name) + struct.pack("!HH", 1, 1)
    r += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + ip4(answer)
    p.add(t + 0.002, udp(resolver, client, 53, sport, r))


def http(p, t, client, server, sport, request, response=b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"):
    """One TCP connection: handshake, request, response, FIN both ways."""
    cs, ss = 1000, 5000
    p.add(t, tcp(client, server, sport, 80, cs, 0, SYN))
    p.add(t + 0.001, tcp(server, client, 80, sport, ss, cs + 1, SYN | ACK))
    p.add(t + 0.002, tcp(client, server, sport, 80, cs + 1, ss + 1, ACK))
    p.add(t + 0.003, tcp(client, server, sport, 80, cs + 1, ss + 1, PSH | ACK, request))
    p.add(t + 0.010, tcp(server, client, 80, sport, ss + 1, cs + 1 + len(request), PSH | ACK, response))
    c2, s2 = cs + 1 + len(request), ss + 1 + len(response)
    p.add(t + 0.011, tcp(client, server, sport, 80, c2, s2, FIN | ACK))
    p.add(t + 0.012, tcp(server, client, 80, sport, s2, c2 + 1, FIN | ACK))
    p.add(t + 0.013, tcp(client, server, sport, 80, c2 + 1, s2 + 1, ACK))


def failed(p, t, client, server, sport, refused):
    p.add(t, tcp(client, server, sport, 80, 7000, 0, SYN))
    p.add(t + 3, tcp(client, server, sport, 80, 7000, 0, SYN))  # the retransmitted SYN
    if refused:
        p.add(t + 0.001, tcp(server, client, 80, sport, 0, 7001, RST | ACK))


KT = "KTRqZ1NvbWVFbmNyeXB0ZWRCZWFjb25EYXRhQUFBQQ=="
UA_KW = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)"


def kwampirs_get(path, host):
    return ("GET %s?q=%s HTTP/1.1\r\nUser-Agent: %s\r\nHost: %s\r\nConnection: Keep-Alive\r\n\r\n"
            % (path, KT, UA_KW, host)).encode()


def c2_01():
    p = Pcap()
    c, r = "10.1.2.30", "10.1.2.53"
    dns(p, 0.0, c, r, 40001, 0x1111, "pbnyhdsite.info", "192.0.2.77")
    http(p, 1.0, c, "192.0.2.77", 49201, kwampirs_get("/new/index.php", "pbnyhdsite.info"))
    dns(p, 60.0, c, r, 40002, 0x2222, "ikjmain.com", "198.51.100.20")
    http(p, 61.0, c, "65.116.107.24", 49202, kwampirs_get("/login/login.php", "65.116.107.24"))
    p.write("c2_01_kwampirs_http.pcap")


def c2_02():
    p = Pcap()
    c, r, s = "10.1.2.40", "10.1.2.53", "10.1.9.80"
    dns(p, 0.0, c, r, 40011, 0x3333, "search.hospital.example", s)
    gaps = [1.0, 7.5, 2.2, 19.0, 4.1, 3.3, 11.0, 1.4, 6.6, 2.9, 14.2, 5.0]
    t = 1.0
    for i, g in enumerate(gaps):
        t += g
        req = ("GET /search.php?q=KTM2NTQ= HTTP/1.1\r\nHost: search.hospital.example\r\nUser-Agent: Mozilla/5.0 "
               "(Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0\r\nAccept: text/html,*/*\r\n"
               "Referer: http://search.hospital.example/\r\nCookie: s=1\r\n\r\n").encode()
        http(p, t, c, s, 49300 + i, req)
    p.write("c2_02_browser_search_negative.pcap")


def fallback(name, n_raw):
    p = Pcap()
    c, r = "10.1.2.30", "10.1.2.53"
    dns(p, 0.0, c, r, 40021, 0x4444, "update.vendor.example", "203.0.113.9")
    http(p, 1.0, c, "203.0.113.9", 49400, b"GET /check HTTP/1.1\r\nHost: update.vendor.example\r\n\r\n")
    raw = ["13.44.61.126", "56.28.111.63", "118.71.138.69", "117.32.65.101", "18.25.62.70", "92.137.43.17",
           "33.25.72.21", "16.48.37.37", "91.29.51.11", "101.11.98.119", "45.33.12.9", "77.88.21.3"]
    for i in range(n_raw):
        failed(p, 10.0 + 20 * i, c, raw[i], 49500 + i, refused=(i % 2 == 0))
    if n_raw < 10:  # looked up first, then refused: not raw IPs
        for i, (nm, a) in enumerate([("a.vendor.example", "198.51.100.31"), ("b.vendor.example", "198.51.100.32"),
                                     ("c.vendor.example", "198.51.100.33")]):
            dns(p, 300.0 + 10 * i, c, r, 40030 + i, 0x5000 + i, nm, a)
            failed(p, 300.5 + 10 * i, c, a, 49600 + i, refused=True)
    p.write(name)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack("<I", data[:4])
    assert magic == 0xA1B2C3D4 and struct.unpack("<I", data[20:24])[0] == 1, "little-endian Ethernet pcap expected"
    off, out = 24, []
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec + usec / 1e6, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


def c2_05():
    smb = read_pcap(os.path.join(HERE, "..", "corpus", "generated", "pcaps", "smb_02_smb2_kwampirs_like_lateral.pcap"))
    p = Pcap()
    base = smb[0][0]
    for t, frame in smb:
        p.recs.append((t - base, frame))
    last = smb[-1][0] - base
    http(p, last + 30.0, "127.0.0.30", "65.116.107.24", 49700, kwampirs_get("/login/login.php", "65.116.107.24"))
    p.write("c2_05_spread_then_beacon.pcap")


if __name__ == "__main__":
    c2_01()
    c2_02()
    fallback("c2_03_fallback_cycling.pcap", 12)
    fallback("c2_04_fallback_below_threshold.pcap", 9)
    c2_05()
