#!/usr/bin/env python3
"""medsentry's TLS fingerprints and server certificate against tshark, on every corpus capture with a TLS handshake.

Per TCP connection with a ClientHello (tshark's tls.handshake.type 1), compared field by field:
  - ja3.string / ja3.hash      = tshark tls.handshake.ja3_full / ja3
  - ja3s.string / ja3s.hash    = tshark tls.handshake.ja3s_full / ja3s
  - ja4, ja4s                  = computed here from tshark's dissected ClientHello/ServerHello fields
                                 (cipher suites, extension types, signature algorithms, ALPN, supported versions)
                                 following FoxIO's JA4.md / JA4S.md, since Debian 12's tshark 4.0 has no JA4 field
  - sni                        = tls.handshake.extensions_server_name
and for the first certificate of a TLS <= 1.2 server's Certificate message:
  - fingerprint / fingerprint_sha256 = SHA-1 / SHA-256 of tshark's first tls.handshake.certificate bytes
  - serial                     = x509af.serialNumber (upper-case, ':'-joined)
  - notbefore / notafter       = the first certificate's x509af.utcTime pair
  - subject / issuerdn         = the "RDNSequence item" lines of tshark's tree, mapped to OpenSSL short names
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip (no tshark).
"""
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

CAPTURES = [
    "generated/pcaps/dicom_10_tls_store.pcap",
    "public/suricata-verify/tests/community-id-ipv6/input.pcap",
    "public/suricata-verify/tests/tcp-empty-sack/tcp-opt.pcap",
    "generated/tls/tls12_dicom_cert.pcap",
]
DECODE = ["-d", "tcp.port==2762,tls"]
FIELDS = ["tcp.stream", "tcp.srcport", "tcp.dstport", "tls.handshake.type", "tls.handshake.ja3_full",
          "tls.handshake.ja3", "tls.handshake.ja3s_full", "tls.handshake.ja3s", "tls.handshake.extensions_server_name",
          "tls.handshake.ciphersuite", "tls.handshake.extension.type", "tls.handshake.sig_hash_alg",
          "tls.handshake.extensions_alpn_str", "tls.handshake.extensions.supported_version", "tls.handshake.version",
          "tls.handshake.certificate", "x509af.serialNumber", "x509af.utcTime"]
# Wireshark's attribute names -> OpenSSL's short names (what medsentry prints, as Suricata does)
ATTR = {"id-at-countryName": "C", "id-at-stateOrProvinceName": "ST", "id-at-localityName": "L",
        "id-at-organizationName": "O", "id-at-organizationalUnitName": "OU", "id-at-commonName": "CN",
        "id-at-serialNumber": "serialNumber", "id-at-businessCategory": "businessCategory",
        "jurisdictionOfIncorporationCountryName": "jurisdictionC",
        "jurisdictionOfIncorporationStateOrProvinceName": "jurisdictionST", "pkcs-9-at-emailAddress": "emailAddress",
        "id-domainComponent": "DC", "id-at-givenName": "GN", "id-at-surname": "SN"}
JA4_VERSION = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
               0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def alpn_chars(name):
    if not name:
        return "00"
    b = name.encode("latin-1")
    if chr(b[0]).isalnum() and chr(b[-1]).isalnum() and b[0] < 128 and b[-1] < 128:
        return chr(b[0]) + chr(b[-1])
    return ("%02x" % b[0])[0] + ("%02x" % b[-1])[1]


def sha12(s):
    return hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"


def ja4(r):
    ciphers = [int(c, 16) if c.startswith("0x") else int(c) for c in r["tls.handshake.ciphersuite"]]
    ciphers = [c for c in ciphers if not grease(c)]
    exts = [int(e) for e in r["tls.handshake.extension.type"] if not grease(int(e))]
    sig = [int(s, 16) for s in r["tls.handshake.sig_hash_alg"] if not grease(int(s, 16))]
    sv = [int(v, 16) for v in r["tls.handshake.extensions.supported_version"] if not grease(int(v, 16))]
    ver = max(sv) if sv else int(r["tls.handshake.version"][0], 16)
    alpn = r["tls.handshake.extensions_alpn_str"]
    a = "t%s%s%02d%02d%s" % (JA4_VERSION.get(ver, "00"), "d" if 0 in exts else "i", min(len(ciphers), 99),
                             min(len(exts), 99), alpn_chars(alpn[0] if alpn else ""))
    b = sha12(",".join("%04x" % c for c in sorted(ciphers)))
    el = ",".join("%04x" % e for e in sorted(e for e in exts if e not in (0, 16)))
    c = sha12(el + ("_" + ",".join("%04x" % s for s in sig) if el and sig else "")) if el else "000000000000"
    return "%s_%s_%s" % (a, b, c)


def ja4s(r):
    exts = [int(e) for e in r["tls.handshake.extension.type"] if not grease(int(e))]
    sv = r["tls.handshake.extensions.supported_version"]
    ver = int(sv[0], 16) if sv else int(r["tls.handshake.version"][0], 16)
    alpn = r["tls.handshake.extensions_alpn_str"]
    cipher = r["tls.handshake.ciphersuite"][0]
    cipher = int(cipher, 16) if cipher.startswith("0x") else int(cipher)
    return "t%s%02d%s_%04x_%s" % (JA4_VERSION.get(ver, "00"), min(len(exts), 99), alpn_chars(alpn[0] if alpn else ""),
                                  cipher, sha12(",".join("%04x" % e for e in exts)))


def tshark_rows(cap):
    text = mslib.tshark_text(cap, DECODE + ["-Y", "tls.handshake", "-T", "fields", "-E", "aggregator=|",
                                            "-E", "separator=\t"] + sum((["-e", f] for f in FIELDS), []))
    for line in text.splitlines():
        cols = line.split("\t") + [""] * len(FIELDS)
        yield {f: (cols[i].split("|") if cols[i] else []) for i, f in enumerate(FIELDS)}


def tshark_names(cap):
    """stream -> (issuer, subject) of the first certificate of the stream's first Certificate message."""
    text = mslib.tshark_text(cap, DECODE + ["-Y", "tls.handshake.type==11", "-O", "tcp,tls", "-V"])
    out = {}
    for frame in re.split(r"(?m)^Frame \d+:", text)[1:]:
        m = re.search(r"\[Stream index: (\d+)\]", frame)
        if not m or int(m.group(1)) in out:
            continue
        blocks = re.split(r"(?m)^\s+(issuer|subject): rdnSequence", frame)
        names = {}
        for i in range(1, len(blocks) - 1, 2):
            if blocks[i] in names:
                continue
            items = re.findall(r"(?m)^\s+RDNSequence item: \d+ items? \((.*)\)$", blocks[i + 1])
            rdns = []
            for it in items:
                k, _, v = it.partition("=")
                rdns.append("%s=%s" % (ATTR.get(k, k), v))
            names[blocks[i]] = ", ".join(rdns)
            if len(names) == 2:
                break
        out[int(m.group(1))] = (names.get("issuer"), names.get("subject"))
    return out


def colon(b, upper=False):
    s = ":".join("%02x" % x for x in b)
    return s.upper() if upper else s


def truth(cap):
    conns = collections.defaultdict(dict)
    for r in tshark_rows(cap):
        st = int(r["tcp.stream"][0])
        c = conns[st]
        types = r["tls.handshake.type"]
        if "1" in types and "client" not in c:
            c["client"] = (int(r["tcp.srcport"][0]), int(r["tcp.dstport"][0]))
            c["ja3.string"] = r["tls.handshake.ja3_full"][0]
            c["ja3.hash"] = r["tls.handshake.ja3"][0]
            c["ja4"] = ja4(r)
            c["sni"] = (r["tls.handshake.extensions_server_name"] or [None])[0]
        if "2" in types:
            c["ja3s.string"] = r["tls.handshake.ja3s_full"][0]
            c["ja3s.hash"] = r["tls.handshake.ja3s"][0]
            c["ja4s"] = ja4s(r)
        if "11" in types and r["tls.handshake.certificate"] and "fingerprint" not in c:
            der = bytes.fromhex(r["tls.handshake.certificate"][0].replace(":", ""))
            c["fingerprint"] = colon(hashlib.sha1(der).digest())
            c["fingerprint_sha256"] = hashlib.sha256(der).hexdigest()
            serial = bytes.fromhex(r["x509af.serialNumber"][0].replace(":", "")) if r["x509af.serialNumber"] else b""
            c["serial"] = colon(serial, upper=True)
            t = r["x509af.utcTime"]
            fmt = lambda s: s.replace(" (UTC)", "").replace(" ", "T")  # noqa: E731
            c["notbefore"], c["notafter"] = fmt(t[0]), fmt(t[1])
    names = tshark_names(cap) if any("fingerprint" in c for c in conns.values()) else {}
    for st, (issuer, subject) in names.items():
        if st in conns:
            conns[st]["issuerdn"], conns[st]["subject"] = issuer, subject
    return {c["client"]: c for c in conns.values() if "client" in c}


def medsentry(cap):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([mslib.MEDSENTRY, "-r", cap, "-l", tmp], capture_output=True, check=True)
        with open(os.path.join(tmp, "eve.json")) as f:
            evs = [json.loads(line) for line in f]
    return {(e["src_port"], e["dest_port"]): e["tls"] for e in evs
            if e["event_type"] == "tls" and e["tls"]["type"] == "handshake"}


def get(d, dotted):
    for k in dotted.split("."):
        d = d.get(k) if isinstance(d, dict) else None
    return d


def serial_norm(s):
    """tshark prints the INTEGER's value (no leading 00 octet); medsentry its content octets."""
    return s[3:] if s and s.startswith("00:") else s


def main():
    mslib.need_binary()
    mslib.need_tshark()
    errs = []
    n_conn = n_cert = 0
    for rel in CAPTURES:
        cap = os.path.join(mslib.CORPUS, rel)
        if not os.path.exists(cap):
            errs.append("%s: capture missing" % rel)
            continue
        want, got = truth(cap), medsentry(cap)
        if set(want) != set(got):
            errs.append("%s: connections with a ClientHello: tshark %s, medsentry %s" % (rel, sorted(want),
                                                                                        sorted(got)))
        for key, w in sorted(want.items()):
            g = got.get(key, {})
            if "fingerprint" in w and not (w.get("subject") and w.get("issuerdn")):
                errs.append("%s %s: no subject/issuer read from tshark's tree" % (rel, key))
            n_conn += 1
            n_cert += "fingerprint" in w
            for k, v in sorted(w.items()):
                if k == "client":
                    continue
                mine = get(g, k)
                if k == "serial":
                    mine, v = serial_norm(mine), serial_norm(v)
                if mine != v:
                    errs.append("%s %s %s: medsentry %r, tshark %r" % (rel, key, k, mine, v))
            if "fingerprint" not in w and "subject" in g:
                errs.append("%s %s: medsentry has a certificate tshark does not see" % (rel, key))
    for e in errs:
        print("FAIL " + e)
    print("tls fingerprints: %d connection(s), %d certificate(s) compared with tshark: %s" %
          (n_conn, n_cert, "ok" if not errs else "%d problem(s)" % len(errs)))
    if n_cert == 0:
        print("FAIL no certificate compared")
        return 1
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
