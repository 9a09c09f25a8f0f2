#!/bin/sh
# demo.sh - analyse the bundled sample capture and show what came out.
# Called by `make demo` after the build.
set -eu
cd "$(dirname "$0")/.."
out=build/demo
rm -rf "$out"
mkdir -p "$out"
echo "== medsentry $(build/medsentry --version | cut -d' ' -f2-) on samples/imaging-network.pcap"
echo "   (DICOM stores and an unauthorised C-FIND, Kwampirs-like SMB lateral movement, an HTTP beacon, HL7)"
echo
build/medsentry -c medsentry.yaml -r samples/imaging-network.pcap -l "$out"
echo
echo "== outputs in $out/:"
ls -l "$out"
echo
echo "== event types in $out/eve.json:"
sed -n 's/.*"event_type":"\([a-z_]*\)".*/\1/p' "$out/eve.json" | sort | uniq -c | sort -rn
echo
echo "== first events (one JSON object per line):"
grep -v '"event_type":"stats"' "$out/eve.json" | head -n 3
echo
echo "Read every field in docs/EVE.md. Analyse your own capture with:"
echo "   build/medsentry -r your.pcap -l logdir        (or -i eth0 to watch a SPAN port)"
