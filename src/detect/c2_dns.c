/*
 * c2_dns.c - Kwampirs C2 names in DNS queries, and the name rules HTTP shares:
 *
 *   §7.2  a query name on a domain list, exactly or under a listed domain
 *         ("a.dswsite.com" matches "dswsite.com"), case-insensitive, trailing
 *         dot ignored: 9300020.
 *   §7.3  [INFERENCE from S8, §2.2 C9] a generated name: the label before the
 *         top-level label (the second-level label) is 5 to 22 characters and
 *         splits completely into 2 to 5 tokens of the list's syllable set
 *         (core: dsw fjr kcn ikj jfn ncj nrj pbn yhd ncdn srv serv site main
 *         power; minor: dswqe ffd pog mrn gb gbr nkg unt tlfd news unity pecdbn
 *         df nsj iwj nchdn), the top-level label is one of the list's (nl in tk
 *         info fr com org us ml cn ch co ru ro biz ca), and — the spec's
 *         false-positive rule — at least one token is a distinctive core token
 *         (dsw fjr kcn ikj jfn ncj nrj pbn yhd ncdn), so that brandable names of
 *         common words ("mainsite", "powernews", "unityserv") never match.
 *         9300030, when no list matched; severity 1 from an imaging node.
 *
 * The query is judged when it is seen (a `dns` query event), or from its
 * answer when the query itself was not captured.
 */
#include <stdio.h>
#include <string.h>

#include "app/dns/dns.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

void detect_norm_host(const char *in, char *out, size_t cap)
{
    const char *s = in;
    size_t n;
    if (*s == '[') { /* [v6]:port */
        s++;
        n = strcspn(s, "]");
    } else {
        n = strlen(s);
        const char *colon = strchr(s, ':');
        if (colon && !strchr(colon + 1, ':')) /* host:port; a bare IPv6 address has more than one */
            n = (size_t)(colon - s);
    }
    while (n && s[n - 1] == '.')
        n--;
    if (n >= cap)
        n = 0; /* too long to be a name: nothing matches */
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    out[n] = '\0';
}

static const char *const tokens[] = {
    /* distinctive core tokens first: index < N_DISTINCT */
    "dsw", "fjr", "kcn", "ikj", "jfn", "ncj", "nrj", "pbn", "yhd", "ncdn",
    /* the rest of the core set, then the minor set */
    "srv", "serv", "site", "main", "power", "dswqe", "ffd", "pog", "mrn", "gb", "gbr", "nkg", "unt", "tlfd", "news",
    "unity", "pecdbn", "df", "nsj", "iwj", "nchdn"};
#define N_DISTINCT 10
#define N_TOKENS   (sizeof(tokens) / sizeof(tokens[0]))
#define LABEL_MIN  5
#define LABEL_MAX  22
#define TOKENS_MIN 2
#define TOKENS_MAX 5

static const char *const tlds[] = {"nl", "in", "tk", "info", "fr", "com", "org", "us",
                                   "ml", "cn", "ch", "co",   "ru", "ro",  "biz", "ca"};

bool detect_c2_generated_name(const char *name)
{
    char n[256];
    detect_norm_host(name, n, sizeof(n));
    const char *tld = strrchr(n, '.');
    if (!tld || tld == n)
        return false;
    bool tld_ok = false;
    for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
        tld_ok |= strcmp(tld + 1, tlds[i]) == 0;
    if (!tld_ok)
        return false;
    const char *sld = tld;
    while (sld > n && sld[-1] != '.')
        sld--;
    size_t len = (size_t)(tld - sld);
    if (len < LABEL_MIN || len > LABEL_MAX)
        return false;
    /* reach[i][k][x]: the first i characters split into k tokens, x = a distinctive one among them */
    bool reach[LABEL_MAX + 1][TOKENS_MAX + 1][2];
    memset(reach, 0, sizeof(reach));
    reach[0][0][0] = true;
    for (size_t i = 0; i < len; i++)
        for (unsigned k = 0; k < TOKENS_MAX; k++)
            for (unsigned x = 0; x < 2; x++) {
                if (!reach[i][k][x])
                    continue;
                for (size_t t = 0; t < N_TOKENS; t++) {
                    size_t tl = strlen(tokens[t]);
                    if (i + tl <= len && memcmp(sld + i, tokens[t], tl) == 0)
                        reach[i + tl][k + 1][x | (t < N_DISTINCT)] = true;
                }
            }
    for (unsigned k = TOKENS_MIN; k <= TOKENS_MAX; k++)
        if (reach[len][k][1])
            return true;
    return false;
}

void det_c2_dns(struct detect_ctx *d, const struct event *ev)
{
    const struct dns_event *de = ev->body;
    if (!ev->flow || !de->msg || !de->msg->has_question)
        return;
    if (!(de->kind == DNS_EV_QUERY || (de->kind == DNS_EV_ANSWER && !de->query_seen)))
        return;
    char name[256];
    detect_norm_host(de->msg->qname_text, name, sizeof(name));
    if (!name[0])
        return;
    const struct ioc_entry *e = NULL;
    for (const char *h = name; h && strchr(h, '.') && !e; h = strchr(h, '.') + 1)
        e = rules_match(&d->rules, IOC_DOMAIN, h);
    bool generated = !e && detect_c2_generated_name(name);
    if (!e && !generated)
        return;
    struct alert_event a;
    alert_init(&a, e ? SID_C2_DOMAIN : SID_C2_NAME, ev);
    str_copy_utf8(a.hostname, sizeof(a.hostname), name);
    if (e) {
        str_copy_utf8(a.indicator, sizeof(a.indicator), e->value);
        snprintf(a.indicator_type, sizeof(a.indicator_type), "%s", ioc_type_name(IOC_DOMAIN));
        snprintf(a.indicator_list, sizeof(a.indicator_list), "%s", rules_list_name(&d->rules, e->list));
        snprintf(a.detail, sizeof(a.detail), "DNS query for a listed C2 domain");
    } else {
        snprintf(a.detail, sizeof(a.detail), "DNS query for a Kwampirs-style generated name [INFERENCE]");
        if (detect_net_match(&d->imaging, &ev->flow->client))
            a.severity = 1;
    }
    /* src: the host that looked the name up; dest: its resolver */
    detect_alert(d, &a, ev->ts_us);
    /* as a chain step the resolver is no C2 destination: the step names the domain only */
    struct alert_event step = a;
    memset(&step.dst, 0, sizeof(step.dst));
    det_chain_c2(d, &step);
}
