/*
 * test_smb.c - the SMB analyzer fed byte vectors built from MS-SMB2/MS-CIFS/
 * MS-NLMP layouts: events, NTLMSSP identity, compound chains, large streamed
 * writes with SHA-256, transform headers, malformed lengths, gaps and resync.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "app/app.h"
#include "app/smb/smb.h"
#include "app/smb/smb1.h"
#include "app/smb/utf16.h"
#include "config_registry.h"
#include "core/json.h"
#include "core/stats.h"
#include "files/files.h"
#include "output/eve_smb.h"

/* ---- a recording harness ---- */
#define MAXREC 64
struct rec {
    int n, anomalies;
    struct {
        int type;
        char command[48], share[64], filename[128], user[32], domain[32], host[32], sha256[65], magic[48];
        char req_os[32], req_lm[32], resp_os[32], resp_lm[32];
        bool has_req_native, has_resp_native;
        uint32_t status;
        bool has_status, encrypted;
        uint64_t writes, bytes_written, size;
        char json[1024]; /* SMB events: the EVE smb object as eve_smb_body writes it */
    } e[MAXREC];
    char last_anomaly[64];
};

static void copy(char *d, size_t cap, const char *s)
{
    size_t l = s ? strlen(s) : 0;
    if (l >= cap)
        l = cap - 1;
    if (l)
        memcpy(d, s, l);
    d[l] = '\0';
}

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    if (ev->type == EVENT_ANOMALY) {
        const struct anomaly_event *a = ev->body;
        r->anomalies++;
        copy(r->last_anomaly, sizeof(r->last_anomaly), a->event);
        return;
    }
    if (r->n >= MAXREC)
        return;
    int i = r->n++;
    r->e[i].type = ev->type;
    if (ev->type == EVENT_SMB) {
        const struct smb_event *s = ev->body;
        copy(r->e[i].command, 48, s->command_name);
        copy(r->e[i].share, 64, s->share);
        copy(r->e[i].filename, 128, s->filename);
        r->e[i].status = s->status;
        r->e[i].has_status = s->has_status;
        r->e[i].encrypted = s->encrypted;
        r->e[i].writes = s->writes;
        r->e[i].bytes_written = s->bytes_written;
        r->e[i].has_req_native = s->req_native_os != NULL;
        r->e[i].has_resp_native = s->resp_native_os != NULL;
        copy(r->e[i].req_os, 32, s->req_native_os);
        copy(r->e[i].req_lm, 32, s->req_native_lm);
        copy(r->e[i].resp_os, 32, s->resp_native_os);
        copy(r->e[i].resp_lm, 32, s->resp_native_lm);
        if (s->ntlmssp) {
            copy(r->e[i].user, 32, s->ntlmssp->user);
            copy(r->e[i].domain, 32, s->ntlmssp->domain);
            copy(r->e[i].host, 32, s->ntlmssp->host);
        }
        struct jw w;
        struct eve_cfg cfg = {0};
        jw_init(&w);
        jw_open_obj(&w, NULL);
        eve_smb_body(&w, &cfg, ev);
        jw_close_obj(&w);
        size_t l = w.len < sizeof(r->e[i].json) ? w.len : sizeof(r->e[i].json) - 1;
        memcpy(r->e[i].json, w.buf, l);
        r->e[i].json[l] = '\0';
        jw_free(&w);
    } else if (ev->type == EVENT_FILEINFO) {
        const struct fileinfo_event *f = ev->body;
        copy(r->e[i].filename, 128, f->filename);
        copy(r->e[i].sha256, 65, f->has_sha256 ? f->sha256 : "");
        copy(r->e[i].magic, 48, f->magic);
        r->e[i].size = f->size;
    }
}

struct harness {
    struct app_layer al;
    struct anomaly_ctx anomalies; /* the app layer's limiter: the engine's part here */
    struct app_ctx ctx;
    struct event_bus bus;
    struct stats stats;
    struct file_tracker ft;
    struct rec rec;
    void *st;
};

static struct harness *h_new(void)
{
    struct harness *h = calloc(1, sizeof(*h));
    struct app_cfg acfg = {.probe_depth = 4096, .memcap = 64u << 20};
    assert_int_equal(app_layer_init(&h->al, &acfg, &h->stats, &h->bus, NULL), 0); /* smb's defaults */
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    files_init(&h->ft, NULL);
    h->al.files = &h->ft;
    event_bus_subscribe(&h->bus, EVENT_MASK_ALL, on_event, &h->rec);
    h->ctx.al = &h->al;
    h->st = smb_parser.state_new(&h->ctx);
    assert_non_null(h->st);
    return h;
}

static void h_free(struct harness *h)
{
    smb_parser.on_close(&h->ctx, h->st);
    smb_parser.state_free(&h->ctx, h->st);
    assert_int_equal(h->al.mc.used, 0); /* every parser allocation returned */
    assert_int_equal(h->ft.open, 0);
    app_layer_free(&h->al);
    free(h);
}

/* feed in chunks of `step` bytes (0 = all at once) */
static void feed(struct harness *h, int dir, const uint8_t *p, size_t n, size_t step)
{
    if (!step)
        step = n;
    for (size_t o = 0; o < n; o += step)
        smb_parser.on_data(&h->ctx, h->st, dir, p + o, n - o < step ? n - o : step);
}

static int find(const struct rec *r, int type, const char *command)
{
    for (int i = 0; i < r->n; i++)
        if (r->e[i].type == type && (!command || strcmp(r->e[i].command, command) == 0))
            return i;
    return -1;
}

/* ---- SMB2 message builder ---- */
struct buf {
    uint8_t b[1 << 19];
    size_t n;
};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* Appends an SMB2 header; returns its offset. */
static size_t smb2_hdr(struct buf *b, uint16_t cmd, bool resp, uint32_t status, uint64_t mid, uint32_t tid)
{
    size_t o = b->n;
    memset(b->b + o, 0, 64);
    memcpy(b->b + o, "\xfeSMB", 4);
    put16(b->b + o + 4, 64);
    put32(b->b + o + 8, status);
    put16(b->b + o + 12, cmd);
    put32(b->b + o + 16, resp ? 1 : 0);
    put64(b->b + o + 24, mid);
    put32(b->b + o + 36, tid);
    put64(b->b + o + 40, 0x1122334455667788ull);
    b->n += 64;
    return o;
}

static void put_utf16(struct buf *b, const char *s)
{
    for (; *s; s++) {
        b->b[b->n++] = (uint8_t)*s;
        b->b[b->n++] = 0;
    }
}

/* Wraps b as one NetBIOS session message into out. */
static void nbss(struct buf *out, const struct buf *b)
{
    out->n = 0;
    out->b[0] = 0;
    out->b[1] = (uint8_t)(b->n >> 16);
    out->b[2] = (uint8_t)(b->n >> 8);
    out->b[3] = (uint8_t)b->n;
    memcpy(out->b + 4, b->b, b->n);
    out->n = b->n + 4;
}

static const uint8_t FID[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void msg_tree_connect(struct buf *b, bool resp, const char *path)
{
    b->n = 0;
    size_t o = smb2_hdr(b, SMB2_TREE_CONNECT, resp, 0, 3, resp ? 7 : 0);
    if (resp) {
        memset(b->b + b->n, 0, 16);
        put16(b->b + b->n, 16);
        b->b[b->n + 2] = SMB_SHARE_DISK;
        b->n += 16;
        return;
    }
    put16(b->b + b->n, 9);
    put16(b->b + b->n + 4, 72);
    put16(b->b + b->n + 6, (uint16_t)(2 * strlen(path)));
    b->n += 8;
    put_utf16(b, path);
    (void)o;
}

static void msg_create(struct buf *b, bool resp, const char *name, uint64_t mid, uint32_t next_pad)
{
    size_t o = smb2_hdr(b, SMB2_CREATE, resp, 0, mid, 7);
    uint8_t *body = b->b + b->n;
    if (resp) {
        memset(body, 0, 88);
        put16(body, 89);
        put32(body + 4, 2);
        memcpy(body + 64, FID, 16);
        b->n += 88;
    } else {
        memset(body, 0, 56);
        put16(body, 57);
        put32(body + 24, 0x00130197);
        put32(body + 36, 5); /* FILE_OVERWRITE_IF */
        put16(body + 44, (uint16_t)(64 + 56));
        put16(body + 46, (uint16_t)(2 * strlen(name)));
        b->n += 56;
        put_utf16(b, name);
    }
    while (next_pad && (b->n - o) % 8)
        b->b[b->n++] = 0;
}

static void msg_close(struct buf *b, bool resp, const uint8_t *fid, uint64_t mid)
{
    smb2_hdr(b, SMB2_CLOSE, resp, 0, mid, 7);
    uint8_t *body = b->b + b->n;
    memset(body, 0, 60);
    if (resp) {
        put16(body, 60);
        b->n += 60;
    } else {
        put16(body, 24);
        memcpy(body + 8, fid, 16);
        b->n += 24;
    }
}

static void msg_write(struct buf *b, uint64_t mid, uint64_t off, const uint8_t *data, uint32_t len)
{
    b->n = 0;
    smb2_hdr(b, SMB2_WRITE, false, 0, mid, 7);
    uint8_t *body = b->b + b->n;
    memset(body, 0, 48);
    put16(body, 49);
    put16(body + 2, 64 + 48);
    put32(body + 4, len);
    put64(body + 8, off);
    memcpy(body + 16, FID, 16);
    b->n += 48;
    memcpy(b->b + b->n, data, len);
    b->n += len;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    uint8_t d[32];
    unsigned int l;
    EVP_Digest(p, n, d, &l, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* tree connect, create, write (streamed when big), close: events and the file hash */
static void run_upload(size_t step, uint32_t size)
{
    struct harness *h = h_new();
    static struct buf m, w;
    uint8_t *data = malloc(size);
    for (uint32_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    data[0] = 'M';
    data[1] = 'Z';
    msg_tree_connect(&m, false, "\\\\PACS\\ADMIN$");
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, step);
    msg_tree_connect(&m, true, NULL);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, step);
    m.n = 0;
    msg_create(&m, false, "system32\\evil.exe", 4, 0);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, step);
    m.n = 0;
    msg_create(&m, true, NULL, 4, 0);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, step);
    msg_write(&m, 5, 0, data, size);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, step);
    m.n = 0;
    msg_close(&m, false, FID, 6);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, step);
    m.n = 0;
    msg_close(&m, true, NULL, 6);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, step);

    int t = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_TREE_CONNECT");
    assert_true(t >= 0);
    assert_string_equal(h->rec.e[t].share, "\\\\PACS\\ADMIN$");
    int c = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_CREATE");
    assert_true(c >= 0);
    assert_string_equal(h->rec.e[c].filename, "system32\\evil.exe");
    assert_string_equal(h->rec.e[c].share, "\\\\PACS\\ADMIN$");
    int cl = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_CLOSE");
    assert_true(cl >= 0);
    assert_int_equal(h->rec.e[cl].writes, 1);
    assert_int_equal(h->rec.e[cl].bytes_written, size);
    int f = find(&h->rec, EVENT_FILEINFO, NULL);
    assert_true(f >= 0);
    char want[65];
    sha256_hex(data, size, want);
    assert_string_equal(h->rec.e[f].sha256, want);
    assert_int_equal(h->rec.e[f].size, size);
    assert_int_equal(h->rec.anomalies, 0);
    h_free(h);
    free(data);
}

static void test_smb2_upload_whole(void **s)
{
    (void)s;
    run_upload(0, 1000);
}
static void test_smb2_upload_bytewise(void **s)
{
    (void)s;
    run_upload(1, 300);
}
static void test_smb2_upload_streamed(void **s)
{
    (void)s;
    run_upload(1460, 300000);
}

/* a streamed WRITE whose open is replaced mid-record (the server reports a new open with the same id):
 * the cached open of the streamed record must not be used after the slot was reused */
static void test_smb2_stream_open_replaced(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    enum { SIZE = 200000, HALF = 100000 };
    uint8_t *data = malloc(SIZE);
    for (uint32_t i = 0; i < SIZE; i++)
        data[i] = (uint8_t)(i * 13 + 1);
    msg_tree_connect(&m, false, "\\\\PACS\\C$");
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    msg_tree_connect(&m, true, NULL);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    m.n = 0;
    msg_create(&m, false, "a.bin", 4, 0);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    m.n = 0;
    msg_create(&m, true, NULL, 4, 0);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    msg_write(&m, 5, 0, data, SIZE);
    nbss(&w, &m);
    static struct buf wr;
    memcpy(wr.b, w.b, w.n);
    wr.n = w.n;
    feed(h, 0, wr.b, HALF, 1460);
    /* a CREATE response with the same FileId and no request seen: the old open ends (its file
     * is reported with the bytes so far), a new one takes the slot */
    m.n = 0;
    msg_create(&m, true, NULL, 77, 0);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    int f = find(&h->rec, EVENT_FILEINFO, NULL);
    assert_true(f >= 0);
    assert_string_equal(h->rec.e[f].filename, "a.bin");
    uint64_t first = h->rec.e[f].size;
    assert_true(first > 0 && first < HALF);
    feed(h, 0, wr.b + HALF, wr.n - HALF, 1460);
    smb_parser.on_close(&h->ctx, h->st);
    /* the rest of the write went to the new open, from an offset past 0: gapped, no hash */
    int n = 0, g = -1;
    for (int i = 0; i < h->rec.n; i++)
        if (h->rec.e[i].type == EVENT_FILEINFO && ++n == 2)
            g = i;
    assert_int_equal(n, 2);
    assert_string_equal(h->rec.e[g].sha256, "");
    assert_int_equal(h->rec.e[g].size, 0);
    h_free(h);
    free(data);
}

/* smb.max-files from the configuration: a third open in a 2-entry table evicts the oldest */
static void test_smb_table_limit_from_config(void **s)
{
    (void)s;
    static struct config cfg;
    config_defaults(&cfg);
    assert_int_equal(cfg.smb.max_files, 64);
    char err[256];
    assert_int_equal(config_set(&cfg, "smb.max-files", "2", err, sizeof(err)), 0);
    const void *parser_cfg[APP__COUNT];
    config_app_parser_cfgs(&cfg, parser_cfg);
    struct harness *h = calloc(1, sizeof(*h));
    assert_int_equal(app_layer_init(&h->al, &cfg.app, &h->stats, &h->bus, parser_cfg), 0);
    /* the limiter the engine would give: every anomaly written (no rate budget) */
    anomaly_ctx_init(&h->anomalies, 0, &h->stats, &h->bus);
    h->al.anomaly = &h->anomalies;
    files_init(&h->ft, NULL);
    h->al.files = &h->ft;
    event_bus_subscribe(&h->bus, EVENT_MASK_ALL, on_event, &h->rec);
    h->ctx.al = &h->al;
    h->st = smb_parser.state_new(&h->ctx);
    assert_non_null(h->st);
    assert_int_equal(((struct smb_state *)h->st)->n_files, 2);
    assert_int_equal(((struct smb_state *)h->st)->n_pending, 64);
    static struct buf m, w;
    for (uint8_t k = 0; k < 3; k++) {
        m.n = 0;
        msg_create(&m, true, NULL, 10 + k, 0);
        m.b[64 + 64] = (uint8_t)(0x40 + k); /* a distinct FileId each time */
        nbss(&w, &m);
        feed(h, 1, w.b, w.n, 0);
        assert_int_equal(h->rec.anomalies, k == 2 ? 1 : 0);
    }
    assert_string_equal(h->rec.last_anomaly, "smb_files_full");
    h_free(h);
}

/* compound CREATE + CLOSE(related, all-ones FileId) in one record each way */
static void test_smb2_compound(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    static const uint8_t ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    msg_tree_connect(&m, false, "\\\\PACS\\C$");
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    msg_tree_connect(&m, true, NULL);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    for (int resp = 0; resp < 2; resp++) {
        m.n = 0;
        msg_create(&m, resp, "a.txt", 10, 1);
        put32(m.b + 20, (uint32_t)m.n); /* NextCommand of the first */
        size_t second = m.n;
        msg_close(&m, resp, ones, 11);
        put32(m.b + second + 16, (resp ? 1u : 0u) | 4u); /* RELATED */
        nbss(&w, &m);
        feed(h, resp, w.b, w.n, 0);
    }
    int cl = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_CLOSE");
    assert_true(cl >= 0);
    assert_string_equal(h->rec.e[cl].filename, "a.txt");
    assert_int_equal(h->rec.anomalies, 0);
    h_free(h);
}

/* NextCommand beyond the record, not 8-aligned, or below a header: anomaly, no crash */
static void test_smb2_bad_next(void **s)
{
    (void)s;
    static const uint32_t nexts[] = {1000, 65, 8, 0xffffffffu};
    for (size_t i = 0; i < sizeof(nexts) / sizeof(nexts[0]); i++) {
        struct harness *h = h_new();
        static struct buf m, w;
        m.n = 0;
        msg_create(&m, false, "x", 1, 0);
        put32(m.b + 20, nexts[i]);
        nbss(&w, &m);
        feed(h, 0, w.b, w.n, 0);
        assert_string_equal(h->rec.last_anomaly, "smb2_bad_next_command");
        h_free(h);
    }
}

/* a chain of 40 minimal compounded messages stops at SMB_MAX_CHAIN */
static void test_smb2_chain_cap(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    m.n = 0;
    for (int i = 0; i < 40; i++) {
        size_t o = smb2_hdr(&m, SMB2_ECHO, false, 0, (uint64_t)i, 0);
        put16(m.b + m.n, 4);
        m.n += 8;
        if (i < 39)
            put32(m.b + o + 20, 72);
    }
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    assert_string_equal(h->rec.last_anomaly, "smb2_chain_too_long");
    h_free(h);
}

/* A NetBIOS frame declaring 16 MB (the flood of make stress): the buffer is charged for the bytes that came, not
 * for the declared length, so that a few such headers cannot take the app-layer memcap from every other flow. */
static void test_nbss_length_lie(void **s)
{
    (void)s;
    struct harness *h = h_new();
    size_t base = h->al.mc.used; /* the parser's state */
    static struct buf m;
    m.n = 0;
    m.b[m.n++] = 0x00; /* session message, 0xffffff bytes declared */
    m.b[m.n++] = 0xff;
    m.b[m.n++] = 0xff;
    m.b[m.n++] = 0xff;
    smb2_hdr(&m, SMB2_NEGOTIATE, false, 0, 0, 0);
    memset(m.b + m.n, 0, 2048);
    m.n += 2048;
    feed(h, 0, m.b, m.n, 0);
    assert_true(h->al.mc.used - base <= 16u << 10); /* was 16 MB before any body byte came */
    memset(m.b, 0x41, 100000);
    feed(h, 0, m.b, 100000, 1460); /* more of the record: the room doubles as it fills */
    assert_true(h->al.mc.used - base >= 100000 && h->al.mc.used - base <= 2 * (100000 + 2048 + 64));
    assert_int_equal(h->rec.anomalies, 0);
    h_free(h);
}

/* TRANSFORM header: one encrypted event per flow, whatever the count */
static void test_smb3_transform(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    memset(m.b, 0xab, 100);
    memcpy(m.b, "\xfdSMB", 4);
    m.n = 100;
    nbss(&w, &m);
    for (int i = 0; i < 3; i++)
        feed(h, 0, w.b, w.n, 0);
    int n = 0;
    for (int i = 0; i < h->rec.n; i++)
        n += h->rec.e[i].encrypted;
    assert_int_equal(n, 1);
    h_free(h);
}

/* garbage, then a gap, then a valid record found by resync */
static void test_smb_gap_resync(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    msg_tree_connect(&m, false, "\\\\H\\IPC$");
    nbss(&w, &m);
    feed(h, 0, w.b, 10, 0);                     /* first 10 bytes of a record */
    smb_parser.on_gap(&h->ctx, h->st, 0, 5000); /* the rest and more are lost */
    static const uint8_t junk[] = "junk junk junk \x00\x01\x02 SMB";
    feed(h, 0, junk, sizeof(junk), 0);
    feed(h, 0, w.b, w.n, 3);
    msg_tree_connect(&m, true, NULL);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    int t = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_TREE_CONNECT");
    assert_true(t >= 0);
    assert_string_equal(h->rec.e[t].share, "\\\\H\\IPC$");
    h_free(h);
}

/* a gap inside a record skips the record; framing continues */
static void test_smb_gap_in_record(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    msg_tree_connect(&m, false, "\\\\H\\D$");
    nbss(&w, &m);
    feed(h, 0, w.b, 20, 0);
    smb_parser.on_gap(&h->ctx, h->st, 0, 10);
    feed(h, 0, w.b + 30, w.n - 30, 0);
    assert_string_equal(h->rec.last_anomaly, "smb_gap_in_record");
    feed(h, 0, w.b, w.n, 0);
    msg_tree_connect(&m, true, NULL);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    assert_true(find(&h->rec, EVENT_SMB, "SMB2_COMMAND_TREE_CONNECT") >= 0);
    h_free(h);
}

static void send1(struct harness *h, int dir, const struct buf *m);

/* An SMB2 header for dir 0 inside file data: NetBIOS length 68, WRITE, flags as given. */
static void fake_header(uint8_t *p, uint32_t flags)
{
    memset(p, 0, 72);
    p[3] = 68;
    memcpy(p + 4, "\xfeSMB", 4);
    put16(p + 8, 64);
    put16(p + 16, SMB2_WRITE);
    put32(p + 20, flags);
}

/*
 * Tree connect, create, then four WRITEs of 1000 bytes and a CLOSE, with a gap of glen bytes starting cut
 * bytes into the second WRITE's record.  The file data of the second and third WRITE holds near-headers
 * that the resync must not take: one with the wrong direction flag, and (next_fake) one consistent by itself
 * but with no next header at its length, which only chunks that hold both can tell.  The bytes after the
 * gap are fed in chunks of step.  writes: WRITE requests the parser still sees.
 */
static void run_gap_resync_state(size_t cut, size_t glen, size_t step, uint64_t writes, bool next_fake)
{
    struct harness *h = h_new();
    static struct buf m, w, s0;
    static uint8_t data[4000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3) | 1; /* no 0x00 bytes: only the fakes look like NetBIOS headers */
    for (int i = 1; i <= 2; i++) {
        fake_header(data + 1000 * i + 200, 1); /* a response header in the client's direction */
        if (next_fake)
            fake_header(data + 1000 * i + 500, 0); /* consistent, but the next header is not at its length */
    }
    msg_tree_connect(&m, false, "\\\\PACS\\IMG");
    send1(h, 0, &m);
    msg_tree_connect(&m, true, NULL);
    send1(h, 1, &m);
    m.n = 0;
    msg_create(&m, false, "a.dcm", 4, 0);
    send1(h, 0, &m);
    m.n = 0;
    msg_create(&m, true, NULL, 4, 0);
    send1(h, 1, &m);
    s0.n = 0;
    size_t at[5];
    for (int i = 0; i < 4; i++) {
        msg_write(&m, 5 + (uint64_t)i, 1000u * (uint32_t)i, data + 1000 * i, 1000);
        nbss(&w, &m);
        at[i] = s0.n;
        memcpy(s0.b + s0.n, w.b, w.n);
        s0.n += w.n;
    }
    at[4] = s0.n;
    m.n = 0;
    msg_close(&m, false, FID, 9);
    nbss(&w, &m);
    memcpy(s0.b + s0.n, w.b, w.n);
    s0.n += w.n;

    size_t resume = at[1] + cut + glen;
    feed(h, 0, s0.b, at[1] + cut, 0);
    smb_parser.on_gap(&h->ctx, h->st, 0, glen);
    feed(h, 0, s0.b + resume, s0.n - resume, step);
    m.n = 0;
    msg_close(&m, true, NULL, 9);
    send1(h, 1, &m);

    /* the state from before the gap names the share and the file of the CLOSE after it */
    int cl = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_CLOSE");
    assert_true(cl >= 0);
    assert_string_equal(h->rec.e[cl].share, "\\\\PACS\\IMG");
    assert_string_equal(h->rec.e[cl].filename, "a.dcm");
    assert_int_equal(h->rec.e[cl].writes, writes);
    int f = find(&h->rec, EVENT_FILEINFO, NULL);
    assert_true(f >= 0);
    assert_string_equal(h->rec.e[f].filename, "a.dcm");
    assert_string_equal(h->rec.e[f].sha256, ""); /* gapped */
    assert_int_equal(h->rec.e[f].size, 1000);
    /* one report for the gap; every byte up to the next record passed over, the fakes included */
    size_t next = resume <= at[2] ? at[2] : at[3];
    assert_int_equal(h->rec.anomalies, 1);
    assert_string_equal(h->rec.last_anomaly, "gap_resync");
    assert_int_equal(h->stats.app_gap_resyncs, 1);
    assert_int_equal(h->stats.app_gap_skipped_bytes, next - resume);
    h_free(h);
}

/* the flow ends while the search for a header goes on: the gap still gets its one report */
static void test_smb_gap_then_end(void **s)
{
    (void)s;
    struct harness *h = h_new();
    smb_parser.on_gap(&h->ctx, h->st, 1, 1000);
    static const uint8_t junk[] = "\x00\x00\x00\x44\xfeSMB not a header";
    feed(h, 1, junk, sizeof(junk), 0);
    assert_int_equal(h->rec.anomalies, 0);
    smb_parser.on_close(&h->ctx, h->st);
    assert_int_equal(h->rec.anomalies, 1);
    assert_string_equal(h->rec.last_anomaly, "gap_resync_failed");
    /* a consistent start of a header, too short to decide: carried, not skipped */
    assert_int_equal(h->stats.app_gap_skipped_bytes, 0);
    h_free(h);
}

static void test_smb_gap_resync_keeps_state(void **s)
{
    (void)s;
    run_gap_resync_state(2, 30, 0, 3, true);     /* inside the NetBIOS header: the rest of WRITE 2 searched */
    run_gap_resync_state(100, 1100, 0, 2, true); /* from WRITE 2's body into WRITE 3's: its rest searched */
    run_gap_resync_state(2, 30, 1460, 3, true);  /* segment-sized chunks */
    run_gap_resync_state(100, 1100, 700, 2, true);
    run_gap_resync_state(2, 30, 1, 3, false); /* the search carried across one-byte chunks */
    run_gap_resync_state(100, 1100, 7, 2, false);
    run_gap_resync_state(100, 1100, 71, 2, false);
}

/* NTLMSSP AUTHENTICATE inside a SESSION_SETUP blob; response success */
static void test_smb2_ntlmssp(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    uint8_t nt[200];
    memset(nt, 0, sizeof(nt));
    memcpy(nt, "NTLMSSP\0", 8);
    put32(nt + 8, 3);
    /* domain at 88 (6 bytes "DOM"), user at 94 ("bob"), host at 100 ("WS1"); NT response length 24 at 106 */
    put16(nt + 20, 24);
    put32(nt + 24, 106);
    put16(nt + 28, 6);
    put32(nt + 32, 88);
    put16(nt + 36, 6);
    put32(nt + 40, 94);
    put16(nt + 44, 6);
    put32(nt + 48, 100);
    put32(nt + 60, 0x00000001); /* UNICODE */
    memcpy(nt + 88,
           "D\0O\0M\0b\0o\0b\0W\0S\0"
           "1\0",
           18);
    m.n = 0;
    smb2_hdr(&m, SMB2_SESSION_SETUP, false, 0, 2, 0);
    memset(m.b + m.n, 0, 24);
    put16(m.b + m.n, 25);
    put16(m.b + m.n + 12, 64 + 24 + 10);
    put16(m.b + m.n + 14, 130);
    m.n += 24;
    memcpy(m.b + m.n, "\xa1\x81\x80\x30\x7e\xa2\x7c\x04\x7a\x00", 10); /* some SPNEGO wrapping */
    m.n += 10;
    memcpy(m.b + m.n, nt, 130);
    m.n += 130;
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 7);
    m.n = 0;
    smb2_hdr(&m, SMB2_SESSION_SETUP, true, 0, 2, 0);
    memset(m.b + m.n, 0, 8);
    put16(m.b + m.n, 9);
    m.n += 8;
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    int i = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_SESSION_SETUP");
    assert_true(i >= 0);
    assert_string_equal(h->rec.e[i].user, "bob");
    assert_string_equal(h->rec.e[i].domain, "DOM");
    assert_string_equal(h->rec.e[i].host, "WS1");
    h_free(h);
}

/* NTLMSSP fields pointing outside the message */
static void test_ntlmssp_malformed(void **s)
{
    (void)s;
    uint8_t nt[72];
    struct ntlmssp_info info;
    memset(nt, 0, sizeof(nt));
    memcpy(nt, "NTLMSSP\0", 8);
    put32(nt + 8, 3);
    put16(nt + 36, 200);
    put32(nt + 40, 10); /* user: 200 bytes at 10, past the end */
    assert_int_equal(ntlmssp_parse(nt, sizeof(nt), &info), -1);
    put16(nt + 36, 4);
    put32(nt + 40, 0xfffffffe); /* offset overflow */
    assert_int_equal(ntlmssp_parse(nt, sizeof(nt), &info), -1);
    assert_int_equal(ntlmssp_parse(nt, 11, &info), -1);
}

/* SMB1 AndX offset that does not move forward */
static void test_smb1_andx_loop(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    memset(m.b, 0, 200);
    memcpy(m.b, "\xffSMB", 4);
    m.b[4] = 0x73;       /* SESSION_SETUP_ANDX request */
    m.b[32] = 12;        /* WordCount */
    m.b[33] = 0x75;      /* AndX: TREE_CONNECT */
    put16(m.b + 35, 32); /* pointing back at itself */
    m.n = 32 + 1 + 24 + 2;
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    assert_string_equal(h->rec.last_anomaly, "smb1_bad_andx_offset");
    h_free(h);
}

/* SMB1 header [MS-CIFS 2.2.3.1] and WordCount; words follow at b->n */
static void smb1_hdr(struct buf *b, uint8_t cmd, bool reply, uint32_t status, uint16_t flags2, uint8_t wc)
{
    b->n = 0;
    memset(b->b, 0, 64);
    memcpy(b->b, "\xffSMB", 4);
    b->b[4] = cmd;
    put32(b->b + 5, status);
    b->b[9] = reply ? 0x80 : 0;
    put16(b->b + 10, flags2);
    put16(b->b + 28, 100); /* UID */
    put16(b->b + 30, 7);   /* MID */
    b->b[32] = wc;
    memset(b->b + 33, 0, 2u * wc);
    b->b[33] = 0xff; /* no AndX */
    b->n = 33 + 2u * wc + 2;
}

static void smb1_bytecount(struct buf *b, uint8_t wc)
{
    put16(b->b + 33 + 2u * wc, (uint16_t)(b->n - (33 + 2u * wc + 2)));
}

/* SESSION_SETUP_ANDX native OS / LAN manager strings [MS-CIFS 2.2.4.53, MS-SMB 2.2.4.6]: extended security
 * in Unicode (with the pad that aligns the strings), and the older form in OEM with passwords and account */
static void test_smb1_native_strings(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m, w;
    /* request, extended security, Unicode: 4-byte blob puts the strings at an odd offset (63): one pad byte */
    smb1_hdr(&m, 0x73, false, 0, 0xc001, 12);
    put16(m.b + 33 + 14, 4);
    memcpy(m.b + m.n, "\x60\x02\x00\x00", 4);
    m.n += 4;
    m.b[m.n++] = 0; /* pad */
    put_utf16(&m, "Mac OS X 10.10");
    m.b[m.n++] = 0;
    m.b[m.n++] = 0;
    put_utf16(&m, "SMBFS 3.0.0");
    m.b[m.n++] = 0;
    m.b[m.n++] = 0;
    smb1_bytecount(&m, 12);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    /* response, MORE_PROCESSING, empty blob: the strings start at 43, padded to 44 */
    smb1_hdr(&m, 0x73, true, SMB_STATUS_MORE_PROCESSING, 0xc001, 4);
    m.b[m.n++] = 0; /* pad */
    put_utf16(&m, "QTS");
    m.b[m.n++] = 0;
    m.b[m.n++] = 0;
    put_utf16(&m, "Samba 4.4.16"); /* last string without its terminator: still read to the end */
    smb1_bytecount(&m, 4);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    int e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_SESSION_SETUP_ANDX");
    assert_true(e >= 0);
    assert_int_equal(h->rec.e[e].status, SMB_STATUS_MORE_PROCESSING);
    assert_string_equal(h->rec.e[e].req_os, "Mac OS X 10.10");
    assert_string_equal(h->rec.e[e].req_lm, "SMBFS 3.0.0");
    assert_string_equal(h->rec.e[e].resp_os, "QTS");
    assert_string_equal(h->rec.e[e].resp_lm, "Samba 4.4.16");

    /* request without extended security, OEM: passwords, AccountName, PrimaryDomain, then the strings */
    h->rec.n = 0;
    smb1_hdr(&m, 0x73, false, 0, 0x0001, 13);
    put16(m.b + 33 + 14, 3);
    put16(m.b + 33 + 16, 2);
    memcpy(m.b + m.n, "pw\0uu", 5);
    m.n += 5;
    memcpy(m.b + m.n, "user\0DOM\0Unix\0Samba 3.6\0", 24);
    m.n += 24;
    smb1_bytecount(&m, 13);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    smb1_hdr(&m, 0x73, true, 0, 0x0001, 3);
    memcpy(m.b + m.n, "Windows 5.1\0Windows 2000 LAN Manager\0WG\0", 40);
    m.n += 40;
    smb1_bytecount(&m, 3);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_SESSION_SETUP_ANDX");
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].req_os, "Unix");
    assert_string_equal(h->rec.e[e].req_lm, "Samba 3.6");
    assert_string_equal(h->rec.e[e].resp_os, "Windows 5.1");
    assert_string_equal(h->rec.e[e].resp_lm, "Windows 2000 LAN Manager");

    /* a blob length past the bytes and a ByteCount of 0: no strings, no over-read */
    h->rec.n = 0;
    smb1_hdr(&m, 0x73, false, 0, 0xc001, 12);
    put16(m.b + 33 + 14, 400);
    smb1_bytecount(&m, 12);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    smb1_hdr(&m, 0x73, true, 0, 0xc001, 4);
    put16(m.b + 33 + 6, 9);
    smb1_bytecount(&m, 4);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_SESSION_SETUP_ANDX");
    assert_true(e >= 0);
    assert_false(h->rec.e[e].has_req_native);
    assert_false(h->rec.e[e].has_resp_native);
    h_free(h);
}

static void test_utf16(void **s)
{
    (void)s;
    char out[8];
    bool t;
    /* "A", U+1F600 as a surrogate pair, an unpaired low surrogate */
    static const uint8_t in[] = {'A', 0, 0x3d, 0xd8, 0x00, 0xde, 0x00, 0xdc};
    size_t n = utf16le_to_utf8(in, sizeof(in), out, sizeof(out), &t);
    assert_int_equal(n, 1 + 4);
    assert_true(t); /* U+FFFD (3 bytes) did not fit in the 8-byte buffer with its NUL */
    assert_memory_equal(out, "A\xf0\x9f\x98\x80", 6);
    n = utf16le_to_utf8(in, 3, out, sizeof(out), &t); /* odd length */
    assert_int_equal(n, 1);
}

static void test_files_magic(void **s)
{
    (void)s;
    uint8_t b[256];
    memset(b, 0, sizeof(b));
    b[0] = 'M';
    b[1] = 'Z';
    put32(b + 0x3c, 0x80);
    memcpy(b + 0x80, "PE\0\0", 4);
    put16(b + 0x84, 0x8664);
    assert_string_equal(files_magic(b, sizeof(b)), "PE32+ executable (x86-64)");
    memcpy(b + 128, "DICM", 4);
    assert_string_equal(files_magic(b, sizeof(b)), "PE/DICOM polyglot");
    b[0] = 0;
    assert_string_equal(files_magic(b, sizeof(b)), "DICOM Part 10");
    put32(b + 0x3c, 0xfffffff0);
    b[0] = 'M';
    assert_string_equal(files_magic(b, sizeof(b)), "PE/DICOM polyglot");
    assert_string_equal(files_magic(b, 1), "data");
}

/* out-of-order and repeated file data */
static void test_files_order(void **s)
{
    (void)s;
    struct file_tracker t;
    files_init(&t, NULL);
    struct file_track *f = files_open(&t, "smb", "x", NULL, 0);
    files_data(&t, f, 0, (const uint8_t *)"abcd", 4);
    files_data(&t, f, 2, (const uint8_t *)"cdef", 4); /* overlap: only "ef" is new */
    files_close(&t, f, NULL);
    f = files_open(&t, "smb", "y", NULL, 0);
    files_data(&t, f, 10, (const uint8_t *)"zz", 2); /* hole */
    files_close(&t, f, NULL);
    assert_int_equal(t.open, 0);
    assert_int_equal(t.mc.used, 0);
}

/* ---- files out of order ---- */

struct ooo_piece {
    uint32_t off, len;
};

/* Feeds data's pieces in the given order to a new track, closes it; the fileinfo event in h->rec. */
static int ooo_run(struct harness *h, const uint8_t *data, const struct ooo_piece *pc, size_t n)
{
    struct file_track *f = files_open(&h->ft, "smb", "ooo.bin", NULL, 1);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        files_data(&h->ft, f, pc[i].off, data + pc[i].off, pc[i].len);
    files_close(&h->ft, f, &h->ctx);
    assert_int_equal(h->ft.mc.used, 0); /* nothing held is left behind */
    return h->rec.n - 1;
}

static void test_files_out_of_order(void **s)
{
    (void)s;
    enum { SIZE = 100000, CH = 1000, N = SIZE / CH };
    static uint8_t data[SIZE];
    for (uint32_t i = 0; i < SIZE; i++)
        data[i] = (uint8_t)(i * 2654435761u >> 13);
    char want[65];
    sha256_hex(data, SIZE, want);
    static struct ooo_piece pc[4 * N];
    struct harness *h = h_new();
    h->ft.stats = &h->stats;
    size_t n;

    /* reverse order */
    for (n = 0; n < N; n++)
        pc[n] = (struct ooo_piece){(uint32_t)(SIZE - CH * (n + 1)), CH};
    int e = ooo_run(h, data, pc, n);
    assert_string_equal(h->rec.e[e].sha256, want);
    assert_int_equal(h->rec.e[e].size, SIZE);
    assert_int_equal(h->stats.files_ooo_chunks, N - 1); /* all but the one at offset 0 */

    /* interleaved: odd chunks first, then even ones */
    n = 0;
    for (int pass = 1; pass >= 0; pass--)
        for (uint32_t i = (uint32_t)pass; i < N; i += 2)
            pc[n++] = (struct ooo_piece){i * CH, CH};
    e = ooo_run(h, data, pc, n);
    assert_string_equal(h->rec.e[e].sha256, want);

    /* overlapping: 1500-byte pieces every 1000 bytes, backwards, then the odd-sized head */
    n = 0;
    for (uint32_t o = SIZE - 1500; o >= 1000; o -= 1000)
        pc[n++] = (struct ooo_piece){o, 1500};
    pc[n++] = (struct ooo_piece){0, 1700};
    e = ooo_run(h, data, pc, n);
    assert_string_equal(h->rec.e[e].sha256, want);

    /* duplicates: every piece twice, out of order and in order, plus pieces spanning held ones */
    n = 0;
    for (uint32_t i = 1; i < N; i += 3) {
        pc[n++] = (struct ooo_piece){i * CH, CH};
        pc[n++] = (struct ooo_piece){i * CH, CH};
    }
    pc[n++] = (struct ooo_piece){CH / 2, SIZE / 2};
    for (uint32_t i = 0; i < N; i++)
        pc[n++] = (struct ooo_piece){i * CH, CH};
    pc[n++] = (struct ooo_piece){0, SIZE};
    e = ooo_run(h, data, pc, n);
    assert_string_equal(h->rec.e[e].sha256, want);
    assert_int_equal(h->rec.e[e].size, SIZE);
    assert_int_equal(h->stats.files_ooo_refused, 0);

    /* a hole never filled: gapped at close, what was held freed */
    pc[0] = (struct ooo_piece){0, CH};
    pc[1] = (struct ooo_piece){2 * CH, CH};
    e = ooo_run(h, data, pc, 2);
    assert_string_equal(h->rec.e[e].sha256, "");
    assert_int_equal(h->rec.e[e].size, CH);
    h_free(h);

    /* files.max-ooo-bytes: a file that needs more held bytes than that is gapped, and counted */
    h = h_new();
    h->ft.cfg.max_ooo_bytes = 10 * CH;
    h->ft.stats = &h->stats;
    for (n = 0; n < N; n++)
        pc[n] = (struct ooo_piece){(uint32_t)(SIZE - CH * (n + 1)), CH};
    e = ooo_run(h, data, pc, n);
    assert_string_equal(h->rec.e[e].sha256, "");
    assert_int_equal(h->stats.files_ooo_refused, 1); /* once gapped, nothing more is held */
    h_free(h);

    /* files.memcap: the same when the tracker's memory runs out first */
    h = h_new();
    h->ft.stats = &h->stats;
    struct file_track *f = files_open(&h->ft, "smb", "ooo.bin", NULL, 1);
    assert_non_null(f);
    h->ft.mc.cap = h->ft.mc.used + 5 * (CH + 64); /* room for a few exactly sized pieces, not a block */
    for (n = 0; n < N; n++)
        files_data(&h->ft, f, SIZE - CH * (n + 1), data + SIZE - CH * (n + 1), CH);
    assert_true(h->stats.files_ooo_chunks >= 5); /* pieces held, exactly sized, until memory ran out */
    files_close(&h->ft, f, &h->ctx);
    e = h->rec.n - 1;
    assert_string_equal(h->rec.e[e].sha256, "");
    assert_int_equal(h->stats.files_ooo_refused, 1);
    assert_int_equal(h->ft.mc.used, 0);
    h_free(h);
}

/* SMB2 READ request [MS-SMB2 2.2.19] and response [2.2.20] of len bytes at off. */
static void msg_read(struct buf *b, bool resp, uint64_t mid, uint64_t off, const uint8_t *data, uint32_t len)
{
    b->n = 0;
    smb2_hdr(b, SMB2_READ, resp, 0, mid, 7);
    uint8_t *body = b->b + b->n;
    if (resp) {
        memset(body, 0, 16);
        put16(body, 17);
        body[2] = 64 + 16;
        put32(body + 4, len);
        b->n += 16;
        memcpy(b->b + b->n, data, len);
        b->n += len;
        return;
    }
    memset(body, 0, 49);
    put16(body, 49);
    put32(body + 4, len);
    put64(body + 8, off);
    memcpy(body + 16, FID, 16);
    b->n += 49;
}

/* Pipelined READs answered out of order: the file is whole, its hash that of the bytes in order. */
static void test_smb2_read_out_of_order(void **s)
{
    (void)s;
    enum { CH = 3000, N = 5 };
    static uint8_t data[CH * N];
    for (uint32_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 31 + 7);
    struct harness *h = h_new();
    h->ft.stats = &h->stats;
    static struct buf m;
    msg_tree_connect(&m, false, "\\\\PACS\\IMG");
    send1(h, 0, &m);
    msg_tree_connect(&m, true, NULL);
    send1(h, 1, &m);
    m.n = 0;
    msg_create(&m, false, "study.dcm", 4, 0);
    send1(h, 0, &m);
    m.n = 0;
    msg_create(&m, true, NULL, 4, 0);
    put64(m.b + 64 + 48, sizeof(data)); /* EndOfFile: the whole file is to be read */
    send1(h, 1, &m);
    for (uint32_t i = 0; i < N; i++) {
        msg_read(&m, false, 10 + i, (uint64_t)i * CH, NULL, CH);
        send1(h, 0, &m);
    }
    static const uint32_t order[N] = {3, 1, 4, 0, 2};
    for (uint32_t k = 0; k < N; k++) {
        uint32_t i = order[k];
        msg_read(&m, true, 10 + i, 0, data + i * CH, CH);
        send1(h, 1, &m);
    }
    m.n = 0;
    msg_close(&m, false, FID, 20);
    send1(h, 0, &m);
    m.n = 0;
    msg_close(&m, true, NULL, 20);
    send1(h, 1, &m);
    int f = find(&h->rec, EVENT_FILEINFO, NULL);
    assert_true(f >= 0);
    char want[65];
    sha256_hex(data, sizeof(data), want);
    assert_string_equal(h->rec.e[f].filename, "study.dcm");
    assert_string_equal(h->rec.e[f].sha256, want);
    assert_int_equal(h->rec.e[f].size, sizeof(data));
    assert_int_equal(h->stats.files_ooo_chunks, 3); /* 3, 1 and 4 came before the bytes before them */
    assert_int_equal(h->rec.anomalies, 0);
    h_free(h);
}

static int dir_count(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

/* extraction: complete files become DIR/<sha256> once; gapped, partial and over-size ones leave nothing */
static void test_files_extract(void **s)
{
    (void)s;
    char dir[] = "/tmp/medsentry-test-extract-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct files_cfg cfg;
    files_cfg_defaults(&cfg);
    snprintf(cfg.extract_dir, sizeof(cfg.extract_dir), "%s", dir);
    cfg.extract_max_size = 10;
    struct stats st;
    memset(&st, 0, sizeof(st));
    struct file_tracker *t = files_tracker_new(&cfg, &st);
    assert_non_null(t);
    /* complete, in two pieces with an overlap */
    struct file_track *f = files_open(t, "smb", "a", NULL, 0);
    files_data(t, f, 0, (const uint8_t *)"abcd", 4);
    files_data(t, f, 2, (const uint8_t *)"cdef", 4);
    files_close(t, f, NULL);
    char want[65], path[700];
    sha256_hex((const uint8_t *)"abcdef", 6, want);
    snprintf(path, sizeof(path), "%s/%s", dir, want);
    FILE *x = fopen(path, "rb");
    assert_non_null(x);
    char got[16] = {0};
    assert_int_equal(fread(got, 1, sizeof(got), x), 6);
    fclose(x);
    assert_memory_equal(got, "abcdef", 6);
    assert_int_equal(st.files_extracted, 1);
    /* the same bytes again: the existing file is kept (counted as stored) */
    x = fopen(path, "wb");
    fputs("keep", x);
    fclose(x);
    f = files_open(t, "smb", "a2", NULL, 0);
    files_data(t, f, 0, (const uint8_t *)"abcdef", 6);
    files_close(t, f, NULL);
    x = fopen(path, "rb");
    assert_int_equal(fread(got, 1, sizeof(got), x), 4);
    fclose(x);
    /* gapped, then a gap reported by the producer, then over the size cap, then partial (size known) */
    f = files_open(t, "smb", "g", NULL, 0);
    files_data(t, f, 0, (const uint8_t *)"xy", 2);
    files_data(t, f, 5, (const uint8_t *)"zz", 2);
    files_close(t, f, NULL);
    f = files_open(t, "smb", "g2", NULL, 0);
    files_data(t, f, 0, (const uint8_t *)"xy", 2);
    files_gap(t, f);
    files_close(t, f, NULL);
    f = files_open(t, "smb", "big", NULL, 0);
    files_data(t, f, 0, (const uint8_t *)"0123456789", 10);
    files_data(t, f, 10, (const uint8_t *)"A", 1);
    files_close(t, f, NULL);
    f = files_open(t, "smb", "part", NULL, 1);
    files_set_size(f, 8);
    files_data(t, f, 0, (const uint8_t *)"qrs", 3);
    files_close(t, f, NULL);
    assert_int_equal(dir_count(dir), 1); /* only the first file; no temporary files left */
    assert_int_equal(st.files_extracted, 2);
    assert_int_equal(st.files_opened, 6);
    assert_int_equal(st.files_closed, 6);
    assert_int_equal(st.files_bytes_hashed, 6 + 6 + 2 + 2 + 11 + 3);
    unlink(path);
    rmdir(dir);
    files_tracker_delete(t);
}

static void test_probe(void **s)
{
    (void)s;
    assert_int_equal(smb_probe((const uint8_t *)"\x00\x00\x00\x45\xfeSMB", 8, 0), PROBE_YES);
    assert_int_equal(smb_probe((const uint8_t *)"\x00\x00\x00\x45\xffSMB", 8, 0), PROBE_YES);
    assert_int_equal(smb_probe((const uint8_t *)"\x00\x00\x00", 3, 0), PROBE_MAYBE);
    assert_int_equal(smb_probe((const uint8_t *)"GET / HTTP/1.1", 14, 0), PROBE_NO);
    assert_int_equal(smb_probe((const uint8_t *)"\x00\x00\x00\x45\xfeSMX", 8, 0), PROBE_NO);
}

/* ---- SMB1 OPEN_ANDX, TRANSACTION2, NT_TRANSACT, NEGOTIATE ServerGUID, DOS errors ---- */

#define UNI_FLAGS2 0xc001 /* Unicode, NT status, long names */

static void send1(struct harness *h, int dir, const struct buf *m)
{
    static struct buf w;
    nbss(&w, m);
    feed(h, dir, w.b, w.n, 0);
}

/* an event's EVE smb object contains this text */
static bool has_json(const struct rec *r, int i, const char *text)
{
    return i >= 0 && strstr(r->e[i].json, text) != NULL;
}

/* the i-th (0-based) SMB event with command, -1 if none */
static int find_nth(const struct rec *r, const char *command, int nth)
{
    for (int i = 0; i < r->n; i++)
        if (r->e[i].type == EVENT_SMB && strcmp(r->e[i].command, command) == 0 && nth-- == 0)
            return i;
    return -1;
}

static void put_utf16z(struct buf *b, const char *s)
{
    put_utf16(b, s);
    b->b[b->n++] = 0;
    b->b[b->n++] = 0;
}

static void smb1_ids(struct buf *m, uint16_t tid, uint16_t mid)
{
    put16(m->b + 24, tid);
    put16(m->b + 30, mid);
}

/* OPEN_ANDX request [MS-CIFS 2.2.4.41.1] for name, and its response with FID fid */
static void msg_open_andx(struct buf *m, bool resp, uint16_t mid, const char *name, uint16_t fid, uint32_t status)
{
    smb1_hdr(m, 0x2d, resp, status, UNI_FLAGS2, status ? 0 : 15);
    smb1_ids(m, 9, mid);
    uint8_t *w = m->b + 33;
    if (resp) {
        if (!status) {
            put16(w + 4, fid);
            put32(w + 12, 1234); /* FileDataSize */
            put16(w + 22, 2);    /* OpenResults: created */
        }
    } else {
        put16(w + 6, 0x0042);  /* AccessMode: read/write, deny none */
        put16(w + 16, 0x0012); /* OpenMode: create, truncate if it exists */
        m->b[m->n++] = 0;      /* pad: the bytes start at 65 */
        put_utf16z(m, name);
    }
    smb1_bytecount(m, m->b[32]);
}

/* WRITE_ANDX request [MS-CIFS 2.2.4.43.1] of len bytes at offset 0 */
static void msg_write_andx(struct buf *m, uint16_t mid, uint16_t fid, const uint8_t *data, uint16_t len)
{
    smb1_hdr(m, 0x2f, false, 0, UNI_FLAGS2, 14);
    smb1_ids(m, 9, mid);
    uint8_t *w = m->b + 33;
    put16(w + 4, fid);
    put16(w + 20, len);
    put16(w + 22, (uint16_t)(m->n + 1));
    m->b[m->n++] = 0; /* pad */
    memcpy(m->b + m->n, data, len);
    m->n += len;
    smb1_bytecount(m, 14);
}

static void msg_close1(struct buf *m, bool resp, uint16_t mid, uint16_t fid)
{
    smb1_hdr(m, 0x04, resp, 0, UNI_FLAGS2, resp ? 0 : 3);
    smb1_ids(m, 9, mid);
    if (!resp)
        put16(m->b + 33, fid);
    smb1_bytecount(m, m->b[32]);
}

static void test_smb1_open_andx(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m;
    uint8_t data[300];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 11 + 5);
    msg_open_andx(&m, false, 20, "dir\\evil.exe", 0, 0);
    send1(h, 0, &m);
    msg_open_andx(&m, true, 20, NULL, 0x4007, 0);
    send1(h, 1, &m);
    msg_write_andx(&m, 21, 0x4007, data, sizeof(data));
    send1(h, 0, &m);
    msg_close1(&m, false, 22, 0x4007);
    send1(h, 0, &m);
    msg_close1(&m, true, 22, 0);
    send1(h, 1, &m);
    int o = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_OPEN_ANDX");
    assert_true(o >= 0);
    assert_string_equal(h->rec.e[o].filename, "dir\\evil.exe");
    assert_true(has_json(&h->rec, o, "\"disposition\":\"FILE_OVERWRITE_IF\""));
    assert_true(has_json(&h->rec, o, "\"access_mode\":\"0x00000042\""));
    assert_true(has_json(&h->rec, o, "\"open_function\":\"0x00000012\""));
    assert_true(has_json(&h->rec, o, "\"create_action\":2"));
    assert_true(has_json(&h->rec, o, "\"size\":1234"));
    assert_true(has_json(&h->rec, o, "\"fuid\":\"4007\"")); /* Suricata's SMB1 FID format */
    assert_false(has_json(&h->rec, o, "desired_access"));
    int c = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_CLOSE");
    assert_true(c >= 0);
    assert_string_equal(h->rec.e[c].filename, "dir\\evil.exe");
    assert_int_equal(h->rec.e[c].writes, 1);
    assert_int_equal(h->rec.e[c].bytes_written, sizeof(data));
    int f = find(&h->rec, EVENT_FILEINFO, NULL);
    assert_true(f >= 0);
    char want[65];
    sha256_hex(data, sizeof(data), want);
    assert_string_equal(h->rec.e[f].sha256, want);
    assert_int_equal(h->rec.anomalies, 0);

    /* a failed open: an event with the status, no file */
    h->rec.n = 0;
    msg_open_andx(&m, false, 23, "missing.txt", 0, 0);
    send1(h, 0, &m);
    msg_open_andx(&m, true, 23, NULL, 0, 0xc0000034);
    send1(h, 1, &m);
    o = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_OPEN_ANDX");
    assert_true(o >= 0);
    assert_int_equal(h->rec.e[o].status, 0xc0000034);
    assert_string_equal(h->rec.e[o].filename, "missing.txt");
    assert_false(has_json(&h->rec, o, "fuid"));
    h_free(h);
}

static void test_smb1_open_disposition(void **s)
{
    (void)s;
    assert_int_equal(smb1_open_disposition(0x0010), 2);          /* fail if exists, create: FILE_CREATE */
    assert_int_equal(smb1_open_disposition(0x0001), 1);          /* open: FILE_OPEN */
    assert_int_equal(smb1_open_disposition(0x0011), 3);          /* FILE_OPEN_IF */
    assert_int_equal(smb1_open_disposition(0x0002), 4);          /* FILE_OVERWRITE */
    assert_int_equal(smb1_open_disposition(0x0012), 5);          /* FILE_OVERWRITE_IF */
    assert_int_equal(smb1_open_disposition(0x0000), 0xffffffff); /* fail either way: no disposition */
    assert_int_equal(smb1_open_disposition(0x0013), 0xffffffff);
}

/* TRANSACTION2 request [MS-CIFS 2.2.4.46.1]: parameters and data 4-aligned after an empty Name */
static void msg_trans2(struct buf *m, uint16_t mid, uint16_t sub, const uint8_t *par, uint16_t pc, const uint8_t *dat,
                       uint16_t dc)
{
    smb1_hdr(m, 0x32, false, 0, UNI_FLAGS2, 15);
    smb1_ids(m, 9, mid);
    uint8_t *w = m->b + 33;
    w[0] = 0;
    put16(w + 0, pc); /* TotalParameterCount */
    put16(w + 2, dc); /* TotalDataCount */
    put16(w + 18, pc);
    put16(w + 22, dc);
    w[26] = 1; /* SetupCount */
    put16(w + 28, sub);
    m->b[m->n++] = 0; /* Name: empty */
    while (m->n % 4)
        m->b[m->n++] = 0;
    put16(w + 20, (uint16_t)m->n);
    memcpy(m->b + m->n, par, pc);
    m->n += pc;
    while (m->n % 4)
        m->b[m->n++] = 0;
    put16(w + 24, (uint16_t)m->n);
    if (dc)
        memcpy(m->b + m->n, dat, dc);
    m->n += dc;
    smb1_bytecount(m, 15);
}

/* TRANSACTION2 final response [MS-CIFS 2.2.4.46.2] with parameters par[pc], or an error (WordCount 0) */
static void msg_trans2_resp(struct buf *m, uint16_t mid, uint32_t status, const uint8_t *par, uint16_t pc)
{
    smb1_hdr(m, 0x32, true, status, UNI_FLAGS2, status ? 0 : 10);
    smb1_ids(m, 9, mid);
    if (!status) {
        uint8_t *w = m->b + 33;
        w[0] = 0;
        put16(w + 0, pc);
        put16(w + 6, pc);
        while (m->n % 4)
            m->b[m->n++] = 0;
        put16(w + 8, (uint16_t)m->n);
        memcpy(m->b + m->n, par, pc);
        m->n += pc;
    }
    smb1_bytecount(m, m->b[32]);
}

/* parameters: fixed bytes then a Unicode name with its terminator */
static uint16_t params_with_name(uint8_t *par, size_t fixed, const char *name)
{
    size_t n = fixed;
    for (const char *c = name; *c; c++) {
        par[n++] = (uint8_t)*c;
        par[n++] = 0;
    }
    par[n++] = 0;
    par[n++] = 0;
    return (uint16_t)n;
}

/* FILE_RENAME_INFORMATION_TYPE_1 [MS-FSCC 2.4.42.1] with a Unicode name */
static uint16_t rename_info(uint8_t *d, const char *to)
{
    memset(d, 0, 12);
    size_t n = 12;
    for (const char *c = to; *c; c++) {
        d[n++] = (uint8_t)*c;
        d[n++] = 0;
    }
    put32(d + 8, (uint32_t)(n - 12));
    return (uint16_t)n;
}

static void test_smb1_trans2(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m;
    uint8_t par[256], dat[256], rp[64];
    memset(rp, 0, sizeof(rp));

    /* FIND_FIRST2 with its search pattern; an interim response first (only the final one is an event) */
    memset(par, 0, sizeof(par));
    put16(par + 6, 0x0104); /* SMB_FIND_FILE_BOTH_DIRECTORY_INFO */
    uint16_t pc = params_with_name(par, 12, "\\share\\*");
    msg_trans2(&m, 30, 0x0001, par, pc, NULL, 0);
    send1(h, 0, &m);
    smb1_hdr(&m, 0x32, true, 0, UNI_FLAGS2, 0); /* interim: success, no words */
    smb1_ids(&m, 9, 30);
    smb1_bytecount(&m, 0);
    send1(h, 1, &m);
    assert_int_equal(h->rec.n, 0);
    msg_trans2_resp(&m, 30, 0, rp, 10);
    send1(h, 1, &m);
    int e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_TRANS2");
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].filename, "\\share\\*");
    assert_true(has_json(&h->rec, e, "\"subcommand\":\"TRANS2_FIND_FIRST2\""));
    assert_true(has_json(&h->rec, e, "\"info_level\":260"));

    /* QUERY_PATH_INFORMATION that fails */
    h->rec.n = 0;
    memset(par, 0, sizeof(par));
    put16(par, 1004); /* FileBasicInformation pass-through */
    pc = params_with_name(par, 6, "\\dir\\a.txt");
    msg_trans2(&m, 31, 0x0005, par, pc, NULL, 0);
    send1(h, 0, &m);
    msg_trans2_resp(&m, 31, 0xc0000034, NULL, 0);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_TRANS2");
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].filename, "\\dir\\a.txt");
    assert_int_equal(h->rec.e[e].status, 0xc0000034);
    assert_true(has_json(&h->rec, e, "\"subcommand\":\"TRANS2_QUERY_PATH_INFORMATION\""));

    /* SET_PATH_INFORMATION rename (pass-through FileRenameInformation, level 1010) */
    h->rec.n = 0;
    memset(par, 0, sizeof(par));
    put16(par, 1010);
    pc = params_with_name(par, 6, "\\old.txt");
    uint16_t dc = rename_info(dat, "new.txt");
    msg_trans2(&m, 32, 0x0006, par, pc, dat, dc);
    send1(h, 0, &m);
    msg_trans2_resp(&m, 32, 0, rp, 2);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_TRANS2");
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e, "\"rename\":{\"from\":\"\\\\old.txt\",\"to\":\"new.txt\"}"));
    assert_true(has_json(&h->rec, e, "\"set_info\":{\"type\":1,\"class\":10}"));

    /* TRANS2_OPEN2 opens a file into the same table; SET_FILE_INFORMATION renames it, then marks it for delete
     * (CIFS level SMB_SET_FILE_DISPOSITION_INFO); CLOSE reports the new name */
    h->rec.n = 0;
    memset(par, 0, sizeof(par));
    put16(par + 2, 0x0002);  /* AccessMode: read/write */
    put16(par + 12, 0x0011); /* OpenMode: open, create if absent */
    pc = params_with_name(par, 28, "c.txt");
    msg_trans2(&m, 33, 0x0000, par, pc, NULL, 0);
    send1(h, 0, &m);
    memset(rp, 0, sizeof(rp));
    put16(rp, 0x0801);   /* FID */
    put32(rp + 8, 99);   /* FileDataSize */
    put16(rp + 18, 0x1); /* ActionTaken: opened */
    msg_trans2_resp(&m, 33, 0, rp, 30);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_TRANS2");
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].filename, "c.txt");
    assert_true(has_json(&h->rec, e, "\"subcommand\":\"TRANS2_OPEN2\""));
    assert_true(has_json(&h->rec, e, "\"disposition\":\"FILE_OPEN_IF\""));
    assert_true(has_json(&h->rec, e, "\"fuid\":\"0801\""));
    assert_true(has_json(&h->rec, e, "\"size\":99"));
    memset(par, 0, sizeof(par));
    put16(par, 0x0801);
    put16(par + 2, 1010);
    dc = rename_info(dat, "d.txt");
    msg_trans2(&m, 34, 0x0008, par, 6, dat, dc);
    send1(h, 0, &m);
    memset(rp, 0, sizeof(rp));
    msg_trans2_resp(&m, 34, 0, rp, 2);
    send1(h, 1, &m);
    e = find_nth(&h->rec, "SMB1_COMMAND_TRANS2", 1);
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e, "\"rename\":{\"from\":\"c.txt\",\"to\":\"d.txt\"}"));
    assert_true(has_json(&h->rec, e, "\"subcommand\":\"TRANS2_SET_FILE_INFORMATION\""));
    put16(par + 2, 0x0102);
    dat[0] = 1; /* DeletePending */
    msg_trans2(&m, 35, 0x0008, par, 6, dat, 1);
    send1(h, 0, &m);
    msg_trans2_resp(&m, 35, 0, rp, 2);
    send1(h, 1, &m);
    e = find_nth(&h->rec, "SMB1_COMMAND_TRANS2", 2);
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].filename, "d.txt");
    assert_true(has_json(&h->rec, e, "\"delete_pending\":true"));
    assert_true(has_json(&h->rec, e, "\"set_info\":{\"type\":1,\"class\":13}"));
    msg_close1(&m, false, 36, 0x0801);
    send1(h, 0, &m);
    msg_close1(&m, true, 36, 0);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_CLOSE");
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].filename, "d.txt");
    assert_true(has_json(&h->rec, e, "\"access\":\"delete on close\""));

    /* a secondary request (the rest of a split transaction) is not answered and not an event */
    h->rec.n = 0;
    smb1_hdr(&m, 0x33, false, 0, UNI_FLAGS2, 9);
    smb1_ids(&m, 9, 37);
    smb1_bytecount(&m, 9);
    send1(h, 0, &m);
    assert_int_equal(h->rec.n, 0);
    assert_int_equal(h->rec.anomalies, 0);
    h_free(h);
}

/* NT_TRANSACT request [MS-CIFS 2.2.4.62.1] with function fn, setup words, parameters and data */
static void msg_nt_trans(struct buf *m, uint16_t mid, uint16_t fn, const uint8_t *setup, uint8_t setup_count,
                         const uint8_t *par, uint32_t pc, const uint8_t *dat, uint32_t dc)
{
    uint8_t wc = (uint8_t)(19 + setup_count);
    smb1_hdr(m, 0xa0, false, 0, UNI_FLAGS2, wc);
    smb1_ids(m, 9, mid);
    uint8_t *w = m->b + 33;
    w[0] = 0;
    put32(w + 3, pc);
    put32(w + 7, dc);
    put32(w + 19, pc);
    put32(w + 27, dc);
    w[35] = setup_count;
    put16(w + 36, fn);
    if (setup_count)
        memcpy(w + 38, setup, 2u * setup_count);
    while (m->n % 4)
        m->b[m->n++] = 0;
    put32(w + 23, (uint32_t)m->n);
    memcpy(m->b + m->n, par, pc);
    m->n += pc;
    while (m->n % 4)
        m->b[m->n++] = 0;
    put32(w + 31, (uint32_t)m->n);
    if (dc)
        memcpy(m->b + m->n, dat, dc);
    m->n += dc;
    smb1_bytecount(m, wc);
}

static void msg_nt_trans_resp(struct buf *m, uint16_t mid, uint32_t status, uint16_t flags2, const uint8_t *par,
                              uint32_t pc)
{
    smb1_hdr(m, 0xa0, true, status, flags2, status ? 0 : 18);
    smb1_ids(m, 9, mid);
    if (!status) {
        uint8_t *w = m->b + 33;
        w[0] = 0;
        put32(w + 3, pc);
        put32(w + 11, pc);
        while (m->n % 4)
            m->b[m->n++] = 0;
        put32(w + 15, (uint32_t)m->n);
        memcpy(m->b + m->n, par, pc);
        m->n += pc;
    }
    smb1_bytecount(m, m->b[32]);
}

#define FT_2017 131570589990000000ull /* 2017-12-06 18:36:39 UTC as a FILETIME: unix 1512585399 */

static void test_smb1_nt_transact(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m;
    uint8_t par[256], rp[80], setup[8], data[100];

    /* NT_TRANSACT_CREATE: the name at 54 (53 + the Unicode pad) */
    memset(par, 0, sizeof(par));
    put32(par + 8, 0x00120196); /* DesiredAccess */
    put32(par + 28, 2);         /* FILE_CREATE */
    put32(par + 32, 0x00001040);
    uint16_t pc = params_with_name(par, 54, "x\\y.exe");
    put32(par + 44, pc - 54 - 2); /* NameLength without the terminator */
    msg_nt_trans(&m, 40, 1, NULL, 0, par, pc, NULL, 0);
    send1(h, 0, &m);
    memset(rp, 0, sizeof(rp));
    put16(rp + 2, 0x1234);
    put32(rp + 4, 2); /* created */
    put64(rp + 12, FT_2017);
    put64(rp + 20, FT_2017);
    put64(rp + 28, FT_2017);
    put64(rp + 36, 0); /* never: 0 */
    put64(rp + 56, 77);
    msg_nt_trans_resp(&m, 40, 0, UNI_FLAGS2, rp, 69);
    send1(h, 1, &m);
    int e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_NT_TRANS");
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].filename, "x\\y.exe");
    assert_true(has_json(&h->rec, e, "\"subcommand\":\"NT_TRANSACT_CREATE\""));
    assert_true(has_json(&h->rec, e, "\"disposition\":\"FILE_CREATE\""));
    assert_true(has_json(&h->rec, e,
                         "\"created\":1512585399,\"accessed\":1512585399,\"modified\":1512585399,"
                         "\"changed\":0,\"size\":77"));
    assert_true(has_json(&h->rec, e, "\"access\":\"delete on close\""));
    assert_true(has_json(&h->rec, e, "\"fuid\":\"1234\""));
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    msg_write_andx(&m, 41, 0x1234, data, sizeof(data));
    send1(h, 0, &m);

    /* NT_TRANSACT_IOCTL on that file: function code, file name */
    h->rec.n = 0;
    memset(setup, 0, sizeof(setup));
    put32(setup, 0x000900c0); /* FSCTL_CREATE_OR_GET_OBJECT_ID */
    put16(setup + 4, 0x1234);
    setup[6] = 1;
    msg_nt_trans(&m, 42, 2, setup, 4, par, 0, NULL, 0);
    send1(h, 0, &m);
    msg_nt_trans_resp(&m, 42, 0, UNI_FLAGS2, rp, 0);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_NT_TRANS");
    assert_true(e >= 0);
    assert_string_equal(h->rec.e[e].filename, "x\\y.exe");
    assert_true(has_json(&h->rec, e, "\"ioctl_code\":\"0x000900c0\""));
    assert_true(has_json(&h->rec, e, "\"subcommand\":\"NT_TRANSACT_IOCTL\""));

    /* NT_TRANSACT_RENAME (reserved): the server refuses it with a DOS-class error (ERRSRV/ERRerror) */
    h->rec.n = 0;
    msg_nt_trans(&m, 43, 5, NULL, 0, par, 8, NULL, 0);
    send1(h, 0, &m);
    msg_nt_trans_resp(&m, 43, 0x00010002, 0x8001, NULL, 0);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_NT_TRANS");
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e, "\"status\":\"SRV_ERROR\",\"status_code\":\"0x0001\",\"error_class\":\"ERRSRV\""));
    assert_true(has_json(&h->rec, e, "\"subcommand\":\"NT_TRANSACT_RENAME\""));
    smb_parser.on_close(&h->ctx, h->st);
    /* the open never closed: its summary at flow end */
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_CLOSE");
    assert_true(e >= 0);
    assert_int_equal(h->rec.e[e].bytes_written, sizeof(data));
    assert_int_equal(h->rec.anomalies, 0);
    h_free(h);
}

/* NEGOTIATE response ServerGUID (extended security) and a DOS-class error, as Suricata's smb1-02 test shows them */
static void test_smb1_negotiate_guid_dos_error(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m;
    smb1_hdr(&m, 0x72, false, 0, UNI_FLAGS2, 0);
    memcpy(m.b + m.n, "\x02NT LM 0.12\0", 12);
    m.n += 12;
    smb1_bytecount(&m, 0);
    send1(h, 0, &m);
    smb1_hdr(&m, 0x72, true, 0, UNI_FLAGS2, 17);
    m.b[33] = 0;                      /* DialectIndex 0 */
    put32(m.b + 33 + 19, 0x8000e3fd); /* Capabilities with CAP_EXTENDED_SECURITY */
    memcpy(m.b + m.n, "ts412\0\0\0\0\0\0\0\0\0\0\0", 16);
    m.n += 16;
    smb1_bytecount(&m, 17);
    send1(h, 1, &m);
    int e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_NEGOTIATE_PROTOCOL");
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e, "\"server_guid\":\"31347374-0032-0000-0000-000000000000\""));
    assert_true(has_json(&h->rec, e, "\"dialect\":\"NT LM 0.12\""));

    /* without extended security the bytes are the challenge: no GUID */
    h->rec.n = 0;
    smb1_hdr(&m, 0x72, false, 0, UNI_FLAGS2, 0);
    memcpy(m.b + m.n, "\x02NT LM 0.12\0", 12);
    m.n += 12;
    smb1_bytecount(&m, 0);
    send1(h, 0, &m);
    smb1_hdr(&m, 0x72, true, 0, UNI_FLAGS2, 17);
    m.b[33] = 0;
    put32(m.b + 33 + 19, 0x0000e3fd);
    memset(m.b + m.n, 0x41, 16);
    m.n += 16;
    smb1_bytecount(&m, 17);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_NEGOTIATE_PROTOCOL");
    assert_true(e >= 0);
    assert_false(has_json(&h->rec, e, "server_guid"));

    /* LOGOFF_ANDX refused with ERRSRV/ERRbaduid, Flags2 without NT_STATUS: SRV_BADUID / 0x005b */
    h->rec.n = 0;
    smb1_hdr(&m, 0x74, false, 0, 0x0001, 2);
    smb1_bytecount(&m, 2);
    send1(h, 0, &m);
    smb1_hdr(&m, 0x74, true, 0x005b0002, 0x0001, 0);
    smb1_bytecount(&m, 0);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_LOGOFF_ANDX");
    assert_true(e >= 0);
    assert_true(
        has_json(&h->rec, e, "\"status\":\"SRV_BADUID\",\"status_code\":\"0x005b\",\"error_class\":\"ERRSRV\""));
    /* the same code as an NTSTATUS (Flags2 NT_STATUS set) stays an NTSTATUS */
    h->rec.n = 0;
    smb1_hdr(&m, 0x74, true, 0xc000006d, UNI_FLAGS2, 0);
    smb1_bytecount(&m, 0);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_LOGOFF_ANDX");
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e, "\"status\":\"STATUS_LOGON_FAILURE\",\"status_code\":\"0xc000006d\""));
    assert_false(has_json(&h->rec, e, "error_class"));
    h_free(h);

    char buf[32];
    assert_string_equal(smb1_dos_error_name(1, 5, buf, sizeof(buf)), "DOS_ACCESS_DENIED");
    assert_string_equal(smb1_dos_error_name(1, 32, buf, sizeof(buf)), "32");
    assert_string_equal(smb1_dos_error_name(2, 91, buf, sizeof(buf)), "SRV_BADUID");
    assert_string_equal(smb1_dos_error_name(3, 31, buf, sizeof(buf)), "UNKNOWN_03_001f");
    assert_string_equal(smb1_dos_error_name(0xff, 0xffff, buf, sizeof(buf)), "UNKNOWN_ff_ffff");
}

/* SMB2: NEGOTIATE ServerGuid, CREATE timestamps and the file id as Suricata prints them, and a SET_INFO rename
 * whose CREATE completed asynchronously (STATUS_PENDING first): rename.from is the name before the rename */
static void test_smb2_guid_times_rename(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m;
    static const uint8_t guid[16] = {0x4d, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    m.n = 0;
    smb2_hdr(&m, SMB2_NEGOTIATE, false, 0, 0, 0);
    memset(m.b + m.n, 0, 38);
    put16(m.b + m.n, 36);
    put16(m.b + m.n + 2, 1);
    put16(m.b + m.n + 36, 0x0210);
    m.n += 38;
    send1(h, 0, &m);
    m.n = 0;
    smb2_hdr(&m, SMB2_NEGOTIATE, true, 0, 0, 0);
    memset(m.b + m.n, 0, 64);
    put16(m.b + m.n, 65);
    put16(m.b + m.n + 4, 0x0210);
    memcpy(m.b + m.n + 8, guid, 16);
    m.n += 64;
    send1(h, 1, &m);
    int e = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_NEGOTIATE_PROTOCOL");
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e, "\"server_guid\":\"0000004d-0000-0000-0009-0000ffffffff\""));

    h->rec.n = 0;
    m.n = 0;
    msg_create(&m, false, "a.pdf", 4, 0);
    send1(h, 0, &m);
    m.n = 0; /* interim async response */
    smb2_hdr(&m, SMB2_CREATE, true, SMB_STATUS_PENDING, 4, 0);
    put32(m.b + 16, 3); /* response, async */
    memset(m.b + m.n, 0, 9);
    put16(m.b + m.n, 9);
    m.n += 9;
    send1(h, 1, &m);
    m.n = 0;
    size_t o = m.n;
    msg_create(&m, true, NULL, 4, 0);
    put64(m.b + o + 64 + 8, FT_2017);
    put64(m.b + o + 64 + 16, FT_2017);
    put64(m.b + o + 64 + 24, 116444736000000000ull); /* the epoch itself: 0, as Suricata */
    put64(m.b + o + 64 + 32, FT_2017 + 10000000);
    memcpy(m.b + o + 64 + 64, guid, 16);
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_CREATE");
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e,
                         "\"created\":1512585399,\"accessed\":1512585399,\"modified\":0,"
                         "\"changed\":1512585400"));
    assert_true(has_json(&h->rec, e, "\"fuid\":\"0000004d-0000-0000-0009-0000ffffffff\""));
    m.n = 0;
    smb2_hdr(&m, SMB2_SET_INFO, false, 0, 5, 7);
    uint8_t *b = m.b + m.n;
    memset(b, 0, 32);
    put16(b, 33);
    b[2] = 1;  /* file info */
    b[3] = 10; /* FileRenameInformation */
    put16(b + 8, 64 + 32);
    memcpy(b + 16, guid, 16);
    m.n += 32;
    size_t ib = m.n;
    memset(m.b + m.n, 0, 20);
    m.n += 20;
    put_utf16(&m, "a.pdf.enc");
    put32(m.b + ib + 16, 18);
    put32(b + 4, (uint32_t)(m.n - ib));
    send1(h, 0, &m);
    m.n = 0;
    smb2_hdr(&m, SMB2_SET_INFO, true, 0, 5, 7);
    put16(m.b + m.n, 2);
    m.n += 2;
    send1(h, 1, &m);
    e = find(&h->rec, EVENT_SMB, "SMB2_COMMAND_SET_INFO");
    assert_true(e >= 0);
    assert_true(has_json(&h->rec, e, "\"rename\":{\"from\":\"a.pdf\",\"to\":\"a.pdf.enc\"}"));
    h_free(h);
}

/* Every message of an SMB1 conversation using the new decoders, cut at every length (the NetBIOS length says
 * the cut one), with the others whole: no over-read (ASan), no leak, every allocation returned. */
static void test_smb1_truncated_everywhere(void **s)
{
    (void)s;
    enum { NMSG = 12 };
    static struct buf msgs[NMSG];
    int dirs[NMSG];
    uint8_t par[256], dat[64], rp[80];
    int k = 0;
    memset(par, 0, sizeof(par));
    memset(rp, 0, sizeof(rp));
    msg_open_andx(&msgs[k], false, 20, "dir\\evil.exe", 0, 0);
    dirs[k++] = 0;
    msg_open_andx(&msgs[k], true, 20, NULL, 0x4007, 0);
    dirs[k++] = 1;
    put16(par + 6, 0x0104);
    uint16_t pc = params_with_name(par, 12, "\\*");
    msg_trans2(&msgs[k], 30, 0x0001, par, pc, NULL, 0);
    dirs[k++] = 0;
    msg_trans2_resp(&msgs[k], 30, 0, rp, 10);
    dirs[k++] = 1;
    memset(par, 0, sizeof(par));
    put16(par, 1010);
    pc = params_with_name(par, 6, "\\old.txt");
    uint16_t dc = rename_info(dat, "new.txt");
    msg_trans2(&msgs[k], 32, 0x0006, par, pc, dat, dc);
    dirs[k++] = 0;
    memset(par, 0, sizeof(par));
    put16(par, 0x4007);
    put16(par + 2, 1010);
    msg_trans2(&msgs[k], 34, 0x0008, par, 6, dat, dc);
    dirs[k++] = 0;
    memset(par, 0, sizeof(par));
    put32(par + 28, 2);
    pc = params_with_name(par, 54, "x\\y.exe");
    put32(par + 44, pc - 56);
    msg_nt_trans(&msgs[k], 40, 1, NULL, 0, par, pc, NULL, 0);
    dirs[k++] = 0;
    put16(rp + 2, 0x1234);
    msg_nt_trans_resp(&msgs[k], 40, 0, UNI_FLAGS2, rp, 69);
    dirs[k++] = 1;
    uint8_t setup[8] = {0x17, 0xc0, 0x11, 0x00, 0x34, 0x12, 1, 0};
    msg_nt_trans(&msgs[k], 42, 2, setup, 4, dat, 8, dat, 16);
    dirs[k++] = 0;
    msg_nt_trans_resp(&msgs[k], 42, 0, UNI_FLAGS2, rp, 16);
    dirs[k++] = 1;
    smb1_hdr(&msgs[k], 0x72, true, 0, UNI_FLAGS2, 17);
    put32(msgs[k].b + 33 + 19, 0x80000000u);
    msgs[k].n += 16;
    smb1_bytecount(&msgs[k], 17);
    dirs[k++] = 1;
    smb1_hdr(&msgs[k], 0x07, false, 0, UNI_FLAGS2, 1);
    msgs[k].b[msgs[k].n++] = 4;
    put_utf16z(&msgs[k], "a");
    msgs[k].b[msgs[k].n++] = 4;
    msgs[k].b[msgs[k].n++] = 0;
    put_utf16z(&msgs[k], "b");
    smb1_bytecount(&msgs[k], 1);
    dirs[k++] = 0;
    assert_int_equal(k, NMSG);
    static struct buf w;
    for (int i = 0; i < NMSG; i++) {
        for (size_t cut = 0; cut <= msgs[i].n; cut++) {
            struct harness *h = h_new();
            for (int j = 0; j < NMSG; j++) {
                struct buf *mj = &msgs[j];
                size_t keep = mj->n;
                if (j == i)
                    mj->n = cut;
                nbss(&w, mj);
                mj->n = keep;
                feed(h, dirs[j], w.b, w.n, 0);
            }
            h_free(h);
        }
    }
}

/* Counts and offsets that lie: parameters/data past the record, NameLength and FileNameLength past their
 * block, SetupCount beyond the words, a huge WordCount claim.  Nothing is read outside the record. */
static void test_smb1_trans_lying_lengths(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m;
    uint8_t par[256], dat[64], rp[80];
    memset(par, 0, sizeof(par));
    memset(rp, 0, sizeof(rp));
    /* TRANS2 ParameterOffset past the record */
    put16(par + 6, 0x0104);
    uint16_t pc = params_with_name(par, 12, "\\*");
    msg_trans2(&m, 50, 0x0001, par, pc, NULL, 0);
    put16(m.b + 33 + 20, 0xfff0);
    send1(h, 0, &m);
    /* ParameterCount past the record */
    msg_trans2(&m, 51, 0x0001, par, pc, NULL, 0);
    put16(m.b + 33 + 18, 0xffff);
    send1(h, 0, &m);
    /* SetupCount larger than the words */
    msg_trans2(&m, 52, 0x0001, par, pc, NULL, 0);
    m.b[33 + 26] = 200;
    send1(h, 0, &m);
    /* SET_PATH rename: FileNameLength past the data, then DataOffset past the record */
    memset(par, 0, sizeof(par));
    put16(par, 1010);
    pc = params_with_name(par, 6, "\\x");
    uint16_t dc = rename_info(dat, "y");
    put32(dat + 8, 0xfffffff0u);
    msg_trans2(&m, 53, 0x0006, par, pc, dat, dc);
    send1(h, 0, &m);
    msg_trans2_resp(&m, 53, 0, rp, 2);
    send1(h, 1, &m);
    int e = find(&h->rec, EVENT_SMB, "SMB1_COMMAND_TRANS2");
    assert_true(e >= 0);
    assert_false(has_json(&h->rec, e, "rename")); /* no target name read */
    dc = rename_info(dat, "y");
    msg_trans2(&m, 54, 0x0006, par, pc, dat, dc);
    put16(m.b + 33 + 24, 0xfff0);
    send1(h, 0, &m);
    /* TRANS2 response: ParameterOffset past the record for an OPEN2: an event without a file */
    memset(par, 0, sizeof(par));
    pc = params_with_name(par, 28, "o.txt");
    msg_trans2(&m, 55, 0x0000, par, pc, NULL, 0);
    send1(h, 0, &m);
    msg_trans2_resp(&m, 55, 0, rp, 30);
    put16(m.b + 33 + 8, 0xfff0);
    send1(h, 1, &m);
    /* NT_TRANSACT_CREATE NameLength far past the parameters, then ParameterOffset/Count 32-bit huge */
    memset(par, 0, sizeof(par));
    pc = params_with_name(par, 54, "n.txt");
    put32(par + 44, 0xffffffffu);
    msg_nt_trans(&m, 56, 1, NULL, 0, par, pc, NULL, 0);
    send1(h, 0, &m);
    msg_nt_trans(&m, 57, 1, NULL, 0, par, pc, NULL, 0);
    put32(m.b + 33 + 23, 0xfffffff0u);
    send1(h, 0, &m);
    msg_nt_trans(&m, 58, 1, NULL, 0, par, pc, NULL, 0);
    put32(m.b + 33 + 19, 0xfffffff0u);
    send1(h, 0, &m);
    /* NT_TRANSACT response: counts past the record, a displacement (not the first part) */
    msg_nt_trans_resp(&m, 56, 0, UNI_FLAGS2, rp, 69);
    put32(m.b + 33 + 11, 0xffffffffu);
    send1(h, 1, &m);
    msg_nt_trans_resp(&m, 57, 0, UNI_FLAGS2, rp, 69);
    put32(m.b + 33 + 19, 69);
    send1(h, 1, &m);
    /* NT_TRANSACT_IOCTL with fewer setup words than it needs, and SetupCount past the words */
    uint8_t setup[8] = {0};
    msg_nt_trans(&m, 59, 2, setup, 1, par, 0, NULL, 0);
    send1(h, 0, &m);
    msg_nt_trans(&m, 60, 2, setup, 4, par, 0, NULL, 0);
    m.b[33 + 35] = 250;
    send1(h, 0, &m);
    /* OPEN_ANDX with a short WordCount, RENAME without its BufferFormat */
    smb1_hdr(&m, 0x2d, false, 0, UNI_FLAGS2, 3);
    smb1_bytecount(&m, 3);
    send1(h, 0, &m);
    smb1_hdr(&m, 0x07, false, 0, UNI_FLAGS2, 1);
    m.b[m.n++] = 'a';
    smb1_bytecount(&m, 1);
    send1(h, 0, &m);
    /* no open came out of any of it */
    for (int i = 0; i < h->rec.n; i++)
        assert_false(has_json(&h->rec, i, "fuid"));
    h_free(h);
}

/* ---- named pipes whose tree connect was not seen (capture started after it) ---- */

/* a DCE/RPC bind [C706 12.6.4.3] of svcctl: what a client writes first into a pipe */
static size_t dce_bind(uint8_t *p)
{
    static const uint8_t svcctl[16] = {0x81, 0xbb, 0x7a, 0x36, 0x44, 0x98, 0xf1, 0x35,
                                       0xad, 0x32, 0x98, 0xf0, 0x38, 0x00, 0x10, 0x03};
    static const uint8_t ndr[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};
    memset(p, 0, 72);
    p[0] = 5;
    p[2] = 11; /* bind */
    p[3] = 3;
    p[4] = 0x10;
    put16(p + 8, 72);
    put32(p + 12, 1);
    put16(p + 16, 4280);
    put16(p + 18, 4280);
    p[24] = 1; /* one context */
    p[30] = 1; /* one transfer syntax */
    memcpy(p + 32, svcctl, 16);
    put16(p + 48, 2);
    memcpy(p + 52, ndr, 16);
    put32(p + 68, 2);
    return 72;
}

/* CREATE name in tree 7 (never connected in the capture), response with or without times; a write of data; close:
 * returns the number of dcerpc events and fileinfo events that came of it */
static void open_write_close(struct harness *h, const char *name, bool times, const uint8_t *data, uint32_t len,
                             int *dcerpc, int *fileinfo)
{
    static struct buf m, w;
    int before = h->rec.n;
    m.n = 0;
    msg_create(&m, false, name, 4, 0);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    m.n = 0;
    msg_create(&m, true, NULL, 4, 0);
    if (times)
        for (int i = 0; i < 4; i++)
            put64(m.b + 64 + 8 + 8 * i, FT_2017);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    msg_write(&m, 5, 0, data, len);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    m.n = 0;
    msg_close(&m, false, FID, 6);
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    m.n = 0;
    msg_close(&m, true, NULL, 6);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    *dcerpc = *fileinfo = 0;
    for (int i = before; i < h->rec.n; i++) {
        *dcerpc += h->rec.e[i].type == EVENT_DCERPC;
        *fileinfo += h->rec.e[i].type == EVENT_FILEINFO;
    }
}

static void test_smb2_pipe_without_tree(void **s)
{
    (void)s;
    struct harness *h = h_new();
    uint8_t bind[72], mz[64] = {'M', 'Z'};
    dce_bind(bind);
    int rpc, fi;
    /* a well-known pipe name, a response with times (not telling): the name decides */
    open_write_close(h, "lsarpc", true, bind, sizeof(bind), &rpc, &fi);
    assert_int_equal(rpc, 1); /* the bind, unanswered, written when the open ends */
    assert_int_equal(fi, 0);
    open_write_close(h, "\\PIPE\\SAMR", true, bind, sizeof(bind), &rpc, &fi);
    assert_int_equal(rpc, 1);
    assert_int_equal(fi, 0);
    /* an unknown name, a response without times (a pipe's: 0 here, Samba's 1970-01-01 too) */
    open_write_close(h, "PSEXESVC", false, bind, sizeof(bind), &rpc, &fi);
    assert_int_equal(rpc, 1);
    assert_int_equal(fi, 0);
    /* an unknown name with times: the first bytes decide, DCE/RPC makes a pipe */
    open_write_close(h, "spooler-x", true, bind, sizeof(bind), &rpc, &fi);
    assert_int_equal(rpc, 1);
    assert_int_equal(fi, 0);
    /* ... and anything else a file */
    open_write_close(h, "lsarpc.exe", true, mz, sizeof(mz), &rpc, &fi);
    assert_int_equal(rpc, 0);
    assert_int_equal(fi, 1);
    /* a DCE/RPC header with a server's packet type written by the client is no pipe's first write */
    bind[2] = 12; /* bind_ack */
    open_write_close(h, "notes.bin", true, bind, sizeof(bind), &rpc, &fi);
    assert_int_equal(rpc, 0);
    assert_int_equal(fi, 1);
    /* with its tree connected as a disk share, a pipe's name is a file's */
    static struct buf m, w;
    msg_tree_connect(&m, false, "\\\\PACS\\DATA");
    nbss(&w, &m);
    feed(h, 0, w.b, w.n, 0);
    msg_tree_connect(&m, true, NULL);
    nbss(&w, &m);
    feed(h, 1, w.b, w.n, 0);
    bind[2] = 11;
    open_write_close(h, "lsarpc", false, bind, sizeof(bind), &rpc, &fi);
    assert_int_equal(rpc, 0);
    assert_int_equal(fi, 1);
    assert_true(smb_pipe_name_known("\\\\PIPE\\NetLogon"));
    assert_true(smb_pipe_name_known("\\netlogon"));
    assert_false(smb_pipe_name_known("dir\\lsarpc"));
    assert_false(smb_pipe_name_known(""));
    h_free(h);
}

/* SMB1: the open's ResourceType says pipe (1, 2) or disk (0) when the tree is unknown */
static void test_smb1_pipe_resource_type(void **s)
{
    (void)s;
    struct harness *h = h_new();
    static struct buf m;
    uint8_t bind[72];
    dce_bind(bind);
    for (int type = 0; type < 3; type++) {
        h->rec.n = 0;
        msg_open_andx(&m, false, 20, "data", 0, 0);
        send1(h, 0, &m);
        msg_open_andx(&m, true, 20, NULL, 0x4007, 0);
        put16(m.b + 33 + 18, (uint16_t)type); /* ResourceType */
        send1(h, 1, &m);
        msg_write_andx(&m, 21, 0x4007, bind, sizeof(bind));
        send1(h, 0, &m);
        msg_close1(&m, false, 22, 0x4007);
        send1(h, 0, &m);
        msg_close1(&m, true, 22, 0);
        send1(h, 1, &m);
        /* type 0, a disk file: even DCE/RPC bytes are its content */
        assert_int_equal(find(&h->rec, EVENT_DCERPC, NULL) >= 0, type != 0);
        assert_int_equal(find(&h->rec, EVENT_FILEINFO, NULL) >= 0, type == 0);
    }
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smb2_upload_whole),
        cmocka_unit_test(test_smb2_upload_bytewise),
        cmocka_unit_test(test_smb2_upload_streamed),
        cmocka_unit_test(test_smb2_compound),
        cmocka_unit_test(test_smb2_bad_next),
        cmocka_unit_test(test_smb2_chain_cap),
        cmocka_unit_test(test_nbss_length_lie),
        cmocka_unit_test(test_smb3_transform),
        cmocka_unit_test(test_smb_gap_resync),
        cmocka_unit_test(test_smb_gap_in_record),
        cmocka_unit_test(test_smb_gap_resync_keeps_state),
        cmocka_unit_test(test_smb_gap_then_end),
        cmocka_unit_test(test_smb2_ntlmssp),
        cmocka_unit_test(test_ntlmssp_malformed),
        cmocka_unit_test(test_smb1_andx_loop),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_files_magic),
        cmocka_unit_test(test_files_order),
        cmocka_unit_test(test_files_out_of_order),
        cmocka_unit_test(test_smb2_read_out_of_order),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_smb2_stream_open_replaced),
        cmocka_unit_test(test_smb_table_limit_from_config),
        cmocka_unit_test(test_smb1_native_strings),
        cmocka_unit_test(test_files_extract),
        cmocka_unit_test(test_smb1_open_andx),
        cmocka_unit_test(test_smb1_open_disposition),
        cmocka_unit_test(test_smb1_trans2),
        cmocka_unit_test(test_smb1_nt_transact),
        cmocka_unit_test(test_smb1_negotiate_guid_dos_error),
        cmocka_unit_test(test_smb2_guid_times_rename),
        cmocka_unit_test(test_smb1_truncated_everywhere),
        cmocka_unit_test(test_smb1_trans_lying_lengths),
        cmocka_unit_test(test_smb2_pipe_without_tree),
        cmocka_unit_test(test_smb1_pipe_resource_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
