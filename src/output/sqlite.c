/*
 * sqlite.c - the store's subscriber, its bounded queue and its writer (see
 * sqlite.h for the why; sqlite_schema.c for the tables).
 *
 * The subscriber turns an event into a `struct store_row` that owns all it
 * needs (addresses as text, the evidence or asset JSON in one allocation,
 * static names by pointer), so the event may vanish as soon as the call
 * returns.  The queue is a ring of rows; the writer takes rows from its old
 * end and binds them to prepared statements, one transaction per batch, and
 * releases them only once the transaction is committed.  The queue and the
 * writer share nothing but the rows, so the writer can later run on its own
 * thread behind a lock around the ring.
 */
#include "output/sqlite.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "app/app.h"
#include "assets/assets.h"
#include "core/addr.h"
#include "core/json.h"
#include "core/log.h"
#include "core/memcap.h"
#include "core/ofile.h"
#include "core/stats.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "output/eve.h"

static const struct config_key store_keys[] = {
    CONFIG_KEY_SECTION(
        "outputs.sqlite",
        "The embedded store that `medsentry alerts` and `medsentry assets` read: runs, alerts with their evidence,\n"
        "assets with their history, one row per flow. Each run adds to it. Rows wait in a queue and are written in\n"
        "transactions of batch-size rows (when a batch is full and once per second of packet time); when the queue "
        "is\nfull (the disk cannot keep up, another program holds the database) rows are dropped and counted in\n"
        "stats.sqlite.dropped. A SQLite error is said once and never stops the sensor."),
    CONFIG_KEY_BOOL(struct store_cfg, enabled, "outputs.sqlite.enabled", "yes", NULL),
    CONFIG_KEY_STR(struct store_cfg, filename, "outputs.sqlite.filename", "medsentry.db",
                   "relative to default-log-dir unless absolute"),
    CONFIG_KEY_U32(struct store_cfg, queue_size, "outputs.sqlite.queue-size", 16, 1u << 24, "16384",
                   "rows waiting for the writer"),
    CONFIG_KEY_U32(struct store_cfg, batch_size, "outputs.sqlite.batch-size", 1, 1u << 20, "4096",
                   "rows per transaction (at most queue-size)"),
    CONFIG_KEY_SIZE(struct store_cfg, queue_memcap, "outputs.sqlite.queue-memcap", 64 * CONFIG_KB, 64 * CONFIG_GB,
                    "64mb", "bytes of the queue: its ring of rows and the JSON they carry (stats.memcap.sqlite)"),
};

const struct config_module store_config_module = {
    .name = "sqlite",
    .keys = store_keys,
    .n = sizeof(store_keys) / sizeof(store_keys[0]),
    .struct_size = sizeof(struct store_cfg),
};

void store_cfg_defaults(struct store_cfg *c)
{
    config_module_set_defaults(&store_config_module, c);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Rows                                                                                                          */
/* ------------------------------------------------------------------------------------------------------------- */

enum store_row_kind { ROW_ALERT, ROW_ASSET, ROW_FLOW };

/* The asset columns kept beside its JSON, in the order of the upsert's parameters. */
enum { COL_ROLES, COL_AES, COL_SOFTWARE, COL_MODALITIES, COL_OS, COL_HOSTNAMES, ASSET_COLS };

struct store_row {
    enum store_row_kind kind;
    uint8_t proto;    /* IP protocol number; 0 = none */
    uint8_t severity; /* alert */
    uint16_t sport, dport;
    uint32_t sid;               /* alert */
    uint64_t ts_us;             /* alert and asset: event time; flow: start */
    uint64_t end_us;            /* flow: last packet; asset: last seen */
    uint64_t first_us;          /* asset: first seen */
    uint64_t flow_id;           /* 0 = none */
    uint64_t pkts[2], bytes[2]; /* flow, [0] to server */
    char src[IP_ADDR_STRLEN];   /* alert source, flow client, the asset's address */
    char dst[IP_ADDR_STRLEN];   /* "" = none */
    const char *s1, *s2, *s3;   /* static: signature, category, app_proto; flow: app_proto, reason; asset: change */
    char *text;                 /* owned: alert evidence JSON; asset JSON then its columns, each NUL-terminated */
    size_t text_size;           /* bytes allocated for text (charged to the queue's memcap) */
    uint32_t col[ASSET_COLS];   /* asset: offset of each column in text */
    bool history;               /* asset: also an asset_history row (an asset event, not the final record) */
};

/* ------------------------------------------------------------------------------------------------------------- */
/* The queue: a ring of rows, oldest at head                                                                     */
/* ------------------------------------------------------------------------------------------------------------- */

struct store_queue {
    struct store_row *ring;
    uint32_t cap, head, n;
    struct memcap mc; /* the ring and every row's text */
};

static int queue_init(struct store_queue *q, uint32_t cap, uint64_t memcap)
{
    memcap_init(&q->mc, "sqlite", memcap);
    q->ring = mc_calloc(&q->mc, (size_t)cap * sizeof(*q->ring));
    if (!q->ring)
        return -1;
    q->cap = cap;
    q->head = q->n = 0;
    return 0;
}

static struct store_row *queue_at(struct store_queue *q, uint32_t i)
{
    return &q->ring[(q->head + i) % q->cap];
}

/* The slot after the newest row, cleared, with text_size bytes of text allocated; NULL if the ring or the memcap
 * is full.  The row counts once queue_commit is called. */
static struct store_row *queue_reserve(struct store_queue *q, size_t text_size)
{
    if (q->n == q->cap)
        return NULL;
    struct store_row *r = queue_at(q, q->n);
    memset(r, 0, sizeof(*r));
    if (text_size) {
        r->text = mc_malloc(&q->mc, text_size);
        if (!r->text)
            return NULL;
        r->text_size = text_size;
    }
    return r;
}

static void queue_commit(struct store_queue *q)
{
    q->n++;
}

/* Release the n oldest rows. */
static void queue_pop(struct store_queue *q, uint32_t n)
{
    for (uint32_t i = 0; i < n && q->n; i++) {
        struct store_row *r = &q->ring[q->head];
        mc_free(&q->mc, r->text, r->text_size);
        r->text = NULL;
        r->text_size = 0;
        q->head = (q->head + 1) % q->cap;
        q->n--;
    }
}

static void queue_free(struct store_queue *q)
{
    queue_pop(q, q->n);
    mc_free(&q->mc, q->ring, (size_t)q->cap * sizeof(*q->ring));
    q->ring = NULL;
}

/* ------------------------------------------------------------------------------------------------------------- */
/* The writer: prepared statements, one transaction per batch                                                    */
/* ------------------------------------------------------------------------------------------------------------- */

struct store_writer {
    sqlite3 *db;
    char path[1024];
    sqlite3_stmt *ins_alert, *ins_flow, *upsert_asset, *ins_history, *end_run;
    int64_t run_id;
    bool reported; /* the first error was said on stderr */
    struct stats *stats;
};

enum writer_rc { WRITE_OK, WRITE_RETRY, WRITE_FAILED };

static const char sql_alert[] =
    "INSERT INTO alerts(run_id, ts, signature_id, signature, category, severity, src_ip, src_port, dest_ip,"
    " dest_port, proto, app_proto, flow_id, evidence) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
    " ?14)";
static const char sql_flow[] =
    "INSERT INTO flows(run_id, flow_id, start_ts, end_ts, src_ip, src_port, dest_ip, dest_port, proto, app_proto,"
    " pkts_toserver, pkts_toclient, bytes_toserver, bytes_toclient, reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
    " ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
/* A host seen again keeps its earliest first_seen (and the run it was first seen in) and its latest last_seen; its
 * list columns are the union of what every run saw (ms_list_union), its software and OS hint the newest known; its
 * JSON is the newest record with those two times.  In an UPDATE every expression reads the row as it was. */
const char store_sql_asset_upsert[] =
    "INSERT INTO assets(ip, first_seen, last_seen, first_run, last_run, roles, ae_titles, software, modalities, os,"
    " hostnames, json) VALUES(?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    " ON CONFLICT(ip) DO UPDATE SET"
    " json = json_set(excluded.json,"
    "   '$.first_seen', CASE WHEN assets.first_seen < excluded.first_seen"
    "     THEN json_extract(assets.json, '$.first_seen') ELSE json_extract(excluded.json, '$.first_seen') END,"
    "   '$.last_seen', CASE WHEN assets.last_seen > excluded.last_seen"
    "     THEN json_extract(assets.json, '$.last_seen') ELSE json_extract(excluded.json, '$.last_seen') END),"
    " first_run = CASE WHEN assets.first_seen <= excluded.first_seen THEN assets.first_run ELSE excluded.first_run"
    "   END,"
    " first_seen = min(assets.first_seen, excluded.first_seen),"
    " last_seen = max(assets.last_seen, excluded.last_seen),"
    " last_run = excluded.last_run, roles = ms_list_union(assets.roles, excluded.roles),"
    " ae_titles = ms_list_union(assets.ae_titles, excluded.ae_titles),"
    " software = CASE WHEN excluded.software <> '' THEN excluded.software ELSE assets.software END,"
    " modalities = ms_list_union(assets.modalities, excluded.modalities),"
    " os = CASE WHEN excluded.os <> '' THEN excluded.os ELSE assets.os END,"
    " hostnames = ms_list_union(assets.hostnames, excluded.hostnames)";
const char store_sql_asset_history[] =
    "INSERT INTO asset_history(run_id, ts, ip, change, json) VALUES(?1, ?2, ?3, ?4, ?5)";
static const char sql_end_run[] = "UPDATE runs SET source = ?1, live = ?2, end_wall = ?3, first_ts = ?4, last_ts = ?5,"
                                  " stats = ?6 WHERE id = ?7";

static void writer_error(struct store_writer *w, const char *what)
{
    if (w->stats)
        w->stats->sqlite_errors++;
    if (w->reported)
        return;
    w->reported = true;
    log_error("%s: %s: %s (the run goes on; later errors are only counted in stats.sqlite.errors)", w->path, what,
              sqlite3_errmsg(w->db));
}

static uint64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static const char *proto_name(uint8_t p, char *buf, size_t n)
{
    switch (p) {
    case 0: return NULL;
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "IPv6-ICMP";
    default: snprintf(buf, n, "%u", p); return buf;
    }
}

/* SQLite integers are signed 64-bit; flow ids stay below 2^53 and times below 2^63. */
static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static void bind_opt_u64(sqlite3_stmt *st, int i, uint64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, (sqlite3_int64)v);
    else
        sqlite3_bind_null(st, i);
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int write_row(struct store_writer *w, const struct store_row *r)
{
    char pn[8];
    sqlite3_stmt *st;
    switch (r->kind) {
    case ROW_ALERT:
        st = w->ins_alert;
        sqlite3_bind_int64(st, 1, w->run_id);
        bind_u64(st, 2, r->ts_us);
        sqlite3_bind_int64(st, 3, r->sid);
        sqlite3_bind_text(st, 4, r->s1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->s2, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, r->severity);
        sqlite3_bind_text(st, 7, r->src, -1, SQLITE_STATIC);
        bind_opt_u64(st, 8, r->sport);
        bind_opt_text(st, 9, r->dst);
        bind_opt_u64(st, 10, r->dport);
        bind_opt_text(st, 11, proto_name(r->proto, pn, sizeof(pn)));
        bind_opt_text(st, 12, r->s3);
        bind_opt_u64(st, 13, r->flow_id);
        sqlite3_bind_text(st, 14, r->text, -1, SQLITE_STATIC);
        return step_reset(st);
    case ROW_FLOW: {
        bool ports = r->proto == 6 || r->proto == 17;
        st = w->ins_flow;
        sqlite3_bind_int64(st, 1, w->run_id);
        bind_u64(st, 2, r->flow_id);
        bind_u64(st, 3, r->ts_us);
        bind_u64(st, 4, r->end_us);
        sqlite3_bind_text(st, 5, r->src, -1, SQLITE_STATIC);
        if (ports)
            sqlite3_bind_int(st, 6, r->sport);
        sqlite3_bind_text(st, 7, r->dst, -1, SQLITE_STATIC);
        if (ports)
            sqlite3_bind_int(st, 8, r->dport);
        sqlite3_bind_text(st, 9, proto_name(r->proto, pn, sizeof(pn)), -1, SQLITE_TRANSIENT);
        bind_opt_text(st, 10, r->s1);
        bind_u64(st, 11, r->pkts[0]);
        bind_u64(st, 12, r->pkts[1]);
        bind_u64(st, 13, r->bytes[0]);
        bind_u64(st, 14, r->bytes[1]);
        sqlite3_bind_text(st, 15, r->s2, -1, SQLITE_STATIC);
        return step_reset(st);
    }
    case ROW_ASSET: {
        st = w->upsert_asset;
        sqlite3_bind_text(st, 1, r->src, -1, SQLITE_STATIC);
        bind_u64(st, 2, r->first_us);
        bind_u64(st, 3, r->end_us);
        sqlite3_bind_int64(st, 4, w->run_id);
        for (int c = 0; c < ASSET_COLS; c++)
            sqlite3_bind_text(st, 5 + c, r->text + r->col[c], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 11, r->text, -1, SQLITE_STATIC);
        int rc = step_reset(st);
        if (rc != SQLITE_OK || !r->history)
            return rc;
        st = w->ins_history;
        sqlite3_bind_int64(st, 1, w->run_id);
        bind_u64(st, 2, r->ts_us);
        sqlite3_bind_text(st, 3, r->src, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->s1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->text, -1, SQLITE_STATIC);
        return step_reset(st);
    }
    }
    return SQLITE_MISUSE;
}

static bool rc_busy(int rc)
{
    rc &= 0xff; /* the primary code of an extended one */
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

/* Write the n oldest rows of q in one transaction.  They stay queued: the caller pops them on WRITE_OK (written)
 * and WRITE_FAILED (lost, counted), and keeps them on WRITE_RETRY (the database is locked by someone else). */
static enum writer_rc writer_write(struct store_writer *w, struct store_queue *q, uint32_t n)
{
    int rc = sqlite3_exec(w->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        writer_error(w, "cannot start a transaction");
        return rc_busy(rc) ? WRITE_RETRY : WRITE_FAILED;
    }
    for (uint32_t i = 0; i < n; i++) {
        rc = write_row(w, queue_at(q, i));
        if (rc != SQLITE_OK) {
            writer_error(w, "cannot insert a row");
            sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
            return rc_busy(rc) ? WRITE_RETRY : WRITE_FAILED;
        }
    }
    rc = sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        writer_error(w, "cannot commit");
        sqlite3_exec(w->db, "ROLLBACK", NULL, NULL, NULL);
        return rc_busy(rc) ? WRITE_RETRY : WRITE_FAILED;
    }
    return WRITE_OK;
}

/* Append s (n bytes) to a comma-separated list held in buf (cap bytes), unless it is already an item; an item that
 * does not fit whole is left out, so the list stays well formed. */
static void list_add(char *buf, size_t cap, const char *s, size_t n)
{
    if (!n)
        return;
    size_t len = strlen(buf);
    for (const char *p = buf; *p;) {
        const char *end = strchr(p, ',');
        size_t m = end ? (size_t)(end - p) : strlen(p);
        if (m == n && memcmp(p, s, n) == 0)
            return;
        p += m + (end != NULL);
    }
    size_t need = n + (len ? 1 : 0);
    if (len + need >= cap)
        return;
    if (len)
        buf[len++] = ',';
    memcpy(buf + len, s, n);
    buf[len + n] = '\0';
}

static void list_add_all(char *buf, size_t cap, const char *list)
{
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        list_add(buf, cap, p, n);
        p += n + (end != NULL);
    }
}

/* SQL ms_list_union(a, b): the items of a, then those of b not in a (comma-separated lists), at most
 * STORE_LIST_MAX bytes, so that a host seen in many runs keeps a bounded column. */
#define STORE_LIST_MAX 1024
static void sql_list_union(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    char buf[STORE_LIST_MAX + 1] = "";
    list_add_all(buf, sizeof(buf), (const char *)sqlite3_value_text(argv[0]));
    list_add_all(buf, sizeof(buf), (const char *)sqlite3_value_text(argv[1]));
    sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

static void writer_close(struct store_writer *w)
{
    sqlite3_finalize(w->ins_alert);
    sqlite3_finalize(w->ins_flow);
    sqlite3_finalize(w->upsert_asset);
    sqlite3_finalize(w->ins_history);
    sqlite3_finalize(w->end_run);
    sqlite3_close(w->db);
    memset(w, 0, sizeof(*w));
}

int store_db_open(const char *path, sqlite3 **dbp, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    *dbp = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot open the store: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    /* A reader (medsentry alerts) or a second sensor may hold the database for a moment: wait a little, then keep
     * the rows for the next batch rather than stall the packets. */
    sqlite3_busy_timeout(db, 100);
    /* Nothing is written to a file that is not ours.  Then WAL before the schema is created, so that creating it
     * costs no rollback journal and its syncs. */
    if (store_check(db, path, err, errlen) < 0)
        goto fail;
    /* WAL: readers never block the writer; NORMAL: a power cut may lose the last transactions, never the file. */
    char *msg = NULL;
    int rc;
    /* Two processes creating one store at once (two collectors, a sensor and a collector): the switch needs the
     * database alone, and SQLite answers "locked" at once rather than wait when both hold a read lock, so try again
     * for up to 5 s. */
    for (int tries = 0;; tries++) {
        rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL", NULL, NULL, &msg);
        if ((rc & 0xff) != SQLITE_BUSY || tries >= 100)
            break;
        sqlite3_free(msg);
        msg = NULL;
        sqlite3_sleep(50);
    }
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot switch to WAL mode: %s", path, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        goto fail;
    }
    if (store_migrate(db, path, store_migrations, store_n_migrations, err, errlen) < 0)
        goto fail;
    if (sqlite3_create_function(db, "ms_list_union", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_list_union, NULL,
                                NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
        goto fail;
    }
    *dbp = db;
    return 0;
fail:
    sqlite3_close(db);
    return -1;
}

static int writer_open(struct store_writer *w, const char *path, const struct store_run_info *run, char *err,
                       size_t errlen)
{
    snprintf(w->path, sizeof(w->path), "%s", path);
    /* A new store is created as every output is (core/ofile.h: O_EXCL|O_NOFOLLOW, mode 0640, given to the run-as
     * user), empty, before SQLite opens it (an empty file is a new database to SQLite; its -wal and -shm then take
     * this file's mode and owner).  One that exists is SQLite's to check (store_check); a link is refused by
     * SQLite's own O_NOFOLLOW. */
    char cerr[512];
    int cfd = ofile_create(path, OFILE_MODE, cerr, sizeof(cerr));
    if (cfd >= 0)
        close(cfd);
    else if (errno != EEXIST) {
        snprintf(err, errlen, "%s", cerr);
        return -1;
    }
    if (store_db_open(path, &w->db, err, errlen) < 0)
        return -1;
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {{&w->ins_alert, sql_alert},
                 {&w->ins_flow, sql_flow},
                 {&w->upsert_asset, store_sql_asset_upsert},
                 {&w->ins_history, store_sql_asset_history},
                 {&w->end_run, sql_end_run}};
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
        if (sqlite3_prepare_v3(w->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, stmts[i].st, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(w->db));
            return -1;
        }
    }
    char host[256] = "unknown";
    const char *sensor = run && run->sensor ? run->sensor : NULL;
    if (!sensor) {
        if (gethostname(host, sizeof(host)) == 0)
            host[sizeof(host) - 1] = '\0';
        sensor = host;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(w->db, "INSERT INTO runs(sensor, source, version, start_wall) VALUES(?1, ?2, ?3, ?4)", -1,
                           &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(w->db));
        return -1;
    }
    sqlite3_bind_text(st, 1, sensor, -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 2, run ? run->source : NULL);
    sqlite3_bind_text(st, 3, run && run->version ? run->version : "unknown", -1, SQLITE_TRANSIENT);
    bind_u64(st, 4, wall_us());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: cannot record the run: %s", path, sqlite3_errmsg(w->db));
        return -1;
    }
    w->run_id = sqlite3_last_insert_rowid(w->db);
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------- */
/* The store: subscriber, queue and writer together                                                              */
/* ------------------------------------------------------------------------------------------------------------- */

#define STORE_WRITE_INTERVAL_US 1000000u /* write what is queued once per second of packet time */
#define STORE_RETRY_US          1000000u /* after a locked database, wait this much packet time */

struct store {
    struct store_cfg cfg;
    struct store_queue q;
    struct store_writer w;
    struct stats *stats;
    struct jw jw;
    uint64_t first_us, now_us; /* packet time seen */
    uint64_t next_write_us;    /* the periodic write */
    uint64_t retry_us;         /* no batch before this after WRITE_RETRY */
    char *final_stats;         /* the final stats object (JSON), for the runs row */
    char source[512];
    bool live;
};

const struct memcap *store_memcap(const struct store *s)
{
    return &s->q.mc;
}

size_t store_queued(const struct store *s)
{
    return s ? s->q.n : 0;
}

/* Write up to n of the oldest rows, a batch per transaction.  False when the database is locked (rows kept). */
static bool store_write(struct store *s, uint32_t n)
{
    while (n && s->q.n) {
        uint32_t batch = n < s->cfg.batch_size ? n : s->cfg.batch_size;
        if (batch > s->q.n)
            batch = s->q.n;
        enum writer_rc rc = writer_write(&s->w, &s->q, batch);
        if (rc == WRITE_RETRY) {
            s->retry_us = s->now_us + STORE_RETRY_US;
            return false;
        }
        if (rc == WRITE_OK) {
            s->stats->sqlite_rows += batch;
            s->stats->sqlite_transactions++;
        } else {
            s->stats->sqlite_dropped += batch;
        }
        queue_pop(&s->q, batch);
        n -= batch;
    }
    return true;
}

void store_flush(struct store *s)
{
    if (s)
        store_write(s, s->q.n);
}

void store_tick(struct store *s, uint64_t now_us)
{
    if (!s)
        return;
    if (!s->first_us)
        s->first_us = now_us;
    if (now_us > s->now_us)
        s->now_us = now_us;
    if (s->now_us < s->next_write_us)
        return;
    s->next_write_us = s->now_us + STORE_WRITE_INTERVAL_US;
    if (s->q.n && s->now_us >= s->retry_us)
        store_write(s, s->q.n);
}

/* A row is queued: write the full batches now, unless the database was locked a moment ago. */
static void store_pushed(struct store *s)
{
    queue_commit(&s->q);
    if (s->q.n >= s->cfg.batch_size && s->now_us >= s->retry_us)
        store_write(s, s->q.n - s->q.n % s->cfg.batch_size);
}

static struct store_row *store_reserve(struct store *s, size_t text_size)
{
    struct store_row *r = queue_reserve(&s->q, text_size);
    if (!r)
        s->stats->sqlite_dropped++;
    return r;
}

static void on_alert(struct store *s, const struct event *ev)
{
    const struct alert_event *a = ev->body;
    jw_reset(&s->jw);
    eve_alert_evidence(&s->jw, NULL, a);
    if (s->jw.err) {
        s->stats->sqlite_dropped++;
        return;
    }
    struct store_row *r = store_reserve(s, s->jw.len + 1);
    if (!r)
        return;
    r->kind = ROW_ALERT;
    r->ts_us = ev->ts_us;
    r->sid = a->sig->sid;
    r->s1 = a->sig->msg;
    r->s2 = a->sig->category;
    r->s3 = a->app_proto;
    r->severity = a->severity;
    ip_addr_str(&a->src, r->src, sizeof(r->src));
    if (a->dst.family)
        ip_addr_str(&a->dst, r->dst, sizeof(r->dst));
    r->sport = a->src_port;
    r->dport = a->dst_port;
    r->proto = a->proto == 6 || a->proto == 17 ? a->proto : 0; /* as eve.json writes it */
    r->flow_id = a->flow_id;
    memcpy(r->text, s->jw.buf, s->jw.len);
    r->text[s->jw.len] = '\0';
    store_pushed(s);
}

static void on_flow(struct store *s, const struct event *ev)
{
    const struct flow *f = ev->flow;
    if (!f)
        return;
    struct store_row *r = store_reserve(s, 0);
    if (!r)
        return;
    r->kind = ROW_FLOW;
    r->flow_id = f->flow_id;
    r->ts_us = f->first_ts_us;
    r->end_us = f->last_ts_us;
    ip_addr_str(&f->client, r->src, sizeof(r->src));
    ip_addr_str(&f->server, r->dst, sizeof(r->dst));
    r->sport = f->client_port;
    r->dport = f->server_port;
    r->proto = f->ipproto;
    r->s1 = app_proto_name(f->app.proto);
    r->s2 = flow_end_reason_name(f->end_reason);
    for (int d = 0; d < 2; d++) {
        r->pkts[d] = f->pkts[d];
        r->bytes[d] = f->bytes[d];
    }
    store_pushed(s);
}

static void col_add(char *buf, size_t cap, const char *s)
{
    if (s)
        list_add(buf, cap, s, strlen(s));
}

static void col_add_list(char *buf, size_t cap, const struct asset_list *l)
{
    for (unsigned i = 0; i < l->n; i++)
        col_add(buf, cap, asset_list_str(l, i));
}

static void queue_asset(struct store *s, const struct asset *a, const char *change, uint64_t ts)
{
    const struct asset_dicom *d = a->dicom;
    const struct asset_smb *m = a->smb;
    /* Bounded by the inventory's own bounds: 16 AE titles of 16 characters, 8 modalities, 4 host names. */
    char roles[64] = "", aes[2 * ASSET_MAX_AE * ASSET_AE_LEN] = "", mods[ASSET_MAX_MODALITIES * ASSET_AE_LEN] = "";
    char names[ASSET_MAX_NAMES * ASSET_NAME_LEN] = "";
    if (d) {
        if (d->scu)
            col_add(roles, sizeof(roles), "dicom-scu");
        if (d->scp)
            col_add(roles, sizeof(roles), "dicom-scp");
        col_add_list(aes, sizeof(aes), &d->ae_calling);
        col_add_list(aes, sizeof(aes), &d->ae_called);
        col_add_list(mods, sizeof(mods), &d->modalities);
    }
    if (m && m->seen) {
        if (m->client)
            col_add(roles, sizeof(roles), "smb-client");
        if (m->server)
            col_add(roles, sizeof(roles), "smb-server");
    }
    if (m)
        col_add_list(names, sizeof(names), &m->hostnames);
    const char *cols[ASSET_COLS] = {
        [COL_ROLES] = roles,     [COL_AES] = aes,           [COL_SOFTWARE] = d && d->software ? d->software : "",
        [COL_MODALITIES] = mods, [COL_OS] = m ? m->os : "", [COL_HOSTNAMES] = names,
    };

    jw_reset(&s->jw);
    jw_open_obj(&s->jw, NULL);
    asset_json(&s->jw, a);
    jw_close_obj(&s->jw);
    if (s->jw.err) {
        s->stats->sqlite_dropped++;
        return;
    }
    size_t size = s->jw.len + 1, lens[ASSET_COLS];
    for (int c = 0; c < ASSET_COLS; c++) {
        lens[c] = strlen(cols[c]);
        size += lens[c] + 1;
    }
    struct store_row *r = store_reserve(s, size);
    if (!r)
        return;
    r->kind = ROW_ASSET;
    r->history = change != NULL;
    r->ts_us = ts;
    r->first_us = a->first_us;
    r->end_us = a->last_us;
    r->s1 = change;
    ip_addr_str(&a->ip, r->src, sizeof(r->src));
    memcpy(r->text, s->jw.buf, s->jw.len);
    r->text[s->jw.len] = '\0';
    size_t off = s->jw.len + 1;
    for (int c = 0; c < ASSET_COLS; c++) {
        r->col[c] = (uint32_t)off;
        memcpy(r->text + off, cols[c], lens[c] + 1);
        off += lens[c] + 1;
    }
    store_pushed(s);
}

static void on_asset(struct store *s, const struct event *ev)
{
    const struct asset_event *ae = ev->body;
    queue_asset(s, ae->asset, ae->change ? ae->change : "changed", ev->ts_us);
}

void store_asset_final(struct store *s, const struct asset *a)
{
    queue_asset(s, a, NULL, a->last_us);
}

static void on_stats(struct store *s, const struct event *ev)
{
    const struct stats_event *se = ev->body;
    if (!se->final)
        return;
    struct eve_cfg ec = {.log_phi = false};
    jw_reset(&s->jw);
    jw_open_obj(&s->jw, NULL);
    eve_stats_body(&s->jw, &ec, ev);
    jw_close_obj(&s->jw);
    if (s->jw.err)
        return;
    free(s->final_stats);
    s->final_stats = malloc(s->jw.len + 1);
    if (!s->final_stats)
        return;
    memcpy(s->final_stats, s->jw.buf, s->jw.len);
    s->final_stats[s->jw.len] = '\0';
}

void store_on_event(void *user, const struct event *ev)
{
    struct store *s = user;
    if (ev->ts_us > s->now_us)
        s->now_us = ev->ts_us;
    switch (ev->type) {
    case EVENT_ALERT: on_alert(s, ev); break;
    case EVENT_FLOW: on_flow(s, ev); break;
    case EVENT_ASSET: on_asset(s, ev); break;
    case EVENT_STATS: on_stats(s, ev); break;
    default: break;
    }
}

struct store *store_open(const struct store_cfg *cfg, const char *path, const struct store_run_info *run,
                         struct stats *stats, char *err, size_t errlen)
{
    if (cfg->batch_size == 0 || cfg->queue_size == 0) {
        snprintf(err, errlen, "outputs.sqlite: queue-size and batch-size must be at least 1");
        return NULL;
    }
    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->cfg = *cfg;
    if (s->cfg.batch_size > s->cfg.queue_size)
        s->cfg.batch_size = s->cfg.queue_size; /* a batch is taken from the queue: it cannot hold more */
    s->stats = stats;
    s->w.stats = stats;
    jw_init(&s->jw);
    if (run && run->source)
        snprintf(s->source, sizeof(s->source), "%s", run->source);
    if (queue_init(&s->q, cfg->queue_size, cfg->queue_memcap) < 0) {
        snprintf(err, errlen,
                 "outputs.sqlite.queue-memcap (%llu bytes) cannot hold outputs.sqlite.queue-size (%u rows of %zu "
                 "bytes)",
                 (unsigned long long)cfg->queue_memcap, cfg->queue_size, sizeof(struct store_row));
        jw_free(&s->jw);
        free(s);
        return NULL;
    }
    if (writer_open(&s->w, path, run, err, errlen) < 0) {
        writer_close(&s->w);
        queue_free(&s->q);
        jw_free(&s->jw);
        free(s);
        return NULL;
    }
    return s;
}

void store_set_source(struct store *s, const char *source, bool live)
{
    if (!s)
        return;
    snprintf(s->source, sizeof(s->source), "%s", source ? source : "");
    s->live = live;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    /* The last attempt: a database still locked now loses what is queued (counted). */
    sqlite3_busy_timeout(s->w.db, 2000);
    if (!store_write(s, s->q.n)) {
        s->stats->sqlite_dropped += s->q.n;
        queue_pop(&s->q, s->q.n);
    }
    sqlite3_stmt *st = s->w.end_run;
    bind_opt_text(st, 1, s->source);
    sqlite3_bind_int(st, 2, s->live);
    bind_u64(st, 3, wall_us());
    bind_opt_u64(st, 4, s->first_us);
    bind_opt_u64(st, 5, s->now_us);
    bind_opt_text(st, 6, s->final_stats);
    sqlite3_bind_int64(st, 7, s->w.run_id);
    if (step_reset(st) != SQLITE_OK)
        writer_error(&s->w, "cannot record the end of the run");
    writer_close(&s->w);
    queue_free(&s->q);
    jw_free(&s->jw);
    free(s->final_stats);
    free(s);
}
