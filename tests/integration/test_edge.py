#!/usr/bin/env python3
"""medsentry on hand-built edge cases (tests/data/edge/, written by tests/data/edge/gen_edge.py).

The expectations are gen_edge.EXPECT: derived from how each capture was built (payload bytes, fragment layout,
frame lengths, VLAN tags), never from medsentry's output. The committed capture files must be byte-identical to
what gen_edge.py builds, so the expectations and the files cannot drift apart.

Per capture, as applicable:
  flows          exactly these TCP/UDP flows (proto, client, server, vlan); pkts/bytes per direction when given
  to_server/to_client  --dump-streams bytes of every expected TCP flow
  anomalies      these (type, layer, event) anomaly events are present
  anomaly_counts exactly N anomaly events of (type, event)
  stats / stats_min    stats counters (dotted paths in the final stats event) equal / at least
  truncated      exit 0, a stderr line 'medsentry: warning: ... truncated ...', stats capture_truncated true
  not_capture    exit 1 and exactly one stderr line 'medsentry: error: ...'
  bpf            with the BPF expression, exactly these flows
and three_flows.pcap is also read from standard input (-r -) and must give the same flows as from the file.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mslib  # noqa: E402

EDGE = os.path.join(mslib.REPO, "tests", "data", "edge")
sys.path.insert(0, EDGE)
import gen_edge  # noqa: E402


def get(d, path):
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


class Checker:
    def __init__(self, name):
        self.name = name
        self.problems = []

    def fail(self, msg):
        self.problems.append("%s: %s" % (self.name, msg))

    def eq(self, what, ours, want):
        if ours != want:
            self.fail("%s: ours=%r expected=%r" % (what, ours, want))


def flow_key(e):
    return (e.get("proto"), mslib.norm_ip(e.get("src_ip", "")), e.get("src_port"), mslib.norm_ip(e.get("dest_ip", "")),
            e.get("dest_port"), tuple(e.get("vlan") or ()))


def check_flows(c, run, want_flows, dumps=None):
    ours = [e for e in run.of_type("flow") if e.get("proto") in ("TCP", "UDP")]
    okeys = {}
    for e in ours:
        okeys.setdefault(flow_key(e), []).append(e)
    for w in want_flows:
        k = (w["proto"], mslib.norm_ip(w["src_ip"]), w["src_port"], mslib.norm_ip(w["dest_ip"]), w["dest_port"],
             tuple(w.get("vlan") or ()))
        got = okeys.pop(k, [])
        if len(got) != 1:
            c.fail("expected exactly one flow %s, found %d; our flows: %s"
                   % (k, len(got), [flow_key(e) for e in ours]))
            continue
        e = got[0]
        for f in ("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient"):
            if f in w:
                c.eq("flow %s %s" % (k, f), get(e, "flow." + f), w[f])
        if dumps and w["proto"] == "TCP":
            ts, tc = dumps
            c.eq("flow %s to_server bytes (--dump-streams)" % (k,), run.dump(e["flow_id"], "to_server"), ts)
            c.eq("flow %s to_client bytes (--dump-streams)" % (k,), run.dump(e["flow_id"], "to_client"), tc)
    for k, evs in okeys.items():
        c.fail("unexpected flow(s) %s (flow_id %s)" % (k, [e.get("flow_id") for e in evs]))


def anomaly_matches(ev, typ, layer, event):
    a = ev.get("anomaly") or {}
    if a.get("type") != typ:
        return False
    if layer is None:
        return a.get("event") == event or str(a.get("event", "")).endswith("." + event)
    return (a.get("layer") == layer and a.get("event") == event) or a.get("event") == "%s.%s" % (layer, event)


def check_case(name, exp):
    c = Checker(name)
    path = os.path.join(EDGE, name)
    if exp.get("not_capture"):
        run = mslib.run_medsentry(path, use_cache=False, dump=False)
        c.eq("exit status", run.rc, 1)
        lines = run.stderr.splitlines()
        if len(lines) != 1 or not lines[0].startswith("medsentry: error:"):
            c.fail("stderr should be one line 'medsentry: error: ...', got %r" % run.stderr[:300])
        return c.problems
    run = mslib.run_medsentry(path, use_cache=False)
    c.eq("exit status", run.rc, 0)
    if run.rc != 0:
        c.fail("stderr: %s" % run.stderr.strip()[-300:])
    if run.bad_lines:
        c.fail("eve.json lines that are not JSON: %s" % run.bad_lines[:3])
    st = run.stats()
    if st is None:
        c.fail("no stats event")
        st = {}
    if exp.get("truncated"):
        warn = [l for l in run.stderr.splitlines() if l.startswith("medsentry: warning:")]
        if not any("truncat" in l.lower() for l in warn):
            c.fail("no 'medsentry: warning:' line saying the capture is truncated; stderr: %r" % run.stderr[:300])
        c.eq("stats.capture_truncated", st.get("capture_truncated"), True)
    else:
        if st and st.get("capture_truncated") not in (False, None):
            c.fail("stats.capture_truncated is %r on a complete capture" % st.get("capture_truncated"))
    if "flows" in exp:
        dumps = (exp["to_server"], exp["to_client"]) if "to_server" in exp else None
        check_flows(c, run, exp["flows"], dumps)
    anomalies = run.of_type("anomaly")
    for typ, layer, event in exp.get("anomalies", []):
        if not any(anomaly_matches(a, typ, layer, event) for a in anomalies):
            c.fail("no anomaly type=%s layer=%s event=%s; anomalies seen: %s"
                   % (typ, layer, event, [a.get("anomaly") for a in anomalies][:10]))
    for (typ, event), n in exp.get("anomaly_counts", {}).items():
        got = sum(1 for a in anomalies if anomaly_matches(a, typ, None, event))
        c.eq("number of anomaly events type=%s event=%s" % (typ, event), got, n)
    for k, v in exp.get("stats", {}).items():
        c.eq("stats." + k, get(st, k), v)
    for k, v in exp.get("stats_min", {}).items():
        g = get(st, k)
        if not isinstance(g, int) or g < v:
            c.fail("stats.%s: ours=%r expected >= %d" % (k, g, v))
    if "bpf" in exp:
        b = exp["bpf"]
        r2 = mslib.run_medsentry(path, args=b["expr"].split(), use_cache=False)
        c2 = Checker("%s with BPF '%s'" % (name, b["expr"]))
        c2.eq("exit status", r2.rc, 0)
        check_flows(c2, r2, b["flows"])
        c.problems += c2.problems
    return c.problems


def check_stdin():
    """three_flows.pcap and pcapng_simple.pcapng through `-r -`: the same flows as when read from the file."""
    probs = []
    for name in ("three_flows.pcap", "pcapng_simple.pcapng"):
        c = Checker("%s via -r - (stdin)" % name)
        with open(os.path.join(EDGE, name), "rb") as f:
            data = f.read()
        run = mslib.run_medsentry("-", stdin=data, use_cache=False)
        c.eq("exit status", run.rc, 0)
        exp = gen_edge.EXPECT[name]
        check_flows(c, run, exp["flows"], (exp["to_server"], exp["to_client"]) if "to_server" in exp else None)
        probs += c.problems
    return probs


def main():
    mslib.need_binary()
    files, expect = gen_edge.build()
    problems = []
    for name, data in sorted(files.items()):
        p = os.path.join(EDGE, name)
        if not os.path.exists(p):
            problems.append("%s: missing in tests/data/edge (run gen_edge.py)" % name)
            continue
        with open(p, "rb") as f:
            if f.read() != data:
                problems.append("%s: differs from what gen_edge.py builds (run gen_edge.py and commit)" % name)
    names = sorted(expect)
    results = mslib.pmap(lambda n: check_case(n, expect[n]), names)
    for n, probs in zip(names, results):
        print("%-4s %s" % ("ok" if not probs else "FAIL", n))
        problems += probs
    sp = check_stdin()
    print("%-4s %s" % ("ok" if not sp else "FAIL", "stdin (-r -)"))
    problems += sp
    for p in problems:
        print("MISMATCH " + p)
    print("test_edge: %d cases, %d problems" % (len(names) + 1, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
