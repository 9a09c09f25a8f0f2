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
 */
#include "assets/assets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/dcerpc/dcerpc.h"
#include "app/dicom/dicom.h"
#include "app/smb/smb.h"
#include "core/str.h"
#include "flow/flow.h"

int asset_inventory_init(struct asset_inventory *inv, struct event_bus *bus)
{
    memset(inv, 0, sizeof(*inv));
    inv->bus = bus;
    return event_bus_subscribe(bus, EVENT_MASK(EVENT_DICOM) | EVENT_MASK(EVENT_SMB) | EVENT_MASK(EVENT_DCERPC),
                               asset_on_event, inv);
}

void asset_inventory_free(struct asset_inventory *inv)
{
    free(inv->assets);
    inv->assets = NULL;
    inv->n = inv->cap = 0;
}

static struct asset *asset_get(struct asset_inventory *inv, const struct ip_addr *ip, uint64_t ts, bool *created)
{
    *created = false;
    for (size_t i = 0; i < inv->n; i++)
        if (ip_addr_eq(&inv->assets[i].ip, ip))
            return &inv->assets[i];
    if (inv->n >= ASSET_MAX) {
        inv->dropped++;
        return NULL;
    }
    if (inv->n == inv->cap) {
        size_t ncap = inv->cap ? inv->cap * 2 : 16;
        struct asset *na = realloc(inv->assets, ncap * sizeof(*na));
        if (!na) {
            inv->dropped++;
            return NULL;
        }
        inv->assets = na;
        inv->cap = ncap;
    }
    struct asset *a = &inv->assets[inv->n++];
    memset(a, 0, sizeof(*a));
    a->ip = *ip;
    a->first_us = a->last_us = ts;
    *created = true;
    return a;
}

/* Add s to a fixed list of *n strings of width bytes each (at most max); true if it was not there.  s is compared
 * as it would be stored (cut to width), so a long string is not added again and again; nocase for Windows names. */
static bool strlist_add(char *list, size_t width, uint8_t *n, size_t max, const char *s, bool nocase)
{
    if (!s || !s[0] || *n >= max)
        return false;
    char cut[128]; /* wider than every list's strings */
    (void)str_copy_utf8(cut, width < sizeof(cut) ? width : sizeof(cut), s);
    for (uint8_t i = 0; i < *n; i++)
        if ((nocase ? strcasecmp(list + i * width, cut) : strcmp(list + i * width, cut)) == 0)
            return false;
    memcpy(list + (size_t)*n * width, cut, strlen(cut) + 1);
    (*n)++;
    return true;
}

#define STRLIST_ADD(arr, n, s, nocase) \
    strlist_add(&(arr)[0][0], sizeof((arr)[0]), &(n), sizeof(arr) / sizeof((arr)[0]), (s), (nocase))

/* Add s to a fixed list of strings; true if it was not there. */
static bool list_add(char (*list)[ASSET_UID_LEN], uint8_t *n, size_t max, const char *s)
{
    return strlist_add(&list[0][0], ASSET_UID_LEN, n, max, s, false);
}

static bool ae_add(char (*list)[ASSET_AE_LEN], uint8_t *n, const char *s)
{
    return strlist_add(&list[0][0], ASSET_AE_LEN, n, ASSET_MAX_AE, s, false);
}

static bool peer_add(struct asset *a, const struct ip_addr *p)
{
    for (uint8_t i = 0; i < a->n_peers; i++)
        if (ip_addr_eq(&a->peers[i], p))
            return false;
    if (a->n_peers >= ASSET_MAX_PEERS)
        return false;
    a->peers[a->n_peers++] = *p;
    return true;
}

static bool identity_set(struct asset *a, const struct dicom_user_info *ui)
{
    if (!ui->present || !ui->impl_class_uid[0])
        return false;
    if (strcmp(a->impl_class_uid, ui->impl_class_uid) == 0 && strcmp(a->impl_version, ui->impl_version) == 0)
        return false;
    snprintf(a->impl_class_uid, sizeof(a->impl_class_uid), "%s", ui->impl_class_uid);
    snprintf(a->impl_version, sizeof(a->impl_version), "%s", ui->impl_version);
    a->software = asset_impl_software(a->impl_class_uid, a->impl_version);
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

/* The two ends of the event's flow: found or created, last seen now, MACs learnt.  false if the inventory is full. */
struct asset_pair {
    struct asset *c, *s;
    bool cnew, snew; /* created by this event */
    bool cch, sch;   /* changed by this event */
};

static bool pair_get(struct asset_inventory *inv, const struct event *ev, struct asset_pair *p)
{
    const struct flow *f = ev->flow;
    memset(p, 0, sizeof(*p));
    p->c = asset_get(inv, &f->client, ev->ts_us, &p->cnew);
    p->s = asset_get(inv, &f->server, ev->ts_us, &p->snew);
    if (!p->c || !p->s) { /* the inventory is full: a record just created is still announced */
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

static void asset_on_dicom(struct asset_inventory *inv, const struct event *ev)
{
    const struct dicom_event *de = ev->body;
    const struct dicom_assoc *as = de->assoc;
    const struct flow *f = ev->flow;
    struct asset_pair p;
    if (!pair_get(inv, ev, &p))
        return;
    struct asset *c = p.c, *s = p.s;
    bool cch = p.cch, sch = p.sch;
    cch |= peer_add(c, &f->server);
    sch |= peer_add(s, &f->client);
    switch (de->kind) {
    case DICOM_EV_REQUEST:
        cch |= ae_add(c->ae_calling, &c->n_ae_calling, as->calling_ae);
        cch |= identity_set(c, &as->ui_rq);
        break;
    case DICOM_EV_ACCEPT:
        sch |= ae_add(s->ae_called, &s->n_ae_called, as->called_ae);
        sch |= identity_set(s, &as->ui_ac);
        if (!c->scu)
            c->scu = cch = true;
        if (!s->scp)
            s->scp = sch = true;
        break;
    case DICOM_EV_DIMSE: {
        const struct dicom_op *op = de->op;
        if (!op || !op->has_rq)
            break;
        struct asset *rq = op->rq_dir == 0 ? c : s, *rp = op->rq_dir == 0 ? s : c;
        bool *rqch = op->rq_dir == 0 ? &cch : &sch, *rpch = op->rq_dir == 0 ? &sch : &cch;
        if (!rq->scu)
            rq->scu = *rqch = true;
        if (!rp->scp)
            rp->scp = *rpch = true;
        const char *sop = op->rq.affected_sop_class[0] ? op->rq.affected_sop_class : op->rq.requested_sop_class;
        *rqch |= list_add(rq->sop_sent, &rq->n_sop_sent, ASSET_MAX_SOP, sop);
        *rpch |= list_add(rp->sop_received, &rp->n_sop_received, ASSET_MAX_SOP, sop);
        if (op->rq.command_field == 0x0001) { /* C-STORE: the sender's kind of images */
            const char *mod = dicom_sop_class_modality(sop);
            if (!mod && op->rq_ds.modality[0])
                mod = op->rq_ds.modality;
            if (mod)
                *rqch |= ae_add(rq->modalities, &rq->n_modalities, mod);
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

static bool set_flag(bool *flag)
{
    if (*flag)
        return false;
    *flag = true;
    return true;
}

/* A hint from src: taken if src outranks the current hint's source (the first hint of a source stays). */
static bool os_offer(struct asset *a, enum asset_os_source src, const char *hint)
{
    if (!hint[0] || src <= a->os_source)
        return false;
    (void)str_copy_utf8(a->os, sizeof(a->os), hint);
    a->os_source = src;
    return true;
}

/* An SMB1 dialect string (from a NEGOTIATE_PROTOCOL request) rather than the SMB2 ones an SMB1 negotiate can offer
 * ("SMB 2.002", "SMB 2.???") [MS-SMB2 3.3.5.3.1]. */
static bool dialect_is_smb1(const char *d)
{
    return strncmp(d, "SMB 2.", 6) != 0;
}

/* The SMB1 NativeOS / NativeLanMan a host sent. */
static bool smb_native(struct asset *a, const char *os, const char *lm)
{
    bool ch = false;
    ch |= STRLIST_ADD(a->smb.native_os, a->smb.n_native_os, os, false);
    ch |= STRLIST_ADD(a->smb.native_lm, a->smb.n_native_lm, lm, false);
    char hint[ASSET_OS_LEN];
    if (asset_os_from_native(os, lm, hint, sizeof(hint)))
        ch |= os_offer(a, ASSET_OS_SMB_NATIVE, hint);
    return ch;
}

static bool ntlm_version_eq(const struct asset_ntlm_version *x, const struct asset_ntlm_version *y)
{
    return x->major == y->major && x->minor == y->minor && x->build == y->build && x->revision == y->revision;
}

/* What an NTLMSSP AUTHENTICATE shows of the host that sent it: VERSION, Workstation, DomainName; never UserName. */
static bool smb_ntlm(struct asset *a, const struct ntlmssp_info *nt)
{
    bool ch = false;
    ch |= STRLIST_ADD(a->hostnames, a->n_hostnames, nt->host, true);
    ch |= STRLIST_ADD(a->smb.domains, a->smb.n_domains, nt->domain, true);
    if (nt->has_version) {
        struct asset_ntlm_version v = {
            .major = nt->ver_major, .minor = nt->ver_minor, .build = nt->ver_build, .revision = nt->ver_revision};
        bool known = false;
        for (uint8_t i = 0; i < a->smb.n_ntlm_versions && !known; i++)
            known = ntlm_version_eq(&a->smb.ntlm_versions[i], &v);
        if (!known && a->smb.n_ntlm_versions < ASSET_MAX_NTLM_VERS) {
            a->smb.ntlm_versions[a->smb.n_ntlm_versions++] = v;
            ch = true;
        }
        char hint[ASSET_OS_LEN];
        if (asset_os_from_ntlm(v.major, v.minor, v.build, v.revision, hint, sizeof(hint)))
            ch |= os_offer(a, ASSET_OS_NTLMSSP, hint);
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
    struct asset *c = p.c, *s = p.s;
    bool cch = p.cch, sch = p.sch;
    c->smb.seen = s->smb.seen = true;
    cch |= set_flag(&c->smb.client);
    sch |= set_flag(&s->smb.server);
    if (se->version == 1) {
        cch |= set_flag(&c->smb.smb1);
        sch |= set_flag(&s->smb.smb1);
    }
    /* every event carries the flow's negotiated dialect; "2.??" only answers a multi-protocol negotiate */
    if (se->dialect && strcmp(se->dialect, "2.??") != 0) {
        cch |= STRLIST_ADD(c->smb.dialects, c->smb.n_dialects, se->dialect, false);
        sch |= STRLIST_ADD(s->smb.dialects, s->smb.n_dialects, se->dialect, false);
    }
    for (size_t i = 0; i < se->n_client_dialects && i < SMB_MAX_DIALECTS; i++) {
        const char *d = se->client_dialects[i];
        if (!d)
            continue;
        cch |= STRLIST_ADD(c->smb.offered, c->smb.n_offered, d, false);
        if (se->version == 1 && dialect_is_smb1(d))
            cch |= set_flag(&c->smb.smb1_offered);
    }
    if (se->req_native_os || se->req_native_lm)
        cch |= smb_native(c, se->req_native_os, se->req_native_lm);
    if (se->resp_native_os || se->resp_native_lm)
        sch |= smb_native(s, se->resp_native_os, se->resp_native_lm);
    if (se->ntlmssp && se->ntlmssp->type == NTLMSSP_AUTH)
        cch |= smb_ntlm(c, se->ntlmssp);
    /* a successful TREE_CONNECT, or any successful operation in a tree (its share comes from the tree table) */
    if (se->share && se->share[0] && se->has_status && se->status == SMB_STATUS_SUCCESS)
        sch |= STRLIST_ADD(s->smb.shares, s->smb.n_shares, share_name(se->share), true);
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
    struct asset *s = p.s;
    bool sch = p.sch;
    if (ntlm)
        p.cch |= smb_ntlm(p.c, de->ntlmssp);
    if (sv && sv->has_server_info) {
        char hint[ASSET_OS_LEN];
        if (sv->has_version && asset_os_from_srvsvc(sv->platform_id, sv->version_major, sv->version_minor,
                                                    sv->server_type, hint, sizeof(hint)))
            sch |= os_offer(s, ASSET_OS_SRVSVC, hint);
        /* a server may answer with the address it was asked by ("192.168.24.100"): that is no host name */
        unsigned char addr[16];
        if (sv->server_name[0] && inet_pton(AF_INET, sv->server_name, addr) != 1 &&
            inet_pton(AF_INET6, sv->server_name, addr) != 1)
            sch |= STRLIST_ADD(s->hostnames, s->n_hostnames, sv->server_name, true);
    }
    for (size_t i = 0; sv && i < sv->n_shares; i++)
        if (sv->shares[i].name[0])
            sch |= STRLIST_ADD(s->smb.shares, s->smb.n_shares, sv->shares[i].name, true);
    p.sch = sch;
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
}

static void jw_strlist(struct jw *w, const char *key, const char *list, size_t width, unsigned n)
{
    jw_open_arr(w, key);
    for (unsigned i = 0; i < n; i++)
        jw_str(w, NULL, list + (size_t)i * width);
    jw_close_arr(w);
}

#define JW_STRLIST(w, key, arr, n) jw_strlist((w), (key), &(arr)[0][0], sizeof((arr)[0]), (n))

static void asset_smb_json(struct jw *w, const struct asset_smb *m)
{
    jw_open_obj(w, "smb");
    jw_str(w, "role", m->client && m->server ? "both" : m->server ? "server" : "client");
    jw_bool(w, "smb1", m->smb1);
    jw_bool(w, "smb1_offered", m->smb1_offered);
    JW_STRLIST(w, "dialects", m->dialects, m->n_dialects);
    JW_STRLIST(w, "dialects_offered", m->offered, m->n_offered);
    if (m->n_native_os)
        JW_STRLIST(w, "native_os", m->native_os, m->n_native_os);
    if (m->n_native_lm)
        JW_STRLIST(w, "native_lm", m->native_lm, m->n_native_lm);
    if (m->n_ntlm_versions) {
        /* as the smb event writes ntlmssp.version */
        jw_open_arr(w, "ntlm_versions");
        for (unsigned i = 0; i < m->n_ntlm_versions; i++) {
            const struct asset_ntlm_version *v = &m->ntlm_versions[i];
            char s[48];
            snprintf(s, sizeof(s), "%u.%u build %u rev %u", v->major, v->minor, v->build, v->revision);
            jw_str(w, NULL, s);
        }
        jw_close_arr(w);
    }
    if (m->n_domains)
        JW_STRLIST(w, "domains", m->domains, m->n_domains);
    if (m->server || m->n_shares)
        JW_STRLIST(w, "shares", m->shares, m->n_shares);
    jw_close_obj(w);
}

void asset_json(struct jw *w, const struct asset *a)
{
    char buf[IP_ADDR_STRLEN];
    jw_str(w, "ip", ip_addr_str(&a->ip, buf, sizeof(buf)));
    if (a->has_mac) {
        char m[18];
        snprintf(m, sizeof(m), "%02x:%02x:%02x:%02x:%02x:%02x", a->mac[0], a->mac[1], a->mac[2], a->mac[3], a->mac[4],
                 a->mac[5]);
        jw_str(w, "mac", m);
    }
    jw_ts(w, "first_seen", a->first_us);
    jw_ts(w, "last_seen", a->last_us);
    const char *role = a->scu && a->scp ? "both" : a->scu ? "SCU" : a->scp ? "SCP" : "unknown";
    jw_str(w, "dicom_role", role);
    jw_open_arr(w, "ae_titles_calling");
    for (unsigned i = 0; i < a->n_ae_calling; i++)
        jw_str(w, NULL, a->ae_calling[i]);
    jw_close_arr(w);
    jw_open_arr(w, "ae_titles_called");
    for (unsigned i = 0; i < a->n_ae_called; i++)
        jw_str(w, NULL, a->ae_called[i]);
    jw_close_arr(w);
    if (a->impl_class_uid[0])
        jw_str(w, "implementation_class_uid", a->impl_class_uid);
    if (a->impl_version[0])
        jw_str(w, "implementation_version_name", a->impl_version);
    if (a->software)
        jw_str(w, "software", a->software);
    jw_open_arr(w, "sop_classes_sent");
    for (unsigned i = 0; i < a->n_sop_sent; i++) {
        jw_open_obj(w, NULL);
        jw_str(w, "uid", a->sop_sent[i]);
        const char *n = dicom_uid_name(a->sop_sent[i]);
        if (n)
            jw_str(w, "name", n);
        jw_close_obj(w);
    }
    jw_close_arr(w);
    jw_open_arr(w, "sop_classes_received");
    for (unsigned i = 0; i < a->n_sop_received; i++) {
        jw_open_obj(w, NULL);
        jw_str(w, "uid", a->sop_received[i]);
        const char *n = dicom_uid_name(a->sop_received[i]);
        if (n)
            jw_str(w, "name", n);
        jw_close_obj(w);
    }
    jw_close_arr(w);
    jw_open_arr(w, "modalities");
    for (unsigned i = 0; i < a->n_modalities; i++)
        jw_str(w, NULL, a->modalities[i]);
    jw_close_arr(w);
    jw_open_arr(w, "peers");
    for (unsigned i = 0; i < a->n_peers; i++)
        jw_str(w, NULL, ip_addr_str(&a->peers[i], buf, sizeof(buf)));
    jw_close_arr(w);
    if (a->os[0]) {
        jw_str(w, "os", a->os);
        static const char *const sources[] = {[ASSET_OS_SRVSVC] = "srvsvc_server_info",
                                              [ASSET_OS_NTLMSSP] = "ntlmssp_version",
                                              [ASSET_OS_SMB_NATIVE] = "smb_native_os"};
        jw_str(w, "os_source", sources[a->os_source]);
    }
    if (a->n_hostnames) {
        jw_open_arr(w, "hostnames");
        for (unsigned i = 0; i < a->n_hostnames; i++)
            jw_str(w, NULL, a->hostnames[i]);
        jw_close_arr(w);
    }
    if (a->smb.seen)
        asset_smb_json(w, &a->smb);
    jw_u64(w, "changes", a->changes);
}

int asset_inventory_write(const struct asset_inventory *inv, const char *path, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        snprintf(err, errlen, "%s: cannot write the asset inventory: %s", path, strerror(errno));
        return -1;
    }
    struct jw w;
    jw_init(&w);
    fputs("[\n", fp);
    for (size_t i = 0; i < inv->n; i++) {
        jw_reset(&w);
        jw_open_obj(&w, NULL);
        asset_json(&w, &inv->assets[i]);
        jw_close_obj(&w);
        fwrite(w.buf, 1, w.len, fp);
        fputs(i + 1 < inv->n ? ",\n" : "\n", fp);
    }
    fputs("]\n", fp);
    jw_free(&w);
    if (fclose(fp) != 0) {
        snprintf(err, errlen, "%s: cannot write the asset inventory", path);
        return -1;
    }
    return 0;
}
