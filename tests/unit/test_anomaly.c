/*
 * test_anomaly.c - the anomaly limiter (src/core/anomaly.c), the one way out
 * for decode, stream and parser anomalies.  What is checked: every report is
 * counted; an event is written once per (flow, kind), names compared by
 * content, not by pointer; decode anomalies (no flow) once per kind per second
 * of packet time; the global budget per second rolls with packet time, never
 * resets when time goes back, and a report it stops does not mark its kind;
 * rate 0 means no budget; the bounded name tables with their "other" slot; and
 * counted = events + suppressed_repeat + suppressed_rate after every test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

#include "core/anomaly.h"
#include "flow/flow.h"

#define SEC 1000000ull
#define T0  (1700000000ull * SEC)

#define MAX_REC 512

struct rec {
    int n;
    struct {
        char type[16], layer[16], event[48];
        const struct flow *flow;
        const struct decoded *pkt;
        enum event_dir dir;
        uint64_t ts_us;
    } e[MAX_REC];
};

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static void on_event(void *user, const struct event *ev)
{
    struct rec *r = user;
    assert_int_equal(ev->type, EVENT_ANOMALY);
    if (r->n < MAX_REC) {
        const struct anomaly_event *a = ev->body;
        copy(r->e[r->n].type, sizeof(r->e[r->n].type), a->type);
        copy(r->e[r->n].layer, sizeof(r->e[r->n].layer), a->layer);
        copy(r->e[r->n].event, sizeof(r->e[r->n].event), a->event);
        r->e[r->n].flow = ev->flow;
        r->e[r->n].pkt = ev->pkt;
        r->e[r->n].dir = ev->dir;
        r->e[r->n].ts_us = ev->ts_us;
    }
    r->n++;
}

struct fx {
    struct stats st;
    struct event_bus bus;
    struct anomaly_ctx ac;
    struct rec rec;
    struct flow flows[32];
};

static struct fx *fx_new(uint32_t rate)
{
    struct fx *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    event_bus_subscribe(&x->bus, EVENT_MASK_ALL, on_event, &x->rec);
    anomaly_ctx_init(&x->ac, rate, &x->st, &x->bus);
    return x;
}

/* The invariant of the counters, and that the published events are the ones counted as written. */
static void fx_free(struct fx *x)
{
    const struct stats *s = &x->st;
    uint64_t counted = s->anomaly_decode + s->anomaly_stream + s->app_anomalies;
    assert_int_equal(counted, s->anomaly_events + s->anomaly_suppressed_repeat + s->anomaly_suppressed_rate);
    assert_int_equal(s->anomaly_events, (uint64_t)x->rec.n);
    free(x);
}

static void app(struct fx *x, uint64_t ts, struct flow *f, const char *event)
{
    anomaly_applayer(&x->ac, ts, f, EVENT_DIR_TOCLIENT, 3, "smb", event, "detail");
}

static void test_flow_once_per_kind(void **state)
{
    (void)state;
    struct fx *x = fx_new(0);
    struct flow *a = &x->flows[0], *b = &x->flows[1];
    for (int i = 0; i < 10; i++)
        app(x, T0 + (uint64_t)i * SEC, a, "smb_pending_full"); /* ten seconds: time does not matter in a flow */
    assert_int_equal(x->rec.n, 1);
    assert_string_equal(x->rec.e[0].type, "applayer");
    assert_string_equal(x->rec.e[0].layer, "smb");
    assert_string_equal(x->rec.e[0].event, "smb_pending_full");
    assert_ptr_equal(x->rec.e[0].flow, a);
    assert_int_equal(x->rec.e[0].dir, EVENT_DIR_TOCLIENT);
    assert_int_equal(x->rec.e[0].ts_us, T0);

    /* the same name at another address (another translation unit's literal) is the same kind */
    char same[] = "smb_pending_full";
    app(x, T0, a, same);
    assert_int_equal(x->rec.n, 1);

    app(x, T0, a, "smb_bad_magic");    /* another kind on the same flow */
    app(x, T0, b, "smb_pending_full"); /* the same kind on another flow */
    anomaly_stream(&x->ac, T0, a, 1, "overlap_different_data");
    anomaly_stream(&x->ac, T0, a, 0, "overlap_different_data");
    anomaly_stream(&x->ac, T0, b, 0, "overlap_different_data");
    assert_int_equal(x->rec.n, 5);
    assert_string_equal(x->rec.e[3].type, "stream");
    assert_string_equal(x->rec.e[3].layer, "tcp");
    assert_int_equal(x->rec.e[3].dir, EVENT_DIR_TOCLIENT);

    assert_int_equal(x->st.app_anomalies, 13);
    assert_int_equal(x->st.anomaly_stream, 3);
    assert_int_equal(x->st.anomaly_events, 5);
    assert_int_equal(x->st.anomaly_suppressed_repeat, 11);
    assert_int_equal(x->st.anomaly_suppressed_rate, 0);

    /* per layer and name */
    const struct anomaly_table *t = &x->ac.app[3];
    assert_string_equal(t->layer, "smb");
    assert_int_equal(t->n, 2);
    assert_string_equal(t->name[0], "smb_pending_full");
    assert_int_equal(t->count[0], 12);
    assert_string_equal(t->name[1], "smb_bad_magic");
    assert_int_equal(t->count[1], 1);
    assert_int_equal(t->other, 0);
    assert_string_equal(x->ac.stream.layer, "tcp");
    assert_int_equal(x->ac.stream.n, 1);
    assert_int_equal(x->ac.stream.count[0], 3);
    fx_free(x);
}

static void test_decode_once_per_kind_per_second(void **state)
{
    (void)state;
    struct fx *x = fx_new(0);
    const struct decoded *pkt = (const struct decoded *)&x->flows[5]; /* only passed through */
    anomaly_decode(&x->ac, T0 + 100000, pkt, DEV_IPV4_FRAG_OVERLAP);
    anomaly_decode(&x->ac, T0 + 500000, pkt, DEV_IPV4_FRAG_OVERLAP);
    anomaly_decode(&x->ac, T0 + 999999, pkt, DEV_IPV4_FRAG_OVERLAP);
    assert_int_equal(x->rec.n, 1);
    assert_string_equal(x->rec.e[0].type, "decode");
    assert_string_equal(x->rec.e[0].layer, "ipv4");
    assert_string_equal(x->rec.e[0].event, "frag_overlap");
    assert_null(x->rec.e[0].flow);
    assert_ptr_equal(x->rec.e[0].pkt, pkt);
    assert_int_equal(x->rec.e[0].dir, EVENT_DIR_NONE);

    anomaly_decode(&x->ac, T0 + 1 * SEC, pkt, DEV_IPV4_FRAG_OVERLAP);      /* the next second */
    anomaly_decode(&x->ac, T0 + 1 * SEC, pkt, DEV_IPV4_FRAG_OVERLAP_DIFF); /* another kind */
    anomaly_decode(&x->ac, T0 + 1 * SEC + 500000, pkt, DEV_IPV4_FRAG_OVERLAP_DIFF);
    anomaly_decode(&x->ac, T0 + 1 * SEC + 600000, pkt, DEV_IPV4_FRAG_OVERLAP);
    assert_int_equal(x->rec.n, 3);
    anomaly_decode(&x->ac, T0 + 5 * SEC, pkt, DEV_IPV4_FRAG_OVERLAP); /* a gap of seconds: written again */
    assert_int_equal(x->rec.n, 4);
    assert_int_equal(x->rec.e[3].ts_us, T0 + 5 * SEC);

    assert_int_equal(x->st.anomaly_decode, 8);
    assert_int_equal(x->st.anomaly_suppressed_repeat, 4);
    assert_int_equal(x->st.anomaly_suppressed_rate, 0);
    fx_free(x);
}

static void test_rate_budget_rolls_with_packet_time(void **state)
{
    (void)state;
    struct fx *x = fx_new(5);
    /* second 0: twenty flows, one anomaly each: five written */
    for (int i = 0; i < 20; i++)
        app(x, T0 + 200000 + (uint64_t)i, &x->flows[i], "smb_pending_full");
    assert_int_equal(x->rec.n, 5);
    for (int i = 0; i < 5; i++)
        assert_ptr_equal(x->rec.e[i].flow, &x->flows[i]);
    assert_int_equal(x->st.anomaly_suppressed_rate, 15);
    /* decode anomalies share the one budget */
    anomaly_decode(&x->ac, T0 + 900000, NULL, DEV_TCP_HLEN_TOO_SMALL);
    assert_int_equal(x->rec.n, 5);
    assert_int_equal(x->st.anomaly_suppressed_rate, 16);

    /* second 1: flows 0-4 already wrote theirs (repeat); 5-19 were stopped by the budget, not marked: 5-9 now */
    for (int i = 0; i < 20; i++)
        app(x, T0 + 1 * SEC + (uint64_t)i, &x->flows[i], "smb_pending_full");
    assert_int_equal(x->rec.n, 10);
    for (int i = 5; i < 10; i++)
        assert_ptr_equal(x->rec.e[i].flow, &x->flows[i]);
    assert_int_equal(x->st.anomaly_suppressed_repeat, 5);
    assert_int_equal(x->st.anomaly_suppressed_rate, 16 + 10);

    /* second 2: three flow anomalies and three decode kinds: five written, the sixth stopped */
    for (int i = 10; i < 13; i++)
        app(x, T0 + 2 * SEC, &x->flows[i], "smb_pending_full");
    anomaly_decode(&x->ac, T0 + 2 * SEC, NULL, DEV_TCP_HLEN_TOO_SMALL);
    anomaly_decode(&x->ac, T0 + 2 * SEC, NULL, DEV_UDP_HLEN_INVALID);
    anomaly_decode(&x->ac, T0 + 2 * SEC, NULL, DEV_IPV4_TRUNC_PKT);
    assert_int_equal(x->rec.n, 15);
    assert_string_equal(x->rec.e[14].event, "hlen_invalid");
    /* the decode kind stopped by the budget was not marked for its second: written in the next one */
    anomaly_decode(&x->ac, T0 + 3 * SEC, NULL, DEV_IPV4_TRUNC_PKT);
    assert_int_equal(x->rec.n, 16);
    assert_string_equal(x->rec.e[15].event, "trunc_pkt");

    /* never more than the budget in any second of packet time */
    int per_sec[8] = {0};
    for (int i = 0; i < x->rec.n; i++)
        per_sec[(x->rec.e[i].ts_us - T0) / SEC]++;
    for (int s = 0; s < 8; s++)
        assert_true(per_sec[s] <= 5);
    fx_free(x);
}

static void test_budget_not_reset_when_time_goes_back(void **state)
{
    (void)state;
    struct fx *x = fx_new(2);
    for (int i = 0; i < 3; i++)
        app(x, T0 + 10 * SEC, &x->flows[i], "a");
    assert_int_equal(x->rec.n, 2);
    app(x, T0 + 9 * SEC, &x->flows[3], "a"); /* an earlier second does not open a fresh budget */
    assert_int_equal(x->rec.n, 2);
    app(x, T0 + 11 * SEC, &x->flows[3], "a");
    assert_int_equal(x->rec.n, 3);
    assert_int_equal(x->st.anomaly_suppressed_rate, 2);
    fx_free(x);
}

static void test_rate_zero_is_no_budget(void **state)
{
    (void)state;
    struct fx *x = fx_new(0);
    for (int k = 0; k < 10; k++)
        for (int i = 0; i < 32; i++)
            anomaly_stream(&x->ac, T0, &x->flows[i], 0, k % 2 ? "overlap_a" : "overlap_b");
    assert_int_equal(x->rec.n, 64); /* 32 flows x 2 kinds, all in one second */
    assert_int_equal(x->st.anomaly_suppressed_rate, 0);
    assert_int_equal(x->st.anomaly_suppressed_repeat, 320 - 64);
    /* without a flow (parser unit tests drive parsers so): only the budget, here none */
    for (int i = 0; i < 5; i++)
        app(x, T0, NULL, "smb_pending_full");
    assert_int_equal(x->rec.n, 69);
    fx_free(x);
}

/* Names past a table's size share its "other" slot: counted there, and one bit in a flow's bitmap. */
static void test_tables_bounded_with_other(void **state)
{
    (void)state;
    static char names[70][24]; /* names must outlive the context: static, as parsers' literals are */
    struct fx *x = fx_new(0);
    struct flow *a = &x->flows[0];
    for (int i = 0; i < 70; i++) {
        snprintf(names[i], sizeof(names[i]), "name_%d", i);
        anomaly_applayer(&x->ac, T0, a, EVENT_DIR_TOSERVER, 2, "dicom", names[i], NULL);
    }
    const struct anomaly_table *t = &x->ac.app[2];
    assert_int_equal(t->n, ANOMALY_APP_KINDS - 1);
    assert_int_equal(t->other, 70 - (ANOMALY_APP_KINDS - 1));
    for (uint32_t i = 0; i < t->n; i++)
        assert_int_equal(t->count[i], 1);
    assert_int_equal(x->rec.n, ANOMALY_APP_KINDS); /* each interned name once, then one "other" */
    assert_string_equal(x->rec.e[ANOMALY_APP_KINDS - 1].event, names[ANOMALY_APP_KINDS - 1]);
    /* another flow writes its own first "other" */
    anomaly_applayer(&x->ac, T0, &x->flows[1], EVENT_DIR_TOSERVER, 2, "dicom", names[69], NULL);
    assert_int_equal(x->rec.n, ANOMALY_APP_KINDS + 1);

    /* stream: bits 0-7 of the bitmap, never the parser's */
    for (int i = 0; i < 10; i++)
        anomaly_stream(&x->ac, T0, a, 0, names[i]);
    assert_int_equal(x->ac.stream.n, ANOMALY_STREAM_KINDS - 1);
    assert_int_equal(x->ac.stream.other, 10 - (ANOMALY_STREAM_KINDS - 1));
    assert_int_equal(x->rec.n, ANOMALY_APP_KINDS + 1 + ANOMALY_STREAM_KINDS);

    /* a parser index out of range lands in table 0, not past the array */
    anomaly_applayer(&x->ac, T0, &x->flows[2], EVENT_DIR_TOSERVER, 1000, "x", "y", NULL);
    assert_string_equal(x->ac.app[0].layer, "x");
    assert_int_equal(x->ac.app[0].count[0], 1);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_once_per_kind),
        cmocka_unit_test(test_decode_once_per_kind_per_second),
        cmocka_unit_test(test_rate_budget_rolls_with_packet_time),
        cmocka_unit_test(test_budget_not_reset_when_time_goes_back),
        cmocka_unit_test(test_rate_zero_is_no_budget),
        cmocka_unit_test(test_tables_bounded_with_other),
    };
    return cmocka_run_group_tests_name("anomaly", tests, NULL, NULL);
}
