#!/usr/bin/env python3
"""test_sighup.py - SIGHUP reopens eve.json by name (logrotate's rename-then-signal), SIGTERM flushes and exits 0.

medsentry reads `-r -` from a pipe this test writes: a first batch of DNS queries and answers (names first-N), a
pause, eve.json renamed to eve.json.1 and SIGHUP sent, then a second batch (names second-N) and the end of input.
  - eve.json.1 holds every first-N event and no second-N one; a new eve.json holds every second-N event and the final
    stats, none of the first; exit 0.
Then the same with SIGTERM instead of the second batch while the read is blocked: exit 0, the first batch's events
and the final stats are in eve.json (flushed), and the store's run is finished.
Env: MEDSENTRY, TMPDIR.  Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import time

BIN = os.environ.get("MEDSENTRY", "build/medsentry")
TMP = os.environ.get("TMPDIR", "/tmp")
N = 20
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


def udp_frame(src, dst, sport, dport, payload, t):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + len(payload), 1, 0, 64, 17, 0, bytes(src), bytes(dst))
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    frame = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + udp
    return struct.pack("<IIII", int(t), int(t * 1e6) % 1000000, len(frame), len(frame)) + frame


def qname(name):
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\x00"


def dns_pair(i, name, t):
    q = struct.pack("!HHHHHH", i, 0x0100, 1, 0, 0, 0) + qname(name) + struct.pack("!HH", 1, 1)
    a = (struct.pack("!HHHHHH", i, 0x8180, 1, 1, 0, 0) + qname(name) + struct.pack("!HH", 1, 1) +
         b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([10, 9, 9, i & 255]))
    c, s = [10, 0, 0, 5], [10, 0, 0, 53]
    return udp_frame(c, s, 40000 + i, 53, q, t) + udp_frame(s, c, 53, 40000 + i, a, t + 0.001)


def batch(prefix, t0):
    return b"".join(dns_pair(i + (100 if prefix == "second" else 0), "%s-%d.example.org" % (prefix, i), t0 + i)
                    for i in range(N))


def names(path):
    found, stats = set(), 0
    if not os.path.exists(path):
        return found, stats
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e.get("event_type") == "dns":
                found.add(json.dumps(e["dns"]))
            stats += e.get("event_type") == "stats"
    return found, stats


def count(found, prefix):
    return sum(1 for d in found if ('"%s-' % prefix) in d)


def start(d):
    os.makedirs(d, exist_ok=True)
    p = subprocess.Popen([BIN, "-r", "-", "-l", d], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    p.stdin.write(batch("first", 1700000000))
    p.stdin.flush()
    time.sleep(1.5)  # the first batch is read and analysed (ASan included) while the pipe stays open
    return p


def main():
    if not os.access(BIN, os.X_OK):
        print("SKIP: no medsentry binary at %s" % BIN)
        return 77
    d = os.path.join(TMP, "hup")
    p = start(d)
    eve = os.path.join(d, "eve.json")
    check(os.path.exists(eve), "no eve.json while running")
    os.rename(eve, eve + ".1")
    p.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    p.stdin.write(batch("second", 1700000100))
    p.stdin.close()
    err = p.stderr.read().decode(errors="replace")
    rc = p.wait(timeout=60)
    check(rc == 0, "SIGHUP run: exit %d: %s" % (rc, err[-500:]))
    old, old_stats = names(eve + ".1")
    new, new_stats = names(eve)
    check(count(old, "first") >= N and count(old, "second") == 0,
          "eve.json.1: %d first, %d second dns events" % (count(old, "first"), count(old, "second")))
    check(os.path.exists(eve), "SIGHUP: no new eve.json created")
    check(count(new, "second") >= N and count(new, "first") == 0,
          "new eve.json: %d first, %d second dns events" % (count(new, "first"), count(new, "second")))
    check(new_stats >= 1 and old_stats == 0, "final stats: %d in the new file, %d in the old" % (new_stats, old_stats))

    d2 = os.path.join(TMP, "term")
    p = start(d2)
    p.send_signal(signal.SIGTERM)  # the read is blocked on the open pipe
    err = p.stderr.read().decode(errors="replace")
    rc = p.wait(timeout=60)
    p.stdin.close()
    check(rc == 0, "SIGTERM: exit %d, want 0: %s" % (rc, err[-500:]))
    found, stats = names(os.path.join(d2, "eve.json"))
    check(count(found, "first") >= N and stats >= 1, "SIGTERM: eve.json has %d first events, %d stats" %
          (count(found, "first"), stats))
    db = sqlite3.connect(os.path.join(d2, "medsentry.db"))
    ended = db.execute("SELECT count(*) FROM runs WHERE end_wall IS NOT NULL").fetchone()[0]
    check(ended == 1, "SIGTERM: the store's run is not finished")
    db.close()

    for m in problems:
        print("FAIL: " + m)
    if problems:
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
