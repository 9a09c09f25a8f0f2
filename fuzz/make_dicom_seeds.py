#!/usr/bin/env python3
"""Write fuzz/corpus/dicom/ seeds from the corpus DICOM captures: the TCP payload of each flow's first
packets as `dir(1) len(2 BE) bytes` records (fuzz_dicom.c's input format), capped at 64 KiB a seed."""
import os
import struct
import subprocess
import sys

REPO = os.path.join(os.path.dirname(__file__), "..")
PCAPS = os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps")
OUT = os.path.join(REPO, "fuzz", "corpus", "dicom")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in sorted(os.listdir(PCAPS)):
        if not f.startswith("dicom_") or "tls" in f:
            continue
        r = subprocess.run(["tshark", "-n", "-r", os.path.join(PCAPS, f), "-Y", "tcp.len>0", "-T", "fields",
                            "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.payload"],
                           capture_output=True, text=True, check=True)
        flows = {}
        for line in r.stdout.splitlines():
            s, sp, dp, pl = line.split("\t")
            fl = flows.setdefault(s, {"client": sp, "buf": bytearray()})
            if len(fl["buf"]) > 65536:
                continue
            b = bytes.fromhex(pl.replace(":", ""))
            d = 0 if sp == fl["client"] else 1
            for i in range(0, len(b), 65535):
                chunk = b[i:i + 65535]
                fl["buf"] += struct.pack(">BH", d, len(chunk)) + chunk
        for s, fl in flows.items():
            with open(os.path.join(OUT, "%s_%s" % (f[:8], s)), "wb") as o:
                o.write(bytes(fl["buf"][:65536]))


if __name__ == "__main__":
    sys.exit(main())
