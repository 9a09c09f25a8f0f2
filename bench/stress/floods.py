#!/usr/bin/env python3
"""floods.py NAME SCALE OUT.pcap - write one adversarial capture for `make stress` (bench/stress/run.sh).

Nothing is sent anywhere: the packets are built here and written to a pcap file (Ethernet, IPv4).  Each flood is
generated from a PRNG seeded with its name and scale, so the same command writes the same bytes every time.  SCALE
multiplies the amount of hostile work (flows, fragments, segments, PDUs): at SCALE 2 a linear program takes twice
the time of SCALE 1.  Packets are 10 microseconds apart in packet time (100,000 per second), so no flow, fragment
or hole times out within a flood: the state must be bounded by the memcaps and the per-flow limits.

Floods (NAME):
  syn        SYN flood: one SYN per source, 1,000,000 distinct sources (address and port) x SCALE, one server
  flows      short TCP flows (handshake, an HTTP request and a reset-less end) from 150,000 x SCALE clients, past flow.memcap
  frag       IPv4 fragment flood: 400,000 x SCALE datagrams of 4 overlapping fragments (different data) each, none ever
             complete (the fragment with MF clear is never sent)
  tinyseg    one-byte TCP segments leaving a hole before each, plus overlapping retransmissions with different bytes:
             4,000 x SCALE flows of 300 segments, 1 microsecond apart, past stream.memcap
  ooo        out-of-order flood: 100 x SCALE flows whose first 400-byte segment never comes, 3,000 segments each
             (1.2 MB per flow held or refused: past stream.reassembly.max-ooo-bytes)
  dicom      DICOM association flood: 20,000 x SCALE associations, each an A-ASSOCIATE-RQ with 128 presentation
             contexts, then a P-DATA-TF PDU declaring 4 GB
  dcerpc     DCE/RPC fragment flood: 80 x SCALE connections to port 135, each a bind and then 5,000 request
             fragments (240 stub bytes each) of one call that never sends its last fragment (past dcerpc.max-stub-size)
  nbss       SMB/NetBIOS length lie: 40,000 x SCALE flows to 445, each a NetBIOS frame declaring 16 MB followed
             by an SMB2 header (WRITE or NEGOTIATE) and 2 KB of data, never the rest
  dns        DNS compression-pointer flood: 100,000 x SCALE UDP responses of 60 answers whose names form a chain
             of 60 pointers (each to the one before), one of them a loop (pointing to itself) or pointing forward
  http       HTTP header flood: 500 x SCALE connections, each a request with 10,000 headers (past
             http.max-header-bytes), then requests with 200 headers
  hl7        HL7 frames without end: 200 x SCALE MLLP connections, each a start block and 1.2 MB of segments
             with no end block (past hl7.max-message-bytes)
  storm      anomaly storm: one HTTP flow with 120,000 x SCALE malformed requests (several anomalies each)
"""
import random
import struct
import sys
import zlib

T0 = 1700000000 * 1000000  # packet time of the first packet, microseconds
STEP = 10  # microseconds between packets (tinyseg: 1, so that its holes are held within the gap timeout)
MSS = 1460


class Pcap:
    def __init__(self, path, step):
        self.step = step
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.ts = T0
        self.n = 0

    def frame(self, frame):
        self.ts += self.step
        self.n += 1
        self.f.write(struct.pack("<IIII", self.ts // 1000000, self.ts % 1000000, len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


ETH = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"


def csum(b):
    if len(b) & 1:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    h = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0, src, dst)
    return ETH + h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


SYN, FIN, RST, PSH, ACK = 0x02, 0x01, 0x04, 0x08, 0x10


class Tcp:
    """One TCP connection; checksums of TCP and UDP are left 0 (medsentry does not verify them)."""

    def __init__(self, pc, cli, srv, sport, dport, rnd):
        self.pc, self.cli, self.srv, self.sport, self.dport = pc, cli, srv, sport, dport
        self.seq = [rnd.getrandbits(32), rnd.getrandbits(32)]  # next sequence number per direction (0: client)

    def seg(self, d, flags, payload=b"", seq=None):
        s = self.seq[d] if seq is None else seq
        a = self.seq[1 - d]
        if d == 0:
            hdr = struct.pack("!HHIIBBHHH", self.sport, self.dport, s & 0xFFFFFFFF, a & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0)
            self.pc.frame(ipv4(self.cli, self.srv, 6, hdr + payload))
        else:
            hdr = struct.pack("!HHIIBBHHH", self.dport, self.sport, s & 0xFFFFFFFF, a & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0)
            self.pc.frame(ipv4(self.srv, self.cli, 6, hdr + payload))

    def handshake(self):
        self.seg(0, SYN)
        self.seq[0] += 1
        self.seg(1, SYN | ACK)
        self.seq[1] += 1
        self.seg(0, ACK)

    def send(self, d, data):
        for i in range(0, len(data), MSS):
            chunk = data[i : i + MSS]
            self.seg(d, PSH | ACK, chunk)
            self.seq[d] += len(chunk)


def ip(a, b, c, d):
    return a << 24 | b << 16 | c << 8 | d


SERVER = ip(10, 200, 0, 1)


def client(i):
    """A distinct client address per i (10.0.0.0/9 and up)."""
    return ip(10, (i >> 16) & 0x7F, (i >> 8) & 0xFF, i & 0xFF) if i < (1 << 23) else ip(11, 0, 0, 0) + i


def gen_syn(pc, rnd, scale):
    srv = SERVER
    for i in range(1000000 * scale):
        src = ip(10, rnd.randrange(128), rnd.randrange(256), rnd.randrange(1, 255))
        hdr = struct.pack("!HHIIBBHHH", 1024 + i % 60000, 80, rnd.getrandbits(32), 0, 0x50, SYN, 65535, 0, 0)
        pc.frame(ipv4(src, srv, 6, hdr))


def gen_flows(pc, rnd, scale):
    for i in range(150000 * scale):
        t = Tcp(pc, client(i), SERVER, 1024 + rnd.randrange(60000), 80, rnd)
        t.handshake()
        t.send(0, b"GET /%d HTTP/1.1\r\nHost: pacs\r\n\r\n" % i)


def gen_frag(pc, rnd, scale):
    for i in range(400000 * scale):
        src = client(rnd.randrange(1 << 16))
        ident = i & 0xFFFF
        # four fragments, each overlapping the previous one by 8 bytes with different data; MF always set
        for k in range(4):
            off = k * 3  # in 8-byte units: 24 bytes apart, 32 bytes long
            data = bytes([rnd.randrange(256)]) * 32
            pc.frame(ipv4(src, SERVER, 17, data, ident=ident, frag=0x2000 | off))


def gen_tinyseg(pc, rnd, scale):
    flows = []
    for i in range(4000 * scale):
        t = Tcp(pc, client(i), SERVER, 1024 + i % 60000, 80, rnd)
        t.handshake()
        flows.append(t)
    for k in range(300):
        for t in flows:
            base = t.seq[0]
            # one byte at 2k+1: a hole before each; every 5th also retransmitted with another byte
            t.seg(0, PSH | ACK, bytes([0x41 + k % 26]), seq=base + 2 * k + 1)
            if k % 5 == 0:
                t.seg(0, PSH | ACK, bytes([0x61 + k % 26]) * 2, seq=base + 2 * k + 1)


def gen_ooo(pc, rnd, scale):
    flows = []
    for i in range(100 * scale):
        t = Tcp(pc, client(i), SERVER, 1024 + i, 8080, rnd)
        t.handshake()
        flows.append(t)
    payload = bytes(rnd.randrange(256) for _ in range(400))
    for k in range(1, 3001):  # segment 0 never comes
        for t in flows:
            t.seg(0, PSH | ACK, payload, seq=t.seq[0] + 400 * k)


def dicom_item(t, body):
    return struct.pack("!BBH", t, 0, len(body)) + body


def assoc_rq(rnd):
    items = dicom_item(0x10, b"1.2.840.10008.3.1.1.1")
    for k in range(128):
        sub = dicom_item(0x30, b"1.2.840.10008.5.1.4.1.1.%d" % rnd.randrange(1, 100))
        sub += dicom_item(0x40, b"1.2.840.10008.1.2") + dicom_item(0x40, b"1.2.840.10008.1.2.1")
        items += struct.pack("!BBHBBBB", 0x20, 0, 4 + len(sub), 2 * k + 1, 0, 0, 0) + sub
    items += dicom_item(0x50, dicom_item(0x51, struct.pack("!I", 16384)) + dicom_item(0x52, b"1.2.3.4"))
    body = struct.pack("!HH16s16s32s", 1, 0, b"PACS            ", b"FLOODER         ", b"\0" * 32) + items
    return struct.pack("!BBI", 1, 0, len(body)) + body


def gen_dicom(pc, rnd, scale):
    for i in range(20000 * scale):
        t = Tcp(pc, client(i), SERVER, 1024 + i % 60000, 104, rnd)
        t.handshake()
        t.send(0, assoc_rq(rnd))
        # P-DATA-TF declaring 4 GB - 1, and 256 bytes of it
        t.send(0, struct.pack("!BBI", 4, 0, 0xFFFFFFFF) + bytes(256))


def gen_dcerpc(pc, rnd, scale):
    uuid = bytes.fromhex("c84f324b7016d30112785a47bf6ee188")  # srvsvc
    ndr = bytes.fromhex("045d888aeb1cc9119fe808002b104860") + struct.pack("<I", 2)
    for i in range(80 * scale):
        t = Tcp(pc, client(i), SERVER, 1024 + i, 135, rnd)
        t.handshake()
        ctx = struct.pack("<HBB", 0, 1, 0) + uuid + struct.pack("<HH", 3, 0) + ndr
        body = struct.pack("<HHIB3x", 4280, 4280, 0, 1) + ctx
        t.send(0, struct.pack("<BBBB4sHHI", 5, 0, 11, 3, b"\x10\0\0\0", 16 + len(body), 0, 1) + body)
        stub = bytes(rnd.randrange(256) for _ in range(240))
        for k in range(5000):
            flags = 0x01 if k == 0 else 0x00  # first fragment, then middle ones; PFC_LAST_FRAG never
            body = struct.pack("<IHH", len(stub), 0, 15) + stub
            t.send(0, struct.pack("<BBBB4sHHI", 5, 0, 0, flags, b"\x10\0\0\0", 16 + len(body), 0, 2) + body)


def gen_nbss(pc, rnd, scale):
    for i in range(40000 * scale):
        # a WRITE (streamed) or a NEGOTIATE (buffered: the parser must not reserve what the frame declares)
        smb2 = b"\xfeSMB" + struct.pack("<HHIHHIIQII8s16s", 64, 0, 0, 9 if i & 1 else 0, 1, 0, 0, 7, 0xFEFF, 0, b"\0" * 8, b"\0" * 16)
        t = Tcp(pc, client(i), SERVER, 1024 + i % 60000, 445, rnd)
        t.handshake()
        t.send(0, b"\x00\xff\xff\xff" + smb2 + bytes(2048))


def gen_dns(pc, rnd, scale):
    q = b"\x04pacs\x08hospital\x03org\x00"  # the question: a plain name (the probe wants one)
    a0 = 12 + len(q) + 4
    for i in range(100000 * scale):
        msg = struct.pack("!HHHHHH", rnd.getrandbits(16), 0x8180, 1, 60, 0, 0) + q + b"\x00\x01\x00\x01"
        bad = rnd.randrange(60)  # one answer's name is a loop (points to itself) or points forward
        for k in range(60):
            at = a0 + 16 * k
            if k == bad:
                ptr = at if rnd.randrange(2) else a0 + 16 * 59 + 20
            else:
                ptr = a0 + 16 * (k - 1) if k else 12  # a chain: each name points to the one before it
            msg += struct.pack("!HHHIH", 0xC000 | ptr, 1, 1, 60, 4) + b"\x7f\0\0\1"
        src = client(rnd.randrange(1 << 16))
        udp = struct.pack("!HHHH", 53, 1024 + i % 60000, 8 + len(msg), 0) + msg
        pc.frame(ipv4(SERVER, src, 17, udp))


def gen_http(pc, rnd, scale):
    for i in range(500 * scale):
        t = Tcp(pc, client(i), SERVER, 1024 + i, 80, rnd)
        t.handshake()
        req = b"GET /flood HTTP/1.1\r\nHost: pacs\r\n" + b"".join(b"X-H%d: %d\r\n" % (k, rnd.getrandbits(20)) for k in range(10000)) + b"\r\n"
        t.send(0, req)
        for _ in range(20):
            req = b"GET /x HTTP/1.1\r\nHost: pacs\r\n" + b"".join(b"X-%d: v\r\n" % k for k in range(200)) + b"\r\n"
            t.send(0, req)


def gen_hl7(pc, rnd, scale):
    seg = b"OBX|1|TX|||" + b"A" * 200 + b"\r"
    for i in range(200 * scale):
        t = Tcp(pc, client(i), SERVER, 1024 + i, 2575, rnd)
        t.handshake()
        msg = b"\x0bMSH|^~\\&|FLOOD|X|RIS|H|20240101||ORU^R01|%d|P|2.5\r" % i
        t.send(0, msg + seg * (1200 * 1024 // len(seg)))


def gen_storm(pc, rnd, scale):
    t = Tcp(pc, ip(10, 9, 9, 9), SERVER, 40000, 80, rnd)
    t.handshake()
    bad = [
        b"GET /a b HTTP/1.1\r\nHost : x\r\n folded\r\nBad Header\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx",
        b"GET /q HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n0\r\n\r\n",
        b"FOO / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n",
    ]
    buf = b""
    for k in range(120000 * scale):
        buf += bad[k % 3]
        if len(buf) >= MSS:
            t.send(0, buf)
            buf = b""
    t.send(0, buf)


FLOODS = {n[4:]: f for n, f in globals().items() if n.startswith("gen_")}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in FLOODS:
        sys.exit("usage: floods.py {%s} SCALE OUT.pcap" % ",".join(FLOODS))
    name, scale, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rnd = random.Random(zlib.crc32(b"%s/%d" % (name.encode(), scale)))
    pc = Pcap(out, 1 if name == "tinyseg" else STEP)
    FLOODS[name](pc, rnd, scale)
    pc.close()
    print(pc.n)


if __name__ == "__main__":
    main()
