#!/usr/bin/env python3
"""Write the seeds of fuzz/corpus/smb, dcerpc and ntlmssp from every corpus capture that carries SMB or
DCE/RPC: the generated tests/data/corpus/generated/pcaps/smb_*.pcap and the public Suricata-verify
captures (tests/data/corpus/public/suricata-verify/tests/{smb,dcerpc,dce,filestore-filecontainer-smb}*).

  smb/     one seed per TCP conversation on 445/139: records [dir u8][len u16 LE][TCP payload]
           (fuzz_smb.c's input; dir 0 = from the client), capped at 64 KiB; and for SMB1 conversations
           with TRANSACTION2 / NT_TRANSACT / OPEN_ANDX, a second seed (<name>_trans_<stream>) of only the
           segments that carry those and the set-up commands before them (negotiate, session setup, tree
           connect, creates), so that the 64 KiB cap does not cut them off
  dcerpc/  one seed per conversation: the DCE/RPC PDUs tshark found (over SMB pipes or TCP) as
           [dir][len u16 LE][PDU] records (fuzz_dcerpc.c's input), capped at 64 KiB
  ntlmssp/ one seed per distinct NTLMSSP message (fuzz_ntlmssp.c takes raw bytes)

Seeds are named <capture>_<stream>[_<n>]; identical contents are written once.  A capture tshark cannot read,
or that holds nothing of a kind, is reported and skipped: one bad capture must not stop the rest (the earlier
seed run stopped at the first capture without DCE/RPC, after smb_04).
"""
import hashlib
import json
import os
import struct
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
GEN = os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps")
SV = os.path.join(REPO, "tests", "data", "corpus", "public", "suricata-verify", "tests")
OUT = os.path.join(REPO, "fuzz", "corpus")
CAP = 65536
SMB_PORTS = {"445", "139"}


def captures():
    out = []
    if os.path.isdir(GEN):
        out += [(f[:6], os.path.join(GEN, f)) for f in sorted(os.listdir(GEN)) if f.startswith("smb_") and f.endswith(".pcap")]
    for root, _dirs, files in os.walk(SV):
        rel = os.path.relpath(root, SV)
        top = rel.split(os.sep)[-1]
        if not top.startswith(("smb", "dcerpc", "dce", "filestore-filecontainer-smb")):
            continue
        caps = sorted(f for f in files if f.endswith((".pcap", ".pcapng")))
        for i, f in enumerate(caps):
            out.append(("sv_" + top + ("_%d" % i if len(caps) > 1 else ""), os.path.join(root, f)))
    return sorted(out)


def tshark(args):
    r = subprocess.run(["tshark", "-n"] + args, capture_output=True, text=True)
    if r.returncode != 0 and not r.stdout:
        raise RuntimeError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "tshark failed")
    return r.stdout


def record(d, payload):
    out = bytearray()
    for i in range(0, len(payload), 65535):
        chunk = payload[i:i + 65535]
        out += struct.pack("<BH", d, len(chunk)) + chunk
    return out


class Writer:
    def __init__(self, kind):
        self.dir = os.path.join(OUT, kind)
        os.makedirs(self.dir, exist_ok=True)
        self.seen = set()
        for f in os.listdir(self.dir):
            self.seen.add(hashlib.sha256(open(os.path.join(self.dir, f), "rb").read()).hexdigest())
        self.written = 0

    def put(self, name, data):
        data = bytes(data[:CAP])
        if not data:
            return
        h = hashlib.sha256(data).hexdigest()
        if h in self.seen:
            return
        self.seen.add(h)
        with open(os.path.join(self.dir, name), "wb") as o:
            o.write(data)
        self.written += 1


def smb_seeds(name, pcap, w):
    rows = tshark(["-r", pcap, "-Y", "tcp.len>0", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport",
                   "-e", "tcp.dstport", "-e", "tcp.payload"])
    flows = {}
    for line in rows.splitlines():
        parts = line.split("\t")
        if len(parts) != 4 or not parts[3]:
            continue
        s, sp, dp, pl = parts
        if sp not in SMB_PORTS and dp not in SMB_PORTS:
            continue
        fl = flows.setdefault(s, {"server": sp if sp in SMB_PORTS else dp, "buf": bytearray()})
        if len(fl["buf"]) > CAP:
            continue
        fl["buf"] += record(0 if dp == fl["server"] else 1, bytes.fromhex(pl.replace(":", "")))
    for s, fl in flows.items():
        w.put("%s_%s" % (name, s), fl["buf"])
    return len(flows)


# SMB1 commands kept in the _trans_ seeds: negotiate, session setup, tree connect, NT_CREATE_ANDX, OPEN_ANDX,
# WRITE_ANDX, CLOSE, RENAME, DELETE, TRANSACTION2 (+secondary), NT_TRANSACT (+secondary)
TRANS_CMDS = {0x72, 0x73, 0x75, 0xa2, 0x2d, 0x2f, 0x04, 0x07, 0x06, 0x32, 0x33, 0xa0, 0xa1}


def smb1_trans_seeds(name, pcap, w):
    rows = tshark(["-r", pcap, "-Y", "smb.cmd == 0x32 || smb.cmd == 0xa0 || smb.cmd == 0x2d", "-T", "fields",
                   "-e", "tcp.stream"])
    streams = {l.strip() for l in rows.splitlines() if l.strip()}
    if not streams:
        return 0
    rows = tshark(["-r", pcap, "-Y", "smb && tcp.len>0", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport",
                   "-e", "tcp.dstport", "-e", "smb.cmd", "-e", "tcp.payload"])
    flows = {}
    for line in rows.splitlines():
        parts = line.split("\t")
        if len(parts) != 5 or parts[0] not in streams or not parts[4]:
            continue
        s, sp, dp, cmds, pl = parts
        if not any(int(c, 16) in TRANS_CMDS for c in cmds.split(",") if c):
            continue
        buf = flows.setdefault(s, bytearray())
        if len(buf) <= CAP:
            buf += record(0 if dp in SMB_PORTS else 1, bytes.fromhex(pl.replace(":", "")))
    for s, buf in flows.items():
        w.put("%s_trans_%s" % (name, s), buf)
    return len(flows)


def raw_list(v):
    """tshark -x JSON: <proto>_raw is [hex, offset, len, bitmask, type] or a list of those."""
    if not v:
        return []
    if isinstance(v[0], list):
        return [x[0] for x in v if x and isinstance(x[0], str)]
    return [v[0]] if isinstance(v[0], str) else []


def pdu_seeds(name, pcap, wd, wn):
    out = tshark(["-r", pcap, "-Y", "dcerpc || ntlmssp", "-T", "json", "-x", "-J", "tcp dcerpc ntlmssp"])
    if not out.strip():
        return 0, 0
    flows, ndc, nnt = {}, 0, 0
    for pkt in json.loads(out):
        lay = pkt.get("_source", {}).get("layers", {})
        tcp = lay.get("tcp", {})
        s, sp, dp = tcp.get("tcp.stream"), tcp.get("tcp.srcport"), tcp.get("tcp.dstport")
        if s is None:
            continue
        fl = flows.setdefault(s, {"client": sp, "buf": bytearray()})
        if dp in SMB_PORTS or dp == "135":
            fl["client"] = sp
        d = 0 if sp == fl["client"] else 1
        for hx in raw_list(lay.get("dcerpc_raw")):
            if len(fl["buf"]) <= CAP:
                fl["buf"] += record(d, bytes.fromhex(hx))
                ndc += 1
    for s, fl in flows.items():
        wd.put("%s_%s" % (name, s), fl["buf"])
    # NTLMSSP sits deep inside SMB session setups (smb2 > gss-api > spnego > ntlmssp): search the tree,
    # iteratively (a work list, no recursion on the input's nesting)
    out = tshark(["-r", pcap, "-Y", "ntlmssp", "-T", "json", "-x"])
    for pkt in json.loads(out) if out.strip() else []:
        frame = pkt.get("_source", {}).get("layers", {}).get("frame", {}).get("frame.number", "0")
        work, i = [pkt.get("_source", {}).get("layers", {})], 0
        while work:
            node = work.pop()
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "ntlmssp_raw":
                        for hx in raw_list(v):
                            wn.put("%s_%s_%d" % (name, frame, i), bytes.fromhex(hx))
                            i += 1
                            nnt += 1
                    else:
                        work.append(v)
            elif isinstance(node, list):
                work.extend(node)
    return ndc, nnt


def main():
    ws, wd, wn = Writer("smb"), Writer("dcerpc"), Writer("ntlmssp")
    failed = 0
    for name, pcap in captures():
        try:
            nflows = smb_seeds(name, pcap, ws) + smb1_trans_seeds(name, pcap, ws)
            ndc, nnt = pdu_seeds(name, pcap, wd, wn)
            print("%-48s smb flows %3d  dcerpc PDUs %4d  ntlmssp %3d" % (name, nflows, ndc, nnt))
        except (RuntimeError, ValueError, KeyError, OSError) as e:
            failed += 1
            print("%-48s skipped: %s" % (name, e))
    print("new seeds: smb %d, dcerpc %d, ntlmssp %d; captures skipped %d" % (ws.written, wd.written, wn.written, failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
