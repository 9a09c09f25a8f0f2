#!/usr/bin/env python3
"""Encapsulated PDF Storage objects (DICOM Part 10, Explicit VR Little Endian) for the §7.12 scenario.

usage: make_dicom_docs.py OUTDIR
Writes three files, fictitious patient POLY^GLOT / PAT0099:
  doc_pdf.dcm   Encapsulated Document (0042,0011) holding a small PDF: what the SOP class is for (near miss)
  doc_pe.dcm    the same element holding a Windows program: MZ, e_lfanew 0x80, PE\\0\\0, i386 (§7.12 positive)
  doc_p10.dcm   the same element holding a whole DICOM Part 10 file: 128-byte preamble, DICM (§7.12 positive)
The files are built byte by byte here (no DICOM library on the machine); DCMTK's storescu sends their data sets.
"""
import os
import struct
import sys

SOP_CLASS = "1.2.840.10008.5.1.4.1.1.104.1"  # Encapsulated PDF Storage
TS = "1.2.840.10008.1.2.1"  # Explicit VR Little Endian
LONG_VRS = {b"OB", b"OW", b"UN", b"SQ", b"UT", b"UC", b"UR"}


def el(group, elem, vr, value):
    if isinstance(value, str):
        value = value.encode()
    if len(value) % 2:
        value += b"\0" if vr in (b"UI", b"OB") else b" "
    if vr in LONG_VRS:
        return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, elem, vr, len(value)) + value


def part10(inst, payload):
    ds = b"".join([
        el(0x0008, 0x0016, b"UI", SOP_CLASS),
        el(0x0008, 0x0018, b"UI", inst),
        el(0x0008, 0x0060, b"CS", "DOC"),
        el(0x0010, 0x0010, b"PN", "POLY^GLOT"),
        el(0x0010, 0x0020, b"LO", "PAT0099"),
        el(0x0020, 0x000D, b"UI", "2.25.99000000000000000000000000000000001"),
        el(0x0020, 0x000E, b"UI", "2.25.99000000000000000000000000000000002"),
        el(0x0028, 0x0301, b"CS", "NO"),
        el(0x0042, 0x0011, b"OB", payload),
        el(0x0042, 0x0012, b"LO", "application/pdf"),
    ])
    meta = b"".join([
        el(0x0002, 0x0001, b"OB", b"\0\1"),
        el(0x0002, 0x0002, b"UI", SOP_CLASS),
        el(0x0002, 0x0003, b"UI", inst),
        el(0x0002, 0x0010, b"UI", TS),
        el(0x0002, 0x0012, b"UI", "1.2.826.0.1.3680043.9.7433.1.1"),
    ])
    meta = el(0x0002, 0x0000, b"UL", struct.pack("<I", len(meta))) + meta
    return b"\0" * 128 + b"DICM" + meta + ds


def pe_program():
    mz = bytearray(b"MZ\x90\x00" + b"\0" * 60)
    struct.pack_into("<I", mz, 0x3C, 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    hdr = bytes(mz) + stub
    hdr += b"\0" * (0x80 - len(hdr)) + b"PE\0\0" + struct.pack("<HH", 0x14C, 3)
    return hdr + bytes(range(256)) * 8


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    inner = part10("2.25.99000000000000000000000000000000013", pdf)
    for name, inst, payload in (("doc_pdf.dcm", "2.25.99000000000000000000000000000000010", pdf),
                                ("doc_pe.dcm", "2.25.99000000000000000000000000000000011", pe_program()),
                                ("doc_p10.dcm", "2.25.99000000000000000000000000000000012", inner)):
        with open(os.path.join(out, name), "wb") as f:
            f.write(part10(inst, payload))


if __name__ == "__main__":
    main()
