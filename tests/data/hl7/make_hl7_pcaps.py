#!/usr/bin/env python3
"""Write the HL7 v2 / MLLP test captures of this directory (no network: packets are built and written to files).

Every message carries fictitious patients from the corpus README (DOE^JANE, ROE^RICHARD, PAT0001/PAT0002, birth
dates 19700101/19650505, accession ACC0001) in PID, NK1, PV1 and OBX, for the PHI test (tests/integration/test_hl7.py).

  hl7_02_versions_ports.pcap  one TCP connection per case, each message answered by an MLLP-framed ACK:
      v2.3 ADT^A04 on 2575 (AA); v2.4 ORM^O01 on 6661 (AE, refused with an error); v2.5.1 ORU^R01^ORU_R01 on 5000
      (AR, rejected); v2.7 OML^O21^OML_O21 with the truncation character (MSH-2 "^~\\&#") on 12011 (CA, then AA);
      a custom field separator '#' and component separator '$' (v2.5) on 2575
  hl7_03_segmentation.pcap   three messages in one TCP segment and their three ACKs in one segment (2575); one
      message sent one byte per TCP segment, then its ACK (7777)

usage: make_hl7_pcaps.py [OUTDIR]   (default: this script's directory)
"""
import os
import struct
import sys

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"
PID = "PID|1||PAT0001^^^TESTHOSP^MR||DOE^JANE^Q||19700101|F|||1 TEST STREET^^TESTCITY^^00000||555-0100"
PID2 = "PID|1||PAT0002^^^TESTHOSP^MR||ROE^RICHARD||19650505|M|||2 SAMPLE ROAD^^TESTCITY^^00000"
NK1 = "NK1|1|ROE^RICHARD|SPO|1 TEST STREET^^TESTCITY"
OBX = "OBX|1|TX|IMP^Impression||DOE^JANE: no acute findings (synthetic test report).||||||F"


def frame(segments):
    return VT + ("\r".join(segments) + "\r").encode() + FS + CR


def msh(sep, enc, snd, sfac, rcv, rfac, mtype, ctl, version, proc="P"):
    return sep.join(["MSH", enc, snd, sfac, rcv, rfac, "20240115101500", "", mtype, ctl, proc, version])


def ack(m_snd, m_sfac, m_rcv, m_rfac, trig, ctl, code, version, extra=()):
    return frame([msh("|", "^~\\&", m_rcv, m_rfac, m_snd, m_sfac, "ACK^%s^ACK" % trig if trig else "ACK",
                      "ACK" + ctl, version), "MSA|%s|%s" % (code, ctl)] + list(extra))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class Pcap:
    def __init__(self):
        self.out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
        self.t = 1705313700.0

    def packet(self, src, dst, sport, dport, seq, ackn, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ackn & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
        pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
        data = eth + ip + tcp + payload
        self.t += 0.001
        sec = int(self.t)
        self.out.append(struct.pack("<IIII", sec, int(round((self.t - sec) * 1e6)), len(data), len(data)) + data)

    def conn(self, cli, srv, sport, dport, exchanges):
        """exchanges: [(dir, [chunk, ...])], dir 0 client->server; each chunk is one TCP segment."""
        c, s = bytes(map(int, cli.split("."))), bytes(map(int, srv.split(".")))
        cs, ss = 1000, 5000
        self.packet(c, s, sport, dport, cs, 0, 0x02)
        self.packet(s, c, dport, sport, ss, cs + 1, 0x12)
        cs, ss = cs + 1, ss + 1
        self.packet(c, s, sport, dport, cs, ss, 0x10)
        for d, chunks in exchanges:
            for ch in chunks:
                if d == 0:
                    self.packet(c, s, sport, dport, cs, ss, 0x18, ch)
                    cs += len(ch)
                    self.packet(s, c, dport, sport, ss, cs, 0x10)
                else:
                    self.packet(s, c, dport, sport, ss, cs, 0x18, ch)
                    ss += len(ch)
                    self.packet(c, s, sport, dport, cs, ss, 0x10)
        self.packet(c, s, sport, dport, cs, ss, 0x11)
        self.packet(s, c, dport, sport, ss, cs + 1, 0x11)
        self.packet(c, s, sport, dport, cs + 1, ss + 1, 0x10)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"".join(self.out))


def versions_ports():
    p = Pcap()
    m = frame([msh("|", "^~\\&", "REG", "CLINIC", "RIS", "RADIOLOGY", "ADT^A04", "V23A", "2.3"), "EVN|A04", PID,
               NK1, "PV1|1|O|CLINIC^1"])
    p.conn("10.20.0.11", "10.20.0.10", 40001, 2575,
           [(0, [m]), (1, [ack("REG", "CLINIC", "RIS", "RADIOLOGY", "A04", "V23A", "AA", "2.3")])])
    m = frame([msh("|", "^~\\&", "CPOE", "HOSP", "RIS", "RADIOLOGY", "ORM^O01", "V24O", "2.4"), PID,
               "ORC|NW|ORD0001", "OBR|1|ORD0001||CTHEAD^CT HEAD|||||||||||||||ACC0001"])
    p.conn("10.20.0.12", "10.20.0.10", 40002, 6661,
           [(0, [m]), (1, [ack("CPOE", "HOSP", "RIS", "RADIOLOGY", "O01", "V24O", "AE", "2.4",
                                ["ERR|||103^Table value not found^HL70357|E"])])])
    m = frame([msh("|", "^~\\&", "RIS", "RADIOLOGY", "EMR", "HOSP", "ORU^R01^ORU_R01", "V251R", "2.5.1"), PID2,
               "OBR|1|ORD0002||CTCHEST^CT CHEST", OBX])
    p.conn("10.20.0.10", "10.20.0.13", 40003, 5000,
           [(0, [m]), (1, [ack("RIS", "RADIOLOGY", "EMR", "HOSP", "R01", "V251R", "AR", "2.5.1")])])
    m = frame([msh("|", "^~\\&#", "LIS", "LAB", "RIS", "RADIOLOGY", "OML^O21^OML_O21", "V27X", "2.7"), PID,
               "ORC|NW|ORD0003", "OBR|1|ORD0003||CREAT^Creatinine#", "NTE|1||DOE^JANE long comment#"])
    p.conn("10.20.0.14", "10.20.0.10", 40004, 12011,
           [(0, [m]), (1, [ack("LIS", "LAB", "RIS", "RADIOLOGY", "O21", "V27X", "CA", "2.7")]),
            (1, [ack("LIS", "LAB", "RIS", "RADIOLOGY", "O21", "V27X", "AA", "2.7")])])
    m = frame([msh("#", "$~\\&", "PACSGW", "IMAGING", "RIS", "RADIOLOGY", "ADT$A08", "SEP1", "2.5"),
               "PID#1##PAT0001$$$TESTHOSP$MR##DOE$JANE##19700101#F"])
    p.conn("10.20.0.15", "10.20.0.10", 40005, 2575,
           [(0, [m]), (1, [ack("PACSGW", "IMAGING", "RIS", "RADIOLOGY", "A08", "SEP1", "AA", "2.5")])])
    return p


def segmentation():
    p = Pcap()
    ms = [frame([msh("|", "^~\\&", "ADT1", "TESTHOSP", "RIS", "RADIOLOGY", t, c, "2.5"), "EVN|" + t[4:7], PID, NK1])
          for t, c in (("ADT^A01^ADT_A01", "B1"), ("ADT^A02^ADT_A02", "B2"), ("ADT^A03^ADT_A03", "B3"))]
    acks = [ack("ADT1", "TESTHOSP", "RIS", "RADIOLOGY", t, c, "AA", "2.5") for t, c in (("A01", "B1"), ("A02", "B2"),
                                                                                    ("A03", "B3"))]
    p.conn("10.20.1.11", "10.20.1.10", 41001, 2575, [(0, [b"".join(ms)]), (1, [b"".join(acks)])])
    m = frame([msh("|", "^~\\&", "HIS", "TESTHOSP", "RIS", "RADIOLOGY", "ORU^R01^ORU_R01", "BYTE1", "2.5"), PID2,
               OBX])
    p.conn("10.20.1.12", "10.20.1.10", 41002, 7777,
           [(0, [m[i:i + 1] for i in range(len(m))]),
            (1, [ack("HIS", "TESTHOSP", "RIS", "RADIOLOGY", "R01", "BYTE1", "AA", "2.5")])])
    return p


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    versions_ports().write(os.path.join(out, "hl7_02_versions_ports.pcap"))
    segmentation().write(os.path.join(out, "hl7_03_segmentation.pcap"))


if __name__ == "__main__":
    main()
