/*
 * terminal.c - the progress line of `medsentry -r` on a terminal and the
 * alert tally of the end-of-run summary.
 *
 * The line is redrawn in place ("\r ... \033[K") on stderr, at most every
 * 250 ms of wall clock; the clock is read once every PROGRESS_EVERY packets,
 * so the cost per packet is one counter.  The wall clock only paces the
 * display and the rate; nothing of the analysis depends on it.
 */
#include "cli/terminal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "detect/detect.h"

#define PROGRESS_EVERY       16
#define PROGRESS_INTERVAL_NS 250000000ull

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

void progress_init(struct progress *p, struct source *src, bool quiet)
{
    memset(p, 0, sizeof(*p));
    p->on = !quiet && isatty(STDERR_FILENO) && src->ops && src->ops->position && !src->live;
    p->src = src;
    p->start_ns = p->last_ns = mono_ns();
    p->next_ns = p->start_ns + PROGRESS_INTERVAL_NS;
}

static void human_bytes(char *buf, size_t n, double b)
{
    if (b >= 1e9)
        snprintf(buf, n, "%.2f GB", b / 1e9);
    else if (b >= 1e6)
        snprintf(buf, n, "%.1f MB", b / 1e6);
    else
        snprintf(buf, n, "%.0f kB", b / 1e3);
}

static void draw(struct progress *p, uint64_t now, uint64_t pkts, uint64_t wire_bytes)
{
    uint64_t off = 0, size = 0;
    bool have_off = p->src->ops->position(p->src, &off, &size);
    uint64_t done = have_off ? off : wire_bytes; /* a pipe: the packets' bytes */
    double dt = (double)(now - p->last_ns) / 1e9;
    if (dt > 0 && done >= p->last_bytes) {
        double r = (double)(done - p->last_bytes) / dt;
        p->rate = p->rate > 0 ? 0.7 * p->rate + 0.3 * r : r;
    }
    p->last_ns = now;
    p->last_bytes = done;
    double elapsed = (double)(now - p->start_ns) / 1e9;
    char line[200], a[24], b[24], r[24];
    int len;
    human_bytes(a, sizeof(a), (double)done);
    human_bytes(r, sizeof(r), p->rate);
    if (size > 0 && have_off) {
        human_bytes(b, sizeof(b), (double)size);
        double pct = off >= size ? 100.0 : 100.0 * (double)off / (double)size;
        len = snprintf(line, sizeof(line), "\r%s / %s (%.0f%%)  %llu packets  %s/s", a, b, pct,
                       (unsigned long long)pkts, r);
        if (p->rate > 0 && off < size) {
            double eta = (double)(size - off) / p->rate;
            if (eta < 360000)
                len += snprintf(line + len, sizeof(line) - (size_t)len, "  ETA %d:%02d:%02d", (int)eta / 3600,
                                (int)eta / 60 % 60, (int)eta % 60);
        }
    } else {
        len = snprintf(line, sizeof(line), "\r%s%s  %llu packets  %s/s  %.0f s", a, have_off ? " read" : " of packets",
                       (unsigned long long)pkts, r, elapsed);
    }
    if (len > 0 && (size_t)len < sizeof(line) - 4) {
        memcpy(line + len, "\033[K", 3);
        len += 3;
        /* one write: the line is never interleaved with itself */
        if (write(STDERR_FILENO, line, (size_t)len) == len)
            p->drawn = true;
    }
}

void progress_packet(struct progress *p, uint64_t pkts, uint64_t wire_bytes)
{
    if (!p->on || ++p->tick < PROGRESS_EVERY)
        return;
    p->tick = 0;
    uint64_t now = mono_ns();
    if (now < p->next_ns)
        return;
    p->next_ns = now + PROGRESS_INTERVAL_NS;
    draw(p, now, pkts, wire_bytes);
}

void progress_end(struct progress *p)
{
    if (p->on && p->drawn && write(STDERR_FILENO, "\r\033[K", 4) != 4)
        p->drawn = false;
    p->drawn = false;
}

void alert_tally_on_event(void *user, const struct event *ev)
{
    struct alert_tally *t = user;
    const struct alert_event *a = ev->body;
    if (ev->type != EVENT_ALERT || !a)
        return;
    t->by_severity[a->severity >= 1 && a->severity <= 3 ? a->severity : 0]++;
}

void alert_tally_format(const struct alert_tally *t, char *buf, size_t n)
{
    static const char *const names[4] = {"other", "high", "medium", "low"};
    uint64_t total = t->by_severity[0] + t->by_severity[1] + t->by_severity[2] + t->by_severity[3];
    if (!total) {
        snprintf(buf, n, "alerts: none");
        return;
    }
    size_t len = (size_t)snprintf(buf, n, "alerts: %llu (", (unsigned long long)total);
    bool first = true;
    for (int s = 1; s <= 4 && len < n; s++) {
        int i = s & 3; /* high, medium, low, then other */
        if (!t->by_severity[i])
            continue;
        len += (size_t)snprintf(buf + len, n - len, "%s%s %llu", first ? "" : ", ", names[i],
                                (unsigned long long)t->by_severity[i]);
        first = false;
    }
    if (len < n)
        snprintf(buf + len, n - len, ")");
}
