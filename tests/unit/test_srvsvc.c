/*
 * test_srvsvc.c - the srvsvc stub decoder [MS-SRVS 3.1.4] fed NDR built from
 * the IDL: NetrShareEnum requests and responses at levels 1, 2 and 502 (the
 * deferred strings of an array of structures in element and field order, a
 * security descriptor byte array, NULL pointers), more shares than are kept,
 * a hostile EntriesRead, max_count disagreeing with EntriesRead, every
 * truncation of a valid response, NetrShareGetInfo and NetrServerGetInfo
 * levels 101 and 102; and one call through a DCE/RPC connection (bind, request,
 * response in two fragments) to check the response stub is gathered and the
 * event carries the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "app/app.h"
#include "app/dcerpc/dcerpc.h"
#include "core/stats.h"

/* ---- an NDR builder (little-endian) ---- */
struct buf {
    uint8_t b[16384];
    size_t n;
};

static void align4(struct buf *s)
{
    while (s->n % 4)
        s->b[s->n++] = 0;
}

static void u32(struct buf *s, uint32_t v)
{
    align4(s);
    for (int i = 0; i < 4; i++)
        s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void u16(struct buf *s, uint16_t v)
{
    s->b[s->n++] = (uint8_t)v;
    s->b[s->n++] = (uint8_t)(v >> 8);
}

/* a [string] wchar_t* pointee: max_count, offset, actual_count, UTF-16LE with its NUL */
static void wstr(struct buf *s, const char *a)
{
    uint32_t l = (uint32_t)strlen(a) + 1;
    u32(s, l);
    u32(s, 0);
    u32(s, l);
    for (uint32_t i = 0; i < l; i++)
        u16(s, (uint8_t)a[i]);
}

static uint32_t ref = 0x20000;
static uint32_t ptr(void)
{
    return ref += 4;
}

static void share_enum_request(struct buf *s, uint32_t level)
{
    u32(s, ptr());
    wstr(s, "\\\\PACS-01");
    u32(s, level);      /* InfoStruct.Level */
    u32(s, level);      /* union switch */
    u32(s, ptr());      /* container */
    u32(s, 0);          /* EntriesRead */
    u32(s, 0);          /* Buffer NULL */
    u32(s, 0xffffffff); /* PreferedMaximumLength */
    u32(s, 0);          /* ResumeHandle NULL */
}

/* a level-2 response of n shares named SHARE<i>, path C:\S<i>, the IPC one special */
static void share_enum_response_l2(struct buf *s, uint32_t n)
{
    u32(s, 2);
    u32(s, 2);
    u32(s, ptr());
    u32(s, n);
    u32(s, ptr());
    u32(s, n); /* max_count */
    for (uint32_t i = 0; i < n; i++) {
        u32(s, ptr());                    /* netname */
        u32(s, i == 0 ? 0x80000003u : 0); /* type */
        u32(s, i == 1 ? 0 : ptr());       /* remark (NULL for share 1) */
        u32(s, 0);                        /* permissions */
        u32(s, 0xffffffff);               /* max_uses */
        u32(s, 1);                        /* current_uses */
        u32(s, ptr());                    /* path */
        u32(s, 0);                        /* passwd NULL */
    }
    for (uint32_t i = 0; i < n; i++) {
        char t[32];
        snprintf(t, sizeof(t), i == 0 ? "IPC$" : "SHARE%u", i);
        wstr(s, t);
        if (i != 1)
            wstr(s, "remark");
        snprintf(t, sizeof(t), "C:\\S%u", i);
        wstr(s, t);
    }
    u32(s, n); /* TotalEntries */
    u32(s, 0); /* ResumeHandle NULL */
    u32(s, 0); /* status */
}

static void test_share_enum_request(void **st)
{
    (void)st;
    struct buf s = {.n = 0};
    share_enum_request(&s, 502);
    struct dcerpc_srvsvc o;
    assert_int_equal(dcerpc_srvsvc_decode(15, s.b, s.n, true, &o), 0);
    assert_true(o.present);
    assert_string_equal(o.server, "\\\\PACS-01");
    assert_true(o.has_level);
    assert_int_equal(o.level, 502);
    assert_false(o.truncated);
    assert_int_equal(dcerpc_srvsvc_decode(13, s.b, s.n, true, &o), -1); /* not an operation we decode */
}

static void test_share_enum_response_level2(void **st)
{
    (void)st;
    struct buf s = {.n = 0};
    share_enum_response_l2(&s, 3);
    struct dcerpc_srvsvc o;
    memset(&o, 0, sizeof(o));
    o.opnum = 15;
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_false(o.truncated);
    assert_true(o.has_return);
    assert_int_equal(o.return_code, 0);
    assert_int_equal(o.entries, 3);
    assert_int_equal(o.n_shares, 3);
    assert_string_equal(o.shares[0].name, "IPC$");
    assert_int_equal(o.shares[0].type, 0x80000003u);
    assert_string_equal(o.shares[0].path, "C:\\S0");
    assert_string_equal(o.shares[1].name, "SHARE1"); /* after a NULL remark */
    assert_string_equal(o.shares[1].path, "C:\\S1");
    assert_string_equal(o.shares[2].name, "SHARE2");
    assert_string_equal(o.shares[2].path, "C:\\S2");
}

static void test_share_enum_response_level502(void **st)
{
    (void)st;
    struct buf s = {.n = 0};
    u32(&s, 502);
    u32(&s, 502);
    u32(&s, ptr());
    u32(&s, 2);
    u32(&s, ptr());
    u32(&s, 2);
    for (int i = 0; i < 2; i++) {
        u32(&s, ptr()); /* netname */
        u32(&s, 0);     /* type */
        u32(&s, 0);     /* remark NULL */
        u32(&s, 0);
        u32(&s, 0);
        u32(&s, 0);
        u32(&s, ptr());         /* path */
        u32(&s, 0);             /* passwd */
        u32(&s, i ? 0 : 5);     /* reserved = SD length */
        u32(&s, i ? 0 : ptr()); /* security descriptor */
    }
    wstr(&s, "ADMIN$");
    wstr(&s, "C:\\Windows");
    u32(&s, 5); /* SD max_count and bytes */
    for (int i = 0; i < 5; i++)
        s.b[s.n++] = 0xee;
    wstr(&s, "C$");
    wstr(&s, "C:\\");
    u32(&s, 2);
    u32(&s, 0);
    u32(&s, 0x00000005); /* ERROR_ACCESS_DENIED */
    struct dcerpc_srvsvc o;
    memset(&o, 0, sizeof(o));
    o.opnum = 15;
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_false(o.truncated);
    assert_int_equal(o.return_code, 5);
    assert_int_equal(o.n_shares, 2);
    assert_string_equal(o.shares[0].name, "ADMIN$");
    assert_string_equal(o.shares[0].path, "C:\\Windows");
    assert_string_equal(o.shares[1].name, "C$");
    assert_string_equal(o.shares[1].path, "C:\\");
}

static void test_share_enum_more_than_kept(void **st)
{
    (void)st;
    struct buf *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    share_enum_response_l2(s, DCERPC_SRVSVC_MAX_SHARES + 8);
    struct dcerpc_srvsvc o;
    memset(&o, 0, sizeof(o));
    o.opnum = 36;
    dcerpc_srvsvc_decode_response(s->b, s->n, true, &o);
    assert_false(o.truncated);
    assert_int_equal(o.entries, DCERPC_SRVSVC_MAX_SHARES + 8);
    assert_int_equal(o.n_shares, DCERPC_SRVSVC_MAX_SHARES);
    assert_string_equal(o.shares[DCERPC_SRVSVC_MAX_SHARES - 1].name, "SHARE31");
    free(s);
}

static void test_share_enum_hostile(void **st)
{
    (void)st;
    struct dcerpc_srvsvc o;
    /* EntriesRead 0xffffffff with a few bytes behind it: rejected before any loop */
    struct buf s = {.n = 0};
    u32(&s, 1);
    u32(&s, 1);
    u32(&s, ptr());
    u32(&s, 0xffffffffu);
    u32(&s, ptr());
    u32(&s, 0xffffffffu);
    for (int i = 0; i < 12; i++)
        u32(&s, ptr());
    u32(&s, 0);
    memset(&o, 0, sizeof(o));
    o.opnum = 15;
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_true(o.truncated);
    assert_int_equal(o.n_shares, 0);
    assert_true(o.has_return);

    /* max_count disagreeing with EntriesRead */
    s.n = 0;
    share_enum_response_l2(&s, 2);
    s.b[20] = 3; /* max_count at offset 20 */
    memset(&o, 0, sizeof(o));
    o.opnum = 15;
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_true(o.truncated);
    assert_int_equal(o.n_shares, 0);

    /* an unknown level: the count is reported, no shares */
    s.n = 0;
    share_enum_response_l2(&s, 2);
    s.b[0] = 7;
    memset(&o, 0, sizeof(o));
    o.opnum = 15;
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_int_equal(o.entries, 2);
    assert_int_equal(o.n_shares, 0);

    /* every truncation of a valid response: no read past the end (ASan), never more shares than sent */
    struct buf full = {.n = 0};
    share_enum_response_l2(&full, 4);
    for (size_t cut = 0; cut < full.n; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1);
        assert_non_null(copy);
        memcpy(copy, full.b, cut);
        memset(&o, 0, sizeof(o));
        o.opnum = 15;
        dcerpc_srvsvc_decode_response(copy, cut, true, &o);
        assert_true(o.n_shares <= 4);
        if (cut >= 4 && cut < full.n - 12)
            assert_true(o.truncated || o.n_shares == 0);
        free(copy);
    }
}

static void test_share_get_info(void **st)
{
    (void)st;
    struct buf s = {.n = 0};
    u32(&s, 0); /* ServerName NULL */
    wstr(&s, "ADMIN$");
    u32(&s, 2);
    struct dcerpc_srvsvc o;
    assert_int_equal(dcerpc_srvsvc_decode(16, s.b, s.n, true, &o), 0);
    assert_string_equal(o.share, "ADMIN$");
    assert_int_equal(o.level, 2);
    assert_false(o.truncated);

    s.n = 0;
    u32(&s, 1); /* switch */
    u32(&s, ptr());
    u32(&s, ptr());
    u32(&s, 0);
    u32(&s, ptr());
    wstr(&s, "ADMIN$");
    wstr(&s, "Remote Admin");
    u32(&s, 0);
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_false(o.truncated);
    assert_int_equal(o.n_shares, 1);
    assert_string_equal(o.shares[0].name, "ADMIN$");
    assert_true(o.shares[0].has_type);
}

static void test_server_get_info(void **st)
{
    (void)st;
    struct buf s = {.n = 0};
    u32(&s, ptr());
    wstr(&s, "\\\\CT-CONSOLE");
    u32(&s, 102);
    struct dcerpc_srvsvc o;
    assert_int_equal(dcerpc_srvsvc_decode(21, s.b, s.n, true, &o), 0);
    assert_string_equal(o.server, "\\\\CT-CONSOLE");
    assert_int_equal(o.level, 102);

    s.n = 0;
    u32(&s, 102); /* switch */
    u32(&s, ptr());
    u32(&s, 500); /* platform_id */
    u32(&s, ptr());
    u32(&s, 5); /* Windows XP: 5.1 */
    u32(&s, 1);
    u32(&s, 0x00001003);
    u32(&s, ptr()); /* comment */
    for (int i = 0; i < 6; i++)
        u32(&s, (uint32_t)i); /* users .. licenses */
    u32(&s, ptr());           /* userpath */
    wstr(&s, "CT-CONSOLE");
    wstr(&s, "Scanner console");
    wstr(&s, "C:\\");
    u32(&s, 0);
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_false(o.truncated);
    assert_true(o.has_server_info);
    assert_true(o.has_version);
    assert_int_equal(o.platform_id, 500);
    assert_int_equal(o.version_major, 5);
    assert_int_equal(o.version_minor, 1);
    assert_int_equal(o.server_type, 0x1003);
    assert_string_equal(o.server_name, "CT-CONSOLE");
    assert_string_equal(o.comment, "Scanner console");

    /* level 100: platform and name only */
    s.n = 0;
    u32(&s, 100);
    u32(&s, ptr());
    u32(&s, 500);
    u32(&s, ptr());
    wstr(&s, "MR-01");
    u32(&s, 0);
    assert_int_equal(dcerpc_srvsvc_decode(21, (const uint8_t *)"", 0, true, &o), 0);
    assert_true(o.truncated); /* an empty request stub */
    dcerpc_srvsvc_decode_response(s.b, s.n, true, &o);
    assert_true(o.has_server_info);
    assert_false(o.has_version);
    assert_string_equal(o.server_name, "MR-01");
}

/* ---- one call through a connection ---- */
struct seen {
    int calls;
    bool has_srvsvc;
    size_t n_shares;
    char first[128];
    uint32_t ret;
};

static void on_event(void *user, const struct event *ev)
{
    struct seen *s = user;
    if (ev->type != EVENT_DCERPC)
        return;
    const struct dcerpc_event *d = ev->body;
    if (d->ptype != DCERPC_REQUEST)
        return;
    s->calls++;
    if (d->srvsvc && d->srvsvc->present) {
        s->has_srvsvc = true;
        s->n_shares = d->srvsvc->n_shares;
        snprintf(s->first, sizeof(s->first), "%s", d->srvsvc->n_shares ? d->srvsvc->shares[0].name : "");
        s->ret = d->srvsvc->return_code;
    }
}

static void pdu_header(struct buf *p, uint8_t ptype, uint8_t flags, uint32_t call_id)
{
    p->n = 0;
    p->b[p->n++] = 5;
    p->b[p->n++] = 0;
    p->b[p->n++] = ptype;
    p->b[p->n++] = flags;
    u32(p, 0x10); /* drep: little-endian */
    u16(p, 0);    /* frag_length, set at the end */
    u16(p, 0);
    u32(p, call_id);
}

static void pdu_finish(struct buf *p)
{
    p->b[8] = (uint8_t)p->n;
    p->b[9] = (uint8_t)(p->n >> 8);
}

static void test_connection(void **st)
{
    (void)st;
    struct app_layer al;
    struct anomaly_ctx anomalies;
    struct app_ctx ctx;
    struct event_bus bus;
    struct stats stats;
    struct seen seen;
    memset(&al, 0, sizeof(al));
    memset(&ctx, 0, sizeof(ctx));
    memset(&bus, 0, sizeof(bus));
    memset(&stats, 0, sizeof(stats));
    memset(&seen, 0, sizeof(seen));
    struct app_cfg acfg = {.probe_depth = 4096, .memcap = 64u << 20};
    assert_int_equal(app_layer_init(&al, &acfg, &stats, &bus, NULL), 0); /* dcerpc's defaults */
    anomaly_ctx_init(&anomalies, 0, &stats, &bus); /* the engine's part: the limiter, no rate budget */
    al.anomaly = &anomalies;
    event_bus_subscribe(&bus, EVENT_MASK_ALL, on_event, &seen);
    ctx.al = &al;
    struct dcerpc_conn *c = dcerpc_conn_new(&ctx, DCERPC_TRANSPORT_SMB, "srvsvc");
    assert_non_null(c);

    static struct buf p, stub;
    /* bind srvsvc 4b324fc8-1670-01d3-1278-5a47bf6ee188 v3.0 as context 0 */
    static const uint8_t srvsvc_uuid[16] = {0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
                                            0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};
    pdu_header(&p, DCERPC_BIND, 3, 1);
    u16(&p, 4280);
    u16(&p, 4280);
    u32(&p, 0);
    p.b[p.n++] = 1; /* n_ctx */
    p.b[p.n++] = 0;
    u16(&p, 0);
    u16(&p, 0); /* ctx id */
    p.b[p.n++] = 1;
    p.b[p.n++] = 0;
    memcpy(p.b + p.n, srvsvc_uuid, 16);
    p.n += 16;
    u16(&p, 3);
    u16(&p, 0);
    memset(p.b + p.n, 0x11, 20); /* transfer syntax, not looked at */
    p.n += 20;
    pdu_finish(&p);
    dcerpc_conn_feed(&ctx, c, 0, p.b, p.n);

    /* request: NetrShareEnum level 2 */
    stub.n = 0;
    share_enum_request(&stub, 2);
    pdu_header(&p, DCERPC_REQUEST, 3, 2);
    u32(&p, (uint32_t)stub.n);
    u16(&p, 0);
    u16(&p, 15);
    memcpy(p.b + p.n, stub.b, stub.n);
    p.n += stub.n;
    pdu_finish(&p);
    dcerpc_conn_feed(&ctx, c, 0, p.b, p.n);

    /* response in two fragments */
    stub.n = 0;
    share_enum_response_l2(&stub, 3);
    size_t half = stub.n / 2;
    for (int frag = 0; frag < 2; frag++) {
        pdu_header(&p, DCERPC_RESPONSE, frag == 0 ? 1 : 2, 2);
        u32(&p, (uint32_t)stub.n);
        u16(&p, 0);
        u16(&p, 0);
        const uint8_t *src = stub.b + (frag ? half : 0);
        size_t len = frag ? stub.n - half : half;
        memcpy(p.b + p.n, src, len);
        p.n += len;
        pdu_finish(&p);
        dcerpc_conn_feed(&ctx, c, 1, p.b, p.n);
    }
    assert_int_equal(seen.calls, 1);
    assert_true(seen.has_srvsvc);
    assert_int_equal(seen.n_shares, 3);
    assert_string_equal(seen.first, "IPC$");
    assert_int_equal(seen.ret, 0);
    dcerpc_conn_free(&ctx, c);
    assert_int_equal(al.mc.used, 0); /* every allocation returned */
    app_layer_free(&al);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_share_enum_request),
        cmocka_unit_test(test_share_enum_response_level2),
        cmocka_unit_test(test_share_enum_response_level502),
        cmocka_unit_test(test_share_enum_more_than_kept),
        cmocka_unit_test(test_share_enum_hostile),
        cmocka_unit_test(test_share_get_info),
        cmocka_unit_test(test_server_get_info),
        cmocka_unit_test(test_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
