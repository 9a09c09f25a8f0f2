/*
 * cfind_sweep.c - KWAMPIRS.md §7.16: C-FIND sweeps (PHI harvesting).
 *
 *  - 9300160: at least detect.dicom.cfind-sweep.count C-FIND-RQ at PATIENT or
 *    STUDY level that do not narrow the match to one patient or study (no
 *    specific PatientName, PatientID, StudyInstanceUID or AccessionNumber; a
 *    name with '*' or '?' counts as a wildcard) from one source and calling AE
 *    within the window.  A radiologist's query for one patient is never
 *    counted.  Wildcard-ness is judged by the DICOM walker before values are
 *    pseudonymised (dicom_ds_info.patient_name_wild).
 *  - 9300161: the SCP aborted an association in which a C-FIND, C-MOVE or
 *    C-GET request got no response at all: the archive refused the requester
 *    (Orthanc does this for a calling AE it does not know, dicom_07).
 * Severity rises to 1 when the source is outside detect.zones.internal.
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define CMD_C_GET_RQ  0x0010
#define CMD_C_FIND_RQ 0x0020
#define CMD_C_MOVE_RQ 0x0021
#define CMD_RSP       0x8000

struct cfind_entry {
    struct dentry e;
    bool fired;
    uint64_t fired_us;
    struct det_ring ring;
    uint8_t n_hosts;
    struct ip_addr hosts[ALERT_MAX_HOSTS];
    uint64_t flows[ALERT_MAX_HOSTS];
};
_Static_assert(sizeof(struct cfind_entry) <= DETECT_ENTRY_SIZE, "cfind entry too large");

static bool query_is_broad(const struct dicom_ds_info *ds)
{
    if (strcmp(ds->qr_level, "PATIENT") != 0 && strcmp(ds->qr_level, "STUDY") != 0)
        return false;
    bool name = ds->has_patient_name && !ds->patient_name_wild;
    bool id = ds->has_patient_id && !ds->patient_id_wild;
    bool acc = ds->has_accession && ds->accession[0];
    return !(name || id || acc || ds->study_uid[0]);
}

static void refused(struct detect_ctx *d, const struct event *ev, const struct dicom_assoc *as)
{
    static const uint16_t cmds[] = {CMD_C_FIND_RQ, CMD_C_MOVE_RQ, CMD_C_GET_RQ};
    static const char *const names[] = {"C-FIND", "C-MOVE", "C-GET"};
    int which = -1;
    for (int i = 0; i < 3 && which < 0; i++)
        if (as->ops_by_cmd[dicom_cmd_index(cmds[i])] && !as->ops_by_cmd[dicom_cmd_index(cmds[i] | CMD_RSP)])
            which = i;
    if (which < 0)
        return;
    struct alert_event a;
    alert_init(&a, SID_QUERY_REFUSED, ev);
    str_copy_utf8(a.calling_ae, sizeof(a.calling_ae), as->calling_ae);
    str_copy_utf8(a.called_ae, sizeof(a.called_ae), as->called_ae);
    str_copy_utf8(a.operation, sizeof(a.operation), names[which]);
    str_copy_utf8(a.detail, sizeof(a.detail), "the SCP aborted the association without answering the request");
    a.count = (uint32_t)as->ops_by_cmd[dicom_cmd_index(cmds[which])];
    detect_alert(d, &a, ev->ts_us);
}

void det_cfind_sweep(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    if (!ev->flow)
        return;
    if (e->kind == DICOM_EV_SUMMARY && e->end && strcmp(e->end, "abort") == 0 && e->assoc->abort_dir == 1) {
        refused(d, ev, e->assoc);
        return;
    }
    if (e->kind != DICOM_EV_DIMSE || !e->op || !e->op->has_rq || e->op->rq.command_field != CMD_C_FIND_RQ ||
        !query_is_broad(&e->op->rq_ds))
        return;
    const struct dicom_assoc *as = e->assoc;
    const uint64_t window = (uint64_t)d->cfg.cfind_window * 1000000;
    struct dkey k = {.a = ev->flow->client, .x = dkey_str(&d->cfind, as->calling_ae)};
    struct cfind_entry *c = dtable_get(d, &d->cfind, &k, true);
    if (!c)
        return;
    det_ring_add(&c->ring, ev->ts_us);
    bool known = false;
    for (uint8_t i = 0; i < c->n_hosts; i++)
        known |= ip_addr_eq(&c->hosts[i], &ev->flow->server);
    if (!known && c->n_hosts < ALERT_MAX_HOSTS) {
        c->flows[c->n_hosts] = ev->flow->flow_id;
        c->hosts[c->n_hosts++] = ev->flow->server;
    }
    if (c->fired && ev->ts_us > c->fired_us + window)
        c->fired = false;
    uint32_t n = det_ring_count(&c->ring, ev->ts_us, window);
    if (c->fired || n < d->cfg.cfind_count)
        return;
    c->fired = true;
    c->fired_us = ev->ts_us;
    struct alert_event a;
    alert_init(&a, SID_CFIND_SWEEP, ev);
    str_copy_utf8(a.calling_ae, sizeof(a.calling_ae), as->calling_ae);
    str_copy_utf8(a.called_ae, sizeof(a.called_ae), as->called_ae);
    a.first_us = c->e.first_us;
    a.count = n;
    a.threshold = d->cfg.cfind_count;
    a.window_s = d->cfg.cfind_window;
    for (uint8_t i = 0; i < c->n_hosts; i++) {
        alert_add_host(&a, &c->hosts[i]);
        alert_add_flow(&a, c->flows[i]);
    }
    if (!detect_net_match(&d->internal, &ev->flow->client)) {
        a.severity = 1;
        str_copy_utf8(a.detail, sizeof(a.detail), "source outside detect.zones.internal");
    }
    detect_alert(d, &a, ev->ts_us);
}
