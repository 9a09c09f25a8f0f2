#!/usr/bin/env python3
"""test_smb_midstream_pipes.py - named pipes whose TREE_CONNECT was not captured.

For every corpus capture with DCE/RPC over SMB named pipes, a midstream variant is built: in each TCP connection, the
frames up to and including its last IPC tree connect response (SMB2 ShareType PIPE, SMB1 Service "IPC") are dropped
with editcap, so every pipe open that follows lies in a tree medsentry never saw connected.  medsentry must still
take those opens for pipes (from the CREATE: the response's file type, a pipe's missing times, the well-known pipe
name, or the first bytes written) and hand their data to DCE/RPC:
  - the DCE/RPC bind UUIDs and request opnums equal tshark's on the same midstream capture;
  - no `fileinfo` names a pipe (the names opened in IPC trees of the full capture), and every `fileinfo` of the
    midstream run is one of the full run's (same name and SHA-256).
The expectation comes from tshark and from medsentry's run on the full capture, where the tree is known.  Exit 0/1,
77 = skip.
"""
import collections
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

mslib.need_binary()
mslib.need_tshark()
if subprocess.run(["editcap", "-h"], capture_output=True).returncode != 0:
    mslib.skip("editcap not installed")

# DCE/RPC the client sent: an SMB2 IOCTL response may echo the request's input, which tshark decodes again
FROM_CLIENT = " && !(smb2.flags.response==1) && !(smb.flags.response==1)"
IPC_TREE = ('(smb2.cmd==3 && smb2.flags.response==1 && smb2.share_type==2) || '
            '(smb.cmd==0x75 && smb.flags.response==1 && smb.service=="IPC")')
failures = []
tmp = os.environ.get("TMPDIR") or "/tmp"


def rows(cap, flt, *flds):
    # smb-length-5770 relays SMB through a proxy on port 4445, which medsentry recognises by probing
    a = ["-d", "tcp.port==4445,nbss", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    if flt:
        a += ["-Y", flt]
    for f in flds:
        a += ["-e", f]
    return [l.split("\t") for l in mslib.tshark_text(cap, a).splitlines() if l.strip()]


def events(cap):
    r = mslib.run_medsentry(cap, dump=False, use_cache=False)
    if r.rc != 0:
        failures.append("%s: exit %d: %s" % (cap, r.rc, r.stderr.strip()[-300:]))
        return []
    with open(os.path.join(r.logdir, "eve.json")) as f:
        return [json.loads(l) for l in f]


def pipe_name(n):
    n = n.replace("/", "\\").lstrip("\\")
    return n[5:] if n.lower().startswith("pipe\\") else n


def midstream(cap):
    """the capture without each connection's frames up to its last IPC tree connect response; None if it has none"""
    last = {}
    for fr, st in rows(cap, IPC_TREE, "frame.number", "tcp.stream"):
        last[st] = max(last.get(st, 0), int(fr))
    if not last:
        return None
    drop = [int(fr) for fr, st in rows(cap, "tcp", "frame.number", "tcp.stream") if st in last and int(fr) <= last[st]]
    ranges, start = [], None
    for i, fr in enumerate(drop):  # editcap takes ranges: a-b
        if start is None:
            start = fr
        if i + 1 == len(drop) or drop[i + 1] != fr + 1:
            ranges.append("%d-%d" % (start, fr) if fr != start else str(start))
            start = None
    out = os.path.join(tmp, os.path.basename(cap) + ".midstream.pcap")
    subprocess.run(["editcap", "-F", "pcap", cap, out] + ranges, check=True, capture_output=True)
    return out


caps = sorted(glob.glob(os.path.join(mslib.CORPUS, "generated", "pcaps", "smb_*.pcap")))
caps += sorted(glob.glob(os.path.join(mslib.CORPUS, "public", "suricata-verify", "tests", "smb*", "*.pcap")))
caps += sorted(glob.glob(os.path.join(mslib.CORPUS, "public", "suricata-verify", "tests", "dcerpc-smb*", "*.pcap")))
tested = requests = 0
for cap in caps:
    # only captures whose pipes carry DCE/RPC that tshark decodes
    if not rows(cap, "dcerpc.pkt_type==0 && smb2 || dcerpc.pkt_type==0 && smb", "frame.number"):
        continue
    mid = midstream(cap)
    if not mid:
        continue
    name = os.path.relpath(cap, mslib.CORPUS)
    if rows(mid, IPC_TREE, "frame.number"):
        failures.append("%s: the midstream variant still has an IPC tree connect" % name)
    full_ev, mid_ev = events(cap), events(mid)
    rpc = [e["dcerpc"] for e in mid_ev if e["event_type"] == "dcerpc"]
    want = collections.Counter(u for (v,) in rows(mid, "dcerpc.pkt_type==11" + FROM_CLIENT, "dcerpc.cn_bind_to_uuid")
                               for u in v.split(",") if u)
    got = collections.Counter(i["uuid"] for d in rpc if d["request"] == "BIND" for i in d["interfaces"])
    if got != want:
        failures.append("%s midstream: bind UUIDs: medsentry %s, tshark %s" % (name, dict(got), dict(want)))
    # a frame may carry several PDUs (tshark lists their fields comma-separated, in order); first fragments only
    want = collections.Counter(op for ops, fls, pts in rows(mid, "dcerpc.pkt_type==0" + FROM_CLIENT, "dcerpc.opnum", "dcerpc.cn_flags",
                                                            "dcerpc.pkt_type")
                               for op, fl in zip(ops.split(","), [f for f, p in zip(fls.split(","), pts.split(","))
                                                                  if p == "0"])
                               if int(fl, 16) & 1)
    got = collections.Counter(str(d["opnum"]) for d in rpc if d["request"] == "REQUEST" and "opnum" in d)
    if got != want:
        failures.append("%s midstream: request opnums: medsentry %s, tshark %s" % (name, dict(got), dict(want)))
    requests += sum(want.values())
    # the names opened in IPC trees of the full capture (smb events know the tree there)
    pipes = set(pipe_name(e["smb"]["filename"]).lower() for e in full_ev if e["event_type"] == "smb"
                and e["smb"].get("share_type") == "PIPE" and e["smb"].get("filename"))
    full_files = set((e["fileinfo"]["filename"], e["fileinfo"].get("sha256")) for e in full_ev
                     if e["event_type"] == "fileinfo")
    for e in mid_ev:
        if e["event_type"] != "fileinfo":
            continue
        fi = e["fileinfo"]
        if pipe_name(fi["filename"]).lower() in pipes:
            failures.append("%s midstream: pipe %s taken for a file" % (name, fi["filename"]))
        elif (fi["filename"], fi.get("sha256")) not in full_files:
            failures.append("%s midstream: fileinfo %s %s not in the full run" % (name, fi["filename"], fi.get("sha256")))
    tested += 1
    print("%s: midstream dcerpc %d, fileinfo %d" % (name, len(rpc), sum(1 for e in mid_ev if e["event_type"] == "fileinfo")))
    os.unlink(mid)

print("captures cut before their pipes: %d; DCE/RPC requests compared: %d" % (tested, requests))
if tested < 5 or requests == 0:
    failures.append("too few captures exercised (%d)" % tested)
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
