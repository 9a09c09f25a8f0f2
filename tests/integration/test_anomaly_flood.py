#!/usr/bin/env python3
"""Anomaly floods become counters, not output floods (src/core/anomaly.c, docs/EVE.md `anomaly`, `stats.anomaly`).

Three captures are built here (python3 standard library, written to TMPDIR; nothing is sent anywhere), and every
expected number follows from how they are built, never from medsentry's output:

  frag_flood   N_PAIRS IPv4 datagrams, each in two fragments that overlap by 8 bytes with different data, spread
               evenly over FRAG_SECONDS whole seconds of packet time: N_PAIRS frag_overlap and N_PAIRS
               frag_overlap_different_data decode anomalies, outside any flow. Written: one per kind per second.
               With anomaly.rate-limit=1: one per second in all (the first kind of each second), and every
               different-data report is stopped by the budget (it never gets written, so never becomes a repeat).
  smb_no_reply two SMB2 flows whose client sends SMB_REQS[i] CLOSE requests and whose server never answers (nothing
               after the handshake): the first smb.max-pending (64) fill the pending table, every later request
               evicts the oldest and reports smb_pending_full. Written: one per flow.
  overlap_many STREAM_FLOWS TCP flows within one second of packet time, each with one retransmission carrying
               different bytes: STREAM_FLOWS overlap_different_data stream anomalies, one per flow. Written: the
               budget of that second (default 100; also run with 0 = no budget, and 10).

Every run also checks the invariants: stats.anomaly.events equals the anomaly lines in eve.json, and
decode + stream + applayer = events + suppressed, suppressed = suppressed_repeat + suppressed_rate.
"""
import collections
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mslib  # noqa: E402

sys.path.insert(0, os.path.join(mslib.REPO, "tests", "data", "edge"))
import gen_edge as g  # noqa: E402

T0_S = 1700000000          # a whole second: packet-time seconds are T0_S + 0, 1, ...
N_PAIRS = 12000            # 24,000 fragments
FRAG_SECONDS = 6
SMB_REQS = (400, 100)
SMB_MAX_PENDING = 64       # smb.max-pending default (medsentry.yaml)
STREAM_FLOWS = 250
RATE_DEFAULT = 100         # anomaly.rate-limit default (medsentry.yaml)


def pcap(path, records):
    """records: (microseconds since the epoch, Ethernet frame)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in records:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)))
            f.write(fr)


def build_frag_flood(path):
    recs = []
    span = FRAG_SECONDS * 1000000
    for k in range(N_PAIRS):
        ts = T0_S * 1000000 + k * span // N_PAIRS
        dg = g.udp_dgram(g.ip4(g.CLI4), g.ip4(g.SRV4), 40001, 5353, b"A" * 24)   # 32 bytes
        ident = k % 65535 + 1   # each datagram completes before its ident comes round again
        fa = g.ipv4_pkt(g.ip4(g.CLI4), g.ip4(g.SRV4), 17, dg[:24], ident=ident, mf=True, frag_off=0)
        fb = g.ipv4_pkt(g.ip4(g.CLI4), g.ip4(g.SRV4), 17, b"B" * 16, ident=ident, mf=False, frag_off=16)
        recs += [(ts, g.eth(fa)), (ts, g.eth(fb))]
    pcap(path, recs)


def smb2_close_request(msg_id):
    hdr = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, 0, 0x0006, 1, 0, 0, msg_id, 0, 1, 1) + b"\0" * 16
    body = struct.pack("<HHI", 24, 0, 0) + b"\x11" * 16     # MS-SMB2 2.2.15: StructureSize 24, FileId
    msg = hdr + body
    return b"\x00" + struct.pack("!I", len(msg))[1:] + msg   # NetBIOS session message


def build_smb_no_reply(path):
    recs = []
    ts = T0_S * 1000000
    for i, n in enumerate(SMB_REQS):
        t = g.Tcp(g.CLI4, g.SRV4, 49000 + i, 445)
        t.handshake()
        off = 0
        for m in range(n):
            req = smb2_close_request(m + 1)
            t.c2s("PA", off, req)
            off += len(req)
        for _, p in t.pkts:
            recs.append((ts, g.eth(p)))
            ts += 10000        # 10 ms a packet: several seconds of packet time
    pcap(path, recs)


def build_overlap_many(path):
    recs = []
    ts = T0_S * 1000000 + 1000
    for i in range(STREAM_FLOWS):
        t = g.Tcp(g.CLI4, g.SRV4, 20000 + i, 8080)
        t.handshake()
        t.c2s("PA", 0, b"0123456789")
        t.c2s("PA", 5, b"XXXXX56789")   # [5,10) differs from what was delivered: overlap_different_data
        for _, p in t.pkts:
            recs.append((ts, g.eth(p)))
            ts += 500          # 250 flows x 5 packets = 0.625 s, all in one second
    pcap(path, recs)


class Checker:
    def __init__(self):
        self.problems = []

    def eq(self, what, ours, want):
        if ours != want:
            self.problems.append("%s: ours=%r expected=%r" % (what, ours, want))

    def true(self, what, cond):
        if not cond:
            self.problems.append(what)


def get(d, path):
    for p in path.split("."):
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def run(c, name, path, args=()):
    r = mslib.run_medsentry(path, args=list(args), dump=False, use_cache=False)
    c.eq("%s: exit status" % name, r.rc, 0)
    if r.rc != 0:
        c.problems.append("%s: stderr: %s" % (name, r.stderr.strip()[-300:]))
    st = r.stats() or {}
    an = st.get("anomaly") or {}
    evs = r.of_type("anomaly")
    # the invariants of the counters
    c.eq("%s: stats.anomaly.events vs anomaly lines" % name, an.get("events"), len(evs))
    counted = sum(an.get(k, 0) for k in ("decode", "stream", "applayer"))
    c.eq("%s: decode+stream+applayer vs events+suppressed" % name, counted, an.get("events", 0) + an.get("suppressed", 0))
    c.eq("%s: suppressed vs repeat+rate" % name, an.get("suppressed"),
         an.get("suppressed_repeat", 0) + an.get("suppressed_rate", 0))
    c.eq("%s: stats.app_layer.anomalies vs stats.anomaly.applayer" % name, get(st, "app_layer.anomalies"),
         an.get("applayer"))
    return st, an, evs


def sec_of(ev):
    return int(mslib.parse_ts(ev["timestamp"])) - T0_S


def check_frag_flood(c, path):
    name = "frag_flood"
    st, an, evs = run(c, name, path)
    c.eq("%s: decoder.event.ipv4.frag_overlap" % name, get(st, "decoder.event.ipv4.frag_overlap"), N_PAIRS)
    c.eq("%s: decoder.event.ipv4.frag_overlap_different_data" % name,
         get(st, "decoder.event.ipv4.frag_overlap_different_data"), N_PAIRS)
    c.eq("%s: stats.anomaly.decode" % name, an.get("decode"), 2 * N_PAIRS)
    written = 2 * FRAG_SECONDS
    c.eq("%s: anomaly events" % name, len(evs), written)
    c.true("%s: %d events over the budget %d x %d s" % (name, len(evs), RATE_DEFAULT, FRAG_SECONDS),
           len(evs) <= RATE_DEFAULT * FRAG_SECONDS)
    per = collections.Counter((sec_of(e), e["anomaly"]["event"]) for e in evs)
    want = collections.Counter({(s, k): 1 for s in range(FRAG_SECONDS)
                                for k in ("frag_overlap", "frag_overlap_different_data")})
    c.eq("%s: events per (second, kind)" % name, dict(per), dict(want))
    c.true("%s: decode anomalies carry no flow_id" % name, all("flow_id" not in e for e in evs))
    c.eq("%s: suppressed" % name, an.get("suppressed"), 2 * N_PAIRS - written)
    c.eq("%s: suppressed_repeat" % name, an.get("suppressed_repeat"), 2 * N_PAIRS - written)
    c.eq("%s: suppressed_rate" % name, an.get("suppressed_rate"), 0)

    name = "frag_flood, anomaly.rate-limit=1"
    st, an, evs = run(c, name, path, ["--set", "anomaly.rate-limit=1"])
    c.eq("%s: stats.anomaly.decode" % name, an.get("decode"), 2 * N_PAIRS)
    c.eq("%s: events per (second, kind)" % name,
         dict(collections.Counter((sec_of(e), e["anomaly"]["event"]) for e in evs)),
         {(s, "frag_overlap"): 1 for s in range(FRAG_SECONDS)})
    c.eq("%s: suppressed_rate" % name, an.get("suppressed_rate"), N_PAIRS)
    c.eq("%s: suppressed_repeat" % name, an.get("suppressed_repeat"), N_PAIRS - FRAG_SECONDS)


def check_smb_no_reply(c, path):
    name = "smb_no_reply"
    st, an, evs = run(c, name, path)
    full = sum(n - SMB_MAX_PENDING for n in SMB_REQS)
    c.eq("%s: stats.app_layer.flow.smb" % name, get(st, "app_layer.flow.smb"), len(SMB_REQS))
    c.eq("%s: stats.anomaly.event.smb.smb_pending_full" % name, get(an, "event.smb.smb_pending_full"), full)
    c.eq("%s: stats.anomaly.applayer" % name, an.get("applayer"), full)
    got = [(e.get("src_port"), e["anomaly"].get("type"), e["anomaly"].get("layer"), e["anomaly"].get("event"))
           for e in evs]
    want = [(49000 + i, "applayer", "smb", "smb_pending_full") for i in range(len(SMB_REQS))]
    c.eq("%s: anomaly events (one per flow)" % name, sorted(got), want)
    c.eq("%s: one flow_id per event" % name, len({e.get("flow_id") for e in evs}), len(SMB_REQS))
    c.eq("%s: suppressed_repeat" % name, an.get("suppressed_repeat"), full - len(SMB_REQS))
    c.eq("%s: suppressed_rate" % name, an.get("suppressed_rate"), 0)


def check_overlap_many(c, path):
    for rate, written in ((None, RATE_DEFAULT), (0, STREAM_FLOWS), (10, 10)):
        args = [] if rate is None else ["--set", "anomaly.rate-limit=%d" % rate]
        name = "overlap_many%s" % ("" if rate is None else ", anomaly.rate-limit=%d" % rate)
        st, an, evs = run(c, name, path, args)
        c.eq("%s: stats.tcp.overlap_diff" % name, get(st, "tcp.overlap_diff"), STREAM_FLOWS)
        c.eq("%s: stats.anomaly.stream" % name, an.get("stream"), STREAM_FLOWS)
        c.eq("%s: stats.anomaly.event.tcp.overlap_different_data" % name,
             get(an, "event.tcp.overlap_different_data"), STREAM_FLOWS)
        c.eq("%s: anomaly events" % name, len(evs), written)
        c.eq("%s: distinct flows among them" % name, len({e.get("flow_id") for e in evs}), written)
        c.true("%s: all stream overlap_different_data" % name,
               all(e["anomaly"].get("type") == "stream" and e["anomaly"].get("event") == "overlap_different_data"
                   for e in evs))
        c.eq("%s: suppressed_rate" % name, an.get("suppressed_rate"), STREAM_FLOWS - written)
        c.eq("%s: suppressed_repeat" % name, an.get("suppressed_repeat"), 0)


def main():
    mslib.need_binary()
    tmp = os.environ.get("TMPDIR") or "/tmp"
    paths = {n: os.path.join(tmp, n + ".pcap") for n in ("frag_flood", "smb_no_reply", "overlap_many")}
    build_frag_flood(paths["frag_flood"])
    build_smb_no_reply(paths["smb_no_reply"])
    build_overlap_many(paths["overlap_many"])
    c = Checker()
    check_frag_flood(c, paths["frag_flood"])
    check_smb_no_reply(c, paths["smb_no_reply"])
    check_overlap_many(c, paths["overlap_many"])
    for p in c.problems:
        print("FAIL", p)
    if c.problems:
        return 1
    print("ok: %d fragment pairs, %d SMB requests without replies, %d overlapping flows" %
          (N_PAIRS, sum(SMB_REQS), STREAM_FLOWS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
