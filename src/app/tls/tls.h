/*
 * tls.h - the TLS record-layer analyzer: what it keeps of a handshake and the
 * `tls` event that leaves it.
 *
 * medsentry does not decrypt.  It follows the record layer (RFC 8446 5.1,
 * RFC 5246 6.2), reads the two messages that cross in clear and say what was
 * negotiated - ClientHello (RFC 8446 4.1.2) and ServerHello (4.1.3) with the
 * server_name (RFC 6066 3), ALPN (RFC 7301 3.1) and supported_versions
 * (RFC 8446 4.2.1) extensions - and counts the records and bytes that follow.
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

#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2

/* Limits. */
#define TLS_RECORD_MAX   (16384u + 2048u) /* RFC 5246 6.2.3: TLSCiphertext.length <= 2^14 + 2048 */
#define TLS_HELLO_MAX    (64u * 1024)     /* hello messages buffered up to this; larger ones are skipped */
#define TLS_SNI_MAX      255              /* host name bytes kept (a DNS name is at most 253) */
#define TLS_ALPN_MAX     8                /* protocol names kept per hello */
#define TLS_ALPN_LEN_MAX 32               /* bytes kept per protocol name */
#define TLS_VERSIONS_MAX 16               /* supported_versions entries kept */

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
};

/* One TLS connection as seen so far. */
struct tls_session {
    struct tls_client_hello ch;
    struct tls_server_hello sh;
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

/* Exposed for tests and the fuzz harness. */
enum probe_result tls_probe(const uint8_t *data, size_t len, int dir);

/* The parser, for app_registry.c. */
extern const struct app_parser tls_parser;

#endif
