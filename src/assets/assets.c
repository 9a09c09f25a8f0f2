/*
 * assets.c - the asset inventory (see assets.h): fed by `dicom` events.
 *
 * Association events give AE titles, implementation identity and the default
 * roles (the requestor is the SCU, PS3.7 D.3.3.4); DIMSE events give the roles
 * actually played, the SOP classes exchanged and, from storage SOP classes,
 * the modality.  A record is published as an `asset` event when it is created
 * and whenever one of its lists or identities changes (not when only its
 * last-seen time moves), so the event rate follows change, not traffic.
 */
#include "assets/assets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app/dicom/dicom.h"
#include "flow/flow.h"

int asset_inventory_init(struct asset_inventory *inv, struct event_bus *bus)
{
    memset(inv, 0, sizeof(*inv));
    inv->bus = bus;
    return event_bus_subscribe(bus, EVENT_MASK(EVENT_DICOM), asset_on_event, inv);
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

/* Add s to a fixed list of strings; true if it was not there. */
static bool list_add(char (*list)[ASSET_UID_LEN], uint8_t *n, size_t max, const char *s)
{
    if (!s || !s[0])
        return false;
    for (uint8_t i = 0; i < *n; i++)
        if (strcmp(list[i], s) == 0)
            return false;
    if (*n >= max)
        return false;
    snprintf(list[*n], ASSET_UID_LEN, "%s", s);
    (*n)++;
    return true;
}

static bool ae_add(char (*list)[ASSET_AE_LEN], uint8_t *n, const char *s)
{
    if (!s || !s[0])
        return false;
    for (uint8_t i = 0; i < *n; i++)
        if (strcmp(list[i], s) == 0)
            return false;
    if (*n >= ASSET_MAX_AE)
        return false;
    snprintf(list[*n], ASSET_AE_LEN, "%s", s);
    (*n)++;
    return true;
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

void asset_on_event(void *user, const struct event *ev)
{
    struct asset_inventory *inv = user;
    if (ev->type != EVENT_DICOM || !ev->flow)
        return;
    const struct dicom_event *de = ev->body;
    const struct dicom_assoc *as = de->assoc;
    const struct flow *f = ev->flow;
    bool cnew = false, snew = false;
    struct asset *c = asset_get(inv, &f->client, ev->ts_us, &cnew);
    struct asset *s = asset_get(inv, &f->server, ev->ts_us, &snew);
    if (!c || !s)
        return;
    bool cch = false, sch = false;
    c->last_us = s->last_us = ev->ts_us;
    if (f->has_mac) {
        if (!c->has_mac && mac_real(f->client_mac)) {
            memcpy(c->mac, f->client_mac, 6);
            c->has_mac = cch = true;
        }
        if (!s->has_mac && mac_real(f->server_mac)) {
            memcpy(s->mac, f->server_mac, 6);
            s->has_mac = sch = true;
        }
    }
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
    if (cnew || cch)
        publish(inv, ev, c, cnew);
    if (snew || sch)
        publish(inv, ev, s, snew);
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
