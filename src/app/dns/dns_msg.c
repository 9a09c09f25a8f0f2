/*
 * dns_msg.c - one DNS message: header, questions, records, names (see dns.h).
 *
 * Message (RFC 1035 4.1), big-endian:
 *
 *   0       2       4       6       8       10      12
 *   +-------+-------+-------+-------+-------+-------+------------------------------
 *   | ID    | flags |QDCOUNT|ANCOUNT|NSCOUNT|ARCOUNT| question | answer | authority | additional
 *   +-------+-------+-------+-------+-------+-------+------------------------------
 *   flags: QR(15) Opcode(14-11) AA(10) TC(9) RD(8) RA(7) Z(6) AD(5) CD(4) RCODE(3-0)
 *
 *   question (4.1.2):  QNAME QTYPE(2) QCLASS(2)
 *   record (4.1.3):    NAME TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA
 *
 * Names (4.1.4): labels `len(1) bytes`, len < 64, ending with a 0 byte, or
 * ending with a pointer `11pppppp pppppppp` to an offset in the message where
 * the rest of the name lies.  The standard says a pointer refers to a *prior*
 * occurrence; this reader enforces it: a pointer must point strictly below the
 * lowest offset the name has read so far.  So each pointer moves strictly
 * backwards, nothing can loop, and a name is read in one pass with no
 * recursion.  Wireshark also accepts pointers forward into the message (and
 * stops loops with a counter); no encoder emits them (compression refers to
 * names already written), so here they are an anomaly and the name is not read.
 * A name is also capped at 255 bytes, 127 labels and 127 pointers followed
 * (so a chain of pointers to pointers costs at most 127 steps per name).
 */
#include "app/dns/dns.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/bytes.h"

#define DNS_MAX_POINTERS 127

const char *dns_name_err_str(enum dns_name_err e)
{
    switch (e) {
    case DNS_NAME_OK: return "ok";
    case DNS_NAME_TRUNCATED: return "name_truncated";
    case DNS_NAME_POINTER_FORWARD: return "name_pointer_forward";
    case DNS_NAME_POINTER_LOOP: return "name_pointer_loop";
    case DNS_NAME_TOO_LONG: return "name_too_long";
    case DNS_NAME_TOO_MANY_LABELS: return "name_too_many_labels";
    case DNS_NAME_LABEL_TYPE: return "name_label_type";
    }
    return "name_malformed";
}

enum dns_name_err dns_name_read(const uint8_t *msg, size_t len, size_t *off, struct dns_name *out)
{
    size_t pos = *off;
    size_t lowest = pos; /* lowest offset read for this name: a pointer must go below it */
    size_t end = 0;      /* where the name ends in its record: after the first pointer, or after the root */
    unsigned pointers = 0;
    out->len = 0;
    out->labels = 0;
    for (;;) {
        if (pos >= len)
            return DNS_NAME_TRUNCATED;
        uint8_t c = msg[pos];
        if ((c & 0xc0) == 0xc0) {
            if (pos + 1 >= len)
                return DNS_NAME_TRUNCATED;
            size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
            if (pointers++ == 0)
                end = pos + 2;
            if (target >= pos)
                return DNS_NAME_POINTER_FORWARD;
            if (target >= lowest || pointers > DNS_MAX_POINTERS)
                return DNS_NAME_POINTER_LOOP;
            pos = lowest = target;
            continue;
        }
        if (c & 0xc0)
            return DNS_NAME_LABEL_TYPE;
        if (c == 0) {
            out->wire[out->len++] = 0; /* room kept by the check below */
            *off = pointers ? end : pos + 1;
            return DNS_NAME_OK;
        }
        if (out->labels == DNS_LABELS_MAX)
            return DNS_NAME_TOO_MANY_LABELS;
        if ((size_t)out->len + 1 + c + 1 > DNS_NAME_WIRE_MAX) /* this label and the root */
            return DNS_NAME_TOO_LONG;
        if (len - pos < (size_t)1 + c)
            return DNS_NAME_TRUNCATED;
        memcpy(out->wire + out->len, msg + pos, (size_t)1 + c);
        out->len = (uint16_t)(out->len + 1 + c);
        out->labels++;
        pos += (size_t)1 + c;
    }
}

size_t dns_name_text(const struct dns_name *n, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return 0;
#define PUT(ch)                    \
    do {                           \
        if (o + 1 < cap)           \
            out[o++] = (char)(ch); \
    } while (0)
    size_t i = 0;
    while (i < n->len && n->wire[i] != 0) {
        uint8_t l = n->wire[i++];
        if (i > 1)
            PUT('.');
        for (uint8_t k = 0; k < l && i < n->len; k++, i++) {
            uint8_t c = n->wire[i];
            if (c == '.' || c == '\\') {
                PUT('\\');
                PUT(c);
            } else if (c < 0x21 || c > 0x7e) {
                PUT('\\');
                PUT('0' + c / 100);
                PUT('0' + c / 10 % 10);
                PUT('0' + c % 10);
            } else {
                PUT(c);
            }
        }
    }
#undef PUT
    out[o] = 0;
    return o;
}

bool dns_name_eq(const struct dns_name *a, const struct dns_name *b)
{
    if (a->len != b->len)
        return false;
    for (size_t i = 0; i < a->len; i++) {
        uint8_t x = a->wire[i], y = b->wire[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y + 32);
        if (x != y) /* length bytes are < 64, never letters, so they compare exactly */
            return false;
    }
    return true;
}

const char *dns_type_name(uint16_t t)
{
    switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 10: return "NULL";
    case 12: return "PTR";
    case 13: return "HINFO";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 41: return "OPT";
    case 43: return "DS";
    case 44: return "SSHFP";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 50: return "NSEC3";
    case 52: return "TLSA";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 250: return "TSIG";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 257: return "CAA";
    default: return NULL;
    }
}

const char *dns_rcode_name(uint8_t r)
{
    static const char *const names[] = {
        [0] = "NOERROR",  [1] = "FORMERR", [2] = "SERVFAIL", [3] = "NXDOMAIN", [4] = "NOTIMP",   [5] = "REFUSED",
        [6] = "YXDOMAIN", [7] = "YXRRSET", [8] = "NXRRSET",  [9] = "NOTAUTH",  [10] = "NOTZONE",
    };
    return r < sizeof(names) / sizeof(names[0]) ? names[r] : NULL;
}

/* ---- the text arena ---- */

/* Copy n bytes (and a NUL) into the message's arena; NULL when it is full. */
static const char *arena_put(struct dns_msg *m, const char *s, size_t n)
{
    if (n >= sizeof(m->arena) - m->arena_used)
        return NULL;
    char *d = m->arena + m->arena_used;
    memcpy(d, s, n);
    d[n] = 0;
    m->arena_used += n + 1;
    return d;
}

static const char *arena_name(struct dns_msg *m, const struct dns_name *n)
{
    char text[DNS_NAME_TEXT_MAX];
    size_t l = dns_name_text(n, text, sizeof(text));
    return arena_put(m, text, l);
}

/* ---- records ---- */

/* A name inside RDATA [rd, rd_end): read with the whole message for its pointers, and it must end within RDATA. */
static bool rdata_name(const uint8_t *msg, size_t rd_end, size_t *off, struct dns_name *n)
{
    /* Names in RDATA may point anywhere before them; the bytes they use must lie in the message, and the name
     * itself (up to its first pointer) inside the RDATA. */
    size_t o = *off;
    if (dns_name_read(msg, rd_end, &o, n) != DNS_NAME_OK)
        return false;
    *off = o;
    return true;
}

/* Decode the RDATA of a kept record.  false if it does not match its type (the record is kept without rdata). */
static bool rr_decode(struct dns_msg *m, struct dns_rr *rr, const uint8_t *msg, size_t rd, size_t rd_end)
{
    struct dns_name n;
    size_t off = rd;
    size_t rdlen = rd_end - rd;
    char text[DNS_NAME_TEXT_MAX];
    switch (rr->rrtype) {
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA: {
        size_t want = rr->rrtype == DNS_TYPE_A ? 4 : 16;
        if (rdlen != want)
            return false;
        if (want == 4)
            ip_addr_set4(&rr->addr, msg + rd);
        else
            ip_addr_set6(&rr->addr, msg + rd);
        if (!inet_ntop(want == 4 ? AF_INET : AF_INET6, msg + rd, text, sizeof(text)))
            return false;
        rr->rdata = arena_put(m, text, strlen(text));
        break;
    }
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR:
        if (!rdata_name(msg, rd_end, &off, &n) || off != rd_end)
            return false;
        rr->rdata = arena_name(m, &n);
        break;
    case DNS_TYPE_MX: {
        struct br b = br_init(msg + rd, rdlen);
        rr->mx_pref = br_be16(&b);
        off = rd + 2;
        if (b.err || !rdata_name(msg, rd_end, &off, &n) || off != rd_end)
            return false;
        rr->rdata = arena_name(m, &n);
        break;
    }
    case DNS_TYPE_SRV: {
        struct br b = br_init(msg + rd, rdlen);
        rr->srv_priority = br_be16(&b);
        rr->srv_weight = br_be16(&b);
        rr->srv_port = br_be16(&b);
        off = rd + 6;
        if (b.err || !rdata_name(msg, rd_end, &off, &n) || off != rd_end)
            return false;
        rr->rdata = arena_name(m, &n);
        break;
    }
    case DNS_TYPE_SOA: {
        struct dns_name rname;
        if (!rdata_name(msg, rd_end, &off, &n) || !rdata_name(msg, rd_end, &off, &rname))
            return false;
        struct br b = br_init(msg + off, rd_end - off);
        rr->soa_serial = br_be32(&b);
        rr->soa_refresh = br_be32(&b);
        rr->soa_retry = br_be32(&b);
        rr->soa_expire = br_be32(&b);
        rr->soa_minimum = br_be32(&b);
        if (b.err || br_left(&b) != 0)
            return false;
        rr->rdata = arena_name(m, &n);
        rr->soa_rname = arena_name(m, &rname);
        if (!rr->soa_rname)
            rr->rdata = NULL;
        break;
    }
    case DNS_TYPE_TXT: {
        /* character-strings (3.3.14), concatenated; at least one */
        struct br b = br_init(msg + rd, rdlen);
        char buf[DNS_TEXT_ARENA];
        size_t o = 0;
        if (rdlen == 0)
            return false;
        while (br_left(&b) > 0) {
            uint8_t l = br_u8(&b);
            const uint8_t *s = br_take(&b, l);
            if (!s)
                return false;
            size_t k = l < sizeof(buf) - o ? l : sizeof(buf) - o;
            memcpy(buf + o, s, k);
            o += k;
        }
        o = o < sizeof(buf) ? o : sizeof(buf) - 1;
        rr->rdata = arena_put(m, buf, o);
        rr->rdata_len = (uint16_t)o;
        rr->has_rdata = rr->rdata != NULL;
        if (!rr->rdata)
            m->answers_truncated = true;
        return true;
    }
    default: return true; /* kept by type number and length */
    }
    if (!rr->rdata)
        m->answers_truncated = true; /* arena full: the record is kept without its text */
    rr->has_rdata = rr->rdata != NULL;
    rr->rdata_len = rr->rdata ? (uint16_t)strlen(rr->rdata) : 0;
    return true;
}

/* One question (4.1.2); the first is kept.  false (and m->malformed) when it cannot be read. */
static bool read_question(struct dns_msg *m, const uint8_t *msg, size_t len, size_t *off, bool keep)
{
    struct dns_name n;
    enum dns_name_err e = dns_name_read(msg, len, off, &n);
    if (e != DNS_NAME_OK) {
        m->malformed = dns_name_err_str(e);
        return false;
    }
    struct br b = br_init(msg + *off, len - *off);
    uint16_t qtype = br_be16(&b), qclass = br_be16(&b);
    if (b.err) {
        m->malformed = "question_truncated";
        return false;
    }
    *off += 4;
    if (keep) {
        m->has_question = true;
        m->qname = n;
        dns_name_text(&n, m->qname_text, sizeof(m->qname_text));
        m->qtype = qtype;
        m->qclass = qclass;
    }
    return true;
}

enum section { SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL };

/* One resource record (4.1.3) of a section.  false (and m->malformed) when the message cannot be read further. */
static bool read_rr(struct dns_msg *m, const uint8_t *msg, size_t len, size_t *off, enum section sec)
{
    struct dns_name n;
    enum dns_name_err e = dns_name_read(msg, len, off, &n);
    if (e != DNS_NAME_OK) {
        m->malformed = dns_name_err_str(e);
        return false;
    }
    struct br b = br_init(msg + *off, len - *off);
    uint16_t type = br_be16(&b), cls = br_be16(&b);
    uint32_t ttl = br_be32(&b);
    uint16_t rdlength = br_be16(&b);
    if (b.err || br_left(&b) < rdlength) {
        m->malformed = "record_truncated";
        return false;
    }
    size_t rd = *off + 10, rd_end = rd + rdlength;
    *off = rd_end;

    if (type == DNS_TYPE_OPT) {
        /* RFC 6891 6.1.2-6.1.3: CLASS = requestor's UDP payload size; TTL = extended RCODE(8) VERSION(8) DO(1) Z */
        if (sec == SEC_ADDITIONAL && !m->edns) {
            m->edns = true;
            m->edns_udp_size = cls;
            m->edns_version = (uint8_t)(ttl >> 16);
            m->edns_do = (ttl & 0x8000) != 0;
        }
        if (sec != SEC_ADDITIONAL || n.len != 1)
            m->rdata_anomaly = "opt_misplaced";
        return true;
    }
    if (sec == SEC_ADDITIONAL)
        return true;

    struct dns_rr *rr = NULL;
    if (sec == SEC_ANSWER && m->n_answers < DNS_MAX_ANSWERS)
        rr = &m->answers[m->n_answers];
    else if (sec == SEC_AUTHORITY && m->n_auth < DNS_MAX_AUTH)
        rr = &m->auth[m->n_auth];
    if (!rr) {
        m->answers_truncated = true;
        return true;
    }
    memset(rr, 0, sizeof(*rr));
    rr->rrname = arena_name(m, &n);
    if (!rr->rrname) {
        m->answers_truncated = true;
        return true;
    }
    rr->rrtype = type;
    rr->rrclass = cls;
    rr->ttl = ttl;
    rr->rdlength = rdlength;
    if (!rr_decode(m, rr, msg, rd, rd_end)) {
        rr->rdata_malformed = true;
        rr->has_rdata = false;
        rr->rdata = NULL;
        m->rdata_anomaly = "rdata_malformed";
    }
    if (sec == SEC_ANSWER)
        m->n_answers++;
    else
        m->n_auth++;
    return true;
}

bool dns_msg_parse(struct dns_msg *m, const uint8_t *msg, size_t len)
{
    m->n_answers = m->n_auth = 0;
    m->arena_used = 0;
    m->has_question = false;
    m->qname_text[0] = 0;
    m->answers_truncated = m->edns = m->complete = false;
    m->malformed = m->rdata_anomaly = NULL;
    m->trailing = 0;

    struct br b = br_init(msg, len);
    m->id = br_be16(&b);
    m->flags = br_be16(&b);
    m->qdcount = br_be16(&b);
    m->ancount = br_be16(&b);
    m->nscount = br_be16(&b);
    m->arcount = br_be16(&b);
    if (b.err)
        return false;
    m->opcode = (uint8_t)(m->flags >> 11 & 0xf);
    m->rcode = (uint8_t)(m->flags & 0xf);

    size_t off = 12;
    for (uint32_t i = 0; i < m->qdcount; i++)
        if (!read_question(m, msg, len, &off, i == 0))
            return true;
    static const uint8_t secs[] = {SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL};
    const uint16_t counts[] = {m->ancount, m->nscount, m->arcount};
    for (int s = 0; s < 3; s++)
        for (uint32_t i = 0; i < counts[s]; i++)
            if (!read_rr(m, msg, len, &off, (enum section)secs[s]))
                return true;
    m->complete = true;
    m->trailing = len - off;
    return true;
}
