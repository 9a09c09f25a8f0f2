/*
 * dicom_matrix.c - KWAMPIRS.md §7.15: unknown DICOM peer, against the
 * association matrix.
 *
 * The matrix is the set of (calling AE, called AE, client address, server
 * address) tuples of normal operation.  It is
 *  - learned: during detect.dicom.learning-period seconds of packet time
 *    from the first DICOM event the sensor sees, every association the SCP
 *    accepted (A-ASSOCIATE-AC) adds its tuple;
 *  - configured: a tuple whose calling AE at the client and called AE at the
 *    server are both `AE@address` pairs of detect.allow.dicom-ae is known.
 * After the learning period an A-ASSOCIATE-RQ with a tuple in neither raises
 * 9300150 once; the tuple then joins the matrix (a new modality is reported
 * once, not on every association).  Because the tuple holds addresses, a
 * known AE title from a new address (AE spoofing, DHCP) is a new tuple.
 * Severity 2; 1 when the request proposes a Query/Retrieve MOVE or GET SOP
 * class (§7.15: retrieval from an unknown peer is how studies leave).
 * Tuples unseen for detect.dicom.matrix-timeout are forgotten.  The table is
 * charged to detect.memcap; when it is full a tuple cannot be learned
 * (stats.detect.memcap_hits) and, after learning, an unknown tuple still
 * alerts (rate-limited per source) because it cannot be remembered.
 * With learning-period 0 only the configured pairs are known.
 */
#include <stdio.h>
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

struct matrix_entry {
    struct dentry e;
    uint8_t alerted; /* reported as new (not learned) */
};
_Static_assert(sizeof(struct matrix_entry) <= DETECT_MATRIX_ENTRY_SIZE, "matrix entry too large");

/* Query/Retrieve MOVE or GET SOP classes: 1.2.840.10008.5.1.4.1.2.<root>.<2 MOVE | 3 GET> (PS3.4 C.6, Y). */
static bool is_retrieve(const char *uid)
{
    static const char prefix[] = "1.2.840.10008.5.1.4.1.2.";
    size_t l = sizeof(prefix) - 1;
    if (strncmp(uid, prefix, l) != 0)
        return false;
    const char *p = uid + l;
    if (*p < '1' || *p > '9')
        return false;
    while (*p >= '0' && *p <= '9')
        p++;
    return p[0] == '.' && (p[1] == '2' || p[1] == '3') && p[2] == '\0';
}

void det_dicom_matrix(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    if (!ev->flow || (e->kind != DICOM_EV_REQUEST && e->kind != DICOM_EV_ACCEPT))
        return;
    const struct dicom_assoc *as = e->assoc;
    const struct flow *f = ev->flow;
    if (!d->dicom_first_us)
        d->dicom_first_us = ev->ts_us ? ev->ts_us : 1;
    /* an association requested during the learning period and accepted after it is still learned */
    uint64_t t = e->kind == DICOM_EV_ACCEPT && as->start_us ? as->start_us : ev->ts_us;
    bool learning = t < d->dicom_first_us + (uint64_t)d->cfg.dicom_learning * 1000000;
    char pair[2 * DICOM_AE_MAX + 2];
    snprintf(pair, sizeof(pair), "%s\\%s", as->calling_ae, as->called_ae); /* '\' is not allowed in an AE */
    struct dkey k = {.a = f->client, .b = f->server, .x = dkey_str(&d->matrix, pair)};
    if (learning) {
        if (e->kind == DICOM_EV_ACCEPT)
            dtable_get(d, &d->matrix, &k, true);
        return;
    }
    if (e->kind != DICOM_EV_REQUEST)
        return;
    if (dtable_get(d, &d->matrix, &k, false))
        return; /* known (and now seen again) */
    if (detect_ae_known(d, as->calling_ae, &f->client) && detect_ae_known(d, as->called_ae, &f->server))
        return;
    struct matrix_entry *m = dtable_get(d, &d->matrix, &k, true);
    if (m)
        m->alerted = 1;
    struct alert_event a;
    alert_init(&a, SID_DICOM_NEW_PEER, ev);
    str_copy_utf8(a.calling_ae, sizeof(a.calling_ae), as->calling_ae);
    str_copy_utf8(a.called_ae, sizeof(a.called_ae), as->called_ae);
    a.count = 1;
    const char *retrieve = NULL;
    for (uint16_t i = 0; i < as->n_pctx && !retrieve; i++)
        if (as->pctx[i].proposed && is_retrieve(as->pctx[i].abstract))
            retrieve = as->pctx[i].abstract;
    if (retrieve) {
        a.severity = 1;
        snprintf(a.detail, sizeof(a.detail), "new association tuple proposing Q/R retrieval %s", retrieve);
    } else {
        str_copy_utf8(a.detail, sizeof(a.detail), "new association tuple (calling AE, called AE, client, server)");
    }
    detect_alert(d, &a, ev->ts_us);
}
