/*
 * detect.c - the detection engine (see detect.h): set-up from detect.*,
 * dispatch by event type, state tables, network lists, and the alert path
 * (enable, severity override, per-(signature, source) rate limit, publish).
 */
#include "detect/detect.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/app.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define US 1000000ULL

/* ---- state tables ---------------------------------------------------------------------------- */

static uint64_t random_seed(const void *salt)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        s = (uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 32);
    }
    return hash_mix64(s ^ (uintptr_t)salt);
}

int dtable_init(struct detect_ctx *d, struct dtable *t, const char *name, size_t entry_size, uint32_t buckets,
                uint64_t timeout_us)
{
    memset(t, 0, sizeof(*t));
    t->name = name;
    t->entry_size = entry_size;
    t->timeout_us = timeout_us;
    t->seed = random_seed(t);
    t->buckets = mc_calloc(&d->mc, (size_t)buckets * sizeof(*t->buckets));
    if (!t->buckets)
        return -1;
    t->mask = buckets - 1;
    return 0;
}

void dtable_free(struct detect_ctx *d, struct dtable *t)
{
    if (!t->buckets)
        return;
    for (uint32_t i = 0; i <= t->mask; i++)
        for (struct dentry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            mc_free(&d->mc, e, t->entry_size);
        }
    mc_free(&d->mc, t->buckets, (size_t)(t->mask + 1) * sizeof(*t->buckets));
    t->buckets = NULL;
    t->n = 0;
}

static uint32_t dkey_bucket(const struct dtable *t, const struct dkey *k)
{
    uint8_t buf[2 * 17 + 8];
    memcpy(buf, k->a.b, 16);
    buf[16] = k->a.family;
    memcpy(buf + 17, k->b.b, 16);
    buf[33] = k->b.family;
    memcpy(buf + 34, &k->x, 8);
    return (uint32_t)hash_bytes(buf, sizeof(buf), t->seed) & t->mask;
}

static bool dkey_eq(const struct dkey *x, const struct dkey *y)
{
    return x->x == y->x && ip_addr_eq(&x->a, &y->a) && ip_addr_eq(&x->b, &y->b);
}

void dtable_expire(struct detect_ctx *d, struct dtable *t, uint64_t now_us)
{
    if (!t->buckets)
        return;
    for (uint32_t i = 0; i <= t->mask; i++) {
        struct dentry **pp = &t->buckets[i];
        while (*pp) {
            struct dentry *e = *pp;
            if (e->last_us + t->timeout_us < now_us) {
                *pp = e->next;
                mc_free(&d->mc, e, t->entry_size);
                t->n--;
            } else {
                pp = &e->next;
            }
        }
    }
}

static void sweep_all(struct detect_ctx *d)
{
    struct dtable *tables[] = {&d->rate,  &d->chain, &d->fanout,   &d->authfail, &d->recon,  &d->smb1,    &d->aerej,
                               &d->cfind, &d->assoc, &d->fallback, &d->egress,   &d->beacon, &d->infected};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        dtable_expire(d, tables[i], d->now_us);
    /* files and DICOM peers */
    dtable_expire(d, &d->matrix, d->now_us);
    dtable_expire(d, &d->exhaust, d->now_us);
    dtable_expire(d, &d->hl7snd, d->now_us);
    dtable_expire(d, &d->hl7ctl, d->now_us);
}

void *dtable_get(struct detect_ctx *d, struct dtable *t, const struct dkey *k, bool create)
{
    uint32_t b = dkey_bucket(t, k);
    for (struct dentry *e = t->buckets[b]; e; e = e->next)
        if (dkey_eq(&e->key, k)) {
            if (e->last_us + t->timeout_us < d->now_us) {
                /* idle past its timeout but not swept yet: start over */
                uint64_t keep = d->now_us;
                struct dentry *next = e->next;
                memset(e, 0, t->entry_size);
                e->next = next;
                e->key = *k;
                e->first_us = keep;
            }
            e->last_us = d->now_us;
            return e;
        }
    if (!create)
        return NULL;
    struct dentry *e = mc_calloc(&d->mc, t->entry_size);
    if (!e) {
        sweep_all(d); /* make room from idle state first */
        e = mc_calloc(&d->mc, t->entry_size);
    }
    if (!e) {
        d->stats.memcap_hits++;
        return NULL;
    }
    e->key = *k;
    e->first_us = e->last_us = d->now_us;
    e->next = t->buckets[b];
    t->buckets[b] = e;
    t->n++;
    return e;
}

uint64_t dkey_str(const struct dtable *t, const char *s)
{
    char buf[512];
    size_t n = 0;
    for (; s[n] && n < sizeof(buf); n++)
        buf[n] = (s[n] >= 'A' && s[n] <= 'Z') ? (char)(s[n] + 32) : s[n];
    return hash_bytes(buf, n, t->seed ^ 0x5bd1e995u);
}

/* ---- lists ------------------------------------------------------------------------------------ */

static int parse_addr(const char *s, struct ip_addr *a)
{
    uint8_t b[16];
    if (inet_pton(AF_INET, s, b) == 1) {
        ip_addr_set4(a, b);
        return 4;
    }
    if (inet_pton(AF_INET6, s, b) == 1) {
        ip_addr_set6(a, b);
        return 6;
    }
    return 0;
}

/* "10.0.0.0/8, 192.168.1.7, fc00::/7" -> list.  key names the configuration key in errors. */
static int parse_netlist(struct detect_netlist *l, const char *key, const char *text, char *err, size_t errlen)
{
    memset(l, 0, sizeof(*l));
    char buf[DETECT_LIST_LEN];
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        if (l->n == DETECT_MAX_NETS) {
            snprintf(err, errlen, "%s: more than %d entries", key, DETECT_MAX_NETS);
            return -1;
        }
        struct detect_net *n = &l->e[l->n];
        char *slash = strchr(tok, '/');
        long bits = -1;
        if (slash) {
            char *end;
            *slash = '\0';
            bits = strtol(slash + 1, &end, 10);
            if (!slash[1] || *end)
                bits = -2;
        }
        int fam = parse_addr(tok, &n->addr);
        long maxbits = fam == 4 ? 32 : 128;
        if (!fam || bits < -1 || bits > maxbits) {
            snprintf(err, errlen, "%s: '%s%s%s' is not an address or CIDR block", key, tok, slash ? "/" : "",
                     slash ? slash + 1 : "");
            return -1;
        }
        if (bits == -1)
            bits = maxbits;
        n->bits = (uint8_t)(fam == 4 ? bits + 96 : bits);
        l->n++;
    }
    return 0;
}

bool detect_net_match(const struct detect_netlist *l, const struct ip_addr *a)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const struct detect_net *n = &l->e[i];
        if (n->addr.family != a->family)
            continue;
        unsigned full = n->bits / 8, rest = n->bits % 8;
        if (memcmp(n->addr.b, a->b, full) != 0)
            continue;
        if (rest && ((n->addr.b[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rest))))
            continue;
        return true;
    }
    return false;
}

/* "RADWS01@10.1.2.3, CT_SCANNER1@10.1.2.4" */
static int parse_ae_pairs(struct detect_ctx *d, const char *text, char *err, size_t errlen)
{
    char buf[DETECT_LIST_LEN];
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        char *at = strrchr(tok, '@');
        if (d->n_ae_pairs == DETECT_MAX_AE_PAIRS) {
            snprintf(err, errlen, "detect.allow.dicom-ae: more than %d entries", DETECT_MAX_AE_PAIRS);
            return -1;
        }
        struct detect_ae_pair *p = &d->ae_pairs[d->n_ae_pairs];
        if (!at || at == tok || at - tok > 16 || !parse_addr(at + 1, &p->addr)) {
            snprintf(err, errlen, "detect.allow.dicom-ae: '%s' is not AE@address", tok);
            return -1;
        }
        snprintf(p->ae, sizeof(p->ae), "%.*s", (int)(at - tok), tok);
        d->n_ae_pairs++;
    }
    return 0;
}

bool detect_ae_known(const struct detect_ctx *d, const char *ae, const struct ip_addr *a)
{
    for (uint32_t i = 0; i < d->n_ae_pairs; i++)
        if (strcmp(d->ae_pairs[i].ae, ae) == 0 && ip_addr_eq(&d->ae_pairs[i].addr, a))
            return true;
    return false;
}

static int sig_index(uint32_t sid)
{
    for (size_t i = 0; i < detect_n_sigs; i++)
        if (detect_sigs[i].sid == sid)
            return (int)i;
    return -1;
}

/* "9300210, 9300131" */
static int parse_disable(struct detect_ctx *d, const char *text, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        int i = sig_index((uint32_t)strtoul(tok, NULL, 10));
        if (i < 0) {
            snprintf(err, errlen, "detect.signatures.disable: '%s' is not a signature id (docs/DETECTIONS.md)", tok);
            return -1;
        }
        d->disabled[i] = true;
    }
    return 0;
}

/* "9300210=2, 9300050=1" */
static int parse_severity(struct detect_ctx *d, const char *text, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        char *eq = strchr(tok, '=');
        int i = -1;
        unsigned long sev = 0;
        if (eq) {
            *eq = '\0';
            i = sig_index((uint32_t)strtoul(tok, NULL, 10));
            char *end;
            sev = strtoul(eq + 1, &end, 10);
            if (!eq[1] || *end)
                sev = 0;
        }
        if (i < 0 || sev < 1 || sev > 3) {
            snprintf(err, errlen, "detect.signatures.severity: '%s' is not <signature id>=<1..3>", tok);
            return -1;
        }
        d->sev_override[i] = (uint8_t)sev;
    }
    return 0;
}

/* The shipped indicator lists for detect.rules-dir "auto": the first directory that exists of
 * <binary's dir>/../rules and <binary's dir>/../../rules (the source tree: build/medsentry, build/asan/medsentry),
 * MEDSENTRY_DATADIR/rules, /usr/share/medsentry/rules, and ./rules.  False if none does. */
bool detect_find_rules_dir(char *out, size_t cap)
{
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const up[] = {"/../rules", "/../../rules"};
        for (size_t i = 0; i < sizeof(up) / sizeof(up[0]); i++) {
            int w = snprintf(out, cap, "%s%s", exe, up[i]);
            struct stat st;
            if (w > 0 && (size_t)w < cap && stat(out, &st) == 0 && S_ISDIR(st.st_mode))
                return true;
        }
    }
    static const char *const fixed[] = {MEDSENTRY_DATADIR "/rules", "/usr/share/medsentry/rules", "rules"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        struct stat st;
        if (stat(fixed[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(out, cap, "%s", fixed[i]);
            return true;
        }
    }
    out[0] = '\0';
    return false;
}

static int parse_cfg(struct detect_ctx *d, bool quiet, char *err, size_t errlen)
{
    const struct detect_cfg *c = &d->cfg;
    if (parse_netlist(&d->imaging, "detect.zones.imaging", c->imaging_nets, err, errlen) < 0 ||
        parse_netlist(&d->internal, "detect.zones.internal", c->internal_nets, err, errlen) < 0 ||
        parse_netlist(&d->admin, "detect.allow.admin-hosts", c->admin_hosts, err, errlen) < 0 ||
        parse_netlist(&d->move_requesters, "detect.allow.dicom-move-requesters", c->move_requesters, err, errlen) < 0 ||
        parse_ae_pairs(d, c->dicom_aes, err, errlen) < 0 || parse_disable(d, c->disable, err, errlen) < 0 ||
        parse_severity(d, c->severity, err, errlen) < 0 ||
        parse_netlist(&d->egress_allow, "detect.allow.egress-hosts", c->egress_hosts, err, errlen) < 0 ||
        parse_netlist(&d->dicom_external, "detect.allow.dicom-external", c->dicom_external, err, errlen) < 0 ||
        parse_netlist(&d->guest, "detect.zones.guest", c->guest_nets, err, errlen) < 0 ||
        parse_netlist(&d->hl7_senders, "detect.allow.hl7-senders", c->hl7_senders, err, errlen) < 0 ||
        parse_netlist(&d->hl7_lis, "detect.hl7.lis-hosts", c->hl7_lis, err, errlen) < 0)
        return -1;
    /* "auto" (the default) looks for the shipped lists where a build or an installation puts them; when there
     * are none the sensor still runs, without indicators, and says so (stats.detect.indicators is 0).  A directory
     * the operator named must exist. */
    if (strcmp(c->rules_dir, DETECT_DEFAULT_RULES_DIR) == 0) {
        char dir[sizeof(c->rules_dir)];
        if (!detect_find_rules_dir(dir, sizeof(dir))) {
            if (!quiet)
                log_warn("detect.rules-dir: no rules directory beside the binary, in " MEDSENTRY_DATADIR
                         "/rules, /usr/share/medsentry/rules or ./rules: no indicator lists loaded");
            return 0;
        }
        return rules_load_dir(&d->rules, dir, err, errlen);
    }
    return rules_load_dir(&d->rules, c->rules_dir, err, errlen);
}

int detect_check(const struct detect_cfg *cfg, char *err, size_t errlen)
{
    struct detect_ctx *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    d->cfg = *cfg;
    int rc = parse_cfg(d, false, err, errlen);
    rules_free(&d->rules);
    free(d);
    return rc;
}

struct rate_entry {
    struct dentry e;
    uint64_t window_start;
    uint32_t count, suppressed;
};

/* ---- set-up ------------------------------------------------------------------------------------ */

struct detect_ctx *detect_new(const struct detect_cfg *cfg, struct event_bus *bus, char *err, size_t errlen)
{
    struct detect_ctx *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->cfg = *cfg;
    d->bus = bus;
    memcap_init(&d->mc, "detect", cfg->memcap);
    if (parse_cfg(d, true, err, errlen) < 0) { /* detect_check() warned already */
        detect_free(d);
        return NULL;
    }
    d->stats.indicators = d->rules.total;
    const uint64_t chain_us = (uint64_t)cfg->chain_window * US;
    struct {
        struct dtable *t;
        const char *name;
        size_t size;
        uint64_t timeout;
    } tabs[] = {
        {&d->rate, "rate", sizeof(struct rate_entry), (uint64_t)cfg->rate_seconds * US},
        {&d->chain, "chain", 0, chain_us},
        {&d->fanout, "fanout", 0, (uint64_t)cfg->fanout_window * US},
        {&d->authfail, "authfail", 0, (uint64_t)cfg->authfail_window * US},
        {&d->recon, "recon", 0, (uint64_t)cfg->recon_window * US},
        {&d->smb1, "smb1", DETECT_SMB1_ENTRY_SIZE, (uint64_t)cfg->smb1_interval * US},
        {&d->aerej, "aerej", 0, (uint64_t)cfg->ae_brute_window * US},
        {&d->cfind, "cfind", 0, (uint64_t)cfg->cfind_window * US},
        {&d->assoc, "assoc", 0, (uint64_t)cfg->cmove_window * US},
        {&d->matrix, "matrix", DETECT_MATRIX_ENTRY_SIZE, (uint64_t)cfg->dicom_matrix_timeout * US},
        {&d->exhaust, "exhaust", 0, (uint64_t)cfg->exhaust_window * US},
        {&d->fallback, "fallback", 0, (uint64_t)cfg->fallback_window * US},
        {&d->egress, "egress", DETECT_PAIR_ENTRY_SIZE, (uint64_t)cfg->egress_interval * US},
        {&d->beacon, "beacon", DETECT_BEACON_ENTRY_SIZE, (uint64_t)cfg->beacon_max_interval * US},
        {&d->infected, "infected", 0, chain_us},
        {&d->hl7snd, "hl7snd", DETECT_HL7_ENTRY_SIZE, (uint64_t)cfg->hl7_sender_timeout * US},
        {&d->hl7ctl, "hl7ctl", DETECT_HL7_ENTRY_SIZE, (uint64_t)cfg->hl7_ctlid_window * US},
    };
    /* entry sizes the detectors need (0 above): the largest of their structs, kept generous and fixed */
    for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
        size_t size = tabs[i].size ? tabs[i].size : DETECT_ENTRY_SIZE;
        if (dtable_init(d, tabs[i].t, tabs[i].name, size, 1024, tabs[i].timeout) < 0) {
            snprintf(err, errlen, "detect.memcap (%llu bytes) is too small for the detector tables",
                     (unsigned long long)cfg->memcap);
            detect_free(d);
            return NULL;
        }
    }
    if (bus && event_bus_subscribe(bus,
                                   EVENT_MASK(EVENT_SMB) | EVENT_MASK(EVENT_DCERPC) | EVENT_MASK(EVENT_FILEINFO) |
                                       EVENT_MASK(EVENT_DICOM) | EVENT_MASK(EVENT_HTTP) | EVENT_MASK(EVENT_DNS) |
                                       EVENT_MASK(EVENT_FLOW) | EVENT_MASK(EVENT_HL7),
                                   detect_on_event, d) < 0) {
        snprintf(err, errlen, "the event bus has no room for the detection engine");
        detect_free(d);
        return NULL;
    }
    return d;
}

void detect_free(struct detect_ctx *d)
{
    if (!d)
        return;
    struct dtable *tables[] = {&d->rate,  &d->chain, &d->fanout,   &d->authfail, &d->recon,  &d->smb1,    &d->aerej,
                               &d->cfind, &d->assoc, &d->fallback, &d->egress,   &d->beacon, &d->infected};
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
        dtable_free(d, tables[i]);
    /* files and DICOM peers */
    dtable_free(d, &d->matrix);
    dtable_free(d, &d->exhaust);
    dtable_free(d, &d->hl7snd);
    dtable_free(d, &d->hl7ctl);
    rules_free(&d->rules);
    free(d);
}

void detect_set_name_map(struct detect_ctx *d, struct dns_name_map *map)
{
    if (d)
        d->names = map;
}

const struct detect_stats *detect_get_stats(const struct detect_ctx *d)
{
    return d ? &d->stats : NULL;
}

const struct memcap *detect_get_memcap(const struct detect_ctx *d)
{
    return d ? &d->mc : NULL;
}

/* ---- alerts ------------------------------------------------------------------------------------ */

void alert_init(struct alert_event *a, uint32_t sid, const struct event *ev)
{
    memset(a, 0, sizeof(*a));
    a->sig = detect_sig_find(sid);
    const struct flow *f = ev ? ev->flow : NULL;
    if (ev)
        a->first_us = a->last_us = ev->ts_us;
    if (f) {
        a->src = f->client;
        a->dst = f->server;
        a->src_port = f->client_port;
        a->dst_port = f->server_port;
        a->proto = f->ipproto;
        a->app_proto = app_proto_name(f->app.proto);
        a->flow_id = f->flow_id;
        alert_add_host(a, &f->server);
        alert_add_flow(a, f->flow_id);
    }
}

void alert_add_host(struct alert_event *a, const struct ip_addr *h)
{
    if (!h->family)
        return;
    for (uint8_t i = 0; i < a->n_hosts; i++)
        if (ip_addr_eq(&a->hosts[i], h))
            return;
    if (a->n_hosts < ALERT_MAX_HOSTS)
        a->hosts[a->n_hosts++] = *h;
}

void alert_add_flow(struct alert_event *a, uint64_t flow_id)
{
    if (!flow_id)
        return;
    for (uint8_t i = 0; i < a->n_flows; i++)
        if (a->flows[i] == flow_id)
            return;
    if (a->n_flows < ALERT_MAX_HOSTS)
        a->flows[a->n_flows++] = flow_id;
}

void detect_alert(struct detect_ctx *d, struct alert_event *a, uint64_t ts_us)
{
    if (!a->sig)
        return;
    int i = (int)(a->sig - detect_sigs);
    if (d->disabled[i])
        return;
    /* a detector may raise the severity (a->severity preset, e.g. an external source); an override wins */
    uint8_t sev = a->sig->severity;
    if (a->severity && a->severity < sev)
        sev = a->severity;
    a->severity = d->sev_override[i] ? d->sev_override[i] : sev;
    /* per (signature, source): at most rate_count alerts per rate_seconds; the rest are counted */
    struct dkey k = {.a = a->src, .x = a->sig->sid};
    struct rate_entry *r = dtable_get(d, &d->rate, &k, true);
    if (r) {
        if (r->count && ts_us >= r->window_start + (uint64_t)d->cfg.rate_seconds * US)
            r->count = 0;
        if (!r->count)
            r->window_start = ts_us;
        if (r->count >= d->cfg.rate_count) {
            r->suppressed++;
            d->stats.suppressed++;
            d->stats.by_sig_suppressed[i]++;
            return;
        }
        r->count++;
    }
    d->stats.alerts++;
    d->stats.by_sig_alerts[i]++;
    struct event ev = {.type = EVENT_ALERT, .ts_us = ts_us, .flow = NULL, .dir = EVENT_DIR_NONE, .body = a};
    if (d->bus)
        event_publish(d->bus, &ev);
}

bool detect_is_admin_share(const char *share)
{
    if (!share)
        return false;
    const char *s = strrchr(share, '\\');
    s = s ? s + 1 : share;
    if (strcasecmp(s, "ADMIN$") == 0)
        return true;
    return ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')) && s[1] == '$' && s[2] == '\0';
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

void detect_on_event(void *user, const struct event *ev)
{
    struct detect_ctx *d = user;
    if (ev->ts_us > d->now_us)
        d->now_us = ev->ts_us;
    if (d->now_us >= d->next_sweep_us) {
        sweep_all(d);
        d->next_sweep_us = d->now_us + US;
    }
    switch (ev->type) {
    case EVENT_FILEINFO:
        det_file_indicator(d, ev);
        det_admin_share_exe(d, ev);
        det_file_content(d, ev);
        det_exe_imaging(d, ev);
        break;
    case EVENT_DCERPC:
        det_service_identity(d, ev);
        det_remote_service(d, ev);
        det_recon_burst(d, ev);
        break;
    case EVENT_SMB:
        det_smb1_policy(d, ev);
        det_auth_failures(d, ev);
        break;
    case EVENT_DICOM:
        det_dicom_scanner(d, ev);
        det_ae_bruteforce(d, ev);
        det_cfind_sweep(d, ev);
        det_cmove_rogue(d, ev);
        det_dicom_matrix(d, ev);
        det_assoc_exhaust(d, ev);
        det_dicom_perimeter(d, ev);
        det_dimse_polyglot(d, ev);
        det_phi_dicom(d, ev);
        det_dicom_exploit(d, ev);
        break;
    case EVENT_HTTP:
        det_c2_http(d, ev);
        det_beacon(d, ev);
        det_phi_dicomweb(d, ev);
        det_pacs_traversal(d, ev);
        break;
    case EVENT_HL7:
        det_phi_hl7(d, ev);
        det_hl7(d, ev);
        break;
    case EVENT_DNS: det_c2_dns(d, ev); break;
    case EVENT_FLOW:
        det_fallback_cycling(d, ev);
        det_imaging_egress(d, ev);
        break;
    default: break;
    }
}
