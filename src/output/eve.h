/*
 * eve.h - the EVE JSON writer: one JSON object per line in <logdir>/eve.json.
 *
 * It subscribes to the event bus and writes every event.  The common header
 * (timestamp, flow_id, event_type, addresses, ports, proto, app_proto) is
 * written here; the body object named after the event type is written by the
 * function in eve_body[] for that type: eve_flow.c, eve_anomaly.c,
 * eve_stats.c here, and one eve_<proto>.c per protocol.  Field names follow
 * Suricata's EVE where the field exists there (docs/EVE.md).
 */
#ifndef MEDSENTRY_OUTPUT_EVE_H
#define MEDSENTRY_OUTPUT_EVE_H

#include <stdbool.h>
#include <stdio.h>

#include "core/event.h"
#include "core/json.h"

struct stats;

struct eve_cfg {
    bool log_phi; /* write PHI in clear (default: keyed hash) */
};

struct eve_writer {
    FILE *fp;
    struct jw jw;
    struct stats *stats;
    struct eve_cfg cfg;
    bool owns_fp;
    const struct event *formatted; /* the event jw holds, for a later subscriber of the same event (redis.c) */
    char path[1024];               /* what eve_reopen opens again */
};

/* Open path for appending ("-" = stdout). 0 on success; on error errbuf holds one sentence. */
int eve_open(struct eve_writer *w, const char *path, struct stats *stats, const struct eve_cfg *cfg, char *errbuf,
             size_t errlen);
void eve_close(struct eve_writer *w);
/* SIGHUP (logrotate moved the file away): flush, open the path again (a new file if it was renamed), close the old
 * one.  If the path cannot be opened the old file is kept.  0, or -1 with one sentence in errbuf. */
int eve_reopen(struct eve_writer *w, char *errbuf, size_t errlen);
/* Event bus subscriber. */
void eve_on_event(void *user, const struct event *ev);

/* Format one event as a JSON object (no newline) into w.  Used by eve_on_event and by tests. */
void eve_format(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);

/* Body writers: write the members of the object named after the event type. */
typedef void (*eve_body_fn)(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
extern const eve_body_fn eve_body[EVENT__COUNT];

/* Optional writers of top-level objects after the body (e.g. `tcp` beside `flow`); NULL for most types. */
extern const eve_body_fn eve_extra[EVENT__COUNT];

void eve_flow_tcp(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
void eve_flow_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
void eve_anomaly_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
void eve_stats_body(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
/* An alert: the whole object, header included (its addresses are the alert's, not one flow's). */
void eve_alert_format(struct jw *w, const struct eve_cfg *cfg, const struct event *ev);
/* The alert's evidence object under key (NULL: a top-level value), as in eve.json; the SQLite store keeps it too. */
struct alert_event;
void eve_alert_evidence(struct jw *w, const char *key, const struct alert_event *a);

#endif
