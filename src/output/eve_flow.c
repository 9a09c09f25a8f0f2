/* eve_flow.c - the `flow` object of a flow event, and `tcp` beside it (Suricata's layout). */
#include <stdio.h>

#include "app/app.h"
#include "flow/flow.h"
#include "output/eve.h"

/* Suricata's flow.state: new, established, closed. */
static const char *flow_state_name(const struct flow *f)
{
    if (f->ipproto == 6) {
        if (f->tcp_state >= TCP_CLOSING)
            return "closed";
        if (f->tcp_state >= TCP_ESTABLISHED)
            return "established";
        return "new";
    }
    return (f->pkts[0] && f->pkts[1]) ? "established" : "new";
}

static void tcp_flags_hex(struct jw *w, const char *key, uint8_t flags)
{
    char b[4];
    snprintf(b, sizeof(b), "%02x", flags);
    jw_str(w, key, b);
}

void eve_flow_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct flow *f = ev->flow;
    if (!f)
        return;
    jw_u64(w, "pkts_toserver", f->pkts[0]);
    jw_u64(w, "pkts_toclient", f->pkts[1]);
    jw_u64(w, "bytes_toserver", f->bytes[0]);
    jw_u64(w, "bytes_toclient", f->bytes[1]);
    jw_ts(w, "start", f->first_ts_us);
    jw_ts(w, "end", f->last_ts_us);
    jw_u64(w, "age", (f->last_ts_us - f->first_ts_us) / 1000000);
    jw_str(w, "state", flow_state_name(f));
    jw_str(w, "reason", flow_end_reason_name(f->end_reason));
    jw_bool(w, "alerted", false);
    if (f->app.gap_during_probe)
        jw_bool(w, "app_proto_gap", true);
}

/* The `tcp` object, a sibling of `flow` as in Suricata's flow events. */
void eve_flow_tcp(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct flow *f = ev->flow;
    if (!f || f->ipproto != 6)
        return;
    jw_open_obj(w, "tcp");
    uint8_t all = f->tcp_flags[0] | f->tcp_flags[1];
    tcp_flags_hex(w, "tcp_flags", all);
    tcp_flags_hex(w, "tcp_flags_ts", f->tcp_flags[0]);
    tcp_flags_hex(w, "tcp_flags_tc", f->tcp_flags[1]);
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {{TH_SYN, "syn"}, {TH_FIN, "fin"}, {TH_RST, "rst"}, {TH_PUSH, "psh"},
                 {TH_ACK, "ack"}, {TH_URG, "urg"}, {TH_ECE, "ecn"}, {TH_CWR, "cwr"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (all & names[i].bit)
            jw_bool(w, names[i].name, true);
    jw_str(w, "state", tcp_state_name(f->tcp_state));
    jw_bool(w, "midstream", !f->saw_syn);
    jw_u64(w, "reassembled_toserver", f->stream[0].delivered);
    jw_u64(w, "reassembled_toclient", f->stream[1].delivered);
    jw_u64(w, "gap_bytes_toserver", f->stream[0].gap_bytes);
    jw_u64(w, "gap_bytes_toclient", f->stream[1].gap_bytes);
    jw_close_obj(w);
}
