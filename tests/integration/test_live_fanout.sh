#!/bin/bash
# test_live_fanout.sh - live capture with worker threads, for both capture methods (docs/DESIGN.md, "Live capture").
#
# Inside a network namespace of its own (unshare --net): a veth pair vfo0 <-> vfo1, IPv6 off in the namespace (so
# the kernel sends nothing of its own: no router solicitation, no DAD), medsentry -i vfo1 --threads 2 with
# capture.method af-packet (one TPACKET_V3 socket per worker in a PACKET_FANOUT_HASH group), then pcap (libpcap,
# one reader thread).  tcpreplay sends a few corpus captures (DICOM, SMB and DCE/RPC, HL7, HTTP over IPv6, DNS over
# UDP and TCP) out of vfo0 at their recorded pace; medsentry runs as nobody with the seccomp filter on and is
# stopped with SIGTERM by its pid.  Checked:
#   - the events equal those of the offline runs of the same captures (-r, --threads 2), compared as a multiset of
#     the events with their meaningful fields: everything but timestamps, flow ids, durations and latencies (*_us)
#     and why a flow ended (timeout or shutdown: live timing may put a flow's last packet on either side of its
#     timeout);
#   - stats: capture.method is the method asked for, kernel drops and ring freezes are 0, the packets of the
#     workers add up to the packets tcpreplay sent, and so do decoder.pkts and (af-packet) the sockets' kernel
#     counts;
#   - af-packet: one socket per worker; a fanout group id already taken (by a socket of another fanout type on the
#     interface) makes the sensor pick another id, not fall back; an unknown interface fails over to libpcap with
#     one stderr line.
# Needs root and network namespaces; skipped (77) otherwise.
set -u
[ "$(id -u)" -eq 0 ] || { echo "skip: live capture in a network namespace needs root"; exit 77; }
for t in unshare ip tcpreplay python3; do
    command -v $t >/dev/null || { echo "skip: no $t"; exit 77; }
done
unshare --net true 2>/dev/null || { echo "skip: cannot create a network namespace (unshare --net)"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }

# the corpus (tests/data/corpus, else the shared copy it is made from)
G=$REPO/tests/data/corpus/generated/pcaps
[ -r "$G/dicom_01_echo.pcap" ] || G=/work/shared/corpus/generated/pcaps
P=$REPO/tests/data/corpus/public/packets
[ -r "$P/dns_tcp.pcapng" ] || P=/work/shared/corpus/public/packets
CAPS="$G/dicom_01_echo.pcap $G/dicom_03_find_orthanc.pcap $G/dicom_06_reject_wrong_called_ae.pcap
$G/smb_05_failed_logins.pcap $G/smb_08_rpc_recon.pcap $G/hl7_01_mllp_adt.pcap $G/http_03_ipv6_get.pcap
$P/dns_query_response.pcapng $P/dns_tcp.pcapng $P/http_google.pcapng"
for c in $CAPS; do [ -r "$c" ] || { echo "skip: corpus capture $c missing"; exit 77; }; done

command -v editcap >/dev/null || { echo "skip: no editcap (tshark)"; exit 77; }
# a directory the run-as user can reach (the runner's is private)
W=$(mktemp -d /tmp/medsentry-fanout.XXXXXX) || exit 1
[ -n "${KEEP_FANOUT:-}" ] || trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# One capture of them all, one after the other (each shifted to start 0.1 s after the previous one ends): tcpreplay
# sends it, and the offline run reads it, so that the inventory and the detectors see the same sequence both ways.
i=0
for c in $CAPS; do
    editcap -F pcap "$c" "$W/part$i.pcap" || { echo "FAIL: editcap $c"; exit 1; }
    i=$((i + 1))
done
python3 - "$W/merged.pcap" "$W"/part*.pcap <<'PY' || exit 1
import struct, sys
out, parts = sys.argv[1], sorted(sys.argv[2:], key=lambda p: int(p.rsplit("part", 1)[1].split(".")[0]))
recs, t_next = [], 0
for p in parts:
    b = open(p, "rb").read()
    assert b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"), p  # little-endian pcap, us or ns
    div = 1 if b[:4] == b"\xd4\xc3\xb2\xa1" else 1000
    off, pk = 24, []
    while off + 16 <= len(b):
        sec, frac, incl, orig = struct.unpack("<IIII", b[off:off + 16])
        pk.append((sec * 1000000 + frac // div, orig, b[off + 16:off + 16 + incl]))
        off += 16 + incl
    base = pk[0][0]
    start = t_next or base
    for ts, orig, data in pk:
        recs.append((start + ts - base, orig, data))
    t_next = recs[-1][0] + 100000
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    for ts, orig, data in recs:
        f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(data), orig) + data)
PY
# offline reference: the same capture, two workers
"$MEDSENTRY" -q -r "$W/merged.pcap" --threads 2 -l "$W/off" || fail "offline run: exit $?"
# the live runs get the offline run's PHI key (privacy.key-file), so that a patient hashes the same
for m in af-packet pcap; do
    mkdir -p "$W/live-$m" && cp "$W/off/medsentry.key" "$W/live-$m/" && chown -R nobody "$W/live-$m"
done

cat >"$W/ns.sh" <<'NS'
set -u
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
ip link add vfo0 mtu 9000 type veth peer name vfo1 mtu 9000 || exit 3
ip link set vfo0 up && ip link set vfo1 up || exit 3
sleep 0.3
for m in af-packet pcap; do
    out=$W/live-$m
    "$MEDSENTRY" -u nobody -i vfo1 --threads 2 --set capture.method=$m -l "$out" 2>"$W/$m.err" &
    pid=$!
    for _ in $(seq 100); do grep -q "capturing on vfo1" "$W/$m.err" && break; sleep 0.1; done
    sleep 0.3
    tcpreplay -q -i vfo0 "$W/merged.pcap" >"$W/$m.replay" 2>&1
    echo "replay_rc=$?" >"$W/$m.rc"
    sleep 1
    kill -TERM "$pid"
    wait "$pid"
    echo "rc=$?" >>"$W/$m.rc"
done
# a fanout group id taken: another socket holds the id the sensor will pick (its pid's low 16 bits) with another
# fanout type on the same interface; the sensor must move to another id and still capture with af-packet
python3 - "$MEDSENTRY" "$W" <<'PY' >"$W/collide.out" 2>&1
import os, signal, socket, struct, sys, time
bin, W = sys.argv[1:]
open(W + "/collide.err", "w").close()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.read(r, 1)
    fd = os.open(W + "/collide.err", os.O_WRONLY)
    os.dup2(fd, 2)
    os.execv(bin, [bin, "-i", "vfo1", "--threads", "2", "-l", W + "/collide"])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("vfo1", 3))
s.setsockopt(263, 18, struct.pack("i", (pid & 0xffff) | (1 << 16)))  # SOL_PACKET, PACKET_FANOUT, type LB
os.write(w, b"x")
for _ in range(100):
    if "capturing on" in open(W + "/collide.err").read():
        break
    time.sleep(0.1)
os.kill(pid, signal.SIGTERM)
print("collide_rc=%d" % os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
# an interface AF_PACKET cannot capture on: the fallback is said once, then libpcap fails on its own terms
"$MEDSENTRY" -i no-such-if0 -l "$W/nosuch" 2>"$W/nosuch.err"
echo "nosuch_rc=$?" >"$W/nosuch.rc"
NS
W=$W MEDSENTRY=$MEDSENTRY unshare --net bash "$W/ns.sh"
[ $? -eq 3 ] && { echo "skip: cannot create a veth pair in the namespace"; exit 77; }

for m in af-packet pcap; do
    grep -q "^replay_rc=0" "$W/$m.rc" || fail "$m: tcpreplay failed: $(cat "$W/$m.replay")"
    grep -q "^rc=0" "$W/$m.rc" || fail "$m: medsentry exit $(sed -n 's/^rc=//p' "$W/$m.rc"): $(head -c 600 "$W/$m.err")"
done
if [ "$(grep -c . "$W/nosuch.err")" -ne 2 ] || ! grep -q "capture.method af-packet: .*capturing with libpcap instead" "$W/nosuch.err"; then
    fail "unknown interface: expected one fallback line and libpcap's error, got: $(cat "$W/nosuch.err")"
fi
grep -q "^nosuch_rc=1" "$W/nosuch.rc" || fail "unknown interface: $(cat "$W/nosuch.rc")"
if ! grep -q "^collide_rc=0" "$W/collide.out" || grep -q "libpcap instead" "$W/collide.err" ||
    ! grep -q '"method":"af-packet"' "$W/collide/eve.json"; then
    fail "fanout group id taken: $(cat "$W/collide.out" "$W/collide.err")"
fi

python3 - "$W" <<'PY' || fails=$((fails + 1))
import collections, json, os, re, sys
W = sys.argv[1]
DROP = {"timestamp", "flow_id", "start", "end", "age", "reason", "first_seen", "last_seen", "uptime", "pcap_cnt",
        "time", "ts", "flow_ids"}

def norm(v):
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if k not in DROP and not k.endswith("_us")}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v

def events(path):
    evs = [json.loads(l) for l in open(path)]
    return [e for e in evs if e["event_type"] != "stats"], [e for e in evs if e["event_type"] == "stats"]

ev, _ = events(os.path.join(W, "off", "eve.json"))
ref = collections.Counter(json.dumps(norm(e), sort_keys=True) for e in ev)

sent, failed = 0, False
for m in ("af-packet", "pcap"):
    rep = open(os.path.join(W, m + ".replay")).read()
    n = [int(x) for x in re.findall(r"Actual: (\d+) packets", rep)]
    assert n, f"{m}: no packet count in tcpreplay's output: {rep}"
    sent = sum(n)
    ev, st = events(os.path.join(W, "live-" + m, "eve.json"))
    got = collections.Counter(json.dumps(norm(e), sort_keys=True) for e in ev)
    bad = False
    if got != ref:
        bad = True
        only_ref, only_got = ref - got, got - ref
        print(f"{m}: events differ from the offline runs: {sum(only_ref.values())} only offline, "
              f"{sum(only_got.values())} only live")
        for k in list(only_ref)[:6]:
            print("  offline only:", k[:600])
        for k in list(only_got)[:6]:
            print("  live only:   ", k[:600])
    s = st[-1]["stats"] if st else {}
    cap, thr, dec = s.get("capture", {}), s.get("threading", {}), s.get("decoder", {})
    wp = thr.get("worker_packets", [])
    problems = []
    if not s.get("final"):
        problems.append("no final stats event")
    if cap.get("method") != m:
        problems.append(f"capture.method {cap.get('method')!r}")
    if cap.get("kernel_drops") != 0 or cap.get("kernel_freezes") != 0:
        problems.append(f"kernel drops {cap.get('kernel_drops')}, freezes {cap.get('kernel_freezes')}")
    if thr.get("workers") != 2 or sum(wp) != sent:
        problems.append(f"worker packets {wp} (sum {sum(wp)}) for {sent} sent")
    if dec.get("pkts") != sent:
        problems.append(f"decoder.pkts {dec.get('pkts')} for {sent} sent")
    if m == "af-packet":
        socks = cap.get("sockets", [])
        if len(socks) != 2 or sum(x["kernel_packets"] for x in socks) != sent or \
                cap.get("kernel_packets") != sent:
            problems.append(f"sockets {socks}, kernel_packets {cap.get('kernel_packets')} for {sent} sent")
    if problems:
        bad = True
        print(f"{m}: " + "; ".join(problems))
    print(f"{m}: {sent} packets sent, {dec.get('pkts')} analysed (workers {wp}), kernel drops "
          f"{cap.get('kernel_drops')}, freezes {cap.get('kernel_freezes')}; {sum(got.values())} events "
          f"{'!=' if got != ref else '=='} offline's {sum(ref.values())}")
    failed = failed or bad
sys.exit(1 if failed else 0)
PY

[ $fails -eq 0 ] || exit 1
echo "live fanout: af-packet and pcap with 2 workers write the offline run's events"
