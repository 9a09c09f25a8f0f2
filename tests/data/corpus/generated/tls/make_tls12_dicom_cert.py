#!/usr/bin/env python3
"""Write tls12_dicom_cert.pcap: a DICOM-over-TLS (port 2762) TLS 1.2 handshake whose server certificate is in clear.

The public corpus has one TLS <= 1.2 certificate (suricata-verify tcp-empty-sack); this capture adds what a hospital
network looks like: a DICOM node with a certificate from the site's own CA (a UTF-8 organisation name, a serial with
its high bit set), a ClientHello with GREASE values (RFC 8701) and no SNI/ALPN (a DICOM association by IP address),
and a Certificate message that spans two TLS records and three TCP segments.  The handshake is built byte by byte
(RFC 5246 7.4); only the certificates are real (made with the openssl command line, keys thrown away).  Nothing
after ChangeCipherSpec is meaningful ciphertext.  Run once; the capture is committed.
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "tls12_dicom_cert.pcap")
CLIENT, SERVER = (bytes([10, 20, 30, 41]), 50123), (bytes([10, 20, 30, 10]), 2762)


def certs():
    with tempfile.TemporaryDirectory() as d:
        def run(*a):
            subprocess.run(["openssl"] + list(a), cwd=d, check=True, capture_output=True)
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "3650", "-utf8", "-subj", "/C=DE/O=Universitätsklinikum Beispiel/CN=Klinik CA",
            "-set_serial", "1")
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "pacs.key", "-out",
            "pacs.csr", "-utf8", "-subj", "/C=DE/ST=Bayern/O=Universitätsklinikum Beispiel/OU=Radiologie/CN=PACS01")
        run("x509", "-req", "-in", "pacs.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "825",
            "-set_serial", "0x9F00112233445566778899AABBCCDDEEFF", "-out", "pacs.pem")
        der = []
        for n in ("pacs.pem", "ca.pem"):
            run("x509", "-in", n, "-outform", "DER", "-out", n + ".der")
            with open(os.path.join(d, n + ".der"), "rb") as f:
                der.append(f.read())
        return der


def u16(v):
    return struct.pack(">H", v)


def u24(v):
    return struct.pack(">I", v)[1:]


def hs(t, body):
    return bytes([t]) + u24(len(body)) + body


def ext(t, data):
    return u16(t) + u16(len(data)) + data


def records(ctype, data, size):
    return b"".join(bytes([ctype]) + u16(0x0303) + u16(len(data[i:i + size])) + data[i:i + size]
                    for i in range(0, len(data), size))


def client_hello():
    suites = [0x1a1a, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e, 0x009f, 0x00ff]
    exts = (ext(0x2a2a, b"") + ext(0x000b, b"\x01\x00") + ext(0x000a, u16(8) + u16(0x3a3a) + u16(29) + u16(23) +
            u16(24)) + ext(0x0023, b"") + ext(0x0016, b"") + ext(0x0017, b"") +
            ext(0x000d, u16(8) + u16(0x0403) + u16(0x0804) + u16(0x0401) + u16(0x0503)))
    body = (u16(0x0303) + bytes(range(32)) + b"\x00" + u16(2 * len(suites)) + b"".join(u16(s) for s in suites) +
            b"\x01\x00" + u16(len(exts)) + exts)
    return hs(1, body)


def server_flight(chain):
    sh = hs(2, u16(0x0303) + bytes(range(100, 132)) + b"\x00" + u16(0xc02b) + b"\x00" +
            u16(len(ext(0xff01, b"\x00") + ext(0x000b, b"\x01\x00") + ext(0x0017, b""))) +
            ext(0xff01, b"\x00") + ext(0x000b, b"\x01\x00") + ext(0x0017, b""))
    lst = b"".join(u24(len(c)) + c for c in chain)
    cert = hs(11, u24(len(lst)) + lst)
    ske = hs(12, b"\x03" + u16(23) + b"\x41\x04" + bytes(64) + u16(0x0403) + u16(8) + bytes(8))
    done = hs(14, b"")
    return records(22, sh + cert + ske + done, 700)


class Pcap:
    def __init__(self):
        self.out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
        self.t = 1767225600.0
        self.seq = {0: 1000, 1: 5000}

    def pkt(self, d, flags, payload=b""):
        (sa, sp), (da, dp) = (CLIENT, SERVER) if d == 0 else (SERVER, CLIENT)
        ack = self.seq[1 - d] if flags & 0x10 else 0
        tcp = struct.pack(">HHIIBBHHH", sp, dp, self.seq[d], ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = sa + da + struct.pack(">BBH", 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack(">H", csum(pseudo + tcp + payload)) + tcp[18:]
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0x4000, 64, 6, 0, sa, da)
        ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
        eth = (b"\x02\x00\x00\x00\x00\x02" if d == 0 else b"\x02\x00\x00\x00\x00\x01") + \
            (b"\x02\x00\x00\x00\x00\x01" if d == 0 else b"\x02\x00\x00\x00\x00\x02") + b"\x08\x00"
        frame = eth + ip + tcp + payload
        self.t += 0.001
        self.out.append(struct.pack("<IIII", int(self.t), int(self.t % 1 * 1e6), len(frame), len(frame)) + frame)
        self.seq[d] += len(payload) + (1 if flags & 0x03 else 0)

    def data(self, d, payload, mss=1000):
        for i in range(0, len(payload), mss):
            self.pkt(d, 0x18, payload[i:i + mss])


def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def main():
    p = Pcap()
    p.pkt(0, 0x02)
    p.pkt(1, 0x12)
    p.pkt(0, 0x10)
    p.data(0, records(22, client_hello(), 16384))
    p.data(1, server_flight(certs()), 536)
    p.data(0, records(22, hs(16, b"\x41\x04" + bytes(64)), 16384) + records(20, b"\x01", 1) +
           records(22, bytes(40), 16384))
    p.data(1, records(20, b"\x01", 1) + records(22, bytes(40), 16384))
    p.data(0, records(23, bytes(300), 16384))  # an A-ASSOCIATE-RQ, encrypted
    p.data(1, records(23, bytes(200), 16384))
    p.pkt(0, 0x11)
    p.pkt(1, 0x11)
    p.pkt(0, 0x10)
    with open(OUT, "wb") as f:
        f.write(b"".join(p.out))


if __name__ == "__main__":
    sys.exit(main())
