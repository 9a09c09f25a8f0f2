/*
 * sqlite.h - the embedded store: <logdir>/medsentry.db (SQLite).
 *
 * What an analyst asks after a run ("which imaging devices do we have, what
 * alerted this week?") is answered from here without jq: the runs, the alerts
 * with their evidence, the asset inventory with its history, and one summary
 * row per flow.  A second run into the same directory adds to the store.
 *
 * Three parts, kept apart so that a multi-threaded correlator can move the
 * writer to its own thread:
 *   - the subscriber (store_on_event) copies what it needs from an event into
 *     an owned row record; it never touches the database;
 *   - the queue: a bounded ring of rows (outputs.sqlite.queue-size rows, and
 *     their bytes charged to outputs.sqlite.queue-memcap); a row that does not
 *     fit is dropped and counted (stats.sqlite.dropped);
 *   - the writer: prepared statements, one transaction per batch
 *     (outputs.sqlite.batch-size rows), run when a batch is full, once per
 *     second of packet time and at the end.  A SQLite error is counted
 *     (stats.sqlite.errors) and said once on stderr; it never stops the run.
 *     A locked database keeps its rows queued for the next attempt; any other
 *     failure drops the batch (counted).
 *
 * The schema is versioned with PRAGMA user_version and marked as ours with
 * PRAGMA application_id; opening for writing applies the pending steps of the
 * migration table in one transaction.  Times are microseconds since the Unix
 * epoch (UTC): packet time for what was seen, the wall clock for when a run
 * started and ended.
 */
#ifndef MEDSENTRY_OUTPUT_SQLITE_H
#define MEDSENTRY_OUTPUT_SQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/event.h"

struct stats;
struct memcap;
struct sqlite3;

/* "MSDB": PRAGMA application_id of a medsentry store. */
#define STORE_APPLICATION_ID 0x4d534442
/* The schema version this build writes and reads (the last step of the migration table). */
#define STORE_SCHEMA_VERSION 2

struct store_cfg {
    bool enabled;          /* outputs.sqlite.enabled */
    char filename[256];    /* outputs.sqlite.filename: relative to the log directory unless absolute */
    uint32_t queue_size;   /* outputs.sqlite.queue-size: rows waiting for the writer */
    uint32_t batch_size;   /* outputs.sqlite.batch-size: rows per transaction */
    uint64_t queue_memcap; /* outputs.sqlite.queue-memcap: bytes of the queue and its rows */
};

/* outputs.sqlite.*: the key table (defaults, ranges, comments) is in sqlite.c. */
extern const struct config_module store_config_module;
void store_cfg_defaults(struct store_cfg *c);

/* What identifies a run in the runs table. */
struct store_run_info {
    const char *sensor;  /* host name; NULL = gethostname() */
    const char *source;  /* capture path or interface; may be set later with store_set_source */
    const char *version; /* medsentry version */
};

struct store;

/* Open (creating or migrating) the store at path and insert this run's row.  Counters go to stats.  NULL with one
 * sentence in err naming the file when it cannot be opened, is not a medsentry store or has a newer schema. */
struct store *store_open(const struct store_cfg *cfg, const char *path, const struct store_run_info *run,
                         struct stats *stats, char *err, size_t errlen);
/* Flush what is queued, record the run's end (packet times, the final stats), close.  NULL is a no-op. */
void store_close(struct store *s);
/* The capture path or interface of this run (recorded at close). */
void store_set_source(struct store *s, const char *source, bool live);
/* Event bus subscriber: alert, asset, flow and (final) stats events. */
void store_on_event(void *user, const struct event *ev);
#define STORE_EVENT_MASK \
    (EVENT_MASK(EVENT_ALERT) | EVENT_MASK(EVENT_ASSET) | EVENT_MASK(EVENT_FLOW) | EVENT_MASK(EVENT_STATS))
/* At the end of a run: the final state of one inventory record (assets.json's), without a history row. */
struct asset;
void store_asset_final(struct store *s, const struct asset *a);
/* Packet time moved: write a batch once a second of it has passed since the last write. */
void store_tick(struct store *s, uint64_t now_us);
/* Write everything queued now (one transaction per batch). */
void store_flush(struct store *s);
/* The queue's budget (written under stats.memcap.sqlite). */
const struct memcap *store_memcap(const struct store *s);
/* Rows waiting in the queue. */
size_t store_queued(const struct store *s);

/* Open path for writing as the store's writer does: create or migrate it (refusing a file that is not ours or is
 * newer), WAL, ms_list_union registered, a 100 ms busy timeout.  0, or -1 with one sentence in err naming path (*db
 * is then closed and NULL). */
int store_db_open(const char *path, struct sqlite3 **db, char *err, size_t errlen);

/* The asset upsert (?1 ip, ?2 first seen, ?3 last seen, ?4 run, ?5-?10 roles, AE titles, software, modalities, OS,
 * host names, ?11 the record's JSON) and the history insert (?1 run, ?2 time, ?3 ip, ?4 change, ?5 JSON): the
 * sensor's writer and `medsentry collect` (sqlite_ingest.c) merge assets the same way. */
extern const char store_sql_asset_upsert[];
extern const char store_sql_asset_history[];

/* ---- schema (sqlite_schema.c): shared by the writer, the query commands and the tests ---- */

/* One step of the migration table: the SQL that takes a store from version - 1 to version. */
struct store_migration {
    int version;
    const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

/* Bring db to the last version of steps[]: every step above the current user_version, in order, in one
 * transaction with the new user_version and application_id; nothing changes if one fails.  A database with no
 * tables and no application_id is new; one with another application_id, or tables but no id, is not ours; a
 * user_version above the last step is newer than this build.  0, or -1 with one sentence in err naming path. */
int store_migrate(struct sqlite3 *db, const char *path, const struct store_migration *steps, size_t n, char *err,
                  size_t errlen);
/* The schema version of db (0: new and empty), or -1 with err naming path when it is not a store this build can
 * write (not SQLite, someone else's, newer).  Reads only. */
int store_check(struct sqlite3 *db, const char *path, char *err, size_t errlen);
/* Open path read-only and check that it is a medsentry store this build can read.  NULL with err naming path. */
struct sqlite3 *store_open_readonly(const char *path, char *err, size_t errlen);

#endif
