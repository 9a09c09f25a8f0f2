/*
 * detect_config.c - the detect.* keys of medsentry.yaml: types, ranges,
 * defaults and comments, kept with the detection engine.  Lists are
 * comma-separated strings (addresses or CIDR blocks); detect_check() reads
 * them when the configuration is checked.
 */
#include "detect/detect.h"

#define T   struct detect_cfg
#define DAY CONFIG_DAY
static const struct config_key detect_keys[] = {
    CONFIG_KEY_SECTION("detect", "Detection (src/detect/; every signature in docs/DETECTIONS.md).  Lists are "
                                 "comma-separated strings:\naddresses or CIDR blocks (IPv4 or IPv6); times are "
                                 "seconds of packet time."),
    CONFIG_KEY_BOOL(T, enabled, "detect.enabled", "yes", NULL),
    CONFIG_KEY_SIZE(T, memcap, "detect.memcap", 64 * CONFIG_KB, 64 * CONFIG_GB, "32mb",
                    "memory for detector state (per host / host pair), all detectors"),
    CONFIG_KEY_STR(T, rules_dir, "detect.rules-dir", DETECT_DEFAULT_RULES_DIR,
                   "indicator lists: every *.txt here (\"<type> <value>\" per line); \"\" = none.  \"auto\" = the "
                   "shipped lists:\n<binary's dir>/../rules (or ../../rules: the source tree), "
                   "/usr/local/share/medsentry/rules,\n/usr/share/medsentry/rules, ./rules, the first that exists "
                   "(none: a warning, no indicators)"),
    CONFIG_KEY_STR(T, imaging_nets, "detect.zones.imaging", "",
                   "modalities, PACS, DICOM workstations (named in evidence)"),
    CONFIG_KEY_STR(T, internal_nets, "detect.zones.internal",
                   "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8, 169.254.0.0/16, fc00::/7, fe80::/10, "
                   "::1/128",
                   "everything that is not the Internet"),
    CONFIG_KEY_STR(T, admin_hosts, "detect.allow.admin-hosts", "",
                   "software distribution / IT hosts allowed to push executables to admin shares and create services"),
    CONFIG_KEY_STR(T, dicom_aes, "detect.allow.dicom-ae", "",
                   "known DICOM AE title and address pairs, \"AE@address, ...\": no tool-AE-title alert for them"),
    CONFIG_KEY_STR(T, move_requesters, "detect.allow.dicom-move-requesters", "",
                   "RIS / routing engines that may C-MOVE studies to other hosts"),
    CONFIG_KEY_STR(T, egress_hosts, "detect.allow.egress-hosts", "",
                   "Internet peers imaging nodes may reach (vendor remote service, update servers): no 9300230"),
    CONFIG_KEY_STR(T, dicom_external, "detect.allow.dicom-external", "",
                   "teleradiology / cloud PACS peers outside the hospital: no 9300180"),
    CONFIG_KEY_STR(T, disable, "detect.signatures.disable", "",
                   "signature ids to switch off, e.g. \"9300210, 9300131\""),
    CONFIG_KEY_STR(T, severity, "detect.signatures.severity", "",
                   "severity overrides \"sid=1..3, ...\", e.g. \"9300210=2\""),
    CONFIG_KEY_SECTION("detect.rate-limit", "at most count alerts per (signature, source address) per seconds; the "
                                            "rest are counted as suppressed"),
    CONFIG_KEY_U32(T, rate_count, "detect.rate-limit.count", 1, 1000000, "5", NULL),
    CONFIG_KEY_U32(T, rate_seconds, "detect.rate-limit.seconds", 1, DAY, "600", NULL),
    CONFIG_KEY_U32(T, chain_window, "detect.chain.window", 1, DAY, "600",
                   "admin-share write and remote service from one source within this many seconds: one chain alert"),
    CONFIG_KEY_U32(T, fanout_hosts, "detect.fanout.hosts", 2, 16, "5",
                   "the same executable or service pushed to this many distinct hosts (2 to 16) within window"),
    CONFIG_KEY_U32(T, fanout_window, "detect.fanout.window", 1, DAY, "600", NULL),
    CONFIG_KEY_U32(T, authfail_count, "detect.fanout.auth-failures", 1, 64, "5",
                   "failed SMB logons from one source within auth-failure-window"),
    CONFIG_KEY_U32(T, authfail_window, "detect.fanout.auth-failure-window", 1, DAY, "300", NULL),
    CONFIG_KEY_U32(T, recon_kinds, "detect.recon.kinds", 1, 3, "2",
                   "kinds of enumeration (srvsvc, samr, lsarpc; 1 to 3) from one source within window"),
    CONFIG_KEY_U32(T, recon_window, "detect.recon.window", 1, DAY, "300", NULL),
    CONFIG_KEY_U32(T, smb1_interval, "detect.smb1.interval", 1, 30 * DAY, "86400",
                   "a client/server pair speaking SMB1 is reported once per this many seconds"),
    CONFIG_KEY_U32(T, ae_brute_count, "detect.dicom.ae-brute-force.count", 2, 12, "5",
                   "distinct called AE titles rejected for one source (2 to 12) within window"),
    CONFIG_KEY_U32(T, ae_brute_window, "detect.dicom.ae-brute-force.window", 1, DAY, "300", NULL),
    CONFIG_KEY_U32(T, cfind_count, "detect.dicom.cfind-sweep.count", 1, 64, "10",
                   "broad PATIENT/STUDY C-FINDs from one source and calling AE within window"),
    CONFIG_KEY_U32(T, cfind_window, "detect.dicom.cfind-sweep.window", 1, DAY, "300", NULL),
    CONFIG_KEY_U32(T, cmove_window, "detect.dicom.cmove-window", 1, 3600, "60",
                   "seconds between a C-MOVE and the SCP's association to the destination"),
    CONFIG_KEY_U32(T, dicom_learning, "detect.dicom.learning-period", 0, 365 * DAY, "604800",
                   "association matrix (9300150): tuples (calling AE, called AE, client, server) of associations "
                   "accepted\nduring this many seconds of packet time from the first DICOM event are learned; "
                   "afterwards a new tuple\nalerts once.  0 = learn nothing (only the allow.dicom-ae pairs are "
                   "known).  Tuples not seen for\nmatrix-timeout seconds are forgotten."),
    CONFIG_KEY_U32(T, dicom_matrix_timeout, "detect.dicom.matrix-timeout", 1, 3650 * DAY, "7776000", NULL),
    CONFIG_KEY_U32(T, exhaust_count, "detect.dicom.exhaustion.count", 2, 24, "10",
                   "associations from one source to one server open at once without P-DATA (2 to 24): 9300240"),
    CONFIG_KEY_U32(T, exhaust_short, "detect.dicom.exhaustion.short-count", 2, 32, "30",
                   "accepted associations ended without P-DATA within window (2 to 32): 9300241"),
    CONFIG_KEY_U32(T, exhaust_window, "detect.dicom.exhaustion.window", 1, DAY, "300", NULL),
    CONFIG_KEY_SECTION("detect.egress", "C2 and egress (§7.1-7.4, 7.18, 7.23; docs/DETECTIONS.md 9300010-9300040, "
                                        "9300180, 9300230, 9300320)"),
    CONFIG_KEY_U32(T, egress_interval, "detect.egress.interval", 1, 30 * DAY, "86400",
                   "an imaging node / Internet peer pair (9300230) or a DICOM association across the perimeter "
                   "(9300180) is\nreported once per this many seconds"),
    CONFIG_KEY_U32(T, fallback_hosts, "detect.fallback.hosts", 2, 20, "10",
                   "failed TCP/80 attempts to distinct raw IPs (no DNS answer named them; 2 to 20) from one host "
                   "within window"),
    CONFIG_KEY_U32(T, fallback_window, "detect.fallback.window", 1, DAY, "3600", NULL),
    CONFIG_KEY_U32(T, beacon_count, "detect.beacon.count", 4, 16, "8",
                   "this many requests (4 to 16) for one Host + path without Referer, every interval within jitter "
                   "percent of\ntheir median, the median between min-interval and max-interval seconds"),
    CONFIG_KEY_U32(T, beacon_jitter, "detect.beacon.jitter", 1, 100, "20", NULL),
    CONFIG_KEY_U32(T, beacon_min_interval, "detect.beacon.min-interval", 1, DAY, "2", NULL),
    CONFIG_KEY_U32(T, beacon_max_interval, "detect.beacon.max-interval", 1, 7 * DAY, "3600", NULL),
    CONFIG_KEY_SECTION("detect.phi", "cleartext PHI, HL7 and PACS exploits (§7.19, 7.20, 7.22; docs/DETECTIONS.md "
                                     "9300190-9300221)"),
    CONFIG_KEY_STR(T, guest_nets, "detect.zones.guest", "",
                   "guest and visitor networks: PHI in clear to or from them (9300190-9300192) is severity 2"),
    CONFIG_KEY_STR(T, hl7_senders, "detect.allow.hl7-senders", "",
                   "interface engines and systems that send HL7 (addresses or CIDR blocks): never a new sender "
                   "(9300200)"),
    CONFIG_KEY_STR(T, hl7_lis, "detect.hl7.lis-hosts", "",
                   "the laboratory information system(s): ORU^R01 from any other sender is 9300201; \"\" = off"),
    CONFIG_KEY_U32(T, hl7_learning, "detect.hl7.learning-period", 0, 365 * DAY, "604800",
                   "HL7 senders (address, MSH-3, MSH-4) seen during this many seconds of packet time from the "
                   "first HL7\nmessage are learned; afterwards a new one alerts once (9300200).  0 = only "
                   "allow.hl7-senders are known.\nSenders not seen for sender-timeout seconds are forgotten."),
    CONFIG_KEY_U32(T, hl7_sender_timeout, "detect.hl7.sender-timeout", 1, 3650 * DAY, "7776000", NULL),
    CONFIG_KEY_U32(T, hl7_ctlid_window, "detect.hl7.control-id-window", 1, 30 * DAY, "86400",
                   "a control id (MSH-3, MSH-4, MSH-10) is remembered with a digest of its message for this many "
                   "seconds\nafter it was last seen: a different message under it within that time is 9300202"),
    CONFIG_KEY_U32(T, uid_item_max, "detect.exploit.uid-item-max", 65, 65535, "256",
                   "an A-ASSOCIATE-RQ UID item (application context, abstract or transfer syntax) longer than this "
                   "is 9300220\n(a UID is at most 64 bytes; Snort 50176's Horos exploit sends 1300 or more)"),
};
#undef T
#undef DAY

const struct config_module detect_config_module = {
    .name = "detect",
    .keys = detect_keys,
    .n = sizeof(detect_keys) / sizeof(detect_keys[0]),
    .struct_size = sizeof(struct detect_cfg),
};

void detect_cfg_defaults(struct detect_cfg *c)
{
    config_module_set_defaults(&detect_config_module, c);
}
