/*
 * beacon.c - periodic HTTP requests: the shape of an implant checking in
 * (KWAMPIRS.md §2.2 C6-C8: a hard-coded C2 contacted on a schedule; corpus
 * http_01: a POST every 5 s +-10 %).  Not one of §7's numbered detections:
 * §7.1-7.4 recognise Kwampirs' own request and lists; this catches a beacon
 * whose URL and name are unknown.
 *
 * Per (client, server address, Host + path without query): the times of the
 * last detect.beacon.count requests without a Referer header (a browser's
 * page and its assets send one; programs polling do not).  When that many have
 * been seen and every interval between them lies within detect.beacon.jitter
 * percent of their median, and the median is between detect.beacon.min-interval
 * and max-interval seconds, the series is a beacon: one alert per series
 * (the entry is idle-expired after max-interval, then a new series may alert).
 * A person browsing (http_02: exponential think times) never keeps seven
 * intervals within +-20 % of each other.  The series may hold a quarter of
 * detect.memcap at most; beyond, new ones are not followed (memcap_hits).
 */
#include <stdio.h>
#include <string.h>

#include "app/http/http.h"
#include "core/str.h"
#include "detect/detect_int.h"
#include "flow/flow.h"

#define BEACON_MAX 16

struct beacon_entry {
    struct dentry e;
    uint8_t n, head;
    bool fired;
    uint64_t ts[BEACON_MAX]; /* ring, oldest at head once full */
};
_Static_assert(sizeof(struct beacon_entry) <= DETECT_BEACON_ENTRY_SIZE, "beacon entry too large");

static void sort_u64(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

void det_beacon(struct detect_ctx *d, const struct event *ev)
{
    const struct http_event *he = ev->body;
    const struct http_tx *tx = he->tx;
    if (!ev->flow || !tx || !tx->has_request || tx->has_referer)
        return;
    const unsigned want = d->cfg.beacon_count < BEACON_MAX ? d->cfg.beacon_count : BEACON_MAX;
    char key[HTTP_HOST_MAX + HTTP_URI_MAX + 2];
    snprintf(key, sizeof(key), "%s|%.*s", tx->host, (int)strcspn(tx->uri, "?#"), tx->uri);
    struct dkey k = {.a = ev->flow->client, .b = ev->flow->server, .x = dkey_str(&d->beacon, key)};
    struct beacon_entry *b = dtable_get(d, &d->beacon, &k, false);
    if (!b) {
        /* every URL polled or browsed without a Referer is a series: on a busy network they could take the
         * memcap the other detectors need, so series may use a quarter of detect.memcap at most */
        if ((uint64_t)(d->beacon.n + 1) * DETECT_BEACON_ENTRY_SIZE > d->cfg.memcap / 4) {
            d->stats.memcap_hits++;
            return;
        }
        if (!(b = dtable_get(d, &d->beacon, &k, true)))
            return;
    }
    b->ts[(b->head + b->n) % BEACON_MAX] = ev->ts_us;
    if (b->n < want)
        b->n++;
    else
        b->head = (uint8_t)((b->head + 1) % BEACON_MAX);
    if (b->n < want || b->fired)
        return;
    uint64_t t[BEACON_MAX], iv[BEACON_MAX], med[BEACON_MAX];
    for (unsigned i = 0; i < want; i++)
        t[i] = b->ts[(b->head + i) % BEACON_MAX];
    sort_u64(t, want); /* events of parallel connections may arrive slightly out of order */
    for (unsigned i = 0; i + 1 < want; i++)
        med[i] = iv[i] = t[i + 1] - t[i];
    sort_u64(med, want - 1);
    uint64_t m = med[(want - 1) / 2];
    if (m < (uint64_t)d->cfg.beacon_min_interval * 1000000 || m > (uint64_t)d->cfg.beacon_max_interval * 1000000)
        return;
    uint64_t tol = m * d->cfg.beacon_jitter / 100;
    for (unsigned i = 0; i + 1 < want; i++)
        if (iv[i] + tol < m || iv[i] > m + tol)
            return;
    b->fired = true;
    struct alert_event a;
    alert_init(&a, SID_BEACON, ev);
    str_copy_utf8(a.hostname, sizeof(a.hostname), tx->host);
    str_copy_utf8(a.url, sizeof(a.url), tx->uri);
    str_copy_utf8(a.user_agent, sizeof(a.user_agent), tx->user_agent);
    a.first_us = t[0];
    a.last_us = t[want - 1];
    a.count = want;
    a.threshold = want;
    a.window_s = (uint32_t)((t[want - 1] - t[0]) / 1000000);
    snprintf(a.detail, sizeof(a.detail), "%.31s %.120s every %.1f s (all %u intervals within %u%% of the median)",
             tx->method, tx->host[0] ? tx->host : "-", (double)m / 1e6, want - 1, d->cfg.beacon_jitter);
    detect_alert(d, &a, ev->ts_us);
}
