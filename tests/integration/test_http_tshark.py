#!/usr/bin/env python3
"""medsentry's `http` events against tshark's HTTP dissector, transaction by transaction.

Captures: the generated http_01..03 and every public capture whose MANIFEST summary shows HTTP (suricata-verify's
HTTP, CONNECT, gap, evasion (bug-3286), pipelining and midstream tests, Chris Sanders' packets, tcpdump's).  Per TCP
connection and in order, compared with tshark:
  - each request: http.request.method, http.request.uri, http.host, http.user_agent, and the header names in wire
    order (the name before ':' of each http.request.line);
  - each final response: http.response.code (tshark's interim 1xx other than 101 are left out: medsentry counts
    them inside the transaction they precede).
tshark decodes HTTP on its default ports; every server port medsentry calls HTTP is added with -d.
KNOWN lists the differences that are understood, with the reason; the test fails when one of them goes away too
(the list must stay true).  Then the suricata-verify expectations that exist for http events (bug-3286: status 200,
length 14 with and without the evasion; http-connect-simple: CONNECT then GET).
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip (no tshark).
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

CORPUS = mslib.CORPUS
SV = "public/suricata-verify/tests/"

# capture (relative to the corpus) -> reason: one difference (one connection's requests or responses) that is
# understood.  Each entry must still show exactly one difference: none means the list is stale, more means a new one.
KNOWN = {
    "public/suricata-verify/tests/dcerpc-request-http-response/input.pcap":
        "a DCE/RPC request answered by an HTTP response: the client's first bytes make the flow dcerpc, so medsentry "
        "has no http event; tshark dissects each direction on its own",
    SV + "http-connect/http-connect-simple/input.pcap":
        "tshark decodes the GET sent through the CONNECT tunnel but not its 200 response; medsentry has both, as "
        "suricata-verify expects (checked below)",
    SV + "http-gap-beyond-body/input.pcap":
        "127 bytes lost after the headers of the first response (its body and the next response's start): tshark "
        "never completes that response, medsentry reports its status (seen before the gap) with gap and truncated",
    SV + "http-gap-simple/input.pcap":
        "bytes lost inside the second response body: tshark drops that response, medsentry skips the lost bytes "
        "(gap true) and reports all three 200s, as suricata-verify expects",
    SV + "http-pipeline-files-with-gap/input.pcap":
        "a gap inside the second response body: tshark stops dissecting responses, medsentry reports all three, "
        "as suricata-verify's three fileinfo events expect",
    SV + "http-response-line/input.pcap":
        "server port 63: tshark (even with -d tcp.port==63,http) does not dissect the response segment as HTTP",
    SV + "tcp-rst-unacked-stream-07-http/input.pcap":
        "a gap inside the request headers: tshark shows no request, medsentry reports the request line it saw (gap)",
    SV + "tcp-rst-unacked-stream-08-http-ips/input.pcap":
        "as tcp-rst-unacked-stream-07-http",
    SV + "http-connect/http-connect-fragmented/input.pcap":
        "as http-connect-simple, with the tunnelled request split across segments",
}
TSHARK_DEFAULT_PORTS = {80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710}


def http_captures():
    caps = ["generated/pcaps/http_01_beacon.pcap", "generated/pcaps/http_02_browsing_negative.pcap",
            "generated/pcaps/http_03_ipv6_get.pcap"]
    with open(os.path.join(CORPUS, "public", "MANIFEST.tsv")) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 5 or not cols[0].endswith((".pcap", ".pcapng")):
                continue
            if "http(" in cols[4] or "HTTP requests" in cols[4]:
                caps.append("public/" + cols[0])
    return [c for c in caps if os.path.exists(os.path.join(CORPUS, c))]


def tshark_http(capture_abs, ports):
    args = ["-r", capture_abs, "-Y", "http.request or http.response", "-T", "json"]
    for p in sorted(ports):
        args += ["-d", "tcp.port==%d,http" % p]
    for f in ("ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport", "http.request.method",
              "http.request.uri", "http.host", "http.user_agent", "http.request.line", "http.response.code"):
        args += ["-e", f]
    text = mslib.tshark_text(capture_abs, args)
    conns = {}
    for pkt in json.loads(text or "[]"):
        ly = pkt["_source"]["layers"]
        if "tcp.srcport" not in ly:
            continue  # HTTP over UDP (SSDP): not medsentry's http
        src = ly.get("ip.src", ly.get("ipv6.src", [""]))[0]
        dst = ly.get("ip.dst", ly.get("ipv6.dst", [""]))[0]
        sp, dp = int(ly["tcp.srcport"][0]), int(ly["tcp.dstport"][0])
        methods = ly.get("http.request.method", [])
        codes = ly.get("http.response.code", [])
        if methods:
            c = conns.setdefault((mslib.ep(src, sp), mslib.ep(dst, dp)), {"req": [], "resp": []})
            lines = ly.get("http.request.line", [])
            names = [ln.split(":", 1)[0] for ln in lines]
            for i, m in enumerate(methods):  # one request per packet in practice; more only when pipelined
                c["req"].append({"method": m, "uri": ly.get("http.request.uri", [""])[i] if i < len(
                    ly.get("http.request.uri", [])) else None,
                    "host": (ly.get("http.host") or [None])[0], "ua": (ly.get("http.user_agent") or [None])[0],
                    "names": names if len(methods) == 1 else None})
        for code in codes:
            code = int(code)
            if 100 <= code < 200 and code != 101:
                continue
            c = conns.setdefault((mslib.ep(dst, dp), mslib.ep(src, sp)), {"req": [], "resp": []})
            c["resp"].append(code)
    return conns


def medsentry_http(run):
    conns = {}
    for e in run.of_type("http"):
        h = e["http"]
        key = (mslib.ep(e["src_ip"], e["src_port"]), mslib.ep(e["dest_ip"], e["dest_port"]))
        c = conns.setdefault(key, {"req": [], "resp": []})
        if "http_method" in h and h.get("protocol") != "HTTP/0.9":
            c["req"].append({"method": h["http_method"], "uri": h.get("url"), "host": h.get("hostname"),
                             "ua": h.get("http_user_agent"), "names": h.get("request_headers", [])})
        if "status" in h:
            c["resp"].append(h["status"])
    return conns


def host_of(tshark_host):
    """tshark's http.host is the Host value; medsentry's hostname drops the port: compare on that form."""
    if tshark_host is None:
        return None
    h = tshark_host
    if h.startswith("[") and "]" in h:
        return h[1:h.index("]")]
    if h.count(":") == 1 and h.rsplit(":", 1)[1].isdigit():
        return h.rsplit(":", 1)[0]
    return h


def compare(rel, problems):
    cap = os.path.join(CORPUS, rel)
    run = mslib.run_medsentry(cap, mslib.corpus_args(rel), dump=False)
    if run.rc != 0:
        problems.append("%s: medsentry exit %d: %s" % (rel, run.rc, run.stderr[-300:]))
        return 0, []
    ports = {e["dest_port"] for e in run.of_type("http")} - TSHARK_DEFAULT_PORTS
    theirs = tshark_http(cap, ports)
    ours = medsentry_http(run)
    diffs = []
    n = 0
    for key in sorted(set(theirs) | set(ours)):
        t, o = theirs.get(key, {"req": [], "resp": []}), ours.get(key, {"req": [], "resp": []})
        if len(t["req"]) != len(o["req"]):
            diffs.append("%s: %d requests (tshark %d): medsentry %s tshark %s" % (
                key, len(o["req"]), len(t["req"]), [r["uri"] for r in o["req"]], [r["uri"] for r in t["req"]]))
        for i, (tr, orq) in enumerate(zip(t["req"], o["req"])):
            n += 1
            got = {"method": orq["method"], "uri": orq["uri"], "ua": orq["ua"], "host": orq["host"]}
            want = {"method": tr["method"], "uri": tr["uri"], "ua": tr["ua"], "host": host_of(tr["host"])}
            if tr["names"] is not None:
                got["names"], want["names"] = orq["names"], tr["names"]
            for k in want:
                if got[k] != want[k]:
                    diffs.append("%s request %d %s: medsentry %r tshark %r" % (key, i, k, got[k], want[k]))
        if t["resp"] != o["resp"][:len(t["resp"])] or len(o["resp"]) != len(t["resp"]):
            diffs.append("%s: response codes medsentry %s tshark %s" % (key, o["resp"], t["resp"]))
    return n, diffs


def main():
    mslib.need_binary()
    mslib.need_tshark()
    problems = []
    total = 0
    for rel in http_captures():
        n, diffs = compare(rel, problems)
        total += n
        if rel in KNOWN:
            if len(diffs) != 1:
                problems.append("%s: listed in KNOWN with one difference, has %d: %s" % (rel, len(diffs), diffs))
            else:
                print("%s: %d known difference(s): %s" % (rel, len(diffs), KNOWN[rel]))
            continue
        for d in diffs:
            problems.append("%s: %s" % (rel, d))
        print("%s: %d request(s) compared with tshark%s" % (rel, n, "" if not diffs else ", %d difference(s)" %
                                                                       len(diffs)))

    # suricata-verify's own expectations for http events
    for t in ("bug-3286-01-no-evasion/without_evasion.pcap", "bug-3286-02-linux-evasion/with_evasion_linux.pcap",
              "bug-3286-03-windows-evasion/with_evasion_windows.pcap"):
        rel = SV + t
        run = mslib.run_medsentry(os.path.join(CORPUS, rel), mslib.corpus_args(rel), dump=False)
        ok = [e for e in run.of_type("http") if e["http"].get("status") == 200 and e["http"].get("length") == 14]
        if len(ok) != 1:
            problems.append("%s: want one http event with status 200 and length 14 (suricata-verify), got %s" % (
                rel, [e["http"] for e in run.of_type("http")]))
    rel = SV + "http-connect/http-connect-simple/input.pcap"
    run = mslib.run_medsentry(os.path.join(CORPUS, rel), mslib.corpus_args(rel), dump=False)
    got = [(e["http"].get("http_method"), e["http"].get("protocol"), e["http"].get("status")) for e in
           run.of_type("http")]
    if got != [("CONNECT", "HTTP/1.1", 200), ("GET", "HTTP/1.1", 200)]:
        problems.append("%s: want CONNECT then GET, both HTTP/1.1 200 (suricata-verify), got %s" % (rel, got))

    for p in problems:
        print("FAIL " + p)
    print("http: %d requests compared; %s" % (total, "ok" if not problems else "%d problem(s)" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
