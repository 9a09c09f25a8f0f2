#!/usr/bin/env python3
"""The fast path for classic pcap files (src/source/pcap.c) gives what libpcap gives.

medsentry reads a classic pcap file given by name with its own fast path (pread into shared chunks, pointers
handed to the workers); from standard input (`-r -`) it reads through libpcap. For three corpus captures of a few MB
(several 512 KiB chunks, records across chunk ends) and variants built from them here (big-endian, nanosecond
timestamps, a record cut off at the end, a record header cut off at the end, a record with caplen > wire length,
a file snaplen smaller than most records, a record with caplen 300000), both ways must give the same exit status,
the same eve.json apart from the stats events (PHI hashes, keyed per run, normalised), the same packet and byte
counts and capture_truncated in the final stats, and the same warning and error lines. `-v` shows the fast path
was taken for the file (and libpcap took over for the variants that need it) and not for standard input, so the
comparison cannot pass by both runs going through libpcap.
"""
import json
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mslib  # noqa: E402

SOURCES = [
    "generated/pcaps/dicom_13_interrupted_transfer.pcap",
    "public/suricata-verify/tests/smb2-async-read/input.pcap",
    "generated/pcaps/http_02_browsing_negative.pcap",
]
FAST = "read by the fast path"
TAKEOVER = "libpcap takes over"


def read_classic(path):
    with open(path, "rb") as f:
        b = f.read()
    magic = b[:4]
    forms = {b"\xd4\xc3\xb2\xa1": ("<", 1), b"\xa1\xb2\xc3\xd4": (">", 1),
             b"\x4d\x3c\xb2\xa1": ("<", 1000), b"\xa1\xb2\x3c\x4d": (">", 1000)}
    if magic not in forms:
        return None
    end, div = forms[magic]
    _magic, _maj, _min, _tz, _sig, snap, link = struct.unpack(end + "IHHiIII", b[:24])
    recs, off = [], 24
    while off + 16 <= len(b):
        sec, frac, incl, orig = struct.unpack(end + "IIII", b[off:off + 16])
        if off + 16 + incl > len(b):
            break
        recs.append((sec, frac // div, incl, orig, b[off + 16:off + 16 + incl]))
        off += 16 + incl
    return snap, link, recs


def write_classic(path, snap, link, recs, end="<", nsec=False, tail=b""):
    with open(path, "wb") as f:
        f.write(struct.pack(end + "IHHiIII", 0xa1b23c4d if nsec else 0xa1b2c3d4, 2, 4, 0, 0, snap, link))
        for sec, usec, incl, orig, data in recs:
            f.write(struct.pack(end + "IIII", sec, usec * 1000 if nsec else usec, incl, orig) + data)
        f.write(tail)


def variants(src, outdir, base):
    snap, link, recs = read_classic(src)
    out = {}

    def add(name, needs_libpcap, **kw):
        p = os.path.join(outdir, "%s-%s.pcap" % (base, name))
        write_classic(p, kw.pop("snap", snap), link, kw.pop("recs", recs), **kw)
        out[name] = (p, needs_libpcap)

    add("le", False)
    add("be", False, end=">")
    add("nsec", False, nsec=True)
    add("cut_record", True, tail=struct.pack("<IIII", recs[-1][0], 1, 100, 100) + b"x" * 50)
    add("cut_header", True, tail=b"abcdefgh")
    mid = len(recs) // 2
    r = list(recs)
    sec, usec, incl, _orig, data = r[mid]
    r[mid] = (sec, usec, incl, max(incl - 1, 0), data)
    add("caplen_gt_len", True, recs=r)
    add("small_snaplen", True, snap=200)
    r = list(recs)
    sec, usec, _incl, _orig, data = r[mid]
    r[mid] = (sec, usec, 300000, 300000, data)
    add("huge_caplen", True, recs=r)
    return out


def run(args, stdin_path=None):
    d = os.path.join(os.environ.get("TMPDIR", "/tmp"), "run%d" % run.n)
    run.n += 1
    os.makedirs(d)
    cmd = [mslib.MEDSENTRY, "-v", "-l", d, "--set", "detect.enabled=no"] + args
    if stdin_path:
        with open(stdin_path, "rb") as f:
            p = subprocess.run(cmd, stdin=f, capture_output=True, env=mslib.tool_env(), timeout=600)
    else:
        p = subprocess.run(cmd, capture_output=True, env=mslib.tool_env(), timeout=600)
    events, stats = [], None
    eve = os.path.join(d, "eve.json")
    if os.path.exists(eve):
        with open(eve) as f:
            for line in f:
                ev = json.loads(line)
                if ev.get("event_type") == "stats":
                    stats = ev["stats"]
                    continue
                events.append(re.sub(r'phi:[0-9a-f]+', "phi", line))
    return p.returncode, p.stderr.decode("utf-8", "replace"), events, stats


run.n = 0


def notes(stderr, name):
    """warning and error lines, the capture's name replaced (the file's path, or '-')."""
    return [ln.replace(name, "CAPTURE") for ln in stderr.splitlines()
            if ln.startswith("medsentry: warning:") or ln.startswith("medsentry: error:")]


def main():
    mslib.need_binary()
    problems = []
    checked = 0
    for rel in SOURCES:
        src = os.path.join(mslib.CORPUS, rel)
        if not os.path.exists(src) or read_classic(src) is None:
            problems.append("%s: missing or not classic pcap" % rel)
            continue
        base = os.path.basename(os.path.dirname(rel)) if rel.endswith("input.pcap") else \
            os.path.splitext(os.path.basename(rel))[0]
        for name, (path, needs_libpcap) in variants(src, os.environ.get("TMPDIR", "/tmp"), base).items():
            label = "%s/%s" % (base, name)
            rc_f, err_f, ev_f, st_f = run(["-r", path])
            rc_s, err_s, ev_s, st_s = run(["-r", "-"], stdin_path=path)
            if FAST not in err_f:
                problems.append("%s: the file was not read by the fast path" % label)
            if FAST in err_s:
                problems.append("%s: standard input went through the fast path" % label)
            if (TAKEOVER in err_f) != needs_libpcap:
                problems.append("%s: libpcap %s over" % (label, "did not take" if needs_libpcap else "took"))
            if rc_f != rc_s:
                problems.append("%s: exit %d (file) vs %d (stdin)" % (label, rc_f, rc_s))
            if notes(err_f, path) != notes(err_s, "-"):
                problems.append("%s: messages differ: %r vs %r" % (label, notes(err_f, path), notes(err_s, "-")))
            if ev_f != ev_s:
                diff = next(i for i, (a, b) in enumerate(zip(ev_f + [None], ev_s + [None])) if a != b)
                problems.append("%s: eve.json differs (%d vs %d events, first at %d)" %
                                (label, len(ev_f), len(ev_s), diff))
            if not ev_f:
                problems.append("%s: no events" % label)
            key = lambda st: st and (st["decoder"]["pkts"], st["decoder"].get("bytes"), st.get("capture_truncated"))
            if key(st_f) != key(st_s):
                problems.append("%s: stats differ: %r vs %r" % (label, key(st_f), key(st_s)))
            checked += 1
    for p in problems:
        print("FAIL", p)
    print("%d captures compared, %d problems" % (checked, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
