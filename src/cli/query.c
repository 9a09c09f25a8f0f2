/*
 * query.c - `medsentry alerts` and `medsentry assets`: the store read back
 * for a person (an aligned table) or a program (--json, one object a line).
 *
 *   medsentry alerts -l DIR [--since T] [--severity N] [--host IP] [--limit N] [--json]
 *   medsentry assets -l DIR [--role R] [--json]
 *
 * The store is opened read-only and checked first (store_open_readonly): a
 * file that is not a medsentry store or has a newer schema is one error line
 * naming it, exit 1.  A table is printed in two passes over one read
 * transaction (widths, then rows), so memory does not grow with the store.
 * Everything in a cell came off the wire: control characters and invalid
 * UTF-8 are shown as '?', so a hostile AE title cannot drive the terminal.
 */
#include "cli/query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "output/sqlite.h"

bool query_is_command(const char *name)
{
    return strcmp(name, "alerts") == 0 || strcmp(name, "assets") == 0;
}

/* ------------------------------------------------------------------------------------------------------------- */
/* --since                                                                                                       */
/* ------------------------------------------------------------------------------------------------------------- */

static int parse_relative(const char *s, uint64_t now_us, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (end == s || errno || end[0] == '\0' || end[1] != '\0' || s[0] == '-' || s[0] == '+')
        return -1;
    uint64_t unit;
    switch (end[0]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return -1;
    }
    if (n > (now_us / 1000000) / unit)
        *out = 0; /* before the epoch: everything */
    else
        *out = now_us - (uint64_t)n * unit * 1000000;
    return 0;
}

/* Exactly n digits at *p into *v; advances *p. */
static bool digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return false;
        *v = *v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return true;
}

static int parse_iso(const char *s, uint64_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    uint32_t us = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' || !digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                uint32_t scale = 100000;
                if (*p < '0' || *p > '9')
                    return -1;
                for (; *p >= '0' && *p <= '9'; p++) {
                    us += (uint32_t)(*p - '0') * scale;
                    scale /= 10;
                }
            }
        }
    }
    long offset = 0; /* seconds east of UTC */
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
        if (!digits(&p, 2, &oh))
            return -1;
        if (*p == ':')
            p++;
        if (*p && !digits(&p, 2, &om))
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600L + om * 60L);
    }
    if (*p != '\0')
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || t - offset < 0)
        return -1;
    *out = (uint64_t)(t - offset) * 1000000u + us;
    return 0;
}

int query_parse_since(const char *s, uint64_t now_us, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    if (parse_relative(s, now_us, out) == 0)
        return 0;
    return parse_iso(s, out);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Cells: sanitised, measured in characters, cut with an ellipsis                                                */
/* ------------------------------------------------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at s (1-4) if it is valid and not a control character, else 0. */
static int utf8_printable(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x20 || c == 0x7f)
        return 0;
    if (c < 0x80)
        return 1;
    int n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (!n)
        return 0;
    uint32_t cp = c & (0x3f >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff) ||
        (cp >= 0x80 && cp <= 0x9f))
        return 0; /* overlong, out of range, surrogate, C1 control */
    return n;
}

/* Characters s shows as. */
static int cell_width(const char *s)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; w++) {
        int n = utf8_printable(p);
        p += n ? n : 1;
    }
    return w;
}

/* Print s in exactly width characters (padded unless last): cut with "…" when longer. */
static void cell_put(FILE *fp, const char *s, int width, bool last)
{
    int w = cell_width(s), shown = 0;
    int keep = w > width ? width - 1 : w;
    for (const unsigned char *p = (const unsigned char *)s; *p && shown < keep; shown++) {
        int n = utf8_printable(p);
        if (n)
            fwrite(p, 1, (size_t)n, fp);
        else
            fputc('?', fp);
        p += n ? n : 1;
    }
    if (w > width && width > 0) {
        fputs("\u2026", fp);
        shown++;
    }
    if (!last)
        for (; shown < width; shown++)
            fputc(' ', fp);
}

#define MAX_COLS 10

struct table {
    int n;
    const char *head[MAX_COLS];
    int max[MAX_COLS]; /* widest a column may be */
    int min[MAX_COLS]; /* narrowest it may be cut to for a narrow terminal */
    int width[MAX_COLS];
};

static void table_measure(struct table *t, const char *const *cells)
{
    for (int c = 0; c < t->n; c++) {
        int w = cell_width(cells[c]);
        if (w > t->width[c])
            t->width[c] = w;
    }
}

/* Cap every column at its maximum; on a terminal, narrow the widest columns until a row fits its width. */
static void table_fit(struct table *t, bool tty)
{
    int total = 0;
    for (int c = 0; c < t->n; c++) {
        int hw = cell_width(t->head[c]);
        if (t->width[c] < hw)
            t->width[c] = hw;
        if (t->width[c] > t->max[c])
            t->width[c] = t->max[c];
        total += t->width[c] + (c ? 2 : 0);
    }
    struct winsize ws;
    if (!tty || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0)
        return;
    while (total > ws.ws_col) {
        int best = -1;
        for (int c = 0; c < t->n; c++)
            if (t->width[c] > t->min[c] && (best < 0 || t->width[c] - t->min[c] > t->width[best] - t->min[best]))
                best = c;
        if (best < 0)
            break;
        t->width[best]--;
        total--;
    }
}

static void table_row(const struct table *t, const char *const *cells)
{
    for (int c = 0; c < t->n; c++) {
        if (c)
            fputs("  ", stdout);
        cell_put(stdout, cells[c], t->width[c], c == t->n - 1);
    }
    fputc('\n', stdout);
}

static void fmt_time(char *buf, size_t n, int64_t us)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    if (us < 0 || !gmtime_r(&secs, &tm)) {
        snprintf(buf, n, "-");
        return;
    }
    strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s && *s ? (const char *)s : "-";
}

/* "10.0.0.5:445", "[fe80::1]:445", "10.0.0.5" */
static void fmt_endpoint(char *buf, size_t n, const char *ip, int port)
{
    if (port <= 0)
        snprintf(buf, n, "%s", ip);
    else if (strchr(ip, ':'))
        snprintf(buf, n, "[%s]:%d", ip, port);
    else
        snprintf(buf, n, "%s:%d", ip, port);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* alerts                                                                                                        */
/* ------------------------------------------------------------------------------------------------------------- */

struct alert_query {
    bool json;
    bool have_since, have_host;
    uint64_t since_us;
    int severity; /* 0 = any */
    char host[INET6_ADDRSTRLEN];
    long long limit; /* -1 = all */
};

static const char *severity_name(int s)
{
    return s == 1 ? "1 high" : s == 2 ? "2 medium" : s == 3 ? "3 low" : NULL;
}

static void alert_cells(sqlite3_stmt *st, char bufs[5][200], const char *cells[5])
{
    int sev = sqlite3_column_int(st, 5);
    const char *sn = severity_name(sev);
    if (sn)
        snprintf(bufs[0], sizeof(bufs[0]), "%s", sn);
    else
        snprintf(bufs[0], sizeof(bufs[0]), "%d", sev);
    snprintf(bufs[1], sizeof(bufs[1]), "%lld", (long long)sqlite3_column_int64(st, 2));
    char src[80], dst[80];
    fmt_endpoint(src, sizeof(src), col_text(st, 6), sqlite3_column_int(st, 7));
    if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
        fmt_endpoint(dst, sizeof(dst), col_text(st, 8), sqlite3_column_int(st, 9));
    } else {
        int hosts = sqlite3_column_int(st, 15);
        snprintf(dst, sizeof(dst), hosts > 1 ? "%d hosts" : "-", hosts);
    }
    snprintf(bufs[2], sizeof(bufs[2]), "%s \u2192 %s", src, dst);
    fmt_time(bufs[3], sizeof(bufs[3]), sqlite3_column_int64(st, 1));
    cells[0] = bufs[0];
    cells[1] = bufs[1];
    /* Every signature name starts with "MEDSENTRY " (as Suricata's rule sets prefix theirs); in a table of our own
     * alerts it only takes room from the name.  --json keeps it. */
    const char *sig = col_text(st, 3);
    cells[2] = strncmp(sig, "MEDSENTRY ", 10) == 0 && sig[10] ? sig + 10 : sig;
    cells[3] = bufs[2];
    cells[4] = bufs[3];
}

static void alert_json(struct jw *w, sqlite3_stmt *st)
{
    jw_reset(w);
    jw_open_obj(w, NULL);
    jw_ts(w, "timestamp", (uint64_t)sqlite3_column_int64(st, 1));
    if (sqlite3_column_type(st, 12) != SQLITE_NULL)
        jw_u64(w, "flow_id", (uint64_t)sqlite3_column_int64(st, 12));
    jw_str(w, "event_type", "alert");
    jw_str(w, "src_ip", (const char *)sqlite3_column_text(st, 6));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL)
        jw_u64(w, "src_port", (uint64_t)sqlite3_column_int64(st, 7));
    if (sqlite3_column_type(st, 8) != SQLITE_NULL)
        jw_str(w, "dest_ip", (const char *)sqlite3_column_text(st, 8));
    if (sqlite3_column_type(st, 9) != SQLITE_NULL)
        jw_u64(w, "dest_port", (uint64_t)sqlite3_column_int64(st, 9));
    if (sqlite3_column_type(st, 10) != SQLITE_NULL)
        jw_str(w, "proto", (const char *)sqlite3_column_text(st, 10));
    if (sqlite3_column_type(st, 11) != SQLITE_NULL)
        jw_str(w, "app_proto", (const char *)sqlite3_column_text(st, 11));
    jw_open_obj(w, "alert");
    jw_u64(w, "signature_id", (uint64_t)sqlite3_column_int64(st, 2));
    jw_str(w, "signature", (const char *)sqlite3_column_text(st, 3));
    jw_str(w, "category", (const char *)sqlite3_column_text(st, 4));
    jw_u64(w, "severity", (uint64_t)sqlite3_column_int64(st, 5));
    jw_close_obj(w);
    const char *ev = (const char *)sqlite3_column_text(st, 13); /* NULL unless json_valid() */
    if (ev)
        jw_raw(w, "evidence", ev, strlen(ev));
    jw_u64(w, "run_id", (uint64_t)sqlite3_column_int64(st, 0));
    jw_str(w, "sensor", (const char *)sqlite3_column_text(st, 14));
    jw_close_obj(w);
}

static int query_alerts(sqlite3 *db, const char *path, const struct alert_query *q)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT a.run_id, a.ts, a.signature_id, a.signature, a.category, a.severity, a.src_ip, a.src_port,"
             " a.dest_ip, a.dest_port, a.proto, a.app_proto, a.flow_id,"
             " CASE WHEN json_valid(a.evidence) THEN a.evidence END, r.sensor,"
             " CASE WHEN json_valid(a.evidence) THEN json_array_length(a.evidence, '$.hosts') END"
             " FROM alerts a LEFT JOIN runs r ON r.id = a.run_id"
             " WHERE (?1 IS NULL OR a.ts >= ?1) AND (?2 IS NULL OR a.severity <= ?2)"
             " AND (?3 IS NULL OR a.src_ip = ?3 OR a.dest_ip = ?3)"
             " ORDER BY a.ts DESC, a.id DESC LIMIT ?4");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("%s: cannot read the alerts: %s", path, sqlite3_errmsg(db));
        return 1;
    }
    if (q->have_since)
        sqlite3_bind_int64(st, 1, (sqlite3_int64)q->since_us);
    if (q->severity)
        sqlite3_bind_int(st, 2, q->severity);
    if (q->have_host)
        sqlite3_bind_text(st, 3, q->host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, q->limit);

    struct table t = {.n = 5,
                      .head = {"SEVERITY", "SID", "SIGNATURE", "SOURCE \u2192 DESTINATION", "TIME (UTC)"},
                      .max = {8, 10, 72, 96, 19},
                      .min = {8, 7, 24, 31, 19}};
    char bufs[5][200];
    const char *cells[5];
    struct jw w;
    jw_init(&w);
    int rc, rows = 0;
    bool tty = isatty(STDOUT_FILENO);
    for (int pass = q->json ? 1 : 0; pass < 2; pass++) {
        sqlite3_reset(st);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (q->json) {
                alert_json(&w, st);
                if (!w.err)
                    printf("%.*s\n", (int)w.len, w.buf);
                continue;
            }
            alert_cells(st, bufs, cells);
            if (pass == 0) {
                table_measure(&t, cells);
                rows++;
            } else {
                table_row(&t, cells);
            }
        }
        if (rc != SQLITE_DONE)
            break;
        if (pass == 0) {
            if (!rows) {
                fprintf(tty ? stdout : stderr, "no alerts in %s%s\n", path,
                        q->have_since || q->severity || q->have_host ? " match" : "");
                break;
            }
            table_fit(&t, tty);
            table_row(&t, t.head);
        }
    }
    jw_free(&w);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("%s: cannot read the alerts: %s", path, sqlite3_errmsg(db));
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------- */
/* assets                                                                                                        */
/* ------------------------------------------------------------------------------------------------------------- */

static const char *const role_words[] = {"dicom", "dicom-scu",  "dicom-scp",  "scu",    "scp",
                                         "smb",   "smb-client", "smb-server", "client", "server"};

/* Does the comma-separated role list hold r: an item ("dicom-scp"), its protocol ("dicom") or its part ("scp")? */
static bool roles_match(const char *roles, const char *r)
{
    size_t rl = strlen(r);
    for (const char *p = roles; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *dash = memchr(p, '-', n);
        if (n == rl && strncasecmp(p, r, n) == 0)
            return true;
        if (dash && (size_t)(dash - p) == rl && strncasecmp(p, r, rl) == 0)
            return true;
        if (dash && n - (size_t)(dash - p) - 1 == rl && strncasecmp(dash + 1, r, rl) == 0)
            return true;
        p += n + (end != NULL);
    }
    return false;
}

static int query_assets(sqlite3 *db, const char *path, const char *role, bool json)
{
    /* Imaging hosts (a DICOM role) first, then the others, each in order of first sight. */
    static const char sql[] = "SELECT ip, roles, ae_titles, modalities, software, os, hostnames, first_seen, last_seen,"
                              " CASE WHEN json_valid(json) THEN json END"
                              " FROM assets ORDER BY instr(roles, 'dicom') = 0, first_seen, ip";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("%s: cannot read the assets: %s", path, sqlite3_errmsg(db));
        return 1;
    }
    struct table t = {
        .n = 9,
        .head = {"IP", "ROLES", "AE TITLES", "MODALITY", "SOFTWARE", "OS", "HOST NAMES", "FIRST SEEN (UTC)",
                 "LAST SEEN (UTC)"},
        .max = {39, 32, 40, 16, 24, 40, 32, 19, 19},
        .min = {15, 9, 9, 8, 8, 6, 10, 19, 19}, /* times are never cut */
    };
    char first[32], last[32];
    const char *cells[9];
    int rc, rows = 0;
    bool tty = isatty(STDOUT_FILENO);
    for (int pass = json ? 1 : 0; pass < 2; pass++) {
        sqlite3_reset(st);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *roles = (const char *)sqlite3_column_text(st, 1);
            if (role && !roles_match(roles ? roles : "", role))
                continue;
            if (json) {
                const char *j = (const char *)sqlite3_column_text(st, 9);
                if (j)
                    printf("%s\n", j);
                continue;
            }
            for (int c = 0; c < 7; c++)
                cells[c] = col_text(st, c);
            fmt_time(first, sizeof(first), sqlite3_column_int64(st, 7));
            fmt_time(last, sizeof(last), sqlite3_column_int64(st, 8));
            cells[7] = first;
            cells[8] = last;
            if (pass == 0) {
                table_measure(&t, cells);
                rows++;
            } else {
                table_row(&t, cells);
            }
        }
        if (rc != SQLITE_DONE)
            break;
        if (pass == 0) {
            if (!rows) {
                fprintf(tty ? stdout : stderr, "no assets in %s%s\n", path, role ? " match" : "");
                break;
            }
            table_fit(&t, tty);
            table_row(&t, t.head);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        log_error("%s: cannot read the assets: %s", path, sqlite3_errmsg(db));
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------------------- */
/* the command line                                                                                              */
/* ------------------------------------------------------------------------------------------------------------- */

static void query_usage(FILE *fp, const char *cmd)
{
    if (strcmp(cmd, "alerts") == 0)
        fprintf(fp, "usage: medsentry alerts [-l DIR] [--since T] [--severity N] [--host IP] [--limit N] [--json]\n"
                    "\n"
                    "The alerts kept in DIR/medsentry.db, newest first.\n"
                    "\n"
                    "  -l DIR          log directory of the runs (default: current directory)\n"
                    "  --db FILE       the store itself (default: DIR/medsentry.db)\n"
                    "  --since T       from T on: 7d, 24h, 30m, 90s, 2w before now, or an ISO 8601 date or time\n"
                    "                  (2026-11-29, 2026-11-29T16:17:29, ...+01:00; UTC without an offset)\n"
                    "  --severity N    severity N or more severe (1 high, 2 medium, 3 low)\n"
                    "  --host IP       alerts from or to IP\n"
                    "  --limit N       at most N alerts\n"
                    "  --json          one JSON object per line (EVE's alert shape) instead of a table\n");
    else
        fprintf(fp, "usage: medsentry assets [-l DIR] [--role R] [--json]\n"
                    "\n"
                    "The hosts kept in DIR/medsentry.db: imaging (DICOM) hosts first, each in order of first sight.\n"
                    "\n"
                    "  -l DIR          log directory of the runs (default: current directory)\n"
                    "  --db FILE       the store itself (default: DIR/medsentry.db)\n"
                    "  --role R        hosts with role R: dicom, dicom-scu, dicom-scp, scu, scp, smb, smb-client,\n"
                    "                  smb-server, client, server\n"
                    "  --json          one JSON object per line (the record as in assets.json) instead of a table\n");
}

sqlite3 *query_open_store(const char *db_path, const char *logdir, char *path, size_t pathlen)
{
    if (db_path)
        snprintf(path, pathlen, "%s", db_path);
    else
        snprintf(path, pathlen, "%s/medsentry.db", logdir);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        log_error("%s: %s (a run with -l %s writes it)", path, strerror(errno), db_path ? "DIR" : logdir);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        log_error("%s: not a medsentry store (not a regular file)", path);
        return NULL;
    }
    char err[1400];
    sqlite3 *db = store_open_readonly(path, err, sizeof(err));
    if (!db)
        log_error("%s", err);
    return db;
}

int query_main(int argc, char **argv)
{
    const char *cmd = argv[0];
    bool alerts = strcmp(cmd, "alerts") == 0;
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"json", no_argument, NULL, 'j'},
        {"since", required_argument, NULL, 's'},
        {"severity", required_argument, NULL, 'S'},
        {"host", required_argument, NULL, 'H'},
        {"role", required_argument, NULL, 'R'},
        {"limit", required_argument, NULL, 'n'},
        {"db", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    struct alert_query q = {.limit = -1};
    const char *logdir = ".", *db_path = NULL, *role = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+l:h", longopts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'l': logdir = optarg; break;
        case 'd': db_path = optarg; break;
        case 'h': query_usage(stdout, cmd); return 0;
        case 'j': q.json = true; break;
        case 's': {
            struct timeval tv;
            gettimeofday(&tv, NULL);
            uint64_t now = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
            if (!alerts || query_parse_since(optarg, now, &q.since_us) < 0) {
                log_error("--since %s: %s", optarg,
                          alerts ? "expected 7d, 24h, 30m, 90s, 2w or an ISO 8601 date or time (2026-11-29T16:17)"
                                 : "only for medsentry alerts");
                return 2;
            }
            q.have_since = true;
            break;
        }
        case 'S':
            errno = 0;
            q.severity = (int)strtol(optarg, &end, 10);
            if (!alerts || errno || end == optarg || *end || q.severity < 1 || q.severity > 255) {
                log_error("--severity %s: %s", optarg,
                          alerts ? "expected a number from 1 (high) to 3 (low)" : "only for medsentry alerts");
                return 2;
            }
            break;
        case 'H': {
            unsigned char b[16];
            int fam = strchr(optarg, ':') ? AF_INET6 : AF_INET;
            if (!alerts || inet_pton(fam, optarg, b) != 1) {
                log_error("--host %s: %s", optarg,
                          alerts ? "expected an IPv4 or IPv6 address" : "only for medsentry alerts");
                return 2;
            }
            inet_ntop(fam, b, q.host, sizeof(q.host)); /* the form the store holds (eve.json's) */
            q.have_host = true;
            break;
        }
        case 'n':
            errno = 0;
            q.limit = strtoll(optarg, &end, 10);
            if (!alerts || errno || end == optarg || *end || q.limit < 0) {
                log_error("--limit %s: %s", optarg, alerts ? "expected a number" : "only for medsentry alerts");
                return 2;
            }
            break;
        case 'R': {
            bool known = false;
            for (size_t i = 0; i < sizeof(role_words) / sizeof(role_words[0]); i++)
                known |= strcasecmp(optarg, role_words[i]) == 0;
            if (alerts || !known) {
                log_error("--role %s: %s", optarg,
                          alerts ? "only for medsentry assets"
                                 : "expected dicom, dicom-scu, dicom-scp, scu, scp, smb, smb-client, smb-server, "
                                   "client or server");
                return 2;
            }
            role = optarg;
            break;
        }
        case '?':
        default:
            if (optopt)
                log_error("medsentry %s: option -%c: %s (see medsentry %s --help)", cmd, optopt,
                          optopt == 'l' ? "needs an argument" : "unknown option", cmd);
            else
                log_error("medsentry %s: %s: unknown option or missing argument (see medsentry %s --help)", cmd,
                          argv[optind - 1], cmd);
            return 2;
        }
    }
    if (optind < argc) {
        log_error("medsentry %s: unexpected argument '%s' (see medsentry %s --help)", cmd, argv[optind], cmd);
        return 2;
    }

    char path[1100];
    sqlite3 *db = query_open_store(db_path, logdir, path, sizeof(path));
    if (!db)
        return 1;
    /* One read transaction: both passes of a table see the same rows while a sensor keeps writing. */
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    int rc = alerts ? query_alerts(db, path, &q) : query_assets(db, path, role, q.json);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);
    if (fflush(stdout) != 0 && rc == 0)
        rc = 1;
    return rc;
}
