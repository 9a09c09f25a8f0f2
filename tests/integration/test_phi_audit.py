#!/usr/bin/env python3
"""PHI audit: no patient name, identifier, birth date or address in anything medsentry writes by default.

Runs every corpus capture (tests/data/corpus/generated/pcaps/*.pcap and samples/*.pcap) with the default
configuration, and searches every file medsentry leaves in the log directory (eve.json, assets.json, medsentry.db
when the store exists, anything else it may add; not the PHI key itself) for the fictitious patients' data:
  - as raw bytes, in UTF-8/ASCII and in UTF-16LE (SMB and DCE/RPC carry UTF-16; a careless copy would keep it),
    case-insensitively, and with the DICOM component separator '^' also as a space or a comma;
  - in every JSON string of eve.json and assets.json after decoding (catches \\u escapes).
Files extracted with --extract-files are excepted (they are the images themselves, by design; the option is off by
default): docs/HARDENING.md.

The list comes from tests/data/corpus/README.md ("PHI in the corpus"): every token that paragraph names must be in
PATIENT_PHI below (the test fails otherwise, so a new patient in the corpus is not silently missed), plus what the
capture logs show the worklist and HL7 captures carry (more ids and birth dates, an address).

So that the test can fail: the same captures are run with --log-phi, and the patient names and ids that the DICOM
parser decodes must then appear in clear.
Env: MEDSENTRY (binary), REPO (repository root), TMPDIR.  Exit 0 pass, 1 fail, 77 skip.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
README = os.path.join(REPO, "tests", "data", "corpus", "README.md")

PATIENT_PHI = [
    # names (tests/data/corpus/README.md; the worklist ones from generated/logs/clients_dicom_12_worklist.log)
    "DOE^JANE", "ROE^RICHARD", "LARGE^STUDY", "SCREEN^CAPTURE", "BEETHOVEN^LUDWIG^VAN", "HAYDN^FRANZ^JOSEPH",
    "MOZART^WOLFGANG^AMADEUS", "VIVALDI^ANTONIO", "BEETHOVEN", "HAYDN", "MOZART", "VIVALDI",
    # identifiers: patient ids, accession numbers, study ids that embed the patient id
    "PAT0001", "PAT0002", "PAT0003", "PAT0004", "ACC0001", "ACC0002", "ACC0003", "ACC0004", "AV35674", "MWA484763",
    "BLV734623",
    # birth dates
    "19700101", "19650505", "19800202", "17320331", "16780304", "18270326", "17911205",
    # the address of the HL7 ADT message (tools/mllp_client.py)
    "1 TEST STREET", "TESTCITY",
]
# With --log-phi these must appear (decoded from DICOM by the parser as built): proof that the scan sees PHI.
MUST_APPEAR_WITH_LOG_PHI = ["DOE^JANE", "PAT0001", "19700101", "ACC0001"]


def readme_tokens():
    """Tokens of the README's PHI paragraph: names with '^', PATnnnn/ACCnnnn ranges, 8-digit dates."""
    text = open(README, encoding="utf-8").read()
    m = re.search(r"### PHI in the corpus.*?\n(.*?)(\n\n|\n#)", text, re.S)
    if not m:
        return None
    para = m.group(1)
    toks = set(re.findall(r"[A-Z]+(?:\^[A-Z]+)+", para)) | set(re.findall(r"\b\d{8}\b", para))
    for prefix, a, b in re.findall(r"\b([A-Z]+)(\d{4})[–-][A-Z]+(\d{4})", para):
        for i in range(int(a), int(b) + 1):
            toks.add("%s%04d" % (prefix, i))
    return toks


def forms(token):
    """Byte patterns for one token: separators '^' ' ' ',' and ASCII/UTF-16LE, lower-cased for the search."""
    out = set()
    for sep in ("^", " ", ","):
        t = token.replace("^", sep).lower()
        out.add(t.encode("utf-8"))
        out.add(t.encode("utf-16-le"))
    return out


PATTERNS = [(tok, f) for tok in PATIENT_PHI for f in forms(tok)]


def json_strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from json_strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from json_strings(x)


def scan(logdir):
    """{token: [file, ...]} found in the log directory (the key file excepted)."""
    hits = {}
    for root, _dirs, files in os.walk(logdir):
        for name in files:
            if name == "medsentry.key":
                continue
            path = os.path.join(root, name)
            data = open(path, "rb").read().lower()
            for tok, pat in PATTERNS:
                if pat in data:
                    hits.setdefault(tok, set()).add(name)
            if name.endswith(".json"):
                docs = []
                text = data.decode("utf-8", "replace")
                if name == "eve.json":
                    docs = [json.loads(l) for l in text.splitlines() if l.strip()]
                else:
                    docs = [json.loads(text)]
                for s in (s for d in docs for s in json_strings(d)):
                    low = s.lower()
                    for tok in PATIENT_PHI:
                        for sep in ("^", " ", ","):
                            if tok.replace("^", sep).lower() in low:
                                hits.setdefault(tok, set()).add(name + " (decoded)")
    return hits


def run(capture, logdir, extra=()):
    os.makedirs(logdir, exist_ok=True)
    p = subprocess.run([BIN, "-r", capture, "-l", logdir, *extra], capture_output=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (capture, p.returncode, p.stderr.decode()[-400:]))


def main():
    if not os.access(BIN, os.X_OK):
        print("SKIP: no binary at " + BIN)
        return 77
    caps = sorted(glob.glob(os.path.join(REPO, "tests/data/corpus/generated/pcaps/*.pcap")) +
                  glob.glob(os.path.join(REPO, "samples/*.pcap")))
    if not caps:
        print("SKIP: no corpus captures")
        return 77
    fails = 0
    toks = readme_tokens()
    if toks is None:
        print("FAIL: %s has no 'PHI in the corpus' paragraph to check the list against" % README)
        fails += 1
    else:
        missing = sorted(t for t in toks if t not in PATIENT_PHI)
        if missing:
            print("FAIL: the corpus README names PHI this test does not search for: %s" % ", ".join(missing))
            fails += 1
        else:
            print("ok: all %d PHI tokens of the corpus README are searched for (%d in all, %d byte patterns)" %
                  (len(toks), len(PATIENT_PHI), len(PATTERNS)))
    base = tempfile.mkdtemp(dir=os.environ.get("TMPDIR"))
    clear = {}
    for cap in caps:
        name = os.path.basename(cap)
        d = os.path.join(base, name)
        try:
            run(cap, d)
        except Exception as e:  # noqa: BLE001 - report and go on
            print("FAIL %s: %s" % (name, e))
            fails += 1
            continue
        files = sorted(os.listdir(d))
        hits = scan(d)
        if hits:
            fails += 1
            print("FAIL %s: PHI in the default output: %s" % (
                name, "; ".join("%s in %s" % (t, ", ".join(sorted(f))) for t, f in sorted(hits.items()))))
        else:
            print("ok   %s: no PHI in %s" % (name, ", ".join(f for f in files if f != "medsentry.key")))
        shutil.rmtree(d, ignore_errors=True)
        dp = d + "-log-phi"
        try:
            run(cap, dp, ["--log-phi"])
            for t in scan(dp):
                clear.setdefault(t, set()).add(name)
        except Exception as e:  # noqa: BLE001
            print("FAIL %s --log-phi: %s" % (name, e))
            fails += 1
        shutil.rmtree(dp, ignore_errors=True)
    absent = [t for t in MUST_APPEAR_WITH_LOG_PHI if t not in clear]
    if absent:
        fails += 1
        print("FAIL: with --log-phi, %s never appeared: the scan may be blind" % ", ".join(absent))
    else:
        print("ok: with --log-phi the scan finds %d of the tokens in clear (e.g. %s in %s)" % (
            len(clear), MUST_APPEAR_WITH_LOG_PHI[0], ", ".join(sorted(clear[MUST_APPEAR_WITH_LOG_PHI[0]]))))
    shutil.rmtree(base, ignore_errors=True)
    print("test_phi_audit: %d captures, %d failure(s)" % (len(caps), fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
