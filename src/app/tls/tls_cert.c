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
 * The certificate (RFC 5280 4.1), as far as it is read:
 *
 *   Certificate     SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
 *   TBSCertificate  SEQUENCE { [0] EXPLICIT version OPTIONAL, serialNumber INTEGER,
 *                              signature AlgorithmIdentifier, issuer Name,
 *                              validity SEQUENCE { notBefore Time, notAfter Time }, subject Name, ... }
 *   Time            UTCTime "YYMMDDHHMMSSZ" | GeneralizedTime "YYYYMMDDHHMMSSZ" (RFC 5280 4.1.2.5)
 *
 * The list and these TLVs are walked with the bounded reader (definite lengths, a fixed sequence of fields:
 * no recursion); the two Names are decoded and printed by libcrypto (d2i_X509_NAME on the Name's exact
 * bytes, X509_NAME_print_ex), which knows every string type and attribute name.  Not d2i_X509 on the whole
 * certificate: with OpenSSL 3 it also decodes the public key through the provider machinery, 150-200 us per
 * certificate on this machine against about 10-25 us for the two names (measured, see the commit message);
 * the signature and extensions are not needed here and are not checked.
 *
 * What is kept is what Suricata logs for the server certificate: subject and issuer ("C=US, O=Example,
 * CN=host": RDNs in certificate order joined by ", ", as Suricata prints them), serial (the INTEGER's content
 * octets, upper-case hex joined by ':'), validity (UTC, "YYYY-MM-DDTHH:MM:SS") and fingerprints of the DER
 * as sent (SHA-1, Suricata's `fingerprint`, and SHA-256).  libcrypto's allocations for a Name are freed
 * before return and bounded by its length.
 */
#include <string.h>

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

/* One DER TLV (X.690 8.1): a low-number tag, a definite length (short form, or long form of 1-4 octets).
 * Returns the value; *tlv and *tlv_len span the whole element. */
static const uint8_t *der_next(struct br *b, uint8_t *tag, size_t *len, const uint8_t **tlv, size_t *tlv_len)
{
    size_t start = b->off;
    *tag = br_u8(b);
    uint8_t l0 = br_u8(b);
    if (b->err || (*tag & 0x1f) == 0x1f) /* high tag numbers: none in a TBSCertificate */
        return NULL;
    size_t n = l0;
    if (l0 & 0x80) {
        unsigned k = l0 & 0x7fu;
        if (k == 0 || k > 4) /* indefinite (BER only) or absurd */
            return NULL;
        n = 0;
        for (unsigned i = 0; i < k; i++)
            n = n << 8 | br_u8(b);
    }
    const uint8_t *v = br_take(b, n);
    if (!v)
        return NULL;
    *len = n;
    if (tlv) {
        *tlv = b->p + start;
        *tlv_len = b->off - start;
    }
    return v;
}

static bool two_digits(const uint8_t *p, int *out)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return false;
    *out = (p[0] - '0') * 10 + (p[1] - '0');
    return true;
}

/* RFC 5280 4.1.2.5: UTCTime YYMMDDHHMMSSZ (YY >= 50 is 19YY) or GeneralizedTime YYYYMMDDHHMMSSZ. */
static void time_text(uint8_t tag, const uint8_t *v, size_t n, char out[20])
{
    out[0] = 0;
    int cc, yy, mo, dd, hh, mi, ss;
    if (tag == 0x17 && n == 13) {
        if (!two_digits(v, &yy))
            return;
        cc = yy >= 50 ? 19 : 20;
        v += 2;
    } else if (tag == 0x18 && n == 15) {
        if (!two_digits(v, &cc) || !two_digits(v + 2, &yy))
            return;
        v += 4;
    } else {
        return;
    }
    if (!two_digits(v, &mo) || !two_digits(v + 2, &dd) || !two_digits(v + 4, &hh) || !two_digits(v + 6, &mi) ||
        !two_digits(v + 8, &ss) || v[10] != 'Z' || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 ||
        ss > 60)
        return;
    const int f[] = {cc / 10, cc % 10, yy / 10, yy % 10, -1,      mo / 10, mo % 10, -1,      dd / 10, dd % 10,
                     -2,      hh / 10, hh % 10, -3,      mi / 10, mi % 10, -3,      ss / 10, ss % 10};
    for (int i = 0; i < 19; i++)
        out[i] = f[i] == -1 ? '-' : f[i] == -2 ? 'T' : f[i] == -3 ? ':' : (char)('0' + f[i]);
    out[19] = 0;
}

/* The INTEGER's content octets as DER has them (a leading 00 kept), "00:A1:..", at most TLS_SERIAL_MAX. */
static void serial_text(const uint8_t *v, size_t n, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 <= cap; i++) {
        if (i)
            out[o++] = ':';
        out[o++] = hex[v[i] >> 4];
        out[o++] = hex[v[i] & 15];
    }
    out[o < cap ? o : cap - 1] = 0;
}

/* d2i_X509_NAME on exactly the Name's bytes, printed as Suricata does; false when it does not decode. */
static bool name_from_der(const uint8_t *tlv, size_t len, char *out, size_t cap, bool *truncated)
{
    const unsigned char *q = tlv;
    X509_NAME *name = d2i_X509_NAME(NULL, &q, (long)len);
    if (!name)
        return false;
    bool ok = name_text(name, out, cap, truncated);
    X509_NAME_free(name);
    return ok;
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
    struct br d = br_init(der, der_len);
    uint8_t tag;
    size_t n;
    const uint8_t *v = der_next(&d, &tag, &n, NULL, NULL); /* Certificate */
    if (!v || tag != 0x30) {
        *why = "first certificate is not a DER SEQUENCE";
        return false;
    }
    struct br cert = br_init(v, n);
    v = der_next(&cert, &tag, &n, NULL, NULL); /* tbsCertificate */
    if (!v || tag != 0x30) {
        *why = "certificate without a TBSCertificate SEQUENCE";
        return false;
    }
    struct br t = br_init(v, n);
    const uint8_t *f[5] = {0};    /* serial, signature, issuer, validity, subject: values */
    const uint8_t *ftlv[5] = {0}; /* and whole elements */
    size_t flen[5] = {0}, ftlv_len[5] = {0};
    static const uint8_t want[5] = {0x02, 0x30, 0x30, 0x30, 0x30}; /* INTEGER, then SEQUENCEs */
    v = der_next(&t, &tag, &n, &ftlv[0], &ftlv_len[0]);
    if (v && tag == 0xa0) /* [0] EXPLICIT version */
        v = der_next(&t, &tag, &n, &ftlv[0], &ftlv_len[0]);
    for (int i = 0; i < 5; i++) {
        if (i > 0)
            v = der_next(&t, &tag, &n, &ftlv[i], &ftlv_len[i]);
        if (!v || tag != want[i]) {
            *why = "TBSCertificate fields missing or out of order";
            return false;
        }
        f[i] = v;
        flen[i] = n;
    }
    struct br val = br_init(f[3], flen[3]);
    uint8_t t1 = 0, t2 = 0;
    size_t n1 = 0, n2 = 0;
    const uint8_t *nb = der_next(&val, &t1, &n1, NULL, NULL);
    const uint8_t *na = der_next(&val, &t2, &n2, NULL, NULL);
    if (!nb || !na) {
        *why = "validity is not two times";
        return false;
    }
    if (!name_from_der(ftlv[2], ftlv_len[2], c->issuer, sizeof(c->issuer), &c->issuer_truncated) ||
        !name_from_der(ftlv[4], ftlv_len[4], c->subject, sizeof(c->subject), &c->subject_truncated)) {
        *why = "issuer or subject is not a DER Name";
        c->issuer[0] = c->subject[0] = 0;
        return false;
    }
    time_text(t1, nb, n1, c->not_before);
    time_text(t2, na, n2, c->not_after);
    serial_text(f[0], flen[0], c->serial, sizeof(c->serial));
    c->der_len = der_len;
    unsigned int dl = 0;
    EVP_Digest(der, der_len, c->sha1, &dl, EVP_sha1(), NULL);
    EVP_Digest(der, der_len, c->sha256, &dl, EVP_sha256(), NULL);
    c->seen = true;
    return true;
}
