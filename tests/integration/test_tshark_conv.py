#!/usr/bin/env python3
"""medsentry's TCP/UDP flows against tshark's conversations, over the whole corpus.

For every capture (generated/pcaps/* and public/* minus mslib.EXCLUDED) medsentry's `flow` events (proto TCP/UDP)
must be the same set of conversations as tshark's, with the same packets and bytes (frame length on the wire) in
each direction.

Reference values. tshark is run once per capture as
    tshark -n -r F -T fields -e frame.len -e ip.src ... -e tcp.stream -e udp.stream ... -z conv,tcp -z conv,udp
The conv table prints bytes rounded above 9999 ("64 kB" = 64000..64999, integer division), so the exact numbers come
from summing frame.len per tcp.stream/udp.stream and direction; each sum is cross-checked against the conv table
(frames equal, bytes inside the printed range). Column order of the table, checked on dicom_01_echo.pcap: after
"A <-> B" come frames/bytes B->A ("<-"), then A->B ("->"). Directions are mapped by address+port, never by order.

Deliberate differences of definition (each handled explicitly, never by a tolerance):
  * IP fragments: tshark counts a fragmented datagram once, as the frame that completed the reassembly (frame.len of
    that last fragment only). A sensor may instead count every fragment frame. For flows with reassembled datagrams
    both definitions are computed exactly and medsentry must equal one of them (a NOTE line says which).
  * tshark's conv table disagrees with its own per-packet fields in the captures of CONV_TABLE_DIVERGES (reason
    given); there the per-packet sums are the reference. A disagreement in any other capture fails the test (the
    harness must be looked at, it is not silently accepted).
ICMP errors quoting a TCP/UDP header are not counted in the TCP/UDP conversation (tshark's fields show the quoted
header's ports; its conv tap does not count them; medsentry accounts them to ICMP).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

CONV_TABLE_DIVERGES = {
    "public/suricata-verify/tests/tcp-empty-sack/tcp-opt.pcap":
        "frame 24 carries an empty SACK option; tshark's TCP dissector throws 'Malformed Packet' before its conv tap, "
        "so the conv table has 21 frames 17.173.66.179->192.168.0.54 where 22 are on the wire in that connection",
    "public/tcpdump/tests/ipv6-routing-header.pcap":
        "tshark's conversation uses the final destination from the type-0 routing header; the reference is the "
        "destination in the IPv6 header of the packet (ipv6.dst), which is what the flow key is built from",
}


def ep(ip, port):
    return (mslib.norm_ip(ip), int(port))


def check_capture(rel):
    cap = os.path.join(mslib.CORPUS, rel)
    problems, notes = [], []
    ref = mslib.tshark_conv(cap)
    run = mslib.run_medsentry(cap)
    if run.rc != 0:
        problems.append("%s: medsentry exit %d: %s" % (rel, run.rc, run.stderr.strip()[-300:]))
        if not run.events:
            return problems, notes
    for proto in ("TCP", "UDP"):
        theirs = []
        for c in ref[proto]:
            if c["conv_check"] != "ok":
                if rel not in CONV_TABLE_DIVERGES:
                    problems.append("%s: harness: tshark conv table and per-packet fields disagree on %s %s <-> %s "
                                    "(%s)" % (rel, proto, c["a"], c["b"], c["conv_check"]))
                if c["stream"] is None:
                    continue   # conv-table-only row: the per-packet entry is the reference
            theirs.append(c)
        ours = [e for e in run.of_type("flow") if e.get("proto") == proto]
        groups = {}
        for c in theirs:
            k = frozenset([ep(*c["a"]), ep(*c["b"])])
            groups.setdefault(k, ([], []))[1].append(c)
        for e in ours:
            try:
                k = frozenset([ep(e["src_ip"], e["src_port"]), ep(e["dest_ip"], e["dest_port"])])
            except (KeyError, TypeError, ValueError):
                problems.append("%s: flow event without usable addresses/ports: %s" % (rel, str(e)[:200]))
                continue
            groups.setdefault(k, ([], []))[0].append(e)
        for k in sorted(groups, key=lambda s: sorted(s)):
            o, t = groups[k]
            o.sort(key=lambda e: mslib.parse_ts(e["flow"]["start"]) if e.get("flow", {}).get("start") else 0)
            t.sort(key=lambda c: c["start"] or 0)
            name = " <-> ".join("%s:%d" % x for x in sorted(k))
            if len(o) != len(t):
                problems.append("%s: %s %s: number of flows ours=%d tshark=%d (tshark streams %s; our flow_ids %s)"
                                % (rel, proto, name, len(o), len(t), [c["stream"] for c in t],
                                   [e.get("flow_id") for e in o]))
            for e, c in zip(o, t):
                problems += compare(rel, proto, e, c, notes)
    return problems, notes


def compare(rel, proto, e, c, notes):
    out = []
    f = e.get("flow") or {}
    cli = ep(e["src_ip"], e["src_port"])
    tup = "%s %s:%s -> %s:%s (flow_id %s, tshark stream %s)" % (proto, e["src_ip"], e["src_port"], e["dest_ip"],
                                                                e["dest_port"], e.get("flow_id"), c["stream"])
    if cli == ep(*c["a"]):
        m = {"ts": "ab", "tc": "ba"}
    else:
        m = {"ts": "ba", "tc": "ab"}
    want = {"pkts_toserver": c[m["ts"] + "_frames"], "pkts_toclient": c[m["tc"] + "_frames"],
            "bytes_toserver": c[m["ts"] + "_bytes"], "bytes_toclient": c[m["tc"] + "_bytes"]}
    got = {k: f.get(k) for k in want}
    if c.get("frag", {}).get("datagrams"):
        fr = c["frag"]
        alt = {"pkts_toserver": fr[m["ts"] + "_frames"], "pkts_toclient": fr[m["tc"] + "_frames"],
               "bytes_toserver": fr[m["ts"] + "_bytes"], "bytes_toclient": fr[m["tc"] + "_bytes"]}
        if got == alt:
            notes.append("NOTE %s: %s: fragmented datagrams counted per fragment frame (%s)" % (rel, tup, alt))
            return out
        if got == want:
            notes.append("NOTE %s: %s: fragmented datagrams counted once, like tshark (%s)" % (rel, tup, want))
            return out
        for k in want:
            out.append("%s: %s: %s ours=%s tshark=%s (every-fragment-frame definition: %s)"
                       % (rel, tup, k, got[k], want[k], alt[k]))
        return out
    for k in want:
        if got[k] != want[k]:
            out.append("%s: %s: %s ours=%s tshark=%s" % (rel, tup, k, got[k], want[k]))
    return out


def main():
    mslib.need_binary()
    mslib.need_tshark()
    caps = mslib.capture_filter()
    results = mslib.pmap(check_capture, caps)
    nprob = 0
    bad_caps = 0
    for rel, (problems, notes) in zip(caps, results):
        for n in notes:
            print(n)
        for p in problems:
            print("MISMATCH " + p)
        nprob += len(problems)
        bad_caps += bool(problems)
    print("test_tshark_conv: %d captures, %d with mismatches, %d mismatches; excluded: %d (%s)"
          % (len(caps), bad_caps, nprob, len(mslib.EXCLUDED), "; ".join(
              "%s: %s" % (os.path.basename(k), v) for k, v in sorted(mslib.EXCLUDED.items()))))
    return 1 if nprob else 0


if __name__ == "__main__":
    sys.exit(main())
