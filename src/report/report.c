/*
 * report.c - `medsentry report`: the store (DIR/medsentry.db) as one HTML page
 * a manager can read and an engineer can act on.
 *
 *   medsentry report [-l DIR] [-o FILE] [--db FILE] [--since T]
 *
 * The page is one self-contained file: styles, the script and its data are
 * inline, the drawings are SVG written here (report_svg.c), and a
 * Content-Security-Policy forbids every fetch and every script but ours (by
 * its SHA-256), so it opens from a USB stick on a machine with no network and
 * an injected element could not load or run anything even if escaping failed.
 * Sections: summary (runs, capture span, alerts by severity, assets, flows by
 * protocol), assets (imaging hosts first), alerts by severity with their
 * evidence and a timeline, and the network map with kill chains.
 *
 * Bounded: every section streams rows from one query straight to the file and
 * shows at most a fixed number of them, then "N more"; the store is opened
 * read-only and read in one transaction, so a sensor may keep writing.  The
 * page is written to a temporary file beside the target and renamed, so a
 * reader never sees half a report.
 */
#include "report/report.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/query.h"
#include "core/log.h"
#include "output/sqlite.h"
#include "report/report_int.h"

#define ASSET_ROWS     200 /* per table (imaging, other) */
#define ALERT_ROWS     200 /* per severity */
#define RUN_ROWS       20
#define EVIDENCE_KEYS  40 /* members of one evidence object shown */
#define EVIDENCE_ITEMS 24 /* items of one array shown */

bool report_is_command(const char *name)
{
    return strcmp(name, "report") == 0;
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Queries                                                                                                       */
/* ------------------------------------------------------------------------------------------------------------- */

static void report_fail(struct report_ctx *r, const char *what)
{
    if (!r->failed)
        log_error("%s: cannot read %s: %s", r->path, what, sqlite3_errmsg(r->db));
    r->failed = true;
}

sqlite3_stmt *report_prepare(struct report_ctx *r, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        report_fail(r, "the store");
        return NULL;
    }
    if (r->have_since && sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, r->since_us);
    return st;
}

bool report_step(struct report_ctx *r, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return true;
    if (rc != SQLITE_DONE)
        report_fail(r, "the store");
    return false;
}

const char *report_col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? (const char *)s : "";
}

/* One integer from a one-row query with ?1 = --since; 0 if there is no row. */
static int64_t query_count(struct report_ctx *r, const char *sql)
{
    sqlite3_stmt *st = report_prepare(r, sql);
    int64_t v = 0;
    if (st && report_step(r, st))
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Small pieces                                                                                                  */
/* ------------------------------------------------------------------------------------------------------------- */

static const char *severity_word(int s)
{
    return s == 1 ? "High" : s == 2 ? "Medium" : s == 3 ? "Low" : NULL;
}

/* "10.0.0.5:445", "[fe80::1]:445", "10.0.0.5" (escaped) */
static void put_endpoint(FILE *fp, const char *ip, sqlite3_stmt *st, int port_col)
{
    bool v6 = strchr(ip, ':') != NULL;
    bool port = sqlite3_column_type(st, port_col) != SQLITE_NULL;
    if (port && v6)
        fputc('[', fp);
    html_text(fp, ip, 0);
    if (port)
        fprintf(fp, "%s:%d", v6 ? "]" : "", sqlite3_column_int(st, port_col));
}

/* A comma-separated column as it is, or a dash. */
static void put_cell(FILE *fp, const char *s, size_t max_chars)
{
    fputs("<td>", fp);
    if (*s)
        html_text(fp, s, max_chars);
    else
        fputs("<span class=\"none\">-</span>", fp);
    fputs("</td>", fp);
}

static void put_more(FILE *fp, int64_t more, const char *what, const char *cmd)
{
    if (more <= 0)
        return;
    fprintf(fp, "<p class=\"more\">%lld more %s not shown", (long long)more, what);
    if (cmd) {
        fputs(" (", fp);
        html_text(fp, cmd, 0);
        fputc(')', fp);
    }
    fputs(".</p>\n", fp);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Summary                                                                                                       */
/* ------------------------------------------------------------------------------------------------------------- */

#define SINCE_ALERTS "(?1 IS NULL OR ts >= ?1)"
#define SINCE_FLOWS  "(?1 IS NULL OR end_ts >= ?1)"
#define SINCE_ASSETS "(?1 IS NULL OR last_seen >= ?1)"
#define SINCE_RUNS   "(?1 IS NULL OR last_ts IS NULL OR last_ts >= ?1)"
#define IMAGING      "(instr(roles, 'dicom') > 0 OR ae_titles <> '' OR modalities <> '')"

struct severity_count {
    int severity;
    int64_t n;
};

#define MAX_SEVERITIES 8

static int alert_severities(struct report_ctx *r, struct severity_count *out)
{
    int n = 0;
    sqlite3_stmt *st =
        report_prepare(r, "SELECT severity, count(*) FROM alerts WHERE " SINCE_ALERTS " GROUP BY 1 ORDER BY 1");
    while (st && n < MAX_SEVERITIES && report_step(r, st)) {
        out[n].severity = sqlite3_column_int(st, 0);
        out[n].n = sqlite3_column_int64(st, 1);
        n++;
    }
    sqlite3_finalize(st);
    return n;
}

static void section_summary(struct report_ctx *r, const struct severity_count *sev, int n_sev)
{
    FILE *fp = r->fp;
    int64_t runs = 0, sensors = 0, first = 0, last = 0, pkts = 0;
    sqlite3_stmt *st = report_prepare(r, "SELECT count(*), count(DISTINCT sensor), min(first_ts), max(last_ts),"
                                         " total(CASE WHEN json_valid(stats) THEN json_extract(stats, '$.decoder.pkts')"
                                         " END) FROM runs WHERE " SINCE_RUNS);
    if (st && report_step(r, st)) {
        runs = sqlite3_column_int64(st, 0);
        sensors = sqlite3_column_int64(st, 1);
        first = sqlite3_column_int64(st, 2);
        last = sqlite3_column_int64(st, 3);
        pkts = (int64_t)sqlite3_column_double(st, 4);
    }
    sqlite3_finalize(st);
    int64_t assets = query_count(r, "SELECT count(*) FROM assets WHERE " SINCE_ASSETS);
    int64_t imaging = query_count(r, "SELECT count(*) FROM assets WHERE " SINCE_ASSETS " AND " IMAGING);
    int64_t flows = query_count(r, "SELECT count(*) FROM flows WHERE " SINCE_FLOWS);
    int64_t alerts = 0;
    for (int i = 0; i < n_sev; i++)
        alerts += sev[i].n;

    fputs("<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">\n", fp);
    fprintf(fp, "<div class=\"card%s\"><div class=\"big\">%lld</div>alerts<div class=\"sevs\">", alerts ? " hot" : "",
            (long long)alerts);
    for (int i = 0; i < n_sev; i++) {
        const char *w = severity_word(sev[i].severity);
        fprintf(fp, "<a class=\"sev sev%d\" href=\"#sev%d\">%lld ", sev[i].severity < 4 ? sev[i].severity : 4,
                sev[i].severity, (long long)sev[i].n);
        if (w)
            fputs(w, fp);
        else
            fprintf(fp, "severity %d", sev[i].severity);
        fputs("</a> ", fp);
    }
    fputs("</div></div>\n", fp);
    fprintf(fp,
            "<div class=\"card\"><div class=\"big\">%lld</div>imaging hosts<div class=\"sub\">of %lld hosts seen</div>"
            "</div>\n",
            (long long)imaging, (long long)assets);
    fprintf(fp,
            "<div class=\"card\"><div class=\"big\">%lld</div>flows<div class=\"sub\">%lld packets read</div></div>\n",
            (long long)flows, (long long)pkts);
    fprintf(fp,
            "<div class=\"card\"><div class=\"big\">%lld</div>run%s<div class=\"sub\">from %lld sensor%s</div></div>\n",
            (long long)runs, runs == 1 ? "" : "s", (long long)sensors, sensors == 1 ? "" : "s");
    fputs("<div class=\"card wide\">capture time (UTC)<div class=\"span\">", fp);
    html_time(fp, first);
    fputs(" &rarr; ", fp);
    html_time(fp, last);
    if (last > first)
        fprintf(fp, "</div><div class=\"sub\">%lld s of traffic</div></div>\n", (long long)((last - first) / 1000000));
    else
        fputs("</div></div>\n", fp);
    fputs("</div>\n", fp);

    /* Flows by protocol */
    fputs("<h3>Flows by protocol</h3>\n<table class=\"sortable\"><thead><tr><th>Protocol</th><th>Flows</th>"
          "<th>Bytes</th><th>Clients</th><th>Servers</th></tr></thead><tbody>\n",
          fp);
    st = report_prepare(r, "SELECT coalesce(app_proto, ''), count(*), total(bytes_toserver + bytes_toclient),"
                           " count(DISTINCT src_ip), count(DISTINCT dest_ip) FROM flows WHERE " SINCE_FLOWS
                           " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 64");
    while (st && report_step(r, st)) {
        const char *p = report_col(st, 0);
        fputs("<tr class=\"proto\"><td>", fp);
        html_text(fp, *p ? p : "(not identified)", 40);
        fprintf(fp, "</td><td>%lld</td><td>", (long long)sqlite3_column_int64(st, 1));
        html_bytes(fp, (uint64_t)sqlite3_column_double(st, 2));
        fprintf(fp, "</td><td>%lld</td><td>%lld</td></tr>\n", (long long)sqlite3_column_int64(st, 3),
                (long long)sqlite3_column_int64(st, 4));
    }
    sqlite3_finalize(st);
    fputs("</tbody></table>\n", fp);

    /* Runs */
    fputs("<h3>Runs</h3>\n<table class=\"sortable\"><thead><tr><th>#</th><th>Sensor</th><th>Capture</th>"
          "<th>First packet (UTC)</th><th>Last packet (UTC)</th><th>Packets</th></tr></thead><tbody>\n",
          fp);
    st = report_prepare(r, "SELECT id, sensor, coalesce(source, ''), live, first_ts, last_ts,"
                           " CASE WHEN json_valid(stats) THEN json_extract(stats, '$.decoder.pkts') END"
                           " FROM runs WHERE " SINCE_RUNS " ORDER BY id DESC LIMIT ?2");
    if (st)
        sqlite3_bind_int(st, 2, RUN_ROWS);
    while (st && report_step(r, st)) {
        fprintf(fp, "<tr class=\"run\"><td>%lld</td>", (long long)sqlite3_column_int64(st, 0));
        put_cell(fp, report_col(st, 1), 64);
        fputs("<td>", fp);
        if (sqlite3_column_int(st, 3))
            fputs("live: ", fp);
        html_text(fp, report_col(st, 2), 80);
        fputs("</td><td>", fp);
        html_time(fp, sqlite3_column_int64(st, 4));
        fputs("</td><td>", fp);
        if (sqlite3_column_type(st, 5) == SQLITE_NULL)
            fputs("<span class=\"none\">did not finish</span>", fp);
        else
            html_time(fp, sqlite3_column_int64(st, 5));
        fprintf(fp, "</td><td>%lld</td></tr>\n", (long long)sqlite3_column_int64(st, 6));
    }
    sqlite3_finalize(st);
    fputs("</tbody></table>\n", fp);
    put_more(fp, runs - RUN_ROWS, "runs", NULL);
    fputs("</section>\n", fp);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Assets                                                                                                        */
/* ------------------------------------------------------------------------------------------------------------- */

static void asset_table(struct report_ctx *r, bool imaging)
{
    FILE *fp = r->fp;
    const char *cond = imaging ? IMAGING : "NOT " IMAGING;
    char sql[1400];
    snprintf(sql, sizeof(sql),
             "SELECT ip, roles, ae_titles, modalities, software, os, hostnames, first_seen, last_seen,"
             " CASE WHEN json_valid(json) THEN (SELECT group_concat(value, ', ') FROM (SELECT value FROM"
             " json_each(assets.json, '$.peers') LIMIT 12)) END,"
             " CASE WHEN json_valid(json) THEN json_array_length(json, '$.peers') END,"
             " (SELECT count(*) FROM alerts WHERE (alerts.src_ip = assets.ip OR alerts.dest_ip = assets.ip)"
             " AND (?1 IS NULL OR alerts.ts >= ?1))"
             " FROM assets WHERE " SINCE_ASSETS " AND %s ORDER BY first_seen, ip LIMIT %d",
             cond, ASSET_ROWS);
    int64_t total = 0;
    {
        char csql[300];
        snprintf(csql, sizeof(csql), "SELECT count(*) FROM assets WHERE " SINCE_ASSETS " AND %s", cond);
        total = query_count(r, csql);
    }
    fprintf(fp, "<h3>%s <span class=\"count\">%lld</span></h3>\n", imaging ? "Imaging hosts (DICOM)" : "Other hosts",
            (long long)total);
    if (!total) {
        fprintf(fp, "<p class=\"none\">%s</p>\n",
                imaging ? "No host spoke DICOM in these runs." : "No other host was inventoried.");
        return;
    }
    fputs("<table class=\"sortable assets\"><thead><tr><th>Host</th><th>Role</th>", fp);
    if (imaging)
        fputs("<th>AE titles</th><th>Modality</th>", fp);
    fputs("<th>Software</th><th>OS hint</th><th>Host names</th><th>Peers</th><th>First seen (UTC)</th>"
          "<th>Last seen (UTC)</th><th>Alerts</th></tr></thead><tbody>\n",
          fp);
    sqlite3_stmt *st = report_prepare(r, sql);
    while (st && report_step(r, st)) {
        int64_t alerts = sqlite3_column_int64(st, 11);
        fprintf(fp, "<tr class=\"asset%s%s\"><td class=\"ip\">", imaging ? " imaging" : "", alerts ? " hot" : "");
        html_text(fp, report_col(st, 0), 0);
        fputs("</td>", fp);
        put_cell(fp, report_col(st, 1), 80);
        if (imaging) {
            put_cell(fp, report_col(st, 2), 200);
            put_cell(fp, report_col(st, 3), 80);
        }
        put_cell(fp, report_col(st, 4), 80);
        put_cell(fp, report_col(st, 5), 80);
        put_cell(fp, report_col(st, 6), 120);
        int64_t peers = sqlite3_column_int64(st, 10);
        fputs("<td>", fp);
        if (peers > 0) {
            html_text(fp, report_col(st, 9), 0);
            if (peers > 12)
                fprintf(fp, " <span class=\"none\">+%lld more</span>", (long long)(peers - 12));
        } else {
            fputs("<span class=\"none\">-</span>", fp);
        }
        fputs("</td><td>", fp);
        html_time(fp, sqlite3_column_int64(st, 7));
        fputs("</td><td>", fp);
        html_time(fp, sqlite3_column_int64(st, 8));
        fprintf(fp, "</td><td class=\"num\">%lld</td></tr>\n", (long long)alerts);
    }
    sqlite3_finalize(st);
    fputs("</tbody></table>\n", fp);
    put_more(fp, total - ASSET_ROWS, imaging ? "imaging hosts" : "hosts",
             imaging ? "medsentry assets --role dicom" : "medsentry assets");
}

static void section_assets(struct report_ctx *r)
{
    fputs("<section id=\"assets\"><h2>Assets</h2>\n", r->fp);
    asset_table(r, true);
    asset_table(r, false);
    fputs("</section>\n", r->fp);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Alerts and their evidence                                                                                     */
/* ------------------------------------------------------------------------------------------------------------- */

struct evidence_stmts {
    sqlite3_stmt *members; /* key, type, value of an object's members or an array's items */
};

/* A JSON scalar or a small container as text: scalars as they are, arrays of scalars joined, anything else as JSON
 * text.  depth bounds the walk (objects inside arrays inside the evidence: 2). */
static void evidence_value(struct report_ctx *r, sqlite3 *db, const char *type, const char *value, int depth);

static void evidence_container(struct report_ctx *r, sqlite3 *db, const char *type, const char *json, int depth)
{
    FILE *fp = r->fp;
    sqlite3_stmt *st;
    if (depth > 2 || sqlite3_prepare_v2(db, "SELECT key, type, value FROM json_each(?1)", -1, &st, NULL) != SQLITE_OK) {
        html_text(fp, json, 300);
        return;
    }
    sqlite3_bind_text(st, 1, json, -1, SQLITE_TRANSIENT);
    bool object = strcmp(type, "object") == 0;
    bool list = false;
    int n = 0, more = 0;
    while (report_step(r, st)) {
        const char *t = report_col(st, 1);
        bool nested = strcmp(t, "object") == 0 || strcmp(t, "array") == 0;
        if (n >= (object ? EVIDENCE_KEYS : EVIDENCE_ITEMS)) {
            more++;
            continue;
        }
        if (object) {
            fputs(n ? " &middot; " : "", fp);
            fputs("<span class=\"k\">", fp);
            html_text(fp, report_col(st, 0), 64);
            fputs("</span> ", fp);
        } else if (nested) {
            if (!list)
                fputs("<ol>", fp);
            list = true;
            fputs("<li>", fp);
        } else if (n) {
            fputs(", ", fp);
        }
        evidence_value(r, db, t, report_col(st, 2), depth + 1);
        if (list && nested)
            fputs("</li>", fp);
        n++;
    }
    if (list)
        fputs("</ol>", fp);
    if (more)
        fprintf(fp, " <span class=\"none\">+%d more</span>", more);
    sqlite3_finalize(st);
}

static void evidence_value(struct report_ctx *r, sqlite3 *db, const char *type, const char *value, int depth)
{
    if (strcmp(type, "object") == 0 || strcmp(type, "array") == 0)
        evidence_container(r, db, type, value, depth);
    else
        html_text(r->fp, value, 400);
}

/* The evidence object: one line per member (the JSON is the one eve.json carries, see docs/EVE.md). */
static void put_evidence(struct report_ctx *r, const char *json)
{
    FILE *fp = r->fp;
    sqlite3_stmt *st;
    if (!*json || sqlite3_prepare_v2(r->db, "SELECT key, type, value FROM json_each(?1)", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
    fputs("<dl class=\"ev\">", fp);
    int n = 0;
    while (report_step(r, st)) {
        if (n++ >= EVIDENCE_KEYS)
            continue;
        fputs("<dt>", fp);
        html_text(fp, report_col(st, 0), 64);
        fputs("</dt><dd>", fp);
        evidence_value(r, r->db, report_col(st, 1), report_col(st, 2), 1);
        fputs("</dd>", fp);
    }
    fputs("</dl>", fp);
    if (n > EVIDENCE_KEYS)
        fprintf(fp, "<span class=\"none\">+%d more members</span>", n - EVIDENCE_KEYS);
    sqlite3_finalize(st);
}

static void alert_table(struct report_ctx *r, const struct severity_count *sev)
{
    FILE *fp = r->fp;
    const char *w = severity_word(sev->severity);
    int cls = sev->severity >= 1 && sev->severity <= 3 ? sev->severity : 4;
    fprintf(fp, "<h3 id=\"sev%d\" class=\"sevhead sev%d\">", sev->severity, cls);
    if (w)
        fputs(w, fp);
    else
        fprintf(fp, "Severity %d", sev->severity);
    fprintf(fp, " <span class=\"count\">%lld</span></h3>\n", (long long)sev->n);
    fputs("<table class=\"sortable alerts\"><thead><tr><th>Time (UTC)</th><th>Signature</th><th>Source &rarr; "
          "destination</th><th>Protocol</th><th>Evidence</th></tr></thead><tbody>\n",
          fp);
    sqlite3_stmt *st = report_prepare(r, "SELECT ts, signature_id, signature, category, src_ip, src_port, dest_ip,"
                                         " dest_port, coalesce(app_proto, proto, ''),"
                                         " CASE WHEN json_valid(evidence) THEN evidence END,"
                                         " CASE WHEN json_valid(evidence) THEN json_array_length(evidence, '$.hosts')"
                                         " END"
                                         " FROM alerts WHERE " SINCE_ALERTS " AND severity = ?2"
                                         " ORDER BY ts, id LIMIT ?3");
    if (st) {
        sqlite3_bind_int(st, 2, sev->severity);
        sqlite3_bind_int(st, 3, ALERT_ROWS);
    }
    while (st && report_step(r, st)) {
        fprintf(fp, "<tr class=\"alert sev%d\"><td class=\"time\">", cls);
        html_time(fp, sqlite3_column_int64(st, 0));
        /* Signature names start with "MEDSENTRY " as a rule set's do; on this page it only takes room. */
        const char *sig = report_col(st, 2);
        if (strncmp(sig, "MEDSENTRY ", 10) == 0 && sig[10])
            sig += 10;
        fputs("</td><td><div class=\"sig\">", fp);
        html_text(fp, sig, 200);
        fprintf(fp, "</div><div class=\"sub\">sid %lld &middot; ", (long long)sqlite3_column_int64(st, 1));
        html_text(fp, report_col(st, 3), 80);
        fputs("</div></td><td class=\"ip\">", fp);
        put_endpoint(fp, report_col(st, 4), st, 5);
        fputs(" &rarr; ", fp);
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            put_endpoint(fp, report_col(st, 6), st, 7);
        else if (sqlite3_column_int64(st, 10) > 1)
            fprintf(fp, "%lld hosts", (long long)sqlite3_column_int64(st, 10));
        else
            fputs("-", fp);
        fputs("</td>", fp);
        put_cell(fp, report_col(st, 8), 24);
        fputs("<td>", fp);
        put_evidence(r, report_col(st, 9));
        fputs("</td></tr>\n", fp);
    }
    sqlite3_finalize(st);
    fputs("</tbody></table>\n", fp);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "medsentry alerts --severity %d", sev->severity);
    put_more(fp, sev->n - ALERT_ROWS, "alerts of this severity", cmd);
}

static void section_alerts(struct report_ctx *r, const struct severity_count *sev, int n_sev)
{
    FILE *fp = r->fp;
    fputs("<section id=\"alerts\"><h2>Alerts</h2>\n", fp);
    if (!n_sev) {
        fputs("<p class=\"none\">No alerts.</p></section>\n", fp);
        return;
    }
    report_svg_timeline(r);
    for (int i = 0; i < n_sev && !r->failed; i++)
        alert_table(r, &sev[i]);
    fputs("</section>\n", fp);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* The page                                                                                                      */
/* ------------------------------------------------------------------------------------------------------------- */

static const char page_style[] =
    ":root{--ink:#1d2733;--muted:#5f6b7a;--line:#d8dee6;--bg:#f6f8fa;--high:#c62828;--medium:#ef6c00;"
    "--low:#1565c0;--ok:#2e7d32}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "color:var(--ink);background:var(--bg)}"
    "header{background:#14212f;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}"
    "header .meta{color:#b8c4d2;font-size:13px;margin-top:4px}"
    "nav{background:#1e2f42;padding:6px 28px}nav a{color:#dce6f2;margin-right:18px;text-decoration:none}"
    "main{padding:8px 28px 40px;max-width:1400px}"
    "section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:4px 20px 16px;margin:18px 0}"
    "h2{font-size:18px;border-bottom:1px solid var(--line);padding-bottom:6px}h3{font-size:15px;margin:18px 0 6px}"
    ".count{color:var(--muted);font-weight:normal}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px}"
    ".card{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:150px;background:#fbfcfd}"
    ".card.hot{border-color:var(--high)}.card.wide{min-width:320px}"
    ".big{font-size:28px;font-weight:600}.sub{color:var(--muted);font-size:12px}.span{font-weight:600;margin-top:6px}"
    ".sev{display:inline-block;border-radius:10px;padding:0 8px;margin:4px 4px 0 0;color:#fff;font-size:12px;"
    "text-decoration:none}"
    ".sev.sev1{background:var(--high)}.sev.sev2{background:var(--medium)}.sev.sev3{background:var(--low)}"
    ".sev.sev4{background:var(--muted)}"
    "h3.sevhead{background:none;padding-left:10px;border-left:6px solid var(--muted)}"
    "h3.sev1{border-color:var(--high)}h3.sev2{border-color:var(--medium)}h3.sev3{border-color:var(--low)}"
    "table{border-collapse:collapse;width:100%;font-size:13px}"
    "th{text-align:left;background:#eef2f6;cursor:pointer;user-select:none;white-space:nowrap}"
    "th,td{padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}"
    "th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}"
    "tr.hot td.ip{font-weight:600;color:var(--high)}"
    "tr.alert.sev1 td:first-child{border-left:4px solid var(--high)}"
    "tr.alert.sev2 td:first-child{border-left:4px solid var(--medium)}"
    "tr.alert.sev3 td:first-child{border-left:4px solid var(--low)}"
    "td.ip,td.time{white-space:nowrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}"
    "td.num{text-align:right}.sig{font-weight:600}.none{color:var(--muted)}.more{color:var(--muted);"
    "font-style:italic}"
    "dl.ev{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:1px 10px;font-size:12px}"
    "dl.ev dt{color:var(--muted)}dl.ev dd{margin:0;word-break:break-word}dl.ev ol{margin:0;padding-left:18px}"
    ".k{color:var(--muted)}"
    "svg{display:block;max-width:100%;height:auto;font-family:system-ui,sans-serif}"
    ".mapwrap{display:flex;gap:16px;align-items:flex-start}.mapwrap svg{flex:1 1 auto;min-width:0}"
    "#hostinfo{flex:0 0 240px;border:1px solid var(--line);border-radius:8px;padding:8px 12px;font-size:12px;"
    "margin:0;display:grid;grid-template-columns:max-content 1fr;gap:2px 8px;word-break:break-word}"
    "#hostinfo dt{color:var(--muted)}#hostinfo dd{margin:0}"
    ".edge{fill:none;stroke-opacity:.75}.edge.alerting{stroke:var(--high);stroke-opacity:1}.edge.dim{stroke-opacity:."
    "08}"
    ".node{cursor:pointer}.node circle{stroke:#fff;stroke-width:2}.node.hot circle{stroke:var(--high);stroke-width:3}"
    ".node text{font-size:11px;fill:var(--ink)}.node text.ip{font-weight:600}"
    ".chain{fill:none;stroke:#111;stroke-width:2.5;stroke-dasharray:8 5}"
    "footer{color:var(--muted);font-size:12px;padding:0 28px 24px}";

/* Runs after the page is parsed (it is the last element of the body).  Clicking a host of the map shows what the
 * inventory knows of it (from the JSON block, as text: textContent, never markup) and dims the edges that do not
 * touch it; clicking a column heading sorts the table.  Nothing is fetched. */
static const char page_script[] =
    "(function(){'use strict';"
    "var data=JSON.parse(document.getElementById('map-data').textContent);"
    "var info=document.getElementById('hostinfo');"
    "function show(i){var h=data.hosts[i];if(!h||!info)return;info.textContent='';"
    "[['Host',h.ip],['Roles',h.roles],['AE titles',h.ae_titles],['Modality',h.modalities],['Software',h.software],"
    "['OS hint',h.os],['Host names',h.hostnames],['Traffic',h.traffic],['Alerts',h.alerts]].forEach(function(kv){"
    "if(kv[1]===undefined||kv[1]==='')return;var dt=document.createElement('dt');dt.textContent=kv[0];"
    "var dd=document.createElement('dd');dd.textContent=String(kv[1]);info.appendChild(dt);info.appendChild(dd);});"
    "document.querySelectorAll('#map .edge').forEach(function(e){"
    "e.classList.toggle('dim',e.getAttribute('data-a')!==h.ip&&e.getAttribute('data-b')!==h.ip);});}"
    "document.querySelectorAll('#map .node').forEach(function(n){"
    "n.addEventListener('click',function(){show(Number(n.getAttribute('data-i')));});});"
    "document.querySelectorAll('table.sortable th').forEach(function(th){th.addEventListener('click',function(){"
    "var tb=th.closest('table').tBodies[0],i=th.cellIndex,asc=th.getAttribute('aria-sort')!=='ascending';"
    "var rows=Array.prototype.slice.call(tb.rows);rows.sort(function(a,b){"
    "var x=a.cells[i]?a.cells[i].textContent:'',y=b.cells[i]?b.cells[i].textContent:'';"
    "return (asc?1:-1)*x.localeCompare(y,undefined,{numeric:true});});"
    "rows.forEach(function(r){tb.appendChild(r);});"
    "th.parentNode.querySelectorAll('th').forEach(function(o){o.removeAttribute('aria-sort');});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');});});"
    "document.body.setAttribute('data-ready',String(data.hosts.length));"
    "})();";

/* 'sha256-<base64>' of the script, for the Content-Security-Policy. */
static void script_hash(char *out, size_t n)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    unsigned char b64[64];
    SHA256((const unsigned char *)page_script, strlen(page_script), md);
    EVP_EncodeBlock(b64, md, SHA256_DIGEST_LENGTH);
    snprintf(out, n, "'sha256-%s'", (const char *)b64);
}

static void page_head(struct report_ctx *r, const char *logdir, const char *since_arg)
{
    FILE *fp = r->fp;
    char hash[80];
    script_hash(hash, sizeof(hash));
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", fp);
    fprintf(fp,
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "script-src %s; img-src data:; base-uri 'none'; form-action 'none'\">\n",
            hash);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>medsentry report: ", fp);
    html_text(fp, logdir, 120);
    fputs("</title>\n<style>", fp);
    fputs(page_style, fp);
    fputs("</style>\n</head>\n<body>\n<header><h1>medsentry report</h1><div class=\"meta\">store ", fp);
    html_text(fp, r->path, 200);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    fputs(" &middot; generated ", fp);
    html_time(fp, (int64_t)tv.tv_sec * 1000000);
    fputs(" UTC", fp);
    if (since_arg) {
        fputs(" &middot; since ", fp);
        html_text(fp, since_arg, 64);
    }
    fputs("</div></header>\n<nav><a href=\"#summary\">Summary</a><a href=\"#assets\">Assets</a>"
          "<a href=\"#alerts\">Alerts</a><a href=\"#network\">Network</a></nav>\n<main>\n",
          fp);
}

static void page_tail(struct report_ctx *r)
{
    fputs("</main>\n<footer>Written by medsentry ", r->fp);
#ifdef MEDSENTRY_VERSION
    html_text(r->fp, MEDSENTRY_VERSION, 32);
#endif
    fputs(" from its store; every name on this page was read from network traffic and is shown as text."
          "</footer>\n<script>",
          r->fp);
    fputs(page_script, r->fp);
    fputs("</script>\n</body>\n</html>\n", r->fp);
}

static void write_page(struct report_ctx *r, const char *logdir, const char *since_arg)
{
    struct severity_count sev[MAX_SEVERITIES];
    page_head(r, logdir, since_arg);
    int n_sev = alert_severities(r, sev);
    if (!r->failed)
        section_summary(r, sev, n_sev);
    if (!r->failed)
        section_assets(r);
    if (!r->failed)
        section_alerts(r, sev, n_sev);
    if (!r->failed)
        report_svg_map(r);
    page_tail(r);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* The command line                                                                                              */
/* ------------------------------------------------------------------------------------------------------------- */

static void report_usage(FILE *fp)
{
    fprintf(fp, "usage: medsentry report [-l DIR] [-o FILE] [--db FILE] [--since T]\n"
                "\n"
                "Write one self-contained HTML page (no network needed to open it) from DIR/medsentry.db:\n"
                "a summary, the imaging assets then the other hosts, the alerts by severity with their evidence\n"
                "and a timeline, and a map of who talks to whom with alerting edges and kill chains.\n"
                "\n"
                "  -l DIR          log directory of the runs (default: current directory)\n"
                "  -o FILE         where to write the page (default: DIR/report.html; '-' for standard output)\n"
                "  --db FILE       the store itself (default: DIR/medsentry.db)\n"
                "  --since T       only what was seen from T on: 7d, 24h, 30m, 90s, 2w before now, or an\n"
                "                  ISO 8601 date or time (2026-11-29, 2026-11-29T16:17:29; UTC without an offset)\n");
}

/* Write the page to a temporary file beside out and rename it over out; or to stdout for "-". */
static int write_report(struct report_ctx *r, const char *out, const char *logdir, const char *since_arg)
{
    if (strcmp(out, "-") == 0) {
        r->fp = stdout;
        write_page(r, logdir, since_arg);
        return r->failed || fflush(stdout) != 0 || ferror(stdout) ? 1 : 0;
    }
    char tmp[1200];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out) >= (int)sizeof(tmp)) {
        log_error("%s: path too long", out);
        return 1;
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        log_error("%s: cannot create a file beside it: %s", out, strerror(errno));
        return 1;
    }
    fchmod(fd, 0640);
    r->fp = fdopen(fd, "w");
    if (!r->fp) {
        log_error("%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return 1;
    }
    setvbuf(r->fp, NULL, _IOFBF, 1 << 16);
    write_page(r, logdir, since_arg);
    bool werr = ferror(r->fp) != 0;
    if (fclose(r->fp) != 0)
        werr = true;
    r->fp = NULL;
    if (werr) {
        log_error("%s: cannot write: %s", out, strerror(errno ? errno : EIO));
        unlink(tmp);
        return 1;
    }
    if (r->failed) {
        unlink(tmp);
        return 1;
    }
    if (rename(tmp, out) != 0) {
        log_error("%s: cannot rename %s to it: %s", out, tmp, strerror(errno));
        unlink(tmp);
        return 1;
    }
    return 0;
}

int report_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"since", required_argument, NULL, 's'},
        {"db", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    const char *logdir = ".", *db_path = NULL, *out = NULL, *since_arg = NULL;
    struct report_ctx r;
    memset(&r, 0, sizeof(r));
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+l:o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'l': logdir = optarg; break;
        case 'o': out = optarg; break;
        case 'd': db_path = optarg; break;
        case 'h': report_usage(stdout); return 0;
        case 's': {
            struct timeval tv;
            gettimeofday(&tv, NULL);
            uint64_t now = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec, since;
            if (query_parse_since(optarg, now, &since) < 0 || since > INT64_MAX) {
                log_error("--since %s: expected 7d, 24h, 30m, 90s, 2w or an ISO 8601 date or time (2026-11-29T16:17)",
                          optarg);
                return 2;
            }
            r.have_since = true;
            r.since_us = (int64_t)since;
            since_arg = optarg;
            break;
        }
        case '?':
        default:
            if (optopt)
                log_error("medsentry report: option -%c: %s (see medsentry report --help)", optopt,
                          strchr("lo", optopt) ? "needs an argument" : "unknown option");
            else
                log_error("medsentry report: %s: unknown option or missing argument (see medsentry report --help)",
                          argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        log_error("medsentry report: unexpected argument '%s' (see medsentry report --help)", argv[optind]);
        return 2;
    }

    char path[1100], out_path[1100];
    if (!out) {
        snprintf(out_path, sizeof(out_path), "%s/report.html", logdir);
        out = out_path;
    }
    r.db = query_open_store(db_path, logdir, path, sizeof(path));
    if (!r.db)
        return 1;
    r.path = path;
    /* One read transaction: every section sees the same rows while a sensor keeps writing. */
    sqlite3_exec(r.db, "BEGIN", NULL, NULL, NULL);
    int rc = write_report(&r, out, logdir, since_arg);
    sqlite3_exec(r.db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(r.db);
    if (rc == 0 && strcmp(out, "-") != 0)
        log_info("report written to %s", out);
    return rc;
}
