/*
 * assets.c - the asset inventory (see assets.h): fed by `dicom` and `smb` events.
 *
 * Association events give AE titles, implementation identity and the default
 * roles (the requestor is the SCU, PS3.7 D.3.3.4); DIMSE events give the roles
 * actually played, the SOP classes exchanged and, from storage SOP classes,
 * the modality.
 *
 * SMB events give each side's role (the flow's client sends the requests), the
 * negotiated dialect (every event carries the flow's), the dialects a client
 * offered, whether SMB1 was spoken, the NativeOS / NativeLanMan strings of an
 * SMB1 SESSION_SETUP_ANDX request (the client's) and response (the server's),
 * the NTLMSSP AUTHENTICATE message's VERSION, Workstation and DomainName (the
 * client's; its UserName is never copied: user names are sensitive and stay in
 * the `smb` events), and the shares of successful tree connects (the server's).
 * The OS hint comes from those strings (os_hint.c), the SMB1 native strings
 * outranking the NTLMSSP version.
 *
 * A record is published as an `asset` event when it is created and whenever
 * one of its lists, flags or identities changes (not when only its last-seen
 * time moves), so the event rate follows change, not traffic: every list is
 * bounded and a fact already known changes nothing.
 *
 * Storage (see assets.h): records are allocated one by one and never move;
 * the hash index holds pointers to them, chained per bucket, and doubles when
 * it holds more records than buckets (if the memcap allows; chains just grow
 * otherwise).  Every allocation goes through inv_alloc(), which evicts least
 * recently seen hosts until the budget has room, never one of the two hosts of
 * the event being handled (inv->pin), and gives up when nothing else is left.
 */
#include "assets/assets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app/dcerpc/dcerpc.h"
#include "app/dicom/dicom.h"
#include "app/hl7/hl7.h"
#include "app/smb/smb.h"
#include "core/ofile.h"
#include "core/hash.h"
#include "core/stats.h"
#include "core/str.h"
#include "flow/flow.h"

#define ASSET_HASH_MIN (1u << 10)
#define ASSET_HASH_MAX (1u << 24)

static const struct config_key asset_keys[] = {
    CONFIG_KEY_SIZE(struct asset_cfg, memcap, "assets.memcap", 64 * CONFIG_KB, 64 * CONFIG_GB, "64mb",
                    "Asset inventory (assets.json, asset events): records, their facts and the hash index, all hosts.\n"
                    "A host costs about 120 bytes bare, ~0.5 kb after a first DICOM association or SMB connection, at "
                    "most\n~5.4 kb (DICOM) / ~3.4 kb (SMB) with every list full: 64mb holds 65,536 hosts with a first "
                    "association\nand a first SMB connection each. When full, the least recently seen host is evicted "
                    "(stats.assets.evicted)."),
};

const struct config_module asset_config_module = {
    .name = "assets",
    .keys = asset_keys,
    .n = sizeof(asset_keys) / sizeof(asset_keys[0]),
    .struct_size = sizeof(struct asset_cfg),
};

void asset_cfg_defaults(struct asset_cfg *cfg)
{
    config_module_set_defaults(&asset_config_module, cfg);
}

int asset_inventory_init(struct asset_inventory *inv, const struct asset_cfg *cfg, struct event_bus *bus,
                         struct stats *stats, char *err, size_t errlen)
{
    memset(inv, 0, sizeof(*inv));
    inv->bus = bus;
    inv->stats = stats;
    memcap_init(&inv->mc, "assets", cfg->memcap);
    inv->buckets = mc_calloc(&inv->mc, ASSET_HASH_MIN * sizeof(*inv->buckets));
    if (!inv->buckets) {
        snprintf(err, errlen, "assets.memcap (%llu bytes) cannot hold the asset hash index (%zu bytes)",
                 (unsigned long long)cfg->memcap, ASSET_HASH_MIN * sizeof(*inv->buckets));
        return -1;
    }
    inv->mask = ASSET_HASH_MIN - 1;
    /* As the flow table's: the seed only spreads buckets and never shows in output. */
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    inv->hash_seed = hash_mix64((uint64_t)t.tv_nsec ^ ((uint64_t)t.tv_sec << 32) ^ (uintptr_t)inv);
    if (event_bus_subscribe(
            bus, EVENT_MASK(EVENT_DICOM) | EVENT_MASK(EVENT_SMB) | EVENT_MASK(EVENT_DCERPC) | EVENT_MASK(EVENT_HL7),
            asset_on_event, inv) < 0) {
        snprintf(err, errlen, "the event bus has no room for the asset inventory");
        asset_inventory_free(inv);
        return -1;
    }
    return 0;
}

static uint32_t asset_bucket(const struct asset_inventory *inv, const struct ip_addr *ip)
{
    return (uint32_t)hash_bytes(ip->b, sizeof(ip->b), inv->hash_seed ^ ip->family) & inv->mask;
}

static struct asset *asset_lookup(const struct asset_inventory *inv, const struct ip_addr *ip)
{
    if (!inv->buckets)
        return NULL;
    for (struct asset *a = inv->buckets[asset_bucket(inv, ip)]; a; a = a->hnext)
        if (ip_addr_eq(&a->ip, ip))
            return a;
    return NULL;
}

const struct asset *asset_find(const struct asset_inventory *inv, const struct ip_addr *ip)
{
    return asset_lookup(inv, ip);
}

/* ---- lists ---- */

static void list_init(struct asset_list *l, size_t width, size_t max)
{
    l->items = NULL;
    l->n = l->cap = 0;
    l->width = (uint8_t)width;
    l->max = (uint8_t)max;
}

#define LIST_INIT(l, item_type, max) list_init(&(l), sizeof(item_type), (max))

static void list_free(struct asset_inventory *inv, struct asset_list *l)
{
    mc_free(&inv->mc, l->items, (size_t)l->cap * l->width);
    l->items = NULL;
    l->n = l->cap = 0;
}

static void *inv_realloc(struct asset_inventory *inv, void *p, size_t old_n, size_t new_n);

/* Room for one more item: a pointer to it (not yet counted in n), or NULL if the list is at its bound or the memcap
 * cannot grow it. */
static void *list_slot(struct asset_inventory *inv, struct asset_list *l)
{
    if (l->n >= l->max)
        return NULL;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? (size_t)l->cap * 2 : 2;
        if (ncap > l->max)
            ncap = l->max;
        void *items = inv_realloc(inv, l->items, (size_t)l->cap * l->width, ncap * l->width);
        if (!items)
            return NULL;
        l->items = items;
        l->cap = (uint8_t)ncap;
    }
    return (char *)l->items + (size_t)l->n * l->width;
}

/* Add s to a list of strings; true if it was not there.  s is compared as it would be stored (cut to the list's
 * width at a UTF-8 boundary), so a long string is not added again and again; nocase for Windows names. */
static bool list_add_str(struct asset_inventory *inv, struct asset_list *l, const char *s, bool nocase)
{
    if (!s || !s[0] || l->n >= l->max)
        return false;
    char cut[128]; /* wider than every list's strings */
    (void)str_copy_utf8(cut, l->width < sizeof(cut) ? l->width : sizeof(cut), s);
    for (unsigned i = 0; i < l->n; i++)
        if ((nocase ? strcasecmp(asset_list_str(l, i), cut) : strcmp(asset_list_str(l, i), cut)) == 0)
            return false;
    char *slot = list_slot(inv, l);
    if (!slot)
        return false;
    memcpy(slot, cut, strlen(cut) + 1);
    l->n++;
    return true;
}

static bool peer_add(struct asset_inventory *inv, struct asset_dicom *d, const struct ip_addr *p)
{
    const struct ip_addr *peers = d->peers.items;
    for (unsigned i = 0; i < d->peers.n; i++)
        if (ip_addr_eq(&peers[i], p))
            return false;
    struct ip_addr *slot = list_slot(inv, &d->peers);
    if (!slot)
        return false;
    *slot = *p;
    d->peers.n++;
    return true;
}

/* ---- records, the index, eviction ---- */

static void lru_unlink(struct asset_inventory *inv, struct asset *a)
{
    if (a->lru_prev)
        a->lru_prev->lru_next = a->lru_next;
    else
        inv->lru_head = a->lru_next;
    if (a->lru_next)
        a->lru_next->lru_prev = a->lru_prev;
    else
        inv->lru_tail = a->lru_prev;
    a->lru_prev = a->lru_next = NULL;
}

static void lru_push_head(struct asset_inventory *inv, struct asset *a)
{
    a->lru_prev = NULL;
    a->lru_next = inv->lru_head;
    if (inv->lru_head)
        inv->lru_head->lru_prev = a;
    inv->lru_head = a;
    if (!inv->lru_tail)
        inv->lru_tail = a;
}

static void dicom_free(struct asset_inventory *inv, struct asset_dicom *d)
{
    if (!d)
        return;
    list_free(inv, &d->ae_calling);
    list_free(inv, &d->ae_called);
    list_free(inv, &d->sop_sent);
    list_free(inv, &d->sop_received);
    list_free(inv, &d->modalities);
    list_free(inv, &d->peers);
    mc_free(&inv->mc, d, sizeof(*d));
}

static void smb_free(struct asset_inventory *inv, struct asset_smb *m)
{
    if (!m)
        return;
    list_free(inv, &m->hostnames);
    list_free(inv, &m->dialects);
    list_free(inv, &m->offered);
    list_free(inv, &m->native_os);
    list_free(inv, &m->native_lm);
    list_free(inv, &m->ntlm_versions);
    list_free(inv, &m->domains);
    list_free(inv, &m->shares);
    mc_free(&inv->mc, m, sizeof(*m));
}

static void hl7_free(struct asset_inventory *inv, struct asset_hl7 *h)
{
    if (!h)
        return;
    list_free(inv, &h->applications);
    list_free(inv, &h->facilities);
    list_free(inv, &h->message_types);
    mc_free(&inv->mc, h, sizeof(*h));
}

/* Take a out of the index and both lists and free it with everything it holds. */
static void asset_remove(struct asset_inventory *inv, struct asset *a)
{
    struct asset **pp = &inv->buckets[asset_bucket(inv, &a->ip)];
    while (*pp != a)
        pp = &(*pp)->hnext;
    *pp = a->hnext;
    lru_unlink(inv, a);
    if (a->prev)
        a->prev->next = a->next;
    else
        inv->first = a->next;
    if (a->next)
        a->next->prev = a->prev;
    else
        inv->last = a->prev;
    dicom_free(inv, a->dicom);
    smb_free(inv, a->smb);
    hl7_free(inv, a->hl7);
    mc_free(&inv->mc, a, sizeof(*a));
    inv->n--;
}

/* Evict the least recently seen host that is not pinned.  false if there is none. */
static bool asset_evict_one(struct asset_inventory *inv)
{
    struct asset *v = inv->lru_tail;
    while (v && (v == inv->pin[0] || v == inv->pin[1]))
        v = v->lru_prev;
    if (!v)
        return false;
    asset_remove(inv, v);
    if (inv->stats) {
        inv->stats->assets_evicted++;
        inv->stats->assets_hosts = inv->n;
    }
    return true;
}

/* Every allocation of the inventory: grow (or allocate, p NULL) a block from old_n to new_n bytes, evicting least
 * recently seen hosts while the memcap has no room.  NULL, block untouched, if it cannot. */
static void *inv_realloc(struct asset_inventory *inv, void *p, size_t old_n, size_t new_n)
{
    for (;;) {
        void *q = p ? mc_realloc(&inv->mc, p, old_n, new_n) : mc_malloc(&inv->mc, new_n);
        if (q)
            return q;
        if (!asset_evict_one(inv))
            return NULL;
    }
}

static void *inv_calloc(struct asset_inventory *inv, size_t n)
{
    void *p = inv_realloc(inv, NULL, 0, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* Double the index when it holds more records than buckets.  Records do not move, only the chains; without room in
 * the memcap the index stays as it is (longer chains, same answers).  Never evicts for it. */
static void asset_index_grow(struct asset_inventory *inv)
{
    uint32_t nb = inv->mask + 1;
    if (inv->n <= nb || nb >= ASSET_HASH_MAX)
        return;
    struct asset **nbk = mc_calloc(&inv->mc, (size_t)nb * 2 * sizeof(*nbk));
    if (!nbk)
        return;
    struct asset **old = inv->buckets;
    inv->buckets = nbk;
    inv->mask = nb * 2 - 1;
    for (uint32_t i = 0; i < nb; i++)
        for (struct asset *a = old[i], *next; a; a = next) {
            next = a->hnext;
            uint32_t h = asset_bucket(inv, &a->ip);
            a->hnext = inv->buckets[h];
            inv->buckets[h] = a;
        }
    mc_free(&inv->mc, old, (size_t)nb * sizeof(*old));
}

/* The record of ip, found or created; either way the most recently seen now.  NULL if the memcap cannot hold a new
 * record even after evicting every unpinned host. */
static struct asset *asset_get(struct asset_inventory *inv, const struct ip_addr *ip, uint64_t ts, bool *created)
{
    *created = false;
    struct asset *a = asset_lookup(inv, ip);
    if (a) {
        lru_unlink(inv, a);
        lru_push_head(inv, a);
        return a;
    }
    a = inv_calloc(inv, sizeof(*a));
    if (!a)
        return NULL;
    a->ip = *ip;
    a->first_us = a->last_us = ts;
    uint32_t h = asset_bucket(inv, ip);
    a->hnext = inv->buckets[h];
    inv->buckets[h] = a;
    lru_push_head(inv, a);
    a->prev = inv->last;
    if (inv->last)
        inv->last->next = a;
    else
        inv->first = a;
    inv->last = a;
    inv->n++;
    asset_index_grow(inv);
    if (inv->stats)
        inv->stats->assets_hosts = inv->n;
    *created = true;
    return a;
}

void asset_inventory_free(struct asset_inventory *inv)
{
    while (inv->first)
        asset_remove(inv, inv->first);
    mc_free(&inv->mc, inv->buckets, (size_t)(inv->mask + 1) * sizeof(*inv->buckets));
    inv->buckets = NULL;
    inv->mask = 0;
}

/* The DICOM / SMB block of a, allocated with its first fact; NULL if the memcap cannot hold it. */
static struct asset_dicom *dicom_of(struct asset_inventory *inv, struct asset *a)
{
    if (a->dicom)
        return a->dicom;
    struct asset_dicom *d = inv_calloc(inv, sizeof(*d));
    if (!d)
        return NULL;
    LIST_INIT(d->ae_calling, char[ASSET_AE_LEN], ASSET_MAX_AE);
    LIST_INIT(d->ae_called, char[ASSET_AE_LEN], ASSET_MAX_AE);
    LIST_INIT(d->sop_sent, char[ASSET_UID_LEN], ASSET_MAX_SOP);
    LIST_INIT(d->sop_received, char[ASSET_UID_LEN], ASSET_MAX_SOP);
    LIST_INIT(d->modalities, char[ASSET_AE_LEN], ASSET_MAX_MODALITIES);
    LIST_INIT(d->peers, struct ip_addr, ASSET_MAX_PEERS);
    a->dicom = d;
    return d;
}

static struct asset_smb *smb_of(struct asset_inventory *inv, struct asset *a)
{
    if (a->smb)
        return a->smb;
    struct asset_smb *m = inv_calloc(inv, sizeof(*m));
    if (!m)
        return NULL;
    LIST_INIT(m->hostnames, char[ASSET_NAME_LEN], ASSET_MAX_NAMES);
    LIST_INIT(m->dialects, char[ASSET_DIALECT_LEN], ASSET_MAX_DIALECTS);
    LIST_INIT(m->offered, char[ASSET_DIALECT_LEN], ASSET_MAX_DIALECTS);
    LIST_INIT(m->native_os, char[ASSET_NATIVE_LEN], ASSET_MAX_NATIVE);
    LIST_INIT(m->native_lm, char[ASSET_NATIVE_LEN], ASSET_MAX_NATIVE);
    LIST_INIT(m->ntlm_versions, struct asset_ntlm_version, ASSET_MAX_NTLM_VERS);
    LIST_INIT(m->domains, char[ASSET_NAME_LEN], ASSET_MAX_NAMES);
    LIST_INIT(m->shares, char[ASSET_SHARE_LEN], ASSET_MAX_SHARES);
    a->smb = m;
    return m;
}

static struct asset_hl7 *hl7_of(struct asset_inventory *inv, struct asset *a)
{
    if (a->hl7)
        return a->hl7;
    struct asset_hl7 *h = inv_calloc(inv, sizeof(*h));
    if (!h)
        return NULL;
    LIST_INIT(h->applications, char[ASSET_HL7_NAME_LEN], ASSET_MAX_HL7_NAMES);
    LIST_INIT(h->facilities, char[ASSET_HL7_NAME_LEN], ASSET_MAX_HL7_NAMES);
    LIST_INIT(h->message_types, char[ASSET_HL7_TYPE_LEN], ASSET_MAX_HL7_TYPES);
    a->hl7 = h;
    return h;
}

static bool identity_set(struct asset_dicom *d, const struct dicom_user_info *ui)
{
    if (!ui->present || !ui->impl_class_uid[0])
        return false;
    if (strcmp(d->impl_class_uid, ui->impl_class_uid) == 0 && strcmp(d->impl_version, ui->impl_version) == 0)
        return false;
    snprintf(d->impl_class_uid, sizeof(d->impl_class_uid), "%s", ui->impl_class_uid);
    snprintf(d->impl_version, sizeof(d->impl_version), "%s", ui->impl_version);
    d->software = asset_impl_software(d->impl_class_uid, d->impl_version);
    return true;
}

static void publish(struct asset_inventory *inv, const struct event *cause, struct asset *a, bool created)
{
    if (!created)
        a->changes++;
    struct asset_event ae = {.asset = a, .change = created ? "new" : "changed"};
    struct event ev = {
        .type = EVENT_ASSET, .ts_us = cause->ts_us, .flow = NULL, .pkt = NULL, .dir = EVENT_DIR_NONE, .body = &ae};
    if (inv->bus)
        event_publish(inv->bus, &ev);
}

static bool mac_real(const uint8_t *m)
{
    static const uint8_t zero[6];
    return memcmp(m, zero, 6) != 0;
}

/* The two ends of the event's flow: found or created, pinned, last seen now, MACs learnt.  false if the memcap
 * cannot hold them. */
struct asset_pair {
    struct asset *c, *s;
    bool cnew, snew; /* created by this event */
    bool cch, sch;   /* changed by this event */
};

static bool pair_get(struct asset_inventory *inv, const struct event *ev, struct asset_pair *p)
{
    const struct flow *f = ev->flow;
    memset(p, 0, sizeof(*p));
    inv->pin[0] = inv->pin[1] = NULL;
    /* Records never move, so c stays valid while s is found or made; pinned, neither is evicted to make room for
     * the other or for their facts. */
    p->c = asset_get(inv, &f->client, ev->ts_us, &p->cnew);
    inv->pin[0] = p->c;
    p->s = asset_get(inv, &f->server, ev->ts_us, &p->snew);
    inv->pin[1] = p->s;
    if (!p->c || !p->s) { /* no room even after eviction: a record just created is still announced */
        if (p->c && p->cnew)
            publish(inv, ev, p->c, true);
        if (p->s && p->snew)
            publish(inv, ev, p->s, true);
        return false;
    }
    p->c->last_us = p->s->last_us = ev->ts_us;
    if (f->has_mac) {
        if (!p->c->has_mac && mac_real(f->client_mac)) {
            memcpy(p->c->mac, f->client_mac, 6);
            p->c->has_mac = p->cch = true;
        }
        if (!p->s->has_mac && mac_real(f->server_mac)) {
            memcpy(p->s->mac, f->server_mac, 6);
            p->s->has_mac = p->sch = true;
        }
    }
    return true;
}

static void pair_publish(struct asset_inventory *inv, const struct event *ev, struct asset_pair *p)
{
    if (p->s == p->c) { /* both ends on one address (a capture on loopback): one record, one event */
        if (p->cnew || p->cch || p->sch)
            publish(inv, ev, p->c, p->cnew);
        return;
    }
    if (p->cnew || p->cch)
        publish(inv, ev, p->c, p->cnew);
    if (p->snew || p->sch)
        publish(inv, ev, p->s, p->snew);
}

static bool set_flag(bool *flag)
{
    if (*flag)
        return false;
    *flag = true;
    return true;
}

static void asset_on_dicom(struct asset_inventory *inv, const struct event *ev)
{
    const struct dicom_event *de = ev->body;
    const struct dicom_assoc *as = de->assoc;
    const struct flow *f = ev->flow;
    struct asset_pair p;
    if (!pair_get(inv, ev, &p))
        return;
    struct asset_dicom *c = dicom_of(inv, p.c), *s = dicom_of(inv, p.s);
    if (!c || !s) {
        pair_publish(inv, ev, &p);
        return;
    }
    bool cch = p.cch, sch = p.sch;
    cch |= peer_add(inv, c, &f->server);
    sch |= peer_add(inv, s, &f->client);
    switch (de->kind) {
    case DICOM_EV_REQUEST:
        cch |= list_add_str(inv, &c->ae_calling, as->calling_ae, false);
        cch |= identity_set(c, &as->ui_rq);
        break;
    case DICOM_EV_ACCEPT:
        sch |= list_add_str(inv, &s->ae_called, as->called_ae, false);
        sch |= identity_set(s, &as->ui_ac);
        cch |= set_flag(&c->scu);
        sch |= set_flag(&s->scp);
        break;
    case DICOM_EV_DIMSE: {
        const struct dicom_op *op = de->op;
        if (!op || !op->has_rq)
            break;
        struct asset_dicom *rq = op->rq_dir == 0 ? c : s, *rp = op->rq_dir == 0 ? s : c;
        bool *rqch = op->rq_dir == 0 ? &cch : &sch, *rpch = op->rq_dir == 0 ? &sch : &cch;
        *rqch |= set_flag(&rq->scu);
        *rpch |= set_flag(&rp->scp);
        const char *sop = op->rq.affected_sop_class[0] ? op->rq.affected_sop_class : op->rq.requested_sop_class;
        *rqch |= list_add_str(inv, &rq->sop_sent, sop, false);
        *rpch |= list_add_str(inv, &rp->sop_received, sop, false);
        if (op->rq.command_field == 0x0001) { /* C-STORE: the sender's kind of images */
            const char *mod = dicom_sop_class_modality(sop);
            if (!mod && op->rq_ds.modality[0])
                mod = op->rq_ds.modality;
            if (mod)
                *rqch |= list_add_str(inv, &rq->modalities, mod, false);
        }
        break;
    }
    default: break;
    }
    p.cch = cch;
    p.sch = sch;
    pair_publish(inv, ev, &p);
}

/* ---- SMB ---- */

/* A hint from src: taken if src outranks the current hint's source (the first hint of a source stays). */
static bool os_offer(struct asset_smb *m, enum asset_os_source src, const char *hint)
{
    if (!hint[0] || src <= m->os_source)
        return false;
    (void)str_copy_utf8(m->os, sizeof(m->os), hint);
    m->os_source = src;
    return true;
}

/* An SMB1 dialect string (from a NEGOTIATE_PROTOCOL request) rather than the SMB2 ones an SMB1 negotiate can offer
 * ("SMB 2.002", "SMB 2.???") [MS-SMB2 3.3.5.3.1]. */
static bool dialect_is_smb1(const char *d)
{
    return strncmp(d, "SMB 2.", 6) != 0;
}

/* The SMB1 NativeOS / NativeLanMan a host sent. */
static bool smb_native(struct asset_inventory *inv, struct asset_smb *m, const char *os, const char *lm)
{
    bool ch = false;
    ch |= list_add_str(inv, &m->native_os, os, false);
    ch |= list_add_str(inv, &m->native_lm, lm, false);
    char hint[ASSET_OS_LEN];
    if (asset_os_from_native(os, lm, hint, sizeof(hint)))
        ch |= os_offer(m, ASSET_OS_SMB_NATIVE, hint);
    return ch;
}

static bool ntlm_version_eq(const struct asset_ntlm_version *x, const struct asset_ntlm_version *y)
{
    return x->major == y->major && x->minor == y->minor && x->build == y->build && x->revision == y->revision;
}

/* What an NTLMSSP AUTHENTICATE shows of the host that sent it: VERSION, Workstation, DomainName; never UserName. */
static bool smb_ntlm(struct asset_inventory *inv, struct asset_smb *m, const struct ntlmssp_info *nt)
{
    bool ch = false;
    ch |= list_add_str(inv, &m->hostnames, nt->host, true);
    ch |= list_add_str(inv, &m->domains, nt->domain, true);
    if (nt->has_version) {
        struct asset_ntlm_version v = {
            .major = nt->ver_major, .minor = nt->ver_minor, .build = nt->ver_build, .revision = nt->ver_revision};
        const struct asset_ntlm_version *known = m->ntlm_versions.items;
        bool seen = false;
        for (unsigned i = 0; i < m->ntlm_versions.n && !seen; i++)
            seen = ntlm_version_eq(&known[i], &v);
        struct asset_ntlm_version *slot = seen ? NULL : list_slot(inv, &m->ntlm_versions);
        if (slot) {
            *slot = v;
            m->ntlm_versions.n++;
            ch = true;
        }
        char hint[ASSET_OS_LEN];
        if (asset_os_from_ntlm(v.major, v.minor, v.build, v.revision, hint, sizeof(hint)))
            ch |= os_offer(m, ASSET_OS_NTLMSSP, hint);
    }
    return ch;
}

/* The share name of a tree connect path: what follows the last backslash of \\server\share. */
static const char *share_name(const char *path)
{
    const char *b = strrchr(path, '\\');
    return b ? b + 1 : path;
}

static void asset_on_smb(struct asset_inventory *inv, const struct event *ev)
{
    const struct smb_event *se = ev->body;
    struct asset_pair p;
    if (!pair_get(inv, ev, &p))
        return;
    struct asset_smb *c = smb_of(inv, p.c), *s = smb_of(inv, p.s);
    if (!c || !s) {
        pair_publish(inv, ev, &p);
        return;
    }
    bool cch = p.cch, sch = p.sch;
    c->seen = s->seen = true;
    cch |= set_flag(&c->client);
    sch |= set_flag(&s->server);
    if (se->version == 1) {
        cch |= set_flag(&c->smb1);
        sch |= set_flag(&s->smb1);
    }
    /* every event carries the flow's negotiated dialect; "2.??" only answers a multi-protocol negotiate */
    if (se->dialect && strcmp(se->dialect, "2.??") != 0) {
        cch |= list_add_str(inv, &c->dialects, se->dialect, false);
        sch |= list_add_str(inv, &s->dialects, se->dialect, false);
    }
    for (size_t i = 0; i < se->n_client_dialects && i < SMB_MAX_DIALECTS; i++) {
        const char *d = se->client_dialects[i];
        if (!d)
            continue;
        cch |= list_add_str(inv, &c->offered, d, false);
        if (se->version == 1 && dialect_is_smb1(d))
            cch |= set_flag(&c->smb1_offered);
    }
    if (se->req_native_os || se->req_native_lm)
        cch |= smb_native(inv, c, se->req_native_os, se->req_native_lm);
    if (se->resp_native_os || se->resp_native_lm)
        sch |= smb_native(inv, s, se->resp_native_os, se->resp_native_lm);
    if (se->ntlmssp && se->ntlmssp->type == NTLMSSP_AUTH)
        cch |= smb_ntlm(inv, c, se->ntlmssp);
    /* a successful TREE_CONNECT, or any successful operation in a tree (its share comes from the tree table) */
    if (se->share && se->share[0] && se->has_status && se->status == SMB_STATUS_SUCCESS)
        sch |= list_add_str(inv, &s->shares, share_name(se->share), true);
    p.cch = cch;
    p.sch = sch;
    pair_publish(inv, ev, &p);
}

/* A srvsvc answer describes the RPC server (the flow's server): NetrServerGetInfo its name and version,
 * NetrShareEnum its shares.  An NTLMSSP AUTHENTICATE of the bind describes the client, as in SMB. */
static void asset_on_dcerpc(struct asset_inventory *inv, const struct event *ev)
{
    const struct dcerpc_event *de = ev->body;
    const struct dcerpc_srvsvc *sv = de->srvsvc;
    bool ntlm = de->ntlmssp && de->ntlmssp->type == NTLMSSP_AUTH;
    if (!sv || !sv->present || !sv->has_return || sv->return_code != 0 || (!sv->has_server_info && !sv->n_shares))
        sv = NULL;
    if (!sv && !ntlm)
        return;
    struct asset_pair p;
    if (!pair_get(inv, ev, &p))
        return;
    if (ntlm) {
        struct asset_smb *c = smb_of(inv, p.c);
        if (c)
            p.cch |= smb_ntlm(inv, c, de->ntlmssp);
    }
    struct asset_smb *s = sv ? smb_of(inv, p.s) : NULL;
    if (!s) {
        pair_publish(inv, ev, &p);
        return;
    }
    bool sch = p.sch;
    if (sv->has_server_info) {
        char hint[ASSET_OS_LEN];
        if (sv->has_version && asset_os_from_srvsvc(sv->platform_id, sv->version_major, sv->version_minor,
                                                    sv->server_type, hint, sizeof(hint)))
            sch |= os_offer(s, ASSET_OS_SRVSVC, hint);
        /* a server may answer with the address it was asked by ("192.168.24.100"): that is no host name */
        unsigned char addr[16];
        if (sv->server_name[0] && inet_pton(AF_INET, sv->server_name, addr) != 1 &&
            inet_pton(AF_INET6, sv->server_name, addr) != 1)
            sch |= list_add_str(inv, &s->hostnames, sv->server_name, true);
    }
    for (size_t i = 0; i < sv->n_shares; i++)
        if (sv->shares[i].name[0])
            sch |= list_add_str(inv, &s->shares, sv->shares[i].name, true);
    p.sch = sch;
    pair_publish(inv, ev, &p);
}

/* ---- HL7 ---- */

/* An HL7 field as a C string (its bytes up to a NUL, if it holds one). */
static const char *hl7_str(const struct hl7_message *m, enum hl7_field_id id)
{
    return m->f[id].s;
}

/* The sender of a message speaks as MSH-3/MSH-4, its receiver as MSH-5/MSH-6 (an acknowledgment swaps them, so
 * either way each host learns its own names).  Roles and message types come from messages that are not
 * acknowledgments. */
static void asset_on_hl7(struct asset_inventory *inv, const struct event *ev)
{
    const struct hl7_event *he = ev->body;
    const struct hl7_message *m = he->msg;
    if (!m || !m->has_msh)
        return;
    struct asset_pair p;
    if (!pair_get(inv, ev, &p))
        return;
    bool to_client = ev->dir == EVENT_DIR_TOCLIENT;
    struct asset *sa = to_client ? p.s : p.c, *ra = to_client ? p.c : p.s;
    struct asset_hl7 *snd = hl7_of(inv, sa), *rcv = hl7_of(inv, ra);
    if (!snd || !rcv) {
        pair_publish(inv, ev, &p);
        return;
    }
    bool sch = false, rch = false;
    sch |= list_add_str(inv, &snd->applications, hl7_str(m, HL7_F_SENDING_APP), false);
    sch |= list_add_str(inv, &snd->facilities, hl7_str(m, HL7_F_SENDING_FAC), false);
    rch |= list_add_str(inv, &rcv->applications, hl7_str(m, HL7_F_RECEIVING_APP), false);
    rch |= list_add_str(inv, &rcv->facilities, hl7_str(m, HL7_F_RECEIVING_FAC), false);
    if (!m->has_msa) {
        sch |= set_flag(&snd->sender);
        rch |= set_flag(&rcv->receiver);
        const char *code, *trig;
        size_t nc = hl7_component(&m->f[HL7_F_MESSAGE_TYPE], m->component_sep, 0, &code);
        size_t nt = hl7_component(&m->f[HL7_F_MESSAGE_TYPE], m->component_sep, 1, &trig);
        if (nc) {
            char type[ASSET_HL7_TYPE_LEN * 2];
            snprintf(type, sizeof(type), "%.*s%s%.*s", (int)(nc < 8 ? nc : 8), code, nt ? "^" : "",
                     (int)(nt < 8 ? nt : 8), trig);
            sch |= list_add_str(inv, &snd->message_types, type, false);
        }
    }
    if (to_client) {
        p.sch |= sch;
        p.cch |= rch;
    } else {
        p.cch |= sch;
        p.sch |= rch;
    }
    pair_publish(inv, ev, &p);
}

void asset_on_event(void *user, const struct event *ev)
{
    struct asset_inventory *inv = user;
    if (!ev->flow || !ev->body)
        return;
    if (ev->type == EVENT_DICOM)
        asset_on_dicom(inv, ev);
    else if (ev->type == EVENT_SMB)
        asset_on_smb(inv, ev);
    else if (ev->type == EVENT_DCERPC)
        asset_on_dcerpc(inv, ev);
    else if (ev->type == EVENT_HL7)
        asset_on_hl7(inv, ev);
    inv->pin[0] = inv->pin[1] = NULL;
}

/* A string list as a JSON array; an absent list (NULL) as an empty one. */
static void jw_strlist(struct jw *w, const char *key, const struct asset_list *l)
{
    jw_open_arr(w, key);
    for (unsigned i = 0; l && i < l->n; i++)
        jw_str(w, NULL, asset_list_str(l, i));
    jw_close_arr(w);
}

static void jw_sop_list(struct jw *w, const char *key, const struct asset_list *l)
{
    jw_open_arr(w, key);
    for (unsigned i = 0; l && i < l->n; i++) {
        jw_open_obj(w, NULL);
        jw_str(w, "uid", asset_list_str(l, i));
        const char *n = dicom_uid_name(asset_list_str(l, i));
        if (n)
            jw_str(w, "name", n);
        jw_close_obj(w);
    }
    jw_close_arr(w);
}

static void asset_smb_json(struct jw *w, const struct asset_smb *m)
{
    jw_open_obj(w, "smb");
    jw_str(w, "role", m->client && m->server ? "both" : m->server ? "server" : "client");
    jw_bool(w, "smb1", m->smb1);
    jw_bool(w, "smb1_offered", m->smb1_offered);
    jw_strlist(w, "dialects", &m->dialects);
    jw_strlist(w, "dialects_offered", &m->offered);
    if (m->native_os.n)
        jw_strlist(w, "native_os", &m->native_os);
    if (m->native_lm.n)
        jw_strlist(w, "native_lm", &m->native_lm);
    if (m->ntlm_versions.n) {
        /* as the smb event writes ntlmssp.version */
        jw_open_arr(w, "ntlm_versions");
        const struct asset_ntlm_version *vs = m->ntlm_versions.items;
        for (unsigned i = 0; i < m->ntlm_versions.n; i++) {
            const struct asset_ntlm_version *v = &vs[i];
            char s[48];
            snprintf(s, sizeof(s), "%u.%u build %u rev %u", v->major, v->minor, v->build, v->revision);
            jw_str(w, NULL, s);
        }
        jw_close_arr(w);
    }
    if (m->domains.n)
        jw_strlist(w, "domains", &m->domains);
    if (m->server || m->shares.n)
        jw_strlist(w, "shares", &m->shares);
    jw_close_obj(w);
}

static void asset_hl7_json(struct jw *w, const struct asset_hl7 *h)
{
    jw_open_obj(w, "hl7");
    jw_str(w, "role", h->sender && h->receiver ? "both" : h->sender ? "sender" : h->receiver ? "receiver" : "unknown");
    jw_strlist(w, "applications", &h->applications);
    jw_strlist(w, "facilities", &h->facilities);
    jw_strlist(w, "message_types", &h->message_types);
    jw_close_obj(w);
}

void asset_json(struct jw *w, const struct asset *a)
{
    char buf[IP_ADDR_STRLEN];
    const struct asset_dicom *d = a->dicom;
    const struct asset_smb *m = a->smb;
    jw_str(w, "ip", ip_addr_str(&a->ip, buf, sizeof(buf)));
    if (a->has_mac) {
        char mac[18];
        snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0], a->mac[1], a->mac[2], a->mac[3],
                 a->mac[4], a->mac[5]);
        jw_str(w, "mac", mac);
    }
    jw_ts(w, "first_seen", a->first_us);
    jw_ts(w, "last_seen", a->last_us);
    bool scu = d && d->scu, scp = d && d->scp;
    jw_str(w, "dicom_role", scu && scp ? "both" : scu ? "SCU" : scp ? "SCP" : "unknown");
    jw_strlist(w, "ae_titles_calling", d ? &d->ae_calling : NULL);
    jw_strlist(w, "ae_titles_called", d ? &d->ae_called : NULL);
    if (d && d->impl_class_uid[0])
        jw_str(w, "implementation_class_uid", d->impl_class_uid);
    if (d && d->impl_version[0])
        jw_str(w, "implementation_version_name", d->impl_version);
    if (d && d->software)
        jw_str(w, "software", d->software);
    jw_sop_list(w, "sop_classes_sent", d ? &d->sop_sent : NULL);
    jw_sop_list(w, "sop_classes_received", d ? &d->sop_received : NULL);
    jw_strlist(w, "modalities", d ? &d->modalities : NULL);
    jw_open_arr(w, "peers");
    const struct ip_addr *peers = d ? d->peers.items : NULL;
    for (unsigned i = 0; d && i < d->peers.n; i++)
        jw_str(w, NULL, ip_addr_str(&peers[i], buf, sizeof(buf)));
    jw_close_arr(w);
    if (m && m->os[0]) {
        jw_str(w, "os", m->os);
        static const char *const sources[] = {[ASSET_OS_SRVSVC] = "srvsvc_server_info",
                                              [ASSET_OS_NTLMSSP] = "ntlmssp_version",
                                              [ASSET_OS_SMB_NATIVE] = "smb_native_os"};
        jw_str(w, "os_source", sources[m->os_source]);
    }
    if (m && m->hostnames.n)
        jw_strlist(w, "hostnames", &m->hostnames);
    if (m && m->seen)
        asset_smb_json(w, m);
    if (a->hl7)
        asset_hl7_json(w, a->hl7);
    jw_u64(w, "changes", a->changes);
}

int asset_inventory_write(const struct asset_inventory *inv, const char *path, char *err, size_t errlen)
{
    /* written whole to a new file, then renamed over the old one (core/ofile.h) */
    struct ofile_replace out;
    if (ofile_replace_begin(&out, path, OFILE_MODE, err, errlen) < 0)
        return -1;
    FILE *fp = out.fp;
    struct jw w;
    jw_init(&w);
    fputs("[\n", fp);
    for (const struct asset *a = inv->first; a; a = a->next) {
        jw_reset(&w);
        jw_open_obj(&w, NULL);
        asset_json(&w, a);
        jw_close_obj(&w);
        fwrite(w.buf, 1, w.len, fp);
        fputs(a->next ? ",\n" : "\n", fp);
    }
    fputs("]\n", fp);
    jw_free(&w);
    return ofile_replace_commit(&out, err, errlen);
}
