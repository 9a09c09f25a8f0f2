/*
 * eve_alert.c - the `alert` event in Suricata's shape, so Elastic, Splunk and
 * EveBox read it unchanged: the common header with the alert's own source and
 * destination, `alert` {action, gid, signature_id, rev, signature, category,
 * severity, metadata {mitre_technique_id, reference, confidence, spec}}, and
 * medsentry's `evidence` object (hosts, flows, files, services, AE titles,
 * counts and window, the steps a chain summarises).  docs/EVE.md lists every
 * field.
 */
#include "core/addr.h"
#include "detect/detect.h"
#include "output/eve.h"

static const char *proto_name(uint8_t p)
{
    switch (p) {
    case 6: return "TCP";
    case 17: return "UDP";
    default: return NULL;
    }
}

static void opt_str(struct jw *w, const char *key, const char *s)
{
    if (s && s[0])
        jw_str(w, key, s);
}

static void str_arr(struct jw *w, const char *key, const char *const *v, size_t n)
{
    size_t have = 0;
    for (size_t i = 0; i < n; i++)
        have += v[i] != NULL;
    if (!have)
        return;
    jw_open_arr(w, key);
    for (size_t i = 0; i < n; i++)
        if (v[i])
            jw_str(w, NULL, v[i]);
    jw_close_arr(w);
}

void eve_alert_evidence(struct jw *w, const char *key, const struct alert_event *a)
{
    char buf[IP_ADDR_STRLEN];
    jw_open_obj(w, key);
    if (a->n_hosts) {
        jw_open_arr(w, "hosts");
        for (uint8_t i = 0; i < a->n_hosts; i++)
            jw_str(w, NULL, ip_addr_str(&a->hosts[i], buf, sizeof(buf)));
        jw_close_arr(w);
    }
    if (a->n_flows) {
        jw_open_arr(w, "flow_ids");
        for (uint8_t i = 0; i < a->n_flows; i++)
            jw_u64(w, NULL, a->flows[i]);
        jw_close_arr(w);
    }
    opt_str(w, "share", a->share);
    opt_str(w, "filename", a->filename);
    opt_str(w, "sha256", a->sha256);
    opt_str(w, "magic", a->magic);
    opt_str(w, "operation", a->operation);
    opt_str(w, "service_name", a->service_name);
    opt_str(w, "display_name", a->display_name);
    opt_str(w, "binary_path", a->binary_path);
    opt_str(w, "calling_ae", a->calling_ae);
    opt_str(w, "called_ae", a->called_ae);
    opt_str(w, "move_destination", a->move_destination);
    opt_str(w, "hostname", a->hostname);
    opt_str(w, "url", a->url);
    opt_str(w, "http_user_agent", a->user_agent);
    opt_str(w, "request_headers", a->header_names);
    if (a->n_aes) {
        jw_open_arr(w, "ae_titles");
        for (uint8_t i = 0; i < a->n_aes; i++)
            jw_str(w, NULL, a->aes[i]);
        jw_close_arr(w);
    }
    if (a->indicator[0]) {
        jw_open_obj(w, "indicator");
        jw_str(w, "value", a->indicator);
        jw_str(w, "type", a->indicator_type);
        jw_str(w, "list", a->indicator_list);
        jw_close_obj(w);
    }
    if (a->count)
        jw_u64(w, "count", a->count);
    if (a->threshold)
        jw_u64(w, "threshold", a->threshold);
    if (a->window_s)
        jw_u64(w, "window", a->window_s);
    if (a->first_us && a->first_us != a->last_us) {
        jw_ts(w, "first_seen", a->first_us);
        jw_ts(w, "last_seen", a->last_us);
    }
    opt_str(w, "detail", a->detail);
    opt_str(w, "file_direction", a->file_direction);
    if (a->yara_rule[0]) {
        jw_open_obj(w, "yara");
        jw_str(w, "rule", a->yara_rule);
        opt_str(w, "tags", a->yara_tags);
        opt_str(w, "meta", a->yara_meta);
        jw_close_obj(w);
    }
    if (a->n_steps) {
        jw_open_arr(w, "steps");
        for (uint8_t i = 0; i < a->n_steps; i++) {
            const struct alert_step *s = &a->steps[i];
            const struct detect_sig *sig = detect_sig_find(s->sid);
            jw_open_obj(w, NULL);
            jw_ts(w, "timestamp", s->ts_us);
            jw_u64(w, "signature_id", s->sid);
            if (sig)
                jw_str(w, "signature", sig->msg);
            if (s->flow_id)
                jw_u64(w, "flow_id", s->flow_id);
            if (s->dst.family) /* a C2 step by DNS or about many raw IPs has no single destination */
                jw_str(w, "dest_ip", ip_addr_str(&s->dst, buf, sizeof(buf)));
            opt_str(w, "what", s->what);
            jw_close_obj(w);
        }
        jw_close_arr(w);
    }
    jw_close_obj(w);
}

void eve_alert_format(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct alert_event *a = ev->body;
    const struct detect_sig *sig = a->sig;
    char buf[IP_ADDR_STRLEN];
    jw_open_obj(w, NULL);
    jw_ts(w, "timestamp", ev->ts_us);
    if (a->flow_id)
        jw_u64(w, "flow_id", a->flow_id);
    jw_str(w, "event_type", "alert");
    jw_str(w, "src_ip", ip_addr_str(&a->src, buf, sizeof(buf)));
    if (a->src_port)
        jw_u64(w, "src_port", a->src_port);
    if (a->dst.family)
        jw_str(w, "dest_ip", ip_addr_str(&a->dst, buf, sizeof(buf)));
    if (a->dst_port)
        jw_u64(w, "dest_port", a->dst_port);
    if (proto_name(a->proto))
        jw_str(w, "proto", proto_name(a->proto));
    opt_str(w, "app_proto", a->app_proto);

    jw_open_obj(w, "alert");
    jw_str(w, "action", "allowed");
    jw_u64(w, "gid", 1);
    jw_u64(w, "signature_id", sig->sid);
    jw_u64(w, "rev", sig->rev);
    jw_str(w, "signature", sig->msg);
    jw_str(w, "category", sig->category);
    jw_u64(w, "severity", a->severity);
    jw_open_obj(w, "metadata");
    str_arr(w, "mitre_technique_id", sig->attack, sizeof(sig->attack) / sizeof(sig->attack[0]));
    str_arr(w, "reference", sig->references, sizeof(sig->references) / sizeof(sig->references[0]));
    const char *conf[1] = {sig->confidence};
    str_arr(w, "confidence", conf, 1);
    const char *spec[1] = {sig->spec};
    str_arr(w, "spec", spec, 1);
    jw_close_obj(w);
    jw_close_obj(w);

    eve_alert_evidence(w, "evidence", a);
    jw_close_obj(w);
}
