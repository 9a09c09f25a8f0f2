/*
 * eve_dns.c - the `dns` EVE object (docs/EVE.md, section dns).
 *
 * The shape is Suricata's EVE dns format version 2: one `query` event per
 * query with `id`, `rrname`, `rrtype`; one `answer` event per response with
 * `version` 2, `id`, `flags` (four hex digits), the flag booleans present
 * when set, `rcode`, the question's `rrname`/`rrtype`, `answers` (rrname,
 * rrtype, ttl, rdata; SOA as `soa`, SRV as `srv`), `grouped` (the answers'
 * rdata by type) and `authorities`.  medsentry adds `unanswered` events and
 * a few fields of its own (query_seen, response_time_us, retransmissions,
 * edns, answers_truncated, malformed), all listed in docs/EVE.md.
 */
#include "app/dns/dns.h"
#include "output/eve_dns.h"

#include <stdio.h>

static void rrtype(struct jw *w, const char *key, uint16_t t)
{
    const char *name = dns_type_name(t);
    if (name) {
        jw_str(w, key, name);
    } else {
        char b[8];
        int n = snprintf(b, sizeof(b), "%u", t);
        jw_strn(w, key, b, (size_t)n);
    }
}

static void rcode(struct jw *w, uint8_t r)
{
    const char *name = dns_rcode_name(r);
    if (name) {
        jw_str(w, "rcode", name);
    } else {
        char b[4];
        int n = snprintf(b, sizeof(b), "%u", r);
        jw_strn(w, "rcode", b, (size_t)n);
    }
}

static void flags(struct jw *w, const struct dns_msg *m)
{
    static const char hex[] = "0123456789abcdef";
    uint16_t f = m->flags;
    char b[4] = {hex[f >> 12], hex[(f >> 8) & 15], hex[(f >> 4) & 15], hex[f & 15]};
    jw_strn(w, "flags", b, sizeof(b));
    static const struct {
        uint16_t bit;
        const char *name;
    } bits[] = {
        {DNS_FLAG_QR, "qr"}, {DNS_FLAG_AA, "aa"}, {DNS_FLAG_TC, "tc"}, {DNS_FLAG_RD, "rd"},
        {DNS_FLAG_RA, "ra"}, {DNS_FLAG_Z, "z"},   {DNS_FLAG_AD, "ad"}, {DNS_FLAG_CD, "cd"},
    };
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
        if (f & bits[i].bit)
            jw_bool(w, bits[i].name, true);
    jw_u64(w, "opcode", m->opcode);
}

static void soa(struct jw *w, const char *key, const struct dns_rr *rr)
{
    jw_open_obj(w, key);
    jw_str(w, "mname", rr->rdata);
    jw_str(w, "rname", rr->soa_rname);
    jw_u64(w, "serial", rr->soa_serial);
    jw_u64(w, "refresh", rr->soa_refresh);
    jw_u64(w, "retry", rr->soa_retry);
    jw_u64(w, "expire", rr->soa_expire);
    jw_u64(w, "minimum", rr->soa_minimum);
    jw_close_obj(w);
}

static void srv(struct jw *w, const char *key, const struct dns_rr *rr)
{
    jw_open_obj(w, key);
    jw_u64(w, "priority", rr->srv_priority);
    jw_u64(w, "weight", rr->srv_weight);
    jw_u64(w, "port", rr->srv_port);
    jw_str(w, "name", rr->rdata);
    jw_close_obj(w);
}

static void record(struct jw *w, const struct dns_rr *rr)
{
    jw_open_obj(w, NULL);
    jw_str(w, "rrname", rr->rrname);
    rrtype(w, "rrtype", rr->rrtype);
    jw_u64(w, "ttl", rr->ttl);
    if (rr->has_rdata) {
        if (rr->rrtype == DNS_TYPE_SOA)
            soa(w, "soa", rr);
        else if (rr->rrtype == DNS_TYPE_SRV)
            srv(w, "srv", rr);
        else
            jw_strn(w, "rdata", rr->rdata, rr->rdata_len);
    } else {
        jw_u64(w, "rdlength", rr->rdlength);
    }
    if (rr->rdata_malformed)
        jw_bool(w, "rdata_malformed", true);
    jw_close_obj(w);
}

/* Suricata's `grouped`: for each type in order of first appearance, the answers' rdata. */
static void grouped(struct jw *w, const struct dns_msg *m)
{
    bool any = false;
    for (unsigned i = 0; i < m->n_answers; i++) {
        const struct dns_rr *a = &m->answers[i];
        if (!a->has_rdata)
            continue;
        bool first = true;
        for (unsigned k = 0; k < i && first; k++)
            if (m->answers[k].has_rdata && m->answers[k].rrtype == a->rrtype)
                first = false;
        if (!first)
            continue;
        if (!any) {
            jw_open_obj(w, "grouped");
            any = true;
        }
        char num[8];
        const char *key = dns_type_name(a->rrtype);
        if (!key) {
            snprintf(num, sizeof(num), "%u", a->rrtype);
            key = num;
        }
        jw_open_arr(w, key);
        for (unsigned k = i; k < m->n_answers; k++) {
            const struct dns_rr *b = &m->answers[k];
            if (!b->has_rdata || b->rrtype != a->rrtype)
                continue;
            if (b->rrtype == DNS_TYPE_SOA)
                soa(w, NULL, b);
            else if (b->rrtype == DNS_TYPE_SRV)
                srv(w, NULL, b);
            else
                jw_strn(w, NULL, b->rdata, b->rdata_len);
        }
        jw_close_arr(w);
    }
    if (any)
        jw_close_obj(w);
}

static void answer_body(struct jw *w, const struct dns_event *de)
{
    const struct dns_msg *m = de->msg;
    jw_u64(w, "version", 2);
    jw_str(w, "type", "answer");
    jw_u64(w, "id", m->id);
    flags(w, m);
    if (m->has_question) {
        jw_str(w, "rrname", m->qname_text);
        rrtype(w, "rrtype", m->qtype);
    }
    rcode(w, m->rcode);
    if (m->n_answers) {
        jw_open_arr(w, "answers");
        for (unsigned i = 0; i < m->n_answers; i++)
            record(w, &m->answers[i]);
        jw_close_arr(w);
        grouped(w, m);
    }
    if (m->n_auth) {
        jw_open_arr(w, "authorities");
        for (unsigned i = 0; i < m->n_auth; i++)
            record(w, &m->auth[i]);
        jw_close_arr(w);
    }
    jw_bool(w, "query_seen", de->query_seen);
    if (de->query_seen) {
        jw_u64(w, "response_time_us", de->response_time_us);
        if (de->retransmissions)
            jw_u64(w, "retransmissions", de->retransmissions);
    }
}

static void common_tail(struct jw *w, const struct dns_msg *m)
{
    if (m->edns) {
        jw_open_obj(w, "edns");
        jw_u64(w, "version", m->edns_version);
        jw_u64(w, "udp_size", m->edns_udp_size);
        if (m->edns_do)
            jw_bool(w, "do", true);
        jw_close_obj(w);
    }
    if (m->qdcount != 1)
        jw_u64(w, "qdcount", m->qdcount);
    if (m->answers_truncated) {
        jw_bool(w, "answers_truncated", true);
        jw_u64(w, "ancount", m->ancount);
        jw_u64(w, "nscount", m->nscount);
    }
    if (m->malformed)
        jw_str(w, "malformed", m->malformed);
}

void eve_dns_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct dns_event *de = ev->body;
    if (!de)
        return;
    if (de->kind == DNS_EV_UNANSWERED) {
        jw_str(w, "type", "unanswered");
        jw_u64(w, "id", de->id);
        jw_str(w, "rrname", de->rrname);
        rrtype(w, "rrtype", de->qtype);
        jw_u64(w, "waited_us", de->waited_us);
        if (de->retransmissions)
            jw_u64(w, "retransmissions", de->retransmissions);
        return;
    }
    const struct dns_msg *m = de->msg;
    if (!m)
        return;
    if (de->kind == DNS_EV_ANSWER) {
        answer_body(w, de);
    } else {
        jw_str(w, "type", "query");
        jw_u64(w, "id", m->id);
        if (m->has_question) {
            jw_str(w, "rrname", m->qname_text);
            rrtype(w, "rrtype", m->qtype);
        }
        flags(w, m);
    }
    common_tail(w, m);
}
