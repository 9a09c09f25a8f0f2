#!/bin/bash
# update_tshark_truth.sh - refresh tests/data/tshark/: tshark's conversation and follow output for every corpus
# capture the integration tests compare against, in the cache format the tests read (tests/integration/mslib.py).
# Run after adding or changing a capture, or when Debian's tshark changes; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s release
rm -rf build/tshark-cache
TESTS="conv follow" tests/integration/run.sh build/medsentry >/dev/null || true   # fills build/tshark-cache
fmt_conv=$(sed -n 's/^CACHE_FORMAT = "\(v[0-9]*\)".*/\1/p' tests/integration/mslib.py)
fmt_follow=$(sed -n 's/.*"follow": "\(v[0-9]*\)".*/\1/p' tests/integration/mslib.py)
rm -rf tests/data/tshark
mkdir -p tests/data/tshark
cp build/tshark-cache/*-conv-"$fmt_conv".json build/tshark-cache/*-follow-"$fmt_follow".json tests/data/tshark/
echo "tests/data/tshark: $(ls tests/data/tshark | wc -l) files from $(tshark --version | head -1)"
