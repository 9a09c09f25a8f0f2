/*
 * detect.h - the detection engine: detectors fed by the event bus, alerts
 * published back on it as EVENT_ALERT.
 *
 * One subscriber (detect.c) receives `smb`, `dcerpc`, `fileinfo`, `dicom`, `hl7`,
 * `http`, `dns` and `flow` events and hands each to the detectors that want its type (one file per
 * detector in src/detect/, named after the KWAMPIRS.md §7 detection it
 * implements).  Stateful detectors keep bounded state keyed by host or host
 * pair in hash tables charged to `detect.memcap`; state expires on packet time,
 * never on the wall clock.  A detector copies what it keeps: events live only
 * during the call.
 *
 * An alert is a flat, owned `struct alert_event` (no pointer into parser
 * state; `sig` points into the static signature table): every output sees it.
 * Before it is published, the per-(signature, source) rate limit decides
 * whether it is written or counted as suppressed (detect.rate-limit.*).
 *
 * Signature ids: 9300000 + 10 x (KWAMPIRS.md §7 detection number) + variant;
 * the chain, which §7 does not number, is 9300300.  They never change meaning;
 * docs/DETECTIONS.md has one section per id.
 */
#ifndef MEDSENTRY_DETECT_DETECT_H
#define MEDSENTRY_DETECT_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/event.h"
#include "core/memcap.h"

/* ---- configuration (detect.* keys; the key table is in detect_config.c) ---- */
#define DETECT_DEFAULT_RULES_DIR "auto" /* the shipped lists: see detect_find_rules_dir() */
#ifndef MEDSENTRY_DATADIR
#define MEDSENTRY_DATADIR "/usr/local/share/medsentry" /* where `make install`-style layouts put rules/ */
#endif
#define DETECT_MAX_SIGS 64   /* signatures in detect_sigs[]: sizes the per-signature arrays */
#define DETECT_LIST_LEN 1024 /* characters of one list-valued key (comma-separated) */

struct detect_cfg {
    bool enabled;
    uint64_t memcap;
    char rules_dir[512];                   /* indicator lists (*.txt); "" = none */
    char imaging_nets[DETECT_LIST_LEN];    /* zones.imaging: CIDRs of modalities, PACS, workstations */
    char internal_nets[DETECT_LIST_LEN];   /* zones.internal: everything that is not the Internet */
    char admin_hosts[DETECT_LIST_LEN];     /* allow.admin-hosts: may push executables and services */
    char dicom_aes[DETECT_LIST_LEN];       /* allow.dicom-ae: "AE@address" pairs known to be legitimate */
    char move_requesters[DETECT_LIST_LEN]; /* allow.dicom-move-requesters: may C-MOVE to third parties */
    char disable[256];                     /* signatures.disable: sids */
    char severity[256];                    /* signatures.severity: "sid=sev" pairs */
    uint32_t rate_count, rate_seconds;     /* rate-limit: alerts per (signature, source) per window */
    uint32_t chain_window;                 /* chain.window */
    uint32_t fanout_hosts, fanout_window;  /* fanout.* */
    uint32_t authfail_count, authfail_window;
    uint32_t recon_kinds, recon_window;
    uint32_t smb1_interval; /* smb1.interval: a client/server pair is reported once per this */
    uint32_t ae_brute_count, ae_brute_window;
    uint32_t cfind_count, cfind_window;
    uint32_t cmove_window; /* seconds between a C-MOVE and its sub-association */
    /* files and DICOM peers (detections 10, 11, 15, 24) */
    uint32_t dicom_learning;                /* dicom.learning-period: seconds of packet time the matrix is learned */
    uint32_t dicom_matrix_timeout;          /* dicom.matrix-timeout: a tuple not seen for this long is forgotten */
    uint32_t exhaust_count, exhaust_window; /* dicom.exhaustion.count / .window */
    uint32_t exhaust_short;                 /* dicom.exhaustion.short-count */
    /* C2 and egress (§7.1-7.4, 7.18, 7.23) */
    char egress_hosts[DETECT_LIST_LEN];       /* allow.egress-hosts: Internet peers imaging nodes may reach */
    char dicom_external[DETECT_LIST_LEN];     /* allow.dicom-external: teleradiology / cloud PACS peers */
    uint32_t fallback_hosts, fallback_window; /* fallback.*: failed raw-IP port-80 attempts */
    uint32_t egress_interval;                 /* egress.interval: a (node, peer) pair reported once per this */
    uint32_t beacon_count, beacon_jitter;     /* beacon.count requests; beacon.jitter percent of the median */
    uint32_t beacon_min_interval, beacon_max_interval;
    /* cleartext PHI, HL7, PACS exploits (§7.19, 7.20, 7.22) */
    char guest_nets[DETECT_LIST_LEN];  /* zones.guest: guest Wi-Fi, visitor networks */
    char hl7_senders[DETECT_LIST_LEN]; /* allow.hl7-senders: interface engines and systems that may send HL7 */
    char hl7_lis[DETECT_LIST_LEN];     /* hl7.lis-hosts: the laboratory information system(s) sending ORU^R01 */
    uint32_t hl7_learning;             /* hl7.learning-period */
    uint32_t hl7_sender_timeout;       /* hl7.sender-timeout */
    uint32_t hl7_ctlid_window;         /* hl7.control-id-window */
    uint32_t uid_item_max;             /* exploit.uid-item-max */
};

extern const struct config_module detect_config_module;
void detect_cfg_defaults(struct detect_cfg *c);

/* ---- signatures (detect_sigs.c) ---- */
enum detect_sid {
    SID_C2_HTTP = 9300010,          /* 1: Kwampirs C2 request, ?q=KT<base64> */
    SID_C2_HTTP_K = 9300011,        /* 1: the same header fingerprint, ?q=K (2017 Snort variant) */
    SID_C2_DOMAIN = 9300020,        /* 2: DNS query name or HTTP Host on a domain list */
    SID_C2_URL = 9300021,           /* 2: HTTP host/path on a URL list */
    SID_C2_IP_PATH = 9300022,       /* 2: HTTP server address + path on a list */
    SID_C2_IP = 9300023,            /* 2: HTTP server address alone on a list (low confidence) */
    SID_FILE_SHA256 = 9300024,      /* 2: file whose SHA-256 is on an indicator list */
    SID_FILE_NAME = 9300025,        /* 2: file whose name is on an indicator list */
    SID_C2_NAME = 9300030,          /* 3: Kwampirs-style generated C2 name */
    SID_C2_FALLBACK = 9300040,      /* 4: failed port-80 attempts to many raw IPs */
    SID_ADMIN_SHARE_EXE = 9300050,  /* 5 */
    SID_REMOTE_SERVICE = 9300060,   /* 6 */
    SID_SERVICE_IDENTITY = 9300070, /* 7 */
    SID_FANOUT = 9300080,           /* 8: same file or service to many hosts */
    SID_AUTH_FAIL_BURST = 9300081,  /* 8: many failed SMB logons */
    SID_RECON_BURST = 9300090,      /* 9 */
    SID_DICOM_NMAP = 9300130,       /* 13: nmap's DICOM probe defaults */
    SID_DICOM_TOOL_AE = 9300131,    /* 13: a tool's default AE title (indicator list) */
    SID_AE_BRUTE = 9300140,         /* 14 */
    SID_AE_REJECTED = 9300141,      /* 14: one rejection, AE title not recognised */
    SID_CFIND_SWEEP = 9300160,      /* 16 */
    SID_QUERY_REFUSED = 9300161,    /* 16: a query the SCP answered with an abort */
    SID_CMOVE_THIRD = 9300170,      /* 17 */
    SID_CMOVE_FOLLOWED = 9300171,   /* 17: and the SCP connected to that third host */
    SID_DICOM_PERIMETER = 9300180,  /* 18: DICOM association across the perimeter */
    SID_SMB1 = 9300210,             /* 21 */
    SID_IMAGING_EGRESS = 9300230,   /* 23: imaging node to the Internet (policy) */
    SID_CHAIN = 9300300,            /* admin-share write -> remote service (-> C2) */
    /* files and DICOM peers */
    SID_EXE_IMAGING = 9300100,     /* 10: executable to or from an imaging host */
    SID_POLYGLOT_PE = 9300110,     /* 11: PE/DICOM polyglot */
    SID_POLYGLOT_ELF = 9300111,    /* 11: ELF or Mach-O/DICOM polyglot */
    SID_DICOM_PREAMBLE = 9300112,  /* 11: DICOM file with an unexplained non-zero preamble */
    SID_DICOM_NEW_PEER = 9300150,  /* 15: association outside the learned/configured matrix */
    SID_ASSOC_EXHAUST = 9300240,   /* 24: many concurrent associations held without P-DATA */
    SID_ASSOC_CHURN = 9300241,     /* 24: many short associations without P-DATA */
    SID_DIMSE_EXE = 9300120,       /* 12: PE/ELF at the start of a DIMSE data set element */
    SID_DIMSE_DICM = 9300121,      /* 12: a whole Part 10 file (preamble + DICM) inside a data set element */
    SID_PHI_DICOM = 9300190,       /* 19: DICOM with patient name/id in clear across zones */
    SID_PHI_HL7 = 9300191,         /* 19: HL7 PID segment in clear across zones */
    SID_PHI_DICOMWEB = 9300192,    /* 19: DICOMweb / Orthanc REST over plain HTTP, no Authorization, across zones */
    SID_HL7_NEW_SENDER = 9300200,  /* 20: HL7 sender (address, MSH-3, MSH-4) neither allowlisted nor learned */
    SID_HL7_ORU_NOT_LIS = 9300201, /* 20: ORU^R01 results from a host that is not the LIS */
    SID_HL7_CTLID_REUSE = 9300202, /* 20: one MSH-10 control id, two different messages */
    SID_DICOM_EXPLOIT = 9300220,   /* 22: A-ASSOCIATE-RQ overflow shape (Snort 50176, Horos) */
    SID_PACS_TRAVERSAL = 9300221,  /* 22: PACS web UI path traversal (Snort 49642-49644, ET 2025825) */
    SID_YARA = 9300310,            /* a YARA rule matched a file (rules/yara) */
    SID_BEACON = 9300320,          /* periodic HTTP requests to one URL (not numbered in §7) */
};

struct detect_sig {
    uint32_t sid;
    uint32_t rev;
    const char *msg;
    const char *category;
    uint8_t severity;          /* 1 high ... 3 low */
    const char *confidence;    /* "high", "medium", "low" */
    const char *attack[3];     /* MITRE ATT&CK technique ids */
    const char *references[3]; /* sources (KWAMPIRS.md ids, URLs) */
    const char *spec;          /* "KWAMPIRS.md §7.5" */
};
extern const struct detect_sig detect_sigs[];
extern const size_t detect_n_sigs;
const struct detect_sig *detect_sig_find(uint32_t sid);

/* ---- the alert (EVENT_ALERT body) ---- */
#define ALERT_MAX_HOSTS 16
#define ALERT_MAX_STEPS 8
#define ALERT_MAX_AES   8
#define ALERT_STR       256
#define ALERT_AE        17

struct alert_step {
    uint32_t sid;
    uint64_t flow_id;
    uint64_t ts_us;
    struct ip_addr dst;
    char what[ALERT_STR]; /* "svcupdate.exe", "service SvcUpdate" */
};

struct alert_event {
    const struct detect_sig *sig; /* static table entry */
    uint8_t severity;             /* after detect.signatures.severity */
    struct ip_addr src, dst;      /* dst.family == 0: no single destination (see hosts) */
    uint16_t src_port, dst_port;  /* 0 = not one connection */
    uint8_t proto;
    const char *app_proto; /* static string or NULL */
    uint64_t flow_id;      /* the flow that triggered it; 0 = none */
    uint64_t first_us, last_us;
    uint32_t count, threshold, window_s;
    uint8_t n_hosts; /* every destination host concerned */
    struct ip_addr hosts[ALERT_MAX_HOSTS];
    uint8_t n_flows;
    uint64_t flows[ALERT_MAX_HOSTS];
    char share[128], filename[ALERT_STR], sha256[65], magic[48];
    char service_name[ALERT_STR], display_name[ALERT_STR], binary_path[ALERT_STR], operation[48];
    char calling_ae[ALERT_AE], called_ae[ALERT_AE], move_destination[ALERT_AE];
    uint8_t n_aes;
    char aes[ALERT_MAX_AES][ALERT_AE];
    char indicator[ALERT_STR], indicator_type[16], indicator_list[64];
    char detail[ALERT_STR];
    /* C2 evidence: HTTP Host or DNS query name, request URI, User-Agent, request header names in wire order */
    char hostname[ALERT_STR], url[ALERT_STR], user_agent[ALERT_STR], header_names[ALERT_STR];
    uint8_t n_steps;
    struct alert_step steps[ALERT_MAX_STEPS];
    /* a YARA match (9300310, or joined to the signature its medsentry_sid names) */
    char yara_rule[64], yara_tags[96], yara_meta[256];
    const char *file_direction; /* "to_server" / "from_server" for file alerts; NULL otherwise */
};

/* ---- counters (written in the stats event under `detect`) ---- */
struct detect_stats {
    uint64_t alerts, suppressed, allowlisted, memcap_hits, indicators;
    uint64_t by_sig_alerts[DETECT_MAX_SIGS], by_sig_suppressed[DETECT_MAX_SIGS]; /* index in detect_sigs[] */
};

struct detect_ctx;

/* NULL with one sentence in err when the configuration or a rule file is wrong ("rules/x.txt:12: ..."). */
struct detect_ctx *detect_new(const struct detect_cfg *cfg, struct event_bus *bus, char *err, size_t errlen);
void detect_free(struct detect_ctx *d);
/* -T: parse the lists and rule files without subscribing; 0 or -1 with err. */
int detect_check(const struct detect_cfg *cfg, char *err, size_t errlen);
/* Where detect.rules-dir "auto" finds the shipped indicator lists (out, cap bytes); false if nowhere. */
bool detect_find_rules_dir(char *out, size_t cap);
const struct detect_stats *detect_get_stats(const struct detect_ctx *d);
const struct memcap *detect_get_memcap(const struct detect_ctx *d);

/* The worker's DNS name map (correlate/dns_name_map.h), for the detectors that ask which name a destination was
 * resolved from (§7.4 raw-IP fallback, §7.23 egress evidence).  Without one, §7.4 stays off. */
struct dns_name_map;
void detect_set_name_map(struct detect_ctx *d, struct dns_name_map *map);

/* Event-bus subscriber (exposed for tests). */
void detect_on_event(void *user, const struct event *ev);

#endif
