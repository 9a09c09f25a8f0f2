#!/usr/bin/env python3
"""The Redis output (outputs.redis) and `medsentry collect`, against a real redis-server.

The test starts its own redis-server on 127.0.0.1 on a free port (no persistence), stops it by its PID, and talks
to it with a minimal RESP client below (no Python package needed).  What it checks:
  - xadd: two sensors (sensor-name site-a, site-b) send every event exactly once: XRANGE equals eve.json line by
    line, plus `host`; stats.redis.sent = eve.json lines - 1 (the final stats event is sent after its own counts),
    nothing dropped;
  - collect --once: the store holds each alert, flow and asset event of both eve.json files once, one run per
    sensor ended by its final stats; a second consumer group re-reading every entry into the same store (what a
    crash between COMMIT and XACK does) stores nothing twice;
  - two collectors started together on one stream store each event once;
  - a collector killed with SIGKILL mid-stream, and a consumer that read a batch and died without XACK: a second
    collector claims their pending entries (XAUTOCLAIM) and the store ends with every event exactly once, nothing
    pending;
  - the server stopped mid-run (capture fed through a pipe the test controls): the sensor finishes, exits 0,
    eve.json is complete and stats.redis counts the loss (sent + dropped = events offered, dropped > 0);
  - the server stalled (SIGSTOP: it accepts, then answers nothing) for the whole run: the sensor is not held up
    (the queue fills, later events are dropped and counted, the final flush gives up after flush-timeout);
  - the server killed and restarted on the same port mid-run: the sender reconnects and the events after the
    restart reach the new server while the input is still being read;
  - lpush (LRANGE, newest first) and publish (a SUBSCRIBE client receives every event).
Env: MEDSENTRY (binary), REPO, TMPDIR; MEDSENTRY_REDIS_ARGS: more sensor arguments (make tsan: --no-seccomp).  Exit 0 pass, 1 fail, 77 skip (no redis-server).
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import time

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
TMP = os.environ.get("TMPDIR", "/tmp")
CAPS = [os.path.join(REPO, "samples", "imaging-network.pcap"),
        os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps", "smb_02_smb2_kwampirs_like_lateral.pcap")]
STORED_TYPES = ("alert", "flow", "asset")

problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


class Resp:
    """A minimal RESP2 client: enough for XRANGE, XLEN, LRANGE, XPENDING, XREADGROUP and SUBSCRIBE."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("redis closed the connection")
            self.buf += d
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _n(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError("redis closed the connection")
            self.buf += d
        v, self.buf = self.buf[:n], self.buf[n + 2:]
        return v

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._n(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("bad RESP: %r" % line)

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()


class RedisServer:
    def __init__(self, port=None):
        if port is None:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
        self.port = port
        self.log = open(os.path.join(TMP, "redis-%d.log" % self.port), "a")
        self.p = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--daemonize", "no"], stdout=self.log,
                                  stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                Resp(self.port).cmd("PING")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start on port %d" % self.port)

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGCONT)  # if a test stopped it
            self.p.terminate()
            self.p.wait(timeout=10)
        self.log.close()


def sensor(cap, logdir, port, key, name, mode="xadd", extra=(), stdin=None):
    os.makedirs(logdir, exist_ok=True)
    args = [BIN, "-r", cap, "-l", logdir, "-q", "--set", "outputs.redis.enabled=yes",
            "--set", "outputs.redis.server=127.0.0.1:%d" % port, "--set", "outputs.redis.key=" + key,
            "--set", "outputs.redis.mode=" + mode, "--set", "outputs.redis.sensor-name=" + name,
            # these checks are about exactly-once delivery, not latency: a loaded CI machine (ASan, two shared cores)
            # once took longer than the 100 ms default to answer a batch, which drops it by design
            "--set", "outputs.redis.timeout=5000"]
    args += os.environ.get("MEDSENTRY_REDIS_ARGS", "").split()  # make tsan: --no-seccomp
    for e in extra:
        args += ["--set", e]
    return args


def eve_lines(logdir):
    with open(os.path.join(logdir, "eve.json")) as f:
        return [json.loads(l) for l in f]


def final_stats(events):
    st = [e for e in events if e["event_type"] == "stats" and e["stats"].get("final")]
    return st[-1]["stats"] if st else {}


def collect(port, key, db_dir, *extra, wait=True):
    args = [BIN, "collect", "--redis", "127.0.0.1:%d" % port, "--key", key, "-l", db_dir] + list(extra)
    if not wait:
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, "collect %s: exit %d: %s" % (" ".join(extra), p.returncode, p.stderr[:500]))
    return p


def store_rows(db_dir):
    con = sqlite3.connect(os.path.join(db_dir, "medsentry.db"))
    out = {
        "alert": sorted(con.execute("SELECT ts, signature_id, flow_id, src_ip, evidence FROM alerts").fetchall()),
        "flow": sorted(con.execute("SELECT flow_id, start_ts, pkts_toserver, bytes_toclient FROM flows").fetchall()),
        "asset": sorted(con.execute("SELECT ts, ip, change FROM asset_history").fetchall()),
        "runs": con.execute("SELECT sensor, end_wall IS NOT NULL, stats FROM runs ORDER BY id").fetchall(),
        "collected": con.execute("SELECT count(*), count(DISTINCT entry) FROM collected").fetchone(),
    }
    con.close()
    return out


def us(ts):
    import datetime
    dt = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z")
    return (dt - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


def expected_rows(events_lists):
    exp = {"alert": [], "flow": [], "asset": []}
    for events in events_lists:
        for e in events:
            t = e["event_type"]
            if t == "alert":
                exp["alert"].append((us(e["timestamp"]), e["alert"]["signature_id"], e.get("flow_id"), e["src_ip"],
                                     json.dumps(e["evidence"], separators=(",", ":"))))
            elif t == "flow":
                exp["flow"].append((e["flow_id"], us(e["flow"]["start"]), e["flow"]["pkts_toserver"],
                                    e["flow"]["bytes_toclient"]))
            elif t == "asset":
                exp["asset"].append((us(e["timestamp"]), e["asset"]["ip"], e["asset"]["change"]))
    return {k: sorted(v) for k, v in exp.items()}


def compare_store(db_dir, events_lists, what):
    got = store_rows(db_dir)
    exp = expected_rows(events_lists)
    for k in STORED_TYPES:
        g = got[k]
        if k == "alert":  # evidence compared as JSON objects
            g = [r[:4] + (json.dumps(json.loads(r[4]), separators=(",", ":")),) for r in g]
        check(g == exp[k], "%s: %s rows differ from eve.json: %d stored, %d expected" % (what, k, len(g),
                                                                                          len(exp[k])))
    n_stored = sum(len(exp[k]) for k in STORED_TYPES) + len(events_lists)  # + one final stats per run
    check(got["collected"] == (n_stored, n_stored), "%s: collected %r, want %d distinct entries" %
          (what, got["collected"], n_stored))
    return got


def test_xadd_and_collect(srv, r):
    events = []
    for cap, name in zip(CAPS, ("site-a", "site-b")):
        d = os.path.join(TMP, name)
        p = subprocess.run(sensor(cap, d, srv.port, "ms", name), capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, "%s: sensor exit %d: %s" % (name, p.returncode, p.stderr[:300]))
        ev = eve_lines(d)
        events.append(ev)
        st = final_stats(ev).get("redis", {})
        check(st == {"sent": len(ev) - 1, "dropped": 0, "reconnects": 0, "errors": 0},
              "%s: stats.redis %r, want %d sent and nothing else" % (name, st, len(ev) - 1))
    entries = r.cmd("XRANGE", "ms", "-", "+")
    sent = [json.loads(e[1][1]) for e in entries]
    check(all(e[1][0] == b"event" and len(e[1]) == 2 for e in entries), "xadd: an entry is not one 'event' field")
    want = [dict(e, host=h) for ev, h in zip(events, ("site-a", "site-b")) for e in ev]
    check(sent == want, "xadd: XRANGE (%d entries) != eve.json of both sensors with host (%d lines)" %
          (len(sent), len(want)))

    c = os.path.join(TMP, "central")
    collect(srv.port, "ms", c, "--once", "--count", "50")
    got = compare_store(c, events, "collect")
    check([(s, e) for s, e, _ in got["runs"]] == [("site-a", 1), ("site-b", 1)],
          "collect: runs %r, want one ended run per sensor" % ([r[:2] for r in got["runs"]],))
    check(all(json.loads(st) == final_stats(ev) for (_, _, st), ev in zip(got["runs"], events)),
          "collect: a run's stats differ from the sensor's final stats")
    # Every entry delivered again (another group; the same happens after a crash between COMMIT and XACK).
    p = collect(srv.port, "ms", c, "--once", "--group", "again")
    check(" 0 stored, %d duplicates" % (sum(len(got[k]) for k in STORED_TYPES) + 2) in p.stderr,
          "re-delivery: want every stored entry found a duplicate: %s" % p.stderr.strip())
    compare_store(c, events, "collect after re-delivery")
    p = subprocess.run([BIN, "alerts", "-l", c, "--json"], capture_output=True, text=True)
    check(p.returncode == 0 and len(p.stdout.splitlines()) == len(got["alert"]),
          "medsentry alerts on the collected store: exit %d, %d lines" % (p.returncode, len(p.stdout.splitlines())))
    return events


def fill_stream(srv, key, copies):
    """copies sensor runs of CAPS[1] and CAPS[0] into key; their eve.json events."""
    out = []
    for i in range(copies):
        d = os.path.join(TMP, "%s-%d" % (key, i))
        cap = CAPS[i % 2]
        p = subprocess.run(sensor(cap, d, srv.port, key, "s%d" % i), capture_output=True, text=True, timeout=300)
        check(p.returncode == 0, "fill %s: sensor exit %d" % (key, p.returncode))
        out.append(eve_lines(d))
    return out


def test_two_collectors(srv, r):
    events = fill_stream(srv, "two", 4)
    c = os.path.join(TMP, "two-central")
    os.makedirs(c)
    ps = [collect(srv.port, "two", c, "--once", "--count", "7", "--consumer", "c%d" % i, wait=False)
          for i in range(2)]
    outs = [p.communicate(timeout=300) for p in ps]
    check(all(p.returncode == 0 for p in ps), "two collectors: exits %r: %r" % ([p.returncode for p in ps],
                                                                                 [o[1][:300] for o in outs]))
    compare_store(c, events, "two collectors")
    pend = r.cmd("XPENDING", "two", "medsentry")
    check(pend[0] == 0, "two collectors: %d entries still pending" % pend[0])


def test_killed_collector(srv, r):
    events = fill_stream(srv, "kill", 6)
    c = os.path.join(TMP, "kill-central")
    os.makedirs(c)
    # A consumer that read a batch and died before XACK.
    r.cmd("XGROUP", "CREATE", "kill", "medsentry", "0", "MKSTREAM")
    dead = r.cmd("XREADGROUP", "GROUP", "medsentry", "dead", "COUNT", "40", "STREAMS", "kill", ">")
    check(dead and len(dead[0][1]) == 40, "kill: the dead consumer did not get its 40 entries")
    # A real collector, killed with SIGKILL while it works through the stream in small batches.
    p = collect(srv.port, "kill", c, "--count", "3", "--consumer", "victim", "--min-idle", "600000", wait=False)
    db = os.path.join(c, "medsentry.db")
    deadline = time.time() + 30
    stored = 0
    while time.time() < deadline and stored == 0:
        time.sleep(0.01)
        try:
            con = sqlite3.connect(db, timeout=5)
            stored = con.execute("SELECT count(*) FROM collected").fetchone()[0]
            con.close()
        except sqlite3.Error:
            pass
    p.send_signal(signal.SIGKILL)
    p.wait()
    pend = r.cmd("XPENDING", "kill", "medsentry")
    check(stored > 0 and pend[0] >= 40, "kill: want the victim to have stored something (%d) and entries pending "
          "(%d)" % (stored, pend[0]))
    time.sleep(0.05)
    collect(srv.port, "kill", c, "--once", "--min-idle", "0", "--consumer", "rescuer")
    compare_store(c, events, "after a killed collector")
    pend = r.cmd("XPENDING", "kill", "medsentry")
    check(pend[0] == 0, "kill: %d entries still pending after the rescue" % pend[0])


def pcap_records(path):
    with open(path, "rb") as f:
        data = f.read()
    hdr, off, recs = data[:24], 24, []
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        recs.append(data[off:off + 16 + incl])
        off += 16 + incl
    return hdr, recs


def test_server_stopped(r_unused):
    srv = RedisServer()
    try:
        _server_stopped(srv)
    finally:
        srv.stop()  # a no-op when the test stopped it; not left running if the test raised


def _server_stopped(srv):
    d = os.path.join(TMP, "stopped")
    hdr, recs = pcap_records(CAPS[0])
    p = subprocess.Popen(sensor("-", d, srv.port, "st", "site-x",
                                extra=("outputs.redis.batch-size=4", "flow.timeouts.tcp.closed=1",
                                       "flow.timeouts.tcp.established=1")),
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    half = len(recs) // 2
    p.stdin.write(hdr + b"".join(recs[:half]))
    p.stdin.flush()
    r = Resp(srv.port)
    deadline = time.time() + 20
    while time.time() < deadline and r.cmd("XLEN", "st") == 0:
        time.sleep(0.05)
    before = r.cmd("XLEN", "st")
    srv.stop()  # the server goes away mid-run
    p.stdin.write(b"".join(recs[half:]))
    p.stdin.close()
    err = p.stderr.read().decode(errors="replace")
    rc = p.wait(timeout=120)
    check(rc == 0, "server stopped: sensor exit %d: %s" % (rc, err[:300]))
    ev = eve_lines(d)
    ref = os.path.join(TMP, "stopped-ref")
    subprocess.run([BIN, "-r", CAPS[0], "-l", ref, "-q", "--set", "flow.timeouts.tcp.closed=1", "--set",
                    "flow.timeouts.tcp.established=1"] + os.environ.get("MEDSENTRY_REDIS_ARGS", "").split(),
                   check=True, timeout=300)
    check(len(ev) == len(eve_lines(ref)), "server stopped: eve.json has %d lines, %d without redis" %
          (len(ev), len(eve_lines(ref))))
    st = final_stats(ev).get("redis", {})
    check(before > 0, "server stopped: nothing reached the server before it stopped")
    check(st.get("sent", 0) >= before and st.get("dropped", 0) > 0 and st.get("errors", 0) > 0,
          "server stopped: stats.redis %r (%d entries were in the stream before the stop)" % (st, before))
    check(st.get("sent", 0) + st.get("dropped", 0) == len(ev) - 1,
          "server stopped: sent + dropped = %d, want every event but the final stats (%d)" %
          (st.get("sent", 0) + st.get("dropped", 0), len(ev) - 1))
    check("outputs.redis" in err and len(err.strip().splitlines()) == 1,
          "server stopped: want one error line on stderr, got %r" % err[:400])


def test_server_stalled():
    """A server that accepts and then answers nothing (SIGSTOP): the correlator never waits for it.  The sender
    blocks on the first batch's replies (timeout 20 s), the bounded queue fills and further events are dropped and
    counted; at the end the flush gives up after flush-timeout (1 s).  The old design, replies read on the
    correlator, took at least the 20 s timeout here.  Twice: the queue bounded by its count (buffer-size 16), then
    by its bytes (buffer-memcap 64 KiB, which refuses: stats.memcap.redis.hits)."""
    for name, bound in (("count", ("outputs.redis.buffer-size=16",)),
                        ("bytes", ("outputs.redis.buffer-size=1000", "outputs.redis.buffer-memcap=64kb"))):
        srv = RedisServer()
        d = os.path.join(TMP, "stalled-" + name)
        os.kill(srv.p.pid, signal.SIGSTOP)
        try:
            t0 = time.time()
            p = subprocess.run(sensor(CAPS[0], d, srv.port, "stall", "site-s",
                                      extra=("outputs.redis.timeout=20000", "outputs.redis.flush-timeout=1000",
                                             "outputs.redis.batch-size=4") + bound),
                               capture_output=True, timeout=120)
            wall = time.time() - t0
        finally:
            srv.stop()
        what = "stalled server (%s bound)" % name
        check(p.returncode == 0, "%s: sensor exit %d: %s" % (what, p.returncode, p.stderr[:300]))
        ev = eve_lines(d)
        st = final_stats(ev).get("redis", {})
        check(wall < 12, "%s: the run took %.1f s: the analysis waited for the server" % (what, wall))
        check(len(ev) > 100, "%s: only %d events, too few to fill the queue" % (what, len(ev)))
        check(st.get("sent", -1) == 0 and st.get("dropped", 0) == len(ev) - 1,
              "%s: stats.redis %r, want nothing sent and every event but the final stats (%d) dropped" %
              (what, st, len(ev) - 1))
        mc = final_stats(ev).get("memcap", {}).get("redis", {})
        check(0 < mc.get("peak", 0) <= mc.get("cap", 0) and (name == "count" or mc.get("hits", 0) > 0),
              "%s: stats.memcap.redis %r" % (what, mc))


def test_server_restarted():
    """The server killed and started again on the same port mid-run: the sender reconnects (backoff 100 ms, ...)
    and the events after the restart reach the new server, while the input is still being read."""
    srv = RedisServer()
    d = os.path.join(TMP, "restarted")
    hdr, recs = pcap_records(CAPS[0])
    p = subprocess.Popen(sensor("-", d, srv.port, "rs", "site-r",
                                extra=("outputs.redis.batch-size=4", "flow.timeouts.tcp.closed=1",
                                       "flow.timeouts.tcp.established=1")),
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    third = len(recs) // 3
    p.stdin.write(hdr + b"".join(recs[:third]))
    p.stdin.flush()
    r = Resp(srv.port)
    deadline = time.time() + 20
    while time.time() < deadline and r.cmd("XLEN", "rs") == 0:
        time.sleep(0.05)
    before = r.cmd("XLEN", "rs")
    r.s.close()
    srv.stop()
    srv = RedisServer(srv.port)  # the same port: the sensor's configuration does not change
    try:
        r = Resp(srv.port)
        resumed = 0
        for chunk in (recs[third:2 * third], recs[2 * third:]):
            p.stdin.write(b"".join(chunk))
            p.stdin.flush()
            deadline = time.time() + 10
            while time.time() < deadline and r.cmd("XLEN", "rs") == 0:
                time.sleep(0.05)
            resumed = resumed or r.cmd("XLEN", "rs")
        p.stdin.close()
        err = p.stderr.read().decode(errors="replace")
        rc = p.wait(timeout=120)
        got = [json.loads(x[1][1]) for x in r.cmd("XRANGE", "rs", "-", "+")]
    finally:
        srv.stop()
    check(rc == 0, "restarted server: sensor exit %d: %s" % (rc, err[:300]))
    ev = eve_lines(d)
    st = final_stats(ev).get("redis", {})
    check(before > 0, "restarted server: nothing reached the first server")
    check(resumed > 0, "restarted server: nothing reached the new server while the input was still open")
    check(st.get("reconnects", 0) >= 1, "restarted server: stats.redis %r, want a reconnect" % st)
    check(st.get("sent", 0) + st.get("dropped", 0) == len(ev) - 1,
          "restarted server: sent + dropped = %d, want every event but the final stats (%d)" %
          (st.get("sent", 0) + st.get("dropped", 0), len(ev) - 1))
    # (a batch the first server stored but whose replies it did not write before it died counts as dropped)
    check(st.get("sent", 0) >= len(got), "restarted server: stats.redis.sent %r < the %d entries of the new server" %
          (st.get("sent"), len(got)))
    # what the new server holds is eve.json's events, each once, in order (a subsequence)
    want = [dict(e, host="site-r") for e in ev]
    i = 0
    for g in got:
        while i < len(want) and want[i] != g:
            i += 1
        i += 1
    check(len(got) > 0 and i <= len(want), "restarted server: its %d entries are not eve.json's events in order" %
          len(got))


def test_lpush_publish(srv, r):
    d = os.path.join(TMP, "lpush")
    p = subprocess.run(sensor(CAPS[1], d, srv.port, "lst", "site-l", mode="lpush"), capture_output=True,
                       timeout=300)
    check(p.returncode == 0, "lpush: sensor exit %d" % p.returncode)
    ev = eve_lines(d)
    got = [json.loads(x) for x in reversed(r.cmd("LRANGE", "lst", "0", "-1"))]
    check(got == [dict(e, host="site-l") for e in ev], "lpush: LRANGE (%d) != eve.json (%d)" % (len(got), len(ev)))

    sub = Resp(srv.port)
    check(sub.cmd("SUBSCRIBE", "chan") == [b"subscribe", b"chan", 1], "publish: SUBSCRIBE failed")
    d = os.path.join(TMP, "publish")
    p = subprocess.run(sensor(CAPS[1], d, srv.port, "chan", "site-p", mode="publish"), capture_output=True,
                       timeout=300)
    check(p.returncode == 0, "publish: sensor exit %d" % p.returncode)
    ev = eve_lines(d)
    msgs = []
    sub.s.settimeout(10)
    while len(msgs) < len(ev):
        m = sub.read()
        check(m[0] == b"message" and m[1] == b"chan", "publish: unexpected %r" % m[:2])
        msgs.append(json.loads(m[2]))
    check(msgs == [dict(e, host="site-p") for e in ev], "publish: the subscriber got %d events, eve.json has %d" %
          (len(msgs), len(ev)))
    st = final_stats(ev).get("redis", {})
    check(st.get("sent") == len(ev) - 1, "publish: stats.redis %r" % st)


def main():
    if not shutil.which("redis-server"):
        print("skip: redis-server is not installed (scripts/deps.sh test installs it)")
        return 77
    srv = RedisServer()
    try:
        r = Resp(srv.port)
        test_xadd_and_collect(srv, r)
        test_two_collectors(srv, r)
        test_killed_collector(srv, r)
        test_lpush_publish(srv, r)
    finally:
        srv.stop()
    test_server_stopped(None)
    test_server_stalled()
    test_server_restarted()
    for p in problems:
        print("FAIL:", p)
    if problems:
        return 1
    print("redis output and collect: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
