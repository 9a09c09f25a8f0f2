/*
 * eve_dcerpc.c - the `dcerpc` object.  Suricata's fields (request, response,
 * call_id, rpc_version, interfaces[uuid, version, ack_result], req/res opnum,
 * frag_cnt, stub_data_size) plus interface/operation names, the transport,
 * fault status, the auth verifier's type and level with the NTLMSSP identity
 * of the handshake, and the decoded svcctl / task scheduler / srvsvc arguments.
 */
#include <stdio.h>

#include "app/dcerpc/dcerpc.h"
#include "output/eve_smb.h"

static void eve_svcctl(struct jw *w, const struct dcerpc_svcctl *s)
{
    jw_open_obj(w, "svcctl");
    if (s->machine[0])
        jw_str(w, "machine_name", s->machine);
    if (s->database[0])
        jw_str(w, "database_name", s->database);
    if (s->service_name[0])
        jw_str(w, "service_name", s->service_name);
    if (s->display_name[0])
        jw_str(w, "display_name", s->display_name);
    if (s->binary_path[0])
        jw_str(w, "binary_path", s->binary_path);
    if (s->start_name[0])
        jw_str(w, "service_start_name", s->start_name);
    if (s->has_access)
        jw_hex32(w, "desired_access", s->access);
    if (s->has_type)
        jw_hex32(w, "service_type", s->service_type);
    if (s->has_start)
        jw_u64(w, "start_type", s->start_type);
    if (s->has_error)
        jw_u64(w, "error_control", s->error_control);
    if (s->has_control)
        jw_u64(w, "control", s->control);
    if (s->has_argc)
        jw_u64(w, "argc", s->argc);
    if (s->has_return)
        jw_hex32(w, "return_code", s->return_code);
    if (s->name_from_handle)
        jw_bool(w, "name_from_handle", true);
    if (s->truncated)
        jw_bool(w, "truncated", true);
    jw_close_obj(w);
}

/* STYPE_* [MS-SRVS 2.2.2.4]: the type in the low bits, SPECIAL/TEMPORARY flags above */
static const char *share_type_name(uint32_t t)
{
    switch (t & 0x0fffffffu) {
    case 0: return "disk";
    case 1: return "printer";
    case 2: return "device";
    case 3: return "ipc";
    default: return NULL;
    }
}

static void eve_srvsvc(struct jw *w, const struct dcerpc_srvsvc *s)
{
    char buf[16];
    jw_open_obj(w, "srvsvc");
    if (s->server[0])
        jw_str(w, "server", s->server);
    if (s->share[0])
        jw_str(w, "share", s->share);
    if (s->has_level)
        jw_u64(w, "level", s->level);
    if (s->has_entries)
        jw_u64(w, "entries", s->entries);
    if (s->n_shares) {
        jw_open_arr(w, "shares");
        for (size_t i = 0; i < s->n_shares; i++) {
            const struct dcerpc_srvsvc_share *sh = &s->shares[i];
            jw_open_obj(w, NULL);
            jw_str(w, "name", sh->name);
            if (sh->has_type) {
                const char *tn = share_type_name(sh->type);
                if (tn)
                    jw_str(w, "type", tn);
                jw_hex32(w, "type_raw", sh->type);
                if (sh->type & 0x80000000u)
                    jw_bool(w, "special", true);
            }
            if (sh->path[0])
                jw_str(w, "path", sh->path);
            jw_close_obj(w);
        }
        jw_close_arr(w);
    }
    if (s->has_server_info) {
        jw_u64(w, "platform_id", s->platform_id);
        if (s->server_name[0])
            jw_str(w, "server_name", s->server_name);
        if (s->has_version) {
            snprintf(buf, sizeof(buf), "%u.%u", s->version_major, s->version_minor);
            jw_str(w, "version", buf);
            jw_hex32(w, "server_type", s->server_type);
        }
        if (s->comment[0])
            jw_str(w, "comment", s->comment);
    }
    if (s->has_return)
        jw_hex32(w, "return_code", s->return_code);
    if (s->truncated)
        jw_bool(w, "truncated", true);
    jw_close_obj(w);
}

void eve_dcerpc_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct dcerpc_event *d = ev->body;
    if (!d)
        return;
    char buf[40];
    jw_str(w, "request", dcerpc_ptype_name(d->ptype));
    jw_str(w, "response", d->resp_ptype == 0xff ? "UNREPLIED" : dcerpc_ptype_name(d->resp_ptype));
    jw_u64(w, "call_id", d->call_id);
    snprintf(buf, sizeof(buf), "%u.%u", d->rpc_vers, d->rpc_vers_minor);
    jw_str(w, "rpc_version", buf);
    jw_str(w, "transport", d->transport == DCERPC_TRANSPORT_SMB ? "smb" : "tcp");
    if (d->pipe)
        jw_str(w, "named_pipe", d->pipe);
    if (d->has_auth) {
        const char *tn = dcerpc_auth_type_name(d->auth_type), *ln = dcerpc_auth_level_name(d->auth_level);
        snprintf(buf, sizeof(buf), "%u", d->auth_type);
        jw_str(w, "auth_type", tn ? tn : buf);
        snprintf(buf, sizeof(buf), "%u", d->auth_level);
        jw_str(w, "auth_level", ln ? ln : buf);
    }
    if (d->ntlmssp)
        eve_ntlmssp(w, d->ntlmssp);
    if (d->ptype == DCERPC_BIND || d->ptype == DCERPC_ALTER_CONTEXT) {
        jw_open_arr(w, "interfaces");
        for (size_t i = 0; i < d->n_ctx; i++) {
            jw_open_obj(w, NULL);
            dcerpc_uuid_format(&d->ctx[i].uuid, buf);
            jw_str(w, "uuid", buf);
            snprintf(buf, sizeof(buf), "%u.%u", d->ctx[i].ver_major, d->ctx[i].ver_minor);
            jw_str(w, "version", buf);
            jw_u64(w, "context_id", d->ctx[i].ctx_id);
            if (d->ctx[i].name)
                jw_str(w, "name", d->ctx[i].name);
            if (d->ctx[i].has_result) {
                jw_u64(w, "ack_result", d->ctx[i].result);
                jw_u64(w, "ack_reason", d->ctx[i].reason);
            }
            jw_close_obj(w);
        }
        jw_close_arr(w);
        return;
    }
    if (d->iface_uuid) {
        dcerpc_uuid_format(d->iface_uuid, buf);
        jw_str(w, "interface_uuid", buf);
    }
    if (d->iface_name)
        jw_str(w, "interface", d->iface_name);
    if (d->opnum != 0xffff)
        jw_u64(w, "opnum", d->opnum);
    if (d->op_name)
        jw_str(w, "operation", d->op_name);
    jw_open_obj(w, "req");
    if (d->opnum != 0xffff)
        jw_u64(w, "opnum", d->opnum);
    jw_u64(w, "frag_cnt", d->req_frags);
    jw_u64(w, "stub_data_size", d->req_stub_len);
    jw_close_obj(w);
    if (d->resp_ptype != 0xff) {
        jw_open_obj(w, "res");
        jw_u64(w, "frag_cnt", d->resp_frags);
        jw_u64(w, "stub_data_size", d->resp_stub_len);
        jw_close_obj(w);
    }
    if (d->fault) {
        jw_hex32(w, "fault_status", d->fault_status);
        const char *fn = dcerpc_fault_name(d->fault_status);
        if (fn)
            jw_str(w, "fault_name", fn);
    }
    if (d->svcctl && d->svcctl->present)
        eve_svcctl(w, d->svcctl);
    if (d->atsvc && d->atsvc->present) {
        jw_open_obj(w, "task");
        if (d->atsvc->task_path[0])
            jw_str(w, "path", d->atsvc->task_path);
        if (d->atsvc->command[0])
            jw_str(w, "command", d->atsvc->command);
        if (d->atsvc->arguments[0])
            jw_str(w, "arguments", d->atsvc->arguments);
        jw_close_obj(w);
    }
    if (d->srvsvc && d->srvsvc->present)
        eve_srvsvc(w, d->srvsvc);
}
