/*
 * cmove_rogue.c - KWAMPIRS.md §7.17: C-MOVE to a destination that is not the
 * requester.
 *
 * A C-MOVE makes the SCP open a new association to the Move Destination AE
 * and push the images there ("SSRF-like", S19 §5.4).  Normally a workstation
 * moves studies to itself.
 *  - 9300170: a completed C-MOVE whose Move Destination differs from the
 *    requester's own Calling AE title, unless the requester is in
 *    detect.allow.dicom-move-requesters (RIS prefetch, routing engines) or
 *    (destination AE, requester address) is in detect.allow.dicom-ae.
 *  - 9300171: the SCP's sub-association is seen: within
 *    detect.dicom.cmove-window of the request, the SCP's own address sent an
 *    A-ASSOCIATE-RQ with the Move Destination as Called AE to an address other
 *    than the requester's.  This names the third host the images went to and
 *    replaces 9300170.  Severity 1.
 * Recent A-ASSOCIATE-RQs are kept per (caller, called AE) for the window so
 * the sub-association (which completes before the C-MOVE response that ends
 * the operation) can be found.
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define CMD_C_MOVE_RQ 0x0021

struct assoc_entry {
    struct dentry e;
    struct ip_addr dst;
    uint64_t ts, flow_id;
};
_Static_assert(sizeof(struct assoc_entry) <= DETECT_ENTRY_SIZE, "assoc entry too large");

void det_cmove_rogue(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    if (!ev->flow)
        return;
    const struct dicom_assoc *as = e->assoc;
    if (e->kind == DICOM_EV_REQUEST) {
        struct dkey k = {.a = ev->flow->client, .x = dkey_str(&d->assoc, as->called_ae)};
        struct assoc_entry *r = dtable_get(d, &d->assoc, &k, true);
        if (r) {
            r->dst = ev->flow->server;
            r->ts = ev->ts_us;
            r->flow_id = ev->flow->flow_id;
        }
        return;
    }
    if (e->kind != DICOM_EV_DIMSE || !e->op || !e->op->has_rq || e->op->rq.command_field != CMD_C_MOVE_RQ)
        return;
    const char *dest = e->op->rq.move_destination;
    if (!dest[0] || detect_net_match(&d->move_requesters, &ev->flow->client))
        return;
    const uint64_t window = (uint64_t)d->cfg.cmove_window * 1000000;
    struct dkey k = {.a = ev->flow->server, .x = dkey_str(&d->assoc, dest)};
    const struct assoc_entry *sub = dtable_get(d, &d->assoc, &k, false);
    bool third = sub && sub->ts + window >= e->op->rq_ts_us && sub->ts <= ev->ts_us + window &&
                 !ip_addr_eq(&sub->dst, &ev->flow->client);
    bool other_ae = strcmp(dest, as->calling_ae) != 0 && !detect_ae_known(d, dest, &ev->flow->client);
    if (!third && !other_ae)
        return;
    struct alert_event a;
    alert_init(&a, third ? SID_CMOVE_FOLLOWED : SID_CMOVE_THIRD, ev);
    str_copy_utf8(a.calling_ae, sizeof(a.calling_ae), as->calling_ae);
    str_copy_utf8(a.called_ae, sizeof(a.called_ae), as->called_ae);
    str_copy_utf8(a.move_destination, sizeof(a.move_destination), dest);
    a.first_us = e->op->rq_ts_us;
    a.count = e->op->rsp.has_completed ? e->op->rsp.completed : 0;
    if (third) {
        alert_add_host(&a, &sub->dst);
        alert_add_flow(&a, sub->flow_id);
        str_copy_utf8(a.detail, sizeof(a.detail),
                      detect_net_match(&d->internal, &sub->dst)
                          ? "the SCP sent the images to a third host"
                          : "the SCP sent the images to a host outside detect.zones.internal");
    } else {
        str_copy_utf8(a.detail, sizeof(a.detail), "move destination is not the requester's AE title");
    }
    detect_alert(d, &a, ev->ts_us);
}
