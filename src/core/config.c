/*
 * config.c - defaults, the key table, and the YAML reader (libyaml).
 *
 * Every key is one row of config_keys[]: its dotted path as written in
 * medsentry.yaml, its kind, its range and where it lands in struct config.
 * The reader walks libyaml's event stream keeping the path of mapping keys;
 * each scalar value is set through the table, so the file and --set share one
 * code path and one set of checks.
 */
#include "core/config.h"
#include "core/anomaly.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "detect/detect_config.h"

enum key_kind { K_BOOL, K_U32, K_SIZE, K_STR, K_INT };

struct config_key {
    const char *path;
    enum key_kind kind;
    size_t off;
    size_t size;       /* K_STR: buffer size */
    uint64_t min, max; /* numeric range */
};

#define KEY_BOOL(p, f)                                 \
    {                                                  \
        p, K_BOOL, offsetof(struct config, f), 0, 0, 1 \
    }
#define KEY_U32(p, f, lo, hi)                           \
    {                                                   \
        p, K_U32, offsetof(struct config, f), 0, lo, hi \
    }
#define KEY_INT(p, f, lo, hi)                           \
    {                                                   \
        p, K_INT, offsetof(struct config, f), 0, lo, hi \
    }
#define KEY_SIZE(p, f, lo, hi)                           \
    {                                                    \
        p, K_SIZE, offsetof(struct config, f), 0, lo, hi \
    }
#define KEY_STR(p, f)                                                               \
    {                                                                               \
        p, K_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0 \
    }

#define KB  1024ULL
#define MB  (1024ULL * 1024)
#define GB  (1024ULL * 1024 * 1024)
#define DAY 86400

static const struct config_key config_keys[] = {
    KEY_STR("default-log-dir", logdir),
    KEY_BOOL("outputs.eve.enabled", eve_enabled),
    KEY_STR("outputs.eve.filename", eve_filename),
    KEY_U32("outputs.stats.interval", stats_interval_s, 0, DAY),
    KEY_U32("anomaly.rate-limit", anomaly_rate_limit, 0, 1000000),
    KEY_BOOL("privacy.log-phi", log_phi),
    KEY_STR("privacy.key-file", phi_key_file),
    KEY_U32("dicom.max-pdu-length", dicom_max_pdu, 4096, 1u << 30),
    KEY_U32("dicom.dataset-budget", dicom_dataset_budget, 256, 16u << 20),
    KEY_U32("dicom.max-depth", dicom_max_depth, 1, 64),
    KEY_U32("smb.max-sessions", smb_max_sessions, 1, 4096),
    KEY_U32("smb.max-trees", smb_max_trees, 1, 4096),
    KEY_U32("smb.max-files", smb_max_files, 1, 4096),
    KEY_U32("smb.max-pending", smb_max_pending, 1, 4096),
    KEY_SIZE("dcerpc.max-stub-size", dcerpc_max_stub, 4 * KB, 64 * MB),
    KEY_SIZE("http.max-header-bytes", http_max_header_bytes, 1 * KB, 1 * MB),
    KEY_SIZE("files.memcap", files.memcap, 64 * KB, 64 * GB),
    KEY_U32("files.max-open", files.max_open, 1, 1u << 24),
    KEY_SIZE("files.max-hash-bytes", files.max_hash_bytes, 0, 1ULL << 62),
    KEY_SIZE("files.max-ooo-bytes", files.max_ooo_bytes, 0, 1 * GB),
    KEY_SIZE("files.extract-max-size", files.extract_max_size, 1, 64 * GB),
    KEY_SIZE("assets.memcap", assets.memcap, 64 * KB, 64 * GB),
    KEY_INT("capture.snaplen", snaplen, 64, 262144),
    KEY_BOOL("capture.promisc", promisc),
    KEY_U32("decoder.max-vlan-layers", decode.max_vlan_layers, 1, DECODE_MAX_VLAN),
    KEY_U32("decoder.vxlan-port", decode.vxlan_port, 0, 65535),
    KEY_SIZE("defrag.memcap", decode.defrag_memcap, 64 * KB, 64 * GB),
    KEY_U32("defrag.timeout", decode.defrag_timeout_s, 1, 3600),
    KEY_U32("defrag.max-frags", decode.defrag_max_frags, 1, 65535),
    KEY_SIZE("flow.memcap", flow.memcap, 1 * MB, 64 * GB),
    KEY_U32("flow.hash-size", flow.hash_size, 1024, 1u << 26),
    KEY_U32("flow.timeouts.tcp.new", flow.tcp_new_timeout, 1, DAY),
    KEY_U32("flow.timeouts.tcp.established", flow.tcp_established_timeout, 1, DAY),
    KEY_U32("flow.timeouts.tcp.closed", flow.tcp_closed_timeout, 1, DAY),
    KEY_U32("flow.timeouts.udp.new", flow.udp_new_timeout, 1, DAY),
    KEY_U32("flow.timeouts.udp.established", flow.udp_established_timeout, 1, DAY),
    KEY_U32("flow.timeouts.icmp", flow.icmp_timeout, 1, DAY),
    KEY_U32("flow.timeouts.default", flow.other_timeout, 1, DAY),
    KEY_SIZE("stream.memcap", stream.memcap, 64 * KB, 64 * GB),
    KEY_SIZE("stream.reassembly.max-ooo-bytes", stream.max_ooo_bytes, 0, 1 * GB),
    KEY_U32("stream.reassembly.max-ooo-segments", stream.max_ooo_segments, 0, 1u << 20),
    KEY_SIZE("stream.reassembly.depth", stream.depth, 0, 1ULL << 62),
    KEY_U32("stream.reassembly.gap-timeout", stream.gap_timeout_s, 0, DAY),
    KEY_U32("app-layer.probe-depth", app.probe_depth, 16, 65536),
    KEY_SIZE("app-layer.memcap", app.memcap, 64 * KB, 64 * GB),
    KEY_BOOL("app-layer.protocols.dicom.enabled", app.enabled[APP_DICOM]),
    KEY_BOOL("app-layer.protocols.smb.enabled", app.enabled[APP_SMB]),
    KEY_BOOL("app-layer.protocols.dcerpc.enabled", app.enabled[APP_DCERPC]),
    DETECT_CONFIG_KEYS,
    KEY_BOOL("app-layer.protocols.http.enabled", app.enabled[APP_HTTP]),
    KEY_STR("run-as.user", run_as_user),
    KEY_STR("run-as.group", run_as_group),
    KEY_BOOL("sandbox.seccomp", seccomp),
};

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->logdir, sizeof(c->logdir), "%s", ".");
    c->eve_enabled = true;
    snprintf(c->eve_filename, sizeof(c->eve_filename), "%s", "eve.json");
    c->log_phi = false;
    snprintf(c->phi_key_file, sizeof(c->phi_key_file), "%s", "medsentry.key");
    c->dicom_max_pdu = 16 * 1024 * 1024;
    c->dicom_dataset_budget = 65536;
    c->dicom_max_depth = 8;
    c->smb_max_sessions = 16;
    c->smb_max_trees = 32;
    c->smb_max_files = 64;
    c->smb_max_pending = 64;
    c->dcerpc_max_stub = 1 * MB;
    c->http_max_header_bytes = 16 * KB;
    files_cfg_defaults(&c->files);
    asset_cfg_defaults(&c->assets);
    c->stats_interval_s = 0;
    c->anomaly_rate_limit = ANOMALY_RATE_LIMIT_DEFAULT;
    c->snaplen = 65535;
    c->promisc = true;

    c->decode.max_vlan_layers = DECODE_MAX_VLAN;
    c->decode.vxlan_port = DECODE_VXLAN_PORT;
    c->decode.defrag_memcap = 32 * MB;
    c->decode.defrag_timeout_s = 60;
    c->decode.defrag_max_frags = 256;

    c->flow.memcap = 128 * MB;
    c->flow.hash_size = 65536;
    c->flow.tcp_new_timeout = 60;
    c->flow.tcp_established_timeout = 3600;
    c->flow.tcp_closed_timeout = 10;
    c->flow.udp_new_timeout = 30;
    c->flow.udp_established_timeout = 300;
    c->flow.icmp_timeout = 30;
    c->flow.other_timeout = 30;

    c->stream.memcap = 256 * MB;
    c->stream.max_ooo_bytes = 1 * MB;
    c->stream.max_ooo_segments = 1024;
    c->stream.depth = 0;
    c->stream.gap_timeout_s = 2;

    c->app.probe_depth = 4096;
    c->app.memcap = 256 * MB;
    for (int p = 0; p < APP__COUNT; p++)
        c->app.enabled[p] = true;
    detect_cfg_defaults(&c->detect);
    c->seccomp = true;
}

static const struct config_key *config_key_find(const char *path)
{
    for (size_t i = 0; i < sizeof(config_keys) / sizeof(config_keys[0]); i++)
        if (strcmp(config_keys[i].path, path) == 0)
            return &config_keys[i];
    return NULL;
}

/* "64mb", "1gb", "4096", "512kb" (binary units; case-insensitive). */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    while (*end == ' ')
        end++;
    uint64_t mul = 1;
    if (!strcasecmp(end, "kb") || !strcasecmp(end, "k"))
        mul = KB;
    else if (!strcasecmp(end, "mb") || !strcasecmp(end, "m"))
        mul = MB;
    else if (!strcasecmp(end, "gb") || !strcasecmp(end, "g"))
        mul = GB;
    else if (*end && strcasecmp(end, "b"))
        return -1;
    if (v > UINT64_MAX / mul)
        return -1;
    *out = v * mul;
    return 0;
}

static int set_value(struct config *c, const struct config_key *k, const char *value, char *err, size_t errlen)
{
    char *base = (char *)c + k->off;
    switch (k->kind) {
    case K_BOOL: {
        bool v;
        if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcasecmp(value, "on") || !strcmp(value, "1"))
            v = true;
        else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcasecmp(value, "off") ||
                 !strcmp(value, "0"))
            v = false;
        else {
            snprintf(err, errlen, "%s: '%s' is not a boolean (yes/no)", k->path, value);
            return -1;
        }
        memcpy(base, &v, sizeof(v));
        return 0;
    }
    case K_U32:
    case K_INT:
    case K_SIZE: {
        uint64_t v;
        if (k->kind == K_SIZE) {
            if (parse_size(value, &v) < 0) {
                snprintf(err, errlen, "%s: '%s' is not a size (e.g. 4096, 512kb, 64mb, 1gb)", k->path, value);
                return -1;
            }
        } else {
            char *end;
            errno = 0;
            unsigned long long u = strtoull(value, &end, 10);
            if (!isdigit((unsigned char)value[0]) || *end || errno) {
                snprintf(err, errlen, "%s: '%s' is not a whole number", k->path, value);
                return -1;
            }
            v = u;
        }
        if (v < k->min || v > k->max) {
            snprintf(err, errlen, "%s: %s is out of range (%llu to %llu)", k->path, value, (unsigned long long)k->min,
                     (unsigned long long)k->max);
            return -1;
        }
        if (k->kind == K_U32) {
            uint32_t x = (uint32_t)v;
            memcpy(base, &x, sizeof(x));
        } else if (k->kind == K_INT) {
            int x = (int)v;
            memcpy(base, &x, sizeof(x));
        } else {
            memcpy(base, &v, sizeof(v));
        }
        return 0;
    }
    case K_STR:
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "%s: value is longer than %zu characters", k->path, k->size - 1);
            return -1;
        }
        for (const char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f) { /* a path or name with a newline would forge log lines */
                snprintf(err, errlen, "%s: value contains a control character (byte 0x%02x)", k->path,
                         (unsigned char)*p);
                return -1;
            }
        memcpy(base, value, strlen(value) + 1);
        return 0;
    }
    return -1;
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
    const struct config_key *k = config_key_find(key);
    if (!k) {
        snprintf(err, errlen, "%s: unknown key", key);
        return -1;
    }
    return set_value(c, k, value, err, errlen);
}

#define CONFIG_MAX_DEPTH 8
#define CONFIG_MAX_BYTES (1u << 20) /* medsentry.yaml with every key is ~15 KB */
#define CONFIG_MAX_KEYS  4096
#define CONFIG_KEY_MAX   128 /* one mapping key; the longest real one is ~40 */

/* Open path for reading the configuration: a regular file (not a directory, not a FIFO that would block) of at
 * most CONFIG_MAX_BYTES. */
static FILE *config_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: %lld bytes; a configuration file is at most %u", path, (long long)st.st_size,
                 CONFIG_MAX_BYTES);
        close(fd);
        return NULL;
    }
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return fp;
}

/* libyaml gives a byte offset, not a line, for encoding errors (bad UTF-8, control characters). */
static size_t line_of_offset(FILE *fp, size_t offset)
{
    size_t line = 1;
    rewind(fp);
    for (size_t i = 0; i < offset; i++) {
        int ch = getc(fp);
        if (ch == EOF)
            break;
        if (ch == '\n')
            line++;
    }
    return line;
}

/* Every key path seen in one file, with its line: a key given twice is an error (YAML says keys are unique;
 * libyaml does not check, and "the last one wins" would hide a mistake). */
struct seen_keys {
    char (*path)[256];
    size_t *line;
    size_t n;
};

/* 0 new, 1 duplicate (its first line in *first), -1 too many keys or a path too long */
static int seen_add(struct seen_keys *sk, const char *full, size_t line, size_t *first)
{
    for (size_t i = 0; i < sk->n; i++)
        if (strcmp(sk->path[i], full) == 0) {
            *first = sk->line[i];
            return 1;
        }
    size_t len = strlen(full);
    if (sk->n == CONFIG_MAX_KEYS || len >= sizeof(sk->path[0]))
        return -1;
    memcpy(sk->path[sk->n], full, len + 1);
    sk->line[sk->n++] = line;
    return 0;
}

int config_load(struct config *c, const char *path, char *err, size_t errlen)
{
    FILE *fp = config_open(path, err, errlen);
    if (!fp)
        return -1;
    struct seen_keys sk = {.path = malloc(CONFIG_MAX_KEYS * sizeof(*sk.path)),
                           .line = malloc(CONFIG_MAX_KEYS * sizeof(*sk.line))};
    if (!sk.path || !sk.line) {
        free(sk.path);
        free(sk.line);
        fclose(fp);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(sk.path);
        free(sk.line);
        fclose(fp);
        snprintf(err, errlen, "%s: cannot initialise the YAML parser", path);
        return -1;
    }
    yaml_parser_set_input_file(&parser, fp);

    /* keys[i] is the mapping key at depth i; expect_key[i] says whether the next scalar is a key */
    char keys[CONFIG_MAX_DEPTH][CONFIG_KEY_MAX];
    bool expect_key[CONFIG_MAX_DEPTH + 1];
    int depth = 0; /* number of open mappings */
    int rc = 0;
    bool done = false;
    int documents = 0;
    memset(keys, 0, sizeof(keys));
    expect_key[0] = false;

    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            size_t eline = parser.error == YAML_READER_ERROR ? line_of_offset(fp, parser.problem_offset)
                                                             : parser.problem_mark.line + 1;
            snprintf(err, errlen, "%s:%zu: %s", path, eline, parser.problem ? parser.problem : "YAML syntax error");
            rc = -1;
            break;
        }
        size_t line = ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) {
                snprintf(err, errlen, "%s:%zu: a second YAML document ('---'); the configuration is one document", path,
                         line);
                rc = -1;
            }
            break;
        case YAML_MAPPING_START_EVENT:
            if (depth > 0 && expect_key[depth]) {
                snprintf(err, errlen, "%s:%zu: a mapping cannot be a key", path, line);
                rc = -1;
            } else if (depth >= CONFIG_MAX_DEPTH) {
                snprintf(err, errlen, "%s:%zu: nested too deeply", path, line);
                rc = -1;
            } else {
                depth++;
                expect_key[depth] = true;
            }
            break;
        case YAML_MAPPING_END_EVENT:
            depth--;
            if (depth > 0)
                expect_key[depth] = true;
            break;
        case YAML_SEQUENCE_START_EVENT: {
            char full[1024] = "";
            for (int i = 1; i <= depth; i++)
                snprintf(full + strlen(full), sizeof(full) - strlen(full), "%s%s", i > 1 ? "." : "", keys[i - 1]);
            snprintf(err, errlen, "%s:%zu: %s: a list is not expected here", path, line, full);
            rc = -1;
            break;
        }
        case YAML_SCALAR_EVENT: {
            const char *val = (const char *)ev.data.scalar.value;
            if (depth == 0) {
                if (*val) {
                    snprintf(err, errlen, "%s:%zu: the file must be a mapping of keys", path, line);
                    rc = -1;
                }
                break;
            }
            char full[1024] = "";
            if (expect_key[depth]) {
                if (strlen(val) >= sizeof(keys[0]) || ev.data.scalar.length != strlen(val)) {
                    snprintf(err, errlen, "%s:%zu: a key longer than %zu characters (or with a NUL byte)", path, line,
                             sizeof(keys[0]) - 1);
                    rc = -1;
                    break;
                }
                bool ctl = false;
                for (const char *q = val; *q; q++)
                    ctl |= (unsigned char)*q < 0x20 || *q == 0x7f;
                if (ctl) { /* it would be printed in the next error message: no terminal escapes */
                    snprintf(err, errlen, "%s:%zu: a key with a control character", path, line);
                    rc = -1;
                    break;
                }
                snprintf(keys[depth - 1], sizeof(keys[0]), "%s", val);
                expect_key[depth] = false;
                for (int i = 1; i <= depth; i++)
                    snprintf(full + strlen(full), sizeof(full) - strlen(full), "%s%s", i > 1 ? "." : "", keys[i - 1]);
                size_t first = 0;
                int d = seen_add(&sk, full, line, &first);
                if (d == 1)
                    snprintf(err, errlen, "%s:%zu: %s: duplicate key (first given on line %zu)", path, line, full,
                             first);
                else if (d < 0)
                    snprintf(err, errlen, "%s:%zu: more than %d keys, or a key path longer than 255 characters", path,
                             line, CONFIG_MAX_KEYS);
                if (d != 0)
                    rc = -1;
                break;
            }
            for (int i = 1; i <= depth; i++)
                snprintf(full + strlen(full), sizeof(full) - strlen(full), "%s%s", i > 1 ? "." : "", keys[i - 1]);
            if (ev.data.scalar.length != strlen(val)) {
                snprintf(err, errlen, "%s:%zu: %s: value holds a NUL byte", path, line, full);
                rc = -1;
                break;
            }
            char e[512];
            const struct config_key *k = config_key_find(full);
            if (!k) {
                snprintf(err, errlen, "%s:%zu: %s: unknown key", path, line, full);
                rc = -1;
            } else if (set_value(c, k, val, e, sizeof(e)) < 0) {
                snprintf(err, errlen, "%s:%zu: %s", path, line, e);
                rc = -1;
            }
            expect_key[depth] = true;
            break;
        }
        case YAML_ALIAS_EVENT:
            snprintf(err, errlen, "%s:%zu: YAML aliases are not supported", path, line);
            rc = -1;
            break;
        default: break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    free(sk.path);
    free(sk.line);
    fclose(fp);
    return rc;
}
