/*
 * test_eve.c - the EVE header and the core bodies: a flow event (client as src, per-direction counters, the
 * `tcp` object beside `flow`, VLAN, app_proto), an ICMP flow (type/code, no ports), a decode anomaly outside
 * any flow (the packet's addresses), and the file writer's counters.  Expected text follows docs/EVE.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "core/stats.h"
#include "flow/flow.h"
#include "output/eve.h"

static struct flow *tcp_flow(void)
{
    /* laid out as flow.c allocates a TCP flow: its two stream directions after it */
    struct flow *f = calloc(1, sizeof(*f) + 2 * sizeof(struct tcp_stream));
    f->stream = (struct tcp_stream *)(f + 1);
    uint8_t c[4] = {192, 168, 1, 10}, s[4] = {10, 0, 0, 5};
    ip_addr_set4(&f->client, c);
    ip_addr_set4(&f->server, s);
    f->client_port = 49152;
    f->server_port = 104;
    f->ipproto = 6;
    f->vlan_count = 1;
    f->vlan[0] = 42;
    f->flow_id = 123456789;
    f->first_ts_us = 1524477600ULL * 1000000;
    f->last_ts_us = f->first_ts_us + 2500000;
    f->pkts[0] = 5;
    f->pkts[1] = 4;
    f->bytes[0] = 500;
    f->bytes[1] = 1400;
    f->tcp_state = TCP_CLOSED;
    f->tcp_flags[0] = TH_SYN | TH_ACK | TH_FIN;
    f->tcp_flags[1] = TH_SYN | TH_ACK | TH_FIN | TH_PUSH;
    f->saw_syn = true;
    f->stream[0].delivered = 300;
    f->stream[1].delivered = 1000;
    f->app.proto = APP_DICOM;
    f->end_reason = FLOW_END_TIMEOUT;
    return f;
}

static char *format(const struct event *ev)
{
    struct jw w;
    struct eve_cfg cfg = {0};
    jw_init(&w);
    eve_format(&w, &cfg, ev);
    assert_false(w.err);
    assert_int_equal(w.depth, 0);
    char *s = strdup(w.buf);
    jw_free(&w);
    return s;
}

static void expect(const char *json, const char *part)
{
    if (!strstr(json, part))
        fail_msg("'%s' not found in %s", part, json);
}

static void test_flow_event(void **state)
{
    (void)state;
    struct flow *f = tcp_flow();
    struct event ev = {.type = EVENT_FLOW, .ts_us = f->first_ts_us, .flow = f, .dir = EVENT_DIR_NONE, .body = f};
    char *s = format(&ev);
    expect(s, "{\"timestamp\":\"2018-04-23T10:00:00.000000+0000\",\"flow_id\":123456789,\"event_type\":\"flow\","
              "\"vlan\":[42],\"src_ip\":\"192.168.1.10\",\"src_port\":49152,\"dest_ip\":\"10.0.0.5\","
              "\"dest_port\":104,\"proto\":\"TCP\",\"app_proto\":\"dicom\",\"flow\":{");
    expect(s, "\"pkts_toserver\":5,\"pkts_toclient\":4,\"bytes_toserver\":500,\"bytes_toclient\":1400");
    expect(s, "\"start\":\"2018-04-23T10:00:00.000000+0000\",\"end\":\"2018-04-23T10:00:02.500000+0000\",\"age\":2");
    expect(s, "\"state\":\"closed\",\"reason\":\"timeout\"");
    expect(s, "},\"tcp\":{\"tcp_flags\":\"1b\",\"tcp_flags_ts\":\"13\",\"tcp_flags_tc\":\"1b\"");
    expect(s, "\"syn\":true,\"fin\":true");
    expect(s, "\"midstream\":false,\"reassembled_toserver\":300,\"reassembled_toclient\":1000");
    assert_null(strstr(s, "\"direction\"")); /* flow events have no direction */
    free(s);
    free(f);
}

static void test_icmp_flow_has_type_not_ports(void **state)
{
    (void)state;
    struct flow *f = tcp_flow();
    f->ipproto = 1;
    f->vlan_count = 0;
    f->icmp_type = 8;
    f->app.proto = APP_UNKNOWN;
    struct event ev = {.type = EVENT_FLOW, .ts_us = f->first_ts_us, .flow = f, .dir = EVENT_DIR_NONE, .body = f};
    char *s = format(&ev);
    expect(s,
           "\"src_ip\":\"192.168.1.10\",\"dest_ip\":\"10.0.0.5\",\"proto\":\"ICMP\",\"icmp_type\":8,\"icmp_code\":0");
    assert_null(strstr(s, "src_port"));
    assert_null(strstr(s, "app_proto"));
    assert_null(strstr(s, "\"tcp\":"));
    free(s);
    free(f);
}

static void test_decode_anomaly_without_flow(void **state)
{
    (void)state;
    struct decoded d;
    memset(&d, 0, sizeof(d));
    uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, b[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    d.ip_version = 6;
    ip_addr_set6(&d.src, a);
    ip_addr_set6(&d.dst, b);
    d.ipproto = 6;
    struct anomaly_event an = {.type = "decode", .layer = "tcp", .event = "hlen_too_small"};
    struct event ev = {.type = EVENT_ANOMALY, .ts_us = 1000000, .pkt = &d, .dir = EVENT_DIR_NONE, .body = &an};
    char *s = format(&ev);
    assert_string_equal(s, "{\"timestamp\":\"1970-01-01T00:00:01.000000+0000\",\"event_type\":\"anomaly\","
                           "\"src_ip\":\"2001:db8::1\",\"dest_ip\":\"2001:db8::2\",\"proto\":\"TCP\","
                           "\"anomaly\":{\"type\":\"decode\",\"layer\":\"tcp\",\"event\":\"hlen_too_small\"}}");
    free(s);
}

static void test_writer_counts_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/medsentry-test-eve-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct stats st = {0};
    struct eve_writer w;
    struct eve_cfg cfg = {0};
    char err[256];
    assert_int_equal(eve_open(&w, path, &st, &cfg, err, sizeof(err)), 0);
    struct anomaly_event an = {.type = "stream", .layer = "tcp", .event = "overlap_different_data"};
    struct flow *f = tcp_flow();
    struct event ev = {.type = EVENT_ANOMALY, .ts_us = 1, .flow = f, .dir = EVENT_DIR_TOCLIENT, .body = &an};
    eve_on_event(&w, &ev);
    eve_on_event(&w, &ev);
    eve_close(&w);
    assert_int_equal(st.events_written, 2);
    assert_int_equal(st.events_by_type[EVENT_ANOMALY], 2);
    FILE *fp = fopen(path, "r");
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), fp)) {
        expect(line, "\"direction\":\"to_client\"");
        assert_int_equal(line[strlen(line) - 1], '\n');
        n++;
    }
    fclose(fp);
    unlink(path);
    assert_int_equal(n, 2);
    assert_int_equal(eve_open(&w, "/nonexistent-dir/eve.json", &st, &cfg, err, sizeof(err)), -1);
    expect(err, "/nonexistent-dir/eve.json: cannot open for writing");
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_event),
        cmocka_unit_test(test_icmp_flow_has_type_not_ports),
        cmocka_unit_test(test_decode_anomaly_without_flow),
        cmocka_unit_test(test_writer_counts_lines),
    };
    return cmocka_run_group_tests_name("eve", tests, NULL, NULL);
}
