/*
 * test_config.c - the configuration mechanism (core/config.c) on a test module with every type: defaults, ranges,
 * --set, the YAML reader and its errors naming file, line and key, port lists; the program's registry
 * (config_registry.c): every table sane, every key's default, medsentry.yaml equal to what the tables generate, the
 * 0.1 file still read the same; parsers following their keys.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "config_registry.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/medsentry-test-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_defaults(void **state)
{
    (void)state;
    struct config c;
    config_defaults(&c);
    assert_true(c.engine.eve_enabled);
    assert_false(c.privacy.log_phi);
    assert_string_equal(c.engine.eve_filename, "eve.json");
    assert_int_equal(c.flow.memcap, 128ULL << 20);
    assert_int_equal(c.flow.tcp_established_timeout, 3600);
    assert_int_equal(c.stream.max_ooo_bytes, 1 << 20);
    assert_int_equal(c.app.probe_depth, 4096);
}

static void test_load_repository_file(void **state)
{
    (void)state;
    /* The shipped medsentry.yaml names every key with its default: loading it changes nothing. */
    struct config a, b;
    char err[256];
    config_defaults(&a);
    config_defaults(&b);
    assert_int_equal(config_load(&b, "medsentry.yaml", err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));
}

static void test_load_values(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    char *p = write_tmp("flow:\n  memcap: 64mb\n  timeouts:\n    tcp:\n      new: 5\n"
                        "outputs:\n  eve:\n    enabled: no\n    filename: x.json\n"
                        "stream:\n  reassembly:\n    depth: 1gb\n");
    assert_int_equal(config_load(&c, p, err, sizeof(err)), 0);
    unlink(p);
    assert_int_equal(c.flow.memcap, 64ULL << 20);
    assert_int_equal(c.flow.tcp_new_timeout, 5);
    assert_false(c.engine.eve_enabled);
    assert_string_equal(c.engine.eve_filename, "x.json");
    assert_int_equal(c.stream.depth, 1ULL << 30);
}

static void expect_error(const char *yaml, const char *needle)
{
    struct config c;
    char err[512];
    config_defaults(&c);
    char *p = write_tmp(yaml);
    assert_int_equal(config_load(&c, p, err, sizeof(err)), -1);
    unlink(p);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not contain '%s'", err, needle);
}

static void test_errors_name_line_and_key(void **state)
{
    (void)state;
    expect_error("flow:\n  memcap: lots\n", ":2: flow.memcap: 'lots' is not a size");
    expect_error("flow:\n\n  hash-size: 12\n", ":3: flow.hash-size: 12 is out of range");
    expect_error("flow:\n  memkap: 1mb\n", ":2: flow.memkap: unknown key");
    expect_error("outputs:\n  eve:\n    enabled: maybe\n", ":3: outputs.eve.enabled: 'maybe' is not a boolean");
    expect_error("flow:\n  memcap: [1, 2]\n", ":2: flow.memcap: a list is not expected here");
    expect_error("flow: {memcap: 1mb\n", "medsentry-test-config");
    expect_error("flow:\n  memcap: &x 1mb\ndefrag:\n  memcap: *x\n", ":4: YAML aliases are not supported");
}

static void test_set(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "flow.memcap", "4MB", err, sizeof(err)), 0);
    assert_int_equal(c.flow.memcap, 4ULL << 20);
    assert_int_equal(config_set(&c, "defrag.memcap", "65536", err, sizeof(err)), 0);
    assert_int_equal(c.decode.defrag_memcap, 65536);
    assert_int_equal(config_set(&c, "flow.memcap", "-1", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "flow.memcap", "99999999999999999999gb", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "app-layer.probe-depth", "4x", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "nope", "1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown key"));
}

static void test_smb_files_keys(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(c.smb.max_files, 64);
    assert_int_equal(c.smb.max_pending, 64);
    assert_int_equal(c.dcerpc.max_stub, 1ULL << 20);
    assert_int_equal(c.files.memcap, 16ULL << 20);
    assert_int_equal(c.files.max_open, 4096);
    assert_int_equal(config_set(&c, "smb.max-files", "2", err, sizeof(err)), 0);
    assert_int_equal(c.smb.max_files, 2);
    assert_int_equal(config_set(&c, "smb.max-sessions", "0", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "smb.max-trees", "4097", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "dcerpc.max-stub-size", "64kb", err, sizeof(err)), 0);
    assert_int_equal(c.dcerpc.max_stub, 65536);
    assert_int_equal(config_set(&c, "dcerpc.max-stub-size", "1gb", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "files.memcap", "1mb", err, sizeof(err)), 0);
    assert_int_equal(c.files.memcap, 1ULL << 20);
    assert_int_equal(config_set(&c, "files.max-open", "10", err, sizeof(err)), 0);
    assert_int_equal(c.files.max_open, 10);
    assert_int_equal(config_set(&c, "files.max-hash-bytes", "1", err, sizeof(err)), 0);
    assert_int_equal(c.files.max_hash_bytes, 1);
}

/* anomaly.rate-limit: anomaly events per second of packet time, 100 by default, 0 = no per-second budget. */
static void test_anomaly_rate_limit(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(c.anomaly.rate_limit, 100);
    assert_int_equal(config_set(&c, "anomaly.rate-limit", "0", err, sizeof(err)), 0);
    assert_int_equal(c.anomaly.rate_limit, 0);
    assert_int_equal(config_set(&c, "anomaly.rate-limit", "1000000", err, sizeof(err)), 0);
    assert_int_equal(c.anomaly.rate_limit, 1000000);
    assert_int_equal(config_set(&c, "anomaly.rate-limit", "1000001", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "anomaly.rate-limit"));
}

/* ---- the mechanism, on a module of the test's own with every type ---------------------------- */

struct demo_cfg {
    bool on;
    uint32_t count;
    uint64_t big;
    int level;
    uint64_t bytes;
    uint32_t wait;
    char name[8];
    struct config_ports ports;
    int mode;
};

static const char *const demo_modes[] = {"fast", "slow", NULL};

static int demo_validate(const void *cfg, char *err, size_t errlen)
{
    const struct demo_cfg *c = cfg;
    if (c->count > c->big) {
        snprintf(err, errlen, "demo.count: more than demo.deep.big");
        return -1;
    }
    return 0;
}

#define D struct demo_cfg
static const struct config_key demo_keys[] = {
    CONFIG_KEY_SECTION("demo", "A module of the test.\nTwo lines."),
    CONFIG_KEY_BOOL(D, on, "demo.on", "yes", "switch"),
    CONFIG_KEY_U32(D, count, "demo.count", 1, 100, "10", NULL),
    CONFIG_KEY_U64(D, big, "demo.deep.big", 0, 1ULL << 40, "1000", "a large number"),
    CONFIG_KEY_INT(D, level, "demo.deep.level", 0, INT_MAX, "3", NULL),
    CONFIG_KEY_SIZE(D, bytes, "demo.bytes", 1 * CONFIG_KB, 1 * CONFIG_GB, "64kb", NULL),
    CONFIG_KEY_DURATION(D, wait, "demo.wait", 1, 7 * CONFIG_DAY, "5m", NULL),
    CONFIG_KEY_STR(D, name, "demo.name", "", "empty by default"),
    CONFIG_KEY_PORTS(D, ports, "demo.ports", "80, 8080", NULL),
    CONFIG_KEY_ENUM(D, mode, "other.mode", demo_modes, "slow", "an enum, under a second top-level mapping"),
};
#undef D

static const struct config_module demo_module = {
    .name = "demo",
    .keys = demo_keys,
    .n = sizeof(demo_keys) / sizeof(demo_keys[0]),
    .struct_size = sizeof(struct demo_cfg),
    .validate = demo_validate,
};

static void test_module_defaults_every_type(void **state)
{
    (void)state;
    struct demo_cfg d;
    char err[256];
    memset(&d, 0xa5, sizeof(d));
    assert_int_equal(config_module_defaults(&demo_module, &d, err, sizeof(err)), 0);
    assert_true(d.on);
    assert_int_equal(d.count, 10);
    assert_int_equal(d.big, 1000);
    assert_int_equal(d.level, 3);
    assert_int_equal(d.bytes, 65536);
    assert_int_equal(d.wait, 300);
    assert_string_equal(d.name, "");
    assert_int_equal(d.ports.n, 2);
    assert_int_equal(d.ports.port[0], 80);
    assert_int_equal(d.ports.port[1], 8080);
    assert_int_equal(d.mode, 1);
}

static void test_module_set_and_ranges(void **state)
{
    (void)state;
    struct demo_cfg d;
    char err[256];
    assert_int_equal(config_module_defaults(&demo_module, &d, err, sizeof(err)), 0);
    struct config_binding b = {&demo_module, &d};
    assert_int_equal(config_set_key(&b, 1, "demo.on", "off", err, sizeof(err)), 0);
    assert_false(d.on);
    assert_int_equal(config_set_key(&b, 1, "demo.count", "100", err, sizeof(err)), 0);
    assert_int_equal(d.count, 100);
    assert_int_equal(config_set_key(&b, 1, "demo.count", "101", err, sizeof(err)), -1);
    assert_string_equal(err, "demo.count: 101 is out of range (1 to 100)");
    assert_int_equal(config_set_key(&b, 1, "demo.count", "0", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.count", "1e3", err, sizeof(err)), -1);
    assert_string_equal(err, "demo.count: '1e3' is not a whole number");
    assert_int_equal(config_set_key(&b, 1, "demo.deep.big", "1099511627776", err, sizeof(err)), 0);
    assert_int_equal(d.big, 1ULL << 40);
    assert_int_equal(config_set_key(&b, 1, "demo.deep.big", "1099511627777", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.deep.level", "2147483647", err, sizeof(err)), 0);
    assert_int_equal(d.level, INT_MAX);
    assert_int_equal(config_set_key(&b, 1, "demo.deep.level", "2147483648", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.deep.level", "-1", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.bytes", "1GB", err, sizeof(err)), 0);
    assert_int_equal(d.bytes, 1ULL << 30);
    assert_int_equal(config_set_key(&b, 1, "demo.bytes", "1023", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.bytes", "2 tb", err, sizeof(err)), -1);
    assert_string_equal(err, "demo.bytes: '2 tb' is not a size (e.g. 4096, 512kb, 64mb, 1gb)");
    assert_int_equal(config_set_key(&b, 1, "demo.wait", "2h", err, sizeof(err)), 0);
    assert_int_equal(d.wait, 7200);
    assert_int_equal(config_set_key(&b, 1, "demo.wait", "7d", err, sizeof(err)), 0);
    assert_int_equal(d.wait, 7 * 86400);
    assert_int_equal(config_set_key(&b, 1, "demo.wait", "90s", err, sizeof(err)), 0);
    assert_int_equal(d.wait, 90);
    assert_int_equal(config_set_key(&b, 1, "demo.wait", "8d", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.wait", "0", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.wait", "5w", err, sizeof(err)), -1);
    assert_string_equal(err, "demo.wait: '5w' is not a duration (e.g. 90, 90s, 30m, 2h, 7d)");
    assert_int_equal(config_set_key(&b, 1, "demo.wait", "99999999999999999999d", err, sizeof(err)), -1);
    assert_int_equal(config_set_key(&b, 1, "demo.name", "1234567", err, sizeof(err)), 0);
    assert_string_equal(d.name, "1234567");
    assert_int_equal(config_set_key(&b, 1, "demo.name", "12345678", err, sizeof(err)), -1);
    assert_string_equal(err, "demo.name: value is longer than 7 characters");
    assert_string_equal(d.name, "1234567"); /* unchanged by the refused value */
    assert_int_equal(config_set_key(&b, 1, "other.mode", "fast", err, sizeof(err)), 0);
    assert_int_equal(d.mode, 0);
    assert_int_equal(config_set_key(&b, 1, "other.mode", "FAST", err, sizeof(err)), -1);
    assert_string_equal(err, "other.mode: 'FAST' is not one of fast, slow");
    assert_int_equal(config_set_key(&b, 1, "demo.ports", "443", err, sizeof(err)), 0);
    assert_int_equal(d.ports.n, 1);
    assert_int_equal(config_set_key(&b, 1, "demo.ports", "443,,80", err, sizeof(err)), -1);
    assert_string_equal(err, "demo.ports: '443,,80' is not a port list (e.g. \"80, 8080\"): an item is empty");
    assert_int_equal(d.ports.n, 1);
    /* a section is no key; nor is a prefix of one */
    assert_int_equal(config_set_key(&b, 1, "demo", "1", err, sizeof(err)), -1);
    assert_string_equal(err, "demo: unknown key");
    assert_int_equal(config_set_key(&b, 1, "demo.deep", "1", err, sizeof(err)), -1);
    /* the module's check across keys */
    assert_int_equal(config_set_key(&b, 1, "demo.count", "50", err, sizeof(err)), 0);
    assert_int_equal(config_set_key(&b, 1, "demo.deep.big", "49", err, sizeof(err)), 0);
    assert_int_equal(config_validate_all(&b, 1, err, sizeof(err)), -1);
    assert_string_equal(err, "demo.count: more than demo.deep.big");
    assert_int_equal(config_set_key(&b, 1, "demo.deep.big", "50", err, sizeof(err)), 0);
    assert_int_equal(config_validate_all(&b, 1, err, sizeof(err)), 0);
}

static int demo_load(struct demo_cfg *d, const char *yaml, char *err, size_t errlen)
{
    char e[256];
    assert_int_equal(config_module_defaults(&demo_module, d, e, sizeof(e)), 0);
    struct config_binding b = {&demo_module, d};
    char *p = write_tmp(yaml);
    int rc = config_load_file(&b, 1, p, err, errlen);
    unlink(p);
    return rc;
}

static void demo_expect_error(const char *yaml, const char *needle)
{
    struct demo_cfg d;
    char err[512];
    assert_int_equal(demo_load(&d, yaml, err, sizeof(err)), -1);
    if (!strstr(err, needle))
        fail_msg("error '%s' does not contain '%s'", err, needle);
}

static void test_module_yaml(void **state)
{
    (void)state;
    struct demo_cfg d;
    char err[512];
    assert_int_equal(demo_load(&d,
                               "demo:\n  on: no\n  deep:\n    big: 7\n    level: 9\n  name: \"a b\"\n"
                               "  ports: [22, 2222]\n  wait: 1m\nother:\n  mode: fast\n",
                               err, sizeof(err)),
                     0);
    assert_false(d.on);
    assert_int_equal(d.big, 7);
    assert_int_equal(d.level, 9);
    assert_string_equal(d.name, "a b");
    assert_int_equal(d.ports.n, 2);
    assert_int_equal(d.ports.port[0], 22);
    assert_int_equal(d.ports.port[1], 2222);
    assert_int_equal(d.wait, 60);
    assert_int_equal(d.mode, 0);
    /* the same list as a string, and an empty list: no hints */
    assert_int_equal(demo_load(&d, "demo:\n  ports: \"22, 2222\"\n", err, sizeof(err)), 0);
    assert_int_equal(d.ports.n, 2);
    assert_int_equal(demo_load(&d, "demo:\n  ports: []\n", err, sizeof(err)), 0);
    assert_int_equal(d.ports.n, 0);
    assert_int_equal(demo_load(&d, "demo:\n  ports: \"\"\n", err, sizeof(err)), 0);
    assert_int_equal(d.ports.n, 0);
    /* errors name the line and the key */
    demo_expect_error("demo:\n  count: 5\n\n  deep:\n    level: x\n", ":5: demo.deep.level: 'x' is not a whole number");
    /* a block sequence starts on the line of its first item */
    demo_expect_error("demo:\n  ports:\n    - 22\n    - 70000\n",
                      ":3: demo.ports: '22, 70000' is not a port list (e.g. \"80, 8080\"): port 70000 is out of range");
    demo_expect_error("demo:\n  ports: [22, [1]]\n", ":2: demo.ports: a list item must be a single value");
    demo_expect_error("demo:\n  count: [1]\n", ":2: demo.count: a list is not expected here");
    demo_expect_error("demo:\n  deep:\n    lvl: 1\n", ":3: demo.deep.lvl: unknown key");
    demo_expect_error("demo:\n  deep: 1\n", ":2: demo.deep: unknown key");
    demo_expect_error("other:\n  mode: medium\n", ":2: other.mode: 'medium' is not one of fast, slow");
    demo_expect_error("- a\n", "a list is not expected here");
}

static void test_port_list_parser(void **state)
{
    (void)state;
    struct config_ports p;
    char err[128];
    assert_int_equal(config_parse_ports(" 80 ,8080,  443 ", &p, err, sizeof(err)), 0);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.port[2], 443);
    assert_true(config_ports_has(&p, 8080));
    assert_false(config_ports_has(&p, 81));
    assert_int_equal(config_parse_ports("1, 65535", &p, err, sizeof(err)), 0);
    assert_int_equal(config_parse_ports("   ", &p, err, sizeof(err)), 0);
    assert_int_equal(p.n, 0);
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"0", "out of range"},
        {"65536", "out of range"},
        {"99999999999999999999999", "not a number"},
        {"80,,81", "empty"},
        {"80,", "empty"},
        {",80", "empty"},
        {"80, ,81", "empty"},
        {"http", "not a number"},
        {"-80", "not a number"},
        {"80 81", "not a number"},
        {"80;81", "not a number"},
        {"80, 80", "twice"},
        {"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "more than 16"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p.n = 99;
        if (config_parse_ports(bad[i].in, &p, err, sizeof(err)) != -1)
            fail_msg("'%s' accepted", bad[i].in);
        if (!strstr(err, bad[i].why))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].in, err, bad[i].why);
        assert_int_equal(p.n, 99); /* untouched */
    }
    /* sixteen is the limit, not more */
    assert_int_equal(config_parse_ports("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", &p, err, sizeof(err)), 0);
    assert_int_equal(p.n, CONFIG_PORTS_MAX);
}

static char *dump_module(const struct config_module *m)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    const struct config_module *mods[] = {m};
    assert_int_equal(config_dump_defaults(fp, mods, 1, "head"), 0);
    fclose(fp);
    return buf;
}

static void test_module_dump(void **state)
{
    (void)state;
    char *got = dump_module(&demo_module);
    assert_string_equal(got, "# head\n"
                             "\n"
                             "# A module of the test.\n"
                             "# Two lines.\n"
                             "demo:\n"
                             "  # switch\n"
                             "  on: yes\n"
                             "  count: 10\n"
                             "  deep:\n"
                             "    # a large number\n"
                             "    big: 1000\n"
                             "    level: 3\n"
                             "  bytes: 64kb\n"
                             "  wait: 5m\n"
                             "  # empty by default\n"
                             "  name: \"\"\n"
                             "  ports: \"80, 8080\"\n"
                             "\n"
                             "other:\n"
                             "  # an enum, under a second top-level mapping\n"
                             "  mode: slow\n");
    free(got);
}

/* ---- the program's registry ----------------------------------------------------------------- */

static size_t type_size(enum config_type t)
{
    switch (t) {
    case CONFIG_BOOL: return sizeof(bool);
    case CONFIG_U32:
    case CONFIG_DURATION: return 4;
    case CONFIG_U64:
    case CONFIG_SIZE: return 8;
    case CONFIG_INT:
    case CONFIG_ENUM: return sizeof(int);
    case CONFIG_PORTS: return sizeof(struct config_ports);
    default: return 0;
    }
}

/* Every table: names unique across modules, sizes, ranges within the stored type, a default inside the range. */
static void test_registry_tables_sane(void **state)
{
    (void)state;
    size_t n_keys = 0;
    for (size_t i = 0; i < config_registry_count; i++) {
        const struct config_module *m = config_registry[i];
        char err[512];
        void *c = calloc(1, m->struct_size);
        assert_non_null(c);
        if (config_module_defaults(m, c, err, sizeof(err)) < 0)
            fail_msg("%s", err);
        free(c);
        for (size_t j = 0; j < m->n; j++) {
            const struct config_key *k = &m->keys[j];
            if (k->type == CONFIG_SECTION)
                continue;
            n_keys++;
            assert_non_null(k->def);
            if (k->type == CONFIG_STR)
                assert_true(strlen(k->def) < k->size);
            else if (k->size != type_size(k->type))
                fail_msg("%s: member of %zu bytes", k->name, k->size);
            assert_true(k->off + k->size <= m->struct_size);
            assert_true(k->min <= k->max);
            if (k->type == CONFIG_U32 || k->type == CONFIG_DURATION)
                assert_true(k->max <= UINT32_MAX);
            if (k->type == CONFIG_INT)
                assert_true(k->max <= INT_MAX);
            for (size_t i2 = 0; i2 < config_registry_count; i2++)
                for (size_t j2 = 0; j2 < config_registry[i2]->n; j2++) {
                    const struct config_key *k2 = &config_registry[i2]->keys[j2];
                    if (k2 != k && k2->type != CONFIG_SECTION && strcmp(k2->name, k->name) == 0)
                        fail_msg("%s is in %s and %s", k->name, m->name, config_registry[i2]->name);
                }
        }
    }
    /* the 103 keys of 0.1, the 9 C2 and egress keys of detect.*, and, per parser (dicom smb dcerpc http dns tls
     * hl7), ports, and tls's enabled; threading.workers; the sandbox's run-as.user, run-as.group and
     * sandbox.seccomp; the 7 detect.* keys of §7.19-7.22 (zones.guest, allow.hl7-senders, hl7.lis-hosts,
     * hl7.learning-period, hl7.sender-timeout, hl7.control-id-window, exploit.uid-item-max);
     * outputs.redis.flush-timeout; capture.method and the 4 capture.af-packet.* ring keys */
    assert_int_equal(n_keys, 103 + 9 + 7 + 1 + 1 + 3 + 7 + 1 + 5);
}

/* medsentry.yaml is what the tables generate (make medsentry.yaml rewrites it). */
static void test_repository_file_is_generated(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    assert_int_equal(config_dump(fp), 0);
    fclose(fp);
    FILE *f = fopen("medsentry.yaml", "rb");
    assert_non_null(f);
    char *file = calloc(1, len + 2);
    assert_non_null(file);
    size_t got = fread(file, 1, len + 1, f);
    fclose(f);
    if (got != len || memcmp(file, buf, len) != 0) {
        size_t i = 0;
        while (i < len && i < got && file[i] == buf[i])
            i++;
        size_t line = 1;
        for (size_t j = 0; j < i; j++)
            line += buf[j] == '\n';
        fail_msg("medsentry.yaml differs from the key tables from line %zu on: run `make medsentry.yaml`", line);
    }
    free(file);
    free(buf);
}

/* A file written for 0.1 (the last central table) still reads, every key to the same default. */
static void test_file_of_0_1_still_reads(void **state)
{
    (void)state;
    static struct config a, b;
    char err[256];
    config_defaults(&a);
    config_defaults(&b);
    if (config_load(&b, "tests/unit/data/medsentry-0.1.yaml", err, sizeof(err)) < 0)
        fail_msg("%s", err);
    /* but outputs.redis.timeout: 100 ms then, when the replies were read on the correlator; 1000 ms since the sender
     * has its own thread (only it waits).  The file's value is read as written. */
    assert_int_equal(b.redis.timeout_ms, 100);
    assert_int_equal(a.redis.timeout_ms, 1000);
    b.redis.timeout_ms = a.redis.timeout_ms;
    assert_memory_equal(&a, &b, sizeof(a));
}

/* The parsers follow their keys: enabled takes a parser out of detection, ports become its hints. */
static void test_parsers_follow_their_keys(void **state)
{
    (void)state;
    static struct config c;
    char err[256];
    config_defaults(&c);
    assert_true(c.tls.proto.enabled);
    assert_true(config_ports_has(&c.http.proto.ports, 8042));
    assert_int_equal(config_set(&c, "app-layer.protocols.tls.enabled", "no", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "app-layer.protocols.http.ports", "81", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "app-layer.protocols.hl7.ports", "2575, 2576", err, sizeof(err)), 0);
    assert_int_equal(config_set(&c, "hl7.max-message-bytes", "4kb", err, sizeof(err)), 0);
    const void *pc[APP__COUNT];
    config_app_parser_cfgs(&c, pc);
    struct stats st;
    struct event_bus bus;
    memset(&st, 0, sizeof(st));
    memset(&bus, 0, sizeof(bus));
    struct app_layer al;
    assert_int_equal(app_layer_init(&al, &c.app, &st, &bus, pc), 0);
    assert_int_equal(al.n_parsers, app_registry_count - 1);
    for (size_t i = 0; i < al.n_parsers; i++)
        assert_int_not_equal(al.parsers[i]->proto, APP_TLS);
    const struct http_cfg *h = app_parser_cfg(&al, APP_HTTP);
    assert_int_equal(h->proto.ports.n, 1);
    assert_int_equal(h->proto.ports.port[0], 81);
    const struct hl7_cfg *l = app_parser_cfg(&al, APP_HL7);
    assert_true(config_ports_has(&l->proto.ports, 2576));
    assert_int_equal(l->max_message, 4096);
    app_layer_free(&al);
    /* without a configuration every parser has its module's defaults */
    assert_int_equal(app_layer_init(&al, &c.app, &st, &bus, NULL), 0);
    assert_int_equal(al.n_parsers, app_registry_count);
    const struct dicom_cfg *d = app_parser_cfg(&al, APP_DICOM);
    assert_int_equal(d->max_pdu, 16u << 20);
    assert_true(config_ports_has(&d->proto.ports, 11112));
    app_layer_free(&al);
}

static void test_redis_checked_when_on(void **state)
{
    (void)state;
    static struct config c;
    char err[256];
    config_defaults(&c);
    assert_int_equal(config_set(&c, "outputs.redis.server", "[::1", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), 0); /* off: not looked at */
    assert_int_equal(config_set(&c, "outputs.redis.enabled", "yes", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "outputs.redis.server"));
    assert_int_equal(config_set(&c, "outputs.redis.mode", "lpush", err, sizeof(err)), 0);
    assert_int_equal(c.redis.mode, REDIS_LPUSH);
    assert_int_equal(config_set(&c, "outputs.redis.mode", "xread", err, sizeof(err)), -1);
    assert_string_equal(err, "outputs.redis.mode: 'xread' is not one of xadd, lpush, publish");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_load_repository_file),
        cmocka_unit_test(test_load_values),
        cmocka_unit_test(test_errors_name_line_and_key),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_smb_files_keys),
        cmocka_unit_test(test_anomaly_rate_limit),
        cmocka_unit_test(test_module_defaults_every_type),
        cmocka_unit_test(test_module_set_and_ranges),
        cmocka_unit_test(test_module_yaml),
        cmocka_unit_test(test_port_list_parser),
        cmocka_unit_test(test_module_dump),
        cmocka_unit_test(test_registry_tables_sane),
        cmocka_unit_test(test_repository_file_is_generated),
        cmocka_unit_test(test_file_of_0_1_still_reads),
        cmocka_unit_test(test_parsers_follow_their_keys),
        cmocka_unit_test(test_redis_checked_when_on),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
