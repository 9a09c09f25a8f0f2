#!/usr/bin/env python3
"""The output does not depend on the number of worker threads (docs/DESIGN.md, "Across cores").

For every corpus capture (generated and public) and the bundled sample, medsentry runs with --threads 1, 2 and 4;
eve.json must be the same line by line apart from the stats events, which differ by design (per-worker packet
counts, budgets divided among workers). Default flow timeouts, so that flows end on ticks, in every worker, at the
points the single-threaded run ends them. Then all the Ethernet captures at once, merged into one capture by time
(each shifted to start 0.37 s after the previous one), where flows of every parser from many hosts interleave.

Also checked, from each run's own final stats event: `threading.workers` is the thread count, the packets of the
workers add up to `decoder.pkts`; and over the corpus the address-pair hash does spread captures' packets over both
workers of a two-thread run for the multi-host captures (most corpus captures hold one address pair, which one
worker owns; a hash that sent everything to worker 0 would pass the equality test trivially).
One capture also runs with periodic stats (outputs.stats.interval 1): the same number of stats events for every
thread count (they come from the correlator's ticks, which every run has at the same points).
"""
import heapq
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mslib  # noqa: E402

THREADS = (1, 2, 4)
MIX_SPACING_US = 370000  # capture i of the mixed capture starts i * 0.37 s after the first


def read_pcap(path):
    """(linktype, [(ts_us, caplen, wirelen, data)]) of a classic pcap file (micro- or nanosecond), else None."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 24:
        return None
    magic = b[:4]
    forms = {b"\xd4\xc3\xb2\xa1": ("<", 1), b"\xa1\xb2\xc3\xd4": (">", 1),
             b"\x4d\x3c\xb2\xa1": ("<", 1000), b"\xa1\xb2\x3c\x4d": (">", 1000)}
    if magic not in forms:
        return None
    end, div = forms[magic]
    linktype = struct.unpack(end + "I", b[20:24])[0] & 0x0FFFFFFF
    pkts, off = [], 24
    while off + 16 <= len(b):
        sec, frac, incl, orig = struct.unpack(end + "IIII", b[off:off + 16])
        if off + 16 + incl > len(b):
            break
        pkts.append((sec * 1000000 + frac // div, incl, orig, b[off + 16:off + 16 + incl]))
        off += 16 + incl
    return linktype, pkts


def build_mixed(out):
    """Every Ethernet pcap of the corpus and the sample, each shifted to start MIX_SPACING_US after the previous
    one, merged by time into one capture: many host pairs, flows of every parser interleaved, flows timing out on
    ticks while others run, detectors seeing events from every worker."""
    caps = [os.path.join(mslib.CORPUS, c) for c in mslib.corpus_captures()]
    caps.append(os.path.join(mslib.REPO, "samples", "imaging-network.pcap"))
    streams = []
    base = 1700000000 * 1000000
    for cap in caps:
        r = read_pcap(cap)
        if not r or r[0] != 1 or not r[1]:
            continue
        first = min(p[0] for p in r[1])
        start = base + len(streams) * MIX_SPACING_US
        streams.append([(start + (p[0] - first), i, len(streams), p) for i, p in enumerate(r[1])])
    n = 0
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for ts, _i, _s, p in heapq.merge(*streams):
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, p[1], p[2]))
            f.write(p[3])
            n += 1
    return len(streams), n


def captures():
    caps = [os.path.join(mslib.CORPUS, c) for c in mslib.corpus_captures()]
    caps.append(os.path.join(mslib.REPO, "samples", "imaging-network.pcap"))
    scn = os.path.join(mslib.REPO, "tests", "data", "scenarios")  # make_scenarios.sh: detection scenarios
    caps += [os.path.join(scn, n) for n in sorted(os.listdir(scn)) if n.endswith(".pcap")]
    return caps


def run(cap, n, extra=()):
    d = tempfile.mkdtemp(dir=os.environ.get("TMPDIR"))
    key = os.path.join(os.environ.get("TMPDIR", "/tmp"), "phi.key")  # one PHI key: pseudonyms comparable
    cmd = [mslib.MEDSENTRY, "-q", "-r", cap, "-l", d, "--threads", str(n), "--set", "outputs.sqlite.enabled=no",
           "--set", "privacy.key-file=" + key] + list(extra)
    # make tsan: ThreadSanitizer's runtime makes calls the seccomp filter forbids (docs/HARDENING.md)
    cmd += os.environ.get("MEDSENTRY_THREADS_ARGS", "").split()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-500:])
    with open(os.path.join(d, "eve.json"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    events = [ln for ln in lines if '"event_type":"stats"' not in ln]
    stats = [json.loads(ln)["stats"] for ln in lines if '"event_type":"stats"' in ln]
    return (events, stats), None


def check(cap):
    rel = os.path.relpath(cap, mslib.REPO)
    out = {}
    problems = []
    for n in THREADS:
        r, err = run(cap, n)
        if err:
            return rel, ["--threads %d: %s" % (n, err)], None
        events, stats = r
        final = stats[-1]
        th = final.get("threading", {})
        if th.get("workers") != n:
            problems.append("--threads %d: stats.threading.workers is %r" % (n, th.get("workers")))
        wp = th.get("worker_packets", [])
        if len(wp) != n or sum(wp) != final["decoder"]["pkts"]:
            problems.append("--threads %d: worker_packets %r do not add up to decoder.pkts %d"
                            % (n, wp, final["decoder"]["pkts"]))
        out[n] = (events, wp)
    base = out[1][0]
    for n in THREADS[1:]:
        ev = out[n][0]
        if ev != base:
            i = next((k for k in range(min(len(ev), len(base))) if ev[k] != base[k]), min(len(ev), len(base)))
            problems.append("--threads %d differs from --threads 1 at event %d of %d/%d:\n  1: %s\n  %d: %s"
                            % (n, i + 1, len(base), len(ev), base[i][:400] if i < len(base) else "(none)", n,
                               ev[i][:400] if i < len(ev) else "(none)"))
    spread = sum(1 for x in out[2][1] if x) > 1
    return rel, problems, (len(base), spread)


def main():
    mslib.need_binary()
    caps = captures()
    # the PHI key is created by the first run; make it now, before runs in parallel could each create their own
    r, err = run(os.path.join(mslib.REPO, "samples", "imaging-network.pcap"), 1)
    if err:
        print("FAIL: %s" % err)
        return 1
    results = mslib.pmap(check, caps)
    failed = 0
    events = 0
    spread = 0
    for rel, problems, info in results:
        if problems:
            failed += 1
            print("FAIL %s" % rel)
            for p in problems:
                print("  " + p)
        else:
            events += info[0]
            spread += info[1]
    print("%d captures x --threads %s: %d identical (%d events each run), %d differ; packets spread over both "
          "workers of --threads 2 in %d" % (len(caps), "/".join(map(str, THREADS)), len(caps) - failed, events,
                                             failed, spread))
    sample = next((info for rel, problems, info in results if rel == "samples/imaging-network.pcap"), None)
    if spread < 10 or not (sample and sample[1]):
        print("FAIL: the address-pair hash spread packets over both workers in only %d captures%s"
              % (spread, "" if sample and sample[1] else " (not in the sample, 15 hosts)"))
        failed += 1

    # the mixed capture: every Ethernet capture at once
    mixed = os.path.join(os.environ.get("TMPDIR", "/tmp"), "mixed.pcap")
    ncaps, npkts = build_mixed(mixed)
    rel, problems, info = check(mixed)
    if problems:
        failed += 1
        print("FAIL mixed capture (%d captures, %d packets)" % (ncaps, npkts))
        for p in problems:
            print("  " + p)
    else:
        print("mixed capture (%d captures, %d packets): %d events, the same for --threads %s; spread: %s"
              % (ncaps, npkts, info[0], "/".join(map(str, THREADS)), info[1]))
        if not info[1] or info[0] < 5000:
            print("FAIL mixed capture: %d events, spread %s" % (info[0], info[1]))
            failed += 1

    # periodic stats: one capture, the same stats events (count) and the same other events for every thread count
    cap = os.path.join(mslib.REPO, "samples", "imaging-network.pcap")
    seen = {}
    for n in THREADS:
        r, err = run(cap, n, ["--set", "outputs.stats.interval=1"])
        if err:
            print("FAIL periodic stats --threads %d: %s" % (n, err))
            return 1
        seen[n] = (r[0], len(r[1]))
    if seen[1][1] < 2:
        print("FAIL periodic stats: only %d stats events with outputs.stats.interval=1" % seen[1][1])
        failed += 1
    for n in THREADS[1:]:
        if seen[n] != seen[1]:
            print("FAIL periodic stats: --threads %d wrote %d stats events and %s events; --threads 1 %d and %s"
                  % (n, seen[n][1], len(seen[n][0]), seen[1][1], len(seen[1][0])))
            failed += 1
    print("periodic stats: %d stats events for every thread count" % seen[1][1])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
