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
 * operating system hint derived from those; and from `hl7` events: whether it
 * sends or receives HL7 messages, the HL7 applications and facilities it speaks
 * as (MSH-3/4 of what it sends, MSH-5/6 of what it is sent) and the message
 * types it sends.  A record that is new or changes
 * is published as an `asset` event; the whole inventory is written to
 * <logdir>/assets.json at exit.  One inventory per worker.
 *
 * Memory: everything is charged to one budget, `assets.memcap`.  A host costs
 * what it has shown: a small core record (address, MAC, times, links) that
 * never moves once allocated; a DICOM block and an SMB block allocated the
 * first time the host shows such a fact; and lists that grow with what they
 * hold (2, 4, 8 ... items up to each list's bound).  Records are found through
 * a hash index by address (per-table random seed) and kept in a list by last
 * seen: when the budget is full, the least recently seen host is evicted
 * (counted in stats.assets.evicted) to make room; if it comes back it is a new
 * record.  The hosts of the event being handled are never the ones evicted.
 */
#ifndef MEDSENTRY_ASSETS_ASSETS_H
#define MEDSENTRY_ASSETS_ASSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/event.h"
#include "core/json.h"
#include "core/memcap.h"

struct stats;

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
/* HL7 facts */
#define ASSET_MAX_HL7_NAMES 8  /* applications; facilities */
#define ASSET_HL7_NAME_LEN  48 /* an HD's namespace id is 20 characters; universal ids are cut here */
#define ASSET_MAX_HL7_TYPES 16 /* message types sent */
#define ASSET_HL7_TYPE_LEN  16 /* code^trigger event: "ORU^R01" */

/* Sizing assets.memcap (its default, 64mb, is in the key table in assets.c).  A host costs (x86-64, docs/DESIGN.md
 * "Assets") 112 bytes of core record plus 8 to 16 of hash index; one seen in DICOM adds its DICOM block and lists
 * (about 0.4 KB for a first association, 5.3 KB with every list full), one seen in SMB its SMB block and lists (about
 * 0.4 KB for a first connection, 3.3 KB full). 64 MiB holds 65,536 hosts with a first association and a first SMB
 * connection each (~890 bytes), ~550,000 bare records. */

struct asset_cfg {
    uint64_t memcap; /* assets.memcap: bytes for records, their facts and the hash index */
};

/* assets.*: the key table is in assets.c. */
extern const struct config_module asset_config_module;
void asset_cfg_defaults(struct asset_cfg *cfg);

/* A bounded list of fixed-width items (strings of width bytes, addresses, versions) whose storage grows with what it
 * holds: 2, 4, 8 ... items, up to max, charged to the inventory's memcap. */
struct asset_list {
    void *items;
    uint8_t n, cap; /* items held, items allocated */
    uint8_t max;    /* the list's bound */
    uint8_t width;  /* bytes per item */
};

static inline const char *asset_list_str(const struct asset_list *l, unsigned i)
{
    return (const char *)l->items + (size_t)i * l->width;
}

/* Where the OS hint came from, weakest first: a stronger source replaces a weaker one's hint, never the reverse,
 * and the first hint of a source stays (so two hosts behind one address cannot make the record flap). */
enum asset_os_source { ASSET_OS_NONE = 0, ASSET_OS_SRVSVC, ASSET_OS_NTLMSSP, ASSET_OS_SMB_NATIVE };

struct asset_ntlm_version {
    uint8_t major, minor, revision;
    uint16_t build;
};

/* What DICOM traffic showed of a host; allocated with its first DICOM event. */
struct asset_dicom {
    bool scu, scp;
    struct asset_list ae_calling; /* char[ASSET_AE_LEN]: AE titles it called from */
    struct asset_list ae_called;  /* char[ASSET_AE_LEN]: AE titles it answered to (accepted) */
    char impl_class_uid[ASSET_UID_LEN];
    char impl_version[ASSET_AE_LEN];
    const char *software;
    struct asset_list sop_sent, sop_received; /* char[ASSET_UID_LEN] */
    struct asset_list modalities;             /* char[ASSET_AE_LEN] */
    struct asset_list peers;                  /* struct ip_addr: addresses it spoke DICOM with */
};

/* What SMB traffic (and DCE/RPC srvsvc answers) showed of a host; allocated with its first such event. */
struct asset_smb {
    bool seen;             /* in SMB traffic (a srvsvc answer over TCP alone does not set it) */
    bool client, server;   /* sent requests / answered them */
    bool smb1;             /* exchanged SMB1 messages (negotiated an SMB1 dialect) */
    bool smb1_offered;     /* offered an SMB1 dialect in a NEGOTIATE it sent */
    char os[ASSET_OS_LEN]; /* OS hint, "" if none */
    enum asset_os_source os_source;
    struct asset_list hostnames;     /* char[ASSET_NAME_LEN]: NTLMSSP Workstation names, srvsvc server name */
    struct asset_list dialects;      /* char[ASSET_DIALECT_LEN]: negotiated (either role) */
    struct asset_list offered;       /* char[ASSET_DIALECT_LEN]: offered (as client) */
    struct asset_list native_os;     /* char[ASSET_NATIVE_LEN]: SMB1 SESSION_SETUP_ANDX strings it sent */
    struct asset_list native_lm;     /* char[ASSET_NATIVE_LEN] */
    struct asset_list ntlm_versions; /* struct asset_ntlm_version of the AUTHENTICATE messages it sent */
    struct asset_list domains;       /* char[ASSET_NAME_LEN]: NTLMSSP AUTHENTICATE DomainName (logon domains) */
    struct asset_list shares;        /* char[ASSET_SHARE_LEN]: shares it served, without the \\server\ part */
};

/* What HL7 traffic showed of a host; allocated with its first `hl7` event.  Only MSH fields: never patient data. */
struct asset_hl7 {
    bool sender, receiver; /* sent / was sent messages other than acknowledgments */
    struct asset_list
        applications;             /* char[ASSET_HL7_NAME_LEN]: MSH-3 of messages it sent, MSH-5 of those it was sent */
    struct asset_list facilities; /* char[ASSET_HL7_NAME_LEN]: MSH-4 / MSH-6 likewise */
    struct asset_list message_types; /* char[ASSET_HL7_TYPE_LEN]: code^trigger of the messages it sent (not ACKs) */
};

/* One host.  Allocated once and never moved, so a pointer to it stays valid until it is evicted. */
struct asset {
    struct ip_addr ip;
    bool has_mac;
    uint8_t mac[6];
    uint32_t changes; /* times it changed after first seen */
    uint64_t first_us, last_us;
    struct asset_dicom *dicom;         /* NULL until a DICOM fact */
    struct asset_smb *smb;             /* NULL until an SMB (or srvsvc) fact */
    struct asset_hl7 *hl7;             /* NULL until an HL7 message */
    struct asset *hnext;               /* hash chain */
    struct asset *lru_prev, *lru_next; /* by last seen, most recent first */
    struct asset *prev, *next;         /* by creation: the order of assets.json */
};

/* EVENT_ASSET body. */
struct asset_event {
    const struct asset *asset;
    const char *change; /* "new" or "changed" */
};

struct asset_inventory {
    struct memcap mc; /* assets.memcap */
    struct asset **buckets;
    uint32_t mask; /* buckets - 1 (a power of two) */
    uint64_t hash_seed;
    size_t n;                          /* records held */
    struct asset *first, *last;        /* by creation */
    struct asset *lru_head, *lru_tail; /* most / least recently seen */
    const struct asset *pin[2];        /* the hosts of the event being handled: never evicted for it */
    struct stats *stats;               /* stats.assets_hosts, assets_evicted */
    const struct event_bus *bus;       /* where asset events go */
};

/* Subscribe to bus for `dicom`, `smb`, `dcerpc` and `hl7` events and publish `asset` events on it; counters go to
 * stats. 0, or -1 with one sentence in err (the bus is full, or the memcap cannot hold the hash index). */
int asset_inventory_init(struct asset_inventory *inv, const struct asset_cfg *cfg, struct event_bus *bus,
                         struct stats *stats, char *err, size_t errlen);
void asset_inventory_free(struct asset_inventory *inv);
/* The event bus subscriber (exposed for tests). */
void asset_on_event(void *user, const struct event *ev);
/* The record of ip, or NULL.  Does not count as seeing the host. */
const struct asset *asset_find(const struct asset_inventory *inv, const struct ip_addr *ip);
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
