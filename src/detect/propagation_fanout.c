/*
 * propagation_fanout.c - KWAMPIRS.md §7.8: share propagation fan-out.
 *
 * Kwampirs' spread is "fairly aggressive" and "noisy" (§2.1 P1): the same
 * payload goes to host after host.  Two signals:
 *  - 9300080: one source writes the same executable (by SHA-256, else by file
 *    name) to admin shares of, or creates the same service on, at least
 *    detect.fanout.hosts distinct hosts within detect.fanout.window.  Kwampirs
 *    inserts random bytes into each copy (§3), so its hashes differ per host: the
 *    service name is what stays the same.  Fed by admin_share_exe.c and
 *    remote_service.c (steps already past the admin allowlist).
 *  - 9300081: at least detect.fanout.auth-failures failed SMB logons
 *    (STATUS_LOGON_FAILURE, _WRONG_PASSWORD, _NO_SUCH_USER, _ACCOUNT_LOCKED_OUT)
 *    from one source within detect.fanout.auth-failure-window, to any hosts.
 * The thresholds are [INFERENCE] (§7.8): tune them to the site.
 */
#include <string.h>

#include "app/smb/smb.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define US 1000000ULL

struct fanout_entry {
    struct dentry e;
    bool fired;
    uint8_t n;
    struct {
        struct ip_addr host;
        uint64_t ts, flow_id;
    } h[ALERT_MAX_HOSTS];
};
_Static_assert(sizeof(struct fanout_entry) <= DETECT_ENTRY_SIZE, "fanout entry too large");

void det_fanout_step(struct detect_ctx *d, const struct alert_event *step, const char *object)
{
    if (!object || !object[0] || !step->dst.family)
        return;
    const uint64_t window = (uint64_t)d->cfg.fanout_window * US;
    struct dkey k = {.a = step->src, .x = dkey_str(&d->fanout, object) ^ step->sig->sid};
    struct fanout_entry *f = dtable_get(d, &d->fanout, &k, true);
    if (!f)
        return;
    uint8_t keep = 0, idx = 0xff;
    for (uint8_t i = 0; i < f->n; i++)
        if (f->h[i].ts + window >= step->first_us)
            f->h[keep++] = f->h[i];
    f->n = keep;
    if (!f->n)
        f->fired = false;
    for (uint8_t i = 0; i < f->n; i++)
        if (ip_addr_eq(&f->h[i].host, &step->dst))
            idx = i;
    if (idx == 0xff) {
        if (f->n == ALERT_MAX_HOSTS) {
            memmove(&f->h[0], &f->h[1], sizeof(f->h[0]) * (ALERT_MAX_HOSTS - 1));
            f->n--;
        }
        idx = f->n++;
        f->h[idx].host = step->dst;
    }
    f->h[idx].ts = step->first_us;
    f->h[idx].flow_id = step->flow_id;
    if (f->fired || f->n < d->cfg.fanout_hosts)
        return;
    f->fired = true;
    struct alert_event a;
    alert_init(&a, SID_FANOUT, NULL);
    a.src = step->src;
    a.first_us = f->h[0].ts;
    a.last_us = step->first_us;
    a.count = f->n;
    a.threshold = d->cfg.fanout_hosts;
    a.window_s = d->cfg.fanout_window;
    for (uint8_t i = 0; i < f->n; i++) {
        alert_add_host(&a, &f->h[i].host);
        alert_add_flow(&a, f->h[i].flow_id);
    }
    memcpy(a.filename, step->filename, sizeof(a.filename));
    memcpy(a.sha256, step->sha256, sizeof(a.sha256));
    memcpy(a.service_name, step->service_name, sizeof(a.service_name));
    memcpy(a.binary_path, step->binary_path, sizeof(a.binary_path));
    str_copy_utf8(a.detail, sizeof(a.detail),
                  step->sig->sid == SID_ADMIN_SHARE_EXE ? "the same executable written to admin shares of many hosts"
                                                        : "the same service created on many hosts");
    detect_alert(d, &a, step->first_us);
}

#define STATUS_LOGON_FAILURE       0xc000006du
#define STATUS_WRONG_PASSWORD      0xc000006au
#define STATUS_NO_SUCH_USER        0xc0000064u
#define STATUS_ACCOUNT_LOCKED_OUT  0xc0000234u
#define SMB1_COMMAND_SESSION_SETUP 0x73

struct authfail_entry {
    struct dentry e;
    bool fired;
    uint64_t fired_us;
    struct det_ring ring;
    uint8_t n_hosts;
    struct ip_addr hosts[ALERT_MAX_HOSTS];
    uint8_t n_flows;
    uint64_t flows[ALERT_MAX_HOSTS];
};
_Static_assert(sizeof(struct authfail_entry) <= DETECT_ENTRY_SIZE, "authfail entry too large");

void det_auth_failures(struct detect_ctx *d, const struct event *ev)
{
    const struct smb_event *e = ev->body;
    bool setup = (e->version == 2 && e->command == SMB2_SESSION_SETUP) ||
                 (e->version == 1 && e->command == SMB1_COMMAND_SESSION_SETUP);
    if (!ev->flow || !setup || !e->has_status || e->dos_error)
        return;
    if (e->status != STATUS_LOGON_FAILURE && e->status != STATUS_WRONG_PASSWORD && e->status != STATUS_NO_SUCH_USER &&
        e->status != STATUS_ACCOUNT_LOCKED_OUT)
        return;
    const uint64_t window = (uint64_t)d->cfg.authfail_window * US;
    struct dkey k = {.a = ev->flow->client};
    struct authfail_entry *f = dtable_get(d, &d->authfail, &k, true);
    if (!f)
        return;
    det_ring_add(&f->ring, ev->ts_us);
    bool known = false;
    for (uint8_t i = 0; i < f->n_hosts; i++)
        known |= ip_addr_eq(&f->hosts[i], &ev->flow->server);
    if (!known && f->n_hosts < ALERT_MAX_HOSTS)
        f->hosts[f->n_hosts++] = ev->flow->server;
    if (f->n_flows < ALERT_MAX_HOSTS && (!f->n_flows || f->flows[f->n_flows - 1] != ev->flow->flow_id))
        f->flows[f->n_flows++] = ev->flow->flow_id;
    if (f->fired && ev->ts_us > f->fired_us + window)
        f->fired = false;
    uint32_t n = det_ring_count(&f->ring, ev->ts_us, window);
    if (f->fired || n < d->cfg.authfail_count)
        return;
    f->fired = true;
    f->fired_us = ev->ts_us;
    struct alert_event a;
    alert_init(&a, SID_AUTH_FAIL_BURST, ev);
    a.first_us = f->e.first_us;
    a.count = n;
    a.threshold = d->cfg.authfail_count;
    a.window_s = d->cfg.authfail_window;
    for (uint8_t i = 0; i < f->n_hosts; i++)
        alert_add_host(&a, &f->hosts[i]);
    for (uint8_t i = 0; i < f->n_flows; i++)
        alert_add_flow(&a, f->flows[i]);
    str_copy_utf8(a.detail, sizeof(a.detail), "failed SMB logons (user names are in the smb events)");
    detect_alert(d, &a, ev->ts_us);
}
