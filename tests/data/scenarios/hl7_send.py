#!/usr/bin/env python3
"""A small HL7 v2 MLLP client for the §7.19/§7.20 scenarios (fictitious patients; one TCP connection, each
message framed <VT>...<FS><CR> and answered by the receiver's ACK before the next one is sent).

usage: hl7_send.py SRC SERVER PORT ROLE
  engine  the interface engine (allowlisted): ADT^A01 MSG10001, ADT^A08 MSG10002, then MSG10002 resent
          byte for byte (an ACK went missing: a normal retry)
  lis     the laboratory system: ORU^R01 LAB00001 (results from the LIS: normal)
  rogue   an unknown host: ORU^R01 with sending application LAB (result injection), then ADT^A08 under the
          engine's MSH-3/MSH-4 and control id MSG10002 with a different patient address (a replay with
          altered content)
  guest   a laptop on the guest network sending ADT^A01 MSG20001 (PID in clear across zones)
"""
import socket
import sys
import time

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"
TS = "20240115101500"


def msg(app, fac, mtype, ctl, pid_tail="", extra=""):
    return ("MSH|^~\\&|%s|%s|RIS|RADIOLOGY|%s||%s|%s|P|2.5\n" % (app, fac, TS, mtype, ctl) +
            "PID|1||PAT0001^^^TESTHOSP^MR||DOE^JANE||19700101|F|||%s\n" % (pid_tail or "1 TEST STREET^^TESTCITY") +
            extra)


OBX = "OBR|1|ORD0001||GLU^GLUCOSE^L\nOBX|1|NM|GLU^Glucose||%s|mg/dL|70-99||||F\n"
ROLES = {
    "engine": [msg("ADT1", "TESTHOSP", "ADT^A01^ADT_A01", "MSG10001", extra="PV1|1|I|WARD1^101^1\n"),
               msg("ADT1", "TESTHOSP", "ADT^A08^ADT_A01", "MSG10002", extra="PV1|1|I|WARD1^102^1\n"),
               msg("ADT1", "TESTHOSP", "ADT^A08^ADT_A01", "MSG10002", extra="PV1|1|I|WARD1^102^1\n")],
    "lis": [msg("LAB", "TESTHOSP", "ORU^R01^ORU_R01", "LAB00001", extra=OBX % "92")],
    "rogue": [msg("LAB", "TESTHOSP", "ORU^R01^ORU_R01", "LAB00099", extra=OBX % "412"),
              msg("ADT1", "TESTHOSP", "ADT^A08^ADT_A01", "MSG10002", pid_tail="99 OTHER ROAD^^ELSEWHERE",
                  extra="PV1|1|I|WARD1^102^1\n")],
    "guest": [msg("TABLET", "GUESTNET", "ADT^A01^ADT_A01", "MSG20001")],
}


def main():
    src, srv, port, role = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket()
    s.bind((src, 0))
    s.connect((srv, port))
    buf = b""
    for m in ROLES[role]:
        s.sendall(VT + m.replace("\n", "\r").encode() + FS + CR)
        while FS + CR not in buf:
            d = s.recv(4096)
            if not d:
                raise SystemExit("connection closed")
            buf += d
        i = buf.index(FS + CR)
        print(buf[:i].strip(VT).replace(b"\r", b" | ").decode())
        buf = buf[i + 2:]
        time.sleep(0.2)
    s.close()


if __name__ == "__main__":
    main()
