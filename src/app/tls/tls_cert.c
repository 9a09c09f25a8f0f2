/*
 * tls_cert.c - the first certificate of a TLS <= 1.2 server's Certificate message.
 *
 * Certificate body (RFC 5246 7.4.2; TLS 1.3 adds a request context and per-entry extensions, but its
 * Certificate is always protected):
 *
 *   0          3          6
 *   +----------+----------+---------------------+----------+-----
 *   | list len | cert len | DER (X.509, RFC 5280) | cert len | ...
 *   +----------+----------+---------------------+----------+-----
 *
 * The list is walked with the bounded reader; the first certificate's DER goes to libcrypto's d2i_X509 with
 * its exact length (never more than TLS_CERT_MAX bytes), which decodes it without recursion limits of ours
 * to worry about: OpenSSL's ASN.1 decoder bounds its own nesting.  What is kept is what Suricata logs for
 * the server certificate: subject and issuer ("C=US, O=Example, CN=host", RDNs in certificate order joined by
 * ", ", as Suricata prints them), serial (the INTEGER's content octets, upper-case hex joined by ':'),
 * validity (UTC, "YYYY-MM-DDTHH:MM:SS") and fingerprints of the DER as sent (SHA-1, Suricata's `fingerprint`,
 * and SHA-256).  libcrypto's own allocations are freed before return; they are bounded by the DER length.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "app/tls/tls.h"
#include "core/bytes.h"

static uint32_t br_be24(struct br *b)
{
    const uint8_t *p = br_take(b, 3);
    return p ? (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2] : 0;
}

/* RDNs in encoded order, ", " between them, "+" inside a multi-valued one, short names, values as UTF-8
 * without RFC 2253 escaping: Suricata's (x509-parser's) rendering. */
static bool name_text(const X509_NAME *name, char *out, size_t cap, bool *truncated)
{
    out[0] = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return false;
    unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | XN_FLAG_DUMP_UNKNOWN_FIELDS |
                          ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN | ASN1_STRFLGS_DUMP_DER;
    bool ok = X509_NAME_print_ex(bio, name, 0, flags) >= 0;
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (ok && n > 0 && data) {
        size_t k = (size_t)n;
        if (k > cap - 1) {
            k = cap - 1;
            *truncated = true;
        }
        memcpy(out, data, k);
        out[k] = 0;
    }
    BIO_free(bio);
    return ok;
}

static void time_text(const ASN1_TIME *t, char out[20])
{
    struct tm tm;
    out[0] = 0;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return;
    char b[64];
    int n = snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n == 19)
        memcpy(out, b, 20);
}

/* The INTEGER's content octets as DER has them (a leading 00 kept), "00:A1:..". */
static void serial_text(const ASN1_INTEGER *serial, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    out[0] = 0;
    if (!serial)
        return;
    int n = i2d_ASN1_INTEGER(serial, NULL);
    if (n < 3 || n > 2 + 127) /* short-form length only: at most 127 content octets */
        return;
    uint8_t der[2 + 127];
    uint8_t *w = der;
    if (i2d_ASN1_INTEGER(serial, &w) != n || der[1] != n - 2)
        return;
    size_t o = 0;
    for (int i = 2; i < n && o + 3 <= cap; i++) {
        if (i > 2)
            out[o++] = ':';
        out[o++] = hex[der[i] >> 4];
        out[o++] = hex[der[i] & 15];
    }
    out[o < cap ? o : cap - 1] = 0;
}

bool tls_parse_certificate(struct tls_cert *c, const uint8_t *p, size_t len, const char **why)
{
    memset(c, 0, sizeof(*c));
    *why = NULL;
    struct br b = br_init(p, len);
    uint32_t list_len = br_be24(&b);
    if (b.err) {
        *why = "Certificate message shorter than its list length";
        return false;
    }
    if (list_len == 0) {
        *why = "empty certificate_list";
        return false;
    }
    /* len may be a prefix of the message: walk what is there */
    struct br l = br_init(br_ptr(&b), list_len < br_left(&b) ? list_len : br_left(&b));
    const uint8_t *der = NULL;
    uint32_t der_len = 0;
    while (br_left(&l) >= 3) {
        uint32_t n = br_be24(&l);
        const uint8_t *cert = br_take(&l, n);
        if (!cert)
            break;
        if (n == 0) {
            *why = "empty ASN.1Cert in the certificate_list";
            return false;
        }
        if (!der) {
            der = cert;
            der_len = n;
        }
        c->chain_len++;
    }
    if (!der) {
        *why = "first certificate runs past the Certificate message";
        return false;
    }
    const unsigned char *q = der;
    X509 *x = d2i_X509(NULL, &q, (long)der_len);
    if (!x) {
        *why = "first certificate is not DER X.509";
        return false;
    }
    c->der_len = der_len;
    unsigned int dl = 0;
    EVP_Digest(der, der_len, c->sha1, &dl, EVP_sha1(), NULL);
    EVP_Digest(der, der_len, c->sha256, &dl, EVP_sha256(), NULL);
    name_text(X509_get_subject_name(x), c->subject, sizeof(c->subject), &c->subject_truncated);
    name_text(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer), &c->issuer_truncated);
    serial_text(X509_get0_serialNumber(x), c->serial, sizeof(c->serial));
    time_text(X509_get0_notBefore(x), c->not_before);
    time_text(X509_get0_notAfter(x), c->not_after);
    X509_free(x);
    c->seen = true;
    return true;
}
