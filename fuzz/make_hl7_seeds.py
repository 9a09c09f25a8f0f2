#!/usr/bin/env python3
"""Write fuzz/corpus/hl7/ seeds from the HL7 captures (the corpus's hl7_01 and tests/data/hl7/*.pcap): the TCP
payload of each connection as `dir(1) len(2 BE) bytes` records (fuzz_hl7.c's input format, the same as
fuzz_tls.c's), one record per TCP segment, capped at 16 KiB a seed; plus one seed with a gap record (dir bit 7)
in the middle of a message, so resynchronisation is reached at once."""
import glob
import os
import struct
import subprocess
import sys

REPO = os.path.join(os.path.dirname(__file__), "..")
CAPTURES = [os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps", "hl7_01_mllp_adt.pcap")] + \
    sorted(glob.glob(os.path.join(REPO, "tests", "data", "hl7", "*.pcap")))
OUT = os.path.join(REPO, "fuzz", "corpus", "hl7")
CAP = 16384


def main():
    os.makedirs(OUT, exist_ok=True)
    first = None
    for path in CAPTURES:
        name = os.path.basename(path).split("_")[0] + "_" + os.path.basename(path).split("_")[1]
        r = subprocess.run(["tshark", "-n", "-r", path, "-Y", "tcp.len>0", "-T", "fields",
                            "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.payload"],
                           capture_output=True, text=True, check=True)
        flows = {}
        for line in r.stdout.splitlines():
            s, sp, pl = line.split("\t")
            fl = flows.setdefault(s, {"client": sp, "buf": bytearray()})
            if len(fl["buf"]) > CAP:
                continue
            b = bytes.fromhex(pl.replace(":", ""))
            d = 0 if sp == fl["client"] else 1
            fl["buf"] += struct.pack(">BH", d, len(b)) + b
        for s, fl in flows.items():
            with open(os.path.join(OUT, "%s_%s" % (name, s)), "wb") as o:
                o.write(bytes(fl["buf"][:CAP]))
            if first is None:
                first = bytes(fl["buf"][:CAP])
    # a gap inside the first message, then the rest of the stream
    rec_len = struct.unpack(">H", first[1:3])[0]
    half = rec_len // 2
    gap = struct.pack(">BH", 0, half) + first[3:3 + half] + struct.pack(">BH", 0x80, 40) + first[3 + rec_len:]
    with open(os.path.join(OUT, "gap_in_message"), "wb") as o:
        o.write(gap)


if __name__ == "__main__":
    sys.exit(main())
