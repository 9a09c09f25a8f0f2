/*
 * dns.c - DNS over UDP and TCP: framing, query/response pairing, events (see dns.h).
 *
 * UDP: one message per datagram (RFC 1035 4.2.1).  TCP (RFC 1035 4.2.2, RFC 7766 8): each message is preceded by
 * its length, two bytes big-endian; a segment may carry several messages and a message may be split anywhere,
 * the length field included.  A message that arrives whole in one chunk is parsed where it lies; a split one is
 * gathered in a buffer of exactly its length (at most 65,535 bytes), charged to the app memcap and freed once
 * parsed.  A gap inside a message whose end is known skips to that end; any other gap loses the framing, and the
 * direction resynchronises at the first later chunk that starts like a DNS message (the TCP probe).
 *
 * Pairing: a query (QR 0) with a question is remembered (id, question, time) in a per-flow table of at most
 * DNS_MAX_PENDING entries, grown on demand and charged to the app memcap.  A response (QR 1) answers the pending
 * query with its id and, when it repeats the question, the same question (RFC 5452 9.1); the `answer` event then
 * says how long it took.  A repeated query (same id and question: a client's retransmission) is counted on the
 * first, not remembered twice.  A query still waiting when the flow ends, when its table is full (the oldest goes)
 * or DNS_PENDING_TIMEOUT_US after it was sent (noticed at the flow's next message) is reported as `unanswered`.
 * A response without a query is reported all the same (`query_seen: false`).  QR decides, not the direction: a
 * flow picked up the wrong way round still pairs.
 *
 * Probes: the UDP one must be strict, since any UDP datagram is offered to it.  A message passes only with a
 * standard opcode (QUERY), exactly one question whose name is read without compression and is not a NetBIOS
 * encoded name (NBNS, port 137, uses DNS's layout), a known class, counts that fit in the datagram, and for a
 * query no answer or authority records and nothing after the question unless additional records are announced.
 * The TCP probe applies the same test after the length field.
 */
#include "app/dns/dns.h"

#include <string.h>

#include "core/bytes.h"
#include "flow/flow.h"

struct dns_pending {
    uint16_t id, qtype;
    uint32_t retransmissions;
    uint64_t ts_us;
    struct dns_name qname;
};

struct dns_tcp_dir {
    uint8_t hdr[2];
    uint8_t hdr_len; /* bytes of the length field read */
    uint16_t need;   /* length of the current message */
    uint8_t *buf;    /* the current message, when split: need bytes */
    uint32_t have;
    uint32_t skip; /* bytes of the current message to discard (too short, no memory, or after a gap) */
    bool resync;   /* framing lost: wait for a chunk that starts like a message */
};

struct dns_state {
    bool tcp;
    struct dns_pending *pending;
    uint16_t n_pending, cap_pending;
    struct dns_tcp_dir d[2];
};

/* ---- probes ---- */

/* NetBIOS first-level encoding (RFC 1001 14.1): one 32-byte label of 'A'..'P'. */
static bool netbios_name(const struct dns_name *n)
{
    if (n->labels < 1 || n->wire[0] != 32)
        return false;
    for (int i = 1; i <= 32; i++)
        if (n->wire[i] < 'A' || n->wire[i] > 'P')
            return false;
    return true;
}

/* The strict test of the first message of a flow: header and first question (see the top of this file). */
static enum probe_result probe_message(const uint8_t *msg, size_t len, bool complete)
{
    struct br b = br_init(msg, len);
    br_skip(&b, 2); /* id */
    uint16_t flags = br_be16(&b);
    uint16_t qd = br_be16(&b), an = br_be16(&b), ns = br_be16(&b), ar = br_be16(&b);
    if (b.err)
        return complete ? PROBE_NO : PROBE_MAYBE;
    bool qr = flags & DNS_FLAG_QR;
    uint8_t opcode = (uint8_t)(flags >> 11 & 0xf);
    if (opcode != 0 || qd != 1)
        return PROBE_NO;
    if (!qr && ((flags & 0xf) != 0 || an != 0 || ns != 0 || ar > 2 || (flags & (DNS_FLAG_AA | DNS_FLAG_RA))))
        return PROBE_NO; /* a query has no rcode, records (but EDNS, cookies, TSIG), AA or RA */
    if (flags & DNS_FLAG_Z)
        return PROBE_NO; /* RFC 1035 4.1.1: must be zero */
    /* the question: a name without pointers (nothing precedes it to point to), type, class */
    size_t off = 12;
    struct dns_name n;
    enum dns_name_err e = dns_name_read(msg, len, &off, &n);
    if (e == DNS_NAME_TRUNCATED)
        return complete ? PROBE_NO : PROBE_MAYBE;
    if (e != DNS_NAME_OK || off != 12u + n.len || netbios_name(&n))
        return PROBE_NO;
    if (len - off < 4)
        return complete ? PROBE_NO : PROBE_MAYBE;
    uint16_t qtype = rd_be16(msg + off), qclass = rd_be16(msg + off + 2);
    off += 4;
    if (qtype == 0 || !(qclass == 1 || qclass == 3 || qclass == 4 || qclass == 254 || qclass == 255))
        return PROBE_NO;
    if (!complete)
        return PROBE_YES;
    size_t records = (size_t)an + ns + ar;
    if (records == 0)
        return off == len ? PROBE_YES : PROBE_NO;
    /* each record is at least 11 bytes: a root or pointer name (1-2), type, class, ttl, rdlength */
    return len - off >= records * 11 ? PROBE_YES : PROBE_NO;
}

enum probe_result dns_probe_udp(const uint8_t *data, size_t len, int dir)
{
    (void)dir;
    return probe_message(data, len, true) == PROBE_YES ? PROBE_YES : PROBE_NO;
}

enum probe_result dns_probe_tcp(const uint8_t *data, size_t len, int dir)
{
    (void)dir;
    if (len < 2)
        return PROBE_MAYBE;
    size_t mlen = rd_be16(data);
    if (mlen < 17) /* header and the smallest question (root name, type, class) */
        return PROBE_NO;
    size_t have = len - 2 < mlen ? len - 2 : mlen;
    return probe_message(data + 2, have, have == mlen);
}

/* ---- events ---- */

static void emit_unanswered(struct app_ctx *ctx, struct dns_state *st, const struct dns_pending *p)
{
    char text[DNS_NAME_TEXT_MAX];
    dns_name_text(&p->qname, text, sizeof(text));
    struct dns_event ev = {
        .kind = DNS_EV_UNANSWERED,
        .id = p->id,
        .qtype = p->qtype,
        .rrname = text,
        .retransmissions = p->retransmissions,
        .waited_us = ctx->ts_us > p->ts_us ? ctx->ts_us - p->ts_us : 0,
        .tcp = st->tcp,
    };
    app_emit(ctx, EVENT_DNS, 0, &ev);
}

static void pending_remove(struct dns_state *st, uint16_t i)
{
    memmove(&st->pending[i], &st->pending[i + 1], (size_t)(st->n_pending - i - 1) * sizeof(st->pending[0]));
    st->n_pending--;
}

/* Report and forget the queries that waited longer than DNS_PENDING_TIMEOUT_US (the table is in arrival order). */
static void pending_expire(struct app_ctx *ctx, struct dns_state *st)
{
    while (st->n_pending && ctx->ts_us > st->pending[0].ts_us + DNS_PENDING_TIMEOUT_US) {
        emit_unanswered(ctx, st, &st->pending[0]);
        pending_remove(st, 0);
    }
}

/* A free slot at the end of the table: grown 2, 4 ... DNS_MAX_PENDING; when full the oldest is reported unanswered. */
static struct dns_pending *pending_slot(struct app_ctx *ctx, struct dns_state *st, int dir)
{
    if (st->n_pending == st->cap_pending && st->cap_pending < DNS_MAX_PENDING) {
        uint16_t ncap = st->cap_pending ? (uint16_t)(st->cap_pending * 2) : 2;
        if (ncap > DNS_MAX_PENDING)
            ncap = DNS_MAX_PENDING;
        struct dns_pending *np = app_alloc(ctx, ncap * sizeof(*np));
        if (np) {
            if (st->n_pending)
                memcpy(np, st->pending, st->n_pending * sizeof(*np));
            app_free(ctx, st->pending, st->cap_pending * sizeof(*np));
            st->pending = np;
            st->cap_pending = ncap;
        }
    }
    if (st->cap_pending == 0)
        return NULL; /* no memory: the query is reported, not paired */
    if (st->n_pending == st->cap_pending) {
        app_anomaly(ctx, dir, "pending_full", "more queries awaiting a response than dns tracks per flow");
        emit_unanswered(ctx, st, &st->pending[0]);
        pending_remove(st, 0);
    }
    return &st->pending[st->n_pending++];
}

static void on_query(struct app_ctx *ctx, struct dns_state *st, int dir, const struct dns_msg *m)
{
    if (m->has_question) {
        struct dns_pending *p = NULL;
        for (uint16_t i = 0; i < st->n_pending; i++)
            if (st->pending[i].id == m->id && st->pending[i].qtype == m->qtype &&
                dns_name_eq(&st->pending[i].qname, &m->qname)) {
                p = &st->pending[i];
                break;
            }
        if (p) {
            p->retransmissions++;
        } else if ((p = pending_slot(ctx, st, dir)) != NULL) {
            p->id = m->id;
            p->qtype = m->qtype;
            p->qname = m->qname;
            p->ts_us = ctx->ts_us;
            p->retransmissions = 0;
        }
    }
    struct dns_event ev = {.kind = DNS_EV_QUERY, .msg = m, .tcp = st->tcp};
    app_emit(ctx, EVENT_DNS, dir, &ev);
}

static void on_response(struct app_ctx *ctx, struct dns_state *st, int dir, const struct dns_msg *m)
{
    struct dns_event ev = {.kind = DNS_EV_ANSWER, .msg = m, .tcp = st->tcp};
    bool id_seen = false;
    for (uint16_t i = 0; i < st->n_pending; i++) {
        struct dns_pending *p = &st->pending[i];
        if (p->id != m->id)
            continue;
        id_seen = true;
        if (m->has_question && (p->qtype != m->qtype || !dns_name_eq(&p->qname, &m->qname)))
            continue;
        ev.query_seen = true;
        ev.response_time_us = ctx->ts_us > p->ts_us ? ctx->ts_us - p->ts_us : 0;
        ev.retransmissions = p->retransmissions;
        pending_remove(st, i);
        break;
    }
    if (id_seen && !ev.query_seen)
        app_anomaly(ctx, dir, "question_mismatch", "a response's question differs from that of the query with its id");
    app_emit(ctx, EVENT_DNS, dir, &ev);
}

/* One whole message of direction dir. */
static void dns_message(struct app_ctx *ctx, struct dns_state *st, int dir, const uint8_t *msg, size_t len)
{
    struct dns_msg m; /* ~12 KB on the stack: names and text of this message only */
    if (!dns_msg_parse(&m, msg, len)) {
        app_anomaly(ctx, dir, "message_too_short", "a DNS message shorter than its 12-byte header");
        return;
    }
    if (m.malformed)
        app_anomaly(ctx, dir, m.malformed, "the message could not be read past this point");
    if (m.rdata_anomaly)
        app_anomaly(ctx, dir, m.rdata_anomaly, NULL);
    if (m.complete && m.trailing)
        app_anomaly(ctx, dir, "trailing_bytes", "bytes after the last record of the message");
    if (m.flags & DNS_FLAG_Z)
        app_anomaly(ctx, dir, "z_flag_set", "the reserved Z bit of the header is set");
    pending_expire(ctx, st);
    if (m.flags & DNS_FLAG_QR)
        on_response(ctx, st, dir, &m);
    else
        on_query(ctx, st, dir, &m);
}

/* ---- TCP framing ---- */

static void tcp_drop_msg(struct app_ctx *ctx, struct dns_tcp_dir *d)
{
    if (d->buf)
        app_free(ctx, d->buf, d->need);
    d->buf = NULL;
    d->have = 0;
    d->hdr_len = 0;
    d->need = 0;
}

static void dns_tcp_data(struct app_ctx *ctx, struct dns_state *st, int dir, const uint8_t *data, size_t len)
{
    struct dns_tcp_dir *d = &st->d[dir];
    if (d->resync) {
        if (dns_probe_tcp(data, len, dir) != PROBE_YES)
            return; /* not the start of a message: wait for a chunk that is */
        d->resync = false;
    }
    while (len > 0) {
        if (d->skip) {
            size_t k = len < d->skip ? len : d->skip;
            d->skip -= (uint32_t)k;
            data += k;
            len -= k;
            continue;
        }
        if (d->hdr_len < 2) {
            d->hdr[d->hdr_len++] = *data++;
            len--;
            if (d->hdr_len < 2)
                continue;
            d->need = rd_be16(d->hdr);
            if (d->need < DNS_TCP_MSG_MIN) {
                app_anomaly(ctx, dir, "tcp_length_too_short", "a TCP length field below the 12-byte header");
                d->skip = d->need;
                d->hdr_len = 0;
            }
            continue;
        }
        if (!d->buf && len >= d->need) {
            dns_message(ctx, st, dir, data, d->need); /* whole in this chunk: parsed where it lies */
            data += d->need;
            len -= d->need;
            d->hdr_len = 0;
            continue;
        }
        if (!d->buf) {
            d->buf = app_alloc(ctx, d->need);
            d->have = 0;
            if (!d->buf) {
                app_anomaly(ctx, dir, "memcap", "no app-layer memory to gather a split DNS message");
                d->skip = d->need;
                d->hdr_len = 0;
                continue;
            }
        }
        size_t k = d->need - d->have;
        if (k > len)
            k = len;
        memcpy(d->buf + d->have, data, k);
        d->have += (uint32_t)k;
        data += k;
        len -= k;
        if (d->have == d->need) {
            dns_message(ctx, st, dir, d->buf, d->need);
            tcp_drop_msg(ctx, d);
        }
    }
}

static void dns_tcp_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    struct dns_state *st = state;
    if (dir < 0 || dir > 1 || !st->tcp)
        return;
    struct dns_tcp_dir *d = &st->d[dir];
    if (d->skip) {
        if (len <= d->skip) {
            d->skip -= (uint32_t)len;
            return;
        }
        len -= d->skip;
        d->skip = 0;
    }
    if (d->hdr_len == 2 && !d->resync) {
        /* inside a message of known length: lose it, keep the framing if the gap ends within it */
        uint32_t left = d->need - d->have;
        bool within = len <= left;
        tcp_drop_msg(ctx, d);
        if (within) {
            app_anomaly(ctx, dir, "gap_in_message", "bytes lost inside a message: it is skipped");
            d->skip = left - (uint32_t)len;
            return;
        }
    }
    tcp_drop_msg(ctx, d);
    app_anomaly(ctx, dir, "gap_resync", "bytes lost across message boundaries: waiting for the next message");
    d->resync = true;
}

/* ---- parser callbacks ---- */

static void *dns_state_new(struct app_ctx *ctx, bool tcp)
{
    struct dns_state *st = app_alloc(ctx, sizeof(*st));
    if (st)
        st->tcp = tcp;
    return st;
}

static void *dns_udp_state_new(struct app_ctx *ctx)
{
    return dns_state_new(ctx, false);
}

static void *dns_tcp_state_new(struct app_ctx *ctx)
{
    return dns_state_new(ctx, true);
}

static void dns_state_free(struct app_ctx *ctx, void *state)
{
    struct dns_state *st = state;
    if (!st)
        return;
    for (int d = 0; d < 2; d++)
        tcp_drop_msg(ctx, &st->d[d]);
    app_free(ctx, st->pending, st->cap_pending * sizeof(*st->pending));
    app_free(ctx, st, sizeof(*st));
}

static void dns_on_data(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len)
{
    struct dns_state *st = state;
    if (dir < 0 || dir > 1)
        return;
    if (st->tcp)
        dns_tcp_data(ctx, st, dir, data, len);
    else
        dns_message(ctx, st, dir, data, len);
}

static void dns_on_close(struct app_ctx *ctx, void *state)
{
    struct dns_state *st = state;
    for (uint16_t i = 0; i < st->n_pending; i++)
        emit_unanswered(ctx, st, &st->pending[i]);
    st->n_pending = 0;
    for (int d = 0; d < 2; d++)
        if (st->tcp && (st->d[d].hdr_len || st->d[d].buf))
            app_anomaly(ctx, d, "truncated_message", "the connection ended inside a DNS message");
}

static const struct config_key dns_keys[] = {
    CONFIG_KEY_SECTION("app-layer.protocols.dns", "UDP and TCP"),
    APP_PROTO_CONFIG_KEYS(struct dns_cfg, "dns", "53"),
};
APP_PROTO_CONFIG_CHECK(struct dns_cfg);

const struct config_module dns_config_module = {
    .name = "dns",
    .keys = dns_keys,
    .n = sizeof(dns_keys) / sizeof(dns_keys[0]),
    .struct_size = sizeof(struct dns_cfg),
};

const struct app_parser dns_udp_parser = {
    .name = "dns",
    .proto = APP_DNS,
    .ipproto = 17,
    .config = &dns_config_module,
    .probe = dns_probe_udp,
    .state_new = dns_udp_state_new,
    .state_free = dns_state_free,
    .on_data = dns_on_data,
    .on_gap = dns_tcp_gap,
    .on_close = dns_on_close,
};

const struct app_parser dns_tcp_parser = {
    .name = "dns",
    .proto = APP_DNS,
    .ipproto = 6,
    .config = &dns_config_module,
    .probe = dns_probe_tcp,
    .state_new = dns_tcp_state_new,
    .state_free = dns_state_free,
    .on_data = dns_on_data,
    .on_gap = dns_tcp_gap,
    .on_close = dns_on_close,
};
