#!/usr/bin/env python3
"""test_dcerpc_tshark.py - medsentry's dcerpc events against tshark on every corpus capture that carries DCE/RPC.

1. Fault names: for every FAULT PDU tshark decodes, tshark's name for dcerpc.cn_status (its own value table, from
   `tshark -G values`) equals the event's `fault_name`; and every code medsentry's table names
   (src/app/dcerpc/dcerpc_iface.c) has tshark's name wherever tshark has one, except the listed departures.
2. Authentication: for every BIND / ALTER_CONTEXT / REQUEST with an auth verifier, the event's `auth_type` and
   `auth_level` are tshark's dcerpc.auth_type / dcerpc.auth_level (levels written as MS-RPCE 2.2.1.1.8 names);
   for every NTLMSSP AUTHENTICATE carried in DCE/RPC, domain, user and workstation equal tshark's.

The expectation comes from tshark, never from medsentry's earlier output.  Exit 0/1, 77 = skip.
"""
import collections
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

mslib.need_binary()
mslib.need_tshark()

# medsentry's table departs from tshark's here, on purpose (see the comment above the table): code -> reason
FAULT_DEPARTURES = {
    0x1c000021: "tshark misspells C706's nca_s_fault_user_defined as ncs_s_fault_user_defined",
}
# auth_level as medsentry writes it: MS-RPCE 2.2.1.1.8 RPC_C_AUTHN_LEVEL_* in lower case
LEVELS = {"0": "default", "1": "none", "2": "connect", "3": "call", "4": "pkt", "5": "pkt_integrity",
          "6": "pkt_privacy"}

failures = []


def tshark_values(field):
    """tshark's own value_string for a field: {int: name}"""
    out = subprocess.run(["tshark", "-G", "values"], capture_output=True, text=True, env=mslib.tool_env()).stdout
    vals = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) == 4 and f[0] == "V" and f[1] == field:
            vals[int(f[2], 0)] = f[3]
    return vals


status_names = tshark_values("dcerpc.cn_status")
type_names = tshark_values("dcerpc.auth_type")
if not status_names or not type_names:
    failures.append("tshark -G values lists no dcerpc.cn_status / dcerpc.auth_type names")

# --- the whole fault table against tshark's
src = open(os.path.join(mslib.REPO, "src", "app", "dcerpc", "dcerpc_iface.c")).read()
table = {int(c, 16): n for c, n in re.findall(r"\{(0x[0-9a-f]{8}), \"([A-Za-z0-9_]+)\"\}", src)}
if len(table) < 40:
    failures.append("could not read the fault table from dcerpc_iface.c (%d entries)" % len(table))
compared = 0
for code, name in sorted(table.items()):
    want = status_names.get(code)
    if want is None:
        continue  # a C706 code tshark does not name: the unit test checks it against the specification
    compared += 1
    if code in FAULT_DEPARTURES:
        if want == name:
            failures.append("0x%08x: listed as a departure but now agrees with tshark: remove it" % code)
        continue
    if want != name:
        failures.append("fault table 0x%08x: medsentry %s, tshark %s" % (code, name, want))
print("fault table: %d codes, %d named by tshark too" % (len(table), compared))


def fields(cap, flt, *flds):
    a = ["-Y", flt, "-T", "fields", "-E", "occurrence=f"]
    for f in flds:
        a += ["-e", f]
    return [l.split("\t") for l in mslib.tshark_text(os.path.join(mslib.CORPUS, cap), a).splitlines() if l.strip()]


def events(cap):
    r = mslib.run_medsentry(os.path.join(mslib.CORPUS, cap), mslib.corpus_args(cap), dump=False)
    if r.rc != 0:
        failures.append("%s: exit %d: %s" % (cap, r.rc, r.stderr.strip()[-300:]))
        return []
    with open(os.path.join(r.logdir, "eve.json")) as f:
        return [e["dcerpc"] for e in map(json.loads, f) if e["event_type"] == "dcerpc"]


caps = [c for c in mslib.capture_filter()
        if fields(c, "dcerpc", "frame.number")]
faults = auths = idents = 0
for cap in caps:
    rpc = events(cap)
    # 1. every fault: tshark's status and its name for it
    want = collections.Counter()
    for (st,) in fields(cap, "dcerpc.pkt_type==3", "dcerpc.cn_status"):
        code = int(st, 16)
        want[(code, status_names.get(code, ""))] += 1
    got = collections.Counter((int(d["fault_status"], 16), d.get("fault_name", "")) for d in rpc if "fault_status" in d)
    if got != want:
        failures.append("%s: faults: medsentry %s, tshark %s" % (cap, dict(got), dict(want)))
    faults += sum(want.values())

    # 2. auth_type / auth_level of every bind, alter context and request (its first fragment) with a verifier;
    # a bind_ack / alter_context_resp whose bind was not seen (lost in a gap) is an event with the answer's
    kinds = {"0": "REQUEST", "11": "BIND", "14": "ALTER_CONTEXT", "12": "BIND", "15": "ALTER_CONTEXT"}
    want = collections.Counter()
    rows = fields(cap, "dcerpc.auth_type && (dcerpc.pkt_type==0 || dcerpc.pkt_type==11 || dcerpc.pkt_type==12 || dcerpc.pkt_type==14"
                  " || dcerpc.pkt_type==15)", "tcp.stream", "dcerpc.cn_call_id", "dcerpc.pkt_type", "dcerpc.cn_flags",
                  "dcerpc.auth_type", "dcerpc.auth_level")
    binds = set((st, cid, kinds[pt]) for st, cid, pt, _f, _t, _l in rows if pt in ("11", "14"))
    for st, cid, pt, flags, at, al in rows:
        if pt == "0" and not int(flags, 16) & 1:
            continue
        if pt in ("12", "15") and (st, cid, kinds[pt]) in binds:
            continue
        want[(kinds[pt], type_names.get(int(at), at), LEVELS.get(al, al))] += 1
    got = collections.Counter((d["request"], d["auth_type"], d["auth_level"]) for d in rpc if "auth_type" in d)
    if got != want:
        failures.append("%s: auth verifiers: medsentry %s, tshark %s" % (cap, dict(got), dict(want)))
    auths += sum(want.values())
    # NTLMSSP AUTHENTICATE identities carried by DCE/RPC (AUTH3 or alter context)
    # (tshark writes an empty name as NULL)
    want = collections.Counter(tuple("" if v == "NULL" else v for v in r) for r in fields(
        cap, "dcerpc && ntlmssp.messagetype==3", "ntlmssp.auth.domain", "ntlmssp.auth.username", "ntlmssp.auth.hostname"))
    got = collections.Counter((d["ntlmssp"]["domain"], d["ntlmssp"]["user"], d["ntlmssp"]["host"]) for d in rpc
                              if "ntlmssp" in d)
    if got != want:
        failures.append("%s: NTLMSSP identities: medsentry %s, tshark %s" % (cap, dict(got), dict(want)))
    idents += sum(want.values())
print("captures with DCE/RPC: %d; faults compared: %d, auth verifiers: %d, NTLMSSP identities: %d"
      % (len(caps), faults, auths, idents))
if not faults or not auths or not idents:
    failures.append("the corpus no longer exercises every check")
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
