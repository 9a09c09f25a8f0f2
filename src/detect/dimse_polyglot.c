/*
 * dimse_polyglot.c - KWAMPIRS.md §7.12: polyglot markers inside DIMSE.
 *
 * A Part 10 polyglot (§7.11) hides its program in the 128-byte preamble, which
 * a DIMSE C-STORE never carries.  What can travel inside an association is a
 * data set whose element value *is* a program or a whole Part 10 file: an
 * Encapsulated Document (0042,0011), an OB/UN private element, a pixel-data
 * value.  The DICOM walker (src/app/dicom/dicom_dataset.c) notes, for every
 * element of the request's data set within dicom.dataset-budget, whether the
 * value starts with a PE (MZ, PE\0\0 at e_lfanew inside the value) or an ELF
 * image, or has "DICM" after a 128-byte preamble; this detector turns those
 * facts into alerts:
 *   9300120  a program at the start of an element value, severity 2;
 *   9300121  a Part 10 file inside an element value, severity 2.
 * One alert per operation and kind; the rate limit caps a flood.
 */
#include <stdio.h>

#include "app/dicom/dicom.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

static void op_alert(struct detect_ctx *d, const struct event *ev, const struct dicom_op *op, uint32_t sid,
                     const char *what, uint32_t tag)
{
    const struct dicom_event *e = ev->body;
    struct alert_event a;
    alert_init(&a, sid, ev);
    if (ev->flow && op->rq_dir == EVENT_DIR_TOCLIENT) { /* the request went server -> client */
        a.src = ev->flow->server;
        a.dst = ev->flow->client;
        a.src_port = ev->flow->server_port;
        a.dst_port = ev->flow->client_port;
        a.n_hosts = 0;
        alert_add_host(&a, &a.dst);
    }
    snprintf(a.calling_ae, sizeof(a.calling_ae), "%s", e->assoc ? e->assoc->calling_ae : "");
    snprintf(a.called_ae, sizeof(a.called_ae), "%s", e->assoc ? e->assoc->called_ae : "");
    const char *cmd = dicom_command_name(op->rq.command_field);
    snprintf(a.detail, sizeof(a.detail), "%s at the start of element (%04X,%04X) in a %s data set%s", what, tag >> 16,
             tag & 0xffff, cmd ? cmd : "DIMSE request", op->rq_ds.truncated ? " (walk cut by budget)" : "");
    a.count = 1;
    detect_alert(d, &a, op->rq_ts_us ? op->rq_ts_us : ev->ts_us);
}

void det_dimse_polyglot(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    if (e->kind != DICOM_EV_DIMSE || !e->op || !e->op->has_rq)
        return;
    const struct dicom_ds_info *ds = &e->op->rq_ds;
    if (ds->exe_marker)
        op_alert(d, ev, e->op, SID_DIMSE_EXE,
                 ds->exe_marker == DICOM_MARKER_PE ? "a Windows program (MZ, PE header)" : "an ELF program",
                 ds->exe_marker_tag);
    if (ds->dicm_marker_tag)
        op_alert(d, ev, e->op, SID_DIMSE_DICM, "a DICOM Part 10 file (128-byte preamble, DICM)", ds->dicm_marker_tag);
}
