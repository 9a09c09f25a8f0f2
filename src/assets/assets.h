/*
 * assets.h - the passive imaging asset inventory.
 *
 * One record per IP address (and MAC where the link layer shows a real one),
 * built from `dicom` events: first/last seen, the AE titles a host calls
 * from and answers to, its roles (SCU, SCP), the implementation class UID and
 * version name it announces and the software they identify, the SOP classes
 * it sends and receives, the modality its stored SOP classes imply, and its
 * peers; and from `smb` events: its SMB role, the dialects it offered and
 * negotiated (SMB1 flagged), the SMB1 NativeOS/NativeLanMan strings it sent,
 * the NTLMSSP VERSION, workstation name and logon domain of its
 * AUTHENTICATE messages (never the user name), the shares it served, and an
 * operating system hint derived from those.  A record that is new or changes
 * is published as an `asset` event; the whole inventory is written to
 * <logdir>/assets.json at exit.  One inventory per worker; bounded
 * (ASSET_MAX records, fixed-size lists and strings).
 */
#ifndef MEDSENTRY_ASSETS_ASSETS_H
#define MEDSENTRY_ASSETS_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/event.h"
#include "core/json.h"

#define ASSET_MAX            4096
#define ASSET_MAX_AE         8
#define ASSET_MAX_SOP        32
#define ASSET_MAX_MODALITIES 8
#define ASSET_MAX_PEERS      32
#define ASSET_AE_LEN         17
#define ASSET_UID_LEN        65
/* SMB facts */
#define ASSET_OS_LEN        96 /* the OS hint */
#define ASSET_MAX_NAMES     4  /* NTLMSSP workstation names; logon domains */
#define ASSET_NAME_LEN      64 /* NetBIOS names are 15 bytes; a DNS name is cut here */
#define ASSET_MAX_NATIVE    4  /* distinct SMB1 NativeOS / NativeLanMan strings */
#define ASSET_NATIVE_LEN    64 /* = SMB_NATIVE_MAX: what the SMB parser keeps */
#define ASSET_MAX_DIALECTS  16 /* = SMB_MAX_DIALECTS */
#define ASSET_DIALECT_LEN   32 /* the longest SMB1 dialect string, "Windows for Workgroups 3.1a", is 27 */
#define ASSET_MAX_NTLM_VERS 4
#define ASSET_MAX_SHARES    16
#define ASSET_SHARE_LEN     64

/* Where the OS hint came from, weakest first: a stronger source replaces a weaker one's hint, never the reverse,
 * and the first hint of a source stays (so two hosts behind one address cannot make the record flap). */
/* Where the os hint came from, weakest first: a later source replaces an earlier one only if it ranks higher. */
enum asset_os_source { ASSET_OS_NONE = 0, ASSET_OS_SRVSVC, ASSET_OS_NTLMSSP, ASSET_OS_SMB_NATIVE };

struct asset_ntlm_version {
    uint8_t major, minor, revision;
    uint16_t build;
};

/* What SMB traffic showed of a host. */
struct asset_smb {
    bool seen;
    bool client, server;           /* sent requests / answered them */
    bool smb1;                     /* exchanged SMB1 messages (negotiated an SMB1 dialect) */
    bool smb1_offered;             /* offered an SMB1 dialect in a NEGOTIATE it sent */
    uint8_t n_dialects, n_offered; /* negotiated (either role) / offered (as client) */
    char dialects[ASSET_MAX_DIALECTS][ASSET_DIALECT_LEN];
    char offered[ASSET_MAX_DIALECTS][ASSET_DIALECT_LEN];
    uint8_t n_native_os, n_native_lm; /* SMB1 SESSION_SETUP_ANDX strings it sent */
    char native_os[ASSET_MAX_NATIVE][ASSET_NATIVE_LEN];
    char native_lm[ASSET_MAX_NATIVE][ASSET_NATIVE_LEN];
    uint8_t n_ntlm_versions; /* NTLMSSP VERSION of the AUTHENTICATE messages it sent */
    struct asset_ntlm_version ntlm_versions[ASSET_MAX_NTLM_VERS];
    uint8_t n_domains; /* NTLMSSP AUTHENTICATE DomainName (logon domains) */
    char domains[ASSET_MAX_NAMES][ASSET_NAME_LEN];
    uint8_t n_shares; /* shares it served (successful tree connects to it), without the \\server\ part */
    char shares[ASSET_MAX_SHARES][ASSET_SHARE_LEN];
};

struct asset {
    struct ip_addr ip;
    bool has_mac;
    uint8_t mac[6];
    uint64_t first_us, last_us;
    uint8_t n_ae_calling, n_ae_called;
    char ae_calling[ASSET_MAX_AE][ASSET_AE_LEN]; /* AE titles it called from */
    char ae_called[ASSET_MAX_AE][ASSET_AE_LEN];  /* AE titles it answered to (accepted) */
    bool scu, scp;
    char impl_class_uid[ASSET_UID_LEN];
    char impl_version[ASSET_AE_LEN];
    const char *software;
    uint8_t n_sop_sent, n_sop_received;
    char sop_sent[ASSET_MAX_SOP][ASSET_UID_LEN];
    char sop_received[ASSET_MAX_SOP][ASSET_UID_LEN];
    uint8_t n_modalities;
    char modalities[ASSET_MAX_MODALITIES][ASSET_AE_LEN];
    uint8_t n_peers;
    struct ip_addr peers[ASSET_MAX_PEERS];
    /* host facts from SMB */
    char os[ASSET_OS_LEN]; /* OS hint, "" if none */
    enum asset_os_source os_source;
    uint8_t n_hostnames; /* NTLMSSP AUTHENTICATE Workstation names it sent */
    char hostnames[ASSET_MAX_NAMES][ASSET_NAME_LEN];
    struct asset_smb smb;
    uint32_t changes; /* times it changed after first seen */
};

/* EVENT_ASSET body. */
struct asset_event {
    const struct asset *asset;
    const char *change; /* "new" or "changed" */
};

struct asset_inventory {
    struct asset *assets;
    size_t n, cap;
    uint64_t dropped;            /* records refused at ASSET_MAX */
    const struct event_bus *bus; /* where asset events go */
};

/* Subscribe to bus for `dicom` and `smb` events and publish `asset` events on it.  0, or -1 if the bus is full. */
int asset_inventory_init(struct asset_inventory *inv, struct event_bus *bus);
void asset_inventory_free(struct asset_inventory *inv);
/* The event bus subscriber (exposed for tests). */
void asset_on_event(void *user, const struct event *ev);
/* Write every record as a JSON array to path.  0, or -1 with one sentence in err. */
int asset_inventory_write(const struct asset_inventory *inv, const char *path, char *err, size_t errlen);

/* Members of one asset's JSON object (used by the file and by the EVE writer). */
void asset_json(struct jw *w, const struct asset *a);

/* Software an implementation class UID / version name identifies ("DCMTK", "pynetdicom", ...), or NULL. */
const char *asset_impl_software(const char *impl_class_uid, const char *impl_version);

/* OS hints (os_hint.c).  Each writes a hint into out (cap bytes) and returns true only when the source is
 * unambiguous; false (out "") otherwise.
 * From SMB1 NativeOS / NativeLanMan: "Windows 5.1" -> "Windows XP", Samba -> "Unix (Samba 4.17.12-Debian)",
 * descriptive Windows / Mac OS X strings as they are. */
bool asset_os_from_native(const char *native_os, const char *native_lm, char *out, size_t cap);
/* From an NTLMSSP VERSION [MS-NLMP 2.2.2.10]: 6.1 build 7601 -> "Windows 7 / Server 2008 R2 (build 7601)".
 * Only Windows's own form counts: NTLMRevisionCurrent 15 and a non-zero build (Samba sends 6.1 build 0, Apple
 * 6.1 build 7600 revision 0). */
bool asset_os_from_ntlm(uint8_t major, uint8_t minor, uint16_t build, uint8_t revision, char *out, size_t cap);
/* The server's own NetrServerGetInfo answer [MS-SRVS 2.2.4.41]: platform 500 (NT) without SV_TYPE_SERVER_UNIX is
 * Windows major.minor; SV_TYPE_SERVER_UNIX (Samba sets it) is "Unix".  False if neither. */
bool asset_os_from_srvsvc(uint32_t platform_id, uint32_t major, uint32_t minor, uint32_t server_type, char *out,
                          size_t cap);

#endif
