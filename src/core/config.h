/*
 * config.h - medsentry.yaml: every setting with its default.
 *
 * The sensor runs with no file at all (config_defaults).  config_load() reads
 * a YAML file with libyaml and sets the keys it names; an unknown key, a value
 * of the wrong kind or out of range is an error that names the file, the line
 * and the key.  Keys are listed once, in the table in config.c, with their
 * type, range and where they land in struct config; medsentry.yaml in the
 * repository root shows every key with its default and a comment.
 */
#ifndef MEDSENTRY_CORE_CONFIG_H
#define MEDSENTRY_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "assets/assets.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "files/files.h"
#include "flow/flow.h"
#include "flow/stream.h"

struct config {
    char logdir[512];
    char eve_filename[256]; /* relative to logdir */
    bool eve_enabled;
    bool log_phi;
    char phi_key_file[512]; /* relative to logdir unless absolute */
    uint8_t phi_key[32];    /* loaded from phi_key_file at start (phi_key_load) */
    bool phi_key_loaded;
    uint32_t dicom_max_pdu;         /* dicom.max-pdu-length: PDU length sanity limit */
    uint32_t dicom_dataset_budget;  /* dicom.dataset-budget: data set bytes walked per message */
    uint32_t dicom_max_depth;       /* dicom.max-depth: sequence nesting the walker follows */
    uint32_t smb_max_sessions;      /* smb.max-sessions: per-flow session table */
    uint32_t smb_max_trees;         /* smb.max-trees: per-flow tree (share) table */
    uint32_t smb_max_files;         /* smb.max-files: per-flow open-file table */
    uint32_t smb_max_pending;       /* smb.max-pending: requests awaiting a response, per flow */
    uint64_t dcerpc_max_stub;       /* dcerpc.max-stub-size: reassembled stub bytes per call and direction */
    uint64_t http_max_header_bytes; /* http.max-header-bytes: start line + header block per message */
    struct files_cfg files;         /* files.*: file tracker memcap, open tracks, hashing and extraction caps */
    struct asset_cfg assets;        /* assets.*: the inventory's memcap */
    struct decode_cfg decode;
    struct flow_cfg flow;
    struct stream_cfg stream;
    struct app_cfg app;
    struct detect_cfg detect;  /* detect.*: src/detect/detect_config.h */
    uint32_t stats_interval_s; /* 0 = one stats event at the end only */
    int snaplen;               /* live capture */
    bool promisc;              /* live capture */

    uint32_t anomaly_rate_limit; /* anomaly.rate-limit: anomaly events per second of packet time; 0 = no budget */

    char run_as_user[64];  /* run-as.user: drop to this user after opening everything ("" = stay); -u wins */
    char run_as_group[64]; /* run-as.group: and this group ("" = the user's primary group); -g wins */
    bool seccomp;          /* sandbox.seccomp: the system call allow-list after initialisation; --no-seccomp */
};

void config_defaults(struct config *c);
/* 0 on success; -1 with one sentence in err ("medsentry.yaml:12: flow.memcap: ..."). */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* Set one key from text, as "--set key=value" does. */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);

#endif
