#!/usr/bin/env python3
"""test_smb_tshark.py - medsentry's smb/dcerpc/fileinfo events against tshark on the corpus SMB captures.

For every tests/data/corpus/generated/pcaps/smb_*.pcap: negotiated SMB2 dialects, NTLMSSP identities,
SMB2 tree paths and CREATE names, SMB2 command counts (for the commands medsentry reports one event per
request), non-success statuses, DCE/RPC bind UUIDs and request opnums, svcctl CreateServiceW arguments,
srvsvc NetShareEnumAll shares and NetSrvGetInfo server information,
and the SHA-256 of each file against `tshark --export-objects smb`.  The expectation comes from tshark,
never from medsentry's earlier output.  Env: MEDSENTRY (binary), REPO (repo root).  Exit 0/1, 77 = skip.
"""
import collections, glob, hashlib, json, os, shutil, subprocess, sys, tempfile

REPO = os.environ.get("REPO", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
PCAPS = sorted(glob.glob(os.path.join(REPO, "tests/data/corpus/generated/pcaps/smb_*.pcap")))
if not shutil.which("tshark") or not os.path.exists(BIN) or not PCAPS:
    print("skip: tshark, the binary or the captures are missing")
    sys.exit(77)

DIALECTS = {"0x0202": "2.02", "0x0210": "2.10", "0x0222": "2.22", "0x0224": "2.24", "0x02ff": "2.??",
            "0x0300": "3.00", "0x0302": "3.02", "0x0310": "3.10", "0x0311": "3.11"}
CMD = {0: "SMB2_COMMAND_NEGOTIATE_PROTOCOL", 3: "SMB2_COMMAND_TREE_CONNECT", 4: "SMB2_COMMAND_TREE_DISCONNECT",
       5: "SMB2_COMMAND_CREATE", 6: "SMB2_COMMAND_CLOSE", 14: "SMB2_COMMAND_FIND"}


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402  (tshark output cached by capture hash + tshark version + arguments)


def ts(pcap, *args):
    return mslib.tshark_text(os.path.abspath(pcap), list(args)).splitlines()


def exported_objects(pcap):
    """name and SHA-256 of every object `tshark --export-objects smb` writes, cached like the text output"""
    def compute(capture):
        exp = tempfile.mkdtemp()
        try:
            subprocess.run(["tshark", "-n", "-r", capture, "--export-objects", "smb," + exp], capture_output=True,
                           env=mslib.tool_env())
            return [[f, hashlib.sha256(open(os.path.join(exp, f), "rb").read()).hexdigest(),
                     os.path.getsize(os.path.join(exp, f))] for f in sorted(os.listdir(exp))]
        finally:
            shutil.rmtree(exp, ignore_errors=True)
    return mslib.cached(os.path.abspath(pcap), "smbobjects", compute)


def fields(pcap, flt, *flds):
    a = ["-Y", flt, "-T", "fields"]
    for f in flds:
        a += ["-e", f]
    return [l.split("\t") for l in ts(pcap, *a) if l.strip()]


def multi(pcap, flt, fld):
    """one value per occurrence (tshark joins repeated fields with commas)"""
    c = collections.Counter()
    for row in fields(pcap, flt, fld):
        for v in row[0].split(","):
            if v != "":
                c[v] += 1
    return c


failures = []
# svcctl operations on a service handle [MS-SCMR 3.1.4]: opnum -> operation
SVC_HANDLE_OPS = {1: "ControlService", 2: "DeleteService", 6: "QueryServiceStatus", 11: "ChangeServiceConfigW",
                  17: "QueryServiceConfigW", 19: "StartServiceW"}
svc_named = 0
srvsvc_shares = srvsvc_servers = 0


def check(name, what, got, want):
    if got != want:
        failures.append("%s: %s: medsentry %s, tshark %s" % (name, what, dict(got) if isinstance(got, collections.Counter) else got,
                                                             dict(want) if isinstance(want, collections.Counter) else want))


for pcap in PCAPS:
    name = os.path.basename(pcap)
    out = tempfile.mkdtemp()
    r = subprocess.run([BIN, "-r", pcap, "-l", out], capture_output=True, text=True)
    if r.returncode != 0:
        failures.append("%s: exit %d: %s" % (name, r.returncode, r.stderr.strip()[-300:]))
        continue
    ev = [json.loads(l) for l in open(os.path.join(out, "eve.json"))]
    smb = [e["smb"] for e in ev if e["event_type"] == "smb"]
    smb2 = [s for s in smb if s.get("version") == 2]
    rpc = [e["dcerpc"] for e in ev if e["event_type"] == "dcerpc"]
    files = [e["fileinfo"] for e in ev if e["event_type"] == "fileinfo"]

    # negotiated dialects (SMB2 NEGOTIATE responses)
    want = collections.Counter(DIALECTS.get(v, v) for v in multi(pcap, "smb2.cmd==0 && smb2.flags.response==1", "smb2.dialect").elements())
    got = collections.Counter(s.get("dialect") for s in smb2 if s["command"] == CMD[0] and "status" in s)
    check(name, "SMB2 dialects", got, want)
    # (an SMB1 multi-protocol NEGOTIATE answered in SMB2 is an SMB2 negotiate event without an SMB2 request)
    nreq_smb1_to_smb2 = sum(want.values()) - len(fields(pcap, "smb2.cmd==0 && smb2.flags.response==0", "frame.number"))

    # NTLMSSP identities
    want = collections.Counter("%s\\%s@%s" % (d, u, h or "NULL") for d, u, h in
                               fields(pcap, "ntlmssp.auth.username", "ntlmssp.auth.domain", "ntlmssp.auth.username", "ntlmssp.auth.hostname"))
    got = collections.Counter("%s\\%s@%s" % (s["ntlmssp"]["domain"], s["ntlmssp"]["user"], s["ntlmssp"]["host"] or "NULL")
                              for s in smb if "ntlmssp" in s and "SESSION_SETUP" in s["command"])
    check(name, "NTLMSSP domain\\user@host", got, want)

    # tree paths, created names
    want = multi(pcap, "smb2.cmd==3 && smb2.flags.response==0", "smb2.tree")
    got = collections.Counter(s["share"] for s in smb2 if s["command"] == CMD[3])
    check(name, "SMB2 tree paths", got, want)
    want = collections.Counter(r[0] for r in fields(pcap, "smb2.cmd==5 && smb2.flags.response==0", "smb2.filename") if r[0])
    got = collections.Counter(s["filename"] for s in smb2 if s["command"] == CMD[5] and s.get("filename"))
    check(name, "SMB2 CREATE names", got, want)

    # command counts: one event per request for these commands
    reqs = multi(pcap, "smb2 && smb2.flags.response==0", "smb2.cmd")
    for code, cname in CMD.items():
        # events with a status: opens still open at the end of the flow get a status-less summary event
        extra = nreq_smb1_to_smb2 if code == 0 else 0
        check(name, "count of " + cname, sum(1 for s in smb2 if s["command"] == cname and "status" in s),
              reqs.get(str(code), 0) + extra)
    # session setup: one event per final leg (not STATUS_MORE_PROCESSING_REQUIRED)
    want_ss = sum(1 for v in multi(pcap, "smb2.cmd==1 && smb2.flags.response==1", "smb2.nt_status").elements() if v != "0xc0000016")
    check(name, "SMB2 SESSION_SETUP results", sum(1 for s in smb2 if s["command"] == "SMB2_COMMAND_SESSION_SETUP"), want_ss)

    # non-success statuses of SMB2 responses (interim PENDING and the NTLM first leg are not events)
    want = collections.Counter(v for v in multi(pcap, "smb2.flags.response==1 && smb2.nt_status!=0", "smb2.nt_status").elements()
                               if v not in ("0x00000103", "0xc0000016"))
    got = collections.Counter("0x%08x" % int(s["status_code"], 16) for s in smb2 if "status_code" in s and int(s["status_code"], 16) != 0)
    check(name, "SMB2 non-success statuses", got, want)

    # DCE/RPC
    want = multi(pcap, "dcerpc.pkt_type==11", "dcerpc.cn_bind_to_uuid")
    got = collections.Counter(i["uuid"] for d in rpc if d["request"] == "BIND" for i in d["interfaces"])
    check(name, "DCE/RPC bind UUIDs", got, want)
    want = multi(pcap, "dcerpc.pkt_type==0", "dcerpc.opnum")
    got = collections.Counter(str(d["opnum"]) for d in rpc if d["request"] == "REQUEST" and "opnum" in d)
    check(name, "DCE/RPC request opnums", got, want)
    want = [tuple(r) for r in fields(pcap, "svcctl.opnum==12", "svcctl.servicename", "svcctl.displayname", "svcctl.binarypathname") if any(r)]
    got = [(d["svcctl"]["service_name"], d["svcctl"].get("display_name", ""), d["svcctl"]["binary_path"])
           for d in rpc if d.get("operation") == "CreateServiceW" and "svcctl" in d]
    check(name, "svcctl CreateServiceW", sorted(got), sorted(want))

    # svcctl handle tracking: operations on a service handle name the service OpenServiceW/CreateServiceW
    # returned it for (tshark resolves the handle from the response; the handle is the request stub's first
    # 20 bytes where tshark does not dissect the operation)
    names, pend, want = {}, {}, collections.Counter()
    for st, cid, op, pt, hnd, sname, rc, stub in fields(pcap, "svcctl", "tcp.stream", "dcerpc.cn_call_id",
                                                         "svcctl.opnum", "dcerpc.pkt_type", "svcctl.hnd",
                                                         "svcctl.servicename", "svcctl.rc", "dcerpc.stub_data"):
        if "," in cid or not op:
            continue
        op = int(op)
        if pt == "0" and op in (12, 16):
            pend[(st, cid)] = sname
        elif pt == "2" and op in (12, 16) and (st, cid) in pend and rc and int(rc, 16) == 0:
            names[hnd] = pend.pop((st, cid))
        elif pt == "0" and op in SVC_HANDLE_OPS:
            h = hnd or stub[:40]
            want[(SVC_HANDLE_OPS[op], names.get(h, ""))] += 1
    got = collections.Counter((d["operation"], d.get("svcctl", {}).get("service_name", "")) for d in rpc
                              if d["request"] == "REQUEST" and d.get("operation") in SVC_HANDLE_OPS.values())
    check(name, "svcctl service names behind handles", got, want)
    svc_named += sum(n for (op, sname), n in got.items() if sname)

    # srvsvc [MS-SRVS]: the shares a NetShareEnumAll response lists (name, type, path) and what NetSrvGetInfo
    # says of the server (name, platform, version, comment)
    want = collections.Counter()
    for lvl in ("0", "1", "2", "502"):
        for row in fields(pcap, "srvsvc.opnum==15 && dcerpc.pkt_type==2", "srvsvc.srvsvc_NetShareInfo%s.name" % lvl,
                          "srvsvc.srvsvc_NetShareInfo%s.path" % lvl if lvl in ("2", "502") else "frame.number"):
            names = row[0].split(",") if row[0] else []
            paths = row[1].split(",") if lvl in ("2", "502") else [""] * len(names)
            for n, p in zip(names, paths):
                want[(n, p)] += 1
    got = collections.Counter((s["name"], s.get("path", "")) for d in rpc for s in d.get("srvsvc", {}).get("shares", []))
    check(name, "srvsvc NetShareEnumAll shares", got, want)
    srvsvc_shares += sum(got.values())
    want = collections.Counter()
    for lvl in ("101", "102"):
        f = "srvsvc.srvsvc_NetSrvInfo%s." % lvl
        for row in fields(pcap, "srvsvc.opnum==21 && dcerpc.pkt_type==2", f + "server_name", f + "platform_id",
                          f + "version_major", f + "version_minor", f + "comment"):
            if row[0]:
                want[(row[0], int(row[1]), "%s.%s" % (row[2], row[3]), row[4])] += 1
    got = collections.Counter((s["server_name"], s["platform_id"], s.get("version"), s.get("comment", ""))
                              for d in rpc for s in [d.get("srvsvc", {})] if "platform_id" in s)
    check(name, "srvsvc NetSrvGetInfo server info", got, want)
    srvsvc_servers += sum(got.values())

    # encrypted sessions are reported as such
    if fields(pcap, "smb2.protocol_id == 0xfd534d42", "frame.number"):
        if not any(s.get("encrypted") for s in smb2):
            failures.append("%s: SMB3 TRANSFORM records not reported" % name)

    # file hashes against tshark --export-objects smb
    want = set()
    # tshark also exports named-pipe traffic as objects; medsentry hands pipes to DCE/RPC instead
    pipes = set(s["filename"].lower() for s in smb if s.get("share_type") == "PIPE" and s.get("filename"))
    for f, digest, size in exported_objects(pcap):
        base = f.replace("%5c", "\\").lstrip("\\").split("(")[0].lower()
        if base in pipes:
            continue
        if size:
            want.add(digest)
    got = set(f["sha256"] for f in files if f.get("sha256") and f["size"] > 0)
    written = set(f["sha256"] for f in files if f.get("sha256") and f["direction"] == "to_server" and f["size"] > 0)
    if not want <= got:
        failures.append("%s: files exported by tshark but not hashed by medsentry: %d of %d" % (name, len(want - got), len(want)))
    if not written <= want:
        failures.append("%s: files written per medsentry but not exported by tshark: %d" % (name, len(written - want)))
    print("%s: smb %d dcerpc %d fileinfo %d (tshark objects %d)" % (name, len(smb), len(rpc), len(files), len(want)))
    shutil.rmtree(out, ignore_errors=True)

print("svcctl operations named through their handle: %d" % svc_named)
print("srvsvc: shares listed %d, server infos %d (both as tshark decodes them)" % (srvsvc_shares, srvsvc_servers))
for f in failures:
    print("FAIL", f)
sys.exit(1 if failures else 0)
