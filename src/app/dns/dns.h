/*
 * dns.h - the DNS parser (RFC 1035 messages over UDP and TCP) and the `dns`
 * event that leaves it.
 *
 * Two layers, two files:
 *   dns_msg.c  one message: header (RFC 1035 4.1.1, RFC 2535 6.1 AD/CD),
 *              questions (4.1.2), resource records (4.1.3) with bounded,
 *              iterative name decompression (4.1.4) and the RDATA of A, NS,
 *              CNAME, SOA, PTR, MX, TXT (3.3), AAAA (RFC 3596 2.2), SRV
 *              (RFC 2782) and OPT (RFC 6891 6.1); no state, no allocation.
 *   dns.c      the app-layer parser: one message per UDP datagram, RFC 1035
 *              4.2.2 / RFC 7766 length framing on TCP, queries paired with
 *              responses by id and question within the flow (its 5-tuple),
 *              unanswered queries reported at flow end.
 *
 * Names leave the parser as presentation text (RFC 1035 5.1, as dig prints
 * them): labels joined by '.', no trailing dot, the root as "", a '.' or '\'
 * inside a label as "\." and "\\", and every byte outside 0x21-0x7e as \DDD
 * (three decimal digits).  So a name of any bytes is one unambiguous string.
 */
#ifndef MEDSENTRY_APP_DNS_DNS_H
#define MEDSENTRY_APP_DNS_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "core/addr.h"

/* app-layer.protocols.dns.*: the key table is in dns.c (both parsers, UDP and TCP, share it). */
struct dns_cfg {
    struct app_proto_cfg proto;
};
extern const struct config_module dns_config_module;

/* Limits. */
#define DNS_NAME_WIRE_MAX      255               /* RFC 1035 2.3.4: a name is at most 255 bytes on the wire */
#define DNS_LABELS_MAX         127               /* 127 one-byte labels and the root fill 255 bytes */
#define DNS_NAME_TEXT_MAX      1024              /* presentation form of a 255-byte name: at most 4 x 254 + 1 */
#define DNS_MAX_ANSWERS        32                /* answer records kept per event; the rest are counted */
#define DNS_MAX_AUTH           8                 /* authority records kept per event */
#define DNS_TEXT_ARENA         8192              /* bytes of names and rdata text kept per message */
#define DNS_TCP_MSG_MIN        12                /* a TCP length below a header is malformed */
#define DNS_MAX_PENDING        32                /* queries awaiting their response, per flow */
#define DNS_PENDING_TIMEOUT_US (30ULL * 1000000) /* a query older than this is reported unanswered */

/* Header flag bits (RFC 1035 4.1.1; AD and CD RFC 4035 3.2). */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080
#define DNS_FLAG_Z  0x0040
#define DNS_FLAG_AD 0x0020
#define DNS_FLAG_CD 0x0010

/* Types decoded (IANA DNS parameters). */
#define DNS_TYPE_A     1
#define DNS_TYPE_NS    2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA   6
#define DNS_TYPE_PTR   12
#define DNS_TYPE_MX    15
#define DNS_TYPE_TXT   16
#define DNS_TYPE_AAAA  28
#define DNS_TYPE_SRV   33
#define DNS_TYPE_OPT   41

/* Why a name could not be read (each is also an anomaly name). */
enum dns_name_err {
    DNS_NAME_OK = 0,
    DNS_NAME_TRUNCATED,       /* the message ends inside the name */
    DNS_NAME_POINTER_FORWARD, /* a pointer to its own position or beyond: RFC 1035 4.1.4 "prior occurrence" */
    DNS_NAME_POINTER_LOOP,    /* a pointer back into the part of this name already read */
    DNS_NAME_TOO_LONG,        /* more than 255 bytes */
    DNS_NAME_TOO_MANY_LABELS, /* more than 127 labels */
    DNS_NAME_LABEL_TYPE,      /* label type 01 or 10 (RFC 6891 5: extended label types are obsolete) */
};

const char *dns_name_err_str(enum dns_name_err e);

/* A name read from a message, uncompressed, in wire form (length-prefixed labels, ending with the root 0). */
struct dns_name {
    uint8_t wire[DNS_NAME_WIRE_MAX];
    uint16_t len; /* bytes in wire, root included */
    uint8_t labels;
};

/* Read the (possibly compressed) name at *off of the message msg[0..len).  On success *off is the offset after
 * the name as it lies in the record (after its first pointer, if any).  Iterative, O(len) at worst: every pointer
 * must go strictly backwards from the lowest offset this name has read. */
enum dns_name_err dns_name_read(const uint8_t *msg, size_t len, size_t *off, struct dns_name *out);

/* Presentation text of a wire-form name (see the top of this file) into out (cap bytes, NUL-terminated; cut at cap,
 * which DNS_NAME_TEXT_MAX never is for a valid name).  Returns the text length. */
size_t dns_name_text(const struct dns_name *n, char *out, size_t cap);

/* One resource record as kept for the event.  Strings point into the message's text arena. */
struct dns_rr {
    const char *rrname;
    uint16_t rrtype, rrclass;
    uint32_t ttl;
    uint16_t rdlength;
    bool has_rdata;      /* rdata holds the text of a decoded type */
    const char *rdata;   /* A/AAAA address; CNAME/NS/PTR/MX target name; TXT strings; SRV/SOA: see below */
    uint16_t rdata_len;  /* bytes of rdata (TXT may hold any byte, NUL included) */
    struct ip_addr addr; /* A and AAAA */
    /* MX preference; SRV priority, weight, port (rdata = target) */
    uint16_t mx_pref, srv_priority, srv_weight, srv_port;
    /* SOA: rdata = mname */
    const char *soa_rname;
    uint32_t soa_serial, soa_refresh, soa_retry, soa_expire, soa_minimum;
    bool rdata_malformed; /* its RDATA did not match its type (counted as an anomaly) */
};

/* One message, parsed.  Fields are valid as far as `complete` and `malformed` say. */
struct dns_msg {
    uint16_t id, flags;
    uint8_t opcode, rcode;
    uint16_t qdcount, ancount, nscount, arcount;
    /* the first question */
    bool has_question;
    struct dns_name qname;
    char qname_text[DNS_NAME_TEXT_MAX];
    uint16_t qtype, qclass;
    /* answers and authorities kept (at most DNS_MAX_ANSWERS / DNS_MAX_AUTH) */
    struct dns_rr answers[DNS_MAX_ANSWERS];
    uint16_t n_answers;
    struct dns_rr auth[DNS_MAX_AUTH];
    uint16_t n_auth;
    bool answers_truncated; /* more records than kept, or the text arena was full */
    /* EDNS (RFC 6891 6.1.2-6.1.3), from an OPT record in the additional section */
    bool edns;
    uint8_t edns_version;
    uint16_t edns_udp_size;
    bool edns_do;
    bool complete;             /* every section read to its count */
    const char *malformed;     /* the anomaly that stopped the parse, or NULL */
    const char *rdata_anomaly; /* an RDATA that did not fit its type (the record is kept) */
    size_t trailing;           /* bytes after the last record */
    /* storage for the strings above */
    char arena[DNS_TEXT_ARENA];
    size_t arena_used;
};

/* Parse msg[0..len).  Returns false when not even the header is there; otherwise fills m as far as the bytes allow
 * (m->complete, m->malformed say how far). */
bool dns_msg_parse(struct dns_msg *m, const uint8_t *msg, size_t len);

/* Names of types and rcodes: "A", "NXDOMAIN"; NULL when the value has none (write the number). */
const char *dns_type_name(uint16_t t);
const char *dns_rcode_name(uint8_t r);

/* Wire names equal, ASCII case-insensitively (RFC 4343). */
bool dns_name_eq(const struct dns_name *a, const struct dns_name *b);

enum dns_event_kind {
    DNS_EV_QUERY,      /* a query (QR 0), when seen */
    DNS_EV_ANSWER,     /* a response (QR 1), paired with its query when it was seen */
    DNS_EV_UNANSWERED, /* a query with no response by flow end (or DNS_PENDING_TIMEOUT_US later) */
};

/* EVENT_DNS body.  Valid only during the event callback. */
struct dns_event {
    enum dns_event_kind kind;
    const struct dns_msg *msg; /* QUERY and ANSWER */
    /* ANSWER: the query it answers, when seen in this flow */
    bool query_seen;
    uint64_t response_time_us;
    uint32_t retransmissions; /* QUERY repeats of the same question and id before the answer (ANSWER, UNANSWERED) */
    /* UNANSWERED: what the query asked */
    uint16_t id, qtype;
    const char *rrname;
    uint64_t waited_us;
    bool tcp;
};

/* Exposed for tests and the fuzz harness. */
enum probe_result dns_probe_udp(const uint8_t *data, size_t len, int dir);
enum probe_result dns_probe_tcp(const uint8_t *data, size_t len, int dir);

/* The parsers, for app_registry.c. */
extern const struct app_parser dns_udp_parser;
extern const struct app_parser dns_tcp_parser;

#endif
