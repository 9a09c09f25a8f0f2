#!/usr/bin/env python3
"""Every eve.json medsentry writes over the whole corpus (and the edge captures) is well-formed EVE:

  * every line is one JSON object (json.loads), UTF-8, newline-terminated;
  * every event has a string `timestamp` in the documented form (2026-11-29T16:17:29.123456+0000) and a string
    `event_type`;
  * every flow-bound event (`flow`, and any event that carries a `flow_id`) has an integer flow_id (64-bit,
    not a bool, not a string);
  * all events of one flow share its flow_id: the flow event's 5-tuple (+vlan) maps to exactly one flow_id per
    flow, and every other event with that flow_id has the same addresses/ports (either orientation) and vlan;
  * each flow_id has exactly one `flow` event; exactly one final `stats` event, last in the file.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$")


def check_capture(cap, rel):
    problems = []
    run = mslib.run_medsentry(cap, mslib.corpus_args(cap))
    path = os.path.join(run.logdir, "eve.json")
    if run.rc != 0:
        problems.append("%s: medsentry exit %d: %s" % (rel, run.rc, run.stderr.strip()[-200:]))
    if not os.path.exists(path):
        problems.append("%s: no eve.json" % rel)
        return problems
    with open(path, "rb") as f:
        raw = f.read()
    if raw and not raw.endswith(b"\n"):
        problems.append("%s: eve.json does not end with a newline" % rel)
    events = []
    for n, line in enumerate(raw.split(b"\n")[:-1] if raw.endswith(b"\n") else raw.split(b"\n"), 1):
        try:
            ev = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as ex:
            problems.append("%s: line %d: not JSON (%s): %r" % (rel, n, ex, line[:120]))
            continue
        if not isinstance(ev, dict):
            problems.append("%s: line %d: not a JSON object" % (rel, n))
            continue
        events.append((n, ev))
    flows = {}
    for n, ev in events:
        et = ev.get("event_type")
        if not isinstance(et, str) or not et:
            problems.append("%s: line %d: no event_type" % (rel, n))
        ts = ev.get("timestamp")
        if not isinstance(ts, str) or not TS_RE.match(ts):
            problems.append("%s: line %d (%s): bad timestamp %r" % (rel, n, et, ts))
        if et == "flow" or "flow_id" in ev:
            fid = ev.get("flow_id")
            if not isinstance(fid, int) or isinstance(fid, bool) or not (0 <= fid < 2 ** 64):
                problems.append("%s: line %d (%s): flow_id %r is not a 64-bit integer" % (rel, n, et, fid))
                continue
        if et == "flow":
            if ev["flow_id"] in flows:
                problems.append("%s: line %d: second flow event for flow_id %s" % (rel, n, ev["flow_id"]))
            flows[ev["flow_id"]] = ev
    seen_tuple = {}
    for fid, ev in flows.items():
        key = (ev.get("proto"), ev.get("src_ip"), ev.get("src_port"), ev.get("dest_ip"), ev.get("dest_port"),
               tuple(ev.get("vlan") or ()), ev.get("flow", {}).get("start"))
        if key in seen_tuple:
            problems.append("%s: flows %s and %s have the same tuple and start" % (rel, seen_tuple[key], fid))
        seen_tuple[key] = fid
    for n, ev in events:
        if ev.get("event_type") in ("flow", "stats") or "flow_id" not in ev:
            continue
        fid = ev["flow_id"]
        fl = flows.get(fid)
        if fl is None:
            problems.append("%s: line %d (%s): flow_id %s has no flow event" % (rel, n, ev.get("event_type"), fid))
            continue
        a = (ev.get("src_ip"), ev.get("src_port"), ev.get("dest_ip"), ev.get("dest_port"))
        fw = (fl.get("src_ip"), fl.get("src_port"), fl.get("dest_ip"), fl.get("dest_port"))
        rv = (fw[2], fw[3], fw[0], fw[1])
        if "src_ip" in ev and a != fw and a != rv:
            problems.append("%s: line %d (%s): flow_id %s but tuple %s, the flow's is %s"
                            % (rel, n, ev.get("event_type"), fid, a, fw))
        if "proto" in ev and ev["proto"] != fl.get("proto"):
            problems.append("%s: line %d: flow_id %s proto %s, the flow's is %s" % (rel, n, fid, ev["proto"],
                                                                                     fl.get("proto")))
        if (ev.get("vlan") or []) != (fl.get("vlan") or []) and "vlan" in ev:
            problems.append("%s: line %d: flow_id %s vlan %s, the flow's is %s" % (rel, n, fid, ev.get("vlan"),
                                                                                    fl.get("vlan")))
    stats = [n for n, ev in events if ev.get("event_type") == "stats" and ev.get("stats", {}).get("final")]
    if len(stats) != 1:
        problems.append("%s: %d final stats events, want 1" % (rel, len(stats)))
    elif events and stats[0] != events[-1][0]:
        problems.append("%s: the final stats event is not the last line" % rel)
    return problems


def main():
    mslib.need_binary()
    caps = [(os.path.join(mslib.CORPUS, c), c) for c in mslib.capture_filter()]
    edge = os.path.join(mslib.REPO, "tests", "data", "edge")
    if not os.environ.get("MEDSENTRY_TEST_ONLY"):
        for n in sorted(os.listdir(edge)):
            if n.endswith((".pcap", ".pcapng")):
                caps.append((os.path.join(edge, n), "edge/" + n))
    results = mslib.pmap(lambda c: check_capture(*c), caps)
    nprob = 0
    for probs in results:
        for p in probs[:50]:
            print("FAIL " + p)
        if len(probs) > 50:
            print("FAIL ... %d more" % (len(probs) - 50))
        nprob += len(probs)
    print("test_json: %d eve.json files checked, %d problems" % (len(caps), nprob))
    return 1 if nprob else 0


if __name__ == "__main__":
    sys.exit(main())
