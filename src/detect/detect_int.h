/*
 * detect_int.h - what the detectors share: the engine context, the state
 * tables, network lists, indicator lists, and the alert helpers.
 *
 * State table: chained hash buckets (count fixed at start, random seed per
 * table so traffic cannot aim at one bucket) of fixed-size entries allocated
 * from the engine's memcap.  An entry's key is two addresses and a 64-bit
 * extra word (a signature id, or the keyed hash of a file hash / service
 * name); its `last_us` is packet time.  Entries idle longer than the table's
 * timeout are freed by the sweep that runs once per second of packet time.
 * When the memcap is exhausted a sweep runs at once; if still no room, the
 * new state is not created and `memcap_hits` counts it (the detector misses
 * that event instead of growing).
 */
#ifndef MEDSENTRY_DETECT_DETECT_INT_H
#define MEDSENTRY_DETECT_DETECT_INT_H

#include "detect/detect.h"
#include "detect/rules.h"

struct flow;

struct dkey {
    struct ip_addr a, b;
    uint64_t x;
};

struct dentry {
    struct dentry *next;
    struct dkey key;
    uint64_t first_us, last_us;
};

/* Every stateful detector's entry (a struct starting with struct dentry) fits in this many bytes; each
 * detector checks its own with a static assertion. */
#define DETECT_ENTRY_SIZE        1024
#define DETECT_SMB1_ENTRY_SIZE   (sizeof(struct dentry) + 8) /* smb1_policy.c: small, one per SMB1 pair */
#define DETECT_BEACON_ENTRY_SIZE 256                         /* beacon.c: one per (client, server, URL) polled */
#define DETECT_PAIR_ENTRY_SIZE   (sizeof(struct dentry) + 8) /* egress.c: one per reported pair */

/* hl7_anomaly.c: one per HL7 sender, one per control id */
#define DETECT_HL7_ENTRY_SIZE (sizeof(struct dentry) + 16)

/* dicom_matrix.c: one per known association tuple */
#define DETECT_MATRIX_ENTRY_SIZE (sizeof(struct dentry) + 8)

struct dtable {
    const char *name;
    struct dentry **buckets;
    uint32_t mask;
    uint64_t seed;
    size_t entry_size; /* the detector's struct, which starts with struct dentry */
    uint64_t timeout_us;
    uint32_t n;
};

#define DETECT_MAX_NETS 64
struct detect_net {
    struct ip_addr addr; /* IPv4 mapped, as everywhere */
    uint8_t bits;        /* prefix length over the 128-bit form */
};
struct detect_netlist {
    uint32_t n;
    struct detect_net e[DETECT_MAX_NETS];
};

#define DETECT_MAX_AE_PAIRS 128
struct detect_ae_pair {
    char ae[ALERT_AE];
    struct ip_addr addr;
};

struct detect_ctx {
    struct detect_cfg cfg;
    struct event_bus *bus;
    struct memcap mc;
    struct detect_stats stats;
    struct detect_rules rules;
    struct detect_netlist imaging, internal, admin, move_requesters;
    uint32_t n_ae_pairs;
    struct detect_ae_pair ae_pairs[DETECT_MAX_AE_PAIRS];
    bool disabled[DETECT_MAX_SIGS]; /* by index in detect_sigs[] */
    uint8_t sev_override[DETECT_MAX_SIGS];
    uint64_t now_us, next_sweep_us;
    /* tables */
    struct dtable rate;     /* (source, -, sid): alerts in the current rate window */
    struct dtable chain;    /* (source): steps of the lateral-movement chain */
    struct dtable fanout;   /* (source, -, object): hosts that received it */
    struct dtable authfail; /* (source): failed logons */
    struct dtable recon;    /* (source): kinds of reconnaissance calls */
    struct dtable smb1;     /* (client, server): reported */
    struct dtable aerej;    /* (source): called AE titles rejected */
    struct dtable cfind;    /* (source, -, calling AE): wildcard queries */
    struct dtable assoc;    /* (client, -, called AE): recent association requests, for C-MOVE follow-ups */
    /* files and DICOM peers */
    struct dtable matrix;    /* (client, server, calling+called AE): the association matrix (15) */
    struct dtable exhaust;   /* (client, server): open associations without P-DATA (24) */
    uint64_t dicom_first_us; /* packet time of the first DICOM event: the learning period starts there */
    /* C2 and egress (c2_http.c, c2_dns.c, fallback_cycling.c, egress.c) */
    struct detect_netlist egress_allow, dicom_external;
    struct dns_name_map *names; /* the worker's IP -> name map; NULL = none */
    struct dtable fallback;     /* (source): failed port-80 attempts to raw IPs */
    struct dtable egress;       /* (node, peer, sid): reported pairs (23, 18) */
    struct dtable beacon;       /* (client, server, Host+path): request times */
    struct dtable infected;     /* (target): the source that wrote an executable / made a service on it */
    /* cleartext PHI, HL7 (phi_transit.c, hl7_anomaly.c) */
    struct detect_netlist guest, hl7_senders, hl7_lis;
    struct dtable hl7snd;  /* (sender, -, MSH-3+MSH-4): senders learned or reported (20) */
    struct dtable hl7ctl;  /* (-, -, MSH-3+MSH-4+MSH-10): digest of the message under that control id (20) */
    uint64_t hl7_first_us; /* packet time of the first HL7 message: the learning period starts there */
};

/* Timestamps of the last events of one kind, to count those inside a window. */
#define DETECT_RING 64
struct det_ring {
    uint8_t n, head;
    uint64_t ts[DETECT_RING];
};
static inline void det_ring_add(struct det_ring *r, uint64_t ts)
{
    r->ts[r->head] = ts;
    r->head = (uint8_t)((r->head + 1) % DETECT_RING);
    if (r->n < DETECT_RING)
        r->n++;
}
/* Events at or after now - window. */
static inline uint32_t det_ring_count(const struct det_ring *r, uint64_t now, uint64_t window)
{
    uint32_t c = 0;
    for (uint8_t i = 0; i < r->n; i++)
        if (r->ts[i] + window >= now)
            c++;
    return c;
}

/* ---- tables (detect.c) ---- */
int dtable_init(struct detect_ctx *d, struct dtable *t, const char *name, size_t entry_size, uint32_t buckets,
                uint64_t timeout_us);
void dtable_free(struct detect_ctx *d, struct dtable *t);
/* The entry for key; created (zeroed, first_us = now) if create and there is room.  last_us = now on return. */
void *dtable_get(struct detect_ctx *d, struct dtable *t, const struct dkey *k, bool create);
void dtable_expire(struct detect_ctx *d, struct dtable *t, uint64_t now_us);
/* A 64-bit key word from a string, case-folded (names are Windows names or AE titles). */
uint64_t dkey_str(const struct dtable *t, const char *s);

/* ---- lists (detect.c) ---- */
bool detect_net_match(const struct detect_netlist *l, const struct ip_addr *a);
bool detect_ae_known(const struct detect_ctx *d, const char *ae, const struct ip_addr *a);

/* ---- alerts (detect.c) ---- */
/* A zeroed alert of signature sid with the flow's endpoints (client = src) when f is not NULL. */
void alert_init(struct alert_event *a, uint32_t sid, const struct event *ev);
void alert_add_host(struct alert_event *a, const struct ip_addr *h);
void alert_add_flow(struct alert_event *a, uint64_t flow_id);
/* Applies enable/disable, severity override and the rate limit, then publishes. */
void detect_alert(struct detect_ctx *d, struct alert_event *a, uint64_t ts_us);

/* ---- detectors: one file each ---- */
void det_admin_share_exe(struct detect_ctx *d, const struct event *ev);  /* 5: fileinfo */
void det_file_indicator(struct detect_ctx *d, const struct event *ev);   /* 2: fileinfo */
void det_remote_service(struct detect_ctx *d, const struct event *ev);   /* 6: dcerpc */
void det_service_identity(struct detect_ctx *d, const struct event *ev); /* 7: dcerpc */
void det_fanout_step(struct detect_ctx *d, const struct alert_event *step, const char *object);
void det_auth_failures(struct detect_ctx *d, const struct event *ev); /* 8: smb */
void det_recon_burst(struct detect_ctx *d, const struct event *ev);   /* 9: dcerpc */
void det_dicom_scanner(struct detect_ctx *d, const struct event *ev); /* 13: dicom */
void det_ae_bruteforce(struct detect_ctx *d, const struct event *ev); /* 14: dicom */
void det_cfind_sweep(struct detect_ctx *d, const struct event *ev);   /* 16: dicom */
void det_cmove_rogue(struct detect_ctx *d, const struct event *ev);   /* 17: dicom */
void det_smb1_policy(struct detect_ctx *d, const struct event *ev);   /* 21: smb */
void det_file_content(struct detect_ctx *d, const struct event *ev);  /* 11 and YARA matches: fileinfo */
void det_exe_imaging(struct detect_ctx *d, const struct event *ev);   /* 10: fileinfo */
void det_dicom_matrix(struct detect_ctx *d, const struct event *ev);  /* 15: dicom */
void det_assoc_exhaust(struct detect_ctx *d, const struct event *ev); /* 24: dicom */
/* Detection 11's built-in check: the polyglot signature a file's first bytes call for (0 = none), its
 * severity when it differs from the signature's (0 = the signature's) and why. */
uint32_t detect_polyglot_sid(const uint8_t *head, size_t n, int pe_sig, uint8_t *severity, const char **why);
void det_c2_http(struct detect_ctx *d, const struct event *ev);          /* 1, 2, 3: http */
void det_c2_dns(struct detect_ctx *d, const struct event *ev);           /* 2, 3: dns */
void det_beacon(struct detect_ctx *d, const struct event *ev);           /* periodic requests: http */
void det_fallback_cycling(struct detect_ctx *d, const struct event *ev); /* 4: flow */
void det_imaging_egress(struct detect_ctx *d, const struct event *ev);   /* 23: flow */
void det_dicom_perimeter(struct detect_ctx *d, const struct event *ev);  /* 18: dicom */
void det_dimse_polyglot(struct detect_ctx *d, const struct event *ev);   /* 12: dicom */
void det_phi_dicom(struct detect_ctx *d, const struct event *ev);        /* 19: dicom */
void det_phi_hl7(struct detect_ctx *d, const struct event *ev);          /* 19: hl7 */
void det_phi_dicomweb(struct detect_ctx *d, const struct event *ev);     /* 19: http */
void det_hl7(struct detect_ctx *d, const struct event *ev);              /* 20: hl7 */
void det_dicom_exploit(struct detect_ctx *d, const struct event *ev);    /* 22: dicom */
void det_pacs_traversal(struct detect_ctx *d, const struct event *ev);   /* 22: http */
/* egress.c: true the first time (per detect.egress.interval) the pair (a, b) is seen for sid. */
bool detect_first_report(struct detect_ctx *d, const struct ip_addr *a, const struct ip_addr *b, uint32_t sid);
/* 3: the second-level label of name (a host name, no trailing dot) is a Kwampirs-style generated label. */
bool detect_c2_generated_name(const char *name);
/* Lower-cased host name without port, brackets or trailing dot (HTTP Host or DNS name) into out. */
void detect_norm_host(const char *in, char *out, size_t cap);
/* A C2 step (§7.1-7.4) of a host: joins that host's chain and the chain of whoever spread to it. */
void det_chain_c2(struct detect_ctx *d, const struct alert_event *step);

/* The chain: admin-share write and remote service steps by source (chain.c). */
void det_chain_step(struct detect_ctx *d, const struct alert_event *step);
/* The same, for a step that only counts after an admin-share write of this source (a service start). */
void det_chain_step_if_open(struct detect_ctx *d, const struct alert_event *step);

/* Windows admin share: ADMIN$ or a one-letter drive share (C$, D$ ...), from "\\host\SHARE" or "SHARE". */
bool detect_is_admin_share(const char *share);

#endif
