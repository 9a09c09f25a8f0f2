#!/usr/bin/env python3
"""medsentry's `tls` events against tshark's TLS dissector and Suricata's expected EVE.

Captures: every capture of the corpus with TLS (the DICOM-over-TLS store dicom_10, and the suricata-verify
captures community-id-ipv6 and tcp-empty-sack).  Per TCP connection, compared with tshark:
  - the negotiated version (ServerHello supported_versions, else its legacy version),
  - SNI, the ServerHello cipher suite, the ClientHello cipher suite count, client and server ALPN,
  - the number of records in each direction (content_type, or opaque_type for TLS 1.3 protected records).
Then the checks of suricata-verify's community-id-ipv6 test.yaml (one tls event per connection with that
tls.sni and tls.version), and for dicom_10 (DICOM over TLS, port 2762): app_proto "tls", dicom_hint true on
every tls event, TLS 1.3, no dicom event.
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip (no tshark).
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
CORPUS = os.path.join(REPO, "tests", "data", "corpus")
DICOM_TLS = os.path.join(CORPUS, "generated", "pcaps", "dicom_10_tls_store.pcap")
SV = os.path.join(CORPUS, "public", "suricata-verify", "tests")
CAPTURES = [DICOM_TLS, os.path.join(SV, "community-id-ipv6", "input.pcap"),
            os.path.join(SV, "tcp-empty-sack", "tcp-opt.pcap")]
VERSIONS = {0x0300: "SSLv3", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}
FIELDS = ["tcp.srcport", "tcp.dstport", "tls.record.content_type", "tls.record.opaque_type", "tls.handshake.type",
          "tls.handshake.extensions_server_name", "tls.handshake.extensions.supported_version",
          "tls.handshake.version", "tls.handshake.ciphersuite", "tls.handshake.cipher_suites_length",
          "tls.handshake.extensions_alpn_str"]


def tshark_conns(pcap):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-d", "tcp.port==2762,tls", "-Y", "tls", "-T", "fields",
                          "-E", "aggregator=|", "-E", "separator=\t"] + sum((["-e", f] for f in FIELDS), []),
                         capture_output=True, text=True, check=True).stdout
    conns = collections.defaultdict(lambda: {"records": collections.Counter()})
    rows = []
    for line in out.splitlines():
        cols = line.split("\t") + [""] * len(FIELDS)
        rows.append({f: (cols[i].split("|") if cols[i] else []) for i, f in enumerate(FIELDS)})
    client = {}  # (a, b) port pair -> client port, from the ClientHello
    for r in rows:
        sp, dp = int(r["tcp.srcport"][0]), int(r["tcp.dstport"][0])
        if "1" in r["tls.handshake.type"]:
            client[frozenset((sp, dp))] = sp
    for r in rows:
        sp, dp = int(r["tcp.srcport"][0]), int(r["tcp.dstport"][0])
        cp = client.get(frozenset((sp, dp)))
        if cp is None:
            continue
        key = (cp, dp if sp == cp else sp)
        c = conns[key]
        c["records"]["toserver" if sp == cp else "toclient"] += len(r["tls.record.content_type"]) + len(r["tls.record.opaque_type"])
        types = r["tls.handshake.type"]
        if "1" in types:
            c["sni"] = r["tls.handshake.extensions_server_name"][0] if r["tls.handshake.extensions_server_name"] else None
            c["cs_count"] = int(r["tls.handshake.cipher_suites_length"][0]) // 2
            c["client_alpns"] = r["tls.handshake.extensions_alpn_str"]
        if "2" in types:
            sv = r["tls.handshake.extensions.supported_version"]
            hv = r["tls.handshake.version"]
            v = int(sv[0], 16) if sv else int(hv[0], 16)
            c["version"] = VERSIONS.get(v, "0x%04x" % v)
            c["cipher"] = "0x%04x" % int(r["tls.handshake.ciphersuite"][0], 16)
            c["server_alpns"] = r["tls.handshake.extensions_alpn_str"]
    return conns


def run(pcap, tmp):
    subprocess.run([BIN, "-r", pcap, "-l", tmp], capture_output=True, check=True)
    with open(os.path.join(tmp, "eve.json")) as f:
        return [json.loads(line) for line in f]


def check(pcap, errs):
    name = os.path.relpath(pcap, CORPUS)
    with tempfile.TemporaryDirectory() as tmp:
        evs = run(pcap, tmp)
    theirs = tshark_conns(pcap)
    hs = {(e["src_port"], e["dest_port"]): e["tls"] for e in evs
          if e["event_type"] == "tls" and e["tls"]["type"] == "handshake"}
    sm = {(e["src_port"], e["dest_port"]): e["tls"] for e in evs
          if e["event_type"] == "tls" and e["tls"]["type"] == "summary"}
    if set(hs) != set(theirs):
        errs.append("%s: connections with a handshake: medsentry %s, tshark %s" % (name, sorted(hs), sorted(theirs)))
    for key, t in sorted(theirs.items()):
        o, s = hs.get(key, {}), sm.get(key, {})
        got = {"version": o.get("version"), "sni": o.get("sni"), "cipher": o.get("cipher_suite"),
               "cs_count": o.get("cipher_suite_count"), "client_alpns": o.get("client_alpns", []),
               "server_alpns": o.get("server_alpns", []),
               "records": {"toserver": s.get("records_toserver"), "toclient": s.get("records_toclient")}}
        want = {k: t.get(k) for k in ("version", "sni", "cipher", "cs_count", "client_alpns", "server_alpns")}
        want["records"] = {"toserver": t["records"]["toserver"], "toclient": t["records"]["toclient"]}
        for k in want:
            if got[k] != want[k]:
                errs.append("%s %s: %s medsentry %r tshark %r" % (name, key, k, got[k], want[k]))
    print("%s: %d TLS connection(s) compared with tshark" % (name, len(theirs)))
    return evs


def main():
    if not os.access(BIN, os.X_OK):
        print("no binary %s: skip" % BIN)
        return 77
    if not shutil.which("tshark"):
        print("no tshark: skip")
        return 77
    errs = []
    results = {p: check(p, errs) for p in CAPTURES if os.path.exists(p)}

    # suricata-verify community-id-ipv6: exactly one tls event per connection with this sni and version
    cid = results.get(CAPTURES[1], [])
    for sni in ("ipv6.google.com", "dns.google"):
        n = sum(1 for e in cid if e["event_type"] == "tls" and e["tls"].get("sni") == sni
                and e["tls"].get("version") == "TLS 1.3" and e["dest_port"] == 443)
        if n != 1:
            errs.append("community-id-ipv6: %d tls events with sni %s and TLS 1.3 (suricata-verify: 1)" % (n, sni))

    # DICOM over TLS: reported as TLS with the dicom hint, nothing decoded inside
    d = results.get(DICOM_TLS, [])
    tls = [e for e in d if e["event_type"] == "tls"]
    flows = [e for e in d if e["event_type"] == "flow"]
    if not tls or not all(e["tls"].get("dicom_hint") is True for e in tls):
        errs.append("dicom_10: tls events without dicom_hint true: %s" % [e["tls"] for e in tls][:2])
    if not flows or any(e.get("app_proto") != "tls" for e in flows):
        errs.append("dicom_10: flow app_proto %s, want tls" % [e.get("app_proto") for e in flows])
    if any(e["event_type"] == "dicom" for e in d):
        errs.append("dicom_10: dicom events from an encrypted connection")
    if not any(e["tls"].get("version") == "TLS 1.3" and e["tls"]["type"] == "handshake" for e in tls):
        errs.append("dicom_10: no handshake event with version TLS 1.3")
    s = [e["tls"] for e in tls if e["tls"]["type"] == "summary"]
    if not s or s[0]["encrypted_bytes_toserver"] <= 0 or s[0]["encrypted_bytes_toclient"] <= 0:
        errs.append("dicom_10: summary without encrypted bytes in both directions: %s" % s)

    for e in errs:
        print("FAIL " + e)
    print("tls: %s" % ("ok" if not errs else "%d problem(s)" % len(errs)))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
