/*
 * chain.c - the lateral-movement chain: an executable written to an admin
 * share (§7.5), a remote service created or a Kwampirs service named (§7.6,
 * §7.7) — and, once the HTTP parser exists, C2 contact (§7.1-4) — from the
 * same source within detect.chain.window is ONE severity-1 alert.  It names
 * every step (signature id, flow id, target host, file or service) so the
 * alerts it summarises can be found by signature id and flow id, and every
 * target host.  Any two different kinds of step are enough (issue 10): the
 * upload and the service need not be on the same host, though with PsExec and
 * with Kwampirs (§2.1 P1, P5, P9) they usually are.
 *
 * State per source: the last ALERT_MAX_STEPS steps.  The chain is reported
 * once per window; steps that arrive after it are kept (they show in the next
 * report, a window later, if the spread goes on).
 */
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "detect/detect_int.h"

enum { KIND_WRITE = 1, KIND_SERVICE = 2 };

struct chain_step {
    uint32_t sid;
    uint64_t flow_id, ts;
    struct ip_addr dst;
    char what[64];
};

struct chain_entry {
    struct dentry e;
    uint8_t n;
    bool fired;
    uint64_t fired_us;
    struct chain_step s[ALERT_MAX_STEPS];
};
_Static_assert(sizeof(struct chain_entry) <= DETECT_ENTRY_SIZE, "chain entry too large");

static uint8_t step_kind(uint32_t sid)
{
    return sid == SID_ADMIN_SHARE_EXE ? KIND_WRITE : KIND_SERVICE;
}

static void chain_add(struct detect_ctx *d, const struct alert_event *step, bool only_after_write)
{
    if (!step->sig)
        return;
    const uint64_t window = (uint64_t)d->cfg.chain_window * 1000000;
    struct dkey k = {.a = step->src};
    struct chain_entry *c = dtable_get(d, &d->chain, &k, !only_after_write);
    if (!c)
        return;
    if (only_after_write) {
        bool write = false;
        for (uint8_t i = 0; i < c->n; i++)
            write |= c->s[i].sid == SID_ADMIN_SHARE_EXE && c->s[i].ts + window >= step->first_us;
        if (!write)
            return;
    }
    /* forget steps that left the window */
    uint8_t keep = 0;
    for (uint8_t i = 0; i < c->n; i++)
        if (c->s[i].ts + window >= step->first_us)
            c->s[keep++] = c->s[i];
    c->n = keep;
    if (c->fired && step->first_us > c->fired_us + window)
        c->fired = false;
    if (c->n == ALERT_MAX_STEPS) {
        memmove(&c->s[0], &c->s[1], sizeof(c->s[0]) * (ALERT_MAX_STEPS - 1));
        c->n--;
    }
    struct chain_step *s = &c->s[c->n++];
    memset(s, 0, sizeof(*s));
    s->sid = step->sig->sid;
    s->flow_id = step->flow_id;
    s->ts = step->first_us;
    s->dst = step->dst;
    char what[ALERT_STR + 64];
    if (step->sig->sid == SID_ADMIN_SHARE_EXE)
        snprintf(what, sizeof(what), "file %s", step->filename);
    else
        snprintf(what, sizeof(what), "%s %s", step->operation[0] ? step->operation : "service", step->service_name);
    str_copy_utf8(s->what, sizeof(s->what), what);

    uint8_t kinds = 0;
    for (uint8_t i = 0; i < c->n; i++)
        kinds |= step_kind(c->s[i].sid);
    if (c->fired || kinds != (KIND_WRITE | KIND_SERVICE))
        return;
    c->fired = true;
    c->fired_us = step->first_us;

    struct alert_event a;
    alert_init(&a, SID_CHAIN, NULL);
    a.src = step->src;
    a.first_us = c->s[0].ts;
    a.last_us = step->first_us;
    a.window_s = d->cfg.chain_window;
    a.count = c->n;
    for (uint8_t i = 0; i < c->n; i++) {
        struct alert_step *as = &a.steps[a.n_steps++];
        as->sid = c->s[i].sid;
        as->flow_id = c->s[i].flow_id;
        as->ts_us = c->s[i].ts;
        as->dst = c->s[i].dst;
        str_copy_utf8(as->what, sizeof(as->what), c->s[i].what);
        alert_add_host(&a, &c->s[i].dst);
        alert_add_flow(&a, c->s[i].flow_id);
    }
    /* the header is the step that completed the chain (its flow, its target); evidence has them all */
    a.dst = step->dst;
    a.src_port = step->src_port;
    a.dst_port = step->dst_port;
    a.proto = step->proto;
    a.app_proto = step->app_proto;
    a.flow_id = step->flow_id;
    snprintf(a.detail, sizeof(a.detail), "admin-share executable write and remote service from one source, %u step%s",
             a.n_steps, a.n_steps == 1 ? "" : "s");
    detect_alert(d, &a, step->first_us);
}

void det_chain_step(struct detect_ctx *d, const struct alert_event *step)
{
    chain_add(d, step, false);
}

void det_chain_step_if_open(struct detect_ctx *d, const struct alert_event *step)
{
    chain_add(d, step, true);
}
