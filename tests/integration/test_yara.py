#!/usr/bin/env python3
"""File content scanning and detection 11 on a capture built here (python3 standard library; written to TMPDIR,
nothing is sent anywhere).

One SMB2 session (client 10.1.1.5 -> server 10.1.1.30:445, share \\\\PACS\\IMAGES, not an admin share) writes
three files, each with CREATE, WRITEs of at most 32 KiB, CLOSE, all answered:
  CT_0001.dcm   a PE/DICOM polyglot (CVE-2019-11687): "MZ", e_lfanew 0x1000 -> "PE\\0\\0", "DICM" at 128, 96 KiB
  CT_0002.dcm   an ordinary DICOM Part 10 file (zero preamble), 40 KiB
  tools.exe     an "MZ" file carrying the two FBI Kwampirs installer keys quoted in KWAMPIRS.md §4.2, 20 KiB
What follows from how they are built (not from medsentry's output):
  - default configuration (shipped rules/yara): one 9300110 alert for CT_0001.dcm whose evidence names the YARA
    rule MEDSENTRY_PE_DICOM_Polyglot, one 9300310 alert for tools.exe (rule MEDSENTRY_Kwampirs_Installer), nothing
    for CT_0002.dcm; three files scanned, two matches; the fileinfo events list the rule names;
  - files.yara-rules-dir "" (no YARA): the 9300110 alert all the same (the built-in check), no 9300310;
  - files.yara-max-size 64kb: the 96 KiB polyglot is not scanned (skipped_size 1), its 9300110 alert stays;
  - -T with a rule directory holding a broken rule: exit status 2 and "<file>:<line>:".
Env: MEDSENTRY, REPO.  Exit 0 pass, 1 fail, 77 skip.
"""
import collections
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mslib  # noqa: E402

sys.path.insert(0, os.path.join(mslib.REPO, "tests", "data", "edge"))
import gen_edge as g  # noqa: E402

CLI, SRV = "10.1.1.5", "10.1.1.30"
T0_US = 1700000000 * 1000000
POLYGLOT, PLAIN, TOOL = "CT_0001.dcm", "CT_0002.dcm", "tools.exe"
STRING_KEY = bytes.fromhex("6C35E3311B23F9C965EBF3079333F2A3")     # KWAMPIRS.md §4.2 (FBI installer)
RESOURCE_KEY = bytes.fromhex("2899B6176333EE22979755B57AC4E1A4")


def polyglot():
    b = bytearray(96 * 1024)
    b[0:2] = b"MZ"
    struct.pack_into("<I", b, 0x3C, 0x1000)
    b[0x1000:0x1006] = b"PE\0\0\x4c\x01"
    b[128:132] = b"DICM"
    b[132:160] = b"\x02\x00\x10\x00UI\x14\x001.2.840.10008.1.2.1\0"
    return bytes(b)


def plain_dicom():
    b = bytearray(40 * 1024)
    b[128:132] = b"DICM"
    b[132:160] = b"\x02\x00\x10\x00UI\x14\x001.2.840.10008.1.2.1\0"
    for i in range(160, len(b)):
        b[i] = (i * 31) & 0xFF
    return bytes(b)


def kwampirs_tool():
    b = bytearray(20 * 1024)
    b[0:2] = b"MZ"
    b[5000:5016] = STRING_KEY
    b[9000:9016] = RESOURCE_KEY
    return bytes(b)


# ---- SMB2 (MS-SMB2 2.2) ----
def smb2(cmd, resp, mid, tid, body, status=0):
    hdr = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, status, cmd, 1, 1 if resp else 0, 0, mid, 0, tid,
                                   0x1122334455667788) + b"\0" * 16
    msg = hdr + body
    return b"\x00" + struct.pack("!I", len(msg))[1:] + msg


def utf16(s):
    return s.encode("utf-16-le")


def tree_connect(resp, path=""):
    if resp:
        return smb2(3, True, 2, 7, struct.pack("<HBBIII", 16, 1, 0, 0, 0, 0x1F01FF))
    p = utf16(path)
    return smb2(3, False, 2, 0, struct.pack("<HHHH", 9, 0, 64 + 8, len(p)) + p)


def create(resp, mid, fid, name=""):
    if resp:
        body = bytearray(88)
        struct.pack_into("<HBBI", body, 0, 89, 0, 0, 2)
        body[64:80] = fid
        return smb2(5, True, mid, 7, bytes(body))
    n = utf16(name)
    body = bytearray(56)
    struct.pack_into("<H", body, 0, 57)
    struct.pack_into("<I", body, 24, 0x00130197)     # desired access
    struct.pack_into("<I", body, 36, 5)              # FILE_OVERWRITE_IF
    struct.pack_into("<HH", body, 44, 64 + 56, len(n))
    return smb2(5, False, mid, 7, bytes(body) + n)


def write(resp, mid, fid, off=0, data=b""):
    if resp:
        return smb2(9, True, mid, 7, struct.pack("<HHIII", 17, 0, len(data), 0, 0))
    body = struct.pack("<HHIQ", 49, 64 + 48, len(data), off) + fid + struct.pack("<IIHHI", 0, 0, 0, 0, 0)
    return smb2(9, False, mid, 7, body + data)


def close(resp, mid, fid):
    if resp:
        return smb2(6, True, mid, 7, struct.pack("<H", 60) + b"\0" * 58)
    return smb2(6, False, mid, 7, struct.pack("<HHI", 24, 0, 0) + fid)


def build(path, files):
    t = g.Tcp(CLI, SRV, 49152, 445)
    t.handshake()
    co = so = 0

    def c(data):
        nonlocal co
        for i in range(0, len(data), 1460):
            t.c2s("PA", co + i, data[i:i + 1460], ack_off=so)
        co += len(data)

    def s(data):
        nonlocal so
        t.s2c("PA", so, data, ack_off=co)
        so += len(data)

    c(tree_connect(False, "\\\\PACS\\IMAGES"))
    s(tree_connect(True))
    mid = 3
    for k, (name, data) in enumerate(files):
        fid = bytes([k + 1]) * 16
        c(create(False, mid, fid, name))
        s(create(True, mid, fid))
        mid += 1
        for off in range(0, len(data), 32768):
            chunk = data[off:off + 32768]
            c(write(False, mid, fid, off, chunk))
            s(write(True, mid, fid, data=chunk))
            mid += 1
        c(close(False, mid, fid))
        s(close(True, mid, fid))
        mid += 1
    t.c2s("FA", co, ack_off=so)
    t.s2c("FA", so, ack_off=co + 1)
    t.c2s("A", co + 1, ack_off=so + 1)
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(t.l3()):
            fr = g.eth(p)
            ts = T0_US + i * 1000
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(fr), len(fr)))
            f.write(fr)


class Check:
    def __init__(self):
        self.problems = []

    def eq(self, what, ours, want):
        if ours != want:
            self.problems.append("%s: ours=%r expected=%r" % (what, ours, want))


def alerts_of(r):
    return [e for e in r.events if e["event_type"] == "alert"]


def run(c, name, pcap, args=()):
    r = mslib.run_medsentry(pcap, args=list(args), dump=False, use_cache=False)
    c.eq("%s: exit status" % name, r.rc, 0)
    if r.rc != 0:
        c.problems.append("%s: stderr: %s" % (name, r.stderr.strip()[-300:]))
    return r


def main():
    mslib.need_binary()
    tmp = os.environ.get("TMPDIR") or tempfile.mkdtemp()
    pcap = os.path.join(tmp, "smb2_polyglot.pcap")
    build(pcap, [(POLYGLOT, polyglot()), (PLAIN, plain_dicom()), (TOOL, kwampirs_tool())])
    c = Check()

    # default: shipped rules
    r = run(c, "default", pcap)
    al = alerts_of(r)
    got = collections.Counter((a["alert"]["signature_id"], a["src_ip"], a["dest_ip"],
                               a.get("evidence", {}).get("filename")) for a in al)
    c.eq("default: alerts", got, collections.Counter([(9300110, CLI, SRV, POLYGLOT), (9300310, CLI, SRV, TOOL)]))
    for a in al:
        ev = a.get("evidence", {})
        if a["alert"]["signature_id"] == 9300110:
            c.eq("default: 9300110 severity", a["alert"]["severity"], 1)
            c.eq("default: 9300110 yara rule", ev.get("yara", {}).get("rule"), "MEDSENTRY_PE_DICOM_Polyglot")
            c.eq("default: 9300110 magic", ev.get("magic"), "PE/DICOM polyglot")
        else:
            c.eq("default: 9300310 yara rule", ev.get("yara", {}).get("rule"), "MEDSENTRY_Kwampirs_Installer")
            c.eq("default: 9300310 severity (rule meta)", a["alert"]["severity"], 1)
    fi = {e["fileinfo"]["filename"]: e["fileinfo"] for e in r.events if e["event_type"] == "fileinfo"}
    c.eq("default: files", sorted(fi), sorted([POLYGLOT, PLAIN, TOOL]))
    c.eq("default: fileinfo yara of the polyglot", fi.get(POLYGLOT, {}).get("yara"), ["MEDSENTRY_PE_DICOM_Polyglot"])
    c.eq("default: fileinfo yara of the plain file", fi.get(PLAIN, {}).get("yara"), None)
    c.eq("default: fileinfo scan of the plain file", fi.get(PLAIN, {}).get("scan"), "scanned")
    c.eq("default: polyglot size", fi.get(POLYGLOT, {}).get("size"), 96 * 1024)
    y = (r.stats() or {}).get("files", {}).get("yara", {})
    c.eq("default: stats.files.yara", {k: y.get(k) for k in ("rules", "scanned", "matches", "skipped_size")},
         {"rules": 6, "scanned": 3, "matches": 2, "skipped_size": 0})

    # YARA off: detection 11 all the same
    r = run(c, "no yara", pcap, ["--set", "files.yara-rules-dir="])
    got = sorted((a["alert"]["signature_id"], a.get("evidence", {}).get("yara")) for a in alerts_of(r))
    c.eq("no yara: alerts", got, [(9300110, None)])

    # size limit below the polyglot: not scanned, counted, still alerted
    r = run(c, "max-size", pcap, ["--set", "files.yara-max-size=64kb"])
    got = sorted((a["alert"]["signature_id"], (a.get("evidence", {}).get("yara") or {}).get("rule"))
                 for a in alerts_of(r))
    c.eq("max-size: alerts", got, [(9300110, None), (9300310, "MEDSENTRY_Kwampirs_Installer")])
    y = (r.stats() or {}).get("files", {}).get("yara", {})
    c.eq("max-size: skipped_size", y.get("skipped_size"), 1)

    # -T: a broken rule file is an error naming file and line
    bad = os.path.join(tmp, "badrules")
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(bad, "x.yar"), "w") as f:
        f.write("rule ok { condition: true }\n\nrule broken { strings: $a = \"x\" condition: $b }\n")
    p = subprocess.run([mslib.MEDSENTRY, "-T", "--set", "files.yara-rules-dir=" + bad], capture_output=True,
                       text=True)
    c.eq("-T broken rule: exit status", p.returncode, 2)
    if os.path.join(bad, "x.yar") + ":3:" not in p.stderr:
        c.problems.append("-T broken rule: stderr does not name x.yar:3: %r" % p.stderr)
    p = subprocess.run([mslib.MEDSENTRY, "-T"], capture_output=True, text=True)
    c.eq("-T shipped rules: exit status", p.returncode, 0)

    for pr in c.problems:
        print("FAIL: " + pr)
    if not c.problems:
        print("ok: polyglot and YARA alerts, YARA off, size limit, -T")
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main())
