/*
 * phi_transit.c - KWAMPIRS.md §7.19: cleartext PHI in transit across zones
 * (policy).
 *
 * Zones, from the detect.zones.* lists, first match wins: imaging, guest,
 * internal, else the Internet.  A flow "crosses zones" when its two ends are
 * in different zones.  Whatever the DICOM and HL7 parsers decode was sent in
 * clear (DICOM over TLS, port 2762 or any other, never reaches them), so:
 *   9300190  a DICOM operation whose request data set carries a non-empty
 *            PatientName or PatientID (a C-STORE of an image, a query for
 *            one patient), or a C-FIND that returned matches (the responses
 *            carry the patient's identity);
 *   9300191  an HL7 message with a PID segment;
 *   9300192  an HTTP request to a DICOMweb / PACS REST interface (WADO-URI
 *            `requestType=WADO`, a `/wado` or `/dicom-web` path, QIDO/WADO-RS
 *            `/studies`, Orthanc's REST port 8042) without an Authorization
 *            header;
 * each on a flow crossing zones.  Severity 3; 2 when one end is in the guest
 * zone or on the Internet.  Each (client, server) pair is reported once per
 * detect.egress.interval per signature (the egress table: bounded, charged to
 * detect.memcap).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/dicom/dicom.h"
#include "app/hl7/hl7.h"
#include "app/http/http.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

enum zone { Z_IMAGING, Z_GUEST, Z_INTERNAL, Z_INTERNET };
static const char *const zone_names[] = {"imaging", "guest", "internal", "Internet"};

static enum zone zone_of(const struct detect_ctx *d, const struct ip_addr *a)
{
    if (detect_net_match(&d->imaging, a))
        return Z_IMAGING;
    if (detect_net_match(&d->guest, a))
        return Z_GUEST;
    if (detect_net_match(&d->internal, a))
        return Z_INTERNAL;
    return Z_INTERNET;
}

/* The alert when f crosses zones and the pair was not reported for sid this interval. */
static void phi_alert(struct detect_ctx *d, const struct event *ev, uint32_t sid, const char *what)
{
    const struct flow *f = ev->flow;
    if (!f)
        return;
    enum zone zc = zone_of(d, &f->client), zs = zone_of(d, &f->server);
    if (zc == zs || !detect_first_report(d, &f->client, &f->server, sid))
        return;
    struct alert_event a;
    alert_init(&a, sid, ev);
    if (zc == Z_GUEST || zc == Z_INTERNET || zs == Z_GUEST || zs == Z_INTERNET)
        a.severity = 2;
    snprintf(a.detail, sizeof(a.detail), "%s in clear from the %s zone to the %s zone", what, zone_names[zc],
             zone_names[zs]);
    a.count = 1;
    detect_alert(d, &a, ev->ts_us);
}

void det_phi_dicom(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    if (e->kind != DICOM_EV_DIMSE || !e->op || !e->op->has_rq)
        return;
    const struct dicom_op *op = e->op;
    const struct dicom_ds_info *ds = &op->rq_ds;
    bool ident = (ds->has_patient_name && ds->patient_name[0]) || (ds->has_patient_id && ds->patient_id[0]);
    bool matches = op->rq.command_field == 0x0020 && op->n_pending > 0; /* C-FIND-RQ answered with matches */
    if (!ident && !matches)
        return;
    const char *cmd = dicom_command_name(op->rq.command_field);
    char what[96];
    snprintf(what, sizeof(what), "%s with patient %s", cmd ? cmd : "DIMSE operation",
             ident ? "name/id" : "matches returned");
    phi_alert(d, ev, SID_PHI_DICOM, what);
}

void det_phi_hl7(struct detect_ctx *d, const struct event *ev)
{
    const struct hl7_event *he = ev->body;
    const struct hl7_message *m = he->msg;
    if (!m || !m->has_msh)
        return;
    for (uint8_t i = 0; i < m->n_segment_ids; i++)
        if (strcmp(m->segment_ids[i], "PID") == 0) {
            char what[96];
            snprintf(what, sizeof(what), "HL7 %.*s with a PID segment", 40, m->f[HL7_F_MESSAGE_TYPE].s);
            phi_alert(d, ev, SID_PHI_HL7, what);
            return;
        }
}

static bool has_header(const struct http_tx *tx, const char *name)
{
    const char *p = tx->names;
    for (uint8_t i = 0; i < tx->n_names && p < tx->names + tx->names_len; i++) {
        if (strcasecmp(p, name) == 0)
            return true;
        p += strlen(p) + 1;
    }
    return false;
}

/* A DICOMweb or PACS REST request, by its URI (case-insensitive) or Orthanc's REST port. */
static const char *dicomweb_kind(const struct http_tx *tx, uint16_t server_port)
{
    char u[HTTP_URI_MAX + 1];
    size_t n = 0;
    for (; tx->uri[n] && n < sizeof(u) - 1; n++)
        u[n] = (tx->uri[n] >= 'A' && tx->uri[n] <= 'Z') ? (char)(tx->uri[n] + 32) : tx->uri[n];
    u[n] = '\0';
    if (strstr(u, "requesttype=wado"))
        return "WADO-URI";
    if (strstr(u, "/wado") || strstr(u, "/dicom-web/") || strstr(u, "/dicomweb/"))
        return "DICOMweb";
    char *q = strchr(u, '?');
    if (q)
        *q = '\0';
    size_t path_len = strlen(u);
    if (strstr(u, "/studies/") || (path_len >= 8 && strcmp(u + path_len - 8, "/studies") == 0))
        return "QIDO/WADO-RS";
    if (server_port == 8042)
        return "Orthanc REST (port 8042)";
    return NULL;
}

void det_phi_dicomweb(struct detect_ctx *d, const struct event *ev)
{
    const struct http_event *he = ev->body;
    const struct http_tx *tx = he->tx;
    if (!ev->flow || !tx || !tx->has_request || has_header(tx, "Authorization"))
        return;
    const char *kind = dicomweb_kind(tx, ev->flow->server_port);
    if (!kind)
        return;
    char what[96];
    snprintf(what, sizeof(what), "%s request without Authorization", kind);
    phi_alert(d, ev, SID_PHI_DICOMWEB, what);
}
