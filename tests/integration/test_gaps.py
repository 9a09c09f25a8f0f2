#!/usr/bin/env python3
"""test_gaps.py - one packet lost on the SPAN port must cost only what it carried (issue 8).

For each capture below, one data segment in the middle of a bulk transfer is removed with editcap: the TCP stream and
direction that carry the most payload, its full-size segments (tshark: tcp.len equal to the largest), the middle
one whose bytes no other frame of that direction carries again (a retransmission would refill the hole). The binary
runs on the intact and on the cut capture (same PHI key, so pseudonyms compare) and:

  stream (this is TCP reassembly's doing):
    - the cut run counts one gap more, of exactly the removed length (stats.tcp.reassembly_gap, gap_bytes), declared
      because the receiver acknowledged beyond it or by stream.reassembly.gap-timeout, not at the flow's end
      (stats.tcp.gap_acked + gap_timeout one more, gap_flow_end unchanged);
    - --dump-streams: the damaged direction's reassembled bytes are the intact run's with exactly the removed bytes
      (at their stream offset, from the SYN's sequence number) taken out; every other direction is unchanged.
  events (reassembly delivering after the hole at once, and the parsers resynchronising):
    - every smb, dcerpc, dicom and fileinfo event of the intact run is in the cut run, same fields, same timestamp,
      except the ones that contain the hole: in the damaged flow, one event of each of those types whose
      timestamp is at or after the removed frame's (the operation the lost bytes belonged to completes there or
      later, and its record, or the record of the handle it used, differs), the DICOM
      association summary (its byte counts include the lost bytes), and a file whose bytes were lost, which the cut
      run must still report, with gaps: true.
      Before issue 8 the held bytes waited for the flow's end: events after the hole were missing or re-dated
      (filecontainer-smb: 529 intact events missing, 299 more with another timestamp).

Parser resynchronisation (smb/dcerpc/dicom on_gap) is being reworked on another branch (issue 8 part 1); with the
parsers of this branch every check below passes for the captures listed, so nothing is marked as pending.  If the
merged parsers report more than the intact run (e.g. an event for the damaged operation with partial content), the
"first event at or after the hole" allowance already covers it; an event that the intact run does not have is not
a failure (the anomalies and gap events are expected).

Env: MEDSENTRY, REPO, TMPDIR (run.sh).  Exit 0 pass, 1 fail, 77 skip (no tshark/editcap).
"""
import datetime
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

CAPTURES = [
    "generated/pcaps/dicom_02_store_orthanc.pcap",
    "generated/pcaps/dicom_04_move_orthanc.pcap",
    "generated/pcaps/dicom_11_qr_dcmqrscp.pcap",
    "generated/pcaps/smb_02_smb2_kwampirs_like_lateral.pcap",
    "generated/pcaps/smb_03_smb1_admin_share_exe_and_svcctl.pcap",
    "generated/pcaps/smb_06_benign_images_share.pcap",
    "public/suricata-verify/tests/smb2-07/20171220_smb_psexec_add_user.pcap",
    "public/suricata-verify/tests/filestore-filecontainer-smb/filecontainer-smb.pcap",
]
APP_EVENTS = ("smb", "dcerpc", "dicom", "fileinfo")

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
    return ok


def tcp_segments(cap):
    out = subprocess.run(
        ["tshark", "-n", "-r", cap, "-Y", "tcp", "-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e",
         "tcp.len", "-e", "tcp.seq_raw", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.dstport",
         "-e", "frame.time_epoch", "-e", "tcp.flags.syn"],
        capture_output=True, text=True, env=mslib.tool_env(), check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split("\t")
        rows.append({"frame": int(f[0]), "stream": int(f[1]), "len": int(f[2] or 0), "seq": int(f[3]),
                     "src": f[4] or f[5], "sport": int(f[6]), "dport": int(f[7]), "t": f[8],
                     "syn": f[9] in ("1", "True")})
    return rows


def pick_segment(rows):
    """(removed row, isn of its direction) or (None, reason)."""
    volume = {}
    for r in rows:
        k = (r["stream"], r["src"], r["sport"])
        volume[k] = volume.get(k, 0) + r["len"]
    key = max(volume, key=lambda k: volume[k])
    same = [r for r in rows if (r["stream"], r["src"], r["sport"]) == key]
    syns = [r for r in same if r["syn"]]
    if not syns:
        return None, "no SYN in the busiest direction"
    isn = syns[0]["seq"]
    data = [r for r in same if r["len"] > 0]
    full = max(r["len"] for r in data)
    cands = [r for r in data if r["len"] == full]

    def refilled(c):
        lo, hi = (c["seq"] - isn) % 2 ** 32, (c["seq"] - isn) % 2 ** 32 + c["len"]
        return any(o is not c and (o["seq"] - isn) % 2 ** 32 < hi and (o["seq"] - isn) % 2 ** 32 + o["len"] > lo
                   for o in data)

    mid = len(cands) // 2
    for c in sorted(cands, key=lambda c: abs(cands.index(c) - mid)):
        if not refilled(c):
            return c, isn
    return None, "every full-size segment is retransmitted"


def eve_ts(epoch):
    """tshark's frame.time_epoch text -> EVE timestamp, exactly (no float rounding)."""
    sec, _, frac = epoch.partition(".")
    t = datetime.datetime.fromtimestamp(int(sec), datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + (frac + "000000")[:6] + "+0000"


def event_key(e):
    e = dict(e)
    e.pop("timestamp", None)
    return json.dumps(e, sort_keys=True)


def one_capture(rel, keyfile):
    cap = os.path.join(mslib.CORPUS, rel)
    rows = tcp_segments(cap)
    seg, isn = pick_segment(rows)
    if seg is None:
        check(False, "%s: no segment to remove: %s" % (rel, isn))
        return None
    cut = os.path.join(os.environ.get("TMPDIR", "/tmp"), "cut-" + os.path.basename(rel))
    subprocess.run(["editcap", cap, cut, str(seg["frame"])], check=True, env=mslib.tool_env())
    args = ["--set", "privacy.key-file=" + keyfile]
    intact = mslib.run_medsentry(cap, args, use_cache=False)
    broken = mslib.run_medsentry(cut, args, use_cache=False)
    where = "%s minus frame %d (%d bytes, stream offset %d)" % (rel, seg["frame"], seg["len"],
                                                                (seg["seq"] - isn - 1) % 2 ** 32)
    if not check(intact.rc == 0 and broken.rc == 0, "%s: exit %s/%s %s" % (where, intact.rc, broken.rc,
                                                                            broken.stderr[-300:])):
        return None

    # ---- stream: counters ----
    si, sc = intact.stats()["tcp"], broken.stats()["tcp"]
    for s in (si, sc):
        for k in ("gap_acked", "gap_timeout", "gap_limit", "gap_flow_end", "gap_snaplen"):
            if not check(k in s, "%s: stats.tcp.%s missing" % (where, k)):
                s[k] = 0
    check(sc["reassembly_gap"] == si["reassembly_gap"] + 1,
          "%s: reassembly_gap %d, intact %d" % (where, sc["reassembly_gap"], si["reassembly_gap"]))
    check(sc["gap_bytes"] == si["gap_bytes"] + seg["len"],
          "%s: gap_bytes %d, intact %d" % (where, sc["gap_bytes"], si["gap_bytes"]))
    declared = sc["gap_acked"] + sc["gap_timeout"] - si["gap_acked"] - si["gap_timeout"]
    check(declared == 1, "%s: the hole was not declared by ACK or timeout (acked %d, timeout %d, flow_end %d)" %
          (where, sc["gap_acked"], sc["gap_timeout"], sc["gap_flow_end"]))
    check(sc["gap_flow_end"] == si["gap_flow_end"], "%s: gap_flow_end %d, intact %d" %
          (where, sc["gap_flow_end"], si["gap_flow_end"]))
    for s in (si, sc):
        check(s["reassembly_gap"] == s["gap_acked"] + s["gap_timeout"] + s["gap_limit"] + s["gap_flow_end"] +
              s["gap_snaplen"], "%s: gap reasons do not add up: %s" % (where, s))

    # ---- stream: reassembled bytes ----
    flows_i = {e["flow_id"]: e for e in intact.of_type("flow")}
    damaged = [f for f in flows_i.values() if f.get("proto") == "TCP" and
               {(mslib.norm_ip(f["src_ip"]), f["src_port"]), (mslib.norm_ip(f["dest_ip"]), f["dest_port"])} ==
               {(mslib.norm_ip(seg["src"]), seg["sport"]), (mslib.norm_ip(r_dst(rows, seg)), seg["dport"])}]
    if not check(len(damaged) == 1, "%s: %d flows match the damaged connection" % (where, len(damaged))):
        return None
    fid = damaged[0]["flow_id"]
    ddir = "to_server" if (mslib.norm_ip(damaged[0]["src_ip"]), damaged[0]["src_port"]) == \
        (mslib.norm_ip(seg["src"]), seg["sport"]) else "to_client"
    check(set(os.listdir(intact.dumpdir)) == set(os.listdir(broken.dumpdir)), "%s: other dump files" % where)
    for name in sorted(os.listdir(intact.dumpdir)):
        with open(os.path.join(intact.dumpdir, name), "rb") as f:
            a = f.read()
        p = os.path.join(broken.dumpdir, name)
        b = open(p, "rb").read() if os.path.exists(p) else b""
        if name == "%s-%s.bin" % (fid, ddir):
            off = (seg["seq"] - isn - 1) % 2 ** 32
            want = a[:off] + a[off + seg["len"]:]
            check(b == want, "%s: %s: %d bytes reassembled, want the intact %d less [%d, %d)" %
                  (where, name, len(b), len(a), off, off + seg["len"]))
        else:
            check(a == b, "%s: %s differs (%d vs %d bytes)" % (where, name, len(a), len(b)))

    # ---- events ----
    T = eve_ts(seg["t"])
    have = {}
    for e in broken.events:
        have.setdefault(event_key(e), []).append(e["timestamp"])
    gapped_files = {e["fileinfo"].get("filename") for e in broken.of_type("fileinfo")
                    if e.get("flow_id") == fid and e["fileinfo"].get("gaps")}
    allowed, seen_first = [], set()
    missing, redated = [], []
    for e in intact.events:
        t = e["event_type"]
        if t not in APP_EVENTS:
            continue
        ts = have.get(event_key(e))
        if ts and e["timestamp"] in ts:
            continue
        if e.get("flow_id") == fid:
            if t == "dicom" and e["dicom"].get("type") == "summary":
                allowed.append(e)
                continue
            if t == "fileinfo" and e["fileinfo"].get("filename") in gapped_files:
                allowed.append(e)
                continue
            if e["timestamp"] >= T and t not in seen_first and t != "fileinfo":
                seen_first.add(t)
                allowed.append(e)
                continue
        (redated if ts else missing).append(e)
    for e in missing[:5]:
        failures.append("%s: intact event missing from the cut run: %s %s %s" %
                        (where, e["timestamp"], e["event_type"], json.dumps(e.get(e["event_type"]))[:200]))
    for e in redated[:5]:
        failures.append("%s: event re-dated: intact %s, cut %s: %s %s" %
                        (where, e["timestamp"], have[event_key(e)], e["event_type"],
                         json.dumps(e.get(e["event_type"]))[:200]))
    counts = {t: (len(intact.of_type(t)), len(broken.of_type(t))) for t in APP_EVENTS if intact.of_type(t)}
    print("%s: intact/cut events %s; %d allowed to differ (contain the hole), %d missing, %d re-dated; gap declared "
          "acked=%d timeout=%d" % (where, counts, len(allowed), len(missing), len(redated),
                                   sc["gap_acked"] - si["gap_acked"], sc["gap_timeout"] - si["gap_timeout"]))
    check(len(missing) + len(redated) == 0, "%s: %d events missing, %d re-dated" % (where, len(missing), len(redated)))
    shutil.rmtree(os.path.dirname(broken.logdir), ignore_errors=True)
    shutil.rmtree(os.path.dirname(intact.logdir), ignore_errors=True)
    os.unlink(cut)
    return True


def r_dst(rows, seg):
    """Destination address of seg's connection (the source of a frame going the other way, or its own dst)."""
    for r in rows:
        if r["stream"] == seg["stream"] and (r["src"], r["sport"]) != (seg["src"], seg["sport"]):
            return r["src"]
    return seg["src"]


def main():
    mslib.need_binary()
    mslib.need_tshark()
    if shutil.which("editcap") is None:
        mslib.skip("editcap not installed")
    keyfile = os.path.join(os.environ.get("TMPDIR", "/tmp"), "phi.key")
    for rel in CAPTURES:
        if os.path.exists(os.path.join(mslib.CORPUS, rel)):
            one_capture(rel, keyfile)
        else:
            check(False, "capture missing: %s" % rel)
    for f in failures:
        print("FAIL: " + f)
    print("%d captures, %d failures" % (len(CAPTURES), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
