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

MERGE_STREAMS = mslib.MERGE_STREAMS   # tshark streams that are one TCP connection (reasons in mslib)
TSHARK_ONLY = mslib.TSHARK_ONLY       # tshark conversations from packets that are not valid IP (reasons in mslib)
# Other definition differences, handled generically:
#  * Idle timeouts: tshark has none; medsentry ends a flow idle for longer than its timeout. The corpus runs use
#    the longest timeouts accepted (mslib.CORPUS_ARGS, 86400 s); flows ended by timeout and followed by the same
#    tuple more than 86400 s later are joined (mslib.flow_chains) and compared as one conversation.
#  * Frames cut by the snap length (even inside the IP datagram, and records longer than a pcap file's snaplen,
#    which libpcap clips) are counted in their flow by both tshark and medsentry (commit cf17558): no adjustment
#    (mslib still records them per stream as "cut", for diagnosis).


def check_capture(rel):
    cap = os.path.join(mslib.CORPUS, rel)
    problems, notes = [], []
    ref = mslib.tshark_conv(cap)
    run = mslib.run_medsentry(cap, mslib.corpus_args(cap))
    if run.rc != 0:
        problems.append("%s: medsentry exit %d: %s" % (rel, run.rc, run.stderr.strip()[-300:]))
        if not run.events:
            return problems, notes
    chains = mslib.flow_chains([e for e in run.of_type("flow") if e.get("proto") in ("TCP", "UDP")], problems, rel)
    for proto in ("TCP", "UDP"):
        theirs = []
        merge = MERGE_STREAMS.get(rel, ([], ""))
        merged = None
        for c in ref[proto]:
            if c["conv_check"] != "ok":
                if rel not in CONV_TABLE_DIVERGES:
                    problems.append("%s: harness: tshark conv table and per-packet fields disagree on %s %s <-> %s "
                                    "(%s)" % (rel, proto, c["a"], c["b"], c["conv_check"]))
                if c["stream"] is None:
                    continue   # conv-table-only row: the per-packet entry is the reference
            if proto == "TCP" and c["stream"] in TSHARK_ONLY.get(rel, ([], ""))[0]:
                notes.append("NOTE %s: tshark stream %s not expected: %s" % (rel, c["stream"], TSHARK_ONLY[rel][1]))
                continue
            c = dict(c)
            sent = {mslib.ep(*c["a"]): [c["ab_frames"], c["ab_bytes"]], mslib.ep(*c["b"]): [c["ba_frames"], c["ba_bytes"]]}
            fsent = None
            if c.get("frag", {}).get("datagrams"):
                fr = c["frag"]
                fsent = {mslib.ep(*c["a"]): [fr["ab_frames"], fr["ab_bytes"]],
                         mslib.ep(*c["b"]): [fr["ba_frames"], fr["ba_bytes"]]}
            c["sent"], c["fsent"] = sent, fsent
            if proto == "TCP" and c["stream"] in merge[0]:
                if merged is None:
                    merged = c
                    theirs.append(c)
                    notes.append("NOTE %s: tshark streams %s compared as one: %s" % (rel, merge[0], merge[1]))
                else:
                    for who, v in sent.items():
                        merged["sent"].setdefault(who, [0, 0])
                        merged["sent"][who][0] += v[0]
                        merged["sent"][who][1] += v[1]
                continue
            theirs.append(c)
        tgroups = {}
        for c in theirs:
            tgroups.setdefault(frozenset([mslib.ep(*c["a"]), mslib.ep(*c["b"])]), []).append(c)
        ogroups = {k[1]: v for k, v in chains.items() if k[0] == proto}
        for k in sorted(set(tgroups) | set(ogroups), key=lambda s: sorted(s)):
            o = ogroups.get(k, [])
            t = sorted(tgroups.get(k, []), key=lambda c: c["start"] or 0)
            name = " <-> ".join("%s:%d" % x for x in sorted(k))
            if len(o) != len(t):
                problems.append("%s: %s %s: number of flows ours=%d tshark=%d (tshark streams %s; our flow_ids %s)"
                                % (rel, proto, name, len(o), len(t), [c["stream"] for c in t],
                                   [[e.get("flow_id") for e in ch] for ch in o]))
            for ch, c in zip(o, t):
                problems += compare(rel, proto, ch, c, notes)
    return problems, notes


def compare(rel, proto, chain, c, notes):
    out = []
    e = chain[0]
    cli, srv = mslib.ep(e["src_ip"], e["src_port"]), mslib.ep(e["dest_ip"], e["dest_port"])
    ids = ",".join(str(x.get("flow_id")) for x in chain)
    tup = "%s %s:%s -> %s:%s (flow_id %s, tshark stream %s)" % (proto, e["src_ip"], e["src_port"], e["dest_ip"],
                                                                e["dest_port"], ids, c["stream"])
    if len(chain) > 1:
        notes.append("NOTE %s: %s: %d flows split by idle timeout compared as one" % (rel, tup, len(chain)))
    got = mslib.chain_sent(chain)

    def fields(sent):
        z = [0, 0]
        return {"pkts_toserver": sent.get(cli, z)[0], "bytes_toserver": sent.get(cli, z)[1],
                "pkts_toclient": sent.get(srv, z)[0], "bytes_toclient": sent.get(srv, z)[1]}
    g, want = fields(got), fields(c["sent"])
    if c.get("fsent"):
        alt = fields(c["fsent"])
        if g == alt:
            notes.append("NOTE %s: %s: fragmented datagrams counted per fragment frame (%s)" % (rel, tup, alt))
            return out
        if g == want:
            notes.append("NOTE %s: %s: fragmented datagrams counted once, like tshark (%s)" % (rel, tup, want))
            return out
        for k in want:
            out.append("%s: %s: %s ours=%s tshark=%s (every-fragment-frame definition: %s)"
                       % (rel, tup, k, g[k], want[k], alt[k]))
        return out
    for k in ("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient"):
        if g[k] != want[k]:
            out.append("%s: %s: %s ours=%s tshark=%s" % (rel, tup, k, g[k], want[k]))
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
