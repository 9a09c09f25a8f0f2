/*
 * config_registry.h - the program's configuration: every module's struct in
 * one place, and the list of modules that medsentry.yaml is made of.
 *
 * The core (src/core/config.c) knows key tables, not modules; this file, next
 * to main.c and engine.c, names them all, as app_registry.c names the parsers.
 * Adding a key is a row in its module's table; adding a module is a member
 * here and one line in config_registry.c.
 */
#ifndef MEDSENTRY_CONFIG_REGISTRY_H
#define MEDSENTRY_CONFIG_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app/app.h"
#include "app/dcerpc/dcerpc.h"
#include "app/dicom/dicom.h"
#include "app/dns/dns.h"
#include "app/hl7/hl7.h"
#include "app/http/http.h"
#include "app/smb/smb.h"
#include "app/tls/tls.h"
#include "assets/assets.h"
#include "core/anomaly.h"
#include "core/config.h"
#include "core/phi.h"
#include "core/sandbox.h"
#include "correlate/dns_name_map.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "engine_cfg.h"
#include "files/files.h"
#include "flow/flow.h"
#include "flow/stream.h"
#include "output/redis.h"
#include "output/sqlite.h"
#include "source/source.h"

struct config {
    struct engine_cfg engine;       /* default-log-dir, outputs.eve.*, outputs.stats.*: engine.c */
    struct store_cfg store;         /* outputs.sqlite.*: output/sqlite.c */
    struct redis_cfg redis;         /* outputs.redis.*: output/redis.c */
    struct threading_cfg threading; /* threading.*: engine.c */
    struct anomaly_cfg anomaly;     /* anomaly.*: core/anomaly.c */
    struct privacy_cfg privacy;     /* privacy.*: core/phi.c */
    struct sandbox_cfg sandbox;     /* run-as.*, sandbox.*: core/sandbox.c */
    struct capture_cfg capture;     /* capture.*: source/pcap.c */
    struct decode_cfg decode;       /* decoder.*, defrag.*: decode/decode.c */
    struct flow_cfg flow;           /* flow.*: flow/flow.c */
    struct stream_cfg stream;       /* stream.*: flow/stream.c */
    struct app_cfg app;             /* app-layer.probe-depth, app-layer.memcap: app/app.c */
    /* the parsers: <name>.* and app-layer.protocols.<name>.*, each in its parser's folder */
    struct dicom_cfg dicom;
    struct smb_cfg smb;
    struct dcerpc_cfg dcerpc;
    struct http_cfg http;
    struct dns_cfg dns;
    struct tls_cfg tls;
    struct hl7_cfg hl7;
    struct files_cfg files;               /* files.*: files/files.c */
    struct asset_cfg assets;              /* assets.*: assets/assets.c */
    struct dns_name_map_cfg dns_name_map; /* dns.name-map-*: correlate/dns_name_map.c */
    struct detect_cfg detect;             /* detect.*: detect/detect_config.c */

    /* not keys: set at start */
    uint8_t phi_key[32]; /* loaded from privacy.key-file (phi_key_load_in) */
    bool phi_key_loaded;
};

/* The modules of struct config, in the order medsentry.yaml lists them. */
extern const struct config_module *const config_registry[];
extern const size_t config_registry_count;

/* Every key at its default (a bad default in a table aborts: test_config sets them all). */
void config_defaults(struct config *c);
/* Read a YAML file: 0, or -1 with one sentence in err ("medsentry.yaml:12: flow.memcap: ..."). */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* Set one key from text, as "--set key=value" does. */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);
/* The modules' checks across keys, once the file and --set are applied. */
int config_validate(const struct config *c, char *err, size_t errlen);
/* medsentry.yaml: every key with its default and comment (medsentry --dump-config).  0, or -1 on a write error. */
int config_dump(FILE *fp);
/* Each parser's configuration by enum app_proto, for app_layer_init. */
void config_app_parser_cfgs(const struct config *c, const void *out[APP__COUNT]);

#endif
