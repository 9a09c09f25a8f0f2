/*
 * redis.h - the Redis output: every event, as eve.json has it plus the
 * sensor's name in `host`, sent to a Redis stream (XADD), list (LPUSH) or
 * channel (PUBLISH), so that the events of many sensors meet in one place.
 *
 * `medsentry collect` (src/cli/collect.c) reads the stream back into a store
 * (docs/DESIGN.md, "Stores and scale").
 *
 * Two threads:
 *   - the subscriber (redis_on_event, on the correlator thread) takes the
 *     event's JSON line (eve.json's, or formatted here), appends `host` and
 *     wraps it in the whole command (XADD/LPUSH/PUBLISH, RESP), and appends
 *     that to a bounded queue (outputs.redis.buffer-size events, their bytes
 *     charged to outputs.redis.buffer-memcap) under a mutex held for a few
 *     instructions; an event that does not fit is dropped and counted
 *     (stats.redis.dropped): the correlator never waits for the server;
 *   - the sender thread (redis_start) pipelines the oldest commands
 *     (outputs.redis.batch-size written, then as many replies read, in bulk)
 *     when a batch is full or a partial one is 100 ms old.  Every socket
 *     operation has outputs.redis.timeout ms; a server that is away is retried
 *     with an exponential backoff (wall clock, 100 ms to 5 s), and meanwhile
 *     the queue holds what it can.
 * At the end (redis_flush, on exit and after SIGTERM/SIGINT) the sender sends
 * what is queued, trying once more to connect if the server is away; what is
 * not sent within outputs.redis.flush-timeout ms is dropped (a blocked read
 * is cut short with shutdown()).  Every event offered ends as sent (the
 * server acknowledged it) or dropped (the queue was full, the server answered
 * an error, or the connection broke before its reply came): sent + dropped =
 * events offered.  eve.json is written by its own subscriber and never waits
 * for Redis.
 *
 * The counters and the budget belong to the output (a thread updates them):
 * the stats event reads them with redis_stats_read and redis_memcap.
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
    bool enabled;              /* outputs.redis.enabled */
    char server[256];          /* outputs.redis.server: host:port, or the path of a Unix socket */
    char key[128];             /* outputs.redis.key: stream, list or channel name */
    int mode;                  /* outputs.redis.mode: enum redis_mode */
    char sensor_name[128];     /* outputs.redis.sensor-name: `host` of every event; "" = the host name */
    char password[128];        /* outputs.redis.password: AUTH when not empty */
    uint32_t maxlen;           /* outputs.redis.maxlen: XADD MAXLEN ~ n; 0 = no trimming */
    uint32_t buffer_size;      /* outputs.redis.buffer-size: events held while the server is slow or away */
    uint64_t buffer_memcap;    /* outputs.redis.buffer-memcap: bytes of those events and the ring */
    uint32_t batch_size;       /* outputs.redis.batch-size: commands per pipeline round trip */
    uint32_t timeout_ms;       /* outputs.redis.timeout: connect, send and reply timeout (ms) */
    uint32_t flush_timeout_ms; /* outputs.redis.flush-timeout: what is not sent this long after the end is dropped */
};

/* outputs.redis.*: the key table (defaults, ranges, comments) is in redis.c. */
extern const struct config_module redis_config_module;
void redis_cfg_defaults(struct redis_cfg *c);

/* host:port ("[v6]:port" too) or a Unix socket path (it contains a '/').  0, or -1 with one sentence in err. */
int redis_parse_server(const char *s, char *host, size_t hostlen, int *port, bool *unix_socket, char *err,
                       size_t errlen);

struct redis_out;

/* Check the configuration and set up the queue.  The first connection is tried at once (before the system call
 * filter); a server that is not there yet is no error (it is retried).  stats is not written (redis_stats_read).
 * NULL with one sentence in err for a bad configuration. */
struct redis_out *redis_open(const struct redis_cfg *cfg, const struct eve_cfg *eve, struct stats *stats, char *err,
                             size_t errlen);
/* Start the sender thread: after the seccomp filter is installed (main.c), so that the thread runs under it.
 * Until then events are only queued.  NULL is a no-op. */
void redis_start(struct redis_out *r);
/* redis_flush, then stop and join the sender thread and close.  NULL is a no-op. */
void redis_close(struct redis_out *r);
/* eve.json's writer, subscribed before this output: an event it formatted is sent as the same bytes, not formatted
 * again.  NULL: format every event here. */
struct eve_writer;
void redis_share_eve(struct redis_out *r, const struct eve_writer *w);
/* Event bus subscriber: every event. */
void redis_on_event(void *user, const struct event *ev);
/* At the end of the run: the sender sends everything queued (one connection attempt if away, ignoring the backoff);
 * what cannot be sent within outputs.redis.flush-timeout is dropped and counted, so that the final stats count every
 * event offered before them.  Waits at most flush-timeout, plus outputs.redis.timeout if a connection attempt is
 * under way then.  Without a started sender: all dropped. */
void redis_flush(struct redis_out *r);
/* A copy of the queue's budget taken now (written under stats.memcap.redis): the caller's thread's. */
const struct memcap *redis_memcap(const struct redis_out *r);
/* stats.redis.*: sent, dropped, reconnects, errors so far, written into `into`.  NULL is a no-op. */
void redis_stats_read(const struct redis_out *r, struct stats *into);

#endif
