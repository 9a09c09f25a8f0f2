#!/usr/bin/env python3
"""medsentry's reassembled TCP streams (--dump-streams) against tshark's "Follow TCP Stream", over the corpus.

For every capture of the corpus (same selection as test_tshark_conv) and every TCP stream N, tshark is run ONCE per
capture with one `-z follow,tcp,raw,N` per stream (cached, see mslib). Its output names "Node 0: ip:port" (the host
that sent the first packet of the stream) and "Node 1"; hex lines belong to node 0, tab-indented ones to node 1.
The SHA-256 and length of each direction must equal those of medsentry's DIR/<flow_id>-to_server.bin and
-to_client.bin (no file == empty). Flows are paired with tshark streams by 5-tuple (and start time when a tuple is
reused); to_server is the direction whose sender is the flow's src_ip:src_port.

Gaps: where segments are missing tshark writes a text marker "[N bytes missing in capture file]\\0" into the
followed data. medsentry's dump holds only bytes delivered in order, a gap is skipped. The marker is taken out of
tshark's data before hashing (mslib.parse_follow) and the gap is listed in a NOTE; the remaining bytes must match
exactly.

Overlaps: medsentry keeps the first bytes seen (docs/EVE.md, DESIGN.md "overlap (first-wins)"). tshark 4.0's follow
also keeps the first bytes for an overlap with data already passed on, but when a segment overlaps data it holds
out of order it lets the later segment's bytes win (verified on tests/data/edge/tcp_overlap_held.pcap: tshark
follows "...56789ZZZZZFGHIJ", first-wins gives "...56789ABCDEFGHIJ"). FOLLOW_DIFFERS lists the streams where this (or
another by-design difference) applies; those directions are not compared, and the reason says exactly why.
Everything else must match byte for byte.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

# (capture, tshark stream, node) -> reason.  node: 0/1 as in tshark's output, or None for both directions.
_TRAILING_HOLE = ("tshark holds segments that arrive after a hole and, the hole never being filled before the RST "
                  "ends the stream, never prints them (and prints no 'bytes missing' marker); medsentry gives the "
                  "hole up at the end of the flow and delivers the bytes after it")
FOLLOW_DIFFERS = {
    # server 2.2.2.2:8080 (node 1) sends [1,8) "Please ", [12,15) "Me ", [15,18) "In!" ([8,12) never sent), then
    # the client's RST: tshark follows 7 bytes, a gap-skipping reassembler 13
    ("public/suricata-verify/tests/tcp-rst-unacked-stream-03-gap/input.pcap", 0, 1): _TRAILING_HOLE,
    ("public/suricata-verify/tests/tcp-rst-unacked-stream-04-gap-ips/input.pcap", 0, 1): _TRAILING_HOLE,
    # client 1.1.1.1:12345 (node 0) sends [1,17) "GET / HTTP/1.0\r\n", [33,45), [45,56) ([17,33) never sent), RST
    ("public/suricata-verify/tests/tcp-rst-unacked-stream-07-http/input.pcap", 0, 0): _TRAILING_HOLE,
    ("public/suricata-verify/tests/tcp-rst-unacked-stream-08-http-ips/input.pcap", 0, 0): _TRAILING_HOLE,
}


def ep(ip, port):
    return (mslib.norm_ip(ip), int(port))


def check_capture(rel):
    cap = os.path.join(mslib.CORPUS, rel)
    problems, notes = [], []
    conv = mslib.tshark_conv(cap)
    fol = mslib.tshark_follow(cap)
    run = mslib.run_medsentry(cap, mslib.corpus_args(cap))
    if run.rc != 0:
        problems.append("%s: medsentry exit %d: %s" % (rel, run.rc, run.stderr.strip()[-300:]))
        if not run.events:
            return problems, notes
    if not os.path.isdir(run.dumpdir):
        problems.append("%s: --dump-streams directory missing" % rel)
        return problems, notes
    start = {c["stream"]: c["start"] for c in conv["TCP"] if c["stream"] is not None}
    groups = {}
    merge = mslib.MERGE_STREAMS.get(rel, ([], ""))[0]
    if merge:
        # streams that are one connection: accepted only when all but one are empty both ways
        full = [sid for sid in merge if fol.get(str(sid), {}).get("len0") or fol.get(str(sid), {}).get("len1")]
        if len(full) > 1:
            problems.append("%s: harness: streams %s to merge carry data in more than one stream" % (rel, merge))
        keep = full[0] if full else merge[0]
        fol = {k: v for k, v in fol.items() if int(k) not in merge or int(k) == keep}
        notes.append("NOTE %s: tshark streams %s are one connection (%s); stream %d compared"
                     % (rel, merge, mslib.MERGE_STREAMS[rel][1][:60] + "...", keep))
    for sid_s, s in fol.items():
        sid = int(sid_s)
        if not s.get("node0") or s["node0"].startswith(":"):
            continue  # a stream with no TCP packet tshark could follow
        if sid in mslib.TSHARK_ONLY.get(rel, ([], ""))[0]:
            notes.append("NOTE %s: tshark stream %d not expected: %s" % (rel, sid, mslib.TSHARK_ONLY[rel][1]))
            continue
        k = frozenset([ep(*mslib.split_endpoint(s["node0"])), ep(*mslib.split_endpoint(s["node1"]))])
        groups.setdefault(k, ([], []))[1].append((start.get(sid) or 0, sid, s))
    # flows split by idle timeout (see test_tshark_conv.py / mslib.flow_chains) are one tshark stream: their dumps
    # are concatenated per sending endpoint
    for (proto, k), chains in mslib.flow_chains([e for e in run.of_type("flow") if e.get("proto") == "TCP"],
                                                problems, rel).items():
        for ch in chains:
            groups.setdefault(k, ([], []))[0].append((ch[0]["_start"], ch))
    files_used = set()
    for k in sorted(groups, key=lambda s: sorted(s)):
        o, t = groups[k]
        o.sort(key=lambda x: x[0])
        t.sort(key=lambda x: (x[0], x[1]))
        name = " <-> ".join("%s:%d" % x for x in sorted(k))
        if len(o) != len(t):
            problems.append("%s: TCP %s: number of streams ours=%d tshark=%d" % (rel, name, len(o), len(t)))
        for (_, ch), (_, sid, s) in zip(o, t):
            e = ch[0]
            fid = ",".join(str(x.get("flow_id")) for x in ch)
            cli = ep(e["src_ip"], e["src_port"])
            node_ts = 0 if ep(*mslib.split_endpoint(s["node0"])) == cli else 1
            for direction, node in (("to_server", node_ts), ("to_client", 1 - node_ts)):
                sender = cli if direction == "to_server" else ep(e["dest_ip"], e["dest_port"])
                data = b""
                for x in ch:
                    d = "to_server" if ep(x["src_ip"], x["src_port"]) == sender else "to_client"
                    files_used.add("%s-%s.bin" % (x.get("flow_id"), d))
                    data += run.dump(x.get("flow_id"), d)
                why = FOLLOW_DIFFERS.get((rel, sid, node)) or FOLLOW_DIFFERS.get((rel, sid, None))
                tup = "TCP %s:%s -> %s:%s flow_id %s tshark stream %d %s" % (
                    e["src_ip"], e["src_port"], e["dest_ip"], e["dest_port"], fid, sid, direction)
                if s["gaps%d" % node]:
                    notes.append("NOTE %s: %s: tshark marks %d gap(s), %d bytes missing; compared without them"
                                 % (rel, tup, s["gaps%d" % node], s["gapbytes%d" % node]))
                if why:
                    notes.append("NOTE %s: %s: not compared: %s" % (rel, tup, why))
                    continue
                if mslib.sha256_bytes(data) != s["sha%d" % node] or len(data) != s["len%d" % node]:
                    problems.append("%s: %s: bytes differ: ours %d bytes sha256 %s, tshark %d bytes sha256 %s"
                                    % (rel, tup, len(data), mslib.sha256_bytes(data)[:16], s["len%d" % node],
                                       s["sha%d" % node][:16]))
    stray = sorted(set(os.listdir(run.dumpdir)) - files_used)
    if stray:
        problems.append("%s: dump files without a matching TCP flow/tshark stream: %s" % (rel, stray[:10]))
    return problems, notes


def main():
    mslib.need_binary()
    mslib.need_tshark()
    caps = mslib.capture_filter()
    results = mslib.pmap(check_capture, caps)
    nprob = bad = 0
    for rel, (problems, notes) in zip(caps, results):
        for n in notes:
            print(n)
        for p in problems:
            print("MISMATCH " + p)
        nprob += len(problems)
        bad += bool(problems)
    print("test_tshark_follow: %d captures, %d with mismatches, %d mismatches" % (len(caps), bad, nprob))
    return 1 if nprob else 0


if __name__ == "__main__":
    sys.exit(main())
