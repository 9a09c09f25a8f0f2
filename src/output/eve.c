/*
 * eve.c - EVE JSON lines: the common header, dispatch to the body writers,
 * and the file.  See eve.h and docs/EVE.md.
 */
#include "output/eve.h"
#include "output/eve_dicom.h"
#include "output/eve_dns.h"
#include "output/eve_smb.h"
#include "output/eve_tls.h"
#include "output/eve_http.h"
#include "output/eve_hl7.h"

#include <errno.h>
#include <string.h>

#include "app/app.h"
#include "core/addr.h"
#include "core/ofile.h"
#include "core/stats.h"
#include "decode/decode.h"
#include "flow/flow.h"

const eve_body_fn eve_body[EVENT__COUNT] = {
    [EVENT_FLOW] = eve_flow_body,         [EVENT_ANOMALY] = eve_anomaly_body, [EVENT_STATS] = eve_stats_body,
    [EVENT_DICOM] = eve_dicom_body,       [EVENT_SMB] = eve_smb_body,         [EVENT_DCERPC] = eve_dcerpc_body,
    [EVENT_FILEINFO] = eve_fileinfo_body, [EVENT_ASSET] = eve_asset_body,     [EVENT_TLS] = eve_tls_body,
    [EVENT_HTTP] = eve_http_body,         [EVENT_DNS] = eve_dns_body,         [EVENT_HL7] = eve_hl7_body,
};

const eve_body_fn eve_extra[EVENT__COUNT] = {
    [EVENT_FLOW] = eve_flow_tcp,
};

int eve_open(struct eve_writer *w, const char *path, struct stats *stats, const struct eve_cfg *cfg, char *errbuf,
             size_t errlen)
{
    memset(w, 0, sizeof(*w));
    w->stats = stats;
    w->cfg = *cfg;
    snprintf(w->path, sizeof(w->path), "%s", path);
    if (strcmp(path, "-") == 0) {
        w->fp = stdout;
    } else {
        w->fp = ofile_fappend(path, OFILE_MODE, errbuf, errlen); /* never through a planted link */
        if (!w->fp)
            return -1;
        w->owns_fp = true;
        setvbuf(w->fp, NULL, _IOFBF, 1 << 20);
    }
    jw_init(&w->jw);
    return 0;
}

void eve_close(struct eve_writer *w)
{
    if (w->fp) {
        fflush(w->fp);
        if (w->owns_fp)
            fclose(w->fp);
    }
    w->fp = NULL;
    jw_free(&w->jw);
}

int eve_reopen(struct eve_writer *w, char *errbuf, size_t errlen)
{
    if (!w->fp || !w->owns_fp)
        return 0;
    fflush(w->fp);
    /* the rules of every output (core/ofile.h): a new file O_EXCL|O_NOFOLLOW, an existing one only a regular
     * file with one link, never through a link planted after the rotation */
    char e[512];
    FILE *fp = ofile_fappend(w->path, OFILE_MODE, e, sizeof(e));
    if (!fp) {
        snprintf(errbuf, errlen, "%s (still writing to the file it was)", e);
        return -1;
    }
    setvbuf(fp, NULL, _IOFBF, 1 << 20);
    fclose(w->fp);
    w->fp = fp;
    return 0;
}

static const char *ipproto_name(uint8_t p, char *buf, size_t n)
{
    switch (p) {
    case 6: return "TCP";
    case 17: return "UDP";
    case 1: return "ICMP";
    case 58: return "IPv6-ICMP";
    default: snprintf(buf, n, "%u", p); return buf;
    }
}

static void eve_vlan(struct jw *w, const uint16_t *vlan, int n)
{
    if (n <= 0)
        return;
    jw_open_arr(w, "vlan");
    for (int i = 0; i < n && i < DECODE_MAX_VLAN; i++)
        jw_u64(w, NULL, vlan[i]);
    jw_close_arr(w);
}

void eve_format(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    char a[IP_ADDR_STRLEN], b[IP_ADDR_STRLEN], pn[8];
    if (ev->type == EVENT_ALERT) {
        eve_alert_format(w, cfg, ev);
        return;
    }
    jw_open_obj(w, NULL);
    jw_ts(w, "timestamp", ev->ts_us);
    const struct flow *f = ev->flow;
    if (f)
        jw_u64(w, "flow_id", f->flow_id);
    jw_str(w, "event_type", event_type_name(ev->type));
    if (f) {
        eve_vlan(w, f->vlan, f->vlan_count);
        jw_str(w, "src_ip", ip_addr_str(&f->client, a, sizeof(a)));
        if (f->ipproto == 6 || f->ipproto == 17)
            jw_u64(w, "src_port", f->client_port);
        jw_str(w, "dest_ip", ip_addr_str(&f->server, b, sizeof(b)));
        if (f->ipproto == 6 || f->ipproto == 17)
            jw_u64(w, "dest_port", f->server_port);
        jw_str(w, "proto", ipproto_name(f->ipproto, pn, sizeof(pn)));
        if (f->ipproto == 1 || f->ipproto == 58) {
            jw_u64(w, "icmp_type", f->icmp_type);
            jw_u64(w, "icmp_code", f->icmp_code);
        }
        const char *app = app_proto_name(f->app.proto);
        if (app)
            jw_str(w, "app_proto", app);
        if (ev->type != EVENT_FLOW && ev->dir != EVENT_DIR_NONE)
            jw_str(w, "direction", ev->dir == EVENT_DIR_TOCLIENT ? "to_client" : "to_server");
    } else if (ev->pkt && ev->pkt->ip_version) {
        const struct decoded *d = ev->pkt;
        eve_vlan(w, d->vlan, d->vlan_count);
        jw_str(w, "src_ip", ip_addr_str(&d->src, a, sizeof(a)));
        if (d->l4 && (d->ipproto == 6 || d->ipproto == 17))
            jw_u64(w, "src_port", d->sport);
        jw_str(w, "dest_ip", ip_addr_str(&d->dst, b, sizeof(b)));
        if (d->l4 && (d->ipproto == 6 || d->ipproto == 17))
            jw_u64(w, "dest_port", d->dport);
        if (d->ipproto)
            jw_str(w, "proto", ipproto_name(d->ipproto, pn, sizeof(pn)));
    }
    if ((unsigned)ev->type < EVENT__COUNT && eve_body[ev->type]) {
        jw_open_obj(w, event_type_name(ev->type));
        eve_body[ev->type](w, cfg, ev);
        jw_close_obj(w);
    }
    if ((unsigned)ev->type < EVENT__COUNT && eve_extra[ev->type])
        eve_extra[ev->type](w, cfg, ev);
    jw_close_obj(w);
}

_Static_assert(EVENT__COUNT <= sizeof(((struct stats *)0)->events_by_type) / sizeof(uint64_t),
               "stats.events_by_type must have a slot per event type");

void eve_on_event(void *user, const struct event *ev)
{
    struct eve_writer *w = user;
    w->formatted = NULL;
    if (!w->fp)
        return;
    jw_reset(&w->jw);
    eve_format(&w->jw, &w->cfg, ev);
    if (w->jw.err || w->jw.depth != 0) {
        w->stats->events_dropped++;
        return;
    }
    w->formatted = ev;
    w->jw.buf[w->jw.len] = '\n';
    if (fwrite(w->jw.buf, 1, w->jw.len + 1, w->fp) != w->jw.len + 1) {
        w->stats->events_dropped++;
        return;
    }
    w->stats->events_written++;
    if ((unsigned)ev->type < 16)
        w->stats->events_by_type[ev->type]++; /* sized by the static assertion above eve_on_event */
}
