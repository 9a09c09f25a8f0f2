/*
 * test_sqlite.c - the SQLite store (src/output/sqlite.c, sqlite_schema.c) and the --since parser of the query
 * commands (src/cli/query.c).
 *
 * Each test works in a fresh directory under /tmp and reads the database back through a second connection, as
 * the query commands and the sqlite3 shell do.
 */
#include "unit.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assets/assets.h"
#include "cli/query.h"
#include "core/json.h"
#include "core/stats.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "output/sqlite.h"

#define T0 1795965982000000ULL /* 2026-11-29T15:26:22Z */
#define S  1000000ULL

struct fixture {
    char dir[64];
    char path[128];
    struct stats stats;
    struct store_cfg cfg;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/test_sqlite.XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    snprintf(fx->path, sizeof(fx->path), "%s/medsentry.db", fx->dir);
    store_cfg_defaults(&fx->cfg);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0)
        return -1;
    free(fx);
    return 0;
}

static struct store *open_store(struct fixture *fx)
{
    char err[512] = "";
    struct store_run_info run = {.sensor = "unit", .source = "test.pcap", .version = "0.0.0-test"};
    struct store *s = store_open(&fx->cfg, fx->path, &run, &fx->stats, err, sizeof(err));
    if (!s)
        fail_msg("store_open: %s", err);
    return s;
}

static sqlite3 *db_open(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    return db;
}

static int64_t db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The first column of the first row as text, into buf. */
static const char *db_text(sqlite3 *db, const char *sql, char *buf, size_t n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static void db_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

static void ip4(struct ip_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
    memset(a, 0, sizeof(*a));
    a->family = 4;
    a->b[10] = a->b[11] = 0xff;
    a->b[12] = x;
    a->b[13] = y;
    a->b[14] = z;
    a->b[15] = w;
}

/* A flow event of a TCP flow 10.0.0.1:40000+i -> 10.0.0.2:104 that started at ts. */
static void push_flow(struct store *s, int i, uint64_t ts)
{
    struct flow f;
    memset(&f, 0, sizeof(f));
    ip4(&f.client, 10, 0, 0, 1);
    ip4(&f.server, 10, 0, 0, 2);
    f.client_port = (uint16_t)(40000 + i);
    f.server_port = 104;
    f.ipproto = 6;
    f.flow_id = 1000 + (uint64_t)i;
    f.first_ts_us = ts;
    f.last_ts_us = ts + S;
    f.pkts[0] = 3;
    f.pkts[1] = 2;
    f.bytes[0] = 300;
    f.bytes[1] = 200;
    f.app.proto = APP_DICOM;
    f.end_reason = FLOW_END_TIMEOUT;
    struct event ev = {.type = EVENT_FLOW, .ts_us = ts, .flow = &f, .dir = EVENT_DIR_NONE, .body = &f};
    store_on_event(s, &ev);
}

/* ---- schema ---- */

static void test_schema_created(void **state)
{
    struct fixture *fx = *state;
    struct store *s = open_store(fx);
    sqlite3 *db = db_open(fx->path);
    char buf[64];
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(db_int(db, "PRAGMA application_id"), STORE_APPLICATION_ID);
    assert_string_equal(db_text(db, "PRAGMA journal_mode", buf, sizeof(buf)), "wal");
    static const char *const tables[] = {"runs", "alerts", "assets", "asset_history", "flows"};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        assert_int_equal(db_int(db, sql), 1);
    }
    /* the indices the query commands rely on */
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN"
                                " ('alerts_ts', 'alerts_severity', 'alerts_src', 'alerts_dest', 'asset_history_ip',"
                                " 'flows_start')"),
                     6);
    /* this run's row exists from the start, unfinished */
    assert_int_equal(db_int(db, "SELECT count(*) FROM runs WHERE sensor = 'unit' AND end_wall IS NULL"), 1);
    store_close(s);
    assert_int_equal(db_int(db, "SELECT count(*) FROM runs WHERE end_wall IS NOT NULL AND source = 'test.pcap'"), 1);
    sqlite3_close(db);
    /* and the read-only check accepts it */
    char err[256];
    sqlite3 *ro = store_open_readonly(fx->path, err, sizeof(err));
    assert_non_null(ro);
    sqlite3_close(ro);
}

/* A version-0 database made by hand (an empty SQLite file, as `sqlite3 x.db 'PRAGMA user_version'` leaves it) is
 * brought to the current version on open. */
static void test_migrate_from_v0(void **state)
{
    struct fixture *fx = *state;
    sqlite3 *db = db_open(fx->path);
    db_exec(db, "PRAGMA user_version = 0");
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master"), 0);
    sqlite3_close(db);
    struct store *s = open_store(fx);
    store_close(s);
    db = db_open(fx->path);
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(db_int(db, "SELECT count(*) FROM runs"), 1);
    sqlite3_close(db);
}

/* The framework: from version 1 only the later steps run, in one transaction; a failing step changes nothing. */
static void test_migration_steps(void **state)
{
    struct fixture *fx = *state;
    static const struct store_migration steps[] = {
        {1, "CREATE TABLE a (x INTEGER)"},
        {2, "CREATE TABLE b (x INTEGER); INSERT INTO a VALUES (2)"},
        {3, "CREATE TABLE c (x INTEGER); INSERT INTO no_such_table VALUES (3)"},
    };
    char err[256] = "";
    sqlite3 *db = db_open(fx->path);
    assert_int_equal(store_migrate(db, fx->path, steps, 1, err, sizeof(err)), 0);
    assert_int_equal(db_int(db, "PRAGMA user_version"), 1);
    assert_int_equal(db_int(db, "PRAGMA application_id"), STORE_APPLICATION_ID);
    db_exec(db, "INSERT INTO a VALUES (1)");
    /* v1 -> v2: step 1 is not run again (a would be created twice and fail) */
    assert_int_equal(store_migrate(db, fx->path, steps, 2, err, sizeof(err)), 0);
    assert_int_equal(db_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(db_int(db, "SELECT count(*) FROM a"), 2);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 1);
    /* v2 -> v3 fails half-way: table c is rolled back with the version */
    assert_int_equal(store_migrate(db, fx->path, steps, 3, err, sizeof(err)), -1);
    assert_non_null(strstr(err, fx->path));
    assert_non_null(strstr(err, "version 3"));
    assert_int_equal(db_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'c'"), 0);
    /* already current: nothing to do */
    assert_int_equal(store_migrate(db, fx->path, steps, 2, err, sizeof(err)), 0);
    sqlite3_close(db);
}

static void test_newer_version_refused(void **state)
{
    struct fixture *fx = *state;
    sqlite3 *db = db_open(fx->path);
    char sql[96];
    snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d", STORE_APPLICATION_ID,
             STORE_SCHEMA_VERSION + 1);
    db_exec(db, sql);
    db_exec(db, "CREATE TABLE future (x INTEGER)");
    sqlite3_close(db);
    char err[512] = "";
    struct store *s = store_open(&fx->cfg, fx->path, NULL, &fx->stats, err, sizeof(err));
    assert_null(s);
    assert_non_null(strstr(err, fx->path));
    assert_non_null(strstr(err, "newer"));
    err[0] = '\0';
    assert_null(store_open_readonly(fx->path, err, sizeof(err)));
    assert_non_null(strstr(err, "newer"));
    /* untouched */
    db = db_open(fx->path);
    assert_int_equal(db_int(db, "PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs'"), 0);
    sqlite3_close(db);
}

static void test_not_a_store_refused(void **state)
{
    struct fixture *fx = *state;
    char err[512] = "";
    /* not SQLite at all */
    FILE *fp = fopen(fx->path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database, just text\n", fp);
    fclose(fp);
    assert_null(store_open_readonly(fx->path, err, sizeof(err)));
    assert_non_null(strstr(err, fx->path));
    assert_non_null(strstr(err, "not a medsentry store"));
    err[0] = '\0';
    assert_null(store_open(&fx->cfg, fx->path, NULL, &fx->stats, err, sizeof(err)));
    assert_non_null(strstr(err, "not a medsentry store"));
    /* SQLite, someone else's */
    unlink(fx->path);
    sqlite3 *db = db_open(fx->path);
    db_exec(db, "CREATE TABLE moz_places (url TEXT)");
    sqlite3_close(db);
    err[0] = '\0';
    assert_null(store_open(&fx->cfg, fx->path, NULL, &fx->stats, err, sizeof(err)));
    assert_non_null(strstr(err, "not a medsentry store"));
    err[0] = '\0';
    assert_null(store_open_readonly(fx->path, err, sizeof(err)));
    assert_non_null(strstr(err, "not a medsentry store"));
    /* an empty SQLite file is no store to read (the writer would make it one) */
    unlink(fx->path);
    db = db_open(fx->path);
    db_exec(db, "PRAGMA user_version = 0");
    sqlite3_close(db);
    assert_null(store_open_readonly(fx->path, err, sizeof(err)));
}

/* ---- queue and batches ---- */

static void test_batch_commit(void **state)
{
    struct fixture *fx = *state;
    fx->cfg.batch_size = 3;
    fx->cfg.queue_size = 16;
    struct store *s = open_store(fx);
    sqlite3 *db = db_open(fx->path);
    store_tick(s, T0);
    for (int i = 0; i < 7; i++) {
        push_flow(s, i, T0);
        /* a transaction per full batch, none for the rest */
        assert_int_equal(fx->stats.sqlite_transactions, (uint64_t)(i + 1) / 3);
        assert_int_equal(db_int(db, "SELECT count(*) FROM flows"), (i + 1) / 3 * 3);
    }
    assert_int_equal(store_queued(s), 1);
    /* less than a second of packet time: nothing more written */
    store_tick(s, T0 + S / 2);
    assert_int_equal(store_queued(s), 1);
    /* a second later the rest goes */
    store_tick(s, T0 + 2 * S);
    assert_int_equal(store_queued(s), 0);
    assert_int_equal(fx->stats.sqlite_rows, 7);
    assert_int_equal(fx->stats.sqlite_transactions, 3);
    assert_int_equal(db_int(db, "SELECT count(*) FROM flows"), 7);
    char buf[128];
    assert_string_equal(db_text(db,
                                "SELECT src_ip || ':' || src_port || '>' || dest_ip || ':' || dest_port || ' ' || proto"
                                " || ' ' || app_proto || ' ' || pkts_toserver || '/' || bytes_toclient || ' ' || reason"
                                " FROM flows WHERE flow_id = 1006",
                                buf, sizeof(buf)),
                        "10.0.0.1:40006>10.0.0.2:104 TCP dicom 3/200 timeout");
    store_close(s);
    assert_int_equal(fx->stats.sqlite_dropped, 0);
    assert_int_equal(fx->stats.sqlite_errors, 0);
    sqlite3_close(db);
}

/* A database locked by someone else: rows wait in the queue; past its size they are dropped and counted; once the
 * lock is gone the queue drains. */
static void test_queue_full_drops(void **state)
{
    struct fixture *fx = *state;
    fx->cfg.batch_size = 8;
    fx->cfg.queue_size = 16;
    struct store *s = open_store(fx);
    store_tick(s, T0);
    sqlite3 *locker = db_open(fx->path);
    db_exec(locker, "BEGIN IMMEDIATE");
    for (int i = 0; i < 20; i++)
        push_flow(s, i, T0);
    assert_int_equal(store_queued(s), 16);
    assert_int_equal(fx->stats.sqlite_dropped, 4);
    assert_int_equal(fx->stats.sqlite_rows, 0);
    assert_true(fx->stats.sqlite_errors >= 1);
    db_exec(locker, "COMMIT");
    store_tick(s, T0 + 2 * S);
    assert_int_equal(store_queued(s), 0);
    assert_int_equal(fx->stats.sqlite_rows, 16);
    assert_int_equal(fx->stats.sqlite_transactions, 2);
    assert_int_equal(db_int(locker, "SELECT count(*) FROM flows"), 16);
    /* the first 16 were kept, in order */
    assert_int_equal(db_int(locker, "SELECT max(flow_id) FROM flows"), 1015);
    store_close(s);
    sqlite3_close(locker);
}

/* An alert row: the header columns as eve.json writes them, and its evidence object. */
static void test_alert_row(void **state)
{
    struct fixture *fx = *state;
    struct store *s = open_store(fx);
    struct alert_event a;
    memset(&a, 0, sizeof(a));
    a.sig = detect_sig_find(SID_ADMIN_SHARE_EXE);
    assert_non_null(a.sig);
    a.severity = 1;
    ip4(&a.src, 10, 0, 0, 5);
    ip4(&a.dst, 10, 0, 0, 9);
    a.src_port = 49152;
    a.dst_port = 445;
    a.proto = 6;
    a.app_proto = "smb";
    a.flow_id = 77;
    snprintf(a.share, sizeof(a.share), "ADMIN$");
    snprintf(a.filename, sizeof(a.filename), "svcupdate.exe");
    struct event ev = {.type = EVENT_ALERT, .ts_us = T0 + 5 * S, .dir = EVENT_DIR_NONE, .body = &a};
    store_on_event(s, &ev);
    /* a second one without a single destination */
    a.dst.family = 0;
    a.dst_port = 0;
    a.flow_id = 0;
    a.n_hosts = 2;
    ip4(&a.hosts[0], 10, 0, 0, 9);
    ip4(&a.hosts[1], 10, 0, 0, 10);
    ev.ts_us = T0 + 6 * S;
    store_on_event(s, &ev);
    store_flush(s);
    sqlite3 *db = db_open(fx->path);
    char buf[512], want[512];
    assert_string_equal(db_text(db,
                                "SELECT signature_id || ' ' || severity || ' ' || src_ip || ':' || src_port || ' ' ||"
                                " dest_ip || ':' || dest_port || ' ' || proto || ' ' || app_proto || ' ' || flow_id ||"
                                " ' ' || ts FROM alerts ORDER BY ts LIMIT 1",
                                buf, sizeof(buf)),
                        "9300050 1 10.0.0.5:49152 10.0.0.9:445 TCP smb 77 1795965987000000");
    /* the evidence is eve.json's evidence object */
    struct jw w;
    jw_init(&w);
    eve_alert_evidence(&w, NULL, &a);
    snprintf(want, sizeof(want), "%.*s", (int)w.len, w.buf);
    jw_free(&w);
    assert_string_equal(db_text(db, "SELECT evidence FROM alerts ORDER BY ts DESC LIMIT 1", buf, sizeof(buf)), want);
    assert_int_equal(db_int(db, "SELECT count(*) FROM alerts WHERE dest_ip IS NULL AND dest_port IS NULL AND flow_id"
                                " IS NULL AND json_array_length(evidence, '$.hosts') = 2"),
                     1);
    store_close(s);
    sqlite3_close(db);
}

/* ---- assets across runs ---- */

struct fake_asset {
    struct asset a;
    struct asset_dicom d;
    struct asset_smb m;
    char ae[1][ASSET_AE_LEN];
    char host[1][ASSET_NAME_LEN];
};

static void fake_asset(struct fake_asset *fa, uint8_t last_octet, uint64_t first, uint64_t last)
{
    memset(fa, 0, sizeof(*fa));
    ip4(&fa->a.ip, 10, 0, 0, last_octet);
    fa->a.first_us = first;
    fa->a.last_us = last;
}

static void push_asset(struct store *s, const struct asset *a, const char *change, uint64_t ts)
{
    struct asset_event ae = {.asset = a, .change = change};
    struct event ev = {.type = EVENT_ASSET, .ts_us = ts, .dir = EVENT_DIR_NONE, .body = &ae};
    store_on_event(s, &ev);
}

static void test_assets_upsert_two_runs(void **state)
{
    struct fixture *fx = *state;
    /* run 1: 10.0.0.7 is a DICOM SCU calling as CT1, seen from T0+100 to T0+200; 10.0.0.8 seen at T0+10 */
    struct fake_asset x, y;
    fake_asset(&x, 7, T0 + 100 * S, T0 + 200 * S);
    x.a.dicom = &x.d;
    x.d.scu = true;
    snprintf(x.ae[0], sizeof(x.ae[0]), "CT1");
    x.d.ae_calling = (struct asset_list){.items = x.ae, .n = 1, .cap = 1, .max = ASSET_MAX_AE, .width = ASSET_AE_LEN};
    fake_asset(&y, 8, T0 + 10 * S, T0 + 10 * S);
    struct store *s = open_store(fx);
    push_asset(s, &x.a, "new", T0 + 100 * S);
    push_asset(s, &y.a, "new", T0 + 10 * S);
    store_close(s);

    /* run 2 (an older capture): 10.0.0.7 is now seen as an SMB server named PACS01, from T0+50 to T0+150; 10.0.0.8
     * again, later */
    struct fake_asset x2, y2;
    fake_asset(&x2, 7, T0 + 50 * S, T0 + 150 * S);
    x2.a.smb = &x2.m;
    x2.m.seen = x2.m.server = true;
    snprintf(x2.m.os, sizeof(x2.m.os), "Windows 7");
    x2.m.os_source = ASSET_OS_NTLMSSP;
    snprintf(x2.host[0], sizeof(x2.host[0]), "PACS01");
    x2.m.hostnames =
        (struct asset_list){.items = x2.host, .n = 1, .cap = 1, .max = ASSET_MAX_NAMES, .width = ASSET_NAME_LEN};
    fake_asset(&y2, 8, T0 + 300 * S, T0 + 400 * S);
    s = open_store(fx);
    push_asset(s, &x2.a, "new", T0 + 50 * S);
    push_asset(s, &y2.a, "new", T0 + 300 * S);
    store_close(s);

    sqlite3 *db = db_open(fx->path);
    char buf[1024];
    assert_int_equal(db_int(db, "SELECT count(*) FROM runs WHERE end_wall IS NOT NULL"), 2);
    assert_int_equal(db_int(db, "SELECT count(*) FROM assets"), 2);
    assert_int_equal(db_int(db, "SELECT count(*) FROM asset_history"), 4);
    /* the earliest first_seen (run 2's), the latest last_seen (run 1's), the union of what each run saw */
    assert_string_equal(
        db_text(
            db,
            "SELECT ((first_seen - 1795965982000000) / 1000000) || ' ' || ((last_seen - 1795965982000000) / 1000000) ||"
            " ' ' || first_run || ' ' || last_run || ' ' || roles || ' ' || ae_titles || ' ' || os || ' ' ||"
            " hostnames FROM assets WHERE ip = '10.0.0.7'",
            buf, sizeof(buf)),
        "50 200 2 2 dicom-scu,smb-server CT1 Windows 7 PACS01");
    /* the JSON record carries the same two times */
    assert_string_equal(db_text(db,
                                "SELECT json_extract(json, '$.first_seen') || ' ' || json_extract(json,"
                                " '$.last_seen') FROM assets WHERE ip = '10.0.0.7'",
                                buf, sizeof(buf)),
                        "2026-11-29T15:27:12.000000+0000 2026-11-29T15:29:42.000000+0000");
    /* 10.0.0.8: first seen in run 1, which it keeps */
    assert_string_equal(db_text(db,
                                "SELECT ((first_seen - 1795965982000000) / 1000000) || ' ' || ((last_seen -"
                                " 1795965982000000) / 1000000) || ' ' || first_run || ' ' || last_run FROM assets WHERE"
                                " ip = '10.0.0.8'",
                                buf, sizeof(buf)),
                        "10 400 1 2");
    sqlite3_close(db);
}

/* ---- --since ---- */

static void test_parse_since(void **state)
{
    (void)state;
    uint64_t now = T0, t;
    assert_int_equal(query_parse_since("7d", now, &t), 0);
    assert_int_equal(t, now - 7 * 86400 * S);
    assert_int_equal(query_parse_since("24h", now, &t), 0);
    assert_int_equal(t, now - 24 * 3600 * S);
    assert_int_equal(query_parse_since("30m", now, &t), 0);
    assert_int_equal(t, now - 1800 * S);
    assert_int_equal(query_parse_since("2w", now, &t), 0);
    assert_int_equal(t, now - 14 * 86400 * S);
    assert_int_equal(query_parse_since("100000d", now, &t), 0); /* before 1970: everything */
    assert_int_equal(t, 0);
    assert_int_equal(query_parse_since("2026-11-29", now, &t), 0);
    assert_int_equal(t, 1795910400 * S);
    assert_int_equal(query_parse_since("2026-11-29T15:26:22", now, &t), 0);
    assert_int_equal(t, T0);
    assert_int_equal(query_parse_since("2026-11-29 15:26:22Z", now, &t), 0);
    assert_int_equal(t, T0);
    assert_int_equal(query_parse_since("2026-11-29T16:26:22+01:00", now, &t), 0);
    assert_int_equal(t, T0);
    assert_int_equal(query_parse_since("2026-11-29T10:26:22.5-0500", now, &t), 0);
    assert_int_equal(t, T0 + S / 2);
    assert_int_equal(query_parse_since("2026-11-29T15:26", now, &t), 0);
    assert_int_equal(t, T0 - 22 * S);
    static const char *const bad[] = {"",
                                      "7",
                                      "d",
                                      "-7d",
                                      "7x",
                                      "7dd",
                                      "2026-13-01",
                                      "2026-11-29T",
                                      "2026-11-29T25:00",
                                      "2026/11/29",
                                      "1969-12-31",
                                      "99999999999999999999d",
                                      "2026-11-29T15:26:22+"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (query_parse_since(bad[i], now, &t) == 0)
            fail_msg("--since '%s' was accepted", bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v0, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_version_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_store_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_full_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_assets_upsert_two_runs, setup, teardown),
        cmocka_unit_test(test_parse_since),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
