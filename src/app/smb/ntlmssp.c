/*
 * ntlmssp.c - NTLMSSP NEGOTIATE / CHALLENGE / AUTHENTICATE [MS-NLMP 2.2.1].
 *
 *   AUTHENTICATE_MESSAGE (offsets from the signature):
 *     0  Signature "NTLMSSP\0"          8
 *     8  MessageType = 3                4
 *    12  LmChallengeResponseFields      8   (len u16, maxlen u16, offset u32)
 *    20  NtChallengeResponseFields      8
 *    28  DomainNameFields               8
 *    36  UserNameFields                 8
 *    44  WorkstationFields              8
 *    52  EncryptedRandomSessionKeyFields 8
 *    60  NegotiateFlags                 4
 *    64  Version (if NEGOTIATE_VERSION) 8   (major u8, minor u8, build u16, reserved 3, revision u8)
 *   CHALLENGE_MESSAGE: 12 TargetNameFields, 20 NegotiateFlags, 24 ServerChallenge, 40 TargetInfoFields, 48 Version.
 *   NEGOTIATE_MESSAGE: 12 NegotiateFlags, 16 DomainNameFields, 24 WorkstationFields, 32 Version.
 * Payload offsets are relative to the signature.  Strings are UTF-16LE when
 * NTLMSSP_NEGOTIATE_UNICODE (0x1) is set, OEM otherwise.
 */
#include "app/smb/ntlmssp.h"

#include <string.h>

#include "app/smb/utf16.h"
#include "core/bytes.h"

#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define NTLMSSP_NEGOTIATE_VERSION 0x02000000u

static const uint8_t ntlmssp_sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

/* Reads the (len, maxlen, offset) triple at off and copies the string it points to. */
static int ntlmssp_field_str(const uint8_t *p, size_t n, size_t off, bool unicode, char *out, size_t cap)
{
    out[0] = '\0';
    if (off + 8 > n)
        return -1;
    uint16_t len = rd_le16(p + off);
    uint32_t where = rd_le32(p + off + 4);
    if (len == 0)
        return 0;
    if (where > n || len > n - where)
        return -1;
    if (unicode)
        utf16le_to_utf8(p + where, len, out, cap, NULL);
    else
        ascii_copy(p + where, len, out, cap);
    return 0;
}

static void ntlmssp_version(const uint8_t *p, size_t n, size_t off, struct ntlmssp_info *out)
{
    if (!(out->flags & NTLMSSP_NEGOTIATE_VERSION) || off + 8 > n)
        return;
    out->has_version = true;
    out->ver_major = p[off];
    out->ver_minor = p[off + 1];
    out->ver_build = rd_le16(p + off + 2);
    out->ver_revision = p[off + 7];
}

int ntlmssp_parse(const uint8_t *p, size_t n, struct ntlmssp_info *out)
{
    memset(out, 0, sizeof(*out));
    if (n < 12 || memcmp(p, ntlmssp_sig, 8) != 0)
        return -1;
    out->type = rd_le32(p + 8);
    switch (out->type) {
    case NTLMSSP_NEGOTIATE:
        if (n < 16)
            return -1;
        out->flags = rd_le32(p + 12);
        /* the negotiate message's supplied domain/workstation are always OEM */
        if (n >= 32) {
            ntlmssp_field_str(p, n, 16, false, out->domain, sizeof(out->domain));
            ntlmssp_field_str(p, n, 24, false, out->host, sizeof(out->host));
        }
        ntlmssp_version(p, n, 32, out);
        return 0;
    case NTLMSSP_CHALLENGE: {
        if (n < 24)
            return -1;
        out->flags = rd_le32(p + 20);
        bool uni = out->flags & NTLMSSP_NEGOTIATE_UNICODE;
        if (ntlmssp_field_str(p, n, 12, uni, out->domain, sizeof(out->domain)) < 0)
            return -1;
        ntlmssp_version(p, n, 48, out);
        return 0;
    }
    case NTLMSSP_AUTH: {
        if (n < 64)
            return -1;
        out->flags = rd_le32(p + 60);
        bool uni = out->flags & NTLMSSP_NEGOTIATE_UNICODE;
        uint16_t nt_len = rd_le16(p + 20);
        int rc = 0;
        rc |= ntlmssp_field_str(p, n, 28, uni, out->domain, sizeof(out->domain));
        rc |= ntlmssp_field_str(p, n, 36, uni, out->user, sizeof(out->user));
        rc |= ntlmssp_field_str(p, n, 44, uni, out->host, sizeof(out->host));
        ntlmssp_version(p, n, 64, out);
        out->anonymous = out->user[0] == '\0' && nt_len == 0;
        return rc < 0 ? -1 : 0;
    }
    default: return -1;
    }
}

/* Bound on how far into a security blob we look for the signature. */
#define NTLMSSP_SCAN_MAX 4096

const uint8_t *ntlmssp_find(const uint8_t *blob, size_t n, size_t *left)
{
    size_t lim = n < NTLMSSP_SCAN_MAX ? n : NTLMSSP_SCAN_MAX;
    for (size_t i = 0; i + 8 <= lim; i++) {
        if (blob[i] == 'N' && memcmp(blob + i, ntlmssp_sig, 8) == 0) {
            *left = n - i;
            return blob + i;
        }
    }
    *left = 0;
    return NULL;
}

bool gss_is_kerberos(const uint8_t *blob, size_t n)
{
    /* DER OID 1.2.840.113554.1.2.2 (krb5) and 1.2.840.48018.1.2.2 (MS krb5) */
    static const uint8_t krb5[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t mskrb5[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
    size_t left;
    size_t lim = n < NTLMSSP_SCAN_MAX ? n : NTLMSSP_SCAN_MAX;
    bool krb = false;
    for (size_t i = 0; i + sizeof(krb5) <= lim && !krb; i++)
        if (blob[i] == 0x06 &&
            (memcmp(blob + i, krb5, sizeof(krb5)) == 0 || memcmp(blob + i, mskrb5, sizeof(mskrb5)) == 0))
            krb = true;
    /* a krb5 OID listed in a NegTokenInit next to NTLMSSP does not make it Kerberos: look for an AP-REQ token */
    if (!krb || ntlmssp_find(blob, n, &left))
        return false;
    /* the krb5 mech token starts with the OID followed by TOK_ID 01 00 (AP-REQ) */
    for (size_t i = 0; i + sizeof(krb5) + 2 <= lim; i++)
        if (blob[i] == 0x06 &&
            (memcmp(blob + i, krb5, sizeof(krb5)) == 0 || memcmp(blob + i, mskrb5, sizeof(mskrb5)) == 0) &&
            blob[i + sizeof(krb5)] == 0x01 && blob[i + sizeof(krb5) + 1] == 0x00)
            return true;
    return false;
}
