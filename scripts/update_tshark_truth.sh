#!/bin/bash
# update_tshark_truth.sh [--all] - tests/data/tshark/: tshark's conversation, follow and dissector output for every
# corpus capture the integration tests compare against (gzip-compressed), in the cache format the tests read
# (tests/integration/mslib.py).
#   (default)  add what is missing: the output for captures or queries added since (the committed files stay)
#   --all      recompute everything from scratch, ignoring the committed files (after Debian's tshark changed, or
#              a cache format changed); files no test reads any more go
# Commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s release
rm -rf build/tshark-cache
all=0
[ "${1:-}" = --all ] && all=1
if [ $all = 1 ]; then
    export MEDSENTRY_TSHARK_TRUTH=0
fi
tests/integration/run.sh build/medsentry >/dev/null || true   # every test: fills build/tshark-cache with what they ask tshark
[ $all = 1 ] && find tests/data/tshark -name '*.json.gz' -delete   # README.md stays
shopt -s nullglob
new=(build/tshark-cache/*.json)   # every kind: conv, follow, text-<args>, smbobjects, dns-pdml, ...
for f in "${new[@]}"; do
    gzip -9 -n -c "$f" >"tests/data/tshark/$(basename "$f").gz"
done
echo "tests/data/tshark: ${#new[@]} files written, $(ls tests/data/tshark | wc -l) in all, from $(tshark --version | head -1)"
