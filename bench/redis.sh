#!/usr/bin/env bash
# bench/redis.sh [RUNS] - what the Redis output (outputs.redis, mode xadd) costs: each capture analysed RUNS times
# (default 5) with eve.json alone and with eve.json + Redis, alternately, the SQLite store off in both; medians of
# wall and CPU (user+sys) time of the sensor, the events sent, and events/s into Redis over the whole run.  The
# redis-server is started here on 127.0.0.1 (free port, no persistence), emptied before each run, stopped at the end;
# its own CPU time is not in the sensor's.
#   build/bench/store-flows.pcap  200,000 UDP flows, 2 packets each (bench/tools/udpflows.py): an event per 2 packets
#   build/bench/store-mixed.pcap  every Ethernet capture of the corpus (generated and public), concatenated
set -eu
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=build/medsentry
out=build/bench
mkdir -p "$out"
[ -f "$out/store-flows.pcap" ] || python3 bench/tools/udpflows.py "$out/store-flows.pcap" 200000
if [ ! -f "$out/store-mixed.pcap" ]; then
    find tests/data/corpus \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | LC_ALL=C sort -z |
        xargs -0 capinfos -T -E -r 2>/dev/null | awk -F'\t' '$2 == "ether" { print $1 }' >"$out/store-mixed.list"
    mergecap -a -F pcap -s 65535 -w "$out/store-mixed.pcap" $(cat "$out/store-mixed.list")
fi
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$tmp/redis.log" 2>&1 &
rpid=$!
trap 'kill $rpid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" PING >/dev/null 2>&1 && break; sleep 0.1; done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-18s %6s %9s %9s %9s %9s %9s %12s\n' capture MB "wall eve" "wall +rd" "cpu eve" "cpu +rd" events "events/s"
for cap in "$out/store-flows.pcap" "$out/store-mixed.pcap"; do
    : >"$tmp/off" && : >"$tmp/on"
    for i in $(seq "$runs"); do
        for mode in off on; do
            rm -rf "$tmp/log"
            redis-cli -p "$port" DEL medsentry >/dev/null
            enabled=$([ $mode = on ] && echo yes || echo no)
            /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$bin" -q -r "$cap" -l "$tmp/log" --set outputs.sqlite.enabled=no \
                --set outputs.redis.enabled=$enabled --set outputs.redis.server=127.0.0.1:$port >/dev/null
            read -r wall user sys <"$tmp/t"
            echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$tmp/$mode"
            if [ $mode = on ]; then
                tail -n 1 "$tmp/log/eve.json" |
                    python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]["redis"]; print(s["sent"], s["dropped"], s["errors"])' >"$tmp/sent"
                echo "$(redis-cli -p "$port" XLEN medsentry) $(wc -l <"$tmp/log/eve.json")" >"$tmp/xlen"
            fi
        done
    done
    wall_off=$(cut -d' ' -f1 "$tmp/off" | median); cpu_off=$(cut -d' ' -f2 "$tmp/off" | median)
    wall_on=$(cut -d' ' -f1 "$tmp/on" | median); cpu_on=$(cut -d' ' -f2 "$tmp/on" | median)
    read -r sent dropped errors <"$tmp/sent"
    read -r xlen lines <"$tmp/xlen"
    mb=$(awk -v b="$(stat -c %s "$cap")" 'BEGIN { printf "%.0f", b / 1e6 }')
    awk -v c="$(basename "$cap")" -v mb="$mb" -v wo="$wall_off" -v wn="$wall_on" -v co="$cpu_off" -v cn="$cpu_on" \
        -v n="$xlen" 'BEGIN { printf "%-18s %6s %9.2f %9.2f %9.2f %9.2f %9d %12.0f\n", c, mb, wo, wn, co, cn, n, n / wn }'
    [ "$dropped" = 0 ] && [ "$errors" = 0 ] && [ "$xlen" = "$lines" ] ||
        echo "  ($dropped dropped, $errors errors; $xlen entries for $lines eve.json lines)"
done
echo "medians of $runs runs each; cpu = user + sys seconds of the sensor; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
