#!/bin/bash
# fuzz.sh [HARNESS...] - build every fuzz/fuzz_*.c with clang's libFuzzer + ASan + UBSan and run each for
# FUZZ_SECONDS (default 60) on its seed corpus fuzz/corpus/<name>/ (new inputs go to build/fuzz/corpus/<name>/).
# Crashes are written to build/fuzz/ and make the script fail; turn each one into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
srcs=$(find src -name '*.c' ! -name main.c | sort)
flags="-std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc"
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=($(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||'))
failed=0
for h in "${harnesses[@]}"; do
    bin=$out/fuzz_$h
    clang $flags -o "$bin" "fuzz/fuzz_$h.c" $srcs -lpcap -lyaml -lcrypto -lxxhash -lm
    mkdir -p "$out/corpus/$h" "fuzz/corpus/$h"
    echo "fuzz: $h for ${secs}s"
    if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/$h-" "$out/corpus/$h" "fuzz/corpus/$h" > "$out/$h.log" 2>&1; then
        echo "fuzz: $h FAILED, see $out/$h.log and $out/$h-*"
        tail -30 "$out/$h.log"
        failed=1
    else
        grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$out/$h.log" | tail -2 || true
    fi
done
exit $failed
