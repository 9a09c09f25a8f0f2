#!/usr/bin/env bash
# Command-line behaviour of medsentry: help, version, bad arguments, unreadable inputs, -T with good and broken
# configuration files. Expectations come from the interface specification (docs/DESIGN.md "Command line"):
# exit 0 on success, 2 for bad arguments (one line on stderr), 1 for an unreadable/missing/non-capture file (one
# line starting "medsentry: error:"); -T exits 0 on a valid file and non-zero on a broken one, naming file and line.
set -u
: "${MEDSENTRY:?MEDSENTRY must be set}"
: "${REPO:?REPO must be set}"
[ -x "$MEDSENTRY" ] || { echo "SKIP: no binary at $MEDSENTRY"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# run NAME EXPECTED_RC ARGS... : stdout in $T/out, stderr in $T/err, exit status in $rc
run() {
    local name=$1 want=$2
    shift 2
    (cd "$T" && "$MEDSENTRY" "$@") >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    if [ "$want" = nonzero ]; then
        if [ $rc -ne 0 ] && [ $rc -lt 128 ]; then ok "$name: exit $rc"; else fail "$name: exit $rc, want non-zero (not a signal)"; fi
    elif [ $rc -ne "$want" ]; then
        fail "$name: exit $rc, want $want; stderr: $(head -c 300 "$T/err")"
    else
        ok "$name: exit $rc"
    fi
}
one_line() {   # one_line NAME PREFIX: stderr is exactly one line, starting with PREFIX
    local n
    n=$(wc -l <"$T/err")
    if [ "$n" -ne 1 ]; then fail "$1: $n lines on stderr, want 1: $(head -c 400 "$T/err")"; fi
    if [ -n "${2:-}" ] && ! head -n 1 "$T/err" | grep -q "^$2"; then fail "$1: stderr does not start with '$2': $(head -n 1 "$T/err")"; fi
}

# --help: exit 0, mentions -r -i -l -c -T
run "--help" 0 --help
for opt in -r -i -l -c -T; do
    grep -q -- "$opt" "$T/out" "$T/err" || fail "--help does not mention $opt"
done
# --version: exit 0, prints something with a version number
run "--version" 0 --version
grep -Eq '[0-9]+\.[0-9]+' "$T/out" "$T/err" || fail "--version prints no version number: $(cat "$T/out" "$T/err")"

# unknown option: exit 2, one line
run "unknown option" 2 --no-such-option
one_line "unknown option" "medsentry: error:"
# option missing its argument
run "-r without argument" 2 -r
one_line "-r without argument"
# nothing to read
run "no input" 2
one_line "no input"

# the AF_PACKET ring's geometry is checked with the configuration (exit 2, -T too), not found out at capture time
run "af-packet block-size not a page multiple" 2 -T --set capture.af-packet.block-size=5000
one_line "af-packet block-size not a page multiple" "medsentry: error: capture.af-packet.block-size"
run "af-packet frame-size above block-size" 2 -T --set capture.af-packet.block-size=4096 \
    --set capture.af-packet.frame-size=8192
one_line "af-packet frame-size above block-size" "medsentry: error: capture.af-packet.frame-size"
run "capture.method unknown" 2 -T --set capture.method=netmap
one_line "capture.method unknown" "medsentry: error: --set capture.method"
run "capture.method pcap" 0 -T --set capture.method=pcap

# missing file: exit 1, one line "medsentry: error:" naming the file
run "missing file" 1 -r "$T/does-not-exist.pcap" -l "$T/log"
one_line "missing file" "medsentry: error:"
grep -q "does-not-exist.pcap" "$T/err" || fail "missing file: error does not name the file"
# a directory given as the capture
mkdir -p "$T/adir"
run "directory as capture" 1 -r "$T/adir" -l "$T/log"
one_line "directory as capture" "medsentry: error:"
# not a capture
run "not a capture" 1 -r "$REPO/tests/data/edge/not_a_capture.txt" -l "$T/log"
one_line "not a capture" "medsentry: error:"
# empty file
: >"$T/empty.pcap"
run "empty file" 1 -r "$T/empty.pcap" -l "$T/log"
one_line "empty file" "medsentry: error:"

# -T with the repository's configuration
if [ -f "$REPO/medsentry.yaml" ]; then
    run "-T medsentry.yaml" 0 -T -c "$REPO/medsentry.yaml"
else
    fail "no medsentry.yaml at the repository root"
fi
# -T without a file: defaults are valid
run "-T without -c" 0 -T

# -T with broken YAML: a syntax error on line 3 (unterminated flow sequence), and a bad value on line 2
printf 'flow:\n  memcap: 64mb\n  hash-size: [1, 2\nstream:\n  memcap: 1mb\n' >"$T/syntax.yaml"
run "-T syntax error" nonzero -T -c "$T/syntax.yaml"
grep -q "syntax.yaml" "$T/err" || fail "-T syntax error: message does not name the file: $(cat "$T/err")"
grep -Eq "syntax.yaml:[0-9]+|line [0-9]+" "$T/err" || fail "-T syntax error: message has no line number: $(cat "$T/err")"
printf 'flow:\n  memcap: banana\n' >"$T/value.yaml"
run "-T bad value" nonzero -T -c "$T/value.yaml"
grep -Eq "value.yaml:2|value.yaml.*line 2" "$T/err" || fail "-T bad value: message does not name file and line 2: $(cat "$T/err")"
grep -q "memcap" "$T/err" || fail "-T bad value: message does not name the key: $(cat "$T/err")"
# -T with a missing configuration file
run "-T missing config" nonzero -T -c "$T/nope.yaml"
grep -q "nope.yaml" "$T/err" || fail "-T missing config: message does not name the file"

echo "test_cli: $fails failure(s)"
[ $fails -eq 0 ]
