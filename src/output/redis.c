/*
 * redis.c - the Redis output: a bounded queue of commands and a sender thread
 * that pipelines them (see redis.h for the why).
 *
 * Each event is formatted by eve_format, as in eve.json, and its closing
 * brace replaced by the sensor's `,"host":"name"}`, so a consumer that reads
 * many sensors knows whose event it is (Suricata's redis output does the
 * same).  The correlator wraps the line in its whole RESP command (XADD key
 * [MAXLEN ~ n] * event <json>, LPUSH key <json> or PUBLISH key <json>: the
 * part before the event is formatted once, at open), writes it at the end of
 * the current chunk (no allocation per event) and appends it to the queue.
 * The sender thread takes the oldest commands, writes them straight from the
 * chunks in one sendmsg (an iovec each), and reads as many replies through
 * hiredis without building reply objects (the reader's functions are NULL:
 * hiredis then returns each reply's type).  A command is released when its
 * reply has been read (sent, or dropped on an error reply) or when the
 * connection broke before its reply came (dropped: the server may or may not
 * have it, and sending it again could store it twice).
 *
 * Locking: one mutex over the queue's indices, its budget, the chunks'
 * counts, the counters and the flags.  The producer holds it to append one
 * command (the bytes are written before, beyond what the chunk has
 * published); the sender to take the count of a batch and to release it; no
 * socket operation happens under it.  The commands between head and head + n
 * are the sender's to read while they are counted in n.  The producer signals
 * the sender only when a batch is full; a partial batch is found by the
 * sender's own 100 ms timed wait.
 *
 * hiredis' blocking context is used with a timeout on every socket operation
 * (outputs.redis.timeout): connecting is a non-blocking connect() polled for
 * at most that long, and each read or write waits at most that long.  A host
 * name is resolved with getaddrinfo, which has no timeout (and is refused
 * under the seccomp filter): give an address.
 */
#include "output/redis.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/log.h"
#include "core/memcap.h"
#include "core/stats.h"
#include "output/eve.h"

#define REDIS_FLUSH_INTERVAL_US 100000u  /* a partial batch waits at most this long (wall time) for more */
#define REDIS_BACKOFF_MIN_US    100000u  /* first reconnection delay, doubled after each failure ... */
#define REDIS_BACKOFF_MAX_US    5000000u /* ... up to this */

static const char *const redis_modes[] = {
    [REDIS_XADD] = "xadd", [REDIS_LPUSH] = "lpush", [REDIS_PUBLISH] = "publish", NULL};

static const struct config_key redis_keys[] = {
    CONFIG_KEY_SECTION(
        "outputs.redis",
        "Every event, as eve.json has it plus `host` (sensor-name), sent to Redis so that many sensors meet in one\n"
        "place; `medsentry collect` reads the stream into one store (README, \"Many sensors\"). A thread of its own\n"
        "pipelines the commands (batch-size per round trip; every connect, send and reply waits at most `timeout` "
        "ms);\n"
        "the analysis only appends to a bounded buffer and never waits for the server. While the server is slow or\n"
        "away, the connection is retried (100 ms, doubling up to 5 s) and what does not fit in the buffer is counted\n"
        "in stats.redis.dropped; eve.json is unaffected."),
    CONFIG_KEY_BOOL(struct redis_cfg, enabled, "outputs.redis.enabled", "no", NULL),
    CONFIG_KEY_STR(struct redis_cfg, server, "outputs.redis.server", "127.0.0.1:6379",
                   "host:port (an address: a name is resolved without a timeout), or the path of a Unix socket"),
    CONFIG_KEY_STR(struct redis_cfg, key, "outputs.redis.key", "medsentry",
                   "the stream (xadd), list (lpush) or channel (publish)"),
    CONFIG_KEY_ENUM(struct redis_cfg, mode, "outputs.redis.mode", redis_modes, "xadd",
                    "xadd: XADD key [MAXLEN ~ maxlen] * event <json>; lpush: LPUSH key <json>; publish: PUBLISH key "
                    "<json>\n(lpush and publish as Suricata's redis output does, for consumers written for it)"),
    CONFIG_KEY_STR(struct redis_cfg, sensor_name, "outputs.redis.sensor-name", "",
                   "`host` of every event; empty = this machine's host name"),
    CONFIG_KEY_U32(struct redis_cfg, maxlen, "outputs.redis.maxlen", 0, 0xffffffffu, "0",
                   "xadd only: trim the stream to about this many entries (MAXLEN ~); 0 = never trim"),
    CONFIG_KEY_STR(struct redis_cfg, password, "outputs.redis.password", "", "AUTH with this password when not empty"),
    CONFIG_KEY_U32(struct redis_cfg, buffer_size, "outputs.redis.buffer-size", 16, 1u << 24, "65536",
                   "events held while the server is slow or away; then new events are dropped (counted)"),
    CONFIG_KEY_SIZE(struct redis_cfg, buffer_memcap, "outputs.redis.buffer-memcap", 64 * CONFIG_KB, 64 * CONFIG_GB,
                    "64mb", "bytes of those events and their ring (stats.memcap.redis)"),
    CONFIG_KEY_U32(struct redis_cfg, batch_size, "outputs.redis.batch-size", 1, 65536, "256",
                   "commands written per round trip, then as many replies read"),
    CONFIG_KEY_U32(struct redis_cfg, timeout_ms, "outputs.redis.timeout", 1, 60000, "1000",
                   "connect, send and reply timeout, milliseconds (the sender thread waits, never the analysis)"),
    CONFIG_KEY_U32(struct redis_cfg, flush_timeout_ms, "outputs.redis.flush-timeout", 1, 600000, "5000",
                   "at the end (and after SIGTERM): what is not sent within this many milliseconds is dropped"),
};

/* With the output on, what redis_open() would refuse is a configuration error (-T says so). */
static int redis_cfg_validate(const void *cfg, char *err, size_t errlen)
{
    const struct redis_cfg *c = cfg;
    if (!c->enabled)
        return 0;
    if (!c->key[0]) {
        snprintf(err, errlen, "outputs.redis.key: must not be empty");
        return -1;
    }
    char host[256], perr[300];
    int port;
    bool unix_socket;
    if (redis_parse_server(c->server, host, sizeof(host), &port, &unix_socket, perr, sizeof(perr)) < 0) {
        snprintf(err, errlen, "outputs.redis.server: %s", perr);
        return -1;
    }
    return 0;
}

const struct config_module redis_config_module = {
    .name = "redis",
    .keys = redis_keys,
    .n = sizeof(redis_keys) / sizeof(redis_keys[0]),
    .struct_size = sizeof(struct redis_cfg),
    .validate = redis_cfg_validate,
};

void redis_cfg_defaults(struct redis_cfg *c)
{
    config_module_set_defaults(&redis_config_module, c);
}

int redis_parse_server(const char *s, char *host, size_t hostlen, int *port, bool *unix_socket, char *err,
                       size_t errlen)
{
    *unix_socket = false;
    *port = 6379;
    if (strchr(s, '/')) {
        if (strlen(s) >= hostlen) {
            snprintf(err, errlen, "%s: Unix socket path too long", s);
            return -1;
        }
        snprintf(host, hostlen, "%s", s);
        *unix_socket = true;
        return 0;
    }
    const char *h = s, *colon;
    size_t hl;
    if (s[0] == '[') { /* [v6]:port */
        const char *close = strchr(s, ']');
        if (!close) {
            snprintf(err, errlen, "%s: missing ']' after an IPv6 address", s);
            return -1;
        }
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] && !colon) {
            snprintf(err, errlen, "%s: want [address]:port", s);
            return -1;
        }
    } else {
        colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            colon = NULL; /* a bare IPv6 address: no port */
        hl = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (hl == 0 || hl >= hostlen) {
        snprintf(err, errlen, "%s: want host:port or a Unix socket path", s);
        return -1;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || p < 1 || p > 65535) {
            snprintf(err, errlen, "%s: the port must be 1 to 65535", s);
            return -1;
        }
        *port = (int)p;
    }
    return 0;
}

/* One event line, owned; `size` bytes charged to the ring's memcap. */
/*
 * The commands' bytes live in chunks (64 KiB, or less with a small buffer-memcap; a command larger than that gets a
 * chunk of its own), filled one after the other by the producer and released by the sender when their last command
 * was answered: no malloc/free per event.  A chunk, header included, is charged to the memcap while allocated; up to
 * REDIS_POOL released chunks are kept for reuse.  Commands start 8-byte aligned, so the producer writing a command
 * and the sender reading the one before never share a word.
 */
#define REDIS_POOL 4
struct redis_chunk {
    struct redis_chunk *next; /* in the pool (under mu) */
    size_t size;              /* bytes of data after the header */
    size_t used;              /* the producer's fill (the producer's only) */
    uint32_t pending;         /* its commands not yet released (under mu) */
    bool sealed;              /* the producer has moved on to another chunk (under mu) */
};

static char *chunk_data(struct redis_chunk *c)
{
    return (char *)(c + 1); /* the header's size is a multiple of 8 */
}
_Static_assert(sizeof(struct redis_chunk) % 8 == 0, "chunk data must be 8-byte aligned");

/* One command: the whole RESP text (XADD key ... event $len json), in a chunk. */
struct redis_line {
    char *cmd;
    size_t len;
    struct redis_chunk *chunk;
};

struct redis_out {
    /* set at open, read-only afterwards */
    struct redis_cfg cfg;
    enum redis_mode mode;
    char host[256];
    int port;
    bool unix_socket;
    struct eve_cfg eve;
    char prefix[400]; /* the command up to the event: *argc, the command name, the key, [MAXLEN ~ n * event] */
    size_t prefix_len;
    char host_suffix[300]; /* ,"host":"<sensor name>"} */
    size_t host_suffix_len;
    uint64_t flush_timeout_us;

    /* the producer's (the correlator thread's) */
    struct jw jw;
    const struct eve_writer *eve_w; /* its line is this event's when eve_w->formatted is the event */
    struct memcap mc_snap;          /* what redis_memcap() returns: a copy taken under the lock */
    struct redis_chunk *tail;       /* the chunk being filled */
    size_t chunk_size;

    /* shared, under mu */
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* the sender waits on it: lines, a flush request, stop */
    pthread_cond_t done;     /* redis_flush waits on it */
    struct redis_line *ring; /* oldest at head */
    uint32_t cap, head, n;
    struct memcap mc;
    bool idle;    /* the sender waits on `wake` */
    bool stop;    /* redis_close: end the thread */
    bool abandon; /* a flush timed out: drop what is queued, connect no more */
    uint64_t flush_req, flush_done;
    int live_fd; /* the connected socket (-1): a flush that times out shuts it down to end a blocked read */
    uint64_t sent, dropped, reconnects, errors;
    struct redis_chunk *pool; /* released chunks kept for reuse */
    unsigned pool_n;

    /* the sender's (the thread once started; before, whoever opened) */
    pthread_t thread;
    bool started;
    redisContext *ctx;
    bool ever_connected;
    bool reported; /* the first failure was said on stderr */
    uint64_t next_connect_us, backoff_us;
    uint64_t partial_since_us; /* when the sender first saw a partial batch (0: none) */
};

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wait on cv (CLOCK_MONOTONIC, see redis_open) until the deadline (monotonic µs) at most. */
static void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t deadline_us)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline_us / 1000000u), .tv_nsec = (long)(deadline_us % 1000000u) * 1000};
    pthread_cond_timedwait(cv, mu, &ts);
}

const struct memcap *redis_memcap(const struct redis_out *r)
{
    struct redis_out *w = (struct redis_out *)r; /* the snapshot is the caller's thread's own */
    pthread_mutex_lock(&w->mu);
    w->mc_snap = w->mc;
    pthread_mutex_unlock(&w->mu);
    return &w->mc_snap;
}

void redis_stats_read(const struct redis_out *r, struct stats *into)
{
    if (!r)
        return;
    struct redis_out *w = (struct redis_out *)r;
    pthread_mutex_lock(&w->mu);
    into->redis_sent = w->sent;
    into->redis_dropped = w->dropped;
    into->redis_reconnects = w->reconnects;
    into->redis_errors = w->errors;
    pthread_mutex_unlock(&w->mu);
}

/* Count an error; say the first one on stderr.  The sender's thread. */
static void redis_error(struct redis_out *r, const char *what, const char *detail)
{
    pthread_mutex_lock(&r->mu);
    r->errors++;
    pthread_mutex_unlock(&r->mu);
    if (r->reported)
        return;
    r->reported = true;
    log_error("outputs.redis: %s %s: %s (eve.json goes on; later errors are only counted in stats.redis.errors)", what,
              r->cfg.server, detail);
}

static struct redis_line *ring_at(struct redis_out *r, uint32_t i)
{
    return &r->ring[(r->head + i) % r->cap];
}

/* A chunk none of whose commands is queued any more: kept for reuse or freed.  Under mu. */
static void chunk_put(struct redis_out *r, struct redis_chunk *c)
{
    if (c->size == r->chunk_size && r->pool_n < REDIS_POOL) {
        c->next = r->pool;
        r->pool = c;
        r->pool_n++;
        return;
    }
    memcap_release(&r->mc, sizeof(*c) + c->size);
    free(c);
}

/* A chunk with room for `need` bytes: from the pool, or allocated within the memcap.  Under mu.  NULL: no room. */
static struct redis_chunk *chunk_get(struct redis_out *r, size_t need)
{
    struct redis_chunk *c = NULL;
    if (need <= r->chunk_size && r->pool) {
        c = r->pool;
        r->pool = c->next;
        r->pool_n--;
    } else {
        size_t size = need > r->chunk_size ? need : r->chunk_size;
        if (!memcap_reserve(&r->mc, sizeof(*c) + size))
            return NULL;
        if (!(c = malloc(sizeof(*c) + size))) {
            memcap_release(&r->mc, sizeof(*c) + size);
            return NULL;
        }
        c->size = size;
    }
    c->next = NULL;
    c->used = 0;
    c->pending = 0;
    c->sealed = false;
    return c;
}

/* Release the k oldest commands, of which `ok` were acknowledged and the others are lost.  The sender's thread. */
static void release(struct redis_out *r, uint32_t k, uint32_t ok)
{
    pthread_mutex_lock(&r->mu);
    for (uint32_t i = 0; i < k; i++) {
        struct redis_line *l = ring_at(r, i);
        struct redis_chunk *c = l->chunk;
        if (--c->pending == 0 && c->sealed)
            chunk_put(r, c);
        l->cmd = NULL;
        l->chunk = NULL;
    }
    r->head = (r->head + k) % r->cap;
    r->n -= k;
    r->sent += ok;
    r->dropped += k - ok;
    pthread_mutex_unlock(&r->mu);
}

/* Drop everything queued now (counted). */
static void drop_queued(struct redis_out *r)
{
    pthread_mutex_lock(&r->mu);
    uint32_t k = r->n;
    pthread_mutex_unlock(&r->mu);
    release(r, k, 0);
}

static void disconnect(struct redis_out *r, uint64_t now)
{
    if (r->ctx) {
        pthread_mutex_lock(&r->mu);
        r->live_fd = -1; /* before the descriptor is closed: a timed-out flush must not shut down another one */
        pthread_mutex_unlock(&r->mu);
        redisFree(r->ctx);
    }
    r->ctx = NULL;
    r->backoff_us = r->backoff_us ? r->backoff_us * 2 : REDIS_BACKOFF_MIN_US;
    if (r->backoff_us > REDIS_BACKOFF_MAX_US)
        r->backoff_us = REDIS_BACKOFF_MAX_US;
    r->next_connect_us = now + r->backoff_us;
}

/* One connection attempt.  True when connected (and authenticated). */
static bool connect_now(struct redis_out *r, uint64_t now)
{
    struct timeval tv = {.tv_sec = r->cfg.timeout_ms / 1000, .tv_usec = (r->cfg.timeout_ms % 1000) * 1000};
    r->ctx = r->unix_socket ? redisConnectUnixWithTimeout(r->host, tv) : redisConnectWithTimeout(r->host, r->port, tv);
    if (!r->ctx || r->ctx->err) {
        redis_error(r, "cannot connect to", r->ctx ? r->ctx->errstr : "out of memory");
        disconnect(r, now);
        return false;
    }
    if (redisSetTimeout(r->ctx, tv) != REDIS_OK) {
        redis_error(r, "cannot set a timeout on the connection to", r->ctx->errstr);
        disconnect(r, now);
        return false;
    }
    if (r->cfg.password[0]) {
        const char *argv[] = {"AUTH", r->cfg.password};
        size_t argvlen[] = {4, strlen(r->cfg.password)};
        redisReply *rep = redisCommandArgv(r->ctx, 2, argv, argvlen);
        bool ok = rep && rep->type != REDIS_REPLY_ERROR;
        if (!ok)
            redis_error(r, "AUTH refused by", rep ? rep->str : r->ctx->errstr);
        if (rep)
            freeReplyObject(rep);
        if (!ok) {
            disconnect(r, now);
            return false;
        }
    }
    /* From here on the replies are only counted: with no reply functions hiredis' reader builds no object and
     * returns the reply's type cast to a pointer (REDIS_REPLY_ERROR for an error), so a batch's replies cost no
     * allocation.  They are never passed to freeReplyObject. */
    r->ctx->reader->fn = NULL;
    pthread_mutex_lock(&r->mu);
    r->live_fd = r->ctx->fd;
    if (r->ever_connected)
        r->reconnects++;
    pthread_mutex_unlock(&r->mu);
    r->ever_connected = true;
    r->backoff_us = 0;
    return true;
}

/* Write the k oldest commands straight from the queue: sendmsg with one iovec per command (no copy into hiredis'
 * output buffer, which stays empty), within the socket's send timeout (SO_SNDTIMEO, set by redisSetTimeout).  0, or
 * the errno of the failure (EAGAIN: the timeout). */
#define REDIS_IOV 256
static int write_batch(struct redis_out *r, uint32_t k)
{
    struct iovec iov[REDIS_IOV];
    uint32_t i = 0; /* the first command not wholly written */
    size_t off = 0; /* and its bytes already written */
    while (i < k) {
        size_t cnt = 0;
        for (uint32_t j = i; j < k && cnt < REDIS_IOV; j++, cnt++) {
            const struct redis_line *l = ring_at(r, j);
            size_t skip = j == i ? off : 0;
            iov[cnt].iov_base = l->cmd + skip;
            iov[cnt].iov_len = l->len - skip;
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = cnt};
        ssize_t w = sendmsg(r->ctx->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        for (size_t left = (size_t)w; left;) {
            size_t rest = ring_at(r, i)->len - off;
            if (left < rest) {
                off += left;
                break;
            }
            left -= rest;
            i++;
            off = 0;
        }
    }
    return 0;
}

/* Pipeline the k oldest commands: written at once (write_batch), then k replies read (hiredis reads 16 KiB at a
 * time: hundreds of replies per read).  False when the connection broke or timed out: the commands whose reply did
 * not come are dropped (the server may or may not have them; sending them again could store them twice). */
static bool send_batch(struct redis_out *r, uint32_t k, uint64_t now)
{
    int werr = write_batch(r, k);
    if (werr) {
        redis_error(r, "lost the connection to", werr == EAGAIN ? "send timeout" : strerror(werr));
        release(r, k, 0);
        disconnect(r, now);
        return false;
    }
    uint32_t ok = 0;
    for (uint32_t i = 0; i < k; i++) {
        void *rep = NULL;
        if (redisGetReply(r->ctx, &rep) != REDIS_OK) {
            redis_error(r, "lost the connection to", r->ctx->errstr);
            release(r, k, ok);
            disconnect(r, now);
            return false;
        }
        if ((uintptr_t)rep == REDIS_REPLY_ERROR)
            redis_error(r, "error reply from", "(the event was dropped)");
        else
            ok++;
    }
    release(r, k, ok);
    return true;
}

/* Everything queued now, the server reached once more if it is away (ignoring the backoff): what cannot be sent is
 * dropped.  A flush request (redis_flush), on the sender's thread. */
static void flush_all(struct redis_out *r)
{
    pthread_mutex_lock(&r->mu);
    bool abandon = r->abandon;
    pthread_mutex_unlock(&r->mu);
    if (abandon || (!r->ctx && !connect_now(r, mono_us()))) {
        drop_queued(r);
        return;
    }
    for (;;) {
        pthread_mutex_lock(&r->mu);
        uint32_t k = r->n < r->cfg.batch_size ? r->n : r->cfg.batch_size;
        abandon = r->abandon;
        pthread_mutex_unlock(&r->mu);
        if (abandon) {
            drop_queued(r);
            return;
        }
        if (!k)
            return;
        if (!send_batch(r, k, mono_us())) {
            drop_queued(r); /* one attempt only: the run is ending */
            return;
        }
    }
}

/* The sender thread: waits for a full batch (or a partial one 100 ms old, a flush, stop), sends it outside the
 * lock, and reconnects with backoff.  The correlator only ever takes the lock to append a line. */
static void *sender_main(void *arg)
{
    struct redis_out *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        if (r->flush_req != r->flush_done) {
            uint64_t target = r->flush_req;
            pthread_mutex_unlock(&r->mu);
            flush_all(r);
            r->partial_since_us = 0;
            pthread_mutex_lock(&r->mu);
            r->flush_done = target;
            pthread_cond_broadcast(&r->done);
            continue;
        }
        if (r->stop)
            break;
        if (r->abandon && r->n) {
            pthread_mutex_unlock(&r->mu);
            drop_queued(r);
            pthread_mutex_lock(&r->mu);
            continue;
        }
        if (r->n == 0) { /* the producer signals only a full batch: look again in 100 ms */
            r->partial_since_us = 0;
            r->idle = true;
            cond_wait_until(&r->wake, &r->mu, mono_us() + REDIS_FLUSH_INTERVAL_US);
            r->idle = false;
            continue;
        }
        uint64_t now = mono_us();
        if (!r->ctx && now < r->next_connect_us) { /* the server is away: wait for the backoff */
            r->idle = true;
            cond_wait_until(&r->wake, &r->mu, r->next_connect_us);
            r->idle = false;
            continue;
        }
        if (r->n < r->cfg.batch_size) { /* a partial batch waits up to 100 ms for more */
            if (!r->partial_since_us)
                r->partial_since_us = now;
            if (now < r->partial_since_us + REDIS_FLUSH_INTERVAL_US) {
                r->idle = true;
                cond_wait_until(&r->wake, &r->mu, r->partial_since_us + REDIS_FLUSH_INTERVAL_US);
                r->idle = false;
                continue;
            }
        }
        uint32_t k = r->n < r->cfg.batch_size ? r->n : r->cfg.batch_size;
        r->partial_since_us = 0;
        pthread_mutex_unlock(&r->mu);
        bool connected = r->ctx || connect_now(r, now);
        pthread_mutex_lock(&r->mu);
        /* a flush that timed out while we connected: its shutdown() came too early for this socket */
        if (connected && !r->abandon) {
            pthread_mutex_unlock(&r->mu);
            send_batch(r, k, now);
            pthread_mutex_lock(&r->mu);
        }
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

void redis_start(struct redis_out *r)
{
    if (!r || r->started)
        return;
    /* Signals (SIGTERM, Ctrl-C) are for the reader's thread: this one never takes them.  But SIGSYS: a call the
     * seccomp filter refuses is reported by name (core/sandbox.c) rather than killing without a word. */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSYS);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    r->started = pthread_create(&r->thread, NULL, sender_main, r) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!r->started)
        log_error("outputs.redis: cannot start the sender thread: events are counted as dropped");
}

void redis_flush(struct redis_out *r)
{
    if (!r)
        return;
    if (!r->started) { /* never started (an error before the capture): nothing will send them */
        drop_queued(r);
        return;
    }
    pthread_mutex_lock(&r->mu);
    uint64_t target = ++r->flush_req;
    pthread_cond_signal(&r->wake);
    uint64_t deadline = mono_us() + r->flush_timeout_us;
    while (r->flush_done < target && mono_us() < deadline)
        cond_wait_until(&r->done, &r->mu, deadline);
    if (r->flush_done < target) {
        /* The server takes too long: what is queued is dropped, and a read or write blocked on the socket ends now
         * (shutdown), so the wait below is short. */
        r->abandon = true;
        if (r->live_fd >= 0)
            shutdown(r->live_fd, SHUT_RDWR);
        pthread_cond_signal(&r->wake);
        while (r->flush_done < target)
            pthread_cond_wait(&r->done, &r->mu);
    }
    pthread_mutex_unlock(&r->mu);
}

void redis_on_event(void *user, const struct event *ev)
{
    struct redis_out *r = user;
    const struct jw *jw = &r->jw;
    if (r->eve_w && r->eve_w->formatted == ev) {
        jw = &r->eve_w->jw; /* the line eve.json just got */
    } else {
        jw_reset(&r->jw);
        eve_format(&r->jw, &r->eve, ev);
    }
    if (jw->err || jw->depth != 0 || jw->len < 2 || jw->buf[jw->len - 1] != '}') {
        pthread_mutex_lock(&r->mu);
        r->dropped++;
        pthread_mutex_unlock(&r->mu);
        return;
    }
    /* The whole command, formatted here where the line is at hand: the sender only concatenates. */
    size_t json_len = jw->len - 1 + r->host_suffix_len;
    char dollar[32], digits[24];
    size_t nd = 0, dl = 0;
    for (size_t v = json_len; nd == 0 || v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    dollar[dl++] = '$';
    while (nd)
        dollar[dl++] = digits[--nd];
    dollar[dl++] = '\r';
    dollar[dl++] = '\n';
    size_t len = r->prefix_len + dl + json_len + 2, need = (len + 7) & ~(size_t)7;
    struct redis_chunk *c = r->tail;
    if (!c || c->size - c->used < need) {
        pthread_mutex_lock(&r->mu);
        struct redis_chunk *nc = r->abandon ? NULL : chunk_get(r, need);
        if (!nc) {
            r->dropped++; /* the buffer is full (the server is slow or away): never wait for it */
            pthread_mutex_unlock(&r->mu);
            return;
        }
        if (c) {
            c->sealed = true;
            if (!c->pending)
                chunk_put(r, c);
        }
        r->tail = c = nc;
        pthread_mutex_unlock(&r->mu);
    }
    /* Beyond c->used the chunk is the producer's alone: written without the lock, published under it. */
    char *cmd = chunk_data(c) + c->used, *p = cmd;
    memcpy(p, r->prefix, r->prefix_len);
    p += r->prefix_len;
    memcpy(p, dollar, dl);
    p += dl;
    memcpy(p, jw->buf, jw->len - 1);
    p += jw->len - 1;
    memcpy(p, r->host_suffix, r->host_suffix_len);
    p += r->host_suffix_len;
    memcpy(p, "\r\n", 2);
    pthread_mutex_lock(&r->mu);
    if (r->n >= r->cap || r->abandon) {
        r->dropped++; /* the buffer is full (the server is slow or away): never wait for it */
        pthread_mutex_unlock(&r->mu);
        return;
    }
    struct redis_line *l = ring_at(r, r->n);
    l->cmd = cmd;
    l->len = len;
    l->chunk = c;
    c->used += need;
    c->pending++;
    r->n++;
    if (r->idle && r->n == r->cfg.batch_size) /* a partial batch is found by the sender's 100 ms timed wait */
        pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->mu);
}

void redis_share_eve(struct redis_out *r, const struct eve_writer *w)
{
    if (r)
        r->eve_w = w;
}

/* RESP: one bulk string */
static void prefix_arg(struct redis_out *r, const char *s)
{
    size_t room = sizeof(r->prefix) - r->prefix_len;
    int n = snprintf(r->prefix + r->prefix_len, room, "$%zu\r\n%s\r\n", strlen(s), s);
    r->prefix_len += n > 0 && (size_t)n < room ? (size_t)n : room; /* the key's length is checked in redis_open */
}

struct redis_out *redis_open(const struct redis_cfg *cfg, const struct eve_cfg *eve, struct stats *stats, char *err,
                             size_t errlen)
{
    (void)stats; /* the counters are the output's own, read with redis_stats_read (a thread writes them) */
    enum redis_mode mode;
    switch (cfg->mode) { /* outputs.redis.mode: the key's choices, checked when the configuration is read */
    case REDIS_XADD: mode = REDIS_XADD; break;
    case REDIS_LPUSH: mode = REDIS_LPUSH; break;
    case REDIS_PUBLISH: mode = REDIS_PUBLISH; break;
    default: snprintf(err, errlen, "outputs.redis.mode: %d is not a mode", cfg->mode); return NULL;
    }
    if (!cfg->key[0]) {
        snprintf(err, errlen, "outputs.redis.key: must not be empty");
        return NULL;
    }
    if (cfg->buffer_size == 0 || cfg->batch_size == 0) {
        snprintf(err, errlen, "outputs.redis: buffer-size and batch-size must be at least 1");
        return NULL;
    }
    struct redis_out *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "outputs.redis: out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->mode = mode;
    r->eve = *eve;
    r->live_fd = -1;
    r->flush_timeout_us = (uint64_t)cfg->flush_timeout_ms * 1000u;
    char perr[300];
    if (redis_parse_server(cfg->server, r->host, sizeof(r->host), &r->port, &r->unix_socket, perr, sizeof(perr)) < 0) {
        snprintf(err, errlen, "outputs.redis.server: %s", perr);
        free(r);
        return NULL;
    }

    /* The command before the event: XADD key [MAXLEN ~ n] * event, LPUSH key or PUBLISH key (key < 128 bytes). */
    char maxlen_text[16];
    snprintf(maxlen_text, sizeof(maxlen_text), "%u", cfg->maxlen);
    int argc = mode == REDIS_XADD ? (cfg->maxlen ? 8 : 5) : 3;
    r->prefix_len = (size_t)snprintf(r->prefix, sizeof(r->prefix), "*%d\r\n", argc);
    prefix_arg(r, mode == REDIS_XADD ? "XADD" : mode == REDIS_LPUSH ? "LPUSH" : "PUBLISH");
    prefix_arg(r, cfg->key);
    if (mode == REDIS_XADD) {
        if (cfg->maxlen) {
            prefix_arg(r, "MAXLEN");
            prefix_arg(r, "~");
            prefix_arg(r, maxlen_text);
        }
        prefix_arg(r, "*");
        prefix_arg(r, "event");
    }

    /* `host` as jw writes it (escaped), after the event's last member. */
    char name[256] = "unknown";
    if (cfg->sensor_name[0])
        snprintf(name, sizeof(name), "%s", cfg->sensor_name);
    else if (gethostname(name, sizeof(name)) == 0)
        name[sizeof(name) - 1] = '\0';
    jw_init(&r->jw);
    jw_open_obj(&r->jw, NULL);
    jw_str(&r->jw, "host", name);
    jw_close_obj(&r->jw);
    if (r->jw.err || r->jw.len >= sizeof(r->host_suffix)) {
        snprintf(err, errlen, "outputs.redis.sensor-name: too long");
        jw_free(&r->jw);
        free(r);
        return NULL;
    }
    r->host_suffix[0] = ',';
    memcpy(r->host_suffix + 1, r->jw.buf + 1, r->jw.len - 1); /* without the opening brace */
    r->host_suffix_len = r->jw.len;

    memcap_init(&r->mc, "redis", cfg->buffer_memcap);
    r->ring = mc_calloc(&r->mc, (size_t)cfg->buffer_size * sizeof(*r->ring));
    if (!r->ring) {
        snprintf(err, errlen,
                 "outputs.redis.buffer-memcap (%llu bytes) cannot hold outputs.redis.buffer-size (%u events)",
                 (unsigned long long)cfg->buffer_memcap, cfg->buffer_size);
        jw_free(&r->jw);
        free(r);
        return NULL;
    }
    r->cap = cfg->buffer_size;
    /* 64 KiB chunks; with a small budget smaller ones (a sixteenth of it, at least 4 KiB) */
    r->chunk_size = cfg->buffer_memcap / 16 < 65536 ? (size_t)cfg->buffer_memcap / 16 : 65536;
    if (r->chunk_size < 4096)
        r->chunk_size = 4096;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the timed waits are on the monotonic clock */
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->wake, &ca);
    pthread_cond_init(&r->done, &ca);
    pthread_condattr_destroy(&ca);
    /* A server that closes the connection would otherwise end the sensor with SIGPIPE on the next write; hiredis
     * reports the error (EPIPE) instead. */
    signal(SIGPIPE, SIG_IGN);
    /* The first connection now, before the system call filter; the sender thread (redis_start) takes it over. */
    connect_now(r, mono_us());
    return r;
}

void redis_close(struct redis_out *r)
{
    if (!r)
        return;
    redis_flush(r);
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
    }
    drop_queued(r); /* nothing, unless the thread could not be started */
    if (r->ctx)
        redisFree(r->ctx);
    if (r->tail) { /* every command is released: the last chunk and the pool are all that is left */
        memcap_release(&r->mc, sizeof(*r->tail) + r->tail->size);
        free(r->tail);
    }
    while (r->pool) {
        struct redis_chunk *c = r->pool;
        r->pool = c->next;
        memcap_release(&r->mc, sizeof(*c) + c->size);
        free(c);
    }
    pthread_cond_destroy(&r->wake);
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->mu);
    mc_free(&r->mc, r->ring, (size_t)r->cap * sizeof(*r->ring));
    jw_free(&r->jw);
    free(r);
}
