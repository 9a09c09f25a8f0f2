/*
 * recon_burst.c - KWAMPIRS.md §7.9 [INFERENCE]: a reconnaissance burst.
 *
 * Kwampirs runs `net view`, `net share`, `net users`, `net localgroup /domain`
 * (§2.3, S2); on the wire these become srvsvc share/session enumeration, samr
 * user/group enumeration and lsarpc policy queries.  One kind alone is routine:
 * Samba's `net rpc` opens every command with an lsarpc policy query, and PsExec
 * enumerates shares.  At least detect.recon.kinds different kinds from one
 * source within detect.recon.window is reported, naming the hosts queried.
 * The per-asset baseline that §7.9 asks for (an imaging node that normally
 * speaks only DICOM) is not built yet; sources in detect.zones.imaging are
 * flagged in the evidence.
 */
#include <stdio.h>
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

enum { RECON_SHARES = 0, RECON_USERS, RECON_POLICY, RECON__COUNT };
static const char *const recon_names[RECON__COUNT] = {"srvsvc enumeration", "samr enumeration", "lsarpc policy query"};

struct recon_entry {
    struct dentry e;
    bool fired;
    uint64_t fired_us;
    uint64_t last[RECON__COUNT];
    uint64_t flow[RECON__COUNT];
    struct ip_addr host[RECON__COUNT];
};
_Static_assert(sizeof(struct recon_entry) <= DETECT_ENTRY_SIZE, "recon entry too large");

/* Opnums: MS-SRVS 3.1.4 (8 NetrConnectionEnum, 9 NetrFileEnum, 12 NetrSessionEnum, 15 NetrShareEnum,
 * 36 NetrShareEnumSticky); MS-SAMR 3.1.5 (6 SamrEnumerateDomainsInSamServer, 11 ..GroupsInDomain,
 * 13 ..UsersInDomain, 15 ..AliasesInDomain, 40/48/51 SamrQueryDisplayInformation[2,3]); MS-LSAD 3.1.4
 * (7 LsarQueryInformationPolicy, 11 LsarEnumerateAccounts, 46 LsarQueryInformationPolicy2). */
static int recon_kind(const char *iface, uint16_t op)
{
    if (strcmp(iface, "srvsvc") == 0)
        return (op == 8 || op == 9 || op == 12 || op == 15 || op == 36) ? RECON_SHARES : -1;
    if (strcmp(iface, "samr") == 0)
        return (op == 6 || op == 11 || op == 13 || op == 15 || op == 40 || op == 48 || op == 51) ? RECON_USERS : -1;
    if (strcmp(iface, "lsarpc") == 0)
        return (op == 7 || op == 11 || op == 46) ? RECON_POLICY : -1;
    return -1;
}

void det_recon_burst(struct detect_ctx *d, const struct event *ev)
{
    const struct dcerpc_event *e = ev->body;
    if (!ev->flow || e->ptype != DCERPC_REQUEST || !e->iface_name)
        return;
    int kind = recon_kind(e->iface_name, e->opnum);
    if (kind < 0)
        return;
    const uint64_t window = (uint64_t)d->cfg.recon_window * 1000000;
    struct dkey k = {.a = ev->flow->client};
    struct recon_entry *r = dtable_get(d, &d->recon, &k, true);
    if (!r)
        return;
    r->last[kind] = ev->ts_us;
    r->flow[kind] = ev->flow->flow_id;
    r->host[kind] = ev->flow->server;
    if (r->fired && ev->ts_us > r->fired_us + window)
        r->fired = false;
    uint32_t kinds = 0;
    for (int i = 0; i < RECON__COUNT; i++)
        if (r->last[i] && r->last[i] + window >= ev->ts_us)
            kinds++;
    if (r->fired || kinds < d->cfg.recon_kinds)
        return;
    r->fired = true;
    r->fired_us = ev->ts_us;
    struct alert_event a;
    alert_init(&a, SID_RECON_BURST, ev);
    a.count = kinds;
    a.threshold = d->cfg.recon_kinds;
    a.window_s = d->cfg.recon_window;
    size_t off = 0;
    for (int i = 0; i < RECON__COUNT; i++)
        if (r->last[i] && r->last[i] + window >= ev->ts_us) {
            alert_add_host(&a, &r->host[i]);
            alert_add_flow(&a, r->flow[i]);
            int w = snprintf(a.detail + off, sizeof(a.detail) - off, "%s%s", off ? ", " : "", recon_names[i]);
            if (w > 0 && (size_t)w < sizeof(a.detail) - off)
                off += (size_t)w;
        }
    if (detect_net_match(&d->imaging, &ev->flow->client) && off + 32 < sizeof(a.detail))
        snprintf(a.detail + off, sizeof(a.detail) - off, " (source in detect.zones.imaging)");
    detect_alert(d, &a, ev->ts_us);
}
