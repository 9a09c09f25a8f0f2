#!/usr/bin/env python3
"""The A-ASSOCIATE-RQ shape of the Horos stack overflow that Snort 50176 looks for (KWAMPIRS.md §7.22, S16):
called AE ORTHANC, calling AE JOXYPOXY!, an application context item of 1300 bytes that starts with the DICOM
application context UID.  No exploit payload: the rest of the item is filler ('1' repeated).  Sent to a real DCMTK storescp, whose answer (reject or abort) is read and the
connection closed.

usage: horos_rq.py SERVER PORT
"""
import socket
import struct
import sys


def item(t, body):
    return struct.pack(">BBH", t, 0, len(body)) + body


def main():
    srv, port = sys.argv[1], int(sys.argv[2])
    app_ctx = item(0x10, b"1.2.840.10008.3.1.1.1".ljust(1300, b"1"))
    pctx = item(0x20, bytes([1, 0, 0, 0]) + item(0x30, b"1.2.840.10008.1.1") + item(0x40, b"1.2.840.10008.1.2"))
    ui = item(0x50, item(0x51, struct.pack(">I", 16384)) + item(0x52, b"1.2.3.4"))
    body = struct.pack(">HH", 1, 0) + b"ORTHANC".ljust(16) + b"JOXYPOXY!".ljust(16) + b"\0" * 32
    body += app_ctx + pctx + ui
    pdu = struct.pack(">BBI", 1, 0, len(body)) + body
    s = socket.create_connection((srv, port))
    s.sendall(pdu)
    s.settimeout(5)
    try:
        r = s.recv(4096)
        print("answer: PDU type %d, %d bytes" % (r[0], len(r)) if r else "closed")
    except OSError as e:
        print("no answer: %s" % e)
    s.close()


if __name__ == "__main__":
    main()
