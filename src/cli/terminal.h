/*
 * terminal.h - what a person at a terminal sees of a run (terminal.c): a
 * progress line while a capture file is read, and the alert tally for the
 * summary at the end.
 */
#ifndef MEDSENTRY_CLI_TERMINAL_H
#define MEDSENTRY_CLI_TERMINAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"
#include "source/source.h"

struct progress {
    bool on;
    struct source *src;
    uint64_t start_ns, next_ns, last_ns;
    uint64_t last_bytes;
    double rate; /* bytes per second, smoothed */
    uint32_t tick;
    bool drawn;
};

/* On only when stderr is a terminal and quiet is false (stdin without a size shows bytes and packets only). */
void progress_init(struct progress *p, struct source *src, bool quiet);
/* After each packet: redraws at most four times a second of wall clock (a display only; analysis never reads it). */
void progress_packet(struct progress *p, uint64_t pkts, uint64_t wire_bytes);
/* Erase the line before the summary. */
void progress_end(struct progress *p);

/* Alerts by severity (index 1..3; 0 = any other), counted from the event bus. */
struct alert_tally {
    uint64_t by_severity[4];
};
void alert_tally_on_event(void *user, const struct event *ev);
/* "alerts: 3 (high 2, medium 1)" or "alerts: none" */
void alert_tally_format(const struct alert_tally *t, char *buf, size_t n);

#endif
