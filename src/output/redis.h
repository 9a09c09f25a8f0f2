/*
 * redis.h - the Redis output: every event, as eve.json has it plus the
 * sensor's name in `host`, sent to a Redis stream (XADD), list (LPUSH) or
 * channel (PUBLISH), so that the events of many sensors meet in one place.
 *
 * `medsentry collect` (src/cli/collect.c) reads the stream back into a store
 * (docs/DESIGN.md, "Stores and scale").
 *
 * Two parts, kept apart so that a multi-threaded correlator can move the
 * sender to its own thread:
 *   - the subscriber (redis_on_event) formats the event into an owned JSON
 *     line at the tail of a bounded ring (outputs.redis.buffer-size events,
 *     their bytes charged to outputs.redis.buffer-memcap); an event that does
 *     not fit is dropped and counted (stats.redis.dropped);
 *   - the sender pipelines the oldest lines (outputs.redis.batch-size
 *     commands written, then as many replies read) when a batch is full,
 *     every 100 ms of wall time and at the end.  Every socket operation has
 *     outputs.redis.timeout ms; a server that is away is retried with an
 *     exponential backoff (wall clock, 100 ms to 5 s), and meanwhile the
 *     ring holds what it can.
 * Every event offered ends as sent (the server acknowledged it) or dropped
 * (the ring was full, the server answered an error, or the connection broke
 * before its reply came): sent + dropped = events offered.  eve.json is
 * written by its own subscriber and never waits for Redis.
 */
#ifndef MEDSENTRY_OUTPUT_REDIS_H
#define MEDSENTRY_OUTPUT_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/event.h"

struct stats;
struct memcap;
struct eve_cfg;

/* outputs.redis.mode, in the order of the key's choices (redis.c) */
enum redis_mode { REDIS_XADD, REDIS_LPUSH, REDIS_PUBLISH };

struct redis_cfg {
    bool enabled;           /* outputs.redis.enabled */
    char server[256];       /* outputs.redis.server: host:port, or the path of a Unix socket */
    char key[128];          /* outputs.redis.key: stream, list or channel name */
    int mode;               /* outputs.redis.mode: enum redis_mode */
    char sensor_name[128];  /* outputs.redis.sensor-name: `host` of every event; "" = the host name */
    char password[128];     /* outputs.redis.password: AUTH when not empty */
    uint32_t maxlen;        /* outputs.redis.maxlen: XADD MAXLEN ~ n; 0 = no trimming */
    uint32_t buffer_size;   /* outputs.redis.buffer-size: events held while the server is slow or away */
    uint64_t buffer_memcap; /* outputs.redis.buffer-memcap: bytes of those events and the ring */
    uint32_t batch_size;    /* outputs.redis.batch-size: commands per pipeline round trip */
    uint32_t timeout_ms;    /* outputs.redis.timeout: connect, send and reply timeout (ms) */
};

/* outputs.redis.*: the key table (defaults, ranges, comments) is in redis.c. */
extern const struct config_module redis_config_module;
void redis_cfg_defaults(struct redis_cfg *c);

/* host:port ("[v6]:port" too) or a Unix socket path (it contains a '/').  0, or -1 with one sentence in err. */
int redis_parse_server(const char *s, char *host, size_t hostlen, int *port, bool *unix_socket, char *err,
                       size_t errlen);

struct redis_out;

/* Check the configuration and set up the ring.  The first connection is tried at once; a server that is not
 * there yet is no error (it is retried).  NULL with one sentence in err for a bad configuration. */
struct redis_out *redis_open(const struct redis_cfg *cfg, const struct eve_cfg *eve, struct stats *stats, char *err,
                             size_t errlen);
/* Send what is buffered (one more connection attempt if away, ignoring the backoff); what is left is dropped and
 * counted, then close.  NULL is a no-op. */
void redis_close(struct redis_out *r);
/* eve.json's writer, subscribed before this output: an event it formatted is sent as the same bytes, not formatted
 * again.  NULL: format every event here. */
struct eve_writer;
void redis_share_eve(struct redis_out *r, const struct eve_writer *w);
/* Event bus subscriber: every event. */
void redis_on_event(void *user, const struct event *ev);
/* Called often from the packet loop: sends what is buffered once 100 ms of wall time have passed. */
void redis_tick(struct redis_out *r);
/* At the end of the run: send everything buffered (one connection attempt if away, ignoring the backoff); what
 * cannot be sent is dropped and counted, so that the final stats count every event offered before them. */
void redis_flush(struct redis_out *r);
/* The ring's budget (written under stats.memcap.redis). */
const struct memcap *redis_memcap(const struct redis_out *r);

#endif
