/*
 * eve_http.c - the `http` EVE object (docs/EVE.md, section http).
 *
 * One event per transaction.  Field names are Suricata's where Suricata has
 * the field (hostname, url, http_user_agent, http_content_type, http_refer,
 * http_method, protocol, status, length, http_port, redirect is not kept);
 * `request_headers` is a list of header names in wire order (Suricata's
 * dump-all-headers writes name/value objects: medsentry never writes values).
 * Absent fields are left out, as Suricata does.
 */
#include "app/http/http.h"
#include "output/eve_http.h"

#include <string.h>

#include "flow/flow.h"

static void str_if(struct jw *w, const char *key, const char *s)
{
    if (s[0])
        jw_str(w, key, s);
}

/* The port of a Host field ("host:8080"), when it names one; 0 otherwise.  IPv6 literals are bracketed. */
static unsigned host_port(const char *host)
{
    const char *colon = strrchr(host, ':');
    if (!colon || (strchr(host, ':') != colon && host[0] != '['))
        return 0;
    if (host[0] == '[' && (colon == host || colon[-1] != ']'))
        return 0;
    unsigned v = 0;
    const char *p = colon + 1;
    if (!*p)
        return 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > 6553)
            return 0;
        v = v * 10 + (unsigned)(*p - '0');
    }
    return v <= 65535 ? v : 0;
}

/* The host part of a Host field, without the port. */
static void hostname(struct jw *w, const char *host)
{
    unsigned port = host_port(host);
    size_t n = port ? (size_t)(strrchr(host, ':') - host) : strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        jw_strn(w, "hostname", host + 1, n - 2);
    else
        jw_strn(w, "hostname", host, n);
}

void eve_http_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev)
{
    (void)cfg;
    const struct http_event *he = ev->body;
    if (!he || !he->tx)
        return;
    const struct http_tx *tx = he->tx;
    if (tx->has_host) {
        hostname(w, tx->host);
        unsigned port = host_port(tx->host);
        if (port)
            jw_u64(w, "http_port", port);
    }
    if (tx->has_request) {
        jw_str(w, "url", tx->uri);
        if (tx->uri_truncated)
            jw_bool(w, "url_truncated", true);
    }
    if (tx->has_user_agent)
        jw_str(w, "http_user_agent", tx->user_agent);
    str_if(w, "http_content_type", tx->resp_content_type);
    if (tx->has_referer)
        jw_str(w, "http_refer", tx->referer);
    if (tx->has_request) {
        jw_str(w, "http_method", tx->method);
        jw_str(w, "protocol", tx->protocol);
    } else if (tx->resp_protocol[0]) {
        jw_str(w, "protocol", tx->resp_protocol);
    }
    if (tx->has_response) {
        if (tx->status)
            jw_u64(w, "status", tx->status);
        str_if(w, "reason", tx->reason);
    }
    jw_u64(w, "length", tx->response_body_len);
    if (tx->has_request) {
        jw_open_arr(w, "request_headers");
        const char *n = tx->names;
        for (unsigned i = 0; i < tx->n_names; i++) {
            jw_str(w, NULL, n);
            n += strlen(n) + 1;
        }
        jw_close_arr(w);
        if (tx->names_truncated)
            jw_bool(w, "request_headers_truncated", true);
        str_if(w, "http_request_content_type", tx->req_content_type);
        jw_u64(w, "request_body_length", tx->request_body_len);
    }
    if (tx->has_req_content_length)
        jw_u64(w, "request_content_length", tx->req_content_length);
    if (tx->has_resp_content_length)
        jw_u64(w, "response_content_length", tx->resp_content_length);
    if (tx->req_chunked)
        jw_bool(w, "request_chunked", true);
    if (tx->resp_chunked)
        jw_bool(w, "response_chunked", true);
    if (tx->resp_encoded)
        jw_bool(w, "response_content_encoded", true);
    if (tx->interim)
        jw_u64(w, "interim_responses", tx->interim);
    if (tx->te_and_cl)
        jw_bool(w, "te_and_cl", true);
    if (!tx->has_request)
        jw_bool(w, "response_without_request", true);
    if (tx->has_request && !tx->has_response)
        jw_bool(w, "no_response", true);
    if (tx->tunnel)
        jw_bool(w, "tunnel", true);
    if (tx->gap)
        jw_bool(w, "gap", true);
    if (tx->truncated)
        jw_bool(w, "truncated", true);
}
