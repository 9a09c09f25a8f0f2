#!/bin/bash
# syscalls_after_init.sh BIN [medsentry args...] - the system calls medsentry makes after initialisation.
#
# Runs BIN under strace -f with --no-seccomp (no_new_privs is still set, and marks the end of initialisation),
# and prints, sorted by count, every system call made after the prctl(PR_SET_NO_NEW_PRIVS) line.  This is how the
# allow-list in src/core/sandbox.c was derived (docs/HARDENING.md); run it over the corpus in every mode after a
# change that may call something new.
#   scripts/syscalls_after_init.sh build/medsentry -r samples/imaging-network.pcap -l /tmp/x --extract-files /tmp/x/f
set -eu
bin=$1
shift
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }
tr=$(mktemp)
trap 'rm -f "$tr"' EXIT
strace -f -qq -o "$tr" "$bin" --no-seccomp "$@" >/dev/null 2>&1 || true
awk '/prctl\(PR_SET_NO_NEW_PRIVS/ { on = 1; next }
     on { sub(/^[0-9]+ +/, ""); if (match($0, /^[a-z0-9_]+\(/)) print substr($0, 1, RLENGTH - 1) }' "$tr" |
    sort | uniq -c | sort -rn
