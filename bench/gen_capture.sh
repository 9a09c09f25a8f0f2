#!/bin/bash
# gen_capture.sh - build the benchmark captures from REAL clients and servers talking over
# loopback inside a private network namespace (nothing leaves the namespace: its only
# interface is lo, and every server and client uses 127.0.0.x addresses).
#
#   mixed.pcap  ~430 MB  HTTP (bulk + keep-alive browsing + uploads + HTTP/1.0), SMB3/SMB2.1/SMB1
#                        file transfers + DCE/RPC (rpcclient), DICOM (storescu/echoscu), DNS UDP+TCP,
#                        all clients running at the same time so the flows interleave
#   dicom.pcap  ~150 MB  DICOM only: C-ECHO, C-STORE of CT/MR/DX/US objects with several PDU sizes,
#                        C-FIND against dcmqrscp, an A-ABORT
#   smb.pcap    ~150 MB  SMB only: SMB3/SMB2.1/SMB1 put/get of multi-MB files, many small files,
#                        directory listings, failed logons, DCE/RPC (srvsvc, samr, lsarpc, wkssvc)
#
# The servers: python http.server (bench/tools/http_server.py), smbd, DCMTK storescp and dcmqrscp,
# a python DNS server (bench/tools/dns_server.py).  The input data (DICOM Part-10 files, web site,
# SMB files) is made by bench/tools/mkdata.py from a seeded PRNG, so every run sends the same bytes.
# lo gets MTU 1500 with TSO/GSO/GRO off so that tcpdump sees wire-sized segments; the checksums
# (left unset on loopback) are recomputed with `tcprewrite --fixcsum`.
#
#   flows.pcap  ~25 MB   up to 20,000 TCP connections open at the same time (fewer when the file
#                        descriptor limit is lower), each holding half an HTTP request, then completed
#                        and closed: the many-concurrent-flows case for the memcap check
#
# usage: bench/gen_capture.sh [--force] [mixed|dicom|smb|flows|all]...     (default: all)
#   A capture is rebuilt only when missing, older than this script or its tools, or with --force.
# env:  BENCH_OUT (default <repo>/build/bench)   GEN_SCALE (integer multiplier for loop counts, default 1)
#
# Cleanup: every process in the namespace was started by this script; on exit (normal, error or
# signal) they are stopped by PID (`ip netns pids`), then the namespace is deleted.
set -uo pipefail

SELF=$(readlink -f "$0")
BENCH=$(dirname "$SELF")
ROOT=$(dirname "$BENCH")
TOOLS=$BENCH/tools
OUT=${BENCH_OUT:-$ROOT/build/bench}
WORK=$OUT/work
DATA=$WORK/data
SCALE=${GEN_SCALE:-1}

# loopback "hosts"
IP_WS1=127.0.0.11     # HTTP client workstation
IP_WS2=127.0.0.12     # DNS client
IP_MOD=127.0.0.13     # modality (DICOM client) - storescu has no bind option; used for dig only
IP_WEB=127.0.0.80     # web server
IP_SMB=127.0.0.30     # Samba file server
IP_PACS=127.0.0.21    # storescp / dcmqrscp
IP_DNS=127.0.0.53     # DNS server
SMBUSER=radtech
SMBPASS='Bench!Pass2024'
SMBDOM=RADIOLOGY
SMBHOST=PACS-FS01

log() { echo "[gen_capture $(date +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ============================================================================ inside the namespace
RUN=${GEN_RUN:-}
start_bg() { # name cmd...   (own session; pid recorded for stop_bg)
    local name=$1
    shift
    setsid "$@" >"$RUN/logs/server_$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/pids/$name"
}
stop_all() {
    local f p
    for f in "$RUN"/pids/*; do
        [ -e "$f" ] || continue
        p=$(cat "$f")
        kill -TERM "$p" 2>/dev/null
        rm -f "$f"
    done
    # processes that detached (samba-dcerpcd, storescp --fork children, ...): everything
    # else in this private namespace was started by this script
    local me left=""
    me=$(readlink /proc/$$/ns/net)
    sleep 0.5
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = $$ ] && continue
        [ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$me" ] && left="$left $p"
    done
    for p in $left; do kill -TERM "$p" 2>/dev/null; done
    [ -n "$left" ] && sleep 1
    for p in $left; do kill -KILL "$p" 2>/dev/null; done
    return 0
}
wait_listen() { # t|u port
    local i
    for i in $(seq 100); do
        ss -H -ln"$1" "sport = :$2" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    log "WARNING: nothing listening on $1/$2"
    return 1
}
# bounded client command: never runs longer than CLIENT_TIMEOUT, output to the scenario log
c() {
    echo "\$ $*" >>"$CLOG"
    timeout -k 5 "${CLIENT_TIMEOUT:-240}" "$@" >>"$CLOG" 2>&1
    local rc=$?
    [ $rc = 0 ] || echo "[exit $rc] $*" >>"$CLOG"
    return 0
}

# a command that is expected to fail (wrong password, ...): its exit status is only noted
cx() {
    echo "\$ $*" >>"$CLOG"
    timeout -k 5 "${CLIENT_TIMEOUT:-240}" "$@" >>"$CLOG" 2>&1
    echo "[expected failure: exit $?]" >>"$CLOG"
    return 0
}

setup_lo() {
    ip link set lo up
    ip link set lo mtu 1500
    if command -v ethtool >/dev/null 2>&1; then
        ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "WARNING: ethtool -K lo failed"
    else
        log "ethtool not installed: limiting GSO with ip link instead"
        ip link set lo gso_max_size 1500 gso_max_segs 1 2>/dev/null || log "WARNING: could not limit GSO on lo"
    fi
    local a
    for a in $IP_WS1 $IP_WS2 $IP_MOD $IP_WEB $IP_SMB $IP_PACS $IP_DNS; do ip addr add $a/8 dev lo 2>/dev/null; done
}

write_smb_conf() {
    mkdir -p "$RUN"/samba/{private,lock,state,cache,pid,ncalrpc,bind-dns} "$RUN/smbroot/share/incoming" "$RUN/smbroot/share/archive"
    cp "$DATA"/files/small/*.txt "$RUN/smbroot/share/archive/"
    cp "$DATA/files/file_16m.bin" "$DATA/files/file_4m.bin" "$RUN/smbroot/share/archive/"
    chmod -R 0777 "$RUN/smbroot"
    # the Samba account maps to root (no user is added to the host): smbpasswd stores its
    # hash in this run's private passdb only
    echo "root = $SMBUSER" >"$RUN/samba/usermap"
    cat >"$RUN/smb.conf" <<EOF
[global]
  netbios name = $SMBHOST
  workgroup = $SMBDOM
  server role = standalone server
  interfaces = $IP_SMB/8
  bind interfaces only = yes
  smb ports = 445
  disable netbios = yes
  server min protocol = NT1
  server max protocol = SMB3
  username map = $RUN/samba/usermap
  passdb backend = tdbsam:$RUN/samba/private/passdb.tdb
  private dir = $RUN/samba/private
  lock directory = $RUN/samba/lock
  state directory = $RUN/samba/state
  cache directory = $RUN/samba/cache
  pid directory = $RUN/samba/pid
  ncalrpc dir = $RUN/samba/ncalrpc
  binddns dir = $RUN/samba/bind-dns
  log file = $RUN/samba/log.%m
  log level = 0
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = never
  usershare path =
  invalid users =
  create mask = 0666
  directory mask = 0777

[IMAGES]
  path = $RUN/smbroot/share
  read only = no
  valid users = root
EOF
    printf '%s\n%s\n' "$SMBPASS" "$SMBPASS" | smbpasswd -c "$RUN/smb.conf" -s -a root >/dev/null ||
        log "WARNING: smbpasswd failed"
}

write_dcmqrscp_conf() {
    mkdir -p "$RUN/dcmqrscp/db"
    cat >"$RUN/dcmqrscp.cfg" <<EOF
NetworkTCPPort  = 11114
MaxPDUSize      = 16384
MaxAssociations = 16
HostTable BEGIN
ws1  = (RADWS01, 127.0.0.1, 11113)
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
DCMQRSCP   $RUN/dcmqrscp/db   RW (400, 1024mb)   ANY
AETable END
EOF
}

start_servers() { # which: http smb dicom dns
    local w
    for w in "$@"; do
        case $w in
        http)
            start_bg web python3 "$TOOLS/http_server.py" $IP_WEB 80 "$DATA/www" 1.1
            start_bg web10 python3 "$TOOLS/http_server.py" $IP_WEB 8080 "$DATA/www" 1.0
            wait_listen t 80
            wait_listen t 8080
            ;;
        smb)
            write_smb_conf
            start_bg smbd smbd --foreground --no-process-group --debug-stdout -s "$RUN/smb.conf"
            wait_listen t 445
            sleep 0.5
            ;;
        dicom)
            write_dcmqrscp_conf
            start_bg storescp storescp --fork --ignore -aet STORESCP --max-pdu 131072 104
            start_bg dcmqrscp dcmqrscp -c "$RUN/dcmqrscp.cfg"
            wait_listen t 104
            wait_listen t 11114
            ;;
        dns)
            start_bg dns python3 "$TOOLS/dns_server.py" $IP_DNS 53 $IP_WEB
            wait_listen u 53
            wait_listen t 53
            ;;
        esac
    done
}

# ---------------------------------------------------------------------------- client groups
# Every group is a bounded sequence (fixed counts, each command under `timeout`).
http_browse() { # N rounds of keep-alive browsing: pages + assets + some 404s, one curl per round
    local n=$1 i j cfg=$RUN/curl_browse.cfg
    : >"$cfg"
    for j in $(seq 0 19); do
        printf 'url = "http://%s/pages/page%02d.html"\noutput = "/dev/null"\n' $IP_WEB $j >>"$cfg"
        printf 'url = "http://%s/style.css"\noutput = "/dev/null"\nurl = "http://%s/app.js"\noutput = "/dev/null"\n' $IP_WEB $IP_WEB >>"$cfg"
        printf 'url = "http://%s/img/img%d.png"\noutput = "/dev/null"\n' $IP_WEB $((j % 3)) >>"$cfg"
        [ $((j % 4)) = 0 ] && printf 'url = "http://%s/pages/missing%02d.html"\noutput = "/dev/null"\n' $IP_WEB $j >>"$cfg"
    done
    for i in $(seq "$n"); do
        c curl -s --interface $IP_WS1 -A 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) bench' -K "$cfg"
    done
}
http_bulk() { # N rounds: 24 MB + 2x8 MB + 3x2 MB downloads, 2 uploads of 4 MB (POST and PUT)
    local n=$1 i
    for i in $(seq "$n"); do
        c curl -s --interface $IP_WS1 -o /dev/null "http://$IP_WEB/dl/blob_24m.bin"
        c curl -s --interface $IP_WS1 -o /dev/null "http://$IP_WEB/dl/blob_8m.bin" -o /dev/null "http://$IP_WEB/dl/blob_8m.bin"
        c curl -s --interface $IP_WS1 -o /dev/null "http://$IP_WEB/dl/blob_2m.bin" -o /dev/null "http://$IP_WEB/dl/blob_2m.bin" -o /dev/null "http://$IP_WEB/dl/blob_2m.bin"
        c curl -s --interface $IP_WS1 -o /dev/null -H 'Content-Type: application/octet-stream' --data-binary @"$DATA/files/file_4m.bin" "http://$IP_WEB/upload/study$i"
        c curl -s --interface $IP_WS1 -o /dev/null -T "$DATA/files/file_4m.bin" "http://$IP_WEB/upload/put$i.bin"
    done
}
http_10() { # N single-request HTTP/1.0 connections to the :8080 server
    local n=$1 i
    for i in $(seq "$n"); do
        c curl -s -0 --interface $IP_WS1 -o /dev/null "http://$IP_WEB:8080/pages/page$(printf %02d $((i % 20))).html"
    done
}

SMBU() { echo "$SMBDOM/$SMBUSER%$SMBPASS"; }
smb_bulk() { # dialect big-file small-file : put + get of a big file, put + get of a small one
    local m=$1 big=$2 small=$3 tag=$4 opt=()
    [ "$m" = NT1 ] && opt=(--option='client min protocol=NT1')
    c smbclient -n RADWS01 "//$SMBHOST/IMAGES" -I $IP_SMB -U "$(SMBU)" -m "$m" "${opt[@]}" -c \
        "cd incoming; put $DATA/files/$big ${tag}_$big; ls; get ${tag}_$big /dev/null; put $DATA/files/$small ${tag}_$small; get ${tag}_$small /dev/null; del ${tag}_*"
}
smb_small() { # many small files: mput/mget, listings, mkdir/rename/rmdir
    local m=$1 tag=$2 opt=()
    [ "$m" = NT1 ] && opt=(--option='client min protocol=NT1')
    mkdir -p "$RUN/mget_$tag"
    c smbclient -n RADWS01 "//$SMBHOST/IMAGES" -I $IP_SMB -U "$(SMBU)" -m "$m" "${opt[@]}" -c \
        "prompt off; mkdir $tag; cd $tag; lcd $DATA/files/small; mput report*.txt; ls; cd ..; cd archive; ls; lcd $RUN/mget_$tag; mget report0*.txt; cd ..; rename $tag ${tag}_old; deltree ${tag}_old; ls"
}
smb_rpc() { # DCE/RPC over \\PIPE\...: srvsvc, wkssvc, samr, lsarpc
    c rpcclient -n RADWS01 -U "$(SMBU)" -I $IP_SMB -c 'srvinfo; netshareenumall; netsharegetinfo IMAGES; wkssvc_wkstagetinfo; enumdomusers; querydominfo; lsaquery; lookupnames root' $SMBHOST
}

dicom_store() { # aet pdu files...
    local aet=$1 pdu=$2
    shift 2
    c storescu -aet "$aet" -aec STORESCP --max-pdu "$pdu" --max-send-pdu "$pdu" $IP_PACS 104 "$@"
}
dicom_echo() {
    local n=$1 i
    for i in $(seq "$n"); do c echoscu -aet RADWS01 -aec STORESCP $IP_PACS 104; done
}
dicom_qr() { # store a series into dcmqrscp, then C-FIND at PATIENT/STUDY/SERIES level
    local n=$1 i
    c storescu -aet CT_SCANNER2 -aec DCMQRSCP $IP_PACS 11114 "$DATA"/dicom/mr/MR_00*.dcm
    for i in $(seq "$n"); do
        c findscu -aet RADWS01 -aec DCMQRSCP -P -k QueryRetrieveLevel=PATIENT -k 'PatientName=BENCH*' -k PatientID $IP_PACS 11114
        c findscu -aet RADWS01 -aec DCMQRSCP -S -k QueryRetrieveLevel=STUDY -k PatientID=BENCH002 -k StudyInstanceUID -k StudyDescription $IP_PACS 11114
        c findscu -aet RADWS01 -aec DCMQRSCP -S -k QueryRetrieveLevel=SERIES -k PatientID=BENCH002 -k 'StudyInstanceUID=*' -k SeriesInstanceUID -k Modality $IP_PACS 11114
    done
}

dns_queries() { # n-udp n-tcp: dig batch files of A/AAAA/MX/TXT lookups with NXDOMAINs
    local nu=$1 nt=$2 i f=$RUN/dig_udp.txt g=$RUN/dig_tcp.txt types=(A A A AAAA MX TXT)
    : >"$f"
    : >"$g"
    for i in $(seq "$nu"); do
        if [ $((i % 10)) = 0 ]; then echo "nxhost$i.hospital.example A" >>"$f"; else echo "host$((i % 300)).hospital.example ${types[$((i % 6))]}" >>"$f"; fi
    done
    for i in $(seq "$nt"); do echo "pacs$((i % 50)).hospital.example ${types[$((i % 6))]}" >>"$g"; done
    c dig -b $IP_WS2 @$IP_DNS +tries=1 +time=2 +noall +answer -f "$f"
    c dig -b $IP_WS2 @$IP_DNS +tcp +tries=1 +time=2 +noall +answer -f "$g"
}

# ---------------------------------------------------------------------------- capture
CAP_PID=""
CAP_DROPS=0
cap_start() { # name
    CAP=$1
    CLOG=$RUN/logs/clients_$CAP.log
    : >"$CLOG"
    rm -f "$RUN/raw_$CAP.pcap"
    sync # flush earlier captures first: writeback stalls make tcpdump drop packets
    nice -n -10 tcpdump -i lo -n -B 131072 -w "$RUN/raw_$CAP.pcap" >"$RUN/logs/tcpdump_$CAP.log" 2>&1 &
    CAP_PID=$!
    local i
    for i in $(seq 50); do grep -q 'listening on' "$RUN/logs/tcpdump_$CAP.log" 2>/dev/null && break; sleep 0.1; done
    log "$CAP: capturing"
}
cap_stop() {
    sleep 1
    kill -INT "$CAP_PID" 2>/dev/null
    wait "$CAP_PID" 2>/dev/null
    CAP_PID=""
    log "$CAP: tcpdump: $(grep -E 'captured|dropped by kernel' "$RUN/logs/tcpdump_$CAP.log" | tr '\n' ' ')"
    CAP_DROPS=0
    grep -Eq '^[1-9][0-9]* packets dropped by kernel' "$RUN/logs/tcpdump_$CAP.log" && CAP_DROPS=1
}

scen_mixed() {
    start_servers http smb dicom dns
    cap_start mixed
    local s=$SCALE pids=()
    { http_bulk $((3 * s)); } &
    pids+=($!)
    { http_browse $((6 * s)); http_10 $((60 * s)); } &
    pids+=($!)
    {
        smb_bulk SMB3 file_32m.bin file_1m.bin s3a
        smb_rpc
        smb_bulk SMB2_10 file_16m.bin file_1m.bin s21
        smb_small SMB3 dir3
        smb_bulk NT1 file_16m.bin file_1m.bin s1
        smb_rpc
        smb_bulk SMB3 file_16m.bin file_4m.bin s3b
        smb_rpc
    } &
    pids+=($!)
    {
        dicom_echo 3
        dicom_store CT_SCANNER1 16384 "$DATA"/dicom/ct/*.dcm
        dicom_store US_CART1 16384 "$DATA"/dicom/us/US_0[0-9]*.dcm
        dicom_echo 2
        dicom_store MR_SCANNER1 65536 "$DATA"/dicom/mr/*.dcm
        dicom_store DX_ROOM1 131072 "$DATA"/dicom/dx/DX_001.dcm "$DATA"/dicom/dx/DX_002.dcm
    } &
    pids+=($!)
    { dns_queries $((1500 * s)) $((200 * s)); } &
    pids+=($!)
    wait "${pids[@]}"
    cap_stop
}

scen_dicom() {
    start_servers dicom
    cap_start dicom
    local s=$SCALE i pids=()
    {
        dicom_echo $((10 * s))
        for i in $(seq "$s"); do
            dicom_store CT_SCANNER1 16384 "$DATA"/dicom/ct/*.dcm
            dicom_store CT_SCANNER1 4096 "$DATA"/dicom/ct/CT_00*.dcm "$DATA"/dicom/ct/CT_01*.dcm
            dicom_store DX_ROOM1 131072 "$DATA"/dicom/dx/*.dcm
        done
    } &
    pids+=($!)
    {
        for i in $(seq "$s"); do
            dicom_store MR_SCANNER1 32768 "$DATA"/dicom/mr/*.dcm
            dicom_store US_CART1 16384 "$DATA"/dicom/us/*.dcm
            dicom_store DX_ROOM2 16384 "$DATA"/dicom/dx/DX_001.dcm "$DATA"/dicom/dx/DX_002.dcm
            dicom_echo $((5 * s))
            dicom_store US_CART2 65536 "$DATA"/dicom/us/US_1*.dcm
        done
        # association aborted after one C-STORE
        cx storescu --abort -aet CT_SCANNER9 -aec STORESCP $IP_PACS 104 "$DATA"/dicom/ct/CT_001.dcm
        dicom_qr $((3 * s))
    } &
    pids+=($!)
    wait "${pids[@]}"
    cap_stop
}

scen_smb() {
    start_servers smb
    cap_start smb
    local s=$SCALE i pids=()
    {
        for i in $(seq "$s"); do
            smb_bulk SMB3 file_32m.bin file_1m.bin a$i
            smb_small SMB3 d3a$i
            smb_bulk SMB2_10 file_16m.bin file_4m.bin b$i
            smb_small SMB2_10 d21$i
        done
    } &
    pids+=($!)
    {
        for i in $(seq "$s"); do
            smb_bulk NT1 file_16m.bin file_4m.bin c$i
            smb_small NT1 d1$i
            smb_rpc
            smb_bulk SMB3 file_16m.bin file_1m.bin e$i
            c smbclient -L "$SMBHOST" -I $IP_SMB -U "$(SMBU)" -m SMB3
            cx smbclient -n RADWS01 "//$SMBHOST/IMAGES" -I $IP_SMB -U "$SMBDOM/$SMBUSER%wrong$i" -m SMB3 -c ls
            cx smbclient -n RADWS01 "//$SMBHOST/IMAGES" -I $IP_SMB -U "$SMBDOM/$SMBUSER%wrongnt1$i" -m NT1 --option='client min protocol=NT1' -c ls
            smb_rpc
            smb_rpc
        done
    } &
    pids+=($!)
    wait "${pids[@]}"
    cap_stop
}

scen_flows() {
    local a
    for a in $(seq 1 250); do ip addr add 127.0.1.$a/8 dev lo 2>/dev/null; ip addr add 127.0.2.$a/8 dev lo 2>/dev/null; done
    cap_start flows
    # two processes (each holds both ends of its connections, within the file descriptor limit)
    c python3 "$TOOLS/manyflows.py" $IP_WEB 8000 $((10000 * SCALE)) 127.0.1 &
    local p1=$!
    c python3 "$TOOLS/manyflows.py" $IP_WEB 8001 $((10000 * SCALE)) 127.0.2
    wait $p1
    cap_stop
}

inner() {
    trap 'stop_all' EXIT
    mkdir -p "$RUN/pids" "$RUN/logs"
    setup_lo
    local g
    local attempt
    for g in "$@"; do
        # a capture with kernel drops has holes in its streams: run the scenario again (bounded)
        for attempt in 1 2 3; do
            log "scenario $g"
            "scen_$g"
            stop_all
            mkdir -p "$RUN/pids"
            [ "$CAP_DROPS" = 0 ] && break
            log "WARNING: $g: tcpdump reported kernel drops (attempt $attempt of 3)"
        done
    done
}

# ============================================================================ outside
NS=""
cleanup() {
    local rc=$?
    if [ -n "$NS" ]; then
        local p pids
        pids=$(ip netns pids "$NS" 2>/dev/null)
        if [ -n "$pids" ]; then
            log "stopping leftover processes in $NS:" $pids
            for p in $pids; do kill -TERM "$p" 2>/dev/null; done
            sleep 1
            for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        fi
        ip netns del "$NS" 2>/dev/null
        NS=""
    fi
    [ -n "${RUN:-}" ] && [ -d "$RUN" ] && rm -rf "$RUN"
    exit $rc
}

is_fresh() { # capture is newer than this script and every tool
    local f=$OUT/$1.pcap t
    [ -s "$f" ] || return 1
    for t in "$SELF" "$TOOLS"/*; do [ "$f" -nt "$t" ] || return 1; done
    return 0
}

outer() {
    local force=0 want=() todo=() g
    for g in "$@"; do
        case $g in
        --force | -f) force=1 ;;
        all) want+=(mixed dicom smb flows) ;;
        mixed | dicom | smb | flows) want+=("$g") ;;
        -h | --help) sed -n '2,/^set -uo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$g' (want: --force mixed dicom smb flows all)" ;;
        esac
    done
    [ ${#want[@]} = 0 ] && want=(mixed dicom smb flows)
    for g in "${want[@]}"; do
        if [ $force = 1 ] || ! is_fresh "$g"; then todo+=("$g"); else log "$OUT/$g.pcap is up to date"; fi
    done
    [ ${#todo[@]} = 0 ] && return 0

    [ "$(id -u)" = 0 ] || die "must run as root (network namespace, tcpdump, smbd)"
    local t
    for t in ip tcpdump tcprewrite python3 curl dig smbd smbclient smbpasswd rpcclient storescu storescp echoscu findscu dcmqrscp timeout setsid ss; do
        command -v $t >/dev/null 2>&1 || die "$t not found (run: scripts/deps.sh bench)"
    done
    mkdir -p "$OUT" "$DATA"
    log "making input data in $DATA"
    python3 "$TOOLS/mkdata.py" "$DATA" || die "mkdata.py failed"

    NS=medsentry-bench-$$
    RUN=$WORK/run.$$
    trap cleanup EXIT
    trap 'exit 130' INT TERM HUP
    mkdir -p "$RUN"
    ip netns add "$NS" || { NS=""; die "cannot create network namespace"; }
    log "namespace $NS: generating ${todo[*]}"
    # in the background + wait, so that a TERM to this script runs the cleanup at once
    GEN_RUN=$RUN ip netns exec "$NS" "$SELF" __inner "${todo[@]}" &
    wait $! || die "capture run failed"

    for g in "${todo[@]}"; do
        [ "$(stat -c %s "$RUN/raw_$g.pcap" 2>/dev/null || echo 0)" -gt 100000 ] || die "no (or an almost empty) capture for $g"
        log "$g: fixing checksums (tcprewrite --fixcsum)"
        tcprewrite --fixcsum -i "$RUN/raw_$g.pcap" -o "$RUN/fixed_$g.pcap" || die "tcprewrite failed for $g"
        rm -f "$RUN/raw_$g.pcap"
        mv -f "$RUN/fixed_$g.pcap" "$OUT/$g.pcap"
        cp "$RUN/logs/clients_$g.log" "$OUT/$g.clients.log" 2>/dev/null
        if grep -q '^\[exit' "$OUT/$g.clients.log" 2>/dev/null; then
            log "WARNING: $g: some client commands failed, see $OUT/$g.clients.log:"
            grep '^\[exit' "$OUT/$g.clients.log" | head -5 >&2
        fi
        log "$g: $(stat -c %s "$OUT/$g.pcap") bytes -> $OUT/$g.pcap"
    done
}

if [ "${1:-}" = __inner ]; then
    shift
    [ -n "$RUN" ] || die "__inner needs GEN_RUN"
    inner "$@"
else
    outer "$@"
fi
