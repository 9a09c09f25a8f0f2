#!/usr/bin/env bash
# Integration tests: run every executable tests/integration/test_* (sorted) once per binary given.
#
#   tests/integration/run.sh build/medsentry build/asan/medsentry
#
# Each test gets MEDSENTRY=<absolute path of the binary>, REPO=<repository root>, TMPDIR=<fresh directory>,
# TZ=UTC, and MEDSENTRY_RUNCACHE=<a directory shared by the tests of one binary> (a capture analysed with the same
# arguments by several tests is analysed once per binary). Exit status of a test: 0 pass, 77 skip, else fail.
# A test's output is shown only when it fails (or with VERBOSE=1). tshark results are cached in build/tshark-cache/.
# Optional: TESTS="conv follow" runs only tests whose name contains one of the words.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ $# -eq 0 ]; then
    echo "usage: $0 BIN [BIN...]" >&2
    exit 2
fi

bins=()
for b in "$@"; do
    case "$b" in
        /*) abs=$b ;;
        *) abs=$(cd "$(dirname "$b")" 2>/dev/null && pwd)/$(basename "$b") ;;
    esac
    bins+=("$abs")
done

tests=()
while IFS= read -r t; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    if [ -n "${TESTS:-}" ]; then
        keep=0
        for w in $TESTS; do case "$(basename "$t")" in *"$w"*) keep=1 ;; esac; done
        [ $keep = 1 ] || continue
    fi
    tests+=("$t")
done < <(find "$here" -maxdepth 1 -name 'test_*' | LC_ALL=C sort)

work=$(mktemp -d "${TMPDIR:-/tmp}/medsentry-it.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$repo/build/tshark-cache"

pass=0 fail=0 skipped=0
failed_list=()
t_all=$(date +%s.%N)
for bin in "${bins[@]}"; do
    rel=${bin#"$repo"/}
    runcache=$(mktemp -d "$work/runcache.XXXXXX")
    if [ ! -x "$bin" ]; then
        echo "note: $rel is not an executable file; tests will skip or fail"
    fi
    for t in "${tests[@]}"; do
        name=$(basename "$t")
        tdir=$(mktemp -d "$work/tmp.XXXXXX")
        log="$tdir.log"
        t0=$(date +%s.%N)
        (cd "$repo" && env MEDSENTRY="$bin" REPO="$repo" TMPDIR="$tdir" TZ=UTC \
            MEDSENTRY_RUNCACHE="$runcache" "$t") >"$log" 2>&1
        rc=$?
        secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        case $rc in
            0) status=PASS; pass=$((pass + 1)) ;;
            77) status=SKIP; skipped=$((skipped + 1)) ;;
            *) status=FAIL; fail=$((fail + 1)); failed_list+=("$name [$rel]") ;;
        esac
        printf '%-4s %-28s %-26s %6ss\n' "$status" "$name" "$rel" "$secs"
        if [ "$status" = FAIL ] || [ "${VERBOSE:-0}" = 1 ]; then
            sed 's/^/    | /' "$log" | head -n "${MAX_LOG_LINES:-200}"
            n=$(wc -l <"$log")
            if [ "$n" -gt "${MAX_LOG_LINES:-200}" ]; then
                echo "    | ... ($n lines; MAX_LOG_LINES=N shows more)"
            fi
        elif [ "$status" = SKIP ]; then
            tail -n 1 "$log" | sed 's/^/    | /'
        fi
        rm -rf "$tdir" "$log"
    done
done
total=$(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
echo "integration: ${#tests[@]} tests x ${#bins[@]} binaries in ${total}s"
for f in "${failed_list[@]+"${failed_list[@]}"}"; do echo "failed: $f"; done
if [ "$skipped" -gt 0 ]; then
    echo "$pass passed, $fail failed, $skipped skipped"
else
    echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
