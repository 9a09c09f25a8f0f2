/*
 * egress.c - traffic that leaves the hospital where it should not:
 *
 *   §7.23  an imaging node (detect.zones.imaging) opening a TCP or UDP flow to
 *          an address outside detect.zones.internal, not in
 *          detect.allow.egress-hosts (vendor remote service, update servers):
 *          9300230, policy.  Severity 2 for the spec's "especially raw-IP HTTP
 *          on port 80" (TCP/80 to an address no DNS answer named), else 3.
 *          Fed by `flow` events; the DNS name map names the peer in evidence.
 *   §7.18  a DICOM association (A-ASSOCIATE-RQ, on any port: the DICOM probe
 *          decides) between an internal and an external address, either way,
 *          unless one end is in detect.allow.dicom-external (teleradiology,
 *          cloud PACS): 9300180, severity 1.
 *
 * Each (node, peer) pair is reported once per detect.egress.interval
 * (86,400 s): a modality talking to the Internet all day is one alert a day.
 */
#include <stdio.h>
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/str.h"
#include "correlate/dns_name_map.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

struct pair_entry {
    struct dentry e;
    bool reported;
};
_Static_assert(sizeof(struct pair_entry) <= DETECT_PAIR_ENTRY_SIZE, "pair entry too large");

bool detect_first_report(struct detect_ctx *d, const struct ip_addr *a, const struct ip_addr *b, uint32_t sid)
{
    struct dkey k = {.a = *a, .b = *b, .x = sid};
    struct pair_entry *p = dtable_get(d, &d->egress, &k, true);
    if (!p || p->reported)
        return false;
    p->reported = true;
    return true;
}

void det_imaging_egress(struct detect_ctx *d, const struct event *ev)
{
    const struct flow *f = ev->body;
    if (!f || !d->imaging.n || (f->ipproto != 6 && f->ipproto != 17))
        return;
    if (!detect_net_match(&d->imaging, &f->client) || detect_net_match(&d->internal, &f->server))
        return;
    if (detect_net_match(&d->egress_allow, &f->server)) {
        d->stats.allowlisted++;
        return;
    }
    if (!detect_first_report(d, &f->client, &f->server, SID_IMAGING_EGRESS))
        return;
    struct alert_event a;
    alert_init(&a, SID_IMAGING_EGRESS, ev);
    struct dns_name_hit hit;
    bool named =
        d->names && dns_name_map_lookup(d->names, &f->server, d->now_us, &hit) && hit.resolved_us <= f->last_ts_us;
    if (named)
        str_copy_utf8(a.hostname, sizeof(a.hostname), hit.name);
    bool raw_http = f->ipproto == 6 && f->server_port == 80 && !named;
    a.severity = raw_http ? 2 : 3;
    snprintf(a.detail, sizeof(a.detail), "imaging node to the Internet: %s/%u%s%s%s", f->ipproto == 6 ? "tcp" : "udp",
             f->server_port, a.app_proto ? " " : "", a.app_proto ? a.app_proto : "",
             raw_http ? ", raw IP (no DNS answer named it)" : "");
    detect_alert(d, &a, f->first_ts_us);
}

void det_dicom_perimeter(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *de = ev->body;
    const struct flow *f = ev->flow;
    if (!f || de->kind != DICOM_EV_REQUEST || !de->assoc)
        return;
    bool ci = detect_net_match(&d->internal, &f->client), si = detect_net_match(&d->internal, &f->server);
    if (ci == si)
        return;
    if (detect_net_match(&d->dicom_external, ci ? &f->server : &f->client)) {
        d->stats.allowlisted++;
        return;
    }
    if (!detect_first_report(d, &f->client, &f->server, SID_DICOM_PERIMETER))
        return;
    struct alert_event a;
    alert_init(&a, SID_DICOM_PERIMETER, ev);
    snprintf(a.calling_ae, sizeof(a.calling_ae), "%s", de->assoc->calling_ae);
    snprintf(a.called_ae, sizeof(a.called_ae), "%s", de->assoc->called_ae);
    snprintf(a.detail, sizeof(a.detail), "DICOM association %s the Internet",
             ci ? "from the hospital to" : "into the hospital from");
    detect_alert(d, &a, ev->ts_us);
}
