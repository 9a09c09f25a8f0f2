/*
 * remote_service.c - KWAMPIRS.md §7.6: a service created on another host over
 * the Service Control Manager RPC interface (MS-SCMR, svcctl).
 *
 * RCreateServiceW (opnum 12) or RCreateServiceA (24) requests, over an SMB
 * named pipe or DCE/RPC over TCP alike (the dcerpc event says which).  The
 * request is what matters: a refused creation is still an attempt, and the
 * evidence carries the server's answer (return code or fault).  Starting an
 * existing service (smb_04: an administrator restarting the Spooler) is not
 * reported; RStartServiceW (19) of a service this source created shortly
 * before is, as a step of the chain.  That the start follows the copy is the
 * normal mechanism (PsExec), not something a public source shows for Kwampirs:
 * §2.1 P9 marks it [INFERENCE].
 */
#include <stdio.h>
#include <string.h>

#include "app/dcerpc/dcerpc.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define SCMR_CREATE_W 12
#define SCMR_START_W  19
#define SCMR_CREATE_A 24
#define SCMR_START_A  31

/* A request on a bound svcctl context.  Its stub need not be decoded: a sealed (NTLMSSP privacy) or cut stub
 * still shows the interface and the opnum. */
static bool is_svcctl(const struct dcerpc_event *e)
{
    return e->ptype == DCERPC_REQUEST && e->iface_name && strcmp(e->iface_name, "svcctl") == 0;
}

void det_remote_service(struct detect_ctx *d, const struct event *ev)
{
    const struct dcerpc_event *e = ev->body;
    if (!ev->flow || !is_svcctl(e))
        return;
    bool create = e->opnum == SCMR_CREATE_W || e->opnum == SCMR_CREATE_A;
    bool start = e->opnum == SCMR_START_W || e->opnum == SCMR_START_A;
    if (!create && !start)
        return;
    if (detect_net_match(&d->admin, &ev->flow->client)) {
        if (create)
            d->stats.allowlisted++;
        return;
    }
    static const struct dcerpc_svcctl none;
    const struct dcerpc_svcctl *s = e->svcctl && e->svcctl->present ? e->svcctl : &none;
    struct alert_event a;
    alert_init(&a, SID_REMOTE_SERVICE, ev);
    str_copy_utf8(a.service_name, sizeof(a.service_name), s->service_name);
    str_copy_utf8(a.display_name, sizeof(a.display_name), s->display_name);
    str_copy_utf8(a.binary_path, sizeof(a.binary_path), s->binary_path);
    str_copy_utf8(a.operation, sizeof(a.operation),
                  e->op_name ? e->op_name
                  : create   ? "CreateService"
                             : "StartService");
    if (start) {
        /* starting a service is routine; starting one right after this source wrote an executable to an
         * admin share is the second half of a PsExec-style push (a service installed earlier, reused) */
        det_chain_step_if_open(d, &a);
        return;
    }
    if (s == &none)
        str_copy_utf8(a.detail, sizeof(a.detail), "request stub not decoded (sealed or cut): names unknown");
    else if (e->fault)
        snprintf(a.detail, sizeof(a.detail), "the server answered with a fault (0x%08x); the request was made",
                 e->fault_status);
    else if (s->has_return && s->return_code)
        snprintf(a.detail, sizeof(a.detail), "the server refused it (error %u); the request was made", s->return_code);
    else if (s->has_return)
        snprintf(a.detail, sizeof(a.detail), "the server created the service");
    if (e->transport == DCERPC_TRANSPORT_SMB && e->pipe) {
        const char *pipe = e->pipe;
        while (*pipe == '\\') /* SMB1 names the pipe "\\svcctl", SMB2 "svcctl" */
            pipe++;
        snprintf(a.share, sizeof(a.share), "\\PIPE\\%.100s", pipe);
    }
    a.count = 1;
    detect_alert(d, &a, ev->ts_us);
    det_chain_step(d, &a);
    det_fanout_step(d, &a, s->service_name);
}
