/*
 * ae_bruteforce.c - KWAMPIRS.md §7.14: AE-title brute force.
 *
 * The Called AE title works as a password (nmap's dicom-brute, S19, §5.4):
 * an SCP that checks it answers a wrong one with A-ASSOCIATE-RJ, source 1
 * (service user), reason 7 (called AE not recognised) or 3 (calling AE not
 * recognised) [PS3.8 Table 9-21].
 *  - 9300141: each such rejection, at low severity (a misconfigured modality
 *    looks the same once).
 *  - 9300140: at least detect.dicom.ae-brute-force.count distinct Called AE
 *    titles rejected for one source within the window: cycling titles is what
 *    a misconfiguration does not do (it repeats one).
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define AEREJ_MAX 12 /* = the highest detect.dicom.ae-brute-force.count */

struct aerej_entry {
    struct dentry e;
    bool fired;
    uint64_t fired_us;
    uint8_t n;
    struct {
        char ae[ALERT_AE];
        uint64_t ts, flow_id;
        struct ip_addr host;
    } r[AEREJ_MAX];
};
_Static_assert(sizeof(struct aerej_entry) <= DETECT_ENTRY_SIZE, "aerej entry too large");

void det_ae_bruteforce(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    if (!ev->flow || e->kind != DICOM_EV_REJECT)
        return;
    const struct dicom_assoc *as = e->assoc;
    if (as->rj_source != 1 || (as->rj_reason != 3 && as->rj_reason != 7))
        return;
    struct alert_event a;
    alert_init(&a, SID_AE_REJECTED, ev);
    str_copy_utf8(a.calling_ae, sizeof(a.calling_ae), as->calling_ae);
    str_copy_utf8(a.called_ae, sizeof(a.called_ae), as->called_ae);
    str_copy_utf8(a.detail, sizeof(a.detail),
                  as->rj_reason == 7 ? "called AE title not recognised" : "calling AE title not recognised");
    a.count = 1;
    detect_alert(d, &a, ev->ts_us);

    const uint64_t window = (uint64_t)d->cfg.ae_brute_window * 1000000;
    struct dkey k = {.a = ev->flow->client};
    struct aerej_entry *r = dtable_get(d, &d->aerej, &k, true);
    if (!r)
        return;
    uint8_t keep = 0, idx = 0xff;
    for (uint8_t i = 0; i < r->n; i++)
        if (r->r[i].ts + window >= ev->ts_us)
            r->r[keep++] = r->r[i];
    r->n = keep;
    if (r->fired && ev->ts_us > r->fired_us + window)
        r->fired = false;
    for (uint8_t i = 0; i < r->n; i++)
        if (strcmp(r->r[i].ae, as->called_ae) == 0)
            idx = i;
    if (idx == 0xff) {
        if (r->n == AEREJ_MAX) {
            memmove(&r->r[0], &r->r[1], sizeof(r->r[0]) * (AEREJ_MAX - 1));
            r->n--;
        }
        idx = r->n++;
        str_copy_utf8(r->r[idx].ae, sizeof(r->r[idx].ae), as->called_ae);
    }
    r->r[idx].ts = ev->ts_us;
    r->r[idx].flow_id = ev->flow->flow_id;
    r->r[idx].host = ev->flow->server;
    if (r->fired || r->n < d->cfg.ae_brute_count)
        return;
    r->fired = true;
    r->fired_us = ev->ts_us;
    alert_init(&a, SID_AE_BRUTE, ev);
    str_copy_utf8(a.calling_ae, sizeof(a.calling_ae), as->calling_ae);
    a.first_us = r->r[0].ts;
    a.count = r->n;
    a.threshold = d->cfg.ae_brute_count;
    a.window_s = d->cfg.ae_brute_window;
    for (uint8_t i = 0; i < r->n; i++) {
        if (a.n_aes < ALERT_MAX_AES)
            str_copy_utf8(a.aes[a.n_aes++], ALERT_AE, r->r[i].ae);
        alert_add_host(&a, &r->r[i].host);
        alert_add_flow(&a, r->r[i].flow_id);
    }
    detect_alert(d, &a, ev->ts_us);
}
