#!/usr/bin/env python3
"""medsentry's `hl7` events against tshark's HL7 dissector, and no patient data in any output.

Captures: the corpus's hl7_01 (real MLLP client and server on loopback: ADT^A01, A08 split over 3 segments,
ORM^O01 + ORU^R01 in one segment, a frame without MSH answered MSA|AR, ADT^A03) and the generated
tests/data/hl7/*.pcap (make_hl7_pcaps.py: versions 2.3, 2.4, 2.5.1, 2.7 with the truncation character, ports 2575,
6661, 5000, 12011, 7777, custom separators, AE/AR/CA acknowledgments, three messages in one segment, one message one
byte per segment).

Per capture, tshark (-d tcp.port==P,hl7 for each port) gives every message's segments; from its MSH and MSA
segments (split with the message's own separators) the expected events are, in order per connection and
direction: message type code and trigger event (tshark's hl7.message.type / hl7.event.type), MSH-3..6, MSH-9,
MSH-10, MSH-11, MSH-12, the segment ids, MSA-1 and MSA-2, and for an acknowledgment the MSH-9 of the message it
acknowledges (the last one sent the other way with that control id).  medsentry must give exactly those events.

PHI: every capture carries the corpus's fictitious patients in PID, NK1, PV1, OBX and NTE; none of their names,
ids, birth dates, addresses or report text may appear in eve.json or assets.json, with or without --log-phi
(the parser never reads those segments).
Env: MEDSENTRY (binary), REPO.  Exit 0 pass, 1 fail, 77 skip (no tshark).
"""
import collections
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

CAPTURES = [os.path.join(mslib.CORPUS, "generated", "pcaps", "hl7_01_mllp_adt.pcap")] + \
    sorted(glob.glob(os.path.join(mslib.REPO, "tests", "data", "hl7", "*.pcap")))
PORTS = [2575, 6661, 5000, 12011, 7777]
PHI = ["DOE", "JANE", "ROE^RICHARD", "RICHARD", "PAT0001", "PAT0002", "19700101", "19650505", "TEST STREET",
       "SAMPLE ROAD", "TESTCITY", "555-0100", "ACC0001", "no acute findings", "No acute findings", "BOGUS",
       "long comment"]


def split_msh(seg):
    """MSH fields numbered as HL7 does: f[1] the separator, f[2] the encoding characters, ..."""
    sep = seg[3]
    f = [None, sep] + seg[4:].split(sep)
    return f + [""] * 13, sep


def tshark_messages(pcap):
    args = ["-Y", "hl7", "-T", "json", "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "hl7.segment"]
    for p in PORTS:
        if p != 2575:
            args = ["-d", "tcp.port==%d,hl7" % p] + args
    args = ["-d", "tcp.port==2575,hl7"] + args
    out = json.loads(mslib.tshark_text(pcap, args) or "[]")
    msgs = []
    for pkt in out:
        layers = pkt["_source"]["layers"]
        sp, dp = int(layers["tcp.srcport"][0]), int(layers["tcp.dstport"][0])
        cur = None
        for seg in layers.get("hl7.segment", []):
            seg = seg.rstrip("\r")
            if seg.startswith("MSH"):
                f, sep = split_msh(seg)
                comp = f[2][0] if f[2] else "^"
                t = f[9].split(comp)
                cur = {"ports": (sp, dp), "message_type": f[9], "message_code": t[0],
                       "trigger_event": t[1] if len(t) > 1 else None, "sending_application": f[3],
                       "sending_facility": f[4], "receiving_application": f[5], "receiving_facility": f[6],
                       "control_id": f[10], "processing_id": f[11], "version": f[12], "segments": [], "sep": sep}
                msgs.append(cur)
            if cur is None:
                continue
            cur["segments"].append(seg[:3])
            if seg.startswith("MSA") and "ack_code" not in cur:
                a = seg.split(cur["sep"]) + ["", ""]
                cur["ack_code"], cur["acked_control_id"] = a[1], a[2]
    # pairing: the last message sent the other way on the connection with that control id
    pending = collections.defaultdict(list)
    for m in msgs:
        conn = frozenset(m["ports"])
        if "ack_code" in m:
            waiting = pending[(conn, m["ports"][1])]
            for i in range(len(waiting) - 1, -1, -1):
                if waiting[i]["control_id"] == m["acked_control_id"] and m["acked_control_id"]:
                    m["acked_message_type"] = waiting.pop(i)["message_type"]
                    break
        elif m["control_id"]:
            pending[(conn, m["ports"][0])].append(m)
        del m["sep"]
    return msgs


KEYS = ["message_type", "message_code", "trigger_event", "sending_application", "sending_facility",
        "receiving_application", "receiving_facility", "control_id", "processing_id", "version", "segments",
        "ack_code", "acked_control_id", "acked_message_type"]


def check(pcap, errs):
    name = os.path.basename(pcap)
    want = tshark_messages(pcap)
    runs = {}
    for args in ((), ("--log-phi",)):
        r = mslib.run_medsentry(pcap, args=args, dump=False)
        if r.rc != 0:
            errs.append("%s %s: exit %d: %s" % (name, args, r.rc, r.stderr[-300:]))
            return
        runs[args] = r
        for fn in ("eve.json", "assets.json"):
            path = os.path.join(r.logdir, fn)
            text = open(path, encoding="utf-8", errors="replace").read() if os.path.exists(path) else ""
            for s in PHI:
                if s in text:
                    errs.append("%s %s: %r found in %s" % (name, " ".join(args) or "default", s, fn))
    evs = runs[()].of_type("hl7")
    got = []
    for e in evs:
        h = e["hl7"]
        ports = (e["src_port"], e["dest_port"]) if e["direction"] == "to_server" else (e["dest_port"], e["src_port"])
        g = {k: h.get(k) for k in KEYS}
        g["ports"] = ports
        if not h.get("complete"):
            errs.append("%s: incomplete message %s" % (name, h.get("control_id")))
        got.append(g)
    # order per (connection, direction): both emit in stream order
    def by_dir(ms):
        d = collections.defaultdict(list)
        for m in ms:
            d[m["ports"]].append(m)
        return d
    w, g = by_dir(want), by_dir(got)
    if sorted(w) != sorted(g):
        errs.append("%s: directions with HL7: tshark %s, medsentry %s" % (name, sorted(w), sorted(g)))
    for key in sorted(w):
        a, b = w[key], g.get(key, [])
        if len(a) != len(b):
            errs.append("%s %s: %d messages by tshark, %d by medsentry" % (name, key, len(a), len(b)))
        for x, y in zip(a, b):
            for k in KEYS:
                if x.get(k) != y.get(k):
                    errs.append("%s %s %s: %s medsentry %r tshark %r" % (name, key, x["control_id"], k, y.get(k),
                                                                         x.get(k)))
    # the inventory: each sender is a sender with the message types it sent
    assets = json.load(open(os.path.join(runs[()].logdir, "assets.json")))
    hl7_hosts = [a for a in assets if "hl7" in a]
    if not hl7_hosts:
        errs.append("%s: no host with an hl7 block in assets.json" % name)
    print("%s: %d messages compared with tshark, %d hosts with HL7 facts" % (name, len(want), len(hl7_hosts)))


def main():
    mslib.need_binary()
    mslib.need_tshark()
    errs = []
    for p in CAPTURES:
        if os.path.exists(p):
            check(p, errs)
        else:
            errs.append("missing capture %s" % p)
    for e in errs:
        print("FAIL " + e)
    print("hl7: %s" % ("ok" if not errs else "%d problem(s)" % len(errs)))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
