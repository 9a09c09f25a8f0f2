/*
 * service_identity.c - KWAMPIRS.md §7.7: a service control request naming a
 * service on an indicator list.
 *
 * Kwampirs persists as service WmiApSrvEx, display name "WMI Performance
 * Adapter Extension", binary path containing "ControlTrace -Embedding -k"
 * (P5, P6; S2, S3, S12).  These are `service` and `service-path` entries of
 * rules/kwampirs.txt, so a team can add others.  Any svcctl request is
 * checked: the name of a create, and the name an open/start/delete acts on
 * (the DCE/RPC layer resolves it from the handle).  The real Windows service
 * is wmiApSrv / "WMI Performance Adapter": names match exactly (case aside),
 * never by prefix.  Blind under SMB3 encryption.
 */
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

void det_service_identity(struct detect_ctx *d, const struct event *ev)
{
    const struct dcerpc_event *e = ev->body;
    if (!ev->flow || e->ptype != DCERPC_REQUEST || !e->svcctl || !e->svcctl->present)
        return;
    const struct dcerpc_svcctl *s = e->svcctl;
    const struct ioc_entry *hit = rules_match(&d->rules, IOC_SERVICE, s->service_name);
    enum ioc_type type = IOC_SERVICE;
    if (!hit)
        hit = rules_match(&d->rules, IOC_SERVICE, s->display_name);
    if (!hit && (hit = rules_match_path(&d->rules, s->binary_path)) != NULL)
        type = IOC_SERVICE_PATH;
    if (!hit)
        return;
    struct alert_event a;
    alert_init(&a, SID_SERVICE_IDENTITY, ev);
    str_copy_utf8(a.service_name, sizeof(a.service_name), s->service_name);
    str_copy_utf8(a.display_name, sizeof(a.display_name), s->display_name);
    str_copy_utf8(a.binary_path, sizeof(a.binary_path), s->binary_path);
    str_copy_utf8(a.operation, sizeof(a.operation), e->op_name ? e->op_name : "");
    str_copy_utf8(a.indicator, sizeof(a.indicator), hit->value);
    str_copy_utf8(a.indicator_type, sizeof(a.indicator_type), ioc_type_name(type));
    str_copy_utf8(a.indicator_list, sizeof(a.indicator_list), rules_list_name(&d->rules, hit->list));
    a.count = 1;
    detect_alert(d, &a, ev->ts_us);
    det_chain_step(d, &a);
}
