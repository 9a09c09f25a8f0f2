/*
 * eve_tls.c - the `tls` EVE object (docs/EVE.md, section tls).
 *
 * Field names are Suricata's where Suricata has the field (version, sni,
 * client_alpns, server_alpns, ja3, ja3s, ja4, subject, issuerdn, serial,
 * fingerprint, notbefore, notafter); the rest are medsentry's and documented.
 * Two events per connection: "handshake" (when both hellos have been seen,
 * or at close with what was seen) and "summary" (at close: records and
 * encrypted bytes).  Only the handshake event carries `sni`.
 */
#include "app/tls/tls.h"
#include "output/eve_tls.h"

/* "0x1302" without snprintf. */
static void hex16(struct jw *w, const char *key, uint16_t v)
{
    static const char hex[] = "0123456789abcdef";
    char b[6] = {'0', 'x', hex[v >> 12], hex[(v >> 8) & 15], hex[(v >> 4) & 15], hex[v & 15]};
    jw_strn(w, key, b, sizeof(b));
}

static void version(struct jw *w, const char *key, uint16_t v)
{
    const char *name = tls_version_name(v);
    if (name)
        jw_str(w, key, name);
    else
        hex16(w, key, v);
}

/* "ab:cd:..", lower case: Suricata's certificate fingerprint form. */
static void colon_hex(struct jw *w, const char *key, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char b[3 * 32];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 <= sizeof(b); i++) {
        if (i)
            b[o++] = ':';
        b[o++] = hex[p[i] >> 4];
        b[o++] = hex[p[i] & 15];
    }
    jw_strn(w, key, b, o);
}

static void fingerprints(struct jw *w, const struct tls_session *s)
{
    char str[TLS_JA3_STR_MAX];
    if (s->ch.fingerprinted) {
        size_t n = tls_ja3_string(&s->ch, str, sizeof(str));
        jw_open_obj(w, "ja3");
        jw_str(w, "hash", s->ch.ja3_hash);
        jw_strn(w, "string", str, n);
        jw_close_obj(w);
        jw_str(w, "ja4", s->ch.ja4);
    }
    if (s->sh.fingerprinted) {
        size_t n = tls_ja3s_string(&s->sh, str, sizeof(str));
        jw_open_obj(w, "ja3s");
        jw_str(w, "hash", s->sh.ja3s_hash);
        jw_strn(w, "string", str, n);
        jw_close_obj(w);
        jw_str(w, "ja4s", s->sh.ja4s);
    }
}

static void certificate(struct jw *w, const struct tls_cert *c)
{
    if (!c->seen)
        return;
    jw_str(w, "subject", c->subject);
    jw_str(w, "issuerdn", c->issuer);
    if (c->subject_truncated || c->issuer_truncated)
        jw_bool(w, "dn_truncated", true);
    if (c->serial[0])
        jw_str(w, "serial", c->serial);
    colon_hex(w, "fingerprint", c->sha1, sizeof(c->sha1));
    jw_hexbytes(w, "fingerprint_sha256", c->sha256, sizeof(c->sha256));
    if (c->not_before[0])
        jw_str(w, "notbefore", c->not_before);
    if (c->not_after[0])
        jw_str(w, "notafter", c->not_after);
    jw_u64(w, "certificate_count", c->chain_len);
}

static void handshake_body(struct jw *w, const struct tls_session *s)
{
    const struct tls_client_hello *ch = &s->ch;
    const struct tls_server_hello *sh = &s->sh;
    uint16_t v = tls_session_version(s);
    if (v)
        version(w, "version", v);
    else
        jw_str(w, "version", "UNDETERMINED");
    if (ch->has_sni)
        jw_str(w, "sni", ch->sni);
    if (ch->sni_truncated)
        jw_bool(w, "sni_truncated", true);
    if (ch->seen) {
        version(w, "client_version", ch->legacy_version);
        if (ch->n_versions) {
            jw_open_arr(w, "supported_versions");
            for (unsigned i = 0; i < ch->n_versions; i++)
                version(w, NULL, ch->versions[i]);
            jw_close_arr(w);
        }
        jw_u64(w, "cipher_suite_count", ch->n_cipher_suites);
        jw_u64(w, "client_extension_count", ch->n_extensions);
        if (ch->n_alpn) {
            jw_open_arr(w, "client_alpns");
            for (unsigned i = 0; i < ch->n_alpn; i++)
                jw_str(w, NULL, ch->alpn[i]);
            jw_close_arr(w);
        }
    }
    if (sh->seen) {
        version(w, "server_version", sh->legacy_version);
        hex16(w, "cipher_suite", sh->cipher_suite);
        if (sh->has_alpn) {
            jw_open_arr(w, "server_alpns");
            jw_str(w, NULL, sh->alpn);
            jw_close_arr(w);
        }
    }
    if (s->hello_retry)
        jw_bool(w, "hello_retry_request", true);
    fingerprints(w, s);
    certificate(w, &s->cert);
}

static void summary_body(struct jw *w, const struct tls_session *s)
{
    uint16_t v = tls_session_version(s);
    if (v)
        version(w, "version", v);
    jw_u64(w, "records_toserver", s->records[0]);
    jw_u64(w, "records_toclient", s->records[1]);
    jw_u64(w, "encrypted_records_toserver", s->encrypted_records[0]);
    jw_u64(w, "encrypted_records_toclient", s->encrypted_records[1]);
    jw_u64(w, "encrypted_bytes_toserver", s->encrypted_bytes[0]);
    jw_u64(w, "encrypted_bytes_toclient", s->encrypted_bytes[1]);
    if (s->alerts[0] + s->alerts[1])
        jw_u64(w, "alerts", s->alerts[0] + s->alerts[1]);
    if (s->anomalies)
        jw_u64(w, "anomalies", s->anomalies);
}

void eve_tls_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct tls_event *te = ev->body;
    if (!te || !te->s)
        return;
    jw_str(w, "type", te->kind == TLS_EV_HANDSHAKE ? "handshake" : "summary");
    if (te->kind == TLS_EV_HANDSHAKE)
        handshake_body(w, te->s);
    else
        summary_body(w, te->s);
    if (te->s->dicom_hint)
        jw_bool(w, "dicom_hint", true);
}
