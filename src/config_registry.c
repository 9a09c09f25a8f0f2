/*
 * config_registry.c - the modules medsentry.yaml is made of, in the order the
 * file lists them (each mapping is written once, where its first key appears:
 * the pipeline's order, decode to detection), and the binding of each module
 * to its member of struct config.
 */
#include "config_registry.h"

#include <string.h>

const struct config_module *const config_registry[] = {
    &engine_config_module,  &store_config_module,        &redis_config_module,   &threading_config_module,
    &anomaly_config_module, &privacy_config_module,      &sandbox_config_module, &capture_config_module,
    &decode_config_module,  &flow_config_module,         &stream_config_module,  &app_config_module,
    &dicom_config_module,   &smb_config_module,          &dcerpc_config_module,  &http_config_module,
    &dns_config_module,     &tls_config_module,          &hl7_config_module,     &files_config_module,
    &asset_config_module,   &dns_name_map_config_module, &detect_config_module,
};

#define N_MODULES (sizeof(config_registry) / sizeof(config_registry[0]))
const size_t config_registry_count = N_MODULES;

/* config_registry[i] fills the member at member_offset[i]. */
static const size_t member_offset[] = {
    offsetof(struct config, engine),       offsetof(struct config, store),   offsetof(struct config, redis),
    offsetof(struct config, threading),    offsetof(struct config, anomaly), offsetof(struct config, privacy),
    offsetof(struct config, sandbox),      offsetof(struct config, capture), offsetof(struct config, decode),
    offsetof(struct config, flow),         offsetof(struct config, stream),  offsetof(struct config, app),
    offsetof(struct config, dicom),        offsetof(struct config, smb),     offsetof(struct config, dcerpc),
    offsetof(struct config, http),         offsetof(struct config, dns),     offsetof(struct config, tls),
    offsetof(struct config, hl7),          offsetof(struct config, files),   offsetof(struct config, assets),
    offsetof(struct config, dns_name_map), offsetof(struct config, detect),
};
_Static_assert(sizeof(member_offset) / sizeof(member_offset[0]) == N_MODULES, "one member per module");

static void bindings(const struct config *c, struct config_binding b[N_MODULES])
{
    for (size_t i = 0; i < N_MODULES; i++) {
        b[i].module = config_registry[i];
        b[i].cfg = (char *)(uintptr_t)c + member_offset[i];
    }
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    struct config_binding b[N_MODULES];
    bindings(c, b);
    for (size_t i = 0; i < N_MODULES; i++)
        config_module_set_defaults(b[i].module, b[i].cfg);
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    struct config_binding b[N_MODULES];
    bindings(c, b);
    return config_load_file(b, N_MODULES, path, err, errlen);
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
    struct config_binding b[N_MODULES];
    bindings(c, b);
    return config_set_key(b, N_MODULES, key, value, err, errlen);
}

int config_validate(const struct config *c, char *err, size_t errlen)
{
    struct config_binding b[N_MODULES];
    bindings(c, b);
    return config_validate_all(b, N_MODULES, err, errlen);
}

static const char config_header[] =
    "medsentry.yaml - every key medsentry reads, with its default.\n"
    "\n"
    "The sensor runs without this file: every key below has this value by default.\n"
    "Check a file with `medsentry -T -c medsentry.yaml`; override one key on the\n"
    "command line with `--set key=value` (e.g. --set flow.memcap=64mb).\n"
    "Sizes take b, kb, mb or gb (binary units); times are in seconds of packet time.\n"
    "\n"
    "Generated from the modules' key tables by `medsentry --dump-config` (make medsentry.yaml);\n"
    "a test fails when this file and the tables differ.";

int config_dump(FILE *fp)
{
    return config_dump_defaults(fp, config_registry, N_MODULES, config_header);
}

void config_app_parser_cfgs(const struct config *c, const void *out[APP__COUNT])
{
    for (int p = 0; p < APP__COUNT; p++)
        out[p] = NULL;
    out[APP_DICOM] = &c->dicom;
    out[APP_SMB] = &c->smb;
    out[APP_DCERPC] = &c->dcerpc;
    out[APP_HTTP] = &c->http;
    out[APP_DNS] = &c->dns;
    out[APP_TLS] = &c->tls;
    out[APP_HL7] = &c->hl7;
}
