/*
 * report_int.h - what the files of the HTML report share: the open store and
 * the output (report.c), the escaping every string goes through
 * (report_html.c), and the two drawings (report_svg.c).
 */
#ifndef MEDSENTRY_REPORT_REPORT_INT_H
#define MEDSENTRY_REPORT_REPORT_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct report_ctx {
    sqlite3 *db;
    FILE *fp;
    const char *path; /* the store, for messages */
    bool have_since;
    int64_t since_us; /* --since: rows of packet time from here on */
    bool failed;      /* a query failed: said once on stderr, the report is not written */
};

/* A statement whose ?1 is bound to --since (NULL without it).  NULL on error, said once and r->failed set. */
sqlite3_stmt *report_prepare(struct report_ctx *r, const char *sql);
/* sqlite3_step; a result other than a row or the end is said once and sets r->failed. */
bool report_step(struct report_ctx *r, sqlite3_stmt *st);
/* Column text, "" for NULL. */
const char *report_col(sqlite3_stmt *st, int i);

/* Text content and attribute values (always written between double quotes): & < > " ' become entities; control
 * characters and bytes that are not valid UTF-8 become U+FFFD.  At most max_chars characters (0: all), then "…". */
void html_text(FILE *fp, const char *s, size_t max_chars);
/* JSON (already valid) inside <script type="application/json">: < > & U+2028 U+2029 as \u escapes, so that no
 * "</script" or "<!--" can appear and the text parses the same in every JavaScript engine. */
void html_script_json(FILE *fp, const char *json, size_t n);
/* "2026-11-29 15:26:22" (UTC) or "-". */
void html_time(FILE *fp, int64_t us);
/* "1.47 MB", "812 B" */
void html_bytes(FILE *fp, uint64_t n);

/* The alert timeline: one lane per severity, a dot per time bucket sized by its count. */
void report_svg_timeline(struct report_ctx *r);
/* Who talks to whom (flows), alerting edges in red, kill chains as paths; the host details it shows on a click go
 * into a JSON block written after the drawing. */
void report_svg_map(struct report_ctx *r);

#endif
