/*
 * resync.c - the bounded header search that stream parsers run after a gap
 * (see resync.h).
 */
#include "app/resync.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/stats.h"

void app_resync_start(struct app_resync *r, bool after_gap, uint64_t gap_len, uint64_t limit)
{
    if (r->active) {
        /* the carried bytes are not contiguous with what follows the new gap: passed over */
        r->skipped += r->carry_len;
        r->carry_len = 0;
        r->gap_bytes += gap_len;
        r->gaps += after_gap;
        return;
    }
    memset(r, 0, sizeof(*r));
    r->active = true;
    r->gap_bytes = gap_len;
    r->gaps = after_gap;
    r->limit = limit;
}

static void skipped(struct app_ctx *ctx, struct app_resync *r, size_t n)
{
    r->skipped += n;
    if (ctx->al && ctx->al->stats)
        ctx->al->stats->app_gap_skipped_bytes += n;
}

/* A verdict of MORE with a full window is a check's bug: treat it as NO so the scan always moves on. */
static enum app_resync_verdict verdict(app_resync_check_fn check, const void *arg, const uint8_t *p, size_t avail)
{
    enum app_resync_verdict v = check(arg, p, avail);
    return v == APP_RESYNC_MORE && avail >= APP_RESYNC_WINDOW ? APP_RESYNC_NO : v;
}

/* Scans p[0..n): *used bytes of p consumed; on FOUND the header starts at replay[0] (*replay_len > 0: bytes carried
 * from earlier chunks, to be taken before p[*used..n)) or at p[*used]. */
static enum app_resync_result scan(struct app_ctx *ctx, struct app_resync *r, const uint8_t *p, size_t n,
                                   app_resync_check_fn check, const void *arg, int lead, uint8_t *replay,
                                   size_t *replay_len, size_t *used)
{
    *replay_len = 0;
    *used = 0;
    if (r->skipped > r->limit) { /* a second gap dropped carried bytes past the limit */
        *used = n;
        return APP_RESYNC_GAVE_UP;
    }
    /* candidates inside the carried bytes: look at them joined with the head of this chunk */
    if (r->carry_len) {
        uint8_t tmp[2 * APP_RESYNC_WINDOW];
        size_t head = n < APP_RESYNC_WINDOW ? n : APP_RESYNC_WINDOW;
        size_t c = r->carry_len, tl = c + head;
        memcpy(tmp, r->carry, c);
        memcpy(tmp + c, p, head);
        for (size_t i = 0; i < c; i++) {
            enum app_resync_verdict v = verdict(check, arg, tmp + i, tl - i);
            if (v == APP_RESYNC_YES) {
                memcpy(replay, tmp + i, c - i);
                *replay_len = c - i;
                r->carry_len = 0;
                return APP_RESYNC_FOUND;
            }
            if (v == APP_RESYNC_MORE) {
                /* fewer than a window from i to the end: all of this chunk joins the carry */
                memmove(r->carry, tmp + i, tl - i);
                r->carry_len = (uint8_t)(tl - i);
                *used = n;
                return APP_RESYNC_SEARCHING;
            }
            skipped(ctx, r, 1);
        }
        r->carry_len = 0;
        if (r->skipped > r->limit) {
            *used = n;
            return APP_RESYNC_GAVE_UP;
        }
    }
    for (size_t j = 0; j < n; j++) {
        if (lead >= 0 && p[j] != lead) {
            /* no header can start before the next lead byte */
            const uint8_t *q = memchr(p + j, lead, n - j);
            size_t k = q ? (size_t)(q - p) : n;
            if (r->skipped + k > r->limit) {
                skipped(ctx, r, r->limit + 1 - r->skipped);
                *used = n;
                return APP_RESYNC_GAVE_UP;
            }
            if (!q)
                break;
            j = k;
        }
        enum app_resync_verdict v = verdict(check, arg, p + j, n - j);
        if (v == APP_RESYNC_YES) {
            skipped(ctx, r, j);
            *used = j;
            return APP_RESYNC_FOUND;
        }
        if (v == APP_RESYNC_MORE) {
            skipped(ctx, r, j);
            memcpy(r->carry, p + j, n - j);
            r->carry_len = (uint8_t)(n - j);
            *used = n;
            return r->skipped > r->limit ? APP_RESYNC_GAVE_UP : APP_RESYNC_SEARCHING;
        }
        if (r->skipped + j + 1 > r->limit) {
            skipped(ctx, r, j + 1);
            *used = n;
            return APP_RESYNC_GAVE_UP;
        }
    }
    skipped(ctx, r, n);
    *used = n;
    return APP_RESYNC_SEARCHING;
}

void app_resync_input_init(struct app_resync_input *in, const uint8_t *p, size_t n)
{
    in->p = p;
    in->n = n;
    in->rest = NULL;
    in->rest_n = 0;
}

bool app_resync_input_more(struct app_resync_input *in)
{
    if (in->n == 0) {
        in->p = in->rest;
        in->n = in->rest_n;
        in->rest = NULL;
        in->rest_n = 0;
    }
    return in->n > 0;
}

void app_resync_input_take(struct app_resync_input *in, size_t used)
{
    assert(used <= in->n);
    in->p += used;
    in->n -= used;
}

enum app_resync_result app_resync_scan(struct app_ctx *ctx, struct app_resync *r, struct app_resync_input *in,
                                       app_resync_check_fn check, const void *arg, int lead)
{
    size_t rl, used;
    enum app_resync_result res = scan(ctx, r, in->p, in->n, check, arg, lead, in->replay, &rl, &used);
    if (res == APP_RESYNC_FOUND && rl) {
        /* bytes are carried only while a search goes on, and a search starts with none: a header is never found
         * in carried bytes while earlier replayed bytes are still being taken */
        assert(in->rest_n == 0);
        in->rest = in->p + used;
        in->rest_n = in->n - used;
        in->p = in->replay;
        in->n = rl;
    } else {
        app_resync_input_take(in, used);
    }
    return res;
}

void app_resync_report(struct app_ctx *ctx, struct app_resync *r, int dir, enum app_resync_result how, const char *what)
{
    char detail[160];
    struct stats *s = ctx->al ? ctx->al->stats : NULL;
    if (how == APP_RESYNC_FOUND) {
        snprintf(detail, sizeof(detail),
                 "%s header found after a gap of %" PRIu64 " bytes (%" PRIu32 " gaps), %" PRIu64 " bytes skipped", what,
                 r->gap_bytes, r->gaps, r->skipped);
        if (s)
            s->app_gap_resyncs++;
        /* after a malformed header (no gap) the parser has said so already */
        if (r->gaps)
            app_anomaly(ctx, dir, "gap_resync", detail);
    } else if (how == APP_RESYNC_GAVE_UP) {
        snprintf(detail, sizeof(detail),
                 "no %s header within %" PRIu64 " bytes after a gap of %" PRIu64
                 " bytes (or a malformed header): direction no longer parsed",
                 what, r->skipped, r->gap_bytes);
        if (s)
            s->app_gap_resync_failed++;
        app_anomaly(ctx, dir, "gap_resync_failed", detail);
    } else if (r->gaps) {
        /* the flow ended during the search: the gap still gets its one report */
        snprintf(detail, sizeof(detail),
                 "the flow ended %" PRIu64 " bytes after a gap of %" PRIu64 " bytes without another %s header",
                 r->skipped + r->carry_len, r->gap_bytes, what);
        app_anomaly(ctx, dir, "gap_resync_failed", detail);
    }
    r->active = false;
    r->carry_len = 0;
}
