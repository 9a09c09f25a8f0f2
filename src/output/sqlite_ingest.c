/*
 * sqlite_ingest.c - store rows from EVE JSON lines (see sqlite_ingest.h).
 *
 * The JSON is read by SQLite itself (json_extract, json_each), so an event is
 * parsed by one well-tested parser and the columns come out exactly as the
 * sensor's writer binds them: the same upsert for assets (sqlite.c), the same
 * comma-separated lists (ms_list_union), times converted by ms_eve_time().
 * A line that is not JSON, or lacks a member a NOT NULL column needs, is
 * INGEST_INVALID: its statement fails alone and the batch goes on.
 */
#include "output/sqlite_ingest.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "output/sqlite.h"

/* Sensors whose run is open, most recent first to be reused; more sensors than this only cost a runs lookup. */
#define INGEST_HOSTS 64

struct ingest_host {
    char name[128];
    int64_t run_id;
    int64_t first_ts, last_ts; /* packet time seen in this session; 0 = none */
    bool used;
};

struct store_ingest {
    sqlite3 *db;
    char path[1024];
    char source[512];
    char version[64];
    char errmsg[1400];
    sqlite3_stmt *valid, *probe, *mark, *alert, *flow, *asset_cols, *asset, *history, *run_new, *run_range, *run_end;
    struct ingest_host hosts[INGEST_HOSTS];
    unsigned next_slot; /* round robin when every slot is used */
};

int64_t store_eve_time_us(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS[.ffffff](+|-)HHMM */
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return -1;
    const char *p = s + 19;
    int64_t us = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 6)
                us = us * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        for (; digits < 6; digits++)
            us *= 10;
    }
    int off = 0;
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (strlen(p) != 5 || sscanf(p + 1, "%2d%2d", &oh, &om) != 2 || oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
    } else if (*p == 'Z' && !p[1]) {
        off = 0;
    } else if (*p) {
        return -1;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || (int64_t)t - off < 0)
        return -1;
    return ((int64_t)t - off) * 1000000 + us;
}

/* SQL ms_eve_time(text): store_eve_time_us, NULL when malformed. */
static void sql_eve_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    int64_t v = store_eve_time_us((const char *)sqlite3_value_text(argv[0]));
    if (v < 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, v);
}

static uint64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* ?1 is the event's JSON throughout. */
static const char sql_valid[] = "SELECT json_valid(?1)";
static const char sql_probe[] = "SELECT json_extract(?1, '$.event_type'), json_extract(?1, '$.host'),"
                                " ms_eve_time(json_extract(?1, '$.timestamp')), json_extract(?1, '$.stats.final')";
static const char sql_mark[] = "INSERT OR IGNORE INTO collected(stream, entry) VALUES(?1, ?2)";
static const char sql_alert[] =
    "INSERT INTO alerts(run_id, ts, signature_id, signature, category, severity, src_ip, src_port, dest_ip,"
    " dest_port, proto, app_proto, flow_id, evidence) SELECT ?2, ms_eve_time(json_extract(?1, '$.timestamp')),"
    " json_extract(?1, '$.alert.signature_id'), json_extract(?1, '$.alert.signature'),"
    " json_extract(?1, '$.alert.category'), json_extract(?1, '$.alert.severity'), json_extract(?1, '$.src_ip'),"
    " json_extract(?1, '$.src_port'), json_extract(?1, '$.dest_ip'), json_extract(?1, '$.dest_port'),"
    " json_extract(?1, '$.proto'), json_extract(?1, '$.app_proto'), json_extract(?1, '$.flow_id'),"
    " json_extract(?1, '$.evidence')";
static const char sql_flow[] =
    "INSERT INTO flows(run_id, flow_id, start_ts, end_ts, src_ip, src_port, dest_ip, dest_port, proto, app_proto,"
    " pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, reason) SELECT ?2, json_extract(?1, '$.flow_id'),"
    " ms_eve_time(json_extract(?1, '$.flow.start')), ms_eve_time(json_extract(?1, '$.flow.end')),"
    " json_extract(?1, '$.src_ip'), json_extract(?1, '$.src_port'), json_extract(?1, '$.dest_ip'),"
    " json_extract(?1, '$.dest_port'), json_extract(?1, '$.proto'), json_extract(?1, '$.app_proto'),"
    " json_extract(?1, '$.flow.pkts_toserver'), json_extract(?1, '$.flow.pkts_toclient'),"
    " json_extract(?1, '$.flow.bytes_toserver'), json_extract(?1, '$.flow.bytes_toclient'),"
    " json_extract(?1, '$.flow.reason')";
/* The asset columns as the sensor's writer derives them from the inventory record (sqlite.c, queue_asset): roles
 * from dicom_role and smb.role, AE titles calling then called, each list without repeats. */
static const char sql_asset_cols[] =
    "SELECT json_extract(?1, '$.asset.ip'), ms_eve_time(json_extract(?1, '$.asset.first_seen')),"
    " ms_eve_time(json_extract(?1, '$.asset.last_seen')),"
    " ms_list_union(CASE json_extract(?1, '$.asset.dicom_role') WHEN 'SCU' THEN 'dicom-scu'"
    "   WHEN 'SCP' THEN 'dicom-scp' WHEN 'both' THEN 'dicom-scu,dicom-scp' ELSE '' END,"
    "  CASE json_extract(?1, '$.asset.smb.role') WHEN 'client' THEN 'smb-client' WHEN 'server' THEN 'smb-server'"
    "   WHEN 'both' THEN 'smb-client,smb-server' ELSE '' END),"
    " ms_list_union((SELECT group_concat(value) FROM json_each(?1, '$.asset.ae_titles_calling')),"
    "  (SELECT group_concat(value) FROM json_each(?1, '$.asset.ae_titles_called'))),"
    " coalesce(json_extract(?1, '$.asset.software'), ''),"
    " ms_list_union((SELECT group_concat(value) FROM json_each(?1, '$.asset.modalities')), ''),"
    " coalesce(json_extract(?1, '$.asset.os'), ''),"
    " ms_list_union((SELECT group_concat(value) FROM json_each(?1, '$.asset.hostnames')), ''),"
    " json_remove(json_extract(?1, '$.asset'), '$.change'), coalesce(json_extract(?1, '$.asset.change'), 'changed')";
static const char sql_run_new[] = "INSERT INTO runs(sensor, source, version, start_wall) VALUES(?1, ?2, ?3, ?4)";
static const char sql_run_range[] = "UPDATE runs SET first_ts = min(coalesce(first_ts, ?2), ?2),"
                                    " last_ts = max(coalesce(last_ts, ?3), ?3) WHERE id = ?1";
static const char sql_run_end[] = "UPDATE runs SET end_wall = ?2, stats = json_extract(?3, '$.stats') WHERE id = ?1";

static void set_err(struct store_ingest *ig, const char *what)
{
    snprintf(ig->errmsg, sizeof(ig->errmsg), "%s: %s: %s", ig->path, what, sqlite3_errmsg(ig->db));
}

const char *store_ingest_errmsg(struct store_ingest *ig)
{
    return ig->errmsg;
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static bool is_constraint(int rc)
{
    return (rc & 0xff) == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_MISMATCH;
}

static int write_range(struct store_ingest *ig, struct ingest_host *h)
{
    if (!h->first_ts)
        return SQLITE_OK;
    sqlite3_bind_int64(ig->run_range, 1, h->run_id);
    sqlite3_bind_int64(ig->run_range, 2, h->first_ts);
    sqlite3_bind_int64(ig->run_range, 3, h->last_ts);
    h->first_ts = h->last_ts = 0;
    return step_reset(ig->run_range);
}

/* The open run of sensor `name`, started now if it has none.  NULL on a SQLite error. */
static struct ingest_host *host_run(struct store_ingest *ig, const char *name)
{
    for (unsigned i = 0; i < INGEST_HOSTS; i++)
        if (ig->hosts[i].used && strcmp(ig->hosts[i].name, name) == 0)
            return &ig->hosts[i];
    struct ingest_host *h = NULL;
    for (unsigned i = 0; i < INGEST_HOSTS && !h; i++)
        if (!ig->hosts[i].used)
            h = &ig->hosts[i];
    if (!h) {
        /* Every slot holds an open run: this sensor's run is recorded, and its next event opens a new run. */
        h = &ig->hosts[ig->next_slot++ % INGEST_HOSTS];
        if (write_range(ig, h) != SQLITE_OK)
            return NULL;
    }
    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", name);
    sqlite3_stmt *st = ig->run_new;
    sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ig->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ig->version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)wall_us());
    if (step_reset(st) != SQLITE_OK)
        return NULL;
    h->run_id = sqlite3_last_insert_rowid(ig->db);
    h->used = true;
    return h;
}

static enum store_ingest_rc insert_asset(struct store_ingest *ig, const char *json, size_t len, int64_t run_id,
                                         int64_t ts)
{
    sqlite3_stmt *c = ig->asset_cols;
    sqlite3_bind_text(c, 1, json, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(c);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(c);
        sqlite3_clear_bindings(c);
        return INGEST_FAILED;
    }
    enum store_ingest_rc out = INGEST_STORED;
    /* The columns stay valid until the statement is reset: bind them as they are. */
    sqlite3_stmt *st = ig->asset;
    for (int i = 0; i < 10; i++) {
        if (i < 3)
            sqlite3_bind_value(st, 1 + i, sqlite3_column_value(c, i));
        else
            sqlite3_bind_value(st, 2 + i, sqlite3_column_value(c, i)); /* ?5.. after ?4 the run */
    }
    sqlite3_bind_int64(st, 4, run_id);
    rc = step_reset(st);
    if (rc == SQLITE_OK) {
        st = ig->history;
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, ts);
        sqlite3_bind_value(st, 3, sqlite3_column_value(c, 0));
        sqlite3_bind_value(st, 4, sqlite3_column_value(c, 10));
        sqlite3_bind_value(st, 5, sqlite3_column_value(c, 9));
        rc = step_reset(st);
    }
    if (rc != SQLITE_OK)
        out = is_constraint(rc) ? INGEST_INVALID : INGEST_FAILED;
    sqlite3_reset(c);
    sqlite3_clear_bindings(c);
    return out;
}

enum store_ingest_rc store_ingest_event(struct store_ingest *ig, const char *stream, const char *entry,
                                        const char *json, size_t len)
{
    if (len > (size_t)1 << 30)
        return INGEST_INVALID;
    sqlite3_bind_text(ig->valid, 1, json, (int)len, SQLITE_STATIC);
    bool valid = sqlite3_step(ig->valid) == SQLITE_ROW && sqlite3_column_int(ig->valid, 0);
    sqlite3_reset(ig->valid);
    sqlite3_clear_bindings(ig->valid);
    if (!valid)
        return INGEST_INVALID;

    sqlite3_stmt *p = ig->probe;
    sqlite3_bind_text(p, 1, json, (int)len, SQLITE_STATIC);
    if (sqlite3_step(p) != SQLITE_ROW) {
        set_err(ig, "cannot read an event");
        sqlite3_reset(p);
        return INGEST_FAILED;
    }
    char type[16] = "", host[128] = "unknown";
    const char *t = (const char *)sqlite3_column_text(p, 0);
    const char *hn = (const char *)sqlite3_column_text(p, 1);
    if (t)
        snprintf(type, sizeof(type), "%s", t);
    if (hn && hn[0])
        snprintf(host, sizeof(host), "%s", hn);
    bool has_ts = sqlite3_column_type(p, 2) != SQLITE_NULL;
    int64_t ts = sqlite3_column_int64(p, 2);
    bool final = sqlite3_column_int(p, 3) != 0;
    sqlite3_reset(p);
    sqlite3_clear_bindings(p);

    sqlite3_stmt *ins;
    if (strcmp(type, "alert") == 0)
        ins = ig->alert;
    else if (strcmp(type, "flow") == 0)
        ins = ig->flow;
    else if (strcmp(type, "asset") == 0)
        ins = ig->asset; /* through insert_asset */
    else if (strcmp(type, "stats") == 0 && final)
        ins = ig->run_end;
    else
        return INGEST_IGNORED;
    if (!has_ts)
        return INGEST_INVALID;

    sqlite3_bind_text(ig->mark, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(ig->mark, 2, entry, -1, SQLITE_STATIC);
    if (step_reset(ig->mark) != SQLITE_OK) {
        set_err(ig, "cannot record a stream entry");
        return INGEST_FAILED;
    }
    if (sqlite3_changes(ig->db) == 0)
        return INGEST_DUPLICATE;

    struct ingest_host *h = host_run(ig, host);
    if (!h) {
        set_err(ig, "cannot record a sensor's run");
        return INGEST_FAILED;
    }
    if (!h->first_ts || ts < h->first_ts)
        h->first_ts = ts;
    if (ts > h->last_ts)
        h->last_ts = ts;

    int rc;
    if (ins == ig->asset) {
        enum store_ingest_rc arc = insert_asset(ig, json, len, h->run_id, ts);
        if (arc == INGEST_FAILED)
            set_err(ig, "cannot store an asset");
        return arc;
    }
    if (ins == ig->run_end) {
        rc = write_range(ig, h);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(ins, 1, h->run_id);
            sqlite3_bind_int64(ins, 2, (sqlite3_int64)wall_us());
            sqlite3_bind_text(ins, 3, json, (int)len, SQLITE_STATIC);
            rc = step_reset(ins);
        }
        h->used = false; /* the sensor's next event starts a new run */
    } else {
        sqlite3_bind_text(ins, 1, json, (int)len, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, h->run_id);
        rc = step_reset(ins);
    }
    if (rc == SQLITE_OK)
        return INGEST_STORED;
    if (is_constraint(rc))
        return INGEST_INVALID;
    set_err(ig, "cannot store an event");
    return INGEST_FAILED;
}

int store_ingest_begin(struct store_ingest *ig)
{
    if (sqlite3_exec(ig->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(ig, "cannot start a transaction");
        return -1;
    }
    return 0;
}

int store_ingest_commit(struct store_ingest *ig)
{
    for (unsigned i = 0; i < INGEST_HOSTS; i++) {
        if (ig->hosts[i].used && write_range(ig, &ig->hosts[i]) != SQLITE_OK) {
            set_err(ig, "cannot record a sensor's run");
            store_ingest_rollback(ig);
            return -1;
        }
    }
    if (sqlite3_exec(ig->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(ig, "cannot commit");
        store_ingest_rollback(ig);
        return -1;
    }
    return 0;
}

void store_ingest_rollback(struct store_ingest *ig)
{
    sqlite3_exec(ig->db, "ROLLBACK", NULL, NULL, NULL);
    /* The runs opened in the batch are gone with it. */
    memset(ig->hosts, 0, sizeof(ig->hosts));
}

struct store_ingest *store_ingest_open(const char *path, const char *source, const char *version, char *err,
                                       size_t errlen)
{
    struct store_ingest *ig = calloc(1, sizeof(*ig));
    if (!ig) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    snprintf(ig->path, sizeof(ig->path), "%s", path);
    snprintf(ig->source, sizeof(ig->source), "%s", source);
    snprintf(ig->version, sizeof(ig->version), "%s", version);
    if (store_db_open(path, &ig->db, err, errlen) < 0) {
        free(ig);
        return NULL;
    }
    /* Not on a packet path: several collectors may share the file, so wait for each other. */
    sqlite3_busy_timeout(ig->db, 10000);
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        {&ig->valid, sql_valid},
        {&ig->probe, sql_probe},
        {&ig->mark, sql_mark},
        {&ig->alert, sql_alert},
        {&ig->flow, sql_flow},
        {&ig->asset_cols, sql_asset_cols},
        {&ig->asset, store_sql_asset_upsert},
        {&ig->history, store_sql_asset_history},
        {&ig->run_new, sql_run_new},
        {&ig->run_range, sql_run_range},
        {&ig->run_end, sql_run_end},
    };
    if (sqlite3_create_function(ig->db, "ms_eve_time", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_eve_time, NULL,
                                NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(ig->db));
        store_ingest_close(ig);
        return NULL;
    }
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
        if (sqlite3_prepare_v3(ig->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, stmts[i].st, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(ig->db));
            store_ingest_close(ig);
            return NULL;
        }
    }
    return ig;
}

void store_ingest_close(struct store_ingest *ig)
{
    if (!ig)
        return;
    sqlite3_stmt *all[] = {ig->valid, ig->probe,   ig->mark,    ig->alert,     ig->flow,   ig->asset_cols,
                           ig->asset, ig->history, ig->run_new, ig->run_range, ig->run_end};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(ig->db);
    free(ig);
}
