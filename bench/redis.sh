#!/usr/bin/env bash
# bench/redis.sh [RUNS] [CAPTURE...] - what the outputs cost, side by side: each capture analysed RUNS times (default
# 5) by the bare libpcap loop (build/bench/pcount) and by the sensor with
#   eve      eve.json alone (outputs.sqlite.enabled=no, outputs.redis.enabled=no)
#   +sqlite  eve.json + the SQLite store (outputs.sqlite.enabled=yes, the default)
#   +redis   eve.json + Redis (outputs.redis, mode xadd, to a redis-server on 127.0.0.1; the store off)
#   +both    eve.json + the store + Redis
# INTERLEAVED (pcount, eve, +sqlite, +redis, pcount, ...; the order of the three sensor runs rotates each round) so
# that the drift of a shared machine hits them alike; medians of wall and CPU (user+sys of every thread of the
# program) time, each output's CPU and wall over eve alone, the events sent to Redis (events/s over the run) and
# the rows written to SQLite (rows/s over the run).  The redis-server is started here on 127.0.0.1 (free port, no
# persistence), its stream deleted before each run, stopped at the end; its own CPU time is not in the sensor's.
# Default captures:
#   build/bench/store-flows.pcap  200,000 UDP flows, 2 packets each (bench/tools/udpflows.py): the worst case for
#                                 the outputs, an event (and a row) per 2 packets
#   build/bench/store-mixed.pcap  every Ethernet capture of the corpus (generated and public), concatenated
# or the captures given (e.g. build/bench/mixed.pcap of bench/gen_capture.sh).  env: MEDSENTRY (default
# build/medsentry), BENCH_OUT (default build/bench; samples in $BENCH_OUT/outputs-samples.tsv).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
[ $# -gt 0 ] && shift
bin=${MEDSENTRY:-build/medsentry}
out=${BENCH_OUT:-build/bench}
mkdir -p "$out"
if [ $# -eq 0 ]; then
    [ -f "$out/store-flows.pcap" ] || python3 bench/tools/udpflows.py "$out/store-flows.pcap" 200000
    if [ ! -f "$out/store-mixed.pcap" ]; then
        find tests/data/corpus \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | LC_ALL=C sort -z |
            xargs -0 capinfos -T -E -r 2>/dev/null | awk -F'\t' '$2 == "ether" { print $1 }' >"$out/store-mixed.list"
        mergecap -a -F pcap -s 65535 -w "$out/store-mixed.pcap" $(cat "$out/store-mixed.list")
    fi
    set -- "$out/store-flows.pcap" "$out/store-mixed.pcap"
fi
pcount=$out/pcount
if [ ! -x "$pcount" ] || [ bench/pcount.c -nt "$pcount" ]; then
    ${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -o "$pcount" bench/pcount.c -lpcap
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/medsentry-bench-outputs.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$tmp/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
samples=$out/outputs-samples.tsv
printf 'capture\tround\tprogram\twall_s\tcpu_s\n' >"$samples"

# one run: wall and cpu (user+sys) appended to $tmp/<program>
run() {
    local prog=$1 cap=$2 round=$3
    rm -rf "$tmp/log"
    case $prog in
        pcount) /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$pcount" "$cap" >/dev/null ;;
        eve | sqlite | redis | both)
            redis-cli -p "$port" DEL medsentry >/dev/null
            /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$bin" -q -r "$cap" -l "$tmp/log" \
                --set outputs.sqlite.enabled=$(case $prog in sqlite | both) echo yes ;; *) echo no ;; esac) \
                --set outputs.redis.enabled=$(case $prog in redis | both) echo yes ;; *) echo no ;; esac) \
                --set outputs.redis.server="127.0.0.1:$port" >/dev/null
            ;;
    esac
    local wall user sys cpu
    read -r wall user sys <"$tmp/t"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
    echo "$wall $cpu" >>"$tmp/$prog"
    printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$cap")" "$round" "$prog" "$wall" "$cpu" >>"$samples"
    case $prog in
        redis)
            tail -n 1 "$tmp/log/eve.json" | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]["redis"]; print(s["sent"], s["dropped"], s["errors"])' >"$tmp/redis.sent"
            echo "$(redis-cli -p "$port" XLEN medsentry) $(wc -l <"$tmp/log/eve.json")" >"$tmp/redis.xlen"
            ;;
        sqlite)
            tail -n 1 "$tmp/log/eve.json" | python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]["sqlite"]; print(s["rows"], s["dropped"], s["errors"])' >"$tmp/sqlite.rows"
            ;;
    esac
}

echo "| capture | MB | program | median wall s | median CPU s | wall vs eve | CPU vs eve | what it wrote |"
echo "|---|---:|---|---:|---:|---:|---:|---|"
for cap in "$@"; do
    for p in pcount eve sqlite redis both; do : >"$tmp/$p"; done
    cat "$cap" >/dev/null # the page cache
    for i in $(seq "$runs"); do
        run pcount "$cap" "$i"
        case $((i % 4)) in
            1) order="eve sqlite redis both" ;;
            2) order="sqlite redis both eve" ;;
            3) order="redis both eve sqlite" ;;
            0) order="both eve sqlite redis" ;;
        esac
        for p in $order; do run "$p" "$cap" "$i"; done
    done
    mb=$(awk -v b="$(stat -L -c %s "$cap")" 'BEGIN { printf "%.0f", b / 1e6 }')
    wall_eve=$(cut -d' ' -f1 "$tmp/eve" | median)
    cpu_eve=$(cut -d' ' -f2 "$tmp/eve" | median)
    read -r sent dropped errors <"$tmp/redis.sent"
    read -r xlen lines <"$tmp/redis.xlen"
    read -r rows rdropped rerrors <"$tmp/sqlite.rows"
    for p in pcount eve sqlite redis both; do
        w=$(cut -d' ' -f1 "$tmp/$p" | median)
        c=$(cut -d' ' -f2 "$tmp/$p" | median)
        case $p in
            pcount) name="bare libpcap loop (pcount)" what="" ;;
            eve) name="eve.json only" what="$lines eve.json lines" ;;
            sqlite) name="eve + sqlite" what=$(awk -v r="$rows" -v w="$w" -v d="$rdropped" \
                'BEGIN { printf "%d rows, %.0f rows/s, %d dropped", r, r / w, d }') ;;
            redis) name="eve + redis" what=$(awk -v n="$sent" -v w="$w" -v d="$dropped" -v x="$xlen" \
                'BEGIN { printf "%d events sent (XLEN %d), %.0f events/s, %d dropped", n, x, n / w, d }') ;;
            both) name="eve + sqlite + redis" what="" ;;
        esac
        awk -v c="$(basename "$cap")" -v mb="$mb" -v n="$name" -v w="$w" -v cpu="$c" -v we="$wall_eve" \
            -v ce="$cpu_eve" -v what="$what" 'BEGIN { printf "| %s | %s | %s | %.3f | %.3f | %.2fx | %.2fx | %s |\n",
            c, mb, n, w, cpu, w / we, cpu / ce, what }'
    done
    [ "$dropped" = 0 ] && [ "$errors" = 0 ] && [ "$xlen" = "$lines" ] && [ "$sent" = $((lines - 1)) ] ||
        echo "  (redis: $dropped dropped, $errors errors; $xlen entries for $lines eve.json lines)"
    [ "$rdropped" = 0 ] && [ "$rerrors" = 0 ] || echo "  (sqlite: $rdropped rows dropped, $rerrors errors)"
done
# the same ratios taken round by round (each output against the eve run of its own round), then their median:
# steadier than the ratio of the medians when the machine's load drifts
python3 - "$samples" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(dict)
for line in open(sys.argv[1]).read().splitlines()[1:]:
    cap, rnd, prog, wall, cpu = line.split("\t")
    runs[(cap, rnd)][prog] = (float(wall), float(cpu))
caps = sorted({c for c, _ in runs}, key=lambda c: min(int(r) for cc, r in runs if cc == c))
print("\nper-round ratios to eve.json only (median over rounds):")
for cap in caps:
    for prog in ("sqlite", "redis", "both"):
        w = [v[prog][0] / v["eve"][0] for (c, _), v in runs.items() if c == cap and v["eve"][0] > 0]
        u = [v[prog][1] / v["eve"][1] for (c, _), v in runs.items() if c == cap and v["eve"][1] > 0]
        print("  %-18s eve + %-6s wall %.2fx  CPU %.2fx" % (cap, prog, statistics.median(w), statistics.median(u)))
PY
echo
echo "medians of $runs interleaved rounds; CPU = user + sys seconds of every thread; vs eve = ratio of the medians;"
echo "load average now: $(cut -d' ' -f1-3 /proc/loadavg); samples: $samples"
