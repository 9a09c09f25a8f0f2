#!/usr/bin/env python3
"""test_progress.py - the progress line of `medsentry -r` on a terminal (issue 12, "On a terminal").

A capture of 300,000 small UDP packets (written here, ~27 MB) read with stderr on a pseudo-terminal (pty.fork):
  - a progress line appears: "\\r<read> MB / <size> MB (<pct>%)  <packets> packets  <rate>/s ...\\033[K", the size
    is the file's, percentages and packet counts never go down, and the line is erased before the summary;
  - the summary's first line is the alert tally ("alerts: none" here);
  - with -q on the same terminal, and with stderr piped (not a terminal): no progress line at all;
  - standard input from a pipe fed slowly (no size): lines with bytes of packets and the packet count, no percentage.
Env: MEDSENTRY, TMPDIR.  Exit 0 pass, 1 fail, 77 skip.
"""
import os
import pty
import re
import struct
import subprocess
import sys
import time

BIN = os.environ.get("MEDSENTRY", "build/medsentry")
TMP = os.environ.get("TMPDIR", "/tmp")
N = 300000
LINE = re.compile(rb"\r([0-9.]+) (MB|kB|GB) / ([0-9.]+) MB \(([0-9]+)%\)  ([0-9]+) packets  [0-9.]+ (?:MB|kB|GB)/s"
                  rb"(?:  ETA [0-9]+:[0-9]{2}:[0-9]{2})?\x1b\[K")
PIPE_LINE = re.compile(rb"\r([0-9.]+) (MB|kB|GB) of packets  ([0-9]+) packets  [0-9.]+ (?:MB|kB|GB)/s  [0-9]+ s\x1b\[K")
problems = []


def check(cond, msg):
    if not cond:
        problems.append(msg)
    return cond


def header():
    return struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def packet(i):
    src = bytes([10, 1, (i >> 16) & 255, (i >> 8) & 255])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 60, i & 0xffff, 0, 64, 17, 0, src, bytes([10, 0, 0, 1]))
    udp = struct.pack("!HHHH", 1024 + i % 50000, 9999, 40, 0) + b"x" * 32
    frame = b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00" + ip + udp
    return struct.pack("<IIII", 1700000000 + i // 1000, (i % 1000) * 1000, len(frame), len(frame)) + frame


def on_pty(args, stdin_fd=None, feed=None):
    """Run medsentry with stdout and stderr on a pseudo-terminal: (exit status, everything it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        if stdin_fd is not None:
            os.dup2(stdin_fd, 0)
        os.execv(BIN, [BIN] + args)
    if feed:
        feed()
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out


def main():
    if not os.access(BIN, os.X_OK):
        print("SKIP: no medsentry binary at %s" % BIN)
        return 77
    cap = os.path.join(TMP, "udp.pcap")
    with open(cap, "wb") as f:
        f.write(header())
        f.write(b"".join(packet(i) for i in range(N)))
    size = os.path.getsize(cap)
    common = ["-l", os.path.join(TMP, "out"), "--set", "outputs.sqlite.enabled=no"]

    rc, out = on_pty(["-r", cap] + common)
    check(rc == 0, "pty: exit %d: %r" % (rc, out[-500:]))
    lines = LINE.findall(out)
    if check(lines, "pty: no progress line in %r" % out[:600]):
        pcts = [int(l[3]) for l in lines]
        pkts = [int(l[4]) for l in lines]
        check(all(abs(float(l[2]) - size / 1e6) < 0.06 for l in lines), "pty: size shown %r, file %d bytes" %
              (lines[0][2], size))
        check(pcts == sorted(pcts) and pkts == sorted(pkts) and pkts[-1] <= N, "pty: progress goes back: %r" % lines)
    summary = out[out.rfind(b"\r\x1b[K") + 4:] if b"\r\x1b[K" in out else b""
    check(summary.startswith(b"medsentry: info: alerts: none"), "pty: line not erased or the summary does not "
          "start with the alert tally: %r" % summary[:200])

    rc, out = on_pty(["-q", "-r", cap] + common)
    check(rc == 0 and b"\r" not in out.replace(b"\r\n", b"") and b"packets  " not in out,
          "-q on a terminal: %d %r" % (rc, out[:300]))

    p = subprocess.run([BIN, "-r", cap] + common, capture_output=True, timeout=300)
    check(p.returncode == 0 and b"\r" not in p.stderr and b"\x1b[" not in p.stderr,
          "piped stderr: progress written: %r" % p.stderr[:300])
    check(p.stderr.startswith(b"medsentry: info: alerts: none"), "piped: summary %r" % p.stderr[:200])

    # standard input from a pipe fed over ~1.5 s: no size, so bytes of packets and packets
    r, w = os.pipe()

    def feed():
        os.close(r)
        os.write(w, header())
        for k in range(6):
            os.write(w, b"".join(packet(k * 2000 + i) for i in range(2000)))
            time.sleep(0.25)
        os.close(w)

    rc, out = on_pty(["-r", "-"] + common, stdin_fd=r, feed=feed)
    check(rc == 0, "stdin: exit %d: %r" % (rc, out[-300:]))
    plines = PIPE_LINE.findall(out)
    check(plines and not LINE.findall(out), "stdin pipe: want lines without a size, got %r" % out[:600])
    if plines:
        check(int(plines[-1][2]) <= 12000, "stdin: packet count %r" % plines[-1][2])

    for m in problems:
        print("FAIL: " + m)
    if problems:
        return 1
    print("ok: %d progress lines for %d packets; stdin: %d lines" % (len(lines), N, len(plines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
