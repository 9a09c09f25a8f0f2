#!/usr/bin/env python3
"""test_assets_scale.py - one DICOM client associating with 300 servers (issue 8: the inventory crashed, a
heap-use-after-free, once one host had talked to 17 peers).

The first association of the corpus capture dicom_01_echo.pcap (127.0.0.1 -> 127.0.0.20: A-ASSOCIATE-RQ/AC,
C-ECHO, A-RELEASE) is re-addressed 300 times with tcprewrite --pnat, the client always to 10.0.0.1, the server to
10.1.<k/200>.<k%200+1>, and the copies merged with mergecap into one capture.  Checks:
  - exit 0 and no sanitizer report on stderr (run.sh runs this under the ASan+UBSan binary too);
  - assets.json lists exactly the 301 hosts; the client is an SCU calling from RADWS01, every server an SCP called
    ORTHANC whose only peer is the client; the client's peers are 32 (the list's bound) distinct servers;
  - one `asset` event "new" per host; stats: assets.hosts 301, evicted 0, memcap.assets within its cap;
  - with --set assets.memcap=64kb: eviction, and its bookkeeping adds up (new events = hosts held + evicted), the
    client (in every association) is never the one evicted, memcap.assets.peak within the cap.
Env: MEDSENTRY (binary), REPO (repository root), TMPDIR.  Exit 0 pass, 1 fail, 77 skip (no binary or no tcprewrite).
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mslib  # noqa: E402

SOURCE = os.path.join(mslib.CORPUS, "generated", "pcaps", "dicom_01_echo.pcap")
N_SERVERS = 300
PEERS_MAX = 32  # ASSET_MAX_PEERS
CLIENT = "10.0.0.1"
SANITIZER = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:")

failures = []


def fail(msg):
    failures.append(msg)


def server_ip(k):
    return "10.1.%d.%d" % (k // 200, k % 200 + 1)


def build_capture(tmp):
    """300 re-addressed copies of the first association, merged: the path of the merged capture."""
    first = os.path.join(tmp, "first.pcap")
    # frames 1-20: the 127.0.0.1 -> 127.0.0.20 connection, handshake to the last ACK
    subprocess.run(["editcap", "-r", SOURCE, first, "1-20"], check=True, capture_output=True)

    def rewrite(k):
        out = os.path.join(tmp, "copy%03d.pcap" % k)
        pnat = "127.0.0.1/32:%s/32,127.0.0.20/32:%s/32" % (CLIENT, server_ip(k))
        subprocess.run(["tcprewrite", "--pnat=" + pnat, "--fixcsum", "--infile=" + first, "--outfile=" + out],
                       check=True, capture_output=True)
        return out

    copies = mslib.pmap(rewrite, range(N_SERVERS))
    merged = os.path.join(tmp, "one_client_300_servers.pcap")
    subprocess.run(["mergecap", "-F", "pcap", "-w", merged] + copies, check=True, capture_output=True)
    for c in copies:
        os.unlink(c)
    return merged


def run(capture, args=()):
    r = mslib.run_medsentry(capture, args=args, dump=False, use_cache=False, timeout=120)
    if r.rc != 0:
        fail("%s: exit %d: %s" % (" ".join(r.cmd), r.rc, r.stderr[-2000:]))
    if any(s in r.stderr for s in SANITIZER):
        fail("%s: sanitizer report:\n%s" % (" ".join(r.cmd), r.stderr[-4000:]))
    path = os.path.join(r.logdir, "assets.json")
    try:
        with open(path) as f:
            records = json.load(f)
    except (OSError, ValueError) as ex:
        fail("%s: %s" % (path, ex))
        records = []
    stats = [e["stats"] for e in r.events if e.get("event_type") == "stats"]
    assets = [e["asset"] for e in r.events if e.get("event_type") == "asset"]
    return records, (stats[-1] if stats else {}), assets


def check_default(capture):
    records, stats, assets = run(capture)
    by_ip = {}
    for rec in records:
        if rec["ip"] in by_ip:
            fail("assets.json: %s twice" % rec["ip"])
        by_ip[rec["ip"]] = rec
    servers = {server_ip(k) for k in range(N_SERVERS)}
    if set(by_ip) != servers | {CLIENT}:
        missing = sorted((servers | {CLIENT}) - set(by_ip))[:5]
        extra = sorted(set(by_ip) - servers - {CLIENT})[:5]
        fail("assets.json: %d hosts, want %d (missing %s, unexpected %s)" % (len(by_ip), N_SERVERS + 1, missing, extra))
    c = by_ip.get(CLIENT, {})
    if c.get("dicom_role") != "SCU" or c.get("ae_titles_calling") != ["RADWS01"]:
        fail("client %s: role %s, calling %s" % (CLIENT, c.get("dicom_role"), c.get("ae_titles_calling")))
    peers = c.get("peers", [])
    if len(peers) != PEERS_MAX or len(set(peers)) != PEERS_MAX or not set(peers) <= servers:
        fail("client peers: %d (%d distinct), want %d distinct servers: %s" % (len(peers), len(set(peers)),
                                                                              PEERS_MAX, peers[:5]))
    bad = [ip for ip in servers if ip in by_ip and (by_ip[ip].get("dicom_role") != "SCP" or by_ip[ip].get("peers") !=
                                                    [CLIENT] or by_ip[ip].get("ae_titles_called") != ["ORTHANC"])]
    if bad:
        fail("%d servers without role SCP, peers [%s] and called AE ORTHANC, e.g. %s" % (len(bad), CLIENT,
                                                                                        by_ip.get(bad[0])))
    new = [a["ip"] for a in assets if a.get("change") == "new"]
    if len(new) != N_SERVERS + 1 or set(new) != set(by_ip):
        fail("%d asset events 'new' for %d distinct hosts, want one per host (%d)" % (len(new), len(set(new)),
                                                                                     N_SERVERS + 1))
    st = stats.get("assets", {})
    mc = stats.get("memcap", {}).get("assets", {})
    if st.get("hosts") != N_SERVERS + 1 or st.get("evicted") != 0:
        fail("stats.assets %s, want hosts %d, evicted 0" % (st, N_SERVERS + 1))
    if not mc or not 0 < mc.get("used", 0) <= mc.get("peak", 0) <= mc.get("cap", 0) or mc.get("hits") != 0:
        fail("stats.memcap.assets %s" % mc)
    print("default memcap: %d hosts, client peers %d, memcap.assets used %s of %s" % (len(by_ip), len(peers),
                                                                                   mc.get("used"), mc.get("cap")))


def check_small_memcap(capture):
    records, stats, assets = run(capture, ["--set", "assets.memcap=64kb"])
    st = stats.get("assets", {})
    mc = stats.get("memcap", {}).get("assets", {})
    held = {rec["ip"] for rec in records}
    new = [a["ip"] for a in assets if a.get("change") == "new"]
    if not st.get("evicted"):
        fail("64kb: no host evicted: %s" % st)
    if st.get("hosts") != len(held) or len(held) >= N_SERVERS + 1:
        fail("64kb: stats.assets %s, assets.json %d hosts" % (st, len(held)))
    if len(new) != len(held) + st.get("evicted", -1):
        fail("64kb: %d 'new' events, but %d held + %s evicted" % (len(new), len(held), st.get("evicted")))
    if CLIENT not in held or new.count(CLIENT) != 1:
        fail("64kb: the client (in every association) was evicted: held %s, new %d times" % (CLIENT in held,
                                                                                            new.count(CLIENT)))
    if mc.get("cap") != 64 << 10 or not mc.get("peak", 1 << 30) <= mc["cap"] or not mc.get("hits"):
        fail("64kb: stats.memcap.assets %s" % mc)
    print("assets.memcap=64kb: %d hosts held, %s evicted, %d 'new' events, peak %s" % (len(held), st.get("evicted"),
                                                                                     len(new), mc.get("peak")))


def main():
    mslib.need_binary()
    for tool in ("tcprewrite", "mergecap", "editcap"):
        if not shutil.which(tool):
            mslib.skip("%s not installed (Debian packages tcpreplay, wireshark-common)" % tool)
    tmp = os.environ.get("TMPDIR") or "/tmp"
    capture = build_capture(tmp)
    check_default(capture)
    check_small_memcap(capture)
    for f in failures:
        print("FAIL: " + f)
    print("test_assets_scale: %d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
