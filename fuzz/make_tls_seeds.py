#!/usr/bin/env python3
"""Write fuzz/corpus/tls/ seeds from the corpus TLS captures (dicom_10_tls_store, the suricata-verify
captures with TLS, and generated/tls/tls12_dicom_cert with a certificate chain): the TCP payload of each connection as `dir(1) len(2 BE) bytes` records (fuzz_tls.c's
input format, the same as fuzz_dicom.c's), capped at 16 KiB a seed (the hellos and the first records)."""
import os
import struct
import subprocess
import sys

REPO = os.path.join(os.path.dirname(__file__), "..")
CORPUS = os.path.join(REPO, "tests", "data", "corpus")
CAPTURES = {
    "dicom_10": os.path.join(CORPUS, "generated", "pcaps", "dicom_10_tls_store.pcap"),
    "sv_community_id_ipv6": os.path.join(CORPUS, "public", "suricata-verify", "tests", "community-id-ipv6",
                                         "input.pcap"),
    "sv_tcp_empty_sack": os.path.join(CORPUS, "public", "suricata-verify", "tests", "tcp-empty-sack",
                                      "tcp-opt.pcap"),
    # TLS 1.2 with the server's certificate chain in clear (tls_cert.c)
    "tls12_dicom_cert": os.path.join(CORPUS, "generated", "tls", "tls12_dicom_cert.pcap"),
}
OUT = os.path.join(REPO, "fuzz", "corpus", "tls")
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
        for s, fl in flows.items():
            with open(os.path.join(OUT, "%s_%s" % (name, s)), "wb") as o:
                o.write(bytes(fl["buf"][:CAP]))


if __name__ == "__main__":
    sys.exit(main())
