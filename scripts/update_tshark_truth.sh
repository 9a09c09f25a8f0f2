#!/bin/bash
# update_tshark_truth.sh - refresh tests/data/tshark/: tshark's conversation, follow and dissector output for every
# corpus capture the integration tests compare against (gzip-compressed), in the cache format the tests read (tests/integration/mslib.py).
# Run after adding or changing a capture, or when Debian's tshark changes; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s release
rm -rf build/tshark-cache
TESTS="conv follow dicom_tshark smb_tshark" tests/integration/run.sh build/medsentry >/dev/null || true   # fills build/tshark-cache
fmt_conv=$(sed -n 's/^CACHE_FORMAT = "\(v[0-9]*\)".*/\1/p' tests/integration/mslib.py)
fmt_follow=$(sed -n 's/.*"follow": "\(v[0-9]*\)".*/\1/p' tests/integration/mslib.py)
find tests/data/tshark -name '*.json.gz' -delete   # README.md stays
cp build/tshark-cache/*-conv-"$fmt_conv".json build/tshark-cache/*-follow-"$fmt_follow".json \
    build/tshark-cache/*-text-*-"$fmt_conv".json build/tshark-cache/*-smbobjects-"$fmt_conv".json tests/data/tshark/
gzip -9 -n tests/data/tshark/*.json
echo "tests/data/tshark: $(ls tests/data/tshark | wc -l) files from $(tshark --version | head -1)"
