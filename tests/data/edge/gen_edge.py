#!/usr/bin/env python3
"""Hand-built edge-case captures for medsentry's integration tests (python3 standard library only).

    python3 tests/data/edge/gen_edge.py [OUTDIR]      # default: the directory of this script

Every capture is written byte by byte with struct (pcap: magic 0xa1b2c3d4, version 2.4, microsecond timestamps;
one pcapng file with SHB+IDB+EPB). Nothing here comes from medsentry: the expected results in EXPECT are what the
protocols say about the packets built below. tests/integration/test_edge.py imports this module, checks that the
committed files are byte-identical to what it builds, and checks medsentry against EXPECT.

Addresses: documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32). Times start at 2023-11-14T22:13:20Z
(epoch 1700000000) and advance 1 ms per packet.
"""
import ipaddress
import os
import struct
import sys

T0 = 1700000000.0

# ----------------------------------------------------------------------------------------------------------------
# checksums and headers
# ----------------------------------------------------------------------------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip4(a):
    return ipaddress.IPv4Address(a).packed


def ip6(a):
    return ipaddress.IPv6Address(a).packed


def l4_checksum(src, dst, proto, seg):
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack("!IxxxB", len(seg), proto)
    return csum(pseudo + seg)


def tcp_seg(src, dst, sport, dport, seq, ack, flags, payload=b"", window=64240, doff=5, options=b""):
    """TCP segment with a correct checksum. flags: string of S A F R P U. doff: data offset in 32-bit words."""
    fl = 0
    for ch, bit in (("F", 1), ("S", 2), ("R", 4), ("P", 8), ("A", 16), ("U", 32)):
        if ch in flags:
            fl |= bit
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, doff << 4, fl, window, 0, 0)
    seg = hdr + options + payload
    c = l4_checksum(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp_dgram(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_checksum(src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def ipv4_pkt(src, dst, proto, payload, ident=0x1234, mf=False, frag_off=0, df=False, ttl=64):
    """IPv4 header (20 bytes) + payload. frag_off in bytes (multiple of 8)."""
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, ttl, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6_pkt(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, hlim, src, dst) + payload


def ipv6_frag(src, dst, nh, chunk, off, mf, ident):
    fh = struct.pack("!BBHI", nh, 0, (off // 8) << 3 | (1 if mf else 0), ident)
    return ipv6_pkt(src, dst, 44, fh + chunk)


MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")


def eth(l3, ethertype=0x0800, vlans=(), src=MAC_C, dst=MAC_S):
    """Ethernet II; vlans = [(tpid, vid), ...] outermost first."""
    out = dst + src
    for tpid, vid in vlans:
        out += struct.pack("!H", tpid)
        out += struct.pack("!H", vid & 0x0FFF)   # PCP 0, DEI 0
    return out + struct.pack("!H", ethertype) + l3


def ethertype_of(l3):
    return 0x86DD if (l3[0] >> 4) == 6 else 0x0800


def sll(l3, outgoing=False):
    """Linux cooked capture v1 (linktype 113): 16-byte header."""
    return struct.pack("!HHH8sH", 4 if outgoing else 0, 1, 6, MAC_C + b"\0\0", ethertype_of(l3)) + l3


def sll2(l3, outgoing=False):
    """Linux cooked capture v2 (linktype 276): 20-byte header."""
    return struct.pack("!HHIHBB8s", ethertype_of(l3), 0, 1, 1, 4 if outgoing else 0, 6, MAC_C + b"\0\0") + l3


def null_lo(l3):
    """BSD loopback (linktype 0): 4-byte address family in host byte order (little-endian writer: AF_INET=2,
    AF_INET6=24/28/30 depending on the BSD; 2 and 24 used here)."""
    return struct.pack("<I", 24 if (l3[0] >> 4) == 6 else 2) + l3


# ----------------------------------------------------------------------------------------------------------------
# writers
# ----------------------------------------------------------------------------------------------------------------

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_SLL, LINKTYPE_SLL2 = 0, 1, 101, 113, 276


def pcap_bytes(linktype, frames, snaplen=65535, truncate_last_to=None):
    """frames: list of bytes; timestamps T0 + i ms. truncate_last_to: cut the last record's DATA in the file
    after that many bytes (the record header still announces the full length): a capture cut mid-packet."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for i, fr in enumerate(frames):
        ts = T0 + i * 0.001
        sec, usec = int(ts), int(round((ts - int(ts)) * 1e6))
        out += struct.pack("<IIII", sec, usec, len(fr), len(fr))
        if truncate_last_to is not None and i == len(frames) - 1:
            out += fr[:truncate_last_to]
        else:
            out += fr
    return out


def pcapng_bytes(linktype, frames, snaplen=65535):
    def block(btype, body):
        body += b"\0" * ((4 - len(body) % 4) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen))   # no options: if_tsresol = 10^-6
    out = shb + idb
    for i, fr in enumerate(frames):
        ts = int(round((T0 + i * 0.001) * 1e6))
        out += block(0x00000006, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(fr), len(fr)) + fr)
    return out


# ----------------------------------------------------------------------------------------------------------------
# a TCP conversation builder
# ----------------------------------------------------------------------------------------------------------------

class Tcp:
    """Builds L3 packets of one TCP connection. Offsets are relative to the first data byte of each side."""

    def __init__(self, cip, sip, cport, sport, v6=False, c_isn=1000, s_isn=50000):
        self.v6 = v6
        pk = ip6 if v6 else ip4
        self.c, self.s = pk(cip), pk(sip)
        self.cip, self.sip, self.cport, self.sport = cip, sip, cport, sport
        self.ci, self.si = c_isn, s_isn
        self.pkts = []          # (direction 'ts'/'tc', l3 bytes)

    def _ip(self, src, dst, seg):
        if self.v6:
            return ipv6_pkt(src, dst, 6, seg)
        return ipv4_pkt(src, dst, 6, seg)

    def c2s(self, flags, off=0, data=b"", ack_off=0, **kw):
        """client -> server; off: client data offset of the first byte; ack_off: server bytes acknowledged."""
        seq = self.ci + (0 if "S" in flags else 1 + off)
        ack = self.si + 1 + ack_off if "A" in flags else 0
        p = self._ip(self.c, self.s, tcp_seg(self.c, self.s, self.cport, self.sport, seq, ack, flags, data, **kw))
        self.pkts.append(("ts", p))
        return p

    def s2c(self, flags, off=0, data=b"", ack_off=0, **kw):
        seq = self.si + (0 if "S" in flags else 1 + off)
        ack = self.ci + 1 + ack_off if "A" in flags else 0
        p = self._ip(self.s, self.c, tcp_seg(self.s, self.c, self.sport, self.cport, seq, ack, flags, data, **kw))
        self.pkts.append(("tc", p))
        return p

    def handshake(self):
        self.c2s("S")
        self.s2c("SA")
        self.c2s("A")

    def simple(self, req, resp):
        """handshake, one request, one response, FIN both ways (10 packets: 5 each way)."""
        self.handshake()
        self.c2s("PA", 0, req)
        self.s2c("PA", 0, resp, ack_off=len(req))
        self.c2s("A", len(req), ack_off=len(resp))
        self.c2s("FA", len(req), ack_off=len(resp))
        self.s2c("FA", len(resp), ack_off=len(req) + 1)
        self.c2s("A", len(req) + 1, ack_off=len(resp) + 1)
        return self

    def l3(self):
        return [p for _, p in self.pkts]


# ----------------------------------------------------------------------------------------------------------------
# the cases
# ----------------------------------------------------------------------------------------------------------------

CLI4, SRV4 = "192.0.2.10", "198.51.100.20"
CLI6, SRV6 = "2001:db8::10", "2001:db8::20"
REQ = b"GET /edge HTTP/1.0\r\nHost: edge.example\r\n\r\n"
RESP = b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"

FILES = {}    # name -> bytes
EXPECT = {}   # name -> dict of expectations (see test_edge.py)


def add(name, data, **expect):
    FILES[name] = data
    EXPECT[name] = expect


def simple_flow_expect(tcp, framer):
    frames = [(d, framer(p)) for d, p in tcp.pkts]
    return {
        "proto": "TCP", "src_ip": tcp.cip, "src_port": tcp.cport, "dest_ip": tcp.sip, "dest_port": tcp.sport,
        "pkts_toserver": sum(1 for d, _ in frames if d == "ts"), "pkts_toclient": sum(1 for d, _ in frames if d == "tc"),
        "bytes_toserver": sum(len(f) for d, f in frames if d == "ts"),
        "bytes_toclient": sum(len(f) for d, f in frames if d == "tc"),
    }


def build():
    FILES.clear()
    EXPECT.clear()

    # 1. IPv4 UDP datagram in 3 fragments, sent out of order (2nd, 3rd, 1st). UDP payload 3000 bytes:
    #    UDP datagram 3008 bytes = fragments of 1480 + 1480 + 48 bytes at offsets 0, 1480, 2960.
    payload = bytes((i * 7 + 3) & 0xFF for i in range(3000))
    dg = udp_dgram(ip4(CLI4), ip4(SRV4), 40000, 5353, payload)
    parts = [(0, dg[0:1480], True), (1480, dg[1480:2960], True), (2960, dg[2960:], False)]
    frags = [eth(ipv4_pkt(ip4(CLI4), ip4(SRV4), 17, c, ident=0x4242, mf=mf, frag_off=o)) for o, c, mf in parts]
    order = [1, 2, 0]
    add("frag4_udp_ooo.pcap", pcap_bytes(LINKTYPE_ETHERNET, [frags[i] for i in order]),
        flows=[{"proto": "UDP", "src_ip": CLI4, "src_port": 40000, "dest_ip": SRV4, "dest_port": 5353}],
        stats={"defrag.ipv4.fragments": 3, "defrag.ipv4.reassembled": 1},
        fragment_frames=[len(f) for f in frags])

    # 2. IPv4 overlapping fragments with different data. Fragment A: offset 0, 24 bytes (UDP header + 16 bytes 'A'),
    #    MF. Fragment B: offset 16, 16 bytes 'B', last. Bytes 16..23 are covered twice with different data.
    dg = udp_dgram(ip4(CLI4), ip4(SRV4), 40001, 5353, b"A" * 24)   # 32-byte datagram; header checksum of 'A's
    fa = ipv4_pkt(ip4(CLI4), ip4(SRV4), 17, dg[:24], ident=0x4343, mf=True, frag_off=0)
    fb = ipv4_pkt(ip4(CLI4), ip4(SRV4), 17, b"B" * 16, ident=0x4343, mf=False, frag_off=16)
    add("frag4_overlap_diff.pcap", pcap_bytes(LINKTYPE_ETHERNET, [eth(fa), eth(fb)]),
        anomalies=[("decode", "ipv4", "frag_overlap"), ("decode", "ipv4", "frag_overlap_different_data")],
        stats={"defrag.ipv4.fragments": 2})

    # 3. IPv6 UDP datagram in 3 fragments (in order): 2000-byte payload = 2008-byte UDP datagram, fragments of
    #    1232 + 768 + 8 bytes... kept multiple of 8: 1000, 1000, 8.
    payload = bytes((i * 13 + 1) & 0xFF for i in range(2000))
    dg = udp_dgram(ip6(CLI6), ip6(SRV6), 40002, 5353, payload)
    f6 = [eth(ipv6_frag(ip6(CLI6), ip6(SRV6), 17, dg[o:o + n], o, mf, 0xABCD), 0x86DD)
          for o, n, mf in ((0, 1000, True), (1000, 1000, True), (2000, 8, False))]
    add("frag6_udp.pcap", pcap_bytes(LINKTYPE_ETHERNET, f6),
        flows=[{"proto": "UDP", "src_ip": CLI6, "src_port": 40002, "dest_ip": SRV6, "dest_port": 5353}],
        stats={"defrag.ipv6.fragments": 3, "defrag.ipv6.reassembled": 1})

    # 4. TCP reassembly: out of order, one exact retransmission, one overlap with different data, FIN.
    #    Client payload P = 60 bytes. Capture order of client segments (offset, bytes):
    #      [0,10) [20,30) [10,20) [10,20)=retransmission [30,40) [35,45)=XXXXX+P[40:45] [45,60) FIN
    #    First wins: [35,40) keeps P's bytes, the to_server stream is exactly P. Server replies RESP.
    P = b"POST /reasm HTTP/1.0\r\nContent-Length: 16\r\n\r\nfirst-wins-data!"
    assert len(P) == 60
    t = Tcp(CLI4, SRV4, 41000, 8080)
    t.handshake()
    t.c2s("PA", 0, P[0:10])
    t.c2s("PA", 20, P[20:30])
    t.c2s("PA", 10, P[10:20])
    t.c2s("PA", 10, P[10:20])
    t.c2s("PA", 30, P[30:40])
    t.c2s("PA", 35, b"XXXXX" + P[40:45])
    t.c2s("PA", 45, P[45:60])
    t.s2c("A", 0, ack_off=60)
    t.s2c("PA", 0, RESP, ack_off=60)
    t.c2s("FA", 60, ack_off=len(RESP))
    t.s2c("FA", len(RESP), ack_off=61)
    t.c2s("A", 61, ack_off=len(RESP) + 1)
    add("tcp_reassembly.pcap", pcap_bytes(LINKTYPE_ETHERNET, [eth(p) for p in t.l3()]),
        flows=[simple_flow_expect(t, eth)], to_server=P, to_client=RESP,
        anomaly_counts={("stream", "overlap_different_data"): 1},
        stats_min={"tcp.overlap_diff": 1})

    # 4b. Overlap with different data against bytes still HELD out of order (not yet delivered): client sends
    #     [0,10), then [20,30) (held: [10,20) missing), then [15,25) = P[15:20]+"ZZZZZ" whose [20,25) differs from
    #     the held bytes, then [10,15). First wins: the stream is exactly P[0:30]; one overlap_different_data.
    P = b"abcdefghij0123456789ABCDEFGHIJ"
    t = Tcp(CLI4, SRV4, 41002, 8080)
    t.handshake()
    t.c2s("PA", 0, P[0:10])
    t.c2s("PA", 20, P[20:30])
    t.c2s("PA", 15, P[15:20] + b"ZZZZZ")
    t.c2s("PA", 10, P[10:15])
    t.s2c("A", 0, ack_off=30)
    t.c2s("FA", 30)
    t.s2c("FA", 0, ack_off=31)
    t.c2s("A", 31, ack_off=1)
    add("tcp_overlap_held.pcap", pcap_bytes(LINKTYPE_ETHERNET, [eth(p) for p in t.l3()]),
        flows=[simple_flow_expect(t, eth)], to_server=P, to_client=b"",
        anomaly_counts={("stream", "overlap_different_data"): 1},
        stats_min={"tcp.overlap_diff": 1})

    # 5. TCP with a lost segment: client sends [0,10) [10,20) [20,30); [10,20) is not in the capture, the server
    #    acknowledges all 30 bytes (it did receive it). Expected: one gap of 10 bytes, to_server = P[0:10]+P[20:30].
    P = b"0123456789abcdefghijKLMNOPQRST"
    t = Tcp(CLI4, SRV4, 41001, 8080)
    t.handshake()
    t.c2s("PA", 0, P[0:10])
    t.c2s("PA", 20, P[20:30])     # [10,20) lost before the sensor
    t.s2c("A", 0, ack_off=30)
    t.c2s("FA", 30)
    t.s2c("FA", 0, ack_off=31)
    t.c2s("A", 31, ack_off=1)
    add("tcp_gap.pcap", pcap_bytes(LINKTYPE_ETHERNET, [eth(p) for p in t.l3()]),
        flows=[simple_flow_expect(t, eth)], to_server=P[0:10] + P[20:30], to_client=b"",
        stats={"tcp.reassembly_gap": 1})

    # 6. VLANs: one TCP flow on 802.1Q VLAN 100, one on QinQ (outer 0x88a8 VLAN 200, inner 0x8100 VLAN 300).
    t1 = Tcp(CLI4, SRV4, 42000, 80).simple(REQ, RESP)
    t2 = Tcp(CLI4, SRV4, 42001, 80).simple(REQ, RESP)
    v1 = [(0x8100, 100)]
    v2 = [(0x88A8, 200), (0x8100, 300)]
    fr1 = lambda p: eth(p, vlans=v1)    # noqa: E731
    fr2 = lambda p: eth(p, vlans=v2)    # noqa: E731
    e1 = dict(simple_flow_expect(t1, fr1), vlan=[100])
    e2 = dict(simple_flow_expect(t2, fr2), vlan=[200, 300])
    add("vlan_dot1q_qinq.pcap", pcap_bytes(LINKTYPE_ETHERNET, [fr1(p) for p in t1.l3()] + [fr2(p) for p in t2.l3()]),
        flows=[e1, e2], to_server=REQ, to_client=RESP)

    # 7. The same 5-tuple on VLAN 10 and on VLAN 20: two flows (flow key includes the VLAN).
    ta = Tcp(CLI4, SRV4, 42002, 80).simple(REQ, RESP)
    fa_ = lambda p: eth(p, vlans=[(0x8100, 10)])   # noqa: E731
    fb_ = lambda p: eth(p, vlans=[(0x8100, 20)])   # noqa: E731
    # interleaved packet by packet, so that only the VLAN tells the two apart (not a port reuse after FIN)
    inter = [fr(p) for p in ta.l3() for fr in (fa_, fb_)]
    add("vlan_same_tuple_two_vlans.pcap", pcap_bytes(LINKTYPE_ETHERNET, inter),
        flows=[dict(simple_flow_expect(ta, fa_), vlan=[10]), dict(simple_flow_expect(ta, fb_), vlan=[20])],
        to_server=REQ, to_client=RESP)

    # 8. Link types: SLL, SLL2, NULL, raw IP (101) - one TCP flow each; SLL2 with IPv6.
    for name, lt, framer, v6 in (("linktype_sll.pcap", LINKTYPE_SLL, sll, False),
                                 ("linktype_sll2_ipv6.pcap", LINKTYPE_SLL2, sll2, True),
                                 ("linktype_null.pcap", LINKTYPE_NULL, null_lo, False),
                                 ("linktype_raw.pcap", LINKTYPE_RAW, lambda p: p, False)):
        t = Tcp(CLI6 if v6 else CLI4, SRV6 if v6 else SRV4, 43000, 80, v6=v6).simple(REQ, RESP)
        add(name, pcap_bytes(lt, [framer(p) for p in t.l3()]), flows=[simple_flow_expect(t, framer)],
            to_server=REQ, to_client=RESP)

    # 9. Truncated headers: (a) an Ethernet frame whose IPv4 header is cut after 12 bytes -> ipv4.pkt_too_small;
    #    (b) a TCP segment with data offset 3 (12 bytes, less than the 20-byte minimum) -> tcp.hlen_too_small.
    good = ipv4_pkt(ip4(CLI4), ip4(SRV4), 6, tcp_seg(ip4(CLI4), ip4(SRV4), 44000, 80, 1, 0, "S"))
    bad_ip = eth(good[:12])
    bad_tcp = eth(ipv4_pkt(ip4(CLI4), ip4(SRV4), 6, tcp_seg(ip4(CLI4), ip4(SRV4), 44001, 80, 1, 0, "S", doff=3)))
    add("trunc_headers.pcap", pcap_bytes(LINKTYPE_ETHERNET, [bad_ip, bad_tcp]),
        anomalies=[("decode", "ipv4", "pkt_too_small"), ("decode", "tcp", "hlen_too_small")],
        stats={"decoder.pkts": 2, "decoder.event.ipv4.pkt_too_small": 1, "decoder.event.tcp.hlen_too_small": 1})

    # 10. A capture whose last record is cut mid-packet: a complete TCP session of 10 packets, then an 11th record
    #     announcing 100 bytes of which only 40 are in the file.
    t = Tcp(CLI4, SRV4, 45000, 80).simple(REQ, RESP)
    frames = [eth(p) for p in t.l3()]
    extra = eth(ipv4_pkt(ip4(CLI4), ip4(SRV4), 17, udp_dgram(ip4(CLI4), ip4(SRV4), 45001, 53, b"x" * 58)))
    assert len(extra) == 100
    add("truncated_last_record.pcap", pcap_bytes(LINKTYPE_ETHERNET, frames + [extra], truncate_last_to=40),
        flows=[simple_flow_expect(t, eth)], to_server=REQ, to_client=RESP, truncated=True,
        stats={"decoder.pkts": len(frames)})

    # 11. pcapng (SHB + IDB + EPB), Ethernet, one TCP flow.
    t = Tcp(CLI4, SRV4, 46000, 80).simple(REQ, RESP)
    add("pcapng_simple.pcapng", pcapng_bytes(LINKTYPE_ETHERNET, [eth(p) for p in t.l3()]),
        flows=[simple_flow_expect(t, eth)], to_server=REQ, to_client=RESP)

    # 12. Not a capture at all.
    add("not_a_capture.txt", b"This is not a packet capture.\nJust text.\n" * 4, not_capture=True)

    # 13. BPF: a TCP flow to port 80, one to port 443 and a UDP exchange on port 53; with "tcp port 80" only the
    #     first may appear. Also used for `-r -` (stdin): without a filter all three flows.
    ta = Tcp(CLI4, SRV4, 47000, 80).simple(REQ, RESP)
    tb = Tcp(CLI4, SRV4, 47001, 443).simple(b"\x16\x03\x01\x00\x05hello", b"\x16\x03\x03\x00\x02ok")
    q = ipv4_pkt(ip4(CLI4), ip4(SRV4), 17, udp_dgram(ip4(CLI4), ip4(SRV4), 47002, 53, b"\x12\x34" + b"\0" * 10))
    r = ipv4_pkt(ip4(SRV4), ip4(CLI4), 17, udp_dgram(ip4(SRV4), ip4(CLI4), 53, 47002, b"\x12\x34\x80" + b"\0" * 9))
    frames = [eth(p) for p in ta.l3()] + [eth(p) for p in tb.l3()] + [eth(q), eth(r)]
    udp_e = {"proto": "UDP", "src_ip": CLI4, "src_port": 47002, "dest_ip": SRV4, "dest_port": 53,
             "pkts_toserver": 1, "pkts_toclient": 1, "bytes_toserver": len(eth(q)), "bytes_toclient": len(eth(r))}
    add("three_flows.pcap", pcap_bytes(LINKTYPE_ETHERNET, frames),
        flows=[simple_flow_expect(ta, eth), simple_flow_expect(tb, eth), udp_e],
        bpf={"expr": "tcp port 80", "flows": [simple_flow_expect(ta, eth)]})
    return FILES, EXPECT


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    files, _ = build()
    for name, data in sorted(files.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print("%-34s %7d bytes" % (name, len(data)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
