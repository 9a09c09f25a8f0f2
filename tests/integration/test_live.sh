#!/bin/bash
# test_live.sh - live capture on the loopback interface: a BPF filter keeps only our traffic, a quiet link still
# lets flows time out (time moves without packets), SIGINT flushes everything, and the final stats carry the
# kernel's counters.  Needs root (packet capture); skipped otherwise.  Traffic: 5 UDP datagrams to 127.0.0.1.
set -u
[ "$(id -u)" -eq 0 ] || { echo "skip: live capture needs root"; exit 77; }
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
out=$TMPDIR/live
port=$((20000 + RANDOM % 20000))
"$MEDSENTRY" --set flow.timeouts.udp.new=2 -i lo -l "$out" "udp port $port" 2>"$TMPDIR/err" &
pid=$!
# wait until the capture is open (the sensor says so on stderr)
for _ in $(seq 50); do grep -q "capturing on lo" "$TMPDIR/err" && break; sleep 0.1; done
sleep 0.3
python3 - "$port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"medsentry live test %d" % i, ("127.0.0.1", int(sys.argv[1])))
s.sendto(b"not ours", ("127.0.0.1", int(sys.argv[1]) + 1))
PY
sleep 3.5   # > the 2 s UDP timeout: the flow must end by timeout while the link is quiet
kill -INT "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: exit $rc"; cat "$TMPDIR/err"; exit 1; }
python3 - "$out/eve.json" "$port" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
port = int(sys.argv[2])
flows = [e for e in ev if e["event_type"] == "flow"]
assert len(flows) == 1, f"expected exactly our one flow (filter), got {len(flows)}"
f = flows[0]
assert f["dest_port"] == port and f["proto"] == "UDP", f
assert f["flow"]["pkts_toserver"] == 5 and f["flow"]["pkts_toclient"] == 0, f["flow"]
assert f["flow"]["reason"] == "timeout", f"quiet link: the flow should time out, got {f['flow']['reason']}"
stats = [e for e in ev if e["event_type"] == "stats"]
assert stats and stats[-1]["stats"]["final"], "final stats event missing"
cap = stats[-1]["stats"]["capture"]
assert "kernel_packets" in cap and cap["kernel_drops"] == 0, cap
assert stats[-1]["stats"]["decoder"]["pkts"] == 5, stats[-1]["stats"]["decoder"]
print("live: 1 flow, 5 packets, timed out on a quiet link, flushed on SIGINT")
PY
