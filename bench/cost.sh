#!/usr/bin/env bash
# bench/cost.sh [CAPTURE] - what each layer of the pipeline costs, side by side in one run.
#
# The same capture (default build/bench/mixed.pcap, made by bench/gen_capture.sh) is read, INTERLEAVED round after
# round (so that drift of a shared machine hits every row alike), by:
#   pcount      the bare libpcap loop (build/bench/pcount): the floor of any pcap reader
#   before      BENCH_BEFORE, an older medsentry binary, if given (e.g. one built at the commit before a change)
#   core        medsentry with the parsers older than the HTTP/DNS/HL7 ones (DICOM, SMB, DCE/RPC, TLS); YARA, detection
#               and the SQLite store off
#   parsers     + the HTTP, DNS and HL7 parsers (HTTP bodies go to the file tracker and are hashed, as SMB files)
#   yara        + YARA scanning of complete files (files.yara-rules-dir auto)
#   detect      + detection (the defaults with the store off)
#   full        + the SQLite store: the default configuration
# and, after each round, SHA-256 alone (OpenSSL through Python's hashlib) of as many bytes as the parsers row hashed
# beyond the core row: the floor that hashing every HTTP body byte costs whatever the parser.
# each `-q -r CAPTURE -l DIR --threads 1` into a fresh log directory.  Wall seconds (monotonic clock), CPU seconds
# (user+sys, from wait4, so microseconds) and peak RSS (GNU time); the table gives medians and, per row, the median of the round-by-round ratios to the
# reference row (the row above it, and `before` when given), which stay meaningful when the machine's speed drifts.
#
# env: BENCH_RUNS rounds (default 7); BENCH_BEFORE older binary; MEDSENTRY binary (default build/medsentry);
#      BENCH_THREADS worker threads of every medsentry row (default 1)
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.." || exit 1
cap=${1:-build/bench/mixed.pcap}
runs=${BENCH_RUNS:-7}
bin=${MEDSENTRY:-build/medsentry}
before=${BENCH_BEFORE:-}
threads=${BENCH_THREADS:-1}
pcount=build/bench/pcount

die() { echo "cost.sh: $*" >&2; exit 1; }
[ -s "$cap" ] || die "$cap missing (bench/gen_capture.sh mixed makes it)"
[ -x "$bin" ] || die "$bin missing (make release)"
[ -z "$before" ] || [ -x "$before" ] || die "BENCH_BEFORE=$before is not an executable"
command -v python3 >/dev/null || die "python3 missing"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (Debian package 'time')"
if [ ! -x "$pcount" ] || [ bench/pcount.c -nt "$pcount" ]; then
    mkdir -p build/bench
    ${CC:-cc} -O2 -std=c11 -D_DEFAULT_SOURCE -o "$pcount" bench/pcount.c -lpcap || die "cannot build pcount"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/medsentry-cost.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
off_new=(--set app-layer.protocols.http.enabled=no --set app-layer.protocols.dns.enabled=no
    --set app-layer.protocols.hl7.enabled=no)
rows=(pcount)
[ -n "$before" ] && rows+=(before)
rows+=(core parsers yara detect full)

# one ROW run -> "row round wall cpu rss" in $tmp/samples
run() {
    local row=$1 round=$2 cmd
    rm -rf "$tmp/log" && mkdir -p "$tmp/log"
    case $row in
        pcount) cmd=("$pcount" "$cap") ;;
        before) cmd=("$before" -q -r "$cap" -l "$tmp/log") ;;
        core) cmd=("$bin" -q -r "$cap" -l "$tmp/log" --threads "$threads" "${off_new[@]}" --set detect.enabled=no
            --set files.yara-rules-dir= --set outputs.sqlite.enabled=no) ;;
        parsers) cmd=("$bin" -q -r "$cap" -l "$tmp/log" --threads "$threads" --set detect.enabled=no
            --set files.yara-rules-dir= --set outputs.sqlite.enabled=no) ;;
        yara) cmd=("$bin" -q -r "$cap" -l "$tmp/log" --threads "$threads" --set detect.enabled=no
            --set outputs.sqlite.enabled=no) ;;
        detect) cmd=("$bin" -q -r "$cap" -l "$tmp/log" --threads "$threads" --set outputs.sqlite.enabled=no) ;;
        full) cmd=("$bin" -q -r "$cap" -l "$tmp/log" --threads "$threads") ;;
    esac
    python3 "$tmp/run.py" "$tmp/t" "${cmd[@]}" >/dev/null 2>"$tmp/err" ||
        die "$row failed: $(tail -n 3 "$tmp/err" | tr '\n' ' ')"
    echo "$row $round $(cat "$tmp/t")" >>"$tmp/samples"
    case $row in core | parsers) hashed[$row]=$(tail -n 1 "$tmp/log/eve.json" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["files"]["bytes_hashed"])') ;; esac
}

# SHA-256 alone of N bytes, 1 MiB at a time -> "sha ROUND 0 CPU 0"
sha_floor() {
    python3 - "$1" "$2" >>"$tmp/samples" <<'PY'
import hashlib, sys, time
n, rnd = int(sys.argv[1]), sys.argv[2]
chunk = memoryview(bytes(1 << 20)); h = hashlib.sha256(); t = time.process_time()
for o in range(0, n, len(chunk)):
    h.update(chunk[:min(len(chunk), n - o)])
print('sha %s 0 %.4f 0 %d' % (rnd, time.process_time() - t, n))
PY
}
declare -A hashed

# the child's wall (monotonic clock), CPU (user+sys from wait4, microseconds) and peak RSS (KiB) -> FILE
cat >"$tmp/run.py" <<'PY'
import os, sys, time
t = time.perf_counter()
pid = os.fork()
if pid == 0:  # GNU time only for the peak RSS: a forked child's ru_maxrss would count this Python's pages
    os.execv('/usr/bin/time', ['time', '-f', '%M', '-o', sys.argv[1] + '.rss'] + sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t
rss = open(sys.argv[1] + '.rss').read().split()[-1] if os.path.exists(sys.argv[1] + '.rss') else '0'
with open(sys.argv[1], 'w') as f:
    f.write('%.4f %.4f %s\n' % (wall, ru.ru_utime + ru.ru_stime, rss))
sys.exit(os.waitstatus_to_exitcode(status))
PY
cat "$cap" >/dev/null
"$pcount" "$cap" >/dev/null
: >"$tmp/samples"
for i in $(seq "$runs"); do
    for r in "${rows[@]}"; do run "$r" "$i"; done
    sha_floor $((hashed[parsers] - hashed[core])) "$i"
    echo "cost.sh: round $i/$runs done" >&2
done

python3 - "$tmp/samples" "$cap" "$threads" "${rows[@]}" <<'PY'
import collections, statistics, sys
path, cap, threads, rows = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
s = collections.defaultdict(dict)  # row -> round -> (wall, cpu, rss)
extra = 0
for line in open(path):
    f = line.split()
    if f[0] == 'sha':
        s['sha'][int(f[1])] = (0.0, float(f[3]), 0)
        extra = int(f[5])
        continue
    row, rnd, wall, cpu, rss = f
    s[row][int(rnd)] = (float(wall), float(cpu), int(rss))

def med(row, k):
    return statistics.median(v[k] for v in s[row].values())

def ratio(a, b, k):
    return statistics.median(s[a][i][k] / s[b][i][k] for i in s[a] if i in s[b] and s[b][i][k] > 0)

label = {'pcount': 'bare libpcap loop', 'before': 'before (BENCH_BEFORE)',
         'core': 'DICOM, SMB, DCE/RPC, TLS parsers; no YARA, detection or store',
         'parsers': '+ HTTP, DNS, HL7 parsers (HTTP bodies hashed)', 'yara': '+ YARA scanning of files',
         'detect': '+ detection', 'full': '+ SQLite store (the defaults)'}
print('# cost of each layer on %s, medsentry --threads %s, %d interleaved rounds, medians\n'
      % (cap, threads, len(s['pcount'])))
print('| row | wall s | CPU s | peak RSS MB | CPU vs row above | CPU vs before | wall vs bare loop |')
print('|---|---:|---:|---:|---:|---:|---:|')
prev = None
for r in rows:
    above = '%+.1f%%' % ((ratio(r, prev, 1) - 1) * 100) if prev and prev != 'pcount' else '-'
    vs_before = '%+.1f%%' % ((ratio(r, 'before', 1) - 1) * 100) if 'before' in s and r not in ('pcount', 'before') else '-'
    print('| %s | %.3f | %.3f | %.1f | %s | %s | %.2fx |' % (label[r], med(r, 0), med(r, 1), med(r, 2) / 1024.0,
          above, vs_before, ratio(r, 'pcount', 0)))
    prev = r
if 'sha' in s and 'core' in s:
    cp, cc, sha = med('parsers', 1), med('core', 1), med('sha', 1)
    print('\nThe parsers row hashed %.1f MB more than the core row (HTTP bodies). SHA-256 alone of that many bytes: '
          '%.3f s CPU (median), %.1f%% of the core row; the new parsers cost %+.1f%% over the core row, %+.1f%% '
          'beyond that hashing floor.' % (extra / 1e6, sha, sha / cc * 100, (cp / cc - 1) * 100, (cp - sha) / cc * 100 - 100))
PY
