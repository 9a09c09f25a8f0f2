/*
 * sqlite_ingest.h - rows of the store from EVE JSON lines: how
 * `medsentry collect` (src/cli/collect.c) writes the events that sensors
 * sent through Redis into the same store a sensor writes (sqlite.h).
 *
 * An `alert`, `flow` or `asset` event becomes the row the sensor's own writer
 * makes of it (alerts, flows, assets merged by the same upsert plus an
 * asset_history row); a final `stats` event closes that sensor's run.  Each
 * sensor (`host`) gets a runs row per collector session, opened at its first
 * event and ended by its final stats.  Every stored entry is recorded in the
 * `collected` table by (stream, entry id) in the same transaction, so an
 * entry delivered twice is stored once.  Other event types are not stored.
 */
#ifndef MEDSENTRY_OUTPUT_SQLITE_INGEST_H
#define MEDSENTRY_OUTPUT_SQLITE_INGEST_H

#include <stddef.h>
#include <stdint.h>

struct store_ingest;

enum store_ingest_rc {
    INGEST_STORED,    /* rows written (or a run ended) */
    INGEST_DUPLICATE, /* this stream entry was stored before */
    INGEST_IGNORED,   /* an event type the store does not keep */
    INGEST_INVALID,   /* not JSON, or an alert/flow/asset without its required members */
    INGEST_FAILED,    /* a SQLite error: roll the batch back (store_ingest_errmsg says why) */
};

/* Open (creating or migrating) the store at path.  source names where the events come from in the runs rows
 * ("redis 127.0.0.1:6379 medsentry"), version is this build's.  NULL with one sentence in err naming the file. */
struct store_ingest *store_ingest_open(const char *path, const char *source, const char *version, char *err,
                                       size_t errlen);
/* A batch is one transaction: begin, events, commit (or rollback).  0, or -1 (store_ingest_errmsg). */
int store_ingest_begin(struct store_ingest *ig);
enum store_ingest_rc store_ingest_event(struct store_ingest *ig, const char *stream, const char *entry,
                                        const char *json, size_t len);
int store_ingest_commit(struct store_ingest *ig);
void store_ingest_rollback(struct store_ingest *ig);
/* The last SQLite error, naming the file. */
const char *store_ingest_errmsg(struct store_ingest *ig);
/* Runs of this session that saw no final stats keep end_wall NULL (the sensor may still be running). */
void store_ingest_close(struct store_ingest *ig);

/* "2026-11-29T15:26:55.089948+0000" (EVE's timestamps) in microseconds since the epoch; -1 if malformed. */
int64_t store_eve_time_us(const char *s);

#endif
