#!/usr/bin/env python3
"""test_smb_extract_files.py - `--extract-files DIR` on an SMB capture.

tests/data/corpus/generated/pcaps/smb_02 (a Kwampirs-like copy of an executable to ADMIN$) is read with
--extract-files DIR.  Checks:
  - every file in DIR is named by its own SHA-256 (sha256 of its bytes, computed here) and that name is the
    sha256 of a fileinfo event with stored: true; every stored: true event has its file; nothing else is left
    in DIR (no temporary .partial-* files);
  - a second run into the same DIR does not rewrite the file (same inode and mtime) and still says stored: true;
  - with files.extract-max-size below the file's size nothing is written and the event says stored: false;
  - stats.files.extracted counts the stored files.
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.environ.get("REPO", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
PCAP = os.path.join(REPO, "tests/data/corpus/generated/pcaps/smb_02_smb2_kwampirs_like_lateral.pcap")

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(tmp, xdir, *extra):
    log = tempfile.mkdtemp(dir=tmp)
    r = subprocess.run([BIN, "-q", "-r", PCAP, "-l", log, "--extract-files", xdir] + list(extra),
                       capture_output=True, text=True)
    if r.returncode != 0:
        failures.append("exit %d: %s" % (r.returncode, r.stderr.strip()[-300:]))
        return [], {}
    evs = [json.loads(l) for l in open(os.path.join(log, "eve.json")) if l.strip()]
    files = [e["fileinfo"] for e in evs if e["event_type"] == "fileinfo"]
    stats = [e["stats"] for e in evs if e["event_type"] == "stats"]
    return files, (stats[-1] if stats else {})


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def main():
    if not os.path.exists(BIN) or not os.path.exists(PCAP):
        print("skip: binary or capture missing")
        return 77
    tmp = tempfile.mkdtemp()
    try:
        xdir = os.path.join(tmp, "extracted")
        files, stats = run(tmp, xdir)
        stored = {f["sha256"] for f in files if f.get("stored")}
        check(len(stored) >= 1, "no fileinfo event with stored: true (%d fileinfo events)" % len(files))
        names = sorted(os.listdir(xdir)) if os.path.isdir(xdir) else []
        check(set(names) == stored, "files in DIR %s != stored sha256s %s" % (names, sorted(stored)))
        for n in names:
            got = sha256_file(os.path.join(xdir, n))
            check(got == n, "%s: its bytes hash to %s" % (n, got))
        for f in files:
            if f.get("stored"):
                check(f.get("state") == "CLOSED" and not f.get("gaps"), "stored file not complete: %s" % f)
                p = os.path.join(xdir, f["sha256"])
                check(os.path.exists(p) and os.path.getsize(p) == f["size"],
                      "%s: missing or not %d bytes" % (f["sha256"], f["size"]))
        check(stats.get("files", {}).get("extracted") == len(stored),
              "stats.files.extracted %s, stored %d" % (stats.get("files", {}).get("extracted"), len(stored)))

        # a second run: the existing file is left as it is
        before = {n: os.stat(os.path.join(xdir, n)) for n in names}
        time.sleep(0.05)
        files2, _ = run(tmp, xdir)
        check({f["sha256"] for f in files2 if f.get("stored")} == stored, "second run: stored set differs")
        check(sorted(os.listdir(xdir)) == names, "second run: DIR now holds %s" % sorted(os.listdir(xdir)))
        for n, st in before.items():
            now = os.stat(os.path.join(xdir, n))
            check((now.st_ino, now.st_mtime_ns) == (st.st_ino, st.st_mtime_ns), "%s was rewritten" % n)

        # a size cap below the file's size: nothing written, nothing left behind
        small = os.path.join(tmp, "small")
        files3, stats3 = run(tmp, small, "--set", "files.extract-max-size=1000")
        check(files3 and not any(f.get("stored") for f in files3), "size cap: a file was stored")
        check(os.listdir(small) == [], "size cap: DIR holds %s" % os.listdir(small))
        check(stats3.get("files", {}).get("extracted") == 0, "size cap: stats.files.extracted not 0")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    print("extract-files: %d problems" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
