/*
 * sqlite_schema.c - the store's tables, the migration table that creates and
 * upgrades them, and the checks that tell a medsentry store from any other
 * file (see sqlite.h).
 *
 * A store is ours when PRAGMA application_id is STORE_APPLICATION_ID; its
 * PRAGMA user_version is the last migration step applied.  A later version
 * adds a step to store_migrations[] (never edits a shipped one), so an older
 * store is upgraded on its next write and a newer one is refused by name.
 */
#include "output/sqlite.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Version 1.  Times are microseconds since the epoch (UTC); addresses are text as in eve.json, so that
 * `--host 10.0.0.5` and a reader of the file with the sqlite3 shell compare the same strings.  The indices are
 * the ones the query commands use: alerts by time, severity and either address; assets by address (the key);
 * asset history by address and time; flows by start time.  Flows have no index on flow_id: flow ids are hashes, so
 * every insert would land at a random place in that index, which cost a third of the store's CPU time on a
 * capture of 200,000 flows (docs/DESIGN.md); a reader that joins alerts to flows can create it, or a later step
 * of the migration table. */
static const char schema_v1[] =
    "CREATE TABLE runs ("
    " id INTEGER PRIMARY KEY,"
    " sensor TEXT NOT NULL," /* the host name of the sensor */
    " source TEXT,"          /* capture path or interface */
    " live INTEGER NOT NULL DEFAULT 0,"
    " version TEXT NOT NULL,"       /* medsentry version */
    " start_wall INTEGER NOT NULL," /* wall clock */
    " end_wall INTEGER,"            /* NULL: the run did not finish */
    " first_ts INTEGER,"            /* packet time of the first and last packet */
    " last_ts INTEGER,"
    " stats TEXT" /* the final stats object, as in eve.json */
    ");"
    "CREATE TABLE alerts ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs(id),"
    " ts INTEGER NOT NULL,"
    " signature_id INTEGER NOT NULL,"
    " signature TEXT NOT NULL,"
    " category TEXT NOT NULL,"
    " severity INTEGER NOT NULL," /* 1 high ... 3 low */
    " src_ip TEXT NOT NULL,"
    " src_port INTEGER,"
    " dest_ip TEXT," /* NULL: no single destination (evidence.hosts) */
    " dest_port INTEGER,"
    " proto TEXT,"
    " app_proto TEXT,"
    " flow_id INTEGER,"
    " evidence TEXT NOT NULL" /* the alert's evidence object (JSON), as in eve.json */
    ");"
    "CREATE INDEX alerts_ts ON alerts(ts);"
    "CREATE INDEX alerts_severity ON alerts(severity, ts);"
    "CREATE INDEX alerts_src ON alerts(src_ip, ts);"
    "CREATE INDEX alerts_dest ON alerts(dest_ip, ts);"
    "CREATE TABLE assets ("
    " ip TEXT PRIMARY KEY,"
    " first_seen INTEGER NOT NULL," /* the earliest of every run */
    " last_seen INTEGER NOT NULL,"
    " first_run INTEGER NOT NULL REFERENCES runs(id),"
    " last_run INTEGER NOT NULL REFERENCES runs(id),"
    " roles TEXT NOT NULL,"     /* comma-separated: dicom-scu, dicom-scp, smb-client, smb-server */
    " ae_titles TEXT NOT NULL," /* comma-separated, calling then called */
    " software TEXT NOT NULL,"
    " modalities TEXT NOT NULL,"
    " os TEXT NOT NULL,"
    " hostnames TEXT NOT NULL,"
    " json TEXT NOT NULL" /* the record as in assets.json (the last run's, with the earliest first_seen) */
    ");"
    "CREATE TABLE asset_history ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs(id),"
    " ts INTEGER NOT NULL,"
    " ip TEXT NOT NULL,"
    " change TEXT NOT NULL," /* new, changed */
    " json TEXT NOT NULL"    /* the record after the change */
    ");"
    "CREATE INDEX asset_history_ip ON asset_history(ip, ts);"
    "CREATE TABLE flows ("
    " id INTEGER PRIMARY KEY,"
    " run_id INTEGER NOT NULL REFERENCES runs(id),"
    " flow_id INTEGER NOT NULL,"
    " start_ts INTEGER NOT NULL,"
    " end_ts INTEGER NOT NULL,"
    " src_ip TEXT NOT NULL,"
    " src_port INTEGER,"
    " dest_ip TEXT NOT NULL,"
    " dest_port INTEGER,"
    " proto TEXT NOT NULL,"
    " app_proto TEXT,"
    " pkts_toserver INTEGER NOT NULL,"
    " pkts_toclient INTEGER NOT NULL,"
    " bytes_toserver INTEGER NOT NULL,"
    " bytes_toclient INTEGER NOT NULL,"
    " reason TEXT NOT NULL" /* timeout, closed, forced, shutdown */
    ");"

    "CREATE INDEX flows_start ON flows(start_ts);";

/* Version 2: the stream entries `medsentry collect` has stored (src/cli/collect.c), so that an entry delivered again
 * (a collector that died between its commit and its XACK, or a claim by another collector) is stored once.  Keyed
 * by the stream's name and the entry id, which are unique together on one Redis server. */
static const char schema_v2[] = "CREATE TABLE collected ("
                                " stream TEXT NOT NULL," /* the Redis stream's key */
                                " entry TEXT NOT NULL,"  /* the entry id, as Redis wrote it (ms-seq) */
                                " PRIMARY KEY(stream, entry)"
                                ") WITHOUT ROWID;";

const struct store_migration store_migrations[] = {
    {1, schema_v1},
    {2, schema_v2},
};
const size_t store_n_migrations = sizeof(store_migrations) / sizeof(store_migrations[0]);

/* One integer from a single-value statement ("PRAGMA user_version"); -1 on error. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Whose is this database, and at which version?  0 with *version set (0 for a new, empty one), or -1 with err. */
static int store_identify_in(sqlite3 *db, const char *path, int last, int *version, char *err, size_t errlen)
{
    int64_t app = query_int(db, "PRAGMA application_id");
    int64_t ver = query_int(db, "PRAGMA user_version");
    if (app < 0 || ver < 0) {
        if ((sqlite3_errcode(db) & 0xff) == SQLITE_NOTADB)
            snprintf(err, errlen, "%s: not a medsentry store (not an SQLite database)", path);
        else
            snprintf(err, errlen, "%s: cannot read the store: %s", path, sqlite3_errmsg(db));
        return -1;
    }
    if (app == 0) {
        int64_t tables = query_int(db, "SELECT count(*) FROM sqlite_master");
        if (tables != 0) {
            snprintf(err, errlen, "%s: not a medsentry store (an SQLite database with other tables)", path);
            return -1;
        }
        *version = 0;
        return 0;
    }
    if (app != STORE_APPLICATION_ID) {
        snprintf(err, errlen, "%s: not a medsentry store (SQLite application id 0x%08llx)", path,
                 (unsigned long long)(uint32_t)app);
        return -1;
    }
    if (ver > last) {
        snprintf(err, errlen, "%s: written by a newer medsentry (store schema version %lld; this one knows up to %d)",
                 path, (long long)ver, last);
        return -1;
    }
    *version = (int)ver;
    return 0;
}

/* store_identify_in, its reads in one transaction: a store being created by another process at that moment (two
 * collectors or sensors starting on a new file) is seen before or after, never as tables without our id. */
static int store_identify(sqlite3 *db, const char *path, int last, int *version, char *err, size_t errlen)
{
    if (!sqlite3_get_autocommit(db))
        return store_identify_in(db, path, last, version, err, errlen);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    int rc = store_identify_in(db, path, last, version, err, errlen);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int store_check(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int version;
    return store_identify(db, path, STORE_SCHEMA_VERSION, &version, err, errlen) < 0 ? -1 : version;
}

int store_migrate(sqlite3 *db, const char *path, const struct store_migration *steps, size_t n, char *err,
                  size_t errlen)
{
    int last = n ? steps[n - 1].version : 0;
    char *msg = NULL;
    /* IMMEDIATE: the version read and the steps applied are one write transaction, so two sensors starting on one
     * directory cannot both apply a step. */
    int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_NOTADB)
            snprintf(err, errlen, "%s: not a medsentry store (not an SQLite database)", path);
        else
            snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    int version;
    if (store_identify(db, path, last, &version, err, errlen) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (steps[i].version <= version)
            continue;
        if (sqlite3_exec(db, steps[i].sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: upgrading the store to schema version %d failed: %s", path, steps[i].version,
                     msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            goto fail;
        }
    }
    if (version < last) {
        char sql[96];
        snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; PRAGMA user_version = %d", STORE_APPLICATION_ID, last);
        if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            goto fail;
        }
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        goto fail;
    }
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

sqlite3 *store_open_readonly(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open the store: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 2000);
    int version;
    if (store_identify(db, path, STORE_SCHEMA_VERSION, &version, err, errlen) < 0) {
        sqlite3_close(db);
        return NULL;
    }
    if (version == 0) {
        snprintf(err, errlen, "%s: not a medsentry store (an empty SQLite database)", path);
        sqlite3_close(db);
        return NULL;
    }
    if (version < STORE_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "%s: store schema version %d is older than this medsentry's (%d); a run into its "
                 "directory upgrades it",
                 path, version, STORE_SCHEMA_VERSION);
        sqlite3_close(db);
        return NULL;
    }
    return db;
}
