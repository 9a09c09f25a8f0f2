"""Shared helpers for medsentry's integration tests (python3 standard library only).

Environment (set by tests/integration/run.sh):
  MEDSENTRY  absolute path of the binary under test
  REPO       repository root
  TMPDIR     a fresh scratch directory for this test
  MEDSENTRY_RUNCACHE (optional) a directory shared by the tests of one run.sh pass over ONE binary: a medsentry run
             on a capture with the same arguments is done once and reused by test_tshark_conv/follow/json.

tshark output is cached under REPO/build/tshark-cache/, keyed by the capture's SHA-256, the tshark version and the
kind of query; only the parsed result (JSON) is stored. tshark is always run with TZ=UTC and LC_ALL=C.
"""
import concurrent.futures
import datetime
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.environ.get("REPO") or os.path.dirname(os.path.dirname(HERE))
MEDSENTRY = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
CORPUS = os.path.join(REPO, "tests", "data", "corpus")
CACHE_FORMAT = "v6"   # bump when the parsed form of the cache changes
JOBS = int(os.environ.get("MEDSENTRY_TEST_JOBS", "2"))


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def need_binary():
    if not (os.path.isfile(MEDSENTRY) and os.access(MEDSENTRY, os.X_OK)):
        skip("no medsentry binary at %s" % MEDSENTRY)


def need_tshark():
    if tshark_version() is None:
        skip("tshark not installed")


def tool_env():
    env = dict(os.environ)
    env["TZ"] = "UTC"
    env["LC_ALL"] = "C"
    return env


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(b):
    return hashlib.sha256(b).hexdigest()


def pmap(fn, items, jobs=JOBS):
    """Ordered parallel map (threads: the work is in subprocesses)."""
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        return list(ex.map(fn, items))


# --------------------------------------------------------------------------------------------------------------------
# Corpus selection (shared by the conv, follow and json tests)
# --------------------------------------------------------------------------------------------------------------------

# Public captures left out of the tshark comparisons, with the reason. Everything else under public/ whose name
# ends in .pcap/.pcapng is compared.
EXCLUDED = {
    # Nothing is excluded today.  Tunnels (IP-in-IP, GRE with PPP) and the PPP link type were, until tunnel.c
    # decoded them; a capture medsentry cannot take part in goes here with its reason.
}
# tshark streams that are one TCP connection: (capture) -> (streams, reason). Their counts are added up.
MERGE_STREAMS = {
    "public/suricata-verify/tests/tcp-split-handshake-02-5whs/split-handshake-5whs.pcap": (
        [0, 1], "5-way split handshake (SYN; ACK; SYN from the server; SYN-ACK; ACK) on one 4-tuple: tshark starts a "
                "new stream at the server's SYN ('A new tcp session is started with the same ports'), but it is one "
                "TCP connection (RFC 793 simultaneous-open style), one flow for a sensor"),
}

# Captures where tshark shows a conversation that a sensor is not expected to: (capture) -> (streams, reason).
# Empty: medsentry decodes IPv4 frames captured before TSO (total length 0) as tshark does (commit cf17558).
TSHARK_ONLY = {}
# Not matched by the *.pcap/*.pcapng pattern on purpose: suricata-verify/tests/dns-tcp-ts-gap/original.pcap_ (the
# unedited source of that test's input.pcap, which is covered; the test itself never reads it).


def corpus_captures(include_excluded=False):
    """Sorted list of capture paths relative to tests/data/corpus/."""
    out = []
    gen = os.path.join(CORPUS, "generated", "pcaps")
    for n in sorted(os.listdir(gen)):
        if n.endswith((".pcap", ".pcapng")):
            out.append("generated/pcaps/" + n)
    pub = os.path.join(CORPUS, "public")
    pubs = []
    for root, _dirs, files in os.walk(pub):
        for n in files:
            if n.endswith((".pcap", ".pcapng")):
                rel = os.path.relpath(os.path.join(root, n), CORPUS)
                if include_excluded or rel not in EXCLUDED:
                    pubs.append(rel)
    return out + sorted(pubs)


# The corpus tests (conv, follow, json) share one medsentry run per capture with these arguments: the longest idle
# timeouts the configuration accepts (86400 s), since tshark has no idle timeout at all (see test_tshark_conv.py).
CORPUS_ARGS = []
for _k in ("tcp.new", "tcp.established", "tcp.closed", "udp.new", "udp.established", "icmp", "default"):
    CORPUS_ARGS += ["--set", "flow.timeouts.%s=86400" % _k]
FLOW_TIMEOUT_MAX = 86400
# Captures that need a limit raised to be compared with tshark at all (tshark has no such limits): capture ->
# (extra arguments, reason).  Their run adds these to CORPUS_ARGS.
CAPTURE_ARGS = {
    "public/suricata-verify/tests/defrag/bug-6942-6887-defrag-eth-ip-gre-ppp-ip-udp-data/eth-ip-gre-ppp-max-ip-packet.pcap": (
        ["--set", "defrag.max-frags=1024"],
        "a 65,535-byte datagram in 1,024 fragments; medsentry's default defrag.max-frags (256) drops it with the "
        "anomaly defrag.max_frags, by design"),
}


def corpus_args(capture):
    """CORPUS_ARGS plus the capture's own from CAPTURE_ARGS (capture: a path under tests/data/corpus/)."""
    rel = os.path.relpath(capture, CORPUS) if os.path.isabs(capture) else capture
    return CORPUS_ARGS + CAPTURE_ARGS.get(rel, ([], ""))[0]


def capture_filter():
    """Optional env MEDSENTRY_TEST_ONLY=substring to narrow a run while debugging."""
    only = os.environ.get("MEDSENTRY_TEST_ONLY")
    caps = corpus_captures()
    if only:
        caps = [c for c in caps if only in c]
    return caps


# --------------------------------------------------------------------------------------------------------------------
# tshark, cached
# --------------------------------------------------------------------------------------------------------------------

_tshark_ver = []


def tshark_version():
    if not _tshark_ver:
        try:
            out = subprocess.run(["tshark", "--version"], capture_output=True, text=True, env=tool_env()).stdout
            m = re.search(r"TShark \(Wireshark\) (\S+)", out)
            _tshark_ver.append(m.group(1) if m else "unknown")
        except OSError:
            _tshark_ver.append(None)
    return _tshark_ver[0]


def _cache_dir():
    d = os.path.join(REPO, "build", "tshark-cache")
    os.makedirs(d, exist_ok=True)
    return d


FORMATS = {"conv": CACHE_FORMAT, "follow": "v4"}


# tshark's output for the corpus, as Debian 12's tshark printed it, is committed here (scripts/update_tshark_truth.sh
# writes it): CI then need not spend minutes re-running tshark.  The key holds the capture's SHA-256 and the tshark
# version, so a changed capture or another tshark is recomputed live, never answered from a stale file.
TRUTH_DIR = os.path.join(REPO, "tests", "data", "tshark")


def cached(capture_abs, kind, compute):
    """compute(capture_abs) -> JSON-able; cached by (sha256 of the capture, tshark version, kind)."""
    key = "%s-%s-%s-%s.json" % (sha256_file(capture_abs), tshark_version(), kind, FORMATS.get(kind, CACHE_FORMAT))
    path = os.path.join(_cache_dir(), key)
    import gzip
    # MEDSENTRY_TSHARK_TRUTH=0: ignore the committed truth (scripts/update_tshark_truth.sh --all recomputes it)
    truth = os.environ.get("MEDSENTRY_TSHARK_TRUTH", "1") != "0"
    places = ((os.path.join(TRUTH_DIR, key + ".gz"), gzip.open), (os.path.join(TRUTH_DIR, key), open)) if truth else ()
    for p, opener in places + ((path, open),):
        try:
            with opener(p, "rt") as f:
                return json.load(f)
        except (OSError, ValueError, EOFError):
            pass
    val = compute(capture_abs)
    fd, tmp = tempfile.mkstemp(dir=_cache_dir(), prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        json.dump(val, f)
    os.replace(tmp, path)
    return val


def tshark_text(capture_abs, args):
    """stdout of `tshark -n -r CAPTURE ARGS...`, cached (and read from the committed truth) like the other kinds:
    the key holds the capture's SHA-256, the tshark version and a hash of the arguments."""
    import hashlib
    tag = hashlib.sha256("\0".join(args).encode()).hexdigest()[:16]
    return cached(capture_abs, "text-" + tag, lambda c: run_tshark(["-r", c] + list(args)))


def run_tshark(args):
    p = subprocess.run(["tshark", "-n"] + args, capture_output=True, env=tool_env())
    if p.returncode != 0:
        raise RuntimeError("tshark %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                          p.stderr.decode(errors="replace")[-500:]))
    return p.stdout.decode("utf-8", errors="replace")


def split_endpoint(s):
    """'1.2.3.4:80' / '::1:80' / '[::1]:80' -> ('1.2.3.4', 80)"""
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


_UNITS = {"bytes": 1, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3, "TB": 1000 ** 4}


def bytes_range(num, unit):
    """tshark 4.0 prints conv bytes with format_size(SI): integer division, so 'N kB' means [N*1000, (N+1)*1000)."""
    m = _UNITS[unit]
    return [num * m, (num + 1) * m - 1]


_CONV_RE = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB|TB)\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB|TB)"
                      r"\s+(\d+)\s+(\d+)\s+(bytes|kB|MB|GB|TB)\s+([\d.]+)\s+([\d.]+)\s*$")

_FIELDS = ["frame.number", "frame.time_epoch", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
           "tcp.stream", "tcp.srcport", "tcp.dstport", "udp.stream", "udp.srcport", "udp.dstport",
           "icmp.type", "icmpv6.type", "ip.fragment", "ipv6.fragment", "frame.cap_len", "frame.protocols",
           "ip.len", "ipv6.plen"]

# link-layer header bytes per protocol name in frame.protocols (what comes before the first ip/ipv6)
_L2LEN = {"eth": 14, "vlan": 4, "sll": 16, "sll2": 20, "null": 4, "raw": 0, "ethertype": 0}


def parse_conv_tables(text):
    """Parse '-z conv,tcp -z conv,udp' output. Column order (verified on dicom_01_echo.pcap, where the client
    127.0.0.1:56168 sent 11 frames / 1035 bytes and the server 9 frames / 892 bytes, and tshark prints
    '127.0.0.1:56168 <-> 127.0.0.20:4242  9 892 bytes  11 1035 bytes'): after 'A <-> B' come frames/bytes B->A
    ('<-'), then A->B ('->'), then the total. Returns {'TCP': [...], 'UDP': [...]} of dicts with a, b, ab_frames,
    ab_bytes ([lo, hi]), ba_frames, ba_bytes."""
    res = {"TCP": [], "UDP": []}
    cur = None
    for line in text.splitlines():
        if line.startswith("TCP Conversations"):
            cur = "TCP"
            continue
        if line.startswith("UDP Conversations"):
            cur = "UDP"
            continue
        m = _CONV_RE.match(line)
        if m and cur:
            g = m.groups()
            res[cur].append({
                "a": split_endpoint(g[0]), "b": split_endpoint(g[1]),
                "ba_frames": int(g[2]), "ba_bytes": bytes_range(int(g[3]), g[4]),
                "ab_frames": int(g[5]), "ab_bytes": bytes_range(int(g[6]), g[7]),
                "rel_start": float(g[11]),
            })
        elif cur and "<->" in line:
            raise RuntimeError("unparsed tshark conv line: %r" % line)
    return res


def pcap_snaplen(path):
    """Snap length in a classic pcap file header (libpcap, which medsentry reads captures with, clips any record
    longer than this to this length; tshark does not). Infinity for pcapng or unknown."""
    with open(path, "rb") as f:
        h = f.read(24)
    if len(h) == 24:
        for endian in ("<", ">"):
            magic = struct.unpack(endian + "I", h[:4])[0]
            if magic in (0xA1B2C3D4, 0xA1B23C4D):
                return struct.unpack(endian + "I", h[16:20])[0] or 2 ** 31
    return 2 ** 31


def _tshark_conv_compute(capture_abs):
    """One tshark pass: per-packet fields (exact per-direction byte counts, first-packet time, stream index) and the
    conversation tables. Returns {'TCP': [conv...], 'UDP': [...], 'first_epoch': float}. Each conv has a, b (A = the
    sender of the first packet, as tshark prints it), ab_frames, ab_bytes (exact int), ba_frames, ba_bytes, start
    (epoch of first packet), stream (tshark's tcp.stream/udp.stream), conv_check (how the exact values were
    checked against the conv table)."""
    args = ["-r", capture_abs, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in _FIELDS:
        args += ["-e", f]
    args += ["-z", "conv,tcp", "-z", "conv,udp"]
    out = run_tshark(args)
    lines = out.splitlines()
    idx = next((i for i, l in enumerate(lines) if l.startswith("=====")), len(lines))
    pkt_lines, stat_text = lines[:idx], "\n".join(lines[idx:])
    tables = parse_conv_tables(stat_text)
    streams = {"TCP": {}, "UDP": {}}
    first_epoch = None
    frame_len = {}
    snaplen = pcap_snaplen(capture_abs)
    for l in pkt_lines:
        f = l.split("\t")
        if len(f) < len(_FIELDS):
            f += [""] * (len(_FIELDS) - len(f))
        # occurrence=a: repeated fields are comma-joined; ports: the first occurrence, addresses: see below
        d = {k: v.split(",") for k, v in zip(_FIELDS, f)}
        first = {k: v[0] for k, v in d.items()}
        t = float(first["frame.time_epoch"])
        flen = int(first["frame.len"])
        frame_len[int(first["frame.number"])] = flen
        if first_epoch is None:
            first_epoch = t
        if first["icmp.type"] or first["icmpv6.type"]:
            continue  # ICMP error quoting a TCP/UDP header: not part of the TCP/UDP conversation
        # the conversation is the innermost IP header's (a tunnel's outer header comes first): the last ip/ipv6
        # layer in frame.protocols, and that protocol's last address occurrence
        layers = [pr for pr in first["frame.protocols"].split(":") if pr in ("ip", "ipv6")]
        inner = layers[-1] if layers else "ip"
        src = (d[inner + ".src"][-1] or first["ip.src"] or first["ipv6.src"])
        dst = (d[inner + ".dst"][-1] or first["ip.dst"] or first["ipv6.dst"])
        frags = [int(x) for x in (d["ip.fragment"] + d["ipv6.fragment"]) if x]
        for proto, pfx in (("TCP", "tcp"), ("UDP", "udp")):
            if first[pfx + ".stream"]:
                sid = int(first[pfx + ".stream"])
                ep_s = (src, int(first[pfx + ".srcport"]))
                ep_d = (dst, int(first[pfx + ".dstport"]))
                s = streams[proto].get(sid)
                if s is None:
                    s = streams[proto][sid] = {"a": ep_s, "b": ep_d, "ab_frames": 0, "ab_bytes": 0,
                                               "ba_frames": 0, "ba_bytes": 0, "start": t, "stream": sid,
                                               "frag": {"ab_frames": 0, "ab_bytes": 0, "ba_frames": 0,
                                                        "ba_bytes": 0, "datagrams": 0}}
                dr = "ab" if (ep_s == tuple(s["a"]) and ep_d == tuple(s["b"])) else "ba"
                # IP datagram cut by the snap length (captured bytes end before the IP total length): tshark
                # still counts the frame; see test_tshark_conv.py for how this is treated
                l2 = 0
                for pr in first["frame.protocols"].split(":"):
                    if pr in ("ip", "ipv6"):
                        break
                    l2 += _L2LEN.get(pr, 0)
                iptot = int(first["ip.len"]) if first["ip.len"] else (
                    int(first["ipv6.plen"]) + 40 if first["ipv6.plen"] else 0)
                if min(int(first["frame.cap_len"]), snaplen) < l2 + iptot and not frags:
                    cut = s.setdefault("cut", {"ab_frames": 0, "ab_bytes": 0, "ba_frames": 0, "ba_bytes": 0})
                    cut[dr + "_frames"] += 1
                    cut[dr + "_bytes"] += flen
                s[dr + "_frames"] += 1
                s[dr + "_bytes"] += flen
                # "frag": the same direction counted with every IP fragment frame of a reassembled datagram
                # (tshark counts only the frame that completed the reassembly)
                if frags:
                    s["frag"]["datagrams"] += 1
                    s["frag"][dr + "_frames"] += len(frags)
                    s["frag"][dr + "_bytes"] += sum(frame_len.get(n, 0) for n in frags)
                else:
                    s["frag"][dr + "_frames"] += 1
                    s["frag"][dr + "_bytes"] += flen
    result = {"first_epoch": first_epoch}
    for proto in ("TCP", "UDP"):
        convs = []
        rows = list(tables[proto])
        for sid in sorted(streams[proto]):
            s = streams[proto][sid]
            # find the conv-table row for this stream: same endpoints, frames agree, bytes within the printed range
            match = None
            for r in rows:
                same = (tuple(r["a"]) == tuple(s["a"]) and tuple(r["b"]) == tuple(s["b"]))
                rev = (tuple(r["a"]) == tuple(s["b"]) and tuple(r["b"]) == tuple(s["a"]))
                if same:
                    ab, ba = (r["ab_frames"], r["ab_bytes"]), (r["ba_frames"], r["ba_bytes"])
                elif rev:
                    ab, ba = (r["ba_frames"], r["ba_bytes"]), (r["ab_frames"], r["ab_bytes"])
                else:
                    continue
                if (ab[0] == s["ab_frames"] and ab[1][0] <= s["ab_bytes"] <= ab[1][1]
                        and ba[0] == s["ba_frames"] and ba[1][0] <= s["ba_bytes"] <= ba[1][1]):
                    match = r
                    break
            if match is None:
                s["conv_check"] = "NO conv-table row agrees with the per-packet sums"
            else:
                rows.remove(match)
                s["conv_check"] = "ok"
            convs.append(s)
        for r in rows:  # conv rows without a stream (should not happen): keep them, flagged
            convs.append({"a": r["a"], "b": r["b"], "ab_frames": r["ab_frames"], "ab_bytes": r["ab_bytes"][0],
                          "ba_frames": r["ba_frames"], "ba_bytes": r["ba_bytes"][0], "start": None, "stream": None,
                          "conv_check": "conv-table row without per-packet stream (bytes are lower bounds)"})
        result[proto] = convs
    return result


def tshark_conv(capture_abs):
    return cached(capture_abs, "conv", _tshark_conv_compute)


_MISSING_RE = re.compile(rb"^\[(\d+) bytes missing in capture file\]\x00?$")


def parse_follow(text):
    """Parse the output of several '-z follow,tcp,raw,N' (tshark prints them in reverse order; each block names its
    stream in 'Filter: tcp.stream eq N'). Hex lines without a leading tab are node 0's data, with a tab node 1's.
    tshark puts a text marker '[N bytes missing in capture file]' (NUL-terminated) where a segment is missing: it is
    taken out of the data and counted as a gap. Returns {N: {node0, node1, sha0, len0, gaps0, gapbytes0, ...}}."""
    res = {}
    cur = None
    bufs = None
    for line in text.splitlines():
        if line.startswith("Follow: "):
            cur = {"gaps0": 0, "gapbytes0": 0, "gaps1": 0, "gapbytes1": 0}
            bufs = [hashlib.sha256(), hashlib.sha256()]
            lens = [0, 0]
            continue
        if cur is None:
            continue
        if line.startswith("Filter: tcp.stream eq "):
            cur["stream"] = int(line.split()[-1])
        elif line.startswith("Node 0: "):
            cur["node0"] = line[8:].strip()
        elif line.startswith("Node 1: "):
            cur["node1"] = line[8:].strip()
        elif line.startswith("====="):
            cur["sha0"], cur["sha1"] = bufs[0].hexdigest(), bufs[1].hexdigest()
            cur["len0"], cur["len1"] = lens
            res[cur["stream"]] = cur
            cur = None
        elif line.strip():
            node = 1 if line.startswith("\t") else 0
            data = bytes.fromhex(line.strip())
            m = _MISSING_RE.match(data)
            if m:
                cur["gaps%d" % node] += 1
                cur["gapbytes%d" % node] += int(m.group(1))
            else:
                bufs[node].update(data)
                lens[node] += len(data)
    return res


def _tshark_follow_compute(capture_abs):
    conv = tshark_conv(capture_abs)
    sids = sorted(c["stream"] for c in conv["TCP"] if c["stream"] is not None)
    res = {}
    # one invocation per batch of streams (a few hundred -z options at a time keeps the command line short)
    for i in range(0, len(sids), 400):
        args = ["-q", "-r", capture_abs]
        for sid in sids[i:i + 400]:
            args += ["-z", "follow,tcp,raw,%d" % sid]
        res.update({str(k): v for k, v in parse_follow(run_tshark(args)).items()})
    return res


def tshark_follow(capture_abs):
    return cached(capture_abs, "follow", _tshark_follow_compute)


# --------------------------------------------------------------------------------------------------------------------
# medsentry
# --------------------------------------------------------------------------------------------------------------------

class Run:
    def __init__(self, rc, stderr, logdir, dumpdir, cmd):
        self.rc, self.stderr, self.logdir, self.dumpdir, self.cmd = rc, stderr, logdir, dumpdir, cmd
        self._events = None
        self.bad_lines = []

    @property
    def events(self):
        if self._events is None:
            self._events = []
            path = os.path.join(self.logdir, "eve.json")
            if os.path.exists(path):
                with open(path, "rb") as f:
                    for n, raw in enumerate(f, 1):
                        try:
                            self._events.append(json.loads(raw.decode("utf-8")))
                        except (ValueError, UnicodeDecodeError) as e:
                            self.bad_lines.append((n, str(e), raw[:200]))
        return self._events

    def of_type(self, t):
        return [e for e in self.events if e.get("event_type") == t]

    def stats(self):
        s = self.of_type("stats")
        return s[-1]["stats"] if s else None

    def dump(self, flow_id, direction):
        """bytes of DIR/<flow_id>-<direction>.bin; a missing file is an empty direction."""
        p = os.path.join(self.dumpdir, "%s-%s.bin" % (flow_id, direction))
        if os.path.exists(p):
            with open(p, "rb") as f:
                return f.read()
        return b""


def _safe_name(s):
    return re.sub(r"[^A-Za-z0-9._-]", "_", s)


def run_medsentry(capture, args=(), dump=True, stdin=None, use_cache=True, timeout=600):
    """Run medsentry -r capture -l LOGDIR [--dump-streams DIR] args. Cached per run.sh pass when
    MEDSENTRY_RUNCACHE is set (same binary, same input, same arguments -> same output)."""
    base = os.environ.get("MEDSENTRY_RUNCACHE") if use_cache else None
    key = _safe_name(os.path.relpath(capture, REPO) if os.path.isabs(capture) else capture)
    key += "-" + hashlib.sha256(repr((list(args), dump)).encode()).hexdigest()[:12]
    if base:
        d = os.path.join(base, key)
        meta = os.path.join(d, "run.json")
        if os.path.exists(meta):
            with open(meta) as f:
                m = json.load(f)
            return Run(m["rc"], m["stderr"], os.path.join(d, "log"), os.path.join(d, "streams"), m["cmd"])
    else:
        d = tempfile.mkdtemp(prefix=key[:60] + "-")
    logdir, dumpdir = os.path.join(d, "log"), os.path.join(d, "streams")
    os.makedirs(logdir, exist_ok=True)
    cmd = [MEDSENTRY, "-r", capture, "-l", logdir]
    if dump:
        os.makedirs(dumpdir, exist_ok=True)
        cmd += ["--dump-streams", dumpdir]
    cmd += list(args)
    try:
        p = subprocess.run(cmd, capture_output=True, env=tool_env(), timeout=timeout, input=stdin)
        rc, err = p.returncode, p.stderr.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        rc, err = -999, "TIMEOUT after %ds" % timeout
    except OSError as ex:
        rc, err = -998, "cannot execute %s: %s" % (MEDSENTRY, ex)
    if base:
        with open(os.path.join(d, "run.json"), "w") as f:
            json.dump({"rc": rc, "stderr": err, "cmd": cmd}, f)
    return Run(rc, err, logdir, dumpdir, cmd)


def parse_ts(s):
    """EVE timestamp '2026-11-29T16:17:29.123456+0000' -> epoch float."""
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def norm_ip(s):
    """Canonical text form of an IPv4/IPv6 address (tshark and medsentry may compress IPv6 differently)."""
    import ipaddress
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def ep(ip, port):
    return (norm_ip(ip), int(port))


def flow_chains(flow_events, problems, rel):
    """Group medsentry flow events by unordered 5-tuple (proto, endpoints) and join, within a group, a flow that
    ended by idle timeout with the next flow of the same tuple into one chain: tshark has no idle timeout, so such a
    sequence is one tshark conversation. The join is only accepted when the idle time between them is longer than
    the configured timeout (FLOW_TIMEOUT_MAX, set by CORPUS_ARGS); a shorter one is reported as a problem.
    Returns {(proto, frozenset(endpoints)): [chain, ...]} with chain = list of events in time order."""
    groups = {}
    for e in flow_events:
        try:
            k = (e.get("proto"), frozenset([ep(e["src_ip"], e["src_port"]), ep(e["dest_ip"], e["dest_port"])]))
            e["_start"] = parse_ts(e["flow"]["start"])
            e["_end"] = parse_ts(e["flow"]["end"])
        except (KeyError, TypeError, ValueError) as ex:
            problems.append("%s: flow event without usable tuple/start/end (%s): %s" % (rel, ex, str(e)[:200]))
            continue
        groups.setdefault(k, []).append(e)
    out = {}
    for k, evs in groups.items():
        evs.sort(key=lambda e: e["_start"])
        chains = []
        for e in evs:
            if chains and chains[-1][-1].get("flow", {}).get("reason") == "timeout":
                prev = chains[-1][-1]
                idle = e["_start"] - prev["_end"]
                if idle > FLOW_TIMEOUT_MAX:
                    chains[-1].append(e)
                    continue
                problems.append("%s: flow_id %s ended by timeout but the same tuple was seen again after only %.3f s "
                                "(timeout configured: %d s)" % (rel, prev.get("flow_id"), idle, FLOW_TIMEOUT_MAX))
            chains.append([e])
        out[k] = chains
    return out


def chain_sent(chain):
    """{endpoint: [pkts, bytes]} sent by each endpoint over a chain of flow events."""
    sent = {}
    for e in chain:
        f = e.get("flow") or {}
        for who, p, b in ((ep(e["src_ip"], e["src_port"]), "pkts_toserver", "bytes_toserver"),
                          (ep(e["dest_ip"], e["dest_port"]), "pkts_toclient", "bytes_toclient")):
            v = sent.setdefault(who, [0, 0])
            v[0] += f.get(p) if isinstance(f.get(p), int) else 10 ** 12
            v[1] += f.get(b) if isinstance(f.get(b), int) else 10 ** 12
    return sent
