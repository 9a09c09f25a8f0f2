#!/usr/bin/env python3
"""medsentry's `dns` events against tshark's DNS dissector, message by message, on every corpus capture.

For each capture (generated and public) tshark's PDML of every `dns` protocol instance gives, per message: the id,
the QR bit, the first question's name (dns.qry.name), the rcode of a response (dns.flags.rcode) and the A and AAAA
addresses of its answer section (dns.a / dns.aaaa under "Answers"; those of the authority and additional sections
are not answers).  medsentry gives the same from its `query` and `answer` events (the question's rrname, rcode, the
rdata of A and AAAA records in `answers`).  Both sides are multisets of (id, qr, name, rcode, A, AAAA) per capture
and must be equal, except for the differences listed in KNOWN with their reason; a listed difference that no longer
shows fails too, so the list stays true.  Also: every `dns` event is well-formed (type, id, flags as 4 hex digits).
Env: MEDSENTRY (binary), REPO.  Exit 0 pass, 1 fail, 77 skip (no tshark).
"""
import collections
import os
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

# capture -> (messages only tshark has, messages only medsentry has, reason)
KNOWN = {
    "public/suricata-verify/tests/dns/dns-truncated-rname/poc2.pcap": (
        None, 0,
        "DNS over TCP on port 1053 whose question name is 1,025 characters long, built from pointers: more than "
        "255 bytes (RFC 1035 2.3.4), so medsentry's probe does not take the connection for DNS (app_proto failed); "
        "tshark, told the port, prints the whole name"),
    "public/suricata-verify/tests/dns-udp-junkrequest-first/input.pcap": (
        2, 0,
        "the flow's first datagram is junk (an SNMP request, which tshark shows as a malformed DNS query) and the "
        "server answers it with a header-only FORMERR (no question): medsentry's UDP probe, strict because any "
        "datagram on any port is offered to it, refuses both; the port-hinted re-probe (app.c, up to 4 datagrams) "
        "then takes the flow at the real query, so the query and answer that follow are parsed, as Suricata's "
        "test expects"),
}


# tshark decodes DNS on port 53 only (and LLMNR on 5355, which has DNS's format, RFC 4795 2.1, and which
# medsentry's probe recognises as DNS); captures of DNS on other ports are compared with a decode-as.
DECODE_AS = {
    "public/tcpdump/tests/dns_tcp_8053.pcap": ["-d", "tcp.port==8053,dns"],
    "public/suricata-verify/tests/dns/dns-truncated-rname/poc2.pcap": ["-d", "tcp.port==1053,dns"],
}


def message_key(mid, qr, name, rcode, a, aaaa):
    return (mid, qr, name, rcode if qr else None, tuple(sorted(a)), tuple(sorted(aaaa)))


def _pdml_compute(capture_abs):
    text = mslib.run_tshark(["-r", capture_abs, "-Y", "(dns or llmnr) and not icmp and not icmpv6"] + DECODE_AS.get(os.path.relpath(
        capture_abs, mslib.CORPUS), []) + ["-T", "pdml"])
    msgs = []
    root = ET.fromstring(text)
    for proto in root.iter("proto"):
        if proto.get("name") not in ("dns", "llmnr"):
            continue
        f = {}
        a, aaaa = [], []
        name = None
        for el in proto.iter("field"):
            n = el.get("name")
            if n in ("dns.id", "dns.flags.response", "dns.flags.rcode") and n not in f:
                f[n] = el.get("show")
            elif n == "dns.qry.name" and name is None:
                name = el.get("show")
        for sec in proto.findall("field"):
            if sec.get("show") != "Answers":
                continue
            for el in sec.iter("field"):
                if el.get("name") == "dns.a":
                    a.append(el.get("show"))
                elif el.get("name") == "dns.aaaa":
                    aaaa.append(el.get("show"))
        if "dns.id" not in f:
            continue
        msgs.append([int(f["dns.id"], 16), int(f.get("dns.flags.response", "0")), name,
                     int(f.get("dns.flags.rcode", "0")), a, aaaa])
    return msgs


def tshark_messages(capture_abs):
    return mslib.cached(capture_abs, "dns-pdml-v4", _pdml_compute)


def medsentry_messages(run, problems, rel):
    out = []
    for e in run.of_type("dns"):
        d = e.get("dns", {})
        t = d.get("type")
        if t not in ("query", "answer", "unanswered"):
            problems.append("%s: dns event with type %r" % (rel, t))
            continue
        if not isinstance(d.get("id"), int):
            problems.append("%s: dns event without an id: %s" % (rel, d))
            continue
        if t == "unanswered":
            continue
        flags = d.get("flags", "")
        if len(flags) != 4 or any(c not in "0123456789abcdef" for c in flags):
            problems.append("%s: dns flags %r not four hex digits" % (rel, flags))
        qr = int(flags, 16) >> 15 if flags else 0
        if (t == "answer") != bool(qr) or bool(d.get("qr")) != bool(qr):
            problems.append("%s: dns type %s with flags %s" % (rel, t, flags))
        a = [x["rdata"] for x in d.get("answers", []) if x.get("rrtype") == "A" and "rdata" in x]
        aaaa = [x["rdata"] for x in d.get("answers", []) if x.get("rrtype") == "AAAA" and "rdata" in x]
        rcode = d.get("rcode")
        rnum = RCODES.get(rcode, int(rcode) if isinstance(rcode, str) and rcode.isdigit() else -1)
        out.append(message_key(d["id"], qr, d.get("rrname"), rnum, a, aaaa))
    return out


RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5, "YXDOMAIN": 6,
          "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9, "NOTZONE": 10}


def check(rel):
    cap = os.path.join(mslib.CORPUS, rel)
    ts = [message_key(*m) for m in tshark_messages(cap)]
    problems = []
    run = mslib.run_medsentry(cap, mslib.corpus_args(rel), dump=False)
    if run.rc != 0:
        return rel, len(ts), 0, ["%s: medsentry exit %d: %s" % (rel, run.rc, run.stderr[-300:])], None
    ms = medsentry_messages(run, problems, rel)
    only_t = collections.Counter(ts) - collections.Counter(ms)
    only_m = collections.Counter(ms) - collections.Counter(ts)
    diff = None
    if only_t or only_m:
        diff = (sorted(only_t.elements()), sorted(only_m.elements()))
    return rel, len(ts), len(ms), problems, diff


def main():
    mslib.need_binary()
    mslib.need_tshark()
    caps = mslib.capture_filter()
    results = mslib.pmap(check, caps)
    errs = []
    compared = messages = 0
    for rel, n_ts, n_ms, problems, diff in results:
        errs += problems
        if n_ts == 0 and n_ms == 0:
            continue
        compared += 1
        messages += n_ts
        known = KNOWN.get(rel)
        if diff is None:
            if known:
                errs.append("%s: listed in KNOWN (%s) but now agrees with tshark: remove it" % (rel, known[2]))
            continue
        if known:
            counts = (len(diff[0]), len(diff[1]))
            if all(k is None or k == c for k, c in zip(known[:2], counts)):
                print("known difference %s: %d only in tshark, %d only in medsentry (%s)" %
                      (rel, counts[0], counts[1], known[2]))
                continue
            errs.append("%s: expected %s messages only in tshark / only in medsentry, found %s" %
                        (rel, known[:2], counts))
            continue
        errs.append("%s: %d messages only in tshark, %d only in medsentry; first: tshark %s / medsentry %s" %
                    (rel, len(diff[0]), len(diff[1]), diff[0][:3], diff[1][:3]))
    print("dns vs tshark: %d captures with DNS, %d tshark messages" % (compared, messages))
    for e in errs:
        print("FAIL", e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
