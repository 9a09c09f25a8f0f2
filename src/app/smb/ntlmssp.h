/*
 * ntlmssp.h - NTLMSSP messages inside SMB session setup security blobs [MS-NLMP].
 *
 * Only identities are kept: domain, user, workstation and the OS version.  The
 * LM/NT challenge responses, the session key and the MIC are never copied out
 * (they are password-equivalent material); only their lengths are looked at,
 * to tell an anonymous logon from a real one.
 */
#ifndef MEDSENTRY_APP_SMB_NTLMSSP_H
#define MEDSENTRY_APP_SMB_NTLMSSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTLMSSP_NAME_MAX 128

enum ntlmssp_type { NTLMSSP_NEGOTIATE = 1, NTLMSSP_CHALLENGE = 2, NTLMSSP_AUTH = 3 };

struct ntlmssp_info {
    uint32_t type;                 /* enum ntlmssp_type */
    uint32_t flags;                /* NegotiateFlags */
    char domain[NTLMSSP_NAME_MAX]; /* AUTH: DomainName; CHALLENGE: TargetName */
    char user[NTLMSSP_NAME_MAX];   /* AUTH only */
    char host[NTLMSSP_NAME_MAX];   /* AUTH: Workstation */
    bool has_version;
    uint8_t ver_major, ver_minor;
    uint16_t ver_build;
    uint8_t ver_revision; /* NTLMRevisionCurrent (15 = NTLMSSP_REVISION_W2K3) */
    bool anonymous;       /* AUTH with empty user and no NT response */
};

/* Parses one NTLMSSP message starting at its "NTLMSSP\0" signature (n bytes available).
 * 0 on success, -1 if malformed (out holds what was read before the error). */
int ntlmssp_parse(const uint8_t *p, size_t n, struct ntlmssp_info *out);

/* Finds the NTLMSSP signature inside a GSS-API/SPNEGO blob (bounded scan); NULL if absent.
 * *left receives the bytes available from the returned pointer. */
const uint8_t *ntlmssp_find(const uint8_t *blob, size_t n, size_t *left);

/* True if the blob names a Kerberos mechanism (RFC 4121 or the MS variant OID) and carries no NTLMSSP. */
bool gss_is_kerberos(const uint8_t *blob, size_t n);

#endif
