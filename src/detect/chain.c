/*
 * chain.c - the Kwampirs chain: an executable written to an admin share
 * (§7.5), a remote service created or a Kwampirs service named (§7.6, §7.7),
 * and C2 contact (§7.1-7.4) within detect.chain.window are ONE severity-1
 * alert per source.  It names every step (signature id, flow id, target host,
 * file, service or C2 destination) so the alerts it summarises can be found by
 * signature id and flow id, and every target host and C2 destination.  Any two
 * different kinds of step are enough (issue 10): the upload and the service
 * need not be on the same host, though with PsExec and with Kwampirs (§2.1 P1,
 * P5, P9) they usually are.
 *
 * Which host does what (KWAMPIRS.md §2.1, §2.2): the infected host spreads
 * (it writes to ADMIN$ and creates the service on its target), and every
 * infected host beacons to its C2.  So a C2 step counts for the chain of its
 * own source (an infected host that spreads and beacons), and — the host it
 * comes from having been the target of a write or a service from S within the
 * window — for the chain of S too: S spread to it and now it calls out.  The
 * chain alert's source is the host that spread; the C2 step names the host
 * that beaconed and where to.  C2 steps: 9300010/11, 9300020-22, 9300030,
 * 9300040 (not the IP-alone list hit 9300023 nor the beacon 9300320: too weak
 * to promote an administrator's push install to severity 1).
 *
 * State per source: the last ALERT_MAX_STEPS steps; per target: the source
 * that last wrote or made a service on it.  The chain is reported once per
 * window, and once more when a kind of step it did not have joins (the C2
 * contact that follows a spread: the second report names the C2 destination);
 * other steps that arrive after it are kept (they show in the next report, a
 * window later, if the spread goes on).
 */
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "detect/detect_int.h"

enum { KIND_WRITE = 1, KIND_SERVICE = 2, KIND_C2 = 4 };

struct chain_step {
    uint32_t sid;
    uint64_t flow_id, ts;
    struct ip_addr dst;
    char what[64];
};

struct chain_entry {
    struct dentry e;
    uint8_t n;
    uint8_t fired; /* the kinds of step the last report had (0 = none in this window) */
    uint64_t fired_us;
    struct chain_step s[ALERT_MAX_STEPS];
};
_Static_assert(sizeof(struct chain_entry) <= DETECT_ENTRY_SIZE, "chain entry too large");

struct infected_entry {
    struct dentry e;
    struct ip_addr by; /* the source of the last write or service on this host */
};
_Static_assert(sizeof(struct infected_entry) <= DETECT_ENTRY_SIZE, "infected entry too large");

static bool is_c2(uint32_t sid)
{
    switch (sid) {
    case SID_C2_HTTP:
    case SID_C2_HTTP_K:
    case SID_C2_DOMAIN:
    case SID_C2_URL:
    case SID_C2_IP_PATH:
    case SID_C2_NAME:
    case SID_C2_FALLBACK: return true;
    default: return false;
    }
}

static uint8_t step_kind(uint32_t sid)
{
    return sid == SID_ADMIN_SHARE_EXE ? KIND_WRITE : is_c2(sid) ? KIND_C2 : KIND_SERVICE;
}

static unsigned popcount3(uint8_t k)
{
    return (unsigned)((k & 1) + ((k >> 1) & 1) + ((k >> 2) & 1));
}

/* A step of owner's chain (owner = step->src, or the host that spread to step->src for a C2 step). */
static void chain_add(struct detect_ctx *d, const struct ip_addr *owner, const struct alert_event *step,
                      bool only_after_write)
{
    if (!step->sig)
        return;
    const uint64_t window = (uint64_t)d->cfg.chain_window * 1000000;
    struct dkey k = {.a = *owner};
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
        c->fired = 0;
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
    char what[3 * ALERT_STR];
    if (step->sig->sid == SID_ADMIN_SHARE_EXE) {
        snprintf(what, sizeof(what), "file %s", step->filename);
    } else if (is_c2(step->sig->sid)) {
        char from[IP_ADDR_STRLEN], to[IP_ADDR_STRLEN];
        ip_addr_str(&step->src, from, sizeof(from));
        ip_addr_str(&step->dst, to, sizeof(to));
        bool both = step->hostname[0] && step->dst.family && strcmp(step->hostname, to) != 0;
        if (!step->hostname[0] && !step->dst.family) /* 9300040: many raw IPs */
            snprintf(what, sizeof(what), "C2 from %s to %u raw IPs", from, step->count);
        else
            snprintf(what, sizeof(what), "C2 from %s to %s%s%s%s", from, step->hostname[0] ? step->hostname : to,
                     both ? " (" : "", both ? to : "", both ? ")" : "");
    } else
        snprintf(what, sizeof(what), "%s %s", step->operation[0] ? step->operation : "service", step->service_name);
    str_copy_utf8(s->what, sizeof(s->what), what);

    uint8_t kinds = 0;
    for (uint8_t i = 0; i < c->n; i++)
        kinds |= step_kind(c->s[i].sid);
    /* reported once per window, and again when a new kind of step joins (C2 contact after the spread) */
    if (popcount3(kinds) < 2 || (kinds & ~c->fired) == 0)
        return;
    c->fired = kinds;
    c->fired_us = step->first_us;

    struct alert_event a;
    alert_init(&a, SID_CHAIN, NULL);
    a.src = *owner;
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
    /* the detail names the kinds of step and the (last) C2 destination */
    const char *c2 = NULL;
    for (uint8_t i = 0; i < c->n; i++)
        if (step_kind(c->s[i].sid) == KIND_C2)
            c2 = c->s[i].what;
    snprintf(
        a.detail, sizeof(a.detail), "%s%s%s, %u step%s%s%s", (kinds & KIND_WRITE) ? "admin-share executable write" : "",
        (kinds & KIND_SERVICE) ? ((kinds & KIND_WRITE) ? " + remote service" : "remote service") : "",
        (kinds & KIND_C2) ? " + C2 contact" : "", a.n_steps, a.n_steps == 1 ? "" : "s", c2 ? "; " : "", c2 ? c2 : "");
    detect_alert(d, &a, step->first_us);
}

/* Remember who spread to a target, for the C2 step that target may take later. */
static void note_target(struct detect_ctx *d, const struct alert_event *step)
{
    if (!step->dst.family || ip_addr_eq(&step->dst, &step->src))
        return;
    struct dkey k = {.a = step->dst};
    struct infected_entry *t = dtable_get(d, &d->infected, &k, true);
    if (t)
        t->by = step->src;
}

void det_chain_step(struct detect_ctx *d, const struct alert_event *step)
{
    chain_add(d, &step->src, step, false);
    note_target(d, step);
}

void det_chain_step_if_open(struct detect_ctx *d, const struct alert_event *step)
{
    chain_add(d, &step->src, step, true);
}

void det_chain_c2(struct detect_ctx *d, const struct alert_event *step)
{
    if (!step->sig || !is_c2(step->sig->sid))
        return;
    chain_add(d, &step->src, step, false);
    struct dkey k = {.a = step->src};
    const struct infected_entry *t = dtable_get(d, &d->infected, &k, false);
    if (t && t->by.family && !ip_addr_eq(&t->by, &step->src))
        chain_add(d, &t->by, step, false);
}
