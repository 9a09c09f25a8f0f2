/*
 * tls.c - the TLS record layer and the two hello messages (see tls.h).
 *
 * Record (RFC 8446 5.1, RFC 5246 6.2.1), any number per TCP segment, split anywhere:
 *
 *   0        1                 3                 5
 *   +--------+-----------------+-----------------+---------------
 *   | type   | legacy_version  | length (BE)     | fragment ...
 *   +--------+-----------------+-----------------+---------------
 *
 * Handshake messages (RFC 8446 4) are a stream inside the plaintext handshake
 * records of one direction and may span records:
 *
 *   msg_type(1) length(3 BE) body
 *
 * ClientHello body (4.1.2):  legacy_version(2) random(32) legacy_session_id<0..32>
 *     cipher_suites<2..2^16-2> legacy_compression_methods<1..2^8-1> extensions<8..2^16-1>
 * ServerHello body (4.1.3):  legacy_version(2) random(32) legacy_session_id_echo<0..32>
 *     cipher_suite(2) legacy_compression_method(1) extensions<6..2^16-1>
 * (Before TLS 1.3 the extensions block may be absent, RFC 5246 7.4.1.2.)
 * Extension (4.2): extension_type(2) extension_data<0..2^16-1>.
 *
 * Only the hellos (up to TLS_HELLO_MAX) and the server's Certificate (its
 * first TLS_CERT_MAX bytes: enough for the first certificate of any real
 * chain) are buffered, against the app memcap; every other handshake message
 * is skipped by its length.  Certificate (RFC 5246 7.4.2):
 *
 *   certificate_list<0..2^24-1>:  length(3 BE) { ASN.1Cert<1..2^24-1>: length(3 BE) DER } ...
 *
 * Up to TLS 1.2 the handshake event waits for what follows the ServerHello
 * (Certificate, ServerHelloDone, or a ChangeCipherSpec when a session is
 * resumed) so that it carries the certificate; in TLS 1.3 the certificate is
 * protected and the event leaves with the ServerHello.  A direction's records are protected once
 * it has sent ChangeCipherSpec (TLS <= 1.2) or, in TLS 1.3, once the
 * ServerHello chose 1.3 (every later handshake record travels as opaque
 * application_data, RFC 8446 5.2); from then on only records and bytes are
 * counted.  Each direction is a resumable state machine: any split of the
 * stream into chunks gives the same result.
 */
#include "app/tls/tls.h"

#include <string.h>

#include "core/bytes.h"
#include "flow/flow.h"

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* Extension types (IANA TLS ExtensionType registry). */
#define EXT_SERVER_NAME          0  /* RFC 6066 3 */
#define EXT_SUPPORTED_GROUPS     10 /* RFC 8446 4.2.7 (elliptic_curves in RFC 4492) */
#define EXT_EC_POINT_FORMATS     11 /* RFC 8422 5.1.2 */
#define EXT_SIGNATURE_ALGORITHMS 13 /* RFC 8446 4.2.3 */
#define EXT_ALPN                 16 /* RFC 7301 3.1 */
#define EXT_SUPPORTED_VERSIONS   43 /* RFC 8446 4.2.1 */

struct tls_dir {
    uint8_t hdr[5];
    uint8_t hdr_len;
    bool in_record;
    uint8_t ctype;
    uint16_t rec_len, rec_off;
    bool encrypted; /* records of this direction are protected */
    bool dead;      /* framing lost: this direction is no longer followed */
    bool too_large_reported;
    /* the handshake message stream of this direction (plaintext handshake records) */
    uint8_t hs_hdr[4];
    uint8_t hs_hdr_len;
    uint8_t hs_type;
    uint32_t hs_len, hs_off;
    bool hs_keep;         /* buffering this message (a hello, or the server's Certificate) */
    uint32_t hs_keep_len; /* bytes of it buffered: all of a hello, up to TLS_CERT_MAX of a Certificate */
    bool hs_broken;       /* a gap inside the handshake stream: stop reading messages */
    uint8_t *hs_buf;
    uint32_t hs_cap;
};

struct tls_state {
    struct tls_session s;
    struct tls_dir d[2];
    bool handshake_emitted;
    bool emit_pending; /* TLS <= 1.2 ServerHello seen: the event waits for the Certificate or the hello's end */
};

/* ---- names ---------------------------------------------------------------------------------- */

const char *tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0200: return "SSLv2";
    case 0x0300: return "SSLv3";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default: break;
    }
    if ((v & 0xff00) == 0x7f00) /* TLS 1.3 drafts, 0x7f00 + draft number */
        return "TLS 1.3 draft";
    return NULL;
}

uint16_t tls_session_version(const struct tls_session *s)
{
    if (!s->sh.seen)
        return 0;
    return s->sh.has_selected_version ? s->sh.selected_version : s->sh.legacy_version;
}

/* ---- hello messages ------------------------------------------------------------------------- */

static void copy_bytes(char *dst, size_t cap, const uint8_t *p, size_t n, bool *truncated)
{
    if (n > cap - 1) {
        n = cap - 1;
        if (truncated)
            *truncated = true;
    }
    memcpy(dst, p, n);
    dst[n] = 0;
}

/* RFC 6066 3: ServerNameList server_name_list<1..2^16-1>; ServerName = name_type(1) HostName<1..2^16-1>. */
static bool parse_sni(struct tls_client_hello *ch, const uint8_t *p, size_t len, const char **why)
{
    struct br b = br_init(p, len);
    uint16_t list_len = br_be16(&b);
    const uint8_t *list = br_take(&b, list_len);
    if (!list || br_left(&b) != 0 || list_len == 0) {
        *why = "server_name list length does not match its extension";
        return false;
    }
    struct br l = br_init(list, list_len);
    while (br_left(&l) > 0) {
        uint8_t type = br_u8(&l);
        uint16_t n = br_be16(&l);
        const uint8_t *name = br_take(&l, n);
        if (!name) {
            *why = "server name runs past the server_name list";
            return false;
        }
        if (type == 0 && !ch->has_sni) { /* host_name: the first one is the one a server uses */
            ch->has_sni = true;
            copy_bytes(ch->sni, sizeof(ch->sni), name, n, &ch->sni_truncated);
        }
    }
    return true;
}

/* RFC 7301 3.1: ProtocolNameList protocol_name_list<2..2^16-1>; ProtocolName<1..2^8-1>. */
static bool parse_alpn(char (*out)[TLS_ALPN_LEN_MAX + 1], uint8_t max, uint8_t *n_out, const uint8_t *p, size_t len,
                       const char **why, uint8_t first_last[2])
{
    struct br b = br_init(p, len);
    uint16_t list_len = br_be16(&b);
    const uint8_t *list = br_take(&b, list_len);
    if (!list || br_left(&b) != 0) {
        *why = "ALPN list length does not match its extension";
        return false;
    }
    struct br l = br_init(list, list_len);
    while (br_left(&l) > 0) {
        uint8_t n = br_u8(&l);
        const uint8_t *name = br_take(&l, n);
        if (!name || n == 0) {
            *why = "ALPN protocol name empty or running past the list";
            return false;
        }
        if (*n_out == 0 && first_last) { /* JA4 / JA4S: the whole first name's ends, not the kept copy's */
            first_last[0] = name[0];
            first_last[1] = name[n - 1];
        }
        if (*n_out < max) {
            copy_bytes(out[*n_out], TLS_ALPN_LEN_MAX + 1, name, n, NULL);
            (*n_out)++;
        }
    }
    return true;
}

/* A list of 16-bit values with a 2-byte length (supported_groups, signature_algorithms), kept up to max. */
static bool parse_u16_list(const uint8_t *p, size_t len, uint16_t *out, uint16_t max, uint16_t *n_out, bool *truncated,
                           const char *what_bad, const char **why)
{
    struct br b = br_init(p, len);
    uint16_t n = br_be16(&b);
    const uint8_t *list = br_take(&b, n);
    if (!list || br_left(&b) != 0 || (n & 1)) {
        *why = what_bad;
        return false;
    }
    struct br l = br_init(list, n);
    while (br_left(&l) > 0) {
        uint16_t v = br_be16(&l);
        if (*n_out < max)
            out[(*n_out)++] = v;
        else
            *truncated = true;
    }
    return true;
}

/* RFC 8422 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>. */
static bool parse_point_formats(struct tls_client_hello *ch, const uint8_t *p, size_t len, const char **why)
{
    struct br b = br_init(p, len);
    uint8_t n = br_u8(&b);
    const uint8_t *list = br_take(&b, n);
    if (!list || br_left(&b) != 0) {
        *why = "ec_point_formats list length does not match its extension";
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        if (ch->n_point_formats < TLS_POINT_FORMATS_MAX)
            ch->point_formats[ch->n_point_formats++] = list[i];
        else
            ch->lists_truncated = true;
    }
    return true;
}

/* One ClientHello extension's contents; false (and *why) when they do not parse. */
static bool client_extension(struct tls_client_hello *ch, uint16_t type, const uint8_t *v, uint16_t n, const char **why)
{
    switch (type) {
    case EXT_SERVER_NAME: ch->has_sni_ext = true; return parse_sni(ch, v, n, why);
    case EXT_ALPN: {
        uint8_t fl[2];
        uint8_t before = ch->n_alpn;
        bool ok = parse_alpn(ch->alpn, TLS_ALPN_MAX, &ch->n_alpn, v, n, why, fl);
        if (before == 0 && ch->n_alpn > 0 && !ch->alpn0_present) {
            ch->alpn0_present = true;
            ch->alpn0_first = fl[0];
            ch->alpn0_last = fl[1];
        }
        return ok;
    }
    case EXT_SUPPORTED_GROUPS:
        return parse_u16_list(v, n, ch->groups, TLS_GROUPS_MAX, &ch->n_groups, &ch->lists_truncated,
                              "supported_groups list length does not match its extension", why);
    case EXT_SIGNATURE_ALGORITHMS:
        return parse_u16_list(v, n, ch->sigalgs, TLS_SIGALGS_MAX, &ch->n_sigalgs, &ch->lists_truncated,
                              "signature_algorithms list length does not match its extension", why);
    case EXT_EC_POINT_FORMATS: return parse_point_formats(ch, v, n, why);
    case EXT_SUPPORTED_VERSIONS: { /* ProtocolVersion versions<2..254> */
        ch->has_versions_ext = true;
        struct br s = br_init(v, n);
        uint8_t vl = br_u8(&s);
        if (s.err || vl != n - 1 || (vl & 1) || vl < 2) {
            *why = "supported_versions list length does not match its extension";
            return false;
        }
        for (unsigned i = 0; i < vl / 2u; i++) {
            uint16_t ver = br_be16(&s);
            if (tls_is_grease(ver))
                continue;
            if (ver > ch->highest_version)
                ch->highest_version = ver;
            if (ch->n_versions < TLS_VERSIONS_MAX)
                ch->versions[ch->n_versions++] = ver;
        }
        return true;
    }
    default: return true;
    }
}

bool tls_parse_client_hello(struct tls_client_hello *ch, const uint8_t *p, size_t len, const char **why)
{
    memset(ch, 0, sizeof(*ch));
    ch->seen = true;
    *why = NULL;
    struct br b = br_init(p, len);
    ch->legacy_version = br_be16(&b);
    br_skip(&b, 32); /* random */
    uint8_t sid_len = br_u8(&b);
    if (!b.err && sid_len > 32) {
        *why = "legacy_session_id longer than 32 bytes";
        return false;
    }
    br_skip(&b, sid_len);
    ch->session_id_len = sid_len;
    uint16_t cs_len = br_be16(&b);
    const uint8_t *cs = br_take(&b, cs_len);
    ch->n_cipher_suites = (uint16_t)(cs_len / 2);
    for (unsigned i = 0; cs && i < cs_len / 2u; i++) {
        if (ch->n_ciphers < TLS_CIPHERS_MAX)
            ch->ciphers[ch->n_ciphers++] = rd_be16(cs + 2 * i);
        else
            ch->lists_truncated = true;
    }
    uint8_t comp_len = br_u8(&b);
    br_skip(&b, comp_len);
    if (b.err) {
        *why = "ClientHello ends inside its fixed fields";
        return false;
    }
    if (cs_len < 2 || (cs_len & 1)) {
        *why = "cipher_suites length is odd or zero";
        return false;
    }
    if (comp_len == 0) {
        *why = "legacy_compression_methods is empty";
        return false;
    }
    if (br_left(&b) == 0) {
        tls_fingerprint_client(ch); /* no extensions (TLS <= 1.2) */
        return true;
    }
    uint16_t ext_len = br_be16(&b);
    const uint8_t *ext = br_take(&b, ext_len);
    if (!ext) {
        *why = "extensions run past the ClientHello";
        return false;
    }
    struct br e = br_init(ext, ext_len);
    bool ok = true;
    while (br_left(&e) > 0) {
        uint16_t type = br_be16(&e);
        uint16_t n = br_be16(&e);
        const uint8_t *v = br_take(&e, n);
        if (!v) {
            *why = "an extension runs past the extensions block";
            return false;
        }
        ch->n_extensions++;
        if (ch->n_exts < TLS_EXTS_MAX)
            ch->exts[ch->n_exts++] = type;
        else
            ch->lists_truncated = true;
        const char *bad = NULL;
        if (!client_extension(ch, type, v, n, &bad) && ok) {
            *why = bad; /* the first malformed extension is the one reported */
            ok = false;
        }
    }
    /* The extension framing held: the lists are what the client sent, even if one extension's contents did
     * not parse (that one contributes its type only, as in Wireshark's JA3). */
    tls_fingerprint_client(ch);
    if (ok && br_left(&b) != 0) {
        *why = "bytes after the extensions block";
        return false;
    }
    return ok;
}

bool tls_parse_server_hello(struct tls_server_hello *sh, const uint8_t *p, size_t len, const char **why)
{
    memset(sh, 0, sizeof(*sh));
    sh->seen = true;
    *why = NULL;
    struct br b = br_init(p, len);
    sh->legacy_version = br_be16(&b);
    const uint8_t *random = br_take(&b, 32);
    if (random && memcmp(random, hrr_random, 32) == 0)
        sh->hrr = true;
    uint8_t sid_len = br_u8(&b);
    if (!b.err && sid_len > 32) {
        *why = "legacy_session_id_echo longer than 32 bytes";
        return false;
    }
    br_skip(&b, sid_len);
    sh->cipher_suite = br_be16(&b);
    br_skip(&b, 1); /* legacy_compression_method */
    if (b.err) {
        *why = "ServerHello ends inside its fixed fields";
        return false;
    }
    if (br_left(&b) == 0) {
        tls_fingerprint_server(sh);
        return true;
    }
    uint16_t ext_len = br_be16(&b);
    const uint8_t *ext = br_take(&b, ext_len);
    if (!ext) {
        *why = "extensions run past the ServerHello";
        return false;
    }
    struct br e = br_init(ext, ext_len);
    bool ok = true;
    while (br_left(&e) > 0) {
        uint16_t type = br_be16(&e);
        uint16_t n = br_be16(&e);
        const uint8_t *v = br_take(&e, n);
        if (!v) {
            *why = "an extension runs past the extensions block";
            return false;
        }
        sh->n_extensions++;
        if (sh->n_exts < TLS_SH_EXTS_MAX)
            sh->exts[sh->n_exts++] = type;
        else
            sh->exts_truncated = true;
        if (type == EXT_SUPPORTED_VERSIONS) { /* ServerHello: selected_version only */
            if (n != 2) {
                *why = "ServerHello supported_versions is not 2 bytes";
                ok = false;
                continue;
            }
            sh->has_selected_version = true;
            sh->selected_version = rd_be16(v);
        } else if (type == EXT_ALPN) { /* exactly one name (RFC 7301 3.1) */
            char one[1][TLS_ALPN_LEN_MAX + 1];
            uint8_t cnt = 0, fl[2];
            if (parse_alpn(one, 1, &cnt, v, n, why, fl) && cnt == 1) {
                sh->has_alpn = true;
                sh->alpn_first = fl[0];
                sh->alpn_last = fl[1];
                memcpy(sh->alpn, one[0], sizeof(sh->alpn));
            } else {
                if (!*why)
                    *why = "ServerHello ALPN does not name one protocol";
                ok = false;
            }
        }
    }
    tls_fingerprint_server(sh);
    if (ok && br_left(&b) != 0) {
        *why = "bytes after the extensions block";
        return false;
    }
    return ok;
}

/* ---- probe ---------------------------------------------------------------------------------- */

/*
 * A plaintext handshake record (type 22, version 3.0-3.4, a length a TLSPlaintext may have, RFC 8446 5.1)
 * whose first message is a ClientHello (to server) or ServerHello (to client) of at least the size of its
 * fixed fields, with a legacy_version of major 3.
 */
enum probe_result tls_probe(const uint8_t *data, size_t len, int dir)
{
    if (len < 1)
        return PROBE_MAYBE;
    if (data[0] != TLS_CT_HANDSHAKE) /* content type */
        return PROBE_NO;
    if (len < 3)
        return PROBE_MAYBE;
    if (data[1] != 3 || data[2] > 4) /* record legacy_version 0x0300-0x0304 */
        return PROBE_NO;
    if (len < 5)
        return PROBE_MAYBE;
    uint16_t rlen = rd_be16(data + 3);
    if (rlen < 4 || rlen > 16384) /* a plaintext fragment is at most 2^14 */
        return PROBE_NO;
    if (len < 6)
        return PROBE_MAYBE;
    uint8_t want = dir == 0 ? TLS_HS_CLIENT_HELLO : TLS_HS_SERVER_HELLO;
    if (data[5] != want) /* handshake msg_type */
        return PROBE_NO;
    if (len < 9)
        return PROBE_MAYBE;
    uint32_t hlen = (uint32_t)data[6] << 16 | (uint32_t)data[7] << 8 | data[8];
    if (hlen < (dir == 0 ? 41u : 38u) || hlen > TLS_HELLO_MAX) /* fixed fields of the hello */
        return PROBE_NO;
    if (len < 10)
        return PROBE_MAYBE;
    if (data[9] != 3) /* hello legacy_version major */
        return PROBE_NO;
    return PROBE_YES;
}

/* ---- state ---------------------------------------------------------------------------------- */

static bool dicom_port(uint16_t port)
{
    /* 2762: DICOM over TLS (PS3.15 B.1); 104, 11112: DICOM (PS3.8); 4242: Orthanc's default */
    return port == 2762 || port == 104 || port == 11112 || port == 4242;
}

static void *tls_state_new(struct app_ctx *ctx)
{
    struct tls_state *st = app_alloc(ctx, sizeof(*st));
    if (!st)
        return NULL;
    if (ctx->flow)
        st->s.dicom_hint = dicom_port(ctx->flow->server_port);
    return st;
}

static void tls_state_free(struct app_ctx *ctx, void *state)
{
    struct tls_state *st = state;
    if (!st)
        return;
    for (int d = 0; d < 2; d++)
        app_free(ctx, st->d[d].hs_buf, st->d[d].hs_cap);
    app_free(ctx, st, sizeof(*st));
}

static void anomaly(struct app_ctx *ctx, struct tls_state *st, int dir, const char *event, const char *detail)
{
    st->s.anomalies++;
    app_anomaly(ctx, dir, event, detail); /* counted there; written once per kind and flow (core/anomaly.h) */
}

static void emit(struct app_ctx *ctx, struct tls_state *st, int dir, enum tls_event_kind kind)
{
    struct tls_event ev = {.kind = kind, .s = &st->s};
    app_emit(ctx, EVENT_TLS, dir, &ev);
}

static void hs_free(struct app_ctx *ctx, struct tls_dir *d)
{
    app_free(ctx, d->hs_buf, d->hs_cap);
    d->hs_buf = NULL;
    d->hs_cap = 0;
}

/* ---- handshake messages --------------------------------------------------------------------- */

static void emit_handshake(struct app_ctx *ctx, struct tls_state *st, int dir)
{
    st->emit_pending = false;
    if (st->s.ch.seen && !st->handshake_emitted) {
        st->handshake_emitted = true;
        emit(ctx, st, dir, TLS_EV_HANDSHAKE);
    }
}

static void on_hello(struct app_ctx *ctx, struct tls_state *st, int dir, const uint8_t *body, uint32_t len)
{
    const char *why = NULL;
    if (dir == 0) {
        if (!tls_parse_client_hello(&st->s.ch, body, len, &why))
            anomaly(ctx, st, dir, "malformed_client_hello", why);
        if (st->s.ch.lists_truncated)
            anomaly(ctx, st, dir, "client_hello_list_too_long", "a ClientHello list is longer than kept: no JA3/JA4");
        return;
    }
    if (!tls_parse_server_hello(&st->s.sh, body, len, &why))
        anomaly(ctx, st, dir, "malformed_server_hello", why);
    if (st->s.sh.hrr) {
        st->s.hello_retry = true; /* the client sends a second ClientHello in clear */
        return;
    }
    if (tls_session_version(&st->s) == 0x0304 || (tls_session_version(&st->s) & 0xff00) == 0x7f00) {
        /* TLS 1.3: everything after the ServerHello is protected (RFC 8446 2), the certificate included */
        st->d[0].encrypted = st->d[1].encrypted = true;
        emit_handshake(ctx, st, dir);
        return;
    }
    st->emit_pending = true;
}

static void on_certificate(struct app_ctx *ctx, struct tls_state *st, const uint8_t *body, uint32_t kept, uint32_t len)
{
    const char *why = NULL;
    if (!tls_parse_certificate(&st->s.cert, body, kept, &why)) {
        if (kept < len)
            anomaly(ctx, st, 1, "certificate_too_large", "first certificate beyond the 64 KiB kept: not decoded");
        else
            anomaly(ctx, st, 1, "malformed_certificate", why);
    }
    if (st->emit_pending)
        emit_handshake(ctx, st, 1);
}

/* Whether to buffer a handshake message of this type in this direction. */
static bool hs_wanted(const struct tls_state *st, int dir, uint8_t type)
{
    if (type == (dir == 0 ? TLS_HS_CLIENT_HELLO : TLS_HS_SERVER_HELLO))
        return true;
    /* the server's first Certificate, once a ServerHello said TLS <= 1.2 (a 1.3 one is never in clear) */
    return dir == 1 && type == TLS_HS_CERTIFICATE && st->s.sh.seen && !st->s.cert.seen && !st->handshake_emitted;
}

static void hs_message_start(struct app_ctx *ctx, struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    d->hs_type = d->hs_hdr[0];
    d->hs_len = (uint32_t)d->hs_hdr[1] << 16 | (uint32_t)d->hs_hdr[2] << 8 | d->hs_hdr[3];
    d->hs_off = 0;
    d->hs_keep = hs_wanted(st, dir, d->hs_type);
    d->hs_keep_len = d->hs_len;
    if (d->hs_keep && d->hs_type == TLS_HS_CERTIFICATE) {
        if (d->hs_keep_len > TLS_CERT_MAX)
            d->hs_keep_len = TLS_CERT_MAX; /* the first certificate is near the start */
    } else if (d->hs_keep && d->hs_len > TLS_HELLO_MAX) {
        anomaly(ctx, st, dir, "hello_too_large", "hello message larger than 64 KiB: not decoded");
        d->hs_keep = false;
    }
    if (!d->hs_keep)
        return;
    uint32_t need = d->hs_keep_len ? d->hs_keep_len : 1;
    if (need > d->hs_cap) {
        hs_free(ctx, d);
        d->hs_buf = app_alloc(ctx, need);
        if (!d->hs_buf) {
            anomaly(ctx, st, dir, "memcap", "no memory for a handshake message");
            d->hs_keep = false;
            return;
        }
        d->hs_cap = need;
    }
}

static void hs_message_end(struct app_ctx *ctx, struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    if (d->hs_keep) {
        if (d->hs_type == TLS_HS_CERTIFICATE)
            on_certificate(ctx, st, d->hs_buf, d->hs_keep_len, d->hs_len);
        else
            on_hello(ctx, st, dir, d->hs_buf, d->hs_len);
        hs_free(ctx, d);
    } else if (dir == 1 && d->hs_type == TLS_HS_SERVER_HELLO_DONE && st->emit_pending) {
        emit_handshake(ctx, st, dir); /* no Certificate (anonymous or PSK key exchange) */
    }
    d->hs_hdr_len = 0;
    d->hs_keep = false;
}

static void hs_bytes(struct app_ctx *ctx, struct tls_state *st, int dir, const uint8_t *p, uint32_t n)
{
    struct tls_dir *d = &st->d[dir];
    while (n > 0 && !d->hs_broken) {
        if (d->hs_hdr_len < 4) {
            uint32_t take = 4u - d->hs_hdr_len < n ? 4u - d->hs_hdr_len : n;
            memcpy(d->hs_hdr + d->hs_hdr_len, p, take);
            d->hs_hdr_len = (uint8_t)(d->hs_hdr_len + take);
            p += take;
            n -= take;
            if (d->hs_hdr_len < 4)
                return;
            hs_message_start(ctx, st, dir);
        } else {
            uint32_t want = d->hs_len - d->hs_off;
            uint32_t take = want < n ? want : n;
            if (d->hs_keep && d->hs_off < d->hs_keep_len) {
                uint32_t room = d->hs_keep_len - d->hs_off;
                memcpy(d->hs_buf + d->hs_off, p, take < room ? take : room);
            }
            d->hs_off += take;
            p += take;
            n -= take;
        }
        if (d->hs_hdr_len == 4 && d->hs_off == d->hs_len)
            hs_message_end(ctx, st, dir);
    }
}

/* ---- records -------------------------------------------------------------------------------- */

static bool record_header(struct app_ctx *ctx, struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    d->ctype = d->hdr[0];
    d->rec_len = rd_be16(d->hdr + 3);
    d->rec_off = 0;
    if (d->ctype < TLS_CT_CHANGE_CIPHER_SPEC || d->ctype > TLS_CT_HEARTBEAT) {
        anomaly(ctx, st, dir, "invalid_record_type", "record content type outside 20-24: direction no longer followed");
        d->dead = true;
        return false;
    }
    if (d->hdr[1] != 3) {
        anomaly(ctx, st, dir, "invalid_record_version", "record version major is not 3: direction no longer followed");
        d->dead = true;
        return false;
    }
    if (d->rec_len > TLS_RECORD_MAX && !d->too_large_reported) {
        d->too_large_reported = true;
        anomaly(ctx, st, dir, "record_too_large", "record longer than 2^14 + 2048 bytes");
    }
    st->s.records[dir]++;
    /* ChangeCipherSpec is never protected (RFC 8446 5, RFC 5246 7.1) */
    bool protected = d->ctype == TLS_CT_APPLICATION_DATA || (d->encrypted && d->ctype != TLS_CT_CHANGE_CIPHER_SPEC);
    if (protected) {
        st->s.encrypted_records[dir]++;
        st->s.encrypted_bytes[dir] += d->rec_len;
    }
    if (d->ctype == TLS_CT_ALERT)
        st->s.alerts[dir]++;
    /* a resumed TLS <= 1.2 session has no Certificate: its hello ends at ChangeCipherSpec */
    if (st->emit_pending && (d->ctype == TLS_CT_CHANGE_CIPHER_SPEC || d->ctype == TLS_CT_APPLICATION_DATA))
        emit_handshake(ctx, st, dir);
    d->in_record = d->rec_len > 0;
    return true;
}

static void record_end(struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    d->in_record = false;
    /* TLS <= 1.2: what follows a ChangeCipherSpec is protected.  (In TLS 1.3 the compatibility
     * ChangeCipherSpec comes after the ServerHello, when encrypted is already set.) */
    if (d->ctype == TLS_CT_CHANGE_CIPHER_SPEC)
        d->encrypted = true;
}

static void tls_on_data(struct app_ctx *ctx, void *state, int dir, const uint8_t *data, size_t len)
{
    struct tls_state *st = state;
    dir = dir ? 1 : 0;
    struct tls_dir *d = &st->d[dir];
    while (len > 0 && !d->dead) {
        if (!d->in_record) {
            size_t take = 5u - d->hdr_len < len ? 5u - d->hdr_len : len;
            memcpy(d->hdr + d->hdr_len, data, take);
            d->hdr_len = (uint8_t)(d->hdr_len + take);
            data += take;
            len -= take;
            if (d->hdr_len < 5)
                return;
            d->hdr_len = 0;
            if (!record_header(ctx, st, dir))
                return;
            if (!d->in_record)
                record_end(st, dir);
            continue;
        }
        uint32_t want = (uint32_t)d->rec_len - d->rec_off;
        uint32_t take = want < len ? want : (uint32_t)len;
        if (d->ctype == TLS_CT_HANDSHAKE && !d->encrypted)
            hs_bytes(ctx, st, dir, data, take);
        d->rec_off = (uint16_t)(d->rec_off + take);
        data += take;
        len -= take;
        if (d->rec_off == d->rec_len)
            record_end(st, dir);
    }
}

static void tls_on_gap(struct app_ctx *ctx, void *state, int dir, uint64_t len)
{
    struct tls_state *st = state;
    dir = dir ? 1 : 0;
    struct tls_dir *d = &st->d[dir];
    if (d->dead)
        return;
    if (d->in_record && len <= (uint64_t)(d->rec_len - d->rec_off)) {
        /* the record framing survives; a handshake message being read does not */
        anomaly(ctx, st, dir, "gap_in_record", "bytes lost inside a record: resuming at the next record");
        if (d->ctype == TLS_CT_HANDSHAKE && !d->encrypted) {
            d->hs_broken = true;
            hs_free(ctx, d);
        }
        d->rec_off = (uint16_t)(d->rec_off + len);
        if (d->rec_off == d->rec_len)
            record_end(st, dir);
        return;
    }
    anomaly(ctx, st, dir, "gap_stream_lost", "bytes lost across record boundaries: direction no longer followed");
    d->dead = true;
    hs_free(ctx, d);
}

static void tls_on_close(struct app_ctx *ctx, void *state)
{
    struct tls_state *st = state;
    for (int dir = 0; dir < 2; dir++) {
        struct tls_dir *d = &st->d[dir];
        if ((d->in_record || d->hdr_len) && !d->dead)
            anomaly(ctx, st, dir, "truncated_record", "connection ended inside a record");
        hs_free(ctx, d);
    }
    if (!st->handshake_emitted && (st->s.ch.seen || st->s.sh.seen)) {
        st->handshake_emitted = true;
        emit(ctx, st, st->s.sh.seen ? 1 : 0, TLS_EV_HANDSHAKE);
    }
    if (st->s.records[0] + st->s.records[1])
        emit(ctx, st, 0, TLS_EV_SUMMARY);
}

static const struct config_key tls_keys[] = {
    CONFIG_KEY_SECTION("app-layer.protocols.tls", "TLS on any port (2762: DICOM over TLS; 636: LDAPS)"),
    APP_PROTO_CONFIG_KEYS(struct tls_cfg, "tls", "443, 2762, 636, 8443"),
};
APP_PROTO_CONFIG_CHECK(struct tls_cfg);

const struct config_module tls_config_module = {
    .name = "tls",
    .keys = tls_keys,
    .n = sizeof(tls_keys) / sizeof(tls_keys[0]),
    .struct_size = sizeof(struct tls_cfg),
};

const struct app_parser tls_parser = {
    .name = "tls",
    .proto = APP_TLS,
    .ipproto = 6,
    .config = &tls_config_module,
    .probe = tls_probe,
    .state_new = tls_state_new,
    .state_free = tls_state_free,
    .on_data = tls_on_data,
    .on_gap = tls_on_gap,
    .on_close = tls_on_close,
};
