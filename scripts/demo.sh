#!/bin/sh
# demo.sh - analyse the bundled sample capture and show what came out.  Called by `make demo` after the build.
set -eu
cd "$(dirname "$0")/.."
out=build/demo
eve=$out/eve.json
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
echo "== events by type ($eve, one JSON object per line):"
sed -n 's/.*"event_type":"\([a-z_]*\)".*/\1/p' "$eve" | sort | uniq -c | sort -rn
echo
count() { grep -o "$1" "$eve" | sort | uniq -c | sort -rn | sed 's/^/   /'; }
echo "== what the sensor saw, from the events:"
echo " DICOM association phases and operations:"
count '"dicom":{"type":"[a-z_]*"'
count '"command":"C-[A-Z]*-R[QS]"'
echo " SMB shares and files touched:"
count '"share":"[^"]*"'
count '"filename":"[^"]*\.exe"'
echo " DCE/RPC operations (svcctl = remote service control, as PsExec and Kwampirs use):"
count '"operation":"[A-Za-z_]*Service[A-Za-z]*"'
echo " Files carried over SMB, with their SHA-256:"
grep '"event_type":"fileinfo"' "$eve" | grep -o '"filename":"[^"]*"\|"sha256":"[0-9a-f]*"\|"magic":"[^"]*"' | paste -sd' ' | sed 's/^/   /'
echo
echo "== one event of each type (cut at 400 characters):"
for t in flow dicom smb dcerpc fileinfo asset stats; do
    grep -m1 "\"event_type\":\"$t\"" "$eve" | cut -c1-400 | sed 's/$/ .../'
done
echo
echo "Every field is described in docs/EVE.md. Analyse your own traffic with:"
echo "   build/medsentry -r your.pcap -l logdir        (or -i eth0 to watch a SPAN port)"
