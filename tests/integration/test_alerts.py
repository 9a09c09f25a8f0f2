#!/usr/bin/env python3
"""Alerts on the corpus: each capture raises exactly the alerts its scenario calls for.

The expected table below is written from the scenario descriptions in tests/data/corpus/README.md ("what a
security monitor should say about each generated capture") and generated/pcaps/README.md, with the client
and server addresses tshark shows in generated/EXPECTED.md (the loopback clients connect from 127.0.0.1 or
::1), and from the suricata-verify READMEs for the public captures.  It is not a copy of medsentry's output.
Signature ids: docs/DETECTIONS.md.

For every generated capture the multiset of (signature_id, src_ip, dest_ip) must equal the table; captures the
README calls benign or encrypted must raise nothing (and in particular nothing of severity 1-2).  Chains must
link the alerts they summarise (their steps' signature ids and flow ids).  Public captures are compared as
sets (a retransmitted request may legitimately be reported twice).
Env: MEDSENTRY (binary), REPO (repository root).  Exit 0 pass, 1 fail, 77 skip.
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

REPO = os.environ.get("REPO", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("MEDSENTRY", os.path.join(REPO, "build", "medsentry"))
GEN = os.path.join(REPO, "tests", "data", "corpus", "generated", "pcaps")
SV = os.path.join(REPO, "tests", "data", "corpus", "public", "suricata-verify", "tests")

ADMIN_EXE, REMOTE_SVC, CHAIN, SMB1 = 9300050, 9300060, 9300300, 9300210
C2_HTTP, C2_DOMAIN, C2_IP_PATH, C2_NAME, C2_FALLBACK, BEACON = 9300010, 9300020, 9300022, 9300030, 9300040, 9300320
C2_STEPS = {C2_HTTP, 9300011, C2_DOMAIN, 9300021, C2_IP_PATH, C2_NAME, C2_FALLBACK}
AUTH_FAIL, RECON, AE_REJECTED, QUERY_REFUSED = 9300081, 9300090, 9300141, 9300161
C, S, S2 = "127.0.0.1", "127.0.0.30", "127.0.0.20"   # smbclient/DCMTK client, Samba PACS-WS01, Orthanc

GENERATED = {
    # executable written to ADMIN$\system32 (SMB 3.1.1, cleartext)
    "smb_01_smb3_admin_share_exe_upload": [(ADMIN_EXE, C, S)],
    # upload + svcctl CreateServiceW: the Kwampirs/PsExec pattern -> the two steps and ONE chain alert
    "smb_02_smb2_kwampirs_like_lateral": [(ADMIN_EXE, C, S), (REMOTE_SVC, C, S), (CHAIN, C, S)],
    # the same over SMB1 (NT LM 0.12): also SMB1 on the network (policy, low)
    "smb_03_smb1_admin_share_exe_and_svcctl": [(ADMIN_EXE, C, S), (REMOTE_SVC, C, S), (CHAIN, C, S),
                                               (SMB1, C, S)],
    # administrator restarting the existing Spooler service: benign
    "smb_04_svcctl_enum": [],
    # burst of failed logons (6, one of them over SMB1)
    "smb_05_failed_logins": [(AUTH_FAIL, C, S), (SMB1, C, S)],
    "smb_06_benign_images_share": [],
    # SMB3 encryption: nothing inside can be judged
    "smb_07_smb3_encrypted_admin_upload": [],
    # srvsvc share enumeration, samr user enumeration, lsarpc
    "smb_08_rpc_recon": [(RECON, C, S)],
    "smb_09_ipv6_admin_share_exe_upload": [(ADMIN_EXE, "::1", "::1")],
    "smb_10_impacket_psexec_smb3_encrypted": [],
    # real PsExec (impacket) in cleartext: ADMIN$ upload + CreateServiceW
    "smb_11_impacket_psexec_smb21": [(ADMIN_EXE, C, S), (REMOTE_SVC, C, S), (CHAIN, C, S)],
    "dicom_01_echo": [], "dicom_02_store_orthanc": [], "dicom_03_find_orthanc": [], "dicom_04_move_orthanc": [],
    "dicom_05_get_orthanc": [],
    # two associations rejected, called AE not recognised (Orthanc 127.0.0.20, dcmqrscp 127.0.0.21): two
    # distinct titles stay below the brute-force threshold (5), so each rejection alone, at low severity
    "dicom_06_reject_wrong_called_ae": [(AE_REJECTED, C, S2), (AE_REJECTED, C, "127.0.0.21")],
    # C-FIND from unknown calling AE INTRUDER, aborted by the PACS
    "dicom_07_find_unauthorized_calling_ae": [(QUERY_REFUSED, C, S2)],
    "dicom_08_abort": [], "dicom_09_large_study_fragmented": [], "dicom_10_tls_store": [],
    "dicom_11_qr_dcmqrscp": [], "dicom_12_worklist": [], "dicom_13_interrupted_transfer": [],
    # the infected workstation 127.0.0.10 POSTs /api/v1/update.php to the "C2" 127.0.0.66 every 5 s +-10 %, after
    # resolving update-check.cdn-telemetry.example: a periodic beacon (9300320).  None of KWAMPIRS.md §7.1-7.4
    # applies: a POST without ?q=, Host first and an Accept header (not the Kwampirs request), a name on no list
    # and not of the Kwampirs syllables, and every connection preceded by its lookup (no raw IP).
    "http_01_beacon": [(BEACON, "127.0.0.10", "127.0.0.66")],
    "http_02_browsing_negative": [], "http_03_ipv6_get": [], "hl7_01_mllp_adt": [],
}

PUBLIC = {
    # PsExec over SMB2: PSEXESVC.exe to ADMIN$, then OpenServiceW/StartServiceW of the installed service
    "smb2-07": {(ADMIN_EXE, "192.168.10.31", "192.168.10.10"), (CHAIN, "192.168.10.31", "192.168.10.10")},
    # PsExec over SMB1: PSEXESVC.EXE and PSKLLSVC.EXE to ADMIN$, CreateServiceW/A
    "filestore-filecontainer-smb": {(ADMIN_EXE, "192.168.202.115", "192.168.24.100"),
                                    (REMOTE_SVC, "192.168.202.115", "192.168.24.100"),
                                    (CHAIN, "192.168.202.115", "192.168.24.100"),
                                    (SMB1, "192.168.202.115", "192.168.24.100")},
    # a random .exe to C$\WINDOWS then CreateServiceW/StartServiceW (SMB1)
    "smb-filename": {(ADMIN_EXE, "10.4.30.101", "10.4.30.5"), (REMOTE_SVC, "10.4.30.101", "10.4.30.5"),
                     (CHAIN, "10.4.30.101", "10.4.30.5"), (SMB1, "10.4.30.101", "10.4.30.5")},
    # CreateServiceA over DCE/RPC on TCP with NTLMSSP auth (stub not decodable): the create still counts
    "dcerpc/dcerpc-auth3-5133": {(REMOTE_SVC, "172.16.66.1", "172.16.66.36")},
}


# Scenario captures for the C2 detections: tests/data/c2/make_c2_pcaps.py (its docstring is the scenario).
C2DIR = os.path.join(REPO, "tests", "data", "c2")
W, R = "10.1.2.30", "10.1.2.53"   # the infected workstation, its resolver
C2CAPS = {
    # DNS pbnyhdsite.info (generated name), the Kwampirs GET to it (fingerprint; generated Host), DNS ikjmain.com
    # (listed domain), the Kwampirs GET to the listed address + path 65.116.107.24/login/login.php
    "c2_01_kwampirs_http": [(C2_NAME, W, R), (C2_HTTP, W, "192.0.2.77"), (C2_NAME, W, "192.0.2.77"),
                            (C2_DOMAIN, W, R), (C2_HTTP, W, "65.116.107.24"), (C2_IP_PATH, W, "65.116.107.24")],
    # a browser's site search for "KT..." (Host first, Accept, Referer, Cookie), irregular: nothing
    "c2_02_browser_search_negative": [],
    # 12 failed TCP/80 attempts to raw IPs: one fallback alert about many hosts (no single destination)
    "c2_03_fallback_cycling": [(C2_FALLBACK, W, None)],
    # 9 raw IPs (threshold 10) and 3 addresses looked up first: nothing
    "c2_04_fallback_below_threshold": [],
    # smb_02's spread 127.0.0.1 -> 127.0.0.30, then the target calls the listed C2: the source's chain is reported
    # again with the C2 step, naming 65.116.107.24
    "c2_05_spread_then_beacon": [(ADMIN_EXE, C, S), (REMOTE_SVC, C, S), (CHAIN, C, S),
                                 (C2_HTTP, S, "65.116.107.24"), (C2_IP_PATH, S, "65.116.107.24"),
                                 (CHAIN, C, "65.116.107.24")],
}


# Scenario captures made with real tools for the detections the corpus has no capture for, attacks and near misses:
# tests/data/scenarios/make_scenarios.sh (README.md there describes each).  A capture may be run with settings (the
# site configuration the scenario assumes, as --set KEY=VALUE) and again without them, which shows that the
# settings are what makes the difference.  Rows: (capture, settings, expected (sid, src, dst) multiset, the
# signatures a near miss is near (none of them may be raised), {sid: severity} to check).
SCNDIR = os.path.join(REPO, "tests", "data", "scenarios")
ARCH, REST, SMB, HL7, ROGUE, GUEST, WEB = ("127.0.0.21", "127.0.0.20", "127.0.0.30", "127.0.0.40", "127.0.0.66",
                                           "127.0.0.99", "127.0.0.80")
SCENARIOS = [
    # the administrator's console 127.0.0.1, listed in allow.admin-hosts, pushes agentsetup.exe to ADMIN$ and creates
    # and starts AgentSvc over svcctl: the corpus generator's attack, allowlisted -> nothing ...
    ("scn_01_admin_push_allowlisted", ["detect.allow.admin-hosts=127.0.0.1"], [], {ADMIN_EXE, REMOTE_SVC, CHAIN}, {}),
    # ... and the same capture from an address nobody listed is the lateral movement pattern
    ("scn_01_admin_push_allowlisted", [], [(ADMIN_EXE, C, SMB), (REMOTE_SVC, C, SMB), (CHAIN, C, SMB)], set(), {}),
    # DCMTK echoscu with its defaults (calling ECHOSCU, called ANY-SCP, its real OFFIS_DCMTK_36x version) from a
    # workstation known with that AE title: not nmap's probe (9300130), not an unknown tool (9300131) ...
    ("scn_02_echoscu_known_workstation", ["detect.allow.dicom-ae=ECHOSCU@127.0.0.1"], [], {9300130, 9300131}, {}),
    # ... from an unknown host the tool's default AE title is worth a low alert, still not nmap's fingerprint
    ("scn_02_echoscu_known_workstation", [], [(9300131, C, ARCH)], {9300130}, {9300131: 3}),
    # a browser's site search for "KT..." (?q=, Host first, Accept, Referer, Cookie): not the Kwampirs request
    ("scn_03_browser_site_search", [], [], {C2_HTTP, 9300011}, {}),
    # a radiologist's C-FIND of one patient (by id, then by full name): no sweep
    ("scn_04_radiologist_cfind_one_patient", [], [], {9300160, QUERY_REFUSED}, {}),
    # C-MOVE with the requester's own AE title as the destination: the SCP connects back to the requester
    ("scn_05_cmove_to_requester", [], [], {9300170, 9300171}, {}),
    # Encapsulated PDF objects over C-STORE: one holding a PDF (normal), one a Windows program, one a Part 10 file
    ("scn_06_dimse_polyglot_store", [], [(9300120, C, ARCH), (9300121, C, ARCH)], set(), {9300120: 2, 9300121: 2}),
    # imaging zone 127.0.0.20-21, guest 127.0.0.99: a C-STORE with the patient's name into the imaging zone (low),
    # HL7 with PID from the guest network (medium), the guest's unauthenticated GET on the PACS REST port 8042
    # (medium); the workstation's WADO request with Authorization raises nothing
    ("scn_07_phi_cleartext_zones", ["detect.zones.imaging=127.0.0.20/31", "detect.zones.guest=127.0.0.99"],
     [(9300190, C, ARCH), (9300191, GUEST, HL7), (9300192, GUEST, REST)], set(),
     {9300190: 3, 9300191: 2, 9300192: 2}),
    # the same traffic inside one zone (the default: everything internal) is by design
    ("scn_07_phi_cleartext_zones", [], [], {9300190, 9300191, 9300192}, {}),
    # interface engine .41 and LIS .42 allowlisted, .42 the LIS, nothing learned: the engine's identical resend of
    # MSG10002 and the LIS's ORU^R01 are normal; the unknown host .66 sends ORU^R01 as LAB (new sender, results not
    # from the LIS) and MSG10002 of ADT1/TESTHOSP with another address in PID (new sender, control id reused)
    ("scn_08_hl7_rogue_sender", ["detect.hl7.learning-period=0", "detect.allow.hl7-senders=127.0.0.41,127.0.0.42",
                                 "detect.hl7.lis-hosts=127.0.0.42"],
     [(9300200, ROGUE, HL7), (9300200, ROGUE, HL7), (9300201, ROGUE, HL7), (9300202, ROGUE, HL7)], set(),
     {9300200: 2, 9300201: 1, 9300202: 1}),
    # default configuration: every sender is learned during the first week and no LIS is named; the replay with
    # different content still shows
    ("scn_08_hl7_rogue_sender", [], [(9300202, ROGUE, HL7)], {9300200, 9300201}, {}),
    # the guest laptop's normal nocache.php?path= and a traversal on a non-PACS page raise nothing; the
    # workstation's traversals on nocache.php (PacsOne/MedDream) and exportFile (Dicoogle) do, and so does the
    # Horos-shaped A-ASSOCIATE-RQ (1300-byte application context item) to storescp
    ("scn_09_pacs_exploits", [], [(9300221, C, WEB), (9300221, C, WEB), (9300220, C, ARCH)], set(),
     {9300220: 1, 9300221: 1}),
]


def run(pcap, tmp, settings=()):
    logdir = tempfile.mkdtemp(dir=tmp)
    args = []
    for kv in settings:
        args += ["--set", kv]
    r = subprocess.run([BIN, "-q", "-r", pcap, "-l", logdir] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (pcap, r.returncode, r.stderr.strip()))
    events = []
    with open(os.path.join(logdir, "eve.json")) as f:
        for line in f:
            events.append(json.loads(line))
    return events


def check_alert_shape(a, errors, name):
    al = a.get("alert", {})
    for k in ("action", "gid", "signature_id", "rev", "signature", "category", "severity", "metadata"):
        if k not in al:
            errors.append("%s: alert without alert.%s" % (name, k))
    if al.get("action") != "allowed" or al.get("severity") not in (1, 2, 3):
        errors.append("%s: alert.action/severity wrong: %r" % (name, al))
    if not al.get("metadata", {}).get("mitre_technique_id"):
        errors.append("%s: alert %s without ATT&CK technique ids" % (name, al.get("signature_id")))


def check_chain_links(events, errors, name):
    alerts = [e for e in events if e["event_type"] == "alert"]
    by_key = {(e["alert"]["signature_id"], fid) for e in alerts for fid in e.get("evidence", {}).get("flow_ids", [])}
    for e in alerts:
        if e["alert"]["signature_id"] != CHAIN:
            continue
        steps = e.get("evidence", {}).get("steps", [])
        sids = {s["signature_id"] for s in steps}
        kinds = (ADMIN_EXE in sids) + bool(sids & {REMOTE_SVC, 9300070}) + bool(sids & C2_STEPS)
        if kinds < 2:
            errors.append("%s: chain does not name two kinds of step: %r" % (name, sids))
        for st in steps:
            if st["signature_id"] in C2_STEPS and not st.get("what", "").startswith("C2 from "):
                errors.append("%s: chain's C2 step does not say where from and to: %r" % (name, st))
        for s in steps:
            if s["signature_id"] == ADMIN_EXE and (ADMIN_EXE, s.get("flow_id")) not in by_key:
                errors.append("%s: chain step %r links no alert" % (name, s))
        hosts = set(e["evidence"].get("hosts", []))
        if not {s["dest_ip"] for s in steps if "dest_ip" in s} <= hosts:
            errors.append("%s: chain hosts %r miss a step's target" % (name, hosts))


def main():
    if not os.access(BIN, os.X_OK):
        print("SKIP: no binary at %s" % BIN)
        return 77
    tmp = os.environ.get("TMPDIR") or tempfile.mkdtemp()
    errors = []
    present = {os.path.splitext(f)[0] for f in os.listdir(GEN) if f.endswith(".pcap")}
    if present != set(GENERATED):
        errors.append("corpus and table differ: only in corpus %s, only in table %s" %
                      (sorted(present - set(GENERATED)), sorted(set(GENERATED) - present)))
    for name, want in sorted(GENERATED.items()):
        if name not in present:
            continue
        events = run(os.path.join(GEN, name + ".pcap"), tmp)
        alerts = [e for e in events if e["event_type"] == "alert"]
        got = collections.Counter((e["alert"]["signature_id"], e["src_ip"], e.get("dest_ip")) for e in alerts)
        if got != collections.Counter(want):
            errors.append("%s: alerts %s, expected %s" % (name, sorted(got.elements()), sorted(want)))
        if not want and any(e["alert"]["severity"] <= 2 for e in alerts):
            errors.append("%s: benign capture raised a severity 1-2 alert" % name)
        for a in alerts:
            check_alert_shape(a, errors, name)
        check_chain_links(events, errors, name)
        stats = [e for e in events if e["event_type"] == "stats"][-1]["stats"]
        if stats.get("detect", {}).get("alerts") != len(alerts):
            errors.append("%s: stats.detect.alerts %r != %d alerts written" %
                          (name, stats.get("detect", {}).get("alerts"), len(alerts)))
        print("%-45s %d alert(s) ok" % (name, len(alerts)) if not errors or not errors[-1].startswith(name)
              else "%-45s FAIL" % name)
    for name, want in sorted(C2CAPS.items()):
        path = os.path.join(C2DIR, name + ".pcap")
        if not os.path.exists(path):
            errors.append("%s: capture missing (tests/data/c2/make_c2_pcaps.py)" % name)
            continue
        events = run(path, tmp)
        alerts = [e for e in events if e["event_type"] == "alert"]
        got = collections.Counter((e["alert"]["signature_id"], e["src_ip"], e.get("dest_ip")) for e in alerts)
        if got != collections.Counter(want):
            errors.append("%s: alerts %s, expected %s" % (name, sorted(got.elements(), key=str), sorted(want, key=str)))
        if not want and any(e["alert"]["severity"] <= 2 for e in alerts):
            errors.append("%s: negative capture raised a severity 1-2 alert" % name)
        for a in alerts:
            check_alert_shape(a, errors, name)
            if a["alert"]["signature_id"] == C2_FALLBACK and a["evidence"].get("count", 0) < 10:
                errors.append("%s: fallback alert counts %r raw IPs" % (name, a["evidence"].get("count")))
        check_chain_links(events, errors, name)
        print("%-45s %d alert(s) %s" % (name, len(alerts), "FAIL" if errors and errors[-1].startswith(name) else "ok"))
    for name, settings, want, near, sev in SCENARIOS:
        path = os.path.join(SCNDIR, name + ".pcap")
        label = "%s%s" % (name, " (%s)" % ", ".join(settings) if settings else "")
        if not os.path.exists(path):
            errors.append("%s: capture missing (tests/data/scenarios/make_scenarios.sh)" % name)
            continue
        events = run(path, tmp, settings)
        alerts = [e for e in events if e["event_type"] == "alert"]
        got = collections.Counter((e["alert"]["signature_id"], e["src_ip"], e.get("dest_ip")) for e in alerts)
        n_err = len(errors)
        if got != collections.Counter(want):
            errors.append("%s: alerts %s, expected %s" % (label, sorted(got.elements()), sorted(want)))
        if not want and any(e["alert"]["severity"] <= 2 for e in alerts):
            errors.append("%s: near miss raised a severity 1-2 alert" % label)
        for a in alerts:
            check_alert_shape(a, errors, label)
            sid = a["alert"]["signature_id"]
            if sid in near:
                errors.append("%s: raised %d, the signature it is a near miss for" % (label, sid))
            if sid in sev and a["alert"]["severity"] != sev[sid]:
                errors.append("%s: %d has severity %d, expected %d" % (label, sid, a["alert"]["severity"], sev[sid]))
        check_chain_links(events, errors, label)
        print("%-45s %d alert(s) %s" % (label[:45], len(alerts), "FAIL" if len(errors) > n_err else "ok"))
    for name, want in sorted(PUBLIC.items()):
        d = os.path.join(SV, name)
        pcaps = [f for f in os.listdir(d) if f.endswith(".pcap")] if os.path.isdir(d) else []
        if not pcaps:
            errors.append("%s: capture missing" % name)
            continue
        events = run(os.path.join(d, sorted(pcaps)[0]), tmp)
        got = {(e["alert"]["signature_id"], e["src_ip"], e.get("dest_ip")) for e in events if e["event_type"] == "alert"}
        if got != want:
            errors.append("%s: alerts %s, expected %s" % (name, sorted(got), sorted(want)))
        check_chain_links(events, errors, name)
    for e in errors:
        print("FAIL: " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
