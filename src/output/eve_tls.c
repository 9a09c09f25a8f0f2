/*
 * eve_tls.c - the `tls` EVE object (docs/EVE.md, section tls).
 *
 * Field names are Suricata's where Suricata has the field (version, sni,
 * client_alpns, server_alpns); the rest are medsentry's and documented.
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
