#!/bin/sh
# deps.sh {build|test|bench|stress} - make sure the Debian packages a target needs are
# installed.  As root, installs what is missing with apt-get; otherwise prints
# the exact command to run and fails.
set -eu
what=${1:-build}

build_pkgs="gcc make pkg-config libpcap-dev libyaml-dev libssl-dev libxxhash-dev libsqlite3-dev libyara-dev libhiredis-dev libseccomp-dev"
test_pkgs="$build_pkgs clang libclang-rt-14-dev libcmocka-dev tshark tcpreplay iproute2 python3 sqlite3 redis-server chromium"
stress_pkgs="$build_pkgs python3 time coreutils"
bench_pkgs="$build_pkgs tshark tcpdump tcpreplay iproute2 ethtool python3 dcmtk samba smbclient curl dnsutils time"

case "$what" in
build) pkgs=$build_pkgs ;;
test) pkgs=$test_pkgs ;;
bench) pkgs=$bench_pkgs ;;
stress) pkgs=$stress_pkgs ;;
*) echo "usage: $0 build|test|bench|stress" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    echo "medsentry: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # tshark asks whether non-root users may capture; answer no without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
    echo "medsentry: missing Debian packages:$missing" >&2
    echo "medsentry: install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
