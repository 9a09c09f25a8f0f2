/*
 * hl7_anomaly.c - KWAMPIRS.md §7.20: HL7/MLLP anomalies.
 *
 * Only messages (not acknowledgments: no MSA) with an MSH count.  The sender is
 * the end of the flow that sent the message.
 *   9300200  new sender: the tuple (sender address, MSH-3, MSH-4) is neither
 *            from an address in detect.allow.hl7-senders nor learned.  Tuples
 *            seen during detect.hl7.learning-period seconds of packet time
 *            from the first HL7 message are learned; afterwards a new tuple
 *            alerts once and is then remembered (forgotten after
 *            detect.hl7.sender-timeout idle).  Severity 2.
 *   9300201  ORU^R01 (observation results) from a sender not in
 *            detect.hl7.lis-hosts (off while that list is empty).  Severity 1.
 *   9300202  the same control id (MSH-3, MSH-4, MSH-10) carrying a different
 *            message (the parser's content digest differs) within
 *            detect.hl7.control-id-window seconds: a replay with altered
 *            content or a man-in-the-middle.  An identical resend is normal
 *            and silent.  One alert per control id.  Severity 1.
 * State: one small entry per sender and per control id in the hl7snd and
 * hl7ctl tables, charged to detect.memcap; when it is full a sender cannot be
 * learned and a control id cannot be remembered (stats.detect.memcap_hits).
 * The §7.20 ARP/MAC tracking of interface-engine addresses is not built.
 */
#include <stdio.h>
#include <string.h>

#include "app/hl7/hl7.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

struct hl7_entry {
    struct dentry e;
    uint64_t digest;
    uint8_t seen, alerted;
};
_Static_assert(sizeof(struct hl7_entry) <= DETECT_HL7_ENTRY_SIZE, "hl7 entry too large");

/* "MSH-3|MSH-4" (or with "|MSH-10"): the separator cannot be part of a field. */
static void tuple(char *out, size_t cap, const struct hl7_message *m, bool with_id)
{
    snprintf(out, cap, "%s|%s%s%s", m->f[HL7_F_SENDING_APP].s, m->f[HL7_F_SENDING_FAC].s, with_id ? "|" : "",
             with_id ? m->f[HL7_F_CONTROL_ID].s : "");
}

static void hl7_alert_init(struct alert_event *a, uint32_t sid, const struct event *ev, const struct hl7_message *m)
{
    alert_init(a, sid, ev);
    if (ev->flow && ev->dir == EVENT_DIR_TOCLIENT) { /* the server side sent it */
        a->src = ev->flow->server;
        a->dst = ev->flow->client;
        a->src_port = ev->flow->server_port;
        a->dst_port = ev->flow->client_port;
        a->n_hosts = 0;
        alert_add_host(a, &a->dst);
    }
    a->count = 1;
    (void)m;
}

void det_hl7(struct detect_ctx *d, const struct event *ev)
{
    const struct hl7_event *he = ev->body;
    const struct hl7_message *m = he->msg;
    const struct flow *f = ev->flow;
    if (!f || !m || !m->has_msh || m->has_msa)
        return;
    const struct ip_addr *sender = ev->dir == EVENT_DIR_TOCLIENT ? &f->server : &f->client;
    char id[3 * (HL7_FIELD_MAX + 1) + 4];
    const struct hl7_text *type = &m->f[HL7_F_MESSAGE_TYPE];
    if (!d->hl7_first_us)
        d->hl7_first_us = ev->ts_us ? ev->ts_us : 1;
    bool allowed = detect_net_match(&d->hl7_senders, sender);

    /* 9300200: new sender (an allowlisted one is counted in stats.detect.allowlisted once, then remembered) */
    tuple(id, sizeof(id), m, false);
    struct dkey ks = {.a = *sender, .x = dkey_str(&d->hl7snd, id)};
    bool learning = ev->ts_us < d->hl7_first_us + (uint64_t)d->cfg.hl7_learning * 1000000;
    bool known = dtable_get(d, &d->hl7snd, &ks, learning) != NULL;
    if (!learning && !known) {
        struct hl7_entry *s = dtable_get(d, &d->hl7snd, &ks, true);
        if (allowed) {
            d->stats.allowlisted++;
        } else {
            if (s)
                s->alerted = 1;
            struct alert_event a;
            hl7_alert_init(&a, SID_HL7_NEW_SENDER, ev, m);
            snprintf(a.detail, sizeof(a.detail), "new HL7 sender: MSH-3 '%.60s', MSH-4 '%.60s', %.40s",
                     m->f[HL7_F_SENDING_APP].s, m->f[HL7_F_SENDING_FAC].s, type->s);
            detect_alert(d, &a, ev->ts_us);
        }
    }

    /* 9300201: results from a host that is not the LIS */
    if (d->hl7_lis.n && !detect_net_match(&d->hl7_lis, sender)) {
        const char *code, *trig;
        size_t lc = hl7_component(type, m->component_sep, 0, &code);
        size_t lt = hl7_component(type, m->component_sep, 1, &trig);
        if (lc == 3 && memcmp(code, "ORU", 3) == 0 && lt == 3 && memcmp(trig, "R01", 3) == 0) {
            struct alert_event a;
            hl7_alert_init(&a, SID_HL7_ORU_NOT_LIS, ev, m);
            snprintf(a.detail, sizeof(a.detail),
                     "ORU^R01 results from a sender outside detect.hl7.lis-hosts: "
                     "MSH-3 '%.60s', MSH-4 '%.60s'",
                     m->f[HL7_F_SENDING_APP].s, m->f[HL7_F_SENDING_FAC].s);
            detect_alert(d, &a, ev->ts_us);
        }
    }

    /* 9300202: one control id, two different messages */
    if (!m->f[HL7_F_CONTROL_ID].len || !m->complete)
        return;
    tuple(id, sizeof(id), m, true);
    struct dkey k = {.x = dkey_str(&d->hl7ctl, id)};
    struct hl7_entry *c = dtable_get(d, &d->hl7ctl, &k, true);
    if (!c)
        return;
    if (!c->seen) { /* new: remember what it carried */
        c->seen = 1;
        c->digest = m->content_hash;
        return;
    }
    if (c->digest == m->content_hash || c->alerted)
        return;
    c->alerted = 1;
    struct alert_event a;
    hl7_alert_init(&a, SID_HL7_CTLID_REUSE, ev, m);
    a.count = 2;
    a.first_us = c->e.first_us;
    snprintf(a.detail, sizeof(a.detail),
             "MSH-10 '%.64s' of MSH-3 '%.40s' / MSH-4 '%.40s' sent again with different "
             "content (%.40s)",
             m->f[HL7_F_CONTROL_ID].s, m->f[HL7_F_SENDING_APP].s, m->f[HL7_F_SENDING_FAC].s, type->s);
    detect_alert(d, &a, ev->ts_us);
}
