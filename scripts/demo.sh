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
echo "   (the beacon comes from another workstation than the spread's target, so no chain names a C2 here;"
echo "    tests/data/c2/c2_05_spread_then_beacon.pcap shows that case)"
echo
build/medsentry -c medsentry.yaml -r samples/imaging-network.pcap -l "$out"
echo
# One alert in three lines: severity and signature, then source -> destination hosts, then the signature id and
# the evidence that names files, services and AE titles.  Fields are taken from EVE with sed (the writer's
# field order is fixed), so nothing beyond POSIX tools is needed.
field() { printf '%s' "$1" | sed -n "s/$2/\\1/p"; }
nalerts=$(grep -c '"event_type":"alert"' "$eve" || true)
echo "== ALERTS ($nalerts), in the order they were raised (docs/DETECTIONS.md explains each signature id):"
grep '"event_type":"alert"' "$eve" | while IFS= read -r line; do
    sev=$(field "$line" '.*"alert":{[^}]*"severity":\([0-9]\).*')
    case $sev in 1) label="HIGH  " ;; 2) label="MEDIUM" ;; *) label="LOW   " ;; esac
    sig=$(field "$line" '.*"alert":{[^}]*"signature":"\([^"]*\)".*')
    sid=$(field "$line" '.*"alert":{[^}]*"signature_id":\([0-9]*\).*')
    ts=$(field "$line" '^{"timestamp":"\([^".]*\).*')
    src=$(field "$line" '.*"src_ip":"\([^"]*\)".*')
    hosts=$(field "$line" '.*"evidence":{"hosts":\[\([^]]*\)\].*' | tr -d '"' | sed 's/,/, /g')
    what=$(printf '%s' "$line" | grep -o '"\(filename\|service_name\|binary_path\|calling_ae\|called_ae\|hostname\|url\|what\)":"[^"]*"' |
        sed 's/"\([a-z_]*\)":"\(.*\)"/\1=\2/; s/\\\\/\\/g' | paste -sd' ' -)
    printf ' [%s] %s\n          %s -> %s   at %s\n          sid %s  %s\n' "$label" "$sig" "$src" "${hosts:-?}" "$ts" "$sid" "$what"
done
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
for t in alert flow dicom smb dcerpc fileinfo asset stats; do
    grep -m1 "\"event_type\":\"$t\"" "$eve" | cut -c1-400 | sed 's/$/ .../'
done
echo
echo "Every field is described in docs/EVE.md. Analyse your own traffic with:"
echo "   build/medsentry -r your.pcap -l logdir        (or -i eth0 to watch a SPAN port)"
