#!/bin/bash
# test_sandbox.sh - the privilege drop, the seccomp filter, file modes and ownership, -D/--pidfile
# (docs/HARDENING.md).  Needs root (to drop privileges and to capture); skipped otherwise.
#   1. file mode under the filter, with --extract-files and --dump-streams: exit 0, outputs written
#   2. the hidden hook makes one forbidden call: the process dies with status 159 and exactly one line naming it;
#      with outputs.redis on, a stream socket made by the main thread (only the Redis sender thread may) is refused
#      the same way; with --no-seccomp or sandbox.seccomp=no the hook is harmless (exit 0)
#   3. -u nobody, file mode: directories and files created for nobody, eve.json/assets.json 0640, key 0600
#   4. -u nobody with a log directory nobody cannot write: refused before anything is written
#   5. live capture as nobody in a private network namespace (its own loopback; nothing leaves it): while it runs,
#      /proc/PID/status shows uid/gid 65534 everywhere, no capability, NoNewPrivs 1, Seccomp 2; the traffic is seen
#   6. -D --pidfile in that namespace: the parent exits 0 once the daemon runs; the pidfile holds its pid; a second
#      start is refused; SIGTERM ends it and removes the pidfile; a stale pidfile is replaced; a pidfile that is a
#      symbolic link is refused
set -u
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root (privilege drop, capture)"; exit 77; }
: "${MEDSENTRY:?}" "${REPO:?}"
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "skip: no user nobody"; exit 77; }
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
PCAP=$REPO/samples/imaging-network.pcap
SMB=$REPO/tests/data/corpus/generated/pcaps/smb_06_benign_images_share.pcap
# a directory nobody can reach (run.sh's TMPDIR is 0700)
W=$(mktemp -d /tmp/medsentry-sandbox.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
mode_owner() { stat -c '%a %u:%g' "$1"; }

# 1. file mode under the filter, every output
"$MEDSENTRY" -r "$SMB" -l "$W/f1" --extract-files "$W/f1/x" --dump-streams "$W/f1/d" 2>"$W/f1.err"
rc=$?
nx=$(find "$W/f1/x" -type f 2>/dev/null | wc -l)
nd=$(find "$W/f1/d" -type f 2>/dev/null | wc -l)
if [ $rc -eq 0 ] && [ "$nx" -gt 0 ] && [ "$nd" -gt 0 ] && [ -s "$W/f1/assets.json" ] && ! grep -q seccomp "$W/f1.err"; then
    ok "file mode under seccomp: exit 0, $nx extracted files, $nd stream dumps, assets.json"
else
    fail "file mode under seccomp: exit $rc, $nx extracted, $nd dumps: $(head -c 400 "$W/f1.err")"
fi
[ "$(stat -c %a "$W/f1/eve.json")" = 640 ] || fail "eve.json mode $(stat -c %a "$W/f1/eve.json"), want 640"
[ "$(stat -c %a "$W/f1/medsentry.key")" = 600 ] || fail "medsentry.key mode $(stat -c %a "$W/f1/medsentry.key"), want 600"
bad=$(find "$W/f1/x" "$W/f1/d" -type f ! -perm 640 | head -1)
[ -z "$bad" ] || fail "an extracted file or stream dump is not 0640: $bad $(stat -c %a "$bad")"
# '-r -' (standard input) too
"$MEDSENTRY" -r - -l "$W/f1s" <"$PCAP" 2>"$W/f1s.err" || fail "-r - under seccomp: $(head -c 300 "$W/f1s.err")"

# 2. the hidden hook: one forbidden call after the filter
MEDSENTRY_TEST_FORBIDDEN_SYSCALL=1 "$MEDSENTRY" -r "$PCAP" -l "$W/f2" 2>"$W/f2.err"
rc=$?
n=$(wc -l <"$W/f2.err")
if [ $rc -eq 159 ] && [ "$n" -eq 1 ] &&
    grep -qx 'medsentry: error: seccomp: forbidden system call 41 (socket)' "$W/f2.err"; then
    ok "forbidden call: exit 159, '$(cat "$W/f2.err")'"
else
    fail "forbidden call: exit $rc (want 159), $n lines: $(head -c 400 "$W/f2.err")"
fi
[ -s "$W/f2/eve.json" ] && fail "forbidden call: the run went on and wrote events"
# with outputs.redis the network calls are the Redis sender thread's only: a stream socket from the main thread
# (the hook, =2) is refused there too (nothing listens on port 1: the output only counts its failures)
MEDSENTRY_TEST_FORBIDDEN_SYSCALL=2 "$MEDSENTRY" -r "$PCAP" -l "$W/f2r" --set outputs.redis.enabled=yes \
    --set outputs.redis.server=127.0.0.1:1 2>"$W/f2r.err"
rc=$?
if [ $rc -eq 159 ] && grep -qx 'medsentry: error: seccomp: forbidden system call 41 (socket)' "$W/f2r.err"; then
    ok "stream socket outside the Redis sender thread: exit 159"
else
    fail "stream socket outside the Redis sender thread: exit $rc (want 159): $(head -c 400 "$W/f2r.err")"
fi
for off in --no-seccomp "--set sandbox.seccomp=no"; do
    # shellcheck disable=SC2086
    MEDSENTRY_TEST_FORBIDDEN_SYSCALL=1 "$MEDSENTRY" $off -r "$PCAP" -l "$W/f2b" 2>"$W/f2b.err" ||
        fail "hook with $off: exit $?: $(head -c 300 "$W/f2b.err")"
done
rm -rf "$W/f2b"

# 3. -u nobody, file mode
"$MEDSENTRY" -u nobody -r "$SMB" -l "$W/f3/logs" --extract-files "$W/f3/x" 2>"$W/f3.err"
rc=$?
[ $rc -eq 0 ] || fail "-u nobody file mode: exit $rc: $(head -c 400 "$W/f3.err")"
want="$NOBODY_UID:$NOBODY_GID"
for f in logs logs/eve.json logs/assets.json logs/medsentry.key x; do
    o=$(stat -c '%u:%g' "$W/f3/$f" 2>/dev/null)
    [ "$o" = "$want" ] || fail "-u nobody: $f owned by $o, want $want"
done
[ "$(stat -c %a "$W/f3/logs/assets.json")" = 640 ] || fail "assets.json mode $(stat -c %a "$W/f3/logs/assets.json")"
[ "$(find "$W/f3/x" -type f ! -user nobody | wc -l)" -eq 0 ] || fail "-u nobody: an extracted file not owned by nobody"
[ "$(find "$W/f3/x" -type f | wc -l)" -gt 0 ] || fail "-u nobody: nothing extracted"
[ $rc -eq 0 ] && ok "-u nobody: outputs $(mode_owner "$W/f3/logs/eve.json") (eve.json), key $(mode_owner "$W/f3/logs/medsentry.key")"
# a second run appends to what the first (root, giving to nobody) created
# (the key exists now: libcrypto's first use would otherwise come under the filter, at the first hash or name)
"$MEDSENTRY" -u nobody -r "$PCAP" -l "$W/f3/logs" 2>"$W/f3b.err" || fail "-u nobody second run: $(head -c 300 "$W/f3b.err")"
"$MEDSENTRY" -r "$SMB" -l "$W/f3/logs" 2>"$W/f3c.err" || fail "second run, SMB first: $(head -c 300 "$W/f3c.err")"

# 4. a log directory nobody cannot write
mkdir -p "$W/f4"
chmod 755 "$W/f4"
"$MEDSENTRY" -u nobody -r "$PCAP" -l "$W/f4" 2>"$W/f4.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$W/f4.err")" -eq 1 ] && grep -q "f4: not writable by nobody" "$W/f4.err" &&
    [ ! -e "$W/f4/eve.json" ]; then
    ok "unwritable log directory: exit 1, '$(cat "$W/f4.err")', nothing written"
else
    fail "unwritable log directory: exit $rc: $(head -c 300 "$W/f4.err"); $(ls "$W/f4")"
fi

# 5 and 6 run inside a private network namespace: its loopback is ours alone.
command -v unshare >/dev/null && command -v ip >/dev/null || { echo "skip (live part): no unshare/ip"; exit $((fails > 0)); }
cat >"$W/ns.sh" <<'NS'
set -u
ip link set lo up
port=23456
M=$MEDSENTRY
out=$W/live
"$M" -u nobody --set flow.timeouts.udp.new=2 -i lo -l "$out" "udp port $port" 2>"$W/live.err" &
pid=$!
for _ in $(seq 50); do grep -q "capturing on lo" "$W/live.err" && break; sleep 0.1; done
sleep 0.2
grep -E '^(Uid|Gid|Groups|CapPrm|CapEff|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid/status" >"$W/live.status"
python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b'sandboxed live test %d' % i, ('127.0.0.1', $port))
"
# the flow times out 2 s after its last packet, at the next whole-second tick; wait for its record (at most 10 s:
# under ASan on a loaded machine a fixed sleep was too short), then stop
sleep 2
for _ in $(seq 80); do grep -q '"event_type":"flow"' "$out/eve.json" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
echo "live_rc=$?" >"$W/live.rc"

# 6. -D --pidfile
P=$W/run/medsentry.pid
mkdir -p "$W/run" && chown nobody "$W/run"
"$M" -D --pidfile "$P" -u nobody -i lo -l "$W/d1" "udp port $port" 2>"$W/d1.err"
echo "d_rc=$?" >"$W/d.rc"
sleep 0.3
dpid=$(cat "$P" 2>/dev/null)
echo "dpid=$dpid comm=$(cat /proc/$dpid/comm 2>/dev/null) ppid=$(awk '/^PPid/ {print $2}' /proc/$dpid/status 2>/dev/null)" >>"$W/d.rc"
"$M" --pidfile "$P" -i lo -l "$W/d2" 2>"$W/d2.err"
echo "second_rc=$?" >>"$W/d.rc"
kill -TERM "$dpid" 2>/dev/null
for _ in $(seq 50); do [ -d "/proc/$dpid" ] || break; sleep 0.1; done
echo "after_term_pidfile=$([ -e "$P" ] && echo present || echo removed)" >>"$W/d.rc"
# stale: a pid that runs no medsentry (our own shell)
echo $$ >"$P"
"$M" -D --pidfile "$P" -i lo -l "$W/d3" 2>"$W/d3.err"
echo "stale_rc=$?" >>"$W/d.rc"
sleep 0.3
spid=$(cat "$P" 2>/dev/null)
[ -n "$spid" ] && [ "$spid" != $$ ] && kill -TERM "$spid" 2>/dev/null
for _ in $(seq 50); do [ -d "/proc/$spid" ] || break; sleep 0.1; done
echo "stale_pid_replaced=$([ -n "$spid" ] && [ "$spid" != $$ ] && echo yes || echo no)" >>"$W/d.rc"
# a pidfile that is a link
rm -f "$P"
ln -s "$W/victim" "$P"
echo untouched >"$W/victim"
"$M" --pidfile "$P" -i lo -l "$W/d4" 2>"$W/d4.err"
echo "link_rc=$?" >>"$W/d.rc"

# 7. started as nobody with ambient CAP_NET_RAW/CAP_NET_ADMIN (the systemd unit's way): capture opens, then the
#    capabilities are gone
if command -v setpriv >/dev/null; then
    mkdir -p "$W/amb" && chown nobody:nogroup "$W/amb"
    setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_raw,+net_admin \
        --ambient-caps=+net_raw,+net_admin "$M" -i lo -l "$W/amb" "udp port $port" 2>"$W/amb.err" &
    apid=$!
    for _ in $(seq 50); do grep -q "capturing on lo" "$W/amb.err" && break; sleep 0.1; done
    sleep 0.2
    grep -E '^(Uid|CapPrm|CapEff|CapAmb|NoNewPrivs|Seccomp):' "/proc/$apid/status" >"$W/amb.status"
    kill -INT $apid
    wait $apid
    echo "amb_rc=$?" >>"$W/d.rc"
fi
NS
W=$W MEDSENTRY=$MEDSENTRY unshare --net bash "$W/ns.sh"

# 5. results
f0=$fails
rc=$(sed -n 's/^live_rc=//p' "$W/live.rc" 2>/dev/null)
[ "$rc" = 0 ] || fail "live as nobody: exit ${rc:-?}: $(head -c 400 "$W/live.err")"
st=$W/live.status
for want in "Uid:	$NOBODY_UID	$NOBODY_UID	$NOBODY_UID	$NOBODY_UID" "Gid:	$NOBODY_GID	$NOBODY_GID	$NOBODY_GID	$NOBODY_GID" \
    "CapPrm:	0000000000000000" "CapEff:	0000000000000000" "CapAmb:	0000000000000000" "NoNewPrivs:	1" "Seccomp:	2"; do
    grep -qF "$want" "$st" || fail "live as nobody: /proc status lacks '$want': $(tr '\n' ' ' <"$st")"
done
grep -qE "^Groups:	$NOBODY_GID ?$" "$st" || fail "live as nobody: supplementary groups: $(grep Groups "$st")"
python3 - "$W/live/eve.json" <<'PY' || fail "live as nobody: events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
flows = [e for e in ev if e["event_type"] == "flow"]
assert len(flows) == 1 and flows[0]["flow"]["pkts_toserver"] == 5, flows
assert flows[0]["flow"]["reason"] == "timeout", flows[0]["flow"]
st = [e for e in ev if e["event_type"] == "stats"][-1]["stats"]
assert st["final"] and st["capture"]["kernel_drops"] == 0 and st["capture"]["kernel_packets"] > 0, st["capture"]
PY
[ $fails -eq $f0 ] && ok "live as nobody: $(tr '\n' ' ' <"$st" | tr -s '\t' ' ')"

# 6. results
f0=$fails
. "$W/d.rc" 2>/dev/null
[ "${d_rc:-x}" = 0 ] || fail "-D: parent exit ${d_rc:-?}: $(head -c 300 "$W/d1.err")"
case "${comm:-}" in medsentry*) ;; *) fail "-D: pidfile pid ${dpid:-?} is not a running medsentry (comm '${comm:-}')" ;; esac
[ "${second_rc:-x}" = 1 ] && grep -q "already running as pid $dpid" "$W/d2.err" ||
    fail "second start with the same pidfile: exit ${second_rc:-?}: $(head -c 300 "$W/d2.err")"
[ "${after_term_pidfile:-x}" = removed ] || fail "pidfile left after SIGTERM"
[ "${stale_rc:-x}" = 0 ] && [ "${stale_pid_replaced:-x}" = yes ] || fail "stale pidfile: exit ${stale_rc:-?}, replaced ${stale_pid_replaced:-?}: $(head -c 300 "$W/d3.err")"
[ "${link_rc:-x}" = 1 ] && grep -q "is not a regular file (a link?)" "$W/d4.err" && [ "$(cat "$W/victim")" = untouched ] ||
    fail "pidfile link: exit ${link_rc:-?}: $(head -c 300 "$W/d4.err")"
[ -s "$W/d1/eve.json" ] || fail "-D: the daemon wrote no eve.json"
[ $fails -eq $f0 ] && ok "-D/--pidfile: daemon pid $dpid, second start refused, pidfile removed at SIGTERM, stale one replaced, link refused"

# 7. results
if [ -e "$W/amb.status" ]; then
    f0=$fails
    [ "${amb_rc:-x}" = 0 ] || fail "ambient capabilities: exit ${amb_rc:-?}: $(head -c 300 "$W/amb.err")"
    for want in "CapPrm:	0000000000000000" "CapEff:	0000000000000000" "CapAmb:	0000000000000000" "NoNewPrivs:	1" "Seccomp:	2"; do
        grep -qF "$want" "$W/amb.status" || fail "ambient capabilities: /proc status lacks '$want': $(tr '\n' ' ' <"$W/amb.status")"
    done
    [ $fails -eq $f0 ] && ok "started as nobody with ambient CAP_NET_RAW/NET_ADMIN: $(tr '\n' ' ' <"$W/amb.status" | tr -s '\t' ' ')"
fi

echo "test_sandbox: $fails failure(s)"
[ $fails -eq 0 ]
