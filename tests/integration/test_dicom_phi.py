#!/usr/bin/env python3
"""No PHI in medsentry's default output.

Runs medsentry on every capture of the generated corpus and scans every file it writes to the log
directory (eve.json, assets.json, ...; not the PHI key) for the patient names, ids, birth dates and
accession numbers the corpus README lists, and the other PHI the corpus captures carry (referring and
requesting physicians, institution, study ids).  Any hit fails, and so does a `keys` list entry that is not
a bare tag ("gggg,eeee").  As a check that the scan can see PHI at all, dicom_02 is also run with
--log-phi, where the patient name, referring physician and institution must appear in clear.
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
PCAPS = os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps")

PHI = ["DOE^JANE", "ROE^RICHARD", "LARGE^STUDY", "SCREEN^CAPTURE", "BEETHOVEN", "HAYDN", "MOZART", "VIVALDI",
       "PAT0001", "PAT0002", "PAT0003", "PAT0004", "19700101", "19650505", "19800202",
       "ACC0001", "ACC0002", "ACC0003", "ACC0004",
       # other PHI attributes the corpus carries (tshark -V of the DICOM captures): referring physician,
       # institution, study ids (they embed the patient id), requesting / scheduled performing physicians
       "REFERRING^TEST", "TEST HOSPITAL", "ST-PAT000", "NEWMAN", "MEIER", "CONARD", "JOHNSON"]
KEY_RE = re.compile(r"^[0-9a-f]{4},[0-9a-f]{4}$")
KEY_FILE = "medsentry.key"


def scan(logdir):
    hits = []
    for root, _dirs, files in os.walk(logdir):
        for f in files:
            if f == KEY_FILE:
                continue
            with open(os.path.join(root, f), "rb") as fh:
                data = fh.read().decode("utf-8", "replace")
            for s in PHI:
                if s in data:
                    hits.append((f, s))
            if f == "eve.json":
                for line in data.splitlines():
                    ds = json.loads(line).get("dicom", {}).get("dataset", {})
                    bad = [k for k in ds.get("keys", []) if not KEY_RE.match(k)]
                    if bad:
                        hits.append((f, "keys holding more than tags: %s" % bad[:3]))
    return hits


def main():
    if not os.access(BIN, os.X_OK):
        print("no binary %s: skip" % BIN)
        return 77
    ok = True
    pcaps = sorted(f for f in os.listdir(PCAPS) if f.endswith(".pcap"))
    for f in pcaps:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([BIN, "-r", os.path.join(PCAPS, f), "-l", tmp], capture_output=True)
            hits = scan(tmp)
            if hits:
                ok = False
                print("FAIL %s: PHI in output: %s" % (f, sorted(set(hits))[:5]))
    print("%d captures scanned for %d PHI strings: %s" % (len(pcaps), len(PHI), "clean" if ok else "PHI FOUND"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([BIN, "-r", os.path.join(PCAPS, "dicom_02_store_orthanc.pcap"), "-l", tmp, "--log-phi"],
                       capture_output=True)
        found = {s for _f, s in scan(tmp)}
        for s in ("DOE^JANE", "REFERRING^TEST", "TEST HOSPITAL"):
            if s not in found:
                print("FAIL --log-phi: %s not written in clear (the scan cannot be trusted)" % s)
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
