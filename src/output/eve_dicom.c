/*
 * eve_dicom.c - the `dicom` EVE object (docs/EVE.md, section dicom).
 *
 * Codes are written with their names beside them (command field 0x0020 and
 * "C-FIND-RQ", UIDs with their PS3.6 names).  PHI never reaches this file in
 * clear unless log-phi is set: the parser pseudonymised it already.
 */
#include "app/dicom/dicom.h"
#include "assets/assets.h"
#include "output/eve_dicom.h"

static void uid_pair(struct jw *w, const char *key, const char *key_name, const char *uid)
{
    if (!uid || !uid[0])
        return;
    jw_str(w, key, uid);
    const char *name = dicom_uid_name(uid);
    if (name)
        jw_str(w, key_name, name);
}

static const char hexdig[] = "0123456789abcdef";

/* "0x0020" without snprintf (this runs for every command and status). */
static void hex16(struct jw *w, const char *key, uint16_t v)
{
    char b[6] = {'0', 'x', hexdig[v >> 12], hexdig[(v >> 8) & 15], hexdig[(v >> 4) & 15], hexdig[v & 15]};
    jw_strn(w, key, b, sizeof(b));
}

static void user_info(struct jw *w, const char *key, const struct dicom_user_info *ui)
{
    if (!ui->present)
        return;
    jw_open_obj(w, key);
    if (ui->has_max_pdu)
        jw_u64(w, "max_pdu_length", ui->max_pdu);
    if (ui->impl_class_uid[0])
        jw_str(w, "implementation_class_uid", ui->impl_class_uid);
    if (ui->impl_version[0])
        jw_str(w, "implementation_version_name", ui->impl_version);
    const char *sw = asset_impl_software(ui->impl_class_uid, ui->impl_version);
    if (sw)
        jw_str(w, "software", sw);
    if (ui->has_async) {
        jw_open_obj(w, "async_ops_window");
        jw_u64(w, "invoked", ui->async_invoked);
        jw_u64(w, "performed", ui->async_performed);
        jw_close_obj(w);
    }
    if (ui->n_roles) {
        jw_open_arr(w, "role_selection");
        for (unsigned i = 0; i < ui->n_roles; i++) {
            jw_open_obj(w, NULL);
            uid_pair(w, "sop_class", "sop_class_name", ui->roles[i].uid);
            jw_bool(w, "scu", ui->roles[i].scu != 0);
            jw_bool(w, "scp", ui->roles[i].scp != 0);
            jw_close_obj(w);
        }
        jw_close_arr(w);
    }
    if (ui->n_extneg) {
        jw_open_arr(w, "extended_negotiation");
        for (unsigned i = 0; i < ui->n_extneg; i++)
            jw_str(w, NULL, ui->extneg[i]);
        jw_close_arr(w);
    }
    if (ui->n_common_extneg)
        jw_u64(w, "common_extended_negotiation", ui->n_common_extneg);
    if (ui->has_user_identity) {
        jw_open_obj(w, "user_identity");
        if (ui->user_identity_type) {
            jw_u64(w, "type", ui->user_identity_type);
            jw_str(w, "type_name", dicom_user_identity_type_name(ui->user_identity_type));
            jw_bool(w, "positive_response_requested", ui->user_identity_response_requested);
            if (ui->username[0])
                jw_str(w, "username", ui->username);
            jw_u64(w, "primary_field_length", ui->primary_len);
            jw_u64(w, "secondary_field_length", ui->secondary_len);
            jw_bool(w, "password_in_clear", ui->password_in_clear);
        } else {
            jw_u64(w, "server_response_length", ui->server_response_len);
        }
        jw_close_obj(w);
    }
    jw_close_obj(w);
}

static void request_body(struct jw *w, const struct dicom_assoc *a)
{
    jw_u64(w, "protocol_version", a->protocol_version);
    uid_pair(w, "application_context", "application_context_name", a->app_context);
    jw_u64(w, "presentation_context_count", a->n_pctx_rq);
    jw_open_arr(w, "presentation_contexts");
    for (unsigned i = 0; i < a->n_pctx; i++) {
        const struct dicom_pctx *p = &a->pctx[i];
        if (!p->proposed)
            continue;
        jw_open_obj(w, NULL);
        jw_u64(w, "id", p->id);
        uid_pair(w, "abstract_syntax", "abstract_syntax_name", p->abstract);
        jw_open_arr(w, "transfer_syntaxes");
        for (unsigned t = 0; t < p->n_ts; t++)
            jw_str(w, NULL, p->ts[t]);
        jw_close_arr(w);
        if (p->n_ts_total > p->n_ts)
            jw_u64(w, "transfer_syntax_count", p->n_ts_total);
        jw_close_obj(w);
    }
    jw_close_arr(w);
    user_info(w, "user_info", &a->ui_rq);
}

static void accept_body(struct jw *w, const struct dicom_assoc *a)
{
    uid_pair(w, "application_context", "application_context_name", a->ac_app_context);
    jw_u64(w, "presentation_context_count", a->n_pctx_ac);
    unsigned accepted = 0;
    jw_open_arr(w, "presentation_contexts");
    for (unsigned i = 0; i < a->n_pctx; i++) {
        const struct dicom_pctx *p = &a->pctx[i];
        if (!p->answered)
            continue;
        accepted += p->result == 0;
        jw_open_obj(w, NULL);
        jw_u64(w, "id", p->id);
        jw_u64(w, "result", p->result);
        jw_str(w, "result_name", dicom_pctx_result_name(p->result));
        uid_pair(w, "abstract_syntax", "abstract_syntax_name", p->abstract);
        if (p->result == 0)
            uid_pair(w, "transfer_syntax", "transfer_syntax_name", p->accepted_ts);
        jw_close_obj(w);
    }
    jw_close_arr(w);
    jw_u64(w, "accepted_count", accepted);
    user_info(w, "user_info", &a->ui_ac);
}

static void dataset(struct jw *w, const char *key, const struct dicom_ds_info *d)
{
    jw_open_obj(w, key);
    jw_u64(w, "length", d->total_len);
    if (d->deflated)
        jw_bool(w, "deflated", true);
    if (d->encapsulated)
        jw_bool(w, "encapsulated", true);
    if (d->truncated)
        jw_bool(w, "truncated", true);
    if (d->malformed)
        jw_bool(w, "malformed", true);
    if (d->qr_level[0])
        jw_str(w, "query_level", d->qr_level);
    if (d->modality[0])
        jw_str(w, "modality", d->modality);
    uid_pair(w, "sop_class", "sop_class_name", d->sop_class);
    if (d->sop_instance[0])
        jw_str(w, "sop_instance", d->sop_instance);
    if (d->study_uid[0])
        jw_str(w, "study_instance_uid", d->study_uid);
    if (d->series_uid[0])
        jw_str(w, "series_instance_uid", d->series_uid);
    if (d->has_patient_name)
        jw_str(w, "patient_name", d->patient_name);
    if (d->has_patient_id)
        jw_str(w, "patient_id", d->patient_id);
    if (d->has_birth_date)
        jw_str(w, "patient_birth_date", d->birth_date);
    if (d->has_accession)
        jw_str(w, "accession_number", d->accession);
    for (unsigned i = 0; i < d->n_phi; i++) {
        const char *name = dicom_phi_attr_name(d->phi[i].attr);
        if (name)
            jw_str(w, name, d->phi[i].value);
    }
    if (d->n_keys) {
        jw_open_arr(w, "keys");
        for (unsigned i = 0; i < d->n_keys; i++) {
            uint32_t k = d->keys[i]; /* "gggg,eeee": a tag, never a value */
            char t[9] = {
                hexdig[k >> 28],        hexdig[(k >> 24) & 15], hexdig[(k >> 20) & 15], hexdig[(k >> 16) & 15], ',',
                hexdig[(k >> 12) & 15], hexdig[(k >> 8) & 15],  hexdig[(k >> 4) & 15],  hexdig[k & 15]};
            jw_strn(w, NULL, t, sizeof(t));
        }
        jw_close_arr(w);
    }
    jw_close_obj(w);
}

static void command(struct jw *w, const char *key, const struct dicom_cmd *c, bool rsp)
{
    jw_open_obj(w, key);
    hex16(w, "command_field", c->command_field);
    const char *name = dicom_command_name(c->command_field);
    jw_str(w, "command", name ? name : "unknown");
    if (c->has_msg_id)
        jw_u64(w, "message_id", c->msg_id);
    if (c->has_msg_id_rsp)
        jw_u64(w, "message_id_responded", c->msg_id_rsp);
    uid_pair(w, "affected_sop_class", "affected_sop_class_name", c->affected_sop_class);
    uid_pair(w, "requested_sop_class", "requested_sop_class_name", c->requested_sop_class);
    if (c->affected_sop_instance[0])
        jw_str(w, "affected_sop_instance", c->affected_sop_instance);
    if (c->requested_sop_instance[0])
        jw_str(w, "requested_sop_instance", c->requested_sop_instance);
    if (c->has_priority && !rsp) {
        jw_u64(w, "priority", c->priority);
        jw_str(w, "priority_name", dicom_priority_name(c->priority));
    }
    if (c->move_destination[0])
        jw_str(w, "move_destination", c->move_destination);
    if (c->move_originator[0])
        jw_str(w, "move_originator", c->move_originator);
    if (c->has_move_orig_msg_id)
        jw_u64(w, "move_originator_message_id", c->move_orig_msg_id);
    if (c->has_event_type_id)
        jw_u64(w, "event_type_id", c->event_type_id);
    if (c->has_action_type_id)
        jw_u64(w, "action_type_id", c->action_type_id);
    if (c->has_status) {
        hex16(w, "status", c->status);
        jw_str(w, "status_class", dicom_status_class_name(dicom_status_class(c->status)));
        const char *m = dicom_status_meaning(c->command_field, c->status);
        if (m)
            jw_str(w, "status_meaning", m);
    }
    if (c->has_remaining)
        jw_u64(w, "remaining", c->remaining);
    if (c->has_completed)
        jw_u64(w, "completed", c->completed);
    if (c->has_failed)
        jw_u64(w, "failed", c->failed);
    if (c->has_warning)
        jw_u64(w, "warning", c->warning);
    if (c->error_comment[0])
        jw_str(w, "error_comment", c->error_comment);
    jw_close_obj(w);
}

static void dimse_body(struct jw *w, const struct dicom_assoc *a, const struct dicom_op *op)
{
    const struct dicom_cmd *c = op->has_rq ? &op->rq : &op->rsp;
    const char *name = dicom_command_name((uint16_t)(c->command_field & 0x7FFF));
    /* "C-FIND" from "C-FIND-RQ" */
    if (name) {
        size_t n = 0;
        while (name[n] && !(name[n] == '-' && name[n + 1] == 'R' && (name[n + 2] == 'Q' || name[n + 2] == 'S')))
            n++;
        jw_strn(w, "service", name, n);
    }
    jw_u64(w, "presentation_context_id", op->pctx_id);
    const struct dicom_pctx *p = dicom_find_pctx_const(a, op->pctx_id);
    if (p) {
        uid_pair(w, "abstract_syntax", "abstract_syntax_name", p->abstract);
        uid_pair(w, "transfer_syntax", "transfer_syntax_name", p->accepted_ts);
    }
    jw_str(w, "requester", op->rq_dir == 0 ? "client" : "server");
    if (op->has_rq) {
        command(w, "request", &op->rq, false);
        if (op->rq_ds.walked || op->rq_ds.deflated || op->rq_ds.total_len)
            dataset(w, "dataset", &op->rq_ds);
    }
    if (op->has_rsp) {
        command(w, "response", &op->rsp, true);
        jw_u64(w, "responses", op->n_rsp);
        jw_u64(w, "pending_responses", op->n_pending);
        if (op->n_pending) {
            jw_open_obj(w, "pending_statuses");
            jw_u64(w, "0xff00", op->n_pending_by_status[0]);
            jw_u64(w, "0xff01", op->n_pending_by_status[1]);
            jw_close_obj(w);
        }
        if (op->has_rq && op->rsp_ts_us >= op->rq_ts_us)
            jw_u64(w, "response_time_us", op->rsp_ts_us - op->rq_ts_us);
    } else {
        jw_bool(w, "unanswered", true);
    }
    if (op->cancelled)
        jw_bool(w, "cancelled", true);
}

static void summary_body(struct jw *w, const struct dicom_assoc *a, const char *end)
{
    jw_str(w, "end", end ? end : "close");
    if (a->end_us >= a->start_us)
        jw_u64(w, "duration_us", a->end_us - a->start_us);
    jw_u64(w, "bytes_toserver", a->bytes[0]);
    jw_u64(w, "bytes_toclient", a->bytes[1]);
    jw_open_obj(w, "pdus");
    for (unsigned t = 1; t < DICOM_PDU_TYPES; t++)
        if (a->pdus[0][t] + a->pdus[1][t])
            jw_u64(w, dicom_pdu_type_name((uint8_t)t), a->pdus[0][t] + a->pdus[1][t]);
    jw_close_obj(w);
    jw_u64(w, "pdvs", a->pdvs[0] + a->pdvs[1]);
    jw_open_obj(w, "commands");
    for (unsigned i = 0; i < DICOM_CMD_SLOTS; i++) {
        if (!a->ops_by_cmd[i])
            continue;
        const char *n = i ? dicom_command_name(dicom_cmd_from_index(i)) : NULL;
        jw_u64(w, n ? n : "unknown", a->ops_by_cmd[i]);
    }
    jw_close_obj(w);
    jw_open_obj(w, "statuses");
    for (unsigned c = 0; c < DICOM_STATUS__COUNT; c++)
        if (a->rsp_by_class[c])
            jw_u64(w, dicom_status_class_name((enum dicom_status_class)c), a->rsp_by_class[c]);
    jw_close_obj(w);
    if (a->pending_by_status[0] + a->pending_by_status[1]) {
        jw_open_obj(w, "pending_statuses");
        jw_u64(w, "0xff00", a->pending_by_status[0]);
        jw_u64(w, "0xff01", a->pending_by_status[1]);
        jw_close_obj(w);
    }
    if (a->anomalies)
        jw_u64(w, "anomalies", a->anomalies);
}

void eve_dicom_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct dicom_event *de = ev->body;
    const struct dicom_assoc *a = de->assoc;
    jw_str(w, "type", dicom_event_kind_name(de->kind));
    if (a->calling_ae[0] || a->called_ae[0]) {
        jw_str(w, "calling_ae", a->calling_ae);
        jw_str(w, "called_ae", a->called_ae);
    }
    jw_u64(w, "association", a->assoc_count);
    switch (de->kind) {
    case DICOM_EV_REQUEST: request_body(w, a); break;
    case DICOM_EV_ACCEPT: accept_body(w, a); break;
    case DICOM_EV_REJECT:
        jw_u64(w, "result", a->rj_result);
        jw_str(w, "result_name", dicom_rj_result_name(a->rj_result));
        jw_u64(w, "source", a->rj_source);
        jw_str(w, "source_name", dicom_rj_source_name(a->rj_source));
        jw_u64(w, "reason", a->rj_reason);
        jw_str(w, "reason_name", dicom_rj_reason_name(a->rj_source, a->rj_reason));
        break;
    case DICOM_EV_ABORT:
        jw_str(w, "sender", a->abort_dir == 1 ? "server" : "client");
        jw_u64(w, "source", a->abort_source);
        jw_str(w, "source_name", dicom_abort_source_name(a->abort_source));
        jw_u64(w, "reason", a->abort_reason);
        jw_str(w, "reason_name", dicom_abort_reason_name(a->abort_source, a->abort_reason));
        break;
    case DICOM_EV_RELEASE: break;
    case DICOM_EV_DIMSE:
        if (de->op)
            dimse_body(w, a, de->op);
        break;
    case DICOM_EV_SUMMARY: summary_body(w, a, de->end); break;
    }
}
