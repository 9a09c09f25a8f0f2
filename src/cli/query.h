/*
 * query.h - the commands that read the store: `medsentry alerts` and
 * `medsentry assets` (query.c).
 */
#ifndef MEDSENTRY_CLI_QUERY_H
#define MEDSENTRY_CLI_QUERY_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* argv[0] is "alerts" or "assets".  Returns the exit status: 0, 1 (the store cannot be read), 2 (bad arguments). */
int query_main(int argc, char **argv);
bool query_is_command(const char *name);

/* --since: "7d", "24h", "30m", "90s", "2w" before now_us, or an ISO 8601 date or time ("2026-11-29",
 * "2026-11-29T16:17", "2026-11-29 16:17:29.5Z", "2026-11-29T16:17:29+01:00"; UTC without an offset).
 * 0 with *out in microseconds since the epoch, or -1. */
/* The store that `alerts`, `assets` and `report` read: db_path if given, else LOGDIR/medsentry.db (written to path),
 * checked to be a regular file and opened read-only (store_open_readonly: schema checked).  NULL after one error
 * line naming the file. */
sqlite3 *query_open_store(const char *db_path, const char *logdir, char *path, size_t pathlen);

int query_parse_since(const char *s, uint64_t now_us, uint64_t *out);

#endif
