#!/usr/bin/env python3
"""Field-by-field agreement of medsentry's `dicom` events with tshark's DICOM dissector.

For every cleartext DICOM capture of the corpus: AE titles, proposed abstract syntaxes, presentation
context results and accepted transfer syntaxes, user information (implementation class UID and version,
max PDU length), A-ASSOCIATE-RJ and A-ABORT codes, PDU counts by type, and every DIMSE message tshark
decodes (command field, message id, status, affected SOP class UID).  tshark is known to miss some
responses (corpus README: 6 of 7 C-STORE-RSP in dicom_02), so for DIMSE *responses* tshark's multiset
must be contained in ours, and the extras are printed; everything else must be equal.
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip (no tshark).
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
PCAPS = os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps")
PORTS = [104, 4242, 11112, 11113, 11114, 11115]
DA = sum((["-d", "tcp.port==%d,dicom" % p] for p in PORTS), [])


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402  (tshark output cached by capture hash + tshark version + arguments)


def tshark(pcap, *args):
    return mslib.tshark_text(os.path.abspath(pcap), DA + list(args))


def uid_of(v):
    """tshark writes UIDs as "1.2.3 (Name)" in -V and "Name (1.2.3)" in fields."""
    v = v.strip()
    m = re.match(r"^([0-9][0-9.]*[0-9])(\s|$)", v)
    if m:
        return m.group(1)
    m = re.search(r"\(([0-9.]+)\)\s*$", v)
    return m.group(1) if m else v


def fields(pcap, filt, *names):
    out = tshark(pcap, "-Y", filt, "-T", "fields", "-E", "aggregator=|", "-E", "separator=\t",
                 *sum((["-e", n] for n in names), []))
    rows = []
    for line in out.splitlines():
        cols = line.split("\t")
        rows.append([c.split("|") if c else [] for c in cols] + [[]] * (len(names) - len(cols)))
    return rows


def tshark_dimse(pcap):
    msgs, cur, last = [], None, -1
    for line in tshark(pcap, "-V", "-Y", "dicom").splitlines():
        m = re.match(r"^\s*\(0000,([0-9A-Fa-f]{4})\)\s+\d+\s+(.+?)\s{2,}(.*)$", line)
        if not m:
            continue
        tag = int(m.group(1), 16)
        if cur is None or tag <= last:
            cur = {}
            msgs.append(cur)
        last = tag
        cur[tag] = m.group(3).strip()
    out = []
    for c in msgs:
        if 0x0100 not in c:
            continue
        cmd = c[0x0100]
        st = None
        if 0x0900 in c:
            sm = re.search(r"\((0x[0-9a-fA-F]+)\)\s*$", c[0x0900])
            st = int(sm.group(1), 16) if sm else None
        mid = int(c.get(0x0110, c.get(0x0120, "-1")).split()[0])
        out.append((cmd, mid, st, uid_of(c.get(0x0002, ""))))
    return out


def run_medsentry(pcap, logdir):
    subprocess.run([BIN, "-r", pcap, "-l", logdir], capture_output=True, check=True)
    evs = []
    with open(os.path.join(logdir, "eve.json")) as f:
        for line in f:
            e = json.loads(line)
            if e.get("event_type") == "dicom":
                evs.append(e["dicom"])
    return evs


def ours_dimse(evs):
    out = []
    for d in evs:
        if d["type"] != "dimse":
            continue
        if "request" in d:
            r = d["request"]
            out.append((r["command"], r.get("message_id", -1), None, r.get("affected_sop_class", "")))
        if "response" in d:
            r = d["response"]
            st = int(r["status"], 16) if "status" in r else None
            ps = d.get("pending_statuses", {})
            for code in (0xFF00, 0xFF01):
                for _ in range(ps.get("0x%04x" % code, 0)):
                    out.append((r["command"], r.get("message_id_responded", -1), code, r.get("affected_sop_class", "")))
            if sum(ps.values()) != d.get("pending_responses", 0):
                raise AssertionError("pending_statuses %s do not add up to pending_responses %s"
                                     % (ps, d.get("pending_responses")))
            if st is not None and not (0xFF00 <= st <= 0xFF01) or d.get("pending_responses", 0) < d.get("responses", 1):
                out.append((r["command"], r.get("message_id_responded", -1), st, r.get("affected_sop_class", "")))
    return out


def check(name, pcap, tmp):
    errs, notes = [], []
    evs = run_medsentry(pcap, tmp)

    def eq(what, a, b):
        if collections.Counter(a) != collections.Counter(b):
            errs.append("%s: medsentry %s != tshark %s" % (what, sorted(a)[:6], sorted(b)[:6]))

    # A-ASSOCIATE-RQ: AE titles, abstract syntaxes, user info
    t_rq = fields(pcap, "dicom.pdu.type==1", "dicom.assoc.ae.calling", "dicom.assoc.ae.called",
                  "dicom.pctx.abss.syntax", "dicom.userinfo.uid", "dicom.userinfo.version", "dicom.max_pdu_len")
    o_rq = [d for d in evs if d["type"] == "request"]
    eq("AE titles", [(d["calling_ae"], d["called_ae"]) for d in o_rq],
       [(r[0][0].strip(), r[1][0].strip()) for r in t_rq])
    eq("abstract syntaxes", [tuple(sorted(p["abstract_syntax"] for p in d["presentation_contexts"])) for d in o_rq],
       [tuple(sorted(uid_of(x) for x in r[2])) for r in t_rq])
    eq("RQ user info", [(d.get("user_info", {}).get("implementation_class_uid"),
                         d.get("user_info", {}).get("implementation_version_name"),
                         d.get("user_info", {}).get("max_pdu_length")) for d in o_rq],
       [(r[3][0] if r[3] else None, r[4][0] if r[4] else None, int(r[5][0], 0) if r[5] else None) for r in t_rq])
    # A-ASSOCIATE-AC: results and accepted transfer syntaxes
    t_ac = fields(pcap, "dicom.pdu.type==2", "dicom.pctx.id", "dicom.pctx.result", "dicom.pctx.xfer.syntax",
                  "dicom.userinfo.uid", "dicom.userinfo.version", "dicom.max_pdu_len")
    o_ac = [d for d in evs if d["type"] == "accept"]
    eq("AC results", [tuple(sorted((p["id"], p["result"]) for p in d["presentation_contexts"])) for d in o_ac],
       [tuple(sorted(zip((int(x, 0) for x in r[0]), (int(x, 0) for x in r[1])))) for r in t_ac])
    eq("AC transfer syntaxes",
       [tuple(sorted(p["transfer_syntax"] for p in d["presentation_contexts"] if "transfer_syntax" in p))
        for d in o_ac],
       [tuple(sorted(uid_of(x) for x, res in zip(r[2], r[1]) if int(res, 0) == 0)) for r in t_ac])
    eq("AC user info", [(d.get("user_info", {}).get("implementation_class_uid"),
                         d.get("user_info", {}).get("implementation_version_name"),
                         d.get("user_info", {}).get("max_pdu_length")) for d in o_ac],
       [(r[3][0] if r[3] else None, r[4][0] if r[4] else None, int(r[5][0], 0) if r[5] else None) for r in t_ac])
    # A-ASSOCIATE-RJ and A-ABORT
    t_rj = fields(pcap, "dicom.pdu.type==3", "dicom.assoc.reject.result", "dicom.assoc.reject.source",
                  "dicom.assoc.reject.reason")
    eq("A-ASSOCIATE-RJ", [(d["result"], d["source"], d["reason"]) for d in evs if d["type"] == "reject"],
       [(int(r[0][0], 0), int(r[1][0], 0), int(r[2][0], 0)) for r in t_rj])
    t_ab = fields(pcap, "dicom.pdu.type==7", "dicom.assoc.abort.source", "dicom.assoc.abort.reason")
    eq("A-ABORT", [(d["source"], d["reason"]) for d in evs if d["type"] == "abort"],
       [(int(r[0][0], 0), int(r[1][0], 0)) for r in t_ab])
    # PDU counts by type
    t_pdus = collections.Counter()
    for r in fields(pcap, "dicom", "dicom.pdu.type"):
        for x in r[0]:
            t_pdus[int(x, 0)] += 1
    names = {1: "A-ASSOCIATE-RQ", 2: "A-ASSOCIATE-AC", 3: "A-ASSOCIATE-RJ", 4: "P-DATA-TF", 5: "A-RELEASE-RQ",
             6: "A-RELEASE-RP", 7: "A-ABORT"}
    o_pdus = collections.Counter()
    for d in evs:
        if d["type"] == "summary":
            for k, v in d["pdus"].items():
                o_pdus[k] += v
    for t, n in names.items():
        if t == 4 and o_pdus[n] != t_pdus[t]:
            (errs if o_pdus[n] < t_pdus[t] else notes).append(
                "P-DATA-TF PDUs: medsentry %d, tshark %d" % (o_pdus[n], t_pdus[t]))
        elif t != 4 and o_pdus[n] != t_pdus[t]:
            errs.append("%s PDUs: medsentry %d, tshark %d" % (n, o_pdus[n], t_pdus[t]))
    # DIMSE
    t_d, o_d = tshark_dimse(pcap), ours_dimse(evs)
    t_rq_d = [m for m in t_d if m[0].endswith("-RQ")]
    o_rq_d = [m for m in o_d if m[0].endswith("-RQ")]
    eq("DIMSE requests", o_rq_d, t_rq_d)
    t_rsp = collections.Counter(m for m in t_d if m[0].endswith("-RSP"))
    o_rsp = collections.Counter(m for m in o_d if m[0].endswith("-RSP"))
    missing = t_rsp - o_rsp
    if missing:
        errs.append("DIMSE responses tshark has and medsentry lacks: %s" % sorted(missing.elements())[:6])
    extra = o_rsp - t_rsp
    if extra:
        notes.append("%d responses tshark did not decode" % sum(extra.values()))
    n_rq, n_rsp = len(o_rq_d), sum(o_rsp.values())
    print("%-40s %s RQ %d/%d RSP %d/%d (medsentry/tshark) %s" % (
        name, "ok  " if not errs else "FAIL", n_rq, len(t_rq_d), n_rsp, sum(t_rsp.values()),
        "; ".join(notes)))
    for e in errs:
        print("    " + e)
    return not errs


def main():
    if not shutil.which("tshark"):
        print("tshark not installed: skip")
        return 77
    if not os.access(BIN, os.X_OK):
        print("no binary %s: skip" % BIN)
        return 77
    pcaps = sorted(f for f in os.listdir(PCAPS) if f.startswith("dicom_") and f.endswith(".pcap") and "tls" not in f)
    ok = True
    for f in pcaps:
        with tempfile.TemporaryDirectory() as tmp:
            ok &= check(f, os.path.join(PCAPS, f), tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
