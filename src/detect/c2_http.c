/*
 * c2_http.c - Kwampirs command and control seen in HTTP requests:
 *
 *   §7.1  the C2 request fingerprint (ET 2023595, S7): GET, URI
 *         `<path>.(php|asp|aspx)?q=KT<base64>` longer than 21 bytes, User-Agent
 *         the first header and beginning `Mozilla/`, Host the second, and no
 *         Accept, Referer or Cookie header anywhere.  9300010 for `?q=KT`,
 *         9300011 for the older `?q=K` form (2017 Snort version) at medium.  A
 *         path made only of the list's vocabulary (§2.2 C9, [INFERENCE] from S8)
 *         is said in the evidence.
 *   §7.2  indicator lists: the most specific of URL (Host + path), IP+path (the
 *         flow's server address, or a dotted-quad Host, + path), domain (Host
 *         and its parent domains), IP alone (low confidence, §2.2 C10).
 *   §7.3  a Kwampirs-style generated Host name (c2_dns.c has the rule), when no
 *         list matched.
 *
 * One transaction raises at most one alert of each of the three.  Each alert
 * (but the IP-alone one) is a C2 step of the chain (chain.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/http/http.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

/* The path of a request target: origin form as is, absolute form ("http://host/p") from its path; without the
 * query and fragment.  Empty when there is none. */
static void uri_path(const char *uri, char *out, size_t cap)
{
    const char *p = uri;
    const char *scheme = strstr(uri, "://");
    if (scheme && (size_t)(scheme - uri) < 8) {
        p = strchr(scheme + 3, '/');
        if (!p)
            p = "/";
    }
    size_t n = strcspn(p, "?#");
    if (*p != '/' || n >= cap)
        n = 0;
    memcpy(out, p, n);
    out[n] = '\0';
}

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* §7.1: 2 for "?q=KT<base64>", 1 for "?q=K<base64>", 0 otherwise.  uri is the raw request target. */
static int kwampirs_uri(const char *uri)
{
    if (strlen(uri) <= 21)
        return 0;
    const char *q = strchr(uri, '?');
    if (!q || strncmp(q, "?q=K", 4) != 0)
        return 0;
    /* the path ends in .php, .asp or .aspx (the spec's regular expression is case-sensitive) */
    size_t pl = (size_t)(q - uri);
    bool ext = (pl >= 4 && memcmp(q - 4, ".php", 4) == 0) || (pl >= 4 && memcmp(q - 4, ".asp", 4) == 0) ||
               (pl >= 5 && memcmp(q - 5, ".aspx", 5) == 0);
    if (!ext)
        return 0;
    const char *v = q + 3, *end = v + strlen(v);
    size_t pad = 0;
    while (end > v && end[-1] == '=' && pad < 2) {
        end--;
        pad++;
    }
    for (const char *c = v; c < end; c++)
        if (!b64_char(*c))
            return 0;
    return v[1] == 'T' ? 2 : 1;
}

/* §2.2 C9 [INFERENCE]: every path of the S8 IP list is ^(/(new|group|users|index|home|main|login|default)+)+\. */
static bool vocabulary_path(const char *path)
{
    static const char *const words[] = {"new", "group", "users", "index", "home", "main", "login", "default"};
    const char *p = path;
    bool any = false;
    while (*p == '/') {
        p++;
        bool word = false;
        for (;;) {
            bool hit = false;
            for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
                size_t l = strlen(words[i]);
                if (strncmp(p, words[i], l) == 0) {
                    p += l;
                    hit = word = true;
                    break;
                }
            }
            if (!hit)
                break;
        }
        if (!word)
            return false;
        any = true;
    }
    return any && *p == '.';
}

static const char *header_name(const struct http_tx *tx, uint8_t i, uint16_t *off)
{
    if (i >= tx->n_names || *off >= tx->names_len)
        return NULL;
    const char *n = tx->names + *off;
    *off = (uint16_t)(*off + strlen(n) + 1);
    return n;
}

/* §7.1's header conditions: User-Agent first and "Mozilla/...", Host second, no Accept/Referer/Cookie. */
static bool kwampirs_headers(const struct http_tx *tx)
{
    if (tx->names_truncated || tx->n_names < 2 || strncmp(tx->user_agent, "Mozilla/", 8) != 0)
        return false;
    uint16_t off = 0;
    for (uint8_t i = 0; i < tx->n_names; i++) {
        const char *n = header_name(tx, i, &off);
        if (!n)
            return false;
        if ((i == 0 && strcasecmp(n, "User-Agent") != 0) || (i == 1 && strcasecmp(n, "Host") != 0))
            return false;
        if (strcasecmp(n, "Accept") == 0 || strcasecmp(n, "Referer") == 0 || strcasecmp(n, "Cookie") == 0)
            return false;
    }
    return true;
}

static void http_evidence(struct alert_event *a, const struct http_tx *tx)
{
    str_copy_utf8(a->hostname, sizeof(a->hostname), tx->host);
    str_copy_utf8(a->url, sizeof(a->url), tx->uri);
    str_copy_utf8(a->user_agent, sizeof(a->user_agent), tx->user_agent);
    size_t o = 0;
    uint16_t off = 0;
    for (uint8_t i = 0; i < tx->n_names && o + 1 < sizeof(a->header_names); i++) {
        const char *n = header_name(tx, i, &off);
        if (!n)
            break;
        int w = snprintf(a->header_names + o, sizeof(a->header_names) - o, "%s%s", i ? ", " : "", n);
        if (w < 0 || (size_t)w >= sizeof(a->header_names) - o) {
            a->header_names[o] = '\0';
            break;
        }
        o += (size_t)w;
    }
}

static void c2_alert(struct detect_ctx *d, const struct event *ev, const struct http_tx *tx, uint32_t sid,
                     const struct ioc_entry *ioc, enum ioc_type t, const char *detail)
{
    struct alert_event a;
    alert_init(&a, sid, ev);
    http_evidence(&a, tx);
    if (ioc) {
        str_copy_utf8(a.indicator, sizeof(a.indicator), ioc->value);
        snprintf(a.indicator_type, sizeof(a.indicator_type), "%s", ioc_type_name(t));
        snprintf(a.indicator_list, sizeof(a.indicator_list), "%s", rules_list_name(&d->rules, ioc->list));
    }
    if (detail)
        str_copy_utf8(a.detail, sizeof(a.detail), detail);
    /* §7.3, §7.23: a generated name queried from an imaging node is High */
    if (sid == SID_C2_NAME && detect_net_match(&d->imaging, &ev->flow->client))
        a.severity = 1;
    detect_alert(d, &a, ev->ts_us);
    if (sid != SID_C2_IP)
        det_chain_c2(d, &a);
}

/* §7.2: the most specific list entry for this request, or NULL; *t says which list type matched. */
static const struct ioc_entry *match_lists(struct detect_ctx *d, const struct flow *f, const char *host,
                                           const char *path, enum ioc_type *t)
{
    const struct detect_rules *r = &d->rules;
    char buf[HTTP_HOST_MAX + HTTP_URI_MAX + 2];
    const struct ioc_entry *e;
    if (host[0] && path[0]) {
        snprintf(buf, sizeof(buf), "%s%s", host, path);
        if ((e = rules_match(r, IOC_URL, buf))) {
            *t = IOC_URL;
            return e;
        }
        if ((e = rules_match(r, IOC_IP_PATH, buf))) { /* a dotted-quad Host */
            *t = IOC_IP_PATH;
            return e;
        }
    }
    char addr[IP_ADDR_STRLEN];
    ip_addr_str(&f->server, addr, sizeof(addr));
    if (path[0]) {
        snprintf(buf, sizeof(buf), "%s%s", addr, path);
        if ((e = rules_match(r, IOC_IP_PATH, buf))) {
            *t = IOC_IP_PATH;
            return e;
        }
    }
    /* the Host and its parent domains, down to (not including) the top-level label */
    for (const char *h = host; h && strchr(h, '.'); h = strchr(h, '.') + 1)
        if ((e = rules_match(r, IOC_DOMAIN, h))) {
            *t = IOC_DOMAIN;
            return e;
        }
    if ((e = rules_match(r, IOC_IP, addr))) {
        *t = IOC_IP;
        return e;
    }
    return NULL;
}

void det_c2_http(struct detect_ctx *d, const struct event *ev)
{
    const struct http_event *he = ev->body;
    const struct http_tx *tx = he->tx;
    if (!ev->flow || !tx || !tx->has_request)
        return;
    char path[HTTP_URI_MAX + 1], host[HTTP_HOST_MAX + 1];
    uri_path(tx->uri, path, sizeof(path));
    detect_norm_host(tx->host, host, sizeof(host));

    /* §7.1 */
    int k = strcmp(tx->method, "GET") == 0 ? kwampirs_uri(tx->uri) : 0;
    if (k && kwampirs_headers(tx)) {
        char detail[ALERT_STR];
        snprintf(detail, sizeof(detail), "GET .%s?q=%s..., User-Agent then Host, no Accept/Referer/Cookie%s",
                 strrchr(path, '.') ? strrchr(path, '.') + 1 : "", k == 2 ? "KT" : "K",
                 vocabulary_path(path) ? "; path from the Kwampirs list vocabulary [INFERENCE]" : "");
        c2_alert(d, ev, tx, k == 2 ? SID_C2_HTTP : SID_C2_HTTP_K, NULL, IOC__COUNT, detail);
    }

    /* §7.2 */
    enum ioc_type t = IOC__COUNT;
    const struct ioc_entry *e = match_lists(d, ev->flow, host, path, &t);
    if (e) {
        static const uint32_t sid_of[IOC__COUNT] = {
            [IOC_DOMAIN] = SID_C2_DOMAIN, [IOC_URL] = SID_C2_URL, [IOC_IP_PATH] = SID_C2_IP_PATH, [IOC_IP] = SID_C2_IP};
        c2_alert(d, ev, tx, sid_of[t], e, t, "HTTP request to a listed C2");
    }

    /* §7.3, when no list already named it */
    if ((!e || t == IOC_IP) && host[0] && detect_c2_generated_name(host))
        c2_alert(d, ev, tx, SID_C2_NAME, NULL, IOC__COUNT, "HTTP Host is a Kwampirs-style generated name [INFERENCE]");
}
