/*
 * assoc_exhaust.c - KWAMPIRS.md §7.24: DICOM association exhaustion.
 *
 * PS3.8 has no mandatory idle timeout, so associations held open without
 * doing anything fill an SCP's association pool (S19, §5.4).  Per (client,
 * server) pair the open associations are tracked by flow from the
 * A-ASSOCIATE-RQ to their end (reject, release, abort or close), with
 * whether P-DATA has been seen on them:
 *  - 9300240 (§7.24 as written): at least detect.dicom.exhaustion.count
 *    (10) associations from one source to one SCP open at once without
 *    P-DATA.  Evaluated at each new request.  Severity 2.
 *  - 9300241 [INFERENCE, the "short" side of the same resource]: at least
 *    detect.dicom.exhaustion.short-count (30) associations the SCP accepted
 *    and that ended without any P-DATA within detect.dicom.exhaustion.window
 *    (300 s).  Rejected associations do not count (AE-title guessing is
 *    9300140's).  Severity 2.
 * Each fires at most once per window per pair.  Busy modalities open many
 * parallel associations but each carries P-DATA (C-STORE), which is what
 * tells them apart.  A partial A-ASSOCIATE-RQ (header sent, body stalled:
 * §7.24's second case) produces no event from the parser and is not
 * detected.  P-DATA on a still-open association is known from its DIMSE
 * events (a request answered); one whose first operation is still running
 * counts as idle until then.
 */
#include <string.h>

#include "app/dicom/dicom.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define EXH_OPEN  24 /* = the highest detect.dicom.exhaustion.count */
#define EXH_SHORT 32 /* = the highest detect.dicom.exhaustion.short-count */

struct exh_entry {
    struct dentry e;
    uint8_t n_open, n_short, short_head;
    bool fired_open, fired_short;
    uint64_t fired_open_us, fired_short_us;
    struct {
        uint64_t flow_id, ts;
        bool accepted, pdata;
    } open[EXH_OPEN];
    uint64_t short_ts[EXH_SHORT]; /* ring: ends of accepted associations without P-DATA */
};
_Static_assert(sizeof(struct exh_entry) <= DETECT_ENTRY_SIZE, "exhaust entry too large");

static int find_open(const struct exh_entry *x, uint64_t flow_id)
{
    for (int i = 0; i < x->n_open; i++)
        if (x->open[i].flow_id == flow_id)
            return i;
    return -1;
}

static void close_open(struct exh_entry *x, int i)
{
    x->open[i] = x->open[x->n_open - 1];
    x->n_open--;
}

static void fill(struct alert_event *a, const struct dicom_assoc *as, uint32_t count, uint32_t threshold,
                 uint32_t window)
{
    str_copy_utf8(a->calling_ae, sizeof(a->calling_ae), as->calling_ae);
    str_copy_utf8(a->called_ae, sizeof(a->called_ae), as->called_ae);
    a->count = count;
    a->threshold = threshold;
    a->window_s = window;
}

void det_assoc_exhaust(struct detect_ctx *d, const struct event *ev)
{
    const struct dicom_event *e = ev->body;
    const struct flow *f = ev->flow;
    if (!f)
        return;
    const struct dicom_assoc *as = e->assoc;
    const uint64_t window = (uint64_t)d->cfg.exhaust_window * 1000000;
    struct dkey k = {.a = f->client, .b = f->server};
    struct exh_entry *x = dtable_get(d, &d->exhaust, &k, e->kind == DICOM_EV_REQUEST);
    if (!x)
        return;
    if (x->fired_open && ev->ts_us > x->fired_open_us + window)
        x->fired_open = false;
    if (x->fired_short && ev->ts_us > x->fired_short_us + window)
        x->fired_short = false;
    int i = find_open(x, f->flow_id);
    bool pdata = as->pdus[0][DICOM_PDU_P_DATA] + as->pdus[1][DICOM_PDU_P_DATA] > 0;
    switch (e->kind) {
    case DICOM_EV_REQUEST: {
        if (i < 0) {
            if (x->n_open == EXH_OPEN) { /* full: the oldest goes */
                int old = 0;
                for (int j = 1; j < x->n_open; j++)
                    if (x->open[j].ts < x->open[old].ts)
                        old = j;
                close_open(x, old);
            }
            i = x->n_open++;
        }
        x->open[i].flow_id = f->flow_id;
        x->open[i].ts = ev->ts_us;
        x->open[i].accepted = false;
        x->open[i].pdata = false;
        uint32_t idle = 0;
        for (int j = 0; j < x->n_open; j++)
            idle += !x->open[j].pdata;
        if (x->fired_open || idle < d->cfg.exhaust_count)
            return;
        x->fired_open = true;
        x->fired_open_us = ev->ts_us;
        struct alert_event a;
        alert_init(&a, SID_ASSOC_EXHAUST, ev);
        fill(&a, as, idle, d->cfg.exhaust_count, d->cfg.exhaust_window);
        a.first_us = ev->ts_us;
        for (int j = 0; j < x->n_open; j++)
            if (!x->open[j].pdata) {
                alert_add_flow(&a, x->open[j].flow_id);
                if (x->open[j].ts < a.first_us)
                    a.first_us = x->open[j].ts;
            }
        str_copy_utf8(a.detail, sizeof(a.detail), "concurrent associations held without P-DATA");
        detect_alert(d, &a, ev->ts_us);
        return;
    }
    case DICOM_EV_ACCEPT:
        if (i >= 0)
            x->open[i].accepted = true;
        return;
    case DICOM_EV_DIMSE:
        if (i >= 0)
            x->open[i].pdata = true;
        return;
    case DICOM_EV_REJECT:
    case DICOM_EV_RELEASE:
    case DICOM_EV_ABORT:
    case DICOM_EV_SUMMARY: break;
    }
    if (i < 0)
        return; /* ended already (a summary follows the release/abort) */
    bool short_idle = x->open[i].accepted && !pdata && !x->open[i].pdata;
    close_open(x, i);
    if (!short_idle)
        return;
    x->short_ts[x->short_head] = ev->ts_us;
    x->short_head = (uint8_t)((x->short_head + 1) % EXH_SHORT);
    if (x->n_short < EXH_SHORT)
        x->n_short++;
    uint32_t n = 0;
    uint64_t first = ev->ts_us;
    for (uint8_t j = 0; j < x->n_short; j++)
        if (x->short_ts[j] + window >= ev->ts_us) {
            n++;
            if (x->short_ts[j] < first)
                first = x->short_ts[j];
        }
    if (x->fired_short || n < d->cfg.exhaust_short)
        return;
    x->fired_short = true;
    x->fired_short_us = ev->ts_us;
    struct alert_event a;
    alert_init(&a, SID_ASSOC_CHURN, ev);
    fill(&a, as, n, d->cfg.exhaust_short, d->cfg.exhaust_window);
    a.first_us = first;
    str_copy_utf8(a.detail, sizeof(a.detail), "short associations accepted and ended without P-DATA");
    detect_alert(d, &a, ev->ts_us);
}
