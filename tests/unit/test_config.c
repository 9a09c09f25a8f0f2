/* test_config.c - defaults, the YAML reader (libyaml) and its error messages, --set values and ranges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "core/config.h"

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
    assert_true(c.eve_enabled);
    assert_false(c.log_phi);
    assert_string_equal(c.eve_filename, "eve.json");
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
    assert_false(c.eve_enabled);
    assert_string_equal(c.eve_filename, "x.json");
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
    assert_int_equal(c.smb_max_files, 64);
    assert_int_equal(c.smb_max_pending, 64);
    assert_int_equal(c.dcerpc_max_stub, 1ULL << 20);
    assert_int_equal(c.files.memcap, 16ULL << 20);
    assert_int_equal(c.files.max_open, 4096);
    assert_int_equal(config_set(&c, "smb.max-files", "2", err, sizeof(err)), 0);
    assert_int_equal(c.smb_max_files, 2);
    assert_int_equal(config_set(&c, "smb.max-sessions", "0", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "smb.max-trees", "4097", err, sizeof(err)), -1);
    assert_int_equal(config_set(&c, "dcerpc.max-stub-size", "64kb", err, sizeof(err)), 0);
    assert_int_equal(c.dcerpc_max_stub, 65536);
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
    assert_int_equal(c.anomaly_rate_limit, 100);
    assert_int_equal(config_set(&c, "anomaly.rate-limit", "0", err, sizeof(err)), 0);
    assert_int_equal(c.anomaly_rate_limit, 0);
    assert_int_equal(config_set(&c, "anomaly.rate-limit", "1000000", err, sizeof(err)), 0);
    assert_int_equal(c.anomaly_rate_limit, 1000000);
    assert_int_equal(config_set(&c, "anomaly.rate-limit", "1000001", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "anomaly.rate-limit"));
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
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
