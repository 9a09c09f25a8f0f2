/*
 * detect_config.h - the detect.* keys of medsentry.yaml, kept with the
 * detection engine.  config.c's key table includes DETECT_CONFIG_KEYS (its
 * KEY_* macros take a dotted path and a member of struct config); defaults
 * are in detect_cfg_defaults() (detect.c).  Lists are comma-separated
 * strings because the configuration reader takes scalars only.
 */
#ifndef MEDSENTRY_DETECT_DETECT_CONFIG_H
#define MEDSENTRY_DETECT_DETECT_CONFIG_H

#define DETECT_CONFIG_KEYS                                                                                            \
    KEY_BOOL("detect.enabled", detect.enabled), KEY_SIZE("detect.memcap", detect.memcap, 64 * KB, 64 * GB),           \
        KEY_STR("detect.rules-dir", detect.rules_dir), KEY_STR("detect.zones.imaging", detect.imaging_nets),          \
        KEY_STR("detect.zones.internal", detect.internal_nets),                                                       \
        KEY_STR("detect.allow.admin-hosts", detect.admin_hosts), KEY_STR("detect.allow.dicom-ae", detect.dicom_aes),  \
        KEY_STR("detect.allow.dicom-move-requesters", detect.move_requesters),                                        \
        KEY_STR("detect.signatures.disable", detect.disable), KEY_STR("detect.signatures.severity", detect.severity), \
        KEY_U32("detect.rate-limit.count", detect.rate_count, 1, 1000000),                                            \
        KEY_U32("detect.rate-limit.seconds", detect.rate_seconds, 1, DAY),                                            \
        KEY_U32("detect.chain.window", detect.chain_window, 1, DAY),                                                  \
        KEY_U32("detect.fanout.hosts", detect.fanout_hosts, 2, 16),                                                   \
        KEY_U32("detect.fanout.window", detect.fanout_window, 1, DAY),                                                \
        KEY_U32("detect.fanout.auth-failures", detect.authfail_count, 1, 64),                                         \
        KEY_U32("detect.fanout.auth-failure-window", detect.authfail_window, 1, DAY),                                 \
        KEY_U32("detect.recon.kinds", detect.recon_kinds, 1, 3),                                                      \
        KEY_U32("detect.recon.window", detect.recon_window, 1, DAY),                                                  \
        KEY_U32("detect.smb1.interval", detect.smb1_interval, 1, 30 * DAY),                                           \
        KEY_U32("detect.dicom.ae-brute-force.count", detect.ae_brute_count, 2, 12),                                   \
        KEY_U32("detect.dicom.ae-brute-force.window", detect.ae_brute_window, 1, DAY),                                \
        KEY_U32("detect.dicom.cfind-sweep.count", detect.cfind_count, 1, 64),                                         \
        KEY_U32("detect.dicom.cfind-sweep.window", detect.cfind_window, 1, DAY),                                      \
        KEY_U32("detect.dicom.cmove-window", detect.cmove_window, 1, 3600),                                           \
        KEY_U32("detect.dicom.learning-period", detect.dicom_learning, 0, 365 * DAY),                                 \
        KEY_U32("detect.dicom.matrix-timeout", detect.dicom_matrix_timeout, 1, 3650 * DAY),                           \
        KEY_U32("detect.dicom.exhaustion.count", detect.exhaust_count, 2, 24),                                        \
        KEY_U32("detect.dicom.exhaustion.window", detect.exhaust_window, 1, DAY),                                     \
        KEY_U32("detect.dicom.exhaustion.short-count", detect.exhaust_short, 2, 32),                                  \
        KEY_STR("detect.allow.egress-hosts", detect.egress_hosts),                                                    \
        KEY_STR("detect.allow.dicom-external", detect.dicom_external),                                                \
        KEY_U32("detect.fallback.hosts", detect.fallback_hosts, 2, 20),                                               \
        KEY_U32("detect.fallback.window", detect.fallback_window, 1, DAY),                                            \
        KEY_U32("detect.egress.interval", detect.egress_interval, 1, 30 * DAY),                                       \
        KEY_U32("detect.beacon.count", detect.beacon_count, 4, 16),                                                   \
        KEY_U32("detect.beacon.jitter", detect.beacon_jitter, 1, 100),                                                \
        KEY_U32("detect.beacon.min-interval", detect.beacon_min_interval, 1, DAY),                                    \
        KEY_U32("detect.beacon.max-interval", detect.beacon_max_interval, 1, 7 * DAY)

#endif
