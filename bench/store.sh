#!/usr/bin/env bash
# bench/store.sh [RUNS] [CAPTURE...] - what the SQLite store (outputs.sqlite) costs: each capture analysed RUNS times
# (default 5) with the store off and on, alternately, into fresh log directories; medians of wall and CPU (user+sys)
# time, the rows written and rows/s (rows over the extra CPU time, and over the whole run).  Default captures:
#   build/bench/store-flows.pcap  200,000 UDP flows, 2 packets each (bench/tools/udpflows.py): the worst case, a
#                                 row per two packets
#   build/bench/store-mixed.pcap  every Ethernet capture of the corpus (generated and public), concatenated
# or the captures given (e.g. build/bench/mixed.pcap).  bench/redis.sh puts the store beside eve.json alone and
# Redis in one interleaved run.  env: MEDSENTRY (default build/medsentry), BENCH_OUT (default build/bench).
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
        # the Ethernet ones (one pcap file holds one link type), cut to one snap length
        find tests/data/corpus \( -name '*.pcap' -o -name '*.pcapng' \) -print0 | LC_ALL=C sort -z |
            xargs -0 capinfos -T -E -r 2>/dev/null | awk -F'\t' '$2 == "ether" { print $1 }' >"$out/store-mixed.list"
        mergecap -a -F pcap -s 65535 -w "$out/store-mixed.pcap" $(cat "$out/store-mixed.list")
    fi
    set -- "$out/store-flows.pcap" "$out/store-mixed.pcap"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '%-18s %6s %9s %9s %9s %9s %9s %12s %12s\n' capture MB "wall off" "wall on" "cpu off" "cpu on" rows \
    "rows/s(+cpu)" "rows/s(run)"
for cap in "$@"; do
    : >"$tmp/off" && : >"$tmp/on"
    for i in $(seq "$runs"); do
        for mode in off on; do
            rm -rf "$tmp/log"
            enabled=$([ $mode = on ] && echo yes || echo no)
            /usr/bin/time -f '%e %U %S' -o "$tmp/t" "$bin" -q -r "$cap" -l "$tmp/log" \
                --set outputs.sqlite.enabled=$enabled >/dev/null
            read -r wall user sys <"$tmp/t"
            echo "$wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$tmp/$mode"
            [ $mode = on ] && tail -n 1 "$tmp/log/eve.json" |
                python3 -c 'import json,sys; s=json.load(sys.stdin)["stats"]["sqlite"]; print(s["rows"], s["dropped"], s["errors"])' >"$tmp/rows"
        done
    done
    wall_off=$(cut -d' ' -f1 "$tmp/off" | median); cpu_off=$(cut -d' ' -f2 "$tmp/off" | median)
    wall_on=$(cut -d' ' -f1 "$tmp/on" | median); cpu_on=$(cut -d' ' -f2 "$tmp/on" | median)
    read -r rows dropped errors <"$tmp/rows"
    mb=$(awk -v b="$(stat -c %s "$cap")" 'BEGIN { printf "%.0f", b / 1e6 }')
    awk -v c="$(basename "$cap")" -v mb="$mb" -v wo="$wall_off" -v wn="$wall_on" -v co="$cpu_off" -v cn="$cpu_on" \
        -v r="$rows" 'BEGIN { d = cn - co; printf "%-18s %6s %9.2f %9.2f %9.2f %9.2f %9d %12s %12.0f\n", c, mb, wo, wn,
        co, cn, r, (d > 0.005 ? sprintf("%.0f", r / d) : "-"), r / wn }'
    [ "$dropped" = 0 ] && [ "$errors" = 0 ] || echo "  ($dropped rows dropped, $errors errors)"
done
echo "medians of $runs runs each; cpu = user + sys seconds; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
