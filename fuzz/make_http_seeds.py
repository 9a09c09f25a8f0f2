#!/usr/bin/env python3
"""Write fuzz/corpus/http/ seeds from the corpus HTTP captures (generated http_01/02, suricata-verify HTTP tests and
the CryptoWall C2 capture): the TCP payload of each connection as `dir(1) len(2 BE) bytes` records (fuzz_http.c's
input format, the same as fuzz_dicom.c's), capped at 16 KiB a seed and 6 connections a capture."""
import os
import struct
import subprocess
import sys

REPO = os.path.join(os.path.dirname(__file__), "..")
CORPUS = os.path.join(REPO, "tests", "data", "corpus")
SV = os.path.join(CORPUS, "public", "suricata-verify", "tests")
CAPTURES = {
    "http_01": os.path.join(CORPUS, "generated", "pcaps", "http_01_beacon.pcap"),
    "http_02": os.path.join(CORPUS, "generated", "pcaps", "http_02_browsing_negative.pcap"),
    "sv_bug3286_linux": os.path.join(SV, "bug-3286-02-linux-evasion", "with_evasion_linux.pcap"),
    "sv_chunked": os.path.join(SV, "http-chunked", "input.pcap"),
    "sv_connect": os.path.join(SV, "http-connect", "http-connect-fragmented", "input.pcap"),
    "sv_post_file": os.path.join(SV, "http-post-file", "input.pcap"),
    "sv_all_headers": os.path.join(SV, "http-all-headers", "input.pcap"),
    "cryptowall": os.path.join(CORPUS, "public", "packets", "cryptowall4_c2.pcapng"),
}
OUT = os.path.join(REPO, "fuzz", "corpus", "http")
CAP = 16384


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, path in sorted(CAPTURES.items()):
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
        for s, fl in sorted(flows.items(), key=lambda kv: int(kv[0]))[:6]:
            with open(os.path.join(OUT, "%s_%s" % (name, s)), "wb") as o:
                o.write(bytes(fl["buf"][:CAP]))


if __name__ == "__main__":
    sys.exit(main())
