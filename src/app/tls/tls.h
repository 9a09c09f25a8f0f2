/*
 * tls.h - the TLS record-layer analyzer: what it keeps of a handshake and the
 * `tls` event that leaves it.
 *
 * medsentry does not decrypt.  It follows the record layer (RFC 8446 5.1,
 * RFC 5246 6.2), reads the two messages that cross in clear and say what was
 * negotiated - ClientHello (RFC 8446 4.1.2) and ServerHello (4.1.3) with the
 * server_name (RFC 6066 3), ALPN (RFC 7301 3.1) and supported_versions
 * (RFC 8446 4.2.1) extensions - and counts the records and bytes that follow.
 * From the ClientHello it keeps the lists a client fingerprint is made of
 * (cipher suites, extension types in order, supported groups, EC point
 * formats, signature algorithms) and computes JA3 and JA4; from the
 * ServerHello JA3S and JA4S (tls_fingerprint.c).  Up to TLS 1.2 the server's
 * Certificate message travels in clear: the first certificate's subject,
 * issuer, serial, validity and SHA-1/SHA-256 fingerprints are read from its
 * DER (tls_cert.c; names by libcrypto) - a DICOM TLS node's certificate names it.
 * DICOM over TLS (PS3.15 Annex B, port 2762, or TLS on a DICOM port) is flagged
 * with a dicom hint; nothing inside is decoded.
 */
#ifndef MEDSENTRY_APP_TLS_TLS_H
#define MEDSENTRY_APP_TLS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

/* Record content types (RFC 8446 B.1; 24 heartbeat, RFC 6520). */
enum tls_content_type {
    TLS_CT_CHANGE_CIPHER_SPEC = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APPLICATION_DATA = 23,
    TLS_CT_HEARTBEAT = 24,
};

/* app-layer.protocols.tls.*: the key table is in tls.c. */
struct tls_cfg {
    struct app_proto_cfg proto;
};
extern const struct config_module tls_config_module;

#define TLS_HS_CLIENT_HELLO      1
#define TLS_HS_SERVER_HELLO      2
#define TLS_HS_CERTIFICATE       11 /* RFC 5246 7.4.2 */
#define TLS_HS_SERVER_HELLO_DONE 14 /* RFC 5246 7.4.5 */

/* Limits. */
#define TLS_RECORD_MAX   (16384u + 2048u) /* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048 */
#define TLS_HELLO_MAX    (64u * 1024)     /* hello messages buffered up to this; larger ones are skipped */
#define TLS_SNI_MAX      255              /* host name bytes kept (a DNS name is at most 253) */
#define TLS_ALPN_MAX     8                /* protocol names kept per hello */
#define TLS_ALPN_LEN_MAX 32               /* bytes kept per protocol name */
#define TLS_VERSIONS_MAX 16               /* supported_versions entries kept */
/* ClientHello lists kept for the fingerprints, wire order, GREASE included.  A list longer than its cap is
 * counted as an anomaly and leaves JA3/JA4 out rather than fingerprinting a part of it; real clients offer
 * fewer than 100 suites and 30 extensions. */
#define TLS_CIPHERS_MAX       256
#define TLS_EXTS_MAX          64
#define TLS_GROUPS_MAX        64
#define TLS_POINT_FORMATS_MAX 16
#define TLS_SIGALGS_MAX       64
#define TLS_SH_EXTS_MAX       32           /* ServerHello extension types kept */
#define TLS_CERT_MAX          (64u * 1024) /* Certificate message bytes buffered (a prefix when longer) */
#define TLS_DN_MAX            512          /* subject / issuer text kept */
#define TLS_SERIAL_MAX        64           /* serial number octets shown (RFC 5280 4.1.2.2 allows 20) */
#define TLS_JA4_LEN           36           /* t13d1516h2_8daaf6152771_e5627efa2ab1 */
#define TLS_JA4S_LEN          25           /* t120400_c030_4e8089b08790 */
/* Longest JA3 / JA3S string the kept lists can give: "65535," then each list of 5-digit values and dashes. */
#define TLS_JA3_STR_MAX \
    (6 + 6 * TLS_CIPHERS_MAX + 1 + 6 * TLS_EXTS_MAX + 1 + 6 * TLS_GROUPS_MAX + 1 + 4 * TLS_POINT_FORMATS_MAX + 1)
#define TLS_JA3S_STR_MAX (6 + 6 + 6 * TLS_SH_EXTS_MAX + 1)

struct tls_client_hello {
    bool seen;
    uint16_t legacy_version;
    uint8_t session_id_len;
    uint16_t n_cipher_suites;
    uint16_t n_extensions;
    bool has_sni, sni_truncated;
    char sni[TLS_SNI_MAX + 1];
    uint8_t n_versions; /* supported_versions kept (GREASE left out) */
    uint16_t versions[TLS_VERSIONS_MAX];
    uint8_t n_alpn;
    char alpn[TLS_ALPN_MAX][TLS_ALPN_LEN_MAX + 1];
    /* for JA4: the first and last bytes of the first ALPN name, whatever its length */
    bool alpn0_present;
    uint8_t alpn0_first, alpn0_last;
    bool has_sni_ext;         /* server_name extension present, whatever it holds (JA4 "d") */
    bool has_versions_ext;    /* supported_versions present */
    uint16_t highest_version; /* highest non-GREASE supported_versions value (JA4) */
    bool lists_truncated;     /* a list below was longer than its cap: no fingerprints */
    bool fingerprinted;       /* the extension block's framing was intact: ja3_hash / ja4 are set */
    uint16_t n_ciphers, n_exts, n_groups, n_sigalgs;
    uint8_t n_point_formats;
    uint16_t ciphers[TLS_CIPHERS_MAX];
    uint16_t exts[TLS_EXTS_MAX];
    uint16_t groups[TLS_GROUPS_MAX];
    uint8_t point_formats[TLS_POINT_FORMATS_MAX];
    uint16_t sigalgs[TLS_SIGALGS_MAX];
    char ja3_hash[33];
    char ja4[TLS_JA4_LEN + 1];
};

struct tls_server_hello {
    bool seen;
    bool hrr; /* a HelloRetryRequest (RFC 8446 4.1.3 special random) */
    uint16_t legacy_version;
    bool has_selected_version;
    uint16_t selected_version; /* supported_versions extension */
    uint16_t cipher_suite;
    uint16_t n_extensions;
    bool has_alpn;
    char alpn[TLS_ALPN_LEN_MAX + 1];
    uint8_t alpn_first, alpn_last; /* first and last bytes of the chosen name, whatever its length (JA4S) */
    uint8_t n_exts;                /* extension types kept, wire order */
    bool exts_truncated;
    uint16_t exts[TLS_SH_EXTS_MAX];
    bool fingerprinted;
    char ja3s_hash[33];
    char ja4s[TLS_JA4S_LEN + 1];
};

/* The first certificate of the server's Certificate message (RFC 5246 7.4.2), TLS <= 1.2 only. */
struct tls_cert {
    bool seen;          /* decoded */
    uint16_t chain_len; /* certificates in the message (those within TLS_CERT_MAX) */
    uint32_t der_len;   /* bytes of the first certificate */
    bool subject_truncated, issuer_truncated;
    char subject[TLS_DN_MAX + 1]; /* "C=US, O=Example, CN=pacs.example.org", Suricata's form */
    char issuer[TLS_DN_MAX + 1];
    char serial[3 * TLS_SERIAL_MAX];    /* "00:A1:..." content octets of the INTEGER, upper case */
    char not_before[20], not_after[20]; /* "2019-02-10T00:00:00" (UTC); empty when unreadable */
    uint8_t sha1[20], sha256[32];       /* of the DER as sent */
};

/* One TLS connection as seen so far. */
struct tls_session {
    struct tls_client_hello ch;
    struct tls_server_hello sh;
    struct tls_cert cert;
    bool hello_retry;    /* a HelloRetryRequest was seen */
    bool dicom_hint;     /* server port 2762 or a DICOM port */
    uint64_t records[2]; /* by direction: 0 to server, 1 to client */
    uint64_t encrypted_records[2];
    uint64_t encrypted_bytes[2]; /* payload bytes of protected records */
    uint64_t alerts[2];
    uint64_t anomalies;
};

enum tls_event_kind {
    TLS_EV_HANDSHAKE, /* both hellos seen (or at close, what was seen of them) */
    TLS_EV_SUMMARY,   /* at close: records and encrypted bytes */
};

/* EVENT_TLS body.  Valid only during the event callback. */
struct tls_event {
    enum tls_event_kind kind;
    const struct tls_session *s;
};

/* Negotiated version: ServerHello's supported_versions, else its legacy_version; 0 if no ServerHello. */
uint16_t tls_session_version(const struct tls_session *s);

/* "TLS 1.3", "TLS 1.2", ..., "SSLv3" (Suricata's names); NULL when the value has no name. */
const char *tls_version_name(uint16_t v);

/* Parse a ClientHello / ServerHello body (after the 4-byte handshake header).  Fields are filled as far as
 * the bytes allow; returns false with one sentence in *why when the message is malformed. */
bool tls_parse_client_hello(struct tls_client_hello *ch, const uint8_t *p, size_t len, const char **why);
bool tls_parse_server_hello(struct tls_server_hello *sh, const uint8_t *p, size_t len, const char **why);

/* Fingerprints (tls_fingerprint.c).  The parse functions above set ja3_hash/ja4 and ja3s_hash/ja4s; the
 * strings are rebuilt on demand.  Each returns the string's length (written NUL-terminated into out, which
 * must hold TLS_JA3_STR_MAX / TLS_JA3S_STR_MAX bytes). */
size_t tls_ja3_string(const struct tls_client_hello *ch, char *out, size_t cap);
size_t tls_ja3s_string(const struct tls_server_hello *sh, char *out, size_t cap);
void tls_fingerprint_client(struct tls_client_hello *ch);
void tls_fingerprint_server(struct tls_server_hello *sh);
/* JA4's two-character version ("13", "12", "s3", "d2"; "00" unknown). */
const char *tls_ja4_version(uint16_t v);
/* RFC 8701: GREASE values are 0x?a?a with both bytes equal. */
bool tls_is_grease(uint16_t v);

/* Decode the first certificate of a Certificate message body (tls_cert.c); len may be a prefix of the body
 * (messages above TLS_CERT_MAX).  Returns false with one sentence in *why when it cannot. */
bool tls_parse_certificate(struct tls_cert *c, const uint8_t *p, size_t len, const char **why);

/* Exposed for tests and the fuzz harness. */
enum probe_result tls_probe(const uint8_t *data, size_t len, int dir);

/* The parser, for app_registry.c. */
extern const struct app_parser tls_parser;

#endif
