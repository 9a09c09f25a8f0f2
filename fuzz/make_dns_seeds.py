#!/usr/bin/env python3
"""Write fuzz/corpus/dns/ seeds from the corpus captures with DNS: per UDP or TCP conversation that tshark decodes
as DNS (or LLMNR), a transport byte (0 UDP, 1 TCP) then its payloads as `dir(1) len(2 BE) bytes` records
(fuzz_dns.c's input format), capped at 8 KiB a seed."""
import os
import struct
import subprocess
import sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CORPUS = os.path.join(REPO, "tests", "data", "corpus")
OUT = os.path.join(REPO, "fuzz", "corpus", "dns")
CAP = 8192
DECODE_AS = {"dns_tcp_8053.pcap": ["-d", "tcp.port==8053,dns"], "poc2.pcap": ["-d", "tcp.port==1053,dns"]}


def captures():
    for root, _d, files in os.walk(CORPUS):
        for n in sorted(files):
            if n.endswith((".pcap", ".pcapng")):
                yield os.path.join(root, n)


def main():
    os.makedirs(OUT, exist_ok=True)
    written = 0
    for path in sorted(captures()):
        if os.path.getsize(path) > 50 << 20:
            continue
        r = subprocess.run(["tshark", "-n", "-r", path] + DECODE_AS.get(os.path.basename(path), []) +
                           ["-Y", "(dns or llmnr) and not icmp and not icmpv6", "-T", "fields",
                            "-e", "udp.stream", "-e", "tcp.stream", "-e", "udp.srcport", "-e", "tcp.srcport",
                            "-e", "udp.payload", "-e", "tcp.payload"], capture_output=True, text=True)
        flows = {}
        for line in r.stdout.splitlines():
            cols = (line.split("\t") + [""] * 6)[:6]
            us, ts, usp, tsp, upl, tpl = cols
            tcp = bool(ts)
            key = ("t" if tcp else "u") + (ts or us)
            pl = tpl if tcp else upl
            if not pl:
                continue
            sp = tsp if tcp else usp
            fl = flows.setdefault(key, {"client": sp, "tcp": tcp, "buf": bytearray([1 if tcp else 0])})
            if len(fl["buf"]) > CAP:
                continue
            b = bytes.fromhex(pl.replace(":", ""))
            d = 0 if sp == fl["client"] else 1
            fl["buf"] += struct.pack(">BH", d, len(b)) + b
        parts = os.path.relpath(path, CORPUS).rsplit(".", 1)[0].split("/")
        base = "_".join(parts[-2:]) if parts[0] == "public" else parts[-1]
        for key, fl in sorted(flows.items())[:8]:
            with open(os.path.join(OUT, "%s_%s" % (base, key)), "wb") as o:
                o.write(bytes(fl["buf"][:CAP]))
            written += 1
    print("%d seeds in %s" % (written, OUT))


if __name__ == "__main__":
    sys.exit(main())
