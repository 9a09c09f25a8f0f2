#!/bin/bash
# fuzz.sh [HARNESS...] - build every fuzz/fuzz_*.c with clang's libFuzzer + ASan + UBSan and run each for
# FUZZ_SECONDS (default 60) on its seed corpus fuzz/corpus/<name>/ (new inputs go to $FUZZ_OUT/corpus/<name>/,
# FUZZ_OUT defaulting to build/fuzz).  A harness with a dictionary fuzz/<name>.dict runs with it; the whole-pipeline
# harness (packet) runs with all of them together.  FUZZ_RUNS=N stops each harness after N executions instead
# (FUZZ_SECONDS still bounds it); FUZZ_BUILD_ONLY=1 builds the harnesses without running them.
# The sources are compiled once (build/fuzz/obj), then linked into each harness.  A crash, leak or timeout is
# written to build/fuzz/<name>-* and makes the script fail: turn each one into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
runs_opt=()
[ -n "${FUZZ_RUNS:-}" ] && runs_opt=(-runs="$FUZZ_RUNS")
out=${FUZZ_OUT:-build/fuzz} # FUZZ_OUT: another build directory, for runs side by side
mkdir -p "$out/obj"
cflags="-std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -Isrc"
libs=$(make -s --no-print-directory print-libs) # the libraries the sensor links, from the Makefile

objs=()
for src in $(find src -name '*.c' ! -name main.c | sort); do
    obj=$out/obj/$(echo "${src%.c}" | tr / _).o
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src -name '*.h' -newer "$obj" -print -quit)" ]; then
        clang $cflags -c -o "$obj" "$src" &
        # at most two compilers at once (the machines have two cores)
        while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    fi
    objs+=("$obj")
done
wait

harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=($(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||'))
failed=0
for h in "${harnesses[@]}"; do
    bin=$out/fuzz_$h
    clang ${cflags/fuzzer-no-link/fuzzer} -o "$bin" "fuzz/fuzz_$h.c" "${objs[@]}" $libs
    [ -n "${FUZZ_BUILD_ONLY:-}" ] && continue
    mkdir -p "$out/corpus/$h" "fuzz/corpus/$h"
    dict_opt=()
    if [ -f "fuzz/$h.dict" ]; then
        dict_opt=(-dict="fuzz/$h.dict")
    elif [ "$h" = packet ]; then
        cat fuzz/*.dict > "$out/packet.dict" # every protocol's tokens: the pipeline runs every parser
        dict_opt=(-dict="$out/packet.dict")
    fi
    if "$bin" -max_total_time="$secs" "${runs_opt[@]}" "${dict_opt[@]}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/$h-" "$out/corpus/$h" "fuzz/corpus/$h" > "$out/$h.log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$h.log")
        cov=$(grep -o 'cov: [0-9]*' "$out/$h.log" | tail -1 | cut -d' ' -f2 || true)
        corp=$(grep -o 'corp: [0-9]*' "$out/$h.log" | tail -1 | cut -d' ' -f2 || true)
        echo "fuzz $h: ${secs}s, ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-?} edges, corpus ${corp:-?}, no crash"
    else
        echo "fuzz $h: FAILED, see $out/$h.log and $out/$h-*"
        tail -30 "$out/$h.log"
        failed=1
    fi
done
exit $failed
