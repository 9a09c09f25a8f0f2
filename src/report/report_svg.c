/*
 * report_svg.c - the report's two drawings, written as SVG text here: an alert
 * timeline and a network map.  No layout engine and no script draw them, so
 * the page looks the same in every browser, prints, and works with scripts
 * off; the layout is deterministic (same store, same picture).
 *
 * Timeline: one lane per severity; alerts are counted into TL_BUCKETS equal
 * slices of the alerts' time span by one GROUP BY, so the drawing has at most
 * TL_BUCKETS x 3 dots whatever the number of alerts.
 *
 * Map: the MAP_NODES hosts that matter most (in a kill chain, then in any
 * alert, then by bytes) on three columns: clients (only ever initiate),
 * imaging hosts (DICOM facts in the inventory), servers (accept connections).
 * Edges aggregate the flows of one (client, server, app_proto); those of a
 * pair with an alert between them are red; each kill chain (an alert whose
 * evidence has `steps`) is a dashed path source -> each step's target, hops
 * numbered.  Hosts and edges beyond the caps are counted under the drawing.
 */
#include "report/report_int.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"

/* ------------------------------------------------------------------------------------------------------------- */
/* Timeline                                                                                                      */
/* ------------------------------------------------------------------------------------------------------------- */

#define TL_BUCKETS 96
#define TL_W       1000
#define TL_LEFT    80
#define TL_RIGHT   20
#define TL_LANE    34

static void put_clock(FILE *fp, int64_t us, bool date)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    char buf[32];
    if (!gmtime_r(&secs, &tm) || !strftime(buf, sizeof(buf), date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm))
        return;
    fputs(buf, fp);
}

void report_svg_timeline(struct report_ctx *r)
{
    FILE *fp = r->fp;
    int64_t t0 = 0, t1 = 0;
    sqlite3_stmt *st = report_prepare(r, "SELECT min(ts), max(ts) FROM alerts WHERE (?1 IS NULL OR ts >= ?1)");
    if (st && report_step(r, st)) {
        t0 = sqlite3_column_int64(st, 0);
        t1 = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (r->failed || t1 < t0)
        return;
    int64_t span = t1 > t0 ? t1 - t0 : 1;
    const int plot_w = TL_W - TL_LEFT - TL_RIGHT, h = 3 * TL_LANE + 40;
    fprintf(fp,
            "<h3>Timeline</h3>\n<svg id=\"timeline\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"alerts over time by severity\">\n",
            TL_W, h, TL_W, h);
    static const char *const lanes[3] = {"High", "Medium", "Low"};
    static const char *const colors[3] = {"#c62828", "#ef6c00", "#1565c0"};
    for (int i = 0; i < 3; i++) {
        int y = 10 + i * TL_LANE + TL_LANE / 2;
        fprintf(fp,
                "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\" fill=\"#5f6b7a\">%s</text>"
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e3e8ee\"/>\n",
                TL_LEFT - 10, y + 4, lanes[i], TL_LEFT, y, TL_W - TL_RIGHT, y);
    }
    int axis_y = 10 + 3 * TL_LANE;
    fprintf(fp, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#9aa5b1\"/>\n", TL_LEFT, axis_y,
            TL_W - TL_RIGHT, axis_y);
    for (int k = 0; k <= 4; k++) {
        double x = TL_LEFT + (double)plot_w * k / 4;
        fprintf(fp,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#9aa5b1\"/>"
                "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"%s\" fill=\"#5f6b7a\">",
                x, axis_y, x, axis_y + 5, x, axis_y + 18,
                k == 0   ? "start"
                : k == 4 ? "end"
                         : "middle");
        put_clock(fp, t0 + (int64_t)((double)span * k / 4), k == 0);
        fputs(k == 0 ? " UTC</text>\n" : "</text>\n", fp);
    }
    st = report_prepare(r, "SELECT min(?3 - 1, (ts - ?2) * ?3 / ?4) AS b, min(max(severity, 1), 3), count(*),"
                           " min(ts), max(ts) FROM alerts WHERE (?1 IS NULL OR ts >= ?1) GROUP BY b, 2 ORDER BY b, 2");
    if (st) {
        sqlite3_bind_int64(st, 2, t0);
        sqlite3_bind_int(st, 3, TL_BUCKETS);
        sqlite3_bind_int64(st, 4, span);
    }
    while (st && report_step(r, st)) {
        int64_t b = sqlite3_column_int64(st, 0);
        int sev = sqlite3_column_int(st, 1);
        int64_t n = sqlite3_column_int64(st, 2);
        if (b < 0)
            b = 0;
        double x = TL_LEFT + ((double)b + 0.5) * plot_w / TL_BUCKETS;
        if (t1 == t0)
            x = TL_LEFT + plot_w / 2.0;
        double rad = fmin(4 + 3 * sqrt((double)n), 15);
        fprintf(fp,
                "<circle class=\"tl sev%d\" cx=\"%.1f\" cy=\"%d\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.8\"><title>"
                "%lld %s alert%s, ",
                sev, x, 10 + (sev - 1) * TL_LANE + TL_LANE / 2, rad, colors[sev - 1], (long long)n, lanes[sev - 1],
                n == 1 ? "" : "s");
        put_clock(fp, sqlite3_column_int64(st, 3), true);
        if (sqlite3_column_int64(st, 4) != sqlite3_column_int64(st, 3)) {
            fputs(" to ", fp);
            put_clock(fp, sqlite3_column_int64(st, 4), false);
        }
        fputs(" UTC</title></circle>\n", fp);
    }
    sqlite3_finalize(st);
    fputs("</svg>\n", fp);
}

/* ------------------------------------------------------------------------------------------------------------- */
/* Map                                                                                                           */
/* ------------------------------------------------------------------------------------------------------------- */

#define MAP_NODES  32
#define MAP_EDGES  240
#define MAP_PAIRS  512 /* alerting (source, destination) pairs remembered */
#define MAP_CHAINS 3
#define MAP_STEPS  16
#define MAP_W      1000
#define MAP_ROW    64
#define IPLEN      64 /* an address as the store holds it; longer text is not an address and is not drawn */

enum { COL_CLIENT, COL_IMAGING, COL_SERVER, N_COLS };

struct map_node {
    char ip[IPLEN];
    char label[48]; /* first AE title or host name (raw; escaped when written) */
    double bytes;
    int64_t alerts;
    bool chain, src, dst, imaging;
    int col;
    double x, y;
};

struct map_edge {
    int a, b; /* node indices: client, server */
    char proto[16];
    int64_t flows;
    double bytes;
    bool alerting;
};

struct map_pair {
    char a[IPLEN], b[IPLEN];
};

struct map_chain {
    int n;
    int node[MAP_STEPS + 1]; /* source, then each new target */
};

struct map {
    struct map_node node[MAP_NODES];
    int n_nodes;
    struct map_edge edge[MAP_EDGES];
    int n_edges;
    int64_t edges_not_drawn;
    struct map_pair *pairs;
    int n_pairs;
    struct map_chain chain[MAP_CHAINS];
    int n_chains;
};

static int node_find(const struct map *m, const char *ip)
{
    for (int i = 0; i < m->n_nodes; i++)
        if (strcmp(m->node[i].ip, ip) == 0)
            return i;
    return -1;
}

static void copy_str(char *dst, size_t n, const char *s)
{
    size_t len = strlen(s);
    if (len >= n)
        len = n - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

static const char *const rank_sql =
    "WITH e AS (SELECT src_ip a, dest_ip b, total(bytes_toserver + bytes_toclient) v FROM flows"
    "  WHERE (?1 IS NULL OR end_ts >= ?1) GROUP BY 1, 2),"
    " ev AS (SELECT src_ip, dest_ip, CASE WHEN json_valid(evidence) THEN evidence ELSE '{}' END j,"
    "  json_valid(evidence) AND json_type(evidence, '$.steps') = 'array' c FROM alerts"
    "  WHERE (?1 IS NULL OR ts >= ?1)),"
    " al AS (SELECT src_ip ip, c FROM ev UNION ALL SELECT dest_ip, c FROM ev WHERE dest_ip IS NOT NULL"
    "  UNION ALL SELECT h.value, ev.c FROM ev, json_each(ev.j, '$.hosts') h WHERE h.type = 'text'"
    "  UNION ALL SELECT json_extract(s.value, '$.dest_ip'), ev.c FROM ev, json_each(ev.j, '$.steps') s"
    "  WHERE s.type = 'object'),"
    " h AS (SELECT a ip, v, 0 n, 0 c FROM e UNION ALL SELECT b, v, 0, 0 FROM e"
    "  UNION ALL SELECT ip, 0, 1, c FROM al WHERE ip IS NOT NULL)"
    " SELECT ip, total(v), sum(n), max(c) FROM h GROUP BY ip"
    " ORDER BY max(c) DESC, sum(n) > 0 DESC, total(v) DESC, ip LIMIT ?2";

static void load_nodes(struct report_ctx *r, struct map *m)
{
    sqlite3_stmt *st = report_prepare(r, rank_sql);
    if (st)
        sqlite3_bind_int(st, 2, MAP_NODES);
    while (st && m->n_nodes < MAP_NODES && report_step(r, st)) {
        const char *ip = report_col(st, 0);
        if (!*ip || strlen(ip) >= IPLEN)
            continue;
        struct map_node *n = &m->node[m->n_nodes++];
        memset(n, 0, sizeof(*n));
        copy_str(n->ip, sizeof(n->ip), ip);
        n->bytes = sqlite3_column_double(st, 1);
        n->alerts = sqlite3_column_int64(st, 2);
        n->chain = sqlite3_column_int(st, 3) != 0;
    }
    sqlite3_finalize(st);
}

static void load_pairs(struct report_ctx *r, struct map *m)
{
    sqlite3_stmt *st = report_prepare(
        r, "SELECT DISTINCT src_ip, dest_ip FROM alerts WHERE (?1 IS NULL OR ts >= ?1) AND dest_ip IS NOT NULL"
           " UNION SELECT a.src_ip, h.value FROM alerts a, json_each(CASE WHEN json_valid(a.evidence) THEN a.evidence"
           " ELSE '{}' END, '$.hosts') h WHERE (?1 IS NULL OR a.ts >= ?1) AND h.type = 'text'");
    while (st && report_step(r, st)) {
        const char *a = report_col(st, 0), *b = report_col(st, 1);
        int ia = node_find(m, a), ib = node_find(m, b);
        if (ib >= 0)
            m->node[ib].dst = true;
        if (ia < 0 || ib < 0 || m->n_pairs >= MAP_PAIRS)
            continue; /* only pairs that can be drawn matter */
        copy_str(m->pairs[m->n_pairs].a, IPLEN, a);
        copy_str(m->pairs[m->n_pairs].b, IPLEN, b);
        m->n_pairs++;
    }
    sqlite3_finalize(st);
}

static bool pair_alerting(const struct map *m, const char *a, const char *b)
{
    for (int i = 0; i < m->n_pairs; i++)
        if ((strcmp(m->pairs[i].a, a) == 0 && strcmp(m->pairs[i].b, b) == 0) ||
            (strcmp(m->pairs[i].a, b) == 0 && strcmp(m->pairs[i].b, a) == 0))
            return true;
    return false;
}

static void load_edges(struct report_ctx *r, struct map *m)
{
    sqlite3_stmt *st =
        report_prepare(r, "SELECT src_ip, dest_ip, coalesce(app_proto, ''), count(*),"
                          " total(bytes_toserver + bytes_toclient) FROM flows"
                          " WHERE (?1 IS NULL OR end_ts >= ?1) GROUP BY 1, 2, 3 ORDER BY 5 DESC, 1, 2, 3");
    while (st && report_step(r, st)) {
        int a = node_find(m, report_col(st, 0)), b = node_find(m, report_col(st, 1));
        if (a < 0 || b < 0 || a == b || m->n_edges >= MAP_EDGES) {
            m->edges_not_drawn++;
            continue;
        }
        struct map_edge *e = &m->edge[m->n_edges++];
        e->a = a;
        e->b = b;
        copy_str(e->proto, sizeof(e->proto), report_col(st, 2));
        e->flows = sqlite3_column_int64(st, 3);
        e->bytes = sqlite3_column_double(st, 4);
        e->alerting = pair_alerting(m, m->node[a].ip, m->node[b].ip);
        m->node[a].src = true;
        m->node[b].dst = true;
    }
    sqlite3_finalize(st);
}

/* The inventory's facts of each node: its column, its label, and a JSON record for the page's script. */
static void load_facts(struct report_ctx *r, struct map *m, struct jw *w)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT roles, ae_titles, modalities, software, os, hostnames FROM assets WHERE ip = ?1", -1,
                           &st, NULL) != SQLITE_OK) {
        r->failed = true;
        return;
    }
    static const char *const keys[6] = {"roles", "ae_titles", "modalities", "software", "os", "hostnames"};
    jw_open_obj(w, NULL);
    jw_open_arr(w, "hosts");
    for (int i = 0; i < m->n_nodes; i++) {
        struct map_node *n = &m->node[i];
        jw_open_obj(w, NULL);
        jw_str(w, "ip", n->ip);
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, n->ip, -1, SQLITE_STATIC);
        if (report_step(r, st)) {
            for (int k = 0; k < 6; k++) {
                const char *v = report_col(st, k);
                size_t len = strlen(v);
                if (len)
                    jw_strn(w, keys[k], v, len > 512 ? 512 : len);
            }
            const char *roles = report_col(st, 0), *aes = report_col(st, 1), *names = report_col(st, 5);
            n->imaging = strstr(roles, "dicom") || *aes || *report_col(st, 2);
            const char *lab = *aes ? aes : names;
            size_t len = strcspn(lab, ",");
            if (len >= sizeof(n->label))
                len = sizeof(n->label) - 1;
            memcpy(n->label, lab, len);
            n->label[len] = '\0';
        }
        char traffic[32];
        if (n->bytes >= 1e6)
            snprintf(traffic, sizeof(traffic), "%.2f MB", n->bytes / 1e6);
        else
            snprintf(traffic, sizeof(traffic), "%.1f kB", n->bytes / 1e3);
        jw_str(w, "traffic", traffic);
        jw_u64(w, "alerts", (uint64_t)(n->alerts > 0 ? n->alerts : 0));
        jw_close_obj(w);
        n->col = n->imaging ? COL_IMAGING : n->dst ? COL_SERVER : COL_CLIENT;
    }
    jw_close_arr(w);
    jw_close_obj(w);
    sqlite3_finalize(st);
}

/* Kill chains: the source, then each step's target in order (a target repeated at once counts once). */
static void load_chains(struct report_ctx *r, struct map *m)
{
    sqlite3_stmt *st = report_prepare(r, "SELECT src_ip, evidence FROM alerts WHERE (?1 IS NULL OR ts >= ?1)"
                                         " AND json_valid(evidence) AND json_type(evidence, '$.steps') = 'array'"
                                         " ORDER BY severity, ts, id LIMIT 64");
    sqlite3_stmt *steps;
    if (!st || sqlite3_prepare_v2(r->db,
                                  "SELECT json_extract(value, '$.dest_ip') FROM json_each(?1, '$.steps')"
                                  " WHERE type = 'object' LIMIT 16",
                                  -1, &steps, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return;
    }
    while (m->n_chains < MAP_CHAINS && report_step(r, st)) {
        struct map_chain c = {.n = 0};
        int src = node_find(m, report_col(st, 0));
        if (src < 0)
            continue;
        c.node[c.n++] = src;
        sqlite3_reset(steps);
        sqlite3_bind_text(steps, 1, report_col(st, 1), -1, SQLITE_TRANSIENT);
        while (c.n <= MAP_STEPS && report_step(r, steps)) {
            int d = node_find(m, report_col(steps, 0));
            if (d >= 0 && d != c.node[c.n - 1])
                c.node[c.n++] = d;
        }
        if (c.n < 2)
            continue;
        bool seen = false; /* the same chain from another run is drawn once */
        for (int i = 0; i < m->n_chains && !seen; i++)
            seen = m->chain[i].n == c.n && memcmp(m->chain[i].node, c.node, sizeof(int) * (size_t)c.n) == 0;
        if (!seen)
            m->chain[m->n_chains++] = c;
    }
    sqlite3_finalize(steps);
    sqlite3_finalize(st);
}

/* Addresses in numeric order within a column (IPv4 before IPv6); text that is not an address last, by text. */
static int addr_key(const char *ip, unsigned char key[17])
{
    memset(key, 0, 17);
    if (inet_pton(AF_INET, ip, key + 1) == 1)
        return key[0] = 4, 0;
    if (inet_pton(AF_INET6, ip, key + 1) == 1)
        return key[0] = 6, 0;
    key[0] = 0xff;
    return -1;
}

static int node_cmp(const void *pa, const void *pb)
{
    const struct map_node *a = *(const struct map_node *const *)pa, *b = *(const struct map_node *const *)pb;
    unsigned char ka[17], kb[17];
    addr_key(a->ip, ka);
    addr_key(b->ip, kb);
    int c = memcmp(ka, kb, sizeof(ka));
    return c ? c : strcmp(a->ip, b->ip);
}

static int layout(struct map *m)
{
    struct map_node *col[N_COLS][MAP_NODES];
    int n[N_COLS] = {0}, used = 0, most = 0;
    for (int i = 0; i < m->n_nodes; i++)
        col[m->node[i].col][n[m->node[i].col]++] = &m->node[i];
    for (int c = 0; c < N_COLS; c++) {
        used += n[c] > 0;
        if (n[c] > most)
            most = n[c];
    }
    int height = 50 + most * MAP_ROW + 20, k = 0;
    for (int c = 0; c < N_COLS; c++) {
        if (!n[c])
            continue;
        qsort(col[c], (size_t)n[c], sizeof(col[c][0]), node_cmp);
        double x = 60 + (MAP_W - 220) * (used == 1 ? 0.5 : (double)k / (used - 1));
        for (int i = 0; i < n[c]; i++) {
            col[c][i]->x = x;
            col[c][i]->y = 50 + (height - 70) * (i + 0.5) / n[c];
        }
        k++;
    }
    return height;
}

static const char *proto_color(const char *p)
{
    static const struct {
        const char *name, *color;
    } colors[] = {
        {"dicom", "#00897b"}, {"smb", "#7b1fa2"}, {"dcerpc", "#5e35b1"}, {"http", "#1e88e5"},
        {"hl7", "#f9a825"},   {"dns", "#8d6e63"}, {"tls", "#546e7a"},
    };
    for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
        if (strcmp(p, colors[i].name) == 0)
            return colors[i].color;
    return "#9e9e9e";
}

static void draw_edge(FILE *fp, const struct map *m, int i)
{
    const struct map_edge *e = &m->edge[i];
    const struct map_node *a = &m->node[e->a], *b = &m->node[e->b];
    int slot = 0; /* edges between the same two hosts fan out instead of covering each other */
    for (int j = 0; j < i; j++)
        slot += (m->edge[j].a == e->a && m->edge[j].b == e->b) || (m->edge[j].a == e->b && m->edge[j].b == e->a);
    double dx = b->x - a->x, dy = b->y - a->y, len = sqrt(dx * dx + dy * dy);
    if (len < 1)
        len = 1;
    double off = (a->col == b->col ? 70 : 0) + 22.0 * slot;
    double cx = (a->x + b->x) / 2 - dy / len * off, cy = (a->y + b->y) / 2 + dx / len * off;
    double w = 1.2 + fmin(5, log10(1 + e->bytes) / 2);
    fprintf(fp, "<path class=\"edge%s\" data-a=\"", e->alerting ? " alerting" : "");
    html_text(fp, a->ip, 0);
    fputs("\" data-b=\"", fp);
    html_text(fp, b->ip, 0);
    fprintf(fp, "\" d=\"M%.1f %.1fQ%.1f %.1f %.1f %.1f\" stroke=\"%s\" stroke-width=\"%.1f\"><title>", a->x, a->y, cx,
            cy, b->x, b->y, e->alerting ? "#c62828" : proto_color(e->proto), w);
    html_text(fp, a->ip, 0);
    fputs(" \u2192 ", fp);
    html_text(fp, b->ip, 0);
    fputs(" ", fp);
    html_text(fp, *e->proto ? e->proto : "other", 0);
    fprintf(fp, ": %lld flow%s, ", (long long)e->flows, e->flows == 1 ? "" : "s");
    html_bytes(fp, (uint64_t)e->bytes);
    fputs(e->alerting ? "; alerts between these hosts" : "", fp);
    fputs("</title></path>\n", fp);
    if (e->alerting || m->n_edges <= 40) {
        double lx = 0.25 * a->x + 0.5 * cx + 0.25 * b->x, ly = 0.25 * a->y + 0.5 * cy + 0.25 * b->y;
        fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\" fill=\"%s\">", lx, ly - 3,
                e->alerting ? "#c62828" : "#5f6b7a");
        html_text(fp, *e->proto ? e->proto : "other", 0);
        fputs("</text>\n", fp);
    }
}

static void draw_node(FILE *fp, const struct map *m, int i)
{
    static const char *const fill[N_COLS] = {"#546e7a", "#00897b", "#1565c0"};
    const struct map_node *n = &m->node[i];
    fprintf(fp, "<g class=\"node%s\" data-i=\"%d\" transform=\"translate(%.1f %.1f)\"><circle r=\"11\" fill=\"%s\"/>",
            n->alerts ? " hot" : "", i, n->x, n->y, fill[n->col]);
    fputs("<text class=\"ip\" x=\"16\" y=\"-1\">", fp);
    html_text(fp, n->ip, 40);
    fputs("</text>", fp);
    if (*n->label) {
        fputs("<text x=\"16\" y=\"13\">", fp);
        html_text(fp, n->label, 22);
        fputs("</text>", fp);
    }
    fputs("<title>", fp);
    html_text(fp, n->ip, 0);
    if (*n->label) {
        fputs(" ", fp);
        html_text(fp, n->label, 0);
    }
    fprintf(fp, " (%lld alert%s; click for details)</title></g>\n", (long long)n->alerts, n->alerts == 1 ? "" : "s");
}

static void draw_chain(FILE *fp, const struct map *m, const struct map_chain *c, int which)
{
    /* Each hop bows to the side opposite the edges' fan-out, so the red edge under it stays visible; a second
     * chain over the same hosts bows further. */
    double off = -(40.0 + 18.0 * which);
    for (int k = 0; k + 1 < c->n; k++) {
        const struct map_node *a = &m->node[c->node[k]], *b = &m->node[c->node[k + 1]];
        double dx = b->x - a->x, dy = b->y - a->y, len = sqrt(dx * dx + dy * dy);
        if (len < 30)
            continue;
        double ux = dx / len, uy = dy / len;
        double cx = (a->x + b->x) / 2 - uy * off, cy = (a->y + b->y) / 2 + ux * off;
        /* start and end on the circles' rims, aimed at the control point */
        double sx = cx - a->x, sy = cy - a->y, sl = sqrt(sx * sx + sy * sy);
        double ex = cx - b->x, ey = cy - b->y, el = sqrt(ex * ex + ey * ey);
        double x1 = a->x + sx / sl * 14, y1 = a->y + sy / sl * 14, x2 = b->x + ex / el * 16, y2 = b->y + ey / el * 16;
        fprintf(fp, "<path class=\"chain\" d=\"M%.1f %.1fQ%.1f %.1f %.1f %.1f\" marker-end=\"url(#chain-arrow)\"/>\n",
                x1, y1, cx, cy, x2, y2);
        double mx = 0.25 * x1 + 0.5 * cx + 0.25 * x2, my = 0.25 * y1 + 0.5 * cy + 0.25 * y2;
        fprintf(fp,
                "<g class=\"chainstep\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"9\" fill=\"#111\"/><text x=\"%.1f\" "
                "y=\"%.1f\" text-anchor=\"middle\" fill=\"#fff\" font-size=\"11\">%d</text></g>\n",
                mx, my, mx, my + 4, k + 1);
    }
}

/* The chain alerts' steps as text under the map: what happened, in order. */
static void chain_text(struct report_ctx *r)
{
    FILE *fp = r->fp;
    sqlite3_stmt *st = report_prepare(r, "SELECT src_ip, evidence, signature, ts FROM alerts WHERE"
                                         " (?1 IS NULL OR ts >= ?1) AND json_valid(evidence)"
                                         " AND json_type(evidence, '$.steps') = 'array'"
                                         " GROUP BY src_ip, json_extract(evidence, '$.steps')"
                                         " ORDER BY severity, min(ts), min(id) LIMIT 3");
    sqlite3_stmt *steps;
    if (!st || sqlite3_prepare_v2(r->db,
                                  "SELECT json_extract(value, '$.timestamp'), json_extract(value, '$.signature'),"
                                  " json_extract(value, '$.dest_ip'), json_extract(value, '$.what')"
                                  " FROM json_each(?1, '$.steps') WHERE type = 'object' LIMIT 16",
                                  -1, &steps, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return;
    }
    while (report_step(r, st)) {
        const char *sig = report_col(st, 2);
        if (strncmp(sig, "MEDSENTRY ", 10) == 0 && sig[10])
            sig += 10;
        fputs("<div class=\"killchain\"><h3>Kill chain: ", fp);
        html_text(fp, sig, 160);
        fputs("</h3><ol><li>source <b>", fp);
        html_text(fp, report_col(st, 0), 0);
        fputs("</b></li>", fp);
        sqlite3_reset(steps);
        sqlite3_bind_text(steps, 1, report_col(st, 1), -1, SQLITE_TRANSIENT);
        while (report_step(r, steps)) {
            const char *ssig = report_col(steps, 1);
            if (strncmp(ssig, "MEDSENTRY ", 10) == 0 && ssig[10])
                ssig += 10;
            fputs("<li>", fp);
            html_text(fp, report_col(steps, 0), 40);
            fputs(" &middot; ", fp);
            html_text(fp, ssig, 160);
            fputs(" &rarr; <b>", fp);
            html_text(fp, report_col(steps, 2), 0);
            fputs("</b>", fp);
            if (*report_col(steps, 3)) {
                fputs(": ", fp);
                html_text(fp, report_col(steps, 3), 200);
            }
            fputs("</li>", fp);
        }
        fputs("</ol></div>\n", fp);
    }
    sqlite3_finalize(steps);
    sqlite3_finalize(st);
}

void report_svg_map(struct report_ctx *r)
{
    FILE *fp = r->fp;
    struct map *m = calloc(1, sizeof(*m));
    struct jw w;
    jw_init(&w);
    fputs("<section id=\"network\"><h2>Network</h2>\n", fp);
    if (m)
        m->pairs = calloc(MAP_PAIRS, sizeof(*m->pairs));
    if (!m || !m->pairs) {
        fputs("<p class=\"none\">Not enough memory to draw the map.</p>\n", fp);
        r->failed = true;
        goto out;
    }
    int64_t hosts = 0;
    sqlite3_stmt *st =
        report_prepare(r, "SELECT count(*) FROM (SELECT src_ip FROM flows WHERE (?1 IS NULL OR end_ts >= ?1)"
                          " UNION SELECT dest_ip FROM flows WHERE (?1 IS NULL OR end_ts >= ?1))");
    if (st && report_step(r, st))
        hosts = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    load_nodes(r, m);
    load_pairs(r, m);
    load_edges(r, m);
    load_facts(r, m, &w);
    load_chains(r, m);
    if (r->failed)
        goto out;
    if (!m->n_nodes) {
        fputs("<p class=\"none\">No flows in these runs.</p>\n", fp);
        goto out;
    }
    int height = layout(m);
    fputs("<p class=\"sub\">Who talks to whom: clients on the left, imaging (DICOM) hosts in the middle, servers on "
          "the right; one line per (client, server, protocol), thicker for more bytes. Red: alerts between the two "
          "hosts. Dashed and numbered: a kill chain. Click a host for what the inventory knows of it.</p>\n",
          fp);
    fprintf(fp,
            "<div class=\"mapwrap\"><svg id=\"map\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
            "aria-label=\"network map\">\n",
            MAP_W, height, MAP_W, height);
    fputs("<defs><marker id=\"chain-arrow\" viewBox=\"0 0 10 10\" refX=\"8\" refY=\"5\" markerWidth=\"7\" "
          "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" "
          "fill=\"#111\"/></marker></defs>\n",
          fp);
    static const char *const heads[N_COLS] = {"Clients", "Imaging (DICOM)", "Servers"};
    bool col_used[N_COLS] = {false};
    double col_x[N_COLS] = {0};
    for (int i = 0; i < m->n_nodes; i++) {
        col_used[m->node[i].col] = true;
        col_x[m->node[i].col] = m->node[i].x;
    }
    for (int c = 0; c < N_COLS; c++)
        if (col_used[c])
            fprintf(fp, "<text x=\"%.1f\" y=\"22\" font-size=\"13\" font-weight=\"600\" fill=\"#5f6b7a\">%s</text>\n",
                    col_x[c] - 11, heads[c]);
    for (int pass = 0; pass < 2; pass++) /* alerting edges on top */
        for (int i = 0; i < m->n_edges; i++)
            if (m->edge[i].alerting == (pass == 1))
                draw_edge(fp, m, i);
    for (int i = 0; i < m->n_chains; i++)
        draw_chain(fp, m, &m->chain[i], i);
    for (int i = 0; i < m->n_nodes; i++)
        draw_node(fp, m, i);
    fputs("</svg>\n<dl id=\"hostinfo\"><dt>Host</dt><dd>click a host on the map</dd></dl></div>\n", fp);

    /* Legend: the protocols drawn */
    fputs("<p class=\"legend\">", fp);
    static const char *const protos[] = {"dicom", "smb", "dcerpc", "http", "hl7", "dns", "tls", ""};
    for (size_t k = 0; k < sizeof(protos) / sizeof(protos[0]); k++) {
        bool any = false;
        for (int i = 0; i < m->n_edges && !any; i++)
            any = strcmp(proto_color(m->edge[i].proto), proto_color(protos[k])) == 0;
        if (any)
            fprintf(fp, "<span style=\"color:%s\">&#9644;</span> %s &nbsp; ", proto_color(protos[k]),
                    *protos[k] ? protos[k] : "other");
    }
    fputs("<span style=\"color:#c62828\">&#9644;</span> alerting &nbsp; <b>- - &rarr;</b> kill chain</p>\n", fp);
    if (hosts > m->n_nodes || m->edges_not_drawn)
        fprintf(fp,
                "<p class=\"more\">%lld of %lld hosts drawn (those in alerts first, then by bytes); %lld "
                "(client, server, protocol) edges to hosts not drawn are left out.</p>\n",
                (long long)m->n_nodes, (long long)(hosts > m->n_nodes ? hosts : m->n_nodes),
                (long long)m->edges_not_drawn);
    chain_text(r);
out:
    /* The script reads this block even when nothing is drawn. */
    fputs("<script type=\"application/json\" id=\"map-data\">", fp);
    if (!w.err && w.len)
        html_script_json(fp, w.buf, w.len);
    else
        fputs("{\"hosts\":[]}", fp);
    fputs("</script>\n</section>\n", fp);
    jw_free(&w);
    if (m)
        free(m->pairs);
    free(m);
}
