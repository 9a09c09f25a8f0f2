#!/usr/bin/env python3
"""test_assets_smb.py - the asset inventory (assets.json, `asset` events) learns hosts from SMB and NTLMSSP.

On the corpus captures that carry SMB1 NativeOS strings or NTLMSSP AUTHENTICATE messages:
  - fixed expectations, read off the wire strings (see EXPECT): an XP client talking SMB1 to an XP server, a Windows
    Server 2008 R2 file server, Samba on both sides, a Mac (whose NTLMSSP "6.1 build 7600 rev 0" must give no
    Windows hint), Windows 10 over SMB2 known only from its NTLMSSP VERSION;
  - against tshark: every SMB1 SESSION_SETUP_ANDX NativeOS / NativeLanMan string and every NTLMSSP AUTHENTICATE
    workstation name and VERSION tshark decodes is in the sending host's record (bounded lists not full);
  - no user name of any `smb` event appears in assets.json or in an `asset` event (user names are sensitive);
  - no flood: two `asset` events of one address never carry the same facts; lists stay within their bounds.
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip (no binary).
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

SV = "tests/data/corpus/public/suricata-verify/tests/"
GEN = "tests/data/corpus/generated/pcaps/"

# capture -> {ip: {field: expected}}; "smb.x" names a member of the record's smb object; a list value must be
# contained in the record's list (order free); None: the field must be absent.
EXPECT = {
    SV + "filestore-filecontainer-smb/filecontainer-smb.pcap": {
        # NativeOS "Windows 2002 Service Pack 3 2600" (XP's product name), NTLMSSP 5.1 build 2600, SMB1 only
        "192.168.202.115": {"os": "Windows XP Service Pack 3 2600", "os_source": "smb_native_os",
                            "hostnames": ["STEVELAPTOP"], "smb.role": "client", "smb.smb1": True,
                            "smb.smb1_offered": True, "smb.dialects": ["NT LM 0.12"],
                            "smb.ntlm_versions": ["5.1 build 2600 rev 15"]},
        # NativeOS "Windows 5.1" / "Windows 2000 LAN Manager": XP serving C$, ADMIN$ and IPC$
        "192.168.24.100": {"os": "Windows XP", "os_source": "smb_native_os", "smb.role": "server",
                           "smb.smb1": True, "smb.shares": ["C$", "ADMIN$", "IPC$"], "hostnames": None},
    },
    SV + "filestore-filecontainer-smb1-data-offset/input.pcap": {
        "10.4.30.5": {"os": "Windows Server 2008 R2 Standard 7601 Service Pack 1", "smb.role": "server",
                      "smb.smb1": True, "smb.shares": ["C$"]},
        "10.4.30.101": {"os": "Unix (samba)", "smb.role": "client"},
    },
    GEN + "smb_03_smb1_admin_share_exe_and_svcctl.pcap": {
        # smbclient (NTLMSSP 6.1 build 0: no hint) against Samba claiming "Windows 6.1"
        "127.0.0.1": {"os": "Unix (Samba)", "hostnames": ["RADWS01"], "smb.domains": ["RADIOLOGY"],
                      "smb.smb1": True, "smb.ntlm_versions": ["6.1 build 0 rev 15"]},
        "127.0.0.30": {"os": "Unix (Samba 4.17.12-Debian)", "smb.native_os": ["Windows 6.1"],
                       "smb.shares": ["ADMIN$", "IPC$"], "smb.role": "server"},
    },
    SV + "smb1-02/smb1_osx.pcap": {
        "192.168.1.10": {"os": "Mac OS X 10.10", "smb.smb1": True},
        "192.168.1.2": {"os": "QTS (Samba 4.4.16)", "smb.role": "server"},
    },
    SV + "smb2-delete/input.pcap": {
        # macOS over SMB2: NTLMSSP 6.1 build 7600 revision 0 is Apple's, not Windows 7
        "192.168.1.12": {"os": None, "hostnames": ["AIR-DE-CATENA"], "smb.smb1": False,
                         "smb.dialects": ["3.02"], "smb.ntlm_versions": ["6.1 build 7600 rev 0"]},
        "192.168.1.51": {"smb.shares": ["SAND"], "smb.role": "server", "smb.smb1": False},
    },
    SV + "smb2-ntlmssp-negotiateflags/input.pcap": {
        # Windows 10 over SMB2, known only from its NTLMSSP VERSION 10.0 build 10586
        "192.168.199.132": {"os": "Windows 10 (build 10586)", "os_source": "ntlmssp_version",
                            "hostnames": ["DESKTOP-2AEFM7G"], "smb.role": "client", "smb.smb1": False,
                            "smb.smb1_offered": False, "smb.dialects": ["3.11"]},
        # the same kind of host as a server, and as a client offering SMB1 dialects to (and speaking SMB1 with) a
        # Windows 8.1 host whose NativeOS is "Windows 8.1 9600"
        "192.168.199.133": {"os": "Windows 10 (build 10586)", "smb.role": "both", "smb.smb1": True,
                            "smb.smb1_offered": True, "smb.dialects": ["NT LM 0.12", "3.02", "3.11"],
                            "smb.dialects_offered": ["PC NETWORK PROGRAM 1.0", "NT LM 0.12", "3.11"]},
        "192.168.199.1": {"os": "Windows 8.1 9600", "os_source": "smb_native_os", "smb.role": "server"},
    },
    SV + "smb2-03-rule/smb2.pcap": {
        "10.0.0.11": {"os": "Windows Vista / Server 2008 (build 6001)", "hostnames": ["SERVER01"],
                      "smb.domains": ["CONTOSO"]},
        "10.0.0.12": {"os": None, "smb.shares": ["IPC$"], "smb.role": "server"},
    },
}

# more captures for the tshark agreement (SMB1 native strings and NTLMSSP AUTHENTICATE messages)
MORE = [SV + p for p in (
    "output-eve-smb-01/input.pcap", "smb-eicar-andx/smbandx.pcap", "smb-eicar-file/input.pcap",
    "filestore-filecontainer-smb1-padding/smb_bug_padding.pcap", "smb2-ntlmssp-negotiateflags/input.pcap",
    "dcerpc/dcerpc-ctxids/input.pcap",
    "smb2-named-pipe-unicode/input.pcap", "smb-filename/input.pcap", "bug-5162/input.pcap")] + [
    GEN + "smb_01_smb3_admin_share_exe_upload.pcap", GEN + "smb_05_failed_logins.pcap",
    GEN + "smb_09_ipv6_admin_share_exe_upload.pcap"]

BOUNDS = {"hostnames": 4, "smb.domains": 4, "smb.native_os": 4, "smb.native_lm": 4, "smb.dialects": 16,
          "smb.dialects_offered": 16, "smb.ntlm_versions": 4, "smb.shares": 16}
NATIVE_MAX = 63   # bytes kept of a native string
NAME_MAX = 63     # bytes kept of a workstation name

failures = []
checked = {"expect": 0, "tshark": 0, "asset_events": 0}


def fail(msg):
    failures.append(msg)


def field(rec, name):
    cur = rec
    for part in name.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from strings(v)


def cut(s, n):
    b = s.encode()
    if len(b) <= n:
        return s
    return b[:n].decode("utf-8", errors="ignore")


def sane(s):
    return s and all(0x20 <= ord(c) < 0x7f for c in s)


def tshark_rows(cap, filt, fields):
    args = ["-Y", filt, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=\x1f"]
    for f in fields:
        args += ["-e", f]
    rows = []
    for line in mslib.tshark_text(os.path.abspath(cap), args).splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows.append(cols)
    return rows


def check_capture(cap):
    rel = os.path.relpath(cap, mslib.REPO)
    run = mslib.run_medsentry(cap, dump=False)
    if run.rc != 0:
        fail("%s: exit %d %s" % (rel, run.rc, run.stderr[-300:]))
        return
    try:
        with open(os.path.join(run.logdir, "assets.json"), encoding="utf-8") as f:
            text = f.read()
        assets = json.loads(text)
    except (OSError, ValueError) as e:
        fail("%s: assets.json: %s" % (rel, e))
        return
    by_ip = {mslib.norm_ip(a["ip"]): a for a in assets}

    # fixed expectations
    for ip, want in EXPECT.get(rel, {}).items():
        rec = by_ip.get(ip)
        if rec is None:
            fail("%s: no asset %s" % (rel, ip))
            continue
        for name, exp in want.items():
            checked["expect"] += 1
            got = field(rec, name)
            if exp is None:
                if got is not None:
                    fail("%s %s: %s should be absent, is %r" % (rel, ip, name, got))
            elif isinstance(exp, list):
                if not isinstance(got, list) or any(x not in got for x in exp):
                    fail("%s %s: %s = %r, expected to contain %r" % (rel, ip, name, got, exp))
            elif got != exp:
                fail("%s %s: %s = %r, expected %r" % (rel, ip, name, got, exp))

    # bounds; SMB hosts have a role
    for ip, rec in by_ip.items():
        for name, cap_n in BOUNDS.items():
            v = field(rec, name)
            if v is not None and len(v) > cap_n:
                fail("%s %s: %s has %d entries (bound %d)" % (rel, ip, name, len(v), cap_n))
        if "smb" in rec and rec["smb"].get("role") not in ("client", "server", "both"):
            fail("%s %s: smb.role %r" % (rel, ip, rec["smb"].get("role")))

    # user names stay out: no string of the inventory is a user name of an smb event (unless the same text is a host
    # or domain name there too, as in a capture whose workstation is called "Administrator")
    smb = [e["smb"] for e in run.of_type("smb") if "ntlmssp" in e.get("smb", {})]
    names = {x.lower() for s in smb for x in (s["ntlmssp"].get("host", ""), s["ntlmssp"].get("domain", ""))}
    users = {s["ntlmssp"].get("user", "").lower() for s in smb} - {""} - names
    asset_events = run.of_type("asset")
    for where, obj in [("assets.json", assets)] + [("asset event", e["asset"]) for e in asset_events]:
        for v in strings(obj):
            if v.lower() in users:
                fail("%s: user name %r in the %s" % (rel, v, where))

    # no flood: each asset event of an address carries something the previous one did not
    last = {}
    checked["asset_events"] += len(asset_events)
    for e in asset_events:
        a = dict(e["asset"])
        for k in ("last_seen", "changes", "change"):
            a.pop(k, None)
        ip = mslib.norm_ip(a["ip"])
        if last.get(ip) == a:
            fail("%s: asset event for %s at %s repeats the previous one" % (rel, ip, e["timestamp"]))
        last[ip] = a

    # agreement with tshark (when it is installed)
    if not shutil.which("tshark"):
        return
    for src, src6, os_, lm in tshark_rows(cap, "smb.cmd == 0x73 && smb.native_os",
                                          ["ip.src", "ipv6.src", "smb.native_os", "smb.native_lanman"]):
        ip = mslib.norm_ip(src or src6)
        rec = by_ip.get(ip)
        for name, vals in (("smb.native_os", os_), ("smb.native_lm", lm)):
            for v in vals.split("\x1f"):
                if not sane(v):
                    continue
                checked["tshark"] += 1
                got = field(rec, name) if rec else None
                if got is None or (cut(v, NATIVE_MAX) not in got and len(got) < BOUNDS[name]):
                    fail("%s %s: tshark's %s %r not in the record (%r)" % (rel, ip, name, v, got))
    for src, src6, host, maj, mnr, build, rev, neg_ver in tshark_rows(
            cap, "ntlmssp.messagetype == 3 && (smb || smb2)",
            ["ip.src", "ipv6.src", "ntlmssp.auth.hostname", "ntlmssp.version.major", "ntlmssp.version.minor",
             "ntlmssp.version.build_number", "ntlmssp.version.ntlm_current_revision", "ntlmssp.negotiateversion"]):
        ip = mslib.norm_ip(src or src6)
        rec = by_ip.get(ip)
        if rec is None:
            fail("%s: tshark sees an NTLMSSP AUTHENTICATE from %s, no asset" % (rel, ip))
            continue
        checked["tshark"] += 1
        host = host.split("\x1f")[0]
        got = [h.lower() for h in rec.get("hostnames", [])]
        if sane(host) and host != "NULL" and cut(host, NAME_MAX).lower() not in got and len(got) < 4:
            fail("%s %s: tshark's workstation %r not in hostnames %r" % (rel, ip, host, got))
        if maj and neg_ver.split("\x1f")[0] in ("1", "True"):  # VERSION is only defined with NTLMSSP_NEGOTIATE_VERSION
            v = "%s.%s build %s rev %s" % (maj.split("\x1f")[0], mnr.split("\x1f")[0], build.split("\x1f")[0],
                                           rev.split("\x1f")[0])
            got = field(rec, "smb.ntlm_versions") or []
            if v not in got and len(got) < 4:
                fail("%s %s: tshark's NTLMSSP version %r not in %r" % (rel, ip, v, got))


def main():
    mslib.need_binary()
    caps = [os.path.join(mslib.REPO, c) for c in list(EXPECT) + MORE]
    missing = [c for c in caps if not os.path.exists(c)]
    for c in missing:
        fail("missing capture %s" % os.path.relpath(c, mslib.REPO))
    caps = [c for c in caps if c not in missing]
    mslib.pmap(check_capture, caps)
    for f in failures:
        print("FAIL: " + f)
    print("%d captures, %d expected fields, %d facts tshark decodes, %d asset events; %d failures" % (
        len(caps), checked["expect"], checked["tshark"], checked["asset_events"], len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
