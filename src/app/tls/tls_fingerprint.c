/*
 * tls_fingerprint.c - JA3, JA3S, JA4 and JA4S from the hellos tls.c kept.
 *
 * JA3 (Salesforce, 2017): the ClientHello's
 *     legacy_version,ciphers,extensions,supported_groups,ec_point_formats
 * as decimal values, each list joined by '-', GREASE values (RFC 8701) left out of the first three lists;
 * the fingerprint is the MD5 of that string.  JA3S: legacy_version,cipher,extensions of the ServerHello.
 *
 * JA4 and JA4S (FoxIO, technical_details/JA4.md and JA4S.md of github.com/FoxIO-LLC/ja4):
 *
 *   t 13 d 15 16 h2 _ 8daaf6152771 _ e5627efa2ab1
 *   | |  |  |  |  |    |              SHA-256[:12] of the sorted extension types less SNI (0000) and
 *   | |  |  |  |  |    |              ALPN (0010), then '_' and the signature algorithms in wire order
 *   | |  |  |  |  |    SHA-256[:12] of the sorted cipher suites
 *   | |  |  |  |  first and last characters of the first ALPN name ("00" without one)
 *   | |  |  |  extensions (SNI and ALPN included), at most 99
 *   | |  |  cipher suites, at most 99
 *   | |  'd' with a server_name extension, 'i' without
 *   | highest supported_versions value, else legacy_version
 *   't': TLS over TCP (medsentry has no QUIC or DTLS)
 *
 * Values are 4-digit lower-case hex joined by ',', GREASE left out everywhere; an empty list hashes to
 * "000000000000".  JA4S: t, version (supported_versions, else legacy_version), extension count, ALPN
 * characters, '_', the chosen cipher in hex, '_', SHA-256[:12] of the extension types in wire order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "app/tls/tls.h"

bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *tls_ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

/* ---- string building, bounded ------------------------------------------------------------------- */

struct sb {
    char *p;
    size_t cap, n; /* n < cap always; p[n] == 0 */
};

static void sb_ch(struct sb *b, char c)
{
    if (b->n + 1 < b->cap) {
        b->p[b->n++] = c;
        b->p[b->n] = 0;
    }
}

static void sb_dec(struct sb *b, unsigned v)
{
    char t[6];
    int i = 0;
    do {
        t[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i < (int)sizeof(t));
    while (i > 0)
        sb_ch(b, t[--i]);
}

static const char hexd[] = "0123456789abcdef";

static void sb_hex16(struct sb *b, uint16_t v)
{
    sb_ch(b, hexd[v >> 12]);
    sb_ch(b, hexd[(v >> 8) & 15]);
    sb_ch(b, hexd[(v >> 4) & 15]);
    sb_ch(b, hexd[v & 15]);
}

/* a list of decimal values joined by '-', GREASE left out when asked */
static void sb_dec_list(struct sb *b, const uint16_t *v, size_t n, bool drop_grease)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (drop_grease && tls_is_grease(v[i]))
            continue;
        if (!first)
            sb_ch(b, '-');
        sb_dec(b, v[i]);
        first = false;
    }
}

static void digest_hex(const EVP_MD *md, const char *s, size_t n, char *out, size_t hex_chars)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (EVP_Digest(s, n, d, &dl, md, NULL) != 1)
        dl = 0;
    size_t i = 0;
    for (; i < hex_chars && i / 2 < dl; i++)
        out[i] = hexd[i & 1 ? d[i / 2] & 15 : d[i / 2] >> 4];
    for (; i < hex_chars; i++) /* a digest failure: zeros rather than garbage */
        out[i] = '0';
    out[hex_chars] = 0;
}

/* ---- JA3 / JA3S ----------------------------------------------------------------------------------- */

size_t tls_ja3_string(const struct tls_client_hello *ch, char *out, size_t cap)
{
    struct sb b = {out, cap, 0};
    if (cap)
        out[0] = 0;
    sb_dec(&b, ch->legacy_version);
    sb_ch(&b, ',');
    sb_dec_list(&b, ch->ciphers, ch->n_ciphers, true);
    sb_ch(&b, ',');
    sb_dec_list(&b, ch->exts, ch->n_exts, true);
    sb_ch(&b, ',');
    sb_dec_list(&b, ch->groups, ch->n_groups, true);
    sb_ch(&b, ',');
    for (unsigned i = 0; i < ch->n_point_formats; i++) {
        if (i)
            sb_ch(&b, '-');
        sb_dec(&b, ch->point_formats[i]);
    }
    return b.n;
}

size_t tls_ja3s_string(const struct tls_server_hello *sh, char *out, size_t cap)
{
    struct sb b = {out, cap, 0};
    if (cap)
        out[0] = 0;
    sb_dec(&b, sh->legacy_version);
    sb_ch(&b, ',');
    sb_dec(&b, sh->cipher_suite);
    sb_ch(&b, ',');
    sb_dec_list(&b, sh->exts, sh->n_exts, true);
    return b.n;
}

/* ---- JA4 / JA4S ----------------------------------------------------------------------------------- */

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

static void two_digits(char *o, unsigned n)
{
    if (n > 99)
        n = 99;
    o[0] = (char)('0' + n / 10);
    o[1] = (char)('0' + n % 10);
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* JA4.md "ALPN Extension Value": the first and last characters, or of the hex form when either byte is not
 * alphanumeric (the high nibble of the first byte, the low nibble of the last). */
static void alpn_chars(char *o, bool present, uint8_t first, uint8_t last)
{
    if (!present) {
        o[0] = o[1] = '0';
    } else if (alnum(first) && alnum(last)) {
        o[0] = (char)first;
        o[1] = (char)last;
    } else {
        o[0] = hexd[first >> 4];
        o[1] = hexd[last & 15];
    }
}

/* Sorted (or not) comma-joined hex of the non-GREASE values of v, less the skipped ones; returns how many. */
static size_t hex_list(struct sb *b, const uint16_t *v, size_t n, bool sort, const uint16_t *skip, size_t n_skip)
{
    uint16_t tmp[TLS_CIPHERS_MAX > TLS_EXTS_MAX ? TLS_CIPHERS_MAX : TLS_EXTS_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof(tmp) / sizeof(tmp[0]); i++) {
        bool drop = tls_is_grease(v[i]);
        for (size_t j = 0; j < n_skip && !drop; j++)
            drop = v[i] == skip[j];
        if (!drop)
            tmp[k++] = v[i];
    }
    if (sort && k > 1)
        qsort(tmp, k, sizeof(tmp[0]), cmp_u16);
    for (size_t i = 0; i < k; i++) {
        if (i)
            sb_ch(b, ',');
        sb_hex16(b, tmp[i]);
    }
    return k;
}

static unsigned count_non_grease(const uint16_t *v, size_t n)
{
    unsigned c = 0;
    for (size_t i = 0; i < n; i++)
        c += !tls_is_grease(v[i]);
    return c;
}

void tls_fingerprint_client(struct tls_client_hello *ch)
{
    ch->fingerprinted = false;
    ch->ja3_hash[0] = 0;
    ch->ja4[0] = 0;
    if (ch->lists_truncated)
        return;
    char s[TLS_JA3_STR_MAX];
    size_t n = tls_ja3_string(ch, s, sizeof(s));
    digest_hex(EVP_md5(), s, n, ch->ja3_hash, 32);

    char *o = ch->ja4;
    uint16_t v = ch->has_versions_ext && ch->highest_version ? ch->highest_version : ch->legacy_version;
    o[0] = 't';
    memcpy(o + 1, tls_ja4_version(v), 2);
    o[3] = ch->has_sni_ext ? 'd' : 'i';
    two_digits(o + 4, count_non_grease(ch->ciphers, ch->n_ciphers));
    two_digits(o + 6, count_non_grease(ch->exts, ch->n_exts));
    alpn_chars(o + 8, ch->alpn0_present, ch->alpn0_first, ch->alpn0_last);
    o[10] = '_';

    /* the longest list: 256 ciphers of "xxxx," */
    char l[5 * TLS_CIPHERS_MAX + 5 * TLS_EXTS_MAX + 5 * TLS_SIGALGS_MAX + 2];
    struct sb b = {l, sizeof(l), 0};
    l[0] = 0;
    if (hex_list(&b, ch->ciphers, ch->n_ciphers, true, NULL, 0))
        digest_hex(EVP_sha256(), l, b.n, o + 11, 12);
    else
        memcpy(o + 11, "000000000000", 13);
    o[23] = '_';

    static const uint16_t sni_alpn[] = {0x0000, 0x0010};
    b.n = 0;
    l[0] = 0;
    if (hex_list(&b, ch->exts, ch->n_exts, true, sni_alpn, 2)) {
        if (count_non_grease(ch->sigalgs, ch->n_sigalgs)) {
            sb_ch(&b, '_');
            hex_list(&b, ch->sigalgs, ch->n_sigalgs, false, NULL, 0);
        }
        digest_hex(EVP_sha256(), l, b.n, o + 24, 12);
    } else {
        memcpy(o + 24, "000000000000", 13);
    }
    ch->fingerprinted = true;
}

void tls_fingerprint_server(struct tls_server_hello *sh)
{
    sh->fingerprinted = false;
    sh->ja3s_hash[0] = 0;
    sh->ja4s[0] = 0;
    if (sh->exts_truncated)
        return;
    char s[TLS_JA3S_STR_MAX];
    size_t n = tls_ja3s_string(sh, s, sizeof(s));
    digest_hex(EVP_md5(), s, n, sh->ja3s_hash, 32);

    char *o = sh->ja4s;
    uint16_t v = sh->has_selected_version ? sh->selected_version : sh->legacy_version;
    o[0] = 't';
    memcpy(o + 1, tls_ja4_version(v), 2);
    two_digits(o + 3, count_non_grease(sh->exts, sh->n_exts));
    alpn_chars(o + 5, sh->has_alpn, sh->alpn_first, sh->alpn_last);
    o[7] = '_';
    struct sb c = {o + 8, 5, 0};
    sb_hex16(&c, sh->cipher_suite);
    o[12] = '_';
    char l[5 * TLS_SH_EXTS_MAX + 1];
    struct sb b = {l, sizeof(l), 0};
    l[0] = 0;
    if (hex_list(&b, sh->exts, sh->n_exts, false, NULL, 0))
        digest_hex(EVP_sha256(), l, b.n, o + 13, 12);
    else
        memcpy(o + 13, "000000000000", 13);
    sh->fingerprinted = true;
}
