#!/bin/bash
# make_scenarios.sh - scenario captures for detections the corpus has no capture for, made with REAL tools
# (DCMTK, Samba, curl, python sockets) inside a private network namespace, modelled on
# tests/data/corpus/generated/make_corpus.sh: lo only (MTU 1500, offloads off), servers on 127.x addresses,
# tcpdump -i lo per scenario, servers stopped by the PIDs recorded here (never by name), checksums fixed with
# tcprewrite.  Nothing leaves the namespace.  README.md beside this script says what each capture is and what
# test_alerts.py expects of it.
#
# usage: make_scenarios.sh            (as root; writes the pcaps next to this script)
# env:   WORK (scratch folder, default ${TMPDIR:-/tmp}/medsentry-scenarios)
set -uo pipefail
SELF=$(readlink -f "$0")
HERE=$(dirname "$SELF")
CORPUS_TOOLS=$HERE/../corpus/generated/tools
WORK=${WORK:-${TMPDIR:-/tmp}/medsentry-scenarios}
RUN=$WORK/run
LOGS=$WORK/logs
OUT=${OUT:-$HERE}
SMBUSER=radadmin
SMBPASS='Rad!Admin2024'
SMBDOM=RADIOLOGY
SMBHOST=PACS-WS01
C=127.0.0.1          # the workstation / administrator console (default source address on lo)
IP_ARCH=127.0.0.21   # DCMTK storescp (11112) and dcmqrscp (11114)
IP_REST=127.0.0.20   # a PACS REST port (8042, python http.server standing in for Orthanc)
IP_SMB=127.0.0.30    # Samba "PACS-WS01"
IP_HL7=127.0.0.40    # MLLP receiver (RIS)
IP_ENGINE=127.0.0.41 # HL7 interface engine
IP_LIS=127.0.0.42    # laboratory information system
IP_ROGUE=127.0.0.66  # unknown host
IP_WEB=127.0.0.80    # PACS web UI / intranet (python http.server)
IP_GUEST=127.0.0.99  # a guest-network laptop

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------------------------------------- set-up (outer)
prepare() {
  rm -rf "$RUN"
  mkdir -p "$RUN"/{pids,storescp,dcmqrscp/db,movescu_in,raw,www/Pacs,samba/{private,lock,state,cache,pid,ncalrpc,bind-dns}} \
           "$RUN/smbroot/Windows/system32" "$LOGS"
  chmod -R 0777 "$RUN/smbroot"
  python3 "$HERE/make_dicom_docs.py" "$RUN/docs"
  python3 "$CORPUS_TOOLS/gen_dicom.py" "$RUN/dicom" > "$LOGS/gen_dicom.log" 2>&1
  echo '<html><body>study viewer</body></html>' > "$RUN/www/Pacs/nocache.php"
  echo '<html><body>search</body></html>' > "$RUN/www/search.php"
  python3 - "$RUN/payload.exe" <<'PY'
import struct, sys
mz = bytearray(b'MZ\x90\x00' + b'\x00' * 60)
struct.pack_into('<I', mz, 0x3c, 0x80)
hdr = bytes(mz) + b'\x00' * (0x80 - len(mz)) + b'PE\x00\x00' + struct.pack('<HH', 0x14c, 3)
open(sys.argv[1], 'wb').write(hdr + bytes(range(256)) * 256)
PY
  cat > "$RUN/dcmqrscp.cfg" <<CFG
NetworkTCPPort  = 11114
MaxPDUSize      = 16384
MaxAssociations = 16
HostTable BEGIN
ws1  = (RADWS01, $C, 11113)
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
DCMQRSCP   $RUN/dcmqrscp/db   RW (200, 1024mb)   ANY
AETable END
CFG
  cat > "$RUN/smb.conf" <<CFG
[global]
  netbios name = $SMBHOST
  workgroup = $SMBDOM
  server role = standalone server
  interfaces = $IP_SMB/8
  bind interfaces only = yes
  smb ports = 445
  disable netbios = yes
  server min protocol = SMB2_10
  passdb backend = tdbsam:$RUN/samba/private/passdb.tdb
  private dir = $RUN/samba/private
  lock directory = $RUN/samba/lock
  state directory = $RUN/samba/state
  cache directory = $RUN/samba/cache
  pid directory = $RUN/samba/pid
  ncalrpc dir = $RUN/samba/ncalrpc
  binddns dir = $RUN/samba/bind-dns
  log file = $RUN/samba/log.%m
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = never
  admin users = $SMBUSER
[ADMIN\$]
  path = $RUN/smbroot/Windows
  read only = no
  valid users = $SMBUSER
CFG
  id "$SMBUSER" >/dev/null 2>&1 || useradd -M -N -s /usr/sbin/nologin "$SMBUSER"
  printf '%s\n%s\n' "$SMBPASS" "$SMBPASS" | smbpasswd -c "$RUN/smb.conf" -s -a "$SMBUSER" >/dev/null
}

# ---------------------------------------------------------------------------------------------- helpers (inner)
start_bg() { local name=$1; shift; setsid "$@" > "$LOGS/server_$name.log" 2>&1 < /dev/null & echo $! > "$RUN/pids/$name"; }
descendants() { local p; for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$p"; echo "$p"; done; }
kill_tree() {
  local all p i; all="$(descendants "$1") $1"
  for p in $all; do kill -TERM "$p" 2>/dev/null; done
  for i in $(seq 50); do local alive=0; for p in $all; do kill -0 "$p" 2>/dev/null && alive=1; done; [ $alive = 0 ] && return 0; sleep 0.1; done
  for p in $all; do kill -KILL "$p" 2>/dev/null; done
}
stop_bg() { local f=$RUN/pids/$1; [ -f "$f" ] || return 0; kill_tree "$(cat "$f")"; rm -f "$f"; }
reap_netns() { # detached daemons (samba-dcerpcd) inside OUR namespace: started by this script; stopped by PID
  local me p; me=$(readlink /proc/$$/ns/net)
  for p in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$p" = "$$" ] && continue
    [ "$(readlink /proc/$p/ns/net 2>/dev/null)" = "$me" ] && kill -TERM "$p" 2>/dev/null
  done
  return 0
}
stop_all() { local f; for f in "$RUN"/pids/*; do [ -e "$f" ] && stop_bg "$(basename "$f")"; done; reap_netns; }
wait_listen() { local i; for i in $(seq 100); do ss -H -ln"$1" "sport = :$2" | grep -q . && return 0; sleep 0.1; done; log "WARNING: nothing on $1/$2"; }
CAP=""
cap_start() { CAP=$1; tcpdump -i lo -s 0 -U -n -w "$RUN/raw/$1.pcap" "$2" > "$LOGS/tcpdump_$1.log" 2>&1 & echo $! > "$RUN/tcpdump.pid"
  local i; for i in $(seq 50); do grep -q 'listening on' "$LOGS/tcpdump_$1.log" && break; sleep 0.1; done
  sleep 0.5; exec 3>"$LOGS/clients_$1.log"; } # once, tcpdump missed a scenario started right after 'listening on'

cap_stop() { sleep 1.5; local pid; pid=$(cat "$RUN/tcpdump.pid"); kill -INT "$pid"; wait "$pid" 2>/dev/null; exec 3>&-
  tcprewrite --fixcsum -i "$RUN/raw/$CAP.pcap" -o "$OUT/$CAP.pcap" || cp "$RUN/raw/$CAP.pcap" "$OUT/$CAP.pcap"
  log "$CAP: $(grep -Eo '[0-9]+ packets captured' "$LOGS/tcpdump_$CAP.log")"
  grep -q '^0 packets captured' "$LOGS/tcpdump_$CAP.log" && { log "ERROR: $CAP captured nothing"; exit 1; }; return 0; }
run() { echo "\$ $*" >&3; "$@" >&3 2>&1; echo "[exit $?]" >&3; return 0; }

BROWSER=(-H 'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0'
         -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
         -H 'Accept-Language: en-GB,en;q=0.5' -H 'Referer: http://intranet.hospital.example/index.html'
         -H 'Cookie: PHPSESSID=5d1e3c0f9a7b2e44' -H 'Host: intranet.hospital.example')

inner() {
  trap 'stop_all' EXIT
  ip link set lo up; ip link set lo mtu 1500
  ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || log "WARNING: offloads stay on"
  local a; for a in $IP_ARCH $IP_REST $IP_SMB $IP_HL7 $IP_ENGINE $IP_LIS $IP_ROGUE $IP_WEB $IP_GUEST; do ip addr add $a/8 dev lo 2>/dev/null; done
  local U="$SMBDOM/$SMBUSER%$SMBPASS" D=$RUN/dicom DICOM='tcp port 11112 or tcp port 11113 or tcp port 11114'
  local NETRPC=(-S $SMBHOST -I $IP_SMB -U "$U" --option='client ipc max protocol=SMB2_10' -n ADMINCON)

  # 1. the allowlisted administrator's push install (near miss for 9300050/60/300)
  start_bg smbd smbd --foreground --no-process-group --debug-stdout -s "$RUN/smb.conf"
  wait_listen t 445; sleep 1
  cap_start scn_01_admin_push_allowlisted 'tcp port 445'
  run smbclient -n ADMINCON "//$SMBHOST/ADMIN\$" -I $IP_SMB -U "$U" -m SMB2_10 -c "cd system32; put $RUN/payload.exe agentsetup.exe; ls agentsetup.exe"
  run net rpc service create AgentSvc "Endpoint agent" "%SystemRoot%\\system32\\agentsetup.exe" "${NETRPC[@]}"
  run net rpc service start AgentSvc "${NETRPC[@]}"
  cap_stop
  stop_bg smbd; reap_netns; sleep 1

  start_bg storescp storescp -v -aet STORESCP -od "$RUN/storescp" 11112
  start_bg dcmqrscp dcmqrscp -v -c "$RUN/dcmqrscp.cfg"
  start_bg rest python3 -m http.server --bind $IP_REST --directory "$RUN/www" 8042
  start_bg web python3 -m http.server --bind $IP_WEB --directory "$RUN/www" 80
  start_bg mllp python3 "$CORPUS_TOOLS/mllp_server.py" $IP_HL7 2575
  wait_listen t 11112; wait_listen t 11114; wait_listen t 8042; wait_listen t 80; wait_listen t 2575

  # 2. DCMTK echoscu with its own defaults (ECHOSCU -> ANY-SCP, OFFIS_DCMTK_36x) from a known workstation
  cap_start scn_02_echoscu_known_workstation "$DICOM"
  run echoscu -v $IP_ARCH 11112
  cap_stop

  # 3. a site search ?q= sent with a browser's headers
  cap_start scn_03_browser_site_search 'tcp port 80'
  run curl -s -o /dev/null "${BROWSER[@]}" "http://$IP_WEB/search.php?q=KTQ2Mzk4"
  run curl -s -o /dev/null "${BROWSER[@]}" "http://$IP_WEB/search.php?q=KTABDOMEN"
  cap_stop

  # 4. a radiologist's normal C-FIND of one patient (after the modality stored the study)
  run_store() { storescu -aet CT_SCANNER1 -aec DCMQRSCP $IP_ARCH 11114 "$D"/small_ct/*.dcm >> "$LOGS/setup.log" 2>&1; }
  run_store
  cap_start scn_04_radiologist_cfind_one_patient "$DICOM"
  run findscu -v -aet RADWS01 -aec DCMQRSCP -S -k QueryRetrieveLevel=STUDY -k PatientID=PAT0001 -k StudyInstanceUID -k StudyDescription -k StudyDate $IP_ARCH 11114
  run findscu -v -aet RADWS01 -aec DCMQRSCP -P -k QueryRetrieveLevel=PATIENT -k 'PatientName=DOE^JANE' -k PatientID -k PatientBirthDate $IP_ARCH 11114
  cap_stop

  # 5. a C-MOVE to the requester itself
  local CTS; CTS=$(dcmdump +P StudyInstanceUID "$D/small_ct/CT_001.dcm" | sed -E 's/.*\[(.*)\].*/\1/')
  cap_start scn_05_cmove_to_requester "$DICOM"
  run movescu -v -aet RADWS01 -aem RADWS01 -aec DCMQRSCP --port 11113 -od "$RUN/movescu_in" -S -k QueryRetrieveLevel=STUDY -k StudyInstanceUID="$CTS" $IP_ARCH 11114
  cap_stop

  # 6. §7.12: Encapsulated PDF objects, one holding a PDF (normal), one a Windows program, one a Part 10 file
  cap_start scn_06_dimse_polyglot_store "$DICOM"
  run storescu -v -aet CT_SCANNER1 -aec STORESCP $IP_ARCH 11112 "$RUN/docs/doc_pdf.dcm" "$RUN/docs/doc_pe.dcm" "$RUN/docs/doc_p10.dcm"
  cap_stop

  # 7. §7.19: patient data in clear across zones (zones set by the test: imaging 127.0.0.20-21, guest 127.0.0.99)
  cap_start scn_07_phi_cleartext_zones "$DICOM or tcp port 2575 or tcp port 8042"
  run storescu -v -aet CT_SCANNER1 -aec STORESCP $IP_ARCH 11112 "$D/small_ct/CT_001.dcm"
  run python3 "$HERE/hl7_send.py" $IP_GUEST $IP_HL7 2575 guest
  run curl -s -o /dev/null --interface $IP_GUEST "http://$IP_REST:8042/patients"
  run curl -s -o /dev/null -u radiologist:Reading2024 "http://$IP_REST:8042/wado?requestType=WADO&studyUID=$CTS"
  cap_stop

  # 8. §7.20: the engine and the LIS as usual, then an unknown host injecting results and replaying a control id
  cap_start scn_08_hl7_rogue_sender 'tcp port 2575'
  run python3 "$HERE/hl7_send.py" $IP_ENGINE $IP_HL7 2575 engine
  run python3 "$HERE/hl7_send.py" $IP_LIS $IP_HL7 2575 lis
  run python3 "$HERE/hl7_send.py" $IP_ROGUE $IP_HL7 2575 rogue
  cap_stop

  # 9. §7.22: PACS web traversal (curl) with near misses from another address, and the Horos A-ASSOCIATE-RQ shape
  cap_start scn_09_pacs_exploits "tcp port 80 or $DICOM"
  run curl -s -o /dev/null --interface $IP_GUEST "http://$IP_WEB/Pacs/nocache.php?path=studies/2024/CT_001.dcm"
  run curl -s -o /dev/null --interface $IP_GUEST "http://$IP_WEB/search.php?path=../../etc/passwd"
  run curl -s -o /dev/null --path-as-is "http://$IP_WEB/Pacs/nocache.php?path=../../../../etc/passwd"
  run curl -s -o /dev/null --path-as-is "http://$IP_WEB/exportFile?UID=..%5c..%5c..%5cWindows%5cwin.ini"
  run python3 "$HERE/horos_rq.py" $IP_ARCH 11112
  cap_stop

  stop_bg mllp; stop_bg web; stop_bg rest; stop_bg dcmqrscp; stop_bg storescp
}

outer() {
  [ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
  mkdir -p "$WORK"
  prepare
  unshare -n true 2>/dev/null || { echo "no network namespaces: refusing to run servers" >&2; exit 1; }
  unshare -n -- "$SELF" __inner
  log "done: $(ls "$OUT"/scn_*.pcap | wc -l) captures in $OUT"
}

if [ "${1:-}" = __inner ]; then shift; inner "$@"; else outer "$@"; fi
