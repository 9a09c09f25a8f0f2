/*
 * dicom_scanner.c - KWAMPIRS.md §7.13: DICOM scanner and tool fingerprints.
 *
 *  - 9300130: an A-ASSOCIATE-RQ with nmap's dicom-ping/dicom-brute defaults
 *    (S19, §4.3): Called AE ANY-SCP, Calling AE ECHOSCU, and Implementation
 *    Version OFFIS_DCMTK_362 or Implementation Class UID
 *    1.2.276.0.7230010.3.0.3.6.2.  Real DCMTK echoscu sends the same AE
 *    titles but its own release in the version name, which is why all three
 *    are required.
 *  - 9300131: a Calling or Called AE title on an `ae-title` indicator list
 *    (rules/dicom-tools.txt ships the DICOM tools' default titles), unless the
 *    pair (calling AE, source address) is in detect.allow.dicom-ae: an
 *    administrator's echoscu from a known workstation is listed there.
 * The "association opened and closed without P-DATA" probe of §7.13 is not
 * implemented yet.
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

static void fill(struct alert_event *a, const struct dicom_assoc *as)
{
    str_copy_utf8(a->calling_ae, sizeof(a->calling_ae), as->calling_ae);
    str_copy_utf8(a->called_ae, sizeof(a->called_ae), as->called_ae);
    a->count = 1;
}

void det_dicom_scanner(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    if (!ev->flow || e->kind != DICOM_EV_REQUEST)
        return;
    const struct dicom_assoc *as = e->assoc;
    const struct dicom_user_info *ui = &as->ui_rq;
    struct alert_event a;
    if (strcmp(as->called_ae, "ANY-SCP") == 0 && strcmp(as->calling_ae, "ECHOSCU") == 0 &&
        (strcmp(ui->impl_version, "OFFIS_DCMTK_362") == 0 ||
         strcmp(ui->impl_class_uid, "1.2.276.0.7230010.3.0.3.6.2") == 0)) {
        alert_init(&a, SID_DICOM_NMAP, ev);
        fill(&a, as);
        str_copy_utf8(a.detail, sizeof(a.detail), ui->impl_version[0] ? ui->impl_version : ui->impl_class_uid);
        detect_alert(d, &a, ev->ts_us);
        return;
    }
    if (detect_ae_known(d, as->calling_ae, &ev->flow->client))
        return;
    const struct ioc_entry *hit = rules_match(&d->rules, IOC_AE_TITLE, as->calling_ae);
    if (!hit)
        hit = rules_match(&d->rules, IOC_AE_TITLE, as->called_ae);
    if (!hit)
        return;
    alert_init(&a, SID_DICOM_TOOL_AE, ev);
    fill(&a, as);
    str_copy_utf8(a.indicator, sizeof(a.indicator), hit->value);
    str_copy_utf8(a.indicator_type, sizeof(a.indicator_type), "ae-title");
    str_copy_utf8(a.indicator_list, sizeof(a.indicator_list), rules_list_name(&d->rules, hit->list));
    detect_alert(d, &a, ev->ts_us);
}
