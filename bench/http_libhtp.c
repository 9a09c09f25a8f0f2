/*
 * http_libhtp.c - medsentry's HTTP parser against OISF's libhtp (Debian libhtp-dev 0.5.42) on the same streams:
 * agreement per transaction (method, URI, status, Host) and time.  Not part of the build or of the tests; it
 * produced the numbers in docs/DESIGN.md (HTTP, "libhtp or our own parser").
 *
 *   build/medsentry -r CAPTURE -l /tmp/x --dump-streams DIR      (once per HTTP capture, same DIR)
 *   cc -O2 -std=c11 -D_DEFAULT_SOURCE -Isrc -o build/http_libhtp bench/http_libhtp.c \
 *      $(find build/release/src -name "*.o" ! -name main.o) \
 *      -lhtp -lpcap -lyaml -lcrypto -lxxhash -lm
 *   build/http_libhtp DIR ITERATIONS
 *
 * Each flow's to-server bytes are fed first, then its to-client bytes, to both parsers (libhtp queues requests
 * the same way medsentry does, so pipelining is matched in order either way).  libhtp runs with the Apache 2
 * personality and response decompression off (medsentry does not decompress); neither side hashes bodies.
 */
#include <dirent.h>
#include <htp/htp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "app/http/http.h"
#include "core/config.h"
#include "core/stats.h"
#include "flow/flow.h"

#define MAX_FLOWS 4096
#define MAX_TX    256

struct stream {
    char id[64];
    unsigned char *b[2];
    size_t n[2];
};

struct txrec {
    char method[32], uri[256], host[128];
    int status;
};

struct result {
    int n;
    struct txrec t[MAX_TX];
};

static struct stream flows[MAX_FLOWS];
static int n_flows;

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    *n = 0;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)l + 1);
    if (b && fread(b, 1, (size_t)l, f) == (size_t)l)
        *n = (size_t)l;
    fclose(f);
    return b;
}

static void load(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) && n_flows < MAX_FLOWS) {
        const char *suffix = strstr(e->d_name, "-to_server.bin");
        if (!suffix)
            continue;
        struct stream *s = &flows[n_flows];
        snprintf(s->id, sizeof(s->id), "%.*s", (int)(suffix - e->d_name), e->d_name);
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s-to_server.bin", dir, s->id);
        s->b[0] = slurp(p, &s->n[0]);
        snprintf(p, sizeof(p), "%s/%s-to_client.bin", dir, s->id);
        s->b[1] = slurp(p, &s->n[1]);
        /* only HTTP flows: a request method or a status line first */
        if (s->n[0] >= 4 && http_probe(s->b[0], s->n[0], 0) == PROBE_YES)
            n_flows++;
    }
    if (d)
        closedir(d);
}

static void bcopy_str(char *dst, size_t cap, bstr *b)
{
    size_t n = b ? bstr_len(b) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, bstr_ptr(b), n);
    dst[n] = 0;
}

/* ---- libhtp ---- */

static htp_cfg_t *htp_cfg;

static void run_libhtp(const struct stream *s, struct result *r)
{
    htp_connp_t *c = htp_connp_create(htp_cfg);
    htp_time_t tv = {0, 0};
    htp_connp_open(c, "10.0.0.1", 40000, "10.0.0.2", 80, &tv);
    if (s->n[0])
        htp_connp_req_data(c, &tv, s->b[0], s->n[0]);
    if (s->n[1])
        htp_connp_res_data(c, &tv, s->b[1], s->n[1]);
    htp_connp_close(c, &tv);
    if (r) {
        htp_conn_t *conn = htp_connp_get_connection(c);
        r->n = 0;
        for (size_t i = 0; i < htp_list_size(conn->transactions) && r->n < MAX_TX; i++) {
            htp_tx_t *tx = htp_list_get(conn->transactions, i);
            if (!tx || !tx->request_method)
                continue;
            struct txrec *t = &r->t[r->n++];
            bcopy_str(t->method, sizeof(t->method), tx->request_method);
            bcopy_str(t->uri, sizeof(t->uri), tx->request_uri);
            htp_header_t *h = htp_table_get_c(tx->request_headers, "host");
            bcopy_str(t->host, sizeof(t->host), h ? h->value : NULL);
            t->status = tx->response_status_number > 0 ? tx->response_status_number : 0;
        }
    }
    htp_connp_destroy_all(c);
}

/* ---- medsentry ---- */

static struct result *cur;

static void on_ev(void *user, const struct event *ev)
{
    (void)user;
    if (!cur || ev->type != EVENT_HTTP)
        return;
    const struct http_tx *tx = ((const struct http_event *)ev->body)->tx;
    if (!tx->has_request || cur->n >= MAX_TX)
        return;
    struct txrec *t = &cur->t[cur->n++];
    snprintf(t->method, sizeof(t->method), "%s", tx->method);
    snprintf(t->uri, sizeof(t->uri), "%.255s", tx->uri);
    snprintf(t->host, sizeof(t->host), "%.127s", tx->host);
    t->status = tx->has_response ? tx->status : 0;
}

static struct config cfg;
static struct stats stats;
static struct event_bus bus;
static struct app_layer al;
static struct anomaly_ctx anomalies;
static struct flow fl;

static void run_ours(const struct stream *s, struct result *r)
{
    struct app_ctx ctx = {.al = &al, .flow = &fl, .ts_us = 1};
    cur = r;
    if (r)
        r->n = 0;
    void *st = http_parser.state_new(&ctx);
    if (s->n[0])
        http_parser.on_data(&ctx, st, 0, s->b[0], s->n[0]);
    if (s->n[1])
        http_parser.on_data(&ctx, st, 1, s->b[1], s->n[1]);
    http_parser.on_close(&ctx, st);
    http_parser.state_free(&ctx, st);
    cur = NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s STREAMS_DIR ITERATIONS\n", argv[0]);
        return 2;
    }
    load(argv[1]);
    int iters = atoi(argv[2]);
    htp_cfg = htp_config_create();
    htp_config_set_server_personality(htp_cfg, HTP_SERVER_APACHE_2);
    htp_config_set_response_decompression(htp_cfg, 0);
    config_defaults(&cfg);
    event_bus_subscribe(&bus, EVENT_MASK(EVENT_HTTP), on_ev, NULL);
    app_layer_init(&al, &cfg.app, &stats, &bus, &cfg);
    anomaly_ctx_init(&anomalies, 0, &stats, &bus); /* the engine's part: the limiter, no rate budget */
    al.anomaly = &anomalies;
    fl.server_port = 80;
    fl.ipproto = 6;

    size_t bytes = 0;
    int tx_total = 0, agree = 0, differ = 0, count_differ = 0;
    static struct result a, b;
    for (int i = 0; i < n_flows; i++) {
        bytes += flows[i].n[0] + flows[i].n[1];
        run_libhtp(&flows[i], &a);
        run_ours(&flows[i], &b);
        if (a.n != b.n) {
            count_differ++;
            printf("flow %s: libhtp %d transactions, medsentry %d\n", flows[i].id, a.n, b.n);
        }
        for (int k = 0; k < a.n && k < b.n; k++) {
            tx_total++;
            struct txrec *x = &a.t[k], *y = &b.t[k];
            if (strcmp(x->method, y->method) || strcmp(x->uri, y->uri) || strcmp(x->host, y->host) ||
                x->status != y->status) {
                differ++;
                printf("flow %s tx %d: libhtp %s %s host=%s %d | medsentry %s %s host=%s %d\n", flows[i].id, k,
                       x->method, x->uri, x->host, x->status, y->method, y->uri, y->host, y->status);
            } else {
                agree++;
            }
        }
    }
    printf("%d HTTP flows, %zu bytes; %d transactions compared: %d agree, %d differ; %d flows with another count\n",
           n_flows, bytes, tx_total, agree, differ, count_differ);

    double t0 = now();
    for (int it = 0; it < iters; it++)
        for (int i = 0; i < n_flows; i++)
            run_libhtp(&flows[i], NULL);
    double t1 = now();
    for (int it = 0; it < iters; it++)
        for (int i = 0; i < n_flows; i++)
            run_ours(&flows[i], NULL);
    double t2 = now();
    double mb = (double)bytes * iters / 1e6;
    printf("libhtp:    %.3f s, %.0f MB/s, %.2f us/flow\n", t1 - t0, mb / (t1 - t0),
           (t1 - t0) * 1e6 / (iters * n_flows));
    printf("medsentry: %.3f s, %.0f MB/s, %.2f us/flow\n", t2 - t1, mb / (t2 - t1),
           (t2 - t1) * 1e6 / (iters * n_flows));
    printf("app memcap in use after the runs: %llu bytes\n", (unsigned long long)al.mc.used);
    htp_config_destroy(htp_cfg);
    return 0;
}
