#!/usr/bin/env python3
"""Write gap seeds: copies of a few seeds of fuzz/corpus/{smb,dcerpc,dicom} with a gap record cut into them, so
that the fuzzers start from inputs that exercise the parsers' resynchronisation (src/app/resync.c) and the file
tracker's out-of-order chunks.

For each listed seed, the first data record of at least 200 bytes after the second record is split: its first
third is kept, a gap record of `lost` bytes replaces what follows (for two variants: inside the record, and
across its end into the next records), the rest is kept.  Formats: smb/dcerpc [tag u8][len u16 LE] with tag
0xff/0xfe = a gap in direction 0/1 (fuzz_smb.c, fuzz_dcerpc.c); dicom [dir u8][len u16 BE] with bit 7 = gap
(fuzz_app.h).  Output: <seed>_gap_in, <seed>_gap_across.
"""
import os
import struct

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CORPUS = os.path.join(REPO, "fuzz", "corpus")
SEEDS = {
    "smb": ["sv_smb2-async-read_0", "smb_02_0", "sv_smb-eicar-file_0", "sv_smb1-01_0"],
    "dcerpc": ["sv_dcerpc-dce-stub-data-02_0", "smb_04_0"],
    "dicom": ["dicom_11_0", "dicom_03_0", "dicom_06_0"],
}


def records(kind, b):
    out, o = [], 0
    while o + 3 <= len(b):
        tag = b[o]
        ln = struct.unpack("<H" if kind != "dicom" else ">H", b[o + 1:o + 3])[0]
        o += 3
        gap = tag >= 0xFE if kind != "dicom" else bool(tag & 0x80)
        if gap:
            out.append((tag, ln, None))
            continue
        out.append((tag, ln, b[o:o + ln]))
        o += ln
    return out


def encode(kind, recs):
    out = bytearray()
    for tag, ln, data in recs:
        out += bytes([tag]) + struct.pack("<H" if kind != "dicom" else ">H", ln)
        if data is not None:
            out += data
    return bytes(out)


def gap_tag(kind, tag):
    d = tag & 1
    return (0xFF if d == 0 else 0xFE) if kind != "dicom" else 0x80 | d


def main():
    for kind, names in SEEDS.items():
        for name in names:
            path = os.path.join(CORPUS, kind, name)
            if not os.path.exists(path):
                print("skip (missing):", path)
                continue
            recs = records(kind, open(path, "rb").read())
            idx = next((i for i, r in enumerate(recs) if i >= 2 and r[2] is not None and len(r[2]) >= 200), None)
            if idx is None:
                print("skip (no long record):", path)
                continue
            tag, ln, data = recs[idx]
            keep = len(data) // 3
            # the rest of the direction's bytes after the cut: this record, then its later records
            for variant, lost in (("in", len(data) // 3), ("across", len(data) - keep + 40)):
                tail, left, out = [], lost, list(recs[:idx])
                out.append((tag, keep, data[:keep]))
                out.append((gap_tag(kind, tag), lost, None))
                rest = data[keep:]
                for r in [(tag, len(rest), rest)] + recs[idx + 1:]:
                    if r[2] is not None and (r[0] & 1) == (tag & 1) and left > 0:
                        cut = min(left, len(r[2]))
                        left -= cut
                        if cut == len(r[2]):
                            continue
                        r = (r[0], len(r[2]) - cut, r[2][cut:])
                    tail.append(r)
                seed = encode(kind, out + tail)
                dst = os.path.join(CORPUS, kind, "%s_gap_%s" % (name, variant))
                open(dst, "wb").write(seed)
                print("wrote", os.path.relpath(dst, REPO), len(seed))


if __name__ == "__main__":
    main()
